/* SPDX-License-Identifier: ISC */
/*
 * cmd_subject.c: `algaudit subject ID`, everything decided about one
 * person, as an answer to an access request (PIPL art. 24, GDPR art. 15
 * and 22): a summary (how many decisions, when, by which algorithms and
 * versions, how many a human reviewed, how many of each outcome), then
 * per algorithm and version every decision with its time, outcome,
 * score, explanation and reason codes (attributions too in JSON), its
 * automation level and its reviewer.
 *
 * The selection is the query engine's subject filter (plus any other
 * filter given), read twice from one view (one snapshot): a first pass
 * counts (memory grows with the algorithms, versions and outcomes, not
 * the decisions), then one query per algorithm and version prints that
 * group's decisions as they come. Nothing holds all the records.
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

#define CMD_SUBJECT_PAGE	100

/* One algorithm and version (version NULL: the records without one). */
struct cmd_subject_pair {
	char		*sp_id;		/* NULL: records without algorithm */
	char		*sp_version;
	uint64_t	 sp_count;
	uint64_t	 sp_reviewed;
};

/* One outcome and its count. */
struct cmd_subject_outcome {
	char		*so_decision;	/* NULL: records without one */
	uint64_t	 so_count;
};

/* What the first pass counts. */
struct cmd_subject_sum {
	uint64_t			 ss_count;
	uint64_t			 ss_reviewed;
	int				 ss_timed;
	int64_t				 ss_first_ns;
	int64_t				 ss_last_ns;
	struct cmd_subject_pair		*ss_pairs;
	size_t				 ss_npairs;
	size_t				 ss_pcap;
	struct cmd_subject_outcome	*ss_outcomes;
	size_t				 ss_noutcomes;
	size_t				 ss_ocap;
};

static const struct output_column cmd_subject_columns[] = {
	{ "INDEX", SIZE_MAX, 1 },
	{ "EVENT TIME", SIZE_MAX, 0 },
	{ "DECISION", 20, 0 },
	{ "SCORE", SIZE_MAX, 1 },
	{ "AUTOMATION", SIZE_MAX, 0 },
	{ "REVIEWER", 20, 0 },
	{ "REASONS", 24, 0 },
	{ "EXPLANATION", 60, 0 }
};
#define CMD_SUBJECT_NCOLS \
	(sizeof(cmd_subject_columns) / sizeof(cmd_subject_columns[0]))

/* Automation levels as the table shows them (enum Automation). */
static const char *const cmd_subject_automation[] = {
	NULL, "automated", "human in the loop", "human review after"
};

/* The fields of a record the JSON form keeps, in the schema's order. */
static const char *const cmd_subject_json_keys[] = {
	"index", "event_time_ns", "decision", "score", "explanation",
	"automation", "reviewer", "data_class", "jurisdiction", "purpose",
	"trace_id", "decision_id", "producer_id"
};
#define CMD_SUBJECT_NJSON_KEYS \
	(sizeof(cmd_subject_json_keys) / sizeof(cmd_subject_json_keys[0]))

static const char cmd_subject_help[] =
"Prints everything the log holds decided about one subject (a data\n"
"subject's access request: PIPL art. 24, GDPR art. 15 and 22), read\n"
"from the subject index, read-only; the daemon may keep running.\n"
"\n"
"First a summary: the number of decisions, the first and last event\n"
"times, the algorithms and versions involved (with their counts), how\n"
"many a human reviewed (a reviewer is named), and how many of each\n"
"outcome. Then, per algorithm and version, every decision: INDEX,\n"
"EVENT TIME, DECISION, SCORE, AUTOMATION, REVIEWER, REASONS (reason\n"
"codes) and EXPLANATION (its text; long values end in an ellipsis in\n"
"the table, the JSON has them whole, with the attributions).\n"
"\n"
"  ID                 the subject, as the producers record it\n"
"  --store DIR        the store directory\n"
"  --format FORMAT    table (default) or json: one object with the\n"
"                     summary and \"algorithms\": [{id, version,\n"
"                     decisions, reviewed, records: [...]}]; record\n"
"                     fields keep the names of `algaudit log`\n"
"  --utc              table times in UTC rather than local time\n"
"\n"
"The filters of `algaudit query` narrow the answer (e.g. --since -30d);\n"
"--subject is the ID. A record's inputs are not shown: `algaudit query\n"
"--subject ID --format jsonl` prints whole records.\n"
"\n"
FILTER_HELP
"\n"
"Exit status: 0 ok (also when nothing was decided about ID), 1 runtime\n"
"failure (a store without indexes: run `algaudit reindex`), 2 usage\n"
"error.\n";

