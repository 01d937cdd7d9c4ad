/* SPDX-License-Identifier: ISC */
/*
 * conn.c: one producer connection, from accept to free.
 *
 * Each connection is a bufferevent and a small state machine (HELLO,
 * ACTIVE, DRAINING, CLOSED; only conn_set_state() changes it). The read
 * callback cuts complete frames out of the input with frame_decode(),
 * checking the announced length against --max-frame before the body is
 * read, unpacks them with the bounded allocator, and acts: a Hello gets
 * a Welcome, a valid Batch goes to the writer, an invalid one gets
 * Error{INVALID_RECORD} and nothing of it is queued. Every Batch gets
 * exactly one answer, in the order received: answers wait in a FIFO and
 * leave from its head once resolved, because an invalid batch is
 * decided at once while earlier ones still wait for their commit. A
 * protocol error queues a fatal Error, stops reading, and closes the
 * connection once the Error is flushed (or after a short linger).
 *
 * Who may write: on a Unix socket with allow rules configured, a peer
 * whose uid and groups match no rule gets Error{UNAUTHORIZED, fatal}
 * at accept, before anything it sent is read; a listed peer whose Hello
 * names a producer id none of its rules allows gets the same at the
 * Hello, before it can fence anyone. The Hello is checked against the
 * rules of that moment (a SIGHUP may have changed them since accept).
 * On a tls: listener that requires client certificates the same holds
 * for the certificate's subject CN ("cn:" rules), checked once the
 * handshake has verified the certificate (tls.c) and again at the
 * Hello. With allow rules, peers that cannot be identified (plain TCP,
 * TLS without a verified client certificate) are refused; without
 * rules nobody is checked (the daemon says so at start).
 *
 * Time limits: a connection must complete its Hello within
 * --handshake-timeout seconds of accept, and the first frame may be at
 * most CONN_HELLO_FRAME_MAX bytes, so a peer that never says who it is
 * holds little for little time. After the Welcome, a connection that
 * completes no frame for --idle-timeout seconds while nothing is owed to
 * it and it is not paused by us is closed: with an Error{PROTOCOL} when
 * it stopped in the middle of a frame, silently when it was just quiet
 * (the client library reconnects when it has something to send).
 *
 * Back-pressure: reading stops while the client leaves more than
 * CONN_OUTPUT_HIGH bytes of answers unread, and while the bytes queued
 * to the writer exceed --max-pending (the connection waits on the
 * daemon's paused list). The bytes waiting in the connections' input
 * buffers (partial frames included) count against --max-pending too:
 * while batches queued plus input buffered exceed it, no connection
 * reads more from its socket, except one, the memory owner, which holds
 * a partial frame and may complete it, so that frames always progress
 * (a connection past its Hello and not paused for another reason: a
 * peer before its Hello is closed by the handshake timeout anyway).
 * Complete frames already in a buffer are still taken off it while the
 * writer's queue alone is below the bound.
 *
 * conn.c never touches LMDB for writing: it hands batches to writer.c
 * and only reads a producer's durable mark.
 * A connection whose batches are still with the writer is kept (CLOSED,
 * on the dead list) until the last completion came back.
 *
 * Acknowledgement levels: at ACK_LEVEL_CHECKPOINTED an Ack leaves the
 * FIFO only once the writer has committed a signed checkpoint covering
 * its batch; such answers stay unresolved after the commit and
 * conn_after_done() resolves them when the checkpoint size moves.
 */
#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "daemon.h"
#include "log.h"
#include "store.h"

#define CONN_PAUSE_OUTPUT	0x01	/* the client does not read */
#define CONN_PAUSE_PENDING	0x02	/* the writer's queue is full */
#define CONN_PAUSE_ANSWERS	0x04	/* too many answers owed */
#define CONN_PAUSE_MEMORY	0x08	/* queued + buffered over the bound */
/* The reasons that put a connection on the daemon's paused list. */
#define CONN_PAUSE_LISTED	(CONN_PAUSE_PENDING | CONN_PAUSE_MEMORY)

/*
 * Largest first frame: it must be a Hello, which is well under 1 KiB,
 * so a peer that has not said who it is cannot make us buffer a whole
 * --max-frame.
 */
#define CONN_HELLO_FRAME_MAX	(64 * 1024)

/*
 * Most answers a connection may owe before it stops being read. Every
 * batch queues an answer, and answers leave in order, so while the
 * oldest waits for a commit a client could pile up refused batches
 * (each a few bytes on the wire, an answer of half a KiB) without bound.
 */
#define CONN_ANSWERS_MAX	1024

#define CONN_MSG_MAX		512
#define CONN_STORE_RETRIES	3	/* store_producer_get on STORE_EBUSY */

enum conn_answer_kind {
	CONN_ANSWER_ACK = 1,
	CONN_ANSWER_ERROR
};

/* One answer owed to the client: an Ack or an Error, in batch order. */
struct conn_answer {
	TAILQ_ENTRY(conn_answer) a_entry;
	int		 a_ready;	/* resolved; may be sent */
	int		 a_kind;	/* CONN_ANSWER_* */
	/* Ack */
	uint64_t	 a_seq;
	uint64_t	 a_log_size;
	uint64_t	 a_first_index;
	uint32_t	 a_stored;
	uint32_t	 a_duplicates;
	uint64_t	 a_need_ckpt;	/* checkpointed: size that covers it */
	uint64_t	 a_ckpt_size;	/* checkpointed: the size sent */
	uint8_t		*a_leaves;	/* a_stored leaf hashes, or NULL */
	/* Error */
	int		 a_code;
	int		 a_fatal;
	int		 a_has_seq;	/* a_seq names the offending record */
	char		 a_msg[CONN_MSG_MAX];
};

TAILQ_HEAD(conn_answers, conn_answer);

struct conn {
	TAILQ_ENTRY(conn)	 c_entry;	/* d_conns, then d_dead */
	TAILQ_ENTRY(conn)	 c_pause_entry;	/* d_paused */
	struct daemon		*c_d;
	unsigned long long	 c_id;
	int			 c_state;	/* conn_set_state() only */
	size_t			 c_max_frame;	/* --max-frame at accept */
	struct bufferevent	*c_bev;
	struct peer		 c_peer;
	char			 c_producer[RECORD_MAX_PRODUCER_ID + 1];
	uint64_t		 c_durable;	/* mark sent in the Welcome */
	int			 c_welcome_wait; /* Hello seen, Welcome owed */
	uint64_t		 c_welcome_need; /* checkpointed: to cover */
	char			 c_client[65];	/* client_version, printable */
	uint64_t		 c_last_seq;	/* highest seq received */
	uint64_t		 c_hole;	/* a batch failed from here */
	int			 c_ack_level;	/* from the Hello */
	int			 c_want_leaves;	/* from the Hello */
	size_t			 c_ckpt_wait;	/* Acks awaiting a checkpoint */
	struct conn_answers	 c_answers;
	size_t			 c_inflight;	/* batches with the writer */
	int			 c_pause;	/* CONN_PAUSE_* */
	size_t			 c_nanswers;	/* answers in c_answers */
	int			 c_submitted;	/* a batch went to the writer */
	int			 c_eof;		/* the peer stopped sending */
	int			 c_close_when_empty; /* after the answers */
	int			 c_flushing;	/* last bytes on their way */
	struct event		*c_timer;	/* Hello, idle, linger */
	unsigned		 c_handshake;	/* handshake-timeout, s */
	unsigned		 c_idle;	/* idle-timeout at Welcome */
	int64_t			 c_active_ms;	/* last activity, mono */
	struct evbuffer_cb_entry *c_in_cb;	/* counts c_inbuf */
	size_t			 c_inbuf;	/* bytes in the input buffer */
	struct event		*c_resume_ev;	/* read more next iteration */
	uint64_t		 c_batches;	/* statistics for the log */
	uint64_t		 c_records;
	int			 c_tls_up;	/* TLS handshake completed */
	size_t			 c_in_limit;	/* most input bytes held */
	int			 c_in_full;	/* TLS: at the limit */
};

