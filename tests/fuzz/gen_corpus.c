/* SPDX-License-Identifier: ISC */
/*
 * gen_corpus.c: writes the binary seeds of the frame harnesses.
 *
 *	make fuzz-corpus	(runs: gen_corpus tests/fuzz/corpus)
 *
 * fuzz_frame's seeds are what a producer sends the daemon: a Hello,
 * then Batches, encoded with protobuf-c, and one stream framed by the
 * client library's own wire.c. fuzz_server_frame's seeds are what a
 * daemon answers, after the two bytes that set up the client (see
 * fuzz_server_frame.c): Welcomes, Acks matching the batches the client
 * has in flight, and Errors. Each seed is valid protocol except where
 * its name says otherwise. The output is the same on every run.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"
#include "frame.h"

#define GEN_BUF_MAX		(256 * 1024)
#define GEN_EVENT_TIME		INT64_C(1714564800000000000)

/* A seed being built. */
struct gen_buf {
	uint8_t		 gb_data[GEN_BUF_MAX];
	size_t		 gb_len;
};

static const char	*gen_dir;

/* Reports a failure and exits. */
static void
gen_fail(const char *what)
{
	fprintf(stderr, "gen_corpus: %s\n", what);
	exit(1);
}

/* Starts a seed, with the given prefix bytes (the harness's set-up). */
static void
gen_start(struct gen_buf *b, const uint8_t *prefix, size_t len)
{
	if (len > 0)
		memcpy(b->gb_data, prefix, len);
	b->gb_len = len;
}

/* Appends raw bytes. */
static void
gen_raw(struct gen_buf *b, const void *p, size_t len)
{
	if (len > sizeof(b->gb_data) - b->gb_len)
		gen_fail("seed too large");
	memcpy(b->gb_data + b->gb_len, p, len);
	b->gb_len += len;
}

/* Appends msg as a frame. */
static void
gen_frame(struct gen_buf *b, const ProtobufCMessage *msg)
{
	if (frame_size(msg) > sizeof(b->gb_data) - b->gb_len)
		gen_fail("seed too large");
	b->gb_len += frame_encode(msg, b->gb_data + b->gb_len);
}

/* Writes the seed to DIR/harness/name. */
static void
gen_write(const struct gen_buf *b, const char *harness, const char *name)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", gen_dir, harness);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		gen_fail("mkdir");
	snprintf(path, sizeof(path), "%s/%s/%s", gen_dir, harness, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(b->gb_data, 1, b->gb_len, fp) != b->gb_len ||
	    fclose(fp) != 0)
		gen_fail(path);
}

/* Appends a Hello. */
static void
gen_hello(struct gen_buf *b, const char *producer, int checkpointed,
    int leaves)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Hello h = ALGAUDIT__V1__HELLO__INIT;

	h.has_protocol_version = 1;
	h.protocol_version = FRAME_PROTOCOL_VERSION;
	h.producer_id = (char *)(uintptr_t)producer;
	h.client_version = (char *)(uintptr_t)"gen_corpus/1";
	if (checkpointed) {
		h.has_ack_level = 1;
		h.ack_level = ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED;
	}
	if (leaves) {
		h.has_want_leaf_hashes = 1;
		h.want_leaf_hashes = 1;
	}
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO;
	cf.hello = &h;
	gen_frame(b, &cf.base);
}

/* Appends a Batch of the n records at recs. */
static void
gen_batch(struct gen_buf *b, Algaudit__V1__DecisionRecord **recs, size_t n)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Batch batch = ALGAUDIT__V1__BATCH__INIT;

	batch.n_records = n;
	batch.records = recs;
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH;
	cf.batch = &batch;
	gen_frame(b, &cf.base);
}

