/* SPDX-License-Identifier: ISC */
/*
 * client.c: the handle, algaudit_open/close/log/log_sync/flush/counter,
 * the receipts, the waiters, and fork detection.
 *
 * algaudit_log() runs on the application's threads and is the fast
 * path: check the record's required fields, compute its encoded size,
 * reserve room in the queue (a short critical section), encode into it,
 * publish, and wake the I/O thread only if it sleeps without a timer or
 * a full batch is ready. No system call and no allocation in the common
 * case; the overflow policy applies only when the queue is full.
 *
 * Waiters (algaudit_flush, algaudit_log_sync, algaudit_close) wait on
 * c_done for c_done_pos, the count of queue positions whose records are
 * resolved; the I/O thread advances it in order (client_resolve()).
 *
 * The one piece of global state of the library is here: a generation
 * counter bumped by a pthread_atfork() child handler (registered once,
 * with pthread_once), so that a handle can tell it is in a child after
 * fork() without a getpid() system call on the fast path.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "client.h"
#include "record.h"

enum client_state {
	CLIENT_OPEN = 0,
	CLIENT_CLOSING,
	CLIENT_FENCED
};

/* A thread in algaudit_log_sync(), waiting for its record. */
struct client_waiter {
	uint64_t		 w_pos;
	uint64_t		 w_seq;
	int			 w_done;
	int			 w_err;
	int			 w_has_index;
	uint64_t		 w_index;
	uint64_t		 w_log_size;
	uint64_t		 w_ckpt_size;
	int			 w_has_leaf;
	uint8_t			 w_leaf[32];
	struct client_waiter	*w_next;
	struct client_waiter	*w_prev;
};

struct algaudit_receipt {
	uint64_t		 r_seq;
	int			 r_has_index;
	uint64_t		 r_index;
	uint64_t		 r_log_size;
	uint64_t		 r_ckpt_size;
	int			 r_has_leaf;
	uint8_t			 r_leaf[32];
};

struct algaudit_client {
	struct algaudit_options	 c_opts;
	char			*c_endpoint;
	char			*c_producer;
	unsigned		 c_gen;
	struct queue		*c_q;
	struct spool		*c_sp;
	struct io		*c_io;
	_Atomic int		 c_state;
	_Atomic int		 c_spool_state;	/* 0, EFULL or ESPOOL */
	_Atomic uint64_t	 c_counters[ALGAUDIT_COUNTER_MAX];
	_Atomic uint64_t	 c_drop_pending;
	_Atomic unsigned	 c_nwaiters;	/* flush and sync waiters */
	uint64_t		 c_old;		/* frames from a predecessor */

	pthread_mutex_t		 c_lock;
	pthread_cond_t		 c_done;
	uint64_t		 c_done_pos;	/* positions resolved */
	uint64_t		 c_old_done;	/* predecessor's, resolved */
	struct client_waiter	*c_sync;	/* sync waiters */
	_Atomic unsigned	 c_nsync;
};

/*
 * The library's only globals: see the file comment. client_fork_rc is
 * the result of the registration (0 or an errno), read after the once.
 */
static pthread_once_t	 client_fork_once = PTHREAD_ONCE_INIT;
static _Atomic unsigned	 client_fork_gen;
static int		 client_fork_rc;

/* pthread_atfork child handler: a new generation of the process. */
static void
client_fork_child(void)
{
	atomic_fetch_add_explicit(&client_fork_gen, 1, memory_order_relaxed);
}

/* Registers the child handler, once per process. */
static void
client_fork_init(void)
{
	client_fork_rc = pthread_atfork(NULL, NULL, client_fork_child);
}

/* Returns 1 when c was opened by the parent of this process. */
static int
client_forked(const struct algaudit_client *c)
{
	return atomic_load_explicit(&client_fork_gen, memory_order_relaxed) !=
	    c->c_gen;
}

