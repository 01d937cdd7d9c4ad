/* SPDX-License-Identifier: ISC */
/*
 * note.c: Ed25519 keys, signed notes and checkpoints.
 *
 * Writes and checks the golang.org/x/mod/sumdb/note format and the
 * C2SP tlog-checkpoint body, byte for byte as Go's implementation does
 * (and a little stricter: canonical base64, no control characters in
 * names). The key file is the only I/O; it is created with O_EXCL and
 * mode 0600 and refused when others can read it. Secrets (the seed, the
 * key text) are wiped from memory when no longer needed; nothing here
 * prints or logs.
 *
 * A note is parsed by hand, in the order of Go's note.Open: the whole
 * message must be UTF-8 with no control character but newline, the
 * signatures follow the last blank line, each on a line of its own
 * starting with "— " (U+2014, space).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "note.h"

#define NOTE_ALG_ED25519	0x01
#define NOTE_DASH		"\xe2\x80\x94 "	/* U+2014 and a space */
#define NOTE_DASH_LEN		4
#define NOTE_KEYFILE_MAX	1024
#define NOTE_SKEY_PREFIX	"PRIVATE+KEY+"
#define NOTE_SKEY_PREFIX_LEN	12

struct note_signer {
	char		 ns_name[NOTE_NAME_MAX + 1];
	uint8_t		 ns_seed[NOTE_SEED_LEN];
	uint8_t		 ns_pub[NOTE_PUB_LEN];
	uint32_t	 ns_hash;
	EVP_PKEY	*ns_pkey;
};

struct note_verifier {
	char		 nv_name[NOTE_NAME_MAX + 1];
	uint8_t		 nv_pub[NOTE_PUB_LEN];
	uint32_t	 nv_hash;
	EVP_PKEY	*nv_pkey;
};

static const char note_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Formats a message into err (if any); returns code. */
static int
note_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
note_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/*
 * Decodes the UTF-8 character at s[*i] (len bytes in all) into *cp and
 * advances *i; returns -1 on an invalid sequence (RFC 3629: no overlong
 * form, no surrogate, nothing above U+10FFFF).
 */
static int
note_utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	size_t n, k;
	uint32_t c;

	c = s[*i];
	if (c < 0x80) {
		(*i)++;
		*cp = c;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		c &= 0x07;
	} else
		return -1;
	if (len - *i <= n)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[*i + k] & 0x3f);
	}
	if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*i += n + 1;
	*cp = c;
	return 0;
}

/* Whether cp is white space as Go's unicode.IsSpace says. */
static int
note_is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	    cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	    cp == 0x3000;
}

/*
 * Checks a key name: 1 to NOTE_NAME_MAX bytes of UTF-8, no white space,
 * no '+', no control character. Returns 0 or NOTE_ENAME.
 */
static int
note_name_check(const char *name, size_t len, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0;
	uint32_t cp;

	if (len == 0 || len > NOTE_NAME_MAX)
		return note_fail(err, errlen, NOTE_ENAME, "key name: %zu "
		    "bytes, must be 1 to %d", len, NOTE_NAME_MAX);
	while (i < len) {
		if (note_utf8_next(s, len, &i, &cp) == -1)
			return note_fail(err, errlen, NOTE_ENAME, "key name: "
			    "not valid UTF-8 at byte %zu", i);
		if (note_is_space(cp) || cp == '+' || cp < 0x20 ||
		    (cp >= 0x7f && cp < 0xa0))
			return note_fail(err, errlen, NOTE_ENAME, "key name: "
			    "white space, control character or '+' before "
			    "byte %zu", i);
	}
	return 0;
}

/*
 * Checks signable text: UTF-8, no control character except newline.
 * Returns 0, or NOTE_EMALFORMED naming the line.
 */
static int
note_text_check(const char *text, size_t len, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, at, line = 1;
	uint32_t cp;

	while (i < len) {
		at = i;
		if (note_utf8_next(s, len, &i, &cp) == -1)
			return note_fail(err, errlen, NOTE_EMALFORMED, "line "
			    "%zu: not valid UTF-8 at byte %zu", line, at);
		if (cp == '\n')
			line++;
		else if (cp < 0x20 || cp == 0x7f)
			return note_fail(err, errlen, NOTE_EMALFORMED, "line "
			    "%zu: control character 0x%02x at byte %zu",
			    line, (unsigned int)cp, at);
	}
	return 0;
}

