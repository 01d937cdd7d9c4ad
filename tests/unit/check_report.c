/* SPDX-License-Identifier: ISC */
/*
 * check_report.c: unit tests of tools/cmd_report.c and
 * tools/report_html.c (Suite "report"). A synthetic store is written
 * through the store API in a fresh temporary directory (checked
 * fixture): entries, their index keys, their Merkle leaves and a signed
 * checkpoint, then more entries after the checkpoint that must not
 * count. cmd_report_compute() runs on a read-only view and every number
 * of the document is compared with a value computed by hand from the
 * rules that generated the records (written out in the comments), not
 * by a second implementation: rates, parity differences, disparate
 * impact, flags, the reference group, quantiles (within the half bin
 * width the report states), volume buckets, skew and loss counts.
 *
 * The HTML must be well-formed XML and parse as HTML with xmllint
 * (libxml2-utils), whose HTML 4 parser only may not know the HTML 5
 * and SVG element names; hostile strings in the records (script tags,
 * quotes, ampersands, a bidirectional override) must come out escaped.
 * Usage errors of the command are exit tests (status 2).
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "leaf.h"
#include "note.h"
#include "report.h"
#include "tools.h"

#define CHECK_ORIGIN	"check.example/log"
#define CHECK_NS	1000000000LL
#define CHECK_MIN	(60 * CHECK_NS)
#define CHECK_HOUR	(3600 * CHECK_NS)
#define CHECK_T0	(1714521600LL * CHECK_NS)	/* 2024-05-01 */
#define CHECK_NREC	46	/* records of "credit" below the checkpoint */
#define CHECK_MAXREC	128
#define CHECK_POOL	4096
#define CHECK_HOSTILE_ALGO "<script>alert(\"x\")</script>&'"

/* One record to write (a loss record when cr_algo is NULL). */
struct check_rec {
	const char	*cr_algo;
	const char	*cr_version;
	const char	*cr_decision;
	const char	*cr_producer;
	int64_t		 cr_event;
	int64_t		 cr_receive;
	int		 cr_has_score;
	double		 cr_score;
	const char	*cr_region;	/* input "region" (text) */
	int		 cr_region_class;	/* 0: none given */
	int		 cr_has_income;	/* input "income" (number) */
	double		 cr_income;
	const char	*cr_channel;	/* label "channel" */
	const char	*cr_override;	/* label "override" */
	const char	*cr_reviewer;
	int		 cr_automation;
	const char	*cr_codes[3];
	int		 cr_class;	/* 0: ordinary */
	uint64_t	 cr_lost;
	int		 cr_skewed;	/* Entry.clock_skewed, as the daemon */
};

static char check_tmp[512];
static char check_dir[1024];
static struct check_rec check_recs[CHECK_MAXREC];
static size_t check_nrecs;
static uint64_t check_idx[CHECK_NREC];	/* log index of credit record i */
static uint64_t check_size;		/* the checkpoint's tree size */
static char *check_pool[CHECK_POOL];	/* strings of the entry built */
static size_t check_npool;

/* Removes one file or directory of the fixture tree. */
static int
check_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A writable copy of s for a protobuf-c field, freed after the build. */
static char *
check_s(const char *s)
{
	if (s == NULL)
		return NULL;
	ck_assert_uint_lt(check_npool, CHECK_POOL);
	check_pool[check_npool] = strdup(s);
	ck_assert_ptr_nonnull(check_pool[check_npool]);
	return check_pool[check_npool++];
}

/* Frees the pool of check_s(). */
static void
check_pool_free(void)
{
	while (check_npool > 0)
		free(check_pool[--check_npool]);
}

/*
 * Appends the entry of c at index idx in the open transaction: its
 * bytes, its index keys and its leaf hash.
 */
static void
check_append(struct store *st, struct leaf_ctx *ctx, uint64_t idx,
    const struct check_rec *c)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Input in[2], *inp[2];
	Algaudit__V1__Label lb[2], *lbp[2];
	Algaudit__V1__Explanation x = ALGAUDIT__V1__EXPLANATION__INIT;
	char *codes[3];
	uint8_t h[LEAF_HASH_LEN], *buf;
	uint64_t got;
	size_t len, i;

	e.has_index = 1;
	e.index = idx;
	e.has_receive_time_ns = 1;
	e.receive_time_ns = c->cr_receive != 0 ? c->cr_receive :
	    c->cr_event + CHECK_NS;
	e.producer_id = check_s(c->cr_producer != NULL ? c->cr_producer :
	    "p1");
	e.has_clock_skewed = e.clock_skewed = c->cr_skewed;
	e.record = &r;
	r.has_producer_seq = 1;
	r.producer_seq = idx + 1;
	r.has_event_time_ns = 1;
	r.event_time_ns = c->cr_event;
	r.has_data_class = 1;
	r.data_class = c->cr_class != 0 ? c->cr_class :
	    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	if (c->cr_algo == NULL) {
		r.has_lost_records = 1;
		r.lost_records = c->cr_lost;
	} else {
		a.id = check_s(c->cr_algo);
		a.version = check_s(c->cr_version);
		r.algorithm = &a;
		r.decision = check_s(c->cr_decision);
	}
	r.has_score = c->cr_has_score;
	r.score = c->cr_score;
	r.reviewer = check_s(c->cr_reviewer);
	if (c->cr_automation != 0) {
		r.has_automation = 1;
		r.automation = c->cr_automation;
	}
	if (c->cr_region != NULL) {
		algaudit__v1__input__init(&in[r.n_inputs]);
		in[r.n_inputs].name = check_s("region");
		in[r.n_inputs].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
		in[r.n_inputs].text = check_s(c->cr_region);
		if (c->cr_region_class != 0) {
			in[r.n_inputs].has_data_class = 1;
			in[r.n_inputs].data_class = c->cr_region_class;
		}
		inp[r.n_inputs] = &in[r.n_inputs];
		r.n_inputs++;
	}
	if (c->cr_has_income) {
		algaudit__v1__input__init(&in[r.n_inputs]);
		in[r.n_inputs].name = check_s("income");
		in[r.n_inputs].value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
		in[r.n_inputs].number = c->cr_income;
		inp[r.n_inputs] = &in[r.n_inputs];
		r.n_inputs++;
	}
	r.inputs = inp;
	if (c->cr_channel != NULL) {
		algaudit__v1__label__init(&lb[r.n_labels]);
		lb[r.n_labels].key = check_s("channel");
		lb[r.n_labels].value = check_s(c->cr_channel);
		lbp[r.n_labels] = &lb[r.n_labels];
		r.n_labels++;
	}
	if (c->cr_override != NULL) {
		algaudit__v1__label__init(&lb[r.n_labels]);
		lb[r.n_labels].key = check_s("override");
		lb[r.n_labels].value = check_s(c->cr_override);
		lbp[r.n_labels] = &lb[r.n_labels];
		r.n_labels++;
	}
	r.labels = lbp;
	for (i = 0; i < 3 && c->cr_codes[i] != NULL; i++)
		codes[i] = check_s(c->cr_codes[i]);
	if (i > 0) {
		x.n_reason_codes = i;
		x.reason_codes = codes;
		r.explanation = &x;
	}
	len = algaudit__v1__entry__get_packed_size(&e);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	algaudit__v1__entry__pack(&e, buf);
	ck_assert_int_eq(store_append(st, buf, len, &got), 0);
	ck_assert_uint_eq(got, idx);
	free(buf);
	ck_assert_int_eq(store_index_add(st, idx, &e), 0);
	ck_assert_int_eq(leaf_compute(ctx, store_leaf_key(st), &e, h), 0);
	ck_assert_int_eq(store_tree_append(st, h, 1), 0);
	check_pool_free();
}

