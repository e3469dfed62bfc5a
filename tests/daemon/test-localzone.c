/* SPDX-License-Identifier: MIT */
/* localzone.c: kasad's own zone, named and numbered as TP-Link's table has
 * it, from TZ as a file name, an IANA name or a POSIX rule; and what
 * time_zone's value gives a clock set. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../daemon/config.h"
#include "../../daemon/localzone.h"
#include "../lib/test-util.h"

static int index_of(const char *tz, char *name, size_t size)
{
	int index = -1, r;

	ck_assert_int_eq(setenv("TZ", tz, 1), 0);
	r = localzone_index(&index, name, size);
	return r < 0 ? r : index;
}

START_TEST(test_rules)
{
	char name[64];

	ck_assert_int_eq(index_of("JST-9", name, sizeof(name)), 90);
	ck_assert_str_eq(name, "JST-9");
	ck_assert_int_eq(index_of(":CET-1CEST,M3.5.0,M10.5.0/3", name, sizeof(name)), 41);
	ck_assert_str_eq(name, "CET-1CEST,M3.5.0,M10.5.0/3");
	ck_assert_int_eq(index_of("XST-3:15", name, sizeof(name)), -ENOENT);
	/* What time_zone gives: an index, or -1 for the plug's own. */
	ck_assert_int_eq(localzone_setting(CONFIG_ZONE_KEEP), -1);
	ck_assert_int_eq(localzone_setting(75), 75);
	ck_assert_int_eq(localzone_setting(0), 0);
	ck_assert_int_eq(setenv("TZ", "JST-9", 1), 0);
	ck_assert_int_eq(localzone_setting(CONFIG_ZONE_LOCAL), 90);
	/* A zone the table lacks: the plugs keep theirs. */
	ck_assert_int_eq(setenv("TZ", "XST-3:15", 1), 0);
	ck_assert_int_eq(localzone_setting(CONFIG_ZONE_LOCAL), -1);
}
END_TEST

/* IANA names, where tzdata is installed: TZ as a name or as a file. */
START_TEST(test_names)
{
	char name[64];

	if (access("/usr/share/zoneinfo/Europe/Brussels", R_OK) != 0)
		return;
	/* The name picks among the indices of one rule. */
	ck_assert_int_eq(index_of(":Europe/Brussels", name, sizeof(name)), 43);
	ck_assert_str_eq(name, "Europe/Brussels");
	ck_assert_int_eq(index_of("/usr/share/zoneinfo/Europe/Brussels", name, sizeof(name)), 43);
	ck_assert_str_eq(name, "Europe/Brussels");
	ck_assert_int_eq(index_of("Europe/Paris", name, sizeof(name)), 41);
	ck_assert_int_eq(index_of("America/New_York", name, sizeof(name)), 18);
	ck_assert_int_eq(index_of("Pacific/Chatham", name, sizeof(name)), -ENOENT);
	/* The name is cut to fit. */
	ck_assert_int_eq(index_of(":Europe/Brussels", name, 7), 41);
	ck_assert_str_eq(name, "Europe");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("localzone");
	TCase *tc = tcase_create("zone");

	tcase_add_test(tc, test_rules);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return test_run(s);
}
