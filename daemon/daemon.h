/* SPDX-License-Identifier: ISC */
/*
 * daemon.h: the private header of algauditd, sectioned by file.
 *
 * All daemon state hangs off one struct daemon, created in main.c and
 * passed to every module explicitly (callbacks get it through their
 * void * argument). Two threads touch it: the event loop (everything
 * except writer.c's thread function) and the writer thread, which sees
 * only struct writer and the batches handed to it. A struct's body is
 * here only when several files use its fields; otherwise it lives in
 * the .c that owns it.
 */
#ifndef ALGAUDIT_DAEMON_H
#define ALGAUDIT_DAEMON_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "algaudit.pb-c.h"
#include "frame.h"
#include "note.h"
#include "record.h"

struct bufferevent;
struct event;
struct event_base;
struct conn;
struct conn_answer;
struct daemon;
struct leaf_key;
struct listener;
struct ssl_ctx_st;			/* OpenSSL's SSL_CTX */
struct store;
struct writer;
struct writer_batch;

/* allow.c */

#define ALLOW_RULES_MAX		64	/* allow rules in a configuration */
#define ALLOW_TEXT_MAX		1024	/* longest rule text, with NUL */

enum allow_kind {
	ALLOW_UID = 1,
	ALLOW_GID,
	ALLOW_CN		/* a TLS client certificate's subject CN */
};

/* One allow rule: an identity and the producer ids it may use. */
struct allow_rule {
	int		 ar_kind;		/* ALLOW_* */
	uint32_t	 ar_id;			/* the uid or gid, resolved */
	size_t		 ar_cn;			/* ALLOW_CN: offset of the CN */
	size_t		 ar_ncn;		/* its length */
	size_t		 ar_pats;		/* offset of the patterns */
	size_t		 ar_npats;		/* their length */
	char		 ar_text[ALLOW_TEXT_MAX];	/* as written */
};

/*
 * A peer's identity as the allowlist sees it: SO_PEERCRED and
 * SO_PEERGROUPS on a Unix socket, the verified certificate's subject CN
 * on TLS (ap_cn; NULL for a Unix peer).
 */
struct allow_peer {
	uint32_t	 ap_uid;
	uint32_t	 ap_gid;
	const uint32_t	*ap_groups;		/* supplementary groups */
	size_t		 ap_ngroups;
	const char	*ap_cn;
};

int	 allow_parse(const char *, struct allow_rule *, char *, size_t);
int	 allow_user_id(const char *, uint32_t *, char *, size_t);
int	 allow_group_id(const char *, uint32_t *, char *, size_t);
int	 allow_pattern_match(const char *, size_t, const char *);
size_t	 allow_match_peer(const struct allow_rule *, size_t,
	    const struct allow_peer *);
int	 allow_match_producer(const struct allow_rule *, size_t,
	    const struct allow_peer *, const char *);

/* cfg.c */

#define CFG_LISTEN_MAX		16	/* --listen given at most this often */
#define CFG_ENDPOINT_MAX	300	/* longest endpoint text, with NUL */
#define CFG_UNIX_PATH_MAX	108	/* sizeof(sun_path), with NUL */
#define CFG_HOST_MAX		256
#define CFG_PORT_MAX		6
#define CFG_PATH_MAX		4096
#define CFG_ORIGIN_MAX		256
#define CFG_GROUP_MAX		64	/* socket-group, with NUL */

enum cfg_endpoint_type {
	CFG_EP_UNIX = 1,
	CFG_EP_TCP,
	CFG_EP_TLS
};

/* One --listen endpoint, parsed. */
struct cfg_endpoint {
	int		 ep_type;		/* CFG_EP_* */
	char		 ep_text[CFG_ENDPOINT_MAX];	/* as given */
	char		 ep_path[CFG_UNIX_PATH_MAX];	/* unix */
	char		 ep_host[CFG_HOST_MAX];		/* tcp, tls; bare */
	char		 ep_port[CFG_PORT_MAX];		/* tcp, tls */
};

/* What the command line asks for besides running. */
enum cfg_mode {
	CFG_MODE_RUN = 0,
	CFG_MODE_CHECK,		/* -n: check the configuration */
	CFG_MODE_HELP,		/* --help */
	CFG_MODE_DUMP		/* --dump-config */
};

