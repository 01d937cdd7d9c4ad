/* SPDX-License-Identifier: ISC */
/*
 * store.h: the audit store, an LMDB environment in one directory.
 *
 * The daemon's writer thread is the only writer: it opens a write
 * transaction with store_begin(), appends entries and producer marks,
 * and makes them durable with store_commit(). Tools and the daemon's
 * event loop read through read-only transactions, in any process, while
 * the writer works. Only store/ includes <lmdb.h>; everybody else sees
 * this interface and the STORE_E* codes. docs/FORMAT.md describes the
 * databases and their keys so that a third party can read a store.
 *
 * Errors: functions return 0, a negative STORE_E* code, or a positive
 * errno passed through (LMDB's own MDB_* codes are mapped to STORE_E*;
 * store_lmdb_error() keeps the LMDB message behind a STORE_ELMDB).
 * store_strerror() explains any of them. The store never prints.
 *
 * Threads. One struct store may be shared by several threads:
 * - the writer calls (store_begin, store_append, store_producer_get_txn,
 *   store_producer_put, store_tree_append, store_tree_root_txn,
 *   store_checkpoint_put, store_commit, store_abort, store_set_fault,
 *   store_next_index, store_tree_size) come from one thread at a time,
 *   normally the daemon's writer thread;
 * - the reader calls (store_info, store_producer_get,
 *   store_producers_each, store_iter_*, store_view_*) may run from any
 *   thread, concurrently with each other and with an open write
 *   transaction; they see the last committed state. One iterator or
 *   view is used by one thread at a time (any thread: the store uses
 *   MDB_NOTLS); store_leaf_key() is usable from any thread;
 * - store_open and store_close run alone.
 * Growing the map waits until no read transaction of this process is
 * open, so the writer thread must not hold an iterator or a view (or
 * sit in a store_producers_each callback) while it calls a writer
 * function.
 *
 * Map size and the retry contract. A new store maps 64 MiB, an existing
 * one at least its file size. store_begin() doubles the map (by at most
 * 8 GiB a step, up to STORE_MAP_MAX) when it is over 75% used. If an
 * append, a producer put or the commit still runs out of map, the store
 * aborts the transaction, grows the map and returns STORE_EMAPFULL:
 * the caller begins a new transaction and redoes all of its work (the
 * aborted one left no trace). At STORE_MAP_MAX the map cannot grow and
 * the same failure is STORE_EFULL.
 *
 * Testing hooks, read by store_open() for writers (never for
 * STORE_RDONLY); a malformed value makes store_open() fail with EINVAL:
 * - ALGAUDIT_STORE_FAULT="commit:N:eio|enospc|mapfull|fault": the N-th
 *   store_commit() after the open fails as store_set_fault() describes
 *   (eio -> STORE_EIO, enospc -> STORE_EFULL, mapfull -> STORE_EMAPFULL
 *   with the map grown, fault -> STORE_EFAULT).
 * - ALGAUDIT_STORE_FAULT="slow:MS" (MS from 1 to 60000): every
 *   store_commit() with a transaction sleeps MS milliseconds before it
 *   commits, as if each fsync took that long; it then commits normally.
 *   For overload tests. One kind per value: slow or commit, not both.
 * - ALGAUDIT_STORE_MAPSIZE=BYTES: start a new store's map at BYTES
 *   (65536 to STORE_MAP_MAX) instead of 64 MiB, to exercise growth.
 */
#ifndef ALGAUDIT_STORE_H
#define ALGAUDIT_STORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Format 2 added the query indexes (index.h); a writer upgrades a
 * format 1 store when it opens it, so that a format 1 writer (which
 * would append entries without index keys) refuses it from then on.
 */
#define STORE_FORMAT_VERSION	2

/* Flags of store_open(). */
#define STORE_RDONLY	0x01	/* readers: never write, never create */
#define STORE_CREATE	0x02	/* create the directory and store if absent */

