/* SPDX-License-Identifier: ISC */
/*
 * client.h: the private interfaces of libalgaudit, one section per file.
 *
 * Nothing here is exported from the shared library (everything is built
 * with -fvisibility=hidden; only ALGAUDIT_API functions of algaudit.h are
 * visible). The unit tests link the static archive and may call these.
 *
 * Threads: the application's threads run algaudit_log() and friends;
 * each handle has one I/O thread (io.c) that owns the connection, the
 * sequence numbers and the spool. The ring (queue.c) is the only state
 * both sides write; client.c keeps the waiters and the counters.
 */
#ifndef ALGAUDIT_CLIENT_H
#define ALGAUDIT_CLIENT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "algaudit.h"
#include "algaudit.pb-c.h"

/* options.c */

/*
 * The options of a handle. Plain data: options.c fills it, client.c
 * copies it into the handle at open. Defaults are documented in
 * algaudit.h with each setter.
 */
struct algaudit_options {
	size_t		 o_queue_records;
	size_t		 o_queue_bytes;
	size_t		 o_batch_records;
	uint32_t	 o_linger_us;
	uint32_t	 o_backoff_initial_ms;
	uint32_t	 o_backoff_max_ms;
	int		 o_overflow;
	uint32_t	 o_block_timeout_ms;
	char		*o_spool_dir;
	uint64_t	 o_spool_max;
	uint32_t	 o_close_timeout_ms;
	uint32_t	 o_connect_timeout_ms;
	algaudit_log_fn	 o_log_fn;
	void		*o_log_arg;
	int		 o_ack_level;	/* ALGAUDIT_ACK_* */
	int		 o_leaf_hashes;	/* receipts carry leaf hashes */
	char		*o_tls_ca;	/* PEM trust anchors; NULL: system's */
	char		*o_tls_cert;	/* client certificate (chain), PEM */
	char		*o_tls_key;	/* its key, PEM */
	char		*o_tls_name;	/* NULL: the endpoint's host */
};

#define OPTIONS_QUEUE_RECORDS	65536
#define OPTIONS_QUEUE_BYTES	(32u * 1024 * 1024)
#define OPTIONS_QUEUE_RECORDS_MAX (1u << 24)
#define OPTIONS_QUEUE_BYTES_MIN	(64u * 1024)
#define OPTIONS_QUEUE_BYTES_MAX	(4ull * 1024 * 1024 * 1024)
#define OPTIONS_BATCH_RECORDS	1024
#define OPTIONS_BATCH_RECORDS_MAX 65536
#define OPTIONS_LINGER_US	1000
#define OPTIONS_LINGER_US_MAX	1000000
#define OPTIONS_BACKOFF_INITIAL	50
#define OPTIONS_BACKOFF_MAX	5000
#define OPTIONS_BLOCK_TIMEOUT	1000
#define OPTIONS_SPOOL_MAX	(1024ull * 1024 * 1024)
#define OPTIONS_SPOOL_MAX_MIN	(64u * 1024)
#define OPTIONS_CLOSE_TIMEOUT	5000
#define OPTIONS_CONNECT_TIMEOUT	2000
#define OPTIONS_TLS_NAME_MAX	255	/* a DNS name's limit */

void	 options_defaults(struct algaudit_options *);
int	 options_copy(struct algaudit_options *,
	    const struct algaudit_options *);
void	 options_clear(struct algaudit_options *);
int	 options_has_tls(const struct algaudit_options *);

/* builder.c */

int	 builder_prepare(struct algaudit_record *,
	    Algaudit__V1__DecisionRecord *, int64_t);
