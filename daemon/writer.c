/* SPDX-License-Identifier: ISC */
/*
 * writer.c: the writer thread, the only place records become durable.
 *
 * The event loop hands decoded, validated batches to writer_submit().
 * One thread takes everything queued (at most --commit-max-records
 * records, never splitting a batch), writes it in one LMDB transaction
 * (entries, then each producer's new mark) and commits. Only after
 * store_commit() returned 0 are the batches marked OK; then they go
 * back to the loop through a done queue and an event made active from
 * this thread, and conn.c sends the Acks. This is group commit, and it
 * happens here only: nothing else calls store_begin() or store_commit(),
 * and the loop never waits on fsync. The thread never touches a
 * connection, a bufferevent or the loop's counters; it sees batches.
 *
 * The verifiable log is kept here too (unless --tree off): the writer
 * has the commitment leaf hash of every entry it appends computed
 * (hasher.c, on its threads while the writer appends), adds the group's
 * hashes to the Merkle tree, and, when cadence.c says one is due, signs
 * a checkpoint of the new size, all in the same transaction as the
 * entries. With nothing to commit it wakes by itself when a
 * checkpoint falls due and writes a checkpoint-only transaction; at
 * shutdown it writes a last one of the final size.
 *
 * When the store cannot take writes. A commit that fails for want of
 * space (STORE_EFULL, a map at its ceiling, or data.mdb at
 * --max-store-size, checked before each transaction) puts the store in
 * the FULL state. With --on-store-full block the group is kept and the
 * commit retried (after 250 ms, doubling to 4 s, at once when a reload
 * changes the limits) until it succeeds; meanwhile conn.c reads nothing
 * from producers (writer_blocked()), so their clients queue, block or
 * spool, and the batches already received are acknowledged once they
 * are committed. With refuse the group is answered STORE_FULL and,
 * until the next retry is due, so is every group after it without an
 * attempt. After an I/O error (STORE_EIO) nothing of the transaction
 * is acknowledged (no commit, no Ack), the store is closed, reopened
 * and checked (health_check_store()) before anything else is written;
 * until that succeeds, batches are refused with STORE_FAILED and the
 * reopen is retried (1 s, doubling to 60 s). The event loop reads the
 * store only through writer_store_acquire(), which the reopen waits
 * out. LMDB reports a write cut short by a full filesystem as an I/O
 * error: an EIO with less than HEALTH_FS_SLACK bytes available is
 * handled as a full store once the store was reopened. The writer also
 * samples the store's size and the filesystem's free space every
 * second or so, for the metrics and the free-space warnings.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "daemon.h"
#include "index.h"
#include "leaf.h"
#include "log.h"
#include "note.h"
#include "store.h"

/* Times a transaction is redone after STORE_EMAPFULL (the map grew). */
#define WRITER_MAPFULL_RETRIES	16

/*
 * Internal: the leaf hash of a record of this batch could not be
 * computed; the transaction is redone without the batch.
 */
#define WRITER_ELEAF_RETRY	(-32002)

/* wh_cleared: the hole is closed by a new connection, not a resend. */
#define WRITER_HOLE_NEW_SESSION	2

/* Entries appended between two hand-overs to the hasher. */
#define WRITER_PUBLISH_EVERY	32

/* Retries of a commit while the store is full, and of a reopen, in ms. */
#define WRITER_FULL_RETRY_MIN	250
#define WRITER_FULL_RETRY_MAX	4000
#define WRITER_REOPEN_MIN	1000
#define WRITER_REOPEN_MAX	60000

/* How often the store's size and free space are sampled, in ms. */
#define WRITER_SAMPLE_MS	1000

/* Why the store is full (w_full_cause). */
#define WRITER_FULL_SPACE	1	/* STORE_EFULL from the store */
#define WRITER_FULL_FS		2	/* an EIO on a full filesystem */
#define WRITER_FULL_SIZE	3	/* --max-store-size */

/* What woke the idle writer (writer_wait()). */
enum writer_wake {
	WRITER_WAKE_WORK = 0,	/* batches queued, or stop */
	WRITER_WAKE_CKPT,	/* a checkpoint-only transaction is due */
	WRITER_WAKE_REOPEN,	/* the store is closed; a reopen is due */
	WRITER_WAKE_SAMPLE	/* size and free space are to be sampled */
};

/*
 * A producer some of whose records failed to commit. Until a batch
 * resends them (its first new record is at or below the hole), later
 * batches of that producer are refused: they were sent before the
 * client learned of the failure, and storing them would move the
 * durable mark past records that are not in the log, so the resent
 * records would then be taken for duplicates and never stored.
 */
struct writer_hole {
	TAILQ_ENTRY(writer_hole) wh_entry;
	char		 wh_producer[RECORD_MAX_PRODUCER_ID + 1];
	uint64_t	 wh_floor;	/* lowest seq that may be missing */
	int		 wh_cleared;	/* resent in the open transaction */
};

TAILQ_HEAD(writer_holes, writer_hole);

struct writer {
	struct daemon		*w_d;		/* loop side only */
	struct store		*w_store;
	uint64_t		 w_commit_max;	/* records per transaction */
	pthread_t		 w_thread;
	int			 w_started;
	pthread_mutex_t		 w_mtx;		/* guards the fields below */
	pthread_cond_t		 w_cond;
	struct writer_batches	 w_queue;	/* loop -> writer */
	struct writer_batches	 w_done;	/* writer -> loop */
	int			 w_stop;	/* drain the queue, then exit */
	int			 w_draining;	/* shutting down: no blocking */
	struct event		*w_done_ev;	/* made active by the thread */
	_Atomic uint64_t	 w_log_size;	/* committed log size */
	uint8_t			*w_buf;		/* Entry encoding buffer */
	size_t			 w_bufsize;
	struct writer_holes	 w_holes;	/* writer thread only */

	/* The verifiable log; writer thread only unless said otherwise. */
	int			 w_tree;	/* --tree on */
	const struct leaf_key	*w_key;		/* the store's leaf key */
	struct leaf_ctx		*w_leaf;	/* for error messages */
	struct hasher		*w_hasher;
	const struct note_signer *w_signer;	/* the daemon's */
	const char		*w_origin;
	uint8_t			*w_hashes;	/* the group's leaf hashes */
	struct hasher_job	*w_jobs;	/* and their entries */
	size_t			 w_nhashes;	/* jobs of the group so far */
	size_t			 w_hashcap;	/* room in w_hashes, w_jobs */
	struct cadence		 w_cad;
	int			 w_ckpt_asked;	/* under w_mtx */
	int			 w_new_limits;	/* under w_mtx: SIGHUP's */
	uint64_t		 w_new_commit_max;	/* under w_mtx */
	uint64_t		 w_new_every;	/* under w_mtx */
	uint64_t		 w_new_interval;	/* under w_mtx */
	_Atomic uint64_t	 w_ckpt_size;	/* newest committed one */

	/* The store's health; writer thread unless said otherwise. */
	char			 w_path[CFG_PATH_MAX];	/* --store */
	char			 w_data[CFG_PATH_MAX + 16]; /* its data.mdb */
	char			 w_vkey[NOTE_VKEY_MAX];	/* the daemon's */
	int			 w_nthreads;	/* --hash-threads */
	_Atomic int		 w_state;	/* WRITER_STORE_*; any thread */
	_Atomic int		 w_policy;	/* CFG_STORE_FULL_*; any */
	int			 w_reopening;	/* under w_mtx */
	int			 w_users;	/* under w_mtx: loop readers */
	int			 w_new_store;	/* under w_mtx: SIGHUP's */
	int			 w_new_policy;	/* under w_mtx */
	uint64_t		 w_new_max_size;	/* under w_mtx */
	uint64_t		 w_new_warn;	/* under w_mtx */
	uint64_t		 w_new_crit;	/* under w_mtx */
	uint64_t		 w_free_warn;	/* --store-free-warn, % */
	uint64_t		 w_free_crit;	/* --store-free-critical */
	int			 w_full_rc;	/* the full state's failure */
	int			 w_full_cause;	/* WRITER_FULL_* */
	uint64_t		 w_full_since;	/* ms, monotonic */
	uint64_t		 w_full_tries;	/* commits tried meanwhile */
	uint64_t		 w_retry_ms;	/* current back-off */
	uint64_t		 w_next_try;	/* ms: next try while full */
	uint64_t		 w_reopen_ms;	/* current back-off */
	uint64_t		 w_reopen_at;	/* ms: next reopen attempt */
	uint64_t		 w_sample_at;	/* ms: next size sample */
	size_t			 w_txn_bytes;	/* Entry bytes in the txn */
	uint64_t		 w_txn_skew[2];	/* flagged: ahead, behind */
	uint64_t		 w_leaves_before;	/* of freed hashers */
	uint64_t		 w_leaf_ns_before;

	/* Statistics, writer thread only; read after the join. */
	uint64_t		 w_commits;
	uint64_t		 w_batches;
	uint64_t		 w_records;
	uint64_t		 w_ckpts;	/* checkpoints committed */

