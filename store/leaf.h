/* SPDX-License-Identifier: ISC */
/*
 * leaf.h: the commitment leaf of a log entry (format v1).
 *
 * An entry is cut into disclosure units (each top-level field of the
 * record, each input, attribution, reason code and label, the
 * explanation text, and the daemon's receive time, producer id, peer
 * and clock-skew flag). Each unit is bound by its own salted commitment
 *
 *	C = SHA-256(0x02 || salt || value)
 *
 * where value is the unit's canonical encoding (typed, big-endian, no
 * protobuf needed). The leaf bytes pair every path with its commitment:
 *
 *	"algaudit/v1/leaf" || u64 index || u32 n || n * (u8 len || path || C)
 *
 * and the Merkle leaf hash is SHA-256(0x00 || leaf bytes). An export can
 * disclose some units (path, value, salt) and give only the commitment
 * of the others; the verifier still recomputes the leaf hash
 * (leaf_hash_claims). The salt of the j-th unit is AES-256 under a
 * per-entry secret of the block "algaudit" || u64 j; the entry secret
 * is HMAC-SHA-256(master, "algaudit/v1/entry" || u64 index) of the
 * store's 32-byte master secret, so a disclosure never reveals the
 * master or another entry's salts. docs/VERIFIABLE.md specifies every byte and
 * gives worked vectors.
 *
 * Pure computation: no I/O, no globals. A struct leaf_key is read-only
 * after leaf_key_new() and may be shared by threads; a struct leaf_ctx
 * is a reusable workspace for one thread at a time.
 *
 * Errors: 0, a negative LEAF_E* code, or ENOMEM; leaf_strerror()
 * explains them and leaf_ctx_errmsg() names the unit at fault.
 */
#ifndef ALGAUDIT_LEAF_H
#define ALGAUDIT_LEAF_H

#include <stddef.h>
#include <stdint.h>

#include "algaudit.pb-c.h"

#define LEAF_FORMAT_VERSION	1
#define LEAF_SECRET_LEN		32	/* master and per-entry secrets */
#define LEAF_SALT_LEN		16
#define LEAF_COMMIT_LEN		32
#define LEAF_HASH_LEN		32
#define LEAF_PATH_MAX		64	/* longest unit path, with its NUL */
#define LEAF_MAGIC		"algaudit/v1/leaf"
#define LEAF_MAGIC_LEN		16

/* Type tags of canonical values. */
#define LEAF_T_STRING	0x01	/* u32 length, UTF-8 bytes as stored */
#define LEAF_T_BYTES	0x02	/* u32 length, bytes */
#define LEAF_T_UINT	0x03	/* u64 */
#define LEAF_T_INT	0x04	/* i64, two's complement */
#define LEAF_T_DOUBLE	0x05	/* IEEE 754 binary64 bits */
#define LEAF_T_BOOL	0x06	/* one byte, 0x00 or 0x01 */
#define LEAF_T_ENUM	0x07	/* i32, two's complement */
#define LEAF_T_MESSAGE	0x08	/* u32 length, (u8 field, value)... */

enum leaf_error {
	LEAF_EINVAL = -31300,	/* entry lacks its index or record */
	LEAF_EUNKNOWN,		/* entry holds fields format v1 cannot bind */
	LEAF_ETOOBIG,		/* a value longer than 2^32 - 1 bytes */
	LEAF_EPATH,		/* a claimed unit path is empty or too long */
	LEAF_ECLAIM,		/* a claim is neither disclosed nor withheld */
	LEAF_ERANDOM,		/* the random generator failed */
	LEAF_ECRYPTO,		/* OpenSSL failed (salt derivation) */
	LEAF_EMAX
};

struct leaf_key;
struct leaf_ctx;

/* One unit of a computed leaf; valid until the next call on the ctx. */
struct leaf_unit {
	const char	*lu_path;	/* NUL-terminated, lu_pathlen bytes */
	size_t		 lu_pathlen;
	const uint8_t	*lu_value;	/* canonical value */
	size_t		 lu_valuelen;
	uint8_t		 lu_salt[LEAF_SALT_LEN];
	uint8_t		 lu_commit[LEAF_COMMIT_LEN];
};

