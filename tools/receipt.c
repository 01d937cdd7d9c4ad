/* SPDX-License-Identifier: ISC */
/*
 * receipt.c: the JSON forms of the verifiable log's proofs and of the
 * per-decision receipt, and their offline verification.
 *
 * `algaudit prove` prints an inclusion proof {"index", "tree_size",
 * "leaf_hash", "proof", "checkpoint"} or a consistency proof
 * {"old_size", "tree_size", "proof", "old_checkpoint", "checkpoint"};
 * `algaudit receipt` prints a receipt: the disclosed units of one entry
 * (path, canonical value, salt), the entry as stored and as JSON, and a
 * C2SP tlog-proof (index, inclusion proof, signed checkpoint).
 * receipt_check() verifies any of the three with a verifier key alone:
 * no store, no secret, no daemon. docs/VERIFIABLE.md, "Receipts",
 * specifies the layout.
 *
 * Pure: no store, no globals; the only output is the caller's buffers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "tools.h"

/* Base64 of a 32-byte hash: 44 characters and a NUL. */
#define RECEIPT_B64_HASH	45

/* Formats the message into err and returns code. */
static int
receipt_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
receipt_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Writes the lower-case hex of n bytes and a NUL into out (2n + 1). */
void
receipt_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/*
 * The value of each byte as a hex digit (either case), 16 for a byte
 * that is none: decoding ORs the values and checks bit 4 once.
 */
static const uint8_t receipt_hexvals[256] = {
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 16, 16, 16, 16, 16, 16,
	16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16
};

/*
 * Decodes the hex string s into out (room for max bytes), setting *n.
 * Returns 0, or -1 if s is not hex of an even length of at most 2 max.
 */
int
receipt_unhex(const char *s, uint8_t *out, size_t max, size_t *n)
{
	return receipt_unhexn(s, strlen(s), out, max, n);
}

/* As receipt_unhex(), for the len characters at s (no NUL needed). */
int
receipt_unhexn(const char *s, size_t len, uint8_t *out, size_t max,
    size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;
	unsigned bad = 0, hi, lo;

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = receipt_hexvals[u[2 * i]];
		lo = receipt_hexvals[u[2 * i + 1]];
		bad |= hi | lo;
		out[i] = (uint8_t)(hi << 4 | (lo & 0x0f));
	}
	if (bad & 0x10)
		return -1;
	*n = len / 2;
	return 0;
}

/*
 * Decodes pairs of hex digits from s (at most len characters) into out
 * (room for max bytes) up to the first character that is not part of a
 * pair of hex digits, or max bytes. Sets *n to the bytes decoded and
 * returns the characters used (2 * *n): the caller looks at what stops
 * it (a closing quote, an escape).
 */
