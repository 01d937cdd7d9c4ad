/* SPDX-License-Identifier: ISC */
/*
 * check_output.c: unit tests of tools/output.c (Suite "output"): RFC
 * 3339 times both ways (nanoseconds, UTC, local offsets), exact number
 * formatting, display widths and ellipsis cutting at UTF-8 boundaries,
 * RFC 4180 CSV quoting, and the paged table. Output goes to a memory
 * stream and is compared with the exact expected text. Local-time tests
 * set TZ to POSIX zone strings, so they need no zoneinfo files.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools.h"

#define CHECK_NS	1000000000LL

/* A memory stream and its buffer. */
struct check_mem {
	FILE	*cm_fp;
	char	*cm_buf;
	size_t	 cm_len;
};

/* Opens a memory stream. */
static void
check_mem_open(struct check_mem *m)
{
	m->cm_buf = NULL;
	m->cm_len = 0;
	m->cm_fp = open_memstream(&m->cm_buf, &m->cm_len);
	ck_assert_ptr_nonnull(m->cm_fp);
}

/* Closes the stream and returns what was written (freed by caller). */
static char *
check_mem_close(struct check_mem *m)
{
	ck_assert_int_eq(fclose(m->cm_fp), 0);
	return m->cm_buf;
}

/* Sets TZ to a POSIX zone string and applies it. */
static void
check_tz(const char *tz)
{
	ck_assert_int_eq(setenv("TZ", tz, 1), 0);
	tzset();
}

/* Formats ns with digits in UTC and checks the text. */
static void
check_utc(int64_t ns, int digits, const char *want)
{
	char buf[OUTPUT_TIMELEN];

	ck_assert_int_eq(output_time_format(buf, sizeof(buf), ns, digits, 1),
	    0);
	ck_assert_str_eq(buf, want);
}

START_TEST(test_time_format_utc)
{
	check_utc(0, 9, "1970-01-01T00:00:00.000000000Z");
	check_utc(0, 0, "1970-01-01T00:00:00Z");
	check_utc(1714564800123456789LL, 9,
	    "2024-05-01T12:00:00.123456789Z");
	check_utc(1714564800123456789LL, 6, "2024-05-01T12:00:00.123456Z");
	/* Truncated, not rounded: .999 stays in its second. */
	check_utc(1714564800999999999LL, 3, "2024-05-01T12:00:00.999Z");
	check_utc(1714564800999999999LL, 0, "2024-05-01T12:00:00Z");
	check_utc(1714564800000000001LL, 9, "2024-05-01T12:00:00.000000001Z");
	/* Before the epoch the fraction still counts forward. */
	check_utc(-1, 9, "1969-12-31T23:59:59.999999999Z");
	check_utc(-CHECK_NS, 0, "1969-12-31T23:59:59Z");
	check_utc(951782400LL * CHECK_NS, 0, "2000-02-29T00:00:00Z");
	check_utc(INT64_MAX, 9, "2262-04-11T23:47:16.854775807Z");
	check_utc(INT64_MIN, 9, "1677-09-21T00:12:43.145224192Z");
}
END_TEST

