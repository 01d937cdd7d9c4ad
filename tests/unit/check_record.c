/* SPDX-License-Identifier: ISC */
/*
 * check_record.c: unit tests of record validation (proto/record.c), one
 * test per rule of docs/PROTOCOL.md, "Validation": each starts from a
 * record with every field set and valid, breaks one thing, and checks
 * that the message names that field. Limits are tested at exactly the
 * maximum (accepted) and one above (refused). UTF-8 is tested byte by
 * byte: overlong forms, surrogates, code points above U+10FFFF,
 * truncated sequences, stray continuation bytes and NUL.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define NBIG	300	/* more than any count limit */

/* A record with every field set, and the storage it points into. */
struct fx {
	Algaudit__V1__DecisionRecord	 r;
	Algaudit__V1__Algorithm		 a;
	Algaudit__V1__Explanation	 e;
	Algaudit__V1__Input		 in[NBIG];
	Algaudit__V1__Input		*inp[NBIG];
	Algaudit__V1__Attribution	 at[NBIG];
	Algaudit__V1__Attribution	*atp[NBIG];
	char				*codes[NBIG];
	Algaudit__V1__Label		 lb[NBIG];
	Algaudit__V1__Label		*lbp[NBIG];
	char				 keys[NBIG][8];
	uint8_t				 digest[RECORD_MAX_DIGEST + 1];
	char				 big[RECORD_MAX_TEXT + 2];
	char				 err[RECORD_ERRLEN];
};

static struct fx F;

/* A writable copy of a literal, for the char * fields. */
#define S(lit)	((char *)(uintptr_t)(lit))

/* Makes F.r a valid record using every field once. */
static void
fx_setup(void)
{
	size_t i;

	memset(&F, 0, sizeof(F));
	algaudit__v1__decision_record__init(&F.r);
	algaudit__v1__algorithm__init(&F.a);
	algaudit__v1__explanation__init(&F.e);
	for (i = 0; i < NBIG; i++) {
		algaudit__v1__input__init(&F.in[i]);
		F.in[i].name = S("income");
		F.in[i].value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
		F.in[i].number = 52000;
		F.in[i].has_data_class = 1;
		F.in[i].data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
		F.inp[i] = &F.in[i];
		algaudit__v1__attribution__init(&F.at[i]);
		F.at[i].feature = S("income");
		F.at[i].has_weight = 1;
		F.at[i].weight = 0.25;
		F.atp[i] = &F.at[i];
		F.codes[i] = S("R1");
		algaudit__v1__label__init(&F.lb[i]);
		snprintf(F.keys[i], sizeof(F.keys[i]), "k%zu", i);
		F.lb[i].key = F.keys[i];
		F.lb[i].value = S("v");
		F.lbp[i] = &F.lb[i];
	}
	F.a.id = S("credit.limit");
	F.a.version = S("3.1");
	F.a.has_type = 1;
	F.a.type = ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_OTHER;
	F.a.filing_number = S("F-2024-001");
	F.a.has_model_digest = 1;
	F.a.model_digest.data = F.digest;
	F.a.model_digest.len = 32;

	F.e.n_attributions = 1;
	F.e.attributions = F.atp;
	F.e.n_reason_codes = 2;
	F.e.reason_codes = F.codes;
	F.e.text = S("income above threshold");

	F.r.has_producer_seq = 1;
	F.r.producer_seq = 42;
	F.r.has_event_time_ns = 1;
	F.r.event_time_ns = INT64_C(1700000000000000000);
	F.r.algorithm = &F.a;
	F.r.subject = S("s-1");
	F.r.decision = S("approve");
	F.r.has_score = 1;
	F.r.score = 0.87;
	F.r.n_inputs = 2;
	F.r.inputs = F.inp;
	F.r.has_input_digest = 1;
	F.r.input_digest.data = F.digest;
	F.r.input_digest.len = 32;
	F.r.explanation = &F.e;
	F.r.has_automation = 1;
	F.r.automation =
	    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_REVIEW_AFTER;
	F.r.reviewer = S("analyst-7");
	F.r.has_data_class = 1;
	F.r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	F.r.jurisdiction = S("CN");
	F.r.purpose = S("credit limit");
	F.r.trace_id = S("t-1");
	F.r.decision_id = S("d-1");
	F.r.n_labels = 2;
	F.r.labels = F.lbp;
}

