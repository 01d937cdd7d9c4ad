/* SPDX-License-Identifier: ISC */
/*
 * check_store_query.c: unit tests of the query engine in store/query.c
 * (Suite "store_query"), written against the contract in store/query.h.
 *
 * The property test: a randomized store (seeded generator; the seed is
 * in every failure message and CHECK_SEED=N repeats a run) is written
 * through the store API with live indexing, in commits of random
 * sizes (some over INDEX_CHUNK_MAX entries), with blocks of 256 entries
 * (bits 8: small blocks of 16, big ones of 256, merged as the log
 * grows) so that queries cross many segments of both levels, and again
 * with the default and the plain layouts and with a store indexed by
 * store_reindex() with bits 10. Its entries have many subjects,
 * algorithms with versions (some absent or empty), decisions, mostly
 * increasing event times with jitter (some out of order, repeated,
 * negative or absent), classes, producers, scores and reviewers (some
 * absent or empty), declared ("region", "channel") and undeclared
 * ("tier", "exp") labels (some values empty or absent), loss records,
 * a few empty strings and the daemon's clock-skew flag on some
 * entries (no index: alone it is refused, with an indexed filter it is
 * checked on the entry). A brute-force matcher written here from
 * query.h (it never calls query_match()) gives the expected indexes;
 * query_next() must return exactly them in the same order, for every
 * single filter and for random combinations with index ranges,
 * reversed order and qf_after cursors; query_count() must count them,
 * also after some were read; pages stitched back together must be the
 * whole result; query_match() must agree with the matcher on every
 * entry. Filters of which none has an index are QUERY_EUNINDEXED, even
 * in an index range; no filter at all lists the range. Semantics the
 * matcher implements: strings equal (empty entry strings are absent,
 * docs/FORMAT.md), version compared with absent = empty (qf_version ""
 * selects the unversioned), labels by key with an absent value =
 * empty, since inclusive, until exclusive, entries without an event
 * time or score never in a time or score range, reviewed = a non-empty
 * reviewer, index range inclusive, qf_after exclusive in the output
 * order.
 *
 * Each test gets a fresh directory from mkdtemp (a checked fixture).
 * The interrupted reindex runs in a forked child that opens the store
 * itself and dies in the progress callback; the view held across a
 * reindex belongs to a second thread. VALGRIND=1 (set by `make
 * valgrind`) and CHECK_QUERY_N=N scale the stores.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algaudit.pb-c.h"
#include "index.h"
#include "query.h"
#include "record.h"
#include "store.h"

#define CHECK_ORIGIN	"check.example/query"
#define CHECK_STR	32		/* longest generated string + NUL */
#define CHECK_NLKEYS	4		/* label keys the generator uses */
#define CHECK_ENTRY_MAX	2048		/* largest packed test entry */
#define CHECK_T0	1700000000000000000LL	/* event time base, ns */
#define CHECK_SEC	1000000000LL
#define CHECK_DESC	1024		/* a filter's description */

/* Under AddressSanitizer the random loops run a third as long. */
#if defined(__SANITIZE_ADDRESS__)
#define CHECK_SLOW	3
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHECK_SLOW	3
#endif
#endif
#ifndef CHECK_SLOW
#define CHECK_SLOW	1
#endif

static char check_tmp[512];	/* the fixture's directory */
static uint64_t check_seed_v;	/* the generator's seed of this test */

/* The property fixture's store, opened read-only, and its model. */
static struct check_ent *check_ents;
static uint64_t check_n;
static struct store *check_st;
static struct store_view *check_v;
static uint64_t *check_want;	/* expected indexes, check_n slots */
static int64_t check_tmin;	/* smallest and largest event time */
static int64_t check_tmax;

/* The generator's label keys; the first two are the declared ones. */
static const char *const check_lkeys[CHECK_NLKEYS] = {
	"region", "channel", "tier", "exp"
};
static const char *const check_declared[] = { "region", "channel" };
static const char *const check_lvals[CHECK_NLKEYS][4] = {
	{ "eu", "us", "cn", "in" },
	{ "web", "app", "api", "batch" },
	{ "gold", "silver", "bronze", "none" },
	{ "a", "b", "c", "d" },
};

/* One generated entry: the model the expectations are computed from. */
struct check_ent {
	int		 ce_record;	/* has a record at all */
	int		 ce_loss;	/* a loss record */
	int		 ce_has_alg;
	char		 ce_alg[CHECK_STR];
	int		 ce_has_ver;
	char		 ce_ver[CHECK_STR];
	int		 ce_has_subject;
	char		 ce_subject[CHECK_STR];
	int		 ce_has_decision;
	char		 ce_decision[CHECK_STR];
	int		 ce_has_trace;
	char		 ce_trace[CHECK_STR];
	int		 ce_has_did;
	char		 ce_did[CHECK_STR];
	int		 ce_has_producer;
	char		 ce_producer[CHECK_STR];
	int		 ce_has_reviewer;
	char		 ce_reviewer[CHECK_STR];
	int		 ce_has_time;
	int64_t		 ce_time;
	int		 ce_has_score;
	double		 ce_score;
	int		 ce_class;	/* 0: none */
	size_t		 ce_nlabels;
	char		 ce_lkey[CHECK_NLKEYS][CHECK_STR];
	char		 ce_lval[CHECK_NLKEYS][CHECK_STR];
	int		 ce_lnoval[CHECK_NLKEYS];	/* value absent */
	int		 ce_skewed;	/* Entry.clock_skewed true */
};

/* The protobuf-c messages of one entry, pointing into a check_ent. */
struct check_msg {
	Algaudit__V1__Entry		 cm_e;
	Algaudit__V1__DecisionRecord	 cm_r;
	Algaudit__V1__Algorithm		 cm_a;
	Algaudit__V1__Label		 cm_l[CHECK_NLKEYS];
	Algaudit__V1__Label		*cm_lp[CHECK_NLKEYS];
};