START_TEST(test_time_format_local)
{
	char buf[OUTPUT_TIMELEN];

	check_tz("CST-8");
	ck_assert_int_eq(output_time_format(buf, sizeof(buf),
	    1714564800123456789LL, 9, 0), 0);
	ck_assert_str_eq(buf, "2024-05-01T20:00:00.123456789+08:00");
	check_tz("EST5");
	ck_assert_int_eq(output_time_format(buf, sizeof(buf),
	    1714564800123000000LL, 3, 0), 0);
	ck_assert_str_eq(buf, "2024-05-01T07:00:00.123-05:00");
	check_tz("IST-5:30");
	ck_assert_int_eq(output_time_format(buf, sizeof(buf),
	    1714564800LL * CHECK_NS, 0, 0), 0);
	ck_assert_str_eq(buf, "2024-05-01T17:30:00+05:30");
	check_tz("UTC0");
	ck_assert_int_eq(output_time_format(buf, sizeof(buf), 0, 0, 0), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00+00:00");
	/* --utc ignores TZ. */
	check_tz("CST-8");
	ck_assert_int_eq(output_time_format(buf, sizeof(buf), 0, 0, 1), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
}
END_TEST

START_TEST(test_time_format_bad)
{
	char buf[OUTPUT_TIMELEN];

	ck_assert_int_eq(output_time_format(buf, sizeof(buf), 0, 2, 1), -1);
	ck_assert_int_eq(output_time_format(buf, sizeof(buf), 0, 10, 1), -1);
	ck_assert_int_eq(output_time_format(buf, sizeof(buf), 0, -1, 1), -1);
	/* 20 bytes: one short for "1970-01-01T00:00:00Z" and its NUL. */
	ck_assert_int_eq(output_time_format(buf, 20, 0, 0, 1), -1);
	ck_assert_int_eq(output_time_format(buf, 21, 0, 0, 1), 0);
}
END_TEST

/* Parses s and checks the result. */
static void
check_parse(const char *s, int64_t want)
{
	int64_t ns = 0;

	ck_assert_msg(output_time_parse(s, &ns) == 0, "refused '%s'", s);
	ck_assert_msg(ns == want, "'%s': %lld, want %lld", s, (long long)ns,
	    (long long)want);
}

START_TEST(test_time_parse)
{
	check_parse("1970-01-01T00:00:00Z", 0);
	check_parse("2024-05-01T12:00:00.123456789Z", 1714564800123456789LL);
	check_parse("2024-05-01T12:00:00.5Z", 1714564800500000000LL);
	check_parse("2024-05-01t12:00:00z", 1714564800LL * CHECK_NS);
	check_parse("2024-05-01 12:00:00Z", 1714564800LL * CHECK_NS);
	check_parse("2024-05-01T20:00:00+08:00", 1714564800LL * CHECK_NS);
	check_parse("2024-05-01T07:00:00-05:00", 1714564800LL * CHECK_NS);
	check_parse("2024-05-01T17:30:00.000000001+05:30",
	    1714564800LL * CHECK_NS + 1);
	check_parse("2024-02-29T00:00:00Z", 1709164800LL * CHECK_NS);
	check_parse("2000-02-29T00:00:00Z", 951782400LL * CHECK_NS);
	check_parse("1969-12-31T23:59:59.999999999Z", -1);
}
END_TEST

START_TEST(test_time_parse_bad)
{
	static const char *const bad[] = {
		"", "2024-05-01", "2024-05-01T12:00:00",
		"2024-05-01T12:00Z", "2024-5-01T12:00:00Z",
		"2024-05-01X12:00:00Z", "2024-05-01T12:00:00.Z",
		"2024-05-01T12:00:00.1234567891Z",
		"2024-05-01T12:00:00Zjunk", "2024-05-01T12:00:00+8:00",
		"2024-05-01T12:00:00+0800", "2024-05-01T12:00:00+24:00",
		"2024-13-01T12:00:00Z", "2024-00-01T12:00:00Z",
		"2024-04-31T12:00:00Z", "2023-02-29T12:00:00Z",
		"1900-02-29T00:00:00Z", "2024-05-01T24:00:00Z",
		"2024-05-01T12:60:00Z", "2024-05-01T12:00:60Z",
		"1677-01-01T00:00:00Z", "2262-12-31T00:00:00Z",
		"+2024-05-01T12:00:00Z", " 2024-05-01T12:00:00Z"
	};
	int64_t ns = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(output_time_parse(bad[i], &ns) == -1,
		    "accepted '%s'", bad[i]);
		ck_assert_int_eq(ns, 42);
	}
}
END_TEST

START_TEST(test_time_round_trip)
{
	static const int64_t v[] = {
		0, 1, -1, 1714564800123456789LL, 4102444800LL * CHECK_NS,
		-2208988800LL * CHECK_NS + 7
	};
	char buf[OUTPUT_TIMELEN];
	int64_t ns;
	size_t i;

	check_tz("CST-8");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(output_time_format(buf, sizeof(buf), v[i], 9,
		    i % 2), 0);
		ck_assert_int_eq(output_time_parse(buf, &ns), 0);
		ck_assert_msg(ns == v[i], "%s", buf);
	}
}
END_TEST