size_t
receipt_unhex_span(const char *s, size_t len, uint8_t *out, size_t max,
    size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;
	unsigned hi, lo;

	for (i = 0; i < len / 2 && i < max; i++) {
		hi = receipt_hexvals[u[2 * i]];
		lo = receipt_hexvals[u[2 * i + 1]];
		if ((hi | lo) & 0x10)
			break;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = i;
	return 2 * i;
}

/* A JSON string of the hex of n bytes, or NULL (no memory). */
static json_t *
receipt_hex_json(const uint8_t *p, size_t n)
{
	json_t *s;
	char *buf;

	if ((buf = malloc(2 * n + 1)) == NULL)
		return NULL;
	receipt_hex(p, n, buf);
	s = json_string(buf);
	free(buf);
	return s;
}

/* A JSON array of the hex of n hashes, or NULL (no memory). */
static json_t *
receipt_hashes_json(const uint8_t *hashes, size_t n)
{
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, receipt_hex_json(hashes +
		    i * MERKLE_HASH_LEN, MERKLE_HASH_LEN)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Sets o[key] to a JSON string of len bytes; -1 without memory. */
static int
receipt_set_text(json_t *o, const char *key, const char *text, size_t len)
{
	return json_object_set_new(o, key, json_stringn(text, len));
}

/*
 * The JSON form of an inclusion proof: leaf hash leaf at index in the
 * tree of size leaves, n proof hashes, the signed checkpoint at size.
 * @return a new reference, or NULL without memory (or if the checkpoint
 *	is not UTF-8).
 */
json_t *
receipt_inclusion_json(uint64_t index, uint64_t size, const uint8_t *leaf,
    const uint8_t *proof, size_t n, const char *ckpt, size_t ckptlen)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "index", json_integer((json_int_t)index)) ==
	    -1 ||
	    json_object_set_new(o, "tree_size",
	    json_integer((json_int_t)size)) == -1 ||
	    json_object_set_new(o, "leaf_hash", receipt_hex_json(leaf,
	    MERKLE_HASH_LEN)) == -1 ||
	    json_object_set_new(o, "proof", receipt_hashes_json(proof, n)) ==
	    -1 ||
	    receipt_set_text(o, "checkpoint", ckpt, ckptlen) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The JSON form of a consistency proof from the tree of old leaves to
 * the tree of size leaves, with both signed checkpoints.
 * @return a new reference, or NULL (no memory, checkpoint not UTF-8).
 */
json_t *
receipt_consistency_json(uint64_t old, uint64_t size, const uint8_t *proof,
    size_t n, const char *oldckpt, size_t oldlen, const char *ckpt,
    size_t ckptlen)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "old_size", json_integer((json_int_t)old)) ==
	    -1 ||
	    json_object_set_new(o, "tree_size",
	    json_integer((json_int_t)size)) == -1 ||
	    json_object_set_new(o, "proof", receipt_hashes_json(proof, n)) ==
	    -1 ||
	    receipt_set_text(o, "old_checkpoint", oldckpt, oldlen) == -1 ||
	    receipt_set_text(o, "checkpoint", ckpt, ckptlen) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The C2SP tlog-proof text of leaf index: header, "index I", the n proof
 * hashes in base64, a blank line, the signed checkpoint verbatim.
 * @return a NUL-terminated string to free(), or NULL without memory.
 */
char *
receipt_tlog_proof(uint64_t index, const uint8_t *proof, size_t n,
    const char *ckpt, size_t ckptlen)
{
	char *buf, *p;
	size_t len, i;

	len = sizeof(RECEIPT_TLOG_PROOF_HEADER) + 6 + 21 +
	    n * RECEIPT_B64_HASH + 1 + ckptlen + 1;
	if ((buf = malloc(len)) == NULL)
		return NULL;
	p = buf + snprintf(buf, len, "%s\nindex %" PRIu64 "\n",
	    RECEIPT_TLOG_PROOF_HEADER, index);
	for (i = 0; i < n; i++) {
		p += EVP_EncodeBlock((unsigned char *)p,
		    proof + i * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
		*p++ = '\n';
	}
	*p++ = '\n';
	memcpy(p, ckpt, ckptlen);
	p[ckptlen] = '\0';
	return buf;
}

/*
 * Decodes one canonical base64 hash (44 characters) into out.
 * Returns 0 or -1.
 */
static int
receipt_unb64_hash(const char *s, size_t len, uint8_t *out)
{
	unsigned char tmp[48];
	char again[RECEIPT_B64_HASH];

	if (len != RECEIPT_B64_HASH - 1)
		return -1;
	if (EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len) != 33)
		return -1;
	memcpy(out, tmp, MERKLE_HASH_LEN);
	EVP_EncodeBlock((unsigned char *)again, out, MERKLE_HASH_LEN);
	return memcmp(again, s, len) == 0 ? 0 : -1;
}

/*
 * Parses a C2SP tlog-proof (len bytes): *index, the proof hashes into
 * proof (room for MERKLE_PROOF_MAX) with *n, and the checkpoint, a view
 * into text (*ckpt, *ckptlen). An "extra" line is accepted and ignored.
 * @return 0 or RECEIPT_EMALFORMED with err naming the line.
 */