static int	 conn_fatal(struct conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 conn_error(struct conn *, int, int, uint64_t, const char *,
		    ...) __attribute__((format(printf, 5, 6)));
static int	 conn_verror(struct conn *, int, int, int, uint64_t,
		    const char *, va_list)
		    __attribute__((format(printf, 6, 0)));
static void	 conn_close(struct conn *);
static void	 conn_flush(struct conn *);
static void	 conn_process(struct conn *, int, int);
static void	 conn_stop_progress(struct daemon *);
static void	 conn_mem_resume(struct daemon *);
static void	 conn_who(const struct conn *, char *, size_t);

/* Returns the name of a connection state, for the log. */
const char *
conn_strstate(int state)
{
	switch (state) {
	case CONN_HELLO:
		return "HELLO";
	case CONN_ACTIVE:
		return "ACTIVE";
	case CONN_DRAINING:
		return "DRAINING";
	case CONN_CLOSED:
		return "CLOSED";
	default:
		return "UNKNOWN";
	}
}

/* The one place a connection changes state. */
static void
conn_set_state(struct conn *c, int state)
{
	assert(state >= 0 && state < CONN_STATE_MAX);
	assert(c->c_state >= 0 && c->c_state < CONN_STATE_MAX);
	log_debug("conn %llu: %s -> %s", c->c_id, conn_strstate(c->c_state),
	    conn_strstate(state));
	c->c_state = state;
}

/* Returns the monotonic time in ms, for the idle timeout. */
static int64_t
conn_mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Notes that the connection did something: the idle clock restarts. */
static void
conn_touch(struct conn *c)
{
	c->c_active_ms = conn_mono_ms();
}

/* Returns the wall-clock time in ns since the epoch. */
static int64_t
conn_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Copies an untrusted string for the log: printable ASCII, bounded. */
static void
conn_printable(char *dst, size_t len, const char *src)
{
	size_t i;

	if (src == NULL)
		src = "";
	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/*
 * Returns 1 when the connection may take another frame off its input.
 * The memory pause stops reading from the socket only: frames already
 * buffered may still be handled.
 */
static int
conn_may_read(const struct conn *c, int final)
{
	if (c->c_state != CONN_HELLO && c->c_state != CONN_ACTIVE)
		return 0;
	return final || (c->c_pause & ~CONN_PAUSE_MEMORY) == 0;
}

/* Enables reading from the socket exactly when it is wanted. */
static void
conn_update_read(struct conn *c)
{
	if (c->c_bev == NULL)
		return;
	if (conn_may_read(c, 0) && !c->c_eof && !c->c_in_full &&
	    !(c->c_pause & CONN_PAUSE_MEMORY))
		bufferevent_enable(c->c_bev, EV_READ);
	else
		bufferevent_disable(c->c_bev, EV_READ);
}

/*
 * TLS: stops reading from the socket while the input buffer holds
 * c_in_limit bytes or more, and reads again below it. (Disabling stops
 * only the socket: libevent still moves what OpenSSL already decrypted
 * into the buffer, at most one TLS record more.)
 */
static void
conn_in_check(struct conn *c)
{
	int full = c->c_inbuf >= c->c_in_limit;

	if (full == c->c_in_full)
		return;
	c->c_in_full = full;
	conn_update_read(c);
}

/*
 * Caps the bytes c's input buffer may hold before reading from the
 * socket stops. On a plain socket that is the read high watermark. Not
 * on TLS: there libevent 2.1 stops at the watermark with decrypted
 * bytes left inside OpenSSL and, the socket having nothing new to say,
 * never comes back for them (libevent issues 690, 854); conn_in_check()
 * disables reading instead.
 */
static void
conn_set_in_limit(struct conn *c, size_t limit)
{
	c->c_in_limit = limit;
	if (c->c_peer.p_tls)
		conn_in_check(c);
	else
		bufferevent_setwatermark(c->c_bev, EV_READ, 0, limit);
}

/* Takes c off the daemon's paused list if it is on it. */
static void
conn_unlist(struct conn *c)
{
	if (c->c_pause & CONN_PAUSE_LISTED)
		TAILQ_REMOVE(&c->c_d->d_paused, c, c_pause_entry);
}

/* Stops reading for reason why (CONN_PAUSE_*). */
static void
conn_pause(struct conn *c, int why)
{
	if ((why & CONN_PAUSE_LISTED) && !(c->c_pause & CONN_PAUSE_LISTED))
		TAILQ_INSERT_TAIL(&c->c_d->d_paused, c, c_pause_entry);
	if (!(c->c_pause & why))
		log_debug("conn %llu: reading paused (%s)", c->c_id,
		    why == CONN_PAUSE_OUTPUT ? "client does not read" :
		    why == CONN_PAUSE_ANSWERS ? "too many answers owed" :
		    why == CONN_PAUSE_MEMORY ? "queued and buffered bytes "
		    "over --max-pending" : "writer queue over --max-pending, "
		    "or the store full with on-store-full block");
	c->c_pause |= why;
	conn_update_read(c);
	/* Stopped for another reason, it would hold the others up. */
	if (c->c_d->d_mem_owner == c && why != CONN_PAUSE_MEMORY) {
		c->c_d->d_mem_owner = NULL;
		conn_mem_resume(c->c_d);
	}
}

/* Lifts pause reason why and, if nothing else holds it, reads again. */
static void
conn_unpause(struct conn *c, int why)
{
	if (!(c->c_pause & why))
		return;
	c->c_pause &= ~why;
	if ((why & CONN_PAUSE_LISTED) && !(c->c_pause & CONN_PAUSE_LISTED))
		TAILQ_REMOVE(&c->c_d->d_paused, c, c_pause_entry);
	/* Time spent paused by us is not idle time. */
	conn_touch(c);
	conn_update_read(c);
	/* Frames may already wait in the input buffer. */
	if (conn_may_read(c, 0))
		event_active(c->c_resume_ev, EV_TIMEOUT, 0);
}

/*
 * Encodes a ServerFrame and queues it on the output. Answers are small,
 * except Acks with leaf hashes (32 bytes per stored record).
 */
static int
conn_send(struct conn *c, const Algaudit__V1__ServerFrame *sf)
{
	uint8_t sbuf[1024], *buf = sbuf;
	size_t n;
	int rc = 0;

	n = frame_size(&sf->base);
	if (n > sizeof(sbuf) && (buf = malloc(n)) == NULL) {
		log_warn("conn %llu: answer of %zu bytes", c->c_id, n);
		return -1;
	}
	frame_encode(&sf->base, buf);
	if (bufferevent_write(c->c_bev, buf, n) == -1) {
		log_warnx("conn %llu: cannot queue %zu bytes of output",
		    c->c_id, n);
		rc = -1;
	}
	if (buf != sbuf)
		free(buf);
	return rc;
}

/* Sends one resolved answer. */
static int
conn_send_answer(struct conn *c, const struct conn_answer *a)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Ack ack = ALGAUDIT__V1__ACK__INIT;
	Algaudit__V1__Error err = ALGAUDIT__V1__ERROR__INIT;

	if (a->a_kind == CONN_ANSWER_ACK) {
		ack.has_producer_seq = 1;
		ack.producer_seq = a->a_seq;
		ack.has_log_size = 1;
		ack.log_size = a->a_log_size;
		if (a->a_stored > 0) {
			ack.has_first_index = 1;
			ack.first_index = a->a_first_index;
		}
		ack.has_stored = 1;
		ack.stored = a->a_stored;
		ack.has_duplicates = 1;
		ack.duplicates = a->a_duplicates;
		if (c->c_ack_level ==
		    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED) {
			ack.has_checkpoint_size = 1;
			ack.checkpoint_size = a->a_ckpt_size;
		}
		if (a->a_leaves != NULL) {
			ack.has_leaf_hashes = 1;
			ack.leaf_hashes.data = a->a_leaves;
			ack.leaf_hashes.len = (size_t)a->a_stored * 32;
		}
		sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ACK;
		sf.ack = &ack;
	} else {
		err.has_code = 1;
		err.code = (Algaudit__V1__ErrorCode)a->a_code;
		err.message = (char *)(uintptr_t)a->a_msg;
		err.has_producer_seq = a->a_has_seq;
		err.producer_seq = a->a_seq;
		err.has_fatal = 1;
		err.fatal = a->a_fatal;
		sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR;
		sf.error = &err;
		metrics_error(c->c_d, a->a_code);
	}
	return conn_send(c, &sf);
}

/*
 * Sends the resolved answers at the head of the FIFO. Once a draining
 * connection owes nothing more, waits for the output to empty and
 * closes. Pauses reading when the client leaves its answers unread.
 */
static void
conn_flush(struct conn *c)
{
	struct conn_answer *a;
	struct timeval tv = { CONN_LINGER_TIMEOUT, 0 };
	size_t out;
	int rc;

	if (c->c_state == CONN_CLOSED)
		return;
	while ((a = TAILQ_FIRST(&c->c_answers)) != NULL && a->a_ready) {
		TAILQ_REMOVE(&c->c_answers, a, a_entry);
		c->c_nanswers--;
		conn_touch(c);
		rc = conn_send_answer(c, a);
		free(a->a_leaves);
		free(a);
		if (rc == -1) {
			conn_close(c);
			return;
		}
	}
	out = evbuffer_get_length(bufferevent_get_output(c->c_bev));
	if (c->c_state == CONN_DRAINING && c->c_close_when_empty &&
	    TAILQ_EMPTY(&c->c_answers)) {
		if (out == 0) {
			conn_close(c);
			return;
		}
		if (!c->c_flushing) {
			/* Wake the write callback only when all is out. */
			c->c_flushing = 1;
			bufferevent_setwatermark(c->c_bev, EV_WRITE, 0, 0);
			evtimer_add(c->c_timer, &tv);
		}
		return;
	}
	if (out > CONN_OUTPUT_HIGH && conn_may_read(c, 1))
		conn_pause(c, CONN_PAUSE_OUTPUT);
	if ((c->c_pause & CONN_PAUSE_ANSWERS) &&
	    c->c_nanswers <= CONN_ANSWERS_MAX / 2)
		conn_unpause(c, CONN_PAUSE_ANSWERS);
}

/* Appends an answer to the FIFO; returns it, or NULL (out of memory). */
static struct conn_answer *
conn_answer_new(struct conn *c)
{
	struct conn_answer *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		log_warn("conn %llu: answer", c->c_id);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&c->c_answers, a, a_entry);
	c->c_nanswers++;
	return a;
}

