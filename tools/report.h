/* SPDX-License-Identifier: ISC */
/*
 * report.h: the accountability report (`algaudit report`), in two
 * halves that never mix: cmd_report.c computes every number in one
 * pass over a selection of the log, below one signed checkpoint, into
 * a JSON document (format REPORT_FORMAT); report_html.c renders that
 * document, and only it, as one self-contained HTML page. So the JSON
 * and the HTML of one run carry the same numbers by construction.
 *
 * Kept apart from tools.h so that the shared header only registers the
 * subcommand; nothing here includes <lmdb.h> or libevent.
 */
#ifndef ALGAUDIT_REPORT_H
#define ALGAUDIT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "query.h"
#include "record.h"
#include "store.h"

#define REPORT_FORMAT		"algaudit-report/v1"
#define REPORT_ERRLEN		512
#define REPORT_FAVOURABLE_MAX	16	/* --favourable decisions */
#define REPORT_EDGES_MAX	31	/* --group-bins edges */
#define REPORT_SKEW_DEFAULT	(300LL * 1000000000LL)	/* 5 minutes */
#define REPORT_MIN_GROUP_DEFAULT 30

enum report_error {
	REPORT_ENOCKPT = -31900,	/* no signed checkpoint (that size) */
	REPORT_EGROUP,		/* a group value the options cannot group */
	REPORT_ETREE,		/* the checkpoint's root is not the store's */
	REPORT_EMAX
};

/* What --group-by names. */
enum report_group_kind {
	REPORT_GROUP_NONE = 0,
	REPORT_GROUP_INPUT,	/* an input, by Input.name */
	REPORT_GROUP_LABEL	/* a label, by key */
};

/*
 * What to compute. Zero it, then set the selection and the options;
 * strings are borrowed and must outlive cmd_report_compute().
 */
struct cmd_report_opts {
	struct query_filter ro_filter;	/* the selection; qf_algorithm set;
					   qf_to is capped at the
					   checkpoint */
	json_t		*ro_options;	/* the options as given (object of
					   "--name": "value"), copied into
					   the report; may be NULL */
	int		 ro_group;	/* enum report_group_kind */
	const char	*ro_group_name;	/* input name or label key */
	double		 ro_edges[REPORT_EDGES_MAX];	/* ascending; for
					   number inputs */
	size_t		 ro_nedges;
	const char	*ro_favourable[REPORT_FAVOURABLE_MAX];
	size_t		 ro_nfavourable;	/* 0: no outcome rates */
	uint64_t	 ro_min_group;	/* smallest group flagged or taken
					   as the reference; 0: default */
	int		 ro_allow_important;	/* show important-class
					   group values */
	int64_t		 ro_skew_ns;	/* clock-skew threshold; 0: default */
	const char	*ro_override_key;	/* label marking an override;
					   NULL: "override" */
	const char	*ro_override_value;	/* NULL: "true" */
	int		 ro_has_size;	/* the checkpoint at ro_size, else */
	uint64_t	 ro_size;	/* the latest */
	int64_t		 ro_now_ns;	/* "generated" time; 0: now */
};

/* cmd_report.c */

/*
 * Computes the report of the selection o->ro_filter over view v, below
 * the signed checkpoint o asks for, in one pass of the query engine;
 * memory grows with the number of versions, decisions, groups, reason
 * codes and time buckets (each capped), never with the records.
 * @param[out] out	the report document (format REPORT_FORMAT); the
 *			caller frees it with json_decref(). NULL on failure.
 * @return 0; REPORT_ENOCKPT; REPORT_EGROUP (a number input without
 *	--group-bins); REPORT_ETREE (the checkpoint's root differs from
 *	the root of the store's tree at its size); the codes of
 *	query_open() and query_next(); ENOMEM. err (errlen bytes,
 *	REPORT_ERRLEN is enough) says what and where.
 */
int	 cmd_report_compute(struct store_view *, const struct cmd_report_opts *,
	    json_t **, char *, size_t);

/* "REPORT_ENAME: explanation" for REPORT_E*, else query_strerror(). */
const char *cmd_report_strerror(int);

/* report_html.c */

/*
 * Writes the report document r (from cmd_report_compute()) as one HTML
 * page to fp: inline SVG charts, a print stylesheet, no script and no
 * external resource; every string from the document is escaped.
 * @return 0; EINVAL (r is not a report document); EIO (a write
 *	failed); ENOMEM.
 */
int	 report_html_write(FILE *, const json_t *);

#endif /* ALGAUDIT_REPORT_H */
