/* SPDX-License-Identifier: ISC */
/*
 * check_store.c: unit tests of store/store.c (Suite "store").
 *
 * Each test gets a fresh directory from mkdtemp (a checked fixture) and
 * the store lives in its subdirectory "store", so STORE_CREATE has a
 * directory to create. Foreign, damaged and future-format stores are
 * forged with LMDB directly: this file is the one place outside store/
 * that includes <lmdb.h>, and only to build bad input for the store.
 * Tests that need a second process fork a child that reports through
 * its exit status (never through ck_assert, which belongs to the test
 * process); they work with CK_FORK=no too.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define CHECK_SMALL_MAP		"262144"	/* 256 KiB: forces growth */
#define CHECK_SMALL_MAP_N	((uint64_t)262144)

static char check_tmp[512];	/* the fixture's directory */
static char check_dir[1024];	/* the store inside it */

/* Removes one file or directory of the fixture tree. */
static int
check_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Checked fixture: a fresh temporary directory, a clean environment. */
static void
check_setup(void)
{
	const char *t = getenv("TMPDIR");

	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	snprintf(check_tmp, sizeof(check_tmp), "%s/check_store.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	snprintf(check_dir, sizeof(check_dir), "%s/store", check_tmp);
}

/* Checked fixture: removes the directory and everything in it. */
static void
check_teardown(void)
{
	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Fills buf with the test payload of entry index: its index, a pattern. */
static void
check_payload(unsigned char *buf, uint64_t index, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)((index * 131 + i * 7) & 0xff);
	for (i = 0; i < 8 && i < len; i++)
		buf[i] = (unsigned char)(index >> (56 - 8 * i));
}

/* Returns 1 if buf is the payload of entry index with length len. */
static int
check_payload_ok(const void *buf, size_t blen, uint64_t index, size_t len)
{
	unsigned char want[4096];

	if (blen != len || len > sizeof(want))
		return 0;
	check_payload(want, index, len);
	return memcmp(buf, want, len) == 0;
}

/*
 * Appends n entries of len bytes in one transaction, following the
 * retry contract on STORE_EMAPFULL; counts the retries in *retries.
 * Returns 0 or the first other error.
 */
static int
check_write(struct store *s, uint64_t n, size_t len, int *retries)
{
	unsigned char buf[4096];
	uint64_t i, first, idx;
	int rc;

	for (;;) {
		if ((rc = store_begin(s)) != 0)
			return rc;
		first = store_next_index(s);
		for (i = 0; i < n; i++) {
			check_payload(buf, first + i, len);
			if ((rc = store_append(s, buf, len, &idx)) != 0)
				break;
			if (idx != first + i) {
				store_abort(s);
				return STORE_ECORRUPT;
			}
		}
		if (rc == 0)
			rc = store_commit(s);
		if (rc != STORE_EMAPFULL)
			return rc;
		if (retries != NULL)
			(*retries)++;
	}
}

/* Checks every committed entry from 0: dense, payloads intact. */
static int
check_read_all(struct store *s, size_t len, uint64_t *count)
{
	struct store_iter *it;
	const void *buf;
	size_t blen;
	uint64_t idx, n = 0;
	int rc;

	if ((rc = store_iter_open(s, 0, &it)) != 0)
		return rc;
	while ((rc = store_iter_next(it, &idx, &buf, &blen)) == 0) {
		if (idx != n || !check_payload_ok(buf, blen, idx, len)) {
			rc = STORE_ECORRUPT;
			break;
		}
		n++;
	}
	store_iter_close(it);
	*count = n;
	return rc == STORE_ENOTFOUND ? 0 : rc;
}

/* Opens a writer on a new store with the given origin. */
static struct store *
check_create(const char *origin)
{
	struct store *s;
	int rc;

	rc = store_open(&s, check_dir, STORE_CREATE, origin);
	ck_assert_msg(rc == 0, "store_open %s: %s", check_dir,
	    store_strerror(rc));
	return s;
}

/* Returns 1 if path exists. */
static int
check_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0;
}

/* Runs f on a raw LMDB environment of dir in one write transaction. */
static void
check_forge(const char *dir, void (*f)(MDB_txn *))
{
	MDB_env *env;
	MDB_txn *txn;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 16), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	f(txn);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Puts key = val (strings) into the named database of txn. */
static void
check_forge_put(MDB_txn *txn, const char *db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_dbi dbi;
	MDB_val k, v;

	ck_assert_int_eq(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
	k.mv_size = klen;
	k.mv_data = (void *)(uintptr_t)key;
	v.mv_size = vlen;
	v.mv_data = (void *)(uintptr_t)val;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
}

/* Deletes key from the named database of txn. */
static void
check_forge_del(MDB_txn *txn, const char *db, const void *key, size_t klen)
{
	MDB_dbi dbi;
	MDB_val k;

	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	k.mv_size = klen;
	k.mv_data = (void *)(uintptr_t)key;
	ck_assert_int_eq(mdb_del(txn, dbi, &k, NULL), 0);
}

/* Asserts that every kind of open of the store fails with want. */
static void
check_open_fails(int want)
{
	struct store *s = (struct store *)1;
	int flags[] = { 0, STORE_CREATE, STORE_RDONLY };
	size_t i;
	int rc;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		rc = store_open(&s, check_dir, flags[i], NULL);
		ck_assert_msg(rc == want, "flags %d: got %s, want %s",
		    flags[i], store_strerror(rc), store_strerror(want));
		ck_assert_ptr_null(s);
	}
}

/*
 * A child process for the cross-process tests. It is forked before the
 * test opens any store (a forked child must not inherit an open LMDB
 * environment), runs fn(wfd, rfd) and reports through its exit status;
 * the two pipes let parent and child take turns.
 */
struct check_child {
	pid_t	 cc_pid;
	int	 cc_up;		/* parent reads what the child writes */
	int	 cc_down;	/* parent writes what the child reads */
};

/* Writes one byte to wfd (if >= 0), then reads one from rfd (if >= 0). */
static int
check_handshake(int wfd, int rfd)
{
	char c = 'x';

	if (wfd >= 0 && write(wfd, &c, 1) != 1)
		return -1;
	if (rfd >= 0 && read(rfd, &c, 1) != 1)
		return -1;
	return 0;
}

/* Forks a child that runs fn(its write end, its read end). */
static void
check_spawn(struct check_child *cc, int (*fn)(int, int))
{
	int up[2], down[2];

	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	cc->cc_pid = fork();
	ck_assert_int_ge(cc->cc_pid, 0);
	if (cc->cc_pid == 0) {
		close(up[0]);
		close(down[1]);
		_exit(fn(up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	cc->cc_up = up[0];
	cc->cc_down = down[1];
}

/* Waits for the child and asserts that it exited 0. */
static void
check_reap(struct check_child *cc)
{
	int status;

	close(cc->cc_down);
	close(cc->cc_up);
	ck_assert_int_eq(waitpid(cc->cc_pid, &status, 0), cc->cc_pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child failed: status %#x", status);
}

/*
 * Open and close.
 */

START_TEST(test_create_new)
{
	struct store *s;
	struct store_info si;
	struct stat sb;
	int64_t before, after;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	before = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	s = check_create("audit.example.org/credit");
	clock_gettime(CLOCK_REALTIME, &ts);
	after = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;

	ck_assert_str_eq(store_path(s), check_dir);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_entries, 0);
	ck_assert_uint_eq(si.si_producers, 0);
	ck_assert_uint_eq(si.si_format, STORE_FORMAT_VERSION);
	ck_assert_str_eq(si.si_origin, "audit.example.org/credit");
	ck_assert(si.si_created_ns >= before && si.si_created_ns <= after);
	ck_assert_uint_eq(si.si_map_size, STORE_MAP_INITIAL);
	ck_assert(si.si_map_used > 0 && si.si_map_used < si.si_map_size);
	ck_assert(si.si_file_size > 0);
	ck_assert_uint_eq(store_next_index(s), 0);
	ck_assert_ptr_null(store_lmdb_error(s));
	ck_assert(check_exists(check_dir, "data.mdb"));
	ck_assert(check_exists(check_dir, "lock.mdb"));
	ck_assert_int_eq(stat(check_dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	store_close(s);
}
END_TEST

START_TEST(test_default_origin)
{
	struct store *s;
	struct store_info si;
	char host[256], want[300];

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	snprintf(want, sizeof(want), "%s/algaudit", host);
	s = check_create(NULL);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_str_eq(si.si_origin, want);
	store_close(s);
}
END_TEST

START_TEST(test_reopen_keeps_origin)
{
	struct store *s;
	struct store_info a, b;

	s = check_create("first/origin");
	ck_assert_int_eq(store_info(s, &a), 0);
	store_close(s);

	/* An existing store ignores the origin it is opened with. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, "second/origin"), 0);
	ck_assert_int_eq(store_info(s, &b), 0);
	ck_assert_str_eq(b.si_origin, "first/origin");
	ck_assert_int_eq(b.si_created_ns, a.si_created_ns);
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE, "third/o"),
	    0);
	ck_assert_int_eq(store_info(s, &b), 0);
	ck_assert_str_eq(b.si_origin, "first/origin");
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_info(s, &b), 0);
	ck_assert_str_eq(b.si_origin, "first/origin");
	ck_assert_uint_eq(b.si_format, STORE_FORMAT_VERSION);
	store_close(s);
}
END_TEST

START_TEST(test_open_missing)
{
	struct store *s = (struct store *)1;
	struct stat sb;

	/* No directory: readers and plain writers never create one. */
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL),
	    ENOENT);
	ck_assert_ptr_null(s);
	ck_assert_int_ne(stat(check_dir, &sb), 0);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), ENOENT);
	ck_assert_int_ne(stat(check_dir, &sb), 0);

	/* An empty directory is no store either, and stays empty. */
	ck_assert_int_eq(mkdir(check_dir, 0700), 0);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL),
	    ENOENT);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), ENOENT);
	ck_assert(!check_exists(check_dir, "data.mdb"));
	ck_assert(!check_exists(check_dir, "lock.mdb"));
	ck_assert_str_eq(store_strerror(ENOENT), strerror(ENOENT));

	/* STORE_CREATE makes only the last component. */
	snprintf(check_dir, sizeof(check_dir), "%s/no/such", check_tmp);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE, NULL),
	    ENOENT);
}
END_TEST