/* Fills the smallest valid record with seq. */
static void
gen_record_min(Algaudit__V1__DecisionRecord *r, Algaudit__V1__Algorithm *a,
    uint64_t seq)
{
	algaudit__v1__decision_record__init(r);
	algaudit__v1__algorithm__init(a);
	a->id = (char *)(uintptr_t)"credit";
	r->has_producer_seq = 1;
	r->producer_seq = seq;
	r->has_event_time_ns = 1;
	r->event_time_ns = GEN_EVENT_TIME + (int64_t)seq;
	r->algorithm = a;
	r->decision = (char *)(uintptr_t)"approve";
	r->has_data_class = 1;
	r->data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
}

/* The seeds of fuzz_frame. */
static void
gen_client_seeds(void)
{
	static uint8_t digest[32] = { 0xde, 0xad, 0xbe, 0xef };
	static struct gen_buf b;
	Algaudit__V1__DecisionRecord r[4], *rp[4];
	Algaudit__V1__Algorithm a[4];
	Algaudit__V1__Input in[3], *inp[3];
	Algaudit__V1__Attribution at[2], *atp[2];
	Algaudit__V1__Explanation ex = ALGAUDIT__V1__EXPLANATION__INIT;
	Algaudit__V1__Label lb[2], *lbp[2];
	char *reasons[2] = { (char *)(uintptr_t)"R01",
	    (char *)(uintptr_t)"R17" };
	ProtobufCMessageUnknownField unk;
	uint8_t unk_data[1] = { 1 };
	uint8_t wire[4096], enc[1024];
	size_t i, len, n;

	for (i = 0; i < 4; i++) {
		gen_record_min(&r[i], &a[i], i + 1);
		rp[i] = &r[i];
	}

	gen_start(&b, NULL, 0);
	gen_hello(&b, "producer-1", 0, 0);
	gen_write(&b, "fuzz_frame", "hello");

	gen_batch(&b, rp, 1);
	gen_write(&b, "fuzz_frame", "hello-batch");

	/* Every field of a record, several batches. */
	gen_start(&b, NULL, 0);
	gen_hello(&b, "svc.loans@host-7", 1, 1);
	a[1].version = (char *)(uintptr_t)"2.3.1";
	a[1].has_type = 1;
	a[1].type =
	    ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_SCHEDULING_DECISION;
	a[1].filing_number = (char *)(uintptr_t)"\xe5\xa4\x87 110108-2023";
	a[1].has_model_digest = 1;
	a[1].model_digest.data = digest;
	a[1].model_digest.len = sizeof(digest);
	for (i = 0; i < 3; i++) {
		algaudit__v1__input__init(&in[i]);
		inp[i] = &in[i];
	}
	in[0].name = (char *)(uintptr_t)"income";
	in[0].value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
	in[0].number = 52000.5;
	in[0].has_data_class = 1;
	in[0].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	in[1].name = (char *)(uintptr_t)"region";
	in[1].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
	in[1].text = (char *)(uintptr_t)"north \xf0\x9f\x8c\x8d";
	in[1].has_data_class = 1;
	in[1].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	in[2].name = (char *)(uintptr_t)"returning";
	in[2].value_case = ALGAUDIT__V1__INPUT__VALUE_FLAG;
	in[2].flag = 1;
	in[2].has_data_class = 1;
	in[2].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE;
	for (i = 0; i < 2; i++) {
		algaudit__v1__attribution__init(&at[i]);
		atp[i] = &at[i];
		algaudit__v1__label__init(&lb[i]);
		lbp[i] = &lb[i];
	}
	at[0].feature = (char *)(uintptr_t)"income";
	at[0].has_weight = 1;
	at[0].weight = 0.42;
	at[1].feature = (char *)(uintptr_t)"region";
	at[1].has_weight = 1;
	at[1].weight = -0.125;
	ex.n_attributions = 2;
	ex.attributions = atp;
	ex.n_reason_codes = 2;
	ex.reason_codes = reasons;
	ex.text = (char *)(uintptr_t)"income above the threshold";
	lb[0].key = (char *)(uintptr_t)"team";
	lb[0].value = (char *)(uintptr_t)"risk";
	lb[1].key = (char *)(uintptr_t)"env";
	lb[1].value = (char *)(uintptr_t)"prod";
	r[1].subject = (char *)(uintptr_t)"c0ffee42";
	r[1].has_score = 1;
	r[1].score = 0.87;
	r[1].n_inputs = 3;
	r[1].inputs = inp;
	r[1].has_input_digest = 1;
	r[1].input_digest.data = digest;
	r[1].input_digest.len = sizeof(digest);
	r[1].explanation = &ex;
	r[1].has_automation = 1;
	r[1].automation =
	    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_REVIEW_AFTER;
	r[1].reviewer = (char *)(uintptr_t)"reviewer-9";
	r[1].jurisdiction = (char *)(uintptr_t)"CN";
	r[1].purpose = (char *)(uintptr_t)"credit line increase";
	r[1].trace_id = (char *)(uintptr_t)"4bf92f3577b34da6";
	r[1].decision_id = (char *)(uintptr_t)"d-000002";
	r[1].n_labels = 2;
	r[1].labels = lbp;
	r[1].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	gen_batch(&b, rp, 2);
	gen_batch(&b, rp + 2, 2);
	gen_write(&b, "fuzz_frame", "hello-batches-full");

	/* A loss record: no algorithm, no decision. */
	gen_start(&b, NULL, 0);
	gen_hello(&b, "producer-1", 0, 0);
	algaudit__v1__decision_record__init(&r[0]);
	r[0].has_producer_seq = 1;
	r[0].producer_seq = 1;
	r[0].has_event_time_ns = 1;
	r[0].event_time_ns = GEN_EVENT_TIME;
	r[0].has_data_class = 1;
	r[0].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	r[0].has_lost_records = 1;
	r[0].lost_records = 12;
	gen_batch(&b, rp, 1);
	gen_write(&b, "fuzz_frame", "hello-loss-record");

	/* Refused batches keep the connection: each is followed by more. */
	gen_start(&b, NULL, 0);
	gen_hello(&b, "producer-1", 0, 0);
	gen_record_min(&r[0], &a[0], 1);
	r[0].has_score = 1;
	r[0].score = NAN;
	gen_batch(&b, rp, 1);
	gen_record_min(&r[0], &a[0], 1);
	r[0].base.n_unknown_fields = 1;
	r[0].base.unknown_fields = &unk;
	memset(&unk, 0, sizeof(unk));
	unk.tag = 99;
	unk.wire_type = PROTOBUF_C_WIRE_TYPE_VARINT;
	unk.len = sizeof(unk_data);
	unk.data = unk_data;
	gen_batch(&b, rp, 1);
	gen_record_min(&r[0], &a[0], 3);
	gen_record_min(&r[1], &a[1], 2);
	gen_batch(&b, rp, 2);
	gen_batch(&b, rp, 0);
	gen_record_min(&r[0], &a[0], 1);
	r[0].subject = (char *)(uintptr_t)"\xed\xa0\x80";
	gen_batch(&b, rp, 1);
	gen_record_min(&r[0], &a[0], 1);
	gen_batch(&b, rp, 1);
	gen_write(&b, "fuzz_frame", "hello-refused-batches");

	/* The client library's own framing (wire.c): seq after the rest. */
	gen_start(&b, NULL, 0);
	gen_hello(&b, "producer-2", 0, 0);
	len = 0;
	for (i = 0; i < 3; i++) {
		gen_record_min(&r[0], &a[0], 0);
		r[0].has_producer_seq = 0;
		r[0].subject = (char *)(uintptr_t)"subject";
		n = algaudit__v1__decision_record__pack(&r[0], enc);
		len += wire_element_put(wire + WIRE_BATCH_PREFIX + len, enc, n,
		    100 + i);
	}
	n = wire_batch_close(wire, len);
	gen_raw(&b, wire + n, WIRE_BATCH_PREFIX - n + len);
	gen_write(&b, "fuzz_frame", "hello-batch-wire");

	/* Ends of a connection: cut short, too large, a second Hello. */
	gen_start(&b, NULL, 0);
	gen_hello(&b, "producer-1", 0, 0);
	gen_record_min(&r[0], &a[0], 1);
	gen_batch(&b, rp, 1);
	b.gb_len -= 5;
	gen_write(&b, "fuzz_frame", "hello-batch-truncated");
	gen_start(&b, (const uint8_t *)"\xff\xff\xff\xff", 4);
	gen_write(&b, "fuzz_frame", "too-large");
	gen_start(&b, NULL, 0);
	gen_hello(&b, "producer-1", 0, 0);
	gen_hello(&b, "producer-1", 0, 0);
	gen_write(&b, "fuzz_frame", "hello-twice");
}

