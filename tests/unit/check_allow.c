/* SPDX-License-Identifier: ISC */
/*
 * check_allow.c: unit tests of the allowlist (daemon/allow.c): rules
 * parsed with uid and gid given as names and numbers, blanks, every bad
 * rule refused with a message quoting it and naming what is wrong
 * (prefix, identity, missing or empty producer list, empty and
 * over-long patterns, bytes that are not printable ASCII, trailing
 * words, unknown names, over-long rules); the '*' pattern matcher on
 * a table of cases including backtracking; and the matching of peers
 * (uid, primary gid, supplementary groups) and of producer ids against
 * several rules, which add up.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static struct allow_rule R[8];
static char E[2048];

/* Clears the rules and the error before each test. */
static void
allow_setup(void)
{
	memset(R, 0, sizeof(R));
	E[0] = '\0';
}

/* Asserts that text parses into R[0]. */
#define PARSES(text)	do {						\
	if (allow_parse((text), &R[0], E, sizeof(E)) != 0)		\
		ck_abort_msg("refused '%s': %s", (text), E);		\
} while (0)

/* Asserts that text is refused with exactly the message msg. */
#define FAILS(text, msg)	do {					\
	E[0] = '\0';							\
	ck_assert_int_eq(allow_parse((text), &R[0], E, sizeof(E)), -1);	\
	ck_assert_str_eq(E, (msg));					\
} while (0)

/* The patterns of R[0] as a string. */
static const char *
pats(const struct allow_rule *r)
{
	static char buf[ALLOW_TEXT_MAX];

	snprintf(buf, sizeof(buf), "%.*s", (int)r->ar_npats,
	    r->ar_text + r->ar_pats);
	return buf;
}

START_TEST(test_parse_uid_number)
{
	PARSES("uid:1000 producers=credit-api,ranker-*");
	ck_assert_int_eq(R[0].ar_kind, ALLOW_UID);
	ck_assert_uint_eq(R[0].ar_id, 1000);
	ck_assert_str_eq(pats(&R[0]), "credit-api,ranker-*");
	ck_assert_str_eq(R[0].ar_text, "uid:1000 producers=credit-api,"
	    "ranker-*");
}
END_TEST

START_TEST(test_parse_gid_number)
{
	PARSES("gid:0 producers=*");
	ck_assert_int_eq(R[0].ar_kind, ALLOW_GID);
	ck_assert_uint_eq(R[0].ar_id, 0);
	ck_assert_str_eq(pats(&R[0]), "*");
}
END_TEST

START_TEST(test_parse_names)
{
	/* Debian has these in every installation. */
	PARSES("uid:root producers=a");
	ck_assert_int_eq(R[0].ar_kind, ALLOW_UID);
	ck_assert_uint_eq(R[0].ar_id, 0);
	PARSES("uid:nobody producers=a");
	ck_assert_uint_eq(R[0].ar_id, 65534);
	PARSES("gid:root producers=a");
	ck_assert_int_eq(R[0].ar_kind, ALLOW_GID);
	ck_assert_uint_eq(R[0].ar_id, 0);
	PARSES("gid:nogroup producers=a");
	ck_assert_uint_eq(R[0].ar_id, 65534);
}
END_TEST

START_TEST(test_parse_blanks)
{
	PARSES("uid:7 \t producers=x@host-1,y");
	ck_assert_uint_eq(R[0].ar_id, 7);
	ck_assert_str_eq(pats(&R[0]), "x@host-1,y");
	PARSES("uid:7 producers=x  ");
	ck_assert_str_eq(pats(&R[0]), "x");
}
END_TEST

START_TEST(test_parse_largest_id)
{
	PARSES("uid:4294967294 producers=x");
	ck_assert_uint_eq(R[0].ar_id, 4294967294u);
	/* (uid_t)-1 means "no id"; beyond it is no number. */
	FAILS("uid:4294967295 producers=x", "'uid:4294967295 producers=x': "
	    "no user named '4294967295' (give a name known to this host or "
	    "a number)");
}
END_TEST