/* Returns a CLOCK_MONOTONIC time in microseconds. */
uint64_t
client_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Returns the wall clock in nanoseconds since the epoch. */
int64_t
client_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Returns the CLOCK_MONOTONIC time ms milliseconds from now. */
static struct timespec
client_deadline(uint32_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* Whether a is before b. */
static int
client_timespec_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec ||
	    (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/*
 * Sends a diagnostic to the application's log callback, if it set one.
 * Keeps errno.
 */
void
client_log(struct algaudit_client *c, int level, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	int saved = errno;

	if (c->c_opts.o_log_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->c_opts.o_log_fn(level, buf, c->c_opts.o_log_arg);
	errno = saved;
}

/* Adds n to a counter. */
void
client_count(struct algaudit_client *c, int id, uint64_t n)
{
	atomic_fetch_add_explicit(&c->c_counters[id], n,
	    memory_order_relaxed);
}

/* Gives back dropped records the I/O thread could not report yet. */
void
client_return_dropped(struct algaudit_client *c, uint64_t n)
{
	atomic_fetch_add(&c->c_drop_pending, n);
}

/* Takes the count of records dropped since the last loss record. */
uint64_t
client_take_dropped(struct algaudit_client *c)
{
	if (atomic_load_explicit(&c->c_drop_pending, memory_order_relaxed) ==
	    0)
		return 0;
	return atomic_exchange(&c->c_drop_pending, 0);
}

/* Returns 1 when someone waits for records to be sent at once. */
int
client_urgent(struct algaudit_client *c)
{
	return atomic_load_explicit(&c->c_nwaiters, memory_order_relaxed) >
	    0 || atomic_load(&c->c_state) != CLIENT_OPEN;
}

/* Returns the overflow policy. */
int
client_policy(const struct algaudit_client *c)
{
	return c->c_opts.o_overflow;
}

/* Records whether the spool can take records (0, EFULL or ESPOOL). */
void
client_set_spool_state(struct algaudit_client *c, int state)
{
	atomic_store(&c->c_spool_state, state);
}

/*
 * Marks the handle fenced (another handle took the producer id) and
 * wakes everyone who waits.
 */
void
client_set_fenced(struct algaudit_client *c)
{
	atomic_store(&c->c_state, CLIENT_FENCED);
	pthread_mutex_lock(&c->c_lock);
	pthread_cond_broadcast(&c->c_done);
	pthread_mutex_unlock(&c->c_lock);
	queue_shutdown(c->c_q);
}

/*
 * Tells the sync waiters of queue positions [from, to) their record's
 * seq, just assigned. I/O thread.
 */
void
client_seqs_assigned(struct algaudit_client *c, struct queue *q,
    uint64_t from, uint64_t to)
{
	struct client_waiter *w;

	if (atomic_load(&c->c_nsync) == 0)
		return;
	pthread_mutex_lock(&c->c_lock);
	for (w = c->c_sync; w != NULL; w = w->w_next)
		if (w->w_pos >= from && w->w_pos < to)
			w->w_seq = queue_seq(q, w->w_pos);
	pthread_mutex_unlock(&c->c_lock);
}

/*
 * Resolves the oldest r->cr_n unresolved records, in order: the first
 * r->cr_nopos are a predecessor's spooled records (no queue position),
 * the others are the next positions. Fills the receipts of their sync
 * waiters (index, leaf hash and checkpoint size as the Ack gave them),
 * advances c_done_pos, wakes the waiters. I/O thread.
 */
void
client_resolve(struct algaudit_client *c, const struct client_resolution *r)
{
	struct client_waiter *w;
	uint64_t npos = r->cr_n - r->cr_nopos, k, unstored;

	if (r->cr_fate == CLIENT_REJECTED)
		client_count(c, ALGAUDIT_COUNTER_REJECTED, r->cr_n);
	else
		client_count(c, ALGAUDIT_COUNTER_ACKED, r->cr_n);
	pthread_mutex_lock(&c->c_lock);
	unstored = r->cr_n - (r->cr_stored < r->cr_n ? r->cr_stored : r->cr_n);
	for (w = c->c_sync; w != NULL; w = w->w_next) {
		if (w->w_done || w->w_pos < c->c_done_pos ||
		    w->w_pos >= c->c_done_pos + npos)
			continue;
		k = r->cr_nopos + (w->w_pos - c->c_done_pos);
		w->w_done = 1;
		w->w_log_size = r->cr_log_size;
		w->w_ckpt_size = r->cr_ckpt_size;
		switch (r->cr_fate) {
		case CLIENT_ACKED:
			w->w_err = 0;
			w->w_has_index = k >= unstored;
			if (w->w_has_index)
				w->w_index = r->cr_first_index + (k - unstored);
			w->w_has_leaf = w->w_has_index && r->cr_leaves != NULL;
			if (w->w_has_leaf)
				memcpy(w->w_leaf, r->cr_leaves +
				    (k - unstored) * 32, 32);
			break;
		case CLIENT_DURABLE:
			w->w_err = 0;
			w->w_has_index = 0;
			break;
		default:
			w->w_err = ALGAUDIT_EREJECTED;
			break;
		}
	}
	c->c_done_pos += npos;
	c->c_old_done += r->cr_nopos;
	if (atomic_load(&c->c_nwaiters) > 0)
		pthread_cond_broadcast(&c->c_done);
	pthread_mutex_unlock(&c->c_lock);
}

/* Returns the error for a handle that cannot take records, or 0. */
static int
client_check(const struct algaudit_client *c)
{
	if (client_forked(c))
		return ALGAUDIT_EFORKED;
	switch (atomic_load_explicit(&c->c_state, memory_order_relaxed)) {
	case CLIENT_OPEN:
		return 0;
	case CLIENT_FENCED:
		return ALGAUDIT_EFENCED;
	default:
		return ALGAUDIT_ECLOSED;
	}
}

/*
 * The queue is full: applies the overflow policy. Returns QUEUE_OK with
 * room reserved, 1 when the record was dropped (drop policy), or an
 * ALGAUDIT_E* code.
 */
static int
client_overflow(struct algaudit_client *c, size_t len, int sync,
    uint64_t *pos, uint8_t **buf)
{
	struct timespec deadline;
	int rc, spool_state;

	if (c->c_opts.o_overflow == ALGAUDIT_OVERFLOW_DROP && !sync) {
		client_count(c, ALGAUDIT_COUNTER_DROPPED, 1);
		atomic_fetch_add(&c->c_drop_pending, 1);
		return 1;
	}
	if (c->c_opts.o_overflow == ALGAUDIT_OVERFLOW_SPOOL &&
	    (spool_state = atomic_load(&c->c_spool_state)) != 0)
		return spool_state;
	io_wake(c->c_io, 1);
	deadline = client_deadline(c->c_opts.o_block_timeout_ms);
	rc = queue_reserve(c->c_q, len, &deadline, pos, buf);
	switch (rc) {
	case QUEUE_OK:
		return QUEUE_OK;
	case QUEUE_SHUTDOWN:
		return client_check(c) != 0 ? client_check(c) :
		    ALGAUDIT_ECLOSED;
	default:
		if (c->c_opts.o_overflow == ALGAUDIT_OVERFLOW_SPOOL &&
		    (spool_state = atomic_load(&c->c_spool_state)) != 0)
			return spool_state;
		return ALGAUDIT_EFULL;
	}
}

/*
 * Validates, encodes and queues rec. If w is not NULL it is registered
 * as a sync waiter for the record before the record is published (so
 * the I/O thread cannot resolve it unseen). Returns 0, 1 (dropped) or
 * an error.
 */
static int
client_enqueue(struct algaudit_client *c, struct algaudit_record *rec,
    struct client_waiter *w)
{
	Algaudit__V1__DecisionRecord m;
	uint64_t pos;
	uint8_t *buf;
	size_t len;
	int rc;

	if (c == NULL || rec == NULL)
		return ALGAUDIT_EINVAL;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = builder_prepare(rec, &m, client_realtime_ns())) != 0)
		return rc;
	len = protobuf_c_message_get_packed_size(&m.base);
	rc = queue_reserve(c->c_q, len, NULL, &pos, &buf);
	if (rc == QUEUE_FULL)
		rc = client_overflow(c, len, w != NULL, &pos, &buf);
	else if (rc == QUEUE_TOOBIG) {
		builder_fail(rec, "record: %zu bytes encoded, larger than the "
		    "queue (%zu bytes)", len, queue_capacity_bytes(c->c_q));
		return ALGAUDIT_EINVAL;
	} else if (rc == QUEUE_SHUTDOWN)
		return client_check(c) != 0 ? client_check(c) :
		    ALGAUDIT_ECLOSED;
	if (rc != QUEUE_OK)
		return rc;
	if (w != NULL) {
		w->w_pos = pos;
		pthread_mutex_lock(&c->c_lock);
		w->w_prev = NULL;
		w->w_next = c->c_sync;
		if (c->c_sync != NULL)
			c->c_sync->w_prev = w;
		c->c_sync = w;
		atomic_fetch_add(&c->c_nsync, 1);
		atomic_fetch_add(&c->c_nwaiters, 1);
		pthread_mutex_unlock(&c->c_lock);
	}
	protobuf_c_message_pack(&m.base, buf);
	queue_publish(c->c_q, pos);
	io_published(c->c_io, pos);
	return 0;
}

int
algaudit_log(struct algaudit_client *c, struct algaudit_record *rec)
{
	int rc;

	rc = client_enqueue(c, rec, NULL);
	return rc == 1 ? 0 : rc;
}

int
algaudit_log_sync(struct algaudit_client *c, struct algaudit_record *rec,
    uint32_t timeout_ms, struct algaudit_receipt *receipt)
{
	struct client_waiter w;
	struct timespec deadline;
	int rc;

	memset(&w, 0, sizeof(w));
	deadline = client_deadline(timeout_ms);
	if ((rc = client_enqueue(c, rec, &w)) != 0)
		return rc;
	io_wake(c->c_io, 0);
	pthread_mutex_lock(&c->c_lock);
	rc = 0;
	while (!w.w_done && atomic_load(&c->c_state) != CLIENT_FENCED &&
	    rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->c_done, &c->c_lock, &deadline);
	if (w.w_prev != NULL)
		w.w_prev->w_next = w.w_next;
	else
		c->c_sync = w.w_next;
	if (w.w_next != NULL)
		w.w_next->w_prev = w.w_prev;
	atomic_fetch_sub(&c->c_nsync, 1);
	atomic_fetch_sub(&c->c_nwaiters, 1);
	pthread_mutex_unlock(&c->c_lock);
	if (!w.w_done)
		return atomic_load(&c->c_state) == CLIENT_FENCED ?
		    ALGAUDIT_EFENCED : ALGAUDIT_ETIMEDOUT;
	if (w.w_err != 0)
		return w.w_err;
	if (receipt != NULL) {
		receipt->r_seq = w.w_seq;
		receipt->r_has_index = w.w_has_index;
		receipt->r_index = w.w_index;
		receipt->r_log_size = w.w_log_size;
		receipt->r_ckpt_size = w.w_ckpt_size;
		receipt->r_has_leaf = w.w_has_leaf;
		memcpy(receipt->r_leaf, w.w_leaf, sizeof(receipt->r_leaf));
	}
	return 0;
}

/*
 * Waits until every record queued before the call (and every record a
 * predecessor left in the spool) is resolved, or the deadline. Returns
 * 0, ALGAUDIT_ETIMEDOUT or ALGAUDIT_EFENCED.
 */
static int
client_flush(struct algaudit_client *c, uint32_t timeout_ms)
{
	struct timespec deadline, wait;
	uint64_t target, losses = 0;
	int rc = 0, owed;

	deadline = client_deadline(timeout_ms);
	target = queue_head(c->c_q);
	/*
	 * Records dropped before the call are owed a loss record, which
	 * the I/O thread queues once the queue has room: wait until it is
	 * queued, then for it too.
	 */
	owed = atomic_load(&c->c_drop_pending) > 0;
	if (owed)
		losses = io_loss_records(c->c_io);
	pthread_mutex_lock(&c->c_lock);
	if (!owed && c->c_done_pos >= target && c->c_old_done >= c->c_old) {
		pthread_mutex_unlock(&c->c_lock);
		return 0;
	}
	atomic_fetch_add(&c->c_nwaiters, 1);
	pthread_mutex_unlock(&c->c_lock);
	io_wake(c->c_io, 0);
	pthread_mutex_lock(&c->c_lock);
	for (;;) {
		if (owed && io_loss_records(c->c_io) != losses) {
			target = queue_head(c->c_q);
			owed = 0;
		}
		if ((!owed && c->c_done_pos >= target &&
		    c->c_old_done >= c->c_old) ||
		    atomic_load(&c->c_state) == CLIENT_FENCED ||
		    rc == ETIMEDOUT)
			break;
		/* Owed: look again every 10 ms (no signal tells us). */
		wait = deadline;
		if (owed && client_timespec_before(client_deadline(10),
		    deadline))
			wait = client_deadline(10);
		rc = pthread_cond_timedwait(&c->c_done, &c->c_lock, &wait);
		if (rc == ETIMEDOUT && owed &&
		    client_timespec_before(client_deadline(0), deadline))
			rc = 0;
	}
	atomic_fetch_sub(&c->c_nwaiters, 1);
	rc = !owed && c->c_done_pos >= target && c->c_old_done >= c->c_old ?
	    0 : atomic_load(&c->c_state) == CLIENT_FENCED ? ALGAUDIT_EFENCED :
	    ALGAUDIT_ETIMEDOUT;
	pthread_mutex_unlock(&c->c_lock);
	return rc;
}

int
algaudit_flush(struct algaudit_client *c, uint32_t timeout_ms)
{
	int rc;

	if (c == NULL)
		return ALGAUDIT_EINVAL;
	if ((rc = client_check(c)) != 0 && rc != ALGAUDIT_ECLOSED)
		return rc;
	return client_flush(c, timeout_ms);
}

uint64_t
algaudit_counter(const struct algaudit_client *c, int id)
{
	uint64_t head, done;

	if (c == NULL || id < 0 || id >= ALGAUDIT_COUNTER_MAX)
		return 0;
	/* In a child the queue lock may have been held at fork(). */
	if (client_forked(c))
		return 0;
	switch (id) {
	case ALGAUDIT_COUNTER_QUEUED:
		return queue_head(c->c_q) - io_loss_records(c->c_io);
	case ALGAUDIT_COUNTER_PENDING:
		/* Everything that entered, minus everything resolved. */
		done = atomic_load(&c->c_counters[ALGAUDIT_COUNTER_ACKED]) +
		    atomic_load(&c->c_counters[ALGAUDIT_COUNTER_REJECTED]);
		head = queue_head(c->c_q) + c->c_old;
		return head > done ? head - done : 0;
	default:
		return atomic_load_explicit(&c->c_counters[id],
		    memory_order_relaxed);
	}
}

/* Frees a handle's memory and resources; the thread must be stopped. */
static void
client_free(struct algaudit_client *c)
{
	io_free(c->c_io);
	spool_close(c->c_sp);
	queue_free(c->c_q);
	pthread_cond_destroy(&c->c_done);
	pthread_mutex_destroy(&c->c_lock);
	options_clear(&c->c_opts);
	free(c->c_endpoint);
	free(c->c_producer);
	free(c);
}

/* Opens the spool and logs what its check found. */
static int
client_open_spool(struct algaudit_client *c)
{
	struct spool_scan scan;
	char err[512];
	int rc;

	rc = spool_open(c->c_opts.o_spool_dir, c->c_producer,
	    c->c_opts.o_spool_max, &c->c_sp, &scan, err, sizeof(err));
	if (rc != 0) {
		if (rc == ALGAUDIT_ESPOOL)
			client_log(c, ALGAUDIT_LOG_ERROR, "%s", err);
		return rc;
	}
	if (scan.ss_cut_bytes > 0)
		client_log(c, ALGAUDIT_LOG_WARNING, "spool %s: damaged tail "
		    "cut: %llu bytes at offset %llu (%s); %llu records kept",
		    spool_path(c->c_sp), (unsigned long long)scan.ss_cut_bytes,
		    (unsigned long long)scan.ss_cut_at, scan.ss_reason,
		    (unsigned long long)scan.ss_frames);
	if (scan.ss_frames > 0)
		client_log(c, ALGAUDIT_LOG_INFO, "spool %s: %llu records "
		    "(seqs %llu..%llu) left by a predecessor will be sent "
		    "first", spool_path(c->c_sp),
		    (unsigned long long)scan.ss_frames,
		    (unsigned long long)scan.ss_first_seq,
		    (unsigned long long)scan.ss_last_seq);
	c->c_old = scan.ss_frames;
	return 0;
}

int
algaudit_open(const char *endpoint, const char *producer_id,
    const struct algaudit_options *opts, struct algaudit_client **out)
{
	struct algaudit_client *c;
	struct algaudit_options defaults;
	pthread_condattr_t ca;
	char err[512];
	int rc;

	if (opts == NULL) {
		options_defaults(&defaults);
		opts = &defaults;
	}
	err[0] = '\0';
	if (out == NULL)
		snprintf(err, sizeof(err), "algaudit_open: out is NULL");
	else if (io_parse_endpoint(endpoint, err, sizeof(err)) == 0 &&
	    record_check_producer_id(producer_id, err, sizeof(err)) == 0) {
		if (opts->o_overflow == ALGAUDIT_OVERFLOW_SPOOL &&
		    opts->o_spool_dir == NULL)
			snprintf(err, sizeof(err), "overflow policy spool: no "
			    "spool directory set");
		else if (options_has_tls(opts) &&
		    strncmp(endpoint, "tls:", 4) != 0)
			snprintf(err, sizeof(err), "endpoint '%s': TLS options "
			    "are set, but only a tls:HOST:PORT endpoint uses "
			    "them", endpoint);
	}
	if (out == NULL || err[0] != '\0') {
		/* Tell the application why, if it listens. */
		if (opts->o_log_fn != NULL)
			opts->o_log_fn(ALGAUDIT_LOG_ERROR, err,
			    opts->o_log_arg);
		return ALGAUDIT_EINVAL;
	}
	pthread_once(&client_fork_once, client_fork_init);
	if (client_fork_rc != 0)
		return client_fork_rc;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ENOMEM;
	if (options_copy(&c->c_opts, opts) != 0 ||
	    (c->c_endpoint = strdup(endpoint)) == NULL ||
	    (c->c_producer = strdup(producer_id)) == NULL) {
		options_clear(&c->c_opts);
		free(c->c_endpoint);
		free(c);
		return ENOMEM;
	}
	c->c_gen = atomic_load(&client_fork_gen);
	if ((rc = pthread_mutex_init(&c->c_lock, NULL)) != 0)
		goto fail_alloc;
	if ((rc = pthread_condattr_init(&ca)) != 0)
		goto fail_mutex;
	if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&c->c_done, &ca)) != 0) {
		pthread_condattr_destroy(&ca);
		goto fail_mutex;
	}
	pthread_condattr_destroy(&ca);
	if ((rc = queue_new(c->c_opts.o_queue_records,
	    c->c_opts.o_queue_bytes, &c->c_q)) != 0 ||
	    (c->c_opts.o_spool_dir != NULL &&
	    (rc = client_open_spool(c)) != 0) ||
	    (rc = io_new(c, endpoint, producer_id, &c->c_opts, c->c_q,
	    c->c_sp, c->c_old, &c->c_io)) != 0 ||
	    (rc = io_start(c->c_io)) != 0) {
		client_free(c);
		return rc;
	}
	*out = c;
	return 0;

