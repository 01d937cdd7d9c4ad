/* SPDX-License-Identifier: ISC */
/*
 * leaf.c: the commitment leaf of a log entry, format v1.
 *
 * Cuts an unpacked Entry into disclosure units in their fixed order,
 * encodes each unit's value canonically, derives the unit salts from
 * the per-entry secret, commits to every unit and builds the leaf bytes
 * and the Merkle leaf hash; and, for verifiers, recomputes a leaf hash
 * from disclosed and withheld units. docs/VERIFIABLE.md is the
 * specification; this file must follow it byte for byte, and the
 * vectors in tests/unit/check_leaf.c hold both to it.
 *
 * This file never stores, prints or logs a secret, and wipes the ones
 * it held when a key or workspace is freed. It does no I/O.
 *
 * Speed matters (the writer computes one leaf per entry, verify one per
 * entry read; the budget is 3 us for a typical entry of 15 to 25
 * units): about one SHA-256 compression per commitment plus the leaf
 * bytes, and the salts from AES (AES-NI: a few ns each). Hence the
 * low-level SHA256_* functions, whose contexts can be copied (the HMAC
 * pads of the master secret are hashed once per key) and which cost
 * half of an EVP digest call in OpenSSL 3.0 (see merkle.c), paths built
 * without printf, and each unit's whole commitment preimage written
 * into one buffer and hashed in one call; the value inside it is what
 * leaf_ctx_unit() shows.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "leaf.h"
#include "merkle.h"

#define LEAF_TAG_ENTRY		"algaudit/v1/entry"	/* 17 bytes */
#define LEAF_TAG_ENTRY_LEN	17
#define LEAF_SALT_PREFIX	"algaudit"		/* 8 bytes */
#define LEAF_SALT_CHUNK		16	/* salts derived per cipher call */
#define LEAF_SALT_PRE		64	/* salt inputs prepared in the ctx */
#define LEAF_TAG_COMMIT		0x02

/* The master secret, ready for HMAC: the hashed inner and outer pads. */
struct leaf_key {
	SHA256_CTX	 lk_inner;
	SHA256_CTX	 lk_outer;
};

/* Where a unit sits in the workspace buffer while the leaf is built. */
struct leaf_slot {
	size_t		 ls_start;	/* commitment preimage */
	size_t		 ls_value;	/* canonical value */
};

struct leaf_ctx {
	uint8_t			*lc_buf;	/* commitment preimages */
	size_t			 lc_len;
	size_t			 lc_cap;
	struct leaf_unit	*lc_units;
	struct leaf_slot	*lc_slots;
	char			(*lc_paths)[LEAF_PATH_MAX];
	size_t			 lc_n;
	size_t			 lc_ucap;
	uint8_t			*lc_leaf;	/* leaf bytes */
	size_t			 lc_leaflen;
	size_t			 lc_leafcap;
	int			 lc_err;	/* sticky error of the puts */
	EVP_CIPHER		*lc_cipher;	/* AES-256-ECB, fetched once */
	EVP_CIPHER_CTX		*lc_aes;
	size_t			 lc_nsalts;	/* salts derived so far */
	uint8_t			 lc_salts[LEAF_SALT_CHUNK * LEAF_SALT_LEN];
	uint8_t			 lc_saltin[LEAF_SALT_PRE * LEAF_SALT_LEN];
	uint8_t			 lc_secret[LEAF_SECRET_LEN];
	char			 lc_msg[256];
};

/*
 * out = SHA-256(data). Not OpenSSL's SHA256(): in 3.0 that one-shot
 * fetches the algorithm on every call, four times the cost of a hash.
 */
static void
leaf_sha256(const void *data, size_t len, uint8_t *out)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

/* Formats the ctx's error message; returns err. */
static int
leaf_fail(struct leaf_ctx *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
leaf_fail(struct leaf_ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->lc_msg, sizeof(c->lc_msg), fmt, ap);
	va_end(ap);
	return err;
}