/*
 * One unit as a verifier receives it: disclosed (lc_value and lc_salt
 * set, lc_commit NULL) or withheld (lc_commit set, lc_value and lc_salt
 * NULL).
 */
struct leaf_claim {
	const char	*lc_path;
	size_t		 lc_pathlen;
	const uint8_t	*lc_value;
	size_t		 lc_valuelen;
	const uint8_t	*lc_salt;	/* LEAF_SALT_LEN bytes */
	const uint8_t	*lc_commit;	/* LEAF_COMMIT_LEN bytes */
};

/* Secrets. */

/*
 * Fills out with LEAF_SECRET_LEN fresh random bytes (a new store's
 * master secret). @return 0 or LEAF_ERANDOM.
 */
int	 leaf_secret_generate(uint8_t *);

/*
 * Prepares the master secret for use (HMAC pads hashed once).
 * @param[out] kp	the key; free with leaf_key_free().
 * @param[in] master	LEAF_SECRET_LEN bytes; copied.
 * @return 0 or ENOMEM.
 */
int	 leaf_key_new(struct leaf_key **, const uint8_t *);

/* Wipes and frees a key; NULL is allowed. */
void	 leaf_key_free(struct leaf_key *);

/*
 * The per-entry secret of log index index:
 * HMAC-SHA-256(master, "algaudit/v1/entry" || u64 BE index).
 */
void	 leaf_entry_secret(const struct leaf_key *, uint64_t, uint8_t *);

/* Computing a leaf (writer, verify, export, receipt). */

/*
 * A new workspace (it holds an AES context for the salts).
 * @return 0 or ENOMEM. Free with leaf_ctx_free().
 */
int	 leaf_ctx_new(struct leaf_ctx **);

/* Frees a workspace (wiping the salts it held); NULL is allowed. */
void	 leaf_ctx_free(struct leaf_ctx *);

/*
 * Cuts entry e into units, derives their salts from the master key and
 * e->index, commits to each, and builds the leaf bytes and leaf hash.
 * The units and leaf bytes stay readable through the ctx until its next
 * use.
 * @param[out] hash	LEAF_HASH_LEN bytes: SHA-256(0x00 || leaf bytes).
 * @return 0; LEAF_EINVAL (no index or no record); LEAF_EUNKNOWN (a
 *	message holds unknown fields, which v1 cannot bind: the writer
 *	must drop them before storing); LEAF_ETOOBIG; LEAF_ECRYPTO;
 *	ENOMEM. The ctx's message names the unit.
 */
int	 leaf_compute(struct leaf_ctx *, const struct leaf_key *,
	    const Algaudit__V1__Entry *, uint8_t *);

/*
 * As leaf_compute(), from the per-entry secret instead of the master
 * (a receipt that discloses a whole entry carries this secret).
 */
int	 leaf_compute_secret(struct leaf_ctx *, const uint8_t *,
	    const Algaudit__V1__Entry *, uint8_t *);

/* Units of the last computed leaf, in leaf order. */
size_t	 leaf_ctx_units(const struct leaf_ctx *);
const struct leaf_unit *leaf_ctx_unit(const struct leaf_ctx *, size_t);

/* The last computed leaf bytes (*len set); valid until the next call. */
const uint8_t *leaf_ctx_bytes(const struct leaf_ctx *, size_t *);

/* What the last failure was about ("" if none). */
const char *leaf_ctx_errmsg(const struct leaf_ctx *);

/* Verifying (offline verifiers: needs no secret and no protobuf). */

/*
 * The commitment of one unit: SHA-256(0x02 || salt || value), salt
 * LEAF_SALT_LEN bytes, value len bytes, out LEAF_COMMIT_LEN bytes.
 */
void	 leaf_commit(const uint8_t *, const uint8_t *, size_t, uint8_t *);

/*
 * Recomputes the leaf hash of entry index from its n units in leaf
 * order, each disclosed or withheld.
 * @param[out] err	if not NULL, a message naming the claim at fault.
 * @return 0; LEAF_EPATH; LEAF_ECLAIM.
 */
int	 leaf_hash_claims(uint64_t, const struct leaf_claim *, size_t,
	    uint8_t *, char *, size_t);

/* "CODE_NAME: explanation" for a LEAF_E* code, else strerror(). */
const char *leaf_strerror(int);

#endif /* ALGAUDIT_LEAF_H */