/*
 * Stops reading and lets the connection drain: the answers still owed
 * are sent as they resolve, then (when c_close_when_empty) it closes.
 */
static void
conn_drain(struct conn *c)
{
	if (c->c_state != CONN_HELLO && c->c_state != CONN_ACTIVE)
		return;
	evtimer_del(c->c_timer);
	event_del(c->c_resume_ev);
	conn_unlist(c);
	c->c_pause = 0;
	if (c->c_d->d_mem_owner == c)
		c->c_d->d_mem_owner = NULL;
	c->c_welcome_wait = 0;	/* fenced or stopping: no Welcome any more */
	conn_set_state(c, CONN_DRAINING);
	conn_update_read(c);
}

/*
 * Queues an Error after the answers already owed, logs it, and flushes.
 * A fatal one also stops reading and closes the connection once it is
 * sent. Returns 0 when the connection stays usable, -1 otherwise.
 */
static int
conn_verror(struct conn *c, int code, int fatal, int has_seq, uint64_t seq,
    const char *fmt, va_list ap)
{
	struct conn_answer *a;
	char msg[CONN_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code == ALGAUDIT__V1__ERROR_CODE__ERROR_SHUTTING_DOWN)
		log_debug("conn %llu: %s: %s", c->c_id,
		    frame_strerror_code(code), msg);
	else
		log_warnx("conn %llu: %s: %s", c->c_id,
		    frame_strerror_code(code), msg);
	if (c->c_state == CONN_CLOSED || c->c_close_when_empty)
		return -1;
	if ((a = conn_answer_new(c)) == NULL) {
		conn_close(c);
		return -1;
	}
	a->a_ready = 1;
	a->a_kind = CONN_ANSWER_ERROR;
	a->a_code = code;
	a->a_fatal = fatal;
	a->a_has_seq = has_seq;
	a->a_seq = seq;
	memcpy(a->a_msg, msg, sizeof(a->a_msg));
	if (fatal) {
		conn_drain(c);
		c->c_close_when_empty = 1;
	}
	conn_flush(c);
	return fatal || c->c_state == CONN_CLOSED ? -1 : 0;
}

/* Queues a fatal Error (no record named); returns -1. */
static int
conn_fatal(struct conn *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_verror(c, code, 1, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* Queues a non-fatal Error naming record seq when has_seq. */
static int
conn_error(struct conn *c, int code, int has_seq, uint64_t seq,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = conn_verror(c, code, 0, has_seq, seq, fmt, ap);
	va_end(ap);
	return rc;
}

/* Fences the older live connections of producer id (newest is c). */
static void
conn_fence(struct conn *c)
{
	struct conn *o, *next;

	for (o = TAILQ_FIRST(&c->c_d->d_conns); o != NULL; o = next) {
		next = TAILQ_NEXT(o, c_entry);
		if (o == c || (o->c_state != CONN_ACTIVE &&
		    !o->c_welcome_wait) ||
		    strcmp(o->c_producer, c->c_producer) != 0)
			continue;
		conn_fatal(o, ALGAUDIT__V1__ERROR_CODE__ERROR_FENCED,
		    "producer_id '%s' was taken by a newer connection "
		    "(conn %llu from %s); two instances use one identity",
		    c->c_producer, c->c_id, c->c_peer.p_addr);
	}
}

/*
 * Reads the producer's committed durable mark (0 when unknown). Returns
 * 0; 1 while the writer has the store closed after an I/O error (the
 * Welcome waits for the reopen); -1 after a fatal Error.
 */
static int
conn_durable(struct conn *c, uint64_t *seq)
{
	struct store_producer sp;
	struct store *s;
	int rc, i;

	if ((s = writer_store_acquire(c->c_d->d_writer)) == NULL)
		return 1;
	for (i = 0; i < CONN_STORE_RETRIES; i++) {
		rc = store_producer_get(s, c->c_producer, &sp);
		if (rc != STORE_EBUSY)
			break;
	}
	writer_store_release(c->c_d->d_writer);
	if (rc == STORE_ENOTFOUND) {
		*seq = 0;
		return 0;
	}
	if (rc != 0)
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_INTERNAL,
		    "cannot read the durable mark of '%s': %s", c->c_producer,
		    store_strerror(rc));
	*seq = sp.sp_seq;
	return 0;
}

/*
 * Counts the batches of c's producer that other connections (live,
 * fenced or closed) still have with the writer.
 */
static size_t
conn_producer_inflight(const struct conn *c)
{
	const struct conn *o;
	size_t n = 0;

	TAILQ_FOREACH(o, &c->c_d->d_conns, c_entry)
		if (o != c && strcmp(o->c_producer, c->c_producer) == 0)
			n += o->c_inflight;
	TAILQ_FOREACH(o, &c->c_d->d_dead, c_entry)
		if (o != c && strcmp(o->c_producer, c->c_producer) == 0)
			n += o->c_inflight;
	return n;
}

/*
 * Returns 1 when the Welcome of c may be sent: no other connection of
 * the producer has a batch with the writer (a mark read earlier could be
 * overtaken by such a batch's commit, and a new process that resumed
 * from it would reuse seqs that the commit then makes duplicates,
 * silently dropping its records), and at the checkpointed level a
 * committed checkpoint covers the log as it was once they were all
 * committed, so the records the Welcome declares durable are
 * checkpointed too. Asks the writer for that checkpoint.
 */
static int
conn_welcome_ready(struct conn *c)
{
	struct daemon *d = c->c_d;

	if (conn_producer_inflight(c) > 0)
		return 0;
	if (c->c_ack_level != ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED)
		return 1;
	if (c->c_welcome_need == 0) {
		c->c_welcome_need = writer_log_size(d->d_writer);
		if (writer_checkpoint_size(d->d_writer) < c->c_welcome_need)
			writer_request_checkpoint(d->d_writer);
	}
	return writer_checkpoint_size(d->d_writer) >= c->c_welcome_need;
}

/* Sends the Welcome with the producer's durable mark; see above. */
static int
conn_welcome(struct conn *c)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Welcome w = ALGAUDIT__V1__WELCOME__INIT;
	struct daemon *d = c->c_d;
	struct timeval tv = { 0, 0 };
	char who[128];
	int rc;

	c->c_welcome_wait = 0;
	if ((rc = conn_durable(c, &c->c_durable)) != 0) {
		if (rc == -1)
			return -1;
		log_debug("conn %llu: Welcome waits for the store's reopen",
		    c->c_id);
		c->c_welcome_wait = 1;
		return 0;
	}
	conn_set_state(c, CONN_ACTIVE);
	w.has_protocol_version = 1;
	w.protocol_version = FRAME_PROTOCOL_VERSION;
	w.has_durable_seq = 1;
	w.durable_seq = c->c_durable;
	w.origin = d->d_origin;
	w.has_log_size = 1;
	w.log_size = writer_log_size(d->d_writer);
	w.has_max_frame = 1;
	w.max_frame = (uint32_t)c->c_max_frame;
	if (d->d_signer != NULL)
		w.verifier_key = d->d_vkey;
	if (c->c_ack_level == ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED) {
		w.has_checkpoint_size = 1;
		w.checkpoint_size = writer_checkpoint_size(d->d_writer);
	}
	sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME;
	sf.welcome = &w;
	if (conn_send(c, &sf) == -1) {
		conn_close(c);
		return -1;
	}
	/* The idle clock starts; a reload changes it for later Hellos. */
	c->c_idle = (unsigned)d->d_cfg.cf_idle_timeout;
	conn_touch(c);
	if (c->c_idle > 0) {
		tv.tv_sec = c->c_idle;
		evtimer_add(c->c_timer, &tv);
	}
	conn_who(c, who, sizeof(who));
	log_info("conn %llu: producer '%s' (%s, client '%s'), durable seq "
	    "%" PRIu64, c->c_id, c->c_producer, who, c->c_client,
	    c->c_durable);
	return 0;
}

