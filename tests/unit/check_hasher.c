/* SPDX-License-Identifier: ISC */
/*
 * check_hasher.c: unit tests of the daemon's leaf hasher (daemon/
 * hasher.c): with 0 to 4 threads, published all at once or a few jobs
 * at a time, every hash equals leaf_compute() of its entry done alone;
 * rounds follow one another on the same arrays; a failing job is named;
 * a cancelled round leaves nothing running.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "leaf.h"

#define NJOBS	1000

static struct leaf_key *K;
static Algaudit__V1__DecisionRecord R[NJOBS];
static Algaudit__V1__Algorithm A;
static struct hasher_job J[NJOBS];
static uint8_t H[NJOBS][LEAF_HASH_LEN], WANT[NJOBS][LEAF_HASH_LEN];

/* A key, NJOBS records, their jobs and the hashes computed alone. */
static void
hasher_setup(void)
{
	struct leaf_ctx *ctx;
	uint8_t master[LEAF_SECRET_LEN];
	size_t i;

	memset(master, 0x5a, sizeof(master));
	ck_assert_int_eq(leaf_key_new(&K, master), 0);
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	algaudit__v1__algorithm__init(&A);
	A.id = (char *)(uintptr_t)"algo";
	for (i = 0; i < NJOBS; i++) {
		algaudit__v1__decision_record__init(&R[i]);
		R[i].has_producer_seq = 1;
		R[i].producer_seq = i + 1;
		R[i].algorithm = &A;
		R[i].decision = (char *)(uintptr_t)(i % 2 ? "approve" : "deny");
		algaudit__v1__entry__init(&J[i].hj_entry);
		J[i].hj_entry.has_index = 1;
		J[i].hj_entry.index = 5000 + i;
		J[i].hj_entry.producer_id = (char *)(uintptr_t)"p";
		J[i].hj_entry.record = &R[i];
		J[i].hj_batch = NULL;
		J[i].hj_rc = -1;
		ck_assert_int_eq(leaf_compute(ctx, K, &J[i].hj_entry, WANT[i]),
		    0);
	}
	leaf_ctx_free(ctx);
	memset(H, 0, sizeof(H));
}

/* Frees the key. */
static void
hasher_teardown(void)
{
	leaf_key_free(K);
	K = NULL;
}

/* Runs one round of n jobs published in steps of step; checks them. */
static void
round_check(struct hasher *hs, size_t n, size_t step)
{
	size_t i, bad = 999999;

	memset(H, 0, sizeof(H));
	hasher_begin(hs, J, &H[0][0]);
	for (i = step; i < n; i += step)
		hasher_publish(hs, i);
	ck_assert_int_eq(hasher_finish(hs, n, &bad), 0);
	ck_assert_uint_eq(bad, 999999);
	for (i = 0; i < n; i++)
		if (memcmp(H[i], WANT[i], LEAF_HASH_LEN) != 0)
			ck_abort_msg("job %zu: wrong hash", i);
	for (; i < NJOBS; i++)
		ck_assert_int_eq(H[i][0] | H[i][31], 0);	/* untouched */
}

START_TEST(test_threads_match_alone)
{
	struct hasher *hs;
	uint64_t leaves, ns;

	ck_assert_int_eq(hasher_new(K, _i, &hs), 0);
	round_check(hs, NJOBS, NJOBS);		/* all at the end */
	round_check(hs, NJOBS, 7);		/* a few at a time */
	round_check(hs, 1, 1);
	round_check(hs, 0, 1);			/* an empty round */
	round_check(hs, 333, 32);
	hasher_stats(hs, &leaves, &ns);
	ck_assert_uint_eq(leaves, 2 * NJOBS + 1 + 333);
	hasher_free(hs);
}
END_TEST

START_TEST(test_failing_job_named)
{
	struct hasher *hs;
	size_t bad = 0;

	/* An entry without a record cannot have a leaf (LEAF_EINVAL). */
	J[600].hj_entry.record = NULL;
	J[800].hj_entry.record = NULL;
	ck_assert_int_eq(hasher_new(K, 2, &hs), 0);
	hasher_begin(hs, J, &H[0][0]);
	hasher_publish(hs, 500);
	ck_assert_int_eq(hasher_finish(hs, NJOBS, &bad), LEAF_EINVAL);
	ck_assert_uint_eq(bad, 600);
	/* The next round is clean again. */
	J[600].hj_entry.record = &R[600];
	J[800].hj_entry.record = &R[800];
	round_check(hs, NJOBS, 100);
	hasher_free(hs);
}
END_TEST

START_TEST(test_cancel)
{
	struct hasher *hs;

	ck_assert_int_eq(hasher_new(K, 3, &hs), 0);
	hasher_begin(hs, J, &H[0][0]);
	hasher_publish(hs, NJOBS);
	hasher_cancel(hs);
	/* Nothing runs any more: a new round on the same arrays is exact. */
	round_check(hs, NJOBS, 64);
	hasher_begin(hs, J, &H[0][0]);
	hasher_cancel(hs);			/* nothing published */
	hasher_free(hs);
	hasher_free(NULL);
}
END_TEST

/* The hasher suite: rounds, and failures and cancels. */
static Suite *
hasher_suite(void)
{
	Suite *s = suite_create("hasher");
	TCase *tc;

	tc = tcase_create("rounds");
	tcase_add_checked_fixture(tc, hasher_setup, hasher_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_threads_match_alone, 0, 5);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, hasher_setup, hasher_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_failing_job_named);
	tcase_add_test(tc, test_cancel);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(hasher_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
