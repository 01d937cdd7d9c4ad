/* SPDX-License-Identifier: ISC */
/*
 * check_wire.c: unit tests of the hand-written encodings (wire.c): the
 * Batch elements with the seq appended after the record's fields are
 * decoded by protobuf-c and compared with what was logged, the frame
 * prefix is right for every varint length, and the Hello frame.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algaudit.h"
#include "client.h"
#include "frame.h"

START_TEST(test_varint)
{
	static const uint64_t v[] = { 0, 1, 127, 128, 300, 16383, 16384,
	    (1ull << 32) - 1, 1ull << 35, UINT64_MAX };
	uint8_t buf[WIRE_VARINT_MAX];
	size_t i, n, k;
	uint64_t back;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = wire_varint_put(buf, v[i]);
		ck_assert_uint_eq(n, wire_varint_len(v[i]));
		back = 0;
		for (k = 0; k < n; k++)
			back |= (uint64_t)(buf[k] & 0x7f) << (7 * k);
		ck_assert_uint_eq(back, v[i]);
		ck_assert_uint_eq(buf[n - 1] & 0x80, 0);
	}
	ck_assert_uint_eq(wire_varint_len(UINT64_MAX), 10);
}
END_TEST

/* Encodes a record built with the builder, without seq, into buf. */
static size_t
encode(const char *decision, int ninputs, uint8_t *buf, size_t cap)
{
	struct algaudit_record *r;
	Algaudit__V1__DecisionRecord m;
	char name[16];
	size_t len;
	int i;

	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(algaudit_record_set_algorithm(r, "algo", "v1"), 0);
	ck_assert_int_eq(algaudit_record_set_decision(r, decision), 0);
	ck_assert_int_eq(algaudit_record_set_data_class(r, 2), 0);
	for (i = 0; i < ninputs; i++) {
		snprintf(name, sizeof(name), "in%d", i);
		ck_assert_int_eq(algaudit_record_add_input_text(r, name,
		    "some text value", 1), 0);
	}
	ck_assert_int_eq(builder_prepare(r, &m, 1234), 0);
	len = protobuf_c_message_get_packed_size(&m.base);
	ck_assert_uint_le(len, cap);
	len = protobuf_c_message_pack(&m.base, buf);
	algaudit_record_free(r);
	return len;
}

START_TEST(test_batch_decodes)
{
	static const uint64_t seqs[] = { 1, 127, 128, 1ull << 20,
	    1795888161398938ull, UINT64_MAX - 1 };
	uint8_t *buf, rec[65536];
	size_t n = sizeof(seqs) / sizeof(seqs[0]), len = 0, rlen, start, i;
	char d[32];
	Algaudit__V1__ClientFrame *cf;
	struct frame_alloc fa;
	size_t need;

	buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < n; i++) {
		snprintf(d, sizeof(d), "decision-%zu", i);
		/* Record sizes around the 1- and 2-byte length varints. */
		rlen = encode(d, (int)(i * 3), rec, sizeof(rec));
		ck_assert_uint_eq(wire_element_put(buf + WIRE_BATCH_PREFIX +
		    len, rec, rlen, seqs[i]), wire_element_len(rlen, seqs[i]));
		len += wire_element_len(rlen, seqs[i]);
	}
	start = wire_batch_close(buf, len);
	ck_assert_int_eq(frame_decode(buf + start, WIRE_BATCH_PREFIX - start +
	    len, FRAME_MAX_DEFAULT, &need), FRAME_OK);
	ck_assert_uint_eq(need, WIRE_BATCH_PREFIX - start + len);
	frame_alloc_init(&fa, frame_unpack_cap(need));
	cf = frame_unpack_client(&fa, buf + start + FRAME_HEADER_LEN,
	    need - FRAME_HEADER_LEN);
	ck_assert_ptr_nonnull(cf);
	ck_assert_int_eq(cf->msg_case, ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH);
	ck_assert_uint_eq(cf->batch->n_records, n);
	for (i = 0; i < n; i++) {
		snprintf(d, sizeof(d), "decision-%zu", i);
		ck_assert(cf->batch->records[i]->has_producer_seq);
		ck_assert_uint_eq(cf->batch->records[i]->producer_seq,
		    seqs[i]);
		ck_assert_str_eq(cf->batch->records[i]->decision, d);
		ck_assert_str_eq(cf->batch->records[i]->algorithm->id, "algo");
		ck_assert_uint_eq(cf->batch->records[i]->n_inputs, i * 3);
		ck_assert_int_eq(cf->batch->records[i]->event_time_ns, 1234);
	}
	frame_free_client(&fa, cf);
	free(buf);
}
END_TEST

