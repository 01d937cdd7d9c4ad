/* SPDX-License-Identifier: ISC */
/*
 * check_builder.c: unit tests of the record builder (builder.c).
 *
 * Every setter is tried with good values and with each bad value the
 * protocol refuses; a refusal must name the field and leave the record
 * byte for byte as it was (checked by encoding it before and after).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algaudit.h"
#include "client.h"
#include "record.h"

static struct algaudit_record *rec;

/* A record with its required fields set. */
static void
setup(void)
{
	ck_assert_int_eq(algaudit_record_new(&rec), 0);
	ck_assert_int_eq(algaudit_record_set_algorithm(rec, "credit", "1.0"),
	    0);
	ck_assert_int_eq(algaudit_record_set_decision(rec, "approve"), 0);
	ck_assert_int_eq(algaudit_record_set_data_class(rec,
	    ALGAUDIT_CLASS_ORDINARY), 0);
}

static void
teardown(void)
{
	algaudit_record_free(rec);
	rec = NULL;
}

/* Encodes rec (as algaudit_log would, fixed time); returns the length. */
static size_t
snapshot(struct algaudit_record *r, uint8_t *buf, size_t cap)
{
	Algaudit__V1__DecisionRecord m;
	size_t len;

	ck_assert_int_eq(builder_prepare(r, &m, 1), 0);
	len = protobuf_c_message_get_packed_size(&m.base);
	ck_assert_uint_le(len, cap);
	return protobuf_c_message_pack(&m.base, buf);
}