	/* Statistics for the metrics: written here, read by the loop. */
	_Atomic uint64_t	 w_s_commits;
	_Atomic uint64_t	 w_s_batches;
	_Atomic uint64_t	 w_s_records;	/* entries stored */
	_Atomic uint64_t	 w_s_dups;
	_Atomic uint64_t	 w_s_bytes;
	_Atomic uint64_t	 w_s_skew[2];	/* flagged: ahead, behind */
	_Atomic uint64_t	 w_s_fail[WRITER_FAIL_MAX];
	_Atomic uint64_t	 w_s_lat[WRITER_LAT_NB + 1];
	_Atomic uint64_t	 w_s_lat_sum;	/* ns */
	_Atomic uint64_t	 w_s_recs[WRITER_REC_NB + 1];
	_Atomic uint64_t	 w_s_recs_sum;
	_Atomic uint64_t	 w_s_ckpts;
	_Atomic int64_t		 w_s_ckpt_ns;	/* wall clock */
	_Atomic uint64_t	 w_s_reopens;
	_Atomic uint64_t	 w_s_reopen_fails;
	_Atomic uint64_t	 w_s_file;
	_Atomic uint64_t	 w_s_map;
	_Atomic uint64_t	 w_s_map_used;
	_Atomic uint64_t	 w_s_max_size;
	_Atomic uint64_t	 w_s_fs_size;
	_Atomic uint64_t	 w_s_fs_avail;
	_Atomic int		 w_s_free_level;	/* HEALTH_FREE_* */
};

static void	 writer_recover(struct writer *, int);

/* Frees a batch and the message unpacked with its allocator. */
void
writer_batch_free(struct writer_batch *b)
{
	if (b == NULL)
		return;
	frame_free_client(&b->wb_alloc, b->wb_frame);
	free(b->wb_leaves);
	free(b);
}

/* Returns CLOCK_MONOTONIC in ns. */
static uint64_t
writer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* Returns the wall-clock time in ns since the epoch, for the metrics. */
static int64_t
writer_wall_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Returns the hole of producer id, or NULL. */
static struct writer_hole *
writer_hole_find(struct writer *w, const char *id)
{
	struct writer_hole *h;

	TAILQ_FOREACH(h, &w->w_holes, wh_entry)
		if (strcmp(h->wh_producer, id) == 0)
			return h;
	return NULL;
}

/* Records that producer id may be missing records from seq on. */
static void
writer_hole_add(struct writer *w, const char *id, uint64_t seq)
{
	struct writer_hole *h;

	if ((h = writer_hole_find(w, id)) != NULL) {
		if (seq < h->wh_floor)
			h->wh_floor = seq;
		return;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		/*
		 * Without the hole a later batch could be stored past the
		 * missing records; that must not happen quietly.
		 */
		log_warn("writer: cannot remember the failed records of '%s' "
		    "from seq %" PRIu64 "; exactly-once for it is at risk",
		    id, seq);
		return;
	}
	snprintf(h->wh_producer, sizeof(h->wh_producer), "%s", id);
	h->wh_floor = seq;
	TAILQ_INSERT_TAIL(&w->w_holes, h, wh_entry);
	log_info("writer: producer '%s' must resend from seq %" PRIu64
	    "; its later batches are refused until then", id, seq);
}

/* Ends the transaction's view of the holes: forget those resent. */
static void
writer_holes_settle(struct writer *w, int committed)
{
	struct writer_hole *h, *next;

	for (h = TAILQ_FIRST(&w->w_holes); h != NULL; h = next) {
		next = TAILQ_NEXT(h, wh_entry);
		if (committed && h->wh_cleared) {
			if (h->wh_cleared == WRITER_HOLE_NEW_SESSION)
				log_info("writer: producer '%s' reconnected "
				    "and resumed from its Welcome; records "
				    "from seq %" PRIu64 " that it did not "
				    "resend were never acknowledged and are "
				    "not in the log", h->wh_producer,
				    h->wh_floor);
			else
				log_info("writer: producer '%s' resent from "
				    "seq %" PRIu64 "; accepting its batches "
				    "again", h->wh_producer, h->wh_floor);
			TAILQ_REMOVE(&w->w_holes, h, wh_entry);
			free(h);
		} else
			h->wh_cleared = 0;
	}
}

/*
 * Decides whether a batch of a producer with a hole may be stored with
 * mark: yes when it has no new record, or when its first new record is
 * at or below the hole (the resend, which closes the hole once
 * committed). Otherwise sets WRITER_EHOLE and returns -1.
 */
static int
writer_hole_check(struct writer *w, struct writer_batch *b, uint64_t mark)
{
	Algaudit__V1__Batch *batch = b->wb_frame->batch;
	struct writer_hole *h;
	uint64_t lim;
	size_t i;

	if ((h = writer_hole_find(w, b->wb_producer)) == NULL ||
	    h->wh_cleared)
		return 0;
	/*
	 * The first batch of a new connection: its Welcome was sent after
	 * every earlier batch of the producer came back, with the mark as
	 * committed, and the client resumes from there with whatever it
	 * still holds. A producer process that died with the failed records
	 * in memory never resends them; waiting for them would refuse it
	 * forever (found in review).
	 */
	if (b->wb_session_start) {
		h->wh_cleared = WRITER_HOLE_NEW_SESSION;
		return 0;
	}
	for (i = 0; i < batch->n_records; i++)
		if (batch->records[i]->producer_seq > mark)
			break;
	if (i == batch->n_records)
		return 0;
	/* Records at or below the mark failed as duplicates: no hole. */
	lim = h->wh_floor > mark ? h->wh_floor : mark + 1;
	if (batch->records[i]->producer_seq > lim) {
		b->wb_status = WRITER_EHOLE;
		b->wb_hole = lim;
		return -1;
	}
	h->wh_cleared = 1;
	return 0;
}

/*
 * Whether record r, received at recv_ns, is skewed under a threshold of
 * skew_s seconds: 1 when its event time is more than skew_s after
 * recv_ns, -1 when more than skew_s before it, 0 when within (exactly
 * skew_s is within) or when it has no event time. Exact for any times
 * and threshold. The one decision behind Entry.clock_skewed and its
 * metric; pure, any thread.
 */
int
writer_clock_skew(const Algaudit__V1__DecisionRecord *r, int64_t recv_ns,
    uint64_t skew_s)
{
	uint64_t d, lim;
	int dir;

	if (r == NULL || !r->has_event_time_ns)
		return 0;
	/* Modulo 2^64 the difference is exact: it is below 2^64. */
	if (r->event_time_ns >= recv_ns) {
		d = (uint64_t)r->event_time_ns - (uint64_t)recv_ns;
		dir = 1;
	} else {
		d = (uint64_t)recv_ns - (uint64_t)r->event_time_ns;
		dir = -1;
	}
	lim = skew_s > UINT64_MAX / 1000000000 ? UINT64_MAX :
	    skew_s * 1000000000;
	return d > lim ? dir : 0;
}

/*
 * Encodes one record as an Entry into the writer's buffer and appends
 * it; with the tree on, hands the Entry to the hasher for its leaf.
 */
static int
writer_append(struct writer *w, struct writer_batch *b,
    Algaudit__V1__DecisionRecord *rec)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	uint64_t index;
	uint8_t *nb;
	size_t len, want;
	int rc, skew;

	e.has_index = 1;
	e.index = store_next_index(w->w_store);
	e.has_receive_time_ns = 1;
	e.receive_time_ns = b->wb_recv_ns;
	e.producer_id = (char *)(uintptr_t)b->wb_producer;
	e.peer = &b->wb_pmsg;
	e.record = rec;
	/* Flagged under the threshold in force when it was received. */
	if ((skew = writer_clock_skew(rec, b->wb_recv_ns,
	    b->wb_skew_s)) != 0) {
		e.has_clock_skewed = 1;
		e.clock_skewed = 1;
		w->w_txn_skew[skew > 0 ? 0 : 1]++;
	}
	if (w->w_tree) {
		/* writer_txn() made room for every record of the group. */
		w->w_jobs[w->w_nhashes].hj_entry = e;
		w->w_jobs[w->w_nhashes].hj_batch = b;
		w->w_jobs[w->w_nhashes].hj_rc = 0;
		if (++w->w_nhashes % WRITER_PUBLISH_EVERY == 0)
			hasher_publish(w->w_hasher, w->w_nhashes);
	}
	len = algaudit__v1__entry__get_packed_size(&e);
	if (len > w->w_bufsize) {
		want = w->w_bufsize ? w->w_bufsize : 4096;
		while (want < len)
			want *= 2;
		if ((nb = realloc(w->w_buf, want)) == NULL)
			return ENOMEM;
		w->w_buf = nb;
		w->w_bufsize = want;
	}
	algaudit__v1__entry__pack(&e, w->w_buf);
	if ((rc = store_append(w->w_store, w->w_buf, len, &index)) != 0)
		return rc;
	w->w_txn_bytes += len;
	if (index != e.index) {
		log_warnx("writer: store appended at index %" PRIu64
		    ", expected %" PRIu64, index, e.index);
		return STORE_ECORRUPT;
	}
	return store_index_add(w->w_store, index, &e);
}

