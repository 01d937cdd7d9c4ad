/* SPDX-License-Identifier: ISC */
/*
 * check_store_tree.c: unit tests of the verifiable log's store side in
 * store/store.c (Suite "store_tree"): tiles written in the write
 * transaction, the tree size in meta, checkpoints, read views, and the
 * leaf master secret.
 *
 * The store's tree is checked against merkle.c's in-memory tiles fed
 * with the same leaf hashes: same tiles, same roots, same proofs. Leaf
 * hashes are synthetic (the RFC 6962 leaf hash of the 8-byte index), so
 * trees past 65536 leaves stay fast; the store never looks inside them.
 * Each test gets a fresh directory from mkdtemp (a checked fixture).
 * Stores from a pre-release or with damaged meta keys are forged with
 * LMDB directly, as check_store.c does. The cross-process test forks
 * its child before opening any store and the child reports through its
 * exit status.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "store.h"

#define CHECK_ORIGIN	"check.example/log"
#define CHECK_PAYLOAD	24		/* bytes of a test entry */
#define CHECK_BATCH_MAX	4096		/* most entries per test commit */

static char check_tmp[512];	/* the fixture's directory */
static char check_dir[1024];	/* the store inside it */

/* RFC 8032 test 1 secret key: the seed of the test signer. */
static const uint8_t check_seed[NOTE_SEED_LEN] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

