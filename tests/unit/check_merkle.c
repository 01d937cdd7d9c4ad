/* SPDX-License-Identifier: ISC */
/*
 * check_merkle.c: unit tests of store/merkle.c.
 *
 * Known answers: the RFC 6962 test leaves used by certificate
 * transparency and transparency-dev/merkle (roots of sizes 0 to 8,
 * node hashes, inclusion and consistency proofs). Properties: the
 * tile-based roots and proofs equal those of a naive recursive
 * implementation of RFC 9162 section 2.1 for every size 1 to 1100
 * (crossing tile boundaries) and random sizes up to 70000 (a second
 * tile level), whatever the batch sizes of the appends; every proof
 * verifies, and verification rejects any changed hash, index or size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "merkle.h"

#define H	MERKLE_HASH_LEN

/* The eight RFC 6962 test leaves, as hex. */
static const char *const kat_leaves[] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f"
};

/* Root hashes of the trees of sizes 0 to 8 over those leaves. */
static const char *const kat_roots[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* Node hashes at tree level 0 (the leaf hashes), 1 and 2. */
#define N0_0 "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
#define N0_1 "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
#define N0_2 "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"
#define N0_3 "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"
#define N0_4 "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
#define N0_5 "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"
#define N0_6 "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"
#define N0_7 "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"
#define N1_0 "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
#define N1_1 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
#define N1_2 "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
#define N1_3 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
#define N2_0 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
#define N2_1 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"

static const char *const kat_nodes0[] = {
	N0_0, N0_1, N0_2, N0_3, N0_4, N0_5, N0_6, N0_7
};

/* A proof known answer: up to 4 hashes, NULL-terminated. */
struct kat_proof {
	uint64_t	 a;	/* leaf index, or old size */
	uint64_t	 size;
	const char	*proof[5];
};

/*
 * Inclusion proofs (index, size): the transparency-dev/merkle reference
 * vectors, plus the last index of sizes that are not powers of two.
 */
static const struct kat_proof kat_inclusion[] = {
	{ 0, 1, { NULL } },
	{ 0, 2, { N0_1, NULL } },
	{ 1, 2, { N0_0, NULL } },
	{ 2, 3, { N1_0, NULL } },
	{ 1, 5, { N0_0, N1_1, N0_4, NULL } },
	{ 0, 8, { N0_1, N1_1, N2_1, NULL } },
	{ 5, 8, { N0_4, N1_3, N2_0, NULL } },
	{ 7, 8, { N0_6, N1_2, N2_0, NULL } },
	{ 4, 5, { N2_0, NULL } },
	{ 6, 7, { N1_2, N2_0, NULL } },
	/* The third hash is MTH(D[4:7]) = H(0x01 || N1_2 || N0_6). */
	{ 3, 7, { N0_2, N1_0, "837dbb152e9b079010717e84e865da4ebc0fa198a806"
	    "d59d31bf15accef22d0e", NULL } },
};

/* Consistency proofs (old size, size). */
static const struct kat_proof kat_consistency[] = {
	{ 1, 1, { NULL } },
	{ 1, 8, { N0_1, N1_1, N2_1, NULL } },
	{ 2, 5, { N1_1, N0_4, NULL } },
	{ 6, 8, { N1_2, N1_3, N2_0, NULL } },
	{ 4, 8, { N2_1, NULL } },
	{ 7, 8, { N0_6, N0_7, N1_2, N2_0 } },
};

/* Decodes hex into out; returns the byte count. */
static size_t
hex_decode(const char *hex, uint8_t *out)
{
	size_t i, n = strlen(hex) / 2;
	unsigned int b;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

/* Formats n bytes as hex into a static buffer (one at a time). */
static const char *
hex(const uint8_t *b, size_t n)
{
	static char buf[2 * 256 + 1];
	size_t i;

	for (i = 0; i < n && i < 256; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	buf[2 * i] = '\0';
	return buf;
}

/* Checks that 32 bytes equal a hash given in hex. */
static void
assert_hash(const uint8_t *got, const char *want)
{
	uint8_t w[H];

	hex_decode(want, w);
	ck_assert_msg(memcmp(got, w, H) == 0, "hash %s, want %s",
	    hex(got, H), want);
}

/* The leaf hashes of the eight test leaves. */
static void
kat_leaf_hashes(uint8_t (*lh)[H])
{
	uint8_t data[64];
	size_t i, n;

	for (i = 0; i < 8; i++) {
		n = hex_decode(kat_leaves[i], data);
		merkle_hash_leaf(data, n, lh[i]);
	}
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* The next pseudo-random number. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* n synthetic leaf hashes: leaf i is the hash of its 8-byte index. */
static uint8_t (*synth_leaves(size_t n))[H]
{
	uint8_t (*lh)[H], b[8];
	size_t i;
	int k;

	lh = malloc(n * H + 1);
	ck_assert_ptr_nonnull(lh);
	for (i = 0; i < n; i++) {
		for (k = 0; k < 8; k++)
			b[k] = (uint8_t)((uint64_t)i >> (56 - 8 * k));
		merkle_hash_leaf(b, sizeof(b), lh[i]);
	}
	return lh;
}

/*
 * The reference: perfect subtree hashes computed bottom-up from the
 * leaves (perfect[k][j] covers leaves [j * 2^k, (j + 1) * 2^k)), and the
 * recursive definitions of RFC 9162 section 2.1 on top of them.
 */
static uint8_t (*perfect[12])[H];

/* Builds the perfect subtree table over n leaf hashes (n < 4096). */
static void
perfect_build(uint8_t (*lh)[H], size_t n)
{
	size_t k, j;

	perfect[0] = lh;
	for (k = 1; k < 12; k++) {
		perfect[k] = malloc((n >> k) * H + 1);
		ck_assert_ptr_nonnull(perfect[k]);
		for (j = 0; j < n >> k; j++)
			merkle_hash_node(perfect[k - 1][2 * j],
			    perfect[k - 1][2 * j + 1], perfect[k][j]);
	}
}

/* Frees the table. */
static void
perfect_free(void)
{
	size_t k;

	for (k = 1; k < 12; k++) {
		free(perfect[k]);
		perfect[k] = NULL;
	}
}

/* Naive RFC 9162 MTH over leaf hashes [lo, hi). */
static void
naive_root(uint8_t (*lh)[H], uint64_t lo, uint64_t hi, uint8_t *out)
{
	uint8_t l[H], r[H];
	uint64_t k = 1;
	int lv = 0;

	if (hi == lo) {
		merkle_hash_empty(out);
		return;
	}
	if (hi - lo == 1) {
		memcpy(out, lh[lo], H);
		return;
	}
	while (((uint64_t)1 << lv) < hi - lo)
		lv++;
	if (((uint64_t)1 << lv) == hi - lo && lo % (hi - lo) == 0 &&
	    lv < 12 && perfect[lv] != NULL) {
		memcpy(out, perfect[lv][lo >> lv], H);
		return;
	}
	while (k << 1 < hi - lo)
		k <<= 1;
	naive_root(lh, lo, lo + k, l);
	naive_root(lh, lo + k, hi, r);
	merkle_hash_node(l, r, out);
}

/* Naive RFC 9162 PATH(m, D[lo:hi]); appends to proof, counting in *n. */
static void
naive_path(uint8_t (*lh)[H], uint64_t m, uint64_t lo, uint64_t hi,
    uint8_t *proof, size_t *n)
{
	uint64_t k = 1;

	if (hi - lo <= 1)
		return;
	while (k << 1 < hi - lo)
		k <<= 1;
	if (m < k) {
		naive_path(lh, m, lo, lo + k, proof, n);
		naive_root(lh, lo + k, hi, proof + *n * H);
	} else {
		naive_path(lh, m - k, lo + k, hi, proof, n);
		naive_root(lh, lo, lo + k, proof + *n * H);
	}
	(*n)++;
}

/* Naive RFC 9162 SUBPROOF(m, D[lo:hi], b). */
static void
naive_subproof(uint8_t (*lh)[H], uint64_t m, uint64_t lo, uint64_t hi,
    int b, uint8_t *proof, size_t *n)
{
	uint64_t k = 1;

	if (m == hi - lo) {
		if (!b) {
			naive_root(lh, lo, hi, proof + *n * H);
			(*n)++;
		}
		return;
	}
	while (k << 1 < hi - lo)
		k <<= 1;
	if (m <= k) {
		naive_subproof(lh, m, lo, lo + k, b, proof, n);
		naive_root(lh, lo + k, hi, proof + *n * H);
	} else {
		naive_subproof(lh, m - k, lo + k, hi, 0, proof, n);
		naive_root(lh, lo, lo + k, proof + *n * H);
	}
	(*n)++;
}

/* A fresh in-memory tile set and its io. */
static struct merkle_mem *
mem_new(struct merkle_io *io)
{
	struct merkle_mem *m;

	ck_assert_int_eq(merkle_mem_new(&m), 0);
	merkle_mem_io(m, io);
	return m;
}

/* Appends n leaves to io in random batch sizes up to maxb. */
static void
append_random(const struct merkle_io *io, uint8_t (*lh)[H], uint64_t n,
    uint64_t maxb)
{
	uint64_t done = 0, b;

	while (done < n) {
		b = 1 + rng() % maxb;
		if (b > n - done)
			b = n - done;
		ck_assert_int_eq(merkle_append(io, done, lh[done], b), 0);
		done += b;
	}
}

/* Checks proof hashes against a list of hex strings. */
static void
assert_proof(const uint8_t *proof, size_t n, const char *const *want)
{
	size_t i;

	for (i = 0; want[i] != NULL && i < 5; i++) {
		ck_assert_uint_lt(i, n);
		assert_hash(proof + i * H, want[i]);
	}
	ck_assert_uint_eq(n, i);
}

START_TEST(test_hash_kat)
{
	uint8_t lh[8][H], h[H];
	size_t i;

	kat_leaf_hashes(lh);
	for (i = 0; i < 8; i++)
		assert_hash(lh[i], kat_nodes0[i]);
	merkle_hash_node(lh[0], lh[1], h);
	assert_hash(h, N1_0);
	merkle_hash_empty(h);
	assert_hash(h, kat_roots[0]);
	/* The output may alias an input. */
	memcpy(h, lh[2], H);
	merkle_hash_node(h, lh[3], h);
	assert_hash(h, N1_1);
}
END_TEST

START_TEST(test_root_kat)
{
	struct merkle_io io, io1;
	struct merkle_mem *m, *m1;
	struct merkle_compact mc;
	uint8_t lh[8][H], root[H];
	uint64_t n;

	kat_leaf_hashes(lh);
	m = mem_new(&io);
	m1 = mem_new(&io1);
	merkle_compact_init(&mc);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 8), 0);
	merkle_compact_root(&mc, root);
	assert_hash(root, kat_roots[0]);
	for (n = 0; n <= 8; n++) {
		ck_assert_int_eq(merkle_root(&io, n, root), 0);
		assert_hash(root, kat_roots[n]);
		if (n == 8)
			break;
		/* One leaf at a time gives the same tiles. */
		ck_assert_int_eq(merkle_append(&io1, n, lh[n], 1), 0);
		ck_assert_int_eq(merkle_root(&io1, n + 1, root), 0);
		assert_hash(root, kat_roots[n + 1]);
		ck_assert_int_eq(merkle_compact_push(&mc, lh[n]), 0);
		merkle_compact_root(&mc, root);
		assert_hash(root, kat_roots[n + 1]);
	}
	for (n = 0; n < 8; n++) {
		ck_assert_int_eq(merkle_leaf(&io, n, root), 0);
		assert_hash(root, kat_nodes0[n]);
	}
	merkle_mem_free(m);
	merkle_mem_free(m1);
}
END_TEST

START_TEST(test_inclusion_kat)
{
	struct merkle_io io;
	struct merkle_mem *m;
	uint8_t lh[8][H], proof[MERKLE_PROOF_MAX * H], root[H];
	const struct kat_proof *k;
	size_t i, n;

	kat_leaf_hashes(lh);
	m = mem_new(&io);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 8), 0);
	for (i = 0; i < sizeof(kat_inclusion) / sizeof(*k); i++) {
		k = &kat_inclusion[i];
		ck_assert_int_eq(merkle_prove_inclusion(&io, k->a, k->size,
		    proof, &n), 0);
		assert_proof(proof, n, k->proof);
		hex_decode(kat_roots[k->size], root);
		ck_assert_int_eq(merkle_verify_inclusion(lh[k->a], k->a,
		    k->size, proof, n, root), 0);
	}
	merkle_mem_free(m);
}
END_TEST

