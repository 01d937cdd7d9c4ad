/* SPDX-License-Identifier: ISC */
/*
 * cmd_report.c: `algaudit report`, the accountability report of one
 * algorithm, and the computation behind it. Rendering is report_html.c's;
 * this file never writes HTML, and report_html.c never computes.
 *
 * The numbers come from one pass of the query engine over the selection
 * (the filter options of query, --algorithm required), bounded above by
 * a signed checkpoint: only entries below its tree size count, so every
 * number can be tied to a log a third party can verify. Per record it
 * updates counters: decisions per version and overall, a score sketch
 * per version, the group of --group-by with its favourable outcomes,
 * automation, review and override, reason codes, clock skew, time
 * buckets and producers. Memory grows with the distinct values of
 * those (each map capped, the rest counted as "other"), never with the
 * records. Afterwards the loss records of the producers seen in the
 * same window are looked up (a loss record names no algorithm) and the
 * whole is written as one JSON document, which report_html.c renders
 * and `--format json` prints as it is.
 *
 * Method choices, stated in the report itself:
 * - Scores: min and max are exact; median and p90 are nearest-rank
 *   quantiles read from a histogram of CMD_REPORT_HIST_BINS bins whose
 *   width, a power of two, doubles (merging neighbours) whenever a
 *   value falls outside, so one pass needs no prior range; each
 *   quantile is within half a bin width of the exact value.
 * - Time: event time, in UTC buckets of a second up to a month, the
 *   finest that keeps the range within a readable number of bars.
 * - Groups: favourable = one of the --favourable decisions; the
 *   reference group is the value group of at least --min-group records
 *   with the highest favourable rate; statistical parity difference is
 *   rate - reference rate, disparate impact is rate / reference rate,
 *   flagged below 0.8 (the four-fifths rule) for groups of at least
 *   --min-group records. Values of core-class data are never shown,
 *   important-class only with --allow-important: such records form a
 *   "withheld" group.
 * - Overrides: the schema has no override field; a record counts as
 *   overridden when it carries the label --override-label (default
 *   override=true). When no selected record carries that label key at
 *   all, the rate is not computed (null), rather than shown as 0.
 * - Clock skew: the flags counted are the daemon's, stored in each
 *   entry (Entry.clock_skewed) under the --clock-skew the daemon had
 *   when it received the record; that threshold is not stored, so the
 *   report names it as such. Beside them, the records beyond the
 *   report's own --skew are computed from the two times now, which
 *   also covers entries written before the daemon flagged skew (they
 *   carry no flag, and cannot be told from unflagged ones).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "merkle.h"
#include "note.h"
#include "report.h"
#include "tools.h"

#define CMD_REPORT_NS		1000000000LL
#define CMD_REPORT_HIST_BINS	1024	/* fine bins of a score sketch */
#define CMD_REPORT_SHOW_BINS	20	/* about this many chart bins */
#define CMD_REPORT_VERSIONS_MAX	64
#define CMD_REPORT_DECISIONS_MAX 256
#define CMD_REPORT_GROUPS_MAX	256
#define CMD_REPORT_CODES_MAX	1024
#define CMD_REPORT_PRODUCERS_MAX 256
#define CMD_REPORT_TOP_CODES	10
#define CMD_REPORT_EXAMPLES	10	/* flagged indexes listed */
#define CMD_REPORT_KEYLEN	(RECORD_MAX_TEXT + 8)
#define CMD_REPORT_FOUR_FIFTHS	0.8
#define CMD_REPORT_NAUTO	4	/* Automation values 0 to 3 */

/*
 * Keys of the maps start with a kind byte, so that no record value can
 * pose as a pseudo-group: 'v' a value (the rest of the key), 'n' a bin
 * of numbers (three digits), 'p' a pseudo-group (the rest names it).
 */
#define CMD_REPORT_K_VALUE	'v'
#define CMD_REPORT_K_BIN	'n'
#define CMD_REPORT_K_PSEUDO	'p'

/* One value counted in a map. */
struct cmd_report_cell {
	char		*rc_key;	/* NULL for the map's "other" cell */
	uint64_t	 rc_n;		/* records */
	uint64_t	 rc_fav;	/* of them favourable */
	uint64_t	 rc_first;	/* log index of the first */
	void		*rc_aux;	/* versions: cmd_report_version */
};

/* Counted values, with an open-addressing hash of their keys. */
struct cmd_report_map {
	struct cmd_report_cell	*rm_v;
	size_t			 rm_n;
	size_t			 rm_cap;
	size_t			*rm_slot;	/* cell + 1; 0 is free */
	size_t			 rm_nslots;	/* a power of two */
	size_t			 rm_max;	/* most distinct keys */
	struct cmd_report_cell	 rm_other;	/* the values past rm_max */
};

/* The score sketch: a histogram whose bins widen as the range grows. */
struct cmd_report_hist {
	uint64_t	 rh_bin[CMD_REPORT_HIST_BINS];
	double		 rh_lo;		/* lower edge of bin 0 */
	double		 rh_w;		/* bin width, a power of two */
	uint64_t	 rh_n;
	double		 rh_min;
	double		 rh_max;
};

/* What is counted per version. */
struct cmd_report_version {
	struct cmd_report_map	 rv_decisions;
	struct cmd_report_hist	 rv_hist;
};

/* A bucket of the volume series. */
struct cmd_report_bucket {
	int64_t		 rb_start;	/* ns since the epoch */
	uint64_t	 rb_n;
};

/* A bucket size of the volume series. */
struct cmd_report_level {
	const char	*rl_name;
	int64_t		 rl_ns;		/* width; 0: a calendar month */
	uint64_t	 rl_max;	/* most buckets over the range */
};

static const struct cmd_report_level cmd_report_levels[] = {
	{ "second", CMD_REPORT_NS, 120 },
	{ "10s", 10 * CMD_REPORT_NS, 180 },
	{ "minute", 60 * CMD_REPORT_NS, 180 },
	{ "hour", 3600 * CMD_REPORT_NS, 72 },
	{ "day", 86400 * CMD_REPORT_NS, 400 },
	{ "month", 0, UINT64_MAX }
};
#define CMD_REPORT_NLEVELS \
	(sizeof(cmd_report_levels) / sizeof(cmd_report_levels[0]))

/* Names of the Automation values, indexed by value. */
static const char *const cmd_report_automation[CMD_REPORT_NAUTO] = {
	"unspecified", "fully_automated", "human_in_the_loop",
	"human_review_after"
};

/* Everything counted in the pass. */
struct cmd_report_state {
	const struct cmd_report_opts *rs_o;
	const char	*rs_ovkey;	/* override label key */
	const char	*rs_ovvalue;	/* and value */
	int64_t		 rs_skew_ns;
	struct cmd_report_map rs_versions;
	struct cmd_report_map rs_decisions;
	struct cmd_report_map rs_groups;
	struct cmd_report_map rs_codes;
	struct cmd_report_map rs_producers;
	struct cmd_report_bucket *rs_vol;	/* sorted by start */
	size_t		 rs_nvol;
	size_t		 rs_volcap;
	size_t		 rs_level;	/* index into cmd_report_levels */
	int		 rs_has_range;	/* rs_lo and rs_hi are set */
	int64_t		 rs_lo;		/* the volume range, inclusive */
	int64_t		 rs_hi;
	uint64_t	 rs_records;
	uint64_t	 rs_first;	/* log indexes of the first and */
	uint64_t	 rs_last;	/* last record */
	uint64_t	 rs_favourable;
	int		 rs_fav_seen[REPORT_FAVOURABLE_MAX];
	uint64_t	 rs_scored;
	double		 rs_smin;
	double		 rs_smax;
	uint64_t	 rs_auto[CMD_REPORT_NAUTO];
	uint64_t	 rs_reviewed;
	uint64_t	 rs_ov_carrying;	/* carry the override key */
	uint64_t	 rs_ov_reviewed;	/* overridden, reviewer named */
	uint64_t	 rs_ov_unreviewed;	/* overridden, no reviewer */
	uint64_t	 rs_coded;	/* records with a reason code */
	int		 rs_timed;	/* rs_ev_min and rs_ev_max set */
	int64_t		 rs_ev_min;
	int64_t		 rs_ev_max;
	uint64_t	 rs_untimed;	/* no usable event time */
	uint64_t	 rs_skewed;	/* beyond --skew, computed now */
	uint64_t	 rs_flagged;	/* Entry.clock_skewed: the daemon's */
	uint64_t	 rs_flag_ahead;	/* flagged, event after receipt */
	uint64_t	 rs_flag_behind;	/* flagged, event before it */
	uint64_t	 rs_unreceived;	/* no receive time */
	double		 rs_skew_max;	/* largest |receive - event|, ns */
	uint64_t	 rs_flag_ex[CMD_REPORT_EXAMPLES];	/* flagged */
	size_t		 rs_nflag_ex;
};

/* The checkpoint a report is computed at. */
struct cmd_report_ckpt {
	const char	*ck_note;	/* view, until the view ends */
	size_t		 ck_len;
	uint64_t	 ck_size;
	struct note_checkpoint ck_cp;
	const char	*ck_root64;	/* the body's root line */
	size_t		 ck_root64len;
};

static const char cmd_report_help[] =
"Writes the accountability report of one algorithm: volume over time,\n"
"decisions per version and per value, score distributions, outcome\n"
"rates per group with statistical parity difference and disparate\n"
"impact (flagged under 0.8, the four-fifths rule), automation, human\n"
"review and overrides, top reason codes, clock skew and loss records.\n"
"It counts only entries below a signed checkpoint (the latest, or\n"
"--size) and states that checkpoint, so the numbers tie to the\n"
"verifiable log. Read-only; the daemon may run.\n"
"\n"
"  --store DIR          the store directory\n"
"  --algorithm ID[@V]   the algorithm (required; one version with @V)\n"
"  --out FILE           where to write the report ('-': stdout); it is\n"
"                       written whole or not at all\n"
"  --format html|json   one self-contained HTML page (default), or the\n"
"                       same numbers as JSON\n"
"  --group-by NAME      group outcomes by input NAME (text or flag; a\n"
"                       number needs --group-bins); input:NAME is the\n"
"                       same, label:KEY groups by a label's value\n"
"  --group-bins E1,E2.. ascending edges bucketing a number input: < E1,\n"
"                       [E1, E2), ..., >= En\n"
"  --favourable D[,D..] the decisions that are a favourable outcome\n"
"                       (repeatable); without it no outcome rates or\n"
"                       fairness metrics are computed\n"
"  --min-group N        groups under N records are neither flagged nor\n"
"                       the reference (default 30)\n"
"  --allow-important    show group values of important-class data\n"
"                       (core-class values are never shown)\n"
"  --override-label K=V the label marking a human override (default\n"
"                       override=true)\n"
"  --skew DURATION      also count, computed now, the records whose\n"
"                       event time is further than this from their\n"
"                       receive time: Ns, Nm, Nh, Nd (default 5m); the\n"
"                       clock-skew flags counted are the daemon's,\n"
"                       stored in each entry under its --clock-skew\n"
"                       when it received the record\n"
"  --size N             the checkpoint of tree size N (default: the\n"
"                       latest)\n"
"\n"
FILTER_HELP
"\n"
"Exit status: 0 ok, 1 runtime failure (no checkpoint yet, a store\n"
"without indexes), 2 usage error (also a number input without\n"
"--group-bins), 3 the checkpoint's root is not the store's tree.\n";