/* --on-store-full: what a full store does to producers. */
enum cfg_store_full {
	CFG_STORE_FULL_BLOCK = 0,	/* stop reading them; retry */
	CFG_STORE_FULL_REFUSE		/* answer Error STORE_FULL */
};

/* What cfg_load() returns when it fails, besides 0. */
#define CFG_ECMDLINE	(-1)	/* err: "--option: message" */
#define CFG_EFILE	(-2)	/* err: "FILE:LINE: message" or "FILE: ..." */

/* The configuration; cfg.c's option table maps names to these fields. */
struct cfg {
	char		 cf_file[CFG_PATH_MAX];	/* -f: "" none */
	uint64_t	 cf_given;	/* bit i: option i set by argv */
	char		 cf_store[CFG_PATH_MAX];
	struct cfg_endpoint cf_listen[CFG_LISTEN_MAX];
	size_t		 cf_nlisten;
	int		 cf_listen_given;	/* the default was replaced */
	char		 cf_origin[CFG_ORIGIN_MAX];	/* "": store's choice */
	uint64_t	 cf_max_frame;
	uint64_t	 cf_max_pending;
	uint64_t	 cf_max_conns;
	uint64_t	 cf_commit_max;
	char		 cf_key[CFG_PATH_MAX];	/* "": <store>/signer.key */
	uint64_t	 cf_ckpt_entries;	/* checkpoint every N entries */
	uint64_t	 cf_ckpt_interval;	/* or after this many ms */
	int		 cf_tree;		/* tree and checkpoints */
	uint64_t	 cf_hash_threads;	/* leaf threads beside writer */
	uint64_t	 cf_socket_mode;	/* unix sockets' mode bits */
	char		 cf_socket_group[CFG_GROUP_MAX];	/* "": ours */
	struct allow_rule cf_allow[ALLOW_RULES_MAX];	/* who may write */
	size_t		 cf_nallow;		/* 0: anyone who can connect */
	uint64_t	 cf_handshake_timeout;	/* s from accept to Hello */
	uint64_t	 cf_idle_timeout;	/* s without a frame; 0 never */
	int		 cf_store_full;		/* CFG_STORE_FULL_* */
	uint64_t	 cf_max_store_size;	/* data.mdb bytes; 0 no limit */
	uint64_t	 cf_free_warn;		/* % available; 0 off */
	uint64_t	 cf_free_crit;		/* % available; 0 off */
	int		 cf_tcp_remote;		/* plain TCP beyond loopback */
	char		 cf_tls_cert[CFG_PATH_MAX];	/* PEM chain; "" none */
	char		 cf_tls_key[CFG_PATH_MAX];
	char		 cf_tls_client_ca[CFG_PATH_MAX];	/* "": none */
	char		 cf_metrics[CFG_ENDPOINT_MAX];	/* HOST:PORT; "" off */
	int		 cf_metrics_remote;	/* non-loopback allowed */
	uint64_t	 cf_clock_skew;		/* s; flagged beyond it */
	int		 cf_foreground;
	int		 cf_verbose;
	int		 cf_mode;		/* CFG_MODE_* */
};

/*
 * Called by cfg_reload() for each option whose value differs: its name,
 * the running and the new value as text, and whether the new value was
 * applied (1) or needs a restart and was not (0).
 */
typedef void (*cfg_change_fn)(const char *, const char *, const char *,
    int, void *);

int	 cfg_init(struct cfg *, char *, size_t);
int	 cfg_parse_args(struct cfg *, int, char *const *, char *, size_t);
int	 cfg_set(struct cfg *, const char *, const char *, char *, size_t);
int	 cfg_file_load(struct cfg *, const char *, char *, size_t);
int	 cfg_load(struct cfg *, int, char *const *, char *, size_t);
int	 cfg_reload(struct cfg *, const struct cfg *, cfg_change_fn, void *);
int	 cfg_parse_endpoint(const char *, struct cfg_endpoint *, char *,
	    size_t);
int	 cfg_parse_number(const char *, int, uint64_t *);
void	 cfg_usage(FILE *);
void	 cfg_dump(const struct cfg *, FILE *);

/* cadence.c */