/*
 * Writes one batch into the open transaction: skips the records at or
 * below the producer's mark (duplicates, a prefix of the batch),
 * appends the others, and moves the mark. Fills the batch's Ack fields.
 */
static int
writer_apply(struct writer *w, struct writer_batch *b)
{
	Algaudit__V1__Batch *batch = b->wb_frame->batch;
	Algaudit__V1__Peer *peer = &b->wb_pmsg;
	Algaudit__V1__DecisionRecord *rec;
	struct store_producer sp;
	size_t i;
	int rc;

	if (b->wb_status == WRITER_ELEAF)
		return 0;	/* refused in an earlier attempt */
	b->wb_status = 0;
	b->wb_hole = 0;
	b->wb_stored = b->wb_duplicates = 0;
	b->wb_first_index = 0;
	b->wb_leaf_off = w->w_nhashes;
	rc = store_producer_get_txn(w->w_store, b->wb_producer, &sp);
	if (rc == STORE_ENOTFOUND) {
		memset(&sp, 0, sizeof(sp));
		sp.sp_first_ns = b->wb_recv_ns;
	} else if (rc != 0)
		return rc;
	if (writer_hole_check(w, b, sp.sp_seq) == -1)
		return 0;
	algaudit__v1__peer__init(peer);
	if (b->wb_peer.p_has_cred) {
		peer->has_uid = peer->has_gid = peer->has_pid = 1;
		peer->uid = b->wb_peer.p_uid;
		peer->gid = b->wb_peer.p_gid;
		peer->pid = b->wb_peer.p_pid;
	}
	peer->address = b->wb_peer.p_addr;
	/* Only a subject the daemon verified is recorded as the peer's. */
	if (b->wb_peer.p_tls_verified && b->wb_peer.p_tls_subject[0] != '\0')
		peer->tls_subject = b->wb_peer.p_tls_subject;

	for (i = 0; i < batch->n_records; i++) {
		rec = batch->records[i];
		if (rec->producer_seq <= sp.sp_seq) {
			b->wb_duplicates++;
			continue;
		}
		if (b->wb_stored == 0)
			b->wb_first_index = store_next_index(w->w_store);
		if ((rc = writer_append(w, b, rec)) != 0)
			return rc;
		b->wb_stored++;
	}
	if (b->wb_stored > 0) {
		sp.sp_seq = batch->records[batch->n_records - 1]->producer_seq;
		sp.sp_last_ns = b->wb_recv_ns;
		sp.sp_entries += b->wb_stored;
		if ((rc = store_producer_put(w->w_store, b->wb_producer,
		    &sp)) != 0)
			return rc;
	}
	b->wb_ack_seq = sp.sp_seq;
	return 0;
}

/* Returns CLOCK_MONOTONIC in ms, the checkpoint cadence's clock. */
static uint64_t
writer_now_ms(void)
{
	return writer_now_ns() / 1000000;
}

/*
 * Signs a checkpoint of the tree's first size leaves (the whole tree of
 * the open transaction) and stores it in the transaction. Returns 0, 1
 * when it was not stored but the transaction is intact (logged; it goes
 * on without the checkpoint), or a store error (the transaction is
 * aborted).
 */
static int
writer_checkpoint(struct writer *w, uint64_t size)
{
	uint8_t root[NOTE_HASH_LEN];
	char *note = NULL;
	size_t len;
	int rc;

	if ((rc = store_tree_root_txn(w->w_store, size, root)) != 0) {
		if (rc != STORE_EMAPFULL)
			log_warnx("writer: root of the tree at size %" PRIu64
			    ": %s", size, store_strerror(rc));
		/* These leave the transaction open. */
		return rc == ENOMEM || rc == EINVAL ? 1 : rc;
	}
	if ((rc = note_checkpoint_sign(w->w_signer, w->w_origin, size, root,
	    &note, &len)) != 0) {
		log_warnx("writer: cannot sign the checkpoint at size %" PRIu64
		    ": %s", size, note_strerror(rc));
		return 1;
	}
	rc = store_checkpoint_put(w->w_store, size, note, len);
	free(note);
	if (rc != 0 && rc != STORE_EMAPFULL)
		log_warnx("writer: cannot store the checkpoint at size %"
		    PRIu64 ": %s", size, store_strerror(rc));
	return rc == EEXIST || rc == EINVAL ? 1 : rc;
}

/*
 * Makes room for n leaf jobs and hashes. Only between rounds: the
 * hasher's threads write into them during one.
 */
static int
writer_reserve_leaves(struct writer *w, size_t n)
{
	struct hasher_job *nj;
	uint8_t *nh;
	size_t want;

	if (n <= w->w_hashcap)
		return 0;
	want = w->w_hashcap ? w->w_hashcap : 1024;
	while (want < n)
		want *= 2;
	if ((nh = realloc(w->w_hashes, want * LEAF_HASH_LEN)) == NULL)
		return ENOMEM;
	w->w_hashes = nh;
	if ((nj = realloc(w->w_jobs, want * sizeof(*nj))) == NULL)
		return ENOMEM;
	w->w_jobs = nj;
	w->w_hashcap = want;
	return 0;
}

/*
 * A leaf of job bad failed: logs why, refuses its batch and makes later
 * batches of the producer wait for its resend (see writer_hole).
 */
static void
writer_leaf_failed(struct writer *w, size_t bad, int rc)
{
	struct hasher_job *j = &w->w_jobs[bad];
	struct writer_batch *b = j->hj_batch;
	uint8_t junk[LEAF_HASH_LEN];

	/* Again on this thread, for the message naming the unit. */
	(void)leaf_compute(w->w_leaf, w->w_key, &j->hj_entry, junk);
	log_warnx("writer: leaf hash of index %" PRIu64 " (producer '%s', "
	    "seq %" PRIu64 "): %s: %s; its batch is refused",
	    j->hj_entry.index, b->wb_producer,
	    j->hj_entry.record->producer_seq, leaf_strerror(rc),
	    leaf_ctx_errmsg(w->w_leaf));
	b->wb_status = WRITER_ELEAF;
	b->wb_hole = b->wb_frame->batch->records[0]->producer_seq;
	writer_hole_add(w, b->wb_producer, b->wb_hole);
}

/*
 * Runs one transaction over the group of nrec records, adding its
 * leaves to the tree and, when due at now_ms, a checkpoint (*ckpt set to
 * its size, else 0). Returns 0 once it is committed.
 */
static int
writer_txn(struct writer *w, struct writer_batches *group, size_t nrec,
    uint64_t now_ms, uint64_t *ckpt)
{
	struct writer_batch *b;
	uint64_t size;
	size_t bad;
	int rc;

	*ckpt = 0;
	w->w_nhashes = 0;
	w->w_txn_bytes = 0;
	w->w_txn_skew[0] = w->w_txn_skew[1] = 0;
	if (w->w_tree) {
		if ((rc = writer_reserve_leaves(w, nrec)) != 0)
			return rc;
		hasher_begin(w->w_hasher, w->w_jobs, w->w_hashes);
	}
	if ((rc = store_begin(w->w_store)) != 0)
		goto cancel;
	TAILQ_FOREACH(b, group, wb_entry) {
		if ((rc = writer_apply(w, b)) != 0)
			goto abort;
	}
	size = store_next_index(w->w_store);
	if (w->w_tree) {
		if ((rc = hasher_finish(w->w_hasher, w->w_nhashes,
		    &bad)) != 0) {
			writer_leaf_failed(w, bad, rc);
			rc = WRITER_ELEAF_RETRY;
			store_abort(w->w_store);
			return rc;
		}
		if (w->w_nhashes > 0 && (rc = store_tree_append(w->w_store,
		    w->w_hashes, w->w_nhashes)) != 0) {
			if (rc != STORE_EMAPFULL)
				log_warnx("writer: cannot add %zu leaves to "
				    "the tree: %s", w->w_nhashes,
				    store_strerror(rc));
			store_abort(w->w_store);
			return rc;
		}
	}
	if (w->w_tree && cadence_due(&w->w_cad, size, now_ms)) {
		if ((rc = writer_checkpoint(w, size)) != 0 && rc != 1) {
			store_abort(w->w_store);
			return rc;
		}
		if (rc == 0)
			*ckpt = size;
		else
			cadence_defer(&w->w_cad, now_ms);
	}
	return store_commit(w->w_store);
abort:
	store_abort(w->w_store);
cancel:
	if (w->w_tree)
		hasher_cancel(w->w_hasher);
	return rc;
}

