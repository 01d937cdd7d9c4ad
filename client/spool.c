/* SPDX-License-Identifier: ISC */
/*
 * spool.c: the on-disk spool of one producer, an append-only file of
 * checksummed frames that survives a daemon outage and a restart of the
 * application (format in docs/CLIENT.md, "Spool format").
 *
 *	header (32 bytes):  "ALGSPOOL" | u32 version | u32 header length |
 *	                    u64 seq high-water | u32 0 | u32 CRC-32C(0..27)
 *	frame:              u32 length | u32 CRC-32C(seq BE, bytes) |
 *	                    u64 seq | length bytes (record without seq)
 *
 * All integers are big-endian. The high-water is at or above every seq
 * the producer ever used while it had this spool: it is reserved ahead
 * in blocks and fsync'd before a seq above it is used, so a restarted
 * process continues above it and never reuses a seq.
 *
 * Only the I/O thread uses a spool, and spool_open() before it starts.
 * The file is locked (flock) so that two processes cannot share it.
 * Offsets handed out are logical (they never move, even when the file
 * is truncated after everything was acknowledged or compacted); frames
 * are consumed from the front once acknowledged. At open, the frames are
 * checked one by one and the file is cut at the first that is short or
 * fails its checks (a torn tail after a crash), so garbage is never
 * replayed. This file never talks to the daemon and never logs: it
 * reports what it found through struct spool_scan.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "record.h"

#define SPOOL_RBUF_MIN		(256u * 1024)
#define SPOOL_COPY_CHUNK	(1024u * 1024)

struct spool {
	int		 sp_fd;
	char		*sp_path;
	char		*sp_dir;
	uint64_t	 sp_max;	/* bound on the file size */
	uint64_t	 sp_hw;		/* seq high-water in the header */
	uint64_t	 sp_base;	/* logical offset at file offset HDR */
	uint64_t	 sp_begin;	/* first frame not consumed */
	uint64_t	 sp_end;	/* end of the synced frames */
	uint64_t	 sp_last_seq;	/* last seq appended (or scanned) */
	uint8_t		*sp_abuf;	/* frames appended, not yet synced */
	size_t		 sp_alen;
	size_t		 sp_acap;
	uint64_t	 sp_alast;	/* sp_last_seq before pending ones */
	uint8_t		*sp_rbuf;	/* read window */
	size_t		 sp_rcap;
	size_t		 sp_rlen;
	uint64_t	 sp_roff;	/* logical offset of sp_rbuf[0] */
};

/* Formats an error message; returns ALGAUDIT_ESPOOL. */
static int
spool_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
spool_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ALGAUDIT_ESPOOL;
}

/* Big-endian helpers. */
static void
spool_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Writes a big-endian u64. */
static void
spool_put64(uint8_t *p, uint64_t v)
{
	spool_put32(p, (uint32_t)(v >> 32));
	spool_put32(p + 4, (uint32_t)v);
}

/* Reads a big-endian u32. */
static uint32_t
spool_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads a big-endian u64. */
static uint64_t
spool_get64(const uint8_t *p)
{
	return (uint64_t)spool_get32(p) << 32 | spool_get32(p + 4);
}

/* Returns the file offset of a logical offset. */
static uint64_t
spool_foff(const struct spool *sp, uint64_t logical)
{
	return logical - sp->sp_base + SPOOL_HDR_LEN;
}

/* Computes a frame's CRC: over the seq (big-endian) and the bytes. */
static uint32_t
spool_frame_crc(uint64_t seq, const uint8_t *data, size_t len)
{
	uint8_t s[8];

	spool_put64(s, seq);
	return crc32c_update(crc32c(s, sizeof(s)), data, len);
}

/*
 * Builds the file name of a producer's spool: the id percent-encoded
 * (everything but ASCII letters, digits, '-', '_' and a '.' that is not
 * first) plus ".spool"; an id whose encoding would be too long for a
 * file name is named "sha-" plus the hex CRC-32C of the id, its length
 * and its first 64 encoded characters. Returns 0, or -1 if out is too
 * small.
 */