int
receipt_tlog_proof_parse(const char *text, size_t len, uint64_t *index,
    uint8_t *proof, size_t *n, const char **ckpt, size_t *ckptlen,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	char num[24];
	size_t ll, line = 1;
	unsigned long long v;
	char *e;

	*n = 0;
#define RECEIPT_NEXT_LINE() do {					\
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)		\
		return receipt_fail(err, errlen, RECEIPT_EMALFORMED,	\
		    "tlog_proof: line %zu: no newline", line);		\
	ll = (size_t)(nl - p);						\
} while (0)
	RECEIPT_NEXT_LINE();
	if (ll != strlen(RECEIPT_TLOG_PROOF_HEADER) ||
	    memcmp(p, RECEIPT_TLOG_PROOF_HEADER, ll) != 0)
		return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
		    "tlog_proof: line 1: not \"%s\"",
		    RECEIPT_TLOG_PROOF_HEADER);
	p = nl + 1;
	line++;
	RECEIPT_NEXT_LINE();
	if (ll >= 6 && memcmp(p, "extra ", 6) == 0) {
		p = nl + 1;
		line++;
		RECEIPT_NEXT_LINE();
	}
	if (ll < 7 || ll > 6 + 20 || memcmp(p, "index ", 6) != 0)
		return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
		    "tlog_proof: line %zu: not \"index N\"", line);
	memcpy(num, p + 6, ll - 6);
	num[ll - 6] = '\0';
	errno = 0;
	v = strtoull(num, &e, 10);
	if (*e != '\0' || num[0] < '0' || num[0] > '9' || errno != 0 ||
	    (num[0] == '0' && num[1] != '\0') || v > MERKLE_SIZE_MAX)
		return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
		    "tlog_proof: line %zu: invalid index '%s'", line, num);
	*index = v;
	for (;;) {
		p = nl + 1;
		line++;
		RECEIPT_NEXT_LINE();
		if (ll == 0)
			break;
		if (*n == MERKLE_PROOF_MAX)
			return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
			    "tlog_proof: more than %d proof hashes",
			    MERKLE_PROOF_MAX);
		if (receipt_unb64_hash(p, ll, proof + *n *
		    MERKLE_HASH_LEN) == -1)
			return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
			    "tlog_proof: line %zu: not the base64 of a "
			    "32-byte hash", line);
		(*n)++;
	}
#undef RECEIPT_NEXT_LINE
	*ckpt = nl + 1;
	*ckptlen = (size_t)(end - *ckpt);
	if (*ckptlen == 0)
		return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
		    "tlog_proof: no checkpoint after the blank line");
	return 0;
}

/*
 * The receipt of one entry: format, index, leaf hash, the n units
 * (path, value, salt: the entry's own, never another's), the entry as
 * JSON (entry, stolen) and as stored (pb, pblen bytes), the tlog-proof.
 * @return a new reference, or NULL without memory.
 */
json_t *
receipt_json(uint64_t index, const uint8_t *leaf,
    const struct receipt_unit *units, size_t n, json_t *entry,
    const uint8_t *pb, size_t pblen, const char *tlog_proof)
{
	json_t *o = NULL, *a, *u;
	char *b64 = NULL;
	size_t i;

	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "format",
	    json_string(RECEIPT_FORMAT)) == -1 ||
	    json_object_set_new(o, "index",
	    json_integer((json_int_t)index)) == -1 ||
	    json_object_set_new(o, "leaf_hash", receipt_hex_json(leaf,
	    MERKLE_HASH_LEN)) == -1 ||
	    (a = json_array()) == NULL ||
	    json_object_set_new(o, "units", a) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((u = json_object()) == NULL ||
		    json_array_append_new(a, u) == -1 ||
		    json_object_set_new(u, "path",
		    json_string(units[i].ru_path)) == -1 ||
		    json_object_set_new(u, "value",
		    receipt_hex_json(units[i].ru_value,
		    units[i].ru_valuelen)) == -1 ||
		    json_object_set_new(u, "salt",
		    receipt_hex_json(units[i].ru_salt, LEAF_SALT_LEN)) == -1)
			goto fail;
	}
	if ((b64 = malloc(4 * ((pblen + 2) / 3) + 1)) == NULL)
		goto fail;
	EVP_EncodeBlock((unsigned char *)b64, pb, (int)pblen);
	if (json_object_set_new(o, "entry", entry) == -1) {
		entry = NULL;
		goto fail;
	}
	entry = NULL;
	if (json_object_set_new(o, "entry_protobuf", json_string(b64)) ==
	    -1 ||
	    json_object_set_new(o, "tlog_proof", json_string(tlog_proof)) ==
	    -1)
		goto fail;
	free(b64);
	return o;
