/* SPDX-License-Identifier: ISC */
/*
 * check_store_index.c: unit tests of the secondary indexes in
 * store/index.c (Suite "store_index"), written against the contract in
 * store/index.h: the term encoders byte for byte, store_index_add() in
 * the writer's transaction (misuse, abort, failed commit, map growth),
 * store_index_info(), and store_reindex() (layouts, declared labels,
 * progress, bad arguments, a corrupt entry, an interrupted run).
 *
 * The index contents are compared through store_index_digest(): a store
 * indexed live (in commits of any size) and the same entries reindexed
 * must have the same digest and per-index posting counts, and the
 * counts must be what the entries imply (an entry without a field, or
 * with an empty string, has no posting in that index). Entries
 * come from a seeded generator (the seed is in every failure message;
 * CHECK_SEED=N repeats a run); they have missing optional fields,
 * negative, absent and out-of-order event times, loss records, an
 * entry without a record, and declared and undeclared label keys. Each
 * test gets a fresh directory from mkdtemp (a checked fixture); the
 * interrupted reindex runs in a forked child that opens the store
 * itself and dies in the progress callback. VALGRIND=1 (set by `make
 * valgrind`) scales the stores down.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algaudit.pb-c.h"
#include "index.h"
#include "record.h"
#include "store.h"

#define CHECK_ORIGIN	"check.example/index"
#define CHECK_STR	32		/* longest generated string + NUL */
#define CHECK_NLKEYS	4		/* label keys the generator uses */
#define CHECK_ENTRY_MAX	2048		/* largest packed test entry */
#define CHECK_T0	1700000000000000000LL	/* event time base, ns */
#define CHECK_SEC	1000000000LL

static char check_tmp[512];	/* the fixture's directory */
static uint64_t check_seed_v;	/* the generator's seed of this test */

/* The generator's label keys; the first two are the declared ones. */
static const char *const check_lkeys[CHECK_NLKEYS] = {
	"region", "channel", "tier", "exp"
};
static const char *const check_declared[] = { "region", "channel" };

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
};

/* The protobuf-c messages of one entry, pointing into a check_ent. */
struct check_msg {
	Algaudit__V1__Entry		 cm_e;
	Algaudit__V1__DecisionRecord	 cm_r;
	Algaudit__V1__Algorithm		 cm_a;
	Algaudit__V1__Label		 cm_l[CHECK_NLKEYS];
	Algaudit__V1__Label		*cm_lp[CHECK_NLKEYS];
};

