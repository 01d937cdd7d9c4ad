/* SPDX-License-Identifier: ISC */
/*
 * cmd_checkpoint.c: `algaudit checkpoint` prints a signed checkpoint of
 * the store (the latest, or the one at a given tree size) exactly as
 * the daemon stored it: the C2SP tlog-checkpoint body signed as a
 * golang.org/x/mod/sumdb/note note, ready for note.Open or a witness.
 * It reads the store read-only and never checks the signature (verify
 * and verify-receipt do).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

static const char cmd_checkpoint_help[] =
"Prints a signed checkpoint of the store exactly as stored: origin, tree\n"
"size and base64 root hash, a blank line, and the signature lines\n"
"(golang.org/x/mod/sumdb/note format). Read-only; the daemon may run.\n"
"\n"
"  --store DIR    the store directory\n"
"  --size N       the checkpoint at tree size N (default: the latest)\n"
"  --list         print the tree sizes that have a checkpoint instead,\n"
"                 one a line, ascending\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (no such checkpoint, ...), 2\n"
"usage error.\n";

/* Checkpoints callback of --list: prints the size. */
static int
cmd_checkpoint_list_one(uint64_t size, const char *note, size_t len,
    void *arg)
{
	(void)note;
	(void)len;
	(void)arg;
	return printf("%" PRIu64 "\n", size) < 0 ? EIO : 0;
}

/* algaudit checkpoint: prints the latest or the given checkpoint. */
int
cmd_checkpoint(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'n' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_view *v = NULL;
	struct store *st = NULL;
	const char *dir = NULL, *note;
	uint64_t size = 0, got;
	size_t len;
	int c, rc, ex, has_size = 0, list = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'n':
			size = cli_number(CMD_CHECKPOINT_USAGE, "--size",
			    optarg, 0, INT64_MAX);
			has_size = 1;
			break;
		case 'l':
			list = 1;
			break;
		case 'h':
			cli_help(CMD_CHECKPOINT_USAGE, cmd_checkpoint_help);
		default:
			cli_bad_option(CMD_CHECKPOINT_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_CHECKPOINT_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (dir == NULL)
		cli_usage(CMD_CHECKPOINT_USAGE, "--store: required");
	if (list && has_size)
		cli_usage(CMD_CHECKPOINT_USAGE, "--list and --size exclude "
		    "each other");
	if (cli_store_open("checkpoint", dir, &st, &v) == -1)
		return TOOLS_EXIT_FAIL;
	if (list) {
		ex = TOOLS_EXIT_OK;
		rc = store_view_checkpoints_each(v, cmd_checkpoint_list_one,
		    NULL);
		if (rc != 0 || fflush(stdout) != 0) {
			cli_warnx("checkpoint", "%s: %s", dir, rc != 0 ?
			    store_strerror(rc) : "write error");
			ex = TOOLS_EXIT_FAIL;
		}
		store_view_end(v);
		store_close(st);
		return ex;
	}
	ex = vlog_checkpoint_at(v, "checkpoint", size, has_size, &note, &len,
	    &got);
	if (ex == TOOLS_EXIT_OK) {
		if (fwrite(note, 1, len, stdout) != len ||
		    fflush(stdout) != 0) {
			cli_warnx("checkpoint", "write error");
			ex = TOOLS_EXIT_FAIL;
		}
	}
	store_view_end(v);
	store_close(st);
	return ex;
}
