/* SPDX-License-Identifier: ISC */
/*
 * check_spool.c: unit tests of the on-disk spool (spool.c): append,
 * replay, consume, the seq high-water across reopen, the bound and
 * compaction, locking, and damage: a file cut at every byte offset of
 * its last frame and a byte flipped anywhere in a frame are detected
 * and cut, never replayed.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algaudit.h"
#include "client.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_spool.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p1.spool", dir);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "teardown: %s failed\n", cmd);
}

/* Opens the spool of "p1" in dir; fails the test on error. */
static struct spool *
open_spool(uint64_t max, struct spool_scan *scan)
{
	struct spool *sp = NULL;
	char err[256];
	int rc;

	rc = spool_open(dir, "p1", max, &sp, scan, err, sizeof(err));
	ck_assert_msg(rc == 0, "spool_open: %s", err);
	return sp;
}

/* The payload of record number i (length 10 + i % 50). */
static size_t
payload(uint64_t i, uint8_t *buf)
{
	size_t len = 10 + i % 50, k;

	for (k = 0; k < len; k++)
		buf[k] = (uint8_t)(i + k);
	return len;
}

/* Appends records seq first..first+n-1 and syncs them. */
static void
append_n(struct spool *sp, uint64_t first, uint64_t n)
{
	uint8_t buf[64];
	uint64_t i;
	size_t len;

	for (i = first; i < first + n; i++) {
		len = payload(i, buf);
		ck_assert_int_eq(spool_append(sp, i, buf, len), 0);
	}
	ck_assert_int_eq(spool_sync(sp), 0);
}

/* Reads every frame from the beginning; returns the count. */
static uint64_t
replay(struct spool *sp, uint64_t first)
{
	const uint8_t *data;
	uint8_t want[64];
	uint64_t off = spool_begin(sp), seq, next, n = 0;
	size_t len, wlen;

	while (spool_read(sp, off, &seq, &data, &len, &next) == SPOOL_OK) {
		ck_assert_uint_eq(seq, first + n);
		wlen = payload(seq, want);
		ck_assert_uint_eq(len, wlen);
		ck_assert(memcmp(data, want, len) == 0);
		off = next;
		n++;
	}
	ck_assert_uint_eq(off, spool_end(sp));
	return n;
}

/* Returns the size of the spool file. */
static off_t
file_size(void)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

START_TEST(test_append_replay_consume)
{
	struct spool_scan scan;
	struct spool *sp;
	uint64_t off, seq, next;
	const uint8_t *data;
	size_t len;
	int i;

	sp = open_spool(1 << 20, &scan);
	ck_assert_uint_eq(scan.ss_frames, 0);
	ck_assert_uint_eq(spool_hw(sp), 0);
	ck_assert_int_eq(file_size(), SPOOL_HDR_LEN);
	append_n(sp, 1, 100);
	ck_assert_uint_eq(replay(sp, 1), 100);
	/* Seqs must increase. */
	ck_assert_int_eq(spool_append(sp, 100, (const uint8_t *)"x", 1),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(spool_append(sp, 200, (const uint8_t *)"x", 0),
	    ALGAUDIT_EINVAL);
	/* Consume the first 40. */
	off = spool_begin(sp);
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(spool_read(sp, off, &seq, &data, &len, &next),
		    SPOOL_OK);
		off = next;
	}
	ck_assert_int_eq(spool_consume(sp, off), 0);
	ck_assert_uint_eq(replay(sp, 41), 60);
	spool_close(sp);
	/* Unsynced appends are not in the file; consumed ones still are. */
	sp = open_spool(1 << 20, &scan);
	ck_assert_uint_eq(scan.ss_frames, 100);
	ck_assert_uint_eq(scan.ss_first_seq, 1);
	ck_assert_uint_eq(scan.ss_last_seq, 100);
	ck_assert_uint_eq(scan.ss_cut_bytes, 0);
	ck_assert_int_eq(spool_append(sp, 101, (const uint8_t *)"x", 1), 0);
	spool_discard(sp);
	ck_assert_int_eq(spool_consume(sp, spool_end(sp)), 0);
	/* Everything consumed: the file is cut back to its header. */
	ck_assert_int_eq(file_size(), SPOOL_HDR_LEN);
	ck_assert_int_eq(spool_read(sp, spool_end(sp), &seq, &data, &len,
	    &next), SPOOL_END);
	/* Offsets stay valid after the cut; appends continue. */
	append_n(sp, 101, 5);
	ck_assert_uint_eq(replay(sp, 101), 5);
	spool_close(sp);
	sp = open_spool(1 << 20, &scan);
	ck_assert_uint_eq(scan.ss_frames, 5);
	spool_close(sp);
	spool_close(NULL);
}
END_TEST

