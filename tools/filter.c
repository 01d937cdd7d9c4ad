/* SPDX-License-Identifier: ISC */
/*
 * filter.c: the selection options that query, stats and subject (and
 * later export) share, parsed in one place into a struct query_filter,
 * and the selection they describe run over one store view.
 *
 * Parsing is pure: filter_option() and filter_finish() return an error
 * text naming the option and the value, and only the filter_cli_*()
 * wrappers turn it into a usage error (exit 2). Relative times ("-24h")
 * are taken from a "now" given to filter_init(), so that one command
 * line means one instant and the unit tests are deterministic.
 *
 * Running: a selection with any filter beyond the index range goes to
 * the query engine (query.h), which answers from the indexes or refuses
 * (QUERY_EUNINDEXED, QUERY_ENOINDEX); a selection of an index range
 * only is the log itself, read entry by entry in index order, which
 * needs no index. Either way one entry is decoded at a time.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "record.h"
#include "tools.h"

#define FILTER_NS	1000000000LL

/* Option names, indexed by FILTER_OPT_* - FILTER_OPT_MIN. */
static const char *const filter_names[FILTER_NOPTS] = {
	"--algorithm", "--subject", "--decision", "--since", "--until",
	"--trace", "--decision-id", "--class", "--producer", "--label",
	"--min-score", "--max-score", "--reviewed", "--from-index",
	"--to-index", "--clock-skewed"
};

/* A selection being read: the query engine's, or the log's own. */
struct filter_sel {
	struct query		*fs_query;	/* NULL: the log by index */
	struct store_view	*fs_view;
	Algaudit__V1__Entry	*fs_entry;	/* log: the current entry */
	uint64_t		 fs_cur;	/* log: the next index */
	uint64_t		 fs_lo;		/* log: lowest index, */
	uint64_t		 fs_hi;		/* highest, inclusive */
	int			 fs_reverse;
	int			 fs_done;	/* log: nothing left */
};

/* Formats an error into err; returns -1. */
static int
filter_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
filter_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The name of option opt ("--since"), or "?" for another value. */
const char *
filter_option_name(int opt)
{
	if (opt < FILTER_OPT_MIN || opt >= FILTER_OPT_MAX)
		return "?";
	return filter_names[opt - FILTER_OPT_MIN];
}

/* Clears f and sets the instant relative times count back from. */
void
filter_init(struct filter *f, int64_t now_ns)
{
	memset(f, 0, sizeof(*f));
	f->fl_now_ns = now_ns;
}

/*
 * Parses a time: RFC 3339 (output_time_parse()), or "-" followed by a
 * decimal number and one of s, m, h, d, meaning that long before now.
 * Returns 0 with *ns set, or -1.
 */
int
filter_time_parse(const char *s, int64_t now, int64_t *ns)
{
	static const struct {
		char	 u;
		int64_t	 ns;
	} units[] = {
		{ 's', FILTER_NS }, { 'm', 60 * FILTER_NS },
		{ 'h', 3600 * FILTER_NS }, { 'd', 86400 * FILTER_NS }
	};
	uint64_t n = 0;
	size_t i;
	const char *p;

	if (s[0] != '-')
		return output_time_parse(s, ns);
	for (p = s + 1; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == s + 1 || p[0] == '\0' || p[1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].u != *p)
			continue;
		/* now >= 0 here, so now - INT64_MAX cannot overflow. */
		if (now < 0 || n > (uint64_t)(INT64_MAX / units[i].ns))
			return -1;
		*ns = now - (int64_t)n * units[i].ns;
		return 0;
	}
	return -1;
}

/*
 * Checks a string value of option name: not empty, at most max bytes,
 * UTF-8. Returns 0 or -1 with err set.
 */
static int
filter_string(const char *name, const char *arg, size_t max, char *err,
    size_t errlen)
{
	size_t len;

	if (arg[0] == '\0')
		return filter_fail(err, errlen, "%s: empty value", name);
	len = strlen(arg);
	if (len > max)
		return filter_fail(err, errlen, "%s: '%.40s...' is %zu bytes, "
		    "longer than any stored value (%zu)", name, arg, len, max);
	if (!record_utf8_valid(arg, len))
		return filter_fail(err, errlen, "%s: '%s' is not valid UTF-8",
		    name, arg);
	return 0;
}

