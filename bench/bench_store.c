/* SPDX-License-Identifier: ISC */
/*
 * bench_store.c: the in-process ceiling. Measures raw durable appends
 * through store.h, with no daemon, socket or protobuf: N records of a
 * given size, B records per committed (fsync'd) transaction, for B in
 * 1, 100 and 1000, each in a fresh store in a temporary directory.
 * Prints one line per B:
 *
 *   store_append batch B records N bytes S seconds T records_per_s R
 *       mb_per_s M bytes_per_entry E
 *
 * (MB = 10^6 payload bytes; E = size of data.mdb / N.) Each batch size
 * stops after N records or its time budget, whichever comes first, so
 * that B = 1 (one fsync per record) stays quick on slow disks; the line
 * says how many it did. A fourth argument adds one more batch size:
 * scripts/run-bench passes the records per commit the daemon achieved,
 * so the ceiling is measured with the same batches.
 *
 * With -t, each batch size runs a second time with the verifiable log's
 * store work: every commit also appends its entries' leaf hashes to the
 * Merkle tree (store_tree_append: tiles and tree size in the same
 * transaction), and a commit that reaches a multiple of 10000 entries
 * also stores a signed checkpoint (store_tree_root_txn, Ed25519 sign,
 * store_checkpoint_put). The leaf hashes are synthetic (the index in
 * a fixed 32-byte pattern): computing a commitment leaf is the writer's
 * cost, measured by bench_leaf, not the store's. Its line starts
 * "store_append+tree", then "tree_overhead_bytes_per_entry D" compares
 * the two stores. Asserts nothing.
 *
 * usage: bench_store [-t] [records [size [seconds-per-batch-size
 *        [batch]]]]
 *        defaults 200000, 400, 5; TMPDIR picks the disk.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "merkle.h"
#include "note.h"
#include "store.h"

#define BENCH_MAX_SIZE	(1 << 20)
#define BENCH_CKPT_EVERY 10000	/* entries between checkpoints (-t) */
#define BENCH_ORIGIN	"bench.example/log"

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
	fprintf(stderr, "usage: bench_store [-t] [records [size [seconds "
	    "[batch]]]]\n");
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
 * In the open transaction: signs and stores a checkpoint at the tree
 * size if the commit reaches *next (a multiple of BENCH_CKPT_EVERY).
 * Sets *advance to the next multiple for after the commit.
 */
static int
bench_checkpoint(struct store *s, const struct note_signer *sg,
    uint64_t next, uint64_t *advance)
{
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t size = store_tree_size(s);
	size_t len;
	char *note;
	int rc;

	*advance = next;
	if (size < next)
		return 0;
	if ((rc = store_tree_root_txn(s, size, root)) != 0)
		return rc;
	if ((rc = note_checkpoint_sign(sg, BENCH_ORIGIN, size, root, &note,
	    &len)) != 0)
		return EIO;
	rc = store_checkpoint_put(s, size, note, len);
	free(note);
	while (*advance <= size)
		*advance += BENCH_CKPT_EVERY;
	return rc;
}

/*
 * Appends up to n records of len bytes from buf in batches of batch
 * per commit until n or the deadline; follows the STORE_EMAPFULL retry
 * contract. With sg, also the leaf hashes (hashes: room for batch) and
 * a checkpoint every BENCH_CKPT_EVERY entries. Sets *done to the
 * records committed.
 */
static int
bench_run(struct store *s, unsigned char *buf, size_t len,
    unsigned long n, unsigned long batch, double deadline,
    const struct note_signer *sg, uint8_t *hashes, unsigned long *done)
{
	unsigned long i, k;
	uint64_t idx, ckpt = BENCH_CKPT_EVERY, advance = ckpt;
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
			if (sg != NULL)	/* a stand-in leaf hash */
				memcpy(hashes + i * MERKLE_HASH_LEN, &idx,
				    sizeof(idx));
		}
		if (rc == 0 && sg != NULL &&
		    (rc = store_tree_append(s, hashes, k)) == 0)
			rc = bench_checkpoint(s, sg, ckpt, &advance);
		if (rc == 0)
			rc = store_commit(s);
		if (rc == STORE_EMAPFULL)
			continue;	/* grown: redo the batch */
		if (rc != 0)
			return rc;
		*done += k;
		ckpt = advance;
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