/* Map sizes, in bytes. */
#define STORE_MAP_INITIAL	((uint64_t)64 << 20)	/* new store */
#define STORE_MAP_STEP_MAX	((uint64_t)8 << 30)	/* largest growth */
#define STORE_MAP_MAX		((uint64_t)1 << 40)	/* ceiling: 1 TiB */

/* Longest origin name, in bytes. */
#define STORE_ORIGIN_MAX	255

enum store_error {
	STORE_EFORMAT = -31000,	/* not an algaudit store, or newer format */
	STORE_ECORRUPT,		/* a value does not decode as documented */
	STORE_EMAPFULL,		/* map full; grown, retry the transaction */
	STORE_EFULL,		/* no space left on the device */
	STORE_ENOTFOUND,	/* no such key */
	STORE_ETXN,		/* misuse: no (or already a) transaction */
	STORE_EREADERS,		/* too many reader slots in use */
	STORE_EIO,		/* I/O error; the transaction is lost */
	STORE_EFAULT,		/* injected by the fault hook (tests) */
	STORE_ELMDB,		/* any other LMDB failure */
	STORE_ELOCKED,		/* another process is this store's writer */
	STORE_EBUSY,		/* map outgrown while a read was open */
	STORE_ETREE,		/* leaf hashes do not match the entries */
	STORE_EMAX
};

struct store;
struct store_iter;

/* What store_info() reports. */
struct store_info {
	uint64_t	 si_entries;	/* log size: next index to append */
	uint64_t	 si_producers;
	uint64_t	 si_map_size;	/* bytes mapped by this process */
	uint64_t	 si_map_used;	/* bytes of the map in use */
	uint64_t	 si_file_size;	/* bytes of data.mdb on disk */
	uint32_t	 si_format;	/* STORE_FORMAT_VERSION */
	int64_t		 si_created_ns;
	char		 si_origin[256];
};

/* One row of the producers database. */
struct store_producer {
	uint64_t	 sp_seq;	/* highest durable producer_seq */
	int64_t		 sp_first_ns;	/* receive time of its first entry */
	int64_t		 sp_last_ns;	/* receive time of its last entry */
	uint64_t	 sp_entries;	/* entries stored for it */
};

/*
 * Callback of store_producers_each(): the producer id (id_len bytes,
 * not NUL-terminated, valid during the call only), its row, and the
 * caller's argument. Return non-zero to stop the walk.
 */
typedef int (*store_producer_fn)(const char *, size_t,
    const struct store_producer *, void *);

/* Open and close. */

/*
 * Opens the store in directory dir.
 * @param[out] sp	the handle; NULL on failure. Close with store_close().
 * @param[in] dir	the store's directory (files data.mdb and lock.mdb).
 * @param[in] flags	0 (writer, the store must exist), STORE_CREATE
 *			(writer; create the directory, mode 0700, and an
 *			empty store if absent; the parent must exist), or
 *			STORE_RDONLY (reader; the store must exist; only
 *			lock.mdb may be created if it is missing).
 * @param[in] origin	the log's origin name for a new store (1 to
 *			STORE_ORIGIN_MAX bytes of UTF-8, no control
 *			characters), or NULL for "<hostname>/algaudit".
 *			Ignored (but still checked) for an existing store.
 * A writer creates the leaf master secret of a store that has no
 * entries and none yet; every open loads it (store_leaf_key()).
 * @return 0; EINVAL (bad flags, dir or origin, or a malformed testing
 *	hook variable); ENOENT (no such directory or store); ENOTDIR;
 *	STORE_EFORMAT (not an algaudit store: a foreign LMDB environment,
 *	a file that is not LMDB, a newer format or leaf format, or a
 *	store with entries but no leaf secret, written by a pre-release
 *	without a Merkle tree); STORE_ECORRUPT (including, for a writer,
 *	a tree size above the entry count); STORE_ELOCKED (a writer open
 *	while another process writes); STORE_EREADERS; STORE_ELMDB; EIO
 *	(no random bytes for a new leaf secret); or an errno such as
 *	EACCES or ENOMEM.
 */
int	 store_open(struct store **, const char *, int, const char *);

