/* SPDX-License-Identifier: ISC */
/*
 * bench_query.c: the query engine's benchmark (issue 5). Everything goes
 * through store.h, index.h and query.h in this process, except the
 * memory test, which runs the `algaudit query` command.
 *
 * 1. Ingest, each run on a fresh store under a temporary directory:
 *    (a) entries only (store_append), (b) entries and every index in the
 *    block layout (store_index_add, INDEX_BITS_DEFAULT or -b), (c) the
 *    same in the plain layout (INDEX_BITS_PLAIN), C records per durable
 *    commit. The comparison runs M records each: (c) once, capped in
 *    time (it slows down as its trees grow), then (a) and (b)
 *    alternating, twice each, best of each (the machine is shared and
 *    fsync times wander); a capped (c) is compared with (b) over as
 *    many records. Then (b) builds the N-record store the queries use,
 *    with a progress line every tenth. The layout and the indexable
 *    label keys (channel, region) are set by store_reindex() on the
 *    empty store. No Merkle tree: store_tree_append is left out
 *    (bench_store -t measures it). Rates count store time (begin,
 *    appends, index adds, commit); generating and packing the records
 *    is outside, reported apart, as are the bytes written (wchar).
 * 2. Queries on the N-record store, opened read-only as a tool would:
 *    the first page (query_open and up to 100 query_next, in a fresh
 *    view) by subject, algorithm, algorithm and one day, trace id, and
 *    algorithm, decision and one day; query_count over one day of one
 *    algorithm, and over all of one algorithm. R keys drawn at random
 *    per query; each key runs three times: the first run is reported
 *    apart ("first run", pages not yet touched by this process), the
 *    third is the warm figure; median and p90 over the R keys.
 * 3. Peak RSS of `algaudit query --algorithm X --format jsonl` with
 *    --limit 100, 10000, 100000 and none, read from wait4() (ru_maxrss)
 *    with RssAnon sampled from /proc while it runs (ru_maxrss counts the
 *    store's mapped pages the command touched, RssAnon only its own
 *    memory). The children are forked by a helper process forked before
 *    this one grows: Linux hands a child the forking process's resident
 *    size as its starting maximum, which would swamp the figure. If the
 *    command does not take --algorithm, the same query runs through the
 *    API in such a child instead, and the output says so.
 *
 * The data: event times over 30 days from 2024-03-01T00:00Z, increasing
 * with the log index with +-2 s of jitter and 0.2% of records up to 15
 * minutes late; 1,000,000 subjects, zipf-ish (subject rank = 10^6 u^2:
 * count ~ rank^-1/2, the busiest ~10,000 records at N = 10M, the rarest
 * ~5); 50 algorithms uniform, each with 5 versions rolled out over the
 * month; 20 decisions, skewed (rank = 20 u^2); classes 90% ordinary, 9%
 * important, 1% core; 4 producers; trace and decision ids unique; labels
 * channel and region on every record, experiment on 40%; 4 inputs, 3
 * attributions, 2 reason codes and an explanation text; a reviewer on
 * 5%. Every record passes record_validate(). Asserts nothing; exits 1
 * only if something could not run.
 *
 * usage: bench_query [-k] [-n records] [-c per-commit] [-m compare]
 *        [-T cap-seconds] [-b bits] [-r runs] [-d dir] [-a algaudit]
 *        [-s store]
 *   defaults -n 10000000 -c 1000 -m 1000000 -T 600 -r 50, -b 16
 *   (INDEX_BITS_DEFAULT: the block layout's bits), -d $BENCH_DIR
 *   or $TMPDIR or /tmp, -a <dir of this program>/../algaudit; -s runs
 *   only the queries and the memory test on a store it made before
 *   (kept with -k).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "index.h"
#include "query.h"
#include "record.h"
#include "store.h"

#define BENCH_ALGOS		50
#define BENCH_VERSIONS		5
#define BENCH_DECISIONS		20
#define BENCH_SUBJECTS		1000000
#define BENCH_DAYS		30
#define BENCH_PRODUCERS		4
#define BENCH_T0_NS		1709251200000000000LL	/* 2024-03-01 */
#define BENCH_DAY_NS		86400000000000LL
#define BENCH_PAGE		100
#define BENCH_ENTRY_MAX		2048	/* room for one packed entry */
#define BENCH_POOL		768	/* room for one entry's strings */
#define BENCH_PATH		1024
#define BENCH_RSS_RUNS		4
#define BENCH_MARKS		1

/* One generated entry and the storage it points into. */
struct bench_entry {
	Algaudit__V1__Entry		 e;
	Algaudit__V1__Peer		 peer;
	Algaudit__V1__DecisionRecord	 r;
	Algaudit__V1__Algorithm		 alg;
	Algaudit__V1__Input		 in[4];
	Algaudit__V1__Input		*inp[4];
	Algaudit__V1__Explanation	 x;
	Algaudit__V1__Attribution	 at[3];
	Algaudit__V1__Attribution	*atp[3];
	char				*rc[2];
	Algaudit__V1__Label		 lb[3];
	Algaudit__V1__Label		*lbp[3];
	char				 pool[BENCH_POOL];
	size_t				 used;
};

/* One group commit's worth of generated, packed entries. */
struct bench_batch {
	struct bench_entry	*bb_e;
	uint8_t			*bb_buf;	/* BENCH_ENTRY_MAX each */
	size_t			*bb_len;
	size_t			 bb_cap;
};

/* One ingest run and what it measured. */
struct bench_run {
	const char	*br_name;
	int		 br_indexed;
	unsigned	 br_bits;
	uint64_t	 br_target;
	double		 br_cap;	/* wall seconds, 0: none */
	uint64_t	 br_mark[BENCH_MARKS];	/* record counts to note */
	double		 br_mark_s[BENCH_MARKS];	/* store time there */
	uint64_t	 br_mark_done[BENCH_MARKS];
	uint64_t	 br_done;
	double		 br_store_s;
	double		 br_gen_s;
	double		 br_wall_s;
	uint64_t	 br_bytes;	/* packed entry bytes */
	uint64_t	 br_file;	/* data.mdb at the end */
	uint64_t	 br_written;	/* bytes written (wchar) */
	int		 br_capped;
	int		 br_progress;	/* print a line every tenth */
};

/* A request to the spawner, and its answer. */
struct bench_spawn_req {
	int		 sq_api;	/* 0: exec the command, 1: the API */
	int		 sq_quiet;	/* stderr to /dev/null too */
	uint64_t	 sq_limit;	/* UINT64_MAX: all */
	char		 sq_cli[BENCH_PATH];
	char		 sq_store[BENCH_PATH];
	char		 sq_algorithm[64];
};

struct bench_spawn_res {
	int		 sr_status;	/* exit status, -1 if not exited */
	long		 sr_maxrss_kb;
	long		 sr_anon_kb;	/* sampled peak RssAnon */
	double		 sr_secs;
};

