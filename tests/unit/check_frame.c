/* SPDX-License-Identifier: ISC */
/*
 * check_frame.c: unit tests of the length-prefix framing and the
 * bounded unpacking in proto/frame.c: every length the header can
 * announce against the maximum (short headers, empty frames, exactly
 * the maximum, one above, 0xffffffff, partial bodies, frames back to
 * back), encode/decode round trips of both directions, the capped
 * allocator refusing a message that expands beyond its cap, and
 * garbage bodies that must unpack to NULL.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "record.h"

#define MAX	FRAME_MAX_DEFAULT

/* Writes a header announcing n body bytes into buf. */
static void
hdr(uint8_t *buf, uint32_t n)
{
	frame_put_header(buf, n);
}

START_TEST(test_decode_short_header)
{
	uint8_t buf[4] = { 0, 0, 0, 0 };
	size_t need = 99, len;

	for (len = 0; len < FRAME_HEADER_LEN; len++) {
		need = 99;
		ck_assert_int_eq(frame_decode(buf, len, MAX, &need),
		    FRAME_NEED_MORE);
		ck_assert_uint_eq(need, FRAME_HEADER_LEN);
	}
}
END_TEST

START_TEST(test_decode_empty_frame)
{
	uint8_t buf[4];
	size_t need = 0;

	hdr(buf, 0);
	ck_assert_int_eq(frame_decode(buf, 4, MAX, &need), FRAME_OK);
	ck_assert_uint_eq(need, 4);
}
END_TEST

START_TEST(test_decode_exactly_max)
{
	uint8_t *buf;
	size_t need = 0;

	buf = calloc(1, MAX + 4);
	ck_assert_ptr_nonnull(buf);
	hdr(buf, MAX);
	/* Only the header so far: more is needed, not an error. */
	ck_assert_int_eq(frame_decode(buf, 4, MAX, &need), FRAME_NEED_MORE);
	ck_assert_uint_eq(need, (size_t)MAX + 4);
	ck_assert_int_eq(frame_decode(buf, MAX + 3, MAX, &need),
	    FRAME_NEED_MORE);
	ck_assert_int_eq(frame_decode(buf, MAX + 4, MAX, &need), FRAME_OK);
	ck_assert_uint_eq(need, (size_t)MAX + 4);
	free(buf);
}
END_TEST

START_TEST(test_decode_max_plus_one)
{
	uint8_t buf[4];
	size_t need = 0;

	hdr(buf, MAX + 1);
	/* Refused from the header alone, before any body byte. */
	ck_assert_int_eq(frame_decode(buf, 4, MAX, &need), FRAME_TOO_LARGE);
	ck_assert_uint_eq(need, (size_t)MAX + 5);
}
END_TEST

START_TEST(test_decode_all_ones)
{
	uint8_t buf[4] = { 0xff, 0xff, 0xff, 0xff };
	size_t need = 0;

	ck_assert_int_eq(frame_decode(buf, 4, MAX, &need), FRAME_TOO_LARGE);
	ck_assert_uint_eq(need, (size_t)0xffffffffu + 4);
	ck_assert_int_eq(frame_decode(buf, 4, FRAME_MAX_LIMIT, &need),
	    FRAME_TOO_LARGE);
}
END_TEST

START_TEST(test_decode_ascii_garbage)
{
	const uint8_t *get = (const uint8_t *)"GET / HTTP/1.1\r\n";
	size_t need = 0;

	/* "GET " announces 0x47455420 bytes. */
	ck_assert_int_eq(frame_decode(get, 16, MAX, &need), FRAME_TOO_LARGE);
	ck_assert_uint_eq(need, (size_t)0x47455420u + 4);
}
END_TEST

START_TEST(test_decode_partial_body)
{
	uint8_t buf[4 + 10];
	size_t need = 0, len;

	memset(buf, 0x55, sizeof(buf));
	hdr(buf, 10);
	for (len = 4; len < sizeof(buf); len++) {
		ck_assert_int_eq(frame_decode(buf, len, MAX, &need),
		    FRAME_NEED_MORE);
		ck_assert_uint_eq(need, 14);
	}
	ck_assert_int_eq(frame_decode(buf, sizeof(buf), MAX, &need),
	    FRAME_OK);
}
END_TEST