/* Formats an error into err; returns rc. */
static int
cmd_report_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
cmd_report_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* "REPORT_ENAME: explanation" for REPORT_E*, else query_strerror(). */
const char *
cmd_report_strerror(int rc)
{
	switch (rc) {
	case REPORT_ENOCKPT:
		return "REPORT_ENOCKPT: no signed checkpoint to compute at";
	case REPORT_EGROUP:
		return "REPORT_EGROUP: a group value cannot be grouped";
	case REPORT_ETREE:
		return "REPORT_ETREE: the checkpoint does not match the "
		    "store's tree";
	default:
		return query_strerror(rc);
	}
}

/* FNV-1a of a NUL-terminated key. */
static uint64_t
cmd_report_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Makes m an empty map of at most max keys. */
static void
cmd_report_map_init(struct cmd_report_map *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->rm_max = max;
}

/* Frees what m holds (and its cells' version state). */
static void
cmd_report_map_free(struct cmd_report_map *m)
{
	struct cmd_report_version *rv;
	size_t i;

	for (i = 0; i <= m->rm_n; i++) {
		rv = i < m->rm_n ? m->rm_v[i].rc_aux : m->rm_other.rc_aux;
		if (rv != NULL)
			cmd_report_map_free(&rv->rv_decisions);
		free(rv);
		if (i < m->rm_n)
			free(m->rm_v[i].rc_key);
	}
	free(m->rm_v);
	free(m->rm_slot);
	memset(m, 0, sizeof(*m));
}

/* Rebuilds the slots of m with nslots slots. Returns 0 or ENOMEM. */
static int
cmd_report_map_rehash(struct cmd_report_map *m, size_t nslots)
{
	size_t *slot, i, j;

	if ((slot = calloc(nslots, sizeof(*slot))) == NULL)
		return ENOMEM;
	for (i = 0; i < m->rm_n; i++) {
		j = cmd_report_hash(m->rm_v[i].rc_key) & (nslots - 1);
		while (slot[j] != 0)
			j = (j + 1) & (nslots - 1);
		slot[j] = i + 1;
	}
	free(m->rm_slot);
	m->rm_slot = slot;
	m->rm_nslots = nslots;
	return 0;
}

/*
 * Finds or adds the cell of key in m; a new key past the map's limit
 * gets the "other" cell. The pointer is valid until the next call.
 * Returns 0 or ENOMEM.
 */
static int
cmd_report_map_get(struct cmd_report_map *m, const char *key,
    uint64_t index, struct cmd_report_cell **cp)
{
	struct cmd_report_cell *c, *v;
	size_t j, cap;
	int rc;

	if (m->rm_nslots > 0) {
		j = cmd_report_hash(key) & (m->rm_nslots - 1);
		while (m->rm_slot[j] != 0) {
			c = &m->rm_v[m->rm_slot[j] - 1];
			if (strcmp(c->rc_key, key) == 0) {
				*cp = c;
				return 0;
			}
			j = (j + 1) & (m->rm_nslots - 1);
		}
	}
	if (m->rm_n == m->rm_max) {
		if (m->rm_other.rc_n == 0)
			m->rm_other.rc_first = index;
		*cp = &m->rm_other;
		return 0;
	}
	if ((m->rm_n + 1) * 2 > m->rm_nslots &&
	    (rc = cmd_report_map_rehash(m, m->rm_nslots == 0 ? 16 :
	    m->rm_nslots * 2)) != 0)
		return rc;
	if (m->rm_n == m->rm_cap) {
		cap = m->rm_cap == 0 ? 8 : m->rm_cap * 2;
		if ((v = reallocarray(m->rm_v, cap, sizeof(*v))) == NULL)
			return ENOMEM;
		m->rm_v = v;
		m->rm_cap = cap;
	}
	c = &m->rm_v[m->rm_n];
	memset(c, 0, sizeof(*c));
	if ((c->rc_key = strdup(key)) == NULL)
		return ENOMEM;
	c->rc_first = index;
	j = cmd_report_hash(key) & (m->rm_nslots - 1);
	while (m->rm_slot[j] != 0)
		j = (j + 1) & (m->rm_nslots - 1);
	m->rm_slot[j] = ++m->rm_n;
	*cp = c;
	return 0;
}

/*
 * The cells of m (and its "other" cell when it counted anything) as an
 * array of pointers sorted by cmp; *n is set. Caller frees the array.
 */
static struct cmd_report_cell **
cmd_report_map_sorted(struct cmd_report_map *m,
    int (*cmp)(const void *, const void *), size_t *n)
{
	struct cmd_report_cell **a;
	size_t i;

	if ((a = calloc(m->rm_n + 1, sizeof(*a))) == NULL)
		return NULL;
	for (i = 0; i < m->rm_n; i++)
		a[i] = &m->rm_v[i];
	if (cmp != NULL)
		qsort(a, m->rm_n, sizeof(*a), cmp);
	*n = m->rm_n;
	if (m->rm_other.rc_n > 0)
		a[(*n)++] = &m->rm_other;
	return a;
}

/* The cell an element of a cell pointer array points to. */
static const struct cmd_report_cell *
cmd_report_cell_at(const void *p)
{
	return *(const struct cmd_report_cell *const *)p;
}

/* Order of cells: most records first, then by key. */
static int
cmd_report_by_count(const void *pa, const void *pb)
{
	const struct cmd_report_cell *a = cmd_report_cell_at(pa);
	const struct cmd_report_cell *b = cmd_report_cell_at(pb);

	if (a->rc_n != b->rc_n)
		return a->rc_n > b->rc_n ? -1 : 1;
	return strcmp(a->rc_key, b->rc_key);
}

/* Order of cells: first seen in the log first. */
static int
cmd_report_by_first(const void *pa, const void *pb)
{
	const struct cmd_report_cell *a = cmd_report_cell_at(pa);
	const struct cmd_report_cell *b = cmd_report_cell_at(pb);

	if (a->rc_first != b->rc_first)
		return a->rc_first < b->rc_first ? -1 : 1;
	return strcmp(a->rc_key, b->rc_key);
}

/*
 * Order of groups: values by count, then bins in order, then the
 * pseudo-groups in a fixed order (by key).
 */
static int
cmd_report_by_group(const void *pa, const void *pb)
{
	const struct cmd_report_cell *a = cmd_report_cell_at(pa);
	const struct cmd_report_cell *b = cmd_report_cell_at(pb);
	static const char order[] = { CMD_REPORT_K_VALUE, CMD_REPORT_K_BIN,
	    CMD_REPORT_K_PSEUDO };
	const char *ka, *kb;

	if (a->rc_key[0] != b->rc_key[0]) {
		ka = memchr(order, a->rc_key[0], sizeof(order));
		kb = memchr(order, b->rc_key[0], sizeof(order));
		return ka < kb ? -1 : 1;
	}
	if (a->rc_key[0] == CMD_REPORT_K_VALUE)
		return cmd_report_by_count(pa, pb);
	return strcmp(a->rc_key, b->rc_key);
}

/* Adds x (finite) to the score sketch h. */
static void
cmd_report_hist_add(struct cmd_report_hist *h, double x)
{
	uint64_t nb[CMD_REPORT_HIST_BINS];
	double span, nlo;
	size_t j, off;
	int e;

	if (h->rh_n == 0) {
		/* Bins fine enough for x's magnitude, coarse enough that
		 * lo and the edges stay exact multiples of the width. */
		e = x != 0 ? ilogb(x) - 30 : -40;
		if (e < -40)
			e = -40;
		h->rh_w = ldexp(1.0, e);
		h->rh_lo = floor(x / h->rh_w) * h->rh_w -
		    (CMD_REPORT_HIST_BINS / 2) * h->rh_w;
		h->rh_min = h->rh_max = x;
	}
	for (;;) {
		span = h->rh_w * CMD_REPORT_HIST_BINS;
		if (x >= h->rh_lo && x < h->rh_lo + span)
			break;
		/* Double the width: widen upwards or downwards. */
		if (x >= h->rh_lo)
			nlo = floor(h->rh_lo / (2 * h->rh_w)) * 2 * h->rh_w;
		else
			nlo = ceil((h->rh_lo - span) / (2 * h->rh_w)) * 2 *
			    h->rh_w;
		off = (size_t)((h->rh_lo - nlo) / h->rh_w);
		memset(nb, 0, sizeof(nb));
		for (j = 0; j < CMD_REPORT_HIST_BINS; j++)
			nb[(j + off) / 2] += h->rh_bin[j];
		memcpy(h->rh_bin, nb, sizeof(nb));
		h->rh_lo = nlo;
		h->rh_w *= 2;
	}
	j = (size_t)floor((x - h->rh_lo) / h->rh_w);
	if (j >= CMD_REPORT_HIST_BINS)
		j = CMD_REPORT_HIST_BINS - 1;
	h->rh_bin[j]++;
	h->rh_n++;
	if (x < h->rh_min)
		h->rh_min = x;
	if (x > h->rh_max)
		h->rh_max = x;
}

/*
 * The nearest-rank quantile q (0 < q <= 1) of h: the centre of the bin
 * holding the value of rank ceil(q * n), clamped to [min, max].
 */
static double
cmd_report_hist_quantile(const struct cmd_report_hist *h, double q)
{
	uint64_t rank, sum = 0;
	double v;
	size_t j;

	rank = (uint64_t)ceil(q * (double)h->rh_n);
	if (rank < 1)
		rank = 1;
	for (j = 0; j < CMD_REPORT_HIST_BINS; j++) {
		sum += h->rh_bin[j];
		if (sum >= rank)
			break;
	}
	if (j == CMD_REPORT_HIST_BINS)
		j--;
	v = h->rh_lo + ((double)j + 0.5) * h->rh_w;
	if (v < h->rh_min)
		v = h->rh_min;
	if (v > h->rh_max)
		v = h->rh_max;
	return v;
}

/* Start of the calendar month (UTC) of t, or of the next one. */
static int64_t
cmd_report_month(int64_t t, int next)
{
	struct tm tm;
	time_t s;
	int64_t r;

	s = (time_t)(t / CMD_REPORT_NS);
	if (gmtime_r(&s, &tm) == NULL)
		return INT64_MAX;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = 0;
	if (next)
		tm.tm_mon++;
	s = timegm(&tm);
	if (s == (time_t)-1 || s > INT64_MAX / CMD_REPORT_NS)
		return INT64_MAX;
	r = (int64_t)s * CMD_REPORT_NS;
	return r;
}

/* Start of the bucket of level l holding t (t > 0). */
static int64_t
cmd_report_bucket(size_t l, int64_t t)
{
	int64_t w = cmd_report_levels[l].rl_ns;

	if (w == 0)
		return cmd_report_month(t, 0);
	return t - t % w;
}

/* Start of the bucket after the one starting at start. */
static int64_t
cmd_report_bucket_next(size_t l, int64_t start)
{
	int64_t w = cmd_report_levels[l].rl_ns;

	if (w == 0)
		return cmd_report_month(start, 1);
	return start > INT64_MAX - w ? INT64_MAX : start + w;
}

