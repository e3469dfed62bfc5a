/* SPDX-License-Identifier: MIT */
/* Request builders: exact bytes, escaping, contexts and argument checks. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kasa.h"
#include "test-util.h"

#define CHILD "8006B8B4F8E9963F903B170A018DDAAE1ABB51EA01"
#define CTX   "{\"context\":{\"child_ids\":[\"" CHILD "\"]},"

/* What the builder under test wrote. */
static char *json;

/* Compare a builder's result with the exact text expected, and free it. */
static void expect(int r, const char *want)
{
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, want);
	free(json);
	json = NULL;
}

/* Only that the builder took its arguments. */
static void accepted(int r)
{
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(json);
	free(json);
	json = NULL;
}

START_TEST(test_sysinfo)
{
	/* The PROTOCOL.md test vector, byte for byte. */
	expect(kasa_req_sysinfo(&json), "{\"system\":{\"get_sysinfo\":{}}}");
	expect(kasa_req_time(&json), "{\"time\":{\"get_time\":{}}}");
	expect(kasa_req_sysinfo_emeter(&json),
	       "{\"system\":{\"get_sysinfo\":{}},\"emeter\":{\"get_realtime\":{}}}");
}
END_TEST

START_TEST(test_sysinfo_encrypts_to_vector)
{
	static const uint8_t want[] = {0xd0, 0xf2, 0x81, 0xf8, 0x8b, 0xff, 0x9a, 0xf7, 0xd5, 0xef,
				       0x94, 0xb6, 0xd1, 0xb4, 0xc0, 0x9f, 0xec, 0x95, 0xe6, 0x8f,
				       0xe1, 0x87, 0xe8, 0xca, 0xf0, 0x8b, 0xf6, 0x8b, 0xf6};
	char *req = NULL;

	ck_assert_int_eq(kasa_req_sysinfo(&req), 0);
	ck_assert_uint_eq(strlen(req), sizeof(want));
	kasa_encrypt(req, strlen(req));
	ck_assert_mem_eq(req, want, sizeof(want));
	free(req);
}
END_TEST

START_TEST(test_relay)
{
	expect(kasa_req_relay(NULL, true, &json),
	       "{\"system\":{\"set_relay_state\":{\"state\":1}}}");
	expect(kasa_req_relay(NULL, false, &json),
	       "{\"system\":{\"set_relay_state\":{\"state\":0}}}");
	expect(kasa_req_relay(CHILD, true, &json),
	       CTX "\"system\":{\"set_relay_state\":{\"state\":1}}}");
}
END_TEST

START_TEST(test_led_reboot)
{
	expect(kasa_req_led(false, &json), "{\"system\":{\"set_led_off\":{\"off\":1}}}");
	expect(kasa_req_led(true, &json), "{\"system\":{\"set_led_off\":{\"off\":0}}}");
	expect(kasa_req_reboot(1, &json), "{\"system\":{\"reboot\":{\"delay\":1}}}");
	expect(kasa_req_reboot(4294967295u, &json),
	       "{\"system\":{\"reboot\":{\"delay\":4294967295}}}");
}
END_TEST

