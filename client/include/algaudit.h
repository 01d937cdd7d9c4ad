/* SPDX-License-Identifier: ISC */
/**
 * @file algaudit.h
 * @brief libalgaudit: record algorithmic decisions in an algaudit log.
 *
 * An application opens one handle per producer identity, builds records
 * with the record builder and logs them. algaudit_log() only copies the
 * encoded record into the handle's queue and returns; a background
 * thread of the handle batches the queue to the daemon, keeps many
 * records in flight, and forgets a record only once the daemon has
 * acknowledged it as durable. Reconnects resume exactly after the
 * daemon's durable mark, so every record is stored exactly once.
 *
 * Conventions:
 * - Functions returning int return 0 on success, a negative
 *   ALGAUDIT_E* code, or a positive errno value passed through.
 *   algaudit_strerror() explains any of them.
 * - The library never prints, never exits, never aborts and never
 *   raises a signal in the host (SIGPIPE is suppressed per socket).
 *   Its own diagnostics go to an optional log callback.
 * - Handles are thread-safe; records and options are not (use one per
 *   thread, or lock).
 * - After fork() the child must not use a handle opened by the parent:
 *   it has no I/O thread. Every call on it returns ALGAUDIT_EFORKED;
 *   algaudit_close() in the child frees the memory and closes the
 *   child's copies of the descriptors without shutdown(), so the
 *   parent's connection and spool are untouched. The parent's handle is
 *   unaffected. A child that wants to log opens its own handle (with
 *   its own producer id). Detection costs no system call: a
 *   pthread_atfork() child handler, registered once per process, bumps
 *   a generation counter that each call compares (the library's only
 *   global state).
 * - See docs/CLIENT.md for threading, sequence numbers, the spool
 *   format and the counters.
 */
#ifndef ALGAUDIT_H
#define ALGAUDIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(ALGAUDIT_BUILDING)
#define ALGAUDIT_API __attribute__((visibility("default")))
#else
#define ALGAUDIT_API
#endif

/** @name Version */
/** @{ */
#define ALGAUDIT_VERSION_MAJOR	0
#define ALGAUDIT_VERSION_MINOR	1
#define ALGAUDIT_VERSION_PATCH	0
#define ALGAUDIT_VERSION_STRING	"0.1.0"
/** @} */

/** Error codes: a reserved negative range, disjoint from errno. */
enum algaudit_error {
	ALGAUDIT_EINVAL = -30900,	/**< invalid argument or field value */
	ALGAUDIT_EFULL,		/**< queue full and the policy says so */
	ALGAUDIT_ETIMEDOUT,	/**< the wait ended before the condition */
	ALGAUDIT_ECLOSED,	/**< the handle is closing */
	ALGAUDIT_EREJECTED,	/**< the daemon refused the record */
	ALGAUDIT_EPROTO,	/**< malformed or unexpected data from daemon */
	ALGAUDIT_EVERSION,	/**< the daemon speaks another protocol */
	ALGAUDIT_EFENCED,	/**< a newer handle took this producer id */
	ALGAUDIT_ESPOOL,	/**< the spool is unusable (see log callback) */
	ALGAUDIT_EFORKED,	/**< handle used in a child after fork() */
	ALGAUDIT_ENOTFOUND,	/**< no such value (e.g. receipt index) */
	ALGAUDIT_EMAX
};

/** Data classes; every record and every input needs one. */
enum algaudit_class {
	ALGAUDIT_CLASS_ORDINARY = 1,
	ALGAUDIT_CLASS_IMPORTANT = 2,
	ALGAUDIT_CLASS_CORE = 3
};

/** Algorithm types of the 2022 algorithm recommendation provisions. */
enum algaudit_algorithm_type {
	ALGAUDIT_TYPE_GENERATIVE_SYNTHETIC = 1,
	ALGAUDIT_TYPE_PERSONALIZED_PUSH = 2,
	ALGAUDIT_TYPE_SORTING_SELECTION = 3,
	ALGAUDIT_TYPE_RETRIEVAL_FILTERING = 4,
	ALGAUDIT_TYPE_SCHEDULING_DECISION = 5,
	ALGAUDIT_TYPE_OTHER = 6
};

