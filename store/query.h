/* SPDX-License-Identifier: ISC */
/*
 * query.h: the query engine. It selects entries of one store view
 * (one snapshot) by filters that combine with AND, from the indexes
 * (index.h), never by scanning the log, and returns them in log order
 * (or reversed), one at a time: memory does not grow with the number
 * of results.
 *
 * Plan: the entries are visited segment by segment (a merged big block,
 * or a small block of the tail, index.h), skipping those outside the
 * index range and, by their zones, outside the time range. In a
 * segment, the equality filters that have an index (algorithm, version,
 * subject, decision, trace, decision id, class, producer, declared
 * labels) are intersected by a leapfrog join of their posting cursors,
 * so the cost follows the most selective one; with none, a time range
 * alone takes the entries its zones let through. Whatever no index or
 * zone answered exactly (score, reviewed, undeclared labels, time in a
 * zone not wholly in range, the clock-skew flag) is checked on the
 * decoded entry (query_match()). A selection with no filter at all is a
 * listing of the index range; one whose only filters have no index is
 * refused.
 *
 * The log order and the paging cursor make pages stitch together:
 * the next page is the same filter with qf_after set to the last
 * index of the previous page.
 */
#ifndef ALGAUDIT_QUERY_H
#define ALGAUDIT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "algaudit.pb-c.h"
#include "store.h"

#define QUERY_LABELS_MAX	16
#define QUERY_ERRLEN		256

enum query_error {
	QUERY_ENOINDEX = -31700,	/* the store is not (fully) indexed */
	QUERY_EUNINDEXED,	/* no indexed filter: it would be a scan */
	QUERY_EFILTER,		/* a filter is malformed or contradictory */
	QUERY_EDECODE,		/* an entry does not decode */
	QUERY_EMAX
};

enum query_reviewed {
	QUERY_REVIEWED_ANY = 0,
	QUERY_REVIEWED_YES,	/* a reviewer is named */
	QUERY_REVIEWED_NO	/* no reviewer */
};

struct query_label {
	const char	*ql_key;
	const char	*ql_value;
};

/*
 * A selection; zero it, then set what you need (strings are borrowed,
 * they must outlive the query). Every set filter must hold (AND).
 */
struct query_filter {
	const char	*qf_algorithm;	/* algorithm id */
	const char	*qf_version;	/* with qf_algorithm: that version
					   ("" : none; absent equals "") */
	const char	*qf_subject;
	const char	*qf_decision;
	const char	*qf_trace;	/* trace id */
	const char	*qf_decision_id;
	const char	*qf_producer;	/* producer id */
	int		 qf_class;	/* 0 any, else a DataClass value */
	struct query_label qf_labels[QUERY_LABELS_MAX];
	size_t		 qf_nlabels;
	int		 qf_has_since;	/* event time >= qf_since_ns */
	int64_t		 qf_since_ns;
	int		 qf_has_until;	/* event time < qf_until_ns */
	int64_t		 qf_until_ns;
	int		 qf_has_min_score;	/* score >= qf_min_score */
	double		 qf_min_score;
	int		 qf_has_max_score;	/* score <= qf_max_score */
	double		 qf_max_score;
	int		 qf_reviewed;	/* enum query_reviewed; any filter
					   on the record rejects an entry
					   without one */
	int		 qf_clock_skewed;	/* 1: only entries the daemon
					   flagged (Entry.clock_skewed
					   true); no index */
	uint64_t	 qf_from;	/* first log index (default 0) */
	uint64_t	 qf_to;		/* last log index, inclusive; 0 with
					   qf_has_to unset: the last */
	int		 qf_has_to;
	int		 qf_has_after;	/* cursor: only entries after
					   qf_after in the output order
					   (above it, or below it when
					   qf_reverse) */
	uint64_t	 qf_after;
	int		 qf_reverse;	/* descending log index */
};

struct query;

/*
 * Checks a filter and plans it over view v. On failure err (errlen
 * bytes, QUERY_ERRLEN is enough) names the filter or the reason.
 * @param[out] qp	the query; NULL on failure. Close with
 *			query_close() before store_view_end(v).
 * @return 0; QUERY_EFILTER (since not before until, min-score above
 *	max-score, version without algorithm, an empty string filter
 *	other than the version, class out of range, a label key empty or
 *	a label value NULL, more than QUERY_LABELS_MAX labels, NaN
 *	score, qf_reviewed out of range, qf_clock_skewed neither 0 nor
 *	1, qf_to below qf_from);
 *	QUERY_ENOINDEX (the store has no indexes, or they cover only the
 *	entries from some index on, or a reindex did not finish: run
 *	`algaudit reindex`); QUERY_EUNINDEXED (only filters without an
 *	index, e.g. an undeclared label, only a score range or only the
 *	clock-skew flag, even in an index range: that would scan the
 *	log); STORE_ECORRUPT;
 *	STORE_ELMDB; ENOMEM.
 */
int	 query_open(struct store_view *, const struct query_filter *,
	    struct query **, char *, size_t);

/*
 * The next matching entry, in the query's order: its log index and the
 * decoded entry, valid until the next call or query_close().
 * @return 0; STORE_ENOTFOUND (no more); QUERY_EDECODE (entry *index
 *	does not decode); STORE_ECORRUPT (an index key does not decode,
 *	or points to a missing entry); STORE_ELMDB; ENOMEM.
 */
int	 query_next(struct query *, uint64_t *, const Algaudit__V1__Entry **);

/*
 * Counts the matching entries that query_next() would still return,
 * decoding an entry only when a filter needs it (score, reviewed, an
 * undeclared label, time in a zone not wholly in range, the clock-skew
 * flag). An entry that
 * does not decode is counted when no filter needed it decoded (where
 * query_next() returns QUERY_EDECODE). Same codes as query_next(), 0 on
 * success.
 */
int	 query_count(struct query *, uint64_t *);

/* Ends the query; NULL is allowed. */
void	 query_close(struct query *);

/*
 * Whether entry e (at log index index) satisfies every filter of f,
 * index range and cursor included: the definition the indexes must
 * agree with. 1 yes, 0 no.
 */
int	 query_match(const struct query_filter *, uint64_t,
	    const Algaudit__V1__Entry *);

/* "QUERY_ENAME: explanation" for QUERY_E*, else store_strerror(). */
const char *query_strerror(int);

#endif /* ALGAUDIT_QUERY_H */
