/* SPDX-License-Identifier: ISC */
/*
 * check_query.c: unit tests of tools/cmd_query.c, tools/cmd_stats.c and
 * tools/cmd_subject.c (Suite "query"): a store is written and indexed
 * with the store API in a fresh temporary directory (checked fixture),
 * reopened read-only as the commands do, and the output of
 * cmd_query_run(), cmd_stats_run(), cmd_stats_select() and
 * cmd_subject_run() in each format is compared with the exact expected
 * text. --follow is run against a child process that commits entries
 * while it waits.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "index.h"
#include "tools.h"

static char check_tmp[512];
static char check_dir[1024];
static struct store *check_st;

/* Writable strings for the protobuf-c messages. */
static char check_demo[] = "demo";
static char check_other[] = "other";
static char check_credit[] = "credit";
static char check_v2[] = "2.0";
static char check_rank[] = "rank";
static char check_s1[] = "s1";
static char check_ab[] = "a,b";
static char check_approve[] = "approve";
static char check_deny[] = "deny";
static char check_t0[] = "t0";
static char check_d1[] = "d\"1";
static char check_unix[] = "unix";

/* Removes one file or directory of the fixture tree. */
static int
check_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Packs e, appends and indexes it in the open transaction. */
static void
check_append(const Algaudit__V1__Entry *e)
{
	uint8_t buf[1024];
	uint64_t idx;
	size_t len;

	len = algaudit__v1__entry__get_packed_size(e);
	ck_assert_uint_le(len, sizeof(buf));
	algaudit__v1__entry__pack(e, buf);
	ck_assert_int_eq(store_append(check_st, buf, len, &idx), 0);
	ck_assert(idx == e->index);
	ck_assert_int_eq(store_index_add(check_st, idx, e), 0);
}

/*
 * Checked fixture: a store with three entries (two records of "demo",
 * a loss record of "other") and their producer rows, reopened
 * read-only in check_st.
 */
static void
check_setup(void)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__DecisionRecord init = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Algorithm ainit = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Peer peer = ALGAUDIT__V1__PEER__INIT;
	struct store_producer p;
	const char *t = getenv("TMPDIR");

	snprintf(check_tmp, sizeof(check_tmp), "%s/check_query.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	snprintf(check_dir, sizeof(check_dir), "%s/store", check_tmp);
	ck_assert_int_eq(store_open(&check_st, check_dir, STORE_CREATE,
	    "test.example/log"), 0);
	ck_assert_int_eq(store_begin(check_st), 0);

	peer.has_uid = peer.has_gid = peer.has_pid = 1;
	peer.uid = 1000;
	peer.gid = 100;
	peer.pid = 77;
	peer.address = check_unix;
	e.has_index = e.has_receive_time_ns = 1;
	e.peer = &peer;
	e.record = &r;

	e.index = 0;
	e.receive_time_ns = 1714564800500000000LL;
	e.producer_id = check_demo;
	a.id = check_credit;
	a.version = check_v2;
	r.algorithm = &a;
	r.has_producer_seq = r.has_event_time_ns = r.has_data_class = 1;
	r.producer_seq = 1;
	r.event_time_ns = 1714564800123456789LL;
	r.subject = check_s1;
	r.decision = check_approve;
	r.has_score = 1;
	r.score = 0.75;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	r.trace_id = check_t0;
	check_append(&e);

	e.index = 1;
	e.receive_time_ns = 1714564801500000000LL;
	r = init;
	a = ainit;
	a.id = check_rank;
	r.algorithm = &a;
	r.has_producer_seq = r.has_event_time_ns = r.has_data_class = 1;
	r.producer_seq = 2;
	r.event_time_ns = 1714564801000000000LL;
	r.subject = check_ab;
	r.decision = check_deny;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	r.decision_id = check_d1;
	check_append(&e);

	e.index = 2;
	e.receive_time_ns = 1714564802500000000LL;
	e.producer_id = check_other;
	e.peer = NULL;
	r = init;
	r.has_producer_seq = r.has_event_time_ns = r.has_data_class = 1;
	r.producer_seq = 5;
	r.event_time_ns = 1714564802000000000LL;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	r.has_lost_records = 1;
	r.lost_records = 3;
	check_append(&e);

	p.sp_seq = 2;
	p.sp_first_ns = 1714564800500000000LL;
	p.sp_last_ns = 1714564801500000000LL;
	p.sp_entries = 2;
	ck_assert_int_eq(store_producer_put(check_st, "demo", &p), 0);
	p.sp_seq = 5;
	p.sp_first_ns = p.sp_last_ns = 1714564802500000000LL;
	p.sp_entries = 1;
	ck_assert_int_eq(store_producer_put(check_st, "other", &p), 0);
	ck_assert_int_eq(store_commit(check_st), 0);
	store_close(check_st);
	ck_assert_int_eq(store_open(&check_st, check_dir, STORE_RDONLY, NULL),
	    0);
}