/** Human involvement in a decision. */
enum algaudit_automation {
	ALGAUDIT_FULLY_AUTOMATED = 1,
	ALGAUDIT_HUMAN_IN_THE_LOOP = 2,
	ALGAUDIT_HUMAN_REVIEW_AFTER = 3
};

/** What algaudit_log() does when the queue is full. */
enum algaudit_overflow {
	ALGAUDIT_OVERFLOW_BLOCK = 0,	/**< wait, then ALGAUDIT_EFULL */
	ALGAUDIT_OVERFLOW_SPOOL = 1,	/**< append to the spool directory */
	ALGAUDIT_OVERFLOW_DROP = 2	/**< drop, count, send a loss record */
};

/**
 * When the daemon acknowledges records (algaudit_options_set_ack_level()).
 */
enum algaudit_ack_level {
	ALGAUDIT_ACK_DURABLE = 0,	/**< once committed and fsync'd */
	ALGAUDIT_ACK_CHECKPOINTED = 1	/**< once a checkpoint covers it too */
};

/** Counters, read with algaudit_counter(). */
enum algaudit_counter_id {
	ALGAUDIT_COUNTER_QUEUED = 0,	/**< records accepted by log calls */
	ALGAUDIT_COUNTER_SENT,		/**< records written to the socket */
	ALGAUDIT_COUNTER_ACKED,		/**< records acknowledged durable */
	ALGAUDIT_COUNTER_RETRIED,	/**< records sent again (reconnect) */
	ALGAUDIT_COUNTER_SPOOLED,	/**< records written to the spool */
	ALGAUDIT_COUNTER_REJECTED,	/**< records the daemon refused */
	ALGAUDIT_COUNTER_DROPPED,	/**< records dropped (drop policy) */
	ALGAUDIT_COUNTER_PENDING,	/**< records logged and not yet acked */
	ALGAUDIT_COUNTER_RECONNECTS,	/**< connections made after the first */
	ALGAUDIT_COUNTER_MAX
};

/** Levels passed to the log callback. */
enum algaudit_log_level {
	ALGAUDIT_LOG_ERROR = 0,
	ALGAUDIT_LOG_WARNING = 1,
	ALGAUDIT_LOG_INFO = 2,
	ALGAUDIT_LOG_DEBUG = 3
};

/**
 * Log callback. Called from the handle's I/O thread or from the calling
 * thread; must not call back into the same handle. msg is valid only
 * during the call.
 */
typedef void (*algaudit_log_fn)(int level, const char *msg, void *arg);

struct algaudit_client;
struct algaudit_options;
struct algaudit_record;
struct algaudit_receipt;

/**
 * @return the library version, e.g. "0.1.0"; a static string.
 */
ALGAUDIT_API const char *algaudit_version(void);

/**
 * Explains an error code.
 * @param[in] code a value returned by any algaudit_* function.
 * @return a static string naming the code and explaining it, e.g.
 *     "ALGAUDIT_EFULL: queue full". Positive values are errno values
 *     and are explained as by strerror(). Never NULL.
 */
ALGAUDIT_API const char *algaudit_strerror(int code);

/** @name Options */
/** @{ */

/**
 * Creates an options object holding the defaults documented with each
 * setter.
 * @param[out] out the new object; the caller frees it with
 *     algaudit_options_free(). Unchanged on error.
 * @return 0, or ENOMEM.
 */
ALGAUDIT_API int algaudit_options_new(struct algaudit_options **out);

/** Frees an options object; NULL is allowed. */
ALGAUDIT_API void algaudit_options_free(struct algaudit_options *opts);

/**
 * Sets the queue capacity: records logged and not yet acknowledged.
 * Default 65536 records and 32 MiB of encoded records.
 * @return 0, or ALGAUDIT_EINVAL if a value is 0, records exceeds
 *     2^24 or bytes is below 64 KiB or above 4 GiB.
 */
ALGAUDIT_API int algaudit_options_set_queue(struct algaudit_options *opts,
    size_t records, size_t bytes);

/**
 * Sets batching: at most max_records per batch; a partial batch waits
 * at most linger_us microseconds for more records. Default 1024
 * records, 1000 us.
 * @return 0, or ALGAUDIT_EINVAL if max_records is 0 or above 65536, or
 *     linger_us is above 1 s.
 */
