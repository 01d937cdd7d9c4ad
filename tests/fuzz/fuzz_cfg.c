/* SPDX-License-Identifier: ISC */
/*
 * fuzz_cfg.c: libFuzzer harness for the daemon's configuration
 * (daemon/cfg.c): the INI file reader (cfg_file_load(), libinih under
 * it), the command line (cfg_parse_args()) and their precedence
 * (cfg_load()), cfg_set(), --dump-config and the reload's comparison
 * (cfg_reload()).
 *
 * The input is a configuration file. When its first line starts with
 * '-', that line is a command line instead (arguments separated by
 * white space, so that, as in a file, no value starts or ends with it)
 * and the file is the rest. Each run:
 *
 *	- cfg_load() with that command line and "-f FILE", FILE holding
 *	  the file part (an unlinked temporary file, named through
 *	  /proc/self/fd so that nothing is left behind);
 *	- every "key = value" line of the file, trimmed as an INI reader
 *	  trims, through cfg_set() into fresh defaults;
 *	- when cfg_load() succeeded, the checks below.
 *
 * What it checks besides the sanitizers: every refusal has a message,
 * and one in the file starts with "FILE:"; --dump-config round-trips
 * (the dump, read with cfg_file_load() over fresh defaults, is accepted
 * and dumps to the same text, as cfg_dump() promises); cfg_reload()
 * from the defaults reports every change once, and a second reload
 * reports exactly those that need a restart.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CFG_ARGS_MAX	64
#define FUZZ_CFG_SPACE		" \t\n\v\f\r"	/* isspace() in "C" */
#define FUZZ_CFG_PATHLEN	64
#define FUZZ_CFG_ERRLEN		2048

/* The two files of a run: the input's file part, and a dump. */
enum {
	FUZZ_CFG_INPUT = 0,
	FUZZ_CFG_DUMP,
	FUZZ_CFG_NFILES
};

/* Their descriptors, made once and kept: a descriptor is no leak. */
static int	 fuzz_cfg_fds[FUZZ_CFG_NFILES] = { -1, -1 };

/* What cfg_reload() reported through fuzz_cfg_change(). */
struct fuzz_cfg_changes {
	int	 fc_calls;
	int	 fc_live;
};

/* Stops the run on a broken promise: libFuzzer saves the input. */
static void
fuzz_cfg_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_cfg: %s: %s\n", what, detail);
	abort();
}

/* With FUZZ_VERBOSE set, says what became of a part of the input. */
static void
fuzz_cfg_say(const char *what, const char *result)
{
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_cfg: %s: %s\n", what, result);
}

/* Checks that a refusal left a message in err. */
static void
fuzz_cfg_refused(const char *err, const char *what)
{
	if (err[0] == '\0' || memchr(err, '\0', FUZZ_CFG_ERRLEN) == NULL)
		fuzz_cfg_fail("refused without a message", what);
	fuzz_cfg_say(what, err);
}

/*
 * Makes file which hold the len bytes at data; its name goes to path
 * (FUZZ_CFG_PATHLEN bytes).
 */
