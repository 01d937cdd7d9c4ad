/* SPDX-License-Identifier: ISC */
/*
 * check_filter.c: unit tests of tools/filter.c (Suite "filter"): the
 * time forms (RFC 3339 and relative to a fixed "now", so the tests are
 * deterministic), every option and every bad value it refuses with a
 * message naming the option and the value, the checks across options,
 * the command-line wrappers' exit status, and selections run over a
 * store written with the store API in a fresh temporary directory:
 * the log by index range (order, cursor, count) and the query engine
 * (its answers, and its refusals mapped to exit statuses).
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <check.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "index.h"
#include "tools.h"

#define CHECK_NS	1000000000LL
#define CHECK_NOW	1714564800000000000LL	/* 2024-05-01T12:00:00Z */
#define CHECK_SYN	"query --store DIR"
#define CHECK_N		40	/* entries of the fixture store */

static char check_tmp[512];
static char check_dir[1024];

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

/* A fresh filter with the fixed now. */
static void
check_init(struct filter *f)
{
	filter_init(f, CHECK_NOW);
}

/* Option opt with arg must be refused, err naming want1 and want2. */
static void
check_bad(struct filter *f, int opt, const char *arg, const char *want1,
    const char *want2)
{
	char err[FILTER_ERRLEN];

	err[0] = '\0';
	ck_assert_msg(filter_option(f, opt, arg, err, sizeof(err)) == -1,
	    "%s '%s' accepted", filter_option_name(opt), arg);
	ck_assert_msg(strstr(err, want1) != NULL, "'%s' lacks '%s'", err,
	    want1);
	if (want2 != NULL)
		ck_assert_msg(strstr(err, want2) != NULL, "'%s' lacks '%s'",
		    err, want2);
}

/* Option opt with arg must be accepted. */
static void
check_ok(struct filter *f, int opt, const char *arg)
{
	char err[FILTER_ERRLEN];

	err[0] = '\0';
	ck_assert_msg(filter_option(f, opt, arg, err, sizeof(err)) == 0,
	    "%s '%s': %s", filter_option_name(opt), arg, err);
}

/* The cross-option check must fail with err naming want1 and want2. */
static void
check_bad_finish(struct filter *f, const char *want1, const char *want2)
{
	char err[FILTER_ERRLEN];

	ck_assert_int_eq(filter_finish(f, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, want1) != NULL, "'%s' lacks '%s'", err,
	    want1);
	ck_assert_msg(strstr(err, want2) != NULL, "'%s' lacks '%s'", err,
	    want2);
}

START_TEST(test_time_rfc3339)
{
	int64_t ns;

	ck_assert_int_eq(filter_time_parse("2024-05-01T12:00:00Z", CHECK_NOW,
	    &ns), 0);
	ck_assert(ns == CHECK_NOW);
	ck_assert_int_eq(filter_time_parse("2024-05-01T20:00:00.5+08:00",
	    CHECK_NOW, &ns), 0);
	ck_assert(ns == CHECK_NOW + CHECK_NS / 2);
	ck_assert_int_eq(filter_time_parse("2024-05-01", CHECK_NOW, &ns), -1);
	ck_assert_int_eq(filter_time_parse("yesterday", CHECK_NOW, &ns), -1);
	ck_assert_int_eq(filter_time_parse("", CHECK_NOW, &ns), -1);
}
END_TEST

START_TEST(test_time_relative)
{
	int64_t ns;

	ck_assert_int_eq(filter_time_parse("-90s", CHECK_NOW, &ns), 0);
	ck_assert(ns == CHECK_NOW - 90 * CHECK_NS);
	ck_assert_int_eq(filter_time_parse("-30m", CHECK_NOW, &ns), 0);
	ck_assert(ns == CHECK_NOW - 30 * 60 * CHECK_NS);
	ck_assert_int_eq(filter_time_parse("-24h", CHECK_NOW, &ns), 0);
	ck_assert(ns == CHECK_NOW - 24 * 3600 * CHECK_NS);
	ck_assert_int_eq(filter_time_parse("-7d", CHECK_NOW, &ns), 0);
	ck_assert(ns == CHECK_NOW - 7 * 86400 * CHECK_NS);
	ck_assert_int_eq(filter_time_parse("-0s", CHECK_NOW, &ns), 0);
	ck_assert(ns == CHECK_NOW);
	/* Before the epoch is still a time. */
	ck_assert_int_eq(filter_time_parse("-20000d", CHECK_NOW, &ns), 0);
	ck_assert(ns == CHECK_NOW - 20000LL * 86400 * CHECK_NS);
}
END_TEST

