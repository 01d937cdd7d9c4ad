/* SPDX-License-Identifier: ISC */
/*
 * cmd_log.c: `algaudit log`, a producer for shell scripts: decision
 * records as JSON Lines on stdin, sent to the daemon through the client
 * library (so producer_seq, batching, acks and reconnects are the
 * library's), and an exit status that says whether they are durable.
 *
 * Input is streamed, not read whole: each line is parsed and validated
 * completely (json_record.c) before the library sees it, so a bad line
 * is never sent, not even partly. At the first bad line the command
 * stops reading, waits until the records of the lines before it are
 * durable, says how many that is, and exits 2 (or 1 if they could not
 * all be confirmed). Nothing of the bad line or of any later line is
 * sent; a script can fix the line and resend from it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "tools.h"

#define CMD_LOG_LINE_MAX	(8u * 1024 * 1024)	/* bytes per line */
#define CMD_LOG_TIMEOUT		30			/* seconds */
#define CMD_LOG_TIMEOUT_MAX	(UINT32_MAX / 1000)

/* What the library's log callback leaves for our messages. */
struct cmd_log_diag {
	pthread_mutex_t	 cd_mtx;
	char		 cd_last[512];	/* last error or warning */
	int		 cd_verbose;
};

static const char cmd_log_help[] =
"Reads decision records as JSON Lines on stdin (one object per line;\n"
"empty lines are skipped) and sends them to the daemon through the\n"
"client library. Keys as in proto/algaudit.proto: event_time_ns or\n"
"event_time (RFC 3339; default: now), algorithm {id, version, type,\n"
"filing_number, model_digest (hex)}, subject, decision, score, inputs\n"
"[{name, value, data_class}], input_digest (hex), explanation\n"
"{attributions [{feature, weight}], reason_codes, text}, automation,\n"
"reviewer, data_class (ordinary, important or core), jurisdiction,\n"
"purpose, trace_id, decision_id, labels {key: value}. Unknown keys and\n"
"wrong types are errors.\n"
"\n"
"  --connect ENDPOINT   the daemon: unix:PATH, tcp:HOST:PORT or\n"
"                       tls:HOST:PORT (TLS 1.3)\n"
"  --producer NAME      producer id: 1-128 printable ASCII, no space\n"
"  --timeout SEC        how long to wait for the daemon to confirm\n"
"                       the records durable (default 30)\n"
"  --spool DIR          keep records the daemon did not take in DIR;\n"
"                       the next run with the same DIR and NAME sends\n"
"                       them first\n"
"  --tls-ca FILE        with tls:, the CA certificates (PEM) the\n"
"                       daemon's certificate must chain to (default:\n"
"                       the system's trust store)\n"
"  --tls-cert FILE      with tls:, the client certificate (PEM) for a\n"
"                       daemon that requires one; needs --tls-key\n"
"  --tls-key FILE       with tls:, the certificate's key (PEM)\n"
"  --tls-server-name NAME  with tls:, the DNS name or IP address the\n"
"                       daemon's certificate must carry (default:\n"
"                       the endpoint's HOST)\n"
"  -v, --verbose        report the library's warnings, and the count\n"
"                       of durable records at the end; -vv adds the\n"
"                       library's informational messages\n"
"\n"
"The first bad line stops the input: it is reported with its line\n"
"number, nothing of it or of later lines is sent, and the records of\n"
"the lines before it are sent and waited for.\n"
"\n"
"Exit status: 0 every record durable; 1 runtime failure (records not\n"
"confirmed within --timeout, refused by the daemon, no connection);\n"
"2 usage error or bad input line (the records before it durable).\n";

/* Library log callback: keeps the last problem, prints with -v. */
static void
cmd_log_diag_cb(int level, const char *msg, void *arg)
{
	struct cmd_log_diag *d = arg;

	if (level > ALGAUDIT_LOG_WARNING && d->cd_verbose < 2)
		return;
	if (pthread_mutex_lock(&d->cd_mtx) != 0)
		return;
	if (level <= ALGAUDIT_LOG_WARNING)
		snprintf(d->cd_last, sizeof(d->cd_last), "%s", msg);
	if (d->cd_verbose)
		fprintf(stderr, "algaudit log: libalgaudit: %s\n", msg);
	pthread_mutex_unlock(&d->cd_mtx);
}

/* Prints the library's last problem, if any, as a hint. */
static void
cmd_log_diag_print(struct cmd_log_diag *d)
{
	if (pthread_mutex_lock(&d->cd_mtx) != 0)
		return;
	if (d->cd_last[0] != '\0' && !d->cd_verbose)
		cli_warnx("log", "last problem reported by the client "
		    "library: %s", d->cd_last);
	pthread_mutex_unlock(&d->cd_mtx);
}