/* When the next checkpoint is due; the writer thread's, see cadence.c. */
struct cadence {
	uint64_t	 cd_every;	/* --checkpoint-entries */
	uint64_t	 cd_interval_ms;	/* --checkpoint-interval */
	uint64_t	 cd_size;	/* size of the last checkpoint */
	uint64_t	 cd_last_ms;	/* when it was committed */
	int		 cd_have_last;	/* cd_last_ms is known */
	int		 cd_asked;	/* one was asked for (shutdown) */
	uint64_t	 cd_retry_ms;	/* after a failure: not before */
};

void	 cadence_init(struct cadence *, uint64_t, uint64_t, uint64_t);
int	 cadence_due(const struct cadence *, uint64_t, uint64_t);
int64_t	 cadence_wait_ms(const struct cadence *, uint64_t, uint64_t);
void	 cadence_done(struct cadence *, uint64_t, uint64_t);
void	 cadence_defer(struct cadence *, uint64_t);
void	 cadence_ask(struct cadence *);

/* hasher.c */

struct hasher;

/* One entry whose leaf hash is wanted; the writer fills it. */
struct hasher_job {
	Algaudit__V1__Entry	 hj_entry;	/* points into hj_batch */
	struct writer_batch	*hj_batch;	/* the writer's bookkeeping */
	int			 hj_rc;		/* 0 or a LEAF_E* code */
};

int	 hasher_new(const struct leaf_key *, int, struct hasher **);
void	 hasher_free(struct hasher *);
void	 hasher_begin(struct hasher *, struct hasher_job *, uint8_t *);
void	 hasher_publish(struct hasher *, size_t);
int	 hasher_finish(struct hasher *, size_t, size_t *);
void	 hasher_cancel(struct hasher *);
void	 hasher_stats(struct hasher *, uint64_t *, uint64_t *);

/* batch.c */

int	 batch_check(Algaudit__V1__DecisionRecord *const *, size_t, uint64_t,
	    uint64_t, size_t *, char *, size_t);

/* log.c is declared in log.h. */

/* listener.c */

/*
 * Who is at the other end of a connection, as the kernel told us, and
 * on TLS as the verified client certificate says (after the handshake).
 */
struct peer {
	int		 p_has_cred;	/* p_uid/p_gid/p_pid are set */
	uint32_t	 p_uid;
	uint32_t	 p_gid;
	uint32_t	 p_pid;
	char		 p_addr[64];	/* "unix" or "ip:port" */
	int		 p_tls;		/* came through a tls: listener */
	int		 p_tls_verified; /* a client certificate checked */
	char		 p_tls_subject[1024];	/* RFC 2253; "" none */
	char		 p_tls_cn[128];	/* the subject's CN; "" none */
};

int	 listener_start_all(struct daemon *);
int	 listener_peer_groups(int, uint32_t **, size_t *);
void	 listener_log_access(const struct daemon *);
void	 listener_stop_all(struct daemon *);
void	 listener_free_all(struct daemon *);
void	 listener_describe(const struct daemon *, char *, size_t);

/* tls.c */

int	 tls_wanted(const struct cfg *);
int	 tls_ctx_new(const struct cfg *, struct ssl_ctx_st **, char *, size_t,
	    char *, size_t);
int	 tls_start(struct daemon *);
int	 tls_reload(struct daemon *, const struct cfg *);
void	 tls_stop(struct daemon *);
struct bufferevent *tls_bufferevent(struct daemon *, int);
int	 tls_peer_identity(struct bufferevent *, struct peer *);
void	 tls_error(struct bufferevent *, char *, size_t);

/* conn.c */

enum conn_state {
	CONN_HELLO = 0,		/* waiting for the Hello */
	CONN_ACTIVE,		/* Welcome sent; batches flow */
	CONN_DRAINING,		/* not reading; answers and output drain */
	CONN_CLOSED,		/* socket gone; freed when nothing inflight */
	CONN_STATE_MAX
};

#define CONN_FRAME_BUDGET	64		/* frames per wakeup */
#define CONN_OUTPUT_HIGH	(1024 * 1024)	/* stop reading above */
#define CONN_OUTPUT_LOW		(CONN_OUTPUT_HIGH / 2)	/* resume below */
#define CONN_LINGER_TIMEOUT	2		/* s to flush a last error */
#define CONN_STOP_TIMEOUT	2		/* s to flush at shutdown */

