/* SPDX-License-Identifier: ISC */
/*
 * metrics.c: the daemon's counters and their Prometheus endpoint.
 *
 * The event loop counts what it sees (frames and records received,
 * batches refused by error code, Error frames sent) through the
 * metrics_*() hooks that conn.c calls; those counters are plain
 * integers, touched by the loop thread only. The writer thread keeps
 * its own as atomics (writer_get_stats()), among them the entries it
 * stored with the clock-skew flag (writer_clock_skew()), so that the
 * metric counts exactly the flagged entries, not duplicates or batches
 * that were never stored. A scrape runs on the loop:
 * metrics_snapshot() copies everything into a struct metrics_snap, and
 * metrics_format(), a pure function of that snapshot, writes the text
 * exposition format (version 0.0.4: # HELP and # TYPE lines, one sample
 * a line). The format is documented metric by metric in
 * docs/OPERATIONS.md.
 *
 * With --metrics HOST:PORT the loop also serves GET /metrics over HTTP
 * (libevent's evhttp, on the daemon's event loop). The address must be
 * a loopback one unless --metrics-allow-remote is set: the endpoint has
 * no authentication. It is off by default. This file never touches the
 * store or a producer connection.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "daemon.h"
#include "log.h"

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_PATH		"/metrics"
#define METRICS_HTTP_TIMEOUT	10	/* s: a scraper's whole request */
#define METRICS_HEADERS_MAX	8192	/* bytes of request headers */
#define METRICS_BODY_MAX	1024	/* bytes of request body */
#define METRICS_PAUSE_SEC	1	/* accept paused after EMFILE */

/* The daemon's counters and the HTTP endpoint; loop thread only. */
struct metrics {
	int64_t		 m_start_ns;	/* wall clock at start */
	uint64_t	 m_recv_bytes;
	uint64_t	 m_recv_batches;
	uint64_t	 m_recv_records;
	uint64_t	 m_rejected[METRICS_NCODES];	/* records */
	uint64_t	 m_errors[METRICS_NCODES];	/* Error frames */
	uint64_t	 m_scrapes;
	uint64_t	 m_tls_failed;	/* TLS handshakes that failed */
	struct evhttp	*m_http;
};

/* One histogram bound: the value compared and its `le` label. */
struct metrics_bound {
	uint64_t	 mb_value;
	const char	*mb_le;
};

/* Commit latency bounds, in ns. */
static const struct metrics_bound metrics_lat_bounds[] = {
	{ 500000, "0.0005" }, { 1000000, "0.001" }, { 2000000, "0.002" },
	{ 5000000, "0.005" }, { 10000000, "0.01" }, { 20000000, "0.02" },
	{ 50000000, "0.05" }, { 100000000, "0.1" }, { 200000000, "0.2" },
	{ 500000000, "0.5" }, { 1000000000, "1" }, { 2000000000, "2" },
	{ 5000000000, "5" }
};

/* Records per commit bounds. */
static const struct metrics_bound metrics_rec_bounds[] = {
	{ 1, "1" }, { 2, "2" }, { 4, "4" }, { 8, "8" }, { 16, "16" },
	{ 64, "64" }, { 256, "256" }, { 1024, "1024" }, { 4096, "4096" },
	{ 16384, "16384" }, { 65536, "65536" }
};

_Static_assert(sizeof(metrics_lat_bounds) / sizeof(metrics_lat_bounds[0])
    == WRITER_LAT_NB, "WRITER_LAT_NB and metrics_lat_bounds differ");
_Static_assert(sizeof(metrics_rec_bounds) / sizeof(metrics_rec_bounds[0])
    == WRITER_REC_NB, "WRITER_REC_NB and metrics_rec_bounds differ");

/* Returns the bucket of v among n bounds: n means above all (+Inf). */
static size_t
metrics_bucket(const struct metrics_bound *b, size_t n, uint64_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v <= b[i].mb_value)
			return i;
	return n;
}

/* Returns the commit-latency bucket of ns (WRITER_LAT_NB: +Inf). */
size_t
metrics_lat_bucket(uint64_t ns)
{
	return metrics_bucket(metrics_lat_bounds, WRITER_LAT_NB, ns);
}

