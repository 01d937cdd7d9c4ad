/* SPDX-License-Identifier: ISC */
/*
 * backoff.c: the reconnect schedule, jittered exponential backoff.
 *
 * The nominal delay starts at the initial value and doubles after each
 * failure up to the maximum; each delay actually used is drawn
 * uniformly from [nominal / 2, nominal], so many clients that lost the
 * same daemon do not come back in lockstep, and no delay exceeds the
 * maximum. The random numbers come from a per-handle xorshift64*
 * generator: no global state, no system call.
 */
#include "client.h"

/* Prepares a schedule; seed may be anything (0 is replaced). */
void
backoff_init(struct backoff *b, uint32_t initial_ms, uint32_t max_ms,
    uint64_t seed)
{
	b->b_initial = initial_ms == 0 ? 1 : initial_ms;
	b->b_max = max_ms < b->b_initial ? b->b_initial : max_ms;
	b->b_cur = b->b_initial;
	b->b_rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
}

/* Starts the schedule over, after a connection that worked. */
void
backoff_reset(struct backoff *b)
{
	b->b_cur = b->b_initial;
}

/* Returns the next pseudo-random 64-bit value (xorshift64*). */
uint64_t
backoff_random(struct backoff *b)
{
	uint64_t x = b->b_rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	b->b_rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Returns the delay before the next attempt, in ms, and advances. */
uint32_t
backoff_next(struct backoff *b)
{
	uint32_t nominal = b->b_cur, half, delay;

	half = nominal / 2;
	delay = nominal - half + (uint32_t)(backoff_random(b) % (half + 1));
	if (delay == 0)
		delay = 1;
	if (b->b_cur <= b->b_max / 2)
		b->b_cur *= 2;
	else
		b->b_cur = b->b_max;
	return delay;
}
