/* SPDX-License-Identifier: MIT */
/* rulebody.c: the bodies of the countdown, schedule and time routes. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../daemon/rulebody.h"

static char why[128];

START_TEST(test_countdown)
{
	int64_t s = -7;
	bool on = true;

	ck_assert_int_eq(rulebody_countdown("{\"seconds\":1800,\"on\":false}", &s, &on, why,
					    sizeof(why)),
			 0);
	ck_assert_int_eq(s, 1800);
	ck_assert(!on);
	ck_assert_int_eq(rulebody_countdown("{\"minutes\":2,\"on\":true}", &s, &on, why, sizeof(why)),
			 0);
	ck_assert_int_eq(s, 120);
	ck_assert(on);
	ck_assert_int_eq(rulebody_countdown("{\"seconds\":5}", &s, &on, why, sizeof(why)), 0);
	ck_assert(!on);
	s = -7;
	ck_assert_int_eq(rulebody_countdown("{\"seconds\":0}", &s, &on, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(rulebody_countdown("{\"minutes\":10081}", &s, &on, why, sizeof(why)),
			 -EINVAL);
	ck_assert_int_eq(rulebody_countdown("{}", &s, &on, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(rulebody_countdown("", &s, &on, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(rulebody_countdown("{\"seconds\":5,\"x\":1}", &s, &on, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "unknown member \"x\"");
	ck_assert_int_eq(s, -7);
}
END_TEST

START_TEST(test_schedule)
{
	struct kasa_rule r;

	ck_assert_int_eq(rulebody_schedule("{\"on\":true,\"at\":\"23:59\",\"days\":[\"sat\",\"sun\"],"
					   "\"name\":\"late\",\"once\":true,\"enabled\":false}",
					   &r, why, sizeof(why)),
			 0);
	ck_assert(r.on && !r.repeat && !r.enabled);
	ck_assert_int_eq(r.at, KASA_RULE_AT_TIME);
	ck_assert_int_eq(r.min, 23 * 60 + 59);
	ck_assert_uint_eq(r.wday, 0x41);
	ck_assert_str_eq(r.name, "late");
	ck_assert_int_eq(rulebody_schedule("{\"on\":false,\"at\":\"sunrise\",\"offset_min\":-720}",
					   &r, why, sizeof(why)),
			 0);
	ck_assert_int_eq(r.at, KASA_RULE_AT_SUNRISE);
	ck_assert_int_eq(r.offset_min, -720);
	ck_assert_uint_eq(r.wday, 0x7f);
	ck_assert(r.enabled && r.repeat);
	ck_assert_str_eq(r.name, "kasad");

	static const char *const bad[] = {
		"{\"on\":true}", "{\"at\":\"07:00\"}", "{\"on\":1,\"at\":\"07:00\"}",
		"{\"on\":true,\"at\":\"7:00\"}", "{\"on\":true,\"at\":\"07:60\"}",
		"{\"on\":true,\"at\":\"07:0x\"}", "{\"on\":true,\"at\":\"noon\"}",
		"{\"on\":true,\"at\":\"07:00\",\"offset_min\":1}",
		"{\"on\":true,\"at\":\"sunset\",\"offset_min\":721}",
		"{\"on\":true,\"at\":\"07:00\",\"days\":[\"Mon\"]}",
		"{\"on\":true,\"at\":\"07:00\",\"days\":\"mon\"}",
		"{\"on\":true,\"at\":\"07:00\",\"name\":\"a\\u0001\"}",
		"{\"on\":true,\"at\":\"07:00\",\"once\":1}", "[]", "{"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(rulebody_schedule(bad[i], &r, why, sizeof(why)) == -EINVAL, "%s",
			      bad[i]);
}
END_TEST

START_TEST(test_time)
{
	int zone = 5;

	ck_assert_int_eq(rulebody_time("", &zone, why, sizeof(why)), 0);
	ck_assert_int_eq(zone, -1);
	ck_assert_int_eq(rulebody_time(" {} ", &zone, why, sizeof(why)), 0);
	ck_assert_int_eq(rulebody_time("{\"zone\":109}", &zone, why, sizeof(why)), 0);
	ck_assert_int_eq(zone, 109);
	ck_assert_int_eq(rulebody_time("{\"zone\":110}", &zone, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(rulebody_time("{\"zone\":\"1\"}", &zone, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(rulebody_time("{\"tz\":1}", &zone, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(zone, 109);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rulebody");
	TCase *tc = tcase_create("bodies");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_countdown);
	tcase_add_test(tc, test_schedule);
	tcase_add_test(tc, test_time);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