/* Removes one file or directory of the fixture tree. */
static int
check_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Checked fixture: a fresh temporary directory, a clean environment. */
static void
check_setup(void)
{
	const char *t = getenv("TMPDIR");

	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	snprintf(check_tmp, sizeof(check_tmp), "%s/check_store_tree.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	snprintf(check_dir, sizeof(check_dir), "%s/store", check_tmp);
}

/* Checked fixture: removes the directory and everything in it. */
static void
check_teardown(void)
{
	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Sleeps 200 microseconds. */
static void
check_nap(void)
{
	struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}

/* Writes v as 8 big-endian bytes. */
static void
check_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The synthetic leaf hash of entry index, salted by gen. */
static void
check_leaf_hash(uint64_t index, unsigned gen, uint8_t *out)
{
	uint8_t b[9];

	check_be64(b, index);
	b[8] = (uint8_t)gen;
	merkle_hash_leaf(b, gen == 0 ? 8 : 9, out);
}

/* Fills buf with the payload of entry index. */
static void
check_payload(uint8_t *buf, uint64_t index)
{
	size_t i;

	for (i = 0; i < CHECK_PAYLOAD; i++)
		buf[i] = (uint8_t)(index * 31 + i);
	check_be64(buf, index);
}

/* Runs f on a raw LMDB environment of the store in one transaction. */
static void
check_forge(void (*f)(MDB_txn *))
{
	MDB_env *env;
	MDB_txn *txn;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 16), 0);
	ck_assert_int_eq(mdb_env_open(env, check_dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	f(txn);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Puts key = val into the named database of txn (created if absent). */
static void
check_forge_put(MDB_txn *txn, const char *db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_dbi dbi;
	MDB_val k, v;

	ck_assert_int_eq(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
	k.mv_size = klen;
	k.mv_data = (void *)(uintptr_t)key;
	v.mv_size = vlen;
	v.mv_data = (void *)(uintptr_t)val;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
}

/* Deletes a meta key. */
static void
check_forge_meta_del(MDB_txn *txn, const char *key)
{
	MDB_dbi dbi;
	MDB_val k;

	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	k.mv_size = strlen(key);
	k.mv_data = (void *)(uintptr_t)key;
	ck_assert_int_eq(mdb_del(txn, dbi, &k, NULL), 0);
}

/* A checkpoint key of 3 bytes. */
static void
check_forge_ckpt_key(MDB_txn *txn)
{
	check_forge_put(txn, "checkpoints", "abc", 3, "n", 1);
}

/*
 * A store as the pre-release wrote it: meta (format 1, origin, created),
 * entries and producers, no secret, no tiles, no checkpoints; with one
 * entry if entries.
 */
static void
check_forge_prerelease(MDB_txn *txn, int entries)
{
	static const uint8_t k0[8] = { 0 };
	MDB_dbi dbi;

	check_forge_put(txn, "meta", "format", 6, "\0\0\0\1", 4);
	check_forge_put(txn, "meta", "origin", 6, "old", 3);
	check_forge_put(txn, "meta", "created", 7, "\0\0\0\0\0\0\0\1", 8);
	check_forge_put(txn, "producers", "p", 1, "0123456789abcdef"
	    "0123456789abcdef", 32);
	ck_assert_int_eq(mdb_dbi_open(txn, "entries", MDB_CREATE, &dbi), 0);
	if (entries)
		check_forge_put(txn, "entries", k0, 8, "entry", 5);
}

/* The pre-release store with one entry. */
static void
check_forge_old_full(MDB_txn *txn)
{
	check_forge_prerelease(txn, 1);
}

/* The pre-release store with no entry. */
static void
check_forge_old_empty(MDB_txn *txn)
{
	check_forge_prerelease(txn, 0);
}

/* Asserts that every kind of open of the store fails with want. */
static void
check_open_fails(int want)
{
	struct store *s = (struct store *)1;
	int flags[] = { 0, STORE_CREATE, STORE_RDONLY };
	size_t i;
	int rc;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		rc = store_open(&s, check_dir, flags[i], NULL);
		ck_assert_msg(rc == want, "flags %d: got %s, want %s",
		    flags[i], store_strerror(rc), store_strerror(want));
		ck_assert_ptr_null(s);
	}
}

/* Opens a writer on a new (or existing) store. */
static struct store *
check_create(void)
{
	struct store *s;
	int rc;

	rc = store_open(&s, check_dir, STORE_CREATE, CHECK_ORIGIN);
	ck_assert_msg(rc == 0, "store_open %s: %s", check_dir,
	    store_strerror(rc));
	return s;
}

/* Opens a reader. */
static struct store *
check_reader(void)
{
	struct store *s;
	int rc;

	rc = store_open(&s, check_dir, STORE_RDONLY, NULL);
	ck_assert_msg(rc == 0, "store_open rdonly: %s", store_strerror(rc));
	return s;
}

/* The test signer. */
static struct note_signer *
check_signer(void)
{
	struct note_signer *sg;

	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, check_seed,
	    &sg), 0);
	return sg;
}

/* A verifier for the test signer's notes. */
static struct note_verifier *
check_verifier(void)
{
	struct note_signer *sg = check_signer();
	struct note_verifier *nv;
	char vkey[NOTE_VKEY_MAX];

	ck_assert_int_eq(note_signer_vkey(sg, vkey, sizeof(vkey)), 0);
	ck_assert_int_eq(note_verifier_new(vkey, &nv, NULL, 0), 0);
	note_signer_free(sg);
	return nv;
}

/*
 * One write transaction: n entries with their leaf hashes (of
 * generation gen), and with sg a signed checkpoint at the new size.
 * Follows the retry contract on STORE_EMAPFULL, counting retries in
 * *retries. With mem, adds the committed hashes to it. Returns 0 or the
 * first other error.
 */
static int
check_tx(struct store *s, size_t n, unsigned gen, struct note_signer *sg,
    struct merkle_mem *mem, int *retries)
{
	static uint8_t hashes[CHECK_BATCH_MAX * MERKLE_HASH_LEN];
	uint8_t buf[CHECK_PAYLOAD], root[MERKLE_HASH_LEN];
	struct merkle_io io;
	uint64_t first, idx;
	size_t i, len;
	char *note;
	int rc;

	ck_assert_uint_le(n, CHECK_BATCH_MAX);
	for (;;) {
		if ((rc = store_begin(s)) != 0)
			return rc;
		first = store_next_index(s);
		for (i = 0; i < n; i++) {
			check_payload(buf, first + i);
			if ((rc = store_append(s, buf, sizeof(buf), &idx)) != 0)
				break;
			check_leaf_hash(idx, gen, hashes + i * MERKLE_HASH_LEN);
		}
		if (rc == 0)
			rc = store_tree_append(s, hashes, n);
		if (rc == 0 && sg != NULL &&
		    (rc = store_tree_root_txn(s, first + n, root)) == 0) {
			ck_assert_int_eq(note_checkpoint_sign(sg, CHECK_ORIGIN,
			    first + n, root, &note, &len), 0);
			rc = store_checkpoint_put(s, first + n, note, len);
			free(note);
		}
		if (rc == 0)
			rc = store_commit(s);
		if (rc != STORE_EMAPFULL)
			break;
		if (retries != NULL)
			(*retries)++;
	}
	if (rc == 0 && mem != NULL) {
		merkle_mem_io(mem, &io);
		ck_assert_int_eq(merkle_append(&io, first, hashes, n), 0);
	}
	return rc;
}

/* Asserts that the view's tiles are exactly the in-memory ones. */
static void
check_tiles_equal(struct store_view *v, struct merkle_mem *mem)
{
	static uint8_t got[MERKLE_TILE_BYTES];
	const struct merkle_io *io = store_view_tree(v);
	const uint8_t *want;
	size_t gcount, wcount;
	uint64_t t;
	int level;

	ck_assert_ptr_null(io->mi_put);
	for (level = 0; level < MERKLE_TILE_LEVELS; level++) {
		for (t = 0;; t++) {
			ck_assert_int_eq(io->mi_get(io->mi_arg, level, t, got,
			    &gcount), 0);
			want = merkle_mem_tile(mem, level, t, &wcount);
			if (want == NULL) {
				ck_assert_uint_eq(gcount, 0);
				break;
			}
			ck_assert_msg(gcount == wcount, "tile %d/%llu: %zu "
			    "hashes, want %zu", level, (unsigned long long)t,
			    gcount, wcount);
			ck_assert(memcmp(got, want, wcount *
			    MERKLE_HASH_LEN) == 0);
		}
	}
}

/* Asserts equal roots of the first size leaves. */
static void
check_root_equal(const struct merkle_io *sio, const struct merkle_io *mio,
    uint64_t size)
{
	uint8_t a[MERKLE_HASH_LEN], b[MERKLE_HASH_LEN];
	int rc;

	rc = merkle_root(sio, size, a);
	ck_assert_msg(rc == 0, "root %llu: %s", (unsigned long long)size,
	    store_strerror(rc));
	ck_assert_int_eq(merkle_root(mio, size, b), 0);
	ck_assert_msg(memcmp(a, b, sizeof(a)) == 0, "root of %llu differs",
	    (unsigned long long)size);
}

/* Asserts equal inclusion proofs of index in size, and that it verifies. */
static void
check_incl_equal(const struct merkle_io *sio, const struct merkle_io *mio,
    uint64_t index, uint64_t size)
{
	uint8_t a[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	uint8_t b[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	uint8_t root[MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	size_t na, nb;

	ck_assert_int_eq(merkle_prove_inclusion(sio, index, size, a, &na), 0);
	ck_assert_int_eq(merkle_prove_inclusion(mio, index, size, b, &nb), 0);
	ck_assert_msg(na == nb && memcmp(a, b, na * MERKLE_HASH_LEN) == 0,
	    "inclusion %llu in %llu differs", (unsigned long long)index,
	    (unsigned long long)size);
	ck_assert_int_eq(merkle_root(sio, size, root), 0);
	ck_assert_int_eq(merkle_leaf(sio, index, leaf), 0);
	ck_assert_int_eq(merkle_verify_inclusion(leaf, index, size, a, na,
	    root), 0);
}

/* Asserts equal consistency proofs from old to size, and that it verifies. */
static void
check_cons_equal(const struct merkle_io *sio, const struct merkle_io *mio,
    uint64_t old, uint64_t size)
{
	uint8_t a[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	uint8_t b[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	uint8_t r1[MERKLE_HASH_LEN], r2[MERKLE_HASH_LEN];
	size_t na, nb;

	ck_assert_int_eq(merkle_prove_consistency(sio, old, size, a, &na), 0);
	ck_assert_int_eq(merkle_prove_consistency(mio, old, size, b, &nb), 0);
	ck_assert_msg(na == nb && memcmp(a, b, na * MERKLE_HASH_LEN) == 0,
	    "consistency %llu to %llu differs", (unsigned long long)old,
	    (unsigned long long)size);
	ck_assert_int_eq(merkle_root(sio, old, r1), 0);
	ck_assert_int_eq(merkle_root(sio, size, r2), 0);
	ck_assert_int_eq(merkle_verify_consistency(old, size, r1, r2, a, na),
	    0);
}

/*
 * Compares a view of the store with mem (n leaves): tiles, the roots of
 * every size from from up to 600, and roots, inclusion and consistency
 * proofs at the interesting sizes (around 256, 512 and 65536, n).
 */
static void
check_compare(struct store *s, struct merkle_mem *mem, uint64_t from,
    uint64_t n)
{
	static const uint64_t marks[] = {
		1, 2, 3, 7, 255, 256, 257, 511, 512, 513, 65535, 65536,
		65537, 65792, 65793,
	};
	uint64_t sizes[32], idx[8], i, j, k, m;
	struct store_view *v;
	struct merkle_io mio;
	const struct merkle_io *sio;
	size_t ns = 0;

	merkle_mem_io(mem, &mio);
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_uint_eq(store_view_size(v), n);
	ck_assert_uint_eq(store_view_tree_size(v), n);
	sio = store_view_tree(v);
	check_tiles_equal(v, mem);
	for (i = from; i <= n && i <= 600; i++)
		check_root_equal(sio, &mio, i);
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (marks[i] <= n)
			sizes[ns++] = marks[i];
	for (m = n > 1 ? n - 1 : n; m <= n && m > 0; m++)
		if (m > sizes[ns - 1])
			sizes[ns++] = m;
	for (i = 0; i < ns; i++) {
		m = sizes[i];
		check_root_equal(sio, &mio, m);
		idx[0] = 0;
		idx[1] = m / 2;
		idx[2] = m - 1;
		idx[3] = 255 % m;
		idx[4] = 256 % m;
		idx[5] = 65535 % m;
		idx[6] = 65536 % m;
		idx[7] = (m * 7919) % m;
		for (j = 0; j < 8; j++)
			check_incl_equal(sio, &mio, idx[j], m);
		for (k = 0; k <= i; k++)
			check_cons_equal(sio, &mio, sizes[k], m);
	}
	store_view_end(v);
}

/*
 * Tree: appends, roots, proofs.
 */

START_TEST(test_tree_matches_mem)
{
	/* Batches that land on and cross 256 and 65536. */
	static const size_t batches[] = {
		1, 1, 5, 249, 1, 1, 254, 256, 300, 3000, 4096,
	};
	struct store *s;
	struct merkle_mem *mem;
	uint8_t a[MERKLE_HASH_LEN], b[MERKLE_HASH_LEN];
	struct merkle_io mio;
	uint64_t n = 0;
	size_t i, k;

	s = check_create();
	ck_assert_int_eq(merkle_mem_new(&mem), 0);
	merkle_mem_io(mem, &mio);
	for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		ck_assert_int_eq(check_tx(s, batches[i], 0, NULL, mem, NULL),
		    0);
		n += batches[i];
		ck_assert_uint_eq(store_tree_size(s), n);
		/* Every root up to 600 once, as the tree grows. */
		if (n < 1000 || i == sizeof(batches) / sizeof(batches[0]) - 1)
			check_compare(s, mem, n - batches[i], n);
	}
	/* Up to 65536 - 1, then exactly to it, then across it. */
	while (n + CHECK_BATCH_MAX < 65535) {
		ck_assert_int_eq(check_tx(s, CHECK_BATCH_MAX, 0, NULL, mem,
		    NULL), 0);
		n += CHECK_BATCH_MAX;
	}
	k = (size_t)(65535 - n);
	ck_assert_int_eq(check_tx(s, k, 0, NULL, mem, NULL), 0);
	n += k;
	check_compare(s, mem, n, n);
	ck_assert_int_eq(check_tx(s, 1, 0, NULL, mem, NULL), 0);
	n++;
	check_compare(s, mem, n, n);
	ck_assert_int_eq(check_tx(s, 258, 0, NULL, mem, NULL), 0);
	n += 258;
	check_compare(s, mem, n, n);

	/* The root inside the transaction sees the uncommitted leaves. */
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_tree_root_txn(s, n, a), 0);
	ck_assert_int_eq(merkle_root(&mio, n, b), 0);
	ck_assert(memcmp(a, b, sizeof(a)) == 0);
	ck_assert_int_eq(store_tree_root_txn(s, 300, a), 0);
	ck_assert_int_eq(merkle_root(&mio, 300, b), 0);
	ck_assert(memcmp(a, b, sizeof(a)) == 0);
	store_abort(s);
	ck_assert_int_eq(check_tx(s, 10, 0, NULL, mem, NULL), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_tree_root_txn(s, n + 10, a), 0);
	ck_assert_int_eq(merkle_root(&mio, n + 10, b), 0);
	ck_assert(memcmp(a, b, sizeof(a)) == 0);
	store_abort(s);
	merkle_mem_free(mem);
	store_close(s);
}
END_TEST

START_TEST(test_tree_several_appends_per_txn)
{
	struct store *s;
	struct merkle_mem *mem;
	struct merkle_io mio;
	uint8_t buf[CHECK_PAYLOAD], h[3 * MERKLE_HASH_LEN];
	uint64_t i;
	int j;

	s = check_create();
	ck_assert_int_eq(merkle_mem_new(&mem), 0);
	merkle_mem_io(mem, &mio);
	ck_assert_int_eq(store_begin(s), 0);
	/* Nothing appended: an empty append is a no-op. */
	ck_assert_int_eq(store_tree_append(s, NULL, 0), 0);
	for (i = 0; i < 300; i += 3) {
		for (j = 0; j < 3; j++) {
			check_payload(buf, i + (uint64_t)j);
			ck_assert_int_eq(store_append(s, buf, sizeof(buf),
			    NULL), 0);
			check_leaf_hash(i + (uint64_t)j, 0,
			    h + j * MERKLE_HASH_LEN);
		}
		ck_assert_int_eq(store_tree_append(s, h, 3), 0);
		ck_assert_int_eq(merkle_append(&mio, i, h, 3), 0);
		ck_assert_uint_eq(store_tree_size(s), i + 3);
	}
	ck_assert_int_eq(store_commit(s), 0);
	check_compare(s, mem, 0, 300);
	merkle_mem_free(mem);
	store_close(s);
}
END_TEST

START_TEST(test_tree_mismatch)
{
	struct store *s;
	uint8_t buf[CHECK_PAYLOAD], h[4 * MERKLE_HASH_LEN], root[32];
	int i;

	s = check_create();
	ck_assert_int_eq(store_tree_append(s, h, 1), STORE_ETXN);
	ck_assert_int_eq(store_tree_root_txn(s, 0, root), STORE_ETXN);
	ck_assert_int_eq(check_tx(s, 5, 0, NULL, NULL, NULL), 0);
	for (i = 0; i < 4; i++)
		check_leaf_hash(5 + (uint64_t)i, 0, h + i * MERKLE_HASH_LEN);

	/* Fewer hashes than entries: aborted, nothing left. */
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 3; i++) {
		check_payload(buf, 5 + (uint64_t)i);
		ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	}
	ck_assert_int_eq(store_tree_append(s, NULL, 3), EINVAL);
	ck_assert_int_eq(store_tree_append(s, h, 2), STORE_ETREE);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	ck_assert_uint_eq(store_next_index(s), 5);
	ck_assert_uint_eq(store_tree_size(s), 5);

	/* More hashes than entries. */
	ck_assert_int_eq(store_begin(s), 0);
	check_payload(buf, 5);
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	ck_assert_int_eq(store_tree_append(s, h, 2), STORE_ETREE);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);

	/* Entries left uncovered: a zero-hash append finds them too. */
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	ck_assert_int_eq(store_tree_append(s, NULL, 0), STORE_ETREE);
	ck_assert_uint_eq(store_next_index(s), 5);

	/* Root sizes past the tree, and a missing output. */
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_tree_root_txn(s, 6, root), EINVAL);
	ck_assert_int_eq(store_tree_root_txn(s, 5, NULL), EINVAL);
	ck_assert_int_eq(store_tree_root_txn(s, 5, root), 0);
	ck_assert_int_eq(store_tree_root_txn(s, 0, root), 0);
	merkle_hash_empty(h);
	ck_assert(memcmp(root, h, 32) == 0);
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);

	ck_assert_str_eq(store_strerror(MERKLE_ECORRUPT),
	    merkle_strerror(MERKLE_ECORRUPT));
	ck_assert(strncmp(store_strerror(STORE_ETREE), "STORE_ETREE: ",
	    13) == 0);
}
END_TEST