/* A checkpoint of size was committed: tell the cadence and the loop. */
static void
writer_checkpointed(struct writer *w, uint64_t size)
{
	cadence_done(&w->w_cad, size, writer_now_ms());
	atomic_store(&w->w_ckpt_size, size);
	w->w_ckpts++;
	atomic_fetch_add(&w->w_s_ckpts, 1);
	atomic_store(&w->w_s_ckpt_ns, writer_wall_ns());
	log_debug("writer: checkpoint at size %" PRIu64, size);
}

/*
 * Writes a transaction holding only a checkpoint of the committed log
 * (the idle writer's timer, a request, shutdown). A failure is logged
 * and the next attempt waits one interval.
 */
static void
writer_checkpoint_only(struct writer *w)
{
	uint64_t size;
	int rc, tries = 0;

	if (w->w_store == NULL) {
		/* Closed after an I/O error: it comes after the reopen. */
		cadence_defer(&w->w_cad, writer_now_ms());
		return;
	}
	do {
		if ((rc = store_begin(w->w_store)) != 0)
			break;
		size = store_next_index(w->w_store);
		if ((rc = writer_checkpoint(w, size)) == 1) {
			/* Not signed (logged): nothing to commit. */
			store_abort(w->w_store);
			cadence_defer(&w->w_cad, writer_now_ms());
			return;
		}
		if (rc != 0)
			continue;
		rc = store_commit(w->w_store);
	} while (rc == STORE_EMAPFULL && ++tries <= WRITER_MAPFULL_RETRIES);
	if (rc == 0) {
		writer_checkpointed(w, size);
		return;
	}
	if (rc == STORE_EMAPFULL)
		rc = STORE_EFULL;
	/* While the store is full this fails every interval: said once. */
	if (atomic_load(&w->w_state) == WRITER_STORE_FULL && rc == STORE_EFULL)
		log_debug("writer: checkpoint-only commit failed: %s",
		    store_strerror(rc));
	else
		log_warnx("writer: checkpoint-only commit failed: %s; trying "
		    "again in %" PRIu64 " ms", store_strerror(rc),
		    w->w_cad.cd_interval_ms);
	cadence_defer(&w->w_cad, writer_now_ms());
	if (rc == STORE_EIO)
		writer_recover(w, 0);
}

/* After the commit: hands each batch that asked for them its leaves. */
static void
writer_give_leaves(struct writer *w, struct writer_batches *group)
{
	struct writer_batch *b;
	size_t n;

	TAILQ_FOREACH(b, group, wb_entry) {
		if (!b->wb_want_leaves || b->wb_status != 0 ||
		    b->wb_stored == 0 || !w->w_tree)
			continue;
		n = (size_t)b->wb_stored * LEAF_HASH_LEN;
		if ((b->wb_leaves = malloc(n)) == NULL) {
			log_warn("writer: leaf hashes for an Ack of '%s'",
			    b->wb_producer);
			continue;
		}
		memcpy(b->wb_leaves, w->w_hashes + b->wb_leaf_off *
		    LEAF_HASH_LEN, n);
	}
}

/* Makes the loop look at the writer's state and its done queue. */
static void
writer_notify(struct writer *w)
{
	event_active(w->w_done_ev, EV_READ, 0);
}

/* Returns 1 once the writer was told to stop, or the daemon is. */
static int
writer_stopping(struct writer *w)
{
	int stop;

	pthread_mutex_lock(&w->w_mtx);
	stop = w->w_stop || w->w_draining;
	pthread_mutex_unlock(&w->w_mtx);
	return stop;
}

/*
 * Adopts the values a reload handed over (w_mtx held). When those of
 * the store changed, a full store is tried again at once.
 */
static void
writer_adopt(struct writer *w)
{
	if (w->w_new_limits) {
		w->w_commit_max = w->w_new_commit_max;
		w->w_cad.cd_every = w->w_new_every;
		w->w_cad.cd_interval_ms = w->w_new_interval;
		w->w_new_limits = 0;
	}
	if (!w->w_new_store)
		return;
	w->w_new_store = 0;
	atomic_store(&w->w_policy, w->w_new_policy);
	atomic_store(&w->w_s_max_size, w->w_new_max_size);
	w->w_free_warn = w->w_new_warn;
	w->w_free_crit = w->w_new_crit;
	w->w_next_try = 0;
	/* A policy changed from block to refuse lets producers go on. */
	writer_notify(w);
}

/*
 * Samples the store's size and its filesystem's free space for the
 * metrics, and logs when the free space crosses --store-free-warn or
 * --store-free-critical (either way; see health_free_level()).
 */
static void
writer_sample(struct writer *w)
{
	struct store_info si;
	struct health_fs fs;
	uint64_t thr;
	int rc, level, prev;

	w->w_sample_at = writer_now_ms() + WRITER_SAMPLE_MS;
	/* Slots of readers that died in a transaction pin old pages. */
	if (w->w_store != NULL)
		(void)health_reader_check(w->w_store);
	if (w->w_store != NULL && store_info(w->w_store, &si) == 0) {
		atomic_store(&w->w_s_file, si.si_file_size);
		atomic_store(&w->w_s_map, si.si_map_size);
		atomic_store(&w->w_s_map_used, si.si_map_used);
	}
	if ((rc = health_fs_stat(w->w_path, &fs)) != 0) {
		log_debug("writer: statvfs %s: %s", w->w_path, strerror(rc));
		return;
	}
	atomic_store(&w->w_s_fs_size, fs.hf_size);
	atomic_store(&w->w_s_fs_avail, fs.hf_avail);
	prev = atomic_load(&w->w_s_free_level);
	level = health_free_level(&fs, w->w_free_warn, w->w_free_crit, prev);
	if (level == prev)
		return;
	atomic_store(&w->w_s_free_level, level);
	if (level > prev) {
		thr = level == HEALTH_FREE_CRITICAL ? w->w_free_crit :
		    w->w_free_warn;
		log_warnx("store %s: %.1f%% of its filesystem is available "
		    "(%" PRIu64 " of %" PRIu64 " bytes), below "
		    "store-free-%s %" PRIu64 "%%: %s", w->w_path,
		    health_free_pct(&fs), fs.hf_avail, fs.hf_size,
		    level == HEALTH_FREE_CRITICAL ? "critical" : "warn", thr,
		    level == HEALTH_FREE_CRITICAL ? "free space now; when it "
		    "runs out, ingest stops (on-store-full)" :
		    "free space or plan a bigger filesystem");
	} else
		log_info("store %s: %.1f%% of its filesystem is available "
		    "again (%" PRIu64 " of %" PRIu64 " bytes): free space %s",
		    w->w_path, health_free_pct(&fs), fs.hf_avail, fs.hf_size,
		    level == HEALTH_FREE_OK ? "is fine" :
		    "is back above store-free-critical, still below "
		    "store-free-warn");
}

/* Returns WRITER_EMAXSIZE when data.mdb reached --max-store-size. */
static int
writer_over_max(struct writer *w)
{
	struct stat sb;
	uint64_t max = atomic_load(&w->w_s_max_size);

	if (max == 0)
		return 0;
	if (stat(w->w_data, &sb) == -1)
		return 0;	/* the commit will tell what is wrong */
	atomic_store(&w->w_s_file, (uint64_t)sb.st_size);
	return (uint64_t)sb.st_size >= max ? WRITER_EMAXSIZE : 0;
}

/* Returns 1 when the filesystem under the store is full. */
static int
writer_fs_full(struct writer *w)
{
	struct health_fs fs;

	return health_fs_stat(w->w_path, &fs) == 0 && health_fs_full(&fs);
}

/*
 * Returns 1 when a commit may be tried on the full store: the back-off
 * has run out and, when an I/O error on a full filesystem filled it,
 * some space appeared (until then an attempt would only fail again).
 */
static int
writer_full_due(struct writer *w)
{
	uint64_t now = writer_now_ms();

	if (now < w->w_next_try)
		return 0;
	if (w->w_full_cause == WRITER_FULL_FS && writer_fs_full(w)) {
		w->w_retry_ms = health_backoff(w->w_retry_ms,
		    WRITER_FULL_RETRY_MIN, WRITER_FULL_RETRY_MAX);
		w->w_next_try = now + w->w_retry_ms;
		return 0;
	}
	return 1;
}

/*
 * Tries to commit the group: redoes the transaction when the store
 * grew its map or a leaf failed (without that batch). Does not try,
 * and returns the reason, while the store is closed, at
 * --max-store-size, or full with no retry due; *tried says which.
 * Returns 0 once committed (*ckpt: the checkpoint size it holds, or
 * 0), or the error.
 */