/* Parses a finite score into *v. Returns 0 or -1 with err set. */
static int
filter_score(const char *name, const char *arg, double *v, char *err,
    size_t errlen)
{
	char *end;

	if (arg[0] == '\0')
		return filter_fail(err, errlen, "%s: empty value", name);
	errno = 0;
	*v = strtod(arg, &end);
	if (isspace((unsigned char)arg[0]) || *end != '\0' || end == arg)
		return filter_fail(err, errlen, "%s: invalid number '%s'",
		    name, arg);
	if (isnan(*v))
		return filter_fail(err, errlen, "%s: '%s' is not a number "
		    "(NaN)", name, arg);
	if (!isfinite(*v) || errno == ERANGE)
		return filter_fail(err, errlen, "%s: '%s' is not a finite "
		    "number", name, arg);
	return 0;
}

/* Parses a log index into *v. Returns 0 or -1 with err set. */
static int
filter_index(const char *name, const char *arg, uint64_t *v, char *err,
    size_t errlen)
{
	unsigned long long n;
	char *end;

	if (arg[0] == '\0')
		return filter_fail(err, errlen, "%s: empty value", name);
	if (arg[0] < '0' || arg[0] > '9')
		return filter_fail(err, errlen, "%s: invalid number '%s'",
		    name, arg);
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (*end != '\0')
		return filter_fail(err, errlen, "%s: invalid number '%s'",
		    name, arg);
	if (errno == ERANGE)
		return filter_fail(err, errlen, "%s: %s is out of range", name,
		    arg);
	*v = n;
	return 0;
}

/* Parses --algorithm ID[@VERSION], split at the last '@'. */
static int
filter_algorithm(struct filter *f, const char *arg, char *err, size_t errlen)
{
	const char *at;
	size_t idlen;

	if (arg[0] == '\0')
		return filter_fail(err, errlen, "--algorithm: empty value");
	at = strrchr(arg, '@');
	idlen = at != NULL ? (size_t)(at - arg) : strlen(arg);
	if (idlen == 0)
		return filter_fail(err, errlen, "--algorithm: '%s' has an "
		    "empty algorithm id before '@'", arg);
	if (at != NULL && at[1] == '\0')
		return filter_fail(err, errlen, "--algorithm: '%s' has an "
		    "empty version after '@' (leave out '@' for any version)",
		    arg);
	if (idlen > RECORD_MAX_ID)
		return filter_fail(err, errlen, "--algorithm: the id of "
		    "'%.40s...' is %zu bytes, longer than any stored id (%d)",
		    arg, idlen, RECORD_MAX_ID);
	if (at != NULL && strlen(at + 1) > RECORD_MAX_VERSION)
		return filter_fail(err, errlen, "--algorithm: the version of "
		    "'%.40s...' is longer than any stored version (%d)", arg,
		    RECORD_MAX_VERSION);
	memcpy(f->fl_algorithm, arg, idlen);
	f->fl_algorithm[idlen] = '\0';
	if (!record_utf8_valid(f->fl_algorithm, idlen) ||
	    (at != NULL && !record_utf8_valid(at + 1, strlen(at + 1))))
		return filter_fail(err, errlen, "--algorithm: '%s' is not "
		    "valid UTF-8", arg);
	f->fl_q.qf_algorithm = f->fl_algorithm;
	if (at != NULL) {
		snprintf(f->fl_version, sizeof(f->fl_version), "%s", at + 1);
		f->fl_q.qf_version = f->fl_version;
	}
	return 0;
}

