/* SPDX-License-Identifier: ISC */
/*
 * cmd_verify.c: `algaudit verify`, the full audit of a store, in one
 * read-only view (one snapshot) so that it may run beside the daemon.
 *
 * It recomputes every entry's commitment leaf from the stored entry
 * (leaf_compute with the store's leaf key), compares it with the leaf
 * hash in the stored tiles, rebuilds the tree in a compact range
 * (merkle_compact_*), recomputes every hash of the upper tile levels
 * from the level below, checks every signed checkpoint (signature with
 * the given or the store's own key, origin, root against the rebuilt
 * tree at its size, consistency with the previous checkpoint), that the
 * entries are dense, each at the index its Entry says, that the tree
 * covers exactly the entries, and that each producer's mark (durable
 * seq, entry count) is what its entries say. It stops at the first
 * problem in log order and names the index and the reason; exit 3.
 *
 * Speed: recomputing a leaf (unpack and about 20 SHA-256 commitments)
 * is the cost, so VERIFY_WORKERS threads, each with its own leaf_ctx
 * and unpack arena, compute the leaves and the roots of full 256-leaf
 * blocks of alternate chunks; the main thread alone touches the view
 * (a read transaction belongs to one thread), hands the workers
 * pointers into the map (valid while the view lasts), and merges the
 * results strictly in log order.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "tools.h"

#define VERIFY_CHUNK	2048	/* entries per chunk; a multiple of 256 */
#define VERIFY_SLOTS	8	/* chunks in flight */
#define VERIFY_WORKERS	2	/* the machine has two cores */
#define VERIFY_BLOCKS	(VERIFY_CHUNK / MERKLE_TILE_WIDTH)
#define VERIFY_ARENA	(64 * 1024)
#define VERIFY_RETRIES	20	/* producers snapshot vs view */
#define VERIFY_ERRLEN	1024

/* Status of one entry as a worker saw it. */
enum verify_status {
	VERIFY_R_OK = 0,
	VERIFY_R_MISSING,	/* no entry at this key */
	VERIFY_R_DECODE,	/* does not unpack as an Entry */
	VERIFY_R_LEAF		/* leaf_compute() refused it */
};

/* State of a chunk slot. */
enum verify_state {
	VERIFY_S_FREE = 0,
	VERIFY_S_FILLED,	/* ready for a worker */
	VERIFY_S_TAKEN,
	VERIFY_S_DONE
};

/* What a worker found about one entry. */
struct verify_res {
	uint8_t		 vr_leaf[MERKLE_HASH_LEN];
	uint64_t	 vr_index;	/* Entry.index */
	uint64_t	 vr_seq;	/* record.producer_seq */
	size_t		 vr_pid_off;	/* producer id in the arena */
	size_t		 vr_pid_len;
	uint8_t		 vr_status;	/* enum verify_status */
	uint8_t		 vr_has_index;
	uint8_t		 vr_has_seq;
	uint8_t		 vr_has_pid;
};

/* A run of consecutive entries, computed by one worker. */
struct verify_chunk {
	uint64_t	 vc_first;
	size_t		 vc_count;
	int		 vc_state;	/* enum verify_state, under v_lock */
	const void	*vc_data[VERIFY_CHUNK];	/* NULL: missing */
	size_t		 vc_len[VERIFY_CHUNK];
	struct verify_res vc_res[VERIFY_CHUNK];
	uint8_t		 vc_roots[VERIFY_BLOCKS][MERKLE_HASH_LEN];
	size_t		 vc_nroots;	/* full blocks of 256 leaves */
	char		*vc_ids;	/* producer ids, not NUL-terminated */
	size_t		 vc_idslen;
	size_t		 vc_idssize;
	int		 vc_oom;
	char		 vc_err[256];	/* first leaf error message */
};

/* A bump allocator for unpacking one entry at a time. */
struct verify_arena {
	ProtobufCAllocator	 va_pb;
	uint8_t			*va_buf;
	size_t			 va_used;
	void			**va_big;	/* allocations past va_buf */
	size_t			 va_nbig;
	size_t			 va_capbig;
};

/* One worker thread. */
struct verify_worker {
	struct verify		*vw_v;
	pthread_t		 vw_thread;
	struct leaf_ctx		*vw_ctx;
	struct verify_arena	 vw_arena;
	int			 vw_started;
};

/* A stored checkpoint, copied out of the view. */
struct verify_ckpt {
	uint64_t	 vk_size;
	char		*vk_note;
	size_t		 vk_len;
};

/* A producer: its stored mark and what its entries say. */
struct verify_prod {
	char		*vp_id;
	size_t		 vp_idlen;
	int		 vp_has_mark;
	struct store_producer vp_mark;
	uint64_t	 vp_count;	/* entries seen */
	uint64_t	 vp_seq;	/* highest (last) seq seen */
	uint64_t	 vp_last;	/* index of its last entry */
	int		 vp_has_seq;
};

/* One upper tile level: recomputed hashes and the stored tile. */
struct verify_level {
	uint8_t		 vl_hashes[MERKLE_TILE_WIDTH][MERKLE_HASH_LEN];
	uint8_t		 vl_stored[MERKLE_TILE_WIDTH][MERKLE_HASH_LEN];
	size_t		 vl_nstored;
	uint64_t	 vl_tile;
	int		 vl_loaded;
};

/* The whole run. */
struct verify {
	struct store		*v_store;
	struct store_view	*v_view;
	const struct merkle_io	*v_io;
	const struct leaf_key	*v_key;
	struct note_verifier	*v_nv;
	const char		*v_dir;
	char			 v_origin[STORE_ORIGIN_MAX + 1];
	char			 v_vkey[NOTE_VKEY_MAX];
	const char		*v_keysrc;
	uint64_t		 v_entries;	/* entries in the view */
	uint64_t		 v_tree;	/* tree size in the view */
	uint64_t		 v_n;		/* min of the two */
	int			 v_quiet;

	/* Threads. */
	pthread_mutex_t		 v_lock;
	pthread_cond_t		 v_work;	/* a chunk was filled */
	pthread_cond_t		 v_done;	/* a chunk was computed */
	struct verify_chunk	*v_chunks[VERIFY_SLOTS];
	uint64_t		 v_filled;	/* chunks filled */
	uint64_t		 v_taken;	/* chunks taken by workers */
	int			 v_stop;
	struct verify_worker	 v_workers[VERIFY_WORKERS];

