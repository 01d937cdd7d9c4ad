/* SPDX-License-Identifier: ISC */
/*
 * json_record.c: the JSON form of a decision record, both ways.
 *
 * In: one JSON object (one line of `algaudit log` input) becomes a record
 * of the client library, built only through its algaudit_record_*
 * setters, so the library's rules and messages apply unchanged. The
 * parser is strict because an audit log must not lose data silently:
 * unknown keys, duplicate keys, wrong types and keys the library or the
 * daemon set (producer_seq, index, ...) are errors, and every error
 * names the key path ("inputs[2].data_class: unknown class 'secret'
 * (ordinary, important or core)"). Parsing is jansson's; nothing here
 * reads JSON text by hand.
 *
 * Out: a stored Entry becomes one JSON object with the same key names
 * and value forms as the input, plus what the daemon added, so that a
 * record logged from JSON reads back with the same fields and values.
 * Reals are written with the fewest digits that read back exactly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "tools.h"

#define JSON_RECORD_PATHLEN	160

/* State of one parse. */
struct json_record_ctx {
	struct algaudit_record	*jc_rec;
	char			*jc_err;
	size_t			 jc_errlen;
	int			 jc_class;	/* record's class, for inputs */
};

/* Names of the enums, indexed by their proto values. */
static const char *const json_record_types[] = {
	NULL, "generative_synthetic", "personalized_push",
	"sorting_selection", "retrieval_filtering", "scheduling_decision",
	"other"
};
static const char *const json_record_automations[] = {
	NULL, "fully_automated", "human_in_the_loop", "human_review_after"
};
static const char *const json_record_classes[] = {
	NULL, "ordinary", "important", "core"
};

#define JSON_RECORD_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* String fields of the record, all set the same way. */
static const struct {
	const char	*key;
	int		(*set)(struct algaudit_record *, const char *);
} json_record_strings[] = {
	{ "subject", algaudit_record_set_subject },
	{ "decision", algaudit_record_set_decision },
	{ "reviewer", algaudit_record_set_reviewer },
	{ "jurisdiction", algaudit_record_set_jurisdiction },
	{ "purpose", algaudit_record_set_purpose },
	{ "trace_id", algaudit_record_set_trace_id },
	{ "decision_id", algaudit_record_set_decision_id }
};

/* Every key of the record object, for suggestions. */
static const char *const json_record_keys[] = {
	"event_time_ns", "event_time", "algorithm", "subject", "decision",
	"score", "inputs", "input_digest", "explanation", "automation",
	"reviewer", "data_class", "jurisdiction", "purpose", "trace_id",
	"decision_id", "labels"
};
static const char *const json_record_algorithm_keys[] = {
	"id", "version", "type", "filing_number", "model_digest"
};
static const char *const json_record_input_keys[] = {
	"name", "value", "data_class"
};
static const char *const json_record_explanation_keys[] = {
	"attributions", "reason_codes", "text"
};
static const char *const json_record_attribution_keys[] = {
	"feature", "weight"
};

/* Keys of the JSONL output that the input must not carry. */
static const struct {
	const char	*key;
	const char	*who;
} json_record_assigned[] = {
	{ "producer_seq", "assigned by the client library" },
	{ "lost_records", "written by the client library for dropped "
	    "records" },
	{ "index", "assigned by the daemon" },
	{ "receive_time_ns", "assigned by the daemon" },
	{ "producer_id", "given with --producer" },
	{ "peer", "assigned by the daemon" },
	{ "clock_skewed", "flagged by the daemon" }
};