int	 conn_init(struct daemon *);
void	 conn_accept(struct daemon *, int, const struct peer *);
void	 conn_batch_done(struct daemon *, struct writer_batch *);
void	 conn_after_done(struct daemon *);
void	 conn_stop_all(struct daemon *);
void	 conn_free_all(struct daemon *);
const char *conn_strstate(int);
void	 conn_count(struct daemon *, uint64_t *, uint64_t *);

/* writer.c */

/*
 * A decoded Batch on its way to the writer and back. conn.c fills the
 * input fields and hands it over; the writer thread fills the result
 * fields; conn.c reads them on the loop thread after the completion.
 * The writer never dereferences wb_conn or wb_answer.
 */
struct writer_batch {
	TAILQ_ENTRY(writer_batch) wb_entry;	/* writer queue, done queue */
	struct conn	*wb_conn;	/* loop thread only */
	struct conn_answer *wb_answer;	/* loop thread only */
	char		 wb_producer[RECORD_MAX_PRODUCER_ID + 1];
	struct peer	 wb_peer;
	int64_t		 wb_recv_ns;	/* receive time, ns since the epoch */
	uint64_t	 wb_skew_s;	/* writer_submit(): --clock-skew then */
	int		 wb_want_leaves; /* return the leaf hashes */
	Algaudit__V1__ClientFrame *wb_frame;	/* msg_case BATCH */
	struct frame_alloc wb_alloc;	/* wb_frame's allocator */
	size_t		 wb_size;	/* encoded frame size */
	size_t		 wb_mem;	/* bytes counted against max-pending */

	/* Results, written by the writer thread. */
	int		 wb_status;	/* 0, or a store error */
	uint64_t	 wb_ack_seq;	/* the producer's mark after commit */
	uint64_t	 wb_log_size;	/* log size after the commit */
	uint64_t	 wb_first_index;
	uint32_t	 wb_stored;
	uint32_t	 wb_duplicates;
	uint64_t	 wb_hole;	/* failed: resend from this seq */
	int		 wb_clears_hole; /* writer thread only */
	int		 wb_session_start; /* first batch after a Welcome */
	size_t		 wb_leaf_off;	/* writer thread: first hash in group */
	Algaudit__V1__Peer wb_pmsg;	/* writer thread: the entries' peer */
	uint8_t		*wb_leaves;	/* wb_stored leaf hashes, if wanted */
	int		 wb_quiet;	/* refused untried: state was logged */
};

TAILQ_HEAD(writer_batches, writer_batch);

/*
 * wb_status of a batch refused because an earlier batch of the same
 * producer failed and was not resent yet: storing it would move the
 * producer's mark past records that are not in the log.
 */
#define WRITER_EHOLE	(-32000)
/*
 * wb_status of a batch refused because the leaf hash of one of its
 * records could not be computed (an internal error, logged); it is
 * answered like a failed commit: resend from wb_hole.
 */
#define WRITER_ELEAF	(-32001)
/* wb_status: refused, data.mdb is at --max-store-size (STORE_FULL). */
#define WRITER_EMAXSIZE	(-32003)
/* wb_status: refused, the store is closed after an I/O error. */
#define WRITER_EUNAVAIL	(-32004)

/* The store's state as the writer sees it. */
enum writer_store_state {
	WRITER_STORE_OK = 0,	/* takes writes */
	WRITER_STORE_FULL,	/* no space, or at --max-store-size */
	WRITER_STORE_FAILED,	/* closed after an I/O error */
	WRITER_STORE_STATE_MAX
};

/* Why a group of batches was not committed, for the metrics. */
enum writer_fail {
	WRITER_FAIL_FULL = 0,	/* STORE_EFULL */
	WRITER_FAIL_MAXSIZE,	/* WRITER_EMAXSIZE */
	WRITER_FAIL_IO,		/* STORE_EIO */
	WRITER_FAIL_UNAVAIL,	/* WRITER_EUNAVAIL */
	WRITER_FAIL_OTHER,
	WRITER_FAIL_MAX
};

#define WRITER_LAT_NB	13	/* commit-latency bounds (metrics.c) */
#define WRITER_REC_NB	11	/* records-per-commit bounds */

