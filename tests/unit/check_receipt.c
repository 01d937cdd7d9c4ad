/* SPDX-License-Identifier: ISC */
/*
 * check_receipt.c: unit tests of tools/receipt.c (Suite "receipt"): the
 * hex and C2SP tlog-proof forms and their parsers, the JSON forms of
 * inclusion and consistency proofs and of the per-decision receipt
 * (built, written as text, read back and verified with the verifier key
 * alone), and receipt_check() refusing each tampering with the right
 * code and a message naming what is wrong. A receipt never carries the
 * master secret nor another entry's salts.
 *
 * The fixture builds, in memory, a tree of CHECK_N commitment leaves
 * (entries made here, master secret 00 01 .. 1f) and signs checkpoints
 * at two sizes with the RFC 8032 test-1 seed, as the daemon would.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "tools.h"

#define CHECK_N		300	/* leaves in the tree */
#define CHECK_OLD	37	/* size of the older checkpoint */
#define CHECK_I		123	/* the entry of the receipts */
#define CHECK_ORIGIN	"example.com/algaudit"

static const uint8_t check_seed[NOTE_SEED_LEN] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};

static char check_pid[] = "credit-api@host-7";
static char check_algo[] = "credit-score";
static char check_subject[] = "s:9f2c5e0a41b7d3c8";
static char check_decision[] = "approve";
static char check_in[] = "income";

static uint8_t check_master[LEAF_SECRET_LEN];
static struct leaf_key *check_key;
static struct leaf_ctx *check_ctx;
static struct merkle_mem *check_mem;
static struct merkle_io check_io;
static struct note_signer *check_signer;
static struct note_verifier *check_nv;
static char *check_ckpt, *check_oldckpt;
static size_t check_ckptlen, check_oldlen;
static char check_err[1024];

/* Packs entry i (a credit decision) into a new buffer of *len bytes. */
static uint8_t *
check_entry(uint64_t i, size_t *len)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	Algaudit__V1__Input in = ALGAUDIT__V1__INPUT__INIT;
	Algaudit__V1__Input *ins[1];
	uint8_t *buf;

	a.id = check_algo;
	in.name = check_in;
	in.value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
	in.number = 52000.0 + (double)i;
	ins[0] = &in;
	r.has_producer_seq = 1;
	r.producer_seq = i + 1;
	r.has_event_time_ns = 1;
	r.event_time_ns = 1700000000000000000LL + (int64_t)i;
	r.algorithm = &a;
	r.subject = check_subject;
	r.decision = check_decision;
	r.has_score = 1;
	r.score = 0.82;
	r.n_inputs = 1;
	r.inputs = ins;
	r.has_data_class = 1;
	r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	e.has_index = 1;
	e.index = i;
	e.has_receive_time_ns = 1;
	e.receive_time_ns = 1700000000123456789LL + (int64_t)i;
	e.producer_id = check_pid;
	e.record = &r;
	*len = algaudit__v1__entry__get_packed_size(&e);
	ck_assert_ptr_nonnull(buf = malloc(*len));
	algaudit__v1__entry__pack(&e, buf);
	return buf;
}

/* Leaf hash of entry i into out (the units stay in check_ctx). */
static void
check_leaf(uint64_t i, uint8_t *out)
{
	Algaudit__V1__Entry *e;
	uint8_t *pb;
	size_t len;

	pb = check_entry(i, &len);
	ck_assert_ptr_nonnull(e = algaudit__v1__entry__unpack(NULL, len, pb));
	ck_assert_int_eq(leaf_compute(check_ctx, check_key, e, out), 0);
	algaudit__v1__entry__free_unpacked(e, NULL);
	free(pb);
}