/* Parses one --label K=V, split at the first '='. */
static int
filter_label(struct filter *f, const char *arg, char *err, size_t errlen)
{
	const char *eq;
	size_t i, klen, n = f->fl_q.qf_nlabels;

	if ((eq = strchr(arg, '=')) == NULL)
		return filter_fail(err, errlen, "--label: '%s' is not "
		    "KEY=VALUE", arg);
	klen = (size_t)(eq - arg);
	if (klen == 0)
		return filter_fail(err, errlen, "--label: '%s' has an empty "
		    "key", arg);
	if (eq[1] == '\0')
		return filter_fail(err, errlen, "--label: '%s' has an empty "
		    "value", arg);
	if (klen > RECORD_MAX_NAME)
		return filter_fail(err, errlen, "--label: the key of "
		    "'%.40s...' is longer than any stored key (%d)", arg,
		    RECORD_MAX_NAME);
	if (strlen(eq + 1) > RECORD_MAX_LABEL_VALUE)
		return filter_fail(err, errlen, "--label: the value of "
		    "'%.40s...' is longer than any stored value (%d)", arg,
		    RECORD_MAX_LABEL_VALUE);
	if (!record_utf8_valid(arg, strlen(arg)))
		return filter_fail(err, errlen, "--label: '%s' is not valid "
		    "UTF-8", arg);
	if (n == QUERY_LABELS_MAX)
		return filter_fail(err, errlen, "--label: '%s': more than %d "
		    "labels", arg, QUERY_LABELS_MAX);
	for (i = 0; i < n; i++)
		if (strlen(f->fl_q.qf_labels[i].ql_key) == klen &&
		    memcmp(f->fl_q.qf_labels[i].ql_key, arg, klen) == 0)
			return filter_fail(err, errlen, "--label: key '%.*s' "
			    "given twice ('%s=%s' and '%s'); a record has one "
			    "value per key", (int)klen, arg,
			    f->fl_q.qf_labels[i].ql_key,
			    f->fl_q.qf_labels[i].ql_value, arg);
	memcpy(f->fl_lkey[n], arg, klen);
	f->fl_lkey[n][klen] = '\0';
	snprintf(f->fl_lvalue[n], sizeof(f->fl_lvalue[n]), "%s", eq + 1);
	f->fl_q.qf_labels[n].ql_key = f->fl_lkey[n];
	f->fl_q.qf_labels[n].ql_value = f->fl_lvalue[n];
	f->fl_q.qf_nlabels = n + 1;
	return 0;
}

/*
 * Parses option opt (a FILTER_OPT_* value, as getopt_long() returned
 * it from FILTER_LONGOPTS) with value arg into f; arg must outlive f.
 * --clock-skewed takes no value (arg is ignored, and kept as NULL).
 * Every option but --label may be given once. Returns 0, 1 when opt is
 * not a filter option, or -1 with a message naming the option and the
 * value in err.
 */
