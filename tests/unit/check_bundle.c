/* SPDX-License-Identifier: ISC */
/*
 * check_bundle.c: unit tests of the export bundle (Suite "bundle"):
 * tools/bundle.c (the disclosure rule, canonical values, --disclose
 * patterns, record lines written and parsed, the multi-proof walk,
 * counts, the manifest's signed text, pseudonyms), merkle_range_hash(),
 * and `algaudit export` with `verify-bundle` end to end on a store made
 * here: a bundle with every kind of withholding verifies, each
 * tampering fails with its message, core data never leaves.
 *
 * The store fixture is written as the daemon writes (entries, index
 * keys, leaf hashes into the tree, signed checkpoints in the same
 * transaction) with the RFC 8032 test-1 seed as signer, in a fresh
 * directory per test (a checked fixture); CHECK_N entries cycle through
 * an ordinary record with an ordinary, a core and an important input,
 * an important record, a core record and a record without data class.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "index.h"
#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "store.h"
#include "tools.h"

#define CHECK_N		300	/* entries of the fixture store */
#define CHECK_CKPT	100	/* the older checkpoint's size */
#define CHECK_ORIGIN	"check.example/bundle"
#define CHECK_CORE	"CORE-SECRET-7f3a9"	/* in every core unit */
#define CHECK_ERR	8192

static const uint8_t check_seed[NOTE_SEED_LEN] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};

static char check_tmp[512];
static char check_dir[1024];	/* the store */
static char check_vkey[NOTE_VKEY_MAX];
static char check_err[CHECK_ERR];

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

/*
 * A path under the fixture directory, in a ring of 8 buffers: keep
 * what must live longer in a buffer of your own (check_pathbuf()).
 */
static const char *
check_path(const char *name)
{
	static char buf[8][1200];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", check_tmp, name);
	return buf[k];
}

/* The path name under the fixture directory, into buf. */
static char *
check_pathbuf(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", check_tmp, name);
	return buf;
}

/*
 * Fills entry e of index i (kind i % 4) with its record; the strings
 * live in the caller's buffers s (16 of 64 bytes).
 */
static void
check_fill(Algaudit__V1__Entry *e, Algaudit__V1__DecisionRecord *r,
    Algaudit__V1__Algorithm *a, Algaudit__V1__Input *in,
    Algaudit__V1__Input **ins, Algaudit__V1__Label *lb,
    Algaudit__V1__Label **lbs, char s[][64], uint64_t i)
{
	algaudit__v1__entry__init(e);
	algaudit__v1__decision_record__init(r);
	algaudit__v1__algorithm__init(a);
	snprintf(s[0], 64, "alg%d", (int)(i % 3));
	snprintf(s[1], 64, "s%d", (int)(i % 5));
	snprintf(s[2], 64, "producer-%d", (int)(i % 2));
	a->id = s[0];
	e->has_index = 1;
	e->index = i;
	e->has_receive_time_ns = 1;
	e->receive_time_ns = 1700000000000000000LL + (int64_t)i;
	e->producer_id = s[2];
	e->record = r;
	r->has_producer_seq = 1;
	r->producer_seq = i + 1;
	r->has_event_time_ns = 1;
	r->event_time_ns = 1700000000000000000LL + (int64_t)i * 1000;
	r->algorithm = a;
	r->subject = s[1];
	switch (i % 4) {
	case 0:		/* ordinary, with inputs of three classes */
		r->has_data_class = 1;
		r->data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
		snprintf(s[3], 64, "approve");
		r->decision = s[3];
		r->has_score = 1;
		r->score = (double)i / CHECK_N;
		algaudit__v1__input__init(&in[0]);
		algaudit__v1__input__init(&in[1]);
		algaudit__v1__input__init(&in[2]);
		in[0].name = s[4];
		snprintf(s[4], 64, "income");
		in[0].value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
		in[0].number = 52000;
		in[0].has_data_class = 1;
		in[0].data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
		in[1].name = s[5];
		snprintf(s[5], 64, "grid_node");
		in[1].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
		snprintf(s[6], 64, "%s", CHECK_CORE);
		in[1].text = s[6];
		in[1].has_data_class = 1;
		in[1].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE;
		in[2].name = s[7];
		snprintf(s[7], 64, "health");
		in[2].value_case = ALGAUDIT__V1__INPUT__VALUE_FLAG;
		in[2].flag = 1;
		in[2].has_data_class = 1;
		in[2].data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
		ins[0] = &in[0];
		ins[1] = &in[1];
		ins[2] = &in[2];
		r->n_inputs = 3;
		r->inputs = ins;
		algaudit__v1__label__init(lb);
		snprintf(s[8], 64, "channel");
		snprintf(s[9], 64, "app");
		lb->key = s[8];
		lb->value = s[9];
		lbs[0] = lb;
		r->n_labels = 1;
		r->labels = lbs;
		break;
	case 1:		/* important */
		r->has_data_class = 1;
		r->data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
		snprintf(s[3], 64, "deny");
		r->decision = s[3];
		break;
	case 2:		/* core, everything of it secret */
		r->has_data_class = 1;
		r->data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE;
		snprintf(s[3], 64, "%s", CHECK_CORE);
		r->decision = s[3];
		snprintf(s[1], 64, "%s-subject", CHECK_CORE);
		break;
	default:	/* no data class: unclassified */
		snprintf(s[3], 64, "review");
		r->decision = s[3];
		break;
	}
}

/*
 * Writes the fixture store: CHECK_N entries in two commits, the
 * checkpoints at CHECK_CKPT and CHECK_N signed by the test seed, and
 * DIR/signer.key.
 */
static void
check_make_store(const char *dir, const char *origin, const uint8_t *seed,
    uint64_t n, uint64_t ckpt)
{
	Algaudit__V1__Entry e;
	Algaudit__V1__DecisionRecord r;
	Algaudit__V1__Algorithm a;
	Algaudit__V1__Input in[3], *ins[3];
	Algaudit__V1__Label lb, *lbs[1];
	struct note_signer *sig;
	struct leaf_ctx *ctx;
	struct store *st;
	uint8_t buf[4096], leaf[LEAF_HASH_LEN], root[MERKLE_HASH_LEN];
	char s[16][64], path[1200], *note;
	uint64_t i, idx;
	size_t len, notelen;

	ck_assert_int_eq(note_signer_from_seed(origin, seed, &sig), 0);
	ck_assert_int_eq(store_open(&st, dir, STORE_CREATE, origin), 0);
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	ck_assert_int_eq(store_begin(st), 0);
	for (i = 0; i < n; i++) {
		check_fill(&e, &r, &a, in, ins, &lb, lbs, s, i);
		len = algaudit__v1__entry__get_packed_size(&e);
		ck_assert_uint_le(len, sizeof(buf));
		algaudit__v1__entry__pack(&e, buf);
		ck_assert_int_eq(store_append(st, buf, len, &idx), 0);
		ck_assert(idx == i);
		ck_assert_int_eq(store_index_add(st, idx, &e), 0);
		ck_assert_int_eq(leaf_compute(ctx, store_leaf_key(st), &e,
		    leaf), 0);
		ck_assert_int_eq(store_tree_append(st, leaf, 1), 0);
		if (i + 1 != ckpt && i + 1 != n)
			continue;
		ck_assert_int_eq(store_tree_root_txn(st, i + 1, root), 0);
		ck_assert_int_eq(note_checkpoint_sign(sig, origin, i + 1, root,
		    &note, &notelen), 0);
		ck_assert_int_eq(store_checkpoint_put(st, i + 1, note,
		    notelen), 0);
		free(note);
		ck_assert_int_eq(store_commit(st), 0);
		if (i + 1 != n)
			ck_assert_int_eq(store_begin(st), 0);
	}
	leaf_ctx_free(ctx);
	store_close(st);
	snprintf(path, sizeof(path), "%s/signer.key", dir);
	ck_assert_int_eq(note_signer_write(sig, path), 0);
	note_signer_free(sig);
}

/* Checked fixture: a temp directory with the store; the key. */
static void
check_setup(void)
{
	struct note_signer *sig;
	const char *t = getenv("TMPDIR");

	snprintf(check_tmp, sizeof(check_tmp), "%s/check_bundle.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	snprintf(check_dir, sizeof(check_dir), "%s/store", check_tmp);
	check_make_store(check_dir, CHECK_ORIGIN, check_seed, CHECK_N,
	    CHECK_CKPT);
	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, check_seed,
	    &sig), 0);
	ck_assert_int_eq(note_signer_vkey(sig, check_vkey,
	    sizeof(check_vkey)), 0);
	note_signer_free(sig);
	/* export prints its summary; keep the test output readable. */
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
}

/* Checked fixture: removes the directory. */
static void
check_teardown(void)
{
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs `algaudit export --store DIR --out OUT args...` (NULL-ended). */
static int
check_export(const char *out, ...)
{
	char *argv[64];
	const char *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)(uintptr_t)"export";
	argv[argc++] = (char *)(uintptr_t)"--store";
	argv[argc++] = check_dir;
	argv[argc++] = (char *)(uintptr_t)"--out";
	argv[argc++] = (char *)(uintptr_t)out;
	argv[argc++] = (char *)(uintptr_t)"--quiet";
	va_start(ap, out);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[argc] = NULL;
	return cmd_export(argc, argv);
}

/*
 * Verifies bundle dir with the fixture's key (old: --since-bundle or
 * NULL); what it says on stderr is in check_err.
 */
static int
check_verify(const char *dir, const char *old)
{
	FILE *out, *err;
	size_t n;
	int rc;

	ck_assert_ptr_nonnull(out = tmpfile());
	ck_assert_ptr_nonnull(err = tmpfile());
	rc = cmd_verify_bundle_run(dir, check_vkey, old, 0, out, err);
	rewind(err);
	n = fread(check_err, 1, sizeof(check_err) - 1, err);
	check_err[n] = '\0';
	fclose(out);
	fclose(err);
	return rc;
}

/* Reads file path into a new NUL-terminated buffer (*len bytes). */
static char *
check_read(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	FILE *fp;

	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_ptr_nonnull(buf = malloc((size_t)sb.st_size + 1));
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_uint_eq(fread(buf, 1, (size_t)sb.st_size, fp),
	    (size_t)sb.st_size);
	fclose(fp);
	buf[sb.st_size] = '\0';
	*len = (size_t)sb.st_size;
	return buf;
}

