/* SPDX-License-Identifier: ISC */
/*
 * check_cfg.c: unit tests of the daemon's option table (daemon/cfg.c):
 * the defaults, every option parsed in each spelling, numbers with and
 * without suffixes, values out of range and not numbers (each error
 * naming the option and quoting the value), repeated --listen, the
 * unix: and tcp: endpoint syntax including bad ones, the modes (-n,
 * --help, --dump-config), cfg_set() for a future configuration file,
 * and that --help and --dump-config are generated from the table.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	FAILS("--max-frame: ' 2048' is not a number (a K, M, G or T suffix "
	    "may follow)", "--max-frame", " 2048");
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
	FAILS("--listen: 'http://x': must be unix:PATH or tcp:HOST:PORT",
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
	{ "udp:h:1", "'udp:h:1': must be unix:PATH or tcp:HOST:PORT", 0,
	    NULL, NULL },
	{ "/run/a.sock", "'/run/a.sock': must be unix:PATH or tcp:HOST:PORT",
	    0, NULL, NULL },
	{ "", "'': must be unix:PATH or tcp:HOST:PORT", 0, NULL, NULL },
	{ "UNIX:/a", "'UNIX:/a': must be unix:PATH or tcp:HOST:PORT", 0,
	    NULL, NULL },
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
	ck_assert_int_eq(cfg_set(&C, "verbose", "2", E, sizeof(E)), -1);
	ck_assert_str_eq(E, "verbose: can only be given on the command line");
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
	/* Command-line-only switches are not configuration. */
	ck_assert_ptr_null(strstr(out, "verbose"));
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
	    "SIGTERM" };
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