int
spool_filename(const char *producer, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3 * RECORD_MAX_PRODUCER_ID + 1];
	size_t i, n = 0;
	unsigned char ch;
	int r;

	for (i = 0; producer[i] != '\0' && n + 3 < sizeof(enc); i++) {
		ch = (unsigned char)producer[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    (ch == '.' && i > 0))
			enc[n++] = (char)ch;
		else {
			enc[n++] = '%';
			enc[n++] = hex[ch >> 4];
			enc[n++] = hex[ch & 15];
		}
	}
	enc[n] = '\0';
	if (n <= 200)
		r = snprintf(out, outlen, "%s.spool", enc);
	else
		r = snprintf(out, outlen, "%.64s-%zu-%08x.spool", enc,
		    strlen(producer), crc32c(producer, strlen(producer)));
	return r < 0 || (size_t)r >= outlen ? -1 : 0;
}

/* Writes all of buf at file offset off; returns 0 or an errno. */
static int
spool_pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, buf, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Reads up to len bytes at off; returns the count or -1 (errno set). */
static ssize_t
spool_pread_some(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Writes the header with high-water hw at offset 0 of fd. */
static int
spool_write_header(int fd, uint64_t hw)
{
	uint8_t h[SPOOL_HDR_LEN];

	memset(h, 0, sizeof(h));
	memcpy(h, SPOOL_MAGIC, 8);
	spool_put32(h + 8, SPOOL_VERSION);
	spool_put32(h + 12, SPOOL_HDR_LEN);
	spool_put64(h + 16, hw);
	spool_put32(h + 28, crc32c(h, 28));
	return spool_pwrite_all(fd, h, sizeof(h), 0);
}

/* Fsyncs a directory so that a new or renamed entry is durable. */
static int
spool_sync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno;
	if (fsync(fd) == -1)
		rc = errno;
	close(fd);
	return rc;
}

/*
 * Opens path and takes its lock, making sure the locked file is still
 * the one at path (a compaction in another process may rename over
 * it). Returns the descriptor or -1 with err set.
 */