ALGAUDIT_API int algaudit_options_set_batch(struct algaudit_options *opts,
    size_t max_records, uint32_t linger_us);

/**
 * Sets the reconnect backoff: the first retry after initial_ms, each
 * next one doubled up to max_ms, each with random jitter of up to half
 * the delay (a delay d is drawn from [d/2, d]). A Welcome from the
 * daemon starts the schedule over. Default 50 ms and 5000 ms.
 * @return 0, or ALGAUDIT_EINVAL if initial_ms is 0 or above max_ms, or
 *     max_ms is above one hour.
 */
ALGAUDIT_API int algaudit_options_set_backoff(struct algaudit_options *opts,
    uint32_t initial_ms, uint32_t max_ms);

/**
 * Sets the overflow policy (enum algaudit_overflow): what algaudit_log()
 * does when the queue is full. Default BLOCK and 1000 ms.
 * - BLOCK: waits up to block_timeout_ms for room, then returns
 *   ALGAUDIT_EFULL. Never a silent drop.
 * - SPOOL (needs a spool directory): the I/O thread moves queued records
 *   to the spool to make room, also while the daemon is connected but
 *   slower than the application; the call waits for that room up to
 *   block_timeout_ms, and returns ALGAUDIT_EFULL when the spool is full
 *   or ALGAUDIT_ESPOOL when it cannot be written.
 * - DROP: drops the record at once, counts it (ALGAUDIT_COUNTER_DROPPED)
 *   and returns 0; a loss record later tells the log how many were
 *   dropped. algaudit_log_sync() never drops: it waits as under BLOCK.
 * With any policy, a handle with a spool directory moves queued records
 * to the spool while the daemon is unreachable and the queue is half
 * full, so an outage costs disk space, not records.
 * @return 0, or ALGAUDIT_EINVAL for an unknown policy.
 */
ALGAUDIT_API int algaudit_options_set_overflow(struct algaudit_options *opts,
    int policy, uint32_t block_timeout_ms);

/**
 * Sets a spool directory: records the daemon cannot take in time are
 * appended there (checksummed, fsync'd per batch) and replayed in order
 * when it is back, also by the next process that opens a handle with
 * the same producer id and spool directory. The directory is created
 * (mode 0700) if missing and holds one spool per producer id.
 * max_bytes bounds it (default 1 GiB when 0).
 * @param[in] dir copied; NULL removes the setting.
 * @return 0, ALGAUDIT_EINVAL, or ENOMEM.
 */
ALGAUDIT_API int algaudit_options_set_spool(struct algaudit_options *opts,
    const char *dir, uint64_t max_bytes);

/**
 * Sets how long algaudit_close() waits for outstanding records to be
 * acknowledged. Default 5000 ms.
 * @return 0, or ALGAUDIT_EINVAL if opts is NULL.
 */
ALGAUDIT_API int algaudit_options_set_close_timeout(
    struct algaudit_options *opts, uint32_t ms);

/**
 * Sets how long one connection attempt may take, from connect() to the
 * daemon's Welcome, before it counts as failed and the backoff applies.
 * Default 2000 ms.
 * @return 0, or ALGAUDIT_EINVAL if ms is 0 or above one hour.
 */
ALGAUDIT_API int algaudit_options_set_connect_timeout(
    struct algaudit_options *opts, uint32_t ms);

/**
 * Sets the log callback for the library's diagnostics (default: none;
 * the library is silent). Connection failures after the first are
 * reported at ALGAUDIT_LOG_DEBUG, so a daemon that is down for long does
 * not flood the callback.
 * @return 0, or ALGAUDIT_EINVAL if opts is NULL.
 */
ALGAUDIT_API int algaudit_options_set_log(struct algaudit_options *opts,
    algaudit_log_fn fn, void *arg);

