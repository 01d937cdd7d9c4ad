/* SPDX-License-Identifier: ISC */
/*
 * check_cfg.c: unit tests of the daemon's option table (daemon/cfg.c):
 * the defaults, every option parsed in each spelling, numbers with and
 * without suffixes, values out of range and not numbers (each error
 * naming the option and quoting the value), repeated --listen, the
 * unix: and tcp: endpoint syntax including bad ones, the modes (-n,
 * --help, --dump-config), cfg_set(), and that --help and --dump-config
 * are generated from the table.
 *
 * The configuration file (TCase "file", a fresh temp directory per
 * test): every key in its section and before any, comments, CRLF, an
 * empty file; each bad input with its exact "FILE:LINE: message"
 * (unknown key and section, a key in another section, a key given
 * twice, command-line-only keys, bad values, syntax errors, an
 * over-long line, a NUL byte, a missing and an unreadable file);
 * cfg_load()'s precedence (command line over file, also for listen and
 * -v); --dump-config read back as a file; cfg_reload()'s split between
 * options applied live and those that need a restart.
 *
 * TCase "access": the handshake and idle timeouts, socket-mode (octal),
 * socket-group (a name or a number, resolved), repeated allow rules
 * (the rule syntax itself is check_allow.c's), in the file's [access]
 * section, dumped and read back, the command line's rules replacing
 * the file's, and which of them a reload applies.
 *
 * TCase "store_metrics": on-store-full (a choice), max-store-size, the
 * free-space thresholds, metrics (HOST:PORT or off), metrics-allow-
 * remote and clock-skew: defaults, good and bad values with their
 * messages, the [limits] and [metrics] sections, the dump read back,
 * and which of them a reload applies.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define ARGS_MAX	64

static struct cfg C;
static char E[1024];

/* Fresh defaults before each test. */
static void
cfg_setup(void)
{
	E[0] = '\0';
	ck_assert_int_eq(cfg_init(&C, E, sizeof(E)), 0);
}

/* Parses "algauditd" followed by the NULL-terminated arguments. */
static int
parse(const char *first, ...)
{
	char *argv[ARGS_MAX];
	const char *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)(uintptr_t)"algauditd";
	va_start(ap, first);
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, ARGS_MAX - 1);
		argv[argc++] = (char *)(uintptr_t)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	E[0] = '\0';
	return cfg_parse_args(&C, argc, argv, E, sizeof(E));
}

/* Asserts that parsing fails with exactly the message msg. */
#define FAILS(msg, ...)	do {						\
	ck_assert_int_eq(parse(__VA_ARGS__, (const char *)NULL), -1);	\
	ck_assert_str_eq(E, (msg));					\
} while (0)

/* Asserts that parsing succeeds. */
#define PARSES(...)	do {						\
	if (parse(__VA_ARGS__, (const char *)NULL) != 0)		\
		ck_abort_msg("refused: %s", E);				\
} while (0)

START_TEST(test_defaults)
{
	ck_assert_str_eq(C.cf_store, "./var/store");
	ck_assert_uint_eq(C.cf_nlisten, 1);
	ck_assert_int_eq(C.cf_listen[0].ep_type, CFG_EP_UNIX);
	ck_assert_str_eq(C.cf_listen[0].ep_path, "./var/algauditd.sock");
	ck_assert_str_eq(C.cf_listen[0].ep_text, "unix:./var/algauditd.sock");
	ck_assert_str_eq(C.cf_origin, "");
	ck_assert_uint_eq(C.cf_max_frame, 4u * 1024 * 1024);
	ck_assert_uint_eq(C.cf_max_frame, FRAME_MAX_DEFAULT);
	ck_assert_uint_eq(C.cf_max_pending, 256u * 1024 * 1024);
	ck_assert_uint_eq(C.cf_max_conns, 1024);
	ck_assert_uint_eq(C.cf_commit_max, 65536);
	ck_assert_int_eq(C.cf_foreground, 1);
	ck_assert_int_eq(C.cf_verbose, 0);
	ck_assert_int_eq(C.cf_mode, CFG_MODE_RUN);
	/* No arguments at all keep them. */
	PARSES(NULL);
	ck_assert_uint_eq(C.cf_max_conns, 1024);
}
END_TEST

START_TEST(test_store)
{
	PARSES("--store", "/srv/audit");
	ck_assert_str_eq(C.cf_store, "/srv/audit");
	PARSES("--store=/a=b");
	ck_assert_str_eq(C.cf_store, "/a=b");
	FAILS("--store: empty value", "--store", "");
	FAILS("--store: requires an argument (DIR)", "--store");
}
END_TEST

START_TEST(test_origin)
{
	char big[CFG_ORIGIN_MAX + 1];

	PARSES("--origin", "example.com/audit");
	ck_assert_str_eq(C.cf_origin, "example.com/audit");
	FAILS("--origin: 'a b': byte 1 is not printable ASCII (no spaces)",
	    "--origin", "a b");
	FAILS("--origin: empty value", "--origin=");
	memset(big, 'o', CFG_ORIGIN_MAX - 1);
	big[CFG_ORIGIN_MAX - 1] = '\0';
	PARSES("--origin", big);
	big[CFG_ORIGIN_MAX - 1] = 'o';
	big[CFG_ORIGIN_MAX] = '\0';
	ck_assert_int_eq(parse("--origin", big, NULL), -1);
	ck_assert_ptr_nonnull(strstr(E, "--origin: "));
	ck_assert_ptr_nonnull(strstr(E, "256 bytes, longer than the limit "
	    "of 255"));
}
END_TEST

START_TEST(test_max_frame)
{
	PARSES("--max-frame", "1M");
	ck_assert_uint_eq(C.cf_max_frame, 1024 * 1024);
	PARSES("--max-frame=2048");
	ck_assert_uint_eq(C.cf_max_frame, 2048);
	PARSES("--max-frame", "1024");
	ck_assert_uint_eq(C.cf_max_frame, FRAME_MIN_LIMIT);
	PARSES("--max-frame", "64m");
	ck_assert_uint_eq(C.cf_max_frame, FRAME_MAX_LIMIT);
	PARSES("--max-frame", "4k");
	ck_assert_uint_eq(C.cf_max_frame, 4096);
}
END_TEST

START_TEST(test_max_frame_bad)
{
	FAILS("--max-frame: '12x' is not a number (a K, M, G or T suffix may "
	    "follow)", "--max-frame", "12x");
	FAILS("--max-frame: '1023' is out of range (1024..67108864)",
	    "--max-frame", "1023");
	FAILS("--max-frame: '67108865' is out of range (1024..67108864)",
	    "--max-frame", "67108865");
	FAILS("--max-frame: '1G' is out of range (1024..67108864)",
	    "--max-frame", "1G");
	FAILS("--max-frame: '99999999999999999999' is out of range "
	    "(1024..67108864)", "--max-frame", "99999999999999999999");
	FAILS("--max-frame: '20000000000000T' is out of range "
	    "(1024..67108864)", "--max-frame", "20000000000000T");
	FAILS("--max-frame: '-5' is not a number (a K, M, G or T suffix may "
	    "follow)", "--max-frame", "-5");
	FAILS("--max-frame: '' is not a number (a K, M, G or T suffix may "
	    "follow)", "--max-frame=");
	FAILS("--max-frame: '1MB' is not a number (a K, M, G or T suffix may "
	    "follow)", "--max-frame", "1MB");
	FAILS("--max-frame: ' 2048' starts or ends with white space (a "
	    "configuration file could not hold it)", "--max-frame", " 2048");
	FAILS("--max-frame: requires an argument (BYTES)", "--max-frame");
}
END_TEST

START_TEST(test_max_pending)
{
	PARSES("--max-pending", "1G");
	ck_assert_uint_eq(C.cf_max_pending, (uint64_t)1 << 30);
	PARSES("--max-pending", "1t");
	ck_assert_uint_eq(C.cf_max_pending, (uint64_t)1 << 40);
	FAILS("--max-pending: '1023K' is out of range "
	    "(1048576..1099511627776)", "--max-pending", "1023K");
	FAILS("--max-pending: 'lots' is not a number (a K, M, G or T suffix "
	    "may follow)", "--max-pending", "lots");
}
END_TEST

START_TEST(test_max_connections)
{
	PARSES("--max-connections", "1");
	ck_assert_uint_eq(C.cf_max_conns, 1);
	PARSES("--max-connections=1000000");
	ck_assert_uint_eq(C.cf_max_conns, 1000000);
	FAILS("--max-connections: '0' is out of range (1..1000000)",
	    "--max-connections", "0");
	FAILS("--max-connections: '1000001' is out of range (1..1000000)",
	    "--max-connections", "1000001");
	/* Counts take no size suffix. */
	FAILS("--max-connections: '1k' is not a number",
	    "--max-connections", "1k");
}
END_TEST

START_TEST(test_commit_max_records)
{
	PARSES("--commit-max-records", "1");
	ck_assert_uint_eq(C.cf_commit_max, 1);
	PARSES("--commit-max-records", "16777216");
	ck_assert_uint_eq(C.cf_commit_max, 16777216);
	FAILS("--commit-max-records: '0' is out of range (1..16777216)",
	    "--commit-max-records", "0");
	FAILS("--commit-max-records: '16777217' is out of range "
	    "(1..16777216)", "--commit-max-records", "16777217");
}
END_TEST

START_TEST(test_verifiable_log_options)
{
	ck_assert_str_eq(C.cf_key, "");
	ck_assert_uint_eq(C.cf_ckpt_entries, 10000);
	ck_assert_uint_eq(C.cf_ckpt_interval, 500);
	ck_assert_int_eq(C.cf_tree, 1);
	ck_assert_uint_eq(C.cf_hash_threads, 1);
	PARSES("--hash-threads", "0");
	ck_assert_uint_eq(C.cf_hash_threads, 0);
	FAILS("--hash-threads: '17' is out of range (0..16)",
	    "--hash-threads", "17");
	PARSES("--key", "/etc/algaudit/signer.key", "--checkpoint-entries",
	    "1", "--checkpoint-interval=3600000", "--tree", "off");
	ck_assert_str_eq(C.cf_key, "/etc/algaudit/signer.key");
	ck_assert_uint_eq(C.cf_ckpt_entries, 1);
	ck_assert_uint_eq(C.cf_ckpt_interval, 3600000);
	ck_assert_int_eq(C.cf_tree, 0);
	PARSES("--tree=on");
	ck_assert_int_eq(C.cf_tree, 1);
	FAILS("--tree: 'maybe' is not on or off", "--tree", "maybe");
	FAILS("--tree: requires an argument (on|off)", "--tree");
	FAILS("--key: empty value", "--key", "");
	FAILS("--checkpoint-entries: '0' is out of range (1..16777216)",
	    "--checkpoint-entries", "0");
	FAILS("--checkpoint-interval: '0' is out of range (1..3600000)",
	    "--checkpoint-interval", "0");
	FAILS("--checkpoint-interval: '3600001' is out of range "
	    "(1..3600000)", "--checkpoint-interval", "3600001");
	FAILS("--checkpoint-interval: '1s' is not a number",
	    "--checkpoint-interval", "1s");
	ck_assert_int_eq(cfg_set(&C, "tree", "no", E, sizeof(E)), 0);
	ck_assert_int_eq(C.cf_tree, 0);
}
END_TEST

