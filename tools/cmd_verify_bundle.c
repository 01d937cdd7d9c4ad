/* SPDX-License-Identifier: ISC */
/*
 * cmd_verify_bundle.c: `algaudit verify-bundle` checks a bundle written
 * by `algaudit export` with the log's verifier key and nothing else: no
 * store, no secret, no daemon. It follows docs/BUNDLE.md, "Verifying",
 * in that order: the checkpoint's signature; the manifest's signature
 * and fields; the verifier key file; every record line (its leaf hash
 * recomputed from the disclosed units and the commitments, the
 * disclosure rule of the manifest's policy re-evaluated unit by unit),
 * all of them at once through the multi-proof to the checkpoint's
 * root; the manifest's counts and file digests against what the
 * bundle holds; the consistency proof from an older bundle.
 *
 * It does not stop at the first failure: every failing record is named
 * (line and entry index) with why, then the verdict. Streaming, like
 * export: one record line at a time in one buffer, the multi-proof walk
 * in at most 64 stack frames; only the table of algorithm ids grows.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "tools.h"

#define VB_HASH_LEN		32
#define VB_READ			(1 << 18)	/* bytes per read() */
#define VB_LINE_MAX		((size_t)64 << 20)	/* longest line */
#define VB_MANIFEST_MAX		((size_t)16 << 20)
#define VB_SMALL_MAX		((size_t)1 << 20)
#define VB_DROP			((size_t)8 << 20)	/* released behind */
#define VB_JOBS			256	/* records between the two threads */

/*
 * A file read line by line: read(2) into a buffer, hashed as it is read,
 * or mapped (records.jsonl: no copy, the digest thread hashes it).
 */
struct vb_lines {
	int		 vl_fd;
	const char	*vl_name;
	char		*vl_map;	/* mapped: the file, private */
	size_t		 vl_maplen;
	size_t		 vl_dropped;	/* bytes released behind */
	size_t		 vl_keep;	/* lines from here on are in use */
	int		 vl_mapped;
	char		*vl_buf;
	size_t		 vl_cap;
	size_t		 vl_start;	/* unread lines in [start, end) */
	size_t		 vl_end;
	EVP_MD_CTX	*vl_md;		/* NULL: not hashed here */
	uint64_t	 vl_bytes;
	uint64_t	 vl_line;	/* number of the last line returned */
	int		 vl_eof;
	uint8_t		 vl_sha[VB_HASH_LEN];
};

/*
 * The SHA-256 of a file of the bundle, read and hashed by a thread of
 * its own while the records are checked (a fifth of the work).
 */
struct vb_digest {
	int		 vd_fd;
	int		 vd_err;	/* errno of a failed read */
	int		 vd_started;
	pthread_t	 vd_thread;
	uint64_t	 vd_bytes;
	uint8_t		 vd_sha[VB_HASH_LEN];
};

/*
 * One record line on its way: parsed and checked against the policy by
 * the main thread (which walks the multi-proof with its leaf_hash),
 * then its leaf hash recomputed by the leaf thread, a SHA-256 of every
 * disclosed unit and of the leaf bytes: a third of the work, done on
 * the other core. Its views point into the mapped file.
 */
struct vb_job {
	struct bundle_record	 vj_rec;
	uint64_t		 vj_line;	/* in records.jsonl */
	size_t			 vj_off;	/* of the line in the map */
	int			 vj_bad;	/* main found it failing */
};

/* One verification. */
struct vb {
	const char		*vb_dir;
	struct note_verifier	*vb_nv;
	const char		*vb_old;
	FILE			*vb_out;
	FILE			*vb_err;
	int			 vb_dirfd;
	int			 vb_failures;	/* problems found */
	int			 vb_io;		/* an I/O failure: exit 1 */
	uint64_t		 vb_bad;	/* records that failed */

	char			*vb_note;	/* the checkpoint */
	size_t			 vb_notelen;
	struct note_checkpoint	 vb_cp;
	int			 vb_cp_ok;
	uint8_t			 vb_cp_sha[VB_HASH_LEN];

	char			*vb_mtext;	/* the manifest */
	size_t			 vb_mlen;
	json_t			*vb_m;
	struct bundle_policy	 vb_policy;

	struct vb_lines		 vb_rec;
	struct vb_digest	 vb_recsha;	/* of records.jsonl */
	struct vb_lines		 vb_proof;
	struct vb_job		*vb_jobs;	/* ring of VB_JOBS */
	uint64_t		 vb_head;	/* jobs handed to the thread */
	uint64_t		 vb_tail;	/* jobs it finished */
	int			 vb_pending;	/* jobs[head]: the next */
	int			 vb_wdone;	/* no more jobs will come */
	int			 vb_wwait;	/* the leaf thread waits */
	int			 vb_mwait;	/* main waits for room */
	int			 vb_wstarted;
	pthread_t		 vb_worker;
	pthread_mutex_t		 vb_mu;		/* the ring, failures, output */
	pthread_cond_t		 vb_cv;
	int			 vb_has_prev;
	uint64_t		 vb_prev;
	struct bundle_counts	 vb_counts;
	int			 vb_proof_broken;

	int			 vb_tty;
	uint64_t		 vb_total;
	double			 vb_start;
	double			 vb_last;
};

static const char cmd_verify_bundle_help[] =
"Checks a bundle written by `algaudit export`, offline, with the log's\n"
"verifier key (`algaudit key` prints it) and nothing else: the\n"
"checkpoint's and the manifest's signatures, every record's leaf hash\n"
"recomputed from its disclosed units and commitments, all of them\n"
"through the multi-proof to the signed root, the disclosure policy unit\n"
"by unit (no core unit disclosed, no important one unless the manifest\n"
"allows it), the manifest's counts and file digests, and the\n"
"consistency proof from an older bundle if there is one.\n"
"\n"
"  --key VERIFIERKEY    name+hash+base64, as `algaudit key` prints it\n"
"  --since-bundle OLD   the older bundle the consistency proof must\n"
"                       start from (its checkpoint and manifest)\n"
"  --quiet              no progress on stderr\n"
"\n"
"Every failing record is named (line of records.jsonl, entry index)\n"
"with the reason, then the verdict.\n"
"\n"
"Exit status: 0 verified, 1 I/O failure (cannot read BUNDLE), 2 usage\n"
"error (bad key text), 3 verification failed.\n";

/* Reports one problem of the bundle (from either thread). */
static void
vb_fail(struct vb *vb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
vb_fail(struct vb *vb, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vb->vb_mu);
	if (vb->vb_tty) {
		fputc('\r', vb->vb_err);
		vb->vb_last = 0;
	}
	fprintf(vb->vb_err, "algaudit verify-bundle: %s: ", vb->vb_dir);
	va_start(ap, fmt);
	vfprintf(vb->vb_err, fmt, ap);
	va_end(ap);
	fputc('\n', vb->vb_err);
	vb->vb_failures++;
	pthread_mutex_unlock(&vb->vb_mu);
}

