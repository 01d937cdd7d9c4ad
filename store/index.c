/* SPDX-License-Identifier: ISC */
/*
 * index.c: the store's secondary indexes (index.h has the layout and
 * the contract, docs/FORMAT.md the bytes). The writer adds the keys of
 * each entry in the transaction that appends it; the zone of the block
 * being written is kept in memory and written once per commit, so an
 * entry costs one put per index and nothing more.
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

#define INDEX_ZONE_LEN		32	/* entries, timed, min, max */
#define INDEX_REINDEX_BATCH	100000

static const char *const index_names[INDEX_NKINDS] = {
	"algorithm", "version", "subject", "time", "decision", "trace",
	"decision_id", "class", "producer", "label"
};

/* LMDB database names, "ix_" + the index's name. */
static const char *const index_dbnames[INDEX_NKINDS] = {
	"ix_algorithm", "ix_version", "ix_subject", "ix_time",
	"ix_decision", "ix_trace", "ix_decision_id", "ix_class",
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
	if (info->ii_bits < INDEX_BITS_MIN || info->ii_bits > INDEX_BITS_PLAIN)
		return STORE_ECORRUPT;
	if ((rc = store_meta_get(s, txn, "index_from", &v)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	if (v.mv_size != 8)
		return STORE_ECORRUPT;
	info->ii_from = store_get64(v.mv_data);
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
	uint8_t bits[4], from[8];
	uint8_t labels[INDEX_LABELS_MAX * (RECORD_MAX_NAME + 2)];
	size_t i, n = 0;
	int rc;

	store_put32(bits, info->ii_bits);
	store_put64(from, info->ii_from);
	for (i = 0; i < info->ii_nlabels; i++)
		n += index_put_bytes(labels + n, info->ii_labels[i],
		    strlen(info->ii_labels[i]));
	if ((rc = store_meta_put(s, txn, "index_bits", bits,
	    sizeof(bits))) != 0 ||
	    (rc = store_meta_put(s, txn, "index_from", from,
	    sizeof(from))) != 0)
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
	if (rc == MDB_NOTFOUND && !writer)
		return 0;
	if (rc == MDB_INCOMPATIBLE)
		return STORE_EFORMAT;
	if (rc != 0)
		return store_mdb_err(s, rc);
	s->s_ix_dbs = 1;
	if ((rc = store_index_info_txn(s, txn, &info)) != 0)
		return rc;
	if (!info.ii_present && writer) {
		info.ii_present = 1;
		info.ii_bits = INDEX_BITS_DEFAULT;
		info.ii_from = entries;
		info.ii_nlabels = 0;
		store_put32(fmt, STORE_FORMAT_VERSION);
		if ((rc = index_info_put(s, txn, &info)) != 0 ||
		    (rc = store_meta_put(s, txn, "format", fmt,
		    sizeof(fmt))) != 0)
			return store_mdb_err(s, rc);
	}
	if (writer)
		s->s_ix_info = info;
	memset(&s->s_ix_zone, 0, sizeof(s->s_ix_zone));
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

/* Writes the writer's zone if it changed; returns an LMDB code. */
int
store_index_flush(struct store *s)
{
	struct index_zone *z = &s->s_ix_zone;
	uint8_t kb[INDEX_BLOCK_LEN], vb[INDEX_ZONE_LEN];
	MDB_val k, v;
	int rc;

	if (!z->iz_valid || !z->iz_dirty)
		return 0;
	store_put32(kb, z->iz_block);
	index_zone_encode(vb, z);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	v.mv_size = sizeof(vb);
	v.mv_data = vb;
	if ((rc = mdb_put(s->s_txn, s->s_ix_zones, &k, &v, 0)) != 0)
		return rc;
	z->iz_dirty = 0;
	return 0;
}

/* Forgets the writer's zone: the transaction that changed it is gone. */
void
store_index_reset(struct store *s)
{
	memset(&s->s_ix_zone, 0, sizeof(s->s_ix_zone));
}

/*
 * Makes the writer's zone that of block, flushing the previous one and
 * loading block's from the transaction. Returns an LMDB code.
 */
static int
index_zone_load(struct store *s, uint32_t block)
{
	struct index_zone *z = &s->s_ix_zone;
	uint8_t kb[INDEX_BLOCK_LEN];
	const uint8_t *p;
	MDB_val k, v;
	int rc;

	if (z->iz_valid && z->iz_block == block)
		return 0;
	if ((rc = store_index_flush(s)) != 0)
		return rc;
	memset(z, 0, sizeof(*z));
	store_put32(kb, block);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	rc = mdb_get(s->s_txn, s->s_ix_zones, &k, &v);
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
	z->iz_block = block;
	z->iz_valid = 1;
	return 0;
}

/* Puts one index key (block || term || index); returns an LMDB code. */
static int
index_put(struct store *s, enum index_kind kind, const uint8_t *kb,
    const uint8_t *term, size_t tlen, uint64_t index)
{
	uint8_t key[INDEX_KEY_MAX];
	MDB_val k, v;

	if (tlen == 0)
		return 0;	/* the entry has no such field */
	memcpy(key, kb, INDEX_BLOCK_LEN);
	memcpy(key + INDEX_BLOCK_LEN, term, tlen);
	store_put64(key + INDEX_BLOCK_LEN + tlen, index);
	k.mv_size = INDEX_BLOCK_LEN + tlen + 8;
	k.mv_data = key;
	v.mv_size = 0;
	v.mv_data = NULL;
	return mdb_put(s->s_txn, s->s_ix[kind], &k, &v, 0);
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

/* Writes every index key of e at index; returns an LMDB code. */
static int
index_add(struct store *s, uint64_t index, const Algaudit__V1__Entry *e)
{
	const struct index_info *info = &s->s_ix_info;
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Algorithm *a = r != NULL ? r->algorithm : NULL;
	struct index_zone *z;
	uint8_t kb[INDEX_BLOCK_LEN], term[INDEX_TERM_MAX];
	uint32_t block;
	size_t i;
	int rc;

	block = (uint32_t)(index >> info->ii_bits);
	store_put32(kb, block);
	if ((rc = index_zone_load(s, block)) != 0)
		return rc;
	z = &s->s_ix_zone;
	z->iz_entries++;
	z->iz_dirty = 1;
	if ((rc = index_put(s, INDEX_PRODUCER, kb, term,
	    index_term_string(term, e->producer_id), index)) != 0)
		return rc;
	if (r == NULL)
		return 0;
	if (r->has_event_time_ns) {
		if (z->iz_timed == 0 || r->event_time_ns < z->iz_min_ns)
			z->iz_min_ns = r->event_time_ns;
		if (z->iz_timed == 0 || r->event_time_ns > z->iz_max_ns)
			z->iz_max_ns = r->event_time_ns;
		z->iz_timed++;
		if ((rc = index_put(s, INDEX_TIME, kb, term,
		    index_term_time(term, r->event_time_ns), index)) != 0)
			return rc;
	}
	if (a != NULL && ((rc = index_put(s, INDEX_ALGORITHM, kb, term,
	    index_term_string(term, a->id), index)) != 0 ||
	    (rc = index_put(s, INDEX_VERSION, kb, term,
	    index_term_version(term, a->id, a->version), index)) != 0))
		return rc;
	if ((rc = index_put(s, INDEX_SUBJECT, kb, term,
	    index_term_string(term, r->subject), index)) != 0 ||
	    (rc = index_put(s, INDEX_DECISION, kb, term,
	    index_term_string(term, r->decision), index)) != 0 ||
	    (rc = index_put(s, INDEX_TRACE, kb, term,
	    index_term_string(term, r->trace_id), index)) != 0 ||
	    (rc = index_put(s, INDEX_DECISION_ID, kb, term,
	    index_term_string(term, r->decision_id), index)) != 0)
		return rc;
	if (r->has_data_class && (rc = index_put(s, INDEX_CLASS, kb, term,
	    index_term_class(term, (int)r->data_class), index)) != 0)
		return rc;
	for (i = 0; i < r->n_labels && info->ii_nlabels > 0; i++) {
		if (r->labels[i]->key == NULL ||
		    !index_label_declared(info, r->labels[i]->key))
			continue;
		if ((rc = index_put(s, INDEX_LABEL, kb, term,
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
index_meta_txn(struct store *s, const struct index_info *info, int drop)
{
	size_t i;
	int rc, tries = 0;

	do {
		if ((rc = store_begin(s)) != 0)
			return rc;
		for (i = 0; drop && i < INDEX_NKINDS && rc == 0; i++)
			rc = mdb_drop(s->s_txn, s->s_ix[i], 0);
		if (drop && rc == 0)
			rc = mdb_drop(s->s_txn, s->s_ix_zones, 0);
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
	if (rc == MDB_NOTFOUND || n == batch)
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
	if (bits != 0 && (bits < INDEX_BITS_MIN || bits > INDEX_BITS_PLAIN))
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

/* Adds one database's name, keys and (when values) values to md. */
static int
index_digest_db(struct store *s, MDB_txn *txn, MDB_dbi dbi, const char *name,
    int values, EVP_MD_CTX *md, uint64_t *count)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t len[4];
	int rc;

	*count = 0;
	if (EVP_DigestUpdate(md, name, strlen(name) + 1) != 1)
		return ENOMEM;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return store_mdb_err(s, rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		store_put32(len, (uint32_t)k.mv_size);
		if (EVP_DigestUpdate(md, len, sizeof(len)) != 1 ||
		    EVP_DigestUpdate(md, k.mv_data, k.mv_size) != 1 ||
		    (values && EVP_DigestUpdate(md, v.mv_data,
		    v.mv_size) != 1)) {
			rc = ENOMEM;
			break;
		}
		(*count)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc);
}

/* A digest of the committed index contents. */
int
store_index_digest(struct store *s, uint8_t *digest, uint64_t *counts)
{
	EVP_MD_CTX *md;
	MDB_txn *txn = NULL;
	uint64_t n;
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
	for (i = 0; i < INDEX_NKINDS; i++) {
		if ((rc = index_digest_db(s, txn, s->s_ix[i], index_dbnames[i],
		    0, md, &n)) != 0)
			goto out;
		if (counts != NULL)
			counts[i] = n;
	}
	if ((rc = index_digest_db(s, txn, s->s_ix_zones, "ix_zones", 1, md,
	    &n)) != 0)
		goto out;
	if (EVP_DigestFinal_ex(md, digest, NULL) != 1)
		rc = ENOMEM;
out:
	if (txn != NULL)
		store_rd_end(s, txn);
	EVP_MD_CTX_free(md);
	return rc;
}