START_TEST(test_open_not_dir)
{
	int fd;

	fd = open(check_dir, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	check_open_fails(ENOTDIR);
}
END_TEST

START_TEST(test_open_bad_args)
{
	struct store *s = (struct store *)1;
	char long_origin[STORE_ORIGIN_MAX + 2];

	ck_assert_int_eq(store_open(&s, NULL, STORE_CREATE, NULL), EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(store_open(&s, "", STORE_CREATE, NULL), EINVAL);
	ck_assert_int_eq(store_open(&s, check_dir,
	    STORE_CREATE | STORE_RDONLY, NULL), EINVAL);
	ck_assert_int_eq(store_open(&s, check_dir, 0x10, NULL), EINVAL);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE, ""), EINVAL);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE, "a\nb"),
	    EINVAL);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE, "a\x7f"),
	    EINVAL);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE, "bad\xff"),
	    EINVAL);
	memset(long_origin, 'o', sizeof(long_origin) - 1);
	long_origin[sizeof(long_origin) - 1] = '\0';
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE,
	    long_origin), EINVAL);
	ck_assert_ptr_null(s);
	/* Nothing was created by the refused calls. */
	ck_assert(!check_exists(check_tmp, "store"));

	/* The longest origin and non-ASCII UTF-8 are fine. */
	long_origin[STORE_ORIGIN_MAX] = '\0';
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE,
	    long_origin), 0);
	store_close(s);
	store_close(NULL);
}
END_TEST

START_TEST(test_open_utf8_origin)
{
	struct store *s;
	struct store_info si;

	s = check_create("\xe5\xae\xa1\xe8\xae\xa1/log");	/* "audit" */
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_str_eq(si.si_origin, "\xe5\xae\xa1\xe8\xae\xa1/log");
	store_close(s);
}
END_TEST

/* A foreign LMDB environment: some other program's named database. */
static void
check_forge_foreign(MDB_txn *txn)
{
	check_forge_put(txn, "users", "alice", 5, "1", 1);
}

START_TEST(test_foreign_env)
{
	ck_assert_int_eq(mkdir(check_dir, 0700), 0);
	check_forge(check_dir, check_forge_foreign);
	check_open_fails(STORE_EFORMAT);
}
END_TEST

/* A foreign environment whose main database has a plain key "meta". */
static void
check_forge_plain_meta(MDB_txn *txn)
{
	check_forge_put(txn, NULL, "meta", 4, "x", 1);
}

START_TEST(test_foreign_plain_meta)
{
	ck_assert_int_eq(mkdir(check_dir, 0700), 0);
	check_forge(check_dir, check_forge_plain_meta);
	check_open_fails(STORE_EFORMAT);
}
END_TEST

START_TEST(test_not_lmdb)
{
	char path[PATH_MAX], junk[16384];
	int fd;

	ck_assert_int_eq(mkdir(check_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/data.mdb", check_dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	memset(junk, 'x', sizeof(junk));
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (int)sizeof(junk));
	close(fd);
	check_open_fails(STORE_EFORMAT);
}
END_TEST

/* Sets the store's format one above the newest we read. */
static void
check_forge_future(MDB_txn *txn)
{
	unsigned char next[4] = { 0, 0, 0, STORE_FORMAT_VERSION + 1 };

	check_forge_put(txn, "meta", "format", 6, next, 4);
}

/* Gives the format key a 5-byte value. */
static void
check_forge_bad_format(MDB_txn *txn)
{
	check_forge_put(txn, "meta", "format", 6, "\0\0\0\1\1", 5);
}

/* Removes the format key. */
static void
check_forge_no_format(MDB_txn *txn)
{
	check_forge_del(txn, "meta", "format", 6);
}

START_TEST(test_future_format)
{
	store_close(check_create("o"));
	check_forge(check_dir, check_forge_future);
	check_open_fails(STORE_EFORMAT);
}
END_TEST

START_TEST(test_bad_format_value)
{
	store_close(check_create("o"));
	check_forge(check_dir, check_forge_bad_format);
	check_open_fails(STORE_ECORRUPT);
}
END_TEST

START_TEST(test_missing_format)
{
	store_close(check_create("o"));
	check_forge(check_dir, check_forge_no_format);
	check_open_fails(STORE_EFORMAT);
}
END_TEST

/* Child of test_second_writer: tries to write, then to read. */
static int
check_child_second(int wfd, int rfd)
{
	struct store *c;
	int rc;

	if (check_handshake(-1, rfd) != 0)
		return 1;
	/* The parent is the writer now. */
	if ((rc = store_open(&c, check_dir, 0, NULL)) != STORE_ELOCKED) {
		fprintf(stderr, "second writer: %s\n", store_strerror(rc));
		return 2;
	}
	if ((rc = store_open(&c, check_dir, STORE_RDONLY, NULL)) != 0) {
		fprintf(stderr, "reader: %s\n", store_strerror(rc));
		return 3;
	}
	store_close(c);
	return check_handshake(wfd, -1) == 0 ? 0 : 4;
}

START_TEST(test_second_writer)
{
	struct check_child cc;
	struct store *s;

	check_spawn(&cc, check_child_second);
	s = check_create("o");
	ck_assert_int_eq(check_handshake(cc.cc_down, cc.cc_up), 0);
	check_reap(&cc);
	store_close(s);

	/* Once the writer is gone, another may open. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	store_close(s);
}
END_TEST

/*
 * Appending and reading entries.
 */

START_TEST(test_append_read_back)
{
	struct store *s;
	struct store_iter *it;
	unsigned char buf[300];
	const void *v;
	size_t len;
	uint64_t i, idx;

	s = check_create("o");
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 10; i++) {
		check_payload(buf, i, 100 + i);
		ck_assert_int_eq(store_append(s, buf, 100 + i, &idx), 0);
		ck_assert_uint_eq(idx, i);
	}
	ck_assert_int_eq(store_commit(s), 0);

	ck_assert_int_eq(store_iter_open(s, 0, &it), 0);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), 0);
		ck_assert_uint_eq(idx, i);
		ck_assert(check_payload_ok(v, len, i, 100 + i));
	}
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len),
	    STORE_ENOTFOUND);
	store_iter_close(it);
	store_iter_close(NULL);
	store_close(s);
}
END_TEST