/* The options. */
struct bench_opts {
	uint64_t	 bo_n;
	uint64_t	 bo_m;
	unsigned long	 bo_commit;
	unsigned long	 bo_cap;
	unsigned	 bo_bits;
	unsigned long	 bo_runs;
	int		 bo_keep;
	const char	*bo_dir;
	const char	*bo_store;
	char		 bo_cli[BENCH_PATH];
};

static const char *bench_families[10] = { "credit-limit", "fraud-screen",
    "loan-approve", "feed-rank", "ad-target", "price-quote",
    "route-dispatch", "content-filter", "search-rank", "claim-triage" };
static const char *bench_decisions[BENCH_DECISIONS] = { "approve",
    "decline", "refer", "approve-reduced", "limit-up", "limit-down",
    "flag", "block", "allow", "review", "rank-top", "rank-mid",
    "rank-low", "push", "suppress", "price-a", "price-b", "dispatch",
    "hold", "escalate" };
static const char *bench_channels[4] = { "app", "web", "branch",
    "partner" };
static const char *bench_regions[8] = { "cn-north", "cn-east",
    "cn-south", "cn-west", "cn-central", "hk", "sg", "eu-west" };
static const char *const bench_label_keys[2] = { "channel", "region" };

/* Returns the monotonic time in seconds. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The splitmix64 finaliser: a bijection of 64-bit values. */
static uint64_t
bench_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The next pseudo-random value of state s. */
static uint64_t
bench_rand(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return bench_mix(*s);
}