/* Returns F.big filled with n copies of c, NUL-terminated. */
static char *
big(size_t n, char c)
{
	ck_assert_uint_lt(n, sizeof(F.big));
	memset(F.big, c, n);
	F.big[n] = '\0';
	return F.big;
}

/* Asserts that F.r is valid. */
#define OK()	do {							\
	F.err[0] = '\0';						\
	if (record_validate(&F.r, F.err, sizeof(F.err)) != 0)		\
		ck_abort_msg("refused: %s", F.err);			\
} while (0)

/* Asserts that F.r is refused with a message starting with field. */
#define BAD(field)	do {						\
	F.err[0] = '\0';						\
	ck_assert_int_eq(record_validate(&F.r, F.err, sizeof(F.err)), -1); \
	if (strncmp(F.err, (field), strlen(field)) != 0)		\
		ck_abort_msg("message '%s' does not start with '%s'",	\
		    F.err, (field));					\
} while (0)

START_TEST(test_full_record_valid)
{
	OK();
}
END_TEST

START_TEST(test_minimal_record_valid)
{
	algaudit__v1__decision_record__init(&F.r);
	F.r.has_producer_seq = 1;
	F.r.producer_seq = 1;
	F.r.has_event_time_ns = 1;
	F.r.event_time_ns = 1;
	F.r.algorithm = &F.a;
	F.a.version = F.a.filing_number = NULL;
	F.a.has_type = F.a.has_model_digest = 0;
	F.r.decision = S("x");
	F.r.has_data_class = 1;
	F.r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE;
	OK();
}
END_TEST

START_TEST(test_producer_seq_missing)
{
	F.r.has_producer_seq = 0;
	BAD("producer_seq: required");
}
END_TEST

START_TEST(test_producer_seq_zero)
{
	F.r.producer_seq = 0;
	BAD("producer_seq:");
	F.r.producer_seq = UINT64_MAX;
	OK();
}
END_TEST

START_TEST(test_event_time)
{
	F.r.has_event_time_ns = 0;
	BAD("event_time_ns: required");
	F.r.has_event_time_ns = 1;
	F.r.event_time_ns = 0;
	BAD("event_time_ns:");
	F.r.event_time_ns = -1;
	BAD("event_time_ns:");
	F.r.event_time_ns = INT64_MAX;
	OK();
}
END_TEST

START_TEST(test_algorithm_missing)
{
	F.r.algorithm = NULL;
	BAD("algorithm.id: required");
}
END_TEST

START_TEST(test_algorithm_id)
{
	F.a.id = NULL;
	BAD("algorithm.id: required");
	F.a.id = S("");
	BAD("algorithm.id: required");
	F.a.id = big(RECORD_MAX_ID, 'a');
	OK();
	F.a.id = big(RECORD_MAX_ID + 1, 'a');
	BAD("algorithm.id: 129 bytes");
}
END_TEST

START_TEST(test_algorithm_version)
{
	F.a.version = big(RECORD_MAX_VERSION, 'v');
	OK();
	F.a.version = big(RECORD_MAX_VERSION + 1, 'v');
	BAD("algorithm.version:");
}
END_TEST

START_TEST(test_algorithm_type)
{
	F.a.type = ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_UNSPECIFIED;
	OK();
	F.a.type = (Algaudit__V1__AlgorithmType)7;
	BAD("algorithm.type: unknown value 7");
	F.a.type = (Algaudit__V1__AlgorithmType)-1;
	BAD("algorithm.type:");
}
END_TEST

