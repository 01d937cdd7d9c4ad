/* SPDX-License-Identifier: ISC */
/*
 * hasher.c: computes the commitment leaf hashes of a transaction's
 * entries beside the writer thread.
 *
 * A leaf costs about 3 us of SHA-256 and AES (docs/VERIFIABLE.md), more
 * than appending the entry to LMDB; computed one by one on the writer
 * thread it would take most of the writer's time. So the writer, as it
 * appends each entry, publishes it as a job of the current round; the
 * hasher's threads (--hash-threads, default 1) take jobs in chunks and
 * write each hash into its slot of the round's array, while the writer
 * goes on appending. When the writer has appended the whole group it
 * calls hasher_finish(): it computes what is left itself and waits for
 * the jobs in progress, then hands the hashes to the tree. With zero
 * threads the writer computes every leaf in hasher_finish().
 *
 * The round's jobs and hashes belong to the writer; the threads only
 * read the jobs [0, published) and write their hash slots and codes.
 * Everything shared is under hs_mtx; a job's Entry points into its
 * batch, which the writer keeps until the round is finished. Nothing
 * here touches the store or the event loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "leaf.h"
#include "log.h"

#define HASHER_CHUNK	16	/* jobs taken at a time */

/* One thread of the hasher. */
struct hasher_thread {
	struct hasher	*ht_hs;
	pthread_t	 ht_thread;
	int		 ht_started;
	struct leaf_ctx	*ht_ctx;
};

struct hasher {
	const struct leaf_key	*hs_key;
	struct hasher_thread	*hs_threads;
	int			 hs_nalloc;	/* hs_threads allocated */
	int			 hs_nthreads;	/* started */
	struct leaf_ctx		*hs_ctx;	/* the writer's, in finish */
	pthread_mutex_t		 hs_mtx;
	pthread_cond_t		 hs_work;	/* jobs published, or stop */
	pthread_cond_t		 hs_idle;	/* a chunk was finished */
	/* Under hs_mtx. */
	struct hasher_job	*hs_jobs;	/* the current round's */
	uint8_t			*hs_hashes;
	size_t			 hs_pub;	/* jobs published */
	size_t			 hs_next;	/* next job to take */
	size_t			 hs_busy;	/* jobs taken, not finished */
	int			 hs_stop;
	uint64_t		 hs_ns;		/* time spent in leaves */
	uint64_t		 hs_leaves;
};

/* Returns CLOCK_MONOTONIC in ns. */
static uint64_t
hasher_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* Computes jobs [from, to) of the round with ctx; returns the time. */
static uint64_t
hasher_run(struct hasher *hs, struct leaf_ctx *ctx, struct hasher_job *jobs,
    uint8_t *hashes, size_t from, size_t to)
{
	uint64_t t0 = hasher_now_ns();
	size_t i;

	for (i = from; i < to; i++)
		jobs[i].hj_rc = leaf_compute(ctx, hs->hs_key, &jobs[i].hj_entry,
		    hashes + i * LEAF_HASH_LEN);
	return hasher_now_ns() - t0;
}

/*
 * Takes the next chunk of published jobs (hs_mtx held). Returns 0 with
 * [*from, *to) set, or -1 when none is published.
 */
static int
hasher_take(struct hasher *hs, size_t *from, size_t *to)
{
	size_t n;

	if (hs->hs_next >= hs->hs_pub)
		return -1;
	n = hs->hs_pub - hs->hs_next;
	if (n > HASHER_CHUNK)
		n = HASHER_CHUNK;
	*from = hs->hs_next;
	*to = hs->hs_next + n;
	hs->hs_next += n;
	hs->hs_busy += n;
	return 0;
}

/* A hasher thread: computes published jobs until told to stop. */
static void *
hasher_main(void *arg)
{
	struct hasher_thread *ht = arg;
	struct hasher *hs = ht->ht_hs;
	struct hasher_job *jobs;
	uint8_t *hashes;
	uint64_t ns;
	size_t from, to;

	pthread_mutex_lock(&hs->hs_mtx);
	for (;;) {
		if (hasher_take(hs, &from, &to) == -1) {
			if (hs->hs_stop)
				break;
			pthread_cond_wait(&hs->hs_work, &hs->hs_mtx);
			continue;
		}
		jobs = hs->hs_jobs;
		hashes = hs->hs_hashes;
		pthread_mutex_unlock(&hs->hs_mtx);
		ns = hasher_run(hs, ht->ht_ctx, jobs, hashes, from, to);
		pthread_mutex_lock(&hs->hs_mtx);
		hs->hs_ns += ns;
		hs->hs_leaves += to - from;
		hs->hs_busy -= to - from;
		if (hs->hs_busy == 0)
			pthread_cond_signal(&hs->hs_idle);
	}
	pthread_mutex_unlock(&hs->hs_mtx);
	return NULL;
}

/*
 * Creates a hasher with nthreads threads computing leaves with key.
 * Returns 0, or -1 after logging why (hasher_free() cleans up).
 */
