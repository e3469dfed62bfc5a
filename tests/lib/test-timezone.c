/* SPDX-License-Identifier: MIT */
/*
 * TP-Link's table of zones: every index's rule read as glibc reads the
 * same POSIX TZ string, at instants around every transition of several
 * years, and the index found for a zone (IANA names, when this machine has
 * tzdata; POSIX strings otherwise), by its offsets and its name.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kasa.h"
#include "test-util.h"

/* The process's zone, as glibc reads TZ: the reference. */
static void use_zone(const char *tz)
{
	ck_assert_int_eq(setenv("TZ", tz, 1), 0);
	tzset();
}

static int glibc_offset(int64_t utc_s, int *ret_offset_s, void *userdata)
{
	time_t t = (time_t)utc_s;
	struct tm tm;

	(void)userdata;
	if (!localtime_r(&t, &tm))
		return -EINVAL;
	*ret_offset_s = (int)tm.tm_gmtoff;
	return 0;
}

START_TEST(test_table)
{
	ck_assert_str_eq(kasa_timezone_label(39), "(UTC) Dublin, Edinburgh, Lisbon, London");
	ck_assert_str_eq(kasa_timezone_rule(39), "GMT0BST,M3.5.0/1,M10.5.0");
	ck_assert_str_eq(kasa_timezone_label(0), "(UTC-12:00) International Date Line West");
	ck_assert_str_eq(kasa_timezone_label(KASA_TIMEZONE_INDEX_MAX),
			 "(UTC+14:00) Kiritimati Island");
	ck_assert_ptr_null(kasa_timezone_label(-1));
	ck_assert_ptr_null(kasa_timezone_rule(KASA_TIMEZONE_INDEX_MAX + 1));
}
END_TEST

/* Every index's offset, as glibc gives it for the same rule: hourly
 * through 2024 (a leap year) and 2026, so that every transition of either
 * hemisphere is passed, and daily at 01:00 UTC on a few far years. */
START_TEST(test_offsets_as_glibc)
{
	static const struct {
		int year, step_h;
	} years[] = {{1970, 24}, {2000, 24}, {2024, 1}, {2026, 1}, {2038, 24}, {2100, 24}};

	for (int i = 0; i <= KASA_TIMEZONE_INDEX_MAX; i++) {
		unsigned checked = 0;

		use_zone(kasa_timezone_rule(i));
		for (size_t y = 0; y < sizeof(years) / sizeof(years[0]); y++) {
			struct tm jan = {.tm_year = years[y].year - 1900, .tm_mday = 1, .tm_hour = 1};
			int64_t t0 = (int64_t)timegm(&jan);

			for (int64_t h = 0; h < 366 * 24; h += years[y].step_h) {
				int64_t t = t0 + h * 3600;
				int want, got = 12345;

				/* Check marks every passed assertion: only failures here. */
				if (glibc_offset(t, &want, NULL) < 0 ||
				    kasa_timezone_offset(i, t, &got) < 0 || got != want)
					ck_abort_msg("index %d (%s) at %lld: %d, glibc %d", i,
						     kasa_timezone_rule(i), (long long)t, got, want);
				checked++;
			}
		}
		ck_assert_uint_gt(checked, 2 * 8760);
	}
	ck_assert_int_eq(kasa_timezone_offset(110, 0, &(int){0}), -EINVAL);
	ck_assert_int_eq(kasa_timezone_offset(-1, 0, &(int){0}), -EINVAL);
}
END_TEST

static int find(const char *tz, const char *name)
{
	int index = -1, r;

	use_zone(tz);
	r = kasa_timezone_find(name, 2026, glibc_offset, NULL, &index);
	return r < 0 ? r : index;
}