/* Formats an error into the context; returns -1 for convenience. */
static int
json_record_fail(struct json_record_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
json_record_fail(struct json_record_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->jc_err, c->jc_errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Turns the result of a builder call into 0 or -1 with its message. */
static int
json_record_setter(struct json_record_ctx *c, const char *path, int rc)
{
	const char *msg;

	if (rc == 0)
		return 0;
	msg = algaudit_record_error(c->jc_rec);
	if (rc == ALGAUDIT_EINVAL && msg != NULL && *msg != '\0')
		return json_record_fail(c, "%s", msg);
	return json_record_fail(c, "%s: %s", path, algaudit_strerror(rc));
}

/*
 * Rewrites a builder message that names the field from (the builder's
 * name, e.g. "inputs[2].text") to name to (the JSON key path, e.g.
 * "inputs[2].value"). Returns -1 for convenience.
 */
static int
json_record_remap(struct json_record_ctx *c, const char *from, const char *to)
{
	char rest[JSON_RECORD_ERRLEN];
	size_t n;

	n = strlen(from);
	if (strncmp(c->jc_err, from, n) != 0 || c->jc_err[n] != ':')
		return -1;
	snprintf(rest, sizeof(rest), "%s", c->jc_err + n);
	return json_record_fail(c, "%s%s", to, rest);
}

/* Names the JSON type of v for messages: "a string", "null", ... */
static const char *
json_record_typeof(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* Returns the edit distance of a and b, or a large value if long. */
static size_t
json_record_distance(const char *a, const char *b)
{
	size_t la, lb, i, j, prev[33], cur[33], sub;

	la = strlen(a);
	lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			cur[j] = prev[j] + 1 < cur[j - 1] + 1 ?
			    prev[j] + 1 : cur[j - 1] + 1;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* Reports an unknown key at path, suggesting the nearest known key. */
static int
json_record_unknown(struct json_record_ctx *c, const char *path,
    const char *const *keys, size_t nkeys)
{
	const char *key, *best = NULL;
	size_t i, d, bestd = 3;

	key = strrchr(path, '.');
	key = key != NULL ? key + 1 : path;
	for (i = 0; i < nkeys; i++)
		if ((d = json_record_distance(key, keys[i])) < bestd) {
			bestd = d;
			best = keys[i];
		}
	if (best != NULL)
		return json_record_fail(c, "%s: unknown key (did you mean "
		    "'%s'?)", path, best);
	return json_record_fail(c, "%s: unknown key", path);
}

/* Requires v to be a string; stores it in *out. */
static int
json_record_string(struct json_record_ctx *c, const char *path,
    const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return json_record_fail(c, "%s: expected a string, got %s",
		    path, json_record_typeof(v));
	*out = json_string_value(v);
	return 0;
}

/* Requires v to be a number (integer or real); stores it in *out. */
static int
json_record_number(struct json_record_ctx *c, const char *path,
    const json_t *v, double *out)
{
	if (!json_is_number(v))
		return json_record_fail(c, "%s: expected a number, got %s",
		    path, json_record_typeof(v));
	*out = json_number_value(v);
	return 0;
}

/* Requires v to be an object or an array, as want says. */
static int
json_record_container(struct json_record_ctx *c, const char *path,
    const json_t *v, json_type want)
{
	if (json_typeof(v) == want)
		return 0;
	return json_record_fail(c, "%s: expected %s, got %s", path,
	    want == JSON_OBJECT ? "an object" : "an array",
	    json_record_typeof(v));
}

/* Decodes a hex string (either case) into buf of max bytes. */
static int
json_record_hex(struct json_record_ctx *c, const char *path, const json_t *v,
    uint8_t *buf, size_t max, size_t *len)
{
	const char *s;
	size_t n, i;
	int hi, lo;

	if (json_record_string(c, path, v, &s) == -1)
		return -1;
	n = json_string_length(v);
	if (n == 0 || n % 2 != 0)
		return json_record_fail(c, "%s: expected an even, non-zero "
		    "number of hex digits, got %zu", path, n);
	if (n / 2 > max)
		return json_record_fail(c, "%s: %zu bytes, longer than the "
		    "limit of %zu", path, n / 2, max);
	for (i = 0; i < n; i += 2) {
		hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
		    s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
		lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
		    s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10 :
		    s[i + 1] >= 'A' && s[i + 1] <= 'F' ? s[i + 1] - 'A' + 10 :
		    -1;
		if (hi < 0 || lo < 0)
			return json_record_fail(c, "%s: not a hex digit at "
			    "offset %zu", path, hi < 0 ? i : i + 1);
		buf[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/*
 * Looks the string v up in names (indexed by value, [0] unused); what
 * names the kind for the message. Stores the value in *out.
 */
static int
json_record_enum(struct json_record_ctx *c, const char *path, const json_t *v,
    const char *const *names, size_t n, const char *what, int *out)
{
	char list[256];
	const char *s;
	size_t i, len;

	if (json_record_string(c, path, v, &s) == -1)
		return -1;
	for (i = 1; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	list[0] = '\0';
	for (i = 1; i < n; i++) {
		len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 1 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	}
	return json_record_fail(c, "%s: unknown %s '%s' (%s)", path, what, s,
	    list);
}

/* Parses a data class name at path. */
static int
json_record_class(struct json_record_ctx *c, const char *path,
    const json_t *v, int *out)
{
	return json_record_enum(c, path, v, json_record_classes,
	    JSON_RECORD_NITEMS(json_record_classes), "class", out);
}

/* Parses and sets the algorithm object. */
static int
json_record_algorithm(struct json_record_ctx *c, json_t *v)
{
	uint8_t digest[RECORD_MAX_DIGEST];
	char path[JSON_RECORD_PATHLEN];
	const char *key, *id = NULL, *version = NULL, *filing = NULL;
	json_t *m;
	size_t dlen = 0;
	int type = 0, has_digest = 0;

	if (json_record_container(c, "algorithm", v, JSON_OBJECT) == -1)
		return -1;
	json_object_foreach(v, key, m) {
		snprintf(path, sizeof(path), "algorithm.%s", key);
		if (strcmp(key, "id") == 0) {
			if (json_record_string(c, path, m, &id) == -1)
				return -1;
		} else if (strcmp(key, "version") == 0) {
			if (json_record_string(c, path, m, &version) == -1)
				return -1;
		} else if (strcmp(key, "type") == 0) {
			if (json_record_enum(c, path, m, json_record_types,
			    JSON_RECORD_NITEMS(json_record_types), "type",
			    &type) == -1)
				return -1;
		} else if (strcmp(key, "filing_number") == 0) {
			if (json_record_string(c, path, m, &filing) == -1)
				return -1;
		} else if (strcmp(key, "model_digest") == 0) {
			if (json_record_hex(c, path, m, digest,
			    sizeof(digest), &dlen) == -1)
				return -1;
			has_digest = 1;
		} else
			return json_record_unknown(c, path,
			    json_record_algorithm_keys,
			    JSON_RECORD_NITEMS(json_record_algorithm_keys));
	}
	if (id == NULL)
		return json_record_fail(c, "algorithm.id: required, missing "
		    "or empty");
	if (json_record_setter(c, "algorithm.id",
	    algaudit_record_set_algorithm(c->jc_rec, id, version)) == -1)
		return -1;
	if (type != 0 && json_record_setter(c, "algorithm.type",
	    algaudit_record_set_algorithm_type(c->jc_rec, type)) == -1)
		return -1;
	if (filing != NULL && json_record_setter(c, "algorithm.filing_number",
	    algaudit_record_set_filing_number(c->jc_rec, filing)) == -1)
		return -1;
	if (has_digest && json_record_setter(c, "algorithm.model_digest",
	    algaudit_record_set_model_digest(c->jc_rec, digest, dlen)) == -1)
		return -1;
	return 0;
}

/* Parses and adds one element of inputs. */
static int
json_record_input(struct json_record_ctx *c, size_t idx, json_t *v)
{
	char path[JSON_RECORD_PATHLEN], base[32], field[48];
	const char *key, *name = NULL;
	json_t *m, *value = NULL;
	int cls, rc;

	snprintf(base, sizeof(base), "inputs[%zu]", idx);
	if (json_record_container(c, base, v, JSON_OBJECT) == -1)
		return -1;
	cls = c->jc_class;
	json_object_foreach(v, key, m) {
		snprintf(path, sizeof(path), "%s.%s", base, key);
		if (strcmp(key, "name") == 0) {
			if (json_record_string(c, path, m, &name) == -1)
				return -1;
		} else if (strcmp(key, "value") == 0)
			value = m;
		else if (strcmp(key, "data_class") == 0) {
			if (json_record_class(c, path, m, &cls) == -1)
				return -1;
		} else
			return json_record_unknown(c, path,
			    json_record_input_keys,
			    JSON_RECORD_NITEMS(json_record_input_keys));
	}
	if (name == NULL)
		return json_record_fail(c, "%s.name: required, missing or "
		    "empty", base);
	if (value == NULL)
		return json_record_fail(c, "%s.value: required (a string, a "
		    "number or a boolean)", base);
	if (cls == 0)
		return json_record_fail(c, "%s.data_class: required, missing "
		    "(give it here or give the record's data_class)", base);
	snprintf(path, sizeof(path), "%s.value", base);
	switch (json_typeof(value)) {
	case JSON_STRING:
		rc = algaudit_record_add_input_text(c->jc_rec, name,
		    json_string_value(value), cls);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		rc = algaudit_record_add_input_number(c->jc_rec, name,
		    json_number_value(value), cls);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rc = algaudit_record_add_input_bool(c->jc_rec, name,
		    json_is_true(value), cls);
		break;
	default:
		return json_record_fail(c, "%s: expected a string, a number "
		    "or a boolean, got %s", path, json_record_typeof(value));
	}
	if (json_record_setter(c, base, rc) == 0)
		return 0;
	snprintf(field, sizeof(field), "%s.text", base);
	json_record_remap(c, field, path);
	snprintf(field, sizeof(field), "%s.number", base);
	return json_record_remap(c, field, path);
}

/* Parses and adds the inputs array. */
static int
json_record_inputs(struct json_record_ctx *c, json_t *v)
{
	json_t *m;
	size_t i;

	if (json_record_container(c, "inputs", v, JSON_ARRAY) == -1)
		return -1;
	json_array_foreach(v, i, m)
		if (json_record_input(c, i, m) == -1)
			return -1;
	return 0;
}

/* Parses and adds one element of explanation.attributions. */
static int
json_record_attribution(struct json_record_ctx *c, size_t idx, json_t *v)
{
	char path[JSON_RECORD_PATHLEN], base[48];
	const char *key, *feature = NULL;
	json_t *m;
	double weight = 0;
	int has_weight = 0;

	snprintf(base, sizeof(base), "explanation.attributions[%zu]", idx);
	if (json_record_container(c, base, v, JSON_OBJECT) == -1)
		return -1;
	json_object_foreach(v, key, m) {
		snprintf(path, sizeof(path), "%s.%s", base, key);
		if (strcmp(key, "feature") == 0) {
			if (json_record_string(c, path, m, &feature) == -1)
				return -1;
		} else if (strcmp(key, "weight") == 0) {
			if (json_record_number(c, path, m, &weight) == -1)
				return -1;
			has_weight = 1;
		} else
			return json_record_unknown(c, path,
			    json_record_attribution_keys,
			    JSON_RECORD_NITEMS(json_record_attribution_keys));
	}
	if (feature == NULL)
		return json_record_fail(c, "%s.feature: required, missing or "
		    "empty", base);
	if (!has_weight)
		return json_record_fail(c, "%s.weight: required, missing",
		    base);
	return json_record_setter(c, base,
	    algaudit_record_add_attribution(c->jc_rec, feature, weight));
}

/* Parses and sets the explanation object. */
static int
json_record_explanation(struct json_record_ctx *c, json_t *v)
{
	char path[JSON_RECORD_PATHLEN];
	const char *key, *s = NULL;
	json_t *m, *e;
	size_t i;

	if (json_record_container(c, "explanation", v, JSON_OBJECT) == -1)
		return -1;
	json_object_foreach(v, key, m) {
		snprintf(path, sizeof(path), "explanation.%s", key);
		if (strcmp(key, "attributions") == 0) {
			if (json_record_container(c, path, m, JSON_ARRAY) ==
			    -1)
				return -1;
			json_array_foreach(m, i, e)
				if (json_record_attribution(c, i, e) == -1)
					return -1;
		} else if (strcmp(key, "reason_codes") == 0) {
			if (json_record_container(c, path, m, JSON_ARRAY) ==
			    -1)
				return -1;
			json_array_foreach(m, i, e) {
				snprintf(path, sizeof(path),
				    "explanation.reason_codes[%zu]", i);
				if (json_record_string(c, path, e, &s) == -1 ||
				    json_record_setter(c, path,
				    algaudit_record_add_reason_code(c->jc_rec,
				    s)) == -1)
					return -1;
			}
		} else if (strcmp(key, "text") == 0) {
			if (json_record_string(c, path, m, &s) == -1 ||
			    json_record_setter(c, path,
			    algaudit_record_set_explanation_text(c->jc_rec,
			    s)) == -1)
				return -1;
		} else
			return json_record_unknown(c, path,
			    json_record_explanation_keys,
			    JSON_RECORD_NITEMS(json_record_explanation_keys));
	}
	return 0;
}

/* Parses and adds the labels object, in its key order. */
static int
json_record_labels(struct json_record_ctx *c, json_t *v)
{
	char path[JSON_RECORD_PATHLEN], field[48];
	const char *key, *s = NULL;
	json_t *m;
	size_t i = 0;

	if (json_record_container(c, "labels", v, JSON_OBJECT) == -1)
		return -1;
	json_object_foreach(v, key, m) {
		snprintf(path, sizeof(path), "labels.%s", key);
		if (json_record_string(c, path, m, &s) == -1)
			return -1;
		if (json_record_setter(c, path,
		    algaudit_record_add_label(c->jc_rec, key, s)) == -1) {
			snprintf(field, sizeof(field), "labels[%zu].key", i);
			json_record_remap(c, field, path);
			snprintf(field, sizeof(field), "labels[%zu].value", i);
			return json_record_remap(c, field, path);
		}
		i++;
	}
	return 0;
}

/* Parses one top-level key other than data_class. */
static int
json_record_key(struct json_record_ctx *c, const char *key, json_t *v)
{
	uint8_t digest[RECORD_MAX_DIGEST];
	const char *s = NULL;
	double d = 0;
	int64_t ns;
	size_t i, dlen;
	int mode;

	for (i = 0; i < JSON_RECORD_NITEMS(json_record_strings); i++)
		if (strcmp(key, json_record_strings[i].key) == 0)
			return json_record_string(c, key, v, &s) == -1 ? -1 :
			    json_record_setter(c, key,
			    json_record_strings[i].set(c->jc_rec, s));
	for (i = 0; i < JSON_RECORD_NITEMS(json_record_assigned); i++)
		if (strcmp(key, json_record_assigned[i].key) == 0)
			return json_record_fail(c, "%s: %s; not accepted in "
			    "input", key, json_record_assigned[i].who);
	if (strcmp(key, "event_time_ns") == 0) {
		if (!json_is_integer(v))
			return json_record_fail(c, "event_time_ns: expected "
			    "an integer (ns since the epoch), got %s",
			    json_record_typeof(v));
		return json_record_setter(c, key,
		    algaudit_record_set_event_time(c->jc_rec,
		    (int64_t)json_integer_value(v)));
	}
	if (strcmp(key, "event_time") == 0) {
		if (json_record_string(c, key, v, &s) == -1)
			return -1;
		if (output_time_parse(s, &ns) == -1)
			return json_record_fail(c, "event_time: invalid RFC "
			    "3339 time '%s' (e.g. 2024-05-01T12:00:00.5Z)", s);
		if (json_record_setter(c, key,
		    algaudit_record_set_event_time(c->jc_rec, ns)) == 0)
			return 0;
		return json_record_remap(c, "event_time_ns", "event_time");
	}
	if (strcmp(key, "algorithm") == 0)
		return json_record_algorithm(c, v);
	if (strcmp(key, "score") == 0)
		return json_record_number(c, key, v, &d) == -1 ? -1 :
		    json_record_setter(c, key,
		    algaudit_record_set_score(c->jc_rec, d));
	if (strcmp(key, "inputs") == 0)
		return json_record_inputs(c, v);
	if (strcmp(key, "input_digest") == 0)
		return json_record_hex(c, key, v, digest, sizeof(digest),
		    &dlen) == -1 ? -1 : json_record_setter(c, key,
		    algaudit_record_set_input_digest(c->jc_rec, digest, dlen));
	if (strcmp(key, "explanation") == 0)
		return json_record_explanation(c, v);
	if (strcmp(key, "automation") == 0)
		return json_record_enum(c, key, v, json_record_automations,
		    JSON_RECORD_NITEMS(json_record_automations), "automation",
		    &mode) == -1 ? -1 : json_record_setter(c, key,
		    algaudit_record_set_automation(c->jc_rec, mode));
	if (strcmp(key, "labels") == 0)
		return json_record_labels(c, v);
	return json_record_unknown(c, key, json_record_keys,
	    JSON_RECORD_NITEMS(json_record_keys));
}

/*
 * Parses the JSON object in buf (len bytes, one line of input) into rec,
 * which is reset first, through the builder API. An absent event time
 * is set to now_ns; an input without data_class takes the record's.
 * The record is validated as algaudit_log() would. Returns 0, or -1
 * with a message naming the key path in err (errlen bytes, e.g.
 * JSON_RECORD_ERRLEN); rec is then in an unspecified state.
 */
int
json_record_parse(struct algaudit_record *rec, const char *buf, size_t len,
    int64_t now_ns, char *err, size_t errlen)
{
	struct json_record_ctx c;
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.jc_rec = rec;
	c.jc_err = err;
	c.jc_errlen = errlen;
	algaudit_record_reset(rec);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL)
		return json_record_fail(&c, "column %d: %s", jerr.column,
		    jerr.text);
	if (!json_is_object(root)) {
		json_record_fail(&c, "expected a JSON object, got %s",
		    json_record_typeof(root));
		goto out;
	}
	/* The record's class first: inputs without one inherit it. */
	if ((v = json_object_get(root, "data_class")) != NULL) {
		if (json_record_class(&c, "data_class", v, &c.jc_class) == -1 ||
		    json_record_setter(&c, "data_class",
		    algaudit_record_set_data_class(rec, c.jc_class)) == -1)
			goto out;
	}
	if (json_object_get(root, "event_time") != NULL &&
	    json_object_get(root, "event_time_ns") != NULL) {
		json_record_fail(&c, "event_time: give event_time or "
		    "event_time_ns, not both");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "data_class") == 0)
			continue;
		if (json_record_key(&c, key, v) == -1)
			goto out;
	}
	if (json_object_get(root, "event_time") == NULL &&
	    json_object_get(root, "event_time_ns") == NULL &&
	    json_record_setter(&c, "event_time_ns",
	    algaudit_record_set_event_time(rec, now_ns)) == -1)
		goto out;
	if (json_record_setter(&c, "record",
	    algaudit_record_validate(rec)) == -1)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/*
 * Output. Each helper returns 0, or -1 with a message in err; err
 * starts empty so that the innermost message is the one kept.
 */

/* Formats an output error; returns -1. */
static int
json_record_efail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
json_record_efail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Sets o[key] = v (stolen); v NULL means allocation failed. */
static int
json_record_put(json_t *o, const char *key, json_t *v, char *err,
    size_t errlen)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1) {
		/* Keep the message of a nested failure. */
		if (err[0] == '\0')
			json_record_efail(err, errlen, "%s: %s", key,
			    strerror(ENOMEM));
		return -1;
	}
	return 0;
}

/* Makes a JSON string of s, which must be valid UTF-8 (path for errors). */
static json_t *
json_record_str(const char *path, const char *s, char *err, size_t errlen)
{
	json_t *v;

	if (!record_utf8_valid(s, strlen(s))) {
		json_record_efail(err, errlen, "%s: not valid UTF-8", path);
		return NULL;
	}
	if ((v = json_string(s)) == NULL)
		json_record_efail(err, errlen, "%s: %s", path,
		    strerror(ENOMEM));
	return v;
}

/* Sets o[key] to the string s when s is present. */
static int
json_record_put_str(json_t *o, const char *key, const char *s, char *err,
    size_t errlen)
{
	json_t *v;

	if (s == NULL)
		return 0;
	if ((v = json_record_str(key, s, err, errlen)) == NULL)
		return -1;
	return json_record_put(o, key, v, err, errlen);
}

/* Sets o[key] to the lowercase hex of b. */
static int
json_record_put_hex(json_t *o, const char *key, const ProtobufCBinaryData *b,
    char *err, size_t errlen)
{
	static const char digits[] = "0123456789abcdef";
	char *s;
	size_t i;
	int rc;

	if ((s = malloc(b->len * 2 + 1)) == NULL)
		return json_record_efail(err, errlen, "%s: %s", key,
		    strerror(ENOMEM));
	for (i = 0; i < b->len; i++) {
		s[2 * i] = digits[b->data[i] >> 4];
		s[2 * i + 1] = digits[b->data[i] & 0xf];
	}
	s[2 * b->len] = '\0';
	rc = json_record_put(o, key, json_string(s), err, errlen);
	free(s);
	return rc;
}

/* Sets o[key] to names[v], or to the number v when it has no name. */
static int
json_record_put_enum(json_t *o, const char *key, int v,
    const char *const *names, size_t n, char *err, size_t errlen)
{
	if (v > 0 && (size_t)v < n)
		return json_record_put(o, key, json_string(names[v]), err,
		    errlen);
	return json_record_put(o, key, json_integer(v), err, errlen);
}

/* Builds the algorithm object. */
static json_t *
json_record_out_algorithm(const Algaudit__V1__Algorithm *a, char *err,
    size_t errlen)
{
	json_t *o;

	if ((o = json_object()) == NULL) {
		json_record_efail(err, errlen, "algorithm: %s",
		    strerror(ENOMEM));
		return NULL;
	}
	if (json_record_put_str(o, "id", a->id, err, errlen) == -1 ||
	    json_record_put_str(o, "version", a->version, err, errlen) ==
	    -1 ||
	    (a->has_type && json_record_put_enum(o, "type", a->type,
	    json_record_types, JSON_RECORD_NITEMS(json_record_types), err,
	    errlen) == -1) ||
	    json_record_put_str(o, "filing_number", a->filing_number, err,
	    errlen) == -1 ||
	    (a->has_model_digest && json_record_put_hex(o, "model_digest",
	    &a->model_digest, err, errlen) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Builds one input object. */
static json_t *
json_record_out_input(const Algaudit__V1__Input *in, char *err,
    size_t errlen)
{
	json_t *o, *v = NULL;
	int rc;

	if ((o = json_object()) == NULL) {
		json_record_efail(err, errlen, "inputs: %s", strerror(ENOMEM));
		return NULL;
	}
	if (in->name != NULL &&
	    json_record_put_str(o, "name", in->name, err, errlen) == -1)
		goto fail;
	switch (in->value_case) {
	case ALGAUDIT__V1__INPUT__VALUE_TEXT:
		if (in->text == NULL)
			break;
		if ((v = json_record_str("value", in->text, err, errlen)) ==
		    NULL)
			goto fail;
		break;
	case ALGAUDIT__V1__INPUT__VALUE_NUMBER:
		v = json_real(in->number);
		break;
	case ALGAUDIT__V1__INPUT__VALUE_FLAG:
		v = json_boolean(in->flag);
		break;
	default:
		break;
	}
	if (in->value_case != ALGAUDIT__V1__INPUT__VALUE__NOT_SET &&
	    json_record_put(o, "value", v, err, errlen) == -1)
		goto fail;
	if (in->has_data_class) {
		rc = json_record_put_enum(o, "data_class", in->data_class,
		    json_record_classes,
		    JSON_RECORD_NITEMS(json_record_classes), err, errlen);
		if (rc == -1)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Builds the explanation object. */
static json_t *
json_record_out_explanation(const Algaudit__V1__Explanation *e, char *err,
    size_t errlen)
{
	json_t *o, *arr = NULL, *a;
	size_t i;

	if ((o = json_object()) == NULL)
		goto nomem;
	if (e->n_attributions > 0) {
		if ((arr = json_array()) == NULL)
			goto nomem;
		for (i = 0; i < e->n_attributions; i++) {
			if ((a = json_object()) == NULL ||
			    json_array_append_new(arr, a) == -1)
				goto nomem;
			if (e->attributions[i]->feature != NULL &&
			    json_record_put_str(a, "feature",
			    e->attributions[i]->feature, err, errlen) == -1)
				goto fail;
			if (e->attributions[i]->has_weight &&
			    json_record_put(a, "weight",
			    json_real(e->attributions[i]->weight), err,
			    errlen) == -1)
				goto fail;
		}
		if (json_record_put(o, "attributions", arr, err, errlen) == -1)
			goto fail;
		arr = NULL;
	}
	if (e->n_reason_codes > 0) {
		if ((arr = json_array()) == NULL)
			goto nomem;
		for (i = 0; i < e->n_reason_codes; i++)
			if (json_array_append_new(arr,
			    json_record_str("explanation.reason_codes",
			    e->reason_codes[i], err, errlen)) == -1)
				goto fail;
		if (json_record_put(o, "reason_codes", arr, err, errlen) == -1)
			goto fail;
		arr = NULL;
	}
	if (json_record_put_str(o, "text", e->text, err, errlen) == -1)
		goto fail;
	return o;
nomem:
	json_record_efail(err, errlen, "explanation: %s", strerror(ENOMEM));
fail:
	json_decref(arr);
	json_decref(o);
	return NULL;
}

/* Adds the fields of the record r to o, in the order of the schema. */
static int
json_record_out_record(json_t *o, const Algaudit__V1__DecisionRecord *r,
    char *err, size_t errlen)
{
	json_t *arr, *v;
	size_t i;

	if ((r->has_event_time_ns && json_record_put(o, "event_time_ns",
	    json_integer(r->event_time_ns), err, errlen) == -1) ||
	    (r->algorithm != NULL && json_record_put(o, "algorithm",
	    json_record_out_algorithm(r->algorithm, err, errlen), err,
	    errlen) == -1) ||
	    json_record_put_str(o, "subject", r->subject, err, errlen) == -1 ||
	    json_record_put_str(o, "decision", r->decision, err, errlen) ==
	    -1 ||
	    (r->has_score && json_record_put(o, "score",
	    json_real(r->score), err, errlen) == -1))
		return -1;
	if (r->n_inputs > 0) {
		if ((arr = json_array()) == NULL ||
		    json_record_put(o, "inputs", arr, err, errlen) == -1)
			return json_record_efail(err, errlen, "inputs: %s",
			    strerror(ENOMEM));
		for (i = 0; i < r->n_inputs; i++) {
			if ((v = json_record_out_input(r->inputs[i], err,
			    errlen)) == NULL)
				return -1;
			if (json_array_append_new(arr, v) == -1)
				return json_record_efail(err, errlen,
				    "inputs: %s", strerror(ENOMEM));
		}
	}
	if ((r->has_input_digest && json_record_put_hex(o, "input_digest",
	    &r->input_digest, err, errlen) == -1) ||
	    (r->explanation != NULL && json_record_put(o, "explanation",
	    json_record_out_explanation(r->explanation, err, errlen), err,
	    errlen) == -1) ||
	    (r->has_automation && json_record_put_enum(o, "automation",
	    r->automation, json_record_automations,
	    JSON_RECORD_NITEMS(json_record_automations), err, errlen) == -1) ||
	    json_record_put_str(o, "reviewer", r->reviewer, err, errlen) ==
	    -1 ||
	    (r->has_data_class && json_record_put_enum(o, "data_class",
	    r->data_class, json_record_classes,
	    JSON_RECORD_NITEMS(json_record_classes), err, errlen) == -1) ||
	    json_record_put_str(o, "jurisdiction", r->jurisdiction, err,
	    errlen) == -1 ||
	    json_record_put_str(o, "purpose", r->purpose, err, errlen) == -1 ||
	    json_record_put_str(o, "trace_id", r->trace_id, err, errlen) ==
	    -1 ||
	    json_record_put_str(o, "decision_id", r->decision_id, err,
	    errlen) == -1)
		return -1;
	if (r->n_labels > 0) {
		if ((v = json_object()) == NULL ||
		    json_record_put(o, "labels", v, err, errlen) == -1)
			return json_record_efail(err, errlen, "labels: %s",
			    strerror(ENOMEM));
		for (i = 0; i < r->n_labels; i++)
			if (r->labels[i]->key != NULL &&
			    json_record_put(v, r->labels[i]->key,
			    json_record_str("labels",
			    r->labels[i]->value != NULL ?
			    r->labels[i]->value : "", err, errlen), err,
			    errlen) == -1)
				return -1;
	}
	if (r->has_lost_records && json_record_put(o, "lost_records",
	    json_integer((json_int_t)r->lost_records), err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * Builds the JSON object of a stored entry: index, receive_time_ns,
 * producer_id, peer, clock_skewed (only when the daemon flagged the
 * entry), producer_seq, then the record's fields with the
 * names and value forms of the input. Absent fields are omitted.
 * Returns a new reference the caller releases with json_decref(), or
 * NULL with a message in err (invalid UTF-8 in a stored string, or no
 * memory).
 */
json_t *
json_record_from_entry(const Algaudit__V1__Entry *e, char *err,
    size_t errlen)
{
	const Algaudit__V1__Peer *p = e->peer;
	const Algaudit__V1__DecisionRecord *r = e->record;
	json_t *o, *po;

	err[0] = '\0';
	if ((o = json_object()) == NULL) {
		json_record_efail(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	if ((e->has_index && json_record_put(o, "index",
	    json_integer((json_int_t)e->index), err, errlen) == -1) ||
	    (e->has_receive_time_ns && json_record_put(o, "receive_time_ns",
	    json_integer(e->receive_time_ns), err, errlen) == -1) ||
	    json_record_put_str(o, "producer_id", e->producer_id, err,
	    errlen) == -1)
		goto fail;
	if (p != NULL) {
		if ((po = json_object()) == NULL ||
		    json_record_put(o, "peer", po, err, errlen) == -1) {
			json_record_efail(err, errlen, "peer: %s",
			    strerror(ENOMEM));
			goto fail;
		}
		if ((p->has_uid && json_record_put(po, "uid",
		    json_integer(p->uid), err, errlen) == -1) ||
		    (p->has_gid && json_record_put(po, "gid",
		    json_integer(p->gid), err, errlen) == -1) ||
		    (p->has_pid && json_record_put(po, "pid",
		    json_integer(p->pid), err, errlen) == -1) ||
		    json_record_put_str(po, "address", p->address, err,
		    errlen) == -1 ||
		    json_record_put_str(po, "tls_subject", p->tls_subject, err,
		    errlen) == -1)
			goto fail;
	}
	if (e->has_clock_skewed && json_record_put(o, "clock_skewed",
	    json_boolean(e->clock_skewed), err, errlen) == -1)
		goto fail;
	if (r != NULL) {
		if (r->has_producer_seq && json_record_put(o, "producer_seq",
		    json_integer((json_int_t)r->producer_seq), err,
		    errlen) == -1)
			goto fail;
		if (json_record_out_record(o, r, err, errlen) == -1)
			goto fail;
	}
	return o;
fail:
	if (err[0] == '\0')
		json_record_efail(err, errlen, "%s", strerror(ENOMEM));
	json_decref(o);
	return NULL;
}

/* Returns the digits that make every real of r read back exactly. */
int
json_record_precision(const Algaudit__V1__DecisionRecord *r)
{
	const Algaudit__V1__Explanation *e;
	size_t i;
	int p = 1, q;

	if (r == NULL)
		return p;
	if (r->has_score && (q = output_double_digits(r->score)) > p)
		p = q;
	for (i = 0; i < r->n_inputs; i++)
		if (r->inputs[i]->value_case ==
		    ALGAUDIT__V1__INPUT__VALUE_NUMBER &&
		    (q = output_double_digits(r->inputs[i]->number)) > p)
			p = q;
	if ((e = r->explanation) != NULL)
		for (i = 0; i < e->n_attributions; i++)
			if (e->attributions[i]->has_weight &&
			    (q = output_double_digits(
			    e->attributions[i]->weight)) > p)
				p = q;
	return p;
}

/*
 * Writes the entry as one line of compact JSON to fp. Returns 0, or -1
 * with a message in err (conversion failed or the write failed).
 */
int
json_record_write(FILE *fp, const Algaudit__V1__Entry *e, char *err,
    size_t errlen)
{
	json_t *o;
	int rc;

	if ((o = json_record_from_entry(e, err, errlen)) == NULL)
		return -1;
	rc = json_dumpf(o, fp, JSON_COMPACT |
	    JSON_REAL_PRECISION(json_record_precision(e->record)));
	json_decref(o);
	if (rc == -1 || fputc('\n', fp) == EOF)
		return json_record_efail(err, errlen, "write error: %s",
		    strerror(errno));
	return 0;
}
