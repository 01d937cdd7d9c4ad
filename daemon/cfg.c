/* SPDX-License-Identifier: ISC */
/*
 * cfg.c: the daemon's configuration.
 *
 * One static table, cfg_opts[], names every option once with its type,
 * range, default, field, section, whether SIGHUP may change it, and
 * help text. The command-line parser, the configuration file (-f FILE),
 * the defaults, --help and --dump-config are all driven by it. Every
 * error names the option and quotes the value ("--max-frame: '12x' is
 * not a number"); errors in the file start with FILE:LINE.
 *
 * The file is INI, read with Debian's libinih (ini_parse_stream()):
 * "key = value" lines, whole-line comments starting with '#' or ';',
 * optional sections. A key is an option's long name; it may stand
 * before the first section or in its own section ([daemon], [limits],
 * [checkpoints], [access], [metrics], [log]; cfg_sections[]). Unknown
 * keys and
 * sections, a key in another option's section, a key given twice
 * (except listen and allow),
 * bad values, over-long lines and syntax errors are refused with the
 * line. Precedence: defaults, then the file, then the command line
 * (cfg_load() records which options the command line set and lays them
 * over the file), so a flag always wins, also on reload.
 *
 * Reload: cfg_reload() compares a freshly loaded configuration with the
 * running one option by option; options marked CFG_F_RELOAD take the
 * new value, the others keep the old one and are reported as needing a
 * restart. Nothing here opens a socket, touches the store or logs:
 * main.c decides what to do with an error or a change.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "daemon.h"

enum cfg_type {
	CFG_T_PATH,		/* a non-empty string */
	CFG_T_NAME,		/* printable ASCII, no spaces */
	CFG_T_BYTES,		/* a number, optional K/M/G/T suffix */
	CFG_T_UINT,		/* a plain number */
	CFG_T_ENDPOINT,		/* unix:PATH, tcp: or tls:HOST:PORT, repeated */
	CFG_T_FLAG,		/* command line: no argument; file: yes/no */
	CFG_T_SWITCH,		/* on or off (yes/no), always an argument */
	CFG_T_COUNT,		/* command line: counts; file: a number */
	CFG_T_MODE,		/* command line only: sets cf_mode to co_min */
	CFG_T_OCTAL,		/* file mode bits, 0 to 0777, in octal */
	CFG_T_GROUP,		/* a group name or number, resolved */
	CFG_T_ALLOW,		/* an allow rule (allow.c), repeatable */
	CFG_T_CHOICE,		/* one of the words of co_arg ("a|b") */
	CFG_T_HOSTPORT		/* HOST:PORT (IPv6 in brackets), or off */
};

#define CFG_F_CMDLINE	0x01	/* not settable from a configuration file */
#define CFG_F_RELOAD	0x02	/* SIGHUP applies a new value */

/*
 * Longest line of the configuration file, newline included: room for
 * the longest path and its key.
 */
#define CFG_LINE_MAX	(CFG_PATH_MAX + 256)

/* The sections of the file, in --dump-config order. */
static const char *const cfg_sections[] = {
	"daemon", "limits", "checkpoints", "access", "tls", "metrics", "log"
};
#define CFG_NSECTIONS	(sizeof(cfg_sections) / sizeof(cfg_sections[0]))

/* One option: the single place its name, range and default are given. */
struct cfg_opt {
	const char	*co_name;	/* long name, without "--" */
	int		 co_short;	/* short letter, or 0 */
	int		 co_type;	/* CFG_T_* */
	uint64_t	 co_min;	/* numbers: range; strings: length */
	uint64_t	 co_max;
	const char	*co_default;	/* parsed like user input; NULL: zero */
	size_t		 co_offset;	/* field in struct cfg */
	int		 co_flags;	/* CFG_F_* */
	const char	*co_section;	/* file section; NULL: command line */
	const char	*co_arg;	/* argument name for --help */
	const char	*co_help;
};

#define CFG_OFF(f)	offsetof(struct cfg, f)

