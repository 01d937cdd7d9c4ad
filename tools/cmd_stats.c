/* SPDX-License-Identifier: ISC */
/*
 * cmd_stats.c: `algaudit stats`, a summary of a store: its origin and
 * format, the number of entries, each producer with its durable
 * producer_seq, the size of the store file and how much of the map is
 * used, and the times of the first and last entries. With --by or
 * filters: the entries a selection (filter.c) picks, counted per group
 * (algorithm, version, decision, class, producer, day or hour of the
 * event time) with their share, the share a person reviewed and the
 * mean score.
 *
 * Like query it opens the store read-only and never talks to the
 * daemon. The summary reads only the first and the last entry (never
 * scans the log) and streams the producers. Groups come from the
 * selection's entries one at a time (the query engine's candidates);
 * memory grows with the number of groups, never with the entries.
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
#define CMD_STATS_KEYLEN (RECORD_MAX_ID + RECORD_MAX_VERSION + 2)
#define CMD_STATS_NONE	"(none)"	/* the group of a missing field */
#define CMD_STATS_TOTAL	"(total)"

/* One group of stats --by. */
struct cmd_stats_group {
	char		*sg_key;
	uint64_t	 sg_count;
	uint64_t	 sg_reviewed;	/* entries naming a reviewer */
	uint64_t	 sg_scored;	/* entries with a score */
	double		 sg_score_sum;
	int		 sg_timed;	/* sg_first_ns is set */
	int64_t		 sg_first_ns;	/* smallest event time */
};

/* The groups, with an open-addressing hash of their keys. */
struct cmd_stats_groups {
	struct cmd_stats_group	*gs_v;
	size_t			 gs_n;
	size_t			 gs_cap;
	size_t			*gs_slot;	/* group + 1; 0 is free */
	size_t			 gs_nslots;	/* a power of two */
	struct cmd_stats_group	 gs_total;
};

/* --by names, indexed by enum cmd_stats_by. */
static const char *const cmd_stats_by_names[] = {
	NULL, "algorithm", "version", "decision", "class", "producer", "day",
	"hour"
};
#define CMD_STATS_NBY \
	(sizeof(cmd_stats_by_names) / sizeof(cmd_stats_by_names[0]))

static const struct output_column cmd_stats_by_columns[] = {
	{ "GROUP", 40, 0 },
	{ "COUNT", SIZE_MAX, 1 },
	{ "SHARE", SIZE_MAX, 1 },
	{ "REVIEWED", SIZE_MAX, 1 },
	{ "MEAN SCORE", SIZE_MAX, 1 }
};
#define CMD_STATS_BY_NCOLS \
	(sizeof(cmd_stats_by_columns) / sizeof(cmd_stats_by_columns[0]))

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
"With --by or filters: the entries selected (all of them with --by\n"
"alone), one row per group: GROUP, COUNT, SHARE (% of the selection),\n"
"REVIEWED (% of the group naming a human reviewer), MEAN SCORE (of the\n"
"group's entries that have a score, '-' if none), then a (total) row.\n"
"Groups are sorted by count, largest first; days and hours by time.\n"
"A missing field (a loss record's algorithm) is the group (none).\n"
"\n"
"  --store DIR        the store directory\n"
"  --by G             algorithm, version (id@version), decision, class,\n"
"                     producer, day or hour of the event time (local\n"
"                     time, or UTC with --utc)\n"
"  --format FORMAT    table (default) or json (times as ns since the\n"
"                     epoch and as RFC 3339 in UTC)\n"
"  --utc              table times, days and hours in UTC rather than\n"
"                     local time\n"
"\n"
FILTER_HELP
"\n"
"Exit status: 0 ok, 1 runtime failure (a store without indexes: run\n"
"`algaudit reindex`), 2 usage error (a bad filter, or filters without\n"
"an index).\n";

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

