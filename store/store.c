/* SPDX-License-Identifier: ISC */
/*
 * store.c: the audit store's LMDB environment, its databases (entries,
 * producers, meta, and the verifiable log's tiles and checkpoints), the
 * one write transaction, read-only snapshots (iterators, views) for
 * readers in any thread or process, and the map that grows under the
 * writer without readers noticing.
 *
 * This is the only file that talks to LMDB about the environment; it
 * maps every MDB_* code to a STORE_E* code and never prints. It treats
 * entry values as opaque bytes: it never decodes protobuf. It never
 * turns off LMDB's fsyncs (no MDB_NOSYNC, MDB_NOMETASYNC, MDB_WRITEMAP):
 * a commit that returns 0 is on disk. docs/FORMAT.md is the layout.
 *
 * The Merkle tree is merkle.c's: this file only gives it tile storage
 * (struct merkle_io callbacks on the `tiles` database, in the write
 * transaction or in a view's read transaction) and keeps the tree size
 * in `meta`, so that entries, tiles, tree size and checkpoints always
 * change in one transaction. It holds the leaf master secret's key
 * (leaf.c) but computes no leaf: the writer hands in leaf hashes.
 *
 * Remapping (growing the map, or adopting the map a writer in another
 * process grew) unmaps the memory that every read transaction of this
 * process points into, so it waits until s_readers, the number of open
 * read transactions, is zero. Readers are counted under s_lock before
 * they begin; the remap runs under s_lock, so no read begins during it.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include <openssl/crypto.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "record.h"
#include "store.h"
#include "store_impl.h"

#define STORE_MAP_MIN		((uint64_t)64 << 10)
#define STORE_PRODUCER_LEN	32	/* bytes of a producers value */
#define STORE_REMAP_TRIES	16
#define STORE_DATA_FILE		"data.mdb"
#define STORE_CKPT_KEY_LEN	8	/* u64 BE tree size */
#define STORE_SLOW_MAX_MS	60000	/* longest "slow:MS" of the hook */
#define STORE_READER_SWEEP_MS	5000	/* writer: dead readers, how often */

/* Names and explanations of the STORE_E* codes, in enum order. */
static const char *const store_errstr[] = {
	"STORE_EFORMAT: not an algaudit store, a newer format, or a store "
	    "written by a pre-release without a Merkle tree (re-ingest)",
	"STORE_ECORRUPT: a stored value does not decode as documented",
	"STORE_EMAPFULL: map full, grown; retry the transaction",
	"STORE_EFULL: no space left on the device, or the map is at its "
	    "1 TiB ceiling",
	"STORE_ENOTFOUND: no such key",
	"STORE_ETXN: transaction misuse: none open, one already open, or "
	    "the store is read-only",
	"STORE_EREADERS: too many reader slots in use",
	"STORE_EIO: I/O error; the transaction is lost",
	"STORE_EFAULT: failure injected by the fault hook",
	"STORE_ELMDB: LMDB failure",
	"STORE_ELOCKED: another process has this store open for writing",
	"STORE_EBUSY: the store outgrew this process's map while a read "
	    "transaction was open; close it and retry",
	"STORE_ETREE: the leaf hashes given do not cover exactly the "
	    "entries appended since the tree was last extended (the "
	    "transaction was aborted), or the tree size is out of range",
};

/*
 * Maps an LMDB (or errno, or already STORE_E*) code to what the store
 * returns, and remembers LMDB failures for store_lmdb_error().
 */
int
store_mdb_err(struct store *s, int rc)
{
	if (rc == 0)
		return 0;
	if (rc >= STORE_EFORMAT && rc < STORE_EMAX)
		return rc;
	if (s != NULL && rc != MDB_NOTFOUND)
		atomic_store(&s->s_mdb_err, rc);
	switch (rc) {
	case MDB_MAP_FULL:
		return STORE_EMAPFULL;
	case ENOSPC:
	case EDQUOT:
		return STORE_EFULL;
	case EIO:
	case MDB_PANIC:
		return STORE_EIO;
	case MDB_READERS_FULL:
		return STORE_EREADERS;
	case MDB_NOTFOUND:
		return STORE_ENOTFOUND;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return STORE_ECORRUPT;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		return STORE_EFORMAT;
	default:
		break;
	}
	if (rc > 0)
		return rc;
	return STORE_ELMDB;
}

/* Returns the current time in ns since the epoch. */
static int64_t
store_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Checks an origin: 1 to STORE_ORIGIN_MAX bytes of UTF-8, no controls. */
static int
store_origin_valid(const char *origin)
{
	size_t i, len;

	len = strlen(origin);
	if (len == 0 || len > STORE_ORIGIN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)origin[i] < 0x20 ||
		    (unsigned char)origin[i] == 0x7f)
			return 0;
	return record_utf8_valid(origin, len);
}

/* Checks a producer id against LMDB's key limit; returns its length. */
static size_t
store_id_len(const struct store *s, const char *id)
{
	size_t len;

	if (id == NULL)
		return 0;
	len = strlen(id);
	if (len > s->s_maxkey)
		return 0;
	return len;
}

/* Encodes a producers value. */
static void
store_producer_encode(unsigned char *p, const struct store_producer *sp)
{
	store_put64(p, sp->sp_seq);
	store_put64(p + 8, (uint64_t)sp->sp_first_ns);
	store_put64(p + 16, (uint64_t)sp->sp_last_ns);
	store_put64(p + 24, sp->sp_entries);
}

/* Decodes a producers value; STORE_ECORRUPT if it is not 32 bytes. */
static int
store_producer_decode(const MDB_val *v, struct store_producer *sp)
{
	const unsigned char *p = v->mv_data;

	if (v->mv_size != STORE_PRODUCER_LEN)
		return STORE_ECORRUPT;
	sp->sp_seq = store_get64(p);
	sp->sp_first_ns = (int64_t)store_get64(p + 8);
	sp->sp_last_ns = (int64_t)store_get64(p + 16);
	sp->sp_entries = store_get64(p + 24);
	return 0;
}

/*
 * Parses ALGAUDIT_STORE_FAULT="commit:N:eio|enospc|mapfull|fault" or
 * "slow:MS" into the fault hook. Absent is fine; malformed is EINVAL.
 */