/* Number of buckets of level l from lo to hi (both > 0), inclusive. */
static uint64_t
cmd_report_buckets(size_t l, int64_t lo, int64_t hi)
{
	int64_t w = cmd_report_levels[l].rl_ns;
	struct tm a, b;
	time_t s;

	if (w != 0)
		return (uint64_t)((cmd_report_bucket(l, hi) -
		    cmd_report_bucket(l, lo)) / w) + 1;
	s = (time_t)(lo / CMD_REPORT_NS);
	if (gmtime_r(&s, &a) == NULL)
		return 1;
	s = (time_t)(hi / CMD_REPORT_NS);
	if (gmtime_r(&s, &b) == NULL)
		return 1;
	return (uint64_t)(((int64_t)b.tm_year - a.tm_year) * 12 +
	    (b.tm_mon - a.tm_mon)) + 1;
}

/* Re-buckets the volume series of s to level l (coarser). */
static void
cmd_report_coarsen(struct cmd_report_state *s, size_t l)
{
	size_t i, n = 0;
	int64_t b;

	for (i = 0; i < s->rs_nvol; i++) {
		b = cmd_report_bucket(l, s->rs_vol[i].rb_start);
		if (n > 0 && s->rs_vol[n - 1].rb_start == b) {
			s->rs_vol[n - 1].rb_n += s->rs_vol[i].rb_n;
			continue;
		}
		s->rs_vol[n].rb_start = b;
		s->rs_vol[n].rb_n = s->rs_vol[i].rb_n;
		n++;
	}
	s->rs_nvol = n;
	s->rs_level = l;
}

/*
 * Widens the volume range of s to take t, choosing the finest level
 * that keeps the range within its bucket limit.
 */
static void
cmd_report_range(struct cmd_report_state *s, int64_t t)
{
	size_t l;

	if (!s->rs_has_range) {
		s->rs_lo = s->rs_hi = t;
		s->rs_has_range = 1;
	} else if (t < s->rs_lo)
		s->rs_lo = t;
	else if (t > s->rs_hi)
		s->rs_hi = t;
	else
		return;
	for (l = s->rs_level; l + 1 < CMD_REPORT_NLEVELS; l++)
		if (cmd_report_buckets(l, s->rs_lo, s->rs_hi) <=
		    cmd_report_levels[l].rl_max)
			break;
	if (l != s->rs_level)
		cmd_report_coarsen(s, l);
}

/* Counts one record of event time t (t > 0) in the volume series. */
static int
cmd_report_volume_add(struct cmd_report_state *s, int64_t t)
{
	struct cmd_report_bucket *v;
	size_t lo = 0, hi, mid, cap;
	int64_t b;

	cmd_report_range(s, t);
	b = cmd_report_bucket(s->rs_level, t);
	hi = s->rs_nvol;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->rs_vol[mid].rb_start < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->rs_nvol && s->rs_vol[lo].rb_start == b) {
		s->rs_vol[lo].rb_n++;
		return 0;
	}
	if (s->rs_nvol == s->rs_volcap) {
		cap = s->rs_volcap == 0 ? 64 : s->rs_volcap * 2;
		if ((v = reallocarray(s->rs_vol, cap, sizeof(*v))) == NULL)
			return ENOMEM;
		s->rs_vol = v;
		s->rs_volcap = cap;
	}
	memmove(&s->rs_vol[lo + 1], &s->rs_vol[lo],
	    (s->rs_nvol - lo) * sizeof(*s->rs_vol));
	s->rs_vol[lo].rb_start = b;
	s->rs_vol[lo].rb_n = 1;
	s->rs_nvol++;
	return 0;
}

/* Writes kind and value into a map key (cut at CMD_REPORT_KEYLEN). */
static const char *
cmd_report_key(char *buf, char kind, const char *value)
{
	snprintf(buf, CMD_REPORT_KEYLEN, "%c%s", kind,
	    value != NULL ? value : "");
	return buf;
}

/* The index of decision d among the favourable ones, or -1. */
static int
cmd_report_favourable(const struct cmd_report_opts *o, const char *d)
{
	size_t i;

	if (d == NULL)
		return -1;
	for (i = 0; i < o->ro_nfavourable; i++)
		if (strcmp(o->ro_favourable[i], d) == 0)
			return (int)i;
	return -1;
}

/* The label of key k of record r, or NULL. */
static const Algaudit__V1__Label *
cmd_report_label(const Algaudit__V1__DecisionRecord *r, const char *k)
{
	size_t i;

	for (i = 0; i < r->n_labels; i++)
		if (r->labels[i]->key != NULL &&
		    strcmp(r->labels[i]->key, k) == 0)
			return r->labels[i];
	return NULL;
}

/* The input of record r named name, or NULL. */
static const Algaudit__V1__Input *
cmd_report_input(const Algaudit__V1__DecisionRecord *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_inputs; i++)
		if (r->inputs[i]->name != NULL &&
		    strcmp(r->inputs[i]->name, name) == 0)
			return r->inputs[i];
	return NULL;
}

/*
 * Writes the key of the group record r (at index) belongs to into buf:
 * the value, its bin, or a pseudo-group (missing, or withheld by its
 * data class, which is decided before the value is looked at). Returns
 * 0, or REPORT_EGROUP with err set.
 */
static int
cmd_report_group_key(const struct cmd_report_opts *o, uint64_t index,
    const Algaudit__V1__DecisionRecord *r, char *buf, char *err,
    size_t errlen)
{
	const Algaudit__V1__Input *in = NULL;
	const Algaudit__V1__Label *lb = NULL;
	const char *pseudo = NULL;
	size_t i;
	int cls;

	cls = r->has_data_class ? (int)r->data_class : 0;
	if (o->ro_group == REPORT_GROUP_LABEL) {
		lb = cmd_report_label(r, o->ro_group_name);
		if (lb == NULL || lb->value == NULL)
			pseudo = "missing";
	} else {
		in = cmd_report_input(r, o->ro_group_name);
		if (in == NULL || in->value_case ==
		    ALGAUDIT__V1__INPUT__VALUE__NOT_SET ||
		    (in->value_case == ALGAUDIT__V1__INPUT__VALUE_NUMBER &&
		    isnan(in->number)))
			pseudo = "missing";
		else if (in->has_data_class)
			cls = (int)in->data_class;
	}
	if (pseudo == NULL && cls == ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE)
		pseudo = "withheld-core";
	else if (pseudo == NULL && !o->ro_allow_important &&
	    cls == ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT)
		pseudo = "withheld-important";
	if (pseudo != NULL) {
		cmd_report_key(buf, CMD_REPORT_K_PSEUDO, pseudo);
		return 0;
	}
	if (lb != NULL) {
		cmd_report_key(buf, CMD_REPORT_K_VALUE, lb->value);
		return 0;
	}
	switch (in->value_case) {
	case ALGAUDIT__V1__INPUT__VALUE_TEXT:
		cmd_report_key(buf, CMD_REPORT_K_VALUE, in->text);
		break;
	case ALGAUDIT__V1__INPUT__VALUE_FLAG:
		cmd_report_key(buf, CMD_REPORT_K_VALUE, in->flag ? "true" :
		    "false");
		break;
	default:	/* a number */
		if (o->ro_nedges == 0)
			return cmd_report_fail(err, errlen, REPORT_EGROUP,
			    "--group-by %s: entry %" PRIu64 ": input '%s' is "
			    "a number; give --group-bins E1,E2,... to bucket "
			    "it", o->ro_group_name, index, o->ro_group_name);
		for (i = 0; i < o->ro_nedges; i++)
			if (in->number < o->ro_edges[i])
				break;
		snprintf(buf, CMD_REPORT_KEYLEN, "%c%03zu", CMD_REPORT_K_BIN,
		    i);
		break;
	}
	return 0;
}

/*
 * Counts entry e (at index) in s when the daemon flagged it for clock
 * skew (Entry.clock_skewed), by the side its event time is on.
 */
static void
cmd_report_flag(struct cmd_report_state *s, uint64_t index,
    const Algaudit__V1__Entry *e)
{
	const Algaudit__V1__DecisionRecord *r = e->record;

	if (!e->has_clock_skewed || !e->clock_skewed)
		return;
	s->rs_flagged++;
	if (e->has_receive_time_ns && r->has_event_time_ns) {
		if (r->event_time_ns > e->receive_time_ns)
			s->rs_flag_ahead++;
		else if (r->event_time_ns < e->receive_time_ns)
			s->rs_flag_behind++;
	}
	if (s->rs_nflag_ex < CMD_REPORT_EXAMPLES)
		s->rs_flag_ex[s->rs_nflag_ex++] = index;
}

/*
 * Counts in s whether entry e, of event time t, is further than the
 * report's --skew from its receive time, computed now.
 */
static void
cmd_report_skew(struct cmd_report_state *s, const Algaudit__V1__Entry *e,
    int64_t t)
{
	double d;

	if (!e->has_receive_time_ns) {
		s->rs_unreceived++;
		return;
	}
	d = (double)e->receive_time_ns - (double)t;
	if (fabs(d) > s->rs_skew_max)
		s->rs_skew_max = fabs(d);
	/* Exact comparison when the difference cannot overflow. */
	if ((e->receive_time_ns >= 0) == (t >= 0)) {
		if (e->receive_time_ns - t <= s->rs_skew_ns &&
		    t - e->receive_time_ns <= s->rs_skew_ns)
			return;
	} else if (fabs(d) <= (double)s->rs_skew_ns)
		return;
	s->rs_skewed++;
}