/* Returns the records-per-commit bucket of n (WRITER_REC_NB: +Inf). */
size_t
metrics_rec_bucket(uint64_t n)
{
	return metrics_bucket(metrics_rec_bounds, WRITER_REC_NB, n);
}

/* Returns the wall-clock time in ns since the epoch. */
static int64_t
metrics_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Creates d's counters (the endpoint waits for metrics_start()). */
int
metrics_new(struct daemon *d)
{
	struct metrics *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_warn("metrics");
		return -1;
	}
	m->m_start_ns = metrics_now_ns();
	d->d_metrics = m;
	return 0;
}

/* Frees the counters and closes the endpoint; NULL-safe. */
void
metrics_free(struct daemon *d)
{
	struct metrics *m = d->d_metrics;

	if (m == NULL)
		return;
	if (m->m_http != NULL)
		evhttp_free(m->m_http);
	free(m);
	d->d_metrics = NULL;
}

/* Counts a frame of len bytes (header included) read from a producer. */
void
metrics_frame(struct daemon *d, size_t len)
{
	if (d->d_metrics != NULL)
		d->d_metrics->m_recv_bytes += len;
}

/*
 * Counts a batch handed to the writer and its records (clock skew is
 * counted by the writer on what it stores: writer_clock_skew()).
 */
void
metrics_batch(struct daemon *d, const Algaudit__V1__Batch *batch)
{
	struct metrics *m = d->d_metrics;

	if (m == NULL)
		return;
	m->m_recv_batches++;
	m->m_recv_records += batch->n_records;
}

/* Counts n records of a batch answered with Error code. */
void
metrics_rejected(struct daemon *d, int code, size_t n)
{
	if (d->d_metrics == NULL)
		return;
	if (code < 0 || code >= METRICS_NCODES)
		code = 0;
	d->d_metrics->m_rejected[code] += n;
}

/* Counts an Error frame with code sent to a producer. */
void
metrics_error(struct daemon *d, int code)
{
	if (d->d_metrics == NULL)
		return;
	if (code < 0 || code >= METRICS_NCODES)
		code = 0;
	d->d_metrics->m_errors[code]++;
}

/* Counts a TLS handshake that failed (the peer was refused). */
void
metrics_tls_failed(struct daemon *d)
{
	if (d->d_metrics != NULL)
		d->d_metrics->m_tls_failed++;
}

/* Copies every counter and gauge of d into ms (loop thread). */
void
metrics_snapshot(struct daemon *d, struct metrics_snap *ms)
{
	struct metrics *m = d->d_metrics;

	memset(ms, 0, sizeof(*ms));
	ms->ms_now_ns = metrics_now_ns();
	if (m != NULL) {
		ms->ms_start_ns = m->m_start_ns;
		ms->ms_recv_bytes = m->m_recv_bytes;
		ms->ms_recv_batches = m->m_recv_batches;
		ms->ms_recv_records = m->m_recv_records;
		memcpy(ms->ms_rejected, m->m_rejected,
		    sizeof(ms->ms_rejected));
		memcpy(ms->ms_errors, m->m_errors, sizeof(ms->ms_errors));
		ms->ms_scrapes = m->m_scrapes;
		ms->ms_tls_failed = m->m_tls_failed;
	}
	ms->ms_shed = d->d_shed;
	ms->ms_skew_s = d->d_cfg.cf_clock_skew;
	ms->ms_accepted = d->d_next_conn_id;
	conn_count(d, ms->ms_conns, &ms->ms_paused);
	ms->ms_pending_bytes = d->d_pending;
	ms->ms_pending_batches = d->d_inflight;
	ms->ms_pending_limit = d->d_cfg.cf_max_pending;
	if (d->d_writer != NULL)
		writer_get_stats(d->d_writer, &ms->ms_w);
	ms->ms_skew[0] = ms->ms_w.ws_skew[0];
	ms->ms_skew[1] = ms->ms_w.ws_skew[1];
}

