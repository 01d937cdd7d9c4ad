/* SPDX-License-Identifier: ISC */
/*
 * check_queue.c: unit tests of the ring between application threads
 * and the I/O thread (queue.c): wrap-around with records of varying
 * size, in-order consumption of slots published out of order, many
 * producer threads, the bounded wait for room and shutdown.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

/* Fills a record of len bytes derived from its tag. */
static void
fill(uint8_t *p, size_t len, uint64_t tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(tag * 31 + i);
}

/* Checks a record filled by fill(). */
static int
check_fill(const uint8_t *p, size_t len, uint64_t tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(tag * 31 + i))
			return 0;
	return 1;
}

START_TEST(test_wrap_varying_sizes)
{
	struct queue *q;
	uint64_t pos, next = 0, tail = 0, recs, bytes, k;
	uint64_t rng = 88172645463325252ull;
	const uint8_t *data;
	uint8_t *buf;
	size_t len, want[64];
	int i, rc;

	ck_assert_int_eq(queue_new(16, 1000, &q), 0);
	ck_assert_uint_eq(queue_capacity_records(q), 16);
	ck_assert_uint_eq(queue_capacity_bytes(q), 1000);
	ck_assert_uint_gt(queue_memory(q), 1000);
	ck_assert_int_eq(queue_reserve(q, 1001, NULL, &pos, &buf),
	    QUEUE_TOOBIG);
	ck_assert_int_eq(queue_reserve(q, 0, NULL, &pos, &buf), QUEUE_TOOBIG);
	for (i = 0; i < 200000; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		len = 1 + rng % 300;
		rc = queue_reserve(q, len, NULL, &pos, &buf);
		if (rc == QUEUE_OK) {
			if (pos != next)
				ck_abort_msg("position %llu, expected %llu",
				    (unsigned long long)pos,
				    (unsigned long long)next);
			want[pos % 64] = len;
			fill(buf, len, pos);
			queue_publish(q, pos);
			next++;
			continue;
		}
		queue_usage(q, &recs, &bytes);
		if (rc != QUEUE_FULL || recs > 16 || recs == 0 || bytes > 1000)
			ck_abort_msg("rc %d with %llu records, %llu bytes", rc,
			    (unsigned long long)recs,
			    (unsigned long long)bytes);
		/* Consume about half, in order. */
		for (k = (next - tail + 1) / 2; k > 0; k--) {
			data = queue_data(q, tail, &len);
			queue_set_seq(q, tail, tail + 1);
			if (!queue_published(q, tail) ||
			    len != want[tail % 64] ||
			    !check_fill(data, len, tail) ||
			    queue_seq(q, tail) != tail + 1)
				ck_abort_msg("slot %llu damaged",
				    (unsigned long long)tail);
			queue_release(q, 1);
			tail++;
		}
	}
	ck_assert_uint_eq(queue_tail(q), tail);
	ck_assert_uint_eq(queue_head(q), next);
	ck_assert(!queue_published(q, next));
	queue_free(q);
	queue_free(NULL);
}
END_TEST

START_TEST(test_out_of_order_publish)
{
	struct queue *q;
	uint64_t a, b, c;
	uint8_t *ba, *bb, *bc;

	ck_assert_int_eq(queue_new(4, 64 * 1024, &q), 0);
	ck_assert_int_eq(queue_reserve(q, 10, NULL, &a, &ba), QUEUE_OK);
	ck_assert_int_eq(queue_reserve(q, 20, NULL, &b, &bb), QUEUE_OK);
	ck_assert_int_eq(queue_reserve(q, 30, NULL, &c, &bc), QUEUE_OK);
	ck_assert(a == 0 && b == 1 && c == 2);
	queue_publish(q, c);
	queue_publish(q, b);
	/* The consumer stops at the first unpublished slot. */
	ck_assert(!queue_published(q, a));
	queue_publish(q, a);
	ck_assert(queue_published(q, a) && queue_published(q, b) &&
	    queue_published(q, c));
	queue_release(q, 3);
	/* A slot from the previous lap is not taken for the next one. */
	ck_assert_int_eq(queue_reserve(q, 5, NULL, &a, &ba), QUEUE_OK);
	queue_publish(q, a);
	ck_assert(!queue_published(q, a + 4));
	queue_free(q);
}
END_TEST

#define PRODUCERS	4
#define PER_PRODUCER	50000

struct producer {
	struct queue	*p_q;
	int		 p_id;
};

