/* SPDX-License-Identifier: ISC */
/*
 * record.c: validation of DecisionRecord values.
 *
 * record_validate() is the one definition of a valid record: the daemon
 * runs it on every record from the wire before anything of the batch is
 * stored, and the client runs the same checks when a record is built, so
 * a mistake is reported to the application at the call that made it.
 * Every message names the field ("inputs[3].name: ...") so that a
 * person can act on it. Nothing here allocates or prints.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

/* Formats a validation message into err; returns -1 for convenience. */
static int
record_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
record_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Returns 1 when the len bytes at s are well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) without NUL,
 * else 0.
 */
int
record_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Checks one string field named field: present when required, at most
 * max bytes, UTF-8. A NULL s means absent. Returns 0 or -1 with err set.
 */
int
record_check_string(const char *field, const char *s, size_t max,
    int required, char *err, size_t errlen)
{
	size_t len;

	if (s == NULL || *s == '\0') {
		if (required)
			return record_fail(err, errlen, "%s: required, "
			    "missing or empty", field);
		return 0;
	}
	len = strlen(s);
	if (len > max)
		return record_fail(err, errlen, "%s: %zu bytes, longer than "
		    "the limit of %zu", field, len, max);
	if (!record_utf8_valid(s, len))
		return record_fail(err, errlen, "%s: not valid UTF-8", field);
	return 0;
}

/*
 * Checks a producer id: 1 to RECORD_MAX_PRODUCER_ID printable ASCII
 * characters, no space. Returns 0 or -1 with err set.
 */
int
record_check_producer_id(const char *id, char *err, size_t errlen)
{
	size_t i, len;

	if (id == NULL || *id == '\0')
		return record_fail(err, errlen, "producer_id: required, "
		    "missing or empty");
	len = strlen(id);
	if (len > RECORD_MAX_PRODUCER_ID)
		return record_fail(err, errlen, "producer_id: %zu bytes, "
		    "longer than the limit of %d", len,
		    RECORD_MAX_PRODUCER_ID);
	for (i = 0; i < len; i++)
		if (id[i] <= 0x20 || id[i] >= 0x7f)
			return record_fail(err, errlen, "producer_id: byte %zu "
			    "is not printable ASCII", i);
	return 0;
}

/*
 * Checks the string at field "<prefix>[<i>]<suffix>". The name is only
 * formatted when the check fails: validation runs for every record the
 * daemon receives, and snprintf per element would dominate it.
 */
static int
record_check_string_at(const char *prefix, size_t i, const char *suffix,
    const char *s, size_t max, int required, char *err, size_t errlen)
{
	char field[64];

	if (record_check_string("", s, max, required, NULL, 0) == 0)
		return 0;
	snprintf(field, sizeof(field), "%s[%zu]%s", prefix, i, suffix);
	return record_check_string(field, s, max, required, err, errlen);
}

/* Checks an optional bytes field against its maximum length. */
static int
record_check_bytes(const char *field, protobuf_c_boolean has,
    const ProtobufCBinaryData *b, size_t max, char *err, size_t errlen)
{
	if (has && b->len > max)
		return record_fail(err, errlen, "%s: %zu bytes, longer than "
		    "the limit of %zu", field, b->len, max);
	return 0;
}

/* Checks a data class field: required, one of the three classes. */
static int
record_check_class(const char *field, protobuf_c_boolean has, int v,
    char *err, size_t errlen)
{
	if (!has || v == ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_UNSPECIFIED)
		return record_fail(err, errlen, "%s: required, unspecified "
		    "(ordinary, important or core)", field);
	if (v < ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY ||
	    v > ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE)
		return record_fail(err, errlen, "%s: unknown value %d", field,
		    v);
	return 0;
}

/* Checks an optional enum field against [lo, hi]. */
static int
record_check_enum(const char *field, protobuf_c_boolean has, int v, int lo,
    int hi, char *err, size_t errlen)
{
	if (has && (v < lo || v > hi))
		return record_fail(err, errlen, "%s: unknown value %d", field,
		    v);
	return 0;
}

/* Checks a double: NaN and infinities are refused. */
static int
record_check_double(const char *field, protobuf_c_boolean has, double v,
    char *err, size_t errlen)
{
	if (has && !isfinite(v))
		return record_fail(err, errlen, "%s: not a finite number",
		    field);
	return 0;
}

/* Checks the double at field "<prefix>[<i>]<suffix>"; see above. */
static int
record_check_double_at(const char *prefix, size_t i, const char *suffix,
    protobuf_c_boolean has, double v, char *err, size_t errlen)
{
	if (!has || isfinite(v))
		return 0;
	return record_fail(err, errlen, "%s[%zu]%s: not a finite number",
	    prefix, i, suffix);
}

