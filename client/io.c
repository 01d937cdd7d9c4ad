/* SPDX-License-Identifier: ISC */
/*
 * io.c: the I/O thread of a handle: connect, Hello/Welcome, batching,
 * acknowledgements, reconnects with backoff, and the spool's traffic.
 *
 * One thread per handle, one poll() loop. It alone touches the socket,
 * assigns producer_seq and reads or writes the spool. All the records
 * not yet resolved (acknowledged or refused) form one sequence in seq
 * order: first the spool's frames (the older ones), then the queue's
 * slots. Seqs are assigned in that order when a record is first sent or
 * first spooled, and a record keeps its seq for ever after (resends,
 * spool, the next process), so the daemon's duplicate rule makes every
 * resend safe. Records move from the queue to the spool only from the
 * queue's tail and only while none of the queue's records is in flight,
 * which keeps that order. Batches are answered in order, one answer
 * each, so a FIFO of in-flight batches maps every answer to its records.
 *
 * A tls: endpoint adds a state between the TCP connect and the Hello:
 * the TLS handshake (tls.c), bounded by the connect deadline. From then
 * on every byte goes through the session, whose reads may need the
 * socket writable and whose writes may need it readable: io_rd_ev and
 * io_wr_ev say which readiness each side waits for (POLLIN and POLLOUT
 * without TLS), and bytes the session decrypted but io_read() has not
 * taken yet are read before polling, since no readiness would announce
 * them. A failed handshake or certificate check is a failed connection
 * like any other: logged with OpenSSL's reason, then the backoff.
 *
 * It never blocks on anything but poll() and the spool's fsync, and
 * reports through client_log() only.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/eventfd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "frame.h"
#include "record.h"

#define IO_MAX_INFLIGHT		64		/* batches */
#define IO_SERVER_FRAME_MAX	(64u * 1024)	/* what a daemon sends */
#define IO_LEAF_HASH_LEN	32	/* per stored record, if asked */
#define IO_BATCH_SOFT_BYTES	(1024u * 1024)	/* batch size target */
#define IO_MOVE_CHUNK_RECORDS	4096		/* records per spool fsync */
#define IO_MOVE_CHUNK_BYTES	(8u * 1024 * 1024)
#define IO_IDLE_TICKS		8
#define IO_TICK_MIN_US		1000
#define IO_SPOOL_CHECK_US	100000
#define IO_FILL_BUDGET		16		/* batches per loop turn */

enum io_state {
	IO_DISCONNECTED = 0,
	IO_CONNECTING,
	IO_TLS,		/* TLS handshake */
	IO_HELLO,
	IO_READY,
	IO_FENCED,
	IO_STATE_MAX
};

/* One batch in flight (or refused locally and waiting for its turn). */
struct io_batch {
	uint64_t	 ib_first_seq;
	uint64_t	 ib_last_seq;
	uint64_t	 ib_n;		/* records */
	uint64_t	 ib_n_ring;	/* of which queue slots, at the tail */
	uint64_t	 ib_sp_end;	/* spool offset after its frames */
	int		 ib_has_spool;
	int		 ib_local;	/* too large: refused here */
};

struct io {
	struct algaudit_client	*io_c;
	struct queue	*io_q;
	struct spool	*io_sp;
	char		*io_producer;
	int		 io_is_unix;
	struct sockaddr_un io_sun;
	char		*io_host;
	char		*io_port;
	char		*io_endpoint;
	struct tls_context *io_tls_ctx;	/* tls: endpoints only */
	size_t		 io_batch_max;
	uint32_t	 io_linger_us;
	uint32_t	 io_connect_timeout_ms;
	int		 io_policy;
	int		 io_ack_level;	/* ALGAUDIT_ACK_* */
	int		 io_leaves;	/* ask for leaf hashes */
	size_t		 io_in_max;	/* largest server frame accepted */

	pthread_t	 io_thread;
	int		 io_started;
	int		 io_wakefd;
	_Atomic int	 io_idle;	/* sleeping without a timer */
	_Atomic int	 io_stop;
	_Atomic int	 io_need_room;
	_Atomic uint64_t io_send_hint;	/* io_ring_send, for producers */
	_Atomic uint64_t io_loss_records;

	/* Everything below belongs to the I/O thread. */
	int		 io_fd;
	struct tls_session *io_tls;	/* the connection's, with TLS */
	short		 io_rd_ev;	/* what a read waits for */
	short		 io_wr_ev;	/* what a write waits for */
	int		 io_state;
	struct backoff	 io_backoff;
	uint64_t	 io_retry_at;	/* us, monotonic */
	uint64_t	 io_deadline;	/* connect or Welcome deadline */
	int		 io_failures;	/* failed attempts in a row */
	int		 io_connected_once;
	int		 io_welcomed;
	uint32_t	 io_max_frame;
	uint64_t	 io_log_size;
	uint64_t	 io_welcome_ckpt;	/* Welcome's checkpoint size */

	uint8_t		*io_out;
	size_t		 io_out_cap;
	size_t		 io_out_off;
	size_t		 io_out_len;
	uint8_t		*io_in;
	size_t		 io_in_len;

	struct io_batch	*io_fifo;
	size_t		 io_fifo_head;
	size_t		 io_fifo_n;

	uint64_t	 io_ring_send;	/* next queue position to send */
	uint64_t	 io_ring_seq;	/* first queue position without seq */
	uint64_t	 io_sp_send;	/* next spool offset to send */
	uint64_t	 io_sp_old;	/* frames left from a predecessor */

	uint64_t	 io_seq_last;	/* last seq assigned */
	uint64_t	 io_seq_floor;	/* durable marks, spool high-water */
	uint64_t	 io_max_sent;	/* highest seq ever sent */

	uint64_t	 io_linger_at;
	int		 io_empty_ticks;
	int		 io_hold_ring;	/* drain the queue into the spool */
	int		 io_nothing;	/* io_fill() found nothing to send */
	uint64_t	 io_spool_retry_at;
};

static const char *const io_state_names[IO_STATE_MAX] = {
	"disconnected", "connecting", "tls", "hello", "ready", "fenced"
};

/* Changes the connection state; the only place that assigns it. */
static void
io_set_state(struct io *io, int state)
{
	if (state < 0 || state >= IO_STATE_MAX)
		return;
	if (io->io_state != state)
		client_log(io->io_c, ALGAUDIT_LOG_DEBUG, "%s: %s -> %s",
		    io->io_endpoint, io_state_names[io->io_state],
		    io_state_names[state]);
	io->io_state = state;
}

/*
 * Checks an endpoint ("unix:PATH", "tcp:HOST:PORT" or "tls:HOST:PORT";
 * HOST may be an IPv6 address in brackets). Returns 0, or -1 with a
 * message in err.
 */
