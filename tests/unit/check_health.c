/* SPDX-License-Identifier: ISC */
/*
 * check_health.c: unit tests of daemon/health.c (Suite "health"): the
 * filesystem figures and the full test, the free-space levels with
 * their hysteresis and disabled thresholds, the back-off, and the check
 * the writer runs on a store it reopened after an I/O error. For that
 * each test builds a real store in a fresh temporary directory (a
 * checked fixture): entries that are Entry messages, their commitment
 * leaves in the Merkle tree, a checkpoint signed by a test key; then
 * breaks one thing at a time (fewer entries than acknowledged, a tree
 * that misses entries, a checkpoint signed by another key or over
 * another root, a head entry whose leaf is not the tree's) and expects
 * the check to refuse the store with a message that says why. The
 * reader check gets a child process killed inside a read transaction,
 * and the daemon's log (stderr, foreground) is read back.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "leaf.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "store.h"

#define CHECK_ORIGIN	"check.example/health"

static char check_tmp[512];	/* the fixture's directory */
static char check_dir[1024];	/* the store inside it */
static char check_err[512];	/* health_check_store()'s message */

/* Seeds of the daemon's key and of a stranger's. */
static const uint8_t check_seed[NOTE_SEED_LEN] = { 1, 2, 3, 4, 5 };
static const uint8_t check_other_seed[NOTE_SEED_LEN] = { 9, 9, 9 };

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