static const struct cfg_opt cfg_opts[] = {
	{ "store", 0, CFG_T_PATH, 1, CFG_PATH_MAX - 1, "./var/store",
	    CFG_OFF(cf_store), 0, "daemon", "DIR",
	    "the audit store directory, created if absent" },
	{ "listen", 0, CFG_T_ENDPOINT, 1, CFG_LISTEN_MAX,
	    "unix:./var/algauditd.sock", CFG_OFF(cf_listen), 0, "daemon",
	    "ENDPOINT",
	    "listen on unix:PATH, tcp:HOST:PORT or\n"
	    "tls:HOST:PORT (an IPv6 host in brackets);\n"
	    "repeatable, the first one replaces the default" },
	{ "origin", 0, CFG_T_NAME, 1, CFG_ORIGIN_MAX - 1, NULL,
	    CFG_OFF(cf_origin), 0, "daemon", "NAME",
	    "the log's origin name, used only when the store\n"
	    "is created (default: <hostname>/algaudit)" },
	{ "max-frame", 0, CFG_T_BYTES, FRAME_MIN_LIMIT, FRAME_MAX_LIMIT,
	    "4M", CFG_OFF(cf_max_frame), CFG_F_RELOAD, "limits", "BYTES",
	    "largest frame a client may send (a reload\n"
	    "applies to connections made after it)" },
	{ "max-pending", 0, CFG_T_BYTES, 1024 * 1024,
	    (uint64_t)1 << 40, "256M", CFG_OFF(cf_max_pending), CFG_F_RELOAD,
	    "limits", "BYTES",
	    "memory for batches waiting for the writer; above\n"
	    "it the daemon stops reading from producers" },
	{ "max-connections", 0, CFG_T_UINT, 1, 1000000, "1024",
	    CFG_OFF(cf_max_conns), CFG_F_RELOAD, "limits", "N",
	    "connections beyond this are closed at once" },
	{ "commit-max-records", 0, CFG_T_UINT, 1, 16 * 1024 * 1024, "65536",
	    CFG_OFF(cf_commit_max), CFG_F_RELOAD, "limits", "N",
	    "most records in one transaction (a batch is\n"
	    "never split)" },
	{ "handshake-timeout", 0, CFG_T_UINT, 1, 3600, "10",
	    CFG_OFF(cf_handshake_timeout), CFG_F_RELOAD, "limits", "S",
	    "close a connection that sent no complete Hello\n"
	    "S seconds after it was accepted" },
	{ "idle-timeout", 0, CFG_T_UINT, 0, 7 * 24 * 3600, "600",
	    CFG_OFF(cf_idle_timeout), CFG_F_RELOAD, "limits", "S",
	    "close a connection after S seconds without a\n"
	    "complete frame while nothing is owed to it\n"
	    "(0: never; a reload applies to later Hellos)" },
	{ "on-store-full", 0, CFG_T_CHOICE, 0, 0, "block",
	    CFG_OFF(cf_store_full), CFG_F_RELOAD, "limits", "block|refuse",
	    "when the store is full: block stops reading\n"
	    "producers and retries the commit until it\n"
	    "succeeds; refuse answers batches STORE_FULL" },
	{ "max-store-size", 0, CFG_T_BYTES, 0, (uint64_t)1 << 50, "0",
	    CFG_OFF(cf_max_store_size), CFG_F_RELOAD, "limits", "BYTES",
	    "the store is full once data.mdb has reached\n"
	    "BYTES (0: only when its filesystem is)" },
	{ "store-free-warn", 0, CFG_T_UINT, 0, 100, "10",
	    CFG_OFF(cf_free_warn), CFG_F_RELOAD, "limits", "PERCENT",
	    "log a warning when less than PERCENT of the\n"
	    "store's filesystem is available (0: never)" },
	{ "store-free-critical", 0, CFG_T_UINT, 0, 100, "5",
	    CFG_OFF(cf_free_crit), CFG_F_RELOAD, "limits", "PERCENT",
	    "and another below PERCENT (0: never)" },
	{ "key", 0, CFG_T_PATH, 1, CFG_PATH_MAX - 1, NULL, CFG_OFF(cf_key),
	    0, "daemon", "FILE",
	    "the checkpoint signing key; it must exist\n"
	    "(default: STORE/signer.key, created on first\n"
	    "start)" },
	{ "checkpoint-entries", 0, CFG_T_UINT, 1, 16 * 1024 * 1024, "10000",
	    CFG_OFF(cf_ckpt_entries), CFG_F_RELOAD, "checkpoints", "N",
	    "sign a checkpoint once N entries were added\n"
	    "since the last one" },
	{ "checkpoint-interval", 0, CFG_T_UINT, 1, 3600 * 1000, "500",
	    CFG_OFF(cf_ckpt_interval), CFG_F_RELOAD, "checkpoints", "MS",
	    "or once MS milliseconds passed since the last\n"
	    "one with entries added (and at shutdown)" },
	{ "hash-threads", 0, CFG_T_UINT, 0, 16, "1",
	    CFG_OFF(cf_hash_threads), 0, "daemon", "N",
	    "threads computing leaf hashes beside the writer\n"
	    "(0: the writer alone)" },
	{ "tree", 0, CFG_T_SWITCH, 0, 1, "on", CFG_OFF(cf_tree), 0, "daemon",
	    "on|off",
	    "keep the Merkle tree and sign checkpoints; off\n"
	    "is for measurement only: the log is then not\n"
	    "verifiable (only on a store without a tree)" },
	{ "socket-mode", 0, CFG_T_OCTAL, 0, 0777, "0660",
	    CFG_OFF(cf_socket_mode), 0, "access", "MODE",
	    "permission bits of the Unix sockets (octal)" },
	{ "socket-group", 0, CFG_T_GROUP, 1, CFG_GROUP_MAX - 1, NULL,
	    CFG_OFF(cf_socket_group), 0, "access", "GROUP",
	    "group of the Unix sockets, a name or a number\n"
	    "(default: the daemon's)" },
	{ "allow", 0, CFG_T_ALLOW, 1, ALLOW_RULES_MAX, NULL,
	    CFG_OFF(cf_allow), CFG_F_RELOAD, "access", "RULE",
	    "who may write as which producer: 'uid:USER\n"
	    "producers=P1,P2', 'gid:GROUP producers=P*'\n"
	    "(Unix sockets) or 'cn:NAME producers=...' (TLS\n"
	    "client certificates); repeatable; with no rule\n"
	    "any peer may use any producer id" },
	{ "tcp-allow-remote", 0, CFG_T_SWITCH, 0, 1, "no",
	    CFG_OFF(cf_tcp_remote), 0, "access", "yes|no",
	    "allow plain tcp: endpoints on non-loopback\n"
	    "addresses (records then travel unencrypted\n"
	    "and unauthenticated; use tls: instead)" },
	{ "tls-cert", 0, CFG_T_PATH, 1, CFG_PATH_MAX - 1, NULL,
	    CFG_OFF(cf_tls_cert), CFG_F_RELOAD, "tls", "FILE",
	    "the certificate chain (PEM) of the tls:\n"
	    "endpoints; SIGHUP reads it again" },
	{ "tls-key", 0, CFG_T_PATH, 1, CFG_PATH_MAX - 1, NULL,
	    CFG_OFF(cf_tls_key), CFG_F_RELOAD, "tls", "FILE",
	    "its private key (PEM); SIGHUP reads it again" },
	{ "tls-client-ca", 0, CFG_T_PATH, 1, CFG_PATH_MAX - 1, NULL,
	    CFG_OFF(cf_tls_client_ca), CFG_F_RELOAD, "tls", "FILE",
	    "require client certificates issued by the CAs\n"
	    "in FILE (PEM); 'cn:' allow rules then map their\n"
	    "subject's CN to producer ids" },
	{ "metrics", 0, CFG_T_HOSTPORT, 1, CFG_ENDPOINT_MAX - 5, NULL,
	    CFG_OFF(cf_metrics), 0, "metrics", "HOST:PORT",
	    "serve Prometheus metrics on\n"
	    "http://HOST:PORT/metrics; a loopback address\n"
	    "unless metrics-allow-remote (default: off)" },
	{ "metrics-allow-remote", 0, CFG_T_SWITCH, 0, 1, "no",
	    CFG_OFF(cf_metrics_remote), 0, "metrics", "yes|no",
	    "allow --metrics on a non-loopback address (the\n"
	    "endpoint has no authentication)" },
	{ "clock-skew", 0, CFG_T_UINT, 1, (uint64_t)100 * 365 * 86400, "300",
	    CFG_OFF(cf_clock_skew), CFG_F_RELOAD, "metrics", "SECONDS",
	    "count the records whose event time is more\n"
	    "than SECONDS from their receive time (they are\n"
	    "stored all the same)" },
	{ "verbose", 'v', CFG_T_COUNT, 0, 3, NULL, CFG_OFF(cf_verbose),
	    CFG_F_RELOAD, "log", NULL,
	    "log more (debug); -vv adds libevent's messages\n"
	    "(file: verbose = N)" },
	{ "config", 'f', CFG_T_PATH, 1, CFG_PATH_MAX - 1, NULL,
	    CFG_OFF(cf_file), CFG_F_CMDLINE, NULL, "FILE",
	    "read options from FILE (INI) first; the command\n"
	    "line overrides it; SIGHUP re-reads it" },
	{ "foreground", 'd', CFG_T_FLAG, 0, 1, "yes", CFG_OFF(cf_foreground),
	    CFG_F_CMDLINE, NULL, NULL,
	    "run in the foreground, log to stderr (for now\n"
	    "always so)" },
	{ "check-config", 'n', CFG_T_MODE, CFG_MODE_CHECK, 0, NULL,
	    CFG_OFF(cf_mode), CFG_F_CMDLINE, NULL, NULL,
	    "check the configuration, print \"configuration\n"
	    "OK\" and exit" },
	{ "dump-config", 0, CFG_T_MODE, CFG_MODE_DUMP, 0, NULL,
	    CFG_OFF(cf_mode), CFG_F_CMDLINE, NULL, NULL,
	    "print the effective configuration as a file\n"
	    "and exit" },
	{ "help", 'h', CFG_T_MODE, CFG_MODE_HELP, 0, NULL, CFG_OFF(cf_mode),
	    CFG_F_CMDLINE, NULL, NULL, "print this help and exit" },
};