int
io_parse_endpoint(const char *ep, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	const char *colon, *p;
	long port;
	char *end;

	if (ep == NULL) {
		snprintf(err, errlen, "endpoint: missing");
		return -1;
	}
	if (strncmp(ep, "unix:", 5) == 0) {
		if (ep[5] == '\0' || strlen(ep + 5) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen, "endpoint '%s': the socket path "
			    "must be 1 to %zu bytes", ep,
			    sizeof(sun.sun_path) - 1);
			return -1;
		}
		return 0;
	}
	if (strncmp(ep, "tcp:", 4) == 0 || strncmp(ep, "tls:", 4) == 0) {
		p = ep + 4;
		colon = strrchr(p, ':');
		if (colon == NULL || colon == p) {
			snprintf(err, errlen, "endpoint '%s': expected "
			    "%.3s:HOST:PORT", ep, ep);
			return -1;
		}
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || colon[1] == '\0' ||
		    port < 1 || port > 65535) {
			snprintf(err, errlen, "endpoint '%s': port must be 1 "
			    "to 65535", ep);
			return -1;
		}
		if (colon - p >= 256) {
			snprintf(err, errlen, "endpoint '%s': host name too "
			    "long", ep);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "endpoint '%s': expected unix:PATH, "
	    "tcp:HOST:PORT or tls:HOST:PORT", ep);
	return -1;
}

/*
 * Creates the I/O state of a handle (the thread starts with
 * io_start()). The endpoint must have passed io_parse_endpoint().
 * old_frames is the number of frames a predecessor left in the spool.
 * A tls: endpoint gets its TLS context here, from the options' files.
 * Returns 0 or an errno; for a TLS file or name that cannot be used,
 * an errno or ALGAUDIT_EINVAL after logging why (naming the file).
 */
int
io_new(struct algaudit_client *c, const char *endpoint, const char *producer,
    const struct algaudit_options *opts, struct queue *q, struct spool *sp,
    uint64_t old_frames, struct io **out)
{
	struct io *io;
	const char *hp, *colon;
	char err[512];
	size_t hlen;
	int rc = ENOMEM;

	if ((io = calloc(1, sizeof(*io))) == NULL)
		return ENOMEM;
	io->io_rd_ev = POLLIN;
	io->io_wr_ev = POLLOUT;
	io->io_c = c;
	io->io_q = q;
	io->io_sp = sp;
	io->io_fd = -1;
	io->io_wakefd = -1;
	io->io_batch_max = opts->o_batch_records;
	io->io_linger_us = opts->o_linger_us;
	io->io_connect_timeout_ms = opts->o_connect_timeout_ms;
	io->io_policy = opts->o_overflow;
	io->io_ack_level = opts->o_ack_level;
	io->io_leaves = opts->o_leaf_hashes;
	/* An Ack with leaf hashes grows with the batch. */
	io->io_in_max = IO_SERVER_FRAME_MAX + (io->io_leaves ?
	    io->io_batch_max * IO_LEAF_HASH_LEN : 0);
	io->io_max_frame = FRAME_MAX_DEFAULT;
	if ((io->io_producer = strdup(producer)) == NULL ||
	    (io->io_endpoint = strdup(endpoint)) == NULL)
		goto fail;
	if (strncmp(endpoint, "unix:", 5) == 0) {
		io->io_is_unix = 1;
		io->io_sun.sun_family = AF_UNIX;
		strncpy(io->io_sun.sun_path, endpoint + 5,
		    sizeof(io->io_sun.sun_path) - 1);
	} else {
		hp = endpoint + 4;
		colon = strrchr(hp, ':');
		hlen = (size_t)(colon - hp);
		if (hlen >= 2 && hp[0] == '[' && hp[hlen - 1] == ']') {
			hp++;
			hlen -= 2;
		}
		if ((io->io_host = strndup(hp, hlen)) == NULL ||
		    (io->io_port = strdup(colon + 1)) == NULL)
			goto fail;
		if (strncmp(endpoint, "tls:", 4) == 0 &&
		    (rc = tls_context_new(opts, io->io_host,
		    &io->io_tls_ctx, err, sizeof(err))) != 0) {
			client_log(c, ALGAUDIT_LOG_ERROR, "%s: %s", endpoint,
			    err);
			goto fail;
		}
	}
	rc = ENOMEM;
	if ((io->io_in = malloc(io->io_in_max + FRAME_HEADER_LEN)) == NULL ||
	    (io->io_fifo = calloc(IO_MAX_INFLIGHT, sizeof(*io->io_fifo))) ==
	    NULL)
		goto fail;
	if ((io->io_wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		rc = errno;
		goto fail;
	}
	backoff_init(&io->io_backoff, opts->o_backoff_initial_ms,
	    opts->o_backoff_max_ms, client_now_us() ^
	    (uint64_t)(uintptr_t)io ^ ((uint64_t)getpid() << 32));
	if (sp != NULL) {
		io->io_sp_send = spool_begin(sp);
		io->io_seq_floor = spool_hw(sp);
		io->io_sp_old = old_frames;
	}
	*out = io;
	return 0;

fail:
	io_free(io);
	return rc;
}

/* Frees the I/O state; the thread must have stopped. NULL is allowed. */
void
io_free(struct io *io)
{
	if (io == NULL)
		return;
	tls_session_free(io->io_tls);
	tls_context_free(io->io_tls_ctx);
	if (io->io_fd != -1)
		close(io->io_fd);
	if (io->io_wakefd != -1)
		close(io->io_wakefd);
	free(io->io_fifo);
	free(io->io_in);
	free(io->io_out);
	free(io->io_host);
	free(io->io_port);
	free(io->io_endpoint);
	free(io->io_producer);
	free(io);
}

/*
 * Frees the I/O state in a child after fork(): the thread does not
 * exist here; the descriptors are closed without shutdown(), which
 * would end the parent's connection too. The TLS session and context
 * are left allocated on purpose: freeing them takes OpenSSL's locks,
 * which a parent thread may have held at the fork, for ever in here.
 */
void
io_forget(struct io *io)
{
	io->io_tls = NULL;
	io->io_tls_ctx = NULL;
	io_free(io);
}

/* Wakes the I/O thread. */
static void
io_kick(struct io *io)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(io->io_wakefd, &one, sizeof(one));
	while (n == -1 && errno == EINTR);
}

/*
 * Wakes the I/O thread from another thread; need_room says a producer
 * waits for room in the queue.
 */
void
io_wake(struct io *io, int need_room)
{
	if (need_room)
		atomic_store(&io->io_need_room, 1);
	atomic_store(&io->io_idle, 0);
	io_kick(io);
}

/*
 * Called by a producer after publishing position pos: wakes the I/O
 * thread only if it sleeps without a timer, or when a full batch is
 * ready. The common case costs two loads and no system call.
 */
void
io_published(struct io *io, uint64_t pos)
{
	uint64_t sent;

	if (atomic_load(&io->io_idle) && atomic_exchange(&io->io_idle, 0)) {
		io_kick(io);
		return;
	}
	sent = atomic_load_explicit(&io->io_send_hint, memory_order_relaxed);
	if (pos >= sent && pos - sent + 1 == io->io_batch_max)
		io_kick(io);
}

/* Returns the number of loss records the I/O thread queued. */
uint64_t
io_loss_records(const struct io *io)
{
	return atomic_load_explicit(&io->io_loss_records,
	    memory_order_relaxed);
}

/* Returns the in-flight batch at the head of the FIFO. */
static struct io_batch *
io_fifo_first(struct io *io)
{
	return &io->io_fifo[io->io_fifo_head];
}

/* Appends a batch to the FIFO (the caller checked there is room). */
static void
io_fifo_push(struct io *io, const struct io_batch *b)
{
	io->io_fifo[(io->io_fifo_head + io->io_fifo_n) % IO_MAX_INFLIGHT] =
	    *b;
	io->io_fifo_n++;
}

/* Drops the head of the FIFO. */
static void
io_fifo_pop(struct io *io)
{
	io->io_fifo_head = (io->io_fifo_head + 1) % IO_MAX_INFLIGHT;
	io->io_fifo_n--;
}

