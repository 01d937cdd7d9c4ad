/* SPDX-License-Identifier: ISC */
/*
 * itest_ledger.c: a producer that keeps a ledger of every record the
 * daemon acknowledged, the checker of such ledgers against a store, and
 * a readiness probe, for the fault tests (t_kill9.sh, t_overload.sh).
 *
 *   itest_ledger produce --connect EP --producer NAME --count N
 *       --ledger FILE [--rate R] [--queue RECORDS] [--block-timeout MS]
 *       [--flush-timeout S]
 *   itest_ledger check --store DIR [--exact] LEDGER...
 *   itest_ledger ready --connect EP --producer NAME [--timeout MS]
 *
 * produce: one thread logs decisions "NAME/0/n", n = 1 .. N, through the
 * public client API (the format itest_check knows), paced to R records
 * a second if asked, until N or SIGTERM/SIGINT. algaudit_log() waits up
 * to --block-timeout (default 60 s) for room in the queue; a record that
 * still finds it full (ALGAUDIT_EFULL) is refused: counted, never
 * retried, and n moves on. Another thread watches the handle's ACKED
 * counter and appends the decision id of each newly acknowledged record
 * to the ledger, one per line, flushing after each step. The counter
 * identifies them: the library resolves records strictly in the order
 * they were queued (client_resolve()), and one thread queues them, so
 * ACKED = k means that exactly the first k records queued are durable;
 * the logging thread notes the n of each queue position before it logs.
 * A record the daemon refused (REJECTED) would break that mapping and
 * fails the run. At the end it flushes (all queued records must be
 * acknowledged), completes the ledger and prints
 *
 *   ledger NAME attempted A queued Q refused R acked K rejected J
 *   reconnects C max_pending P
 *
 * (P: the most records seen queued and not yet acknowledged). Exit 0
 * when K = Q and J = 0.
 *
 * check: reads the store read-only, like itest_check. Fails when a
 * record of a ledger's producer is stored twice, when a ledger line is
 * not in the store or is in the ledgers twice, and with --exact when a
 * record of a ledger's producer is stored that its ledger does not list
 * (after a complete run: stored although the producer was told it was
 * refused). Prints "itest_ledger: N acknowledged records present exactly
 * once; M stored for their producers".
 *
 * ready: opens a handle with a 1 to 4 ms reconnect back-off and logs one
 * record (decision id "NAME", which itest_check ignores) with
 * algaudit_log_sync(): exits 0 once it is durable, i.e. once the daemon
 * accepts the connection, answers the Hello and commits. Prints
 * "ready MS" (milliseconds since the probe started).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algaudit.h"
#include "algaudit.pb-c.h"
#include "store.h"

#define LEDGER_MAX_PRODUCERS	64
#define LEDGER_NAME_MAX		128
#define LEDGER_N_BITS		48	/* n in the low bits of a key */

/* Set by SIGTERM and SIGINT: stop logging, flush, report. */
static volatile sig_atomic_t ledger_stop;

struct ledger {
	struct algaudit_client	*l_client;
	const char		*l_name;
	FILE			*l_out;		/* the ledger file */
	uint64_t		*l_pos_n;	/* queue position -> n */
	uint64_t		 l_count;
	atomic_uint_fast64_t	 l_queued;
	atomic_int		 l_done;	/* logging finished */
	uint64_t		 l_written;	/* ledger lines */
	uint64_t		 l_max_pending;
	int			 l_failed;	/* monitor: rejected, I/O */
};

/* A record of a ledger's producer found in the store. */
struct ledger_key {
	uint64_t	 lk_key;	/* producer slot << 48 | n */
	uint64_t	 lk_index;	/* log index (store) or line (ledger) */
};

/* Returns CLOCK_MONOTONIC in ns. */
static int64_t
ledger_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Signal handler: ask the logging loop to finish. */
static void
ledger_on_signal(int sig)
{
	(void)sig;
	ledger_stop = 1;
}

