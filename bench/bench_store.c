/* SPDX-License-Identifier: ISC */
/*
 * bench_store.c: the in-process ceiling. Measures raw durable appends
 * through store.h, with no daemon, socket or protobuf: N records of a
 * given size, B records per committed (fsync'd) transaction, for B in
 * 1, 100 and 1000, each in a fresh store in a temporary directory.
 * Prints one line per B:
 *
 *   store_append batch B records N bytes S seconds T records_per_s R
 *       mb_per_s M
 *
 * (MB = 10^6 payload bytes.) Each batch size stops after N records or
 * its time budget, whichever comes first, so that B = 1 (one fsync per
 * record) stays quick on slow disks; the line says how many it did.
 * A fourth argument adds one more batch size: scripts/run-bench passes
 * the records per commit the daemon achieved, so the ceiling is measured
 * with the same batches. Asserts nothing.
 *
 * usage: bench_store [records [size [seconds-per-batch-size [batch]]]]
 *        defaults 200000, 400, 5; TMPDIR picks the disk.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define BENCH_MAX_SIZE	(1 << 20)

/* Returns the monotonic time in seconds. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn))
bench_usage(void)
{
	fprintf(stderr, "usage: bench_store [records [size [seconds]]]\n");
	exit(2);
}

/* Parses a positive decimal argument no larger than max. */
static unsigned long
bench_arg(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || errno != 0 || *end != '\0' || v == 0 ||
	    v > max) {
		fprintf(stderr, "bench_store: %s: invalid value '%s' "
		    "(1 to %lu)\n", what, s, max);
		bench_usage();
	}
	return v;
}

/*
 * Appends up to n records of len bytes from buf in batches of batch
 * per commit until n or the deadline; follows the STORE_EMAPFULL retry
 * contract. Sets *done to the records committed.
 */
static int
bench_run(struct store *s, unsigned char *buf, size_t len,
    unsigned long n, unsigned long batch, double deadline,
    unsigned long *done)
{
	unsigned long i, k;
	uint64_t idx;
	int rc;

	*done = 0;
	while (*done < n && bench_now() < deadline) {
		k = n - *done < batch ? n - *done : batch;
		if ((rc = store_begin(s)) != 0)
			return rc;
		for (i = 0; i < k; i++) {
			idx = store_next_index(s);
			memcpy(buf, &idx, sizeof(idx));
			if ((rc = store_append(s, buf, len, NULL)) != 0)
				break;
		}
		if (rc == 0)
			rc = store_commit(s);
		if (rc == STORE_EMAPFULL)
			continue;	/* grown: redo the batch */
		if (rc != 0)
			return rc;
		*done += k;
	}
	return 0;
}

/* Removes a bench store and its directory. */
static void
bench_rmstore(const char *dir)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	unsigned long batches[] = { 1, 100, 1000, 0 };
	struct store *s;
	unsigned char *buf;
	const char *tmp;
	char top[1024], dir[1100];
	unsigned long n = 200000, size = 400, secs = 5, done;
	double t0, t;
	size_t i, j;
	int rc, status = 0;

	if (argc > 5)
		bench_usage();
	if (argc > 1)
		n = bench_arg(argv[1], "records", ULONG_MAX / 2);
	if (argc > 2)
		size = bench_arg(argv[2], "size", BENCH_MAX_SIZE);
	if (argc > 3)
		secs = bench_arg(argv[3], "seconds", 3600);
	if (argc > 4)
		batches[3] = bench_arg(argv[4], "batch", 1000000);
	if (size < 8)
		size = 8;	/* room for the index we stamp in */
	if ((buf = malloc(size)) == NULL) {
		fprintf(stderr, "bench_store: out of memory\n");
		return 1;
	}
	/* Incompressible-looking bytes; the store does not care. */
	for (j = 0; j < size; j++)
		buf[j] = (unsigned char)(j * 131 + 17);

	tmp = getenv("TMPDIR");
	snprintf(top, sizeof(top), "%s/bench_store.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(top) == NULL) {
		fprintf(stderr, "bench_store: mkdtemp %s: %s\n", top,
		    strerror(errno));
		free(buf);
		return 1;
	}
	for (i = 0; i < sizeof(batches) / sizeof(batches[0]) &&
	    batches[i] > 0; i++) {
		snprintf(dir, sizeof(dir), "%s/b%lu", top, batches[i]);
		if ((rc = store_open(&s, dir, STORE_CREATE, "bench")) != 0) {
			fprintf(stderr, "bench_store: open %s: %s\n", dir,
			    store_strerror(rc));
			status = 1;
			break;
		}
		t0 = bench_now();
		rc = bench_run(s, buf, size, n, batches[i], t0 + (double)secs,
		    &done);
		t = bench_now() - t0;
		store_close(s);
		bench_rmstore(dir);
		if (rc != 0) {
			fprintf(stderr, "bench_store: batch %lu: %s\n",
			    batches[i], store_strerror(rc));
			status = 1;
			break;
		}
		printf("store_append batch %lu records %lu bytes %lu "
		    "seconds %.2f records_per_s %.0f mb_per_s %.2f\n",
		    batches[i], done, size, t, (double)done / t,
		    (double)done * (double)size / 1e6 / t);
		fflush(stdout);
	}
	rmdir(top);
	free(buf);
	return status;
}