static void
fuzz_cfg_file(int which, const void *data, size_t len, char *path)
{
	char tmpl[] = "/tmp/fuzz_cfg.XXXXXX";
	int fd;

	if ((fd = fuzz_cfg_fds[which]) == -1) {
		if ((fd = mkstemp(tmpl)) == -1 || unlink(tmpl) == -1)
			fuzz_cfg_fail("mkstemp", tmpl);
		fuzz_cfg_fds[which] = fd;
	}
	if (ftruncate(fd, 0) == -1 ||
	    (len > 0 && pwrite(fd, data, len, 0) != (ssize_t)len))
		fuzz_cfg_fail("cannot write the file", tmpl);
	snprintf(path, FUZZ_CFG_PATHLEN, "/proc/self/fd/%d", fd);
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
 * Applies each "key = value" line of the len bytes at text (changed in
 * place) with cfg_set(), as the option table applies a pair outside
 * the file reader. Lines without '=', sections, comments and lines
 * holding a NUL byte are skipped.
 */
static void
fuzz_cfg_set_lines(char *text, size_t len)
{
	struct cfg *cf;
	char err[FUZZ_CFG_ERRLEN], *line, *next, *eq, *name;

	if ((cf = malloc(sizeof(*cf))) == NULL)
		fuzz_cfg_fail("out of memory", "cfg");
	if (cfg_init(cf, err, sizeof(err)) == -1)
		fuzz_cfg_fail("cfg_init", err);
	for (line = text; line < text + len; line = next) {
		if ((next = memchr(line, '\n', (size_t)(text + len - line))) ==
		    NULL)
			next = text + len;
		*next++ = '\0';
		if (strlen(line) != (size_t)(next - 1 - line))
			continue;	/* a NUL byte inside */
		line = fuzz_cfg_trim(line);
		if (*line == '#' || *line == ';' ||
		    (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		name = fuzz_cfg_trim(line);
		err[0] = '\0';
		if (cfg_set(cf, name, fuzz_cfg_trim(eq + 1), err,
		    sizeof(err)) == -1)
			fuzz_cfg_refused(err, "cfg_set");
	}
	free(cf);
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

/* Checks that cf's dump, read as a file, gives the same dump. */
static void
fuzz_cfg_roundtrip(const struct cfg *cf)
{
	struct cfg *again;
	char err[FUZZ_CFG_ERRLEN], path[FUZZ_CFG_PATHLEN], *text, *text2;

	if ((again = malloc(sizeof(*again))) == NULL)
		fuzz_cfg_fail("out of memory", "cfg");
	if (cfg_init(again, err, sizeof(err)) == -1)
		fuzz_cfg_fail("cfg_init", err);
	text = fuzz_cfg_dump(cf);
	fuzz_cfg_file(FUZZ_CFG_DUMP, text, strlen(text), path);
	err[0] = '\0';
	if (cfg_file_load(again, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_cfg: the dump:\n%s\n", text);
		fuzz_cfg_fail("--dump-config wrote a file that "
		    "cfg_file_load() refuses", err);
	}
	text2 = fuzz_cfg_dump(again);
	if (strcmp(text, text2) != 0) {
		fprintf(stderr, "fuzz_cfg: first dump:\n%s\nread back and "
		    "dumped again:\n%s\n", text, text2);
		fuzz_cfg_fail("--dump-config does not round-trip", "above");
	}
	free(text2);
	free(text);
	free(again);
}

/* cfg_reload()'s callback: counts, and reads every string it gets. */
static void
fuzz_cfg_change(const char *name, const char *was, const char *now,
    int live, void *arg)
{
	struct fuzz_cfg_changes *fc = arg;

	if (name[0] == '\0' || strlen(was) + strlen(now) > 2 * 65536)
		fuzz_cfg_fail("cfg_reload", "bad change report");
	fc->fc_calls++;
	if (live)
		fc->fc_live++;
}

/*
 * Reloads cf over the defaults twice: the second time, only the
 * changes that need a restart may be left.
 */
static void
fuzz_cfg_reload(const struct cfg *cf)
{
	struct fuzz_cfg_changes first, second;
	struct cfg *cur;
	char err[FUZZ_CFG_ERRLEN];
	int n1, n2;

	if ((cur = malloc(sizeof(*cur))) == NULL)
		fuzz_cfg_fail("out of memory", "cfg");
	if (cfg_init(cur, err, sizeof(err)) == -1)
		fuzz_cfg_fail("cfg_init", err);
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	n1 = cfg_reload(cur, cf, fuzz_cfg_change, &first);
	n2 = cfg_reload(cur, cf, fuzz_cfg_change, &second);
	if (n1 != first.fc_calls || n2 != second.fc_calls)
		fuzz_cfg_fail("cfg_reload", "count and reports differ");
	if (second.fc_live != 0 || n2 != n1 - first.fc_live)
		fuzz_cfg_fail("cfg_reload", "a live change did not stick, "
		    "or a restart change did");
	free(cur);
}

/*
 * Splits the command line (NUL-terminated, changed in place) into argv
 * after argv[0]; returns argc.
 */
static int
fuzz_cfg_args(char *line, char **argv)
{
	char *arg, *save;
	int argc = 1;

	argv[0] = (char *)(uintptr_t)"algauditd";
	arg = strtok_r(line, FUZZ_CFG_SPACE, &save);
	for (; arg != NULL && argc < FUZZ_CFG_ARGS_MAX - 2;
	    arg = strtok_r(NULL, FUZZ_CFG_SPACE, &save))
		argv[argc++] = arg;
	return argc;
}

/* libFuzzer entry point: see the file comment for the input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *cf;
	char *argv[FUZZ_CFG_ARGS_MAX + 1], err[FUZZ_CFG_ERRLEN];
	char path[FUZZ_CFG_PATHLEN], *text, *file, *nl;
	size_t flen;
	int argc = 1, rc;

	if ((text = malloc(size + 1)) == NULL)
		fuzz_cfg_fail("out of memory", "input");
	if ((cf = malloc(sizeof(*cf))) == NULL)
		fuzz_cfg_fail("out of memory", "cfg");
	memcpy(text, data, size);
	text[size] = '\0';
	file = text;
	argv[0] = (char *)(uintptr_t)"algauditd";
	if (size > 0 && text[0] == '-') {
		if ((nl = memchr(text, '\n', size)) == NULL)
			nl = text + size;
		*nl = '\0';
		file = nl < text + size ? nl + 1 : nl;
		if (strlen(text) == (size_t)(nl - text))
			argc = fuzz_cfg_args(text, argv);
	}
	flen = (size_t)(text + size - file);
	fuzz_cfg_file(FUZZ_CFG_INPUT, file, flen, path);
	argv[argc++] = (char *)(uintptr_t)"-f";
	argv[argc++] = path;
	argv[argc] = NULL;
	err[0] = '\0';
	rc = cfg_load(cf, argc, argv, err, sizeof(err));
	if (rc == 0) {
		fuzz_cfg_say("cfg_load", "OK");
		fuzz_cfg_roundtrip(cf);
		fuzz_cfg_reload(cf);
	} else if (rc == CFG_EFILE) {
		fuzz_cfg_refused(err, "cfg_load: the file");
		if (strncmp(err, path, strlen(path)) != 0 ||
		    err[strlen(path)] != ':')
			fuzz_cfg_fail("a file error does not start with "
			    "FILE:", err);
	} else if (rc == CFG_ECMDLINE)
		fuzz_cfg_refused(err, "cfg_load: the command line");
	else
		fuzz_cfg_fail("cfg_load", "unknown return value");
	fuzz_cfg_set_lines(file, flen);
	free(cf);
	free(text);
	return 0;
}
