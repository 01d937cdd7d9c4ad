/* SPDX-License-Identifier: ISC */
/*
 * cmd_reindex.c: `algaudit reindex`, which (re)builds every index of a
 * store from its entries with store_reindex(): for a store written
 * before the indexes existed, to declare which label keys are indexed
 * or change the block size, and as the repair path. It needs the
 * writer's handle, so the daemon must be stopped; an interrupted run
 * leaves the indexes marked unfinished (queries refuse them) and is
 * simply run again.
 *
 * Progress goes to stderr: one line rewritten in place on a terminal
 * (entries done of all, rate, time left), else a line every 10%. The
 * hidden --digest prints the digest of the index contents and the keys
 * of each index (store_index_digest()) and changes nothing: the tests
 * compare a live-indexed store with its rebuilt copy by it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "tools.h"

#define CMD_REINDEX_NS	1000000000.0

/* State of the progress callback. */
struct cmd_reindex_progress {
	int		 rp_tty;	/* rewrite one line */
	int		 rp_quiet;
	int64_t		 rp_start_ns;
	unsigned	 rp_next_pct;	/* not a tty: next line at */
	int		 rp_dirty;	/* a line without '\n' is shown */
};

static const char cmd_reindex_help[] =
"Rebuilds every index of a store from its entries: for a store written\n"
"before indexes existed (queries refuse it until then), to declare the\n"
"label keys to index or change the block size, or to repair. The daemon\n"
"must be stopped (it holds the store's writer lock). Interrupted, the\n"
"indexes are marked unfinished and queries refuse them: run it again.\n"
"\n"
"  --store DIR        the store directory\n"
"  --index-label KEY  index the label KEY, so `--label KEY=V` needs no\n"
"                     other filter (repeatable, up to 32; replaces the\n"
"                     store's declared keys; default: keep them)\n"
"  --no-index-labels  index no label key\n"
"  --block-bits N     2^N entries per index block, 8 to 63 (63: one\n"
"                     block, the plain layout); default: keep the\n"
"                     store's (16 for a new store)\n"
"  --quiet            no progress on stderr\n"
"\n"
"Progress on stderr: one line rewritten on a terminal (entries done of\n"
"all, rate, time left), else a line every 10%. At the end: the entries\n"
"indexed, the declared label keys, the block bits and the time taken.\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (also when the daemon runs on the\n"
"store: stop it first), 2 usage error.\n";