/* Checks the algorithm sub-message; required unless a loss record. */
static int
record_check_algorithm(const Algaudit__V1__Algorithm *a, int required,
    char *err, size_t errlen)
{
	if (a == NULL) {
		if (required)
			return record_fail(err, errlen, "algorithm.id: "
			    "required, missing or empty");
		return 0;
	}
	if (record_check_string("algorithm.id", a->id, RECORD_MAX_ID,
	    required, err, errlen) == -1 ||
	    record_check_string("algorithm.version", a->version,
	    RECORD_MAX_VERSION, 0, err, errlen) == -1 ||
	    record_check_enum("algorithm.type", a->has_type, a->type,
	    ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_UNSPECIFIED,
	    ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_OTHER,
	    err, errlen) == -1 ||
	    record_check_string("algorithm.filing_number", a->filing_number,
	    RECORD_MAX_FILING, 0, err, errlen) == -1 ||
	    record_check_bytes("algorithm.model_digest", a->has_model_digest,
	    &a->model_digest, RECORD_MAX_DIGEST, err, errlen) == -1)
		return -1;
	return 0;
}

/* Checks the inputs: count, names, values and their classes. */
static int
record_check_inputs(const Algaudit__V1__DecisionRecord *r, char *err,
    size_t errlen)
{
	const Algaudit__V1__Input *in;
	char field[64];
	size_t i;

	if (r->n_inputs > RECORD_MAX_INPUTS)
		return record_fail(err, errlen, "inputs: %zu entries, more "
		    "than the limit of %d", r->n_inputs, RECORD_MAX_INPUTS);
	for (i = 0; i < r->n_inputs; i++) {
		in = r->inputs[i];
		if (record_check_string_at("inputs", i, ".name", in->name,
		    RECORD_MAX_NAME, 1, err, errlen) == -1)
			return -1;
		if (in->value_case == ALGAUDIT__V1__INPUT__VALUE_TEXT &&
		    record_check_string_at("inputs", i, ".text", in->text,
		    RECORD_MAX_TEXT, 0, err, errlen) == -1)
			return -1;
		if (record_check_double_at("inputs", i, ".number",
		    in->value_case == ALGAUDIT__V1__INPUT__VALUE_NUMBER,
		    in->number, err, errlen) == -1)
			return -1;
		if (record_check_class("", in->has_data_class,
		    in->data_class, NULL, 0) == -1) {
			snprintf(field, sizeof(field), "inputs[%zu].data_class",
			    i);
			return record_check_class(field, in->has_data_class,
			    in->data_class, err, errlen);
		}
	}
	return 0;
}

/* Checks the explanation: attributions, reason codes and text. */
static int
record_check_explanation(const Algaudit__V1__Explanation *e, char *err,
    size_t errlen)
{
	size_t i;

	if (e == NULL)
		return 0;
	if (e->n_attributions > RECORD_MAX_ATTRIBUTIONS)
		return record_fail(err, errlen, "explanation.attributions: "
		    "%zu entries, more than the limit of %d",
		    e->n_attributions, RECORD_MAX_ATTRIBUTIONS);
	for (i = 0; i < e->n_attributions; i++) {
		if (record_check_string_at("explanation.attributions", i,
		    ".feature", e->attributions[i]->feature, RECORD_MAX_NAME,
		    1, err, errlen) == -1 ||
		    record_check_double_at("explanation.attributions", i,
		    ".weight", e->attributions[i]->has_weight,
		    e->attributions[i]->weight, err, errlen) == -1)
			return -1;
	}
	if (e->n_reason_codes > RECORD_MAX_REASON_CODES)
		return record_fail(err, errlen, "explanation.reason_codes: "
		    "%zu entries, more than the limit of %d",
		    e->n_reason_codes, RECORD_MAX_REASON_CODES);
	for (i = 0; i < e->n_reason_codes; i++)
		if (record_check_string_at("explanation.reason_codes", i, "",
		    e->reason_codes[i], RECORD_MAX_SHORT, 1, err, errlen) == -1)
			return -1;
	return record_check_string("explanation.text", e->text,
	    RECORD_MAX_TEXT, 0, err, errlen);
}

/* Checks the labels: count, keys unique and non-empty, values. */
static int
record_check_labels(const Algaudit__V1__DecisionRecord *r, char *err,
    size_t errlen)
{
	size_t i, j;

	if (r->n_labels > RECORD_MAX_LABELS)
		return record_fail(err, errlen, "labels: %zu entries, more "
		    "than the limit of %d", r->n_labels, RECORD_MAX_LABELS);
	for (i = 0; i < r->n_labels; i++) {
		if (record_check_string_at("labels", i, ".key",
		    r->labels[i]->key, RECORD_MAX_NAME, 1, err, errlen) == -1 ||
		    record_check_string_at("labels", i, ".value",
		    r->labels[i]->value, RECORD_MAX_LABEL_VALUE, 0, err,
		    errlen) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(r->labels[i]->key, r->labels[j]->key) == 0)
				return record_fail(err, errlen, "labels[%zu]"
				    ".key: duplicate key '%s'", i,
				    r->labels[i]->key);
	}
	return 0;
}