/* Counts the distinct reason codes of record r. */
static int
cmd_report_codes(struct cmd_report_state *s, uint64_t index,
    const Algaudit__V1__DecisionRecord *r, char *key)
{
	const Algaudit__V1__Explanation *x = r->explanation;
	struct cmd_report_cell *c;
	size_t i, j;
	int rc, any = 0;

	if (x == NULL)
		return 0;
	for (i = 0; i < x->n_reason_codes; i++) {
		if (x->reason_codes[i] == NULL || x->reason_codes[i][0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (x->reason_codes[j] != NULL &&
			    strcmp(x->reason_codes[j], x->reason_codes[i]) == 0)
				break;
		if (j < i)
			continue;	/* counted once per record */
		if ((rc = cmd_report_map_get(&s->rs_codes,
		    cmd_report_key(key, CMD_REPORT_K_VALUE, x->reason_codes[i]),
		    index, &c)) != 0)
			return rc;
		c->rc_n++;
		any = 1;
	}
	s->rs_coded += any;
	return 0;
}

/* Counts the version, decision and score of record r in s. */
static int
cmd_report_version(struct cmd_report_state *s, uint64_t index,
    const Algaudit__V1__DecisionRecord *r, int fav, char *key)
{
	const char *ver = r->algorithm != NULL ? r->algorithm->version : NULL;
	struct cmd_report_version *rv;
	struct cmd_report_cell *c;
	int rc;

	if (ver != NULL && ver[0] != '\0')
		cmd_report_key(key, CMD_REPORT_K_VALUE, ver);
	else
		cmd_report_key(key, CMD_REPORT_K_PSEUDO, "none");
	if ((rc = cmd_report_map_get(&s->rs_versions, key, index, &c)) != 0)
		return rc;
	c->rc_n++;
	c->rc_fav += fav;
	if ((rv = c->rc_aux) == NULL) {
		if ((rv = calloc(1, sizeof(*rv))) == NULL)
			return ENOMEM;
		cmd_report_map_init(&rv->rv_decisions,
		    CMD_REPORT_DECISIONS_MAX);
		c->rc_aux = rv;
	}
	if (r->has_score && isfinite(r->score)) {
		cmd_report_hist_add(&rv->rv_hist, r->score);
		if (s->rs_scored == 0 || r->score < s->rs_smin)
			s->rs_smin = r->score;
		if (s->rs_scored == 0 || r->score > s->rs_smax)
			s->rs_smax = r->score;
		s->rs_scored++;
	}
	if (r->decision != NULL)
		cmd_report_key(key, CMD_REPORT_K_VALUE, r->decision);
	else
		cmd_report_key(key, CMD_REPORT_K_PSEUDO, "none");
	if ((rc = cmd_report_map_get(&rv->rv_decisions, key, index, &c)) != 0)
		return rc;
	c->rc_n++;
	c->rc_fav += fav;
	if ((rc = cmd_report_map_get(&s->rs_decisions, key, index, &c)) != 0)
		return rc;
	c->rc_n++;
	c->rc_fav += fav;
	return 0;
}

/* Counts entry e (at log index index) in s. */
static int
cmd_report_add(struct cmd_report_state *s, uint64_t index,
    const Algaudit__V1__Entry *e, char *err, size_t errlen)
{
	const struct cmd_report_opts *o = s->rs_o;
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Label *lb;
	struct cmd_report_cell *c;
	char key[CMD_REPORT_KEYLEN];
	int rc, f, fav, reviewed;
	int64_t t;

	if (r == NULL)
		return 0;	/* the engine matched it by algorithm: never */
	if (s->rs_records == 0)
		s->rs_first = index;
	s->rs_last = index;
	s->rs_records++;
	f = cmd_report_favourable(o, r->decision);
	fav = f >= 0;
	if (fav) {
		s->rs_favourable++;
		s->rs_fav_seen[f] = 1;
	}
	if ((rc = cmd_report_version(s, index, r, fav, key)) != 0)
		return rc;
	if (o->ro_group != REPORT_GROUP_NONE) {
		if ((rc = cmd_report_group_key(o, index, r, key, err,
		    errlen)) != 0)
			return rc;
		if ((rc = cmd_report_map_get(&s->rs_groups, key, index,
		    &c)) != 0)
			return rc;
		c->rc_n++;
		c->rc_fav += fav;
	}
	if ((rc = cmd_report_map_get(&s->rs_producers,
	    cmd_report_key(key, CMD_REPORT_K_VALUE, e->producer_id != NULL ?
	    e->producer_id : ""), index, &c)) != 0)
		return rc;
	c->rc_n++;
	s->rs_auto[r->has_automation && r->automation >= 0 &&
	    r->automation < CMD_REPORT_NAUTO ? r->automation : 0]++;
	reviewed = r->reviewer != NULL && r->reviewer[0] != '\0';
	s->rs_reviewed += reviewed;
	if ((lb = cmd_report_label(r, s->rs_ovkey)) != NULL) {
		s->rs_ov_carrying++;
		if (lb->value != NULL &&
		    strcmp(lb->value, s->rs_ovvalue) == 0) {
			if (reviewed)
				s->rs_ov_reviewed++;
			else
				s->rs_ov_unreviewed++;
		}
	}
	if ((rc = cmd_report_codes(s, index, r, key)) != 0)
		return rc;
	cmd_report_flag(s, index, e);
	if (!r->has_event_time_ns || r->event_time_ns <= 0) {
		s->rs_untimed++;
		return 0;
	}
	t = r->event_time_ns;
	if (!s->rs_timed || t < s->rs_ev_min)
		s->rs_ev_min = t;
	if (!s->rs_timed || t > s->rs_ev_max)
		s->rs_ev_max = t;
	s->rs_timed = 1;
	cmd_report_skew(s, e, t);
	return cmd_report_volume_add(s, t);
}

/*
 * A JSON string of the len bytes at p; invalid UTF-8 (only a damaged
 * store has it) becomes '?' so that the document stays valid.
 */
static json_t *
cmd_report_jstrn(const char *p, size_t len)
{
	json_t *j;
	char *q;
	size_t i;

	if (p == NULL)
		return json_null();
	if ((j = json_stringn(p, len)) != NULL)
		return j;
	if ((q = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		q[i] = (unsigned char)p[i] < 0x80 && p[i] != '\0' ? p[i] : '?';
	q[len] = '\0';
	j = json_stringn(q, len);
	free(q);
	return j;
}

/* As cmd_report_jstrn() for a NUL-terminated string (NULL: null). */
static json_t *
cmd_report_jstr(const char *s)
{
	return cmd_report_jstrn(s, s != NULL ? strlen(s) : 0);
}

/* A JSON number for a rate n / d, or null when d is 0. */
static json_t *
cmd_report_jrate(uint64_t n, uint64_t d)
{
	if (d == 0)
		return json_null();
	return json_real((double)n / (double)d);
}

/* A JSON integer of a count. */
static json_t *
cmd_report_jint(uint64_t n)
{
	return json_integer(n > (uint64_t)INT64_MAX ? INT64_MAX :
	    (json_int_t)n);
}

/*
 * Sets o[key] to v; fails (and frees v) when v is NULL or o cannot take
 * it. Returns 0 or -1.
 */
static int
cmd_report_set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(o, key, v);
}

/* Sets o[key_ns] to ns and o[key] to its RFC 3339 form in UTC. */
static int
cmd_report_set_time(json_t *o, const char *key, int64_t ns)
{
	char name[64], buf[OUTPUT_TIMELEN];

	snprintf(name, sizeof(name), "%s_ns", key);
	if (cmd_report_set(o, name, json_integer(ns)) == -1)
		return -1;
	if (output_time_format(buf, sizeof(buf), ns, 0, 1) == -1)
		return cmd_report_set(o, key, json_null());
	return cmd_report_set(o, key, json_string(buf));
}

/* A new JSON object, or NULL; appended to array a when a is not NULL. */
static json_t *
cmd_report_jobj(json_t *a)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (a != NULL && json_array_append_new(a, o) == -1)
		return NULL;
	return o;
}

/*
 * Finds the checkpoint o asks for in v and checks that its root is the
 * root of the store's tree at its size.
 */
static int
cmd_report_checkpoint(struct store_view *v, const struct cmd_report_opts *o,
    struct cmd_report_ckpt *ck, char *err, size_t errlen)
{
	uint8_t root[MERKLE_HASH_LEN];
	const char *p, *end, *line;
	char perr[256];
	size_t body;
	int rc, i;

	memset(ck, 0, sizeof(*ck));
	rc = store_view_checkpoint(v, o->ro_has_size ? o->ro_size : 0,
	    &ck->ck_note, &ck->ck_len, &ck->ck_size);
	if (rc == STORE_ENOTFOUND && !o->ro_has_size)
		return cmd_report_fail(err, errlen, REPORT_ENOCKPT, "the store "
		    "has no signed checkpoint yet (the daemon signs one soon "
		    "after entries arrive, and at shutdown)");
	if (rc == STORE_ENOTFOUND ||
	    (rc == 0 && o->ro_has_size && ck->ck_size != o->ro_size))
		return cmd_report_fail(err, errlen, REPORT_ENOCKPT, "--size: "
		    "no checkpoint at tree size %" PRIu64 " (`algaudit "
		    "checkpoint --list` lists them)", o->ro_size);
	if (rc != 0)
		return cmd_report_fail(err, errlen, rc, "reading the "
		    "checkpoint");
	end = ck->ck_note + ck->ck_len;
	for (p = ck->ck_note; p + 1 < end; p++)
		if (p[0] == '\n' && p[1] == '\n')
			break;
	body = (size_t)(p + 1 - ck->ck_note);
	perr[0] = '\0';
	if (p + 1 >= end || note_checkpoint_parse(ck->ck_note, body,
	    &ck->ck_cp, perr, sizeof(perr)) != 0 ||
	    ck->ck_cp.nc_size != ck->ck_size)
		return cmd_report_fail(err, errlen, STORE_ECORRUPT, "the "
		    "checkpoint stored at size %" PRIu64 " is not a checkpoint "
		    "of that size%s%s", ck->ck_size, perr[0] != '\0' ? ": " :
		    "", perr);
	/* The third line of the body is the root in base64. */
	line = ck->ck_note;
	for (i = 0; i < 2; i++)
		line = (const char *)memchr(line, '\n',
		    (size_t)(end - line)) + 1;
	ck->ck_root64 = line;
	ck->ck_root64len = (size_t)((const char *)memchr(line, '\n',
	    (size_t)(end - line)) - line);
	if (store_view_tree_size(v) < ck->ck_size)
		return cmd_report_fail(err, errlen, REPORT_ETREE, "the "
		    "checkpoint is of size %" PRIu64 " but the store's tree "
		    "has %" PRIu64 " leaves", ck->ck_size,
		    store_view_tree_size(v));
	if ((rc = merkle_root(store_view_tree(v), ck->ck_size, root)) != 0)
		return cmd_report_fail(err, errlen, rc, "the tree's root at "
		    "size %" PRIu64 ": %s", ck->ck_size, vlog_strerror(rc));
	if (memcmp(root, ck->ck_cp.nc_root, sizeof(root)) != 0)
		return cmd_report_fail(err, errlen, REPORT_ETREE, "the root "
		    "of the checkpoint at size %" PRIu64 " is not the root of "
		    "the store's tree at that size: run `algaudit verify`",
		    ck->ck_size);
	return 0;
}

/* The "checkpoint" object of the report. */
static json_t *
cmd_report_json_ckpt(struct store_view *v, const struct cmd_report_ckpt *ck)
{
	char hex[2 * NOTE_HASH_LEN + 1];
	json_t *o;

	receipt_hex(ck->ck_cp.nc_root, NOTE_HASH_LEN, hex);
	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "origin", cmd_report_jstr(ck->ck_cp.nc_origin))
	    == -1 ||
	    cmd_report_set(o, "size", cmd_report_jint(ck->ck_size)) == -1 ||
	    cmd_report_set(o, "root_hex", json_string(hex)) == -1 ||
	    cmd_report_set(o, "root_base64", cmd_report_jstrn(ck->ck_root64,
	    ck->ck_root64len)) == -1 ||
	    cmd_report_set(o, "root_matches_tree", json_true()) == -1 ||
	    cmd_report_set(o, "note", cmd_report_jstrn(ck->ck_note,
	    ck->ck_len)) == -1 ||
	    cmd_report_set(o, "log_size",
	    cmd_report_jint(store_view_size(v))) == -1 ||
	    cmd_report_set(o, "entries_after",
	    cmd_report_jint(store_view_size(v) > ck->ck_size ?
	    store_view_size(v) - ck->ck_size : 0)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The "volume" object: the series from the range's first bucket on. */
static json_t *
cmd_report_json_volume(const struct cmd_report_state *s)
{
	json_t *o, *a, *b;
	int64_t t, end;
	size_t i = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "bucket",
	    json_string(cmd_report_levels[s->rs_level].rl_name)) == -1 ||
	    cmd_report_set(o, "buckets", a = json_array()) == -1)
		goto fail;
	if (!s->rs_has_range)
		return o;
	end = cmd_report_bucket(s->rs_level, s->rs_hi);
	for (t = cmd_report_bucket(s->rs_level, s->rs_lo); ;
	    t = cmd_report_bucket_next(s->rs_level, t)) {
		while (i < s->rs_nvol && s->rs_vol[i].rb_start < t)
			i++;
		if ((b = cmd_report_jobj(a)) == NULL ||
		    cmd_report_set_time(b, "start", t) == -1 ||
		    cmd_report_set(b, "records", cmd_report_jint(i <
		    s->rs_nvol && s->rs_vol[i].rb_start == t ?
		    s->rs_vol[i].rb_n : 0)) == -1)
			goto fail;
		if (t >= end)
			break;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The display name of a map key: its value, or a pseudo-group's name. */
static json_t *
cmd_report_json_value(const struct cmd_report_cell *c)
{
	if (c->rc_key == NULL || c->rc_key[0] != CMD_REPORT_K_VALUE)
		return json_null();
	return cmd_report_jstr(c->rc_key + 1);
}

/* Sets o["favourable"] when favourable decisions were given. */
static int
cmd_report_set_fav(json_t *o, const struct cmd_report_opts *op,
    const struct cmd_report_cell *c)
{
	if (op->ro_nfavourable == 0)
		return 0;
	if (cmd_report_set(o, "favourable", cmd_report_jint(c->rc_fav)) == -1)
		return -1;
	return cmd_report_set(o, "favourable_rate",
	    cmd_report_jrate(c->rc_fav, c->rc_n));
}

/* An array of the decisions of map m, most frequent first. */
static json_t *
cmd_report_json_decisions(struct cmd_report_map *m,
    const struct cmd_report_opts *op, uint64_t total)
{
	struct cmd_report_cell **v;
	json_t *a, *d;
	size_t i, n;

	if ((v = cmd_report_map_sorted(m, cmd_report_by_count, &n)) == NULL)
		return NULL;
	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((d = cmd_report_jobj(a)) == NULL ||
		    cmd_report_set(d, "decision",
		    cmd_report_json_value(v[i])) == -1 ||
		    cmd_report_set(d, "other", json_boolean(v[i]->rc_key ==
		    NULL)) == -1 ||
		    cmd_report_set(d, "records", cmd_report_jint(v[i]->rc_n))
		    == -1 ||
		    cmd_report_set(d, "share", cmd_report_jrate(v[i]->rc_n,
		    total)) == -1 ||
		    (op->ro_nfavourable > 0 && cmd_report_set(d,
		    "is_favourable", json_boolean(v[i]->rc_key != NULL &&
		    v[i]->rc_key[0] == CMD_REPORT_K_VALUE &&
		    cmd_report_favourable(op, v[i]->rc_key + 1) >= 0)) == -1))
			goto fail;
	}
	free(v);
	return a;
fail:
	free(v);
	json_decref(a);
	return NULL;
}

/*
 * The chart bins of the scores: about CMD_REPORT_SHOW_BINS bins of a
 * round width over [min, max]. Sets *lo (a multiple of *step), *step
 * and *n.
 */
static void
cmd_report_score_bins(const struct cmd_report_state *s, double *lo,
    double *step, size_t *n)
{
	double range = s->rs_smax - s->rs_smin, x, e, f;
	double lo_i, hi_i;

	x = range > 0 ? range / CMD_REPORT_SHOW_BINS :
	    (s->rs_smin != 0 ? fabs(s->rs_smin) / 10 : 0.1);
	e = pow(10, floor(log10(x)));
	f = x / e;
	*step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) *
	    e;
	lo_i = floor(s->rs_smin / *step);
	hi_i = floor(s->rs_smax / *step);
	*lo = lo_i * *step;
	*n = (size_t)(hi_i - lo_i) + 1;
	if (*n > 2 * CMD_REPORT_SHOW_BINS)
		*n = 2 * CMD_REPORT_SHOW_BINS;	/* only by rounding */
}

/* The "score" object of one version's sketch h, in the chart bins. */
static json_t *
cmd_report_json_score(const struct cmd_report_hist *h, double lo,
    double step, size_t nbins)
{
	uint64_t count[2 * CMD_REPORT_SHOW_BINS];
	json_t *o, *a;
	double c, k;
	size_t j, b;

	if (h->rh_n == 0)
		return json_null();
	memset(count, 0, sizeof(count));
	for (j = 0; j < CMD_REPORT_HIST_BINS; j++) {
		if (h->rh_bin[j] == 0)
			continue;
		c = h->rh_lo + ((double)j + 0.5) * h->rh_w;
		if (c < h->rh_min)
			c = h->rh_min;
		if (c > h->rh_max)
			c = h->rh_max;
		k = floor(c / step) - floor(lo / step);
		b = k < 0 ? 0 : k >= (double)nbins ? nbins - 1 : (size_t)k;
		count[b] += h->rh_bin[j];
	}
	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "scored", cmd_report_jint(h->rh_n)) == -1 ||
	    cmd_report_set(o, "min", json_real(h->rh_min)) == -1 ||
	    cmd_report_set(o, "median",
	    json_real(cmd_report_hist_quantile(h, 0.5))) == -1 ||
	    cmd_report_set(o, "p90",
	    json_real(cmd_report_hist_quantile(h, 0.9))) == -1 ||
	    cmd_report_set(o, "max", json_real(h->rh_max)) == -1 ||
	    cmd_report_set(o, "resolution", json_real(h->rh_w)) == -1 ||
	    cmd_report_set(o, "histogram", a = json_array()) == -1)
		goto fail;
	for (b = 0; b < nbins; b++)
		if (json_array_append_new(a, cmd_report_jint(count[b])) == -1)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The "versions" array, in the order they first appear in the log. */