START_TEST(test_flags)
{
	PARSES("-d");
	ck_assert_int_eq(C.cf_foreground, 1);
	PARSES("-v");
	ck_assert_int_eq(C.cf_verbose, 1);
	PARSES("-vv");
	ck_assert_int_eq(C.cf_verbose, 3);
	PARSES("-vvvvv", "--verbose");
	ck_assert_int_eq(C.cf_verbose, 3);	/* capped */
	FAILS("--foreground: takes no argument", "--foreground=yes");
	FAILS("--verbose: takes no argument", "--verbose=2");
}
END_TEST

START_TEST(test_grouped_short_flags)
{
	PARSES("-dvn");
	ck_assert_int_eq(C.cf_foreground, 1);
	ck_assert_int_eq(C.cf_verbose, 1);
	ck_assert_int_eq(C.cf_mode, CFG_MODE_CHECK);
	FAILS("-x: unknown option (see --help)", "-dxv");
}
END_TEST

START_TEST(test_check_mode)
{
	PARSES("-n");
	ck_assert_int_eq(C.cf_mode, CFG_MODE_CHECK);
	cfg_setup();
	PARSES("--check-config", "--max-frame", "8k");
	ck_assert_int_eq(C.cf_mode, CFG_MODE_CHECK);
	ck_assert_uint_eq(C.cf_max_frame, 8192);
	/* -n does not hide errors: they are what it is for. */
	FAILS("--max-frame: '12x' is not a number (a K, M, G or T suffix may "
	    "follow)", "-n", "--max-frame", "12x");
}
END_TEST

START_TEST(test_help_and_dump_modes)
{
	PARSES("--dump-config");
	ck_assert_int_eq(C.cf_mode, CFG_MODE_DUMP);
	cfg_setup();
	PARSES("-n", "--help");
	ck_assert_int_eq(C.cf_mode, CFG_MODE_HELP);
	cfg_setup();
	PARSES("-h", "-n", "--dump-config");
	ck_assert_int_eq(C.cf_mode, CFG_MODE_HELP);	/* help wins */
}
END_TEST

START_TEST(test_unknown_and_positional)
{
	FAILS("--nope: unknown option (see --help)", "--nope");
	FAILS("--nope: unknown option (see --help)", "--nope=1");
	FAILS("--max: unknown option (see --help)", "--max", "1");
	FAILS("-q: unknown option (see --help)", "-q");
	FAILS("'extra': unexpected argument (algauditd takes options only)",
	    "-d", "extra");
	FAILS("'-': unexpected argument (algauditd takes options only)", "-");
	FAILS("'-v': unexpected argument (algauditd takes options only)",
	    "--", "-v");
	PARSES("-v", "--");
	ck_assert_int_eq(C.cf_verbose, 1);
}
END_TEST

START_TEST(test_listen_replaces_default)
{
	PARSES("--listen", "unix:/run/a.sock");
	ck_assert_uint_eq(C.cf_nlisten, 1);
	ck_assert_str_eq(C.cf_listen[0].ep_path, "/run/a.sock");
}
END_TEST

START_TEST(test_listen_repeated)
{
	PARSES("--listen", "unix:/run/a.sock", "--listen=tcp:127.0.0.1:7000",
	    "--listen", "tcp:[::1]:7001");
	ck_assert_uint_eq(C.cf_nlisten, 3);
	ck_assert_int_eq(C.cf_listen[0].ep_type, CFG_EP_UNIX);
	ck_assert_int_eq(C.cf_listen[1].ep_type, CFG_EP_TCP);
	ck_assert_str_eq(C.cf_listen[1].ep_host, "127.0.0.1");
	ck_assert_str_eq(C.cf_listen[1].ep_port, "7000");
	ck_assert_str_eq(C.cf_listen[2].ep_host, "::1");
	ck_assert_str_eq(C.cf_listen[2].ep_port, "7001");
	/* The default may be given again explicitly. */
	cfg_setup();
	PARSES("--listen", "unix:./var/algauditd.sock");
	ck_assert_uint_eq(C.cf_nlisten, 1);
}
END_TEST

START_TEST(test_listen_twice_and_too_many)
{
	char ep[CFG_LISTEN_MAX + 1][32];
	char *argv[2 * (CFG_LISTEN_MAX + 1) + 1];
	int i, argc = 0;

	FAILS("--listen: 'unix:/a' given twice", "--listen", "unix:/a",
	    "--listen", "unix:/a");
	argv[argc++] = (char *)(uintptr_t)"algauditd";
	for (i = 0; i <= CFG_LISTEN_MAX; i++) {
		snprintf(ep[i], sizeof(ep[i]), "tcp:127.0.0.1:%d", 7000 + i);
		argv[argc++] = (char *)(uintptr_t)"--listen";
		argv[argc++] = ep[i];
	}
	cfg_setup();
	ck_assert_int_eq(cfg_parse_args(&C, argc - 2, argv, E, sizeof(E)), 0);
	ck_assert_uint_eq(C.cf_nlisten, CFG_LISTEN_MAX);
	cfg_setup();
	ck_assert_int_eq(cfg_parse_args(&C, argc, argv, E, sizeof(E)), -1);
	ck_assert_str_eq(E, "--listen: more than 16 endpoints");
}
END_TEST

START_TEST(test_listen_bad_named)
{
	FAILS("--listen: 'http://x': must be unix:PATH, tcp:HOST:PORT or "
	    "tls:HOST:PORT",
	    "--listen", "http://x");
	FAILS("--listen: requires an argument (ENDPOINT)", "--listen");
}
END_TEST

/* Endpoint cases: text, expected error ("" when valid). */
static const struct {
	const char	*text;
	const char	*err;
	int		 type;
	const char	*host_or_path;
	const char	*port;
} eps[] = {
	{ "unix:/run/algaudit/algauditd.sock", "", CFG_EP_UNIX,
	    "/run/algaudit/algauditd.sock", "" },
	{ "unix:rel.sock", "", CFG_EP_UNIX, "rel.sock", "" },
	{ "unix:", "'unix:': empty path", 0, NULL, NULL },
	{ "tcp:127.0.0.1:7000", "", CFG_EP_TCP, "127.0.0.1", "7000" },
	{ "tcp:localhost:1", "", CFG_EP_TCP, "localhost", "1" },
	{ "tcp:0.0.0.0:65535", "", CFG_EP_TCP, "0.0.0.0", "65535" },
	{ "tcp:[::1]:7000", "", CFG_EP_TCP, "::1", "7000" },
	{ "tcp:[::]:7000", "", CFG_EP_TCP, "::", "7000" },
	{ "tcp:[fe80::1%eth0]:7000", "", CFG_EP_TCP, "fe80::1%eth0", "7000" },
	{ "tls:127.0.0.1:7443", "", CFG_EP_TLS, "127.0.0.1", "7443" },
	{ "tls:[::1]:7443", "", CFG_EP_TLS, "::1", "7443" },
	{ "tls:audit.example.org:1", "", CFG_EP_TLS, "audit.example.org",
	    "1" },
	{ "tls:::1:7443", "'tls:::1:7443': an IPv6 address must be in "
	    "brackets, e.g. tls:[::1]:PORT", 0, NULL, NULL },
	{ "tls:h", "'tls:h': missing ':PORT'", 0, NULL, NULL },
	{ "tls:h:0", "'tls:h:0': port '0' is not a number from 1 to 65535",
	    0, NULL, NULL },
	{ "TLS:h:1", "'TLS:h:1': must be unix:PATH, tcp:HOST:PORT or "
	    "tls:HOST:PORT", 0, NULL, NULL },
	{ "tcp:127.0.0.1", "'tcp:127.0.0.1': missing ':PORT'", 0, NULL,
	    NULL },
	{ "tcp::7000", "'tcp::7000': empty host (use 0.0.0.0 or [::] for "
	    "every address)", 0, NULL, NULL },
	{ "tcp:[]:7000", "'tcp:[]:7000': empty host (use 0.0.0.0 or [::] "
	    "for every address)", 0, NULL, NULL },
	{ "tcp:::1:7000", "'tcp:::1:7000': an IPv6 address must be in "
	    "brackets, e.g. tcp:[::1]:PORT", 0, NULL, NULL },
	{ "tcp:[::1:7000", "'tcp:[::1:7000': missing ']' after the IPv6 "
	    "address", 0, NULL, NULL },
	{ "tcp:[::1]7000", "'tcp:[::1]7000': expected ':PORT' after ']'", 0,
	    NULL, NULL },
	{ "tcp:h:0", "'tcp:h:0': port '0' is not a number from 1 to 65535",
	    0, NULL, NULL },
	{ "tcp:h:65536", "'tcp:h:65536': port '65536' is not a number from 1 "
	    "to 65535", 0, NULL, NULL },
	{ "tcp:h:http", "'tcp:h:http': port 'http' is not a number from 1 to "
	    "65535", 0, NULL, NULL },
	{ "tcp:h:", "'tcp:h:': port '' is not a number from 1 to 65535", 0,
	    NULL, NULL },
	{ "tcp:h:-1", "'tcp:h:-1': port '-1' is not a number from 1 to "
	    "65535", 0, NULL, NULL },
	{ "tcp:h:0000080", "'tcp:h:0000080': port '0000080' is not a number "
	    "from 1 to 65535", 0, NULL, NULL },
	{ "udp:h:1", "'udp:h:1': must be unix:PATH, tcp:HOST:PORT or "
	    "tls:HOST:PORT", 0, NULL, NULL },
	{ "/run/a.sock", "'/run/a.sock': must be unix:PATH, tcp:HOST:PORT "
	    "or tls:HOST:PORT", 0, NULL, NULL },
	{ "", "'': must be unix:PATH, tcp:HOST:PORT or tls:HOST:PORT", 0,
	    NULL, NULL },
	{ "UNIX:/a", "'UNIX:/a': must be unix:PATH, tcp:HOST:PORT or "
	    "tls:HOST:PORT", 0, NULL, NULL },
};