/*
 * One run in a fresh store under top: n records of size bytes from buf
 * in batches of batch, with the tree and checkpoints when sg is set.
 * Prints its line and sets *per_entry to the bytes of data.mdb per
 * record.
 */
static int
bench_one(const char *top, unsigned char *buf, unsigned long size,
    unsigned long n, unsigned long batch, unsigned long secs,
    const struct note_signer *sg, double *per_entry)
{
	struct store *s;
	struct store_info si;
	uint8_t *hashes = NULL;
	char dir[1100];
	unsigned long done = 0;
	double t0, t;
	int rc;

	*per_entry = 0;
	snprintf(dir, sizeof(dir), "%s/b%lu%s", top, batch,
	    sg != NULL ? "t" : "");
	if (sg != NULL) {
		if ((hashes = malloc((size_t)batch * MERKLE_HASH_LEN)) == NULL)
			return ENOMEM;
		memset(hashes, 0xa5, (size_t)batch * MERKLE_HASH_LEN);
	}
	if ((rc = store_open(&s, dir, STORE_CREATE, "bench")) != 0) {
		fprintf(stderr, "bench_store: open %s: %s\n", dir,
		    store_strerror(rc));
		free(hashes);
		return rc;
	}
	t0 = bench_now();
	rc = bench_run(s, buf, size, n, batch, t0 + (double)secs, sg, hashes,
	    &done);
	t = bench_now() - t0;
	if (rc == 0)
		rc = store_info(s, &si);
	store_close(s);
	bench_rmstore(dir);
	free(hashes);
	if (rc != 0) {
		fprintf(stderr, "bench_store: batch %lu%s: %s\n", batch,
		    sg != NULL ? " with tree" : "", store_strerror(rc));
		return rc;
	}
	if (done > 0)
		*per_entry = (double)si.si_file_size / (double)done;
	printf("store_append%s batch %lu records %lu bytes %lu "
	    "seconds %.2f records_per_s %.0f mb_per_s %.2f "
	    "bytes_per_entry %.1f\n", sg != NULL ? "+tree" : "",
	    batch, done, size, t, (double)done / t,
	    (double)done * (double)size / 1e6 / t, *per_entry);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long batches[] = { 1, 100, 1000, 0 };
	struct note_signer *sg = NULL;
	unsigned char *buf;
	const char *tmp;
	char top[1024];
	unsigned long n = 200000, size = 400, secs = 5;
	double plain, tree;
	size_t i, j;
	int status = 0;

	if (argc > 1 && strcmp(argv[1], "-t") == 0) {
		if (note_signer_generate(BENCH_ORIGIN, &sg) != 0) {
			fprintf(stderr, "bench_store: cannot make a key\n");
			return 1;
		}
		argc--;
		argv++;
	}
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
		note_signer_free(sg);
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
		note_signer_free(sg);
		return 1;
	}
	for (i = 0; i < sizeof(batches) / sizeof(batches[0]) &&
	    batches[i] > 0; i++) {
		if (bench_one(top, buf, size, n, batches[i], secs, NULL,
		    &plain) != 0) {
			status = 1;
			break;
		}
		if (sg == NULL)
			continue;
		if (bench_one(top, buf, size, n, batches[i], secs, sg,
		    &tree) != 0) {
			status = 1;
			break;
		}
		printf("tree_overhead_bytes_per_entry batch %lu %.1f\n",
		    batches[i], tree - plain);
		fflush(stdout);
	}
	rmdir(top);
	free(buf);
	note_signer_free(sg);
	return status;
}
