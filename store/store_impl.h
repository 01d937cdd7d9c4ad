/* SPDX-License-Identifier: ISC */
/*
 * store_impl.h: the store's private header, shared by the files of
 * store/ that work on the LMDB environment (store.c: environment,
 * entries, tree and views; index.c: the indexes; query.c: the query
 * engine). Nothing outside store/ includes it: everybody else sees
 * store.h, index.h and query.h. The locking rules of store.c's file
 * comment apply to every file that uses these structures.
 */
#ifndef ALGAUDIT_STORE_IMPL_H
#define ALGAUDIT_STORE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <lmdb.h>

#include "index.h"
#include "merkle.h"
#include "store.h"

#define STORE_MAXDBS		32	/* entries, tree, indexes, ... */

struct index_txn;	/* index.c: the write transaction's postings */

struct store {
	MDB_env		*s_env;
	MDB_dbi		 s_entries;
	MDB_dbi		 s_producers;
	MDB_dbi		 s_meta;
	MDB_dbi		 s_tiles;
	MDB_dbi		 s_ckpts;	/* checkpoints */
	int		 s_tree_dbs;	/* tiles and checkpoints exist */
	struct leaf_key	*s_leafkey;	/* NULL: store without a secret */
	int		 s_flags;	/* STORE_RDONLY, STORE_CREATE */
	char		*s_path;	/* the directory */
	char		*s_data;	/* the directory's data.mdb */
	size_t		 s_psize;	/* LMDB page size */
	size_t		 s_maxkey;	/* longest key LMDB accepts */

	/* Writer thread only. */
	MDB_txn		*s_txn;		/* the write transaction, or NULL */
	uint64_t	 s_next;	/* next index, uncommitted included */
	uint64_t	 s_txn_next;	/* s_next when s_txn began */
	uint64_t	 s_tree;	/* tree size, uncommitted included */
	uint64_t	 s_txn_tree;	/* s_tree when s_txn began */
	unsigned long	 s_fault_n;	/* commits until the fault; 0: off */
	int		 s_fault_err;
	unsigned int	 s_fault_slow_ms;	/* each commit sleeps; 0: off */
	int64_t		 s_sweep_ms;	/* next dead-reader sweep (monotonic) */

	/* Shared by the threads; see the file comment. */
	pthread_mutex_t	 s_lock;
	pthread_cond_t	 s_cond;	/* s_readers dropped to zero */
	unsigned long	 s_readers;	/* open read transactions */
	int		 s_dead;	/* a remap failed: the map is gone */
	atomic_int	 s_mdb_err;	/* last LMDB failure, for the message */
	atomic_uint	 s_swept;	/* dead readers cleared, not reported */

	/* Indexes (index.c). */
	MDB_dbi		 s_ix[INDEX_NKINDS];
	MDB_dbi		 s_ix_zones;	/* per block */
	MDB_dbi		 s_ix_tzones;	/* per INDEX_TZONE_LEN entries */
	MDB_dbi		 s_ix_recent[2];	/* level 0: even, odd blocks */
	int		 s_ix_dbs;	/* the index databases are open */
	struct index_info s_ix_info;	/* writer: as of the open */
	struct index_txn *s_ix_txn;	/* writer: pending postings, zones */
};

struct store_iter {
	struct store	*it_store;
	MDB_txn		*it_txn;
	MDB_cursor	*it_cur;
	uint64_t	 it_next;	/* index expected next */
	int		 it_started;
};

/* Tile storage in one transaction: the mi_arg of the store's merkle_io. */
struct store_tio {
	struct store	*t_store;
	MDB_txn		*t_txn;
};

/* A reader's snapshot of entries, tiles and checkpoints. */
struct store_view {
	struct store	*v_store;
	MDB_txn		*v_txn;
	uint64_t	 v_size;	/* entries: last index + 1 */
	uint64_t	 v_tree;	/* meta tree_size */
	struct store_tio v_tio;
	struct merkle_io v_io;
};

/* Writes v as 8 bytes, big-endian. */
static inline void
store_put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

/* Reads 8 big-endian bytes. */
static inline uint64_t
store_get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Writes v as 4 bytes, big-endian. */
static inline void
store_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Reads 4 big-endian bytes. */
static inline uint32_t
store_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* store.c */
int	 store_mdb_err(struct store *, int);
int	 store_txn_fail(struct store *, int, int);
int	 store_rd_begin(struct store *, MDB_txn **);
void	 store_rd_end(struct store *, MDB_txn *);
int	 store_meta_put(struct store *, MDB_txn *, const char *, const void *,
	    size_t);
int	 store_meta_get(struct store *, MDB_txn *, const char *, MDB_val *);

/* index.c: called by store.c at open, commit, abort and close. */
int	 store_index_open(struct store *, MDB_txn *, int, uint64_t);
void	 store_index_close(struct store *);
int	 store_index_flush(struct store *);
void	 store_index_reset(struct store *);
int	 store_index_info_txn(struct store *, MDB_txn *, struct index_info *);

#endif /* ALGAUDIT_STORE_IMPL_H */