/*
 * Resolves the records of batch b (the oldest unresolved ones): frees
 * their spool frames and queue slots and tells the waiters.
 */
static void
io_finish_batch(struct io *io, const struct io_batch *b, int fate,
    uint64_t stored, uint64_t first_index, uint64_t log_size,
    uint64_t ckpt_size, const uint8_t *leaves)
{
	struct client_resolution r;
	int rc;

	if (b->ib_has_spool && io->io_sp != NULL) {
		if ((rc = spool_consume(io->io_sp, b->ib_sp_end)) != 0)
			client_log(io->io_c, ALGAUDIT_LOG_WARNING, "spool %s: "
			    "trimming: %s", spool_path(io->io_sp),
			    strerror(rc));
		client_set_spool_state(io->io_c, 0);
	}
	queue_release(io->io_q, b->ib_n_ring);
	memset(&r, 0, sizeof(r));
	r.cr_fate = fate;
	r.cr_n = b->ib_n;
	r.cr_nopos = b->ib_n < io->io_sp_old ? b->ib_n : io->io_sp_old;
	io->io_sp_old -= r.cr_nopos;
	r.cr_stored = stored;
	r.cr_first_index = first_index;
	r.cr_log_size = log_size;
	r.cr_ckpt_size = ckpt_size;
	r.cr_leaves = leaves;
	client_resolve(io->io_c, &r);
}

/* Resolves the locally refused batches now at the head of the FIFO. */
static void
io_fifo_settle(struct io *io)
{
	struct io_batch *b;

	while (io->io_fifo_n > 0 && (b = io_fifo_first(io))->ib_local) {
		io_finish_batch(io, b, CLIENT_REJECTED, 0, 0, io->io_log_size,
		    0, NULL);
		io_fifo_pop(io);
	}
}

/*
 * Returns the next seq to assign, or 0 when none can be assigned yet
 * (no Welcome and no spool to hold a high-water, or the high-water
 * could not be made durable). See docs/CLIENT.md, "Sequence numbers".
 */
static uint64_t
io_seq_take(struct io *io)
{
	uint64_t seq, floor;
	int rc;

	floor = io->io_seq_floor;
	if (io->io_sp == NULL && !io->io_welcomed)
		return 0;
	if (io->io_sp != NULL && io->io_seq_last == 0 && floor == 0 &&
	    !io->io_welcomed) {
		/*
		 * A new spool and no word from the daemon: a predecessor
		 * without this spool may have used small seqs, so start
		 * above anything it can have used: the clock in us.
		 */
		floor = (uint64_t)(client_realtime_ns() / 1000);
		io->io_seq_floor = floor;
	}
	seq = (io->io_seq_last > floor ? io->io_seq_last : floor) + 1;
	if (io->io_sp != NULL && seq > spool_hw(io->io_sp)) {
		if ((rc = spool_reserve(io->io_sp,
		    seq + SPOOL_HW_BLOCK - 1)) != 0) {
			client_log(io->io_c, ALGAUDIT_LOG_ERROR, "spool %s: "
			    "cannot record the seq high-water: %s; holding "
			    "records until it can", spool_path(io->io_sp),
			    strerror(rc));
			io->io_spool_retry_at = client_now_us() +
			    IO_SPOOL_CHECK_US;
			return 0;
		}
	}
	io->io_seq_last = seq;
	return seq;
}

/* Closes the connection and schedules the next attempt. */
static void
io_disconnect(struct io *io, uint64_t now)
{
	uint32_t delay;

	if (io->io_tls != NULL) {
		tls_session_close(io->io_tls);
		tls_session_free(io->io_tls);
		io->io_tls = NULL;
	}
	io->io_rd_ev = POLLIN;
	io->io_wr_ev = POLLOUT;
	if (io->io_fd != -1) {
		close(io->io_fd);
		io->io_fd = -1;
	}
	io->io_fifo_n = 0;
	io->io_fifo_head = 0;
	io->io_out_off = io->io_out_len = 0;
	io->io_in_len = 0;
	io->io_ring_send = queue_tail(io->io_q);
	atomic_store_explicit(&io->io_send_hint, io->io_ring_send,
	    memory_order_relaxed);
	if (io->io_sp != NULL)
		io->io_sp_send = spool_begin(io->io_sp);
	io->io_hold_ring = 0;
	io->io_linger_at = 0;
	if (io->io_state == IO_FENCED)
		return;
	delay = backoff_next(&io->io_backoff);
	io->io_retry_at = now + (uint64_t)delay * 1000;
	io_set_state(io, IO_DISCONNECTED);
	client_log(io->io_c, ALGAUDIT_LOG_DEBUG, "%s: next attempt in %u ms",
	    io->io_endpoint, delay);
}

/* Logs why the connection failed, then disconnects. */
static void
io_fail(struct io *io, uint64_t now, int level, const char *what)
{
	/* Up to the Welcome (a refused certificate shows in HELLO). */
	if ((io->io_state == IO_CONNECTING || io->io_state == IO_TLS ||
	    io->io_state == IO_HELLO) && io->io_failures++ > 0)
		level = ALGAUDIT_LOG_DEBUG;
	client_log(io->io_c, level, "%s: %s", io->io_endpoint, what);
	io_disconnect(io, now);
}

/* Queues the Hello frame and waits for the Welcome. */
static void
io_hello(struct io *io, uint64_t now)
{
	size_t need = 1024 + strlen(io->io_producer);

	if (io->io_out_cap < need) {
		free(io->io_out);
		if ((io->io_out = malloc(need)) == NULL) {
			io->io_out_cap = 0;
			io_fail(io, now, ALGAUDIT_LOG_ERROR, "out of memory");
			return;
		}
		io->io_out_cap = need;
	}
	io->io_out_off = 0;
	io->io_out_len = wire_hello(io->io_out, io->io_out_cap,
	    io->io_producer, io->io_ack_level, io->io_leaves);
	io->io_deadline = now + (uint64_t)io->io_connect_timeout_ms * 1000;
	io_set_state(io, IO_HELLO);
}