START_TEST(test_high_water)
{
	struct spool_scan scan;
	struct spool *sp;

	sp = open_spool(1 << 20, &scan);
	ck_assert_int_eq(spool_reserve(sp, 4096), 0);
	ck_assert_uint_eq(spool_hw(sp), 4096);
	ck_assert_int_eq(spool_reserve(sp, 10), 0);
	ck_assert_uint_eq(spool_hw(sp), 4096);
	spool_close(sp);
	sp = open_spool(1 << 20, &scan);
	ck_assert_uint_eq(spool_hw(sp), 4096);
	ck_assert_int_eq(spool_reserve(sp, 1ull << 40), 0);
	spool_close(sp);
	sp = open_spool(1 << 20, &scan);
	ck_assert_uint_eq(spool_hw(sp), 1ull << 40);
	spool_close(sp);
}
END_TEST

START_TEST(test_torn_tail_every_offset)
{
	struct spool_scan scan;
	struct spool *sp;
	off_t full, last_start, cut;
	int fd;

	sp = open_spool(1 << 20, &scan);
	append_n(sp, 1, 9);
	last_start = file_size();
	append_n(sp, 10, 1);
	full = file_size();
	spool_close(sp);
	for (cut = last_start; cut < full; cut++) {
		fd = open(path, O_WRONLY);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(ftruncate(fd, cut), 0);
		close(fd);
		sp = open_spool(1 << 20, &scan);
		ck_assert_uint_eq(scan.ss_frames, 9);
		ck_assert_uint_eq(scan.ss_last_seq, 9);
		ck_assert_uint_eq(scan.ss_cut_bytes,
		    (uint64_t)(cut - last_start));
		if (cut > last_start) {
			ck_assert_uint_eq(scan.ss_cut_at,
			    (uint64_t)last_start);
			ck_assert(scan.ss_reason[0] != '\0');
		}
		ck_assert_int_eq(file_size(), last_start);
		ck_assert_uint_eq(replay(sp, 1), 9);
		/* Put the last frame back for the next offset. */
		append_n(sp, 10, 1);
		ck_assert_int_eq(file_size(), full);
		spool_close(sp);
	}
}
END_TEST

START_TEST(test_flipped_byte)
{
	struct spool_scan scan;
	struct spool *sp;
	off_t start, end, at;
	uint8_t b;
	int fd;

	sp = open_spool(1 << 20, &scan);
	append_n(sp, 1, 4);
	start = file_size();
	append_n(sp, 5, 1);
	end = file_size();
	append_n(sp, 6, 4);
	spool_close(sp);
	/* Flip each byte of frame 5 (header and payload) in turn. */
	for (at = start; at < end; at++) {
		fd = open(path, O_RDWR);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(pread(fd, &b, 1, at), 1);
		b ^= 0x5a;
		ck_assert_int_eq(pwrite(fd, &b, 1, at), 1);
		close(fd);
		sp = open_spool(1 << 20, &scan);
		ck_assert_msg(scan.ss_frames == 4, "flip at %lld: %llu frames "
		    "kept", (long long)at, (unsigned long long)scan.ss_frames);
		ck_assert_uint_eq(scan.ss_cut_at, (uint64_t)start);
		ck_assert_uint_eq(replay(sp, 1), 4);
		append_n(sp, 5, 1);
		append_n(sp, 6, 4);
		spool_close(sp);
	}
}
END_TEST

