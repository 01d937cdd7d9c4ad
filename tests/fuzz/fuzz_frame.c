/* SPDX-License-Identifier: ISC */
/*
 * fuzz_frame.c: libFuzzer harness for the daemon's input path, without
 * sockets or libevent.
 *
 * The input is the byte stream one connection sends to algauditd. It
 * is cut into frames and handled as daemon/conn.c's conn_read_frame()
 * does, in the same order and with the same limits: frame_decode()
 * against the default --max-frame, the body unpacked as a ClientFrame
 * with the bounded allocator (cap frame_unpack_cap(body length)) from a
 * copy freed right after it (conn.c drains its input right after the
 * unpack, so nothing may point into it), then the Hello's checks
 * (version, record_check_producer_id(), ack level) or, for a Batch,
 * batch_check(), which runs record_validate() on every record and
 * checks the order of their seqs. Whatever ends a connection in conn.c
 * (a frame too large, a body that is not a ClientFrame, a bad Hello, a
 * Batch before the Hello, a frame with no message) ends the input here;
 * a refused Batch does not, as in conn.c. A frame cut short by the end
 * of the input is the peer closing mid-frame.
 *
 * What it checks besides the sanitizers: the allocator never hands out
 * more than its cap; a refusal names the offending record within the
 * batch and comes with a message; a valid batch, canonically encoded,
 * always fits the unpack budget (fuzz_frame_budget()); and every record
 * of a batch queued to the writer gets its leaf, as the writer builds
 * the entry (a record that passed validation but has no leaf would
 * make the writer refuse its batch every time the client resends it),
 * which a verifier recomputes from the units, some disclosed and some
 * withheld (fuzz_frame_leaves()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "frame.h"
#include "leaf.h"
#include "record.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_FRAME_RETRY	16	/* budget of the second unpack */
#define FUZZ_FRAME_RECV_NS	INT64_C(1714564800000000000)

/* What one connection remembers between frames, as struct conn does. */
struct fuzz_frame_conn {
	int		 ff_welcomed;	/* a valid Hello was taken */
	char		 ff_producer[RECORD_MAX_PRODUCER_ID + 1];
	uint64_t	 ff_durable;	/* the Welcome's mark: a new producer */
	uint64_t	 ff_last_seq;	/* highest seq received */
	uint64_t	 ff_index;	/* the log index of the next entry */
};

/* The store's leaf key and the writer's workspace, made once. */
static struct leaf_key	*fuzz_frame_key;
static struct leaf_ctx	*fuzz_frame_leaf;

/* Stops the run on a broken invariant: libFuzzer saves the input. */
static void
fuzz_frame_fail(const char *what)
{
	fprintf(stderr, "fuzz_frame: %s\n", what);
	abort();
}

/* With FUZZ_VERBOSE set, says what happened to a frame. */
static void
fuzz_frame_say(const char *what, const char *detail)
{
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_frame: %s%s%s\n", what,
		    detail[0] != '\0' ? ": " : "", detail);
}

/* conn_hello()'s checks of a Hello that do not need a daemon. */
static int
fuzz_frame_hello(struct fuzz_frame_conn *fc, const Algaudit__V1__Hello *h)
{
	char msg[RECORD_ERRLEN];

	if (fc->ff_welcomed) {
		fuzz_frame_say("second Hello", "");
		return -1;
	}
	if (!h->has_protocol_version ||
	    h->protocol_version != FRAME_PROTOCOL_VERSION) {
		fuzz_frame_say("Hello: wrong protocol version", "");
		return -1;
	}
	msg[0] = '\0';
	if (record_check_producer_id(h->producer_id, msg, sizeof(msg)) ==
	    -1) {
		if (msg[0] == '\0')
			fuzz_frame_fail("producer id refused without a "
			    "message");
		fuzz_frame_say("Hello", msg);
		return -1;
	}
	if (h->has_ack_level && h->ack_level !=
	    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_DURABLE && h->ack_level !=
	    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED) {
		fuzz_frame_say("Hello: unknown ack level", "");
		return -1;
	}
	fuzz_frame_say("Hello: Welcome", h->producer_id);
	snprintf(fc->ff_producer, sizeof(fc->ff_producer), "%s",
	    h->producer_id);
	fc->ff_welcomed = 1;
	return 0;
}

