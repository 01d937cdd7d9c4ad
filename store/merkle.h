/* SPDX-License-Identifier: ISC */
/*
 * merkle.h: the RFC 6962 / RFC 9162 Merkle tree of the audit log,
 * stored as 256-wide tiles in the style of C2SP tlog-tiles.
 *
 * Hashing: leaf hash SHA-256(0x00 || leaf bytes), node hash
 * SHA-256(0x01 || left || right), the root of the empty tree is
 * SHA-256(""). Storage: the tile at level L, index N holds up to 256
 * consecutive hashes of tree level 8L, those of indexes 256N .. 256N +
 * 255; level-0 tiles hold the leaf hashes, a level L+1 tile the roots of
 * the full level L tiles. Only the rightmost tile of a level is partial.
 * Every other node is recomputed from at most 128 hashes of one tile, so
 * roots and proofs cost O(log n) tile reads and never a rescan.
 *
 * The module is pure: it reads and writes tiles only through a struct
 * merkle_io that the caller supplies (the store implements it on LMDB,
 * inside the write transaction of the entries; merkle_mem_* is an
 * in-memory one for tests, benchmarks and offline tools). It keeps no
 * state between calls and no globals; calls on different io are
 * independent, calls on one io follow that io's own threading rules.
 * The tree size is the caller's: it passes the size the tiles hold.
 *
 * Errors: 0, a negative MERKLE_E* code, an errno (ENOMEM), or whatever
 * non-zero value an io callback returned, passed through unchanged (so
 * a STORE_E* code from the store's callbacks reaches the store's
 * caller). merkle_strerror() explains the MERKLE_E* codes.
 *
 * docs/VERIFIABLE.md describes the layout and the proof formats.
 */
#ifndef ALGAUDIT_MERKLE_H
#define ALGAUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN		32
#define MERKLE_TILE_HEIGHT	8	/* tree levels per tile level */
#define MERKLE_TILE_WIDTH	256	/* hashes in a full tile */
#define MERKLE_TILE_BYTES	(MERKLE_TILE_WIDTH * MERKLE_HASH_LEN)
#define MERKLE_TILE_LEVELS	8	/* tile levels of a 2^64 tree */
#define MERKLE_SIZE_MAX		((uint64_t)INT64_MAX)	/* largest tree */
#define MERKLE_TILE_KEY_LEN	9	/* u8 level || u64 BE index */
/* Longest proof: 63 hashes for inclusion, 64 for consistency. */
#define MERKLE_PROOF_MAX	64

enum merkle_error {
	MERKLE_ERANGE = -31200,	/* index or size out of range */
	MERKLE_ECORRUPT,	/* a tile does not hold what the size says */
	MERKLE_EPROOFLEN,	/* proof has the wrong number of hashes */
	MERKLE_EPROOF,		/* proof does not lead to the given root */
	MERKLE_EMAX
};

/*
 * Tile storage. The callbacks receive mi_arg first. Readers (roots,
 * proofs) only call mi_get; mi_put may be NULL for them.
 *
 * mi_get copies tile (level, index) into hashes (room for
 * MERKLE_TILE_WIDTH hashes) and sets *count to the number of hashes it
 * holds (1 to 256); a tile that does not exist is *count = 0 and return
 * 0. mi_put replaces tile (level, index) with count hashes (1 to 256),
 * copying them. Both return 0 or an error code of the caller's choice
 * (never one in the MERKLE_E* range), which the merkle_* function
 * returns unchanged.
 */
struct merkle_io {
	int	(*mi_get)(void *, int, uint64_t, uint8_t *, size_t *);
	int	(*mi_put)(void *, int, uint64_t, const uint8_t *, size_t);
	void	*mi_arg;
};

/*
 * A compact range: the roots of the perfect subtrees that make up the
 * tree of the mc_size leaves pushed so far (one per set bit of mc_size,
 * mc_hashes[k] for bit k). For streaming rebuilds (verify) in O(log n)
 * memory. Fields are read-only for callers.
 */
struct merkle_compact {
	uint64_t	 mc_size;
	uint8_t		 mc_hashes[64][MERKLE_HASH_LEN];
};

struct merkle_mem;

/* Hashing. */

/* out = SHA-256(0x00 || data): the RFC 6962 leaf hash of len bytes. */
void	 merkle_hash_leaf(const void *, size_t, uint8_t *);

/* out = SHA-256(0x01 || left || right); out may alias an input. */
void	 merkle_hash_node(const uint8_t *, const uint8_t *, uint8_t *);

/* out = SHA-256(""), the root of the empty tree. */
void	 merkle_hash_empty(uint8_t *);

/* Tree on tiles. */

/*
 * The storage key of tile (level, index), MERKLE_TILE_KEY_LEN bytes:
 * u8 level || u64 BE index, so byte order is (level, index) order.
 */
void	 merkle_tile_key(int, uint64_t, uint8_t *);

/*
 * Appends count leaf hashes (count * 32 bytes) to a tree of size leaves,
 * rewriting the partial tiles it touches and writing the full ones it
 * completes: about count / 256 + 2 * levels tile writes.
 * @return 0; EINVAL (io has no mi_put); MERKLE_ERANGE (size + count
 *	above MERKLE_SIZE_MAX);
 *	MERKLE_ECORRUPT (the tiles do not hold a tree of that size: the
 *	rightmost tile of a level has the wrong number of hashes, or the
 *	one before it is not full); ENOMEM;
 *	an io error. On failure some tiles may have been written: abort
 *	the caller's transaction.
 */