START_TEST(test_brightness)
{
	/* PROTOCOL.md's dimmer request, byte for byte. */
	expect(kasa_req_brightness(50, &json),
	       "{\"smartlife.iot.dimmer\":{\"set_brightness\":{\"brightness\":50}}}");
	expect(kasa_req_brightness(KASA_BRIGHTNESS_MIN, &json),
	       "{\"smartlife.iot.dimmer\":{\"set_brightness\":{\"brightness\":1}}}");
	expect(kasa_req_brightness(KASA_BRIGHTNESS_MAX, &json),
	       "{\"smartlife.iot.dimmer\":{\"set_brightness\":{\"brightness\":100}}}");
	/* 0 is no level (some firmware refuses it, some takes it as 1): off is
	 * the relay's. */
	ck_assert_int_eq(kasa_req_brightness(0, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_brightness(101, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_brightness(-50, &json), -EINVAL);
	ck_assert_ptr_null(json);
}
END_TEST

START_TEST(test_alias)
{
	char long_alias[65];

	expect(kasa_req_alias(NULL, "Lamp", &json),
	       "{\"system\":{\"set_dev_alias\":{\"alias\":\"Lamp\"}}}");
	expect(kasa_req_alias(CHILD, "TV", &json),
	       CTX "\"system\":{\"set_dev_alias\":{\"alias\":\"TV\"}}}");
	/* Quotes and backslashes are escaped; a slash and UTF-8 pass as they are. */
	expect(kasa_req_alias(NULL, "a\"b\\c/d \xc3\xa9", &json),
	       "{\"system\":{\"set_dev_alias\":{\"alias\":\"a\\\"b\\\\c/d \xc3\xa9\"}}}");

	memset(long_alias, 'x', 63);
	long_alias[63] = '\0';
	accepted(kasa_req_alias(NULL, long_alias, &json));
	long_alias[63] = 'x';
	long_alias[64] = '\0';
	ck_assert_int_eq(kasa_req_alias(NULL, long_alias, &json), -EINVAL);

	ck_assert_int_eq(kasa_req_alias(NULL, "", &json), -EINVAL);
	ck_assert_int_eq(kasa_req_alias(NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_alias(NULL, "line\nbreak", &json), -EINVAL);
	ck_assert_int_eq(kasa_req_alias(NULL, "tab\t", &json), -EINVAL);
	ck_assert_int_eq(kasa_req_alias(NULL, "del\x7f", &json), -EINVAL);
	/* The plug's JSON, and every answer kasad gives about it, want UTF-8. */
	ck_assert_int_eq(kasa_req_alias(NULL, "\xff\xfe", &json), -EINVAL);
	ck_assert_int_eq(kasa_req_alias(NULL, "cut \xc3", &json), -EINVAL);
	ck_assert_int_eq(kasa_req_alias(NULL, "surrogate \xed\xa0\x80", &json), -EINVAL);
}
END_TEST

START_TEST(test_emeter)
{
	expect(kasa_req_emeter_realtime(NULL, &json), "{\"emeter\":{\"get_realtime\":{}}}");
	expect(kasa_req_emeter_realtime(CHILD, &json), CTX "\"emeter\":{\"get_realtime\":{}}}");
	expect(kasa_req_emeter_daily(NULL, 2026, 11, &json),
	       "{\"emeter\":{\"get_daystat\":{\"year\":2026,\"month\":11}}}");
	expect(kasa_req_emeter_daily(CHILD, 2026, 1, &json),
	       CTX "\"emeter\":{\"get_daystat\":{\"year\":2026,\"month\":1}}}");
	expect(kasa_req_emeter_monthly(NULL, 2026, &json),
	       "{\"emeter\":{\"get_monthstat\":{\"year\":2026}}}");
	expect(kasa_req_emeter_monthly(CHILD, 2025, &json),
	       CTX "\"emeter\":{\"get_monthstat\":{\"year\":2025}}}");
	expect(kasa_req_emeter_erase(NULL, &json), "{\"emeter\":{\"erase_emeter_stat\":{}}}");
	expect(kasa_req_emeter_erase(CHILD, &json), CTX "\"emeter\":{\"erase_emeter_stat\":{}}}");

	ck_assert_int_eq(kasa_req_emeter_daily(NULL, 2026, 0, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_emeter_daily(NULL, 2026, 13, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_emeter_daily(NULL, -1, 5, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_emeter_monthly(NULL, 10000, &json), -EINVAL);
}
END_TEST

START_TEST(test_bad_child_id)
{
	char id[KASA_ID_MAX + 1];

	ck_assert_int_eq(kasa_req_relay("", true, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_relay("80\n01", true, &json), -EINVAL);
	memset(id, 'A', KASA_ID_MAX);
	id[KASA_ID_MAX] = '\0';
	ck_assert_int_eq(kasa_req_emeter_realtime(id, &json), -EINVAL);
	/* The longest that fits a struct kasa_outlet id is fine. */
	id[KASA_ID_MAX - 1] = '\0';
	accepted(kasa_req_emeter_realtime(id, &json));
}
END_TEST

/*
 * A plug may report an outlet id no request can carry.  Every builder that
 * takes one says so (-EINVAL, not a NULL taken for ENOMEM by callers) and
 * leaves *ret_json alone.
 */
START_TEST(test_plug_child_id_refused)
{
	static const char *const ids[] = {CHILD "\x01", "80\x1f-01", "8006\x7f-00", "\n"};
	char *untouched = (char *)"untouched";

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *id = ids[i];

		json = untouched;
		ck_assert_int_eq(kasa_req_relay(id, true, &json), -EINVAL);
		ck_assert_int_eq(kasa_req_alias(id, "Lamp", &json), -EINVAL);
		ck_assert_int_eq(kasa_req_emeter_realtime(id, &json), -EINVAL);
		ck_assert_int_eq(kasa_req_emeter_daily(id, 2026, 1, &json), -EINVAL);
		ck_assert_int_eq(kasa_req_emeter_monthly(id, 2026, &json), -EINVAL);
		ck_assert_int_eq(kasa_req_emeter_erase(id, &json), -EINVAL);
		ck_assert_int_eq(kasa_req_with_context("{\"system\":{}}", id, &json), -EINVAL);
		ck_assert_ptr_eq(json, untouched);
	}
	json = NULL;
}
END_TEST

START_TEST(test_with_context)
{
	expect(kasa_req_with_context("{\"count_down\":{\"get_rules\":{}}}", CHILD, &json),
	       CTX "\"count_down\":{\"get_rules\":{}}}");
	/* Several modules keep their order; an existing context is replaced. */
	expect(kasa_req_with_context("{ \"schedule\" : {\"get_rules\":null}, \"context\":"
				     "{\"child_ids\":[\"x\"]}, \"emeter\":{\"get_realtime\":{}} }",
				     CHILD, &json),
	       CTX "\"schedule\":{\"get_rules\":null},\"emeter\":{\"get_realtime\":{}}}");
	/* No child: a compact copy. */
	expect(kasa_req_with_context(" {\"system\" : {\"get_sysinfo\":{}}}\n", NULL, &json),
	       "{\"system\":{\"get_sysinfo\":{}}}");
	expect(kasa_req_with_context("{\"a\":\"\\\"q\\u00e9\"}", NULL, &json),
	       "{\"a\":\"\\\"q\xc3\xa9\"}");

	ck_assert_int_eq(kasa_req_with_context(NULL, CHILD, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_with_context("", CHILD, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_with_context("[1,2]", CHILD, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_with_context("\"str\"", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_with_context("{\"a\":1} x", CHILD, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_with_context("{\"a\":1}{}", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_with_context("{\"a\":", CHILD, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_with_context("{\"a\":1}", "", &json), -EINVAL);
}
END_TEST

START_TEST(test_with_context_caps)
{
	size_t cap = 64 * 1024;
	char *big = malloc(cap + 2);
	char deep[512];

	/* {"a":"xxxx...."} exactly at the cap is taken, one byte more is not. */
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', cap + 1);
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + cap - 2, "\"}", 3);
	accepted(kasa_req_with_context(big, NULL, &json));
	memcpy(big + cap - 2, "x\"}", 4);
	ck_assert_uint_eq(strlen(big), cap + 1);
	ck_assert_int_eq(kasa_req_with_context(big, NULL, &json), -EMSGSIZE);
	free(big);

	/* Nesting deeper than the parser's limit is refused, not recursed into. */
	strcpy(deep, "");
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"a\":");
	strcat(deep, "1");
	for (int i = 0; i < 40; i++)
		strcat(deep, "}");
	ck_assert_int_eq(kasa_req_with_context(deep, NULL, &json), -EINVAL);
}
END_TEST

START_TEST(test_child_id)
{
	char id[KASA_ID_MAX] = "untouched";
	char dev[KASA_ID_MAX + 8];

	ck_assert_int_eq(kasa_child_id("8006B8B4F8E9963F903B170A018DDAAE1ABB51EA", 1, id), 0);
	ck_assert_str_eq(id, CHILD);
	ck_assert_uint_eq(strlen(id), KASA_CHILD_ID_LEN);
	ck_assert_int_eq(kasa_child_id("AB", 0, id), 0);
	ck_assert_str_eq(id, "AB00");
	ck_assert_int_eq(kasa_child_id("AB", 99, id), 0);
	ck_assert_str_eq(id, "AB99");

	strcpy(id, "untouched");
	ck_assert_int_eq(kasa_child_id("AB", 100, id), -EINVAL);
	ck_assert_int_eq(kasa_child_id("", 0, id), -EINVAL);
	ck_assert_int_eq(kasa_child_id(NULL, 0, id), -EINVAL);
	ck_assert_str_eq(id, "untouched");

	/* 61 characters plus two digits fill the buffer; 62 do not fit. */
	memset(dev, 'F', sizeof(dev));
	dev[KASA_ID_MAX - 3] = '\0';
	ck_assert_int_eq(kasa_child_id(dev, 5, id), 0);
	ck_assert_uint_eq(strlen(id), KASA_ID_MAX - 1);
	ck_assert_str_eq(id + KASA_ID_MAX - 3, "05");
	dev[KASA_ID_MAX - 3] = 'F';
	dev[KASA_ID_MAX - 2] = '\0';
	strcpy(id, "untouched");
	ck_assert_int_eq(kasa_child_id(dev, 5, id), -EINVAL);
	ck_assert_str_eq(id, "untouched");
}
END_TEST

START_TEST(test_countdown)
{
	expect(kasa_req_countdown_get(NULL, &json), "{\"count_down\":{\"get_rules\":{}}}");
	expect(kasa_req_countdown_add(NULL, 1800, false, &json),
	       "{\"count_down\":{\"add_rule\":{\"enable\":1,\"delay\":1800,\"act\":0,"
	       "\"name\":\"off\"}}}");
	expect(kasa_req_countdown_add(CHILD, 5, true, &json),
	       CTX "\"count_down\":{\"add_rule\":{\"enable\":1,\"delay\":5,\"act\":1,"
	       "\"name\":\"on\"}}}");
	expect(kasa_req_countdown_clear(NULL, &json), "{\"count_down\":{\"delete_all_rules\":{}}}");
	ck_assert_int_eq(kasa_req_countdown_add(NULL, 0, true, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_countdown_add(NULL, 7 * 86400 + 1, true, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_countdown_add("", 5, true, &json), -EINVAL);
	ck_assert_ptr_null(json);
}
END_TEST

START_TEST(test_schedule)
{
	struct kasa_rule r = {.name = "lights", .enabled = true, .on = true, .wday = 0x3e,
			      .repeat = true, .at = KASA_RULE_AT_TIME, .min = 450};

	expect(kasa_req_schedule_get(NULL, &json), "{\"schedule\":{\"get_rules\":{}}}");
	expect(kasa_req_schedule_add(NULL, &r, &json),
	       "{\"schedule\":{\"add_rule\":{\"name\":\"lights\",\"wday\":[0,1,1,1,1,1,0],"
	       "\"stime_opt\":0,\"smin\":450,\"sact\":1,\"soffset\":0,\"etime_opt\":-1,"
	       "\"emin\":0,\"eact\":-1,\"enable\":1,\"repeat\":1,\"year\":0,\"month\":0,"
	       "\"day\":0,\"force\":0,\"latitude\":0,\"longitude\":0}}}");
	r.at = KASA_RULE_AT_SUNSET;
	r.offset_min = -15;
	r.on = false;
	expect(kasa_req_schedule_add(CHILD, &r, &json),
	       CTX "\"schedule\":{\"add_rule\":{\"name\":\"lights\",\"wday\":[0,1,1,1,1,1,0],"
	       "\"stime_opt\":2,\"smin\":450,\"sact\":0,\"soffset\":-15,\"etime_opt\":-1,"
	       "\"emin\":0,\"eact\":-1,\"enable\":1,\"repeat\":1,\"year\":0,\"month\":0,"
	       "\"day\":0,\"force\":0,\"latitude\":0,\"longitude\":0}}}");
	expect(kasa_req_schedule_delete(NULL, "ABC", &json),
	       "{\"schedule\":{\"delete_rule\":{\"id\":\"ABC\"}}}");
	expect(kasa_req_schedule_delete(CHILD, NULL, &json),
	       CTX "\"schedule\":{\"delete_all_rules\":{}}}");

	r.wday = 0;
	ck_assert_int_eq(kasa_req_schedule_add(NULL, &r, &json), -EINVAL);
	r.wday = 0x80;
	ck_assert_int_eq(kasa_req_schedule_add(NULL, &r, &json), -EINVAL);
	r.wday = 1;
	r.min = 1440;
	ck_assert_int_eq(kasa_req_schedule_add(NULL, &r, &json), -EINVAL);
	r.min = 0;
	r.offset_min = 721;
	ck_assert_int_eq(kasa_req_schedule_add(NULL, &r, &json), -EINVAL);
	r.offset_min = 0;
	r.at = 3;
	ck_assert_int_eq(kasa_req_schedule_add(NULL, &r, &json), -EINVAL);
	r.at = KASA_RULE_AT_SUNRISE;
	r.name[0] = '\0';
	ck_assert_int_eq(kasa_req_schedule_add(NULL, &r, &json), -EINVAL);
	strcpy(r.name, "a\x01");
	ck_assert_int_eq(kasa_req_schedule_add(NULL, &r, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_schedule_add(NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_schedule_delete(NULL, "", &json), -EINVAL);
	ck_assert_int_eq(kasa_req_schedule_delete(NULL, "a\nb", &json), -EINVAL);
	ck_assert_ptr_null(json);
}
END_TEST

START_TEST(test_time_set)
{
	struct kasa_time t = {2028, 2, 29, 23, 59, 58};

	expect(kasa_req_time_zone(&json), "{\"time\":{\"get_time\":{},\"get_timezone\":{}}}");
	expect(kasa_req_time_set(&t, 39, &json),
	       "{\"time\":{\"set_timezone\":{\"year\":2028,\"month\":2,\"mday\":29,\"hour\":23,"
	       "\"min\":59,\"sec\":58,\"index\":39}}}");
	ck_assert_int_eq(kasa_req_time_set(&t, 110, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_time_set(&t, -1, &json), -EINVAL);
	t.year = 2027;
	ck_assert_int_eq(kasa_req_time_set(&t, 0, &json), -EINVAL);
	t = (struct kasa_time){2026, 4, 31, 0, 0, 0};
	ck_assert_int_eq(kasa_req_time_set(&t, 0, &json), -EINVAL);
	t = (struct kasa_time){2026, 4, 30, 24, 0, 0};
	ck_assert_int_eq(kasa_req_time_set(&t, 0, &json), -EINVAL);
	ck_assert_int_eq(kasa_req_time_set(NULL, 0, &json), -EINVAL);
	ck_assert_ptr_null(json);
}
END_TEST

static Suite *request_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("builders");

	tcase_add_test(tc, test_sysinfo);
	tcase_add_test(tc, test_sysinfo_encrypts_to_vector);
	tcase_add_test(tc, test_relay);
	tcase_add_test(tc, test_led_reboot);
	tcase_add_test(tc, test_brightness);
	tcase_add_test(tc, test_alias);
	tcase_add_test(tc, test_emeter);
	tcase_add_test(tc, test_bad_child_id);
	tcase_add_test(tc, test_plug_child_id_refused);
	tcase_add_test(tc, test_with_context);
	tcase_add_test(tc, test_with_context_caps);
	tcase_add_test(tc, test_child_id);
	tcase_add_test(tc, test_countdown);
	tcase_add_test(tc, test_schedule);
	tcase_add_test(tc, test_time_set);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(request_suite());
}
