/* SPDX-License-Identifier: ISC */
/*
 * cmd_query.c: `algaudit query`, the entries of a range of the log as a
 * table (people), JSON Lines or CSV (programs).
 *
 * It opens the store read-only (STORE_RDONLY: one read transaction, no
 * lock against the daemon, which may keep writing) and never talks to
 * the daemon. Entries are decoded one at a time and written at once, so
 * memory stays flat however many entries match; a table keeps only its
 * first page of rows, to decide its column widths.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "tools.h"

#define CMD_QUERY_PAGE	100	/* table rows that decide the widths */

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
	"trace_id", "decision_id", "lost_records"
};
#define CMD_QUERY_CSV_NCOLS \
	(sizeof(cmd_query_csv_header) / sizeof(cmd_query_csv_header[0]))

static const char cmd_query_help[] =
"Prints the entries of the log from --from-index to --to-index (both\n"
"included; default: all) read directly from the store, read-only; the\n"
"daemon may keep running.\n"
"\n"
"  --store DIR        the store directory\n"
"  --from-index N     first entry (default 0)\n"
"  --to-index M       last entry, inclusive (default: the last)\n"
"  --limit N          print at most N entries\n"
"  --format FORMAT    table (default, for people), jsonl or csv\n"
"  --utc              times in UTC rather than local time\n"
"\n"
"table: INDEX, EVENT TIME (RFC 3339, ms), PRODUCER, ALGORITHM\n"
"  (id@version), SUBJECT, DECISION, SCORE, CLASS; long values end in\n"
"  an ellipsis, control characters show as '?'.\n"
"jsonl: one object per entry: index, receive_time_ns, producer_id,\n"
"  peer, producer_seq and the record's fields with the names and value\n"
"  forms that `algaudit log` reads.\n"
"csv (RFC 4180, CRLF): index, event_time (RFC 3339, ns), producer_id,\n"
"  algorithm_id, algorithm_version, subject, decision, score,\n"
"  data_class, trace_id, decision_id, lost_records.\n"
"\n"
"Exit status: 0 ok, 1 runtime failure, 2 usage error.\n";

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
    int utc)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	const char *cells[CMD_QUERY_NCOLS];
	char idx[24], when[OUTPUT_TIMELEN], score[OUTPUT_NUMLEN];
	char algo[RECORD_MAX_ID + RECORD_MAX_VERSION + 2], lost[48];

	snprintf(idx, sizeof(idx), "%" PRIu64, e->index);
	cmd_query_time(when, sizeof(when), r, 3, utc);
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
cmd_query_csv_row(FILE *out, const Algaudit__V1__Entry *e, int utc)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Algorithm *a;
	char num[OUTPUT_NUMLEN], when[OUTPUT_TIMELEN];

	snprintf(num, sizeof(num), "%" PRIu64, e->index);
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
	output_csv_end(out);
}

/*
 * Writes the entries of st selected by o to out in o's format. Errors
 * go to stderr. Returns an exit code: TOOLS_EXIT_OK or TOOLS_EXIT_FAIL.
 */
