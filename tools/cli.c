/* SPDX-License-Identifier: ISC */
/*
 * cli.c: what every subcommand of algaudit needs from the command line:
 * error messages in one form ("algaudit query: --limit: invalid number
 * '12x'"), usage errors that exit with TOOLS_EXIT_USAGE, --help text,
 * and strict number parsing. A subcommand is named by its synopsis
 * (CMD_*_USAGE in tools.h), whose first word is the subcommand's name,
 * so the synopsis is written once. Only usage errors and --help end the
 * process here; runtime errors are returned to the handler.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

/* Prints "algaudit NAME: " where NAME is the first word of syn. */
static void
cli_prefix(const char *syn)
{
	size_t n;

	n = strcspn(syn, " ");
	fprintf(stderr, "algaudit %.*s: ", (int)n, syn);
}

/* Prints "algaudit CMD: message" on stderr; cmd may be a synopsis. */
void
cli_warnx(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	cli_prefix(cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Reports a usage error of the subcommand syn and exits 2. */
void
cli_usage(const char *syn, const char *fmt, ...)
{
	va_list ap;

	cli_prefix(syn);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: algaudit %s\n", syn);
	exit(TOOLS_EXIT_USAGE);
}

/*
 * Reports what getopt_long() (with opterr 0 and a ':' optstring)
 * returned as c for an option it did not accept, and exits 2.
 */
void
cli_bad_option(const char *syn, int c, char **argv)
{
	const char *arg;

	arg = optind > 0 ? argv[optind - 1] : "";
	if (c == ':')
		cli_usage(syn, "option '%s' needs a value", arg);
	if (optopt > 0 && optopt < 256 && strncmp(arg, "--", 2) != 0)
		cli_usage(syn, "unknown option '-%c'", optopt);
	cli_usage(syn, "unknown option '%s'", arg);
}

/*
 * Parses arg, the value of option opt, as a decimal number in
 * [min, max]; a usage error (exit 2) otherwise.
 */
uint64_t
cli_number(const char *syn, const char *opt, const char *arg, uint64_t min,
    uint64_t max)
{
	unsigned long long v;
	char *end;

	if (arg[0] < '0' || arg[0] > '9')
		cli_usage(syn, "%s: invalid number '%s'", opt, arg);
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end != '\0')
		cli_usage(syn, "%s: invalid number '%s'", opt, arg);
	if (errno == ERANGE || v < min || v > max)
		cli_usage(syn, "%s: %s is out of range (%llu to %llu)", opt,
		    arg, (unsigned long long)min, (unsigned long long)max);
	return v;
}

/* Prints the synopsis and text on stdout and exits 0. */
void
cli_help(const char *syn, const char *text)
{
	printf("usage: algaudit %s\n\n%s", syn, text);
	exit(fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL);
}

/*
 * Opens the store in dir read-only for subcommand cmd and, when vp is
 * not NULL, one read view of it. On failure says why, naming the store,
 * and returns -1 with nothing left open; else 0. The caller ends the
 * view and closes the store.
 */
int
cli_store_open(const char *cmd, const char *dir, struct store **sp,
    struct store_view **vp)
{
	int rc;

	if ((rc = store_open(sp, dir, STORE_RDONLY, NULL)) != 0) {
		cli_warnx(cmd, "%s: %s", dir, store_strerror(rc));
		return -1;
	}
	if (vp != NULL && (rc = store_view_begin(*sp, vp)) != 0) {
		cli_warnx(cmd, "%s: %s", dir, store_strerror(rc));
		store_close(*sp);
		*sp = NULL;
		return -1;
	}
	return 0;
}