START_TEST(test_endpoint_cases)
{
	struct cfg_endpoint ep;
	int rc;

	E[0] = '\0';
	rc = cfg_parse_endpoint(eps[_i].text, &ep, E, sizeof(E));
	if (eps[_i].err[0] == '\0') {
		if (rc != 0)
			ck_abort_msg("'%s' refused: %s", eps[_i].text, E);
		ck_assert_int_eq(ep.ep_type, eps[_i].type);
		ck_assert_str_eq(ep.ep_text, eps[_i].text);
		if (ep.ep_type == CFG_EP_UNIX)
			ck_assert_str_eq(ep.ep_path, eps[_i].host_or_path);
		else {
			ck_assert_str_eq(ep.ep_host, eps[_i].host_or_path);
			ck_assert_str_eq(ep.ep_port, eps[_i].port);
		}
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(E, eps[_i].err);
	}
}
END_TEST

START_TEST(test_endpoint_unix_path_limit)
{
	struct cfg_endpoint ep;
	char text[5 + CFG_UNIX_PATH_MAX + 1];

	memcpy(text, "unix:", 5);
	memset(text + 5, 'p', CFG_UNIX_PATH_MAX - 1);
	text[5 + CFG_UNIX_PATH_MAX - 1] = '\0';
	ck_assert_int_eq(cfg_parse_endpoint(text, &ep, E, sizeof(E)), 0);
	ck_assert_uint_eq(strlen(ep.ep_path), CFG_UNIX_PATH_MAX - 1);
	text[5 + CFG_UNIX_PATH_MAX - 1] = 'p';
	text[5 + CFG_UNIX_PATH_MAX] = '\0';
	ck_assert_int_eq(cfg_parse_endpoint(text, &ep, E, sizeof(E)), -1);
	ck_assert_ptr_nonnull(strstr(E, "path is 108 bytes, longer than the "
	    "limit of 107"));
}
END_TEST

START_TEST(test_endpoint_too_long)
{
	struct cfg_endpoint ep;
	char text[CFG_ENDPOINT_MAX + 10];

	memcpy(text, "tcp:", 4);
	memset(text + 4, 'h', sizeof(text) - 4);
	text[sizeof(text) - 1] = '\0';
	ck_assert_int_eq(cfg_parse_endpoint(text, &ep, E, sizeof(E)), -1);
	ck_assert_ptr_nonnull(strstr(E, "longer than the limit of 299"));
	memset(text + 4, 'h', CFG_HOST_MAX);
	strcpy(text + 4 + CFG_HOST_MAX, ":1");
	ck_assert_int_eq(cfg_parse_endpoint(text, &ep, E, sizeof(E)), -1);
	ck_assert_ptr_nonnull(strstr(E, "host is 256 bytes, longer than the "
	    "limit of 255"));
}
END_TEST

START_TEST(test_parse_number)
{
	uint64_t v;

	ck_assert_int_eq(cfg_parse_number("0", 0, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(cfg_parse_number("18446744073709551615", 0, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(cfg_parse_number("18446744073709551616", 0, &v), -2);
	ck_assert_int_eq(cfg_parse_number("16777215T", 1, &v), 0);
	ck_assert_uint_eq(v, (uint64_t)16777215 << 40);
	ck_assert_int_eq(cfg_parse_number("16777216T", 1, &v), -2);
	ck_assert_int_eq(cfg_parse_number("3K", 1, &v), 0);
	ck_assert_uint_eq(v, 3072);
	ck_assert_int_eq(cfg_parse_number("3K", 0, &v), -1);
	ck_assert_int_eq(cfg_parse_number("3KK", 1, &v), -1);
	ck_assert_int_eq(cfg_parse_number("K", 1, &v), -1);
	ck_assert_int_eq(cfg_parse_number("+3", 1, &v), -1);
	ck_assert_int_eq(cfg_parse_number("3 ", 1, &v), -1);
	ck_assert_int_eq(cfg_parse_number("0x10", 1, &v), -1);
	ck_assert_int_eq(cfg_parse_number("", 1, &v), -1);
}
END_TEST

START_TEST(test_cfg_set)
{
	ck_assert_int_eq(cfg_set(&C, "max-frame", "8K", E, sizeof(E)), 0);
	ck_assert_uint_eq(C.cf_max_frame, 8192);
	ck_assert_int_eq(cfg_set(&C, "listen", "unix:/x", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&C, "listen", "unix:/y", E, sizeof(E)), 0);
	ck_assert_uint_eq(C.cf_nlisten, 2);
	ck_assert_int_eq(cfg_set(&C, "max-frame", "12x", E, sizeof(E)), -1);
	ck_assert_str_eq(E, "max-frame: '12x' is not a number (a K, M, G or "
	    "T suffix may follow)");
	ck_assert_int_eq(cfg_set(&C, "nope", "1", E, sizeof(E)), -1);
	ck_assert_str_eq(E, "nope: unknown option");
	ck_assert_int_eq(cfg_set(&C, "verbose", "2", E, sizeof(E)), 0);
	ck_assert_int_eq(C.cf_verbose, 2);
	ck_assert_int_eq(cfg_set(&C, "verbose", "4", E, sizeof(E)), -1);
	ck_assert_str_eq(E, "verbose: '4' is out of range (0..3)");
	ck_assert_int_eq(cfg_set(&C, "foreground", "yes", E, sizeof(E)), -1);
	ck_assert_str_eq(E, "foreground: can only be given on the command "
	    "line");
	ck_assert_int_eq(cfg_set(&C, "config", "/x", E, sizeof(E)), -1);
	ck_assert_str_eq(E, "config: can only be given on the command line");
	ck_assert_int_eq(cfg_set(&C, "help", "", E, sizeof(E)), -1);
}
END_TEST

/* Runs fn into a memory stream and returns what it wrote (free it). */
static char *
capture(int dump)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	if (dump)
		cfg_dump(&C, fp);
	else
		cfg_usage(fp);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

START_TEST(test_dump_config)
{
	char *out;

	PARSES("--max-frame", "1M", "--listen", "unix:/a", "--listen",
	    "tcp:[::1]:7", "--origin", "o.example/log");
	out = capture(1);
	ck_assert_ptr_nonnull(strstr(out, "\nstore = ./var/store\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nlisten = unix:/a\n"
	    "listen = tcp:[::1]:7\n"));
	ck_assert_ptr_nonnull(strstr(out, "\norigin = o.example/log\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nmax-frame = 1048576\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nmax-pending = 268435456\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nmax-connections = 1024\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ncommit-max-records = 65536\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ncheckpoint-entries = 10000\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ncheckpoint-interval = 500\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ntree = on\n"));
	/* An unset key is the store's default, not an empty value. */
	ck_assert_ptr_null(strstr(out, "\nkey = "));
	/* Sections, in order; the log level is a file option. */
	ck_assert_ptr_nonnull(strstr(out, "\n[daemon]\nstore = "));
	ck_assert_ptr_nonnull(strstr(out, "\n[limits]\nmax-frame = "));
	ck_assert_ptr_nonnull(strstr(out, "\n[checkpoints]\n"
	    "checkpoint-entries = "));
	ck_assert_ptr_nonnull(strstr(out, "\n[log]\nverbose = 0\n"));
	ck_assert(strstr(out, "[daemon]") < strstr(out, "[limits]"));
	/* Command-line-only switches are not configuration. */
	ck_assert_ptr_null(strstr(out, "foreground"));
	ck_assert_ptr_null(strstr(out, "config ="));
	ck_assert_ptr_null(strstr(out, "help"));
	free(out);
}
END_TEST

START_TEST(test_dump_reparses)
{
	char *out, *line, *save, *eq;
	struct cfg orig;

	PARSES("--max-pending", "3G", "--listen", "tcp:127.0.0.1:9",
	    "--commit-max-records", "77", "--tree", "off", "--key", "/k");
	orig = C;
	out = capture(1);
	cfg_setup();
	/* Each "name = value" line goes back in through cfg_set(). */
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || (eq = strstr(line, " = ")) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(line, "origin") == 0 && eq[3] == '\0')
			continue;
		if (cfg_set(&C, line, eq + 3, E, sizeof(E)) != 0)
			ck_abort_msg("%s", E);
	}
	ck_assert_uint_eq(C.cf_max_pending, orig.cf_max_pending);
	ck_assert_uint_eq(C.cf_commit_max, 77);
	ck_assert_int_eq(C.cf_tree, 0);
	ck_assert_str_eq(C.cf_key, "/k");
	ck_assert_uint_eq(C.cf_nlisten, 1);
	ck_assert_str_eq(C.cf_listen[0].ep_text, "tcp:127.0.0.1:9");
	free(out);
}
END_TEST

START_TEST(test_usage_lists_every_option)
{
	static const char *opts[] = { "--store DIR", "--listen ENDPOINT",
	    "--origin NAME", "--max-frame BYTES", "--max-pending BYTES",
	    "--max-connections N", "--commit-max-records N", "--key FILE",
	    "--checkpoint-entries N", "--checkpoint-interval MS",
	    "--tree on|off", "--hash-threads N", "(default 1; 0..16)",
	    "(default 10000; 1..16777216)",
	    "(default 500; 1..3600000)", "(default on)",
	    "-d, --foreground", "-v, --verbose", "-n, --check-config",
	    "--dump-config", "-h, --help", "(default 4M; 1024..67108864)",
	    "(default unix:./var/algauditd.sock)", "Exit status:",
	    "SIGTERM", "-f, --config FILE", "[-f FILE]",
	    "[daemon] store listen origin key hash-threads tree;",
	    "[limits] max-frame", "[checkpoints] checkpoint-entries",
	    "[log] verbose.", "SIGHUP\nre-reads FILE",
	    "[access] socket-mode socket-group allow\n tcp-allow-remote;",
	    "[tls] tls-cert tls-key tls-client-ca;",
	    "[metrics] metrics metrics-allow-remote clock-skew;",
	    "--on-store-full block|refuse", "--max-store-size BYTES",
	    "--metrics HOST:PORT", "(default 300; 1..3153600000)",
	    (" max-frame max-pending max-connections commit-max-records\n"
	    " handshake-timeout idle-timeout on-store-full max-store-size\n"
	    " store-free-warn store-free-critical checkpoint-entries\n"
	    " checkpoint-interval allow tls-cert tls-key tls-client-ca "
	    "clock-skew\n verbose;") };
	char *out, *line;
	size_t i;

	out = capture(0);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strstr(out, opts[i]) == NULL)
			ck_abort_msg("--help lacks '%s'", opts[i]);
	for (line = out; line != NULL && *line != '\0'; ) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > 79)
			ck_abort_msg("--help line over 79 columns: %.*s",
			    (int)len, line);
		line = nl ? nl + 1 : NULL;
	}
	free(out);
}
END_TEST

