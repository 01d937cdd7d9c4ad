/* SPDX-License-Identifier: ISC */
/*
 * builder.c: the record builder, algaudit_record_*.
 *
 * struct algaudit_record owns an Algaudit__V1__DecisionRecord and every
 * byte it points to: strings are copied into buffers that the record
 * keeps across algaudit_record_reset(), and arrays grow geometrically,
 * so an application that reuses one record per thread stops allocating
 * after its first few records.
 *
 * Every setter checks its value with proto/record.c's rules (the same
 * code the daemon runs) before it changes anything, so a bad value is
 * refused at the call with a message naming the field, and the record
 * is left as it was. Because every field is checked when it is set,
 * builder_prepare() (on the algaudit_log() fast path) only has to check
 * that the required fields are present; algaudit_record_validate() runs
 * the full record_validate() for those who want the belt and braces.
 * This file never does I/O.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "record.h"

/* A reusable buffer for one string or bytes field. */
struct builder_buf {
	char		*bb_data;
	size_t		 bb_cap;
};

struct builder_input {
	Algaudit__V1__Input	 bi_msg;
	struct builder_buf	 bi_name;
	struct builder_buf	 bi_text;
};

struct builder_attr {
	Algaudit__V1__Attribution ba_msg;
	struct builder_buf	 ba_feature;
};

struct builder_label {
	Algaudit__V1__Label	 bl_msg;
	struct builder_buf	 bl_key;
	struct builder_buf	 bl_value;
};

/*
 * A growable array of elements that are allocated one by one and kept
 * for reuse (so pointers handed to protobuf-c stay valid), plus the
 * array of message pointers protobuf-c reads.
 */
struct builder_vec {
	void		**bv_elems;	/* bv_nalloc allocated elements */
	void		**bv_ptrs;	/* what the message points to */
	size_t		 bv_nalloc;
	size_t		 bv_cap;	/* capacity of both arrays */
};

struct algaudit_record {
	Algaudit__V1__DecisionRecord r_msg;
	Algaudit__V1__Algorithm	 r_algo;
	Algaudit__V1__Explanation r_expl;
	struct builder_buf	 r_algo_id;
	struct builder_buf	 r_algo_version;
	struct builder_buf	 r_filing;
	struct builder_buf	 r_model_digest;
	struct builder_buf	 r_subject;
	struct builder_buf	 r_decision;
	struct builder_buf	 r_input_digest;
	struct builder_buf	 r_expl_text;
	struct builder_buf	 r_reviewer;
	struct builder_buf	 r_jurisdiction;
	struct builder_buf	 r_purpose;
	struct builder_buf	 r_trace_id;
	struct builder_buf	 r_decision_id;
	struct builder_vec	 r_inputs;	/* struct builder_input */
	struct builder_vec	 r_attrs;	/* struct builder_attr */
	struct builder_vec	 r_reasons;	/* struct builder_buf */
	struct builder_vec	 r_labels;	/* struct builder_label */
	char			 r_err[RECORD_ERRLEN];
};

/* Sets the record's error message (printf-style). */
void
builder_fail(struct algaudit_record *rec, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rec->r_err, sizeof(rec->r_err), fmt, ap);
	va_end(ap);
}

/* Marks the last call as successful and returns 0. */
static int
builder_ok(struct algaudit_record *rec)
{
	rec->r_err[0] = '\0';
	return 0;
}

/*
 * Makes bb hold at least len + 1 bytes. *alias is a message pointer
 * that may point into the buffer; it follows a move so the record keeps
 * its value when a later step fails. Returns 0 or ENOMEM.
 */
static int
builder_buf_reserve(struct builder_buf *bb, size_t len, char **alias)
{
	char *p;
	size_t cap;

	if (len < bb->bb_cap)
		return 0;
	cap = bb->bb_cap < 32 ? 32 : bb->bb_cap;
	while (cap <= len)
		cap *= 2;
	if ((p = realloc(bb->bb_data, cap)) == NULL)
		return ENOMEM;
	if (alias != NULL && *alias == bb->bb_data && *alias != NULL)
		*alias = p;
	bb->bb_data = p;
	bb->bb_cap = cap;
	return 0;
}