/* Compares two optional strings, NULL first. */
static int
cmd_subject_strcmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == NULL ? (b == NULL ? 0 : -1) : 1;
	return strcmp(a, b);
}

/* qsort: pairs by algorithm id, then version. */
static int
cmd_subject_pair_cmp(const void *a, const void *b)
{
	const struct cmd_subject_pair *x = a, *y = b;
	int c;

	if ((c = cmd_subject_strcmp(x->sp_id, y->sp_id)) != 0)
		return c;
	return cmd_subject_strcmp(x->sp_version, y->sp_version);
}

/* qsort: outcomes by count, largest first, then by name. */
static int
cmd_subject_outcome_cmp(const void *a, const void *b)
{
	const struct cmd_subject_outcome *x = a, *y = b;

	if (x->so_count != y->so_count)
		return x->so_count > y->so_count ? -1 : 1;
	return cmd_subject_strcmp(x->so_decision, y->so_decision);
}

/* Copies an optional string; returns 0, or -1 (ENOMEM). */
static int
cmd_subject_dup(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	return (*out = strdup(s)) == NULL ? -1 : 0;
}

/* Frees what the first pass kept. */
static void
cmd_subject_sum_free(struct cmd_subject_sum *ss)
{
	size_t i;

	for (i = 0; i < ss->ss_npairs; i++) {
		free(ss->ss_pairs[i].sp_id);
		free(ss->ss_pairs[i].sp_version);
	}
	for (i = 0; i < ss->ss_noutcomes; i++)
		free(ss->ss_outcomes[i].so_decision);
	free(ss->ss_pairs);
	free(ss->ss_outcomes);
	memset(ss, 0, sizeof(*ss));
}

/* The algorithm id and version of e (either may be NULL). */
static void
cmd_subject_algo(const Algaudit__V1__Entry *e, const char **id,
    const char **version)
{
	const Algaudit__V1__DecisionRecord *r = e->record;

	*id = *version = NULL;
	if (r != NULL && r->algorithm != NULL) {
		*id = r->algorithm->id;
		*version = r->algorithm->version;
	}
}

/* Whether e names a reviewer. */
static int
cmd_subject_reviewed(const Algaudit__V1__Entry *e)
{
	return e->record != NULL && e->record->reviewer != NULL &&
	    e->record->reviewer[0] != '\0';
}