/* Checked fixture: closes the store and removes the directory. */
static void
check_teardown(void)
{
	store_close(check_st);
	check_st = NULL;
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs a query and returns its exit status and output (caller frees). */
static int
check_query(uint64_t from, uint64_t to, uint64_t limit, int format,
    char **out)
{
	struct cmd_query_opts o;
	size_t len = 0;
	FILE *fp;
	int ex;

	memset(&o, 0, sizeof(o));
	o.cq_filter.qf_from = from;
	if (to != UINT64_MAX) {
		o.cq_filter.qf_to = to;
		o.cq_filter.qf_has_to = 1;
	}
	o.cq_limit = limit;
	o.cq_format = format;
	o.cq_utc = 1;
	*out = NULL;
	fp = open_memstream(out, &len);
	ck_assert_ptr_nonnull(fp);
	ex = cmd_query_run(check_st, &o, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return ex;
}

START_TEST(test_query_jsonl)
{
	char *out;

	ck_assert_int_eq(check_query(0, UINT64_MAX, UINT64_MAX,
	    CMD_QUERY_JSONL, &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "{\"index\":0,\"receive_time_ns\":1714564800500000000,"
	    "\"producer_id\":\"demo\",\"peer\":{\"uid\":1000,\"gid\":100,"
	    "\"pid\":77,\"address\":\"unix\"},\"producer_seq\":1,"
	    "\"event_time_ns\":1714564800123456789,\"algorithm\":{\"id\":"
	    "\"credit\",\"version\":\"2.0\"},\"subject\":\"s1\","
	    "\"decision\":\"approve\",\"score\":0.75,\"data_class\":"
	    "\"ordinary\",\"trace_id\":\"t0\"}\n"
	    "{\"index\":1,\"receive_time_ns\":1714564801500000000,"
	    "\"producer_id\":\"demo\",\"peer\":{\"uid\":1000,\"gid\":100,"
	    "\"pid\":77,\"address\":\"unix\"},\"producer_seq\":2,"
	    "\"event_time_ns\":1714564801000000000,\"algorithm\":{\"id\":"
	    "\"rank\"},\"subject\":\"a,b\",\"decision\":\"deny\","
	    "\"data_class\":\"important\",\"decision_id\":\"d\\\"1\"}\n"
	    "{\"index\":2,\"receive_time_ns\":1714564802500000000,"
	    "\"producer_id\":\"other\",\"producer_seq\":5,"
	    "\"event_time_ns\":1714564802000000000,\"data_class\":"
	    "\"ordinary\",\"lost_records\":3}\n");
	free(out);
}
END_TEST

START_TEST(test_query_csv)
{
	char *out;

	ck_assert_int_eq(check_query(0, UINT64_MAX, UINT64_MAX, CMD_QUERY_CSV,
	    &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "index,event_time,producer_id,algorithm_id,algorithm_version,"
	    "subject,decision,score,data_class,trace_id,decision_id,"
	    "lost_records,clock_skewed\r\n"
	    "0,2024-05-01T12:00:00.123456789Z,demo,credit,2.0,s1,approve,"
	    "0.75,ordinary,t0,,,\r\n"
	    "1,2024-05-01T12:00:01.000000000Z,demo,rank,,\"a,b\",deny,,"
	    "important,,\"d\"\"1\",,\r\n"
	    "2,2024-05-01T12:00:02.000000000Z,other,,,,,,ordinary,,,3,"
	    "\r\n");
	free(out);
}
END_TEST

START_TEST(test_query_table)
{
	char *out;

	ck_assert_int_eq(check_query(0, UINT64_MAX, UINT64_MAX,
	    CMD_QUERY_TABLE, &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "INDEX  EVENT TIME                PRODUCER  ALGORITHM   SUBJECT"
	    "  DECISION          SCORE  CLASS\n"
	    "    0  2024-05-01T12:00:00.123Z  demo      credit@2.0  s1     "
	    "  approve            0.75  ordinary\n"
	    "    1  2024-05-01T12:00:01.000Z  demo      rank        a,b    "
	    "  deny                     important\n"
	    "    2  2024-05-01T12:00:02.000Z  other                        "
	    "  (lost 3 records)         ordinary\n");
	free(out);
}
END_TEST

START_TEST(test_query_range)
{
	char *out;

	/* --to-index is inclusive. */
	ck_assert_int_eq(check_query(1, 1, UINT64_MAX, CMD_QUERY_CSV, &out),
	    TOOLS_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "\r\n1,"));
	ck_assert_ptr_null(strstr(out, "\r\n0,"));
	ck_assert_ptr_null(strstr(out, "\r\n2,"));
	free(out);
	ck_assert_int_eq(check_query(0, 1, UINT64_MAX, CMD_QUERY_JSONL, &out),
	    TOOLS_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"index\":1,"));
	ck_assert_ptr_null(strstr(out, "\"index\":2,"));
	free(out);
	/* --limit counts printed entries from --from-index. */
	ck_assert_int_eq(check_query(1, UINT64_MAX, 1, CMD_QUERY_JSONL, &out),
	    TOOLS_EXIT_OK);
	ck_assert_ptr_eq(strstr(out, "{\"index\":1,"), out);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
	ck_assert_int_eq(check_query(0, UINT64_MAX, 0, CMD_QUERY_JSONL, &out),
	    TOOLS_EXIT_OK);
	ck_assert_str_eq(out, "");
	free(out);
	/* Past the end: nothing, and no error. */
	ck_assert_int_eq(check_query(3, UINT64_MAX, UINT64_MAX,
	    CMD_QUERY_JSONL, &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(check_query(99, UINT64_MAX, UINT64_MAX,
	    CMD_QUERY_TABLE, &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out, "INDEX  EVENT TIME  PRODUCER  ALGORITHM  "
	    "SUBJECT  DECISION  SCORE  CLASS\n");
	free(out);
}
END_TEST

START_TEST(test_query_bad_entry)
{
	char *out;

	/* An entry that does not decode stops the output there: exit 1. */
	store_close(check_st);
	ck_assert_int_eq(store_open(&check_st, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_begin(check_st), 0);
	ck_assert_int_eq(store_append(check_st, "\xff\xff\xff", 3, NULL), 0);
	ck_assert_int_eq(store_commit(check_st), 0);
	ck_assert_int_eq(check_query(1, UINT64_MAX, UINT64_MAX,
	    CMD_QUERY_JSONL, &out), TOOLS_EXIT_FAIL);
	/* What came before it was printed. */
	ck_assert_ptr_eq(strstr(out, "{\"index\":1,"), out);
	ck_assert_ptr_nonnull(strstr(out, "{\"index\":2,"));
	ck_assert_ptr_null(strstr(out, "{\"index\":3,"));
	free(out);
	/* A range that ends before it is fine. */
	ck_assert_int_eq(check_query(0, 2, UINT64_MAX, CMD_QUERY_CSV, &out),
	    TOOLS_EXIT_OK);
	free(out);
}
END_TEST

/* Runs stats and returns its exit status and output (caller frees). */
static int
check_stats(int format, char **out)
{
	size_t len = 0;
	FILE *fp;
	int ex;

	*out = NULL;
	fp = open_memstream(out, &len);
	ck_assert_ptr_nonnull(fp);
	ex = cmd_stats_run(check_st, format, 1, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return ex;
}

START_TEST(test_stats_table)
{
	char *out, want[2048];

	ck_assert_int_eq(check_stats(CMD_STATS_TABLE, &out), TOOLS_EXIT_OK);
	snprintf(want, sizeof(want), "store        %s\n"
	    "origin       test.example/log\n"
	    "format       %d\n", check_dir, STORE_FORMAT_VERSION);
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\nentries      3\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nfile size    "));
	ck_assert_ptr_nonnull(strstr(out, "\nmap          "));
	ck_assert_ptr_nonnull(strstr(out, "\nfirst entry  index 0, received "
	    "2024-05-01T12:00:00.500Z, event 2024-05-01T12:00:00.123Z\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nlast entry   index 2, received "
	    "2024-05-01T12:00:02.500Z, event 2024-05-01T12:00:02.000Z\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nproducers    2\n\n"
	    "PRODUCER  DURABLE SEQ  ENTRIES  FIRST SEEN                "
	    "LAST SEEN\n"
	    "demo                2        2  2024-05-01T12:00:00.500Z  "
	    "2024-05-01T12:00:01.500Z\n"
	    "other               5        1  2024-05-01T12:00:02.500Z  "
	    "2024-05-01T12:00:02.500Z\n"));
	free(out);
}
END_TEST

START_TEST(test_stats_json)
{
	json_error_t jerr;
	json_t *o, *p, *e;
	char *out;

	ck_assert_int_eq(check_stats(CMD_STATS_JSON, &out), TOOLS_EXIT_OK);
	o = json_loads(out, 0, &jerr);
	ck_assert_msg(o != NULL, "%s: %s", out, jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(o, "origin")),
	    "test.example/log");
	ck_assert_int_eq(json_integer_value(json_object_get(o,
	    "format_version")), STORE_FORMAT_VERSION);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "entries")), 3);
	ck_assert_int_gt(json_integer_value(json_object_get(o, "file_size")),
	    0);
	ck_assert_int_gt(json_integer_value(json_object_get(o, "map_used")),
	    0);
	e = json_object_get(o, "last_entry");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "index")), 2);
	ck_assert(json_integer_value(json_object_get(e, "event_time_ns")) ==
	    1714564802000000000LL);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event_time")),
	    "2024-05-01T12:00:02.000000000Z");
	p = json_object_get(o, "producers");
	ck_assert_uint_eq(json_array_size(p), 2);
	p = json_array_get(p, 1);
	ck_assert_str_eq(json_string_value(json_object_get(p, "producer_id")),
	    "other");
	ck_assert_int_eq(json_integer_value(json_object_get(p,
	    "durable_seq")), 5);
	ck_assert_str_eq(json_string_value(json_object_get(p, "last_seen")),
	    "2024-05-01T12:00:02.500000000Z");
	json_decref(o);
	free(out);
}
END_TEST

