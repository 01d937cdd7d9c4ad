/* SPDX-License-Identifier: ISC */
/*
 * cmd_query.c: `algaudit query`, the entries a selection (filter.c)
 * picks, in log order or reversed, as a table (people), JSON Lines or
 * CSV (programs); their number with --count; and with --follow the
 * entries committed afterwards, as they come.
 *
 * It opens the store read-only (STORE_RDONLY: read transactions, no
 * lock against the daemon, which may keep writing) and never talks to
 * the daemon. The selection is read one entry at a time from one view
 * (one snapshot) and each entry is written at once, so memory stays
 * flat however many entries match; a table keeps only its first page
 * of rows, to decide its column widths. --follow ends the view, waits
 * a little, begins a new one and asks only for the entries above the
 * last index the previous view held, so each entry is printed once.
 *
 * A reader that goes away (`| head`) is not an error: EPIPE ends the
 * command quietly with status 0, as SIGINT and SIGTERM end --follow.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "tools.h"

#define CMD_QUERY_PAGE		100	/* table rows that decide widths */
#define CMD_QUERY_POLL_MS	200	/* --follow: pause between views */

/* Set by SIGINT and SIGTERM during --follow: finish and exit 0. */
static volatile sig_atomic_t cmd_query_stop;

static const struct output_column cmd_query_columns[] = {
	{ "INDEX", SIZE_MAX, 1 },
	{ "EVENT TIME", SIZE_MAX, 0 },
	{ "PRODUCER", 20, 0 },
	{ "ALGORITHM", 28, 0 },
	{ "SUBJECT", 24, 0 },
	{ "DECISION", 20, 0 },
	{ "SCORE", SIZE_MAX, 1 },
	{ "CLASS", SIZE_MAX, 0 }
};
#define CMD_QUERY_NCOLS \
	(sizeof(cmd_query_columns) / sizeof(cmd_query_columns[0]))

static const char *const cmd_query_csv_header[] = {
	"index", "event_time", "producer_id", "algorithm_id",
	"algorithm_version", "subject", "decision", "score", "data_class",
	"trace_id", "decision_id", "lost_records", "clock_skewed"
};
#define CMD_QUERY_CSV_NCOLS \
	(sizeof(cmd_query_csv_header) / sizeof(cmd_query_csv_header[0]))

static const char cmd_query_help[] =
"Prints the entries of the log that the filters select, in log order,\n"
"read directly from the store, read-only; the daemon may keep running.\n"
"Without filters: every entry from --from-index to --to-index.\n"
"\n"
"  --store DIR        the store directory\n"
"  --reverse          newest (highest index) first\n"
"  --limit N          print at most N entries\n"
"  --after-index N    only entries after index N in the output order\n"
"                     (above N; below N with --reverse): the next page\n"
"                     is the same command with the last index printed\n"
"  --count            print only the number of entries selected\n"
"  --format FORMAT    table (default, for people), jsonl or csv\n"
"  --utc              times in UTC rather than local time\n"
"  --follow           after the entries there are, keep printing those\n"
"                     committed later, once each, until interrupted\n"
"                     (SIGINT, SIGTERM: exit 0); not with --reverse or\n"
"                     --count\n"
"\n"
FILTER_HELP
"\n"
"table: INDEX, EVENT TIME (RFC 3339, ms), PRODUCER, ALGORITHM\n"
"  (id@version), SUBJECT, DECISION, SCORE, CLASS; long values end in\n"
"  an ellipsis, control characters show as '?'; an event time the\n"
"  daemon flagged for clock skew ends in ' (skewed)'.\n"
"jsonl: one object per entry: index, receive_time_ns, producer_id,\n"
"  peer, clock_skewed (true, only on entries the daemon flagged),\n"
"  producer_seq and the record's fields with the names and value\n"
"  forms that `algaudit log` reads.\n"
"csv (RFC 4180, CRLF): index, event_time (RFC 3339, ns), producer_id,\n"
"  algorithm_id, algorithm_version, subject, decision, score,\n"
"  data_class, trace_id, decision_id, lost_records, clock_skewed\n"
"  (true, or empty).\n"
"\n"
"Exit status: 0 ok (also when the reader of the output goes away),\n"
"1 runtime failure (a store without indexes: run `algaudit reindex`),\n"
"2 usage error (a bad filter, or filters without an index).\n";