static int
writer_attempt(struct writer *w, struct writer_batches *group, size_t nb,
    size_t nrec, uint64_t *ckpt, int *tried)
{
	uint64_t t0 = 0, ns;
	size_t refused = 0;
	int rc, tries = 0;

	*tried = 0;
	*ckpt = 0;
	if (w->w_store == NULL)
		return WRITER_EUNAVAIL;
	if ((rc = writer_over_max(w)) != 0)
		return rc;
	if (atomic_load(&w->w_state) == WRITER_STORE_FULL &&
	    w->w_full_cause != WRITER_FULL_SIZE && !writer_full_due(w))
		return w->w_full_rc;
	*tried = 1;
	for (;;) {
		t0 = writer_now_ns();
		rc = writer_txn(w, group, nrec, writer_now_ms(), ckpt);
		/* Each leaf failure takes one batch out of the group. */
		if (rc == WRITER_ELEAF_RETRY && ++refused <= nb) {
			writer_holes_settle(w, 0);
			continue;
		}
		if (rc != STORE_EMAPFULL || ++tries > WRITER_MAPFULL_RETRIES)
			break;
		writer_holes_settle(w, 0);
	}
	if (rc == WRITER_ELEAF_RETRY)
		rc = STORE_EFAULT;	/* cannot happen: nb bounds it */
	if (rc == STORE_EMAPFULL)
		rc = STORE_EFULL;	/* the map is at its ceiling */
	if (rc == 0) {
		ns = writer_now_ns() - t0;
		atomic_fetch_add(&w->w_s_lat[metrics_lat_bucket(ns)], 1);
		atomic_fetch_add(&w->w_s_lat_sum, ns);
	}
	return rc;
}

/*
 * The store cannot take writes: enters the FULL state (logged once per
 * episode), and moves the next retry on after a real attempt (tried) or
 * when the retry that was due found the store still full without one
 * (at --max-store-size, checked before any attempt), so that a blocked
 * writer waits between checks instead of spinning.
 */
static void
writer_full_enter(struct writer *w, int rc, int cause, int tried)
{
	struct health_fs fs;
	char what[256];
	uint64_t now = writer_now_ms();
	int was, prev;

	w->w_full_rc = rc;
	if (tried)
		w->w_full_tries++;
	if (tried || now >= w->w_next_try) {
		w->w_retry_ms = health_backoff(w->w_retry_ms,
		    WRITER_FULL_RETRY_MIN, WRITER_FULL_RETRY_MAX);
		w->w_next_try = now + w->w_retry_ms;
	}
	was = atomic_load(&w->w_state);
	prev = w->w_full_cause;
	w->w_full_cause = cause;
	/* Said once per episode; again only between space and size. */
	if (was == WRITER_STORE_FULL && (cause == WRITER_FULL_SIZE) ==
	    (prev == WRITER_FULL_SIZE))
		return;
	if (was != WRITER_STORE_FULL) {
		w->w_full_since = now;
		w->w_full_tries = tried;
	}
	if (cause == WRITER_FULL_SIZE)
		snprintf(what, sizeof(what), "data.mdb is %" PRIu64 " bytes, "
		    "at max-store-size %" PRIu64, atomic_load(&w->w_s_file),
		    atomic_load(&w->w_s_max_size));
	else if (health_fs_stat(w->w_path, &fs) == 0)
		snprintf(what, sizeof(what), "%s with %" PRIu64 " bytes "
		    "available on its filesystem", cause == WRITER_FULL_FS ?
		    "an I/O error (a write cut short: LMDB reports it so)" :
		    "no space left", fs.hf_avail);
	else
		snprintf(what, sizeof(what), "no space left");
	atomic_store(&w->w_state, WRITER_STORE_FULL);
	log_warnx("writer: store %s is full: %s; %s", w->w_path, what,
	    atomic_load(&w->w_policy) == CFG_STORE_FULL_BLOCK ?
	    "producers are not read and the commit is retried until it "
	    "succeeds (on-store-full block)" : "batches are refused with "
	    "STORE_FULL until a commit succeeds (on-store-full refuse)");
	writer_notify(w);
	/* The figures of the moment, for the metrics and the warnings. */
	if (was != WRITER_STORE_FULL)
		writer_sample(w);
}

/* A commit succeeded: leaves the FULL state, if in it. */
static void
writer_full_leave(struct writer *w)
{
	w->w_retry_ms = 0;
	if (atomic_load(&w->w_state) != WRITER_STORE_FULL)
		return;
	atomic_store(&w->w_state, WRITER_STORE_OK);
	log_info("writer: store %s takes writes again after %.1f s full (%"
	    PRIu64 " failed attempts)", w->w_path,
	    (double)(writer_now_ms() - w->w_full_since) / 1000.0,
	    w->w_full_tries);
	writer_notify(w);
}

/*
 * Block policy: waits until the next retry is due, a reload changes
 * the limits or the policy, or the writer is told to stop.
 */
static void
writer_full_wait(struct writer *w)
{
	struct timespec ts;
	uint64_t now, at_ns;

	pthread_mutex_lock(&w->w_mtx);
	for (;;) {
		writer_adopt(w);
		now = writer_now_ms();
		if (w->w_stop || w->w_draining) {
			w->w_next_try = 0;	/* one last try */
			break;
		}
		if (now >= w->w_next_try ||
		    atomic_load(&w->w_policy) != CFG_STORE_FULL_BLOCK)
			break;
		at_ns = writer_now_ns() + (w->w_next_try - now) * 1000000;
		ts.tv_sec = (time_t)(at_ns / 1000000000);
		ts.tv_nsec = (long)(at_ns % 1000000000);
		pthread_cond_timedwait(&w->w_cond, &w->w_mtx, &ts);
	}
	pthread_mutex_unlock(&w->w_mtx);
}

/*
 * Closes the store for a reopen, once the loop's readers (conn.c's
 * durable marks) are out of it; they find no store until the reopen
 * succeeds.
 */
static void
writer_close_store(struct writer *w)
{
	struct store *s;
	uint64_t leaves, ns;

	pthread_mutex_lock(&w->w_mtx);
	w->w_reopening = 1;
	while (w->w_users > 0)
		pthread_cond_wait(&w->w_cond, &w->w_mtx);
	s = w->w_store;
	w->w_store = NULL;
	w->w_reopening = 0;
	pthread_mutex_unlock(&w->w_mtx);
	if (w->w_hasher != NULL) {
		/* Its threads hold the old store's leaf key. */
		hasher_stats(w->w_hasher, &leaves, &ns);
		w->w_leaves_before += leaves;
		w->w_leaf_ns_before += ns;
		hasher_free(w->w_hasher);
		w->w_hasher = NULL;
	}
	w->w_key = NULL;
	store_close(s);
}

/*
 * Opens the store again and checks it against what was committed and
 * acknowledged (health_check_store()). On success the writer uses it
 * (adopting entries a commit reported as failed did write); on failure
 * the store stays closed and the next attempt is scheduled. Returns 0
 * or -1.
 */
static int
writer_reopen(struct writer *w, int quiet)
{
	struct health_check hc;
	struct store *s = NULL;
	char err[512];
	uint64_t committed = atomic_load(&w->w_log_size);
	int rc;

	if ((rc = store_open(&s, w->w_path, 0, NULL)) != 0) {
		snprintf(err, sizeof(err), "cannot open it: %s",
		    store_strerror(rc));
		goto fail;
	}
	/* The testing hook fires once per daemon, not once per open. */
	store_set_fault(s, 0, 0);
	if (health_check_store(s, committed, w->w_tree, w->w_vkey, w->w_leaf,
	    &hc, err, sizeof(err)) == -1)
		goto fail;
	if (w->w_tree) {
		w->w_key = store_leaf_key(s);
		if (hasher_new(w->w_key, w->w_nthreads, &w->w_hasher) == -1) {
			hasher_free(w->w_hasher);
			w->w_hasher = NULL;
			snprintf(err, sizeof(err), "cannot start the leaf "
			    "hashing threads");
			goto fail;
		}
	}
	if (hc.hc_entries > committed)
		log_warnx("writer: store %s holds %" PRIu64 " entries, %" PRIu64
		    " more than were acknowledged: the commit reported as "
		    "failed reached the disk after all; its producers' "
		    "resends are acknowledged as duplicates", w->w_path,
		    hc.hc_entries, hc.hc_entries - committed);
	atomic_store(&w->w_log_size, hc.hc_entries);
	if (w->w_tree && hc.hc_ckpt_size != atomic_load(&w->w_ckpt_size)) {
		cadence_done(&w->w_cad, hc.hc_ckpt_size, writer_now_ms());
		atomic_store(&w->w_ckpt_size, hc.hc_ckpt_size);
	}
	pthread_mutex_lock(&w->w_mtx);
	w->w_store = s;
	pthread_mutex_unlock(&w->w_mtx);
	if (!quiet)
		atomic_store(&w->w_state, WRITER_STORE_OK);
	atomic_fetch_add(&w->w_s_reopens, 1);
	w->w_reopen_ms = 0;
	if (!w->w_tree)
		snprintf(err, sizeof(err), "no tree (--tree off)");
	else if (hc.hc_ckpt_size > 0)
		snprintf(err, sizeof(err), "all in the Merkle tree, the "
		    "newest checkpoint (size %" PRIu64 ") verifies, the newest "
		    "entry hashes to its leaf", hc.hc_ckpt_size);
	else
		snprintf(err, sizeof(err), "all in the Merkle tree, no "
		    "checkpoint yet%s", hc.hc_entries > 0 ? ", the newest "
		    "entry hashes to its leaf" : "");
	if (quiet)
		log_debug("writer: store %s reopened and checked: %" PRIu64
		    " entries, %s", w->w_path, hc.hc_entries, err);
	else
		log_info("writer: store %s reopened and checked: %" PRIu64
		    " entries, %s; writes resume", w->w_path, hc.hc_entries,
		    err);
	writer_notify(w);
	return 0;
fail:
	w->w_key = NULL;
	store_close(s);
	atomic_store(&w->w_state, WRITER_STORE_FAILED);
	atomic_fetch_add(&w->w_s_reopen_fails, 1);
	w->w_reopen_ms = health_backoff(w->w_reopen_ms, WRITER_REOPEN_MIN,
	    WRITER_REOPEN_MAX);
	w->w_reopen_at = writer_now_ms() + w->w_reopen_ms;
	log_warnx("writer: store %s: reopen after an I/O error failed: %s; "
	    "batches are refused with STORE_FAILED, next attempt in %" PRIu64
	    " s (check the disk and the kernel log; if entries are missing, "
	    "stop algauditd, run algaudit verify and restore from a backup)",
	    w->w_path, err, w->w_reopen_ms / 1000);
	return -1;
}