/*
 * Refuses fields this version does not know, anywhere in the record: the
 * log commits to every field it stores (docs/VERIFIABLE.md), and a field
 * it cannot interpret could not be bound, disclosed or withheld.
 */
static int
record_check_unknown(const Algaudit__V1__DecisionRecord *r, char *err,
    size_t errlen)
{
	const Algaudit__V1__Attribution *a;
	const char *where = NULL;
	const ProtobufCMessage *m = NULL;
	size_t i;

	if (r->base.n_unknown_fields > 0) {
		where = "record";
		m = &r->base;
	} else if (r->algorithm != NULL &&
	    r->algorithm->base.n_unknown_fields > 0) {
		where = "algorithm";
		m = &r->algorithm->base;
	} else if (r->explanation != NULL &&
	    r->explanation->base.n_unknown_fields > 0) {
		where = "explanation";
		m = &r->explanation->base;
	}
	for (i = 0; m == NULL && i < r->n_inputs; i++)
		if (r->inputs[i]->base.n_unknown_fields > 0) {
			where = "inputs[]";
			m = &r->inputs[i]->base;
		}
	for (i = 0; m == NULL && i < r->n_labels; i++)
		if (r->labels[i]->base.n_unknown_fields > 0) {
			where = "labels[]";
			m = &r->labels[i]->base;
		}
	for (i = 0; m == NULL && r->explanation != NULL &&
	    i < r->explanation->n_attributions; i++) {
		a = r->explanation->attributions[i];
		if (a->base.n_unknown_fields > 0) {
			where = "explanation.attributions[]";
			m = &a->base;
		}
	}
	if (m == NULL)
		return 0;
	return record_fail(err, errlen, "%s: unknown field number %u (a "
	    "newer schema?); the log cannot store what it cannot commit to",
	    where, m->unknown_fields[0].tag);
}

/*
 * Checks every rule of docs/PROTOCOL.md, "Records", except the ordering
 * of producer_seq across records, which needs the producer's history.
 * Returns 0 when r is valid, else -1 with a message naming the field in
 * err (at most errlen bytes, NUL-terminated).
 */
int
record_validate(const Algaudit__V1__DecisionRecord *r, char *err,
    size_t errlen)
{
	int loss;

	if (!r->has_producer_seq || r->producer_seq == 0)
		return record_fail(err, errlen, "producer_seq: required, "
		    "must be greater than 0");
	if (!r->has_event_time_ns || r->event_time_ns <= 0)
		return record_fail(err, errlen, "event_time_ns: required, "
		    "must be greater than 0");
	if (record_check_unknown(r, err, errlen) == -1)
		return -1;
	loss = r->has_lost_records && r->lost_records > 0;
	if (record_check_algorithm(r->algorithm, !loss, err, errlen) == -1)
		return -1;
	if (record_check_string("subject", r->subject, RECORD_MAX_SUBJECT, 0,
	    err, errlen) == -1 ||
	    record_check_string("decision", r->decision, RECORD_MAX_ID, !loss,
	    err, errlen) == -1 ||
	    record_check_double("score", r->has_score, r->score, err,
	    errlen) == -1 ||
	    record_check_inputs(r, err, errlen) == -1 ||
	    record_check_bytes("input_digest", r->has_input_digest,
	    &r->input_digest, RECORD_MAX_DIGEST, err, errlen) == -1 ||
	    record_check_explanation(r->explanation, err, errlen) == -1 ||
	    record_check_enum("automation", r->has_automation, r->automation,
	    ALGAUDIT__V1__AUTOMATION__AUTOMATION_UNSPECIFIED,
	    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_REVIEW_AFTER,
	    err, errlen) == -1 ||
	    record_check_string("reviewer", r->reviewer, RECORD_MAX_ID, 0,
	    err, errlen) == -1 ||
	    record_check_class("data_class", r->has_data_class, r->data_class,
	    err, errlen) == -1 ||
	    record_check_string("jurisdiction", r->jurisdiction,
	    RECORD_MAX_SHORT, 0, err, errlen) == -1 ||
	    record_check_string("purpose", r->purpose, RECORD_MAX_PURPOSE, 0,
	    err, errlen) == -1 ||
	    record_check_string("trace_id", r->trace_id, RECORD_MAX_ID, 0,
	    err, errlen) == -1 ||
	    record_check_string("decision_id", r->decision_id, RECORD_MAX_ID,
	    0, err, errlen) == -1 ||
	    record_check_labels(r, err, errlen) == -1)
		return -1;
	return 0;
}

/* Returns "ordinary", "important", "core" or "unspecified". */
const char *
record_class_name(int c)
{
	switch (c) {
	case ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY:
		return "ordinary";
	case ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT:
		return "important";
	case ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE:
		return "core";
	default:
		return "unspecified";
	}
}

/* Parses a class name; returns the DataClass value or -1. */
int
record_class_parse(const char *s)
{
	if (strcmp(s, "ordinary") == 0)
		return ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	if (strcmp(s, "important") == 0)
		return ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	if (strcmp(s, "core") == 0)
		return ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE;
	return -1;
}