/* Writes len bytes to path, replacing it. */
static void
check_write(const char *path, const char *p, size_t len)
{
	FILE *fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(p, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Replaces the first occurrence of from by to in file path. */
static void
check_replace(const char *path, const char *from, const char *to)
{
	char *buf, *hit, *out;
	size_t len, fl = strlen(from), tl = strlen(to);

	buf = check_read(path, &len);
	ck_assert_msg((hit = strstr(buf, from)) != NULL, "%s: no '%s'", path,
	    from);
	ck_assert_ptr_nonnull(out = malloc(len - fl + tl + 1));
	memcpy(out, buf, (size_t)(hit - buf));
	memcpy(out + (hit - buf), to, tl);
	memcpy(out + (hit - buf) + tl, hit + fl,
	    len - (size_t)(hit - buf) - fl);
	check_write(path, out, len - fl + tl);
	free(out);
	free(buf);
}

/* Copies bundle src to dst (flat: files only). */
static void
check_copy(const char *src, const char *dst)
{
	static const char *const names[] = {
		BUNDLE_MANIFEST, BUNDLE_SIG, BUNDLE_RECORDS, BUNDLE_PROOF,
		BUNDLE_CHECKPOINT, BUNDLE_KEY, BUNDLE_CONSISTENCY
	};
	char a[1400], b[1400], *buf;
	size_t i, len;

	ck_assert_int_eq(mkdir(dst, 0700), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(a, sizeof(a), "%s/%s", src, names[i]);
		snprintf(b, sizeof(b), "%s/%s", dst, names[i]);
		if (access(a, F_OK) != 0)
			continue;
		buf = check_read(a, &len);
		check_write(b, buf, len);
		free(buf);
	}
}

/* Asserts that verify-bundle fails (3) saying what. */
static void
check_fails(const char *dir, const char *what)
{
	int rc;

	rc = check_verify(dir, NULL);
	ck_assert_msg(rc == TOOLS_EXIT_VERIFY, "%s: exit %d, not 3: %.2000s",
	    dir, rc, check_err);
	ck_assert_msg(strstr(check_err, what) != NULL, "%s: no '%s' in: "
	    "%.2000s", dir, what, check_err);
}

/* The manifest of bundle dir (a new reference). */
static json_t *
check_manifest(const char *dir)
{
	char path[1400];
	json_error_t jerr;
	json_t *m;

	snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MANIFEST);
	m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(m != NULL, "%s: %s", path, jerr.text);
	return m;
}

/* Whether the n bytes p occur in file path. */
static int
check_in_file(const char *path, const void *p, size_t n)
{
	char *buf;
	size_t len, i;
	int hit = 0;

	buf = check_read(path, &len);
	for (i = 0; i + n <= len && !hit; i++)
		hit = memcmp(buf + i, p, n) == 0;
	free(buf);
	return hit;
}

/*
 * The units of entry i as leaf.c computes them (master key 00..1f),
 * with the daemon's clock-skew flag when skewed, as bundle units; ctx
 * keeps them.
 */
static size_t
check_units_flag(struct leaf_ctx *ctx, uint64_t i, int skewed,
    struct bundle_unit *u, uint8_t *leaf)
{
	Algaudit__V1__Entry e;
	Algaudit__V1__DecisionRecord r;
	Algaudit__V1__Algorithm a;
	Algaudit__V1__Input in[3], *ins[3];
	Algaudit__V1__Label lb, *lbs[1];
	struct leaf_key *key;
	const struct leaf_unit *lu;
	uint8_t master[LEAF_SECRET_LEN];
	char s[16][64];
	size_t n, j;

	for (j = 0; j < LEAF_SECRET_LEN; j++)
		master[j] = (uint8_t)j;
	ck_assert_int_eq(leaf_key_new(&key, master), 0);
	check_fill(&e, &r, &a, in, ins, &lb, lbs, s, i);
	e.has_clock_skewed = skewed;
	e.clock_skewed = skewed;
	ck_assert_int_eq(leaf_compute(ctx, key, &e, leaf), 0);
	leaf_key_free(key);
	n = leaf_ctx_units(ctx);
	for (j = 0; j < n; j++) {
		lu = leaf_ctx_unit(ctx, j);
		memset(&u[j], 0, sizeof(u[j]));
		u[j].bu_path = lu->lu_path;
		u[j].bu_pathlen = lu->lu_pathlen;
		u[j].bu_value = lu->lu_value;
		u[j].bu_valuelen = lu->lu_valuelen;
		u[j].bu_salt = lu->lu_salt;
		u[j].bu_commit = lu->lu_commit;
	}
	return n;
}

/* check_units_flag() without the flag. */
static size_t
check_units(struct leaf_ctx *ctx, uint64_t i, struct bundle_unit *u,
    uint8_t *leaf)
{
	return check_units_flag(ctx, i, 0, u, leaf);
}

/* The unit at path among n, or NULL. */
static struct bundle_unit *
check_unit(struct bundle_unit *u, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (u[i].bu_pathlen == strlen(path) &&
		    memcmp(u[i].bu_path, path, u[i].bu_pathlen) == 0)
			return &u[i];
	return NULL;
}

START_TEST(test_paths_classes)
{
	static const char *const good[] = {
		"entry.receive_time_ns", "entry.peer", "inputs[0]",
		"inputs[12]", "explanation.attributions[3]",
		"explanation.reason_codes[0]", "labels[4294967295]",
		"lost_records", "data_class", "subject", "algorithm",
		"entry.clock_skewed"
	};
	static const char *const bad[] = {
		"", "inputs", "inputs[]", "inputs[01]", "inputs[x]",
		"inputs[0", "inputs0]", "decisionx", "entry.index",
		"explanation", "labels[12345678901]", "Subject",
		"entry.clock_skew", "entry.clock_skewed[0]"
	};
	size_t i;
	int kind;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(bundle_path_kind(good[i], strlen(good[i]),
		    &kind) == 0, "%s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bundle_path_kind(bad[i], strlen(bad[i]),
		    &kind) == -1, "'%s' taken", bad[i]);
	ck_assert_int_eq(bundle_path_kind("inputs[7]", 9, &kind), 0);
	ck_assert_int_eq(kind, BUNDLE_K_INPUT);
	ck_assert_int_eq(bundle_path_kind("data_class", 10, &kind), 0);
	ck_assert_int_eq(kind, BUNDLE_K_CLASS);
	ck_assert_int_eq(bundle_path_kind("subject", 7, &kind), 0);
	ck_assert_int_eq(kind, BUNDLE_K_SUBJECT);
	ck_assert_int_eq(bundle_path_kind("entry.peer", 10, &kind), 0);
	ck_assert_int_eq(kind, BUNDLE_K_RECORD);
	/* The daemon's clock-skew flag has the record's class. */
	ck_assert_int_eq(bundle_path_kind("entry.clock_skewed", 18, &kind),
	    0);
	ck_assert_int_eq(kind, BUNDLE_K_RECORD);
	ck_assert_int_eq(bundle_class_of(0, 1), BUNDLE_CLASS_UNCLASSIFIED);
	ck_assert_int_eq(bundle_class_of(1, 0), BUNDLE_CLASS_UNCLASSIFIED);
	ck_assert_int_eq(bundle_class_of(1, 1), BUNDLE_CLASS_ORDINARY);
	ck_assert_int_eq(bundle_class_of(1, 2), BUNDLE_CLASS_IMPORTANT);
	ck_assert_int_eq(bundle_class_of(1, 3), BUNDLE_CLASS_CORE);
	ck_assert_int_eq(bundle_class_of(1, 4), BUNDLE_CLASS_UNCLASSIFIED);
	ck_assert_int_eq(bundle_class_of(1, -1), BUNDLE_CLASS_UNCLASSIFIED);
	for (i = BUNDLE_W_CORE; i < BUNDLE_REASON_MAX; i++)
		ck_assert_int_eq(bundle_reason_parse(bundle_reason_name((int)i),
		    strlen(bundle_reason_name((int)i))), (int)i);
	ck_assert_int_eq(bundle_reason_parse("disclosed", 9), -1);
	ck_assert_int_eq(bundle_reason_parse("cor", 3), -1);
	ck_assert_str_eq(bundle_class_name(BUNDLE_CLASS_MAX), "?");
	ck_assert_str_eq(bundle_reason_name(-1), "?");
}
END_TEST