/*
 * After an I/O error: closes the store and reopens and checks it before
 * anything more is written (see writer_reopen()). quiet: the store is
 * known to be full and its filesystem still is, so this is one more
 * write cut short; the episode was logged.
 */
static void
writer_recover(struct writer *w, int quiet)
{
	if (w->w_store != NULL) {
		if (quiet)
			log_debug("writer: I/O error on the full store %s; "
			    "reopening it", w->w_path);
		else
			log_warnx("writer: I/O error on store %s: nothing of "
			    "the transaction was acknowledged; closing the "
			    "store to reopen and check it before any new "
			    "write", w->w_path);
		/* A full store stays FULL (blocked) across the reopen. */
		if (!quiet) {
			atomic_store(&w->w_state, WRITER_STORE_FAILED);
			writer_notify(w);
		}
		writer_close_store(w);
	}
	writer_reopen(w, quiet);
}

/* Returns the WRITER_FAIL_* reason of a failed group's status. */
static int
writer_fail_reason(int rc)
{
	switch (rc) {
	case STORE_EFULL:
		return WRITER_FAIL_FULL;
	case WRITER_EMAXSIZE:
		return WRITER_FAIL_MAXSIZE;
	case STORE_EIO:
		return WRITER_FAIL_IO;
	case WRITER_EUNAVAIL:
		return WRITER_FAIL_UNAVAIL;
	default:
		return WRITER_FAIL_OTHER;
	}
}

/*
 * Commits a group of batches: the one place of group commit. When the
 * store is full the group waits and is retried (block) or fails
 * (refuse); an I/O error has the store reopened and checked first. On
 * failure no batch of the group is acknowledged and each carries the
 * error.
 */
static void
writer_commit_group(struct writer *w, struct writer_batches *group)
{
	struct writer_batch *b;
	uint64_t size, ckpt = 0;
	size_t nb = 0, nrec = 0, nok = 0, nstored = 0, ndup = 0;
	int rc, cause, tried, fs_full;

	TAILQ_FOREACH(b, group, wb_entry) {
		nb++;
		nrec += b->wb_frame->batch->n_records;
	}
	for (;;) {
		if (w->w_store == NULL && writer_now_ms() >= w->w_reopen_at)
			writer_reopen(w, 0);
		rc = writer_attempt(w, group, nb, nrec, &ckpt, &tried);
		if (rc == 0)
			break;
		if (tried)
			atomic_fetch_add(&w->w_s_fail[writer_fail_reason(rc)],
			    1);
		if (rc == WRITER_EMAXSIZE)
			cause = WRITER_FULL_SIZE;
		else if (!tried)
			cause = w->w_full_cause;	/* nothing new learnt */
		else
			cause = WRITER_FULL_SPACE;
		if (rc == STORE_EIO) {
			/* LMDB: a write cut short by a full disk is EIO. */
			fs_full = writer_fs_full(w);
			writer_recover(w, fs_full && atomic_load(&w->w_state) ==
			    WRITER_STORE_FULL);
			if (w->w_store != NULL && fs_full) {
				rc = STORE_EFULL;
				cause = WRITER_FULL_FS;
			}
		}
		if (rc != STORE_EFULL && rc != WRITER_EMAXSIZE)
			break;
		writer_full_enter(w, rc, cause, tried);
		if (atomic_load(&w->w_policy) != CFG_STORE_FULL_BLOCK ||
		    writer_stopping(w))
			break;
		writer_holes_settle(w, 0);
		if (writer_now_ms() >= w->w_sample_at)
			writer_sample(w);
		/*
		 * Acks of earlier commits may wait for a checkpoint, which
		 * a small transaction may still get into the store.
		 */
		if (w->w_tree && w->w_store != NULL &&
		    cadence_wait_ms(&w->w_cad, atomic_load(&w->w_log_size),
		    writer_now_ms()) == 0) {
			writer_checkpoint_only(w);
			writer_notify(w);
		}
		writer_full_wait(w);
	}
	if (rc != 0 && !tried)
		atomic_fetch_add(&w->w_s_fail[writer_fail_reason(rc)], 1);
	writer_holes_settle(w, rc == 0);

	if (rc == 0) {
		writer_full_leave(w);
		size = store_next_index(w->w_store);
		if (ckpt != 0)
			writer_checkpointed(w, ckpt);
		writer_give_leaves(w, group);
		atomic_store(&w->w_log_size, size);
		/* Batches refused inside the group (a hole) count not. */
		TAILQ_FOREACH(b, group, wb_entry) {
			b->wb_log_size = size;
			if (b->wb_status != 0)
				continue;
			nok++;
			nstored += b->wb_stored;
			ndup += b->wb_duplicates;
		}
		w->w_commits++;
		w->w_batches += nb;
		w->w_records += nrec;
		atomic_fetch_add(&w->w_s_commits, 1);
		atomic_fetch_add(&w->w_s_batches, nok);
		atomic_fetch_add(&w->w_s_records, nstored);
		atomic_fetch_add(&w->w_s_dups, ndup);
		atomic_fetch_add(&w->w_s_bytes, w->w_txn_bytes);
		atomic_fetch_add(&w->w_s_skew[0], w->w_txn_skew[0]);
		atomic_fetch_add(&w->w_s_skew[1], w->w_txn_skew[1]);
		atomic_fetch_add(&w->w_s_recs[metrics_rec_bucket(nstored +
		    ndup)], 1);
		atomic_fetch_add(&w->w_s_recs_sum, nstored + ndup);
		log_debug("writer: committed %zu batches, %zu records, log "
		    "size %" PRIu64, nb, nrec, size);
		return;
	}
	/* The state (full, closed) was logged once when it began. */
	if (tried)
		log_warnx("writer: commit of %zu batches (%zu records) failed, "
		    "none acknowledged: %s", nb, nrec, writer_strerror(rc));
	else if (writer_stopping(w))
		log_warnx("writer: shutting down: %zu batches (%zu records) "
		    "refused, none acknowledged: %s", nb, nrec,
		    writer_strerror(rc));
	else
		log_debug("writer: %zu batches (%zu records) refused, none "
		    "acknowledged: %s", nb, nrec, writer_strerror(rc));
	TAILQ_FOREACH(b, group, wb_entry) {
		if (b->wb_status != WRITER_EHOLE &&
		    b->wb_status != WRITER_ELEAF)
			b->wb_hole = b->wb_frame->batch->records[0]->
			    producer_seq;
		b->wb_status = rc;
		b->wb_quiet = !tried;
		writer_hole_add(w, b->wb_producer, b->wb_hole);
	}
}

/*
 * Waits (w_mtx held) until batches are queued, the writer is told to
 * stop, a checkpoint falls due, a reopen of a closed store is due, or
 * the store is to be sampled; returns which (WRITER_WAKE_*).
 */
