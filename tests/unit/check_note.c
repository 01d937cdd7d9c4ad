/* SPDX-License-Identifier: ISC */
/*
 * check_note.c: unit tests of store/note.c.
 *
 * A known-answer vector made with Go's golang.org/x/mod/sumdb/note
 * (note.NewSigner and note.Sign with the RFC 8032 test seed): our keys,
 * our key file and our signed checkpoint must be byte for byte Go's.
 * Then the round trip, every rejection of a note, a checkpoint body, a
 * key text or a key file, and the key file's mode and O_EXCL creation.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "note.h"

/* RFC 8032 section 7.1, test 1: the seed and its public key. */
static const uint8_t kat_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};

#define KAT_NAME	"example.com/algaudit"

/* What Go writes for that seed and name (see the file comment). */
#define KAT_VKEY	"example.com/algaudit+37065520+" \
			"AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define KAT_SKEY	"PRIVATE+KEY+example.com/algaudit+37065520+" \
			"AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
/* note.Sign of the checkpoint (KAT_NAME, 42, bytes 0x00..0x1f). */
#define KAT_BODY	"example.com/algaudit\n42\n" \
			"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
#define KAT_SIG		"\xe2\x80\x94 example.com/algaudit NwZVIIoFNkTic" \
			"IPvvhLAv3VtfPPEeXY1f5dAMpWNUnTi7eYPbDZOLtkjF3yyHWPv" \
			"yHdm+LrFb0V7JV1BxWZ/wpzypQI=\n"
#define KAT_NOTE	KAT_BODY "\n" KAT_SIG

static char tmpdir[64];
static struct note_signer *signer;
static struct note_verifier *verifier;
static char errbuf[256];

/* A fresh temporary directory and the KAT key. */
static void
setup(void)
{
	strcpy(tmpdir, "/tmp/check_note.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(note_signer_from_seed(KAT_NAME, kat_seed, &signer),
	    0);
	ck_assert_int_eq(note_verifier_new(KAT_VKEY, &verifier, errbuf,
	    sizeof(errbuf)), 0);
}