START_TEST(test_algorithm_filing_number)
{
	F.a.filing_number = big(RECORD_MAX_FILING, 'f');
	OK();
	F.a.filing_number = big(RECORD_MAX_FILING + 1, 'f');
	BAD("algorithm.filing_number:");
}
END_TEST

START_TEST(test_algorithm_model_digest)
{
	F.a.model_digest.len = RECORD_MAX_DIGEST;
	OK();
	F.a.model_digest.len = RECORD_MAX_DIGEST + 1;
	BAD("algorithm.model_digest:");
}
END_TEST

START_TEST(test_subject)
{
	F.r.subject = NULL;
	OK();
	F.r.subject = big(RECORD_MAX_SUBJECT, 's');
	OK();
	F.r.subject = big(RECORD_MAX_SUBJECT + 1, 's');
	BAD("subject: 257 bytes");
}
END_TEST

START_TEST(test_decision)
{
	F.r.decision = NULL;
	BAD("decision: required");
	F.r.decision = S("");
	BAD("decision: required");
	F.r.decision = big(RECORD_MAX_ID, 'd');
	OK();
	F.r.decision = big(RECORD_MAX_ID + 1, 'd');
	BAD("decision:");
}
END_TEST

START_TEST(test_score_finite)
{
	F.r.score = NAN;
	BAD("score: not a finite number");
	F.r.score = INFINITY;
	BAD("score:");
	F.r.score = -INFINITY;
	BAD("score:");
	F.r.score = 0.0;
	OK();
	F.r.has_score = 0;
	F.r.score = NAN;	/* absent: the value is not looked at */
	OK();
}
END_TEST

START_TEST(test_inputs_count)
{
	F.r.n_inputs = RECORD_MAX_INPUTS;
	OK();
	F.r.n_inputs = RECORD_MAX_INPUTS + 1;
	BAD("inputs: 257 entries");
}
END_TEST

START_TEST(test_input_name)
{
	F.in[1].name = NULL;
	BAD("inputs[1].name: required");
	F.in[1].name = S("");
	BAD("inputs[1].name: required");
	F.in[1].name = big(RECORD_MAX_NAME, 'n');
	OK();
	F.in[1].name = big(RECORD_MAX_NAME + 1, 'n');
	BAD("inputs[1].name:");
}
END_TEST

START_TEST(test_input_text)
{
	F.in[0].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
	F.in[0].text = big(RECORD_MAX_TEXT, 't');
	OK();
	F.in[0].text = big(RECORD_MAX_TEXT + 1, 't');
	BAD("inputs[0].text: 4097 bytes");
	F.in[0].text = S("caf\xc3");
	BAD("inputs[0].text: not valid UTF-8");
}
END_TEST

START_TEST(test_input_number_finite)
{
	F.in[1].number = NAN;
	BAD("inputs[1].number:");
	F.in[1].number = -INFINITY;
	BAD("inputs[1].number:");
	F.in[1].value_case = ALGAUDIT__V1__INPUT__VALUE_FLAG;
	OK();
}
END_TEST

START_TEST(test_input_data_class)
{
	F.in[1].has_data_class = 0;
	BAD("inputs[1].data_class: required, unspecified");
	F.in[1].has_data_class = 1;
	F.in[1].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_UNSPECIFIED;
	BAD("inputs[1].data_class: required");
	F.in[1].data_class = (Algaudit__V1__DataClass)4;
	BAD("inputs[1].data_class: unknown value 4");
}
END_TEST

START_TEST(test_input_digest)
{
	F.r.input_digest.len = RECORD_MAX_DIGEST;
	OK();
	F.r.input_digest.len = RECORD_MAX_DIGEST + 1;
	BAD("input_digest: 65 bytes");
}
END_TEST