static int
writer_wait(struct writer *w)
{
	struct timespec ts;
	uint64_t size, at_ns, now;
	int64_t wait, left;

	for (;;) {
		writer_adopt(w);
		if (!TAILQ_EMPTY(&w->w_queue) || w->w_stop)
			return WRITER_WAKE_WORK;
		if (w->w_ckpt_asked) {
			cadence_ask(&w->w_cad);
			w->w_ckpt_asked = 0;
		}
		now = writer_now_ms();
		if (w->w_store == NULL) {
			if (now >= w->w_reopen_at)
				return WRITER_WAKE_REOPEN;
			wait = (int64_t)(w->w_reopen_at - now);
		} else {
			size = atomic_load(&w->w_log_size);
			wait = w->w_tree ? cadence_wait_ms(&w->w_cad, size,
			    now) : -1;
			if (wait == 0)
				return WRITER_WAKE_CKPT;
		}
		if (now >= w->w_sample_at)
			return WRITER_WAKE_SAMPLE;
		left = (int64_t)(w->w_sample_at - now);
		if (wait < 0 || left < wait)
			wait = left;
		at_ns = writer_now_ns() + (uint64_t)wait * 1000000;
		ts.tv_sec = (time_t)(at_ns / 1000000000);
		ts.tv_nsec = (long)(at_ns % 1000000000);
		pthread_cond_timedwait(&w->w_cond, &w->w_mtx, &ts);
	}
}

/*
 * The writer thread: takes groups off the queue until told to stop,
 * does what falls due while it is idle (checkpoints, a reopen, samples
 * of the store), and writes a checkpoint of the final size before it
 * exits.
 */
static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_batches group;
	struct writer_batch *b;
	uint64_t nrec, size;
	int wake;

	pthread_mutex_lock(&w->w_mtx);
	for (;;) {
		if ((wake = writer_wait(w)) != WRITER_WAKE_WORK) {
			pthread_mutex_unlock(&w->w_mtx);
			if (wake == WRITER_WAKE_CKPT)
				writer_checkpoint_only(w);
			else if (wake == WRITER_WAKE_REOPEN)
				writer_reopen(w, 0);
			else
				writer_sample(w);
			pthread_mutex_lock(&w->w_mtx);
			/* Checkpointed acks may now be sent. */
			if (wake == WRITER_WAKE_CKPT)
				writer_notify(w);
			continue;
		}
		if (TAILQ_EMPTY(&w->w_queue))
			break;
		/* Everything queued, up to the record limit; never split. */
		TAILQ_INIT(&group);
		nrec = 0;
		while ((b = TAILQ_FIRST(&w->w_queue)) != NULL) {
			if (nrec > 0 && nrec + b->wb_frame->batch->n_records >
			    w->w_commit_max)
				break;
			nrec += b->wb_frame->batch->n_records;
			TAILQ_REMOVE(&w->w_queue, b, wb_entry);
			TAILQ_INSERT_TAIL(&group, b, wb_entry);
		}
		pthread_mutex_unlock(&w->w_mtx);

		writer_commit_group(w, &group);
		if (writer_now_ms() >= w->w_sample_at)
			writer_sample(w);

		pthread_mutex_lock(&w->w_mtx);
		TAILQ_CONCAT(&w->w_done, &group, wb_entry);
		writer_notify(w);
	}
	pthread_mutex_unlock(&w->w_mtx);
	size = atomic_load(&w->w_log_size);
	if (w->w_tree && size > w->w_cad.cd_size && w->w_store == NULL)
		log_warnx("writer: no final checkpoint: the store is closed "
		    "after an I/O error; the newest covers %" PRIu64 " of %"
		    PRIu64 " entries (the next start signs one)",
		    atomic_load(&w->w_ckpt_size), size);
	else if (w->w_tree && size > w->w_cad.cd_size) {
		writer_checkpoint_only(w);
		if (atomic_load(&w->w_ckpt_size) == size)
			log_info("writer: final checkpoint at size %" PRIu64,
			    size);
		else
			log_warnx("writer: no final checkpoint; the newest "
			    "covers %" PRIu64 " of %" PRIu64 " entries (the "
			    "next start signs one)",
			    atomic_load(&w->w_ckpt_size), size);
	}
	return NULL;
}

/*
 * Loop side of the completion: takes the done queue and hands each batch
 * back to its connection, then lets conn.c resume paused readers.
 */
static void
writer_done_cb(evutil_socket_t fd, short events, void *arg)
{
	struct writer *w = arg;
	struct writer_batches done;
	struct writer_batch *b;

	(void)fd;
	(void)events;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&w->w_mtx);
	TAILQ_CONCAT(&done, &w->w_done, wb_entry);
	pthread_mutex_unlock(&w->w_mtx);
	while ((b = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, b, wb_entry);
		conn_batch_done(w->w_d, b);
	}
	conn_after_done(w->w_d);
}

/*
 * Starts the writer thread on d's store; log_size is the committed log
 * size at start. Returns 0, or -1 after logging why.
 */
int
writer_start(struct daemon *d, uint64_t log_size)
{
	struct writer *w;
	pthread_condattr_t ca;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("writer");
		return -1;
	}
	w->w_d = d;
	w->w_store = d->d_store;
	w->w_commit_max = d->d_cfg.cf_commit_max;
	w->w_tree = d->d_cfg.cf_tree;
	w->w_signer = d->d_signer;
	w->w_origin = d->d_origin;
	TAILQ_INIT(&w->w_queue);
	TAILQ_INIT(&w->w_done);
	TAILQ_INIT(&w->w_holes);
	atomic_init(&w->w_log_size, log_size);
	atomic_init(&w->w_ckpt_size, d->d_ckpt_size);
	cadence_init(&w->w_cad, d->d_cfg.cf_ckpt_entries,
	    d->d_cfg.cf_ckpt_interval, d->d_ckpt_size);
	snprintf(w->w_path, sizeof(w->w_path), "%s", d->d_cfg.cf_store);
	snprintf(w->w_data, sizeof(w->w_data), "%s/data.mdb",
	    d->d_cfg.cf_store);
	snprintf(w->w_vkey, sizeof(w->w_vkey), "%s", d->d_vkey);
	w->w_nthreads = (int)d->d_cfg.cf_hash_threads;
	atomic_init(&w->w_state, WRITER_STORE_OK);
	atomic_init(&w->w_policy, d->d_cfg.cf_store_full);
	atomic_init(&w->w_s_max_size, d->d_cfg.cf_max_store_size);
	w->w_free_warn = d->d_cfg.cf_free_warn;
	w->w_free_crit = d->d_cfg.cf_free_crit;
	/* Until it signs one, the checkpoint's age counts from start. */
	atomic_init(&w->w_s_ckpt_ns, writer_wall_ns());
	if ((rc = pthread_mutex_init(&w->w_mtx, NULL)) != 0) {
		free(w);
		errno = rc;
		log_warn("writer: pthread_mutex_init");
		return -1;
	}
	/* The checkpoint timer waits on the monotonic clock. */
	if ((rc = pthread_condattr_init(&ca)) == 0) {
		if ((rc = pthread_condattr_setclock(&ca,
		    CLOCK_MONOTONIC)) == 0)
			rc = pthread_cond_init(&w->w_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (rc != 0) {
		pthread_mutex_destroy(&w->w_mtx);
		free(w);
		errno = rc;
		log_warn("writer: pthread_cond_init");
		return -1;
	}
	d->d_writer = w;
	if (w->w_tree) {
		if ((w->w_key = store_leaf_key(d->d_store)) == NULL ||
		    w->w_signer == NULL) {
			log_warnx("writer: the store has no leaf key or the "
			    "daemon no signing key");
			return -1;
		}
		if ((rc = leaf_ctx_new(&w->w_leaf)) != 0) {
			log_warnx("writer: leaf workspace: %s",
			    leaf_strerror(rc));
			return -1;
		}
		if (hasher_new(w->w_key, (int)d->d_cfg.cf_hash_threads,
		    &w->w_hasher) == -1)
			return -1;
	}
	if ((w->w_done_ev = event_new(d->d_base, -1, 0, writer_done_cb,
	    w)) == NULL) {
		log_warnx("writer: cannot create the completion event");
		return -1;
	}
	if ((rc = pthread_create(&w->w_thread, NULL, writer_main, w)) != 0) {
		errno = rc;
		log_warn("writer: pthread_create");
		return -1;
	}
	w->w_started = 1;
	return 0;
}

/*
 * The daemon is shutting down (SIGTERM, SIGINT): a group waiting for a
 * full store to take writes (on-store-full block) is given one more
 * try and then answered STORE_FULL, so that the shutdown ends; nothing
 * of it is acknowledged. Loop thread; NULL-safe.
 */
void
writer_shutdown(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->w_mtx);
	w->w_draining = 1;
	pthread_cond_signal(&w->w_cond);
	pthread_mutex_unlock(&w->w_mtx);
}

/*
 * Returns 1 while producers are not to be read: the store is full and
 * the policy is block. Any thread; NULL-safe.
 */
int
writer_blocked(struct writer *w)
{
	return w != NULL && atomic_load(&w->w_state) == WRITER_STORE_FULL &&
	    atomic_load(&w->w_policy) == CFG_STORE_FULL_BLOCK;
}

/*
 * Lends the store to a reader on the loop thread (a producer's durable
 * mark), or returns NULL while it is closed after an I/O error or being
 * closed; give it back soon with writer_store_release().
 */