static int
store_env_fault(struct store *s)
{
	static const struct {
		const char	*name;
		int		 err;
	} kinds[] = {
		{ "eio", STORE_EIO },
		{ "enospc", STORE_EFULL },
		{ "mapfull", STORE_EMAPFULL },
		{ "fault", STORE_EFAULT },
	};
	const char *v, *p;
	char *end;
	unsigned long n;
	size_t i;

	if ((v = getenv("ALGAUDIT_STORE_FAULT")) == NULL || *v == '\0')
		return 0;
	if (strncmp(v, "slow:", 5) == 0) {
		p = v + 5;
		if (*p < '0' || *p > '9')
			return EINVAL;
		errno = 0;
		n = strtoul(p, &end, 10);
		if (errno != 0 || n == 0 || n > STORE_SLOW_MAX_MS ||
		    *end != '\0')
			return EINVAL;
		s->s_fault_slow_ms = (unsigned int)n;
		return 0;
	}
	if (strncmp(v, "commit:", 7) != 0)
		return EINVAL;
	p = v + 7;
	if (*p < '0' || *p > '9')
		return EINVAL;
	errno = 0;
	n = strtoul(p, &end, 10);
	if (errno != 0 || n == 0 || *end != ':')
		return EINVAL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(end + 1, kinds[i].name) == 0) {
			s->s_fault_n = n;
			s->s_fault_err = kinds[i].err;
			return 0;
		}
	}
	return EINVAL;
}

/* Parses ALGAUDIT_STORE_MAPSIZE=BYTES into *size; absent leaves it. */
static int
store_env_mapsize(uint64_t *size)
{
	const char *v;
	char *end;
	unsigned long long n;

	if ((v = getenv("ALGAUDIT_STORE_MAPSIZE")) == NULL || *v == '\0')
		return 0;
	if (*v < '0' || *v > '9')
		return EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < STORE_MAP_MIN ||
	    n > STORE_MAP_MAX)
		return EINVAL;
	*size = n;
	return 0;
}

/* The map size after one growth step from cur; 0 at the ceiling. */
static uint64_t
store_map_next(uint64_t cur)
{
	uint64_t step;

	if (cur >= STORE_MAP_MAX)
		return 0;
	step = cur < STORE_MAP_STEP_MAX ? cur : STORE_MAP_STEP_MAX;
	if (step < STORE_MAP_MIN)
		step = STORE_MAP_MIN;
	if (cur + step > STORE_MAP_MAX)
		return STORE_MAP_MAX;
	return cur + step;
}

/*
 * Remaps to size bytes (0: adopt the size in the meta page) once no read
 * transaction of this process is open. If LMDB fails to map again, the
 * old map is already gone: the handle is marked dead.
 */
static int
store_remap(struct store *s, uint64_t size)
{
	int rc;

	pthread_mutex_lock(&s->s_lock);
	while (s->s_readers > 0)
		pthread_cond_wait(&s->s_cond, &s->s_lock);
	if ((rc = s->s_dead) == 0 &&
	    (rc = mdb_env_set_mapsize(s->s_env, (size_t)size)) != 0)
		s->s_dead = rc;
	pthread_mutex_unlock(&s->s_lock);
	return store_mdb_err(s, rc);
}

/*
 * Grows the map by steps until used bytes fit in 3/4 of it (want_room)
 * or by one step (!want_room). STORE_EFULL if it is at the ceiling.
 */
static int
store_grow(struct store *s, int want_room)
{
	MDB_envinfo ei;
	uint64_t size, next, used;
	int rc;

	if ((rc = mdb_env_info(s->s_env, &ei)) != 0)
		return store_mdb_err(s, rc);
	size = ei.me_mapsize;
	used = ((uint64_t)ei.me_last_pgno + 1) * s->s_psize;
	if (want_room && used <= size / 4 * 3)
		return 0;
	if ((next = store_map_next(size)) == 0)
		return want_room ? 0 : STORE_EFULL;
	while (want_room && used > next / 4 * 3 &&
	    store_map_next(next) != 0)
		next = store_map_next(next);
	return store_remap(s, next);
}

/*
 * Ends a failed write transaction: aborts it unless LMDB already ended
 * it (a failed commit), restores the next index, and grows the map if
 * it was full. Returns the code for the caller.
 */
int
store_txn_fail(struct store *s, int rc, int ended)
{
	int grc;

	if (!ended)
		mdb_txn_abort(s->s_txn);
	s->s_txn = NULL;
	s->s_next = s->s_txn_next;
	s->s_tree = s->s_txn_tree;
	store_index_reset(s);
	rc = store_mdb_err(s, rc);
	if (rc != STORE_EMAPFULL)
		return rc;
	if ((grc = store_grow(s, 0)) != 0)
		return grc;
	return STORE_EMAPFULL;
}

/*
 * Begins a read transaction counted in s_readers. Adopts a map grown
 * by another process (MDB_MAP_RESIZED) when no other read transaction
 * of this process is open, and clears stale reader slots once when the
 * table is full.
 */
int
store_rd_begin(struct store *s, MDB_txn **txnp)
{
	int rc, tries, dead, cleared = 0;

	*txnp = NULL;
	for (tries = 0; tries < STORE_REMAP_TRIES; tries++) {
		pthread_mutex_lock(&s->s_lock);
		if ((rc = s->s_dead) != 0) {
			pthread_mutex_unlock(&s->s_lock);
			return store_mdb_err(s, rc);
		}
		s->s_readers++;
		pthread_mutex_unlock(&s->s_lock);

		rc = mdb_txn_begin(s->s_env, NULL, MDB_RDONLY, txnp);
		if (rc == 0)
			return 0;
		*txnp = NULL;

		pthread_mutex_lock(&s->s_lock);
		s->s_readers--;
		if (rc == MDB_MAP_RESIZED && (s->s_flags & STORE_RDONLY)) {
			/*
			 * Safe only with no other read of ours open; s_lock
			 * keeps new ones from starting meanwhile.
			 */
			if (s->s_readers > 0)
				rc = STORE_EBUSY;
			else if ((rc = mdb_env_set_mapsize(s->s_env, 0)) != 0)
				s->s_dead = rc;
		} else if (rc == MDB_READERS_FULL && !cleared) {
			cleared = 1;
			rc = mdb_reader_check(s->s_env, &dead);
		}
		if (s->s_readers == 0)
			pthread_cond_broadcast(&s->s_cond);
		pthread_mutex_unlock(&s->s_lock);
		if (rc != 0)
			return store_mdb_err(s, rc);
	}
	return store_mdb_err(s, MDB_MAP_RESIZED);
}

/* Ends a read transaction begun by store_rd_begin(). */
void
store_rd_end(struct store *s, MDB_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn);
	pthread_mutex_lock(&s->s_lock);
	if (--s->s_readers == 0)
		pthread_cond_broadcast(&s->s_cond);
	pthread_mutex_unlock(&s->s_lock);
}

/*
 * Finds the next index from the last key of entries in txn: last + 1,
 * or 0 if the log is empty.
 */