int
filter_option(struct filter *f, int opt, const char *arg, char *err,
    size_t errlen)
{
	struct query_filter *q = &f->fl_q;
	const char *name;
	unsigned bit;
	int64_t t;
	int c;

	if (opt < FILTER_OPT_MIN || opt >= FILTER_OPT_MAX)
		return 1;
	name = filter_option_name(opt);
	bit = 1u << (opt - FILTER_OPT_MIN);
	if (opt == FILTER_OPT_CLOCK_SKEWED) {
		arg = NULL;
		if ((f->fl_given & bit) != 0)
			return filter_fail(err, errlen, "%s: given twice; "
			    "give each filter once", name);
	}
	if (opt != FILTER_OPT_LABEL && (f->fl_given & bit) != 0)
		return filter_fail(err, errlen, "%s: given twice ('%s' and "
		    "'%s'); give each filter once", name,
		    f->fl_args[opt - FILTER_OPT_MIN], arg);
	switch (opt) {
	case FILTER_OPT_ALGORITHM:
		if (filter_algorithm(f, arg, err, errlen) == -1)
			return -1;
		break;
	case FILTER_OPT_SUBJECT:
		if (filter_string(name, arg, RECORD_MAX_SUBJECT, err,
		    errlen) == -1)
			return -1;
		q->qf_subject = arg;
		break;
	case FILTER_OPT_DECISION:
		if (filter_string(name, arg, RECORD_MAX_ID, err, errlen) == -1)
			return -1;
		q->qf_decision = arg;
		break;
	case FILTER_OPT_TRACE:
		if (filter_string(name, arg, RECORD_MAX_ID, err, errlen) == -1)
			return -1;
		q->qf_trace = arg;
		break;
	case FILTER_OPT_DECISION_ID:
		if (filter_string(name, arg, RECORD_MAX_ID, err, errlen) == -1)
			return -1;
		q->qf_decision_id = arg;
		break;
	case FILTER_OPT_PRODUCER:
		if (filter_string(name, arg, RECORD_MAX_PRODUCER_ID, err,
		    errlen) == -1)
			return -1;
		q->qf_producer = arg;
		break;
	case FILTER_OPT_SINCE:
	case FILTER_OPT_UNTIL:
		if (arg[0] == '\0')
			return filter_fail(err, errlen, "%s: empty value",
			    name);
		if (filter_time_parse(arg, f->fl_now_ns, &t) == -1)
			return filter_fail(err, errlen, "%s: invalid time "
			    "'%s' (RFC 3339 like 2024-05-01T12:00:00Z, or "
			    "relative like -24h, -7d, -30m, -90s)", name, arg);
		if (opt == FILTER_OPT_SINCE) {
			q->qf_has_since = 1;
			q->qf_since_ns = t;
		} else {
			q->qf_has_until = 1;
			q->qf_until_ns = t;
		}
		break;
	case FILTER_OPT_CLASS:
		if (arg[0] == '\0')
			return filter_fail(err, errlen, "%s: empty value",
			    name);
		if ((c = record_class_parse(arg)) == -1)
			return filter_fail(err, errlen, "%s: unknown class "
			    "'%s' (ordinary, important or core)", name, arg);
		q->qf_class = c;
		break;
	case FILTER_OPT_LABEL:
		if (filter_label(f, arg, err, errlen) == -1)
			return -1;
		break;
	case FILTER_OPT_MIN_SCORE:
		if (filter_score(name, arg, &q->qf_min_score, err,
		    errlen) == -1)
			return -1;
		q->qf_has_min_score = 1;
		break;
	case FILTER_OPT_MAX_SCORE:
		if (filter_score(name, arg, &q->qf_max_score, err,
		    errlen) == -1)
			return -1;
		q->qf_has_max_score = 1;
		break;
	case FILTER_OPT_REVIEWED:
		if (strcmp(arg, "yes") == 0)
			q->qf_reviewed = QUERY_REVIEWED_YES;
		else if (strcmp(arg, "no") == 0)
			q->qf_reviewed = QUERY_REVIEWED_NO;
		else
			return filter_fail(err, errlen, "%s: '%s' is neither "
			    "yes nor no", name, arg);
		break;
	case FILTER_OPT_FROM_INDEX:
		if (filter_index(name, arg, &q->qf_from, err, errlen) == -1)
			return -1;
		break;
	case FILTER_OPT_TO_INDEX:
		if (filter_index(name, arg, &q->qf_to, err, errlen) == -1)
			return -1;
		q->qf_has_to = 1;
		break;
	case FILTER_OPT_CLOCK_SKEWED:
		q->qf_clock_skewed = 1;
		break;
	}
	f->fl_given |= bit;
	f->fl_args[opt - FILTER_OPT_MIN] = arg;
	return 0;
}

/* The value option opt was given with (for messages). */
static const char *
filter_arg(const struct filter *f, int opt)
{
	return f->fl_args[opt - FILTER_OPT_MIN];
}

/*
 * Checks what options say together, once all are parsed: --since
 * before --until, --min-score not above --max-score, --to-index not
 * below --from-index. Returns 0 or -1 with err set.
 */
int
filter_finish(struct filter *f, char *err, size_t errlen)
{
	const struct query_filter *q = &f->fl_q;

	if (q->qf_has_since && q->qf_has_until &&
	    q->qf_since_ns >= q->qf_until_ns)
		return filter_fail(err, errlen, "--since '%s' is not before "
		    "--until '%s' (since is inclusive, until exclusive)",
		    filter_arg(f, FILTER_OPT_SINCE),
		    filter_arg(f, FILTER_OPT_UNTIL));
	if (q->qf_has_min_score && q->qf_has_max_score &&
	    q->qf_min_score > q->qf_max_score)
		return filter_fail(err, errlen, "--min-score '%s' is above "
		    "--max-score '%s'", filter_arg(f, FILTER_OPT_MIN_SCORE),
		    filter_arg(f, FILTER_OPT_MAX_SCORE));
	if (q->qf_has_to && q->qf_to < q->qf_from)
		return filter_fail(err, errlen, "--to-index '%s' is before "
		    "--from-index '%s'", filter_arg(f, FILTER_OPT_TO_INDEX),
		    filter_arg(f, FILTER_OPT_FROM_INDEX));
	return 0;
}

/*
 * Command-line form of filter_option(): returns 1 when c was a filter
 * option (parsed into f), 0 when it is not one; a bad value is a usage
 * error of the subcommand syn (exit 2).
 */
