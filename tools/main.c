/* SPDX-License-Identifier: ISC */
/*
 * main.c: the algaudit command: finds the subcommand in the table and
 * hands it the rest of the command line. Every handler has the same
 * signature and returns the exit status; the statuses are the same for
 * every subcommand and `algaudit --help` documents them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* One subcommand. */
struct main_cmd {
	const char	*mc_name;
	int		(*mc_fn)(int, char **);
	const char	*mc_usage;
};

static const struct main_cmd main_cmds[] = {
	{ "log", cmd_log, CMD_LOG_USAGE },
	{ "query", cmd_query, CMD_QUERY_USAGE },
	{ "subject", cmd_subject, CMD_SUBJECT_USAGE },
	{ "stats", cmd_stats, CMD_STATS_USAGE },
	{ "reindex", cmd_reindex, CMD_REINDEX_USAGE },
	{ "backup", cmd_backup, CMD_BACKUP_USAGE },
	{ "report", cmd_report, CMD_REPORT_USAGE },
	{ "keygen", cmd_key_gen, CMD_KEYGEN_USAGE },
	{ "key", cmd_key, CMD_KEY_USAGE },
	{ "checkpoint", cmd_checkpoint, CMD_CHECKPOINT_USAGE },
	{ "prove", cmd_prove, CMD_PROVE_USAGE },
	{ "verify", cmd_verify, CMD_VERIFY_USAGE },
	{ "receipt", cmd_receipt, CMD_RECEIPT_USAGE },
	{ "verify-receipt", cmd_receipt_verify, CMD_VERIFY_RECEIPT_USAGE },
	{ "export", cmd_export, CMD_EXPORT_USAGE },
	{ "verify-bundle", cmd_verify_bundle, CMD_VERIFY_BUNDLE_USAGE }
};
#define MAIN_NCMDS	(sizeof(main_cmds) / sizeof(main_cmds[0]))

/* Prints the list of subcommands and the exit statuses to fp. */
static void
main_print_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: algaudit COMMAND [OPTIONS]\n"
	    "       algaudit --help | --version\n\ncommands:\n");
	for (i = 0; i < MAIN_NCMDS; i++)
		fprintf(fp, "  algaudit %s\n", main_cmds[i].mc_usage);
	fprintf(fp, "\n`algaudit COMMAND --help` describes a command.\n\n"
	    "exit status:\n"
	    "  0  ok\n"
	    "  1  runtime failure (store, daemon, I/O, records not "
	    "durable)\n"
	    "  2  usage error or bad input\n"
	    "  3  verification failed (verify commands: the log or a "
	    "bundle does\n"
	    "     not check out)\n");
}

/* Prints the usage on stderr and exits 2. */
static void
main_usage(void) __attribute__((noreturn));

static void
main_usage(void)
{
	main_print_usage(stderr);
	exit(TOOLS_EXIT_USAGE);
}

/* Dispatches argv[1] to its subcommand. */
int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		main_usage();
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		main_print_usage(stdout);
		return fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("algaudit %s (libalgaudit %s, store format %d)\n",
		    ALGAUDIT_VERSION_STRING, algaudit_version(),
		    STORE_FORMAT_VERSION);
		return fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
	}
	for (i = 0; i < MAIN_NCMDS; i++)
		if (strcmp(argv[1], main_cmds[i].mc_name) == 0)
			return main_cmds[i].mc_fn(argc - 1, argv + 1);
	fprintf(stderr, "algaudit: unknown command '%s'\n", argv[1]);
	main_usage();
}