/* Formats an event time, or "" when absent or not representable. */
static void
cmd_query_time(char *buf, size_t len, const Algaudit__V1__DecisionRecord *r,
    int digits, int utc)
{
	buf[0] = '\0';
	if (r != NULL && r->has_event_time_ns &&
	    output_time_format(buf, len, r->event_time_ns, digits, utc) == -1)
		buf[0] = '\0';
}

/* Adds one entry to the table; returns 0 or an errno. */
static int
cmd_query_table_row(struct output_table *t, const Algaudit__V1__Entry *e,
    uint64_t index, int utc)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	const char *cells[CMD_QUERY_NCOLS];
	char idx[24], when[OUTPUT_TIMELEN + 16], score[OUTPUT_NUMLEN];
	char algo[RECORD_MAX_ID + RECORD_MAX_VERSION + 2], lost[48];
	size_t n;

	snprintf(idx, sizeof(idx), "%" PRIu64, index);
	cmd_query_time(when, sizeof(when), r, 3, utc);
	if (e->has_clock_skewed && e->clock_skewed) {
		n = strlen(when);
		snprintf(when + n, sizeof(when) - n, "%s(skewed)",
		    n > 0 ? " " : "");
	}
	algo[0] = score[0] = '\0';
	if (r != NULL && r->algorithm != NULL && r->algorithm->id != NULL)
		snprintf(algo, sizeof(algo), "%s%s%s", r->algorithm->id,
		    r->algorithm->version != NULL ? "@" : "",
		    r->algorithm->version != NULL ? r->algorithm->version : "");
	if (r != NULL && r->has_score)
		output_double(score, sizeof(score), r->score);
	cells[0] = idx;
	cells[1] = when;
	cells[2] = e->producer_id;
	cells[3] = algo;
	cells[4] = r != NULL ? r->subject : NULL;
	cells[5] = r != NULL ? r->decision : NULL;
	if (r != NULL && r->has_lost_records && r->lost_records > 0) {
		snprintf(lost, sizeof(lost), "(lost %" PRIu64 " records)",
		    r->lost_records);
		cells[5] = lost;
	}
	cells[6] = score;
	cells[7] = r != NULL && r->has_data_class ?
	    record_class_name(r->data_class) : NULL;
	return output_table_row(t, cells);
}

/* Writes one entry as a CSV record. */
static void
cmd_query_csv_row(FILE *out, const Algaudit__V1__Entry *e, uint64_t index,
    int utc)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Algorithm *a;
	char num[OUTPUT_NUMLEN], when[OUTPUT_TIMELEN];

	snprintf(num, sizeof(num), "%" PRIu64, index);
	output_csv_field(out, num, 1);
	cmd_query_time(when, sizeof(when), r, 9, utc);
	output_csv_field(out, when, 0);
	output_csv_field(out, e->producer_id, 0);
	a = r != NULL ? r->algorithm : NULL;
	output_csv_field(out, a != NULL ? a->id : NULL, 0);
	output_csv_field(out, a != NULL ? a->version : NULL, 0);
	output_csv_field(out, r != NULL ? r->subject : NULL, 0);
	output_csv_field(out, r != NULL ? r->decision : NULL, 0);
	num[0] = '\0';
	if (r != NULL && r->has_score)
		output_double(num, sizeof(num), r->score);
	output_csv_field(out, num, 0);
	output_csv_field(out, r != NULL && r->has_data_class ?
	    record_class_name(r->data_class) : NULL, 0);
	output_csv_field(out, r != NULL ? r->trace_id : NULL, 0);
	output_csv_field(out, r != NULL ? r->decision_id : NULL, 0);
	num[0] = '\0';
	if (r != NULL && r->has_lost_records)
		snprintf(num, sizeof(num), "%" PRIu64, r->lost_records);
	output_csv_field(out, num, 0);
	output_csv_field(out, e->has_clock_skewed && e->clock_skewed ?
	    "true" : NULL, 0);
	output_csv_end(out);
}

/*
 * Writes one entry in o's format. Returns 0, -1 (reported), or 1 when
 * the output failed (the caller tells EPIPE from other errors).
 */