START_TEST(test_decode_back_to_back)
{
	uint8_t buf[4 + 3 + 4 + 0 + 4 + 2];
	size_t need = 0, off = 0, len = sizeof(buf);

	hdr(buf, 3);
	memcpy(buf + 4, "abc", 3);
	hdr(buf + 7, 0);
	hdr(buf + 11, 2);
	memcpy(buf + 15, "xy", 2);

	ck_assert_int_eq(frame_decode(buf + off, len - off, MAX, &need),
	    FRAME_OK);
	ck_assert_uint_eq(need, 7);
	off += need;
	ck_assert_int_eq(frame_decode(buf + off, len - off, MAX, &need),
	    FRAME_OK);
	ck_assert_uint_eq(need, 4);
	off += need;
	ck_assert_int_eq(frame_decode(buf + off, len - off, MAX, &need),
	    FRAME_OK);
	ck_assert_uint_eq(need, 6);
	ck_assert_mem_eq(buf + off + 4, "xy", 2);
	off += need;
	ck_assert_uint_eq(off, len);
	ck_assert_int_eq(frame_decode(buf + off, 0, MAX, &need),
	    FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_decode_configured_max)
{
	uint8_t buf[4];
	size_t need = 0;

	hdr(buf, FRAME_MIN_LIMIT);
	ck_assert_int_eq(frame_decode(buf, 4, FRAME_MIN_LIMIT, &need),
	    FRAME_NEED_MORE);
	hdr(buf, FRAME_MIN_LIMIT + 1);
	ck_assert_int_eq(frame_decode(buf, 4, FRAME_MIN_LIMIT, &need),
	    FRAME_TOO_LARGE);
}
END_TEST

START_TEST(test_header_byte_order)
{
	uint8_t buf[4];
	static const uint32_t v[] = { 0, 1, 0xff, 0x100, 0x01020304,
	    0x7fffffff, 0x80000000, 0xffffffff };
	size_t i;

	frame_put_header(buf, 0x01020304);
	ck_assert_uint_eq(buf[0], 1);
	ck_assert_uint_eq(buf[1], 2);
	ck_assert_uint_eq(buf[2], 3);
	ck_assert_uint_eq(buf[3], 4);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		frame_put_header(buf, v[i]);
		ck_assert_uint_eq(frame_body_len(buf), v[i]);
	}
}
END_TEST

START_TEST(test_roundtrip_hello)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Hello h = ALGAUDIT__V1__HELLO__INIT;
	Algaudit__V1__ClientFrame *got;
	struct frame_alloc fa;
	uint8_t *buf;
	size_t n, need = 0;

	h.has_protocol_version = 1;
	h.protocol_version = FRAME_PROTOCOL_VERSION;
	h.producer_id = (char *)(uintptr_t)"credit-api@host-7";
	h.client_version = (char *)(uintptr_t)"test";
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO;
	cf.hello = &h;

	n = frame_size(&cf.base);
	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(frame_encode(&cf.base, buf), n);
	ck_assert_int_eq(frame_decode(buf, n, MAX, &need), FRAME_OK);
	ck_assert_uint_eq(need, n);
	ck_assert_uint_eq(frame_body_len(buf), n - 4);

	frame_alloc_init(&fa, frame_unpack_cap(n - 4));
	got = frame_unpack_client(&fa, buf + 4, n - 4);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->msg_case, ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO);
	ck_assert(got->hello->has_protocol_version);
	ck_assert_uint_eq(got->hello->protocol_version, 1);
	ck_assert_str_eq(got->hello->producer_id, "credit-api@host-7");
	ck_assert_str_eq(got->hello->client_version, "test");
	ck_assert_uint_gt(fa.fa_used, 0);
	frame_free_client(&fa, got);
	ck_assert_uint_eq(fa.fa_used, 0);
	free(buf);
}
END_TEST

START_TEST(test_roundtrip_server_frames)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Ack ack = ALGAUDIT__V1__ACK__INIT;
	Algaudit__V1__Error err = ALGAUDIT__V1__ERROR__INIT;
	Algaudit__V1__ServerFrame *got;
	struct frame_alloc fa;
	uint8_t buf[512];
	size_t n;

	ack.has_producer_seq = ack.has_log_size = ack.has_stored = 1;
	ack.producer_seq = UINT64_MAX;
	ack.log_size = 12345;
	ack.stored = 7;
	sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ACK;
	sf.ack = &ack;
	ck_assert_uint_le(frame_size(&sf.base), sizeof(buf));
	n = frame_encode(&sf.base, buf);
	frame_alloc_init(&fa, frame_unpack_cap(n - 4));
	got = frame_unpack_server(&fa, buf + 4, n - 4);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->msg_case, ALGAUDIT__V1__SERVER_FRAME__MSG_ACK);
	ck_assert_uint_eq(got->ack->producer_seq, UINT64_MAX);
	ck_assert_uint_eq(got->ack->log_size, 12345);
	ck_assert_uint_eq(got->ack->stored, 7);
	ck_assert(!got->ack->has_first_index);
	frame_free_server(&fa, got);

	err.has_code = err.has_fatal = err.has_producer_seq = 1;
	err.code = ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD;
	err.message = (char *)(uintptr_t)"record seq 42 (batch index 3): x";
	err.producer_seq = 42;
	sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR;
	sf.error = &err;
	n = frame_encode(&sf.base, buf);
	frame_alloc_init(&fa, frame_unpack_cap(n - 4));
	got = frame_unpack_server(&fa, buf + 4, n - 4);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->error->code,
	    ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD);
	ck_assert_str_eq(got->error->message,
	    "record seq 42 (batch index 3): x");
	ck_assert_uint_eq(got->error->producer_seq, 42);
	ck_assert(!got->error->fatal);
	frame_free_server(&fa, got);
	ck_assert_uint_eq(fa.fa_used, 0);
}
END_TEST