	/* Merge state, main thread only. */
	struct merkle_compact	 v_compact;
	struct verify_ckpt	*v_ckpts;
	size_t			 v_nckpts;
	size_t			 v_ckcap;
	size_t			 v_cknext;	/* next checkpoint to check */
	int			 v_has_prev;
	uint64_t		 v_prev_size;
	uint8_t			 v_prev_root[MERKLE_HASH_LEN];
	uint8_t			 v_tile0[MERKLE_TILE_WIDTH][MERKLE_HASH_LEN];
	size_t			 v_tile0_n;
	uint64_t		 v_tile0_idx;
	int			 v_tile0_loaded;
	struct verify_level	*v_levels[MERKLE_TILE_LEVELS];
	struct verify_prod	*v_prods;	/* open addressing */
	size_t			 v_prodcap;
	size_t			 v_nprods;
	int			 v_prods_ok;	/* marks match the view */
	struct leaf_ctx		*v_ctx;		/* slow path */
	struct verify_arena	 v_arena;

	/* The verdict. */
	int			 v_failed;	/* exit status once set */
	char			 v_msg[VERIFY_ERRLEN];

	/* Progress. */
	int			 v_tty;
	double			 v_t0;
	double			 v_tlast;
};

static const char cmd_verify_help[] =
"Audits the whole store in one read-only snapshot (the daemon may run):\n"
"recomputes every entry's leaf hash from the stored entry, rebuilds the\n"
"Merkle tree and compares it with the stored tiles, checks every signed\n"
"checkpoint (signature, root at its size, consistency with the previous\n"
"one), that the entries are dense and in order, that the tree covers\n"
"exactly the entries, and every producer's mark. It names the first bad\n"
"index and what is wrong: content changed, entry missing, entry\n"
"inserted, order changed, checkpoint signature invalid, checkpoint root\n"
"mismatch, tail truncated below a checkpoint, tree tile corrupted,\n"
"producer mark mismatch. Progress, rate and ETA go to stderr when it is\n"
"a terminal.\n"
"\n"
"  --store DIR          the store directory\n"
"  --key VERIFIERKEY    check the signatures with this key (name+hash+\n"
"                       base64, as `algaudit key` prints it); default:\n"
"                       the key derived from DIR/signer.key (which only\n"
"                       shows the store agrees with itself: give the key\n"
"                       you were handed to check against it)\n"
"  --quiet              no progress, only the verdict\n"
"\n"
"Exit status: 0 the store verifies, 1 runtime failure (cannot read the\n"
"store, no key), 2 usage error, 3 verification failed.\n";