void	 builder_fail(struct algaudit_record *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* crc32c.c */

uint32_t crc32c_update(uint32_t, const void *, size_t);
uint32_t crc32c(const void *, size_t);

/* wire.c */

#define WIRE_VARINT_MAX		10
/* Room for the frame header, the ClientFrame tag and the Batch length. */
#define WIRE_BATCH_PREFIX	(4 + 1 + 5)

size_t	 wire_varint_len(uint64_t);
size_t	 wire_varint_put(uint8_t *, uint64_t);
size_t	 wire_element_len(size_t, uint64_t);
size_t	 wire_element_put(uint8_t *, const uint8_t *, size_t, uint64_t);
size_t	 wire_batch_close(uint8_t *, size_t);
size_t	 wire_hello(uint8_t *, size_t, const char *, int, int);

/* backoff.c */

struct backoff {
	uint32_t	 b_initial;
	uint32_t	 b_max;
	uint32_t	 b_cur;
	uint64_t	 b_rng;
};

void	 backoff_init(struct backoff *, uint32_t, uint32_t, uint64_t);
void	 backoff_reset(struct backoff *);
uint32_t backoff_next(struct backoff *);
uint64_t backoff_random(struct backoff *);

/* queue.c */

struct queue;

enum queue_status {
	QUEUE_OK = 0,
	QUEUE_FULL,		/* no room (after the wait, if any) */
	QUEUE_TOOBIG,		/* larger than the whole ring */
	QUEUE_SHUTDOWN		/* queue_shutdown() was called */
};

int	 queue_new(size_t, size_t, struct queue **);
void	 queue_free(struct queue *);
void	 queue_forget(struct queue *);
int	 queue_reserve(struct queue *, size_t, const struct timespec *,
	    uint64_t *, uint8_t **);
void	 queue_publish(struct queue *, uint64_t);
int	 queue_published(struct queue *, uint64_t);
const uint8_t *queue_data(struct queue *, uint64_t, size_t *);
uint64_t queue_seq(struct queue *, uint64_t);
void	 queue_set_seq(struct queue *, uint64_t, uint64_t);
uint64_t queue_tail(struct queue *);
uint64_t queue_head(struct queue *);
void	 queue_release(struct queue *, uint64_t);
void	 queue_usage(struct queue *, uint64_t *, uint64_t *);
unsigned queue_waiters(struct queue *);
void	 queue_shutdown(struct queue *);
size_t	 queue_capacity_records(const struct queue *);
size_t	 queue_capacity_bytes(const struct queue *);
size_t	 queue_memory(const struct queue *);

/* spool.c */

struct spool;

#define SPOOL_HDR_LEN		32
#define SPOOL_FRAME_HDR_LEN	16
#define SPOOL_MAGIC		"ALGSPOOL"
#define SPOOL_VERSION		1
#define SPOOL_FRAME_MAX		(64u * 1024 * 1024)
/* The high-water mark is reserved this many seqs ahead. */
#define SPOOL_HW_BLOCK		65536

enum spool_status {
	SPOOL_OK = 0,
	SPOOL_END,		/* no frame at this offset */
	SPOOL_EFULL,		/* the append would exceed max_bytes */
	SPOOL_ECORRUPT		/* a frame failed its checks */
};

/* What spool_open() found in the file. */
struct spool_scan {
	uint64_t	 ss_frames;	/* valid frames kept */
	uint64_t	 ss_first_seq;
	uint64_t	 ss_last_seq;
	uint64_t	 ss_cut_at;	/* file offset of the cut, if any */
	uint64_t	 ss_cut_bytes;	/* bytes cut; 0: the tail was clean */
	char		 ss_reason[128];
};

int	 spool_open(const char *, const char *, uint64_t, struct spool **,
	    struct spool_scan *, char *, size_t);
void	 spool_close(struct spool *);
void	 spool_forget(struct spool *);
const char *spool_path(const struct spool *);
uint64_t spool_hw(const struct spool *);
int	 spool_reserve(struct spool *, uint64_t);
uint64_t spool_begin(const struct spool *);
uint64_t spool_end(const struct spool *);
uint64_t spool_size(const struct spool *);
int	 spool_append(struct spool *, uint64_t, const uint8_t *, size_t);
int	 spool_sync(struct spool *);
void	 spool_discard(struct spool *);
int	 spool_read(struct spool *, uint64_t, uint64_t *, const uint8_t **,
	    size_t *, uint64_t *);
int	 spool_consume(struct spool *, uint64_t);
int	 spool_cut(struct spool *, uint64_t);
int	 spool_filename(const char *, char *, size_t);

/* tls.c */

struct tls_context;
struct tls_session;

/* What a TLS call did; TLS_WANT_*: retry when the socket is ready so. */
enum tls_status {
	TLS_OK = 0,		/* done: the handshake, or bytes moved */
	TLS_WANT_READ,		/* retry once the socket is readable */
	TLS_WANT_WRITE,		/* retry once the socket is writable */
	TLS_CLOSED,		/* the peer closed the connection */
	TLS_FAILED		/* failed; the message says why */
};

int	 tls_context_new(const struct algaudit_options *, const char *,
	    struct tls_context **, char *, size_t);
void	 tls_context_free(struct tls_context *);
const char *tls_context_name(const struct tls_context *);
int	 tls_session_new(struct tls_context *, int, struct tls_session **,
	    char *, size_t);
void	 tls_session_free(struct tls_session *);
int	 tls_session_handshake(struct tls_session *, char *, size_t);
int	 tls_session_read(struct tls_session *, void *, size_t, size_t *,
	    char *, size_t);
int	 tls_session_write(struct tls_session *, const void *, size_t,
	    size_t *, char *, size_t);
int	 tls_session_pending(const struct tls_session *);
void	 tls_session_close(struct tls_session *);
void	 tls_session_describe(const struct tls_session *, char *, size_t);

/* io.c */

struct io;

int	 io_new(struct algaudit_client *, const char *, const char *,
	    const struct algaudit_options *, struct queue *, struct spool *,
	    uint64_t, struct io **);
int	 io_start(struct io *);
void	 io_stop(struct io *);
void	 io_free(struct io *);
void	 io_forget(struct io *);
void	 io_published(struct io *, uint64_t);
uint64_t io_loss_records(const struct io *);
void	 io_wake(struct io *, int);
int	 io_parse_endpoint(const char *, char *, size_t);

/* client.c */

/* How a run of records was resolved, for the waiters' receipts. */
enum client_fate {
	CLIENT_ACKED = 0,	/* stored or duplicate, per the Ack */
	CLIENT_DURABLE,		/* at or below a Welcome's durable mark */
	CLIENT_REJECTED		/* refused by the daemon or locally */
};

struct client_resolution {
	int		 cr_fate;
	uint64_t	 cr_n;		/* records resolved, in order */
	uint64_t	 cr_nopos;	/* leading records from a predecessor */
	uint64_t	 cr_stored;	/* Ack.stored (the last ones) */
	uint64_t	 cr_first_index;
	uint64_t	 cr_log_size;
	uint64_t	 cr_ckpt_size;	/* checkpointed level; 0: none */
	const uint8_t	*cr_leaves;	/* cr_stored leaf hashes, or NULL */
};

void	 client_log(struct algaudit_client *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 client_count(struct algaudit_client *, int, uint64_t);
void	 client_return_dropped(struct algaudit_client *, uint64_t);
void	 client_resolve(struct algaudit_client *,
	    const struct client_resolution *);
void	 client_seqs_assigned(struct algaudit_client *, struct queue *,
	    uint64_t, uint64_t);
void	 client_set_fenced(struct algaudit_client *);
void	 client_set_spool_state(struct algaudit_client *, int);
uint64_t client_take_dropped(struct algaudit_client *);
int	 client_urgent(struct algaudit_client *);
int	 client_policy(const struct algaudit_client *);
uint64_t client_now_us(void);
int64_t	 client_realtime_ns(void);

#endif /* ALGAUDIT_CLIENT_H */
