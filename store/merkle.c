/* SPDX-License-Identifier: ISC */
/*
 * merkle.c: the RFC 6962 / RFC 9162 Merkle tree on 256-wide tiles.
 *
 * Appends, roots, proofs and proof verification for the audit log's
 * tree. Tiles are read and written only through the caller's struct
 * merkle_io (the store's LMDB callbacks, or the in-memory tile set at
 * the end of this file), so this file never touches LMDB, never does
 * I/O of its own and keeps no state between calls.
 *
 * How a node is found: the node at tree level k and index i covers
 * leaves [i * 2^k, (i + 1) * 2^k). With k = 8L + r it is the root of
 * the 2^r consecutive level-8L hashes starting at i * 2^r, which all sit
 * in one level-L tile; we read that tile once and hash them pairwise
 * (at most 127 node hashes). Any range [lo, hi) of an RFC 6962 tree is
 * a right fold over the perfect subtrees given by the bits of hi - lo.
 *
 * SHA-256 goes through OpenSSL's low-level SHA256_* functions, not EVP:
 * they run the same hardware-accelerated code, but an EVP digest costs
 * about 70 ns more per call in OpenSSL 3.0 (context set-up on every
 * init), which would double the cost of a node hash. They are
 * deprecated in 3.0, not removed; OPENSSL_SUPPRESS_DEPRECATED says that
 * we use them knowingly.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "merkle.h"

/* Tiles read during one call, one cached tile per tile level. */
struct merkle_rd {
	const struct merkle_io	*rd_io;
	struct merkle_rdtile {
		int		 valid;
		uint64_t	 index;
		size_t		 count;
		uint8_t		*hashes;	/* MERKLE_TILE_BYTES */
	}			 rd_tiles[MERKLE_TILE_LEVELS];
};

/* The in-memory tile set: per level, a growable array of tiles. */
struct merkle_mem_tile {
	size_t	 count;
	uint8_t	 hashes[MERKLE_TILE_BYTES];
};

struct merkle_mem {
	struct merkle_mem_tile	**mm_tiles[MERKLE_TILE_LEVELS];
	uint64_t		  mm_len[MERKLE_TILE_LEVELS];
	uint64_t		  mm_cap[MERKLE_TILE_LEVELS];
};

/*
 * out = SHA-256(data). Not OpenSSL's SHA256(): in 3.0 that one-shot
 * fetches the algorithm on every call, four times the cost of a hash.
 */
static void
merkle_sha256(const void *data, size_t len, uint8_t *out)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

/* out = SHA-256(0x00 || data). */
void
merkle_hash_leaf(const void *data, size_t len, uint8_t *out)
{
	static const uint8_t zero = 0x00;
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, &zero, 1);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