/* Seconds on the monotonic clock. */
static double
cmd_verify_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records the verdict (the first one wins) and stops the workers. */
static void
cmd_verify_fail(struct verify *v, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cmd_verify_fail(struct verify *v, int status, const char *fmt, ...)
{
	va_list ap;

	if (v->v_failed != 0)
		return;
	v->v_failed = status;
	va_start(ap, fmt);
	vsnprintf(v->v_msg, sizeof(v->v_msg), fmt, ap);
	va_end(ap);
}

/* Arena allocation callback: bump, or malloc past the buffer. */
static void *
cmd_verify_arena_alloc(void *arg, size_t n)
{
	struct verify_arena *a = arg;
	void **big, *p;
	size_t cap;

	n = (n + 15) & ~(size_t)15;
	if (n <= VERIFY_ARENA - a->va_used) {
		p = a->va_buf + a->va_used;
		a->va_used += n;
		return p;
	}
	if (a->va_nbig == a->va_capbig) {
		cap = a->va_capbig == 0 ? 16 : 2 * a->va_capbig;
		if ((big = realloc(a->va_big, cap * sizeof(*big))) == NULL)
			return NULL;
		a->va_big = big;
		a->va_capbig = cap;
	}
	if ((p = malloc(n)) == NULL)
		return NULL;
	a->va_big[a->va_nbig++] = p;
	return p;
}

/* Arena free callback: everything goes at the next reset. */
static void
cmd_verify_arena_free(void *arg, void *p)
{
	(void)arg;
	(void)p;
}

/* Prepares an arena. Returns 0 or ENOMEM. */
static int
cmd_verify_arena_init(struct verify_arena *a)
{
	memset(a, 0, sizeof(*a));
	if ((a->va_buf = malloc(VERIFY_ARENA)) == NULL)
		return ENOMEM;
	a->va_pb.alloc = cmd_verify_arena_alloc;
	a->va_pb.free = cmd_verify_arena_free;
	a->va_pb.allocator_data = a;
	return 0;
}

/* Frees what the arena handed out; it may be reused. */
static void
cmd_verify_arena_reset(struct verify_arena *a)
{
	size_t i;

	for (i = 0; i < a->va_nbig; i++)
		free(a->va_big[i]);
	a->va_nbig = 0;
	a->va_used = 0;
}

/* Frees the arena itself. */
static void
cmd_verify_arena_free_all(struct verify_arena *a)
{
	cmd_verify_arena_reset(a);
	free(a->va_big);
	free(a->va_buf);
	a->va_big = NULL;
	a->va_buf = NULL;
}

/* out = the root of the 256 hashes of a full tile (255 node hashes). */
static void
cmd_verify_root256(const uint8_t (*hashes)[MERKLE_HASH_LEN], uint8_t *out)
{
	uint8_t tmp[MERKLE_TILE_WIDTH / 2][MERKLE_HASH_LEN];
	size_t w, k;

	for (k = 0; k < MERKLE_TILE_WIDTH / 2; k++)
		merkle_hash_node(hashes[2 * k], hashes[2 * k + 1], tmp[k]);
	for (w = MERKLE_TILE_WIDTH / 2; w > 1; w /= 2)
		for (k = 0; k < w / 2; k++)
			merkle_hash_node(tmp[2 * k], tmp[2 * k + 1], tmp[k]);
	memcpy(out, tmp[0], MERKLE_HASH_LEN);
}

/* Appends a producer id to the chunk's arena; -1 without memory. */
static int
cmd_verify_chunk_id(struct verify_chunk *c, const char *id, size_t len,
    struct verify_res *r)
{
	size_t size;
	char *p;

	if (len > c->vc_idssize - c->vc_idslen) {
		size = c->vc_idssize == 0 ? 4096 : c->vc_idssize;
		while (len > size - c->vc_idslen)
			size *= 2;
		if ((p = realloc(c->vc_ids, size)) == NULL)
			return -1;
		c->vc_ids = p;
		c->vc_idssize = size;
	}
	memcpy(c->vc_ids + c->vc_idslen, id, len);
	r->vr_pid_off = c->vc_idslen;
	r->vr_pid_len = len;
	r->vr_has_pid = 1;
	c->vc_idslen += len;
	return 0;
}

/* Computes the leaves of a chunk and the roots of its full blocks. */
static void
cmd_verify_compute(struct verify_worker *w, struct verify_chunk *c)
{
	const struct leaf_key *key = w->vw_v->v_key;
	Algaudit__V1__Entry *e;
	struct verify_res *r;
	uint8_t leaves[MERKLE_TILE_WIDTH][MERKLE_HASH_LEN];
	size_t i, b, k;
	int rc, ok;

	c->vc_idslen = 0;
	c->vc_oom = 0;
	c->vc_err[0] = '\0';
	for (i = 0; i < c->vc_count; i++) {
		r = &c->vc_res[i];
		memset(r, 0, sizeof(*r));
		if (c->vc_data[i] == NULL) {
			r->vr_status = VERIFY_R_MISSING;
			continue;
		}
		e = algaudit__v1__entry__unpack(&w->vw_arena.va_pb,
		    c->vc_len[i], c->vc_data[i]);
		if (e == NULL) {
			r->vr_status = VERIFY_R_DECODE;
			cmd_verify_arena_reset(&w->vw_arena);
			continue;
		}
		if ((rc = leaf_compute(w->vw_ctx, key, e, r->vr_leaf)) != 0) {
			r->vr_status = VERIFY_R_LEAF;
			if (c->vc_err[0] == '\0')
				snprintf(c->vc_err, sizeof(c->vc_err),
				    "%s: %s", leaf_strerror(rc),
				    leaf_ctx_errmsg(w->vw_ctx));
		}
		r->vr_has_index = e->has_index;
		r->vr_index = e->index;
		if (e->record != NULL && e->record->has_producer_seq) {
			r->vr_has_seq = 1;
			r->vr_seq = e->record->producer_seq;
		}
		if (e->producer_id != NULL &&
		    cmd_verify_chunk_id(c, e->producer_id,
		    strlen(e->producer_id), r) == -1)
			c->vc_oom = 1;
		cmd_verify_arena_reset(&w->vw_arena);
	}
	c->vc_nroots = c->vc_count / MERKLE_TILE_WIDTH;
	for (b = 0; b < c->vc_nroots; b++) {
		ok = 1;
		for (k = 0; k < MERKLE_TILE_WIDTH; k++) {
			r = &c->vc_res[b * MERKLE_TILE_WIDTH + k];
			ok &= r->vr_status == VERIFY_R_OK;
			memcpy(leaves[k], r->vr_leaf, MERKLE_HASH_LEN);
		}
		if (ok)
			cmd_verify_root256((const uint8_t (*)[MERKLE_HASH_LEN])
			    leaves, c->vc_roots[b]);
	}
}

/* Worker thread: takes filled chunks in order and computes them. */
static void *
cmd_verify_worker(void *arg)
{
	struct verify_worker *w = arg;
	struct verify *v = w->vw_v;
	struct verify_chunk *c;

	pthread_mutex_lock(&v->v_lock);
	for (;;) {
		while (!v->v_stop && v->v_taken == v->v_filled)
			pthread_cond_wait(&v->v_work, &v->v_lock);
		if (v->v_stop)
			break;
		c = v->v_chunks[v->v_taken % VERIFY_SLOTS];
		v->v_taken++;
		c->vc_state = VERIFY_S_TAKEN;
		pthread_mutex_unlock(&v->v_lock);
		cmd_verify_compute(w, c);
		pthread_mutex_lock(&v->v_lock);
		c->vc_state = VERIFY_S_DONE;
		pthread_cond_broadcast(&v->v_done);
	}
	pthread_mutex_unlock(&v->v_lock);
	return NULL;
}

/* Checkpoints callback: copies each stored checkpoint. */
static int
cmd_verify_ckpt_one(uint64_t size, const char *note, size_t len, void *arg)
{
	struct verify *v = arg;
	struct verify_ckpt *k;
	size_t cap;

	if (v->v_nckpts == v->v_ckcap) {
		cap = v->v_ckcap == 0 ? 64 : 2 * v->v_ckcap;
		if ((k = realloc(v->v_ckpts, cap * sizeof(*k))) == NULL)
			return ENOMEM;
		v->v_ckpts = k;
		v->v_ckcap = cap;
	}
	k = &v->v_ckpts[v->v_nckpts];
	if ((k->vk_note = malloc(len + 1)) == NULL)
		return ENOMEM;
	memcpy(k->vk_note, note, len);
	k->vk_note[len] = '\0';
	k->vk_len = len;
	k->vk_size = size;
	v->v_nckpts++;
	return 0;
}

/* FNV-1a of a producer id. */
static uint64_t
cmd_verify_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Finds (or adds) producer id; NULL without memory. */
static struct verify_prod *
cmd_verify_prod(struct verify *v, const char *id, size_t len)
{
	struct verify_prod *t, *p, *old;
	size_t i, cap, oldcap;

	if (2 * (v->v_nprods + 1) > v->v_prodcap) {
		oldcap = v->v_prodcap;
		old = v->v_prods;
		cap = oldcap == 0 ? 64 : 2 * oldcap;
		if ((t = calloc(cap, sizeof(*t))) == NULL)
			return NULL;
		for (i = 0; i < oldcap; i++) {
			if (old[i].vp_id == NULL)
				continue;
			p = &t[cmd_verify_hash(old[i].vp_id, old[i].vp_idlen) &
			    (cap - 1)];
			while (p->vp_id != NULL)
				p = p == &t[cap - 1] ? t : p + 1;
			*p = old[i];
		}
		free(old);
		v->v_prods = t;
		v->v_prodcap = cap;
	}
	p = &v->v_prods[cmd_verify_hash(id, len) & (v->v_prodcap - 1)];
	while (p->vp_id != NULL) {
		if (p->vp_idlen == len && memcmp(p->vp_id, id, len) == 0)
			return p;
		p = p == &v->v_prods[v->v_prodcap - 1] ? v->v_prods : p + 1;
	}
	if ((p->vp_id = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p->vp_id, id, len);
	p->vp_id[len] = '\0';
	p->vp_idlen = len;
	v->v_nprods++;
	return p;
}

/* Producers callback: records each stored mark. */
static int
cmd_verify_mark_one(const char *id, size_t len,
    const struct store_producer *sp, void *arg)
{
	struct verify *v = arg;
	struct verify_prod *p;

	if ((p = cmd_verify_prod(v, id, len)) == NULL)
		return ENOMEM;
	p->vp_has_mark = 1;
	p->vp_mark = *sp;
	return 0;
}

/* Forgets every producer (before a retry). */
static void
cmd_verify_prods_clear(struct verify *v)
{
	size_t i;

	for (i = 0; i < v->v_prodcap; i++)
		free(v->v_prods[i].vp_id);
	free(v->v_prods);
	v->v_prods = NULL;
	v->v_prodcap = 0;
	v->v_nprods = 0;
}

/*
 * Opens the view and reads the producer marks so that both are of the
 * same commit: the marks change only with new entries, so marks read
 * just before a view of the same log size are the view's. Retries a few
 * times if the daemon commits in between, then gives up on the marks.
 */
static int
cmd_verify_open_view(struct verify *v)
{
	struct store_info si;
	int rc, i;

	for (i = 0; i < VERIFY_RETRIES; i++) {
		cmd_verify_prods_clear(v);
		if ((rc = store_info(v->v_store, &si)) != 0 ||
		    (rc = store_producers_each(v->v_store,
		    cmd_verify_mark_one, v)) != 0 ||
		    (rc = store_view_begin(v->v_store, &v->v_view)) != 0)
			return rc;
		if (i == 0) {
			si.si_origin[sizeof(si.si_origin) - 1] = '\0';
			snprintf(v->v_origin, sizeof(v->v_origin), "%s",
			    si.si_origin);
		}
		if (store_view_size(v->v_view) == si.si_entries) {
			v->v_prods_ok = 1;
			return 0;
		}
		if (i + 1 < VERIFY_RETRIES) {
			store_view_end(v->v_view);
			v->v_view = NULL;
		}
	}
	cli_warnx("verify", "the log grew while the producer marks were "
	    "read; the marks are not checked (stop the daemon to check "
	    "them)");
	return 0;
}

/*
 * Loads the key: the --key text (a usage error if malformed; before the
 * store is opened), else the key derived from DIR/signer.key. Returns
 * 0, -ENOENT (no signer.key) or an exit status.
 */
static int
cmd_verify_key(struct verify *v, const char *key)
{
	char err[256];
	int rc;

	if (key != NULL) {
		snprintf(v->v_vkey, sizeof(v->v_vkey), "%s", key);
		v->v_keysrc = "given with --key";
	} else {
		rc = vlog_read_key(v->v_dir, "verify", v->v_vkey,
		    sizeof(v->v_vkey));
		if (rc == -ENOENT)
			return -ENOENT;
		if (rc != 0)
			return TOOLS_EXIT_FAIL;
		v->v_keysrc = "derived from the store's own signer.key";
	}
	err[0] = '\0';
	if ((rc = note_verifier_new(v->v_vkey, &v->v_nv, err,
	    sizeof(err))) != 0) {
		if (key != NULL)
			cli_usage(CMD_VERIFY_USAGE, "--key: %s%s%s",
			    note_strerror(rc), err[0] != '\0' ? ": " : "",
			    err);
		cli_warnx("verify", "%s/signer.key: %s", v->v_dir,
		    note_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	return 0;
}

/* Reads an entry in the view, unpacks it into the main arena. */
static Algaudit__V1__Entry *
cmd_verify_load(struct verify *v, uint64_t index)
{
	const void *data;
	size_t len;

	cmd_verify_arena_reset(&v->v_arena);
	if (store_view_entry(v->v_view, index, &data, &len) != 0)
		return NULL;
	return algaudit__v1__entry__unpack(&v->v_arena.va_pb, len, data);
}

/*
 * Whether the entry stored at key holds Entry.index want and hashes to
 * the tree's leaf want (a genuine entry of the log).
 */
static int
cmd_verify_genuine(struct verify *v, uint64_t key, uint64_t want)
{
	uint8_t leaf[MERKLE_HASH_LEN], tree[MERKLE_HASH_LEN];
	Algaudit__V1__Entry *e;

	if (want >= v->v_tree || key >= v->v_entries ||
	    merkle_leaf(v->v_io, want, tree) != 0 ||
	    (e = cmd_verify_load(v, key)) == NULL)
		return 0;
	if (!e->has_index || e->index != want ||
	    leaf_compute(v->v_ctx, v->v_key, e, leaf) != 0)
		return 0;
	return memcmp(leaf, tree, MERKLE_HASH_LEN) == 0;
}

/*
 * Entry g does not hash to leaf g of the tree: tells a changed entry
 * from one moved, swapped, inserted before or left after a deletion.
 */
static void
cmd_verify_classify(struct verify *v, uint64_t g, const struct verify_res *r)
{
	uint64_t j = r->vr_index;

	if (!r->vr_has_index) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "content changed: the entry has no index field", g);
		return;
	}
	if (j == g) {
		if (g + 1 < v->v_entries && cmd_verify_genuine(v, g + 1, g))
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64
			    ": entry inserted: a forged entry sits at index "
			    "%" PRIu64 " and the log's entry %" PRIu64 " "
			    "follows it at %" PRIu64, g, g, g, g + 1);
		else
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64
			    ": content changed: its leaf hash recomputed from "
			    "the stored entry differs from leaf %" PRIu64
			    " of the tree", g, g);
		return;
	}
	if (!cmd_verify_genuine(v, g, j)) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "content changed: the entry stored at index %" PRIu64
		    " says index %" PRIu64 " and matches no leaf of the tree",
		    g, g, j);
		return;
	}
	if (cmd_verify_genuine(v, j, g))
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "order changed: entries %" PRIu64 " and %" PRIu64 " are "
		    "swapped", g, g, j);
	else if (j > g)
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "entry missing: the log's entry %" PRIu64 " is gone; the "
		    "entry stored at index %" PRIu64 " is the log's entry "
		    "%" PRIu64 " (entries deleted, the rest renumbered)", g,
		    g, g, j);
	else
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "order changed: the entry stored at index %" PRIu64 " is "
		    "the log's entry %" PRIu64 " (moved, copied, or an entry "
		    "was inserted before it)", g, g, j);
}