/* Counts e into the summary; returns 0, or -1 (ENOMEM). */
static int
cmd_subject_add(struct cmd_subject_sum *ss, const Algaudit__V1__Entry *e)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	struct cmd_subject_pair *p;
	struct cmd_subject_outcome *o;
	const char *id, *version, *decision;
	size_t i;
	int rev;

	rev = cmd_subject_reviewed(e);
	ss->ss_count++;
	ss->ss_reviewed += rev;
	if (r != NULL && r->has_event_time_ns) {
		if (!ss->ss_timed || r->event_time_ns < ss->ss_first_ns)
			ss->ss_first_ns = r->event_time_ns;
		if (!ss->ss_timed || r->event_time_ns > ss->ss_last_ns)
			ss->ss_last_ns = r->event_time_ns;
		ss->ss_timed = 1;
	}
	cmd_subject_algo(e, &id, &version);
	for (i = 0; i < ss->ss_npairs; i++)
		if (cmd_subject_strcmp(ss->ss_pairs[i].sp_id, id) == 0 &&
		    cmd_subject_strcmp(ss->ss_pairs[i].sp_version,
		    version) == 0)
			break;
	if (i == ss->ss_npairs) {
		if (ss->ss_npairs == ss->ss_pcap) {
			ss->ss_pcap = ss->ss_pcap == 0 ? 8 : ss->ss_pcap * 2;
			if ((p = reallocarray(ss->ss_pairs, ss->ss_pcap,
			    sizeof(*p))) == NULL)
				return -1;
			ss->ss_pairs = p;
		}
		p = &ss->ss_pairs[ss->ss_npairs];
		memset(p, 0, sizeof(*p));
		ss->ss_npairs++;
		if (cmd_subject_dup(id, &p->sp_id) == -1 ||
		    cmd_subject_dup(version, &p->sp_version) == -1)
			return -1;
	}
	ss->ss_pairs[i].sp_count++;
	ss->ss_pairs[i].sp_reviewed += rev;
	decision = r != NULL ? r->decision : NULL;
	for (i = 0; i < ss->ss_noutcomes; i++)
		if (cmd_subject_strcmp(ss->ss_outcomes[i].so_decision,
		    decision) == 0)
			break;
	if (i == ss->ss_noutcomes) {
		if (ss->ss_noutcomes == ss->ss_ocap) {
			ss->ss_ocap = ss->ss_ocap == 0 ? 8 : ss->ss_ocap * 2;
			if ((o = reallocarray(ss->ss_outcomes, ss->ss_ocap,
			    sizeof(*o))) == NULL)
				return -1;
			ss->ss_outcomes = o;
		}
		o = &ss->ss_outcomes[ss->ss_noutcomes];
		memset(o, 0, sizeof(*o));
		ss->ss_noutcomes++;
		if (cmd_subject_dup(decision, &o->so_decision) == -1)
			return -1;
	}
	ss->ss_outcomes[i].so_count++;
	return 0;
}

/* Writes s to out with unsafe characters as '?' (NULL: "-"). */
static int
cmd_subject_puts(FILE *out, const char *s)
{
	size_t w;
	char *c;

	if ((c = output_cell(s != NULL ? s : "-", SIZE_MAX, &w)) == NULL)
		return ENOMEM;
	fputs(c, out);
	free(c);
	return 0;
}

/* Writes "id@version" (or "(no algorithm)") sanitized to out. */
static int
cmd_subject_put_pair(FILE *out, const struct cmd_subject_pair *p)
{
	int rc;

	if (p->sp_id == NULL) {
		fputs("(no algorithm)", out);
		return 0;
	}
	if ((rc = cmd_subject_puts(out, p->sp_id)) != 0)
		return rc;
	if (p->sp_version == NULL)
		return 0;
	fputc('@', out);
	return cmd_subject_puts(out, p->sp_version);
}

/* Writes the table form's summary lines. */
static int
cmd_subject_table_summary(FILE *out, const char *subject,
    const struct cmd_subject_sum *ss, int utc)
{
	char buf[OUTPUT_TIMELEN];
	size_t i;
	int rc;

	fprintf(out, "%-12s", "subject");
	if ((rc = cmd_subject_puts(out, subject)) != 0)
		return rc;
	fprintf(out, "\n%-12s%" PRIu64 "\n", "decisions", ss->ss_count);
	if (ss->ss_timed) {
		if (output_time_format(buf, sizeof(buf), ss->ss_first_ns, 3,
		    utc) == -1)
			snprintf(buf, sizeof(buf), "-");
		fprintf(out, "%-12s%s\n", "first", buf);
		if (output_time_format(buf, sizeof(buf), ss->ss_last_ns, 3,
		    utc) == -1)
			snprintf(buf, sizeof(buf), "-");
		fprintf(out, "%-12s%s\n", "last", buf);
	}
	fprintf(out, "%-12s%" PRIu64 " of %" PRIu64 " by a person\n",
	    "reviewed", ss->ss_reviewed, ss->ss_count);
	fprintf(out, "%-12s", "algorithms");
	for (i = 0; i < ss->ss_npairs; i++) {
		if (i > 0)
			fputs(", ", out);
		if ((rc = cmd_subject_put_pair(out, &ss->ss_pairs[i])) != 0)
			return rc;
		fprintf(out, " (%" PRIu64 ")", ss->ss_pairs[i].sp_count);
	}
	fprintf(out, "%s\n%-12s", ss->ss_npairs == 0 ? "-" : "", "outcomes");
	for (i = 0; i < ss->ss_noutcomes; i++) {
		if (i > 0)
			fputs(", ", out);
		if ((rc = cmd_subject_puts(out,
		    ss->ss_outcomes[i].so_decision)) != 0)
			return rc;
		fprintf(out, " %" PRIu64, ss->ss_outcomes[i].so_count);
	}
	fprintf(out, "%s\n", ss->ss_noutcomes == 0 ? "-" : "");
	return 0;
}