/*
 * Reads one line of fp (without its newline) into *buf, growing it up
 * to max bytes. Returns 1 (a line, *len bytes, NUL-terminated), 0 (end
 * of input), -1 (read error, errno set), -2 (line longer than max; the
 * rest of the line is not read) or ENOMEM as -3.
 */
static int
cmd_log_getline(FILE *fp, char **buf, size_t *cap, size_t *len, size_t max)
{
	size_t n = 0, ncap;
	char *p;
	int ch;

	if (*cap == 0) {
		if ((*buf = malloc(4096)) == NULL)
			return -3;
		*cap = 4096;
	}
	for (;;) {
		ch = getc(fp);
		if (ch == EOF) {
			if (ferror(fp))
				return -1;
			if (n == 0)
				return 0;
			break;
		}
		if (ch == '\n')
			break;
		if (n == max)
			return -2;
		/* Keep room for the NUL after the byte stored now. */
		if (n + 1 >= *cap) {
			ncap = *cap * 2 > max + 1 ? max + 1 : *cap * 2;
			if ((p = realloc(*buf, ncap)) == NULL)
				return -3;
			*buf = p;
			*cap = ncap;
		}
		(*buf)[n++] = (char)ch;
	}
	(*buf)[n] = '\0';
	*len = n;
	return 1;
}

/* Returns 1 when the line holds only JSON whitespace. */
static int
cmd_log_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* The TLS options of a run: NULL where not given. */
struct cmd_log_tls {
	const char	*ct_ca;
	const char	*ct_cert;
	const char	*ct_key;
	const char	*ct_name;
};

/* Returns 1 when name cannot be a TLS server name for the library. */
static int
cmd_log_bad_name(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > 255)
		return 1;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 0x20 ||
		    (unsigned char)name[i] >= 0x7f)
			return 1;
	return 0;
}