/**
 * Sets when the daemon acknowledges records (enum algaudit_ack_level).
 * Default ALGAUDIT_ACK_DURABLE: once the transaction holding them is
 * committed and fsync'd. ALGAUDIT_ACK_CHECKPOINTED: only once, in
 * addition, a signed checkpoint of the log covers them, so that they
 * can be proven included; this adds up to the daemon's checkpoint
 * interval (default 500 ms) to every acknowledgement, algaudit_flush()
 * and algaudit_log_sync() included, and the receipt of
 * algaudit_log_sync() then carries the checkpoint's tree size. A daemon
 * that signs no checkpoints (run with --tree off) refuses the level:
 * the connection fails and the log callback says why.
 * @return 0, or ALGAUDIT_EINVAL for an unknown level or a NULL opts.
 */
ALGAUDIT_API int algaudit_options_set_ack_level(struct algaudit_options *opts,
    int level);

/**
 * Asks the daemon for the Merkle leaf hash of every record it stores
 * (leaf_hashes non-zero), so that the receipts of algaudit_log_sync()
 * carry it (algaudit_receipt_leaf_hash()). Costs 32 bytes per record in
 * each acknowledgement. Default off.
 * @return 0, or ALGAUDIT_EINVAL if opts is NULL.
 */
ALGAUDIT_API int algaudit_options_set_receipts(struct algaudit_options *opts,
    int leaf_hashes);

/**
 * Sets the TLS files of a tls:HOST:PORT endpoint (TLS 1.3 only; see
 * docs/CLIENT.md, "TLS"). The files are only named here: algaudit_open()
 * reads and checks them, and fails if one is missing or unusable.
 * Default: no files (the system's trust store, no client certificate).
 * @param[in] ca_file PEM file of the CA certificates the daemon's
 *     certificate must chain to; NULL: the system's default trust
 *     store. Copied.
 * @param[in] cert_file PEM file of the client certificate (followed by
 *     its intermediate CA certificates, if any), for a daemon that
 *     requires one; NULL: none. Copied.
 * @param[in] key_file PEM file of the certificate's private key, not
 *     encrypted; NULL exactly when cert_file is NULL. Copied.
 * All three NULL removes the setting.
 * @return 0, ALGAUDIT_EINVAL (opts NULL, an empty name, or only one of
 *     cert_file and key_file), or ENOMEM (opts unchanged).
 */
ALGAUDIT_API int algaudit_options_set_tls(struct algaudit_options *opts,
    const char *ca_file, const char *cert_file, const char *key_file);

/**
 * Sets the name the daemon's TLS certificate must carry: a DNS name
 * (matched against its subject alternative names, and sent as Server
 * Name Indication) or an IPv4 or IPv6 address (matched against its IP
 * address entries). Default: the HOST of the tls:HOST:PORT endpoint.
 * @param[in] name 1 to 255 printable ASCII bytes without spaces;
 *     copied. NULL removes the setting.
 * @return 0, ALGAUDIT_EINVAL (opts NULL, or name empty, too long or
 *     not printable), or ENOMEM (opts unchanged).
 */
ALGAUDIT_API int algaudit_options_set_tls_server_name(
    struct algaudit_options *opts, const char *name);

/** @} */

/** @name Records */
/** @{ */

/**
 * Creates an empty record. Its event time defaults to the time it is
 * logged. The caller may reuse it after algaudit_log() returns (the
 * record is copied) and after algaudit_record_reset().
 * @param[out] out the record; the caller frees it with
 *     algaudit_record_free(). Unchanged on error.
 * @return 0, or ENOMEM.
 */
ALGAUDIT_API int algaudit_record_new(struct algaudit_record **out);

/** Frees a record; NULL is allowed. */
ALGAUDIT_API void algaudit_record_free(struct algaudit_record *rec);

/** Clears every field, keeping the allocation for reuse. */
ALGAUDIT_API void algaudit_record_reset(struct algaudit_record *rec);

/**
 * Explains why the last setter on rec failed, naming the field, e.g.
 * "algorithm.id: required, missing or empty".
 * @return a string owned by rec, valid until the next call on rec;
 *     "" when the last call succeeded.
 */
ALGAUDIT_API const char *algaudit_record_error(
    const struct algaudit_record *rec);

