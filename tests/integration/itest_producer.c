/* SPDX-License-Identifier: ISC */
/*
 * itest_producer.c: a producer for the integration tests and the ingest
 * benchmark. It logs numbered decisions through the real client library
 * from one or more threads, waits until all are durable, and prints its
 * counters. Every record carries decision_id "PRODUCER/THREAD/N" so that
 * itest_check can prove each was stored exactly once and in order.
 *
 * With --latency it also samples the time from algaudit_log() to the
 * acknowledgement of every 256th record and prints p50/p99; --rate
 * paces each thread, so latency can be measured below saturation.
 *
 * --ack-level checkpointed and --receipts set the handle's options of
 * the same names; --sync-every K logs every K-th record of thread 0
 * with algaudit_log_sync(), checks its receipt (at the checkpointed
 * level the checkpoint size must exceed the index; with --receipts the
 * leaf hash must be there) and prints the last one:
 *
 *   receipt seq S index I log_size L checkpoint_size C leaf_hash HEX
 *
 * --tls-ca, --tls-cert, --tls-key and --tls-server-name set the TLS
 * options of a tls:HOST:PORT endpoint; with such an endpoint the
 * library's errors and warnings (a refused handshake, say) go to stderr
 * as "itest_producer: libalgaudit: MESSAGE".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algaudit.h"

#define PRODUCER_SAMPLE_EVERY	256

struct producer {
	struct algaudit_client	*p_client;
	const char		*p_name;
	uint64_t		 p_count;	/* records per thread */
	int			 p_threads;
	int			 p_latency;
	uint64_t		 p_rate;	/* per thread; 0: flat out */
	int			 p_until_efull;	/* stop at the first EFULL */
	uint64_t		 p_sync_every;	/* thread 0: log_sync each K */
	int			 p_ack_level;	/* ALGAUDIT_ACK_* */
	int			 p_receipts;	/* leaf hashes asked for */
	struct algaudit_receipt	*p_receipt;	/* the last sync's */
	uint64_t		 p_syncs;
	atomic_uint_fast64_t	 p_efull_at;	/* record n that got EFULL */
	/* latency samples: queued position and time of the log call */
	uint64_t		*p_pos;
	int64_t			*p_t0;
	int64_t			*p_lat;
	atomic_uint_fast64_t	 p_nsamples;
	uint64_t		 p_maxsamples;
	atomic_int		 p_done;
	atomic_uint_fast64_t	 p_logged;
	atomic_int		 p_failed;
};

struct producer_thread {
	struct producer		*pt_p;
	int			 pt_id;
};

/* Returns CLOCK_MONOTONIC in ns. */
static int64_t
producer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Fills rec with decision n of thread id; returns 0 or an error. */
static int
producer_fill(struct producer *p, struct algaudit_record *rec, int id,
    uint64_t n)
{
	char buf[256];
	int rc;

	algaudit_record_reset(rec);
	snprintf(buf, sizeof(buf), "%s/%d/%" PRIu64, p->p_name, id, n);
	if ((rc = algaudit_record_set_decision_id(rec, buf)) != 0)
		return rc;
	snprintf(buf, sizeof(buf), "subject-%" PRIu64, n % 997);
	if ((rc = algaudit_record_set_algorithm(rec, "itest.credit",
	    n % 2 ? "v1" : "v2")) != 0 ||
	    (rc = algaudit_record_set_subject(rec, buf)) != 0 ||
	    (rc = algaudit_record_set_decision(rec,
	    n % 3 ? "approve" : "deny")) != 0 ||
	    (rc = algaudit_record_set_score(rec, (double)(n % 1000) / 1000))
	    != 0 ||
	    (rc = algaudit_record_add_input_number(rec, "income",
	    (double)(n * 7 % 100000), ALGAUDIT_CLASS_IMPORTANT)) != 0 ||
	    (rc = algaudit_record_add_input_text(rec, "region", "north",
	    ALGAUDIT_CLASS_ORDINARY)) != 0 ||
	    (rc = algaudit_record_add_reason_code(rec, "R12")) != 0 ||
	    (rc = algaudit_record_add_attribution(rec, "income", 0.42)) != 0 ||
	    (rc = algaudit_record_set_automation(rec,
	    ALGAUDIT_FULLY_AUTOMATED)) != 0 ||
	    (rc = algaudit_record_set_data_class(rec,
	    ALGAUDIT_CLASS_ORDINARY)) != 0 ||
	    (rc = algaudit_record_set_jurisdiction(rec, "CN")) != 0 ||
	    (rc = algaudit_record_set_purpose(rec, "credit limit")) != 0 ||
	    (rc = algaudit_record_add_label(rec, "itest", "1")) != 0)
		return rc;
	return 0;
}

