/* SPDX-License-Identifier: MIT */
/* common/mac.h: every way plugs and people write a MAC, read into one form. */
#include <check.h>
#include <string.h>

#include "../lib/test-util.h"
#include "common/mac.h"

START_TEST(test_forms)
{
	static const char *const forms[] = {
		"50:C7:BF:0A:1B:2C", "50:c7:bf:0a:1b:2c", "50-C7-BF-0A-1B-2C",
		"50-c7-bf-0a-1b-2c", "50C7BF0A1B2C",	  "50c7bf0a1b2c",
	};
	char mac[MAC_TEXT_SIZE];

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(mac, 'x', sizeof(mac));
		ck_assert_msg(mac_parse(forms[i], mac), "%s", forms[i]);
		ck_assert_str_eq(mac, "50:C7:BF:0A:1B:2C");
	}
}
END_TEST

START_TEST(test_refused)
{
	static const char *const bad[] = {
		"",
		"50:C7:BF:0A:1B",
		"50:C7:BF:0A:1B:2C:3D",
		"50:C7:BF:0A:1B:2G",
		"50.C7.BF.0A.1B.2C",
		"50:C7:BF:0A:1B:2C ",
		" 50:C7:BF:0A:1B:2C",
		"50C7BF0A1B2",
		"50C7BF0A1B2CD",
		"5:0C7:BF:0A:1B:2C",
		"50:C7:BF:0A:1B:\xc3\xa9",
	};
	char mac[MAC_TEXT_SIZE] = "untouched";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!mac_parse(bad[i], mac), "%s", bad[i]);
		ck_assert_str_eq(mac, "untouched");
	}
}
END_TEST

static Suite *mac_suite(void)
{
	Suite *s = suite_create("mac");
	TCase *tc = tcase_create("mac");

	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(mac_suite());
}