START_TEST(test_iter_from_middle)
{
	struct store *s;
	struct store_iter *it;
	const void *v;
	size_t len;
	uint64_t i, idx;
	int k;

	s = check_create("o");
	for (k = 0; k < 10; k++)
		ck_assert_int_eq(check_write(s, 10, 64, NULL), 0);

	ck_assert_int_eq(store_iter_open(s, 37, &it), 0);
	for (i = 37; i < 100; i++) {
		ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), 0);
		ck_assert_uint_eq(idx, i);
		ck_assert(check_payload_ok(v, len, i, 64));
	}
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len),
	    STORE_ENOTFOUND);
	store_iter_close(it);

	ck_assert_int_eq(store_iter_open(s, 99, &it), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), 0);
	ck_assert_uint_eq(idx, 99);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len),
	    STORE_ENOTFOUND);
	store_iter_close(it);

	ck_assert_int_eq(store_iter_open(s, 100, &it), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len),
	    STORE_ENOTFOUND);
	store_iter_close(it);
	ck_assert_int_eq(store_iter_open(s, UINT64_MAX, &it), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len),
	    STORE_ENOTFOUND);
	store_iter_close(it);
	store_close(s);
}
END_TEST

START_TEST(test_iter_snapshot)
{
	struct store *s;
	struct store_iter *it;
	const void *v;
	size_t len;
	uint64_t idx, n = 0;

	s = check_create("o");
	ck_assert_int_eq(check_write(s, 5, 32, NULL), 0);
	/* An iterator sees the log as it was when it opened. */
	ck_assert_int_eq(store_iter_open(s, 0, &it), 0);
	ck_assert_int_eq(check_write(s, 5, 32, NULL), 0);
	while (store_iter_next(it, &idx, &v, &len) == 0)
		n++;
	ck_assert_uint_eq(n, 5);
	store_iter_close(it);
	ck_assert_int_eq(check_read_all(s, 32, &n), 0);
	ck_assert_uint_eq(n, 10);
	store_close(s);
}
END_TEST

START_TEST(test_next_index_commit_abort)
{
	struct store *s;
	struct store_info si;
	unsigned char buf[16];
	uint64_t idx;
	int i;

	s = check_create("o");
	check_payload(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	ck_assert_uint_eq(store_next_index(s), 5);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_uint_eq(store_next_index(s), 5);

	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	ck_assert_uint_eq(store_next_index(s), 8);
	store_abort(s);
	ck_assert_uint_eq(store_next_index(s), 5);
	store_abort(s);		/* no transaction: a no-op */
	ck_assert_uint_eq(store_next_index(s), 5);

	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), &idx), 0);
	ck_assert_uint_eq(idx, 5);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_entries, 6);
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_uint_eq(store_next_index(s), 6);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), &idx), 0);
	ck_assert_uint_eq(idx, 6);
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_uint_eq(store_next_index(s), 7);
	store_close(s);
}
END_TEST

START_TEST(test_uncommitted_invisible)
{
	struct store *s;
	struct store_info si;
	struct store_iter *it;
	unsigned char buf[16];
	const void *v;
	size_t len;
	uint64_t idx;

	s = check_create("o");
	check_payload(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	/* Readers work while the write transaction is open. */
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_entries, 0);
	ck_assert_int_eq(store_iter_open(s, 0, &it), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len),
	    STORE_ENOTFOUND);
	store_iter_close(it);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_entries, 1);
	store_close(s);
}
END_TEST

START_TEST(test_close_with_open_txn)
{
	struct store *s;
	struct store_info si;
	unsigned char buf[16];

	s = check_create("o");
	check_payload(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	store_close(s);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_entries, 0);
	ck_assert_uint_eq(store_next_index(s), 0);
	store_close(s);
}
END_TEST

START_TEST(test_append_bad)
{
	struct store *s;
	unsigned char buf[16];
	uint64_t idx;

	s = check_create("o");
	check_payload(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, buf, 0, NULL), EINVAL);
	ck_assert_int_eq(store_append(s, NULL, 4, NULL), EINVAL);
	/* The transaction is still open and usable. */
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), &idx), 0);
	ck_assert_uint_eq(idx, 0);
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);
}
END_TEST

START_TEST(test_etxn)
{
	struct store *s;
	struct store_producer sp = { 1, 2, 3, 4 };
	unsigned char buf[16];

	s = check_create("o");
	check_payload(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), STORE_ETXN);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	ck_assert_int_eq(store_producer_put(s, "p", &sp), STORE_ETXN);
	ck_assert_int_eq(store_producer_get_txn(s, "p", &sp), STORE_ETXN);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_begin(s), STORE_ETXN);
	/* The first transaction survives the misuse. */
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	store_close(s);

	/* A reader has no writer calls. */
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_begin(s), STORE_ETXN);
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), STORE_ETXN);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	store_abort(s);
	store_close(s);
}
END_TEST

/* Forges entries with a gap at index 3 (key 3 deleted). */
static void
check_forge_gap(MDB_txn *txn)
{
	static const unsigned char k3[8] = { 0, 0, 0, 0, 0, 0, 0, 3 };

	check_forge_del(txn, "entries", k3, sizeof(k3));
}

START_TEST(test_iter_gap_corrupt)
{
	struct store *s;
	struct store_iter *it;
	const void *v;
	size_t len;
	uint64_t idx;

	s = check_create("o");
	ck_assert_int_eq(check_write(s, 6, 16, NULL), 0);
	store_close(s);
	check_forge(check_dir, check_forge_gap);

	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_iter_open(s, 0, &it), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), 0);
	ck_assert_uint_eq(idx, 2);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), STORE_ECORRUPT);
	store_iter_close(it);
	ck_assert_int_eq(store_iter_open(s, 3, &it), 0);
	ck_assert_int_eq(store_iter_next(it, &idx, &v, &len), STORE_ECORRUPT);
	store_iter_close(it);
	store_close(s);
}
END_TEST

/* Forges an entries key that is not 8 bytes. */
static void
check_forge_short_key(MDB_txn *txn)
{
	check_forge_put(txn, "entries", "x", 1, "v", 1);
}

START_TEST(test_bad_entry_key)
{
	struct store *s = (struct store *)1;

	store_close(check_create("o"));
	check_forge(check_dir, check_forge_short_key);
	/* The last key decides the log size; a writer cannot start. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), STORE_ECORRUPT);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL),
	    STORE_ECORRUPT);
}
END_TEST

/*
 * Producer marks.
 */

START_TEST(test_producer_absent)
{
	struct store *s;
	struct store_producer sp;

	s = check_create("o");
	ck_assert_int_eq(store_producer_get(s, "nobody", &sp),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_get_txn(s, "nobody", &sp),
	    STORE_ENOTFOUND);
	/* ENOTFOUND leaves the transaction open. */
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);
}
END_TEST

START_TEST(test_producer_put_get)
{
	struct store *s;
	struct store_producer in = { UINT64_MAX, -5, INT64_MAX, 42 };
	struct store_producer out;
	struct store_info si;

	s = check_create("o");
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_put(s, "credit-api@host-7", &in), 0);
	/* The transaction sees its own update; readers do not yet. */
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(store_producer_get_txn(s, "credit-api@host-7", &out),
	    0);
	ck_assert_int_eq(memcmp(&in, &out, sizeof(in)), 0);
	ck_assert_int_eq(store_producer_get(s, "credit-api@host-7", &out),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_commit(s), 0);

	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(store_producer_get(s, "credit-api@host-7", &out), 0);
	ck_assert_uint_eq(out.sp_seq, UINT64_MAX);
	ck_assert_int_eq(out.sp_first_ns, -5);
	ck_assert_int_eq(out.sp_last_ns, INT64_MAX);
	ck_assert_uint_eq(out.sp_entries, 42);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_producers, 1);

	/* An update replaces the row. */
	in.sp_seq = 7;
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_put(s, "credit-api@host-7", &in), 0);
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_get_txn(s, "credit-api@host-7", &out),
	    0);
	ck_assert_uint_eq(out.sp_seq, 7);
	store_abort(s);
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_producer_get(s, "credit-api@host-7", &out), 0);
	ck_assert_uint_eq(out.sp_seq, 7);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_producers, 1);
	store_close(s);
}
END_TEST