/* Writes v big-endian into n bytes at p. */
static void
leaf_be(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Fills out with fresh random bytes for a master secret. */
int
leaf_secret_generate(uint8_t *out)
{
	if (RAND_priv_bytes(out, LEAF_SECRET_LEN) != 1)
		return LEAF_ERANDOM;
	return 0;
}

/* Hashes the HMAC pads of the master secret once. */
int
leaf_key_new(struct leaf_key **kp, const uint8_t *master)
{
	struct leaf_key *k;
	uint8_t pad[SHA256_CBLOCK];
	size_t i;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return ENOMEM;
	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < LEAF_SECRET_LEN; i++)
		pad[i] ^= master[i];
	SHA256_Init(&k->lk_inner);
	SHA256_Update(&k->lk_inner, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < LEAF_SECRET_LEN; i++)
		pad[i] ^= master[i];
	SHA256_Init(&k->lk_outer);
	SHA256_Update(&k->lk_outer, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
	*kp = k;
	return 0;
}

/* Wipes and frees a key. */
void
leaf_key_free(struct leaf_key *k)
{
	if (k == NULL)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* HMAC-SHA-256(master, "algaudit/v1/entry" || u64 BE index). */
void
leaf_entry_secret(const struct leaf_key *k, uint64_t index, uint8_t *out)
{
	uint8_t msg[LEAF_TAG_ENTRY_LEN + 8], inner[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;

	memcpy(msg, LEAF_TAG_ENTRY, LEAF_TAG_ENTRY_LEN);
	leaf_be(msg + LEAF_TAG_ENTRY_LEN, index, 8);
	c = k->lk_inner;
	SHA256_Update(&c, msg, sizeof(msg));
	SHA256_Final(inner, &c);
	c = k->lk_outer;
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(&c, sizeof(c));
}

/*
 * Writes the cipher input of the salts base .. base + n - 1, the blocks
 * "algaudit" || u64 BE j, to in.
 */
static void
leaf_salt_input(uint8_t *in, size_t base, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(in + i * LEAF_SALT_LEN, LEAF_SALT_PREFIX, 8);
		leaf_be(in + i * LEAF_SALT_LEN + 8, base + i, 8);
	}
}

/* A new, empty workspace. */
int
leaf_ctx_new(struct leaf_ctx **cp)
{
	struct leaf_ctx *c;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ENOMEM;
	/*
	 * Set the cipher once: re-keying with a NULL cipher then keeps the
	 * provider context instead of rebuilding it for every entry.
	 */
	if ((c->lc_cipher = EVP_CIPHER_fetch(NULL, "AES-256-ECB",
	    NULL)) == NULL || (c->lc_aes = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(c->lc_aes, c->lc_cipher, NULL, NULL,
	    NULL) != 1) {
		leaf_ctx_free(c);
		return ENOMEM;
	}
	/* The input of the first salts never changes: prepared once. */
	leaf_salt_input(c->lc_saltin, 0, LEAF_SALT_PRE);
	*cp = c;
	return 0;
}

/* Wipes the salts and secret a workspace held, and frees it. */
void
leaf_ctx_free(struct leaf_ctx *c)
{
	if (c == NULL)
		return;
	if (c->lc_buf != NULL)
		OPENSSL_cleanse(c->lc_buf, c->lc_cap);
	if (c->lc_units != NULL)
		OPENSSL_cleanse(c->lc_units, c->lc_ucap * sizeof(*c->lc_units));
	OPENSSL_cleanse(c->lc_secret, sizeof(c->lc_secret));
	OPENSSL_cleanse(c->lc_salts, sizeof(c->lc_salts));
	EVP_CIPHER_CTX_free(c->lc_aes);
	EVP_CIPHER_free(c->lc_cipher);
	free(c->lc_buf);
	free(c->lc_units);
	free(c->lc_slots);
	free(c->lc_paths);
	free(c->lc_leaf);
	free(c);
}

/* Grows *buf to hold need bytes; returns 0 or ENOMEM. */
static int
leaf_grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;
	size_t n = *cap ? *cap : 1024;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return ENOMEM;
		n *= 2;
	}
	if ((p = realloc(*buf, n)) == NULL)
		return ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/* Grows the workspace buffer for len more bytes (sticky error). */
static int
leaf_put_grow(struct leaf_ctx *c, size_t len)
{
	if (c->lc_err != 0)
		return -1;
	if (len > SIZE_MAX - c->lc_len ||
	    leaf_grow(&c->lc_buf, &c->lc_cap, c->lc_len + len) != 0) {
		c->lc_err = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * Appends len bytes to the workspace buffer. After an error the bytes
 * may go nowhere; the caller checks lc_err at the end.
 */
static inline void
leaf_put(struct leaf_ctx *c, const void *p, size_t len)
{
	if (len == 0 ||
	    (c->lc_cap - c->lc_len < len && leaf_put_grow(c, len) != 0))
		return;
	memcpy(c->lc_buf + c->lc_len, p, len);
	c->lc_len += len;
}

/* Appends an n-byte big-endian integer. */
static inline void
leaf_put_be(struct leaf_ctx *c, uint64_t v, int n)
{
	if (c->lc_cap - c->lc_len < (size_t)n &&
	    leaf_put_grow(c, (size_t)n) != 0)
		return;
	leaf_be(c->lc_buf + c->lc_len, v, n);
	c->lc_len += (size_t)n;
}

/* Appends a type tag. */
static inline void
leaf_put_tag(struct leaf_ctx *c, uint8_t tag)
{
	leaf_put_be(c, tag, 1);
}

/* STRING or BYTES value: tag, u32 BE length, bytes. */
static void
leaf_v_blob(struct leaf_ctx *c, uint8_t tag, const void *p, size_t len)
{
	if (len > UINT32_MAX) {
		if (c->lc_err == 0)
			c->lc_err = LEAF_ETOOBIG;
		return;
	}
	leaf_put_tag(c, tag);
	leaf_put_be(c, len, 4);
	leaf_put(c, p, len);
}

/* STRING value; NULL (as in an unset oneof) is the empty string. */
static void
leaf_v_string(struct leaf_ctx *c, const char *s)
{
	leaf_v_blob(c, LEAF_T_STRING, s, s != NULL ? strlen(s) : 0);
}

/* UINT value. */
static void
leaf_v_uint(struct leaf_ctx *c, uint64_t v)
{
	leaf_put_tag(c, LEAF_T_UINT);
	leaf_put_be(c, v, 8);
}

/* INT value: two's complement. */
static void
leaf_v_int(struct leaf_ctx *c, int64_t v)
{
	leaf_put_tag(c, LEAF_T_INT);
	leaf_put_be(c, (uint64_t)v, 8);
}

/* DOUBLE value: the IEEE 754 bits, as stored (no normalisation). */
static void
leaf_v_double(struct leaf_ctx *c, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	leaf_put_tag(c, LEAF_T_DOUBLE);
	leaf_put_be(c, bits, 8);
}

/* BOOL value: 0x00 or 0x01. */
static void
leaf_v_bool(struct leaf_ctx *c, int v)
{
	leaf_put_tag(c, LEAF_T_BOOL);
	leaf_put_be(c, v != 0, 1);
}

/* ENUM value: the int32 number, two's complement. */
static void
leaf_v_enum(struct leaf_ctx *c, int v)
{
	leaf_put_tag(c, LEAF_T_ENUM);
	leaf_put_be(c, (uint32_t)(int32_t)v, 4);
}

/* Opens a MESSAGE value; returns where its length goes. */
static size_t
leaf_msg_begin(struct leaf_ctx *c)
{
	size_t at;

	leaf_put_tag(c, LEAF_T_MESSAGE);
	at = c->lc_len;
	leaf_put_be(c, 0, 4);
	return at;
}

/* Closes a MESSAGE value: patches its body length. */
static void
leaf_msg_end(struct leaf_ctx *c, size_t at)
{
	size_t len;

	if (c->lc_err != 0)
		return;
	len = c->lc_len - at - 4;
	if (len > UINT32_MAX) {
		c->lc_err = LEAF_ETOOBIG;
		return;
	}
	leaf_be(c->lc_buf + at, len, 4);
}

/* Field number of a MESSAGE body. */
static inline void
leaf_field(struct leaf_ctx *c, uint8_t num)
{
	leaf_put_be(c, num, 1);
}

/*
 * The salt of unit j: AES-256 under the entry secret of the block
 * "algaudit" || u64 BE j. Derived LEAF_SALT_CHUNK at a time with one
 * cipher call (AES-NI makes a salt cost a few nanoseconds; a SHA-256
 * per pair of salts cost a quarter of the leaf's time).
 */
static void
leaf_salt(struct leaf_ctx *c, size_t j, uint8_t *salt)
{
	uint8_t more[LEAF_SALT_CHUNK * LEAF_SALT_LEN];
	const uint8_t *in;
	int outl;

	if (j == c->lc_nsalts) {
		if (j + LEAF_SALT_CHUNK <= LEAF_SALT_PRE)
			in = c->lc_saltin + j * LEAF_SALT_LEN;
		else {
			leaf_salt_input(more, j, LEAF_SALT_CHUNK);
			in = more;
		}
		/* Whole blocks only: padding never comes into play. */
		if ((j == 0 && EVP_EncryptInit_ex2(c->lc_aes, NULL,
		    c->lc_secret, NULL, NULL) != 1) ||
		    EVP_EncryptUpdate(c->lc_aes, c->lc_salts, &outl, in,
		    (int)sizeof(more)) != 1 || outl != (int)sizeof(more)) {
			if (c->lc_err == 0)
				c->lc_err = LEAF_ECRYPTO;
			memset(salt, 0, LEAF_SALT_LEN);
			return;
		}
		c->lc_nsalts += LEAF_SALT_CHUNK;
	}
	memcpy(salt, c->lc_salts + (j % LEAF_SALT_CHUNK) * LEAF_SALT_LEN,
	    LEAF_SALT_LEN);
}

/* No position: the unit is not an element of a repeated field. */
#define LEAF_NOPOS	SIZE_MAX

/*
 * Starts unit number lc_n, whose path is name (len bytes), followed by
 * "[pos]" unless pos is LEAF_NOPOS: derives its salt and writes the
 * commitment preimage up to the value (0x02 || salt).
 */
static void
leaf_unit_begin(struct leaf_ctx *c, const char *name, size_t len, size_t pos)
{
	struct leaf_unit *u;
	char digits[24], *path;
	size_t n, j = c->lc_n, nd = 0;
	void *p;

	if (c->lc_err != 0)
		return;
	if (j == c->lc_ucap) {
		n = c->lc_ucap ? 2 * c->lc_ucap : 32;
		if ((p = realloc(c->lc_units, n * sizeof(*c->lc_units))) ==
		    NULL)
			goto nomem;
		c->lc_units = p;
		if ((p = realloc(c->lc_slots, n * sizeof(*c->lc_slots))) ==
		    NULL)
			goto nomem;
		c->lc_slots = p;
		if ((p = realloc(c->lc_paths, n * sizeof(*c->lc_paths))) ==
		    NULL)
			goto nomem;
		c->lc_paths = p;
		c->lc_ucap = n;
	}
	u = &c->lc_units[j];
	path = c->lc_paths[j];
	/* At most 25 + 22 bytes: always fits LEAF_PATH_MAX. */
	memcpy(path, name, len);
	if (pos != LEAF_NOPOS) {
		do {
			digits[nd++] = (char)('0' + pos % 10);
			pos /= 10;
		} while (pos > 0);
		path[len++] = '[';
		while (nd > 0)
			path[len++] = digits[--nd];
		path[len++] = ']';
	}
	path[len] = '\0';
	u->lu_path = path;
	u->lu_pathlen = len;
	leaf_salt(c, j, u->lu_salt);
	c->lc_slots[j].ls_start = c->lc_len;
	leaf_put_tag(c, LEAF_TAG_COMMIT);
	leaf_put(c, u->lu_salt, LEAF_SALT_LEN);
	c->lc_slots[j].ls_value = c->lc_len;
	return;
nomem:
	c->lc_err = ENOMEM;
}

/* Starts a unit whose path is the string literal lit. */
#define LEAF_UNIT(c, lit)	leaf_unit_begin((c), (lit), sizeof(lit) - 1, \
				    LEAF_NOPOS)

/* Ends the current unit: hashes its preimage into the commitment. */
static void
leaf_unit_end(struct leaf_ctx *c)
{
	struct leaf_slot *s;

	if (c->lc_err != 0)
		return;
	s = &c->lc_slots[c->lc_n];
	c->lc_units[c->lc_n].lu_valuelen = c->lc_len - s->ls_value;
	leaf_sha256(c->lc_buf + s->ls_start, c->lc_len - s->ls_start,
	    c->lc_units[c->lc_n].lu_commit);
	c->lc_n++;
}

/* Refuses a message with unknown fields, naming where and which. */
static int
leaf_check_unknown(struct leaf_ctx *c, const ProtobufCMessage *m,
    const char *what, size_t i, int indexed)
{
	if (m == NULL || m->n_unknown_fields == 0)
		return 0;
	if (indexed)
		return leaf_fail(c, LEAF_EUNKNOWN, "%s[%zu]: unknown field "
		    "number %u, which leaf format v1 cannot bind", what, i,
		    m->unknown_fields[0].tag);
	return leaf_fail(c, LEAF_EUNKNOWN, "%s: unknown field number %u, "
	    "which leaf format v1 cannot bind", what,
	    m->unknown_fields[0].tag);
}

/* Checks every message of the entry for unknown fields. */
static int
leaf_check_entry(struct leaf_ctx *c, const Algaudit__V1__Entry *e)
{
	const Algaudit__V1__DecisionRecord *r = e->record;
	const Algaudit__V1__Explanation *x = r->explanation;
	size_t i;

	if (leaf_check_unknown(c, &e->base, "entry", 0, 0) != 0 ||
	    leaf_check_unknown(c, e->peer ? &e->peer->base : NULL,
	    "entry.peer", 0, 0) != 0 ||
	    leaf_check_unknown(c, &r->base, "record", 0, 0) != 0 ||
	    leaf_check_unknown(c, r->algorithm ? &r->algorithm->base : NULL,
	    "algorithm", 0, 0) != 0 ||
	    leaf_check_unknown(c, x ? &x->base : NULL, "explanation", 0,
	    0) != 0)
		return LEAF_EUNKNOWN;
	for (i = 0; i < r->n_inputs; i++)
		if (leaf_check_unknown(c, &r->inputs[i]->base, "inputs", i,
		    1) != 0)
			return LEAF_EUNKNOWN;
	for (i = 0; x != NULL && i < x->n_attributions; i++)
		if (leaf_check_unknown(c, &x->attributions[i]->base,
		    "explanation.attributions", i, 1) != 0)
			return LEAF_EUNKNOWN;
	for (i = 0; i < r->n_labels; i++)
		if (leaf_check_unknown(c, &r->labels[i]->base, "labels", i,
		    1) != 0)
			return LEAF_EUNKNOWN;
	return 0;
}

/* A STRING unit, if the field is present. */
static void
leaf_unit_string(struct leaf_ctx *c, const char *path, const char *s)
{
	if (s == NULL)
		return;
	leaf_unit_begin(c, path, strlen(path), LEAF_NOPOS);
	leaf_v_string(c, s);
	leaf_unit_end(c);
}

/*
 * The units of the daemon's fields: receive time, producer, peer and,
 * last so that entries without it bind as before, the clock-skew flag.
 */
static void
leaf_units_entry(struct leaf_ctx *c, const Algaudit__V1__Entry *e)
{
	const Algaudit__V1__Peer *p = e->peer;
	size_t at;

	if (e->has_receive_time_ns) {
		LEAF_UNIT(c, "entry.receive_time_ns");
		leaf_v_int(c, e->receive_time_ns);
		leaf_unit_end(c);
	}
	leaf_unit_string(c, "entry.producer_id", e->producer_id);
	if (p != NULL) {
		LEAF_UNIT(c, "entry.peer");
		at = leaf_msg_begin(c);
		if (p->has_uid) {
			leaf_field(c, 1);
			leaf_v_uint(c, p->uid);
		}
		if (p->has_gid) {
			leaf_field(c, 2);
			leaf_v_uint(c, p->gid);
		}
		if (p->has_pid) {
			leaf_field(c, 3);
			leaf_v_uint(c, p->pid);
		}
		if (p->tls_subject != NULL) {
			leaf_field(c, 4);
			leaf_v_string(c, p->tls_subject);
		}
		if (p->address != NULL) {
			leaf_field(c, 5);
			leaf_v_string(c, p->address);
		}
		leaf_msg_end(c, at);
		leaf_unit_end(c);
	}
	if (e->has_clock_skewed) {
		LEAF_UNIT(c, "entry.clock_skewed");
		leaf_v_bool(c, e->clock_skewed);
		leaf_unit_end(c);
	}
}

/* The algorithm unit. */
static void
leaf_unit_algorithm(struct leaf_ctx *c, const Algaudit__V1__Algorithm *a)
{
	size_t at;

	if (a == NULL)
		return;
	LEAF_UNIT(c, "algorithm");
	at = leaf_msg_begin(c);
	if (a->id != NULL) {
		leaf_field(c, 1);
		leaf_v_string(c, a->id);
	}
	if (a->version != NULL) {
		leaf_field(c, 2);
		leaf_v_string(c, a->version);
	}
	if (a->has_type) {
		leaf_field(c, 3);
		leaf_v_enum(c, a->type);
	}
	if (a->filing_number != NULL) {
		leaf_field(c, 4);
		leaf_v_string(c, a->filing_number);
	}
	if (a->has_model_digest) {
		leaf_field(c, 5);
		leaf_v_blob(c, LEAF_T_BYTES, a->model_digest.data,
		    a->model_digest.len);
	}
	leaf_msg_end(c, at);
	leaf_unit_end(c);
}

/* One unit per input, by position. */
static void
leaf_units_inputs(struct leaf_ctx *c, const Algaudit__V1__DecisionRecord *r)
{
	const Algaudit__V1__Input *in;
	size_t i, at;

	for (i = 0; i < r->n_inputs; i++) {
		in = r->inputs[i];
		leaf_unit_begin(c, "inputs", 6, i);
		at = leaf_msg_begin(c);
		if (in->name != NULL) {
			leaf_field(c, 1);
			leaf_v_string(c, in->name);
		}
		switch (in->value_case) {
		case ALGAUDIT__V1__INPUT__VALUE_TEXT:
			leaf_field(c, 2);
			leaf_v_string(c, in->text);
			break;
		case ALGAUDIT__V1__INPUT__VALUE_NUMBER:
			leaf_field(c, 3);
			leaf_v_double(c, in->number);
			break;
		case ALGAUDIT__V1__INPUT__VALUE_FLAG:
			leaf_field(c, 4);
			leaf_v_bool(c, in->flag);
			break;
		default:
			break;
		}
		if (in->has_data_class) {
			leaf_field(c, 5);
			leaf_v_enum(c, in->data_class);
		}
		leaf_msg_end(c, at);
		leaf_unit_end(c);
	}
}

/*
 * The explanation's units: each attribution and reason code by
 * position, and the text. An explanation with none of them set has no
 * units and binds exactly like an absent one.
 */
static void
leaf_units_explanation(struct leaf_ctx *c, const Algaudit__V1__Explanation *x)
{
	const Algaudit__V1__Attribution *a;
	size_t i, at;

	if (x == NULL)
		return;
	for (i = 0; i < x->n_attributions; i++) {
		a = x->attributions[i];
		leaf_unit_begin(c, "explanation.attributions", 24, i);
		at = leaf_msg_begin(c);
		if (a->feature != NULL) {
			leaf_field(c, 1);
			leaf_v_string(c, a->feature);
		}
		if (a->has_weight) {
			leaf_field(c, 2);
			leaf_v_double(c, a->weight);
		}
		leaf_msg_end(c, at);
		leaf_unit_end(c);
	}
	for (i = 0; i < x->n_reason_codes; i++) {
		leaf_unit_begin(c, "explanation.reason_codes", 24, i);
		leaf_v_string(c, x->reason_codes[i]);
		leaf_unit_end(c);
	}
	leaf_unit_string(c, "explanation.text", x->text);
}

/* One unit per label, by position. */
static void
leaf_units_labels(struct leaf_ctx *c, const Algaudit__V1__DecisionRecord *r)
{
	const Algaudit__V1__Label *l;
	size_t i, at;

	for (i = 0; i < r->n_labels; i++) {
		l = r->labels[i];
		leaf_unit_begin(c, "labels", 6, i);
		at = leaf_msg_begin(c);
		if (l->key != NULL) {
			leaf_field(c, 1);
			leaf_v_string(c, l->key);
		}
		if (l->value != NULL) {
			leaf_field(c, 2);
			leaf_v_string(c, l->value);
		}
		leaf_msg_end(c, at);
		leaf_unit_end(c);
	}
}

/* The record's units, in field-number order. */
static void
leaf_units_record(struct leaf_ctx *c, const Algaudit__V1__DecisionRecord *r)
{
	if (r->has_producer_seq) {
		LEAF_UNIT(c, "producer_seq");
		leaf_v_uint(c, r->producer_seq);
		leaf_unit_end(c);
	}
	if (r->has_event_time_ns) {
		LEAF_UNIT(c, "event_time_ns");
		leaf_v_int(c, r->event_time_ns);
		leaf_unit_end(c);
	}
	leaf_unit_algorithm(c, r->algorithm);
	leaf_unit_string(c, "subject", r->subject);
	leaf_unit_string(c, "decision", r->decision);
	if (r->has_score) {
		LEAF_UNIT(c, "score");
		leaf_v_double(c, r->score);
		leaf_unit_end(c);
	}
	leaf_units_inputs(c, r);
	if (r->has_input_digest) {
		LEAF_UNIT(c, "input_digest");
		leaf_v_blob(c, LEAF_T_BYTES, r->input_digest.data,
		    r->input_digest.len);
		leaf_unit_end(c);
	}
	leaf_units_explanation(c, r->explanation);
	if (r->has_automation) {
		LEAF_UNIT(c, "automation");
		leaf_v_enum(c, r->automation);
		leaf_unit_end(c);
	}
	leaf_unit_string(c, "reviewer", r->reviewer);
	if (r->has_data_class) {
		LEAF_UNIT(c, "data_class");
		leaf_v_enum(c, r->data_class);
		leaf_unit_end(c);
	}
	leaf_unit_string(c, "jurisdiction", r->jurisdiction);
	leaf_unit_string(c, "purpose", r->purpose);
	leaf_unit_string(c, "trace_id", r->trace_id);
	leaf_unit_string(c, "decision_id", r->decision_id);
	leaf_units_labels(c, r);
	if (r->has_lost_records) {
		LEAF_UNIT(c, "lost_records");
		leaf_v_uint(c, r->lost_records);
		leaf_unit_end(c);
	}
}

/* Builds the leaf bytes from the units and hashes them. */
static int
leaf_build(struct leaf_ctx *c, uint64_t index, uint8_t *hash)
{
	struct leaf_unit *u;
	size_t i, need;
	uint8_t *p;

	need = LEAF_MAGIC_LEN + 8 + 4;
	for (i = 0; i < c->lc_n; i++)
		need += 1 + c->lc_units[i].lu_pathlen + LEAF_COMMIT_LEN;
	if (leaf_grow(&c->lc_leaf, &c->lc_leafcap, need) != 0)
		return ENOMEM;
	p = c->lc_leaf;
	memcpy(p, LEAF_MAGIC, LEAF_MAGIC_LEN);
	p += LEAF_MAGIC_LEN;
	leaf_be(p, index, 8);
	p += 8;
	leaf_be(p, c->lc_n, 4);
	p += 4;
	for (i = 0; i < c->lc_n; i++) {
		u = &c->lc_units[i];
		/* The buffers no longer move: point the units into them. */
		u->lu_path = c->lc_paths[i];
		u->lu_value = c->lc_buf + c->lc_slots[i].ls_value;
		*p++ = (uint8_t)u->lu_pathlen;
		memcpy(p, u->lu_path, u->lu_pathlen);
		p += u->lu_pathlen;
		memcpy(p, u->lu_commit, LEAF_COMMIT_LEN);
		p += LEAF_COMMIT_LEN;
	}
	c->lc_leaflen = need;
	merkle_hash_leaf(c->lc_leaf, c->lc_leaflen, hash);
	return 0;
}

/* Computes units, commitments, leaf bytes and hash from the secret. */
int
leaf_compute_secret(struct leaf_ctx *c, const uint8_t *secret,
    const Algaudit__V1__Entry *e, uint8_t *hash)
{
	int rc;

	c->lc_len = 0;
	c->lc_n = 0;
	c->lc_nsalts = 0;
	c->lc_leaflen = 0;
	c->lc_err = 0;
	c->lc_msg[0] = '\0';
	if (!e->has_index)
		return leaf_fail(c, LEAF_EINVAL, "entry: index missing");
	if (e->record == NULL)
		return leaf_fail(c, LEAF_EINVAL, "entry %llu: record missing",
		    (unsigned long long)e->index);
	if ((rc = leaf_check_entry(c, e)) != 0)
		return rc;
	memcpy(c->lc_secret, secret, LEAF_SECRET_LEN);
	leaf_units_entry(c, e);
	leaf_units_record(c, e->record);
	/* The salts stay in the units until the next use or the free. */
	OPENSSL_cleanse(c->lc_secret, sizeof(c->lc_secret));
	if (c->lc_err != 0) {
		rc = c->lc_err;
		/* The unit in progress is the one at fault. */
		if (rc == LEAF_ETOOBIG)
			leaf_fail(c, rc, "entry %llu: unit %s: a value is "
			    "longer than 2^32 - 1 bytes",
			    (unsigned long long)e->index,
			    c->lc_paths[c->lc_n]);
		else
			leaf_fail(c, rc, "entry %llu: %s",
			    (unsigned long long)e->index, leaf_strerror(rc));
		c->lc_n = 0;
		return rc;
	}
	if ((rc = leaf_build(c, e->index, hash)) != 0) {
		c->lc_n = 0;
		return leaf_fail(c, rc, "entry %llu: %s",
		    (unsigned long long)e->index, leaf_strerror(rc));
	}
	return 0;
}

/* Computes the leaf from the master key: derives the entry secret. */
int
leaf_compute(struct leaf_ctx *c, const struct leaf_key *k,
    const Algaudit__V1__Entry *e, uint8_t *hash)
{
	uint8_t secret[LEAF_SECRET_LEN];
	int rc;

	if (!e->has_index) {
		c->lc_n = 0;
		c->lc_leaflen = 0;
		return leaf_fail(c, LEAF_EINVAL, "entry: index missing");
	}
	leaf_entry_secret(k, e->index, secret);
	rc = leaf_compute_secret(c, secret, e, hash);
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

/* Number of units of the last leaf. */
size_t
leaf_ctx_units(const struct leaf_ctx *c)
{
	return c->lc_n;
}

/* Unit i of the last leaf, or NULL. */
const struct leaf_unit *
leaf_ctx_unit(const struct leaf_ctx *c, size_t i)
{
	if (i >= c->lc_n)
		return NULL;
	return &c->lc_units[i];
}

/* The last leaf's bytes. */
const uint8_t *
leaf_ctx_bytes(const struct leaf_ctx *c, size_t *len)
{
	*len = c->lc_leaflen;
	return c->lc_leaflen > 0 ? c->lc_leaf : NULL;
}

/* The last failure's message. */
const char *
leaf_ctx_errmsg(const struct leaf_ctx *c)
{
	return c->lc_msg;
}

/* SHA-256(0x02 || salt || value). */
void
leaf_commit(const uint8_t *salt, const uint8_t *value, size_t len,
    uint8_t *out)
{
	uint8_t head[1 + LEAF_SALT_LEN];
	SHA256_CTX c;

	head[0] = LEAF_TAG_COMMIT;
	memcpy(head + 1, salt, LEAF_SALT_LEN);
	SHA256_Init(&c);
	SHA256_Update(&c, head, sizeof(head));
	SHA256_Update(&c, value, len);
	SHA256_Final(out, &c);
}

/* Recomputes a leaf hash from disclosed and withheld units. */
int
leaf_hash_claims(uint64_t index, const struct leaf_claim *claims, size_t n,
    uint8_t *hash, char *err, size_t errlen)
{
	const struct leaf_claim *cl;
	uint8_t head[1 + LEAF_MAGIC_LEN + 8 + 4], cm[LEAF_COMMIT_LEN], pl;
	SHA256_CTX c;
	size_t i;

	if (n > UINT32_MAX) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%zu units: more than 2^32 - 1",
			    n);
		return LEAF_ECLAIM;
	}
	head[0] = 0x00;
	memcpy(head + 1, LEAF_MAGIC, LEAF_MAGIC_LEN);
	leaf_be(head + 1 + LEAF_MAGIC_LEN, index, 8);
	leaf_be(head + 1 + LEAF_MAGIC_LEN + 8, n, 4);
	SHA256_Init(&c);
	SHA256_Update(&c, head, sizeof(head));
	for (i = 0; i < n; i++) {
		cl = &claims[i];
		if (cl->lc_path == NULL || cl->lc_pathlen == 0 ||
		    cl->lc_pathlen >= LEAF_PATH_MAX) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "unit %zu: path empty "
				    "or longer than %d bytes", i,
				    LEAF_PATH_MAX - 1);
			return LEAF_EPATH;
		}
		if (cl->lc_commit != NULL && cl->lc_value == NULL &&
		    cl->lc_salt == NULL)
			memcpy(cm, cl->lc_commit, LEAF_COMMIT_LEN);
		else if (cl->lc_commit == NULL && cl->lc_value != NULL &&
		    cl->lc_salt != NULL)
			leaf_commit(cl->lc_salt, cl->lc_value,
			    cl->lc_valuelen, cm);
		else {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "unit %zu (%.*s): give "
				    "either value and salt, or the "
				    "commitment", i, (int)cl->lc_pathlen,
				    cl->lc_path);
			return LEAF_ECLAIM;
		}
		pl = (uint8_t)cl->lc_pathlen;
		SHA256_Update(&c, &pl, 1);
		SHA256_Update(&c, cl->lc_path, cl->lc_pathlen);
		SHA256_Update(&c, cm, sizeof(cm));
	}
	SHA256_Final(hash, &c);
	return 0;
}

/* Explains a LEAF_E* code, or any errno. */
const char *
leaf_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case LEAF_EINVAL:
		return "LEAF_EINVAL: the entry lacks its index or its record";
	case LEAF_EUNKNOWN:
		return "LEAF_EUNKNOWN: the entry holds fields that leaf "
		    "format v1 cannot bind";
	case LEAF_ETOOBIG:
		return "LEAF_ETOOBIG: a value is longer than 2^32 - 1 bytes";
	case LEAF_EPATH:
		return "LEAF_EPATH: a unit path is empty or too long";
	case LEAF_ECLAIM:
		return "LEAF_ECLAIM: a unit is neither disclosed (value and "
		    "salt) nor withheld (commitment)";
	case LEAF_ERANDOM:
		return "LEAF_ERANDOM: the random generator failed";
	case LEAF_ECRYPTO:
		return "LEAF_ECRYPTO: OpenSSL failed to derive the salts";
	default:
		if (err > 0)
			return strerror(err);
		return "unknown leaf error";
	}
}