START_TEST(test_batch_prefix_lengths)
{
	uint8_t *buf;
	size_t lens[] = { 1, 127, 128, 16383, 16384, 2097151, 2097152 };
	size_t i, start;

	buf = calloc(1, WIRE_BATCH_PREFIX + 2097152);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		start = wire_batch_close(buf, lens[i]);
		ck_assert_uint_eq(frame_body_len(buf + start),
		    WIRE_BATCH_PREFIX - start - FRAME_HEADER_LEN + lens[i]);
		ck_assert_uint_eq(buf[start + FRAME_HEADER_LEN], 0x12);
	}
	free(buf);
}
END_TEST

START_TEST(test_hello)
{
	uint8_t buf[512];
	Algaudit__V1__ClientFrame *cf;
	size_t n;

	n = wire_hello(buf, sizeof(buf), "credit-api@host-7",
	    ALGAUDIT_ACK_DURABLE, 0);
	ck_assert_uint_gt(n, FRAME_HEADER_LEN);
	ck_assert_uint_eq(frame_body_len(buf), n - FRAME_HEADER_LEN);
	cf = algaudit__v1__client_frame__unpack(NULL, n - FRAME_HEADER_LEN,
	    buf + FRAME_HEADER_LEN);
	ck_assert_ptr_nonnull(cf);
	ck_assert_int_eq(cf->msg_case, ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO);
	ck_assert_uint_eq(cf->hello->protocol_version, 1);
	ck_assert_str_eq(cf->hello->producer_id, "credit-api@host-7");
	ck_assert_str_eq(cf->hello->client_version, "libalgaudit/"
	    ALGAUDIT_VERSION_STRING);
	/* The defaults are left out: an older daemon sees the same Hello. */
	ck_assert_int_eq(cf->hello->has_ack_level, 0);
	ck_assert_int_eq(cf->hello->has_want_leaf_hashes, 0);
	algaudit__v1__client_frame__free_unpacked(cf, NULL);
	ck_assert_uint_eq(wire_hello(buf, 8, "x", ALGAUDIT_ACK_DURABLE, 0), 0);
}
END_TEST

START_TEST(test_hello_levels)
{
	uint8_t buf[512];
	Algaudit__V1__ClientFrame *cf;
	size_t n;

	n = wire_hello(buf, sizeof(buf), "p", ALGAUDIT_ACK_CHECKPOINTED, 1);
	ck_assert_uint_gt(n, FRAME_HEADER_LEN);
	cf = algaudit__v1__client_frame__unpack(NULL, n - FRAME_HEADER_LEN,
	    buf + FRAME_HEADER_LEN);
	ck_assert_ptr_nonnull(cf);
	ck_assert_int_eq(cf->hello->has_ack_level, 1);
	ck_assert_int_eq(cf->hello->ack_level,
	    ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED);
	ck_assert_int_eq(cf->hello->has_want_leaf_hashes, 1);
	ck_assert_int_eq(cf->hello->want_leaf_hashes, 1);
	algaudit__v1__client_frame__free_unpacked(cf, NULL);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("encoding");

	tcase_add_test(tc, test_varint);
	tcase_add_test(tc, test_batch_decodes);
	tcase_add_test(tc, test_batch_prefix_lengths);
	tcase_add_test(tc, test_hello);
	tcase_add_test(tc, test_hello_levels);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
