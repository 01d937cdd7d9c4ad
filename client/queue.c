/* SPDX-License-Identifier: ISC */
/*
 * queue.c: the ring of encoded records between the application's
 * threads and the handle's I/O thread.
 *
 * Two preallocated arrays: slot descriptors (offset, length, seq,
 * state) and a byte ring the records are encoded into. Positions are
 * 64-bit counters that never wrap: slot p lives at p % nslots, and a
 * record never straddles the end of the byte ring (the bytes up to the
 * end are skipped and charged to that record).
 *
 * A producer reserves a slot and its bytes under q_lock (a few
 * instructions; an uncontended mutex costs no system call), encodes into
 * the reserved bytes outside the lock, then publishes the slot with a
 * release store. The I/O thread reads slots in position order and stops
 * at the first one not yet published, so records published out of order
 * are still sent in order. It alone assigns seqs and releases slots,
 * from the tail, once they are acknowledged or moved to the spool.
 * Nothing here does I/O or allocates after queue_new().
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

enum queue_slot_state {
	QUEUE_SLOT_FREE = 0,
	QUEUE_SLOT_RESERVED,
	QUEUE_SLOT_PUBLISHED
};

struct queue_slot {
	_Atomic int	 qs_state;
	uint32_t	 qs_len;
	uint64_t	 qs_off;	/* offset in q_bytes */
	uint64_t	 qs_end;	/* byte position after it and its skip */
	uint64_t	 qs_seq;	/* 0 until the I/O thread assigns one */
	uint64_t	 qs_pos;	/* the position it holds */
};

struct queue {
	pthread_mutex_t	 q_lock;
	pthread_cond_t	 q_space;
	unsigned	 q_space_waiters;
	_Atomic unsigned q_waiters;	/* copy readable without the lock */
	int		 q_shutdown;
	uint64_t	 q_head;	/* next position to reserve */
	uint64_t	 q_tail;	/* oldest position not released */
	uint64_t	 q_bhead;	/* byte position of the next reserve */
	uint64_t	 q_btail;	/* byte position of the tail slot */
	size_t		 q_nslots;
	size_t		 q_bcap;
	struct queue_slot *q_slots;
	uint8_t		*q_bytes;
};

/*
 * Creates a queue of at most records records and bytes bytes. Returns
 * 0, ENOMEM, or an errno from the pthread initialisers.
 */
int
queue_new(size_t records, size_t bytes, struct queue **out)
{
	struct queue *q;
	pthread_condattr_t ca;
	int rc;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return ENOMEM;
	q->q_nslots = records;
	q->q_bcap = bytes;
	rc = ENOMEM;
	if ((q->q_slots = calloc(records, sizeof(*q->q_slots))) == NULL ||
	    (q->q_bytes = malloc(bytes)) == NULL)
		goto fail;
	if ((rc = pthread_mutex_init(&q->q_lock, NULL)) != 0)
		goto fail;
	if ((rc = pthread_condattr_init(&ca)) != 0)
		goto fail_mutex;
	if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&q->q_space, &ca)) != 0) {
		pthread_condattr_destroy(&ca);
		goto fail_mutex;
	}
	pthread_condattr_destroy(&ca);
	*out = q;
	return 0;

fail_mutex:
	pthread_mutex_destroy(&q->q_lock);
fail:
	free(q->q_bytes);
	free(q->q_slots);
	free(q);
	return rc;
}

/* Frees a queue; NULL is allowed. No thread may use it any more. */
void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	pthread_cond_destroy(&q->q_space);
	pthread_mutex_destroy(&q->q_lock);
	free(q->q_bytes);
	free(q->q_slots);
	free(q);
}

/*
 * Tries to reserve a slot of len bytes with q_lock held. Returns
 * QUEUE_OK (with *pos and *buf set), QUEUE_FULL or QUEUE_TOOBIG.
 */
static int
queue_try_reserve(struct queue *q, size_t len, uint64_t *pos, uint8_t **buf)
{
	struct queue_slot *s;
	uint64_t off, end;

	if (len > q->q_bcap || len == 0 || len > UINT32_MAX)
		return QUEUE_TOOBIG;
	if (q->q_head - q->q_tail >= q->q_nslots)
		return QUEUE_FULL;
	off = q->q_bhead % q->q_bcap;
	end = q->q_bhead + len;
	if (off + len > q->q_bcap) {
		/* Skip to the start of the ring; the skip is ours. */
		end += q->q_bcap - off;
		off = 0;
	}
	if (end - q->q_btail > q->q_bcap)
		return QUEUE_FULL;
	s = &q->q_slots[q->q_head % q->q_nslots];
	s->qs_off = off;
	s->qs_len = (uint32_t)len;
	s->qs_end = end;
	s->qs_seq = 0;
	s->qs_pos = q->q_head;
	atomic_store_explicit(&s->qs_state, QUEUE_SLOT_RESERVED,
	    memory_order_relaxed);
	*pos = q->q_head++;
	q->q_bhead = end;
	*buf = q->q_bytes + off;
	return QUEUE_OK;
}

/*
 * Reserves room for a len-byte record. With deadline NULL, fails at
 * once when full; otherwise waits for room until the CLOCK_MONOTONIC
 * deadline. Returns QUEUE_OK with *pos (its position) and *buf (where
 * to encode it) set, QUEUE_FULL, QUEUE_TOOBIG or QUEUE_SHUTDOWN. The
 * caller must queue_publish(*pos) after encoding.
 */