int
filter_cli_option(const char *syn, struct filter *f, int c, const char *arg)
{
	char err[FILTER_ERRLEN];
	int rc;

	if ((rc = filter_option(f, c, arg, err, sizeof(err))) == 1)
		return 0;
	if (rc == -1)
		cli_usage(syn, "%s", err);
	return 1;
}

/* Command-line form of filter_finish(): exits 2 on a conflict. */
void
filter_cli_finish(const char *syn, struct filter *f)
{
	char err[FILTER_ERRLEN];

	if (filter_finish(f, err, sizeof(err)) == -1)
		cli_usage(syn, "%s", err);
}

/*
 * Whether q selects by anything but the index range, the cursor and
 * the order: then only the query engine can answer it.
 */
int
filter_has_terms(const struct query_filter *q)
{
	return q->qf_algorithm != NULL || q->qf_version != NULL ||
	    q->qf_subject != NULL || q->qf_decision != NULL ||
	    q->qf_trace != NULL || q->qf_decision_id != NULL ||
	    q->qf_producer != NULL || q->qf_class != 0 ||
	    q->qf_nlabels > 0 || q->qf_has_since || q->qf_has_until ||
	    q->qf_has_min_score || q->qf_has_max_score ||
	    q->qf_reviewed != QUERY_REVIEWED_ANY || q->qf_clock_skewed;
}

/*
 * Opens the selection q over view v (both must outlive it): the query
 * engine when q has terms, else the log from qf_from to qf_to in q's
 * order, after qf_after. On failure err says why (for the engine's
 * codes) and *sp is NULL.
 * @return 0; the codes of query_open(); ENOMEM.
 */
int
filter_sel_open(struct store_view *v, const struct query_filter *q,
    struct filter_sel **sp, char *err, size_t errlen)
{
	struct filter_sel *s;
	uint64_t size;
	int rc;

	*sp = NULL;
	err[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	s->fs_view = v;
	s->fs_reverse = q->qf_reverse;
	if (filter_has_terms(q)) {
		if ((rc = query_open(v, q, &s->fs_query, err, errlen)) != 0) {
			free(s);
			return rc;
		}
		*sp = s;
		return 0;
	}
	size = store_view_size(v);
	s->fs_lo = q->qf_from;
	s->fs_hi = q->qf_has_to && q->qf_to < size - 1 ? q->qf_to : size - 1;
	if (size == 0 || s->fs_lo > s->fs_hi)
		s->fs_done = 1;
	if (q->qf_has_after && !s->fs_done) {
		if (!q->qf_reverse && q->qf_after >= s->fs_hi)
			s->fs_done = 1;
		else if (!q->qf_reverse && q->qf_after >= s->fs_lo)
			s->fs_lo = q->qf_after + 1;
		else if (q->qf_reverse && q->qf_after <= s->fs_lo)
			s->fs_done = 1;
		else if (q->qf_reverse && q->qf_after <= s->fs_hi)
			s->fs_hi = q->qf_after - 1;
	}
	s->fs_cur = q->qf_reverse ? s->fs_hi : s->fs_lo;
	*sp = s;
	return 0;
}

/*
 * The next entry of the selection: its index and the decoded entry,
 * valid until the next call or filter_sel_close().
 * @return 0; STORE_ENOTFOUND (no more); QUERY_EDECODE (entry *index
 *	does not decode); STORE_ECORRUPT (an entry of the range is
 *	missing); the codes of query_next().
 */
int
filter_sel_next(struct filter_sel *s, uint64_t *index,
    const Algaudit__V1__Entry **ep)
{
	const void *data;
	size_t len;
	int rc;

	if (s->fs_query != NULL)
		return query_next(s->fs_query, index, ep);
	algaudit__v1__entry__free_unpacked(s->fs_entry, NULL);
	s->fs_entry = NULL;
	if (s->fs_done)
		return STORE_ENOTFOUND;
	*index = s->fs_cur;
	if (s->fs_reverse) {
		if (s->fs_cur == s->fs_lo)
			s->fs_done = 1;
		else
			s->fs_cur--;
	} else {
		if (s->fs_cur == s->fs_hi)
			s->fs_done = 1;
		else
			s->fs_cur++;
	}
	rc = store_view_entry(s->fs_view, *index, &data, &len);
	if (rc == STORE_ENOTFOUND)
		return STORE_ECORRUPT;	/* below the log size: a gap */
	if (rc != 0)
		return rc;
	if ((s->fs_entry = algaudit__v1__entry__unpack(NULL, len, data)) ==
	    NULL)
		return QUERY_EDECODE;
	*ep = s->fs_entry;
	return 0;
}

/*
 * Counts the entries filter_sel_next() would still return (the log's
 * range by arithmetic, without reading it).
 * @return 0; the codes of query_count().
 */
int
filter_sel_count(struct filter_sel *s, uint64_t *n)
{
	if (s->fs_query != NULL)
		return query_count(s->fs_query, n);
	if (s->fs_done)
		*n = 0;
	else if (s->fs_reverse)
		*n = s->fs_cur - s->fs_lo + 1;
	else
		*n = s->fs_hi - s->fs_cur + 1;
	return 0;
}

/* Ends the selection (not its view); NULL is allowed. */
void
filter_sel_close(struct filter_sel *s)
{
	if (s == NULL)
		return;
	query_close(s->fs_query);
	algaudit__v1__entry__free_unpacked(s->fs_entry, NULL);
	free(s);
}

/*
 * Names the options of q that have no index (--label keys are then all
 * undeclared, or one would have an index) into buf, for the message of
 * QUERY_EUNINDEXED.
 */
static void
filter_unindexed(const struct query_filter *q, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
#define FILTER_APPEND(...) do {						\
	if (n < len)							\
		n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);	\
} while (0)
	for (i = 0; i < q->qf_nlabels; i++)
		FILTER_APPEND("%s--label %s=... (undeclared key)",
		    n > 0 ? ", " : "", q->qf_labels[i].ql_key);
	if (q->qf_has_min_score)
		FILTER_APPEND("%s--min-score", n > 0 ? ", " : "");
	if (q->qf_has_max_score)
		FILTER_APPEND("%s--max-score", n > 0 ? ", " : "");
	if (q->qf_reviewed != QUERY_REVIEWED_ANY)
		FILTER_APPEND("%s--reviewed", n > 0 ? ", " : "");
	if (q->qf_clock_skewed)
		FILTER_APPEND("%s--clock-skewed", n > 0 ? ", " : "");