fail:
	json_decref(entry);
	free(b64);
	json_decref(o);
	return NULL;
}

/* Reads o[key] as an integer in [0, MERKLE_SIZE_MAX]; -1 if it is not. */
static int
receipt_get_u64(json_t *o, const char *key, uint64_t *v, char *err,
    size_t errlen)
{
	json_t *j;

	j = json_object_get(o, key);
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return receipt_fail(err, errlen, -1, "\"%s\": missing or not "
		    "a non-negative integer", key);
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

/* Reads o[key] as a string (*len bytes); -1 if it is not one. */
static int
receipt_get_str(json_t *o, const char *key, const char **s, size_t *len,
    char *err, size_t errlen)
{
	json_t *j;

	j = json_object_get(o, key);
	if (!json_is_string(j))
		return receipt_fail(err, errlen, -1, "\"%s\": missing or not "
		    "a string", key);
	*s = json_string_value(j);
	*len = json_string_length(j);
	return 0;
}

/* Reads o[key] as the hex of one hash into out; -1 if it is not. */
static int
receipt_get_hash(json_t *o, const char *key, uint8_t *out, char *err,
    size_t errlen)
{
	const char *s;
	size_t len, n;

	if (receipt_get_str(o, key, &s, &len, err, errlen) == -1)
		return -1;
	if (receipt_unhex(s, out, MERKLE_HASH_LEN, &n) == -1 ||
	    n != MERKLE_HASH_LEN)
		return receipt_fail(err, errlen, -1, "\"%s\": not the hex of "
		    "a 32-byte hash", key);
	return 0;
}

/* Reads o["proof"], an array of hex hashes, into proof with *n. */
static int
receipt_get_proof(json_t *o, uint8_t *proof, size_t *n, char *err,
    size_t errlen)
{
	json_t *a, *h;
	size_t i, len;

	a = json_object_get(o, "proof");
	if (!json_is_array(a))
		return receipt_fail(err, errlen, -1, "\"proof\": missing or "
		    "not an array");
	if (json_array_size(a) > MERKLE_PROOF_MAX)
		return receipt_fail(err, errlen, -1, "\"proof\": more than %d "
		    "hashes", MERKLE_PROOF_MAX);
	json_array_foreach(a, i, h) {
		if (!json_is_string(h) ||
		    receipt_unhex(json_string_value(h), proof +
		    i * MERKLE_HASH_LEN, MERKLE_HASH_LEN, &len) == -1 ||
		    len != MERKLE_HASH_LEN)
			return receipt_fail(err, errlen, -1, "\"proof\"[%zu]: "
			    "not the hex of a 32-byte hash", i);
	}
	*n = json_array_size(a);
	return 0;
}

/*
 * Verifies the signed checkpoint text (len bytes) with v into *cp.
 * what names it in the message ("checkpoint").
 */
static int
receipt_open(const struct note_verifier *v, const char *what,
    const char *text, size_t len, struct note_checkpoint *cp, char *err,
    size_t errlen)
{
	char nerr[256];
	int rc;

	nerr[0] = '\0';
	if ((rc = note_checkpoint_open(v, text, len, cp, nerr,
	    sizeof(nerr))) != 0)
		return receipt_fail(err, errlen, RECEIPT_ESIG, "%s: signature "
		    "invalid for key %s: %s%s%s", what,
		    note_verifier_name(v), note_strerror(rc),
		    nerr[0] != '\0' ? ": " : "", nerr);
	return 0;
}

/* Checks an inclusion proof object; fills r. */
static int
receipt_check_inclusion(const struct note_verifier *v, json_t *o,
    struct receipt_result *r, char *err, size_t errlen)
{
	uint8_t leaf[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX *
	    MERKLE_HASH_LEN];
	struct note_checkpoint cp;
	const char *ckpt;
	size_t n, ckptlen;
	int rc;

	if (receipt_get_u64(o, "index", &r->rr_index, err, errlen) == -1 ||
	    receipt_get_u64(o, "tree_size", &r->rr_size, err, errlen) ==
	    -1 ||
	    receipt_get_hash(o, "leaf_hash", leaf, err, errlen) == -1 ||
	    receipt_get_proof(o, proof, &n, err, errlen) == -1 ||
	    receipt_get_str(o, "checkpoint", &ckpt, &ckptlen, err, errlen) ==
	    -1)
		return RECEIPT_EMALFORMED;
	if ((rc = receipt_open(v, "checkpoint", ckpt, ckptlen, &cp, err,
	    errlen)) != 0)
		return rc;
	snprintf(r->rr_origin, sizeof(r->rr_origin), "%s", cp.nc_origin);
	if (cp.nc_size != r->rr_size)
		return receipt_fail(err, errlen, RECEIPT_EMISMATCH,
		    "tree_size %" PRIu64 " differs from the checkpoint's size "
		    "%" PRIu64, r->rr_size, cp.nc_size);
	if ((rc = merkle_verify_inclusion(leaf, r->rr_index, cp.nc_size,
	    proof, n, cp.nc_root)) != 0)
		return receipt_fail(err, errlen, RECEIPT_EPROOF, "inclusion "
		    "proof of leaf %" PRIu64 " does not lead to the root of "
		    "the checkpoint at size %" PRIu64 ": %s", r->rr_index,
		    cp.nc_size, merkle_strerror(rc));
	memcpy(r->rr_leaf, leaf, MERKLE_HASH_LEN);
	r->rr_kind = RECEIPT_KIND_INCLUSION;
	return 0;
}

/* Checks a consistency proof object; fills r. */
static int
receipt_check_consistency(const struct note_verifier *v, json_t *o,
    struct receipt_result *r, char *err, size_t errlen)
{
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	struct note_checkpoint ocp, cp;
	const char *ockpt, *ckpt;
	size_t n, olen, ckptlen;
	int rc;

	if (receipt_get_u64(o, "old_size", &r->rr_old_size, err, errlen) ==
	    -1 ||
	    receipt_get_u64(o, "tree_size", &r->rr_size, err, errlen) ==
	    -1 ||
	    receipt_get_proof(o, proof, &n, err, errlen) == -1 ||
	    receipt_get_str(o, "old_checkpoint", &ockpt, &olen, err,
	    errlen) == -1 ||
	    receipt_get_str(o, "checkpoint", &ckpt, &ckptlen, err, errlen) ==
	    -1)
		return RECEIPT_EMALFORMED;
	if ((rc = receipt_open(v, "old_checkpoint", ockpt, olen, &ocp, err,
	    errlen)) != 0 ||
	    (rc = receipt_open(v, "checkpoint", ckpt, ckptlen, &cp, err,
	    errlen)) != 0)
		return rc;
	snprintf(r->rr_origin, sizeof(r->rr_origin), "%s", cp.nc_origin);
	if (strcmp(ocp.nc_origin, cp.nc_origin) != 0)
		return receipt_fail(err, errlen, RECEIPT_EMISMATCH,
		    "the checkpoints are of different logs ('%s', '%s')",
		    ocp.nc_origin, cp.nc_origin);
	if (ocp.nc_size != r->rr_old_size || cp.nc_size != r->rr_size)
		return receipt_fail(err, errlen, RECEIPT_EMISMATCH,
		    "old_size %" PRIu64 " and tree_size %" PRIu64 " differ "
		    "from the checkpoints' sizes %" PRIu64 " and %" PRIu64,
		    r->rr_old_size, r->rr_size, ocp.nc_size, cp.nc_size);
	if ((rc = merkle_verify_consistency(ocp.nc_size, cp.nc_size,
	    ocp.nc_root, cp.nc_root, proof, n)) != 0)
		return receipt_fail(err, errlen, RECEIPT_EPROOF, "consistency "
		    "proof from size %" PRIu64 " to %" PRIu64 " does not hold: "
		    "%s", ocp.nc_size, cp.nc_size, merkle_strerror(rc));
	r->rr_kind = RECEIPT_KIND_CONSISTENCY;
	return 0;
}

/* Units of the receipt as claims; *claims and *bufs to free(). */
static int
receipt_get_units(json_t *o, struct leaf_claim **claimsp, uint8_t **bufp,
    size_t *np, char *err, size_t errlen)
{
	struct leaf_claim *claims = NULL;
	const char *path, *value, *salt;
	uint8_t *buf = NULL, *p;
	json_t *a, *u;
	size_t n, i, total = 0, len;

	a = json_object_get(o, "units");
	if (!json_is_array(a))
		return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
		    "\"units\": missing or not an array");
	n = json_array_size(a);
	json_array_foreach(a, i, u) {
		if (!json_is_object(u) ||
		    !json_is_string(json_object_get(u, "path")) ||
		    !json_is_string(json_object_get(u, "value")) ||
		    !json_is_string(json_object_get(u, "salt")))
			return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
			    "\"units\"[%zu]: not an object with strings "
			    "\"path\", \"value\" and \"salt\"", i);
		total += json_string_length(json_object_get(u, "value")) / 2 +
		    LEAF_SALT_LEN;
	}
	if ((claims = calloc(n + 1, sizeof(*claims))) == NULL ||
	    (buf = malloc(total + 1)) == NULL) {
		free(claims);
		return ENOMEM;
	}
	p = buf;
	json_array_foreach(a, i, u) {
		path = json_string_value(json_object_get(u, "path"));
		value = json_string_value(json_object_get(u, "value"));
		salt = json_string_value(json_object_get(u, "salt"));
		claims[i].lc_path = path;
		claims[i].lc_pathlen = json_string_length(json_object_get(u,
		    "path"));
		if (receipt_unhex(value, p, total - (size_t)(p - buf),
		    &len) == -1)
			goto bad;
		claims[i].lc_value = p;
		claims[i].lc_valuelen = len;
		p += len;
		if (total - (size_t)(p - buf) < LEAF_SALT_LEN ||
		    receipt_unhex(salt, p, LEAF_SALT_LEN, &len) == -1 ||
		    len != LEAF_SALT_LEN)
			goto bad;
		claims[i].lc_salt = p;
		p += LEAF_SALT_LEN;
	}
	*claimsp = claims;
	*bufp = buf;
	*np = n;
	return 0;