/*
 * Writes recs[0..n) into the store at dir, with a checkpoint over the
 * first ckpt of them (none when ckpt is 0; a checkpoint of a wrong root
 * when badroot is set), then recs[n..total) after it. Returns the
 * checkpoint's size.
 */
static uint64_t
check_build(const char *dir, const struct check_rec *recs, size_t ckpt,
    size_t total, int badroot)
{
	struct note_signer *sg;
	struct leaf_ctx *ctx;
	struct store *st;
	uint8_t root[32];
	char *note;
	size_t i, len;

	ck_assert_int_eq(store_open(&st, dir, STORE_CREATE, CHECK_ORIGIN), 0);
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	ck_assert_int_eq(note_signer_generate(CHECK_ORIGIN, &sg), 0);
	ck_assert_int_eq(store_begin(st), 0);
	for (i = 0; i < ckpt; i++)
		check_append(st, ctx, i, &recs[i]);
	if (ckpt > 0) {
		ck_assert_int_eq(store_tree_root_txn(st, ckpt, root), 0);
		if (badroot)
			root[0] ^= 1;
		ck_assert_int_eq(note_checkpoint_sign(sg, CHECK_ORIGIN, ckpt,
		    root, &note, &len), 0);
		ck_assert_int_eq(store_checkpoint_put(st, ckpt, note, len), 0);
		free(note);
	}
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_begin(st), 0);
	for (i = ckpt; i < total; i++)
		check_append(st, ctx, i, &recs[i]);
	ck_assert_int_eq(store_commit(st), 0);
	note_signer_free(sg);
	leaf_ctx_free(ctx);
	store_close(st);
	return ckpt;
}

/*
 * The records of "credit", i = 0..45, by rule (the expected values in
 * the tests follow from these rules by hand):
 * - version "1.0" for even i, "2.0" for odd i; score i / 100;
 * - region A for i 0..19 (approve when i < 15), B for 20..29 (approve
 *   when i < 25), C for 30..33 (approve when i == 30), none for 34 and
 *   35 (approve), A but of class core for 36 and 37 (deny), D for
 *   38..45 (approve when i < 45); everything else is deny;
 * - event time T0 + i * 30 min, but i = 45 at T0 + 30 h; receive time
 *   one second later, but i = 3 ten minutes before its event, i = 7 an
 *   hour after it, i = 11 exactly five minutes after it;
 * - reviewer named when i % 5 == 0; label override=true on 0, 10 and 2
 *   (2 has no reviewer), override=false on 5;
 * - automation i % 4: 0 fully automated, 1 human review after, 2 human
 *   in the loop, 3 not given;
 * - reason codes R(i % 3), and X twice when i is even;
 * - producer p1 for i < 40, p2 from 40 on.
 */
static void
check_credit(struct check_rec *c, int i)
{
	static const char *const rc[] = { "R0", "R1", "R2" };

	memset(c, 0, sizeof(*c));
	c->cr_algo = "credit";
	c->cr_version = i % 2 == 0 ? "1.0" : "2.0";
	c->cr_has_score = 1;
	c->cr_score = i / 100.0;
	c->cr_decision = "deny";
	if (i < 20) {
		c->cr_region = "A";
		if (i < 15)
			c->cr_decision = "approve";
	} else if (i < 30) {
		c->cr_region = "B";
		if (i < 25)
			c->cr_decision = "approve";
	} else if (i < 34) {
		c->cr_region = "C";
		if (i == 30)
			c->cr_decision = "approve";
	} else if (i < 36)
		c->cr_decision = "approve";
	else if (i < 38) {
		c->cr_region = "A";
		c->cr_region_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE;
	} else {
		c->cr_region = "D";
		if (i < 45)
			c->cr_decision = "approve";
	}
	c->cr_event = CHECK_T0 + (i == 45 ? 30 * CHECK_HOUR :
	    i * 30 * CHECK_MIN);
	if (i == 3)
		c->cr_receive = c->cr_event - 10 * CHECK_MIN;
	else if (i == 7)
		c->cr_receive = c->cr_event + CHECK_HOUR;
	else if (i == 11)
		c->cr_receive = c->cr_event + 5 * CHECK_MIN;
	/* As a daemon at --clock-skew 60 flagged them. */
	c->cr_skewed = i == 3 || i == 7 || i == 11;
	if (i % 5 == 0)
		c->cr_reviewer = "rev";
	if (i == 0 || i == 10 || i == 2)
		c->cr_override = "true";
	if (i == 5)
		c->cr_override = "false";
	switch (i % 4) {
	case 0:
		c->cr_automation =
		    ALGAUDIT__V1__AUTOMATION__AUTOMATION_FULLY_AUTOMATED;
		break;
	case 1:
		c->cr_automation =
		    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_REVIEW_AFTER;
		break;
	case 2:
		c->cr_automation =
		    ALGAUDIT__V1__AUTOMATION__AUTOMATION_HUMAN_IN_THE_LOOP;
		break;
	}
	c->cr_codes[0] = rc[i % 3];
	if (i % 2 == 0) {
		c->cr_codes[1] = "X";
		c->cr_codes[2] = "X";
	}
	c->cr_producer = i < 40 ? "p1" : "p2";
}

/* Appends a record to the fixture's list; returns it. */
static struct check_rec *
check_add(void)
{
	ck_assert_uint_lt(check_nrecs, CHECK_MAXREC);
	memset(&check_recs[check_nrecs], 0, sizeof(check_recs[0]));
	return &check_recs[check_nrecs++];
}