/* Copies len bytes into a reserved buffer and NUL-terminates them. */
static char *
builder_buf_copy(struct builder_buf *bb, const void *data, size_t len)
{
	memcpy(bb->bb_data, data, len);
	bb->bb_data[len] = '\0';
	return bb->bb_data;
}

/* Frees a buffer. */
static void
builder_buf_free(struct builder_buf *bb)
{
	free(bb->bb_data);
	bb->bb_data = NULL;
	bb->bb_cap = 0;
}

/*
 * Makes room for element number n (0-based) in v, allocating the
 * element (size bytes, zeroed) if it was never allocated. *msgptrs is
 * the message's array pointer, updated when the array moves. Returns
 * the element or NULL (ENOMEM; nothing the message sees has changed).
 */
static void *
builder_vec_slot(struct builder_vec *v, size_t n, size_t size,
    void ***msgptrs)
{
	void **elems, **ptrs, *e;
	size_t cap;

	if (n >= v->bv_cap) {
		cap = v->bv_cap == 0 ? 4 : v->bv_cap * 2;
		if ((elems = realloc(v->bv_elems, cap * sizeof(*elems))) ==
		    NULL)
			return NULL;
		v->bv_elems = elems;
		if ((ptrs = realloc(v->bv_ptrs, cap * sizeof(*ptrs))) == NULL)
			return NULL;
		if (*msgptrs == v->bv_ptrs)
			*msgptrs = ptrs;
		v->bv_ptrs = ptrs;
		v->bv_cap = cap;
	}
	if (n >= v->bv_nalloc) {
		if ((e = calloc(1, size)) == NULL)
			return NULL;
		v->bv_elems[v->bv_nalloc++] = e;
	}
	return v->bv_elems[n];
}

/* Sets the message's optional sub-messages present iff they hold data. */
static void
builder_sync(struct algaudit_record *rec)
{
	Algaudit__V1__Algorithm *a = &rec->r_algo;
	Algaudit__V1__Explanation *e = &rec->r_expl;

	rec->r_msg.algorithm = (a->id != NULL || a->version != NULL ||
	    a->has_type || a->filing_number != NULL || a->has_model_digest) ?
	    a : NULL;
	rec->r_msg.explanation = (e->n_attributions > 0 ||
	    e->n_reason_codes > 0 || e->text != NULL) ? e : NULL;
}

/*
 * Sets an optional string field: checks s (NULL or "" clears), copies
 * it into bb and points *dst at it. Returns 0, ALGAUDIT_EINVAL or
 * ENOMEM; on error nothing changes.
 */
static int
builder_set_string(struct algaudit_record *rec, const char *field,
    struct builder_buf *bb, char **dst, const char *s, size_t max)
{
	size_t len;