bad:
	free(claims);
	free(buf);
	return receipt_fail(err, errlen, RECEIPT_EMALFORMED, "\"units\"[%zu] "
	    "(%s): value or salt is not hex (the salt of %d bytes)", i,
	    path, LEAF_SALT_LEN);
}

/*
 * Checks that entry_protobuf (if present) is the entry the units
 * disclose, and that entry (if present) is its JSON form.
 */
static int
receipt_check_entry(json_t *o, uint64_t index, const struct leaf_claim *cl,
    size_t n, char *err, size_t errlen)
{
	static const uint8_t dummy[LEAF_SECRET_LEN];
	Algaudit__V1__Entry *e = NULL;
	struct leaf_ctx *ctx = NULL;
	const struct leaf_unit *u;
	uint8_t hash[LEAF_HASH_LEN], *pb = NULL;
	const char *b64;
	json_t *mine = NULL, *theirs;
	char jerr[JSON_RECORD_ERRLEN];
	size_t len, i;
	int rc, pblen;

	if (json_object_get(o, "entry_protobuf") == NULL) {
		if (json_object_get(o, "entry") != NULL)
			return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
			    "\"entry\" without \"entry_protobuf\" cannot be "
			    "checked");
		return 0;
	}
	if (receipt_get_str(o, "entry_protobuf", &b64, &len, err, errlen) ==
	    -1)
		return RECEIPT_EMALFORMED;
	if ((pb = malloc(len / 4 * 3 + 3)) == NULL)
		return ENOMEM;
	pblen = EVP_DecodeBlock(pb, (const unsigned char *)b64, (int)len);
	if (len % 4 != 0 || pblen < 0) {
		rc = receipt_fail(err, errlen, RECEIPT_EMALFORMED,
		    "\"entry_protobuf\": not base64");
		goto out;
	}
	if (len > 0 && b64[len - 1] == '=')
		pblen--;
	if (len > 1 && b64[len - 2] == '=')
		pblen--;
	if ((e = algaudit__v1__entry__unpack(NULL, (size_t)pblen, pb)) ==
	    NULL) {
		rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
		    "\"entry_protobuf\" does not decode as an Entry");
		goto out;
	}
	if (!e->has_index || e->index != index) {
		rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
		    "\"entry_protobuf\" is not the entry at index %" PRIu64,
		    index);
		goto out;
	}
	/* Paths and values do not depend on the secret; salts do. */
	if ((rc = leaf_ctx_new(&ctx)) != 0)
		goto out;
	if ((rc = leaf_compute_secret(ctx, dummy, e, hash)) != 0) {
		rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
		    "\"entry_protobuf\": %s: %s", leaf_strerror(rc),
		    leaf_ctx_errmsg(ctx));
		goto out;
	}
	if (leaf_ctx_units(ctx) != n) {
		rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
		    "\"entry_protobuf\" has %zu units, \"units\" %zu",
		    leaf_ctx_units(ctx), n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		u = leaf_ctx_unit(ctx, i);
		if (u->lu_pathlen != cl[i].lc_pathlen ||
		    memcmp(u->lu_path, cl[i].lc_path, u->lu_pathlen) != 0 ||
		    u->lu_valuelen != cl[i].lc_valuelen ||
		    memcmp(u->lu_value, cl[i].lc_value, u->lu_valuelen) !=
		    0) {
			rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
			    "\"entry_protobuf\" differs from \"units\"[%zu] "
			    "(%s)", i, u->lu_path);
			goto out;
		}
	}
	if ((theirs = json_object_get(o, "entry")) != NULL) {
		if ((mine = json_record_from_entry(e, jerr, sizeof(jerr))) ==
		    NULL) {
			rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
			    "\"entry_protobuf\": %s", jerr);
			goto out;
		}
		if (!json_equal(mine, theirs)) {
			rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
			    "\"entry\" is not the JSON form of "
			    "\"entry_protobuf\"");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(mine);
	leaf_ctx_free(ctx);
	if (e != NULL)
		algaudit__v1__entry__free_unpacked(e, NULL);
	free(pb);
	return rc;
}