/* The configuration file tests' temp directory and file. */
static char D[64];
static char F[128];

/* A fresh directory for the file tests, and defaults. */
static void
file_setup(void)
{
	cfg_setup();
	snprintf(D, sizeof(D), "/tmp/check_cfg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(D));
	snprintf(F, sizeof(F), "%s/algauditd.conf", D);
}

/* Removes the directory of file_setup(). */
static void
file_teardown(void)
{
	char cmd[128];

	chmod(F, 0600);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", D);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes len bytes of text to F. */
static void
file_write(const char *text, size_t len)
{
	FILE *fp;

	fp = fopen(F, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Writes the string text to F. */
static void
file_write_str(const char *text)
{
	file_write(text, strlen(text));
}

/* Writes text to F and loads it over C; returns cfg_file_load()'s. */
static int
file_load(const char *text)
{
	file_write(text, strlen(text));
	E[0] = '\0';
	return cfg_file_load(&C, F, E, sizeof(E));
}

/* Asserts that text is refused with "F:<msg>" (msg starts at LINE). */
#define FILE_FAILS(text, msg)	do {					\
	char want_[1200];						\
	cfg_setup();							\
	ck_assert_int_eq(file_load(text), -1);				\
	snprintf(want_, sizeof(want_), "%s:%s", F, (msg));		\
	ck_assert_str_eq(E, want_);					\
} while (0)

/* Asserts that text loads. */
#define FILE_LOADS(text)	do {					\
	if (file_load(text) != 0)					\
		ck_abort_msg("refused: %s", E);				\
} while (0)

START_TEST(test_file_every_key)
{
	FILE_LOADS(
	    "# algauditd.conf\n"
	    "; another comment\n"
	    "\n"
	    "store = /srv/audit\n"
	    "[daemon]\n"
	    "listen = unix:/run/a.sock\n"
	    "listen = tcp:127.0.0.1:7000\n"
	    "origin = example.com/audit\n"
	    "key = /etc/algaudit/signer.key\n"
	    "hash-threads = 4\n"
	    "tree = off\n"
	    "[limits]\n"
	    "  max-frame   =   1M  \n"
	    "max-pending = 1G\n"
	    "max-connections = 77\n"
	    "commit-max-records = 1000\n"
	    "[checkpoints]\n"
	    "checkpoint-entries = 5\n"
	    "checkpoint-interval = 250\n"
	    "[log]\n"
	    "verbose = 1\n");
	ck_assert_str_eq(C.cf_store, "/srv/audit");
	ck_assert_uint_eq(C.cf_nlisten, 2);
	ck_assert_str_eq(C.cf_listen[0].ep_text, "unix:/run/a.sock");
	ck_assert_str_eq(C.cf_listen[1].ep_port, "7000");
	ck_assert_str_eq(C.cf_origin, "example.com/audit");
	ck_assert_str_eq(C.cf_key, "/etc/algaudit/signer.key");
	ck_assert_uint_eq(C.cf_hash_threads, 4);
	ck_assert_int_eq(C.cf_tree, 0);
	ck_assert_uint_eq(C.cf_max_frame, 1024 * 1024);
	ck_assert_uint_eq(C.cf_max_pending, (uint64_t)1 << 30);
	ck_assert_uint_eq(C.cf_max_conns, 77);
	ck_assert_uint_eq(C.cf_commit_max, 1000);
	ck_assert_uint_eq(C.cf_ckpt_entries, 5);
	ck_assert_uint_eq(C.cf_ckpt_interval, 250);
	ck_assert_int_eq(C.cf_verbose, 1);
	/* The file sets no command-line bits and no mode. */
	ck_assert_uint_eq(C.cf_given, 0);
	ck_assert_int_eq(C.cf_mode, CFG_MODE_RUN);
}
END_TEST

START_TEST(test_file_empty_and_blank)
{
	struct cfg defaults;

	defaults = C;
	FILE_LOADS("");
	ck_assert_int_eq(memcmp(&C, &defaults, sizeof(C)), 0);
	FILE_LOADS("\n\n   \n# only comments\n[limits]\n");
	ck_assert_int_eq(memcmp(&C, &defaults, sizeof(C)), 0);
}
END_TEST

START_TEST(test_file_crlf_bom_no_newline)
{
	FILE_LOADS("\xef\xbb\xbfmax-frame = 8K\r\n[log]\r\nverbose = 2");
	ck_assert_uint_eq(C.cf_max_frame, 8192);
	ck_assert_int_eq(C.cf_verbose, 2);
}
END_TEST

START_TEST(test_file_listen_replaces_default)
{
	FILE_LOADS("[daemon]\nlisten = unix:/a\n");
	ck_assert_uint_eq(C.cf_nlisten, 1);
	ck_assert_str_eq(C.cf_listen[0].ep_path, "/a");
	FILE_FAILS("listen = unix:/a\nlisten = unix:/a\n",
	    "2: listen: 'unix:/a' given twice");
	FILE_FAILS("listen = http://x\n",
	    "1: listen: 'http://x': must be unix:PATH, tcp:HOST:PORT or "
	    "tls:HOST:PORT");
}
END_TEST

START_TEST(test_file_unknown_key)
{
	FILE_FAILS("store = /x\nnope = 1\n", "2: nope: unknown key (keys are "
	    "the long options of algauditd --help)");
	/* The command line's spelling is not a key. */
	FILE_FAILS("--max-frame = 1M\n", "1: --max-frame: unknown key (keys "
	    "are the long options of algauditd --help)");
	FILE_FAILS("Max-Frame = 1M\n", "1: Max-Frame: unknown key (keys are "
	    "the long options of algauditd --help)");
	FILE_FAILS("max_frame = 1M\n", "1: max_frame: unknown key (keys are "
	    "the long options of algauditd --help)");
}
END_TEST

START_TEST(test_file_sections)
{
	FILE_FAILS("[limit]\nmax-frame = 4K\n", "2: max-frame: unknown "
	    "section [limit] (sections: [daemon], [limits], [checkpoints], "
	    "[access], [tls], [metrics], [log])");
	FILE_FAILS("[daemon]\nstore = /x\nmax-frame = 4K\n",
	    "3: max-frame: belongs in [limits], not [daemon]");
	FILE_FAILS("[log]\ncheckpoint-entries = 1\n", "2: checkpoint-entries: "
	    "belongs in [checkpoints], not [log]");
	/* A section may come back; keys before any section are fine. */
	cfg_setup();
	FILE_LOADS("max-connections = 3\n[limits]\nmax-frame = 4K\n"
	    "[daemon]\ntree = off\n[limits]\nmax-pending = 2M\n");
	ck_assert_uint_eq(C.cf_max_conns, 3);
	ck_assert_uint_eq(C.cf_max_pending, 2 * 1024 * 1024);
	ck_assert_int_eq(C.cf_tree, 0);
}
END_TEST

START_TEST(test_file_duplicate)
{
	FILE_FAILS("max-frame = 4K\n\n[limits]\nmax-frame = 8K\n",
	    "4: max-frame: given twice (first on line 1)");
	FILE_FAILS("[daemon]\nstore = /a\nstore = /a\n",
	    "3: store: given twice (first on line 2)");
	/* listen is repeatable, each endpoint once. */
	cfg_setup();
	FILE_LOADS("listen = unix:/a\n[daemon]\nlisten = unix:/b\n");
	ck_assert_uint_eq(C.cf_nlisten, 2);
}
END_TEST

START_TEST(test_file_cmdline_only)
{
	static const char *keys[] = { "config", "foreground", "check-config",
	    "dump-config", "help" };
	char text[64], msg[128];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "\n%s = yes\n", keys[i]);
		snprintf(msg, sizeof(msg), "2: %s: can only be given on the "
		    "command line", keys[i]);
		FILE_FAILS(text, msg);
	}
}
END_TEST

START_TEST(test_file_bad_values)
{
	FILE_FAILS("[limits]\nmax-frame = 12x\n", "2: max-frame: '12x' is not "
	    "a number (a K, M, G or T suffix may follow)");
	FILE_FAILS("max-frame = 1023\n", "1: max-frame: '1023' is out of "
	    "range (1024..67108864)");
	FILE_FAILS("max-frame =\n", "1: max-frame: '' is not a number (a K, "
	    "M, G or T suffix may follow)");
	FILE_FAILS("max-connections = 1k\n",
	    "1: max-connections: '1k' is not a number");
	FILE_FAILS("max-connections = -1\n",
	    "1: max-connections: '-1' is not a number");
	FILE_FAILS("store =\n", "1: store: empty value");
	FILE_FAILS("origin = a b\n", "1: origin: 'a b': byte 1 is not "
	    "printable ASCII (no spaces)");
	FILE_FAILS("tree = maybe\n", "1: tree: 'maybe' is not on or off");
	FILE_FAILS("verbose = 4\n", "1: verbose: '4' is out of range (0..3)");
	FILE_FAILS("verbose = loud\n", "1: verbose: 'loud' is not a number");
	FILE_FAILS("hash-threads = 17\n",
	    "1: hash-threads: '17' is out of range (0..16)");
	FILE_FAILS("checkpoint-interval = 1s\n",
	    "1: checkpoint-interval: '1s' is not a number");
	/* No inline comments: the value is taken literally. */
	FILE_FAILS("max-frame = 4K ; four\n", "1: max-frame: '4K ; four' is "
	    "not a number (a K, M, G or T suffix may follow)");
	FILE_FAILS("max-frame = 4K # four\n", "1: max-frame: '4K # four' is "
	    "not a number (a K, M, G or T suffix may follow)");
	cfg_setup();
	FILE_LOADS("store = /srv/a;b #c\n");
	ck_assert_str_eq(C.cf_store, "/srv/a;b #c");
}
END_TEST

