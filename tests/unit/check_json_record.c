/* SPDX-License-Identifier: ISC */
/*
 * check_json_record.c: unit tests of tools/json_record.c (Suite
 * "json_record"): every input key and its value forms, the defaults
 * (event time, the inputs' data class), every type error and unknown
 * key with the exact message naming its key path, keys the library or
 * the daemon assign, the builder's own rules surfacing under the JSON
 * key path, the JSON written for stored entries, and the round trip
 * JSON -> record -> Entry bytes -> JSON.
 *
 * The record built from JSON is read back through builder_prepare()
 * (client/client.h), the call algaudit_log() makes, so these tests see
 * exactly what would go on the wire.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "record.h"
#include "tools.h"

#define CHECK_NOW	1700000000123456789LL

/* A minimal valid record, to which a test appends its keys. */
#define CHECK_BASE	"\"algorithm\":{\"id\":\"credit\"}," \
			"\"decision\":\"deny\",\"data_class\":\"ordinary\""

/* Writable strings for protobuf-c messages built by hand. */
static char check_demo[] = "demo";
static char check_unix[] = "unix";
static char check_n[] = "n";
static char check_x[] = "x";
static char check_k[] = "k";
static char check_cn[] = "CN=app";
static char check_addr[] = "10.0.0.1:5000";
static char check_bad1[] = "ok\xff";
static char check_bad2[] = "\xc3";
static char check_bad3[] = "\xe0\x80\x80";

static struct algaudit_record *check_rec;
static char check_err[JSON_RECORD_ERRLEN];

/* Checked fixture: a fresh record. */
static void
check_setup(void)
{
	ck_assert_int_eq(algaudit_record_new(&check_rec), 0);
	check_err[0] = '\0';
}

/* Checked fixture: frees the record. */
static void
check_teardown(void)
{
	algaudit_record_free(check_rec);
	check_rec = NULL;
}

/* Parses json, which must succeed; returns the record's message. */
static Algaudit__V1__DecisionRecord
check_ok(const char *json)
{
	Algaudit__V1__DecisionRecord r;

	ck_assert_msg(json_record_parse(check_rec, json, strlen(json),
	    CHECK_NOW, check_err, sizeof(check_err)) == 0,
	    "refused %s: %s", json, check_err);
	ck_assert_int_eq(builder_prepare(check_rec, &r, 1), 0);
	return r;
}

/* Parses json, which must fail with exactly the message want. */
static void
check_fail(const char *json, const char *want)
{
	ck_assert_msg(json_record_parse(check_rec, json, strlen(json),
	    CHECK_NOW, check_err, sizeof(check_err)) == -1,
	    "accepted %s", json);
	ck_assert_msg(strcmp(check_err, want) == 0,
	    "%s:\n got  \"%s\"\n want \"%s\"", json, check_err, want);
}

/* Parses json, which must fail with a message starting with want. */
static void
check_fail_prefix(const char *json, const char *want)
{
	ck_assert_msg(json_record_parse(check_rec, json, strlen(json),
	    CHECK_NOW, check_err, sizeof(check_err)) == -1,
	    "accepted %s", json);
	ck_assert_msg(strncmp(check_err, want, strlen(want)) == 0,
	    "%s:\n got  \"%s\"\n want \"%s...\"", json, check_err, want);
}

static const char check_full[] =
    "{\"event_time_ns\":1714564800123456789,"
    "\"algorithm\":{\"id\":\"credit-limit\",\"version\":\"2.3.1\","
    "\"type\":\"scheduling_decision\",\"filing_number\":\"F-2024-001\","
    "\"model_digest\":\"00ff10ab\"},"
    "\"subject\":\"9f86d081\",\"decision\":\"deny\",\"score\":0.25,"
    "\"inputs\":[{\"name\":\"income\",\"value\":52000.5,"
    "\"data_class\":\"important\"},"
    "{\"name\":\"region\",\"value\":\"north\"},"
    "{\"name\":\"returning\",\"value\":true},"
    "{\"name\":\"flagged\",\"value\":false,\"data_class\":\"core\"}],"
    "\"input_digest\":\"deadbeef\","
    "\"explanation\":{\"attributions\":[{\"feature\":\"income\","
    "\"weight\":-0.5},{\"feature\":\"region\",\"weight\":0.125}],"
    "\"reason_codes\":[\"R01\",\"R17\"],\"text\":\"income too low\"},"
    "\"automation\":\"human_review_after\",\"reviewer\":\"alice\","
    "\"data_class\":\"ordinary\",\"jurisdiction\":\"CN\","
    "\"purpose\":\"credit\",\"trace_id\":\"t-1\",\"decision_id\":\"d-1\","
    "\"labels\":{\"zone\":\"b\",\"app\":\"web\",\"m\":\"\\u4e2d\"}}";