START_TEST(test_tree_abort)
{
	struct store *s;
	struct store_view *v;
	struct merkle_mem *mem;
	struct note_signer *sg = check_signer();
	uint8_t h[MERKLE_HASH_LEN];
	const char *note;
	size_t len;
	uint64_t got;

	s = check_create();
	ck_assert_int_eq(merkle_mem_new(&mem), 0);
	ck_assert_int_eq(check_tx(s, 10, 0, sg, mem, NULL), 0);

	/* Abort: tiles, tree size and checkpoint go with the entries. */
	ck_assert_int_eq(store_begin(s), 0);
	store_abort(s);
	store_set_fault(s, 1, EIO);
	ck_assert_int_eq(check_tx(s, 300, 1, sg, NULL, NULL), STORE_EIO);
	ck_assert_uint_eq(store_next_index(s), 10);
	ck_assert_uint_eq(store_tree_size(s), 10);
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_uint_eq(store_view_size(v), 10);
	ck_assert_uint_eq(store_view_tree_size(v), 10);
	ck_assert_int_eq(store_view_checkpoint(v, 0, &note, &len, &got), 0);
	ck_assert_uint_eq(got, 10);
	ck_assert_int_eq(store_view_checkpoint(v, 310, &note, &len, &got),
	    STORE_ENOTFOUND);
	check_tiles_equal(v, mem);
	store_view_end(v);

	/* store_abort() in the middle of a transaction. */
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, "x", 1, NULL), 0);
	check_leaf_hash(10, 7, h);
	ck_assert_int_eq(store_tree_append(s, h, 1), 0);
	ck_assert_uint_eq(store_tree_size(s), 11);
	store_abort(s);
	ck_assert_uint_eq(store_tree_size(s), 10);

	/* The tree goes on from where the committed one ends. */
	ck_assert_int_eq(check_tx(s, 600, 0, sg, mem, NULL), 0);
	check_compare(s, mem, 0, 610);
	merkle_mem_free(mem);
	note_signer_free(sg);
	store_close(s);
}
END_TEST

