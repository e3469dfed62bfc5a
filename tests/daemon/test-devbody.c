/* SPDX-License-Identifier: MIT */
/* devbody.c: the bodies of a device's own verbs, a switch, an alias and a
 * dimmer's brightness, as clients send them and as they must not. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../daemon/devbody.h"
#include "../lib/test-util.h"

START_TEST(test_switch)
{
	static const char *const on[] = {"ON", "on", " true\n", "1", "\"On\"", "{\"on\":true}",
					 "{\"state\":\"ON\"}", "{\"state\":1}", "{\"state\":true}"};
	static const char *const off[] = {"OFF", "false", "0", "{\"on\":false}",
					  "{\"state\":\"off\"}", "{\"state\":0}"};
	static const char *const bad[] = {"", "yes", "2", "{\"state\":2}", "{\"on\":\"maybe\"}",
					  "{}", "[1]", "{\"on\":", "\"\""};

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		ck_assert_msg(devbody_switch(on[i]) == 1, "%s", on[i]);
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		ck_assert_msg(devbody_switch(off[i]) == 0, "%s", off[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(devbody_switch(bad[i]) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(test_alias)
{
	char alias[64] = "kept";

	ck_assert_int_eq(devbody_alias("{\"alias\":\"Kettle \\u00e9\"}", alias), 0);
	ck_assert_str_eq(alias, "Kettle \xc3\xa9");
	strcpy(alias, "kept");
	ck_assert_int_eq(devbody_alias("{\"alias\":\"\"}", alias), -EINVAL);
	ck_assert_int_eq(devbody_alias("{\"alias\":\"a\\u0001b\"}", alias), -EINVAL);
	ck_assert_int_eq(devbody_alias("{\"alias\":\"a\\u0000b\"}", alias), -EINVAL);
	ck_assert_int_eq(devbody_alias("{\"alias\":7}", alias), -EINVAL);
	ck_assert_int_eq(devbody_alias("\"Kettle\"", alias), -EINVAL);
	ck_assert_int_eq(devbody_alias("{\"alias\":\"0123456789012345678901234567890123456789"
				       "012345678901234567890123\"}",
				       alias),
			 -EINVAL);
	ck_assert_str_eq(alias, "kept");
}
END_TEST

static int level(const char *body, int *ret)
{
	return devbody_brightness(body, strlen(body), ret);
}

START_TEST(test_brightness)
{
	static const struct {
		const char *body;
		int want;
	} good[] = {
		{"50", 50},
		{" 1\r\n", 1},
		{"100", 100},
		{"{\"brightness\":75}", 75},
		{" { \"brightness\" : 30 } \n", 30},
	};
	/* A whole number, but no level: 0 is off, which is the relay's. */
	static const char *const range[] = {"0", "101", "-1", "{\"brightness\":0}",
					    "{\"brightness\":1000}", "99999999999999999999999"};
	static const char *const bad[] = {
		"",
		"  ",
		"50.5",
		"5e1",
		"\"50\"",
		"50abc",
		"50 60",
		"true",
		"null",
		"[50]",
		"{}",
		"{\"brightness\":\"50\"}",
		"{\"brightness\":50.0}",
		"{\"brightness\":50,\"on\":true}",
		"{\"level\":50}",
		"{\"brightness\":50}x",
		"{\"brightness\":{\"brightness\":50}}",
	};
	char big[DEVBODY_BRIGHTNESS_MAX + 2];
	int v = -7;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(level(good[i].body, &v) == 0, "'%s' refused", good[i].body);
		ck_assert_int_eq(v, good[i].want);
	}
	v = -7;
	for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		ck_assert_msg(level(range[i], &v) == -ERANGE, "'%s'", range[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(level(bad[i], &v) == -EINVAL, "'%s'", bad[i]);
	ck_assert_int_eq(v, -7);

	/* Not NUL-terminated (an MQTT payload), and a NUL inside. */
	ck_assert_int_eq(devbody_brightness("42xyz", 2, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(devbody_brightness("4\0" "2", 3, &v), -EINVAL);
	/* Over the cap, even when blanks. */
	memset(big, ' ', sizeof(big));
	big[0] = '5';
	ck_assert_int_eq(devbody_brightness(big, sizeof(big), &v), -EMSGSIZE);
	ck_assert_int_eq(devbody_brightness(big, DEVBODY_BRIGHTNESS_MAX, &v), 0);
	ck_assert_int_eq(v, 5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("devbody");
	TCase *tc = tcase_create("bodies");

	tcase_add_test(tc, test_switch);
	tcase_add_test(tc, test_alias);
	tcase_add_test(tc, test_brightness);
	suite_add_tcase(s, tc);
	return test_run(s);
}