START_TEST(test_parse_bad_prefix)
{
	static const char *bad[] = { "", "user:1 producers=x",
	    "UID:1 producers=x", "producers=x", " uid:1 producers=x",
	    "CN:a producers=x", "subject:a producers=x" };
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "'%s': a rule starts with "
		    "uid:USER or gid:GROUP (a name or a number) or cn:NAME "
		    "(a TLS client certificate's common name), e.g. uid:1000 "
		    "producers=credit-api,ranker-*", bad[i]);
		FAILS(bad[i], want);
	}
}
END_TEST

START_TEST(test_parse_no_identity)
{
	FAILS("uid: producers=x", "'uid: producers=x': no user after "
	    "'uid:'");
	FAILS("gid:", "'gid:': no group after 'gid:'");
	FAILS("cn: producers=x", "'cn: producers=x': no common name after "
	    "'cn:'");
	FAILS("cn:a", "'cn:a': expected ' producers=' after 'cn:a', e.g. "
	    "uid:1000 producers=credit-api,ranker-*");
	FAILS("cn:a producers=", "'cn:a producers=': empty producer list "
	    "(use producers=* to allow every id)");
}
END_TEST

START_TEST(test_parse_no_producers)
{
	FAILS("uid:1", "'uid:1': expected ' producers=' after 'uid:1', "
	    "e.g. uid:1000 producers=credit-api,ranker-*");
	FAILS("uid:1 ", "'uid:1 ': expected ' producers=' after 'uid:1', "
	    "e.g. uid:1000 producers=credit-api,ranker-*");
	FAILS("uid:1 producer=x", "'uid:1 producer=x': expected ' "
	    "producers=' after 'uid:1', e.g. uid:1000 producers=credit-api,"
	    "ranker-*");
	/* The identity runs up to a blank. */
	FAILS("gid:1,producers=x", "'gid:1,producers=x': expected ' "
	    "producers=' after 'gid:1,producers=x', e.g. uid:1000 "
	    "producers=credit-api,ranker-*");
}
END_TEST

START_TEST(test_parse_empty_list_and_patterns)
{
	FAILS("uid:1 producers=", "'uid:1 producers=': empty producer list "
	    "(use producers=* to allow every id)");
	FAILS("uid:1 producers=a,,b", "'uid:1 producers=a,,b': producer "
	    "pattern 2 is empty");
	FAILS("uid:1 producers=,a", "'uid:1 producers=,a': producer "
	    "pattern 1 is empty");
	FAILS("uid:1 producers=a,", "'uid:1 producers=a,': producer "
	    "pattern 2 is empty");
}
END_TEST

START_TEST(test_parse_long_pattern)
{
	char text[300], want[600];

	/* 128 bytes is a producer id; 129 is not. */
	snprintf(text, sizeof(text), "uid:1 producers=a,%0128d", 0);
	PARSES(text);
	snprintf(text, sizeof(text), "uid:1 producers=a,%0129d", 0);
	snprintf(want, sizeof(want), "'%s': producer pattern 2 is 129 "
	    "bytes, longer than a producer id (128)", text);
	FAILS(text, want);
}
END_TEST

START_TEST(test_parse_bad_bytes)
{
	FAILS("uid:1 producers=caf\xc3\xa9", "'uid:1 producers=caf\xc3\xa9': "
	    "byte 20 is not printable ASCII");
	FAILS("uid:1 producers=a\nb", "'uid:1 producers=a\nb': byte 18 is "
	    "not printable ASCII");
	FAILS("uid:1 producers=a\x7f", "'uid:1 producers=a\x7f': byte 18 is "
	    "not printable ASCII");
}
END_TEST