/* What the progress callback saw. */
struct check_progress {
	struct store	*cp_store;	/* to read the info from, or NULL */
	uint64_t	 cp_calls;
	uint64_t	 cp_last;	/* done of the last call */
	uint64_t	 cp_total;	/* total of the first call */
	int		 cp_disorder;	/* done not increasing, total moved */
	int		 cp_info_rc;	/* store_index_info() in the call */
	uint64_t	 cp_info_from;	/* its ii_from, last call */
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
	snprintf(check_tmp, sizeof(check_tmp), "%s/check_store_index.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	if (sv != NULL && *sv != '\0')
		check_seed_v = strtoull(sv, NULL, 0);
	else
		check_seed_v = (uint64_t)time(NULL) ^
		    ((uint64_t)getpid() << 32);
}

/* Checked fixture: removes the directory and everything in it. */
static void
check_teardown(void)
{
	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Number of entries of a test store: n, or n / 4 under valgrind. */
static uint64_t
check_scale(uint64_t n)
{
	const char *v = getenv("VALGRIND");

	if (v != NULL && strcmp(v, "1") == 0)
		return n / 4 > 300 ? n / 4 : 300;
	return n;
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
 * (some empty), labels (some values empty or absent), loss records, a
 * few entries with no record, and a few empty strings, which are not
 * indexed (docs/FORMAT.md). *prev is the last generated event time.
 */
static void
check_gen(uint64_t *st, uint64_t i, int64_t *prev, struct check_ent *m)
{
	static const char *const vals[CHECK_NLKEYS][4] = {
		{ "eu", "us", "cn", "in" },
		{ "web", "app", "api", "batch" },
		{ "gold", "silver", "bronze", "none" },
		{ "a", "b", "c", "d" },
	};
	static const double scores[] = { -1.0, 0.0, 0.25, 0.5, 0.75, 1.0 };
	unsigned r, k;

	memset(m, 0, sizeof(*m));
	if (check_below(st, 100) < 97) {
		m->ce_has_producer = 1;
		snprintf(m->ce_producer, CHECK_STR, "prod-%u",
		    check_below(st, 4));
	}
	if (check_below(st, 200) == 0)
		return;		/* an entry without a record */
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
			    vals[k][check_below(st, 4)]);
		m->ce_nlabels++;
	}
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

/* Whether key is one of the n declared label keys. */
static int
check_is_declared(const char *key, const char *const *labels, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(key, labels[i]) == 0)
			return 1;
	return 0;
}

/* Whether a string field is present and not empty (so indexed). */
static int
check_has(int has, const char *s)
{
	return has && *s != '\0';
}

/*
 * The number of postings each index must hold for ents[0 .. n) with
 * the declared label keys: one per entry that has the field (not
 * empty), one per declared label.
 */
static void
check_expect_counts(const struct check_ent *ents, uint64_t n,
    const char *const *labels, size_t nlabels, uint64_t *counts)
{
	const struct check_ent *m;
	uint64_t i;
	size_t k;

	memset(counts, 0, INDEX_NKINDS * sizeof(*counts));
	for (i = 0; i < n; i++) {
		m = &ents[i];
		counts[INDEX_ALGORITHM] += m->ce_has_alg;
		counts[INDEX_VERSION] += m->ce_has_alg;
		counts[INDEX_SUBJECT] += check_has(m->ce_has_subject,
		    m->ce_subject);
		counts[INDEX_DECISION] += check_has(m->ce_has_decision,
		    m->ce_decision);
		counts[INDEX_TRACE] += check_has(m->ce_has_trace, m->ce_trace);
		counts[INDEX_DECISION_ID] += check_has(m->ce_has_did,
		    m->ce_did);
		counts[INDEX_CLASS] += m->ce_class != 0;
		counts[INDEX_PRODUCER] += check_has(m->ce_has_producer,
		    m->ce_producer);
		for (k = 0; k < m->ce_nlabels; k++)
			counts[INDEX_LABEL] += check_is_declared(m->ce_lkey[k],
			    labels, nlabels);
	}
}

/* Reads the digest and counts of s, asserting success. */
static void
check_digest(struct store *s, uint8_t *d, uint64_t *counts)
{
	int rc;

	rc = store_index_digest(s, d, counts);
	ck_assert_msg(rc == 0, "store_index_digest: %s", store_strerror(rc));
}

/* Asserts that two count arrays are equal, naming the index. */
static void
check_counts_eq(const uint64_t *got, const uint64_t *want, const char *what)
{
	int k;

	for (k = 0; k < INDEX_NKINDS; k++)
		ck_assert_msg(got[k] == want[k], "seed %llu: %s: index %s has "
		    "%llu postings, want %llu",
		    (unsigned long long)check_seed_v, what,
		    index_kind_name((enum index_kind)k),
		    (unsigned long long)got[k], (unsigned long long)want[k]);
}

/* Reads the index info of s, asserting success. */
static void
check_info(struct store *s, struct index_info *ii)
{
	int rc;

	memset(ii, 0xa5, sizeof(*ii));
	rc = store_index_info(s, ii);
	ck_assert_msg(rc == 0, "store_index_info: %s", store_strerror(rc));
}

/* Asserts that ii declares exactly the n label keys, in any order. */
static void
check_info_labels(const struct index_info *ii, const char *const *labels,
    size_t n)
{
	size_t i, j;
	int found;

	ck_assert_uint_eq(ii->ii_nlabels, n);
	for (i = 0; i < n; i++) {
		found = 0;
		for (j = 0; j < ii->ii_nlabels; j++)
			if (strcmp(ii->ii_labels[j], labels[i]) == 0)
				found++;
		ck_assert_msg(found == 1, "label key %s declared %d times",
		    labels[i], found);
	}
}

/* Progress callback: records the calls in a check_progress. */
static void
check_progress_cb(uint64_t done, uint64_t total, void *arg)
{
	struct check_progress *cp = arg;
	struct index_info ii;

	memset(&ii, 0, sizeof(ii));
	if (cp->cp_calls == 0)
		cp->cp_total = total;
	else if (done <= cp->cp_last || total != cp->cp_total)
		cp->cp_disorder = 1;
	if (done > total)
		cp->cp_disorder = 1;
	cp->cp_calls++;
	cp->cp_last = done;
	if (cp->cp_store != NULL) {
		cp->cp_info_rc = store_index_info(cp->cp_store, &ii);
		cp->cp_info_from = ii.ii_from;
	}
}

/* Runs store_reindex() and asserts success. */
static void
check_reindex(struct store *s, unsigned bits, const char *const *labels,
    size_t nlabels, uint64_t batch, struct check_progress *cp)
{
	uint64_t bad = UINT64_MAX;
	int rc;

	rc = store_reindex(s, bits, labels, nlabels, batch,
	    cp != NULL ? check_progress_cb : NULL, cp, &bad);
	ck_assert_msg(rc == 0, "seed %llu: store_reindex bits %u: %s "
	    "(bad %llu)", (unsigned long long)check_seed_v, bits,
	    store_strerror(rc), (unsigned long long)bad);
}

/* A buffer of exactly INDEX_TERM_MAX bytes, so ASan sees overruns. */
static uint8_t *
check_termbuf(void)
{
	uint8_t *b;

	b = malloc(INDEX_TERM_MAX);
	ck_assert_ptr_nonnull(b);
	memset(b, 0xee, INDEX_TERM_MAX);
	return b;
}

/* A NUL-terminated string of n copies of c (caller frees). */
static char *
check_str(size_t n, char c)
{
	char *s;

	s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Asserts that the len bytes at got are want. */
static void
check_bytes(const uint8_t *got, size_t glen, const uint8_t *want,
    size_t wlen, const char *what)
{
	ck_assert_msg(glen == wlen, "%s: length %zu, want %zu", what, glen,
	    wlen);
	ck_assert_msg(memcmp(got, want, wlen) == 0, "%s: bytes differ", what);
}

START_TEST(test_term_string)
{
	static const uint8_t abc[] = { 0x00, 0x03, 'a', 'b', 'c' };
	uint8_t *b = check_termbuf();
	char *s;
	size_t n;

	n = index_term_string(b, "abc");
	check_bytes(b, n, abc, sizeof(abc), "\"abc\"");
	/* FORMAT.md: empty strings are not indexed (they are absent). */
	ck_assert_uint_eq(index_term_string(b, ""), 0);
	ck_assert_uint_eq(index_term_string(b, NULL), 0);

	/* The longest string field (a subject) fits. */
	s = check_str(RECORD_MAX_SUBJECT, 's');
	n = index_term_string(b, s);
	ck_assert_uint_eq(n, 2 + RECORD_MAX_SUBJECT);
	ck_assert_uint_eq(b[0], RECORD_MAX_SUBJECT >> 8);
	ck_assert_uint_eq(b[1], RECORD_MAX_SUBJECT & 0xff);
	ck_assert(memcmp(b + 2, s, RECORD_MAX_SUBJECT) == 0);
	free(s);

	/* Longer than any term: refused, the buffer not overrun. */
	s = check_str(INDEX_TERM_MAX - 1, 'x');
	ck_assert_uint_eq(index_term_string(b, s), 0);
	free(s);
	s = check_str(70000, 'x');
	ck_assert_uint_eq(index_term_string(b, s), 0);
	free(s);
	free(b);
}
END_TEST

START_TEST(test_term_version)
{
	static const uint8_t cv[] = { 0x00, 0x06, 'c', 'r', 'e', 'd', 'i',
	    't', 0x00, 0x03, '2', '.', '0' };
	static const uint8_t ae[] = { 0x00, 0x01, 'a', 0x00, 0x00 };
	uint8_t *b = check_termbuf();
	char *id, *ver;
	size_t n;

	n = index_term_version(b, "credit", "2.0");
	check_bytes(b, n, cv, sizeof(cv), "credit@2.0");
	n = index_term_version(b, "a", "");
	check_bytes(b, n, ae, sizeof(ae), "a@\"\"");
	/* Absent version = empty. */
	n = index_term_version(b, "a", NULL);
	check_bytes(b, n, ae, sizeof(ae), "a@NULL");
	ck_assert_uint_eq(index_term_version(b, NULL, "1"), 0);
	ck_assert_uint_eq(index_term_version(b, "", "1"), 0);

	id = check_str(RECORD_MAX_ID, 'i');
	ver = check_str(RECORD_MAX_VERSION, 'v');
	n = index_term_version(b, id, ver);
	ck_assert_uint_eq(n, 4 + RECORD_MAX_ID + RECORD_MAX_VERSION);
	ck_assert_uint_eq(b[0], 0);
	ck_assert_uint_eq(b[1], RECORD_MAX_ID);
	ck_assert(memcmp(b + 2, id, RECORD_MAX_ID) == 0);
	ck_assert_uint_eq(b[2 + RECORD_MAX_ID], 0);
	ck_assert_uint_eq(b[3 + RECORD_MAX_ID], RECORD_MAX_VERSION);
	ck_assert(memcmp(b + 4 + RECORD_MAX_ID, ver, RECORD_MAX_VERSION) == 0);
	free(id);
	free(ver);

	ver = check_str(INDEX_TERM_MAX, 'v');
	ck_assert_uint_eq(index_term_version(b, "a", ver), 0);
	free(ver);
	free(b);
}
END_TEST

START_TEST(test_term_time)
{
	static const struct {
		int64_t	 t;
		uint8_t	 b[8];
	} fix[] = {
		{ 0, { 0x80, 0, 0, 0, 0, 0, 0, 0 } },
		{ 1, { 0x80, 0, 0, 0, 0, 0, 0, 1 } },
		{ -1, { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ INT64_MIN, { 0, 0, 0, 0, 0, 0, 0, 0 } },
		{ INT64_MAX, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff } },
		{ 0x0102030405060708LL, { 0x81, 2, 3, 4, 5, 6, 7, 8 } },
	};
	/* Ascending. */
	static const int64_t order[] = {
		INT64_MIN, INT64_MIN + 1, -1000000000000000000LL, -65536,
		-256, -255, -1, 0, 1, 255, 256, 65536, CHECK_T0,
		CHECK_T0 + 1, INT64_MAX - 1, INT64_MAX,
	};
	uint8_t *b = check_termbuf();
	uint8_t t[sizeof(order) / sizeof(order[0])][8];
	size_t i, j, n;
	int c;

	for (i = 0; i < sizeof(fix) / sizeof(fix[0]); i++) {
		n = index_term_time(b, fix[i].t);
		check_bytes(b, n, fix[i].b, 8, "time");
		ck_assert_msg(index_term_time_decode(b) == fix[i].t,
		    "decode of %lld", (long long)fix[i].t);
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ck_assert_uint_eq(index_term_time(t[i], order[i]), 8);
		ck_assert(index_term_time_decode(t[i]) == order[i]);
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		for (j = 0; j < sizeof(order) / sizeof(order[0]); j++) {
			c = memcmp(t[i], t[j], 8);
			ck_assert_msg((i < j && c < 0) || (i == j && c == 0) ||
			    (i > j && c > 0), "memcmp order of %lld and %lld "
			    "is %d", (long long)order[i], (long long)order[j],
			    c);
		}
	free(b);
}
END_TEST

START_TEST(test_term_class)
{
	uint8_t *b = check_termbuf();
	int c;

	for (c = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	    c <= ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE; c++) {
		ck_assert_uint_eq(index_term_class(b, c), 1);
		ck_assert_uint_eq(b[0], (unsigned)c);
	}
	free(b);
}
END_TEST

START_TEST(test_term_label)
{
	static const uint8_t re[] = { 0x00, 0x06, 'r', 'e', 'g', 'i', 'o',
	    'n', 0x00, 0x02, 'e', 'u' };
	static const uint8_t ke[] = { 0x00, 0x01, 'k', 0x00, 0x00 };
	uint8_t *b = check_termbuf();
	char *k, *v;
	size_t n;

	n = index_term_label(b, "region", "eu");
	check_bytes(b, n, re, sizeof(re), "region=eu");
	n = index_term_label(b, "k", "");
	check_bytes(b, n, ke, sizeof(ke), "k=\"\"");
	/* FORMAT.md: an absent label value is empty. */
	n = index_term_label(b, "k", NULL);
	check_bytes(b, n, ke, sizeof(ke), "k=NULL");
	ck_assert_uint_eq(index_term_label(b, NULL, "v"), 0);
	ck_assert_uint_eq(index_term_label(b, "", "v"), 0);

	/* The longest label: INDEX_TERM_MAX covers it. */
	k = check_str(RECORD_MAX_NAME, 'k');
	v = check_str(RECORD_MAX_LABEL_VALUE, 'v');
	n = index_term_label(b, k, v);
	ck_assert_uint_eq(n, 4 + RECORD_MAX_NAME + RECORD_MAX_LABEL_VALUE);
	ck_assert_uint_le(n, INDEX_TERM_MAX);
	ck_assert_uint_eq(b[0], 0);
	ck_assert_uint_eq(b[1], RECORD_MAX_NAME);
	ck_assert(memcmp(b + 2, k, RECORD_MAX_NAME) == 0);
	ck_assert_uint_eq(b[2 + RECORD_MAX_NAME], RECORD_MAX_LABEL_VALUE >> 8);
	ck_assert_uint_eq(b[3 + RECORD_MAX_NAME],
	    RECORD_MAX_LABEL_VALUE & 0xff);
	ck_assert(memcmp(b + 4 + RECORD_MAX_NAME, v,
	    RECORD_MAX_LABEL_VALUE) == 0);
	free(k);
	free(v);

	v = check_str(INDEX_TERM_MAX, 'v');
	ck_assert_uint_eq(index_term_label(b, "k", v), 0);
	free(v);
	free(b);
}
END_TEST

/*
 * index.h: 0 when "the term would be longer than INDEX_TERM_MAX"; the
 * field limits of record.h are not the encoders' business (a value
 * longer than they allow finds nothing). The boundary, for each form.
 */
START_TEST(test_term_max)
{
	uint8_t *b = check_termbuf();
	char *s;

	/* u16 len || bytes */
	s = check_str(INDEX_TERM_MAX - 2, 's');
	ck_assert_uint_eq(index_term_string(b, s), INDEX_TERM_MAX);
	ck_assert_uint_eq(b[0], (INDEX_TERM_MAX - 2) >> 8);
	ck_assert_uint_eq(b[1], (INDEX_TERM_MAX - 2) & 0xff);
	free(s);
	s = check_str(INDEX_TERM_MAX - 1, 's');
	ck_assert_uint_eq(index_term_string(b, s), 0);
	free(s);
	s = check_str(RECORD_MAX_ID + 1, 'i');
	ck_assert_uint_eq(index_term_string(b, s), 2 + RECORD_MAX_ID + 1);
	ck_assert_uint_eq(index_term_version(b, s, "1"),
	    4 + RECORD_MAX_ID + 1 + 1);
	free(s);

	/* u16 len || id || u16 len || version */
	s = check_str(INDEX_TERM_MAX - 4 - 1, 'v');
	ck_assert_uint_eq(index_term_version(b, "a", s), INDEX_TERM_MAX);
	free(s);
	s = check_str(INDEX_TERM_MAX - 4, 'v');
	ck_assert_uint_eq(index_term_version(b, "a", s), 0);
	ck_assert_uint_eq(index_term_label(b, "k", s), 0);
	free(s);

	/* u16 len || key || u16 len || value */
	s = check_str(INDEX_TERM_MAX - 4 - 1, 'v');
	ck_assert_uint_eq(index_term_label(b, "k", s), INDEX_TERM_MAX);
	ck_assert_uint_eq(b[0], 0);
	ck_assert_uint_eq(b[1], 1);
	ck_assert_uint_eq(b[2], 'k');
	ck_assert_uint_eq(b[3], (INDEX_TERM_MAX - 5) >> 8);
	ck_assert_uint_eq(b[4], (INDEX_TERM_MAX - 5) & 0xff);
	free(s);
	s = check_str(INDEX_TERM_MAX - 4, 'k');
	ck_assert_uint_eq(index_term_label(b, s, ""), INDEX_TERM_MAX);
	free(s);
	s = check_str(INDEX_TERM_MAX - 3, 'k');
	ck_assert_uint_eq(index_term_label(b, s, ""), 0);
	free(s);
	free(b);
}
END_TEST

START_TEST(test_kind_name)
{
	const char *a, *b;
	int i, j;

	ck_assert_str_eq(index_kind_name(INDEX_ALGORITHM), "algorithm");
	ck_assert_str_eq(index_kind_name(INDEX_VERSION), "version");
	for (i = 0; i < INDEX_NKINDS; i++) {
		a = index_kind_name((enum index_kind)i);
		ck_assert_ptr_nonnull(a);
		ck_assert_uint_gt(strlen(a), 0);
		for (j = 0; j < i; j++) {
			b = index_kind_name((enum index_kind)j);
			ck_assert_msg(strcmp(a, b) != 0, "kinds %d and %d "
			    "are both \"%s\"", i, j, a);
		}
	}
	ck_assert_ptr_null(index_kind_name(INDEX_NKINDS));
	ck_assert_ptr_null(index_kind_name((enum index_kind)(INDEX_NKINDS +
	    100)));
}
END_TEST

START_TEST(test_info_new)
{
	struct store *s;
	struct index_info ii;
	uint8_t d[32];
	uint64_t counts[INDEX_NKINDS], zero[INDEX_NKINDS];

	s = check_create("s");
	check_info(s, &ii);
	ck_assert_int_eq(ii.ii_present, 1);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_DEFAULT);
	ck_assert_uint_eq(ii.ii_from, 0);
	ck_assert_uint_eq(ii.ii_nlabels, 0);
	memset(zero, 0, sizeof(zero));
	check_digest(s, d, counts);
	check_counts_eq(counts, zero, "new store");
	ck_assert_int_eq(store_index_digest(s, d, NULL), 0);
	store_close(s);

	/* The same, read back by a reader. */
	s = check_reader("s");
	check_info(s, &ii);
	ck_assert_int_eq(ii.ii_present, 1);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_DEFAULT);
	ck_assert_uint_eq(ii.ii_from, 0);
	ck_assert_uint_eq(ii.ii_nlabels, 0);
	store_close(s);
}
END_TEST

START_TEST(test_add_live)
{
	struct check_ent *ents;
	struct store *s;
	uint64_t n = check_scale(1200);
	uint64_t counts[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t d1[32], d2[32];

	ents = check_gen_all(check_seed_v, n);
	s = check_create("s");
	check_write(s, ents, 0, n, 50, 1);
	check_digest(s, d1, counts);
	check_expect_counts(ents, n, NULL, 0, want);
	check_counts_eq(counts, want, "live, default layout");
	store_close(s);

	/* Committed: a reader sees the same. */
	s = check_reader("s");
	check_digest(s, d2, counts);
	check_counts_eq(counts, want, "reader");
	ck_assert(memcmp(d1, d2, sizeof(d1)) == 0);
	store_close(s);
	free(ents);
}
END_TEST

/*
 * The digest does not depend on how the entries were committed: one
 * per commit, a commit of all (a frequent term then has more than
 * INDEX_CHUNK_MAX postings in one commit), reindexes in batches of 7
 * and of everything.
 */
START_TEST(test_add_chunking)
{
	struct check_ent *ents;
	struct store *a, *b;
	uint64_t n = check_scale(1200), done, cnt, st;
	uint64_t ca[INDEX_NKINDS], cb[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t da[32], db[32];

	ents = check_gen_all(check_seed_v, n);
	check_expect_counts(ents, n, NULL, 0, want);
	ck_assert_uint_gt(want[INDEX_CLASS], INDEX_CHUNK_MAX);

	a = check_create("small");
	check_write(a, ents, 0, 100, 1, 1);
	st = check_seed_v;
	for (done = 100; done < n; done += cnt) {
		cnt = 1 + check_below(&st, 40);
		if (cnt > n - done)
			cnt = n - done;
		check_write(a, ents, done, cnt, cnt, 1);
	}
	check_digest(a, da, ca);
	check_counts_eq(ca, want, "small commits");

	b = check_create("big");
	check_write(b, ents, 0, n, n, 1);
	check_digest(b, db, cb);
	check_counts_eq(cb, want, "one commit");
	ck_assert_msg(memcmp(da, db, sizeof(da)) == 0, "seed %llu: one "
	    "commit and small commits give different digests",
	    (unsigned long long)check_seed_v);

	check_reindex(b, 0, NULL, 0, 7, NULL);
	check_digest(b, db, cb);
	check_counts_eq(cb, want, "reindexed by 7");
	ck_assert(memcmp(da, db, sizeof(da)) == 0);
	check_reindex(b, 0, NULL, 0, 0, NULL);
	check_digest(b, db, cb);
	ck_assert(memcmp(da, db, sizeof(da)) == 0);
	store_close(a);
	store_close(b);
	free(ents);
}
END_TEST

START_TEST(test_add_misuse)
{
	struct check_ent *ents;
	struct check_msg cm0, cm1;
	struct store *s;
	uint64_t counts[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t d[32];

	ents = check_gen_all(check_seed_v, 2);
	check_msg_fill(&cm0, &ents[0], 0);
	check_msg_fill(&cm1, &ents[1], 1);
	s = check_create("s");

	ck_assert_int_eq(store_index_add(s, 0, &cm0.cm_e), STORE_ETXN);
	ck_assert_int_eq(store_begin(s), 0);
	/* Nothing appended yet: no index is the last appended. */
	ck_assert_int_eq(store_index_add(s, 0, &cm0.cm_e), EINVAL);
	ck_assert_int_eq(check_put(s, &ents[0], 0, 0), 0);
	ck_assert_int_eq(store_index_add(s, 0, NULL), EINVAL);
	ck_assert_int_eq(store_index_add(s, 1, &cm0.cm_e), EINVAL);
	ck_assert_int_eq(store_index_add(s, UINT64_MAX, &cm0.cm_e), EINVAL);
	/* The transaction stayed open. */
	ck_assert_int_eq(store_index_add(s, 0, &cm0.cm_e), 0);
	ck_assert_int_eq(check_put(s, &ents[1], 1, 0), 0);
	ck_assert_int_eq(store_index_add(s, 0, &cm0.cm_e), EINVAL);
	ck_assert_int_eq(store_index_add(s, 2, &cm1.cm_e), EINVAL);
	ck_assert_int_eq(store_index_add(s, 1, &cm1.cm_e), 0);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_index_add(s, 1, &cm1.cm_e), STORE_ETXN);

	check_digest(s, d, counts);
	check_expect_counts(ents, 2, NULL, 0, want);
	check_counts_eq(counts, want, "after the misuse");
	store_close(s);
	free(ents);
}
END_TEST

/* Pushes the event times of ents[0 .. n) to the extremes. */
static void
check_extreme_times(struct check_ent *ents, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		ents[i].ce_has_time = 1;
		ents[i].ce_time = i % 2 == 0 ? INT64_MIN + 5 : INT64_MAX - 5;
	}
}

START_TEST(test_add_abort)
{
	struct check_ent *ents, *junk;
	struct store *s;
	uint64_t n = check_scale(600), i;
	uint64_t c0[INDEX_NKINDS], c1[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t d0[32], d1[32], d2[32];

	ents = check_gen_all(check_seed_v, n + 20);
	junk = check_gen_all(check_seed_v ^ 0x5555, 20);
	/* Distinct terms and extreme times: any leak shows. */
	check_extreme_times(junk, 20);
	for (i = 0; i < 20; i++) {
		snprintf(junk[i].ce_subject, CHECK_STR, "junk-%llu",
		    (unsigned long long)i);
		junk[i].ce_has_subject = 1;
	}
	s = check_create("s");
	check_write(s, ents, 0, n, 50, 1);
	check_digest(s, d0, c0);

	/* Aborted. */
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(check_put(s, &junk[i], n + i, 1), 0);
	store_abort(s);
	ck_assert_uint_eq(store_next_index(s), n);
	check_digest(s, d1, c1);
	ck_assert(memcmp(d0, d1, sizeof(d0)) == 0);
	check_counts_eq(c1, c0, "after abort");

	/* A failed commit. */
	store_set_fault(s, 1, 0);
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(check_put(s, &junk[i], n + i, 1), 0);
	ck_assert_int_eq(store_commit(s), STORE_EFAULT);
	ck_assert_uint_eq(store_next_index(s), n);
	check_digest(s, d1, c1);
	ck_assert(memcmp(d0, d1, sizeof(d0)) == 0);
	check_counts_eq(c1, c0, "after a failed commit");

	/* The real entries; nothing of the junk (terms, zones) remains. */
	check_write(s, ents, n, 20, 20, 1);
	check_digest(s, d1, c1);
	check_expect_counts(ents, n + 20, NULL, 0, want);
	check_counts_eq(c1, want, "after the redo");
	check_reindex(s, 0, NULL, 0, 0, NULL);
	check_digest(s, d2, c0);
	ck_assert_msg(memcmp(d1, d2, sizeof(d1)) == 0, "seed %llu: live "
	    "digest after abort and failed commit differs from reindex",
	    (unsigned long long)check_seed_v);
	check_counts_eq(c0, want, "reindexed");
	store_close(s);
	free(ents);
	free(junk);
}
END_TEST

START_TEST(test_add_mapfull)
{
	struct check_ent *ents;
	struct store *s;
	uint64_t n = check_scale(2000);
	uint64_t c1[INDEX_NKINDS], c2[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t d1[32], d2[32];
	unsigned retries;

	ck_assert_int_eq(setenv("ALGAUDIT_STORE_MAPSIZE", "65536", 1), 0);
	ents = check_gen_all(check_seed_v, n);
	s = check_create("s");
	/* Small big blocks: retried transactions merge some. */
	check_reindex(s, INDEX_BITS_MIN, NULL, 0, 0, NULL);
	retries = check_write(s, ents, 0, n, 100, 1);
	ck_assert_uint_gt(retries, 0);
	check_digest(s, d1, c1);
	check_expect_counts(ents, n, NULL, 0, want);
	check_counts_eq(c1, want, "live with map growth");
	check_reindex(s, 0, NULL, 0, 0, NULL);
	check_digest(s, d2, c2);
	ck_assert_msg(memcmp(d1, d2, sizeof(d1)) == 0, "seed %llu: live "
	    "digest with retried transactions differs from reindex",
	    (unsigned long long)check_seed_v);
	check_counts_eq(c2, want, "reindexed");
	store_close(s);
	free(ents);
}
END_TEST

/*
 * A reindex of s (same layout and labels) must not change its digest;
 * the counts must be want. what names the situation.
 */
static void
check_same_as_reindex(struct store *s, const uint64_t *want,
    const char *what)
{
	uint64_t c1[INDEX_NKINDS], c2[INDEX_NKINDS];
	uint8_t d1[32], d2[32];

	check_digest(s, d1, c1);
	check_counts_eq(c1, want, what);
	check_reindex(s, 0, NULL, 0, 0, NULL);
	check_digest(s, d2, c2);
	check_counts_eq(c2, want, what);
	ck_assert_msg(memcmp(d1, d2, sizeof(d1)) == 0, "seed %llu: %s: the "
	    "live digest differs from the reindexed one",
	    (unsigned long long)check_seed_v, what);
}

/*
 * Bits 8 (big blocks of 256): a transaction that crosses into a new
 * big block merges the finished one; aborted, failed at the commit, or
 * retried, it must leave no trace (postings, zones, merge count).
 */
START_TEST(test_add_abort_merge)
{
	struct check_ent *ents, *junk;
	struct index_info ii;
	struct store *s;
	uint64_t n = 500, i, merged;
	uint64_t c0[INDEX_NKINDS], c1[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t d0[32], d1[32];

	ents = check_gen_all(check_seed_v, n + 40);
	junk = check_gen_all(check_seed_v ^ 0x7777, 40);
	check_extreme_times(junk, 40);
	for (i = 0; i < 40; i++) {
		snprintf(junk[i].ce_subject, CHECK_STR, "junk-%llu",
		    (unsigned long long)i);
		junk[i].ce_has_subject = 1;
	}
	s = check_create("s");
	check_reindex(s, INDEX_BITS_MIN, check_declared, 2, 0, NULL);
	check_write(s, ents, 0, n, 50, 1);
	check_digest(s, d0, c0);
	check_info(s, &ii);
	merged = ii.ii_merged;
	ck_assert_uint_eq(merged, (n - 1) >> INDEX_BITS_MIN);

	/* Entries 500 to 539: into big block 2, so block 1 merges. */
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(check_put(s, &junk[i], n + i, 1), 0);
	store_abort(s);
	check_digest(s, d1, c1);
	ck_assert(memcmp(d0, d1, sizeof(d0)) == 0);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_merged, merged);

	store_set_fault(s, 1, 0);
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(check_put(s, &junk[i], n + i, 1), 0);
	ck_assert_int_eq(store_commit(s), STORE_EFAULT);
	check_digest(s, d1, c1);
	ck_assert(memcmp(d0, d1, sizeof(d0)) == 0);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_merged, merged);

	check_write(s, ents, n, 40, 40, 1);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_merged, (n + 40 - 1) >> INDEX_BITS_MIN);
	check_expect_counts(ents, n + 40, check_declared, 2, want);
	check_same_as_reindex(s, want, "after abort and failure at a merge");
	store_close(s);
	free(ents);
	free(junk);
}
END_TEST

/*
 * The writer's state survives a reopen: entries written in several
 * sessions (each crossing big blocks at bits 8, or none at bits 16)
 * index as if written in one.
 */
START_TEST(test_add_reopen)
{
	static const unsigned bits[] = { INDEX_BITS_MIN, INDEX_BITS_DEFAULT };
	struct check_ent *ents;
	struct store *s;
	uint64_t n = check_scale(1200), done, cnt, st;
	uint64_t want[INDEX_NKINDS];
	char name[32];
	size_t b;

	ents = check_gen_all(check_seed_v, n);
	for (b = 0; b < 2; b++) {
		snprintf(name, sizeof(name), "s%u", bits[b]);
		s = check_create(name);
		check_reindex(s, bits[b], check_declared, 2, 0, NULL);
		st = check_seed_v + b;
		for (done = 0; done < n; done += cnt) {
			cnt = 1 + check_below(&st, 300);
			if (cnt > n - done)
				cnt = n - done;
			check_write(s, ents, done, cnt, 1 + check_below(&st,
			    120), 1);
			store_close(s);
			s = check_create(name);
		}
		check_expect_counts(ents, n, check_declared, 2, want);
		check_same_as_reindex(s, want, name);
		store_close(s);
	}
	free(ents);
}
END_TEST

/*
 * Live indexing goes on after a reindex that changed the layout: the
 * writer follows the new one.
 */
START_TEST(test_add_after_reindex)
{
	static const char *const tier[] = { "tier" };
	struct check_ent *ents;
	struct index_info ii;
	struct store *s;
	uint64_t n = check_scale(1200), half;
	uint64_t want[INDEX_NKINDS];

	ents = check_gen_all(check_seed_v, n);
	half = n / 2 + 7;
	s = check_create("s");
	check_write(s, ents, 0, half, 100, 1);
	check_reindex(s, INDEX_BITS_MIN, tier, 1, 0, NULL);
	check_write(s, ents, half, n - half, 90, 1);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_MIN);
	ck_assert_uint_eq(ii.ii_merged, (n - 1) >> INDEX_BITS_MIN);
	check_expect_counts(ents, n, tier, 1, want);
	check_same_as_reindex(s, want, "bits 16 then 8");
	store_close(s);

	/* And back to the default (labels kept), live after a reopen. */
	s = check_create("s");
	check_reindex(s, INDEX_BITS_DEFAULT, NULL, 0, 0, NULL);
	store_close(s);
	free(ents);
	ents = check_gen_all(check_seed_v, n + 300);
	s = check_create("s");
	check_write(s, ents, n, 300, 64, 1);
	check_expect_counts(ents, n + 300, tier, 1, want);
	check_same_as_reindex(s, want, "bits 8 then 16");
	store_close(s);
	free(ents);
}
END_TEST

/*
 * The same entries indexed live in a store whose layout and labels
 * were set on the empty store, and appended plainly then reindexed in
 * another store: same digest, same counts, the expected counts. The
 * live store reindexed in place keeps its digest, which is copied to
 * digest (32 bytes).
 */
static void
check_layout(unsigned bits, const char *const *labels, size_t nlabels,
    uint8_t *digest)
{
	struct check_progress cp;
	struct check_ent *ents;
	struct index_info ii;
	struct store *a, *b;
	uint64_t n = check_scale(1000);
	uint64_t ca[INDEX_NKINDS], cb[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t da[32], db[32];
	char na[64], nb[64];

	snprintf(na, sizeof(na), "live-%u-%zu", bits, nlabels);
	snprintf(nb, sizeof(nb), "re-%u-%zu", bits, nlabels);
	ents = check_gen_all(check_seed_v, n);
	check_expect_counts(ents, n, labels, nlabels, want);

	a = check_create(na);
	check_reindex(a, bits, labels, nlabels, 0, NULL);
	check_info(a, &ii);
	ck_assert_int_eq(ii.ii_present, 1);
	ck_assert_uint_eq(ii.ii_bits, bits);
	ck_assert_uint_eq(ii.ii_from, 0);
	check_info_labels(&ii, labels, nlabels);
	check_write(a, ents, 0, n, 64, 1);
	check_digest(a, da, ca);
	check_counts_eq(ca, want, na);
	/* Moving into a new big block merges the finished one. */
	check_info(a, &ii);
	ck_assert_uint_eq(ii.ii_merged, bits == INDEX_BITS_PLAIN ? 0 :
	    (n - 1) >> bits);

	b = check_create(nb);
	check_write(b, ents, 0, n, 64, 0);
	memset(&cp, 0, sizeof(cp));
	check_reindex(b, bits, labels, nlabels, 97, &cp);
	ck_assert(!cp.cp_disorder);
	ck_assert_uint_eq(cp.cp_total, n);
	ck_assert_uint_eq(cp.cp_last, n);
	ck_assert_uint_ge(cp.cp_calls, (n + 96) / 97);
	check_digest(b, db, cb);
	check_counts_eq(cb, want, nb);
	ck_assert_msg(memcmp(da, db, sizeof(da)) == 0, "seed %llu: bits %u, "
	    "%zu labels: live and reindexed digests differ",
	    (unsigned long long)check_seed_v, bits, nlabels);
	check_info(b, &ii);
	ck_assert_uint_eq(ii.ii_bits, bits);
	ck_assert_uint_eq(ii.ii_from, 0);
	ck_assert_uint_eq(ii.ii_merged, bits == INDEX_BITS_PLAIN ? 0 :
	    (n - 1) >> bits);
	check_info_labels(&ii, labels, nlabels);

	/* In place, keeping layout and labels. */
	check_reindex(a, 0, NULL, 0, 0, NULL);
	check_digest(a, db, cb);
	check_counts_eq(cb, want, "reindexed in place");
	ck_assert(memcmp(da, db, sizeof(da)) == 0);
	check_info(a, &ii);
	ck_assert_uint_eq(ii.ii_bits, bits);
	check_info_labels(&ii, labels, nlabels);

	memcpy(digest, da, sizeof(da));
	store_close(a);
	store_close(b);
	free(ents);
}

START_TEST(test_reindex_layouts)
{
	static const unsigned bits[] = { INDEX_BITS_MIN, INDEX_BITS_DEFAULT,
	    INDEX_BITS_PLAIN };
	uint8_t d[3][32];
	size_t i;

	for (i = 0; i < 3; i++)
		check_layout(bits[i], NULL, 0, d[i]);
	/* More than 256 entries: blocks of 256 give other keys. */
	ck_assert(memcmp(d[0], d[1], 32) != 0);
}
END_TEST

START_TEST(test_reindex_layouts_labels)
{
	static const unsigned bits[] = { INDEX_BITS_MIN, INDEX_BITS_DEFAULT,
	    INDEX_BITS_PLAIN };
	uint8_t d[32];
	size_t i;

	for (i = 0; i < 3; i++)
		check_layout(bits[i], check_declared, 2, d);
}
END_TEST

START_TEST(test_reindex_relayout)
{
	struct check_ent *ents;
	struct index_info ii;
	struct store *s;
	uint64_t n = check_scale(900);
	uint64_t c[INDEX_NKINDS], want[INDEX_NKINDS];
	uint8_t d16[32], d8[32], d[32];
	static const char *const one[] = { "tier" };

	ents = check_gen_all(check_seed_v, n);
	s = check_create("s");
	check_write(s, ents, 0, n, 100, 1);
	check_digest(s, d16, c);

	check_reindex(s, INDEX_BITS_MIN, NULL, 0, 0, NULL);
	check_digest(s, d8, c);
	ck_assert(memcmp(d16, d8, 32) != 0);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_MIN);

	/* Labels declared, then dropped with an empty list. */
	check_reindex(s, 0, one, 1, 0, NULL);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_MIN);
	check_info_labels(&ii, one, 1);
	check_digest(s, d, c);
	check_expect_counts(ents, n, one, 1, want);
	check_counts_eq(c, want, "tier declared");
	ck_assert_uint_gt(c[INDEX_LABEL], 0);
	check_reindex(s, 0, one, 0, 0, NULL);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_nlabels, 0);
	check_digest(s, d, c);
	ck_assert(memcmp(d, d8, 32) == 0);

	/* Back to the default layout: the live digest again. */
	check_reindex(s, INDEX_BITS_DEFAULT, NULL, 0, 0, NULL);
	check_digest(s, d, c);
	ck_assert(memcmp(d, d16, 32) == 0);
	store_close(s);

	/* The layout and labels are committed state. */
	s = check_create("s");
	check_reindex(s, INDEX_BITS_MIN, one, 1, 0, NULL);
	store_close(s);
	s = check_reader("s");
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_MIN);
	ck_assert_uint_eq(ii.ii_from, 0);
	check_info_labels(&ii, one, 1);
	store_close(s);
	free(ents);
}
END_TEST