/* Checked fixture: a fresh temporary directory, no testing hooks. */
static void
check_setup(void)
{
	const char *t = getenv("TMPDIR");

	unsetenv("ALGAUDIT_STORE_FAULT");
	unsetenv("ALGAUDIT_STORE_MAPSIZE");
	snprintf(check_tmp, sizeof(check_tmp), "%s/check_health.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(check_tmp));
	snprintf(check_dir, sizeof(check_dir), "%s/store", check_tmp);
	check_err[0] = '\0';
}

/* Checked fixture: removes the directory and everything in it. */
static void
check_teardown(void)
{
	nftw(check_tmp, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* The key seeded with seed, and its verifier key text in vkey. */
static struct note_signer *
check_signer(const uint8_t *seed, char *vkey, size_t len)
{
	struct note_signer *sg;

	ck_assert_int_eq(note_signer_from_seed(CHECK_ORIGIN, seed, &sg), 0);
	ck_assert_int_eq(note_signer_vkey(sg, vkey, len), 0);
	return sg;
}

/* How check_build() spoils the store it writes. */
#define CHECK_NO_TREE	0x01	/* entries without leaves */
#define CHECK_BAD_ROOT	0x02	/* the checkpoint signs a wrong root */
#define CHECK_BAD_HEAD	0x04	/* the last leaf is another entry's */
#define CHECK_NO_CKPT	0x08	/* no checkpoint */

/*
 * Creates the store with n entries (decision records of producer "p",
 * seqs 1..n) in one transaction: their leaves in the tree and a
 * checkpoint of size n signed by sg, unless flags say otherwise.
 * Returns the store, open for writing.
 */
static struct store *
check_build(size_t n, struct note_signer *sg, int flags)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Algorithm a = ALGAUDIT__V1__ALGORITHM__INIT;
	struct leaf_ctx *ctx;
	struct store *s;
	uint8_t buf[1024], *hashes, root[MERKLE_HASH_LEN];
	char *note;
	size_t i, len;
	int rc;

	rc = store_open(&s, check_dir, STORE_CREATE, CHECK_ORIGIN);
	ck_assert_msg(rc == 0, "store_open: %s", store_strerror(rc));
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	ck_assert_ptr_nonnull(hashes = calloc(n + 1, LEAF_HASH_LEN));
	a.id = (char *)(uintptr_t)"check.algo";
	r.algorithm = &a;
	r.decision = (char *)(uintptr_t)"approve";
	r.has_event_time_ns = 1;
	r.has_producer_seq = 1;
	e.producer_id = (char *)(uintptr_t)"p";
	e.record = &r;
	e.has_index = e.has_receive_time_ns = 1;
	ck_assert_int_eq(store_begin(s), 0);
	for (i = 0; i < n; i++) {
		e.index = i;
		e.receive_time_ns = (int64_t)(i + 1) * 1000000000;
		r.producer_seq = i + 1;
		r.event_time_ns = e.receive_time_ns;
		len = algaudit__v1__entry__get_packed_size(&e);
		ck_assert_uint_le(len, sizeof(buf));
		algaudit__v1__entry__pack(&e, buf);
		ck_assert_int_eq(store_append(s, buf, len, NULL), 0);
		/* A head whose leaf is of another decision. */
		if ((flags & CHECK_BAD_HEAD) && i == n - 1)
			r.decision = (char *)(uintptr_t)"deny";
		ck_assert_int_eq(leaf_compute(ctx, store_leaf_key(s), &e,
		    hashes + i * LEAF_HASH_LEN), 0);
	}
	if (!(flags & CHECK_NO_TREE) && n > 0)
		ck_assert_int_eq(store_tree_append(s, hashes, n), 0);
	if (!(flags & (CHECK_NO_TREE | CHECK_NO_CKPT)) && n > 0) {
		ck_assert_int_eq(store_tree_root_txn(s, n, root), 0);
		if (flags & CHECK_BAD_ROOT)
			root[0] ^= 1;
		ck_assert_int_eq(note_checkpoint_sign(sg, CHECK_ORIGIN, n,
		    root, &note, &len), 0);
		ck_assert_int_eq(store_checkpoint_put(s, n, note, len), 0);
		free(note);
	}
	ck_assert_int_eq(store_commit(s), 0);
	free(hashes);
	leaf_ctx_free(ctx);
	return s;
}

/*
 * Builds a store as check_build() does, closes it, reopens it the way
 * the writer does, and runs the check with committed entries
 * acknowledged and the verifier key of vseed. Returns its result.
 */
static int
check_reopened(size_t n, int flags, uint64_t committed, int tree,
    const uint8_t *vseed, struct health_check *hc)
{
	struct note_signer *sg, *vsg;
	struct leaf_ctx *ctx;
	struct store *s;
	char vkey[NOTE_VKEY_MAX], vkey2[NOTE_VKEY_MAX];
	int rc;

	sg = check_signer(check_seed, vkey, sizeof(vkey));
	vsg = check_signer(vseed, vkey2, sizeof(vkey2));
	store_close(check_build(n, sg, flags));
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	rc = health_check_store(s, committed, tree, vkey2, ctx, hc,
	    check_err, sizeof(check_err));
	leaf_ctx_free(ctx);
	store_close(s);
	note_signer_free(sg);
	note_signer_free(vsg);
	return rc;
}

/* Asserts that the check failed with a message containing what. */
static void
check_failed(int rc, const char *what)
{
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(check_err, what) != NULL,
	    "message '%s' does not say '%s'", check_err, what);
}

START_TEST(test_fs_stat)
{
	struct health_fs fs;

	ck_assert_int_eq(health_fs_stat(check_tmp, &fs), 0);
	ck_assert_uint_gt(fs.hf_size, 0);
	ck_assert_uint_le(fs.hf_avail, fs.hf_size);
	ck_assert(health_free_pct(&fs) >= 0.0 &&
	    health_free_pct(&fs) <= 100.0);
	ck_assert_int_eq(health_fs_stat("/nonexistent/algaudit", &fs),
	    ENOENT);
	ck_assert_uint_eq(fs.hf_size, 0);
}
END_TEST

START_TEST(test_fs_full)
{
	struct health_fs fs = { 100 << 20, 0 };

	ck_assert_int_eq(health_fs_full(&fs), 1);
	fs.hf_avail = HEALTH_FS_SLACK - 1;
	ck_assert_int_eq(health_fs_full(&fs), 1);
	fs.hf_avail = HEALTH_FS_SLACK;
	ck_assert_int_eq(health_fs_full(&fs), 0);
	/* A size of 0 (no figures) counts as all free. */
	fs.hf_size = 0;
	ck_assert(health_free_pct(&fs) == 100.0);
}
END_TEST

/* The level at pct % available of a 1000-unit filesystem. */
static int
check_level(double pct, uint64_t warn, uint64_t crit, int prev)
{
	struct health_fs fs;

	fs.hf_size = 100000;
	fs.hf_avail = (uint64_t)(pct * 1000.0);
	return health_free_level(&fs, warn, crit, prev);
}

START_TEST(test_free_levels)
{
	ck_assert_int_eq(check_level(50, 10, 5, HEALTH_FREE_OK),
	    HEALTH_FREE_OK);
	ck_assert_int_eq(check_level(10, 10, 5, HEALTH_FREE_OK),
	    HEALTH_FREE_OK);
	ck_assert_int_eq(check_level(9.9, 10, 5, HEALTH_FREE_OK),
	    HEALTH_FREE_LOW);
	ck_assert_int_eq(check_level(4.9, 10, 5, HEALTH_FREE_OK),
	    HEALTH_FREE_CRITICAL);
	ck_assert_int_eq(check_level(0, 10, 5, HEALTH_FREE_LOW),
	    HEALTH_FREE_CRITICAL);
}
END_TEST

START_TEST(test_free_hysteresis)
{
	/* Leaving a level takes HEALTH_HYSTERESIS points more. */
	ck_assert_int_eq(check_level(5.5, 10, 5, HEALTH_FREE_CRITICAL),
	    HEALTH_FREE_CRITICAL);
	ck_assert_int_eq(check_level(6.1, 10, 5, HEALTH_FREE_CRITICAL),
	    HEALTH_FREE_LOW);
	ck_assert_int_eq(check_level(10.5, 10, 5, HEALTH_FREE_LOW),
	    HEALTH_FREE_LOW);
	ck_assert_int_eq(check_level(11.1, 10, 5, HEALTH_FREE_LOW),
	    HEALTH_FREE_OK);
	/* From critical straight to ok when far above both. */
	ck_assert_int_eq(check_level(60, 10, 5, HEALTH_FREE_CRITICAL),
	    HEALTH_FREE_OK);
	/* Between the thresholds, from critical: low, not ok. */
	ck_assert_int_eq(check_level(10.5, 10, 5, HEALTH_FREE_CRITICAL),
	    HEALTH_FREE_LOW);
	/* Worse is entered at once, hysteresis or not. */
	ck_assert_int_eq(check_level(4.99, 10, 5, HEALTH_FREE_LOW),
	    HEALTH_FREE_CRITICAL);
}
END_TEST

START_TEST(test_free_disabled)
{
	ck_assert_int_eq(check_level(1, 0, 0, HEALTH_FREE_OK),
	    HEALTH_FREE_OK);
	ck_assert_int_eq(check_level(1, 10, 0, HEALTH_FREE_OK),
	    HEALTH_FREE_LOW);
	ck_assert_int_eq(check_level(1, 0, 5, HEALTH_FREE_OK),
	    HEALTH_FREE_CRITICAL);
	/* A threshold switched off by a reload: its level is left. */
	ck_assert_int_eq(check_level(1, 10, 0, HEALTH_FREE_CRITICAL),
	    HEALTH_FREE_LOW);
	ck_assert_int_eq(check_level(1, 0, 0, HEALTH_FREE_LOW),
	    HEALTH_FREE_OK);
}
END_TEST

START_TEST(test_backoff)
{
	ck_assert_uint_eq(health_backoff(0, 250, 4000), 250);
	ck_assert_uint_eq(health_backoff(250, 250, 4000), 500);
	ck_assert_uint_eq(health_backoff(1000, 250, 4000), 2000);
	ck_assert_uint_eq(health_backoff(2000, 250, 4000), 4000);
	ck_assert_uint_eq(health_backoff(3000, 250, 4000), 4000);
	ck_assert_uint_eq(health_backoff(4000, 250, 4000), 4000);
	ck_assert_uint_eq(health_backoff(UINT64_MAX, 250, 4000), 4000);
}
END_TEST

START_TEST(test_check_ok)
{
	struct health_check hc;

	ck_assert_int_eq(check_reopened(5, 0, 5, 1, check_seed, &hc), 0);
	ck_assert_uint_eq(hc.hc_entries, 5);
	ck_assert_uint_eq(hc.hc_tree, 5);
	ck_assert_uint_eq(hc.hc_ckpt_size, 5);
}
END_TEST

START_TEST(test_check_empty)
{
	struct health_check hc;

	ck_assert_int_eq(check_reopened(0, 0, 0, 1, check_seed, &hc), 0);
	ck_assert_uint_eq(hc.hc_entries, 0);
	ck_assert_uint_eq(hc.hc_ckpt_size, 0);
}
END_TEST

START_TEST(test_check_no_ckpt)
{
	struct health_check hc;

	/* Entries past the newest checkpoint (none) are fine. */
	ck_assert_int_eq(check_reopened(3, CHECK_NO_CKPT, 3, 1, check_seed,
	    &hc), 0);
	ck_assert_uint_eq(hc.hc_ckpt_size, 0);
}
END_TEST

START_TEST(test_check_more_than_acked)
{
	struct health_check hc;

	/* A commit reported as failed reached the disk: adopted. */
	ck_assert_int_eq(check_reopened(5, 0, 3, 1, check_seed, &hc), 0);
	ck_assert_uint_eq(hc.hc_entries, 5);
}
END_TEST

START_TEST(test_check_missing_acked)
{
	struct health_check hc;

	check_failed(check_reopened(5, 0, 6, 1, check_seed, &hc),
	    "acknowledged entries are missing");
	ck_assert_uint_eq(hc.hc_entries, 5);
}
END_TEST

START_TEST(test_check_tree_short)
{
	struct health_check hc;

	check_failed(check_reopened(3, CHECK_NO_TREE, 3, 1, check_seed, &hc),
	    "Merkle tree has 0 leaves for 3 entries");
}
END_TEST

START_TEST(test_check_tree_off)
{
	struct health_check hc;

	/* With --tree off only the entries count. */
	ck_assert_int_eq(check_reopened(3, CHECK_NO_TREE, 3, 0, check_seed,
	    &hc), 0);
	ck_assert_uint_eq(hc.hc_entries, 3);
	ck_assert_uint_eq(hc.hc_tree, 0);
}
END_TEST

START_TEST(test_check_other_key)
{
	struct health_check hc;

	check_failed(check_reopened(4, 0, 4, 1, check_other_seed, &hc),
	    "does not verify with the daemon's key");
}
END_TEST

START_TEST(test_check_bad_root)
{
	struct health_check hc;

	check_failed(check_reopened(4, CHECK_BAD_ROOT, 4, 1, check_seed,
	    &hc), "not the root the checkpoint signed");
}
END_TEST

START_TEST(test_check_bad_head)
{
	struct health_check hc;

	check_failed(check_reopened(4, CHECK_BAD_HEAD | CHECK_NO_CKPT, 4, 1,
	    check_seed, &hc), "entry 3 does not hash to the tree's leaf");
}
END_TEST

START_TEST(test_check_bad_vkey)
{
	struct note_signer *sg;
	struct leaf_ctx *ctx;
	struct health_check hc;
	struct store *s;
	char vkey[NOTE_VKEY_MAX];

	sg = check_signer(check_seed, vkey, sizeof(vkey));
	store_close(check_build(2, sg, 0));
	ck_assert_int_eq(store_open(&s, check_dir, 0, NULL), 0);
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
	check_failed(health_check_store(s, 2, 1, "not a key", ctx, &hc,
	    check_err, sizeof(check_err)), "verifier key");
	leaf_ctx_free(ctx);
	store_close(s);
	note_signer_free(sg);
}
END_TEST

/*
 * A child that opens the store read-only and an iterator (a read
 * transaction), says so on wfd, and waits on rfd until it is killed.
 * Forked before the parent opens the store.
 */
static pid_t
check_stale_reader(int *up, int *down)
{
	int u[2], d[2];
	struct store *s;
	struct store_iter *it;
	pid_t pid;
	char c = 'x';

	ck_assert_int_eq(pipe(u), 0);
	ck_assert_int_eq(pipe(d), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(u[0]);
		close(d[1]);
		if (read(d[0], &c, 1) != 1 ||
		    store_open(&s, check_dir, STORE_RDONLY, NULL) != 0 ||
		    store_iter_open(s, 0, &it) != 0 ||
		    write(u[1], &c, 1) != 1)
			_exit(1);
		while (read(d[0], &c, 1) == 1)
			;
		_exit(2);
	}
	close(u[1]);
	close(d[0]);
	*up = u[0];
	*down = d[1];
	return pid;
}

/* Calls health_reader_check() with stderr (the log) captured in buf. */
static int
check_reader_logged(struct store *s, char *buf, size_t len)
{
	char path[1100];
	ssize_t n;
	int fd, saved, rc;

	snprintf(path, sizeof(path), "%s/log", check_tmp);
	ck_assert_int_ge(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600),
	    0);
	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	rc = health_reader_check(s);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	ck_assert_int_ge(n = pread(fd, buf, len - 1, 0), 0);
	buf[n] = '\0';
	close(fd);
	return rc;
}

