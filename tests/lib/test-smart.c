/* SPDX-License-Identifier: MIT */
/*
 * SMART JSON: the requests byte for byte, error_code to -errno, and replies
 * of a P110 (tests/data/smart-*.json) normalised into the structs the IOT
 * parsers fill, with hostile variants.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa.h"
#include "reply-util.h"
#include "test-util.h"

#define P110_ID "80225A6F1C0B4E5D9A8B7C6D5E4F3A2B1C0D9E8F"

static char *json;

static void expect(int r, const char *want)
{
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, want);
	free(json);
	json = NULL;
}

/* --- Requests ------------------------------------------------------------- */

START_TEST(test_requests)
{
	/* The PROTOCOL-KLAP.md vector's plaintext, byte for byte. */
	expect(kasa_smart_req_device_info(NULL, &json), "{\"method\":\"get_device_info\"}");
	expect(kasa_smart_req_device_on(true, NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"device_on\":true}}");
	expect(kasa_smart_req_device_on(false, NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"device_on\":false}}");
	expect(kasa_smart_req_energy_usage(NULL, &json), "{\"method\":\"get_energy_usage\"}");
	expect(kasa_smart_req_current_power(NULL, &json), "{\"method\":\"get_current_power\"}");
	expect(kasa_smart_req_component_nego(NULL, &json), "{\"method\":\"component_nego\"}");
	expect(kasa_smart_req_led(true, NULL, &json),
	       "{\"method\":\"set_led_info\",\"params\":{\"led_rule\":\"always\"}}");
	expect(kasa_smart_req_led(false, NULL, &json),
	       "{\"method\":\"set_led_info\",\"params\":{\"led_rule\":\"never\"}}");
	expect(kasa_smart_req_reboot(NULL, &json),
	       "{\"method\":\"device_reboot\",\"params\":{\"delay\":1}}");
	expect(kasa_smart_req_device_time(NULL, &json), "{\"method\":\"get_device_time\"}");
	expect(kasa_smart_req_brightness(1, NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"brightness\":1}}");
	expect(kasa_smart_req_brightness(100, NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"brightness\":100}}");
	ck_assert_int_eq(kasa_smart_req_brightness(0, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_brightness(101, NULL, &json), -EINVAL);
	ck_assert_ptr_null(json);
}
END_TEST

START_TEST(test_request_nickname)
{
	char name[80];

	/* The name's UTF-8 bytes in base64: "Kaffeemaschine ☕". */
	expect(kasa_smart_req_nickname("Kaffeemaschine \xe2\x98\x95", NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"nickname\":"
	       "\"S2FmZmVlbWFzY2hpbmUg4piV\"}}");
	/* Each length of the last base64 group: no padding, "==", "=". */
	expect(kasa_smart_req_nickname("abc", NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"nickname\":\"YWJj\"}}");
	expect(kasa_smart_req_nickname("a", NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"nickname\":\"YQ==\"}}");
	expect(kasa_smart_req_nickname("ab", NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"nickname\":\"YWI=\"}}");
	/* Base64 may hold '/' and '+': sent as they are, not escaped. */
	expect(kasa_smart_req_nickname("?\??", NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"nickname\":\"Pz8/\"}}");
	expect(kasa_smart_req_nickname("?\?>", NULL, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"nickname\":\"Pz8+\"}}");
	/* 63 bytes, the most: 84 base64 digits. */
	memset(name, 'x', 63);
	name[63] = '\0';
	ck_assert_int_eq(kasa_smart_req_nickname(name, NULL, &json), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"nickname\":\"eHh4"));
	ck_assert_uint_eq(strlen(json), strlen("{\"method\":\"set_device_info\",\"params\":"
					       "{\"nickname\":\"\"}}") +
						84);
	free(json);

	/* What kasa_req_alias() refuses, SMART refuses too; nothing is written. */
	json = (char *)0x1;
	name[63] = 'x';
	name[64] = '\0';
	ck_assert_int_eq(kasa_smart_req_nickname(name, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_nickname("", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_nickname(NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_nickname("a\nb", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_nickname("a\x7f", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_nickname("\xff\xfe", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_nickname("\xe2\x98", NULL, &json), -EINVAL);
	ck_assert_ptr_eq(json, (char *)0x1);
	json = NULL;
}
END_TEST

START_TEST(test_request_multiple)
{
	static const char *const three[] = {"get_device_info", "get_led_info", "component_nego"};
	static const uint8_t uuid[16] = {0};
	struct kasa_smart_stamp stamp = {.time_ms = 7, .terminal_uuid = uuid};
	const char *many[KASA_SMART_MULTIPLE_MAX + 1];
	const char *bad[2] = {"get_device_info", NULL};

	expect(kasa_smart_req_multiple(three, 3, NULL, &json),
	       "{\"method\":\"multipleRequest\",\"params\":{\"requests\":["
	       "{\"method\":\"get_device_info\"},{\"method\":\"get_led_info\"},"
	       "{\"method\":\"component_nego\"}]}}");
	expect(kasa_smart_req_multiple(three, 1, NULL, &json),
	       "{\"method\":\"multipleRequest\",\"params\":{\"requests\":["
	       "{\"method\":\"get_device_info\"}]}}");
	/* The stamp goes on the outer request, once. */
	expect(kasa_smart_req_multiple(three + 2, 1, &stamp, &json),
	       "{\"method\":\"multipleRequest\",\"params\":{\"requests\":["
	       "{\"method\":\"component_nego\"}]},\"request_time_milis\":7,"
	       "\"terminal_uuid\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}");
	for (size_t i = 0; i < KASA_SMART_MULTIPLE_MAX + 1; i++)
		many[i] = "get_device_info";
	ck_assert_int_eq(kasa_smart_req_multiple(many, KASA_SMART_MULTIPLE_MAX, NULL, &json), 0);
	free(json);

	json = (char *)0x1;
	ck_assert_int_eq(kasa_smart_req_multiple(many, KASA_SMART_MULTIPLE_MAX + 1, NULL, &json),
			 -EMSGSIZE);
	ck_assert_int_eq(kasa_smart_req_multiple(three, 0, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_multiple(NULL, 1, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req_multiple(bad, 2, NULL, &json), -EINVAL);
	bad[1] = "get led";
	ck_assert_int_eq(kasa_smart_req_multiple(bad, 2, NULL, &json), -EINVAL);
	bad[1] = "";
	ck_assert_int_eq(kasa_smart_req_multiple(bad, 2, NULL, &json), -EINVAL);
	/* Not nested. */
	bad[1] = "multipleRequest";
	ck_assert_int_eq(kasa_smart_req_multiple(bad, 2, NULL, &json), -EINVAL);
	ck_assert_ptr_eq(json, (char *)0x1);
	json = NULL;
}
END_TEST

START_TEST(test_request_stamp)
{
	static const uint8_t uuid[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0xff};
	struct kasa_smart_stamp both = {.time_ms = 1741955696123, .terminal_uuid = uuid};
	struct kasa_smart_stamp time_only = {.time_ms = 1};
	struct kasa_smart_stamp uuid_only = {.terminal_uuid = uuid};
	struct kasa_smart_stamp none = {0};

	expect(kasa_smart_req_device_on(true, &both, &json),
	       "{\"method\":\"set_device_info\",\"params\":{\"device_on\":true},"
	       "\"request_time_milis\":1741955696123,\"terminal_uuid\":\"AAECAwQFBgcICQoLDA0O/"
	       "w==\"}");
	expect(kasa_smart_req_device_info(&time_only, &json),
	       "{\"method\":\"get_device_info\",\"request_time_milis\":1}");
	expect(kasa_smart_req_energy_usage(&uuid_only, &json),
	       "{\"method\":\"get_energy_usage\",\"terminal_uuid\":\"AAECAwQFBgcICQoLDA0O/w==\"}");
	expect(kasa_smart_req_device_info(&none, &json), "{\"method\":\"get_device_info\"}");
}
END_TEST

START_TEST(test_request_any)
{
	expect(kasa_smart_req("get_led_info", NULL, NULL, &json), "{\"method\":\"get_led_info\"}");
	expect(kasa_smart_req("set_led_info", " {\"led_rule\":\"never\"} ", NULL, &json),
	       "{\"method\":\"set_led_info\",\"params\":{\"led_rule\":\"never\"}}");
	expect(kasa_smart_req("multipleRequest",
			      "{\"requests\":[{\"method\":\"get_device_info\"},"
			      "{\"method\":\"get_energy_usage\"}]}",
			      NULL, &json),
	       "{\"method\":\"multipleRequest\",\"params\":{\"requests\":[{\"method\":"
	       "\"get_device_info\"},{\"method\":\"get_energy_usage\"}]}}");

	json = (char *)0x1;
	ck_assert_int_eq(kasa_smart_req(NULL, NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("", NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("get info", NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("get\"info", NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("get_\xc3\xa9", NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("get-info", NULL, NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("get_device_info", "[]", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("get_device_info", "{", NULL, &json), -EINVAL);
	ck_assert_int_eq(kasa_smart_req("get_device_info", "{} {}", NULL, &json), -EINVAL);
	{
		char method[70];

		memset(method, 'm', sizeof(method));
		method[63] = '\0';
		ck_assert_int_eq(kasa_smart_req(method, NULL, NULL, &json), 0);
		free(json);
		json = (char *)0x1;
		method[63] = 'm';
		method[64] = '\0';
		ck_assert_int_eq(kasa_smart_req(method, NULL, NULL, &json), -EINVAL);
	}
	{
		size_t n = 64 * 1024 + 2;
		char *big = malloc(n + 1);

		ck_assert_ptr_nonnull(big);
		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		big[n] = '\0';
		ck_assert_int_eq(kasa_smart_req("x", big, NULL, &json), -EMSGSIZE);
		free(big);
	}
	ck_assert_ptr_eq(json, (char *)0x1);
	json = NULL;
}
END_TEST

/* --- Errors and results ---------------------------------------------------- */

START_TEST(test_errno)
{
	static const struct {
		int code, err;
	} map[] = {
		{0, 0},
		{-1002, -ENOSYS},
		{-1003, -EINVAL},
		{-1008, -EINVAL},
		{-1501, -EACCES},
		{-1005, -EACCES},
		{-40412, -EACCES},
		{1003, -EACCES},
		{1100, -EACCES},
		{1111, -EACCES},
		{9999, -EKEYEXPIRED},
		{-40401, -EKEYEXPIRED},
		{-40413, -EKEYEXPIRED},
		{-1001, -EREMOTEIO},
		{1002, -EREMOTEIO},
		{1112, -EREMOTEIO},
		{-1, -EREMOTEIO},
		{INT_MIN, -EREMOTEIO},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		ck_assert_msg(kasa_smart_errno(map[i].code) == map[i].err, "code %d", map[i].code);
}
END_TEST

START_TEST(test_result)
{
	struct kasa_device_error err = {.code = 5, .msg = "stale"};
	struct json_object *reply, *result = (struct json_object *)0x1;

	/* set_device_info may answer without a result. */
	reply = parse_text("{\"error_code\":0}");
	ck_assert_int_eq(kasa_smart_result(reply, "set_device_info", &result, &err), 0);
	ck_assert_ptr_null(result);
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.msg, "");
	json_object_put(reply);

	reply = parse_text("{\"error_code\":0,\"result\":{\"device_on\":true}}");
	ck_assert_int_eq(kasa_smart_result(reply, NULL, &result, NULL), 0);
	ck_assert(json_object_get_boolean(json_object_object_get(result, "device_on")));
	json_object_put(reply);

	/* The device's refusal: its code and message. */
	reply = parse_text("{\"error_code\":-1008,\"msg\":\"Invalid params\"}");
	result = (struct json_object *)0x1;
	ck_assert_int_eq(kasa_smart_result(reply, NULL, &result, &err), -EINVAL);
	ck_assert_int_eq(err.code, -1008);
	ck_assert_str_eq(err.msg, "Invalid params");
	ck_assert(!err.module_level);
	ck_assert_ptr_eq(result, (struct json_object *)0x1);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":9999}");
	ck_assert_int_eq(kasa_smart_result(reply, NULL, &result, &err), -EKEYEXPIRED);
	ck_assert_int_eq(err.code, 9999);
	ck_assert_str_eq(err.msg, "");
	json_object_put(reply);
	reply = parse_text("{\"error_code\":99999999999}");
	ck_assert_int_eq(kasa_smart_result(reply, NULL, &result, &err), -EREMOTEIO);
	ck_assert_int_eq(err.code, INT_MIN);
	json_object_put(reply);
}
END_TEST

START_TEST(test_result_malformed)
{
	static const char *const bad[] = {
		"{}",
		"{\"result\":{}}",
		"{\"error_code\":\"0\",\"result\":{}}",
		"{\"error_code\":false,\"result\":{}}",
		"{\"error_code\":0.5,\"result\":{}}",
		"{\"error_code\":null}",
		"{\"error_code\":0,\"result\":[]}",
		"{\"error_code\":0,\"result\":\"x\"}",
		"{\"error_code\":0,\"result\":{\"responses\":[]}}",
		"{\"error_code\":0,\"result\":{\"responses\":[{\"method\":\"get_device_info\"}]}}",
		"{\"error_code\":0,\"result\":{\"responses\":[1,null,{\"method\":7}]}}",
	};
	struct kasa_device_error err;
	struct json_object *result = (struct json_object *)0x1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *reply = parse_text(bad[i]);

		ck_assert_msg(kasa_smart_result(reply, "get_device_info", &result, &err) ==
				      -EBADMSG,
			      "%s", bad[i]);
		ck_assert_int_eq(err.code, 0);
		json_object_put(reply);
	}
	ck_assert_ptr_eq(result, (struct json_object *)0x1);
	ck_assert_int_eq(kasa_smart_result(NULL, NULL, &result, &err), -EBADMSG);
}
END_TEST

START_TEST(test_multiple)
{
	struct json_object *reply = parse_file("smart-multiple-p110.json");
	struct kasa_device_error err;
	struct kasa_sysinfo si;
	struct kasa_emeter em;
	struct kasa_smart_energy en;
	struct json_object *result;

	/* Each parser finds its own response. */
	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), 0);
	ck_assert_str_eq(si.device_id, P110_ID);
	ck_assert(si.relay_on);
	ck_assert_int_eq(kasa_smart_energy_parse(reply, &em, &en, &err), 0);
	ck_assert_int_eq(em.power_mw, 12345);
	ck_assert_int_eq(en.month_wh, 11873);
	/* One response refused, the others fine. */
	ck_assert_int_eq(kasa_smart_result(reply, "get_led_info", &result, &err), -ENOSYS);
	ck_assert_int_eq(err.code, -1002);
	/* One not asked for; or no method named for a multipleRequest. */
	ck_assert_int_eq(kasa_smart_result(reply, "get_time", &result, &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "no response to get_time");
	ck_assert_int_eq(kasa_smart_result(reply, NULL, &result, &err), -EBADMSG);
	ck_assert_int_eq(kasa_smart_power_parse(reply, &em, &err), -EBADMSG);
	json_object_put(reply);

	/* The whole request refused. */
	reply = parse_text(
		"{\"error_code\":-1003,\"result\":{\"responses\":[{\"method\":"
		"\"get_device_info\",\"error_code\":0,\"result\":{\"device_id\":\"x\"}}]}}");
	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), -EINVAL);
	ck_assert_int_eq(err.code, -1003);
	json_object_put(reply);
}
END_TEST

/* --- get_device_info ---------------------------------------------------------- */

START_TEST(test_sysinfo_p110)
{
	struct json_object *reply = parse_file("smart-device-info-p110.json");
	struct kasa_device_error err = {.code = 1};
	struct kasa_sysinfo si;

	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), 0);
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(si.device_id, P110_ID);
	ck_assert_str_eq(si.alias, "Kaffeemaschine \xe2\x98\x95");
	ck_assert_str_eq(si.model, "P110");
	ck_assert_str_eq(si.hw_ver, "1.0");
	ck_assert_str_eq(si.sw_ver, "1.3.1 Build 240621 Rel.162048");
	ck_assert_str_eq(si.type, "SMART.TAPOPLUG");
	ck_assert_str_eq(si.hw_id, "5A7C9E1B3D5F7A9C1E3B5D7F9A1C3E5B");
	ck_assert_str_eq(si.oem_id, "1B3D5F7A9C1E3B5D7F9A1C3E5B7D9F1A");
	/* As the IOT firmware writes MACs. */
	ck_assert_str_eq(si.mac, "3C:52:A1:00:00:06");
	ck_assert_int_eq(si.rssi, -47);
	ck_assert(si.has_relay);
	ck_assert(si.relay_on);
	ck_assert_int_eq(si.on_time, 5412);
	ck_assert(si.led_on);
	ck_assert(!si.has_emeter);
	ck_assert(!si.updating);
	ck_assert_str_eq(si.feature, "");
	ck_assert_str_eq(si.dev_name, "");
	ck_assert_double_eq_tol(si.latitude, 52.5161, 1e-9);
	ck_assert_double_eq_tol(si.longitude, 13.3777, 1e-9);
	ck_assert_uint_eq(si.outlet_count, 0);
	json_object_put(reply);
}
END_TEST

/* Parse {"error_code":0,"result":{"device_id":"D",<fields>}}. */
static int sysinfo_of(const char *fields, struct kasa_sysinfo *si)
{
	char text[1024];
	struct json_object *reply;
	int r;

	snprintf(text, sizeof(text), "{\"error_code\":0,\"result\":{\"device_id\":\"D\"%s%s}}",
		 *fields ? "," : "", fields);
	reply = parse_text(text);
	r = kasa_smart_sysinfo_parse(reply, si, NULL);
	json_object_put(reply);
	return r;
}

START_TEST(test_sysinfo_fields)
{
	struct kasa_sysinfo si;

	/* The least a reply may be: an id.  Nothing else is known. */
	ck_assert_int_eq(sysinfo_of("", &si), 0);
	ck_assert_str_eq(si.device_id, "D");
	ck_assert(!si.has_relay);
	ck_assert_int_eq(si.on_time, -1);
	ck_assert(si.led_on);

	ck_assert_int_eq(sysinfo_of("\"device_on\":false,\"on_time\":0", &si), 0);
	ck_assert(si.has_relay);
	ck_assert(!si.relay_on);
	ck_assert_int_eq(si.on_time, 0);
	/* device_on of another type is not a relay state; on_time out of range is not known. */
	ck_assert_int_eq(sysinfo_of("\"device_on\":1,\"on_time\":-5", &si), 0);
	ck_assert(!si.has_relay);
	ck_assert_int_eq(si.on_time, -1);
	ck_assert_int_eq(sysinfo_of("\"on_time\":4294967296", &si), 0);
	ck_assert_int_eq(si.on_time, -1);
	ck_assert_int_eq(sysinfo_of("\"on_time\":4294967295", &si), 0);
	ck_assert_int_eq(si.on_time, 4294967295);

	/* MACs: either separator, either case, bare digits; anything else as text. */
	ck_assert_int_eq(sysinfo_of("\"mac\":\"aa:bb:cc:dd:ee:0f\"", &si), 0);
	ck_assert_str_eq(si.mac, "AA:BB:CC:DD:EE:0F");
	ck_assert_int_eq(sysinfo_of("\"mac\":\"aabbccddee0f\"", &si), 0);
	ck_assert_str_eq(si.mac, "AA:BB:CC:DD:EE:0F");
	ck_assert_int_eq(sysinfo_of("\"mac\":\"AA-BB-CC-DD-EE\"", &si), 0);
	ck_assert_str_eq(si.mac, "AA-BB-CC-DD-EE");
	ck_assert_int_eq(sysinfo_of("\"mac\":\"AA-BB-CC-DD-EE-GG\"", &si), 0);
	ck_assert_str_eq(si.mac, "AA-BB-CC-DD-EE-GG");
	ck_assert_int_eq(sysinfo_of("\"mac\":\"AA-BB-CC-DD-EE+FF\"", &si), 0);
	ck_assert_str_eq(si.mac, "AA-BB-CC-DD-EE+FF");
	ck_assert_int_eq(sysinfo_of("\"mac\":\"AA-BB-CC-DD-EE-\\u00ff\"", &si), 0);
	ck_assert_str_eq(si.mac, "AA-BB-CC-DD-EE-\xc3\xbf");

	/* Coordinates in 1e-4 degrees; impossible ones are left at 0. */
	ck_assert_int_eq(sysinfo_of("\"latitude\":-338688,\"longitude\":1512093", &si), 0);
	ck_assert_double_eq_tol(si.latitude, -33.8688, 1e-9);
	ck_assert_double_eq_tol(si.longitude, 151.2093, 1e-9);
	ck_assert_int_eq(sysinfo_of("\"latitude\":900001,\"longitude\":-1800001", &si), 0);
	ck_assert_double_eq(si.latitude, 0);
	ck_assert_double_eq(si.longitude, 0);
	ck_assert_int_eq(sysinfo_of("\"rssi\":4294967296", &si), 0);
	ck_assert_int_eq(si.rssi, 0);

	/* A dimmer's brightness, as sysinfo's: 0..100, else the reply is refused. */
	ck_assert(!si.has_brightness);
	ck_assert_int_eq(sysinfo_of("\"device_on\":true,\"brightness\":64", &si), 0);
	ck_assert(si.has_brightness);
	ck_assert_int_eq(si.brightness, 64);
	ck_assert_int_eq(sysinfo_of("\"brightness\":101", &si), -EBADMSG);
	ck_assert_int_eq(sysinfo_of("\"brightness\":-1", &si), -EBADMSG);
	ck_assert_int_eq(sysinfo_of("\"brightness\":\"64\"", &si), -EBADMSG);
	ck_assert_int_eq(si.brightness, 64);
}
END_TEST

START_TEST(test_sysinfo_nickname)
{
	struct kasa_sysinfo si;
	char fields[512];

	ck_assert_int_eq(sysinfo_of("\"nickname\":\"\"", &si), 0);
	ck_assert_str_eq(si.alias, "");
	ck_assert_int_eq(sysinfo_of("\"nickname\":\"TGFtcA==\"", &si), 0);
	ck_assert_str_eq(si.alias, "Lamp");
	/* Not base64, or not the base64 of a name (well-formed UTF-8 without a NUL):
	 * the text itself. */
	ck_assert_int_eq(sysinfo_of("\"nickname\":\"My plug!\"", &si), 0);
	ck_assert_str_eq(si.alias, "My plug!");
	ck_assert_int_eq(sysinfo_of("\"nickname\":\"TGFtcA\"", &si), 0);
	ck_assert_str_eq(si.alias, "TGFtcA");
	ck_assert_int_eq(sysinfo_of("\"nickname\":\"Lamp\"", &si), 0);
	ck_assert_str_eq(si.alias, "Lamp");
	ck_assert_int_eq(sysinfo_of("\"nickname\":\"Yf/+IGI=\"", &si), 0);
	ck_assert_str_eq(si.alias, "Yf/+IGI=");
	ck_assert_int_eq(sysinfo_of("\"nickname\":\"YWIAY2Q=\"", &si), 0);
	ck_assert_str_eq(si.alias, "YWIAY2Q=");
	/* Text that is not UTF-8 either: made well-formed. */
	ck_assert_int_eq(sysinfo_of("\"nickname\":\"a\\u00ff\"", &si), 0);
	ck_assert_str_eq(si.alias, "a\xc3\xbf");
	/* Long: cut before a whole character, to fit (72 times "\xc3\xa9"; "w6nDqcOp" is three). */
	strcpy(fields, "\"nickname\":\"");
	for (int i = 0; i < 24; i++)
		strcat(fields, "w6nDqcOp");
	strcat(fields, "\"");
	ck_assert_int_eq(sysinfo_of(fields, &si), 0);
	for (size_t i = 0; i < 62; i += 2)
		ck_assert_mem_eq(si.alias + i, "\xc3\xa9", 2);
	ck_assert_uint_eq(strlen(si.alias), 62);
}
END_TEST

START_TEST(test_sysinfo_refused)
{
	struct kasa_device_error err;
	struct kasa_sysinfo si = {.model = "kept"};
	struct json_object *reply;

	reply = parse_text("{\"error_code\":0,\"result\":{\"model\":\"P110\"}}");
	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "get_device_info has no device_id");
	json_object_put(reply);
	reply = parse_text("{\"error_code\":0,\"result\":{\"device_id\":\"\"}}");
	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), -EBADMSG);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":0}");
	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "get_device_info has no result");
	json_object_put(reply);
	reply = parse_text("{\"error_code\":-1501}");
	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), -EACCES);
	ck_assert_int_eq(err.code, -1501);
	json_object_put(reply);
	/* An IOT reply is not a SMART one. */
	reply = parse_file("sysinfo-hs100-old.json");
	ck_assert_int_eq(kasa_smart_sysinfo_parse(reply, &si, &err), -EBADMSG);
	json_object_put(reply);
	ck_assert_str_eq(si.model, "kept");
}
END_TEST

/* --- Energy ---------------------------------------------------------------------- */

START_TEST(test_energy_p110)
{
	struct json_object *reply = parse_file("smart-energy-usage-p110.json");
	struct kasa_smart_energy en;
	struct kasa_emeter em;

	ck_assert_int_eq(kasa_smart_energy_parse(reply, &em, &en, NULL), 0);
	ck_assert_int_eq(em.power_mw, 12345);
	ck_assert_double_eq_tol(em.power_w, 12.345, 1e-9);
	ck_assert(em.new_style);
	ck_assert_int_eq(em.slot_id, -1);
	ck_assert_int_eq(em.voltage_mv, 0);
	ck_assert_int_eq(em.current_ma, 0);
	ck_assert_int_eq(em.total_wh, 0);
	ck_assert_int_eq(en.today_wh, 421);
	ck_assert_int_eq(en.month_wh, 11873);
	ck_assert_int_eq(en.today_runtime_min, 312);
	ck_assert_int_eq(en.month_runtime_min, 8790);
	/* The rest is optional. */
	ck_assert_int_eq(kasa_smart_energy_parse(reply, &em, NULL, NULL), 0);
	json_object_put(reply);

	reply = parse_text("{\"error_code\":0,\"result\":{\"current_power\":0}}");
	ck_assert_int_eq(kasa_smart_energy_parse(reply, &em, &en, NULL), 0);
	ck_assert_int_eq(em.power_mw, 0);
	ck_assert_int_eq(en.today_wh, -1);
	ck_assert_int_eq(en.month_wh, -1);
	ck_assert_int_eq(en.today_runtime_min, -1);
	ck_assert_int_eq(en.month_runtime_min, -1);
	json_object_put(reply);
}
END_TEST

START_TEST(test_energy_refused)
{
	static const struct {
		const char *result, *why;
	} bad[] = {
		{"{}", "get_energy_usage has no current_power"},
		{"{\"current_power\":\"5\"}", "current_power is not a number"},
		{"{\"current_power\":1000000001}", "current_power 1e+09 is out of range"},
		{"{\"current_power\":5,\"today_energy\":1e13}",
		 "today_energy 1e+13 is out of range"},
		{"{\"current_power\":5,\"month_energy\":null}", "month_energy is not a number"},
		{"{\"current_power\":5,\"today_runtime\":2e9}",
		 "today_runtime 2e+09 is out of range"},
		{"{\"current_power\":5,\"month_runtime\":true}", "month_runtime is not a number"},
	};
	struct kasa_emeter em = {.power_mw = 77};
	struct kasa_smart_energy en = {.today_wh = 77};
	struct kasa_device_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		struct json_object *reply;

		snprintf(text, sizeof(text), "{\"error_code\":0,\"result\":%s}", bad[i].result);
		reply = parse_text(text);
		ck_assert_int_eq(kasa_smart_energy_parse(reply, &em, &en, &err), -EBADMSG);
		ck_assert_str_eq(err.msg, bad[i].why);
		json_object_put(reply);
	}
	ck_assert_int_eq(em.power_mw, 77);
	ck_assert_int_eq(en.today_wh, 77);
}
END_TEST

START_TEST(test_current_power)
{
	struct json_object *reply;
	struct kasa_emeter em;
	struct kasa_device_error err;

	reply = parse_text("{\"error_code\":0,\"result\":{\"current_power\":12}}");
	ck_assert_int_eq(kasa_smart_power_parse(reply, &em, &err), 0);
	ck_assert_double_eq(em.power_w, 12);
	ck_assert_int_eq(em.power_mw, 12000);
	ck_assert(!em.new_style);
	ck_assert_int_eq(em.slot_id, -1);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":0,\"result\":{\"current_power\":1.2345}}");
	ck_assert_int_eq(kasa_smart_power_parse(reply, &em, &err), 0);
	ck_assert_int_eq(em.power_mw, 1235);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":0,\"result\":{\"current_power\":1e7}}");
	ck_assert_int_eq(kasa_smart_power_parse(reply, &em, &err), -EBADMSG);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":0,\"result\":{}}");
	ck_assert_int_eq(kasa_smart_power_parse(reply, &em, &err), -EBADMSG);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":-1002}");
	ck_assert_int_eq(kasa_smart_power_parse(reply, &em, &err), -ENOSYS);
	json_object_put(reply);
}
END_TEST

START_TEST(test_component)
{
	struct json_object *reply = parse_file("smart-component-nego-p110.json");
	int ver = -1;

	ck_assert_int_eq(kasa_smart_component(reply, "energy_monitoring", &ver, NULL), 1);
	ck_assert_int_eq(ver, 2);
	ck_assert_int_eq(kasa_smart_component(reply, "led", NULL, NULL), 1);
	ver = -1;
	ck_assert_int_eq(kasa_smart_component(reply, "light_strip", &ver, NULL), 0);
	ck_assert_int_eq(ver, -1);
	/* A prefix is not the name. */
	ck_assert_int_eq(kasa_smart_component(reply, "energy", &ver, NULL), 0);
	ck_assert_int_eq(kasa_smart_component(reply, NULL, &ver, NULL), -EINVAL);
	json_object_put(reply);

	reply = parse_text("{\"error_code\":0,\"result\":{\"component_list\":[1,{\"id\":5},"
			   "{\"id\":\"led\",\"ver_code\":\"x\"}]}}");
	ck_assert_int_eq(kasa_smart_component(reply, "led", &ver, NULL), 1);
	ck_assert_int_eq(ver, 0);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":0,\"result\":{}}");
	ck_assert_int_eq(kasa_smart_component(reply, "led", &ver, NULL), -EBADMSG);
	json_object_put(reply);
}
END_TEST

/* --- LED and clock ------------------------------------------------------------ */

START_TEST(test_led)
{
	static const struct {
		const char *result;
		bool on;
	} good[] = {
		{"{\"led_rule\":\"always\",\"led_status\":true}", true},
		{"{\"led_rule\":\"never\",\"led_status\":true}", false},
		{"{\"led_rule\":\"never\"}", false},
		/* Lit at night: on, as the setting goes, whatever it shows now. */
		{"{\"led_rule\":\"night_mode\",\"led_status\":false}", true},
		/* A rule not known here: what the LED shows. */
		{"{\"led_rule\":\"sometimes\",\"led_status\":false}", false},
		{"{\"led_rule\":5,\"led_status\":true}", true},
		{"{\"led_status\":true}", true},
	};
	static const char *const bad[] = {
		"{\"error_code\":0,\"result\":{}}",
		"{\"error_code\":0,\"result\":{\"led_rule\":\"sometimes\"}}",
		"{\"error_code\":0,\"result\":{\"led_status\":1}}",
		"{\"error_code\":0}",
	};
	struct kasa_device_error err;
	struct json_object *reply = parse_file("smart-led-info-p110.json");
	bool on = true;

	ck_assert_int_eq(kasa_smart_led_parse(reply, &on, &err), 0);
	ck_assert(!on);
	json_object_put(reply);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), "{\"error_code\":0,\"result\":%s}", good[i].result);
		reply = parse_text(text);
		on = !good[i].on;
		ck_assert_msg(kasa_smart_led_parse(reply, &on, &err) == 0, "%s", text);
		ck_assert_msg(on == good[i].on, "%s", text);
		json_object_put(reply);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reply = parse_text(bad[i]);
		on = true;
		ck_assert_msg(kasa_smart_led_parse(reply, &on, &err) == -EBADMSG, "%s", bad[i]);
		ck_assert(on);
		json_object_put(reply);
	}
	/* A device without an LED, in a multipleRequest or alone. */
	reply = parse_file("smart-multiple-p110.json");
	ck_assert_int_eq(kasa_smart_led_parse(reply, &on, &err), -ENOSYS);
	json_object_put(reply);
	reply = parse_text("{\"error_code\":-1002}");
	ck_assert_int_eq(kasa_smart_led_parse(reply, &on, &err), -ENOSYS);
	ck_assert_int_eq(err.code, -1002);
	json_object_put(reply);
}
END_TEST

START_TEST(test_time)
{
	struct kasa_device_error err;
	struct json_object *reply = parse_file("smart-device-time-p110.json");
	struct kasa_smart_time t;

	/* 1741955696 is 2025-03-14 12:34:56 UTC; Berlin is an hour ahead. */
	ck_assert_int_eq(kasa_smart_time_parse(reply, &t, &err), 0);
	ck_assert_int_eq(t.timestamp, 1741955696);
	ck_assert_int_eq(t.time_diff_min, 60);
	ck_assert_str_eq(t.region, "Europe/Berlin");
	ck_assert_int_eq(t.local.year, 2025);
	ck_assert_int_eq(t.local.month, 3);
	ck_assert_int_eq(t.local.mday, 14);
	ck_assert_int_eq(t.local.hour, 13);
	ck_assert_int_eq(t.local.min, 34);
	ck_assert_int_eq(t.local.sec, 56);
	json_object_put(reply);

	/* West of UTC, across midnight and a year; no region. */
	reply = parse_text("{\"error_code\":0,\"result\":{\"timestamp\":1767229200,"
			   "\"time_diff\":-300}}");
	ck_assert_int_eq(kasa_smart_time_parse(reply, &t, &err), 0);
	ck_assert_int_eq(t.time_diff_min, -300);
	ck_assert_str_eq(t.region, "");
	ck_assert_int_eq(t.local.year, 2025);
	ck_assert_int_eq(t.local.month, 12);
	ck_assert_int_eq(t.local.mday, 31);
	ck_assert_int_eq(t.local.hour, 20);
	json_object_put(reply);

	/* No time_diff: UTC. */
	reply = parse_text("{\"error_code\":0,\"result\":{\"timestamp\":0}}");
	ck_assert_int_eq(kasa_smart_time_parse(reply, &t, &err), 0);
	ck_assert_int_eq(t.local.year, 1970);
	ck_assert_int_eq(t.time_diff_min, 0);
	json_object_put(reply);

	{
		static const char *const bad[] = {
			"{}",
			"{\"timestamp\":\"1741955696\"}",
			"{\"timestamp\":-1}",
			"{\"timestamp\":253402300800}",
			"{\"timestamp\":1741955696,\"time_diff\":1441}",
			"{\"timestamp\":1741955696,\"time_diff\":-1441}",
			"{\"timestamp\":1741955696,\"time_diff\":\"60\"}",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char text[256];

			snprintf(text, sizeof(text), "{\"error_code\":0,\"result\":%s}", bad[i]);
			reply = parse_text(text);
			t.timestamp = 42;
			ck_assert_msg(kasa_smart_time_parse(reply, &t, &err) == -EBADMSG, "%s",
				      text);
			ck_assert_int_eq(t.timestamp, 42);
			ck_assert_int_eq(err.code, 0);
			json_object_put(reply);
		}
	}
	reply = parse_text("{\"error_code\":-1002}");
	ck_assert_int_eq(kasa_smart_time_parse(reply, &t, &err), -ENOSYS);
	json_object_put(reply);
}
END_TEST

static Suite *smart_suite(void)
{
	Suite *s = suite_create("smart");
	TCase *tc;

	tc = tcase_create("request");
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_request_stamp);
	tcase_add_test(tc, test_request_any);
	tcase_add_test(tc, test_request_nickname);
	tcase_add_test(tc, test_request_multiple);
	suite_add_tcase(s, tc);

	tc = tcase_create("result");
	tcase_add_test(tc, test_errno);
	tcase_add_test(tc, test_result);
	tcase_add_test(tc, test_result_malformed);
	tcase_add_test(tc, test_multiple);
	suite_add_tcase(s, tc);

	tc = tcase_create("device_info");
	tcase_add_test(tc, test_sysinfo_p110);
	tcase_add_test(tc, test_sysinfo_fields);
	tcase_add_test(tc, test_sysinfo_nickname);
	tcase_add_test(tc, test_sysinfo_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("energy");
	tcase_add_test(tc, test_energy_p110);
	tcase_add_test(tc, test_energy_refused);
	tcase_add_test(tc, test_current_power);
	tcase_add_test(tc, test_component);
	suite_add_tcase(s, tc);

	tc = tcase_create("led_time");
	tcase_add_test(tc, test_led);
	tcase_add_test(tc, test_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(smart_suite());
}