/*
 * Aborts an open write transaction and closes; NULL is allowed. Close
 * every iterator of the store first.
 */
void	 store_close(struct store *);

/* The directory the store was opened with; valid until store_close(). */
const char *store_path(const struct store *);

/*
 * "CODE_NAME: explanation" for a STORE_E* code, strerror() for a
 * positive errno, "success" for 0. Static storage; never NULL.
 */
const char *store_strerror(int);

/*
 * The LMDB message (mdb_strerror) of the last LMDB failure on this
 * handle, from any thread, or NULL if there was none. Static storage.
 */
const char *store_lmdb_error(struct store *);

/*
 * Hot backup: writes a consistent copy of the committed store, as of
 * one snapshot and compacted (free pages left out, pages renumbered;
 * LMDB's mdb_env_copyfd2() with MDB_CP_COMPACT), to dir/data.mdb, mode
 * 0600, then fsyncs the file and dir. Safe while a writer in another
 * process commits: the copy holds a read transaction for its duration
 * (the store's file may grow meanwhile, as LMDB cannot reuse pages
 * freed during it). Any handle may copy; a reader (STORE_RDONLY) is
 * the usual one. The copy opens like any store (store_open() makes its
 * lock.mdb). Files beside data.mdb are not copied: the lock file, and
 * the daemon's signing key signer.key, which is backed up separately.
 * @param[in] dir	an existing directory without a data.mdb.
 * @param[out] bytes	if not NULL, the size of the copy; 0 on failure.
 * @return 0; EINVAL (dir NULL or empty); EEXIST (dir already holds a
 *	data.mdb); ENOENT, ENOTDIR, EACCES (dir); ENOMEM; STORE_EFULL (no
 *	space); STORE_EIO; STORE_EBUSY; STORE_EREADERS; STORE_ELMDB; or an
 *	errno. On failure the partial data.mdb is removed.
 */
int	 store_backup(struct store *, const char *, uint64_t *);

/* Writer: one write transaction at a time, from one thread. */

/*
 * Opens the write transaction, growing the map first when it is over
 * 75% used; at most every 5 s it first clears dead readers' slots
 * (store_reader_check()).
 * @return 0; STORE_ETXN (one is already open, or the store is
 *	STORE_RDONLY); ENOMEM (growing failed: the handle is unusable,
 *	close it); STORE_EIO (an earlier fatal I/O error); STORE_ELMDB.
 */
int	 store_begin(struct store *);

/*
 * The index the next store_append() will use: the number of entries,
 * counting those appended in the open transaction. Writer only; a
 * reader's value is the log size at its store_open().
 */
uint64_t store_next_index(const struct store *);

/*
 * Appends len bytes (an Entry message, opaque to the store) at the next
 * index; the bytes are copied.
 * @param[out] index	the index used; may be NULL.
 * @return 0; STORE_ETXN (no transaction); EINVAL (len 0 or over 4 GiB,
 *	the transaction stays open). Otherwise the transaction has been
 *	aborted: STORE_EMAPFULL (retry the transaction), STORE_EFULL,
 *	STORE_EIO, STORE_ECORRUPT (the log already holds this index),
 *	STORE_ELMDB, or an errno.
 */
int	 store_append(struct store *, const void *, size_t, uint64_t *);

/*
 * Reads a producer's row inside the write transaction, seeing its
 * uncommitted updates. The id is a NUL-terminated string of 1 to 511
 * bytes.
 * @return 0; STORE_ENOTFOUND (no row; the transaction stays open);
 *	STORE_ETXN; EINVAL (bad id). Otherwise the transaction has been
 *	aborted: STORE_ECORRUPT (the row is not 32 bytes), STORE_EIO,
 *	STORE_ELMDB.
 */
int	 store_producer_get_txn(struct store *, const char *,
	    struct store_producer *);

/*
 * Writes a producer's row in the write transaction.
 * @return 0; STORE_ETXN; EINVAL (bad id; the transaction stays open).
 *	Otherwise the transaction has been aborted: STORE_EMAPFULL (retry
 *	the transaction), STORE_EFULL, STORE_EIO, STORE_ELMDB.
 */