/*
 * Checks the receipt of a log_sync against the handle's options; prints
 * why and returns -1 when it falls short.
 */
static int
producer_check_receipt(const struct producer *p, uint64_t n)
{
	const struct algaudit_receipt *r = p->p_receipt;
	uint8_t leaf[32];
	uint64_t index;
	int rc;

	if (algaudit_receipt_index(r, &index) != 0) {
		/*
		 * The daemon had it already (a resend after a reconnect):
		 * the Welcome said so, with no index and no leaf hash.
		 */
		if (p->p_ack_level == ALGAUDIT_ACK_CHECKPOINTED &&
		    algaudit_receipt_checkpoint_size(r) == 0) {
			fprintf(stderr, "itest_producer: receipt of record %"
			    PRIu64 ": no checkpoint size\n", n);
			return -1;
		}
		return 0;
	}
	if (p->p_ack_level == ALGAUDIT_ACK_CHECKPOINTED &&
	    algaudit_receipt_checkpoint_size(r) <= index) {
		fprintf(stderr, "itest_producer: receipt of record %" PRIu64
		    ": checkpoint size %" PRIu64 " does not cover index %"
		    PRIu64 "\n", n, algaudit_receipt_checkpoint_size(r),
		    index);
		return -1;
	}
	if (p->p_ack_level == ALGAUDIT_ACK_DURABLE &&
	    algaudit_receipt_checkpoint_size(r) != 0) {
		fprintf(stderr, "itest_producer: durable receipt with a "
		    "checkpoint size\n");
		return -1;
	}
	rc = algaudit_receipt_leaf_hash(r, leaf);
	if (p->p_receipts ? rc != 0 : rc != ALGAUDIT_ENOTFOUND) {
		fprintf(stderr, "itest_producer: receipt of record %" PRIu64
		    ": leaf hash: %s\n", n, algaudit_strerror(rc));
		return -1;
	}
	return 0;
}

/* Prints the last receipt taken, in the format of the file comment. */
static void
producer_print_receipt(const struct producer *p)
{
	const struct algaudit_receipt *r = p->p_receipt;
	uint8_t leaf[32];
	uint64_t index = 0;
	int i;

	if (p->p_syncs == 0)
		return;
	(void)algaudit_receipt_index(r, &index);
	printf("receipt seq %" PRIu64 " index %" PRIu64 " log_size %" PRIu64
	    " checkpoint_size %" PRIu64 " leaf_hash ", algaudit_receipt_seq(r),
	    index, algaudit_receipt_log_size(r),
	    algaudit_receipt_checkpoint_size(r));
	if (algaudit_receipt_leaf_hash(r, leaf) == 0)
		for (i = 0; i < 32; i++)
			printf("%02x", leaf[i]);
	else
		printf("-");
	printf(" syncs %" PRIu64 "\n", p->p_syncs);
}