static int
store_last_index(struct store *s, MDB_txn *txn, uint64_t *next)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*next = 0;
	if ((rc = mdb_cursor_open(txn, s->s_entries, &cur)) != 0)
		return store_mdb_err(s, rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store_mdb_err(s, rc);
	if (k.mv_size != 8)
		return STORE_ECORRUPT;
	*next = store_get64(k.mv_data);
	if (*next == UINT64_MAX)
		return STORE_ECORRUPT;
	(*next)++;
	return 0;
}

/* Puts a meta key in txn. */
int
store_meta_put(struct store *s, MDB_txn *txn, const char *key,
    const void *val, size_t len)
{
	MDB_val k, v;

	k.mv_size = strlen(key);
	k.mv_data = (void *)(uintptr_t)key;
	v.mv_size = len;
	v.mv_data = (void *)(uintptr_t)val;
	return mdb_put(txn, s->s_meta, &k, &v, 0);
}

/* Gets a meta key from txn; STORE_ENOTFOUND if absent. */
int
store_meta_get(struct store *s, MDB_txn *txn, const char *key, MDB_val *v)
{
	MDB_val k;

	k.mv_size = strlen(key);
	k.mv_data = (void *)(uintptr_t)key;
	return store_mdb_err(s, mdb_get(txn, s->s_meta, &k, v));
}

/* Writes the databases and meta keys of a new store in txn. */
static int
store_init_meta(struct store *s, MDB_txn *txn, const char *origin)
{
	unsigned char fmt[4], created[8];
	char host[HOST_NAME_MAX + 1], def[STORE_ORIGIN_MAX + 1];
	int rc;

	if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->s_meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "entries", MDB_CREATE,
	    &s->s_entries)) != 0 ||
	    (rc = mdb_dbi_open(txn, "producers", MDB_CREATE,
	    &s->s_producers)) != 0)
		return store_mdb_err(s, rc);
	if (origin == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(def, sizeof(def), "%s/algaudit", host);
		if (!store_origin_valid(def))
			strcpy(def, "localhost/algaudit");
		origin = def;
	}
	store_put32(fmt, STORE_FORMAT_VERSION);
	store_put64(created, (uint64_t)store_now_ns());
	if ((rc = store_meta_put(s, txn, "format", fmt, sizeof(fmt))) != 0 ||
	    (rc = store_meta_put(s, txn, "origin", origin,
	    strlen(origin))) != 0 ||
	    (rc = store_meta_put(s, txn, "created", created,
	    sizeof(created))) != 0)
		return store_mdb_err(s, rc);
	return 0;
}

/*
 * Opens the databases of an existing store in txn and checks its
 * format; creates them when may_create and the environment is empty.
 */
static int
store_open_dbs(struct store *s, MDB_txn *txn, int may_create,
    const char *origin)
{
	MDB_dbi main_dbi;
	MDB_stat st;
	MDB_val v;
	uint32_t fmt;
	int rc;

	rc = mdb_dbi_open(txn, "meta", 0, &s->s_meta);
	if (rc == MDB_NOTFOUND) {
		/* Only an empty environment becomes a store. */
		if (!may_create)
			return STORE_EFORMAT;
		if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 ||
		    (rc = mdb_stat(txn, main_dbi, &st)) != 0)
			return store_mdb_err(s, rc);
		if (st.ms_entries != 0)
			return STORE_EFORMAT;
		return store_init_meta(s, txn, origin);
	}
	if (rc == MDB_INCOMPATIBLE)
		return STORE_EFORMAT;
	if (rc != 0)
		return store_mdb_err(s, rc);

	if ((rc = store_meta_get(s, txn, "format", &v)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_EFORMAT : rc;
	if (v.mv_size != 4)
		return STORE_ECORRUPT;
	fmt = store_get32(v.mv_data);
	if (fmt == 0 || fmt > STORE_FORMAT_VERSION)
		return STORE_EFORMAT;

	rc = mdb_dbi_open(txn, "entries", 0, &s->s_entries);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "producers", 0, &s->s_producers);
	if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
		return STORE_EFORMAT;
	return store_mdb_err(s, rc);
}

/* Reads meta tree_size from txn into *size; absent is 0. */
static int
store_tree_size_get(struct store *s, MDB_txn *txn, uint64_t *size)
{
	MDB_val v;
	int rc;

	*size = 0;
	if ((rc = store_meta_get(s, txn, "tree_size", &v)) != 0)
		return rc == STORE_ENOTFOUND ? 0 : rc;
	if (v.mv_size != 8)
		return STORE_ECORRUPT;
	*size = store_get64(v.mv_data);
	return 0;
}

/* Puts meta tree_size in txn; returns an LMDB code. */
static int
store_tree_size_put(struct store *s, MDB_txn *txn, uint64_t size)
{
	unsigned char b[8];

	store_put64(b, size);
	return store_meta_put(s, txn, "tree_size", b, sizeof(b));
}

/*
 * Writes the verifiable log's meta keys of a store that has no entries
 * and no secret yet (a new one, or one from a pre-release): a fresh
 * leaf master secret, the leaf format and tree size 0. Copies the
 * secret to secret.
 */
static int
store_tree_init(struct store *s, MDB_txn *txn, uint8_t *secret)
{
	unsigned char fmt[4];
	int rc;

	if ((rc = leaf_secret_generate(secret)) != 0)
		return EIO;	/* the system's random source failed */
	store_put32(fmt, LEAF_FORMAT_VERSION);
	if ((rc = store_meta_put(s, txn, "leaf_secret", secret,
	    LEAF_SECRET_LEN)) != 0 ||
	    (rc = store_meta_put(s, txn, "leaf_format", fmt,
	    sizeof(fmt))) != 0 ||
	    (rc = store_tree_size_put(s, txn, 0)) != 0)
		return store_mdb_err(s, rc);
	return 0;
}

/*
 * Opens the tiles and checkpoints databases in txn and loads the leaf
 * master secret into s_leafkey and the tree size into s_tree; entries
 * is the log size. A writer creates what a store without entries
 * lacks. A store with entries but no secret was written by a
 * pre-release that kept no tree: STORE_EFORMAT for everybody. A reader
 * of an empty store without a secret gets no key and no tree.
 */