/* Zones as POSIX strings, which need no tzdata. */
START_TEST(test_find_rules)
{
	/* One index a rule: that one. */
	ck_assert_int_eq(find("JST-9", NULL), 90);
	ck_assert_int_eq(find("NPT-5:45", NULL), 77);
	ck_assert_int_eq(find("ACST-9:30ACDT,M10.1.0,M4.1.0/3", NULL), 93);
	/* Several: the main one of the rule, not the first. */
	ck_assert_int_eq(find("PST8PDT,M3.2.0,M11.1.0", NULL), 6);
	ck_assert_int_eq(find("EST5EDT,M3.2.0,M11.1.0", NULL), 18);
	ck_assert_int_eq(find("CET-1CEST,M3.5.0,M10.5.0/3", NULL), 41);
	ck_assert_int_eq(find("EET-2EEST,M3.5.0/3,M10.5.0/4", NULL), 52);
	ck_assert_int_eq(find("UTC0", NULL), 38);
	/* ... unless the zone's name is one of them. */
	ck_assert_int_eq(find("EET-2EEST,M3.5.0/3,M10.5.0/4", "Europe/Helsinki"), 54);
	ck_assert_int_eq(find("CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Brussels"), 43);
	ck_assert_int_eq(find("PST8PDT,M3.2.0,M11.1.0", "Mexico/BajaNorte"), 4);
	/* A name is no help for other rules: index 18's is "EST", which
	 * keeps no DST, as 18 does; the first of the fixed UTC-5 ones. */
	ck_assert_int_eq(find("EST5", "EST"), 16);
	ck_assert_int_eq(find("CET-1CEST,M3.5.0,M10.5.0/3", "Asia/Tokyo"), 41);
	/* A zone the table lacks: no index keeps its time. */
	ck_assert_int_eq(find("XST-3:15", NULL), -ENOENT);
	ck_assert_int_eq(find("EST5EDT,M4.1.0,M10.5.0", NULL), -ENOENT);
	ck_assert_int_eq(kasa_timezone_find(NULL, 1969, glibc_offset, NULL, &(int){0}), -EINVAL);
	ck_assert_int_eq(kasa_timezone_find(NULL, 2026, NULL, NULL, &(int){0}), -EINVAL);
}
END_TEST

static int failing(int64_t utc_s, int *ret_offset_s, void *userdata)
{
	(void)utc_s;
	(void)ret_offset_s;
	++*(int *)userdata;
	return -EIO;
}

START_TEST(test_find_callback_error)
{
	int calls = 0, index = 77;

	ck_assert_int_eq(kasa_timezone_find(NULL, 2026, failing, &calls, &index), -EIO);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(index, 77);
}
END_TEST

/* Real zones, where tzdata is installed. */
START_TEST(test_find_iana)
{
	static const struct {
		const char *name;
		int index;
	} zones[] = {
		{"Europe/Berlin", 41},	   {"Europe/London", 39},      {"Europe/Lisbon", 39},
		{"America/New_York", 18},  {"America/Chicago", 13},    {"America/Denver", 10},
		{"America/Los_Angeles", 6}, {"America/Phoenix", 7},    {"America/Anchorage", 3},
		{"Asia/Kolkata", 75},	   {"Asia/Tokyo", 90},	       {"Australia/Sydney", 96},
		{"Australia/Brisbane", 95}, {"Pacific/Auckland", 104}, {"Etc/UTC", 38},
		{"Europe/Helsinki", 54},   {"Europe/Kyiv", 52},	       {"Asia/Kathmandu", 77},
	};

	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0)
		return; /* no tzdata here: the POSIX strings above stand for it */
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		char tz[64];

		snprintf(tz, sizeof(tz), ":%s", zones[i].name);
		ck_assert_msg(find(tz, zones[i].name) == zones[i].index, "%s: %d, not %d",
			      zones[i].name, find(tz, zones[i].name), zones[i].index);
	}
	/* Chatham's quarter hours are in no index. */
	ck_assert_int_eq(find(":Pacific/Chatham", "Pacific/Chatham"), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timezone");
	TCase *tc = tcase_create("table");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_offsets_as_glibc);
	tcase_add_test(tc, test_find_rules);
	tcase_add_test(tc, test_find_callback_error);
	tcase_add_test(tc, test_find_iana);
	suite_add_tcase(s, tc);
	return test_run(s);
}