START_TEST(test_every_key)
{
	Algaudit__V1__DecisionRecord r;
	const Algaudit__V1__Algorithm *a;
	const Algaudit__V1__Explanation *e;

	r = check_ok(check_full);
	ck_assert(r.has_event_time_ns);
	ck_assert(r.event_time_ns == 1714564800123456789LL);
	a = r.algorithm;
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->id, "credit-limit");
	ck_assert_str_eq(a->version, "2.3.1");
	ck_assert(a->has_type);
	ck_assert_int_eq(a->type,
	    ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_SCHEDULING_DECISION);
	ck_assert_str_eq(a->filing_number, "F-2024-001");
	ck_assert(a->has_model_digest);
	ck_assert_uint_eq(a->model_digest.len, 4);
	ck_assert_mem_eq(a->model_digest.data, "\x00\xff\x10\xab", 4);
	ck_assert_str_eq(r.subject, "9f86d081");
	ck_assert_str_eq(r.decision, "deny");
	ck_assert(r.has_score && r.score == 0.25);
	ck_assert_uint_eq(r.n_inputs, 4);
	ck_assert_str_eq(r.inputs[0]->name, "income");
	ck_assert_int_eq(r.inputs[0]->value_case,
	    ALGAUDIT__V1__INPUT__VALUE_NUMBER);
	ck_assert(r.inputs[0]->number == 52000.5);
	ck_assert_int_eq(r.inputs[0]->data_class,
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT);
	ck_assert_int_eq(r.inputs[1]->value_case,
	    ALGAUDIT__V1__INPUT__VALUE_TEXT);
	ck_assert_str_eq(r.inputs[1]->text, "north");
	/* No data_class: the record's. */
	ck_assert_int_eq(r.inputs[1]->data_class,
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY);
	ck_assert_int_eq(r.inputs[2]->value_case,
	    ALGAUDIT__V1__INPUT__VALUE_FLAG);
	ck_assert(r.inputs[2]->flag);
	ck_assert(!r.inputs[3]->flag);
	ck_assert_int_eq(r.inputs[3]->data_class,
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE);
	ck_assert(r.has_input_digest);
	ck_assert_mem_eq(r.input_digest.data, "\xde\xad\xbe\xef", 4);
	e = r.explanation;
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->n_attributions, 2);
	ck_assert_str_eq(e->attributions[0]->feature, "income");
	ck_assert(e->attributions[0]->weight == -0.5);
	ck_assert(e->attributions[1]->weight == 0.125);
	ck_assert_uint_eq(e->n_reason_codes, 2);
	ck_assert_str_eq(e->reason_codes[1], "R17");
	ck_assert_str_eq(e->text, "income too low");
	ck_assert(r.has_automation);
	ck_assert_int_eq(r.automation,
	    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_REVIEW_AFTER);
	ck_assert_str_eq(r.reviewer, "alice");
	ck_assert_int_eq(r.data_class,
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY);
	ck_assert_str_eq(r.jurisdiction, "CN");
	ck_assert_str_eq(r.purpose, "credit");
	ck_assert_str_eq(r.trace_id, "t-1");
	ck_assert_str_eq(r.decision_id, "d-1");
	/* Labels keep the order of the JSON object, not sorted. */
	ck_assert_uint_eq(r.n_labels, 3);
	ck_assert_str_eq(r.labels[0]->key, "zone");
	ck_assert_str_eq(r.labels[1]->key, "app");
	ck_assert_str_eq(r.labels[1]->value, "web");
	ck_assert_str_eq(r.labels[2]->key, "m");
	ck_assert_str_eq(r.labels[2]->value, "\xe4\xb8\xad");
	ck_assert(!r.has_producer_seq);
}
END_TEST

START_TEST(test_enum_names)
{
	static const char *const types[] = {
		"generative_synthetic", "personalized_push",
		"sorting_selection", "retrieval_filtering",
		"scheduling_decision", "other"
	};
	static const char *const modes[] = {
		"fully_automated", "human_in_the_loop", "human_review_after"
	};
	static const char *const classes[] = {
		"ordinary", "important", "core"
	};
	Algaudit__V1__DecisionRecord r;
	char json[512];
	size_t i;

	for (i = 0; i < 6; i++) {
		snprintf(json, sizeof(json), "{\"algorithm\":{\"id\":\"a\","
		    "\"type\":\"%s\"},\"decision\":\"d\","
		    "\"data_class\":\"core\"}", types[i]);
		r = check_ok(json);
		ck_assert_int_eq(r.algorithm->type, (int)i + 1);
	}
	for (i = 0; i < 3; i++) {
		snprintf(json, sizeof(json), "{" CHECK_BASE
		    ",\"automation\":\"%s\"}", modes[i]);
		r = check_ok(json);
		ck_assert_int_eq(r.automation, (int)i + 1);
	}
	for (i = 0; i < 3; i++) {
		snprintf(json, sizeof(json), "{\"algorithm\":{\"id\":\"a\"},"
		    "\"decision\":\"d\",\"data_class\":\"%s\","
		    "\"inputs\":[{\"name\":\"x\",\"value\":1}]}", classes[i]);
		r = check_ok(json);
		ck_assert_int_eq(r.data_class, (int)i + 1);
		ck_assert_int_eq(r.inputs[0]->data_class, (int)i + 1);
	}
}
END_TEST

