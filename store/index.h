/* SPDX-License-Identifier: ISC */
/*
 * index.h: the secondary indexes of the audit store, written in the
 * same transaction as the entries they point to, so that queries answer
 * from them and never scan the log. docs/FORMAT.md ("Indexes") is the
 * byte layout; this header is the contract.
 *
 * Layout, in two levels like a log-structured merge tree, so that
 * writes stay cheap and a query seeks a few times only:
 * - level 0 (databases ix_recent0 and ix_recent1, for even and odd big
 *   blocks): what the writer adds, in small blocks of 2^(bits - 6)
 *   entries: key = kind (u8) || small block (u32 BE) || term || first
 *   log index (u64 BE). A commit's inserts land in one small subtree
 *   per index, which stays in cache and is written once per commit.
 * - level 1 (one database per index, ix_<name>): when the log moves
 *   into a new big block of 2^bits entries, the writer merges the 64
 *   small blocks of the finished one, in the same transaction, into
 *   keys big block (u32 BE) || term || first log index (u64 BE),
 *   appended in order, and empties that level 0 database. meta
 *   index_merged counts the big blocks merged.
 * In both, the value is a posting chunk: the chunk's other log indexes,
 * each as a u32 BE offset from the first, ascending (empty for a chunk
 * of one); a chunk has at most INDEX_CHUNK_MAX indexes, and the chunks
 * of one term in one block are disjoint and ordered by their first
 * index. The writer gathers the postings of a transaction in memory and
 * writes them as chunks at the commit: a term that occurs many times in
 * a commit (a class, an algorithm, a decision) costs one put per commit.
 * With bits 63 every index is in block 0 and nothing is ever merged:
 * the plain term || index layout, kept for the benchmark's comparison.
 *
 * Event time is not a key: zones keep, per block (ix_zones) and per
 * INDEX_TZONE_LEN entries (ix_tzones), the smallest and largest event
 * time, so a time range skips whole blocks and chunks of the log and
 * takes those wholly inside it without decoding an entry.
 *
 * Terms (all lengths big-endian):
 *   algorithm    u16 len || id
 *   version      u16 len || id || u16 len || version (absent = empty)
 *   subject, decision, trace, decision_id, producer
 *                u16 len || bytes
 *   class        u8 data class (1 ordinary, 2 important, 3 core)
 *   label        u16 len || key || u16 len || value; only for the label
 *                keys declared indexable (meta index_labels)
 * An entry without the field (no subject, a loss record without
 * algorithm) has no posting in that index; empty strings are absent.
 *
 * Threads: store_index_add() is a writer call (the writer thread, in
 * the write transaction); store_reindex() is a writer call with no
 * transaction open; store_index_info() and index_term_*() are usable
 * anywhere.
 */
#ifndef ALGAUDIT_INDEX_H
#define ALGAUDIT_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "algaudit.pb-c.h"
#include "record.h"
#include "store.h"

/* The indexes, in the order of their databases. */
enum index_kind {
	INDEX_ALGORITHM = 0,	/* ix_algorithm: algorithm id */
	INDEX_VERSION,		/* ix_version: algorithm id + version */
	INDEX_SUBJECT,		/* ix_subject */
	INDEX_DECISION,		/* ix_decision */
	INDEX_TRACE,		/* ix_trace: trace id */
	INDEX_DECISION_ID,	/* ix_decision_id */
	INDEX_CLASS,		/* ix_class: the record's data class */
	INDEX_PRODUCER,		/* ix_producer: producer id */
	INDEX_LABEL,		/* ix_label: declared label keys */
	INDEX_NKINDS
};

#define INDEX_BITS_DEFAULT	16	/* 65,536 entries per block */
#define INDEX_BITS_MIN		8
#define INDEX_BITS_MAX		32	/* or INDEX_BITS_PLAIN */
#define INDEX_L0_SHIFT		6	/* 64 small blocks per big block */
#define INDEX_BITS_PLAIN	63	/* one block: the plain layout */
#define INDEX_LABELS_MAX	32	/* declared indexable label keys */
#define INDEX_BLOCK_LEN		4	/* u32 BE block prefix */
#define INDEX_CHUNK_MAX		256	/* indexes in one posting chunk */
#define INDEX_TZONE_BITS	8
#define INDEX_TZONE_LEN		(1 << INDEX_TZONE_BITS)	/* entries per
							   time zone */
#define INDEX_ZONE_LEN		32	/* bytes of a zone value */
#define INDEX_TERM_MAX		400	/* longest term (a label) */
#define INDEX_KEY_MAX		(1 + INDEX_BLOCK_LEN + INDEX_TERM_MAX + 8)