START_TEST(test_parse_trailing_words)
{
	FAILS("uid:1 producers=a b", "'uid:1 producers=a b': unexpected 'b' "
	    "after the producer list (patterns are separated by commas, "
	    "without spaces)");
	FAILS("uid:1 producers=a, b", "'uid:1 producers=a, b': unexpected "
	    "'b' after the producer list (patterns are separated by commas, "
	    "without spaces)");
	FAILS("uid:1 producers=a producers=b", "'uid:1 producers=a "
	    "producers=b': unexpected 'producers=b' after the producer list "
	    "(patterns are separated by commas, without spaces)");
}
END_TEST

START_TEST(test_parse_unknown_names)
{
	FAILS("uid:no-such-user-x producers=a", "'uid:no-such-user-x "
	    "producers=a': no user named 'no-such-user-x' (give a name known "
	    "to this host or a number)");
	FAILS("gid:no-such-group-x producers=a", "'gid:no-such-group-x "
	    "producers=a': no group named 'no-such-group-x' (give a name "
	    "known to this host or a number)");
	/* A sign or an overflow makes a name, and there is none. */
	FAILS("uid:-1 producers=a", "'uid:-1 producers=a': no user named "
	    "'-1' (give a name known to this host or a number)");
	FAILS("gid:99999999999 producers=a", "'gid:99999999999 producers=a': "
	    "no group named '99999999999' (give a name known to this host "
	    "or a number)");
}
END_TEST

START_TEST(test_parse_too_long)
{
	char *text;
	char want[256];

	text = malloc(ALLOW_TEXT_MAX + 1);
	ck_assert_ptr_nonnull(text);
	memcpy(text, "uid:1 producers=", 16);
	memset(text + 16, 'a', ALLOW_TEXT_MAX - 16);
	text[ALLOW_TEXT_MAX] = '\0';
	snprintf(want, sizeof(want), "'%.32s...': %d bytes, longer than the "
	    "limit of %d", text, ALLOW_TEXT_MAX, ALLOW_TEXT_MAX - 1);
	FAILS(text, want);
	free(text);
}
END_TEST

START_TEST(test_ids)
{
	uint32_t id = 7;

	ck_assert_int_eq(allow_user_id("root", &id, E, sizeof(E)), 0);
	ck_assert_uint_eq(id, 0);
	ck_assert_int_eq(allow_group_id("65534", &id, E, sizeof(E)), 0);
	ck_assert_uint_eq(id, 65534);
	ck_assert_int_eq(allow_group_id("", &id, E, sizeof(E)), -1);
	ck_assert_str_eq(E, "empty group name");
	ck_assert_int_eq(allow_user_id("", &id, E, sizeof(E)), -1);
	ck_assert_str_eq(E, "empty user name");
	ck_assert_int_eq(allow_group_id("nogroup-x", &id, E, sizeof(E)), -1);
	ck_assert_str_eq(E, "no group named 'nogroup-x' (give a name known "
	    "to this host or a number)");
}
END_TEST

/* One pattern case: the pattern, the id, whether it matches. */
struct pcase {
	const char	*pc_pat;
	const char	*pc_id;
	int		 pc_match;
};

static const struct pcase pcases[] = {
	{ "*", "anything", 1 },
	{ "*", "a", 1 },
	{ "credit-api", "credit-api", 1 },
	{ "credit-api", "credit-ap", 0 },
	{ "credit-api", "credit-api2", 0 },
	{ "credit-api", "Credit-api", 0 },
	{ "ranker-*", "ranker-", 1 },
	{ "ranker-*", "ranker-eu@host-3", 1 },
	{ "ranker-*", "ranker", 0 },
	{ "ranker-*", "xranker-1", 0 },
	{ "*@host-7", "credit-api@host-7", 1 },
	{ "*@host-7", "credit-api@host-77", 0 },
	{ "a*b*c", "abc", 1 },
	{ "a*b*c", "aXbYc", 1 },
	{ "a*b*c", "abXbYcZc", 1 },
	{ "a*b*c", "abXbYcZ", 0 },
	{ "a*b*c", "acb", 0 },
	{ "**", "x", 1 },
	{ "a**", "a", 1 },
	{ "*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	{ "*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 1 },
	{ "x?y", "xzy", 0 },		/* only '*' is special */
	{ "x?y", "x?y", 1 },
	{ "[a]", "a", 0 },
	{ "[a]", "[a]", 1 },
};