int	 store_producer_put(struct store *, const char *,
	    const struct store_producer *);

/*
 * Commits the write transaction durably (LMDB fsyncs data and meta
 * page before it returns). Whatever it returns, the transaction is
 * over; on failure nothing of it is visible and store_next_index() is
 * back to its value at store_begin().
 * @return 0; STORE_ETXN (no transaction); STORE_EMAPFULL (map grown:
 *	redo the transaction); STORE_EFULL; STORE_EIO (the handle may be
 *	unusable afterwards: close and reopen); STORE_EFAULT or the code
 *	given to store_set_fault(); STORE_ELMDB.
 */
int	 store_commit(struct store *);

/* Aborts the write transaction, if any, and restores the next index. */
void	 store_abort(struct store *);

/*
 * Fault hook for tests: the n-th following store_commit() that has a
 * transaction (1 = the next) aborts it and fails with err, exactly as a
 * real failure would: nothing of that transaction is visible. err is a
 * STORE_E* code or an errno, mapped like a real failure (EIO ->
 * STORE_EIO, ENOSPC -> STORE_EFULL, STORE_EMAPFULL also grows the map);
 * 0 means STORE_EFAULT. n = 0 disables the hook. Fires once.
 */
void	 store_set_fault(struct store *, unsigned long, int);

/*
 * Clears the reader slots left in the lock file by processes that died
 * inside a read transaction (a query killed with SIGKILL, a crash):
 * LMDB's mdb_reader_check(). Such a slot pins its snapshot, so the
 * writer can no longer reuse the pages freed since and data.mdb grows
 * (tenfold in seconds under a steady ingest). A writer also clears
 * them by itself, silently: in store_open() and in store_begin() at
 * most every 5 s; the daemon calls this periodically to log them. Any
 * handle, any thread; one pass over the reader table.
 * @param[out] cleared	if not NULL, the number of slots cleared by this
 *			call and by the writer itself since the last call
 *			(0 on failure).
 * @return 0; STORE_ELMDB (the lock file's mutex failed).
 */
int	 store_reader_check(struct store *, int *);

/* Readers: any thread, any process, while the writer works. */

/*
 * Reports the committed state: log size, producers, map, file, meta.
 * @return 0; STORE_ECORRUPT (a meta value or a key does not decode);
 *	STORE_EBUSY (see below); STORE_EREADERS; STORE_ELMDB; an errno.
 * Every reader call transparently adopts a map grown by a writer in
 * another process, unless another read transaction of this process is
 * open at that moment: then it fails with STORE_EBUSY (close the open
 * iterator and retry).
 */
int	 store_info(struct store *, struct store_info *);

/*
 * Reads a producer's committed row.
 * @return 0; STORE_ENOTFOUND; EINVAL (bad id); STORE_ECORRUPT;
 *	STORE_EBUSY; STORE_EREADERS; STORE_ELMDB.
 */
int	 store_producer_get(struct store *, const char *,
	    struct store_producer *);

/*
 * Calls fn for each committed producer row, in key (byte) order, from
 * one snapshot.
 * @return 0 after the last row; fn's non-zero value if it stopped the
 *	walk; STORE_ECORRUPT; STORE_EBUSY; STORE_EREADERS; STORE_ELMDB.
 */
int	 store_producers_each(struct store *, store_producer_fn, void *);

/*
 * Opens an iterator over the committed entries from index from on, in
 * a read transaction (one snapshot) that lasts until store_iter_close().
 * @param[out] it	the iterator; NULL on failure.
 * @return 0; ENOMEM; STORE_EBUSY; STORE_EREADERS; STORE_ELMDB.
 */
int	 store_iter_open(struct store *, uint64_t, struct store_iter **);