/* Fills rec with decision n of producer name; returns 0 or an error. */
static int
ledger_fill(struct algaudit_record *rec, const char *name, uint64_t n)
{
	char buf[LEDGER_NAME_MAX + 32];
	int rc;

	algaudit_record_reset(rec);
	snprintf(buf, sizeof(buf), "%s/0/%" PRIu64, name, n);
	if ((rc = algaudit_record_set_decision_id(rec, buf)) != 0 ||
	    (rc = algaudit_record_set_algorithm(rec, "itest.ledger", "v1"))
	    != 0 ||
	    (rc = algaudit_record_set_subject(rec, "subject-1")) != 0 ||
	    (rc = algaudit_record_set_decision(rec, n % 3 ? "approve" :
	    "deny")) != 0 ||
	    (rc = algaudit_record_add_input_number(rec, "income",
	    (double)(n * 7 % 100000), ALGAUDIT_CLASS_IMPORTANT)) != 0 ||
	    (rc = algaudit_record_add_reason_code(rec, "R12")) != 0 ||
	    (rc = algaudit_record_set_data_class(rec,
	    ALGAUDIT_CLASS_ORDINARY)) != 0)
		return rc;
	return 0;
}

/*
 * Writes the ledger lines of the records acknowledged since the last
 * call; returns -1 (and sets l_failed) when the daemon refused one or
 * the ledger cannot be written.
 */
static int
ledger_catch_up(struct ledger *l)
{
	uint64_t acked, pending, k;

	acked = algaudit_counter(l->l_client, ALGAUDIT_COUNTER_ACKED);
	pending = algaudit_counter(l->l_client, ALGAUDIT_COUNTER_PENDING);
	if (pending > l->l_max_pending)
		l->l_max_pending = pending;
	if (algaudit_counter(l->l_client, ALGAUDIT_COUNTER_REJECTED) > 0) {
		fprintf(stderr, "itest_ledger: %s: the daemon rejected a "
		    "record\n", l->l_name);
		l->l_failed = 1;
		return -1;
	}
	if (acked > l->l_count) {
		fprintf(stderr, "itest_ledger: %s: %" PRIu64 " acknowledged, "
		    "more than the %" PRIu64 " logged\n", l->l_name, acked,
		    l->l_count);
		l->l_failed = 1;
		return -1;
	}
	if (acked == l->l_written)
		return 0;
	for (k = l->l_written; k < acked; k++)
		fprintf(l->l_out, "%s/0/%" PRIu64 "\n", l->l_name,
		    l->l_pos_n[k]);
	l->l_written = acked;
	if (fflush(l->l_out) != 0) {
		fprintf(stderr, "itest_ledger: ledger: %s\n", strerror(errno));
		l->l_failed = 1;
		return -1;
	}
	return 0;
}