/* Checks a receipt object; fills r. */
static int
receipt_check_receipt(const struct note_verifier *v, json_t *o,
    struct receipt_result *r, char *err, size_t errlen)
{
	uint8_t leaf[MERKLE_HASH_LEN], given[MERKLE_HASH_LEN];
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	struct leaf_claim *claims = NULL;
	struct note_checkpoint cp;
	uint8_t *buf = NULL;
	const char *text, *ckpt;
	char lerr[256];
	size_t len, n, nunits = 0, ckptlen;
	uint64_t index;
	int rc;

	if (receipt_get_u64(o, "index", &r->rr_index, err, errlen) == -1 ||
	    receipt_get_str(o, "tlog_proof", &text, &len, err, errlen) == -1)
		return RECEIPT_EMALFORMED;
	if ((rc = receipt_tlog_proof_parse(text, len, &index, proof, &n,
	    &ckpt, &ckptlen, err, errlen)) != 0)
		return rc;
	if ((rc = receipt_open(v, "checkpoint", ckpt, ckptlen, &cp, err,
	    errlen)) != 0)
		return rc;
	snprintf(r->rr_origin, sizeof(r->rr_origin), "%s", cp.nc_origin);
	r->rr_size = cp.nc_size;
	if (index != r->rr_index)
		return receipt_fail(err, errlen, RECEIPT_EMISMATCH, "index "
		    "%" PRIu64 " differs from the tlog_proof's index %" PRIu64,
		    r->rr_index, index);
	if ((rc = receipt_get_units(o, &claims, &buf, &nunits, err,
	    errlen)) != 0)
		return rc;
	lerr[0] = '\0';
	if ((rc = leaf_hash_claims(index, claims, nunits, leaf, lerr,
	    sizeof(lerr))) != 0) {
		rc = receipt_fail(err, errlen, RECEIPT_EMALFORMED, "\"units\": "
		    "%s: %s", leaf_strerror(rc), lerr);
		goto out;
	}
	if (json_object_get(o, "leaf_hash") != NULL) {
		if (receipt_get_hash(o, "leaf_hash", given, err, errlen) ==
		    -1) {
			rc = RECEIPT_EMALFORMED;
			goto out;
		}
		if (memcmp(given, leaf, MERKLE_HASH_LEN) != 0) {
			rc = receipt_fail(err, errlen, RECEIPT_EMISMATCH,
			    "the units of entry %" PRIu64 " do not give "
			    "\"leaf_hash\": a unit was changed", index);
			goto out;
		}
	}
	if ((rc = merkle_verify_inclusion(leaf, index, cp.nc_size, proof, n,
	    cp.nc_root)) != 0) {
		rc = receipt_fail(err, errlen, RECEIPT_EPROOF, "inclusion "
		    "proof of entry %" PRIu64 " does not lead to the root of "
		    "the checkpoint at size %" PRIu64 ": %s", index,
		    cp.nc_size, merkle_strerror(rc));
		goto out;
	}
	if ((rc = receipt_check_entry(o, index, claims, nunits, err,
	    errlen)) != 0)
		goto out;
	memcpy(r->rr_leaf, leaf, MERKLE_HASH_LEN);
	r->rr_units = nunits;
	r->rr_kind = RECEIPT_KIND_RECEIPT;
out:
	free(claims);
	free(buf);
	return rc;
}