START_TEST(test_reindex_progress)
{
	struct check_progress cp;
	struct check_ent *ents;
	struct store *s;
	uint64_t n = check_scale(1000);

	ents = check_gen_all(check_seed_v, n);
	s = check_create("s");
	check_write(s, ents, 0, n, 250, 0);

	memset(&cp, 0, sizeof(cp));
	cp.cp_store = s;
	check_reindex(s, 0, NULL, 0, 100, &cp);
	ck_assert_msg(!cp.cp_disorder, "progress counts not increasing or "
	    "total changed");
	ck_assert_uint_ge(cp.cp_calls, (n + 99) / 100);
	ck_assert_uint_eq(cp.cp_total, n);
	ck_assert_uint_eq(cp.cp_last, n);
	/* Between commits, queries must see a half-built index. */
	ck_assert_int_eq(cp.cp_info_rc, 0);
	ck_assert_msg(cp.cp_info_from == UINT64_MAX, "ii_from during the "
	    "reindex is %llu, want UINT64_MAX",
	    (unsigned long long)cp.cp_info_from);

	/* The default batch: one call at least, ending at the total. */
	memset(&cp, 0, sizeof(cp));
	check_reindex(s, 0, NULL, 0, 0, &cp);
	ck_assert(!cp.cp_disorder);
	ck_assert_uint_ge(cp.cp_calls, 1);
	ck_assert_uint_eq(cp.cp_last, n);
	ck_assert_uint_eq(cp.cp_total, n);
	store_close(s);
	free(ents);
}
END_TEST