#undef FILTER_APPEND
}

/*
 * Reports a failure of filter_sel_open() or filter_sel_next() (code rc,
 * the engine's text err, entry index for QUERY_EDECODE) of subcommand
 * syn on the store in dir for selection q, and returns the exit status
 * it deserves: TOOLS_EXIT_USAGE for a selection the engine refuses to
 * run as a scan or finds malformed, TOOLS_EXIT_FAIL for everything else
 * (a store not indexed included: the hint says how to index it).
 */
int
filter_sel_error(const char *syn, const char *dir, int rc, uint64_t index,
    const char *err, const struct query_filter *q)
{
	const char *sep = err != NULL && err[0] != '\0' ? ": " : "";
	char names[FILTER_ERRLEN];

	if (err == NULL)
		err = "";
	switch (rc) {
	case QUERY_ENOINDEX:	/* the explanation says to reindex */
		cli_warnx(syn, "%s: %s%s%s", dir, query_strerror(rc), sep,
		    err);
		return TOOLS_EXIT_FAIL;
	case QUERY_EUNINDEXED:
		filter_unindexed(q, names, sizeof(names));
		cli_warnx(syn, "%s%s%s%s%s%s", query_strerror(rc), sep, err,
		    names[0] != '\0' ? " (without an index: " : "", names,
		    names[0] != '\0' ? ")" : "");
		return TOOLS_EXIT_USAGE;
	case QUERY_EFILTER:
		cli_warnx(syn, "%s%s%s", query_strerror(rc), sep, err);
		return TOOLS_EXIT_USAGE;
	case QUERY_EDECODE:
		cli_warnx(syn, "%s: entry %" PRIu64 ": does not decode as an "
		    "Entry", dir, index);
		return TOOLS_EXIT_FAIL;
	default:
		cli_warnx(syn, "%s: %s%s%s", dir, query_strerror(rc), sep,
		    err);
		return TOOLS_EXIT_FAIL;
	}
}