/*
 * Verifies o, a receipt, an inclusion proof or a consistency proof (told
 * apart by their keys), with the verifier key v alone.
 * @return 0 with r filled; RECEIPT_EMALFORMED (not one of the three, or
 *	a field malformed); RECEIPT_ESIG (a checkpoint's signature does not
 *	verify with v); RECEIPT_EPROOF (a proof does not lead to the
 *	checkpoint's root); RECEIPT_EMISMATCH (the parts disagree: index,
 *	size, leaf hash, units, entry); ENOMEM. err says what and where.
 */
int
receipt_check(const struct note_verifier *v, json_t *o,
    struct receipt_result *r, char *err, size_t errlen)
{
	json_t *f;

	memset(r, 0, sizeof(*r));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!json_is_object(o))
		return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
		    "not a JSON object");
	if ((f = json_object_get(o, "format")) != NULL) {
		if (!json_is_string(f) ||
		    strcmp(json_string_value(f), RECEIPT_FORMAT) != 0)
			return receipt_fail(err, errlen, RECEIPT_EMALFORMED,
			    "\"format\": not \"%s\"", RECEIPT_FORMAT);
		return receipt_check_receipt(v, o, r, err, errlen);
	}
	if (json_object_get(o, "old_size") != NULL)
		return receipt_check_consistency(v, o, r, err, errlen);
	if (json_object_get(o, "leaf_hash") != NULL)
		return receipt_check_inclusion(v, o, r, err, errlen);
	return receipt_fail(err, errlen, RECEIPT_EMALFORMED, "neither a "
	    "receipt (\"format\": \"%s\"), an inclusion proof (\"leaf_hash\") "
	    "nor a consistency proof (\"old_size\")", RECEIPT_FORMAT);
}
