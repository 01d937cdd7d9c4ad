/* SPDX-License-Identifier: ISC */
/*
 * check_batch.c: unit tests of the daemon's batch check (daemon/batch.c),
 * the decision conn.c takes before anything of a Batch is queued: every
 * record valid, seqs strictly increasing within the batch and above the
 * last seq received on the connection, except duplicates at or below
 * the durable mark of the Welcome (docs/PROTOCOL.md, "Records and
 * sequence numbers"). The error names the record by seq and index.
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define N	8

static Algaudit__V1__DecisionRecord R[N], *P[N];
static Algaudit__V1__Algorithm A;
static char E[512];
static size_t BADIDX;

/* Makes R[i] valid records; seqs are set by each test. */
static void
batch_setup(void)
{
	size_t i;

	algaudit__v1__algorithm__init(&A);
	A.id = (char *)(uintptr_t)"algo";
	for (i = 0; i < N; i++) {
		algaudit__v1__decision_record__init(&R[i]);
		R[i].has_producer_seq = 1;
		R[i].producer_seq = i + 1;
		R[i].has_event_time_ns = 1;
		R[i].event_time_ns = 1;
		R[i].algorithm = &A;
		R[i].decision = (char *)(uintptr_t)"ok";
		R[i].has_data_class = 1;
		R[i].data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
		P[i] = &R[i];
	}
	E[0] = '\0';
	BADIDX = 999;
}

/* Sets the seqs of the first n records from the arguments. */
static void
seqs(size_t n, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		R[i].producer_seq = va_arg(ap, uint64_t);
	va_end(ap);
}

/* Checks the first n records against durable and last. */
static int
check(size_t n, uint64_t durable, uint64_t last)
{
	E[0] = '\0';
	return batch_check(P, n, durable, last, &BADIDX, E, sizeof(E));
}

START_TEST(test_valid_batch)
{
	ck_assert_int_eq(check(N, 0, 0), 0);
	ck_assert_int_eq(check(1, 0, 0), 0);
}
END_TEST

START_TEST(test_empty_batch)
{
	ck_assert_int_eq(check(0, 0, 0), -1);
	ck_assert_uint_eq(BADIDX, 0);
	ck_assert_str_eq(E, "batch: no records");
}
END_TEST

START_TEST(test_invalid_record_named)
{
	R[2].decision = NULL;
	ck_assert_int_eq(check(4, 0, 0), -1);
	ck_assert_uint_eq(BADIDX, 2);
	ck_assert_str_eq(E, "record seq 3 (batch index 2): decision: required, "
	    "missing or empty");
}
END_TEST

START_TEST(test_first_invalid_record_wins)
{
	R[1].has_data_class = 0;
	R[3].decision = NULL;
	ck_assert_int_eq(check(5, 0, 0), -1);
	ck_assert_uint_eq(BADIDX, 1);
	ck_assert_str_eq(E, "record seq 2 (batch index 1): data_class: "
	    "required, unspecified (ordinary, important or core)");
}
END_TEST

START_TEST(test_missing_seq)
{
	R[1].has_producer_seq = 0;
	ck_assert_int_eq(check(3, 0, 0), -1);
	ck_assert_uint_eq(BADIDX, 1);
	ck_assert_str_eq(E, "record seq 0 (batch index 1): producer_seq: "
	    "required, must be greater than 0");
}
END_TEST

START_TEST(test_equal_seq_in_batch)
{
	seqs(3, (uint64_t)101, (uint64_t)101, (uint64_t)103);
	ck_assert_int_eq(check(3, 0, 0), -1);
	ck_assert_uint_eq(BADIDX, 1);
	ck_assert_str_eq(E, "record seq 101 (batch index 1): producer_seq: "
	    "not above the previous record's 101");
}
END_TEST