static int
spool_open_locked(const char *path, char *err, size_t errlen)
{
	struct stat a, b;
	int fd, tries;

	for (tries = 0; tries < 8; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			spool_fail(err, errlen, "spool %s: open: %s", path,
			    strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			spool_fail(err, errlen, "spool %s: %s", path,
			    errno == EWOULDBLOCK ? "in use by another handle "
			    "or process (same producer id and spool "
			    "directory)" : strerror(errno));
			close(fd);
			return -1;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
	spool_fail(err, errlen, "spool %s: replaced while being opened", path);
	return -1;
}

/* Checks the header of an existing spool; returns 0 or ESPOOL. */
static int
spool_check_header(struct spool *sp, char *err, size_t errlen)
{
	uint8_t h[SPOOL_HDR_LEN];
	ssize_t n;

	if ((n = spool_pread_some(sp->sp_fd, h, sizeof(h), 0)) < 0)
		return spool_fail(err, errlen, "spool %s: read: %s",
		    sp->sp_path, strerror(errno));
	if ((size_t)n < sizeof(h))
		return spool_fail(err, errlen, "spool %s: header is %zd "
		    "bytes, not %d", sp->sp_path, n, SPOOL_HDR_LEN);
	if (memcmp(h, SPOOL_MAGIC, 8) != 0)
		return spool_fail(err, errlen, "spool %s: not a spool file "
		    "(bad magic)", sp->sp_path);
	if (spool_get32(h + 28) != crc32c(h, 28))
		return spool_fail(err, errlen, "spool %s: header checksum "
		    "mismatch", sp->sp_path);
	if (spool_get32(h + 8) != SPOOL_VERSION)
		return spool_fail(err, errlen, "spool %s: version %u, this "
		    "library reads version %d", sp->sp_path,
		    spool_get32(h + 8), SPOOL_VERSION);
	if (spool_get32(h + 12) != SPOOL_HDR_LEN)
		return spool_fail(err, errlen, "spool %s: header length %u, "
		    "expected %d", sp->sp_path, spool_get32(h + 12),
		    SPOOL_HDR_LEN);
	sp->sp_hw = spool_get64(h + 16);
	return 0;
}

/*
 * Reads the frames after the header, keeps the valid prefix and cuts
 * the file at the first frame that is short, too long, fails its CRC or
 * does not increase the seq. Fills scan. Returns 0 or ESPOOL.
 */
static int
spool_scan_frames(struct spool *sp, uint64_t size, struct spool_scan *scan,
    char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t off = SPOOL_HDR_LEN, seq, last = 0;
	uint32_t len, crc;
	size_t flen;
	int rc;

	while (off < size) {
		rc = spool_read(sp, off, &seq, &p, &flen, NULL);
		if (rc == SPOOL_OK) {
			if (seq <= last) {
				snprintf(scan->ss_reason,
				    sizeof(scan->ss_reason), "frame at offset "
				    "%llu: seq %llu not above %llu",
				    (unsigned long long)off,
				    (unsigned long long)seq,
				    (unsigned long long)last);
				break;
			}
			if (scan->ss_frames++ == 0)
				scan->ss_first_seq = seq;
			last = seq;
			off += SPOOL_FRAME_HDR_LEN + flen;
			continue;
		}
		if (rc != SPOOL_ECORRUPT && rc != SPOOL_END)
			return spool_fail(err, errlen, "spool %s: read: %s",
			    sp->sp_path, strerror(rc));
		p = sp->sp_rbuf + (off - sp->sp_roff);
		if (size - off < SPOOL_FRAME_HDR_LEN)
			snprintf(scan->ss_reason, sizeof(scan->ss_reason),
			    "frame at offset %llu: %llu bytes, shorter than "
			    "its header", (unsigned long long)off,
			    (unsigned long long)(size - off));
		else if ((len = spool_get32(p)) == 0 ||
		    len > SPOOL_FRAME_MAX)
			snprintf(scan->ss_reason, sizeof(scan->ss_reason),
			    "frame at offset %llu: bad length %u",
			    (unsigned long long)off, len);
		else if (size - off - SPOOL_FRAME_HDR_LEN < len)
			snprintf(scan->ss_reason, sizeof(scan->ss_reason),
			    "frame at offset %llu: torn, %llu of %u bytes",
			    (unsigned long long)off, (unsigned long long)(size -
			    off - SPOOL_FRAME_HDR_LEN), len);
		else {
			crc = spool_get32(p + 4);
			snprintf(scan->ss_reason, sizeof(scan->ss_reason),
			    "frame at offset %llu: checksum mismatch "
			    "(stored %08x)", (unsigned long long)off, crc);
		}
		break;
	}
	if (off < size) {
		scan->ss_cut_at = off;
		scan->ss_cut_bytes = size - off;
		if (ftruncate(sp->sp_fd, (off_t)off) == -1 ||
		    fdatasync(sp->sp_fd) == -1)
			return spool_fail(err, errlen, "spool %s: cutting the "
			    "damaged tail at %llu: %s", sp->sp_path,
			    (unsigned long long)off, strerror(errno));
	}
	scan->ss_last_seq = last;
	sp->sp_end = off;
	sp->sp_last_seq = last;
	sp->sp_alast = last;
	if (last > sp->sp_hw)
		sp->sp_hw = last;
	return 0;
}

/*
 * Opens (creating if needed) the spool of producer in dir, bounded by
 * max_bytes. The directory is created with mode 0700 if missing. On
 * success *out is set and scan tells what was found (frames kept, and
 * what was cut). Returns 0, ALGAUDIT_ESPOOL (err says why) or ENOMEM.
 */
int
spool_open(const char *dir, const char *producer, uint64_t max_bytes,
    struct spool **out, struct spool_scan *scan, char *err, size_t errlen)
{
	struct spool *sp;
	struct stat st;
	char name[256];
	size_t plen;
	int rc;

	memset(scan, 0, sizeof(*scan));
	if (spool_filename(producer, name, sizeof(name)) == -1)
		return spool_fail(err, errlen, "spool: producer id too long "
		    "for a file name");
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return spool_fail(err, errlen, "spool directory %s: %s", dir,
		    strerror(errno));
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return spool_fail(err, errlen, "spool directory %s: not a "
		    "directory", dir);
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return ENOMEM;
	sp->sp_fd = -1;
	plen = strlen(dir) + 1 + strlen(name) + 1;
	rc = ENOMEM;
	if ((sp->sp_dir = strdup(dir)) == NULL ||
	    (sp->sp_path = malloc(plen)) == NULL ||
	    (sp->sp_rbuf = malloc(SPOOL_RBUF_MIN)) == NULL)
		goto fail;
	sp->sp_rcap = SPOOL_RBUF_MIN;
	snprintf(sp->sp_path, plen, "%s/%s", dir, name);
	sp->sp_max = max_bytes;
	sp->sp_base = SPOOL_HDR_LEN;
	sp->sp_begin = SPOOL_HDR_LEN;
	rc = ALGAUDIT_ESPOOL;
	if ((sp->sp_fd = spool_open_locked(sp->sp_path, err, errlen)) == -1)
		goto fail;
	if (fstat(sp->sp_fd, &st) == -1) {
		spool_fail(err, errlen, "spool %s: %s", sp->sp_path,
		    strerror(errno));
		goto fail;
	}
	if (st.st_size < SPOOL_HDR_LEN) {
		/*
		 * New, or its creation was interrupted before the header
		 * was durable, when no frame can have been written yet.
		 */
		if ((rc = spool_write_header(sp->sp_fd, 0)) != 0 ||
		    ftruncate(sp->sp_fd, SPOOL_HDR_LEN) == -1 ||
		    fdatasync(sp->sp_fd) == -1 ||
		    (rc = spool_sync_dir(dir)) != 0) {
			spool_fail(err, errlen, "spool %s: creating: %s",
			    sp->sp_path, strerror(rc != 0 ? rc : errno));
			rc = ALGAUDIT_ESPOOL;
			goto fail;
		}
		sp->sp_end = SPOOL_HDR_LEN;
		*out = sp;
		return 0;
	}
	if ((rc = spool_check_header(sp, err, errlen)) != 0 ||
	    (rc = spool_scan_frames(sp, (uint64_t)st.st_size, scan, err,
	    errlen)) != 0)
		goto fail;
	*out = sp;
	return 0;

fail:
	spool_close(sp);
	return rc;
}

/* Closes a spool (the file stays); NULL is allowed. */
void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->sp_fd != -1)
		close(sp->sp_fd);
	free(sp->sp_abuf);
	free(sp->sp_rbuf);
	free(sp->sp_path);
	free(sp->sp_dir);
	free(sp);
}