/* Returns 1 when c came through a Unix socket. */
static int
conn_is_unix(const struct conn *c)
{
	return c->c_peer.p_has_cred || strcmp(c->c_peer.p_addr, "unix") == 0;
}

/* Writes "uid U gid G pid P" (or the address) of c's peer into buf. */
static void
conn_who(const struct conn *c, char *buf, size_t len)
{
	if (c->c_peer.p_has_cred)
		snprintf(buf, len, "uid %u gid %u pid %u", c->c_peer.p_uid,
		    c->c_peer.p_gid, c->c_peer.p_pid);
	else if (c->c_peer.p_tls_subject[0] != '\0')
		snprintf(buf, len, "%s (%s)", c->c_peer.p_addr,
		    c->c_peer.p_tls_subject);
	else
		snprintf(buf, len, "%s", c->c_peer.p_addr);
}

/*
 * Checks c's peer against the allow rules in force: with producer NULL
 * (at accept, or after the TLS handshake), whether it matches any rule;
 * else whether a rule it matches allows that producer id. No rules:
 * allowed. With rules, a peer the daemon cannot identify (plain TCP, TLS
 * without a verified client certificate) is refused, or it could write
 * as anyone the rules protect. Returns 0, or -1 after queueing
 * Error{UNAUTHORIZED, fatal}.
 */
static int
conn_allowed(struct conn *c, const char *producer)
{
	const struct cfg *cf = &c->c_d->d_cfg;
	struct allow_peer ap;
	uint32_t *groups = NULL;
	size_t ngroups = 0;
	char who[sizeof(c->c_peer.p_addr) + sizeof(c->c_peer.p_tls_subject) +
	    8], id[RECORD_MAX_PRODUCER_ID + 1];
	int ok;

	if (cf->cf_nallow == 0)
		return 0;
	memset(&ap, 0, sizeof(ap));
	conn_who(c, who, sizeof(who));
	if (c->c_peer.p_tls) {
		if (!c->c_tls_up || !c->c_peer.p_tls_verified)
			return conn_fatal(c,
			    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
			    "%s: no verified client certificate (is "
			    "tls-client-ca set?) and allow rules are in force, "
			    "so it may not write", who);
		/* "" (no usable CN) matches no rule, but is no Unix peer. */
		ap.ap_cn = c->c_peer.p_tls_cn;
	} else if (!conn_is_unix(c))
		return conn_fatal(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
		    "%s: a plain TCP peer cannot be identified and allow "
		    "rules are in force, so it may not write (use the Unix "
		    "socket, or TLS with client certificates)", who);
	else if (!c->c_peer.p_has_cred)
		return conn_fatal(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
		    "the peer's credentials are unknown (SO_PEERCRED failed); "
		    "allow rules are in force, so it may not write");
	else {
		if (listener_peer_groups(bufferevent_getfd(c->c_bev), &groups,
		    &ngroups) == -1)
			/* Fewer groups can only match fewer rules. */
			log_warn("conn %llu: SO_PEERGROUPS; checking uid %u "
			    "and gid %u only", c->c_id, c->c_peer.p_uid,
			    c->c_peer.p_gid);
		ap.ap_uid = c->c_peer.p_uid;
		ap.ap_gid = c->c_peer.p_gid;
		ap.ap_groups = groups;
		ap.ap_ngroups = ngroups;
	}
	if (producer == NULL)
		ok = allow_match_peer(cf->cf_allow, cf->cf_nallow, &ap) > 0;
	else
		ok = allow_match_producer(cf->cf_allow, cf->cf_nallow, &ap,
		    producer);
	free(groups);
	if (ok)
		return 0;
	if (producer == NULL && c->c_peer.p_tls &&
	    c->c_peer.p_tls_cn[0] == '\0')
		return conn_fatal(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
		    "%s: the certificate has no single usable common name, so "
		    "no cn: allow rule can match it; refused after the TLS "
		    "handshake", who);
	if (producer == NULL && c->c_peer.p_tls)
		return conn_fatal(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
		    "%s: the certificate's common name '%s' matches no cn: "
		    "allow rule; refused after the TLS handshake", who,
		    c->c_peer.p_tls_cn);
	if (producer == NULL)
		return conn_fatal(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
		    "%s (%zu supplementary groups) matches no allow rule; "
		    "refused at accept", who, ngroups);
	conn_printable(id, sizeof(id), producer);
	return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
	    "producer_id '%s' is not allowed for %s: no allow rule it "
	    "matches lists it", id, who);
}

/*
 * Handles a Hello: checks it, fences older connections of the producer,
 * and answers Welcome, at once or, while their batches are still with
 * the writer, once they are committed (conn_after_done()).
 */