START_TEST(test_producer_abort)
{
	struct store *s;
	struct store_producer in = { 9, 1, 2, 3 }, out;

	s = check_create("o");
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_put(s, "p", &in), 0);
	store_abort(s);
	ck_assert_int_eq(store_producer_get(s, "p", &out), STORE_ENOTFOUND);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_get_txn(s, "p", &out),
	    STORE_ENOTFOUND);
	store_abort(s);
	store_close(s);
}
END_TEST

START_TEST(test_producer_bad_id)
{
	struct store *s;
	struct store_producer sp = { 1, 1, 1, 1 };
	char id[513];

	s = check_create("o");
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	ck_assert_int_eq(store_producer_get(s, "", &sp), EINVAL);
	ck_assert_int_eq(store_producer_get(s, NULL, &sp), EINVAL);
	ck_assert_int_eq(store_producer_get(s, id, &sp), EINVAL);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_put(s, "", &sp), EINVAL);
	ck_assert_int_eq(store_producer_put(s, id, &sp), EINVAL);
	ck_assert_int_eq(store_producer_put(s, "p", NULL), EINVAL);
	ck_assert_int_eq(store_producer_get_txn(s, id, &sp), EINVAL);
	/* 511 bytes is LMDB's limit, and fine. */
	id[511] = '\0';
	ck_assert_int_eq(store_producer_put(s, id, &sp), 0);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_producer_get(s, id, &sp), 0);
	store_close(s);
}
END_TEST

struct check_walk {
	char	 cw_ids[8][16];
	uint64_t cw_seqs[8];
	int	 cw_n;
	int	 cw_stop_at;
};

/* store_producers_each callback: records ids and seqs, may stop. */
static int
check_walk_cb(const char *id, size_t len, const struct store_producer *sp,
    void *arg)
{
	struct check_walk *w = arg;

	if (w->cw_n >= 8 || len >= sizeof(w->cw_ids[0]))
		return -1;
	memcpy(w->cw_ids[w->cw_n], id, len);
	w->cw_ids[w->cw_n][len] = '\0';
	w->cw_seqs[w->cw_n] = sp->sp_seq;
	w->cw_n++;
	if (w->cw_n == w->cw_stop_at)
		return 7;
	return 0;
}

START_TEST(test_producers_each)
{
	struct store *s;
	struct store_producer sp = { 0, 0, 0, 0 };
	struct check_walk w;

	s = check_create("o");
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(store_producers_each(s, check_walk_cb, &w), 0);
	ck_assert_int_eq(w.cw_n, 0);
	ck_assert_int_eq(store_producers_each(s, NULL, &w), EINVAL);

	ck_assert_int_eq(store_begin(s), 0);
	sp.sp_seq = 2;
	ck_assert_int_eq(store_producer_put(s, "b", &sp), 0);
	sp.sp_seq = 1;
	ck_assert_int_eq(store_producer_put(s, "a", &sp), 0);
	sp.sp_seq = 3;
	ck_assert_int_eq(store_producer_put(s, "c", &sp), 0);
	ck_assert_int_eq(store_commit(s), 0);

	ck_assert_int_eq(store_producers_each(s, check_walk_cb, &w), 0);
	ck_assert_int_eq(w.cw_n, 3);
	ck_assert_str_eq(w.cw_ids[0], "a");
	ck_assert_str_eq(w.cw_ids[1], "b");
	ck_assert_str_eq(w.cw_ids[2], "c");
	ck_assert_uint_eq(w.cw_seqs[0], 1);
	ck_assert_uint_eq(w.cw_seqs[2], 3);

	memset(&w, 0, sizeof(w));
	w.cw_stop_at = 2;
	ck_assert_int_eq(store_producers_each(s, check_walk_cb, &w), 7);
	ck_assert_int_eq(w.cw_n, 2);
	store_close(s);
}
END_TEST

/* Forges a producers row of 5 bytes. */
static void
check_forge_bad_row(MDB_txn *txn)
{
	check_forge_put(txn, "producers", "p", 1, "short", 5);
}

START_TEST(test_producer_corrupt)
{
	struct store *s;
	struct store_producer sp;
	struct check_walk w;

	store_close(check_create("o"));
	check_forge(check_dir, check_forge_bad_row);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_producer_get(s, "p", &sp), STORE_ECORRUPT);
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(store_producers_each(s, check_walk_cb, &w),
	    STORE_ECORRUPT);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_get_txn(s, "p", &sp), STORE_ECORRUPT);
	/* That aborted the transaction. */
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	store_close(s);
}
END_TEST

/*
 * Map growth.
 */

START_TEST(test_growth_precheck)
{
	struct store *s;
	struct store_info si;
	uint64_t n, last_map;
	int i, retries = 0, growths = 0;

	setenv("ALGAUDIT_STORE_MAPSIZE", CHECK_SMALL_MAP, 1);
	s = check_create("o");
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_map_size, CHECK_SMALL_MAP_N);
	last_map = si.si_map_size;
	/* 200 batches of 20 x 1000 bytes: about 4 MB through 256 KiB. */
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(check_write(s, 20, 1000, &retries), 0);
		ck_assert_int_eq(store_info(s, &si), 0);
		if (si.si_map_size > last_map)
			growths++;
		ck_assert(si.si_map_size >= last_map);
		ck_assert(si.si_map_used <= si.si_map_size);
		last_map = si.si_map_size;
	}
	/* Batches well under a quarter of the map never hit the end. */
	ck_assert_int_eq(retries, 0);
	ck_assert_int_ge(growths, 3);
	ck_assert_uint_eq(si.si_entries, 4000);
	ck_assert_int_eq(check_read_all(s, 1000, &n), 0);
	ck_assert_uint_eq(n, 4000);
	store_close(s);
}
END_TEST

START_TEST(test_growth_retry)
{
	struct store *s;
	struct store_info si;
	uint64_t n;
	int retries = 0;

	setenv("ALGAUDIT_STORE_MAPSIZE", CHECK_SMALL_MAP, 1);
	s = check_create("o");
	/* One 2 MB transaction cannot fit 256 KiB: the retry contract. */
	ck_assert_int_eq(check_write(s, 2000, 1000, &retries), 0);
	ck_assert_int_ge(retries, 1);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_entries, 2000);
	ck_assert_uint_eq(store_next_index(s), 2000);
	ck_assert(si.si_map_size >= 2000 * 1000);
	ck_assert_ptr_nonnull(store_lmdb_error(s));
	ck_assert_int_eq(check_read_all(s, 1000, &n), 0);
	ck_assert_uint_eq(n, 2000);
	store_close(s);
}
END_TEST

START_TEST(test_growth_reopen)
{
	struct store *s;
	struct store_info si;
	uint64_t n, m;

	setenv("ALGAUDIT_STORE_MAPSIZE", CHECK_SMALL_MAP, 1);
	s = check_create("o");
	ck_assert_int_eq(check_write(s, 3000, 1000, NULL), 0);
	store_close(s);
	/* Reopened, the map holds the file, on the same growth steps. */
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert(si.si_map_size >= si.si_file_size);
	for (m = CHECK_SMALL_MAP_N; m < si.si_map_size; m *= 2)
		;
	ck_assert_uint_eq(m, si.si_map_size);
	ck_assert_int_eq(check_write(s, 10, 1000, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 1000, &n), 0);
	ck_assert_uint_eq(n, 3010);
	store_close(s);

	/* Without the override, the 64 MiB default applies. */
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_map_size, STORE_MAP_INITIAL);
	store_close(s);
}
END_TEST

START_TEST(test_mapsize_env_bad)
{
	static const char *const bad[] = {
		"", "abc", "100", "65535", "1x", "-262144", " 262144",
		"2199023255553",
	};
	struct store *s = (struct store *)1;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("ALGAUDIT_STORE_MAPSIZE", bad[i], 1);
		/* An empty value means unset. */
		if (*bad[i] == '\0') {
			ck_assert_int_eq(store_open(&s, check_dir,
			    STORE_CREATE, NULL), 0);
			store_close(s);
			continue;
		}
		ck_assert_msg(store_open(&s, check_dir, STORE_CREATE, NULL) ==
		    EINVAL, "ALGAUDIT_STORE_MAPSIZE=%s accepted", bad[i]);
		ck_assert_ptr_null(s);
	}
	/* Readers ignore the writers' testing hooks. */
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	store_close(s);
}
END_TEST

/*
 * Readers in other processes and threads.
 */