START_TEST(test_stats_empty)
{
	json_error_t jerr;
	json_t *o;
	char *out, dir[1100];

	store_close(check_st);
	snprintf(dir, sizeof(dir), "%s/empty", check_tmp);
	ck_assert_int_eq(store_open(&check_st, dir, STORE_CREATE, "e/log"), 0);
	ck_assert_int_eq(check_stats(CMD_STATS_TABLE, &out), TOOLS_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "\nentries      0\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nfirst entry  -\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nproducers    0\n\nPRODUCER"));
	free(out);
	ck_assert_int_eq(check_stats(CMD_STATS_JSON, &out), TOOLS_EXIT_OK);
	o = json_loads(out, 0, &jerr);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_is_null(json_object_get(o, "first_entry")));
	ck_assert_uint_eq(json_array_size(json_object_get(o, "producers")), 0);
	json_decref(o);
	free(out);
}
END_TEST

/*
 * Appends, as a writer, entries about subject s1 at indexes 3 to 5:
 * 3 credit@2.0 deny 0.25, reviewed by "rev" after the fact, with an
 * explanation; 4 credit@1.0 approve, no score; 5 rank approve 1. With
 * extra > 0, then `extra` more entries of subject s2 in commits of one
 * every 100 ms (the --follow test's child). Reopens check_st read-only
 * unless extra > 0.
 */
