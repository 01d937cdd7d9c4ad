/* SPDX-License-Identifier: ISC */
/*
 * threads.c: a complete producer. Four threads record credit decisions
 * through one handle, then the program waits until all of them are
 * durable, prints the handle's counters and closes.
 *
 *	threads ENDPOINT [PRODUCER_ID]      e.g. threads unix:/run/algaudit.sock
 *
 * Build against an installed library with
 *	cc -o threads threads.c $(pkg-config --cflags --libs algaudit) -pthread
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "algaudit.h"

#define THREADS		4
#define PER_THREAD	1000

struct worker {
	struct algaudit_client	*w_client;
	int			 w_id;
	int			 w_failed;
};

/* Prints the library's own diagnostics. */
static void
print_log(int level, const char *msg, void *arg)
{
	static const char *const names[] = { "error", "warning", "info",
	    "debug" };

	(void)arg;
	if (level <= ALGAUDIT_LOG_INFO)
		fprintf(stderr, "algaudit %s: %s\n", names[level], msg);
}

/* One application thread: decides and records PER_THREAD applications. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct algaudit_record *rec;
	static const uint8_t key[32] = "example key: keep it secret 123";
	char customer[32], subject[65];
	double score;
	int i, rc;

	if (algaudit_record_new(&rec) != 0) {
		w->w_failed = PER_THREAD;
		return NULL;
	}
	for (i = 0; i < PER_THREAD; i++) {
		snprintf(customer, sizeof(customer), "cust-%d-%d", w->w_id, i);
		score = (double)((i * 37 + w->w_id) % 100) / 100.0;
		/* Raw customer ids never leave the application. */
		algaudit_subject_hash(key, sizeof(key), customer, subject);
		algaudit_record_reset(rec);
		if ((rc = algaudit_record_set_algorithm(rec, "credit-limit",
		    "3.1.0")) != 0 ||
		    (rc = algaudit_record_set_subject(rec, subject)) != 0 ||
		    (rc = algaudit_record_set_decision(rec, score >= 0.5 ?
		    "approve" : "refer")) != 0 ||
		    (rc = algaudit_record_set_score(rec, score)) != 0 ||
		    (rc = algaudit_record_add_input_number(rec, "income",
		    30000 + i, ALGAUDIT_CLASS_IMPORTANT)) != 0 ||
		    (rc = algaudit_record_add_input_text(rec, "region",
		    "CN-31", ALGAUDIT_CLASS_ORDINARY)) != 0 ||
		    (rc = algaudit_record_set_automation(rec,
		    ALGAUDIT_FULLY_AUTOMATED)) != 0 ||
		    (rc = algaudit_record_set_data_class(rec,
		    ALGAUDIT_CLASS_IMPORTANT)) != 0 ||
		    (rc = algaudit_record_add_label(rec, "thread",
		    w->w_id % 2 ? "odd" : "even")) != 0) {
			fprintf(stderr, "threads: record: %s\n",
			    algaudit_record_error(rec));
			w->w_failed++;
			continue;
		}
		if ((rc = algaudit_log(w->w_client, rec)) != 0) {
			fprintf(stderr, "threads: log: %s\n",
			    algaudit_strerror(rc));
			w->w_failed++;
		}
	}
	algaudit_record_free(rec);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const char *const counters[ALGAUDIT_COUNTER_MAX] = {
		"queued", "sent", "acked", "retried", "spooled", "rejected",
		"dropped", "pending", "reconnects"
	};
	struct algaudit_options *opts;
	struct algaudit_client *client;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int i, rc, failed = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: threads ENDPOINT [PRODUCER_ID]\n");
		return 2;
	}
	if ((rc = algaudit_options_new(&opts)) != 0 ||
	    (rc = algaudit_options_set_log(opts, print_log, NULL)) != 0 ||
	    (rc = algaudit_open(argv[1], argc > 2 ? argv[2] :
	    "example-threads", opts, &client)) != 0) {
		fprintf(stderr, "threads: open %s: %s\n", argv[1],
		    algaudit_strerror(rc));
		return 1;
	}
	algaudit_options_free(opts);
	for (i = 0; i < THREADS; i++) {
		w[i].w_client = client;
		w[i].w_id = i;
		w[i].w_failed = 0;
		if (pthread_create(&t[i], NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "threads: cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		failed += w[i].w_failed;
	}
	rc = algaudit_flush(client, 10000);
	printf("flush: %s\n", algaudit_strerror(rc));
	for (i = 0; i < ALGAUDIT_COUNTER_MAX; i++)
		printf("%-10s %llu\n", counters[i],
		    (unsigned long long)algaudit_counter(client, i));
	if ((rc = algaudit_close(client)) != 0) {
		fprintf(stderr, "threads: close: %s\n", algaudit_strerror(rc));
		return 1;
	}
	return failed == 0 ? 0 : 1;
}