/* Makes the fixture's temporary directory and sets check_dir in it. */
static void
check_mkdir(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(check_tmp, sizeof(check_tmp), "%s/check_report.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	snprintf(check_dir, sizeof(check_dir), "%s/store", check_tmp);
}

/*
 * Checked fixture: the credit records with, in the log between them,
 * records of another algorithm and loss records: p1 lost 5 at T0 + 10 h
 * (counted), p3 (which delivered no credit record) lost 7 (not
 * counted), p1 lost 11 at T0 + 100 h (outside the window, not counted).
 * The checkpoint covers all that; after it come 3 more approvals of
 * credit and a loss of 13 by p1, none of which may count.
 */
static void
check_setup(void)
{
	struct check_rec *c;
	int i;

	check_mkdir();
	check_nrecs = 0;
	for (i = 0; i < CHECK_NREC; i++) {
		check_idx[i] = check_nrecs;
		check_credit(check_add(), i);
		if (i % 10 == 9) {
			c = check_add();
			c->cr_algo = "other";
			c->cr_decision = "x";
			c->cr_event = CHECK_T0 + i * 30 * CHECK_MIN;
		}
		if (i >= 20 && i <= 22) {
			c = check_add();
			c->cr_producer = i == 21 ? "p3" : "p1";
			c->cr_event = CHECK_T0 + (i == 22 ? 100 : 10) *
			    CHECK_HOUR;
			c->cr_lost = i == 20 ? 5 : i == 21 ? 7 : 11;
		}
	}
	check_size = check_nrecs;
	for (i = 0; i < 3; i++) {
		c = check_add();
		check_credit(c, 0);
		c->cr_decision = "approve";
		c->cr_event = CHECK_T0 + CHECK_HOUR;
	}
	c = check_add();
	c->cr_event = CHECK_T0 + CHECK_HOUR;
	c->cr_lost = 13;
	check_build(check_dir, check_recs, check_size, check_nrecs, 0);
}

/* Checked fixture: removes the directory. */
static void
check_teardown(void)
{
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Options of the main tests: credit by region, approve favourable. */
static void
check_opts(struct cmd_report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ro_filter.qf_algorithm = "credit";
	o->ro_group = REPORT_GROUP_INPUT;
	o->ro_group_name = "region";
	o->ro_favourable[0] = "approve";
	o->ro_favourable[1] = "accept";
	o->ro_nfavourable = 2;
	o->ro_min_group = 5;
	o->ro_now_ns = CHECK_T0;
}

/* Runs cmd_report_compute() on the store at dir; returns its code. */
static int
check_compute_at(const char *dir, const struct cmd_report_opts *o,
    json_t **r, char *err, size_t errlen)
{
	struct store_view *v;
	struct store *st;
	int rc;

	ck_assert_int_eq(store_open(&st, dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_view_begin(st, &v), 0);
	rc = cmd_report_compute(v, o, r, err, errlen);
	store_view_end(v);
	store_close(st);
	return rc;
}

/* Runs cmd_report_compute() on the fixture; it must succeed. */
static json_t *
check_compute(const struct cmd_report_opts *o)
{
	char err[REPORT_ERRLEN];
	json_t *r = NULL;
	int rc;

	rc = check_compute_at(check_dir, o, &r, err, sizeof(err));
	ck_assert_msg(rc == 0, "cmd_report_compute: %s: %s",
	    cmd_report_strerror(rc), err);
	ck_assert_ptr_nonnull(r);
	return r;
}

/*
 * The value at path in r: keys and array indexes separated by '/'
 * ("groups/groups/1/rate"). Fails the test when absent.
 */
static json_t *
check_at(json_t *r, const char *path)
{
	char buf[256], *p, *next;
	json_t *v = r;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; p != NULL && v != NULL; p = next) {
		if ((next = strchr(p, '/')) != NULL)
			*next++ = '\0';
		if (json_is_array(v))
			v = json_array_get(v, strtoul(p, NULL, 10));
		else
			v = json_object_get(v, p);
	}
	ck_assert_msg(v != NULL, "no %s in the report", path);
	return v;
}

/* The integer at path. */
static long long
check_int(json_t *r, const char *path)
{
	json_t *v = check_at(r, path);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", path);
	return json_integer_value(v);
}

/* The number at path. */
static double
check_num(json_t *r, const char *path)
{
	json_t *v = check_at(r, path);

	ck_assert_msg(json_is_number(v), "%s is not a number", path);
	return json_number_value(v);
}

/* The string at path. */
static const char *
check_str(json_t *r, const char *path)
{
	json_t *v = check_at(r, path);

	ck_assert_msg(json_is_string(v), "%s is not a string", path);
	return json_string_value(v);
}

/* Whether the value at path is true (it must be a boolean). */
static int
check_bool(json_t *r, const char *path)
{
	json_t *v = check_at(r, path);

	ck_assert_msg(json_is_boolean(v), "%s is not a boolean", path);
	return json_is_true(v);
}

#define CHECK_EPS	1e-12

/* What is counted, and only below the checkpoint. */
START_TEST(test_report_scope)
{
	struct cmd_report_opts o;
	json_t *r;

	check_opts(&o);
	r = check_compute(&o);
	ck_assert_str_eq(check_str(r, "format"), REPORT_FORMAT);
	ck_assert_int_eq(check_int(r, "records"), CHECK_NREC);
	ck_assert_int_eq(check_int(r, "checkpoint/size"), check_size);
	ck_assert_int_eq(check_int(r, "checkpoint/log_size"), check_nrecs);
	ck_assert_int_eq(check_int(r, "checkpoint/entries_after"), 4);
	ck_assert(check_bool(r, "checkpoint/root_matches_tree"));
	ck_assert_str_eq(check_str(r, "checkpoint/origin"), CHECK_ORIGIN);
	ck_assert_ptr_nonnull(strstr(check_str(r, "checkpoint/note"),
	    CHECK_ORIGIN "\n"));
	ck_assert_uint_eq(strlen(check_str(r, "checkpoint/root_hex")), 64);
	ck_assert_int_eq(check_int(r, "covered/first_index"), 0);
	ck_assert_int_eq(check_int(r, "covered/last_index"), check_idx[45]);
	ck_assert_int_eq(check_int(r, "covered/below_size"), check_size);
	ck_assert_int_eq(check_int(r, "selection/to_index"), check_size - 1);
	ck_assert_str_eq(check_str(r, "selection/algorithm"), "credit");
	ck_assert_str_eq(check_str(r, "generated"), "2024-05-01T00:00:00Z");
	ck_assert_int_eq(check_int(r, "event_time/first_ns"), CHECK_T0);
	ck_assert_int_eq(check_int(r, "event_time/last_ns"),
	    CHECK_T0 + 30 * CHECK_HOUR);
	/* 30 approvals of 46; "accept" never occurs. */
	ck_assert_int_eq(check_int(r, "favourable/records"), 30);
	ck_assert_double_eq_tol(check_num(r, "favourable/rate"), 30.0 / 46,
	    CHECK_EPS);
	ck_assert_uint_eq(json_array_size(check_at(r, "favourable/unseen")),
	    1);
	ck_assert_str_eq(check_str(r, "favourable/unseen/0"), "accept");
	json_decref(r);
}
END_TEST

/* Decisions overall and per version. */
START_TEST(test_report_decisions)
{
	struct cmd_report_opts o;
	json_t *r;

	check_opts(&o);
	r = check_compute(&o);
	ck_assert_uint_eq(json_array_size(check_at(r, "decisions")), 2);
	ck_assert_str_eq(check_str(r, "decisions/0/decision"), "approve");
	ck_assert_int_eq(check_int(r, "decisions/0/records"), 30);
	ck_assert(check_bool(r, "decisions/0/is_favourable"));
	ck_assert_str_eq(check_str(r, "decisions/1/decision"), "deny");
	ck_assert_int_eq(check_int(r, "decisions/1/records"), 16);
	ck_assert(!check_bool(r, "decisions/1/is_favourable"));
	ck_assert_double_eq_tol(check_num(r, "decisions/1/share"), 16.0 / 46,
	    CHECK_EPS);
	/* In order of first appearance: 1.0 (i = 0), 2.0 (i = 1). */
	ck_assert_uint_eq(json_array_size(check_at(r, "versions")), 2);
	ck_assert_str_eq(check_str(r, "versions/0/version"), "1.0");
	ck_assert_int_eq(check_int(r, "versions/0/records"), 23);
	ck_assert_int_eq(check_int(r, "versions/0/first_index"), 0);
	ck_assert_int_eq(check_int(r, "versions/0/favourable"), 17);
	ck_assert_double_eq_tol(check_num(r, "versions/0/favourable_rate"),
	    17.0 / 23, CHECK_EPS);
	ck_assert_str_eq(check_str(r, "versions/0/decisions/0/decision"),
	    "approve");
	ck_assert_int_eq(check_int(r, "versions/0/decisions/0/records"), 17);
	ck_assert_int_eq(check_int(r, "versions/0/decisions/1/records"), 6);
	ck_assert_str_eq(check_str(r, "versions/1/version"), "2.0");
	ck_assert_int_eq(check_int(r, "versions/1/first_index"), 1);
	ck_assert_int_eq(check_int(r, "versions/1/favourable"), 13);
	ck_assert_int_eq(check_int(r, "versions/1/decisions/0/records"), 13);
	ck_assert_int_eq(check_int(r, "versions/1/decisions/1/records"), 10);
	json_decref(r);
}
END_TEST

/*
 * Groups: A 15/20, B 5/10, D 7/8, C 1/4, missing 2/2, withheld core
 * 0/2. Reference D (0.875, the best of at least 5 records); B's
 * disparate impact 0.5 / 0.875 = 0.571 is flagged; C (0.286) is too
 * small to flag; the pseudo-groups are never the reference.
 */
START_TEST(test_report_groups)
{
	static const struct {
		const char	*label;
		const char	*kind;
		int		 n, fav;
		int		 small, flag, ref;
	} want[] = {
		{ "A", "value", 20, 15, 0, 0, 0 },
		{ "B", "value", 10, 5, 0, 1, 0 },
		{ "D", "value", 8, 7, 0, 0, 1 },
		{ "C", "value", 4, 1, 1, 0, 0 },
		{ "(missing)", "missing", 2, 2, 1, 0, 0 },
		{ "(withheld: core data)", "withheld", 2, 0, 1, 0, 0 }
	};
	struct cmd_report_opts o;
	char p[64];
	double rate;
	json_t *r;
	size_t i;

	check_opts(&o);
	r = check_compute(&o);
	ck_assert_str_eq(check_str(r, "groups/by"), "input");
	ck_assert_str_eq(check_str(r, "groups/name"), "region");
	ck_assert(check_bool(r, "groups/rates"));
	ck_assert_int_eq(check_int(r, "groups/min_group"), 5);
	ck_assert_str_eq(check_str(r, "groups/reference"), "D");
	ck_assert_double_eq_tol(check_num(r, "groups/reference_rate"), 0.875,
	    CHECK_EPS);
	ck_assert_int_eq(check_int(r, "groups/flagged"), 1);
	ck_assert_uint_eq(json_array_size(check_at(r, "groups/groups")),
	    sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
#define P(k)	(snprintf(p, sizeof(p), "groups/groups/%zu/%s", i, k), p)
		ck_assert_str_eq(check_str(r, P("label")), want[i].label);
		ck_assert_str_eq(check_str(r, P("kind")), want[i].kind);
		ck_assert_int_eq(check_int(r, P("records")), want[i].n);
		ck_assert_int_eq(check_int(r, P("favourable")), want[i].fav);
		rate = (double)want[i].fav / want[i].n;
		ck_assert_double_eq_tol(check_num(r, P("rate")), rate,
		    CHECK_EPS);
		ck_assert_double_eq_tol(check_num(r, P("spd")), rate - 0.875,
		    CHECK_EPS);
		ck_assert_double_eq_tol(check_num(r, P("di")), rate / 0.875,
		    CHECK_EPS);
		ck_assert_int_eq(check_bool(r, P("small")), want[i].small);
		ck_assert_int_eq(check_bool(r, P("flag")), want[i].flag);
		ck_assert_int_eq(check_bool(r, P("reference")), want[i].ref);
#undef P
	}
	/* The withheld value itself is nowhere in the group. */
	ck_assert(json_is_null(check_at(r, "groups/groups/5/value")));
	ck_assert_double_eq_tol(check_num(r, "groups/groups/1/di"),
	    0.5714285714285714, 1e-12);
	json_decref(r);
}
END_TEST

/*
 * Scores i / 100: version 1.0 has 0, 0.02, ..., 0.44 (23 values: the
 * nearest-rank median is the 12th, 0.22, p90 the 21st, 0.40); version
 * 2.0 has 0.01, ..., 0.45 (median 0.23, p90 0.41). Each quantile must
 * be within half the stated resolution, min and max exact.
 */
START_TEST(test_report_scores)
{
	static const struct {
		double	 min, median, p90, max;
	} want[2] = {
		{ 0, 0.22, 0.40, 0.44 },
		{ 0.01, 0.23, 0.41, 0.45 }
	};
	struct cmd_report_opts o;
	double res, sum;
	json_t *r, *h;
	char p[64];
	size_t i, j;

	check_opts(&o);
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "scores/scored"), 46);
	ck_assert_int_eq(check_int(r, "scores/unscored"), 0);
	/* 0..0.45 in about 20 bins: a width of 0.025 from 0. */
	ck_assert_double_eq_tol(check_num(r, "scores/bin_width"), 0.025,
	    CHECK_EPS);
	ck_assert_double_eq_tol(check_num(r, "scores/bins_lo"), 0, CHECK_EPS);
	ck_assert_int_ge(check_int(r, "scores/bins"), 18);
	ck_assert_int_le(check_int(r, "scores/bins"), 19);
	for (i = 0; i < 2; i++) {
#define P(k)	(snprintf(p, sizeof(p), "versions/%zu/score/%s", i, k), p)
		res = check_num(r, P("resolution"));
		ck_assert(res > 0 && res < 0.001);
		ck_assert_int_eq(check_int(r, P("scored")), 23);
		ck_assert_double_eq_tol(check_num(r, P("min")), want[i].min,
		    CHECK_EPS);
		ck_assert_double_eq_tol(check_num(r, P("max")), want[i].max,
		    CHECK_EPS);
		ck_assert_double_le_tol(fabs(check_num(r, P("median")) -
		    want[i].median), res / 2, 1e-15);
		ck_assert_double_le_tol(fabs(check_num(r, P("p90")) -
		    want[i].p90), res / 2, 1e-15);
		h = check_at(r, P("histogram"));
		ck_assert_int_eq(json_array_size(h), check_int(r,
		    "scores/bins"));
		for (sum = 0, j = 0; j < json_array_size(h); j++)
			sum += json_number_value(json_array_get(h, j));
		ck_assert_double_eq(sum, 23);
#undef P
	}
	/* [0, 0.025): 0 and 0.02 of 1.0, 0.01 of 2.0. */
	ck_assert_int_eq(check_int(r, "versions/0/score/histogram/0"), 2);
	ck_assert_int_eq(check_int(r, "versions/1/score/histogram/0"), 1);
	json_decref(r);
}
END_TEST

