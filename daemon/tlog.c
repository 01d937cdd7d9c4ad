/* SPDX-License-Identifier: ISC */
/*
 * tlog.c: the verifiable log's side of start-up: the state of the
 * store's Merkle tree, the checkpoint signing key, and the newest
 * checkpoint (docs/VERIFIABLE.md).
 *
 * With --tree on (the default) the tree must hold every entry, the key
 * is read from --key or STORE/signer.key (created there, mode 0600, on
 * first start), its name must be the store's origin, and it must be the
 * key that signed the store's newest checkpoint: a daemon that signed
 * with another key would make every later checkpoint fail verification.
 * With --tree off nothing is hashed or signed; that is allowed only on a
 * store whose tree is empty, so a verifiable log never gets entries the
 * tree does not cover. This file only reads the store; the writer
 * thread (writer.c) appends leaves and checkpoints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "note.h"
#include "store.h"

#define TLOG_KEY_FILE	"signer.key"

/* What tlog_open() learns from one read snapshot of the store. */
struct tlog_state {
	uint64_t	 ts_entries;
	uint64_t	 ts_tree;
	uint64_t	 ts_ckpt_size;
	char		*ts_ckpt;	/* newest checkpoint note, or NULL */
	size_t		 ts_ckpt_len;
};

/* Reads the entry count, tree size and newest checkpoint. */
static int
tlog_read_state(struct daemon *d, struct tlog_state *ts)
{
	struct store_view *v;
	const char *note;
	size_t len;
	uint64_t size;
	int rc;

	memset(ts, 0, sizeof(*ts));
	if ((rc = store_view_begin(d->d_store, &v)) != 0) {
		log_warnx("store %s: cannot read the tree: %s",
		    d->d_cfg.cf_store, store_strerror(rc));
		return -1;
	}
	ts->ts_entries = store_view_size(v);
	ts->ts_tree = store_view_tree_size(v);
	rc = store_view_checkpoint(v, 0, &note, &len, &size);
	if (rc == 0) {
		if ((ts->ts_ckpt = malloc(len + 1)) == NULL) {
			store_view_end(v);
			log_warn("store %s: checkpoint", d->d_cfg.cf_store);
			return -1;
		}
		memcpy(ts->ts_ckpt, note, len);
		ts->ts_ckpt[len] = '\0';
		ts->ts_ckpt_len = len;
		ts->ts_ckpt_size = size;
	} else if (rc != STORE_ENOTFOUND) {
		store_view_end(v);
		log_warnx("store %s: cannot read the newest checkpoint: %s",
		    d->d_cfg.cf_store, store_strerror(rc));
		return -1;
	}
	store_view_end(v);
	return 0;
}

/* Generates a key at path for the store's origin. */
static int
tlog_key_generate(struct daemon *d, const char *path,
    struct note_signer **sp)
{
	int rc;

	if ((rc = note_signer_generate(d->d_origin, sp)) != 0) {
		log_warnx("key %s: cannot create a key named '%s': %s%s", path,
		    d->d_origin, note_strerror(rc), rc == NOTE_ENAME ?
		    " (the origin names the key: no white space, no '+')" :
		    "");
		return -1;
	}
	if ((rc = note_signer_write(*sp, path)) != 0) {
		log_warnx("key %s: cannot write: %s", path, note_strerror(rc));
		note_signer_free(*sp);
		*sp = NULL;
		return -1;
	}
	log_info("key %s: created a new checkpoint signing key (mode 0600); "
	    "back it up with the store", path);
	return 0;
}

/*
 * Reads the signing key (or, when may_create, for a log that has no
 * checkpoint yet, creates it); checks its name.
 */
static int
tlog_key_load(struct daemon *d, int may_create)
{
	struct note_signer *s = NULL;
	char err[256];
	const char *path;
	int rc, n;

	if (d->d_cfg.cf_key[0] != '\0')
		path = d->d_cfg.cf_key;
	else {
		n = snprintf(d->d_key_path, sizeof(d->d_key_path), "%s/%s",
		    d->d_cfg.cf_store, TLOG_KEY_FILE);
		if (n < 0 || (size_t)n >= sizeof(d->d_key_path)) {
			log_warnx("key: path '%s/%s' too long",
			    d->d_cfg.cf_store, TLOG_KEY_FILE);
			return -1;
		}
		path = d->d_key_path;
	}
	if (path != d->d_key_path)
		snprintf(d->d_key_path, sizeof(d->d_key_path), "%s", path);
	err[0] = '\0';
	rc = note_signer_read(path, &s, err, sizeof(err));
	if (rc == ENOENT && d->d_cfg.cf_key[0] == '\0' && !may_create) {
		/*
		 * A new key could not continue the log's signatures, and
		 * leaving it on disk would hide the real problem at the
		 * next start (found in review).
		 */
		log_warnx("key %s: missing, but the store has checkpoints "
		    "signed by its key: restore signer.key from your backup",
		    path);
		return -1;
	} else if (rc == ENOENT && d->d_cfg.cf_key[0] == '\0') {
		if (tlog_key_generate(d, path, &s) == -1)
			return -1;
	} else if (rc != 0) {
		log_warnx("key %s: %s%s%s%s", path, note_strerror(rc),
		    err[0] != '\0' ? " (" : "", err, err[0] != '\0' ? ")" :
		    "");
		return -1;
	}
	if (strcmp(note_signer_name(s), d->d_origin) != 0) {
		log_warnx("key %s: named '%s', but the store's origin is '%s'; "
		    "checkpoints must be signed by a key named after the "
		    "origin", path, note_signer_name(s), d->d_origin);
		note_signer_free(s);
		return -1;
	}
	if ((rc = note_signer_vkey(s, d->d_vkey, sizeof(d->d_vkey))) != 0) {
		log_warnx("key %s: verifier key: %s", path, note_strerror(rc));
		note_signer_free(s);
		return -1;
	}
	d->d_signer = s;
	return 0;
}