/* Removes one file or directory of the fixture tree. */
static int
check_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Checked fixture: a fresh temporary directory, a clean environment. */
static void
check_setup(void)
{
	const char *t = getenv("TMPDIR");
	const char *sv = getenv("CHECK_SEED");

	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	snprintf(check_tmp, sizeof(check_tmp), "%s/check_store_query.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	if (sv != NULL && *sv != '\0')
		check_seed_v = strtoull(sv, NULL, 0);
	else
		check_seed_v = (uint64_t)time(NULL) ^
		    ((uint64_t)getpid() << 32);
	check_ents = NULL;
	check_want = NULL;
	check_st = NULL;
	check_v = NULL;
	check_n = 0;
}

/* Checked fixture: closes the store, removes the directory. */
static void
check_teardown(void)
{
	store_view_end(check_v);
	check_v = NULL;
	store_close(check_st);
	check_st = NULL;
	free(check_ents);
	check_ents = NULL;
	free(check_want);
	check_want = NULL;
	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Number of entries of a test store: CHECK_QUERY_N if set, else n, or
 * n / 5 (at least 300) under valgrind.
 */
static uint64_t
check_scale(uint64_t n)
{
	const char *v = getenv("VALGRIND");
	const char *qn = getenv("CHECK_QUERY_N");

	if (qn != NULL && *qn != '\0')
		return strtoull(qn, NULL, 0);
	if (v != NULL && strcmp(v, "1") == 0)
		return n / 5 > 300 ? n / 5 : 300;
	return n;
}

/*
 * Iterations of a random loop: n, a third of it under ASan, n / 8
 * under valgrind.
 */
static unsigned
check_iters(unsigned n)
{
	const char *v = getenv("VALGRIND");

	if (v != NULL && strcmp(v, "1") == 0)
		return n / 8 > 5 ? n / 8 : 5;
	return n / CHECK_SLOW;
}

/* Writes the path of store name in the fixture directory into buf. */
static void
check_path(char *buf, size_t size, const char *name)
{
	int n;

	n = snprintf(buf, size, "%s/%s", check_tmp, name);
	ck_assert(n > 0 && (size_t)n < size);
}

/* Opens (creating if needed) the writer of store name. */
static struct store *
check_create(const char *name)
{
	struct store *s;
	char dir[1024];
	int rc;

	check_path(dir, sizeof(dir), name);
	rc = store_open(&s, dir, STORE_CREATE, CHECK_ORIGIN);
	ck_assert_msg(rc == 0, "store_open %s: %s", dir, store_strerror(rc));
	return s;
}

/* Opens a reader of store name. */
static struct store *
check_reader(const char *name)
{
	struct store *s;
	char dir[1024];
	int rc;

	check_path(dir, sizeof(dir), name);
	rc = store_open(&s, dir, STORE_RDONLY, NULL);
	ck_assert_msg(rc == 0, "store_open rdonly %s: %s", dir,
	    store_strerror(rc));
	return s;
}

/* splitmix64: the next pseudo-random number of state st. */
static uint64_t
check_rand(uint64_t *st)
{
	uint64_t z;

	z = (*st += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A pseudo-random number below n (n > 0). */
static unsigned
check_below(uint64_t *st, unsigned n)
{
	return (unsigned)(check_rand(st) % n);
}

/*
 * Generates entry i of a store into m: many subjects, algorithms with
 * versions (some absent, some empty), decisions, mostly increasing
 * event times with jitter, some out of order, repeated, negative or
 * absent, classes, producers (a few absent), scores and reviewers
 * (some empty), labels (some values empty or absent), loss records,
 * and a few empty strings, which are not indexed (docs/FORMAT.md).
 * Every entry has a record, as every entry the daemon writes: whether
 * "not reviewed" selects an entry without a record is not specified.
 * *prev is the last generated event time.
 */
static void
check_gen(uint64_t *st, uint64_t i, int64_t *prev, struct check_ent *m)
{
	static const double scores[] = { -1.0, 0.0, 0.25, 0.5, 0.75, 1.0 };
	unsigned r, k;

	memset(m, 0, sizeof(*m));
	if (check_below(st, 100) < 97) {
		m->ce_has_producer = 1;
		snprintf(m->ce_producer, CHECK_STR, "prod-%u",
		    check_below(st, 4));
	}
	m->ce_record = 1;
	m->ce_loss = check_below(st, 30) == 0;
	m->ce_class = 1 + (int)check_below(st, 3);
	r = check_below(st, 100);
	m->ce_has_time = 1;
	if (r < 4)
		m->ce_has_time = 0;
	else if (r < 6)
		m->ce_time = -1 -
		    (int64_t)(check_rand(st) % 1000000000000000ULL);
	else if (r < 10)
		m->ce_time = CHECK_T0 + (int64_t)(check_rand(st) % (i + 1)) *
		    CHECK_SEC;
	else if (r < 13)
		m->ce_time = *prev;
	else
		m->ce_time = CHECK_T0 + (int64_t)i * CHECK_SEC +
		    (int64_t)check_below(st, 5000) * 1000000LL -
		    2500000000LL;
	if (m->ce_has_time)
		*prev = m->ce_time;
	if (!m->ce_loss) {
		m->ce_has_alg = 1;
		/* Skewed: alg-0 is the most frequent. */
		k = check_below(st, 7);
		if (check_below(st, 3) == 0)
			k = 0;
		snprintf(m->ce_alg, CHECK_STR, "alg-%u", k);
		r = check_below(st, 10);
		if (r == 1) {
			m->ce_has_ver = 1;	/* present and empty */
		} else if (r > 1) {
			m->ce_has_ver = 1;
			snprintf(m->ce_ver, CHECK_STR, "%u.%u", k,
			    check_below(st, 3));
		}
		m->ce_has_decision = 1;
		snprintf(m->ce_decision, CHECK_STR, "dec-%u",
		    check_below(st, 5));
		if (check_below(st, 100) < 70) {
			m->ce_has_score = 1;
			if (check_below(st, 2) == 0)
				m->ce_score = scores[check_below(st, 6)];
			else
				m->ce_score = (double)check_below(st, 1000) /
				    1000.0;
		}
		r = check_below(st, 100);
		if (r < 25) {
			m->ce_has_reviewer = 1;
			snprintf(m->ce_reviewer, CHECK_STR, "rev-%u",
			    check_below(st, 3));
		} else if (r < 30)
			m->ce_has_reviewer = 1;	/* present and empty */
	}
	if (check_below(st, 100) < (m->ce_loss ? 50 : 90)) {
		m->ce_has_subject = 1;
		snprintf(m->ce_subject, CHECK_STR, "subj-%03u",
		    check_below(st, 80));
	}
	if (check_below(st, 100) < 40) {
		m->ce_has_trace = 1;
		snprintf(m->ce_trace, CHECK_STR, "tr-%u", check_below(st, 60));
	}
	if (check_below(st, 100) < 60) {
		m->ce_has_did = 1;
		snprintf(m->ce_did, CHECK_STR, "did-%u", check_below(st, 500));
	}
	if (m->ce_has_subject && check_below(st, 50) == 0)
		m->ce_subject[0] = '\0';
	if (m->ce_has_decision && check_below(st, 100) == 0)
		m->ce_decision[0] = '\0';
	if (m->ce_has_trace && check_below(st, 50) == 0)
		m->ce_trace[0] = '\0';
	if (m->ce_has_did && check_below(st, 50) == 0)
		m->ce_did[0] = '\0';
	for (k = 0; k < CHECK_NLKEYS; k++) {
		if (check_below(st, 100) >= 40)
			continue;
		snprintf(m->ce_lkey[m->ce_nlabels], CHECK_STR, "%s",
		    check_lkeys[k]);
		r = check_below(st, 100);
		if (r < 5)
			m->ce_lnoval[m->ce_nlabels] = 1;
		else if (r >= 10)
			snprintf(m->ce_lval[m->ce_nlabels], CHECK_STR, "%s",
			    check_lvals[k][check_below(st, 4)]);
		m->ce_nlabels++;
	}
	/* Last, so that the other fields are as they were for a seed. */
	m->ce_skewed = check_below(st, 100) < 15;
}

/* Generates n entries from seed into a new array (caller frees). */
static struct check_ent *
check_gen_all(uint64_t seed, uint64_t n)
{
	struct check_ent *ents;
	uint64_t st = seed, i;
	int64_t prev = CHECK_T0;

	ents = calloc(n == 0 ? 1 : n, sizeof(*ents));
	ck_assert_ptr_nonnull(ents);
	for (i = 0; i < n; i++)
		check_gen(&st, i, &prev, &ents[i]);
	return ents;
}

/* Fills cm with the messages of entry m at log index index. */
static void
check_msg_fill(struct check_msg *cm, struct check_ent *m, uint64_t index)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Label l = ALGAUDIT__V1__LABEL__INIT;
	size_t k;

	cm->cm_e = e;
	cm->cm_r = r;
	cm->cm_a = a;
	cm->cm_e.has_index = cm->cm_e.has_receive_time_ns = 1;
	cm->cm_e.index = index;
	cm->cm_e.receive_time_ns = CHECK_T0 + (int64_t)index * CHECK_SEC;
	if (m->ce_has_producer)
		cm->cm_e.producer_id = m->ce_producer;
	cm->cm_e.has_clock_skewed = cm->cm_e.clock_skewed = m->ce_skewed;
	if (!m->ce_record)
		return;
	cm->cm_e.record = &cm->cm_r;
	cm->cm_r.has_producer_seq = 1;
	cm->cm_r.producer_seq = index + 1;
	cm->cm_r.has_event_time_ns = m->ce_has_time;
	cm->cm_r.event_time_ns = m->ce_time;
	cm->cm_r.has_data_class = m->ce_class != 0;
	cm->cm_r.data_class = (Algaudit__V1__DataClass)m->ce_class;
	if (m->ce_loss) {
		cm->cm_r.has_lost_records = 1;
		cm->cm_r.lost_records = 7;
	}
	if (m->ce_has_alg) {
		cm->cm_a.id = m->ce_alg;
		if (m->ce_has_ver)
			cm->cm_a.version = m->ce_ver;
		cm->cm_r.algorithm = &cm->cm_a;
	}
	if (m->ce_has_subject)
		cm->cm_r.subject = m->ce_subject;
	if (m->ce_has_decision)
		cm->cm_r.decision = m->ce_decision;
	if (m->ce_has_trace)
		cm->cm_r.trace_id = m->ce_trace;
	if (m->ce_has_did)
		cm->cm_r.decision_id = m->ce_did;
	if (m->ce_has_reviewer)
		cm->cm_r.reviewer = m->ce_reviewer;
	cm->cm_r.has_score = m->ce_has_score;
	cm->cm_r.score = m->ce_score;
	for (k = 0; k < m->ce_nlabels; k++) {
		cm->cm_l[k] = l;
		cm->cm_l[k].key = m->ce_lkey[k];
		cm->cm_l[k].value = m->ce_lnoval[k] ? NULL : m->ce_lval[k];
		cm->cm_lp[k] = &cm->cm_l[k];
	}
	cm->cm_r.n_labels = m->ce_nlabels;
	cm->cm_r.labels = m->ce_nlabels > 0 ? cm->cm_lp : NULL;
}

/*
 * Appends entry m, which must land at index, in the open transaction,
 * and with live indexes it. Returns 0 or the store's error.
 */
static int
check_put(struct store *s, struct check_ent *m, uint64_t index, int live)
{
	struct check_msg cm;
	uint8_t buf[CHECK_ENTRY_MAX];
	uint64_t got;
	size_t len;
	int rc;

	check_msg_fill(&cm, m, index);
	len = algaudit__v1__entry__get_packed_size(&cm.cm_e);
	ck_assert_uint_le(len, sizeof(buf));
	ck_assert_uint_eq(algaudit__v1__entry__pack(&cm.cm_e, buf), len);
	if ((rc = store_append(s, buf, len, &got)) != 0)
		return rc;
	ck_assert_uint_eq(got, index);
	if (live)
		rc = store_index_add(s, index, &cm.cm_e);
	return rc;
}

/*
 * Appends ents[from .. from + n) in commits of batch entries, indexing
 * them when live, redoing a transaction on STORE_EMAPFULL as store.h
 * says. Returns the number of retries.
 */
static unsigned
check_write(struct store *s, struct check_ent *ents, uint64_t from,
    uint64_t n, uint64_t batch, int live)
{
	uint64_t done = 0, cnt, k;
	unsigned retries = 0;
	int rc;

	while (done < n) {
		cnt = n - done < batch ? n - done : batch;
		ck_assert_uint_eq(store_next_index(s), from + done);
		rc = store_begin(s);
		ck_assert_msg(rc == 0, "store_begin: %s", store_strerror(rc));
		for (k = 0, rc = 0; k < cnt && rc == 0; k++)
			rc = check_put(s, &ents[from + done + k],
			    from + done + k, live);
		if (rc == 0)
			rc = store_commit(s);
		if (rc == STORE_EMAPFULL) {
			retries++;
			ck_assert_uint_lt(retries, 200);
			continue;
		}
		ck_assert_msg(rc == 0, "seed %llu: writing entries %llu+%llu: "
		    "%s", (unsigned long long)check_seed_v,
		    (unsigned long long)(from + done), (unsigned long long)cnt,
		    store_strerror(rc));
		done += cnt;
	}
	return retries;
}

/*
 * The property fixture's store: check_n entries from the seed, indexed
 * live (or, with reindexed, appended plainly and then reindexed) with
 * the given layout and the declared label keys, written in commits of
 * random sizes, then reopened read-only with a view in check_v.
 */
static void
check_build(unsigned bits, int reindexed)
{
	struct store *s;
	uint64_t st, done, cnt, i;
	uint64_t bad = UINT64_MAX;
	int rc;

	check_n = check_scale(2000);
	check_ents = check_gen_all(check_seed_v, check_n);
	check_want = calloc(check_n + 1, sizeof(*check_want));
	ck_assert_ptr_nonnull(check_want);
	check_tmin = INT64_MAX;
	check_tmax = INT64_MIN;
	for (i = 0; i < check_n; i++) {
		if (!check_ents[i].ce_has_time)
			continue;
		if (check_ents[i].ce_time < check_tmin)
			check_tmin = check_ents[i].ce_time;
		if (check_ents[i].ce_time > check_tmax)
			check_tmax = check_ents[i].ce_time;
	}

	s = check_create("s");
	if (!reindexed) {
		rc = store_reindex(s, bits, check_declared, 2, 0, NULL, NULL,
		    NULL);
		ck_assert_msg(rc == 0, "store_reindex: %s", store_strerror(rc));
	}
	/*
	 * Mostly small commits, some larger than INDEX_CHUNK_MAX entries,
	 * so that a frequent term has several posting chunks in a block.
	 */
	st = check_seed_v ^ 0xc0ffee;
	for (done = 0; done < check_n; done += cnt) {
		if (check_below(&st, 5) == 0)
			cnt = 300 + check_below(&st, 600);
		else
			cnt = 1 + check_below(&st, 150);
		if (cnt > check_n - done)
			cnt = check_n - done;
		check_write(s, check_ents, done, cnt, cnt, !reindexed);
	}
	if (reindexed) {
		rc = store_reindex(s, bits, check_declared, 2, 300, NULL, NULL,
		    &bad);
		ck_assert_msg(rc == 0, "store_reindex: %s (bad %llu)",
		    store_strerror(rc), (unsigned long long)bad);
	}
	store_close(s);
	check_st = check_reader("s");
	rc = store_view_begin(check_st, &check_v);
	ck_assert_msg(rc == 0, "store_view_begin: %s", store_strerror(rc));
	ck_assert_uint_eq(store_view_size(check_v), check_n);
}

/* Checked fixture: the property store with blocks of 256 entries. */
static void
check_setup_b8(void)
{
	check_setup();
	check_build(INDEX_BITS_MIN, 0);
}

/* Checked fixture: the property store with the default layout. */
static void
check_setup_b16(void)
{
	check_setup();
	check_build(INDEX_BITS_DEFAULT, 0);
}

/* Checked fixture: the property store with the plain layout. */
static void
check_setup_plain(void)
{
	check_setup();
	check_build(INDEX_BITS_PLAIN, 0);
}

/*
 * Checked fixture: the property store indexed by store_reindex(), in
 * big blocks of 1024 entries (one merged, the rest in small ones).
 */
static void
check_setup_reindexed(void)
{
	check_setup();
	check_build(INDEX_BITS_MIN + 2, 1);
}

/* Whether model string s (present if has) equals filter value want. */
static int
check_streq(int has, const char *s, const char *want)
{
	return has && strcmp(s, want) == 0;
}

/* Whether m has label l: the key, and the value (absent = empty). */
static int
check_has_label(const struct check_ent *m, const struct query_label *l)
{
	size_t k;

	for (k = 0; k < m->ce_nlabels; k++)
		if (strcmp(m->ce_lkey[k], l->ql_key) == 0)
			return strcmp(m->ce_lnoval[k] ? "" : m->ce_lval[k],
			    l->ql_value) == 0;
	return 0;
}

/*
 * The brute-force matcher: whether entry i of the model satisfies every
 * filter of f, as query.h defines them (see the file's comment).
 */
static int
check_model_match(const struct query_filter *f, uint64_t i)
{
	const struct check_ent *m = &check_ents[i];
	size_t k;
	int reviewed;

	if (i < f->qf_from || (f->qf_has_to && i > f->qf_to))
		return 0;
	if (f->qf_has_after && (f->qf_reverse ? i >= f->qf_after :
	    i <= f->qf_after))
		return 0;
	if (f->qf_producer != NULL && !check_streq(m->ce_has_producer,
	    m->ce_producer, f->qf_producer))
		return 0;
	if (f->qf_clock_skewed && !m->ce_skewed)
		return 0;
	if (f->qf_algorithm != NULL && !check_streq(m->ce_has_alg, m->ce_alg,
	    f->qf_algorithm))
		return 0;
	if (f->qf_version != NULL && (!m->ce_has_alg ||
	    strcmp(m->ce_has_ver ? m->ce_ver : "", f->qf_version) != 0))
		return 0;
	if (f->qf_subject != NULL && !check_streq(m->ce_has_subject,
	    m->ce_subject, f->qf_subject))
		return 0;
	if (f->qf_decision != NULL && !check_streq(m->ce_has_decision,
	    m->ce_decision, f->qf_decision))
		return 0;
	if (f->qf_trace != NULL && !check_streq(m->ce_has_trace, m->ce_trace,
	    f->qf_trace))
		return 0;
	if (f->qf_decision_id != NULL && !check_streq(m->ce_has_did,
	    m->ce_did, f->qf_decision_id))
		return 0;
	if (f->qf_class != 0 && m->ce_class != f->qf_class)
		return 0;
	for (k = 0; k < f->qf_nlabels; k++)
		if (!check_has_label(m, &f->qf_labels[k]))
			return 0;
	if ((f->qf_has_since || f->qf_has_until) && !m->ce_has_time)
		return 0;
	if (f->qf_has_since && m->ce_time < f->qf_since_ns)
		return 0;
	if (f->qf_has_until && m->ce_time >= f->qf_until_ns)
		return 0;
	if ((f->qf_has_min_score || f->qf_has_max_score) && !m->ce_has_score)
		return 0;
	if (f->qf_has_min_score && m->ce_score < f->qf_min_score)
		return 0;
	if (f->qf_has_max_score && m->ce_score > f->qf_max_score)
		return 0;
	reviewed = m->ce_has_reviewer && m->ce_reviewer[0] != '\0';
	if ((f->qf_reviewed == QUERY_REVIEWED_YES && !reviewed) ||
	    (f->qf_reviewed == QUERY_REVIEWED_NO && reviewed))
		return 0;
	return 1;
}

/* The expected result of f in its order, into check_want; its length. */
static size_t
check_expect(const struct query_filter *f)
{
	uint64_t i, j;
	size_t n = 0;

	for (j = 0; j < check_n; j++) {
		i = f->qf_reverse ? check_n - 1 - j : j;
		if (check_model_match(f, i))
			check_want[n++] = i;
	}
	return n;
}

/* Whether key is a declared label key of the property store. */
static int
check_is_declared(const char *key)
{
	return strcmp(key, check_declared[0]) == 0 ||
	    strcmp(key, check_declared[1]) == 0;
}

/* Whether f has a filter with an index (query.h's plan). */
static int
check_indexed(const struct query_filter *f)
{
	size_t k;

	if (f->qf_algorithm != NULL || f->qf_subject != NULL ||
	    f->qf_decision != NULL || f->qf_trace != NULL ||
	    f->qf_decision_id != NULL || f->qf_producer != NULL ||
	    f->qf_class != 0 || f->qf_has_since || f->qf_has_until)
		return 1;
	for (k = 0; k < f->qf_nlabels; k++)
		if (check_is_declared(f->qf_labels[k].ql_key))
			return 1;
	return 0;
}

/* Whether f selects by any filter (beyond index range and cursor). */
static int
check_has_filter(const struct query_filter *f)
{
	return check_indexed(f) || f->qf_nlabels > 0 ||
	    f->qf_has_min_score || f->qf_has_max_score ||
	    f->qf_reviewed != QUERY_REVIEWED_ANY || f->qf_clock_skewed;
}

/* Appends printf-style text to the description buffer d. */
static void
check_cat(char *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
check_cat(char *d, const char *fmt, ...)
{
	va_list ap;
	size_t len = strlen(d);

	va_start(ap, fmt);
	vsnprintf(d + len, CHECK_DESC - len, fmt, ap);
	va_end(ap);
}

/* Describes f (and the seed) into d, CHECK_DESC bytes, for messages. */
static const char *
check_fdesc(const struct query_filter *f, char *d)
{
	size_t k;

	snprintf(d, CHECK_DESC, "seed %llu n %llu {",
	    (unsigned long long)check_seed_v, (unsigned long long)check_n);
	if (f->qf_algorithm != NULL)
		check_cat(d, " algorithm=%.40s", f->qf_algorithm);
	if (f->qf_version != NULL)
		check_cat(d, " version=\"%.40s\"", f->qf_version);
	if (f->qf_subject != NULL)
		check_cat(d, " subject=%.40s", f->qf_subject);
	if (f->qf_decision != NULL)
		check_cat(d, " decision=%.40s", f->qf_decision);
	if (f->qf_trace != NULL)
		check_cat(d, " trace=%.40s", f->qf_trace);
	if (f->qf_decision_id != NULL)
		check_cat(d, " decision_id=%.40s", f->qf_decision_id);
	if (f->qf_producer != NULL)
		check_cat(d, " producer=%.40s", f->qf_producer);
	if (f->qf_class != 0)
		check_cat(d, " class=%d", f->qf_class);
	for (k = 0; k < f->qf_nlabels && k < QUERY_LABELS_MAX; k++)
		check_cat(d, " label %.40s=\"%.40s\"",
		    f->qf_labels[k].ql_key != NULL ? f->qf_labels[k].ql_key :
		    "(null)", f->qf_labels[k].ql_value != NULL ?
		    f->qf_labels[k].ql_value : "(null)");
	if (f->qf_has_since)
		check_cat(d, " since=%lld", (long long)f->qf_since_ns);
	if (f->qf_has_until)
		check_cat(d, " until=%lld", (long long)f->qf_until_ns);
	if (f->qf_has_min_score)
		check_cat(d, " min_score=%.17g", f->qf_min_score);
	if (f->qf_has_max_score)
		check_cat(d, " max_score=%.17g", f->qf_max_score);
	if (f->qf_reviewed != QUERY_REVIEWED_ANY)
		check_cat(d, " reviewed=%s", f->qf_reviewed ==
		    QUERY_REVIEWED_YES ? "yes" : f->qf_reviewed ==
		    QUERY_REVIEWED_NO ? "no" : "?");
	if (f->qf_clock_skewed)
		check_cat(d, " clock_skewed=%d", f->qf_clock_skewed);
	if (f->qf_from != 0)
		check_cat(d, " from=%llu", (unsigned long long)f->qf_from);
	if (f->qf_has_to)
		check_cat(d, " to=%llu", (unsigned long long)f->qf_to);
	if (f->qf_has_after)
		check_cat(d, " after=%llu", (unsigned long long)f->qf_after);
	if (f->qf_reverse)
		check_cat(d, " reverse");
	check_cat(d, " }");
	return d;
}

/* Asserts that the entry query_next() returned is model entry i. */
static void
check_entry_same(const Algaudit__V1__Entry *e, uint64_t i,
    const struct query_filter *f)
{
	const struct check_ent *m = &check_ents[i];
	char d[CHECK_DESC];
	int ok;

	ck_assert_msg(e != NULL, "%s: entry %llu is NULL", check_fdesc(f, d),
	    (unsigned long long)i);
	ok = e->has_index && e->index == i && e->record != NULL &&
	    (e->producer_id != NULL) == (m->ce_has_producer != 0) &&
	    (e->producer_id == NULL ||
	    strcmp(e->producer_id, m->ce_producer) == 0) &&
	    (e->record->subject != NULL) == (m->ce_has_subject != 0) &&
	    (e->record->subject == NULL ||
	    strcmp(e->record->subject, m->ce_subject) == 0) &&
	    e->record->has_event_time_ns == m->ce_has_time &&
	    (!m->ce_has_time || e->record->event_time_ns == m->ce_time);
	ck_assert_msg(ok, "%s: the entry returned for index %llu is not "
	    "that entry", check_fdesc(f, d), (unsigned long long)i);
}

/*
 * Runs f over the property view and compares with the brute force:
 * the indexes in order, query_count() on a fresh query and after half
 * of the results were read; or QUERY_EUNINDEXED when f has filters
 * but none with an index (no filter at all is a listing of the index
 * range). Returns the number of results.
 */
static size_t
check_one(const struct query_filter *f)
{
	const Algaudit__V1__Entry *e;
	struct query *q;
	char err[QUERY_ERRLEN], d[CHECK_DESC];
	uint64_t idx, cnt;
	size_t nwant, k, half;
	int rc;

	nwant = check_expect(f);
	q = (struct query *)1;
	rc = query_open(check_v, f, &q, err, sizeof(err));
	if (check_has_filter(f) && !check_indexed(f)) {
		ck_assert_msg(rc == QUERY_EUNINDEXED, "%s: query_open: %s, "
		    "want QUERY_EUNINDEXED", check_fdesc(f, d),
		    query_strerror(rc));
		ck_assert_ptr_null(q);
		return 0;
	}
	ck_assert_msg(rc == 0, "%s: query_open: %s (%s)", check_fdesc(f, d),
	    query_strerror(rc), err);
	for (k = 0;; k++) {
		rc = query_next(q, &idx, &e);
		if (rc == STORE_ENOTFOUND)
			break;
		ck_assert_msg(rc == 0, "%s: query_next #%zu: %s",
		    check_fdesc(f, d), k, query_strerror(rc));
		ck_assert_msg(k < nwant, "%s: result #%zu is %llu, want the "
		    "end (%zu results)", check_fdesc(f, d), k,
		    (unsigned long long)idx, nwant);
		ck_assert_msg(idx == check_want[k], "%s: result #%zu is %llu, "
		    "want %llu", check_fdesc(f, d), k,
		    (unsigned long long)idx,
		    (unsigned long long)check_want[k]);
		check_entry_same(e, idx, f);
	}
	ck_assert_msg(k == nwant, "%s: %zu results, want %zu (next %llu)",
	    check_fdesc(f, d), k, nwant,
	    (unsigned long long)check_want[k]);
	query_close(q);

	ck_assert_int_eq(query_open(check_v, f, &q, err, sizeof(err)), 0);
	cnt = UINT64_MAX;
	rc = query_count(q, &cnt);
	ck_assert_msg(rc == 0 && cnt == nwant, "%s: query_count %s, %llu, "
	    "want %zu", check_fdesc(f, d), query_strerror(rc),
	    (unsigned long long)cnt, nwant);
	query_close(q);

	half = nwant / 2;
	ck_assert_int_eq(query_open(check_v, f, &q, err, sizeof(err)), 0);
	for (k = 0; k < half; k++) {
		ck_assert_int_eq(query_next(q, &idx, &e), 0);
		ck_assert_uint_eq(idx, check_want[k]);
	}
	cnt = UINT64_MAX;
	rc = query_count(q, &cnt);
	ck_assert_msg(rc == 0 && cnt == nwant - half, "%s: query_count after "
	    "%zu results: %s, %llu, want %zu", check_fdesc(f, d), half,
	    query_strerror(rc), (unsigned long long)cnt, nwant - half);
	query_close(q);
	return nwant;
}

/* check_one() in log order and reversed. */
static void
check_both(struct query_filter *f)
{
	f->qf_reverse = 0;
	check_one(f);
	f->qf_reverse = 1;
	check_one(f);
	f->qf_reverse = 0;
}

/* A random log index near the interesting places. */
static uint64_t
check_pick_index(uint64_t *st)
{
	unsigned r = check_below(st, 100);
	uint64_t b;

	if (r < 40)
		return check_rand(st) % (check_n + 10);
	if (r < 80) {
		b = (check_rand(st) % (check_n / 256 + 2)) * 256;
		r = check_below(st, 3);
		return r == 0 && b > 0 ? b - 1 : b + (r == 2);
	}
	r = check_below(st, 3);
	return r == 0 ? 0 : r == 1 ? check_n - 1 : check_n;
}

/* A random entry index. */
static uint64_t
check_pick_entry(uint64_t *st)
{
	return check_rand(st) % check_n;
}

/* A random event time: an entry's (+-1), in the range, or extreme. */
static int64_t
check_pick_time(uint64_t *st)
{
	const struct check_ent *m;
	unsigned r = check_below(st, 100), tries;

	if (r < 60) {
		for (tries = 0; tries < 50; tries++) {
			m = &check_ents[check_pick_entry(st)];
			if (m->ce_has_time)
				return m->ce_time + (int64_t)check_below(st,
				    3) - 1;
		}
	}
	if (r < 85 && check_tmax > check_tmin)
		return check_tmin + (int64_t)(check_rand(st) %
		    (uint64_t)(check_tmax - check_tmin));
	if (r < 90)
		return INT64_MIN;
	if (r < 95)
		return INT64_MAX;
	return r < 97 ? 0 : -(int64_t)(check_rand(st) % 1000000000000ULL);
}

/* A random score: a frequent one, an entry's, or any. */
static double
check_pick_score(uint64_t *st)
{
	static const double pool[] = { -1.0, 0.0, 0.25, 0.5, 0.75, 1.0,
	    -5.0, 5.0 };
	const struct check_ent *m;
	unsigned r = check_below(st, 100), tries;

	if (r < 40)
		return pool[check_below(st, 8)];
	if (r < 80) {
		for (tries = 0; tries < 50; tries++) {
			m = &check_ents[check_pick_entry(st)];
			if (m->ce_has_score)
				return m->ce_score;
		}
	}
	return (double)check_below(st, 1000) / 1000.0;
}

/* Kinds of filter the random generator adds. */
enum check_kind {
	CHECK_K_ALG,
	CHECK_K_VER,
	CHECK_K_SUBJECT,
	CHECK_K_DECISION,
	CHECK_K_TRACE,
	CHECK_K_DID,
	CHECK_K_PRODUCER,
	CHECK_K_CLASS,
	CHECK_K_DLABEL,
	CHECK_K_SINCE,
	CHECK_K_UNTIL,
	CHECK_K_MINSCORE,	/* the rest have no index */
	CHECK_K_MAXSCORE,
	CHECK_K_REVIEWED,
	CHECK_K_ULABEL,
	CHECK_K_SKEWED,
	CHECK_K_MAX
};

/*
 * A value of string field kind from a random entry that has it (not
 * empty), or now and then one that no entry has.
 */
static const char *
check_pick_str(uint64_t *st, enum check_kind kind)
{
	static const char *const none[] = { "alg-none", "", "subj-none",
	    "dec-none", "tr-none", "did-none", "prod-none" };
	const struct check_ent *m;
	const char *s;
	unsigned tries;

	if (check_below(st, 100) < 5)
		return none[kind];
	for (tries = 0; tries < 100; tries++) {
		m = &check_ents[check_pick_entry(st)];
		switch (kind) {
		case CHECK_K_ALG:
			s = m->ce_has_alg ? m->ce_alg : "";
			break;
		case CHECK_K_SUBJECT:
			s = m->ce_has_subject ? m->ce_subject : "";
			break;
		case CHECK_K_DECISION:
			s = m->ce_has_decision ? m->ce_decision : "";
			break;
		case CHECK_K_TRACE:
			s = m->ce_has_trace ? m->ce_trace : "";
			break;
		case CHECK_K_DID:
			s = m->ce_has_did ? m->ce_did : "";
			break;
		default:
			s = m->ce_has_producer ? m->ce_producer : "";
			break;
		}
		if (*s != '\0')
			return s;
	}
	return none[kind];
}

/* Adds a label filter on key: an entry's value (absent = ""), or any. */
static void
check_add_label(uint64_t *st, struct query_filter *f, unsigned key)
{
	const struct check_ent *m;
	const char *v = NULL;
	unsigned tries;
	size_t k;

	if (f->qf_nlabels == QUERY_LABELS_MAX)
		return;
	for (tries = 0; v == NULL && tries < 50 &&
	    check_below(st, 100) < 70; tries++) {
		m = &check_ents[check_pick_entry(st)];
		for (k = 0; k < m->ce_nlabels; k++)
			if (strcmp(m->ce_lkey[k], check_lkeys[key]) == 0)
				v = m->ce_lnoval[k] ? "" : m->ce_lval[k];
	}
	if (v == NULL)
		v = check_below(st, 5) == 0 ? "zz" :
		    check_lvals[key][check_below(st, 4)];
	f->qf_labels[f->qf_nlabels].ql_key = check_lkeys[key];
	f->qf_labels[f->qf_nlabels].ql_value = v;
	f->qf_nlabels++;
}

/* Adds one filter of kind to f. */
static void
check_add_kind(uint64_t *st, struct query_filter *f, enum check_kind kind)
{
	const struct check_ent *m;
	unsigned tries;

	switch (kind) {
	case CHECK_K_ALG:
		f->qf_algorithm = check_pick_str(st, kind);
		break;
	case CHECK_K_VER:
		/* A non-empty version of an entry, or one nobody has. */
		for (tries = 0; tries < 100; tries++) {
			m = &check_ents[check_pick_entry(st)];
			if (m->ce_has_alg && m->ce_has_ver &&
			    *m->ce_ver != '\0' && check_below(st, 20) != 0) {
				f->qf_algorithm = m->ce_alg;
				f->qf_version = m->ce_ver;
				return;
			}
		}
		f->qf_algorithm = "alg-0";
		f->qf_version = "9.9";
		break;
	case CHECK_K_SUBJECT:
		f->qf_subject = check_pick_str(st, kind);
		break;
	case CHECK_K_DECISION:
		f->qf_decision = check_pick_str(st, kind);
		break;
	case CHECK_K_TRACE:
		f->qf_trace = check_pick_str(st, kind);
		break;
	case CHECK_K_DID:
		f->qf_decision_id = check_pick_str(st, kind);
		break;
	case CHECK_K_PRODUCER:
		f->qf_producer = check_pick_str(st, kind);
		break;
	case CHECK_K_CLASS:
		f->qf_class = 1 + (int)check_below(st, 3);
		break;
	case CHECK_K_DLABEL:
		check_add_label(st, f, check_below(st, 2));
		break;
	case CHECK_K_SINCE:
		f->qf_has_since = 1;
		f->qf_since_ns = check_pick_time(st);
		break;
	case CHECK_K_UNTIL:
		f->qf_has_until = 1;
		f->qf_until_ns = check_pick_time(st);
		break;
	case CHECK_K_MINSCORE:
		f->qf_has_min_score = 1;
		f->qf_min_score = check_pick_score(st);
		break;
	case CHECK_K_MAXSCORE:
		f->qf_has_max_score = 1;
		f->qf_max_score = check_pick_score(st);
		break;
	case CHECK_K_REVIEWED:
		f->qf_reviewed = 1 + (int)check_below(st, 2);
		break;
	case CHECK_K_SKEWED:
		f->qf_clock_skewed = 1;
		break;
	default:
		check_add_label(st, f, 2 + check_below(st, 2));
		break;
	}
}

/* Makes f well-formed: since before until, min-score not above max. */
static void
check_fix(struct query_filter *f)
{
	int64_t t;
	double x;

	if (f->qf_has_since && f->qf_has_until &&
	    f->qf_since_ns >= f->qf_until_ns) {
		t = f->qf_since_ns;
		f->qf_since_ns = f->qf_until_ns;
		f->qf_until_ns = t;
		if (f->qf_since_ns == f->qf_until_ns) {
			if (f->qf_until_ns < INT64_MAX)
				f->qf_until_ns++;
			else
				f->qf_since_ns--;
		}
	}
	if (f->qf_has_min_score && f->qf_has_max_score &&
	    f->qf_min_score > f->qf_max_score) {
		x = f->qf_min_score;
		f->qf_min_score = f->qf_max_score;
		f->qf_max_score = x;
	}
}

/*
 * A random well-formed filter of nkinds filters, with an index range,
 * a cursor and a direction if ranges.
 */
static void
check_rand_filter(uint64_t *st, struct query_filter *f, unsigned nkinds,
    int ranges)
{
	unsigned k;

	memset(f, 0, sizeof(*f));
	for (k = 0; k < nkinds; k++)
		check_add_kind(st, f, (enum check_kind)check_below(st,
		    CHECK_K_MAX));
	check_fix(f);
	if (!ranges)
		return;
	if (check_below(st, 100) < 25)
		f->qf_from = check_pick_index(st);
	if (check_below(st, 100) < 25) {
		f->qf_has_to = 1;
		f->qf_to = check_pick_index(st);
		if (f->qf_to < f->qf_from)
			f->qf_to = f->qf_from;
	}
	if (check_below(st, 100) < 25) {
		f->qf_has_after = 1;
		f->qf_after = check_pick_index(st);
	}
	f->qf_reverse = check_below(st, 2);
}

/*
 * Reads the result of f in pages of page entries, each page a new query
 * with qf_after at the last index of the previous one, and asserts that
 * they stitch together into the brute-force result.
 */
static void
check_paged(const struct query_filter *base, size_t page)
{
	const Algaudit__V1__Entry *e;
	struct query_filter f = *base;
	struct query *q;
	char err[QUERY_ERRLEN], d[CHECK_DESC];
	uint64_t idx = 0;
	size_t nwant, got = 0, k, pages = 0;
	int rc;

	nwant = check_expect(base);
	for (;;) {
		rc = query_open(check_v, &f, &q, err, sizeof(err));
		ck_assert_msg(rc == 0, "%s: page %zu: query_open: %s (%s)",
		    check_fdesc(&f, d), pages, query_strerror(rc), err);
		for (k = 0; k < page; k++) {
			rc = query_next(q, &idx, &e);
			if (rc == STORE_ENOTFOUND)
				break;
			ck_assert_msg(rc == 0, "%s: query_next: %s",
			    check_fdesc(&f, d), query_strerror(rc));
			ck_assert_msg(got < nwant && idx == check_want[got],
			    "%s: page size %zu: row %zu is %llu, want %llu "
			    "of %zu", check_fdesc(&f, d), page, got,
			    (unsigned long long)idx, (unsigned long long)
			    (got < nwant ? check_want[got] : UINT64_MAX),
			    nwant);
			got++;
		}
		query_close(q);
		pages++;
		if (k < page)
			break;
		f.qf_has_after = 1;
		f.qf_after = idx;
	}
	ck_assert_msg(got == nwant, "%s: page size %zu: %zu rows stitched, "
	    "want %zu", check_fdesc(base, d), page, got, nwant);
}

/* Every single filter over its values, both orders. */
START_TEST(test_query_single)
{
	static const char *const nolabel[] = { "zz", "" };
	struct query_filter f;
	uint64_t st = check_seed_v ^ 0x51;
	char v[CHECK_STR], w[CHECK_STR], *lng;
	size_t nall, nflag;
	unsigned a, i, k;
	int c;

	memset(&f, 0, sizeof(f));
	for (a = 0; a <= 7; a++) {
		snprintf(v, sizeof(v), a < 7 ? "alg-%u" : "alg-none", a);
		f.qf_algorithm = v;
		check_both(&f);
		for (i = 0; i <= 3; i++) {
			snprintf(w, sizeof(w), "%u.%u", a, i);
			f.qf_version = w;
			check_both(&f);
		}
		f.qf_version = NULL;
	}
	f.qf_algorithm = NULL;
	for (i = 0; i <= 80; i++) {
		snprintf(v, sizeof(v), i < 80 ? "subj-%03u" : "subj-none", i);
		f.qf_subject = v;
		check_both(&f);
	}
	lng = malloc(301);
	ck_assert_ptr_nonnull(lng);
	memset(lng, 's', 300);
	lng[300] = '\0';
	f.qf_subject = lng;
	ck_assert_uint_eq(check_one(&f), 0);
	f.qf_subject = NULL;
	free(lng);
	for (i = 0; i <= 5; i++) {
		snprintf(v, sizeof(v), i < 5 ? "dec-%u" : "dec-none", i);
		f.qf_decision = v;
		check_both(&f);
	}
	f.qf_decision = NULL;
	for (i = 0; i <= 60; i++) {
		snprintf(v, sizeof(v), i < 60 ? "tr-%u" : "tr-none", i);
		f.qf_trace = v;
		check_both(&f);
	}
	f.qf_trace = NULL;
	for (i = 0; i <= 500; i += 1 + check_below(&st, 12)) {
		snprintf(v, sizeof(v), "did-%u", i);
		f.qf_decision_id = v;
		check_both(&f);
	}
	f.qf_decision_id = NULL;
	for (i = 0; i <= 4; i++) {
		snprintf(v, sizeof(v), i < 4 ? "prod-%u" : "prod-none", i);
		f.qf_producer = v;
		check_both(&f);
	}
	f.qf_producer = NULL;
	for (c = 1; c <= 3; c++) {
		f.qf_class = c;
		check_both(&f);
	}
	f.qf_class = 0;
	f.qf_nlabels = 1;
	for (k = 0; k < 2; k++) {
		f.qf_labels[0].ql_key = check_lkeys[k];
		for (i = 0; i < 6; i++) {
			f.qf_labels[0].ql_value = i < 4 ? check_lvals[k][i] :
			    nolabel[i - 4];
			check_both(&f);
		}
	}
	f.qf_nlabels = 0;
	/* The clock-skew flag with each indexed kind, and a time range. */
	memset(&f, 0, sizeof(f));
	f.qf_clock_skewed = 1;
	for (c = 1; c <= 3; c++) {
		f.qf_class = c;
		check_both(&f);
	}
	f.qf_class = 0;
	for (i = 0; i <= 4; i++) {
		snprintf(v, sizeof(v), i < 4 ? "prod-%u" : "prod-none", i);
		f.qf_producer = v;
		check_both(&f);
	}
	f.qf_producer = NULL;
	f.qf_algorithm = "alg-0";
	ck_assert_uint_gt(check_one(&f), 0);
	memset(&f, 0, sizeof(f));
	f.qf_has_since = 1;
	f.qf_since_ns = INT64_MIN;
	nall = check_expect(&f);
	f.qf_clock_skewed = 1;
	nflag = check_one(&f);
	ck_assert_uint_gt(nflag, 0);
	ck_assert_uint_lt(nflag, nall);
	for (i = 0; i < 30; i++) {
		memset(&f, 0, sizeof(f));
		f.qf_has_since = 1;
		f.qf_since_ns = check_pick_time(&st);
		check_both(&f);
		memset(&f, 0, sizeof(f));
		f.qf_has_until = 1;
		f.qf_until_ns = check_pick_time(&st);
		check_both(&f);
		f.qf_has_since = 1;
		f.qf_since_ns = check_pick_time(&st);
		check_fix(&f);
		check_both(&f);
	}
}
END_TEST

/*
 * The filters without an index: alone (and with ranges) they are
 * refused; with a class (which has an index) they are checked.
 */
START_TEST(test_query_unindexed_filters)
{
	struct query_filter f;
	uint64_t st = check_seed_v ^ 0x52;
	unsigned i, kind;
	int c;

	for (i = 0; i < 40; i++) {
		memset(&f, 0, sizeof(f));
		kind = CHECK_K_MINSCORE + i % (CHECK_K_MAX - CHECK_K_MINSCORE);
		check_add_kind(&st, &f, (enum check_kind)kind);
		if (i % 3 == 0)
			check_add_kind(&st, &f, (enum check_kind)
			    (CHECK_K_MINSCORE + check_below(&st,
			    CHECK_K_MAX - CHECK_K_MINSCORE)));
		check_fix(&f);
		if (i % 4 == 1) {
			f.qf_from = check_pick_index(&st);
			f.qf_has_after = 1;
			f.qf_after = check_pick_index(&st);
		}
		if (i % 4 == 2) {
			f.qf_from = check_pick_index(&st);
			f.qf_has_to = 1;
			f.qf_to = f.qf_from + check_below(&st, 500);
		}
		ck_assert(!check_indexed(&f));
		check_both(&f);
		for (c = 1; c <= 3; c++) {
			f.qf_class = c;
			check_both(&f);
		}
	}
	memset(&f, 0, sizeof(f));
	for (c = QUERY_REVIEWED_YES; c <= QUERY_REVIEWED_NO; c++) {
		f.qf_reviewed = c;
		f.qf_class = 1 + (int)check_below(&st, 3);
		check_both(&f);
	}
}
END_TEST

/* Random combinations of 2 to 4 filters with ranges and cursors. */
START_TEST(test_query_combos)
{
	struct query_filter f;
	uint64_t st = check_seed_v ^ 0x53;
	unsigned i, n = check_iters(2000), nonempty = 0;

	for (i = 0; i < n; i++) {
		check_rand_filter(&st, &f, 2 + check_below(&st, 3), 1);
		if (check_one(&f) > 0)
			nonempty++;
	}
	/* The generator must not only ask for nothing. */
	ck_assert_uint_gt(nonempty, n / 10);
}
END_TEST

/* Single random filters with ranges and cursors. */
START_TEST(test_query_ranges)
{
	struct query_filter f;
	uint64_t st = check_seed_v ^ 0x54;
	unsigned i, n = check_iters(1000);

	for (i = 0; i < n; i++) {
		check_rand_filter(&st, &f, 1, 1);
		check_one(&f);
	}
}
END_TEST

/* The index range and the cursor at their edges. */
/* qsort() comparison of two u64. */
static int
check_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The index range and the cursor at their edges (block boundaries, the
 * ends of the log, beyond it). A range whose end is before its start
 * is not tried: query.h does not say what it is.
 */
START_TEST(test_query_edges)
{
	struct query_filter f;
	const uint64_t n = check_n;
	uint64_t pts[] = { 0, 1, 254, 255, 256, 257, 511, 512, n - 2,
	    n - 1, n, n + 1, UINT64_MAX - 1, UINT64_MAX };
	const size_t npts = sizeof(pts) / sizeof(pts[0]);
	size_t i, j;
	int c;

	qsort(pts, npts, sizeof(pts[0]), check_cmp_u64);
	for (c = 0; c < 2; c++) {
		memset(&f, 0, sizeof(f));
		if (c == 0)
			f.qf_class = 2;
		else {
			f.qf_has_since = 1;
			f.qf_since_ns = INT64_MIN;
		}
		for (i = 0; i < npts; i++) {
			f.qf_from = pts[i];
			f.qf_has_to = 0;
			f.qf_has_after = 0;
			check_both(&f);
			f.qf_from = 0;
			f.qf_has_to = 1;
			f.qf_to = pts[i];
			check_both(&f);
			f.qf_has_to = 0;
			f.qf_has_after = 1;
			f.qf_after = pts[i];
			check_both(&f);
			for (j = i; j < npts;
			    j += j < i + 2 ? 1 : 4 * CHECK_SLOW) {
				f.qf_from = pts[i];
				f.qf_has_to = 1;
				f.qf_to = pts[j];
				f.qf_has_after = 0;
				check_both(&f);
				f.qf_has_after = 1;
				f.qf_after = pts[(i + j) / 2];
				check_both(&f);
			}
		}
	}
}
END_TEST

/* Paging with qf_after stitches back into the whole result. */
START_TEST(test_query_paging)
{
	struct query_filter f;
	uint64_t st = check_seed_v ^ 0x55;
	unsigned i, n = check_iters(150);
	size_t page;

	for (i = 0; i < n; i++) {
		do
			check_rand_filter(&st, &f, 1 + check_below(&st, 2), 0);
		while (!check_indexed(&f));
		if (i % 4 == 0) {
			f.qf_from = check_pick_index(&st);
			f.qf_has_to = 1;
			f.qf_to = f.qf_from + check_rand(&st) % check_n;
		}
		page = i % 2 == 0 ? 7 : 1 + check_below(&st, 40);
		f.qf_reverse = 0;
		check_paged(&f, page);
		f.qf_reverse = 1;
		check_paged(&f, page);
	}
	/* A broad one, page by page of 7. */
	memset(&f, 0, sizeof(f));
	f.qf_has_since = 1;
	f.qf_since_ns = INT64_MIN;
	check_paged(&f, 7);
	f.qf_reverse = 1;
	check_paged(&f, 7);
}
END_TEST

/* query_match() agrees with the brute force on every entry. */
START_TEST(test_query_match)
{
	struct query_filter *fs;
	Algaudit__V1__Entry *e;
	const void *p;
	uint64_t st = check_seed_v ^ 0x56, i;
	unsigned k, nf = check_iters(400);
	char d[CHECK_DESC];
	size_t len;
	int want, got;

	fs = calloc(nf, sizeof(*fs));
	ck_assert_ptr_nonnull(fs);
	for (k = 0; k < nf; k++)
		check_rand_filter(&st, &fs[k], 1 + check_below(&st, 4), 1);
	for (i = 0; i < check_n; i++) {
		ck_assert_int_eq(store_view_entry(check_v, i, &p, &len), 0);
		e = algaudit__v1__entry__unpack(NULL, len, p);
		ck_assert_ptr_nonnull(e);
		for (k = 0; k < nf; k++) {
			want = check_model_match(&fs[k], i);
			got = query_match(&fs[k], i, e);
			ck_assert_msg(got == want, "%s: query_match of entry "
			    "%llu is %d, want %d", check_fdesc(&fs[k], d),
			    (unsigned long long)i, got, want);
		}
		algaudit__v1__entry__free_unpacked(e, NULL);
	}
	free(fs);
}
END_TEST

/*
 * index.h: the version term is "id || version (absent = empty)", and
 * qf_version is "that version": qf_version "" selects the entries of
 * the algorithm without a version (or with an empty one).
 */
START_TEST(test_query_version_empty)
{
	struct query_filter f;
	char v[CHECK_STR];
	unsigned a;

	memset(&f, 0, sizeof(f));
	f.qf_version = "";
	for (a = 0; a < 7; a++) {
		snprintf(v, sizeof(v), "alg-%u", a);
		f.qf_algorithm = v;
		ck_assert_uint_gt(check_expect(&f), 0);
		check_both(&f);
	}
}
END_TEST

/* Up to QUERY_LABELS_MAX label filters; the same one repeated. */
START_TEST(test_query_labels_max)
{
	struct query_filter f;
	char err[QUERY_ERRLEN];
	struct query *q;
	size_t k;
	int rc;

	memset(&f, 0, sizeof(f));
	for (k = 0; k < QUERY_LABELS_MAX; k++) {
		f.qf_labels[k].ql_key = "region";
		f.qf_labels[k].ql_value = "eu";
	}
	f.qf_nlabels = QUERY_LABELS_MAX;
	ck_assert_uint_gt(check_one(&f), 0);
	f.qf_reverse = 1;
	ck_assert_uint_gt(check_one(&f), 0);
	f.qf_reverse = 0;
	/* Two values of one key: nothing. */
	f.qf_labels[3].ql_value = "us";
	ck_assert_uint_eq(check_one(&f), 0);
	f.qf_nlabels = QUERY_LABELS_MAX + 1;
	q = (struct query *)1;
	rc = query_open(check_v, &f, &q, err, sizeof(err));
	ck_assert_int_eq(rc, QUERY_EFILTER);
	ck_assert_ptr_null(q);
}
END_TEST

/* Asserts that query_open() refuses f with want, err naming what. */
static void
check_refused(const struct query_filter *f, int want, const char *what)
{
	struct query *q;
	char err[QUERY_ERRLEN], d[CHECK_DESC];
	int rc;

	q = (struct query *)1;
	memset(err, 0, sizeof(err));
	rc = query_open(check_v, f, &q, err, sizeof(err));
	ck_assert_msg(rc == want, "%s: query_open: %s, want %s",
	    check_fdesc(f, d), query_strerror(rc), query_strerror(want));
	ck_assert_ptr_null(q);
	ck_assert_msg(err[0] != '\0', "%s: no message", check_fdesc(f, d));
	if (what != NULL)
		ck_assert_msg(strstr(err, what) != NULL, "%s: message \"%s\" "
		    "does not name %s", check_fdesc(f, d), err, what);
}

/* Each malformed filter query.h lists is QUERY_EFILTER. */
START_TEST(test_query_efilter)
{
	struct query_filter f, base;
	size_t k;

	memset(&base, 0, sizeof(base));
	base.qf_subject = "subj-001";

	f = base;
	f.qf_has_since = f.qf_has_until = 1;
	f.qf_since_ns = f.qf_until_ns = CHECK_T0;
	check_refused(&f, QUERY_EFILTER, "since");
	f.qf_since_ns = CHECK_T0 + 1;
	check_refused(&f, QUERY_EFILTER, "since");
	f.qf_since_ns = INT64_MAX;
	f.qf_until_ns = INT64_MIN;
	check_refused(&f, QUERY_EFILTER, "since");

	f = base;
	f.qf_has_min_score = f.qf_has_max_score = 1;
	f.qf_min_score = 0.5;
	f.qf_max_score = 0.25;
	check_refused(&f, QUERY_EFILTER, "score");

	f = base;
	f.qf_version = "1.0";
	check_refused(&f, QUERY_EFILTER, "version");

	f = base;
	f.qf_class = 4;
	check_refused(&f, QUERY_EFILTER, "class");
	f.qf_class = -1;
	check_refused(&f, QUERY_EFILTER, "class");

	f = base;
	f.qf_nlabels = 1;
	f.qf_labels[0].ql_key = "";
	f.qf_labels[0].ql_value = "eu";
	check_refused(&f, QUERY_EFILTER, "label");
	f.qf_nlabels = 2;
	f.qf_labels[0].ql_key = "region";
	f.qf_labels[1].ql_key = "";
	f.qf_labels[1].ql_value = "x";
	check_refused(&f, QUERY_EFILTER, "label");

	f = base;
	for (k = 0; k < QUERY_LABELS_MAX; k++) {
		f.qf_labels[k].ql_key = "region";
		f.qf_labels[k].ql_value = "eu";
	}
	f.qf_nlabels = QUERY_LABELS_MAX + 1;
	check_refused(&f, QUERY_EFILTER, "label");
	f.qf_nlabels = SIZE_MAX;
	check_refused(&f, QUERY_EFILTER, "label");

	f = base;
	f.qf_has_min_score = 1;
	f.qf_min_score = NAN;
	check_refused(&f, QUERY_EFILTER, "score");
	f = base;
	f.qf_has_max_score = 1;
	f.qf_max_score = NAN;
	check_refused(&f, QUERY_EFILTER, "score");

	f = base;
	f.qf_clock_skewed = 2;
	check_refused(&f, QUERY_EFILTER, "clock-skewed");
	f.qf_clock_skewed = -1;
	check_refused(&f, QUERY_EFILTER, "clock-skewed");

	/* Malformed and unindexed: the malformation is the news. */
	f = base;
	f.qf_subject = NULL;
	f.qf_has_min_score = f.qf_has_max_score = 1;
	f.qf_min_score = 2.0;
	f.qf_max_score = 1.0;
	check_refused(&f, QUERY_EFILTER, "score");
}
END_TEST

/* A label filter without a key is malformed (an empty key, NULL). */
START_TEST(test_query_efilter_null_key)
{
	struct query_filter f;

	memset(&f, 0, sizeof(f));
	f.qf_subject = "subj-001";
	f.qf_nlabels = 1;
	f.qf_labels[0].ql_key = NULL;
	f.qf_labels[0].ql_value = "eu";
	check_refused(&f, QUERY_EFILTER, "label");
}
END_TEST

/* Only filters without an index: refused, however they combine. */
START_TEST(test_query_eunindexed)
{
	struct query_filter f;

	memset(&f, 0, sizeof(f));
	f.qf_nlabels = 1;
	f.qf_labels[0].ql_key = "tier";
	f.qf_labels[0].ql_value = "gold";
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	f.qf_nlabels = 0;
	f.qf_has_min_score = 1;
	f.qf_min_score = 0.5;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	f.qf_has_max_score = 1;
	f.qf_max_score = 0.75;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	f.qf_has_min_score = 0;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	memset(&f, 0, sizeof(f));
	f.qf_reviewed = QUERY_REVIEWED_YES;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	f.qf_reviewed = QUERY_REVIEWED_NO;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	memset(&f, 0, sizeof(f));
	f.qf_clock_skewed = 1;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	f.qf_reviewed = QUERY_REVIEWED_YES;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	/* All of them, from an index, with a cursor, reversed. */
	f.qf_nlabels = 2;
	f.qf_labels[0].ql_key = "tier";
	f.qf_labels[0].ql_value = "gold";
	f.qf_labels[1].ql_key = "exp";
	f.qf_labels[1].ql_value = "";
	f.qf_has_min_score = f.qf_has_max_score = 1;
	f.qf_min_score = 0;
	f.qf_max_score = 1;
	f.qf_from = 10;
	f.qf_has_after = 1;
	f.qf_after = 100;
	f.qf_reverse = 1;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
}
END_TEST

/*
 * query.h: "QUERY_EUNINDEXED (only filters without an index, e.g. an
 * undeclared label or only a score range: that would scan the log)".
 * An index range does not give a filter an index.
 */
START_TEST(test_query_eunindexed_range)
{
	struct query_filter f;

	memset(&f, 0, sizeof(f));
	f.qf_has_max_score = 1;
	f.qf_max_score = 0.5;
	f.qf_has_to = 1;
	f.qf_to = check_n - 1;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	f.qf_has_max_score = 0;
	f.qf_clock_skewed = 1;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
	f.qf_nlabels = 2;
	f.qf_labels[0].ql_key = "tier";
	f.qf_labels[0].ql_value = "gold";
	f.qf_labels[1].ql_key = "exp";
	f.qf_labels[1].ql_value = "";
	f.qf_has_min_score = f.qf_has_max_score = 1;
	f.qf_min_score = 0;
	f.qf_max_score = 1;
	f.qf_from = 10;
	f.qf_has_to = 1;
	f.qf_to = 200;
	f.qf_has_after = 1;
	f.qf_after = 100;
	f.qf_reverse = 1;
	check_refused(&f, QUERY_EUNINDEXED, NULL);
}
END_TEST

/*
 * "A selection with no filter at all is a listing of the index range":
 * every entry in it, in order, with cursors, counted and paged.
 */
START_TEST(test_query_listing)
{
	struct query_filter f;
	uint64_t st = check_seed_v ^ 0x57;
	unsigned i, n = check_iters(60);

	memset(&f, 0, sizeof(f));
	ck_assert_uint_eq(check_one(&f), check_n);
	f.qf_reverse = 1;
	ck_assert_uint_eq(check_one(&f), check_n);
	check_paged(&f, 7);
	f.qf_reverse = 0;
	check_paged(&f, 7);
	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		if (check_below(&st, 2) == 0)
			f.qf_from = check_pick_index(&st);
		if (check_below(&st, 2) == 0) {
			f.qf_has_to = 1;
			f.qf_to = f.qf_from + check_rand(&st) % (check_n + 5);
		}
		if (check_below(&st, 3) == 0) {
			f.qf_has_after = 1;
			f.qf_after = check_pick_index(&st);
		}
		f.qf_reverse = check_below(&st, 2);
		check_one(&f);
		if (i % 10 == 0)
			check_paged(&f, 1 + check_below(&st, 50));
	}
}
END_TEST

/* query_strerror() and query_close(NULL). */
START_TEST(test_query_strerror)
{
	static const struct {
		int		 code;
		const char	*name;
	} codes[] = {
		{ QUERY_ENOINDEX, "QUERY_ENOINDEX: " },
		{ QUERY_EUNINDEXED, "QUERY_EUNINDEXED: " },
		{ QUERY_EFILTER, "QUERY_EFILTER: " },
		{ QUERY_EDECODE, "QUERY_EDECODE: " },
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_ptr_nonnull(query_strerror(codes[i].code));
		ck_assert_msg(strncmp(query_strerror(codes[i].code),
		    codes[i].name, strlen(codes[i].name)) == 0, "%s",
		    query_strerror(codes[i].code));
		ck_assert_uint_gt(strlen(query_strerror(codes[i].code)),
		    strlen(codes[i].name));
	}
	ck_assert_str_eq(query_strerror(STORE_ECORRUPT),
	    store_strerror(STORE_ECORRUPT));
	ck_assert_str_eq(query_strerror(ENOMEM), store_strerror(ENOMEM));
	ck_assert_str_eq(query_strerror(0), store_strerror(0));
	query_close(NULL);
}
END_TEST

/* An indexed query on an empty store: nothing, counted 0. */
START_TEST(test_query_empty_store)
{
	const Algaudit__V1__Entry *e;
	struct query_filter f;
	struct store_view *v;
	struct store *s;
	struct query *q;
	char err[QUERY_ERRLEN];
	uint64_t idx, cnt = 1;

	s = check_create("empty");
	ck_assert_int_eq(store_view_begin(s, &v), 0);
	memset(&f, 0, sizeof(f));
	f.qf_subject = "x";
	ck_assert_int_eq(query_open(v, &f, &q, err, sizeof(err)), 0);
	ck_assert_int_eq(query_next(q, &idx, &e), STORE_ENOTFOUND);
	query_close(q);
	f.qf_subject = NULL;
	f.qf_has_since = 1;
	f.qf_since_ns = INT64_MIN;
	f.qf_reverse = 1;
	ck_assert_int_eq(query_open(v, &f, &q, err, sizeof(err)), 0);
	ck_assert_int_eq(query_count(q, &cnt), 0);
	ck_assert_uint_eq(cnt, 0);
	query_close(q);
	store_view_end(v);
	store_close(s);
}
END_TEST

/*
 * Generates the property model with extra entries more than a small
 * store and writes all but the extra ones into a new store name, live,
 * with bits 8 and the declared labels.
 */
static struct store *
check_small_store(const char *name, uint64_t extra)
{
	struct store *s;
	int rc;

	check_n = check_scale(1000) + extra;
	check_ents = check_gen_all(check_seed_v, check_n);
	check_want = calloc(check_n + 1, sizeof(*check_want));
	ck_assert_ptr_nonnull(check_want);
	s = check_create(name);
	rc = store_reindex(s, INDEX_BITS_MIN, check_declared, 2, 0, NULL,
	    NULL, NULL);
	ck_assert_msg(rc == 0, "store_reindex: %s", store_strerror(rc));
	check_write(s, check_ents, 0, check_n - extra, 100, 1);
	return s;
}

/* Progress callback of the child: dies after the first commit. */
static void
check_die_cb(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	_exit(done > 0 && done < total ? 3 : 4);
}

/*
 * An interrupted reindex leaves the store refusing queries
 * (QUERY_ENOINDEX) until store_reindex() runs again.
 */
START_TEST(test_query_enoindex_interrupted)
{
	struct query_filter f;
	struct store *s;
	char dir[1024];
	pid_t pid;
	int status;

	s = check_small_store("s", 0);
	store_close(s);
	check_path(dir, sizeof(dir), "s");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (store_open(&s, dir, 0, NULL) != 0)
			_exit(1);
		store_reindex(s, 0, NULL, 0, 50, check_die_cb, NULL, NULL);
		_exit(2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3,
	    "child status %d", status);

	memset(&f, 0, sizeof(f));
	f.qf_class = 1;
	check_st = check_reader("s");
	ck_assert_int_eq(store_view_begin(check_st, &check_v), 0);
	check_refused(&f, QUERY_ENOINDEX, NULL);
	f.qf_class = 0;
	f.qf_has_since = 1;
	f.qf_since_ns = 0;
	check_refused(&f, QUERY_ENOINDEX, NULL);
	store_view_end(check_v);
	check_v = NULL;
	store_close(check_st);
	check_st = NULL;

	s = check_create("s");
	ck_assert_int_eq(store_reindex(s, 0, NULL, 0, 0, NULL, NULL, NULL),
	    0);
	store_close(s);
	check_st = check_reader("s");
	ck_assert_int_eq(store_view_begin(check_st, &check_v), 0);
	check_both(&f);
	f.qf_has_since = 0;
	f.qf_class = 1;
	check_both(&f);
}
END_TEST

/*
 * Entries appended without store_index_add() make their commit mark
 * the indexes incomplete: indexed filters, the producer's included,
 * are refused (QUERY_ENOINDEX) instead of missing entries, until a
 * reindex; a plain listing still works.
 */
START_TEST(test_query_enoindex_unindexed_append)
{
	struct index_info ii;
	struct query_filter f;
	struct query *q;
	struct store *s;
	char err[QUERY_ERRLEN];
	uint64_t n;

	s = check_small_store("s", 10);
	check_write(s, check_ents, check_n - 10, 10, 10, 0);
	ck_assert_int_eq(store_index_info(s, &ii), 0);
	ck_assert_uint_eq(ii.ii_from, check_n);
	store_close(s);

	check_st = check_reader("s");
	ck_assert_int_eq(store_view_begin(check_st, &check_v), 0);
	memset(&f, 0, sizeof(f));
	f.qf_class = 1;
	check_refused(&f, QUERY_ENOINDEX, NULL);
	f.qf_class = 0;
	f.qf_producer = "prod-0";
	check_refused(&f, QUERY_ENOINDEX, NULL);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(query_open(check_v, &f, &q, err, sizeof(err)), 0);
	ck_assert_int_eq(query_count(q, &n), 0);
	ck_assert_uint_eq(n, check_n);
	query_close(q);
	store_view_end(check_v);
	check_v = NULL;
	store_close(check_st);
	check_st = NULL;

	s = check_create("s");
	ck_assert_int_eq(store_reindex(s, 0, NULL, 0, 0, NULL, NULL, NULL),
	    0);
	ck_assert_int_eq(store_index_info(s, &ii), 0);
	ck_assert_uint_eq(ii.ii_from, 0);
	store_close(s);
}
END_TEST

/* What the progress callback of test_query_enoindex_running saw. */
struct check_running {
	struct store	*cr_store;
	unsigned	 cr_calls;
	int		 cr_rc;		/* query_open() in the first call */
	int		 cr_q_null;	/* and its query was NULL */
};

/* Progress callback: queries the half-built index through a view. */
static void
check_running_cb(uint64_t done, uint64_t total, void *arg)
{
	struct check_running *cr = arg;
	struct query_filter f;
	struct store_view *v;
	struct query *q;
	char err[QUERY_ERRLEN];

	(void)total;
	if (cr->cr_calls++ > 0 || done == 0)
		return;
	memset(&f, 0, sizeof(f));
	f.qf_class = 1;
	if ((cr->cr_rc = store_view_begin(cr->cr_store, &v)) != 0)
		return;
	q = (struct query *)1;
	cr->cr_rc = query_open(v, &f, &q, err, sizeof(err));
	cr->cr_q_null = q == NULL;
	query_close(q == (struct query *)1 ? NULL : q);
	store_view_end(v);
}

/* While a reindex runs, queries are refused. */
START_TEST(test_query_enoindex_running)
{
	struct check_running cr;
	struct query_filter f;
	struct store *s;
	int rc;

	s = check_small_store("s", 0);
	memset(&cr, 0, sizeof(cr));
	cr.cr_store = s;
	cr.cr_rc = 12345;
	rc = store_reindex(s, 0, NULL, 0, 100, check_running_cb, &cr, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_gt(cr.cr_calls, 1);
	ck_assert_msg(cr.cr_rc == QUERY_ENOINDEX, "query_open during the "
	    "reindex: %s, want QUERY_ENOINDEX", query_strerror(cr.cr_rc));
	ck_assert(cr.cr_q_null);

	/* Finished: answered again. */
	ck_assert_int_eq(store_view_begin(s, &check_v), 0);
	memset(&f, 0, sizeof(f));
	f.qf_class = 1;
	check_both(&f);
	store_view_end(check_v);
	check_v = NULL;
	store_close(s);
}
END_TEST

/* The reader thread of test_query_reindex_view and its findings. */
struct check_viewer {
	struct store	*cv_store;
	pthread_mutex_t	 cv_mtx;
	pthread_cond_t	 cv_cond;
	int		 cv_state;	/* 1 view open, 2 reindexed */
	int		 cv_rc;		/* first failure */
	char		 cv_msg[CHECK_DESC];
	struct query_filter cv_f[5];
	size_t		 cv_nf;
	uint64_t	 cv_n;		/* entries in the view */
};

/*
 * Runs f on view v and compares with the brute force; on a difference
 * records it in cv (a thread must not call ck_assert).
 */
static void
check_viewer_run(struct check_viewer *cv, struct store_view *v,
    const struct query_filter *f, const char *when)
{
	const Algaudit__V1__Entry *e;
	struct query *q;
	char err[QUERY_ERRLEN], d[CHECK_DESC];
	uint64_t idx, *want;
	size_t nwant, k;
	int rc;

	if (cv->cv_rc != 0)
		return;
	want = calloc(cv->cv_n + 1, sizeof(*want));
	if (want == NULL) {
		cv->cv_rc = ENOMEM;
		return;
	}
	nwant = 0;
	for (k = 0; k < cv->cv_n; k++)
		if (check_model_match(f, f->qf_reverse ? cv->cv_n - 1 - k :
		    k))
			want[nwant++] = f->qf_reverse ? cv->cv_n - 1 - k : k;
	if ((rc = query_open(v, f, &q, err, sizeof(err))) != 0) {
		cv->cv_rc = rc;
		snprintf(cv->cv_msg, sizeof(cv->cv_msg), "%s: %s: query_open: "
		    "%s (%s)", when, check_fdesc(f, d), query_strerror(rc),
		    err);
		free(want);
		return;
	}
	for (k = 0; (rc = query_next(q, &idx, &e)) == 0; k++)
		if (k >= nwant || idx != want[k])
			break;
	if (rc != STORE_ENOTFOUND || k != nwant) {
		cv->cv_rc = rc != 0 ? rc : -1;
		snprintf(cv->cv_msg, sizeof(cv->cv_msg), "%s: %s: result #%zu "
		    "differs (rc %s, %zu expected)", when, check_fdesc(f, d),
		    k, query_strerror(rc), nwant);
	}
	query_close(q);
	free(want);
}

/* The reader thread: holds one view across the writer's reindex. */
static void *
check_viewer_main(void *arg)
{
	struct check_viewer *cv = arg;
	struct store_view *v;
	size_t i;
	int rc;

	rc = store_view_begin(cv->cv_store, &v);
	pthread_mutex_lock(&cv->cv_mtx);
	if (rc != 0) {
		cv->cv_rc = rc;
		snprintf(cv->cv_msg, sizeof(cv->cv_msg), "view: %s",
		    store_strerror(rc));
		cv->cv_state = 2;
	} else
		cv->cv_state = 1;
	pthread_cond_broadcast(&cv->cv_cond);
	pthread_mutex_unlock(&cv->cv_mtx);
	if (rc != 0)
		return NULL;
	for (i = 0; i < cv->cv_nf; i++)
		check_viewer_run(cv, v, &cv->cv_f[i], "before");
	pthread_mutex_lock(&cv->cv_mtx);
	while (cv->cv_state != 2)
		pthread_cond_wait(&cv->cv_cond, &cv->cv_mtx);
	pthread_mutex_unlock(&cv->cv_mtx);
	for (i = 0; i < cv->cv_nf; i++)
		check_viewer_run(cv, v, &cv->cv_f[i], "after");
	store_view_end(v);
	return NULL;
}

/*
 * A view begun before a reindex (which changes the layout and drops a
 * declared label) keeps answering from its snapshot; a new view sees
 * the new indexes.
 */
START_TEST(test_query_reindex_view)
{
	static const char *const region[] = { "region" };
	struct check_viewer cv;
	struct query_filter f;
	struct store *s;
	pthread_t t;
	int rc;

	s = check_small_store("s", 0);
	memset(&cv, 0, sizeof(cv));
	cv.cv_store = s;
	ck_assert_int_eq(pthread_mutex_init(&cv.cv_mtx, NULL), 0);
	ck_assert_int_eq(pthread_cond_init(&cv.cv_cond, NULL), 0);
	cv.cv_f[0].qf_class = 2;
	cv.cv_f[1].qf_nlabels = 1;
	cv.cv_f[1].qf_labels[0].ql_key = "channel";
	cv.cv_f[1].qf_labels[0].ql_value = "web";
	cv.cv_f[2].qf_has_since = 1;
	cv.cv_f[2].qf_since_ns = CHECK_T0 + 100 * CHECK_SEC;
	cv.cv_f[2].qf_reverse = 1;
	cv.cv_f[3].qf_algorithm = "alg-0";
	cv.cv_f[3].qf_version = "0.1";
	cv.cv_nf = 4;
	cv.cv_n = check_n;
	ck_assert_int_eq(pthread_create(&t, NULL, check_viewer_main, &cv), 0);
	pthread_mutex_lock(&cv.cv_mtx);
	while (cv.cv_state == 0)
		pthread_cond_wait(&cv.cv_cond, &cv.cv_mtx);
	pthread_mutex_unlock(&cv.cv_mtx);

	rc = store_reindex(s, INDEX_BITS_DEFAULT, region, 1, 100, NULL, NULL,
	    NULL);
	pthread_mutex_lock(&cv.cv_mtx);
	cv.cv_state = 2;
	pthread_cond_broadcast(&cv.cv_cond);
	pthread_mutex_unlock(&cv.cv_mtx);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(rc == 0, "store_reindex: %s", store_strerror(rc));
	ck_assert_msg(cv.cv_rc == 0, "seed %llu: the old view: %s",
	    (unsigned long long)check_seed_v, cv.cv_msg);
	pthread_cond_destroy(&cv.cv_cond);
	pthread_mutex_destroy(&cv.cv_mtx);

	/* A new view: "channel" is no longer declared. */
	ck_assert_int_eq(store_view_begin(s, &check_v), 0);
	check_both(&cv.cv_f[0]);
	check_both(&cv.cv_f[2]);
	check_both(&cv.cv_f[3]);
	check_refused(&cv.cv_f[1], QUERY_EUNINDEXED, NULL);
	f = cv.cv_f[1];
	f.qf_class = 1;
	check_both(&f);
	store_view_end(check_v);
	check_v = NULL;
	store_close(s);
}
END_TEST

/*
 * A view begun before the writer appends entries that cross big blocks
 * (so level 0 is merged into level 1 and emptied) keeps answering from
 * its snapshot; a new view sees every entry.
 */
START_TEST(test_query_view_across_merge)
{
	struct check_viewer cv;
	struct store *s;
	pthread_t t;
	uint64_t n1;
	size_t i;

	s = check_small_store("s", 700);
	n1 = check_n - 700;
	memset(&cv, 0, sizeof(cv));
	cv.cv_store = s;
	cv.cv_n = n1;
	ck_assert_int_eq(pthread_mutex_init(&cv.cv_mtx, NULL), 0);
	ck_assert_int_eq(pthread_cond_init(&cv.cv_cond, NULL), 0);
	cv.cv_f[0].qf_class = 2;
	cv.cv_f[1].qf_nlabels = 1;
	cv.cv_f[1].qf_labels[0].ql_key = "region";
	cv.cv_f[1].qf_labels[0].ql_value = "eu";
	cv.cv_f[2].qf_has_since = 1;
	cv.cv_f[2].qf_since_ns = CHECK_T0 + 100 * CHECK_SEC;
	cv.cv_f[2].qf_reverse = 1;
	cv.cv_f[3].qf_algorithm = "alg-0";
	cv.cv_f[3].qf_version = "0.1";
	cv.cv_f[4].qf_producer = "prod-1";
	cv.cv_f[4].qf_from = n1 - 300;
	cv.cv_f[4].qf_reverse = 1;
	cv.cv_nf = 5;
	ck_assert_int_eq(pthread_create(&t, NULL, check_viewer_main, &cv), 0);
	pthread_mutex_lock(&cv.cv_mtx);
	while (cv.cv_state == 0)
		pthread_cond_wait(&cv.cv_cond, &cv.cv_mtx);
	pthread_mutex_unlock(&cv.cv_mtx);

	check_write(s, check_ents, n1, 700, 60, 1);
	pthread_mutex_lock(&cv.cv_mtx);
	cv.cv_state = 2;
	pthread_cond_broadcast(&cv.cv_cond);
	pthread_mutex_unlock(&cv.cv_mtx);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(cv.cv_rc == 0, "seed %llu: the old view: %s",
	    (unsigned long long)check_seed_v, cv.cv_msg);
	pthread_cond_destroy(&cv.cv_cond);
	pthread_mutex_destroy(&cv.cv_mtx);

	ck_assert_int_eq(store_view_begin(s, &check_v), 0);
	ck_assert_uint_eq(store_view_size(check_v), check_n);
	for (i = 0; i < cv.cv_nf; i++)
		check_both(&cv.cv_f[i]);
	store_view_end(check_v);
	check_v = NULL;
	store_close(s);
}
END_TEST

/*
 * An entry whose bytes do not decode, though its index postings are
 * there (store_index_add() was given a good message): query_next()
 * reaches it and says QUERY_EDECODE with its index; query_count()
 * decodes only when a filter needs it.
 */
START_TEST(test_query_edecode)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff };
	const Algaudit__V1__Entry *e;
	struct query_filter f;
	struct check_msg cm;
	struct query *q;
	struct store *s;
	char err[QUERY_ERRLEN];
	uint64_t i, idx, cnt;
	int rc, rev;

	check_n = 10;
	check_ents = check_gen_all(check_seed_v, check_n);
	for (i = 0; i < check_n; i++) {
		snprintf(check_ents[i].ce_subject, CHECK_STR, "same");
		check_ents[i].ce_has_subject = 1;
		check_ents[i].ce_has_score = 1;
		check_ents[i].ce_score = 0.5;
	}
	s = check_create("s");
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < check_n; i++) {
		if (i != 5) {
			ck_assert_int_eq(check_put(s, &check_ents[i], i, 1), 0);
			continue;
		}
		ck_assert_int_eq(store_append(s, garbage, sizeof(garbage),
		    NULL), 0);
		check_msg_fill(&cm, &check_ents[i], i);
		ck_assert_int_eq(store_index_add(s, i, &cm.cm_e), 0);
	}
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_view_begin(s, &check_v), 0);

	memset(&f, 0, sizeof(f));
	f.qf_subject = "same";
	for (rev = 0; rev < 2; rev++) {
		f.qf_reverse = rev;
		ck_assert_int_eq(query_open(check_v, &f, &q, err, sizeof(err)),
		    0);
		for (i = 0; i < 4; i++) {
			ck_assert_int_eq(query_next(q, &idx, &e), 0);
			ck_assert_uint_eq(idx, rev ? 9 - i : i);
		}
		if (!rev) {
			ck_assert_int_eq(query_next(q, &idx, &e), 0);
			ck_assert_uint_eq(idx, 4);
		}
		idx = 0;
		rc = query_next(q, &idx, &e);
		ck_assert_msg(rc == QUERY_EDECODE, "query_next at the bad "
		    "entry: %s", query_strerror(rc));
		ck_assert_uint_eq(idx, 5);
		query_close(q);
	}

	/* The subject's postings answer the count: nothing to decode. */
	f.qf_reverse = 0;
	ck_assert_int_eq(query_open(check_v, &f, &q, err, sizeof(err)), 0);
	cnt = 0;
	rc = query_count(q, &cnt);
	ck_assert_msg(rc == 0 && cnt == check_n, "query_count: %s, %llu",
	    query_strerror(rc), (unsigned long long)cnt);
	query_close(q);
	/* A score must be read from the entry. */
	f.qf_has_min_score = 1;
	f.qf_min_score = 0.0;
	ck_assert_int_eq(query_open(check_v, &f, &q, err, sizeof(err)), 0);
	rc = query_count(q, &cnt);
	ck_assert_msg(rc == QUERY_EDECODE, "query_count with a score: %s",
	    query_strerror(rc));
	query_close(q);
	store_view_end(check_v);
	check_v = NULL;
	store_close(s);
}
END_TEST