int
queue_reserve(struct queue *q, size_t len, const struct timespec *deadline,
    uint64_t *pos, uint8_t **buf)
{
	int rc;

	pthread_mutex_lock(&q->q_lock);
	for (;;) {
		if (q->q_shutdown) {
			rc = QUEUE_SHUTDOWN;
			break;
		}
		rc = queue_try_reserve(q, len, pos, buf);
		if (rc != QUEUE_FULL || deadline == NULL)
			break;
		q->q_space_waiters++;
		atomic_store(&q->q_waiters, q->q_space_waiters);
		rc = pthread_cond_timedwait(&q->q_space, &q->q_lock, deadline);
		q->q_space_waiters--;
		atomic_store(&q->q_waiters, q->q_space_waiters);
		if (rc == ETIMEDOUT) {
			rc = queue_try_reserve(q, len, pos, buf);
			break;
		}
	}
	pthread_mutex_unlock(&q->q_lock);
	return rc;
}

/*
 * Publishes a reserved slot once its bytes are written. Sequentially
 * consistent so that, with the I/O thread's idle flag (io.c), either the
 * I/O thread sees the slot or the producer sees the flag.
 */
void
queue_publish(struct queue *q, uint64_t pos)
{
	atomic_store(&q->q_slots[pos % q->q_nslots].qs_state,
	    QUEUE_SLOT_PUBLISHED);
}

/*
 * Returns 1 when position pos (at or after the tail) is published: its
 * bytes and length may be read. The slot must hold pos itself, not the
 * record one lap earlier that is still in flight. I/O thread.
 */
int
queue_published(struct queue *q, uint64_t pos)
{
	struct queue_slot *s = &q->q_slots[pos % q->q_nslots];

	return atomic_load(&s->qs_state) == QUEUE_SLOT_PUBLISHED &&
	    s->qs_pos == pos;
}

/* Returns the bytes of a published slot and their length. */
const uint8_t *
queue_data(struct queue *q, uint64_t pos, size_t *len)
{
	struct queue_slot *s = &q->q_slots[pos % q->q_nslots];

	*len = s->qs_len;
	return q->q_bytes + s->qs_off;
}

/* Returns the seq of a published slot, 0 if none is assigned yet. */
uint64_t
queue_seq(struct queue *q, uint64_t pos)
{
	return q->q_slots[pos % q->q_nslots].qs_seq;
}

/* Assigns a seq to a published slot. I/O thread only. */
void
queue_set_seq(struct queue *q, uint64_t pos, uint64_t seq)
{
	q->q_slots[pos % q->q_nslots].qs_seq = seq;
}

/* Returns the tail: the oldest position not released. */
uint64_t
queue_tail(struct queue *q)
{
	uint64_t t;

	pthread_mutex_lock(&q->q_lock);
	t = q->q_tail;
	pthread_mutex_unlock(&q->q_lock);
	return t;
}

/* Returns the head: the next position a producer will reserve. */
uint64_t
queue_head(struct queue *q)
{
	uint64_t h;

	pthread_mutex_lock(&q->q_lock);
	h = q->q_head;
	pthread_mutex_unlock(&q->q_lock);
	return h;
}

/*
 * Releases the n oldest slots (acknowledged, refused or spooled) and
 * wakes producers waiting for room. I/O thread only.
 */
void
queue_release(struct queue *q, uint64_t n)
{
	struct queue_slot *s;
	uint64_t i;

	if (n == 0)
		return;
	pthread_mutex_lock(&q->q_lock);
	/*
	 * Releasing more than is held would be a bug of the I/O thread;
	 * the library must not abort its host for it, so clamp.
	 */
	if (n > q->q_head - q->q_tail)
		n = q->q_head - q->q_tail;
	if (n == 0) {
		pthread_mutex_unlock(&q->q_lock);
		return;
	}
	for (i = 0; i < n; i++) {
		s = &q->q_slots[(q->q_tail + i) % q->q_nslots];
		atomic_store_explicit(&s->qs_state, QUEUE_SLOT_FREE,
		    memory_order_relaxed);
	}
	s = &q->q_slots[(q->q_tail + n - 1) % q->q_nslots];
	q->q_btail = s->qs_end;
	q->q_tail += n;
	if (q->q_space_waiters > 0)
		pthread_cond_broadcast(&q->q_space);
	pthread_mutex_unlock(&q->q_lock);
}

/* Reports how many records and bytes are held (reserved, not released). */
void
queue_usage(struct queue *q, uint64_t *records, uint64_t *bytes)
{
	pthread_mutex_lock(&q->q_lock);
	*records = q->q_head - q->q_tail;
	*bytes = q->q_bhead - q->q_btail;
	pthread_mutex_unlock(&q->q_lock);
}

/* Returns how many producers wait for room (a hint, without the lock). */
unsigned
queue_waiters(struct queue *q)
{
	return atomic_load_explicit(&q->q_waiters, memory_order_relaxed);
}

/* Makes every waiting and future reserve fail with QUEUE_SHUTDOWN. */
void
queue_shutdown(struct queue *q)
{
	pthread_mutex_lock(&q->q_lock);
	q->q_shutdown = 1;
	pthread_cond_broadcast(&q->q_space);
	pthread_mutex_unlock(&q->q_lock);
}

/* Returns the capacity in records. */
size_t
queue_capacity_records(const struct queue *q)
{
	return q->q_nslots;
}

/* Returns the capacity in bytes. */
size_t
queue_capacity_bytes(const struct queue *q)
{
	return q->q_bcap;
}

/* Returns the memory the queue allocated, in bytes. */
size_t
queue_memory(const struct queue *q)
{
	return sizeof(*q) + q->q_nslots * sizeof(struct queue_slot) +
	    q->q_bcap;
}

/*
 * Frees a queue in a child after fork(), without touching its mutex or
 * condition variable (another thread of the parent may have held them).
 */
void
queue_forget(struct queue *q)
{
	if (q == NULL)
		return;
	free(q->q_bytes);
	free(q->q_slots);
	free(q);
}