#define CFG_NOPTS	(sizeof(cfg_opts) / sizeof(cfg_opts[0]))

/* cf_given has one bit per option. */
_Static_assert(CFG_NOPTS <= 64, "struct cfg's cf_given is too narrow");

/* Returns option o's bit in cf_given. */
static uint64_t
cfg_bit(const struct cfg_opt *o)
{
	return (uint64_t)1 << (size_t)(o - cfg_opts);
}

static int	 cfg_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Formats an error message into err; returns -1 for convenience. */
static int
cfg_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Returns a pointer to the field of cf that option o sets. */
static void *
cfg_field(struct cfg *cf, const struct cfg_opt *o)
{
	return (char *)cf + o->co_offset;
}

/* Returns the option with long name name (len bytes), or NULL. */
static const struct cfg_opt *
cfg_find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CFG_NOPTS; i++)
		if (strlen(cfg_opts[i].co_name) == len &&
		    strncmp(cfg_opts[i].co_name, name, len) == 0)
			return &cfg_opts[i];
	return NULL;
}

/* Returns the option with short letter c, or NULL. */
static const struct cfg_opt *
cfg_find_short(int c)
{
	size_t i;

	for (i = 0; i < CFG_NOPTS; i++)
		if (cfg_opts[i].co_short != 0 && cfg_opts[i].co_short == c)
			return &cfg_opts[i];
	return NULL;
}

/* Returns 1 when option o takes an argument on the command line. */
static int
cfg_takes_arg(const struct cfg_opt *o)
{
	return o->co_type != CFG_T_FLAG && o->co_type != CFG_T_COUNT &&
	    o->co_type != CFG_T_MODE;
}

/*
 * Parses a decimal number without sign or spaces. With suffixes, one
 * of K, M, G or T (either case, powers of 1024) may follow. Returns 0
 * with *out set, -1 when s is not a number, -2 when it overflows.
 */
int
cfg_parse_number(const char *s, int suffixes, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (p = s; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -2;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0') {
		if (!suffixes || p[1] != '\0')
			return -1;
		switch (*p) {
		case 'k':
		case 'K':
			mul = (uint64_t)1 << 10;
			break;
		case 'm':
		case 'M':
			mul = (uint64_t)1 << 20;
			break;
		case 'g':
		case 'G':
			mul = (uint64_t)1 << 30;
			break;
		case 't':
		case 'T':
			mul = (uint64_t)1 << 40;
			break;
		default:
			return -1;
		}
		if (v > UINT64_MAX / mul)
			return -2;
		v *= mul;
	}
	*out = v;
	return 0;
}

/* Parses a yes/no value; returns 1, 0, or -1 when it is neither. */
static int
cfg_parse_bool(const char *s)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
	    strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

/* Checks that port is a decimal number from 1 to 65535. */
static int
cfg_check_port(const char *port)
{
	uint64_t v;

	if (strlen(port) >= CFG_PORT_MAX ||
	    cfg_parse_number(port, 0, &v) != 0 || v < 1 || v > 65535)
		return -1;
	return 0;
}

/*
 * Parses an endpoint, "unix:PATH", "tcp:HOST:PORT" or "tls:HOST:PORT"
 * (an IPv6 host in brackets, "tcp:[::1]:7000"), into ep. Returns 0, or
 * -1 with a message quoting s in err.
 */
int
cfg_parse_endpoint(const char *s, struct cfg_endpoint *ep, char *err,
    size_t errlen)
{
	const char *rest, *colon, *close;
	size_t len, hlen;

	memset(ep, 0, sizeof(*ep));
	len = strlen(s);
	if (len >= CFG_ENDPOINT_MAX)
		return cfg_fail(err, errlen, "'%.32s...': %zu bytes, longer "
		    "than the limit of %d", s, len, CFG_ENDPOINT_MAX - 1);
	memcpy(ep->ep_text, s, len + 1);
	if (strncmp(s, "unix:", 5) == 0) {
		rest = s + 5;
		len = strlen(rest);
		if (len == 0)
			return cfg_fail(err, errlen, "'%s': empty path", s);
		if (len >= CFG_UNIX_PATH_MAX)
			return cfg_fail(err, errlen, "'%s': path is %zu bytes, "
			    "longer than the limit of %d", s, len,
			    CFG_UNIX_PATH_MAX - 1);
		ep->ep_type = CFG_EP_UNIX;
		memcpy(ep->ep_path, rest, len + 1);
		return 0;
	}
	if (strncmp(s, "tcp:", 4) == 0)
		ep->ep_type = CFG_EP_TCP;
	else if (strncmp(s, "tls:", 4) == 0)
		ep->ep_type = CFG_EP_TLS;
	else
		return cfg_fail(err, errlen, "'%s': must be unix:PATH, "
		    "tcp:HOST:PORT or tls:HOST:PORT", s);
	rest = s + 4;
	if (*rest == '[') {
		if ((close = strchr(rest, ']')) == NULL)
			return cfg_fail(err, errlen, "'%s': missing ']' after "
			    "the IPv6 address", s);
		if (close[1] != ':')
			return cfg_fail(err, errlen, "'%s': expected ':PORT' "
			    "after ']'", s);
		rest++;
		hlen = (size_t)(close - rest);
		colon = close + 1;
	} else {
		if ((colon = strrchr(rest, ':')) == NULL)
			return cfg_fail(err, errlen, "'%s': missing ':PORT'",
			    s);
		hlen = (size_t)(colon - rest);
		if (memchr(rest, ':', hlen) != NULL)
			return cfg_fail(err, errlen, "'%s': an IPv6 address "
			    "must be in brackets, e.g. %.3s:[::1]:PORT", s, s);
	}
	if (hlen == 0)
		return cfg_fail(err, errlen, "'%s': empty host (use 0.0.0.0 "
		    "or [::] for every address)", s);
	if (hlen >= CFG_HOST_MAX)
		return cfg_fail(err, errlen, "'%.32s...': host is %zu bytes, "
		    "longer than the limit of %d", s, hlen, CFG_HOST_MAX - 1);
	if (cfg_check_port(colon + 1) == -1)
		return cfg_fail(err, errlen, "'%s': port '%s' is not a number "
		    "from 1 to 65535", s, colon + 1);
	memcpy(ep->ep_host, rest, hlen);
	ep->ep_host[hlen] = '\0';
	strcpy(ep->ep_port, colon + 1);
	return 0;
}