/* The writer's statistics, copied from its atomics for the metrics. */
struct writer_stats {
	uint64_t	 ws_commits;
	uint64_t	 ws_batches;	/* acknowledged */
	uint64_t	 ws_records;	/* stored as new entries */
	uint64_t	 ws_duplicates;	/* acknowledged, not stored again */
	uint64_t	 ws_bytes;	/* Entry bytes stored */
	uint64_t	 ws_skew[2];	/* stored clock_skewed: ahead, behind */
	uint64_t	 ws_failures[WRITER_FAIL_MAX];
	uint64_t	 ws_lat[WRITER_LAT_NB + 1];	/* per bucket, +Inf */
	uint64_t	 ws_lat_sum_ns;
	uint64_t	 ws_recs[WRITER_REC_NB + 1];	/* per bucket, +Inf */
	uint64_t	 ws_recs_sum;
	uint64_t	 ws_log_size;
	uint64_t	 ws_ckpt_size;
	uint64_t	 ws_ckpts;	/* signed since start */
	int64_t		 ws_ckpt_ns;	/* the newest's commit, or start */
	int		 ws_state;	/* WRITER_STORE_* */
	int		 ws_free_level;	/* HEALTH_FREE_* */
	uint64_t	 ws_reopens;
	uint64_t	 ws_reopen_failures;
	uint64_t	 ws_file_bytes;	/* data.mdb */
	uint64_t	 ws_map_bytes;
	uint64_t	 ws_map_used;
	uint64_t	 ws_max_size;	/* --max-store-size */
	uint64_t	 ws_fs_size;	/* the store's filesystem */
	uint64_t	 ws_fs_avail;
};

int	 writer_start(struct daemon *, uint64_t);
void	 writer_submit(struct writer *, struct writer_batch *);
int	 writer_clock_skew(const Algaudit__V1__DecisionRecord *, int64_t,
	    uint64_t);
uint64_t writer_log_size(struct writer *);
uint64_t writer_checkpoint_size(struct writer *);
void	 writer_request_checkpoint(struct writer *);
void	 writer_set_limits(struct writer *, uint64_t, uint64_t, uint64_t);
void	 writer_set_store_limits(struct writer *, int, uint64_t, uint64_t,
	    uint64_t);
int	 writer_blocked(struct writer *);
void	 writer_shutdown(struct writer *);
struct store *writer_store_acquire(struct writer *);
void	 writer_store_release(struct writer *);
void	 writer_get_stats(struct writer *, struct writer_stats *);
int	 writer_status_code(int);
const char *writer_strerror(int);
void	 writer_stop(struct daemon *);
void	 writer_batch_free(struct writer_batch *);

/* health.c */

#define HEALTH_FS_SLACK		(1024 * 1024)	/* less available: full */
#define HEALTH_HYSTERESIS	1.0	/* points above a threshold to leave */

/* Free-space levels of the store's filesystem. */
enum health_free {
	HEALTH_FREE_OK = 0,
	HEALTH_FREE_LOW,	/* below --store-free-warn */
	HEALTH_FREE_CRITICAL	/* below --store-free-critical */
};

/* The filesystem under the store, from statvfs(). */
struct health_fs {
	uint64_t	 hf_size;	/* bytes */
	uint64_t	 hf_avail;	/* bytes available to non-root */
};

/* What health_check_store() found. */
struct health_check {
	uint64_t	 hc_entries;
	uint64_t	 hc_tree;
	uint64_t	 hc_ckpt_size;	/* newest checkpoint; 0: none */
};

struct leaf_ctx;

int	 health_fs_stat(const char *, struct health_fs *);
double	 health_free_pct(const struct health_fs *);
int	 health_fs_full(const struct health_fs *);
int	 health_free_level(const struct health_fs *, uint64_t, uint64_t,
	    int);
uint64_t health_backoff(uint64_t, uint64_t, uint64_t);
int	 health_check_store(struct store *, uint64_t, int, const char *,
	    struct leaf_ctx *, struct health_check *, char *, size_t);
int	 health_reader_check(struct store *);

/* metrics.c */

#define METRICS_NCODES	16	/* Error codes counted one by one */

struct metrics;
struct sockaddr;