START_TEST(test_file_syntax)
{
	FILE_FAILS("store = /x\nmax-frame\n", "2: syntax error: expected "
	    "'key = value', '[section]' or a comment");
	FILE_FAILS("[limits\nmax-frame = 4K\n", "1: syntax error: expected "
	    "'key = value', '[section]' or a comment");
	FILE_FAILS("= 4K\n", "1: no key before '='");
	/* No continuation lines: an indented line is a line of its own. */
	FILE_FAILS("max-frame = 4K\n    8K\n", "2: syntax error: expected "
	    "'key = value', '[section]' or a comment");
	/* The ':' separator of Python's configparser is accepted. */
	cfg_setup();
	FILE_LOADS("max-frame: 4K\n");
	ck_assert_uint_eq(C.cf_max_frame, 4096);
}
END_TEST

START_TEST(test_file_long_line_and_nul)
{
	char *text;
	size_t n = 4400, len;

	/* A path of the longest length fits on a line. */
	text = malloc(n + 64);
	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, n, "store = /");
	memset(text + len, 'p', CFG_PATH_MAX - 2);
	strcpy(text + len + CFG_PATH_MAX - 2, "\n");
	FILE_LOADS(text);
	ck_assert_uint_eq(strlen(C.cf_store), CFG_PATH_MAX - 1);
	/* A longer line is refused whole, not cut in two. */
	len = (size_t)snprintf(text, n, "[daemon]\norigin = ");
	memset(text + len, 'o', n - len);
	strcpy(text + n, "\n");
	FILE_FAILS(text, "2: line longer than 4350 bytes");
	free(text);
	cfg_setup();
	file_write("store = /a\n[limits]\nmax-frame = 4\0K\n", 35);
	ck_assert_int_eq(cfg_file_load(&C, F, E, sizeof(E)), -1);
	ck_assert_ptr_nonnull(strstr(E, ":3: a NUL byte (is this a text "
	    "file?)"));
}
END_TEST

START_TEST(test_file_missing_and_unreadable)
{
	char want[256], path[128];

	snprintf(path, sizeof(path), "%s/nope.conf", D);
	ck_assert_int_eq(cfg_file_load(&C, path, E, sizeof(E)), -1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or "
	    "directory", path);
	ck_assert_str_eq(E, want);
	/* A directory opens but cannot be read. */
	ck_assert_int_eq(cfg_file_load(&C, D, E, sizeof(E)), -1);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", D);
	ck_assert_str_eq(E, want);
	/* Without permission (root reads anything: skip that part). */
	file_write_str("store = /x\n");
	ck_assert_int_eq(chmod(F, 0), 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(cfg_file_load(&C, F, E, sizeof(E)), -1);
		snprintf(want, sizeof(want), "%s: cannot open: Permission "
		    "denied", F);
		ck_assert_str_eq(E, want);
	}
}
END_TEST

/* Runs cfg_load() on "algauditd" and the NULL-terminated arguments. */
static int
load(const char *first, ...)
{
	char *argv[ARGS_MAX];
	const char *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)(uintptr_t)"algauditd";
	va_start(ap, first);
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, ARGS_MAX - 1);
		argv[argc++] = (char *)(uintptr_t)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	E[0] = '\0';
	return cfg_load(&C, argc, argv, E, sizeof(E));
}

/*
 * The TLS options: paths, reloadable, in [tls]; a tls: endpoint needs a
 * certificate and a key, and they (or a client CA) without a tls:
 * endpoint are refused by cfg_load(). Whether the files load is
 * tls.c's (algauditd -n; t_tls.sh).
 */
START_TEST(test_tls_options)
{
	struct cfg *next;

	ck_assert_int_eq(load("--listen", "tls:127.0.0.1:7443", "--tls-cert",
	    "/c.pem", "--tls-key", "/k.pem", NULL), 0);
	ck_assert_int_eq(C.cf_listen[0].ep_type, CFG_EP_TLS);
	ck_assert_str_eq(C.cf_tls_cert, "/c.pem");
	ck_assert_str_eq(C.cf_tls_key, "/k.pem");
	ck_assert_str_eq(C.cf_tls_client_ca, "");
	ck_assert_int_eq(C.cf_tcp_remote, 0);
	ck_assert_int_eq(load("--listen", "tls:127.0.0.1:7443", NULL),
	    CFG_ECMDLINE);
	ck_assert_str_eq(E, "listen: 'tls:127.0.0.1:7443' needs tls-cert and "
	    "tls-key (the daemon's certificate and private key)");
	ck_assert_int_eq(load("--listen", "tls:127.0.0.1:7443", "--tls-cert",
	    "/c.pem", NULL), CFG_ECMDLINE);
	ck_assert_int_eq(load("--listen", "tls:h:1", "--tls-key", "/k.pem",
	    NULL), CFG_ECMDLINE);
	ck_assert_int_eq(load("--tls-cert", "/c.pem", NULL), CFG_ECMDLINE);
	ck_assert_str_eq(E, "tls-cert: given, but no listen endpoint is "
	    "tls:HOST:PORT");
	ck_assert_int_eq(load("--tls-client-ca", "/ca.pem", "--listen",
	    "tcp:127.0.0.1:7000", NULL), CFG_ECMDLINE);
	ck_assert_str_eq(E, "tls-client-ca: given, but no listen endpoint is "
	    "tls:HOST:PORT");
	/* The command line cannot say what a file could not. */
	FAILS("--store: ' /s' starts or ends with white space (a "
	    "configuration file could not hold it)", "--store", " /s");
	FAILS("--allow: 'uid:0 producers=x\t' starts or ends with white "
	    "space (a configuration file could not hold it)", "--allow",
	    "uid:0 producers=x\t");
	FAILS("--listen: 'unix:/a ' starts or ends with white space (a "
	    "configuration file could not hold it)", "--listen", "unix:/a ");
	/* --help still works with a half configuration. */
	ck_assert_int_eq(load("--tls-cert", "/c.pem", "--help", NULL), 0);
	ck_assert_int_eq(load("--tcp-allow-remote", "yes", NULL), 0);
	ck_assert_int_eq(C.cf_tcp_remote, 1);
	ck_assert_int_eq(load("--tcp-allow-remote", "maybe", NULL),
	    CFG_ECMDLINE);
	/* In the file, [tls]; and a reload applies new files. */
	file_write_str("[daemon]\nlisten = tls:127.0.0.1:7443\n[tls]\n"
	    "tls-cert = /c.pem\ntls-key = /k.pem\n"
	    "tls-client-ca = /ca.pem\n[access]\n"
	    "allow = cn:prod-a producers=prod-a*\n");
	ck_assert_int_eq(load("-f", F, NULL), 0);
	ck_assert_str_eq(C.cf_tls_client_ca, "/ca.pem");
	ck_assert_uint_eq(C.cf_allow[0].ar_kind, ALLOW_CN);
	ck_assert_ptr_nonnull(next = malloc(sizeof(*next)));
	memcpy(next, &C, sizeof(*next));
	snprintf(next->cf_tls_cert, sizeof(next->cf_tls_cert), "/c2.pem");
	ck_assert_int_eq(cfg_reload(&C, next, NULL, NULL), 1);
	ck_assert_str_eq(C.cf_tls_cert, "/c2.pem");
	free(next);
	FILE_FAILS("[access]\ntls-cert = /c.pem\n", "2: tls-cert: belongs "
	    "in [tls], not [access]");
}
END_TEST

START_TEST(test_load_precedence)
{
	file_write_str("[daemon]\nstore = /file\nlisten = unix:/f1\n"
	    "listen = unix:/f2\n[limits]\nmax-frame = 8K\n"
	    "max-connections = 5\n[log]\nverbose = 2\n");
	/* The file alone. */
	ck_assert_int_eq(load("-f", F, NULL), 0);
	ck_assert_str_eq(C.cf_file, F);
	ck_assert_str_eq(C.cf_store, "/file");
	ck_assert_uint_eq(C.cf_nlisten, 2);
	ck_assert_uint_eq(C.cf_max_frame, 8192);
	ck_assert_int_eq(C.cf_verbose, 2);
	/* Flags win, wherever they stand relative to -f. */
	ck_assert_int_eq(load("--max-frame", "16K", "-f", F, "--listen",
	    "unix:/c", "-v", "--store=/cli", NULL), 0);
	ck_assert_uint_eq(C.cf_max_frame, 16384);
	ck_assert_str_eq(C.cf_store, "/cli");
	ck_assert_uint_eq(C.cf_nlisten, 1);	/* replaces the file's list */
	ck_assert_str_eq(C.cf_listen[0].ep_text, "unix:/c");
	ck_assert_int_eq(C.cf_verbose, 1);	/* -v sets, not adds */
	ck_assert_uint_eq(C.cf_max_conns, 5);	/* the file's */
	/* No file: the defaults and the flags. */
	ck_assert_int_eq(load("--max-connections", "9", NULL), 0);
	ck_assert_str_eq(C.cf_store, "./var/store");
	ck_assert_uint_eq(C.cf_max_conns, 9);
	ck_assert_str_eq(C.cf_file, "");
}
END_TEST

START_TEST(test_load_errors)
{
	char want[256];

	file_write_str("[limits]\nmax-frame = 1\n");
	ck_assert_int_eq(load("-n", "-f", F, NULL), CFG_EFILE);
	snprintf(want, sizeof(want), "%s:2: max-frame: '1' is out of range "
	    "(1024..67108864)", F);
	ck_assert_str_eq(E, want);
	/* The command line is checked first, and names the flag. */
	ck_assert_int_eq(load("-f", F, "--max-frame", "x", NULL),
	    CFG_ECMDLINE);
	ck_assert_str_eq(E, "--max-frame: 'x' is not a number (a K, M, G or "
	    "T suffix may follow)");
	ck_assert_int_eq(load("-f", NULL), CFG_ECMDLINE);
	ck_assert_str_eq(E, "-f: requires an argument (FILE)");
	ck_assert_int_eq(load("--config=", NULL), CFG_ECMDLINE);
	ck_assert_str_eq(E, "--config: empty value");
	ck_assert_int_eq(load("-f", "/nonexistent/algauditd.conf", NULL),
	    CFG_EFILE);
	ck_assert_str_eq(E, "/nonexistent/algauditd.conf: cannot open: No "
	    "such file or directory");
	/* --help does not need a good file. */
	ck_assert_int_eq(load("-f", F, "--help", NULL), 0);
	ck_assert_int_eq(C.cf_mode, CFG_MODE_HELP);
	/* -n keeps its mode through the file. */
	file_write("", 0);
	ck_assert_int_eq(load("-nf", F, NULL), 0);
	ck_assert_int_eq(C.cf_mode, CFG_MODE_CHECK);
	ck_assert_str_eq(C.cf_file, F);
}
END_TEST

