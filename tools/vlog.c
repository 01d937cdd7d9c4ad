/* SPDX-License-Identifier: ISC */
/*
 * vlog.c: what the verifiable-log commands (key, checkpoint, prove,
 * verify, receipt) share: finding a checkpoint in a store view, exactly
 * at a size or the latest, and reading the signer key file next to the
 * store to derive its verifier key. Errors are printed in the calling
 * command's name and returned as exit statuses; nothing here exits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "merkle.h"
#include "note.h"
#include "tools.h"

/* State of the walk over the checkpoints. */
struct vlog_walk {
	uint64_t	 vw_want;	/* size looked for */
	uint64_t	 vw_last;	/* largest size seen */
	uint64_t	 vw_below;	/* largest size below vw_want */
	uint64_t	 vw_above;	/* smallest size above vw_want */
	size_t		 vw_count;
	int		 vw_has_below;
	int		 vw_has_above;
};

/* Checkpoints callback: remembers the sizes around vw_want. */
static int
vlog_walk_one(uint64_t size, const char *note, size_t len, void *arg)
{
	struct vlog_walk *w = arg;

	(void)note;
	(void)len;
	w->vw_count++;
	w->vw_last = size;
	if (size < w->vw_want) {
		w->vw_below = size;
		w->vw_has_below = 1;
	} else if (size > w->vw_want && !w->vw_has_above) {
		w->vw_above = size;
		w->vw_has_above = 1;
	}
	return 0;
}

/*
 * Finds the signed checkpoint of the view v of store st: the one at
 * size if has_size, else the latest. Sets *note and *len (a view, valid
 * until the view ends) and *got (its size). On failure prints why in
 * the name of cmd and returns the exit status: TOOLS_EXIT_FAIL.
 */
int
vlog_checkpoint_at(struct store_view *v, const char *cmd, uint64_t size,
    int has_size, const char **note, size_t *len, uint64_t *got)
{
	struct vlog_walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.vw_want = has_size ? size : UINT64_MAX;
	if ((rc = store_view_checkpoints_each(v, vlog_walk_one, &w)) != 0) {
		cli_warnx(cmd, "reading the checkpoints: %s",
		    store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if (!has_size) {
		if (w.vw_count == 0) {
			cli_warnx(cmd, "the store has no signed checkpoint "
			    "yet (the daemon writes them)");
			return TOOLS_EXIT_FAIL;
		}
		size = w.vw_last;
	}
	rc = store_view_checkpoint(v, size, note, len, got);
	if (rc == 0 && *got == size)
		return 0;
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		cli_warnx(cmd, "checkpoint at size %" PRIu64 ": %s", size,
		    store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if (w.vw_count == 0)
		cli_warnx(cmd, "no checkpoint at size %" PRIu64 ": the store "
		    "has none", size);
	else if (w.vw_has_below && w.vw_has_above)
		cli_warnx(cmd, "no checkpoint at size %" PRIu64 " (nearest: "
		    "%" PRIu64 " and %" PRIu64 ")", size, w.vw_below,
		    w.vw_above);
	else
		cli_warnx(cmd, "no checkpoint at size %" PRIu64 " (nearest: "
		    "%" PRIu64 ")", size, w.vw_has_below ? w.vw_below :
		    w.vw_above);
	return TOOLS_EXIT_FAIL;
}

/*
 * Reads DIR/signer.key and writes its verifier key into vkey (len
 * bytes, NOTE_VKEY_MAX is enough). On failure prints why in the name of
 * cmd and returns TOOLS_EXIT_FAIL; ENOENT is returned as -ENOENT
 * without a message, for callers that have another way.
 */
int
vlog_read_key(const char *dir, const char *cmd, char *vkey, size_t len)
{
	struct note_signer *s = NULL;
	char path[4096], err[256];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/signer.key", dir) >=
	    sizeof(path)) {
		cli_warnx(cmd, "%s: path too long", dir);
		return TOOLS_EXIT_FAIL;
	}
	err[0] = '\0';
	if ((rc = note_signer_read(path, &s, err, sizeof(err))) != 0) {
		if (rc == ENOENT)
			return -ENOENT;
		cli_warnx(cmd, "%s: %s%s%s", path, note_strerror(rc),
		    err[0] != '\0' ? ": " : "", err);
		return TOOLS_EXIT_FAIL;
	}
	rc = note_signer_vkey(s, vkey, len);
	note_signer_free(s);
	if (rc != 0) {
		cli_warnx(cmd, "%s: %s", path, note_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	return 0;
}

/*
 * Parses the checkpoint body of the signed note (len bytes) into *cp,
 * without checking the signature. On failure prints why in the name of
 * cmd and returns TOOLS_EXIT_FAIL.
 */
int
vlog_checkpoint_body(const char *cmd, const char *note, size_t len,
    struct note_checkpoint *cp)
{
	const char *p;
	char err[256];
	int rc;

	err[0] = '\0';
	for (p = note; p + 1 < note + len; p++)
		if (p[0] == '\n' && p[1] == '\n')
			break;
	if (p + 1 >= note + len ||
	    (rc = note_checkpoint_parse(note, (size_t)(p + 1 - note), cp, err,
	    sizeof(err))) != 0) {
		cli_warnx(cmd, "stored checkpoint: not a checkpoint note%s%s",
		    err[0] != '\0' ? ": " : "", err);
		return TOOLS_EXIT_FAIL;
	}
	return 0;
}

/*
 * Explains a code of merkle_* on the store's tiles: MERKLE_E*, else
 * STORE_E* or an errno.
 */
const char *
vlog_strerror(int rc)
{
	if (rc >= MERKLE_ERANGE && rc < MERKLE_EMAX)
		return merkle_strerror(rc);
	return store_strerror(rc);
}
