/* SPDX-License-Identifier: ISC */
/*
 * note.h: signed checkpoints of the audit log.
 *
 * A checkpoint is the C2SP tlog-checkpoint body
 *
 *	<origin>\n<tree size, decimal>\n<base64 root hash>\n
 *
 * signed as a note in the golang.org/x/mod/sumdb/note format: the body,
 * a blank line, and one line per signature,
 *
 *	— <key name> <base64(4-byte key hash || 64-byte Ed25519 sig)>\n
 *
 * (— is U+2014) where the key hash is the first 4 bytes, big-endian, of
 * SHA-256(name || "\n" || 0x01 || 32-byte public key). Keys are written
 * as Go writes them: the verifier key "<name>+<hex8 hash>+<base64(0x01
 * || public key)>", the signer key "PRIVATE+KEY+<name>+<hex8
 * hash>+<base64(0x01 || 32-byte seed)>", kept in a file of its own,
 * mode 0600, outside the LMDB data file. Go's note.NewVerifier,
 * note.NewSigner and note.Open accept what this module writes
 * (tests/interop/ checks it).
 *
 * Ed25519 through OpenSSL 3 EVP. No globals; a signer or verifier may be
 * used by one thread at a time. The only I/O is the key file.
 *
 * Errors: 0, a negative NOTE_E* code, or an errno (ENOMEM, EEXIST, EIO,
 * ...); note_strerror() explains them. The parse and verify functions
 * also write a message naming the line at fault into the caller's
 * err buffer (err may be NULL).
 */
#ifndef ALGAUDIT_NOTE_H
#define ALGAUDIT_NOTE_H

#include <stddef.h>
#include <stdint.h>

#define NOTE_NAME_MAX	255	/* key name and origin, bytes */
#define NOTE_SEED_LEN	32	/* Ed25519 private key (seed) */
#define NOTE_PUB_LEN	32
#define NOTE_SIG_LEN	64
#define NOTE_HASH_LEN	32	/* root hash */
/* Room for a verifier key text with its NUL. */
#define NOTE_VKEY_MAX	(NOTE_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define NOTE_MSG_MAX	65536	/* largest signed note accepted */
#define NOTE_SIGS_MAX	100	/* most signature lines accepted */

enum note_error {
	NOTE_EMALFORMED = -31400, /* not a well-formed signed note */
	NOTE_ENOTCHECKPOINT,	/* the note's text is not a checkpoint */
	NOTE_EBADSIG,		/* a signature by the key does not verify */
	NOTE_EUNKNOWNKEY,	/* no signature by the verifier's key */
	NOTE_EKEY,		/* malformed key text or key file */
	NOTE_ENAME,		/* invalid key name or origin */
	NOTE_EKEYMODE,		/* key file readable by group or others */
	NOTE_ECRYPTO,		/* OpenSSL failed */
	NOTE_EMAX
};

struct note_signer;
struct note_verifier;

/* A parsed checkpoint body. */
struct note_checkpoint {
	char		 nc_origin[NOTE_NAME_MAX + 1];
	uint64_t	 nc_size;
	uint8_t		 nc_root[NOTE_HASH_LEN];
	size_t		 nc_extensions;	/* extension lines, ignored */
};

/* Keys. */

/*
 * A new Ed25519 key pair named name (1 to NOTE_NAME_MAX bytes of UTF-8,
 * no white space, no '+', no control character; for a log, its origin).
 * @return 0; NOTE_ENAME; NOTE_ECRYPTO; ENOMEM. Free with
 * note_signer_free().
 */
int	 note_signer_generate(const char *, struct note_signer **);

/* As note_signer_generate(), from a given 32-byte seed (tests, KATs). */
int	 note_signer_from_seed(const char *, const uint8_t *,
	    struct note_signer **);

/*
 * Parses a signer key text "PRIVATE+KEY+name+hash+base64" (len bytes;
 * one trailing newline allowed) and checks its hash.
 * @return 0; NOTE_EKEY; NOTE_ENAME; NOTE_ECRYPTO; ENOMEM.
 */
int	 note_signer_parse(const char *, size_t, struct note_signer **,
	    char *, size_t);

/* Wipes and frees a signer; NULL is allowed. */
void	 note_signer_free(struct note_signer *);