/* Everything one scrape shows, copied on the loop thread. */
struct metrics_snap {
	int64_t		 ms_now_ns;	/* wall clock */
	int64_t		 ms_start_ns;
	uint64_t	 ms_recv_bytes;
	uint64_t	 ms_recv_batches;
	uint64_t	 ms_recv_records;
	uint64_t	 ms_rejected[METRICS_NCODES];	/* records, by code */
	uint64_t	 ms_errors[METRICS_NCODES];	/* frames, by code */
	uint64_t	 ms_skew[2];	/* ahead, behind */
	uint64_t	 ms_skew_s;	/* --clock-skew */
	uint64_t	 ms_accepted;
	uint64_t	 ms_conns[CONN_STATE_MAX];
	uint64_t	 ms_paused;
	uint64_t	 ms_pending_bytes;
	uint64_t	 ms_pending_batches;
	uint64_t	 ms_pending_limit;
	uint64_t	 ms_scrapes;
	uint64_t	 ms_tls_failed;	/* TLS handshakes that failed */
	uint64_t	 ms_shed;	/* closed at EMFILE */
	struct writer_stats ms_w;
};

int	 metrics_new(struct daemon *);
int	 metrics_start(struct daemon *);
void	 metrics_free(struct daemon *);
void	 metrics_frame(struct daemon *, size_t);
void	 metrics_batch(struct daemon *, const Algaudit__V1__Batch *);
void	 metrics_rejected(struct daemon *, int, size_t);
void	 metrics_error(struct daemon *, int);
void	 metrics_tls_failed(struct daemon *);
void	 metrics_snapshot(struct daemon *, struct metrics_snap *);
int	 metrics_format(const struct metrics_snap *, FILE *);
size_t	 metrics_lat_bucket(uint64_t);
size_t	 metrics_rec_bucket(uint64_t);
int	 metrics_is_loopback(const struct sockaddr *);

/* tlog.c */

int	 tlog_open(struct daemon *);
void	 tlog_close(struct daemon *);

/* main.c */

TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(listener_list, listener);

/* Everything the daemon knows; one instance, made in main(). */
struct daemon {
	struct cfg		 d_cfg;
	int			 d_argc;	/* for SIGHUP's reload */
	char			**d_argv;
	struct event_base	*d_base;
	struct store		*d_store;	/* the writer's once it runs */
	struct writer		*d_writer;
	struct metrics		*d_metrics;	/* counters, /metrics */
	char			 d_origin[CFG_ORIGIN_MAX];

	/* The verifiable log (tlog.c); d_signer NULL with --tree off. */
	struct note_signer	*d_signer;
	char			 d_vkey[NOTE_VKEY_MAX];	/* verifier key */
	char			 d_key_path[CFG_PATH_MAX];
	uint64_t		 d_ckpt_size;	/* newest checkpoint at start */

	struct ssl_ctx_st	*d_tls;		/* tls: listeners; else NULL */
	struct listener_list	 d_listeners;
	struct event		*d_accept_timer;	/* EMFILE back-off */
	int			 d_accept_paused;
	int			 d_accept_logged;	/* EMFILE reported */
	uint64_t		 d_accept_warn_ms;	/* when, monotonic */
	int			 d_refusing;	/* at --max-connections */
	int			 d_reserve_fd;	/* freed for EMFILE; -1 none */
	int			 d_reserve_logged; /* could not reopen it */
	uint64_t		 d_shed;	/* peers closed at EMFILE */

	struct conn_list	 d_conns;	/* not yet CLOSED */
	struct conn_list	 d_paused;	/* wait for memory to free up */
	struct conn_list	 d_dead;	/* CLOSED, not yet freed */
	struct event		*d_reap_ev;
	size_t			 d_nconns;	/* open sockets */
	uint64_t		 d_next_conn_id;

	size_t			 d_pending;	/* bytes queued to the writer */
	size_t			 d_inflight;	/* batches with the writer */
	size_t			 d_inbuf;	/* bytes in input buffers */
	struct conn		*d_mem_owner;	/* may read over the bound */

	int			 d_stopping;	/* SIGTERM/SIGINT seen */
	int			 d_stop_sent;	/* SHUTTING_DOWN sent to all */
	struct event		*d_stop_timer;
};

#endif /* ALGAUDIT_DAEMON_H */