START_TEST(test_consistency_kat)
{
	struct merkle_io io;
	struct merkle_mem *m;
	uint8_t lh[8][H], proof[MERKLE_PROOF_MAX * H], r1[H], r2[H];
	const struct kat_proof *k;
	size_t i, n;

	kat_leaf_hashes(lh);
	m = mem_new(&io);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 8), 0);
	for (i = 0; i < sizeof(kat_consistency) / sizeof(*k); i++) {
		k = &kat_consistency[i];
		ck_assert_int_eq(merkle_prove_consistency(&io, k->a, k->size,
		    proof, &n), 0);
		assert_proof(proof, n, k->proof);
		hex_decode(kat_roots[k->a], r1);
		hex_decode(kat_roots[k->size], r2);
		ck_assert_int_eq(merkle_verify_consistency(k->a, k->size, r1,
		    r2, proof, n), 0);
	}
	merkle_mem_free(m);
}
END_TEST

/* Roots and proofs for every size 1..1100 equal the naive ones. */
START_TEST(test_property_small)
{
	struct merkle_io io, io2;
	struct merkle_mem *m, *m2;
	uint8_t (*lh)[H];
	uint8_t got[MERKLE_PROOF_MAX * H], want[MERKLE_PROOF_MAX * H];
	uint8_t root[H], nroot[H], old[H];
	uint64_t size, idx[6], olds[6];
	size_t ng, nw, j;
	const uint64_t max = 1100;

	lh = synth_leaves(max);
	perfect_build(lh, max);
	m = mem_new(&io);
	m2 = mem_new(&io2);
	append_random(&io, lh, max, 300);
	/* The same leaves in one batch give byte-identical tiles. */
	ck_assert_int_eq(merkle_append(&io2, 0, lh[0], max), 0);
	for (j = 0; j < 5; j++) {
		const uint8_t *a, *b;
		size_t ca, cb;

		a = merkle_mem_tile(m, 0, j, &ca);
		b = merkle_mem_tile(m2, 0, j, &cb);
		ck_assert_ptr_nonnull(a);
		ck_assert_uint_eq(ca, cb);
		ck_assert_uint_eq(ca, j < 4 ? 256 : max - 1024);
		ck_assert_mem_eq(a, b, ca * H);
	}
	for (size = 1; size <= max; size++) {
		ck_assert_int_eq(merkle_root(&io, size, root), 0);
		naive_root(lh, 0, size, nroot);
		ck_assert_mem_eq(root, nroot, H);
		idx[0] = 0;
		idx[1] = size - 1;
		idx[2] = size / 2;
		idx[3] = rng() % size;
		idx[4] = rng() % size;
		idx[5] = size > 256 ? 255 : 0;
		for (j = 0; j < 6; j++) {
			ck_assert_int_eq(merkle_prove_inclusion(&io, idx[j],
			    size, got, &ng), 0);
			nw = 0;
			naive_path(lh, idx[j], 0, size, want, &nw);
			ck_assert_uint_eq(ng, nw);
			ck_assert_mem_eq(got, want, ng * H);
			ck_assert_int_eq(merkle_verify_inclusion(lh[idx[j]],
			    idx[j], size, got, ng, root), 0);
		}
		olds[0] = 1;
		olds[1] = size;
		olds[2] = size > 1 ? size - 1 : 1;
		olds[3] = 1 + rng() % size;
		olds[4] = 1 + rng() % size;
		olds[5] = size >= 256 ? 256 : size;
		for (j = 0; j < 6; j++) {
			ck_assert_int_eq(merkle_prove_consistency(&io, olds[j],
			    size, got, &ng), 0);
			nw = 0;
			naive_subproof(lh, olds[j], 0, size, 1, want, &nw);
			ck_assert_uint_eq(ng, nw);
			ck_assert_mem_eq(got, want, ng * H);
			naive_root(lh, 0, olds[j], old);
			ck_assert_int_eq(merkle_verify_consistency(olds[j],
			    size, old, root, got, ng), 0);
		}
	}
	merkle_mem_free(m);
	merkle_mem_free(m2);
	perfect_free();
	free(lh);
}
END_TEST