START_TEST(test_bound_and_compaction)
{
	struct spool_scan scan;
	struct spool *sp;
	uint8_t buf[64];
	uint64_t seq = 1, off, next, s;
	const uint8_t *data;
	size_t len;
	int rc, i;

	sp = open_spool(64 * 1024, &scan);
	/* Fill to the bound. */
	for (;;) {
		len = payload(seq, buf);
		if ((rc = spool_append(sp, seq, buf, len)) != 0)
			break;
		seq++;
	}
	ck_assert_int_eq(rc, SPOOL_EFULL);
	ck_assert_int_eq(spool_sync(sp), 0);
	ck_assert_uint_le(spool_size(sp), 64 * 1024);
	/* Consume half: the next append compacts the file. */
	off = spool_begin(sp);
	for (i = 0; i < (int)(seq / 2); i++) {
		ck_assert_int_eq(spool_read(sp, off, &s, &data, &len, &next),
		    SPOOL_OK);
		off = next;
	}
	ck_assert_int_eq(spool_consume(sp, off), 0);
	len = payload(seq, buf);
	ck_assert_int_eq(spool_append(sp, seq, buf, len), 0);
	ck_assert_int_eq(spool_sync(sp), 0);
	ck_assert_uint_lt((uint64_t)file_size(), 40 * 1024);
	ck_assert_uint_eq(replay(sp, (uint64_t)(seq / 2) + 1),
	    seq - (uint64_t)(seq / 2));
	spool_close(sp);
	/* The compacted file reopens with the same frames. */
	sp = open_spool(64 * 1024, &scan);
	ck_assert_uint_eq(scan.ss_first_seq, (uint64_t)(seq / 2) + 1);
	ck_assert_uint_eq(scan.ss_last_seq, seq);
	ck_assert_uint_eq(scan.ss_cut_bytes, 0);
	spool_close(sp);
}
END_TEST

START_TEST(test_lock_and_bad_files)
{
	struct spool_scan scan;
	struct spool *sp, *sp2 = NULL;
	char err[256], file[128];
	int fd;

	sp = open_spool(1 << 20, &scan);
	ck_assert_int_eq(spool_open(dir, "p1", 1 << 20, &sp2, &scan, err,
	    sizeof(err)), ALGAUDIT_ESPOOL);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	ck_assert_ptr_null(sp2);
	spool_close(sp);
	/* Not a spool. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "this is not a spool file at all!!", 33),
	    33);
	close(fd);
	ck_assert_int_eq(spool_open(dir, "p1", 1 << 20, &sp2, &scan, err,
	    sizeof(err)), ALGAUDIT_ESPOOL);
	ck_assert_ptr_nonnull(strstr(err, "bad magic"));
	/* A header cut short at creation is rewritten. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "ALGS", 4), 4);
	close(fd);
	sp = open_spool(1 << 20, &scan);
	ck_assert_int_eq(file_size(), SPOOL_HDR_LEN);
	spool_close(sp);
	/* A spool directory that is a file. */
	snprintf(file, sizeof(file), "%s/afile", dir);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ck_assert_int_eq(spool_open(file, "p1", 1 << 20, &sp2, &scan, err,
	    sizeof(err)), ALGAUDIT_ESPOOL);
	ck_assert_ptr_nonnull(strstr(err, "not a directory"));
}
END_TEST

START_TEST(test_filename)
{
	char name[256], id[129];

	ck_assert_int_eq(spool_filename("credit-api@host-7", name,
	    sizeof(name)), 0);
	ck_assert_str_eq(name, "credit-api%40host-7.spool");
	ck_assert_int_eq(spool_filename(".hidden/x", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "%2Ehidden%2Fx.spool");
	ck_assert_int_eq(spool_filename("a.b_c", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "a.b_c.spool");
	memset(id, '@', 128);
	id[128] = '\0';
	ck_assert_int_eq(spool_filename(id, name, sizeof(name)), 0);
	ck_assert_uint_lt(strlen(name), 128);
	ck_assert_int_eq(spool_filename("x", name, 4), -1);
}
END_TEST

START_TEST(test_crc32c)
{
	/* The standard check value of CRC-32C. */
	ck_assert_uint_eq(crc32c("123456789", 9), 0xe3069283);
	ck_assert_uint_eq(crc32c_update(crc32c("1234", 4), "56789", 5),
	    0xe3069283);
	ck_assert_uint_eq(crc32c("", 0), 0);
}
END_TEST

static Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc;

	tc = tcase_create("frames");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_append_replay_consume);
	tcase_add_test(tc, test_high_water);
	tcase_add_test(tc, test_bound_and_compaction);
	tcase_add_test(tc, test_lock_and_bad_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("damage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_torn_tail_every_offset);
	tcase_add_test(tc, test_flipped_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_filename);
	tcase_add_test(tc, test_crc32c);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(spool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