/* Runs cfg_dump() into a string (free it). */
static char *
dump_string(const struct cfg *cf)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	cfg_dump(cf, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

START_TEST(test_dump_is_a_file)
{
	struct cfg orig;
	char *out, *again;

	PARSES("--store", "/srv/a b", "--listen", "unix:/a", "--listen",
	    "tcp:[::1]:7", "--origin", "o.example/log", "--key", "/k",
	    "--max-frame", "1M", "--max-pending", "3G", "--max-connections",
	    "12", "--commit-max-records", "77", "--checkpoint-entries", "9",
	    "--checkpoint-interval", "1234", "--hash-threads", "0", "--tree",
	    "off", "-vv");
	orig = C;
	out = dump_string(&C);
	file_write(out, strlen(out));
	cfg_setup();
	if (cfg_file_load(&C, F, E, sizeof(E)) != 0)
		ck_abort_msg("the dump does not load: %s\n%s", E, out);
	ck_assert_str_eq(C.cf_store, orig.cf_store);
	ck_assert_uint_eq(C.cf_nlisten, 2);
	ck_assert_str_eq(C.cf_listen[1].ep_text, "tcp:[::1]:7");
	ck_assert_str_eq(C.cf_origin, orig.cf_origin);
	ck_assert_str_eq(C.cf_key, orig.cf_key);
	ck_assert_uint_eq(C.cf_max_frame, orig.cf_max_frame);
	ck_assert_uint_eq(C.cf_max_pending, orig.cf_max_pending);
	ck_assert_uint_eq(C.cf_max_conns, orig.cf_max_conns);
	ck_assert_uint_eq(C.cf_commit_max, orig.cf_commit_max);
	ck_assert_uint_eq(C.cf_ckpt_entries, orig.cf_ckpt_entries);
	ck_assert_uint_eq(C.cf_ckpt_interval, orig.cf_ckpt_interval);
	ck_assert_uint_eq(C.cf_hash_threads, 0);
	ck_assert_int_eq(C.cf_tree, 0);
	ck_assert_int_eq(C.cf_verbose, 2);
	/* The dump of what was read back is the same text. */
	again = dump_string(&C);
	ck_assert_str_eq(again, out);
	free(again);
	free(out);
	/* And the defaults' dump loads to the defaults. */
	cfg_setup();
	out = dump_string(&C);
	file_write_str(out);
	ck_assert_int_eq(cfg_file_load(&C, F, E, sizeof(E)), 0);
	again = dump_string(&C);
	ck_assert_str_eq(again, out);
	ck_assert_uint_eq(C.cf_max_frame, FRAME_MAX_DEFAULT);
	ck_assert_str_eq(C.cf_origin, "");
	free(again);
	free(out);
}
END_TEST

/* What cfg_reload() reported, for test_reload. */
struct reload_log {
	char	 rl_text[2048];
	int	 rl_calls;
};

/* cfg_change_fn of test_reload: appends "name:was>now:applied;". */
static void
reload_cb(const char *name, const char *was, const char *now, int applied,
    void *arg)
{
	struct reload_log *rl = arg;
	size_t len = strlen(rl->rl_text);

	snprintf(rl->rl_text + len, sizeof(rl->rl_text) - len, "%s:%s>%s:%d;",
	    name, was, now, applied);
	rl->rl_calls++;
}

START_TEST(test_reload)
{
	struct reload_log rl;
	struct cfg next;

	memset(&rl, 0, sizeof(rl));
	next = C;
	/* Nothing differs: nothing is reported. */
	ck_assert_int_eq(cfg_reload(&C, &next, reload_cb, &rl), 0);
	ck_assert_int_eq(rl.rl_calls, 0);
	ck_assert_int_eq(cfg_set(&next, "max-frame", "8K", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "max-pending", "2M", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&next, "max-connections", "3", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&next, "commit-max-records", "5", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "checkpoint-entries", "6", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "checkpoint-interval", "7", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "verbose", "1", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "store", "/new", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "listen", "unix:/n", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&next, "origin", "o", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "key", "/k", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "tree", "off", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "hash-threads", "2", E, sizeof(E)),
	    0);
	next.cf_mode = CFG_MODE_CHECK;	/* command line only: ignored */
	ck_assert_int_eq(cfg_reload(&C, &next, reload_cb, &rl), 13);
	ck_assert_str_eq(rl.rl_text,
	    "store:./var/store>/new:0;"
	    "listen:unix:./var/algauditd.sock>unix:/n:0;"
	    "origin:>o:0;"
	    "max-frame:4194304>8192:1;"
	    "max-pending:268435456>2097152:1;"
	    "max-connections:1024>3:1;"
	    "commit-max-records:65536>5:1;"
	    "key:>/k:0;"
	    "checkpoint-entries:10000>6:1;"
	    "checkpoint-interval:500>7:1;"
	    "hash-threads:1>2:0;"
	    "tree:on>off:0;"
	    "verbose:0>1:1;");
	/* Live options took the new value, the others kept the old. */
	ck_assert_uint_eq(C.cf_max_frame, 8192);
	ck_assert_uint_eq(C.cf_max_pending, 2 * 1024 * 1024);
	ck_assert_uint_eq(C.cf_max_conns, 3);
	ck_assert_uint_eq(C.cf_commit_max, 5);
	ck_assert_uint_eq(C.cf_ckpt_entries, 6);
	ck_assert_uint_eq(C.cf_ckpt_interval, 7);
	ck_assert_int_eq(C.cf_verbose, 1);
	ck_assert_str_eq(C.cf_store, "./var/store");
	ck_assert_str_eq(C.cf_listen[0].ep_text, "unix:./var/algauditd.sock");
	ck_assert_str_eq(C.cf_origin, "");
	ck_assert_str_eq(C.cf_key, "");
	ck_assert_int_eq(C.cf_tree, 1);
	ck_assert_uint_eq(C.cf_hash_threads, 1);
	ck_assert_int_eq(C.cf_mode, CFG_MODE_RUN);
	/* A second reload reports only what still needs a restart. */
	memset(&rl, 0, sizeof(rl));
	ck_assert_int_eq(cfg_reload(&C, &next, NULL, NULL), 6);
	ck_assert_int_eq(cfg_reload(&C, &next, reload_cb, &rl), 6);
	ck_assert_ptr_null(strstr(rl.rl_text, ":1;"));
}
END_TEST

START_TEST(test_reload_listen_lists)
{
	struct reload_log rl;
	struct cfg next;

	memset(&rl, 0, sizeof(rl));
	PARSES("--listen", "unix:/a", "--listen", "unix:/b");
	next = C;
	/* The same list in another order is another list. */
	next.cf_listen[0] = C.cf_listen[1];
	next.cf_listen[1] = C.cf_listen[0];
	ck_assert_int_eq(cfg_reload(&C, &next, reload_cb, &rl), 1);
	ck_assert_str_eq(rl.rl_text, "listen:unix:/a, unix:/b>unix:/b, "
	    "unix:/a:0;");
	ck_assert_str_eq(C.cf_listen[0].ep_text, "unix:/a");
}
END_TEST

START_TEST(test_timeouts)
{
	ck_assert_uint_eq(C.cf_handshake_timeout, 10);
	ck_assert_uint_eq(C.cf_idle_timeout, 600);
	PARSES("--handshake-timeout", "1", "--idle-timeout", "0");
	ck_assert_uint_eq(C.cf_handshake_timeout, 1);
	ck_assert_uint_eq(C.cf_idle_timeout, 0);
	PARSES("--handshake-timeout=3600", "--idle-timeout=604800");
	ck_assert_uint_eq(C.cf_handshake_timeout, 3600);
	ck_assert_uint_eq(C.cf_idle_timeout, 604800);
	FAILS("--handshake-timeout: '0' is out of range (1..3600)",
	    "--handshake-timeout", "0");
	FAILS("--idle-timeout: '604801' is out of range (0..604800)",
	    "--idle-timeout", "604801");
	FAILS("--idle-timeout: '10m' is not a number", "--idle-timeout",
	    "10m");
}
END_TEST

START_TEST(test_socket_mode)
{
	ck_assert_uint_eq(C.cf_socket_mode, 0660);
	PARSES("--socket-mode", "0600");
	ck_assert_uint_eq(C.cf_socket_mode, 0600);
	PARSES("--socket-mode", "666");
	ck_assert_uint_eq(C.cf_socket_mode, 0666);
	PARSES("--socket-mode", "0");
	ck_assert_uint_eq(C.cf_socket_mode, 0);
	PARSES("--socket-mode", "0777");
	ck_assert_uint_eq(C.cf_socket_mode, 0777);
	FAILS("--socket-mode: '0999' is not a mode in octal from 0 to 0777 "
	    "(e.g. 0660)", "--socket-mode", "0999");
	FAILS("--socket-mode: '1777' is not a mode in octal from 0 to 0777 "
	    "(e.g. 0660)", "--socket-mode", "1777");
	FAILS("--socket-mode: '00660' is not a mode in octal from 0 to 0777 "
	    "(e.g. 0660)", "--socket-mode", "00660");
	FAILS("--socket-mode: 'rw' is not a mode in octal from 0 to 0777 "
	    "(e.g. 0660)", "--socket-mode", "rw");
	FAILS("--socket-mode: '' is not a mode in octal from 0 to 0777 "
	    "(e.g. 0660)", "--socket-mode=");
}
END_TEST

START_TEST(test_socket_group)
{
	ck_assert_str_eq(C.cf_socket_group, "");
	PARSES("--socket-group", "nogroup");
	ck_assert_str_eq(C.cf_socket_group, "nogroup");
	PARSES("--socket-group", "4242");
	ck_assert_str_eq(C.cf_socket_group, "4242");
	FAILS("--socket-group: no group named 'no-such-group-x' (give a name "
	    "known to this host or a number)", "--socket-group",
	    "no-such-group-x");
	FAILS("--socket-group: empty value", "--socket-group", "");
	FAILS("--socket-group: 'a b': byte 1 is not printable ASCII (no "
	    "spaces)", "--socket-group", "a b");
}
END_TEST

START_TEST(test_allow_options)
{
	char arg[32];
	int i;

	ck_assert_uint_eq(C.cf_nallow, 0);
	PARSES("--allow", "uid:1000 producers=credit-api,ranker-*",
	    "--allow=gid:nogroup producers=*");
	ck_assert_uint_eq(C.cf_nallow, 2);
	ck_assert_str_eq(C.cf_allow[0].ar_text,
	    "uid:1000 producers=credit-api,ranker-*");
	ck_assert_int_eq(C.cf_allow[1].ar_kind, ALLOW_GID);
	ck_assert_uint_eq(C.cf_allow[1].ar_id, 65534);
	FAILS("--allow: 'uid:1000 producers=credit-api,ranker-*' given twice",
	    "--allow", "uid:1000 producers=credit-api,ranker-*");
	FAILS("--allow: 'uid:1 producers=a,,b': producer pattern 2 is empty",
	    "--allow", "uid:1 producers=a,,b");
	FAILS("--allow: requires an argument (RULE)", "--allow");
	cfg_setup();
	for (i = 0; i < ALLOW_RULES_MAX; i++) {
		snprintf(arg, sizeof(arg), "uid:%d producers=p", i);
		ck_assert_int_eq(cfg_set(&C, "allow", arg, E, sizeof(E)), 0);
	}
	ck_assert_int_eq(cfg_set(&C, "allow", "uid:99 producers=p", E,
	    sizeof(E)), -1);
	ck_assert_str_eq(E, "allow: more than 64 rules");
}
END_TEST

START_TEST(test_file_access)
{
	FILE_LOADS("[access]\nsocket-mode = 0600\nsocket-group = nogroup\n"
	    "allow = uid:root producers=a,b-*\n"
	    "# a comment\n"
	    "allow = gid:65534 producers=*\n"
	    "[limits]\nhandshake-timeout = 3\nidle-timeout = 0\n");
	ck_assert_uint_eq(C.cf_socket_mode, 0600);
	ck_assert_str_eq(C.cf_socket_group, "nogroup");
	ck_assert_uint_eq(C.cf_nallow, 2);
	ck_assert_uint_eq(C.cf_allow[0].ar_id, 0);
	ck_assert_str_eq(C.cf_allow[1].ar_text, "gid:65534 producers=*");
	ck_assert_uint_eq(C.cf_handshake_timeout, 3);
	ck_assert_uint_eq(C.cf_idle_timeout, 0);
	FILE_FAILS("[daemon]\nallow = uid:1 producers=x\n", "2: allow: "
	    "belongs in [access], not [daemon]");
	FILE_FAILS("[access]\nallow = uid:1 producers=x\nallow = uid:1 "
	    "producers=x\n", "3: allow: 'uid:1 producers=x' given twice");
	FILE_FAILS("allow = uid:no-such-user-x producers=x\n", "1: allow: "
	    "'uid:no-such-user-x producers=x': no user named 'no-such-user-x' "
	    "(give a name known to this host or a number)");
	FILE_FAILS("[access]\nsocket-mode = 0660\nsocket-mode = 0600\n",
	    "3: socket-mode: given twice (first on line 2)");
	FILE_FAILS("[access]\nsocket-mode = 8\n", "2: socket-mode: '8' is "
	    "not a mode in octal from 0 to 0777 (e.g. 0660)");
	FILE_FAILS("[access]\nsocket-group = no-such-group-x\n", "2: "
	    "socket-group: no group named 'no-such-group-x' (give a name "
	    "known to this host or a number)");
	FILE_FAILS("[access]\nallow = uid:1 producers=a ; inline\n", "2: "
	    "allow: 'uid:1 producers=a ; inline': unexpected '; inline' after "
	    "the producer list (patterns are separated by commas, without "
	    "spaces)");
}
END_TEST

START_TEST(test_access_dump_and_precedence)
{
	char *argv[] = { (char *)(uintptr_t)"algauditd",
	    (char *)(uintptr_t)"-f", F, (char *)(uintptr_t)"--allow",
	    (char *)(uintptr_t)"uid:7 producers=cli", NULL };
	struct cfg orig;
	char *out, *again;

	/* The command line's rules replace the file's. */
	file_write_str("[access]\nallow = uid:1 producers=f1\n"
	    "allow = uid:2 producers=f2\n");
	ck_assert_int_eq(cfg_load(&C, 5, argv, E, sizeof(E)), 0);
	ck_assert_uint_eq(C.cf_nallow, 1);
	ck_assert_str_eq(C.cf_allow[0].ar_text, "uid:7 producers=cli");
	/* Without it, the file's stay. */
	ck_assert_int_eq(cfg_load(&C, 3, argv, E, sizeof(E)), 0);
	ck_assert_uint_eq(C.cf_nallow, 2);
	/* The dump reads back to the same rules and the same text. */
	ck_assert_int_eq(cfg_set(&C, "socket-mode", "0640", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&C, "socket-group", "0", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&C, "idle-timeout", "0", E, sizeof(E)), 0);
	orig = C;
	out = dump_string(&C);
	ck_assert_ptr_nonnull(strstr(out, "\n[access]\nsocket-mode = 0640\n"
	    "socket-group = 0\nallow = uid:1 producers=f1\n"
	    "allow = uid:2 producers=f2\n"));
	ck_assert_ptr_nonnull(strstr(out, "idle-timeout = 0\n"));
	file_write_str(out);
	cfg_setup();
	if (cfg_file_load(&C, F, E, sizeof(E)) != 0)
		ck_abort_msg("the dump does not load: %s\n%s", E, out);
	ck_assert_uint_eq(C.cf_nallow, 2);
	ck_assert_str_eq(C.cf_allow[1].ar_text, orig.cf_allow[1].ar_text);
	ck_assert_uint_eq(C.cf_socket_mode, 0640);
	ck_assert_str_eq(C.cf_socket_group, "0");
	ck_assert_uint_eq(C.cf_idle_timeout, 0);
	again = dump_string(&C);
	ck_assert_str_eq(again, out);
	free(again);
	free(out);
}
END_TEST

START_TEST(test_reload_access)
{
	struct reload_log rl;
	struct cfg next;

	memset(&rl, 0, sizeof(rl));
	next = C;
	ck_assert_int_eq(cfg_set(&next, "allow", "uid:1 producers=a", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "allow", "gid:2 producers=b*", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "socket-mode", "0600", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&next, "socket-group", "0", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&next, "handshake-timeout", "2", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "idle-timeout", "3", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_reload(&C, &next, reload_cb, &rl), 5);
	ck_assert_str_eq(rl.rl_text,
	    "handshake-timeout:10>2:1;"
	    "idle-timeout:600>3:1;"
	    "socket-mode:0660>0600:0;"
	    "socket-group:>0:0;"
	    "allow:>uid:1 producers=a; gid:2 producers=b*:1;");
	/* The rules and the timeouts are live; the socket's are not. */
	ck_assert_uint_eq(C.cf_nallow, 2);
	ck_assert_str_eq(C.cf_allow[1].ar_text, "gid:2 producers=b*");
	ck_assert_uint_eq(C.cf_handshake_timeout, 2);
	ck_assert_uint_eq(C.cf_idle_timeout, 3);
	ck_assert_uint_eq(C.cf_socket_mode, 0660);
	ck_assert_str_eq(C.cf_socket_group, "");
	/* Removing every rule is a change too. */
	memset(&rl, 0, sizeof(rl));
	next = C;
	next.cf_nallow = 0;
	ck_assert_int_eq(cfg_reload(&C, &next, reload_cb, &rl), 1);
	ck_assert_str_eq(rl.rl_text, "allow:uid:1 producers=a; gid:2 "
	    "producers=b*>:1;");
	ck_assert_uint_eq(C.cf_nallow, 0);
}
END_TEST

START_TEST(test_store_full_options)
{
	ck_assert_int_eq(C.cf_store_full, CFG_STORE_FULL_BLOCK);
	ck_assert_uint_eq(C.cf_max_store_size, 0);
	ck_assert_uint_eq(C.cf_free_warn, 10);
	ck_assert_uint_eq(C.cf_free_crit, 5);
	PARSES("--on-store-full", "refuse", "--max-store-size", "1G",
	    "--store-free-warn", "100", "--store-free-critical=0");
	ck_assert_int_eq(C.cf_store_full, CFG_STORE_FULL_REFUSE);
	ck_assert_uint_eq(C.cf_max_store_size, (uint64_t)1 << 30);
	ck_assert_uint_eq(C.cf_free_warn, 100);
	ck_assert_uint_eq(C.cf_free_crit, 0);
	PARSES("--on-store-full=block", "--max-store-size", "0");
	ck_assert_int_eq(C.cf_store_full, CFG_STORE_FULL_BLOCK);
	ck_assert_uint_eq(C.cf_max_store_size, 0);
	FAILS("--on-store-full: 'drop' is not one of block|refuse",
	    "--on-store-full", "drop");
	FAILS("--on-store-full: 'Block' is not one of block|refuse",
	    "--on-store-full", "Block");
	FAILS("--on-store-full: 'block|refuse' is not one of block|refuse",
	    "--on-store-full", "block|refuse");
	FAILS("--on-store-full: '' is not one of block|refuse",
	    "--on-store-full=");
	FAILS("--on-store-full: requires an argument (block|refuse)",
	    "--on-store-full");
	FAILS("--max-store-size: '1X' is not a number (a K, M, G or T suffix "
	    "may follow)", "--max-store-size", "1X");
	FAILS("--max-store-size: '2048T' is out of range "
	    "(0..1125899906842624)", "--max-store-size", "2048T");
	FAILS("--store-free-warn: '101' is out of range (0..100)",
	    "--store-free-warn", "101");
	FAILS("--store-free-critical: '5%' is not a number",
	    "--store-free-critical", "5%");
}
END_TEST

START_TEST(test_metrics_options)
{
	ck_assert_str_eq(C.cf_metrics, "");
	ck_assert_int_eq(C.cf_metrics_remote, 0);
	ck_assert_uint_eq(C.cf_clock_skew, 300);
	PARSES("--metrics", "127.0.0.1:9477");
	ck_assert_str_eq(C.cf_metrics, "127.0.0.1:9477");
	PARSES("--metrics=[::1]:9100", "--metrics-allow-remote", "yes",
	    "--clock-skew", "60");
	ck_assert_str_eq(C.cf_metrics, "[::1]:9100");
	ck_assert_int_eq(C.cf_metrics_remote, 1);
	ck_assert_uint_eq(C.cf_clock_skew, 60);
	PARSES("--metrics", "localhost:80", "--metrics-allow-remote", "off");
	ck_assert_str_eq(C.cf_metrics, "localhost:80");
	ck_assert_int_eq(C.cf_metrics_remote, 0);
	PARSES("--metrics", "off");
	ck_assert_str_eq(C.cf_metrics, "");
	FAILS("--metrics: 'localhost' is not HOST:PORT (e.g. 127.0.0.1:9477 "
	    "or [::1]:9477) or off", "--metrics", "localhost");
	FAILS("--metrics: '127.0.0.1:0' is not HOST:PORT (e.g. "
	    "127.0.0.1:9477 or [::1]:9477) or off", "--metrics",
	    "127.0.0.1:0");
	FAILS("--metrics: '::1:9477' is not HOST:PORT (e.g. 127.0.0.1:9477 "
	    "or [::1]:9477) or off", "--metrics", "::1:9477");
	FAILS("--metrics: ':9477' is not HOST:PORT (e.g. 127.0.0.1:9477 or "
	    "[::1]:9477) or off", "--metrics", ":9477");
	FAILS("--metrics: 'tcp:127.0.0.1:9477' is not HOST:PORT (e.g. "
	    "127.0.0.1:9477 or [::1]:9477) or off", "--metrics",
	    "tcp:127.0.0.1:9477");
	FAILS("--metrics: empty value", "--metrics=");
	FAILS("--metrics-allow-remote: 'maybe' is not on or off",
	    "--metrics-allow-remote", "maybe");
	FAILS("--clock-skew: '0' is out of range (1..3153600000)",
	    "--clock-skew", "0");
	FAILS("--clock-skew: '5m' is not a number", "--clock-skew", "5m");
}
END_TEST

START_TEST(test_file_store_metrics)
{
	struct cfg orig;
	char *out, *again;

	FILE_LOADS("[limits]\non-store-full = refuse\nmax-store-size = 64M\n"
	    "store-free-warn = 20\nstore-free-critical = 2\n[metrics]\n"
	    "metrics = 127.0.0.1:9477\nmetrics-allow-remote = yes\n"
	    "clock-skew = 30\n");
	ck_assert_int_eq(C.cf_store_full, CFG_STORE_FULL_REFUSE);
	ck_assert_uint_eq(C.cf_max_store_size, 64 << 20);
	ck_assert_uint_eq(C.cf_free_warn, 20);
	ck_assert_uint_eq(C.cf_free_crit, 2);
	ck_assert_str_eq(C.cf_metrics, "127.0.0.1:9477");
	ck_assert_int_eq(C.cf_metrics_remote, 1);
	ck_assert_uint_eq(C.cf_clock_skew, 30);
	/* Before any section too. */
	FILE_LOADS("metrics = off\non-store-full = block\n");
	ck_assert_str_eq(C.cf_metrics, "");
	FILE_FAILS("[limits]\nmetrics = 127.0.0.1:1\n", "2: metrics: belongs "
	    "in [metrics], not [limits]");
	FILE_FAILS("[metrics]\non-store-full = refuse\n", "2: on-store-full: "
	    "belongs in [limits], not [metrics]");
	FILE_FAILS("on-store-full = later\n", "1: on-store-full: 'later' is "
	    "not one of block|refuse");
	FILE_FAILS("[metrics]\nmetrics = 9477\n", "2: metrics: '9477' is not "
	    "HOST:PORT (e.g. 127.0.0.1:9477 or [::1]:9477) or off");
	FILE_FAILS("[metrics]\nmetrics =\n", "2: metrics: empty value");
	/* The dump reads back to the same values and the same text. */
	cfg_setup();
	ck_assert_int_eq(cfg_set(&C, "on-store-full", "refuse", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&C, "max-store-size", "1M", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&C, "metrics", "[::1]:9477", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&C, "clock-skew", "1", E, sizeof(E)), 0);
	orig = C;
	out = dump_string(&C);
	ck_assert_ptr_nonnull(strstr(out, "on-store-full = refuse\n"
	    "max-store-size = 1048576\nstore-free-warn = 10\n"
	    "store-free-critical = 5\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n[metrics]\nmetrics = [::1]:9477\n"
	    "metrics-allow-remote = off\nclock-skew = 1\n"));
	file_write_str(out);
	cfg_setup();
	if (cfg_file_load(&C, F, E, sizeof(E)) != 0)
		ck_abort_msg("the dump does not load: %s\n%s", E, out);
	ck_assert_int_eq(C.cf_store_full, orig.cf_store_full);
	ck_assert_uint_eq(C.cf_max_store_size, orig.cf_max_store_size);
	ck_assert_str_eq(C.cf_metrics, orig.cf_metrics);
	ck_assert_uint_eq(C.cf_clock_skew, 1);
	again = dump_string(&C);
	ck_assert_str_eq(again, out);
	free(again);
	free(out);
	/* Metrics off by default: no metrics key in the dump. */
	cfg_setup();
	out = dump_string(&C);
	ck_assert_ptr_null(strstr(out, "\nmetrics ="));
	free(out);
}
END_TEST

START_TEST(test_reload_store_metrics)
{
	struct reload_log rl;
	struct cfg next;

	memset(&rl, 0, sizeof(rl));
	next = C;
	ck_assert_int_eq(cfg_set(&next, "on-store-full", "refuse", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "max-store-size", "2K", E, sizeof(E)),
	    0);
	ck_assert_int_eq(cfg_set(&next, "store-free-warn", "50", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "store-free-critical", "25", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "metrics", "127.0.0.1:1", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "metrics-allow-remote", "yes", E,
	    sizeof(E)), 0);
	ck_assert_int_eq(cfg_set(&next, "clock-skew", "9", E, sizeof(E)), 0);
	ck_assert_int_eq(cfg_reload(&C, &next, reload_cb, &rl), 7);
	ck_assert_str_eq(rl.rl_text,
	    "on-store-full:block>refuse:1;"
	    "max-store-size:0>2048:1;"
	    "store-free-warn:10>50:1;"
	    "store-free-critical:5>25:1;"
	    "metrics:>127.0.0.1:1:0;"
	    "metrics-allow-remote:off>on:0;"
	    "clock-skew:300>9:1;");
	/* The store's limits and the skew are live; the endpoint is not. */
	ck_assert_int_eq(C.cf_store_full, CFG_STORE_FULL_REFUSE);
	ck_assert_uint_eq(C.cf_max_store_size, 2048);
	ck_assert_uint_eq(C.cf_free_warn, 50);
	ck_assert_uint_eq(C.cf_free_crit, 25);
	ck_assert_uint_eq(C.cf_clock_skew, 9);
	ck_assert_str_eq(C.cf_metrics, "");
	ck_assert_int_eq(C.cf_metrics_remote, 0);
}
END_TEST

/* One suite for the module, one TCase per function family. */
static Suite *
cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_store);
	tcase_add_test(tc, test_origin);
	tcase_add_test(tc, test_max_frame);
	tcase_add_test(tc, test_max_frame_bad);
	tcase_add_test(tc, test_max_pending);
	tcase_add_test(tc, test_max_connections);
	tcase_add_test(tc, test_commit_max_records);
	tcase_add_test(tc, test_verifiable_log_options);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_grouped_short_flags);
	tcase_add_test(tc, test_check_mode);
	tcase_add_test(tc, test_help_and_dump_modes);
	tcase_add_test(tc, test_unknown_and_positional);
	tcase_add_test(tc, test_parse_number);
	tcase_add_test(tc, test_cfg_set);
	suite_add_tcase(s, tc);

	tc = tcase_create("listen");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_add_test(tc, test_listen_replaces_default);
	tcase_add_test(tc, test_listen_repeated);
	tcase_add_test(tc, test_listen_twice_and_too_many);
	tcase_add_test(tc, test_listen_bad_named);
	tcase_add_loop_test(tc, test_endpoint_cases, 0,
	    (int)(sizeof(eps) / sizeof(eps[0])));
	tcase_add_test(tc, test_endpoint_unix_path_limit);
	tcase_add_test(tc, test_endpoint_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_add_test(tc, test_dump_config);
	tcase_add_test(tc, test_dump_reparses);
	tcase_add_test(tc, test_usage_lists_every_option);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, file_setup, file_teardown);
	tcase_add_test(tc, test_file_every_key);
	tcase_add_test(tc, test_file_empty_and_blank);
	tcase_add_test(tc, test_file_crlf_bom_no_newline);
	tcase_add_test(tc, test_file_listen_replaces_default);
	tcase_add_test(tc, test_file_unknown_key);
	tcase_add_test(tc, test_file_sections);
	tcase_add_test(tc, test_file_duplicate);
	tcase_add_test(tc, test_file_cmdline_only);
	tcase_add_test(tc, test_file_bad_values);
	tcase_add_test(tc, test_file_syntax);
	tcase_add_test(tc, test_file_long_line_and_nul);
	tcase_add_test(tc, test_file_missing_and_unreadable);
	tcase_add_test(tc, test_load_precedence);
	tcase_add_test(tc, test_tls_options);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_dump_is_a_file);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_reload_listen_lists);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_checked_fixture(tc, file_setup, file_teardown);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_socket_mode);
	tcase_add_test(tc, test_socket_group);
	tcase_add_test(tc, test_allow_options);
	tcase_add_test(tc, test_file_access);
	tcase_add_test(tc, test_access_dump_and_precedence);
	tcase_add_test(tc, test_reload_access);
	suite_add_tcase(s, tc);

	tc = tcase_create("store_metrics");
	tcase_add_checked_fixture(tc, file_setup, file_teardown);
	tcase_add_test(tc, test_store_full_options);
	tcase_add_test(tc, test_metrics_options);
	tcase_add_test(tc, test_file_store_metrics);
	tcase_add_test(tc, test_reload_store_metrics);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(cfg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