/*
 * Setters. Strings are copied, must be UTF-8 and within the limits of
 * docs/PROTOCOL.md; NULL or "" clears an optional string (the id of
 * set_algorithm and the decision are required: NULL or "" is refused).
 * Enum setters take 0 to clear (algorithm type, automation); data
 * classes are 1 to 3. Numbers must be finite. Digests are at most 64
 * bytes; NULL or length 0 clears. add_* append (inputs and
 * attributions at most 256, reason codes and labels at most 64; label
 * keys unique). Each returns 0, ALGAUDIT_EINVAL (rec NULL, or the value
 * is refused: the record is unchanged and algaudit_record_error() names
 * the field and the rule, e.g. "inputs[3].name: required, missing or
 * empty") or ENOMEM (the record is unchanged).
 */
ALGAUDIT_API int algaudit_record_set_event_time(struct algaudit_record *rec,
    int64_t ns_since_epoch);
ALGAUDIT_API int algaudit_record_set_algorithm(struct algaudit_record *rec,
    const char *id, const char *version);
ALGAUDIT_API int algaudit_record_set_algorithm_type(
    struct algaudit_record *rec, int type);
ALGAUDIT_API int algaudit_record_set_filing_number(
    struct algaudit_record *rec, const char *filing_number);
ALGAUDIT_API int algaudit_record_set_model_digest(struct algaudit_record *rec,
    const void *digest, size_t len);
ALGAUDIT_API int algaudit_record_set_subject(struct algaudit_record *rec,
    const char *subject);
ALGAUDIT_API int algaudit_record_set_decision(struct algaudit_record *rec,
    const char *decision);
ALGAUDIT_API int algaudit_record_set_score(struct algaudit_record *rec,
    double score);
ALGAUDIT_API int algaudit_record_clear_score(struct algaudit_record *rec);
ALGAUDIT_API int algaudit_record_add_input_text(struct algaudit_record *rec,
    const char *name, const char *value, int data_class);
ALGAUDIT_API int algaudit_record_add_input_number(
    struct algaudit_record *rec, const char *name, double value,
    int data_class);
ALGAUDIT_API int algaudit_record_add_input_bool(struct algaudit_record *rec,
    const char *name, int value, int data_class);
ALGAUDIT_API int algaudit_record_set_input_digest(struct algaudit_record *rec,
    const void *digest, size_t len);
ALGAUDIT_API int algaudit_record_add_attribution(struct algaudit_record *rec,
    const char *feature, double weight);
ALGAUDIT_API int algaudit_record_add_reason_code(struct algaudit_record *rec,
    const char *code);
ALGAUDIT_API int algaudit_record_set_explanation_text(
    struct algaudit_record *rec, const char *text);
ALGAUDIT_API int algaudit_record_set_automation(struct algaudit_record *rec,
    int automation);
ALGAUDIT_API int algaudit_record_set_reviewer(struct algaudit_record *rec,
    const char *reviewer);
ALGAUDIT_API int algaudit_record_set_data_class(struct algaudit_record *rec,
    int data_class);
ALGAUDIT_API int algaudit_record_set_jurisdiction(struct algaudit_record *rec,
    const char *jurisdiction);
ALGAUDIT_API int algaudit_record_set_purpose(struct algaudit_record *rec,
    const char *purpose);
ALGAUDIT_API int algaudit_record_set_trace_id(struct algaudit_record *rec,
    const char *trace_id);
ALGAUDIT_API int algaudit_record_set_decision_id(struct algaudit_record *rec,
    const char *decision_id);
ALGAUDIT_API int algaudit_record_add_label(struct algaudit_record *rec,
    const char *key, const char *value);

/**
 * Checks that rec has every required field (algorithm id, decision,
 * data class) and follows every rule, with the daemon's own validation
 * code. algaudit_log() checks only the required fields: the setters
 * have checked every other rule already.
 * @return 0, or ALGAUDIT_EINVAL with algaudit_record_error() set.
 */
ALGAUDIT_API int algaudit_record_validate(struct algaudit_record *rec);

/**
 * Computes a pseudonymous subject id: lowercase hex of
 * HMAC-SHA-256(key, raw_id), so raw identifiers need not leave the app.
 * @param[in] key secret key bytes, at least 16.
 * @param[in] raw_id NUL-terminated raw identifier.
 * @param[out] out 65 bytes: 64 hex digits and a NUL.
 * @return 0, or ALGAUDIT_EINVAL (key too short, NULL argument).
 */