/* Random sizes up to 70000: level-1 tiles fill, a level-2 tile starts. */
START_TEST(test_property_large)
{
	struct merkle_io io;
	struct merkle_mem *m;
	struct merkle_compact mc;
	uint8_t (*lh)[H], (*roots)[H];
	uint8_t proof[MERKLE_PROOF_MAX * H], root[H];
	uint64_t size, i, old;
	size_t n, cnt;
	int t;
	const uint64_t max = 70000;

	lh = synth_leaves(max);
	roots = malloc((max + 1) * H);
	ck_assert_ptr_nonnull(roots);
	merkle_compact_init(&mc);
	merkle_compact_root(&mc, roots[0]);
	for (i = 0; i < max; i++) {
		ck_assert_int_eq(merkle_compact_push(&mc, lh[i]), 0);
		merkle_compact_root(&mc, roots[i + 1]);
	}
	m = mem_new(&io);
	append_random(&io, lh, max, 5000);
	ck_assert_ptr_nonnull(merkle_mem_tile(m, 1, 0, &cnt));
	ck_assert_uint_eq(cnt, 256);
	ck_assert_ptr_nonnull(merkle_mem_tile(m, 2, 0, &cnt));
	ck_assert_uint_eq(cnt, 1);
	naive_root(lh, 0, max, root);
	ck_assert_mem_eq(root, roots[max], H);
	for (t = 0; t < 400; t++) {
		size = t == 0 ? max : 1 + rng() % max;
		if (t == 1)
			size = 65536;
		ck_assert_int_eq(merkle_root(&io, size, root), 0);
		ck_assert_mem_eq(root, roots[size], H);
		i = t % 3 == 0 ? size - 1 : rng() % size;
		ck_assert_int_eq(merkle_prove_inclusion(&io, i, size, proof,
		    &n), 0);
		ck_assert_int_eq(merkle_verify_inclusion(lh[i], i, size,
		    proof, n, roots[size]), 0);
		old = 1 + rng() % size;
		ck_assert_int_eq(merkle_prove_consistency(&io, old, size,
		    proof, &n), 0);
		ck_assert_int_eq(merkle_verify_consistency(old, size,
		    roots[old], roots[size], proof, n), 0);
	}
	merkle_mem_free(m);
	free(roots);
	free(lh);
}
END_TEST