/* Standard base64 with padding of n bytes into out (NUL-terminated). */
static size_t
note_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = note_b64[v >> 18];
		out[o++] = note_b64[v >> 12 & 63];
		out[o++] = note_b64[v >> 6 & 63];
		out[o++] = note_b64[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = note_b64[v >> 18];
		out[o++] = note_b64[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = note_b64[v >> 18];
		out[o++] = note_b64[v >> 12 & 63];
		out[o++] = note_b64[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The value of a base64 character, or -1. */
static int
note_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes canonical standard base64 (padded, unused bits zero) of len
 * characters into out (room for max bytes). Returns the byte count, or
 * -1 if malformed or too long.
 */
static long
note_b64_decode(const char *in, size_t len, uint8_t *out, size_t max)
{
	size_t i, o = 0, pad = 0;
	uint32_t v;
	int k, d;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	if ((len / 4) * 3 - pad > max)
		return -1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (i + k >= len - pad) {
				v <<= 6;
				continue;
			}
			if ((d = note_b64_value((unsigned char)in[i + k])) < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		out[o++] = (uint8_t)(v >> 16);
		if (i + 4 < len || pad < 2)
			out[o++] = (uint8_t)(v >> 8);
		if (i + 4 < len || pad < 1)
			out[o++] = (uint8_t)v;
		/* Canonical: the bits the padding drops are zero. */
		if (i + 4 == len && ((pad == 2 && (v & 0xffff) != 0) ||
		    (pad == 1 && (v & 0xff) != 0)))
			return -1;
	}
	return (long)o;
}

/* The key hash: SHA-256(name || "\n" || 0x01 || pub), first 4 bytes. */
static int
note_key_hash(const char *name, const uint8_t *pub, uint32_t *hash)
{
	uint8_t buf[NOTE_NAME_MAX + 2 + NOTE_PUB_LEN], md[EVP_MAX_MD_SIZE];
	size_t n = strlen(name);
	unsigned int mdlen;

	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = NOTE_ALG_ED25519;
	memcpy(buf + n + 2, pub, NOTE_PUB_LEN);
	if (EVP_Digest(buf, n + 2 + NOTE_PUB_LEN, md, &mdlen, EVP_sha256(),
	    NULL) != 1)
		return NOTE_ECRYPTO;
	*hash = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
	return 0;
}

/* A signer from a name and a seed: derives the public key and hash. */
int
note_signer_from_seed(const char *name, const uint8_t *seed,
    struct note_signer **sp)
{
	struct note_signer *s;
	size_t publen = NOTE_PUB_LEN;
	int rc;

	*sp = NULL;
	if ((rc = note_name_check(name, strlen(name), NULL, 0)) != 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	memcpy(s->ns_name, name, strlen(name) + 1);
	memcpy(s->ns_seed, seed, NOTE_SEED_LEN);
	rc = NOTE_ECRYPTO;
	if ((s->ns_pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
	    NULL, seed, NOTE_SEED_LEN)) == NULL ||
	    EVP_PKEY_get_raw_public_key(s->ns_pkey, s->ns_pub,
	    &publen) != 1 || publen != NOTE_PUB_LEN ||
	    (rc = note_key_hash(name, s->ns_pub, &s->ns_hash)) != 0) {
		note_signer_free(s);
		return rc;
	}
	*sp = s;
	return 0;
}

/* A new key pair from fresh random bytes. */
int
note_signer_generate(const char *name, struct note_signer **sp)
{
	uint8_t seed[NOTE_SEED_LEN];
	int rc;

	*sp = NULL;
	if ((rc = note_name_check(name, strlen(name), NULL, 0)) != 0)
		return rc;
	if (RAND_priv_bytes(seed, sizeof(seed)) != 1)
		return NOTE_ECRYPTO;
	rc = note_signer_from_seed(name, seed, sp);
	OPENSSL_cleanse(seed, sizeof(seed));
	return rc;
}

/*
 * Splits "name+hash+base64" at its two '+' (the name has none): checks
 * the name and the 8 hex digits of the hash, decodes the key (0x01 and
 * 32 bytes) into key.
 */
static int
note_key_split(const char *t, size_t len, char *name, uint32_t *hash,
    uint8_t *key, char *err, size_t errlen)
{
	const char *p1, *p2;
	uint8_t raw[1 + NOTE_PUB_LEN + 1];
	size_t nl, i;
	long n;
	int rc;

	if ((p1 = memchr(t, '+', len)) == NULL ||
	    (p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - t))) == NULL)
		return note_fail(err, errlen, NOTE_EKEY, "key: expected "
		    "name+hash+key");
	nl = (size_t)(p1 - t);
	if ((rc = note_name_check(t, nl, err, errlen)) != 0)
		return rc;
	memcpy(name, t, nl);
	name[nl] = '\0';
	if (p2 - p1 - 1 != 8)
		return note_fail(err, errlen, NOTE_EKEY, "key: the hash is "
		    "not 8 hex digits");
	*hash = 0;
	for (i = 1; i <= 8; i++) {
		char c = p1[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return note_fail(err, errlen, NOTE_EKEY, "key: the "
			    "hash is not 8 hex digits");
		*hash = *hash << 4 | (uint32_t)d;
	}
	n = note_b64_decode(p2 + 1, len - (size_t)(p2 + 1 - t), raw,
	    sizeof(raw));
	if (n < 1)
		return note_fail(err, errlen, NOTE_EKEY, "key: not base64");
	if (raw[0] != NOTE_ALG_ED25519)
		return note_fail(err, errlen, NOTE_EKEY, "key: algorithm %u "
		    "is not Ed25519 (1)", raw[0]);
	if (n != 1 + NOTE_PUB_LEN)
		return note_fail(err, errlen, NOTE_EKEY, "key: %ld bytes, an "
		    "Ed25519 key has 32", n - 1);
	memcpy(key, raw + 1, NOTE_PUB_LEN);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* Parses "PRIVATE+KEY+name+hash+base64(0x01 || seed)". */
int
note_signer_parse(const char *text, size_t len, struct note_signer **sp,
    char *err, size_t errlen)
{
	char name[NOTE_NAME_MAX + 1];
	uint8_t seed[NOTE_SEED_LEN];
	uint32_t hash;
	int rc;

	*sp = NULL;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len < NOTE_SKEY_PREFIX_LEN ||
	    memcmp(text, NOTE_SKEY_PREFIX, NOTE_SKEY_PREFIX_LEN) != 0)
		return note_fail(err, errlen, NOTE_EKEY, "signer key: does "
		    "not start with PRIVATE+KEY+");
	if ((rc = note_key_split(text + NOTE_SKEY_PREFIX_LEN,
	    len - NOTE_SKEY_PREFIX_LEN, name, &hash, seed, err, errlen)) != 0)
		goto done;
	if ((rc = note_signer_from_seed(name, seed, sp)) != 0)
		goto done;
	/* The hash is over the public key: check it once derived. */
	if ((*sp)->ns_hash != hash) {
		rc = note_fail(err, errlen, NOTE_EKEY, "signer key: hash "
		    "%08x does not match the key (%08x)", hash,
		    (*sp)->ns_hash);
		note_signer_free(*sp);
		*sp = NULL;
	}
done:
	OPENSSL_cleanse(seed, sizeof(seed));
	return rc;
}

/* Wipes and frees a signer. */
void
note_signer_free(struct note_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->ns_pkey);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* The signer's name. */
const char *
note_signer_name(const struct note_signer *s)
{
	return s->ns_name;
}

/* "name+hash+base64(0x01 || pub)". */
int
note_signer_vkey(const struct note_signer *s, char *buf, size_t len)
{
	uint8_t raw[1 + NOTE_PUB_LEN];
	char b64[64];
	int n;

	raw[0] = NOTE_ALG_ED25519;
	memcpy(raw + 1, s->ns_pub, NOTE_PUB_LEN);
	note_b64_encode(raw, sizeof(raw), b64);
	n = snprintf(buf, len, "%s+%08x+%s", s->ns_name, s->ns_hash, b64);
	if (n < 0 || (size_t)n >= len)
		return ERANGE;
	return 0;
}

/* Writes all of buf to fd. */
static int
note_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsyncs the directory that holds path. */
static int
note_sync_dir(const char *path)
{
	char dir[4096];
	const char *slash;
	size_t n;
	int fd, rc = 0;

	if ((slash = strrchr(path, '/')) == NULL)
		memcpy(dir, ".", 2);
	else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno;
	if (fsync(fd) == -1)
		rc = errno;
	close(fd);
	return rc;
}

/* Writes the signer key to a new file, mode 0600, durably. */
int
note_signer_write(const struct note_signer *s, const char *path)
{
	uint8_t raw[1 + NOTE_SEED_LEN];
	char text[NOTE_SKEY_PREFIX_LEN + NOTE_NAME_MAX + 64], b64[64];
	int fd, n, rc;

	raw[0] = NOTE_ALG_ED25519;
	memcpy(raw + 1, s->ns_seed, NOTE_SEED_LEN);
	note_b64_encode(raw, sizeof(raw), b64);
	n = snprintf(text, sizeof(text), NOTE_SKEY_PREFIX "%s+%08x+%s\n",
	    s->ns_name, s->ns_hash, b64);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= sizeof(text)) {
		rc = ERANGE;
		goto done;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		rc = errno;
		goto done;
	}
	/* Whatever the umask, exactly 0600. */
	rc = 0;
	if (fchmod(fd, 0600) == -1 ||
	    (rc = note_write_all(fd, text, (size_t)n)) != 0 ||
	    fsync(fd) == -1) {
		if (rc == 0)
			rc = errno;
		close(fd);
		unlink(path);
		goto done;
	}
	if (close(fd) == -1) {
		rc = errno;
		unlink(path);
		goto done;
	}
	rc = note_sync_dir(path);
done:
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

/* Reads and parses a signer key file; refuses one others can read. */
int
note_signer_read(const char *path, struct note_signer **sp, char *err,
    size_t errlen)
{
	char buf[NOTE_KEYFILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	*sp = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return note_fail(err, errlen, errno, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		rc = note_fail(err, errlen, errno, "%s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = note_fail(err, errlen, NOTE_EKEY, "%s: not a regular "
		    "file", path);
		goto done;
	}
	if ((st.st_mode & 077) != 0) {
		rc = note_fail(err, errlen, NOTE_EKEYMODE, "%s: mode %04o: "
		    "the private key must not be accessible to group or "
		    "others (chmod 600)", path,
		    (unsigned int)(st.st_mode & 07777));
		goto done;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			rc = note_fail(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > NOTE_KEYFILE_MAX) {
		rc = note_fail(err, errlen, NOTE_EKEY, "%s: longer than %d "
		    "bytes: not a key file", path, NOTE_KEYFILE_MAX);
		goto done;
	}
	rc = note_signer_parse(buf, len, sp, err, errlen);
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* Parses a verifier key text. */
int
note_verifier_new(const char *vkey, struct note_verifier **vp, char *err,
    size_t errlen)
{
	struct note_verifier *v;
	size_t len = strlen(vkey);
	uint32_t hash;
	int rc;

	*vp = NULL;
	if (len > 0 && vkey[len - 1] == '\n')
		len--;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ENOMEM;
	if ((rc = note_key_split(vkey, len, v->nv_name, &v->nv_hash,
	    v->nv_pub, err, errlen)) != 0)
		goto fail;
	if ((rc = note_key_hash(v->nv_name, v->nv_pub, &hash)) != 0)
		goto fail;
	if (hash != v->nv_hash) {
		rc = note_fail(err, errlen, NOTE_EKEY, "verifier key: hash "
		    "%08x does not match the key (%08x)", v->nv_hash, hash);
		goto fail;
	}
	if ((v->nv_pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
	    NULL, v->nv_pub, NOTE_PUB_LEN)) == NULL) {
		rc = note_fail(err, errlen, NOTE_EKEY, "verifier key: not an "
		    "Ed25519 public key");
		goto fail;
	}
	*vp = v;
	return 0;
fail:
	note_verifier_free(v);
	return rc;
}

/* Frees a verifier. */
void
note_verifier_free(struct note_verifier *v)
{
	if (v == NULL)
		return;
	EVP_PKEY_free(v->nv_pkey);
	free(v);
}

/* The verifier's name. */
const char *
note_verifier_name(const struct note_verifier *v)
{
	return v->nv_name;
}

/* Signs text: text, blank line, "— name base64(hash || sig)\n". */
int
note_sign(const struct note_signer *s, const char *text, size_t len,
    char **out, size_t *outlen)
{
	EVP_MD_CTX *md = NULL;
	uint8_t raw[4 + NOTE_SIG_LEN];
	size_t siglen = NOTE_SIG_LEN, nl, total;
	char b64[128], *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || text[len - 1] != '\n' || len > NOTE_MSG_MAX / 2 ||
	    note_text_check(text, len, NULL, 0) != 0)
		return NOTE_EMALFORMED;
	raw[0] = (uint8_t)(s->ns_hash >> 24);
	raw[1] = (uint8_t)(s->ns_hash >> 16);
	raw[2] = (uint8_t)(s->ns_hash >> 8);
	raw[3] = (uint8_t)s->ns_hash;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return ENOMEM;
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, s->ns_pkey) != 1 ||
	    EVP_DigestSign(md, raw + 4, &siglen, (const uint8_t *)text,
	    len) != 1 || siglen != NOTE_SIG_LEN) {
		rc = NOTE_ECRYPTO;
		goto done;
	}
	note_b64_encode(raw, sizeof(raw), b64);
	nl = strlen(s->ns_name);
	total = len + 1 + NOTE_DASH_LEN + nl + 1 + strlen(b64) + 1;
	if ((buf = malloc(total + 1)) == NULL) {
		rc = ENOMEM;
		goto done;
	}
	snprintf(buf, total + 1, "%.*s\n" NOTE_DASH "%s %s\n", (int)len,
	    text, s->ns_name, b64);
	*out = buf;
	*outlen = total;
	rc = 0;
done:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Checks one signature of text with the verifier's key. */
static int
note_verify_sig(const struct note_verifier *v, const char *text,
    size_t len, const uint8_t *sig)
{
	EVP_MD_CTX *md;
	int rc;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return ENOMEM;
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, v->nv_pkey) != 1)
		rc = NOTE_ECRYPTO;
	else if (EVP_DigestVerify(md, sig, NOTE_SIG_LEN,
	    (const uint8_t *)text, len) == 1)
		rc = 0;
	else
		rc = NOTE_EBADSIG;
	EVP_MD_CTX_free(md);
	return rc;
}