/* Writes the # HELP and # TYPE lines of a family. */
static void
metrics_head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes one family with one unlabelled integer sample. */
static void
metrics_one(FILE *fp, const char *name, const char *type, const char *help,
    uint64_t v)
{
	metrics_head(fp, name, type, help);
	fprintf(fp, "%s %" PRIu64 "\n", name, v);
}

/* Writes one family with one unlabelled sample given as a double. */
static void
metrics_one_f(FILE *fp, const char *name, const char *type,
    const char *help, double v)
{
	metrics_head(fp, name, type, help);
	fprintf(fp, "%s %.6f\n", name, v);
}

/*
 * Writes a histogram from per-bucket counts (n bounds, then +Inf) and
 * the sum as text; _count is the total of the buckets, so it always
 * equals the +Inf bucket.
 */
static void
metrics_hist(FILE *fp, const char *name, const char *help,
    const struct metrics_bound *b, size_t n, const uint64_t *counts,
    double sum)
{
	uint64_t cum = 0;
	size_t i;

	metrics_head(fp, name, "histogram", help);
	for (i = 0; i < n; i++) {
		cum += counts[i];
		fprintf(fp, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name,
		    b[i].mb_le, cum);
	}
	cum += counts[n];
	fprintf(fp, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
	fprintf(fp, "%s_sum %.9f\n", name, sum);
	fprintf(fp, "%s_count %" PRIu64 "\n", name, cum);
}

/* Writes a counter family with one sample per known error code. */
static void
metrics_by_code(FILE *fp, const char *name, const char *help,
    const uint64_t *counts)
{
	int code;

	metrics_head(fp, name, "counter", help);
	for (code = 1; code < METRICS_NCODES; code++)
		if (strcmp(frame_strerror_code(code), "UNKNOWN") != 0)
			fprintf(fp, "%s{code=\"%s\"} %" PRIu64 "\n", name,
			    frame_strerror_code(code), counts[code]);
}

/* Writes the loop's families: reception, refusals, connections. */
static void
metrics_format_loop(const struct metrics_snap *ms, FILE *fp)
{
	static const char *const states[CONN_STATE_MAX] = {
		"hello", "active", "draining", "closed"
	};
	int code;

	metrics_one(fp, "algaudit_received_bytes_total", "counter",
	    "Bytes of frames read from producers, headers included.",
	    ms->ms_recv_bytes);
	metrics_one(fp, "algaudit_received_batches_total", "counter",
	    "Valid batches handed to the writer.", ms->ms_recv_batches);
	metrics_one(fp, "algaudit_received_records_total", "counter",
	    "Records in valid batches handed to the writer.",
	    ms->ms_recv_records);
	metrics_by_code(fp, "algaudit_rejected_records_total",
	    "Records of batches answered with an Error instead of an Ack, "
	    "by error code.", ms->ms_rejected);
	metrics_by_code(fp, "algaudit_errors_sent_total",
	    "Error frames sent to producers, by error code.", ms->ms_errors);
	metrics_head(fp, "algaudit_clock_skew_records_total", "counter",
	    "Entries stored with the clock-skew flag: the record's event time "
	    "more than the threshold in force at its receipt ahead of or "
	    "behind its receive time.");
	fprintf(fp, "algaudit_clock_skew_records_total{direction=\"ahead\"} %"
	    PRIu64 "\n", ms->ms_skew[0]);
	fprintf(fp, "algaudit_clock_skew_records_total{direction=\"behind\"} "
	    "%" PRIu64 "\n", ms->ms_skew[1]);
	metrics_one(fp, "algaudit_clock_skew_threshold_seconds", "gauge",
	    "The clock-skew threshold in force.", ms->ms_skew_s);
	metrics_one(fp, "algaudit_connections_accepted_total", "counter",
	    "Producer connections accepted.", ms->ms_accepted);
	metrics_one(fp, "algaudit_connections_shed_total", "counter",
	    "Connections accepted on the reserve descriptor and closed at "
	    "once because descriptors ran out.", ms->ms_shed);
	metrics_one(fp, "algaudit_tls_handshake_failures_total", "counter",
	    "TLS handshakes that failed: no or an invalid client "
	    "certificate, an old TLS version, or not TLS.", ms->ms_tls_failed);
	metrics_head(fp, "algaudit_connections", "gauge",
	    "Producer connections by state (closed: socket gone, batches "
	    "still with the writer).");
	for (code = 0; code < CONN_STATE_MAX; code++)
		fprintf(fp, "algaudit_connections{state=\"%s\"} %" PRIu64 "\n",
		    states[code], ms->ms_conns[code]);
	metrics_one(fp, "algaudit_connections_paused", "gauge",
	    "Connections not being read (back-pressure).", ms->ms_paused);
	metrics_one(fp, "algaudit_pending_batches", "gauge",
	    "Batches received and not yet committed or refused.",
	    ms->ms_pending_batches);
	metrics_one(fp, "algaudit_pending_bytes", "gauge",
	    "Memory held by those batches.", ms->ms_pending_bytes);
	metrics_one(fp, "algaudit_pending_bytes_limit", "gauge",
	    "max-pending: above it producers are not read.",
	    ms->ms_pending_limit);
}

/* Writes the writer's families: commits, failures, latency. */
static void
metrics_format_writer(const struct metrics_snap *ms, FILE *fp)
{
	static const char *const fails[WRITER_FAIL_MAX] = {
		"full", "max_size", "io", "unavailable", "other"
	};
	const struct writer_stats *ws = &ms->ms_w;
	int i;

	metrics_one(fp, "algaudit_commits_total", "counter",
	    "Transactions committed durably.", ws->ws_commits);
	metrics_one(fp, "algaudit_committed_batches_total", "counter",
	    "Batches acknowledged after a commit.", ws->ws_batches);
	metrics_one(fp, "algaudit_committed_records_total", "counter",
	    "Records stored as new entries.", ws->ws_records);
	metrics_one(fp, "algaudit_committed_duplicates_total", "counter",
	    "Records acknowledged as duplicates (already durable), not "
	    "stored again.", ws->ws_duplicates);
	metrics_one(fp, "algaudit_committed_bytes_total", "counter",
	    "Bytes of entries stored (before LMDB's overhead).",
	    ws->ws_bytes);
	metrics_head(fp, "algaudit_commit_failures_total", "counter",
	    "Groups of batches not committed, by reason; none of their "
	    "records was acknowledged.");
	for (i = 0; i < WRITER_FAIL_MAX; i++)
		fprintf(fp, "algaudit_commit_failures_total{reason=\"%s\"} %"
		    PRIu64 "\n", fails[i], ws->ws_failures[i]);
	metrics_hist(fp, "algaudit_commit_duration_seconds",
	    "Time to write and durably commit one transaction.",
	    metrics_lat_bounds, WRITER_LAT_NB, ws->ws_lat,
	    (double)ws->ws_lat_sum_ns / 1e9);
	metrics_hist(fp, "algaudit_commit_records",
	    "Records (new and duplicate) per committed transaction.",
	    metrics_rec_bounds, WRITER_REC_NB, ws->ws_recs,
	    (double)ws->ws_recs_sum);
	metrics_one(fp, "algaudit_log_entries", "gauge",
	    "Committed log size.", ws->ws_log_size);
	metrics_one(fp, "algaudit_checkpoints_total", "counter",
	    "Checkpoints signed and committed since start.", ws->ws_ckpts);
	metrics_one(fp, "algaudit_checkpoint_size", "gauge",
	    "Tree size of the newest committed checkpoint.",
	    ws->ws_ckpt_size);
	metrics_one_f(fp, "algaudit_checkpoint_age_seconds", "gauge",
	    "Seconds since the newest checkpoint was committed (since start "
	    "when none was yet).", ms->ms_now_ns > ws->ws_ckpt_ns ?
	    (double)(ms->ms_now_ns - ws->ws_ckpt_ns) / 1e9 : 0.0);
}

/* Writes the store's families: state, size, map, filesystem. */
static void
metrics_format_store(const struct metrics_snap *ms, FILE *fp)
{
	static const char *const states[WRITER_STORE_STATE_MAX] = {
		"ok", "full", "failed"
	};
	const struct writer_stats *ws = &ms->ms_w;
	int i;

	metrics_head(fp, "algaudit_store_state", "gauge",
	    "1 for the store's current state: ok, full (no space or at "
	    "max-store-size), failed (closed after an I/O error).");
	for (i = 0; i < WRITER_STORE_STATE_MAX; i++)
		fprintf(fp, "algaudit_store_state{state=\"%s\"} %d\n",
		    states[i], ws->ws_state == i);
	metrics_head(fp, "algaudit_store_reopens_total", "counter",
	    "Reopens of the store after an I/O error, by result.");
	fprintf(fp, "algaudit_store_reopens_total{result=\"ok\"} %" PRIu64
	    "\n", ws->ws_reopens);
	fprintf(fp, "algaudit_store_reopens_total{result=\"failed\"} %"
	    PRIu64 "\n", ws->ws_reopen_failures);
	metrics_one(fp, "algaudit_store_file_bytes", "gauge",
	    "Size of data.mdb.", ws->ws_file_bytes);
	metrics_one(fp, "algaudit_store_max_bytes", "gauge",
	    "max-store-size (0: no limit).", ws->ws_max_size);
	metrics_one(fp, "algaudit_store_map_bytes", "gauge",
	    "Size of the LMDB map.", ws->ws_map_bytes);
	metrics_one(fp, "algaudit_store_map_used_bytes", "gauge",
	    "Bytes of the map in use.", ws->ws_map_used);
	metrics_one(fp, "algaudit_store_fs_size_bytes", "gauge",
	    "Size of the filesystem holding the store.", ws->ws_fs_size);
	metrics_one(fp, "algaudit_store_fs_avail_bytes", "gauge",
	    "Bytes available on that filesystem.", ws->ws_fs_avail);
	metrics_one(fp, "algaudit_store_free_level", "gauge",
	    "0 free space ok, 1 below store-free-warn, 2 below "
	    "store-free-critical.", (uint64_t)ws->ws_free_level);
	metrics_one_f(fp, "algaudit_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the epoch.",
	    (double)ms->ms_start_ns / 1e9);
	metrics_one(fp, "algaudit_scrapes_total", "counter",
	    "Scrapes of this endpoint, this one included.", ms->ms_scrapes);
}

/*
 * Writes the snapshot in the Prometheus text exposition format (0.0.4)
 * to fp. Returns 0, or -1 when fp reports an error.
 */
int
metrics_format(const struct metrics_snap *ms, FILE *fp)
{
	metrics_format_loop(ms, fp);
	metrics_format_writer(ms, fp);
	metrics_format_store(ms, fp);
	return ferror(fp) ? -1 : 0;
}

/* GET /metrics: a snapshot in the text format. */
static void
metrics_http_cb(struct evhttp_request *req, void *arg)
{
	struct daemon *d = arg;
	struct metrics_snap ms;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int rc = -1;

	d->d_metrics->m_scrapes++;
	metrics_snapshot(d, &ms);
	if ((fp = open_memstream(&text, &len)) != NULL) {
		rc = metrics_format(&ms, fp);
		if (fclose(fp) != 0)
			rc = -1;
	}
	if (rc == -1 || evbuffer_add(evhttp_request_get_output_buffer(req),
	    text, len) == -1) {
		log_warn("metrics: cannot format a scrape");
		free(text);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* Any other path. */
static void
metrics_notfound_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, "only " METRICS_PATH " is "
	    "served here");
}

/* The pause after a failed accept is over. */
static void
metrics_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	evconnlistener_enable(arg);
}