static int
store_tree_open(struct store *s, MDB_txn *txn, int writer, uint64_t entries)
{
	uint8_t secret[LEAF_SECRET_LEN];
	MDB_val v;
	uint32_t fmt;
	int rc;

	rc = mdb_dbi_open(txn, "tiles", writer ? MDB_CREATE : 0,
	    &s->s_tiles);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "checkpoints", writer ? MDB_CREATE : 0,
		    &s->s_ckpts);
	if (rc == MDB_NOTFOUND && !writer)
		return entries > 0 ? STORE_EFORMAT : 0;
	if (rc == MDB_INCOMPATIBLE)
		return STORE_EFORMAT;
	if (rc != 0)
		return store_mdb_err(s, rc);
	s->s_tree_dbs = 1;

	rc = store_meta_get(s, txn, "leaf_secret", &v);
	if (rc == STORE_ENOTFOUND) {
		if (entries > 0)
			return STORE_EFORMAT;
		if (!writer)
			return 0;
		if ((rc = store_tree_init(s, txn, secret)) != 0)
			goto out;
	} else if (rc != 0)
		return rc;
	else if (v.mv_size != LEAF_SECRET_LEN)
		return STORE_ECORRUPT;
	else {
		memcpy(secret, v.mv_data, LEAF_SECRET_LEN);
		if ((rc = store_meta_get(s, txn, "leaf_format", &v)) != 0) {
			rc = rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
			goto out;
		}
		if (v.mv_size != 4 || (fmt = store_get32(v.mv_data)) == 0) {
			rc = STORE_ECORRUPT;
			goto out;
		}
		if (fmt > LEAF_FORMAT_VERSION) {
			rc = STORE_EFORMAT;
			goto out;
		}
	}
	if ((rc = store_tree_size_get(s, txn, &s->s_tree)) != 0)
		goto out;
	/* Entries are never removed: a longer tree is a truncated log. */
	if (writer && s->s_tree > entries) {
		rc = STORE_ECORRUPT;
		goto out;
	}
	rc = leaf_key_new(&s->s_leafkey, secret);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

/*
 * Chooses a writer's map: STORE_MAP_INITIAL (or the testing override)
 * for a new store, grown by the usual steps until it holds the file.
 */
static int
store_pick_mapsize(uint64_t file_size, uint64_t *size)
{
	uint64_t m = STORE_MAP_INITIAL, next;
	int rc;

	if ((rc = store_env_mapsize(&m)) != 0)
		return rc;
	while (m < file_size && (next = store_map_next(m)) != 0)
		m = next;
	if (m < file_size)
		m = file_size;
	if (m > SIZE_MAX)
		return ENOMEM;
	*size = m;
	return 0;
}