START_TEST(test_reindex_empty)
{
	struct check_progress cp;
	struct index_info ii;
	struct store *s;
	uint64_t c[INDEX_NKINDS], zero[INDEX_NKINDS];
	uint8_t d[32];

	s = check_create("s");
	memset(&cp, 0, sizeof(cp));
	check_reindex(s, 0, NULL, 0, 0, &cp);
	ck_assert(!cp.cp_disorder);
	ck_assert_uint_eq(cp.cp_last, 0);
	check_info(s, &ii);
	ck_assert_int_eq(ii.ii_present, 1);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_DEFAULT);
	ck_assert_uint_eq(ii.ii_from, 0);
	check_digest(s, d, c);
	memset(zero, 0, sizeof(zero));
	check_counts_eq(c, zero, "empty reindexed");
	store_close(s);
}
END_TEST

/* Asserts that store_reindex() with these arguments fails with want. */
static void
check_reindex_fails(struct store *s, unsigned bits,
    const char *const *labels, size_t nlabels, int want, const char *what)
{
	int rc;

	rc = store_reindex(s, bits, labels, nlabels, 0, NULL, NULL, NULL);
	ck_assert_msg(rc == want, "%s: got %s, want %s", what,
	    store_strerror(rc), store_strerror(want));
}

START_TEST(test_reindex_bad_args)
{
	const char *labels[INDEX_LABELS_MAX + 1];
	char names[INDEX_LABELS_MAX + 1][16];
	struct check_ent *ents;
	struct index_info ii;
	struct store *s;
	uint64_t n = 300, c0[INDEX_NKINDS], c1[INDEX_NKINDS];
	uint8_t d0[32], d1[32];
	const char *one[1];
	char *longkey, *maxkey;
	size_t i;

	ents = check_gen_all(check_seed_v, n);
	s = check_create("s");
	check_reindex(s, INDEX_BITS_MIN, check_declared, 2, 0, NULL);
	check_write(s, ents, 0, n, 100, 1);
	check_digest(s, d0, c0);

	for (i = 0; i <= INDEX_LABELS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "key%zu", i);
		labels[i] = names[i];
	}
	longkey = check_str(RECORD_MAX_NAME + 1, 'k');
	check_reindex_fails(s, INDEX_BITS_MIN - 1, NULL, 0, EINVAL, "bits 7");
	check_reindex_fails(s, INDEX_BITS_PLAIN + 1, NULL, 0, EINVAL,
	    "bits 64");
	check_reindex_fails(s, 1000, NULL, 0, EINVAL, "bits 1000");
	one[0] = "";
	check_reindex_fails(s, 0, one, 1, EINVAL, "empty label key");
	one[0] = longkey;
	check_reindex_fails(s, 0, one, 1, EINVAL, "129-byte label key");
	check_reindex_fails(s, 0, labels, INDEX_LABELS_MAX + 1, EINVAL,
	    "33 label keys");
	one[0] = "x";
	ck_assert_int_eq(store_begin(s), 0);
	check_reindex_fails(s, 0, one, 1, STORE_ETXN, "transaction open");
	store_abort(s);

	/* None of them touched the store. */
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_MIN);
	ck_assert_uint_eq(ii.ii_from, 0);
	check_info_labels(&ii, check_declared, 2);
	check_digest(s, d1, c1);
	ck_assert(memcmp(d0, d1, sizeof(d0)) == 0);
	check_counts_eq(c1, c0, "after the refusals");

	/* The limits themselves are fine. */
	maxkey = check_str(RECORD_MAX_NAME, 'k');
	one[0] = maxkey;
	check_reindex(s, INDEX_BITS_PLAIN, one, 1, 0, NULL);
	free(maxkey);
	check_reindex(s, INDEX_BITS_MIN, labels, INDEX_LABELS_MAX, 0, NULL);
	check_info(s, &ii);
	check_info_labels(&ii, labels, INDEX_LABELS_MAX);
	store_close(s);

	/* A reader's handle cannot reindex. */
	s = check_reader("s");
	check_reindex_fails(s, 0, NULL, 0, STORE_ETXN, "reader handle");
	store_close(s);
	free(longkey);
	free(ents);
}
END_TEST