/* Sets the socket options every connection gets. */
static void
io_sockopts(struct io *io, int fd)
{
	int one = 1;

#ifdef SO_NOSIGPIPE
	(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
	if (!io->io_is_unix)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	(void)one;
}

/*
 * Advances the TLS handshake; once it is complete, sends the Hello. A
 * failure (the daemon's certificate refused, no TLS 1.3, an alert) is
 * a failed connection attempt.
 */
static void
io_tls_step(struct io *io, uint64_t now)
{
	char msg[512];

	switch (tls_session_handshake(io->io_tls, msg, sizeof(msg))) {
	case TLS_OK:
		tls_session_describe(io->io_tls, msg, sizeof(msg));
		client_log(io->io_c, ALGAUDIT_LOG_DEBUG, "%s: tls: %s, "
		    "verified for %s", io->io_endpoint, msg,
		    tls_context_name(io->io_tls_ctx));
		io->io_rd_ev = POLLIN;
		io_hello(io, now);
		break;
	case TLS_WANT_READ:
		io->io_rd_ev = POLLIN;
		break;
	case TLS_WANT_WRITE:
		io->io_rd_ev = POLLOUT;
		break;
	case TLS_CLOSED:
		io_fail(io, now, ALGAUDIT_LOG_ERROR, "tls: handshake: "
		    "connection closed by the daemon");
		break;
	default:
		io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
		break;
	}
}

/*
 * The socket is connected: starts the TLS handshake on a tls: endpoint
 * (within the connect deadline), else sends the Hello.
 */
static void
io_connected(struct io *io, uint64_t now)
{
	char msg[512];

	if (io->io_tls_ctx == NULL) {
		io_hello(io, now);
		return;
	}
	if (tls_session_new(io->io_tls_ctx, io->io_fd, &io->io_tls, msg,
	    sizeof(msg)) != 0) {
		io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
		return;
	}
	io_set_state(io, IO_TLS);
	io_tls_step(io, now);
}

/* Starts a non-blocking connection attempt. */
static void
io_connect(struct io *io, uint64_t now)
{
	struct addrinfo hints, *res = NULL, *ai;
	char msg[512];
	int fd = -1, rc, saved = 0;

	io->io_deadline = now + (uint64_t)io->io_connect_timeout_ms * 1000;
	if (io->io_is_unix) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			saved = errno;
			goto fail;
		}
		io_sockopts(io, fd);
		if (connect(fd, (struct sockaddr *)&io->io_sun,
		    sizeof(io->io_sun)) == 0)
			goto connected;
		saved = errno;
		if (saved == EINPROGRESS)
			goto progress;
		goto fail;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(io->io_host, io->io_port, &hints, &res)) != 0) {
		snprintf(msg, sizeof(msg), "cannot resolve %s: %s",
		    io->io_host, gai_strerror(rc));
		io_fail(io, now, ALGAUDIT_LOG_WARNING, msg);
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		io_sockopts(io, fd);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(res);
			goto connected;
		}
		saved = errno;
		if (saved == EINPROGRESS) {
			freeaddrinfo(res);
			goto progress;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	goto fail;

progress:
	io->io_fd = fd;
	io_set_state(io, IO_CONNECTING);
	return;
connected:
	io->io_fd = fd;
	io_connected(io, now);
	return;
fail:
	if (fd != -1)
		close(fd);
	snprintf(msg, sizeof(msg), "cannot connect: %s", strerror(saved));
	io_set_state(io, IO_CONNECTING);	/* for io_fail's repeat rule */
	io_fail(io, now, ALGAUDIT_LOG_WARNING, msg);
}

/* Completes a non-blocking connect once the socket is writable. */
static void
io_connect_done(struct io *io, uint64_t now)
{
	char msg[256];
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(io->io_fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		snprintf(msg, sizeof(msg), "cannot connect: %s",
		    strerror(err));
		io_fail(io, now, ALGAUDIT_LOG_WARNING, msg);
		return;
	}
	io_connected(io, now);
}

/*
 * Sends up to len bytes of buf on the connection, through TLS when it
 * has it. Returns the count sent, -1 when nothing can be sent now
 * (io_wr_ev says what to wait for), or -2 when the connection failed
 * (why in msg; the caller calls io_fail()).
 */
static ssize_t
io_send(struct io *io, const uint8_t *buf, size_t len, char *msg,
    size_t msglen)
{
	ssize_t n;
	size_t done;

	if (io->io_tls != NULL) {
		switch (tls_session_write(io->io_tls, buf, len, &done, msg,
		    msglen)) {
		case TLS_OK:
			io->io_wr_ev = POLLOUT;
			return (ssize_t)done;
		case TLS_WANT_WRITE:
			io->io_wr_ev = POLLOUT;
			return -1;
		case TLS_WANT_READ:
			io->io_wr_ev = POLLIN;
			return -1;
		case TLS_CLOSED:
			snprintf(msg, msglen, "connection closed by the "
			    "daemon");
			return -2;
		default:
			return -2;
		}
	}
	for (;;) {
		n = send(io->io_fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		snprintf(msg, msglen, "send: %s", strerror(errno));
		return -2;
	}
}

/*
 * Writes what is pending in the output buffer. Returns 0 when all of it
 * went out, 1 when the socket is full, -1 when the connection failed
 * (and was closed).
 */
static int
io_write(struct io *io, uint64_t now)
{
	char msg[512];
	ssize_t n;

	while (io->io_out_off < io->io_out_len) {
		n = io_send(io, io->io_out + io->io_out_off,
		    io->io_out_len - io->io_out_off, msg, sizeof(msg));
		if (n >= 0) {
			io->io_out_off += (size_t)n;
			continue;
		}
		if (n == -1)
			return 1;
		io_fail(io, now, ALGAUDIT_LOG_WARNING, msg);
		return -1;
	}
	io->io_out_off = io->io_out_len = 0;
	return 0;
}

/* Makes the output buffer hold at least need bytes. */
static int
io_out_reserve(struct io *io, size_t need)
{
	uint8_t *p;
	size_t cap;

	if (need <= io->io_out_cap)
		return 0;
	cap = io->io_out_cap < 64 * 1024 ? 64 * 1024 : io->io_out_cap;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(io->io_out, cap)) == NULL)
		return ENOMEM;
	io->io_out = p;
	io->io_out_cap = cap;
	return 0;
}

/* Logs and refuses a record too large for any frame the daemon takes. */
static void
io_refuse_large(struct io *io, struct io_batch *b, uint64_t seq, size_t len)
{
	client_log(io->io_c, ALGAUDIT_LOG_ERROR, "record seq %llu: %zu "
	    "bytes, too large for the daemon's frame limit of %u bytes; "
	    "refused", (unsigned long long)seq, len, io->io_max_frame);
	b->ib_first_seq = b->ib_last_seq = seq;
	b->ib_n = 1;
	b->ib_local = 1;
	io_fifo_push(io, b);
	io_fifo_settle(io);
}

/*
 * Builds one Batch frame into the output buffer from the spool's unsent
 * frames, then the queue's published slots, assigning seqs as needed.
 * Returns the number of records in it (0: nothing to send now).
 */