static int
conn_hello(struct conn *c, const Algaudit__V1__Hello *h)
{
	char msg[RECORD_ERRLEN];
	uint32_t v;

	if (c->c_state != CONN_HELLO || c->c_producer[0] != '\0')
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    "second Hello on this connection");
	v = h->has_protocol_version ? h->protocol_version : 0;
	if (v != FRAME_PROTOCOL_VERSION)
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_VERSION,
		    "protocol_version %u is not supported; this daemon speaks "
		    "version %d", v, FRAME_PROTOCOL_VERSION);
	if (record_check_producer_id(h->producer_id, msg, sizeof(msg)) == -1)
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    "Hello: %s", msg);
	if (h->has_ack_level && h->ack_level !=
	    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_DURABLE && h->ack_level !=
	    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED)
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    "Hello: ack_level %d is unknown (0 durable, 1 "
		    "checkpointed)", (int)h->ack_level);
	c->c_ack_level = h->has_ack_level ? (int)h->ack_level :
	    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_DURABLE;
	if (c->c_ack_level == ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED &&
	    !c->c_d->d_cfg.cf_tree)
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    "Hello: ack_level CHECKPOINTED, but this daemon runs with "
		    "--tree off and signs no checkpoints");
	c->c_want_leaves = h->has_want_leaf_hashes && h->want_leaf_hashes;
	/* Before fencing: a peer may not even displace another's id. */
	if (conn_allowed(c, h->producer_id) == -1)
		return -1;
	snprintf(c->c_producer, sizeof(c->c_producer), "%s", h->producer_id);
	conn_printable(c->c_client, sizeof(c->c_client), h->client_version);
	conn_fence(c);
	evtimer_del(c->c_timer);
	/* Past the Hello, frames may be as large as --max-frame. */
	conn_set_in_limit(c, c->c_max_frame + FRAME_HEADER_LEN);
	if (!conn_welcome_ready(c)) {
		log_debug("conn %llu: Welcome waits for earlier batches of "
		    "'%s' to commit%s", c->c_id, c->c_producer,
		    c->c_welcome_need > 0 ? " and be checkpointed" : "");
		c->c_welcome_wait = 1;
		return 0;
	}
	return conn_welcome(c);
}

/*
 * Handles a Batch: refuses it whole with INVALID_RECORD, or queues it
 * to the writer with an unresolved answer in the FIFO. Takes b.
 */
static int
conn_batch(struct conn *c, struct writer_batch *b)
{
	Algaudit__V1__Batch *batch = b->wb_frame->batch;
	struct daemon *d = c->c_d;
	struct conn_answer *a;
	char msg[CONN_MSG_MAX];
	uint64_t seq, last;
	size_t bad;
	int has_seq;

	if (c->c_state != CONN_ACTIVE) {
		writer_batch_free(b);
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    c->c_producer[0] == '\0' ? "Batch before Hello" :
		    "Batch before Welcome");
	}
	/*
	 * After a failed commit the client resends from the hole on; the
	 * batches it sent meanwhile must not make that look out of order.
	 */
	last = c->c_last_seq;
	if (c->c_hole > 0 && last >= c->c_hole)
		last = c->c_hole - 1;
	if (batch_check(batch->records, batch->n_records, c->c_durable,
	    last, &bad, msg, sizeof(msg)) == -1) {
		has_seq = bad < batch->n_records &&
		    batch->records[bad]->has_producer_seq;
		seq = has_seq ? batch->records[bad]->producer_seq : 0;
		metrics_rejected(d,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD,
		    batch->n_records);
		writer_batch_free(b);
		return conn_error(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD, has_seq,
		    seq, "%s", msg);
	}
	if ((a = conn_answer_new(c)) == NULL) {
		writer_batch_free(b);
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_INTERNAL,
		    "out of memory");
	}
	last = batch->records[batch->n_records - 1]->producer_seq;
	if (last > c->c_last_seq)
		c->c_last_seq = last;
	b->wb_conn = c;
	b->wb_answer = a;
	memcpy(b->wb_producer, c->c_producer, sizeof(b->wb_producer));
	b->wb_peer = c->c_peer;
	b->wb_want_leaves = c->c_want_leaves;
	b->wb_mem = sizeof(*b) + b->wb_alloc.fa_used;
	c->c_inflight++;
	c->c_batches++;
	c->c_records += batch->n_records;
	d->d_inflight++;
	d->d_pending += b->wb_mem;
	b->wb_session_start = !c->c_submitted;
	c->c_submitted = 1;
	metrics_batch(d, batch);
	writer_submit(d->d_writer, b);
	return 0;
}

/*
 * Takes one frame off the input and acts on it. Returns 1 when a frame
 * was handled and the connection may go on, 0 when more bytes are
 * needed, -1 when the connection stopped reading.
 */
static int
conn_read_frame(struct conn *c)
{
	Algaudit__V1__ClientFrame *msg;
	struct evbuffer *in = bufferevent_get_input(c->c_bev);
	struct writer_batch *b;
	uint8_t hdr[FRAME_HEADER_LEN], *buf;
	size_t len, need, cap, max = c->c_max_frame;
	int rc, first;

	len = evbuffer_get_length(in);
	if (len < FRAME_HEADER_LEN)
		return 0;
	evbuffer_copyout(in, hdr, sizeof(hdr));
	first = c->c_state == CONN_HELLO && c->c_producer[0] == '\0';
	if (first && max > CONN_HELLO_FRAME_MAX)
		max = CONN_HELLO_FRAME_MAX;
	/* frame_decode() reads only the header; len says what we hold. */
	switch (frame_decode(hdr, len, max, &need)) {
	case FRAME_TOO_LARGE:
		return conn_fatal(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_FRAME_TOO_LARGE,
		    "frame length %" PRIu32 " exceeds max %zu%s",
		    frame_body_len(hdr), max, first ? " (the first frame "
		    "must be a Hello)" : "");
	case FRAME_NEED_MORE:
		return 0;
	default:
		break;
	}
	conn_touch(c);
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (buf = evbuffer_pullup(in, (ev_ssize_t)need)) == NULL) {
		free(b);
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_INTERNAL,
		    "out of memory reading a frame of %zu bytes", need);
	}
	b->wb_recv_ns = conn_now_ns();
	b->wb_size = need;
	metrics_frame(c->c_d, need);
	frame_alloc_init(&b->wb_alloc, frame_unpack_cap(need -
	    FRAME_HEADER_LEN));
	msg = frame_unpack_client(&b->wb_alloc, buf + FRAME_HEADER_LEN,
	    need - FRAME_HEADER_LEN);
	evbuffer_drain(in, need);
	if (msg == NULL) {
		cap = b->wb_alloc.fa_cap;
		free(b);
		return conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    "frame body of %zu bytes is not a valid ClientFrame (or "
		    "needs more than %zu bytes unpacked)",
		    need - FRAME_HEADER_LEN, cap);
	}
	b->wb_frame = msg;
	switch (msg->msg_case) {
	case ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO:
		rc = conn_hello(c, msg->hello);
		writer_batch_free(b);
		break;
	case ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH:
		rc = conn_batch(c, b);
		break;
	default:
		writer_batch_free(b);
		rc = conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    "ClientFrame of %zu bytes has no message set",
		    need - FRAME_HEADER_LEN);
		break;
	}
	return rc == 0 ? 1 : -1;
}

/* Returns 1 while queued batches and buffered input exceed the bound. */
static int
conn_mem_over(const struct daemon *d)
{
	return d->d_pending + d->d_inbuf >= d->d_cfg.cf_max_pending;
}

/*
 * Returns 1 when c's input holds the beginning of a frame but not all
 * of it: the only case in which reading more lets it make progress.
 */
static int
conn_partial(const struct conn *c)
{
	struct evbuffer *in;
	uint8_t hdr[FRAME_HEADER_LEN];
	size_t len, need;

	if (c->c_bev == NULL)
		return 0;
	in = bufferevent_get_input(c->c_bev);
	if ((len = evbuffer_get_length(in)) == 0)
		return 0;
	if (len < FRAME_HEADER_LEN)
		return 1;
	evbuffer_copyout(in, hdr, sizeof(hdr));
	return frame_decode(hdr, len, c->c_max_frame, &need) ==
	    FRAME_NEED_MORE;
}

/*
 * After c handled its input: while queued plus buffered bytes are over
 * --max-pending, c stops reading from its socket, unless it is (or
 * becomes) the one connection allowed to complete a partial frame.
 */
static void
conn_mem_update(struct conn *c)
{
	struct daemon *d = c->c_d;
	int partial;

	if (c->c_state != CONN_HELLO && c->c_state != CONN_ACTIVE)
		return;
	partial = conn_partial(c);
	if (d->d_mem_owner == c && !partial) {
		/* Its frame is complete: let another one finish its own. */
		d->d_mem_owner = NULL;
		conn_mem_resume(d);
	}
	if (!conn_mem_over(d) || d->d_mem_owner == c)
		return;
	if (partial && d->d_mem_owner == NULL && c->c_state == CONN_ACTIVE) {
		log_debug("conn %llu: over --max-pending; this one may "
		    "complete its frame", c->c_id);
		d->d_mem_owner = c;
		return;
	}
	conn_pause(c, CONN_PAUSE_MEMORY);
}