START_TEST(test_decreasing_seq_in_batch)
{
	seqs(3, (uint64_t)10, (uint64_t)20, (uint64_t)15);
	ck_assert_int_eq(check(3, 0, 0), -1);
	ck_assert_uint_eq(BADIDX, 2);
	ck_assert_str_eq(E, "record seq 15 (batch index 2): producer_seq: "
	    "not above the previous record's 20");
}
END_TEST

START_TEST(test_gaps_allowed)
{
	seqs(3, (uint64_t)5, (uint64_t)500, (uint64_t)UINT64_MAX);
	ck_assert_int_eq(check(3, 0, 4), 0);
}
END_TEST

START_TEST(test_not_above_last_received)
{
	seqs(2, (uint64_t)5, (uint64_t)6);
	ck_assert_int_eq(check(2, 0, 5), -1);
	ck_assert_uint_eq(BADIDX, 0);
	ck_assert_str_eq(E, "record seq 5 (batch index 0): producer_seq: not "
	    "above 5, the last seq received on this connection");
	ck_assert_int_eq(check(2, 0, 4), 0);
}
END_TEST

START_TEST(test_duplicates_at_or_below_durable)
{
	/* Welcome said 10 is durable; 20 received so far. */
	seqs(3, (uint64_t)3, (uint64_t)10, (uint64_t)21);
	ck_assert_int_eq(check(3, 10, 20), 0);
	/* Only duplicates: still fine, the writer skips them. */
	seqs(2, (uint64_t)1, (uint64_t)2);
	ck_assert_int_eq(check(2, 10, 20), 0);
}
END_TEST

START_TEST(test_between_durable_and_last)
{
	seqs(2, (uint64_t)5, (uint64_t)15);
	ck_assert_int_eq(check(2, 10, 20), -1);
	ck_assert_uint_eq(BADIDX, 1);
	ck_assert_str_eq(E, "record seq 15 (batch index 1): producer_seq: not "
	    "above 20, the last seq received on this connection");
	seqs(1, (uint64_t)11);
	ck_assert_int_eq(check(1, 10, 20), -1);
	ck_assert_uint_eq(BADIDX, 0);
}
END_TEST

START_TEST(test_duplicates_still_increasing)
{
	seqs(2, (uint64_t)5, (uint64_t)5);
	ck_assert_int_eq(check(2, 10, 0), -1);
	ck_assert_uint_eq(BADIDX, 1);
	ck_assert_str_eq(E, "record seq 5 (batch index 1): producer_seq: not "
	    "above the previous record's 5");
}
END_TEST

START_TEST(test_message_fits_error_frame)
{
	char big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	R[7].decision = big;
	R[7].producer_seq = UINT64_MAX;
	ck_assert_int_eq(check(8, 0, 0), -1);
	ck_assert_uint_eq(BADIDX, 7);
	ck_assert_ptr_nonnull(strstr(E, "record seq 18446744073709551615 "
	    "(batch index 7): decision: 199 bytes"));
}
END_TEST

/* One suite for the module, one TCase per function family. */
static Suite *
batch_suite(void)
{
	Suite *s = suite_create("batch");
	TCase *tc;

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, batch_setup, NULL);
	tcase_add_test(tc, test_valid_batch);
	tcase_add_test(tc, test_empty_batch);
	tcase_add_test(tc, test_invalid_record_named);
	tcase_add_test(tc, test_first_invalid_record_wins);
	tcase_add_test(tc, test_missing_seq);
	tcase_add_test(tc, test_message_fits_error_frame);
	suite_add_tcase(s, tc);

	tc = tcase_create("seq");
	tcase_add_checked_fixture(tc, batch_setup, NULL);
	tcase_add_test(tc, test_equal_seq_in_batch);
	tcase_add_test(tc, test_decreasing_seq_in_batch);
	tcase_add_test(tc, test_gaps_allowed);
	tcase_add_test(tc, test_not_above_last_received);
	tcase_add_test(tc, test_duplicates_at_or_below_durable);
	tcase_add_test(tc, test_between_durable_and_last);
	tcase_add_test(tc, test_duplicates_still_increasing);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(batch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
