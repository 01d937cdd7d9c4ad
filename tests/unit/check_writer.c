/* SPDX-License-Identifier: ISC */
/*
 * check_writer.c: unit tests of daemon/writer.c (Suite "writer") that
 * need no thread and no store: writer_clock_skew(), the one decision
 * behind Entry.clock_skewed and the algaudit_clock_skew_records_total
 * metric. Its edges: a difference of exactly the threshold is not
 * skewed, one nanosecond more is, either way; no event time is never
 * skewed; the threshold 0; differences at the int64_t extremes (wider
 * than int64_t can hold) and thresholds whose nanoseconds overflow
 * uint64_t. The writer's use of it on stored entries, the metric and
 * SIGHUP are covered by tests/integration/t_clock_skew.sh.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemon.h"

#define NS	1000000000LL

/* A record with event time t, or none when has is 0. */
static Algaudit__V1__DecisionRecord
check_rec(int has, int64_t t)
{
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;

	r.has_event_time_ns = has;
	r.event_time_ns = t;
	return r;
}

/* writer_clock_skew() of a record with event time t. */
static int
check_skew(int64_t t, int64_t recv, uint64_t skew_s)
{
	Algaudit__V1__DecisionRecord r = check_rec(1, t);

	return writer_clock_skew(&r, recv, skew_s);
}

/* Exactly the threshold is within it; a nanosecond more is not. */
START_TEST(test_skew_threshold)
{
	const int64_t recv = 1700000000 * NS;

	ck_assert_int_eq(check_skew(recv, recv, 300), 0);
	ck_assert_int_eq(check_skew(recv + 300 * NS, recv, 300), 0);
	ck_assert_int_eq(check_skew(recv + 300 * NS + 1, recv, 300), 1);
	ck_assert_int_eq(check_skew(recv - 300 * NS, recv, 300), 0);
	ck_assert_int_eq(check_skew(recv - 300 * NS - 1, recv, 300), -1);
	ck_assert_int_eq(check_skew(recv + 3600 * NS, recv, 60), 1);
	ck_assert_int_eq(check_skew(recv - 3600 * NS, recv, 60), -1);
	ck_assert_int_eq(check_skew(recv + 30 * NS, recv, 60), 0);
	ck_assert_int_eq(check_skew(recv - 30 * NS, recv, 60), 0);
	/* Threshold 0: any difference at all. */
	ck_assert_int_eq(check_skew(recv, recv, 0), 0);
	ck_assert_int_eq(check_skew(recv + 1, recv, 0), 1);
	ck_assert_int_eq(check_skew(recv - 1, recv, 0), -1);
}
END_TEST

/* Without an event time, never; nor without a record. */
START_TEST(test_skew_no_event_time)
{
	Algaudit__V1__DecisionRecord r = check_rec(0, INT64_MIN);

	ck_assert_int_eq(writer_clock_skew(&r, INT64_MAX, 0), 0);
	ck_assert_int_eq(writer_clock_skew(&r, 0, 0), 0);
	r = check_rec(0, 0);
	ck_assert_int_eq(writer_clock_skew(&r, 1700000000 * NS, 1), 0);
	ck_assert_int_eq(writer_clock_skew(NULL, 0, 0), 0);
}
END_TEST

/*
 * Differences up to 2^64 - 1 (INT64_MIN to INT64_MAX) are exact, and a
 * threshold whose nanoseconds do not fit 64 bits is never exceeded.
 */
START_TEST(test_skew_extremes)
{
	const uint64_t big = UINT64_MAX / 1000000000;	/* 18446744073 s */

	ck_assert_int_eq(check_skew(INT64_MAX, INT64_MIN, 3153600000ULL), 1);
	ck_assert_int_eq(check_skew(INT64_MIN, INT64_MAX, 3153600000ULL),
	    -1);
	ck_assert_int_eq(check_skew(INT64_MIN, 0, 0), -1);
	ck_assert_int_eq(check_skew(INT64_MAX, 0, 0), 1);
	ck_assert_int_eq(check_skew(INT64_MAX, INT64_MAX, 0), 0);
	ck_assert_int_eq(check_skew(INT64_MIN, INT64_MIN, 0), 0);
	/* big s is 18446744073000000000 ns: below 2^64 - 1. */
	ck_assert_int_eq(check_skew(INT64_MAX, INT64_MIN, big), 1);
	ck_assert_int_eq(check_skew(INT64_MIN, INT64_MAX, big), -1);
	ck_assert_int_eq(check_skew(INT64_MAX, 0, big), 0);
	/* One more second, or any more, cannot be exceeded. */
	ck_assert_int_eq(check_skew(INT64_MAX, INT64_MIN, big + 1), 0);
	ck_assert_int_eq(check_skew(INT64_MIN, INT64_MAX, UINT64_MAX), 0);
	/* The largest --clock-skew (100 years) against 101 years. */
	ck_assert_int_eq(check_skew((int64_t)3185136000 * NS, 0,
	    3153600000ULL), 1);
	ck_assert_int_eq(check_skew((int64_t)3153600000 * NS, 0,
	    3153600000ULL), 0);
}
END_TEST

/* The suite: one case per function family. */
static Suite *
writer_suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc;

	tc = tcase_create("clock_skew");
	tcase_add_test(tc, test_skew_threshold);
	tcase_add_test(tc, test_skew_no_event_time);
	tcase_add_test(tc, test_skew_extremes);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(writer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