START_TEST(test_now)
{
	int64_t a, b;

	a = output_now_ns();
	b = (int64_t)time(NULL) * CHECK_NS;
	ck_assert(a > 1600000000LL * CHECK_NS);
	ck_assert(a - b < 2 * CHECK_NS && b - a < 2 * CHECK_NS);
}
END_TEST

/* Formats v and checks the text and that it reads back exactly. */
static void
check_double(double v, const char *want)
{
	char buf[OUTPUT_NUMLEN];

	output_double(buf, sizeof(buf), v);
	ck_assert_str_eq(buf, want);
	ck_assert(strtod(buf, NULL) == v);
}

START_TEST(test_double)
{
	check_double(0.1, "0.1");
	check_double(0.25, "0.25");
	check_double(-0.5, "-0.5");
	check_double(100, "100");
	check_double(0, "0");
	check_double(1.0 / 3, "0.3333333333333333");
	check_double(0.1 + 0.2, "0.30000000000000004");
	check_double(1e300, "1e+300");
	check_double(12345, "12345");
	check_double(-1000000, "-1000000");
	check_double(1e15, "1000000000000000");
	check_double(1e16, "1e+16");
	check_double(0.001, "0.001");
	check_double(1e-7, "1e-07");
	check_double(123456789.125, "123456789.125");
	ck_assert_int_eq(output_double_digits(0.5), 1);
	ck_assert_int_eq(output_double_digits(0.1 + 0.2), 17);
}
END_TEST

START_TEST(test_width)
{
	ck_assert_uint_eq(output_width(""), 0);
	ck_assert_uint_eq(output_width("abc"), 3);
	ck_assert_uint_eq(output_width("caf\xc3\xa9"), 4);	/* café */
	ck_assert_uint_eq(output_width("\xe4\xb8\xad\xe6\x96\x87"), 4);
	ck_assert_uint_eq(output_width("e\xcc\x81"), 1);	/* e + acute */
	ck_assert_uint_eq(output_width("a\tb\n"), 4);
	ck_assert_uint_eq(output_width("\xff\xfe"), 2);
	ck_assert_uint_eq(output_width("\xf0\x9f\x98\x80"), 2); /* emoji */
}
END_TEST

/* Makes a cell of src cut to max and checks text and width. */
static void
check_cell(const char *src, size_t max, const char *want, size_t wantw)
{
	char *s;
	size_t w = 999;

	s = output_cell(src, max, &w);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, want);
	ck_assert_uint_eq(w, wantw);
	ck_assert_uint_le(w, max);
	free(s);
}

