/* SPDX-License-Identifier: ISC */
/*
 * itest_tree.c: proves what the checkpoint integration test claims
 * about a store's verifiable log, reading it read-only like the tools
 * (the daemon may be running):
 *
 * - the Merkle tree holds exactly the entries (tree size = log size);
 * - every leaf hash in the tiles is the commitment leaf recomputed from
 *   the stored entry, and the root of the tiles is the root rebuilt
 *   from those leaves;
 * - every checkpoint is signed by the given key, names the store's
 *   origin and its own size, and its root is the tree's root at that
 *   size.
 *
 * It prints one summary line
 *
 *   tree entries N tree_size N checkpoints K first F latest L min_gap G
 *   max_gap X
 *
 * where the gaps are the differences between consecutive checkpoint
 * sizes, the last one excluded (the shutdown's checkpoint may follow its
 * predecessor closely). Options turn expectations into failures:
 *
 * usage: itest_tree --store DIR --key-file FILE [--latest-covers-all]
 *	[--min-checkpoints K] [--min-gap N] [--has-checkpoint SIZE]
 *	[--leaf INDEX:HEX]
 * Exit 0 when everything holds, 1 with the first violation named, 2 for
 * usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algaudit.pb-c.h"
#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "store.h"

#define TREE_MAX_LEAVES	8	/* --leaf given at most this often */

/* What the walk over the checkpoints collects. */
struct tree_walk {
	struct store_view	*tw_view;
	struct note_verifier	*tw_verifier;
	const char		*tw_origin;
	uint64_t		*tw_sizes;	/* checkpoint sizes, in order */
	size_t			 tw_n;
	size_t			 tw_cap;
	int			 tw_failed;
};

/* Prints the usage and exits 2. */
static void __attribute__((noreturn))
tree_usage(void)
{
	fprintf(stderr, "usage: itest_tree --store DIR --key-file FILE "
	    "[--latest-covers-all] [--min-checkpoints K] [--min-gap N] "
	    "[--has-checkpoint SIZE] [--leaf INDEX:HEX]\n");
	exit(2);
}