START_TEST(test_patterns)
{
	static const struct {
		const char	*pat;
		const char	*path;
		int		 match;
	} cases[] = {
		{ "*", "decision", 1 }, { "*", "", 1 },
		{ "decision", "decision", 1 }, { "decision", "decision_id", 0 },
		{ "decision*", "decision_id", 1 },
		{ "inputs[*]", "inputs[0]", 1 },
		{ "inputs[*]", "inputs[12]", 1 }, { "inputs[*]", "inputs", 0 },
		{ "inputs[1]", "inputs[12]", 0 },
		{ "inputs[1*]", "inputs[12]", 1 },
		{ "explanation.*", "explanation.text", 1 },
		{ "explanation.*", "explanation", 0 },
		{ "*_id", "trace_id", 1 }, { "*_id", "entry.producer_id", 1 },
		{ "*.*", "entry.peer", 1 }, { "*.*", "decision", 0 },
		{ "a*b*c", "abxbc", 1 }, { "a*b*c", "abxbd", 0 },
		{ "**", "x", 1 }, { "entry.*", "entry.receive_time_ns", 1 }
	};
	struct bundle_policy p;
	char err[BUNDLE_ERRLEN], big[200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(bundle_pattern_match(cases[i].pat, cases[i].path,
		    strlen(cases[i].path)) == cases[i].match, "%s ~ %s",
		    cases[i].pat, cases[i].path);
	bundle_policy_init(&p);
	ck_assert(bundle_policy_match(&p, "anything", 8));
	ck_assert_int_eq(bundle_policy_disclose(&p, "decision,score", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(bundle_policy_disclose(&p, "inputs[*],decision",
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(p.bp_npatterns, 3);	/* decision once */
	ck_assert(bundle_policy_match(&p, "inputs[3]", 9));
	ck_assert(bundle_policy_match(&p, "score", 5));
	ck_assert(!bundle_policy_match(&p, "subject", 7));
	ck_assert_int_eq(bundle_policy_disclose(&p, "inputs[17]", err,
	    sizeof(err)), 0);
	/* Every bad list is refused, naming the pattern. */
	ck_assert_int_eq(bundle_policy_disclose(&p, "", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "empty pattern"));
	ck_assert_int_eq(bundle_policy_disclose(&p, "decision,,score", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty pattern"));
	ck_assert_int_eq(bundle_policy_disclose(&p, "decison", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'decison' matches no unit path"));
	ck_assert_int_eq(bundle_policy_disclose(&p, "inputs[x]", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(bundle_policy_disclose(&p, "deci sion", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not printable"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(bundle_policy_disclose(&p, big, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	bundle_policy_init(&p);
	for (i = 0; i < BUNDLE_PATTERNS_MAX; i++) {
		snprintf(big, sizeof(big), "inputs[%zu]", i);
		ck_assert_int_eq(bundle_policy_disclose(&p, big, err,
		    sizeof(err)), 0);
	}
	ck_assert_int_eq(bundle_policy_disclose(&p, "decision", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
}
END_TEST

START_TEST(test_decide)
{
	struct bundle_policy p;
	char err[BUNDLE_ERRLEN];

	bundle_policy_init(&p);
	/* The class decides first, whatever the patterns say. */
	ck_assert_int_eq(bundle_decide(&p, "decision", 8, BUNDLE_K_RECORD,
	    BUNDLE_CLASS_CORE), BUNDLE_W_CORE);
	ck_assert_int_eq(bundle_decide(&p, "data_class", 10, BUNDLE_K_CLASS,
	    BUNDLE_CLASS_CORE), BUNDLE_W_CORE);
	ck_assert_int_eq(bundle_decide(&p, "decision", 8, BUNDLE_K_RECORD,
	    BUNDLE_CLASS_UNCLASSIFIED), BUNDLE_W_UNCLASSIFIED);
	ck_assert_int_eq(bundle_decide(&p, "decision", 8, BUNDLE_K_RECORD,
	    BUNDLE_CLASS_IMPORTANT), BUNDLE_W_IMPORTANT);
	ck_assert_int_eq(bundle_decide(&p, "decision", 8, BUNDLE_K_RECORD,
	    BUNDLE_CLASS_ORDINARY), BUNDLE_DISCLOSED);
	ck_assert_int_eq(bundle_decide(&p, "subject", 7, BUNDLE_K_SUBJECT,
	    BUNDLE_CLASS_ORDINARY), BUNDLE_W_PSEUDONYMISED);
	p.bp_allow_important = 1;
	p.bp_reveal_subjects = 1;
	ck_assert_int_eq(bundle_decide(&p, "decision", 8, BUNDLE_K_RECORD,
	    BUNDLE_CLASS_IMPORTANT), BUNDLE_DISCLOSED);
	ck_assert_int_eq(bundle_decide(&p, "subject", 7, BUNDLE_K_SUBJECT,
	    BUNDLE_CLASS_ORDINARY), BUNDLE_DISCLOSED);
	ck_assert_int_eq(bundle_decide(&p, "decision", 8, BUNDLE_K_RECORD,
	    BUNDLE_CLASS_CORE), BUNDLE_W_CORE);
	ck_assert_int_eq(bundle_policy_disclose(&p, "score", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(bundle_decide(&p, "decision", 8, BUNDLE_K_RECORD,
	    BUNDLE_CLASS_ORDINARY), BUNDLE_W_EXCLUDED);
	/* data_class is never excluded: the verifier needs the class. */
	ck_assert_int_eq(bundle_decide(&p, "data_class", 10, BUNDLE_K_CLASS,
	    BUNDLE_CLASS_ORDINARY), BUNDLE_DISCLOSED);
	ck_assert_int_eq(bundle_decide(&p, "subject", 7, BUNDLE_K_SUBJECT,
	    BUNDLE_CLASS_ORDINARY), BUNDLE_W_EXCLUDED);
}
END_TEST

START_TEST(test_policy_json)
{
	struct bundle_policy p, q;
	char err[BUNDLE_ERRLEN];
	json_t *o;

	bundle_policy_init(&p);
	ck_assert_ptr_nonnull(o = bundle_policy_json(&p));
	ck_assert_int_eq(bundle_policy_from_json(o, &q, err, sizeof(err)), 0);
	ck_assert_uint_eq(q.bp_npatterns, 0);
	ck_assert(!q.bp_allow_important && !q.bp_reveal_subjects);
	json_decref(o);
	ck_assert_int_eq(bundle_policy_disclose(&p, "decision,inputs[*]",
	    err, sizeof(err)), 0);
	p.bp_allow_important = 1;
	p.bp_reveal_subjects = 1;
	ck_assert_ptr_nonnull(o = bundle_policy_json(&p));
	ck_assert_int_eq(bundle_policy_from_json(o, &q, err, sizeof(err)), 0);
	ck_assert_uint_eq(q.bp_npatterns, 2);
	ck_assert_str_eq(q.bp_patterns[1], "inputs[*]");
	ck_assert(q.bp_allow_important && q.bp_reveal_subjects);
	/* Each bad field is named. */
	json_object_set_new(o, "subjects", json_string("hidden"));
	ck_assert_int_eq(bundle_policy_from_json(o, &q, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(err, "\"subjects\""));
	json_object_set_new(o, "subjects", json_string("revealed"));
	json_object_set_new(o, "allow_important", json_integer(1));
	ck_assert_int_eq(bundle_policy_from_json(o, &q, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(err, "\"allow_important\""));
	json_object_set_new(o, "allow_important", json_false());
	json_object_set_new(o, "disclose", json_pack("[s]", "nonsense"));
	ck_assert_int_eq(bundle_policy_from_json(o, &q, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(err, "matches no unit path"));
	json_object_set_new(o, "disclose", json_array());
	ck_assert_int_eq(bundle_policy_from_json(o, &q, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
	json_object_set_new(o, "disclose", json_pack("[i]", 3));
	ck_assert_int_eq(bundle_policy_from_json(o, &q, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
	json_decref(o);
	ck_assert_int_eq(bundle_policy_from_json(NULL, &q, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
}
END_TEST

START_TEST(test_values)
{
	static const struct {
		const char	*path;
		const char	*hex;
		const char	*why;	/* NULL: canonical */
	} cases[] = {
		{ "decision", "0100000003616263", NULL },
		{ "decision", "0200000003616263", "wrong type tag" },
		{ "decision", "0100000004616263", "length beyond" },
		{ "decision", "010000000361626364", "bytes after" },
		{ "decision", "0100000002c328", "not UTF-8" },
		{ "decision", "01000000", "length cut short" },
		{ "decision", "", "value missing" },
		{ "score", "053fe999999999999a", NULL },
		{ "score", "053fe9999999", "value cut short" },
		{ "automation", "0700000001", NULL },
		{ "producer_seq", "03ffffffffffffffff", NULL },
		{ "entry.receive_time_ns", "04ffffffffffffffff", NULL },
		{ "input_digest", "0200000001ff", NULL },
		{ "inputs[0]", "080000000a01010000000161040602", "a BOOL" },
		{ "inputs[0]", "080000000e0101000000016104060105070000",
		    "value cut short" },
		{ "inputs[0]", "0800000009040601", "length beyond" },
		{ "inputs[0]", "0800000009040601010100000000", "increasing" },
		{ "inputs[0]", "08000000020901", "unknown message field" },
		{ "inputs[0]", "08000000110201000000016103050000000000000000",
		    "more than one" },
		{ "inputs[0]", "080000000d01010000000161050700000003", NULL },
		{ "labels[0]", "0800000010010100000001610201000000026263",
		    "length beyond" },
		{ "labels[0]", "080000000f010100000001610201000000026263",
		    NULL },
		{ "entry.peer", "080000000a010300000000000003e8", NULL },
		{ "entry.clock_skewed", "0601", NULL },
		{ "entry.clock_skewed", "0600", NULL },
		{ "entry.clock_skewed", "0602", "a BOOL" },
		{ "entry.clock_skewed", "0401", "wrong type tag" },
		{ "entry.clock_skewed", "06", "value cut short" },
		{ "entry.clock_skewed", "060100", "bytes after" },
		{ "nonsense", "0100000000", "not a unit path" }
	};
	uint8_t v[64];
	char err[BUNDLE_ERRLEN];
	const char *alg;
	size_t i, n, alglen;
	int rc, cls;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(receipt_unhex(cases[i].hex, v, sizeof(v), &n),
		    0);
		err[0] = '\0';
		rc = bundle_value_check(cases[i].path, strlen(cases[i].path), v,
		    n, NULL, NULL, NULL, err, sizeof(err));
		if (cases[i].why == NULL)
			ck_assert_msg(rc == 0, "%s %s: %s", cases[i].path,
			    cases[i].hex, err);
		else
			ck_assert_msg(rc == BUNDLE_EMALFORMED &&
			    strstr(err, cases[i].why) != NULL &&
			    strstr(err, cases[i].path) != NULL,
			    "%s %s: rc %d, '%s'", cases[i].path, cases[i].hex,
			    rc, err);
	}
	/* An input's class; an input without one is unclassified. */
	ck_assert_int_eq(receipt_unhex("080000000d0101000000016105070000000"
	    "3", v, sizeof(v), &n), 0);
	cls = -1;
	ck_assert_int_eq(bundle_value_check("inputs[0]", 9, v, n, &cls, NULL,
	    NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(cls, BUNDLE_CLASS_CORE);
	ck_assert_int_eq(receipt_unhex("080000000701010000000161", v,
	    sizeof(v), &n), 0);
	ck_assert_int_eq(bundle_value_check("inputs[0]", 9, v, n, &cls, NULL,
	    NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(cls, BUNDLE_CLASS_UNCLASSIFIED);
	ck_assert_int_eq(receipt_unhex("0700000002", v, sizeof(v), &n), 0);
	ck_assert_int_eq(bundle_value_check("data_class", 10, v, n, &cls,
	    NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(cls, BUNDLE_CLASS_IMPORTANT);
	/* The algorithm's id, and none when it has no field 1. */
	ck_assert_int_eq(receipt_unhex("080000000a01010000000463726564", v,
	    sizeof(v), &n), 0);
	ck_assert_int_eq(bundle_value_check("algorithm", 9, v, n, NULL, &alg,
	    &alglen, err, sizeof(err)), 0);
	ck_assert_uint_eq(alglen, 4);
	ck_assert_int_eq(memcmp(alg, "cred", 4), 0);
	ck_assert_int_eq(receipt_unhex("0800000006030700000005", v,
	    sizeof(v), &n), 0);
	ck_assert_int_eq(bundle_value_check("algorithm", 9, v, n, NULL, &alg,
	    &alglen, err, sizeof(err)), 0);
	ck_assert_ptr_null(alg);
}
END_TEST

START_TEST(test_record_roundtrip)
{
	struct bundle_unit u[64], *x;
	struct bundle_record r;
	struct bundle_policy p;
	struct bundle_info info;
	struct bundle_buf b;
	struct leaf_ctx *ctx;
	uint8_t leaf[LEAF_HASH_LEN], again[LEAF_HASH_LEN], ps[32];
	char err[BUNDLE_ERRLEN], *line;
	size_t n, i;
	uint64_t idx;

	memset(&r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	memset(ps, 0xab, sizeof(ps));
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	bundle_policy_init(&p);
	for (idx = 0; idx < 8; idx++) {
		n = check_units(ctx, idx, u, leaf);
		ck_assert_int_eq(bundle_assign(&p, u, n, &info, err,
		    sizeof(err)), 0);
		ck_assert_int_eq(bundle_record_format(&b, idx, leaf, u, n,
		    info.bi_pseudonym ? ps : NULL), 0);
		ck_assert_int_eq(b.bb_data[b.bb_len - 1], '\n');
		ck_assert_ptr_nonnull(line = malloc(b.bb_len));
		memcpy(line, b.bb_data, b.bb_len - 1);
		line[b.bb_len - 1] = '\0';
		ck_assert_msg(bundle_record_parse(&r, line, b.bb_len - 1, err,
		    sizeof(err)) == 0, "%s", err);
		ck_assert(r.br_index == idx);
		ck_assert_uint_eq(r.br_n, n);
		ck_assert_int_eq(memcmp(r.br_leaf, leaf, sizeof(leaf)), 0);
		ck_assert_int_eq(r.br_has_pseudonym, info.bi_pseudonym);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(r.br_units[i].bu_reason,
			    u[i].bu_reason);
			ck_assert_uint_eq(r.br_units[i].bu_pathlen,
			    u[i].bu_pathlen);
		}
		/* The verifier gets the same leaf hash and no complaint. */
		ck_assert_int_eq(leaf_hash_claims(idx, r.br_claims, r.br_n,
		    again, err, sizeof(err)), 0);
		ck_assert_int_eq(memcmp(again, leaf, sizeof(leaf)), 0);
		ck_assert_msg(bundle_check(&p, r.br_units, r.br_n,
		    r.br_has_pseudonym, &info, err, sizeof(err)) == 0, "%s",
		    err);
		free(line);
	}
	/* Entry 0: ordinary; its core and important inputs withheld. */
	n = check_units(ctx, 0, u, leaf);
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(info.bi_class, BUNDLE_CLASS_ORDINARY);
	ck_assert_int_eq(check_unit(u, n, "inputs[0]")->bu_reason,
	    BUNDLE_DISCLOSED);
	ck_assert_int_eq(check_unit(u, n, "inputs[1]")->bu_reason,
	    BUNDLE_W_CORE);
	ck_assert_int_eq(check_unit(u, n, "inputs[2]")->bu_reason,
	    BUNDLE_W_IMPORTANT);
	ck_assert_int_eq(check_unit(u, n, "subject")->bu_reason,
	    BUNDLE_W_PSEUDONYMISED);
	ck_assert(info.bi_pseudonym);
	ck_assert_int_eq(info.bi_alg, 2);
	ck_assert_uint_eq(info.bi_alg_idlen, 4);
	ck_assert_int_eq(memcmp(info.bi_alg_id, "alg0", 4), 0);
	/* Entry 2: core; everything withheld, data_class too. */
	n = check_units(ctx, 2, u, leaf);
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(info.bi_class, BUNDLE_CLASS_CORE);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(u[i].bu_reason, BUNDLE_W_CORE);
	ck_assert_int_eq(info.bi_alg, 1);
	ck_assert(!info.bi_pseudonym);
	ck_assert(info.bi_withheld & BUNDLE_F_DECISION);
	ck_assert(info.bi_withheld & BUNDLE_F_SUBJECT);
	/* Entry 3: no data class at all. */
	n = check_units(ctx, 3, u, leaf);
	ck_assert_ptr_null(check_unit(u, n, "data_class"));
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(info.bi_class, BUNDLE_CLASS_UNCLASSIFIED);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(u[i].bu_reason, BUNDLE_W_UNCLASSIFIED);
	/* --allow-important, --reveal-subjects, --disclose decision. */
	p.bp_allow_important = 1;
	p.bp_reveal_subjects = 1;
	ck_assert_int_eq(bundle_policy_disclose(&p, "decision", err,
	    sizeof(err)), 0);
	n = check_units(ctx, 1, u, leaf);
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(check_unit(u, n, "decision")->bu_reason,
	    BUNDLE_DISCLOSED);
	ck_assert_int_eq(check_unit(u, n, "data_class")->bu_reason,
	    BUNDLE_DISCLOSED);
	ck_assert_int_eq(check_unit(u, n, "subject")->bu_reason,
	    BUNDLE_W_EXCLUDED);
	x = check_unit(u, n, "algorithm");
	ck_assert_int_eq(x->bu_reason, BUNDLE_W_EXCLUDED);
	ck_assert_int_eq(info.bi_alg, 1);
	bundle_record_free(&r);
	bundle_buf_free(&b);
	leaf_ctx_free(ctx);
}
END_TEST

/*
 * A flagged entry: entry.clock_skewed, after entry.peer, follows the
 * record's class (disclosed with an ordinary record, withheld with a
 * core one, which marks a --clock-skewed filter as withheld), and the
 * record line round-trips to the same leaf hash.
 */
START_TEST(test_record_clock_skewed)
{
	struct bundle_unit u[64], *x;
	struct bundle_record r;
	struct bundle_policy p;
	struct bundle_info info;
	struct bundle_buf b;
	struct leaf_ctx *ctx;
	uint8_t leaf[LEAF_HASH_LEN], again[LEAF_HASH_LEN], ps[32];
	char err[BUNDLE_ERRLEN], *line;
	size_t n, plain;
	uint64_t idx;

	memset(&r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	memset(ps, 0xab, sizeof(ps));
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	bundle_policy_init(&p);
	for (idx = 0; idx < 4; idx++) {
		plain = check_units(ctx, idx, u, leaf);
		n = check_units_flag(ctx, idx, 1, u, leaf);
		ck_assert_uint_eq(n, plain + 1);
		ck_assert_ptr_nonnull(x = check_unit(u, n,
		    "entry.clock_skewed"));
		ck_assert_int_eq(x - u, 2);	/* no peer in these */
		ck_assert_int_eq(bundle_assign(&p, u, n, &info, err,
		    sizeof(err)), 0);
		ck_assert_int_eq(x->bu_reason, idx == 0 ? BUNDLE_DISCLOSED :
		    idx == 2 ? BUNDLE_W_CORE : idx == 3 ?
		    BUNDLE_W_UNCLASSIFIED : x->bu_reason);
		ck_assert_int_eq((info.bi_withheld & BUNDLE_F_CLOCK_SKEWED) !=
		    0, x->bu_reason != BUNDLE_DISCLOSED);
		ck_assert_int_eq(bundle_record_format(&b, idx, leaf, u, n,
		    info.bi_pseudonym ? ps : NULL), 0);
		ck_assert_ptr_nonnull(line = malloc(b.bb_len));
		memcpy(line, b.bb_data, b.bb_len - 1);
		line[b.bb_len - 1] = '\0';
		ck_assert_msg(bundle_record_parse(&r, line, b.bb_len - 1, err,
		    sizeof(err)) == 0, "%s", err);
		ck_assert_int_eq(leaf_hash_claims(idx, r.br_claims, r.br_n,
		    again, err, sizeof(err)), 0);
		ck_assert_int_eq(memcmp(again, leaf, sizeof(leaf)), 0);
		ck_assert_msg(bundle_check(&p, r.br_units, r.br_n,
		    r.br_has_pseudonym, &info, err, sizeof(err)) == 0, "%s",
		    err);
		free(line);
	}
	bundle_record_free(&r);
	bundle_buf_free(&b);
	leaf_ctx_free(ctx);
}
END_TEST

START_TEST(test_record_parse_bad)
{
	static const struct {
		const char	*line;
		const char	*why;
	} cases[] = {
		{ "", "expected '{'" },
		{ "[]", "expected '{'" },
		{ "{}", "empty object" },
		{ "{\"index\":1,\"leaf_hash\":\"00\"}",
		    "\"leaf_hash\": not the hex of 32 bytes" },
		{ "{\"index\":01,\"leaf_hash\":\"H\",\"units\":[]}",
		    "leading zeros" },
		{ "{\"index\":-1}", "not a non-negative integer" },
		{ "{\"index\":1.5}", "fraction" },
		{ "{\"index\":1e3}", "exponent" },
		{ "{\"index\":9223372036854775808}", "above 2^63 - 1" },
		{ "{\"index\":\"1\"}", "not a non-negative integer" },
		{ "{\"index\":1,\"index\":2}", "given twice" },
		{ "{\"idx\":1}", "unknown key \"idx\"" },
		{ "{\"index\":1 \"units\":[]}", "expected '}'" },
		{ "{\"index\":1,\"units\":[]", "expected '}'" },
		{ "{\"index\":1,\"units\":[]}", "missing \"leaf_hash\"" },
		{ "{\"leaf_hash\":\"H\",\"units\":[]}", "missing \"index\"" },
		{ "{\"index\":1,\"leaf_hash\":\"H\"}", "missing \"units\"" },
		{ "{\"index\":1,\"leaf_hash\":\"H\",\"units\":[]} x",
		    "text after" },
		{ "{\"index\":1,\"leaf_hash\":\"H\",\"units\":{}}",
		    "expected '['" },
		{ "{\"index\":1,\"units\":[{}]}", "unit 0: empty object" },
		{ "{\"index\":1,\"units\":[{\"path\":\"decision\"}]}",
		    "unit 0 (decision): give" },
		{ "{\"index\":1,\"units\":[{\"path\":\"decision\","
		    "\"value\":\"01\",\"withheld\":\"core\"}]}",
		    "give \"path\" with" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\",\"path\":\"b\"}]}",
		    "unit 0: key \"path\" given twice" },
		{ "{\"index\":1,\"units\":[{\"paths\":\"a\"}]}",
		    "unit 0: unknown key \"paths\"" },
		{ "{\"index\":1,\"units\":[{\"path\":\"\"}]}", "path empty" },
		{ "{\"index\":1,\"units\":[{\"value\":\"0g\"}]}",
		    "value: not hex" },
		{ "{\"index\":1,\"units\":[{\"value\":\"012\"}]}",
		    "value: not hex" },
		{ "{\"index\":1,\"units\":[{\"salt\":\"00\"}]}",
		    "unit 0: salt: not the hex of 16 bytes" },
		{ "{\"index\":1,\"units\":[{\"commitment\":\"00\"}]}",
		    "commitment: not the hex of 32 bytes" },
		{ "{\"index\":1,\"units\":[{\"withheld\":\"secret\"}]}",
		    "unknown reason 'secret'" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\\nb\"}]}",
		    "escape '\\n'" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\\u00e9\"}]}",
		    "not printable ASCII" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\xc3\xa9\"}]}",
		    "not printable ASCII" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\tb\"}]}",
		    "not printable ASCII" },
		{ "{\"index\":1,\"units\":[{\"path\":\"abc", "unterminated" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\\u00", "short \\u" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\\uzzzz\"}]}",
		    "bad \\u" },
		{ "{\"index\":1,\"subject_pseudonym\":\"00\"}",
		    "\"subject_pseudonym\": not the hex of 32 bytes" },
		{ "{\"index\":1,\"units\":[{\"path\":\"a\",}]}",
		    "expected a string" }
	};
	struct bundle_record r;
	char err[BUNDLE_ERRLEN], line[512], *h;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* "H" stands for a valid leaf hash. */
		snprintf(line, sizeof(line), "%s", cases[i].line);
		if ((h = strstr(line, "\"H\"")) != NULL) {
			memmove(h + 66, h + 3, strlen(h + 3) + 1);
			h[0] = '"';
			memset(h + 1, 'a', 64);
			h[65] = '"';
		}
		err[0] = '\0';
		rc = bundle_record_parse(&r, line, strlen(line), err,
		    sizeof(err));
		ck_assert_msg(rc == BUNDLE_EMALFORMED &&
		    strstr(err, cases[i].why) != NULL, "'%s': rc %d, '%s'",
		    cases[i].line, rc, err);
	}
	/* Escapes that unescape to what is expected are accepted. */
	snprintf(line, sizeof(line), "{ \"index\" : 7 , \"leaf_hash\" : "
	    "\"\\u0061%s\", \"units\" : [ { \"withheld\" : \"core\", "
	    "\"commitment\" : \"%s\", \"path\" : \"deci\\/sion\" } ] }",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	ck_assert_msg(bundle_record_parse(&r, line, strlen(line), err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert(r.br_index == 7);
	ck_assert_uint_eq(r.br_leaf[0], 0xaa);
	ck_assert_uint_eq(r.br_n, 1);
	ck_assert_int_eq(r.br_units[0].bu_reason, BUNDLE_W_CORE);
	ck_assert_uint_eq(r.br_units[0].bu_pathlen, 9);
	ck_assert_int_eq(memcmp(r.br_units[0].bu_path, "deci/sion", 9), 0);
	ck_assert_uint_eq(r.br_units[0].bu_commit[31], 0xbb);
	bundle_record_free(&r);
}
END_TEST

/* Replaces unit path's reason and, for a disclosure, its value. */
static void
check_set_unit(struct bundle_unit *u, size_t n, const char *path,
    int reason)
{
	struct bundle_unit *x;

	ck_assert_ptr_nonnull(x = check_unit(u, n, path));
	x->bu_reason = reason;
}

START_TEST(test_check_policy)
{
	struct bundle_unit u[64];
	struct bundle_policy p;
	struct bundle_info info;
	struct leaf_ctx *ctx;
	uint8_t leaf[LEAF_HASH_LEN];
	char err[BUNDLE_ERRLEN];
	size_t n;

	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	bundle_policy_init(&p);
#define CHECK_REFUSED(has, what) do {					\
	err[0] = '\0';							\
	ck_assert_int_eq(bundle_check(&p, u, n, has, &info, err,	\
	    sizeof(err)), EPERM);					\
	ck_assert_msg(strstr(err, what) != NULL, "%s", err);		\
} while (0)
	/* A core input disclosed. */
	n = check_units(ctx, 0, u, leaf);
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(bundle_check(&p, u, n, 1, &info, err, sizeof(err)),
	    0);
	check_set_unit(u, n, "inputs[1]", BUNDLE_DISCLOSED);
	CHECK_REFUSED(1, "inputs[1], class core) is core data");
	/* An important input disclosed without --allow-important. */
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	check_set_unit(u, n, "inputs[2]", BUNDLE_DISCLOSED);
	CHECK_REFUSED(1, "does not allow important data");
	/* The subject disclosed although pseudonymised. */
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	check_set_unit(u, n, "subject", BUNDLE_DISCLOSED);
	CHECK_REFUSED(0, "pseudonymises subjects");
	/* A pseudonym missing, or one too many. */
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	CHECK_REFUSED(0, "has no subject_pseudonym");
	check_set_unit(u, n, "subject", BUNDLE_W_EXCLUDED);
	CHECK_REFUSED(1, "withheld as 'excluded', but the manifest's policy "
	    "on a record of class ordinary gives 'pseudonymised'");
	/* A withheld ordinary unit that the policy discloses. */
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	check_set_unit(u, n, "decision", BUNDLE_W_CORE);
	CHECK_REFUSED(1, "(decision) is withheld as 'core', but the "
	    "manifest's policy on a record of class ordinary discloses it");
	/* An input withheld for a reason the policy cannot give. */
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	check_set_unit(u, n, "inputs[0]", BUNDLE_W_EXCLUDED);
	CHECK_REFUSED(1, "matches its --disclose patterns");
	check_set_unit(u, n, "inputs[0]", BUNDLE_W_PSEUDONYMISED);
	CHECK_REFUSED(1, "is not a subject");
	/* Outside the --disclose patterns. */
	ck_assert_int_eq(bundle_policy_disclose(&p, "decision,subject", err,
	    sizeof(err)), 0);
	n = check_units(ctx, 0, u, leaf);
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(bundle_check(&p, u, n, 1, &info, err, sizeof(err)),
	    0);
	check_set_unit(u, n, "score", BUNDLE_DISCLOSED);
	CHECK_REFUSED(1, "matches none of the manifest's --disclose");
	/* A core record's data_class disclosed; others of it too. */
	bundle_policy_init(&p);
	n = check_units(ctx, 2, u, leaf);
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(bundle_check(&p, u, n, 0, &info, err, sizeof(err)),
	    0);
	check_set_unit(u, n, "data_class", BUNDLE_DISCLOSED);
	CHECK_REFUSED(0, "(data_class, class core) is core data");
	check_set_unit(u, n, "data_class", BUNDLE_W_CORE);
	check_set_unit(u, n, "decision", BUNDLE_DISCLOSED);
	CHECK_REFUSED(0, "(decision, class core) is core data");
	/* data_class withheld for another reason than its class. */
	check_set_unit(u, n, "decision", BUNDLE_W_CORE);
	check_set_unit(u, n, "data_class", BUNDLE_W_EXCLUDED);
	err[0] = '\0';
	ck_assert_int_eq(bundle_check(&p, u, n, 0, &info, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(err, "only its class"));
	/* An unclassified record disclosing anything. */
	n = check_units(ctx, 3, u, leaf);
	ck_assert_int_eq(bundle_assign(&p, u, n, &info, err, sizeof(err)), 0);
	check_set_unit(u, n, "decision", BUNDLE_DISCLOSED);
	CHECK_REFUSED(0, "has no valid data class");
	/* A path that is no unit of format v1. */
	u[0].bu_path = "entry.nonsense";
	u[0].bu_pathlen = strlen(u[0].bu_path);
	ck_assert_int_eq(bundle_check(&p, u, n, 0, &info, err, sizeof(err)),
	    BUNDLE_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(err, "not a unit path"));
#undef CHECK_REFUSED
	leaf_ctx_free(ctx);
}
END_TEST

/* The walk's state in tests: selected leaves and the recorded pieces. */
struct check_mp {
	const struct merkle_io	*cm_io;
	const uint64_t		*cm_sel;
	size_t			 cm_nsel;
	size_t			 cm_next;
	uint8_t			(*cm_pieces)[MERKLE_HASH_LEN];
	size_t			 cm_npieces;
	size_t			 cm_used;
	int			 cm_replay;	/* pieces from cm_pieces */
};

/* Walk callback: the next selected index. */
static uint64_t
check_mp_peek(void *arg)
{
	struct check_mp *m = arg;

	return m->cm_next < m->cm_nsel ? m->cm_sel[m->cm_next] : UINT64_MAX;
}

/* Walk callback: a selected leaf's hash from the tiles. */
static int
check_mp_leaf(void *arg, uint64_t index, uint8_t *hash)
{
	struct check_mp *m = arg;

	ck_assert(index == m->cm_sel[m->cm_next]);
	m->cm_next++;
	return merkle_leaf(m->cm_io, index, hash);
}

/* Walk callback: a piece, computed (and recorded) or replayed. */
static int
check_mp_piece(void *arg, uint64_t lo, uint64_t hi, uint8_t *hash)
{
	struct check_mp *m = arg;

	if (m->cm_replay) {
		if (m->cm_used == m->cm_npieces)
			return -1;
		memcpy(hash, m->cm_pieces[m->cm_used++], MERKLE_HASH_LEN);
		return 0;
	}
	ck_assert_int_eq(merkle_range_hash(m->cm_io, lo, hi, hash), 0);
	memcpy(m->cm_pieces[m->cm_npieces++], hash, MERKLE_HASH_LEN);
	return 0;
}

START_TEST(test_multiproof)
{
	struct merkle_mem *mem;
	struct merkle_io io;
	struct bundle_mp_ops ops;
	struct check_mp m;
	uint8_t leaves[300][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	uint8_t want[MERKLE_HASH_LEN], idx[8];
	uint8_t (*pieces)[MERKLE_HASH_LEN];
	uint64_t sel[300], size, i;
	size_t n, trial;
	unsigned seed = 12345;

	ck_assert_ptr_nonnull(pieces = calloc(600, MERKLE_HASH_LEN));
	for (i = 0; i < 300; i++) {
		memset(idx, 0, sizeof(idx));
		memcpy(idx, &i, sizeof(i));
		merkle_hash_leaf(idx, sizeof(idx), leaves[i]);
	}
	ck_assert_int_eq(merkle_mem_new(&mem), 0);
	merkle_mem_io(mem, &io);
	ck_assert_int_eq(merkle_append(&io, 0, leaves[0], 300), 0);
	ops.mo_peek = check_mp_peek;
	ops.mo_leaf = check_mp_leaf;
	ops.mo_piece = check_mp_piece;
	ops.mo_arg = &m;
	for (size = 1; size <= 300; size += (size < 70 ? 1 : 37)) {
		ck_assert_int_eq(merkle_root(&io, size, want), 0);
		for (trial = 0; trial < 8; trial++) {
			/* none, all, first, last, then random subsets */
			n = 0;
			for (i = 0; i < size; i++) {
				seed = seed * 1103515245 + 12345;
				if ((trial == 1) || (trial == 2 && i == 0) ||
				    (trial == 3 && i == size - 1) ||
				    (trial >= 4 && (seed >> 16) % (trial) == 0))
					sel[n++] = i;
			}
			memset(&m, 0, sizeof(m));
			m.cm_io = &io;
			m.cm_sel = sel;
			m.cm_nsel = n;
			m.cm_pieces = pieces;
			ck_assert_int_eq(bundle_mp_walk(size, &ops, root), 0);
			ck_assert_msg(memcmp(root, want, sizeof(root)) == 0,
			    "size %llu trial %zu", (unsigned long long)size,
			    trial);
			ck_assert_uint_eq(m.cm_next, n);
			/* At most one piece per level between leaves. */
			ck_assert_uint_le(m.cm_npieces, (n + 1) * 9);
			if (n == 0)
				ck_assert_uint_eq(m.cm_npieces, 1);
			if (n == size)
				ck_assert_uint_eq(m.cm_npieces, 0);
			/* Replayed, the pieces give the root again... */
			m.cm_next = 0;
			m.cm_replay = 1;
			ck_assert_int_eq(bundle_mp_walk(size, &ops, root), 0);
			ck_assert_int_eq(memcmp(root, want, sizeof(root)), 0);
			ck_assert_uint_eq(m.cm_used, m.cm_npieces);
			/* ...and not with one of them changed. */
			if (m.cm_npieces > 0) {
				pieces[m.cm_npieces / 2][7] ^= 1;
				m.cm_next = m.cm_used = 0;
				ck_assert_int_eq(bundle_mp_walk(size, &ops,
				    root), 0);
				ck_assert_int_ne(memcmp(root, want,
				    sizeof(root)), 0);
			}
		}
	}
	/* Indexes that do not increase. */
	sel[0] = 5;
	sel[1] = 5;
	memset(&m, 0, sizeof(m));
	m.cm_io = &io;
	m.cm_sel = sel;
	m.cm_nsel = 2;
	m.cm_pieces = pieces;
	ck_assert_int_eq(bundle_mp_walk(16, &ops, root), BUNDLE_EORDER);
	/* The empty tree, and a walk stopped by a callback. */
	ck_assert_int_eq(bundle_mp_walk(0, &ops, root), 0);
	merkle_hash_empty(want);
	ck_assert_int_eq(memcmp(root, want, sizeof(root)), 0);
	memset(&m, 0, sizeof(m));
	m.cm_replay = 1;
	ck_assert_int_eq(bundle_mp_walk(16, &ops, root), -1);
	/* merkle_range_hash() refuses what is no node. */
	ck_assert_int_eq(merkle_range_hash(&io, 3, 3, root), MERKLE_ERANGE);
	ck_assert_int_eq(merkle_range_hash(&io, 2, 6, root), MERKLE_ERANGE);
	ck_assert_int_eq(merkle_range_hash(&io, 4, 12, root), MERKLE_ERANGE);
	ck_assert_int_eq(merkle_range_hash(&io, 8, 12, root), 0);
	ck_assert_int_eq(merkle_range_hash(&io, 256, 301, root),
	    MERKLE_ECORRUPT);
	merkle_mem_free(mem);
	free(pieces);
}
END_TEST

START_TEST(test_counts)
{
	struct bundle_counts c;
	struct bundle_unit u[3];
	struct bundle_info info;
	char err[BUNDLE_ERRLEN];
	json_t *j;

	memset(u, 0, sizeof(u));
	u[1].bu_reason = BUNDLE_W_CORE;
	u[2].bu_reason = BUNDLE_W_PSEUDONYMISED;
	ck_assert_int_eq(bundle_counts_init(&c), 0);
	memset(&info, 0, sizeof(info));
	info.bi_class = BUNDLE_CLASS_ORDINARY;
	info.bi_alg = 2;
	info.bi_alg_id = "credit-x";
	info.bi_alg_idlen = 6;
	info.bi_pseudonym = 1;
	ck_assert_int_eq(bundle_counts_add(&c, 4, u, 3, &info), 0);
	ck_assert_int_eq(bundle_counts_add(&c, 9, u, 3, &info), 0);
	info.bi_alg = 1;
	info.bi_class = BUNDLE_CLASS_CORE;
	ck_assert_int_eq(bundle_counts_add(&c, 11, u, 1, &info), 0);
	c.bc_hashes = 5;
	ck_assert_ptr_nonnull(j = bundle_counts_json(&c));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "records")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "by_class"), "core")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "by_algorithm"), "credit")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "algorithm_withheld")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "units")), 7);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "units_disclosed")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "units_withheld"), "core")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "first_index")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "last_index")), 11);
	ck_assert_int_eq(bundle_counts_compare(&c, j, err, sizeof(err)), 0);
	json_object_set_new(json_object_get(j, "by_class"), "core",
	    json_integer(2));
	ck_assert_int_eq(bundle_counts_compare(&c, j, err, sizeof(err)),
	    EPERM);
	ck_assert_str_eq(err, "counts.by_class.core: the manifest says 2, "
	    "the bundle holds 1");
	json_decref(j);
	ck_assert_ptr_nonnull(j = bundle_counts_json(&c));
	json_object_set_new(json_object_get(j, "by_algorithm"), "ghost",
	    json_integer(1));
	ck_assert_int_eq(bundle_counts_compare(&c, j, err, sizeof(err)),
	    EPERM);
	ck_assert_ptr_nonnull(strstr(err, "by_algorithm.ghost"));
	json_object_del(j, "records");
	ck_assert_int_eq(bundle_counts_compare(&c, j, err, sizeof(err)),
	    EPERM);
	ck_assert_ptr_nonnull(strstr(err, "counts.records: the manifest says "
	    "nothing"));
	json_decref(j);
	ck_assert_int_eq(bundle_counts_compare(&c, NULL, err, sizeof(err)),
	    EPERM);
	bundle_counts_free(&c);
}
END_TEST

START_TEST(test_sig)
{
	static const uint8_t other_seed[NOTE_SEED_LEN] = { 1, 2, 3 };
	struct note_signer *s, *o;
	struct note_verifier *v;
	struct note_checkpoint cp;
	uint8_t sha[32], sha2[32];
	char text[512], *note, err[BUNDLE_ERRLEN];
	size_t notelen;
	int len;

	memset(sha, 0x5a, sizeof(sha));
	memset(sha2, 0x5b, sizeof(sha2));
	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, check_seed, &s),
	    0);
	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, other_seed, &o),
	    0);
	ck_assert_int_eq(note_verifier_new(check_vkey, &v, NULL, 0), 0);
	len = bundle_sig_text(CHECK_ORIGIN, sha, text, sizeof(text));
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(len, 28 + 7 + (int)strlen(CHECK_ORIGIN) + 1 + 7 + 64 +
	    1);
	ck_assert_int_eq(strncmp(text, "algaudit-bundle-manifest/v1\norigin "
	    CHECK_ORIGIN "\nsha256 5a5a", 35 + strlen(CHECK_ORIGIN) + 12), 0);
	ck_assert_int_eq(text[len - 1], '\n');
	ck_assert_int_eq(text[len - 2], 'a');
	ck_assert_int_eq(bundle_sig_text(CHECK_ORIGIN, sha, err, 40), -1);
	ck_assert_int_eq(note_sign(s, text, (size_t)len, &note, &notelen), 0);
	ck_assert_int_eq(bundle_sig_check(v, note, notelen, CHECK_ORIGIN, sha,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(bundle_sig_check(v, note, notelen, CHECK_ORIGIN,
	    sha2, err, sizeof(err)), EPERM);
	ck_assert_ptr_nonnull(strstr(err, "signs another manifest"));
	ck_assert_int_eq(bundle_sig_check(v, note, notelen, "other/log", sha,
	    err, sizeof(err)), EPERM);
	ck_assert_ptr_nonnull(strstr(err, "another log"));
	/* The manifest text can never pass for a checkpoint. */
	ck_assert_int_eq(note_checkpoint_open(v, note, notelen, &cp, NULL, 0),
	    NOTE_ENOTCHECKPOINT);
	free(note);
	ck_assert_int_eq(note_sign(o, text, (size_t)len, &note, &notelen), 0);
	ck_assert_int_eq(bundle_sig_check(v, note, notelen, CHECK_ORIGIN, sha,
	    err, sizeof(err)), NOTE_EUNKNOWNKEY);
	ck_assert_ptr_nonnull(strstr(err, "signature invalid for key"));
	free(note);
	ck_assert_int_eq(note_sign(s, "hello\n", 6, &note, &notelen), 0);
	ck_assert_int_eq(bundle_sig_check(v, note, notelen, CHECK_ORIGIN, sha,
	    err, sizeof(err)), EPERM);
	ck_assert_ptr_nonnull(strstr(err, "not a bundle manifest"));
	free(note);
	note_verifier_free(v);
	note_signer_free(s);
	note_signer_free(o);
}
END_TEST

START_TEST(test_pseudo)
{
	/* RFC 4231 test case 6: a key longer than the block. */
	static const char want6[] = "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54";
	struct bundle_pseudo *p;
	uint8_t key[131], out[32], ref[32], id[BUNDLE_KEY_ID_LEN];
	uint8_t id2[BUNDLE_KEY_ID_LEN];
	unsigned reflen;
	char hex[65];

	memset(key, 0xaa, sizeof(key));
	ck_assert_int_eq(bundle_pseudo_new(&p, key, sizeof(key)), 0);
	bundle_pseudo(p, "Test Using Larger Than Block-Size Key - Hash Key "
	    "First", 54, out);
	receipt_hex(out, 32, hex);
	ck_assert_str_eq(hex, want6);
	bundle_pseudo_key_id(p, id);
	bundle_pseudo_free(p);
	/* 32 to 64 bytes: as OpenSSL's HMAC(). */
	ck_assert_int_eq(bundle_pseudo_new(&p, key, 40), 0);
	bundle_pseudo(p, "s:9f2c5e0a41b7d3c8", 18, out);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, 40,
	    (const unsigned char *)"s:9f2c5e0a41b7d3c8", 18, ref, &reflen));
	ck_assert_int_eq(memcmp(out, ref, 32), 0);
	bundle_pseudo_key_id(p, id2);
	ck_assert_int_ne(memcmp(id, id2, sizeof(id)), 0);
	bundle_pseudo_free(p);
	bundle_pseudo_free(NULL);
	ck_assert_int_eq(bundle_pseudo_new(&p, key, BUNDLE_PSEUDO_KEY_MIN - 1),
	    EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(bundle_pseudo_new(&p, key, BUNDLE_PSEUDO_KEY_MAX + 1),
	    EINVAL);
}
END_TEST

START_TEST(test_export_verify)
{
	char bb[1200];
	const char *b = check_pathbuf(bb, sizeof(bb), "b"), *files[] = {
		BUNDLE_MANIFEST, BUNDLE_SIG, BUNDLE_RECORDS, BUNDLE_PROOF,
		BUNDLE_CHECKPOINT, BUNDLE_KEY
	};
	char path[1400], hex[64], *m;
	size_t i, len;

	ck_assert_int_eq(check_export(b, (char *)NULL), TOOLS_EXIT_OK);
	ck_assert_msg(check_verify(b, NULL) == TOOLS_EXIT_OK, "%.2000s",
	    check_err);
	m = check_read(check_path("b/manifest.json"), &len);
	ck_assert_ptr_nonnull(strstr(m, "\"records\": 300"));
	ck_assert_ptr_nonnull(strstr(m, "\"core\": 75"));
	ck_assert_ptr_nonnull(strstr(m, "\"unclassified\": 75"));
	ck_assert_ptr_nonnull(strstr(m, "\"source\": \"random\""));
	free(m);
	/* Core data never leaves, nor its hex. */
	receipt_hex((const uint8_t *)CHECK_CORE, strlen(CHECK_CORE), hex);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", b, files[i]);
		ck_assert_msg(!check_in_file(path, CHECK_CORE,
		    strlen(CHECK_CORE)), "%s holds core data", path);
		ck_assert_msg(!check_in_file(path, hex, strlen(hex)),
		    "%s holds core data in hex", path);
	}
	/* An existing bundle is never overwritten. */
	ck_assert_int_eq(check_export(b, (char *)NULL), TOOLS_EXIT_FAIL);
	ck_assert_msg(check_verify(b, NULL) == TOOLS_EXIT_OK, "%.2000s",
	    check_err);
}
END_TEST

START_TEST(test_export_options)
{
	char bb[1200], kb[1200];
	const char *b = check_pathbuf(bb, sizeof(bb), "b");
	const char *k = check_pathbuf(kb, sizeof(kb), "pkey");
	char *r, *m2;
	json_t *m, *pol, *f;
	size_t len;
	int fd;

	/* --allow-important --reveal-subjects, a selection by filters. */
	ck_assert_int_eq(check_export(b, "--allow-important",
	    "--reveal-subjects", "--algorithm", "alg1", "--from-index", "10",
	    "--tar", (char *)NULL), TOOLS_EXIT_OK);
	ck_assert_msg(check_verify(b, NULL) == TOOLS_EXIT_OK, "%.2000s",
	    check_err);
	ck_assert_int_eq(access(check_path("b.tar"), F_OK), 0);
	m = check_manifest(b);
	ck_assert(json_is_true(json_object_get(json_object_get(m, "policy"),
	    "allow_important")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(m,
	    "policy"), "subjects")), "revealed");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m,
	    "counts"), "records")), 97);
	/* alg1 is withheld in core records: its value is not named. */
	ck_assert(json_is_true(json_object_get(json_object_get(json_object_get(
	    json_object_get(m, "selection"), "filters"), "algorithm"),
	    "withheld")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(m, "selection"), "index_range"), "from")), 10);
	json_decref(m);
	r = check_read(check_path("b/records.jsonl"), &len);
	ck_assert_ptr_null(strstr(r, "subject_pseudonym"));
	ck_assert_ptr_null(strstr(r, "\"withheld\":\"important\""));
	free(r);
	/* --disclose and a pseudonym key from a file. */
	b = check_pathbuf(bb, sizeof(bb), "c");
	ck_assert_int_ne(fd = open(k, O_WRONLY | O_CREAT | O_EXCL, 0600), -1);
	ck_assert_int_eq(write(fd, "0123456789abcdef0123456789abcdef", 32),
	    32);
	close(fd);
	ck_assert_int_eq(check_export(b, "--disclose", "decision,inputs[*]",
	    "--pseudonym-key", k, "--subject", "s1", (char *)NULL),
	    TOOLS_EXIT_OK);
	ck_assert_msg(check_verify(b, NULL) == TOOLS_EXIT_OK, "%.2000s",
	    check_err);
	m = check_manifest(b);
	pol = json_object_get(m, "policy");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(pol,
	    "pseudonym_key"), "source")), "file");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(pol,
	    "disclose"), 1)), "inputs[*]");
	/* The subject, excluded, is not named by the filter either. */
	f = json_object_get(json_object_get(json_object_get(m, "selection"),
	    "filters"), "subject");
	ck_assert(json_is_true(json_object_get(f, "withheld")));
	json_decref(m);
	m2 = check_read(check_path("c/manifest.json"), &len);
	ck_assert_ptr_null(strstr(m2, "\"s1\""));
	free(m2);
	r = check_read(check_path("c/records.jsonl"), &len);
	ck_assert_ptr_nonnull(strstr(r, "\"withheld\":\"excluded\""));
	ck_assert_ptr_null(strstr(r, "subject_pseudonym"));
	free(r);
	/* Pseudonymised everywhere: the filter is named by its pseudonym. */
	b = check_pathbuf(bb, sizeof(bb), "c2");
	ck_assert_int_eq(check_export(b, "--pseudonym-key", k, "--subject",
	    "s1", "--class", "ordinary", (char *)NULL), TOOLS_EXIT_OK);
	ck_assert_msg(check_verify(b, NULL) == TOOLS_EXIT_OK, "%.2000s",
	    check_err);
	m = check_manifest(b);
	f = json_object_get(json_object_get(json_object_get(m, "selection"),
	    "filters"), "subject");
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(f,
	    "pseudonym"))), 64);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(m, "selection"), "filters"), "class")),
	    "ordinary");
	r = check_read(check_path("c2/records.jsonl"), &len);
	/* Same key, same subject: the same pseudonym in every record. */
	ck_assert_ptr_nonnull(strstr(r, json_string_value(json_object_get(f,
	    "pseudonym"))));
	free(r);
	json_decref(m);
	/* A key readable by others, or too short, is refused. */
	ck_assert_int_eq(chmod(k, 0644), 0);
	ck_assert_int_eq(check_export(check_path("d"), "--pseudonym-key", k,
	    (char *)NULL), TOOLS_EXIT_FAIL);
	ck_assert_int_ne(access(check_path("d"), F_OK), 0);
	ck_assert_int_eq(chmod(k, 0600), 0);
	ck_assert_int_eq(truncate(k, 31), 0);
	ck_assert_int_eq(check_export(check_path("d"), "--pseudonym-key", k,
	    (char *)NULL), TOOLS_EXIT_FAIL);
	/* --to-index past the latest checkpoint, with entries there: none
	 * here, so it is cut at the checkpoint. An empty selection. */
	ck_assert_int_eq(check_export(check_path("e"), "--from-index", "299",
	    "--to-index", "5000", (char *)NULL), TOOLS_EXIT_OK);
	ck_assert_msg(check_verify(check_path("e"), NULL) == TOOLS_EXIT_OK,
	    "%.2000s", check_err);
	ck_assert_int_eq(check_export(check_path("f"), "--decision", "none",
	    (char *)NULL), TOOLS_EXIT_OK);
	ck_assert_msg(check_verify(check_path("f"), NULL) == TOOLS_EXIT_OK,
	    "%.2000s", check_err);
	/* An index range past the tree: no record, one hash (the root). */
	ck_assert_int_eq(check_export(check_path("g"), "--from-index", "5000",
	    (char *)NULL), TOOLS_EXIT_OK);
	ck_assert_msg(check_verify(check_path("g"), NULL) == TOOLS_EXIT_OK,
	    "%.2000s", check_err);
	m = check_manifest(check_path("g"));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m,
	    "counts"), "proof_hashes")), 1);
	ck_assert(json_is_null(json_object_get(json_object_get(m, "counts"),
	    "first_index")));
	json_decref(m);
}
END_TEST