/* Any changed hash, index or size makes verification fail. */
START_TEST(test_verify_rejects)
{
	struct merkle_io io;
	struct merkle_mem *m;
	uint8_t (*lh)[H];
	uint8_t proof[MERKLE_PROOF_MAX * H], root[H], oroot[H], bad[H];
	uint8_t other[H];
	uint64_t size, i, old;
	size_t n, j;
	int rc;

	lh = synth_leaves(600);
	m = mem_new(&io);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 600), 0);
	for (size = 2; size <= 600; size += 37) {
		ck_assert_int_eq(merkle_root(&io, size, root), 0);
		i = rng() % size;
		ck_assert_int_eq(merkle_prove_inclusion(&io, i, size, proof,
		    &n), 0);
		for (j = 0; j < n; j++) {
			proof[j * H + j % H] ^= 0x01;
			ck_assert_int_eq(merkle_verify_inclusion(lh[i], i,
			    size, proof, n, root), MERKLE_EPROOF);
			proof[j * H + j % H] ^= 0x01;
		}
		memcpy(bad, lh[i], H);
		bad[31] ^= 0x80;
		ck_assert_int_eq(merkle_verify_inclusion(bad, i, size, proof,
		    n, root), MERKLE_EPROOF);
		memcpy(bad, root, H);
		bad[0] ^= 0x01;
		ck_assert_int_eq(merkle_verify_inclusion(lh[i], i, size,
		    proof, n, bad), MERKLE_EPROOF);
		rc = merkle_verify_inclusion(lh[i], i ^ 1, size, proof, n,
		    root);
		ck_assert_int_ne(rc, 0);
		/*
		 * A proof alone does not bind the size (the proof for size
		 * 4 also "verifies" root(4) with size 3); a signed (size,
		 * root) pair does. So a wrong size is checked against the
		 * root of that size.
		 */
		ck_assert_int_eq(merkle_root(&io, size + 1, other), 0);
		rc = merkle_verify_inclusion(lh[i], i, size + 1, proof, n,
		    other);
		ck_assert_int_ne(rc, 0);
		if (i < size - 1) {
			ck_assert_int_eq(merkle_root(&io, size - 1, other), 0);
			rc = merkle_verify_inclusion(lh[i], i, size - 1, proof,
			    n, other);
			ck_assert_int_ne(rc, 0);
		}
		ck_assert_int_eq(merkle_verify_inclusion(lh[i], i, size,
		    proof, n - 1, root), n > 0 ? MERKLE_EPROOFLEN : 0);
		memcpy(proof + n * H, root, H);
		ck_assert_int_eq(merkle_verify_inclusion(lh[i], i, size,
		    proof, n + 1, root), MERKLE_EPROOFLEN);
		ck_assert_int_eq(merkle_verify_inclusion(lh[i], size, size,
		    proof, n, root), MERKLE_ERANGE);

		old = 1 + rng() % (size - 1);
		ck_assert_int_eq(merkle_root(&io, old, oroot), 0);
		ck_assert_int_eq(merkle_prove_consistency(&io, old, size,
		    proof, &n), 0);
		ck_assert_int_eq(merkle_verify_consistency(old, size, oroot,
		    root, proof, n), 0);
		for (j = 0; j < n; j++) {
			proof[j * H + 7] ^= 0x40;
			ck_assert_int_ne(merkle_verify_consistency(old, size,
			    oroot, root, proof, n), 0);
			proof[j * H + 7] ^= 0x40;
		}
		ck_assert_int_ne(merkle_verify_consistency(old, size, root,
		    root, proof, n), 0);
		ck_assert_int_ne(merkle_verify_consistency(old, size, oroot,
		    oroot, proof, n), 0);
		ck_assert_int_eq(merkle_root(&io, old + 1, other), 0);
		ck_assert_int_ne(merkle_verify_consistency(old + 1, size,
		    other, root, proof, n), 0);
		ck_assert_int_eq(merkle_root(&io, size + 1, other), 0);
		ck_assert_int_ne(merkle_verify_consistency(old, size + 1,
		    oroot, other, proof, n), 0);
		ck_assert_int_eq(merkle_verify_consistency(old, size, oroot,
		    root, proof, n - 1), MERKLE_EPROOFLEN);
		ck_assert_int_eq(merkle_verify_consistency(old, size, oroot,
		    root, proof, n + 1), MERKLE_EPROOFLEN);
	}
	/* Equal sizes: empty proof and equal roots only. */
	ck_assert_int_eq(merkle_verify_consistency(5, 5, root, root, proof,
	    0), 0);
	ck_assert_int_eq(merkle_verify_consistency(5, 5, root, root, proof,
	    1), MERKLE_EPROOFLEN);
	ck_assert_int_eq(merkle_verify_consistency(5, 5, root, oroot, proof,
	    0), MERKLE_EPROOF);
	ck_assert_int_eq(merkle_verify_consistency(0, 5, root, root, proof,
	    0), MERKLE_ERANGE);
	ck_assert_int_eq(merkle_verify_consistency(6, 5, root, root, proof,
	    0), MERKLE_ERANGE);
	ck_assert_int_eq(merkle_verify_inclusion(lh[0], 0, 0, proof, 0,
	    root), MERKLE_ERANGE);
	ck_assert_int_eq(merkle_verify_inclusion(lh[0], 0, 1, proof,
	    MERKLE_PROOF_MAX + 1, root), MERKLE_EPROOFLEN);
	merkle_mem_free(m);
	free(lh);
}
END_TEST