START_TEST(test_event_time)
{
	Algaudit__V1__DecisionRecord r;

	/* Default: now, as given by the caller. */
	r = check_ok("{" CHECK_BASE "}");
	ck_assert(r.has_event_time_ns && r.event_time_ns == CHECK_NOW);
	r = check_ok("{" CHECK_BASE ",\"event_time_ns\":1}");
	ck_assert(r.event_time_ns == 1);
	r = check_ok("{" CHECK_BASE
	    ",\"event_time\":\"2024-05-01T20:00:00.123456789+08:00\"}");
	ck_assert(r.event_time_ns == 1714564800123456789LL);
	r = check_ok("{" CHECK_BASE
	    ",\"event_time\":\"2024-05-01T12:00:00Z\"}");
	ck_assert(r.event_time_ns == 1714564800000000000LL);
	check_fail("{" CHECK_BASE ",\"event_time_ns\":1,"
	    "\"event_time\":\"2024-05-01T12:00:00Z\"}",
	    "event_time: give event_time or event_time_ns, not both");
	check_fail("{" CHECK_BASE ",\"event_time\":\"yesterday\"}",
	    "event_time: invalid RFC 3339 time 'yesterday' "
	    "(e.g. 2024-05-01T12:00:00.5Z)");
	check_fail("{" CHECK_BASE ",\"event_time\":\"1969-12-31T23:59:59Z\"}",
	    "event_time: -1000000000, must be greater than 0");
	check_fail("{" CHECK_BASE ",\"event_time\":1714564800}",
	    "event_time: expected a string, got an integer");
	check_fail("{" CHECK_BASE ",\"event_time_ns\":1.5}",
	    "event_time_ns: expected an integer (ns since the epoch), got a "
	    "number");
	check_fail("{" CHECK_BASE ",\"event_time_ns\":\"1\"}",
	    "event_time_ns: expected an integer (ns since the epoch), got a "
	    "string");
	check_fail("{" CHECK_BASE ",\"event_time_ns\":0}",
	    "event_time_ns: 0, must be greater than 0");
	check_fail("{" CHECK_BASE ",\"event_time_ns\":-5}",
	    "event_time_ns: -5, must be greater than 0");
}
END_TEST

START_TEST(test_input_class)
{
	Algaudit__V1__DecisionRecord r;

	/* The record's class applies wherever data_class is in the object. */
	r = check_ok("{\"inputs\":[{\"name\":\"a\",\"value\":\"x\"},"
	    "{\"name\":\"b\",\"value\":2,\"data_class\":\"ordinary\"}],"
	    "\"algorithm\":{\"id\":\"a\"},\"decision\":\"d\","
	    "\"data_class\":\"important\"}");
	ck_assert_int_eq(r.inputs[0]->data_class,
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT);
	ck_assert_int_eq(r.inputs[1]->data_class,
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY);
	/* An integer value is a number. */
	ck_assert_int_eq(r.inputs[1]->value_case,
	    ALGAUDIT__V1__INPUT__VALUE_NUMBER);
	ck_assert(r.inputs[1]->number == 2);
	check_fail("{\"algorithm\":{\"id\":\"a\"},\"decision\":\"d\","
	    "\"inputs\":[{\"name\":\"a\",\"value\":\"x\"}]}",
	    "inputs[0].data_class: required, missing (give it here or give "
	    "the record's data_class)");
	/* With every input classed, the record's class is still required. */
	check_fail("{\"algorithm\":{\"id\":\"a\"},\"decision\":\"d\","
	    "\"inputs\":[{\"name\":\"a\",\"value\":\"x\","
	    "\"data_class\":\"core\"}]}",
	    "data_class: required, unspecified (ordinary, important or core)");
}
END_TEST

/* One bad input and its exact message. */
struct check_case {
	const char	*cc_json;
	const char	*cc_err;
};