/* Entry g is missing: a hole, or the tail is gone. */
static void
cmd_verify_missing(struct verify *v, uint64_t g)
{
	const void *data;
	size_t len;
	uint64_t last = v->v_entries > 0 ? v->v_entries - 1 : 0;

	if (last > g && store_view_entry(v->v_view, last, &data, &len) == 0) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "entry missing: no entry at index %" PRIu64 " (the log "
		    "holds entries after it)", g, g);
		return;
	}
	cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": %s: no "
	    "entries from index %" PRIu64 " on, but the tree holds %" PRIu64
	    " leaves", g, v->v_nckpts > 0 &&
	    v->v_ckpts[v->v_nckpts - 1].vk_size > g ?
	    "tail truncated below a checkpoint" : "tail truncated", g,
	    v->v_tree);
}

/* Checks checkpoint k at the current size of the rebuilt tree. */
static void
cmd_verify_ckpt(struct verify *v, const struct verify_ckpt *k)
{
	uint8_t root[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX *
	    MERKLE_HASH_LEN];
	char err[256], a[2 * MERKLE_HASH_LEN + 1], b[2 * MERKLE_HASH_LEN + 1];
	struct note_checkpoint cp;
	size_t n;
	int rc;

	err[0] = '\0';
	if ((rc = note_checkpoint_open(v->v_nv, k->vk_note, k->vk_len, &cp,
	    err, sizeof(err))) != 0) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "checkpoint at size "
		    "%" PRIu64 ": checkpoint signature invalid for key %s: "
		    "%s%s%s", k->vk_size, note_verifier_name(v->v_nv),
		    note_strerror(rc), err[0] != '\0' ? ": " : "", err);
		return;
	}
	if (cp.nc_size != k->vk_size) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "checkpoint at size "
		    "%" PRIu64 ": checkpoint root mismatch: the note stored "
		    "under size %" PRIu64 " is signed for size %" PRIu64,
		    k->vk_size, k->vk_size, cp.nc_size);
		return;
	}
	if (strcmp(cp.nc_origin, v->v_origin) != 0) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "checkpoint at size "
		    "%" PRIu64 ": checkpoint of another log: origin '%s', "
		    "the store's is '%s'", k->vk_size, cp.nc_origin,
		    v->v_origin);
		return;
	}
	merkle_compact_root(&v->v_compact, root);
	if (memcmp(root, cp.nc_root, MERKLE_HASH_LEN) != 0) {
		receipt_hex(cp.nc_root, MERKLE_HASH_LEN, a);
		receipt_hex(root, MERKLE_HASH_LEN, b);
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "checkpoint at size "
		    "%" PRIu64 ": checkpoint root mismatch: it signs root %s, "
		    "the entries 0..%" PRIu64 " give %s", k->vk_size, a,
		    k->vk_size == 0 ? 0 : k->vk_size - 1, b);
		return;
	}
	if (v->v_has_prev && v->v_prev_size > 0) {
		rc = merkle_prove_consistency(v->v_io, v->v_prev_size,
		    k->vk_size, proof, &n);
		if (rc == 0)
			rc = merkle_verify_consistency(v->v_prev_size,
			    k->vk_size, v->v_prev_root, cp.nc_root, proof, n);
		if (rc != 0) {
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "checkpoint at "
			    "size %" PRIu64 ": not consistent with the "
			    "checkpoint at size %" PRIu64 ": %s", k->vk_size,
			    v->v_prev_size, vlog_strerror(rc));
			return;
		}
	}
	v->v_has_prev = 1;
	v->v_prev_size = k->vk_size;
	memcpy(v->v_prev_root, cp.nc_root, MERKLE_HASH_LEN);
}