/* Monitor thread: keeps the ledger up with the ACKED counter. */
static void *
ledger_monitor_main(void *arg)
{
	struct ledger *l = arg;
	struct timespec pause = { 0, 1000000 };

	while (!atomic_load(&l->l_done)) {
		if (ledger_catch_up(l) == -1)
			break;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/*
 * Logs records 1..count (or until a signal); returns how many were
 * attempted, or sets *failed when one could not be.
 */
static uint64_t
ledger_log_all(struct ledger *l, uint64_t rate, uint64_t *refused,
    int *failed)
{
	struct algaudit_record *rec;
	struct timespec pause;
	int64_t start, due, ahead;
	uint64_t n, q;
	int rc;

	*refused = 0;
	*failed = 1;
	if (algaudit_record_new(&rec) != 0)
		return 0;
	start = ledger_now();
	for (n = 1; n <= l->l_count && !ledger_stop; n++) {
		if (rate > 0) {
			due = start + (int64_t)(n * 1000000000 / rate);
			if ((ahead = due - ledger_now()) > 50000) {
				pause.tv_sec = ahead / 1000000000;
				pause.tv_nsec = ahead % 1000000000;
				nanosleep(&pause, NULL);
			}
		}
		if ((rc = ledger_fill(rec, l->l_name, n)) != 0) {
			fprintf(stderr, "itest_ledger: record %" PRIu64
			    ": %s\n", n, algaudit_strerror(rc));
			goto out;
		}
		/* Noted before the call: the Ack may beat its return. */
		q = atomic_load(&l->l_queued);
		l->l_pos_n[q] = n;
		rc = algaudit_log(l->l_client, rec);
		if (rc == ALGAUDIT_EFULL) {
			(*refused)++;
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "itest_ledger: log %" PRIu64
			    ": %s\n", n, algaudit_strerror(rc));
			goto out;
		}
		atomic_store(&l->l_queued, q + 1);
	}
	*failed = 0;
out:
	algaudit_record_free(rec);
	return n - 1;
}

static void __attribute__((noreturn))
ledger_usage(void)
{
	fprintf(stderr, "usage: itest_ledger produce --connect EP --producer "
	    "NAME --count N --ledger FILE [--rate R] [--queue RECORDS] "
	    "[--block-timeout MS] [--flush-timeout S]\n"
	    "       itest_ledger check --store DIR [--exact] LEDGER...\n"
	    "       itest_ledger ready --connect EP --producer NAME "
	    "[--timeout MS]\n");
	exit(2);
}

/* The produce command; see the file comment. */
static int
ledger_produce(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "producer", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "queue", required_argument, NULL, 'q' },
		{ "block-timeout", required_argument, NULL, 'b' },
		{ "flush-timeout", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct ledger l;
	struct algaudit_options *opts = NULL;
	struct sigaction sa;
	pthread_t mon;
	const char *endpoint = NULL, *path = NULL;
	uint64_t rate = 0, queue = 0, attempted, refused, queued, acked;
	uint32_t block_ms = 60000, flush_s = 120;
	int ch, rc, ret = 1, started = 0, failed;

	memset(&l, 0, sizeof(l));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': endpoint = optarg; break;
		case 'p': l.l_name = optarg; break;
		case 'n': l.l_count = strtoull(optarg, NULL, 10); break;
		case 'l': path = optarg; break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'q': queue = strtoull(optarg, NULL, 10); break;
		case 'b': block_ms = (uint32_t)atoi(optarg); break;
		case 'f': flush_s = (uint32_t)atoi(optarg); break;
		default: ledger_usage();
		}
	}
	if (endpoint == NULL || l.l_name == NULL || path == NULL ||
	    l.l_count == 0 || strlen(l.l_name) >= LEDGER_NAME_MAX ||
	    strchr(l.l_name, '/') != NULL || block_ms == 0)
		ledger_usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ledger_on_signal;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return 1;
	if ((l.l_pos_n = calloc(l.l_count, sizeof(*l.l_pos_n))) == NULL ||
	    (l.l_out = fopen(path, "w")) == NULL) {
		fprintf(stderr, "itest_ledger: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if (algaudit_options_new(&opts) != 0)
		goto out;
	if ((rc = algaudit_options_set_close_timeout(opts, flush_s * 1000))
	    != 0 ||
	    (queue > 0 && (rc = algaudit_options_set_queue(opts, queue,
	    64 * 1024 * 1024)) != 0) ||
	    (rc = algaudit_options_set_overflow(opts, ALGAUDIT_OVERFLOW_BLOCK,
	    block_ms)) != 0) {
		fprintf(stderr, "itest_ledger: options: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if ((rc = algaudit_open(endpoint, l.l_name, opts, &l.l_client)) != 0) {
		fprintf(stderr, "itest_ledger: open: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if (pthread_create(&mon, NULL, ledger_monitor_main, &l) != 0)
		goto out;
	started = 1;
	attempted = ledger_log_all(&l, rate, &refused, &failed);
	rc = algaudit_flush(l.l_client, flush_s * 1000);
	atomic_store(&l.l_done, 1);
	pthread_join(mon, NULL);
	started = 0;
	if (!l.l_failed)
		(void)ledger_catch_up(&l);
	queued = atomic_load(&l.l_queued);
	acked = algaudit_counter(l.l_client, ALGAUDIT_COUNTER_ACKED);
	printf("ledger %s attempted %" PRIu64 " queued %" PRIu64 " refused %"
	    PRIu64 " acked %" PRIu64 " rejected %" PRIu64 " reconnects %"
	    PRIu64 " max_pending %" PRIu64 "\n", l.l_name, attempted, queued,
	    refused, acked,
	    algaudit_counter(l.l_client, ALGAUDIT_COUNTER_REJECTED),
	    algaudit_counter(l.l_client, ALGAUDIT_COUNTER_RECONNECTS),
	    l.l_max_pending);
	if (rc != 0) {
		fprintf(stderr, "itest_ledger: flush: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	if (l.l_failed || failed)
		goto out;
	if (acked != queued || l.l_written != acked ||
	    attempted != queued + refused) {
		fprintf(stderr, "itest_ledger: %s: %" PRIu64 " queued, %" PRIu64
		    " acknowledged, %" PRIu64 " in the ledger\n", l.l_name,
		    queued, acked, l.l_written);
		goto out;
	}
	ret = 0;
out:
	if (started) {
		atomic_store(&l.l_done, 1);
		pthread_join(mon, NULL);
	}
	rc = algaudit_close(l.l_client);
	if (rc != 0 && ret == 0) {
		fprintf(stderr, "itest_ledger: close: %s\n",
		    algaudit_strerror(rc));
		ret = 1;
	}
	if (l.l_out != NULL && fclose(l.l_out) != 0 && ret == 0) {
		fprintf(stderr, "itest_ledger: %s: %s\n", path,
		    strerror(errno));
		ret = 1;
	}
	algaudit_options_free(opts);
	free(l.l_pos_n);
	return ret;
}

/* The slot of producer name in names (added if new); -1 if full. */
static int
ledger_slot(char names[][LEDGER_NAME_MAX], int *n, const char *name,
    int add)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	if (!add || *n == LEDGER_MAX_PRODUCERS)
		return -1;
	snprintf(names[*n], LEDGER_NAME_MAX, "%s", name);
	return (*n)++;
}

/*
 * Splits a decision id "NAME/0/N" into name (LEDGER_NAME_MAX bytes) and
 * n; returns -1 when it has another form.
 */
static int
ledger_parse_id(const char *id, char *name, uint64_t *n)
{
	const char *slash;
	char *end;
	size_t len;

	if ((slash = strchr(id, '/')) == NULL ||
	    (len = (size_t)(slash - id)) == 0 || len >= LEDGER_NAME_MAX ||
	    strncmp(slash, "/0/", 3) != 0 || slash[3] < '1' || slash[3] > '9')
		return -1;
	errno = 0;
	*n = strtoull(slash + 3, &end, 10);
	if (errno != 0 || *end != '\0' || *n >= (uint64_t)1 << LEDGER_N_BITS)
		return -1;
	memcpy(name, id, len);
	name[len] = '\0';
	return 0;
}

/* qsort comparison of ledger keys: by key, then index. */
static int
ledger_key_cmp(const void *a, const void *b)
{
	const struct ledger_key *x = a, *y = b;

	if (x->lk_key != y->lk_key)
		return x->lk_key < y->lk_key ? -1 : 1;
	return x->lk_index < y->lk_index ? -1 : x->lk_index > y->lk_index;
}

/* Appends k to the growing array *v of *n (capacity *cap); -1: no memory. */
static int
ledger_push(struct ledger_key **v, size_t *n, size_t *cap,
    const struct ledger_key *k)
{
	struct ledger_key *nv;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 65536;
		if ((nv = realloc(*v, ncap * sizeof(**v))) == NULL)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *k;
	return 0;
}

/* Prints the decision id of key k. */
static void
ledger_print_id(FILE *f, char names[][LEDGER_NAME_MAX], uint64_t k)
{
	fprintf(f, "%s/0/%" PRIu64, names[k >> LEDGER_N_BITS],
	    k & (((uint64_t)1 << LEDGER_N_BITS) - 1));
}

/* Reads the ledger files into led; fills names. Returns 0 or -1. */
static int
ledger_read(char **files, int nfiles, char names[][LEDGER_NAME_MAX],
    int *nnames, struct ledger_key **led, size_t *nled)
{
	struct ledger_key k;
	char line[512], name[LEDGER_NAME_MAX];
	size_t cap = 0, len;
	uint64_t n, lineno;
	FILE *f;
	int i, slot;

	for (i = 0; i < nfiles; i++) {
		if ((f = fopen(files[i], "r")) == NULL) {
			fprintf(stderr, "itest_ledger: %s: %s\n", files[i],
			    strerror(errno));
			return -1;
		}
		for (lineno = 1; fgets(line, sizeof(line), f) != NULL;
		    lineno++) {
			len = strlen(line);
			if (len == 0 || line[len - 1] != '\n') {
				fprintf(stderr, "itest_ledger: %s:%" PRIu64
				    ": line not terminated\n", files[i],
				    lineno);
				fclose(f);
				return -1;
			}
			line[len - 1] = '\0';
			if (ledger_parse_id(line, name, &n) == -1 ||
			    (slot = ledger_slot(names, nnames, name, 1))
			    == -1) {
				fprintf(stderr, "itest_ledger: %s:%" PRIu64
				    ": not a decision id NAME/0/N: '%s'\n",
				    files[i], lineno, line);
				fclose(f);
				return -1;
			}
			k.lk_key = (uint64_t)slot << LEDGER_N_BITS | n;
			k.lk_index = lineno;
			if (ledger_push(led, nled, &cap, &k) == -1) {
				fclose(f);
				return -1;
			}
		}
		if (ferror(f)) {
			fprintf(stderr, "itest_ledger: %s: read error\n",
			    files[i]);
			fclose(f);
			return -1;
		}
		fclose(f);
	}
	return 0;
}

/*
 * Reads the store's records of the producers in names into st. Returns
 * 0 or -1 after saying why.
 */
static int
ledger_read_store(const char *dir, char names[][LEDGER_NAME_MAX],
    int nnames, struct ledger_key **st, size_t *nst)
{
	struct store *s = NULL;
	struct store_iter *it = NULL;
	Algaudit__V1__Entry *e;
	struct ledger_key k;
	const void *buf;
	char name[LEDGER_NAME_MAX];
	size_t len, cap = 0;
	uint64_t idx, n;
	int rc, slot, ret = -1;

	if ((rc = store_open(&s, dir, STORE_RDONLY, NULL)) != 0 ||
	    (rc = store_iter_open(s, 0, &it)) != 0) {
		fprintf(stderr, "itest_ledger: %s: %s\n", dir,
		    store_strerror(rc));
		goto out;
	}
	while ((rc = store_iter_next(it, &idx, &buf, &len)) == 0) {
		if ((e = algaudit__v1__entry__unpack(NULL, len, buf)) ==
		    NULL || e->record == NULL) {
			fprintf(stderr, "itest_ledger: entry %" PRIu64 " does "
			    "not decode\n", idx);
			if (e != NULL)
				algaudit__v1__entry__free_unpacked(e, NULL);
			goto out;
		}
		slot = -1;
		if (e->record->decision_id != NULL &&
		    ledger_parse_id(e->record->decision_id, name, &n) == 0)
			slot = ledger_slot(names, &nnames, name, 0);
		if (slot >= 0 && strcmp(e->producer_id, name) != 0) {
			fprintf(stderr, "itest_ledger: entry %" PRIu64 ": %s "
			    "stored for producer %s\n", idx,
			    e->record->decision_id, e->producer_id);
			algaudit__v1__entry__free_unpacked(e, NULL);
			goto out;
		}
		algaudit__v1__entry__free_unpacked(e, NULL);
		if (slot < 0)
			continue;
		k.lk_key = (uint64_t)slot << LEDGER_N_BITS | n;
		k.lk_index = idx;
		if (ledger_push(st, nst, &cap, &k) == -1)
			goto out;
	}
	if (rc != STORE_ENOTFOUND) {
		fprintf(stderr, "itest_ledger: %s: %s\n", dir,
		    store_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	store_iter_close(it);
	store_close(s);
	return ret;
}

/* Returns 1 if key is in the sorted array v of n. */
static int
ledger_has(const struct ledger_key *v, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid].lk_key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].lk_key == key;
}

/* The check command; see the file comment. */
static int
ledger_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "exact", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 }
	};
	static char names[LEDGER_MAX_PRODUCERS][LEDGER_NAME_MAX];
	struct ledger_key *led = NULL, *st = NULL;
	const char *dir = NULL;
	size_t nled = 0, nst = 0, i;
	int ch, exact = 0, nnames = 0, ret = 1;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': dir = optarg; break;
		case 'x': exact = 1; break;
		default: ledger_usage();
		}
	}
	if (dir == NULL || optind >= argc)
		ledger_usage();
	if (ledger_read(argv + optind, argc - optind, names, &nnames, &led,
	    &nled) == -1 ||
	    ledger_read_store(dir, names, nnames, &st, &nst) == -1)
		goto out;
	qsort(led, nled, sizeof(*led), ledger_key_cmp);
	qsort(st, nst, sizeof(*st), ledger_key_cmp);
	for (i = 1; i < nled; i++)
		if (led[i].lk_key == led[i - 1].lk_key) {
			fprintf(stderr, "itest_ledger: ");
			ledger_print_id(stderr, names, led[i].lk_key);
			fprintf(stderr, " acknowledged twice (ledger lines %"
			    PRIu64 " and %" PRIu64 ")\n", led[i - 1].lk_index,
			    led[i].lk_index);
			goto out;
		}
	for (i = 1; i < nst; i++)
		if (st[i].lk_key == st[i - 1].lk_key) {
			fprintf(stderr, "itest_ledger: ");
			ledger_print_id(stderr, names, st[i].lk_key);
			fprintf(stderr, " stored twice: entries %" PRIu64
			    " and %" PRIu64 "\n", st[i - 1].lk_index,
			    st[i].lk_index);
			goto out;
		}
	for (i = 0; i < nled; i++)
		if (!ledger_has(st, nst, led[i].lk_key)) {
			fprintf(stderr, "itest_ledger: ");
			ledger_print_id(stderr, names, led[i].lk_key);
			fprintf(stderr, " was acknowledged but is not in the "
			    "store\n");
			goto out;
		}
	for (i = 0; exact && i < nst; i++)
		if (!ledger_has(led, nled, st[i].lk_key)) {
			fprintf(stderr, "itest_ledger: ");
			ledger_print_id(stderr, names, st[i].lk_key);
			fprintf(stderr, " is stored (entry %" PRIu64 ") but "
			    "its producer's ledger does not list it\n",
			    st[i].lk_index);
			goto out;
		}
	printf("itest_ledger: %zu acknowledged records present exactly once; "
	    "%zu stored for their %d producers\n", nled, nst, nnames);
	ret = 0;
out:
	free(led);
	free(st);
	return ret;
}