/*
 * Builds a Batch body of n empty records: 2 bytes each on the wire, a
 * whole DecisionRecord struct each once unpacked.
 */
static uint8_t *
hostile_batch(size_t n, size_t *lenp)
{
	uint8_t *p, *buf;
	size_t inner = 2 * n, len, i;

	/* ClientFrame.batch (field 2, length-delimited) { records... } */
	buf = malloc(inner + 16);
	ck_assert_ptr_nonnull(buf);
	p = buf;
	*p++ = 0x12;
	len = inner;
	do {
		*p = (uint8_t)(len & 0x7f);
		len >>= 7;
		if (len)
			*p |= 0x80;
		p++;
	} while (len);
	for (i = 0; i < n; i++) {
		*p++ = 0x0a;	/* Batch.records, length-delimited */
		*p++ = 0x00;	/* empty DecisionRecord */
	}
	*lenp = (size_t)(p - buf);
	return buf;
}

START_TEST(test_alloc_refuses_expansion)
{
	Algaudit__V1__ClientFrame *got;
	struct frame_alloc fa;
	uint8_t *body;
	size_t len;

	body = hostile_batch(20000, &len);
	/* 40 KB on the wire, several MB unpacked: over the cap. */
	frame_alloc_init(&fa, frame_unpack_cap(len));
	ck_assert_uint_gt(20000 * sizeof(Algaudit__V1__DecisionRecord),
	    frame_unpack_cap(len));
	got = frame_unpack_client(&fa, body, len);
	ck_assert_ptr_null(got);
	/* Everything protobuf-c took on the way was given back. */
	ck_assert_uint_eq(fa.fa_used, 0);

	/* The same bytes unpack with room: it was the cap that refused. */
	frame_alloc_init(&fa, (size_t)64 << 20);
	got = frame_unpack_client(&fa, body, len);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->msg_case, ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH);
	ck_assert_uint_eq(got->batch->n_records, 20000);
	ck_assert_uint_gt(fa.fa_used, frame_unpack_cap(len));
	frame_free_client(&fa, got);
	ck_assert_uint_eq(fa.fa_used, 0);
	free(body);
}
END_TEST

/*
 * The smallest valid records expand most when unpacked (one struct per
 * sub-message for a few bytes on the wire); a batch of them must still
 * fit the budget, or a valid producer would be refused as a protocol
 * error forever (found in review: 25 bytes -> 460 unpacked).
 */
START_TEST(test_alloc_minimal_valid_records_fit)
{
	enum { N = 20000 };
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT, *got;
	Algaudit__V1__Batch b = ALGAUDIT__V1__BATCH__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__DecisionRecord *recs, **ptrs;
	struct frame_alloc fa;
	char err[RECORD_ERRLEN];
	uint8_t *buf;
	size_t i, len;

	recs = calloc(N, sizeof(*recs));
	ptrs = calloc(N, sizeof(*ptrs));
	ck_assert_ptr_nonnull(recs);
	ck_assert_ptr_nonnull(ptrs);
	a.id = (char *)(uintptr_t)"a";
	for (i = 0; i < N; i++) {
		algaudit__v1__decision_record__init(&recs[i]);
		recs[i].has_producer_seq = 1;
		recs[i].producer_seq = i + 1;
		recs[i].has_event_time_ns = 1;
		recs[i].event_time_ns = 1;
		recs[i].algorithm = &a;
		recs[i].decision = (char *)(uintptr_t)"y";
		recs[i].has_data_class = 1;
		recs[i].data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
		ptrs[i] = &recs[i];
	}
	b.n_records = N;
	b.records = ptrs;
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH;
	cf.batch = &b;
	len = algaudit__v1__client_frame__get_packed_size(&cf);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	algaudit__v1__client_frame__pack(&cf, buf);
	ck_assert_uint_lt(len / N, 24);		/* a few bytes each */

	frame_alloc_init(&fa, frame_unpack_cap(len));
	got = frame_unpack_client(&fa, buf, len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->batch->n_records, N);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(record_validate(got->batch->records[i], err,
		    sizeof(err)), 0);
	frame_free_client(&fa, got);
	free(buf);
	free(ptrs);
	free(recs);
}
END_TEST

