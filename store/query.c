/* SPDX-License-Identifier: ISC */
/*
 * query.c: the query engine (query.h is the contract and the plan).
 *
 * A query walks the blocks of the index layout (index.h) that meet its
 * index range, in log order or reversed, and produces candidates block
 * by block:
 * - join: the indexed equality filters, one posting cursor each, are
 *   intersected by leapfrogging: each cursor in turn seeks to the
 *   current candidate (at or after it; at or before it in reverse); a
 *   cursor that lands further moves the candidate, and when every
 *   cursor agrees the candidate matches. The cost follows the smallest
 *   posting list of the block. A cursor keeps its current chunk
 *   decoded, so most seeks are a binary search in memory.
 * - range: no equality filter: every index of the range is a
 *   candidate (with a time range, only those the zones let through;
 *   with no filter at all, this is a plain listing).
 * With a time range, the block's zone skips the block, takes it whole,
 * or sends each candidate to its time zone (INDEX_TZONE_LEN entries),
 * which skips it (and the rest of that time zone), takes it, or asks
 * for a check. A candidate is checked on the decoded entry
 * (query_match()) whenever a filter is not answered exactly by the
 * indexes and zones; query_next() decodes every entry it returns anyway,
 * query_count() only those it must.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "index.h"
#include "query.h"
#include "store.h"
#include "store_impl.h"

#define QUERY_NCURSORS	(INDEX_NKINDS + QUERY_LABELS_MAX)

enum query_mode {
	QUERY_JOIN,
	QUERY_RANGE
};

/* What a zone says of the time range. */
enum query_zone {
	QUERY_ZONE_NONE,	/* no entry in range: skip */
	QUERY_ZONE_ALL,		/* every entry in range */
	QUERY_ZONE_SOME		/* check each entry */
};

/*
 * One indexed equality filter: cursors over its posting chunks in level
 * 1 and in the two level 0 databases, and the one of the segment.
 */
struct query_cursor {
	uint32_t	 qc_kind;
	uint8_t		 qc_term[INDEX_TERM_MAX];
	size_t		 qc_tlen;
	MDB_cursor	*qc_l1;
	MDB_cursor	*qc_l0[2];
	MDB_cursor	*qc_cur;	/* the segment's */
	size_t		 qc_plen;	/* the segment's key prefix */
	uint8_t		 qc_key[INDEX_KEY_MAX];	/* prefix, then an index */
	uint64_t	 qc_chunk[INDEX_CHUNK_MAX];	/* decoded, or */
	size_t		 qc_n;		/* 0: none */
};

struct query {
	struct store		*q_store;
	MDB_txn			*q_txn;
	struct store_view	*q_view;
	struct query_filter	 q_f;
	struct index_info	 q_info;
	enum query_mode		 q_mode;
	unsigned		 q_bits;	/* big block = index >> q_bits */
	unsigned		 q_sbits;	/* small block = index >> this */
	uint64_t		 q_merged;	/* big blocks in level 1 */
	struct query_cursor	 q_cur[QUERY_NCURSORS];
	size_t			 q_ncur;
	MDB_cursor		*q_zones;	/* with a time range: blocks' */
	MDB_cursor		*q_tzones;	/* and time zones' */
	int			 q_post;	/* check every candidate */
	int			 q_done;	/* no more candidates */
	uint64_t		 q_lo;		/* index range, inclusive */
	uint64_t		 q_hi;

	/*
	 * The current segment: a big block of level 1 (q_seglevel 1), or
	 * a small block of level 0.
	 */
	int			 q_inblock;
	int			 q_seglevel;
	uint64_t		 q_block;	/* its number at its level */
	uint64_t		 q_blo;		/* its part of [q_lo, q_hi] */
	uint64_t		 q_bhi;
	enum query_zone		 q_bzone;	/* its zone */
	int			 q_bdone;
	uint64_t		 q_pos;		/* next candidate bound */
	int			 q_tzvalid;	/* q_tzkey's zone is q_tzone */
	uint64_t		 q_tzkey;
	enum query_zone		 q_tzone;

	Algaudit__V1__Entry	*q_entry;	/* the last one decoded */
};

static const char *const query_errstr[] = {
	"QUERY_ENOINDEX: the store's indexes are missing or incomplete; "
	    "run `algaudit reindex --store DIR` with the daemon stopped",
	"QUERY_EUNINDEXED: no filter has an index; the query would scan "
	    "the log",
	"QUERY_EFILTER: a filter is malformed or contradictory",
	"QUERY_EDECODE: an entry does not decode as an Entry",
};

