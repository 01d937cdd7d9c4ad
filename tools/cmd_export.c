/* SPDX-License-Identifier: ISC */
/*
 * cmd_export.c: `algaudit export` writes the bundle a compliance team
 * hands an inspector (docs/BUNDLE.md): the records of a selection (the
 * filters of `algaudit query`), each unit disclosed or withheld by the
 * disclosure rule, one multi-proof of all of them against the latest
 * signed checkpoint that covers them, that checkpoint, the verifier
 * key, optionally a consistency proof from an older bundle, and a
 * manifest signed with the log's key. `algaudit verify-bundle` checks
 * it with the verifier key alone.
 *
 * One pass, streaming: the selection is read one entry at a time in
 * log order, inside the multi-proof walk (bundle_mp_walk()), which asks
 * for the next entry when it reaches its leaf and reads the hashes of
 * the nodes between selected leaves from the store's tiles. Memory does
 * not grow with the number of records (the walk's stack is at most 64
 * frames); only the table of algorithm ids for the counts grows, with
 * the number of distinct ids. The root the walk computes must be the
 * checkpoint's: a store whose entries do not match its tree cannot
 * produce a bundle.
 *
 * The bundle is a new directory (never an existing one), written file
 * by file with O_EXCL, the manifest and its signature last, everything
 * fsync'd; on failure what was written is removed. The signer key is
 * STORE/signer.key, which must be the key of the checkpoint.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "tools.h"

#define EXPORT_HASH_LEN		32
#define EXPORT_IOBUF		(1 << 20)	/* each of two write buffers */
#define EXPORT_NFILES		7

/* The files of a bundle, in the order they are written. */
static const char *const export_files[EXPORT_NFILES] = {
	BUNDLE_CHECKPOINT, BUNDLE_KEY, BUNDLE_CONSISTENCY, BUNDLE_RECORDS,
	BUNDLE_PROOF, BUNDLE_MANIFEST, BUNDLE_SIG
};

/*
 * A file streamed into the bundle through a writer thread: the walk
 * fills one buffer while the thread writes and hashes the other, so
 * the write(2) copies and the SHA-256 of the big file run on another
 * core (they were a third of an export's time).
 */
struct export_out {
	int		 eo_fd;
	EVP_MD_CTX	*eo_md;		/* the thread's, once started */
	char		*eo_buf[2];
	size_t		 eo_len[2];
	int		 eo_full[2];	/* handed to the thread */
	int		 eo_cur;	/* the buffer the walk fills */
	int		 eo_done;	/* no more buffers will come */
	int		 eo_err;	/* the thread's errno, 0 if none */
	int		 eo_started;
	pthread_t	 eo_thread;
	pthread_mutex_t	 eo_mu;
	pthread_cond_t	 eo_cv;
	uint64_t	 eo_bytes;
	uint8_t		 eo_sha[EXPORT_HASH_LEN];
};

/* One export. */
struct export {
	/* The command line. */
	const char		*ex_dir;
	const char		*ex_out;	/* without trailing '/' */
	char			*ex_outbuf;
	const char		*ex_old;	/* --since-bundle */
	const char		*ex_pkey;	/* --pseudonym-key */
	struct filter		 ex_filter;
	struct bundle_policy	 ex_policy;
	int			 ex_tar;
	int			 ex_quiet;

	/* The store, its key and checkpoint. */
	struct store		*ex_st;
	struct store_view	*ex_v;
	const struct leaf_key	*ex_key;
	struct note_signer	*ex_signer;
	struct note_verifier	*ex_nv;
	char			 ex_vkey[NOTE_VKEY_MAX];
	const char		*ex_note;	/* view, until the view ends */
	size_t			 ex_notelen;
	struct note_checkpoint	 ex_cp;

	/* --since-bundle */
	char			*ex_oldnote;
	size_t			 ex_oldlen;
	struct note_checkpoint	 ex_oldcp;
	uint8_t			 ex_oldmanifest[EXPORT_HASH_LEN];
	int			 ex_oldmanifest_ok;

	/* The selection and the walk. */
	struct query_filter	 ex_q;
	int			 ex_empty;	/* nothing can be selected */
	struct filter_sel	*ex_sel;
	const Algaudit__V1__Entry *ex_entry;	/* pending, at ex_next */
	uint64_t		 ex_next;	/* UINT64_MAX: none left */
	struct leaf_ctx		*ex_ctx;
	struct bundle_unit	*ex_units;
	size_t			 ex_unitscap;
	struct bundle_buf	 ex_line;
	struct bundle_pseudo	*ex_pseudo;
	int			 ex_pkey_random;
	uint8_t			 ex_key_id[BUNDLE_KEY_ID_LEN];
	struct bundle_counts	 ex_counts;
	unsigned		 ex_withheld;	/* BUNDLE_F_* of filters */
	struct export_out	 ex_rec;
	struct export_out	 ex_proof;
	int			 ex_exit;	/* of a failed callback */

	/* The bundle directory and what is in it. */
	int			 ex_dirfd;
	int			 ex_made_dir;
	unsigned		 ex_made;	/* bit per export_files[] */
	char			*ex_tarpath;
	int			 ex_made_tar;

	/* Progress. */
	int			 ex_tty;
	uint64_t		 ex_total;
	double			 ex_start;
	double			 ex_last;
	int64_t			 ex_now_ns;
};

static const char cmd_export_help[] =
"Writes a bundle for an inspector into the new directory BUNDLE: the\n"
"selected records with each unit disclosed or withheld (commitment\n"
"only), one multi-proof of all of them against the latest signed\n"
"checkpoint that covers them, that checkpoint, the verifier key, and a\n"
"manifest (selection, counts, policy) signed with the log's key\n"
"(STORE/signer.key). `algaudit verify-bundle` checks it offline.\n"
"\n"
"  --store DIR           the store\n"
"  --out BUNDLE          the bundle directory; must not exist\n"
"  --disclose UNITS      disclose only units whose path matches one of\n"
"                        the comma-separated patterns ('*' matches any\n"
"                        text: decision,score,inputs[*],explanation.*);\n"
"                        repeatable; default every unit the classes\n"
"                        allow. data_class is never excluded (the\n"
"                        verifier needs it), only withheld by its class\n"
"  --allow-important     disclose units of class important too (the\n"
"                        manifest records it); core units never are\n"
"  --reveal-subjects     disclose subjects; by default a subject is\n"
"                        withheld and its pseudonym given beside it\n"
"  --pseudonym-key FILE  the key of the pseudonyms, HMAC-SHA-256(key,\n"
"                        subject), 32 to 4096 bytes, mode 0600: the same\n"
"                        key gives the same pseudonyms in every bundle;\n"
"                        default a random key for this bundle only\n"
"  --since-bundle OLD    add a consistency proof from the checkpoint of\n"
"                        the older bundle OLD (of this log) to this one\n"
"  --tar                 also write BUNDLE.tar (must not exist)\n"
"  --quiet               no progress on stderr\n"
"\n"
FILTER_HELP
"Without --to-index the selection ends at the latest checkpoint; with\n"
"one past it, export fails if a selected entry is not covered yet (the\n"
"daemon signs a checkpoint every --checkpoint-entries entries or\n"
"--checkpoint-interval ms, and at shutdown).\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (no checkpoint, BUNDLE exists,\n"
"...), 2 usage error, 3 the store does not match its tree or OLD is not\n"
"a bundle of this log.\n";

/* Seconds of the monotonic clock. */
static double
export_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* out = SHA-256 of len bytes. */
static void
export_sha256(const void *p, size_t len, uint8_t *out)
{
	EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL);
}