/* Verifies a signed note as Go's note.Open does. */
int
note_open(const struct note_verifier *v, const char *msg, size_t len,
    size_t *textlen, char *err, size_t errlen)
{
	const char *line, *end, *sp, *nl;
	uint8_t raw[4 + NOTE_SIG_LEN + 8];
	size_t split, lineno, nsig = 0, nmatch = 0, i;
	uint32_t hash;
	long n;
	int rc;

	*textlen = 0;
	if (len > NOTE_MSG_MAX)
		return note_fail(err, errlen, NOTE_EMALFORMED, "note: %zu "
		    "bytes, more than %d", len, NOTE_MSG_MAX);
	if ((rc = note_text_check(msg, len, err, errlen)) != 0)
		return rc;
	/* The signatures follow the last blank line. */
	for (split = len; split >= 2; split--)
		if (msg[split - 2] == '\n' && msg[split - 1] == '\n')
			break;
	if (split < 2)
		return note_fail(err, errlen, NOTE_EMALFORMED, "note: no "
		    "blank line before the signatures");
	split -= 2;
	if (split + 2 == len)
		return note_fail(err, errlen, NOTE_EMALFORMED, "note: no "
		    "signature after the blank line");
	if (msg[len - 1] != '\n')
		return note_fail(err, errlen, NOTE_EMALFORMED, "note: the "
		    "last signature line does not end with a newline");
	lineno = 1;
	for (i = 0; i <= split; i++)
		if (msg[i] == '\n')
			lineno++;
	end = msg + len;
	for (line = msg + split + 2; line < end; line = nl + 1) {
		lineno++;
		nl = memchr(line, '\n', (size_t)(end - line));
		if (++nsig > NOTE_SIGS_MAX)
			return note_fail(err, errlen, NOTE_EMALFORMED, "line "
			    "%zu: more than %d signatures", lineno,
			    NOTE_SIGS_MAX);
		if (nl - line < NOTE_DASH_LEN ||
		    memcmp(line, NOTE_DASH, NOTE_DASH_LEN) != 0)
			return note_fail(err, errlen, NOTE_EMALFORMED, "line "
			    "%zu: a signature line starts with \""
			    NOTE_DASH "\"", lineno);
		line += NOTE_DASH_LEN;
		if ((sp = memchr(line, ' ', (size_t)(nl - line))) == NULL)
			sp = nl;
		if (note_name_check(line, (size_t)(sp - line), NULL, 0) != 0)
			return note_fail(err, errlen, NOTE_EMALFORMED, "line "
			    "%zu: invalid key name", lineno);
		if (sp == nl || (n = note_b64_decode(sp + 1,
		    (size_t)(nl - sp - 1), raw, sizeof(raw))) < 5)
			return note_fail(err, errlen, NOTE_EMALFORMED, "line "
			    "%zu: the signature is not base64 of at least "
			    "5 bytes", lineno);
		hash = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
		    (uint32_t)raw[2] << 8 | raw[3];
		if ((size_t)(sp - line) != strlen(v->nv_name) ||
		    memcmp(line, v->nv_name, (size_t)(sp - line)) != 0 ||
		    hash != v->nv_hash)
			continue;	/* another key's: ignored */
		nmatch++;
		if (n != 4 + NOTE_SIG_LEN)
			return note_fail(err, errlen, NOTE_EBADSIG, "line %zu: "
			    "signature by %s is %ld bytes, not %d", lineno,
			    v->nv_name, n - 4, NOTE_SIG_LEN);
		if ((rc = note_verify_sig(v, msg, split + 1, raw + 4)) != 0)
			return note_fail(err, errlen, rc, "line %zu: the "
			    "signature by %s+%08x does not verify", lineno,
			    v->nv_name, v->nv_hash);
	}
	if (nmatch == 0)
		return note_fail(err, errlen, NOTE_EUNKNOWNKEY, "note: no "
		    "signature by key %s+%08x", v->nv_name, v->nv_hash);
	*textlen = split + 1;
	return 0;
}