static void
check_more(int extra)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Explanation x = ALGAUDIT__V1__EXPLANATION__INIT;
	Algaudit__V1__Attribution at = ALGAUDIT__V1__ATTRIBUTION__INIT;
	Algaudit__V1__Attribution *ats[1];
	static char r1[] = "R1", r2[] = "R2", text[] = "low\tscore";
	static char income[] = "income", rev[] = "rev", v1[] = "1.0";
	static char s2[] = "s2";
	char *codes[2];
	int i;

	if (extra == 0)
		store_close(check_st);
	ck_assert_int_eq(store_open(&check_st, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_begin(check_st), 0);
	e.has_index = e.has_receive_time_ns = 1;
	e.producer_id = check_demo;
	e.record = &r;
	r.algorithm = &a;
	r.has_producer_seq = r.has_event_time_ns = r.has_data_class = 1;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	r.subject = check_s1;

	e.index = 3;
	e.receive_time_ns = 1714564803500000000LL;
	r.producer_seq = 3;
	r.event_time_ns = 1714564803000000000LL;
	a.id = check_credit;
	a.version = check_v2;
	r.decision = check_deny;
	r.has_score = 1;
	r.score = 0.25;
	r.has_automation = 1;
	r.automation =
	    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_REVIEW_AFTER;
	r.reviewer = rev;
	at.feature = income;
	at.has_weight = 1;
	at.weight = -0.5;
	ats[0] = &at;
	x.n_attributions = 1;
	x.attributions = ats;
	codes[0] = r1;
	codes[1] = r2;
	x.n_reason_codes = 2;
	x.reason_codes = codes;
	x.text = text;
	r.explanation = &x;
	check_append(&e);

	e.index = 4;
	r.producer_seq = 4;
	r.event_time_ns = 1714564804000000000LL;
	a.version = v1;
	r.decision = check_approve;
	r.has_score = 0;
	r.has_automation = 0;
	r.reviewer = NULL;
	r.explanation = NULL;
	check_append(&e);

	e.index = 5;
	r.producer_seq = 5;
	r.event_time_ns = 1714564805000000000LL;
	a.id = check_rank;
	a.version = NULL;
	r.has_score = 1;
	r.score = 1;
	check_append(&e);
	ck_assert_int_eq(store_commit(check_st), 0);

	r.subject = s2;
	for (i = 0; i < extra; i++) {
		usleep(100000);
		ck_assert_int_eq(store_begin(check_st), 0);
		e.index = 6 + (uint64_t)i;
		r.producer_seq = 6 + (uint64_t)i;
		check_append(&e);
		ck_assert_int_eq(store_commit(check_st), 0);
	}
	store_close(check_st);
	check_st = NULL;
	if (extra == 0)
		ck_assert_int_eq(store_open(&check_st, check_dir,
		    STORE_RDONLY, NULL), 0);
}

/*
 * Runs query with filter q (cq_utc set, CSV unless format) and returns
 * its exit status and output (caller frees).
 */