START_TEST(test_tree_reopen)
{
	struct store *s;
	struct merkle_mem *mem;

	ck_assert_int_eq(merkle_mem_new(&mem), 0);
	s = check_create();
	ck_assert_int_eq(check_tx(s, 700, 0, NULL, mem, NULL), 0);
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_uint_eq(store_tree_size(s), 700);
	ck_assert_int_eq(check_tx(s, 70, 0, NULL, mem, NULL), 0);
	store_close(s);

	s = check_reader();
	ck_assert_uint_eq(store_tree_size(s), 770);
	check_compare(s, mem, 0, 770);
	store_close(s);
	merkle_mem_free(mem);
}
END_TEST

START_TEST(test_tree_growth)
{
	struct store *s;
	struct store_info si;
	struct merkle_mem *mem;
	struct note_signer *sg = check_signer();
	uint64_t n = 0;
	int retries = 0;

	setenv("ALGAUDIT_STORE_MAPSIZE", "262144", 1);
	ck_assert_int_eq(merkle_mem_new(&mem), 0);
	s = check_create();
	while (n < 40000) {
		ck_assert_int_eq(check_tx(s, CHECK_BATCH_MAX, 0, sg, mem,
		    &retries), 0);
		n += CHECK_BATCH_MAX;
	}
	ck_assert_int_gt(retries, 0);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_gt(si.si_map_size, 262144);
	check_compare(s, mem, n, n);
	store_close(s);
	merkle_mem_free(mem);
	note_signer_free(sg);
}
END_TEST

/*
 * Checkpoints.
 */

/* What check_each_cb saw. */
struct check_each {
	uint64_t	 ce_sizes[16];
	size_t		 ce_n;
	size_t		 ce_stop;	/* stop after this many (0: never) */
	int		 ce_bad;
};

/* The length of a signed note's body (up to its blank line), or len. */
static size_t
check_body_len(const char *note, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (note[i] == '\n' && note[i - 1] == '\n')
			return i;
	return len;
}

/* Records each checkpoint; checks its body states its size. */
static int
check_each_cb(uint64_t size, const char *note, size_t len, void *arg)
{
	struct check_each *ce = arg;
	struct note_checkpoint nc;
	size_t body;

	body = check_body_len(note, len);
	if (body >= len || note_checkpoint_parse(note, body, &nc, NULL,
	    0) != 0 || nc.nc_size != size)
		ce->ce_bad = 1;
	if (ce->ce_n < 16)
		ce->ce_sizes[ce->ce_n] = size;
	ce->ce_n++;
	if (ce->ce_stop != 0 && ce->ce_n == ce->ce_stop)
		return 42;
	return 0;
}