START_TEST(test_alloc_cap_zero)
{
	uint8_t body[] = { 0x0a, 0x00 };	/* ClientFrame.hello, empty */
	struct frame_alloc fa;

	frame_alloc_init(&fa, 0);
	ck_assert_ptr_null(frame_unpack_client(&fa, body, sizeof(body)));
	ck_assert_uint_eq(fa.fa_used, 0);
}
END_TEST

START_TEST(test_unpack_cap_formula)
{
	ck_assert_uint_eq(frame_unpack_cap(0), FRAME_UNPACK_SLACK);
	ck_assert_uint_eq(frame_unpack_cap(100),
	    100 * FRAME_UNPACK_FACTOR + FRAME_UNPACK_SLACK);
}
END_TEST

/* Garbage bodies: each must unpack to NULL without leaking. */
static const struct {
	const char	*name;
	const char	*bytes;
	size_t		 len;
} garbage[] = {
	{ "all ones", "\xff\xff\xff\xff\xff\xff\xff\xff", 8 },
	{ "truncated varint", "\x08\x80", 2 },
	{ "length past the end", "\x0a\x10\x08\x01", 4 },
	{ "hello with a bad inner length", "\x0a\x03\x12\x05" "ab", 5 },
	{ "field number zero", "\x00\x01", 2 },
	{ "bad wire type 7", "\x0f\x01", 2 },
	{ "truncated fixed64", "\x09\x01\x02\x03", 4 },
	{ "HTTP request", "GET / HTTP/1.1\r\n", 16 },
	{ "record with a truncated string", "\x12\x05\x0a\x03\x2a\x05x", 7 },
};

START_TEST(test_garbage_bodies)
{
	Algaudit__V1__ClientFrame *got;
	struct frame_alloc fa;
	size_t len = garbage[_i].len;

	frame_alloc_init(&fa, frame_unpack_cap(len));
	got = frame_unpack_client(&fa, (const uint8_t *)garbage[_i].bytes,
	    len);
	if (got != NULL)
		ck_abort_msg("garbage '%s' unpacked", garbage[_i].name);
	ck_assert_uint_eq(fa.fa_used, 0);
}
END_TEST

START_TEST(test_empty_body_is_unset)
{
	Algaudit__V1__ClientFrame *got;
	struct frame_alloc fa;

	/* A zero-length frame is a ClientFrame with nothing set. */
	frame_alloc_init(&fa, frame_unpack_cap(0));
	got = frame_unpack_client(&fa, (const uint8_t *)"", 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->msg_case,
	    ALGAUDIT__V1__CLIENT_FRAME__MSG__NOT_SET);
	frame_free_client(&fa, got);
	frame_free_client(&fa, NULL);
	frame_free_server(&fa, NULL);
	ck_assert_uint_eq(fa.fa_used, 0);
}
END_TEST

START_TEST(test_error_code_names)
{
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL), "PROTOCOL");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_FRAME_TOO_LARGE),
	    "FRAME_TOO_LARGE");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD),
	    "INVALID_RECORD");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED), "UNAUTHORIZED");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FULL), "STORE_FULL");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_SHUTTING_DOWN), "SHUTTING_DOWN");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_VERSION), "VERSION");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_FENCED), "FENCED");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FAILED), "STORE_FAILED");
	ck_assert_str_eq(frame_strerror_code(
	    ALGAUDIT__V1__ERROR_CODE__ERROR_INTERNAL), "INTERNAL");
	ck_assert_str_eq(frame_strerror_code(0), "UNKNOWN");
	ck_assert_str_eq(frame_strerror_code(99), "UNKNOWN");
}
END_TEST

/* One suite for the module, one TCase per function family. */
static Suite *
frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_test(tc, test_decode_short_header);
	tcase_add_test(tc, test_decode_empty_frame);
	tcase_add_test(tc, test_decode_exactly_max);
	tcase_add_test(tc, test_decode_max_plus_one);
	tcase_add_test(tc, test_decode_all_ones);
	tcase_add_test(tc, test_decode_ascii_garbage);
	tcase_add_test(tc, test_decode_partial_body);
	tcase_add_test(tc, test_decode_back_to_back);
	tcase_add_test(tc, test_decode_configured_max);
	tcase_add_test(tc, test_header_byte_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, test_roundtrip_hello);
	tcase_add_test(tc, test_roundtrip_server_frames);
	tcase_add_test(tc, test_error_code_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("unpack");
	tcase_add_test(tc, test_alloc_refuses_expansion);
	tcase_add_test(tc, test_alloc_minimal_valid_records_fit);
	tcase_add_test(tc, test_alloc_cap_zero);
	tcase_add_test(tc, test_unpack_cap_formula);
	tcase_add_loop_test(tc, test_garbage_bodies, 0,
	    (int)(sizeof(garbage) / sizeof(garbage[0])));
	tcase_add_test(tc, test_empty_body_is_unset);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(frame_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
