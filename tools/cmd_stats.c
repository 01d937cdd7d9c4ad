/* SPDX-License-Identifier: ISC */
/*
 * cmd_stats.c: `algaudit stats`, a summary of a store: its origin and
 * format, the number of entries, each producer with its durable
 * producer_seq, the size of the store file and how much of the map is
 * used, and the times of the first and last entries.
 *
 * Like query it opens the store read-only and never talks to the
 * daemon. It reads only the first and the last entry (never scans the
 * log) and streams the producers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "tools.h"

#define CMD_STATS_PAGE	100

/* What stats reports about one end of the log. */
struct cmd_stats_end {
	int		 se_present;
	uint64_t	 se_index;
	int		 se_has_receive;
	int64_t		 se_receive_ns;
	int		 se_has_event;
	int64_t		 se_event_ns;
};

/* State of the producers callback. */
struct cmd_stats_walk {
	struct output_table	*sw_table;	/* table format */
	json_t			*sw_array;	/* json format */
	int			 sw_utc;
	int			 sw_err;	/* errno, or -1: bad name */
};

static const struct output_column cmd_stats_columns[] = {
	{ "PRODUCER", 40, 0 },
	{ "DURABLE SEQ", SIZE_MAX, 1 },
	{ "ENTRIES", SIZE_MAX, 1 },
	{ "FIRST SEEN", SIZE_MAX, 0 },
	{ "LAST SEEN", SIZE_MAX, 0 }
};
#define CMD_STATS_NCOLS \
	(sizeof(cmd_stats_columns) / sizeof(cmd_stats_columns[0]))

static const char cmd_stats_help[] =
"Summarizes a store, read-only (the daemon may keep running): origin,\n"
"format version, creation time, entries, the store file's size and its\n"
"map use, the first and last entries' receive and event times, and\n"
"each producer with its durable producer_seq, its entries and when it\n"
"was first and last seen.\n"
"\n"
"  --store DIR        the store directory\n"
"  --format FORMAT    table (default) or json (times as ns since the\n"
"                     epoch and as RFC 3339 in UTC)\n"
"  --utc              table times in UTC rather than local time\n"
"\n"
"Exit status: 0 ok, 1 runtime failure, 2 usage error.\n";

/* Formats ns as RFC 3339 with ms, or "-" when it cannot be. */
static const char *
cmd_stats_time(char *buf, size_t len, int64_t ns, int digits, int utc)
{
	if (output_time_format(buf, len, ns, digits, utc) == -1)
		snprintf(buf, len, "-");
	return buf;
}

/* Reads the entry at index into *end; returns 0 or a store error. */
static int
cmd_stats_read_end(struct store *st, uint64_t index, struct cmd_stats_end *end)
{
	struct store_iter *it = NULL;
	Algaudit__V1__Entry *e;
	const void *data;
	uint64_t idx;
	size_t len;
	int rc;

	memset(end, 0, sizeof(*end));
	if ((rc = store_iter_open(st, index, &it)) != 0)
		return rc;
	if ((rc = store_iter_next(it, &idx, &data, &len)) != 0)
		goto out;
	if ((e = algaudit__v1__entry__unpack(NULL, len, data)) == NULL) {
		cli_warnx("stats", "entry %" PRIu64 ": does not decode as an "
		    "Entry", idx);
		rc = STORE_ECORRUPT;
		goto out;
	}
	end->se_present = 1;
	end->se_index = idx;
	end->se_has_receive = e->has_receive_time_ns;
	end->se_receive_ns = e->receive_time_ns;
	if (e->record != NULL) {
		end->se_has_event = e->record->has_event_time_ns;
		end->se_event_ns = e->record->event_time_ns;
	}
	algaudit__v1__entry__free_unpacked(e, NULL);
out:
	store_iter_close(it);
	return rc;
}

/* Prints one end of the log as a table line. */
static void
cmd_stats_print_end(FILE *out, const char *label,
    const struct cmd_stats_end *end, int utc)
{
	char rt[OUTPUT_TIMELEN], et[OUTPUT_TIMELEN];

	if (!end->se_present) {
		fprintf(out, "%-13s-\n", label);
		return;
	}
	fprintf(out, "%-13sindex %" PRIu64 ", received %s, event %s\n", label,
	    end->se_index, end->se_has_receive ? cmd_stats_time(rt,
	    sizeof(rt), end->se_receive_ns, 3, utc) : "-",
	    end->se_has_event ? cmd_stats_time(et, sizeof(et),
	    end->se_event_ns, 3, utc) : "-");
}