START_TEST(test_type_errors)
{
	static const struct check_case cases[] = {
		{ "{" CHECK_BASE ",\"subject\":5}",
		    "subject: expected a string, got an integer" },
		{ "{" CHECK_BASE ",\"subject\":null}",
		    "subject: expected a string, got null" },
		{ "{" CHECK_BASE ",\"reviewer\":[\"a\"]}",
		    "reviewer: expected a string, got an array" },
		{ "{" CHECK_BASE ",\"jurisdiction\":true}",
		    "jurisdiction: expected a string, got a boolean" },
		{ "{" CHECK_BASE ",\"purpose\":{}}",
		    "purpose: expected a string, got an object" },
		{ "{" CHECK_BASE ",\"trace_id\":1.5}",
		    "trace_id: expected a string, got a number" },
		{ "{" CHECK_BASE ",\"decision_id\":7}",
		    "decision_id: expected a string, got an integer" },
		{ "{\"algorithm\":{\"id\":\"a\"},\"decision\":false,"
		    "\"data_class\":\"core\"}",
		    "decision: expected a string, got a boolean" },
		{ "{\"algorithm\":\"credit\",\"decision\":\"d\","
		    "\"data_class\":\"core\"}",
		    "algorithm: expected an object, got a string" },
		{ "{\"algorithm\":{\"id\":1},\"decision\":\"d\","
		    "\"data_class\":\"core\"}",
		    "algorithm.id: expected a string, got an integer" },
		{ "{\"algorithm\":{\"id\":\"a\",\"version\":2},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.version: expected a string, got an integer" },
		{ "{\"algorithm\":{\"id\":\"a\",\"type\":3},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.type: expected a string, got an integer" },
		{ "{\"algorithm\":{\"id\":\"a\",\"type\":\"ranking\"},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.type: unknown type 'ranking' "
		    "(generative_synthetic, personalized_push, "
		    "sorting_selection, retrieval_filtering, "
		    "scheduling_decision or other)" },
		{ "{\"algorithm\":{\"id\":\"a\",\"filing_number\":1},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.filing_number: expected a string, got an "
		    "integer" },
		{ "{\"algorithm\":{\"id\":\"a\",\"model_digest\":\"abc\"},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.model_digest: expected an even, non-zero "
		    "number of hex digits, got 3" },
		{ "{\"algorithm\":{\"id\":\"a\",\"model_digest\":\"\"},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.model_digest: expected an even, non-zero "
		    "number of hex digits, got 0" },
		{ "{\"algorithm\":{\"id\":\"a\",\"model_digest\":\"0g\"},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.model_digest: not a hex digit at offset 1" },
		{ "{\"algorithm\":{\"id\":\"a\",\"model_digest\":12},"
		    "\"decision\":\"d\",\"data_class\":\"core\"}",
		    "algorithm.model_digest: expected a string, got an "
		    "integer" },
		{ "{" CHECK_BASE ",\"input_digest\":\"x0\"}",
		    "input_digest: not a hex digit at offset 0" },
		{ "{" CHECK_BASE ",\"score\":\"0.5\"}",
		    "score: expected a number, got a string" },
		{ "{" CHECK_BASE ",\"score\":null}",
		    "score: expected a number, got null" },
		{ "{" CHECK_BASE ",\"inputs\":{}}",
		    "inputs: expected an array, got an object" },
		{ "{" CHECK_BASE ",\"inputs\":[3]}",
		    "inputs[0]: expected an object, got an integer" },
		{ "{" CHECK_BASE ",\"inputs\":[{\"name\":\"a\",\"value\":1},"
		    "{\"name\":\"b\",\"value\":null}]}",
		    "inputs[1].value: expected a string, a number or a "
		    "boolean, got null" },
		{ "{" CHECK_BASE ",\"inputs\":[{\"name\":\"a\","
		    "\"value\":[1]}]}",
		    "inputs[0].value: expected a string, a number or a "
		    "boolean, got an array" },
		{ "{" CHECK_BASE ",\"inputs\":[{\"name\":\"a\"}]}",
		    "inputs[0].value: required (a string, a number or a "
		    "boolean)" },
		{ "{" CHECK_BASE ",\"inputs\":[{\"value\":1}]}",
		    "inputs[0].name: required, missing or empty" },
		{ "{" CHECK_BASE ",\"inputs\":[{\"name\":5,\"value\":1}]}",
		    "inputs[0].name: expected a string, got an integer" },
		{ "{" CHECK_BASE ",\"inputs\":[{\"name\":\"a\",\"value\":1},"
		    "{\"name\":\"b\",\"value\":1},{\"name\":\"c\",\"value\":1,"
		    "\"data_class\":\"secret\"}]}",
		    "inputs[2].data_class: unknown class 'secret' (ordinary, "
		    "important or core)" },
		{ "{" CHECK_BASE ",\"inputs\":[{\"name\":\"a\",\"value\":1,"
		    "\"data_class\":2}]}",
		    "inputs[0].data_class: expected a string, got an "
		    "integer" },
		{ "{" CHECK_BASE ",\"explanation\":[]}",
		    "explanation: expected an object, got an array" },
		{ "{" CHECK_BASE ",\"explanation\":{\"attributions\":{}}}",
		    "explanation.attributions: expected an array, got an "
		    "object" },
		{ "{" CHECK_BASE ",\"explanation\":{\"attributions\":[1]}}",
		    "explanation.attributions[0]: expected an object, got an "
		    "integer" },
		{ "{" CHECK_BASE ",\"explanation\":{\"attributions\":"
		    "[{\"feature\":\"a\",\"weight\":1},"
		    "{\"feature\":\"b\",\"weight\":\"high\"}]}}",
		    "explanation.attributions[1].weight: expected a number, "
		    "got a string" },
		{ "{" CHECK_BASE ",\"explanation\":{\"attributions\":"
		    "[{\"feature\":\"a\"}]}}",
		    "explanation.attributions[0].weight: required, missing" },
		{ "{" CHECK_BASE ",\"explanation\":{\"attributions\":"
		    "[{\"weight\":1}]}}",
		    "explanation.attributions[0].feature: required, missing "
		    "or empty" },
		{ "{" CHECK_BASE ",\"explanation\":{\"reason_codes\":\"R1\"}}",
		    "explanation.reason_codes: expected an array, got a "
		    "string" },
		{ "{" CHECK_BASE ",\"explanation\":{\"reason_codes\":"
		    "[\"R1\",2]}}",
		    "explanation.reason_codes[1]: expected a string, got an "
		    "integer" },
		{ "{" CHECK_BASE ",\"explanation\":{\"text\":false}}",
		    "explanation.text: expected a string, got a boolean" },
		{ "{" CHECK_BASE ",\"automation\":\"robot\"}",
		    "automation: unknown automation 'robot' (fully_automated, "
		    "human_in_the_loop or human_review_after)" },
		{ "{" CHECK_BASE ",\"automation\":1}",
		    "automation: expected a string, got an integer" },
		{ "{\"algorithm\":{\"id\":\"a\"},\"decision\":\"d\","
		    "\"data_class\":\"public\"}",
		    "data_class: unknown class 'public' (ordinary, important "
		    "or core)" },
		{ "{\"algorithm\":{\"id\":\"a\"},\"decision\":\"d\","
		    "\"data_class\":1}",
		    "data_class: expected a string, got an integer" },
		{ "{" CHECK_BASE ",\"labels\":[]}",
		    "labels: expected an object, got an array" },
		{ "{" CHECK_BASE ",\"labels\":{\"a\":\"x\",\"k\":1}}",
		    "labels.k: expected a string, got an integer" },
		{ "\"x\"", "expected a JSON object, got a string" },
		{ "null", "expected a JSON object, got null" },
		{ "[1]", "expected a JSON object, got an array" }
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_fail(cases[i].cc_json, cases[i].cc_err);
}
END_TEST

START_TEST(test_syntax_errors)
{
	/* jansson's messages, after the column. */
	check_fail_prefix("{" CHECK_BASE, "column ");
	check_fail_prefix("{" CHECK_BASE "} {}", "column ");
	check_fail_prefix("", "column ");
	check_fail_prefix("{\"decision\":\"a\",\"decision\":\"b\"}", "column ");
	ck_assert_ptr_nonnull(strstr(check_err, "duplicate"));
	check_fail_prefix("{" CHECK_BASE ",\"subject\":\"\\u0000\"}",
	    "column ");
	check_fail_prefix("{" CHECK_BASE ",\"subject\":\"\xff\"}", "column ");
	check_fail_prefix("{" CHECK_BASE ",\"score\":NaN}", "column ");
	check_fail_prefix("{" CHECK_BASE ",}", "column ");
}
END_TEST

START_TEST(test_unknown_keys)
{
	check_fail("{" CHECK_BASE ",\"decison\":\"x\"}",
	    "decison: unknown key (did you mean 'decision'?)");
	check_fail("{" CHECK_BASE ",\"Subject\":\"x\"}",
	    "Subject: unknown key (did you mean 'subject'?)");
	check_fail("{" CHECK_BASE ",\"colour\":\"x\"}", "colour: unknown key");
	check_fail("{" CHECK_BASE ",\"\":\"x\"}", ": unknown key");
	check_fail("{\"algorithm\":{\"id\":\"a\",\"verison\":\"1\"},"
	    "\"decision\":\"d\",\"data_class\":\"core\"}",
	    "algorithm.verison: unknown key (did you mean 'version'?)");
	check_fail("{" CHECK_BASE ",\"inputs\":[{\"name\":\"a\",\"value\":1,"
	    "\"dataclass\":\"core\"}]}",
	    "inputs[0].dataclass: unknown key (did you mean 'data_class'?)");
	check_fail("{" CHECK_BASE ",\"inputs\":[{\"name\":\"a\",\"value\":1,"
	    "\"unit\":\"kg\"}]}", "inputs[0].unit: unknown key");
	check_fail("{" CHECK_BASE ",\"explanation\":{\"txt\":\"a\"}}",
	    "explanation.txt: unknown key (did you mean 'text'?)");
	check_fail("{" CHECK_BASE ",\"explanation\":{\"attributions\":"
	    "[{\"feature\":\"a\",\"weight\":1,\"sign\":1}]}}",
	    "explanation.attributions[0].sign: unknown key");
	/* What the library or the daemon assigns is refused by name. */
	check_fail("{" CHECK_BASE ",\"producer_seq\":3}",
	    "producer_seq: assigned by the client library; not accepted in "
	    "input");
	check_fail("{" CHECK_BASE ",\"lost_records\":3}",
	    "lost_records: written by the client library for dropped "
	    "records; not accepted in input");
	check_fail("{" CHECK_BASE ",\"index\":3}",
	    "index: assigned by the daemon; not accepted in input");
	check_fail("{" CHECK_BASE ",\"receive_time_ns\":3}",
	    "receive_time_ns: assigned by the daemon; not accepted in input");
	check_fail("{" CHECK_BASE ",\"producer_id\":\"p\"}",
	    "producer_id: given with --producer; not accepted in input");
	check_fail("{" CHECK_BASE ",\"peer\":{}}",
	    "peer: assigned by the daemon; not accepted in input");
	check_fail("{" CHECK_BASE ",\"clock_skewed\":true}",
	    "clock_skewed: flagged by the daemon; not accepted in input");
}
END_TEST

START_TEST(test_builder_rules)
{
	char json[8192], big[5000], want[5200];

	check_fail("{\"decision\":\"d\",\"data_class\":\"core\"}",
	    "algorithm.id: required, missing or empty");
	check_fail("{\"algorithm\":{},\"decision\":\"d\","
	    "\"data_class\":\"core\"}",
	    "algorithm.id: required, missing or empty");
	check_fail("{\"algorithm\":{\"id\":\"\"},\"decision\":\"d\","
	    "\"data_class\":\"core\"}",
	    "algorithm.id: required, missing or empty");
	check_fail("{\"algorithm\":{\"id\":\"a\"},\"data_class\":\"core\"}",
	    "decision: required, missing or empty");
	check_fail("{\"algorithm\":{\"id\":\"a\"},\"decision\":\"d\"}",
	    "data_class: required, unspecified (ordinary, important or core)");
	memset(big, 'x', 257);
	big[257] = '\0';
	snprintf(json, sizeof(json), "{" CHECK_BASE ",\"subject\":\"%s\"}",
	    big);
	check_fail(json, "subject: 257 bytes, longer than the limit of 256");
	memset(big, 'x', 4097);
	big[4097] = '\0';
	snprintf(json, sizeof(json), "{" CHECK_BASE ",\"inputs\":[{\"name\":"
	    "\"a\",\"value\":1},{\"name\":\"b\",\"value\":\"%s\"}]}", big);
	check_fail(json, "inputs[1].value: 4097 bytes, longer than the limit "
	    "of 4096");
	big[257] = '\0';
	snprintf(json, sizeof(json), "{" CHECK_BASE ",\"labels\":{\"a\":\"\","
	    "\"k\":\"%s\"}}", big);
	check_fail(json, "labels.k: 257 bytes, longer than the limit of 256");
	big[129] = '\0';
	snprintf(json, sizeof(json), "{" CHECK_BASE ",\"labels\":{\"%s\":"
	    "\"v\"}}", big);
	snprintf(want, sizeof(want), "labels.%s: 129 bytes, longer than the "
	    "limit of 128", big);
	check_fail(json, want);
	memset(big, 'a', 130);
	big[130] = '\0';
	snprintf(json, sizeof(json), "{\"algorithm\":{\"id\":\"a\","
	    "\"model_digest\":\"%s\"},\"decision\":\"d\","
	    "\"data_class\":\"core\"}", big);
	check_fail(json, "algorithm.model_digest: 65 bytes, longer than the "
	    "limit of 64");
}
END_TEST

START_TEST(test_reset_between_lines)
{
	Algaudit__V1__DecisionRecord r;

	r = check_ok("{" CHECK_BASE ",\"subject\":\"s\",\"score\":1,"
	    "\"inputs\":[{\"name\":\"a\",\"value\":1}]}");
	ck_assert_str_eq(r.subject, "s");
	/* The next line starts from an empty record. */
	r = check_ok("{" CHECK_BASE "}");
	ck_assert_ptr_null(r.subject);
	ck_assert(!r.has_score);
	ck_assert_uint_eq(r.n_inputs, 0);
}
END_TEST

/*
 * Packs r as the record of a stored entry with daemon fields, decodes
 * the bytes again (as query does) and returns its JSON line, parsed.
 */
static json_t *
check_entry_json(Algaudit__V1__DecisionRecord *r, int with_peer)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT, *d;
	Algaudit__V1__Peer peer = ALGAUDIT__V1__PEER__INIT;
	json_error_t jerr;
	json_t *o;
	uint8_t *buf;
	char *text = NULL, err[JSON_RECORD_ERRLEN];
	size_t len, tlen = 0;
	FILE *fp;

	e.has_index = 1;
	e.index = 41;
	e.has_receive_time_ns = 1;
	e.receive_time_ns = 1714564801000000000LL;
	e.producer_id = check_demo;
	if (with_peer) {
		peer.has_uid = peer.has_gid = peer.has_pid = 1;
		peer.uid = 1000;
		peer.gid = 100;
		peer.pid = 4242;
		peer.address = check_unix;
		e.peer = &peer;
	}
	e.record = r;
	len = algaudit__v1__entry__get_packed_size(&e);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(algaudit__v1__entry__pack(&e, buf), len);
	d = algaudit__v1__entry__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(d);
	fp = open_memstream(&text, &tlen);
	ck_assert_ptr_nonnull(fp);
	ck_assert_msg(json_record_write(fp, d, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(fclose(fp), 0);
	algaudit__v1__entry__free_unpacked(d, NULL);
	free(buf);
	/* One line, compact, ending in a newline. */
	ck_assert_uint_gt(tlen, 1);
	ck_assert_int_eq(text[tlen - 1], '\n');
	ck_assert_ptr_eq(strchr(text, '\n'), text + tlen - 1);
	o = json_loads(text, 0, &jerr);
	ck_assert_msg(o != NULL, "%s: %s", text, jerr.text);
	free(text);
	return o;
}

START_TEST(test_round_trip)
{
	Algaudit__V1__DecisionRecord r;
	json_t *in, *out, *v, *w;
	const char *key;
	json_error_t jerr;
	size_t i;

	r = check_ok(check_full);
	r.has_producer_seq = 1;
	r.producer_seq = 7;
	out = check_entry_json(&r, 1);
	in = json_loads(check_full, 0, &jerr);
	ck_assert_ptr_nonnull(in);
	/* Inherited classes come back explicit. */
	json_array_foreach(json_object_get(in, "inputs"), i, v)
		if (json_object_get(v, "data_class") == NULL)
			ck_assert_int_eq(json_object_set_new(v, "data_class",
			    json_string("ordinary")), 0);
	/* The daemon's and the library's fields come first. */
	ck_assert_int_eq(json_integer_value(json_object_get(out, "index")),
	    41);
	ck_assert(json_integer_value(json_object_get(out,
	    "receive_time_ns")) == 1714564801000000000LL);
	ck_assert_str_eq(json_string_value(json_object_get(out,
	    "producer_id")), "demo");
	ck_assert_int_eq(json_integer_value(json_object_get(out,
	    "producer_seq")), 7);
	v = json_object_get(out, "peer");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "uid")), 1000);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "gid")), 100);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "pid")), 4242);
	ck_assert_str_eq(json_string_value(json_object_get(v, "address")),
	    "unix");
	ck_assert_ptr_null(json_object_get(v, "tls_subject"));
	/* Every input key comes back with an equal value... */
	json_object_foreach(in, key, v)
		ck_assert_msg(json_equal(v, json_object_get(out, key)),
		    "key %s differs", key);
	/* ...and nothing else but the added keys. */
	ck_assert_uint_eq(json_object_size(out), json_object_size(in) + 5);
	/* Labels keep their order. */
	v = json_object_get(out, "labels");
	i = 0;
	json_object_foreach(v, key, w) {
		(void)w;
		ck_assert_str_eq(key, i == 0 ? "zone" : i == 1 ? "app" : "m");
		i++;
	}
	ck_assert_uint_eq(i, 3);
	json_decref(out);
	json_decref(in);
}
END_TEST