/* Adds one decision to the group's table; returns 0 or an errno. */
static int
cmd_subject_table_row(struct output_table *t, uint64_t index,
    const Algaudit__V1__Entry *e, int utc)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Explanation *x = r->explanation;
	const char *cells[CMD_SUBJECT_NCOLS];
	char idx[24], when[OUTPUT_TIMELEN], score[OUTPUT_NUMLEN];
	char *reasons = NULL;
	size_t i, len = 0;
	FILE *fp;
	int rc;

	snprintf(idx, sizeof(idx), "%" PRIu64, index);
	when[0] = score[0] = '\0';
	if (r->has_event_time_ns && output_time_format(when, sizeof(when),
	    r->event_time_ns, 3, utc) == -1)
		when[0] = '\0';
	if (r->has_score)
		output_double(score, sizeof(score), r->score);
	if (x != NULL && x->n_reason_codes > 0) {
		if ((fp = open_memstream(&reasons, &len)) == NULL)
			return errno;
		for (i = 0; i < x->n_reason_codes; i++)
			fprintf(fp, "%s%s", i > 0 ? "," : "",
			    x->reason_codes[i] != NULL ?
			    x->reason_codes[i] : "");
		if (fclose(fp) != 0) {
			free(reasons);
			return ENOMEM;
		}
	}
	cells[0] = idx;
	cells[1] = when;
	cells[2] = r->decision;
	cells[3] = score;
	cells[4] = r->has_automation && r->automation > 0 &&
	    (size_t)r->automation < sizeof(cmd_subject_automation) /
	    sizeof(cmd_subject_automation[0]) ?
	    cmd_subject_automation[r->automation] : "-";
	cells[5] = cmd_subject_reviewed(e) ? r->reviewer : "-";
	cells[6] = reasons;
	cells[7] = x != NULL ? x->text : NULL;
	rc = output_table_row(t, cells);
	free(reasons);
	return rc;
}

/* Builds a record's JSON form: the keys of cmd_subject_json_keys. */
static json_t *
cmd_subject_json_record(const Algaudit__V1__Entry *e, char *err,
    size_t errlen)
{
	json_t *full, *o, *v;
	char buf[OUTPUT_TIMELEN];
	size_t i;

	if ((full = json_record_from_entry(e, err, errlen)) == NULL)
		return NULL;
	if ((o = json_object()) == NULL)
		goto nomem;
	for (i = 0; i < CMD_SUBJECT_NJSON_KEYS; i++) {
		if ((v = json_object_get(full, cmd_subject_json_keys[i])) ==
		    NULL)
			continue;
		if (json_object_set(o, cmd_subject_json_keys[i], v) == -1)
			goto nomem;
		if (i == 1 && e->record != NULL &&
		    output_time_format(buf, sizeof(buf),
		    e->record->event_time_ns, 9, 1) == 0 &&
		    json_object_set_new(o, "event_time",
		    json_string(buf)) == -1)
			goto nomem;
	}
	json_decref(full);
	return o;
nomem:
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	json_decref(full);
	json_decref(o);
	return NULL;
}

/*
 * Writes o compactly without its closing brace (o is not empty), so
 * that the caller can go on with more members. Returns 0 or ENOMEM.
 */
static int
cmd_subject_json_open(FILE *out, json_t *o)
{
	char *s;
	size_t len;

	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		return ENOMEM;
	len = strlen(s);
	if (len >= 2 && s[len - 1] == '}')
		fwrite(s, 1, len - 1, out);
	free(s);
	return 0;
}