static uint64_t
io_build_batch(struct io *io)
{
	struct io_batch b;
	const uint8_t *data;
	uint64_t seq, next, seq_from, n = 0, limit;
	size_t len = 0, dlen, el;
	int rc;

	memset(&b, 0, sizeof(b));
	limit = io->io_max_frame - 1 - 5;
	while (io->io_sp != NULL && io->io_sp_send < spool_end(io->io_sp) &&
	    n < io->io_batch_max && len < IO_BATCH_SOFT_BYTES) {
		rc = spool_read(io->io_sp, io->io_sp_send, &seq, &data, &dlen,
		    &next);
		if (rc != SPOOL_OK) {
			client_log(io->io_c, ALGAUDIT_LOG_ERROR, "spool %s: "
			    "frame at %llu is damaged (%s); cutting the spool "
			    "there", spool_path(io->io_sp),
			    (unsigned long long)io->io_sp_send,
			    rc == SPOOL_ECORRUPT ? "checksum or length" :
			    strerror(rc));
			(void)spool_cut(io->io_sp, io->io_sp_send);
			break;
		}
		el = wire_element_len(dlen, seq);
		if (len + el > limit) {
			if (n > 0)
				break;
			b.ib_has_spool = 1;
			b.ib_sp_end = next;
			io->io_sp_send = next;
			io_refuse_large(io, &b, seq, dlen);
			return 0;
		}
		if (io_out_reserve(io, WIRE_BATCH_PREFIX + len + el) != 0)
			break;
		wire_element_put(io->io_out + WIRE_BATCH_PREFIX + len, data,
		    dlen, seq);
		len += el;
		if (n++ == 0)
			b.ib_first_seq = seq;
		b.ib_last_seq = seq;
		if (seq <= io->io_max_sent)
			client_count(io->io_c, ALGAUDIT_COUNTER_RETRIED, 1);
		else
			io->io_max_sent = seq;
		b.ib_has_spool = 1;
		b.ib_sp_end = next;
		io->io_sp_send = next;
	}
	seq_from = io->io_ring_seq;
	if ((io->io_sp == NULL || io->io_sp_send == spool_end(io->io_sp)) &&
	    !io->io_hold_ring) {
		while (n < io->io_batch_max && len < IO_BATCH_SOFT_BYTES &&
		    queue_published(io->io_q, io->io_ring_send)) {
			data = queue_data(io->io_q, io->io_ring_send, &dlen);
			if ((seq = queue_seq(io->io_q, io->io_ring_send)) ==
			    0) {
				if ((seq = io_seq_take(io)) == 0)
					break;
				queue_set_seq(io->io_q, io->io_ring_send, seq);
				io->io_ring_seq = io->io_ring_send + 1;
			}
			el = wire_element_len(dlen, seq);
			if (len + el > limit) {
				if (n > 0)
					break;
				io->io_ring_send++;
				client_seqs_assigned(io->io_c, io->io_q,
				    seq_from, io->io_ring_seq);
				b.ib_n_ring = 1;
				io_refuse_large(io, &b, seq, dlen);
				atomic_store_explicit(&io->io_send_hint,
				    io->io_ring_send, memory_order_relaxed);
				return 0;
			}
			if (io_out_reserve(io, WIRE_BATCH_PREFIX + len + el) !=
			    0)
				break;
			wire_element_put(io->io_out + WIRE_BATCH_PREFIX + len,
			    data, dlen, seq);
			len += el;
			if (n++ == 0)
				b.ib_first_seq = seq;
			b.ib_last_seq = seq;
			if (seq <= io->io_max_sent)
				client_count(io->io_c,
				    ALGAUDIT_COUNTER_RETRIED, 1);
			else
				io->io_max_sent = seq;
			b.ib_n_ring++;
			io->io_ring_send++;
		}
		if (io->io_ring_seq > seq_from)
			client_seqs_assigned(io->io_c, io->io_q, seq_from,
			    io->io_ring_seq);
		atomic_store_explicit(&io->io_send_hint, io->io_ring_send,
		    memory_order_relaxed);
	}
	if (n == 0)
		return 0;
	io->io_out_off = wire_batch_close(io->io_out, len);
	io->io_out_len = WIRE_BATCH_PREFIX + len;
	b.ib_n = n;
	io_fifo_push(io, &b);
	client_count(io->io_c, ALGAUDIT_COUNTER_SENT, n);
	return n;
}

/*
 * Counts the published, unsent queue slots, up to the batch size.
 */
static uint64_t
io_ring_ready(struct io *io)
{
	uint64_t n = 0;

	while (n < io->io_batch_max &&
	    queue_published(io->io_q, io->io_ring_send + n))
		n++;
	return n;
}

/*
 * Sends batches while there is something to send, the socket takes it
 * and the in-flight limit allows; a partial batch waits for the linger
 * time unless someone waits for it.
 */
static void
io_fill(struct io *io, uint64_t now)
{
	uint64_t ready;
	int spool_pending, turns;

	io->io_nothing = 0;
	for (turns = 0; turns < IO_FILL_BUDGET; turns++) {
		if (io->io_state != IO_READY || io->io_out_len > 0 ||
		    io->io_fifo_n >= IO_MAX_INFLIGHT)
			return;
		spool_pending = io->io_sp != NULL &&
		    io->io_sp_send < spool_end(io->io_sp);
		ready = io->io_hold_ring ? 0 : io_ring_ready(io);
		if (!spool_pending && ready == 0) {
			io->io_linger_at = 0;
			io->io_nothing = !io->io_hold_ring;
			return;
		}
		io->io_empty_ticks = 0;
		if (!spool_pending && ready < io->io_batch_max &&
		    !client_urgent(io->io_c) && !atomic_load(&io->io_stop)) {
			if (io->io_linger_at == 0)
				io->io_linger_at = now + io->io_linger_us;
			if (now < io->io_linger_at)
				return;
		}
		io->io_linger_at = 0;
		if (now < io->io_spool_retry_at && !spool_pending)
			return;
		if (io_build_batch(io) == 0 && io->io_out_len == 0)
			continue;
		if (io_write(io, now) != 0)
			return;
	}
}

/*
 * Moves published records from the queue's tail to the spool (at most
 * max), assigning seqs, one fsync per chunk; the queue slots are freed
 * once the chunk is durable. Only while none of the queue's records is
 * in flight. Returns the number moved.
 */
static uint64_t
io_spool_move(struct io *io, uint64_t max)
{
	const uint8_t *data;
	uint64_t tail, pos, seq, n, moved = 0, seq_from;
	size_t len, bytes;
	int rc;

	if (io->io_sp == NULL || io->io_ring_send != queue_tail(io->io_q))
		return 0;
	for (;;) {
		tail = queue_tail(io->io_q);
		pos = tail;
		n = 0;
		bytes = 0;
		seq_from = io->io_ring_seq > tail ? io->io_ring_seq : tail;
		rc = 0;
		while (moved + n < max && n < IO_MOVE_CHUNK_RECORDS &&
		    bytes < IO_MOVE_CHUNK_BYTES &&
		    queue_published(io->io_q, pos)) {
			data = queue_data(io->io_q, pos, &len);
			if ((seq = queue_seq(io->io_q, pos)) == 0) {
				if ((seq = io_seq_take(io)) == 0) {
					rc = -1;
					break;
				}
				queue_set_seq(io->io_q, pos, seq);
				io->io_ring_seq = pos + 1;
			}
			if ((rc = spool_append(io->io_sp, seq, data, len)) !=
			    0)
				break;
			pos++;
			n++;
			bytes += len;
		}
		if (io->io_ring_seq > seq_from)
			client_seqs_assigned(io->io_c, io->io_q, seq_from,
			    io->io_ring_seq);
		if (rc == SPOOL_EFULL) {
			client_set_spool_state(io->io_c, ALGAUDIT_EFULL);
			client_log(io->io_c, ALGAUDIT_LOG_WARNING, "spool %s: "
			    "full (%llu bytes)", spool_path(io->io_sp),
			    (unsigned long long)spool_size(io->io_sp));
		} else if (rc > 0) {
			client_log(io->io_c, ALGAUDIT_LOG_ERROR, "spool %s: "
			    "append: %s", spool_path(io->io_sp),
			    strerror(rc));
		}
		if (n > 0 && (rc = spool_sync(io->io_sp)) != 0) {
			client_log(io->io_c, ALGAUDIT_LOG_ERROR, "spool %s: "
			    "write: %s; records stay queued",
			    spool_path(io->io_sp), strerror(rc));
			client_set_spool_state(io->io_c, ALGAUDIT_ESPOOL);
			io->io_spool_retry_at = client_now_us() +
			    IO_SPOOL_CHECK_US;
			return moved;
		}
		if (n == 0)
			return moved;
		queue_release(io->io_q, n);
		client_count(io->io_c, ALGAUDIT_COUNTER_SPOOLED, n);
		moved += n;
		io->io_ring_send = tail + n;
		if (io->io_ring_seq < io->io_ring_send)
			io->io_ring_seq = io->io_ring_send;
		atomic_store_explicit(&io->io_send_hint, io->io_ring_send,
		    memory_order_relaxed);
		if (rc != 0 || moved >= max)
			return moved;
	}
}

