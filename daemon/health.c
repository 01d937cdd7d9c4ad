/* SPDX-License-Identifier: ISC */
/*
 * health.c: what the writer needs to judge the store's health, kept
 * apart from the writer's threading so that it can be tested alone.
 *
 * - The filesystem under the store (statvfs): its size and the bytes
 *   available, the free-space level against --store-free-warn and
 *   --store-free-critical with a hysteresis, so that a store hovering
 *   at a threshold does not fill the log, and whether it is full.
 * - The retry and reopen back-off.
 * - The check of a store just reopened after an I/O error, before the
 *   writer writes to it again (the PostgreSQL fsync lesson: after a
 *   failed fsync nothing the process believes about its files can be
 *   trusted until they are read back). It reads the committed state in
 *   one snapshot and compares it with what the writer had committed and
 *   acknowledged: the log must hold at least those entries, the Merkle
 *   tree must cover every entry, the newest checkpoint must verify with
 *   the daemon's key and its root must be the tree's root at its size,
 *   and the newest entry's leaf hash recomputed from its bytes must be
 *   the tree's. That is O(log n) reads: cheap, and it touches the head
 *   of the log, where a lost write would show.
 *
 * - Stale reader slots: a process that dies inside a read transaction
 *   (a query killed with SIGKILL) leaves its slot in the lock file, and
 *   the snapshot it pins keeps LMDB from reusing pages, so data.mdb
 *   grows. health_reader_check() clears them and says so, for the
 *   writer's periodic check and the start-up.
 *
 * Nothing here writes to the store's data or keeps state between
 * calls; only health_reader_check() logs.
 */
#include <sys/statvfs.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "leaf.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "store.h"

static int	 health_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Formats a message into err; returns -1 for convenience. */
static int
health_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Reads the size of the filesystem holding path and the bytes available
 * to an unprivileged writer. Returns 0, or an errno.
 */