/*
 * Returns the index of word value among the '|'-separated words of
 * choices, or -1.
 */
static int
cfg_parse_choice(const char *choices, const char *value)
{
	const char *p = choices, *bar;
	size_t len, vlen = strlen(value);
	int i;

	for (i = 0; p != NULL; i++) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (len == vlen && strncmp(p, value, len) == 0)
			return i;
		p = bar != NULL ? bar + 1 : NULL;
	}
	return -1;
}

/* Writes the n-th word of choices into buf ("" if there is none). */
static void
cfg_format_choice(const char *choices, int n, char *buf, size_t len)
{
	const char *p = choices, *bar;
	int i;

	buf[0] = '\0';
	for (i = 0; p != NULL; i++) {
		bar = strchr(p, '|');
		if (i == n) {
			snprintf(buf, len, "%.*s", bar != NULL ?
			    (int)(bar - p) : (int)strlen(p), p);
			return;
		}
		p = bar != NULL ? bar + 1 : NULL;
	}
}

/* Checks a string value of option o; shown names the option. */
static int
cfg_check_string(const struct cfg_opt *o, const char *shown,
    const char *value, char *err, size_t errlen)
{
	size_t i, len;

	len = strlen(value);
	if (len < o->co_min)
		return cfg_fail(err, errlen, "%s: empty value", shown);
	if (len > o->co_max)
		return cfg_fail(err, errlen, "%s: '%.32s...': %zu bytes, "
		    "longer than the limit of %" PRIu64, shown, value, len,
		    o->co_max);
	if (o->co_type == CFG_T_NAME || o->co_type == CFG_T_GROUP)
		for (i = 0; i < len; i++)
			if (value[i] <= 0x20 || value[i] >= 0x7f)
				return cfg_fail(err, errlen, "%s: '%s': byte "
				    "%zu is not printable ASCII (no spaces)",
				    shown, value, i);
	return 0;
}

/* Adds one endpoint; the first one given replaces the default. */
static int
cfg_add_endpoint(struct cfg *cf, const char *shown, const char *value,
    int is_default, char *err, size_t errlen)
{
	struct cfg_endpoint ep;
	char msg[512];
	size_t i;

	if (cfg_parse_endpoint(value, &ep, msg, sizeof(msg)) == -1)
		return cfg_fail(err, errlen, "%s: %s", shown, msg);
	if (!is_default && !cf->cf_listen_given) {
		cf->cf_listen_given = 1;
		cf->cf_nlisten = 0;
	}
	for (i = 0; i < cf->cf_nlisten; i++)
		if (strcmp(cf->cf_listen[i].ep_text, ep.ep_text) == 0)
			return cfg_fail(err, errlen, "%s: '%s' given twice",
			    shown, value);
	if (cf->cf_nlisten >= CFG_LISTEN_MAX)
		return cfg_fail(err, errlen, "%s: more than %d endpoints",
		    shown, CFG_LISTEN_MAX);
	cf->cf_listen[cf->cf_nlisten++] = ep;
	return 0;
}

/* Adds one allow rule; the same rule twice is an error. */
static int
cfg_add_allow(struct cfg *cf, const char *shown, const char *value,
    char *err, size_t errlen)
{
	struct allow_rule *r;
	char msg[ALLOW_TEXT_MAX + 256];
	size_t i;

	if (cf->cf_nallow >= ALLOW_RULES_MAX)
		return cfg_fail(err, errlen, "%s: more than %d rules", shown,
		    ALLOW_RULES_MAX);
	r = &cf->cf_allow[cf->cf_nallow];
	if (allow_parse(value, r, msg, sizeof(msg)) == -1)
		return cfg_fail(err, errlen, "%s: %s", shown, msg);
	for (i = 0; i < cf->cf_nallow; i++)
		if (strcmp(cf->cf_allow[i].ar_text, r->ar_text) == 0)
			return cfg_fail(err, errlen, "%s: '%s' given twice",
			    shown, value);
	cf->cf_nallow++;
	return 0;
}

/*
 * Parses file mode bits in octal ("0660", "660"): 1 to 4 octal digits,
 * at most max. Returns 0 with *out set, or -1.
 */
static int
cfg_parse_octal(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '7' || i >= 4)
			return -1;
		v = v * 8 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Applies value to option o. shown is the option as the user wrote it
 * ("--max-frame", "-v" or a file key) for error messages; value is NULL
 * for a flag given on the command line. is_default marks the table's
 * own default. Returns 0, or -1 with err set.
 */