/* FNV-1a hash of a NUL-terminated key. */
static uint64_t
cmd_stats_hash(const char *k)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *k != '\0'; k++) {
		h ^= (unsigned char)*k;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Frees the groups' memory (not the struct). */
static void
cmd_stats_groups_free(struct cmd_stats_groups *g)
{
	size_t i;

	for (i = 0; i < g->gs_n; i++)
		free(g->gs_v[i].sg_key);
	free(g->gs_v);
	free(g->gs_slot);
	memset(g, 0, sizeof(*g));
}

/* Rebuilds the hash with nslots slots; returns 0 or ENOMEM. */
static int
cmd_stats_rehash(struct cmd_stats_groups *g, size_t nslots)
{
	size_t *slot, i, j;

	if ((slot = calloc(nslots, sizeof(*slot))) == NULL)
		return ENOMEM;
	for (i = 0; i < g->gs_n; i++) {
		j = cmd_stats_hash(g->gs_v[i].sg_key) & (nslots - 1);
		while (slot[j] != 0)
			j = (j + 1) & (nslots - 1);
		slot[j] = i + 1;
	}
	free(g->gs_slot);
	g->gs_slot = slot;
	g->gs_nslots = nslots;
	return 0;
}

/* Finds or adds the group of key; returns it, or NULL (ENOMEM). */
static struct cmd_stats_group *
cmd_stats_group(struct cmd_stats_groups *g, const char *key)
{
	struct cmd_stats_group *v;
	size_t j, cap;

	if (g->gs_nslots == 0 || (g->gs_n + 1) * 2 > g->gs_nslots)
		if (cmd_stats_rehash(g, g->gs_nslots == 0 ? 64 :
		    g->gs_nslots * 2) != 0)
			return NULL;
	j = cmd_stats_hash(key) & (g->gs_nslots - 1);
	for (; g->gs_slot[j] != 0; j = (j + 1) & (g->gs_nslots - 1))
		if (strcmp(g->gs_v[g->gs_slot[j] - 1].sg_key, key) == 0)
			return &g->gs_v[g->gs_slot[j] - 1];
	if (g->gs_n == g->gs_cap) {
		cap = g->gs_cap == 0 ? 32 : g->gs_cap * 2;
		if ((v = reallocarray(g->gs_v, cap, sizeof(*v))) == NULL)
			return NULL;
		g->gs_v = v;
		g->gs_cap = cap;
	}
	v = &g->gs_v[g->gs_n];
	memset(v, 0, sizeof(*v));
	if ((v->sg_key = strdup(key)) == NULL)
		return NULL;
	g->gs_slot[j] = ++g->gs_n;
	return v;
}

/* Counts entry e into group sg. */
static void
cmd_stats_count(struct cmd_stats_group *sg, const Algaudit__V1__Entry *e)
{
	const Algaudit__V1__DecisionRecord *r = e->record;

	sg->sg_count++;
	if (r == NULL)
		return;
	if (r->reviewer != NULL && r->reviewer[0] != '\0')
		sg->sg_reviewed++;
	if (r->has_score) {
		sg->sg_scored++;
		sg->sg_score_sum += r->score;
	}
	if (r->has_event_time_ns && (!sg->sg_timed ||
	    r->event_time_ns < sg->sg_first_ns)) {
		sg->sg_timed = 1;
		sg->sg_first_ns = r->event_time_ns;
	}
}

/*
 * Writes the day ("2024-05-01") or hour ("2024-05-01T12:00+08:00", "Z"
 * in UTC) of ns into buf; returns 0 or -1.
 */
static int
cmd_stats_when(char *buf, size_t len, int64_t ns, int hour, int utc)
{
	char t[OUTPUT_TIMELEN];

	/* "YYYY-MM-DDTHH:MM:SS" then the zone: keep date, hour, zone. */
	if (output_time_format(t, sizeof(t), ns, 0, utc) == -1 ||
	    strlen(t) < 20)
		return -1;
	if (!hour)
		snprintf(buf, len, "%.10s", t);
	else
		snprintf(buf, len, "%.13s:00%s", t, t + 19);
	return 0;
}

/* Writes the group key of e by by into buf (CMD_STATS_KEYLEN). */
static void
cmd_stats_key(char *buf, size_t len, int by, const Algaudit__V1__Entry *e,
    int utc)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Algorithm *a = r != NULL ? r->algorithm : NULL;

	snprintf(buf, len, "%s", CMD_STATS_NONE);
	switch (by) {
	case CMD_STATS_BY_ALGORITHM:
		if (a != NULL && a->id != NULL)
			snprintf(buf, len, "%s", a->id);
		break;
	case CMD_STATS_BY_VERSION:
		if (a != NULL && a->id != NULL)
			snprintf(buf, len, "%s%s%s", a->id,
			    a->version != NULL ? "@" : "",
			    a->version != NULL ? a->version : "");
		break;
	case CMD_STATS_BY_DECISION:
		if (r != NULL && r->decision != NULL)
			snprintf(buf, len, "%s", r->decision);
		break;
	case CMD_STATS_BY_CLASS:
		if (r != NULL && r->has_data_class)
			snprintf(buf, len, "%s",
			    record_class_name(r->data_class));
		break;
	case CMD_STATS_BY_PRODUCER:
		if (e->producer_id != NULL)
			snprintf(buf, len, "%s", e->producer_id);
		break;
	case CMD_STATS_BY_DAY:
	case CMD_STATS_BY_HOUR:
		if (r != NULL && r->has_event_time_ns &&
		    cmd_stats_when(buf, len, r->event_time_ns,
		    by == CMD_STATS_BY_HOUR, utc) == -1)
			snprintf(buf, len, "%s", CMD_STATS_NONE);
		break;
	}
}