#define CHECK_CHILD_TOTAL	3000
#define CHECK_CHILD_LEN		1000

/*
 * Child of test_reader_child: reads the store over and over while the
 * parent writes, until it has seen every entry. Returns an exit code.
 */
static int
check_child_reader(int wfd, int rfd)
{
	struct store *s;
	struct store_info si;
	uint64_t n, last = 0, start_map;
	time_t deadline = time(NULL) + 120;
	int rc, rounds = 0;

	if (check_handshake(-1, rfd) != 0)
		return 9;
	if ((rc = store_open(&s, check_dir, STORE_RDONLY, NULL)) != 0) {
		fprintf(stderr, "child: open: %s\n", store_strerror(rc));
		return 10;
	}
	if ((rc = store_info(s, &si)) != 0)
		goto fail;
	start_map = si.si_map_size;
	while (last < CHECK_CHILD_TOTAL) {
		if (time(NULL) > deadline) {
			fprintf(stderr, "child: saw %llu of %d entries\n",
			    (unsigned long long)last, CHECK_CHILD_TOTAL);
			store_close(s);
			return 11;
		}
		if ((rc = store_info(s, &si)) != 0)
			goto fail;
		if (si.si_entries < last) {
			fprintf(stderr, "child: log shrank\n");
			store_close(s);
			return 12;
		}
		if ((rc = check_read_all(s, CHECK_CHILD_LEN, &n)) != 0)
			goto fail;
		if (n < si.si_entries) {
			fprintf(stderr, "child: iterated %llu < %llu\n",
			    (unsigned long long)n,
			    (unsigned long long)si.si_entries);
			store_close(s);
			return 13;
		}
		last = n;
		/* After the first round the parent writes the rest. */
		if (++rounds == 1 && check_handshake(wfd, -1) != 0) {
			store_close(s);
			return 17;
		}
	}
	if ((rc = store_info(s, &si)) != 0)
		goto fail;
	store_close(s);
	/* The map this child started with was outgrown and adopted. */
	if (si.si_map_size <= start_map) {
		fprintf(stderr, "child: map %llu never grew from %llu\n",
		    (unsigned long long)si.si_map_size,
		    (unsigned long long)start_map);
		return 14;
	}
	return rounds > 1 ? 0 : 15;

fail:
	fprintf(stderr, "child: %s\n", store_strerror(rc));
	store_close(s);
	return 16;
}

START_TEST(test_reader_child)
{
	struct check_child cc;
	struct store *s;
	int i;

	check_spawn(&cc, check_child_reader);
	setenv("ALGAUDIT_STORE_MAPSIZE", CHECK_SMALL_MAP, 1);
	s = check_create("o");
	ck_assert_int_eq(check_write(s, 1, CHECK_CHILD_LEN, NULL), 0);
	ck_assert_int_eq(check_handshake(cc.cc_down, -1), 0);
	for (i = 1; i < CHECK_CHILD_TOTAL; i += 20) {
		ck_assert_int_eq(check_write(s, i + 20 > CHECK_CHILD_TOTAL ?
		    CHECK_CHILD_TOTAL - i : 20, CHECK_CHILD_LEN, NULL), 0);
		/* Wait until the child has read a part of the log. */
		if (i == 501)
			ck_assert_int_eq(check_handshake(-1, cc.cc_up), 0);
	}
	check_reap(&cc);
	store_close(s);
}
END_TEST

/*
 * Child of test_reader_resized: holds an iterator while the parent
 * outgrows its map, then checks STORE_EBUSY and the recovery.
 */
static int
check_child_resized(int wfd, int rfd)
{
	struct store *s;
	struct store_info si;
	struct store_iter *it;
	const void *v;
	size_t len;
	uint64_t idx, n = 0, first_map;
	int rc;

	if (check_handshake(-1, rfd) != 0)
		return 19;
	if (store_open(&s, check_dir, STORE_RDONLY, NULL) != 0)
		return 20;
	if (store_info(s, &si) != 0 || si.si_entries != 10)
		return 21;
	first_map = si.si_map_size;
	if (store_iter_open(s, 0, &it) != 0)
		return 22;
	/* Tell the parent to write; wait until it has. */
	if (check_handshake(wfd, rfd) != 0)
		return 23;
	/* The parent has written far past our map. */
	if ((rc = store_info(s, &si)) != STORE_EBUSY) {
		fprintf(stderr, "child: store_info: %s\n", store_strerror(rc));
		return 24;
	}
	while (store_iter_next(it, &idx, &v, &len) == 0) {
		if (!check_payload_ok(v, len, idx, CHECK_CHILD_LEN))
			return 25;
		n++;
	}
	store_iter_close(it);
	if (n != 10)
		return 26;
	if ((rc = store_info(s, &si)) != 0) {
		fprintf(stderr, "child: store_info: %s\n", store_strerror(rc));
		return 27;
	}
	if (si.si_entries != 10 + CHECK_CHILD_TOTAL ||
	    si.si_map_size <= first_map)
		return 28;
	if (check_read_all(s, CHECK_CHILD_LEN, &n) != 0 || n != si.si_entries)
		return 29;
	store_close(s);
	return 0;
}

START_TEST(test_reader_resized)
{
	struct check_child cc;
	struct store *s;

	check_spawn(&cc, check_child_resized);
	setenv("ALGAUDIT_STORE_MAPSIZE", CHECK_SMALL_MAP, 1);
	s = check_create("o");
	ck_assert_int_eq(check_write(s, 10, CHECK_CHILD_LEN, NULL), 0);
	/* Let the child open an iterator, then outgrow its map. */
	ck_assert_int_eq(check_handshake(cc.cc_down, cc.cc_up), 0);
	ck_assert_int_eq(check_write(s, CHECK_CHILD_TOTAL, CHECK_CHILD_LEN,
	    NULL), 0);
	ck_assert_int_eq(check_handshake(cc.cc_down, -1), 0);
	check_reap(&cc);
	store_close(s);
}
END_TEST

struct check_reader {
	struct store	*cr_store;
	atomic_int	 cr_stop;
	int		 cr_rc;
	uint64_t	 cr_rounds;
};

/* Thread body: reads the store in a loop until told to stop. */
static void *
check_reader_thread(void *arg)
{
	struct check_reader *cr = arg;
	struct store_info si;
	struct store_producer sp;
	uint64_t n;
	int rc;

	while (!atomic_load(&cr->cr_stop)) {
		if ((rc = store_info(cr->cr_store, &si)) != 0 ||
		    (rc = check_read_all(cr->cr_store, 500, &n)) != 0)
			break;
		if (n < si.si_entries) {
			rc = STORE_ECORRUPT;
			break;
		}
		rc = store_producer_get(cr->cr_store, "p", &sp);
		if (rc != 0 && rc != STORE_ENOTFOUND)
			break;
		rc = 0;
		cr->cr_rounds++;
	}
	cr->cr_rc = rc;
	return NULL;
}

START_TEST(test_reader_thread)
{
	struct check_reader cr;
	struct store_producer sp = { 0, 1, 1, 0 };
	struct store_info si0, si;
	pthread_t t;
	uint64_t n;
	int i;

	setenv("ALGAUDIT_STORE_MAPSIZE", CHECK_SMALL_MAP, 1);
	memset(&cr, 0, sizeof(cr));
	cr.cr_store = check_create("o");
	atomic_init(&cr.cr_stop, 0);
	ck_assert_int_eq(store_info(cr.cr_store, &si0), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, check_reader_thread, &cr),
	    0);
	/* The writer grows the map under the reading thread. */
	for (i = 0; i < 60; i++) {
		ck_assert_int_eq(check_write(cr.cr_store, 50, 500, NULL), 0);
		ck_assert_int_eq(store_begin(cr.cr_store), 0);
		sp.sp_seq = (uint64_t)i + 1;
		ck_assert_int_eq(store_producer_put(cr.cr_store, "p", &sp), 0);
		ck_assert_int_eq(store_commit(cr.cr_store), 0);
	}
	atomic_store(&cr.cr_stop, 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(cr.cr_rc == 0, "reader thread: %s",
	    store_strerror(cr.cr_rc));
	ck_assert_uint_gt(cr.cr_rounds, 0);
	ck_assert_int_eq(store_info(cr.cr_store, &si), 0);
	ck_assert_uint_gt(si.si_map_size, si0.si_map_size);
	ck_assert_int_eq(check_read_all(cr.cr_store, 500, &n), 0);
	ck_assert_uint_eq(n, 3000);
	store_close(cr.cr_store);
}
END_TEST