/* Parses 64 hex digits into out; returns 0 or -1. */
static int
tree_hex(const char *s, uint8_t *out)
{
	unsigned int v;
	int i;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* Checks one checkpoint (store_view_checkpoints_each callback). */
static int
tree_checkpoint(uint64_t size, const char *note, size_t len, void *arg)
{
	struct tree_walk *tw = arg;
	struct note_checkpoint cp;
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t *ns;
	char err[256];
	int rc;

	err[0] = '\0';
	if ((rc = note_checkpoint_open(tw->tw_verifier, note, len, &cp, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "itest_tree: checkpoint %" PRIu64 ": %s %s\n",
		    size, note_strerror(rc), err);
		tw->tw_failed = 1;
		return 1;
	}
	if (cp.nc_size != size || strcmp(cp.nc_origin, tw->tw_origin) != 0) {
		fprintf(stderr, "itest_tree: checkpoint stored at %" PRIu64
		    " states '%s' size %" PRIu64 "\n", size, cp.nc_origin,
		    cp.nc_size);
		tw->tw_failed = 1;
		return 1;
	}
	if ((rc = merkle_root(store_view_tree(tw->tw_view), size,
	    root)) != 0 || memcmp(root, cp.nc_root, sizeof(root)) != 0) {
		fprintf(stderr, "itest_tree: checkpoint %" PRIu64 ": root is "
		    "not the tree's (%s)\n", size, rc != 0 ?
		    merkle_strerror(rc) : "different hash");
		tw->tw_failed = 1;
		return 1;
	}
	if (tw->tw_n == tw->tw_cap) {
		tw->tw_cap = tw->tw_cap ? tw->tw_cap * 2 : 64;
		if ((ns = realloc(tw->tw_sizes, tw->tw_cap *
		    sizeof(*ns))) == NULL) {
			fprintf(stderr, "itest_tree: out of memory\n");
			tw->tw_failed = 1;
			return 1;
		}
		tw->tw_sizes = ns;
	}
	tw->tw_sizes[tw->tw_n++] = size;
	return 0;
}

/*
 * Recomputes every leaf from its entry and compares it with the tiles;
 * checks the tiles' root against the leaves' root. Returns 0 or -1.
 */
static int
tree_leaves(struct store *s, struct store_view *v, uint64_t n)
{
	const struct merkle_io *io = store_view_tree(v);
	const struct leaf_key *key = store_leaf_key(s);
	struct merkle_compact mc;
	struct leaf_ctx *ctx = NULL;
	Algaudit__V1__Entry *e;
	uint8_t want[MERKLE_HASH_LEN], got[MERKLE_HASH_LEN];
	const void *buf;
	size_t len;
	uint64_t i;
	int rc, ret = -1;

	if (key == NULL || leaf_ctx_new(&ctx) != 0) {
		fprintf(stderr, "itest_tree: no leaf key or no memory\n");
		return -1;
	}
	merkle_compact_init(&mc);
	for (i = 0; i < n; i++) {
		if ((rc = store_view_entry(v, i, &buf, &len)) != 0) {
			fprintf(stderr, "itest_tree: entry %" PRIu64 ": %s\n",
			    i, store_strerror(rc));
			goto out;
		}
		if ((e = algaudit__v1__entry__unpack(NULL, len, buf)) == NULL) {
			fprintf(stderr, "itest_tree: entry %" PRIu64 " does "
			    "not decode\n", i);
			goto out;
		}
		rc = leaf_compute(ctx, key, e, want);
		algaudit__v1__entry__free_unpacked(e, NULL);
		if (rc != 0) {
			fprintf(stderr, "itest_tree: leaf %" PRIu64 ": %s\n", i,
			    leaf_strerror(rc));
			goto out;
		}
		if ((rc = merkle_leaf(io, i, got)) != 0 ||
		    memcmp(want, got, sizeof(got)) != 0) {
			fprintf(stderr, "itest_tree: leaf %" PRIu64 " in the "
			    "tiles is not the entry's (%s)\n", i, rc != 0 ?
			    merkle_strerror(rc) : "different hash");
			goto out;
		}
		if (merkle_compact_push(&mc, want) != 0)
			goto out;
	}
	merkle_compact_root(&mc, want);
	if ((rc = merkle_root(io, n, got)) != 0 ||
	    memcmp(want, got, sizeof(got)) != 0) {
		fprintf(stderr, "itest_tree: the tiles' root at %" PRIu64 " is "
		    "not the leaves' root\n", n);
		goto out;
	}
	ret = 0;
out:
	leaf_ctx_free(ctx);
	return ret;
}

/* Reads the signer key file and makes its verifier. */
static int
tree_verifier(const char *path, struct note_verifier **vp)
{
	struct note_signer *sg = NULL;
	char vkey[NOTE_VKEY_MAX], err[256];
	int rc;

	err[0] = '\0';
	if ((rc = note_signer_read(path, &sg, err, sizeof(err))) != 0 ||
	    (rc = note_signer_vkey(sg, vkey, sizeof(vkey))) != 0 ||
	    (rc = note_verifier_new(vkey, vp, err, sizeof(err))) != 0) {
		fprintf(stderr, "itest_tree: key %s: %s %s\n", path,
		    note_strerror(rc), err);
		note_signer_free(sg);
		return -1;
	}
	note_signer_free(sg);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "latest-covers-all", no_argument, NULL, 'a' },
		{ "min-checkpoints", required_argument, NULL, 'c' },
		{ "min-gap", required_argument, NULL, 'g' },
		{ "has-checkpoint", required_argument, NULL, 'h' },
		{ "leaf", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct tree_walk tw;
	struct store_info si;
	struct store *s = NULL;
	const char *dir = NULL, *keyfile = NULL;
	uint64_t entries, tsize, min_ckpts = 0, min_gap = 0, want_ckpt = 0;
	uint64_t leaf_idx[TREE_MAX_LEAVES], gmin = 0, gmax = 0, g;
	uint8_t leaf_hash[TREE_MAX_LEAVES][MERKLE_HASH_LEN], got[32];
	char hex[65];
	size_t i, nleaves = 0;
	int ch, rc, all = 0, ret = 1;

	memset(&tw, 0, sizeof(tw));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': dir = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'a': all = 1; break;
		case 'c': min_ckpts = strtoull(optarg, NULL, 10); break;
		case 'g': min_gap = strtoull(optarg, NULL, 10); break;
		case 'h': want_ckpt = strtoull(optarg, NULL, 10); break;
		case 'l':
			if (nleaves == TREE_MAX_LEAVES ||
			    sscanf(optarg, "%" SCNu64 ":%64s",
			    &leaf_idx[nleaves], hex) != 2 ||
			    tree_hex(hex, leaf_hash[nleaves]) != 0)
				tree_usage();
			nleaves++;
			break;
		default:
			tree_usage();
		}
	}
	if (dir == NULL || keyfile == NULL)
		tree_usage();
	if (tree_verifier(keyfile, &tw.tw_verifier) == -1)
		return 1;
	if ((rc = store_open(&s, dir, STORE_RDONLY, NULL)) != 0 ||
	    (rc = store_info(s, &si)) != 0 ||
	    (rc = store_view_begin(s, &tw.tw_view)) != 0) {
		fprintf(stderr, "itest_tree: %s: %s\n", dir,
		    store_strerror(rc));
		goto out;
	}
	tw.tw_origin = si.si_origin;
	entries = store_view_size(tw.tw_view);
	tsize = store_view_tree_size(tw.tw_view);
	if (tsize != entries) {
		fprintf(stderr, "itest_tree: %" PRIu64 " entries but a tree of "
		    "%" PRIu64 " leaves\n", entries, tsize);
		goto out;
	}
	if (tree_leaves(s, tw.tw_view, entries) == -1)
		goto out;
	for (i = 0; i < nleaves; i++) {
		if (leaf_idx[i] >= tsize || merkle_leaf(store_view_tree(
		    tw.tw_view), leaf_idx[i], got) != 0 ||
		    memcmp(got, leaf_hash[i], sizeof(got)) != 0) {
			fprintf(stderr, "itest_tree: leaf %" PRIu64 " is not "
			    "the one given\n", leaf_idx[i]);
			goto out;
		}
	}
	if ((rc = store_view_checkpoints_each(tw.tw_view, tree_checkpoint,
	    &tw)) != 0 || tw.tw_failed) {
		if (!tw.tw_failed)
			fprintf(stderr, "itest_tree: checkpoints: %s\n",
			    store_strerror(rc));
		goto out;
	}
	for (i = 1; i + 1 < tw.tw_n; i++) {
		g = tw.tw_sizes[i] - tw.tw_sizes[i - 1];
		if (gmin == 0 || g < gmin)
			gmin = g;
		if (g > gmax)
			gmax = g;
	}
	printf("tree entries %" PRIu64 " tree_size %" PRIu64 " checkpoints %zu"
	    " first %" PRIu64 " latest %" PRIu64 " min_gap %" PRIu64
	    " max_gap %" PRIu64 "\n", entries, tsize, tw.tw_n,
	    tw.tw_n ? tw.tw_sizes[0] : 0, tw.tw_n ? tw.tw_sizes[tw.tw_n - 1] :
	    0, gmin, gmax);
	if (all && (tw.tw_n == 0 || tw.tw_sizes[tw.tw_n - 1] != entries)) {
		fprintf(stderr, "itest_tree: the latest checkpoint does not "
		    "cover all %" PRIu64 " entries\n", entries);
		goto out;
	}
	if (tw.tw_n < min_ckpts) {
		fprintf(stderr, "itest_tree: %zu checkpoints, at least %"
		    PRIu64 " expected\n", tw.tw_n, min_ckpts);
		goto out;
	}
	if (min_gap > 0 && gmin > 0 && gmin < min_gap) {
		fprintf(stderr, "itest_tree: two checkpoints only %" PRIu64
		    " entries apart, at least %" PRIu64 " expected\n", gmin,
		    min_gap);
		goto out;
	}
	if (want_ckpt > 0) {
		for (i = 0; i < tw.tw_n && tw.tw_sizes[i] != want_ckpt; i++)
			;
		if (i == tw.tw_n) {
			fprintf(stderr, "itest_tree: no checkpoint at size %"
			    PRIu64 "\n", want_ckpt);
			goto out;
		}
	}
	printf("itest_tree: %" PRIu64 " leaves recomputed from the entries, "
	    "%zu checkpoints verified\n", entries, tw.tw_n);
	ret = 0;
out:
	store_view_end(tw.tw_view);
	store_close(s);
	note_verifier_free(tw.tw_verifier);
	free(tw.tw_sizes);
	return ret;
}