/* Logs this thread's records in order; retries EFULL (back-pressure). */
static void *
producer_thread_main(void *arg)
{
	struct producer_thread *pt = arg;
	struct producer *p = pt->pt_p;
	struct algaudit_record *rec;
	uint64_t n, k;
	int64_t t0, start, due;
	struct timespec pause;
	int rc;

	if (algaudit_record_new(&rec) != 0) {
		atomic_store(&p->p_failed, 1);
		return NULL;
	}
	start = producer_now();
	for (n = 1; n <= p->p_count; n++) {
		if (p->p_rate > 0) {
			/* Paced: sleep while ahead of schedule. */
			due = start + (int64_t)(n * 1000000000 / p->p_rate);
			if ((t0 = due - producer_now()) > 50000) {
				pause.tv_sec = t0 / 1000000000;
				pause.tv_nsec = t0 % 1000000000;
				nanosleep(&pause, NULL);
			}
		}
		if ((rc = producer_fill(p, rec, pt->pt_id, n)) != 0) {
			fprintf(stderr, "itest_producer: record %" PRIu64
			    ": %s: %s\n", n, algaudit_strerror(rc),
			    algaudit_record_error(rec));
			atomic_store(&p->p_failed, 1);
			break;
		}
		t0 = producer_now();
		if (pt->pt_id == 0 && p->p_sync_every > 0 &&
		    n % p->p_sync_every == 0) {
			rc = algaudit_log_sync(p->p_client, rec, 30000,
			    p->p_receipt);
			if (rc == 0) {
				p->p_syncs++;
				if (producer_check_receipt(p, n) == -1) {
					atomic_store(&p->p_failed, 1);
					break;
				}
			}
		} else
			while ((rc = algaudit_log(p->p_client, rec)) ==
			    ALGAUDIT_EFULL && !p->p_until_efull)
				;	/* the block policy already waited */
		if (rc == ALGAUDIT_EFULL) {
			atomic_store(&p->p_efull_at, n);
			printf("efull at record %" PRIu64 " after %.0f ms\n", n,
			    (producer_now() - t0) / 1e6);
			break;
		}
		if (rc != 0) {
			fprintf(stderr, "itest_producer: log %" PRIu64 ": %s\n",
			    n, algaudit_strerror(rc));
			atomic_store(&p->p_failed, 1);
			break;
		}
		k = atomic_fetch_add(&p->p_logged, 1) + 1;
		if (p->p_latency && k % PRODUCER_SAMPLE_EVERY == 0) {
			uint64_t i = atomic_load(&p->p_nsamples);

			if (i < p->p_maxsamples) {
				p->p_pos[i] = k;
				p->p_t0[i] = t0;
				atomic_store(&p->p_nsamples, i + 1);
			}
		}
	}
	algaudit_record_free(rec);
	return NULL;
}

/*
 * Samples acknowledgement latency: waits until the ACKED counter passes
 * each sample's queued position. Only meaningful with one app thread.
 */