/*
 * accept() failed for a reason libevent does not retry (out of
 * descriptors): pause the endpoint for a second instead of spinning.
 */
static void
metrics_accept_error_cb(struct evconnlistener *evl, void *arg)
{
	struct timeval tv = { METRICS_PAUSE_SEC, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	log_warnx("metrics: accept failed: %s; pausing the endpoint for %d s",
	    evutil_socket_error_to_string(err), METRICS_PAUSE_SEC);
	evconnlistener_disable(evl);
	if (event_base_once(evconnlistener_get_base(evl), -1, EV_TIMEOUT,
	    metrics_resume_cb, evl, &tv) == -1)
		evconnlistener_enable(evl);
}

/*
 * Returns 1 when sa is a loopback address: 127.0.0.0/8, ::1, or an
 * IPv4-mapped 127.0.0.0/8.
 */
int
metrics_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const uint8_t *a;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		a = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && a[12] == 127;
	}
	return 0;
}

/*
 * Resolves --metrics into res (free with freeaddrinfo()) and checks
 * every address against --metrics-allow-remote. Returns 0, or -1 after
 * logging why.
 */
static int
metrics_resolve(const struct cfg *cf, struct cfg_endpoint *ep,
    struct addrinfo **res)
{
	struct addrinfo hints, *ai;
	char text[CFG_ENDPOINT_MAX + 8], err[512], host[NI_MAXHOST];
	int rc;