START_TEST(test_cell_cut)
{
	check_cell("abcdef", 6, "abcdef", 6);
	check_cell("abcdef", 10, "abcdef", 6);
	check_cell("abcdefgh", 5, "abcd\xe2\x80\xa6", 5);
	check_cell("ab", 1, "\xe2\x80\xa6", 1);
	check_cell("ab", 0, "", 0);
	check_cell("", 0, "", 0);
	check_cell(NULL, 5, "", 0);
	/* Two-byte characters are never split. */
	check_cell("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3,
	    "\xc3\xa9\xc3\xa9\xe2\x80\xa6", 3);
	/* Wide characters: 2 columns each, never split, never over max. */
	check_cell("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe7\xac\xa6", 5,
	    "\xe4\xb8\xad\xe6\x96\x87\xe2\x80\xa6", 5);
	check_cell("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe7\xac\xa6", 4,
	    "\xe4\xb8\xad\xe2\x80\xa6", 3);
	check_cell("\xe4\xb8\xad\xe6\x96\x87", 4,
	    "\xe4\xb8\xad\xe6\x96\x87", 4);
	/* Four-byte characters. */
	check_cell("\xf0\x9f\x98\x80\xf0\x9f\x98\x80x", 4,
	    "\xf0\x9f\x98\x80\xe2\x80\xa6", 3);
	/* A combining mark stays with its letter. */
	check_cell("e\xcc\x81" "e\xcc\x81" "e", 2, "e\xcc\x81\xe2\x80\xa6", 2);
}
END_TEST

START_TEST(test_cell_sanitize)
{
	check_cell("a\nb\tc\x1b[2J", 20, "a?b?c?[2J", 9);
	check_cell("x\x7fy", 5, "x?y", 3);
	check_cell("x\xc2\x85y", 5, "x?y", 3);		/* C1 NEL */
	check_cell("ab\xe2\x80\xae" "cd", 10, "ab?cd", 5);	/* RLO */
	check_cell("ab\xe2\x81\xa6" "cd", 10, "ab?cd", 5);	/* LRI */
	check_cell("a\xff\xc3(b", 10, "a?" "?(b", 5);
	check_cell("\xed\xa0\x80", 10, "???", 3);		/* surrogate */
	check_cell("\xe0\x80\xaf", 10, "???", 3);		/* overlong */
	check_cell("\n\n\n\n\n", 3, "??\xe2\x80\xa6", 3);
}
END_TEST