/* Sets o[key] to ns and o[key without "_ns"] to its RFC 3339 in UTC. */
static int
cmd_subject_json_time(json_t *o, const char *key, int64_t ns)
{
	char name[64], buf[OUTPUT_TIMELEN];

	snprintf(name, sizeof(name), "%.*s", (int)(strlen(key) - 3), key);
	if (json_object_set_new(o, key, json_integer(ns)) == -1)
		return -1;
	if (output_time_format(buf, sizeof(buf), ns, 9, 1) == -1)
		return 0;
	return json_object_set_new(o, name, json_string(buf));
}

/* Writes the JSON form's summary members, up to `"algorithms":[`. */
static int
cmd_subject_json_summary(FILE *out, const char *subject,
    const struct cmd_subject_sum *ss)
{
	json_t *o, *oc;
	size_t i;
	int rc = ENOMEM;

	if ((o = json_object()) == NULL)
		return ENOMEM;
	if (json_object_set_new(o, "subject", json_string(subject)) == -1 ||
	    json_object_set_new(o, "decisions",
	    json_integer((json_int_t)ss->ss_count)) == -1 ||
	    (ss->ss_timed && (cmd_subject_json_time(o, "first_event_time_ns",
	    ss->ss_first_ns) == -1 || cmd_subject_json_time(o,
	    "last_event_time_ns", ss->ss_last_ns) == -1)) ||
	    json_object_set_new(o, "reviewed",
	    json_integer((json_int_t)ss->ss_reviewed)) == -1 ||
	    (oc = json_object()) == NULL ||
	    json_object_set_new(o, "outcomes", oc) == -1)
		goto out;
	for (i = 0; i < ss->ss_noutcomes; i++)
		if (json_object_set_new(oc, ss->ss_outcomes[i].so_decision !=
		    NULL ? ss->ss_outcomes[i].so_decision : "",
		    json_integer((json_int_t)ss->ss_outcomes[i].so_count)) ==
		    -1)
			goto out;
	if ((rc = cmd_subject_json_open(out, o)) == 0)
		fputs(",\"algorithms\":[", out);
out:
	json_decref(o);
	return rc;
}

/* Writes a group's JSON members, up to `"records":[`. */
static int
cmd_subject_json_group(FILE *out, const struct cmd_subject_pair *p,
    size_t nth)
{
	json_t *o;
	int rc = ENOMEM;

	if ((o = json_object()) == NULL)
		return ENOMEM;
	if (json_object_set_new(o, "id", p->sp_id != NULL ?
	    json_string(p->sp_id) : json_null()) == -1 ||
	    json_object_set_new(o, "version", p->sp_version != NULL ?
	    json_string(p->sp_version) : json_null()) == -1 ||
	    json_object_set_new(o, "decisions",
	    json_integer((json_int_t)p->sp_count)) == -1 ||
	    json_object_set_new(o, "reviewed",
	    json_integer((json_int_t)p->sp_reviewed)) == -1)
		goto out;
	fputs(nth > 0 ? ",\n" : "\n", out);
	if ((rc = cmd_subject_json_open(out, o)) == 0)
		fputs(",\"records\":[", out);
out:
	json_decref(o);
	return rc;
}

/*
 * Prints the decisions of one algorithm and version (pair p) of the
 * selection q in view v. Returns an exit status (errors reported).
 */
