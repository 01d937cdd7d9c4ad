/* SPDX-License-Identifier: ISC */
/*
 * query.c: the query engine (query.h is the contract and the plan).
 *
 * A query walks the blocks of the index layout (index.h) that meet its
 * index range, in log order or reversed, and produces candidates block
 * by block in one of three modes:
 * - join: the indexed equality filters, one LMDB cursor each, are
 *   intersected by leapfrogging: each cursor in turn seeks to the
 *   current candidate (at or after it; at or before it in reverse); a
 *   cursor that lands further moves the candidate, and when every
 *   cursor agrees the candidate matches. The cost is about the
 *   smallest posting list of the block times the number of cursors.
 * - time: only a time range narrows. The block's time index keys in
 *   range are collected and sorted (at most one block of them), or,
 *   when the block's zone lies wholly in range, every index of the
 *   block is a candidate without reading the time index.
 * - range: no index narrows (no filter, or only filters on the decoded
 *   entry within an explicit index range): every index of the range.
 * Zones skip blocks outside the time range. A candidate is checked on
 * the decoded entry (query_match()) whenever some filter is not
 * answered exactly by the indexes; query_next() decodes every entry it
 * returns anyway, query_count() only those it must.
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
	QUERY_TIME,
	QUERY_RANGE
};

/* One indexed equality filter. */
struct query_cursor {
	MDB_cursor	*qc_cur;
	size_t		 qc_plen;	/* block || term */
	uint8_t		 qc_key[INDEX_KEY_MAX];	/* prefix, then an index */
};

struct query {
	struct store		*q_store;
	MDB_txn			*q_txn;
	struct store_view	*q_view;
	struct query_filter	 q_f;
	struct index_info	 q_info;
	enum query_mode		 q_mode;
	unsigned		 q_bits;	/* block = index >> q_bits */
	struct query_cursor	 q_cur[QUERY_NCURSORS];
	size_t			 q_ncur;
	MDB_cursor		*q_time;	/* ix_time, time mode */
	MDB_cursor		*q_zones;	/* with a time range */
	int			 q_post;	/* check every candidate */
	int			 q_done;	/* no more candidates */
	uint64_t		 q_lo;		/* index range, inclusive */
	uint64_t		 q_hi;