int	 merkle_append(const struct merkle_io *, uint64_t, const uint8_t *,
	    size_t);

/*
 * The root hash of the tree's first size leaves; size 0 gives
 * SHA-256(""). The tiles must hold at least size leaves.
 * @return 0; MERKLE_ERANGE (size above MERKLE_SIZE_MAX);
 *	MERKLE_ECORRUPT (a tile needed lacks hashes); ENOMEM; an io error.
 */
int	 merkle_root(const struct merkle_io *, uint64_t, uint8_t *);

/*
 * Copies leaf hash index (which must be stored) to out.
 * @return 0; MERKLE_ECORRUPT (not in the tiles); an io error.
 */
int	 merkle_leaf(const struct merkle_io *, uint64_t, uint8_t *);

/*
 * The hash of the tree node over leaves [lo, hi), hi > lo: the RFC 6962
 * MTH of those leaves, where lo is a multiple of the largest power of
 * two not above hi - lo (as for every node of a tree of any size >= hi).
 * For multi-proofs (tools/bundle.c), which give such nodes.
 * @return 0; MERKLE_ERANGE (hi <= lo, hi above MERKLE_SIZE_MAX, or lo
 *	not aligned); MERKLE_ECORRUPT (the tiles lack a hash); ENOMEM; an
 *	io error.
 */
int	 merkle_range_hash(const struct merkle_io *, uint64_t, uint64_t,
	    uint8_t *);

/*
 * The inclusion proof of leaf index in the tree of size leaves (RFC 9162
 * 2.1.3.1: the audit path, the hash nearest the leaf first).
 * @param[out] proof	room for MERKLE_PROOF_MAX hashes.
 * @param[out] n	hashes written.
 * @return 0; MERKLE_ERANGE (index >= size); MERKLE_ECORRUPT; ENOMEM;
 *	an io error.
 */
int	 merkle_prove_inclusion(const struct merkle_io *, uint64_t, uint64_t,
	    uint8_t *, size_t *);

/*
 * The consistency proof from the tree of old leaves to the tree of size
 * leaves (RFC 9162 2.1.4.1; empty when old == size).
 * @param[out] proof	room for MERKLE_PROOF_MAX hashes.
 * @return 0; MERKLE_ERANGE (old 0 or old > size); MERKLE_ECORRUPT;
 *	ENOMEM; an io error.
 */
int	 merkle_prove_consistency(const struct merkle_io *, uint64_t,
	    uint64_t, uint8_t *, size_t *);

/* Verification: pure functions for offline verifiers. */

/*
 * Computes the root that an inclusion proof of leaf hash leaf at index
 * in a tree of size leaves leads to (RFC 9162 2.1.3.2).
 * @return 0 with root set; MERKLE_ERANGE (index >= size);
 *	MERKLE_EPROOFLEN (too few or too many hashes for index and size).
 */
int	 merkle_root_from_inclusion(const uint8_t *, uint64_t, uint64_t,
	    const uint8_t *, size_t, uint8_t *);

/*
 * Checks that leaf hash leaf is at index in the tree of size leaves
 * whose root is root.
 * @return 0; MERKLE_ERANGE; MERKLE_EPROOFLEN; MERKLE_EPROOF (the proof
 *	leads to another root).
 */
int	 merkle_verify_inclusion(const uint8_t *, uint64_t, uint64_t,
	    const uint8_t *, size_t, const uint8_t *);

/*
 * Checks that the tree of old leaves with root old_root is a prefix of
 * the tree of size leaves with root root (RFC 9162 2.1.4.2). old == size
 * needs an empty proof and equal roots.
 * @return 0; MERKLE_ERANGE (old 0 or old > size); MERKLE_EPROOFLEN;
 *	MERKLE_EPROOF.
 */
int	 merkle_verify_consistency(uint64_t, uint64_t, const uint8_t *,
	    const uint8_t *, const uint8_t *, size_t);

/* Streaming rebuild. */

/* Empties a compact range. */
void	 merkle_compact_init(struct merkle_compact *);

/*
 * Appends one leaf hash. @return 0; MERKLE_ERANGE at MERKLE_SIZE_MAX.
 */
int	 merkle_compact_push(struct merkle_compact *, const uint8_t *);

/* The root of the mc_size leaves pushed so far. */
void	 merkle_compact_root(const struct merkle_compact *, uint8_t *);

/* In-memory tiles (tests, benchmarks, offline tools). */

/* A new, empty tile set. @return 0 or ENOMEM. Free with merkle_mem_free. */
int	 merkle_mem_new(struct merkle_mem **);

/* Frees the tile set; NULL is allowed. */
void	 merkle_mem_free(struct merkle_mem *);

/* Fills io with callbacks on m; valid until merkle_mem_free(m). */
void	 merkle_mem_io(struct merkle_mem *, struct merkle_io *);

/*
 * The stored tile (level, index): a view of its *count hashes, valid
 * until the next write to m, or NULL when absent. For tests and dumps.
 */
const uint8_t *merkle_mem_tile(const struct merkle_mem *, int, uint64_t,
	    size_t *);

/* "CODE_NAME: explanation" for a MERKLE_E* code, else strerror(). */
const char *merkle_strerror(int);

#endif /* ALGAUDIT_MERKLE_H */