/*
 * Volume: T0 .. T0 + 30 h is 31 hourly buckets; hours 0 to 21 hold two
 * records each, hour 22 one (i = 44), hours 23 to 29 none, hour 30 one
 * (i = 45).
 */
START_TEST(test_report_volume)
{
	struct cmd_report_opts o;
	char p[64];
	json_t *r;
	size_t i;

	check_opts(&o);
	r = check_compute(&o);
	ck_assert_str_eq(check_str(r, "volume/bucket"), "hour");
	ck_assert_uint_eq(json_array_size(check_at(r, "volume/buckets")), 31);
	for (i = 0; i <= 30; i++) {
		snprintf(p, sizeof(p), "volume/buckets/%zu/start_ns", i);
		ck_assert_int_eq(check_int(r, p), CHECK_T0 +
		    (int64_t)i * CHECK_HOUR);
		snprintf(p, sizeof(p), "volume/buckets/%zu/records", i);
		ck_assert_int_eq(check_int(r, p), i < 22 ? 2 : i == 22 ||
		    i == 30 ? 1 : 0);
	}
	ck_assert_str_eq(check_str(r, "volume/buckets/30/start"),
	    "2024-05-02T06:00:00Z");
	json_decref(r);
}
END_TEST

/*
 * Automation 12 fully automated, 12 review after, 11 in the loop, 11
 * not given; 10 reviewed; override label on 4, overridden and reviewed
 * 2 (0 and 10), overridden without reviewer 1 (2): rate 2 / 10. Codes:
 * X on the 23 even records (twice each, counted once), R0 on 16, R1 and
 * R2 on 15.
 */