/* Explains a QUERY_E* code, or any store code. */
const char *
query_strerror(int code)
{
	if (code >= QUERY_ENOINDEX && code < QUERY_EMAX)
		return query_errstr[code - QUERY_ENOINDEX];
	return store_strerror(code);
}

/* Formats err and returns rc. */
static int
query_fail(char *err, size_t errlen, int rc, const char *msg,
    const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s%s%s", what != NULL ? what : "",
		    what != NULL ? ": " : "", msg);
	return rc;
}

/* Checks one string filter: NULL (unset) or non-empty. */
static int
query_check_string(const char *s)
{
	return s == NULL || *s != '\0';
}

/* Checks a filter; 0 or QUERY_EFILTER with err set. */
static int
query_check(const struct query_filter *f, char *err, size_t errlen)
{
	static const struct {
		size_t		 off;
		const char	*name;
	} strs[] = {
		{ offsetof(struct query_filter, qf_algorithm), "algorithm" },
		{ offsetof(struct query_filter, qf_subject), "subject" },
		{ offsetof(struct query_filter, qf_decision), "decision" },
		{ offsetof(struct query_filter, qf_trace), "trace" },
		{ offsetof(struct query_filter, qf_decision_id),
		    "decision-id" },
		{ offsetof(struct query_filter, qf_producer), "producer" }
	};
	const char *s;
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		memcpy(&s, (const char *)f + strs[i].off, sizeof(s));
		if (!query_check_string(s))
			return query_fail(err, errlen, QUERY_EFILTER,
			    "empty value", strs[i].name);
	}
	if (f->qf_version != NULL && f->qf_algorithm == NULL)
		return query_fail(err, errlen, QUERY_EFILTER,
		    "a version needs an algorithm id", "version");
	if (f->qf_class != 0 &&
	    (f->qf_class < ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY ||
	    f->qf_class > ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE))
		return query_fail(err, errlen, QUERY_EFILTER,
		    "not ordinary, important or core", "class");
	if (f->qf_nlabels > QUERY_LABELS_MAX)
		return query_fail(err, errlen, QUERY_EFILTER,
		    "too many label filters", "label");
	for (i = 0; i < f->qf_nlabels; i++)
		if (f->qf_labels[i].ql_key == NULL ||
		    *f->qf_labels[i].ql_key == '\0' ||
		    f->qf_labels[i].ql_value == NULL)
			return query_fail(err, errlen, QUERY_EFILTER,
			    "empty key or no value", "label");
	if (f->qf_has_since && f->qf_has_until &&
	    f->qf_since_ns >= f->qf_until_ns)
		return query_fail(err, errlen, QUERY_EFILTER,
		    "not before until", "since");
	if ((f->qf_has_min_score && isnan(f->qf_min_score)) ||
	    (f->qf_has_max_score && isnan(f->qf_max_score)))
		return query_fail(err, errlen, QUERY_EFILTER,
		    "not a number", "score");
	if (f->qf_has_min_score && f->qf_has_max_score &&
	    f->qf_min_score > f->qf_max_score)
		return query_fail(err, errlen, QUERY_EFILTER,
		    "above max-score", "min-score");
	if (f->qf_reviewed < QUERY_REVIEWED_ANY ||
	    f->qf_reviewed > QUERY_REVIEWED_NO)
		return query_fail(err, errlen, QUERY_EFILTER,
		    "not yes or no", "reviewed");
	if (f->qf_clock_skewed != 0 && f->qf_clock_skewed != 1)
		return query_fail(err, errlen, QUERY_EFILTER,
		    "neither 0 nor 1", "clock-skewed");
	if (f->qf_has_to && f->qf_to < f->qf_from)
		return query_fail(err, errlen, QUERY_EFILTER,
		    "before the first index", "to-index");
	return 0;
}

/* Whether string field s equals filter value want (set, non-empty). */
static int
query_eq(const char *s, const char *want)
{
	return s != NULL && strcmp(s, want) == 0;
}

/* Whether r has the label key=value (absent value equals ""). */
static int
query_has_label(const Algaudit__V1__DecisionRecord *r,
    const struct query_label *l)
{
	size_t i;

	for (i = 0; i < r->n_labels; i++)
		if (query_eq(r->labels[i]->key, l->ql_key))
			return strcmp(r->labels[i]->value != NULL ?
			    r->labels[i]->value : "", l->ql_value) == 0;
	return 0;
}

