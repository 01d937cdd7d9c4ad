/* SPDX-License-Identifier: ISC */
/*
 * check_backoff.c: unit tests of the reconnect schedule (backoff.c):
 * the nominal delay doubles from the initial value up to the maximum,
 * each delay is drawn from [nominal / 2, nominal], the draws really
 * vary, and a reset starts over.
 */
#include <check.h>
#include <stdlib.h>

#include "client.h"

START_TEST(test_schedule_bounds)
{
	struct backoff b;
	uint32_t nominal = 50, d;
	int i, seed;

	for (seed = 1; seed <= 50; seed++) {
		backoff_init(&b, 50, 5000, (uint64_t)seed * 7919);
		nominal = 50;
		for (i = 0; i < 20; i++) {
			d = backoff_next(&b);
			ck_assert_uint_ge(d, nominal - nominal / 2);
			ck_assert_uint_le(d, nominal);
			nominal = nominal * 2 > 5000 ? 5000 : nominal * 2;
		}
		/* Capped at the maximum. */
		ck_assert_uint_le(backoff_next(&b), 5000);
		ck_assert_uint_ge(backoff_next(&b), 2500);
	}
}
END_TEST

START_TEST(test_jitter_spread)
{
	struct backoff b;
	uint32_t d, lo = UINT32_MAX, hi = 0;
	int i;

	/* At the maximum, draws cover most of [max / 2, max]. */
	backoff_init(&b, 1000, 1000, 12345);
	for (i = 0; i < 2000; i++) {
		d = backoff_next(&b);
		ck_assert_uint_ge(d, 500);
		ck_assert_uint_le(d, 1000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ck_assert_uint_lt(lo, 550);
	ck_assert_uint_gt(hi, 950);
}
END_TEST

START_TEST(test_reset_and_edges)
{
	struct backoff b;
	int i;

	backoff_init(&b, 10, 80, 0);
	for (i = 0; i < 10; i++)
		(void)backoff_next(&b);
	ck_assert_uint_ge(backoff_next(&b), 40);
	backoff_reset(&b);
	ck_assert_uint_le(backoff_next(&b), 10);
	/* A 1 ms schedule never returns 0. */
	backoff_init(&b, 1, 1, 3);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(backoff_next(&b), 1);
	/* Bad bounds are made sane. */
	backoff_init(&b, 0, 0, 3);
	ck_assert_uint_eq(backoff_next(&b), 1);
	backoff_init(&b, 100, 10, 3);
	ck_assert_uint_le(backoff_next(&b), 100);
	ck_assert_uint_ne(backoff_random(&b), backoff_random(&b));
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("schedule");

	tcase_add_test(tc, test_schedule_bounds);
	tcase_add_test(tc, test_jitter_spread);
	tcase_add_test(tc, test_reset_and_edges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(backoff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