static int
cfg_apply(struct cfg *cf, const struct cfg_opt *o, const char *shown,
    const char *value, int is_default, char *err, size_t errlen)
{
	struct cfg_endpoint ep;
	char msg[512], text[CFG_ENDPOINT_MAX + 8];
	uint64_t v;
	uint32_t gid;
	size_t len;
	int *ip, b, rc;

	/*
	 * A file's values never start or end with white space (libinih
	 * strips it), so neither may the command line's: --dump-config
	 * could not write them back.
	 */
	if (value != NULL && (len = strlen(value)) > 0 &&
	    (isspace((unsigned char)value[0]) ||
	    isspace((unsigned char)value[len - 1])))
		return cfg_fail(err, errlen, "%s: '%s' starts or ends with "
		    "white space (a configuration file could not hold it)",
		    shown, value);
	switch (o->co_type) {
	case CFG_T_PATH:
	case CFG_T_NAME:
		if (cfg_check_string(o, shown, value, err, errlen) == -1)
			return -1;
		strcpy(cfg_field(cf, o), value);
		return 0;
	case CFG_T_BYTES:
	case CFG_T_UINT:
		rc = cfg_parse_number(value, o->co_type == CFG_T_BYTES, &v);
		if (rc == -1)
			return cfg_fail(err, errlen, "%s: '%s' is not a "
			    "number%s", shown, value,
			    o->co_type == CFG_T_BYTES ?
			    " (a K, M, G or T suffix may follow)" : "");
		if (rc == -2 || v < o->co_min || v > o->co_max)
			return cfg_fail(err, errlen, "%s: '%s' is out of range "
			    "(%" PRIu64 "..%" PRIu64 ")", shown, value,
			    o->co_min, o->co_max);
		*(uint64_t *)cfg_field(cf, o) = v;
		return 0;
	case CFG_T_ENDPOINT:
		return cfg_add_endpoint(cf, shown, value, is_default, err,
		    errlen);
	case CFG_T_ALLOW:
		return cfg_add_allow(cf, shown, value, err, errlen);
	case CFG_T_CHOICE:
		if ((b = cfg_parse_choice(o->co_arg, value)) == -1)
			return cfg_fail(err, errlen, "%s: '%s' is not one of "
			    "%s", shown, value, o->co_arg);
		*(int *)cfg_field(cf, o) = b;
		return 0;
	case CFG_T_HOSTPORT:
		if (strcmp(value, "off") == 0) {
			*(char *)cfg_field(cf, o) = '\0';
			return 0;
		}
		if (cfg_check_string(o, shown, value, err, errlen) == -1)
			return -1;
		snprintf(text, sizeof(text), "tcp:%s", value);
		if (cfg_parse_endpoint(text, &ep, msg, sizeof(msg)) == -1)
			return cfg_fail(err, errlen, "%s: '%s' is not "
			    "HOST:PORT (e.g. 127.0.0.1:9477 or [::1]:9477) or "
			    "off", shown, value);
		strcpy(cfg_field(cf, o), value);
		return 0;
	case CFG_T_OCTAL:
		if (cfg_parse_octal(value, o->co_max, &v) == -1)
			return cfg_fail(err, errlen, "%s: '%s' is not a mode "
			    "in octal from 0 to %04" PRIo64 " (e.g. 0660)",
			    shown, value, o->co_max);
		*(uint64_t *)cfg_field(cf, o) = v;
		return 0;
	case CFG_T_GROUP:
		if (cfg_check_string(o, shown, value, err, errlen) == -1)
			return -1;
		if (allow_group_id(value, &gid, msg, sizeof(msg)) == -1)
			return cfg_fail(err, errlen, "%s: %s", shown, msg);
		strcpy(cfg_field(cf, o), value);
		return 0;
	case CFG_T_FLAG:
		ip = cfg_field(cf, o);
		if (value == NULL) {
			*ip = 1;
			return 0;
		}
		if ((b = cfg_parse_bool(value)) == -1)
			return cfg_fail(err, errlen, "%s: '%s' is not yes or "
			    "no", shown, value);
		*ip = b;
		return 0;
	case CFG_T_SWITCH:
		if ((b = cfg_parse_bool(value)) == -1)
			return cfg_fail(err, errlen, "%s: '%s' is not on or "
			    "off", shown, value);
		*(int *)cfg_field(cf, o) = b;
		return 0;
	case CFG_T_COUNT:
		ip = cfg_field(cf, o);
		if (value == NULL) {
			if ((uint64_t)*ip < o->co_max)
				(*ip)++;
			return 0;
		}
		rc = cfg_parse_number(value, 0, &v);
		if (rc == -1)
			return cfg_fail(err, errlen, "%s: '%s' is not a "
			    "number", shown, value);
		if (rc == -2 || v > o->co_max)
			return cfg_fail(err, errlen, "%s: '%s' is out of range "
			    "(0..%" PRIu64 ")", shown, value, o->co_max);
		*ip = (int)v;
		return 0;
	case CFG_T_MODE:
		ip = cfg_field(cf, o);
		/* --help wins over the other modes, whatever the order. */
		if (*ip != CFG_MODE_HELP)
			*ip = (int)o->co_min;
		return 0;
	default:
		return cfg_fail(err, errlen, "%s: bad option type %d", shown,
		    o->co_type);
	}
}

/*
 * Fills cf with the defaults of the option table. Returns 0, or -1 with
 * err set when a default does not parse (a bug in the table).
 */
int
cfg_init(struct cfg *cf, char *err, size_t errlen)
{
	size_t i;

	memset(cf, 0, sizeof(*cf));
	for (i = 0; i < CFG_NOPTS; i++)
		if (cfg_opts[i].co_default != NULL &&
		    cfg_apply(cf, &cfg_opts[i], cfg_opts[i].co_name,
		    cfg_opts[i].co_default, 1, err, errlen) == -1)
			return -1;
	return 0;
}

/*
 * Sets the option named name (long name, no dashes) to value, as a
 * configuration file would. Command-line-only options are refused.
 * Returns 0, or -1 with a message naming the option in err.
 */
int
cfg_set(struct cfg *cf, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct cfg_opt *o;

	if ((o = cfg_find_long(name, strlen(name))) == NULL)
		return cfg_fail(err, errlen, "%s: unknown option", name);
	if (o->co_flags & CFG_F_CMDLINE)
		return cfg_fail(err, errlen, "%s: can only be given on the "
		    "command line", name);
	return cfg_apply(cf, o, name, value, 0, err, errlen);
}

/* Parses one "--name[=value]" argument; *i advances past a value. */
static int
cfg_parse_long(struct cfg *cf, int argc, char *const argv[], int *i,
    char *err, size_t errlen)
{
	const struct cfg_opt *o;
	const char *arg = argv[*i] + 2, *eq, *value = NULL;
	char shown[64];
	size_t len;

	eq = strchr(arg, '=');
	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	if ((o = cfg_find_long(arg, len)) == NULL)
		return cfg_fail(err, errlen, "--%.*s: unknown option "
		    "(see --help)", (int)(len > 48 ? 48 : len), arg);
	snprintf(shown, sizeof(shown), "--%s", o->co_name);
	if (!cfg_takes_arg(o)) {
		if (eq != NULL)
			return cfg_fail(err, errlen, "%s: takes no argument",
			    shown);
	} else if (eq != NULL)
		value = eq + 1;
	else if (*i + 1 < argc)
		value = argv[++*i];
	else
		return cfg_fail(err, errlen, "%s: requires an argument (%s)",
		    shown, o->co_arg);
	if (cfg_apply(cf, o, shown, value, 0, err, errlen) == -1)
		return -1;
	cf->cf_given |= cfg_bit(o);
	return 0;
}

/* Parses one cluster of short options, "-dvv". */
static int
cfg_parse_short(struct cfg *cf, int argc, char *const argv[], int *i,
    char *err, size_t errlen)
{
	const struct cfg_opt *o;
	const char *p, *value;
	char shown[3];

	for (p = argv[*i] + 1; *p != '\0'; p++) {
		snprintf(shown, sizeof(shown), "-%c", *p);
		if ((o = cfg_find_short((unsigned char)*p)) == NULL)
			return cfg_fail(err, errlen, "%s: unknown option "
			    "(see --help)", shown);
		value = NULL;
		if (cfg_takes_arg(o)) {
			if (p[1] != '\0')
				value = p + 1;
			else if (*i + 1 < argc)
				value = argv[++*i];
			else
				return cfg_fail(err, errlen, "%s: requires an "
				    "argument (%s)", shown, o->co_arg);
		}
		if (cfg_apply(cf, o, shown, value, 0, err, errlen) == -1)
			return -1;
		cf->cf_given |= cfg_bit(o);
		if (value != NULL)
			break;
	}
	return 0;
}

/*
 * Parses the command line over the defaults already in cf (see
 * cfg_init()). Long options take "--name value" or "--name=value";
 * short flags may be grouped ("-dv"). Returns 0, or -1 with a message
 * naming the option in err.
 */
