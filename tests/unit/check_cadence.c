/* SPDX-License-Identifier: ISC */
/*
 * check_cadence.c: unit tests of the checkpoint cadence (daemon/
 * cadence.c), the writer's pure decision of when a checkpoint is due:
 * never without new entries; at once after start (no time known) or
 * when asked; after --checkpoint-entries new entries; after
 * --checkpoint-interval ms with new entries; and how long an idle
 * writer may sleep. After a failure the next attempt waits an interval.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemon.h"

static struct cadence C;

/* Every 100 entries or 500 ms; the newest checkpoint at size 1000. */
static void
cadence_setup(void)
{
	cadence_init(&C, 100, 500, 1000);
}

START_TEST(test_nothing_new_never_due)
{
	ck_assert_int_eq(cadence_due(&C, 1000, 0), 0);
	ck_assert_int_eq(cadence_due(&C, 999, 1000000), 0);
	ck_assert_int_eq(cadence_wait_ms(&C, 1000, 5), -1);
	cadence_ask(&C);
	ck_assert_int_eq(cadence_due(&C, 1000, 5), 0);
	ck_assert_int_eq(cadence_wait_ms(&C, 1000, 5), -1);
}
END_TEST

START_TEST(test_due_at_start)
{
	/* Entries past the newest checkpoint (a crash): due at once. */
	ck_assert_int_eq(cadence_due(&C, 1001, 7), 1);
	ck_assert_int_eq(cadence_wait_ms(&C, 1001, 7), 0);
}
END_TEST

START_TEST(test_due_by_count)
{
	cadence_done(&C, 1000, 10000);
	ck_assert_int_eq(cadence_due(&C, 1099, 10001), 0);
	ck_assert_int_eq(cadence_due(&C, 1100, 10001), 1);
	ck_assert_int_eq(cadence_due(&C, 50000, 10001), 1);
}
END_TEST

START_TEST(test_due_by_time)
{
	cadence_done(&C, 1000, 10000);
	ck_assert_int_eq(cadence_due(&C, 1001, 10499), 0);
	ck_assert_int_eq(cadence_due(&C, 1001, 10500), 1);
	ck_assert_int_eq(cadence_wait_ms(&C, 1001, 10000), 500);
	ck_assert_int_eq(cadence_wait_ms(&C, 1001, 10200), 300);
	ck_assert_int_eq(cadence_wait_ms(&C, 1001, 10500), 0);
	ck_assert_int_eq(cadence_wait_ms(&C, 1001, 99999), 0);
	/* Time alone never makes one due. */
	ck_assert_int_eq(cadence_due(&C, 1000, 99999), 0);
}
END_TEST

START_TEST(test_asked)
{
	cadence_done(&C, 1000, 10000);
	cadence_ask(&C);
	ck_assert_int_eq(cadence_due(&C, 1001, 10001), 1);
	ck_assert_int_eq(cadence_wait_ms(&C, 1001, 10001), 0);
	cadence_done(&C, 1001, 10002);
	ck_assert_int_eq(cadence_due(&C, 1002, 10003), 0);
	ck_assert_int_eq(C.cd_asked, 0);
}
END_TEST

START_TEST(test_done_moves_the_base)
{
	cadence_done(&C, 1050, 20000);
	ck_assert_uint_eq(C.cd_size, 1050);
	ck_assert_int_eq(cadence_due(&C, 1149, 20001), 0);
	ck_assert_int_eq(cadence_due(&C, 1150, 20001), 1);
	ck_assert_int_eq(cadence_due(&C, 1051, 20500), 1);
}
END_TEST

START_TEST(test_defer_after_failure)
{
	/* Due by count and by the unknown time, but the store failed. */
	cadence_defer(&C, 30000);
	ck_assert_int_eq(cadence_due(&C, 5000, 30000), 0);
	ck_assert_int_eq(cadence_due(&C, 5000, 30499), 0);
	ck_assert_int_eq(cadence_wait_ms(&C, 5000, 30100), 400);
	ck_assert_int_eq(cadence_due(&C, 5000, 30500), 1);
	cadence_done(&C, 5000, 30600);
	ck_assert_uint_eq(C.cd_retry_ms, 0);
}
END_TEST

START_TEST(test_every_one_entry)
{
	cadence_init(&C, 1, 3600000, 0);
	cadence_done(&C, 0, 1);
	ck_assert_int_eq(cadence_due(&C, 0, 2), 0);
	ck_assert_int_eq(cadence_due(&C, 1, 2), 1);
}
END_TEST

/* The cadence suite: one TCase for due, one for waiting. */
static Suite *
cadence_suite(void)
{
	Suite *s = suite_create("cadence");
	TCase *tc;

	tc = tcase_create("due");
	tcase_add_checked_fixture(tc, cadence_setup, NULL);
	tcase_add_test(tc, test_nothing_new_never_due);
	tcase_add_test(tc, test_due_at_start);
	tcase_add_test(tc, test_due_by_count);
	tcase_add_test(tc, test_due_by_time);
	tcase_add_test(tc, test_asked);
	tcase_add_test(tc, test_done_moves_the_base);
	tcase_add_test(tc, test_every_one_entry);
	suite_add_tcase(s, tc);

	tc = tcase_create("retry");
	tcase_add_checked_fixture(tc, cadence_setup, NULL);
	tcase_add_test(tc, test_defer_after_failure);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(cadence_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