/* Root from proof gives the root, or refuses a malformed proof. */
START_TEST(test_root_from_inclusion)
{
	struct merkle_io io;
	struct merkle_mem *m;
	uint8_t lh[8][H], proof[MERKLE_PROOF_MAX * H], root[H];
	size_t n;

	kat_leaf_hashes(lh);
	m = mem_new(&io);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 8), 0);
	ck_assert_int_eq(merkle_prove_inclusion(&io, 6, 7, proof, &n), 0);
	ck_assert_int_eq(merkle_root_from_inclusion(lh[6], 6, 7, proof, n,
	    root), 0);
	assert_hash(root, kat_roots[7]);
	ck_assert_int_eq(merkle_root_from_inclusion(lh[0], 0, 1, proof, 0,
	    root), 0);
	assert_hash(root, kat_roots[1]);
	ck_assert_int_eq(merkle_root_from_inclusion(lh[6], 6, 7, proof,
	    n - 1, root), MERKLE_EPROOFLEN);
	ck_assert_int_eq(merkle_root_from_inclusion(lh[6], 7, 7, proof, n,
	    root), MERKLE_ERANGE);
	merkle_mem_free(m);
}
END_TEST

/* Out-of-range arguments. */
START_TEST(test_range)
{
	struct merkle_io io;
	struct merkle_mem *m;
	uint8_t lh[8][H], proof[MERKLE_PROOF_MAX * H], root[H];
	size_t n = 99;

	kat_leaf_hashes(lh);
	m = mem_new(&io);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 8), 0);
	ck_assert_int_eq(merkle_prove_inclusion(&io, 8, 8, proof, &n),
	    MERKLE_ERANGE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(merkle_prove_inclusion(&io, 0, 0, proof, &n),
	    MERKLE_ERANGE);
	ck_assert_int_eq(merkle_prove_consistency(&io, 0, 8, proof, &n),
	    MERKLE_ERANGE);
	ck_assert_int_eq(merkle_prove_consistency(&io, 9, 8, proof, &n),
	    MERKLE_ERANGE);
	ck_assert_int_eq(merkle_root(&io, MERKLE_SIZE_MAX + 1, root),
	    MERKLE_ERANGE);
	ck_assert_int_eq(merkle_append(&io, MERKLE_SIZE_MAX, lh[0], 1),
	    MERKLE_ERANGE);
	ck_assert_int_eq(merkle_append(&io, 8, lh[0], 0), 0);
	merkle_mem_free(m);
}
END_TEST

