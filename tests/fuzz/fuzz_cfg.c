/* SPDX-License-Identifier: ISC */
/*
 * fuzz_cfg.c: libFuzzer harness for the daemon's option parser
 * (daemon/cfg.c).
 *
 * The input is lines. A line "NAME = VALUE" (spaces around both trimmed,
 * as an INI reader gives them) goes to cfg_set(), as a configuration
 * file's would; a line starting with '-' holds arguments of a command
 * line, separated by white space (so that, as in a file, no value
 * starts or ends with it: --dump-config could not write such a value),
 * parsed with cfg_parse_args() over the result afterwards, as the
 * command line overrides the file. Empty
 * lines, comments (# or ;) and lines without '=' are skipped; a line
 * with a NUL byte cannot reach either parser and is skipped too.
 *
 * What it checks besides the sanitizers: every refusal comes with a
 * message, and --dump-config round-trips: the effective configuration
 * written by cfg_dump(), read back line by line through cfg_set() into
 * fresh defaults, is accepted and dumps to the same text.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CFG_ARGS_MAX	64
#define FUZZ_CFG_SPACE		" \t\n\v\f\r"	/* isspace() in "C" */

/* Stops the run on a broken promise: libFuzzer saves the input. */
static void
fuzz_cfg_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_cfg: %s: %s\n", what, detail);
	abort();
}

/* With FUZZ_VERBOSE set, says what became of an option or the args. */
static void
fuzz_cfg_say(const char *what, const char *result)
{
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_cfg: %s: %s\n", what, result);
}

/* Checks that a refusal left a message in err. */
static void
fuzz_cfg_refused(const char *err, size_t errlen, const char *what)
{
	if (err[0] == '\0' || memchr(err, '\0', errlen) == NULL)
		fuzz_cfg_fail("refused without a message", what);
}

/* Returns s with the white space at both ends cut off (in place). */
static char *
fuzz_cfg_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Applies one "NAME = VALUE" line (NUL-terminated, changed in place)
 * with cfg_set(). Returns 0 when it was set or skipped, -1 when
 * cfg_set() refused it.
 */
static int
fuzz_cfg_line(struct cfg *cf, char *line)
{
	char err[1024], *eq, *name, *value;

	line = fuzz_cfg_trim(line);
	if (*line == '\0' || *line == '#' || *line == ';' ||
	    (eq = strchr(line, '=')) == NULL)
		return 0;
	*eq = '\0';
	name = fuzz_cfg_trim(line);
	value = fuzz_cfg_trim(eq + 1);
	err[0] = '\0';
	if (cfg_set(cf, name, value, err, sizeof(err)) == 0) {
		fuzz_cfg_say(name, "set");
		return 0;
	}
	fuzz_cfg_refused(err, sizeof(err), name);
	fuzz_cfg_say(name, err);
	return -1;
}

/* Returns cf as cfg_dump() writes it; the caller frees it. */
static char *
fuzz_cfg_dump(const struct cfg *cf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fuzz_cfg_fail("open_memstream", "out of memory");
	cfg_dump(cf, fp);
	if (fclose(fp) != 0 || text == NULL)
		fuzz_cfg_fail("cfg_dump", "cannot write");
	return text;
}

/* Checks that cf's dump reads back to the same configuration. */
static void
fuzz_cfg_roundtrip(const struct cfg *cf)
{
	struct cfg *again;
	char err[1024], *text, *copy, *line, *next;

	if ((again = malloc(sizeof(*again))) == NULL)
		fuzz_cfg_fail("out of memory", "cfg");
	if (cfg_init(again, err, sizeof(err)) == -1)
		fuzz_cfg_fail("cfg_init", err);
	text = fuzz_cfg_dump(cf);
	if ((copy = strdup(text)) == NULL)
		fuzz_cfg_fail("out of memory", "dump");
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (fuzz_cfg_line(again, line) == -1)
			fuzz_cfg_fail("--dump-config wrote a line that "
			    "cfg_set() refuses", text);
	}
	free(copy);
	copy = fuzz_cfg_dump(again);
	if (strcmp(text, copy) != 0) {
		fprintf(stderr, "fuzz_cfg: first dump:\n%s\nsecond dump:\n%s\n",
		    text, copy);
		fuzz_cfg_fail("--dump-config does not round-trip", "above");
	}
	free(copy);
	free(text);
	free(again);
}

/* libFuzzer entry point: the lines described in the file comment. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *cf;
	char *argv[FUZZ_CFG_ARGS_MAX + 1];
	char err[1024], *text, *line, *next, *arg, *save;
	int argc = 1;

	if ((cf = malloc(sizeof(*cf))) == NULL)
		fuzz_cfg_fail("out of memory", "cfg");
	if ((text = malloc(size + 1)) == NULL)
		fuzz_cfg_fail("out of memory", "input");
	memcpy(text, data, size);
	text[size] = '\0';
	if (cfg_init(cf, err, sizeof(err)) == -1)
		fuzz_cfg_fail("cfg_init", err);
	argv[0] = (char *)(uintptr_t)"algauditd";
	for (line = text; line != NULL && line < text + size; line = next) {
		if ((next = memchr(line, '\n', (size_t)(text + size - line))) !=
		    NULL)
			*next++ = '\0';
		if (strlen(line) != (size_t)((next != NULL ? next - 1 :
		    text + size) - line))
			continue;	/* a NUL byte inside */
		if (line[0] == '-') {
			arg = strtok_r(line, FUZZ_CFG_SPACE, &save);
			for (; arg != NULL && argc < FUZZ_CFG_ARGS_MAX;
			    arg = strtok_r(NULL, FUZZ_CFG_SPACE, &save))
				argv[argc++] = arg;
		} else
			(void)fuzz_cfg_line(cf, line);
	}
	argv[argc] = NULL;
	err[0] = '\0';
	if (cfg_parse_args(cf, argc, argv, err, sizeof(err)) == -1) {
		fuzz_cfg_refused(err, sizeof(err), "command line");
		fuzz_cfg_say("command line", err);
	} else {
		fuzz_cfg_say("command line", "parsed");
		fuzz_cfg_roundtrip(cf);
	}
	free(text);
	free(cf);
	return 0;
}