int
cmd_query_run(struct store *st, const struct cmd_query_opts *o, FILE *out)
{
	struct output_table *t = NULL;
	struct store_iter *it = NULL;
	struct store_info si;
	Algaudit__V1__Entry *e;
	char err[JSON_RECORD_ERRLEN];
	const void *data;
	uint64_t idx, n;
	size_t len, i;
	int rc, ex = TOOLS_EXIT_FAIL;

	if (o->cq_format == CMD_QUERY_TABLE) {
		if ((rc = output_table_new(&t, out, cmd_query_columns,
		    CMD_QUERY_NCOLS, CMD_QUERY_PAGE)) != 0) {
			cli_warnx("query", "%s", strerror(rc));
			goto out;
		}
		/* Room for the largest index, also beyond the first page. */
		if ((rc = store_info(st, &si)) != 0) {
			cli_warnx("query", "%s: %s", store_path(st),
			    store_strerror(rc));
			goto out;
		}
		if (si.si_entries > 0) {
			n = si.si_entries - 1 < o->cq_to ?
			    si.si_entries - 1 : o->cq_to;
			output_table_min_width(t, 0,
			    (size_t)snprintf(NULL, 0, "%" PRIu64, n));
		}
	}
	if (o->cq_format == CMD_QUERY_CSV) {
		for (i = 0; i < CMD_QUERY_CSV_NCOLS; i++)
			output_csv_field(out, cmd_query_csv_header[i], i == 0);
		output_csv_end(out);
	}
	if ((rc = store_iter_open(st, o->cq_from, &it)) != 0) {
		cli_warnx("query", "%s: %s", store_path(st),
		    store_strerror(rc));
		goto out;
	}
	for (n = 0; n < o->cq_limit; n++) {
		rc = store_iter_next(it, &idx, &data, &len);
		if (rc == STORE_ENOTFOUND)
			break;
		if (rc != 0) {
			cli_warnx("query", "%s: %s", store_path(st),
			    store_strerror(rc));
			goto out;
		}
		if (idx > o->cq_to)
			break;
		e = algaudit__v1__entry__unpack(NULL, len, data);
		if (e == NULL) {
			cli_warnx("query", "entry %" PRIu64 ": does not "
			    "decode as an Entry", idx);
			goto out;
		}
		switch (o->cq_format) {
		case CMD_QUERY_JSONL:
			rc = json_record_write(out, e, err, sizeof(err));
			if (rc == -1)
				cli_warnx("query", "entry %" PRIu64 ": %s",
				    idx, err);
			break;
		case CMD_QUERY_CSV:
			cmd_query_csv_row(out, e, o->cq_utc);
			break;
		default:
			if ((rc = cmd_query_table_row(t, e, o->cq_utc)) != 0)
				cli_warnx("query", "%s", strerror(rc));
			break;
		}
		algaudit__v1__entry__free_unpacked(e, NULL);
		if (rc != 0)
			goto out;
		if (ferror(out))
			break;
	}
	if (t != NULL && output_table_end(t) != 0)
		goto write_error;
	if (fflush(out) == EOF || ferror(out))
		goto write_error;
	ex = TOOLS_EXIT_OK;
	goto out;
write_error:
	cli_warnx("query", "write error");
out:
	store_iter_close(it);
	output_table_free(t);
	return ex;
}

/* algaudit query: parses the options, opens the store, runs the query. */
int
cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "from-index", required_argument, NULL, 'f' },
		{ "to-index", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'F' },
		{ "utc", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_query_opts o;
	struct store *st = NULL;
	const char *dir = NULL;
	int c, has_to = 0, ex;

	memset(&o, 0, sizeof(o));
	o.cq_to = UINT64_MAX;
	o.cq_limit = UINT64_MAX;
	o.cq_format = CMD_QUERY_TABLE;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'f':
			o.cq_from = cli_number(CMD_QUERY_USAGE, "--from-index",
			    optarg, 0, UINT64_MAX);
			break;
		case 't':
			o.cq_to = cli_number(CMD_QUERY_USAGE, "--to-index",
			    optarg, 0, UINT64_MAX);
			has_to = 1;
			break;
		case 'n':
			o.cq_limit = cli_number(CMD_QUERY_USAGE, "--limit",
			    optarg, 0, UINT64_MAX);
			break;
		case 'F':
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
	if (has_to && o.cq_to < o.cq_from)
		cli_usage(CMD_QUERY_USAGE, "--to-index %" PRIu64 " is before "
		    "--from-index %" PRIu64, o.cq_to, o.cq_from);
	tzset();
	if (cli_store_open("query", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	ex = cmd_query_run(st, &o, stdout);
	store_close(st);
	return ex;
}