START_TEST(test_time_relative_bad)
{
	static const char *const bad[] = {
		"-", "-5", "-h", "--5h", "-5hh", "-5w", "-5H", "- 5h", "5h",
		"+5h", "-5.5h", "-1x", "-99999999999999999999d",
		"-106752d", "-9223372037s"
	};
	int64_t ns;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(filter_time_parse(bad[i], CHECK_NOW, &ns) == -1,
		    "'%s' accepted", bad[i]);
	/* The largest that fits. */
	ck_assert_int_eq(filter_time_parse("-106751d", CHECK_NOW, &ns), 0);
}
END_TEST

START_TEST(test_option_strings)
{
	struct filter f;
	const struct query_filter *q = &f.fl_q;

	check_init(&f);
	ck_assert_int_eq(filter_option(&f, 'x', "y", NULL, 0), 1);
	check_ok(&f, FILTER_OPT_SUBJECT, "s-1");
	check_ok(&f, FILTER_OPT_DECISION, "deny");
	check_ok(&f, FILTER_OPT_TRACE, "t-1");
	check_ok(&f, FILTER_OPT_DECISION_ID, "d-1");
	check_ok(&f, FILTER_OPT_PRODUCER, "p");
	check_ok(&f, FILTER_OPT_CLASS, "important");
	check_ok(&f, FILTER_OPT_REVIEWED, "no");
	ck_assert_str_eq(q->qf_subject, "s-1");
	ck_assert_str_eq(q->qf_decision, "deny");
	ck_assert_str_eq(q->qf_trace, "t-1");
	ck_assert_str_eq(q->qf_decision_id, "d-1");
	ck_assert_str_eq(q->qf_producer, "p");
	ck_assert_int_eq(q->qf_class,
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT);
	ck_assert_int_eq(q->qf_reviewed, QUERY_REVIEWED_NO);
	ck_assert(filter_has_terms(q));
	check_init(&f);
	check_ok(&f, FILTER_OPT_REVIEWED, "yes");
	ck_assert_int_eq(q->qf_reviewed, QUERY_REVIEWED_YES);
}
END_TEST

/*
 * --clock-skewed takes no value (whatever arg says, it is kept as
 * NULL), selects the flagged entries, is a term of the selection, and
 * is given once.
 */