	if (record_check_string(field, s, max, 0, rec->r_err,
	    sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	if (s == NULL || *s == '\0') {
		*dst = NULL;
		builder_sync(rec);
		return builder_ok(rec);
	}
	len = strlen(s);
	if (builder_buf_reserve(bb, len, dst) != 0) {
		builder_fail(rec, "%s: out of memory", field);
		return ENOMEM;
	}
	*dst = builder_buf_copy(bb, s, len);
	builder_sync(rec);
	return builder_ok(rec);
}

/* Sets an optional bytes field; NULL or len 0 clears it. */
static int
builder_set_bytes(struct algaudit_record *rec, const char *field,
    struct builder_buf *bb, protobuf_c_boolean *has, ProtobufCBinaryData *dst,
    const void *data, size_t len, size_t max)
{
	if (data == NULL || len == 0) {
		*has = 0;
		dst->data = NULL;
		dst->len = 0;
		builder_sync(rec);
		return builder_ok(rec);
	}
	if (len > max) {
		builder_fail(rec, "%s: %zu bytes, longer than the limit of %zu",
		    field, len, max);
		return ALGAUDIT_EINVAL;
	}
	if (builder_buf_reserve(bb, len, NULL) != 0) {
		builder_fail(rec, "%s: out of memory", field);
		return ENOMEM;
	}
	dst->data = (uint8_t *)builder_buf_copy(bb, data, len);
	dst->len = len;
	*has = 1;
	builder_sync(rec);
	return builder_ok(rec);
}

/* Checks a data class argument; returns 0 or ALGAUDIT_EINVAL. */
static int
builder_check_class(struct algaudit_record *rec, const char *field, int c)
{
	if (c < ALGAUDIT_CLASS_ORDINARY || c > ALGAUDIT_CLASS_CORE) {
		builder_fail(rec, "%s: %d is not a data class (ordinary 1, "
		    "important 2 or core 3)", field, c);
		return ALGAUDIT_EINVAL;
	}
	return 0;
}

/* Checks a double argument: finite. */
static int
builder_check_double(struct algaudit_record *rec, const char *field,
    double v)
{
	if (!isfinite(v)) {
		builder_fail(rec, "%s: not a finite number", field);
		return ALGAUDIT_EINVAL;
	}
	return 0;
}

/* Checks an argument pointer; fails with EINVAL naming the call. */
#define BUILDER_CHECK_REC(rec)						\
	do {								\
		if ((rec) == NULL)					\
			return ALGAUDIT_EINVAL;				\
	} while (0)

int
algaudit_record_new(struct algaudit_record **out)
{
	struct algaudit_record *rec;

	if (out == NULL)
		return ALGAUDIT_EINVAL;
	if ((rec = calloc(1, sizeof(*rec))) == NULL)
		return ENOMEM;
	algaudit_record_reset(rec);
	*out = rec;
	return 0;
}

/* Frees the elements of a vector with free_elem, then the arrays. */
static void
builder_vec_free(struct builder_vec *v, void (*free_elem)(void *))
{
	size_t i;

	for (i = 0; i < v->bv_nalloc; i++) {
		free_elem(v->bv_elems[i]);
		free(v->bv_elems[i]);
	}
	free(v->bv_elems);
	free(v->bv_ptrs);
}

/* Frees what one input element owns. */
static void
builder_input_free(void *p)
{
	struct builder_input *bi = p;

	builder_buf_free(&bi->bi_name);
	builder_buf_free(&bi->bi_text);
}

/* Frees what one attribution element owns. */
static void
builder_attr_free(void *p)
{
	struct builder_attr *ba = p;

	builder_buf_free(&ba->ba_feature);
}

/* Frees what one reason code element owns. */
static void
builder_reason_free(void *p)
{
	builder_buf_free(p);
}

/* Frees what one label element owns. */
static void
builder_label_free(void *p)
{
	struct builder_label *bl = p;

	builder_buf_free(&bl->bl_key);
	builder_buf_free(&bl->bl_value);
}

void
algaudit_record_free(struct algaudit_record *rec)
{
	if (rec == NULL)
		return;
	builder_buf_free(&rec->r_algo_id);
	builder_buf_free(&rec->r_algo_version);
	builder_buf_free(&rec->r_filing);
	builder_buf_free(&rec->r_model_digest);
	builder_buf_free(&rec->r_subject);
	builder_buf_free(&rec->r_decision);
	builder_buf_free(&rec->r_input_digest);
	builder_buf_free(&rec->r_expl_text);
	builder_buf_free(&rec->r_reviewer);
	builder_buf_free(&rec->r_jurisdiction);
	builder_buf_free(&rec->r_purpose);
	builder_buf_free(&rec->r_trace_id);
	builder_buf_free(&rec->r_decision_id);
	builder_vec_free(&rec->r_inputs, builder_input_free);
	builder_vec_free(&rec->r_attrs, builder_attr_free);
	builder_vec_free(&rec->r_reasons, builder_reason_free);
	builder_vec_free(&rec->r_labels, builder_label_free);
	free(rec);
}

void
algaudit_record_reset(struct algaudit_record *rec)
{
	Algaudit__V1__DecisionRecord m = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Explanation e = ALGAUDIT__V1__EXPLANATION__INIT;

	if (rec == NULL)
		return;
	m.inputs = (Algaudit__V1__Input **)rec->r_inputs.bv_ptrs;
	m.labels = (Algaudit__V1__Label **)rec->r_labels.bv_ptrs;
	e.attributions = (Algaudit__V1__Attribution **)rec->r_attrs.bv_ptrs;
	e.reason_codes = (char **)rec->r_reasons.bv_ptrs;
	rec->r_msg = m;
	rec->r_algo = a;
	rec->r_expl = e;
	rec->r_err[0] = '\0';
}

const char *
algaudit_record_error(const struct algaudit_record *rec)
{
	if (rec == NULL)
		return "record: NULL";
	return rec->r_err;
}

int
algaudit_record_set_event_time(struct algaudit_record *rec,
    int64_t ns_since_epoch)
{
	BUILDER_CHECK_REC(rec);
	if (ns_since_epoch <= 0) {
		builder_fail(rec, "event_time_ns: %lld, must be greater than 0",
		    (long long)ns_since_epoch);
		return ALGAUDIT_EINVAL;
	}
	rec->r_msg.has_event_time_ns = 1;
	rec->r_msg.event_time_ns = ns_since_epoch;
	return builder_ok(rec);
}

int
algaudit_record_set_algorithm(struct algaudit_record *rec, const char *id,
    const char *version)
{
	size_t idlen, vlen;

	BUILDER_CHECK_REC(rec);
	if (record_check_string("algorithm.id", id, RECORD_MAX_ID, 1,
	    rec->r_err, sizeof(rec->r_err)) == -1 ||
	    record_check_string("algorithm.version", version,
	    RECORD_MAX_VERSION, 0, rec->r_err, sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	idlen = strlen(id);
	vlen = version != NULL ? strlen(version) : 0;
	if (builder_buf_reserve(&rec->r_algo_id, idlen,
	    &rec->r_algo.id) != 0 ||
	    (vlen > 0 && builder_buf_reserve(&rec->r_algo_version, vlen,
	    &rec->r_algo.version) != 0)) {
		builder_fail(rec, "algorithm: out of memory");
		return ENOMEM;
	}
	rec->r_algo.id = builder_buf_copy(&rec->r_algo_id, id, idlen);
	rec->r_algo.version = vlen > 0 ?
	    builder_buf_copy(&rec->r_algo_version, version, vlen) : NULL;
	builder_sync(rec);
	return builder_ok(rec);
}

int
algaudit_record_set_algorithm_type(struct algaudit_record *rec, int type)
{
	BUILDER_CHECK_REC(rec);
	if (type < 0 || type > ALGAUDIT_TYPE_OTHER) {
		builder_fail(rec, "algorithm.type: unknown value %d (1 to %d, "
		    "0 clears)", type, ALGAUDIT_TYPE_OTHER);
		return ALGAUDIT_EINVAL;
	}
	rec->r_algo.has_type = type != 0;
	rec->r_algo.type = (Algaudit__V1__AlgorithmType)type;
	builder_sync(rec);
	return builder_ok(rec);
}

int
algaudit_record_set_filing_number(struct algaudit_record *rec,
    const char *filing_number)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "algorithm.filing_number",
	    &rec->r_filing, &rec->r_algo.filing_number, filing_number,
	    RECORD_MAX_FILING);
}

int
algaudit_record_set_model_digest(struct algaudit_record *rec,
    const void *digest, size_t len)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_bytes(rec, "algorithm.model_digest",
	    &rec->r_model_digest, &rec->r_algo.has_model_digest,
	    &rec->r_algo.model_digest, digest, len, RECORD_MAX_DIGEST);
}

int
algaudit_record_set_subject(struct algaudit_record *rec, const char *subject)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "subject", &rec->r_subject,
	    &rec->r_msg.subject, subject, RECORD_MAX_SUBJECT);
}