/*
 * Frees a spool in a child after fork(): closes the child's descriptor
 * (the parent keeps the file and its lock) and frees the memory.
 */
void
spool_forget(struct spool *sp)
{
	spool_close(sp);
}

/* Returns the spool's path. */
const char *
spool_path(const struct spool *sp)
{
	return sp->sp_path;
}

/* Returns the seq high-water recorded in the header. */
uint64_t
spool_hw(const struct spool *sp)
{
	return sp->sp_hw;
}

/*
 * Raises the high-water to hw and makes it durable before returning.
 * Returns 0 or an errno (the high-water is then unchanged).
 */
int
spool_reserve(struct spool *sp, uint64_t hw)
{
	int rc;

	if (hw <= sp->sp_hw)
		return 0;
	if ((rc = spool_write_header(sp->sp_fd, hw)) != 0)
		return rc;
	if (fdatasync(sp->sp_fd) == -1)
		return errno;
	sp->sp_hw = hw;
	return 0;
}

/* Returns the logical offset of the first frame not consumed. */
uint64_t
spool_begin(const struct spool *sp)
{
	return sp->sp_begin;
}

/* Returns the logical offset after the last synced frame. */
uint64_t
spool_end(const struct spool *sp)
{
	return sp->sp_end;
}

/* Returns the size of the file, pending appends included. */
uint64_t
spool_size(const struct spool *sp)
{
	return spool_foff(sp, sp->sp_end) + sp->sp_alen;
}

/*
 * Rewrites the file with only the frames not yet consumed, into a new
 * file renamed over the old one, so a crash leaves one or the other.
 * Logical offsets do not change. Returns 0 or an errno.
 */