START_TEST(test_option_clock_skewed)
{
	struct filter f;
	const struct query_filter *q = &f.fl_q;
	char err[FILTER_ERRLEN];

	check_init(&f);
	ck_assert(!filter_has_terms(q));
	ck_assert_str_eq(filter_option_name(FILTER_OPT_CLOCK_SKEWED),
	    "--clock-skewed");
	ck_assert_int_eq(filter_option(&f, FILTER_OPT_CLOCK_SKEWED, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(q->qf_clock_skewed, 1);
	ck_assert(filter_has_terms(q));
	ck_assert_ptr_null(f.fl_args[FILTER_OPT_CLOCK_SKEWED -
	    FILTER_OPT_MIN]);
	ck_assert(f.fl_given & 1u << (FILTER_OPT_CLOCK_SKEWED -
	    FILTER_OPT_MIN));
	check_bad(&f, FILTER_OPT_CLOCK_SKEWED, "", "--clock-skewed: given "
	    "twice", NULL);
	ck_assert_int_eq(filter_finish(&f, err, sizeof(err)), 0);
	/* A value, if a caller passes one, is not kept. */
	check_init(&f);
	check_ok(&f, FILTER_OPT_CLOCK_SKEWED, "yes");
	ck_assert_ptr_null(f.fl_args[FILTER_OPT_CLOCK_SKEWED -
	    FILTER_OPT_MIN]);
	ck_assert_int_eq(q->qf_clock_skewed, 1);
	/* With the others. */
	check_ok(&f, FILTER_OPT_ALGORITHM, "credit");
	check_ok(&f, FILTER_OPT_TO_INDEX, "9");
	ck_assert_str_eq(q->qf_algorithm, "credit");
	ck_assert_int_eq(q->qf_clock_skewed, 1);
}
END_TEST

START_TEST(test_option_algorithm)
{
	struct filter f;
	const struct query_filter *q = &f.fl_q;

	check_init(&f);
	check_ok(&f, FILTER_OPT_ALGORITHM, "credit");
	ck_assert_str_eq(q->qf_algorithm, "credit");
	ck_assert_ptr_null(q->qf_version);
	check_init(&f);
	check_ok(&f, FILTER_OPT_ALGORITHM, "credit@2.0");
	ck_assert_str_eq(q->qf_algorithm, "credit");
	ck_assert_str_eq(q->qf_version, "2.0");
	/* Split at the last '@': ids may hold one, versions not. */
	check_init(&f);
	check_ok(&f, FILTER_OPT_ALGORITHM, "team@model@v1");
	ck_assert_str_eq(q->qf_algorithm, "team@model");
	ck_assert_str_eq(q->qf_version, "v1");
}
END_TEST

START_TEST(test_option_numbers)
{
	struct filter f;
	const struct query_filter *q = &f.fl_q;

	check_init(&f);
	check_ok(&f, FILTER_OPT_MIN_SCORE, "-0.5");
	check_ok(&f, FILTER_OPT_MAX_SCORE, "1e3");
	check_ok(&f, FILTER_OPT_FROM_INDEX, "7");
	check_ok(&f, FILTER_OPT_TO_INDEX, "18446744073709551615");
	ck_assert(q->qf_has_min_score && q->qf_min_score == -0.5);
	ck_assert(q->qf_has_max_score && q->qf_max_score == 1000.0);
	ck_assert(q->qf_from == 7);
	ck_assert(q->qf_has_to && q->qf_to == UINT64_MAX);
	ck_assert_int_eq(filter_finish(&f, NULL, 0), 0);
	/* An index range only is not a term. */
	check_init(&f);
	check_ok(&f, FILTER_OPT_FROM_INDEX, "7");
	ck_assert(!filter_has_terms(q));
	check_ok(&f, FILTER_OPT_MIN_SCORE, "0");
	ck_assert(filter_has_terms(q));
}
END_TEST

START_TEST(test_option_times)
{
	struct filter f;
	const struct query_filter *q = &f.fl_q;

	check_init(&f);
	check_ok(&f, FILTER_OPT_SINCE, "-7d");
	check_ok(&f, FILTER_OPT_UNTIL, "2024-05-01T11:00:00Z");
	ck_assert(q->qf_has_since &&
	    q->qf_since_ns == CHECK_NOW - 7 * 86400 * CHECK_NS);
	ck_assert(q->qf_has_until && q->qf_until_ns == CHECK_NOW - 3600 *
	    CHECK_NS);
	ck_assert_int_eq(filter_finish(&f, NULL, 0), 0);
}
END_TEST

START_TEST(test_option_labels)
{
	struct filter f;
	const struct query_filter *q = &f.fl_q;
	char arg[32];
	int i;

	check_init(&f);
	check_ok(&f, FILTER_OPT_LABEL, "channel=app");
	check_ok(&f, FILTER_OPT_LABEL, "expr=a=b");
	ck_assert_uint_eq(q->qf_nlabels, 2);
	ck_assert_str_eq(q->qf_labels[0].ql_key, "channel");
	ck_assert_str_eq(q->qf_labels[0].ql_value, "app");
	ck_assert_str_eq(q->qf_labels[1].ql_key, "expr");
	ck_assert_str_eq(q->qf_labels[1].ql_value, "a=b");
	for (i = 2; i < QUERY_LABELS_MAX; i++) {
		snprintf(arg, sizeof(arg), "k%d=v", i);
		check_ok(&f, FILTER_OPT_LABEL, arg);
	}
	check_bad(&f, FILTER_OPT_LABEL, "one=more", "--label", "one=more");
	ck_assert_uint_eq(q->qf_nlabels, QUERY_LABELS_MAX);
}
END_TEST

START_TEST(test_bad_values)
{
	char big[600];
	struct filter f;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	check_init(&f);
	check_bad(&f, FILTER_OPT_CLASS, "secret", "--class", "'secret'");
	check_bad(&f, FILTER_OPT_CLASS, "unspecified", "--class",
	    "unspecified");
	check_bad(&f, FILTER_OPT_CLASS, "", "--class", "empty");
	check_bad(&f, FILTER_OPT_SINCE, "yesterday", "--since", "yesterday");
	check_bad(&f, FILTER_OPT_UNTIL, "2024-02-30T00:00:00Z", "--until",
	    "2024-02-30");
	check_bad(&f, FILTER_OPT_SINCE, "", "--since", "empty");
	check_bad(&f, FILTER_OPT_MIN_SCORE, "nan", "--min-score", "NaN");
	check_bad(&f, FILTER_OPT_MAX_SCORE, "NAN", "--max-score", "NaN");
	check_bad(&f, FILTER_OPT_MIN_SCORE, "inf", "--min-score", "finite");
	check_bad(&f, FILTER_OPT_MIN_SCORE, "1e999", "--min-score", "finite");
	check_bad(&f, FILTER_OPT_MIN_SCORE, "0.5x", "--min-score", "0.5x");
	check_bad(&f, FILTER_OPT_MIN_SCORE, " 1", "--min-score", "' 1'");
	check_bad(&f, FILTER_OPT_MIN_SCORE, "", "--min-score", "empty");
	check_bad(&f, FILTER_OPT_REVIEWED, "maybe", "--reviewed", "maybe");
	check_bad(&f, FILTER_OPT_REVIEWED, "", "--reviewed", "''");
	check_bad(&f, FILTER_OPT_FROM_INDEX, "-1", "--from-index", "-1");
	check_bad(&f, FILTER_OPT_FROM_INDEX, "1x", "--from-index", "1x");
	check_bad(&f, FILTER_OPT_TO_INDEX, "18446744073709551616",
	    "--to-index", "out of range");
	check_bad(&f, FILTER_OPT_TO_INDEX, "", "--to-index", "empty");
	check_bad(&f, FILTER_OPT_SUBJECT, "", "--subject", "empty");
	check_bad(&f, FILTER_OPT_DECISION, "", "--decision", "empty");
	check_bad(&f, FILTER_OPT_TRACE, "", "--trace", "empty");
	check_bad(&f, FILTER_OPT_DECISION_ID, "", "--decision-id", "empty");
	check_bad(&f, FILTER_OPT_PRODUCER, "", "--producer", "empty");
	check_bad(&f, FILTER_OPT_SUBJECT, big, "--subject", "longer");
	check_bad(&f, FILTER_OPT_DECISION, big, "--decision", "longer");
	check_bad(&f, FILTER_OPT_SUBJECT, "\xff\xfe", "--subject", "UTF-8");
	check_bad(&f, FILTER_OPT_ALGORITHM, "", "--algorithm", "empty");
	check_bad(&f, FILTER_OPT_ALGORITHM, "@2", "--algorithm", "'@2'");
	check_bad(&f, FILTER_OPT_ALGORITHM, "credit@", "--algorithm",
	    "'credit@'");
	check_bad(&f, FILTER_OPT_ALGORITHM, big, "--algorithm", "longer");
	check_bad(&f, FILTER_OPT_ALGORITHM, "\xc3(", "--algorithm", "UTF-8");
	check_bad(&f, FILTER_OPT_LABEL, "channel", "--label", "'channel'");
	check_bad(&f, FILTER_OPT_LABEL, "=app", "--label", "empty key");
	check_bad(&f, FILTER_OPT_LABEL, "channel=", "--label", "empty value");
	check_bad(&f, FILTER_OPT_LABEL, "", "--label", "KEY=VALUE");
	check_bad(&f, FILTER_OPT_LABEL, "k=\xff", "--label", "UTF-8");
	/* Nothing bad was kept. */
	ck_assert(!filter_has_terms(&f.fl_q));
	ck_assert_uint_eq(f.fl_given, 0);
}
END_TEST

START_TEST(test_given_twice)
{
	static const struct {
		int		 opt;
		const char	*a;
		const char	*b;
	} opts[] = {
		{ FILTER_OPT_ALGORITHM, "a", "b" },
		{ FILTER_OPT_SUBJECT, "a", "b" },
		{ FILTER_OPT_DECISION, "a", "a" },
		{ FILTER_OPT_SINCE, "-1h", "-2h" },
		{ FILTER_OPT_UNTIL, "-1h", "-2h" },
		{ FILTER_OPT_TRACE, "a", "b" },
		{ FILTER_OPT_DECISION_ID, "a", "b" },
		{ FILTER_OPT_CLASS, "core", "ordinary" },
		{ FILTER_OPT_PRODUCER, "a", "b" },
		{ FILTER_OPT_MIN_SCORE, "0", "1" },
		{ FILTER_OPT_MAX_SCORE, "0", "1" },
		{ FILTER_OPT_REVIEWED, "yes", "no" },
		{ FILTER_OPT_FROM_INDEX, "1", "2" },
		{ FILTER_OPT_TO_INDEX, "1", "2" }
	};
	struct filter f;
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		check_init(&f);
		check_ok(&f, opts[i].opt, opts[i].a);
		check_bad(&f, opts[i].opt, opts[i].b, "given twice",
		    filter_option_name(opts[i].opt));
	}
	/* --label is repeatable, but a key only once. */
	check_init(&f);
	check_ok(&f, FILTER_OPT_LABEL, "a=1");
	check_ok(&f, FILTER_OPT_LABEL, "b=1");
	check_bad(&f, FILTER_OPT_LABEL, "a=2", "--label", "'a' given twice");
	check_bad(&f, FILTER_OPT_LABEL, "a=1", "--label", "'a' given twice");
}
END_TEST

START_TEST(test_finish)
{
	struct filter f;

	check_init(&f);
	check_ok(&f, FILTER_OPT_SINCE, "-1h");
	check_ok(&f, FILTER_OPT_UNTIL, "-2h");
	check_bad_finish(&f, "--since '-1h'", "--until '-2h'");
	/* until is exclusive: since == until selects nothing, a mistake. */
	check_init(&f);
	check_ok(&f, FILTER_OPT_UNTIL, "2024-05-01T12:00:00Z");
	check_ok(&f, FILTER_OPT_SINCE, "-0s");
	check_bad_finish(&f, "--since", "not before");
	check_init(&f);
	check_ok(&f, FILTER_OPT_MIN_SCORE, "0.9");
	check_ok(&f, FILTER_OPT_MAX_SCORE, "0.1");
	check_bad_finish(&f, "--min-score '0.9'", "--max-score '0.1'");
	check_init(&f);
	check_ok(&f, FILTER_OPT_TO_INDEX, "3");
	check_ok(&f, FILTER_OPT_FROM_INDEX, "9");
	check_bad_finish(&f, "--to-index '3'", "--from-index '9'");
	/* Equal bounds are fine where both are inclusive. */
	check_init(&f);
	check_ok(&f, FILTER_OPT_MIN_SCORE, "0.5");
	check_ok(&f, FILTER_OPT_MAX_SCORE, "0.5");
	check_ok(&f, FILTER_OPT_FROM_INDEX, "4");
	check_ok(&f, FILTER_OPT_TO_INDEX, "4");
	ck_assert_int_eq(filter_finish(&f, NULL, 0), 0);
	check_init(&f);
	ck_assert_int_eq(filter_finish(&f, NULL, 0), 0);
}
END_TEST

START_TEST(test_cli_ok)
{
	struct filter f;

	check_init(&f);
	ck_assert_int_eq(filter_cli_option(CHECK_SYN, &f, 's', "x"), 0);
	ck_assert_int_eq(filter_cli_option(CHECK_SYN, &f, FILTER_OPT_SUBJECT,
	    "x"), 1);
	filter_cli_finish(CHECK_SYN, &f);
	ck_assert_str_eq(f.fl_q.qf_subject, "x");
}
END_TEST

/* A bad value is a usage error: exit 2. */
START_TEST(test_cli_bad_value)
{
	struct filter f;

	check_init(&f);
	(void)filter_cli_option(CHECK_SYN, &f, FILTER_OPT_CLASS, "secret");
}
END_TEST

/* A conflict across options is a usage error: exit 2. */
START_TEST(test_cli_bad_finish)
{
	struct filter f;

	check_init(&f);
	(void)filter_cli_option(CHECK_SYN, &f, FILTER_OPT_SINCE, "-1h");
	(void)filter_cli_option(CHECK_SYN, &f, FILTER_OPT_UNTIL, "-2h");
	filter_cli_finish(CHECK_SYN, &f);
}
END_TEST

/*
 * Checked fixture: a store of CHECK_N entries, indexed as the daemon
 * does (store_index_add() after each append): entry i has algorithm
 * "a<i % 3>", subject "s<i % 4>", decision "d<i % 2>", a score i / 10.
 */
static void
check_setup(void)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	char algo[8], subject[8], decision[8], producer[] = "p";
	struct store *st;
	uint8_t buf[512];
	uint64_t i, idx;
	size_t len;
	const char *t = getenv("TMPDIR");

	snprintf(check_tmp, sizeof(check_tmp), "%s/check_filter.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	snprintf(check_dir, sizeof(check_dir), "%s/store", check_tmp);
	ck_assert_int_eq(store_open(&st, check_dir, STORE_CREATE, "t/log"),
	    0);
	ck_assert_int_eq(store_begin(st), 0);
	e.has_index = e.has_receive_time_ns = 1;
	e.producer_id = producer;
	e.record = &r;
	r.algorithm = &a;
	r.has_producer_seq = r.has_event_time_ns = r.has_data_class = 1;
	r.has_score = 1;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	a.id = algo;
	r.subject = subject;
	r.decision = decision;
	for (i = 0; i < CHECK_N; i++) {
		snprintf(algo, sizeof(algo), "a%d", (int)(i % 3));
		snprintf(subject, sizeof(subject), "s%d", (int)(i % 4));
		snprintf(decision, sizeof(decision), "d%d", (int)(i % 2));
		e.index = i;
		e.receive_time_ns = CHECK_NOW + (int64_t)i;
		r.producer_seq = i + 1;
		r.event_time_ns = CHECK_NOW + (int64_t)i * CHECK_NS;
		r.score = (double)i / 10;
		len = algaudit__v1__entry__get_packed_size(&e);
		ck_assert_uint_le(len, sizeof(buf));
		algaudit__v1__entry__pack(&e, buf);
		ck_assert_int_eq(store_append(st, buf, len, &idx), 0);
		ck_assert(idx == i);
		ck_assert_int_eq(store_index_add(st, idx, &e), 0);
	}
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st);
}