START_TEST(test_checkpoint_put_get)
{
	struct store *s;
	struct store_view *v;
	struct merkle_mem *mem;
	struct merkle_io mio;
	struct note_signer *sg = check_signer();
	struct note_verifier *nv = check_verifier();
	struct note_checkpoint nc;
	struct check_each ce;
	uint8_t root[MERKLE_HASH_LEN];
	const char *note;
	size_t len;
	uint64_t got;

	ck_assert_int_eq(merkle_mem_new(&mem), 0);
	merkle_mem_io(mem, &mio);
	s = check_create();
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_int_eq(store_view_checkpoint(v, 0, &note, &len, &got),
	    STORE_ENOTFOUND);
	memset(&ce, 0, sizeof(ce));
	ck_assert_int_eq(store_view_checkpoints_each(v, check_each_cb, &ce),
	    0);
	ck_assert_uint_eq(ce.ce_n, 0);
	store_view_end(v);

	ck_assert_int_eq(check_tx(s, 5, 0, sg, mem, NULL), 0);
	ck_assert_int_eq(check_tx(s, 5, 0, sg, mem, NULL), 0);
	ck_assert_int_eq(check_tx(s, 290, 0, sg, mem, NULL), 0);
	ck_assert_int_eq(check_tx(s, 7, 0, NULL, mem, NULL), 0);
	store_close(s);

	s = check_reader();
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_int_eq(store_view_checkpoint(v, 0, &note, &len, &got), 0);
	ck_assert_uint_eq(got, 300);
	ck_assert_int_eq(note_checkpoint_open(nv, note, len, &nc, NULL, 0),
	    0);
	ck_assert_uint_eq(nc.nc_size, 300);
	ck_assert_str_eq(nc.nc_origin, CHECK_ORIGIN);
	ck_assert_int_eq(merkle_root(store_view_tree(v), 300, root), 0);
	ck_assert(memcmp(nc.nc_root, root, sizeof(root)) == 0);

	ck_assert_int_eq(store_view_checkpoint(v, 10, &note, &len, NULL), 0);
	ck_assert_int_eq(note_checkpoint_open(nv, note, len, &nc, NULL, 0),
	    0);
	ck_assert_uint_eq(nc.nc_size, 10);
	ck_assert_int_eq(merkle_root(&mio, 10, root), 0);
	ck_assert(memcmp(nc.nc_root, root, sizeof(root)) == 0);
	ck_assert_int_eq(store_view_checkpoint(v, 7, &note, &len, &got),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_view_checkpoint(v, 307, &note, &len, &got),
	    STORE_ENOTFOUND);

	memset(&ce, 0, sizeof(ce));
	ck_assert_int_eq(store_view_checkpoints_each(v, check_each_cb, &ce),
	    0);
	ck_assert_uint_eq(ce.ce_n, 3);
	ck_assert_int_eq(ce.ce_bad, 0);
	ck_assert_uint_eq(ce.ce_sizes[0], 5);
	ck_assert_uint_eq(ce.ce_sizes[1], 10);
	ck_assert_uint_eq(ce.ce_sizes[2], 300);
	memset(&ce, 0, sizeof(ce));
	ce.ce_stop = 2;
	ck_assert_int_eq(store_view_checkpoints_each(v, check_each_cb, &ce),
	    42);
	ck_assert_uint_eq(ce.ce_n, 2);
	ck_assert_int_eq(store_view_checkpoints_each(v, NULL, NULL), EINVAL);
	store_view_end(v);
	store_close(s);
	merkle_mem_free(mem);
	note_signer_free(sg);
	note_verifier_free(nv);
}
END_TEST

START_TEST(test_checkpoint_bad)
{
	static const uint8_t seed2[NOTE_SEED_LEN] = { 1, 2, 3 };
	static const char bad[] = "o\n20\nnotbase64\n\n— o x\n";
	struct store *s;
	struct store_view *v;
	struct note_signer *sg = check_signer(), *sg2;
	uint8_t root[MERKLE_HASH_LEN];
	const char *got_note;
	char *note, *note2, *empty;
	size_t len, len2, elen, got_len;
	uint64_t got;

	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, seed2, &sg2), 0);
	s = check_create();
	ck_assert_int_eq(store_checkpoint_put(s, 0, "x\n", 2), STORE_ETXN);
	ck_assert_int_eq(check_tx(s, 20, 0, NULL, NULL, NULL), 0);

	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_tree_root_txn(s, 20, root), 0);
	ck_assert_int_eq(note_checkpoint_sign(sg, CHECK_ORIGIN, 20, root,
	    &note, &len), 0);
	ck_assert_int_eq(note_checkpoint_sign(sg2, CHECK_ORIGIN, 20, root,
	    &note2, &len2), 0);
	ck_assert_int_eq(store_tree_root_txn(s, 0, root), 0);
	ck_assert_int_eq(note_checkpoint_sign(sg, CHECK_ORIGIN, 0, root,
	    &empty, &elen), 0);

	/* Bad input leaves the transaction open. */
	ck_assert_int_eq(store_checkpoint_put(s, 20, NULL, len), EINVAL);
	ck_assert_int_eq(store_checkpoint_put(s, 20, note, 0), EINVAL);
	ck_assert_int_eq(store_checkpoint_put(s, 20, note,
	    NOTE_MSG_MAX + 1), EINVAL);
	ck_assert_int_eq(store_checkpoint_put(s, 21, note, len), EINVAL);
	ck_assert_int_eq(store_checkpoint_put(s, 19, note, len), EINVAL);
	ck_assert_int_eq(store_checkpoint_put(s, 20, "hello\n", 6), EINVAL);
	ck_assert_int_eq(store_checkpoint_put(s, 20, bad, strlen(bad)),
	    EINVAL);

	/* Once stored, a checkpoint stays; the same bytes again are fine. */
	ck_assert_int_eq(store_checkpoint_put(s, 20, note, len), 0);
	ck_assert_int_eq(store_checkpoint_put(s, 20, note, len), 0);
	ck_assert_int_eq(store_checkpoint_put(s, 20, note2, len2), EEXIST);
	/* The empty tree's checkpoint. */
	ck_assert_int_eq(store_checkpoint_put(s, 0, empty, elen), 0);
	ck_assert_int_eq(store_commit(s), 0);

	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_checkpoint_put(s, 20, note2, len2), EEXIST);
	store_abort(s);

	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_int_eq(store_view_checkpoint(v, 0, &got_note, &got_len,
	    &got), 0);
	ck_assert_uint_eq(got, 20);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got_note, note, len) == 0);
	store_view_end(v);
	store_close(s);
	free(note);
	free(note2);
	free(empty);
	note_signer_free(sg);
	note_signer_free(sg2);
}
END_TEST

START_TEST(test_checkpoint_corrupt)
{
	struct store *s;
	struct store_view *v;
	struct check_each ce;
	const char *note;
	size_t len;
	uint64_t got;

	store_close(check_create());
	check_forge(check_forge_ckpt_key);

	s = check_reader();
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_int_eq(store_view_checkpoint(v, 0, &note, &len, &got),
	    STORE_ECORRUPT);
	memset(&ce, 0, sizeof(ce));
	ck_assert_int_eq(store_view_checkpoints_each(v, check_each_cb, &ce),
	    STORE_ECORRUPT);
	store_view_end(v);
	store_close(s);
}
END_TEST

/*
 * Views.
 */