/*
 * The next entry: its index and a view of its bytes, valid until the
 * next call on this iterator or store_iter_close(); do not free it,
 * copy what you keep.
 * @return 0; STORE_ENOTFOUND (no more entries, or from was past the
 *	end); STORE_ECORRUPT (a key is not 8 bytes, or the indexes are not
 *	dense); STORE_ELMDB.
 */
int	 store_iter_next(struct store_iter *, uint64_t *, const void **,
	    size_t *);

/* Ends the iterator's read transaction and frees it; NULL is allowed. */
void	 store_iter_close(struct store_iter *);

/*
 * The verifiable log (docs/VERIFIABLE.md, layout in docs/FORMAT.md): the
 * Merkle tree's tiles, the signed checkpoints, the tree size and the
 * leaf master secret live in the same LMDB environment and change in
 * the same transaction as the entries.
 *
 * Writer side, inside the write transaction (after store_begin()):
 * append entries with store_append(), then hand their leaf hashes to
 * store_tree_append() (all of them, in log order, in one or more calls
 * each covering exactly the entries appended since the previous one);
 * after it the tree size equals the entry count. store_tree_root_txn()
 * reads a root inside the transaction, store_checkpoint_put() stores a
 * signed checkpoint note. All follow the retry contract above: a commit
 * or call that fails loses the tiles, tree size and checkpoints with
 * the entries, and store_tree_size() is restored like
 * store_next_index(). store_commit() does not check that the tree
 * covers the entries; the next store_tree_append() would (STORE_ETREE),
 * so a writer should check store_tree_size() == store_next_index()
 * before committing and after store_open().
 *
 * store_leaf_key() is the key derived from the store's master secret
 * (created with the store, kept in `meta`, never exported); writers and
 * readers (receipts, verify, export) compute leaves with it.
 *
 * Readers: a view is one read transaction (one snapshot) in which
 * entries, tiles and checkpoints are seen consistently. Like an
 * iterator, a view is used by one thread at a time (any thread), and
 * the writer thread must end its views before it calls a writer
 * function (growing the map waits for them).
 */
struct leaf_key;
struct merkle_io;
struct store_view;

/*
 * Callback of store_view_checkpoints_each(): the tree size, the note
 * (len bytes, not NUL-terminated, valid until store_view_end()) and the
 * caller's argument. Return non-zero to stop the walk.
 */
typedef int (*store_checkpoint_fn)(uint64_t, const char *, size_t, void *);

/*
 * Appends the leaf hashes of the entries appended since the tree was
 * last extended: n hashes of 32 bytes (hashes[i] is the leaf hash of
 * entry tree size + i), written as tiles (merkle_append()) with the new
 * tree size in `meta`.
 * @return 0 (n = 0 with nothing to cover is a no-op); STORE_ETXN (no
 *	transaction); EINVAL (hashes NULL; the transaction stays open).
 *	Otherwise the transaction has been aborted: STORE_ETREE (tree
 *	size + n is not store_next_index(): a writer bug), STORE_EMAPFULL
 *	(retry the transaction), STORE_EFULL, STORE_EIO, STORE_ECORRUPT
 *	(the stored tiles do not hold the tree size in `meta`),
 *	STORE_ELMDB, ENOMEM.
 */
int	 store_tree_append(struct store *, const uint8_t *, size_t);

/*
 * The root hash of the tree's first size leaves (size 0: SHA-256("")),
 * read in the write transaction, uncommitted leaves included.
 * @param[out] root	32 bytes.
 * @return 0; STORE_ETXN; EINVAL (root NULL, or size above
 *	store_tree_size()); ENOMEM (the transaction stays open).
 *	Otherwise the transaction has been aborted: STORE_ECORRUPT (a tile
 *	lacks hashes), STORE_EIO, STORE_ELMDB.
 */
int	 store_tree_root_txn(struct store *, uint64_t, uint8_t *);