START_TEST(test_attributions)
{
	F.e.n_attributions = RECORD_MAX_ATTRIBUTIONS;
	OK();
	F.e.n_attributions = RECORD_MAX_ATTRIBUTIONS + 1;
	BAD("explanation.attributions: 257 entries");
}
END_TEST

START_TEST(test_attribution_feature)
{
	F.e.n_attributions = 3;
	F.at[2].feature = S("");
	BAD("explanation.attributions[2].feature: required");
	F.at[2].feature = big(RECORD_MAX_NAME, 'x');
	OK();
	F.at[2].feature = big(RECORD_MAX_NAME + 1, 'x');
	BAD("explanation.attributions[2].feature:");
}
END_TEST

START_TEST(test_attribution_weight)
{
	F.at[0].weight = INFINITY;
	BAD("explanation.attributions[0].weight:");
	F.at[0].has_weight = 0;
	OK();
}
END_TEST

START_TEST(test_reason_codes)
{
	F.e.n_reason_codes = RECORD_MAX_REASON_CODES;
	OK();
	F.e.n_reason_codes = RECORD_MAX_REASON_CODES + 1;
	BAD("explanation.reason_codes: 65 entries");
	F.e.n_reason_codes = 2;
	F.codes[1] = S("");
	BAD("explanation.reason_codes[1]: required");
	F.codes[1] = big(RECORD_MAX_SHORT, 'r');
	OK();
	F.codes[1] = big(RECORD_MAX_SHORT + 1, 'r');
	BAD("explanation.reason_codes[1]:");
}
END_TEST

START_TEST(test_explanation_text)
{
	F.e.text = big(RECORD_MAX_TEXT, 'e');
	OK();
	F.e.text = big(RECORD_MAX_TEXT + 1, 'e');
	BAD("explanation.text:");
}
END_TEST

START_TEST(test_automation)
{
	F.r.automation = ALGAUDIT__V1__AUTOMATION__AUTOMATION_UNSPECIFIED;
	OK();
	F.r.automation = (Algaudit__V1__Automation)4;
	BAD("automation: unknown value 4");
}
END_TEST

START_TEST(test_reviewer)
{
	F.r.reviewer = big(RECORD_MAX_ID, 'r');
	OK();
	F.r.reviewer = big(RECORD_MAX_ID + 1, 'r');
	BAD("reviewer:");
}
END_TEST

START_TEST(test_data_class)
{
	F.r.has_data_class = 0;
	BAD("data_class: required, unspecified (ordinary, important or core)");
	F.r.has_data_class = 1;
	F.r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_UNSPECIFIED;
	BAD("data_class: required");
	F.r.data_class = (Algaudit__V1__DataClass)4;
	BAD("data_class: unknown value 4");
	F.r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	OK();
}
END_TEST

START_TEST(test_jurisdiction)
{
	F.r.jurisdiction = big(RECORD_MAX_SHORT, 'j');
	OK();
	F.r.jurisdiction = big(RECORD_MAX_SHORT + 1, 'j');
	BAD("jurisdiction:");
}
END_TEST

START_TEST(test_purpose)
{
	F.r.purpose = big(RECORD_MAX_PURPOSE, 'p');
	OK();
	F.r.purpose = big(RECORD_MAX_PURPOSE + 1, 'p');
	BAD("purpose: 257 bytes");
}
END_TEST

START_TEST(test_trace_id)
{
	F.r.trace_id = big(RECORD_MAX_ID, 't');
	OK();
	F.r.trace_id = big(RECORD_MAX_ID + 1, 't');
	BAD("trace_id:");
}
END_TEST

START_TEST(test_decision_id)
{
	F.r.decision_id = big(RECORD_MAX_ID, 'd');
	OK();
	F.r.decision_id = big(RECORD_MAX_ID + 1, 'd');
	BAD("decision_id:");
}
END_TEST