/* qsort: count descending, then key. */
static int
cmd_stats_by_count(const void *a, const void *b)
{
	const struct cmd_stats_group *x = a, *y = b;

	if (x->sg_count != y->sg_count)
		return x->sg_count > y->sg_count ? -1 : 1;
	return strcmp(x->sg_key, y->sg_key);
}

/* qsort: earliest event time first, groups without a time last. */
static int
cmd_stats_by_time(const void *a, const void *b)
{
	const struct cmd_stats_group *x = a, *y = b;

	if (x->sg_timed != y->sg_timed)
		return x->sg_timed ? -1 : 1;
	if (x->sg_timed && x->sg_first_ns != y->sg_first_ns)
		return x->sg_first_ns < y->sg_first_ns ? -1 : 1;
	return strcmp(x->sg_key, y->sg_key);
}

/* Formats 100 * n / d with one decimal and a percent sign. */
static const char *
cmd_stats_pct(char *buf, size_t len, uint64_t n, uint64_t d)
{
	snprintf(buf, len, "%.1f%%", d > 0 ? 100.0 * (double)n / (double)d :
	    0.0);
	return buf;
}

/* Writes one group as a table row. */
static int
cmd_stats_by_row(struct output_table *t, const struct cmd_stats_group *sg,
    uint64_t total)
{
	char cnt[24], share[16], rev[16], mean[OUTPUT_NUMLEN];
	const char *cells[CMD_STATS_BY_NCOLS];

	snprintf(cnt, sizeof(cnt), "%" PRIu64, sg->sg_count);
	if (sg->sg_scored > 0)
		snprintf(mean, sizeof(mean), "%.6g",
		    sg->sg_score_sum / (double)sg->sg_scored);
	else
		snprintf(mean, sizeof(mean), "-");
	cells[0] = sg->sg_key != NULL ? sg->sg_key : CMD_STATS_TOTAL;
	cells[1] = cnt;
	cells[2] = cmd_stats_pct(share, sizeof(share), sg->sg_count, total);
	cells[3] = cmd_stats_pct(rev, sizeof(rev), sg->sg_reviewed,
	    sg->sg_count);
	cells[4] = mean;
	return output_table_row(t, cells);
}