START_TEST(test_pattern_cases)
{
	const struct pcase *pc = &pcases[_i];

	if (allow_pattern_match(pc->pc_pat, strlen(pc->pc_pat), pc->pc_id) !=
	    pc->pc_match)
		ck_abort_msg("pattern '%s' on '%s': expected %s", pc->pc_pat,
		    pc->pc_id, pc->pc_match ? "a match" : "no match");
}
END_TEST

START_TEST(test_pattern_length_bounds)
{
	/* The pattern is pat's first plen bytes, not up to a NUL. */
	ck_assert_int_eq(allow_pattern_match("ab,cd", 2, "ab"), 1);
	ck_assert_int_eq(allow_pattern_match("ab,cd", 2, "ab,cd"), 0);
	ck_assert_int_eq(allow_pattern_match("a*,cd", 2, "a,cd"), 1);
	ck_assert_int_eq(allow_pattern_match("", 0, "a"), 0);
}
END_TEST

/* Parses text into R[i]. */
static void
rule(size_t i, const char *text)
{
	if (allow_parse(text, &R[i], E, sizeof(E)) != 0)
		ck_abort_msg("refused '%s': %s", text, E);
}

START_TEST(test_match_peer)
{
	struct allow_peer p = { 1000, 1000, NULL, 0, NULL };
	uint32_t groups[] = { 20, 4242 };

	rule(0, "uid:1000 producers=credit-api");
	rule(1, "gid:4242 producers=audit-*");
	rule(2, "uid:2000 producers=*");
	ck_assert_uint_eq(allow_match_peer(R, 3, &p), 1);
	/* A supplementary group counts. */
	p.ap_groups = groups;
	p.ap_ngroups = 2;
	ck_assert_uint_eq(allow_match_peer(R, 3, &p), 2);
	/* So does the primary group. */
	p.ap_uid = 3000;
	p.ap_gid = 4242;
	p.ap_ngroups = 0;
	ck_assert_uint_eq(allow_match_peer(R, 3, &p), 1);
	/* Nobody listed. */
	p.ap_uid = 65534;
	p.ap_gid = 65534;
	ck_assert_uint_eq(allow_match_peer(R, 3, &p), 0);
	/* A gid rule is not a uid rule. */
	p.ap_uid = 4242;
	ck_assert_uint_eq(allow_match_peer(R, 3, &p), 0);
	/* No rules, no match (conn.c treats "no rules" itself). */
	ck_assert_uint_eq(allow_match_peer(R, 0, &p), 0);
}
END_TEST

START_TEST(test_match_producer)
{
	struct allow_peer p = { 1000, 1000, NULL, 0, NULL };
	uint32_t groups[] = { 4242 };

	rule(0, "uid:1000 producers=credit-api,ranker-*");
	rule(1, "gid:4242 producers=audit-*");
	rule(2, "uid:2000 producers=*");
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "credit-api"), 1);
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "ranker-eu"), 1);
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "credit-api2"), 0);
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "audit-1"), 0);
	/* Rules the peer matches add up. */
	p.ap_groups = groups;
	p.ap_ngroups = 1;
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "audit-1"), 1);
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "credit-api"), 1);
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "other"), 0);
	/* Another uid's "*" is not ours. */
	p.ap_uid = 2000;
	p.ap_ngroups = 0;
	ck_assert_int_eq(allow_match_producer(R, 3, &p, "other"), 1);
	ck_assert_int_eq(allow_match_producer(R, 2, &p, "other"), 0);
	ck_assert_int_eq(allow_match_producer(R, 0, &p, "other"), 0);
}
END_TEST