static int
cmd_subject_group(struct store *st, struct store_view *v,
    const struct query_filter *q, const struct cmd_subject_opts *o,
    const struct cmd_subject_pair *p, size_t nth, FILE *out)
{
	struct output_table *t = NULL;
	struct filter_sel *s = NULL;
	struct query_filter gq;
	const Algaudit__V1__Entry *e;
	const char *id, *version;
	char err[JSON_RECORD_ERRLEN];
	json_t *jr;
	uint64_t idx = 0, n = 0;
	int rc, ex = TOOLS_EXIT_FAIL;

	gq = *q;
	/* Version "": the records without one (query.h). */
	if (p->sp_id != NULL) {
		gq.qf_algorithm = p->sp_id;
		gq.qf_version = p->sp_version != NULL ? p->sp_version : "";
	}
	if ((rc = filter_sel_open(v, &gq, &s, err, sizeof(err))) != 0)
		return filter_sel_error(CMD_SUBJECT_USAGE, store_path(st), rc,
		    0, err, &gq);
	if (o->sj_format == CMD_SUBJECT_JSON) {
		if ((rc = cmd_subject_json_group(out, p, nth)) != 0)
			goto fail;
	} else {
		fputc('\n', out);
		if ((rc = cmd_subject_put_pair(out, p)) != 0)
			goto fail;
		fprintf(out, ": %" PRIu64 " decision%s, %" PRIu64
		    " reviewed\n", p->sp_count, p->sp_count == 1 ? "" : "s",
		    p->sp_reviewed);
		if ((rc = output_table_new(&t, out, cmd_subject_columns,
		    CMD_SUBJECT_NCOLS, CMD_SUBJECT_PAGE)) != 0)
			goto fail;
	}
	while ((rc = filter_sel_next(s, &idx, &e)) == 0) {
		cmd_subject_algo(e, &id, &version);
		if (cmd_subject_strcmp(id, p->sp_id) != 0 ||
		    cmd_subject_strcmp(version, p->sp_version) != 0 ||
		    e->record == NULL)
			continue;
		if (o->sj_format == CMD_SUBJECT_TABLE) {
			if ((rc = cmd_subject_table_row(t, idx, e,
			    o->sj_utc)) != 0)
				goto fail;
			continue;
		}
		if ((jr = cmd_subject_json_record(e, err,
		    sizeof(err))) == NULL) {
			cli_warnx("subject", "entry %" PRIu64 ": %s", idx,
			    err);
			goto out;
		}
		fputs(n++ > 0 ? ",\n" : "\n", out);
		rc = json_dumpf(jr, out, JSON_COMPACT |
		    JSON_REAL_PRECISION(json_record_precision(e->record)));
		json_decref(jr);
		if (rc == -1) {
			rc = EIO;
			goto fail;
		}
	}
	if (rc != STORE_ENOTFOUND) {
		ex = filter_sel_error(CMD_SUBJECT_USAGE, store_path(st), rc,
		    idx, NULL, &gq);
		goto out;
	}
	if (t != NULL && (rc = output_table_end(t)) != 0)
		goto fail;
	if (o->sj_format == CMD_SUBJECT_JSON)
		fputs("]}", out);
	ex = TOOLS_EXIT_OK;
	goto out;
fail:
	cli_warnx("subject", "%s", rc == EIO ? "write error" : strerror(rc));
out:
	output_table_free(t);
	filter_sel_close(s);
	return ex;
}

/*
 * Writes everything the selection o->sj_filter (whose qf_subject is
 * the subject) holds about the subject to out, summary first, as a
 * table or JSON. Errors go to stderr. Returns TOOLS_EXIT_OK,
 * TOOLS_EXIT_FAIL or TOOLS_EXIT_USAGE.
 */