int
hasher_new(const struct leaf_key *key, int nthreads, struct hasher **hp)
{
	struct hasher *hs;
	int i, rc;

	if ((*hp = hs = calloc(1, sizeof(*hs))) == NULL) {
		log_warn("hasher");
		return -1;
	}
	hs->hs_key = key;
	if ((rc = pthread_mutex_init(&hs->hs_mtx, NULL)) != 0 ||
	    (rc = pthread_cond_init(&hs->hs_work, NULL)) != 0 ||
	    (rc = pthread_cond_init(&hs->hs_idle, NULL)) != 0) {
		/* Not worth unwinding: hasher_free() would use them. */
		errno = rc;
		fatal("hasher: pthread init");
	}
	if ((rc = leaf_ctx_new(&hs->hs_ctx)) != 0) {
		log_warnx("hasher: %s", leaf_strerror(rc));
		return -1;
	}
	if (nthreads > 0 && (hs->hs_threads = calloc((size_t)nthreads,
	    sizeof(*hs->hs_threads))) == NULL) {
		log_warn("hasher");
		return -1;
	}
	hs->hs_nalloc = nthreads;
	for (i = 0; i < nthreads; i++) {
		hs->hs_threads[i].ht_hs = hs;
		if ((rc = leaf_ctx_new(&hs->hs_threads[i].ht_ctx)) != 0) {
			log_warnx("hasher: %s", leaf_strerror(rc));
			return -1;
		}
		if ((rc = pthread_create(&hs->hs_threads[i].ht_thread, NULL,
		    hasher_main, &hs->hs_threads[i])) != 0) {
			errno = rc;
			log_warn("hasher: pthread_create");
			return -1;
		}
		hs->hs_threads[i].ht_started = 1;
		hs->hs_nthreads++;
	}
	return 0;
}

/* Stops the threads and frees the hasher; NULL is allowed. */
void
hasher_free(struct hasher *hs)
{
	int i;

	if (hs == NULL)
		return;
	pthread_mutex_lock(&hs->hs_mtx);
	hs->hs_stop = 1;
	pthread_cond_broadcast(&hs->hs_work);
	pthread_mutex_unlock(&hs->hs_mtx);
	for (i = 0; i < hs->hs_nthreads; i++)
		pthread_join(hs->hs_threads[i].ht_thread, NULL);
	for (i = 0; i < hs->hs_nalloc; i++)
		leaf_ctx_free(hs->hs_threads[i].ht_ctx);
	free(hs->hs_threads);
	leaf_ctx_free(hs->hs_ctx);
	pthread_cond_destroy(&hs->hs_idle);
	pthread_cond_destroy(&hs->hs_work);
	pthread_mutex_destroy(&hs->hs_mtx);
	free(hs);
}

/*
 * Starts a round: jobs[i] will be hashed into hashes + 32 i. Both stay
 * the caller's and must hold every job the round publishes.
 */
void
hasher_begin(struct hasher *hs, struct hasher_job *jobs, uint8_t *hashes)
{
	pthread_mutex_lock(&hs->hs_mtx);
	hs->hs_jobs = jobs;
	hs->hs_hashes = hashes;
	hs->hs_pub = hs->hs_next = 0;
	pthread_mutex_unlock(&hs->hs_mtx);
}

/* Publishes jobs [0, n) of the round (n only grows within a round). */
void
hasher_publish(struct hasher *hs, size_t n)
{
	if (hs->hs_nthreads == 0)
		return;		/* hasher_finish() does it all */
	pthread_mutex_lock(&hs->hs_mtx);
	hs->hs_pub = n;
	pthread_cond_signal(&hs->hs_work);
	pthread_mutex_unlock(&hs->hs_mtx);
}

/*
 * Ends the round of n jobs: computes the jobs no thread took, waits for
 * those in progress. Returns 0, or the first failing job's leaf error
 * with *bad set to its index.
 */
int
hasher_finish(struct hasher *hs, size_t n, size_t *bad)
{
	size_t from, to, i;
	uint64_t ns;

	pthread_mutex_lock(&hs->hs_mtx);
	hs->hs_pub = n;
	while (hasher_take(hs, &from, &to) == 0) {
		pthread_mutex_unlock(&hs->hs_mtx);
		ns = hasher_run(hs, hs->hs_ctx, hs->hs_jobs, hs->hs_hashes,
		    from, to);
		pthread_mutex_lock(&hs->hs_mtx);
		hs->hs_ns += ns;
		hs->hs_leaves += to - from;
		hs->hs_busy -= to - from;
	}
	while (hs->hs_busy > 0)
		pthread_cond_wait(&hs->hs_idle, &hs->hs_mtx);
	/* Nothing may be taken from this round any more. */
	hs->hs_pub = hs->hs_next = 0;
	pthread_mutex_unlock(&hs->hs_mtx);
	for (i = 0; i < n; i++)
		if (hs->hs_jobs[i].hj_rc != 0) {
			*bad = i;
			return hs->hs_jobs[i].hj_rc;
		}
	return 0;
}

/*
 * Abandons the round (the transaction failed): takes no more of its
 * jobs and waits for those in progress, so that the caller may reuse
 * the jobs and hashes.
 */
void
hasher_cancel(struct hasher *hs)
{
	pthread_mutex_lock(&hs->hs_mtx);
	hs->hs_pub = hs->hs_next;
	while (hs->hs_busy > 0)
		pthread_cond_wait(&hs->hs_idle, &hs->hs_mtx);
	hs->hs_pub = hs->hs_next = 0;
	pthread_mutex_unlock(&hs->hs_mtx);
}

/* Reads the statistics: leaves computed and the time spent on them. */
void
hasher_stats(struct hasher *hs, uint64_t *leaves, uint64_t *ns)
{
	pthread_mutex_lock(&hs->hs_mtx);
	*leaves = hs->hs_leaves;
	*ns = hs->hs_ns;
	pthread_mutex_unlock(&hs->hs_mtx);
}