/* Loads level-0 tile idx of the stored tree and checks its width. */
static int
cmd_verify_tile0(struct verify *v, uint64_t idx)
{
	uint64_t want;
	int rc;

	if ((rc = v->v_io->mi_get(v->v_io->mi_arg, 0, idx,
	    &v->v_tile0[0][0], &v->v_tile0_n)) != 0) {
		cmd_verify_fail(v, TOOLS_EXIT_FAIL, "reading tile 0/%" PRIu64
		    ": %s", idx, vlog_strerror(rc));
		return -1;
	}
	want = v->v_tree - idx * MERKLE_TILE_WIDTH;
	if (want > MERKLE_TILE_WIDTH)
		want = MERKLE_TILE_WIDTH;
	if (v->v_tile0_n != want) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "tree tile corrupted: tile 0/%" PRIu64 " holds %zu leaf "
		    "hashes, a tree of %" PRIu64 " leaves needs %" PRIu64,
		    idx * MERKLE_TILE_WIDTH, idx, v->v_tile0_n, v->v_tree,
		    want);
		return -1;
	}
	v->v_tile0_idx = idx;
	v->v_tile0_loaded = 1;
	return 0;
}

/*
 * Checks hash idx of tree level 8L, recomputed from the level below,
 * against the stored tile; carries the root of each full tile upward.
 */
static void
cmd_verify_up(struct verify *v, int L, uint64_t idx, const uint8_t *hash)
{
	struct verify_level *l;
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t tile = idx / MERKLE_TILE_WIDTH, first;
	size_t pos = idx % MERKLE_TILE_WIDTH;
	int rc, s;

	if (L >= MERKLE_TILE_LEVELS || v->v_failed)
		return;
	if ((l = v->v_levels[L]) == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL) {
			cmd_verify_fail(v, TOOLS_EXIT_FAIL, "%s",
			    strerror(ENOMEM));
			return;
		}
		v->v_levels[L] = l;
	}
	if (!l->vl_loaded || l->vl_tile != tile) {
		if ((rc = v->v_io->mi_get(v->v_io->mi_arg, L, tile,
		    &l->vl_stored[0][0], &l->vl_nstored)) != 0) {
			cmd_verify_fail(v, TOOLS_EXIT_FAIL, "reading tile "
			    "%d/%" PRIu64 ": %s", L, tile, vlog_strerror(rc));
			return;
		}
		l->vl_tile = tile;
		l->vl_loaded = 1;
	}
	first = idx;
	for (s = 0; s < L; s++)
		first *= MERKLE_TILE_WIDTH;
	if (pos >= l->vl_nstored || memcmp(l->vl_stored[pos], hash,
	    MERKLE_HASH_LEN) != 0) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "tree tile corrupted: hash %zu of tile %d/%" PRIu64
		    " (the subtree of entries from %" PRIu64 ") %s", first,
		    pos, L, tile, first, pos >= l->vl_nstored ? "is missing" :
		    "differs from the one recomputed from the entries");
		return;
	}
	memcpy(l->vl_hashes[pos], hash, MERKLE_HASH_LEN);
	if (pos == MERKLE_TILE_WIDTH - 1) {
		cmd_verify_root256((const uint8_t (*)[MERKLE_HASH_LEN])
		    l->vl_hashes, root);
		cmd_verify_up(v, L + 1, tile, root);
	}
}