static json_t *
cmd_report_json_versions(struct cmd_report_state *s, double lo, double step,
    size_t nbins)
{
	struct cmd_report_version *rv;
	struct cmd_report_cell **v;
	json_t *a, *o;
	size_t i, n;

	if ((v = cmd_report_map_sorted(&s->rs_versions, cmd_report_by_first,
	    &n)) == NULL)
		return NULL;
	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		rv = v[i]->rc_aux;
		if ((o = cmd_report_jobj(a)) == NULL ||
		    cmd_report_set(o, "version",
		    cmd_report_json_value(v[i])) == -1 ||
		    cmd_report_set(o, "other", json_boolean(v[i]->rc_key ==
		    NULL)) == -1 ||
		    cmd_report_set(o, "records", cmd_report_jint(v[i]->rc_n))
		    == -1 ||
		    cmd_report_set(o, "first_index",
		    cmd_report_jint(v[i]->rc_first)) == -1 ||
		    cmd_report_set_fav(o, s->rs_o, v[i]) == -1 ||
		    cmd_report_set(o, "decisions",
		    cmd_report_json_decisions(&rv->rv_decisions, s->rs_o,
		    v[i]->rc_n)) == -1 ||
		    cmd_report_set(o, "score", cmd_report_json_score(
		    &rv->rv_hist, lo, step, nbins)) == -1)
			goto fail;
	}
	free(v);
	return a;
fail:
	free(v);
	json_decref(a);
	return NULL;
}

/* The "scores" object: the chart bins and how quantiles are computed. */
static json_t *
cmd_report_json_scores(const struct cmd_report_state *s, double lo,
    double step, size_t nbins)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "scored", cmd_report_jint(s->rs_scored)) == -1 ||
	    cmd_report_set(o, "unscored",
	    cmd_report_jint(s->rs_records - s->rs_scored)) == -1 ||
	    (s->rs_scored > 0 &&
	    (cmd_report_set(o, "bins_lo", json_real(lo)) == -1 ||
	    cmd_report_set(o, "bin_width", json_real(step)) == -1 ||
	    cmd_report_set(o, "bins", cmd_report_jint(nbins)) == -1)) ||
	    cmd_report_set(o, "method", json_string("min and max are exact; "
	    "median and p90 are nearest-rank quantiles read from a "
	    "1024-bin histogram per version whose bin width (resolution, a "
	    "power of two) doubles as the observed range grows, so each is "
	    "within half a bin width of the exact value; the chart bins "
	    "are filled from the same histogram by bin centre")) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The display label of group cell c. */
static json_t *
cmd_report_group_label(const struct cmd_report_opts *op,
    const struct cmd_report_cell *c)
{
	char buf[3 * OUTPUT_NUMLEN + 16], a[OUTPUT_NUMLEN], b[OUTPUT_NUMLEN];
	size_t i;

	if (c->rc_key == NULL)
		return json_string("(other values)");
	switch (c->rc_key[0]) {
	case CMD_REPORT_K_VALUE:
		return cmd_report_jstr(c->rc_key + 1);
	case CMD_REPORT_K_BIN:
		i = (size_t)strtoul(c->rc_key + 1, NULL, 10);
		if (i == 0) {
			output_double(a, sizeof(a), op->ro_edges[0]);
			snprintf(buf, sizeof(buf), "< %s", a);
		} else if (i == op->ro_nedges) {
			output_double(a, sizeof(a), op->ro_edges[i - 1]);
			snprintf(buf, sizeof(buf), ">= %s", a);
		} else {
			output_double(a, sizeof(a), op->ro_edges[i - 1]);
			output_double(b, sizeof(b), op->ro_edges[i]);
			snprintf(buf, sizeof(buf), "[%s, %s)", a, b);
		}
		return json_string(buf);
	default:
		if (strcmp(c->rc_key + 1, "missing") == 0)
			return json_string("(missing)");
		if (strcmp(c->rc_key + 1, "withheld-core") == 0)
			return json_string("(withheld: core data)");
		return json_string("(withheld: important data)");
	}
}

/* The kind of group cell c: value, bin, missing, withheld or other. */
static const char *
cmd_report_group_kind(const struct cmd_report_cell *c)
{
	if (c->rc_key == NULL)
		return "other";
	if (c->rc_key[0] == CMD_REPORT_K_VALUE)
		return "value";
	if (c->rc_key[0] == CMD_REPORT_K_BIN)
		return "bin";
	if (strcmp(c->rc_key + 1, "missing") == 0)
		return "missing";
	return "withheld";
}