static int
spool_compact(struct spool *sp)
{
	char tmp[4096 + 8];
	uint8_t *buf = NULL;
	uint64_t from, to, n;
	ssize_t got;
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", sp->sp_path) >=
	    sizeof(tmp))
		return ENAMETOOLONG;
	if ((buf = malloc(SPOOL_COPY_CHUNK)) == NULL)
		return ENOMEM;
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		rc = errno;
		free(buf);
		return rc;
	}
	if ((rc = spool_write_header(fd, sp->sp_hw)) != 0)
		goto fail;
	from = spool_foff(sp, sp->sp_begin);
	to = SPOOL_HDR_LEN;
	n = sp->sp_end - sp->sp_begin;
	while (n > 0) {
		got = spool_pread_some(sp->sp_fd, buf, n < SPOOL_COPY_CHUNK ?
		    n : SPOOL_COPY_CHUNK, from);
		if (got <= 0) {
			rc = got < 0 ? errno : EIO;
			goto fail;
		}
		if ((rc = spool_pwrite_all(fd, buf, (size_t)got, to)) != 0)
			goto fail;
		from += (uint64_t)got;
		to += (uint64_t)got;
		n -= (uint64_t)got;
	}
	if (fdatasync(fd) == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
	    rename(tmp, sp->sp_path) == -1) {
		rc = errno;
		goto fail;
	}
	(void)spool_sync_dir(sp->sp_dir);
	close(sp->sp_fd);
	sp->sp_fd = fd;
	sp->sp_base = sp->sp_begin;
	free(buf);
	return 0;

fail:
	close(fd);
	unlink(tmp);
	free(buf);
	return rc;
}

/*
 * Appends a frame to the pending batch (written by spool_sync()). seq
 * must be above every seq appended before. Returns 0, SPOOL_EFULL when
 * the file would exceed its bound, ENOMEM or ALGAUDIT_EINVAL.
 */
int
spool_append(struct spool *sp, uint64_t seq, const uint8_t *data,
    size_t len)
{
	uint8_t *p;
	size_t need, cap;

	if (len == 0 || len > SPOOL_FRAME_MAX || seq <= sp->sp_last_seq)
		return ALGAUDIT_EINVAL;
	need = SPOOL_FRAME_HDR_LEN + len;
	if (spool_size(sp) + need > sp->sp_max) {
		/* Acknowledged frames at the front are dead weight. */
		if (sp->sp_begin - sp->sp_base >= need &&
		    spool_compact(sp) != 0)
			return SPOOL_EFULL;
		if (spool_size(sp) + need > sp->sp_max)
			return SPOOL_EFULL;
	}
	if (sp->sp_alen + need > sp->sp_acap) {
		cap = sp->sp_acap == 0 ? 64 * 1024 : sp->sp_acap;
		while (cap < sp->sp_alen + need)
			cap *= 2;
		if ((p = realloc(sp->sp_abuf, cap)) == NULL)
			return ENOMEM;
		sp->sp_abuf = p;
		sp->sp_acap = cap;
	}
	p = sp->sp_abuf + sp->sp_alen;
	spool_put32(p, (uint32_t)len);
	spool_put32(p + 4, spool_frame_crc(seq, data, len));
	spool_put64(p + 8, seq);
	memcpy(p + SPOOL_FRAME_HDR_LEN, data, len);
	sp->sp_alen += need;
	sp->sp_last_seq = seq;
	return 0;
}

/*
 * Writes the pending frames and fsyncs them. Returns 0 or an errno; on
 * error the pending frames are discarded and the file is cut back.
 */
int
spool_sync(struct spool *sp)
{
	int rc;

	if (sp->sp_alen == 0)
		return 0;
	rc = spool_pwrite_all(sp->sp_fd, sp->sp_abuf, sp->sp_alen,
	    spool_foff(sp, sp->sp_end));
	if (rc == 0 && fdatasync(sp->sp_fd) == -1)
		rc = errno;
	if (rc != 0) {
		(void)ftruncate(sp->sp_fd, (off_t)spool_foff(sp, sp->sp_end));
		spool_discard(sp);
		return rc;
	}
	sp->sp_end += sp->sp_alen;
	sp->sp_alen = 0;
	sp->sp_alast = sp->sp_last_seq;
	return 0;
}

/* Drops the frames appended since the last spool_sync(). */
void
spool_discard(struct spool *sp)
{
	sp->sp_alen = 0;
	sp->sp_last_seq = sp->sp_alast;
}

/*
 * Reads the frame at logical offset off (a frame boundary below
 * spool_end()). Returns SPOOL_OK with *seq, *data, *len (if not NULL)
 * and *next (if not NULL) set (data is valid until the next call on the
 * spool), SPOOL_END at the end, SPOOL_ECORRUPT for a frame that fails
 * its checks, or an errno.
 */