/*
 * Child of test_reader_check: opens an iterator (a read transaction)
 * and holds it until the parent kills it with SIGKILL.
 */
static int
check_child_stale(int wfd, int rfd)
{
	struct store *s;
	struct store_iter *it;
	char c;

	if (check_handshake(-1, rfd) != 0)
		return 30;
	if (store_open(&s, check_dir, STORE_RDONLY, NULL) != 0)
		return 31;
	if (store_iter_open(s, 0, &it) != 0)
		return 32;
	/* Tell the parent the transaction is open; wait to be killed. */
	if (check_handshake(wfd, -1) != 0)
		return 33;
	while (read(rfd, &c, 1) == 1)
		;
	store_iter_close(it);
	store_close(s);
	return 34;
}

/* Kills the child with SIGKILL and reaps it. */
static void
check_kill(struct check_child *cc)
{
	int status;

	ck_assert_int_eq(kill(cc->cc_pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(cc->cc_pid, &status, 0), cc->cc_pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(cc->cc_down);
	close(cc->cc_up);
}

START_TEST(test_reader_check)
{
	struct check_child cc;
	struct store *s;
	int cleared = -1;

	check_spawn(&cc, check_child_stale);
	s = check_create("o");
	ck_assert_int_eq(check_write(s, 3, 64, NULL), 0);
	ck_assert_int_eq(check_handshake(cc.cc_down, cc.cc_up), 0);

	/* A live reader's slot is not touched. */
	ck_assert_int_eq(store_reader_check(s, &cleared), 0);
	ck_assert_int_eq(cleared, 0);

	/* Killed inside its read transaction: one stale slot, cleared. */
	check_kill(&cc);
	ck_assert_int_eq(store_reader_check(s, &cleared), 0);
	ck_assert_int_eq(cleared, 1);
	ck_assert_int_eq(store_reader_check(s, &cleared), 0);
	ck_assert_int_eq(cleared, 0);
	ck_assert_int_eq(store_reader_check(s, NULL), 0);

	/* The writer goes on. */
	ck_assert_int_eq(check_write(s, 3, 64, NULL), 0);
	store_close(s);
}
END_TEST

/*
 * Child of test_reader_check_reader_handle: a reader (a tool) that
 * clears the stale slot; exits 0 if it cleared exactly one.
 */
static int
check_child_checker(int wfd, int rfd)
{
	struct store *s;
	uint64_t n;
	int cleared = -1;

	(void)wfd;
	if (check_handshake(-1, rfd) != 0)
		return 40;
	if (store_open(&s, check_dir, STORE_RDONLY, NULL) != 0)
		return 41;
	if (store_reader_check(s, &cleared) != 0)
		return 42;
	if (cleared != 1) {
		fprintf(stderr, "child: cleared %d slots, not 1\n", cleared);
		return 43;
	}
	if (check_read_all(s, 64, &n) != 0 || n != 3)
		return 44;
	store_close(s);
	return 0;
}

START_TEST(test_reader_check_reader_handle)
{
	struct check_child stale, checker;
	struct store *s;
	int cleared = -1;

	/*
	 * A reader handle in another process clears a dead reader's slot
	 * as well. (Not one in this process: LMDB forbids opening an
	 * environment twice in one process, and the second open would
	 * reset the reader table, as the first opener does.)
	 */
	check_spawn(&stale, check_child_stale);
	check_spawn(&checker, check_child_checker);
	s = check_create("o");
	ck_assert_int_eq(check_write(s, 3, 64, NULL), 0);
	ck_assert_int_eq(check_handshake(stale.cc_down, stale.cc_up), 0);
	check_kill(&stale);
	ck_assert_int_eq(check_handshake(checker.cc_down, -1), 0);
	check_reap(&checker);
	ck_assert_int_eq(store_reader_check(s, &cleared), 0);
	ck_assert_int_eq(cleared, 0);
	store_close(s);
}
END_TEST

/*
 * Child of test_reader_sweep: a reader in another process that finds
 * nothing left to clear; exits 0 if so.
 */
static int
check_child_nothing(int wfd, int rfd)
{
	struct store *s;
	int cleared = -1;

	(void)wfd;
	if (check_handshake(-1, rfd) != 0)
		return 50;
	if (store_open(&s, check_dir, STORE_RDONLY, NULL) != 0)
		return 51;
	if (store_reader_check(s, &cleared) != 0)
		return 52;
	store_close(s);
	if (cleared != 0) {
		fprintf(stderr, "child: cleared %d slots, not 0\n", cleared);
		return 53;
	}
	return 0;
}

START_TEST(test_reader_sweep)
{
	struct check_child stale, checker;
	struct store *s;
	int cleared = -1;

	/*
	 * The writer's store_begin() clears a dead reader's slot by itself
	 * (its first one at once, then every 5 s): another process finds
	 * nothing to clear, and the writer's store_reader_check() reports
	 * the slot once.
	 */
	check_spawn(&stale, check_child_stale);
	check_spawn(&checker, check_child_nothing);
	s = check_create("o");
	ck_assert_int_eq(check_handshake(stale.cc_down, stale.cc_up), 0);
	check_kill(&stale);
	ck_assert_int_eq(check_write(s, 3, 64, NULL), 0);
	ck_assert_int_eq(check_handshake(checker.cc_down, -1), 0);
	check_reap(&checker);
	ck_assert_int_eq(store_reader_check(s, &cleared), 0);
	ck_assert_int_eq(cleared, 1);
	ck_assert_int_eq(store_reader_check(s, &cleared), 0);
	ck_assert_int_eq(cleared, 0);
	store_close(s);
}
END_TEST

/*
 * The fault hook.
 */

START_TEST(test_fault_commit_n)
{
	struct store *s;
	struct store_info si;
	struct store_producer sp = { 5, 1, 1, 5 };
	unsigned char buf[64];
	uint64_t i, n, idx;

	s = check_create("o");
	store_set_fault(s, 2, EIO);
	ck_assert_int_eq(check_write(s, 5, 64, NULL), 0);	/* commit 1 */

	ck_assert_int_eq(store_begin(s), 0);			/* commit 2 */
	for (i = 5; i < 10; i++) {
		check_payload(buf, i, sizeof(buf));
		ck_assert_int_eq(store_append(s, buf, sizeof(buf), NULL), 0);
	}
	ck_assert_int_eq(store_producer_put(s, "p", &sp), 0);
	ck_assert_int_eq(store_commit(s), STORE_EIO);
	ck_assert_str_eq(store_lmdb_error(s), strerror(EIO));

	/* Nothing of the failed transaction is visible. */
	ck_assert_uint_eq(store_next_index(s), 5);
	ck_assert_int_eq(store_info(s, &si), 0);
	ck_assert_uint_eq(si.si_entries, 5);
	ck_assert_uint_eq(si.si_producers, 0);
	ck_assert_int_eq(store_producer_get(s, "p", &sp), STORE_ENOTFOUND);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(store_commit(s), STORE_ETXN);

	/* The next commit works and reuses the indexes. */
	ck_assert_int_eq(store_begin(s), 0);
	check_payload(buf, 5, sizeof(buf));
	ck_assert_int_eq(store_append(s, buf, sizeof(buf), &idx), 0);
	ck_assert_uint_eq(idx, 5);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(check_write(s, 4, 64, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 10);
	store_close(s);

	/* And it stayed that way on disk. */
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 10);
	store_close(s);
}
END_TEST

/* Returns the error of the first commit after store_set_fault(1, err). */
static int
check_fault_once(struct store *s, int err)
{
	store_set_fault(s, 1, err);
	return check_write(s, 3, 64, NULL);
}

START_TEST(test_fault_kinds)
{
	struct store *s;
	struct store_info a, b;
	uint64_t n;

	s = check_create("o");
	ck_assert_int_eq(check_fault_once(s, ENOSPC), STORE_EFULL);
	ck_assert_int_eq(check_fault_once(s, STORE_EIO), STORE_EIO);
	ck_assert_int_eq(check_fault_once(s, 0), STORE_EFAULT);
	ck_assert_int_eq(check_fault_once(s, STORE_EFAULT), STORE_EFAULT);
	ck_assert_int_eq(check_fault_once(s, EACCES), EACCES);

	/* A map-full fault grows the map, as a real one would. */
	ck_assert_int_eq(store_info(s, &a), 0);
	store_set_fault(s, 1, STORE_EMAPFULL);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_commit(s), STORE_EMAPFULL);
	ck_assert_int_eq(store_info(s, &b), 0);
	ck_assert_uint_eq(b.si_map_size, 2 * a.si_map_size);

	/* n = 0 disables a pending fault. */
	store_set_fault(s, 1, EIO);
	store_set_fault(s, 0, EIO);
	ck_assert_int_eq(check_write(s, 3, 64, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 3);
	/* The hook fires once. */
	ck_assert_int_eq(check_fault_once(s, EIO), STORE_EIO);
	ck_assert_int_eq(check_write(s, 3, 64, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 6);
	store_close(s);
}
END_TEST

START_TEST(test_fault_env)
{
	struct store *s;
	uint64_t n;

	setenv("ALGAUDIT_STORE_FAULT", "commit:2:enospc", 1);
	s = check_create("o");
	ck_assert_int_eq(check_write(s, 2, 64, NULL), 0);
	ck_assert_int_eq(check_write(s, 2, 64, NULL), STORE_EFULL);
	ck_assert_int_eq(check_write(s, 2, 64, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 4);
	store_close(s);

	setenv("ALGAUDIT_STORE_FAULT", "commit:1:eio", 1);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(check_write(s, 2, 64, NULL), STORE_EIO);
	store_close(s);

	setenv("ALGAUDIT_STORE_FAULT", "commit:1:mapfull", 1);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_commit(s), STORE_EMAPFULL);
	/* The retry contract then succeeds. */
	ck_assert_int_eq(check_write(s, 2, 64, NULL), 0);
	store_close(s);

	setenv("ALGAUDIT_STORE_FAULT", "commit:1:fault", 1);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(check_write(s, 2, 64, NULL), STORE_EFAULT);
	store_close(s);

	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 6);
	store_close(s);
}
END_TEST

/* Returns the milliseconds of CLOCK_MONOTONIC. */
static int64_t
check_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_fault_slow)
{
	struct store *s;
	int64_t t0, t;
	uint64_t n;
	int i;

	setenv("ALGAUDIT_STORE_FAULT", "slow:150", 1);
	s = check_create("o");
	/* Every commit takes the time, and then commits. */
	for (i = 0; i < 3; i++) {
		t0 = check_ms();
		ck_assert_int_eq(check_write(s, 2, 64, NULL), 0);
		t = check_ms() - t0;
		ck_assert_msg(t >= 150, "commit %d took %lld ms", i,
		    (long long)t);
	}
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 6);
	/* No transaction: refused at once, no sleep. */
	t0 = check_ms();
	ck_assert_int_eq(store_commit(s), STORE_ETXN);
	ck_assert_int_lt(check_ms() - t0, 100);
	store_close(s);

	/* Readers never read the hook. */
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(check_read_all(s, 64, &n), 0);
	ck_assert_uint_eq(n, 6);
	store_close(s);

	/* The value is milliseconds: 1 ms is a short sleep. */
	setenv("ALGAUDIT_STORE_FAULT", "slow:1", 1);
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	t0 = check_ms();
	ck_assert_int_eq(check_write(s, 1, 64, NULL), 0);
	ck_assert_int_lt(check_ms() - t0, 140);
	store_close(s);
}
END_TEST