START_TEST(test_report_human_codes)
{
	static const char *const lv[4] = { "unspecified", "fully_automated",
	    "human_in_the_loop", "human_review_after" };
	static const int ln[4] = { 11, 12, 11, 12 };
	struct cmd_report_opts o;
	char p[64];
	json_t *r;
	size_t i;

	check_opts(&o);
	r = check_compute(&o);
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "human/automation/%zu/level", i);
		ck_assert_str_eq(check_str(r, p), lv[i]);
		snprintf(p, sizeof(p), "human/automation/%zu/records", i);
		ck_assert_int_eq(check_int(r, p), ln[i]);
		snprintf(p, sizeof(p), "human/automation/%zu/share", i);
		ck_assert_double_eq_tol(check_num(r, p), ln[i] / 46.0,
		    CHECK_EPS);
	}
	ck_assert_int_eq(check_int(r, "human/reviewed"), 10);
	ck_assert_double_eq_tol(check_num(r, "human/review_rate"), 10 / 46.0,
	    CHECK_EPS);
	ck_assert_str_eq(check_str(r, "human/override/label_key"), "override");
	ck_assert_str_eq(check_str(r, "human/override/label_value"), "true");
	ck_assert_int_eq(check_int(r, "human/override/carrying"), 4);
	ck_assert_int_eq(check_int(r, "human/override/overridden"), 2);
	ck_assert_int_eq(check_int(r, "human/override/overridden_unreviewed"),
	    1);
	ck_assert_double_eq_tol(check_num(r, "human/override/rate"), 0.2,
	    CHECK_EPS);
	ck_assert_int_eq(check_int(r, "reason_codes/records_with_codes"), 46);
	ck_assert_int_eq(check_int(r, "reason_codes/distinct"), 4);
	ck_assert_str_eq(check_str(r, "reason_codes/top/0/code"), "X");
	ck_assert_int_eq(check_int(r, "reason_codes/top/0/records"), 23);
	ck_assert_double_eq_tol(check_num(r, "reason_codes/top/0/share"), 0.5,
	    CHECK_EPS);
	ck_assert_str_eq(check_str(r, "reason_codes/top/1/code"), "R0");
	ck_assert_int_eq(check_int(r, "reason_codes/top/1/records"), 16);
	ck_assert_str_eq(check_str(r, "reason_codes/top/2/code"), "R1");
	ck_assert_int_eq(check_int(r, "reason_codes/top/2/records"), 15);
	ck_assert_str_eq(check_str(r, "reason_codes/top/3/code"), "R2");
	ck_assert_int_eq(check_int(r, "reason_codes/top/3/records"), 15);
	/* Without the label at all, the rate is null, not 0. */
	o.ro_override_key = "overruled";
	json_decref(r);
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "human/override/carrying"), 0);
	ck_assert(json_is_null(check_at(r, "human/override/rate")));
	json_decref(r);
}
END_TEST

/*
 * The daemon's flags, stored: i = 3 (event 10 min after its receipt),
 * i = 7 (received an hour later) and i = 11 (5 min later), as a daemon
 * at --clock-skew 60 set them. Computed now over 5 min: 3 and 7; i =
 * 11, exactly 5 min, is not over.
 * Loss: p1 lost 5 in the window; p3's 7 (no credit record), p1's 11
 * (outside the window) and p1's 13 (after the checkpoint) do not count.
 */
START_TEST(test_report_skew_loss)
{
	struct cmd_report_opts o;
	json_t *r;

	check_opts(&o);
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "clock_skew/flagged"), 3);
	ck_assert_int_eq(check_int(r, "clock_skew/event_after_receive"), 1);
	ck_assert_int_eq(check_int(r, "clock_skew/event_before_receive"), 2);
	ck_assert_int_eq(check_int(r, "clock_skew/examples/0"), check_idx[3]);
	ck_assert_int_eq(check_int(r, "clock_skew/examples/1"), check_idx[7]);
	ck_assert_int_eq(check_int(r, "clock_skew/examples/2"),
	    check_idx[11]);
	ck_assert_uint_eq(json_array_size(check_at(r, "clock_skew/examples")),
	    3);
	ck_assert_int_eq(check_int(r, "clock_skew/report_threshold_ns"),
	    5 * CHECK_MIN);
	ck_assert_int_eq(check_int(r, "clock_skew/beyond_report_threshold"),
	    2);
	ck_assert_ptr_null(json_object_get(check_at(r, "clock_skew"),
	    "threshold_ns"));
	ck_assert_double_eq(check_num(r, "clock_skew/max_abs_ns"),
	    (double)CHECK_HOUR);
	ck_assert_int_eq(check_int(r, "clock_skew/no_event_time"), 0);
	ck_assert(check_bool(r, "loss/window"));
	ck_assert_int_eq(check_int(r, "loss/since_ns"), CHECK_T0);
	ck_assert_int_eq(check_int(r, "loss/until_ns"),
	    CHECK_T0 + 30 * CHECK_HOUR + 1);
	ck_assert_int_eq(check_int(r, "loss/loss_records"), 1);
	ck_assert_int_eq(check_int(r, "loss/lost_records"), 5);
	ck_assert_str_eq(check_str(r, "loss/producers/0/producer"), "p1");
	ck_assert_int_eq(check_int(r, "loss/producers/0/records"), 40);
	ck_assert_int_eq(check_int(r, "loss/producers/0/lost_records"), 5);
	ck_assert_str_eq(check_str(r, "loss/producers/1/producer"), "p2");
	ck_assert_int_eq(check_int(r, "loss/producers/1/records"), 6);
	ck_assert_int_eq(check_int(r, "loss/producers/1/lost_records"), 0);
	/*
	 * A --skew of 2 min also counts i = 11, and of 20 min only i = 7;
	 * the daemon's flags stay what they are.
	 */
	o.ro_skew_ns = 2 * CHECK_MIN;
	json_decref(r);
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "clock_skew/beyond_report_threshold"),
	    3);
	ck_assert_int_eq(check_int(r, "clock_skew/flagged"), 3);
	o.ro_skew_ns = 20 * CHECK_MIN;
	json_decref(r);
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "clock_skew/beyond_report_threshold"),
	    1);
	ck_assert_int_eq(check_int(r, "clock_skew/flagged"), 3);
	json_decref(r);
}
END_TEST