fail_mutex:
	pthread_mutex_destroy(&c->c_lock);
fail_alloc:
	options_clear(&c->c_opts);
	free(c->c_endpoint);
	free(c->c_producer);
	free(c);
	return rc;
}

int
algaudit_close(struct algaudit_client *c)
{
	uint64_t recs, bytes;
	int fenced, rc;

	if (c == NULL)
		return 0;
	if (client_forked(c)) {
		/*
		 * A child: no I/O thread here, and the locks may have been
		 * held by a parent thread at fork time. Close our copies of
		 * the descriptors (no shutdown()) and free the memory.
		 */
		io_forget(c->c_io);
		spool_forget(c->c_sp);
		queue_forget(c->c_q);
		options_clear(&c->c_opts);
		free(c->c_endpoint);
		free(c->c_producer);
		free(c);
		return ALGAUDIT_EFORKED;
	}
	fenced = atomic_load(&c->c_state) == CLIENT_FENCED;
	if (!fenced) {
		atomic_store(&c->c_state, CLIENT_CLOSING);
		(void)client_flush(c, c->c_opts.o_close_timeout_ms);
	}
	io_stop(c->c_io);
	fenced = atomic_load(&c->c_state) == CLIENT_FENCED;
	queue_usage(c->c_q, &recs, &bytes);
	rc = 0;
	if (recs > 0) {
		client_log(c, ALGAUDIT_LOG_ERROR, "close: %llu records neither "
		    "acknowledged nor spooled are lost",
		    (unsigned long long)recs);
		rc = fenced ? ALGAUDIT_EFENCED : ALGAUDIT_ETIMEDOUT;
	}
	client_free(c);
	return rc;
}