/* Checks an origin line: 1 to 255 bytes, UTF-8, no control character. */
static int
note_origin_check(const char *o, size_t len)
{
	if (len == 0 || len > NOTE_NAME_MAX ||
	    note_text_check(o, len, NULL, 0) != 0 ||
	    memchr(o, '\n', len) != NULL)
		return NOTE_ENAME;
	return 0;
}

/* "<origin>\n<size>\n<base64 root>\n" into buf. */
int
note_checkpoint_format(const char *origin, uint64_t size,
    const uint8_t *root, char *buf, size_t len)
{
	char b64[48];
	int n;

	if (note_origin_check(origin, strlen(origin)) != 0 ||
	    size > (uint64_t)INT64_MAX)
		return -1;
	note_b64_encode(root, NOTE_HASH_LEN, b64);
	n = snprintf(buf, len, "%s\n%llu\n%s\n", origin,
	    (unsigned long long)size, b64);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/* Parses a checkpoint body. */
int
note_checkpoint_parse(const char *t, size_t len, struct note_checkpoint *cp,
    char *err, size_t errlen)
{
	const char *line, *nl, *end = t + len;
	size_t ll, i;
	uint64_t v;
	int k;

	memset(cp, 0, sizeof(*cp));
	if (len == 0 || t[len - 1] != '\n')
		return note_fail(err, errlen, NOTE_ENOTCHECKPOINT,
		    "checkpoint: does not end with a newline");
	if (note_text_check(t, len, err, errlen) != 0)
		return NOTE_ENOTCHECKPOINT;
	line = t;
	for (k = 1; line < end; k++, line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		ll = (size_t)(nl - line);
		if (ll == 0)
			return note_fail(err, errlen, NOTE_ENOTCHECKPOINT,
			    "checkpoint line %d: empty", k);
		if (k == 1) {
			if (ll > NOTE_NAME_MAX)
				return note_fail(err, errlen,
				    NOTE_ENOTCHECKPOINT, "checkpoint line 1: "
				    "origin longer than %d bytes",
				    NOTE_NAME_MAX);
			memcpy(cp->nc_origin, line, ll);
			cp->nc_origin[ll] = '\0';
		} else if (k == 2) {
			v = 0;
			if (ll > 19 || (line[0] == '0' && ll > 1))
				goto badsize;
			for (i = 0; i < ll; i++) {
				if (line[i] < '0' || line[i] > '9')
					goto badsize;
				v = v * 10 + (uint64_t)(line[i] - '0');
			}
			if (v > (uint64_t)INT64_MAX)
				goto badsize;
			cp->nc_size = v;
		} else if (k == 3) {
			if (note_b64_decode(line, ll, cp->nc_root,
			    NOTE_HASH_LEN) != NOTE_HASH_LEN)
				return note_fail(err, errlen,
				    NOTE_ENOTCHECKPOINT, "checkpoint line 3: "
				    "the root hash is not base64 of 32 "
				    "bytes");
		} else
			cp->nc_extensions++;
	}
	if (k <= 3)
		return note_fail(err, errlen, NOTE_ENOTCHECKPOINT,
		    "checkpoint: %d lines, needs origin, size and root hash",
		    k - 1);
	return 0;
badsize:
	return note_fail(err, errlen, NOTE_ENOTCHECKPOINT, "checkpoint line "
	    "2: tree size '%.*s' is not a decimal number from 0 to 2^63 - 1 "
	    "without leading zeros", (int)(ll > 24 ? 24 : ll), line);
}

/* Formats and signs a checkpoint. */
int
note_checkpoint_sign(const struct note_signer *s, const char *origin,
    uint64_t size, const uint8_t *root, char **out, size_t *outlen)
{
	char body[NOTE_NAME_MAX + 96];
	int n;

	*out = NULL;
	*outlen = 0;
	if (size > (uint64_t)INT64_MAX)
		return ERANGE;
	if ((n = note_checkpoint_format(origin, size, root, body,
	    sizeof(body))) < 0)
		return NOTE_ENAME;
	return note_sign(s, body, (size_t)n, out, outlen);
}

/* Verifies a signed checkpoint and parses its body. */
int
note_checkpoint_open(const struct note_verifier *v, const char *msg,
    size_t len, struct note_checkpoint *cp, char *err, size_t errlen)
{
	size_t textlen;
	int rc;

	memset(cp, 0, sizeof(*cp));
	if ((rc = note_open(v, msg, len, &textlen, err, errlen)) != 0)
		return rc;
	return note_checkpoint_parse(msg, textlen, cp, err, errlen);
}

/* Explains a NOTE_E* code, or any errno. */
const char *
note_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case NOTE_EMALFORMED:
		return "NOTE_EMALFORMED: not a well-formed signed note";
	case NOTE_ENOTCHECKPOINT:
		return "NOTE_ENOTCHECKPOINT: the note is not a checkpoint "
		    "(origin, tree size, root hash)";
	case NOTE_EBADSIG:
		return "NOTE_EBADSIG: a signature by the key does not verify";
	case NOTE_EUNKNOWNKEY:
		return "NOTE_EUNKNOWNKEY: no signature by the given key";
	case NOTE_EKEY:
		return "NOTE_EKEY: malformed key or key file";
	case NOTE_ENAME:
		return "NOTE_ENAME: invalid key name or origin";
	case NOTE_EKEYMODE:
		return "NOTE_EKEYMODE: the private key file is accessible to "
		    "group or others";
	case NOTE_ECRYPTO:
		return "NOTE_ECRYPTO: OpenSSL failed";
	default:
		if (err > 0)
			return strerror(err);
		return "unknown note error";
	}
}