/*
 * Checks that the store's newest checkpoint verifies with our key and
 * names our origin.
 */
static int
tlog_check_checkpoint(struct daemon *d, const struct tlog_state *ts)
{
	struct note_verifier *v = NULL;
	struct note_checkpoint cp;
	char err[256];
	int rc;

	err[0] = '\0';
	if ((rc = note_verifier_new(d->d_vkey, &v, err, sizeof(err))) != 0) {
		log_warnx("key %s: verifier key: %s %s", d->d_key_path,
		    note_strerror(rc), err);
		return -1;
	}
	rc = note_checkpoint_open(v, ts->ts_ckpt, ts->ts_ckpt_len, &cp, err,
	    sizeof(err));
	note_verifier_free(v);
	if (rc != 0) {
		log_warnx("key %s does not verify the store's newest "
		    "checkpoint (size %" PRIu64 "): %s%s%s; start with the key "
		    "that signed it (--key FILE)", d->d_key_path,
		    ts->ts_ckpt_size,
		    note_strerror(rc), err[0] != '\0' ? ": " : "", err);
		return -1;
	}
	if (cp.nc_size != ts->ts_ckpt_size ||
	    strcmp(cp.nc_origin, d->d_origin) != 0) {
		log_warnx("store %s: the checkpoint stored at size %" PRIu64
		    " is for '%s' size %" PRIu64 "; the store is damaged (run "
		    "algaudit verify)", d->d_cfg.cf_store, ts->ts_ckpt_size,
		    cp.nc_origin, cp.nc_size);
		return -1;
	}
	return 0;
}

/*
 * Checks the tree against --tree, loads the key and the newest
 * checkpoint. Returns 0, or -1 after logging why the daemon cannot
 * start.
 */
int
tlog_open(struct daemon *d)
{
	struct tlog_state ts;
	int rc = -1;

	if (tlog_read_state(d, &ts) == -1)
		return -1;
	if (!d->d_cfg.cf_tree) {
		if (ts.ts_tree > 0 || ts.ts_ckpt != NULL) {
			log_warnx("--tree off: store %s has a Merkle tree of "
			    "%" PRIu64 " leaves; entries written without "
			    "the tree would make it unverifiable (use --tree "
			    "off on a new store only)", d->d_cfg.cf_store,
			    ts.ts_tree);
			goto out;
		}
		log_warnx("--tree off: no Merkle tree, no checkpoints: this "
		    "log is NOT verifiable (measurement only)");
		rc = 0;
		goto out;
	}
	if (ts.ts_tree != ts.ts_entries) {
		log_warnx("store %s: %" PRIu64 " entries but a Merkle tree of "
		    "%" PRIu64 " leaves; it was written with --tree off and "
		    "cannot become verifiable: use a new store",
		    d->d_cfg.cf_store, ts.ts_entries, ts.ts_tree);
		goto out;
	}
	if (tlog_key_load(d, ts.ts_ckpt == NULL) == -1)
		goto out;
	if (ts.ts_ckpt != NULL && tlog_check_checkpoint(d, &ts) == -1)
		goto out;
	d->d_ckpt_size = ts.ts_ckpt_size;
	log_info("key %s: verifier key %s", d->d_key_path, d->d_vkey);
	log_info("tree: %" PRIu64 " leaves; newest checkpoint at size %"
	    PRIu64 "%s", ts.ts_tree, ts.ts_ckpt_size, ts.ts_ckpt == NULL ?
	    " (none yet)" : "");
	rc = 0;
out:
	free(ts.ts_ckpt);
	return rc;
}

/* Frees the signing key; NULL-safe on what tlog_open() did not make. */
void
tlog_close(struct daemon *d)
{
	note_signer_free(d->d_signer);
	d->d_signer = NULL;
}