/* Whether the entry's record satisfies f's record filters. */
static int
query_match_record(const struct query_filter *f,
    const Algaudit__V1__DecisionRecord *r)
{
	const Algaudit__V1__Algorithm *a = r->algorithm;
	size_t i;
	int reviewed;

	if (f->qf_algorithm != NULL &&
	    (a == NULL || !query_eq(a->id, f->qf_algorithm)))
		return 0;
	if (f->qf_version != NULL && strcmp(a->version != NULL ?
	    a->version : "", f->qf_version) != 0)
		return 0;
	if ((f->qf_subject != NULL && !query_eq(r->subject,
	    f->qf_subject)) ||
	    (f->qf_decision != NULL && !query_eq(r->decision,
	    f->qf_decision)) ||
	    (f->qf_trace != NULL && !query_eq(r->trace_id, f->qf_trace)) ||
	    (f->qf_decision_id != NULL && !query_eq(r->decision_id,
	    f->qf_decision_id)))
		return 0;
	if (f->qf_class != 0 && (!r->has_data_class ||
	    (int)r->data_class != f->qf_class))
		return 0;
	for (i = 0; i < f->qf_nlabels; i++)
		if (!query_has_label(r, &f->qf_labels[i]))
			return 0;
	if ((f->qf_has_since || f->qf_has_until) && !r->has_event_time_ns)
		return 0;
	if ((f->qf_has_since && r->event_time_ns < f->qf_since_ns) ||
	    (f->qf_has_until && r->event_time_ns >= f->qf_until_ns))
		return 0;
	if ((f->qf_has_min_score || f->qf_has_max_score) && !r->has_score)
		return 0;
	if ((f->qf_has_min_score && !(r->score >= f->qf_min_score)) ||
	    (f->qf_has_max_score && !(r->score <= f->qf_max_score)))
		return 0;
	reviewed = r->reviewer != NULL && *r->reviewer != '\0';
	if ((f->qf_reviewed == QUERY_REVIEWED_YES && !reviewed) ||
	    (f->qf_reviewed == QUERY_REVIEWED_NO && reviewed))
		return 0;
	return 1;
}

/* Whether f has a filter on the record (beyond producer and range). */
static int
query_has_record_filter(const struct query_filter *f)
{
	return f->qf_algorithm != NULL || f->qf_subject != NULL ||
	    f->qf_decision != NULL || f->qf_trace != NULL ||
	    f->qf_decision_id != NULL || f->qf_class != 0 ||
	    f->qf_nlabels > 0 || f->qf_has_since || f->qf_has_until ||
	    f->qf_has_min_score || f->qf_has_max_score ||
	    f->qf_reviewed != QUERY_REVIEWED_ANY;
}

/*
 * Whether f has a filter beyond producer and range, the record's or the
 * entry's clock-skew flag: one the entry must be checked against.
 */
static int
query_has_entry_filter(const struct query_filter *f)
{
	return query_has_record_filter(f) || f->qf_clock_skewed;
}

/* Whether entry e at index satisfies every filter of f. */
int
query_match(const struct query_filter *f, uint64_t index,
    const Algaudit__V1__Entry *e)
{
	if (index < f->qf_from || (f->qf_has_to && index > f->qf_to))
		return 0;
	if (f->qf_has_after && (f->qf_reverse ? index >= f->qf_after :
	    index <= f->qf_after))
		return 0;
	if (f->qf_producer != NULL && !query_eq(e->producer_id,
	    f->qf_producer))
		return 0;
	if (f->qf_clock_skewed && (!e->has_clock_skewed || !e->clock_skewed))
		return 0;
	if (e->record == NULL)
		return !query_has_record_filter(f);
	return query_match_record(f, e->record);
}

/* Whether label key is declared indexable in info. */
static int
query_label_declared(const struct index_info *info, const char *key)
{
	size_t i;

	for (i = 0; i < info->ii_nlabels; i++)
		if (strcmp(info->ii_labels[i], key) == 0)
			return 1;
	return 0;
}

/*
 * Opens the cursors of index kind for term (tlen bytes; 0 means no entry
 * can have it: the query is empty).
 */
static int
query_add_cursor(struct query *q, enum index_kind kind, const uint8_t *term,
    size_t tlen)
{
	struct query_cursor *c = &q->q_cur[q->q_ncur];
	struct store *st = q->q_store;
	int rc;

	if (tlen == 0) {
		q->q_done = 1;
		return 0;
	}
	c->qc_kind = kind;
	memcpy(c->qc_term, term, tlen);
	c->qc_tlen = tlen;
	q->q_ncur++;	/* query_close() closes what was opened */
	if ((rc = mdb_cursor_open(q->q_txn, st->s_ix[kind], &c->qc_l1)) != 0 ||
	    (rc = mdb_cursor_open(q->q_txn, st->s_ix_recent[0],
	    &c->qc_l0[0])) != 0 ||
	    (rc = mdb_cursor_open(q->q_txn, st->s_ix_recent[1],
	    &c->qc_l0[1])) != 0)
		return store_mdb_err(st, rc);
	return 0;
}