ALGAUDIT_API int algaudit_subject_hash(const void *key, size_t keylen,
    const char *raw_id, char out[65]);

/** @} */

/** @name Handles */
/** @{ */

/**
 * Opens a handle and starts its I/O thread, which connects in the
 * background: a daemon that is down at open time is not an error;
 * records queue (or spool) until it is up. Neither is a daemon whose
 * TLS certificate fails verification (or that refuses ours): each
 * attempt fails, the log callback says why, and the handle retries
 * with the backoff.
 * @param[in] endpoint "unix:PATH", "tcp:HOST:PORT" or "tls:HOST:PORT"
 *     (TCP with TLS 1.3, see algaudit_options_set_tls(); an IPv6 HOST
 *     in brackets, "tls:[::1]:7443"); copied.
 * @param[in] producer_id stable name of this producing application
 *     instance (1 to 128 printable ASCII bytes, no space); copied.
 * @param[in] opts options, or NULL for the defaults; copied, the caller
 *     keeps ownership.
 * @param[out] out the handle; close it with algaudit_close().
 *     Unchanged on error.
 * @return 0, ALGAUDIT_EINVAL (bad endpoint, producer id or option
 *     combination, e.g. TLS options with an endpoint other than tls:;
 *     a TLS file that holds no usable certificate or key, a key that
 *     does not match its certificate; the options' log callback, if
 *     any, gets a message naming what is wrong, and the file),
 *     ALGAUDIT_ESPOOL (spool directory unusable, or its spool file held
 *     by another handle; the callback says why), ENOENT, EACCES or
 *     another errno (a TLS file cannot be opened; the callback names
 *     it), ENOMEM, or an errno from creating the thread.
 */
ALGAUDIT_API int algaudit_open(const char *endpoint, const char *producer_id,
    const struct algaudit_options *opts, struct algaudit_client **out);

/**
 * Drains and frees a handle: waits up to the close timeout until every
 * logged record is acknowledged (with a spool, what is left goes to the
 * spool for the next process), stops the I/O thread and frees
 * everything. The handle is invalid afterwards, whatever the result.
 * NULL is allowed.
 * @return 0 when nothing logged is left unacknowledged or unspooled,
 *     ALGAUDIT_ETIMEDOUT when records were still outstanding (they are
 *     lost unless spooled; algaudit_counter() before close tells how
 *     many; the log callback says so too), ALGAUDIT_EFENCED likewise
 *     for a fenced handle without a spool, ALGAUDIT_EFORKED in a child
 *     after fork() (memory freed, nothing sent).
 * No other call on the handle may run or follow.
 */
ALGAUDIT_API int algaudit_close(struct algaudit_client *client);

/**
 * Logs a record: validates it, encodes it into the handle's queue and
 * returns. No system call and no allocation in the common case (the
 * I/O thread is woken only when it sleeps without a timer or a full
 * batch is ready). The record gets its producer_seq later, from the I/O
 * thread, when it is first sent or spooled. The caller keeps rec and
 * may reuse it at once; an unset event time is taken as now.
 * @return 0 (queued; durable later, see algaudit_flush()),
 *     ALGAUDIT_EINVAL (rec or client NULL, rec invalid, or rec larger
 *     than the whole queue; algaudit_record_error() says why),
 *     ALGAUDIT_EFULL (queue full under the block policy after its
 *     timeout, or under the spool policy with the spool full),
 *     ALGAUDIT_ECLOSED, ALGAUDIT_EFENCED, ALGAUDIT_EFORKED,
 *     ALGAUDIT_ESPOOL (spool write failed).
 *     Under the drop policy a full queue drops the record, counts it
 *     and returns 0.
 */
ALGAUDIT_API int algaudit_log(struct algaudit_client *client,
    struct algaudit_record *rec);