/* The ready command; see the file comment. */
static int
ledger_ready(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "producer", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct algaudit_options *opts = NULL;
	struct algaudit_client *c = NULL;
	struct algaudit_record *rec = NULL;
	const char *endpoint = NULL, *name = NULL;
	uint32_t timeout_ms = 10000;
	int64_t start = ledger_now();
	int ch, rc, ret = 1;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': endpoint = optarg; break;
		case 'p': name = optarg; break;
		case 't': timeout_ms = (uint32_t)atoi(optarg); break;
		default: ledger_usage();
		}
	}
	if (endpoint == NULL || name == NULL || timeout_ms == 0)
		ledger_usage();
	if ((rc = algaudit_options_new(&opts)) != 0 ||
	    (rc = algaudit_options_set_backoff(opts, 1, 4)) != 0 ||
	    (rc = algaudit_options_set_close_timeout(opts, timeout_ms)) != 0 ||
	    (rc = algaudit_record_new(&rec)) != 0 ||
	    (rc = algaudit_record_set_decision_id(rec, name)) != 0 ||
	    (rc = algaudit_record_set_algorithm(rec, "itest.ready", "v1"))
	    != 0 ||
	    (rc = algaudit_record_set_decision(rec, "ready")) != 0 ||
	    (rc = algaudit_record_set_data_class(rec,
	    ALGAUDIT_CLASS_ORDINARY)) != 0 ||
	    (rc = algaudit_open(endpoint, name, opts, &c)) != 0 ||
	    (rc = algaudit_log_sync(c, rec, timeout_ms, NULL)) != 0) {
		fprintf(stderr, "itest_ledger: ready: %s\n",
		    algaudit_strerror(rc));
		goto out;
	}
	printf("ready %.1f\n", (ledger_now() - start) / 1e6);
	ret = 0;
out:
	if (algaudit_close(c) != 0)
		ret = 1;
	algaudit_record_free(rec);
	algaudit_options_free(opts);
	return ret;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		ledger_usage();
	if (strcmp(argv[1], "produce") == 0)
		return ledger_produce(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return ledger_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "ready") == 0)
		return ledger_ready(argc - 1, argv + 1);
	ledger_usage();
}