/* Reports an I/O failure (exit 1 unless something else failed). */
static void
vb_io(struct vb *vb, const char *name, int err)
{
	pthread_mutex_lock(&vb->vb_mu);
	fprintf(vb->vb_err, "algaudit verify-bundle: %s/%s: %s\n", vb->vb_dir,
	    name, strerror(err));
	vb->vb_io = 1;
	pthread_mutex_unlock(&vb->vb_mu);
}

/* Seconds of the monotonic clock. */
static double
vb_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Reads the bundle's file name (at most max bytes) with bundle_read_file(). A
 * file missing (and required), too large or not regular is a failure
 * of the bundle and 1 is returned; another error is I/O (-1).
 */
static int
vb_slurp(struct vb *vb, const char *name, size_t max, int required,
    char **p, size_t *len)
{
	int rc;

	if ((rc = bundle_read_file(vb->vb_dirfd, name, max, p, len)) == 0)
		return 0;
	switch (rc) {
	case ENOENT:
		if (required)
			vb_fail(vb, "%s: missing", name);
		return 1;
	case EFBIG:
		vb_fail(vb, "%s: larger than %zu bytes", name, max);
		return 1;
	case EINVAL:
		vb_fail(vb, "%s: not a regular file", name);
		return 1;
	default:
		vb_io(vb, name, rc);
		return -1;
	}
}

/*
 * Reads OLD's checkpoint and manifest (--since-bundle). A missing
 * manifest leaves *m NULL. Returns 0, or -1 (said: I/O).
 */