START_TEST(test_reindex_corrupt)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff };
	struct check_ent *ents;
	struct store *s;
	uint64_t i, bad = 0;
	int rc;

	ents = check_gen_all(check_seed_v, 10);
	s = check_create("s");
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 10; i++) {
		if (i == 5)
			ck_assert_int_eq(store_append(s, garbage,
			    sizeof(garbage), NULL), 0);
		else
			ck_assert_int_eq(check_put(s, &ents[i], i, 1), 0);
	}
	ck_assert_int_eq(store_commit(s), 0);
	rc = store_reindex(s, 0, NULL, 0, 0, NULL, NULL, &bad);
	ck_assert_msg(rc == STORE_ECORRUPT, "got %s", store_strerror(rc));
	ck_assert_uint_eq(bad, 5);
	rc = store_reindex(s, 0, NULL, 0, 3, NULL, NULL, NULL);
	ck_assert_msg(rc == STORE_ECORRUPT, "got %s", store_strerror(rc));
	store_close(s);
	free(ents);
}
END_TEST

/* Progress callback of the child: dies after the first commit. */
static void
check_die_cb(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	_exit(done > 0 && done < total ? 3 : 4);
}

START_TEST(test_reindex_interrupted)
{
	struct check_ent *ents;
	struct index_info ii;
	struct store *s;
	uint64_t n = check_scale(800);
	uint64_t c1[INDEX_NKINDS], c2[INDEX_NKINDS];
	uint8_t d1[32], d2[32];
	char dir[1024];
	pid_t pid;
	int status;

	ents = check_gen_all(check_seed_v, n);
	s = check_create("s");
	check_reindex(s, INDEX_BITS_MIN, check_declared, 2, 0, NULL);
	check_write(s, ents, 0, n, 100, 1);
	check_digest(s, d1, c1);
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

	s = check_reader("s");
	check_info(s, &ii);
	ck_assert_int_eq(ii.ii_present, 1);
	ck_assert_msg(ii.ii_from == UINT64_MAX, "ii_from %llu after an "
	    "interrupted reindex", (unsigned long long)ii.ii_from);
	store_close(s);

	/* Run again: complete, the live contents back. */
	s = check_create("s");
	check_reindex(s, 0, NULL, 0, 0, NULL);
	check_info(s, &ii);
	ck_assert_uint_eq(ii.ii_from, 0);
	ck_assert_uint_eq(ii.ii_bits, INDEX_BITS_MIN);
	check_info_labels(&ii, check_declared, 2);
	check_digest(s, d2, c2);
	ck_assert(memcmp(d1, d2, sizeof(d1)) == 0);
	check_counts_eq(c2, c1, "reindexed after the interruption");
	store_close(s);
	free(ents);
}
END_TEST