struct store *
writer_store_acquire(struct writer *w)
{
	struct store *s = NULL;

	pthread_mutex_lock(&w->w_mtx);
	if (!w->w_reopening && w->w_store != NULL) {
		w->w_users++;
		s = w->w_store;
	}
	pthread_mutex_unlock(&w->w_mtx);
	return s;
}

/* Gives back the store lent by writer_store_acquire(). */
void
writer_store_release(struct writer *w)
{
	pthread_mutex_lock(&w->w_mtx);
	if (--w->w_users == 0 && w->w_reopening)
		pthread_cond_broadcast(&w->w_cond);
	pthread_mutex_unlock(&w->w_mtx);
}

/*
 * Hands the writer a reload's store limits: --on-store-full,
 * --max-store-size and the free-space thresholds. Loop thread.
 */
void
writer_set_store_limits(struct writer *w, int policy, uint64_t max_size,
    uint64_t warn, uint64_t crit)
{
	pthread_mutex_lock(&w->w_mtx);
	w->w_new_policy = policy;
	w->w_new_max_size = max_size;
	w->w_new_warn = warn;
	w->w_new_crit = crit;
	w->w_new_store = 1;
	pthread_cond_signal(&w->w_cond);
	pthread_mutex_unlock(&w->w_mtx);
}

/* Copies the writer's statistics for the metrics; any thread. */
void
writer_get_stats(struct writer *w, struct writer_stats *ws)
{
	int i;

	memset(ws, 0, sizeof(*ws));
	ws->ws_commits = atomic_load(&w->w_s_commits);
	ws->ws_batches = atomic_load(&w->w_s_batches);
	ws->ws_records = atomic_load(&w->w_s_records);
	ws->ws_duplicates = atomic_load(&w->w_s_dups);
	ws->ws_bytes = atomic_load(&w->w_s_bytes);
	ws->ws_skew[0] = atomic_load(&w->w_s_skew[0]);
	ws->ws_skew[1] = atomic_load(&w->w_s_skew[1]);
	for (i = 0; i < WRITER_FAIL_MAX; i++)
		ws->ws_failures[i] = atomic_load(&w->w_s_fail[i]);
	for (i = 0; i <= WRITER_LAT_NB; i++)
		ws->ws_lat[i] = atomic_load(&w->w_s_lat[i]);
	ws->ws_lat_sum_ns = atomic_load(&w->w_s_lat_sum);
	for (i = 0; i <= WRITER_REC_NB; i++)
		ws->ws_recs[i] = atomic_load(&w->w_s_recs[i]);
	ws->ws_recs_sum = atomic_load(&w->w_s_recs_sum);
	ws->ws_log_size = atomic_load(&w->w_log_size);
	ws->ws_ckpt_size = atomic_load(&w->w_ckpt_size);
	ws->ws_ckpts = atomic_load(&w->w_s_ckpts);
	ws->ws_ckpt_ns = atomic_load(&w->w_s_ckpt_ns);
	ws->ws_state = atomic_load(&w->w_state);
	ws->ws_free_level = atomic_load(&w->w_s_free_level);
	ws->ws_reopens = atomic_load(&w->w_s_reopens);
	ws->ws_reopen_failures = atomic_load(&w->w_s_reopen_fails);
	ws->ws_file_bytes = atomic_load(&w->w_s_file);
	ws->ws_map_bytes = atomic_load(&w->w_s_map);
	ws->ws_map_used = atomic_load(&w->w_s_map_used);
	ws->ws_max_size = atomic_load(&w->w_s_max_size);
	ws->ws_fs_size = atomic_load(&w->w_s_fs_size);
	ws->ws_fs_avail = atomic_load(&w->w_s_fs_avail);
}

/* The protocol's Error code for a batch that failed with status. */
int
writer_status_code(int status)
{
	return status == STORE_EFULL || status == WRITER_EMAXSIZE ?
	    ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FULL :
	    ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FAILED;
}

/*
 * "CODE: explanation" of a batch's wb_status: the WRITER_E* codes, or
 * store_strerror() for the rest. Static storage.
 */
const char *
writer_strerror(int status)
{
	switch (status) {
	case WRITER_EHOLE:
		return "WRITER_EHOLE: an earlier batch of this producer failed "
		    "and was not resent yet";
	case WRITER_ELEAF:
		return "WRITER_ELEAF: internal error computing a leaf hash";
	case WRITER_EMAXSIZE:
		return "WRITER_EMAXSIZE: the store has reached its "
		    "max-store-size";
	case WRITER_EUNAVAIL:
		return "WRITER_EUNAVAIL: the store is closed after an I/O "
		    "error and not reopened yet";
	default:
		return store_strerror(status);
	}
}

/*
 * Queues a batch for the next transaction; the writer owns it until
 * done. Loop thread: takes the --clock-skew in force at its receipt.
 */
void
writer_submit(struct writer *w, struct writer_batch *b)
{
	b->wb_skew_s = w->w_d->d_cfg.cf_clock_skew;
	pthread_mutex_lock(&w->w_mtx);
	TAILQ_INSERT_TAIL(&w->w_queue, b, wb_entry);
	pthread_cond_signal(&w->w_cond);
	pthread_mutex_unlock(&w->w_mtx);
}

/* Returns the log size after the last successful commit. */
uint64_t
writer_log_size(struct writer *w)
{
	return atomic_load(&w->w_log_size);
}

/*
 * Returns the size of the newest committed checkpoint (0: none). A
 * batch whose commit made the log size n is covered once it is >= n.
 */
uint64_t
writer_checkpoint_size(struct writer *w)
{
	return atomic_load(&w->w_ckpt_size);
}

/*
 * Asks the writer for a checkpoint as soon as the log is beyond the
 * newest one (shutdown), without waiting for the cadence. Loop thread.
 */
void
writer_request_checkpoint(struct writer *w)
{
	pthread_mutex_lock(&w->w_mtx);
	w->w_ckpt_asked = 1;
	pthread_cond_signal(&w->w_cond);
	pthread_mutex_unlock(&w->w_mtx);
}

/*
 * Hands the writer new limits (a SIGHUP reload): records per
 * transaction and the checkpoint cadence. The thread adopts them before
 * it takes its next group or computes its next wake-up. Loop thread.
 */
void
writer_set_limits(struct writer *w, uint64_t commit_max, uint64_t every,
    uint64_t interval_ms)
{
	pthread_mutex_lock(&w->w_mtx);
	w->w_new_commit_max = commit_max;
	w->w_new_every = every;
	w->w_new_interval = interval_ms;
	w->w_new_limits = 1;
	pthread_cond_signal(&w->w_cond);
	pthread_mutex_unlock(&w->w_mtx);
}

/*
 * Stops the writer: it commits everything still queued, then exits.
 * Completions are handed to conn.c as usual, then everything is freed.
 * Call from the loop thread, after the loop stopped; NULL-safe.
 */
void
writer_stop(struct daemon *d)
{
	struct writer *w = d->d_writer;
	struct writer_hole *h;
	uint64_t leaves, ns;

	if (w == NULL)
		return;
	if (w->w_started) {
		pthread_mutex_lock(&w->w_mtx);
		w->w_stop = 1;
		pthread_cond_signal(&w->w_cond);
		pthread_mutex_unlock(&w->w_mtx);
		pthread_join(w->w_thread, NULL);
		writer_done_cb(-1, 0, w);
		log_info("writer: %" PRIu64 " records in %" PRIu64 " batches "
		    "and %" PRIu64 " commits (%.1f records per commit)",
		    w->w_records, w->w_batches, w->w_commits, w->w_commits ?
		    (double)w->w_records / w->w_commits : 0.0);
		if (w->w_tree) {
			leaves = w->w_leaves_before;
			ns = w->w_leaf_ns_before;
			if (w->w_hasher != NULL) {
				hasher_stats(w->w_hasher, &leaves, &ns);
				leaves += w->w_leaves_before;
				ns += w->w_leaf_ns_before;
			}
			log_info("writer: leaf hashing %.2f us per record "
			    "(%" PRIu64 " leaves, %" PRIu64 " hash threads "
			    "and the writer); %" PRIu64 " checkpoints signed, "
			    "newest at size %" PRIu64, leaves ?
			    (double)ns / 1e3 / leaves : 0.0, leaves,
			    d->d_cfg.cf_hash_threads, w->w_ckpts,
			    atomic_load(&w->w_ckpt_size));
		}
	}
	if (w->w_done_ev != NULL)
		event_free(w->w_done_ev);
	while ((h = TAILQ_FIRST(&w->w_holes)) != NULL) {
		TAILQ_REMOVE(&w->w_holes, h, wh_entry);
		free(h);
	}
	pthread_cond_destroy(&w->w_cond);
	pthread_mutex_destroy(&w->w_mtx);
	hasher_free(w->w_hasher);
	leaf_ctx_free(w->w_leaf);
	free(w->w_jobs);
	free(w->w_hashes);
	free(w->w_buf);
	/* The store may have been reopened (or closed) since the start. */
	d->d_store = w->w_store;
	free(w);
	d->d_writer = NULL;
}