/*
 * Decides whether queued records go to the spool: when the daemon is
 * not reachable and the queue is half full or a producer waits for
 * room; under the spool policy also when connected and a producer waits
 * (the queue is then drained into the spool once its in-flight records
 * are answered).
 */
static void
io_pressure(struct io *io, uint64_t now)
{
	uint64_t recs, bytes;
	int need;

	if (io->io_sp == NULL || now < io->io_spool_retry_at)
		return;
	need = atomic_exchange(&io->io_need_room, 0) ||
	    queue_waiters(io->io_q) > 0;
	if (io->io_state != IO_READY) {
		queue_usage(io->io_q, &recs, &bytes);
		if (need || recs * 2 >= queue_capacity_records(io->io_q) ||
		    bytes * 2 >= queue_capacity_bytes(io->io_q))
			io_spool_move(io, UINT64_MAX);
		return;
	}
	if (need && io->io_policy == ALGAUDIT_OVERFLOW_SPOOL)
		io->io_hold_ring = 1;
	if (io->io_hold_ring && io->io_ring_send == queue_tail(io->io_q)) {
		io_spool_move(io, UINT64_MAX);
		io->io_hold_ring = 0;
	}
}

/*
 * Queues a loss record when the drop policy dropped records: it tells
 * the log how many were lost, so the gap is visible.
 */
static void
io_loss_record(struct io *io)
{
	Algaudit__V1__DecisionRecord m = ALGAUDIT__V1__DECISION_RECORD__INIT;
	uint64_t n, pos;
	uint8_t *buf;
	size_t len;

	if ((n = client_take_dropped(io->io_c)) == 0)
		return;
	m.has_event_time_ns = 1;
	m.event_time_ns = client_realtime_ns();
	m.has_data_class = 1;
	m.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	m.has_lost_records = 1;
	m.lost_records = n;
	len = protobuf_c_message_get_packed_size(&m.base);
	if (queue_reserve(io->io_q, len, NULL, &pos, &buf) != QUEUE_OK) {
		client_return_dropped(io->io_c, n);
		return;
	}
	protobuf_c_message_pack(&m.base, buf);
	queue_publish(io->io_q, pos);
	atomic_fetch_add(&io->io_loss_records, 1);
	client_log(io->io_c, ALGAUDIT_LOG_WARNING, "dropped %llu records "
	    "(queue full, drop policy); a loss record tells the log",
	    (unsigned long long)n);
}

/*
 * Resolves the records at or below a Welcome's durable mark: they were
 * delivered on an earlier connection (or by a predecessor) and are in
 * the log.
 */