/*
 * Once queued plus buffered bytes are below --max-pending, every
 * connection paused for memory reads again; while they are not, one of
 * them that holds a partial frame (if none does already) may complete
 * it, so that frames keep progressing and memory is freed.
 */
static void
conn_mem_resume(struct daemon *d)
{
	struct conn *c, *next;

	if (!conn_mem_over(d)) {
		d->d_mem_owner = NULL;
		for (c = TAILQ_FIRST(&d->d_paused); c != NULL; c = next) {
			next = TAILQ_NEXT(c, c_pause_entry);
			conn_unpause(c, CONN_PAUSE_MEMORY);
		}
		return;
	}
	if (d->d_mem_owner != NULL)
		return;
	TAILQ_FOREACH(c, &d->d_paused, c_pause_entry)
		if ((c->c_pause & CONN_PAUSE_MEMORY) &&
		    c->c_state == CONN_ACTIVE && conn_partial(c)) {
			log_debug("conn %llu: over --max-pending; this one may "
			    "complete its frame", c->c_id);
			d->d_mem_owner = c;
			conn_unpause(c, CONN_PAUSE_MEMORY);
			return;
		}
}

/* The peer sent everything it will: answer what is owed, then close. */
static void
conn_eof(struct conn *c)
{
	size_t left;

	left = evbuffer_get_length(bufferevent_get_input(c->c_bev));
	if (left > 0)
		log_debug("conn %llu: peer closed mid-frame, %zu bytes "
		    "unread", c->c_id, left);
	else
		log_debug("conn %llu: peer closed", c->c_id);
	conn_drain(c);
	c->c_close_when_empty = 1;
	conn_flush(c);
}

/*
 * Handles up to budget complete frames; with input left, continues in
 * the next loop iteration so one fast client cannot starve the others.
 * final (shutdown) ignores the pauses.
 */
static void
conn_process(struct conn *c, int budget, int final)
{
	struct daemon *d = c->c_d;
	int n, rc = 0;

	for (n = 0; n < budget; n++) {
		if (!conn_may_read(c, final))
			return;
		if (!final && c->c_state == CONN_ACTIVE &&
		    (d->d_pending >= d->d_cfg.cf_max_pending ||
		    writer_blocked(d->d_writer))) {
			conn_pause(c, CONN_PAUSE_PENDING);
			return;
		}
		if (!final && c->c_nanswers >= CONN_ANSWERS_MAX) {
			conn_pause(c, CONN_PAUSE_ANSWERS);
			return;
		}
		if ((rc = conn_read_frame(c)) != 1)
			break;
	}
	if (rc == -1)
		return;
	if (!final)
		conn_mem_update(c);
	if (n == budget) {
		event_active(c->c_resume_ev, EV_TIMEOUT, 0);
		return;
	}
	if (c->c_eof && conn_may_read(c, 1))
		conn_eof(c);
}

/* bufferevent read callback: new bytes arrived. */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg, CONN_FRAME_BUDGET, 0);
}

/* Zero-timeout continuation of conn_read_cb(). */
static void
conn_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	conn_process(arg, CONN_FRAME_BUDGET, 0);
}

/* bufferevent write callback: output fell to the low watermark. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	size_t out;

	out = evbuffer_get_length(bufferevent_get_output(bev));
	if (c->c_flushing) {
		if (out == 0)
			conn_close(c);
		return;
	}
	if ((c->c_pause & CONN_PAUSE_OUTPUT) && out <= CONN_OUTPUT_LOW)
		conn_unpause(c, CONN_PAUSE_OUTPUT);
}

/*
 * The TLS handshake completed: takes the peer's identity from its
 * verified certificate and checks it against the allow rules, before
 * anything it sent is read.
 */
static void
conn_tls_up(struct conn *c)
{
	int rc;

	c->c_tls_up = 1;
	if ((rc = tls_peer_identity(c->c_bev, &c->c_peer)) == -1) {
		(void)conn_fatal(c,
		    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED,
		    "%s: the client certificate's subject is longer than %zu "
		    "bytes or not UTF-8, so it could not be recorded whole; "
		    "refused", c->c_peer.p_addr,
		    sizeof(c->c_peer.p_tls_subject) - 1);
		return;
	}
	c->c_peer.p_tls_verified = rc;
	log_debug("conn %llu: TLS from %s: %s", c->c_id, c->c_peer.p_addr,
	    rc ? c->c_peer.p_tls_subject : "no client certificate");
	(void)conn_allowed(c, NULL);
}

/*
 * bufferevent event callback: the TLS handshake done, end of input, or
 * a socket or TLS error.
 */
static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	char why[512];

	if (what & BEV_EVENT_CONNECTED) {
		conn_tls_up(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->c_eof = 1;
		if (c->c_state == CONN_HELLO || c->c_state == CONN_ACTIVE)
			conn_process(c, CONN_FRAME_BUDGET, 0);
		else if (c->c_flushing)
			conn_close(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (c->c_peer.p_tls) {
			tls_error(bev, why, sizeof(why));
			if (!c->c_tls_up) {
				/* Misconfigured clients show up here. */
				metrics_tls_failed(c->c_d);
				log_info("conn %llu: TLS handshake with %s "
				    "failed: %s", c->c_id, c->c_peer.p_addr,
				    why);
			} else
				log_debug("conn %llu: TLS error: %s",
				    c->c_id, why);
		} else
			log_debug("conn %llu: %s error: %s", c->c_id,
			    (what & BEV_EVENT_WRITING) ? "write" : "read",
			    evutil_socket_error_to_string(
			    EVUTIL_SOCKET_ERROR()));
		conn_close(c);
	}
}

/*
 * The idle timer of an ACTIVE connection ran out: re-arms it while the
 * connection was active since, is paused by us or is owed answers;
 * otherwise closes it, with an Error when it stopped mid-frame.
 */
static void
conn_idle(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->c_bev);
	struct timeval tv = { 0, 0 };
	uint8_t hdr[FRAME_HEADER_LEN];
	int64_t idle_ms, left_ms;
	size_t len;

	if (c->c_idle == 0)
		return;
	/* Waiting for us (paused, answers owed) is not idling. */
	if (c->c_pause != 0 || c->c_nanswers > 0 || c->c_inflight > 0)
		conn_touch(c);
	idle_ms = conn_mono_ms() - c->c_active_ms;
	left_ms = (int64_t)c->c_idle * 1000 - idle_ms;
	if (left_ms > 0) {
		tv.tv_sec = left_ms / 1000;
		tv.tv_usec = (left_ms % 1000) * 1000;
		evtimer_add(c->c_timer, &tv);
		return;
	}
	if ((len = evbuffer_get_length(in)) > 0) {
		if (len >= FRAME_HEADER_LEN) {
			evbuffer_copyout(in, hdr, sizeof(hdr));
			conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
			    "no complete frame within %u s (idle timeout): "
			    "%zu of %zu bytes of a frame received", c->c_idle,
			    len, (size_t)frame_body_len(hdr) +
			    FRAME_HEADER_LEN);
		} else
			conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
			    "no complete frame within %u s (idle timeout): "
			    "%zu bytes of a frame header received", c->c_idle,
			    len);
		return;
	}
	log_info("conn %llu: producer '%s' sent nothing for %u s (idle "
	    "timeout); closing", c->c_id, c->c_producer, c->c_idle);
	conn_drain(c);
	c->c_close_when_empty = 1;
	conn_flush(c);
}

