/* SPDX-License-Identifier: ISC */
/*
 * index.c: the store's secondary indexes (index.h has the layout and
 * the contract, docs/FORMAT.md the bytes). The writer gathers each
 * entry's postings in memory, grouped by (index, block, term) in a hash
 * table, and writes them at the commit as chunks: one put per group and
 * commit rather than one per entry and index. The zones of the block
 * and of the time zone being written are kept in memory too and written
 * when the writer moves on and at the commit.
 *
 * Meta keys: index_bits (u32 BE), index_from (u64 BE: entries below
 * are not indexed; UINT64_MAX while a reindex runs), index_labels (the
 * declared label keys, each as u16 BE length || bytes). A writer that
 * opens a store without them (a new store, or one written before the
 * indexes existed) creates the databases and records bits 16, no
 * labels, and index_from = its entry count: such a store answers
 * queries only after `algaudit reindex`. Creating them moves the
 * store's format to 2, so that an older writer, which would append
 * entries without their index keys, refuses the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include <openssl/evp.h>

#include "index.h"
#include "record.h"
#include "store.h"
#include "store_impl.h"

#define INDEX_REINDEX_BATCH	100000
#define INDEX_SLOTS_MIN		1024
#define INDEX_SLOTS_KEEP	65536	/* larger tables are freed when
					   mostly unused */

/* The zone of a block or time zone being written: its time range. */
struct index_zone {
	uint64_t	 iz_key;	/* block, or index >> TZONE_BITS */
	int		 iz_valid;	/* loaded */
	int		 iz_dirty;	/* changed since loaded */
	uint64_t	 iz_entries;	/* entries in it */
	uint64_t	 iz_timed;	/* of them with an event time */
	int64_t		 iz_min_ns;
	int64_t		 iz_max_ns;
};

/* The postings of one (index, block, term) in the transaction. */
struct index_group {
	uint64_t	 ig_hash;
	uint32_t	 ig_kind;
	uint32_t	 ig_plen;	/* bytes of block || term */
	size_t		 ig_prefix;	/* where they are in it_arena */
	size_t		 ig_head;	/* first posting in it_posts */
	size_t		 ig_tail;	/* last posting */
};

/* One posting: a log index and the next of its group (0: none). */
struct index_post {
	uint64_t	 ip_index;
	size_t		 ip_next;	/* position + 1 */
};

/* What the write transaction adds to the indexes, until its commit. */
struct index_txn {
	struct index_group	*it_groups;
	size_t			 it_ngroups;
	size_t			 it_groupcap;
	uint32_t		*it_slots;	/* group + 1; 0: empty */
	size_t			 it_nslots;	/* a power of 2 */
	uint8_t			*it_arena;	/* group prefixes */
	size_t			 it_alen;
	size_t			 it_acap;
	struct index_post	*it_posts;
	size_t			 it_nposts;
	size_t			 it_postcap;
	struct index_zone	 it_zone;	/* the block's */
	struct index_zone	 it_tzone;	/* the time zone's */
	int			 it_merged_valid;
	uint64_t		 it_merged;	/* meta index_merged, txn's */
	uint64_t		 it_added;	/* store_index_add() calls */
};

/* One small block of level 0 being merged: its cursor and head chunk. */
struct index_run {
	MDB_cursor	*ir_cur;
	int		 ir_live;	/* the head is valid */
	uint8_t		 ir_key[INDEX_KEY_MAX];
	size_t		 ir_klen;
	uint8_t		 ir_val[(INDEX_CHUNK_MAX - 1) * 4];
	size_t		 ir_vlen;
};

static const char *const index_names[INDEX_NKINDS] = {
	"algorithm", "version", "subject", "decision", "trace",
	"decision_id", "class", "producer", "label"
};

/* LMDB database names, "ix_" + the index's name. */
static const char *const index_dbnames[INDEX_NKINDS] = {
	"ix_algorithm", "ix_version", "ix_subject", "ix_decision", "ix_trace", "ix_decision_id", "ix_class",
	"ix_producer", "ix_label"
};

/* Name of an index. */
const char *
index_kind_name(enum index_kind kind)
{
	if ((int)kind < 0 || kind >= INDEX_NKINDS)
		return NULL;
	return index_names[kind];
}

/* Writes a u16 BE length and the bytes; returns the bytes written. */
static size_t
index_put_bytes(uint8_t *p, const char *s, size_t len)
{
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, s, len);
	return len + 2;
}

/* Term of a string field: u16 len || bytes; 0 if NULL, empty or long. */
size_t
index_term_string(uint8_t *buf, const char *s)
{
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len + 2 > INDEX_TERM_MAX)
		return 0;
	return index_put_bytes(buf, s, len);
}

/* Term of an algorithm version: id, then version (NULL: empty). */
size_t
index_term_version(uint8_t *buf, const char *id, const char *version)
{
	size_t n, vlen;

	if ((n = index_term_string(buf, id)) == 0)
		return 0;
	vlen = version != NULL ? strlen(version) : 0;
	if (n + 2 + vlen > INDEX_TERM_MAX)
		return 0;
	return n + index_put_bytes(buf + n, version != NULL ? version : "",
	    vlen);
}

/* Term of an event time: the u64 with the sign bit flipped. */
size_t
index_term_time(uint8_t *buf, int64_t ns)
{
	store_put64(buf, (uint64_t)ns ^ (UINT64_C(1) << 63));
	return 8;
}

/* Decodes a time term. */
int64_t
index_term_time_decode(const uint8_t *p)
{
	return (int64_t)(store_get64(p) ^ (UINT64_C(1) << 63));
}

/* Term of a data class: one byte, 1 to 3; 0 (no term) otherwise. */
size_t
index_term_class(uint8_t *buf, int cls)
{
	if (cls < ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY ||
	    cls > ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE)
		return 0;
	buf[0] = (uint8_t)cls;
	return 1;
}