/* Checked fixture: the tree, its signed checkpoints, the keys. */
static void
check_setup(void)
{
	uint8_t leaves[CHECK_N][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	char vkey[NOTE_VKEY_MAX];
	size_t i;

	for (i = 0; i < LEAF_SECRET_LEN; i++)
		check_master[i] = (uint8_t)i;
	ck_assert_int_eq(leaf_key_new(&check_key, check_master), 0);
	ck_assert_int_eq(leaf_ctx_new(&check_ctx), 0);
	for (i = 0; i < CHECK_N; i++)
		check_leaf(i, leaves[i]);
	ck_assert_int_eq(merkle_mem_new(&check_mem), 0);
	merkle_mem_io(check_mem, &check_io);
	ck_assert_int_eq(merkle_append(&check_io, 0, &leaves[0][0], CHECK_N),
	    0);
	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, check_seed,
	    &check_signer), 0);
	ck_assert_int_eq(note_signer_vkey(check_signer, vkey, sizeof(vkey)),
	    0);
	ck_assert_int_eq(note_verifier_new(vkey, &check_nv, NULL, 0), 0);
	ck_assert_int_eq(merkle_root(&check_io, CHECK_N, root), 0);
	ck_assert_int_eq(note_checkpoint_sign(check_signer, CHECK_ORIGIN,
	    CHECK_N, root, &check_ckpt, &check_ckptlen), 0);
	ck_assert_int_eq(merkle_root(&check_io, CHECK_OLD, root), 0);
	ck_assert_int_eq(note_checkpoint_sign(check_signer, CHECK_ORIGIN,
	    CHECK_OLD, root, &check_oldckpt, &check_oldlen), 0);
	check_err[0] = '\0';
}

/* Checked fixture: frees everything. */
static void
check_teardown(void)
{
	free(check_ckpt);
	free(check_oldckpt);
	note_verifier_free(check_nv);
	note_signer_free(check_signer);
	merkle_mem_free(check_mem);
	leaf_ctx_free(check_ctx);
	leaf_key_free(check_key);
}

/* Writes o as text and reads it back, as a file would carry it. */
static json_t *
check_roundtrip(json_t *o)
{
	json_error_t jerr;
	json_t *back;
	char *s;

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(s = json_dumps(o, JSON_INDENT(2) |
	    JSON_REAL_PRECISION(17)));
	back = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(back != NULL, "%s", jerr.text);
	free(s);
	json_decref(o);
	return back;
}

/* Checks o, which must fail with code and a message holding want. */
static void
check_refused(json_t *o, int code, const char *want)
{
	struct receipt_result r;
	int rc;

	rc = receipt_check(check_nv, o, &r, check_err, sizeof(check_err));
	ck_assert_msg(rc == code, "got %d, want %d: %s", rc, code,
	    check_err);
	ck_assert_msg(strstr(check_err, want) != NULL, "message '%s' lacks "
	    "'%s'", check_err, want);
}

/* The inclusion proof object of leaf index in the tree of CHECK_N. */
static json_t *
check_inclusion(uint64_t index)
{
	uint8_t leaf[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX *
	    MERKLE_HASH_LEN];
	size_t n;

	ck_assert_int_eq(merkle_leaf(&check_io, index, leaf), 0);
	ck_assert_int_eq(merkle_prove_inclusion(&check_io, index, CHECK_N,
	    proof, &n), 0);
	return check_roundtrip(receipt_inclusion_json(index, CHECK_N, leaf,
	    proof, n, check_ckpt, check_ckptlen));
}