/* The suite. */
static Suite *
check_store_query_suite(void)
{
	static const struct {
		const char	*name;
		void		(*setup)(void);
	} layouts[] = {
		{ "bits8", check_setup_b8 },
		{ "bits16", check_setup_b16 },
		{ "plain", check_setup_plain },
		{ "reindexed", check_setup_reindexed },
	};
	Suite *s;
	TCase *tc;
	size_t i;

	s = suite_create("store_query");
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		tc = tcase_create(layouts[i].name);
		tcase_add_checked_fixture(tc, layouts[i].setup,
		    check_teardown);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, test_query_combos);
		tcase_add_test(tc, test_query_paging);
		tcase_add_test(tc, test_query_edges);
		if (i == 0) {
			tcase_add_test(tc, test_query_single);
			tcase_add_test(tc, test_query_ranges);
		}
		suite_add_tcase(s, tc);
	}

	tc = tcase_create("match");
	tcase_add_checked_fixture(tc, check_setup_b8, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_query_match);
	tcase_add_test(tc, test_query_unindexed_filters);
	tcase_add_test(tc, test_query_listing);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, check_setup_b8, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_query_efilter);
	tcase_add_test(tc, test_query_efilter_null_key);
	tcase_add_test(tc, test_query_eunindexed);
	tcase_add_test(tc, test_query_eunindexed_range);
	tcase_add_test(tc, test_query_labels_max);
	tcase_add_test(tc, test_query_version_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_query_strerror);
	tcase_add_test(tc, test_query_empty_store);
	tcase_add_test(tc, test_query_enoindex_interrupted);
	tcase_add_test(tc, test_query_enoindex_unindexed_append);
	tcase_add_test(tc, test_query_enoindex_running);
	tcase_add_test(tc, test_query_reindex_view);
	tcase_add_test(tc, test_query_view_across_merge);
	tcase_add_test(tc, test_query_edecode);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_store_query_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