/* A version, a time range, and no favourable decisions. */
START_TEST(test_report_selection)
{
	struct cmd_report_opts o;
	json_t *r;

	/* Version 2.0 only. */
	check_opts(&o);
	o.ro_filter.qf_version = "2.0";
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "records"), 23);
	ck_assert_str_eq(check_str(r, "selection/version"), "2.0");
	ck_assert_uint_eq(json_array_size(check_at(r, "versions")), 1);
	json_decref(r);

	/*
	 * Both ends given: the volume covers them, hourly from T0 to
	 * T0 + 48 h; T0 + 2 h up to T0 + 10 h holds i = 4 .. 19.
	 */
	check_opts(&o);
	o.ro_filter.qf_has_since = o.ro_filter.qf_has_until = 1;
	o.ro_filter.qf_since_ns = CHECK_T0 + 2 * CHECK_HOUR;
	o.ro_filter.qf_until_ns = CHECK_T0 + 10 * CHECK_HOUR;
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "records"), 16);
	ck_assert_str_eq(check_str(r, "volume/bucket"), "hour");
	ck_assert_uint_eq(json_array_size(check_at(r, "volume/buckets")), 8);
	ck_assert_int_eq(check_int(r, "volume/buckets/0/start_ns"),
	    CHECK_T0 + 2 * CHECK_HOUR);
	ck_assert_int_eq(check_int(r, "selection/since_ns"),
	    CHECK_T0 + 2 * CHECK_HOUR);
	ck_assert_int_eq(check_int(r, "loss/since_ns"),
	    CHECK_T0 + 2 * CHECK_HOUR);
	json_decref(r);

	/* No favourable decisions: group sizes only, no rates. */
	check_opts(&o);
	o.ro_nfavourable = 0;
	r = check_compute(&o);
	ck_assert(!check_bool(r, "groups/rates"));
	ck_assert(json_is_null(check_at(r, "favourable")));
	ck_assert(json_is_null(check_at(r, "groups/reference")));
	ck_assert_int_eq(check_int(r, "groups/groups/0/records"), 20);
	ck_assert_ptr_null(json_object_get(check_at(r, "groups/groups/0"),
	    "rate"));
	ck_assert_int_eq(check_int(r, "groups/flagged"), 0);
	json_decref(r);

	/* An algorithm with no record: an empty report, not an error. */
	check_opts(&o);
	o.ro_filter.qf_algorithm = "absent";
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "records"), 0);
	ck_assert_uint_eq(json_array_size(check_at(r, "volume/buckets")), 0);
	ck_assert(json_is_null(check_at(r, "covered/first_index")));
	ck_assert(json_is_null(check_at(r, "groups/reference")));
	json_decref(r);
}
END_TEST

/*
 * Grouping by a label and by a number input, and the classes: a label
 * value of an important-class record is withheld unless allowed.
 */
START_TEST(test_report_group_kinds)
{
	struct check_rec recs[8];
	struct cmd_report_opts o;
	char dir[1100], err[REPORT_ERRLEN];
	json_t *r = NULL;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/kinds", check_tmp);
	for (i = 0; i < 8; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].cr_algo = "k";
		recs[i].cr_decision = i % 2 == 0 ? "yes" : "no";
		recs[i].cr_event = CHECK_T0 + (int64_t)i * CHECK_NS;
		recs[i].cr_channel = i < 4 ? "web" : "app";
		recs[i].cr_has_income = 1;
		recs[i].cr_income = (double)i * 1000;
		if (i == 7)
			recs[i].cr_class =
			    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	}
	check_build(dir, recs, 8, 8, 0);
	memset(&o, 0, sizeof(o));
	o.ro_filter.qf_algorithm = "k";
	o.ro_favourable[0] = "yes";
	o.ro_nfavourable = 1;
	o.ro_min_group = 1;
	o.ro_group = REPORT_GROUP_LABEL;
	o.ro_group_name = "channel";
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)), 0);
	/* web 2/4, app 2/3 (4, 6 yes; 5 no), withheld-important 0/1. */
	ck_assert_str_eq(check_str(r, "groups/by"), "label");
	ck_assert_str_eq(check_str(r, "groups/groups/0/label"), "web");
	ck_assert_int_eq(check_int(r, "groups/groups/0/records"), 4);
	ck_assert_str_eq(check_str(r, "groups/groups/1/label"), "app");
	ck_assert_int_eq(check_int(r, "groups/groups/1/records"), 3);
	ck_assert_int_eq(check_int(r, "groups/groups/1/favourable"), 2);
	ck_assert_str_eq(check_str(r, "groups/groups/2/label"),
	    "(withheld: important data)");
	ck_assert_str_eq(check_str(r, "groups/reference"), "app");
	json_decref(r);
	o.ro_allow_important = 1;
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(check_int(r, "groups/groups/1/records"), 4);
	ck_assert_uint_eq(json_array_size(check_at(r, "groups/groups")), 2);
	json_decref(r);

	/* A number without bins is refused, naming the entry. */
	o.ro_group = REPORT_GROUP_INPUT;
	o.ro_group_name = "income";
	r = NULL;
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)),
	    REPORT_EGROUP);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err, "--group-bins"));
	ck_assert_ptr_nonnull(strstr(err, "entry 0"));
	/* Bins < 2000, [2000, 5000), >= 5000: 0,1 | 2,3,4 | 5,6,7. */
	o.ro_edges[0] = 2000;
	o.ro_edges[1] = 5000;
	o.ro_nedges = 2;
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(check_str(r, "groups/groups/0/label"), "< 2000");
	ck_assert_int_eq(check_int(r, "groups/groups/0/records"), 2);
	ck_assert_str_eq(check_str(r, "groups/groups/1/label"),
	    "[2000, 5000)");
	ck_assert_int_eq(check_int(r, "groups/groups/1/records"), 3);
	ck_assert_int_eq(check_int(r, "groups/groups/1/favourable"), 2);
	ck_assert_str_eq(check_str(r, "groups/groups/2/label"), ">= 5000");
	ck_assert_str_eq(check_str(r, "groups/groups/2/kind"), "bin");
	ck_assert_int_eq(check_int(r, "groups/groups/2/records"), 3);
	ck_assert_double_eq(check_num(r, "groups/edges/1"), 5000);
	/* Seconds apart: a bucket per second. */
	ck_assert_str_eq(check_str(r, "volume/bucket"), "second");
	ck_assert_uint_eq(json_array_size(check_at(r, "volume/buckets")), 8);
	json_decref(r);
}
END_TEST

/* Volume over a long range: calendar months, empty ones included. */
START_TEST(test_report_volume_months)
{
	struct check_rec recs[3];
	struct cmd_report_opts o;
	char dir[1100], err[REPORT_ERRLEN];
	json_t *r = NULL;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/months", check_tmp);
	for (i = 0; i < 3; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].cr_algo = "m";
		recs[i].cr_decision = "d";
	}
	/* 2024-05-01, 2024-05-31 23:59, 2025-08-15: 16 months. */
	recs[0].cr_event = CHECK_T0;
	recs[1].cr_event = CHECK_T0 + 31 * 24 * CHECK_HOUR - CHECK_MIN;
	recs[2].cr_event = 1755216000LL * CHECK_NS;
	check_build(dir, recs, 3, 3, 0);
	memset(&o, 0, sizeof(o));
	o.ro_filter.qf_algorithm = "m";
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(check_str(r, "volume/bucket"), "month");
	ck_assert_uint_eq(json_array_size(check_at(r, "volume/buckets")), 16);
	ck_assert_str_eq(check_str(r, "volume/buckets/0/start"),
	    "2024-05-01T00:00:00Z");
	ck_assert_int_eq(check_int(r, "volume/buckets/0/records"), 2);
	ck_assert_int_eq(check_int(r, "volume/buckets/1/records"), 0);
	ck_assert_str_eq(check_str(r, "volume/buckets/15/start"),
	    "2025-08-01T00:00:00Z");
	ck_assert_int_eq(check_int(r, "volume/buckets/15/records"), 1);
	/* No --favourable, no --group-by: no rates anywhere. */
	ck_assert(json_is_null(check_at(r, "groups")));
	ck_assert(json_is_null(check_at(r, "favourable")));
	ck_assert_ptr_null(json_object_get(check_at(r, "versions/0"),
	    "favourable"));
	json_decref(r);
}
END_TEST