static void *
producer_monitor_main(void *arg)
{
	struct producer *p = arg;
	uint64_t i = 0, acked;
	struct timespec pause = { 0, 20000 };

	for (;;) {
		acked = algaudit_counter(p->p_client, ALGAUDIT_COUNTER_ACKED);
		while (i < atomic_load(&p->p_nsamples) && p->p_pos[i] <= acked)
			p->p_lat[i++] = producer_now();
		if (atomic_load(&p->p_done) && i >= atomic_load(&p->p_nsamples))
			break;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* qsort comparison for int64_t. */
static int
producer_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Prints the latency percentiles of the samples taken. */
static void
producer_print_latency(struct producer *p)
{
	uint64_t i, n = atomic_load(&p->p_nsamples);

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		p->p_lat[i] -= p->p_t0[i];
	qsort(p->p_lat, n, sizeof(*p->p_lat), producer_cmp);
	printf("ack_latency_us p50 %.0f p99 %.0f samples %" PRIu64 "\n",
	    p->p_lat[n / 2] / 1e3, p->p_lat[n * 99 / 100] / 1e3, n);
}

/* Library log callback: errors and warnings to stderr. */
static void
producer_log(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level <= ALGAUDIT_LOG_WARNING)
		fprintf(stderr, "itest_producer: libalgaudit: %s\n", msg);
}

static void __attribute__((noreturn))
producer_usage(void)
{
	fprintf(stderr, "usage: itest_producer --connect ENDPOINT --producer "
	    "NAME --count N [--threads T] [--spool DIR] [--latency] "
	    "[--flush-timeout SEC] [--rate RECORDS_PER_S] [--queue RECORDS] "
	    "[--block-timeout MS] [--until-efull] [--ack-level durable|"
	    "checkpointed] [--receipts] [--sync-every K] [--tls-ca FILE] "
	    "[--tls-cert FILE --tls-key FILE] [--tls-server-name NAME]\n"
	    "  --count 0 only opens, flushes and closes (replays a spool)\n"
	    "  --tls-ca FILE         CA certificates (PEM) the daemon's "
	    "must chain to\n"
	    "  --tls-cert, --tls-key the client certificate and its key "
	    "(PEM)\n"
	    "  --tls-server-name     the name the daemon's certificate "
	    "carries\n"
	    "  (tls:HOST:PORT endpoints; library errors go to stderr)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "producer", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "spool", required_argument, NULL, 's' },
		{ "latency", no_argument, NULL, 'l' },
		{ "flush-timeout", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "queue", required_argument, NULL, 'q' },
		{ "block-timeout", required_argument, NULL, 'b' },
		{ "until-efull", no_argument, NULL, 'e' },
		{ "ack-level", required_argument, NULL, 'a' },
		{ "receipts", no_argument, NULL, 'R' },
		{ "sync-every", required_argument, NULL, 'S' },
		{ "tls-ca", required_argument, NULL, 'A' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-server-name", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	struct producer p;
	struct producer_thread *pts = NULL;
	struct algaudit_options *opts = NULL;
	pthread_t *tids = NULL, mon;
	const char *endpoint = NULL, *spool = NULL;
	const char *tls_ca = NULL, *tls_cert = NULL, *tls_key = NULL;
	const char *tls_name = NULL;
	uint32_t flush_s = 120, block_ms = 0;
	uint64_t queue = 0;
	int64_t start, end;
	int ch, i, rc, ret = 1;

	memset(&p, 0, sizeof(p));
	p.p_threads = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': endpoint = optarg; break;
		case 'p': p.p_name = optarg; break;
		case 'n': p.p_count = strtoull(optarg, NULL, 10); break;
		case 't': p.p_threads = atoi(optarg); break;
		case 's': spool = optarg; break;
		case 'l': p.p_latency = 1; break;
		case 'f': flush_s = (uint32_t)atoi(optarg); break;
		case 'r': p.p_rate = strtoull(optarg, NULL, 10); break;
		case 'q': queue = strtoull(optarg, NULL, 10); break;
		case 'b': block_ms = (uint32_t)atoi(optarg); break;
		case 'e': p.p_until_efull = 1; break;
		case 'a':
			if (strcmp(optarg, "durable") == 0)
				p.p_ack_level = ALGAUDIT_ACK_DURABLE;
			else if (strcmp(optarg, "checkpointed") == 0)
				p.p_ack_level = ALGAUDIT_ACK_CHECKPOINTED;
			else
				producer_usage();
			break;
		case 'R': p.p_receipts = 1; break;
		case 'S': p.p_sync_every = strtoull(optarg, NULL, 10); break;
		case 'A': tls_ca = optarg; break;
		case 'C': tls_cert = optarg; break;
		case 'K': tls_key = optarg; break;
		case 'N': tls_name = optarg; break;
		default: producer_usage();
		}
	}
	if (endpoint == NULL || p.p_name == NULL ||
	    p.p_threads < 1 || p.p_threads > 64)
		producer_usage();

	if (algaudit_options_new(&opts) != 0 ||
	    algaudit_receipt_new(&p.p_receipt) != 0)
		goto out;
	if ((rc = algaudit_options_set_ack_level(opts, p.p_ack_level)) != 0 ||
	    (rc = algaudit_options_set_receipts(opts, p.p_receipts)) != 0) {
		fprintf(stderr, "itest_producer: options: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if ((rc = algaudit_options_set_tls(opts, tls_ca, tls_cert,
	    tls_key)) != 0 ||
	    (rc = algaudit_options_set_tls_server_name(opts, tls_name)) != 0 ||
	    (strncmp(endpoint, "tls:", 4) == 0 &&
	    (rc = algaudit_options_set_log(opts, producer_log, NULL)) != 0)) {
		fprintf(stderr, "itest_producer: tls: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if (spool != NULL &&
	    ((rc = algaudit_options_set_spool(opts, spool, 0)) != 0 ||
	    (rc = algaudit_options_set_overflow(opts,
	    ALGAUDIT_OVERFLOW_SPOOL, 0)) != 0)) {
		fprintf(stderr, "itest_producer: spool: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if ((rc = algaudit_options_set_close_timeout(opts, flush_s * 1000))
	    != 0 ||
	    (queue > 0 && (rc = algaudit_options_set_queue(opts, queue,
	    64 * 1024 * 1024)) != 0) ||
	    (block_ms > 0 && spool == NULL &&
	    (rc = algaudit_options_set_overflow(opts, ALGAUDIT_OVERFLOW_BLOCK,
	    block_ms)) != 0)) {
		fprintf(stderr, "itest_producer: options: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if ((rc = algaudit_open(endpoint, p.p_name, opts, &p.p_client)) != 0) {
		fprintf(stderr, "itest_producer: open: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if (p.p_latency) {
		p.p_maxsamples = p.p_count * p.p_threads /
		    PRODUCER_SAMPLE_EVERY + 1;
		p.p_pos = calloc(p.p_maxsamples, sizeof(*p.p_pos));
		p.p_t0 = calloc(p.p_maxsamples, sizeof(*p.p_t0));
		p.p_lat = calloc(p.p_maxsamples, sizeof(*p.p_lat));
		if (p.p_pos == NULL || p.p_t0 == NULL || p.p_lat == NULL ||
		    pthread_create(&mon, NULL, producer_monitor_main, &p) != 0)
			goto out;
	}
	tids = calloc(p.p_threads, sizeof(*tids));
	pts = calloc(p.p_threads, sizeof(*pts));
	if (tids == NULL || pts == NULL)
		goto out;

	start = producer_now();
	for (i = 0; i < p.p_threads; i++) {
		pts[i].pt_p = &p;
		pts[i].pt_id = i;
		if (pthread_create(&tids[i], NULL, producer_thread_main,
		    &pts[i]) != 0)
			goto out;
	}
	for (i = 0; i < p.p_threads; i++)
		pthread_join(tids[i], NULL);
	rc = algaudit_flush(p.p_client, flush_s * 1000);
	end = producer_now();
	atomic_store(&p.p_done, 1);
	if (p.p_latency) {
		pthread_join(mon, NULL);
		producer_print_latency(&p);
	}
	producer_print_receipt(&p);
	printf("producer %s records %" PRIu64 " seconds %.3f records_per_s "
	    "%.0f queued %" PRIu64 " sent %" PRIu64 " acked %" PRIu64
	    " retried %" PRIu64 " spooled %" PRIu64 " rejected %" PRIu64
	    " reconnects %" PRIu64 "\n", p.p_name, p.p_count * p.p_threads,
	    (end - start) / 1e9,
	    (double)(p.p_count * p.p_threads) / ((end - start) / 1e9),
	    algaudit_counter(p.p_client, ALGAUDIT_COUNTER_QUEUED),
	    algaudit_counter(p.p_client, ALGAUDIT_COUNTER_SENT),
	    algaudit_counter(p.p_client, ALGAUDIT_COUNTER_ACKED),
	    algaudit_counter(p.p_client, ALGAUDIT_COUNTER_RETRIED),
	    algaudit_counter(p.p_client, ALGAUDIT_COUNTER_SPOOLED),
	    algaudit_counter(p.p_client, ALGAUDIT_COUNTER_REJECTED),
	    algaudit_counter(p.p_client, ALGAUDIT_COUNTER_RECONNECTS));
	if (rc != 0) {
		fprintf(stderr, "itest_producer: flush: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if (atomic_load(&p.p_failed))
		goto out;
	if (p.p_until_efull && atomic_load(&p.p_efull_at) == 0) {
		fprintf(stderr, "itest_producer: never saw ALGAUDIT_EFULL\n");
		goto out;
	}
	ret = 0;
out:
	rc = algaudit_close(p.p_client);
	if (rc != 0 && ret == 0) {
		fprintf(stderr, "itest_producer: close: %s\n",
		    algaudit_strerror(rc));
		ret = 1;
	}
	algaudit_options_free(opts);
	algaudit_receipt_free(p.p_receipt);
	free(tids);
	free(pts);
	free(p.p_pos);
	free(p.p_t0);
	free(p.p_lat);
	return ret;
}