/* Checked fixture: removes the directory. */
static void
check_teardown(void)
{
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Runs selection q over the fixture store: the indexes it returns, in
 * order, into got (room for CHECK_N + 1), their number, and the count
 * filter_sel_count() gave before the first one. Returns the first
 * failure's code, or 0.
 */
static int
check_select(const struct query_filter *q, uint64_t *got, size_t *n,
    uint64_t *count)
{
	struct store *st;
	struct store_view *v;
	struct filter_sel *s, *c;
	const Algaudit__V1__Entry *e;
	char err[QUERY_ERRLEN];
	uint64_t idx;
	int rc;

	*n = 0;
	ck_assert_int_eq(store_open(&st, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_view_begin(st, &v), 0);
	if ((rc = filter_sel_open(v, q, &s, err, sizeof(err))) != 0) {
		ck_assert_ptr_null(s);
		goto out;
	}
	ck_assert_int_eq(filter_sel_open(v, q, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(filter_sel_count(c, count), 0);
	filter_sel_close(c);
	while ((rc = filter_sel_next(s, &idx, &e)) == 0) {
		ck_assert_uint_lt(*n, CHECK_N + 1);
		ck_assert_ptr_nonnull(e);
		ck_assert(e->index == idx);
		got[(*n)++] = idx;
	}
	ck_assert_int_eq(rc, STORE_ENOTFOUND);
	rc = 0;
	filter_sel_close(s);
out:
	store_view_end(v);
	store_close(st);
	return rc;
}

/* Selection q must give exactly the indexes lo, lo + step, ... hi. */
static void
check_expect(const struct query_filter *q, uint64_t lo, uint64_t hi,
    int64_t step)
{
	uint64_t got[CHECK_N + 1], count, want;
	size_t n, k;

	ck_assert_int_eq(check_select(q, got, &n, &count), 0);
	for (k = 0, want = lo; k < n; k++, want += (uint64_t)step)
		ck_assert_msg(got[k] == want, "result %zu is %llu, want %llu",
		    k, (unsigned long long)got[k], (unsigned long long)want);
	ck_assert_msg(k == (size_t)((int64_t)(hi - lo) / step) + 1,
	    "%zu results", n);
	ck_assert(count == n);
}

/* Selection q must select nothing. */
static void
check_none(const struct query_filter *q)
{
	uint64_t got[CHECK_N + 1], count;
	size_t n;

	ck_assert_int_eq(check_select(q, got, &n, &count), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert(count == 0);
}

START_TEST(test_sel_log)
{
	struct query_filter q;

	memset(&q, 0, sizeof(q));
	check_expect(&q, 0, CHECK_N - 1, 1);
	q.qf_reverse = 1;
	check_expect(&q, CHECK_N - 1, 0, -1);
	q.qf_from = 5;
	q.qf_has_to = 1;
	q.qf_to = 9;
	check_expect(&q, 9, 5, -1);
	q.qf_has_after = 1;
	q.qf_after = 8;
	check_expect(&q, 7, 5, -1);
	q.qf_after = 5;
	check_none(&q);
	q.qf_after = 0;
	check_none(&q);
	q.qf_after = 1000;
	check_expect(&q, 9, 5, -1);
	q.qf_reverse = 0;
	q.qf_after = 6;
	check_expect(&q, 7, 9, 1);
	q.qf_after = 9;
	check_none(&q);
	q.qf_after = UINT64_MAX;
	check_none(&q);
	q.qf_after = 2;
	check_expect(&q, 5, 9, 1);
	/* Past the end of the log: nothing, no error. */
	memset(&q, 0, sizeof(q));
	q.qf_from = CHECK_N;
	check_none(&q);
	q.qf_from = CHECK_N - 1;
	check_expect(&q, CHECK_N - 1, CHECK_N - 1, 1);
	q.qf_has_to = 1;
	q.qf_to = UINT64_MAX;
	check_expect(&q, CHECK_N - 1, CHECK_N - 1, 1);
}
END_TEST

START_TEST(test_sel_engine)
{
	struct query_filter q;

	memset(&q, 0, sizeof(q));
	q.qf_algorithm = "a1";
	check_expect(&q, 1, 37, 3);
	q.qf_reverse = 1;
	check_expect(&q, 37, 1, -3);
	q.qf_has_after = 1;
	q.qf_after = 30;
	check_expect(&q, 28, 1, -3);
	memset(&q, 0, sizeof(q));
	q.qf_subject = "s2";
	q.qf_decision = "d0";
	check_expect(&q, 2, 38, 4);
	q.qf_has_min_score = 1;
	q.qf_min_score = 1.0;
	q.qf_has_max_score = 1;
	q.qf_max_score = 3.0;
	check_expect(&q, 10, 30, 4);
	memset(&q, 0, sizeof(q));
	q.qf_has_since = q.qf_has_until = 1;
	q.qf_since_ns = CHECK_NOW + 10 * CHECK_NS;
	q.qf_until_ns = CHECK_NOW + 20 * CHECK_NS;
	check_expect(&q, 10, 19, 1);
	q.qf_subject = "nobody";
	check_none(&q);
	/* With an index, --clock-skewed runs; none here is flagged. */
	memset(&q, 0, sizeof(q));
	q.qf_algorithm = "a1";
	q.qf_clock_skewed = 1;
	check_none(&q);
}
END_TEST

START_TEST(test_sel_refused)
{
	struct query_filter q;
	uint64_t got[CHECK_N + 1], count;
	size_t n;

	/* Only filters without an index: a scan, refused; a usage error. */
	memset(&q, 0, sizeof(q));
	q.qf_reviewed = QUERY_REVIEWED_YES;
	ck_assert_int_eq(check_select(&q, got, &n, &count), QUERY_EUNINDEXED);
	ck_assert_int_eq(filter_sel_error(CHECK_SYN, check_dir,
	    QUERY_EUNINDEXED, 0, "", &q), TOOLS_EXIT_USAGE);
	memset(&q, 0, sizeof(q));
	q.qf_labels[0].ql_key = "k";
	q.qf_labels[0].ql_value = "v";
	q.qf_nlabels = 1;
	ck_assert_int_eq(check_select(&q, got, &n, &count), QUERY_EUNINDEXED);
	/* --clock-skewed has no index, even in an index range. */
	memset(&q, 0, sizeof(q));
	q.qf_clock_skewed = 1;
	ck_assert_int_eq(check_select(&q, got, &n, &count), QUERY_EUNINDEXED);
	q.qf_from = 1;
	q.qf_has_to = 1;
	q.qf_to = 5;
	ck_assert_int_eq(check_select(&q, got, &n, &count), QUERY_EUNINDEXED);
	ck_assert_int_eq(filter_sel_error(CHECK_SYN, check_dir,
	    QUERY_EUNINDEXED, 0, "", &q), TOOLS_EXIT_USAGE);
	/* A version without an algorithm is malformed. */
	memset(&q, 0, sizeof(q));
	q.qf_version = "1";
	ck_assert_int_eq(check_select(&q, got, &n, &count), QUERY_EFILTER);
	ck_assert_int_eq(filter_sel_error(CHECK_SYN, check_dir, QUERY_EFILTER,
	    0, "x", &q), TOOLS_EXIT_USAGE);
	ck_assert_int_eq(filter_sel_error(CHECK_SYN, check_dir, QUERY_ENOINDEX,
	    0, "x", &q), TOOLS_EXIT_FAIL);
	ck_assert_int_eq(filter_sel_error(CHECK_SYN, check_dir, QUERY_EDECODE,
	    3, NULL, &q), TOOLS_EXIT_FAIL);
	ck_assert_int_eq(filter_sel_error(CHECK_SYN, check_dir, STORE_ELMDB,
	    0, NULL, &q), TOOLS_EXIT_FAIL);
}
END_TEST

/* Progress callback that dies after the first commit of a reindex. */
static void
check_die(uint64_t done, uint64_t total, void *arg)
{
	(void)done;
	(void)total;
	(void)arg;
	_exit(0);
}

START_TEST(test_sel_unfinished_index)
{
	struct query_filter q;
	struct store *st;
	uint64_t got[CHECK_N + 1], count;
	size_t n;
	pid_t pid;
	int status;

	/* A reindex that dies half-way leaves the indexes unfinished. */
	if ((pid = fork()) == 0) {
		if (store_open(&st, check_dir, 0, NULL) != 0)
			_exit(2);
		(void)store_reindex(st, 0, NULL, 0, 1, check_die, NULL, NULL);
		_exit(3);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	memset(&q, 0, sizeof(q));
	q.qf_subject = "s1";
	ck_assert_int_eq(check_select(&q, got, &n, &count), QUERY_ENOINDEX);
	/* The log itself needs no index. */
	memset(&q, 0, sizeof(q));
	check_expect(&q, 0, CHECK_N - 1, 1);
	/* Run again, it finishes. */
	ck_assert_int_eq(store_open(&st, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_reindex(st, 0, NULL, 0, 0, NULL, NULL, NULL),
	    0);
	store_close(st);
	q.qf_subject = "s1";
	check_expect(&q, 1, 37, 4);
}
END_TEST

/* The suite. */
static Suite *
check_filter_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("filter");
	tc = tcase_create("time");
	tcase_add_test(tc, test_time_rfc3339);
	tcase_add_test(tc, test_time_relative);
	tcase_add_test(tc, test_time_relative_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("option");
	tcase_add_test(tc, test_option_strings);
	tcase_add_test(tc, test_option_clock_skewed);
	tcase_add_test(tc, test_option_algorithm);
	tcase_add_test(tc, test_option_numbers);
	tcase_add_test(tc, test_option_times);
	tcase_add_test(tc, test_option_labels);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_given_twice);
	tcase_add_test(tc, test_finish);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_add_test(tc, test_cli_ok);
	/* Exit tests need a process each: not under CK_FORK=no (valgrind). */
	if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0) {
		tcase_add_exit_test(tc, test_cli_bad_value, TOOLS_EXIT_USAGE);
		tcase_add_exit_test(tc, test_cli_bad_finish, TOOLS_EXIT_USAGE);
	}
	suite_add_tcase(s, tc);
	tc = tcase_create("select");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_sel_log);
	tcase_add_test(tc, test_sel_engine);
	tcase_add_test(tc, test_sel_refused);
	tcase_add_test(tc, test_sel_unfinished_index);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_filter_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