/* The "groups" object (null without --group-by). */
static json_t *
cmd_report_json_groups(struct cmd_report_state *s)
{
	const struct cmd_report_opts *op = s->rs_o;
	struct cmd_report_cell **v, *ref = NULL;
	json_t *o, *a, *g, *edges;
	double rate, rrate = 0;
	uint64_t flagged = 0;
	size_t i, n = 0;
	int rates, small, flag;

	if (op->ro_group == REPORT_GROUP_NONE)
		return json_null();
	if ((v = cmd_report_map_sorted(&s->rs_groups, cmd_report_by_group,
	    &n)) == NULL)
		return NULL;
	rates = op->ro_nfavourable > 0;
	/* The reference: the value group of enough records rated best. */
	for (i = 0; rates && i < n; i++) {
		if (v[i]->rc_key == NULL || v[i]->rc_n < op->ro_min_group ||
		    (v[i]->rc_key[0] != CMD_REPORT_K_VALUE &&
		    v[i]->rc_key[0] != CMD_REPORT_K_BIN))
			continue;
		rate = (double)v[i]->rc_fav / (double)v[i]->rc_n;
		if (ref == NULL || rate > rrate ||
		    (rate == rrate && v[i]->rc_n > ref->rc_n)) {
			ref = v[i];
			rrate = rate;
		}
	}
	if ((o = json_object()) == NULL)
		goto fail;
	if (cmd_report_set(o, "by", json_string(op->ro_group ==
	    REPORT_GROUP_LABEL ? "label" : "input")) == -1 ||
	    cmd_report_set(o, "name", cmd_report_jstr(op->ro_group_name)) ==
	    -1 ||
	    cmd_report_set(o, "edges", edges = json_array()) == -1 ||
	    cmd_report_set(o, "rates", json_boolean(rates)) == -1 ||
	    cmd_report_set(o, "min_group", cmd_report_jint(op->ro_min_group))
	    == -1 ||
	    cmd_report_set(o, "threshold",
	    json_real(CMD_REPORT_FOUR_FIFTHS)) == -1 ||
	    cmd_report_set(o, "allow_important",
	    json_boolean(op->ro_allow_important)) == -1 ||
	    cmd_report_set(o, "reference", ref != NULL ?
	    cmd_report_group_label(op, ref) : json_null()) == -1 ||
	    cmd_report_set(o, "reference_rate", ref != NULL ?
	    json_real(rrate) : json_null()) == -1 ||
	    cmd_report_set(o, "groups", a = json_array()) == -1)
		goto fail;
	for (i = 0; i < op->ro_nedges; i++)
		if (json_array_append_new(edges,
		    json_real(op->ro_edges[i])) == -1)
			goto fail;
	for (i = 0; i < n; i++) {
		small = v[i]->rc_n < op->ro_min_group;
		rate = (double)v[i]->rc_fav / (double)v[i]->rc_n;
		flag = rates && ref != NULL && rrate > 0 && !small &&
		    rate / rrate < CMD_REPORT_FOUR_FIFTHS;
		flagged += flag;
		if ((g = cmd_report_jobj(a)) == NULL ||
		    cmd_report_set(g, "label",
		    cmd_report_group_label(op, v[i])) == -1 ||
		    cmd_report_set(g, "value",
		    cmd_report_json_value(v[i])) == -1 ||
		    cmd_report_set(g, "kind",
		    json_string(cmd_report_group_kind(v[i]))) == -1 ||
		    cmd_report_set(g, "records", cmd_report_jint(v[i]->rc_n))
		    == -1 ||
		    cmd_report_set(g, "small", json_boolean(small)) == -1)
			goto fail;
		if (!rates)
			continue;
		if (cmd_report_set(g, "favourable",
		    cmd_report_jint(v[i]->rc_fav)) == -1 ||
		    cmd_report_set(g, "rate", json_real(rate)) == -1 ||
		    cmd_report_set(g, "spd", ref != NULL ?
		    json_real(rate - rrate) : json_null()) == -1 ||
		    cmd_report_set(g, "di", ref != NULL && rrate > 0 ?
		    json_real(rate / rrate) : json_null()) == -1 ||
		    cmd_report_set(g, "reference", json_boolean(v[i] == ref))
		    == -1 ||
		    cmd_report_set(g, "flag", json_boolean(flag)) == -1)
			goto fail;
	}
	if (cmd_report_set(o, "flagged", cmd_report_jint(flagged)) == -1)
		goto fail;
	free(v);
	return o;
fail:
	free(v);
	json_decref(o);
	return NULL;
}

/* The "human" object: automation levels, review and overrides. */
static json_t *
cmd_report_json_human(const struct cmd_report_state *s)
{
	json_t *o, *a, *l, *ov;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "automation", a = json_array()) == -1)
		goto fail;
	for (i = 0; i < CMD_REPORT_NAUTO; i++)
		if ((l = cmd_report_jobj(a)) == NULL ||
		    cmd_report_set(l, "level",
		    json_string(cmd_report_automation[i])) == -1 ||
		    cmd_report_set(l, "records",
		    cmd_report_jint(s->rs_auto[i])) == -1 ||
		    cmd_report_set(l, "share", cmd_report_jrate(s->rs_auto[i],
		    s->rs_records)) == -1)
			goto fail;
	if (cmd_report_set(o, "reviewed", cmd_report_jint(s->rs_reviewed)) ==
	    -1 ||
	    cmd_report_set(o, "review_rate", cmd_report_jrate(s->rs_reviewed,
	    s->rs_records)) == -1 ||
	    cmd_report_set(o, "override", ov = json_object()) == -1 ||
	    cmd_report_set(ov, "label_key", cmd_report_jstr(s->rs_ovkey)) ==
	    -1 ||
	    cmd_report_set(ov, "label_value", cmd_report_jstr(s->rs_ovvalue))
	    == -1 ||
	    cmd_report_set(ov, "carrying", cmd_report_jint(s->rs_ov_carrying))
	    == -1 ||
	    cmd_report_set(ov, "overridden",
	    cmd_report_jint(s->rs_ov_reviewed)) == -1 ||
	    cmd_report_set(ov, "overridden_unreviewed",
	    cmd_report_jint(s->rs_ov_unreviewed)) == -1 ||
	    cmd_report_set(ov, "rate", s->rs_ov_carrying > 0 ?
	    cmd_report_jrate(s->rs_ov_reviewed, s->rs_reviewed) :
	    json_null()) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The "reason_codes" object: the most frequent codes. */
static json_t *
cmd_report_json_codes(struct cmd_report_state *s)
{
	struct cmd_report_cell **v;
	json_t *o, *a, *c;
	size_t i, n;

	if ((v = cmd_report_map_sorted(&s->rs_codes, cmd_report_by_count,
	    &n)) == NULL)
		return NULL;
	if ((o = json_object()) == NULL)
		goto fail;
	if (cmd_report_set(o, "records_with_codes",
	    cmd_report_jint(s->rs_coded)) == -1 ||
	    cmd_report_set(o, "distinct", cmd_report_jint(s->rs_codes.rm_n)) ==
	    -1 ||
	    cmd_report_set(o, "distinct_capped",
	    json_boolean(s->rs_codes.rm_other.rc_n > 0)) == -1 ||
	    cmd_report_set(o, "top", a = json_array()) == -1)
		goto fail;
	for (i = 0; i < n && i < CMD_REPORT_TOP_CODES; i++) {
		if (v[i]->rc_key == NULL)
			break;	/* "other" sorts last */
		if ((c = cmd_report_jobj(a)) == NULL ||
		    cmd_report_set(c, "code", cmd_report_jstr(v[i]->rc_key + 1))
		    == -1 ||
		    cmd_report_set(c, "records", cmd_report_jint(v[i]->rc_n)) ==
		    -1 ||
		    cmd_report_set(c, "share", cmd_report_jrate(v[i]->rc_n,
		    s->rs_records)) == -1)
			goto fail;
	}
	free(v);
	return o;
fail:
	free(v);
	json_decref(o);
	return NULL;
}

/* The "clock_skew" object. */
static json_t *
cmd_report_json_skew(const struct cmd_report_state *s)
{
	json_t *o, *a;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "flagged", cmd_report_jint(s->rs_flagged)) ==
	    -1 ||
	    cmd_report_set(o, "event_after_receive",
	    cmd_report_jint(s->rs_flag_ahead)) == -1 ||
	    cmd_report_set(o, "event_before_receive",
	    cmd_report_jint(s->rs_flag_behind)) == -1 ||
	    cmd_report_set(o, "report_threshold_ns",
	    json_integer(s->rs_skew_ns)) == -1 ||
	    cmd_report_set(o, "beyond_report_threshold",
	    cmd_report_jint(s->rs_skewed)) == -1 ||
	    cmd_report_set(o, "max_abs_ns", json_real(s->rs_skew_max)) == -1 ||
	    cmd_report_set(o, "no_event_time", cmd_report_jint(s->rs_untimed))
	    == -1 ||
	    cmd_report_set(o, "no_receive_time",
	    cmd_report_jint(s->rs_unreceived)) == -1 ||
	    cmd_report_set(o, "examples", a = json_array()) == -1)
		goto fail;
	for (i = 0; i < s->rs_nflag_ex; i++)
		if (json_array_append_new(a,
		    cmd_report_jint(s->rs_flag_ex[i])) == -1)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/*
 * The "loss" object: the loss records of the producers that delivered
 * the selected records, in the same time window and index range. A loss
 * record names no algorithm, so the dropped records may have been of
 * any; the count is an upper bound for this algorithm. Reads every
 * entry of those producers in the window (the producer index selects
 * them; nothing else marks a loss record).
 */
static int
cmd_report_json_loss(struct store_view *v, struct cmd_report_state *s,
    const struct query_filter *sel, json_t **out, char *err, size_t errlen)
{
	const struct query_filter *f = &s->rs_o->ro_filter;
	const Algaudit__V1__Entry *e;
	struct cmd_report_cell **cells = NULL;
	struct query_filter q;
	struct query *qy = NULL;
	uint64_t idx, nloss, lost, tloss = 0, tlost = 0;
	json_t *o = NULL, *a, *p;
	size_t i, n = 0;
	int rc = ENOMEM;

	*out = NULL;
	if ((o = json_object()) == NULL ||
	    cmd_report_set(o, "producers", a = json_array()) == -1)
		goto out;
	memset(&q, 0, sizeof(q));
	q.qf_from = sel->qf_from;
	q.qf_to = sel->qf_to;
	q.qf_has_to = 1;
	q.qf_has_since = 1;
	q.qf_since_ns = f->qf_has_since ? f->qf_since_ns : s->rs_ev_min;
	q.qf_has_until = 1;
	q.qf_until_ns = f->qf_has_until ? f->qf_until_ns :
	    (s->rs_ev_max < INT64_MAX ? s->rs_ev_max + 1 : INT64_MAX);
	if (cmd_report_set(o, "window", json_boolean(s->rs_timed ||
	    (f->qf_has_since && f->qf_has_until))) == -1)
		goto out;
	if ((s->rs_timed || (f->qf_has_since && f->qf_has_until)) &&
	    (cmd_report_set_time(o, "since", q.qf_since_ns) == -1 ||
	    cmd_report_set_time(o, "until", q.qf_until_ns) == -1))
		goto out;
	if ((cells = cmd_report_map_sorted(&s->rs_producers,
	    cmd_report_by_count, &n)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (cells[i]->rc_key == NULL)
			break;	/* producers past the cap: not looked up */
		nloss = lost = 0;
		q.qf_producer = cells[i]->rc_key + 1;
		if (q.qf_since_ns < q.qf_until_ns &&
		    (s->rs_timed || (f->qf_has_since && f->qf_has_until))) {
			if ((rc = query_open(v, &q, &qy, err, errlen)) != 0)
				goto out;
			while ((rc = query_next(qy, &idx, &e)) == 0)
				if (e->record != NULL &&
				    e->record->has_lost_records &&
				    e->record->lost_records > 0) {
					nloss++;
					lost += e->record->lost_records;
				}
			query_close(qy);
			qy = NULL;
			if (rc != STORE_ENOTFOUND) {
				if (rc == QUERY_EDECODE)
					snprintf(err, errlen, "entry %" PRIu64
					    ": does not decode", idx);
				goto out;
			}
		}
		rc = ENOMEM;
		tloss += nloss;
		tlost += lost;
		if ((p = cmd_report_jobj(a)) == NULL ||
		    cmd_report_set(p, "producer",
		    cmd_report_jstr(cells[i]->rc_key + 1)) == -1 ||
		    cmd_report_set(p, "records",
		    cmd_report_jint(cells[i]->rc_n)) == -1 ||
		    cmd_report_set(p, "loss_records", cmd_report_jint(nloss)) ==
		    -1 ||
		    cmd_report_set(p, "lost_records", cmd_report_jint(lost)) ==
		    -1)
			goto out;
	}
	if (cmd_report_set(o, "loss_records", cmd_report_jint(tloss)) == -1 ||
	    cmd_report_set(o, "lost_records", cmd_report_jint(tlost)) == -1 ||
	    cmd_report_set(o, "producers_capped",
	    json_boolean(s->rs_producers.rm_other.rc_n > 0)) == -1)
		goto out;
	*out = o;
	o = NULL;
	rc = 0;
out:
	query_close(qy);
	free(cells);
	json_decref(o);
	return rc;
}

/* The "selection" object: what was asked and the log range counted. */
static json_t *
cmd_report_json_selection(const struct cmd_report_opts *op,
    const struct query_filter *sel, int empty)
{
	const struct query_filter *f = &op->ro_filter;
	json_t *o, *fa;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "algorithm", cmd_report_jstr(f->qf_algorithm)) ==
	    -1 ||
	    cmd_report_set(o, "version", cmd_report_jstr(f->qf_version)) ==
	    -1 ||
	    cmd_report_set(o, "options", op->ro_options != NULL ?
	    json_deep_copy(op->ro_options) : json_array()) == -1 ||
	    cmd_report_set(o, "from_index", cmd_report_jint(sel->qf_from)) ==
	    -1 ||
	    cmd_report_set(o, "to_index", empty ? json_null() :
	    cmd_report_jint(sel->qf_to)) == -1 ||
	    (f->qf_has_since &&
	    cmd_report_set_time(o, "since", f->qf_since_ns) == -1) ||
	    (f->qf_has_until &&
	    cmd_report_set_time(o, "until", f->qf_until_ns) == -1) ||
	    cmd_report_set(o, "favourable", fa = json_array()) == -1)
		goto fail;
	for (i = 0; i < op->ro_nfavourable; i++)
		if (json_array_append_new(fa,
		    cmd_report_jstr(op->ro_favourable[i])) == -1)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The "favourable" summary: overall rate, decisions never seen. */