/* Formats seconds as H:MM:SS or M:SS. */
static void
cmd_reindex_duration(char *buf, size_t len, double secs)
{
	unsigned long s;

	if (!(secs >= 0) || secs > 360000000.0) {
		snprintf(buf, len, "?");
		return;
	}
	s = (unsigned long)(secs + 0.5);
	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

/* store_reindex() progress: entries done of total, after each commit. */
static void
cmd_reindex_progress(uint64_t done, uint64_t total, void *arg)
{
	struct cmd_reindex_progress *p = arg;
	double secs, rate, pct;
	char eta[32];
	unsigned reached;

	if (p->rp_quiet || total == 0)
		return;
	secs = (double)(output_now_ns() - p->rp_start_ns) / CMD_REINDEX_NS;
	rate = secs > 0 ? (double)done / secs : 0;
	pct = 100.0 * (double)done / (double)total;
	cmd_reindex_duration(eta, sizeof(eta), rate > 0 ?
	    (double)(total - done) / rate : -1);
	if (p->rp_tty) {
		fprintf(stderr, "\ralgaudit reindex: %" PRIu64 " / %" PRIu64
		    " entries (%.1f%%), %.0f entries/s, ETA %s   ", done, total,
		    pct, rate, eta);
		p->rp_dirty = 1;
		fflush(stderr);
		return;
	}
	reached = (unsigned)(done * 10 / total) * 10;
	if (reached < p->rp_next_pct)
		return;
	fprintf(stderr, "algaudit reindex: %u%%: %" PRIu64 " / %" PRIu64
	    " entries, %.0f entries/s, ETA %s\n", reached, done, total, rate,
	    eta);
	p->rp_next_pct = reached + 10;
}

/* Prints the digest of the indexes and their key counts. */
static int
cmd_reindex_digest(const char *dir)
{
	uint8_t digest[32];
	uint64_t counts[INDEX_NKINDS];
	char hex[2 * sizeof(digest) + 1];
	struct store *st = NULL;
	size_t i;
	int rc;

	if (cli_store_open("reindex", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	if ((rc = store_index_digest(st, digest, counts)) != 0) {
		cli_warnx("reindex", "%s: index digest: %s%s", dir,
		    store_strerror(rc), rc == STORE_ENOTFOUND ?
		    " (the store has no indexes)" : "");
		store_close(st);
		return TOOLS_EXIT_FAIL;
	}
	store_close(st);
	receipt_hex(digest, sizeof(digest), hex);
	printf("digest %s\n", hex);
	for (i = 0; i < INDEX_NKINDS; i++)
		printf("%s %" PRIu64 "\n", index_kind_name((enum index_kind)i),
		    counts[i]);
	return fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
}

/*
 * Rebuilds the indexes of the store in dir: bits 0 keeps the store's,
 * labels NULL keeps its declared keys. Returns an exit status.
 */
static int
cmd_reindex_run(const char *dir, unsigned bits, const char *const *labels,
    size_t nlabels, int quiet)
{
	struct cmd_reindex_progress p;
	struct index_info ii;
	struct store *st = NULL;
	uint64_t bad = 0, n;
	double secs;
	size_t i;
	int rc;

	memset(&p, 0, sizeof(p));
	p.rp_quiet = quiet;
	p.rp_tty = isatty(STDERR_FILENO);
	p.rp_next_pct = 10;
	if ((rc = store_open(&st, dir, 0, NULL)) != 0) {
		if (rc == STORE_ELOCKED)
			cli_warnx("reindex", "%s: %s: the daemon (or another "
			    "writer) has the store open; stop algauditd, "
			    "then run reindex again", dir, store_strerror(rc));
		else
			cli_warnx("reindex", "%s: %s", dir,
			    store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	n = store_next_index(st);
	p.rp_start_ns = output_now_ns();
	rc = store_reindex(st, bits, labels, nlabels, 0, cmd_reindex_progress,
	    &p, &bad);
	secs = (double)(output_now_ns() - p.rp_start_ns) / CMD_REINDEX_NS;
	if (p.rp_dirty)
		fputc('\n', stderr);
	if (rc == STORE_ECORRUPT && bad < n) {
		cli_warnx("reindex", "%s: entry %" PRIu64 " does not decode as "
		    "an Entry; the indexes stay unfinished", dir, bad);
		goto fail;
	}
	if (rc != 0) {
		cli_warnx("reindex", "%s: %s%s", dir, store_strerror(rc),
		    rc == EINVAL ? " (a label key or --block-bits)" : "");
		goto fail;
	}
	if ((rc = store_index_info(st, &ii)) != 0) {
		cli_warnx("reindex", "%s: %s", dir, store_strerror(rc));
		goto fail;
	}
	store_close(st);
	printf("indexed %" PRIu64 " entries of %s in %.2f s", n, dir, secs);
	if (secs > 0 && n > 0)
		printf(" (%.0f entries/s)", (double)n / secs);
	printf("\nblock bits %u (%s)\nlabels ", ii.ii_bits,
	    ii.ii_bits == INDEX_BITS_PLAIN ? "one block: the plain layout" :
	    "entries per block: 2^bits");
	for (i = 0; i < ii.ii_nlabels; i++)
		printf("%s%s", i > 0 ? ", " : "", ii.ii_labels[i]);
	printf("%s\n", ii.ii_nlabels == 0 ? "(none declared)" : "");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cli_warnx("reindex", "write error");
		return TOOLS_EXIT_FAIL;
	}
	return TOOLS_EXIT_OK;
fail:
	store_close(st);
	return TOOLS_EXIT_FAIL;
}

/* algaudit reindex: parses the options, rebuilds the indexes. */
int
cmd_reindex(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "index-label", required_argument, NULL, 'l' },
		{ "no-index-labels", no_argument, NULL, 'L' },
		{ "block-bits", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "digest", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *labels[INDEX_LABELS_MAX];
	const char *dir = NULL;
	size_t nlabels = 0, i, len;
	unsigned bits = 0;
	int c, quiet = 0, digest = 0, none = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'l':
			len = strlen(optarg);
			if (len == 0 || len > RECORD_MAX_NAME)
				cli_usage(CMD_REINDEX_USAGE, "--index-label: "
				    "'%s': a label key is 1 to %d bytes",
				    optarg, RECORD_MAX_NAME);
			if (strchr(optarg, '=') != NULL)
				cli_usage(CMD_REINDEX_USAGE, "--index-label: "
				    "'%s': give the key only, not KEY=VALUE",
				    optarg);
			for (i = 0; i < nlabels; i++)
				if (strcmp(labels[i], optarg) == 0)
					cli_usage(CMD_REINDEX_USAGE,
					    "--index-label: '%s' given twice",
					    optarg);
			if (nlabels == INDEX_LABELS_MAX)
				cli_usage(CMD_REINDEX_USAGE, "--index-label: "
				    "'%s': more than %d keys", optarg,
				    INDEX_LABELS_MAX);
			labels[nlabels++] = optarg;
			break;
		case 'L':
			none = 1;
			break;
		case 'b':
			bits = (unsigned)cli_number(CMD_REINDEX_USAGE,
			    "--block-bits", optarg, INDEX_BITS_MIN,
			    INDEX_BITS_PLAIN);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'D':
			digest = 1;
			break;
		case 'h':
			cli_help(CMD_REINDEX_USAGE, cmd_reindex_help);
		default:
			cli_bad_option(CMD_REINDEX_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_REINDEX_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (dir == NULL)
		cli_usage(CMD_REINDEX_USAGE, "--store: required");
	if (none && nlabels > 0)
		cli_usage(CMD_REINDEX_USAGE, "--no-index-labels and "
		    "--index-label: use one or the other");
	if (digest && (none || nlabels > 0 || bits != 0))
		cli_usage(CMD_REINDEX_USAGE, "--digest reads the indexes and "
		    "changes nothing; it takes no other option");
	if (digest)
		return cmd_reindex_digest(dir);
	return cmd_reindex_run(dir, bits, nlabels > 0 || none ? labels : NULL,
	    nlabels, quiet);
}