START_TEST(test_fault_env_bad)
{
	static const char *const bad[] = {
		"bogus", "commit", "commit:", "commit:1", "commit:1:",
		"commit:0:eio", "commit:x:eio", "commit:-1:eio",
		"commit:+1:eio", "commit:1:EIO", "commit:1:eiox",
		"begin:1:eio", "commit:99999999999999999999999:eio",
		"slow", "slow:", "slow:0", "slow:x", "slow:-5", "slow:+5",
		"slow:10x", "slow:10:eio", "slow:60001", "SLOW:10",
		"slow:99999999999999999999999", "commit:1:slow",
	};
	struct store *s = (struct store *)1;
	size_t i;

	store_close(check_create("o"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("ALGAUDIT_STORE_FAULT", bad[i], 1);
		ck_assert_msg(store_open(&s, check_dir, 0, NULL) == EINVAL,
		    "ALGAUDIT_STORE_FAULT=%s accepted", bad[i]);
		ck_assert_ptr_null(s);
	}
	/* Readers never read the hook. */
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	store_close(s);
}
END_TEST

/*
 * Error strings.
 */

START_TEST(test_strerror)
{
	static const char *const names[] = {
		"STORE_EFORMAT", "STORE_ECORRUPT", "STORE_EMAPFULL",
		"STORE_EFULL", "STORE_ENOTFOUND", "STORE_ETXN",
		"STORE_EREADERS", "STORE_EIO", "STORE_EFAULT", "STORE_ELMDB",
		"STORE_ELOCKED", "STORE_EBUSY", "STORE_ETREE",
	};
	const char *msg, *other;
	size_t len;
	int code, code2;

	ck_assert_int_eq(STORE_EMAX - STORE_EFORMAT,
	    (int)(sizeof(names) / sizeof(names[0])));
	for (code = STORE_EFORMAT; code < STORE_EMAX; code++) {
		msg = store_strerror(code);
		ck_assert_ptr_nonnull(msg);
		len = strlen(names[code - STORE_EFORMAT]);
		ck_assert_msg(strncmp(msg, names[code - STORE_EFORMAT],
		    len) == 0 && msg[len] == ':' && msg[len + 1] == ' ' &&
		    strlen(msg) > len + 10, "code %d: \"%s\"", code, msg);
		for (code2 = STORE_EFORMAT; code2 < code; code2++) {
			other = store_strerror(code2);
			ck_assert_str_ne(msg, other);
		}
	}
	ck_assert_str_eq(store_strerror(STORE_EMAPFULL),
	    "STORE_EMAPFULL: map full, grown; retry the transaction");
	ck_assert_str_eq(store_strerror(0), "success");
	ck_assert_str_eq(store_strerror(EIO), strerror(EIO));
	ck_assert_str_eq(store_strerror(ENOSPC), strerror(ENOSPC));
	ck_assert_str_eq(store_strerror(STORE_EMAX), "unknown store error");
	ck_assert_str_eq(store_strerror(STORE_EFORMAT - 1),
	    "unknown store error");
	ck_assert_str_eq(store_strerror(-1), "unknown store error");
}
END_TEST

/*
 * Hot backup.
 */

/* The backup's directory inside the fixture. */
static void
check_backup_dir(char *dir, size_t len, int make)
{
	snprintf(dir, len, "%s/backup", check_tmp);
	if (make)
		ck_assert_int_eq(mkdir(dir, 0700), 0);
}

/* Opens the copy in dir, checks every entry, returns the entry count. */
static uint64_t
check_backup_open(const char *dir, size_t len, struct store_info *si)
{
	struct store *c;
	uint64_t n;
	int rc;

	rc = store_open(&c, dir, STORE_RDONLY, NULL);
	ck_assert_msg(rc == 0, "copy: %s", store_strerror(rc));
	ck_assert_int_eq(store_info(c, si), 0);
	ck_assert_int_eq(check_read_all(c, len, &n), 0);
	ck_assert_uint_eq(n, si->si_entries);
	store_close(c);
	return n;
}

START_TEST(test_backup_copy)
{
	struct store_producer sp = { 42, 1, 2, 1000 }, got;
	struct store_info si, ci;
	struct store *s, *c;
	struct stat sb;
	char dir[1024], path[1100];
	uint64_t bytes;
	int i;

	s = check_create("backup.example/log");
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(check_write(s, 100, 300, NULL), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_producer_put(s, "p1", &sp), 0);
	ck_assert_int_eq(store_commit(s), 0);
	/* An uncommitted transaction is not in the copy. */
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_append(s, "x", 1, NULL), 0);
	check_backup_dir(dir, sizeof(dir), 1);
	ck_assert_int_eq(store_backup(s, dir, &bytes), 0);
	store_abort(s);
	ck_assert_int_eq(store_info(s, &si), 0);
	store_close(s);

	ck_assert_uint_eq(check_backup_open(dir, 300, &ci), 1000);
	ck_assert_str_eq(ci.si_origin, "backup.example/log");
	ck_assert_uint_eq(ci.si_producers, 1);
	ck_assert_int_eq(ci.si_created_ns, si.si_created_ns);
	ck_assert_uint_eq(ci.si_file_size, bytes);
	ck_assert_uint_le(bytes, si.si_file_size);	/* compacted */
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq((uint64_t)sb.st_size, bytes);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	/* The copy is a store of its own: a writer may continue it. */
	ck_assert_int_eq(store_open(&c, dir, 0, NULL), 0);
	ck_assert_int_eq(store_producer_get(c, "p1", &got), 0);
	ck_assert_uint_eq(got.sp_seq, 42);
	ck_assert_int_eq(check_write(c, 5, 300, NULL), 0);
	ck_assert_uint_eq(store_next_index(c), 1005);
	store_close(c);
}
END_TEST

