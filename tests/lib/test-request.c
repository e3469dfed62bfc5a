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

/* Compare a builder's result with the exact text expected, and free it. */
static void expect(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

/* Only that the builder took its arguments. */
static void accepted(char *got)
{
	ck_assert_ptr_nonnull(got);
	free(got);
}

START_TEST(test_sysinfo)
{
	/* The PROTOCOL.md test vector, byte for byte. */
	expect(kasa_req_sysinfo(), "{\"system\":{\"get_sysinfo\":{}}}");
	expect(kasa_req_time(), "{\"time\":{\"get_time\":{}}}");
	expect(kasa_req_sysinfo_emeter(),
	       "{\"system\":{\"get_sysinfo\":{}},\"emeter\":{\"get_realtime\":{}}}");
}
END_TEST

START_TEST(test_sysinfo_encrypts_to_vector)
{
	static const uint8_t want[] = {0xd0, 0xf2, 0x81, 0xf8, 0x8b, 0xff, 0x9a, 0xf7, 0xd5, 0xef,
				       0x94, 0xb6, 0xd1, 0xb4, 0xc0, 0x9f, 0xec, 0x95, 0xe6, 0x8f,
				       0xe1, 0x87, 0xe8, 0xca, 0xf0, 0x8b, 0xf6, 0x8b, 0xf6};
	char *req = kasa_req_sysinfo();

	ck_assert_ptr_nonnull(req);
	ck_assert_uint_eq(strlen(req), sizeof(want));
	kasa_encrypt(req, strlen(req));
	ck_assert_mem_eq(req, want, sizeof(want));
	free(req);
}
END_TEST

START_TEST(test_relay)
{
	expect(kasa_req_relay(NULL, true), "{\"system\":{\"set_relay_state\":{\"state\":1}}}");
	expect(kasa_req_relay(NULL, false), "{\"system\":{\"set_relay_state\":{\"state\":0}}}");
	expect(kasa_req_relay(CHILD, true), CTX "\"system\":{\"set_relay_state\":{\"state\":1}}}");
}
END_TEST

START_TEST(test_led_reboot)
{
	expect(kasa_req_led(false), "{\"system\":{\"set_led_off\":{\"off\":1}}}");
	expect(kasa_req_led(true), "{\"system\":{\"set_led_off\":{\"off\":0}}}");
	expect(kasa_req_reboot(1), "{\"system\":{\"reboot\":{\"delay\":1}}}");
	expect(kasa_req_reboot(4294967295u), "{\"system\":{\"reboot\":{\"delay\":4294967295}}}");
}
END_TEST

START_TEST(test_alias)
{
	char long_alias[65];

	expect(kasa_req_alias(NULL, "Lamp"),
	       "{\"system\":{\"set_dev_alias\":{\"alias\":\"Lamp\"}}}");
	expect(kasa_req_alias(CHILD, "TV"),
	       CTX "\"system\":{\"set_dev_alias\":{\"alias\":\"TV\"}}}");
	/* Quotes and backslashes are escaped; a slash and UTF-8 pass as they are. */
	expect(kasa_req_alias(NULL, "a\"b\\c/d \xc3\xa9"),
	       "{\"system\":{\"set_dev_alias\":{\"alias\":\"a\\\"b\\\\c/d \xc3\xa9\"}}}");

	memset(long_alias, 'x', 63);
	long_alias[63] = '\0';
	accepted(kasa_req_alias(NULL, long_alias));
	long_alias[63] = 'x';
	long_alias[64] = '\0';
	ck_assert_ptr_null(kasa_req_alias(NULL, long_alias));

	ck_assert_ptr_null(kasa_req_alias(NULL, ""));
	ck_assert_ptr_null(kasa_req_alias(NULL, NULL));
	ck_assert_ptr_null(kasa_req_alias(NULL, "line\nbreak"));
	ck_assert_ptr_null(kasa_req_alias(NULL, "tab\t"));
	ck_assert_ptr_null(kasa_req_alias(NULL, "del\x7f"));
}
END_TEST

START_TEST(test_emeter)
{
	expect(kasa_req_emeter_realtime(NULL), "{\"emeter\":{\"get_realtime\":{}}}");
	expect(kasa_req_emeter_realtime(CHILD), CTX "\"emeter\":{\"get_realtime\":{}}}");
	expect(kasa_req_emeter_daily(NULL, 2026, 11),
	       "{\"emeter\":{\"get_daystat\":{\"year\":2026,\"month\":11}}}");
	expect(kasa_req_emeter_daily(CHILD, 2026, 1),
	       CTX "\"emeter\":{\"get_daystat\":{\"year\":2026,\"month\":1}}}");
	expect(kasa_req_emeter_monthly(NULL, 2026),
	       "{\"emeter\":{\"get_monthstat\":{\"year\":2026}}}");
	expect(kasa_req_emeter_monthly(CHILD, 2025),
	       CTX "\"emeter\":{\"get_monthstat\":{\"year\":2025}}}");
	expect(kasa_req_emeter_erase(NULL), "{\"emeter\":{\"erase_emeter_stat\":{}}}");
	expect(kasa_req_emeter_erase(CHILD), CTX "\"emeter\":{\"erase_emeter_stat\":{}}}");

	ck_assert_ptr_null(kasa_req_emeter_daily(NULL, 2026, 0));
	ck_assert_ptr_null(kasa_req_emeter_daily(NULL, 2026, 13));
	ck_assert_ptr_null(kasa_req_emeter_daily(NULL, -1, 5));
	ck_assert_ptr_null(kasa_req_emeter_monthly(NULL, 10000));
}
END_TEST

START_TEST(test_bad_child_id)
{
	char id[KASA_ID_MAX + 1];

	ck_assert_ptr_null(kasa_req_relay("", true));
	ck_assert_ptr_null(kasa_req_relay("80\n01", true));
	memset(id, 'A', KASA_ID_MAX);
	id[KASA_ID_MAX] = '\0';
	ck_assert_ptr_null(kasa_req_emeter_realtime(id));
	/* The longest that fits a struct kasa_outlet id is fine. */
	id[KASA_ID_MAX - 1] = '\0';
	accepted(kasa_req_emeter_realtime(id));
}
END_TEST

START_TEST(test_with_context)
{
	expect(kasa_req_with_context("{\"count_down\":{\"get_rules\":{}}}", CHILD),
	       CTX "\"count_down\":{\"get_rules\":{}}}");
	/* Several modules keep their order; an existing context is replaced. */
	expect(kasa_req_with_context("{ \"schedule\" : {\"get_rules\":null}, \"context\":"
				     "{\"child_ids\":[\"x\"]}, \"emeter\":{\"get_realtime\":{}} }",
				     CHILD),
	       CTX "\"schedule\":{\"get_rules\":null},\"emeter\":{\"get_realtime\":{}}}");
	/* No child: a compact copy. */
	expect(kasa_req_with_context(" {\"system\" : {\"get_sysinfo\":{}}}\n", NULL),
	       "{\"system\":{\"get_sysinfo\":{}}}");
	expect(kasa_req_with_context("{\"a\":\"\\\"q\\u00e9\"}", NULL),
	       "{\"a\":\"\\\"q\xc3\xa9\"}");

	ck_assert_ptr_null(kasa_req_with_context(NULL, CHILD));
	ck_assert_ptr_null(kasa_req_with_context("", CHILD));
	ck_assert_ptr_null(kasa_req_with_context("[1,2]", CHILD));
	ck_assert_ptr_null(kasa_req_with_context("\"str\"", NULL));
	ck_assert_ptr_null(kasa_req_with_context("{\"a\":1} x", CHILD));
	ck_assert_ptr_null(kasa_req_with_context("{\"a\":1}{}", NULL));
	ck_assert_ptr_null(kasa_req_with_context("{\"a\":", CHILD));
	ck_assert_ptr_null(kasa_req_with_context("{\"a\":1}", ""));
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
	accepted(kasa_req_with_context(big, NULL));
	memcpy(big + cap - 2, "x\"}", 4);
	ck_assert_uint_eq(strlen(big), cap + 1);
	ck_assert_ptr_null(kasa_req_with_context(big, NULL));
	free(big);

	/* Nesting deeper than the parser's limit is refused, not recursed into. */
	strcpy(deep, "");
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"a\":");
	strcat(deep, "1");
	for (int i = 0; i < 40; i++)
		strcat(deep, "}");
	ck_assert_ptr_null(kasa_req_with_context(deep, NULL));
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

static Suite *request_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("builders");

	tcase_add_test(tc, test_sysinfo);
	tcase_add_test(tc, test_sysinfo_encrypts_to_vector);
	tcase_add_test(tc, test_relay);
	tcase_add_test(tc, test_led_reboot);
	tcase_add_test(tc, test_alias);
	tcase_add_test(tc, test_emeter);
	tcase_add_test(tc, test_bad_child_id);
	tcase_add_test(tc, test_with_context);
	tcase_add_test(tc, test_with_context_caps);
	tcase_add_test(tc, test_child_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(request_suite());
}