/* Merges one computed chunk, in log order. Returns -1 on a verdict. */
static int
cmd_verify_merge(struct verify *v, struct verify_chunk *c)
{
	const struct verify_res *r;
	struct verify_prod *p;
	uint64_t g, t;
	size_t i, b;

	if (c->vc_oom) {
		cmd_verify_fail(v, TOOLS_EXIT_FAIL, "%s", strerror(ENOMEM));
		return -1;
	}
	for (i = 0; i < c->vc_count; i++) {
		g = c->vc_first + i;
		while (v->v_cknext < v->v_nckpts &&
		    v->v_ckpts[v->v_cknext].vk_size == g) {
			cmd_verify_ckpt(v, &v->v_ckpts[v->v_cknext++]);
			if (v->v_failed)
				return -1;
		}
		r = &c->vc_res[i];
		switch (r->vr_status) {
		case VERIFY_R_MISSING:
			cmd_verify_missing(v, g);
			return -1;
		case VERIFY_R_DECODE:
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64
			    ": content changed: the stored bytes do not decode "
			    "as an Entry", g);
			return -1;
		case VERIFY_R_LEAF:
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64
			    ": content changed: no leaf can be computed: %s",
			    g, c->vc_err);
			return -1;
		default:
			break;
		}
		t = g / MERKLE_TILE_WIDTH;
		if ((!v->v_tile0_loaded || v->v_tile0_idx != t) &&
		    cmd_verify_tile0(v, t) == -1)
			return -1;
		if (!r->vr_has_index || r->vr_index != g ||
		    memcmp(r->vr_leaf, v->v_tile0[g % MERKLE_TILE_WIDTH],
		    MERKLE_HASH_LEN) != 0) {
			cmd_verify_classify(v, g, r);
			return -1;
		}
		if (r->vr_has_pid) {
			if ((p = cmd_verify_prod(v, c->vc_ids + r->vr_pid_off,
			    r->vr_pid_len)) == NULL) {
				cmd_verify_fail(v, TOOLS_EXIT_FAIL, "%s",
				    strerror(ENOMEM));
				return -1;
			}
			if (r->vr_has_seq) {
				if (p->vp_has_seq && r->vr_seq <= p->vp_seq) {
					cmd_verify_fail(v, TOOLS_EXIT_VERIFY,
					    "entry %" PRIu64 ": order changed: "
					    "producer '%s' seq %" PRIu64 " is "
					    "not above seq %" PRIu64 " of its "
					    "entry %" PRIu64, g, p->vp_id,
					    r->vr_seq, p->vp_seq, p->vp_last);
					return -1;
				}
				p->vp_seq = r->vr_seq;
				p->vp_has_seq = 1;
			}
			p->vp_count++;
			p->vp_last = g;
		}
		if (merkle_compact_push(&v->v_compact, r->vr_leaf) != 0) {
			cmd_verify_fail(v, TOOLS_EXIT_FAIL, "tree too large");
			return -1;
		}
		/*
		 * A full block of 256 leaves: check its root in the tiles
		 * now, before a checkpoint's consistency proof uses it.
		 */
		b = (i + 1) / MERKLE_TILE_WIDTH;
		if ((i + 1) % MERKLE_TILE_WIDTH == 0 && b <= c->vc_nroots) {
			cmd_verify_up(v, 1, c->vc_first / MERKLE_TILE_WIDTH +
			    b - 1, c->vc_roots[b - 1]);
			if (v->v_failed)
				return -1;
		}
	}
	return 0;
}

/* Fills chunk c with views of the entries from first on. */
static void
cmd_verify_fill(struct verify *v, struct verify_chunk *c, uint64_t first)
{
	size_t i;
	int rc;

	c->vc_first = first;
	c->vc_count = v->v_n - first < VERIFY_CHUNK ?
	    (size_t)(v->v_n - first) : VERIFY_CHUNK;
	for (i = 0; i < c->vc_count; i++) {
		rc = store_view_entry(v->v_view, first + i, &c->vc_data[i],
		    &c->vc_len[i]);
		if (rc == STORE_ENOTFOUND)
			c->vc_data[i] = NULL;
		else if (rc != 0) {
			c->vc_data[i] = NULL;
			cmd_verify_fail(v, TOOLS_EXIT_FAIL, "reading entry "
			    "%" PRIu64 ": %s", first + i, store_strerror(rc));
		}
	}
}

/* Prints progress on a terminal at most twice a second. */
static void
cmd_verify_progress(struct verify *v, uint64_t done, int last)
{
	double now, rate, eta;

	if (!v->v_tty)
		return;
	now = cmd_verify_now();
	if (!last && now - v->v_tlast < 0.5)
		return;
	v->v_tlast = now;
	if (last) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	rate = now > v->v_t0 ? (double)done / (now - v->v_t0) : 0;
	eta = rate > 0 ? (double)(v->v_n - done) / rate : 0;
	fprintf(stderr, "\r\033[Kverify: %" PRIu64 "/%" PRIu64 " entries "
	    "(%.0f%%), %.0f entries/s, ETA %.0f s", done, v->v_n,
	    v->v_n > 0 ? 100.0 * (double)done / (double)v->v_n : 100.0, rate,
	    eta);
}

/* Streams the entries through the workers and merges them in order. */
static void
cmd_verify_stream(struct verify *v)
{
	struct verify_chunk *c;
	uint64_t nchunks, merged = 0;
	size_t i;
	int rc;

	nchunks = (v->v_n + VERIFY_CHUNK - 1) / VERIFY_CHUNK;
	for (i = 0; i < VERIFY_WORKERS; i++) {
		v->v_workers[i].vw_v = v;
		if ((rc = pthread_create(&v->v_workers[i].vw_thread, NULL,
		    cmd_verify_worker, &v->v_workers[i])) != 0) {
			cmd_verify_fail(v, TOOLS_EXIT_FAIL, "starting a "
			    "thread: %s", strerror(rc));
			break;
		}
		v->v_workers[i].vw_started = 1;
	}
	while (!v->v_failed && merged < nchunks) {
		while (!v->v_failed && v->v_filled < nchunks &&
		    v->v_filled - merged < VERIFY_SLOTS) {
			c = v->v_chunks[v->v_filled % VERIFY_SLOTS];
			cmd_verify_fill(v, c, v->v_filled * VERIFY_CHUNK);
			pthread_mutex_lock(&v->v_lock);
			c->vc_state = VERIFY_S_FILLED;
			v->v_filled++;
			pthread_cond_signal(&v->v_work);
			pthread_mutex_unlock(&v->v_lock);
		}
		if (v->v_failed)
			break;
		c = v->v_chunks[merged % VERIFY_SLOTS];
		pthread_mutex_lock(&v->v_lock);
		while (c->vc_state != VERIFY_S_DONE)
			pthread_cond_wait(&v->v_done, &v->v_lock);
		pthread_mutex_unlock(&v->v_lock);
		if (cmd_verify_merge(v, c) == -1)
			break;
		c->vc_state = VERIFY_S_FREE;
		merged++;
		cmd_verify_progress(v, merged * VERIFY_CHUNK < v->v_n ?
		    merged * VERIFY_CHUNK : v->v_n, 0);
	}
	pthread_mutex_lock(&v->v_lock);
	v->v_stop = 1;
	pthread_cond_broadcast(&v->v_work);
	pthread_mutex_unlock(&v->v_lock);
	for (i = 0; i < VERIFY_WORKERS; i++)
		if (v->v_workers[i].vw_started)
			pthread_join(v->v_workers[i].vw_thread, NULL);
	cmd_verify_progress(v, v->v_n, 1);
}