/* Removes the directory and what the test left in it. */
static void
teardown(void)
{
	char cmd[128];

	note_signer_free(signer);
	note_verifier_free(verifier);
	signer = NULL;
	verifier = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The path of name in the test's directory (static buffer). */
static const char *
tpath(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* The root hash of the KAT: bytes 0x00 to 0x1f. */
static void
kat_root(uint8_t *r)
{
	int i;

	for (i = 0; i < 32; i++)
		r[i] = (uint8_t)i;
}

/* Opens a note given as a string with the KAT verifier. */
static int
open_str(const char *msg, struct note_checkpoint *cp)
{
	return note_checkpoint_open(verifier, msg, strlen(msg), cp, errbuf,
	    sizeof(errbuf));
}

START_TEST(test_kat_keys)
{
	char vkey[NOTE_VKEY_MAX];

	ck_assert_str_eq(note_signer_name(signer), KAT_NAME);
	ck_assert_int_eq(note_signer_vkey(signer, vkey, sizeof(vkey)), 0);
	ck_assert_str_eq(vkey, KAT_VKEY);
	ck_assert_int_eq(note_signer_vkey(signer, vkey, 20), ERANGE);
	ck_assert_str_eq(note_verifier_name(verifier), KAT_NAME);
}
END_TEST

START_TEST(test_kat_note)
{
	struct note_checkpoint cp;
	uint8_t root[32];
	char *out;
	size_t len;

	kat_root(root);
	ck_assert_int_eq(note_checkpoint_sign(signer, KAT_NAME, 42, root,
	    &out, &len), 0);
	ck_assert_uint_eq(len, strlen(out));
	ck_assert_str_eq(out, KAT_NOTE);
	free(out);
	ck_assert_int_eq(open_str(KAT_NOTE, &cp), 0);
	ck_assert_str_eq(cp.nc_origin, KAT_NAME);
	ck_assert_uint_eq(cp.nc_size, 42);
	ck_assert_mem_eq(cp.nc_root, root, 32);
	ck_assert_uint_eq(cp.nc_extensions, 0);
}
END_TEST

/* Go's signer key text parses to the same key. */
START_TEST(test_kat_skey)
{
	struct note_signer *s;
	char vkey[NOTE_VKEY_MAX];

	ck_assert_int_eq(note_signer_parse(KAT_SKEY, strlen(KAT_SKEY), &s,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(note_signer_vkey(s, vkey, sizeof(vkey)), 0);
	ck_assert_str_eq(vkey, KAT_VKEY);
	note_signer_free(s);
	ck_assert_int_eq(note_signer_parse(KAT_SKEY "\n",
	    strlen(KAT_SKEY) + 1, &s, NULL, 0), 0);
	note_signer_free(s);
}
END_TEST

START_TEST(test_roundtrip)
{
	struct note_signer *s;
	struct note_verifier *v;
	struct note_checkpoint cp;
	char vkey[NOTE_VKEY_MAX], *out;
	uint8_t root[32];
	size_t len;
	uint64_t sizes[] = { 0, 1, 1000000, (uint64_t)INT64_MAX };
	size_t i;

	memset(root, 0xab, sizeof(root));
	ck_assert_int_eq(note_signer_generate("log.example/x", &s), 0);
	ck_assert_int_eq(note_signer_vkey(s, vkey, sizeof(vkey)), 0);
	ck_assert_int_eq(note_verifier_new(vkey, &v, NULL, 0), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		ck_assert_int_eq(note_checkpoint_sign(s, "log.example/x",
		    sizes[i], root, &out, &len), 0);
		ck_assert_int_eq(note_checkpoint_open(v, out, len, &cp, NULL,
		    0), 0);
		ck_assert_uint_eq(cp.nc_size, sizes[i]);
		ck_assert_mem_eq(cp.nc_root, root, 32);
		ck_assert_str_eq(cp.nc_origin, "log.example/x");
		/* Another key's verifier does not know this signature. */
		ck_assert_int_eq(note_checkpoint_open(verifier, out, len, &cp,
		    errbuf, sizeof(errbuf)), NOTE_EUNKNOWNKEY);
		ck_assert_ptr_nonnull(strstr(errbuf, KAT_NAME "+37065520"));
		free(out);
	}
	ck_assert_int_eq(note_checkpoint_sign(s, "log.example/x",
	    (uint64_t)INT64_MAX + 1, root, &out, &len), ERANGE);
	ck_assert_int_eq(note_checkpoint_sign(s, "bad\norigin", 1, root,
	    &out, &len), NOTE_ENAME);
	ck_assert_int_eq(note_checkpoint_sign(s, "", 1, root, &out, &len),
	    NOTE_ENAME);
	ck_assert_ptr_null(out);
	note_verifier_free(v);
	note_signer_free(s);
	/* Two generated keys differ. */
	ck_assert_int_eq(note_signer_generate(KAT_NAME, &s), 0);
	ck_assert_int_eq(note_signer_vkey(s, vkey, sizeof(vkey)), 0);
	ck_assert_str_ne(vkey, KAT_VKEY);
	note_signer_free(s);
}
END_TEST

/* Bad signatures: any change to the signed text or the signature. */
START_TEST(test_reject_badsig)
{
	struct note_checkpoint cp;
	char msg[512];
	size_t i, bl = strlen(KAT_BODY);

	/* Each character of the body changed. */
	for (i = 0; i < bl - 1; i++) {
		strcpy(msg, KAT_NOTE);
		if (msg[i] == '\n')
			continue;
		msg[i] = msg[i] == '4' ? '5' : '4';
		ck_assert_int_eq(open_str(msg, &cp), NOTE_EBADSIG);
		ck_assert_ptr_nonnull(strstr(errbuf, "does not verify"));
	}
	/* Each character of the signature changed (still base64). */
	for (i = strlen(KAT_BODY) + 1 + 4 + strlen(KAT_NAME) + 1 + 6;
	    i < strlen(KAT_NOTE) - 3; i++) {
		strcpy(msg, KAT_NOTE);
		msg[i] = msg[i] == 'A' ? 'B' : 'A';
		ck_assert_int_eq(open_str(msg, &cp), NOTE_EBADSIG);
	}
	/* Our name and hash with a short signature. */
	ck_assert_int_eq(open_str(KAT_BODY "\n\xe2\x80\x94 " KAT_NAME
	    " NwZVIIoFNkTicIPv\n", &cp), NOTE_EBADSIG);
	/* A valid signature followed by a bad one of ours. */
	strcpy(msg, KAT_NOTE);
	strcat(msg, KAT_SIG);
	msg[strlen(msg) - 20] = msg[strlen(msg) - 20] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(open_str(msg, &cp), NOTE_EBADSIG);
	ck_assert_ptr_nonnull(strstr(errbuf, "line 6"));
}
END_TEST

/* Unknown keys: other names or hashes are ignored, not trusted. */
START_TEST(test_reject_unknown)
{
	struct note_checkpoint cp;
	char msg[1024];

	/* Our name, another key hash. */
	ck_assert_int_eq(open_str(KAT_BODY "\n\xe2\x80\x94 " KAT_NAME
	    " AAAAAIoFNkTicIPvvhLAv3VtfPPEeXY1f5dAMpWNUnTi7eYPbDZOLtkjF3yyHWPv"
	    "yHdm+LrFb0V7JV1BxWZ/wpzypQI=\n", &cp), NOTE_EUNKNOWNKEY);
	/* Another name only. */
	ck_assert_int_eq(open_str(KAT_BODY "\n\xe2\x80\x94 witness.example "
	    "AAAAAAAA\n", &cp), NOTE_EUNKNOWNKEY);
	/* Another key's signature next to ours is ignored. */
	snprintf(msg, sizeof(msg), "%s\xe2\x80\x94 witness.example AAAAAAAA\n",
	    KAT_NOTE);
	ck_assert_int_eq(open_str(msg, &cp), 0);
	snprintf(msg, sizeof(msg), "%s\n\xe2\x80\x94 witness.example "
	    "AAAAAAAA\n%s", KAT_BODY, KAT_SIG);
	ck_assert_int_eq(open_str(msg, &cp), 0);
	ck_assert_uint_eq(cp.nc_size, 42);
}
END_TEST

/* Malformed notes. */
START_TEST(test_reject_malformed)
{
	static const char *const bad[] = {
		/* No trailing newline. */
		KAT_BODY "\n\xe2\x80\x94 example.com/algaudit NwZVIIoFNkTic"
		    "IPvvhLAv3VtfPPEeXY1f5dAMpWNUnTi7eYPbDZOLtkjF3yyHWPvyHdm+"
		    "LrFb0V7JV1BxWZ/wpzypQI=",
		/* No blank line before the signatures. */
		KAT_BODY KAT_SIG,
		/* Nothing after the blank line. */
		KAT_BODY "\n",
		KAT_NOTE "\n",
		/* A hyphen instead of the em dash. */
		KAT_BODY "\n- example.com/algaudit AAAAAAAA\n",
		/* No space after the dash. */
		KAT_BODY "\n\xe2\x80\x94" "example.com/algaudit AAAAAAAA\n",
		/* No signature after the name. */
		KAT_BODY "\n\xe2\x80\x94 example.com/algaudit\n",
		KAT_BODY "\n\xe2\x80\x94 example.com/algaudit \n",
		/* Not base64, or not canonical, or too short. */
		KAT_BODY "\n\xe2\x80\x94 example.com/algaudit AAAA*AAA\n",
		KAT_BODY "\n\xe2\x80\x94 example.com/algaudit AAAAAAA\n",
		KAT_BODY "\n\xe2\x80\x94 example.com/algaudit AAAAAAB=\n",
		KAT_BODY "\n\xe2\x80\x94 example.com/algaudit AAAA\n",
		/* Invalid key name in a signature line. */
		KAT_BODY "\n\xe2\x80\x94 a+b AAAAAAAA\n",
		/* Two spaces: the name is empty... */
		KAT_BODY "\n\xe2\x80\x94  AAAAAAAA\n",
		/* A control character, invalid UTF-8. */
		"example.com/algaudit\n42\x01\n"
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n" KAT_SIG,
		"example.com/algaudit\n42\n\xff\n\n" KAT_SIG,
		"example.com/algaudit\r\n42\n\n" KAT_SIG,
		"",
	};
	struct note_checkpoint cp;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(open_str(bad[i], &cp) == NOTE_EMALFORMED,
		    "bad note %zu accepted or misjudged: %s", i, errbuf);
}
END_TEST

/* More than 100 signature lines, or an oversized note. */
START_TEST(test_reject_limits)
{
	struct note_checkpoint cp;
	char *msg;
	size_t i, len;

	msg = malloc(NOTE_MSG_MAX + 2);
	ck_assert_ptr_nonnull(msg);
	strcpy(msg, KAT_NOTE);
	for (i = 0; i < NOTE_SIGS_MAX; i++)
		strcat(msg, "\xe2\x80\x94 w.example AAAAAAAA\n");
	ck_assert_int_eq(open_str(msg, &cp), NOTE_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(errbuf, "more than 100"));
	memset(msg, 'a', NOTE_MSG_MAX + 1);
	len = NOTE_MSG_MAX + 1;
	ck_assert_int_eq(note_checkpoint_open(verifier, msg, len, &cp,
	    errbuf, sizeof(errbuf)), NOTE_EMALFORMED);
	free(msg);
}
END_TEST

/* Signed notes whose text is not a checkpoint. */
START_TEST(test_reject_not_checkpoint)
{
	static const char *const bodies[] = {
		"example.com/algaudit\n42\n",		/* no root */
		"example.com/algaudit\n",
		"\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n042\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n+1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n 1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n4x\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n0x10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n9223372036854775808\n"
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n99999999999999999999\n"
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		/* 31 and 33 bytes, no padding, not canonical, not base64. */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8*\n",
		"o\n1\n\n",
		/* An empty extension line. */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\nx\n",
	};
	struct note_checkpoint cp;
	char *out;
	size_t i, len;

	for (i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		ck_assert_int_eq(note_sign(signer, bodies[i],
		    strlen(bodies[i]), &out, &len), 0);
		ck_assert_msg(note_checkpoint_open(verifier, out, len, &cp,
		    errbuf, sizeof(errbuf)) == NOTE_ENOTCHECKPOINT,
		    "body %zu accepted or misjudged: %s", i, errbuf);
		ck_assert_msg(strstr(errbuf, "checkpoint") != NULL,
		    "message '%s' does not say where", errbuf);
		free(out);
	}
	/* Parsing alone: no trailing newline. */
	ck_assert_int_eq(note_checkpoint_parse("o\n1\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 46, &cp, NULL, 0),
	    NOTE_ENOTCHECKPOINT);
}
END_TEST

/* Accepted edges: size 0 and 2^63 - 1, extension lines. */
START_TEST(test_checkpoint_edges)
{
	struct note_checkpoint cp;
	const char *b;
	char buf[512];
	uint8_t root[32];

	b = "o\n0\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
	ck_assert_int_eq(note_checkpoint_parse(b, strlen(b), &cp, NULL, 0), 0);
	ck_assert_uint_eq(cp.nc_size, 0);
	b = "o\n9223372036854775807\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\next one\nx\n";
	ck_assert_int_eq(note_checkpoint_parse(b, strlen(b), &cp, NULL, 0), 0);
	ck_assert_uint_eq(cp.nc_size, (uint64_t)INT64_MAX);
	ck_assert_uint_eq(cp.nc_extensions, 2);
	kat_root(root);
	ck_assert_int_eq(note_checkpoint_format(KAT_NAME, 42, root, buf,
	    sizeof(buf)), (int)strlen(KAT_BODY));
	ck_assert_str_eq(buf, KAT_BODY);
	ck_assert_int_eq(note_checkpoint_format(KAT_NAME, 42, root, buf, 10),
	    -1);
	ck_assert_int_eq(note_checkpoint_format("a\x01", 42, root, buf,
	    sizeof(buf)), -1);
}
END_TEST

/* note_sign refuses text a note cannot carry. */
START_TEST(test_sign_refuses)
{
	char *out;
	size_t len;

	ck_assert_int_eq(note_sign(signer, "no newline", 10, &out, &len),
	    NOTE_EMALFORMED);
	ck_assert_int_eq(note_sign(signer, "", 0, &out, &len),
	    NOTE_EMALFORMED);
	ck_assert_int_eq(note_sign(signer, "tab\there\n", 10, &out, &len),
	    NOTE_EMALFORMED);
	ck_assert_int_eq(note_sign(signer, "\xc0\xaf\n", 3, &out, &len),
	    NOTE_EMALFORMED);
	ck_assert_ptr_null(out);
}
END_TEST

/* Key names follow Go's rules, plus no control characters. */
START_TEST(test_names)
{
	static const char *const bad[] = {
		"", "a b", "a+b", "a\tb", "a\nb", "a\xc2\xa0" "b",
		"a\xe3\x80\x80" "b", "a\xe2\x80\xa8" "b", "\xff", "a\x7f",
		"a\xc2\x85" "b",
	};
	struct note_signer *s;
	char longname[NOTE_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(note_signer_generate(bad[i], &s) == NOTE_ENAME,
		    "name %zu accepted", i);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[NOTE_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(note_signer_generate(longname, &s), NOTE_ENAME);
	longname[NOTE_NAME_MAX] = '\0';
	ck_assert_int_eq(note_signer_generate(longname, &s), 0);
	note_signer_free(s);
	ck_assert_int_eq(note_signer_generate("\xe5\xae\xa1\xe8\xae\xa1/log",
	    &s), 0);
	note_signer_free(s);
}
END_TEST

/* Malformed verifier and signer key texts. */
START_TEST(test_bad_keys)
{
	static const char *const vbad[] = {
		"example.com/algaudit",
		"example.com/algaudit+37065520",
		"example.com/algaudit+3706552+"
		    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
		"example.com/algaudit+3706552g+"
		    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
		/* Wrong hash. */
		"example.com/algaudit+37065521+"
		    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
		/* Another name: the hash no longer matches. */
		"example.com/other+37065520+"
		    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
		/* Algorithm 2. */
		"example.com/algaudit+37065520+"
		    "AtdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
		/* 31-byte key. */
		"example.com/algaudit+37065520+"
		    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3Bw==",
		"example.com/algaudit+37065520+!!!!",
		"+37065520+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	};
	static const char *const sbad[] = {
		"example.com/algaudit+37065520+"
		    "AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g",
		"PRIVATE+KEY+example.com/algaudit+37065521+"
		    "AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g",
		"PRIVATE+KEY+example.com/algaudit+37065520+"
		    "Ap1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g",
		"PRIVATE+KEY+example.com/algaudit+37065520+AZ1h",
		"PRIVATE+KEY+a b+37065520+"
		    "AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g",
		"PRIVATE+KEY+",
		"",
	};
	struct note_verifier *v;
	struct note_signer *s;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(vbad) / sizeof(*vbad); i++) {
		rc = note_verifier_new(vbad[i], &v, errbuf, sizeof(errbuf));
		ck_assert_msg(rc == NOTE_EKEY || rc == NOTE_ENAME,
		    "verifier key %zu: %d", i, rc);
		ck_assert_ptr_null(v);
	}
	for (i = 0; i < sizeof(sbad) / sizeof(*sbad); i++) {
		rc = note_signer_parse(sbad[i], strlen(sbad[i]), &s, errbuf,
		    sizeof(errbuf));
		ck_assert_msg(rc == NOTE_EKEY || rc == NOTE_ENAME,
		    "signer key %zu: %d", i, rc);
		ck_assert_ptr_null(s);
	}
	/* Upper-case hex, as Go accepts. */
	ck_assert_int_eq(note_verifier_new("example.com/algaudit+37065520+"
	    "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea\n", &v, NULL, 0), 0);
	note_verifier_free(v);
	note_verifier_free(NULL);
	note_signer_free(NULL);
}
END_TEST

/* The key file: mode 0600, content, O_EXCL, read back. */
START_TEST(test_keyfile)
{
	struct note_signer *s;
	struct stat st;
	char buf[256], vkey[NOTE_VKEY_MAX];
	const char *p = tpath("log.key");
	mode_t old;
	ssize_t n;
	int fd;

	/* Whatever the umask. */
	old = umask(0);
	ck_assert_int_eq(note_signer_write(signer, p), 0);
	umask(old);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, KAT_SKEY "\n");
	/* Never overwritten. */
	ck_assert_int_eq(note_signer_write(signer, p), EEXIST);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)strlen(KAT_SKEY) + 1);
	ck_assert_int_eq(note_signer_read(p, &s, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(note_signer_vkey(s, vkey, sizeof(vkey)), 0);
	ck_assert_str_eq(vkey, KAT_VKEY);
	note_signer_free(s);
	/* A file others may read is refused. */
	ck_assert_int_eq(chmod(p, 0640), 0);
	ck_assert_int_eq(note_signer_read(p, &s, errbuf, sizeof(errbuf)),
	    NOTE_EKEYMODE);
	ck_assert_ptr_nonnull(strstr(errbuf, "0640"));
	ck_assert_ptr_null(s);
	ck_assert_int_eq(chmod(p, 0604), 0);
	ck_assert_int_eq(note_signer_read(p, &s, NULL, 0), NOTE_EKEYMODE);
	/* Relative path in the working directory (restored: CK_FORK=no). */
	fd = open(".", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_int_eq(note_signer_write(signer, "rel.key"), 0);
	ck_assert_int_eq(note_signer_read("rel.key", &s, NULL, 0), 0);
	note_signer_free(s);
	ck_assert_int_eq(fchdir(fd), 0);
	close(fd);
}
END_TEST

/* Key files that are not what they should be. */
START_TEST(test_keyfile_bad)
{
	struct note_signer *s;
	char big[2048];
	int fd;

	ck_assert_int_eq(note_signer_read(tpath("none"), &s, errbuf,
	    sizeof(errbuf)), ENOENT);
	ck_assert_ptr_nonnull(strstr(errbuf, "none"));
	ck_assert_int_eq(note_signer_write(signer, tpath("no/such/dir")),
	    ENOENT);
	/* A symbolic link is not followed, on write or read. */
	ck_assert_int_eq(note_signer_write(signer, tpath("real.key")), 0);
	ck_assert_int_eq(symlink("real.key", tpath("link.key")), 0);
	ck_assert_int_eq(note_signer_read(tpath("link.key"), &s, NULL, 0),
	    ELOOP);
	ck_assert_int_eq(note_signer_write(signer, tpath("link.key")),
	    EEXIST);
	/* A directory. */
	ck_assert_int_eq(mkdir(tpath("dir.key"), 0700), 0);
	ck_assert_int_eq(note_signer_read(tpath("dir.key"), &s, NULL, 0),
	    NOTE_EKEY);
	/* Garbage, or too large. */
	fd = open(tpath("junk.key"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello\n", 6), 6);
	close(fd);
	ck_assert_int_eq(note_signer_read(tpath("junk.key"), &s, NULL, 0),
	    NOTE_EKEY);
	memset(big, 'A', sizeof(big));
	fd = open(tpath("big.key"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	close(fd);
	ck_assert_int_eq(note_signer_read(tpath("big.key"), &s, errbuf,
	    sizeof(errbuf)), NOTE_EKEY);
	ck_assert_ptr_nonnull(strstr(errbuf, "longer than"));
}
END_TEST

START_TEST(test_strerror)
{
	int e;

	for (e = NOTE_EMALFORMED; e < NOTE_EMAX; e++)
		ck_assert_ptr_nonnull(strstr(note_strerror(e), "NOTE_E"));
	ck_assert_str_eq(note_strerror(0), "success");
	ck_assert_str_eq(note_strerror(EEXIST), strerror(EEXIST));
}
END_TEST

/* The suite: one case per function family. */
static Suite *
note_suite(void)
{
	Suite *s = suite_create("note");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_kat_keys);
	tcase_add_test(tc, test_kat_skey);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_bad_keys);
	tcase_add_test(tc, test_keyfile);
	tcase_add_test(tc, test_keyfile_bad);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("sign");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_kat_note);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_sign_refuses);
	tcase_add_test(tc, test_checkpoint_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reject_badsig);
	tcase_add_test(tc, test_reject_unknown);
	tcase_add_test(tc, test_reject_malformed);
	tcase_add_test(tc, test_reject_limits);
	tcase_add_test(tc, test_reject_not_checkpoint);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exit status 0 when all pass. */
int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(note_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