START_TEST(test_reader_check)
{
	struct store *s;
	char log[1024], c = 'x';
	int up, down, status;
	pid_t pid;

	log_init(1, LOG_DAEMON);
	pid = check_stale_reader(&up, &down);
	ck_assert_int_eq(store_open(&s, check_dir, STORE_CREATE, NULL), 0);
	ck_assert_int_eq(write(down, &c, 1), 1);
	ck_assert_int_eq(read(up, &c, 1), 1);

	/* A live reader: nothing cleared, nothing logged. */
	ck_assert_int_eq(check_reader_logged(s, log, sizeof(log)), 0);
	ck_assert_str_eq(log, "");

	/* Killed inside its read transaction: cleared, and logged. */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(check_reader_logged(s, log, sizeof(log)), 1);
	ck_assert_msg(strstr(log, "info: store: cleared 1 stale reader "
	    "slots (processes that died inside a read transaction of ") !=
	    NULL, "log: %s", log);
	ck_assert_ptr_nonnull(strstr(log, check_dir));

	/* Once. */
	ck_assert_int_eq(check_reader_logged(s, log, sizeof(log)), 0);
	ck_assert_str_eq(log, "");
	close(up);
	close(down);
	store_close(s);
}
END_TEST

/* The health suite. */
static Suite *
health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc;

	tc = tcase_create("fs");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_fs_stat);
	tcase_add_test(tc, test_fs_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("free_level");
	tcase_add_test(tc, test_free_levels);
	tcase_add_test(tc, test_free_hysteresis);
	tcase_add_test(tc, test_free_disabled);
	suite_add_tcase(s, tc);

	tc = tcase_create("backoff");
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);

	tc = tcase_create("check_store");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_check_ok);
	tcase_add_test(tc, test_check_empty);
	tcase_add_test(tc, test_check_no_ckpt);
	tcase_add_test(tc, test_check_more_than_acked);
	tcase_add_test(tc, test_check_missing_acked);
	tcase_add_test(tc, test_check_tree_short);
	tcase_add_test(tc, test_check_tree_off);
	tcase_add_test(tc, test_check_other_key);
	tcase_add_test(tc, test_check_bad_root);
	tcase_add_test(tc, test_check_bad_head);
	tcase_add_test(tc, test_check_bad_vkey);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader_check");
	tcase_add_checked_fixture(tc, check_setup, check_teardown);
	tcase_add_test(tc, test_reader_check);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(health_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