int
health_fs_stat(const char *path, struct health_fs *fs)
{
	struct statvfs sv;

	memset(fs, 0, sizeof(*fs));
	if (statvfs(path, &sv) == -1)
		return errno;
	fs->hf_size = (uint64_t)sv.f_blocks * sv.f_frsize;
	fs->hf_avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

/* Returns the available share of fs in percent (100 for a size of 0). */
double
health_free_pct(const struct health_fs *fs)
{
	if (fs->hf_size == 0)
		return 100.0;
	return 100.0 * (double)fs->hf_avail / (double)fs->hf_size;
}

/* Returns 1 when fs has less than HEALTH_FS_SLACK bytes available. */
int
health_fs_full(const struct health_fs *fs)
{
	return fs->hf_avail < HEALTH_FS_SLACK;
}

/*
 * Returns the free-space level (HEALTH_FREE_*) of fs given the warn and
 * critical thresholds in percent (0 disables one) and the previous
 * level. A level is entered as soon as the available share falls below
 * its threshold, and left only once it is HEALTH_HYSTERESIS points
 * above it, so a share wobbling around a threshold changes the level
 * (and logs) once.
 */
int
health_free_level(const struct health_fs *fs, uint64_t warn, uint64_t crit,
    int prev)
{
	double pct = health_free_pct(fs);
	int level = HEALTH_FREE_OK;

	if (warn > 0 && pct < (double)warn)
		level = HEALTH_FREE_LOW;
	if (crit > 0 && pct < (double)crit)
		level = HEALTH_FREE_CRITICAL;
	if (level >= prev)
		return level;
	/* Better than before: only past the hysteresis. */
	if (prev == HEALTH_FREE_CRITICAL && crit > 0 &&
	    pct < (double)crit + HEALTH_HYSTERESIS)
		return HEALTH_FREE_CRITICAL;
	if (prev >= HEALTH_FREE_LOW && warn > 0 &&
	    pct < (double)warn + HEALTH_HYSTERESIS)
		return HEALTH_FREE_LOW;
	return level;
}

/*
 * The next delay of a back-off: min for the first (cur 0), then double,
 * at most max.
 */
uint64_t
health_backoff(uint64_t cur, uint64_t min, uint64_t max)
{
	if (cur < min)
		return min;
	if (cur >= max / 2)
		return max;
	return cur * 2;
}

/*
 * Checks that the newest checkpoint of the view verifies with vkey, and
 * that its root is the root of the view's tree at its size. Sets *size
 * (0: none).
 */
static int
health_check_ckpt(struct store_view *v, const char *vkey, uint64_t *size,
    char *err, size_t errlen)
{
	struct note_verifier *nv = NULL;
	struct note_checkpoint cp;
	uint8_t root[NOTE_HASH_LEN];
	const char *note;
	char msg[256];
	size_t len;
	int rc;

	*size = 0;
	rc = store_view_checkpoint(v, 0, &note, &len, size);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return health_fail(err, errlen, "cannot read the newest "
		    "checkpoint: %s", store_strerror(rc));
	msg[0] = '\0';
	if ((rc = note_verifier_new(vkey, &nv, msg, sizeof(msg))) != 0)
		return health_fail(err, errlen, "verifier key: %s%s%s",
		    note_strerror(rc), msg[0] != '\0' ? ": " : "", msg);
	rc = note_checkpoint_open(nv, note, len, &cp, msg, sizeof(msg));
	note_verifier_free(nv);
	if (rc != 0)
		return health_fail(err, errlen, "the newest checkpoint (size "
		    "%" PRIu64 ") does not verify with the daemon's key: "
		    "%s%s%s", *size, note_strerror(rc), msg[0] != '\0' ?
		    ": " : "", msg);
	if (cp.nc_size != *size)
		return health_fail(err, errlen, "the checkpoint stored at size "
		    "%" PRIu64 " states size %" PRIu64, *size, cp.nc_size);
	if (*size > store_view_tree_size(v))
		return health_fail(err, errlen, "the newest checkpoint (size "
		    "%" PRIu64 ") is beyond the tree (%" PRIu64 " leaves)",
		    *size, store_view_tree_size(v));
	if ((rc = merkle_root(store_view_tree(v), *size, root)) != 0)
		return health_fail(err, errlen, "root of the tree at size %"
		    PRIu64 ": %s", *size, store_strerror(rc));
	if (memcmp(root, cp.nc_root, NOTE_HASH_LEN) != 0)
		return health_fail(err, errlen, "the tree's root at size %"
		    PRIu64 " is not the root the checkpoint signed", *size);
	return 0;
}

/*
 * Recomputes the leaf hash of the view's newest entry (index n - 1, n >
 * 0) from its bytes and the store's leaf key, and compares it with the
 * tree's.
 */
static int
health_check_head(struct store *s, struct store_view *v, uint64_t n,
    struct leaf_ctx *ctx, char *err, size_t errlen)
{
	Algaudit__V1__Entry *e;
	const struct leaf_key *key;
	uint8_t want[LEAF_HASH_LEN], got[LEAF_HASH_LEN];
	const void *buf;
	size_t len;
	int rc;

	if ((key = store_leaf_key(s)) == NULL)
		return health_fail(err, errlen, "the store has entries but no "
		    "leaf key");
	if ((rc = store_view_entry(v, n - 1, &buf, &len)) != 0)
		return health_fail(err, errlen, "cannot read entry %" PRIu64
		    ": %s", n - 1, store_strerror(rc));
	if ((e = algaudit__v1__entry__unpack(NULL, len, buf)) == NULL)
		return health_fail(err, errlen, "entry %" PRIu64 " (%zu bytes) "
		    "does not decode", n - 1, len);
	rc = leaf_compute(ctx, key, e, got);
	algaudit__v1__entry__free_unpacked(e, NULL);
	if (rc != 0)
		return health_fail(err, errlen, "leaf hash of entry %" PRIu64
		    ": %s: %s", n - 1, leaf_strerror(rc),
		    leaf_ctx_errmsg(ctx));
	if ((rc = merkle_leaf(store_view_tree(v), n - 1, want)) != 0)
		return health_fail(err, errlen, "the tree's leaf %" PRIu64
		    ": %s", n - 1, store_strerror(rc));
	if (memcmp(want, got, LEAF_HASH_LEN) != 0)
		return health_fail(err, errlen, "entry %" PRIu64 " does not "
		    "hash to the tree's leaf: its bytes changed", n - 1);
	return 0;
}

/*
 * Checks a store that a writer has just (re)opened against what the
 * writer had committed: committed entries (the log size acknowledged
 * so far), with tree set whether the tree and the newest checkpoint
 * hold (vkey: the daemon's verifier key; ctx: a leaf workspace). Fills
 * hc. Returns 0; or -1 with a message in err, and then the store must
 * not be written. More entries than committed is no failure (a commit
 * reported as failed reached the disk after all); the caller adopts
 * them.
 */
int
health_check_store(struct store *s, uint64_t committed, int tree,
    const char *vkey, struct leaf_ctx *ctx, struct health_check *hc,
    char *err, size_t errlen)
{
	struct store_view *v = NULL;
	uint64_t n;
	int rc;

	memset(hc, 0, sizeof(*hc));
	if ((rc = store_view_begin(s, &v)) != 0)
		return health_fail(err, errlen, "cannot read the store: %s",
		    store_strerror(rc));
	n = hc->hc_entries = store_view_size(v);
	hc->hc_tree = store_view_tree_size(v);
	rc = -1;
	if (n < committed) {
		health_fail(err, errlen, "the log holds %" PRIu64 " entries, "
		    "but %" PRIu64 " were committed and acknowledged: "
		    "acknowledged entries are missing", n, committed);
		goto out;
	}
	if (store_next_index(s) != n) {
		health_fail(err, errlen, "the writer would append at index %"
		    PRIu64 " to a log of %" PRIu64 " entries",
		    store_next_index(s), n);
		goto out;
	}
	if (!tree) {
		rc = 0;
		goto out;
	}
	if (hc->hc_tree != n || store_tree_size(s) != n) {
		health_fail(err, errlen, "the Merkle tree has %" PRIu64
		    " leaves for %" PRIu64 " entries", hc->hc_tree, n);
		goto out;
	}
	if (health_check_ckpt(v, vkey, &hc->hc_ckpt_size, err, errlen) == -1)
		goto out;
	if (n > 0 && health_check_head(s, v, n, ctx, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	store_view_end(v);
	return rc;
}

/*
 * Clears the reader slots that processes which died inside a read
 * transaction left in the lock file of s (store_reader_check()) and logs
 * how many, if any. Returns that number, or -1 after logging why the
 * check failed.
 */
int
health_reader_check(struct store *s)
{
	int rc, n = 0;

	if ((rc = store_reader_check(s, &n)) != 0) {
		log_warnx("store %s: cannot check the reader table: %s",
		    store_path(s), store_strerror(rc));
		return -1;
	}
	if (n > 0)
		log_info("store: cleared %d stale reader slots (processes "
		    "that died inside a read transaction of %s)", n,
		    store_path(s));
	return n;
}