	snprintf(text, sizeof(text), "tcp:%s", cf->cf_metrics);
	if (cfg_parse_endpoint(text, ep, err, sizeof(err)) == -1) {
		log_warnx("metrics: %s", err);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(ep->ep_host, ep->ep_port, &hints, res)) != 0) {
		log_warnx("metrics: cannot resolve '%s': %s", ep->ep_host,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = *res; ai != NULL; ai = ai->ai_next) {
		if (cf->cf_metrics_remote || metrics_is_loopback(ai->ai_addr))
			continue;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host,
		    sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(host, sizeof(host), "?");
		log_warnx("metrics: %s (%s) is not a loopback address and the "
		    "endpoint has no authentication; refusing to serve it "
		    "(metrics-allow-remote = yes to allow)", cf->cf_metrics,
		    host);
		freeaddrinfo(*res);
		*res = NULL;
		return -1;
	}
	return 0;
}

/*
 * Starts the HTTP endpoint when --metrics is set: binds every address
 * it resolves to. Returns 0, or -1 after logging why (the daemon does
 * not start).
 */
int
metrics_start(struct daemon *d)
{
	struct metrics *m = d->d_metrics;
	struct cfg_endpoint ep;
	struct addrinfo *res = NULL, *ai;
	struct evconnlistener *evl;
	int rc = -1, n = 0;

	if (m == NULL || d->d_cfg.cf_metrics[0] == '\0')
		return 0;
	if (metrics_resolve(&d->d_cfg, &ep, &res) == -1)
		return -1;
	if ((m->m_http = evhttp_new(d->d_base)) == NULL) {
		log_warnx("metrics: cannot create the HTTP server");
		goto out;
	}
	evhttp_set_allowed_methods(m->m_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD);
	evhttp_set_timeout(m->m_http, METRICS_HTTP_TIMEOUT);
	evhttp_set_max_headers_size(m->m_http, METRICS_HEADERS_MAX);
	evhttp_set_max_body_size(m->m_http, METRICS_BODY_MAX);
	if (evhttp_set_cb(m->m_http, METRICS_PATH, metrics_http_cb, d) != 0) {
		log_warnx("metrics: cannot register %s", METRICS_PATH);
		goto out;
	}
	evhttp_set_gencb(m->m_http, metrics_notfound_cb, NULL);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		evl = evconnlistener_new_bind(d->d_base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_REUSEABLE | (ai->ai_family == AF_INET6 ?
		    LEV_OPT_BIND_IPV6ONLY : 0), -1, ai->ai_addr,
		    (int)ai->ai_addrlen);
		if (evl == NULL) {
			log_warn("metrics: %s: bind", d->d_cfg.cf_metrics);
			goto out;
		}
		if (evhttp_bind_listener(m->m_http, evl) == NULL) {
			evconnlistener_free(evl);
			log_warnx("metrics: %s: cannot serve HTTP on it",
			    d->d_cfg.cf_metrics);
			goto out;
		}
		evconnlistener_set_error_cb(evl, metrics_accept_error_cb);
		n++;
	}
	log_info("metrics: serving http://%s%s (%d address%s)",
	    d->d_cfg.cf_metrics, METRICS_PATH, n, n == 1 ? "" : "es");
	rc = 0;
out:
	freeaddrinfo(res);
	return rc;
}