/* Tiles that do not hold what the size says are reported, not used. */
START_TEST(test_corrupt)
{
	struct merkle_io io;
	struct merkle_mem *m;
	uint8_t (*lh)[H];
	uint8_t proof[MERKLE_PROOF_MAX * H], root[H];
	size_t n;

	lh = synth_leaves(300);
	m = mem_new(&io);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 300), 0);
	/* Beyond the stored leaves. */
	ck_assert_int_eq(merkle_root(&io, 301, root), MERKLE_ECORRUPT);
	ck_assert_int_eq(merkle_root(&io, 1000, root), MERKLE_ECORRUPT);
	ck_assert_int_eq(merkle_leaf(&io, 300, root), MERKLE_ECORRUPT);
	ck_assert_int_eq(merkle_prove_inclusion(&io, 3, 520, proof, &n),
	    MERKLE_ECORRUPT);
	ck_assert_int_eq(merkle_prove_consistency(&io, 3, 301, proof, &n),
	    MERKLE_ECORRUPT);
	/* Appending at a size the tiles do not hold. */
	ck_assert_int_eq(merkle_append(&io, 299, lh[0], 1),
	    MERKLE_ECORRUPT);
	ck_assert_int_eq(merkle_append(&io, 301, lh[0], 1),
	    MERKLE_ECORRUPT);
	/* A level-1 tile missing while level 0 is full. */
	ck_assert_int_eq(merkle_append(&io, 512, lh[0], 1),
	    MERKLE_ECORRUPT);
	merkle_mem_free(m);
	free(lh);
}
END_TEST