/**
 * Logs a record and waits until it is durable: for decisions the app
 * must not act on unless they are recorded (fail closed).
 * @param[in] timeout_ms how long to wait in all.
 * @param[out] receipt if not NULL, filled on success; allocate it with
 *     algaudit_receipt_new().
 * @return 0 (durable, or checkpointed at ALGAUDIT_ACK_CHECKPOINTED; the
 *     receipt has the seq, the log index and, if asked for, the leaf
 *     hash unless the daemon had the record already, the log size and,
 *     at the checkpointed level, the checkpoint size), any error of
 *     algaudit_log() (the drop policy does not apply), ALGAUDIT_ETIMEDOUT
 *     (not known to be durable yet; it stays queued and will be sent),
 *     ALGAUDIT_EREJECTED (the daemon refused it, or it exceeds the
 *     daemon's frame limit; see the log callback), ALGAUDIT_EFENCED.
 */
ALGAUDIT_API int algaudit_log_sync(struct algaudit_client *client,
    struct algaudit_record *rec, uint32_t timeout_ms,
    struct algaudit_receipt *receipt);

/**
 * Waits until every record logged before the call, and every record a
 * predecessor left in the spool, is acknowledged durable (or refused by
 * the daemon; algaudit_counter() tells). Partial batches are sent at
 * once while someone waits.
 * @return 0, ALGAUDIT_ETIMEDOUT, ALGAUDIT_EFENCED, ALGAUDIT_EFORKED,
 *     ALGAUDIT_EINVAL (client NULL).
 */
ALGAUDIT_API int algaudit_flush(struct algaudit_client *client,
    uint32_t timeout_ms);

/**
 * Reads a counter (enum algaudit_counter_id); a consistent snapshot of
 * each counter, not across counters. QUEUED counts records accepted by
 * log calls (not dropped ones, not loss records); ACKED and REJECTED
 * count every record resolved, including loss records and records a
 * predecessor spooled; PENDING is what entered (queued, loss records,
 * a predecessor's spooled records) minus what was resolved.
 * @return the value; 0 for an unknown id, a NULL client, or in a child
 *     after fork().
 */
ALGAUDIT_API uint64_t algaudit_counter(const struct algaudit_client *client,
    int id);

/** @} */

/** @name Receipts */
/** @{ */

/**
 * Creates an empty receipt for algaudit_log_sync().
 * @param[out] out freed by the caller with algaudit_receipt_free().
 * @return 0, or ENOMEM.
 */
ALGAUDIT_API int algaudit_receipt_new(struct algaudit_receipt **out);

/** Frees a receipt; NULL is allowed. */
ALGAUDIT_API void algaudit_receipt_free(struct algaudit_receipt *r);

/** @return the record's producer_seq. */
ALGAUDIT_API uint64_t algaudit_receipt_seq(const struct algaudit_receipt *r);

/**
 * Gets the record's log index.
 * @return 0, or ALGAUDIT_ENOTFOUND when the daemon already had the
 *     record from an earlier connection and did not say where.
 */
ALGAUDIT_API int algaudit_receipt_index(const struct algaudit_receipt *r,
    uint64_t *index);

/** @return the log size right after the commit that made it durable. */
ALGAUDIT_API uint64_t algaudit_receipt_log_size(
    const struct algaudit_receipt *r);

/**
 * Gets the record's Merkle leaf hash: SHA-256(0x00 || leaf bytes) of
 * the entry the daemon stored (docs/FORMAT.md), the value an inclusion
 * proof of the record's index starts from.
 * @param[out] out 32 bytes; unchanged unless 0 is returned.
 * @return 0; ALGAUDIT_ENOTFOUND when not known: the handle did not ask
 *     for leaf hashes (algaudit_options_set_receipts()), or the daemon
 *     had the record already (the receipt has no index either);
 *     ALGAUDIT_EINVAL (r or out NULL).
 */
ALGAUDIT_API int algaudit_receipt_leaf_hash(const struct algaudit_receipt *r,
    uint8_t out[32]);

/**
 * @return at ALGAUDIT_ACK_CHECKPOINTED, the tree size of a committed
 *     signed checkpoint that covers the record (greater than its index;
 *     `algaudit checkpoint --store DIR --size N` prints it and `algaudit
 *     prove` proves the record against it); 0 at the durable level or
 *     for a NULL r.
 */
ALGAUDIT_API uint64_t algaudit_receipt_checkpoint_size(
    const struct algaudit_receipt *r);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* ALGAUDIT_H */