/* Checks dir and the presence of its data file; sets *exists and size. */
static int
store_check_dir(struct store *s, int *exists, uint64_t *size)
{
	struct stat sb;

	*exists = 0;
	*size = 0;
	if ((s->s_flags & STORE_CREATE) && mkdir(s->s_path, 0700) != 0 &&
	    errno != EEXIST)
		return errno;
	if (stat(s->s_path, &sb) != 0)
		return errno;
	if (!S_ISDIR(sb.st_mode))
		return ENOTDIR;
	if (stat(s->s_data, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			return STORE_EFORMAT;
		*exists = 1;
		*size = (uint64_t)sb.st_size;
		return 0;
	}
	if (errno != ENOENT)
		return errno;
	/* Only a creating writer makes a new data file. */
	return (s->s_flags & STORE_CREATE) ? 0 : ENOENT;
}

/* Opens the environment and its databases; the body of store_open(). */
static int
store_open_env(struct store *s, const char *origin)
{
	MDB_txn *txn = NULL;
	MDB_stat st;
	uint64_t file_size, mapsize;
	unsigned int envflags = MDB_NOTLS;
	int rc, exists, fd, dead, rdonly = s->s_flags & STORE_RDONLY;

	if ((rc = store_check_dir(s, &exists, &file_size)) != 0)
		return rc;
	if ((rc = mdb_env_create(&s->s_env)) != 0) {
		s->s_env = NULL;
		return store_mdb_err(s, rc);
	}
	if ((rc = mdb_env_set_maxdbs(s->s_env, STORE_MAXDBS)) != 0)
		return store_mdb_err(s, rc);
	if (rdonly)
		envflags |= MDB_RDONLY;
	else {
		if ((rc = store_pick_mapsize(file_size, &mapsize)) != 0)
			return rc;
		if ((rc = mdb_env_set_mapsize(s->s_env, (size_t)mapsize)) != 0)
			return store_mdb_err(s, rc);
	}
	if ((rc = mdb_env_open(s->s_env, s->s_path, envflags, 0600)) != 0)
		return store_mdb_err(s, rc);

	if (!rdonly) {
		/* One writer per store: exactly-once needs one next index. */
		if ((rc = mdb_env_get_fd(s->s_env, &fd)) != 0)
			return store_mdb_err(s, rc);
		if (flock(fd, LOCK_EX | LOCK_NB) != 0)
			return errno == EWOULDBLOCK ? STORE_ELOCKED : errno;
		if ((rc = mdb_reader_check(s->s_env, &dead)) != 0)
			return store_mdb_err(s, rc);
		atomic_store(&s->s_swept, (unsigned int)dead);
	}
	if ((rc = mdb_env_stat(s->s_env, &st)) != 0)
		return store_mdb_err(s, rc);
	s->s_psize = st.ms_psize;
	s->s_maxkey = (size_t)mdb_env_get_maxkeysize(s->s_env);

	if (rdonly) {
		if ((rc = store_rd_begin(s, &txn)) != 0)
			return rc;
		rc = store_open_dbs(s, txn, 0, NULL);
		if (rc == 0)
			rc = store_last_index(s, txn, &s->s_next);
		if (rc == 0)
			rc = store_tree_open(s, txn, 0, s->s_next);
		if (rc == 0)
			rc = store_index_open(s, txn, 0, s->s_next);
		/* Committing a read transaction keeps its DBI handles. */
		if (rc == 0 && (rc = mdb_txn_commit(txn)) != 0)
			rc = store_mdb_err(s, rc);
		else if (rc != 0)
			mdb_txn_abort(txn);
		txn = NULL;
		pthread_mutex_lock(&s->s_lock);
		s->s_readers--;
		pthread_mutex_unlock(&s->s_lock);
		return rc;
	}

	if ((rc = mdb_txn_begin(s->s_env, NULL, 0, &txn)) != 0)
		return store_mdb_err(s, rc);
	rc = store_open_dbs(s, txn, (s->s_flags & STORE_CREATE) != 0, origin);
	if (rc == 0)
		rc = store_last_index(s, txn, &s->s_next);
	if (rc == 0)
		rc = store_tree_open(s, txn, 1, s->s_next);
	if (rc == 0)
		rc = store_index_open(s, txn, 1, s->s_next);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_mdb_err(s, rc);
	return 0;
}

/* Opens (and with STORE_CREATE creates) the store in dir. */
int
store_open(struct store **sp, const char *dir, int flags, const char *origin)
{
	struct store *s;
	size_t len;
	int rc;

	*sp = NULL;
	if (dir == NULL || *dir == '\0' ||
	    (flags & ~(STORE_RDONLY | STORE_CREATE)) != 0 ||
	    (flags & STORE_RDONLY && flags & STORE_CREATE))
		return EINVAL;
	if (origin != NULL && !store_origin_valid(origin))
		return EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	s->s_flags = flags;
	atomic_init(&s->s_mdb_err, 0);
	atomic_init(&s->s_swept, 0);
	if ((rc = pthread_mutex_init(&s->s_lock, NULL)) != 0) {
		free(s);
		return rc;
	}
	if ((rc = pthread_cond_init(&s->s_cond, NULL)) != 0) {
		pthread_mutex_destroy(&s->s_lock);
		free(s);
		return rc;
	}
	len = strlen(dir);
	if ((s->s_path = strdup(dir)) == NULL ||
	    (s->s_data = malloc(len + sizeof("/" STORE_DATA_FILE))) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	snprintf(s->s_data, len + sizeof("/" STORE_DATA_FILE), "%s/%s", dir,
	    STORE_DATA_FILE);
	if (!(flags & STORE_RDONLY) && (rc = store_env_fault(s)) != 0)
		goto fail;
	if ((rc = store_open_env(s, origin)) != 0)
		goto fail;
	*sp = s;
	return 0;

fail:
	store_close(s);
	return rc;
}

/* Aborts the write transaction, closes the environment, frees. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->s_txn != NULL)
		store_abort(s);
	if (s->s_env != NULL)
		mdb_env_close(s->s_env);
	leaf_key_free(s->s_leafkey);
	store_index_close(s);
	pthread_cond_destroy(&s->s_cond);
	pthread_mutex_destroy(&s->s_lock);
	free(s->s_data);
	free(s->s_path);
	free(s);
}

/* Returns the directory the store was opened with. */
const char *
store_path(const struct store *s)
{
	return s->s_path;
}

/* Explains a STORE_E* code or an errno. */
const char *
store_strerror(int code)
{
	if (code == 0)
		return "success";
	if (code > 0)
		return strerror(code);
	if (code >= STORE_EFORMAT && code < STORE_EMAX)
		return store_errstr[code - STORE_EFORMAT];
	/* What merkle_* on a view's tiles returns besides STORE_E*. */
	if (code >= MERKLE_ERANGE && code < MERKLE_EMAX)
		return merkle_strerror(code);
	return "unknown store error";
}

/* Returns LMDB's message for the last LMDB failure, or NULL. */
const char *
store_lmdb_error(struct store *s)
{
	int rc;

	if ((rc = atomic_load(&s->s_mdb_err)) == 0)
		return NULL;
	return mdb_strerror(rc);
}

/*
 * Copies the committed store, compacted, into dir/data.mdb (created
 * here, mode 0600) and makes the copy durable; see store.h.
 */
int
store_backup(struct store *s, const char *dir, uint64_t *bytes)
{
	MDB_txn *txn = NULL;
	struct stat sb;
	char *path;
	size_t len;
	int fd, dfd, rc, tries;

	if (bytes != NULL)
		*bytes = 0;
	if (dir == NULL || *dir == '\0')
		return EINVAL;
	len = strlen(dir) + sizeof("/" STORE_DATA_FILE);
	if ((path = malloc(len)) == NULL)
		return ENOMEM;
	snprintf(path, len, "%s/%s", dir, STORE_DATA_FILE);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		rc = errno;
		free(path);
		return rc;
	}
	for (tries = 1;; tries++) {
		/*
		 * store_rd_begin() adopts a map the writer grew, as for any
		 * reader, and counts a read of ours so that no thread of
		 * this process remaps while LMDB copies from the map. The
		 * copy itself runs in LMDB's own read transaction, begun
		 * after ours: if the writer grew the map in between, that
		 * one fails with MDB_MAP_RESIZED and we start again.
		 */
		if ((rc = store_rd_begin(s, &txn)) != 0)
			goto fail;
		rc = mdb_env_copyfd2(s->s_env, fd, MDB_CP_COMPACT);
		store_rd_end(s, txn);
		if (rc != MDB_MAP_RESIZED || tries == STORE_REMAP_TRIES)
			break;
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
			rc = errno;
			goto fail;
		}
	}
	if (rc != 0) {
		rc = store_mdb_err(s, rc);
		goto fail;
	}
	if (fsync(fd) != 0 || fstat(fd, &sb) != 0) {
		rc = store_mdb_err(s, errno);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = store_mdb_err(s, errno);
		goto fail;
	}
	fd = -1;
	/* The new directory entry must survive a crash too. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) != 0) {
		rc = store_mdb_err(s, errno);
		if (dfd != -1)
			close(dfd);
		goto fail;
	}
	close(dfd);
	free(path);
	if (bytes != NULL)
		*bytes = (uint64_t)sb.st_size;
	return 0;

fail:
	if (fd != -1)
		close(fd);
	unlink(path);
	free(path);
	return rc;
}

/*
 * Writer: at most every STORE_READER_SWEEP_MS, clears the reader slots
 * of processes that died in a read transaction, before their snapshots
 * make the map grow; counts them for store_reader_check() to report.
 */
static void
store_reader_sweep(struct store *s)
{
	struct timespec ts;
	int64_t now;
	int dead = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now < s->s_sweep_ms)
		return;
	s->s_sweep_ms = now + STORE_READER_SWEEP_MS;
	/* A failure here is the next store_reader_check()'s to report. */
	if (mdb_reader_check(s->s_env, &dead) == 0 && dead > 0)
		atomic_fetch_add(&s->s_swept, (unsigned int)dead);
}

/* Opens the write transaction, growing the map first if needed. */
int
store_begin(struct store *s)
{
	int rc;

	if ((s->s_flags & STORE_RDONLY) || s->s_txn != NULL)
		return STORE_ETXN;
	pthread_mutex_lock(&s->s_lock);
	rc = s->s_dead;
	pthread_mutex_unlock(&s->s_lock);
	if (rc != 0)
		return store_mdb_err(s, rc);
	store_reader_sweep(s);
	if ((rc = store_grow(s, 1)) != 0)
		return rc;
	if ((rc = mdb_txn_begin(s->s_env, NULL, 0, &s->s_txn)) != 0) {
		s->s_txn = NULL;
		return store_mdb_err(s, rc);
	}
	s->s_txn_next = s->s_next;
	s->s_txn_tree = s->s_tree;
	return 0;
}

/* Returns the index the next append will use. */
uint64_t
store_next_index(const struct store *s)
{
	return s->s_next;
}