int
spool_read(struct spool *sp, uint64_t off, uint64_t *seq,
    const uint8_t **data, size_t *len, uint64_t *next)
{
	uint8_t *p;
	uint32_t flen;
	uint64_t end = sp->sp_end > off ? sp->sp_end : off;
	ssize_t got;
	size_t want, need;

	/* During the scan at open, sp_end is not known yet: read the file. */
	if (sp->sp_end == 0)
		end = UINT64_MAX;
	if (off >= end)
		return SPOOL_END;
	if (off < sp->sp_roff || off + SPOOL_FRAME_HDR_LEN >
	    sp->sp_roff + sp->sp_rlen) {
		want = sp->sp_rcap;
		if (end - off < want)
			want = (size_t)(end - off);
		if ((got = spool_pread_some(sp->sp_fd, sp->sp_rbuf, want,
		    spool_foff(sp, off))) < 0)
			return errno;
		sp->sp_roff = off;
		sp->sp_rlen = (size_t)got;
		if (sp->sp_rlen < SPOOL_FRAME_HDR_LEN)
			return sp->sp_rlen == 0 ? SPOOL_END : SPOOL_ECORRUPT;
	}
	p = sp->sp_rbuf + (off - sp->sp_roff);
	flen = spool_get32(p);
	if (flen == 0 || flen > SPOOL_FRAME_MAX)
		return SPOOL_ECORRUPT;
	if (off + SPOOL_FRAME_HDR_LEN + flen > sp->sp_roff + sp->sp_rlen) {
		need = SPOOL_FRAME_HDR_LEN + flen;
		if (need > sp->sp_rcap) {
			if ((p = realloc(sp->sp_rbuf, need)) == NULL)
				return ENOMEM;
			sp->sp_rbuf = p;
			sp->sp_rcap = need;
		}
		want = sp->sp_rcap;
		if (end - off < want)
			want = (size_t)(end - off);
		if ((got = spool_pread_some(sp->sp_fd, sp->sp_rbuf, want,
		    spool_foff(sp, off))) < 0)
			return errno;
		sp->sp_roff = off;
		sp->sp_rlen = (size_t)got;
		p = sp->sp_rbuf;
		if (sp->sp_rlen < need)
			return SPOOL_ECORRUPT;
	}
	*seq = spool_get64(p + 8);
	if (spool_get32(p + 4) != spool_frame_crc(*seq, p +
	    SPOOL_FRAME_HDR_LEN, flen))
		return SPOOL_ECORRUPT;
	*data = p + SPOOL_FRAME_HDR_LEN;
	if (len != NULL)
		*len = flen;
	if (next != NULL)
		*next = off + SPOOL_FRAME_HDR_LEN + flen;
	return SPOOL_OK;
}

/*
 * Marks every frame before logical offset off as consumed (acknowledged
 * or refused). When nothing is left the file is cut back to its header;
 * that need not be durable, because a frame replayed after a crash is a
 * duplicate the daemon skips. Returns 0 or an errno.
 */
int
spool_consume(struct spool *sp, uint64_t off)
{
	if (off < sp->sp_begin || off > sp->sp_end)
		return EINVAL;
	sp->sp_begin = off;
	if (sp->sp_begin == sp->sp_end && sp->sp_alen == 0 &&
	    sp->sp_end != sp->sp_base) {
		if (ftruncate(sp->sp_fd, SPOOL_HDR_LEN) == -1)
			return errno;
		sp->sp_base = sp->sp_end;
		sp->sp_rlen = 0;
	}
	return 0;
}

/*
 * Cuts the spool at logical offset off, dropping that frame and every
 * later one: for a frame found damaged after open (the disk changed
 * under us). Returns 0 or an errno.
 */
int
spool_cut(struct spool *sp, uint64_t off)
{
	if (off < sp->sp_begin || off > sp->sp_end)
		return EINVAL;
	spool_discard(sp);
	if (ftruncate(sp->sp_fd, (off_t)spool_foff(sp, off)) == -1 ||
	    fdatasync(sp->sp_fd) == -1)
		return errno;
	sp->sp_end = off;
	sp->sp_rlen = 0;
	return 0;
}