START_TEST(test_view_snapshot)
{
	struct store *s, *r;
	struct store_view *v, *v2;
	const void *buf;
	uint8_t want[CHECK_PAYLOAD];
	size_t len;

	s = check_create();
	ck_assert_int_eq(check_tx(s, 50, 0, NULL, NULL, NULL), 0);
	r = check_reader();
	ck_assert_int_eq(store_view_begin(r, &v), 0);
	/* The writer's own uncommitted work is invisible to views. */
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, "x", 1, NULL), 0);
	ck_assert_int_eq(store_view_begin(s, &v2), 0);
	ck_assert_uint_eq(store_view_size(v2), 50);
	ck_assert_uint_eq(store_view_tree_size(v2), 50);
	store_view_end(v2);
	store_abort(s);
	ck_assert_int_eq(check_tx(s, 25, 0, NULL, NULL, NULL), 0);

	ck_assert_uint_eq(store_view_size(v), 50);
	ck_assert_uint_eq(store_view_tree_size(v), 50);
	ck_assert_int_eq(store_view_entry(v, 49, &buf, &len), 0);
	check_payload(want, 49);
	ck_assert_uint_eq(len, CHECK_PAYLOAD);
	ck_assert(memcmp(buf, want, len) == 0);
	ck_assert_int_eq(store_view_entry(v, 50, &buf, &len),
	    STORE_ENOTFOUND);
	store_view_end(v);

	ck_assert_int_eq(store_view_begin(r, &v), 0);
	ck_assert_uint_eq(store_view_size(v), 75);
	ck_assert_uint_eq(store_view_tree_size(v), 75);
	ck_assert_int_eq(store_view_entry(v, 74, &buf, &len), 0);
	check_payload(want, 74);
	ck_assert(memcmp(buf, want, len) == 0);
	store_view_end(v);
	store_view_end(NULL);
	store_close(r);
	store_close(s);
}
END_TEST

/*
 * The child of test_view_child: reads views while the parent appends,
 * until the parent closes the pipe; each view must hold a whole commit
 * (tree size = log size, the root of the leaves so far, a checkpoint
 * no newer than the tree). Exit status 0 if all held.
 */
static int
check_child_views(int rfd, uint64_t final)
{
	struct merkle_compact mc;
	struct store *s;
	struct store_view *v;
	struct note_checkpoint nc;
	uint8_t h[MERKLE_HASH_LEN], want[MERKLE_HASH_LEN];
	uint8_t root[MERKLE_HASH_LEN];
	const char *note;
	size_t len, body;
	uint64_t size, got, last = 0;
	unsigned long views = 0;
	char c;
	int rc, done = 0;

	if (read(rfd, &c, 1) != 1)	/* the store exists */
		return 10;
	if ((rc = store_open(&s, check_dir, STORE_RDONLY, NULL)) != 0) {
		fprintf(stderr, "child: open: %s\n", store_strerror(rc));
		return 11;
	}
	if (fcntl(rfd, F_SETFL, O_NONBLOCK) != 0)
		return 12;
	merkle_compact_init(&mc);
	while (!done) {
		/* Check the pipe first: the view after EOF is the last. */
		if (read(rfd, &c, 1) == 0)
			done = 1;
		if ((rc = store_view_begin(s, &v)) != 0) {
			fprintf(stderr, "child: view: %s\n",
			    store_strerror(rc));
			return 13;
		}
		size = store_view_size(v);
		views++;
		if (store_view_tree_size(v) != size || size < last) {
			fprintf(stderr, "child: size %llu tree %llu last "
			    "%llu\n", (unsigned long long)size,
			    (unsigned long long)store_view_tree_size(v),
			    (unsigned long long)last);
			return 14;
		}
		while (mc.mc_size < size) {
			check_leaf_hash(mc.mc_size, 0, h);
			if (merkle_compact_push(&mc, h) != 0)
				return 15;
		}
		last = size;
		merkle_compact_root(&mc, want);
		if ((rc = merkle_root(store_view_tree(v), size, root)) != 0 ||
		    memcmp(root, want, sizeof(root)) != 0) {
			fprintf(stderr, "child: root at %llu: %s\n",
			    (unsigned long long)size, store_strerror(rc));
			return 16;
		}
		rc = store_view_checkpoint(v, 0, &note, &len, &got);
		if (rc == 0) {
			body = check_body_len(note, len);
			if (got > size || body >= len ||
			    note_checkpoint_parse(note, body, &nc, NULL,
			    0) != 0 || nc.nc_size != got)
				return 17;
		} else if (rc != STORE_ENOTFOUND)
			return 18;
		store_view_end(v);
		check_nap();
	}
	store_close(s);
	if (last != final) {
		fprintf(stderr, "child: last view %llu, want %llu\n",
		    (unsigned long long)last, (unsigned long long)final);
		return 19;
	}
	if (views < 2)
		return 20;
	return 0;
}

START_TEST(test_view_child)
{
	struct store *s;
	struct note_signer *sg;
	pid_t pid;
	int fds[2], status, i;
	const uint64_t final = 1 + 120 * 97;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[1]);
		_exit(check_child_views(fds[0], final));
	}
	close(fds[0]);
	sg = check_signer();
	s = check_create();
	ck_assert_int_eq(check_tx(s, 1, 0, sg, NULL, NULL), 0);
	ck_assert_int_eq(write(fds[1], "c", 1), 1);
	for (i = 0; i < 120; i++)
		ck_assert_int_eq(check_tx(s, 97, 0, i % 3 == 0 ? sg : NULL,
		    NULL, NULL), 0);
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child failed: status %d", status);
	store_close(s);
	note_signer_free(sg);
}
END_TEST

/* What a thread of test_view_thread reports. */
struct check_vt {
	struct store	*vt_store;
	volatile int	*vt_stop;
	int		 vt_rc;
	unsigned long	 vt_views;
};

/* Opens views until told to stop; each must be a whole commit. */
static void *
check_view_thread(void *arg)
{
	struct check_vt *vt = arg;
	struct store_view *v;
	uint8_t root[MERKLE_HASH_LEN];
	int rc;

	while (!*vt->vt_stop) {
		rc = store_view_begin(vt->vt_store, &v);
		if (rc == STORE_EBUSY)
			continue;
		if (rc != 0) {
			vt->vt_rc = rc;
			break;
		}
		vt->vt_views++;
		if (store_view_tree_size(v) != store_view_size(v))
			vt->vt_rc = STORE_ETREE;
		else if ((rc = merkle_root(store_view_tree(v),
		    store_view_size(v), root)) != 0)
			vt->vt_rc = rc;
		store_view_end(v);
		if (vt->vt_rc != 0)
			break;
		/* Let the writer run (valgrind runs one thread at a time). */
		check_nap();
	}
	return NULL;
}