/* Appends a Welcome. */
static void
gen_welcome(struct gen_buf *b, uint32_t version, uint64_t durable,
    uint64_t log_size, int64_t ckpt)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Welcome w = ALGAUDIT__V1__WELCOME__INIT;

	w.has_protocol_version = 1;
	w.protocol_version = version;
	w.has_durable_seq = 1;
	w.durable_seq = durable;
	w.origin = (char *)(uintptr_t)"host-1/algaudit";
	w.has_log_size = 1;
	w.log_size = log_size;
	w.has_max_frame = 1;
	w.max_frame = FRAME_MAX_DEFAULT;
	w.verifier_key = (char *)(uintptr_t)"host-1/algaudit+5f3d1c2a+"
	    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg=";
	if (ckpt >= 0) {
		w.has_checkpoint_size = 1;
		w.checkpoint_size = (uint64_t)ckpt;
	}
	sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME;
	sf.welcome = &w;
	gen_frame(b, &sf.base);
}

/*
 * Appends an Ack for a batch whose last seq is seq, stored records at
 * first_index, the log then log_size long; leaves adds their hashes.
 */
static void
gen_ack(struct gen_buf *b, uint64_t seq, uint64_t first_index,
    uint32_t stored, uint32_t dups, int64_t ckpt, int leaves)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Ack a = ALGAUDIT__V1__ACK__INIT;
	uint8_t hashes[8 * 32];
	size_t i;

	a.has_producer_seq = 1;
	a.producer_seq = seq;
	a.has_log_size = 1;
	a.log_size = first_index + stored;
	if (stored > 0) {
		a.has_first_index = 1;
		a.first_index = first_index;
	}
	a.has_stored = 1;
	a.stored = stored;
	a.has_duplicates = 1;
	a.duplicates = dups;
	if (ckpt >= 0) {
		a.has_checkpoint_size = 1;
		a.checkpoint_size = (uint64_t)ckpt;
	}
	if (leaves) {
		for (i = 0; i < sizeof(hashes); i++)
			hashes[i] = (uint8_t)(i * 7 + seq);
		a.has_leaf_hashes = 1;
		a.leaf_hashes.data = hashes;
		a.leaf_hashes.len = (size_t)stored * 32;
	}
	sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ACK;
	sf.ack = &a;
	gen_frame(b, &sf.base);
}

