/* SPDX-License-Identifier: ISC */
/*
 * check_errors.c: unit tests of errors.c: algaudit_strerror() names
 * every ALGAUDIT_E* code, explains errno values and unknown codes, and
 * algaudit_version() matches the header.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algaudit.h"

START_TEST(test_every_code)
{
	static const char *const names[] = {
		"ALGAUDIT_EINVAL:", "ALGAUDIT_EFULL:", "ALGAUDIT_ETIMEDOUT:",
		"ALGAUDIT_ECLOSED:", "ALGAUDIT_EREJECTED:", "ALGAUDIT_EPROTO:",
		"ALGAUDIT_EVERSION:", "ALGAUDIT_EFENCED:", "ALGAUDIT_ESPOOL:",
		"ALGAUDIT_EFORKED:", "ALGAUDIT_ENOTFOUND:"
	};
	int code;

	ck_assert_int_eq(ALGAUDIT_EMAX - ALGAUDIT_EINVAL,
	    (int)(sizeof(names) / sizeof(names[0])));
	for (code = ALGAUDIT_EINVAL; code < ALGAUDIT_EMAX; code++)
		ck_assert_msg(strncmp(algaudit_strerror(code),
		    names[code - ALGAUDIT_EINVAL],
		    strlen(names[code - ALGAUDIT_EINVAL])) == 0,
		    "%d: %s", code, algaudit_strerror(code));
	ck_assert_str_eq(algaudit_strerror(0), "success");
	ck_assert_str_eq(algaudit_strerror(ENOMEM), strerror(ENOMEM));
	ck_assert_ptr_nonnull(strstr(algaudit_strerror(ALGAUDIT_EMAX),
	    "unknown"));
	ck_assert_ptr_nonnull(strstr(algaudit_strerror(-1), "unknown"));
}
END_TEST

START_TEST(test_version)
{
	char v[32];

	snprintf(v, sizeof(v), "%d.%d.%d", ALGAUDIT_VERSION_MAJOR,
	    ALGAUDIT_VERSION_MINOR, ALGAUDIT_VERSION_PATCH);
	ck_assert_str_eq(algaudit_version(), v);
	ck_assert_str_eq(algaudit_version(), ALGAUDIT_VERSION_STRING);
}
END_TEST

static Suite *
errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("strerror");

	tcase_add_test(tc, test_every_code);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(errors_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