int
cfg_parse_args(struct cfg *cf, int argc, char *const argv[], char *err,
    size_t errlen)
{
	const char *arg;
	int i, rc;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (arg[1] == '-')
			rc = cfg_parse_long(cf, argc, argv, &i, err, errlen);
		else
			rc = cfg_parse_short(cf, argc, argv, &i, err, errlen);
		if (rc == -1)
			return -1;
	}
	if (i < argc)
		return cfg_fail(err, errlen, "'%s': unexpected argument "
		    "(algauditd takes options only)", argv[i]);
	return 0;
}

/* The state of one configuration file being read. */
struct cfg_file {
	struct cfg	*cff_cf;
	const char	*cff_path;
	FILE		*cff_fp;
	int		 cff_line;		/* lines read so far */
	int		 cff_failed;		/* err holds the message */
	int		 cff_seen[CFG_NOPTS];	/* line an option was set on */
	char		*cff_err;
	size_t		 cff_errlen;
};

static int	 cfg_file_fail(struct cfg_file *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Records the first error of the file as "FILE:LINE: message" (line 0:
 * "FILE: message"); returns 0, what an ini_handler returns on error.
 */
static int
cfg_file_fail(struct cfg_file *f, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (f->cff_failed)
		return 0;
	f->cff_failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		cfg_fail(f->cff_err, f->cff_errlen, "%s:%d: %s", f->cff_path,
		    line, msg);
	else
		cfg_fail(f->cff_err, f->cff_errlen, "%s: %s", f->cff_path,
		    msg);
	return 0;
}

/*
 * libinih's reader: one line into buf (size bytes), like fgets(), but a
 * line that does not fit or holds a NUL byte ends the parse with an
 * error instead of being cut in two, and the lines are counted so that
 * the handler knows where it is.
 */
static char *
cfg_file_read(char *buf, int size, void *arg)
{
	struct cfg_file *f = arg;
	int c = EOF, n = 0;

	if (f->cff_failed || size < 3)
		return NULL;
	while ((c = getc(f->cff_fp)) != EOF) {
		if (c == '\0') {
			cfg_file_fail(f, f->cff_line + 1, "a NUL byte (is "
			    "this a text file?)");
			return NULL;
		}
		if (n >= size - 2 && c != '\n') {
			cfg_file_fail(f, f->cff_line + 1, "line longer than "
			    "%d bytes", size - 2);
			return NULL;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (c == EOF && ferror(f->cff_fp)) {
		cfg_file_fail(f, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	f->cff_line++;
	return buf;
}

/* Returns 1 when name is one of cfg_sections[]. */
static int
cfg_section_known(const char *name)
{
	size_t i;

	for (i = 0; i < CFG_NSECTIONS; i++)
		if (strcmp(cfg_sections[i], name) == 0)
			return 1;
	return 0;
}

/* libinih's handler: applies one "key = value" line of the file. */
static int
cfg_file_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct cfg_file *f = arg;
	const struct cfg_opt *o;
	char msg[1024];
	size_t i;

	if (f->cff_failed)
		return 0;
	if (section[0] != '\0' && !cfg_section_known(section))
		return cfg_file_fail(f, f->cff_line, "%s: unknown section "
		    "[%s] (sections: [daemon], [limits], [checkpoints], "
		    "[access], [tls], [metrics], [log])", name, section);
	if (name[0] == '\0')
		return cfg_file_fail(f, f->cff_line, "no key before '='");
	if ((o = cfg_find_long(name, strlen(name))) == NULL)
		return cfg_file_fail(f, f->cff_line, "%s: unknown key (keys "
		    "are the long options of algauditd --help)", name);
	if (o->co_flags & CFG_F_CMDLINE)
		return cfg_file_fail(f, f->cff_line, "%s: can only be given "
		    "on the command line", name);
	if (section[0] != '\0' && strcmp(section, o->co_section) != 0)
		return cfg_file_fail(f, f->cff_line, "%s: belongs in [%s], "
		    "not [%s]", name, o->co_section, section);
	i = (size_t)(o - cfg_opts);
	if (f->cff_seen[i] != 0 && o->co_type != CFG_T_ENDPOINT &&
	    o->co_type != CFG_T_ALLOW)
		return cfg_file_fail(f, f->cff_line, "%s: given twice (first "
		    "on line %d)", name, f->cff_seen[i]);
	if (cfg_apply(f->cff_cf, o, name, value, 0, msg, sizeof(msg)) == -1)
		return cfg_file_fail(f, f->cff_line, "%s", msg);
	f->cff_seen[i] = f->cff_line;
	return 1;
}

/*
 * libinih's settings for our files. Debian's build makes them variables
 * (upstream has them as compile-time macros): a heap line buffer of
 * CFG_LINE_MAX bytes, values taken literally (no inline comments, no
 * continuation lines, which would silently change a value), stop at
 * the first error.
 */
static void
cfg_file_setup(void)
{
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = CFG_LINE_MAX;
	ini_max_line = CFG_LINE_MAX;
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_allow_no_value = false;
	ini_allow_bom = true;
	ini_stop_on_first_error = true;
}

/*
 * Applies the configuration file path over cf (defaults, normally: see
 * cfg_load() for the order). Returns 0, or -1 with "FILE:LINE: message"
 * (or "FILE: message" when it cannot be opened or read) in err; cf may
 * then be partly changed. An empty file changes nothing.
 */
int
cfg_file_load(struct cfg *cf, const char *path, char *err, size_t errlen)
{
	struct cfg_file f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.cff_cf = cf;
	f.cff_path = path;
	f.cff_err = err;
	f.cff_errlen = errlen;
	if ((f.cff_fp = fopen(path, "r")) == NULL)
		return cfg_fail(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
	cfg_file_setup();
	rc = ini_parse_stream(cfg_file_read, &f, cfg_file_handler, &f);
	fclose(f.cff_fp);
	if (f.cff_failed)
		return -1;
	if (rc == -2)
		return cfg_fail(err, errlen, "%s: out of memory", path);
	if (rc != 0)
		return cfg_fail(err, errlen, "%s:%d: syntax error: expected "
		    "'key = value', '[section]' or a comment", path, rc);
	return 0;
}

/* Copies option o's value from src to dst. */
static void
cfg_copy_opt(struct cfg *dst, const struct cfg *src, const struct cfg_opt *o)
{
	const void *from = (const char *)src + o->co_offset;
	void *to = (char *)dst + o->co_offset;

	switch (o->co_type) {
	case CFG_T_PATH:
	case CFG_T_NAME:
	case CFG_T_GROUP:
	case CFG_T_HOSTPORT:
		memcpy(to, from, o->co_max + 1);
		break;
	case CFG_T_BYTES:
	case CFG_T_UINT:
	case CFG_T_OCTAL:
		memcpy(to, from, sizeof(uint64_t));
		break;
	case CFG_T_ENDPOINT:
		memcpy(dst->cf_listen, src->cf_listen, sizeof(dst->cf_listen));
		dst->cf_nlisten = src->cf_nlisten;
		dst->cf_listen_given = src->cf_listen_given;
		break;
	case CFG_T_ALLOW:
		memcpy(dst->cf_allow, src->cf_allow, sizeof(dst->cf_allow));
		dst->cf_nallow = src->cf_nallow;
		break;
	default:
		memcpy(to, from, sizeof(int));
		break;
	}
}

/* Returns 1 when option o has the same value in a and b. */
static int
cfg_opt_equal(const struct cfg *a, const struct cfg *b,
    const struct cfg_opt *o)
{
	const void *x = (const char *)a + o->co_offset;
	const void *y = (const char *)b + o->co_offset;
	size_t i;

	switch (o->co_type) {
	case CFG_T_PATH:
	case CFG_T_NAME:
	case CFG_T_GROUP:
	case CFG_T_HOSTPORT:
		return strcmp(x, y) == 0;
	case CFG_T_BYTES:
	case CFG_T_UINT:
	case CFG_T_OCTAL:
		return *(const uint64_t *)x == *(const uint64_t *)y;
	case CFG_T_ALLOW:
		if (a->cf_nallow != b->cf_nallow)
			return 0;
		for (i = 0; i < a->cf_nallow; i++)
			if (strcmp(a->cf_allow[i].ar_text,
			    b->cf_allow[i].ar_text) != 0)
				return 0;
		return 1;
	case CFG_T_ENDPOINT:
		if (a->cf_nlisten != b->cf_nlisten)
			return 0;
		for (i = 0; i < a->cf_nlisten; i++)
			if (strcmp(a->cf_listen[i].ep_text,
			    b->cf_listen[i].ep_text) != 0)
				return 0;
		return 1;
	default:
		return *(const int *)x == *(const int *)y;
	}
}

/*
 * Writes option o's value in cf as text into buf, the way the file
 * spells it; endpoints are joined with ", ". "" for an unset string.
 */
static void
cfg_format(const struct cfg *cf, const struct cfg_opt *o, char *buf,
    size_t len)
{
	const void *f = (const char *)cf + o->co_offset;
	size_t i, used;

	buf[0] = '\0';
	switch (o->co_type) {
	case CFG_T_PATH:
	case CFG_T_NAME:
	case CFG_T_GROUP:
	case CFG_T_HOSTPORT:
		snprintf(buf, len, "%s", (const char *)f);
		break;
	case CFG_T_CHOICE:
		cfg_format_choice(o->co_arg, *(const int *)f, buf, len);
		break;
	case CFG_T_BYTES:
	case CFG_T_UINT:
		snprintf(buf, len, "%" PRIu64, *(const uint64_t *)f);
		break;
	case CFG_T_OCTAL:
		snprintf(buf, len, "%04" PRIo64, *(const uint64_t *)f);
		break;
	case CFG_T_ALLOW:
		for (i = 0, used = 0; i < cf->cf_nallow && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used,
			    "%s%s", i > 0 ? "; " : "",
			    cf->cf_allow[i].ar_text);
		break;
	case CFG_T_SWITCH:
		snprintf(buf, len, "%s", *(const int *)f ? "on" : "off");
		break;
	case CFG_T_FLAG:
		snprintf(buf, len, "%s", *(const int *)f ? "yes" : "no");
		break;
	case CFG_T_ENDPOINT:
		for (i = 0, used = 0; i < cf->cf_nlisten && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used,
			    "%s%s", i > 0 ? ", " : "",
			    cf->cf_listen[i].ep_text);
		break;
	default:
		snprintf(buf, len, "%d", *(const int *)f);
		break;
	}
}

/*
 * Checks that the TLS options and the endpoints fit together: a tls:
 * endpoint needs a certificate and its key, and those options without
 * a tls: endpoint are a mistake (a client CA that is never asked for
 * would look like protection). Returns 0, or -1 with err set.
 */
static int
cfg_check_tls(const struct cfg *cf, char *err, size_t errlen)
{
	const char *tls = NULL;
	size_t i;

	for (i = 0; i < cf->cf_nlisten && tls == NULL; i++)
		if (cf->cf_listen[i].ep_type == CFG_EP_TLS)
			tls = cf->cf_listen[i].ep_text;
	if (tls != NULL && (cf->cf_tls_cert[0] == '\0' ||
	    cf->cf_tls_key[0] == '\0'))
		return cfg_fail(err, errlen, "listen: '%s' needs tls-cert and "
		    "tls-key (the daemon's certificate and private key)", tls);
	if (tls == NULL && (cf->cf_tls_cert[0] != '\0' ||
	    cf->cf_tls_key[0] != '\0' || cf->cf_tls_client_ca[0] != '\0'))
		return cfg_fail(err, errlen, "%s: given, but no listen "
		    "endpoint is tls:HOST:PORT", cf->cf_tls_cert[0] != '\0' ?
		    "tls-cert" : cf->cf_tls_key[0] != '\0' ? "tls-key" :
		    "tls-client-ca");
	return 0;
}

/*
 * Loads the configuration: the defaults, then the file given with -f
 * (if any), then every option the command line set, which overrides
 * the file (a --listen replaces the file's listen list). With --help
 * the file is not read. Returns 0; CFG_ECMDLINE with "--option:
 * message" in err; or CFG_EFILE with "FILE:LINE: message".
 */
int
cfg_load(struct cfg *cf, int argc, char *const argv[], char *err,
    size_t errlen)
{
	struct cfg *cli;
	size_t i;
	int rc = 0;

	if ((cli = malloc(sizeof(*cli))) == NULL) {
		cfg_fail(err, errlen, "out of memory");
		return CFG_ECMDLINE;
	}
	if (cfg_init(cli, err, errlen) == -1 ||
	    cfg_parse_args(cli, argc, argv, err, errlen) == -1 ||
	    cfg_init(cf, err, errlen) == -1) {
		rc = CFG_ECMDLINE;
		goto out;
	}
	if (cli->cf_file[0] != '\0' && cli->cf_mode != CFG_MODE_HELP &&
	    cfg_file_load(cf, cli->cf_file, err, errlen) == -1) {
		rc = CFG_EFILE;
		goto out;
	}
	for (i = 0; i < CFG_NOPTS; i++)
		if (cli->cf_given & cfg_bit(&cfg_opts[i]))
			cfg_copy_opt(cf, cli, &cfg_opts[i]);
	cf->cf_given = cli->cf_given;
	if (cf->cf_mode != CFG_MODE_HELP &&
	    cfg_check_tls(cf, err, errlen) == -1)
		rc = CFG_ECMDLINE;
out:
	free(cli);
	return rc;
}

/*
 * Compares next, a configuration just loaded, with cur, the running
 * one, and calls fn for every option that differs. Options marked
 * CFG_F_RELOAD are copied into cur; the others keep cur's value (they
 * need a restart). Command-line-only options are not compared. Returns
 * the number of options that differ.
 */
int
cfg_reload(struct cfg *cur, const struct cfg *next, cfg_change_fn fn,
    void *arg)
{
	const struct cfg_opt *o;
	char was[CFG_LISTEN_MAX * (CFG_ENDPOINT_MAX + 2)];
	char now[sizeof(was)];
	size_t i;
	int n = 0, live;

	for (i = 0; i < CFG_NOPTS; i++) {
		o = &cfg_opts[i];
		if ((o->co_flags & CFG_F_CMDLINE) ||
		    cfg_opt_equal(cur, next, o))
			continue;
		n++;
		live = (o->co_flags & CFG_F_RELOAD) != 0;
		cfg_format(cur, o, was, sizeof(was));
		cfg_format(next, o, now, sizeof(now));
		if (live)
			cfg_copy_opt(cur, next, o);
		if (fn != NULL)
			fn(o->co_name, was, now, live, arg);
	}
	return n;
}

/* Writes the default of option o as --help shows it, or nothing. */
static void
cfg_usage_default(FILE *fp, const struct cfg_opt *o)
{
	if (o->co_default == NULL || o->co_type == CFG_T_FLAG)
		return;
	fprintf(fp, "%*s(default %s", 30, "", o->co_default);
	if (o->co_type == CFG_T_BYTES || o->co_type == CFG_T_UINT)
		fprintf(fp, "; %" PRIu64 "..%" PRIu64, o->co_min, o->co_max);
	fprintf(fp, ")\n");
}

/* Writes word after the text at column *col, wrapping at 72 columns. */
static void
cfg_usage_word(FILE *fp, int *col, const char *word)
{
	int len = (int)strlen(word);

	if (*col > 0 && *col + 1 + len > 72) {
		fprintf(fp, "\n ");
		*col = 1;
	}
	fprintf(fp, "%s%s", *col > 1 ? " " : "", word);
	*col += len + (*col > 1 ? 1 : 0);
}

/* Writes the configuration file's sections and keys, from the table. */
static void
cfg_usage_file(FILE *fp)
{
	char word[64];
	size_t i, j;
	int col = 0, first;

	fprintf(fp, "\nConfiguration file (-f FILE): INI, one \"key = value\" "
	    "a line, whole-line\ncomments starting with # or ;. The keys are "
	    "the long options above\n(verbose = N for -v); each stands before "
	    "the first section or in its\nown one:\n ");
	col = 1;
	for (i = 0; i < CFG_NSECTIONS; i++) {
		first = 1;
		for (j = 0; j < CFG_NOPTS; j++) {
			if (cfg_opts[j].co_section == NULL ||
			    strcmp(cfg_opts[j].co_section,
			    cfg_sections[i]) != 0)
				continue;
			if (first)
				snprintf(word, sizeof(word), "[%s] %s",
				    cfg_sections[i], cfg_opts[j].co_name);
			else
				snprintf(word, sizeof(word), "%s",
				    cfg_opts[j].co_name);
			first = 0;
			cfg_usage_word(fp, &col, word);
		}
		if (!first && i + 1 < CFG_NSECTIONS) {
			fprintf(fp, ";");
			col++;
		}
	}
	fprintf(fp, ".\nOptions on the command line override the file. "
	    "--dump-config prints one.\n\nSignals: SIGTERM or SIGINT stop "
	    "the daemon gracefully (every batch received\nis committed and "
	    "acknowledged, then clients get SHUTTING_DOWN). SIGHUP\nre-reads "
	    "FILE and applies the new values of:\n ");
	col = 1;
	for (j = 0; j < CFG_NOPTS; j++)
		if (cfg_opts[j].co_flags & CFG_F_RELOAD)
			cfg_usage_word(fp, &col, cfg_opts[j].co_name);
	fprintf(fp, ";\nother changes are logged as needing a restart; a bad "
	    "file changes nothing.\n");
}

/* Writes the usage text, generated from the option table, to fp. */
void
cfg_usage(FILE *fp)
{
	const struct cfg_opt *o;
	const char *h, *nl;
	char left[64];
	size_t i;

	fprintf(fp, "usage: algauditd [-dhnv] [-f FILE] [--option value "
	    "...]\n\n"
	    "algauditd receives decision records from producers and makes "
	    "them durable\nin an audit store. Options:\n\n");
	for (i = 0; i < CFG_NOPTS; i++) {
		o = &cfg_opts[i];
		if (o->co_short != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
			    o->co_short, o->co_name, o->co_arg ? " " : "",
			    o->co_arg ? o->co_arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->co_name,
			    o->co_arg ? " " : "", o->co_arg ? o->co_arg : "");
		fprintf(fp, "  %-27s ", left);
		if (strlen(left) > 27)
			fprintf(fp, "\n%*s", 30, "");
		for (h = o->co_help; (nl = strchr(h, '\n')) != NULL;
		    h = nl + 1)
			fprintf(fp, "%.*s\n%*s", (int)(nl - h), h, 30, "");
		fprintf(fp, "%s\n", h);
		cfg_usage_default(fp, o);
	}
	cfg_usage_file(fp);
	fprintf(fp, "\nExit status:\n"
	    "  0  clean shutdown, or -n/--help/--dump-config succeeded\n"
	    "  1  cannot start: bad option or configuration file, store "
	    "cannot be\n     opened, address in use, or another algauditd "
	    "answers on the socket\n");
}

/*
 * Writes the effective configuration to fp as a configuration file,
 * one section after the other, so that algauditd -n -f reads it back
 * to the same values. Unset strings (origin, key) are left out: they
 * mean "the default".
 */
void
cfg_dump(const struct cfg *cf, FILE *fp)
{
	const struct cfg_opt *o;
	char value[CFG_PATH_MAX];
	size_t i, j, k;

	fprintf(fp, "# algauditd effective configuration; check a file with "
	    "algauditd -n -f FILE\n");
	for (i = 0; i < CFG_NSECTIONS; i++) {
		fprintf(fp, "\n[%s]\n", cfg_sections[i]);
		for (j = 0; j < CFG_NOPTS; j++) {
			o = &cfg_opts[j];
			if ((o->co_flags & CFG_F_CMDLINE) ||
			    strcmp(o->co_section, cfg_sections[i]) != 0)
				continue;
			if (o->co_type == CFG_T_ENDPOINT) {
				for (k = 0; k < cf->cf_nlisten; k++)
					fprintf(fp, "%s = %s\n", o->co_name,
					    cf->cf_listen[k].ep_text);
				continue;
			}
			if (o->co_type == CFG_T_ALLOW) {
				for (k = 0; k < cf->cf_nallow; k++)
					fprintf(fp, "%s = %s\n", o->co_name,
					    cf->cf_allow[k].ar_text);
				continue;
			}
			cfg_format(cf, o, value, sizeof(value));
			if (value[0] != '\0')
				fprintf(fp, "%s = %s\n", o->co_name, value);
		}
	}
}