static void
io_resolve_durable(struct io *io, uint64_t durable)
{
	struct client_resolution r;
	const uint8_t *data;
	uint64_t off, next, seq, nsp = 0, pos, tail;
	size_t len;

	off = io->io_sp_send;
	while (io->io_sp != NULL && off < spool_end(io->io_sp) &&
	    spool_read(io->io_sp, off, &seq, &data, &len, &next) ==
	    SPOOL_OK && seq <= durable) {
		off = next;
		nsp++;
	}
	if (nsp > 0) {
		(void)spool_consume(io->io_sp, off);
		io->io_sp_send = off;
		client_set_spool_state(io->io_c, 0);
	}
	tail = queue_tail(io->io_q);
	pos = tail;
	while (pos < io->io_ring_seq && queue_seq(io->io_q, pos) <= durable)
		pos++;
	queue_release(io->io_q, pos - tail);
	io->io_ring_send = pos;
	atomic_store_explicit(&io->io_send_hint, pos, memory_order_relaxed);
	if (nsp + (pos - tail) == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.cr_fate = CLIENT_DURABLE;
	r.cr_n = nsp + (pos - tail);
	r.cr_nopos = r.cr_n < io->io_sp_old ? r.cr_n : io->io_sp_old;
	io->io_sp_old -= r.cr_nopos;
	r.cr_log_size = io->io_log_size;
	r.cr_ckpt_size = io->io_welcome_ckpt;
	client_resolve(io->io_c, &r);
}

/* Handles a Welcome. */
static void
io_on_welcome(struct io *io, const Algaudit__V1__Welcome *w, uint64_t now)
{
	char msg[128];

	if (!w->has_protocol_version ||
	    w->protocol_version != FRAME_PROTOCOL_VERSION) {
		snprintf(msg, sizeof(msg), "daemon speaks protocol version "
		    "%u, this library %d (%s)", w->protocol_version,
		    FRAME_PROTOCOL_VERSION,
		    algaudit_strerror(ALGAUDIT_EVERSION));
		io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
		return;
	}
	io->io_max_frame = FRAME_MAX_DEFAULT;
	if (w->has_max_frame) {
		io->io_max_frame = w->max_frame;
		if (io->io_max_frame < FRAME_MIN_LIMIT)
			io->io_max_frame = FRAME_MIN_LIMIT;
		if (io->io_max_frame > FRAME_MAX_LIMIT)
			io->io_max_frame = FRAME_MAX_LIMIT;
	}
	io->io_log_size = w->log_size;
	io->io_welcome_ckpt = 0;
	if (io->io_ack_level == ALGAUDIT_ACK_CHECKPOINTED) {
		if (!w->has_checkpoint_size ||
		    w->checkpoint_size < w->log_size) {
			io_fail(io, now, ALGAUDIT_LOG_ERROR, "Welcome "
			    "without a checkpoint covering the log at the "
			    "checkpointed level: a daemon older than this "
			    "library? (ALGAUDIT_EPROTO)");
			return;
		}
		io->io_welcome_ckpt = w->checkpoint_size;
	}
	if (w->durable_seq == UINT64_MAX) {
		/* No seq could follow it: we would never send again. */
		io_fail(io, now, ALGAUDIT_LOG_ERROR, "Welcome with durable seq "
		    "2^64-1: no record can follow it (ALGAUDIT_EPROTO)");
		return;
	}
	if (w->durable_seq > io->io_seq_floor)
		io->io_seq_floor = w->durable_seq;
	io->io_welcomed = 1;
	io->io_failures = 0;
	/*
	 * The backoff is reset by the first Ack, not here: a daemon that
	 * welcomes us and then refuses what we send with a fatal error
	 * would otherwise see us reconnect at the initial delay forever.
	 */
	if (io->io_connected_once)
		client_count(io->io_c, ALGAUDIT_COUNTER_RECONNECTS, 1);
	io->io_connected_once = 1;
	io_set_state(io, IO_READY);
	client_log(io->io_c, ALGAUDIT_LOG_INFO, "%s: connected as %s; "
	    "durable seq %llu, log size %llu", io->io_endpoint,
	    io->io_producer, (unsigned long long)w->durable_seq,
	    (unsigned long long)w->log_size);
	io_resolve_durable(io, w->durable_seq);
}

/* Handles an Ack: the oldest batch in flight is durable. */
static void
io_on_ack(struct io *io, const Algaudit__V1__Ack *a, uint64_t now)
{
	struct io_batch *b;
	const uint8_t *leaves = NULL;
	uint64_t stored, ckpt = 0;
	char msg[200];

	if (io->io_fifo_n == 0) {
		io_fail(io, now, ALGAUDIT_LOG_ERROR, "Ack with no batch in "
		    "flight (ALGAUDIT_EPROTO)");
		return;
	}
	b = io_fifo_first(io);
	if (!a->has_producer_seq || a->producer_seq < b->ib_last_seq ||
	    (a->has_stored && a->stored > b->ib_n)) {
		snprintf(msg, sizeof(msg), "Ack for seq %llu (stored %u) does "
		    "not match the batch of seqs %llu..%llu (ALGAUDIT_EPROTO)",
		    (unsigned long long)a->producer_seq, a->stored,
		    (unsigned long long)b->ib_first_seq,
		    (unsigned long long)b->ib_last_seq);
		io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
		return;
	}
	stored = a->has_stored ? a->stored : 0;
	if (a->has_leaf_hashes) {
		if (a->leaf_hashes.len != stored * IO_LEAF_HASH_LEN) {
			snprintf(msg, sizeof(msg), "Ack with %zu bytes of leaf "
			    "hashes for %llu stored records (ALGAUDIT_EPROTO)",
			    a->leaf_hashes.len, (unsigned long long)stored);
			io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
			return;
		}
		leaves = a->leaf_hashes.data;
	}
	if (io->io_ack_level == ALGAUDIT_ACK_CHECKPOINTED) {
		/* The checkpoint must cover every record of the batch. */
		ckpt = a->has_checkpoint_size ? a->checkpoint_size : 0;
		if (ckpt == 0 || (stored > 0 && ckpt < a->first_index +
		    stored) || (a->has_log_size && ckpt < a->log_size)) {
			snprintf(msg, sizeof(msg), "Ack at the checkpointed "
			    "level with checkpoint size %llu, which does not "
			    "cover the batch (ALGAUDIT_EPROTO)",
			    (unsigned long long)ckpt);
			io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
			return;
		}
	}
	if (a->has_log_size)
		io->io_log_size = a->log_size;
	io_finish_batch(io, b, CLIENT_ACKED, stored, a->first_index,
	    io->io_log_size, ckpt, leaves);
	io_fifo_pop(io);
	io_fifo_settle(io);
}

/* Handles an Error frame from the daemon. */
static void
io_on_error(struct io *io, const Algaudit__V1__Error *e, uint64_t now)
{
	struct io_batch *b;
	char msg[512], text[256];
	int code = e->has_code ? (int)e->code : 0;
	size_t i;

	/* The daemon's words go to the application's log: printable only. */
	snprintf(text, sizeof(text), "%s", e->message != NULL ? e->message :
	    "");
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] >= 0x7f)
			text[i] = '?';

	snprintf(msg, sizeof(msg), "daemon error %s: %s",
	    frame_strerror_code(code), text);
	switch (code) {
	case ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD:
		if (io->io_state != IO_READY || io->io_fifo_n == 0) {
			io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
			return;
		}
		b = io_fifo_first(io);
		client_log(io->io_c, ALGAUDIT_LOG_ERROR, "%s: batch of seqs "
		    "%llu..%llu (%llu records) refused: %s", io->io_endpoint,
		    (unsigned long long)b->ib_first_seq,
		    (unsigned long long)b->ib_last_seq,
		    (unsigned long long)b->ib_n, text);
		io_finish_batch(io, b, CLIENT_REJECTED, 0, 0,
		    io->io_log_size, 0, NULL);
		io_fifo_pop(io);
		io_fifo_settle(io);
		if (e->has_fatal && e->fatal)
			io_disconnect(io, now);
		return;
	case ALGAUDIT__V1__ERROR_CODE__ERROR_FENCED:
		client_log(io->io_c, ALGAUDIT_LOG_ERROR, "%s: %s; another "
		    "handle uses producer id %s: stopping (%s)",
		    io->io_endpoint, msg, io->io_producer,
		    algaudit_strerror(ALGAUDIT_EFENCED));
		io_set_state(io, IO_FENCED);
		io_disconnect(io, now);
		client_set_fenced(io->io_c);
		return;
	case ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FULL:
	case ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FAILED:
		/*
		 * The batch was not stored. Batches sent after it may be
		 * refused for their order on this connection, so start
		 * over on a new one after a pause and resend from the
		 * oldest record not acknowledged.
		 */
		io_fail(io, now, ALGAUDIT_LOG_WARNING, msg);
		return;
	case ALGAUDIT__V1__ERROR_CODE__ERROR_SHUTTING_DOWN:
		io_fail(io, now, ALGAUDIT_LOG_INFO, msg);
		return;
	default:
		io_fail(io, now, ALGAUDIT_LOG_ERROR, msg);
		return;
	}
}

/* Handles one server frame body. */
static void
io_on_frame(struct io *io, const uint8_t *body, size_t len, uint64_t now)
{
	Algaudit__V1__ServerFrame *sf;
	struct frame_alloc fa;

	frame_alloc_init(&fa, frame_unpack_cap(len));
	if ((sf = frame_unpack_server(&fa, body, len)) == NULL) {
		io_fail(io, now, ALGAUDIT_LOG_ERROR, "malformed frame from "
		    "the daemon (ALGAUDIT_EPROTO)");
		return;
	}
	switch (sf->msg_case) {
	case ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME:
		if (io->io_state != IO_HELLO)
			io_fail(io, now, ALGAUDIT_LOG_ERROR, "unexpected "
			    "Welcome (ALGAUDIT_EPROTO)");
		else
			io_on_welcome(io, sf->welcome, now);
		break;
	case ALGAUDIT__V1__SERVER_FRAME__MSG_ACK:
		if (io->io_state != IO_READY)
			io_fail(io, now, ALGAUDIT_LOG_ERROR, "Ack before "
			    "Welcome (ALGAUDIT_EPROTO)");
		else {
			backoff_reset(&io->io_backoff);
			io_on_ack(io, sf->ack, now);
		}
		break;
	case ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR:
		io_on_error(io, sf->error, now);
		break;
	default:
		io_fail(io, now, ALGAUDIT_LOG_ERROR, "server frame with no "
		    "message (ALGAUDIT_EPROTO)");
		break;
	}
	frame_free_server(&fa, sf);
}

/*
 * Receives up to len bytes from the connection into buf, through TLS
 * when it has it. Returns the count, 0 at end of file, -1 when there is
 * nothing to read now (io_rd_ev says what to wait for), or -2 when the
 * connection failed (why in msg).
 */