int
algaudit_record_set_decision(struct algaudit_record *rec,
    const char *decision)
{
	BUILDER_CHECK_REC(rec);
	if (record_check_string("decision", decision, RECORD_MAX_ID, 1,
	    rec->r_err, sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	return builder_set_string(rec, "decision", &rec->r_decision,
	    &rec->r_msg.decision, decision, RECORD_MAX_ID);
}

int
algaudit_record_set_score(struct algaudit_record *rec, double score)
{
	BUILDER_CHECK_REC(rec);
	if (builder_check_double(rec, "score", score) != 0)
		return ALGAUDIT_EINVAL;
	rec->r_msg.has_score = 1;
	rec->r_msg.score = score;
	return builder_ok(rec);
}

int
algaudit_record_clear_score(struct algaudit_record *rec)
{
	BUILDER_CHECK_REC(rec);
	rec->r_msg.has_score = 0;
	rec->r_msg.score = 0;
	return builder_ok(rec);
}

/*
 * Adds an input: checks the name, the class and the value (by kind),
 * then appends. kind is one of the Input value cases; text is used for
 * TEXT, number for NUMBER and FLAG.
 */
static int
builder_add_input(struct algaudit_record *rec, const char *name, int kind,
    const char *text, double number, int data_class)
{
	struct builder_input *bi;
	Algaudit__V1__Input init = ALGAUDIT__V1__INPUT__INIT;
	char field[64];
	size_t n = rec->r_msg.n_inputs, nlen, tlen = 0;

	if (n >= RECORD_MAX_INPUTS) {
		builder_fail(rec, "inputs: already %zu entries, the limit",
		    n);
		return ALGAUDIT_EINVAL;
	}
	snprintf(field, sizeof(field), "inputs[%zu].name", n);
	if (record_check_string(field, name, RECORD_MAX_NAME, 1, rec->r_err,
	    sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	if (kind == ALGAUDIT__V1__INPUT__VALUE_TEXT) {
		snprintf(field, sizeof(field), "inputs[%zu].text", n);
		if (record_check_string(field, text, RECORD_MAX_TEXT, 0,
		    rec->r_err, sizeof(rec->r_err)) == -1)
			return ALGAUDIT_EINVAL;
		tlen = text != NULL ? strlen(text) : 0;
	} else if (kind == ALGAUDIT__V1__INPUT__VALUE_NUMBER) {
		snprintf(field, sizeof(field), "inputs[%zu].number", n);
		if (builder_check_double(rec, field, number) != 0)
			return ALGAUDIT_EINVAL;
	}
	snprintf(field, sizeof(field), "inputs[%zu].data_class", n);
	if (builder_check_class(rec, field, data_class) != 0)
		return ALGAUDIT_EINVAL;
	nlen = strlen(name);
	if ((bi = builder_vec_slot(&rec->r_inputs, n, sizeof(*bi),
	    (void ***)&rec->r_msg.inputs)) == NULL ||
	    builder_buf_reserve(&bi->bi_name, nlen, NULL) != 0 ||
	    builder_buf_reserve(&bi->bi_text, tlen, NULL) != 0) {
		builder_fail(rec, "inputs[%zu]: out of memory", n);
		return ENOMEM;
	}
	bi->bi_msg = init;
	bi->bi_msg.name = builder_buf_copy(&bi->bi_name, name, nlen);
	bi->bi_msg.has_data_class = 1;
	bi->bi_msg.data_class = (Algaudit__V1__DataClass)data_class;
	bi->bi_msg.value_case = (Algaudit__V1__Input__ValueCase)kind;
	if (kind == ALGAUDIT__V1__INPUT__VALUE_TEXT)
		bi->bi_msg.text = builder_buf_copy(&bi->bi_text,
		    text != NULL ? text : "", tlen);
	else if (kind == ALGAUDIT__V1__INPUT__VALUE_NUMBER)
		bi->bi_msg.number = number;
	else
		bi->bi_msg.flag = number != 0;
	rec->r_inputs.bv_ptrs[n] = &bi->bi_msg;
	rec->r_msg.inputs = (Algaudit__V1__Input **)rec->r_inputs.bv_ptrs;
	rec->r_msg.n_inputs = n + 1;
	return builder_ok(rec);
}

int
algaudit_record_add_input_text(struct algaudit_record *rec, const char *name,
    const char *value, int data_class)
{
	BUILDER_CHECK_REC(rec);
	return builder_add_input(rec, name, ALGAUDIT__V1__INPUT__VALUE_TEXT,
	    value, 0, data_class);
}

int
algaudit_record_add_input_number(struct algaudit_record *rec,
    const char *name, double value, int data_class)
{
	BUILDER_CHECK_REC(rec);
	return builder_add_input(rec, name, ALGAUDIT__V1__INPUT__VALUE_NUMBER,
	    NULL, value, data_class);
}

int
algaudit_record_add_input_bool(struct algaudit_record *rec, const char *name,
    int value, int data_class)
{
	BUILDER_CHECK_REC(rec);
	return builder_add_input(rec, name, ALGAUDIT__V1__INPUT__VALUE_FLAG,
	    NULL, value != 0, data_class);
}

int
algaudit_record_set_input_digest(struct algaudit_record *rec,
    const void *digest, size_t len)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_bytes(rec, "input_digest", &rec->r_input_digest,
	    &rec->r_msg.has_input_digest, &rec->r_msg.input_digest, digest,
	    len, RECORD_MAX_DIGEST);
}

int
algaudit_record_add_attribution(struct algaudit_record *rec,
    const char *feature, double weight)
{
	struct builder_attr *ba;
	Algaudit__V1__Attribution init = ALGAUDIT__V1__ATTRIBUTION__INIT;
	char field[64];
	size_t n, len;

	BUILDER_CHECK_REC(rec);
	n = rec->r_expl.n_attributions;
	if (n >= RECORD_MAX_ATTRIBUTIONS) {
		builder_fail(rec, "explanation.attributions: already %zu "
		    "entries, the limit", n);
		return ALGAUDIT_EINVAL;
	}
	snprintf(field, sizeof(field), "explanation.attributions[%zu].feature",
	    n);
	if (record_check_string(field, feature, RECORD_MAX_NAME, 1,
	    rec->r_err, sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	snprintf(field, sizeof(field), "explanation.attributions[%zu].weight",
	    n);
	if (builder_check_double(rec, field, weight) != 0)
		return ALGAUDIT_EINVAL;
	len = strlen(feature);
	if ((ba = builder_vec_slot(&rec->r_attrs, n, sizeof(*ba),
	    (void ***)&rec->r_expl.attributions)) == NULL ||
	    builder_buf_reserve(&ba->ba_feature, len, NULL) != 0) {
		builder_fail(rec, "explanation.attributions[%zu]: out of "
		    "memory", n);
		return ENOMEM;
	}
	ba->ba_msg = init;
	ba->ba_msg.feature = builder_buf_copy(&ba->ba_feature, feature, len);
	ba->ba_msg.has_weight = 1;
	ba->ba_msg.weight = weight;
	rec->r_attrs.bv_ptrs[n] = &ba->ba_msg;
	rec->r_expl.attributions =
	    (Algaudit__V1__Attribution **)rec->r_attrs.bv_ptrs;
	rec->r_expl.n_attributions = n + 1;
	builder_sync(rec);
	return builder_ok(rec);
}

int
algaudit_record_add_reason_code(struct algaudit_record *rec,
    const char *code)
{
	struct builder_buf *bb;
	char field[64];
	size_t n, len;

	BUILDER_CHECK_REC(rec);
	n = rec->r_expl.n_reason_codes;
	if (n >= RECORD_MAX_REASON_CODES) {
		builder_fail(rec, "explanation.reason_codes: already %zu "
		    "entries, the limit", n);
		return ALGAUDIT_EINVAL;
	}
	snprintf(field, sizeof(field), "explanation.reason_codes[%zu]", n);
	if (record_check_string(field, code, RECORD_MAX_SHORT, 1, rec->r_err,
	    sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	len = strlen(code);
	if ((bb = builder_vec_slot(&rec->r_reasons, n, sizeof(*bb),
	    (void ***)&rec->r_expl.reason_codes)) == NULL ||
	    builder_buf_reserve(bb, len, NULL) != 0) {
		builder_fail(rec, "explanation.reason_codes[%zu]: out of "
		    "memory", n);
		return ENOMEM;
	}
	rec->r_reasons.bv_ptrs[n] = builder_buf_copy(bb, code, len);
	rec->r_expl.reason_codes = (char **)rec->r_reasons.bv_ptrs;
	rec->r_expl.n_reason_codes = n + 1;
	builder_sync(rec);
	return builder_ok(rec);
}

int
algaudit_record_set_explanation_text(struct algaudit_record *rec,
    const char *text)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "explanation.text", &rec->r_expl_text,
	    &rec->r_expl.text, text, RECORD_MAX_TEXT);
}

int
algaudit_record_set_automation(struct algaudit_record *rec, int automation)
{
	BUILDER_CHECK_REC(rec);
	if (automation < 0 || automation > ALGAUDIT_HUMAN_REVIEW_AFTER) {
		builder_fail(rec, "automation: unknown value %d (1 to %d, "
		    "0 clears)", automation, ALGAUDIT_HUMAN_REVIEW_AFTER);
		return ALGAUDIT_EINVAL;
	}
	rec->r_msg.has_automation = automation != 0;
	rec->r_msg.automation = (Algaudit__V1__Automation)automation;
	return builder_ok(rec);
}

int
algaudit_record_set_reviewer(struct algaudit_record *rec,
    const char *reviewer)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "reviewer", &rec->r_reviewer,
	    &rec->r_msg.reviewer, reviewer, RECORD_MAX_ID);
}

int
algaudit_record_set_data_class(struct algaudit_record *rec, int data_class)
{
	BUILDER_CHECK_REC(rec);
	if (builder_check_class(rec, "data_class", data_class) != 0)
		return ALGAUDIT_EINVAL;
	rec->r_msg.has_data_class = 1;
	rec->r_msg.data_class = (Algaudit__V1__DataClass)data_class;
	return builder_ok(rec);
}

int
algaudit_record_set_jurisdiction(struct algaudit_record *rec,
    const char *jurisdiction)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "jurisdiction", &rec->r_jurisdiction,
	    &rec->r_msg.jurisdiction, jurisdiction, RECORD_MAX_SHORT);
}

int
algaudit_record_set_purpose(struct algaudit_record *rec, const char *purpose)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "purpose", &rec->r_purpose,
	    &rec->r_msg.purpose, purpose, RECORD_MAX_PURPOSE);
}