/* Opens the cursors of the indexed equality filters, most selective
 * kinds first (the order only changes how soon the leapfrog settles). */
static int
query_plan_cursors(struct query *q)
{
	const struct query_filter *f = &q->q_f;
	uint8_t term[INDEX_TERM_MAX];
	size_t i;
	int rc;

	if (f->qf_trace != NULL && (rc = query_add_cursor(q, INDEX_TRACE,
	    term, index_term_string(term, f->qf_trace))) != 0)
		return rc;
	if (f->qf_decision_id != NULL && (rc = query_add_cursor(q,
	    INDEX_DECISION_ID, term, index_term_string(term,
	    f->qf_decision_id))) != 0)
		return rc;
	if (f->qf_subject != NULL && (rc = query_add_cursor(q, INDEX_SUBJECT,
	    term, index_term_string(term, f->qf_subject))) != 0)
		return rc;
	for (i = 0; i < f->qf_nlabels; i++) {
		if (!query_label_declared(&q->q_info, f->qf_labels[i].ql_key)) {
			q->q_post = 1;
			continue;
		}
		if ((rc = query_add_cursor(q, INDEX_LABEL, term,
		    index_term_label(term, f->qf_labels[i].ql_key,
		    f->qf_labels[i].ql_value))) != 0)
			return rc;
	}
	if (f->qf_version != NULL)
		rc = query_add_cursor(q, INDEX_VERSION, term,
		    index_term_version(term, f->qf_algorithm, f->qf_version));
	else if (f->qf_algorithm != NULL)
		rc = query_add_cursor(q, INDEX_ALGORITHM, term,
		    index_term_string(term, f->qf_algorithm));
	if (rc != 0)
		return rc;
	if (f->qf_decision != NULL && (rc = query_add_cursor(q,
	    INDEX_DECISION, term, index_term_string(term,
	    f->qf_decision))) != 0)
		return rc;
	if (f->qf_producer != NULL && (rc = query_add_cursor(q,
	    INDEX_PRODUCER, term, index_term_string(term,
	    f->qf_producer))) != 0)
		return rc;
	if (f->qf_class != 0 && (rc = query_add_cursor(q, INDEX_CLASS, term,
	    index_term_class(term, f->qf_class))) != 0)
		return rc;
	return 0;
}

/* Sets q_lo and q_hi from the view's size, the range and the cursor. */
static void
query_bounds(struct query *q)
{
	const struct query_filter *f = &q->q_f;
	uint64_t size = store_view_size(q->q_view);

	q->q_lo = f->qf_from;
	q->q_hi = f->qf_has_to ? f->qf_to : UINT64_MAX;
	if (size == 0) {
		q->q_done = 1;
		return;
	}
	if (q->q_hi > size - 1)
		q->q_hi = size - 1;
	if (f->qf_has_after && !f->qf_reverse) {
		if (f->qf_after == UINT64_MAX)
			q->q_done = 1;
		else if (f->qf_after + 1 > q->q_lo)
			q->q_lo = f->qf_after + 1;
	}
	if (f->qf_has_after && f->qf_reverse) {
		if (f->qf_after == 0)
			q->q_done = 1;
		else if (f->qf_after - 1 < q->q_hi)
			q->q_hi = f->qf_after - 1;
	}
	if (q->q_lo > q->q_hi)
		q->q_done = 1;
}

/* Checks a filter, plans it over view v and opens its cursors. */
int
query_open(struct store_view *v, const struct query_filter *f,
    struct query **qp, char *err, size_t errlen)
{
	struct query *q;
	int rc, timed;