/* Appends one entry at the next index. */
int
store_append(struct store *s, const void *buf, size_t len, uint64_t *index)
{
	unsigned char kb[8];
	MDB_val k, v;
	int rc;

	if (s->s_txn == NULL)
		return STORE_ETXN;
	if (buf == NULL || len == 0 || len > UINT32_MAX)
		return EINVAL;
	store_put64(kb, s->s_next);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	v.mv_size = len;
	v.mv_data = (void *)(uintptr_t)buf;
	if ((rc = mdb_put(s->s_txn, s->s_entries, &k, &v, MDB_APPEND)) != 0) {
		/* MDB_APPEND refuses a key at or below the last one. */
		if (rc == MDB_KEYEXIST) {
			atomic_store(&s->s_mdb_err, rc);
			rc = STORE_ECORRUPT;
		}
		return store_txn_fail(s, rc, 0);
	}
	if (index != NULL)
		*index = s->s_next;
	s->s_next++;
	return 0;
}

/* Reads a producer row in the write transaction. */
int
store_producer_get_txn(struct store *s, const char *id,
    struct store_producer *sp)
{
	MDB_val k, v;
	size_t len;
	int rc;

	if (s->s_txn == NULL)
		return STORE_ETXN;
	if ((len = store_id_len(s, id)) == 0 || sp == NULL)
		return EINVAL;
	k.mv_size = len;
	k.mv_data = (void *)(uintptr_t)id;
	rc = mdb_get(s->s_txn, s->s_producers, &k, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_ENOTFOUND;
	if (rc == 0)
		rc = store_producer_decode(&v, sp);
	if (rc != 0)
		return store_txn_fail(s, rc, 0);
	return 0;
}

/* Writes a producer row in the write transaction. */
int
store_producer_put(struct store *s, const char *id,
    const struct store_producer *sp)
{
	unsigned char buf[STORE_PRODUCER_LEN];
	MDB_val k, v;
	size_t len;
	int rc;

	if (s->s_txn == NULL)
		return STORE_ETXN;
	if ((len = store_id_len(s, id)) == 0 || sp == NULL)
		return EINVAL;
	store_producer_encode(buf, sp);
	k.mv_size = len;
	k.mv_data = (void *)(uintptr_t)id;
	v.mv_size = sizeof(buf);
	v.mv_data = buf;
	if ((rc = mdb_put(s->s_txn, s->s_producers, &k, &v, 0)) != 0)
		return store_txn_fail(s, rc, 0);
	return 0;
}

/*
 * The fault hook's "slow:MS": sleeps ms milliseconds (all of them, even
 * when a signal interrupts the sleep), as a commit whose fsync takes
 * that long would.
 */
static void
store_slow(unsigned int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Commits the write transaction durably, or fails it cleanly. */
int
store_commit(struct store *s)
{
	int rc;

	if (s->s_txn == NULL)
		return STORE_ETXN;
	if (s->s_fault_n > 0 && --s->s_fault_n == 0)
		return store_txn_fail(s, s->s_fault_err != 0 ?
		    s->s_fault_err : STORE_EFAULT, 0);
	if (s->s_fault_slow_ms > 0)
		store_slow(s->s_fault_slow_ms);
	if ((rc = store_index_flush(s)) != 0)
		return store_txn_fail(s, rc, 0);
	if ((rc = mdb_txn_commit(s->s_txn)) != 0)
		return store_txn_fail(s, rc, 1);
	s->s_txn = NULL;
	return 0;
}

/* Aborts the write transaction; restores the next index and tree size. */
void
store_abort(struct store *s)
{
	if (s->s_txn == NULL)
		return;
	mdb_txn_abort(s->s_txn);
	s->s_txn = NULL;
	s->s_next = s->s_txn_next;
	s->s_tree = s->s_txn_tree;
	store_index_reset(s);
}

/* Clears the reader slots of processes that died in a read transaction. */
int
store_reader_check(struct store *s, int *cleared)
{
	int rc, dead = 0;

	if (cleared != NULL)
		*cleared = 0;
	if ((rc = mdb_reader_check(s->s_env, &dead)) != 0)
		return store_mdb_err(s, rc);
	dead += (int)atomic_exchange(&s->s_swept, 0);
	if (cleared != NULL)
		*cleared = dead;
	return 0;
}

/* Arms the fault hook: the n-th next commit fails with err. */
void
store_set_fault(struct store *s, unsigned long n, int err)
{
	s->s_fault_n = n;
	s->s_fault_err = err;
}

/* Reports the committed state in one read transaction. */
int
store_info(struct store *s, struct store_info *si)
{
	MDB_txn *txn;
	MDB_stat st;
	MDB_envinfo ei;
	MDB_val v;
	struct stat sb;
	int rc;

	memset(si, 0, sizeof(*si));
	if ((rc = store_rd_begin(s, &txn)) != 0)
		return rc;
	if ((rc = store_last_index(s, txn, &si->si_entries)) != 0)
		goto out;
	if ((rc = mdb_stat(txn, s->s_producers, &st)) != 0) {
		rc = store_mdb_err(s, rc);
		goto out;
	}
	si->si_producers = st.ms_entries;
	/* Inside the read transaction: the map cannot move under us. */
	if ((rc = mdb_env_info(s->s_env, &ei)) != 0) {
		rc = store_mdb_err(s, rc);
		goto out;
	}
	si->si_map_size = ei.me_mapsize;
	si->si_map_used = ((uint64_t)ei.me_last_pgno + 1) * s->s_psize;

	if ((rc = store_meta_get(s, txn, "format", &v)) != 0)
		goto meta;
	if (v.mv_size != 4) {
		rc = STORE_ECORRUPT;
		goto out;
	}
	si->si_format = store_get32(v.mv_data);
	if ((rc = store_meta_get(s, txn, "created", &v)) != 0)
		goto meta;
	if (v.mv_size != 8) {
		rc = STORE_ECORRUPT;
		goto out;
	}
	si->si_created_ns = (int64_t)store_get64(v.mv_data);
	if ((rc = store_meta_get(s, txn, "origin", &v)) != 0)
		goto meta;
	if (v.mv_size == 0 || v.mv_size >= sizeof(si->si_origin)) {
		rc = STORE_ECORRUPT;
		goto out;
	}
	memcpy(si->si_origin, v.mv_data, v.mv_size);
	si->si_origin[v.mv_size] = '\0';

	if (stat(s->s_data, &sb) != 0) {
		rc = errno;
		goto out;
	}
	si->si_file_size = (uint64_t)sb.st_size;
	goto out;

meta:
	/* A meta key every store has is missing. */
	if (rc == STORE_ENOTFOUND)
		rc = STORE_ECORRUPT;
out:
	store_rd_end(s, txn);
	return rc;
}

/* Reads a committed producer row. */
int
store_producer_get(struct store *s, const char *id,
    struct store_producer *sp)
{
	MDB_txn *txn;
	MDB_val k, v;
	size_t len;
	int rc;

	if ((len = store_id_len(s, id)) == 0 || sp == NULL)
		return EINVAL;
	if ((rc = store_rd_begin(s, &txn)) != 0)
		return rc;
	k.mv_size = len;
	k.mv_data = (void *)(uintptr_t)id;
	if ((rc = mdb_get(txn, s->s_producers, &k, &v)) == 0)
		rc = store_producer_decode(&v, sp);
	else
		rc = store_mdb_err(s, rc);
	store_rd_end(s, txn);
	return rc;
}

/* Calls fn for every committed producer row, in key order. */
int
store_producers_each(struct store *s, store_producer_fn fn, void *arg)
{
	struct store_producer sp;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	MDB_cursor_op op = MDB_FIRST;
	int rc;

	if (fn == NULL)
		return EINVAL;
	if ((rc = store_rd_begin(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->s_producers, &cur)) != 0) {
		rc = store_mdb_err(s, rc);
		goto out;
	}
	for (;;) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0) {
			rc = rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc);
			break;
		}
		op = MDB_NEXT;
		if ((rc = store_producer_decode(&v, &sp)) != 0)
			break;
		if ((rc = fn(k.mv_data, k.mv_size, &sp, arg)) != 0)
			break;
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_rd_end(s, txn);
	return rc;
}