/* An io whose get or put fails with a code of its own. */
struct fail_io {
	struct merkle_io	 inner;
	int			 fail_get;	/* fail the n-th get */
	int			 fail_put;	/* fail the n-th put */
};

/* mi_get that fails the fail_get-th call with -4242. */
static int
fail_get(void *arg, int level, uint64_t index, uint8_t *h, size_t *count)
{
	struct fail_io *f = arg;

	if (f->fail_get > 0 && --f->fail_get == 0)
		return -4242;
	return f->inner.mi_get(f->inner.mi_arg, level, index, h, count);
}

/* mi_put that fails the fail_put-th call with EIO. */
static int
fail_put(void *arg, int level, uint64_t index, const uint8_t *h,
    size_t count)
{
	struct fail_io *f = arg;

	if (f->fail_put > 0 && --f->fail_put == 0)
		return EIO;
	return f->inner.mi_put(f->inner.mi_arg, level, index, h, count);
}

START_TEST(test_io_errors)
{
	struct merkle_io io;
	struct merkle_mem *m;
	struct fail_io f;
	uint8_t (*lh)[H];
	uint8_t proof[MERKLE_PROOF_MAX * H], root[H];
	size_t n;

	lh = synth_leaves(600);
	m = mem_new(&f.inner);
	io.mi_get = fail_get;
	io.mi_put = fail_put;
	io.mi_arg = &f;
	f.fail_get = f.fail_put = 0;
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 300), 0);
	f.fail_put = 1;
	ck_assert_int_eq(merkle_append(&io, 300, lh[300], 300), EIO);
	f.fail_get = 1;
	ck_assert_int_eq(merkle_append(&io, 300, lh[300], 1), -4242);
	f.fail_get = 1;
	ck_assert_int_eq(merkle_root(&io, 300, root), -4242);
	f.fail_get = 2;
	ck_assert_int_eq(merkle_prove_inclusion(&io, 5, 300, proof, &n),
	    -4242);
	f.fail_get = 1;
	ck_assert_int_eq(merkle_prove_consistency(&io, 5, 300, proof, &n),
	    -4242);
	f.fail_get = 1;
	ck_assert_int_eq(merkle_leaf(&io, 5, root), -4242);
	merkle_mem_free(m);
	free(lh);
}
END_TEST