START_TEST(test_labels_count)
{
	F.r.n_labels = RECORD_MAX_LABELS;
	OK();
	F.r.n_labels = RECORD_MAX_LABELS + 1;
	BAD("labels: 65 entries");
}
END_TEST

START_TEST(test_label_key)
{
	F.lb[1].key = NULL;
	BAD("labels[1].key: required");
	F.lb[1].key = S("");
	BAD("labels[1].key: required");
	F.lb[1].key = big(RECORD_MAX_NAME, 'k');
	OK();
	F.lb[1].key = big(RECORD_MAX_NAME + 1, 'k');
	BAD("labels[1].key:");
}
END_TEST

START_TEST(test_label_value)
{
	F.lb[0].value = NULL;
	OK();
	F.lb[0].value = big(RECORD_MAX_LABEL_VALUE, 'v');
	OK();
	F.lb[0].value = big(RECORD_MAX_LABEL_VALUE + 1, 'v');
	BAD("labels[0].value:");
}
END_TEST

START_TEST(test_label_duplicate_key)
{
	F.r.n_labels = 4;
	F.lb[3].key = S("k1");
	BAD("labels[3].key: duplicate key 'k1'");
}
END_TEST

START_TEST(test_loss_record)
{
	/* A loss record needs no algorithm and no decision. */
	F.r.has_lost_records = 1;
	F.r.lost_records = 17;
	F.r.algorithm = NULL;
	F.r.decision = NULL;
	OK();
	/* ...but still a seq, a time and a class. */
	F.r.has_data_class = 0;
	BAD("data_class:");
	F.r.has_data_class = 1;
	F.r.has_event_time_ns = 0;
	BAD("event_time_ns:");
	F.r.has_event_time_ns = 1;
	F.r.producer_seq = 0;
	BAD("producer_seq:");
}
END_TEST

START_TEST(test_loss_record_zero_is_not_loss)
{
	F.r.has_lost_records = 1;
	F.r.lost_records = 0;
	F.r.algorithm = NULL;
	BAD("algorithm.id: required");
	F.r.algorithm = &F.a;
	F.r.decision = NULL;
	BAD("decision: required");
}
END_TEST

START_TEST(test_loss_record_fields_still_checked)
{
	F.r.has_lost_records = 1;
	F.r.lost_records = 1;
	F.r.decision = big(RECORD_MAX_ID + 1, 'd');
	BAD("decision:");
}
END_TEST

START_TEST(test_string_not_utf8_named)
{
	F.r.subject = S("caf\xc3");
	BAD("subject: not valid UTF-8");
	F.r.subject = S("caf\xc3\xa9");
	OK();
}
END_TEST

START_TEST(test_err_buffer_optional)
{
	F.r.decision = NULL;
	ck_assert_int_eq(record_validate(&F.r, NULL, 0), -1);
	F.err[0] = 'x';
	ck_assert_int_eq(record_validate(&F.r, F.err, 1), -1);
	ck_assert_int_eq(F.err[0], '\0');
}
END_TEST