	*qp = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (v == NULL || f == NULL)
		return EINVAL;
	if ((rc = query_check(f, err, errlen)) != 0)
		return rc;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return ENOMEM;
	q->q_view = v;
	q->q_store = v->v_store;
	q->q_txn = v->v_txn;
	q->q_f = *f;
	if ((rc = store_index_info_txn(q->q_store, q->q_txn,
	    &q->q_info)) != 0)
		goto fail;
	timed = f->qf_has_since || f->qf_has_until;
	q->q_post = f->qf_has_min_score || f->qf_has_max_score ||
	    f->qf_reviewed != QUERY_REVIEWED_ANY || f->qf_clock_skewed;
	if (q->q_info.ii_present && q->q_info.ii_from == 0 &&
	    (rc = query_plan_cursors(q)) != 0)
		goto fail;
	q->q_mode = q->q_ncur > 0 || q->q_done ? QUERY_JOIN : QUERY_RANGE;
	if (q->q_mode == QUERY_RANGE && !timed && f->qf_producer != NULL)
		goto noindex;	/* indexed, so the indexes are unusable */
	if (q->q_mode == QUERY_RANGE && !timed &&
	    query_has_entry_filter(f)) {
		if (!q->q_info.ii_present || q->q_info.ii_from != 0)
			goto noindex;
		rc = query_fail(err, errlen, QUERY_EUNINDEXED, "give an "
		    "indexed filter (algorithm, subject, decision, time, "
		    "trace, decision id, class, producer, a declared label)",
		    NULL);
		goto fail;
	}
	if (q->q_mode == QUERY_RANGE && !timed) {
		/* Nothing answered by an index: check everything. */
		q->q_post = query_has_entry_filter(f) ||
		    f->qf_producer != NULL;
		q->q_bits = q->q_sbits = INDEX_BITS_PLAIN;
	} else {
		if (!q->q_info.ii_present || q->q_info.ii_from != 0)
			goto noindex;
		q->q_bits = q->q_info.ii_bits;
		q->q_sbits = q->q_bits >= INDEX_BITS_PLAIN ? q->q_bits :
		    q->q_bits - INDEX_L0_SHIFT;
		q->q_merged = q->q_info.ii_merged;
	}
	if (timed && ((rc = mdb_cursor_open(q->q_txn, q->q_store->s_ix_zones,
	    &q->q_zones)) != 0 || (rc = mdb_cursor_open(q->q_txn,
	    q->q_store->s_ix_tzones, &q->q_tzones)) != 0)) {
		rc = store_mdb_err(q->q_store, rc);
		goto fail;
	}
	query_bounds(q);
	*qp = q;
	return 0;
noindex:
	if (!q->q_info.ii_present)
		rc = query_fail(err, errlen, QUERY_ENOINDEX, "the store has "
		    "no indexes (written before they existed)", NULL);
	else if (q->q_info.ii_from == UINT64_MAX)
		rc = query_fail(err, errlen, QUERY_ENOINDEX, "a reindex did "
		    "not finish", NULL);
	else {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "the entries below %" PRIu64
			    " are not indexed", q->q_info.ii_from);
		rc = QUERY_ENOINDEX;
	}
fail:
	query_close(q);
	return rc;
}

/* Ends the query. */
void
query_close(struct query *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->q_ncur; i++) {
		if (q->q_cur[i].qc_l1 != NULL)
			mdb_cursor_close(q->q_cur[i].qc_l1);
		if (q->q_cur[i].qc_l0[0] != NULL)
			mdb_cursor_close(q->q_cur[i].qc_l0[0]);
		if (q->q_cur[i].qc_l0[1] != NULL)
			mdb_cursor_close(q->q_cur[i].qc_l0[1]);
	}
	if (q->q_zones != NULL)
		mdb_cursor_close(q->q_zones);
	if (q->q_tzones != NULL)
		mdb_cursor_close(q->q_tzones);
	if (q->q_entry != NULL)
		algaudit__v1__entry__free_unpacked(q->q_entry, NULL);
	free(q);
}

/*
 * What the zone of key (a block, or with tzone a time zone) says of the
 * time range, in *zone. A missing zone has no entry with a time.
 */
static int
query_zone(struct query *q, int tzone, uint64_t key, enum query_zone *zone)
{
	const struct query_filter *f = &q->q_f;
	const uint8_t *p;
	uint8_t kb[8];
	uint64_t entries, timed;
	int64_t min, max;
	MDB_val k, v;
	int rc;

	*zone = QUERY_ZONE_NONE;
	if (tzone) {
		store_put64(kb, key);
		k.mv_size = 8;
	} else {
		store_put32(kb, (uint32_t)key);
		k.mv_size = 4;
	}
	k.mv_data = kb;
	rc = mdb_cursor_get(tzone ? q->q_tzones : q->q_zones, &k, &v,
	    MDB_SET_KEY);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store_mdb_err(q->q_store, rc);
	if (v.mv_size != INDEX_ZONE_LEN)
		return STORE_ECORRUPT;
	p = v.mv_data;
	entries = store_get64(p);
	timed = store_get64(p + 8);
	min = index_term_time_decode(p + 16);
	max = index_term_time_decode(p + 24);
	if (timed == 0 || (f->qf_has_since && max < f->qf_since_ns) ||
	    (f->qf_has_until && min >= f->qf_until_ns))
		return 0;
	if (timed == entries &&
	    (!f->qf_has_since || min >= f->qf_since_ns) &&
	    (!f->qf_has_until || max < f->qf_until_ns))
		*zone = QUERY_ZONE_ALL;
	else
		*zone = QUERY_ZONE_SOME;
	return 0;
}