/* out = SHA-256(0x01 || left || right); out may alias left or right. */
void
merkle_hash_node(const uint8_t *left, const uint8_t *right, uint8_t *out)
{
	uint8_t buf[1 + 2 * MERKLE_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	merkle_sha256(buf, sizeof(buf), out);
}

/* out = SHA-256(""). */
void
merkle_hash_empty(uint8_t *out)
{
	merkle_sha256((const uint8_t *)"", 0, out);
}

/* u8 level || u64 BE index. */
void
merkle_tile_key(int level, uint64_t index, uint8_t *key)
{
	int i;

	key[0] = (uint8_t)level;
	for (i = 8; i >= 1; i--) {
		key[i] = (uint8_t)index;
		index >>= 8;
	}
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t
merkle_split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* Hashes n (a power of two) consecutive hashes in place to their root. */
static void
merkle_reduce(uint8_t *h, size_t n)
{
	size_t i;

	for (; n > 1; n /= 2)
		for (i = 0; i < n / 2; i++)
			merkle_hash_node(h + 2 * i * MERKLE_HASH_LEN,
			    h + (2 * i + 1) * MERKLE_HASH_LEN,
			    h + i * MERKLE_HASH_LEN);
}

/* Releases the tiles cached by a reader. */
static void
merkle_rd_free(struct merkle_rd *rd)
{
	int l;

	for (l = 0; l < MERKLE_TILE_LEVELS; l++)
		free(rd->rd_tiles[l].hashes);
}

/*
 * Makes tile (level, index) current in the reader's cache and returns
 * it, with at least need hashes; else MERKLE_ECORRUPT.
 */
static int
merkle_rd_tile(struct merkle_rd *rd, int level, uint64_t index, size_t need,
    struct merkle_rdtile **tp)
{
	struct merkle_rdtile *t = &rd->rd_tiles[level];
	int rc;

	if (!t->valid || t->index != index) {
		if (t->hashes == NULL &&
		    (t->hashes = malloc(MERKLE_TILE_BYTES)) == NULL)
			return ENOMEM;
		t->valid = 0;
		t->count = 0;
		rc = rd->rd_io->mi_get(rd->rd_io->mi_arg, level, index,
		    t->hashes, &t->count);
		if (rc != 0)
			return rc;
		if (t->count > MERKLE_TILE_WIDTH)
			return MERKLE_ECORRUPT;
		t->valid = 1;
		t->index = index;
	}
	if (t->count < need)
		return MERKLE_ECORRUPT;
	*tp = t;
	return 0;
}

/*
 * The hash of the perfect subtree at tree level k, index i, from the
 * one tile that holds its level-8(k/8) descendants.
 */
static int
merkle_rd_node(struct merkle_rd *rd, int k, uint64_t i, uint8_t *out)
{
	uint8_t buf[MERKLE_TILE_BYTES / 2];
	struct merkle_rdtile *t;
	uint64_t first;
	size_t off, n;
	int level, r, rc;

	level = k / MERKLE_TILE_HEIGHT;
	r = k % MERKLE_TILE_HEIGHT;
	if (level >= MERKLE_TILE_LEVELS)
		return MERKLE_ERANGE;
	first = i << r;
	off = first % MERKLE_TILE_WIDTH;
	n = (size_t)1 << r;
	if ((rc = merkle_rd_tile(rd, level, first / MERKLE_TILE_WIDTH,
	    off + n, &t)) != 0)
		return rc;
	if (n == 1) {
		memcpy(out, t->hashes + off * MERKLE_HASH_LEN,
		    MERKLE_HASH_LEN);
		return 0;
	}
	memcpy(buf, t->hashes + off * MERKLE_HASH_LEN, n * MERKLE_HASH_LEN);
	merkle_reduce(buf, n);
	memcpy(out, buf, MERKLE_HASH_LEN);
	return 0;
}

/*
 * The RFC 6962 hash of leaves [lo, hi), hi > lo, where lo is a multiple
 * of the largest power of two not above hi - lo (every range an RFC 6962
 * tree or proof uses is one): the right fold of its perfect subtrees.
 */
static int
merkle_rd_range(struct merkle_rd *rd, uint64_t lo, uint64_t hi, uint8_t *out)
{
	uint8_t sub[64][MERKLE_HASH_LEN];
	uint64_t s = hi - lo;
	int k, n = 0, rc;

	for (k = 63; k >= 0; k--) {
		if ((s >> k & 1) == 0)
			continue;
		if ((rc = merkle_rd_node(rd, k, lo >> k, sub[n])) != 0)
			return rc;
		lo += (uint64_t)1 << k;
		n++;
	}
	memcpy(out, sub[n - 1], MERKLE_HASH_LEN);
	while (--n > 0)
		merkle_hash_node(sub[n - 1], out, out);
	return 0;
}

/*
 * Checks that the tiles of a level hold what the tree size says before
 * an append starts at offset off of tile t: a partial tile holds
 * exactly off hashes (it is left in tile); at a tile boundary, the
 * previous tile is full and tile t does not exist yet. The extra reads
 * happen at tile boundaries only.
 */
static int
merkle_append_check(const struct merkle_io *io, int level, uint64_t t,
    size_t off, uint8_t *tile)
{
	size_t have = 0;
	int rc;

	if ((rc = io->mi_get(io->mi_arg, level, t, tile, &have)) != 0)
		return rc;
	if (have != off)
		return MERKLE_ECORRUPT;
	if (off != 0 || t == 0)
		return 0;
	if ((rc = io->mi_get(io->mi_arg, level, t - 1, tile, &have)) != 0)
		return rc;
	if (have != MERKLE_TILE_WIDTH)
		return MERKLE_ECORRUPT;
	return 0;
}

/* Appends count leaf hashes to a tree of size leaves. */
int
merkle_append(const struct merkle_io *io, uint64_t size,
    const uint8_t *leaves, size_t count)
{
	uint8_t tile[MERKLE_TILE_BYTES];
	const uint8_t *cur = leaves;
	uint8_t *next = NULL;
	uint64_t pos, t;
	size_t ncur = count, nnext, i, off, take;
	int level, rc = 0;

	if (io->mi_put == NULL)
		return EINVAL;
	if (count == 0)
		return 0;
	if (size > MERKLE_SIZE_MAX || count > MERKLE_SIZE_MAX - size)
		return MERKLE_ERANGE;
	/* Each level produces one hash per tile it completes. */
	if ((next = malloc((count / MERKLE_TILE_WIDTH + 1) *
	    MERKLE_HASH_LEN)) == NULL)
		return ENOMEM;
	for (level = 0; ncur > 0; level++) {
		/* Hashes level 8 * level already holds. */
		pos = size >> (MERKLE_TILE_HEIGHT * level);
		nnext = 0;
		for (i = 0; i < ncur; i += take) {
			t = (pos + i) / MERKLE_TILE_WIDTH;
			off = (pos + i) % MERKLE_TILE_WIDTH;
			if (i == 0 && (rc = merkle_append_check(io, level, t,
			    off, tile)) != 0)
				goto done;
			take = MERKLE_TILE_WIDTH - off;
			if (take > ncur - i)
				take = ncur - i;
			memcpy(tile + off * MERKLE_HASH_LEN,
			    cur + i * MERKLE_HASH_LEN, take * MERKLE_HASH_LEN);
			if ((rc = io->mi_put(io->mi_arg, level, t, tile,
			    off + take)) != 0)
				goto done;
			if (off + take == MERKLE_TILE_WIDTH) {
				/* next may be cur: nnext stays below i. */
				merkle_reduce(tile, MERKLE_TILE_WIDTH);
				memcpy(next + nnext * MERKLE_HASH_LEN, tile,
				    MERKLE_HASH_LEN);
				nnext++;
			}
		}
		cur = next;
		ncur = nnext;
	}
done:
	free(next);
	return rc;
}

/* The root of the tree's first size leaves. */
int
merkle_root(const struct merkle_io *io, uint64_t size, uint8_t *root)
{
	struct merkle_rd rd;
	int rc;

	if (size > MERKLE_SIZE_MAX)
		return MERKLE_ERANGE;
	if (size == 0) {
		merkle_hash_empty(root);
		return 0;
	}
	memset(&rd, 0, sizeof(rd));
	rd.rd_io = io;
	rc = merkle_rd_range(&rd, 0, size, root);
	merkle_rd_free(&rd);
	return rc;
}

/* Copies stored leaf hash index to out. */
int
merkle_leaf(const struct merkle_io *io, uint64_t index, uint8_t *out)
{
	struct merkle_rd rd;
	int rc;

	if (index >= MERKLE_SIZE_MAX)
		return MERKLE_ERANGE;
	memset(&rd, 0, sizeof(rd));
	rd.rd_io = io;
	rc = merkle_rd_node(&rd, 0, index, out);
	merkle_rd_free(&rd);
	return rc;
}

/* The hash of the node over leaves [lo, hi). */
int
merkle_range_hash(const struct merkle_io *io, uint64_t lo, uint64_t hi,
    uint8_t *out)
{
	struct merkle_rd rd;
	uint64_t top;
	int rc;

	if (hi <= lo || hi > MERKLE_SIZE_MAX)
		return MERKLE_ERANGE;
	for (top = 1; top <= (hi - lo) / 2; top <<= 1)
		;
	if (lo % top != 0)
		return MERKLE_ERANGE;
	memset(&rd, 0, sizeof(rd));
	rd.rd_io = io;
	rc = merkle_rd_range(&rd, lo, hi, out);
	merkle_rd_free(&rd);
	return rc;
}

/*
 * Reverses the n hashes of a proof built root-first into RFC order
 * (nearest the leaf first).
 */
static void
merkle_proof_reverse(uint8_t *proof, size_t n)
{
	uint8_t tmp[MERKLE_HASH_LEN];
	size_t i;

	for (i = 0; i < n / 2; i++) {
		memcpy(tmp, proof + i * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
		memcpy(proof + i * MERKLE_HASH_LEN,
		    proof + (n - 1 - i) * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
		memcpy(proof + (n - 1 - i) * MERKLE_HASH_LEN, tmp,
		    MERKLE_HASH_LEN);
	}
}

/* The inclusion proof (RFC 9162 PATH) of leaf index in a tree of size. */
int
merkle_prove_inclusion(const struct merkle_io *io, uint64_t index,
    uint64_t size, uint8_t *proof, size_t *np)
{
	struct merkle_rd rd;
	uint64_t lo = 0, hi = size, k;
	size_t n = 0;
	int rc = 0;

	*np = 0;
	if (size > MERKLE_SIZE_MAX || index >= size)
		return MERKLE_ERANGE;
	memset(&rd, 0, sizeof(rd));
	rd.rd_io = io;
	/* Walk down from the root, noting each sibling. */
	while (hi - lo > 1) {
		k = merkle_split(hi - lo);
		if (index < lo + k) {
			rc = merkle_rd_range(&rd, lo + k, hi,
			    proof + n * MERKLE_HASH_LEN);
			hi = lo + k;
		} else {
			rc = merkle_rd_range(&rd, lo, lo + k,
			    proof + n * MERKLE_HASH_LEN);
			lo += k;
		}
		if (rc != 0)
			goto done;
		n++;
	}
	merkle_proof_reverse(proof, n);
	*np = n;
done:
	merkle_rd_free(&rd);
	return rc;
}

/* The consistency proof (RFC 9162 PROOF) from old leaves to size. */
int
merkle_prove_consistency(const struct merkle_io *io, uint64_t old,
    uint64_t size, uint8_t *proof, size_t *np)
{
	struct merkle_rd rd;
	uint64_t lo = 0, hi = size, k;
	size_t n = 0;
	int whole = 1, rc = 0;

	*np = 0;
	if (size > MERKLE_SIZE_MAX || old == 0 || old > size)
		return MERKLE_ERANGE;
	memset(&rd, 0, sizeof(rd));
	rd.rd_io = io;
	/*
	 * SUBPROOF(m, D[lo:hi], b) unrolled: whole is b, "the old tree is
	 * this whole subtree, whose root the verifier already has".
	 */
	for (;;) {
		if (old == hi) {
			if (!whole) {
				rc = merkle_rd_range(&rd, lo, hi,
				    proof + n * MERKLE_HASH_LEN);
				n++;
			}
			break;
		}
		k = merkle_split(hi - lo);
		if (old - lo <= k) {
			rc = merkle_rd_range(&rd, lo + k, hi,
			    proof + n * MERKLE_HASH_LEN);
			hi = lo + k;
		} else {
			rc = merkle_rd_range(&rd, lo, lo + k,
			    proof + n * MERKLE_HASH_LEN);
			lo += k;
			whole = 0;
		}
		if (rc != 0)
			goto done;
		n++;
	}
	if (rc != 0)
		goto done;
	merkle_proof_reverse(proof, n);
	*np = n;
done:
	merkle_rd_free(&rd);
	return rc;
}

/* The root an inclusion proof leads to (RFC 9162 2.1.3.2). */
int
merkle_root_from_inclusion(const uint8_t *leaf, uint64_t index,
    uint64_t size, const uint8_t *proof, size_t n, uint8_t *root)
{
	uint8_t r[MERKLE_HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	if (size > MERKLE_SIZE_MAX || index >= size)
		return MERKLE_ERANGE;
	if (n > MERKLE_PROOF_MAX)
		return MERKLE_EPROOFLEN;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return MERKLE_EPROOFLEN;
		if ((fn & 1) != 0 || fn == sn) {
			merkle_hash_node(proof + i * MERKLE_HASH_LEN, r, r);
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			merkle_hash_node(r, proof + i * MERKLE_HASH_LEN, r);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return MERKLE_EPROOFLEN;
	memcpy(root, r, MERKLE_HASH_LEN);
	return 0;
}

/* Checks an inclusion proof against a root. */
int
merkle_verify_inclusion(const uint8_t *leaf, uint64_t index, uint64_t size,
    const uint8_t *proof, size_t n, const uint8_t *root)
{
	uint8_t r[MERKLE_HASH_LEN];
	int rc;

	if ((rc = merkle_root_from_inclusion(leaf, index, size, proof, n,
	    r)) != 0)
		return rc;
	if (memcmp(r, root, MERKLE_HASH_LEN) != 0)
		return MERKLE_EPROOF;
	return 0;
}

/* Checks a consistency proof (RFC 9162 2.1.4.2). */
int
merkle_verify_consistency(uint64_t old, uint64_t size,
    const uint8_t *old_root, const uint8_t *root, const uint8_t *proof,
    size_t n)
{
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	const uint8_t *c;
	uint64_t fn, sn;
	size_t i;

	if (size > MERKLE_SIZE_MAX || old == 0 || old > size)
		return MERKLE_ERANGE;
	if (old == size) {
		if (n != 0)
			return MERKLE_EPROOFLEN;
		if (memcmp(old_root, root, MERKLE_HASH_LEN) != 0)
			return MERKLE_EPROOF;
		return 0;
	}
	if (n == 0 || n > MERKLE_PROOF_MAX)
		return MERKLE_EPROOFLEN;
	fn = old - 1;
	sn = size - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	/* An old tree that is a perfect subtree starts from its root. */
	i = 0;
	if ((old & (old - 1)) == 0)
		c = old_root;
	else
		c = proof + i++ * MERKLE_HASH_LEN;
	memcpy(fr, c, MERKLE_HASH_LEN);
	memcpy(sr, c, MERKLE_HASH_LEN);
	for (; i < n; i++) {
		c = proof + i * MERKLE_HASH_LEN;
		if (sn == 0)
			return MERKLE_EPROOFLEN;
		if ((fn & 1) != 0 || fn == sn) {
			merkle_hash_node(c, fr, fr);
			merkle_hash_node(c, sr, sr);
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			merkle_hash_node(sr, c, sr);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return MERKLE_EPROOFLEN;
	if (memcmp(fr, old_root, MERKLE_HASH_LEN) != 0 ||
	    memcmp(sr, root, MERKLE_HASH_LEN) != 0)
		return MERKLE_EPROOF;
	return 0;
}

/* Empties a compact range. */
void
merkle_compact_init(struct merkle_compact *mc)
{
	memset(mc, 0, sizeof(*mc));
}

/* Appends one leaf hash to a compact range, merging equal subtrees. */
int
merkle_compact_push(struct merkle_compact *mc, const uint8_t *leaf)
{
	uint8_t h[MERKLE_HASH_LEN];
	int k;

	if (mc->mc_size >= MERKLE_SIZE_MAX)
		return MERKLE_ERANGE;
	memcpy(h, leaf, MERKLE_HASH_LEN);
	for (k = 0; (mc->mc_size >> k & 1) != 0; k++)
		merkle_hash_node(mc->mc_hashes[k], h, h);
	memcpy(mc->mc_hashes[k], h, MERKLE_HASH_LEN);
	mc->mc_size++;
	return 0;
}

/* The root of the leaves pushed so far: fold the subtrees right to left. */
void
merkle_compact_root(const struct merkle_compact *mc, uint8_t *root)
{
	int k, have = 0;

	for (k = 0; k < 64; k++) {
		if ((mc->mc_size >> k & 1) == 0)
			continue;
		if (!have)
			memcpy(root, mc->mc_hashes[k], MERKLE_HASH_LEN);
		else
			merkle_hash_node(mc->mc_hashes[k], root, root);
		have = 1;
	}
	if (!have)
		merkle_hash_empty(root);
}

/* mi_get of the in-memory tile set. */
static int
merkle_mem_get(void *arg, int level, uint64_t index, uint8_t *hashes,
    size_t *count)
{
	struct merkle_mem *m = arg;
	struct merkle_mem_tile *t;

	*count = 0;
	if (level < 0 || level >= MERKLE_TILE_LEVELS)
		return MERKLE_ERANGE;
	if (index >= m->mm_len[level] ||
	    (t = m->mm_tiles[level][index]) == NULL)
		return 0;
	memcpy(hashes, t->hashes, t->count * MERKLE_HASH_LEN);
	*count = t->count;
	return 0;
}

/* mi_put of the in-memory tile set. */
static int
merkle_mem_put(void *arg, int level, uint64_t index, const uint8_t *hashes,
    size_t count)
{
	struct merkle_mem *m = arg;
	struct merkle_mem_tile **v, *t;
	uint64_t cap;

	if (level < 0 || level >= MERKLE_TILE_LEVELS || count == 0 ||
	    count > MERKLE_TILE_WIDTH)
		return MERKLE_ERANGE;
	if (index >= m->mm_cap[level]) {
		cap = m->mm_cap[level] ? m->mm_cap[level] : 16;
		while (cap <= index)
			cap *= 2;
		if (cap > SIZE_MAX / sizeof(*v))
			return ENOMEM;
		if ((v = realloc(m->mm_tiles[level], cap * sizeof(*v))) ==
		    NULL)
			return ENOMEM;
		memset(v + m->mm_cap[level], 0,
		    (cap - m->mm_cap[level]) * sizeof(*v));
		m->mm_tiles[level] = v;
		m->mm_cap[level] = cap;
	}
	if ((t = m->mm_tiles[level][index]) == NULL) {
		if ((t = malloc(sizeof(*t))) == NULL)
			return ENOMEM;
		m->mm_tiles[level][index] = t;
	}
	memcpy(t->hashes, hashes, count * MERKLE_HASH_LEN);
	t->count = count;
	if (index >= m->mm_len[level])
		m->mm_len[level] = index + 1;
	return 0;
}

/* A new, empty in-memory tile set. */
int
merkle_mem_new(struct merkle_mem **mp)
{
	if ((*mp = calloc(1, sizeof(**mp))) == NULL)
		return ENOMEM;
	return 0;
}

/* Frees an in-memory tile set and its tiles. */
void
merkle_mem_free(struct merkle_mem *m)
{
	uint64_t i;
	int l;

	if (m == NULL)
		return;
	for (l = 0; l < MERKLE_TILE_LEVELS; l++) {
		for (i = 0; i < m->mm_len[l]; i++)
			free(m->mm_tiles[l][i]);
		free(m->mm_tiles[l]);
	}
	free(m);
}

/* Points io at the in-memory tile set m. */
void
merkle_mem_io(struct merkle_mem *m, struct merkle_io *io)
{
	io->mi_get = merkle_mem_get;
	io->mi_put = merkle_mem_put;
	io->mi_arg = m;
}

/* A view of stored tile (level, index), or NULL. */
const uint8_t *
merkle_mem_tile(const struct merkle_mem *m, int level, uint64_t index,
    size_t *count)
{
	const struct merkle_mem_tile *t;

	*count = 0;
	if (level < 0 || level >= MERKLE_TILE_LEVELS ||
	    index >= m->mm_len[level] ||
	    (t = m->mm_tiles[level][index]) == NULL)
		return NULL;
	*count = t->count;
	return t->hashes;
}

/* Explains a MERKLE_E* code, or any errno. */
const char *
merkle_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case MERKLE_ERANGE:
		return "MERKLE_ERANGE: leaf index or tree size out of range";
	case MERKLE_ECORRUPT:
		return "MERKLE_ECORRUPT: a Merkle tile does not hold the "
		    "hashes the tree size requires";
	case MERKLE_EPROOFLEN:
		return "MERKLE_EPROOFLEN: the proof has the wrong number of "
		    "hashes for this index and tree size";
	case MERKLE_EPROOF:
		return "MERKLE_EPROOF: the proof does not lead to the "
		    "expected root hash";
	default:
		if (err > 0)
			return strerror(err);
		return "unknown Merkle error";
	}
}
