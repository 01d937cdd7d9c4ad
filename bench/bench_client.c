/* SPDX-License-Identifier: ISC */
/*
 * bench_client.c: what algaudit_log() costs the application thread, and
 * how many records per second reach the daemon.
 *
 *	bench_client [-n records] [-t threads] [ENDPOINT]
 *
 * With an ENDPOINT (unix:PATH or tcp:HOST:PORT) it measures against
 * that daemon; without one it starts an in-process sink that answers
 * every batch with an Ack at once (what the client can do, not what the
 * store can). For 1 and for 4 application threads (or -t only) it
 * times every algaudit_log() call with clock_gettime() and prints the
 * median, p99, p99.9 and maximum, then the records per second from the
 * first call to the end of algaudit_flush(), and the memory of a handle.
 * It prints figures and asserts nothing.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algaudit.h"
#include "frame.h"

struct bench_thread {
	struct algaudit_client	*bt_c;
	size_t			 bt_n;
	uint32_t		*bt_ns;		/* per-call cost */
	int			 bt_errors;
};

struct bench_sink {
	int			 bs_listen;
	char			 bs_path[108];
	_Atomic int		 bs_stop;
	pthread_t		 bs_thread;
};

/* Returns CLOCK_MONOTONIC in nanoseconds. */
static uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads len bytes; -1 on EOF or when the sink stops. */
static int
bench_read(struct bench_sink *s, int fd, uint8_t *buf, size_t len)
{
	struct pollfd p;
	ssize_t n;

	while (len > 0) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 100) == 0) {
			if (atomic_load(&s->bs_stop))
				return -1;
			continue;
		}
		if ((n = read(fd, buf, len)) <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends a ServerFrame. */
static int
bench_send(int fd, Algaudit__V1__ServerFrame *sf)
{
	uint8_t buf[256];
	size_t n = frame_encode(&sf->base, buf);

	return send(fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* Serves one producer: Welcome, then an Ack for every Batch. */
static void
bench_serve(struct bench_sink *s, int fd, uint64_t *log_size)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Welcome w = ALGAUDIT__V1__WELCOME__INIT;
	Algaudit__V1__Ack a = ALGAUDIT__V1__ACK__INIT;
	Algaudit__V1__ClientFrame *cf;
	uint8_t hdr[4], *body = NULL;
	size_t cap = 0, n;
	uint32_t len;

	while (bench_read(s, fd, hdr, 4) == 0) {
		len = frame_body_len(hdr);
		if (len > cap) {
			free(body);
			cap = len;
			if ((body = malloc(cap)) == NULL)
				break;
		}
		if (bench_read(s, fd, body, len) == -1 ||
		    (cf = algaudit__v1__client_frame__unpack(NULL, len,
		    body)) == NULL)
			break;
		if (cf->msg_case == ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO) {
			w.has_protocol_version = 1;
			w.protocol_version = 1;
			w.has_log_size = 1;
			w.log_size = *log_size;
			sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME;
			sf.welcome = &w;
		} else {
			n = cf->batch->n_records;
			a.has_producer_seq = 1;
			a.producer_seq =
			    cf->batch->records[n - 1]->producer_seq;
			a.has_first_index = 1;
			a.first_index = *log_size;
			*log_size += n;
			a.has_log_size = 1;
			a.log_size = *log_size;
			a.has_stored = 1;
			a.stored = (uint32_t)n;
			sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ACK;
			sf.ack = &a;
		}
		algaudit__v1__client_frame__free_unpacked(cf, NULL);
		if (bench_send(fd, &sf) == -1)
			break;
	}
	free(body);
	close(fd);
}

/* The sink's thread: one connection at a time. */
static void *
bench_sink_main(void *arg)
{
	struct bench_sink *s = arg;
	struct pollfd p;
	uint64_t log_size = 0;
	int fd;

	while (!atomic_load(&s->bs_stop)) {
		p.fd = s->bs_listen;
		p.events = POLLIN;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((fd = accept(s->bs_listen, NULL, NULL)) != -1)
			bench_serve(s, fd, &log_size);
	}
	return NULL;
}

/* Starts the in-process sink; returns 0 or -1. */
static int
bench_sink_start(struct bench_sink *s)
{
	struct sockaddr_un sun;

	snprintf(s->bs_path, sizeof(s->bs_path), "/tmp/bench_client.%ld",
	    (long)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->bs_path, strlen(s->bs_path) + 1);
	unlink(s->bs_path);
	if ((s->bs_listen = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s->bs_listen, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s->bs_listen, 4) == -1) {
		perror("bench_client: sink");
		return -1;
	}
	atomic_store(&s->bs_stop, 0);
	return pthread_create(&s->bs_thread, NULL, bench_sink_main, s) == 0 ?
	    0 : -1;
}

/* Stops the sink. */
static void
bench_sink_stop(struct bench_sink *s)
{
	atomic_store(&s->bs_stop, 1);
	pthread_join(s->bs_thread, NULL);
	close(s->bs_listen);
	unlink(s->bs_path);
}

/* Builds a typical record: 4 inputs, 2 labels, a score, an explanation. */
static struct algaudit_record *
bench_record(void)
{
	struct algaudit_record *r;
	char subject[65];
	static const uint8_t key[16] = "bench-key-012345";

	if (algaudit_record_new(&r) != 0)
		return NULL;
	algaudit_subject_hash(key, sizeof(key), "customer-4711", subject);
	if (algaudit_record_set_algorithm(r, "credit-score", "2.4.1") != 0 ||
	    algaudit_record_set_algorithm_type(r,
	    ALGAUDIT_TYPE_SCHEDULING_DECISION) != 0 ||
	    algaudit_record_set_subject(r, subject) != 0 ||
	    algaudit_record_set_decision(r, "approve") != 0 ||
	    algaudit_record_set_score(r, 0.87) != 0 ||
	    algaudit_record_add_input_number(r, "income", 52000,
	    ALGAUDIT_CLASS_IMPORTANT) != 0 ||
	    algaudit_record_add_input_number(r, "debt_ratio", 0.31,
	    ALGAUDIT_CLASS_IMPORTANT) != 0 ||
	    algaudit_record_add_input_text(r, "region", "CN-31",
	    ALGAUDIT_CLASS_ORDINARY) != 0 ||
	    algaudit_record_add_input_bool(r, "existing_customer", 1,
	    ALGAUDIT_CLASS_ORDINARY) != 0 ||
	    algaudit_record_add_reason_code(r, "R12") != 0 ||
	    algaudit_record_set_automation(r, ALGAUDIT_FULLY_AUTOMATED) != 0 ||
	    algaudit_record_set_data_class(r, ALGAUDIT_CLASS_IMPORTANT) != 0 ||
	    algaudit_record_set_jurisdiction(r, "CN") != 0 ||
	    algaudit_record_set_purpose(r, "consumer credit") != 0 ||
	    algaudit_record_add_label(r, "channel", "app") != 0 ||
	    algaudit_record_add_label(r, "tenant", "t-17") != 0) {
		algaudit_record_free(r);
		return NULL;
	}
	return r;
}

/* An application thread: logs bt_n records, timing each call. */
static void *
bench_thread_main(void *arg)
{
	struct bench_thread *bt = arg;
	struct algaudit_record *r;
	uint64_t t0, t1;
	size_t i;

	if ((r = bench_record()) == NULL) {
		bt->bt_errors++;
		return NULL;
	}
	for (i = 0; i < bt->bt_n; i++) {
		t0 = bench_now_ns();
		if (algaudit_log(bt->bt_c, r) != 0)
			bt->bt_errors++;
		t1 = bench_now_ns();
		bt->bt_ns[i] = t1 - t0 > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)(t1 - t0);
	}
	algaudit_record_free(r);
	return NULL;
}

/* qsort comparator for uint32_t. */
static int
bench_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Returns the resident set size of this process in KiB. */
static long
bench_rss_kib(void)
{
	FILE *f;
	char line[256];
	long kib = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Logs per_thread records from each of nthreads threads through c and
 * flushes; fills all (nthreads * per_thread entries) with the per-call
 * cost. Returns the elapsed ns from the first call to the flush's end.
 */
static uint64_t
bench_burst(struct algaudit_client *c, int nthreads, size_t per_thread,
    uint32_t *all, int *errors)
{
	struct bench_thread bt[16];
	pthread_t th[16];
	uint64_t t0;
	int j, rc;

	t0 = bench_now_ns();
	for (j = 0; j < nthreads; j++) {
		bt[j].bt_c = c;
		bt[j].bt_n = per_thread;
		bt[j].bt_errors = 0;
		bt[j].bt_ns = all + (size_t)j * per_thread;
		pthread_create(&th[j], NULL, bench_thread_main, &bt[j]);
	}
	for (j = 0; j < nthreads; j++) {
		pthread_join(th[j], NULL);
		*errors += bt[j].bt_errors;
	}
	if ((rc = algaudit_flush(c, 120000)) != 0) {
		fprintf(stderr, "bench_client: flush: %s\n",
		    algaudit_strerror(rc));
		(*errors)++;
	}
	return bench_now_ns() - t0;
}

/* Prints the distribution of n per-call costs (sorts them). */
static void
bench_print(const char *what, int nthreads, uint32_t *all, size_t n,
    int errors)
{
	size_t i, k = 0;

	qsort(all, n, sizeof(*all), bench_cmp);
	for (i = 0; i < n; i++)
		k += all[i] > 5000;
	printf("algaudit_log, %s, %d thread%s, %zu calls: median %.2f us, "
	    "p99 %.2f us, p99.9 %.2f us, max %.1f us, %.2f%% above 5 us%s\n",
	    what, nthreads, nthreads > 1 ? "s" : "", n, all[n / 2] / 1000.0,
	    all[n * 99 / 100] / 1000.0, all[n * 999 / 1000] / 1000.0,
	    all[n - 1] / 1000.0, 100.0 * k / n,
	    errors > 0 ? " (with errors)" : "");
}

/*
 * Runs the measurements with nthreads application threads: first the
 * cost of a call when the queue has room (bursts that fit the queue,
 * each followed by a flush), then a sustained run of n records, where
 * calls also wait whenever the daemon is slower than the producers.
 */
static int
bench_run(const char *endpoint, int nthreads, size_t n)
{
	struct algaudit_client *c;
	uint32_t *all;
	uint64_t ns;
	size_t burst = 48000 / (size_t)nthreads, per = n / (size_t)nthreads;
	long rss0, rss1;
	char producer[64];
	int rc, errors = 0, round;

	snprintf(producer, sizeof(producer), "bench-%ld-%d", (long)getpid(),
	    nthreads);
	rss0 = bench_rss_kib();
	if ((rc = algaudit_open(endpoint, producer, NULL, &c)) != 0) {
		fprintf(stderr, "bench_client: open: %s\n",
		    algaudit_strerror(rc));
		return -1;
	}
	if ((all = calloc(per > burst * 5 ? per * (size_t)nthreads :
	    burst * 5 * (size_t)nthreads, sizeof(*all))) == NULL)
		return -1;
	for (round = 0; round < 5; round++)
		(void)bench_burst(c, nthreads, burst,
		    all + (size_t)round * burst * (size_t)nthreads, &errors);
	bench_print("queue with room", nthreads, all,
	    burst * 5 * (size_t)nthreads, errors);
	errors = 0;
	ns = bench_burst(c, nthreads, per, all, &errors);
	rss1 = bench_rss_kib();
	bench_print("sustained", nthreads, all, per * (size_t)nthreads,
	    errors);
	printf("  end to end: %.0f records/s (%zu records logged and "
	    "acknowledged), retried %llu\n", per * nthreads / (ns / 1e9),
	    per * (size_t)nthreads, (unsigned long long)algaudit_counter(c,
	    ALGAUDIT_COUNTER_RETRIED));
	printf("  memory: RSS grew %ld KiB with the handle open\n",
	    rss1 - rss0);
	free(all);
	algaudit_close(c);
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_sink sink;
	const char *endpoint = NULL;
	char ep[200];
	size_t n = 400000;
	int ch, threads = 0;

	while ((ch = getopt(argc, argv, "n:t:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_client [-n records] "
			    "[-t threads] [ENDPOINT]\n");
			return 2;
		}
	}
	if (optind < argc)
		endpoint = argv[optind];
	if (threads < 0 || threads > 16 || n == 0) {
		fprintf(stderr, "bench_client: -t 1..16, -n > 0\n");
		return 2;
	}
	if (endpoint == NULL) {
		if (bench_sink_start(&sink) == -1)
			return 1;
		snprintf(ep, sizeof(ep), "unix:%s", sink.bs_path);
		endpoint = ep;
		printf("bench_client: in-process sink (acks at once), %s\n",
		    ep);
	} else
		printf("bench_client: daemon at %s\n", endpoint);
	printf("handle memory (defaults): 65536 slots x 48 B = 3 MiB, a 32 "
	    "MiB byte ring (virtual; pages are touched as used), 64 KiB in, "
	    "up to ~1 MiB out\n");
	if (threads > 0)
		bench_run(endpoint, threads, n);
	else {
		bench_run(endpoint, 1, n);
		bench_run(endpoint, 4, n);
	}
	if (endpoint == ep)
		bench_sink_stop(&sink);
	return 0;
}