START_TEST(test_view_thread)
{
	struct store *s;
	struct check_vt vt;
	pthread_t th;
	volatile int stop = 0;
	int i, retries = 0;

	/* A small map: growing waits for the thread's views to end. */
	setenv("ALGAUDIT_STORE_MAPSIZE", "262144", 1);
	s = check_create();
	memset(&vt, 0, sizeof(vt));
	vt.vt_store = s;
	vt.vt_stop = &stop;
	ck_assert_int_eq(pthread_create(&th, NULL, check_view_thread, &vt),
	    0);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(check_tx(s, 500, 0, NULL, NULL, &retries), 0);
	stop = 1;
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(vt.vt_rc == 0, "thread: %s", store_strerror(vt.vt_rc));
	ck_assert_uint_gt(vt.vt_views, 0);
	store_close(s);
}
END_TEST

/*
 * The leaf master secret.
 */

/* Reads meta key into val (up to cap bytes); returns its length or -1. */
static long
check_meta_read(const char *key, void *val, size_t cap)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	long n = -1;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 16), 0);
	ck_assert_int_eq(mdb_env_open(env, check_dir, MDB_RDONLY, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	k.mv_size = strlen(key);
	k.mv_data = (void *)(uintptr_t)key;
	if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size <= cap) {
		memcpy(val, v.mv_data, v.mv_size);
		n = (long)v.mv_size;
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return n;
}

/* Asserts that key derives entry secret want for index 7. */
static void
check_key_is(const struct leaf_key *k, const uint8_t *want)
{
	uint8_t e[LEAF_SECRET_LEN];

	ck_assert_ptr_nonnull(k);
	leaf_entry_secret(k, 7, e);
	ck_assert(memcmp(e, want, sizeof(e)) == 0);
}

START_TEST(test_secret_created_once)
{
	struct store *s;
	struct leaf_key *raw;
	uint8_t secret[64], e[LEAF_SECRET_LEN], fmt[8], ts[16];

	s = check_create();
	ck_assert_ptr_nonnull(store_leaf_key(s));
	leaf_entry_secret(store_leaf_key(s), 7, e);
	ck_assert_int_eq(check_tx(s, 3, 0, NULL, NULL, NULL), 0);
	store_close(s);

	/* In meta: 32 bytes, the leaf format, the tree size. */
	ck_assert_int_eq(check_meta_read("leaf_secret", secret,
	    sizeof(secret)), LEAF_SECRET_LEN);
	ck_assert_int_eq(leaf_key_new(&raw, secret), 0);
	check_key_is(raw, e);
	leaf_key_free(raw);
	ck_assert_int_eq(check_meta_read("leaf_format", fmt, sizeof(fmt)), 4);
	ck_assert(memcmp(fmt, "\0\0\0\1", 4) == 0);
	ck_assert_int_eq(check_meta_read("tree_size", ts, sizeof(ts)), 8);
	ck_assert(memcmp(ts, "\0\0\0\0\0\0\0\3", 8) == 0);

	/* Reopening (writer, creating writer, reader) keeps it. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	check_key_is(store_leaf_key(s), e);
	store_close(s);
	s = check_create();
	check_key_is(store_leaf_key(s), e);
	store_close(s);
	s = check_reader();
	check_key_is(store_leaf_key(s), e);
	store_close(s);

	/* Two stores never share a secret. */
	snprintf(check_dir + strlen(check_dir),
	    sizeof(check_dir) - strlen(check_dir), "2");
	s = check_create();
	leaf_entry_secret(store_leaf_key(s), 7, secret);
	ck_assert(memcmp(secret, e, sizeof(e)) != 0);
	store_close(s);
}
END_TEST

/* What a thread of test_secret_threads computes. */
struct check_kt {
	const struct leaf_key	*kt_key;
	uint8_t			 kt_out[64][LEAF_SECRET_LEN];
};

/* Derives the entry secrets of indexes 0 to 63, many times. */
static void *
check_key_thread(void *arg)
{
	struct check_kt *kt = arg;
	int i, round;

	for (round = 0; round < 200; round++)
		for (i = 0; i < 64; i++)
			leaf_entry_secret(kt->kt_key, (uint64_t)i,
			    kt->kt_out[i]);
	return NULL;
}

START_TEST(test_secret_threads)
{
	static struct check_kt kt[4];
	struct store *s;
	pthread_t th[4];
	uint8_t e[LEAF_SECRET_LEN];
	int i, j;

	s = check_create();
	for (i = 0; i < 4; i++) {
		kt[i].kt_key = store_leaf_key(s);
		ck_assert_int_eq(pthread_create(&th[i], NULL,
		    check_key_thread, &kt[i]), 0);
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (j = 0; j < 64; j++) {
		leaf_entry_secret(store_leaf_key(s), (uint64_t)j, e);
		for (i = 0; i < 4; i++)
			ck_assert(memcmp(kt[i].kt_out[j], e, sizeof(e)) == 0);
	}
	store_close(s);
}
END_TEST

START_TEST(test_secret_prerelease_refused)
{
	ck_assert_int_eq(mkdir(check_dir, 0700), 0);
	check_forge(check_forge_old_full);
	check_open_fails(STORE_EFORMAT);
	ck_assert_ptr_nonnull(strstr(store_strerror(STORE_EFORMAT),
	    "pre-release without a Merkle tree"));
	ck_assert_ptr_nonnull(strstr(store_strerror(STORE_EFORMAT),
	    "re-ingest"));
}
END_TEST

/* Removes the secret of a store made by us, which has entries. */
static void
check_forge_no_secret(MDB_txn *txn)
{
	check_forge_meta_del(txn, "leaf_secret");
}

START_TEST(test_secret_removed_refused)
{
	store_close(check_create());
	check_forge(check_forge_no_secret);
	/* No entries yet: a writer makes a new secret, readers go on. */
	store_close(check_reader());
	{
		struct store *s = check_create();

		ck_assert_ptr_nonnull(store_leaf_key(s));
		ck_assert_int_eq(check_tx(s, 2, 0, NULL, NULL, NULL), 0);
		store_close(s);
	}
	check_forge(check_forge_no_secret);
	check_open_fails(STORE_EFORMAT);
}
END_TEST

START_TEST(test_secret_prerelease_empty)
{
	struct store *s, *r;
	struct store_view *v;
	const char *note;
	size_t len;
	uint8_t e[LEAF_SECRET_LEN], root[MERKLE_HASH_LEN];
	uint64_t got;

	ck_assert_int_eq(mkdir(check_dir, 0700), 0);
	check_forge(check_forge_old_empty);

	/* A reader has no key and an empty tree. */
	r = check_reader();
	ck_assert_ptr_null(store_leaf_key(r));
	ck_assert_uint_eq(store_tree_size(r), 0);
	ck_assert_int_eq(store_view_begin(r, &v), 0);
	ck_assert_uint_eq(store_view_size(v), 0);
	ck_assert_uint_eq(store_view_tree_size(v), 0);
	ck_assert_int_eq(store_view_checkpoint(v, 0, &note, &len, &got),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_view_checkpoints_each(v, check_each_cb, NULL),
	    0);
	ck_assert_int_eq(merkle_root(store_view_tree(v), 0, root), 0);
	store_view_end(v);
	store_close(r);

	/* Its writer adds the secret and the tree's databases. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_ptr_nonnull(store_leaf_key(s));
	leaf_entry_secret(store_leaf_key(s), 7, e);
	ck_assert_int_eq(check_tx(s, 300, 0, NULL, NULL, NULL), 0);
	store_close(s);
	r = check_reader();
	check_key_is(store_leaf_key(r), e);
	ck_assert_uint_eq(store_tree_size(r), 300);
	store_close(r);
}
END_TEST

/* A 31-byte secret. */
static void
check_forge_short_secret(MDB_txn *txn)
{
	check_forge_put(txn, "meta", "leaf_secret", 11,
	    "0123456789abcdef0123456789abcde", 31);
}

/* Leaf format 2, newer than we know. */
static void
check_forge_leaf_v2(MDB_txn *txn)
{
	check_forge_put(txn, "meta", "leaf_format", 11, "\0\0\0\2", 4);
}

/* Leaf format 0. */
static void
check_forge_leaf_v0(MDB_txn *txn)
{
	check_forge_put(txn, "meta", "leaf_format", 11, "\0\0\0\0", 4);
}

/* No leaf format. */
static void
check_forge_no_leaf_format(MDB_txn *txn)
{
	check_forge_meta_del(txn, "leaf_format");
}

/* A 7-byte tree size. */
static void
check_forge_short_tree(MDB_txn *txn)
{
	check_forge_put(txn, "meta", "tree_size", 9, "\0\0\0\0\0\0\1", 7);
}

START_TEST(test_secret_meta_damaged)
{
	store_close(check_create());
	check_forge(check_forge_short_secret);
	check_open_fails(STORE_ECORRUPT);

	check_teardown();
	check_setup();
	store_close(check_create());
	check_forge(check_forge_leaf_v2);
	check_open_fails(STORE_EFORMAT);

	check_teardown();
	check_setup();
	store_close(check_create());
	check_forge(check_forge_leaf_v0);
	check_open_fails(STORE_ECORRUPT);

	check_teardown();
	check_setup();
	store_close(check_create());
	check_forge(check_forge_no_leaf_format);
	check_open_fails(STORE_ECORRUPT);

	check_teardown();
	check_setup();
	store_close(check_create());
	check_forge(check_forge_short_tree);
	check_open_fails(STORE_ECORRUPT);
}
END_TEST

/* Tree size 1000 in a store of 10 entries (a truncated log). */
static void
check_forge_long_tree(MDB_txn *txn)
{
	check_forge_put(txn, "meta", "tree_size", 9, "\0\0\0\0\0\0\3\xe8", 8);
}

/* A tile of 33 bytes. */
static void
check_forge_bad_tile(MDB_txn *txn)
{
	uint8_t key[MERKLE_TILE_KEY_LEN], val[33] = { 0 };

	merkle_tile_key(0, 0, key);
	check_forge_put(txn, "tiles", key, sizeof(key), val, sizeof(val));
}

START_TEST(test_tree_damaged)
{
	struct store *s;
	struct store_view *v;
	uint8_t root[MERKLE_HASH_LEN], h[MERKLE_HASH_LEN];

	s = check_create();
	ck_assert_int_eq(check_tx(s, 10, 0, NULL, NULL, NULL), 0);
	store_close(s);
	check_forge(check_forge_long_tree);
	/* A writer refuses; a reader shows it, for verify to report. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), STORE_ECORRUPT);
	s = check_reader();
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_uint_eq(store_view_size(v), 10);
	ck_assert_uint_eq(store_view_tree_size(v), 1000);
	ck_assert_int_eq(merkle_root(store_view_tree(v), 1000, root),
	    MERKLE_ECORRUPT);
	store_view_end(v);
	store_close(s);

	check_teardown();
	check_setup();
	s = check_create();
	ck_assert_int_eq(check_tx(s, 10, 0, NULL, NULL, NULL), 0);
	store_close(s);
	check_forge(check_forge_bad_tile);
	s = check_reader();
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	ck_assert_int_eq(merkle_root(store_view_tree(v), 10, root),
	    STORE_ECORRUPT);
	store_view_end(v);
	store_close(s);
	/* The writer's next append finds the damage and aborts. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, "x", 1, NULL), 0);
	check_leaf_hash(10, 0, h);
	ck_assert_int_eq(store_tree_append(s, h, 1), STORE_ECORRUPT);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_tree_root_txn(s, 10, root), STORE_ECORRUPT);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	store_close(s);
}
END_TEST

/* The suite: one TCase per function family. */
static Suite *
check_store_tree_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("store_tree");

	tc = tcase_create("tree");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tree_matches_mem);
	tcase_add_test(tc, test_tree_several_appends_per_txn);
	tcase_add_test(tc, test_tree_mismatch);
	tcase_add_test(tc, test_tree_abort);
	tcase_add_test(tc, test_tree_reopen);
	tcase_add_test(tc, test_tree_growth);
	tcase_add_test(tc, test_tree_damaged);
	suite_add_tcase(s, tc);

	tc = tcase_create("checkpoint");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_checkpoint_put_get);
	tcase_add_test(tc, test_checkpoint_bad);
	tcase_add_test(tc, test_checkpoint_corrupt);
	suite_add_tcase(s, tc);

	tc = tcase_create("view");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_view_snapshot);
	tcase_add_test(tc, test_view_child);
	tcase_add_test(tc, test_view_thread);
	suite_add_tcase(s, tc);

	tc = tcase_create("secret");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_secret_created_once);
	tcase_add_test(tc, test_secret_threads);
	tcase_add_test(tc, test_secret_prerelease_refused);
	tcase_add_test(tc, test_secret_removed_refused);
	tcase_add_test(tc, test_secret_prerelease_empty);
	tcase_add_test(tc, test_secret_meta_damaged);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_store_tree_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