/* Term of a label: key, then value (NULL: empty). */
size_t
index_term_label(uint8_t *buf, const char *key, const char *value)
{
	return index_term_version(buf, key, value);
}

/* Decodes the meta index_labels value into info. */
static int
index_labels_decode(const MDB_val *v, struct index_info *info)
{
	const uint8_t *p = v->mv_data;
	size_t off = 0, len;

	info->ii_nlabels = 0;
	while (off < v->mv_size) {
		if (v->mv_size - off < 2 ||
		    info->ii_nlabels == INDEX_LABELS_MAX)
			return STORE_ECORRUPT;
		len = (size_t)p[off] << 8 | p[off + 1];
		off += 2;
		if (len == 0 || len > RECORD_MAX_NAME || v->mv_size - off < len)
			return STORE_ECORRUPT;
		memcpy(info->ii_labels[info->ii_nlabels], p + off, len);
		info->ii_labels[info->ii_nlabels][len] = '\0';
		info->ii_nlabels++;
		off += len;
	}
	return 0;
}

/* Reads the index meta keys of txn into info. */
int
store_index_info_txn(struct store *s, MDB_txn *txn, struct index_info *info)
{
	MDB_val v;
	int rc;

	memset(info, 0, sizeof(*info));
	if (!s->s_ix_dbs)
		return 0;
	if ((rc = store_meta_get(s, txn, "index_bits", &v)) != 0)
		return rc == STORE_ENOTFOUND ? 0 : rc;
	if (v.mv_size != 4)
		return STORE_ECORRUPT;
	info->ii_bits = store_get32(v.mv_data);
	if (info->ii_bits < INDEX_BITS_MIN || (info->ii_bits > INDEX_BITS_MAX &&
	    info->ii_bits != INDEX_BITS_PLAIN))
		return STORE_ECORRUPT;
	if ((rc = store_meta_get(s, txn, "index_from", &v)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	if (v.mv_size != 8)
		return STORE_ECORRUPT;
	info->ii_from = store_get64(v.mv_data);
	if ((rc = store_meta_get(s, txn, "index_merged", &v)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	if (v.mv_size != 8)
		return STORE_ECORRUPT;
	info->ii_merged = store_get64(v.mv_data);
	if ((rc = store_meta_get(s, txn, "index_labels", &v)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	if ((rc = index_labels_decode(&v, info)) != 0)
		return rc;
	info->ii_present = 1;
	return 0;
}

/* Writes the index meta keys of info in txn; returns an LMDB code. */
static int
index_info_put(struct store *s, MDB_txn *txn, const struct index_info *info)
{
	uint8_t bits[4], from[8], merged[8];
	uint8_t labels[INDEX_LABELS_MAX * (RECORD_MAX_NAME + 2)];
	size_t i, n = 0;
	int rc;

	store_put32(bits, info->ii_bits);
	store_put64(from, info->ii_from);
	store_put64(merged, info->ii_merged);
	for (i = 0; i < info->ii_nlabels; i++)
		n += index_put_bytes(labels + n, info->ii_labels[i],
		    strlen(info->ii_labels[i]));
	if ((rc = store_meta_put(s, txn, "index_bits", bits,
	    sizeof(bits))) != 0 ||
	    (rc = store_meta_put(s, txn, "index_from", from,
	    sizeof(from))) != 0 ||
	    (rc = store_meta_put(s, txn, "index_merged", merged,
	    sizeof(merged))) != 0)
		return rc;
	return store_meta_put(s, txn, "index_labels", labels, n);
}

/*
 * Opens the index databases in txn at store_open(). A writer creates
 * them (and their meta keys) when absent; a reader of a store without
 * them has none (queries say to reindex).
 */
int
store_index_open(struct store *s, MDB_txn *txn, int writer, uint64_t entries)
{
	struct index_info info;
	uint8_t fmt[4];
	unsigned int flags = writer ? MDB_CREATE : 0;
	size_t i;
	int rc;

	for (i = 0; i < INDEX_NKINDS; i++) {
		rc = mdb_dbi_open(txn, index_dbnames[i], flags, &s->s_ix[i]);
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = mdb_dbi_open(txn, "ix_zones", flags, &s->s_ix_zones);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "ix_tzones", flags, &s->s_ix_tzones);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "ix_recent0", flags,
		    &s->s_ix_recent[0]);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "ix_recent1", flags,
		    &s->s_ix_recent[1]);
	if (rc == MDB_NOTFOUND && !writer)
		return 0;
	if (rc == MDB_INCOMPATIBLE)
		return STORE_EFORMAT;
	if (rc != 0)
		return store_mdb_err(s, rc);
	s->s_ix_dbs = 1;
	rc = store_index_info_txn(s, txn, &info);
	if (rc == STORE_ECORRUPT) {
		/*
		 * The indexes are a cache: damage in their meta keys must
		 * not lock anybody out of the log. Readers get the error
		 * from queries; a writer starts over, flagged for reindex.
		 */
		if (!writer)
			return 0;
		memset(&info, 0, sizeof(info));
		info.ii_present = 1;
		info.ii_bits = INDEX_BITS_DEFAULT;
		info.ii_from = UINT64_MAX;
		if ((rc = index_info_put(s, txn, &info)) != 0)
			return store_mdb_err(s, rc);
	} else if (rc != 0)
		return rc;
	if (!info.ii_present && writer) {
		info.ii_present = 1;
		info.ii_bits = INDEX_BITS_DEFAULT;
		info.ii_from = entries;
		info.ii_merged = entries >> INDEX_BITS_DEFAULT;
		info.ii_nlabels = 0;
		store_put32(fmt, STORE_FORMAT_VERSION);
		if ((rc = index_info_put(s, txn, &info)) != 0 ||
		    (rc = store_meta_put(s, txn, "format", fmt,
		    sizeof(fmt))) != 0)
			return store_mdb_err(s, rc);
	}
	if (writer)
		s->s_ix_info = info;
	return 0;
}

/* Reads how the store is indexed, committed state. */
int
store_index_info(struct store *s, struct index_info *info)
{
	MDB_txn *txn;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = store_rd_begin(s, &txn)) != 0)
		return rc;
	rc = store_index_info_txn(s, txn, info);
	store_rd_end(s, txn);
	return rc;
}

/* Encodes a zone value. */
static void
index_zone_encode(uint8_t *p, const struct index_zone *z)
{
	store_put64(p, z->iz_entries);
	store_put64(p + 8, z->iz_timed);
	index_term_time(p + 16, z->iz_min_ns);
	index_term_time(p + 24, z->iz_max_ns);
}

/* Encodes a zone key: u32 BE for a block, u64 BE for a time zone. */
static size_t
index_zone_key(uint8_t *kb, int tzone, uint64_t key)
{
	if (tzone) {
		store_put64(kb, key);
		return 8;
	}
	store_put32(kb, (uint32_t)key);
	return 4;
}

/* Writes zone z if it changed; returns an LMDB code. */
static int
index_zone_flush(struct store *s, struct index_zone *z, int tzone)
{
	uint8_t kb[8], vb[INDEX_ZONE_LEN];
	MDB_val k, v;
	int rc;

	if (!z->iz_valid || !z->iz_dirty)
		return 0;
	k.mv_size = index_zone_key(kb, tzone, z->iz_key);
	k.mv_data = kb;
	index_zone_encode(vb, z);
	v.mv_size = sizeof(vb);
	v.mv_data = vb;
	if ((rc = mdb_put(s->s_txn, tzone ? s->s_ix_tzones : s->s_ix_zones,
	    &k, &v, 0)) != 0)
		return rc;
	z->iz_dirty = 0;
	return 0;
}

/*
 * Makes z the zone of key (a block, or a time zone when tzone), writing
 * the previous one and loading key's from the transaction. Returns an
 * LMDB code.
 */
static int
index_zone_load(struct store *s, struct index_zone *z, int tzone,
    uint64_t key)
{
	uint8_t kb[8];
	const uint8_t *p;
	MDB_val k, v;
	int rc;

	if (z->iz_valid && z->iz_key == key)
		return 0;
	if ((rc = index_zone_flush(s, z, tzone)) != 0)
		return rc;
	memset(z, 0, sizeof(*z));
	k.mv_size = index_zone_key(kb, tzone, key);
	k.mv_data = kb;
	rc = mdb_get(s->s_txn, tzone ? s->s_ix_tzones : s->s_ix_zones, &k,
	    &v);
	if (rc == 0) {
		if (v.mv_size != INDEX_ZONE_LEN)
			return MDB_CORRUPTED;
		p = v.mv_data;
		z->iz_entries = store_get64(p);
		z->iz_timed = store_get64(p + 8);
		z->iz_min_ns = index_term_time_decode(p + 16);
		z->iz_max_ns = index_term_time_decode(p + 24);
	} else if (rc != MDB_NOTFOUND)
		return rc;
	z->iz_key = key;
	z->iz_valid = 1;
	return 0;
}

/* Counts one entry (with its event time, if has_time) in zone z. */
static void
index_zone_add(struct index_zone *z, int has_time, int64_t ns)
{
	z->iz_entries++;
	z->iz_dirty = 1;
	if (!has_time)
		return;
	if (z->iz_timed == 0 || ns < z->iz_min_ns)
		z->iz_min_ns = ns;
	if (z->iz_timed == 0 || ns > z->iz_max_ns)
		z->iz_max_ns = ns;
	z->iz_timed++;
}

/* Forgets the pending postings (kept allocations) and, if zones, the
 * zones: the transaction that made them is committed or gone. */
static void
index_txn_clear(struct index_txn *t, int zones)
{
	if (t->it_nslots > INDEX_SLOTS_KEEP &&
	    t->it_ngroups * 8 < t->it_nslots) {
		/* One big commit must not tax every later one. */
		free(t->it_slots);
		t->it_slots = NULL;
		t->it_nslots = 0;
	} else if (t->it_ngroups > 0)
		memset(t->it_slots, 0, t->it_nslots * sizeof(*t->it_slots));
	t->it_ngroups = 0;
	t->it_alen = 0;
	t->it_nposts = 0;
	if (zones) {
		memset(&t->it_zone, 0, sizeof(t->it_zone));
		memset(&t->it_tzone, 0, sizeof(t->it_tzone));
		t->it_merged_valid = 0;
		t->it_added = 0;
	}
}

/* Frees the writer's pending state at store_close(). */
void
store_index_close(struct store *s)
{
	struct index_txn *t = s->s_ix_txn;

	if (t == NULL)
		return;
	free(t->it_groups);
	free(t->it_slots);
	free(t->it_arena);
	free(t->it_posts);
	free(t);
	s->s_ix_txn = NULL;
}

/* Forgets what an aborted transaction added. */
void
store_index_reset(struct store *s)
{
	if (s->s_ix_txn != NULL)
		index_txn_clear(s->s_ix_txn, 1);
}

/* Grows *arr (of *cap elements of size) to hold want; 0 or ENOMEM. */
static int
index_reserve(void **arr, size_t *cap, size_t want, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *na;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	if ((na = reallocarray(*arr, n, size)) == NULL)
		return ENOMEM;
	*arr = na;
	*cap = n;
	return 0;
}

/* Which level 0 database a key (kind || small block || ...) is in. */
static int
index_l0_db(const uint8_t *key)
{
	return (int)((store_get32(key + 1) >> INDEX_L0_SHIFT) & 1);
}

/* Writes one group's postings as chunks; returns an LMDB code. */
static int
index_group_write(struct store *s, const struct index_group *g,
    MDB_cursor **curs)
{
	struct index_txn *t = s->s_ix_txn;
	uint8_t key[INDEX_KEY_MAX], val[(INDEX_CHUNK_MAX - 1) * 4];
	const struct index_post *p;
	uint64_t first;
	size_t at = g->ig_head, n;
	MDB_val k, v;
	int rc;

	memcpy(key, t->it_arena + g->ig_prefix, g->ig_plen);
	while (at != 0) {
		p = &t->it_posts[at - 1];
		first = p->ip_index;
		store_put64(key + g->ig_plen, first);
		for (n = 0, at = p->ip_next; at != 0 &&
		    n < INDEX_CHUNK_MAX - 1; n++, at = p->ip_next) {
			p = &t->it_posts[at - 1];
			store_put32(val + 4 * n, (uint32_t)(p->ip_index -
			    first));
		}
		k.mv_size = g->ig_plen + 8;
		k.mv_data = key;
		v.mv_size = 4 * n;
		v.mv_data = val;
		if ((rc = mdb_cursor_put(curs[index_l0_db(key)], &k, &v,
		    0)) != 0)
			return rc;
	}
	return 0;
}

/* Writes the pending postings to level 0; returns an LMDB code. */
static int
index_groups_write(struct store *s)
{
	struct index_txn *t = s->s_ix_txn;
	MDB_cursor *curs[2] = { NULL, NULL };
	size_t i;
	int rc = 0;

	if (t->it_ngroups == 0)
		return 0;
	if ((rc = mdb_cursor_open(s->s_txn, s->s_ix_recent[0],
	    &curs[0])) != 0 || (rc = mdb_cursor_open(s->s_txn,
	    s->s_ix_recent[1], &curs[1])) != 0)
		goto out;
	for (i = 0; i < t->it_ngroups && rc == 0; i++)
		rc = index_group_write(s, &t->it_groups[i], curs);
	if (rc == 0)
		index_txn_clear(t, 0);
out:
	if (curs[0] != NULL)
		mdb_cursor_close(curs[0]);
	if (curs[1] != NULL)
		mdb_cursor_close(curs[1]);
	return rc;
}

/* Writes meta index_merged; returns an LMDB code. */
static int
index_merged_put(struct store *s, uint64_t merged)
{
	uint8_t b[8];

	store_put64(b, merged);
	return store_meta_put(s, s->s_txn, "index_merged", b, sizeof(b));
}

/*
 * Records in meta that the entries below next are not all indexed (an
 * entry was appended without store_index_add()): queries then refuse
 * the store until a reindex, rather than miss entries. Returns an LMDB
 * code.
 */
static int
index_mark_incomplete(struct store *s, uint64_t next)
{
	uint8_t b[8];
	MDB_val v;
	int rc;

	rc = store_meta_get(s, s->s_txn, "index_from", &v);
	if (rc != 0 && rc != STORE_ENOTFOUND)
		return rc;
	if (rc == 0 && v.mv_size == 8 && store_get64(v.mv_data) >= next)
		return 0;	/* already (a reindex runs: UINT64_MAX) */
	store_put64(b, next);
	if ((rc = store_meta_put(s, s->s_txn, "index_from", b,
	    sizeof(b))) != 0)
		return rc;
	s->s_ix_info.ii_from = next;
	return 0;
}

/* Writes the transaction's postings and zones; returns an LMDB code. */
int
store_index_flush(struct store *s)
{
	struct index_txn *t = s->s_ix_txn;
	uint64_t added = t != NULL ? t->it_added : 0;
	int rc;

	if (s->s_ix_dbs && added != s->s_next - s->s_txn_next &&
	    (rc = index_mark_incomplete(s, s->s_next)) != 0)
		return rc;
	if (t == NULL)
		return 0;
	if ((rc = index_zone_flush(s, &t->it_zone, 0)) != 0 ||
	    (rc = index_zone_flush(s, &t->it_tzone, 1)) != 0 ||
	    (rc = index_groups_write(s)) != 0)
		return rc;
	t->it_added = 0;
	return 0;
}

/* FNV-1a over the kind and the prefix. */
static uint64_t
index_hash(uint32_t kind, const uint8_t *p, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037) ^ kind;
	size_t i;

	h *= UINT64_C(1099511628211);
	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* Doubles the slot table (or makes the first); returns 0 or ENOMEM. */
static int
index_slots_grow(struct index_txn *t)
{
	size_t n = t->it_nslots ? t->it_nslots * 2 : INDEX_SLOTS_MIN, i, j;
	uint32_t *slots;

	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return ENOMEM;
	for (i = 0; i < t->it_ngroups; i++) {
		j = (size_t)t->it_groups[i].ig_hash & (n - 1);
		while (slots[j] != 0)
			j = (j + 1) & (n - 1);
		slots[j] = (uint32_t)(i + 1);
	}
	free(t->it_slots);
	t->it_slots = slots;
	t->it_nslots = n;
	return 0;
}

/*
 * Adds the posting of index under term in index kind; kb is the small
 * block (u32 BE). 0 or ENOMEM.
 */
static int
index_post(struct index_txn *t, uint32_t kind, const uint8_t *kb,
    const uint8_t *term, size_t tlen, uint64_t index)
{
	struct index_group *g;
	struct index_post *p;
	uint8_t prefix[1 + INDEX_BLOCK_LEN + INDEX_TERM_MAX];
	size_t plen = 1 + INDEX_BLOCK_LEN + tlen, j;
	uint64_t h;
	uint32_t slot;

	if (tlen == 0)
		return 0;	/* the entry has no such field */
	prefix[0] = (uint8_t)kind;
	memcpy(prefix + 1, kb, INDEX_BLOCK_LEN);
	memcpy(prefix + 1 + INDEX_BLOCK_LEN, term, tlen);
	h = index_hash(kind, prefix, plen);
	if ((t->it_ngroups + 1) * 2 > t->it_nslots &&
	    index_slots_grow(t) != 0)
		return ENOMEM;
	if (index_reserve((void **)&t->it_posts, &t->it_postcap,
	    t->it_nposts + 1, sizeof(*t->it_posts)) != 0)
		return ENOMEM;
	p = &t->it_posts[t->it_nposts++];
	p->ip_index = index;
	p->ip_next = 0;
	for (j = (size_t)h & (t->it_nslots - 1); (slot = t->it_slots[j]) != 0;
	    j = (j + 1) & (t->it_nslots - 1)) {
		g = &t->it_groups[slot - 1];
		if (g->ig_hash == h && g->ig_kind == kind &&
		    g->ig_plen == plen &&
		    memcmp(t->it_arena + g->ig_prefix, prefix, plen) == 0) {
			t->it_posts[g->ig_tail - 1].ip_next = t->it_nposts;
			g->ig_tail = t->it_nposts;
			return 0;
		}
	}
	if (index_reserve((void **)&t->it_groups, &t->it_groupcap,
	    t->it_ngroups + 1, sizeof(*t->it_groups)) != 0 ||
	    index_reserve((void **)&t->it_arena, &t->it_acap,
	    t->it_alen + plen, 1) != 0) {
		t->it_nposts--;
		return ENOMEM;
	}
	g = &t->it_groups[t->it_ngroups++];
	g->ig_hash = h;
	g->ig_kind = kind;
	g->ig_plen = (uint32_t)plen;
	g->ig_prefix = t->it_alen;
	g->ig_head = g->ig_tail = t->it_nposts;
	memcpy(t->it_arena + t->it_alen, prefix, plen);
	t->it_alen += plen;
	t->it_slots[j] = (uint32_t)t->it_ngroups;
	return 0;
}

/* Whether label key is declared indexable in info. */
static int
index_label_declared(const struct index_info *info, const char *key)
{
	size_t i;

	for (i = 0; i < info->ii_nlabels; i++)
		if (strcmp(info->ii_labels[i], key) == 0)
			return 1;
	return 0;
}

/* The small block bits of level 0 for big block bits. */
static unsigned
index_l0_bits(unsigned bits)
{
	return bits >= INDEX_BITS_PLAIN ? bits : bits - INDEX_L0_SHIFT;
}

/* Orders the terms of two level 0 keys (kind || block || term || idx). */
static int
index_term_cmp(const struct index_run *a, const struct index_run *b)
{
	size_t la = a->ir_klen - 1 - INDEX_BLOCK_LEN - 8;
	size_t lb = b->ir_klen - 1 - INDEX_BLOCK_LEN - 8;
	int c;

	c = memcmp(a->ir_key + 1 + INDEX_BLOCK_LEN,
	    b->ir_key + 1 + INDEX_BLOCK_LEN, la < lb ? la : lb);
	if (c != 0)
		return c;
	return la < lb ? -1 : la > lb;
}

/*
 * Reads the run's chunk at the cursor (op: MDB_SET_RANGE from prefix,
 * or MDB_NEXT) into its head, if it is still of prefix (kind || small
 * block, 5 bytes). Returns an LMDB code.
 */
static int
index_run_read(struct index_run *r, const uint8_t *prefix, MDB_cursor_op op)
{
	MDB_val k, v;
	int rc;

	r->ir_live = 0;
	if (op == MDB_SET_RANGE) {
		k.mv_size = 1 + INDEX_BLOCK_LEN;
		k.mv_data = (void *)(uintptr_t)prefix;
	}
	rc = mdb_cursor_get(r->ir_cur, &k, &v, op);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (k.mv_size < 1 + INDEX_BLOCK_LEN ||
	    memcmp(k.mv_data, prefix, 1 + INDEX_BLOCK_LEN) != 0)
		return 0;	/* past the run */
	if (k.mv_size < 1 + INDEX_BLOCK_LEN + 8 ||
	    k.mv_size > sizeof(r->ir_key) || v.mv_size > sizeof(r->ir_val) ||
	    v.mv_size % 4 != 0)
		return MDB_CORRUPTED;
	memcpy(r->ir_key, k.mv_data, k.mv_size);
	r->ir_klen = k.mv_size;
	memcpy(r->ir_val, v.mv_data, v.mv_size);
	r->ir_vlen = v.mv_size;
	r->ir_live = 1;
	return 0;
}

/* Whether run a's head goes before run b's: by term, then run order. */
static int
index_run_before(const struct index_run *runs, size_t a, size_t b)
{
	int c = index_term_cmp(&runs[a], &runs[b]);

	return c < 0 || (c == 0 && a < b);
}

/* Restores the min-heap of run numbers h (n of them) below slot i. */
static void
index_heap_down(const struct index_run *runs, size_t *h, size_t n, size_t i)
{
	size_t l, m, tmp;

	for (;;) {
		m = i;
		l = 2 * i + 1;
		if (l < n && index_run_before(runs, h[l], h[m]))
			m = l;
		if (l + 1 < n && index_run_before(runs, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

/* The merge's output: one chunk of one term being filled. */
struct index_out {
	uint8_t		 io_key[INDEX_KEY_MAX];	/* big block || term || */
	size_t		 io_plen;
	uint64_t	 io_idx[INDEX_CHUNK_MAX];
	size_t		 io_n;
};

/* Appends the output chunk to level 1 (cursor out); an LMDB code. */
static int
index_out_write(MDB_cursor *out, struct index_out *o)
{
	uint8_t val[(INDEX_CHUNK_MAX - 1) * 4];
	MDB_val k, v;
	size_t i;

	if (o->io_n == 0)
		return 0;
	store_put64(o->io_key + o->io_plen, o->io_idx[0]);
	for (i = 1; i < o->io_n; i++)
		store_put32(val + 4 * (i - 1),
		    (uint32_t)(o->io_idx[i] - o->io_idx[0]));
	k.mv_size = o->io_plen + 8;
	k.mv_data = o->io_key;
	v.mv_size = 4 * (o->io_n - 1);
	v.mv_data = val;
	o->io_n = 0;
	return mdb_cursor_put(out, &k, &v, MDB_APPEND);
}

/*
 * Merges the level 0 postings of kind in big block b (its small blocks,
 * each sorted by term then index) into level 1, in key order.
 */
static int
index_merge_kind(struct store *s, uint32_t kind, uint64_t b,
    struct index_run *runs, struct index_out *o)
{
	MDB_cursor *out;
	const struct index_run *r;
	uint8_t prefix[1 + INDEX_BLOCK_LEN];
	uint64_t first;
	size_t heap[(size_t)1 << INDEX_L0_SHIFT], nheap = 0;
	size_t nruns = (size_t)1 << INDEX_L0_SHIFT, i, best, tlen, n;
	int rc = 0;

	for (i = 0; i < nruns; i++) {
		prefix[0] = (uint8_t)kind;
		store_put32(prefix + 1, (uint32_t)((b << INDEX_L0_SHIFT) + i));
		if ((rc = index_run_read(&runs[i], prefix, MDB_SET_RANGE)) != 0)
			return rc;
		if (runs[i].ir_live)
			heap[nheap++] = i;
	}
	for (i = nheap / 2; i-- > 0;)
		index_heap_down(runs, heap, nheap, i);
	if ((rc = mdb_cursor_open(s->s_txn, s->s_ix[kind], &out)) != 0)
		return rc;
	o->io_n = 0;
	o->io_plen = 0;
	while (nheap > 0) {
		best = heap[0];
		r = &runs[best];
		tlen = r->ir_klen - 1 - INDEX_BLOCK_LEN - 8;
		if (o->io_plen != INDEX_BLOCK_LEN + tlen ||
		    memcmp(o->io_key + INDEX_BLOCK_LEN, r->ir_key + 1 +
		    INDEX_BLOCK_LEN, tlen) != 0) {
			if ((rc = index_out_write(out, o)) != 0)
				break;
			store_put32(o->io_key, (uint32_t)b);
			memcpy(o->io_key + INDEX_BLOCK_LEN, r->ir_key + 1 +
			    INDEX_BLOCK_LEN, tlen);
			o->io_plen = INDEX_BLOCK_LEN + tlen;
		}
		first = store_get64(r->ir_key + r->ir_klen - 8);
		for (n = 0; n <= r->ir_vlen / 4 && rc == 0; n++) {
			if (o->io_n == INDEX_CHUNK_MAX)
				rc = index_out_write(out, o);
			o->io_idx[o->io_n++] = n == 0 ? first :
			    first + store_get32(r->ir_val + 4 * (n - 1));
		}
		prefix[0] = (uint8_t)kind;
		store_put32(prefix + 1, (uint32_t)((b << INDEX_L0_SHIFT) +
		    best));
		if (rc != 0 || (rc = index_run_read(&runs[best], prefix,
		    MDB_NEXT)) != 0)
			break;
		if (!runs[best].ir_live)
			heap[0] = heap[--nheap];
		index_heap_down(runs, heap, nheap, 0);
	}
	if (rc == 0)
		rc = index_out_write(out, o);
	mdb_cursor_close(out);
	return rc;
}

/*
 * Merges big block b from level 0 into level 1 and empties its level 0
 * database (which holds nothing else: b - 2 was merged before b - 1
 * began, b + 1 goes to the other one). Returns an LMDB code or errno.
 */
static int
index_merge(struct store *s, uint64_t b)
{
	MDB_dbi l0 = s->s_ix_recent[b & 1];
	struct index_run *runs;
	struct index_out *o;
	size_t nruns = (size_t)1 << INDEX_L0_SHIFT, i;
	uint32_t kind;
	int rc = 0;

	runs = calloc(nruns, sizeof(*runs));
	o = malloc(sizeof(*o));
	if (runs == NULL || o == NULL) {
		rc = ENOMEM;
		goto out;
	}
	for (i = 0; i < nruns; i++)
		if ((rc = mdb_cursor_open(s->s_txn, l0,
		    &runs[i].ir_cur)) != 0)
			goto out;
	for (kind = 0; kind < INDEX_NKINDS && rc == 0; kind++)
		rc = index_merge_kind(s, kind, b, runs, o);
out:
	for (i = 0; runs != NULL && i < nruns; i++)
		if (runs[i].ir_cur != NULL)
			mdb_cursor_close(runs[i].ir_cur);
	free(runs);
	free(o);
	if (rc == 0)
		rc = mdb_drop(s->s_txn, l0, 0);
	return rc;
}

/*
 * Before indexing an entry of big block b: merges every big block
 * below b that level 0 still holds, writing the pending postings to
 * level 0 first. Returns an LMDB code or errno.
 */
static int
index_merge_due(struct store *s, uint64_t b)
{
	struct index_txn *t = s->s_ix_txn;
	MDB_val v;
	int rc;

	if (!t->it_merged_valid) {
		rc = store_meta_get(s, s->s_txn, "index_merged", &v);
		if (rc != 0)
			return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
		if (v.mv_size != 8)
			return STORE_ECORRUPT;
		t->it_merged = store_get64(v.mv_data);
		t->it_merged_valid = 1;
	}
	if (t->it_merged >= b)
		return 0;
	if ((rc = index_groups_write(s)) != 0)
		return rc;
	for (; t->it_merged < b; t->it_merged++)
		if ((rc = index_merge(s, t->it_merged)) != 0)
			return rc;
	return index_merged_put(s, t->it_merged);
}

/* Adds every posting and the zones of e at index; an LMDB code/errno. */
static int
index_add(struct store *s, uint64_t index, const Algaudit__V1__Entry *e)
{
	const struct index_info *info = &s->s_ix_info;
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Algorithm *a = r != NULL ? r->algorithm : NULL;
	struct index_txn *t = s->s_ix_txn;
	uint8_t kb[INDEX_BLOCK_LEN], term[INDEX_TERM_MAX];
	int has_time = r != NULL && r->has_event_time_ns;
	int64_t ns = has_time ? r->event_time_ns : 0;
	size_t i;
	int rc;

	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			return ENOMEM;
		s->s_ix_txn = t;
	}
	if ((rc = index_merge_due(s, index >> info->ii_bits)) != 0)
		return rc;
	store_put32(kb, (uint32_t)(index >> index_l0_bits(info->ii_bits)));
	if ((rc = index_zone_load(s, &t->it_zone, 0,
	    index >> info->ii_bits)) != 0 ||
	    (rc = index_zone_load(s, &t->it_tzone, 1,
	    index >> INDEX_TZONE_BITS)) != 0)
		return rc;
	index_zone_add(&t->it_zone, has_time, ns);
	index_zone_add(&t->it_tzone, has_time, ns);
	if ((rc = index_post(t, INDEX_PRODUCER, kb, term,
	    index_term_string(term, e->producer_id), index)) != 0)
		return rc;
	if (r == NULL)
		return 0;
	if (a != NULL && ((rc = index_post(t, INDEX_ALGORITHM, kb, term,
	    index_term_string(term, a->id), index)) != 0 ||
	    (rc = index_post(t, INDEX_VERSION, kb, term,
	    index_term_version(term, a->id, a->version), index)) != 0))
		return rc;
	if ((rc = index_post(t, INDEX_SUBJECT, kb, term,
	    index_term_string(term, r->subject), index)) != 0 ||
	    (rc = index_post(t, INDEX_DECISION, kb, term,
	    index_term_string(term, r->decision), index)) != 0 ||
	    (rc = index_post(t, INDEX_TRACE, kb, term,
	    index_term_string(term, r->trace_id), index)) != 0 ||
	    (rc = index_post(t, INDEX_DECISION_ID, kb, term,
	    index_term_string(term, r->decision_id), index)) != 0)
		return rc;
	if (r->has_data_class && (rc = index_post(t, INDEX_CLASS, kb, term,
	    index_term_class(term, (int)r->data_class), index)) != 0)
		return rc;
	for (i = 0; i < r->n_labels && info->ii_nlabels > 0; i++) {
		if (r->labels[i]->key == NULL ||
		    !index_label_declared(info, r->labels[i]->key))
			continue;
		if ((rc = index_post(t, INDEX_LABEL, kb, term,
		    index_term_label(term, r->labels[i]->key,
		    r->labels[i]->value), index)) != 0)
			return rc;
	}
	return 0;
}

/* Writes the index keys of the entry just appended at index. */
int
store_index_add(struct store *s, uint64_t index, const Algaudit__V1__Entry *e)
{
	int rc;

	if (s->s_txn == NULL || !s->s_ix_dbs)
		return STORE_ETXN;
	if (e == NULL || s->s_next == 0 || index != s->s_next - 1)
		return EINVAL;
	if ((rc = index_add(s, index, e)) != 0)
		return store_txn_fail(s, rc, 0);
	s->s_ix_txn->it_added++;
	return 0;
}

/* Checks and copies reindex's declared labels into info. */
static int
index_labels_set(struct index_info *info, const char *const *labels,
    size_t n)
{
	size_t i, j, len;

	if (n > INDEX_LABELS_MAX || (n > 0 && labels == NULL))
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (labels[i] == NULL || (len = strlen(labels[i])) == 0 ||
		    len > RECORD_MAX_NAME)
			return EINVAL;
		for (j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0)
				return EINVAL;
		memcpy(info->ii_labels[i], labels[i], len + 1);
	}
	info->ii_nlabels = n;
	return 0;
}

/*
 * Runs one write transaction that empties the indexes (when drop) and
 * writes info's meta keys; retries once the map has grown.
 */
static int
index_meta_txn(struct store *s, struct index_info *info, int drop)
{
	struct index_info cur;
	size_t i;
	int rc, tries = 0;

	do {
		if ((rc = store_begin(s)) != 0)
			return rc;
		for (i = 0; drop && i < INDEX_NKINDS && rc == 0; i++)
			rc = mdb_drop(s->s_txn, s->s_ix[i], 0);
		if (drop && rc == 0)
			rc = mdb_drop(s->s_txn, s->s_ix_zones, 0);
		if (drop && rc == 0)
			rc = mdb_drop(s->s_txn, s->s_ix_tzones, 0);
		if (drop && rc == 0)
			rc = mdb_drop(s->s_txn, s->s_ix_recent[0], 0);
		if (drop && rc == 0)
			rc = mdb_drop(s->s_txn, s->s_ix_recent[1], 0);
		if (!drop && rc == 0) {
			/* Keep what the merges reached. */
			rc = store_index_info_txn(s, s->s_txn, &cur);
			info->ii_merged = cur.ii_merged;
		}
		if (rc == 0)
			rc = index_info_put(s, s->s_txn, info);
		if (rc != 0) {
			rc = store_txn_fail(s, rc, 0);
			continue;
		}
		rc = store_commit(s);
	} while (rc == STORE_EMAPFULL && ++tries < 8);
	if (rc == 0)
		s->s_ix_info = *info;
	store_index_reset(s);	/* the cached zone may have been dropped */
	return rc;
}

/*
 * Indexes entries from first on in one write transaction, at most
 * batch of them; *next is where the next one starts.
 */
static int
index_reindex_txn(struct store *s, uint64_t first, uint64_t batch,
    uint64_t *next, uint64_t *bad)
{
	Algaudit__V1__Entry *e;
	MDB_cursor *cur = NULL;
	uint8_t kb[8];
	MDB_val k, v;
	uint64_t index, n = 0;
	int rc;

	*next = first;
	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(s->s_txn, s->s_entries, &cur)) != 0)
		goto fail;
	store_put64(kb, first);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	for (; rc == 0 && n < batch; n++) {
		if (k.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		index = store_get64(k.mv_data);
		e = algaudit__v1__entry__unpack(NULL, v.mv_size, v.mv_data);
		if (e == NULL) {
			if (bad != NULL)
				*bad = index;
			rc = STORE_ECORRUPT;
			break;
		}
		rc = index_add(s, index, e);
		algaudit__v1__entry__free_unpacked(e, NULL);
		if (rc != 0)
			break;
		*next = index + 1;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(cur);
	cur = NULL;
	if (rc != 0)
		goto fail;
	return store_commit(s);
fail:
	mdb_cursor_close(cur);
	*next = first;
	return store_txn_fail(s, rc, 0);
}

/* Rebuilds every index from the entries. */
int
store_reindex(struct store *s, unsigned bits, const char *const *labels,
    size_t nlabels, uint64_t batch, index_progress_fn progress, void *arg,
    uint64_t *bad)
{
	struct index_info info;
	uint64_t done = 0, next, total;
	int rc, tries = 0;

	if ((s->s_flags & STORE_RDONLY) || s->s_txn != NULL || !s->s_ix_dbs)
		return STORE_ETXN;
	if (bits != 0 && (bits < INDEX_BITS_MIN ||
	    (bits > INDEX_BITS_MAX && bits != INDEX_BITS_PLAIN)))
		return EINVAL;
	info = s->s_ix_info;
	info.ii_present = 1;
	if (bits != 0)
		info.ii_bits = bits;
	if (info.ii_bits == 0)
		info.ii_bits = INDEX_BITS_DEFAULT;
	if (labels != NULL && (rc = index_labels_set(&info, labels,
	    nlabels)) != 0)
		return rc;
	if (labels == NULL && nlabels != 0)
		return EINVAL;
	if (batch == 0)
		batch = INDEX_REINDEX_BATCH;
	total = s->s_next;
	info.ii_from = UINT64_MAX;
	info.ii_merged = 0;
	if ((rc = index_meta_txn(s, &info, 1)) != 0)
		return rc;
	while (done < total) {
		rc = index_reindex_txn(s, done, batch, &next, bad);
		if (rc == STORE_EMAPFULL && ++tries < 8)
			continue;
		if (rc != 0)
			return rc;
		tries = 0;
		if (next == done)
			return STORE_ECORRUPT;	/* entries below total missing */
		done = next;
		if (progress != NULL)
			progress(done, total, arg);
	}
	info.ii_from = 0;
	return index_meta_txn(s, &info, 0);
}

/*
 * Adds one database's name and contents to md: a zones database key and
 * value by key and value; an index posting by posting (u32 BE prefix
 * length, block || term, u64 BE log index), which does not depend on
 * how the postings were chunked. *count is the number of postings (or
 * zones); with kinds (a level 0 database), each posting is also counted
 * in kinds[] by the kind its key starts with.
 */
static int
index_digest_db(struct store *s, MDB_txn *txn, MDB_dbi dbi, const char *name,
    int zones, EVP_MD_CTX *md, uint64_t *count, uint64_t *kinds)
{
	MDB_cursor *cur;
	MDB_val k, v;
	const uint8_t *p;
	uint8_t len[4], ib[8];
	uint64_t first;
	size_t plen, i;
	int rc, ok = 1;

	*count = 0;
	if (EVP_DigestUpdate(md, name, strlen(name) + 1) != 1)
		return ENOMEM;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return store_mdb_err(s, rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && ok;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (zones) {
			ok = EVP_DigestUpdate(md, k.mv_data, k.mv_size) == 1 &&
			    EVP_DigestUpdate(md, v.mv_data, v.mv_size) == 1;
			(*count)++;
			continue;
		}
		if (k.mv_size < INDEX_BLOCK_LEN + 8 || v.mv_size % 4 != 0) {
			rc = STORE_ECORRUPT;
			break;
		}
		plen = k.mv_size - 8;
		first = store_get64((const uint8_t *)k.mv_data + plen);
		store_put32(len, (uint32_t)plen);
		for (i = 0, p = v.mv_data; ok && i <= v.mv_size / 4; i++) {
			store_put64(ib, i == 0 ? first :
			    first + store_get32(p + 4 * (i - 1)));
			ok = EVP_DigestUpdate(md, len, sizeof(len)) == 1 &&
			    EVP_DigestUpdate(md, k.mv_data, plen) == 1 &&
			    EVP_DigestUpdate(md, ib, sizeof(ib)) == 1;
			(*count)++;
			/* Level 0 keys start with their index's kind. */
			if (kinds != NULL && *(const uint8_t *)k.mv_data <
			    INDEX_NKINDS)
				kinds[*(const uint8_t *)k.mv_data]++;
		}
	}
	mdb_cursor_close(cur);
	if (!ok)
		return ENOMEM;
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc);
}

/* A digest of the committed index contents. */
int
store_index_digest(struct store *s, uint8_t *digest, uint64_t *counts)
{
	static const char *const l0names[2] = { "ix_recent0", "ix_recent1" };
	uint64_t kinds[INDEX_NKINDS], n;
	EVP_MD_CTX *md;
	MDB_txn *txn = NULL;
	size_t i;
	int rc;

	if (!s->s_ix_dbs)
		return STORE_ENOTFOUND;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return ENOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = ENOMEM;
		goto out;
	}
	if ((rc = store_rd_begin(s, &txn)) != 0)
		goto out;
	memset(kinds, 0, sizeof(kinds));
	for (i = 0; i < 2; i++)
		if ((rc = index_digest_db(s, txn, s->s_ix_recent[i],
		    l0names[i], 0, md, &n, kinds)) != 0)
			goto out;
	for (i = 0; i < INDEX_NKINDS; i++) {
		if ((rc = index_digest_db(s, txn, s->s_ix[i], index_dbnames[i],
		    0, md, &n, NULL)) != 0)
			goto out;
		if (counts != NULL)
			counts[i] = kinds[i] + n;
	}
	if ((rc = index_digest_db(s, txn, s->s_ix_zones, "ix_zones", 1, md,
	    &n, NULL)) != 0 || (rc = index_digest_db(s, txn, s->s_ix_tzones,
	    "ix_tzones", 1, md, &n, NULL)) != 0)
		goto out;
	if (EVP_DigestFinal_ex(md, digest, NULL) != 1)
		rc = ENOMEM;
out:
	if (txn != NULL)
		store_rd_end(s, txn);
	EVP_MD_CTX_free(md);
	return rc;
}