/* Sets o[key] to an integer and o[key without _ns] to its RFC 3339. */
static int
cmd_stats_json_time(json_t *o, const char *key, int64_t ns)
{
	char name[64], buf[OUTPUT_TIMELEN];
	size_t n;

	n = strlen(key) - 3;	/* without "_ns" */
	snprintf(name, sizeof(name), "%.*s", (int)n, key);
	if (json_object_set_new(o, key, json_integer(ns)) == -1)
		return -1;
	if (output_time_format(buf, sizeof(buf), ns, 9, 1) == -1)
		return 0;
	return json_object_set_new(o, name, json_string(buf));
}

/* Builds the JSON object of one end of the log (or null). */
static json_t *
cmd_stats_json_end(const struct cmd_stats_end *end)
{
	json_t *o;

	if (!end->se_present)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "index",
	    json_integer((json_int_t)end->se_index)) == -1 ||
	    (end->se_has_receive &&
	    cmd_stats_json_time(o, "receive_time_ns", end->se_receive_ns) ==
	    -1) ||
	    (end->se_has_event &&
	    cmd_stats_json_time(o, "event_time_ns", end->se_event_ns) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Producers callback: one row or one JSON object per producer. */
static int
cmd_stats_producer(const char *name, size_t len,
    const struct store_producer *p, void *arg)
{
	struct cmd_stats_walk *w = arg;
	char id[RECORD_MAX_PRODUCER_ID + 1], seq[24], cnt[24];
	char first[OUTPUT_TIMELEN], last[OUTPUT_TIMELEN];
	const char *cells[CMD_STATS_NCOLS];
	json_t *o;

	if (len > RECORD_MAX_PRODUCER_ID || memchr(name, '\0', len) != NULL) {
		w->sw_err = -1;
		return 1;
	}
	memcpy(id, name, len);
	id[len] = '\0';
	if (w->sw_table != NULL) {
		snprintf(seq, sizeof(seq), "%" PRIu64, p->sp_seq);
		snprintf(cnt, sizeof(cnt), "%" PRIu64, p->sp_entries);
		cells[0] = id;
		cells[1] = seq;
		cells[2] = cnt;
		cells[3] = cmd_stats_time(first, sizeof(first), p->sp_first_ns,
		    3, w->sw_utc);
		cells[4] = cmd_stats_time(last, sizeof(last), p->sp_last_ns, 3,
		    w->sw_utc);
		if ((w->sw_err = output_table_row(w->sw_table, cells)) != 0)
			return 1;
		return 0;
	}
	if ((o = json_object()) == NULL ||
	    json_array_append_new(w->sw_array, o) == -1 ||
	    json_object_set_new(o, "producer_id", json_string(id)) == -1 ||
	    json_object_set_new(o, "durable_seq",
	    json_integer((json_int_t)p->sp_seq)) == -1 ||
	    json_object_set_new(o, "entries",
	    json_integer((json_int_t)p->sp_entries)) == -1 ||
	    cmd_stats_json_time(o, "first_seen_ns", p->sp_first_ns) == -1 ||
	    cmd_stats_json_time(o, "last_seen_ns", p->sp_last_ns) == -1) {
		w->sw_err = ENOMEM;
		return 1;
	}
	return 0;
}

/* Writes the summary as a table of "key value" lines and producers. */
static int
cmd_stats_table(struct store *st, const struct store_info *si,
    const struct cmd_stats_end *first, const struct cmd_stats_end *last,
    int utc, FILE *out, struct cmd_stats_walk *w)
{
	char buf[OUTPUT_TIMELEN];
	int rc;

	fprintf(out, "%-13s%s\n", "store", store_path(st));
	fprintf(out, "%-13s%s\n", "origin", si->si_origin);
	fprintf(out, "%-13s%" PRIu32 "\n", "format", si->si_format);
	fprintf(out, "%-13s%s\n", "created", cmd_stats_time(buf, sizeof(buf),
	    si->si_created_ns, 3, utc));
	fprintf(out, "%-13s%" PRIu64 "\n", "entries", si->si_entries);
	fprintf(out, "%-13s%" PRIu64 " bytes\n", "file size",
	    si->si_file_size);
	fprintf(out, "%-13s%" PRIu64 " of %" PRIu64 " bytes used (%.1f%%)\n",
	    "map", si->si_map_used, si->si_map_size, si->si_map_size > 0 ?
	    100.0 * (double)si->si_map_used / (double)si->si_map_size : 0.0);
	cmd_stats_print_end(out, "first entry", first, utc);
	cmd_stats_print_end(out, "last entry", last, utc);
	fprintf(out, "%-13s%" PRIu64 "\n\n", "producers", si->si_producers);
	if ((rc = output_table_new(&w->sw_table, out, cmd_stats_columns,
	    CMD_STATS_NCOLS, CMD_STATS_PAGE)) != 0)
		return rc;
	if ((rc = store_producers_each(st, cmd_stats_producer, w)) != 0)
		return rc;
	if (w->sw_err != 0)
		return w->sw_err;
	return output_table_end(w->sw_table);
}

/* Writes the summary as one JSON object. */
static int
cmd_stats_json(struct store *st, const struct store_info *si,
    const struct cmd_stats_end *first, const struct cmd_stats_end *last,
    FILE *out, struct cmd_stats_walk *w)
{
	json_t *o;
	int rc = ENOMEM;

	if ((o = json_object()) == NULL)
		return ENOMEM;
	if (json_object_set_new(o, "store", json_string(store_path(st))) ==
	    -1 ||
	    json_object_set_new(o, "origin", json_string(si->si_origin)) ==
	    -1 ||
	    json_object_set_new(o, "format_version",
	    json_integer(si->si_format)) == -1 ||
	    cmd_stats_json_time(o, "created_ns", si->si_created_ns) == -1 ||
	    json_object_set_new(o, "entries",
	    json_integer((json_int_t)si->si_entries)) == -1 ||
	    json_object_set_new(o, "file_size",
	    json_integer((json_int_t)si->si_file_size)) == -1 ||
	    json_object_set_new(o, "map_size",
	    json_integer((json_int_t)si->si_map_size)) == -1 ||
	    json_object_set_new(o, "map_used",
	    json_integer((json_int_t)si->si_map_used)) == -1 ||
	    json_object_set_new(o, "first_entry",
	    cmd_stats_json_end(first)) == -1 ||
	    json_object_set_new(o, "last_entry",
	    cmd_stats_json_end(last)) == -1 ||
	    (w->sw_array = json_array()) == NULL ||
	    json_object_set_new(o, "producers", w->sw_array) == -1)
		goto out;
	if ((rc = store_producers_each(st, cmd_stats_producer, w)) != 0)
		goto out;
	if ((rc = w->sw_err) != 0)
		goto out;
	if (json_dumpf(o, out, JSON_INDENT(2)) == -1 || fputc('\n', out) ==
	    EOF)
		rc = EIO;
out:
	json_decref(o);
	return rc;
}

/*
 * Writes the summary of st to out as a table or JSON (enum
 * cmd_stats_format), table times in UTC when utc is set. Errors go to
 * stderr. Returns TOOLS_EXIT_OK or TOOLS_EXIT_FAIL.
 */
int
cmd_stats_run(struct store *st, int format, int utc, FILE *out)
{
	struct cmd_stats_end first, last;
	struct cmd_stats_walk w;
	struct store_info si;
	int rc;

	memset(&w, 0, sizeof(w));
	memset(&first, 0, sizeof(first));
	memset(&last, 0, sizeof(last));
	w.sw_utc = utc;
	if ((rc = store_info(st, &si)) != 0)
		goto fail;
	si.si_origin[sizeof(si.si_origin) - 1] = '\0';
	if (si.si_entries > 0 &&
	    ((rc = cmd_stats_read_end(st, 0, &first)) != 0 ||
	    (rc = cmd_stats_read_end(st, si.si_entries - 1, &last)) != 0))
		goto fail;
	if (format == CMD_STATS_JSON)
		rc = cmd_stats_json(st, &si, &first, &last, out, &w);
	else
		rc = cmd_stats_table(st, &si, &first, &last, utc, out, &w);
	output_table_free(w.sw_table);
	if (rc == -1) {
		cli_warnx("stats", "%s: a producer id is not a string of at "
		    "most %d bytes", store_path(st), RECORD_MAX_PRODUCER_ID);
		return TOOLS_EXIT_FAIL;
	}
	if (rc != 0)
		goto fail;
	if (fflush(out) == EOF || ferror(out)) {
		cli_warnx("stats", "write error");
		return TOOLS_EXIT_FAIL;
	}
	return TOOLS_EXIT_OK;
fail:
	cli_warnx("stats", "%s: %s", store_path(st), rc > 0 ? strerror(rc) :
	    store_strerror(rc));
	return TOOLS_EXIT_FAIL;
}

/* algaudit stats: parses the options, opens the store, prints. */
int
cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "utc", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	const char *dir = NULL;
	int c, ex, format = CMD_STATS_TABLE, utc = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "table") == 0)
				format = CMD_STATS_TABLE;
			else if (strcmp(optarg, "json") == 0)
				format = CMD_STATS_JSON;
			else
				cli_usage(CMD_STATS_USAGE, "--format: unknown "
				    "format '%s' (table or json)", optarg);
			break;
		case 'u':
			utc = 1;
			break;
		case 'h':
			cli_help(CMD_STATS_USAGE, cmd_stats_help);
		default:
			cli_bad_option(CMD_STATS_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_STATS_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (dir == NULL)
		cli_usage(CMD_STATS_USAGE, "--store: required");
	tzset();
	if (cli_store_open("stats", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	ex = cmd_stats_run(st, format, utc, stdout);
	store_close(st);
	return ex;
}