/* The connection's timer: handshake, idle, or the linger ran out. */
static void
conn_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	size_t len;

	(void)fd;
	(void)events;
	if (c->c_state == CONN_HELLO) {
		len = evbuffer_get_length(bufferevent_get_input(c->c_bev));
		conn_fatal(c, ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL,
		    "no complete Hello within %u s of accept (handshake "
		    "timeout; %zu bytes received)", c->c_handshake, len);
		return;
	}
	if (c->c_state == CONN_ACTIVE) {
		conn_idle(c);
		return;
	}
	if (c->c_flushing) {
		log_debug("conn %llu: client did not read its last answer "
		    "within %d s; closing", c->c_id, CONN_LINGER_TIMEOUT);
		conn_close(c);
	}
}

/*
 * Closes the socket and retires the connection to the dead list, where
 * it is freed once no batch of it is with the writer. Safe to call from
 * any of its callbacks; the struct stays valid until the reaper runs.
 */
static void
conn_close(struct conn *c)
{
	struct daemon *d = c->c_d;

	if (c->c_state == CONN_CLOSED)
		return;
	conn_unlist(c);
	c->c_pause = 0;
	if (d->d_mem_owner == c)
		d->d_mem_owner = NULL;
	conn_set_state(c, CONN_CLOSED);
	/* What its input buffer held no longer counts. */
	evbuffer_remove_cb_entry(bufferevent_get_input(c->c_bev), c->c_in_cb);
	d->d_inbuf -= c->c_inbuf;
	c->c_inbuf = 0;
	bufferevent_free(c->c_bev);
	c->c_bev = NULL;
	evtimer_del(c->c_timer);
	event_del(c->c_resume_ev);
	TAILQ_REMOVE(&d->d_conns, c, c_entry);
	TAILQ_INSERT_TAIL(&d->d_dead, c, c_entry);
	d->d_nconns--;
	log_debug("conn %llu: closed after %" PRIu64 " batches, %" PRIu64
	    " records; %zu batches still with the writer", c->c_id,
	    c->c_batches, c->c_records, c->c_inflight);
	event_active(d->d_reap_ev, EV_TIMEOUT, 0);
}

/* Frees a closed connection and what it still holds. */
static void
conn_free(struct conn *c)
{
	struct conn_answer *a;

	while ((a = TAILQ_FIRST(&c->c_answers)) != NULL) {
		TAILQ_REMOVE(&c->c_answers, a, a_entry);
		free(a->a_leaves);
		free(a);
	}
	if (c->c_timer != NULL)
		event_free(c->c_timer);
	if (c->c_resume_ev != NULL)
		event_free(c->c_resume_ev);
	free(c);
}

/* Frees the closed connections nothing refers to any more. */
static void
conn_reap_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon *d = arg;
	struct conn *c, *next;

	(void)fd;
	(void)events;
	for (c = TAILQ_FIRST(&d->d_dead); c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		if (c->c_inflight > 0)
			continue;
		TAILQ_REMOVE(&d->d_dead, c, c_entry);
		conn_free(c);
	}
	/* Closed connections' buffers no longer count. */
	conn_mem_resume(d);
	conn_stop_progress(d);
}

/* Prepares d's connection lists and the reaper. */
int
conn_init(struct daemon *d)
{
	TAILQ_INIT(&d->d_conns);
	TAILQ_INIT(&d->d_paused);
	TAILQ_INIT(&d->d_dead);
	d->d_reap_ev = event_new(d->d_base, -1, 0, conn_reap_cb, d);
	if (d->d_reap_ev == NULL) {
		log_warnx("conn: cannot create the reaper event");
		return -1;
	}
	return 0;
}

/* Counts the bytes of c's input buffer into the daemon's total. */
static void
conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn *c = arg;

	(void)buf;
	c->c_inbuf += info->n_added;
	c->c_inbuf -= info->n_deleted;
	c->c_d->d_inbuf += info->n_added;
	c->c_d->d_inbuf -= info->n_deleted;
	if (c->c_peer.p_tls && c->c_state != CONN_CLOSED)
		conn_in_check(c);
}

/* Takes an accepted socket; on failure closes it. */
void
conn_accept(struct daemon *d, int fd, const struct peer *p)
{
	struct timeval tv = { 0, 0 };
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("conn: accept from %s", p->p_addr);
		evutil_closesocket(fd);
		return;
	}
	c->c_d = d;
	c->c_id = (unsigned long long)++d->d_next_conn_id;
	c->c_peer = *p;
	TAILQ_INIT(&c->c_answers);
	if (p->p_tls) {
		/* Closes fd when it fails. */
		if ((c->c_bev = tls_bufferevent(d, fd)) == NULL)
			fd = -1;
	} else
		c->c_bev = bufferevent_socket_new(d->d_base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	c->c_timer = evtimer_new(d->d_base, conn_timer_cb, c);
	c->c_resume_ev = event_new(d->d_base, -1, 0, conn_resume_cb, c);
	if (c->c_bev == NULL || c->c_timer == NULL || c->c_resume_ev == NULL) {
		log_warnx("conn %llu: cannot set up the connection from %s",
		    c->c_id, p->p_addr);
		if (c->c_bev != NULL)
			bufferevent_free(c->c_bev);
		else if (fd != -1)
			evutil_closesocket(fd);
		c->c_bev = NULL;
		conn_free(c);
		return;
	}
	c->c_in_cb = evbuffer_add_cb(bufferevent_get_input(c->c_bev),
	    conn_input_cb, c);
	if (c->c_in_cb == NULL) {
		log_warnx("conn %llu: cannot count the input of %s", c->c_id,
		    p->p_addr);
		bufferevent_free(c->c_bev);
		c->c_bev = NULL;
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->c_bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	/*
	 * A peer cannot make us buffer more than one whole frame, and
	 * before its Hello no more than a Hello may be. The limit is the
	 * connection's for its life (the Welcome announces it): a reload
	 * changes it for later connections only.
	 */
	c->c_max_frame = (size_t)d->d_cfg.cf_max_frame;
	conn_set_in_limit(c, (c->c_max_frame < CONN_HELLO_FRAME_MAX ?
	    c->c_max_frame : CONN_HELLO_FRAME_MAX) + FRAME_HEADER_LEN);
	bufferevent_setwatermark(c->c_bev, EV_WRITE, CONN_OUTPUT_LOW, 0);
	TAILQ_INSERT_TAIL(&d->d_conns, c, c_entry);
	d->d_nconns++;
	/* calloc() left c_state at CONN_HELLO, the initial state. */
	c->c_handshake = (unsigned)d->d_cfg.cf_handshake_timeout;
	tv.tv_sec = c->c_handshake;
	evtimer_add(c->c_timer, &tv);
	bufferevent_enable(c->c_bev, EV_READ | EV_WRITE);
	log_debug("conn %llu: accepted from %s", c->c_id, p->p_addr);
	/*
	 * A peer no allow rule names is refused before it is read (a TLS
	 * peer once its certificate is known: conn_tls_up()).
	 */
	if (!p->p_tls)
		(void)conn_allowed(c, NULL);
}

/*
 * A batch came back from the writer (loop thread): resolve its answer
 * and send what the FIFO allows. A closed connection only counts down.
 */
void
conn_batch_done(struct daemon *d, struct writer_batch *b)
{
	struct conn *c = b->wb_conn;
	struct conn_answer *a = b->wb_answer;
	int code;

	d->d_pending -= b->wb_mem;
	d->d_inflight--;
	c->c_inflight--;
	a->a_ready = 1;
	if (b->wb_status == 0) {
		a->a_kind = CONN_ANSWER_ACK;
		a->a_seq = b->wb_ack_seq;
		a->a_log_size = b->wb_log_size;
		a->a_first_index = b->wb_first_index;
		a->a_stored = b->wb_stored;
		a->a_duplicates = b->wb_duplicates;
		a->a_leaves = b->wb_leaves;
		b->wb_leaves = NULL;
		if (c->c_hole > 0 && b->wb_ack_seq >= c->c_hole)
			c->c_hole = 0;
		if (c->c_ack_level ==
		    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED) {
			/*
			 * The log size after the commit covers this batch's
			 * records and the earlier ones it duplicates.
			 */
			a->a_need_ckpt = b->wb_log_size;
			a->a_ckpt_size = writer_checkpoint_size(d->d_writer);
			if (a->a_ckpt_size < a->a_need_ckpt) {
				a->a_ready = 0;
				c->c_ckpt_wait++;
			}
		}
	} else {
		code = writer_status_code(b->wb_status);
		a->a_kind = CONN_ANSWER_ERROR;
		a->a_code = code;
		if (b->wb_status == WRITER_EHOLE)
			snprintf(a->a_msg, sizeof(a->a_msg), "batch not "
			    "stored: an earlier batch of this producer failed; "
			    "resend from seq %" PRIu64, b->wb_hole);
		else if (b->wb_status == WRITER_ELEAF)
			snprintf(a->a_msg, sizeof(a->a_msg), "batch not "
			    "stored, resend from seq %" PRIu64 ": internal "
			    "error computing a leaf hash (see the daemon's "
			    "log)", b->wb_hole);
		else
			snprintf(a->a_msg, sizeof(a->a_msg), "batch not "
			    "stored, resend from seq %" PRIu64 ": %s",
			    b->wb_hole, writer_strerror(b->wb_status));
		if (c->c_hole == 0 || b->wb_hole < c->c_hole)
			c->c_hole = b->wb_hole;
		if (b->wb_hole > 0 && c->c_last_seq >= b->wb_hole)
			c->c_last_seq = b->wb_hole - 1;
		metrics_rejected(d, code, b->wb_frame->batch->n_records);
		/* Refused without a try: the store's state was logged. */
		if (c->c_state != CONN_CLOSED && b->wb_quiet)
			log_debug("conn %llu: %s: %s", c->c_id,
			    frame_strerror_code(code), a->a_msg);
		else if (c->c_state != CONN_CLOSED)
			log_warnx("conn %llu: %s: %s", c->c_id,
			    frame_strerror_code(code), a->a_msg);
	}
	writer_batch_free(b);
	if (c->c_state == CONN_CLOSED) {
		if (c->c_inflight == 0)
			event_active(d->d_reap_ev, EV_TIMEOUT, 0);
		return;
	}
	conn_flush(c);
}

/*
 * Resolves the Acks of c that waited for a checkpoint and are covered
 * by one of size ckpt, then sends what the FIFO allows.
 */
static void
conn_checkpointed(struct conn *c, uint64_t ckpt)
{
	struct conn_answer *a;

	TAILQ_FOREACH(a, &c->c_answers, a_entry) {
		if (c->c_ckpt_wait == 0)
			break;
		if (a->a_ready || a->a_kind != CONN_ANSWER_ACK ||
		    a->a_need_ckpt > ckpt)
			continue;
		a->a_ready = 1;
		a->a_ckpt_size = ckpt;
		c->c_ckpt_wait--;
	}
	conn_flush(c);
}

/*
 * After a round of completions (or a checkpoint-only commit): send the
 * Acks that waited for a checkpoint and the Welcomes that waited for
 * earlier batches of their producer, resume the connections paused on
 * --max-pending once the queue fell below it, and move a shutdown on.
 */
void
conn_after_done(struct daemon *d)
{
	struct conn *c, *next;
	uint64_t ckpt;

	ckpt = writer_checkpoint_size(d->d_writer);
	for (c = TAILQ_FIRST(&d->d_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		if (c->c_ckpt_wait > 0)
			conn_checkpointed(c, ckpt);
	}
	for (c = TAILQ_FIRST(&d->d_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		if (c->c_welcome_wait && c->c_state == CONN_HELLO &&
		    conn_welcome_ready(c))
			conn_welcome(c);
	}
	if (d->d_pending < d->d_cfg.cf_max_pending &&
	    !writer_blocked(d->d_writer))
		for (c = TAILQ_FIRST(&d->d_paused); c != NULL; c = next) {
			next = TAILQ_NEXT(c, c_pause_entry);
			conn_unpause(c, CONN_PAUSE_PENDING);
		}
	conn_mem_resume(d);
	conn_stop_progress(d);
}

/* Closes every connection still open. */
static void
conn_close_all(struct daemon *d)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&d->d_conns)) != NULL)
		conn_close(c);
}