START_TEST(test_match_cn)
{
	struct allow_peer unix_peer = { 1000, 1000, NULL, 0, NULL };
	struct allow_peer tls = { 0, 0, NULL, 0, "prod-a.example" };

	rule(0, "cn:prod-a.example producers=prod-a*");
	rule(1, "uid:0 producers=*");
	rule(2, "cn:prod-b producers=b");
	ck_assert_uint_eq(R[0].ar_kind, ALLOW_CN);
	ck_assert_uint_eq(allow_match_peer(R, 3, &tls), 1);
	ck_assert_int_eq(allow_match_producer(R, 3, &tls, "prod-a1"), 1);
	ck_assert_int_eq(allow_match_producer(R, 3, &tls, "b"), 0);
	/* uid 0 is no TLS peer's, though the TLS peer's uid field is 0. */
	ck_assert_int_eq(allow_match_producer(R, 3, &tls, "other"), 0);
	/* A cn rule never matches a Unix peer. */
	ck_assert_uint_eq(allow_match_peer(R, 1, &unix_peer), 0);
	/* Byte for byte: no prefix, no case folding. */
	tls.ap_cn = "prod-a.exampl";
	ck_assert_uint_eq(allow_match_peer(R, 3, &tls), 0);
	tls.ap_cn = "PROD-A.EXAMPLE";
	ck_assert_uint_eq(allow_match_peer(R, 3, &tls), 0);
	tls.ap_cn = "prod-a.example2";
	ck_assert_uint_eq(allow_match_peer(R, 3, &tls), 0);
	tls.ap_cn = "prod-b";
	ck_assert_int_eq(allow_match_producer(R, 3, &tls, "b"), 1);
	ck_assert_int_eq(allow_match_producer(R, 3, &tls, "prod-a1"), 0);
}
END_TEST

START_TEST(test_match_literal_comma_and_star)
{
	struct allow_peer p = { 5, 5, NULL, 0, NULL };

	/* Ids with ',' or '*' can only be matched through a wildcard. */
	rule(0, "uid:5 producers=a*b");
	ck_assert_int_eq(allow_match_producer(R, 1, &p, "a,b"), 1);
	ck_assert_int_eq(allow_match_producer(R, 1, &p, "a*b"), 1);
	rule(0, "uid:5 producers=a,b");
	ck_assert_int_eq(allow_match_producer(R, 1, &p, "a,b"), 0);
	ck_assert_int_eq(allow_match_producer(R, 1, &p, "a"), 1);
	ck_assert_int_eq(allow_match_producer(R, 1, &p, "b"), 1);
}
END_TEST

/* One suite for the module, one TCase per function family. */
static Suite *
allow_suite(void)
{
	Suite *s = suite_create("allow");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, allow_setup, NULL);
	tcase_add_test(tc, test_parse_uid_number);
	tcase_add_test(tc, test_parse_gid_number);
	tcase_add_test(tc, test_parse_names);
	tcase_add_test(tc, test_parse_blanks);
	tcase_add_test(tc, test_parse_largest_id);
	tcase_add_test(tc, test_parse_bad_prefix);
	tcase_add_test(tc, test_parse_no_identity);
	tcase_add_test(tc, test_parse_no_producers);
	tcase_add_test(tc, test_parse_empty_list_and_patterns);
	tcase_add_test(tc, test_parse_long_pattern);
	tcase_add_test(tc, test_parse_bad_bytes);
	tcase_add_test(tc, test_parse_trailing_words);
	tcase_add_test(tc, test_parse_unknown_names);
	tcase_add_test(tc, test_parse_too_long);
	tcase_add_test(tc, test_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("pattern");
	tcase_add_loop_test(tc, test_pattern_cases, 0,
	    (int)(sizeof(pcases) / sizeof(pcases[0])));
	tcase_add_test(tc, test_pattern_length_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_checked_fixture(tc, allow_setup, NULL);
	tcase_add_test(tc, test_match_peer);
	tcase_add_test(tc, test_match_producer);
	tcase_add_test(tc, test_match_cn);
	tcase_add_test(tc, test_match_literal_comma_and_star);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(allow_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