/* Returns a string of n copies of c (static buffer). */
static const char *
repeat(char c, size_t n)
{
	static char buf[8192];

	ck_assert_uint_lt(n, sizeof(buf));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/*
 * Checks that a refused call returned EINVAL with an error starting with
 * field, and that the record did not change.
 */
#define CHECK_REFUSED(call, field)					\
	do {								\
		uint8_t b1_[1 << 16], b2_[1 << 16];			\
		size_t l1_, l2_;					\
		l1_ = snapshot(rec, b1_, sizeof(b1_));			\
		ck_assert_int_eq((call), ALGAUDIT_EINVAL);		\
		ck_assert_msg(strncmp(algaudit_record_error(rec),	\
		    (field), strlen(field)) == 0,			\
		    "error '%s' does not name '%s'",			\
		    algaudit_record_error(rec), (field));		\
		l2_ = snapshot(rec, b2_, sizeof(b2_));			\
		ck_assert_uint_eq(l1_, l2_);				\
		ck_assert(memcmp(b1_, b2_, l1_) == 0);			\
	} while (0)

START_TEST(test_required_fields)
{
	struct algaudit_record *r;
	Algaudit__V1__DecisionRecord m;

	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(algaudit_record_validate(r), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(r),
	    "algorithm.id: required, missing or empty");
	ck_assert_int_eq(builder_prepare(r, &m, 1), ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_record_set_algorithm_type(r, 3), 0);
	ck_assert_int_eq(builder_prepare(r, &m, 1), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(r),
	    "algorithm.id: required, missing or empty");
	ck_assert_int_eq(algaudit_record_set_algorithm(r, "a", NULL), 0);
	ck_assert_int_eq(builder_prepare(r, &m, 1), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(r),
	    "decision: required, missing or empty");
	ck_assert_int_eq(algaudit_record_validate(r), ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_record_set_decision(r, "d"), 0);
	ck_assert_int_eq(builder_prepare(r, &m, 1), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(r), "data_class: required, "
	    "unspecified (ordinary, important or core)");
	ck_assert_int_eq(algaudit_record_set_data_class(r, 3), 0);
	ck_assert_int_eq(builder_prepare(r, &m, 7), 0);
	ck_assert_str_eq(algaudit_record_error(r), "");
	ck_assert(!m.has_producer_seq);
	ck_assert(m.has_event_time_ns && m.event_time_ns == 7);
	ck_assert_int_eq(algaudit_record_validate(r), 0);
	algaudit_record_free(r);
	algaudit_record_free(NULL);
}
END_TEST

START_TEST(test_strings)
{
	/* Every optional string: limit, limit + 1, invalid UTF-8. */
	static const struct {
		const char *field;
		int (*set)(struct algaudit_record *, const char *);
		size_t max;
	} f[] = {
		{ "algorithm.filing_number", algaudit_record_set_filing_number,
		    RECORD_MAX_FILING },
		{ "subject", algaudit_record_set_subject, RECORD_MAX_SUBJECT },
		{ "explanation.text", algaudit_record_set_explanation_text,
		    RECORD_MAX_TEXT },
		{ "reviewer", algaudit_record_set_reviewer, RECORD_MAX_ID },
		{ "jurisdiction", algaudit_record_set_jurisdiction,
		    RECORD_MAX_SHORT },
		{ "purpose", algaudit_record_set_purpose, RECORD_MAX_PURPOSE },
		{ "trace_id", algaudit_record_set_trace_id, RECORD_MAX_ID },
		{ "decision_id", algaudit_record_set_decision_id,
		    RECORD_MAX_ID },
		{ "decision", algaudit_record_set_decision, RECORD_MAX_ID },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		ck_assert_int_eq(f[i].set(rec, repeat('x', f[i].max)), 0);
		ck_assert_str_eq(algaudit_record_error(rec), "");
		CHECK_REFUSED(f[i].set(rec, repeat('y', f[i].max + 1)),
		    f[i].field);
		CHECK_REFUSED(f[i].set(rec, "bad \xc3\x28 utf8"), f[i].field);
		CHECK_REFUSED(f[i].set(rec, "\xed\xa0\x80"), f[i].field);
		CHECK_REFUSED(f[i].set(rec, "\xc0\xaf"), f[i].field);
		ck_assert_int_eq(f[i].set(rec, "caf\xc3\xa9 \xe4\xb8\xad"), 0);
		ck_assert_int_eq(algaudit_record_validate(rec), 0);
	}
	/* Optional strings clear with NULL and ""; decision cannot. */
	ck_assert_int_eq(algaudit_record_set_subject(rec, NULL), 0);
	ck_assert_int_eq(algaudit_record_set_subject(rec, ""), 0);
	CHECK_REFUSED(algaudit_record_set_decision(rec, NULL), "decision");
	CHECK_REFUSED(algaudit_record_set_decision(rec, ""), "decision");
}
END_TEST

START_TEST(test_algorithm)
{
	CHECK_REFUSED(algaudit_record_set_algorithm(rec, "", "1"),
	    "algorithm.id");
	CHECK_REFUSED(algaudit_record_set_algorithm(rec, NULL, "1"),
	    "algorithm.id");
	CHECK_REFUSED(algaudit_record_set_algorithm(rec,
	    repeat('a', RECORD_MAX_ID + 1), "1"), "algorithm.id");
	CHECK_REFUSED(algaudit_record_set_algorithm(rec, "ok",
	    repeat('v', RECORD_MAX_VERSION + 1)), "algorithm.version");
	CHECK_REFUSED(algaudit_record_set_algorithm(rec, "ok", "\xff"),
	    "algorithm.version");
	ck_assert_int_eq(algaudit_record_set_algorithm(rec,
	    repeat('a', RECORD_MAX_ID), NULL), 0);
	CHECK_REFUSED(algaudit_record_set_algorithm_type(rec, 7),
	    "algorithm.type");
	CHECK_REFUSED(algaudit_record_set_algorithm_type(rec, -1),
	    "algorithm.type");
	ck_assert_int_eq(algaudit_record_set_algorithm_type(rec,
	    ALGAUDIT_TYPE_OTHER), 0);
	ck_assert_int_eq(algaudit_record_set_algorithm_type(rec, 0), 0);
	CHECK_REFUSED(algaudit_record_set_model_digest(rec, repeat('d', 65),
	    65), "algorithm.model_digest");
	ck_assert_int_eq(algaudit_record_set_model_digest(rec,
	    repeat('d', 64), 64), 0);
	ck_assert_int_eq(algaudit_record_set_model_digest(rec, NULL, 0), 0);
	ck_assert_int_eq(algaudit_record_validate(rec), 0);
}
END_TEST

START_TEST(test_numbers_and_enums)
{
	CHECK_REFUSED(algaudit_record_set_score(rec, NAN), "score");
	CHECK_REFUSED(algaudit_record_set_score(rec, INFINITY), "score");
	CHECK_REFUSED(algaudit_record_set_score(rec, -INFINITY), "score");
	ck_assert_int_eq(algaudit_record_set_score(rec, 0.0), 0);
	ck_assert_int_eq(algaudit_record_clear_score(rec), 0);
	CHECK_REFUSED(algaudit_record_set_event_time(rec, 0),
	    "event_time_ns");
	CHECK_REFUSED(algaudit_record_set_event_time(rec, -5),
	    "event_time_ns");
	ck_assert_int_eq(algaudit_record_set_event_time(rec, 1), 0);
	CHECK_REFUSED(algaudit_record_set_data_class(rec, 0), "data_class");
	CHECK_REFUSED(algaudit_record_set_data_class(rec, 4), "data_class");
	CHECK_REFUSED(algaudit_record_set_automation(rec, 4), "automation");
	CHECK_REFUSED(algaudit_record_set_automation(rec, -1), "automation");
	ck_assert_int_eq(algaudit_record_set_automation(rec,
	    ALGAUDIT_HUMAN_REVIEW_AFTER), 0);
	CHECK_REFUSED(algaudit_record_set_input_digest(rec, repeat('i', 65),
	    65), "input_digest");
	ck_assert_int_eq(algaudit_record_set_input_digest(rec, "abc", 3), 0);
	ck_assert_int_eq(algaudit_record_validate(rec), 0);
}
END_TEST

START_TEST(test_inputs)
{
	int i;
	char name[32];

	CHECK_REFUSED(algaudit_record_add_input_text(rec, "", "v", 1),
	    "inputs[0].name");
	CHECK_REFUSED(algaudit_record_add_input_text(rec, NULL, "v", 1),
	    "inputs[0].name");
	CHECK_REFUSED(algaudit_record_add_input_text(rec,
	    repeat('n', RECORD_MAX_NAME + 1), "v", 1), "inputs[0].name");
	CHECK_REFUSED(algaudit_record_add_input_text(rec, "n",
	    repeat('t', RECORD_MAX_TEXT + 1), 1), "inputs[0].text");
	CHECK_REFUSED(algaudit_record_add_input_text(rec, "n", "\x80", 1),
	    "inputs[0].text");
	CHECK_REFUSED(algaudit_record_add_input_text(rec, "n", "v", 0),
	    "inputs[0].data_class");
	CHECK_REFUSED(algaudit_record_add_input_number(rec, "n", NAN, 1),
	    "inputs[0].number");
	CHECK_REFUSED(algaudit_record_add_input_bool(rec, "n", 1, 9),
	    "inputs[0].data_class");
	ck_assert_int_eq(algaudit_record_add_input_text(rec, "a",
	    repeat('t', RECORD_MAX_TEXT), 2), 0);
	ck_assert_int_eq(algaudit_record_add_input_text(rec, "b", NULL, 1),
	    0);
	ck_assert_int_eq(algaudit_record_add_input_number(rec, "c", -1.5, 3),
	    0);
	ck_assert_int_eq(algaudit_record_add_input_bool(rec, "d", 7, 1), 0);
	CHECK_REFUSED(algaudit_record_add_input_bool(rec, "", 7, 1),
	    "inputs[4].name");
	for (i = 4; i < RECORD_MAX_INPUTS; i++) {
		snprintf(name, sizeof(name), "in%d", i);
		ck_assert_int_eq(algaudit_record_add_input_number(rec, name,
		    i, 1), 0);
	}
	CHECK_REFUSED(algaudit_record_add_input_number(rec, "x", 1, 1),
	    "inputs");
	ck_assert_int_eq(algaudit_record_validate(rec), 0);
}
END_TEST

START_TEST(test_explanation)
{
	int i;
	char code[32];

	CHECK_REFUSED(algaudit_record_add_attribution(rec, "", 0.1),
	    "explanation.attributions[0].feature");
	CHECK_REFUSED(algaudit_record_add_attribution(rec, "f", NAN),
	    "explanation.attributions[0].weight");
	for (i = 0; i < RECORD_MAX_ATTRIBUTIONS; i++)
		ck_assert_int_eq(algaudit_record_add_attribution(rec, "f",
		    i * 0.5), 0);
	CHECK_REFUSED(algaudit_record_add_attribution(rec, "f", 1),
	    "explanation.attributions");
	CHECK_REFUSED(algaudit_record_add_reason_code(rec, ""),
	    "explanation.reason_codes[0]");
	CHECK_REFUSED(algaudit_record_add_reason_code(rec,
	    repeat('r', RECORD_MAX_SHORT + 1)), "explanation.reason_codes[0]");
	for (i = 0; i < RECORD_MAX_REASON_CODES; i++) {
		snprintf(code, sizeof(code), "R%d", i);
		ck_assert_int_eq(algaudit_record_add_reason_code(rec, code), 0);
	}
	CHECK_REFUSED(algaudit_record_add_reason_code(rec, "R"),
	    "explanation.reason_codes");
	ck_assert_int_eq(algaudit_record_validate(rec), 0);
}
END_TEST

START_TEST(test_labels)
{
	int i;
	char key[32];

	CHECK_REFUSED(algaudit_record_add_label(rec, "", "v"),
	    "labels[0].key");
	CHECK_REFUSED(algaudit_record_add_label(rec, "k",
	    repeat('v', RECORD_MAX_LABEL_VALUE + 1)), "labels[0].value");
	ck_assert_int_eq(algaudit_record_add_label(rec, "k", NULL), 0);
	CHECK_REFUSED(algaudit_record_add_label(rec, "k", "again"),
	    "labels[1].key: duplicate key 'k'");
	for (i = 1; i < RECORD_MAX_LABELS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(algaudit_record_add_label(rec, key, "v"), 0);
	}
	CHECK_REFUSED(algaudit_record_add_label(rec, "z", "v"), "labels");
	ck_assert_int_eq(algaudit_record_validate(rec), 0);
}
END_TEST

START_TEST(test_reset_reuse)
{
	uint8_t a[4096], b[4096];
	size_t la, lb;
	int round;

	/* The same content after reset encodes to the same bytes. */
	for (round = 0; round < 3; round++) {
		algaudit_record_reset(rec);
		ck_assert_int_eq(algaudit_record_set_algorithm(rec, "credit",
		    "1.0"), 0);
		ck_assert_int_eq(algaudit_record_set_decision(rec,
		    round == 2 ? "a much longer decision label than before" :
		    "approve"), 0);
		ck_assert_int_eq(algaudit_record_set_data_class(rec, 1), 0);
		ck_assert_int_eq(algaudit_record_add_input_text(rec, "n", "v",
		    1), 0);
		ck_assert_int_eq(algaudit_record_add_label(rec, "k", "v"), 0);
		ck_assert_int_eq(algaudit_record_add_reason_code(rec, "R1"),
		    0);
		if (round == 0)
			la = snapshot(rec, a, sizeof(a));
		else if (round == 1) {
			lb = snapshot(rec, b, sizeof(b));
			ck_assert_uint_eq(la, lb);
			ck_assert(memcmp(a, b, la) == 0);
		}
	}
	algaudit_record_reset(rec);
	ck_assert_int_eq(algaudit_record_validate(rec), ALGAUDIT_EINVAL);
	algaudit_record_reset(NULL);
}
END_TEST

START_TEST(test_decode_roundtrip)
{
	Algaudit__V1__DecisionRecord *d;
	uint8_t buf[8192];
	size_t len;

	ck_assert_int_eq(algaudit_record_set_subject(rec, "s1"), 0);
	ck_assert_int_eq(algaudit_record_set_score(rec, 0.25), 0);
	ck_assert_int_eq(algaudit_record_add_input_number(rec, "x", 3, 2), 0);
	ck_assert_int_eq(algaudit_record_add_attribution(rec, "x", 0.5), 0);
	ck_assert_int_eq(algaudit_record_set_explanation_text(rec, "why"), 0);
	ck_assert_int_eq(algaudit_record_add_label(rec, "k", "v"), 0);
	len = snapshot(rec, buf, sizeof(buf));
	d = algaudit__v1__decision_record__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->algorithm->id, "credit");
	ck_assert_str_eq(d->algorithm->version, "1.0");
	ck_assert_str_eq(d->decision, "approve");
	ck_assert_str_eq(d->subject, "s1");
	ck_assert(d->has_score && d->score == 0.25);
	ck_assert_uint_eq(d->n_inputs, 1);
	ck_assert_int_eq(d->inputs[0]->data_class, 2);
	ck_assert(d->inputs[0]->number == 3);
	ck_assert_str_eq(d->explanation->text, "why");
	ck_assert_str_eq(d->explanation->attributions[0]->feature, "x");
	ck_assert_str_eq(d->labels[0]->value, "v");
	ck_assert(!d->has_producer_seq);
	algaudit__v1__decision_record__free_unpacked(d, NULL);
}
END_TEST