static int
vb_slurp_old(struct vb *vb, char **cp, size_t *cplen, char **m,
    size_t *mlen)
{
	int fd, rc;

	*cp = *m = NULL;
	if ((fd = open(vb->vb_old, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		fprintf(vb->vb_err, "algaudit verify-bundle: --since-bundle: "
		    "%s: %s\n", vb->vb_old, strerror(errno));
		vb->vb_io = 1;
		return -1;
	}
	if ((rc = bundle_read_file(fd, BUNDLE_CHECKPOINT, NOTE_MSG_MAX, cp,
	    cplen)) != 0) {
		fprintf(vb->vb_err, "algaudit verify-bundle: --since-bundle: "
		    "%s/%s: %s\n", vb->vb_old, BUNDLE_CHECKPOINT,
		    strerror(rc));
		vb->vb_io = 1;
		close(fd);
		return -1;
	}
	if (bundle_read_file(fd, BUNDLE_MANIFEST, VB_MANIFEST_MAX, m, mlen) != 0)
		*m = NULL;
	close(fd);
	return 0;
}

/* The digest thread: reads the file to its end, hashing it. */
static void *
vb_digest_thread(void *arg)
{
	struct vb_digest *d = arg;
	EVP_MD_CTX *md;
	char *buf;
	ssize_t n;

	if ((buf = malloc(VB_READ)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL) {
		free(buf);
		d->vd_err = ENOMEM;
		return NULL;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		d->vd_err = EIO;
	while (d->vd_err == 0) {
		n = read(d->vd_fd, buf, VB_READ);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			d->vd_err = errno;
		if (n <= 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			d->vd_err = EIO;
		d->vd_bytes += (uint64_t)n;
	}
	if (d->vd_err == 0 && EVP_DigestFinal_ex(md, d->vd_sha, NULL) != 1)
		d->vd_err = EIO;
	EVP_MD_CTX_free(md);
	free(buf);
	return NULL;
}

/* Starts hashing the bundle's file name in a thread; 0 or -1 (said). */
static int
vb_digest_start(struct vb *vb, struct vb_digest *d, const char *name)
{
	int rc;

	if ((d->vd_fd = openat(vb->vb_dirfd, name, O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		vb_io(vb, name, errno);
		return -1;
	}
	if ((rc = pthread_create(&d->vd_thread, NULL, vb_digest_thread,
	    d)) != 0) {
		vb_io(vb, name, rc);
		close(d->vd_fd);
		d->vd_fd = -1;
		return -1;
	}
	d->vd_started = 1;
	return 0;
}

/* Waits for the digest thread; 0, or -1 on its read error (said). */
static int
vb_digest_wait(struct vb *vb, struct vb_digest *d, const char *name)
{
	if (!d->vd_started)
		return -1;
	pthread_join(d->vd_thread, NULL);
	d->vd_started = 0;
	close(d->vd_fd);
	d->vd_fd = -1;
	if (d->vd_err != 0) {
		vb_io(vb, name, d->vd_err);
		return -1;
	}
	return 0;
}

/*
 * Opens a file of the bundle for reading line by line, hashing it as it
 * is read if hash is set. 0, 1 (missing: said), -1 (I/O: said).
 */
static int
vb_lines_open(struct vb *vb, struct vb_lines *l, const char *name, int hash)
{
	l->vl_name = name;
	if ((l->vl_fd = openat(vb->vb_dirfd, name, O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT) {
			vb_fail(vb, "%s: missing", name);
			return 1;
		}
		vb_io(vb, name, errno);
		return -1;
	}
	if ((hash && ((l->vl_md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(l->vl_md, EVP_sha256(), NULL) != 1)) ||
	    (l->vl_buf = malloc(VB_READ)) == NULL) {
		vb_io(vb, name, ENOMEM);
		return -1;
	}
	l->vl_cap = VB_READ;
	return 0;
}

/*
 * Maps the bundle's file name for reading line by line, without copy
 * (MAP_PRIVATE: in-place unescaping writes only to our pages). 0, 1
 * (missing: said), -1 (I/O: said).
 */
static int
vb_lines_map(struct vb *vb, struct vb_lines *l, const char *name)
{
	struct stat sb;

	l->vl_name = name;
	l->vl_mapped = 1;
	if ((l->vl_fd = openat(vb->vb_dirfd, name, O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT) {
			vb_fail(vb, "%s: missing", name);
			return 1;
		}
		vb_io(vb, name, errno);
		return -1;
	}
	if (fstat(l->vl_fd, &sb) == -1) {
		vb_io(vb, name, errno);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		vb_fail(vb, "%s: not a regular file", name);
		return 1;
	}
	l->vl_maplen = (size_t)sb.st_size;
	l->vl_bytes = (uint64_t)sb.st_size;
	l->vl_keep = SIZE_MAX;
	if (l->vl_maplen == 0)
		return 0;
	l->vl_map = mmap(NULL, l->vl_maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, l->vl_fd, 0);
	if (l->vl_map == MAP_FAILED) {
		l->vl_map = NULL;
		vb_io(vb, name, errno);
		return -1;
	}
	(void)madvise(l->vl_map, l->vl_maplen, MADV_SEQUENTIAL);
	return 0;
}

/*
 * vb_line() of a mapped file: the line is a view into the map, without
 * its newline and not NUL-terminated. The pages behind the line and
 * behind vl_keep (lines still in use) are released every VB_DROP bytes,
 * so memory stays flat.
 */
static int
vb_line_mapped(struct vb *vb, struct vb_lines *l, char **line, size_t *len)
{
	char *nl;
	size_t keep;

	if (l->vl_start >= l->vl_maplen)
		return 0;
	keep = l->vl_keep < l->vl_start ? l->vl_keep : l->vl_start;
	keep &= ~((size_t)sysconf(_SC_PAGESIZE) - 1);
	if (keep - l->vl_dropped >= VB_DROP) {
		(void)madvise(l->vl_map + l->vl_dropped, keep - l->vl_dropped,
		    MADV_DONTNEED);
		l->vl_dropped = keep;
	}
	*line = l->vl_map + l->vl_start;
	l->vl_line++;
	nl = memchr(*line, '\n', l->vl_maplen - l->vl_start);
	if (nl == NULL) {
		*len = l->vl_maplen - l->vl_start;
		l->vl_start = l->vl_maplen;
		vb_fail(vb, "%s: line %" PRIu64 " does not end in a newline",
		    l->vl_name, l->vl_line);
		return 1;
	}
	*len = (size_t)(nl - *line);
	l->vl_start += *len + 1;
	return 1;
}

/*
 * The next line (*line, *len bytes without its newline, writable until
 * the next call; NUL-terminated unless the file is mapped). Returns 1,
 * 0 at the end, -1 on an I/O error or a line longer than VB_LINE_MAX
 * (said).
 */
static int
vb_line(struct vb *vb, struct vb_lines *l, char **line, size_t *len)
{
	char *nl, *p;
	size_t scan = l->vl_start;
	ssize_t n;

	if (l->vl_mapped)
		return vb_line_mapped(vb, l, line, len);
	for (;;) {
		nl = memchr(l->vl_buf + scan, '\n', l->vl_end - scan);
		if (nl != NULL || (l->vl_eof && l->vl_end > l->vl_start))
			break;
		if (l->vl_eof)
			return 0;
		scan = l->vl_end;
		if (l->vl_start > 0) {
			memmove(l->vl_buf, l->vl_buf + l->vl_start,
			    l->vl_end - l->vl_start);
			l->vl_end -= l->vl_start;
			scan -= l->vl_start;
			l->vl_start = 0;
		}
		if (l->vl_cap - l->vl_end < VB_READ / 2) {
			if (l->vl_cap >= VB_LINE_MAX) {
				vb_fail(vb, "%s: line %" PRIu64 " is longer "
				    "than %zu bytes", l->vl_name,
				    l->vl_line + 1, VB_LINE_MAX);
				return -1;
			}
			if ((p = realloc(l->vl_buf, 2 * l->vl_cap)) == NULL) {
				vb_io(vb, l->vl_name, ENOMEM);
				return -1;
			}
			l->vl_buf = p;
			l->vl_cap *= 2;
		}
		n = read(l->vl_fd, l->vl_buf + l->vl_end,
		    l->vl_cap - l->vl_end - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			vb_io(vb, l->vl_name, errno);
			return -1;
		}
		if (n == 0) {
			l->vl_eof = 1;
			continue;
		}
		if (l->vl_md != NULL)
			EVP_DigestUpdate(l->vl_md, l->vl_buf + l->vl_end,
			    (size_t)n);
		l->vl_bytes += (uint64_t)n;
		l->vl_end += (size_t)n;
	}
	*line = l->vl_buf + l->vl_start;
	l->vl_line++;
	if (nl == NULL) {
		/* The last line lacks its newline: still a line. */
		*len = l->vl_end - l->vl_start;
		l->vl_buf[l->vl_end] = '\0';
		l->vl_start = l->vl_end;
		vb_fail(vb, "%s: line %" PRIu64 " does not end in a newline",
		    l->vl_name, l->vl_line);
		return 1;
	}
	*len = (size_t)(nl - *line);
	*nl = '\0';
	l->vl_start = (size_t)(nl - l->vl_buf) + 1;
	return 1;
}

/* Reads the rest of the file (for its digest); returns its lines. */
static uint64_t
vb_lines_drain(struct vb *vb, struct vb_lines *l)
{
	uint64_t n = 0;
	char *line;
	size_t len;

	while (vb_line(vb, l, &line, &len) == 1)
		n++;
	return n;
}

/* Closes the file; its digest into vl_sha. */
static void
vb_lines_close(struct vb_lines *l)
{
	if (l->vl_md != NULL) {
		EVP_DigestFinal_ex(l->vl_md, l->vl_sha, NULL);
		EVP_MD_CTX_free(l->vl_md);
	}
	l->vl_md = NULL;
	if (l->vl_map != NULL)
		munmap(l->vl_map, l->vl_maplen);
	l->vl_map = NULL;
	if (l->vl_fd >= 0)
		close(l->vl_fd);
	l->vl_fd = -1;
	free(l->vl_buf);
	l->vl_buf = NULL;
}

/* Progress on a terminal, at most twice a second. */
static void
vb_progress(struct vb *vb, int last)
{
	uint64_t done = vb->vb_counts.bc_records;
	double now, rate, eta;

	if (!vb->vb_tty)
		return;
	now = vb_clock();
	if (!last && now - vb->vb_last < 0.5)
		return;
	vb->vb_last = now;
	rate = now > vb->vb_start ? (double)done / (now - vb->vb_start) : 0;
	eta = rate > 0 && vb->vb_total > done ?
	    (double)(vb->vb_total - done) / rate : 0;
	pthread_mutex_lock(&vb->vb_mu);
	fprintf(vb->vb_err, "\ralgaudit verify-bundle: %" PRIu64 "/%" PRIu64
	    " records (%.0f%%), %.0f records/s, ETA %.0f s   ", done,
	    vb->vb_total, vb->vb_total > 0 ? 100.0 * (double)done /
	    (double)vb->vb_total : 100.0, rate, eta);
	if (last)
		fputc('\n', vb->vb_err);
	pthread_mutex_unlock(&vb->vb_mu);
}

/* Step 1: the checkpoint, signed by the key. */
static void
vb_checkpoint(struct vb *vb)
{
	char err[256];
	int rc;

	if (vb_slurp(vb, BUNDLE_CHECKPOINT, NOTE_MSG_MAX, 1, &vb->vb_note,
	    &vb->vb_notelen) != 0)
		return;
	EVP_Digest(vb->vb_note, vb->vb_notelen, vb->vb_cp_sha, NULL,
	    EVP_sha256(), NULL);
	err[0] = '\0';
	if ((rc = note_checkpoint_open(vb->vb_nv, vb->vb_note,
	    vb->vb_notelen, &vb->vb_cp, err, sizeof(err))) != 0) {
		vb_fail(vb, "%s: signature invalid for key %s: %s%s%s",
		    BUNDLE_CHECKPOINT, note_verifier_name(vb->vb_nv),
		    note_strerror(rc), err[0] != '\0' ? ": " : "", err);
		return;
	}
	vb->vb_cp_ok = 1;
}

/* Whether o[key] is the hex of the n bytes p. */
static int
vb_hex_is(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];
	json_t *v;

	v = json_object_get(o, key);
	receipt_hex(p, n, hex);
	return json_is_string(v) && strcmp(json_string_value(v), hex) == 0;
}

/* Step 2: the manifest's signature and its fields. */
static void
vb_manifest(struct vb *vb)
{
	uint8_t sha[VB_HASH_LEN];
	char *sig = NULL, err[BUNDLE_ERRLEN];
	const char *origin;
	json_error_t jerr;
	json_t *v, *cp, *pk;
	size_t siglen;
	int rc;

	bundle_policy_init(&vb->vb_policy);
	if (vb_slurp(vb, BUNDLE_MANIFEST, VB_MANIFEST_MAX, 1, &vb->vb_mtext,
	    &vb->vb_mlen) != 0)
		return;
	EVP_Digest(vb->vb_mtext, vb->vb_mlen, sha, NULL, EVP_sha256(), NULL);
	vb->vb_m = json_loadb(vb->vb_mtext, vb->vb_mlen,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (vb->vb_m == NULL || !json_is_object(vb->vb_m)) {
		vb_fail(vb, "%s: not a JSON object: line %d: %s",
		    BUNDLE_MANIFEST, jerr.line, jerr.text);
		json_decref(vb->vb_m);
		vb->vb_m = NULL;
	}
	origin = vb->vb_cp_ok ? vb->vb_cp.nc_origin : vb->vb_m != NULL &&
	    json_is_string(json_object_get(vb->vb_m, "origin")) ?
	    json_string_value(json_object_get(vb->vb_m, "origin")) : "";
	if (vb_slurp(vb, BUNDLE_SIG, NOTE_MSG_MAX, 1, &sig, &siglen) == 0) {
		if ((rc = bundle_sig_check(vb->vb_nv, sig, siglen, origin,
		    sha, err, sizeof(err))) != 0)
			vb_fail(vb, "%s: %s", BUNDLE_SIG, err);
		free(sig);
	}
	if (vb->vb_m == NULL)
		return;
	v = json_object_get(vb->vb_m, "format");
	if (!json_is_string(v) || strcmp(json_string_value(v),
	    BUNDLE_FORMAT) != 0)
		vb_fail(vb, "%s: \"format\" is not \"%s\"", BUNDLE_MANIFEST,
		    BUNDLE_FORMAT);
	v = json_object_get(vb->vb_m, "leaf_format");
	if (!json_is_integer(v) || json_integer_value(v) !=
	    LEAF_FORMAT_VERSION)
		vb_fail(vb, "%s: \"leaf_format\" is not %d", BUNDLE_MANIFEST,
		    LEAF_FORMAT_VERSION);
	cp = json_object_get(vb->vb_m, "checkpoint");
	if (vb->vb_cp_ok) {
		v = json_object_get(vb->vb_m, "origin");
		if (!json_is_string(v) || strcmp(json_string_value(v),
		    vb->vb_cp.nc_origin) != 0)
			vb_fail(vb, "%s: \"origin\" is not the checkpoint's "
			    "'%s'", BUNDLE_MANIFEST, vb->vb_cp.nc_origin);
		v = json_object_get(cp, "tree_size");
		if (!json_is_integer(v) || (uint64_t)json_integer_value(v) !=
		    vb->vb_cp.nc_size ||
		    !vb_hex_is(cp, "root", vb->vb_cp.nc_root, VB_HASH_LEN))
			vb_fail(vb, "%s: \"checkpoint\" is not the "
			    "checkpoint's tree size %" PRIu64 " and root",
			    BUNDLE_MANIFEST,
			    vb->vb_cp.nc_size);
	}
	if (bundle_policy_from_json(json_object_get(vb->vb_m, "policy"),
	    &vb->vb_policy, err, sizeof(err)) != 0) {
		vb_fail(vb, "%s: %s", BUNDLE_MANIFEST, err);
		/* Check the records against the strictest policy. */
		bundle_policy_init(&vb->vb_policy);
		(void)bundle_policy_disclose(&vb->vb_policy, "data_class",
		    err, sizeof(err));
	}
	pk = json_object_get(json_object_get(vb->vb_m, "policy"),
	    "pseudonym_key");
	if (!vb->vb_policy.bp_reveal_subjects && (!json_is_object(pk) ||
	    !json_is_string(json_object_get(pk, "source")) ||
	    !json_is_string(json_object_get(pk, "id"))))
		vb_fail(vb, "%s: \"policy\": subjects are pseudonymised but "
		    "\"pseudonym_key\" lacks its \"source\" or \"id\"",
		    BUNDLE_MANIFEST);
	v = json_object_get(json_object_get(vb->vb_m, "counts"), "records");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		vb->vb_total = (uint64_t)json_integer_value(v);
}

/* Step 3: the verifier key file is the key given. */
static void
vb_key(struct vb *vb, const char *key)
{
	char *text;
	size_t len;

	if (vb_slurp(vb, BUNDLE_KEY, NOTE_VKEY_MAX + 1, 1, &text, &len) != 0)
		return;
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (strcmp(text, key) != 0)
		vb_fail(vb, "%s: '%s' is not the key given with --key",
		    BUNDLE_KEY, text);
	free(text);
}

/*
 * The leaf thread: recomputes each job's leaf hash, in order. It takes
 * every job there is at once and gives their slots back together:
 * the slots from tail to head are the main thread's no more.
 */
static void *
vb_worker(void *arg)
{
	struct vb *vb = arg;
	struct vb_job *jb;
	struct bundle_record *r;
	uint8_t leaf[VB_HASH_LEN];
	char err[BUNDLE_ERRLEN];
	uint64_t t, head, bad;
	int rc;

	pthread_mutex_lock(&vb->vb_mu);
	for (;;) {
		while (vb->vb_tail == vb->vb_head && !vb->vb_wdone) {
			vb->vb_wwait = 1;
			pthread_cond_wait(&vb->vb_cv, &vb->vb_mu);
			vb->vb_wwait = 0;
		}
		if (vb->vb_tail == vb->vb_head)
			break;
		head = vb->vb_head;
		pthread_mutex_unlock(&vb->vb_mu);
		for (bad = 0, t = vb->vb_tail; t < head; t++) {
			jb = &vb->vb_jobs[t % VB_JOBS];
			r = &jb->vj_rec;
			err[0] = '\0';
			if ((rc = leaf_hash_claims(r->br_index, r->br_claims,
			    r->br_n, leaf, err, sizeof(err))) != 0)
				vb_fail(vb, "%s line %" PRIu64 " (entry "
				    "%" PRIu64 "): %s: %s", BUNDLE_RECORDS,
				    jb->vj_line, r->br_index,
				    leaf_strerror(rc), err);
			else if (memcmp(leaf, r->br_leaf, VB_HASH_LEN) != 0)
				vb_fail(vb, "%s line %" PRIu64 " (entry "
				    "%" PRIu64 "): its units do not give its "
				    "leaf_hash: a disclosed value, salt, "
				    "commitment or path was changed",
				    BUNDLE_RECORDS, jb->vj_line, r->br_index);
			else
				continue;
			bad += jb->vj_bad ? 0 : 1;
		}
		pthread_mutex_lock(&vb->vb_mu);
		vb->vb_bad += bad;
		vb->vb_tail = head;
		if (vb->vb_mwait)
			pthread_cond_broadcast(&vb->vb_cv);
	}
	pthread_mutex_unlock(&vb->vb_mu);
	return NULL;
}

/* Starts the leaf thread and its ring; 0 or -1 (said). */
static int
vb_worker_start(struct vb *vb)
{
	int rc;

	if ((vb->vb_jobs = calloc(VB_JOBS, sizeof(*vb->vb_jobs))) == NULL) {
		vb_io(vb, BUNDLE_RECORDS, ENOMEM);
		return -1;
	}
	if ((rc = pthread_create(&vb->vb_worker, NULL, vb_worker, vb)) != 0) {
		vb_io(vb, BUNDLE_RECORDS, rc);
		return -1;
	}
	vb->vb_wstarted = 1;
	return 0;
}

/* Lets the leaf thread finish the jobs it has, and waits for it. */
static void
vb_worker_stop(struct vb *vb)
{
	size_t i;

	if (vb->vb_wstarted) {
		pthread_mutex_lock(&vb->vb_mu);
		vb->vb_wdone = 1;
		pthread_cond_broadcast(&vb->vb_cv);
		pthread_mutex_unlock(&vb->vb_mu);
		pthread_join(vb->vb_worker, NULL);
		vb->vb_wstarted = 0;
	}
	if (vb->vb_jobs != NULL)
		for (i = 0; i < VB_JOBS; i++)
			bundle_record_free(&vb->vb_jobs[i].vj_rec);
	free(vb->vb_jobs);
	vb->vb_jobs = NULL;
}

/*
 * The job the next record is parsed into: jobs[head], once the leaf
 * thread is done with what it held. Keeps the lines of the jobs in
 * flight mapped.
 */
static struct vb_job *
vb_job_next(struct vb *vb)
{
	struct vb_job *jb;

	pthread_mutex_lock(&vb->vb_mu);
	while (vb->vb_head - vb->vb_tail >= VB_JOBS) {
		vb->vb_mwait = 1;
		pthread_cond_wait(&vb->vb_cv, &vb->vb_mu);
		vb->vb_mwait = 0;
	}
	vb->vb_rec.vl_keep = vb->vb_tail < vb->vb_head ?
	    vb->vb_jobs[vb->vb_tail % VB_JOBS].vj_off : SIZE_MAX;
	jb = &vb->vb_jobs[vb->vb_head % VB_JOBS];
	pthread_mutex_unlock(&vb->vb_mu);
	return jb;
}

/*
 * Walk: the index of the next record. Reads and parses lines until one
 * parses and comes after the previous record; the others are named and
 * skipped.
 */
static uint64_t
vb_peek(void *arg)
{
	struct vb *vb = arg;
	struct vb_job *jb;
	char err[BUNDLE_ERRLEN], *line;
	size_t len;
	int rc;

	if (vb->vb_pending)
		return vb->vb_jobs[vb->vb_head % VB_JOBS].vj_rec.br_index;
	if (vb->vb_jobs == NULL)
		return UINT64_MAX;
	for (;;) {
		jb = vb_job_next(vb);
		if ((rc = vb_line(vb, &vb->vb_rec, &line, &len)) != 1)
			return UINT64_MAX;
		jb->vj_line = vb->vb_rec.vl_line;
		jb->vj_off = (size_t)(line - vb->vb_rec.vl_map);
		if ((rc = bundle_record_parse(&jb->vj_rec, line, len, err,
		    sizeof(err))) != 0) {
			if (rc == ENOMEM) {
				vb_io(vb, BUNDLE_RECORDS, rc);
				return UINT64_MAX;
			}
			vb_fail(vb, "%s line %" PRIu64 ": malformed: %s",
			    BUNDLE_RECORDS, jb->vj_line, err);
			vb->vb_bad++;
			continue;
		}
		if (vb->vb_has_prev && jb->vj_rec.br_index <= vb->vb_prev) {
			vb_fail(vb, "%s line %" PRIu64 " (entry %" PRIu64 "): "
			    "not after the previous record (entry %" PRIu64
			    "): a record was added, repeated or moved",
			    BUNDLE_RECORDS, jb->vj_line, jb->vj_rec.br_index,
			    vb->vb_prev);
			vb->vb_bad++;
			continue;
		}
		vb->vb_pending = 1;
		return jb->vj_rec.br_index;
	}
}

/*
 * Checks the pending record against the manifest's policy, counts it
 * either way (as failing if it is or bad says so), and hands it to the
 * leaf thread, which checks that its units give its leaf hash.
 */
static void
vb_record(struct vb *vb, int bad)
{
	struct vb_job *jb = &vb->vb_jobs[vb->vb_head % VB_JOBS];
	struct bundle_record *r = &jb->vj_rec;
	struct bundle_info info;
	char err[BUNDLE_ERRLEN];
	int rc;

	if ((rc = bundle_check(&vb->vb_policy, r->br_units, r->br_n,
	    r->br_has_pseudonym, &info, err, sizeof(err))) != 0) {
		vb_fail(vb, "%s line %" PRIu64 " (entry %" PRIu64 "): %s%s",
		    BUNDLE_RECORDS, jb->vj_line, r->br_index,
		    rc == EPERM ? "disclosure policy broken: " : "", err);
		bad = 1;
		/* Count what can be counted. */
		memset(&info, 0, sizeof(info));
		info.bi_class = BUNDLE_CLASS_UNCLASSIFIED;
	}
	if ((rc = bundle_counts_add(&vb->vb_counts, r->br_index, r->br_units,
	    r->br_n, &info)) != 0)
		vb_io(vb, BUNDLE_RECORDS, rc);
	vb->vb_prev = r->br_index;
	vb->vb_has_prev = 1;
	vb->vb_pending = 0;
	jb->vj_bad = bad;
	pthread_mutex_lock(&vb->vb_mu);
	if (bad)
		vb->vb_bad++;
	vb->vb_head++;
	/* Wake it when it sleeps and a batch is ready. */
	if (vb->vb_wwait && vb->vb_head - vb->vb_tail >= VB_JOBS / 4)
		pthread_cond_broadcast(&vb->vb_cv);
	pthread_mutex_unlock(&vb->vb_mu);
	if ((vb->vb_counts.bc_records & 1023) == 0)
		vb_progress(vb, 0);
}

/* Walk: the pending record's leaf hash (as its line states it). */
static int
vb_leaf(void *arg, uint64_t index, uint8_t *hash)
{
	struct vb *vb = arg;

	(void)index;
	memcpy(hash, vb->vb_jobs[vb->vb_head % VB_JOBS].vj_rec.br_leaf,
	    VB_HASH_LEN);
	vb_record(vb, 0);
	return 0;
}

/* Walk: the next hash of the multi-proof. */
static int
vb_piece(void *arg, uint64_t lo, uint64_t hi, uint8_t *hash)
{
	struct vb *vb = arg;
	char *line;
	size_t len, n;
	int rc, i;

	if ((rc = vb_line(vb, &vb->vb_proof, &line, &len)) != 1) {
		if (rc == 0)
			vb_fail(vb, "%s: ends before the hash of the node over "
			    "entries %" PRIu64 " to %" PRIu64 ": a record of "
			    "that range was dropped from %s, or hashes were "
			    "removed", BUNDLE_PROOF, lo, hi - 1,
			    BUNDLE_RECORDS);
		return -1;
	}
	for (i = 0; i < 2 * VB_HASH_LEN && (size_t)i < len; i++)
		if (!((line[i] >= '0' && line[i] <= '9') ||
		    (line[i] >= 'a' && line[i] <= 'f')))
			break;
	if (len != 2 * VB_HASH_LEN || i != 2 * VB_HASH_LEN ||
	    receipt_unhexn(line, len, hash, VB_HASH_LEN, &n) == -1) {
		vb_fail(vb, "%s line %" PRIu64 ": not 64 lower-case hex "
		    "digits", BUNDLE_PROOF, vb->vb_proof.vl_line);
		return -1;
	}
	vb->vb_counts.bc_hashes++;
	return 0;
}

/* Reads the multi-proof's header lines; 0 or -1 (said). */
static int
vb_proof_header(struct vb *vb)
{
	char *line, want[64];
	size_t len;

	if (vb_line(vb, &vb->vb_proof, &line, &len) != 1 ||
	    strcmp(line, BUNDLE_PROOF_FORMAT) != 0) {
		vb_fail(vb, "%s: line 1 is not \"%s\"", BUNDLE_PROOF,
		    BUNDLE_PROOF_FORMAT);
		return -1;
	}
	if (vb_line(vb, &vb->vb_proof, &line, &len) != 1) {
		vb_fail(vb, "%s: no line 2 (tree_size)", BUNDLE_PROOF);
		return -1;
	}
	snprintf(want, sizeof(want), "tree_size %" PRIu64, vb->vb_cp.nc_size);
	if (strcmp(line, want) != 0) {
		vb_fail(vb, "%s: line 2 is not \"%s\" (the checkpoint's)",
		    BUNDLE_PROOF, want);
		return -1;
	}
	return 0;
}

/*
 * Step 4: every record, and all of them through the multi-proof to the
 * checkpoint's root. Without a valid checkpoint the records are still
 * checked one by one.
 */
static void
vb_records(struct vb *vb)
{
	struct bundle_mp_ops ops;
	uint8_t root[VB_HASH_LEN];
	uint64_t extra;
	int rc, walk;

	if (bundle_counts_init(&vb->vb_counts) != 0) {
		vb_io(vb, BUNDLE_RECORDS, ENOMEM);
		return;
	}
	if (vb_lines_map(vb, &vb->vb_rec, BUNDLE_RECORDS) != 0 ||
	    vb_digest_start(vb, &vb->vb_recsha, BUNDLE_RECORDS) != 0 ||
	    vb_worker_start(vb) != 0)
		return;
	rc = vb_lines_open(vb, &vb->vb_proof, BUNDLE_PROOF, 1);
	if (rc == -1)
		return;
	walk = rc == 0 && vb->vb_cp_ok && vb_proof_header(vb) == 0;
	ops.mo_peek = vb_peek;
	ops.mo_leaf = vb_leaf;
	ops.mo_piece = vb_piece;
	ops.mo_arg = vb;
	if (walk) {
		rc = bundle_mp_walk(vb->vb_cp.nc_size, &ops, root);
		if (rc == 0 && memcmp(root, vb->vb_cp.nc_root,
		    VB_HASH_LEN) != 0)
			vb_fail(vb, "%s: the records' leaf hashes and the "
			    "multi-proof do not lead to the checkpoint's root "
			    "(size %" PRIu64 "): a proof hash was changed, or "
			    "a record dropped, added or replaced", BUNDLE_PROOF,
			    vb->vb_cp.nc_size);
		else if (rc != 0)
			vb_fail(vb, "%s: the multi-proof walk stopped; the "
			    "records are not proven", BUNDLE_PROOF);
	}
	/*
	 * Records the walk did not reach: past the tree after a full walk;
	 * after a stopped walk or none, unproven but still checked.
	 */
	while (vb_peek(vb) != UINT64_MAX) {
		if (walk && rc == 0)
			vb_fail(vb, "%s line %" PRIu64 " (entry %" PRIu64 "): "
			    "past the checkpoint's tree size %" PRIu64,
			    BUNDLE_RECORDS, vb->vb_rec.vl_line,
			    vb->vb_jobs[vb->vb_head % VB_JOBS].vj_rec.br_index,
			    vb->vb_cp.nc_size);
		vb_record(vb, walk && rc == 0);
	}
	vb_worker_stop(vb);
	vb_progress(vb, 1);
	if (vb->vb_proof.vl_buf != NULL &&
	    (extra = vb_lines_drain(vb, &vb->vb_proof)) > 0 && walk && rc == 0)
		vb_fail(vb, "%s: %" PRIu64 " more hashes than the walk uses",
		    BUNDLE_PROOF, extra);
	vb_lines_close(&vb->vb_rec);
	vb_lines_close(&vb->vb_proof);
}

/* Checks one entry of the manifest's "files" against sha and bytes. */
static void
vb_file(struct vb *vb, json_t *files, const char *name, const uint8_t *sha,
    uint64_t bytes)
{
	json_t *f, *b;

	f = json_object_get(files, name);
	if (f == NULL) {
		vb_fail(vb, "%s: \"files\" does not list %s", BUNDLE_MANIFEST,
		    name);
		return;
	}
	b = json_object_get(f, "bytes");
	if (!vb_hex_is(f, "sha256", sha, VB_HASH_LEN) || !json_is_integer(b) ||
	    (uint64_t)json_integer_value(b) != bytes)
		vb_fail(vb, "%s: its SHA-256 or size is not what the manifest "
		    "states: the file was changed after export", name);
}

/* Step 5: the manifest's counts and file digests. */
static void
vb_counts(struct vb *vb, int has_consistency, const uint8_t *csha,
    uint64_t clen)
{
	uint8_t ksha[VB_HASH_LEN];
	char err[BUNDLE_ERRLEN], *k;
	const char *key;
	json_t *files, *v;
	size_t klen;

	if (vb->vb_m == NULL || vb->vb_counts.bc_algorithms == NULL)
		return;
	if (bundle_counts_compare(&vb->vb_counts, json_object_get(vb->vb_m,
	    "counts"), err, sizeof(err)) != 0)
		vb_fail(vb, "%s: %s", BUNDLE_MANIFEST, err);
	files = json_object_get(vb->vb_m, "files");
	if (!json_is_object(files)) {
		vb_fail(vb, "%s: \"files\": missing or not an object",
		    BUNDLE_MANIFEST);
		return;
	}
	json_object_foreach(files, key, v)
		if (strcmp(key, BUNDLE_RECORDS) != 0 &&
		    strcmp(key, BUNDLE_PROOF) != 0 &&
		    strcmp(key, BUNDLE_CHECKPOINT) != 0 &&
		    strcmp(key, BUNDLE_KEY) != 0 &&
		    strcmp(key, BUNDLE_CONSISTENCY) != 0)
			vb_fail(vb, "%s: \"files\" lists '%s', which is not a "
			    "file of a bundle", BUNDLE_MANIFEST, key);
	if (vb_digest_wait(vb, &vb->vb_recsha, BUNDLE_RECORDS) == 0) {
		if (vb->vb_recsha.vd_bytes != vb->vb_rec.vl_bytes)
			vb_fail(vb, "%s: changed while it was verified",
			    BUNDLE_RECORDS);
		vb_file(vb, files, BUNDLE_RECORDS, vb->vb_recsha.vd_sha,
		    vb->vb_recsha.vd_bytes);
	}
	vb_file(vb, files, BUNDLE_PROOF, vb->vb_proof.vl_sha,
	    vb->vb_proof.vl_bytes);
	if (vb->vb_note != NULL)
		vb_file(vb, files, BUNDLE_CHECKPOINT, vb->vb_cp_sha,
		    vb->vb_notelen);
	if (vb_slurp(vb, BUNDLE_KEY, VB_SMALL_MAX, 0, &k, &klen) == 0) {
		EVP_Digest(k, klen, ksha, NULL, EVP_sha256(), NULL);
		vb_file(vb, files, BUNDLE_KEY, ksha, klen);
		free(k);
	}
	if (has_consistency)
		vb_file(vb, files, BUNDLE_CONSISTENCY, csha, clen);
	else if (json_object_get(files, BUNDLE_CONSISTENCY) != NULL)
		vb_fail(vb, "%s: missing, but the manifest lists it",
		    BUNDLE_CONSISTENCY);
}

/*
 * Step 6: the consistency proof (consistency.json, the form of
 * `algaudit prove --consistency`) from the older bundle's checkpoint to
 * this one, checked as verify-receipt does; with --since-bundle OLD it
 * must start from OLD's checkpoint. Returns whether the file exists,
 * with its digest in sha and size in *len.
 */
static int
vb_consistency(struct vb *vb, uint8_t *sha, uint64_t *len)
{
	struct receipt_result r;
	struct note_checkpoint ocp;
	json_error_t jerr;
	json_t *o = NULL, *sb, *v;
	char *text = NULL, *old = NULL, *oldm = NULL, err[1024];
	size_t tlen, olen, omlen;
	uint8_t osha[VB_HASH_LEN];
	int rc;

	sb = vb->vb_m != NULL ? json_object_get(vb->vb_m, "since_bundle") :
	    NULL;
	rc = vb_slurp(vb, BUNDLE_CONSISTENCY, VB_SMALL_MAX,
	    sb != NULL || vb->vb_old != NULL, &text, &tlen);
	if (rc != 0) {
		if (vb->vb_old != NULL && sb == NULL && rc == 1)
			vb_fail(vb, "--since-bundle %s: the bundle has no "
			    "consistency proof", vb->vb_old);
		return 0;
	}
	*len = tlen;
	EVP_Digest(text, tlen, sha, NULL, EVP_sha256(), NULL);
	if (sb == NULL)
		vb_fail(vb, "%s: present, but the manifest has no "
		    "\"since_bundle\"", BUNDLE_CONSISTENCY);
	if ((o = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		vb_fail(vb, "%s: not JSON: line %d: %s", BUNDLE_CONSISTENCY,
		    jerr.line, jerr.text);
		goto out;
	}
	if ((rc = receipt_check(vb->vb_nv, o, &r, err, sizeof(err))) != 0 ||
	    r.rr_kind != RECEIPT_KIND_CONSISTENCY) {
		vb_fail(vb, "%s: %s", BUNDLE_CONSISTENCY, rc != 0 ? err :
		    "not a consistency proof");
		goto out;
	}
	v = json_object_get(o, "checkpoint");
	if (vb->vb_note == NULL || json_string_length(v) != vb->vb_notelen ||
	    memcmp(json_string_value(v), vb->vb_note, vb->vb_notelen) != 0)
		vb_fail(vb, "%s: does not end at the bundle's checkpoint",
		    BUNDLE_CONSISTENCY);
	v = json_object_get(o, "old_checkpoint");
	if (note_checkpoint_open(vb->vb_nv, json_string_value(v),
	    json_string_length(v), &ocp, NULL, 0) != 0)
		goto out;	/* receipt_check() said why */
	if (sb != NULL && (!json_is_integer(json_object_get(sb,
	    "tree_size")) || (uint64_t)json_integer_value(json_object_get(sb,
	    "tree_size")) != ocp.nc_size || !vb_hex_is(sb, "root",
	    ocp.nc_root, VB_HASH_LEN)))
		vb_fail(vb, "%s: \"since_bundle\" is not the consistency "
		    "proof's old checkpoint (size %" PRIu64 ")",
		    BUNDLE_MANIFEST, ocp.nc_size);
	if (vb->vb_old == NULL)
		goto out;
	if (vb_slurp_old(vb, &old, &olen, &oldm, &omlen) != 0)
		goto out;
	if (olen != json_string_length(v) ||
	    memcmp(old, json_string_value(v), olen) != 0)
		vb_fail(vb, "%s: starts from another checkpoint than %s's "
		    "(size %" PRIu64 "): not a continuation of that bundle",
		    BUNDLE_CONSISTENCY, vb->vb_old, ocp.nc_size);
	if (oldm != NULL && sb != NULL &&
	    json_object_get(sb, "manifest_sha256") != NULL) {
		EVP_Digest(oldm, omlen, osha, NULL, EVP_sha256(), NULL);
		if (!vb_hex_is(sb, "manifest_sha256", osha, VB_HASH_LEN))
			vb_fail(vb, "%s: \"since_bundle\".\"manifest_sha256\" "
			    "is not the SHA-256 of %s/%s", BUNDLE_MANIFEST,
			    vb->vb_old, BUNDLE_MANIFEST);
	}
out:
	free(old);
	free(oldm);
	free(text);
	json_decref(o);
	return 1;
}

/* The verdict, and the exit status. */
static int
vb_verdict(struct vb *vb, double secs)
{
	const struct bundle_counts *c = &vb->vb_counts;

	if (vb->vb_io && vb->vb_failures == 0)
		return TOOLS_EXIT_FAIL;
	if (vb->vb_failures > 0) {
		fprintf(vb->vb_err, "algaudit verify-bundle: %s: FAILED: %d "
		    "problem%s, %" PRIu64 " record%s failing\n", vb->vb_dir,
		    vb->vb_failures, vb->vb_failures == 1 ? "" : "s",
		    vb->vb_bad, vb->vb_bad == 1 ? "" : "s");
		return TOOLS_EXIT_VERIFY;
	}
	fprintf(vb->vb_out, "%s: OK: %" PRIu64 " records", vb->vb_dir,
	    c->bc_records);
	if (c->bc_records > 0)
		fprintf(vb->vb_out, " (entries %" PRIu64 " to %" PRIu64 ")",
		    c->bc_first, c->bc_last);
	fprintf(vb->vb_out, " are in the log %s of size %" PRIu64 ", "
	    "checkpoint and manifest signed by %s; %" PRIu64 " units "
	    "disclosed, %" PRIu64 " withheld (core %" PRIu64 ", important %"
	    PRIu64 ", unclassified %" PRIu64 ", excluded %" PRIu64
	    ", pseudonymised %" PRIu64 "), no core unit disclosed%s; %.2f s, "
	    "%.0f records/s\n", vb->vb_cp.nc_origin, vb->vb_cp.nc_size,
	    note_verifier_name(vb->vb_nv), c->bc_disclosed,
	    c->bc_units - c->bc_disclosed, c->bc_withheld[BUNDLE_W_CORE],
	    c->bc_withheld[BUNDLE_W_IMPORTANT],
	    c->bc_withheld[BUNDLE_W_UNCLASSIFIED],
	    c->bc_withheld[BUNDLE_W_EXCLUDED],
	    c->bc_withheld[BUNDLE_W_PSEUDONYMISED],
	    vb->vb_policy.bp_allow_important ? "" :
	    ", no important unit disclosed", secs, secs > 0 ?
	    (double)c->bc_records / secs : 0.0);
	if (vb->vb_m != NULL && json_object_get(vb->vb_m, "since_bundle") !=
	    NULL)
		fprintf(vb->vb_out, "%s: OK: the log only grew since the "
		    "checkpoint at size %" JSON_INTEGER_FORMAT "%s%s\n",
		    vb->vb_dir, json_integer_value(json_object_get(
		    json_object_get(vb->vb_m, "since_bundle"), "tree_size")),
		    vb->vb_old != NULL ? " of " : "",
		    vb->vb_old != NULL ? vb->vb_old : "");
	return fflush(vb->vb_out) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
}

/*
 * Verifies the bundle in directory dir with verifier v (and, if old is
 * not NULL, that it continues the bundle old), writing the verdict to
 * out and every failure to err, progress too when progress is set.
 * @return the exit status: TOOLS_EXIT_OK, TOOLS_EXIT_VERIFY (anything
 *	failed), TOOLS_EXIT_FAIL (an I/O failure and nothing else).
 */
int
cmd_verify_bundle_run(const char *dir, const char *key, const char *old,
    int progress, FILE *out, FILE *err)
{
	struct note_verifier *v = NULL;
	struct vb vb;
	uint8_t csha[VB_HASH_LEN];
	uint64_t clen = 0;
	char kerr[256];
	int ex, has, rc;

	memset(&vb, 0, sizeof(vb));
	vb.vb_dir = dir;
	vb.vb_old = old;
	vb.vb_out = out;
	vb.vb_err = err;
	vb.vb_dirfd = vb.vb_rec.vl_fd = vb.vb_proof.vl_fd = -1;
	vb.vb_recsha.vd_fd = -1;
	vb.vb_start = vb_clock();
	if (pthread_mutex_init(&vb.vb_mu, NULL) != 0)
		return TOOLS_EXIT_FAIL;
	if (pthread_cond_init(&vb.vb_cv, NULL) != 0) {
		pthread_mutex_destroy(&vb.vb_mu);
		return TOOLS_EXIT_FAIL;
	}
	kerr[0] = '\0';
	if ((rc = note_verifier_new(key, &v, kerr, sizeof(kerr))) != 0) {
		fprintf(err, "algaudit verify-bundle: --key: %s%s%s\n",
		    note_strerror(rc), kerr[0] != '\0' ? ": " : "", kerr);
		ex = TOOLS_EXIT_USAGE;
		goto out;
	}
	vb.vb_nv = v;
	if ((vb.vb_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		fprintf(err, "algaudit verify-bundle: %s: %s\n", dir,
		    strerror(errno));
		ex = TOOLS_EXIT_FAIL;
		goto out;
	}
	vb_checkpoint(&vb);
	vb_manifest(&vb);
	vb_key(&vb, key);
	vb.vb_tty = progress;
	vb_records(&vb);
	vb.vb_tty = 0;
	has = vb_consistency(&vb, csha, &clen);
	vb_counts(&vb, has, csha, clen);
	ex = vb_verdict(&vb, vb_clock() - vb.vb_start);
out:
	if (vb.vb_recsha.vd_started) {
		pthread_join(vb.vb_recsha.vd_thread, NULL);
		close(vb.vb_recsha.vd_fd);
	}
	vb_worker_stop(&vb);
	vb_lines_close(&vb.vb_rec);
	vb_lines_close(&vb.vb_proof);
	bundle_counts_free(&vb.vb_counts);
	json_decref(vb.vb_m);
	free(vb.vb_mtext);
	free(vb.vb_note);
	if (vb.vb_dirfd != -1)
		close(vb.vb_dirfd);
	note_verifier_free(v);
	pthread_cond_destroy(&vb.vb_cv);
	pthread_mutex_destroy(&vb.vb_mu);
	return ex;
}

/* algaudit verify-bundle: checks BUNDLE with --key, offline. */
int
cmd_verify_bundle(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "since-bundle", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct note_verifier *nv = NULL;
	const char *dir, *key = NULL, *old = NULL;
	char err[256];
	int c, rc, quiet = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'o':
			old = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			cli_help(CMD_VERIFY_BUNDLE_USAGE,
			    cmd_verify_bundle_help);
		default:
			cli_bad_option(CMD_VERIFY_BUNDLE_USAGE, c, argv);
		}
	}
	if (optind + 1 != argc)
		cli_usage(CMD_VERIFY_BUNDLE_USAGE, "give one BUNDLE");
	dir = argv[optind];
	if (key == NULL)
		cli_usage(CMD_VERIFY_BUNDLE_USAGE, "--key: required (the "
		    "log's verifier key; `algaudit key` prints it)");
	err[0] = '\0';
	if ((rc = note_verifier_new(key, &nv, err, sizeof(err))) != 0)
		cli_usage(CMD_VERIFY_BUNDLE_USAGE, "--key: %s%s%s",
		    note_strerror(rc), err[0] != '\0' ? ": " : "", err);
	note_verifier_free(nv);
	return cmd_verify_bundle_run(dir, key, old, !quiet &&
	    isatty(STDERR_FILENO), stdout, stderr);
}
