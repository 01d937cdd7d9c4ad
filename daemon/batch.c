/* SPDX-License-Identifier: ISC */
/*
 * batch.c: the rules a whole Batch must follow before anything of it is
 * queued to the writer.
 *
 * Each record must pass record_validate(), and the producer_seq values
 * must be strictly increasing within the batch and above the last seq
 * this connection received, except that records at or below the durable
 * mark the Welcome announced are duplicates and always allowed
 * (docs/PROTOCOL.md, "Records and sequence numbers"). Pure: no I/O, no
 * libevent, no store, so conn.c's decision can be unit-tested.
 */
#include <inttypes.h>
#include <stdio.h>

#include "daemon.h"

/*
 * Checks the n records of a batch received on a connection whose
 * Welcome announced durable mark durable and which has received seqs up
 * to last so far. Returns 0 when the batch may be queued; else -1 with
 * *bad set to the index of the offending record (n when the batch as a
 * whole is wrong, e.g. empty) and err holding
 * "record seq S (batch index I): field: rule".
 */
int
batch_check(Algaudit__V1__DecisionRecord *const *recs, size_t n,
    uint64_t durable, uint64_t last, size_t *bad, char *err, size_t errlen)
{
	char msg[RECORD_ERRLEN];
	uint64_t seq, prev = 0;
	size_t i;

	if (n == 0) {
		*bad = 0;
		snprintf(err, errlen, "batch: no records");
		return -1;
	}
	for (i = 0; i < n; i++) {
		seq = recs[i]->has_producer_seq ? recs[i]->producer_seq : 0;
		*bad = i;
		if (record_validate(recs[i], msg, sizeof(msg)) == -1)
			goto fail;
		if (i > 0 && seq <= prev) {
			snprintf(msg, sizeof(msg), "producer_seq: not above "
			    "the previous record's %" PRIu64, prev);
			goto fail;
		}
		if (seq > durable && seq <= last) {
			snprintf(msg, sizeof(msg), "producer_seq: not above "
			    "%" PRIu64 ", the last seq received on this "
			    "connection", last);
			goto fail;
		}
		prev = seq;
	}
	return 0;
fail:
	snprintf(err, errlen, "record seq %" PRIu64 " (batch index %zu): %s",
	    seq, i, msg);
	return -1;
}
