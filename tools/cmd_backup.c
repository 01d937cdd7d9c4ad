/* SPDX-License-Identifier: ISC */
/*
 * cmd_backup.c: `algaudit backup --store DIR --out DIR2` takes a hot
 * backup: a consistent, compacted copy of the committed store, while
 * the daemon keeps writing (store_backup(): one LMDB read snapshot, so
 * the copy is exactly the store as of one commit). It then opens the
 * copy like any reader and says what it holds: entries, tree size, the
 * newest signed checkpoint in it, bytes and time taken.
 *
 * It never writes into a directory that has anything in it, never
 * touches the source store (read-only), and does not copy the signing
 * key: signer.key is a secret kept beside data.mdb, backed up on its
 * own terms (docs/OPERATIONS.md, "Backup and restore"). Verifying the
 * copy needs only the verifier key, which is public.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools.h"

static const char cmd_backup_help[] =
"Copies the store, compacted, into DIR2 while the daemon may keep\n"
"writing: the copy is the store as of one commit (an LMDB read snapshot;\n"
"entries acknowledged before the backup started are in it). DIR2 must\n"
"not exist (its parent must) or be an empty directory. The copy is\n"
"DIR2/data.mdb (mode 0600); reading it creates DIR2/lock.mdb.\n"
"\n"
"  --store DIR      the store (opened read-only)\n"
"  --out DIR2       where the copy goes\n"
"\n"
"The signing key (DIR/signer.key) is NOT copied: back it up separately,\n"
"as the secret it is. `algaudit verify --store DIR2 --key VERIFIERKEY`\n"
"checks the copy with the public verifier key.\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (DIR2 not empty, the copy failed\n"
"or does not open, ...), 2 usage error.\n";

/* Parses --store and --out; exits on usage errors. */
static void
cmd_backup_opts(int argc, char **argv, const char **dir, const char **out)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*dir = *out = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			*dir = optarg;
			break;
		case 'o':
			*out = optarg;
			break;
		case 'h':
			cli_help(CMD_BACKUP_USAGE, cmd_backup_help);
		default:
			cli_bad_option(CMD_BACKUP_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_BACKUP_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (*dir == NULL || **dir == '\0')
		cli_usage(CMD_BACKUP_USAGE, "--store: required");
	if (*out == NULL || **out == '\0')
		cli_usage(CMD_BACKUP_USAGE, "--out: required");
}

/*
 * Makes out ready for the copy: creates it (mode 0700) if absent, else
 * checks that it is an empty directory. Sets *made when it created it.
 * Returns 0, or -1 after saying why.
 */
static int
cmd_backup_prepare(const char *out, int *made)
{
	struct dirent *de;
	struct stat sb;
	DIR *dp;
	int empty = 1;

	*made = 0;
	if (mkdir(out, 0700) == 0) {
		*made = 1;
		return 0;
	}
	if (errno != EEXIST) {
		cli_warnx("backup", "--out %s: cannot create: %s", out,
		    strerror(errno));
		return -1;
	}
	if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		cli_warnx("backup", "--out %s: exists and is not a directory",
		    out);
		return -1;
	}
	if ((dp = opendir(out)) == NULL) {
		cli_warnx("backup", "--out %s: %s", out, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	closedir(dp);
	if (!empty) {
		cli_warnx("backup", "--out %s: exists and is not empty; "
		    "refusing to write into it (give a new directory)", out);
		return -1;
	}
	return 0;
}

/* Returns CLOCK_MONOTONIC in seconds. */
static double
cmd_backup_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Opens the copy in out read-only and prints what it holds, with the
 * copy's size and the time the copy took. Returns 0, or -1 after
 * saying why.
 */
static int
cmd_backup_report(const char *dir, const char *out, uint64_t bytes,
    double secs)
{
	struct store *st = NULL;
	struct store_view *v = NULL;
	struct store_info si;
	const char *note;
	size_t len;
	uint64_t ckpt = 0;
	int rc;

	if (cli_store_open("backup", out, &st, &v) == -1) {
		cli_warnx("backup", "the copy in %s does not open", out);
		return -1;
	}
	if ((rc = store_info(st, &si)) != 0) {
		cli_warnx("backup", "%s: %s", out, store_strerror(rc));
		goto fail;
	}
	rc = store_view_checkpoint(v, 0, &note, &len, &ckpt);
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		cli_warnx("backup", "%s: checkpoints: %s", out,
		    store_strerror(rc));
		goto fail;
	}
	printf("copied       %s to %s\n", dir, out);
	printf("entries      %" PRIu64 "\n", si.si_entries);
	printf("tree size    %" PRIu64 "\n", store_view_tree_size(v));
	if (rc == STORE_ENOTFOUND)
		printf("checkpoint   none in the copy\n");
	else if (ckpt == store_view_tree_size(v))
		printf("checkpoint   %" PRIu64 " (the newest signed one "
		    "covers every entry)\n", ckpt);
	else
		printf("checkpoint   %" PRIu64 " (the newest signed one; the "
		    "%" PRIu64 " entries after it are covered by the live "
		    "log's next checkpoint)\n", ckpt,
		    store_view_tree_size(v) - ckpt);
	printf("producers    %" PRIu64 "\n", si.si_producers);
	printf("bytes        %" PRIu64 " (%s/data.mdb)\n", bytes, out);
	printf("seconds      %.3f\n", secs);
	printf("signer.key   not copied: back it up separately\n");
	store_view_end(v);
	store_close(st);
	return fflush(stdout) == 0 ? 0 : -1;

fail:
	store_view_end(v);
	store_close(st);
	return -1;
}

/* algaudit backup: copies DIR into DIR2 and reports on the copy. */
int
cmd_backup(int argc, char **argv)
{
	struct store *st = NULL;
	const char *dir, *out;
	uint64_t bytes;
	double t0;
	int rc, made;

	cmd_backup_opts(argc, argv, &dir, &out);
	if (cli_store_open("backup", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	if (cmd_backup_prepare(out, &made) == -1) {
		store_close(st);
		return TOOLS_EXIT_FAIL;
	}
	t0 = cmd_backup_now();
	rc = store_backup(st, out, &bytes);
	store_close(st);
	if (rc != 0) {
		cli_warnx("backup", "copying %s to %s: %s", dir, out,
		    store_strerror(rc));
		if (made && rmdir(out) != 0)
			cli_warnx("backup", "%s: %s", out, strerror(errno));
		return TOOLS_EXIT_FAIL;
	}
	if (cmd_backup_report(dir, out, bytes, cmd_backup_now() - t0) == -1)
		return TOOLS_EXIT_FAIL;
	return TOOLS_EXIT_OK;
}