/* Opens an iterator over committed entries from index from. */
int
store_iter_open(struct store *s, uint64_t from, struct store_iter **itp)
{
	struct store_iter *it;
	int rc;

	*itp = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return ENOMEM;
	it->it_store = s;
	it->it_next = from;
	if ((rc = store_rd_begin(s, &it->it_txn)) != 0) {
		free(it);
		return rc;
	}
	if ((rc = mdb_cursor_open(it->it_txn, s->s_entries,
	    &it->it_cur)) != 0) {
		it->it_cur = NULL;
		store_iter_close(it);
		return store_mdb_err(s, rc);
	}
	*itp = it;
	return 0;
}

/* Returns the next entry as a view into the map. */
int
store_iter_next(struct store_iter *it, uint64_t *index, const void **buf,
    size_t *len)
{
	unsigned char kb[8];
	MDB_val k, v;
	int rc;

	if (it->it_started)
		rc = mdb_cursor_get(it->it_cur, &k, &v, MDB_NEXT);
	else {
		store_put64(kb, it->it_next);
		k.mv_size = sizeof(kb);
		k.mv_data = kb;
		rc = mdb_cursor_get(it->it_cur, &k, &v, MDB_SET_RANGE);
	}
	if (rc != 0)
		return store_mdb_err(it->it_store, rc);
	it->it_started = 1;
	/* Indexes are dense from 0: anything else is damage. */
	if (k.mv_size != 8 || store_get64(k.mv_data) != it->it_next)
		return STORE_ECORRUPT;
	*index = it->it_next++;
	*buf = v.mv_data;
	*len = v.mv_size;
	return 0;
}

/* Ends the iterator's read transaction and frees it. */
void
store_iter_close(struct store_iter *it)
{
	if (it == NULL)
		return;
	if (it->it_cur != NULL)
		mdb_cursor_close(it->it_cur);
	store_rd_end(it->it_store, it->it_txn);
	free(it);
}

/*
 * The verifiable log: tile storage for merkle.c, the writer's tree and
 * checkpoint calls, and the readers' views.
 */