/*
 * The writer's side of a queued batch: each record becomes an entry
 * (writer_append()'s fields) whose leaf must compute, and a verifier
 * given its units, the even ones disclosed and the odd ones withheld,
 * must find the same leaf hash.
 */
static void
fuzz_frame_leaves(struct fuzz_frame_conn *fc, const Algaudit__V1__Batch *b)
{
	static const uint8_t master[LEAF_SECRET_LEN] = { 0x42, 0x17 };
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__Peer peer = ALGAUDIT__V1__PEER__INIT;
	uint8_t hash[LEAF_HASH_LEN], again[LEAF_HASH_LEN];
	const struct leaf_unit *u;
	struct leaf_claim *claims;
	char msg[512];
	size_t i, j, n;
	int rc;

	if (fuzz_frame_key == NULL &&
	    (leaf_key_new(&fuzz_frame_key, master) != 0 ||
	    leaf_ctx_new(&fuzz_frame_leaf) != 0))
		fuzz_frame_fail("out of memory");
	peer.has_uid = peer.has_gid = peer.has_pid = 1;
	peer.uid = peer.gid = 1000;
	peer.pid = 4242;
	peer.address = (char *)(uintptr_t)"unix";
	for (i = 0; i < b->n_records; i++) {
		e.has_index = 1;
		e.index = fc->ff_index++;
		e.has_receive_time_ns = 1;
		e.receive_time_ns = FUZZ_FRAME_RECV_NS;
		e.producer_id = fc->ff_producer;
		e.peer = &peer;
		e.record = b->records[i];
		if ((rc = leaf_compute(fuzz_frame_leaf, fuzz_frame_key, &e,
		    hash)) != 0) {
			snprintf(msg, sizeof(msg), "record %zu passed "
			    "batch_check() but has no leaf: %s: %s", i,
			    leaf_strerror(rc),
			    leaf_ctx_errmsg(fuzz_frame_leaf));
			fuzz_frame_fail(msg);
		}
		n = leaf_ctx_units(fuzz_frame_leaf);
		if ((claims = calloc(n > 0 ? n : 1, sizeof(*claims))) == NULL)
			fuzz_frame_fail("out of memory");
		for (j = 0; j < n; j++) {
			u = leaf_ctx_unit(fuzz_frame_leaf, j);
			claims[j].lc_path = u->lu_path;
			claims[j].lc_pathlen = u->lu_pathlen;
			if (j % 2 == 0) {
				claims[j].lc_value = u->lu_value;
				claims[j].lc_valuelen = u->lu_valuelen;
				claims[j].lc_salt = u->lu_salt;
			} else
				claims[j].lc_commit = u->lu_commit;
		}
		msg[0] = '\0';
		rc = leaf_hash_claims(e.index, claims, n, again, msg,
		    sizeof(msg));
		free(claims);
		if (rc != 0)
			fuzz_frame_fail(msg);
		if (memcmp(hash, again, sizeof(hash)) != 0)
			fuzz_frame_fail("a verifier recomputes another leaf "
			    "hash from the units");
	}
}

/* conn_batch(): a Batch before the Hello ends the connection. */
static int
fuzz_frame_batch(struct fuzz_frame_conn *fc, const Algaudit__V1__Batch *b)
{
	char msg[512];
	size_t bad;
	uint64_t last;

	if (!fc->ff_welcomed) {
		fuzz_frame_say("Batch before Hello", "");
		return -1;
	}
	msg[0] = '\0';
	if (batch_check(b->records, b->n_records, fc->ff_durable,
	    fc->ff_last_seq, &bad, msg, sizeof(msg)) == -1) {
		if (bad > b->n_records)
			fuzz_frame_fail("batch_check: offending index past "
			    "the batch");
		if (msg[0] == '\0' || memchr(msg, '\0', sizeof(msg)) == NULL)
			fuzz_frame_fail("batch_check: refusal without a "
			    "message");
		fuzz_frame_say("Batch: INVALID_RECORD", msg);
		return 0;	/* the connection stays */
	}
	if (b->n_records == 0)
		fuzz_frame_fail("batch_check accepted an empty batch");
	last = b->records[b->n_records - 1]->producer_seq;
	if (last > fc->ff_last_seq)
		fc->ff_last_seq = last;
	fuzz_frame_say("Batch: queued to the writer", "");
	fuzz_frame_leaves(fc, b);
	return 0;
}