/* A pseudo-random double in [0, 1). */
static double
bench_unit(uint64_t *s)
{
	return (double)(bench_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* A subject rank, zipf-ish: rank = 10^6 u^2. */
static unsigned
bench_pick_subject(uint64_t *s)
{
	double u = bench_unit(s);

	return (unsigned)(u * u * BENCH_SUBJECTS);
}

/* A decision, skewed towards the first ones: 20 u^2. */
static unsigned
bench_pick_decision(uint64_t *s)
{
	double u = bench_unit(s);

	return (unsigned)(u * u * BENCH_DECISIONS);
}

/* The subject id of a rank: a pseudonymous hash-like string. */
static void
bench_subject_name(char *buf, size_t len, unsigned rank)
{
	snprintf(buf, len, "s:%016" PRIx64, bench_mix(rank ^ 0x5b1ec7ULL));
}

/* The id of algorithm a (0 to BENCH_ALGOS - 1). */
static void
bench_algo_name(char *buf, size_t len, unsigned a)
{
	snprintf(buf, len, "%s-%u", bench_families[a % 10], a / 10);
}

/* The trace id of the entry at log index idx: unique per index. */
static void
bench_trace_name(char *buf, size_t len, uint64_t idx)
{
	snprintf(buf, len, "%016" PRIx64 "%016" PRIx64,
	    bench_mix(idx ^ 0x7ace7ace7aceULL), bench_mix(idx + 0x1d));
}

/* The first event time of day d of the month. */
static int64_t
bench_day_ns(unsigned d)
{
	return BENCH_T0_NS + (int64_t)d * BENCH_DAY_NS;
}

/* A mutable copy of s in the entry's pool (protobuf-c wants char *). */
static char *
bench_s(struct bench_entry *b, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > sizeof(b->pool) - b->used)
		abort();	/* a bug of this file: the pool is sized */
	p = memcpy(b->pool + b->used, s, n);
	b->used += n;
	return p;
}

/* Sets input in of b: name, data class, and the value's case. */
static Algaudit__V1__Input *
bench_input(struct bench_entry *b, size_t i, const char *name, int cls)
{
	Algaudit__V1__Input *in = &b->in[i];

	algaudit__v1__input__init(in);
	in->name = bench_s(b, name);
	in->has_data_class = 1;
	in->data_class = (Algaudit__V1__DataClass)cls;
	b->inp[i] = in;
	return in;
}

/*
 * Fills b with the entry at log index idx of an n-record store. The
 * same (idx, n) always gives the same entry, so that a retried commit
 * and the queries' keys agree with what was written.
 */
static void
bench_gen(struct bench_entry *b, uint64_t idx, uint64_t n)
{
	static const char *feats[3] = { "income", "tenure_months", "region" };
	char tmp[160];
	uint64_t s = idx * 0x2545f4914f6cdd1dULL + 0x1234567ULL, v;
	unsigned a, ver, day, p, cls;
	int64_t t;
	double u;
	size_t i;

	memset(b, 0, offsetof(struct bench_entry, pool));
	b->used = 0;
	algaudit__v1__entry__init(&b->e);
	algaudit__v1__peer__init(&b->peer);
	algaudit__v1__decision_record__init(&b->r);
	algaudit__v1__algorithm__init(&b->alg);
	algaudit__v1__explanation__init(&b->x);

	/* Time: spread over the month in log order, with jitter. */
	t = BENCH_T0_NS + (int64_t)((double)idx / (double)n *
	    (double)(BENCH_DAYS * BENCH_DAY_NS));
	t += (int64_t)((bench_unit(&s) - 0.5) * 4e9);
	if (bench_unit(&s) < 0.002)
		t -= (int64_t)(bench_unit(&s) * 900e9);
	day = t < BENCH_T0_NS ? 0 : (unsigned)((t - BENCH_T0_NS) /
	    BENCH_DAY_NS);

	p = (unsigned)(bench_rand(&s) % BENCH_PRODUCERS);
	b->e.has_index = 1;
	b->e.index = idx;
	b->e.has_receive_time_ns = 1;
	b->e.receive_time_ns = t + 2000000 + (int64_t)(bench_rand(&s) %
	    3000000);
	snprintf(tmp, sizeof(tmp), "decide-api-%u@node-%c", p, 'a' + p);
	b->e.producer_id = bench_s(b, tmp);
	b->peer.has_uid = b->peer.has_gid = b->peer.has_pid = 1;
	b->peer.uid = b->peer.gid = 1000 + p;
	b->peer.pid = 4100 + p;
	b->peer.address = bench_s(b, "unix");
	b->e.peer = &b->peer;
	b->e.record = &b->r;

	b->r.has_producer_seq = 1;
	b->r.producer_seq = idx / BENCH_PRODUCERS + 1;
	b->r.has_event_time_ns = 1;
	b->r.event_time_ns = t;

	/* Algorithm: uniform; its version rolls out over the month. */
	a = (unsigned)(bench_rand(&s) % BENCH_ALGOS);
	ver = day * BENCH_VERSIONS / BENCH_DAYS;
	if (ver > 0 && bench_unit(&s) < 0.1)
		ver--;			/* stragglers on the old one */
	bench_algo_name(tmp, sizeof(tmp), a);
	b->alg.id = bench_s(b, tmp);
	snprintf(tmp, sizeof(tmp), "%u.%u.0", a % 3 + 1, ver);
	b->alg.version = bench_s(b, tmp);
	b->alg.has_type = 1;
	b->alg.type = (Algaudit__V1__AlgorithmType)(a % 6 + 1);
	snprintf(tmp, sizeof(tmp), "CN-ALG-2024-%04u", 1000 + a);
	b->alg.filing_number = bench_s(b, tmp);
	b->r.algorithm = &b->alg;

	bench_subject_name(tmp, sizeof(tmp), bench_pick_subject(&s));
	b->r.subject = bench_s(b, tmp);
	b->r.decision = bench_s(b,
	    bench_decisions[bench_pick_decision(&s)]);
	b->r.has_score = 1;
	b->r.score = bench_unit(&s);

	/* Inputs. */
	bench_input(b, 0, "income", 2)->value_case =
	    ALGAUDIT__V1__INPUT__VALUE_NUMBER;
	b->in[0].number = (double)(20000 + bench_rand(&s) % 180000);
	bench_input(b, 1, "region", 1)->value_case =
	    ALGAUDIT__V1__INPUT__VALUE_TEXT;
	b->in[1].text = bench_s(b, bench_regions[bench_rand(&s) % 8]);
	bench_input(b, 2, "age_band", 1)->value_case =
	    ALGAUDIT__V1__INPUT__VALUE_TEXT;
	snprintf(tmp, sizeof(tmp), "%u-%u", 18 + (unsigned)(bench_rand(&s) %
	    5) * 10, 27 + (unsigned)(bench_rand(&s) % 5) * 10);
	b->in[2].text = bench_s(b, tmp);
	bench_input(b, 3, "tenure_months", 1)->value_case =
	    ALGAUDIT__V1__INPUT__VALUE_NUMBER;
	b->in[3].number = (double)(bench_rand(&s) % 240);
	b->r.n_inputs = 4;
	b->r.inputs = b->inp;

	/* Explanation. */
	for (i = 0; i < 3; i++) {
		algaudit__v1__attribution__init(&b->at[i]);
		b->at[i].feature = bench_s(b, feats[i]);
		b->at[i].has_weight = 1;
		b->at[i].weight = bench_unit(&s) - 0.3;
		b->atp[i] = &b->at[i];
	}
	b->x.n_attributions = 3;
	b->x.attributions = b->atp;
	for (i = 0; i < 2; i++) {
		snprintf(tmp, sizeof(tmp), "R%02u",
		    (unsigned)(bench_rand(&s) % 40));
		b->rc[i] = bench_s(b, tmp);
	}
	b->x.n_reason_codes = 2;
	b->x.reason_codes = b->rc;
	u = bench_unit(&s);
	snprintf(tmp, sizeof(tmp), "score %.2f vs 0.60: income, tenure", u);
	b->x.text = bench_s(b, tmp);
	b->r.explanation = &b->x;

	b->r.has_automation = 1;
	b->r.automation =
	    ALGAUDIT__V1__AUTOMATION__AUTOMATION_FULLY_AUTOMATED;
	if (bench_unit(&s) < 0.05) {
		b->r.automation =
		    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_REVIEW_AFTER;
		snprintf(tmp, sizeof(tmp), "rev-%03u",
		    (unsigned)(bench_rand(&s) % 200));
		b->r.reviewer = bench_s(b, tmp);
	}
	u = bench_unit(&s);
	cls = u < 0.90 ? 1 : u < 0.99 ? 2 : 3;
	b->r.has_data_class = 1;
	b->r.data_class = (Algaudit__V1__DataClass)cls;
	b->r.jurisdiction = bench_s(b, "CN");
	b->r.purpose = bench_s(b, bench_families[a % 10]);
	bench_trace_name(tmp, sizeof(tmp), idx);
	b->r.trace_id = bench_s(b, tmp);
	v = bench_mix(idx ^ 0xdec1de0000ULL);
	snprintf(tmp, sizeof(tmp), "%08x-%04x-4%03x-%04x-%012" PRIx64,
	    (unsigned)(v >> 32), (unsigned)(v >> 16) & 0xffff,
	    (unsigned)v & 0xfff, (unsigned)(idx & 0xffff),
	    (uint64_t)(bench_rand(&s) & 0xffffffffffffULL));
	b->r.decision_id = bench_s(b, tmp);

	/* Labels: channel and region (declared), experiment on 40%. */
	for (i = 0; i < 3; i++) {
		algaudit__v1__label__init(&b->lb[i]);
		b->lbp[i] = &b->lb[i];
	}
	b->lb[0].key = bench_s(b, "channel");
	b->lb[0].value = bench_s(b, bench_channels[bench_rand(&s) % 4]);
	b->lb[1].key = bench_s(b, "region");
	b->lb[1].value = bench_s(b, bench_regions[bench_rand(&s) % 8]);
	b->r.n_labels = 2;
	if (bench_unit(&s) < 0.4) {
		b->lb[2].key = bench_s(b, "experiment");
		snprintf(tmp, sizeof(tmp), "exp-%02u",
		    (unsigned)(bench_rand(&s) % 12));
		b->lb[2].value = bench_s(b, tmp);
		b->r.n_labels = 3;
	}
	b->r.labels = b->lbp;
}

/* Allocates room for batches of cap entries. */
static int
bench_batch_init(struct bench_batch *bb, size_t cap)
{
	memset(bb, 0, sizeof(*bb));
	bb->bb_e = calloc(cap, sizeof(*bb->bb_e));
	bb->bb_buf = malloc(cap * BENCH_ENTRY_MAX);
	bb->bb_len = calloc(cap, sizeof(*bb->bb_len));
	if (bb->bb_e == NULL || bb->bb_buf == NULL || bb->bb_len == NULL)
		return ENOMEM;
	bb->bb_cap = cap;
	return 0;
}

/* Frees a batch's room. */
static void
bench_batch_free(struct bench_batch *bb)
{
	free(bb->bb_e);
	free(bb->bb_buf);
	free(bb->bb_len);
	memset(bb, 0, sizeof(*bb));
}

/* Generates and packs k entries from log index base on. */
static int
bench_batch_fill(struct bench_batch *bb, uint64_t base, size_t k,
    uint64_t n, uint64_t *bytes)
{
	size_t i, len;

	for (i = 0; i < k; i++) {
		bench_gen(&bb->bb_e[i], base + i, n);
		len = algaudit__v1__entry__get_packed_size(&bb->bb_e[i].e);
		if (len > BENCH_ENTRY_MAX)
			return EOVERFLOW;
		bb->bb_len[i] = algaudit__v1__entry__pack(&bb->bb_e[i].e,
		    bb->bb_buf + i * BENCH_ENTRY_MAX);
		*bytes += bb->bb_len[i];
	}
	return 0;
}

/*
 * One write transaction: appends the k entries of bb (and with indexed,
 * their index keys) and commits. On failure the transaction is over.
 */
static int
bench_commit(struct store *s, const struct bench_batch *bb, size_t k,
    int indexed)
{
	uint64_t idx;
	size_t i;
	int rc;

	if ((rc = store_begin(s)) != 0)
		return rc;
	for (i = 0; i < k; i++) {
		if ((rc = store_append(s, bb->bb_buf + i * BENCH_ENTRY_MAX,
		    bb->bb_len[i], &idx)) != 0)
			break;
		if (idx != bb->bb_e[i].e.index) {
			rc = STORE_ECORRUPT;
			break;
		}
		if (indexed && (rc = store_index_add(s, idx,
		    &bb->bb_e[i].e)) != 0)
			break;
	}
	if (rc == 0)
		return store_commit(s);
	store_abort(s);
	return rc;
}

/* Removes a store directory made by this benchmark. */
static void
bench_rmstore(const char *dir)
{
	char path[BENCH_PATH + 64];

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

/* Bytes this process has passed to write(2) and kin, or 0. */
static uint64_t
bench_wchar(void)
{
	char line[128];
	FILE *fp;
	uint64_t v = 0;

	if ((fp = fopen("/proc/self/io", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "wchar:", 6) == 0) {
			v = strtoull(line + 6, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

/* Prints one progress line of a run. */
static void
bench_progress(const struct bench_run *br, uint64_t done, double dt,
    uint64_t dn)
{
	printf("  ingest %-7s progress %10" PRIu64 " records: %8.0f "
	    "records/s over the last %" PRIu64 ", %8.0f records/s so far\n",
	    br->br_name, done, dn / dt, dn, (double)done / br->br_store_s);
	fflush(stdout);
}

/*
 * Runs br in a fresh store at dir: br_target records in commits of
 * per_commit, stopping at the cap. Leaves the store at dir.
 */
static int
bench_ingest(struct bench_run *br, const char *dir, unsigned long per_commit,
    uint64_t n)
{
	struct bench_batch bb;
	struct store *s = NULL;
	struct store_info si;
	uint64_t base, step, next_report, last_done = 0, w0;
	double start, t0, t1, last_s = 0;
	size_t k, j;
	int rc;

	step = br->br_target / 10 < per_commit ? per_commit :
	    br->br_target / 10;
	next_report = step;
	if ((rc = bench_batch_init(&bb, per_commit)) != 0)
		return rc;
	if ((rc = store_open(&s, dir, STORE_CREATE, "bench.example/log")) !=
	    0) {
		fprintf(stderr, "bench_query: open %s: %s\n", dir,
		    store_strerror(rc));
		goto done;
	}
	if (br->br_indexed && (rc = store_reindex(s, br->br_bits,
	    bench_label_keys, 2, 0, NULL, NULL, NULL)) != 0) {
		fprintf(stderr, "bench_query: reindex %s (bits %u): %s\n",
		    dir, br->br_bits, store_strerror(rc));
		goto done;
	}
	start = bench_now();
	w0 = bench_wchar();
	while (br->br_done < br->br_target) {
		if (br->br_cap > 0 && bench_now() - start >= br->br_cap) {
			br->br_capped = 1;
			break;
		}
		k = br->br_target - br->br_done < per_commit ?
		    (size_t)(br->br_target - br->br_done) : per_commit;
		base = store_next_index(s);
		t0 = bench_now();
		if ((rc = bench_batch_fill(&bb, base, k, n,
		    &br->br_bytes)) != 0)
			goto done;
		t1 = bench_now();
		br->br_gen_s += t1 - t0;
		do {		/* STORE_EMAPFULL: grown, redo */
			t0 = bench_now();
			rc = bench_commit(s, &bb, k, br->br_indexed);
			br->br_store_s += bench_now() - t0;
		} while (rc == STORE_EMAPFULL);
		if (rc != 0) {
			fprintf(stderr, "bench_query: ingest %s at %" PRIu64
			    ": %s\n", br->br_name, base, store_strerror(rc));
			goto done;
		}
		br->br_done += k;
		for (j = 0; j < BENCH_MARKS; j++)
			if (br->br_mark[j] > 0 && br->br_mark_done[j] == 0 &&
			    br->br_done >= br->br_mark[j]) {
				br->br_mark_done[j] = br->br_done;
				br->br_mark_s[j] = br->br_store_s;
			}
		if (br->br_progress && br->br_done >= next_report) {
			bench_progress(br, br->br_done, br->br_store_s - last_s,
			    br->br_done - last_done);
			last_s = br->br_store_s;
			last_done = br->br_done;
			next_report += step;
		}
	}
	br->br_wall_s = bench_now() - start;
	br->br_written = bench_wchar() - w0;
	if ((rc = store_info(s, &si)) != 0) {
		fprintf(stderr, "bench_query: info %s: %s\n", dir,
		    store_strerror(rc));
		goto done;
	}
	br->br_file = si.si_file_size;
done:
	store_close(s);
	bench_batch_free(&bb);
	return rc;
}

/* Prints the figures of a finished run. */
static void
bench_run_print(const struct bench_run *br)
{
	double n = (double)br->br_done;

	printf("ingest_%s_records %" PRIu64 "%s\n", br->br_name,
	    br->br_done, br->br_capped ? " (capped by time)" : "");
	printf("ingest_%s_records_per_s %.0f records/s (store time %.1f s)\n",
	    br->br_name, n / br->br_store_s, br->br_store_s);
	printf("ingest_%s_wall_records_per_s %.0f records/s (incl. "
	    "generating and packing, %.1f s of %.1f s)\n", br->br_name,
	    n / br->br_wall_s, br->br_gen_s, br->br_wall_s);
	printf("ingest_%s_entry_bytes %.0f bytes/entry packed\n",
	    br->br_name, (double)br->br_bytes / n);
	printf("ingest_%s_written_bytes_per_entry %.0f bytes/entry "
	    "(pages LMDB wrote, from /proc/self/io wchar)\n", br->br_name,
	    (double)br->br_written / n);
	printf("ingest_%s_file_bytes_per_entry %.0f bytes/entry "
	    "(data.mdb %.2f GB)\n", br->br_name, (double)br->br_file / n,
	    (double)br->br_file / 1e9);
	fflush(stdout);
}

/* The rate of br over its first records up to mark j. */
static double
bench_mark_rate(const struct bench_run *br, size_t j)
{
	if (br->br_mark_done[j] == 0 || br->br_mark_s[j] <= 0)
		return 0;
	return (double)br->br_mark_done[j] / br->br_mark_s[j];
}

/* Compares doubles for qsort. */
static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0 to 1) of n values, sorting them. */
static double
bench_quantile(double *v, size_t n, double q)
{
	size_t i;

	qsort(v, n, sizeof(*v), bench_cmp);
	i = (size_t)(q * (double)n + 0.999999);
	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	if (q == 0.5 && n % 2 == 0)
		return (v[n / 2 - 1] + v[n / 2]) / 2;
	return v[i];
}

/* The kinds of query measured. */
enum bench_qkind {
	BENCH_Q_SUBJECT = 0,
	BENCH_Q_ALGORITHM,
	BENCH_Q_ALGO_DAY,
	BENCH_Q_TRACE,
	BENCH_Q_COMBO,
	BENCH_Q_COUNT_DAY,
	BENCH_Q_COUNT_ALGO,
	BENCH_Q_MAX
};

static const char *bench_qnames[BENCH_Q_MAX] = { "subject", "algorithm",
    "algorithm_1day", "trace", "algorithm_decision_1day",
    "count_algorithm_1day", "count_algorithm" };

/* The keys of one query; the filter points into it. */
struct bench_keys {
	char		 bk_subject[40];
	char		 bk_algo[40];
	char		 bk_decision[40];
	char		 bk_trace[40];
	uint64_t	 bk_index;	/* trace: the entry's index */
};

/* Draws random keys of kind k over an n-record store into f. */
static void
bench_filter(enum bench_qkind k, uint64_t *rng, uint64_t n,
    struct bench_keys *bk, struct query_filter *f)
{
	unsigned day = (unsigned)(bench_rand(rng) % BENCH_DAYS);

	memset(f, 0, sizeof(*f));
	bench_algo_name(bk->bk_algo, sizeof(bk->bk_algo),
	    (unsigned)(bench_rand(rng) % BENCH_ALGOS));
	switch (k) {
	case BENCH_Q_SUBJECT:
		bench_subject_name(bk->bk_subject, sizeof(bk->bk_subject),
		    bench_pick_subject(rng));
		f->qf_subject = bk->bk_subject;
		return;
	case BENCH_Q_TRACE:
		bk->bk_index = bench_rand(rng) % n;
		bench_trace_name(bk->bk_trace, sizeof(bk->bk_trace),
		    bk->bk_index);
		f->qf_trace = bk->bk_trace;
		return;
	case BENCH_Q_COMBO:
		snprintf(bk->bk_decision, sizeof(bk->bk_decision), "%s",
		    bench_decisions[bench_pick_decision(rng)]);
		f->qf_decision = bk->bk_decision;
		/* FALLTHROUGH */
	case BENCH_Q_ALGO_DAY:
	case BENCH_Q_COUNT_DAY:
		f->qf_has_since = f->qf_has_until = 1;
		f->qf_since_ns = bench_day_ns(day);
		f->qf_until_ns = bench_day_ns(day + 1);
		/* FALLTHROUGH */
	default:
		f->qf_algorithm = bk->bk_algo;
		return;
	}
}

/*
 * One run of a query as a tool would do it, in a fresh view: the first
 * page (up to BENCH_PAGE rows), or with count the count. Sets *ms and
 * *rows, and *first to the first row's index (UINT64_MAX if none).
 */
static int
bench_query_once(struct store *s, const struct query_filter *f, int count,
    double *ms, uint64_t *rows, uint64_t *first)
{
	struct store_view *v = NULL;
	struct query *q = NULL;
	const Algaudit__V1__Entry *e;
	char err[QUERY_ERRLEN];
	uint64_t idx;
	double t0;
	int rc;

	*rows = 0;
	*first = UINT64_MAX;
	err[0] = '\0';
	t0 = bench_now();
	if ((rc = store_view_begin(s, &v)) != 0)
		goto done;
	if ((rc = query_open(v, f, &q, err, sizeof(err))) != 0)
		goto done;
	if (count)
		rc = query_count(q, rows);
	else
		while (*rows < BENCH_PAGE &&
		    (rc = query_next(q, &idx, &e)) == 0) {
			if (*rows == 0)
				*first = idx;
			(*rows)++;
		}
	if (rc == STORE_ENOTFOUND)
		rc = 0;
done:
	query_close(q);
	store_view_end(v);
	*ms = (bench_now() - t0) * 1e3;
	if (rc != 0)
		fprintf(stderr, "bench_query: query: %s%s%s\n",
		    query_strerror(rc), err[0] != '\0' ? ": " : "", err);
	return rc;
}

/* Measures query kind k over runs random keys; prints its figures. */
static int
bench_query_kind(struct store *s, enum bench_qkind k, uint64_t n,
    unsigned long runs, uint64_t *rng)
{
	struct bench_keys bk;
	struct query_filter f;
	double *warm, *cold, *rows, ms, target;
	uint64_t got, first;
	unsigned long r, bad = 0;
	int count = k >= BENCH_Q_COUNT_DAY, i, rc = ENOMEM;

	warm = calloc(runs, sizeof(*warm));
	cold = calloc(runs, sizeof(*cold));
	rows = calloc(runs, sizeof(*rows));
	if (warm == NULL || cold == NULL || rows == NULL)
		goto done;
	for (r = 0; r < runs; r++) {
		bench_filter(k, rng, n, &bk, &f);
		for (i = 0; i < 3; i++) {
			if ((rc = bench_query_once(s, &f, count, &ms, &got,
			    &first)) != 0)
				goto done;
			if (i == 0)
				cold[r] = ms;
		}
		warm[r] = ms;
		rows[r] = (double)got;
		/* A wrong answer would make the time meaningless. */
		if (k == BENCH_Q_TRACE && (got != 1 || first != bk.bk_index))
			bad++;
		if (k == BENCH_Q_ALGORITHM && got == 0)
			bad++;
	}
	target = count ? 50 : 1;
	ms = bench_quantile(warm, runs, 0.5);
	printf("query_%s_median_ms %.3f ms (target <= %.0f ms: %s)\n",
	    bench_qnames[k], ms, target, ms <= target ? "met" : "MISSED");
	printf("query_%s_p90_ms %.3f ms\n", bench_qnames[k],
	    bench_quantile(warm, runs, 0.9));
	printf("query_%s_first_run_median_ms %.3f ms (first run of each "
	    "key: its pages faulted in, from cache or disk)\n",
	    bench_qnames[k],
	    bench_quantile(cold, runs, 0.5));
	ms = bench_quantile(rows, runs, 0.5);	/* sorts rows */
	printf("query_%s_%s_median %.0f %s (min %.0f, max %.0f)\n",
	    bench_qnames[k], count ? "count" : "rows", ms,
	    count ? "entries" : "rows", rows[0], rows[runs - 1]);
	if (bad > 0)
		printf("query_%s_WRONG %lu of %lu runs returned an unexpected "
		    "result\n", bench_qnames[k], bad, runs);
	fflush(stdout);
	rc = 0;
done:
	free(warm);
	free(cold);
	free(rows);
	return rc;
}

/* Runs every query kind on the store at dir, opened read-only. */
static int
bench_queries(const char *dir, uint64_t n, unsigned long runs)
{
	struct store *s = NULL;
	uint64_t rng = 0x5eed0f5eedULL;
	int k, rc;

	if ((rc = store_open(&s, dir, STORE_RDONLY, NULL)) != 0) {
		fprintf(stderr, "bench_query: open %s: %s\n", dir,
		    store_strerror(rc));
		return rc;
	}
	for (k = 0; k < BENCH_Q_MAX && rc == 0; k++)
		rc = bench_query_kind(s, (enum bench_qkind)k, n, runs, &rng);
	store_close(s);
	return rc;
}

/* The RssAnon of process pid in KiB, or -1. */
static long
bench_rss_anon(pid_t pid)
{
	char path[64], line[256];
	FILE *fp;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "RssAnon:", 8) == 0) {
			kb = strtol(line + 8, NULL, 10);
			break;
		}
	fclose(fp);
	return kb;
}

/* In a spawned child: the query of req through the API; exits. */
static void __attribute__((noreturn))
bench_api_child(const struct bench_spawn_req *req)
{
	struct store *s = NULL;
	struct store_view *v = NULL;
	struct query *q = NULL;
	struct query_filter f;
	const Algaudit__V1__Entry *e;
	char err[QUERY_ERRLEN];
	uint64_t idx, rows = 0;
	int rc;

	memset(&f, 0, sizeof(f));
	f.qf_algorithm = req->sq_algorithm;
	if ((rc = store_open(&s, req->sq_store, STORE_RDONLY, NULL)) != 0 ||
	    (rc = store_view_begin(s, &v)) != 0 ||
	    (rc = query_open(v, &f, &q, err, sizeof(err))) != 0)
		_exit(1);
	while (rows < req->sq_limit && (rc = query_next(q, &idx, &e)) == 0)
		rows++;
	query_close(q);
	store_view_end(v);
	store_close(s);
	_exit(rc == 0 || rc == STORE_ENOTFOUND ? 0 : 1);
}

/* In a spawned child: execs the query command of req; never returns. */
static void __attribute__((noreturn))
bench_cli_child(const struct bench_spawn_req *req)
{
	char limit[32];
	char *argv[12];
	int fd, i = 0;

	if ((fd = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1 ||
	    (req->sq_quiet && dup2(fd, STDERR_FILENO) == -1))
		_exit(127);
	close(fd);
	argv[i++] = (char *)(uintptr_t)req->sq_cli;
	argv[i++] = (char *)(uintptr_t)"query";
	argv[i++] = (char *)(uintptr_t)"--store";
	argv[i++] = (char *)(uintptr_t)req->sq_store;
	argv[i++] = (char *)(uintptr_t)"--algorithm";
	argv[i++] = (char *)(uintptr_t)req->sq_algorithm;
	argv[i++] = (char *)(uintptr_t)"--format";
	argv[i++] = (char *)(uintptr_t)"jsonl";
	if (req->sq_limit != UINT64_MAX) {
		snprintf(limit, sizeof(limit), "%" PRIu64, req->sq_limit);
		argv[i++] = (char *)(uintptr_t)"--limit";
		argv[i++] = limit;
	}
	argv[i] = NULL;
	execv(req->sq_cli, argv);
	_exit(127);
}

/* Reads exactly len bytes; 0, or -1 at EOF or on error. */
static int
bench_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t r;

	while (len > 0) {
		r = read(fd, p, len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Writes exactly len bytes; 0 or -1. */
static int
bench_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * The spawner's loop: for each request, forks the child, samples its
 * RssAnon every millisecond until it exits, and answers with wait4()'s
 * ru_maxrss. Ends at EOF on in.
 */
static void __attribute__((noreturn))
bench_spawner(int in, int out)
{
	struct bench_spawn_req req;
	struct bench_spawn_res res;
	struct timespec ms = { 0, 1000000 };
	struct rusage ru;
	pid_t pid, w;
	double t0;
	long kb;
	int st;

	while (bench_read_full(in, &req, sizeof(req)) == 0) {
		memset(&res, 0, sizeof(res));
		res.sr_status = -1;
		t0 = bench_now();
		if ((pid = fork()) == -1) {
			res.sr_maxrss_kb = -1;
			if (bench_write_full(out, &res, sizeof(res)) != 0)
				break;
			continue;
		}
		if (pid == 0) {
			close(in);
			close(out);
			if (req.sq_api)
				bench_api_child(&req);
			bench_cli_child(&req);
		}
		for (;;) {
			memset(&ru, 0, sizeof(ru));
			w = wait4(pid, &st, WNOHANG, &ru);
			if (w == pid)
				break;
			if (w == -1 && errno != EINTR)
				break;
			if ((kb = bench_rss_anon(pid)) > res.sr_anon_kb)
				res.sr_anon_kb = kb;
			nanosleep(&ms, NULL);
		}
		res.sr_secs = bench_now() - t0;
		if (w == pid) {
			res.sr_maxrss_kb = ru.ru_maxrss;
			if (WIFEXITED(st))
				res.sr_status = WEXITSTATUS(st);
		}
		if (bench_write_full(out, &res, sizeof(res)) != 0)
			break;
	}
	_exit(0);
}

/*
 * Forks the spawner while this process is still small. Sets the pipe
 * ends to talk to it and its pid.
 */
static int
bench_spawner_start(int *to, int *from, pid_t *pid)
{
	int a[2], b[2];

	if (pipe(a) == -1)
		return errno;
	if (pipe(b) == -1) {
		close(a[0]);
		close(a[1]);
		return errno;
	}
	fflush(stdout);
	fflush(stderr);
	if ((*pid = fork()) == -1) {
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(b[1]);
		return errno;
	}
	if (*pid == 0) {
		close(a[1]);
		close(b[0]);
		bench_spawner(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	*to = a[1];
	*from = b[0];
	return 0;
}

/* Asks the spawner to run req; fills res. */
static int
bench_spawn(int to, int from, const struct bench_spawn_req *req,
    struct bench_spawn_res *res)
{
	if (bench_write_full(to, req, sizeof(*req)) != 0 ||
	    bench_read_full(from, res, sizeof(*res)) != 0)
		return EPIPE;
	return 0;
}

/*
 * Peak RSS of the query command (or, if it lacks --algorithm, of the
 * API in a child) on the store at dir as the results grow.
 */
static int
bench_rss(int to, int from, const char *dir, const char *cli)
{
	static const uint64_t limits[BENCH_RSS_RUNS] = { 100, 10000, 100000,
	    UINT64_MAX };
	struct bench_spawn_req req;
	struct bench_spawn_res res;
	char name[32];
	size_t i;
	int rc;

	memset(&req, 0, sizeof(req));
	if (strlen(cli) >= sizeof(req.sq_cli) ||
	    strlen(dir) >= sizeof(req.sq_store))
		return ENAMETOOLONG;
	memcpy(req.sq_cli, cli, strlen(cli) + 1);
	memcpy(req.sq_store, dir, strlen(dir) + 1);
	bench_algo_name(req.sq_algorithm, sizeof(req.sq_algorithm), 7);
	/* Does the command take the filters yet? */
	req.sq_limit = 1;
	req.sq_quiet = 1;
	if ((rc = bench_spawn(to, from, &req, &res)) != 0)
		return rc;
	req.sq_quiet = 0;
	if (res.sr_status != 0) {
		req.sq_api = 1;
		printf("  (%s query --algorithm exited %d: measuring the same "
		    "query through query.h in a child process instead)\n",
		    cli, res.sr_status);
	} else
		printf("  (%s query --store S --algorithm %s --format jsonl "
		    "[--limit L] > /dev/null)\n", cli, req.sq_algorithm);
	for (i = 0; i < BENCH_RSS_RUNS; i++) {
		req.sq_limit = limits[i];
		if ((rc = bench_spawn(to, from, &req, &res)) != 0)
			return rc;
		if (limits[i] == UINT64_MAX)
			snprintf(name, sizeof(name), "all");
		else
			snprintf(name, sizeof(name), "%" PRIu64, limits[i]);
		if (res.sr_status != 0) {
			fprintf(stderr, "bench_query: the query with limit %s "
			    "exited %d\n", name, res.sr_status);
			return EIO;
		}
		printf("query_%s_rss_limit_%s_kib %ld KiB (RssAnon peak %ld "
		    "KiB, %.2f s)\n", req.sq_api ? "api" : "cli", name,
		    res.sr_maxrss_kb, res.sr_anon_kb, res.sr_secs);
		fflush(stdout);
	}
	return 0;
}

static void __attribute__((noreturn))
bench_usage(void)
{
	fprintf(stderr, "usage: bench_query [-k] [-n records] [-c per-commit] "
	    "[-m compare] [-T cap-seconds]\n"
	    "                   [-b bits] [-r runs] [-d dir] [-a algaudit] "
	    "[-s store]\n");
	exit(2);
}

/* Parses a positive decimal option no larger than max. */
static uint64_t
bench_arg(const char *s, int opt, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno != 0 || *end != '\0' || v == 0 ||
	    v > max) {
		fprintf(stderr, "bench_query: -%c: invalid value '%s' "
		    "(1 to %" PRIu64 ")\n", opt, s, max);
		bench_usage();
	}
	return v;
}

/* Parses the command line into o. */
static void
bench_opts(int argc, char **argv, struct bench_opts *o)
{
	const char *e, *slash;
	int c;

	memset(o, 0, sizeof(*o));
	o->bo_n = 10000000;
	o->bo_m = 1000000;
	o->bo_commit = 1000;
	o->bo_cap = 600;
	o->bo_bits = INDEX_BITS_DEFAULT;
	o->bo_runs = 50;
	while ((c = getopt(argc, argv, "a:b:c:d:km:n:r:s:T:")) != -1) {
		switch (c) {
		case 'a':
			snprintf(o->bo_cli, sizeof(o->bo_cli), "%s", optarg);
			break;
		case 'b':
			o->bo_bits = (unsigned)bench_arg(optarg, c,
			    INDEX_BITS_PLAIN);
			if (o->bo_bits < INDEX_BITS_MIN) {
				fprintf(stderr, "bench_query: -b: below %d\n",
				    INDEX_BITS_MIN);
				bench_usage();
			}
			break;
		case 'c':
			o->bo_commit = bench_arg(optarg, c, 1000000);
			break;
		case 'd':
			o->bo_dir = optarg;
			break;
		case 'k':
			o->bo_keep = 1;
			break;
		case 'm':
			o->bo_m = bench_arg(optarg, c, (uint64_t)1 << 40);
			break;
		case 'n':
			o->bo_n = bench_arg(optarg, c, (uint64_t)1 << 40);
			break;
		case 'r':
			o->bo_runs = bench_arg(optarg, c, 100000);
			break;
		case 's':
			o->bo_store = optarg;
			break;
		case 'T':
			o->bo_cap = bench_arg(optarg, c, 86400 * 7);
			break;
		default:
			bench_usage();
		}
	}
	if (optind != argc)
		bench_usage();
	if (o->bo_m > o->bo_n)
		o->bo_m = o->bo_n;
	if (o->bo_dir == NULL && (e = getenv("BENCH_DIR")) != NULL &&
	    *e != '\0')
		o->bo_dir = e;
	if (o->bo_dir == NULL && (e = getenv("TMPDIR")) != NULL &&
	    *e != '\0')
		o->bo_dir = e;
	if (o->bo_dir == NULL)
		o->bo_dir = "/tmp";
	if (o->bo_cli[0] == '\0') {
		slash = strrchr(argv[0], '/');
		snprintf(o->bo_cli, sizeof(o->bo_cli), "%.*s../algaudit",
		    slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
	}
}

/* Checks that generated records are valid records. */
static int
bench_selfcheck(uint64_t n)
{
	struct bench_entry *b;
	char err[RECORD_ERRLEN];
	uint64_t i;
	int rc = 0;

	if ((b = malloc(sizeof(*b))) == NULL)
		return ENOMEM;
	for (i = 0; i < 1000 && i < n; i++) {
		bench_gen(b, i * (n / 1000 + 1) % n, n);
		if (record_validate(&b->r, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_query: generated record %" PRIu64
			    " is invalid: %s\n", i, err);
			rc = EINVAL;
			break;
		}
	}
	free(b);
	return rc;
}

/* Sets up run br: name, layout (indexed, bits), records, cap. */
static void
bench_run_init(struct bench_run *br, const char *name, int indexed,
    unsigned bits, uint64_t target, double cap)
{
	memset(br, 0, sizeof(*br));
	br->br_name = name;
	br->br_indexed = indexed;
	br->br_bits = bits;
	br->br_target = target;
	br->br_cap = cap;
}

/* Runs br in a fresh store top/name, removed afterwards; prints it. */
static int
bench_ingest_tmp(struct bench_run *br, const char *top,
    unsigned long per_commit, uint64_t n)
{
	char dir[BENCH_PATH + 16];
	int err;

	snprintf(dir, sizeof(dir), "%s/%s", top, br->br_name);
	err = bench_ingest(br, dir, per_commit, n);
	bench_rmstore(dir);
	if (err == 0)
		bench_run_print(br);
	return err;
}

/* The best rate of two runs, over their first mark j (-1: all). */
static double
bench_best(const struct bench_run *x, const struct bench_run *y, int j)
{
	double a, b;

	if (j < 0) {
		a = (double)x->br_done / x->br_store_s;
		b = (double)y->br_done / y->br_store_s;
	} else {
		a = bench_mark_rate(x, (size_t)j);
		b = bench_mark_rate(y, (size_t)j);
	}
	return a > b ? a : b;
}

/*
 * The ingest comparison at M records, on a shared machine: (c) plain
 * once (slow, capped), then (a) entries only and (b) block layout
 * alternating, twice each, best of each; their ratios. Then (b) over
 * N records, leaving the store at big for the queries.
 */
static int
bench_ingests(const struct bench_opts *o, const char *top, const char *big)
{
	struct bench_run ra[2], rb[2], rc, big_run;
	double a, b, c, cap = (double)o->bo_cap;
	int i, err;

	bench_run_init(&rc, "plain", 1, INDEX_BITS_PLAIN, o->bo_m, cap);
	rc.br_progress = 1;
	printf("== (c) entries + indexes, plain layout (bits %u), %" PRIu64
	    " records, capped at %lu s\n", INDEX_BITS_PLAIN, rc.br_target,
	    o->bo_cap);
	if ((err = bench_ingest_tmp(&rc, top, o->bo_commit, o->bo_n)) != 0)
		return err;
	for (i = 0; i < 2; i++) {
		bench_run_init(&ra[i], "entries", 0, 0, o->bo_m, cap);
		bench_run_init(&rb[i], "block", 1, o->bo_bits, o->bo_m, 0);
		rb[i].br_mark[0] = rc.br_done;
		printf("== (a) entries only, %" PRIu64 " records, run %d of "
		    "2\n", o->bo_m, i + 1);
		if ((err = bench_ingest_tmp(&ra[i], top, o->bo_commit,
		    o->bo_n)) != 0)
			return err;
		printf("== (b) entries + indexes, block layout (bits %u), %"
		    PRIu64 " records, run %d of 2\n", o->bo_bits, o->bo_m,
		    i + 1);
		if ((err = bench_ingest_tmp(&rb[i], top, o->bo_commit,
		    o->bo_n)) != 0)
			return err;
	}

	printf("== ingest ratios at %" PRIu64 " records, best of two for "
	    "(a) and (b)\n", o->bo_m);
	a = bench_best(&ra[0], &ra[1], -1);
	b = bench_best(&rb[0], &rb[1], -1);
	c = (double)rc.br_done / rc.br_store_s;
	printf("ingest_best_entries_records_per_s %.0f records/s\n", a);
	printf("ingest_best_block_records_per_s %.0f records/s\n", b);
	printf("ingest_plain_records_per_s %.0f records/s (%" PRIu64
	    " records%s)\n", c, rc.br_done, rc.br_capped ?
	    ", capped by time" : "");
	printf("ratio_indexed_block/entries_only %.2f (indexes cost %.0f%% "
	    "of throughput; target <= 40%%: %s)\n", b / a, (1 - b / a) * 100,
	    b / a >= 0.6 ? "met" : "MISSED");
	printf("ratio_indexed_plain/entries_only %.2f%s\n", c / a,
	    rc.br_capped ? " (plain over fewer records)" : "");
	if (rc.br_capped) {
		b = bench_best(&rb[0], &rb[1], 0);
		printf("ingest_best_block_first_%" PRIu64 "_records_per_s %.0f "
		    "records/s\n", rc.br_done, b);
	}
	printf("ratio_block/plain_layout %.2f (over the first %" PRIu64
	    " records of each)\n", b / c, rc.br_done);
	fflush(stdout);

	bench_run_init(&big_run, "block", 1, o->bo_bits, o->bo_n, 0);
	big_run.br_progress = 1;
	printf("== (b) entries + indexes, block layout (bits %u), %" PRIu64
	    " records: the store the queries use\n", o->bo_bits, o->bo_n);
	if ((err = bench_ingest(&big_run, big, o->bo_commit, o->bo_n)) != 0)
		return err;
	bench_run_print(&big_run);
	printf("ratio_indexed_block_%" PRIu64 "/best_entries_only %.2f\n",
	    o->bo_n, ((double)big_run.br_done / big_run.br_store_s) / a);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct store *s = NULL;
	struct store_info si;
	char top[BENCH_PATH], big[BENCH_PATH + 8];
	const char *store;
	uint64_t n;
	pid_t spid = -1;
	int to = -1, from = -1, rc, status = 1, made = 0;
	double t0 = bench_now();

	bench_opts(argc, argv, &o);
	if ((rc = bench_spawner_start(&to, &from, &spid)) != 0) {
		fprintf(stderr, "bench_query: spawner: %s\n", strerror(rc));
		return 1;
	}
	n = o.bo_n;
	store = o.bo_store;
	top[0] = '\0';
	if (store == NULL) {
		snprintf(top, sizeof(top), "%s/bench_query.XXXXXX", o.bo_dir);
		if (mkdtemp(top) == NULL) {
			fprintf(stderr, "bench_query: mkdtemp %s: %s\n", top,
			    strerror(errno));
			top[0] = '\0';
			goto done;
		}
		snprintf(big, sizeof(big), "%s/block", top);
		store = big;
	} else {
		if ((rc = store_open(&s, store, STORE_RDONLY, NULL)) != 0 ||
		    (rc = store_info(s, &si)) != 0) {
			fprintf(stderr, "bench_query: %s: %s\n", store,
			    store_strerror(rc));
			goto done;
		}
		store_close(s);
		n = si.si_entries;
	}
	if (n == 0 || bench_selfcheck(n) != 0)
		goto done;

	printf("== bench_query: %" PRIu64 " records, %lu per commit, stores "
	    "under %s\n", n, o.bo_commit, store == big ? top : store);
	printf("  data: 1,000,000 subjects zipf-ish (rank = 1e6 u^2), %d "
	    "algorithms uniform x %d versions, %d decisions skewed,\n"
	    "  %d days in log order +-2 s jitter (0.2%% up to 15 min late), "
	    "classes 90/9/1%%, %d producers,\n"
	    "  unique trace and decision ids, labels channel+region "
	    "(declared indexable) and experiment (40%%); no Merkle tree\n",
	    BENCH_ALGOS, BENCH_VERSIONS, BENCH_DECISIONS, BENCH_DAYS,
	    BENCH_PRODUCERS);
	fflush(stdout);
	if (store == big) {
		made = 1;
		if (bench_ingests(&o, top, big) != 0)
			goto done;
	}

	printf("== queries on the %" PRIu64 "-record block-layout store, "
	    "warm, %lu random keys each, 3 runs per key\n", n, o.bo_runs);
	fflush(stdout);
	if (bench_queries(store, n, o.bo_runs) != 0)
		goto done;

	printf("== peak RSS of the query as results grow\n");
	fflush(stdout);
	if (bench_rss(to, from, store, o.bo_cli) != 0)
		goto done;
	status = 0;
done:
	if (to != -1)
		close(to);
	if (from != -1)
		close(from);
	if (spid > 0)
		waitpid(spid, NULL, 0);
	if (made && o.bo_keep)
		printf("store kept at %s\n", big);
	else if (made) {
		bench_rmstore(big);
		rmdir(top);
	} else if (top[0] != '\0')
		rmdir(top);
	printf("bench_query_total_s %.1f s\n", bench_now() - t0);
	return status;
}