/* mi_get: copies tile (level, index) of the transaction, if any. */
static int
store_tile_get(void *arg, int level, uint64_t index, uint8_t *hashes,
    size_t *count)
{
	struct store_tio *t = arg;
	struct store *s = t->t_store;
	uint8_t kb[MERKLE_TILE_KEY_LEN];
	MDB_val k, v;
	int rc;

	*count = 0;
	if (!s->s_tree_dbs)
		return 0;
	merkle_tile_key(level, index, kb);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	if ((rc = mdb_get(t->t_txn, s->s_tiles, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store_mdb_err(s, rc);
	if (v.mv_size == 0 || v.mv_size % MERKLE_HASH_LEN != 0 ||
	    v.mv_size > MERKLE_TILE_BYTES)
		return STORE_ECORRUPT;
	memcpy(hashes, v.mv_data, v.mv_size);
	*count = v.mv_size / MERKLE_HASH_LEN;
	return 0;
}

/* mi_put: replaces tile (level, index) in the write transaction. */
static int
store_tile_put(void *arg, int level, uint64_t index, const uint8_t *hashes,
    size_t count)
{
	struct store_tio *t = arg;
	uint8_t kb[MERKLE_TILE_KEY_LEN];
	MDB_val k, v;

	merkle_tile_key(level, index, kb);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	v.mv_size = count * MERKLE_HASH_LEN;
	v.mv_data = (void *)(uintptr_t)hashes;
	return store_mdb_err(t->t_store, mdb_put(t->t_txn, t->t_store->s_tiles,
	    &k, &v, 0));
}

/* Maps what a merkle_* call on the store's tiles returned. */
static int
store_merkle_err(int rc)
{
	switch (rc) {
	case MERKLE_ECORRUPT:
		return STORE_ECORRUPT;
	case MERKLE_ERANGE:
		return STORE_ETREE;
	default:
		return rc;
	}
}

/* Appends the leaf hashes of the entries appended since the last call. */
int
store_tree_append(struct store *s, const uint8_t *hashes, size_t n)
{
	struct store_tio tio;
	struct merkle_io io;
	int rc;

	if (s->s_txn == NULL)
		return STORE_ETXN;
	if (n > 0 && hashes == NULL)
		return EINVAL;
	/* A writer bug: never commit entries the tree does not cover. */
	if (s->s_tree > s->s_next || n != s->s_next - s->s_tree)
		return store_txn_fail(s, STORE_ETREE, 0);
	if (n == 0)
		return 0;
	tio.t_store = s;
	tio.t_txn = s->s_txn;
	io.mi_get = store_tile_get;
	io.mi_put = store_tile_put;
	io.mi_arg = &tio;
	if ((rc = merkle_append(&io, s->s_tree, hashes, n)) != 0)
		return store_txn_fail(s, store_merkle_err(rc), 0);
	if ((rc = store_tree_size_put(s, s->s_txn, s->s_tree + n)) != 0)
		return store_txn_fail(s, rc, 0);
	s->s_tree += n;
	return 0;
}

/* The root of the tree's first size leaves, in the write transaction. */
int
store_tree_root_txn(struct store *s, uint64_t size, uint8_t *root)
{
	struct store_tio tio;
	struct merkle_io io;
	int rc;

	if (s->s_txn == NULL)
		return STORE_ETXN;
	if (root == NULL || size > s->s_tree)
		return EINVAL;
	tio.t_store = s;
	tio.t_txn = s->s_txn;
	io.mi_get = store_tile_get;
	io.mi_put = NULL;
	io.mi_arg = &tio;
	if ((rc = merkle_root(&io, size, root)) == 0 || rc == ENOMEM)
		return rc;
	return store_txn_fail(s, store_merkle_err(rc), 0);
}

/*
 * Checks that note (len bytes) is a signed note whose checkpoint body
 * states tree size size. The signature is the verifier's business.
 */
static int
store_checkpoint_check(uint64_t size, const char *note, size_t len)
{
	struct note_checkpoint nc;
	size_t i;

	/* The body ends at the first blank line (its lines are not empty). */
	for (i = 1; i < len; i++)
		if (note[i] == '\n' && note[i - 1] == '\n')
			break;
	if (i >= len)
		return EINVAL;
	if (note_checkpoint_parse(note, i, &nc, NULL, 0) != 0 ||
	    nc.nc_size != size)
		return EINVAL;
	return 0;
}

/* Stores a signed checkpoint of tree size size in the write transaction. */
int
store_checkpoint_put(struct store *s, uint64_t size, const char *note,
    size_t len)
{
	unsigned char kb[STORE_CKPT_KEY_LEN];
	MDB_val k, v;
	int rc;

	if (s->s_txn == NULL)
		return STORE_ETXN;
	if (note == NULL || len == 0 || len > NOTE_MSG_MAX ||
	    size > s->s_tree || store_checkpoint_check(size, note, len) != 0)
		return EINVAL;
	store_put64(kb, size);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	v.mv_size = len;
	v.mv_data = (void *)(uintptr_t)note;
	rc = mdb_put(s->s_txn, s->s_ckpts, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		/* v is the stored note: a published checkpoint stays. */
		if (v.mv_size == len && memcmp(v.mv_data, note, len) == 0)
			return 0;
		return EEXIST;
	}
	if (rc != 0)
		return store_txn_fail(s, rc, 0);
	return 0;
}

/* The key of the store's leaf master secret, or NULL. */
const struct leaf_key *
store_leaf_key(const struct store *s)
{
	return s->s_leafkey;
}

/* The tree size, uncommitted leaves included (writer). */
uint64_t
store_tree_size(const struct store *s)
{
	return s->s_tree;
}

/* Opens a view: one read transaction over entries, tiles, checkpoints. */
int
store_view_begin(struct store *s, struct store_view **vp)
{
	struct store_view *v;
	int rc;

	*vp = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ENOMEM;
	v->v_store = s;
	if ((rc = store_rd_begin(s, &v->v_txn)) != 0) {
		free(v);
		return rc;
	}
	if ((rc = store_last_index(s, v->v_txn, &v->v_size)) != 0 ||
	    (rc = store_tree_size_get(s, v->v_txn, &v->v_tree)) != 0) {
		store_view_end(v);
		return rc;
	}
	v->v_tio.t_store = s;
	v->v_tio.t_txn = v->v_txn;
	v->v_io.mi_get = store_tile_get;
	v->v_io.mi_put = NULL;
	v->v_io.mi_arg = &v->v_tio;
	*vp = v;
	return 0;
}

/* Ends the view's read transaction and frees it. */
void
store_view_end(struct store_view *v)
{
	if (v == NULL)
		return;
	store_rd_end(v->v_store, v->v_txn);
	free(v);
}

/* The log size in the view's snapshot. */
uint64_t
store_view_size(const struct store_view *v)
{
	return v->v_size;
}

/* The tree size (meta tree_size) in the view's snapshot. */
uint64_t
store_view_tree_size(const struct store_view *v)
{
	return v->v_tree;
}

/* Read-only tile storage of the view's snapshot, for merkle_*. */
const struct merkle_io *
store_view_tree(struct store_view *v)
{
	return &v->v_io;
}

/* A view of entry index's bytes, valid until store_view_end(). */
int
store_view_entry(struct store_view *v, uint64_t index, const void **buf,
    size_t *len)
{
	unsigned char kb[8];
	MDB_val k, val;
	int rc;

	store_put64(kb, index);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	if ((rc = mdb_get(v->v_txn, v->v_store->s_entries, &k, &val)) != 0)
		return store_mdb_err(v->v_store, rc);
	*buf = val.mv_data;
	*len = val.mv_size;
	return 0;
}

/* The checkpoint of tree size size, or the latest for size 0. */
int
store_view_checkpoint(struct store_view *v, uint64_t size,
    const char **note, size_t *len, uint64_t *got)
{
	struct store *s = v->v_store;
	unsigned char kb[STORE_CKPT_KEY_LEN];
	MDB_cursor *cur;
	MDB_val k, val;
	int rc;

	if (!s->s_tree_dbs)
		return STORE_ENOTFOUND;
	if (size == 0) {
		if ((rc = mdb_cursor_open(v->v_txn, s->s_ckpts, &cur)) != 0)
			return store_mdb_err(s, rc);
		rc = mdb_cursor_get(cur, &k, &val, MDB_LAST);
		mdb_cursor_close(cur);
	} else {
		store_put64(kb, size);
		k.mv_size = sizeof(kb);
		k.mv_data = kb;
		rc = mdb_get(v->v_txn, s->s_ckpts, &k, &val);
	}
	if (rc != 0)
		return store_mdb_err(s, rc);
	if (k.mv_size != STORE_CKPT_KEY_LEN || val.mv_size == 0)
		return STORE_ECORRUPT;
	*note = val.mv_data;
	*len = val.mv_size;
	if (got != NULL)
		*got = store_get64(k.mv_data);
	return 0;
}

/* Calls fn for each checkpoint of the view, in ascending tree size. */
int
store_view_checkpoints_each(struct store_view *v, store_checkpoint_fn fn,
    void *arg)
{
	struct store *s = v->v_store;
	MDB_cursor *cur;
	MDB_val k, val;
	MDB_cursor_op op = MDB_FIRST;
	int rc;

	if (fn == NULL)
		return EINVAL;
	if (!s->s_tree_dbs)
		return 0;
	if ((rc = mdb_cursor_open(v->v_txn, s->s_ckpts, &cur)) != 0)
		return store_mdb_err(s, rc);
	for (;;) {
		if ((rc = mdb_cursor_get(cur, &k, &val, op)) != 0) {
			rc = rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc);
			break;
		}
		op = MDB_NEXT;
		if (k.mv_size != STORE_CKPT_KEY_LEN || val.mv_size == 0) {
			rc = STORE_ECORRUPT;
			break;
		}
		if ((rc = fn(store_get64(k.mv_data), val.mv_data, val.mv_size,
		    arg)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc;
}