static int
check_select(const struct query_filter *q, int format, uint64_t limit,
    int count, char **out)
{
	struct cmd_query_opts o;
	size_t len = 0;
	FILE *fp;
	int ex;

	memset(&o, 0, sizeof(o));
	o.cq_filter = *q;
	o.cq_limit = limit;
	o.cq_format = format;
	o.cq_count = count;
	o.cq_utc = 1;
	*out = NULL;
	fp = open_memstream(out, &len);
	ck_assert_ptr_nonnull(fp);
	ex = cmd_query_run(check_st, &o, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return ex;
}

/* The CSV's first column (the indexes) joined by spaces, into buf. */
static const char *
check_indexes(const char *csv, char *buf, size_t len)
{
	const char *p;
	size_t n = 0;

	buf[0] = '\0';
	if ((p = strstr(csv, "\r\n")) == NULL)
		return buf;
	for (p += 2; *p != '\0'; p = strstr(p, "\r\n") + 2) {
		n += (size_t)snprintf(buf + n, len - n, "%s%.*s",
		    n > 0 ? " " : "", (int)strcspn(p, ","), p);
		ck_assert_uint_lt(n, len);
	}
	return buf;
}

/* Query q must print exactly the indexes want (space separated). */
static void
check_want(const struct query_filter *q, uint64_t limit, const char *want)
{
	char *out, buf[256];

	ck_assert_int_eq(check_select(q, CMD_QUERY_CSV, limit, 0, &out),
	    TOOLS_EXIT_OK);
	ck_assert_str_eq(check_indexes(out, buf, sizeof(buf)), want);
	free(out);
}

/* Query q with --count must print n. */
static void
check_count(const struct query_filter *q, uint64_t limit, const char *n)
{
	char *out;

	ck_assert_int_eq(check_select(q, CMD_QUERY_TABLE, limit, 1, &out),
	    TOOLS_EXIT_OK);
	ck_assert_str_eq(out, n);
	free(out);
}

START_TEST(test_query_filters)
{
	struct query_filter q;

	check_more(0);
	memset(&q, 0, sizeof(q));
	q.qf_subject = "s1";
	check_want(&q, UINT64_MAX, "0 3 4 5");
	check_count(&q, UINT64_MAX, "4\n");
	check_count(&q, 2, "2\n");
	check_want(&q, 2, "0 3");
	q.qf_reverse = 1;
	check_want(&q, UINT64_MAX, "5 4 3 0");
	/* The next page of a reversed query. */
	q.qf_has_after = 1;
	q.qf_after = 4;
	check_want(&q, 2, "3 0");
	check_count(&q, UINT64_MAX, "2\n");
	q.qf_reverse = 0;
	q.qf_after = 3;
	check_want(&q, UINT64_MAX, "4 5");
	memset(&q, 0, sizeof(q));
	q.qf_algorithm = "credit";
	check_want(&q, UINT64_MAX, "0 3 4");
	q.qf_version = "2.0";
	check_want(&q, UINT64_MAX, "0 3");
	q.qf_reviewed = QUERY_REVIEWED_YES;
	check_want(&q, UINT64_MAX, "3");
	q.qf_reviewed = QUERY_REVIEWED_NO;
	check_want(&q, UINT64_MAX, "0");
	memset(&q, 0, sizeof(q));
	q.qf_subject = "s1";
	q.qf_has_min_score = 1;
	q.qf_min_score = 0.5;
	check_want(&q, UINT64_MAX, "0 5");
	memset(&q, 0, sizeof(q));
	q.qf_producer = "other";
	check_want(&q, UINT64_MAX, "2");
	q.qf_producer = "nobody";
	check_want(&q, UINT64_MAX, "");
	check_count(&q, UINT64_MAX, "0\n");
	/* Without terms: the log by index, no index needed. */
	memset(&q, 0, sizeof(q));
	q.qf_reverse = 1;
	q.qf_from = 2;
	q.qf_has_to = 1;
	q.qf_to = 4;
	check_want(&q, UINT64_MAX, "4 3 2");
	check_count(&q, UINT64_MAX, "3\n");
}
END_TEST

/*
 * Appends, as the daemon would have flagged them, entries 3 to 5: 3
 * credit s1, its event an hour after its receipt, flagged; 4 credit
 * s1, not flagged; 5 rank s2, its event an hour before, flagged.
 * Reopens check_st read-only.
 */
static void
check_skewed(void)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	static char s2[] = "s2";
	const int64_t hour = 3600000000000LL;
	int i;

	store_close(check_st);
	ck_assert_int_eq(store_open(&check_st, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_begin(check_st), 0);
	e.has_index = e.has_receive_time_ns = 1;
	e.producer_id = check_demo;
	e.record = &r;
	r.algorithm = &a;
	r.has_producer_seq = r.has_event_time_ns = r.has_data_class = 1;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	r.decision = check_approve;
	for (i = 3; i <= 5; i++) {
		e.index = (uint64_t)i;
		e.receive_time_ns = 1714564800000000000LL + i * 1000000000LL;
		e.has_clock_skewed = e.clock_skewed = i != 4;
		r.producer_seq = (uint64_t)i;
		r.event_time_ns = e.receive_time_ns + (i == 3 ? hour :
		    i == 5 ? -hour : 0);
		a.id = i < 5 ? check_credit : check_rank;
		r.subject = i < 5 ? check_s1 : s2;
		check_append(&e);
	}
	ck_assert_int_eq(store_commit(check_st), 0);
	store_close(check_st);
	ck_assert_int_eq(store_open(&check_st, check_dir, STORE_RDONLY, NULL),
	    0);
}

/*
 * --clock-skewed: refused alone (no index), with an indexed filter it
 * selects the flagged entries; the flag shows in each format.
 */
START_TEST(test_query_clock_skewed)
{
	struct query_filter q;
	char *out;

	check_skewed();
	memset(&q, 0, sizeof(q));
	q.qf_clock_skewed = 1;
	ck_assert_int_eq(check_select(&q, CMD_QUERY_TABLE, UINT64_MAX, 0,
	    &out), TOOLS_EXIT_USAGE);
	ck_assert_str_eq(out, "");
	free(out);
	q.qf_from = 3;
	ck_assert_int_eq(check_select(&q, CMD_QUERY_CSV, UINT64_MAX, 1,
	    &out), TOOLS_EXIT_USAGE);
	free(out);
	q.qf_from = 0;
	q.qf_algorithm = "credit";
	check_want(&q, UINT64_MAX, "3");
	check_count(&q, UINT64_MAX, "1\n");
	q.qf_algorithm = NULL;
	q.qf_producer = "demo";
	check_want(&q, UINT64_MAX, "3 5");
	q.qf_reverse = 1;
	check_want(&q, UINT64_MAX, "5 3");
	q.qf_reverse = 0;
	q.qf_producer = NULL;
	q.qf_has_since = 1;
	q.qf_since_ns = 0;
	check_want(&q, UINT64_MAX, "3 5");
	q.qf_subject = "s1";
	check_want(&q, UINT64_MAX, "3");
	q.qf_subject = "a,b";
	check_want(&q, UINT64_MAX, "");
	/* The formats. */
	memset(&q, 0, sizeof(q));
	q.qf_from = 3;
	ck_assert_int_eq(check_select(&q, CMD_QUERY_CSV, UINT64_MAX, 0,
	    &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "index,event_time,producer_id,algorithm_id,algorithm_version,"
	    "subject,decision,score,data_class,trace_id,decision_id,"
	    "lost_records,clock_skewed\r\n"
	    "3,2024-05-01T13:00:03.000000000Z,demo,credit,,s1,approve,,"
	    "ordinary,,,,true\r\n"
	    "4,2024-05-01T12:00:04.000000000Z,demo,credit,,s1,approve,,"
	    "ordinary,,,,\r\n"
	    "5,2024-05-01T11:00:05.000000000Z,demo,rank,,s2,approve,,"
	    "ordinary,,,,true\r\n");
	free(out);
	ck_assert_int_eq(check_select(&q, CMD_QUERY_JSONL, UINT64_MAX, 0,
	    &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "{\"index\":3,\"receive_time_ns\":1714564803000000000,"
	    "\"producer_id\":\"demo\",\"clock_skewed\":true,"
	    "\"producer_seq\":3,\"event_time_ns\":1714568403000000000,"
	    "\"algorithm\":{\"id\":\"credit\"},\"subject\":\"s1\","
	    "\"decision\":\"approve\",\"data_class\":\"ordinary\"}\n"
	    "{\"index\":4,\"receive_time_ns\":1714564804000000000,"
	    "\"producer_id\":\"demo\",\"producer_seq\":4,"
	    "\"event_time_ns\":1714564804000000000,"
	    "\"algorithm\":{\"id\":\"credit\"},\"subject\":\"s1\","
	    "\"decision\":\"approve\",\"data_class\":\"ordinary\"}\n"
	    "{\"index\":5,\"receive_time_ns\":1714564805000000000,"
	    "\"producer_id\":\"demo\",\"clock_skewed\":true,"
	    "\"producer_seq\":5,\"event_time_ns\":1714561205000000000,"
	    "\"algorithm\":{\"id\":\"rank\"},\"subject\":\"s2\","
	    "\"decision\":\"approve\",\"data_class\":\"ordinary\"}\n");
	free(out);
	ck_assert_int_eq(check_select(&q, CMD_QUERY_TABLE, UINT64_MAX, 0,
	    &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "INDEX  EVENT TIME                         PRODUCER  ALGORITHM  "
	    "SUBJECT  DECISION  SCORE  CLASS\n"
	    "    3  2024-05-01T13:00:03.000Z (skewed)  demo      credit     "
	    "s1       approve          ordinary\n"
	    "    4  2024-05-01T12:00:04.000Z           demo      credit     "
	    "s1       approve          ordinary\n"
	    "    5  2024-05-01T11:00:05.000Z (skewed)  demo      rank       "
	    "s2       approve          ordinary\n");
	free(out);
}
END_TEST

START_TEST(test_query_refused)
{
	struct query_filter q;
	char *out;

	/* Only filters without an index: a usage error, nothing printed. */
	memset(&q, 0, sizeof(q));
	q.qf_has_max_score = 1;
	q.qf_max_score = 1;
	ck_assert_int_eq(check_select(&q, CMD_QUERY_TABLE, UINT64_MAX, 0,
	    &out), TOOLS_EXIT_USAGE);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(check_select(&q, CMD_QUERY_JSONL, UINT64_MAX, 1,
	    &out), TOOLS_EXIT_USAGE);
	free(out);
	memset(&q, 0, sizeof(q));
	q.qf_version = "1";
	ck_assert_int_eq(check_select(&q, CMD_QUERY_CSV, UINT64_MAX, 0,
	    &out), TOOLS_EXIT_USAGE);
	free(out);
}
END_TEST

START_TEST(test_query_follow)
{
	struct cmd_query_opts o;
	char *out, buf[256];
	size_t len = 0;
	pid_t pid;
	FILE *fp;
	int status, ex;

	/* A writer commits 3 entries (s1), then 4 more (s2) slowly. */
	if ((pid = fork()) == 0) {
		store_close(check_st);
		check_st = NULL;
		usleep(300000);
		check_more(4);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	memset(&o, 0, sizeof(o));
	o.cq_filter.qf_producer = "demo";
	o.cq_limit = 2 + 3 + 4;	/* what there is, then what comes */
	o.cq_format = CMD_QUERY_CSV;
	o.cq_follow = 1;
	o.cq_poll_ms = 20;
	out = NULL;
	fp = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(fp);
	ex = cmd_query_run(check_st, &o, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(ex, TOOLS_EXIT_OK);
	/* Each once, in order, across the polls. */
	ck_assert_str_eq(check_indexes(out, buf, sizeof(buf)),
	    "0 1 3 4 5 6 7 8 9");
	free(out);
}
END_TEST

START_TEST(test_query_follow_to)
{
	struct cmd_query_opts o;
	char *out, buf[256];
	size_t len = 0;
	FILE *fp;

	/* Past --to-index nothing can come: --follow ends by itself. */
	memset(&o, 0, sizeof(o));
	o.cq_filter.qf_producer = "demo";
	o.cq_filter.qf_has_to = 1;
	o.cq_filter.qf_to = 2;
	o.cq_limit = UINT64_MAX;
	o.cq_format = CMD_QUERY_CSV;
	o.cq_follow = 1;
	o.cq_poll_ms = 20;
	out = NULL;
	fp = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(cmd_query_run(check_st, &o, fp), TOOLS_EXIT_OK);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_str_eq(check_indexes(out, buf, sizeof(buf)), "0 1");
	free(out);
}
END_TEST

/* Runs stats over selection q by by; returns status and output. */
static int
check_stats_by(const struct query_filter *q, int by, int format, char **out)
{
	struct cmd_stats_opts o;
	size_t len = 0;
	FILE *fp;
	int ex;

	memset(&o, 0, sizeof(o));
	if (q != NULL)
		o.cs_filter = *q;
	o.cs_by = by;
	o.cs_format = format;
	o.cs_utc = 1;
	*out = NULL;
	fp = open_memstream(out, &len);
	ck_assert_ptr_nonnull(fp);
	ex = cmd_stats_select(check_st, &o, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return ex;
}

START_TEST(test_stats_by_table)
{
	struct query_filter q;
	char *out;

	check_more(0);
	ck_assert_int_eq(check_stats_by(NULL, CMD_STATS_BY_ALGORITHM,
	    CMD_STATS_TABLE, &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "GROUP    COUNT   SHARE  REVIEWED  MEAN SCORE\n"
	    "credit       3   50.0%     33.3%         0.5\n"
	    "rank         2   33.3%      0.0%           1\n"
	    "(none)       1   16.7%      0.0%           -\n"
	    "(total)      6  100.0%     16.7%    0.666667\n");
	free(out);
	ck_assert_int_eq(check_stats_by(NULL, CMD_STATS_BY_VERSION,
	    CMD_STATS_TABLE, &out), TOOLS_EXIT_OK);
	/* Ties by name; the version is part of the group. */
	ck_assert_str_eq(out,
	    "GROUP       COUNT   SHARE  REVIEWED  MEAN SCORE\n"
	    "credit@2.0      2   33.3%     50.0%         0.5\n"
	    "rank            2   33.3%      0.0%           1\n"
	    "(none)          1   16.7%      0.0%           -\n"
	    "credit@1.0      1   16.7%      0.0%           -\n"
	    "(total)         6  100.0%     16.7%    0.666667\n");
	free(out);
	/* Days and hours: by time. */
	ck_assert_int_eq(check_stats_by(NULL, CMD_STATS_BY_HOUR,
	    CMD_STATS_TABLE, &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "GROUP              COUNT   SHARE  REVIEWED  MEAN SCORE\n"
	    "2024-05-01T12:00Z      6  100.0%     16.7%    0.666667\n"
	    "(total)                6  100.0%     16.7%    0.666667\n");
	free(out);
	/* A selection without --by: its total only. */
	memset(&q, 0, sizeof(q));
	q.qf_subject = "s1";
	q.qf_decision = "approve";
	ck_assert_int_eq(check_stats_by(&q, CMD_STATS_BY_NONE,
	    CMD_STATS_TABLE, &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "GROUP    COUNT   SHARE  REVIEWED  MEAN SCORE\n"
	    "(total)      3  100.0%      0.0%       0.875\n");
	free(out);
	/* Only filters without an index: refused. */
	memset(&q, 0, sizeof(q));
	q.qf_reviewed = QUERY_REVIEWED_NO;
	ck_assert_int_eq(check_stats_by(&q, CMD_STATS_BY_DECISION,
	    CMD_STATS_TABLE, &out), TOOLS_EXIT_USAGE);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(test_stats_by_json)
{
	struct query_filter q;
	json_error_t jerr;
	json_t *o, *g, *t;
	char *out;

	check_more(0);
	memset(&q, 0, sizeof(q));
	q.qf_subject = "s1";
	ck_assert_int_eq(check_stats_by(&q, CMD_STATS_BY_DECISION,
	    CMD_STATS_JSON, &out), TOOLS_EXIT_OK);
	o = json_loads(out, 0, &jerr);
	ck_assert_msg(o != NULL, "%s: %s", out, jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(o, "by")),
	    "decision");
	t = json_object_get(o, "total");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "count")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(t, "reviewed")),
	    1);
	g = json_object_get(o, "groups");
	ck_assert_uint_eq(json_array_size(g), 2);
	g = json_array_get(g, 0);
	ck_assert_str_eq(json_string_value(json_object_get(g, "group")),
	    "approve");
	ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), 3);
	ck_assert(json_real_value(json_object_get(g, "share")) == 0.75);
	ck_assert_int_eq(json_integer_value(json_object_get(g, "scored")), 2);
	ck_assert(json_real_value(json_object_get(g, "mean_score")) == 0.875);
	ck_assert_str_eq(json_string_value(json_object_get(g,
	    "first_event_time")), "2024-05-01T12:00:00.123456789Z");
	json_decref(o);
	free(out);
}
END_TEST

/* Runs subject id (plus the filters of q); returns status and output. */
static int
check_subject(const char *id, const struct query_filter *q, int format,
    char **out)
{
	struct cmd_subject_opts o;
	size_t len = 0;
	FILE *fp;
	int ex;

	memset(&o, 0, sizeof(o));
	if (q != NULL)
		o.sj_filter = *q;
	o.sj_filter.qf_subject = id;
	o.sj_format = format;
	o.sj_utc = 1;
	*out = NULL;
	fp = open_memstream(out, &len);
	ck_assert_ptr_nonnull(fp);
	ex = cmd_subject_run(check_st, &o, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return ex;
}

START_TEST(test_subject_table)
{
	char *out;

	check_more(0);
	ck_assert_int_eq(check_subject("s1", NULL, CMD_SUBJECT_TABLE, &out),
	    TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "subject     s1\n"
	    "decisions   4\n"
	    "first       2024-05-01T12:00:00.123Z\n"
	    "last        2024-05-01T12:00:05.000Z\n"
	    "reviewed    1 of 4 by a person\n"
	    "algorithms  credit@1.0 (1), credit@2.0 (2), rank (1)\n"
	    "outcomes    approve 3, deny 1\n"
	    "\n"
	    "credit@1.0: 1 decision, 0 reviewed\n"
	    "INDEX  EVENT TIME                DECISION  SCORE  AUTOMATION  "
	    "REVIEWER  REASONS  EXPLANATION\n"
	    "    4  2024-05-01T12:00:04.000Z  approve          -           "
	    "-\n"
	    "\n"
	    "credit@2.0: 2 decisions, 1 reviewed\n"
	    "INDEX  EVENT TIME                DECISION  SCORE  AUTOMATION"
	    "          REVIEWER  REASONS  EXPLANATION\n"
	    "    0  2024-05-01T12:00:00.123Z  approve    0.75  -          "
	    "         -\n"
	    "    3  2024-05-01T12:00:03.000Z  deny       0.25  human review "
	    "after  rev       R1,R2    low?score\n"
	    "\n"
	    "rank: 1 decision, 0 reviewed\n"
	    "INDEX  EVENT TIME                DECISION  SCORE  AUTOMATION  "
	    "REVIEWER  REASONS  EXPLANATION\n"
	    "    5  2024-05-01T12:00:05.000Z  approve       1  -           "
	    "-\n");
	free(out);
	/* Nobody: the summary says so. */
	ck_assert_int_eq(check_subject("nobody", NULL, CMD_SUBJECT_TABLE,
	    &out), TOOLS_EXIT_OK);
	ck_assert_str_eq(out,
	    "subject     nobody\n"
	    "decisions   0\n"
	    "reviewed    0 of 0 by a person\n"
	    "algorithms  -\n"
	    "outcomes    -\n");
	free(out);
}
END_TEST

START_TEST(test_subject_json)
{
	struct query_filter q;
	json_error_t jerr;
	json_t *o, *a, *g, *r, *x;
	char *out;
	size_t i, n = 0;

	check_more(0);
	ck_assert_int_eq(check_subject("s1", NULL, CMD_SUBJECT_JSON, &out),
	    TOOLS_EXIT_OK);
	o = json_loads(out, 0, &jerr);
	ck_assert_msg(o != NULL, "%s: %s", out, jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(o, "subject")),
	    "s1");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "decisions")),
	    4);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "reviewed")),
	    1);
	ck_assert_str_eq(json_string_value(json_object_get(o,
	    "last_event_time")), "2024-05-01T12:00:05.000000000Z");
	g = json_object_get(o, "outcomes");
	ck_assert_int_eq(json_integer_value(json_object_get(g, "approve")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(g, "deny")), 1);
	a = json_object_get(o, "algorithms");
	ck_assert_uint_eq(json_array_size(a), 3);
	for (i = 0; i < json_array_size(a); i++)
		n += json_array_size(json_object_get(json_array_get(a, i),
		    "records"));
	ck_assert_uint_eq(n, 4);
	g = json_array_get(a, 1);
	ck_assert_str_eq(json_string_value(json_object_get(g, "id")),
	    "credit");
	ck_assert_str_eq(json_string_value(json_object_get(g, "version")),
	    "2.0");
	ck_assert_int_eq(json_integer_value(json_object_get(g, "decisions")),
	    2);
	r = json_array_get(json_object_get(g, "records"), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "index")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(r, "reviewer")),
	    "rev");
	ck_assert_str_eq(json_string_value(json_object_get(r, "automation")),
	    "human_review_after");
	ck_assert(json_real_value(json_object_get(r, "score")) == 0.25);
	x = json_object_get(r, "explanation");
	ck_assert_str_eq(json_string_value(json_object_get(x, "text")),
	    "low\tscore");
	ck_assert_uint_eq(json_array_size(json_object_get(x, "reason_codes")),
	    2);
	x = json_array_get(json_object_get(x, "attributions"), 0);
	ck_assert(json_real_value(json_object_get(x, "weight")) == -0.5);
	/* Not in an access answer: the inputs, the peer. */
	ck_assert_ptr_null(json_object_get(r, "peer"));
	g = json_array_get(a, 2);
	ck_assert(json_is_null(json_object_get(g, "version")));
	json_decref(o);
	free(out);
	/* More filters narrow it; none selected is a valid answer. */
	memset(&q, 0, sizeof(q));
	q.qf_decision = "nothing";
	ck_assert_int_eq(check_subject("s1", &q, CMD_SUBJECT_JSON, &out),
	    TOOLS_EXIT_OK);
	o = json_loads(out, 0, &jerr);
	ck_assert_msg(o != NULL, "%s: %s", out, jerr.text);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "decisions")),
	    0);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "algorithms")),
	    0);
	json_decref(o);
	free(out);
}
END_TEST

/* The suite. */
static Suite *
check_query_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("query");
	tc = tcase_create("query");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_query_jsonl);
	tcase_add_test(tc, test_query_csv);
	tcase_add_test(tc, test_query_table);
	tcase_add_test(tc, test_query_range);
	tcase_add_test(tc, test_query_bad_entry);
	tcase_add_test(tc, test_query_filters);
	tcase_add_test(tc, test_query_refused);
	tcase_add_test(tc, test_query_clock_skewed);
	tcase_add_test(tc, test_query_follow);
	tcase_add_test(tc, test_query_follow_to);
	suite_add_tcase(s, tc);
	tc = tcase_create("stats");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_stats_table);
	tcase_add_test(tc, test_stats_json);
	tcase_add_test(tc, test_stats_empty);
	tcase_add_test(tc, test_stats_by_table);
	tcase_add_test(tc, test_stats_by_json);
	suite_add_tcase(s, tc);
	tc = tcase_create("subject");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_subject_table);
	tcase_add_test(tc, test_subject_json);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_query_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