static int
cmd_query_write(const struct cmd_query_opts *o, struct output_table *t,
    FILE *out, uint64_t index, const Algaudit__V1__Entry *e)
{
	char err[JSON_RECORD_ERRLEN];
	int rc;

	switch (o->cq_format) {
	case CMD_QUERY_JSONL:
		if (json_record_write(out, e, err, sizeof(err)) == -1) {
			if (ferror(out))
				return 1;
			cli_warnx("query", "entry %" PRIu64 ": %s", index,
			    err);
			return -1;
		}
		break;
	case CMD_QUERY_CSV:
		cmd_query_csv_row(out, e, index, o->cq_utc);
		break;
	default:
		if ((rc = cmd_query_table_row(t, e, index, o->cq_utc)) != 0) {
			cli_warnx("query", "%s", strerror(rc));
			return -1;
		}
		break;
	}
	return ferror(out) ? 1 : 0;
}

/*
 * Reports a failed write to out, unless the reader went away (EPIPE):
 * returns the exit status, TOOLS_EXIT_OK for EPIPE.
 */
static int
cmd_query_write_error(int err)
{
	if (err == EPIPE)
		return TOOLS_EXIT_OK;
	cli_warnx("query", "write error: %s", strerror(err));
	return TOOLS_EXIT_FAIL;
}

/* Flushes out; returns 0 or the errno of the failed write. */
static int
cmd_query_flush(FILE *out)
{
	errno = 0;
	if (fflush(out) == EOF || ferror(out))
		return errno != 0 ? errno : EIO;
	return 0;
}

/*
 * Waits ms milliseconds, or less when a signal arrives or the reader of
 * out goes away. Returns 1 when it went away (a pipe or socket whose
 * other end is closed: nothing written will ever be read), else 0.
 * Without the check, `query --follow | head -n1` would only notice at
 * the next write, which may never come.
 */