START_TEST(test_tampered)
{
	char bb[1200], tb[1200];
	const char *b = check_pathbuf(bb, sizeof(bb), "b"), *t;
	char *buf, *p;
	size_t len;

	ck_assert_int_eq(check_export(b, (char *)NULL), TOOLS_EXIT_OK);
	/* A disclosed value changed: the record is named. */
	t = check_pathbuf(tb, sizeof(tb), "t1");
	check_copy(b, t);
	check_replace(check_path("t1/records.jsonl"), "617070726f7665",
	    "617070726f7666");
	check_fails(t, "records.jsonl line 1 (entry 0): its units do not "
	    "give its leaf_hash");
	/* A commitment swapped between two units. */
	t = check_pathbuf(tb, sizeof(tb), "t2");
	check_copy(b, t);
	buf = check_read(check_path("t2/records.jsonl"), &len);
	p = strstr(buf, "\"commitment\":\"");
	ck_assert_ptr_nonnull(p);
	p[14] = p[14] == 'a' ? 'b' : 'a';
	check_write(check_path("t2/records.jsonl"), buf, len);
	free(buf);
	check_fails(t, "(entry 0): its units do not give its leaf_hash");
	/* A record dropped. */
	t = check_pathbuf(tb, sizeof(tb), "t3");
	check_copy(b, t);
	buf = check_read(check_path("t3/records.jsonl"), &len);
	p = strchr(buf, '\n');
	check_write(check_path("t3/records.jsonl"), p + 1,
	    len - (size_t)(p + 1 - buf));
	free(buf);
	check_fails(t, "counts.records: the manifest says 300, the bundle "
	    "holds 299");
	ck_assert_ptr_nonnull(strstr(check_err, "a record of that range was "
	    "dropped"));
	/* A record added (a copy of another). */
	t = check_pathbuf(tb, sizeof(tb), "t4");
	check_copy(b, t);
	buf = check_read(check_path("t4/records.jsonl"), &len);
	p = strchr(buf, '\n');
	check_write(check_path("t4/records.jsonl"), buf, len);
	{
		FILE *fp;

		ck_assert_ptr_nonnull(fp = fopen(check_path("t4/records.jsonl"),
		    "a"));
		ck_assert_uint_eq(fwrite(buf, 1, (size_t)(p + 1 - buf), fp),
		    (size_t)(p + 1 - buf));
		fclose(fp);
	}
	free(buf);
	check_fails(t, "line 301 (entry 0): not after the previous record");
	/* A manifest count edited. */
	t = check_pathbuf(tb, sizeof(tb), "t5");
	check_copy(b, t);
	check_replace(check_path("t5/manifest.json"), "\"core\": 75",
	    "\"core\": 74");
	check_fails(t, "manifest.sig: signs another manifest");
	ck_assert_ptr_nonnull(strstr(check_err, "counts.by_class.core: the "
	    "manifest says 74, the bundle holds 75"));
	/* A proof hash changed. */
	t = check_pathbuf(tb, sizeof(tb), "t6");
	ck_assert_int_eq(check_export(t, "--from-index", "3", "--to-index",
	    "40", (char *)NULL), TOOLS_EXIT_OK);
	buf = check_read(check_path("t6/multiproof.txt"), &len);
	p = strstr(buf, "tree_size 300\n") + 14;
	*p = *p == '0' ? '1' : '0';
	check_write(check_path("t6/multiproof.txt"), buf, len);
	free(buf);
	check_fails(t, "do not lead to the checkpoint's root");
	/* A core unit disclosed (the unit swapped for a disclosure). */
	t = check_pathbuf(tb, sizeof(tb), "t7");
	check_copy(b, t);
	check_replace(check_path("t7/manifest.json"), "\"subjects\": "
	    "\"pseudonymised\"", "\"subjects\": \"revealed\"    ");
	check_fails(t, "(subject) is withheld as 'pseudonymised', but the "
	    "manifest's policy on a record of class ordinary discloses it");
	/* The verifier key file and a missing file. */
	t = check_pathbuf(tb, sizeof(tb), "t8");
	check_copy(b, t);
	check_replace(check_path("t8/verifier.key"), CHECK_ORIGIN,
	    "check.example/other");
	check_fails(t, "is not the key given with --key");
	ck_assert_int_eq(unlink(check_path("t8/manifest.sig")), 0);
	check_fails(t, "manifest.sig: missing");
	/* A bundle directory that is not there is I/O, not a failure. */
	ck_assert_int_eq(check_verify(check_path("nothing"), NULL),
	    TOOLS_EXIT_FAIL);
	/* A malformed line is named and skipped. */
	t = check_pathbuf(tb, sizeof(tb), "t9");
	check_copy(b, t);
	check_replace(check_path("t9/records.jsonl"), "{\"index\":1,",
	    "{\"index\":1,,");
	check_fails(t, "records.jsonl line 2: malformed: column 12");
	/* The last line without its newline. */
	t = check_pathbuf(tb, sizeof(tb), "t10");
	check_copy(b, t);
	buf = check_read(check_path("t10/records.jsonl"), &len);
	check_write(check_path("t10/records.jsonl"), buf, len - 1);
	free(buf);
	check_fails(t, "records.jsonl: line 300 does not end in a newline");
	/* An empty records.jsonl: every count differs, the proof fails. */
	t = check_pathbuf(tb, sizeof(tb), "t11");
	check_copy(b, t);
	check_write(check_path("t11/records.jsonl"), "", 0);
	check_fails(t, "a record of that range was dropped");
}
END_TEST