START_TEST(test_round_trip_minimal)
{
	Algaudit__V1__DecisionRecord r;
	json_t *out;
	const char *key;
	json_t *v;
	size_t n = 0;

	/* Absent fields stay absent: no score, no inputs, no peer. */
	r = check_ok("{" CHECK_BASE ",\"event_time_ns\":5}");
	out = check_entry_json(&r, 0);
	json_object_foreach(out, key, v) {
		(void)v;
		n++;
	}
	ck_assert_uint_eq(n, 7);
	ck_assert_ptr_null(json_object_get(out, "peer"));
	ck_assert_ptr_null(json_object_get(out, "clock_skewed"));
	ck_assert_ptr_null(json_object_get(out, "score"));
	ck_assert_ptr_null(json_object_get(out, "producer_seq"));
	ck_assert_int_eq(json_integer_value(json_object_get(out,
	    "event_time_ns")), 5);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    out, "algorithm"), "id")), "credit");
	json_decref(out);
}
END_TEST

/* Writes the record's score and input number and returns the line. */
static char *
check_numbers_line(double score, double num)
{
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__Input in = ALGAUDIT__V1__INPUT__INIT;
	Algaudit__V1__Input *ins[1] = { &in };
	char *text = NULL, err[JSON_RECORD_ERRLEN];
	size_t tlen = 0;
	FILE *fp;

	r.has_score = 1;
	r.score = score;
	in.name = check_n;
	in.value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
	in.number = num;
	r.n_inputs = 1;
	r.inputs = ins;
	e.record = &r;
	fp = open_memstream(&text, &tlen);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(json_record_write(fp, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(fclose(fp), 0);
	return text;
}

START_TEST(test_output_numbers)
{
	char *s;

	/* Reals read back exactly, in few digits. */
	s = check_numbers_line(0.25, 1);
	ck_assert_str_eq(s, "{\"score\":0.25,\"inputs\":[{\"name\":\"n\","
	    "\"value\":1.0}]}\n");
	free(s);
	s = check_numbers_line(0.1, 100);
	ck_assert_str_eq(s, "{\"score\":0.1,\"inputs\":[{\"name\":\"n\","
	    "\"value\":100.0}]}\n");
	free(s);
	s = check_numbers_line(0.1 + 0.2, -2.5);
	ck_assert_ptr_nonnull(strstr(s, "\"score\":0.30000000000000004"));
	free(s);
	s = check_numbers_line(0, 1e300);
	ck_assert_ptr_nonnull(strstr(s, "\"score\":0.0"));
	ck_assert_ptr_nonnull(strstr(s, "\"value\":1e300"));
	free(s);
}
END_TEST

START_TEST(test_output_special)
{
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__Peer peer = ALGAUDIT__V1__PEER__INIT;
	char *text = NULL, err[JSON_RECORD_ERRLEN];
	size_t tlen = 0;
	FILE *fp;

	/* A loss record, an enum value without a name, a TLS peer. */
	r.has_producer_seq = 1;
	r.producer_seq = 9;
	r.has_lost_records = 1;
	r.lost_records = 12;
	r.has_data_class = 1;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	r.has_automation = 1;
	r.automation = (Algaudit__V1__Automation)9;
	a.id = check_x;
	a.has_type = 1;
	a.type = (Algaudit__V1__AlgorithmType)0;
	r.algorithm = &a;
	peer.tls_subject = check_cn;
	peer.address = check_addr;
	e.peer = &peer;
	e.record = &r;
	fp = open_memstream(&text, &tlen);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(json_record_write(fp, &e, err, sizeof(err)), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_str_eq(text, "{\"peer\":{\"address\":\"10.0.0.1:5000\","
	    "\"tls_subject\":\"CN=app\"},\"producer_seq\":9,"
	    "\"algorithm\":{\"id\":\"x\",\"type\":0},\"automation\":9,"
	    "\"data_class\":\"ordinary\",\"lost_records\":12}\n");
	free(text);
}
END_TEST

START_TEST(test_output_bad_utf8)
{
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__Label l = ALGAUDIT__V1__LABEL__INIT;
	Algaudit__V1__Label *ls[1] = { &l };
	char err[JSON_RECORD_ERRLEN];
	json_t *o;

	e.record = &r;
	r.subject = check_bad1;
	o = json_record_from_entry(&e, err, sizeof(err));
	ck_assert_ptr_null(o);
	ck_assert_str_eq(err, "subject: not valid UTF-8");
	r.subject = NULL;
	l.key = check_k;
	l.value = check_bad2;
	r.n_labels = 1;
	r.labels = ls;
	o = json_record_from_entry(&e, err, sizeof(err));
	ck_assert_ptr_null(o);
	ck_assert_str_eq(err, "labels: not valid UTF-8");
	e.producer_id = check_bad3;
	o = json_record_from_entry(&e, err, sizeof(err));
	ck_assert_ptr_null(o);
	ck_assert_str_eq(err, "producer_id: not valid UTF-8");
}
END_TEST

/* The suite. */
static Suite *
check_json_record_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("json_record");
	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_enum_names);
	tcase_add_test(tc, test_event_time);
	tcase_add_test(tc, test_input_class);
	tcase_add_test(tc, test_reset_between_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_type_errors);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_builder_rules);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_round_trip_minimal);
	tcase_add_test(tc, test_output_numbers);
	tcase_add_test(tc, test_output_special);
	tcase_add_test(tc, test_output_bad_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_json_record_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