START_TEST(test_tile_key)
{
	uint8_t k[MERKLE_TILE_KEY_LEN], k2[MERKLE_TILE_KEY_LEN];
	static const uint8_t want[MERKLE_TILE_KEY_LEN] = {
		0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
	};

	merkle_tile_key(2, 0x0102030405060708ULL, k);
	ck_assert_mem_eq(k, want, sizeof(k));
	/* Byte order is (level, index) order. */
	merkle_tile_key(0, 256, k);
	merkle_tile_key(0, 255, k2);
	ck_assert_int_gt(memcmp(k, k2, sizeof(k)), 0);
	merkle_tile_key(1, 0, k2);
	ck_assert_int_lt(memcmp(k, k2, sizeof(k)), 0);
}
END_TEST

/* Readers need no mi_put; merkle_append does. */
START_TEST(test_reader_io)
{
	struct merkle_io io;
	struct merkle_mem *m;
	uint8_t lh[8][H], root[H];

	kat_leaf_hashes(lh);
	m = mem_new(&io);
	ck_assert_int_eq(merkle_append(&io, 0, lh[0], 8), 0);
	io.mi_put = NULL;
	ck_assert_int_eq(merkle_root(&io, 8, root), 0);
	assert_hash(root, kat_roots[8]);
	ck_assert_int_eq(merkle_append(&io, 8, lh[0], 1), EINVAL);
	merkle_mem_free(m);
}
END_TEST

START_TEST(test_strerror)
{
	int e;

	for (e = MERKLE_ERANGE; e < MERKLE_EMAX; e++)
		ck_assert_ptr_nonnull(strstr(merkle_strerror(e), "MERKLE_E"));
	ck_assert_str_eq(merkle_strerror(0), "success");
	ck_assert_str_eq(merkle_strerror(ENOMEM), strerror(ENOMEM));
}
END_TEST

/* The suite: one case per function family. */
static Suite *
merkle_suite(void)
{
	Suite *s = suite_create("merkle");
	TCase *tc;

	tc = tcase_create("hash");
	tcase_add_test(tc, test_hash_kat);
	tcase_add_test(tc, test_tile_key);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("root");
	tcase_add_test(tc, test_root_kat);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_io_errors);
	tcase_add_test(tc, test_reader_io);
	suite_add_tcase(s, tc);

	tc = tcase_create("prove");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_inclusion_kat);
	tcase_add_test(tc, test_consistency_kat);
	tcase_add_test(tc, test_property_small);
	tcase_add_test(tc, test_property_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_test(tc, test_verify_rejects);
	tcase_add_test(tc, test_root_from_inclusion);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exit status 0 when all pass. */
int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(merkle_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