static ssize_t
io_recv(struct io *io, uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	ssize_t n;
	size_t done;

	if (io->io_tls != NULL) {
		switch (tls_session_read(io->io_tls, buf, len, &done, msg,
		    msglen)) {
		case TLS_OK:
			io->io_rd_ev = POLLIN;
			return (ssize_t)done;
		case TLS_WANT_READ:
			io->io_rd_ev = POLLIN;
			return -1;
		case TLS_WANT_WRITE:
			io->io_rd_ev = POLLOUT;
			return -1;
		case TLS_CLOSED:
			return 0;
		default:
			return -2;
		}
	}
	for (;;) {
		n = recv(io->io_fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		snprintf(msg, msglen, "recv: %s", strerror(errno));
		return -2;
	}
}

/*
 * Reads from the daemon and handles every whole frame received, until
 * nothing is left to read: with TLS, that includes what the session
 * holds decrypted.
 */
static void
io_read(struct io *io, uint64_t now)
{
	char msg[512];
	size_t need, off;
	ssize_t n;
	int rc;

	for (;;) {
		n = io_recv(io, io->io_in + io->io_in_len,
		    io->io_in_max + FRAME_HEADER_LEN - io->io_in_len, msg,
		    sizeof(msg));
		if (n == 0) {
			io_fail(io, now, io->io_state == IO_FENCED ?
			    ALGAUDIT_LOG_DEBUG : ALGAUDIT_LOG_WARNING,
			    "connection closed by the daemon");
			return;
		}
		if (n == -1)
			return;
		if (n < 0) {
			io_fail(io, now, ALGAUDIT_LOG_WARNING, msg);
			return;
		}
		io->io_in_len += (size_t)n;
		off = 0;
		while ((rc = frame_decode(io->io_in + off, io->io_in_len - off,
		    io->io_in_max, &need)) == FRAME_OK) {
			io_on_frame(io, io->io_in + off + FRAME_HEADER_LEN,
			    need - FRAME_HEADER_LEN, now);
			if (io->io_fd == -1)
				return;
			off += need;
		}
		if (rc == FRAME_TOO_LARGE) {
			io_fail(io, now, ALGAUDIT_LOG_ERROR, "frame from the "
			    "daemon too large (ALGAUDIT_EPROTO)");
			return;
		}
		memmove(io->io_in, io->io_in + off, io->io_in_len - off);
		io->io_in_len -= off;
	}
}

/*
 * Ends the thread's work at close: the connection goes, and with a
 * spool every record not acknowledged goes to the spool for the next
 * process (records already delivered are then duplicates there, which
 * the daemon skips).
 */
static void
io_finish(struct io *io, uint64_t now)
{
	if (io->io_fd != -1 || io->io_state != IO_FENCED)
		io_disconnect(io, now);
	if (io->io_sp == NULL)
		return;
	io_loss_record(io);
	io->io_spool_retry_at = 0;
	io_spool_move(io, UINT64_MAX);
}

/* Computes the poll timeout in ms (-1: none) and sets the idle flag. */
static int
io_timeout(struct io *io, uint64_t now)
{
	uint64_t at = UINT64_MAX, tick;

	switch (io->io_state) {
	case IO_DISCONNECTED:
		at = io->io_retry_at;
		break;
	case IO_CONNECTING:
	case IO_TLS:
	case IO_HELLO:
		at = io->io_deadline;
		break;
	case IO_READY:
		if (io->io_linger_at != 0)
			at = io->io_linger_at;
		else if (io->io_empty_ticks < IO_IDLE_TICKS) {
			tick = io->io_linger_us < IO_TICK_MIN_US ?
			    IO_TICK_MIN_US : io->io_linger_us;
			io->io_empty_ticks++;
			at = now + tick;
		}
		break;
	default:
		break;
	}
	if (io->io_sp != NULL && io->io_state != IO_READY &&
	    at > now + IO_SPOOL_CHECK_US)
		at = now + IO_SPOOL_CHECK_US;
	if (io->io_spool_retry_at > now && at > io->io_spool_retry_at)
		at = io->io_spool_retry_at;
	if (at == UINT64_MAX)
		return -1;
	if (at <= now)
		return 0;
	return (int)((at - now + 999) / 1000);
}

/* The I/O thread. */
static void *
io_main(void *arg)
{
	struct io *io = arg;
	struct pollfd pfd[2];
	uint64_t now, junk;
	int timeout, nfds, pending;

	io->io_ring_send = queue_tail(io->io_q);
	for (;;) {
		now = client_now_us();
		if (atomic_load(&io->io_stop)) {
			io_finish(io, now);
			break;
		}
		if (io->io_state == IO_DISCONNECTED && now >= io->io_retry_at)
			io_connect(io, now);
		if ((io->io_state == IO_CONNECTING ||
		    io->io_state == IO_TLS || io->io_state == IO_HELLO) &&
		    now >= io->io_deadline)
			io_fail(io, now, ALGAUDIT_LOG_WARNING,
			    io->io_state == IO_CONNECTING ? "connect timed "
			    "out" : io->io_state == IO_TLS ? "tls: handshake "
			    "timed out" : "no Welcome from the daemon in "
			    "time");
		if (io->io_state != IO_FENCED)
			io_loss_record(io);
		io_pressure(io, now);
		if (io->io_out_len > 0 && io->io_fd != -1 &&
		    io->io_state != IO_CONNECTING && io->io_state != IO_TLS)
			(void)io_write(io, now);
		io_fill(io, now);

		timeout = io_timeout(io, now);
		/* Decrypted bytes no readiness will announce: read now. */
		pending = io->io_tls != NULL && io->io_state != IO_TLS &&
		    tls_session_pending(io->io_tls);
		if (pending)
			timeout = 0;
		if (timeout == -1) {
			atomic_store(&io->io_idle, 1);
			/* Dekker with io_published(): look once more. */
			if ((io->io_nothing && queue_published(io->io_q,
			    io->io_ring_send)) || atomic_load(&io->io_stop)) {
				atomic_store(&io->io_idle, 0);
				continue;
			}
		}
		nfds = 1;
		pfd[0].fd = io->io_wakefd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (io->io_fd != -1) {
			pfd[1].fd = io->io_fd;
			/*
			 * Without TLS io_rd_ev is POLLIN and io_wr_ev
			 * POLLOUT; a TLS read may wait for POLLOUT and a
			 * write for POLLIN (and then must not ask for
			 * POLLOUT, which would wake the loop for nothing).
			 */
			pfd[1].events = io->io_rd_ev;
			if (io->io_out_len > 0)
				pfd[1].events |= io->io_wr_ev;
			if (io->io_state == IO_CONNECTING)
				pfd[1].events = POLLOUT;
			pfd[1].revents = 0;
			nfds = 2;
		}
		if (poll(pfd, (nfds_t)nfds, timeout) == -1 && errno != EINTR)
			client_log(io->io_c, ALGAUDIT_LOG_ERROR, "poll: %s",
			    strerror(errno));
		atomic_store(&io->io_idle, 0);
		now = client_now_us();
		if (pfd[0].revents & POLLIN)
			(void)read(io->io_wakefd, &junk, sizeof(junk));
		if (nfds == 2 && pending)
			pfd[1].revents |= io->io_rd_ev;
		if (nfds == 2 && io->io_fd != -1 && pfd[1].revents != 0) {
			if (io->io_state == IO_CONNECTING)
				io_connect_done(io, now);
			else if (io->io_state == IO_TLS)
				io_tls_step(io, now);
			else {
				if (pfd[1].revents & (io->io_rd_ev | POLLERR |
				    POLLHUP))
					io_read(io, now);
				if (io->io_fd != -1 && io->io_out_len > 0 &&
				    (pfd[1].revents & io->io_wr_ev))
					(void)io_write(io, now);
			}
		}
	}
	return NULL;
}

/*
 * Starts the I/O thread with every signal blocked, so the host's signal
 * handlers never run on it. Returns 0 or an errno.
 */
int
io_start(struct io *io)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&io->io_thread, NULL, io_main, io);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		io->io_started = 1;
	return rc;
}

/* Asks the I/O thread to finish (see io_finish()) and waits for it. */
void
io_stop(struct io *io)
{
	if (!io->io_started)
		return;
	atomic_store(&io->io_stop, 1);
	io_kick(io);
	pthread_join(io->io_thread, NULL);
	io->io_started = 0;
}