/* Appends an Error. */
static void
gen_error(struct gen_buf *b, int code, const char *msg, uint64_t seq,
    int fatal)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Error e = ALGAUDIT__V1__ERROR__INIT;

	e.has_code = 1;
	e.code = (Algaudit__V1__ErrorCode)code;
	e.message = (char *)(uintptr_t)msg;
	if (seq > 0) {
		e.has_producer_seq = 1;
		e.producer_seq = seq;
	}
	e.has_fatal = 1;
	e.fatal = fatal;
	sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR;
	sf.error = &e;
	gen_frame(b, &sf.base);
}

/*
 * fuzz_server_frame's set-up byte: ack level, leaf hashes, batch size,
 * records logged before connecting, sync waiters.
 */
static uint8_t
gen_flags(int checkpointed, int leaves, unsigned batch, unsigned records,
    int sync)
{
	return (uint8_t)((checkpointed ? 0x01 : 0) | (leaves ? 0x02 : 0) |
	    ((batch - 1) & 0x03) << 2 | (records & 0x07) << 4 |
	    (sync ? 0x80 : 0));
}

/* The seeds of fuzz_server_frame. */
static void
gen_server_seeds(void)
{
	static struct gen_buf b;
	uint8_t p[2];

	p[1] = 0;	/* one frame at a time */

	p[0] = gen_flags(0, 0, 1, 0, 0);
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 0, -1);
	gen_write(&b, "fuzz_server_frame", "welcome");

	/* Three batches of one record, acked one by one. */
	p[0] = gen_flags(0, 0, 1, 3, 0);
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 10, -1);
	gen_ack(&b, 1, 10, 1, 0, -1, 0);
	gen_ack(&b, 2, 11, 1, 0, -1, 0);
	gen_ack(&b, 3, 12, 1, 0, -1, 0);
	gen_write(&b, "fuzz_server_frame", "welcome-acks");

	/* The same bytes in chunks of 3, cutting through every frame. */
	b.gb_data[1] = 3;
	gen_write(&b, "fuzz_server_frame", "welcome-acks-chunked");

	/* Batches of two; the second one partly duplicates. */
	p[0] = gen_flags(0, 0, 2, 4, 1);
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 0, -1);
	gen_ack(&b, 2, 0, 2, 0, -1, 0);
	gen_ack(&b, 4, 2, 1, 1, -1, 0);
	gen_write(&b, "fuzz_server_frame", "welcome-acks-batch2-sync");

	/* Checkpointed acks with leaf hashes, receipts for sync waiters. */
	p[0] = gen_flags(1, 1, 2, 3, 1);
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 5, 5);
	gen_ack(&b, 2, 5, 2, 0, 7, 1);
	gen_ack(&b, 3, 7, 1, 0, 8, 1);
	gen_write(&b, "fuzz_server_frame", "checkpointed-leaves-sync");

	/* A refused batch, then an ack for the next. */
	p[0] = gen_flags(0, 0, 1, 2, 1);
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 0, -1);
	gen_error(&b, ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD,
	    "record seq 1 (batch index 0): subject: not valid UTF-8", 1, 0);
	gen_ack(&b, 2, 0, 1, 0, -1, 0);
	gen_write(&b, "fuzz_server_frame", "invalid-record-then-ack");

	/* A failed commit: reconnect, resend, durable mark, acks. */
	p[0] = gen_flags(0, 0, 1, 3, 0);
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 0, -1);
	gen_ack(&b, 1, 0, 1, 0, -1, 0);
	gen_error(&b, ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FAILED,
	    "batch not stored, resend from seq 2: MDB_MAP_FULL", 0, 0);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 2, 2, -1);
	gen_ack(&b, 3, 2, 1, 0, -1, 0);
	gen_write(&b, "fuzz_server_frame", "store-failed-reconnect");

	/* The errors that end a connection, and a wrong version. */
	p[0] = gen_flags(0, 0, 1, 1, 0);
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 0, -1);
	gen_error(&b, ALGAUDIT__V1__ERROR_CODE__ERROR_FENCED,
	    "producer_id 'fuzz-producer' was taken by a newer connection", 0,
	    1);
	gen_write(&b, "fuzz_server_frame", "fenced");
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 0, 0, -1);
	gen_error(&b, ALGAUDIT__V1__ERROR_CODE__ERROR_SHUTTING_DOWN,
	    "the daemon is shutting down; reconnect later", 0, 1);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION, 1, 1, -1);
	gen_write(&b, "fuzz_server_frame", "shutting-down-durable");
	gen_start(&b, p, 2);
	gen_welcome(&b, FRAME_PROTOCOL_VERSION + 1, 0, 0, -1);
	gen_error(&b, ALGAUDIT__V1__ERROR_CODE__ERROR_VERSION,
	    "protocol_version 1 is not supported", 0, 1);
	gen_write(&b, "fuzz_server_frame", "version");
}

/* Writes every seed under the directory given. */
int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	gen_dir = argv[1];
	gen_client_seeds();
	gen_server_seeds();
	return 0;
}