/* The signer's name; valid until note_signer_free(). */
const char *note_signer_name(const struct note_signer *);

/*
 * Writes the verifier key text of the signer into buf (len bytes,
 * NOTE_VKEY_MAX is always enough), NUL-terminated.
 * @return 0 or ERANGE (buf too small).
 */
int	 note_signer_vkey(const struct note_signer *, char *, size_t);

/*
 * Writes the signer key text and a newline to a new file at path with
 * mode 0600 (O_CREAT | O_EXCL, never following a symbolic link), then
 * fsyncs the file and its directory. Never replaces a file: a failure
 * after creating it removes it.
 * @return 0; EEXIST; or another errno.
 */
int	 note_signer_write(const struct note_signer *, const char *);

/*
 * Reads a signer key file written by note_signer_write().
 * @return 0; NOTE_EKEYMODE (the file is accessible to group or
 *	others: refused, like ssh does); NOTE_EKEY (not a regular file,
 *	too large, or malformed); NOTE_ENAME; NOTE_ECRYPTO; ENOMEM; an
 *	errno from open or read (ENOENT, EACCES, ELOOP for a link).
 */
int	 note_signer_read(const char *, struct note_signer **, char *,
	    size_t);

/*
 * Parses a verifier key text "name+hash+base64(0x01 || key)" and checks
 * its hash. @return 0; NOTE_EKEY; NOTE_ENAME; ENOMEM.
 */
int	 note_verifier_new(const char *, struct note_verifier **, char *,
	    size_t);

/* Frees a verifier; NULL is allowed. */
void	 note_verifier_free(struct note_verifier *);

/* The verifier's name; valid until note_verifier_free(). */
const char *note_verifier_name(const struct note_verifier *);

/* Notes. */

/*
 * Signs text (len bytes, ending in a newline, with no blank line, valid
 * UTF-8 without control characters other than newline): *out is the
 * note, text followed by a blank line and the signature line.
 * @param[out] out	NUL-terminated, *outlen bytes; free with free().
 * @return 0; NOTE_EMALFORMED (text not signable); NOTE_ECRYPTO; ENOMEM.
 */
int	 note_sign(const struct note_signer *, const char *, size_t,
	    char **, size_t *);

/*
 * Verifies a signed note (len bytes) as Go's note.Open does: well-formed
 * lines, every signature by the verifier's key valid, at least one;
 * signatures by other keys are ignored.
 * @param[out] textlen	the length of the signed text (it starts msg).
 * @return 0; NOTE_EMALFORMED; NOTE_EUNKNOWNKEY; NOTE_EBADSIG;
 *	NOTE_ECRYPTO.
 */
int	 note_open(const struct note_verifier *, const char *, size_t,
	    size_t *, char *, size_t);

/* Checkpoints. */

/*
 * Formats a checkpoint body into buf (len bytes), NUL-terminated.
 * @return the body length; -1 if origin is invalid or buf too small.
 */
int	 note_checkpoint_format(const char *, uint64_t, const uint8_t *,
	    char *, size_t);

/*
 * Parses a checkpoint body (len bytes): origin line (1 to 255 bytes),
 * tree size (decimal, no sign, no leading zero, at most 2^63 - 1), root
 * hash (base64 of 32 bytes), then any non-empty extension lines.
 * @return 0 or NOTE_ENOTCHECKPOINT.
 */
int	 note_checkpoint_parse(const char *, size_t,
	    struct note_checkpoint *, char *, size_t);

/*
 * Signs the checkpoint (origin, size, root) with the signer.
 * @param[out] out	the signed note; free with free().
 * @return 0; NOTE_ENAME (bad origin); NOTE_ECRYPTO; ENOMEM.
 */
int	 note_checkpoint_sign(const struct note_signer *, const char *,
	    uint64_t, const uint8_t *, char **, size_t *);

/*
 * Verifies a signed checkpoint with note_open() and parses its body.
 * @return 0; the errors of note_open(); NOTE_ENOTCHECKPOINT.
 */
int	 note_checkpoint_open(const struct note_verifier *, const char *,
	    size_t, struct note_checkpoint *, char *, size_t);

/* "CODE_NAME: explanation" for a NOTE_E* code, else strerror(). */
const char *note_strerror(int);

#endif /* ALGAUDIT_NOTE_H */