	/* The current block. */
	int			 q_inblock;
	uint64_t		 q_block;
	uint64_t		 q_blo;		/* its part of [q_lo, q_hi] */
	uint64_t		 q_bhi;
	int			 q_bcheck;	/* its candidates need a check */
	int			 q_ball;	/* every index is a candidate */
	int			 q_bdone;
	uint64_t		 q_pos;		/* next candidate bound */
	uint64_t		*q_tbuf;	/* time mode: sorted indexes */
	size_t			 q_tn;
	size_t			 q_ti;
	size_t			 q_tcap;

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
		{ offsetof(struct query_filter, qf_version), "version" },
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
 * Opens a cursor on index kind for term (tlen bytes; 0 means no entry
 * can have it: the query is empty).
 */
static int
query_add_cursor(struct query *q, enum index_kind kind, const uint8_t *term,
    size_t tlen)
{
	struct query_cursor *c = &q->q_cur[q->q_ncur];
	int rc;

	if (tlen == 0) {
		q->q_done = 1;
		return 0;
	}
	if ((rc = mdb_cursor_open(q->q_txn, q->q_store->s_ix[kind],
	    &c->qc_cur)) != 0)
		return store_mdb_err(q->q_store, rc);
	memcpy(c->qc_key + INDEX_BLOCK_LEN, term, tlen);
	c->qc_plen = INDEX_BLOCK_LEN + tlen;
	q->q_ncur++;
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
	    f->qf_reviewed != QUERY_REVIEWED_ANY;
	if (q->q_info.ii_present && q->q_info.ii_from == 0 &&
	    (rc = query_plan_cursors(q)) != 0)
		goto fail;
	if (q->q_ncur > 0 || q->q_done)
		q->q_mode = QUERY_JOIN;
	else if (timed)
		q->q_mode = QUERY_TIME;
	else
		q->q_mode = QUERY_RANGE;
	if (q->q_mode == QUERY_RANGE && query_has_record_filter(f) &&
	    !f->qf_has_to) {
		if (!q->q_info.ii_present || q->q_info.ii_from != 0)
			goto noindex;
		rc = query_fail(err, errlen, QUERY_EUNINDEXED, "give an "
		    "indexed filter (algorithm, subject, decision, time, "
		    "trace, decision id, class, producer, a declared label) "
		    "or an index range", NULL);
		goto fail;
	}
	if ((q->q_mode != QUERY_RANGE || f->qf_producer != NULL) &&
	    (!q->q_info.ii_present || q->q_info.ii_from != 0))
		goto noindex;
	if (q->q_mode == QUERY_RANGE) {
		/* Nothing answered by an index: check everything. */
		q->q_post = query_has_record_filter(f) ||
		    f->qf_producer != NULL;
		q->q_bits = INDEX_BITS_PLAIN;
	} else
		q->q_bits = q->q_info.ii_bits;
	if (timed && q->q_mode != QUERY_RANGE) {
		if ((rc = mdb_cursor_open(q->q_txn, q->q_store->s_ix_zones,
		    &q->q_zones)) != 0 || (q->q_mode == QUERY_TIME &&
		    (rc = mdb_cursor_open(q->q_txn,
		    q->q_store->s_ix[INDEX_TIME], &q->q_time)) != 0)) {
			rc = store_mdb_err(q->q_store, rc);
			goto fail;
		}
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
	for (i = 0; i < q->q_ncur; i++)
		mdb_cursor_close(q->q_cur[i].qc_cur);
	if (q->q_time != NULL)
		mdb_cursor_close(q->q_time);
	if (q->q_zones != NULL)
		mdb_cursor_close(q->q_zones);
	if (q->q_entry != NULL)
		algaudit__v1__entry__free_unpacked(q->q_entry, NULL);
	free(q->q_tbuf);
	free(q);
}

/*
 * Reads block's zone. Returns 0 with *skip set when no entry of the
 * block can be in the time range, *exact when every one is.
 */
static int
query_zone(struct query *q, uint32_t block, int *skip, int *exact)
{
	const struct query_filter *f = &q->q_f;
	const uint8_t *p;
	uint8_t kb[INDEX_BLOCK_LEN];
	uint64_t entries, timed;
	int64_t min, max;
	MDB_val k, v;
	int rc;

	*skip = *exact = 0;
	store_put32(kb, block);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	if ((rc = mdb_cursor_get(q->q_zones, &k, &v, MDB_SET_KEY)) != 0) {
		if (rc != MDB_NOTFOUND)
			return store_mdb_err(q->q_store, rc);
		*skip = 1;	/* no zone: no entry of the block has a time */
		return 0;
	}
	if (v.mv_size != 32)
		return STORE_ECORRUPT;
	p = v.mv_data;
	entries = store_get64(p);
	timed = store_get64(p + 8);
	min = index_term_time_decode(p + 16);
	max = index_term_time_decode(p + 24);
	if (timed == 0 || (f->qf_has_since && max < f->qf_since_ns) ||
	    (f->qf_has_until && min >= f->qf_until_ns)) {
		*skip = 1;
		return 0;
	}
	*exact = timed == entries &&
	    (!f->qf_has_since || min >= f->qf_since_ns) &&
	    (!f->qf_has_until || max < f->qf_until_ns);
	return 0;
}

/* Orders two u64 for qsort. */
static int
query_cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Collects and sorts the block's indexes in the time range (time mode). */
static int
query_time_collect(struct query *q, uint32_t block)
{
	const struct query_filter *f = &q->q_f;
	uint8_t key[INDEX_BLOCK_LEN + 8 + 8];
	const uint8_t *p;
	uint64_t index, *nb;
	size_t ncap;
	MDB_val k, v;
	int rc;

	q->q_tn = q->q_ti = 0;
	store_put32(key, block);
	index_term_time(key + INDEX_BLOCK_LEN, f->qf_has_since ?
	    f->qf_since_ns : INT64_MIN);
	store_put64(key + INDEX_BLOCK_LEN + 8, 0);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	for (rc = mdb_cursor_get(q->q_time, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(q->q_time, &k, &v, MDB_NEXT)) {
		p = k.mv_data;
		if (k.mv_size != sizeof(key))
			return STORE_ECORRUPT;
		if (memcmp(p, key, INDEX_BLOCK_LEN) != 0)
			break;
		if (f->qf_has_until && index_term_time_decode(p +
		    INDEX_BLOCK_LEN) >= f->qf_until_ns)
			break;
		index = store_get64(p + INDEX_BLOCK_LEN + 8);
		if (index < q->q_blo || index > q->q_bhi)
			continue;
		if (q->q_tn == q->q_tcap) {
			ncap = q->q_tcap ? q->q_tcap * 2 : 1024;
			if ((nb = reallocarray(q->q_tbuf, ncap,
			    sizeof(*nb))) == NULL)
				return ENOMEM;
			q->q_tbuf = nb;
			q->q_tcap = ncap;
		}
		q->q_tbuf[q->q_tn++] = index;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_err(q->q_store, rc);
	qsort(q->q_tbuf, q->q_tn, sizeof(*q->q_tbuf), query_cmp64);
	return 0;
}

/*
 * Moves to the next block that may hold candidates and prepares it.
 * Returns 0, or STORE_ENOTFOUND when there is none.
 */
static int
query_block_next(struct query *q)
{
	uint64_t first, last, span;
	size_t i;
	int rc, skip, exact;

	for (;;) {
		first = q->q_lo >> q->q_bits;
		last = q->q_hi >> q->q_bits;
		if (!q->q_inblock)
			q->q_block = q->q_f.qf_reverse ? last : first;
		else if (q->q_f.qf_reverse ? q->q_block == first :
		    q->q_block == last)
			return STORE_ENOTFOUND;
		else if (q->q_f.qf_reverse)
			q->q_block--;
		else
			q->q_block++;
		q->q_inblock = 1;
		span = q->q_bits >= 63 ? UINT64_MAX >> 1 :
		    (UINT64_C(1) << q->q_bits) - 1;
		q->q_blo = q->q_block << q->q_bits;
		q->q_bhi = q->q_blo + span;
		if (q->q_bits >= 63)
			q->q_bhi = UINT64_MAX;
		if (q->q_blo < q->q_lo)
			q->q_blo = q->q_lo;
		if (q->q_bhi > q->q_hi)
			q->q_bhi = q->q_hi;
		q->q_bdone = 0;
		q->q_ball = q->q_mode == QUERY_RANGE;
		q->q_bcheck = 0;
		if (q->q_zones != NULL) {
			if ((rc = query_zone(q, (uint32_t)q->q_block, &skip,
			    &exact)) != 0)
				return rc;
			if (skip)
				continue;
			if (q->q_mode == QUERY_JOIN)
				q->q_bcheck = !exact;
			else if (exact)
				q->q_ball = 1;
			else {
				if ((rc = query_time_collect(q,
				    (uint32_t)q->q_block)) != 0)
					return rc;
				if (q->q_tn == 0)
					continue;
				if (q->q_f.qf_reverse)
					q->q_ti = q->q_tn;
			}
		}
		for (i = 0; i < q->q_ncur; i++)
			store_put32(q->q_cur[i].qc_key, (uint32_t)q->q_block);
		q->q_pos = q->q_f.qf_reverse ? q->q_bhi : q->q_blo;
		return 0;
	}
}

/*
 * Positions cursor c on its first key at or after target (reverse: at
 * or before) within its prefix; *found is that key's index. Returns 0,
 * or STORE_ENOTFOUND when the block has no such key.
 */
static int
query_seek(struct query *q, struct query_cursor *c, uint64_t target,
    uint64_t *found)
{
	MDB_val k, v;
	size_t klen = c->qc_plen + 8;
	int rc;

	store_put64(c->qc_key + c->qc_plen, target);
	k.mv_size = klen;
	k.mv_data = c->qc_key;
	rc = mdb_cursor_get(c->qc_cur, &k, &v, MDB_SET_RANGE);
	if (q->q_f.qf_reverse) {
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(c->qc_cur, &k, &v, MDB_LAST);
		else if (rc == 0 && (k.mv_size != klen ||
		    memcmp(k.mv_data, c->qc_key, klen) != 0))
			rc = mdb_cursor_get(c->qc_cur, &k, &v, MDB_PREV);
	}
	if (rc == MDB_NOTFOUND)
		return STORE_ENOTFOUND;
	if (rc != 0)
		return store_mdb_err(q->q_store, rc);
	if (k.mv_size != klen || memcmp(k.mv_data, c->qc_key, c->qc_plen) != 0)
		return STORE_ENOTFOUND;
	*found = store_get64((const uint8_t *)k.mv_data + c->qc_plen);
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

/* The next candidate in the query's order; *check if it needs one. */
static int
query_candidate(struct query *q, uint64_t *index, int *check)
{
	int rc, rev = q->q_f.qf_reverse;

	while (!q->q_done) {
		if (!q->q_inblock || q->q_bdone) {
			if ((rc = query_block_next(q)) != 0) {
				if (rc == STORE_ENOTFOUND)
					q->q_done = 1;
				return rc;
			}
		}
		*check = q->q_post || q->q_bcheck;
		if (q->q_ball || q->q_mode == QUERY_JOIN) {
			if (q->q_ball)
				*index = q->q_pos;
			else if ((rc = query_join_next(q, index)) != 0) {
				if (rc != STORE_ENOTFOUND)
					return rc;
				q->q_bdone = 1;
				continue;
			}
			if (rev ? *index == q->q_blo : *index == q->q_bhi)
				q->q_bdone = 1;
			else
				q->q_pos = rev ? *index - 1 : *index + 1;
			return 0;
		}
		/* Time mode, from the sorted indexes of the block. */
		if (rev ? q->q_ti == 0 : q->q_ti == q->q_tn) {
			q->q_bdone = 1;
			continue;
		}
		*index = rev ? q->q_tbuf[--q->q_ti] : q->q_tbuf[q->q_ti++];
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
