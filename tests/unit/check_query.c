/* SPDX-License-Identifier: ISC */
/*
 * check_query.c: unit tests of tools/cmd_query.c and tools/cmd_stats.c
 * (Suite "query"): a store is written with the store API in a fresh
 * temporary directory (checked fixture), reopened read-only as the
 * commands do, and the output of cmd_query_run() and cmd_stats_run() in
 * each format is compared with the exact expected text.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Packs e and appends it in the open transaction. */
static void
check_append(const Algaudit__V1__Entry *e)
{
	uint8_t buf[1024];
	size_t len;

	len = algaudit__v1__entry__get_packed_size(e);
	ck_assert_uint_le(len, sizeof(buf));
	algaudit__v1__entry__pack(e, buf);
	ck_assert_int_eq(store_append(check_st, buf, len, NULL), 0);
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
	    "lost_records\r\n"
	    "0,2024-05-01T12:00:00.123456789Z,demo,credit,2.0,s1,approve,"
	    "0.75,ordinary,t0,,\r\n"
	    "1,2024-05-01T12:00:01.000000000Z,demo,rank,,\"a,b\",deny,,"
	    "important,,\"d\"\"1\",\r\n"
	    "2,2024-05-01T12:00:02.000000000Z,other,,,,,,ordinary,,,3\r\n");
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
	suite_add_tcase(s, tc);
	tc = tcase_create("stats");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_stats_table);
	tcase_add_test(tc, test_stats_json);
	tcase_add_test(tc, test_stats_empty);
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