/* The receipt object of entry index, against the CHECK_N checkpoint. */
static json_t *
check_receipt(uint64_t index)
{
	uint8_t leaf[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX *
	    MERKLE_HASH_LEN];
	struct receipt_unit units[64];
	const struct leaf_unit *u;
	Algaudit__V1__Entry *e;
	char *tp, jerr[JSON_RECORD_ERRLEN];
	uint8_t *pb;
	json_t *entry, *o;
	size_t len, n, np, i;

	pb = check_entry(index, &len);
	ck_assert_ptr_nonnull(e = algaudit__v1__entry__unpack(NULL, len, pb));
	ck_assert_int_eq(leaf_compute(check_ctx, check_key, e, leaf), 0);
	n = leaf_ctx_units(check_ctx);
	ck_assert_uint_le(n, 64);
	for (i = 0; i < n; i++) {
		u = leaf_ctx_unit(check_ctx, i);
		units[i].ru_path = u->lu_path;
		units[i].ru_value = u->lu_value;
		units[i].ru_valuelen = u->lu_valuelen;
		units[i].ru_salt = u->lu_salt;
	}
	ck_assert_ptr_nonnull(entry = json_record_from_entry(e, jerr,
	    sizeof(jerr)));
	ck_assert_int_eq(merkle_prove_inclusion(&check_io, index, CHECK_N,
	    proof, &np), 0);
	ck_assert_ptr_nonnull(tp = receipt_tlog_proof(index, proof, np,
	    check_ckpt, check_ckptlen));
	o = receipt_json(index, leaf, units, n, entry, pb, len, tp);
	free(tp);
	free(pb);
	algaudit__v1__entry__free_unpacked(e, NULL);
	return check_roundtrip(o);
}

/* Replaces the string o[key] with s. */
static void
check_set(json_t *o, const char *key, const char *s)
{
	ck_assert_int_eq(json_object_set_new(o, key, json_string(s)), 0);
}

/* Flips the first hex digit of string j (0 <-> 1). */
static void
check_flip_hex(json_t *j)
{
	char *s;

	ck_assert_ptr_nonnull(s = strdup(json_string_value(j)));
	s[0] = s[0] == '0' ? '1' : '0';
	ck_assert_int_eq(json_string_set(j, s), 0);
	free(s);
}