/* Checkpoints: none, an older one, one that does not match the tree. */
START_TEST(test_report_checkpoints)
{
	struct check_rec recs[4];
	struct cmd_report_opts o;
	char dir[1100], err[REPORT_ERRLEN];
	json_t *r = NULL;
	size_t i;

	for (i = 0; i < 4; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].cr_algo = "c";
		recs[i].cr_decision = "d";
		recs[i].cr_event = CHECK_T0;
	}
	memset(&o, 0, sizeof(o));
	o.ro_filter.qf_algorithm = "c";
	snprintf(dir, sizeof(dir), "%s/none", check_tmp);
	check_build(dir, recs, 0, 4, 0);
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)),
	    REPORT_ENOCKPT);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err, "no signed checkpoint"));

	snprintf(dir, sizeof(dir), "%s/bad", check_tmp);
	check_build(dir, recs, 3, 4, 1);
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)),
	    REPORT_ETREE);
	ck_assert_ptr_nonnull(strstr(err, "algaudit verify"));

	/* --size: the fixture's checkpoint exactly, or none. */
	check_opts(&o);
	o.ro_has_size = 1;
	o.ro_size = check_size;
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "records"), CHECK_NREC);
	json_decref(r);
	r = NULL;
	o.ro_size = check_size - 1;
	ck_assert_int_eq(check_compute_at(check_dir, &o, &r, err,
	    sizeof(err)), REPORT_ENOCKPT);
	ck_assert_ptr_nonnull(strstr(err, "--size"));
	/* An index range past the checkpoint counts nothing. */
	check_opts(&o);
	o.ro_filter.qf_from = check_size;
	r = check_compute(&o);
	ck_assert_int_eq(check_int(r, "records"), 0);
	ck_assert(json_is_null(check_at(r, "selection/to_index")));
	json_decref(r);
}
END_TEST