static int
cmd_query_pause(FILE *out, unsigned ms)
{
	struct pollfd p;
	struct timespec ts;

	p.fd = fileno(out);
	p.events = 0;	/* only POLLERR and POLLHUP, which are always on */
	p.revents = 0;
	if (p.fd >= 0) {
		if (poll(&p, 1, (int)ms) == 1 &&
		    (p.revents & (POLLERR | POLLHUP)) != 0)
			return 1;
		return 0;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
	return 0;
}

/* Prints the number of entries q selects in view v (capped by limit). */
static int
cmd_query_count(struct store *st, struct store_view *v,
    const struct cmd_query_opts *o, FILE *out)
{
	struct filter_sel *s = NULL;
	char err[QUERY_ERRLEN];
	uint64_t n;
	int rc;

	if ((rc = filter_sel_open(v, &o->cq_filter, &s, err,
	    sizeof(err))) != 0)
		return filter_sel_error(CMD_QUERY_USAGE, store_path(st), rc, 0,
		    err, &o->cq_filter);
	rc = filter_sel_count(s, &n);
	filter_sel_close(s);
	if (rc != 0)
		return filter_sel_error(CMD_QUERY_USAGE, store_path(st), rc, 0,
		    NULL, &o->cq_filter);
	fprintf(out, "%" PRIu64 "\n", n < o->cq_limit ? n : o->cq_limit);
	if ((rc = cmd_query_flush(out)) != 0)
		return cmd_query_write_error(rc);
	return TOOLS_EXIT_OK;
}

/*
 * Makes the table for o: the index column wide enough for the largest
 * index (size - 1) and, for --follow, every capped column at its
 * maximum, since its rows come after the widths are decided.
 */
static int
cmd_query_table(const struct cmd_query_opts *o, FILE *out, uint64_t size,
    struct output_table **tp)
{
	uint64_t last;
	size_t i;
	int rc;

	if ((rc = output_table_new(tp, out, cmd_query_columns,
	    CMD_QUERY_NCOLS, CMD_QUERY_PAGE)) != 0) {
		cli_warnx("query", "%s", strerror(rc));
		return -1;
	}
	last = size > 0 ? size - 1 : 0;
	if (o->cq_filter.qf_has_to && o->cq_filter.qf_to < last &&
	    !o->cq_follow)
		last = o->cq_filter.qf_to;
	if (size > 0 || o->cq_follow)
		output_table_min_width(*tp, 0,
		    (size_t)snprintf(NULL, 0, "%" PRIu64, last) +
		    (o->cq_follow ? 2 : 0));
	for (i = 1; o->cq_follow && i < CMD_QUERY_NCOLS; i++)
		output_table_min_width(*tp, i, cmd_query_columns[i].oc_max !=
		    SIZE_MAX ? cmd_query_columns[i].oc_max :
		    i == 1 ? 29 : 0);
	return 0;
}

/*
 * Writes the entries of st selected by o to out in o's format; with
 * cq_follow keeps going with the entries committed later until
 * cmd_query_stop is set (or the limit or --to-index is reached).
 * Errors go to stderr. Returns an exit code: TOOLS_EXIT_OK,
 * TOOLS_EXIT_FAIL, or TOOLS_EXIT_USAGE for a selection the engine
 * refuses.
 */
int
cmd_query_run(struct store *st, const struct cmd_query_opts *o, FILE *out)
{
	struct output_table *t = NULL;
	struct store_view *v = NULL;
	struct filter_sel *s = NULL;
	const Algaudit__V1__Entry *e;
	struct query_filter q;
	char err[QUERY_ERRLEN];
	uint64_t idx = 0, n = 0, size, seen = 0;
	size_t i;
	int rc, ex = TOOLS_EXIT_FAIL, werr = 0;

	q = o->cq_filter;
	if ((rc = store_view_begin(st, &v)) != 0) {
		cli_warnx("query", "%s: %s", store_path(st),
		    store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if (o->cq_count) {
		ex = cmd_query_count(st, v, o, out);
		store_view_end(v);
		return ex;
	}
	size = store_view_size(v);
	if (o->cq_format == CMD_QUERY_TABLE &&
	    cmd_query_table(o, out, size, &t) == -1)
		goto out;
	if (o->cq_format == CMD_QUERY_CSV) {
		for (i = 0; i < CMD_QUERY_CSV_NCOLS; i++)
			output_csv_field(out, cmd_query_csv_header[i], i == 0);
		output_csv_end(out);
	}
	for (;;) {
		if (size > seen || seen == 0) {
			if ((rc = filter_sel_open(v, &q, &s, err,
			    sizeof(err))) != 0) {
				ex = filter_sel_error(CMD_QUERY_USAGE,
				    store_path(st), rc, 0, err, &q);
				goto out;
			}
			while (n < o->cq_limit && !cmd_query_stop) {
				rc = filter_sel_next(s, &idx, &e);
				if (rc == STORE_ENOTFOUND)
					break;
				if (rc != 0) {
					ex = filter_sel_error(CMD_QUERY_USAGE,
					    store_path(st), rc, idx, NULL, &q);
					goto out;
				}
				n++;
				errno = 0;
				if ((rc = cmd_query_write(o, t, out, idx,
				    e)) == -1)
					goto out;
				if (rc == 1) {	/* werr decides the status */
					werr = errno != 0 ? errno : EIO;
					ex = TOOLS_EXIT_OK;
					goto out;
				}
			}
			filter_sel_close(s);
			s = NULL;
		}
		if (!o->cq_follow)
			break;
		/* The first round decides the table's widths. */
		if ((t != NULL && output_table_end(t) != 0) ||
		    (werr = cmd_query_flush(out)) != 0) {
			if (werr == 0)
				werr = errno != 0 ? errno : EIO;
			ex = TOOLS_EXIT_OK;	/* as werr says */
			goto out;
		}
		seen = size;
		if (n >= o->cq_limit || cmd_query_stop ||
		    (q.qf_has_to && size > q.qf_to))
			break;
		/* Only what the next view holds beyond this one. */
		if (size > q.qf_from)
			q.qf_from = size;
		store_view_end(v);
		v = NULL;
		while (!cmd_query_stop) {
			if (cmd_query_pause(out, o->cq_poll_ms > 0 ?
			    o->cq_poll_ms : CMD_QUERY_POLL_MS)) {
				ex = TOOLS_EXIT_OK;	/* as for EPIPE */
				goto out;
			}
			if (cmd_query_stop)
				break;
			if ((rc = store_view_begin(st, &v)) != 0) {
				cli_warnx("query", "%s: %s", store_path(st),
				    store_strerror(rc));
				goto out;
			}
			if ((size = store_view_size(v)) > seen)
				break;
			store_view_end(v);
			v = NULL;
		}
		if (cmd_query_stop)
			break;
	}
	ex = TOOLS_EXIT_OK;
out:
	filter_sel_close(s);
	store_view_end(v);
	/* What was selected before a failure is still written. */
	if (werr == 0 && t != NULL && (ex == TOOLS_EXIT_OK || n > 0) &&
	    output_table_end(t) != 0)
		werr = errno != 0 ? errno : EIO;
	if (werr == 0)
		werr = cmd_query_flush(out);
	output_table_free(t);
	/* A runtime error wins over the write error it may have caused. */
	if (werr != 0 && ex == TOOLS_EXIT_OK)
		return cmd_query_write_error(werr);
	return ex;
}

/* Signal handler of --follow: ask the loop to finish. */
static void
cmd_query_on_signal(int sig)
{
	(void)sig;
	cmd_query_stop = 1;
}

/*
 * Ignores SIGPIPE (a reader that goes away shows as EPIPE, which ends
 * the command quietly) and, for --follow, turns SIGINT and SIGTERM into
 * cmd_query_stop. Returns 0 or -1 (reported).
 */
static int
cmd_query_signals(int follow)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		goto fail;
	if (!follow)
		return 0;
	sa.sa_handler = cmd_query_on_signal;	/* no SA_RESTART */
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		goto fail;
	return 0;
fail:
	cli_warnx("query", "sigaction: %s", strerror(errno));
	return -1;
}

/* algaudit query: parses the options, opens the store, runs the query. */
int
cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' },
		{ "after-index", required_argument, NULL, 'a' },
		{ "count", no_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "utc", no_argument, NULL, 'u' },
		{ "follow", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_query_opts o;
	struct filter f;
	struct store *st = NULL;
	const char *dir = NULL;
	uint64_t after = 0;
	int c, ex, has_limit = 0, has_format = 0, has_after = 0, reverse = 0;

	memset(&o, 0, sizeof(o));
	filter_init(&f, output_now_ns());
	o.cq_limit = UINT64_MAX;
	o.cq_format = CMD_QUERY_TABLE;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (filter_cli_option(CMD_QUERY_USAGE, &f, c, optarg))
			continue;
		switch (c) {
		case 's':
			if (dir != NULL)
				cli_usage(CMD_QUERY_USAGE, "--store: given "
				    "twice");
			dir = optarg;
			break;
		case 'r':
			reverse = 1;
			break;
		case 'n':
			if (has_limit++)
				cli_usage(CMD_QUERY_USAGE, "--limit: given "
				    "twice");
			o.cq_limit = cli_number(CMD_QUERY_USAGE, "--limit",
			    optarg, 0, UINT64_MAX);
			break;
		case 'a':
			if (has_after++)
				cli_usage(CMD_QUERY_USAGE, "--after-index: "
				    "given twice");
			after = cli_number(CMD_QUERY_USAGE, "--after-index",
			    optarg, 0, UINT64_MAX);
			break;
		case 'c':
			o.cq_count = 1;
			break;
		case 'F':
			if (has_format++)
				cli_usage(CMD_QUERY_USAGE, "--format: given "
				    "twice");
			if (strcmp(optarg, "table") == 0)
				o.cq_format = CMD_QUERY_TABLE;
			else if (strcmp(optarg, "jsonl") == 0)
				o.cq_format = CMD_QUERY_JSONL;
			else if (strcmp(optarg, "csv") == 0)
				o.cq_format = CMD_QUERY_CSV;
			else
				cli_usage(CMD_QUERY_USAGE, "--format: unknown "
				    "format '%s' (table, jsonl or csv)",
				    optarg);
			break;
		case 'u':
			o.cq_utc = 1;
			break;
		case 'w':
			o.cq_follow = 1;
			break;
		case 'h':
			cli_help(CMD_QUERY_USAGE, cmd_query_help);
		default:
			cli_bad_option(CMD_QUERY_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_QUERY_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (dir == NULL)
		cli_usage(CMD_QUERY_USAGE, "--store: required");
	filter_cli_finish(CMD_QUERY_USAGE, &f);
	if (o.cq_follow && reverse)
		cli_usage(CMD_QUERY_USAGE, "--follow and --reverse: new "
		    "entries only come at the end; use one or the other");
	if (o.cq_follow && o.cq_count)
		cli_usage(CMD_QUERY_USAGE, "--follow and --count: a count "
		    "of a log that keeps growing never ends; use one or the "
		    "other");
	if (o.cq_count && has_format)
		cli_usage(CMD_QUERY_USAGE, "--count prints a number; "
		    "--format does not apply");
	o.cq_filter = f.fl_q;
	o.cq_filter.qf_has_after = has_after;
	o.cq_filter.qf_after = after;
	o.cq_filter.qf_reverse = reverse;
	tzset();
	if (cmd_query_signals(o.cq_follow) == -1)
		return TOOLS_EXIT_FAIL;
	if (cli_store_open("query", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	ex = cmd_query_run(st, &o, stdout);
	store_close(st);
	return ex;
}