/* The shutdown flush took too long: close what is left and stop. */
static void
conn_stop_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)events;
	if (d->d_nconns > 0)
		log_warnx("shutdown: %zu connections did not take their last "
		    "answers within %d s; closing them", d->d_nconns,
		    CONN_STOP_TIMEOUT);
	conn_close_all(d);
	event_base_loopexit(d->d_base, NULL);
}

/*
 * Moves a shutdown on: once the writer gave back every batch (all Acks
 * are queued), each connection gets Error{SHUTTING_DOWN}; once every
 * connection is closed, the loop ends.
 */
static void
conn_stop_progress(struct daemon *d)
{
	struct timeval tv = { CONN_STOP_TIMEOUT, 0 };
	struct conn *c, *next;

	if (!d->d_stopping)
		return;
	if (!d->d_stop_sent && d->d_inflight == 0) {
		d->d_stop_sent = 1;
		/* Acks waiting for a checkpoint get one now. */
		if (d->d_cfg.cf_tree)
			writer_request_checkpoint(d->d_writer);
		log_info("shutdown: every batch received is committed; "
		    "closing %zu connections", d->d_nconns);
		for (c = TAILQ_FIRST(&d->d_conns); c != NULL; c = next) {
			next = TAILQ_NEXT(c, c_entry);
			conn_fatal(c,
			    ALGAUDIT__V1__ERROR_CODE__ERROR_SHUTTING_DOWN,
			    "the daemon is shutting down; reconnect later");
		}
		d->d_stop_timer = evtimer_new(d->d_base, conn_stop_timeout_cb,
		    d);
		if (d->d_stop_timer == NULL ||
		    evtimer_add(d->d_stop_timer, &tv) == -1)
			conn_close_all(d);
	}
	if (d->d_stop_sent && TAILQ_EMPTY(&d->d_conns))
		event_base_loopexit(d->d_base, NULL);
}

/*
 * SIGTERM/SIGINT: handle the complete frames already received, stop
 * reading everywhere, and let the writer finish; conn_stop_progress()
 * does the rest. A second call closes everything at once.
 */
void
conn_stop_all(struct daemon *d)
{
	struct conn *c, *next;

	if (d->d_stopping) {
		log_warnx("shutdown: second signal; closing %zu connections "
		    "now", d->d_nconns);
		conn_close_all(d);
		event_base_loopexit(d->d_base, NULL);
		return;
	}
	d->d_stopping = 1;
	for (c = TAILQ_FIRST(&d->d_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		if (c->c_state == CONN_ACTIVE)
			conn_process(c, INT_MAX, 1);
	}
	for (c = TAILQ_FIRST(&d->d_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		conn_drain(c);
	}
	log_info("shutdown: waiting for %zu batches to commit",
	    d->d_inflight);
	conn_stop_progress(d);
}

/* Frees every connection; the writer must be stopped already. */
void
conn_free_all(struct daemon *d)
{
	struct conn *c;

	conn_close_all(d);
	while ((c = TAILQ_FIRST(&d->d_dead)) != NULL) {
		TAILQ_REMOVE(&d->d_dead, c, c_entry);
		conn_free(c);
	}
	if (d->d_reap_ev != NULL)
		event_free(d->d_reap_ev);
	if (d->d_stop_timer != NULL)
		event_free(d->d_stop_timer);
	d->d_reap_ev = d->d_stop_timer = NULL;
}

/*
 * Counts the connections by state into n[CONN_STATE_MAX] (those closed
 * whose batches are still with the writer as CONN_CLOSED) and those not
 * being read for back-pressure into *paused; for the metrics.
 */
void
conn_count(struct daemon *d, uint64_t *n, uint64_t *paused)
{
	struct conn *c;

	memset(n, 0, CONN_STATE_MAX * sizeof(*n));
	*paused = 0;
	TAILQ_FOREACH(c, &d->d_conns, c_entry) {
		n[c->c_state]++;
		if (c->c_pause != 0)
			(*paused)++;
	}
	TAILQ_FOREACH(c, &d->d_dead, c_entry)
		n[c->c_state]++;
}