START_TEST(test_backup_reader)
{
	struct store_info ci;
	struct store *s;
	char dir[1024];
	uint64_t bytes = 1;

	s = check_create("o");
	ck_assert_int_eq(check_write(s, 50, 200, NULL), 0);
	store_close(s);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	check_backup_dir(dir, sizeof(dir), 1);
	ck_assert_int_eq(store_backup(s, dir, NULL), 0);
	/* A second copy into the same directory is refused. */
	ck_assert_int_eq(store_backup(s, dir, &bytes), EEXIST);
	ck_assert_uint_eq(bytes, 0);
	store_close(s);
	/* The refusal left the first copy alone. */
	ck_assert_uint_eq(check_backup_open(dir, 200, &ci), 50);
}
END_TEST

START_TEST(test_backup_empty_store)
{
	struct store_info ci;
	struct store *s;
	char dir[1024];

	s = check_create("o");
	check_backup_dir(dir, sizeof(dir), 1);
	ck_assert_int_eq(store_backup(s, dir, NULL), 0);
	store_close(s);
	ck_assert_uint_eq(check_backup_open(dir, 1, &ci), 0);
	ck_assert_str_eq(ci.si_origin, "o");
}
END_TEST

START_TEST(test_backup_bad_dir)
{
	struct store *s;
	char dir[1024], file[1100];
	uint64_t bytes = 1;
	FILE *fp;

	s = check_create("o");
	ck_assert_int_eq(check_write(s, 5, 100, NULL), 0);
	check_backup_dir(dir, sizeof(dir), 0);
	ck_assert_int_eq(store_backup(s, dir, &bytes), ENOENT);
	ck_assert_uint_eq(bytes, 0);
	ck_assert_int_eq(store_backup(s, NULL, NULL), EINVAL);
	ck_assert_int_eq(store_backup(s, "", NULL), EINVAL);
	/* A file where the directory should be. */
	fp = fopen(dir, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(store_backup(s, dir, NULL), ENOTDIR);
	ck_assert_int_eq(unlink(dir), 0);
	/* An existing data.mdb is never replaced. */
	check_backup_dir(dir, sizeof(dir), 1);
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	fp = fopen(file, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("precious", fp);
	fclose(fp);
	ck_assert_int_eq(store_backup(s, dir, NULL), EEXIST);
	ck_assert(check_exists(dir, "data.mdb"));
	fp = fopen(file, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fgetc(fp), 'p');
	fclose(fp);
	/* Copying into the store's own directory is the same refusal. */
	ck_assert_int_eq(store_backup(s, check_dir, NULL), EEXIST);
	store_close(s);
}
END_TEST

/* Child of test_backup_hot: keeps writing while the parent copies. */
static int
check_child_writer(int wfd, int rfd)
{
	struct store *s;
	uint64_t i;

	(void)rfd;
	if (store_open(&s, check_dir, STORE_CREATE, "o") != 0)
		return 30;
	if (check_write(s, 10, CHECK_CHILD_LEN, NULL) != 0)
		return 31;
	if (check_handshake(wfd, -1) != 0)
		return 32;
	for (i = 0; i < CHECK_CHILD_TOTAL / 10; i++)
		if (check_write(s, 10, CHECK_CHILD_LEN, NULL) != 0)
			return 33;
	store_close(s);
	return 0;
}

START_TEST(test_backup_hot)
{
	struct check_child cc;
	struct store_info si, ci;
	struct store *s;
	char dir[1024];
	uint64_t before, n;

	/* A small map: the writer grows it under the copy. */
	setenv("ALGAUDIT_STORE_MAPSIZE", CHECK_SMALL_MAP, 1);
	check_spawn(&cc, check_child_writer);
	ck_assert_int_eq(check_handshake(-1, cc.cc_up), 0);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_RDONLY, NULL), 0);
	ck_assert_int_eq(store_info(s, &si), 0);
	before = si.si_entries;
	check_backup_dir(dir, sizeof(dir), 1);
	ck_assert_int_eq(store_backup(s, dir, NULL), 0);
	store_close(s);
	check_reap(&cc);
	/* A committed prefix: dense, intact, at least what was there. */
	n = check_backup_open(dir, CHECK_CHILD_LEN, &ci);
	ck_assert_uint_ge(n, before);
	ck_assert_uint_le(n, 10 + CHECK_CHILD_TOTAL);
	ck_assert_uint_eq(n % 10, 0);
}
END_TEST

/* Builds the suite: one TCase per function family, all with the fixture. */
static Suite *
check_store_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("store");

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_create_new);
	tcase_add_test(tc, test_default_origin);
	tcase_add_test(tc, test_reopen_keeps_origin);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_open_not_dir);
	tcase_add_test(tc, test_open_bad_args);
	tcase_add_test(tc, test_open_utf8_origin);
	tcase_add_test(tc, test_foreign_env);
	tcase_add_test(tc, test_foreign_plain_meta);
	tcase_add_test(tc, test_not_lmdb);
	tcase_add_test(tc, test_future_format);
	tcase_add_test(tc, test_bad_format_value);
	tcase_add_test(tc, test_missing_format);
	tcase_add_test(tc, test_second_writer);
	suite_add_tcase(s, tc);

	tc = tcase_create("append");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_append_read_back);
	tcase_add_test(tc, test_iter_from_middle);
	tcase_add_test(tc, test_iter_snapshot);
	tcase_add_test(tc, test_next_index_commit_abort);
	tcase_add_test(tc, test_uncommitted_invisible);
	tcase_add_test(tc, test_close_with_open_txn);
	tcase_add_test(tc, test_append_bad);
	tcase_add_test(tc, test_etxn);
	tcase_add_test(tc, test_iter_gap_corrupt);
	tcase_add_test(tc, test_bad_entry_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("producers");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_producer_absent);
	tcase_add_test(tc, test_producer_put_get);
	tcase_add_test(tc, test_producer_abort);
	tcase_add_test(tc, test_producer_bad_id);
	tcase_add_test(tc, test_producers_each);
	tcase_add_test(tc, test_producer_corrupt);
	suite_add_tcase(s, tc);

	tc = tcase_create("growth");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_growth_precheck);
	tcase_add_test(tc, test_growth_retry);
	tcase_add_test(tc, test_growth_reopen);
	tcase_add_test(tc, test_mapsize_env_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("readers");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_reader_child);
	tcase_add_test(tc, test_reader_resized);
	tcase_add_test(tc, test_reader_thread);
	tcase_add_test(tc, test_reader_check);
	tcase_add_test(tc, test_reader_check_reader_handle);
	tcase_add_test(tc, test_reader_sweep);
	suite_add_tcase(s, tc);

	tc = tcase_create("fault");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fault_commit_n);
	tcase_add_test(tc, test_fault_kinds);
	tcase_add_test(tc, test_fault_env);
	tcase_add_test(tc, test_fault_slow);
	tcase_add_test(tc, test_fault_env_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("backup");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_backup_copy);
	tcase_add_test(tc, test_backup_reader);
	tcase_add_test(tc, test_backup_empty_store);
	tcase_add_test(tc, test_backup_bad_dir);
	/*
	 * A writer child racing the copy: a concurrency test, run with a
	 * fork per test only (under CK_FORK=no, i.e. valgrind, the earlier
	 * tests' state is in the same process and the child's handshake
	 * can be missed).
	 */
	if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0)
		tcase_add_test(tc, test_backup_hot);
	suite_add_tcase(s, tc);

	tc = tcase_create("strerror");
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