/* Records are [id][counter (8 bytes)][padding]. */
static void *
producer_main(void *arg)
{
	struct producer *p = arg;
	struct timespec far;
	uint64_t pos, k, rng = 0x9e3779b97f4a7c15ull * (uint64_t)(p->p_id + 1);
	uint8_t *buf;
	size_t len;

	clock_gettime(CLOCK_MONOTONIC, &far);
	far.tv_sec += 60;
	for (k = 0; k < PER_PRODUCER; k++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		len = 9 + rng % 200;
		if (queue_reserve(p->p_q, len, &far, &pos, &buf) != QUEUE_OK)
			abort();
		buf[0] = (uint8_t)p->p_id;
		memcpy(buf + 1, &k, sizeof(k));
		memset(buf + 9, (int)(k & 0xff), len - 9);
		queue_publish(p->p_q, pos);
	}
	return NULL;
}

START_TEST(test_many_threads_in_order)
{
	struct producer p[PRODUCERS];
	pthread_t t[PRODUCERS];
	struct queue *q;
	uint64_t expect[PRODUCERS], pos = 0, k, n;
	const uint8_t *data;
	size_t len, i, bad = 0;
	int j;

	ck_assert_int_eq(queue_new(1024, 64 * 1024, &q), 0);
	for (j = 0; j < PRODUCERS; j++) {
		p[j].p_q = q;
		p[j].p_id = j;
		expect[j] = 0;
		ck_assert_int_eq(pthread_create(&t[j], NULL, producer_main,
		    &p[j]), 0);
	}
	while (pos < (uint64_t)PRODUCERS * PER_PRODUCER) {
		n = 0;
		while (queue_published(q, pos + n) && n < 32) {
			/* Plain checks: a ck_assert per byte is slow. */
			data = queue_data(q, pos + n, &len);
			if (data[0] >= PRODUCERS) {
				bad++;
				break;
			}
			memcpy(&k, data + 1, sizeof(k));
			/* Each producer's records arrive in its order. */
			bad += k != expect[data[0]];
			expect[data[0]]++;
			for (i = 9; i < len; i++)
				bad += data[i] != (k & 0xff);
			n++;
		}
		queue_release(q, n);
		pos += n;
		if (n == 0)
			sched_yield();
		if (bad > 0)
			break;
	}
	ck_assert_uint_eq(bad, 0);
	for (j = 0; j < PRODUCERS; j++) {
		pthread_join(t[j], NULL);
		ck_assert_uint_eq(expect[j], PER_PRODUCER);
	}
	queue_free(q);
}
END_TEST

struct releaser {
	struct queue	*r_q;
	int		 r_delay_ms;
};

/* Releases one slot after a delay. */
static void *
releaser_main(void *arg)
{
	struct releaser *r = arg;
	struct timespec ts = { 0, 0 };

	ts.tv_nsec = (long)r->r_delay_ms * 1000000;
	nanosleep(&ts, NULL);
	queue_release(r->r_q, 1);
	return NULL;
}

START_TEST(test_wait_for_room)
{
	struct queue *q;
	struct releaser r;
	struct timespec dl;
	pthread_t t;
	uint64_t pos;
	uint8_t *buf;

	ck_assert_int_eq(queue_new(2, 64 * 1024, &q), 0);
	ck_assert_int_eq(queue_reserve(q, 8, NULL, &pos, &buf), QUEUE_OK);
	queue_publish(q, pos);
	ck_assert_int_eq(queue_reserve(q, 8, NULL, &pos, &buf), QUEUE_OK);
	queue_publish(q, pos);
	ck_assert_int_eq(queue_reserve(q, 8, NULL, &pos, &buf), QUEUE_FULL);
	/* Times out. */
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 50 * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	ck_assert_int_eq(queue_reserve(q, 8, &dl, &pos, &buf), QUEUE_FULL);
	/* Room comes while waiting. */
	r.r_q = q;
	r.r_delay_ms = 30;
	ck_assert_int_eq(pthread_create(&t, NULL, releaser_main, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += 10;
	ck_assert_int_eq(queue_reserve(q, 8, &dl, &pos, &buf), QUEUE_OK);
	ck_assert_uint_eq(pos, 2);
	pthread_join(t, NULL);
	queue_publish(q, pos);
	/* Shutdown ends waits and refuses new reserves. */
	queue_shutdown(q);
	ck_assert_int_eq(queue_reserve(q, 8, &dl, &pos, &buf),
	    QUEUE_SHUTDOWN);
	ck_assert_uint_eq(queue_waiters(q), 0);
	queue_free(q);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc;

	tc = tcase_create("ring");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wrap_varying_sizes);
	tcase_add_test(tc, test_out_of_order_publish);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_many_threads_in_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("wait");
	tcase_add_test(tc, test_wait_for_room);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