START_TEST(test_resigned)
{
	static const uint8_t other_seed[NOTE_SEED_LEN] = { 7, 7, 7 };
	struct note_signer *o;
	struct note_checkpoint cp;
	char bb[1200], tb[1200], *note, *sig;
	const char *b = check_pathbuf(bb, sizeof(bb), "b");
	const char *t = check_pathbuf(tb, sizeof(tb), "t");
	size_t len, siglen;

	ck_assert_int_eq(check_export(b, (char *)NULL), TOOLS_EXIT_OK);
	check_copy(b, t);
	note = check_read(check_path("t/checkpoint"), &len);
	ck_assert_int_eq(note_checkpoint_parse(note, (size_t)(strstr(note,
	    "\n\n") + 1 - note), &cp, NULL, 0), 0);
	free(note);
	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, other_seed, &o),
	    0);
	ck_assert_int_eq(note_checkpoint_sign(o, cp.nc_origin, cp.nc_size,
	    cp.nc_root, &sig, &siglen), 0);
	check_write(check_path("t/checkpoint"), sig, siglen);
	free(sig);
	note_signer_free(o);
	check_fails(t, "checkpoint: signature invalid for key");
}
END_TEST

START_TEST(test_since_bundle)
{
	char ob[1200], bb[1200], xb[1200], sb[1200];
	const char *old = check_pathbuf(ob, sizeof(ob), "old");
	const char *b = check_pathbuf(bb, sizeof(bb), "new");
	const char *other = check_pathbuf(xb, sizeof(xb), "other");
	const char *ostore = check_pathbuf(sb, sizeof(sb), "ostore");
	static const uint8_t other_seed[NOTE_SEED_LEN] = { 9, 9 };

	ck_assert_int_eq(check_export(old, "--to-index", "50", (char *)NULL),
	    TOOLS_EXIT_OK);
	ck_assert_int_eq(check_export(b, "--since-bundle", old, "--from-index",
	    "200", (char *)NULL), TOOLS_EXIT_OK);
	ck_assert_int_eq(access(check_path("new/consistency.json"), F_OK), 0);
	ck_assert_msg(check_verify(b, old) == TOOLS_EXIT_OK, "%.2000s",
	    check_err);
	ck_assert_msg(check_verify(b, NULL) == TOOLS_EXIT_OK, "%.2000s",
	    check_err);
	/* OLD from another log: export refuses, verify-bundle too. */
	check_make_store(ostore, CHECK_ORIGIN, other_seed, 120, 60);
	{
		char *argv[] = { (char *)(uintptr_t)"export",
		    (char *)(uintptr_t)"--store", (char *)(uintptr_t)ostore,
		    (char *)(uintptr_t)"--out", (char *)(uintptr_t)other,
		    (char *)(uintptr_t)"--quiet", NULL };

		ck_assert_int_eq(cmd_export(6, argv), TOOLS_EXIT_OK);
	}
	ck_assert_int_eq(check_export(check_path("x"), "--since-bundle",
	    other, (char *)NULL), TOOLS_EXIT_VERIFY);
	ck_assert_int_ne(access(check_path("x"), F_OK), 0);
	ck_assert_int_eq(check_verify(b, other), TOOLS_EXIT_VERIFY);
	ck_assert_ptr_nonnull(strstr(check_err, "starts from another "
	    "checkpoint"));
	/* An old bundle that is newer than the log. */
	ck_assert_int_eq(check_export(check_path("y"), "--since-bundle", b,
	    (char *)NULL), TOOLS_EXIT_OK);
	/* --since-bundle given, but the bundle has no consistency proof. */
	ck_assert_int_eq(check_verify(old, b), TOOLS_EXIT_VERIFY);
	ck_assert_ptr_nonnull(strstr(check_err, "has no consistency proof"));
}
END_TEST

/* The suite of the bundle. */
static Suite *
bundle_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("bundle");
	tc = tcase_create("rule");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_paths_classes);
	tcase_add_test(tc, test_patterns);
	tcase_add_test(tc, test_decide);
	tcase_add_test(tc, test_policy_json);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_check_policy);
	suite_add_tcase(s, tc);
	tc = tcase_create("record");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_record_roundtrip);
	tcase_add_test(tc, test_record_clock_skewed);
	tcase_add_test(tc, test_record_parse_bad);
	tcase_add_test(tc, test_counts);
	suite_add_tcase(s, tc);
	tc = tcase_create("proofs");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_multiproof);
	tcase_add_test(tc, test_sig);
	tcase_add_test(tc, test_pseudo);
	suite_add_tcase(s, tc);
	tc = tcase_create("bundle");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_export_verify);
	tcase_add_test(tc, test_export_options);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_resigned);
	tcase_add_test(tc, test_since_bundle);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exit 0 if every test passed. */
int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(bundle_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