int
algaudit_record_set_trace_id(struct algaudit_record *rec,
    const char *trace_id)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "trace_id", &rec->r_trace_id,
	    &rec->r_msg.trace_id, trace_id, RECORD_MAX_ID);
}

int
algaudit_record_set_decision_id(struct algaudit_record *rec,
    const char *decision_id)
{
	BUILDER_CHECK_REC(rec);
	return builder_set_string(rec, "decision_id", &rec->r_decision_id,
	    &rec->r_msg.decision_id, decision_id, RECORD_MAX_ID);
}

int
algaudit_record_add_label(struct algaudit_record *rec, const char *key,
    const char *value)
{
	struct builder_label *bl;
	Algaudit__V1__Label init = ALGAUDIT__V1__LABEL__INIT;
	char field[64];
	size_t i, n, klen, vlen;

	BUILDER_CHECK_REC(rec);
	n = rec->r_msg.n_labels;
	if (n >= RECORD_MAX_LABELS) {
		builder_fail(rec, "labels: already %zu entries, the limit", n);
		return ALGAUDIT_EINVAL;
	}
	snprintf(field, sizeof(field), "labels[%zu].key", n);
	if (record_check_string(field, key, RECORD_MAX_NAME, 1, rec->r_err,
	    sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	snprintf(field, sizeof(field), "labels[%zu].value", n);
	if (record_check_string(field, value, RECORD_MAX_LABEL_VALUE, 0,
	    rec->r_err, sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	for (i = 0; i < n; i++)
		if (strcmp(rec->r_msg.labels[i]->key, key) == 0) {
			builder_fail(rec, "labels[%zu].key: duplicate key "
			    "'%s' (labels[%zu])", n, key, i);
			return ALGAUDIT_EINVAL;
		}
	klen = strlen(key);
	vlen = value != NULL ? strlen(value) : 0;
	if ((bl = builder_vec_slot(&rec->r_labels, n, sizeof(*bl),
	    (void ***)&rec->r_msg.labels)) == NULL ||
	    builder_buf_reserve(&bl->bl_key, klen, NULL) != 0 ||
	    builder_buf_reserve(&bl->bl_value, vlen, NULL) != 0) {
		builder_fail(rec, "labels[%zu]: out of memory", n);
		return ENOMEM;
	}
	bl->bl_msg = init;
	bl->bl_msg.key = builder_buf_copy(&bl->bl_key, key, klen);
	bl->bl_msg.value = vlen > 0 ?
	    builder_buf_copy(&bl->bl_value, value, vlen) : NULL;
	rec->r_labels.bv_ptrs[n] = &bl->bl_msg;
	rec->r_msg.labels = (Algaudit__V1__Label **)rec->r_labels.bv_ptrs;
	rec->r_msg.n_labels = n + 1;
	return builder_ok(rec);
}

/*
 * Fills *copy with a shallow copy of rec's message ready to encode
 * (event time set to now_ns if the app did not set one, no seq) after
 * checking the required fields. The setters have checked every other
 * rule already. Returns 0 or ALGAUDIT_EINVAL with the error set.
 */
int
builder_prepare(struct algaudit_record *rec,
    Algaudit__V1__DecisionRecord *copy, int64_t now_ns)
{
	const Algaudit__V1__DecisionRecord *m = &rec->r_msg;

	if (m->algorithm == NULL || m->algorithm->id == NULL) {
		builder_fail(rec, "algorithm.id: required, missing or empty");
		return ALGAUDIT_EINVAL;
	}
	if (m->decision == NULL) {
		builder_fail(rec, "decision: required, missing or empty");
		return ALGAUDIT_EINVAL;
	}
	if (!m->has_data_class) {
		builder_fail(rec, "data_class: required, unspecified "
		    "(ordinary, important or core)");
		return ALGAUDIT_EINVAL;
	}
	*copy = *m;
	copy->has_producer_seq = 0;
	copy->producer_seq = 0;
	if (!copy->has_event_time_ns) {
		copy->has_event_time_ns = 1;
		copy->event_time_ns = now_ns;
	}
	rec->r_err[0] = '\0';
	return 0;
}

int
algaudit_record_validate(struct algaudit_record *rec)
{
	Algaudit__V1__DecisionRecord copy;

	BUILDER_CHECK_REC(rec);
	copy = rec->r_msg;
	copy.has_producer_seq = 1;
	copy.producer_seq = 1;
	if (!copy.has_event_time_ns) {
		copy.has_event_time_ns = 1;
		copy.event_time_ns = 1;
	}
	if (record_validate(&copy, rec->r_err, sizeof(rec->r_err)) == -1)
		return ALGAUDIT_EINVAL;
	return builder_ok(rec);
}
