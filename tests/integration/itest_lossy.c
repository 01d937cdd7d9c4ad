/* SPDX-License-Identifier: ISC */
/*
 * itest_lossy.c: a producer that loses records on purpose, for the
 * report's integration test (t_report.sh). It opens the real client
 * library with the drop overflow policy and a queue of --queue records,
 * logs --count decisions of --algorithm (label region=lossy) at once,
 * normally before the daemon is up, so that all but the queue's worth
 * are dropped and the library later sends a loss record; it waits
 * until that is acknowledged too, closes and prints its counters:
 *
 *   queued Q dropped D acked A
 *
 * usage: itest_lossy --connect unix:PATH --producer NAME --algorithm ID
 *     --count N --queue Q
 * Exit 0 when everything logged (and the loss record) was acknowledged.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "algaudit.h"

/* Prints the usage and exits 2. */
static void
lossy_usage(void) __attribute__((noreturn));

static void
lossy_usage(void)
{
	fprintf(stderr, "usage: itest_lossy --connect unix:PATH --producer "
	    "NAME --algorithm ID --count N --queue Q\n");
	exit(2);
}

/* Parses a positive decimal number or exits 2. */
static unsigned long
lossy_number(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v == 0)
		lossy_usage();
	return v;
}

/* Builds the record every log call sends. */
static int
lossy_record(struct algaudit_record *rec, const char *algorithm)
{
	int rc;

	if ((rc = algaudit_record_set_algorithm(rec, algorithm, "lossy")) !=
	    0 ||
	    (rc = algaudit_record_set_decision(rec, "approve")) != 0 ||
	    (rc = algaudit_record_set_data_class(rec,
	    ALGAUDIT_CLASS_ORDINARY)) != 0 ||
	    (rc = algaudit_record_add_label(rec, "region", "lossy")) != 0)
		return rc;
	return 0;
}

/* Logs the decisions with the drop policy and reports the counters. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "producer", required_argument, NULL, 'p' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "count", required_argument, NULL, 'n' },
		{ "queue", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	struct algaudit_options *opts = NULL;
	struct algaudit_client *cl = NULL;
	struct algaudit_record *rec = NULL;
	const char *ep = NULL, *producer = NULL, *algorithm = NULL;
	unsigned long count = 0, queue = 0, i;
	uint64_t queued, dropped;
	int c, rc, ex = 1;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ep = optarg;
			break;
		case 'p':
			producer = optarg;
			break;
		case 'a':
			algorithm = optarg;
			break;
		case 'n':
			count = lossy_number(optarg);
			break;
		case 'q':
			queue = lossy_number(optarg);
			break;
		default:
			lossy_usage();
		}
	}
	if (ep == NULL || producer == NULL || algorithm == NULL || count == 0 ||
	    queue == 0 || optind != argc)
		lossy_usage();
	if ((rc = algaudit_options_new(&opts)) != 0 ||
	    (rc = algaudit_options_set_queue(opts, queue, 65536)) != 0 ||
	    (rc = algaudit_options_set_overflow(opts, ALGAUDIT_OVERFLOW_DROP,
	    0)) != 0 ||
	    (rc = algaudit_options_set_backoff(opts, 20, 200)) != 0 ||
	    (rc = algaudit_options_set_close_timeout(opts, 20000)) != 0 ||
	    (rc = algaudit_record_new(&rec)) != 0 ||
	    (rc = lossy_record(rec, algorithm)) != 0 ||
	    (rc = algaudit_open(ep, producer, opts, &cl)) != 0) {
		fprintf(stderr, "itest_lossy: %s\n", algaudit_strerror(rc));
		goto out;
	}
	for (i = 0; i < count; i++)
		if ((rc = algaudit_log(cl, rec)) != 0) {
			fprintf(stderr, "itest_lossy: log %lu: %s\n", i,
			    algaudit_strerror(rc));
			goto out;
		}
	queued = algaudit_counter(cl, ALGAUDIT_COUNTER_QUEUED);
	dropped = algaudit_counter(cl, ALGAUDIT_COUNTER_DROPPED);
	if ((rc = algaudit_flush(cl, 20000)) != 0) {
		fprintf(stderr, "itest_lossy: flush: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	/*
	 * flush() waits for the loss record owed for the drops too (the
	 * I/O thread queues it once the queue has room): once it returns,
	 * the loss record is acknowledged (ACKED counts it).
	 */
	if (dropped > 0 &&
	    algaudit_counter(cl, ALGAUDIT_COUNTER_ACKED) < queued + 1) {
		fprintf(stderr, "itest_lossy: flush returned before the loss "
		    "record was acknowledged\n");
		goto out;
	}
	printf("queued %" PRIu64 " dropped %" PRIu64 " acked %" PRIu64 "\n",
	    queued, dropped, algaudit_counter(cl, ALGAUDIT_COUNTER_ACKED));
	ex = 0;
out:
	rc = algaudit_close(cl);
	if (ex == 0 && rc != 0) {
		fprintf(stderr, "itest_lossy: close: %s\n",
		    algaudit_strerror(rc));
		ex = 1;
	}
	algaudit_record_free(rec);
	algaudit_options_free(opts);
	return ex;
}