/* Writes report r as HTML into path; returns the page (caller frees). */
static char *
check_html(json_t *r, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(report_html_write(fp, r), 0);
	ck_assert_int_eq(fclose(fp), 0);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(buf, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

/*
 * Runs xmllint on path: as XML (the page is well-formed) and as HTML
 * (where only the HTML 5 and SVG element names may be unknown to its
 * HTML 4 parser). Fails the test on anything else.
 */
static void
check_xmllint(const char *path)
{
	char cmd[2048], line[1024];
	FILE *p;
	int rc, bad = 0;

	ck_assert_msg(system("xmllint --version > /dev/null 2>&1") == 0,
	    "xmllint is missing: run scripts/install-deps "
	    "(libxml2-utils)");
	snprintf(cmd, sizeof(cmd), "xmllint --noout '%s' 2>&1", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		fprintf(stderr, "xmllint: %s", line);
		bad = 1;
	}
	rc = pclose(p);
	ck_assert_msg(rc == 0 && !bad, "the page is not well-formed XML");
	snprintf(cmd, sizeof(cmd), "xmllint --html --noout '%s' 2>&1", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strncmp(line, path, strlen(path)) != 0)
			continue;	/* context lines of a message */
		if (strstr(line, "HTML parser error : Tag ") != NULL &&
		    strstr(line, " invalid") != NULL)
			continue;
		fprintf(stderr, "xmllint --html: %s", line);
		bad = 1;
	}
	rc = pclose(p);
	ck_assert_msg(rc == 0 && !bad, "the page does not parse as HTML");
}

/* The page parses and shows the document's numbers. */
START_TEST(test_report_html)
{
	struct cmd_report_opts o;
	char path[1100], *page;
	json_t *r;

	check_opts(&o);
	r = check_compute(&o);
	snprintf(path, sizeof(path), "%s/r.html", check_tmp);
	page = check_html(r, path);
	check_xmllint(path);
	ck_assert_ptr_nonnull(strstr(page, "<!DOCTYPE html>"));
	ck_assert_ptr_nonnull(strstr(page, "@media print"));
	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_null(strstr(page, "src="));
	ck_assert_ptr_null(strstr(page, "href="));
	/* B: 50.0%, -37.5 pp, 0.57, flagged; the reference D. */
	ck_assert_ptr_nonnull(strstr(page, "<td class=\"n\">50.0%</td>"
	    "<td class=\"n\">-37.5 pp</td><td class=\"n\">0.57</td>"
	    "<td class=\"flag\">under 4/5</td>"));
	ck_assert_ptr_nonnull(strstr(page, "Reference group: <b "
	    "class=\"wrap\">D</b>"));
	ck_assert_ptr_nonnull(strstr(page, "<b>46</b> decision records"));
	ck_assert_ptr_nonnull(strstr(page, "the group of at least 5 records "
	    "with the highest favourable rate (87.5%)"));
	ck_assert_ptr_nonnull(strstr(page, "2 with the event before"));
	ck_assert_ptr_nonnull(strstr(page, "<code>--clock-skew</code> "
	    "threshold in force at that moment"));
	ck_assert_ptr_nonnull(strstr(page, "covered by the log's hashes: "
	    "<b class=\"flag\">3</b>"));
	ck_assert_ptr_nonnull(strstr(page, "at this report's threshold of "
	    "5 min"));
	ck_assert_ptr_nonnull(strstr(page, "count here): 2 further apart"));
	ck_assert_ptr_nonnull(strstr(page, "without a receive time: 0."));
	ck_assert_ptr_nonnull(strstr(page, "<b class=\"flag\">5</b> records "
	    "lost in 1 loss records"));
	ck_assert_ptr_nonnull(strstr(page, "(withheld: core data)"));
	ck_assert_ptr_nonnull(strstr(page, CHECK_ORIGIN "\n"));
	ck_assert_ptr_nonnull(strstr(page, "<svg "));
	ck_assert_ptr_nonnull(strstr(page, "<polyline "));
	free(page);
	json_decref(r);
	/* An empty report is a page too, saying so. */
	check_opts(&o);
	o.ro_filter.qf_algorithm = "absent";
	r = check_compute(&o);
	page = check_html(r, path);
	check_xmllint(path);
	ck_assert_ptr_nonnull(strstr(page, "<b>0</b> decision records"));
	ck_assert_ptr_nonnull(strstr(page, "no records</text>"));
	ck_assert_ptr_nonnull(strstr(page, "No records to group."));
	ck_assert_ptr_nonnull(strstr(page, "No selected record has a score"));
	free(page);
	json_decref(r);
	/* Not a report: refused. */
	r = json_object();
	ck_assert_int_eq(report_html_write(stdout, r), EINVAL);
	json_decref(r);
}
END_TEST

/* Record values are hostile: everything comes out escaped. */
START_TEST(test_report_hostile)
{
	struct check_rec recs[6];
	struct cmd_report_opts o;
	char dir[1100], path[1100], err[REPORT_ERRLEN], *page, *js;
	json_t *r = NULL, *back;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/hostile", check_tmp);
	for (i = 0; i < 6; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].cr_algo = CHECK_HOSTILE_ALGO;
		recs[i].cr_version = "1\"'&<v>";
		recs[i].cr_decision = i % 2 == 0 ?
		    "\"><img src=x onerror=alert(1)>" : "ok&amp;";
		recs[i].cr_producer = "p<1>";
		recs[i].cr_event = CHECK_T0 + (int64_t)i * CHECK_HOUR;
		recs[i].cr_has_score = 1;
		recs[i].cr_score = (double)i;
		recs[i].cr_region = i < 3 ? "<b>bold</b> & \"q\"" :
		    "\xe2\x80\xae" "evil\x01";
		recs[i].cr_codes[0] = "</svg><script>x</script>";
		recs[i].cr_reviewer = "r";
		recs[i].cr_override = "true";
	}
	check_build(dir, recs, 6, 6, 0);
	memset(&o, 0, sizeof(o));
	o.ro_filter.qf_algorithm = CHECK_HOSTILE_ALGO;
	o.ro_group = REPORT_GROUP_INPUT;
	o.ro_group_name = "region";
	o.ro_favourable[0] = "ok&amp;";
	o.ro_nfavourable = 1;
	o.ro_min_group = 1;
	ck_assert_int_eq(check_compute_at(dir, &o, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(check_int(r, "records"), 6);
	snprintf(path, sizeof(path), "%s/hostile.html", check_tmp);
	page = check_html(r, path);
	check_xmllint(path);
	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_null(strstr(page, "<img"));
	ck_assert_ptr_null(strstr(page, "<b>bold"));
	ck_assert_ptr_null(strstr(page, "<v>"));
	ck_assert_ptr_null(strstr(page, "p<1>"));
	ck_assert_ptr_null(strstr(page, "\xe2\x80\xae"));
	ck_assert_ptr_null(strstr(page, "\x01"));
	ck_assert_ptr_nonnull(strstr(page, "<title>Accountability report: "
	    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
	    "</title>"));
	ck_assert_ptr_nonnull(strstr(page, "&quot;&gt;&lt;img src=x "
	    "onerror=alert(1)&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "ok&amp;amp;"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;b&gt;bold&lt;/b&gt; &amp; "
	    "&quot;q&quot;"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;/svg&gt;&lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "1&quot;&#39;&amp;&lt;v&gt;"));
	/* The JSON reads back with the values intact. */
	js = json_dumps(r, JSON_INDENT(2));
	ck_assert_ptr_nonnull(js);
	back = json_loads(js, 0, NULL);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(check_str(back, "selection/algorithm"),
	    CHECK_HOSTILE_ALGO);
	ck_assert_str_eq(check_str(back, "groups/groups/0/label"),
	    "<b>bold</b> & \"q\"");
	json_decref(back);
	free(js);
	free(page);
	json_decref(r);
}
END_TEST

/* Runs cmd_report() with the arguments and returns its status. */
static int
check_cli(const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = check_s("report");
	for (; *args != NULL; args++)
		argv[argc++] = check_s(*args);
	argv[argc] = NULL;
	return cmd_report(argc, argv);
}

/* The command writes the file, whole, in either format. */
START_TEST(test_report_cli)
{
	char out[1100], buf[64];
	json_error_t je;
	json_t *r;
	FILE *fp;

	snprintf(out, sizeof(out), "%s/cli.json", check_tmp);
	ck_assert_int_eq(check_cli((const char *const []){ "--store",
	    check_dir, "--algorithm", "credit", "--group-by", "region",
	    "--favourable", "approve", "--min-group", "5", "--format", "json",
	    "--out", out, NULL }), TOOLS_EXIT_OK);
	r = json_load_file(out, 0, &je);
	ck_assert_msg(r != NULL, "%s: %s", out, je.text);
	ck_assert_int_eq(check_int(r, "records"), CHECK_NREC);
	ck_assert_int_eq(check_int(r, "groups/flagged"), 1);
	ck_assert_str_eq(check_str(r, "selection/options/0/0"),
	    "--algorithm");
	ck_assert_str_eq(check_str(r, "selection/options/2/1"), "approve");
	json_decref(r);
	snprintf(out, sizeof(out), "%s/cli.html", check_tmp);
	ck_assert_int_eq(check_cli((const char *const []){ "--store",
	    check_dir, "--algorithm", "credit@1.0", "--out", out, NULL }),
	    TOOLS_EXIT_OK);
	fp = fopen(out, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
	ck_assert_str_eq(buf, "<!DOCTYPE html>\n");
	fclose(fp);
	check_xmllint(out);
	/* A failure leaves no file behind. */
	snprintf(out, sizeof(out), "%s/fail.html", check_tmp);
	ck_assert_int_eq(check_cli((const char *const []){ "--store",
	    check_dir, "--algorithm", "credit", "--size", "1", "--out", out,
	    NULL }), TOOLS_EXIT_FAIL);
	ck_assert_int_eq(access(out, F_OK), -1);
	ck_assert_int_eq(check_cli((const char *const []){ "--store",
	    check_dir, "--algorithm", "credit", "--group-by",
	    "label:channel", "--out", "/nonexistent/dir/r.html", NULL }),
	    TOOLS_EXIT_FAIL);
	check_pool_free();
}
END_TEST

/* Usage errors: each exits 2 before the store is opened. */
static const char *const *const check_bad[] = {
	(const char *const []){ "--store", "x", "--out", "o", NULL },
	(const char *const []){ "--algorithm", "a", "--out", "o", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--format", "pdf", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--group-by", "region", "--group-bins", "5,1", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--group-by", "region", "--group-bins", "1,,2", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--group-bins", "1", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--group-by", "label:", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--favourable", "a,,b", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--skew", "5", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--skew", "0m", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--min-group", "0", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--override-label", "novalue", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--size", "0", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--since", "yesterday", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "extra", NULL },
	(const char *const []){ "--store", "x", "--algorithm", "a", "--out",
	    "o", "--bogus", NULL }
};
#define CHECK_NBAD	(sizeof(check_bad) / sizeof(check_bad[0]))

START_TEST(test_report_usage)
{
	check_cli(check_bad[_i]);
}
END_TEST

/* The suite. */
static Suite *
check_report_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("report");
	tc = tcase_create("compute");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_report_scope);
	tcase_add_test(tc, test_report_decisions);
	tcase_add_test(tc, test_report_groups);
	tcase_add_test(tc, test_report_scores);
	tcase_add_test(tc, test_report_volume);
	tcase_add_test(tc, test_report_human_codes);
	tcase_add_test(tc, test_report_skew_loss);
	tcase_add_test(tc, test_report_selection);
	tcase_add_test(tc, test_report_group_kinds);
	tcase_add_test(tc, test_report_volume_months);
	tcase_add_test(tc, test_report_checkpoints);
	suite_add_tcase(s, tc);
	tc = tcase_create("html");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_report_html);
	tcase_add_test(tc, test_report_hostile);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_report_cli);
	suite_add_tcase(s, tc);
	/* Exit tests need a process each: not under CK_FORK=no. */
	if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0) {
		tc = tcase_create("usage");
		tcase_add_loop_exit_test(tc, test_report_usage,
		    TOOLS_EXIT_USAGE, 0, CHECK_NBAD);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_report_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