/*
 * After the stream: checkpoints at the end, the sizes, the partial
 * tiles and the stored root, then the producer marks.
 */
static void
cmd_verify_finish(struct verify *v)
{
	uint8_t root[MERKLE_HASH_LEN], stored[MERKLE_HASH_LEN];
	uint8_t *buf;
	struct verify_prod *p;
	uint64_t m, last;
	size_t i, n;
	int L, rc;

	while (!v->v_failed && v->v_cknext < v->v_nckpts &&
	    v->v_ckpts[v->v_cknext].vk_size == v->v_n)
		cmd_verify_ckpt(v, &v->v_ckpts[v->v_cknext++]);
	if (v->v_failed)
		return;
	if (v->v_entries > v->v_tree) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "entry inserted: the log holds %" PRIu64 " entries but "
		    "the Merkle tree only %" PRIu64 " leaves; entries from "
		    "%" PRIu64 " on are in no tree", v->v_tree, v->v_entries,
		    v->v_tree, v->v_tree);
		return;
	}
	if (v->v_entries < v->v_tree) {
		cmd_verify_missing(v, v->v_entries);
		return;
	}
	if (v->v_cknext < v->v_nckpts) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "tail truncated below a checkpoint: the log and its tree "
		    "end at %" PRIu64 " entries but a checkpoint signs size "
		    "%" PRIu64, v->v_n, v->v_n,
		    v->v_ckpts[v->v_nckpts - 1].vk_size);
		return;
	}
	/* Partial tiles hold what the size implies, no tile lies beyond. */
	if ((buf = malloc(MERKLE_TILE_BYTES)) == NULL) {
		cmd_verify_fail(v, TOOLS_EXIT_FAIL, "%s", strerror(ENOMEM));
		return;
	}
	for (L = 0, m = v->v_tree; L < MERKLE_TILE_LEVELS && !v->v_failed;
	    L++, m /= MERKLE_TILE_WIDTH) {
		rc = 0;
		n = 0;
		last = 0;
		if (m > 0) {
			last = (m - 1) / MERKLE_TILE_WIDTH;
			rc = v->v_io->mi_get(v->v_io->mi_arg, L, last, buf,
			    &n);
			if (rc == 0 && n != m - last * MERKLE_TILE_WIDTH)
				cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry "
				    "%" PRIu64 ": tree tile corrupted: tile "
				    "%d/%" PRIu64 " holds %zu hashes, a tree "
				    "of %" PRIu64 " leaves needs %" PRIu64,
				    v->v_tree, L, last, n, v->v_tree,
				    m - last * MERKLE_TILE_WIDTH);
			last++;
		}
		if (rc == 0 && !v->v_failed)
			rc = v->v_io->mi_get(v->v_io->mi_arg, L, last, buf,
			    &n);
		if (rc != 0)
			cmd_verify_fail(v, TOOLS_EXIT_FAIL, "reading tile "
			    "%d/%" PRIu64 ": %s", L, last, vlog_strerror(rc));
		else if (n != 0)
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64
			    ": tree tile corrupted: tile %d/%" PRIu64 " lies "
			    "beyond the tree of %" PRIu64 " leaves", v->v_tree,
			    L, last, v->v_tree);
	}
	free(buf);
	if (v->v_failed)
		return;
	merkle_compact_root(&v->v_compact, root);
	if ((rc = merkle_root(v->v_io, v->v_tree, stored)) != 0 ||
	    memcmp(root, stored, MERKLE_HASH_LEN) != 0) {
		cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64 ": "
		    "tree tile corrupted: the root read from the tiles at size "
		    "%" PRIu64 " is not the rebuilt one%s%s", v->v_tree,
		    v->v_tree, rc != 0 ? ": " : "", rc != 0 ?
		    vlog_strerror(rc) : "");
		return;
	}
	if (!v->v_prods_ok)
		return;
	for (i = 0; i < v->v_prodcap; i++) {
		p = &v->v_prods[i];
		if (p->vp_id == NULL)
			continue;
		if (!p->vp_has_mark)
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64
			    ": producer mark mismatch: producer '%s' has %"
			    PRIu64 " entries but no mark", p->vp_last,
			    p->vp_id, p->vp_count);
		else if (p->vp_count != p->vp_mark.sp_entries ||
		    (p->vp_count > 0 && (!p->vp_has_seq ||
		    p->vp_seq != p->vp_mark.sp_seq)))
			cmd_verify_fail(v, TOOLS_EXIT_VERIFY, "entry %" PRIu64
			    ": producer mark mismatch: producer '%s' has %"
			    PRIu64 " entries up to seq %" PRIu64 ", its mark "
			    "says %" PRIu64 " entries up to seq %" PRIu64,
			    p->vp_last, p->vp_id, p->vp_count, p->vp_seq,
			    p->vp_mark.sp_entries, p->vp_mark.sp_seq);
	}
}

/* Allocates the chunks, the contexts and the arenas. */
static int
cmd_verify_setup(struct verify *v)
{
	size_t i;
	int rc;

	for (i = 0; i < VERIFY_SLOTS; i++)
		if ((v->v_chunks[i] = calloc(1, sizeof(*v->v_chunks[i]))) ==
		    NULL)
			return ENOMEM;
	for (i = 0; i < VERIFY_WORKERS; i++)
		if ((rc = leaf_ctx_new(&v->v_workers[i].vw_ctx)) != 0 ||
		    (rc = cmd_verify_arena_init(&v->v_workers[i].vw_arena)) !=
		    0)
			return rc;
	if ((rc = leaf_ctx_new(&v->v_ctx)) != 0 ||
	    (rc = cmd_verify_arena_init(&v->v_arena)) != 0)
		return rc;
	return 0;
}