START_TEST(test_subject_hash)
{
	uint8_t key[20];
	char out[65];

	/* RFC 4231, test case 1: key 0x0b x 20, data "Hi There". */
	memset(key, 0x0b, sizeof(key));
	ck_assert_int_eq(algaudit_subject_hash(key, sizeof(key), "Hi There",
	    out), 0);
	ck_assert_str_eq(out, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	/* Computed with: printf 'customer-4711' | openssl dgst -sha256 \
	 * -hmac 0123456789abcdef */
	ck_assert_int_eq(algaudit_subject_hash("0123456789abcdef", 16,
	    "customer-4711", out), 0);
	ck_assert_str_eq(out, "89c343b7db005ffe752224389f48dc2d"
	    "31919fd8f05f5e500184b0e2ef6edbe6");
	ck_assert_int_eq(algaudit_subject_hash(key, 15, "x", out),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_subject_hash(NULL, 16, "x", out),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_subject_hash(key, 16, NULL, out),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_subject_hash(key, 16, "x", NULL),
	    ALGAUDIT_EINVAL);
}
END_TEST

START_TEST(test_null_args)
{
	ck_assert_int_eq(algaudit_record_new(NULL), ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_record_set_decision(NULL, "x"),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_record_validate(NULL), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(NULL), "record: NULL");
}
END_TEST

static Suite *
builder_suite(void)
{
	Suite *s = suite_create("builder");
	TCase *tc;

	tc = tcase_create("setters");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_algorithm);
	tcase_add_test(tc, test_numbers_and_enums);
	tcase_add_test(tc, test_inputs);
	tcase_add_test(tc, test_explanation);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_null_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("record");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_required_fields);
	tcase_add_test(tc, test_reset_reuse);
	tcase_add_test(tc, test_decode_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("subject_hash");
	tcase_add_test(tc, test_subject_hash);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(builder_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