/* The first and last index of segment (level, n). */
static void
query_seg_range(const struct query *q, int level, uint64_t n, uint64_t *lo,
    uint64_t *hi)
{
	unsigned bits = level ? q->q_bits : q->q_sbits;

	if (bits >= 63) {
		*lo = n << 63;
		*hi = n == 0 ? UINT64_MAX >> 1 : UINT64_MAX;
		return;
	}
	*lo = n << bits;
	*hi = *lo + ((UINT64_C(1) << bits) - 1);
}

/* The segment holding index x: level 1 if its big block is merged. */
static void
query_seg_of(const struct query *q, uint64_t x, int *level, uint64_t *n)
{
	if (q->q_bits < 63 && x >> q->q_bits < q->q_merged) {
		*level = 1;
		*n = x >> q->q_bits;
	} else {
		*level = 0;
		*n = q->q_sbits >= 63 ? 0 : x >> q->q_sbits;
	}
}

/*
 * Steps to the next segment in the query's order; 0, or STORE_ENOTFOUND
 * past the index range.
 */
static int
query_seg_step(struct query *q)
{
	uint64_t lo, hi;

	query_seg_range(q, q->q_seglevel, q->q_block, &lo, &hi);
	if (q->q_f.qf_reverse) {
		if (lo <= q->q_lo || lo == 0)
			return STORE_ENOTFOUND;
		query_seg_of(q, lo - 1, &q->q_seglevel, &q->q_block);
	} else {
		if (hi >= q->q_hi || hi == UINT64_MAX)
			return STORE_ENOTFOUND;
		query_seg_of(q, hi + 1, &q->q_seglevel, &q->q_block);
	}
	return 0;
}

/* Points cursor c at the current segment: its database and prefix. */
static void
query_seg_cursor(struct query *q, struct query_cursor *c)
{
	uint64_t big;

	if (q->q_seglevel) {
		store_put32(c->qc_key, (uint32_t)q->q_block);
		memcpy(c->qc_key + INDEX_BLOCK_LEN, c->qc_term, c->qc_tlen);
		c->qc_plen = INDEX_BLOCK_LEN + c->qc_tlen;
		c->qc_cur = c->qc_l1;
	} else {
		big = q->q_sbits >= 63 ? 0 : q->q_block >> INDEX_L0_SHIFT;
		c->qc_key[0] = (uint8_t)c->qc_kind;
		store_put32(c->qc_key + 1, (uint32_t)q->q_block);
		memcpy(c->qc_key + 1 + INDEX_BLOCK_LEN, c->qc_term,
		    c->qc_tlen);
		c->qc_plen = 1 + INDEX_BLOCK_LEN + c->qc_tlen;
		c->qc_cur = c->qc_l0[big & 1];
	}
	c->qc_n = 0;
}

/*
 * Moves to the next segment that may hold candidates and prepares it.
 * Returns 0, or STORE_ENOTFOUND when there is none.
 */
static int
query_block_next(struct query *q)
{
	uint64_t big;
	size_t i;
	int rc;

	for (;;) {
		if (!q->q_inblock)
			query_seg_of(q, q->q_f.qf_reverse ? q->q_hi : q->q_lo,
			    &q->q_seglevel, &q->q_block);
		else if ((rc = query_seg_step(q)) != 0)
			return rc;
		q->q_inblock = 1;
		query_seg_range(q, q->q_seglevel, q->q_block, &q->q_blo,
		    &q->q_bhi);
		if (q->q_blo < q->q_lo)
			q->q_blo = q->q_lo;
		if (q->q_bhi > q->q_hi)
			q->q_bhi = q->q_hi;
		q->q_bdone = 0;
		q->q_bzone = QUERY_ZONE_ALL;
		if (q->q_zones != NULL) {
			big = q->q_seglevel ? q->q_block :
			    q->q_blo >> q->q_bits;
			if ((rc = query_zone(q, 0, big, &q->q_bzone)) != 0)
				return rc;
			if (q->q_bzone == QUERY_ZONE_NONE)
				continue;
		}
		for (i = 0; i < q->q_ncur; i++)
			query_seg_cursor(q, &q->q_cur[i]);
		q->q_pos = q->q_f.qf_reverse ? q->q_bhi : q->q_blo;
		return 0;
	}
}