/*
 * Stores the signed checkpoint note (len bytes, exactly as signed, at
 * most NOTE_MSG_MAX) of tree size size in the write transaction. The
 * store checks that the note's body is a checkpoint stating that size
 * (not its signature or root). A checkpoint, once stored, is never
 * replaced: storing the same bytes again is a no-op.
 * @return 0; STORE_ETXN; EINVAL (note NULL or empty or too long, size
 *	above store_tree_size(), or the body is not a checkpoint of that
 *	size); EEXIST (another note is stored for that size); both leave
 *	the transaction open. Otherwise the transaction has been aborted:
 *	STORE_EMAPFULL (retry the transaction), STORE_EFULL, STORE_EIO,
 *	STORE_ELMDB.
 */
int	 store_checkpoint_put(struct store *, uint64_t, const char *, size_t);

/*
 * The tree size: the number of leaf hashes in the tree. Writer: with
 * the open transaction's; after a failure or abort, back to its value
 * at store_begin(). Reader: the committed value at store_open().
 */
uint64_t store_tree_size(const struct store *);

/*
 * The key of the store's leaf master secret, loaded by store_open()
 * (writers and readers); read-only, usable from any thread, valid until
 * store_close(). NULL only for a reader of an empty store that has no
 * secret yet (one made by a pre-release; its writer adds the secret at
 * its next open, the reader then has to reopen). A store with entries
 * and no secret is refused by store_open() (STORE_EFORMAT).
 */
const struct leaf_key *store_leaf_key(const struct store *);

/*
 * Opens a view: one read transaction over the committed entries, tiles
 * and checkpoints.
 * @param[out] vp	the view; NULL on failure. End with store_view_end().
 * @return 0; ENOMEM; STORE_ECORRUPT (a key of entries or the tree size
 *	does not decode); STORE_EBUSY; STORE_EREADERS; STORE_ELMDB.
 */
int	 store_view_begin(struct store *, struct store_view **);

/* Ends the view's read transaction and frees it; NULL is allowed. */
void	 store_view_end(struct store_view *);

/*
 * The log size in the snapshot: the last index + 1 (0 if empty), as
 * store_info()'s si_entries. Reading entries finds any gap.
 */
uint64_t store_view_size(const struct store_view *);

/*
 * The tree size in the snapshot (meta `tree_size`; 0 if absent). Equal
 * to store_view_size() in a store written by a writer that follows the
 * contract above; anything else is for verify to report.
 */
uint64_t store_view_tree_size(const struct store_view *);

/*
 * Read-only tile storage of the snapshot (mi_put NULL), for merkle_root(),
 * merkle_leaf(), merkle_prove_inclusion() and merkle_prove_consistency()
 * with sizes up to store_view_tree_size(). Valid until store_view_end().
 * Those functions return MERKLE_E* codes or the store's STORE_E* codes
 * from the tile reads (STORE_ECORRUPT: a tile is not 1 to 256 hashes);
 * store_strerror() explains both.
 */
const struct merkle_io *store_view_tree(struct store_view *);

/*
 * A view of entry index's bytes (an Entry message), valid until
 * store_view_end(); do not free it.
 * @return 0; STORE_ENOTFOUND (no such entry); STORE_ELMDB.
 */
int	 store_view_entry(struct store_view *, uint64_t, const void **,
	    size_t *);

/*
 * The signed checkpoint note of tree size size, or with size 0 the
 * latest (largest size) one: a view of its len bytes, not
 * NUL-terminated, valid until store_view_end().
 * @param[out] got	if not NULL, the tree size of the one returned.
 * @return 0; STORE_ENOTFOUND (none at that size, or none at all);
 *	STORE_ECORRUPT (a key that is not 8 bytes, an empty note);
 *	STORE_ELMDB.
 */
int	 store_view_checkpoint(struct store_view *, uint64_t, const char **,
	    size_t *, uint64_t *);

/*
 * Calls fn for each checkpoint of the snapshot, in ascending tree size.
 * @return 0 after the last one; fn's non-zero value if it stopped the
 *	walk; EINVAL (fn NULL); STORE_ECORRUPT; STORE_ELMDB.
 */
int	 store_view_checkpoints_each(struct store_view *,
	    store_checkpoint_fn, void *);

#endif /* ALGAUDIT_STORE_H */