/* The suite. */
static Suite *
check_store_index_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("store_index");
	tc = tcase_create("term");
	tcase_add_test(tc, test_term_string);
	tcase_add_test(tc, test_term_version);
	tcase_add_test(tc, test_term_time);
	tcase_add_test(tc, test_term_class);
	tcase_add_test(tc, test_term_label);
	tcase_add_test(tc, test_term_max);
	tcase_add_test(tc, test_kind_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("add");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_info_new);
	tcase_add_test(tc, test_add_live);
	tcase_add_test(tc, test_add_chunking);
	tcase_add_test(tc, test_add_misuse);
	tcase_add_test(tc, test_add_abort);
	tcase_add_test(tc, test_add_abort_merge);
	tcase_add_test(tc, test_add_reopen);
	tcase_add_test(tc, test_add_after_reindex);
	tcase_add_test(tc, test_add_mapfull);
	suite_add_tcase(s, tc);

	tc = tcase_create("reindex");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reindex_layouts);
	tcase_add_test(tc, test_reindex_layouts_labels);
	tcase_add_test(tc, test_reindex_relayout);
	tcase_add_test(tc, test_reindex_progress);
	tcase_add_test(tc, test_reindex_empty);
	tcase_add_test(tc, test_reindex_bad_args);
	tcase_add_test(tc, test_reindex_corrupt);
	tcase_add_test(tc, test_reindex_interrupted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_store_index_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
