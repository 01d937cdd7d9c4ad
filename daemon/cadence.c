/* SPDX-License-Identifier: ISC */
/*
 * cadence.c: when the writer signs the next checkpoint.
 *
 * A checkpoint is due when entries were added since the last one and
 * either at least --checkpoint-entries of them were, or
 * --checkpoint-interval milliseconds passed since the last one (or there
 * was none since start), or someone asked for one (shutdown). The writer
 * folds a due checkpoint into the transaction it is about to commit, or,
 * when it has nothing to commit, wakes up by itself at the time
 * cadence_wait_ms() gives and writes a checkpoint-only transaction.
 * Pure: no clock, no store, no thread; the writer passes the times, so
 * the policy is unit-tested on its own (tests/unit/check_cadence.c).
 */
#include <stdint.h>

#include "daemon.h"

/*
 * Starts a cadence: every entries, interval_ms, and the size of the
 * newest checkpoint in the store (0 when none). No checkpoint time is
 * known yet, so entries beyond size are due at once.
 */
void
cadence_init(struct cadence *cd, uint64_t every, uint64_t interval_ms,
    uint64_t size)
{
	cd->cd_every = every;
	cd->cd_interval_ms = interval_ms;
	cd->cd_size = size;
	cd->cd_last_ms = 0;
	cd->cd_have_last = 0;
	cd->cd_asked = 0;
	cd->cd_retry_ms = 0;
}

/*
 * Returns 1 when a checkpoint of a log of size entries is due at time
 * now_ms (a monotonic clock in ms), else 0. Never due when nothing was
 * added since the last checkpoint.
 */
int
cadence_due(const struct cadence *cd, uint64_t size, uint64_t now_ms)
{
	if (size <= cd->cd_size || now_ms < cd->cd_retry_ms)
		return 0;
	if (cd->cd_asked || !cd->cd_have_last)
		return 1;
	if (size - cd->cd_size >= cd->cd_every)
		return 1;
	return now_ms - cd->cd_last_ms >= cd->cd_interval_ms;
}

/*
 * How long an idle writer with a log of size entries may sleep at time
 * now_ms before a checkpoint is due: -1 (none pending, sleep until work
 * arrives), 0 (due now), or the milliseconds left.
 */
int64_t
cadence_wait_ms(const struct cadence *cd, uint64_t size, uint64_t now_ms)
{
	uint64_t at;

	if (size <= cd->cd_size)
		return -1;
	if (cadence_due(cd, size, now_ms))
		return 0;
	if (now_ms < cd->cd_retry_ms)
		at = cd->cd_retry_ms;
	else
		at = cd->cd_last_ms + cd->cd_interval_ms;
	return (int64_t)(at - now_ms);
}

/* Records that a checkpoint of size entries was committed at now_ms. */
void
cadence_done(struct cadence *cd, uint64_t size, uint64_t now_ms)
{
	cd->cd_size = size;
	cd->cd_last_ms = now_ms;
	cd->cd_have_last = 1;
	cd->cd_asked = 0;
	cd->cd_retry_ms = 0;
}

/*
 * Records that a due checkpoint could not be written at now_ms: the
 * next attempt waits one interval, so a failing store is not hammered.
 */
void
cadence_defer(struct cadence *cd, uint64_t now_ms)
{
	cd->cd_retry_ms = now_ms + cd->cd_interval_ms;
}

/* Asks for a checkpoint as soon as entries are beyond the last one. */
void
cadence_ask(struct cadence *cd)
{
	cd->cd_asked = 1;
}