/* Creates file name in the bundle (O_EXCL, mode 0600), noting it. */
static int
export_create(struct export *ex, const char *name)
{
	int fd, i;

	fd = openat(ex->ex_dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		cli_warnx("export", "%s/%s: %s", ex->ex_out, name,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < EXPORT_NFILES; i++)
		if (strcmp(export_files[i], name) == 0)
			ex->ex_made |= 1u << i;
	return fd;
}

/* Writes all len bytes to fd; returns 0 or -1 with errno set. */
static int
export_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Writes the whole file name (len bytes), fsync'd, and its SHA-256
 * into sha if not NULL. Returns 0 or TOOLS_EXIT_FAIL (said).
 */
static int
export_small(struct export *ex, const char *name, const void *p, size_t len,
    uint8_t *sha)
{
	int fd;

	if ((fd = export_create(ex, name)) == -1)
		return TOOLS_EXIT_FAIL;
	if (export_write_all(fd, p, len) == -1 || fsync(fd) == -1) {
		cli_warnx("export", "%s/%s: %s", ex->ex_out, name,
		    strerror(errno));
		close(fd);
		return TOOLS_EXIT_FAIL;
	}
	if (close(fd) == -1) {
		cli_warnx("export", "%s/%s: %s", ex->ex_out, name,
		    strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	if (sha != NULL)
		export_sha256(p, len, sha);
	return 0;
}

/* The writer thread: writes and hashes each full buffer in turn. */
static void *
export_out_thread(void *arg)
{
	struct export_out *o = arg;
	int k = 0, err;

	pthread_mutex_lock(&o->eo_mu);
	for (;;) {
		while (!o->eo_full[k] && !o->eo_done)
			pthread_cond_wait(&o->eo_cv, &o->eo_mu);
		if (!o->eo_full[k])
			break;
		pthread_mutex_unlock(&o->eo_mu);
		err = 0;
		if (export_write_all(o->eo_fd, o->eo_buf[k], o->eo_len[k]) ==
		    -1)
			err = errno;
		else if (EVP_DigestUpdate(o->eo_md, o->eo_buf[k],
		    o->eo_len[k]) != 1)
			err = EIO;
		pthread_mutex_lock(&o->eo_mu);
		if (err != 0 && o->eo_err == 0)
			o->eo_err = err;
		o->eo_len[k] = 0;
		o->eo_full[k] = 0;
		pthread_cond_broadcast(&o->eo_cv);
		k = 1 - k;
	}
	pthread_mutex_unlock(&o->eo_mu);
	return NULL;
}

/* Opens a streamed file of the bundle. Returns 0 or TOOLS_EXIT_FAIL. */
static int
export_out_open(struct export *ex, struct export_out *o, const char *name)
{
	int rc;

	o->eo_fd = -1;
	if ((o->eo_md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(o->eo_md, EVP_sha256(), NULL) != 1) {
		cli_warnx("export", "SHA-256: OpenSSL failed");
		return TOOLS_EXIT_FAIL;
	}
	if ((o->eo_buf[0] = malloc(EXPORT_IOBUF)) == NULL ||
	    (o->eo_buf[1] = malloc(EXPORT_IOBUF)) == NULL) {
		cli_warnx("export", "%s", strerror(ENOMEM));
		return TOOLS_EXIT_FAIL;
	}
	if ((o->eo_fd = export_create(ex, name)) == -1)
		return TOOLS_EXIT_FAIL;
	if ((rc = pthread_mutex_init(&o->eo_mu, NULL)) != 0 ||
	    (rc = pthread_cond_init(&o->eo_cv, NULL)) != 0 ||
	    (rc = pthread_create(&o->eo_thread, NULL, export_out_thread,
	    o)) != 0) {
		cli_warnx("export", "writer thread: %s", strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	o->eo_started = 1;
	return 0;
}

/* Hands the current buffer to the thread and waits for the other. */
static int
export_out_switch(struct export_out *o)
{
	int err;

	pthread_mutex_lock(&o->eo_mu);
	o->eo_full[o->eo_cur] = 1;
	pthread_cond_broadcast(&o->eo_cv);
	o->eo_cur = 1 - o->eo_cur;
	while (o->eo_full[o->eo_cur])
		pthread_cond_wait(&o->eo_cv, &o->eo_mu);
	err = o->eo_err;
	pthread_mutex_unlock(&o->eo_mu);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Appends len bytes to a streamed file; 0, or -1 with errno set. */
static int
export_out_put(struct export_out *o, const void *p, size_t len)
{
	const char *c = p;
	size_t room, n;

	while (len > 0) {
		room = EXPORT_IOBUF - o->eo_len[o->eo_cur];
		if (room == 0) {
			if (export_out_switch(o) == -1)
				return -1;
			continue;
		}
		n = len < room ? len : room;
		memcpy(o->eo_buf[o->eo_cur] + o->eo_len[o->eo_cur], c, n);
		o->eo_len[o->eo_cur] += n;
		o->eo_bytes += n;
		c += n;
		len -= n;
	}
	return 0;
}

/* Stops the thread after the buffers handed to it; its errno or 0. */
static int
export_out_stop(struct export_out *o)
{
	int err;

	if (!o->eo_started)
		return 0;
	pthread_mutex_lock(&o->eo_mu);
	o->eo_done = 1;
	pthread_cond_broadcast(&o->eo_cv);
	pthread_mutex_unlock(&o->eo_mu);
	pthread_join(o->eo_thread, NULL);
	pthread_cond_destroy(&o->eo_cv);
	pthread_mutex_destroy(&o->eo_mu);
	o->eo_started = 0;
	err = o->eo_err;
	return err;
}

/*
 * Writes what is left, stops the thread, fsyncs and closes the file;
 * its digest into eo_sha.
 */
static int
export_out_close(struct export *ex, struct export_out *o, const char *name)
{
	int err = 0, fd = o->eo_fd;

	if (o->eo_len[o->eo_cur] > 0 && export_out_switch(o) == -1)
		err = errno;
	if (export_out_stop(o) != 0 && err == 0)
		err = o->eo_err;
	o->eo_fd = -1;
	if (err == 0 && fsync(fd) == -1)
		err = errno;
	if (close(fd) == -1 && err == 0)
		err = errno;
	if (err != 0) {
		cli_warnx("export", "%s/%s: %s", ex->ex_out, name,
		    strerror(err));
		return TOOLS_EXIT_FAIL;
	}
	if (EVP_DigestFinal_ex(o->eo_md, o->eo_sha, NULL) != 1) {
		cli_warnx("export", "SHA-256: OpenSSL failed");
		return TOOLS_EXIT_FAIL;
	}
	return 0;
}

/* Frees what a streamed file holds (after a failure too). */
static void
export_out_free(struct export_out *o)
{
	(void)export_out_stop(o);
	if (o->eo_fd >= 0)
		close(o->eo_fd);
	o->eo_fd = -1;
	free(o->eo_buf[0]);
	free(o->eo_buf[1]);
	o->eo_buf[0] = o->eo_buf[1] = NULL;
	EVP_MD_CTX_free(o->eo_md);
	o->eo_md = NULL;
}

/* Prints progress on a terminal, at most twice a second. */
static void
export_progress(struct export *ex, int last)
{
	uint64_t done = ex->ex_counts.bc_records;
	double now, rate, eta;

	if (!ex->ex_tty)
		return;
	now = export_clock();
	if (!last && now - ex->ex_last < 0.5)
		return;
	ex->ex_last = now;
	rate = now > ex->ex_start ? (double)done / (now - ex->ex_start) : 0;
	eta = rate > 0 && ex->ex_total > done ?
	    (double)(ex->ex_total - done) / rate : 0;
	fprintf(stderr, "\ralgaudit export: %" PRIu64 "/%" PRIu64 " records "
	    "(%.0f%%), %.0f records/s, ETA %.0f s   ", done, ex->ex_total,
	    ex->ex_total > 0 ? 100.0 * (double)done / (double)ex->ex_total :
	    100.0, rate, eta);
	if (last)
		fputc('\n', stderr);
}

/* Walk: the index of the pending entry. */
static uint64_t
export_peek(void *arg)
{
	struct export *ex = arg;

	return ex->ex_next;
}

/* Reads the next entry of the selection into ex_next and ex_entry. */
static int
export_fetch(struct export *ex)
{
	const Algaudit__V1__Entry *e;
	char qerr[QUERY_ERRLEN];
	uint64_t index;
	int rc;

	ex->ex_entry = NULL;
	ex->ex_next = UINT64_MAX;
	if (ex->ex_sel == NULL)
		return 0;
	rc = filter_sel_next(ex->ex_sel, &index, &e);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0) {
		qerr[0] = '\0';
		ex->ex_exit = filter_sel_error(CMD_EXPORT_USAGE, ex->ex_dir,
		    rc, index, qerr, &ex->ex_q);
		return rc;
	}
	ex->ex_entry = e;
	ex->ex_next = index;
	return 0;
}

/* Makes room for n units. */
static int
export_units(struct export *ex, size_t n)
{
	struct bundle_unit *u;

	if (n <= ex->ex_unitscap)
		return 0;
	if ((u = reallocarray(ex->ex_units, n, sizeof(*u))) == NULL)
		return ENOMEM;
	ex->ex_units = u;
	ex->ex_unitscap = n;
	return 0;
}

/*
 * Walk: the pending entry's leaf. Computes it, applies the rule,
 * writes its line, counts it, then reads the next entry.
 */
static int
export_leaf(void *arg, uint64_t index, uint8_t *hash)
{
	struct export *ex = arg;
	const Algaudit__V1__Entry *e = ex->ex_entry;
	const struct leaf_unit *lu;
	struct bundle_info info;
	uint8_t pseudo[BUNDLE_PSEUDO_LEN];
	char err[BUNDLE_ERRLEN];
	size_t n, i;
	int rc;

	ex->ex_exit = TOOLS_EXIT_FAIL;
	if ((rc = leaf_compute(ex->ex_ctx, ex->ex_key, e, hash)) != 0) {
		cli_warnx("export", "entry %" PRIu64 ": %s: %s", index,
		    leaf_strerror(rc), leaf_ctx_errmsg(ex->ex_ctx));
		ex->ex_exit = TOOLS_EXIT_VERIFY;
		return rc;
	}
	n = leaf_ctx_units(ex->ex_ctx);
	if ((rc = export_units(ex, n)) != 0) {
		cli_warnx("export", "%s", strerror(rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		lu = leaf_ctx_unit(ex->ex_ctx, i);
		ex->ex_units[i].bu_path = lu->lu_path;
		ex->ex_units[i].bu_pathlen = lu->lu_pathlen;
		ex->ex_units[i].bu_value = lu->lu_value;
		ex->ex_units[i].bu_valuelen = lu->lu_valuelen;
		ex->ex_units[i].bu_salt = lu->lu_salt;
		ex->ex_units[i].bu_commit = lu->lu_commit;
	}
	if ((rc = bundle_assign(&ex->ex_policy, ex->ex_units, n, &info, err,
	    sizeof(err))) != 0) {
		cli_warnx("export", "entry %" PRIu64 ": %s", index, err);
		ex->ex_exit = TOOLS_EXIT_VERIFY;
		return rc;
	}
	if (info.bi_pseudonym)
		bundle_pseudo(ex->ex_pseudo, e->record->subject,
		    strlen(e->record->subject), pseudo);
	if ((rc = bundle_record_format(&ex->ex_line, index, hash,
	    ex->ex_units, n, info.bi_pseudonym ? pseudo : NULL)) != 0 ||
	    (rc = bundle_counts_add(&ex->ex_counts, index, ex->ex_units, n,
	    &info)) != 0) {
		cli_warnx("export", "%s", strerror(rc));
		return rc;
	}
	if (export_out_put(&ex->ex_rec, ex->ex_line.bb_data,
	    ex->ex_line.bb_len) == -1) {
		cli_warnx("export", "%s/%s: %s", ex->ex_out, BUNDLE_RECORDS,
		    strerror(errno));
		return EIO;
	}
	ex->ex_withheld |= info.bi_withheld;
	if ((ex->ex_counts.bc_records & 1023) == 0)
		export_progress(ex, 0);
	return export_fetch(ex);
}

/* Walk: the hash of a node without selected leaves, from the tiles. */
static int
export_piece(void *arg, uint64_t lo, uint64_t hi, uint8_t *hash)
{
	struct export *ex = arg;
	char hex[2 * EXPORT_HASH_LEN + 2];
	int rc;

	ex->ex_exit = TOOLS_EXIT_FAIL;
	if ((rc = merkle_range_hash(store_view_tree(ex->ex_v), lo, hi,
	    hash)) != 0) {
		cli_warnx("export", "the tree's node over entries %" PRIu64
		    " to %" PRIu64 ": %s", lo, hi - 1, vlog_strerror(rc));
		return rc;
	}
	receipt_hex(hash, EXPORT_HASH_LEN, hex);
	hex[2 * EXPORT_HASH_LEN] = '\n';
	if (export_out_put(&ex->ex_proof, hex, sizeof(hex) - 1) == -1) {
		cli_warnx("export", "%s/%s: %s", ex->ex_out, BUNDLE_PROOF,
		    strerror(errno));
		return EIO;
	}
	ex->ex_counts.bc_hashes++;
	return 0;
}

/*
 * Reads the file name of directory dir (at most max bytes) into a new
 * buffer *p of *len bytes, NUL-terminated. Returns 0 or an errno (EFBIG
 * above max).
 */
static int
export_slurp(const char *dir, const char *name, size_t max, char **p,
    size_t *len)
{
	char path[4096];

	*p = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return ENAMETOOLONG;
	return bundle_read_file(AT_FDCWD, path, max, p, len);
}

/*
 * Reads the signer key STORE/signer.key and checks that it signed the
 * checkpoint; fills ex_signer, ex_nv, ex_vkey.
 */
static int
export_signer(struct export *ex)
{
	struct note_checkpoint cp;
	char path[4096], err[256];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/signer.key",
	    ex->ex_dir) >= sizeof(path)) {
		cli_warnx("export", "%s: path too long", ex->ex_dir);
		return TOOLS_EXIT_FAIL;
	}
	err[0] = '\0';
	if ((rc = note_signer_read(path, &ex->ex_signer, err,
	    sizeof(err))) != 0) {
		cli_warnx("export", "%s: %s%s%s (the manifest is signed with "
		    "the log's key)", path, note_strerror(rc),
		    err[0] != '\0' ? ": " : "", err);
		return TOOLS_EXIT_FAIL;
	}
	if ((rc = note_signer_vkey(ex->ex_signer, ex->ex_vkey,
	    sizeof(ex->ex_vkey))) != 0 ||
	    (rc = note_verifier_new(ex->ex_vkey, &ex->ex_nv, err,
	    sizeof(err))) != 0) {
		cli_warnx("export", "%s: %s", path, note_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if ((rc = note_checkpoint_open(ex->ex_nv, ex->ex_note, ex->ex_notelen,
	    &cp, err, sizeof(err))) != 0) {
		cli_warnx("export", "%s did not sign the latest checkpoint "
		    "(size %" PRIu64 "): %s; refusing to sign a manifest with "
		    "another key than the log's", path, ex->ex_cp.nc_size,
		    note_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	return 0;
}

/* Reads --pseudonym-key FILE, or makes a random key for this bundle. */
static int
export_pseudo_key(struct export *ex)
{
	uint8_t key[BUNDLE_PSEUDO_KEY_MAX];
	struct stat sb;
	ssize_t n;
	size_t have = 0;
	int fd, rc, ex_rc = TOOLS_EXIT_FAIL;

	if (ex->ex_policy.bp_reveal_subjects)
		return 0;
	if (ex->ex_pkey == NULL) {
		if (RAND_bytes(key, BUNDLE_PSEUDO_KEY_MIN) != 1) {
			cli_warnx("export", "no random bytes for the pseudonym "
			    "key");
			return TOOLS_EXIT_FAIL;
		}
		have = BUNDLE_PSEUDO_KEY_MIN;
		ex->ex_pkey_random = 1;
		goto make;
	}
	if ((fd = open(ex->ex_pkey, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		cli_warnx("export", "--pseudonym-key: %s: %s", ex->ex_pkey,
		    strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		cli_warnx("export", "--pseudonym-key: %s: not a regular file",
		    ex->ex_pkey);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		cli_warnx("export", "--pseudonym-key: %s: readable by group "
		    "or others (mode %03o); chmod 600 it", ex->ex_pkey,
		    (unsigned)(sb.st_mode & 0777));
		goto out;
	}
	if (sb.st_size < BUNDLE_PSEUDO_KEY_MIN ||
	    sb.st_size > BUNDLE_PSEUDO_KEY_MAX) {
		cli_warnx("export", "--pseudonym-key: %s: %lld bytes; a key is "
		    "%d to %d bytes (e.g. head -c 32 /dev/urandom)",
		    ex->ex_pkey, (long long)sb.st_size, BUNDLE_PSEUDO_KEY_MIN,
		    BUNDLE_PSEUDO_KEY_MAX);
		goto out;
	}
	while (have < (size_t)sb.st_size) {
		n = read(fd, key + have, (size_t)sb.st_size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_warnx("export", "--pseudonym-key: %s: %s",
			    ex->ex_pkey, n == 0 ? "short read" :
			    strerror(errno));
			goto out;
		}
		have += (size_t)n;
	}
	close(fd);
	fd = -1;
make:
	if ((rc = bundle_pseudo_new(&ex->ex_pseudo, key, have)) != 0) {
		cli_warnx("export", "pseudonym key: %s", strerror(rc));
		goto out;
	}
	bundle_pseudo_key_id(ex->ex_pseudo, ex->ex_key_id);
	ex_rc = 0;
out:
	if (ex->ex_pkey != NULL && fd != -1)
		close(fd);
	OPENSSL_cleanse(key, sizeof(key));
	return ex_rc;
}

/*
 * --since-bundle OLD: reads OLD's checkpoint, which must verify with
 * the log's key, be of its origin and not above the new size, and the
 * hash of OLD's manifest.
 */
static int
export_old(struct export *ex)
{
	char err[256], *m = NULL;
	size_t mlen;
	int rc;

	if ((rc = export_slurp(ex->ex_old, BUNDLE_CHECKPOINT, NOTE_MSG_MAX,
	    &ex->ex_oldnote, &ex->ex_oldlen)) != 0) {
		cli_warnx("export", "--since-bundle: %s/%s: %s", ex->ex_old,
		    BUNDLE_CHECKPOINT, strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	err[0] = '\0';
	if ((rc = note_checkpoint_open(ex->ex_nv, ex->ex_oldnote,
	    ex->ex_oldlen, &ex->ex_oldcp, err, sizeof(err))) != 0) {
		cli_warnx("export", "--since-bundle: %s/%s does not verify "
		    "with this log's key %s (%s%s%s): OLD is not a bundle of "
		    "this log", ex->ex_old, BUNDLE_CHECKPOINT, ex->ex_vkey,
		    note_strerror(rc), err[0] != '\0' ? ": " : "", err);
		return TOOLS_EXIT_VERIFY;
	}
	if (strcmp(ex->ex_oldcp.nc_origin, ex->ex_cp.nc_origin) != 0) {
		cli_warnx("export", "--since-bundle: %s is of the log '%s', "
		    "not '%s'", ex->ex_old, ex->ex_oldcp.nc_origin,
		    ex->ex_cp.nc_origin);
		return TOOLS_EXIT_VERIFY;
	}
	if (ex->ex_oldcp.nc_size == 0 ||
	    ex->ex_oldcp.nc_size > ex->ex_cp.nc_size) {
		cli_warnx("export", "--since-bundle: %s's checkpoint is at "
		    "size %" PRIu64 ", the store's latest at %" PRIu64 ": no "
		    "consistency proof from %s", ex->ex_old,
		    ex->ex_oldcp.nc_size, ex->ex_cp.nc_size,
		    ex->ex_oldcp.nc_size == 0 ? "the empty tree" :
		    "a newer tree");
		return TOOLS_EXIT_FAIL;
	}
	if ((rc = export_slurp(ex->ex_old, BUNDLE_MANIFEST, SIZE_MAX / 2, &m,
	    &mlen)) == 0) {
		export_sha256(m, mlen, ex->ex_oldmanifest);
		ex->ex_oldmanifest_ok = 1;
		free(m);
	}
	return 0;
}

/* Writes consistency.json: OLD's checkpoint to the new one. */
static int
export_consistency(struct export *ex, uint8_t *sha)
{
	uint8_t proof[MERKLE_PROOF_MAX * EXPORT_HASH_LEN];
	char *text = NULL;
	json_t *o;
	size_t n;
	int rc, ex_rc;

	if ((rc = merkle_prove_consistency(store_view_tree(ex->ex_v),
	    ex->ex_oldcp.nc_size, ex->ex_cp.nc_size, proof, &n)) != 0) {
		cli_warnx("export", "consistency proof from size %" PRIu64
		    ": %s", ex->ex_oldcp.nc_size, vlog_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if (merkle_verify_consistency(ex->ex_oldcp.nc_size, ex->ex_cp.nc_size,
	    ex->ex_oldcp.nc_root, ex->ex_cp.nc_root, proof, n) != 0) {
		cli_warnx("export", "--since-bundle: the log's tree at size "
		    "%" PRIu64 " is not the one %s's checkpoint signed: the "
		    "log was rewritten since; run `algaudit verify`",
		    ex->ex_oldcp.nc_size, ex->ex_old);
		return TOOLS_EXIT_VERIFY;
	}
	if ((o = receipt_consistency_json(ex->ex_oldcp.nc_size,
	    ex->ex_cp.nc_size, proof, n, ex->ex_oldnote, ex->ex_oldlen,
	    ex->ex_note, ex->ex_notelen)) == NULL ||
	    (text = json_dumps(o, JSON_INDENT(2))) == NULL) {
		json_decref(o);
		cli_warnx("export", "%s", strerror(ENOMEM));
		return TOOLS_EXIT_FAIL;
	}
	json_decref(o);
	n = strlen(text);
	text[n] = '\n';		/* json_dumps' NUL becomes the newline */
	ex_rc = export_small(ex, BUNDLE_CONSISTENCY, text, n + 1, sha);
	free(text);
	return ex_rc;
}

/*
 * Fixes the selection: in log order, ending at the latest checkpoint.
 * With --to-index past it, a selected entry the checkpoint does not
 * cover is an error.
 */
static int
export_select(struct export *ex)
{
	struct query_filter q2;
	struct filter_sel *s = NULL;
	const Algaudit__V1__Entry *e;
	char qerr[QUERY_ERRLEN];
	uint64_t size = ex->ex_cp.nc_size, vsize, idx;
	int rc;

	ex->ex_q = ex->ex_filter.fl_q;
	ex->ex_q.qf_reverse = 0;
	vsize = store_view_size(ex->ex_v);
	if (ex->ex_q.qf_has_to && ex->ex_q.qf_to >= size && vsize > size &&
	    ex->ex_q.qf_from < vsize) {
		q2 = ex->ex_q;
		if (q2.qf_from < size)
			q2.qf_from = size;
		if ((rc = filter_sel_open(ex->ex_v, &q2, &s, qerr,
		    sizeof(qerr))) != 0)
			return filter_sel_error(CMD_EXPORT_USAGE, ex->ex_dir,
			    rc, 0, qerr, &q2);
		rc = filter_sel_next(s, &idx, &e);
		filter_sel_close(s);
		if (rc == 0) {
			cli_warnx("export", "entry %" PRIu64 " is selected but "
			    "the latest signed checkpoint (size %" PRIu64 ") "
			    "does not cover it: wait for the next checkpoint "
			    "(the daemon signs one every --checkpoint-entries "
			    "entries or --checkpoint-interval ms, and at "
			    "shutdown) or end the selection with --to-index "
			    "%" PRIu64, idx, size, size - 1);
			return TOOLS_EXIT_FAIL;
		}
		if (rc != STORE_ENOTFOUND)
			return filter_sel_error(CMD_EXPORT_USAGE, ex->ex_dir,
			    rc, idx, "", &q2);
	}
	if (size == 0) {
		ex->ex_empty = 1;
		return 0;
	}
	if (!ex->ex_q.qf_has_to || ex->ex_q.qf_to > size - 1) {
		if (!ex->ex_q.qf_has_to && vsize > size && !ex->ex_quiet)
			cli_warnx("export", "note: the log's entries from "
			    "index %" PRIu64 " on are not covered by a signed "
			    "checkpoint yet and are left out", size);
		ex->ex_q.qf_has_to = 1;
		ex->ex_q.qf_to = size - 1;
	}
	if (ex->ex_q.qf_from > ex->ex_q.qf_to) {
		ex->ex_empty = 1;
		return 0;
	}
	if ((rc = filter_sel_open(ex->ex_v, &ex->ex_q, &ex->ex_sel, qerr,
	    sizeof(qerr))) != 0)
		return filter_sel_error(CMD_EXPORT_USAGE, ex->ex_dir, rc, 0,
		    qerr, &ex->ex_q);
	if (ex->ex_tty) {
		if ((rc = filter_sel_open(ex->ex_v, &ex->ex_q, &s, qerr,
		    sizeof(qerr))) == 0)
			rc = filter_sel_count(s, &ex->ex_total);
		filter_sel_close(s);
		if (rc != 0)
			ex->ex_tty = 0;
	}
	return 0;
}

/* The JSON string of the hex of n bytes. */
static json_t *
export_hex(const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	receipt_hex(p, n, hex);
	return json_string(hex);
}

/* {"sha256", "bytes"} of a bundle file. */
static json_t *
export_file_json(const uint8_t *sha, uint64_t bytes)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "sha256", export_hex(sha,
	    EXPORT_HASH_LEN)) == -1 ||
	    json_object_set_new(o, "bytes", json_integer((json_int_t)bytes)) ==
	    -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The value of filter option opt in the manifest: as given (times
 * resolved to RFC 3339 UTC; true for --clock-skewed, which takes no
 * value), or {"withheld": true} when it tests units the bundle
 * withholds in a selected record (it would tell their value), or for
 * --subject with pseudonyms, {"pseudonym": hex}.
 */
static json_t *
export_filter_value(struct export *ex, int opt)
{
	static const struct {
		int		 opt;
		unsigned	 bit;
	} tests[] = {
		{ FILTER_OPT_ALGORITHM, BUNDLE_F_ALGORITHM },
		{ FILTER_OPT_SUBJECT, BUNDLE_F_SUBJECT },
		{ FILTER_OPT_DECISION, BUNDLE_F_DECISION },
		{ FILTER_OPT_SINCE, BUNDLE_F_TIME },
		{ FILTER_OPT_UNTIL, BUNDLE_F_TIME },
		{ FILTER_OPT_TRACE, BUNDLE_F_TRACE },
		{ FILTER_OPT_DECISION_ID, BUNDLE_F_DECISION_ID },
		{ FILTER_OPT_PRODUCER, BUNDLE_F_PRODUCER },
		{ FILTER_OPT_LABEL, BUNDLE_F_LABEL },
		{ FILTER_OPT_MIN_SCORE, BUNDLE_F_SCORE },
		{ FILTER_OPT_MAX_SCORE, BUNDLE_F_SCORE },
		{ FILTER_OPT_REVIEWED, BUNDLE_F_REVIEWER },
		{ FILTER_OPT_CLOCK_SKEWED, BUNDLE_F_CLOCK_SKEWED }
	};
	const struct query_filter *q = &ex->ex_filter.fl_q;
	uint8_t pseudo[BUNDLE_PSEUDO_LEN];
	char t[OUTPUT_TIMELEN], kv[512];
	json_t *o, *a;
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (tests[i].opt == opt && (ex->ex_withheld & tests[i].bit))
			return json_pack("{sb}", "withheld", 1);
	switch (opt) {
	case FILTER_OPT_SUBJECT:
		if (ex->ex_policy.bp_reveal_subjects)
			break;
		bundle_pseudo(ex->ex_pseudo, q->qf_subject,
		    strlen(q->qf_subject), pseudo);
		if ((o = json_object()) == NULL ||
		    json_object_set_new(o, "pseudonym", export_hex(pseudo,
		    sizeof(pseudo))) == -1) {
			json_decref(o);
			return NULL;
		}
		return o;
	case FILTER_OPT_SINCE:
	case FILTER_OPT_UNTIL:
		if (output_time_format(t, sizeof(t), opt == FILTER_OPT_SINCE ?
		    q->qf_since_ns : q->qf_until_ns, 9, 1) == -1)
			break;
		return json_string(t);
	case FILTER_OPT_LABEL:
		if ((a = json_array()) == NULL)
			return NULL;
		for (i = 0; i < q->qf_nlabels; i++) {
			snprintf(kv, sizeof(kv), "%s=%s",
			    q->qf_labels[i].ql_key, q->qf_labels[i].ql_value);
			if (json_array_append_new(a, json_string(kv)) == -1) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	case FILTER_OPT_CLOCK_SKEWED:	/* takes no value */
		return json_true();
	default:
		break;
	}
	return json_string(ex->ex_filter.fl_args[opt - FILTER_OPT_MIN]);
}

/* The "selection" object: the filters and the index range. */
static json_t *
export_selection_json(struct export *ex)
{
	json_t *o, *f, *r;
	int opt;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((f = json_object()) == NULL ||
	    json_object_set_new(o, "filters", f) == -1)
		goto fail;
	for (opt = FILTER_OPT_MIN; opt < FILTER_OPT_MAX; opt++) {
		if ((ex->ex_filter.fl_given & (1u << (opt - FILTER_OPT_MIN))) ==
		    0)
			continue;
		if (json_object_set_new(f, filter_option_name(opt) + 2,
		    export_filter_value(ex, opt)) == -1)
			goto fail;
	}
	if ((r = json_object()) == NULL ||
	    json_object_set_new(o, "index_range", r) == -1 ||
	    json_object_set_new(r, "from",
	    json_integer((json_int_t)ex->ex_q.qf_from)) == -1 ||
	    json_object_set_new(r, "to", ex->ex_cp.nc_size == 0 ? json_null() :
	    json_integer((json_int_t)ex->ex_q.qf_to)) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Adds o[key] = v (stolen); -1 on failure. */
static int
export_set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v);
}

/*
 * Builds the manifest, with the digests of the files already written
 * (sha: one per export_files[] entry before the manifest).
 */
static json_t *
export_manifest(struct export *ex, uint8_t sha[][EXPORT_HASH_LEN],
    uint64_t *bytes)
{
	char created[OUTPUT_TIMELEN], tool[64];
	json_t *m, *cp, *pol, *files, *sb, *pk;
	int i;

	if ((m = json_object()) == NULL)
		return NULL;
	snprintf(tool, sizeof(tool), "algaudit %s", ALGAUDIT_VERSION_STRING);
	if (output_time_format(created, sizeof(created), ex->ex_now_ns, 0, 1) ==
	    -1)
		snprintf(created, sizeof(created), "unknown");
	if (export_set(m, "format", json_string(BUNDLE_FORMAT)) == -1 ||
	    export_set(m, "tool", json_string(tool)) == -1 ||
	    export_set(m, "leaf_format", json_integer(LEAF_FORMAT_VERSION)) ==
	    -1 ||
	    export_set(m, "created", json_string(created)) == -1 ||
	    export_set(m, "origin", json_string(ex->ex_cp.nc_origin)) == -1 ||
	    (cp = json_object()) == NULL ||
	    export_set(m, "checkpoint", cp) == -1 ||
	    export_set(cp, "tree_size",
	    json_integer((json_int_t)ex->ex_cp.nc_size)) == -1 ||
	    export_set(cp, "root", export_hex(ex->ex_cp.nc_root,
	    EXPORT_HASH_LEN)) == -1 ||
	    export_set(m, "selection", export_selection_json(ex)) == -1 ||
	    (pol = bundle_policy_json(&ex->ex_policy)) == NULL ||
	    export_set(m, "policy", pol) == -1)
		goto fail;
	if (!ex->ex_policy.bp_reveal_subjects &&
	    ((pk = json_object()) == NULL ||
	    export_set(pol, "pseudonym_key", pk) == -1 ||
	    export_set(pk, "source", json_string(ex->ex_pkey_random ?
	    "random" : "file")) == -1 ||
	    export_set(pk, "id", export_hex(ex->ex_key_id,
	    BUNDLE_KEY_ID_LEN)) == -1))
		goto fail;
	if (export_set(m, "counts", bundle_counts_json(&ex->ex_counts)) == -1 ||
	    (files = json_object()) == NULL ||
	    export_set(m, "files", files) == -1)
		goto fail;
	for (i = 0; i < EXPORT_NFILES; i++) {
		if (strcmp(export_files[i], BUNDLE_MANIFEST) == 0)
			break;
		if ((ex->ex_made & (1u << i)) == 0)
			continue;
		if (export_set(files, export_files[i],
		    export_file_json(sha[i], bytes[i])) == -1)
			goto fail;
	}
	if (ex->ex_old != NULL &&
	    ((sb = json_object()) == NULL ||
	    export_set(m, "since_bundle", sb) == -1 ||
	    export_set(sb, "tree_size",
	    json_integer((json_int_t)ex->ex_oldcp.nc_size)) == -1 ||
	    export_set(sb, "root", export_hex(ex->ex_oldcp.nc_root,
	    EXPORT_HASH_LEN)) == -1 ||
	    (ex->ex_oldmanifest_ok && export_set(sb, "manifest_sha256",
	    export_hex(ex->ex_oldmanifest, EXPORT_HASH_LEN)) == -1)))
		goto fail;
	return m;
fail:
	json_decref(m);
	return NULL;
}

/* Writes manifest.json and manifest.sig. */
static int
export_sign(struct export *ex, uint8_t sha[][EXPORT_HASH_LEN],
    uint64_t *bytes)
{
	uint8_t msha[EXPORT_HASH_LEN];
	char body[NOTE_NAME_MAX + 256], *text = NULL, *note = NULL;
	json_t *m;
	size_t len, notelen;
	int rc, bl, ex_rc = TOOLS_EXIT_FAIL;

	if ((m = export_manifest(ex, sha, bytes)) == NULL ||
	    (text = json_dumps(m, JSON_INDENT(2))) == NULL) {
		cli_warnx("export", "%s", strerror(ENOMEM));
		goto out;
	}
	len = strlen(text);
	text[len] = '\n';
	if ((rc = export_small(ex, BUNDLE_MANIFEST, text, len + 1, msha)) !=
	    0) {
		ex_rc = rc;
		goto out;
	}
	if ((bl = bundle_sig_text(ex->ex_cp.nc_origin, msha, body,
	    sizeof(body))) == -1 ||
	    (rc = note_sign(ex->ex_signer, body, (size_t)bl, &note,
	    &notelen)) != 0) {
		cli_warnx("export", "signing the manifest: %s",
		    bl == -1 ? "origin too long" : note_strerror(rc));
		goto out;
	}
	ex_rc = export_small(ex, BUNDLE_SIG, note, notelen, NULL);
out:
	free(note);
	free(text);
	json_decref(m);
	return ex_rc;
}

/* Copies the bundle's files into BUNDLE.tar (pax, ustar when it fits). */
static int
export_tar(struct export *ex)
{
	struct archive *a = NULL;
	struct archive_entry *ae = NULL;
	char name[4096], buf[65536];
	const char *base;
	struct stat sb;
	ssize_t n;
	time_t now = (time_t)(ex->ex_now_ns / 1000000000);
	int fd = -1, in = -1, i, ex_rc = TOOLS_EXIT_FAIL;

	base = strrchr(ex->ex_out, '/');
	base = base != NULL ? base + 1 : ex->ex_out;
	fd = open(ex->ex_tarpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		cli_warnx("export", "%s: %s", ex->ex_tarpath, strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	ex->ex_made_tar = 1;
	if ((a = archive_write_new()) == NULL ||
	    (ae = archive_entry_new()) == NULL) {
		cli_warnx("export", "%s: %s", ex->ex_tarpath, strerror(ENOMEM));
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
		goto bad;
	snprintf(name, sizeof(name), "%s/", base);
	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, AE_IFDIR);
	archive_entry_set_perm(ae, 0700);
	archive_entry_set_mtime(ae, now, 0);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		goto bad;
	for (i = 0; i < EXPORT_NFILES; i++) {
		if ((ex->ex_made & (1u << i)) == 0)
			continue;
		if ((in = openat(ex->ex_dirfd, export_files[i], O_RDONLY |
		    O_CLOEXEC)) == -1 || fstat(in, &sb) == -1) {
			cli_warnx("export", "%s/%s: %s", ex->ex_out,
			    export_files[i], strerror(errno));
			goto out;
		}
		archive_entry_clear(ae);
		snprintf(name, sizeof(name), "%s/%s", base, export_files[i]);
		archive_entry_set_pathname(ae, name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0600);
		archive_entry_set_size(ae, sb.st_size);
		archive_entry_set_mtime(ae, now, 0);
		if (archive_write_header(a, ae) != ARCHIVE_OK)
			goto bad;
		while ((n = read(in, buf, sizeof(buf))) != 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				cli_warnx("export", "%s/%s: %s", ex->ex_out,
				    export_files[i], strerror(errno));
				goto out;
			}
			if (archive_write_data(a, buf, (size_t)n) != n)
				goto bad;
		}
		close(in);
		in = -1;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto bad;
	if (fsync(fd) == -1) {
		cli_warnx("export", "%s: %s", ex->ex_tarpath, strerror(errno));
		goto out;
	}
	ex_rc = 0;
	goto out;
bad:
	cli_warnx("export", "%s: %s", ex->ex_tarpath, archive_error_string(a));
out:
	if (in != -1)
		close(in);
	archive_entry_free(ae);
	archive_write_free(a);
	if (fd != -1 && close(fd) == -1 && ex_rc == 0) {
		cli_warnx("export", "%s: %s", ex->ex_tarpath, strerror(errno));
		ex_rc = TOOLS_EXIT_FAIL;
	}
	return ex_rc;
}

/* Removes what a failed export wrote. */
static void
export_cleanup(struct export *ex)
{
	int i;

	for (i = 0; i < EXPORT_NFILES; i++)
		if (ex->ex_made & (1u << i))
			unlinkat(ex->ex_dirfd, export_files[i], 0);
	if (ex->ex_made_dir)
		rmdir(ex->ex_out);
	if (ex->ex_made_tar)
		unlink(ex->ex_tarpath);
}

/* Prints what was written, and how to verify it. */
static int
export_summary(struct export *ex, double secs)
{
	const struct bundle_counts *c = &ex->ex_counts;

	printf("algaudit export: wrote %s: %" PRIu64 " records", ex->ex_out,
	    c->bc_records);
	if (c->bc_records > 0)
		printf(" (entries %" PRIu64 " to %" PRIu64 ")", c->bc_first,
		    c->bc_last);
	printf(" against the checkpoint at size %" PRIu64 "; %" PRIu64
	    " units disclosed, %" PRIu64 " withheld (core %" PRIu64
	    ", important %" PRIu64 ", unclassified %" PRIu64 ", excluded %"
	    PRIu64 ", pseudonymised %" PRIu64 "); %" PRIu64 " proof hashes; "
	    "%.2f s, %.0f records/s\n", ex->ex_cp.nc_size, c->bc_disclosed,
	    c->bc_units - c->bc_disclosed, c->bc_withheld[BUNDLE_W_CORE],
	    c->bc_withheld[BUNDLE_W_IMPORTANT],
	    c->bc_withheld[BUNDLE_W_UNCLASSIFIED],
	    c->bc_withheld[BUNDLE_W_EXCLUDED],
	    c->bc_withheld[BUNDLE_W_PSEUDONYMISED], c->bc_hashes, secs,
	    secs > 0 ? (double)c->bc_records / secs : 0.0);
	if (ex->ex_tar)
		printf("algaudit export: wrote %s\n", ex->ex_tarpath);
	printf("verify with: algaudit verify-bundle %s --key %s\n",
	    ex->ex_out, ex->ex_vkey);
	return fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
}

/* Writes the records and the multi-proof, walking the tree. */
static int
export_walk(struct export *ex)
{
	struct bundle_mp_ops ops;
	uint8_t root[EXPORT_HASH_LEN];
	char head[64];
	int rc, ex_rc;

	if ((ex_rc = export_out_open(ex, &ex->ex_rec, BUNDLE_RECORDS)) != 0 ||
	    (ex_rc = export_out_open(ex, &ex->ex_proof, BUNDLE_PROOF)) != 0)
		return ex_rc;
	snprintf(head, sizeof(head), "%s\ntree_size %" PRIu64 "\n",
	    BUNDLE_PROOF_FORMAT, ex->ex_cp.nc_size);
	if (export_out_put(&ex->ex_proof, head, strlen(head)) == -1) {
		cli_warnx("export", "%s/%s: %s", ex->ex_out, BUNDLE_PROOF,
		    strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	if (!ex->ex_empty && export_fetch(ex) != 0)
		return ex->ex_exit;
	ops.mo_peek = export_peek;
	ops.mo_leaf = export_leaf;
	ops.mo_piece = export_piece;
	ops.mo_arg = ex;
	if ((rc = bundle_mp_walk(ex->ex_cp.nc_size, &ops, root)) != 0) {
		if (rc == BUNDLE_EORDER) {
			cli_warnx("export", "the selection is not in log "
			    "order");
			return TOOLS_EXIT_FAIL;
		}
		return ex->ex_exit;
	}
	export_progress(ex, 1);
	if (ex->ex_next != UINT64_MAX) {
		cli_warnx("export", "entry %" PRIu64 " is past the checkpoint "
		    "at size %" PRIu64, ex->ex_next, ex->ex_cp.nc_size);
		return TOOLS_EXIT_FAIL;
	}
	if (memcmp(root, ex->ex_cp.nc_root, EXPORT_HASH_LEN) != 0) {
		cli_warnx("export", "the store's entries and tree do not give "
		    "the root of its checkpoint at size %" PRIu64 ": run "
		    "`algaudit verify`", ex->ex_cp.nc_size);
		return TOOLS_EXIT_VERIFY;
	}
	if ((ex_rc = export_out_close(ex, &ex->ex_rec, BUNDLE_RECORDS)) != 0 ||
	    (ex_rc = export_out_close(ex, &ex->ex_proof, BUNDLE_PROOF)) != 0)
		return ex_rc;
	return 0;
}

/* The whole export, after the options; returns the exit status. */
static int
export_run(struct export *ex)
{
	uint8_t sha[EXPORT_NFILES][EXPORT_HASH_LEN];
	uint64_t bytes[EXPORT_NFILES];
	char vk[NOTE_VKEY_MAX + 1];
	double start;
	size_t len;
	int ex_rc, i;

	memset(sha, 0, sizeof(sha));
	memset(bytes, 0, sizeof(bytes));
	start = ex->ex_start = export_clock();
	if (cli_store_open("export", ex->ex_dir, &ex->ex_st, &ex->ex_v) == -1)
		return TOOLS_EXIT_FAIL;
	if ((ex_rc = vlog_checkpoint_at(ex->ex_v, "export", 0, 0,
	    &ex->ex_note, &ex->ex_notelen, &ex->ex_cp.nc_size)) != 0) {
		cli_warnx("export", "the bundle's proofs need one: the daemon "
		    "signs a checkpoint every --checkpoint-entries entries or "
		    "--checkpoint-interval ms and at shutdown");
		return ex_rc;
	}
	if ((ex_rc = vlog_checkpoint_body("export", ex->ex_note,
	    ex->ex_notelen, &ex->ex_cp)) != 0 ||
	    (ex_rc = export_signer(ex)) != 0)
		return ex_rc;
	if ((ex->ex_key = store_leaf_key(ex->ex_st)) == NULL) {
		cli_warnx("export", "%s: the store has no leaf secret",
		    ex->ex_dir);
		return TOOLS_EXIT_FAIL;
	}
	if ((ex->ex_old != NULL && (ex_rc = export_old(ex)) != 0) ||
	    (ex_rc = export_pseudo_key(ex)) != 0 ||
	    (ex_rc = export_select(ex)) != 0)
		return ex_rc;
	if ((i = leaf_ctx_new(&ex->ex_ctx)) != 0 ||
	    (i = bundle_counts_init(&ex->ex_counts)) != 0) {
		cli_warnx("export", "%s", strerror(i));
		return TOOLS_EXIT_FAIL;
	}
	if (mkdir(ex->ex_out, 0700) == -1) {
		if (errno == EEXIST)
			cli_warnx("export", "%s exists; refusing to overwrite "
			    "it (choose a new --out)", ex->ex_out);
		else
			cli_warnx("export", "%s: %s", ex->ex_out,
			    strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	ex->ex_made_dir = 1;
	if ((ex->ex_dirfd = open(ex->ex_out, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		cli_warnx("export", "%s: %s", ex->ex_out, strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	len = strlen(ex->ex_vkey);
	memcpy(vk, ex->ex_vkey, len);
	vk[len] = '\n';
	if ((ex_rc = export_small(ex, BUNDLE_CHECKPOINT, ex->ex_note,
	    ex->ex_notelen, sha[0])) != 0 ||
	    (ex_rc = export_small(ex, BUNDLE_KEY, vk, len + 1, sha[1])) != 0 ||
	    (ex->ex_old != NULL && (ex_rc = export_consistency(ex,
	    sha[2])) != 0))
		return ex_rc;
	if ((ex_rc = export_walk(ex)) != 0)
		return ex_rc;
	memcpy(sha[3], ex->ex_rec.eo_sha, EXPORT_HASH_LEN);
	memcpy(sha[4], ex->ex_proof.eo_sha, EXPORT_HASH_LEN);
	bytes[0] = ex->ex_notelen;
	bytes[1] = len + 1;
	bytes[3] = ex->ex_rec.eo_bytes;
	bytes[4] = ex->ex_proof.eo_bytes;
	if (ex->ex_old != NULL) {
		struct stat sb;

		if (fstatat(ex->ex_dirfd, BUNDLE_CONSISTENCY, &sb, 0) == 0)
			bytes[2] = (uint64_t)sb.st_size;
	}
	if ((ex_rc = export_sign(ex, sha, bytes)) != 0)
		return ex_rc;
	if (fsync(ex->ex_dirfd) == -1) {
		cli_warnx("export", "%s: %s", ex->ex_out, strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	if (ex->ex_tar && (ex_rc = export_tar(ex)) != 0)
		return ex_rc;
	return export_summary(ex, export_clock() - start);
}

/* Frees everything an export holds (not the bundle it wrote). */
static void
export_free(struct export *ex)
{
	export_out_free(&ex->ex_rec);
	export_out_free(&ex->ex_proof);
	bundle_counts_free(&ex->ex_counts);
	bundle_buf_free(&ex->ex_line);
	bundle_pseudo_free(ex->ex_pseudo);
	free(ex->ex_units);
	leaf_ctx_free(ex->ex_ctx);
	filter_sel_close(ex->ex_sel);
	free(ex->ex_oldnote);
	note_verifier_free(ex->ex_nv);
	note_signer_free(ex->ex_signer);
	store_view_end(ex->ex_v);
	store_close(ex->ex_st);
	if (ex->ex_dirfd != -1)
		close(ex->ex_dirfd);
	free(ex->ex_tarpath);
	free(ex->ex_outbuf);
}

/* algaudit export: parses the options and writes the bundle. */
int
cmd_export(int argc, char **argv)
{
	enum {
		OPT_STORE = 0x2000, OPT_OUT, OPT_DISCLOSE, OPT_IMPORTANT,
		OPT_REVEAL, OPT_PKEY, OPT_SINCE_BUNDLE, OPT_TAR, OPT_QUIET
	};
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "disclose", required_argument, NULL, OPT_DISCLOSE },
		{ "allow-important", no_argument, NULL, OPT_IMPORTANT },
		{ "reveal-subjects", no_argument, NULL, OPT_REVEAL },
		{ "pseudonym-key", required_argument, NULL, OPT_PKEY },
		{ "since-bundle", required_argument, NULL, OPT_SINCE_BUNDLE },
		{ "tar", no_argument, NULL, OPT_TAR },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct export *ex;
	struct stat sb;
	char err[BUNDLE_ERRLEN];
	size_t len;
	int c, rc;

	if ((ex = calloc(1, sizeof(*ex))) == NULL) {
		cli_warnx("export", "%s", strerror(ENOMEM));
		return TOOLS_EXIT_FAIL;
	}
	ex->ex_dirfd = ex->ex_rec.eo_fd = ex->ex_proof.eo_fd = -1;
	ex->ex_next = UINT64_MAX;
	ex->ex_now_ns = output_now_ns();
	filter_init(&ex->ex_filter, ex->ex_now_ns);
	bundle_policy_init(&ex->ex_policy);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (filter_cli_option(CMD_EXPORT_USAGE, &ex->ex_filter, c,
		    optarg))
			continue;
		switch (c) {
		case OPT_STORE:
			ex->ex_dir = optarg;
			break;
		case OPT_OUT:
			ex->ex_out = optarg;
			break;
		case OPT_DISCLOSE:
			if (bundle_policy_disclose(&ex->ex_policy, optarg, err,
			    sizeof(err)) == -1)
				cli_usage(CMD_EXPORT_USAGE, "%s", err);
			break;
		case OPT_IMPORTANT:
			ex->ex_policy.bp_allow_important = 1;
			break;
		case OPT_REVEAL:
			ex->ex_policy.bp_reveal_subjects = 1;
			break;
		case OPT_PKEY:
			ex->ex_pkey = optarg;
			break;
		case OPT_SINCE_BUNDLE:
			ex->ex_old = optarg;
			break;
		case OPT_TAR:
			ex->ex_tar = 1;
			break;
		case OPT_QUIET:
			ex->ex_quiet = 1;
			break;
		case 'h':
			cli_help(CMD_EXPORT_USAGE, cmd_export_help);
		default:
			cli_bad_option(CMD_EXPORT_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_EXPORT_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (ex->ex_dir == NULL)
		cli_usage(CMD_EXPORT_USAGE, "--store: required");
	if (ex->ex_out == NULL || ex->ex_out[0] == '\0')
		cli_usage(CMD_EXPORT_USAGE, "--out: required (a new "
		    "directory)");
	if (ex->ex_policy.bp_reveal_subjects && ex->ex_pkey != NULL)
		cli_usage(CMD_EXPORT_USAGE, "--pseudonym-key: subjects are "
		    "revealed (--reveal-subjects), there are no pseudonyms");
	filter_cli_finish(CMD_EXPORT_USAGE, &ex->ex_filter);
	/* "dir/" and "dir" are one bundle; its tar is "dir.tar". */
	len = strlen(ex->ex_out);
	while (len > 1 && ex->ex_out[len - 1] == '/')
		len--;
	if ((ex->ex_outbuf = malloc(len + 1)) == NULL ||
	    (ex->ex_tarpath = malloc(len + 5)) == NULL) {
		cli_warnx("export", "%s", strerror(ENOMEM));
		export_free(ex);
		free(ex);
		return TOOLS_EXIT_FAIL;
	}
	memcpy(ex->ex_outbuf, ex->ex_out, len);
	ex->ex_outbuf[len] = '\0';
	ex->ex_out = ex->ex_outbuf;
	snprintf(ex->ex_tarpath, len + 5, "%s.tar", ex->ex_out);
	if (lstat(ex->ex_out, &sb) == 0) {
		cli_warnx("export", "%s exists; refusing to overwrite it "
		    "(choose a new --out)", ex->ex_out);
		rc = TOOLS_EXIT_FAIL;
	} else if (ex->ex_tar && lstat(ex->ex_tarpath, &sb) == 0) {
		cli_warnx("export", "%s exists; refusing to overwrite it",
		    ex->ex_tarpath);
		rc = TOOLS_EXIT_FAIL;
	} else {
		ex->ex_tty = !ex->ex_quiet && isatty(STDERR_FILENO);
		rc = export_run(ex);
	}
	if (rc != TOOLS_EXIT_OK) {
		/* The writer threads first: then nothing writes any more. */
		(void)export_out_stop(&ex->ex_rec);
		(void)export_out_stop(&ex->ex_proof);
		export_cleanup(ex);
	}
	export_free(ex);
	free(ex);
	return rc;
}