/* Frees everything but the store. */
static void
cmd_verify_teardown(struct verify *v)
{
	size_t i;
	int L;

	for (i = 0; i < VERIFY_SLOTS; i++) {
		if (v->v_chunks[i] != NULL)
			free(v->v_chunks[i]->vc_ids);
		free(v->v_chunks[i]);
	}
	for (i = 0; i < VERIFY_WORKERS; i++) {
		leaf_ctx_free(v->v_workers[i].vw_ctx);
		cmd_verify_arena_free_all(&v->v_workers[i].vw_arena);
	}
	leaf_ctx_free(v->v_ctx);
	cmd_verify_arena_free_all(&v->v_arena);
	for (L = 0; L < MERKLE_TILE_LEVELS; L++)
		free(v->v_levels[L]);
	for (i = 0; i < v->v_nckpts; i++)
		free(v->v_ckpts[i].vk_note);
	free(v->v_ckpts);
	cmd_verify_prods_clear(v);
	note_verifier_free(v->v_nv);
	if (v->v_view != NULL)
		store_view_end(v->v_view);
	pthread_mutex_destroy(&v->v_lock);
	pthread_cond_destroy(&v->v_work);
	pthread_cond_destroy(&v->v_done);
}

/* Runs the audit on an open store; returns the exit status. */
static int
cmd_verify_run(struct verify *v)
{
	char root[2 * MERKLE_HASH_LEN + 1];
	uint8_t r[MERKLE_HASH_LEN];
	uint64_t covered;
	double secs;
	int rc;

	if ((rc = cmd_verify_setup(v)) != 0) {
		cli_warnx("verify", "%s", strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if ((rc = cmd_verify_open_view(v)) != 0) {
		cli_warnx("verify", "%s: %s", v->v_dir, store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	v->v_entries = store_view_size(v->v_view);
	v->v_tree = store_view_tree_size(v->v_view);
	v->v_n = v->v_entries < v->v_tree ? v->v_entries : v->v_tree;
	v->v_io = store_view_tree(v->v_view);
	if ((v->v_key = store_leaf_key(v->v_store)) == NULL) {
		cli_warnx("verify", "%s: the store has no leaf secret",
		    v->v_dir);
		return TOOLS_EXIT_FAIL;
	}
	if ((rc = store_view_checkpoints_each(v->v_view, cmd_verify_ckpt_one,
	    v)) != 0) {
		cli_warnx("verify", "reading the checkpoints: %s",
		    store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	rc = v->v_nv != NULL ? 0 : cmd_verify_key(v, NULL);
	if (rc == -ENOENT && v->v_nckpts > 0) {
		cli_warnx("verify", "cannot check the signatures of %zu "
		    "checkpoints: no --key and no %s/signer.key", v->v_nckpts,
		    v->v_dir);
		return TOOLS_EXIT_FAIL;
	}
	if (rc > 0)
		return rc;
	if (v->v_nv != NULL)
		printf("verify: checking signatures with %s (%s)\n",
		    v->v_vkey, v->v_keysrc);
	else
		printf("verify: no checkpoints and no key: no signature to "
		    "check\n");
	fflush(stdout);
	v->v_tty = !v->v_quiet && isatty(STDERR_FILENO);
	v->v_t0 = v->v_tlast = cmd_verify_now();
	merkle_compact_init(&v->v_compact);
	cmd_verify_stream(v);
	if (!v->v_failed)
		cmd_verify_finish(v);
	secs = cmd_verify_now() - v->v_t0;
	if (v->v_failed) {
		cli_warnx("verify", "%s: %s%s", v->v_dir, v->v_failed ==
		    TOOLS_EXIT_VERIFY ? "FAILED: " : "", v->v_msg);
		return v->v_failed;
	}
	merkle_compact_root(&v->v_compact, r);
	receipt_hex(r, MERKLE_HASH_LEN, root);
	printf("verify: OK: %" PRIu64 " entries, tree root %s, %zu "
	    "checkpoints%s, %zu producers%s\n", v->v_n, root, v->v_nckpts,
	    v->v_nckpts > 0 ? " with valid signatures" : "", v->v_nprods,
	    v->v_prods_ok ? " with matching marks" : " (marks not checked)");
	/*
	 * What the OK does not cover (found in review): entries past the
	 * newest checkpoint are bound by nothing signed yet, and a key
	 * taken from the store itself proves nothing against the operator.
	 */
	covered = v->v_nckpts > 0 ? v->v_ckpts[v->v_nckpts - 1].vk_size : 0;
	if (covered < v->v_n)
		printf("verify: note: entries %" PRIu64 "..%" PRIu64 " are "
		    "covered by no signed checkpoint yet\n", covered,
		    v->v_n - 1);
	if (v->v_nv != NULL && strcmp(v->v_keysrc, "given with --key") != 0)
		printf("verify: note: the key came from the store itself; "
		    "a third party should pass the log's published verifier "
		    "key with --key\n");
	printf("verify: %" PRIu64 " entries in %.3f s: %.0f entries/s\n",
	    v->v_n, secs, secs > 0 ? (double)v->v_n / secs : 0.0);
	return fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
}

/* algaudit verify: parses the options, opens the store, audits it. */
int
cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct verify *v;
	const char *key = NULL;
	int c, rc, ex;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		cli_warnx("verify", "%s", strerror(ENOMEM));
		return TOOLS_EXIT_FAIL;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hq", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			v->v_dir = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'q':
			v->v_quiet = 1;
			break;
		case 'h':
			cli_help(CMD_VERIFY_USAGE, cmd_verify_help);
		default:
			cli_bad_option(CMD_VERIFY_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_VERIFY_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (v->v_dir == NULL)
		cli_usage(CMD_VERIFY_USAGE, "--store: required");
	pthread_mutex_init(&v->v_lock, NULL);
	pthread_cond_init(&v->v_work, NULL);
	pthread_cond_init(&v->v_done, NULL);
	if (key != NULL && cmd_verify_key(v, key) != 0)
		ex = TOOLS_EXIT_FAIL;
	else if ((rc = store_open(&v->v_store, v->v_dir, STORE_RDONLY, NULL)) !=
	    0) {
		cli_warnx("verify", "%s: %s", v->v_dir, store_strerror(rc));
		ex = TOOLS_EXIT_FAIL;
	} else
		ex = cmd_verify_run(v);
	cmd_verify_teardown(v);
	store_close(v->v_store);
	free(v);
	return ex;
}