/* Decodes the chunk at k, v into c; STORE_ECORRUPT if malformed. */
static int
query_chunk_load(struct query_cursor *c, const MDB_val *k, const MDB_val *v)
{
	const uint8_t *p = v->mv_data;
	uint64_t first;
	size_t i, n;

	c->qc_n = 0;
	if (v->mv_size % 4 != 0 || v->mv_size / 4 >= INDEX_CHUNK_MAX)
		return STORE_ECORRUPT;
	n = v->mv_size / 4;
	first = store_get64((const uint8_t *)k->mv_data + c->qc_plen);
	c->qc_chunk[0] = first;
	for (i = 0; i < n; i++) {
		c->qc_chunk[i + 1] = first + store_get32(p + 4 * i);
		if (c->qc_chunk[i + 1] <= c->qc_chunk[i])
			return STORE_ECORRUPT;
	}
	c->qc_n = n + 1;
	return 0;
}

/*
 * In c's chunk, which holds target in its range: the first index at or
 * after target (reverse: the last at or before it).
 */
static uint64_t
query_chunk_find(const struct query_cursor *c, uint64_t target, int rev)
{
	size_t lo = 0, hi = c->qc_n, mid;

	/* lo: the first element >= target. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->qc_chunk[mid] < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (rev && (lo == c->qc_n || c->qc_chunk[lo] != target))
		lo--;
	return c->qc_chunk[lo];
}

/* Whether the key k is a chunk of c's prefix. */
static int
query_chunk_ours(const struct query_cursor *c, const MDB_val *k)
{
	return k->mv_size == c->qc_plen + 8 &&
	    memcmp(k->mv_data, c->qc_key, c->qc_plen) == 0;
}

/*
 * The first posting of c at or after target (reverse: at or before it)
 * in the current block, in *found. Returns 0, or STORE_ENOTFOUND when
 * there is none.
 */
static int
query_seek(struct query *q, struct query_cursor *c, uint64_t target,
    uint64_t *found)
{
	MDB_val k, v;
	int rc, rev = q->q_f.qf_reverse;

	if (c->qc_n > 0 && target >= c->qc_chunk[0] &&
	    target <= c->qc_chunk[c->qc_n - 1]) {
		*found = query_chunk_find(c, target, rev);
		return 0;
	}
	store_put64(c->qc_key + c->qc_plen, target);
	k.mv_size = c->qc_plen + 8;
	k.mv_data = c->qc_key;
	rc = mdb_cursor_get(c->qc_cur, &k, &v, MDB_SET_RANGE);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_err(q->q_store, rc);
	if (rc == 0 && query_chunk_ours(c, &k) && store_get64((const uint8_t *)
	    k.mv_data + c->qc_plen) == target) {
		*found = target;	/* a chunk starts at target */
		return query_chunk_load(c, &k, &v);
	}
	/* The chunk before, if ours, starts below target. */
	rc = mdb_cursor_get(c->qc_cur, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_err(q->q_store, rc);
	if (rc == 0 && query_chunk_ours(c, &k)) {
		if ((rc = query_chunk_load(c, &k, &v)) != 0)
			return rc;
		if (rev || c->qc_chunk[c->qc_n - 1] >= target) {
			*found = query_chunk_find(c, target, rev);
			return 0;
		}
	} else if (rev)
		return STORE_ENOTFOUND;
	/* Forward: the chunk after, if ours, starts above target. */
	if (rc == 0)
		rc = mdb_cursor_get(c->qc_cur, &k, &v, MDB_NEXT);
	else {
		store_put64(c->qc_key + c->qc_plen, target);
		k.mv_size = c->qc_plen + 8;
		k.mv_data = c->qc_key;
		rc = mdb_cursor_get(c->qc_cur, &k, &v, MDB_SET_RANGE);
	}
	if (rc == MDB_NOTFOUND)
		return STORE_ENOTFOUND;
	if (rc != 0)
		return store_mdb_err(q->q_store, rc);
	if (!query_chunk_ours(c, &k))
		return STORE_ENOTFOUND;
	if ((rc = query_chunk_load(c, &k, &v)) != 0)
		return rc;
	*found = c->qc_chunk[0];
	return 0;
}

/* The next candidate of the current block by leapfrog; ENOTFOUND: none. */
static int
query_join_next(struct query *q, uint64_t *index)
{
	uint64_t target = q->q_pos, x = 0;
	size_t i = 0, agree = 0;
	int rc;

	while (agree < q->q_ncur) {
		if ((rc = query_seek(q, &q->q_cur[i], target, &x)) != 0)
			return rc;
		if (x < q->q_blo || x > q->q_bhi)
			return STORE_ENOTFOUND;
		if (x == target)
			agree++;
		else {
			target = x;
			agree = 1;
		}
		if (++i == q->q_ncur)
			i = 0;
	}
	*index = target;
	return 0;
}

/*
 * Moves the block's position past the time zone of x (which has no
 * entry in the time range).
 */
static void
query_skip_tzone(struct query *q, uint64_t x)
{
	uint64_t tz = x >> INDEX_TZONE_BITS, edge;

	if (!q->q_f.qf_reverse) {
		edge = (tz + 1) << INDEX_TZONE_BITS;
		if (edge == 0 || edge > q->q_bhi)
			q->q_bdone = 1;
		else if (edge > q->q_pos)
			q->q_pos = edge;
		return;
	}
	edge = tz << INDEX_TZONE_BITS;
	if (edge <= q->q_blo)
		q->q_bdone = 1;
	else if (edge - 1 < q->q_pos)
		q->q_pos = edge - 1;
}

/* The next candidate in the query's order; *check if it needs one. */
static int
query_candidate(struct query *q, uint64_t *index, int *check)
{
	uint64_t x = 0;
	int rc, rev = q->q_f.qf_reverse;

	while (!q->q_done) {
		if (!q->q_inblock || q->q_bdone) {
			if ((rc = query_block_next(q)) != 0) {
				if (rc == STORE_ENOTFOUND)
					q->q_done = 1;
				return rc;
			}
		}
		if (q->q_mode == QUERY_RANGE)
			x = q->q_pos;
		else if ((rc = query_join_next(q, &x)) != 0) {
			if (rc != STORE_ENOTFOUND)
				return rc;
			q->q_bdone = 1;
			continue;
		}
		if (rev ? x == q->q_blo : x == q->q_bhi)
			q->q_bdone = 1;
		else
			q->q_pos = rev ? x - 1 : x + 1;
		*check = q->q_post;
		if (q->q_bzone == QUERY_ZONE_SOME) {
			if (!q->q_tzvalid ||
			    q->q_tzkey != x >> INDEX_TZONE_BITS) {
				q->q_tzkey = x >> INDEX_TZONE_BITS;
				if ((rc = query_zone(q, 1, q->q_tzkey,
				    &q->q_tzone)) != 0)
					return rc;
				q->q_tzvalid = 1;
			}
			if (q->q_tzone == QUERY_ZONE_NONE) {
				query_skip_tzone(q, x);
				continue;
			}
			*check |= q->q_tzone == QUERY_ZONE_SOME;
		}
		*index = x;
		return 0;
	}
	return STORE_ENOTFOUND;
}

/* Decodes the entry at index into q_entry. */
static int
query_decode(struct query *q, uint64_t index)
{
	const void *buf;
	size_t len;
	int rc;

	if (q->q_entry != NULL) {
		algaudit__v1__entry__free_unpacked(q->q_entry, NULL);
		q->q_entry = NULL;
	}
	if ((rc = store_view_entry(q->q_view, index, &buf, &len)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	q->q_entry = algaudit__v1__entry__unpack(NULL, len, buf);
	return q->q_entry != NULL ? 0 : QUERY_EDECODE;
}

/* The next matching entry. */
int
query_next(struct query *q, uint64_t *index, const Algaudit__V1__Entry **e)
{
	uint64_t idx;
	int rc, check;

	for (;;) {
		if ((rc = query_candidate(q, &idx, &check)) != 0)
			return rc;
		if ((rc = query_decode(q, idx)) != 0) {
			*index = idx;
			return rc;
		}
		if (check && !query_match(&q->q_f, idx, q->q_entry))
			continue;
		*index = idx;
		*e = q->q_entry;
		return 0;
	}
}

/* Counts the matching entries left. */
int
query_count(struct query *q, uint64_t *n)
{
	uint64_t idx;
	int rc, check;

	*n = 0;
	for (;;) {
		if ((rc = query_candidate(q, &idx, &check)) != 0)
			return rc == STORE_ENOTFOUND ? 0 : rc;
		if (check) {
			if ((rc = query_decode(q, idx)) != 0)
				return rc;
			if (!query_match(&q->q_f, idx, q->q_entry))
				continue;
		}
		(*n)++;
	}
}