/* Builds the JSON object of one group (or the total). */
static json_t *
cmd_stats_by_json_group(const struct cmd_stats_group *sg, uint64_t total,
    int with_key)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((with_key && json_object_set_new(o, "group",
	    json_string(sg->sg_key)) == -1) ||
	    json_object_set_new(o, "count",
	    json_integer((json_int_t)sg->sg_count)) == -1 ||
	    json_object_set_new(o, "share", json_real(total > 0 ?
	    (double)sg->sg_count / (double)total : 0.0)) == -1 ||
	    json_object_set_new(o, "reviewed",
	    json_integer((json_int_t)sg->sg_reviewed)) == -1 ||
	    json_object_set_new(o, "reviewed_share", json_real(sg->sg_count >
	    0 ? (double)sg->sg_reviewed / (double)sg->sg_count : 0.0)) == -1 ||
	    json_object_set_new(o, "scored",
	    json_integer((json_int_t)sg->sg_scored)) == -1 ||
	    json_object_set_new(o, "mean_score", sg->sg_scored > 0 ?
	    json_real(sg->sg_score_sum / (double)sg->sg_scored) :
	    json_null()) == -1 ||
	    (sg->sg_timed && cmd_stats_json_time(o, "first_event_time_ns",
	    sg->sg_first_ns) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Writes the groups and the total as one JSON object. */
static int
cmd_stats_by_json(const struct cmd_stats_opts *o,
    const struct cmd_stats_groups *g, FILE *out)
{
	json_t *root, *arr = NULL, *go;
	uint64_t total = g->gs_total.sg_count;
	size_t i;
	int rc = ENOMEM;

	if ((root = json_object()) == NULL)
		return ENOMEM;
	if (json_object_set_new(root, "by", o->cs_by != CMD_STATS_BY_NONE ?
	    json_string(cmd_stats_by_names[o->cs_by]) : json_null()) == -1 ||
	    (go = cmd_stats_by_json_group(&g->gs_total, total, 0)) == NULL ||
	    json_object_set_new(root, "total", go) == -1)
		goto out;
	if (o->cs_by != CMD_STATS_BY_NONE) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(root, "groups", arr) == -1)
			goto out;
		for (i = 0; i < g->gs_n; i++)
			if ((go = cmd_stats_by_json_group(&g->gs_v[i], total,
			    1)) == NULL || json_array_append_new(arr, go) == -1)
				goto out;
	}
	rc = 0;
	if (json_dumpf(root, out, JSON_INDENT(2)) == -1 ||
	    fputc('\n', out) == EOF)
		rc = EIO;
out:
	json_decref(root);
	return rc;
}

/* Writes the groups and the total as a table. */
static int
cmd_stats_by_table(const struct cmd_stats_groups *g, FILE *out)
{
	struct output_table *t = NULL;
	size_t i;
	int rc;

	if ((rc = output_table_new(&t, out, cmd_stats_by_columns,
	    CMD_STATS_BY_NCOLS, CMD_STATS_PAGE)) != 0)
		return rc;
	for (i = 0; i < g->gs_n && rc == 0; i++)
		rc = cmd_stats_by_row(t, &g->gs_v[i], g->gs_total.sg_count);
	if (rc == 0)
		rc = cmd_stats_by_row(t, &g->gs_total, g->gs_total.sg_count);
	if (rc == 0)
		rc = output_table_end(t);
	output_table_free(t);
	return rc;
}

/*
 * Counts the entries of st selected by o->cs_filter per group of
 * o->cs_by (or only their total) and writes them to out as a table or
 * JSON. Errors go to stderr. Returns TOOLS_EXIT_OK, TOOLS_EXIT_FAIL or
 * TOOLS_EXIT_USAGE (a selection the engine refuses).
 */
