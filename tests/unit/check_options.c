/* SPDX-License-Identifier: ISC */
/*
 * check_options.c: unit tests of the options object (options.c): the
 * defaults, every setter's range checks (a refused value leaves the
 * object unchanged) and the copy algaudit_open() takes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "algaudit.h"
#include "client.h"

static struct algaudit_options *o;

static void
setup(void)
{
	ck_assert_int_eq(algaudit_options_new(&o), 0);
}

static void
teardown(void)
{
	algaudit_options_free(o);
	o = NULL;
}

START_TEST(test_defaults)
{
	ck_assert_uint_eq(o->o_queue_records, 65536);
	ck_assert_uint_eq(o->o_queue_bytes, 32u * 1024 * 1024);
	ck_assert_uint_eq(o->o_batch_records, 1024);
	ck_assert_uint_eq(o->o_linger_us, 1000);
	ck_assert_uint_eq(o->o_backoff_initial_ms, 50);
	ck_assert_uint_eq(o->o_backoff_max_ms, 5000);
	ck_assert_int_eq(o->o_overflow, ALGAUDIT_OVERFLOW_BLOCK);
	ck_assert_uint_eq(o->o_block_timeout_ms, 1000);
	ck_assert_ptr_null(o->o_spool_dir);
	ck_assert_uint_eq(o->o_close_timeout_ms, 5000);
	ck_assert_uint_eq(o->o_connect_timeout_ms, 2000);
	ck_assert_ptr_null(o->o_log_fn);
	ck_assert_int_eq(o->o_ack_level, ALGAUDIT_ACK_DURABLE);
	ck_assert_int_eq(o->o_leaf_hashes, 0);
	ck_assert_int_eq(algaudit_options_new(NULL), ALGAUDIT_EINVAL);
	algaudit_options_free(NULL);
}
END_TEST

START_TEST(test_queue)
{
	ck_assert_int_eq(algaudit_options_set_queue(o, 0, 1 << 20),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_queue(o, (1u << 24) + 1,
	    1 << 20), ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_queue(o, 10, 64 * 1024 - 1),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_queue(o, 10,
	    (size_t)4 * 1024 * 1024 * 1024 + 1), ALGAUDIT_EINVAL);
	ck_assert_uint_eq(o->o_queue_records, 65536);
	ck_assert_int_eq(algaudit_options_set_queue(o, 1, 64 * 1024), 0);
	ck_assert_int_eq(algaudit_options_set_queue(o, 1u << 24,
	    (size_t)4 * 1024 * 1024 * 1024), 0);
	ck_assert_uint_eq(o->o_queue_records, 1u << 24);
	ck_assert_int_eq(algaudit_options_set_queue(NULL, 1, 1 << 20),
	    ALGAUDIT_EINVAL);
}
END_TEST

START_TEST(test_batch_backoff_overflow)
{
	ck_assert_int_eq(algaudit_options_set_batch(o, 0, 10),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_batch(o, 65537, 10),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_batch(o, 10, 1000001),
	    ALGAUDIT_EINVAL);
	ck_assert_uint_eq(o->o_batch_records, 1024);
	ck_assert_int_eq(algaudit_options_set_batch(o, 65536, 0), 0);
	ck_assert_int_eq(algaudit_options_set_backoff(o, 0, 10),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_backoff(o, 20, 10),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_backoff(o, 1, 3600001),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_backoff(o, 10, 10), 0);
	ck_assert_int_eq(algaudit_options_set_overflow(o, 3, 0),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_overflow(o, -1, 0),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(o->o_overflow, ALGAUDIT_OVERFLOW_BLOCK);
	ck_assert_int_eq(algaudit_options_set_overflow(o,
	    ALGAUDIT_OVERFLOW_DROP, 7), 0);
	ck_assert_int_eq(o->o_overflow, ALGAUDIT_OVERFLOW_DROP);
	ck_assert_int_eq(algaudit_options_set_connect_timeout(o, 0),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_connect_timeout(o, 100), 0);
	ck_assert_int_eq(algaudit_options_set_close_timeout(o, 0), 0);
	ck_assert_int_eq(algaudit_options_set_close_timeout(NULL, 0),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_log(NULL, NULL, NULL),
	    ALGAUDIT_EINVAL);
}
END_TEST

START_TEST(test_spool_and_copy)
{
	struct algaudit_options copy;

	ck_assert_int_eq(algaudit_options_set_spool(o, "", 0),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_spool(o, "/x", 1000),
	    ALGAUDIT_EINVAL);
	ck_assert_ptr_null(o->o_spool_dir);
	ck_assert_int_eq(algaudit_options_set_spool(o, "/var/spool/a", 0), 0);
	ck_assert_uint_eq(o->o_spool_max, 1024ull * 1024 * 1024);
	ck_assert_int_eq(algaudit_options_set_spool(o, "/var/spool/b",
	    1 << 20), 0);
	ck_assert_str_eq(o->o_spool_dir, "/var/spool/b");
	ck_assert_int_eq(options_copy(&copy, o), 0);
	ck_assert_str_eq(copy.o_spool_dir, "/var/spool/b");
	ck_assert_ptr_ne(copy.o_spool_dir, o->o_spool_dir);
	options_clear(&copy);
	ck_assert_int_eq(algaudit_options_set_spool(o, NULL, 0), 0);
	ck_assert_ptr_null(o->o_spool_dir);
}
END_TEST

START_TEST(test_ack_level_and_receipts)
{
	ck_assert_int_eq(algaudit_options_set_ack_level(o, 2),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_ack_level(o, -1),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_ack_level(NULL,
	    ALGAUDIT_ACK_DURABLE), ALGAUDIT_EINVAL);
	ck_assert_int_eq(o->o_ack_level, ALGAUDIT_ACK_DURABLE);
	ck_assert_int_eq(algaudit_options_set_ack_level(o,
	    ALGAUDIT_ACK_CHECKPOINTED), 0);
	ck_assert_int_eq(o->o_ack_level, ALGAUDIT_ACK_CHECKPOINTED);
	ck_assert_int_eq(algaudit_options_set_ack_level(o,
	    ALGAUDIT_ACK_DURABLE), 0);
	ck_assert_int_eq(o->o_ack_level, ALGAUDIT_ACK_DURABLE);
	ck_assert_int_eq(algaudit_options_set_receipts(NULL, 1),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_receipts(o, 42), 0);
	ck_assert_int_eq(o->o_leaf_hashes, 1);
	ck_assert_int_eq(algaudit_options_set_receipts(o, 0), 0);
	ck_assert_int_eq(o->o_leaf_hashes, 0);
}
END_TEST

static Suite *
options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("setters");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_queue);
	tcase_add_test(tc, test_batch_backoff_overflow);
	tcase_add_test(tc, test_spool_and_copy);
	tcase_add_test(tc, test_ack_level_and_receipts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(options_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