/*
 * A body the bounded unpack refused. frame.h claims its budget covers
 * the densest valid batch: so if the body is a valid Batch after all
 * (unpacked with a budget FUZZ_FRAME_RETRY times larger), its canonical
 * encoding, as a conforming client writes it, must unpack within the
 * budget. (A non-canonical one, say a sub-message sent many times over
 * and merged, may rightly need more.)
 */
static void
fuzz_frame_budget(const uint8_t *body, size_t blen)
{
	Algaudit__V1__ClientFrame *msg, *again;
	struct frame_alloc fa, fa2;
	char err[512];
	uint8_t *canon;
	size_t clen, bad;

	frame_alloc_init(&fa, FUZZ_FRAME_RETRY * frame_unpack_cap(blen));
	if ((msg = frame_unpack_client(&fa, body, blen)) == NULL)
		return;		/* malformed, or far over any budget */
	if (msg->msg_case != ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH ||
	    batch_check(msg->batch->records, msg->batch->n_records, 0, 0,
	    &bad, err, sizeof(err)) == -1) {
		frame_free_client(&fa, msg);
		return;
	}
	clen = protobuf_c_message_get_packed_size(&msg->base);
	if ((canon = malloc(clen > 0 ? clen : 1)) == NULL)
		fuzz_frame_fail("out of memory");
	protobuf_c_message_pack(&msg->base, canon);
	frame_free_client(&fa, msg);
	frame_alloc_init(&fa2, frame_unpack_cap(clen));
	again = frame_unpack_client(&fa2, canon, clen);
	free(canon);
	if (again == NULL) {
		snprintf(err, sizeof(err), "a valid batch of %zu bytes, "
		    "canonically encoded, needs more than its unpack budget "
		    "of %zu bytes", clen, frame_unpack_cap(clen));
		fuzz_frame_fail(err);
	}
	fuzz_frame_say("a valid Batch over the unpack budget; its canonical "
	    "encoding fits", "");
	frame_free_client(&fa2, again);
}

/*
 * Handles one frame at buf (len bytes left in the input). Returns the
 * bytes it took, or 0 when the connection ends here.
 */
static size_t
fuzz_frame_one(struct fuzz_frame_conn *fc, const uint8_t *buf, size_t len)
{
	Algaudit__V1__ClientFrame *msg;
	struct frame_alloc fa;
	uint8_t *body;
	size_t need, blen;
	int rc;

	switch (frame_decode(buf, len, FRAME_MAX_DEFAULT, &need)) {
	case FRAME_TOO_LARGE:
		fuzz_frame_say("FRAME_TOO_LARGE", "");
		return 0;
	case FRAME_NEED_MORE:
		fuzz_frame_say("end of input mid-frame", "");
		return 0;
	default:
		break;
	}
	blen = need - FRAME_HEADER_LEN;
	/* An exact copy, so that the sanitizer sees any read past it. */
	if ((body = malloc(blen > 0 ? blen : 1)) == NULL)
		fuzz_frame_fail("out of memory");
	memcpy(body, buf + FRAME_HEADER_LEN, blen);
	frame_alloc_init(&fa, frame_unpack_cap(blen));
	msg = frame_unpack_client(&fa, body, blen);
	if (msg == NULL) {
		if (fa.fa_chunks != NULL || fa.fa_used != 0)
			fuzz_frame_fail("failed unpack left its arena");
		fuzz_frame_budget(body, blen);
		free(body);
		fuzz_frame_say("PROTOCOL: not a ClientFrame", "");
		return 0;
	}
	free(body);
	if (fa.fa_used > fa.fa_cap)
		fuzz_frame_fail("unpack took more than its cap");
	switch (msg->msg_case) {
	case ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO:
		rc = fuzz_frame_hello(fc, msg->hello);
		break;
	case ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH:
		rc = fuzz_frame_batch(fc, msg->batch);
		break;
	default:
		fuzz_frame_say("PROTOCOL: no message set", "");
		rc = -1;
		break;
	}
	frame_free_client(&fa, msg);
	return rc == 0 ? need : 0;
}

/* libFuzzer entry point: one connection's bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_frame_conn fc;
	size_t off = 0, n;

	memset(&fc, 0, sizeof(fc));
	while (off < size &&
	    (n = fuzz_frame_one(&fc, data + off, size - off)) > 0)
		off += n;
	return 0;
}