int
cmd_stats_select(struct store *st, const struct cmd_stats_opts *o, FILE *out)
{
	struct cmd_stats_groups g;
	struct cmd_stats_group *sg;
	struct store_view *v = NULL;
	struct filter_sel *s = NULL;
	const Algaudit__V1__Entry *e;
	char err[QUERY_ERRLEN], key[CMD_STATS_KEYLEN];
	uint64_t idx = 0;
	int rc, ex = TOOLS_EXIT_FAIL;

	memset(&g, 0, sizeof(g));	/* gs_total's key NULL: the total */
	if ((rc = store_view_begin(st, &v)) != 0) {
		cli_warnx("stats", "%s: %s", store_path(st),
		    store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if ((rc = filter_sel_open(v, &o->cs_filter, &s, err,
	    sizeof(err))) != 0) {
		ex = filter_sel_error(CMD_STATS_USAGE, store_path(st), rc, 0,
		    err, &o->cs_filter);
		goto out;
	}
	while ((rc = filter_sel_next(s, &idx, &e)) == 0) {
		cmd_stats_count(&g.gs_total, e);
		if (o->cs_by == CMD_STATS_BY_NONE)
			continue;
		cmd_stats_key(key, sizeof(key), o->cs_by, e, o->cs_utc);
		if ((sg = cmd_stats_group(&g, key)) == NULL) {
			cli_warnx("stats", "%s", strerror(ENOMEM));
			goto out;
		}
		cmd_stats_count(sg, e);
	}
	if (rc != STORE_ENOTFOUND) {
		ex = filter_sel_error(CMD_STATS_USAGE, store_path(st), rc, idx,
		    NULL, &o->cs_filter);
		goto out;
	}
	filter_sel_close(s);
	s = NULL;
	store_view_end(v);
	v = NULL;
	if (g.gs_n > 0)
		qsort(g.gs_v, g.gs_n, sizeof(*g.gs_v),
		    o->cs_by == CMD_STATS_BY_DAY || o->cs_by ==
		    CMD_STATS_BY_HOUR ? cmd_stats_by_time : cmd_stats_by_count);
	if (o->cs_format == CMD_STATS_JSON)
		rc = cmd_stats_by_json(o, &g, out);
	else
		rc = cmd_stats_by_table(&g, out);
	if (rc == 0 && (fflush(out) == EOF || ferror(out)))
		rc = EIO;
	if (rc != 0) {
		cli_warnx("stats", "%s", rc == EIO ? "write error" :
		    strerror(rc));
		goto out;
	}
	ex = TOOLS_EXIT_OK;
out:
	filter_sel_close(s);
	store_view_end(v);
	cmd_stats_groups_free(&g);
	return ex;
}

/* algaudit stats: parses the options, opens the store, prints. */
int
cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'F' },
		{ "utc", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_stats_opts o;
	struct filter f;
	struct store *st = NULL;
	const char *dir = NULL;
	size_t i;
	int c, ex;

	memset(&o, 0, sizeof(o));
	o.cs_format = CMD_STATS_TABLE;
	filter_init(&f, output_now_ns());
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (filter_cli_option(CMD_STATS_USAGE, &f, c, optarg))
			continue;
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'b':
			if (o.cs_by != CMD_STATS_BY_NONE)
				cli_usage(CMD_STATS_USAGE, "--by: given twice");
			for (i = 1; i < CMD_STATS_NBY; i++)
				if (strcmp(optarg, cmd_stats_by_names[i]) == 0)
					o.cs_by = (int)i;
			if (o.cs_by == CMD_STATS_BY_NONE)
				cli_usage(CMD_STATS_USAGE, "--by: unknown "
				    "group '%s' (algorithm, version, decision, "
				    "class, producer, day or hour)", optarg);
			break;
		case 'F':
			if (strcmp(optarg, "table") == 0)
				o.cs_format = CMD_STATS_TABLE;
			else if (strcmp(optarg, "json") == 0)
				o.cs_format = CMD_STATS_JSON;
			else
				cli_usage(CMD_STATS_USAGE, "--format: unknown "
				    "format '%s' (table or json)", optarg);
			break;
		case 'u':
			o.cs_utc = 1;
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
	filter_cli_finish(CMD_STATS_USAGE, &f);
	o.cs_filter = f.fl_q;
	tzset();
	if (cli_store_open("stats", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	if (o.cs_by == CMD_STATS_BY_NONE && f.fl_given == 0)
		ex = cmd_stats_run(st, o.cs_format, o.cs_utc, stdout);
	else
		ex = cmd_stats_select(st, &o, stdout);
	store_close(st);
	return ex;
}