static json_t *
cmd_report_json_fav(const struct cmd_report_state *s)
{
	const struct cmd_report_opts *op = s->rs_o;
	json_t *o, *a;
	size_t i;

	if (op->ro_nfavourable == 0)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	if (cmd_report_set(o, "records", cmd_report_jint(s->rs_favourable)) ==
	    -1 ||
	    cmd_report_set(o, "rate", cmd_report_jrate(s->rs_favourable,
	    s->rs_records)) == -1 ||
	    cmd_report_set(o, "unseen", a = json_array()) == -1)
		goto fail;
	for (i = 0; i < op->ro_nfavourable; i++)
		if (!s->rs_fav_seen[i] && json_array_append_new(a,
		    cmd_report_jstr(op->ro_favourable[i])) == -1)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Builds the report document of the counted state s. */
static int
cmd_report_json(struct store_view *v, struct cmd_report_state *s,
    const struct cmd_report_ckpt *ck, const struct query_filter *sel,
    int empty, json_t **out, char *err, size_t errlen)
{
	const struct cmd_report_opts *op = s->rs_o;
	json_t *o, *r, *loss = NULL;
	double lo = 0, step = 0;
	size_t nbins = 0;
	int rc;

	*out = NULL;
	if (s->rs_scored > 0)
		cmd_report_score_bins(s, &lo, &step, &nbins);
	if ((o = json_object()) == NULL)
		return ENOMEM;
	if (cmd_report_set(o, "format", json_string(REPORT_FORMAT)) == -1 ||
	    cmd_report_set(o, "tool", json_string("algaudit "
	    ALGAUDIT_VERSION_STRING)) == -1 ||
	    cmd_report_set_time(o, "generated", op->ro_now_ns != 0 ?
	    op->ro_now_ns : output_now_ns()) == -1 ||
	    cmd_report_set(o, "selection", cmd_report_json_selection(op, sel,
	    empty)) == -1 ||
	    cmd_report_set(o, "checkpoint", cmd_report_json_ckpt(v, ck)) ==
	    -1 ||
	    cmd_report_set(o, "records", cmd_report_jint(s->rs_records)) ==
	    -1 ||
	    cmd_report_set(o, "covered", r = json_object()) == -1 ||
	    cmd_report_set(r, "first_index", s->rs_records > 0 ?
	    cmd_report_jint(s->rs_first) : json_null()) == -1 ||
	    cmd_report_set(r, "last_index", s->rs_records > 0 ?
	    cmd_report_jint(s->rs_last) : json_null()) == -1 ||
	    cmd_report_set(r, "below_size", cmd_report_jint(ck->ck_size)) ==
	    -1 ||
	    cmd_report_set(o, "event_time", r = json_object()) == -1 ||
	    (s->rs_timed &&
	    (cmd_report_set_time(r, "first", s->rs_ev_min) == -1 ||
	    cmd_report_set_time(r, "last", s->rs_ev_max) == -1)) ||
	    cmd_report_set(o, "favourable", cmd_report_json_fav(s)) == -1 ||
	    cmd_report_set(o, "volume", cmd_report_json_volume(s)) == -1 ||
	    cmd_report_set(o, "decisions",
	    cmd_report_json_decisions(&s->rs_decisions, op, s->rs_records)) ==
	    -1 ||
	    cmd_report_set(o, "versions", cmd_report_json_versions(s, lo, step,
	    nbins)) == -1 ||
	    cmd_report_set(o, "scores", cmd_report_json_scores(s, lo, step,
	    nbins)) == -1 ||
	    cmd_report_set(o, "groups", cmd_report_json_groups(s)) == -1 ||
	    cmd_report_set(o, "human", cmd_report_json_human(s)) == -1 ||
	    cmd_report_set(o, "reason_codes", cmd_report_json_codes(s)) == -1 ||
	    cmd_report_set(o, "clock_skew", cmd_report_json_skew(s)) == -1) {
		json_decref(o);
		return ENOMEM;
	}
	if ((rc = cmd_report_json_loss(v, s, sel, &loss, err, errlen)) != 0 ||
	    cmd_report_set(o, "loss", loss) == -1) {
		json_decref(o);
		return rc != 0 ? rc : ENOMEM;
	}
	*out = o;
	return 0;
}

/* Frees what s holds. */
static void
cmd_report_state_free(struct cmd_report_state *s)
{
	cmd_report_map_free(&s->rs_versions);
	cmd_report_map_free(&s->rs_decisions);
	cmd_report_map_free(&s->rs_groups);
	cmd_report_map_free(&s->rs_codes);
	cmd_report_map_free(&s->rs_producers);
	free(s->rs_vol);
}

/*
 * Computes the report of selection o->ro_filter over view v below the
 * checkpoint o asks for (report.h has the contract).
 */
int
cmd_report_compute(struct store_view *v, const struct cmd_report_opts *o,
    json_t **out, char *err, size_t errlen)
{
	struct cmd_report_state s;
	struct cmd_report_ckpt ck;
	const Algaudit__V1__Entry *e;
	struct query_filter sel;
	struct query *q = NULL;
	uint64_t idx = 0;
	int rc, empty;

	*out = NULL;
	err[0] = '\0';
	if (o->ro_filter.qf_algorithm == NULL)
		return cmd_report_fail(err, errlen, QUERY_EFILTER, "the report "
		    "needs an algorithm");
	if ((rc = cmd_report_checkpoint(v, o, &ck, err, errlen)) != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	s.rs_o = o;
	s.rs_ovkey = o->ro_override_key != NULL ? o->ro_override_key :
	    "override";
	s.rs_ovvalue = o->ro_override_value != NULL ? o->ro_override_value :
	    "true";
	s.rs_skew_ns = o->ro_skew_ns > 0 ? o->ro_skew_ns : REPORT_SKEW_DEFAULT;
	cmd_report_map_init(&s.rs_versions, CMD_REPORT_VERSIONS_MAX);
	cmd_report_map_init(&s.rs_decisions, CMD_REPORT_DECISIONS_MAX);
	cmd_report_map_init(&s.rs_groups, CMD_REPORT_GROUPS_MAX);
	cmd_report_map_init(&s.rs_codes, CMD_REPORT_CODES_MAX);
	cmd_report_map_init(&s.rs_producers, CMD_REPORT_PRODUCERS_MAX);

	/* Only entries below the checkpoint count. */
	sel = o->ro_filter;
	sel.qf_reverse = 0;
	sel.qf_has_after = 0;
	empty = ck.ck_size == 0 || sel.qf_from >= ck.ck_size;
	if (!sel.qf_has_to || sel.qf_to > ck.ck_size - 1)
		sel.qf_to = ck.ck_size > 0 ? ck.ck_size - 1 : 0;
	sel.qf_has_to = 1;
	/* With both ends given, the volume range is known before. */
	if (sel.qf_has_since && sel.qf_has_until && sel.qf_since_ns > 0) {
		cmd_report_range(&s, sel.qf_since_ns);
		cmd_report_range(&s, sel.qf_until_ns - 1);
	}
	if (!empty) {
		if ((rc = query_open(v, &sel, &q, err, errlen)) != 0)
			goto out;
		while ((rc = query_next(q, &idx, &e)) == 0)
			if ((rc = cmd_report_add(&s, idx, e, err, errlen)) != 0)
				goto out;
		if (rc == QUERY_EDECODE) {
			snprintf(err, errlen, "entry %" PRIu64 ": does not "
			    "decode as an Entry", idx);
			goto out;
		}
		if (rc != STORE_ENOTFOUND)
			goto out;
	}
	/* One end given: the range runs from it to the records. */
	if (s.rs_timed && sel.qf_has_since && sel.qf_since_ns > 0)
		cmd_report_range(&s, sel.qf_since_ns);
	if (s.rs_timed && sel.qf_has_until && sel.qf_until_ns > 1)
		cmd_report_range(&s, sel.qf_until_ns - 1);
	rc = cmd_report_json(v, &s, &ck, &sel, empty, out, err, errlen);
out:
	query_close(q);
	cmd_report_state_free(&s);
	return rc;
}

/*
 * Parses a duration "N" followed by s, m, h or d into ns (at least one
 * second). Returns 0 or -1.
 */
static int
cmd_report_duration(const char *arg, int64_t *ns)
{
	static const struct {
		char	 u;
		int64_t	 ns;
	} units[] = {
		{ 's', CMD_REPORT_NS }, { 'm', 60 * CMD_REPORT_NS },
		{ 'h', 3600 * CMD_REPORT_NS }, { 'd', 86400 * CMD_REPORT_NS }
	};
	uint64_t n = 0;
	const char *p;
	size_t i;

	for (p = arg; *p >= '0' && *p <= '9'; p++) {
		if (n > 1000000000)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == arg || p[0] == '\0' || p[1] != '\0' || n == 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].u == *p) {
			*ns = (int64_t)n * units[i].ns;
			return 0;
		}
	return -1;
}

/* Parses --group-bins E1,E2,... (finite, ascending) into o. */
static void
cmd_report_edges(struct cmd_report_opts *o, const char *arg)
{
	const char *p = arg;
	char *end;
	double x;

	o->ro_nedges = 0;
	for (;;) {
		if (o->ro_nedges == REPORT_EDGES_MAX)
			cli_usage(CMD_REPORT_USAGE, "--group-bins: more "
			    "than %d edges", REPORT_EDGES_MAX);
		errno = 0;
		x = strtod(p, &end);
		if (end == p || (*end != ',' && *end != '\0') || *p == ' ' ||
		    !isfinite(x) || errno == ERANGE)
			cli_usage(CMD_REPORT_USAGE, "--group-bins: '%s': "
			    "invalid number at '%s' (give ascending numbers "
			    "separated by commas)", arg, p);
		if (o->ro_nedges > 0 && x <= o->ro_edges[o->ro_nedges - 1])
			cli_usage(CMD_REPORT_USAGE, "--group-bins: '%s': the "
			    "edges must be strictly ascending", arg);
		o->ro_edges[o->ro_nedges++] = x;
		if (*end == '\0')
			break;
		p = end + 1;
	}
}

/* Parses one --favourable D[,D...] into o (arg must outlive o). */
static void
cmd_report_fav_option(struct cmd_report_opts *o, char *arg)
{
	char *p, *next;
	size_t i;

	for (p = arg; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			cli_usage(CMD_REPORT_USAGE, "--favourable: an empty "
			    "decision");
		if (strlen(p) > RECORD_MAX_ID || !record_utf8_valid(p,
		    strlen(p)))
			cli_usage(CMD_REPORT_USAGE, "--favourable: '%.40s' is "
			    "not a decision (UTF-8, at most %d bytes)", p,
			    RECORD_MAX_ID);
		for (i = 0; i < o->ro_nfavourable; i++)
			if (strcmp(o->ro_favourable[i], p) == 0)
				break;
		if (i < o->ro_nfavourable)
			continue;
		if (o->ro_nfavourable == REPORT_FAVOURABLE_MAX)
			cli_usage(CMD_REPORT_USAGE, "--favourable: more than "
			    "%d decisions", REPORT_FAVOURABLE_MAX);
		o->ro_favourable[o->ro_nfavourable++] = p;
	}
}

/* Parses --group-by NAME, input:NAME or label:KEY into o. */
static void
cmd_report_group_option(struct cmd_report_opts *o, const char *arg)
{
	const char *name = arg;

	o->ro_group = REPORT_GROUP_INPUT;
	if (strncmp(arg, "label:", 6) == 0) {
		o->ro_group = REPORT_GROUP_LABEL;
		name = arg + 6;
	} else if (strncmp(arg, "input:", 6) == 0)
		name = arg + 6;
	if (*name == '\0' || strlen(name) > RECORD_MAX_NAME ||
	    !record_utf8_valid(name, strlen(name)))
		cli_usage(CMD_REPORT_USAGE, "--group-by: '%.40s' does not name "
		    "an input or a label (UTF-8, 1 to %d bytes)", arg,
		    RECORD_MAX_NAME);
	o->ro_group_name = name;
}

/*
 * Writes the report r to path ("-": stdout) in format (html or json),
 * whole or not at all: into a temporary file next to it, renamed over
 * it once complete. Returns 0, or -1 after saying why.
 */
static int
cmd_report_write(const char *path, int json, const json_t *r)
{
	char tmp[4096];
	mode_t mask;
	FILE *fp;
	int fd, rc;

	if (strcmp(path, "-") == 0) {
		rc = json ? json_dumpf(r, stdout, JSON_INDENT(2)) :
		    report_html_write(stdout, r);
		if (rc != 0 || (json && fputc('\n', stdout) == EOF) ||
		    fflush(stdout) == EOF) {
			cli_warnx("report", "writing to stdout: %s", rc > 0 ?
			    strerror(rc) : "write error");
			return -1;
		}
		return 0;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    sizeof(tmp)) {
		cli_warnx("report", "--out: path too long");
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		cli_warnx("report", "%s: %s", tmp, strerror(errno));
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		cli_warnx("report", "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	rc = json ? json_dumpf(r, fp, JSON_INDENT(2)) :
	    report_html_write(fp, r);
	if (rc == 0 && json && fputc('\n', fp) == EOF)
		rc = EIO;
	if (fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) == -1)
		rc = rc != 0 ? rc : errno != 0 ? errno : EIO;
	if (fclose(fp) == EOF && rc == 0)
		rc = errno != 0 ? errno : EIO;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = errno;
	if (rc != 0) {
		cli_warnx("report", "%s: %s", path, rc > 0 ? strerror(rc) :
		    "write error");
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The exit status of a cmd_report_compute() failure, after saying why. */
static int
cmd_report_failed(const char *dir, int rc, const char *err)
{
	const char *sep = err[0] != '\0' ? ": " : "";

	switch (rc) {
	case REPORT_EGROUP:
		cli_warnx("report", "%s", err);
		return TOOLS_EXIT_USAGE;
	case REPORT_ETREE:
		cli_warnx("report", "%s: %s%s%s", dir, cmd_report_strerror(rc),
		    sep, err);
		return TOOLS_EXIT_VERIFY;
	case REPORT_ENOCKPT:
		cli_warnx("report", "%s: %s", dir, err);
		return TOOLS_EXIT_FAIL;
	case QUERY_EFILTER:
	case QUERY_EUNINDEXED:
		cli_warnx("report", "%s%s%s", cmd_report_strerror(rc), sep,
		    err);
		return TOOLS_EXIT_USAGE;
	default:
		cli_warnx("report", "%s: %s%s%s", dir, rc > 0 ? strerror(rc) :
		    cmd_report_strerror(rc), sep, err);
		return TOOLS_EXIT_FAIL;
	}
}

/* Appends ["--name", "value"] to the options array a (exits on ENOMEM). */
static void
cmd_report_note_option(json_t *a, const char *name, const char *value)
{
	json_t *p;

	if ((p = json_array()) == NULL ||
	    json_array_append_new(a, p) == -1 ||
	    json_array_append_new(p, json_string(name)) == -1 ||
	    (value != NULL &&
	    json_array_append_new(p, cmd_report_jstr(value)) == -1)) {
		cli_warnx("report", "%s", strerror(ENOMEM));
		exit(TOOLS_EXIT_FAIL);
	}
}

/* Warns about what makes a report say less than was asked. */
static void
cmd_report_warn(const json_t *r, const char *algorithm)
{
	const json_t *a;
	size_t i;

	if (json_integer_value(json_object_get(r, "records")) == 0)
		cli_warnx("report", "no records of '%s' below the checkpoint "
		    "match the selection; the report says so", algorithm);
	a = json_object_get(json_object_get(r, "favourable"), "unseen");
	for (i = 0; i < json_array_size(a); i++)
		cli_warnx("report", "--favourable: no selected record has "
		    "the decision '%s'", json_string_value(json_array_get(a,
		    i)));
}

/* algaudit report: computes and writes the report. */
int
cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "group-bins", required_argument, NULL, 'b' },
		{ "favourable", required_argument, NULL, 'f' },
		{ "min-group", required_argument, NULL, 'm' },
		{ "allow-important", no_argument, NULL, 'i' },
		{ "override-label", required_argument, NULL, 'L' },
		{ "skew", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_report_opts o;
	struct store_view *v = NULL;
	struct store *st = NULL;
	struct filter f;
	const char *dir = NULL, *out = NULL, *bins = NULL;
	char err[REPORT_ERRLEN], name[32], *eq;
	json_t *opts, *r = NULL;
	int c, ex, idx, json = 0, has_format = 0;

	memset(&o, 0, sizeof(o));
	filter_init(&f, output_now_ns());
	o.ro_now_ns = f.fl_now_ns;
	o.ro_min_group = REPORT_MIN_GROUP_DEFAULT;
	o.ro_skew_ns = REPORT_SKEW_DEFAULT;
	if ((opts = json_array()) == NULL) {
		cli_warnx("report", "%s", strerror(ENOMEM));
		return TOOLS_EXIT_FAIL;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, &idx)) != -1) {
		if (filter_cli_option(CMD_REPORT_USAGE, &f, c, optarg)) {
			cmd_report_note_option(opts, filter_option_name(c),
			    optarg);
			continue;
		}
		switch (c) {
		case 's':
			if (dir != NULL)
				cli_usage(CMD_REPORT_USAGE, "--store: given "
				    "twice");
			dir = optarg;
			continue;
		case 'o':
			if (out != NULL)
				cli_usage(CMD_REPORT_USAGE, "--out: given "
				    "twice");
			if (*optarg == '\0')
				cli_usage(CMD_REPORT_USAGE, "--out: empty "
				    "value");
			out = optarg;
			continue;
		case 'F':
			if (has_format++)
				cli_usage(CMD_REPORT_USAGE, "--format: given "
				    "twice");
			if (strcmp(optarg, "json") == 0)
				json = 1;
			else if (strcmp(optarg, "html") != 0)
				cli_usage(CMD_REPORT_USAGE, "--format: unknown "
				    "format '%s' (html or json)", optarg);
			continue;
		case 'g':
			if (o.ro_group != REPORT_GROUP_NONE)
				cli_usage(CMD_REPORT_USAGE, "--group-by: given "
				    "twice");
			cmd_report_group_option(&o, optarg);
			break;
		case 'b':
			if (bins != NULL)
				cli_usage(CMD_REPORT_USAGE, "--group-bins: "
				    "given twice");
			bins = optarg;
			cmd_report_edges(&o, optarg);
			break;
		case 'f':
			cmd_report_note_option(opts, "--favourable", optarg);
			cmd_report_fav_option(&o, optarg);
			continue;
		case 'm':
			o.ro_min_group = cli_number(CMD_REPORT_USAGE,
			    "--min-group", optarg, 1, UINT32_MAX);
			break;
		case 'i':
			o.ro_allow_important = 1;
			break;
		case 'L':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    eq == optarg || eq[1] == '\0')
				cli_usage(CMD_REPORT_USAGE, "--override-label: "
				    "'%s' is not KEY=VALUE", optarg);
			cmd_report_note_option(opts, "--override-label",
			    optarg);
			*eq = '\0';
			o.ro_override_key = optarg;
			o.ro_override_value = eq + 1;
			continue;
		case 'k':
			if (cmd_report_duration(optarg, &o.ro_skew_ns) == -1)
				cli_usage(CMD_REPORT_USAGE, "--skew: invalid "
				    "duration '%s' (like 90s, 5m, 2h, 1d)",
				    optarg);
			break;
		case 'n':
			o.ro_size = cli_number(CMD_REPORT_USAGE, "--size",
			    optarg, 1, INT64_MAX);
			o.ro_has_size = 1;
			break;
		case 'h':
			cli_help(CMD_REPORT_USAGE, cmd_report_help);
		default:
			cli_bad_option(CMD_REPORT_USAGE, c, argv);
		}
		snprintf(name, sizeof(name), "--%s", longopts[idx].name);
		cmd_report_note_option(opts, name, longopts[idx].has_arg ?
		    optarg : NULL);
	}
	if (optind < argc)
		cli_usage(CMD_REPORT_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (dir == NULL)
		cli_usage(CMD_REPORT_USAGE, "--store: required");
	if (out == NULL)
		cli_usage(CMD_REPORT_USAGE, "--out: required (a file, or - "
		    "for stdout)");
	if (f.fl_q.qf_algorithm == NULL)
		cli_usage(CMD_REPORT_USAGE, "--algorithm: required (a report "
		    "is about one algorithm)");
	if (bins != NULL && o.ro_group != REPORT_GROUP_INPUT)
		cli_usage(CMD_REPORT_USAGE, "--group-bins: only with "
		    "--group-by of an input");
	filter_cli_finish(CMD_REPORT_USAGE, &f);
	o.ro_filter = f.fl_q;
	o.ro_options = opts;
	if (cli_store_open("report", dir, &st, &v) == -1) {
		json_decref(opts);
		return TOOLS_EXIT_FAIL;
	}
	ex = TOOLS_EXIT_OK;
	if ((c = cmd_report_compute(v, &o, &r, err, sizeof(err))) != 0)
		ex = cmd_report_failed(dir, c, err);
	store_view_end(v);
	store_close(st);
	json_decref(opts);
	if (ex != TOOLS_EXIT_OK)
		return ex;
	cmd_report_warn(r, f.fl_q.qf_algorithm);
	if (cmd_report_write(out, json, r) == -1)
		ex = TOOLS_EXIT_FAIL;
	json_decref(r);
	return ex;
}