/* UTF-8 cases: bytes, length, valid? */
static const struct {
	const char	*name;
	const char	*s;
	size_t		 len;
	int		 valid;
} utf8[] = {
	{ "empty", "", 0, 1 },
	{ "ascii", "hello", 5, 1 },
	{ "2-byte U+00E9", "\xc3\xa9", 2, 1 },
	{ "2-byte lowest U+0080", "\xc2\x80", 2, 1 },
	{ "3-byte U+20AC", "\xe2\x82\xac", 3, 1 },
	{ "3-byte lowest U+0800", "\xe0\xa0\x80", 3, 1 },
	{ "4-byte U+1F600", "\xf0\x9f\x98\x80", 4, 1 },
	{ "4-byte lowest U+10000", "\xf0\x90\x80\x80", 4, 1 },
	{ "highest U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 1 },
	{ "U+D7FF below surrogates", "\xed\x9f\xbf", 3, 1 },
	{ "U+E000 above surrogates", "\xee\x80\x80", 3, 1 },
	{ "U+FFFF", "\xef\xbf\xbf", 3, 1 },
	{ "overlong NUL c0 80", "\xc0\x80", 2, 0 },
	{ "overlong c1 bf", "\xc1\xbf", 2, 0 },
	{ "overlong 3-byte e0 80 80", "\xe0\x80\x80", 3, 0 },
	{ "overlong 3-byte e0 9f bf", "\xe0\x9f\xbf", 3, 0 },
	{ "overlong 4-byte f0 80 80 80", "\xf0\x80\x80\x80", 4, 0 },
	{ "overlong 4-byte f0 8f bf bf", "\xf0\x8f\xbf\xbf", 4, 0 },
	{ "surrogate U+D800", "\xed\xa0\x80", 3, 0 },
	{ "surrogate U+DFFF", "\xed\xbf\xbf", 3, 0 },
	{ "surrogate pair", "\xed\xa0\xbd\xed\xb8\x80", 6, 0 },
	{ "above U+10FFFF f4 90", "\xf4\x90\x80\x80", 4, 0 },
	{ "lead f5", "\xf5\x80\x80\x80", 4, 0 },
	{ "lead f8 (5-byte form)", "\xf8\x88\x80\x80\x80", 5, 0 },
	{ "lead ff", "\xff", 1, 0 },
	{ "truncated 2-byte at end", "ab\xc3", 3, 0 },
	{ "truncated 3-byte at end", "\xe2\x82", 2, 0 },
	{ "truncated 4-byte at end", "\xf0\x9f\x98", 3, 0 },
	{ "truncated then ascii", "\xe2\x82" "a", 3, 0 },
	{ "lone continuation", "\x80", 1, 0 },
	{ "continuation after ascii", "a\xbf", 2, 0 },
	{ "bad continuation", "\xc3\x28", 2, 0 },
	{ "NUL inside", "a\0b", 3, 0 },
	{ "NUL alone", "\0", 1, 0 },
};

START_TEST(test_utf8_cases)
{
	int got;

	got = record_utf8_valid(utf8[_i].s, utf8[_i].len);
	if (got != utf8[_i].valid)
		ck_abort_msg("%s: record_utf8_valid gave %d, want %d",
		    utf8[_i].name, got, utf8[_i].valid);
}
END_TEST

START_TEST(test_utf8_every_field_checked)
{
	/* One invalid sequence in each string field is named. */
	F.a.version = S("\xc0\x80");
	BAD("algorithm.version: not valid UTF-8");
	F.a.version = NULL;
	F.r.reviewer = S("\xed\xa0\x80");
	BAD("reviewer: not valid UTF-8");
	F.r.reviewer = NULL;
	F.lb[0].value = S("\xf4\x90\x80\x80");
	BAD("labels[0].value: not valid UTF-8");
	F.lb[0].value = NULL;
	F.e.text = S("\xf0\x9f\x98");
	BAD("explanation.text: not valid UTF-8");
}
END_TEST

START_TEST(test_producer_id)
{
	char buf[RECORD_MAX_PRODUCER_ID + 2];

	ck_assert_int_eq(record_check_producer_id("credit-api@host-7",
	    F.err, sizeof(F.err)), 0);
	ck_assert_int_eq(record_check_producer_id(NULL, F.err,
	    sizeof(F.err)), -1);
	ck_assert_str_eq(F.err, "producer_id: required, missing or empty");
	ck_assert_int_eq(record_check_producer_id("", F.err, sizeof(F.err)),
	    -1);
	memset(buf, 'p', RECORD_MAX_PRODUCER_ID);
	buf[RECORD_MAX_PRODUCER_ID] = '\0';
	ck_assert_int_eq(record_check_producer_id(buf, F.err, sizeof(F.err)),
	    0);
	buf[RECORD_MAX_PRODUCER_ID] = 'p';
	buf[RECORD_MAX_PRODUCER_ID + 1] = '\0';
	ck_assert_int_eq(record_check_producer_id(buf, F.err, sizeof(F.err)),
	    -1);
	ck_assert_str_eq(F.err, "producer_id: 129 bytes, longer than the "
	    "limit of 128");
	ck_assert_int_eq(record_check_producer_id("has space", F.err,
	    sizeof(F.err)), -1);
	ck_assert_str_eq(F.err, "producer_id: byte 3 is not printable ASCII");
	ck_assert_int_eq(record_check_producer_id("tab\there", F.err,
	    sizeof(F.err)), -1);
	ck_assert_int_eq(record_check_producer_id("del\x7f", F.err,
	    sizeof(F.err)), -1);
	ck_assert_int_eq(record_check_producer_id("caf\xc3\xa9", F.err,
	    sizeof(F.err)), -1);
	ck_assert_int_eq(record_check_producer_id("!~", F.err,
	    sizeof(F.err)), 0);
}
END_TEST

START_TEST(test_check_string)
{
	ck_assert_int_eq(record_check_string("f", NULL, 4, 0, F.err,
	    sizeof(F.err)), 0);
	ck_assert_int_eq(record_check_string("f", NULL, 4, 1, F.err,
	    sizeof(F.err)), -1);
	ck_assert_str_eq(F.err, "f: required, missing or empty");
	ck_assert_int_eq(record_check_string("f", "abcd", 4, 1, F.err,
	    sizeof(F.err)), 0);
	ck_assert_int_eq(record_check_string("f", "abcde", 4, 1, F.err,
	    sizeof(F.err)), -1);
	ck_assert_str_eq(F.err, "f: 5 bytes, longer than the limit of 4");
	/* Lengths are bytes of the encoding, not characters. */
	ck_assert_int_eq(record_check_string("f", "\xc3\xa9\xc3\xa9\xc3",
	    4, 1, F.err, sizeof(F.err)), -1);
	ck_assert_str_eq(F.err, "f: 5 bytes, longer than the limit of 4");
}
END_TEST

START_TEST(test_class_names)
{
	ck_assert_str_eq(record_class_name(1), "ordinary");
	ck_assert_str_eq(record_class_name(2), "important");
	ck_assert_str_eq(record_class_name(3), "core");
	ck_assert_str_eq(record_class_name(0), "unspecified");
	ck_assert_str_eq(record_class_name(9), "unspecified");
	ck_assert_int_eq(record_class_parse("ordinary"), 1);
	ck_assert_int_eq(record_class_parse("important"), 2);
	ck_assert_int_eq(record_class_parse("core"), 3);
	ck_assert_int_eq(record_class_parse("Core"), -1);
	ck_assert_int_eq(record_class_parse(""), -1);
}
END_TEST

/*
 * A field this schema does not know, at the top or inside a sub-message,
 * is refused: the log could not commit to it (see record_check_unknown).
 * The bytes are a packed valid record plus field 99 (varint 1), which
 * protobuf-c keeps as an unknown field.
 */
START_TEST(test_unknown_fields)
{
	Algaudit__V1__DecisionRecord *u;
	Algaudit__V1__Algorithm *ua;
	uint8_t buf[65536], abuf[256];
	size_t n, an;

	n = algaudit__v1__decision_record__pack(&F.r, buf);
	buf[n++] = 0x98;	/* field 99, varint: (99 << 3) = 0x318 */
	buf[n++] = 0x06;
	buf[n++] = 0x01;
	u = algaudit__v1__decision_record__unpack(NULL, n, buf);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(record_validate(u, F.err, sizeof(F.err)), -1);
	ck_assert_str_eq(F.err, "record: unknown field number 99 (a newer "
	    "schema?); the log cannot store what it cannot commit to");
	algaudit__v1__decision_record__free_unpacked(u, NULL);

	/* Inside algorithm: repack the record around an extended one. */
	an = algaudit__v1__algorithm__pack(&F.a, abuf);
	abuf[an++] = 0x98;
	abuf[an++] = 0x06;
	abuf[an++] = 0x01;
	ua = algaudit__v1__algorithm__unpack(NULL, an, abuf);
	ck_assert_ptr_nonnull(ua);
	F.r.algorithm = ua;
	n = algaudit__v1__decision_record__pack(&F.r, buf);
	F.r.algorithm = &F.a;
	algaudit__v1__algorithm__free_unpacked(ua, NULL);
	u = algaudit__v1__decision_record__unpack(NULL, n, buf);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(record_validate(u, F.err, sizeof(F.err)), -1);
	ck_assert_ptr_nonnull(strstr(F.err, "algorithm: unknown field "
	    "number 99"));
	algaudit__v1__decision_record__free_unpacked(u, NULL);
}
END_TEST

/* One suite for the module, one TCase per function family. */
static Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc;

	tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, fx_setup, NULL);
	tcase_add_test(tc, test_full_record_valid);
	tcase_add_test(tc, test_minimal_record_valid);
	tcase_add_test(tc, test_producer_seq_missing);
	tcase_add_test(tc, test_producer_seq_zero);
	tcase_add_test(tc, test_event_time);
	tcase_add_test(tc, test_algorithm_missing);
	tcase_add_test(tc, test_algorithm_id);
	tcase_add_test(tc, test_algorithm_version);
	tcase_add_test(tc, test_algorithm_type);
	tcase_add_test(tc, test_algorithm_filing_number);
	tcase_add_test(tc, test_algorithm_model_digest);
	tcase_add_test(tc, test_subject);
	tcase_add_test(tc, test_decision);
	tcase_add_test(tc, test_score_finite);
	tcase_add_test(tc, test_inputs_count);
	tcase_add_test(tc, test_input_name);
	tcase_add_test(tc, test_input_text);
	tcase_add_test(tc, test_input_number_finite);
	tcase_add_test(tc, test_input_data_class);
	tcase_add_test(tc, test_input_digest);
	tcase_add_test(tc, test_attributions);
	tcase_add_test(tc, test_attribution_feature);
	tcase_add_test(tc, test_attribution_weight);
	tcase_add_test(tc, test_reason_codes);
	tcase_add_test(tc, test_explanation_text);
	tcase_add_test(tc, test_automation);
	tcase_add_test(tc, test_reviewer);
	tcase_add_test(tc, test_data_class);
	tcase_add_test(tc, test_jurisdiction);
	tcase_add_test(tc, test_purpose);
	tcase_add_test(tc, test_trace_id);
	tcase_add_test(tc, test_decision_id);
	tcase_add_test(tc, test_labels_count);
	tcase_add_test(tc, test_label_key);
	tcase_add_test(tc, test_label_value);
	tcase_add_test(tc, test_label_duplicate_key);
	tcase_add_test(tc, test_string_not_utf8_named);
	tcase_add_test(tc, test_err_buffer_optional);
	suite_add_tcase(s, tc);

	tc = tcase_create("loss");
	tcase_add_checked_fixture(tc, fx_setup, NULL);
	tcase_add_test(tc, test_loss_record);
	tcase_add_test(tc, test_loss_record_zero_is_not_loss);
	tcase_add_test(tc, test_loss_record_fields_still_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_checked_fixture(tc, fx_setup, NULL);
	tcase_add_loop_test(tc, test_utf8_cases, 0,
	    (int)(sizeof(utf8) / sizeof(utf8[0])));
	tcase_add_test(tc, test_utf8_every_field_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("strings");
	tcase_add_checked_fixture(tc, fx_setup, NULL);
	tcase_add_test(tc, test_producer_id);
	tcase_add_test(tc, test_check_string);
	tcase_add_test(tc, test_class_names);
	tcase_add_test(tc, test_unknown_fields);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(record_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