/* hex: round trip, upper case accepted, bad forms refused. */
START_TEST(test_hex)
{
	uint8_t in[5] = { 0x00, 0x01, 0xab, 0xff, 0x10 }, out[8];
	char buf[11];
	size_t n;

	receipt_hex(in, sizeof(in), buf);
	ck_assert_str_eq(buf, "0001abff10");
	ck_assert_int_eq(receipt_unhex(buf, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(in, out, 5);
	ck_assert_int_eq(receipt_unhex("ABFF", out, sizeof(out), &n), 0);
	ck_assert_uint_eq(out[0], 0xab);
	ck_assert_int_eq(receipt_unhex("", out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(receipt_unhex("abc", out, sizeof(out), &n), -1);
	ck_assert_int_eq(receipt_unhex("zz", out, sizeof(out), &n), -1);
	ck_assert_int_eq(receipt_unhex("0g", out, sizeof(out), &n), -1);
	ck_assert_int_eq(receipt_unhex("000102", out, 2, &n), -1);
}
END_TEST

/* tlog-proof: written in the C2SP layout and parsed back exactly. */
START_TEST(test_tlog_proof_roundtrip)
{
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	uint8_t back[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	const char *ckpt, *extra;
	char *tp, *want;
	size_t n, m, ckptlen;
	uint64_t index;

	ck_assert_int_eq(merkle_prove_inclusion(&check_io, CHECK_I, CHECK_N,
	    proof, &n), 0);
	ck_assert_ptr_nonnull(tp = receipt_tlog_proof(CHECK_I, proof, n,
	    check_ckpt, check_ckptlen));
	ck_assert_ptr_nonnull(want = malloc(64));
	snprintf(want, 64, "c2sp.org/tlog-proof@v1\nindex %d\n", CHECK_I);
	ck_assert_int_eq(strncmp(tp, want, strlen(want)), 0);
	free(want);
	ck_assert_int_eq(receipt_tlog_proof_parse(tp, strlen(tp), &index,
	    back, &m, &ckpt, &ckptlen, check_err, sizeof(check_err)), 0);
	ck_assert_uint_eq(index, CHECK_I);
	ck_assert_uint_eq(m, n);
	ck_assert_mem_eq(back, proof, n * MERKLE_HASH_LEN);
	ck_assert_uint_eq(ckptlen, check_ckptlen);
	ck_assert_mem_eq(ckpt, check_ckpt, ckptlen);
	free(tp);

	/* An empty proof (tree of one) and an "extra" line. */
	ck_assert_ptr_nonnull(tp = receipt_tlog_proof(0, proof, 0,
	    check_ckpt, check_ckptlen));
	ck_assert_int_eq(receipt_tlog_proof_parse(tp, strlen(tp), &index,
	    back, &m, &ckpt, &ckptlen, check_err, sizeof(check_err)), 0);
	ck_assert_uint_eq(m, 0);
	free(tp);
	extra = "c2sp.org/tlog-proof@v1\nextra AAEC\nindex 0\n\nx\n";
	ck_assert_int_eq(receipt_tlog_proof_parse(extra, strlen(extra), &index,
	    back, &m, &ckpt, &ckptlen, check_err, sizeof(check_err)), 0);
	ck_assert_uint_eq(ckptlen, 2);
}
END_TEST

/* tlog-proof: each malformed form refused, naming the line. */
START_TEST(test_tlog_proof_bad)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} bad[] = {
		{ "c2sp.org/tlog-proof@v2\nindex 0\n\nx\n", "line 1" },
		{ "c2sp.org/tlog-proof@v1\nindx 0\n\nx\n", "line 2" },
		{ "c2sp.org/tlog-proof@v1\nindex 01\n\nx\n", "invalid index" },
		{ "c2sp.org/tlog-proof@v1\nindex -1\n\nx\n", "invalid index" },
		{ "c2sp.org/tlog-proof@v1\nindex 1x\n\nx\n", "invalid index" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx\n", "line 3" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n"
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n\nx\n",
		    "line 3" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n\n", "no checkpoint" },
		{ "c2sp.org/tlog-proof@v1\nindex 1", "no newline" },
		{ "", "no newline" }
	};
	uint8_t back[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	const char *ckpt;
	char *many, *p;
	size_t i, m, ckptlen;
	uint64_t index;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_err[0] = '\0';
		ck_assert_int_eq(receipt_tlog_proof_parse(bad[i].text,
		    strlen(bad[i].text), &index, back, &m, &ckpt, &ckptlen,
		    check_err, sizeof(check_err)), RECEIPT_EMALFORMED);
		ck_assert_msg(strstr(check_err, bad[i].msg) != NULL,
		    "case %zu: '%s' lacks '%s'", i, check_err, bad[i].msg);
	}
	/* 65 hashes: more than any proof has. */
	ck_assert_ptr_nonnull(many = malloc(64 + 65 * 45 + 8));
	p = many + sprintf(many, "c2sp.org/tlog-proof@v1\nindex 1\n");
	for (i = 0; i < 65; i++)
		p += sprintf(p, "%s\n",
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	sprintf(p, "\nx\n");
	ck_assert_int_eq(receipt_tlog_proof_parse(many, strlen(many), &index,
	    back, &m, &ckpt, &ckptlen, check_err, sizeof(check_err)),
	    RECEIPT_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(check_err, "more than 64"));
	free(many);
}
END_TEST

/* Inclusion: every leaf's proof verifies after a trip through text. */
START_TEST(test_inclusion_ok)
{
	static const uint64_t idx[] = { 0, 1, 255, 256, CHECK_I, CHECK_N - 1 };
	struct receipt_result r;
	json_t *o;
	size_t i;

	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		o = check_inclusion(idx[i]);
		ck_assert_int_eq(receipt_check(check_nv, o, &r, check_err,
		    sizeof(check_err)), 0);
		ck_assert_int_eq(r.rr_kind, RECEIPT_KIND_INCLUSION);
		ck_assert_uint_eq(r.rr_index, idx[i]);
		ck_assert_uint_eq(r.rr_size, CHECK_N);
		ck_assert_str_eq(r.rr_origin, CHECK_ORIGIN);
		json_decref(o);
	}
}
END_TEST

/* Inclusion: each tampering refused with its code. */
START_TEST(test_inclusion_tampered)
{
	struct note_signer *other;
	uint8_t root[MERKLE_HASH_LEN];
	char *note;
	size_t len;
	json_t *o;

	o = check_inclusion(CHECK_I);
	check_flip_hex(json_array_get(json_object_get(o, "proof"), 2));
	check_refused(o, RECEIPT_EPROOF, "does not lead to the root");
	json_decref(o);

	o = check_inclusion(CHECK_I);
	check_flip_hex(json_object_get(o, "leaf_hash"));
	check_refused(o, RECEIPT_EPROOF, "inclusion proof of leaf 123");
	json_decref(o);

	o = check_inclusion(CHECK_I);
	json_object_set_new(o, "index", json_integer(CHECK_I + 1));
	check_refused(o, RECEIPT_EPROOF, "leaf 124");
	json_decref(o);

	o = check_inclusion(CHECK_I);
	json_object_set_new(o, "tree_size", json_integer(CHECK_N - 1));
	check_refused(o, RECEIPT_EMISMATCH, "tree_size 299");
	json_decref(o);

	o = check_inclusion(CHECK_I);
	json_array_remove(json_object_get(o, "proof"), 0);
	check_refused(o, RECEIPT_EPROOF, "MERKLE_EPROOFLEN");
	json_decref(o);

	o = check_inclusion(CHECK_I);
	json_array_set_new(json_object_get(o, "proof"), 0, json_string("00"));
	check_refused(o, RECEIPT_EMALFORMED, "\"proof\"[0]");
	json_decref(o);

	o = check_inclusion(CHECK_I);
	json_object_del(o, "checkpoint");
	check_refused(o, RECEIPT_EMALFORMED, "\"checkpoint\"");
	json_decref(o);

	/* The same root signed by another key with the same name. */
	ck_assert_int_eq(note_signer_generate(CHECK_ORIGIN, &other), 0);
	ck_assert_int_eq(merkle_root(&check_io, CHECK_N, root), 0);
	ck_assert_int_eq(note_checkpoint_sign(other, CHECK_ORIGIN, CHECK_N,
	    root, &note, &len), 0);
	o = check_inclusion(CHECK_I);
	check_set(o, "checkpoint", note);
	check_refused(o, RECEIPT_ESIG, "signature invalid");
	json_decref(o);
	free(note);
	note_signer_free(other);

	/* The signed size changed: the signature breaks. */
	o = check_inclusion(CHECK_I);
	note = strdup(json_string_value(json_object_get(o, "checkpoint")));
	ck_assert_ptr_nonnull(note);
	note[strlen(CHECK_ORIGIN) + 3] ^= 1;	/* "300" -> "301" */
	check_set(o, "checkpoint", note);
	check_refused(o, RECEIPT_ESIG, "NOTE_EBADSIG");
	json_decref(o);
	free(note);
}
END_TEST

/* Consistency: verifies; tampering refused. */
START_TEST(test_consistency)
{
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	struct receipt_result r;
	size_t n;
	json_t *o, *good;

	ck_assert_int_eq(merkle_prove_consistency(&check_io, CHECK_OLD,
	    CHECK_N, proof, &n), 0);
	good = check_roundtrip(receipt_consistency_json(CHECK_OLD, CHECK_N,
	    proof, n, check_oldckpt, check_oldlen, check_ckpt,
	    check_ckptlen));
	ck_assert_int_eq(receipt_check(check_nv, good, &r, check_err,
	    sizeof(check_err)), 0);
	ck_assert_int_eq(r.rr_kind, RECEIPT_KIND_CONSISTENCY);
	ck_assert_uint_eq(r.rr_old_size, CHECK_OLD);
	ck_assert_uint_eq(r.rr_size, CHECK_N);

	o = json_deep_copy(good);
	check_flip_hex(json_array_get(json_object_get(o, "proof"), 0));
	check_refused(o, RECEIPT_EPROOF, "consistency proof from size 37");
	json_decref(o);

	o = json_deep_copy(good);
	json_object_set_new(o, "old_size", json_integer(CHECK_OLD + 1));
	check_refused(o, RECEIPT_EMISMATCH, "old_size 38");
	json_decref(o);

	/* The checkpoints swapped. */
	o = json_deep_copy(good);
	json_object_set(o, "checkpoint", json_object_get(good,
	    "old_checkpoint"));
	check_refused(o, RECEIPT_EMISMATCH, "differ from the checkpoints");
	json_decref(o);

	o = json_deep_copy(good);
	json_object_del(o, "old_checkpoint");
	check_refused(o, RECEIPT_EMALFORMED, "\"old_checkpoint\"");
	json_decref(o);
	json_decref(good);
}
END_TEST

/* Receipt: verifies; holds no master secret and no other salts. */
START_TEST(test_receipt_ok)
{
	uint8_t leaf[MERKLE_HASH_LEN], secret[LEAF_SECRET_LEN];
	struct receipt_result r;
	char hex[2 * LEAF_SECRET_LEN + 1];
	char *s;
	json_t *o;
	size_t i;

	o = check_receipt(CHECK_I);
	ck_assert_int_eq(receipt_check(check_nv, o, &r, check_err,
	    sizeof(check_err)), 0);
	ck_assert_int_eq(r.rr_kind, RECEIPT_KIND_RECEIPT);
	ck_assert_uint_eq(r.rr_index, CHECK_I);
	ck_assert_uint_eq(r.rr_size, CHECK_N);
	ck_assert_uint_eq(r.rr_units, json_array_size(json_object_get(o,
	    "units")));
	ck_assert_int_eq(merkle_leaf(&check_io, CHECK_I, leaf), 0);
	ck_assert_mem_eq(r.rr_leaf, leaf, MERKLE_HASH_LEN);

	ck_assert_ptr_nonnull(s = json_dumps(o, 0));
	receipt_hex(check_master, LEAF_SECRET_LEN, hex);
	ck_assert_ptr_null(strstr(s, hex));
	leaf_entry_secret(check_key, CHECK_I, secret);
	receipt_hex(secret, LEAF_SECRET_LEN, hex);
	ck_assert_ptr_null(strstr(s, hex));
	/* The salts of the neighbours are nowhere in it. */
	check_leaf(CHECK_I + 1, leaf);
	for (i = 0; i < leaf_ctx_units(check_ctx); i++) {
		receipt_hex(leaf_ctx_unit(check_ctx, i)->lu_salt,
		    LEAF_SALT_LEN, hex);
		ck_assert_ptr_null(strstr(s, hex));
	}
	free(s);
	json_decref(o);
}
END_TEST

/* Receipt: each tampering refused with its code and reason. */
START_TEST(test_receipt_tampered)
{
	json_t *o, *units, *u;
	char *tp;

	/* A disclosed value changed. */
	o = check_receipt(CHECK_I);
	units = json_object_get(o, "units");
	u = json_array_get(units, 6);
	check_flip_hex(json_object_get(u, "value"));
	check_refused(o, RECEIPT_EMISMATCH, "a unit was changed");
	/* ... and the leaf hash dropped: the proof then fails. */
	json_object_del(o, "leaf_hash");
	check_refused(o, RECEIPT_EPROOF, "does not lead to the root");
	json_decref(o);

	/* A salt changed. */
	o = check_receipt(CHECK_I);
	u = json_array_get(json_object_get(o, "units"), 0);
	check_flip_hex(json_object_get(u, "salt"));
	check_refused(o, RECEIPT_EMISMATCH, "a unit was changed");
	json_decref(o);

	/* A unit dropped. */
	o = check_receipt(CHECK_I);
	json_array_remove(json_object_get(o, "units"), 3);
	check_refused(o, RECEIPT_EMISMATCH, "a unit was changed");
	json_decref(o);

	/* A path renamed. */
	o = check_receipt(CHECK_I);
	u = json_array_get(json_object_get(o, "units"), 6);
	check_set(u, "path", "verdict");
	check_refused(o, RECEIPT_EMISMATCH, "a unit was changed");
	json_decref(o);

	/* A malformed salt. */
	o = check_receipt(CHECK_I);
	u = json_array_get(json_object_get(o, "units"), 1);
	check_set(u, "salt", "0011");
	check_refused(o, RECEIPT_EMALFORMED, "\"units\"[1]");
	json_decref(o);

	/* The entry as JSON changed: it no longer matches the stored one. */
	o = check_receipt(CHECK_I);
	check_set(json_object_get(o, "entry"), "decision", "deny");
	check_refused(o, RECEIPT_EMISMATCH, "\"entry\" is not the JSON form");
	json_decref(o);

	/* The stored entry replaced by another entry. */
	{
		json_t *other = check_receipt(CHECK_I + 1);

		o = check_receipt(CHECK_I);
		json_object_set(o, "entry_protobuf", json_object_get(other,
		    "entry_protobuf"));
		check_refused(o, RECEIPT_EMISMATCH, "not the entry at index "
		    "123");
		json_decref(o);
		json_decref(other);
	}

	/* A proof hash changed in the tlog-proof (base64 line 3). */
	o = check_receipt(CHECK_I);
	ck_assert_ptr_nonnull(tp = strdup(json_string_value(
	    json_object_get(o, "tlog_proof"))));
	tp[strlen("c2sp.org/tlog-proof@v1\nindex 123\n")] ^= 1;
	check_set(o, "tlog_proof", tp);
	check_refused(o, RECEIPT_EPROOF, "inclusion proof of entry 123");
	json_decref(o);
	free(tp);

	/* Another index. */
	o = check_receipt(CHECK_I);
	json_object_set_new(o, "index", json_integer(CHECK_I + 1));
	check_refused(o, RECEIPT_EMISMATCH, "index 124 differs");
	json_decref(o);

	/* Checked with another key. */
	{
		struct note_signer *s;
		struct note_verifier *save = check_nv;
		char vkey[NOTE_VKEY_MAX];

		ck_assert_int_eq(note_signer_generate(CHECK_ORIGIN, &s), 0);
		ck_assert_int_eq(note_signer_vkey(s, vkey, sizeof(vkey)), 0);
		ck_assert_int_eq(note_verifier_new(vkey, &check_nv, NULL, 0),
		    0);
		o = check_receipt(CHECK_I);
		check_refused(o, RECEIPT_ESIG, "NOTE_EUNKNOWNKEY");
		json_decref(o);
		note_verifier_free(check_nv);
		note_signer_free(s);
		check_nv = save;
	}

	/* Not a receipt at all. */
	o = check_receipt(CHECK_I);
	check_set(o, "format", "algaudit-receipt/v2");
	check_refused(o, RECEIPT_EMALFORMED, "\"format\"");
	json_decref(o);
	o = json_array();
	check_refused(o, RECEIPT_EMALFORMED, "not a JSON object");
	json_decref(o);
	o = json_object();
	check_refused(o, RECEIPT_EMALFORMED, "neither a receipt");
	json_decref(o);
}
END_TEST

/* The suite of receipt.c. */
static Suite *
receipt_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("receipt");
	tc = tcase_create("encoding");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_tlog_proof_roundtrip);
	tcase_add_test(tc, test_tlog_proof_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("proofs");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_inclusion_ok);
	tcase_add_test(tc, test_inclusion_tampered);
	tcase_add_test(tc, test_consistency);
	suite_add_tcase(s, tc);
	tc = tcase_create("receipt");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_receipt_ok);
	tcase_add_test(tc, test_receipt_tampered);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exit 0 if every test passed. */
int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(receipt_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
