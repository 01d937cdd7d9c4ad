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
 * errno passed through (LMDB's own MDB_* codes are mapped to STORE_E*).
 * store_strerror() explains any of them.
 */
#ifndef ALGAUDIT_STORE_H
#define ALGAUDIT_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_FORMAT_VERSION	1

/* Flags of store_open(). */
#define STORE_RDONLY	0x01	/* readers: never write, never create */
#define STORE_CREATE	0x02	/* create the directory and store if absent */

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
	STORE_EMAX
};

struct store;
struct store_iter;

/* What store_info() reports. */
struct store_info {
	uint64_t	 si_entries;	/* log size: next index to append */
	uint64_t	 si_producers;
	uint64_t	 si_map_size;	/* bytes mapped */
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

/* Callback of store_producers_each(): return non-zero to stop. */
typedef int (*store_producer_fn)(const char *, size_t,
    const struct store_producer *, void *);

/* Open and close. */
int	 store_open(struct store **, const char *, int, const char *);
void	 store_close(struct store *);
const char *store_path(const struct store *);
const char *store_strerror(int);

/* Writer: one write transaction at a time, from one thread. */
int	 store_begin(struct store *);
uint64_t store_next_index(const struct store *);
int	 store_append(struct store *, const void *, size_t, uint64_t *);
int	 store_producer_get_txn(struct store *, const char *,
	    struct store_producer *);
int	 store_producer_put(struct store *, const char *,
	    const struct store_producer *);
int	 store_commit(struct store *);
void	 store_abort(struct store *);
void	 store_set_fault(struct store *, unsigned long, int);

/* Readers: any thread, any process, while the writer works. */
int	 store_info(struct store *, struct store_info *);
int	 store_producer_get(struct store *, const char *,
	    struct store_producer *);
int	 store_producers_each(struct store *, store_producer_fn, void *);
int	 store_iter_open(struct store *, uint64_t, struct store_iter **);
int	 store_iter_next(struct store_iter *, uint64_t *, const void **,
	    size_t *);
void	 store_iter_close(struct store_iter *);

#endif /* ALGAUDIT_STORE_H */