/* Creates the library options of this run. Returns 0 or an error. */
static int
cmd_log_options(struct algaudit_options **out, uint32_t timeout_ms,
    const char *spool, const struct cmd_log_tls *t, struct cmd_log_diag *d)
{
	struct algaudit_options *o = NULL;
	int rc;

	if ((rc = algaudit_options_new(&o)) != 0)
		return rc;
	/*
	 * Block on a full queue for as long as we wait at the end: a slow
	 * daemon slows the input instead of failing it. With a spool, a
	 * full queue goes there instead. close() need not wait again after
	 * flush() has: what is left is reported (or spooled) at once.
	 */
	if ((rc = algaudit_options_set_overflow(o, spool != NULL ?
	    ALGAUDIT_OVERFLOW_SPOOL : ALGAUDIT_OVERFLOW_BLOCK,
	    timeout_ms)) != 0 ||
	    (spool != NULL &&
	    (rc = algaudit_options_set_spool(o, spool, 0)) != 0) ||
	    (rc = algaudit_options_set_close_timeout(o, 0)) != 0 ||
	    (rc = algaudit_options_set_tls(o, t->ct_ca, t->ct_cert,
	    t->ct_key)) != 0 ||
	    (rc = algaudit_options_set_tls_server_name(o, t->ct_name)) != 0 ||
	    (rc = algaudit_options_set_log(o, cmd_log_diag_cb, d)) != 0) {
		algaudit_options_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

/*
 * Waits until what was logged is durable and reports it. bad is the
 * line that stopped the input (0: none). Returns the exit status.
 */
static int
cmd_log_finish(struct algaudit_client *cl, uint64_t logged, uint64_t bad,
    uint32_t timeout_s, int verbose, const char *spool)
{
	uint64_t pending, rejected;
	int rc;

	rc = algaudit_flush(cl, timeout_s * 1000u);
	pending = algaudit_counter(cl, ALGAUDIT_COUNTER_PENDING);
	rejected = algaudit_counter(cl, ALGAUDIT_COUNTER_REJECTED);
	if (rc == 0 && rejected == 0 && pending == 0) {
		if (bad > 0 && logged == 0)
			cli_warnx("log", "stopped at line %" PRIu64 ": "
			    "nothing was sent", bad);
		else if (bad > 0)
			cli_warnx("log", "stopped at line %" PRIu64 ": the %"
			    PRIu64 " record%s before it %s durable; nothing "
			    "of line %" PRIu64 " or later was sent", bad,
			    logged, logged == 1 ? "" : "s",
			    logged == 1 ? "is" : "are", bad);
		else if (verbose)
			cli_warnx("log", "%" PRIu64 " record%s durable%s",
			    logged, logged == 1 ? "" : "s",
			    algaudit_counter(cl, ALGAUDIT_COUNTER_ACKED) >
			    logged ? " (and records of an earlier run, from "
			    "the spool)" : "");
		return bad > 0 ? TOOLS_EXIT_USAGE : TOOLS_EXIT_OK;
	}
	if (rc == ALGAUDIT_EFENCED)
		cli_warnx("log", "fenced: another connection took this "
		    "producer id");
	else if (rc != 0 && rc != ALGAUDIT_ETIMEDOUT)
		cli_warnx("log", "%s", algaudit_strerror(rc));
	if (rejected > 0)
		cli_warnx("log", "the daemon refused %" PRIu64 " of %" PRIu64
		    " records", rejected, logged);
	if (pending > 0 && timeout_s > 0)
		cli_warnx("log", "%" PRIu64 " of %" PRIu64 " records not "
		    "confirmed durable after %" PRIu32 " s%s%s", pending,
		    logged, timeout_s, spool != NULL ? "; they go to the "
		    "spool " : "", spool != NULL ? spool : "");
	else if (pending > 0)
		cli_warnx("log", "%" PRIu64 " of %" PRIu64 " records not "
		    "confirmed durable%s%s", pending, logged, spool != NULL ?
		    "; they go to the spool " : "", spool != NULL ? spool : "");
	if (bad > 0)
		cli_warnx("log", "stopped at line %" PRIu64 "; nothing of it "
		    "or later was sent", bad);
	return TOOLS_EXIT_FAIL;
}

/*
 * Reads and logs the lines of fp until its end or the first bad line,
 * whose number goes to *bad. Returns 0, or TOOLS_EXIT_FAIL after a
 * runtime failure (reported).
 */
static int
cmd_log_lines(struct algaudit_client *cl, FILE *fp, uint64_t *logged,
    uint64_t *bad)
{
	struct algaudit_record *rec = NULL;
	char err[JSON_RECORD_ERRLEN];
	char *line = NULL;
	size_t cap = 0, len;
	uint64_t lineno = 0;
	int rc, ex = TOOLS_EXIT_FAIL;

	if ((rc = algaudit_record_new(&rec)) != 0) {
		cli_warnx("log", "%s", algaudit_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	for (;;) {
		rc = cmd_log_getline(fp, &line, &cap, &len, CMD_LOG_LINE_MAX);
		if (rc == 0)
			break;
		lineno++;
		if (rc == -1) {
			cli_warnx("log", "stdin: line %" PRIu64 ": %s", lineno,
			    strerror(errno));
			goto out;
		}
		if (rc == -3) {
			cli_warnx("log", "line %" PRIu64 ": %s", lineno,
			    strerror(ENOMEM));
			goto out;
		}
		if (rc == -2) {
			cli_warnx("log", "line %" PRIu64 ": longer than %u "
			    "bytes", lineno, CMD_LOG_LINE_MAX);
			*bad = lineno;
			break;
		}
		/* RFC 8259 lets a parser ignore a byte order mark. */
		if (lineno == 1 && len >= 3 &&
		    memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			memmove(line, line + 3, len - 2);
			len -= 3;
		}
		if (cmd_log_blank(line, len))
			continue;
		if (memchr(line, '\0', len) != NULL) {
			cli_warnx("log", "line %" PRIu64 ": column %zu: NUL "
			    "byte", lineno,
			    (size_t)((char *)memchr(line, '\0', len) - line) +
			    1);
			*bad = lineno;
			break;
		}
		if (json_record_parse(rec, line, len, output_now_ns(), err,
		    sizeof(err)) == -1) {
			cli_warnx("log", "line %" PRIu64 ": %s", lineno, err);
			*bad = lineno;
			break;
		}
		if ((rc = algaudit_log(cl, rec)) == ALGAUDIT_EINVAL) {
			cli_warnx("log", "line %" PRIu64 ": %s", lineno,
			    algaudit_record_error(rec));
			*bad = lineno;
			break;
		}
		if (rc != 0) {
			cli_warnx("log", "line %" PRIu64 ": not sent: %s",
			    lineno, rc == ALGAUDIT_EFULL ? "the queue stayed "
			    "full for the whole --timeout" :
			    algaudit_strerror(rc));
			goto out;
		}
		(*logged)++;
	}
	ex = 0;
out:
	free(line);
	algaudit_record_free(rec);
	return ex;
}

/* algaudit log: parses the options, then sends stdin. */
int
cmd_log(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "producer", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "spool", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "tls-ca", required_argument, NULL, 'A' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-server-name", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_log_diag diag;
	struct cmd_log_tls tls;
	struct algaudit_options *opts = NULL;
	struct algaudit_client *cl = NULL;
	const char *endpoint = NULL, *producer = NULL, *spool = NULL;
	char err[RECORD_ERRLEN];
	uint64_t logged = 0, bad = 0;
	uint32_t timeout_s = CMD_LOG_TIMEOUT;
	int c, rc, ex;

	memset(&diag, 0, sizeof(diag));
	memset(&tls, 0, sizeof(tls));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			endpoint = optarg;
			break;
		case 'p':
			producer = optarg;
			break;
		case 't':
			timeout_s = (uint32_t)cli_number(CMD_LOG_USAGE,
			    "--timeout", optarg, 1, CMD_LOG_TIMEOUT_MAX);
			break;
		case 's':
			spool = optarg;
			break;
		case 'v':
			diag.cd_verbose++;
			break;
		case 'A':
			tls.ct_ca = optarg;
			break;
		case 'C':
			tls.ct_cert = optarg;
			break;
		case 'K':
			tls.ct_key = optarg;
			break;
		case 'N':
			tls.ct_name = optarg;
			break;
		case 'h':
			cli_help(CMD_LOG_USAGE, cmd_log_help);
		default:
			cli_bad_option(CMD_LOG_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_LOG_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (endpoint == NULL)
		cli_usage(CMD_LOG_USAGE, "--connect: required");
	if (strncmp(endpoint, "unix:", 5) != 0 &&
	    strncmp(endpoint, "tcp:", 4) != 0 &&
	    strncmp(endpoint, "tls:", 4) != 0)
		cli_usage(CMD_LOG_USAGE, "--connect: invalid endpoint '%s' "
		    "(unix:PATH, tcp:HOST:PORT or tls:HOST:PORT)", endpoint);
	if ((tls.ct_ca != NULL || tls.ct_cert != NULL ||
	    tls.ct_key != NULL || tls.ct_name != NULL) &&
	    strncmp(endpoint, "tls:", 4) != 0)
		cli_usage(CMD_LOG_USAGE, "--tls-*: only for a tls:HOST:PORT "
		    "endpoint, not '%s'", endpoint);
	if ((tls.ct_cert == NULL) != (tls.ct_key == NULL))
		cli_usage(CMD_LOG_USAGE, "%s: needs %s too", tls.ct_cert !=
		    NULL ? "--tls-cert" : "--tls-key", tls.ct_cert != NULL ?
		    "--tls-key" : "--tls-cert");
	if ((tls.ct_ca != NULL && *tls.ct_ca == '\0') ||
	    (tls.ct_cert != NULL && *tls.ct_cert == '\0') ||
	    (tls.ct_key != NULL && *tls.ct_key == '\0'))
		cli_usage(CMD_LOG_USAGE, "--tls-*: empty file name");
	if (tls.ct_name != NULL && cmd_log_bad_name(tls.ct_name))
		cli_usage(CMD_LOG_USAGE, "--tls-server-name: '%s': not a DNS "
		    "name or IP address (1 to 255 printable ASCII bytes, no "
		    "space)", tls.ct_name);
	if (producer == NULL)
		cli_usage(CMD_LOG_USAGE, "--producer: required");
	if (record_check_producer_id(producer, err, sizeof(err)) == -1)
		cli_usage(CMD_LOG_USAGE, "--producer: %s", err);
	if (spool != NULL && *spool == '\0')
		cli_usage(CMD_LOG_USAGE, "--spool: empty directory name");

	if ((rc = pthread_mutex_init(&diag.cd_mtx, NULL)) != 0) {
		cli_warnx("log", "%s", strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	ex = TOOLS_EXIT_FAIL;
	if ((rc = cmd_log_options(&opts, timeout_s * 1000u, spool, &tls,
	    &diag)) != 0) {
		cli_warnx("log", "%s", algaudit_strerror(rc));
		goto out;
	}
	if ((rc = algaudit_open(endpoint, producer, opts, &cl)) != 0) {
		cli_warnx("log", "%s: %s", endpoint, algaudit_strerror(rc));
		/* Which file, say, a TLS option named. */
		cmd_log_diag_print(&diag);
		cl = NULL;
		goto out;
	}
	if (cmd_log_lines(cl, stdin, &logged, &bad) != 0)
		/* Report what is not durable; do not wait a second time. */
		(void)cmd_log_finish(cl, logged, 0, 0, 0, spool);
	else
		ex = cmd_log_finish(cl, logged, bad, timeout_s,
		    diag.cd_verbose, spool);
	/* The cause (e.g. cannot connect), before close() adds its own. */
	if (ex == TOOLS_EXIT_FAIL)
		cmd_log_diag_print(&diag);
out:
	/*
	 * Without a spool, what close() would lose was reported above;
	 * with one, a failure here means records did not reach it.
	 */
	if (cl != NULL && (rc = algaudit_close(cl)) != 0 &&
	    (ex == TOOLS_EXIT_OK || spool != NULL)) {
		cli_warnx("log", "close: %s", algaudit_strerror(rc));
		ex = TOOLS_EXIT_FAIL;
	}
	algaudit_options_free(opts);
	pthread_mutex_destroy(&diag.cd_mtx);
	return ex;
}