int
cmd_subject_run(struct store *st, const struct cmd_subject_opts *o,
    FILE *out)
{
	struct cmd_subject_sum ss;
	struct store_view *v = NULL;
	struct filter_sel *s = NULL;
	const Algaudit__V1__Entry *e;
	const struct query_filter *q = &o->sj_filter;
	char err[QUERY_ERRLEN];
	uint64_t idx = 0;
	size_t i;
	int rc, ex = TOOLS_EXIT_FAIL;

	memset(&ss, 0, sizeof(ss));
	if ((rc = store_view_begin(st, &v)) != 0) {
		cli_warnx("subject", "%s: %s", store_path(st),
		    store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	/* Pass 1: the summary and the algorithm and version pairs. */
	if ((rc = filter_sel_open(v, q, &s, err, sizeof(err))) != 0) {
		ex = filter_sel_error(CMD_SUBJECT_USAGE, store_path(st), rc, 0,
		    err, q);
		goto out;
	}
	while ((rc = filter_sel_next(s, &idx, &e)) == 0)
		if (cmd_subject_add(&ss, e) == -1) {
			cli_warnx("subject", "%s", strerror(ENOMEM));
			goto out;
		}
	if (rc != STORE_ENOTFOUND) {
		ex = filter_sel_error(CMD_SUBJECT_USAGE, store_path(st), rc,
		    idx, NULL, q);
		goto out;
	}
	filter_sel_close(s);
	s = NULL;
	if (ss.ss_npairs > 0)
		qsort(ss.ss_pairs, ss.ss_npairs, sizeof(*ss.ss_pairs),
		    cmd_subject_pair_cmp);
	if (ss.ss_noutcomes > 0)
		qsort(ss.ss_outcomes, ss.ss_noutcomes,
		    sizeof(*ss.ss_outcomes), cmd_subject_outcome_cmp);
	if (o->sj_format == CMD_SUBJECT_JSON)
		rc = cmd_subject_json_summary(out, q->qf_subject, &ss);
	else
		rc = cmd_subject_table_summary(out, q->qf_subject, &ss,
		    o->sj_utc);
	if (rc != 0) {
		cli_warnx("subject", "%s", strerror(rc));
		goto out;
	}
	/* Pass 2: one query per pair, in the same snapshot. */
	for (i = 0; i < ss.ss_npairs; i++)
		if ((ex = cmd_subject_group(st, v, q, o, &ss.ss_pairs[i], i,
		    out)) != TOOLS_EXIT_OK)
			goto out;
	ex = TOOLS_EXIT_FAIL;
	if (o->sj_format == CMD_SUBJECT_JSON)
		fputs("\n]}\n", out);
	if (fflush(out) == EOF || ferror(out)) {
		cli_warnx("subject", "write error");
		goto out;
	}
	ex = TOOLS_EXIT_OK;
out:
	filter_sel_close(s);
	store_view_end(v);
	cmd_subject_sum_free(&ss);
	return ex;
}

/* algaudit subject: parses the options, opens the store, prints. */
int
cmd_subject(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "utc", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_subject_opts o;
	struct filter f;
	struct store *st = NULL;
	const char *dir = NULL;
	char err[FILTER_ERRLEN];
	int c, ex;

	memset(&o, 0, sizeof(o));
	o.sj_format = CMD_SUBJECT_TABLE;
	filter_init(&f, output_now_ns());
	optind = 0;
	opterr = 0;
	/* No '+': options may follow the ID. */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == FILTER_OPT_SUBJECT)
			cli_usage(CMD_SUBJECT_USAGE, "--subject: the subject "
			    "is the ID argument");
		if (filter_cli_option(CMD_SUBJECT_USAGE, &f, c, optarg))
			continue;
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "table") == 0)
				o.sj_format = CMD_SUBJECT_TABLE;
			else if (strcmp(optarg, "json") == 0)
				o.sj_format = CMD_SUBJECT_JSON;
			else
				cli_usage(CMD_SUBJECT_USAGE, "--format: "
				    "unknown format '%s' (table or json)",
				    optarg);
			break;
		case 'u':
			o.sj_utc = 1;
			break;
		case 'h':
			cli_help(CMD_SUBJECT_USAGE, cmd_subject_help);
		default:
			cli_bad_option(CMD_SUBJECT_USAGE, c, argv);
		}
	}
	if (optind >= argc)
		cli_usage(CMD_SUBJECT_USAGE, "the subject ID is missing");
	if (optind + 1 < argc)
		cli_usage(CMD_SUBJECT_USAGE, "unexpected argument '%s'",
		    argv[optind + 1]);
	if (filter_option(&f, FILTER_OPT_SUBJECT, argv[optind], err,
	    sizeof(err)) == -1)
		cli_usage(CMD_SUBJECT_USAGE, "ID%s", strchr(err, ':') != NULL ?
		    strchr(err, ':') : err);
	if (dir == NULL)
		cli_usage(CMD_SUBJECT_USAGE, "--store: required");
	filter_cli_finish(CMD_SUBJECT_USAGE, &f);
	o.sj_filter = f.fl_q;
	tzset();
	if (cli_store_open("subject", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	ex = cmd_subject_run(st, &o, stdout);
	store_close(st);
	return ex;
}