int
algaudit_receipt_new(struct algaudit_receipt **out)
{
	struct algaudit_receipt *r;

	if (out == NULL)
		return ALGAUDIT_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ENOMEM;
	*out = r;
	return 0;
}

void
algaudit_receipt_free(struct algaudit_receipt *r)
{
	free(r);
}

uint64_t
algaudit_receipt_seq(const struct algaudit_receipt *r)
{
	return r != NULL ? r->r_seq : 0;
}

int
algaudit_receipt_index(const struct algaudit_receipt *r, uint64_t *index)
{
	if (r == NULL || index == NULL)
		return ALGAUDIT_EINVAL;
	if (!r->r_has_index)
		return ALGAUDIT_ENOTFOUND;
	*index = r->r_index;
	return 0;
}

uint64_t
algaudit_receipt_log_size(const struct algaudit_receipt *r)
{
	return r != NULL ? r->r_log_size : 0;
}

int
algaudit_receipt_leaf_hash(const struct algaudit_receipt *r, uint8_t out[32])
{
	if (r == NULL || out == NULL)
		return ALGAUDIT_EINVAL;
	if (!r->r_has_leaf)
		return ALGAUDIT_ENOTFOUND;
	memcpy(out, r->r_leaf, sizeof(r->r_leaf));
	return 0;
}

uint64_t
algaudit_receipt_checkpoint_size(const struct algaudit_receipt *r)
{
	return r != NULL ? r->r_ckpt_size : 0;
}

int
algaudit_subject_hash(const void *key, size_t keylen, const char *raw_id,
    char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i;

	if (key == NULL || raw_id == NULL || out == NULL || keylen < 16 ||
	    keylen > INT32_MAX)
		return ALGAUDIT_EINVAL;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)raw_id,
	    strlen(raw_id), md, &mdlen) == NULL || mdlen != 32)
		return ALGAUDIT_EINVAL;
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}