/* How a store is indexed (meta index_*), as store_index_info() reads it. */
struct index_info {
	int		 ii_present;	/* the index databases exist */
	unsigned	 ii_bits;	/* block = index >> ii_bits */
	uint64_t	 ii_merged;	/* big blocks merged into level 1 */
	uint64_t	 ii_from;	/* entries below it are not indexed;
					   UINT64_MAX: a reindex is running
					   or was interrupted */
	size_t		 ii_nlabels;
	char		 ii_labels[INDEX_LABELS_MAX][RECORD_MAX_NAME + 1];
};

/*
 * Progress of store_reindex(): entries done, entries in all, the
 * caller's argument. Called after each commit.
 */
typedef void (*index_progress_fn)(uint64_t, uint64_t, void *);

/* Name of an index ("algorithm", "version", ...); NULL if out of range. */
const char *index_kind_name(enum index_kind);

/*
 * Term encoders: write the term into buf (room for INDEX_TERM_MAX) and
 * return its length, or 0 if a value is NULL or empty (the string forms;
 * the second string of version and label may be NULL: empty)
 * or the term would be longer than INDEX_TERM_MAX. Field limits are
 * record.h's: a longer value cannot be in a valid record, and a query
 * for it finds nothing.
 */
size_t	 index_term_string(uint8_t *, const char *);
size_t	 index_term_version(uint8_t *, const char *, const char *);
size_t	 index_term_class(uint8_t *, int);
size_t	 index_term_label(uint8_t *, const char *, const char *);

/*
 * Event times in zones (not a term: time is no posting key): the u64
 * with the sign bit flipped, so byte order is numeric order; 8 bytes.
 * index_term_time_decode() reverses it.
 */
size_t	 index_term_time(uint8_t *, int64_t);
int64_t	 index_term_time_decode(const uint8_t *);

/*
 * Indexes entry e, appended at index (the index store_append() just
 * used) in the open write transaction. Called for every appended
 * entry, in log order, before the commit. The postings and zones are
 * kept in memory and written by store_commit() (whose failure loses
 * them with the rest of the transaction).
 * @return 0; STORE_ETXN (no transaction); EINVAL (e NULL or its index
 *	not the last appended; the transaction stays open). Otherwise the
 *	transaction has been aborted, as store_append() describes:
 *	ENOMEM, STORE_EMAPFULL (retry), STORE_EFULL, STORE_EIO,
 *	STORE_ECORRUPT (a zone or level 0 chunk does not decode, or meta
 *	index_merged is missing), STORE_ELMDB.
 * An entry appended in a transaction without its store_index_add()
 * makes the commit record that the indexes are incomplete (meta
 * index_from): queries refuse the store until a reindex.
 */
int	 store_index_add(struct store *, uint64_t,
	    const Algaudit__V1__Entry *);

/*
 * Rebuilds every index from the entries: empties the index databases,
 * records the layout (bits: INDEX_BITS_MIN to INDEX_BITS_MAX, or
 * INDEX_BITS_PLAIN; 0 for the store's current or the default) and the
 * declared label keys
 * (labels NULL: keep the store's), then indexes the log in commits of
 * batch entries (0: 100,000), calling progress after each. Sets
 * ii_from to UINT64_MAX at the start (queries refuse a half-built
 * index) and to 0 at the end. Needs the writer's handle (the daemon
 * must be stopped) and no open transaction. Interrupted, it can simply
 * be run again.
 * @return 0; STORE_ETXN; EINVAL (bits, a label key empty or too long,
 *	or more than INDEX_LABELS_MAX); STORE_ECORRUPT (an entry does not
 *	decode: its index is in *bad if bad is not NULL); STORE_EMAPFULL
 *	(the map still full after 8 growths); STORE_EFULL; STORE_EIO;
 *	STORE_ELMDB; ENOMEM.
 */
int	 store_reindex(struct store *, unsigned, const char *const *,
	    size_t, uint64_t, index_progress_fn, void *, uint64_t *);

/*
 * Reads how the store is indexed, committed state.
 * @return 0; STORE_ECORRUPT (a meta index_* value does not decode);
 *	STORE_EBUSY; STORE_EREADERS; STORE_ELMDB.
 */
int	 store_index_info(struct store *, struct index_info *);

/*
 * A digest of the committed index contents, whatever their chunking:
 * SHA-256 over each index's name and its postings one by one (block,
 * term, log index, in key order), then the zones' keys and values, with
 * the number of postings (indexed entries) of each index in counts
 * (INDEX_NKINDS slots, may be NULL). Two stores with the same entries,
 * layout and declared labels have the same digest however they were
 * indexed (live by the daemon, in whatever commits, or by
 * store_reindex()).
 * @return 0; STORE_ENOTFOUND (no index databases); STORE_ECORRUPT (a
 *	chunk does not decode); STORE_EBUSY; STORE_EREADERS; STORE_ELMDB;
 *	ENOMEM.
 */
int	 store_index_digest(struct store *, uint8_t *, uint64_t *);

#endif /* ALGAUDIT_INDEX_H */
