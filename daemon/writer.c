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
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "store.h"

/* Times a transaction is redone after STORE_EMAPFULL (the map grew). */
#define WRITER_MAPFULL_RETRIES	16

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
	struct event		*w_done_ev;	/* made active by the thread */
	_Atomic uint64_t	 w_log_size;	/* committed log size */
	uint8_t			*w_buf;		/* Entry encoding buffer */
	size_t			 w_bufsize;
	struct writer_holes	 w_holes;	/* writer thread only */
	/* Statistics, writer thread only; read after the join. */
	uint64_t		 w_commits;
	uint64_t		 w_batches;
	uint64_t		 w_records;
};

/* Frees a batch and the message unpacked with its allocator. */
void
writer_batch_free(struct writer_batch *b)
{
	if (b == NULL)
		return;
	frame_free_client(&b->wb_alloc, b->wb_frame);
	free(b);
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
			log_info("writer: producer '%s' resent from seq %"
			    PRIu64 "; accepting its batches again",
			    h->wh_producer, h->wh_floor);
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

/* Encodes one record as an Entry into the writer's buffer and appends it. */
static int
writer_append(struct writer *w, const struct writer_batch *b,
    Algaudit__V1__DecisionRecord *rec, const Algaudit__V1__Peer *peer)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	uint64_t index;
	uint8_t *nb;
	size_t len, want;
	int rc;

	e.has_index = 1;
	e.index = store_next_index(w->w_store);
	e.has_receive_time_ns = 1;
	e.receive_time_ns = b->wb_recv_ns;
	e.producer_id = (char *)(uintptr_t)b->wb_producer;
	e.peer = (Algaudit__V1__Peer *)(uintptr_t)peer;
	e.record = rec;
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
	if (index != e.index) {
		log_warnx("writer: store appended at index %" PRIu64
		    ", expected %" PRIu64, index, e.index);
		return STORE_ECORRUPT;
	}
	return 0;
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
	Algaudit__V1__Peer peer = ALGAUDIT__V1__PEER__INIT;
	Algaudit__V1__DecisionRecord *rec;
	struct store_producer sp;
	size_t i;
	int rc;

	b->wb_status = 0;
	b->wb_hole = 0;
	b->wb_stored = b->wb_duplicates = 0;
	b->wb_first_index = 0;
	rc = store_producer_get_txn(w->w_store, b->wb_producer, &sp);
	if (rc == STORE_ENOTFOUND) {
		memset(&sp, 0, sizeof(sp));
		sp.sp_first_ns = b->wb_recv_ns;
	} else if (rc != 0)
		return rc;
	if (writer_hole_check(w, b, sp.sp_seq) == -1)
		return 0;
	if (b->wb_peer.p_has_cred) {
		peer.has_uid = peer.has_gid = peer.has_pid = 1;
		peer.uid = b->wb_peer.p_uid;
		peer.gid = b->wb_peer.p_gid;
		peer.pid = b->wb_peer.p_pid;
	}
	peer.address = (char *)(uintptr_t)b->wb_peer.p_addr;

	for (i = 0; i < batch->n_records; i++) {
		rec = batch->records[i];
		if (rec->producer_seq <= sp.sp_seq) {
			b->wb_duplicates++;
			continue;
		}
		if (b->wb_stored == 0)
			b->wb_first_index = store_next_index(w->w_store);
		if ((rc = writer_append(w, b, rec, &peer)) != 0)
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

/* Runs one transaction over the group; returns 0 once it is committed. */
static int
writer_txn(struct writer *w, struct writer_batches *group)
{
	struct writer_batch *b;
	int rc;

	if ((rc = store_begin(w->w_store)) != 0)
		return rc;
	TAILQ_FOREACH(b, group, wb_entry) {
		if ((rc = writer_apply(w, b)) != 0) {
			store_abort(w->w_store);
			return rc;
		}
	}
	return store_commit(w->w_store);
}

/*
 * Commits a group of batches: the one place of group commit. Redoes the
 * transaction when the store grew its map; on any other failure no batch
 * of the group is acknowledged and each carries the error.
 */
static void
writer_commit_group(struct writer *w, struct writer_batches *group)
{
	struct writer_batch *b;
	uint64_t size;
	size_t nb = 0, nrec = 0;
	int rc, tries = 0;

	for (;;) {
		rc = writer_txn(w, group);
		if (rc != STORE_EMAPFULL || ++tries > WRITER_MAPFULL_RETRIES)
			break;
		writer_holes_settle(w, 0);
	}
	writer_holes_settle(w, rc == 0);

	TAILQ_FOREACH(b, group, wb_entry) {
		nb++;
		nrec += b->wb_frame->batch->n_records;
	}
	if (rc == 0) {
		size = store_next_index(w->w_store);
		atomic_store(&w->w_log_size, size);
		TAILQ_FOREACH(b, group, wb_entry)
			b->wb_log_size = size;
		w->w_commits++;
		w->w_batches += nb;
		w->w_records += nrec;
		log_debug("writer: committed %zu batches, %zu records, log "
		    "size %" PRIu64, nb, nrec, size);
		return;
	}
	if (rc == STORE_EMAPFULL)
		rc = STORE_EFULL;
	log_warnx("writer: commit of %zu batches (%zu records) failed, "
	    "none acknowledged: %s%s", nb, nrec, store_strerror(rc),
	    rc == STORE_EIO ? " (check the disk; the store may refuse every "
	    "commit until algauditd is restarted)" : "");
	TAILQ_FOREACH(b, group, wb_entry) {
		if (b->wb_status != WRITER_EHOLE)
			b->wb_hole = b->wb_frame->batch->records[0]->
			    producer_seq;
		b->wb_status = rc;
		writer_hole_add(w, b->wb_producer, b->wb_hole);
	}
}

/* The writer thread: takes groups off the queue until told to stop. */
static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_batches group;
	struct writer_batch *b;
	uint64_t nrec;

	pthread_mutex_lock(&w->w_mtx);
	for (;;) {
		while (TAILQ_EMPTY(&w->w_queue) && !w->w_stop)
			pthread_cond_wait(&w->w_cond, &w->w_mtx);
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

		pthread_mutex_lock(&w->w_mtx);
		TAILQ_CONCAT(&w->w_done, &group, wb_entry);
		event_active(w->w_done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->w_mtx);
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
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("writer");
		return -1;
	}
	w->w_d = d;
	w->w_store = d->d_store;
	w->w_commit_max = d->d_cfg.cf_commit_max;
	TAILQ_INIT(&w->w_queue);
	TAILQ_INIT(&w->w_done);
	TAILQ_INIT(&w->w_holes);
	atomic_init(&w->w_log_size, log_size);
	if ((rc = pthread_mutex_init(&w->w_mtx, NULL)) != 0) {
		free(w);
		errno = rc;
		log_warn("writer: pthread_mutex_init");
		return -1;
	}
	if ((rc = pthread_cond_init(&w->w_cond, NULL)) != 0) {
		pthread_mutex_destroy(&w->w_mtx);
		free(w);
		errno = rc;
		log_warn("writer: pthread_cond_init");
		return -1;
	}
	d->d_writer = w;
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

/* Queues a batch for the next transaction; the writer owns it until done. */
void
writer_submit(struct writer *w, struct writer_batch *b)
{
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
 * Stops the writer: it commits everything still queued, then exits.
 * Completions are handed to conn.c as usual, then everything is freed.
 * Call from the loop thread, after the loop stopped; NULL-safe.
 */
void
writer_stop(struct daemon *d)
{
	struct writer *w = d->d_writer;
	struct writer_hole *h;

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
	}
	if (w->w_done_ev != NULL)
		event_free(w->w_done_ev);
	while ((h = TAILQ_FIRST(&w->w_holes)) != NULL) {
		TAILQ_REMOVE(&w->w_holes, h, wh_entry);
		free(h);
	}
	pthread_cond_destroy(&w->w_cond);
	pthread_mutex_destroy(&w->w_mtx);
	free(w->w_buf);
	free(w);
	d->d_writer = NULL;
}