/* Writes the fields as one CSV record and checks the text. */
static void
check_csv(const char *const *fields, size_t n, const char *want)
{
	struct check_mem m;
	char *out;
	size_t i;

	check_mem_open(&m);
	for (i = 0; i < n; i++)
		output_csv_field(m.cm_fp, fields[i], i == 0);
	output_csv_end(m.cm_fp);
	out = check_mem_close(&m);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(test_csv)
{
	const char *plain[] = { "a", "b c", "1.5" };
	const char *comma[] = { "a,b", "c" };
	const char *quote[] = { "say \"hi\"", "\"" };
	const char *lines[] = { "one\ntwo", "cr\rhere", "crlf\r\n" };
	const char *empty[] = { "", NULL, "x", NULL };
	const char *other[] = { "semi;colon", "tab\there", " lead", "'" };
	const char *utf8[] = { "\xe4\xb8\xad,\xe6\x96\x87" };

	check_csv(plain, 3, "a,b c,1.5\r\n");
	check_csv(comma, 2, "\"a,b\",c\r\n");
	check_csv(quote, 2, "\"say \"\"hi\"\"\",\"\"\"\"\r\n");
	check_csv(lines, 3, "\"one\ntwo\",\"cr\rhere\",\"crlf\r\n\"\r\n");
	check_csv(empty, 4, ",,x,\r\n");
	check_csv(other, 4, "semi;colon,tab\there, lead,'\r\n");
	check_csv(utf8, 1, "\"\xe4\xb8\xad,\xe6\x96\x87\"\r\n");
}
END_TEST

static const struct output_column check_cols[] = {
	{ "N", SIZE_MAX, 1 },
	{ "NAME", 6, 0 },
	{ "NOTE", 8, 0 }
};

/* Feeds rows of three cells to a table with page and returns the text. */
static char *
check_table(const char *const (*rows)[3], size_t n, size_t page)
{
	struct output_table *t = NULL;
	struct check_mem m;
	size_t i;

	check_mem_open(&m);
	ck_assert_int_eq(output_table_new(&t, m.cm_fp, check_cols, 3, page),
	    0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(output_table_row(t, rows[i]), 0);
	ck_assert_int_eq(output_table_end(t), 0);
	output_table_free(t);
	return check_mem_close(&m);
}

START_TEST(test_table)
{
	const char *const rows[][3] = {
		{ "1", "ann", "ok" },
		{ "22", "bartholomew", "a long note here" },
		{ "333", "\xe4\xb8\xad\xe6\x96\x87", NULL }
	};
	char *out;

	out = check_table(rows, 3, 100);
	ck_assert_str_eq(out,
	    "  N  NAME    NOTE\n"
	    "  1  ann     ok\n"
	    " 22  barth\xe2\x80\xa6  a long \xe2\x80\xa6\n"
	    "333  \xe4\xb8\xad\xe6\x96\x87\n");
	free(out);
}
END_TEST

START_TEST(test_table_paged)
{
	const char *const rows[][3] = {
		{ "1", "ab", "x" },
		{ "2", "abc", "y" },
		{ "3000", "abcdefgh", "zzzzzz" }
	};
	char *out;

	/*
	 * Widths come from the first two rows; the third is cut to them,
	 * except the number, which is never cut.
	 */
	out = check_table(rows, 3, 2);
	ck_assert_str_eq(out,
	    "N  NAME  NOTE\n"
	    "1  ab    x\n"
	    "2  abc   y\n"
	    "3000  abc\xe2\x80\xa6  zzz\xe2\x80\xa6\n");
	free(out);
}
END_TEST

START_TEST(test_table_min_width)
{
	const char *const rows[][3] = {
		{ "1", "", "" },
		{ "", "b", "" },
		{ "1000", "c", "d" }
	};
	struct output_table *t = NULL;
	struct check_mem m;
	char *out;
	size_t i;

	check_mem_open(&m);
	ck_assert_int_eq(output_table_new(&t, m.cm_fp, check_cols, 3, 1),
	    0);
	output_table_min_width(t, 0, 4);
	output_table_min_width(t, 7, 4);	/* no such column: ignored */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(output_table_row(t, rows[i]), 0);
	ck_assert_int_eq(output_table_end(t), 0);
	output_table_free(t);
	out = check_mem_close(&m);
	/* Empty trailing cells leave no blanks; an empty row is empty. */
	ck_assert_str_eq(out,
	    "   N  NAME  NOTE\n"
	    "   1\n"
	    "      b\n"
	    "1000  c     d\n");
	free(out);
}
END_TEST

START_TEST(test_table_empty)
{
	char *out;

	out = check_table(NULL, 0, 10);
	ck_assert_str_eq(out, "N  NAME  NOTE\n");
	free(out);
}
END_TEST

START_TEST(test_table_bad)
{
	struct output_table *t = NULL;

	ck_assert_int_eq(output_table_new(&t, stdout, check_cols, 0, 1),
	    EINVAL);
	ck_assert_ptr_null(t);
	output_table_free(NULL);
}
END_TEST

/* The suite. */
static Suite *
check_output_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("output");
	tc = tcase_create("time");
	tcase_add_test(tc, test_time_format_utc);
	tcase_add_test(tc, test_time_format_local);
	tcase_add_test(tc, test_time_format_bad);
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_time_parse_bad);
	tcase_add_test(tc, test_time_round_trip);
	tcase_add_test(tc, test_now);
	suite_add_tcase(s, tc);
	tc = tcase_create("number");
	tcase_add_test(tc, test_double);
	suite_add_tcase(s, tc);
	tc = tcase_create("cell");
	tcase_add_test(tc, test_width);
	tcase_add_test(tc, test_cell_cut);
	tcase_add_test(tc, test_cell_sanitize);
	suite_add_tcase(s, tc);
	tc = tcase_create("csv");
	tcase_add_test(tc, test_csv);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_table_paged);
	tcase_add_test(tc, test_table_min_width);
	tcase_add_test(tc, test_table_empty);
	tcase_add_test(tc, test_table_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(check_output_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
