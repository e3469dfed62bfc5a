/* SPDX-License-Identifier: MIT */
/* Reply parsing against golden replies of real devices (tests/data) and hostile variants. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa.h"
#include "reply-util.h"
#include "test-util.h"

#define HS300_ID "8006B8B4F8E9963F903B170A018DDAAE1ABB51EA"

static int parse_rc(const char *text)
{
	struct json_object *reply = (struct json_object *)0x1;
	int r = kasa_reply_parse(text, strlen(text), &reply);

	/* ret_reply is written only on success. */
	if (r < 0)
		ck_assert_ptr_eq(reply, (struct json_object *)0x1);
	else
		json_object_put(reply);
	return r;
}

/* Well-formed enough for these tests: every lead byte has its continuation bytes. */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;

		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* --- kasa_reply_parse ---------------------------------------------------- */

START_TEST(test_parse)
{
	struct json_object *reply = NULL;
	const char with_nul[] = "{\"a\":1}\0{}";

	ck_assert_int_eq(parse_rc("{}"), 0);
	ck_assert_int_eq(parse_rc(" \r\n\t{\"a\":[1,2,{}]} \n"), 0);

	ck_assert_int_eq(parse_rc(""), -EBADMSG);
	ck_assert_int_eq(parse_rc("   "), -EBADMSG);
	ck_assert_int_eq(parse_rc("[]"), -EBADMSG);
	ck_assert_int_eq(parse_rc("42"), -EBADMSG);
	ck_assert_int_eq(parse_rc("\"x\""), -EBADMSG);
	ck_assert_int_eq(parse_rc("null"), -EBADMSG);
	ck_assert_int_eq(parse_rc("{"), -EBADMSG);
	ck_assert_int_eq(parse_rc("{\"a\":1"), -EBADMSG);
	ck_assert_int_eq(parse_rc("{\"a\":1}}"), -EBADMSG);
	ck_assert_int_eq(parse_rc("{\"a\":1} x"), -EBADMSG);
	ck_assert_int_eq(parse_rc("{}{}"), -EBADMSG);
	ck_assert_int_eq(parse_rc("\x01\x02garbage"), -EBADMSG);

	/* An embedded NUL is not trailing whitespace. */
	ck_assert_int_eq(kasa_reply_parse(with_nul, sizeof(with_nul) - 1, &reply), -EBADMSG);
	/* len is honoured: only the first object is looked at. */
	ck_assert_int_eq(kasa_reply_parse("{\"a\":1} trailing", 7, &reply), 0);
	json_object_put(reply);
}
END_TEST

START_TEST(test_parse_depth)
{
	char text[512] = "";

	/* 16 levels of objects are fine, 17 are not. */
	for (int i = 0; i < 15; i++)
		strcat(text, "{\"a\":");
	strcat(text, "{}");
	for (int i = 0; i < 15; i++)
		strcat(text, "}");
	ck_assert_int_eq(parse_rc(text), 0);

	strcpy(text, "");
	for (int i = 0; i < 16; i++)
		strcat(text, "{\"a\":");
	strcat(text, "{}");
	for (int i = 0; i < 16; i++)
		strcat(text, "}");
	ck_assert_int_eq(parse_rc(text), -EBADMSG);
}
END_TEST

/* --- errors at both levels --------------------------------------------- */

START_TEST(test_device_errno)
{
	ck_assert_int_eq(kasa_device_errno(0), 0);
	ck_assert_int_eq(kasa_device_errno(-1), -ENOTSUP);
	ck_assert_int_eq(kasa_device_errno(-2), -ENOSYS);
	ck_assert_int_eq(kasa_device_errno(-3), -EINVAL);
	ck_assert_int_eq(kasa_device_errno(-10), -ENOSPC);
	ck_assert_int_eq(kasa_device_errno(-14), -ENOENT);
	ck_assert_int_eq(kasa_device_errno(-4), -EREMOTEIO);
	ck_assert_int_eq(kasa_device_errno(-99), -EREMOTEIO);
	ck_assert_int_eq(kasa_device_errno(1), -EREMOTEIO);
}
END_TEST

static const struct {
	const char *file, *module, *method;
	int ret, code;
	const char *msg;
	bool module_level;
} errors[] = {
	{"errors-notsupport-module.json", "emeter", "get_realtime", -ENOTSUP, -1,
	 "module not support", true},
	{"errors-notsupport-method.json", "emeter", "get_realtime", -ENOTSUP, -1,
	 "module not support", false},
	{"errors-member-module.json", "system", "nope", -ENOSYS, -2, "member not support", true},
	{"errors-member-method.json", "system", "nope", -ENOSYS, -2, "member not support", false},
	{"errors-invalid-module.json", "emeter", "get_daystat", -EINVAL, -3, "invalid argument",
	 true},
	{"errors-invalid-method.json", "emeter", "get_daystat", -EINVAL, -3, "invalid argument",
	 false},
	{"errors-noentry-module.json", "system", "set_relay_state", -ENOENT, -14, "entry not exist",
	 true},
	{"errors-noentry-method.json", "system", "set_relay_state", -ENOENT, -14, "entry not exist",
	 false},
	{"errors-full-module.json", "schedule", "add_rule", -ENOSPC, -10, "table is full", true},
	{"errors-full-method.json", "schedule", "add_rule", -ENOSPC, -10, "table is full", false},
	{"errors-other-module.json", "system", "set_relay_state", -EREMOTEIO, -7, "unexpected",
	 true},
	{"errors-other-method.json", "system", "set_relay_state", -EREMOTEIO, -99, "unexpected",
	 false},
	/* No module key at all, only the error. */
	{"errors-bare.json", "emeter", "get_realtime", -ENOTSUP, -1, "module not support", true},
};

START_TEST(test_error_forms)
{
	struct json_object *reply = parse_file(errors[_i].file);
	struct json_object *result = (struct json_object *)0x1;
	struct kasa_device_error err;

	memset(&err, 0x55, sizeof(err));
	ck_assert_int_eq(
		kasa_reply_result(reply, errors[_i].module, errors[_i].method, &result, &err),
		errors[_i].ret);
	ck_assert_ptr_eq(result, (struct json_object *)0x1);
	ck_assert_int_eq(err.code, errors[_i].code);
	ck_assert_str_eq(err.msg, errors[_i].msg);
	ck_assert(err.module_level == errors[_i].module_level);

	/* ret_err is optional. */
	ck_assert_int_eq(
		kasa_reply_result(reply, errors[_i].module, errors[_i].method, &result, NULL),
		errors[_i].ret);
	json_object_put(reply);
}
END_TEST

START_TEST(test_error_forms_through_parsers)
{
	struct json_object *reply = parse_file("errors-notsupport-module.json");
	struct kasa_device_error err = {0};
	struct kasa_emeter em = {.slot_id = 77};

	ck_assert_int_eq(kasa_emeter_parse(reply, &em, &err), -ENOTSUP);
	ck_assert_int_eq(em.slot_id, 77);
	ck_assert_int_eq(err.code, -1);
	ck_assert(err.module_level);
	json_object_put(reply);

	reply = parse_file("errors-notsupport-method.json");
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(kasa_emeter_parse(reply, &em, &err), -ENOTSUP);
	ck_assert_int_eq(err.code, -1);
	ck_assert(!err.module_level);
	ck_assert_str_eq(err.msg, "module not support");
	json_object_put(reply);

	reply = parse_file("errors-invalid-method.json");
	{
		struct kasa_stats stats = {.count = 9};

		ck_assert_int_eq(kasa_daystat_parse(reply, 2026, 1, &stats, &err), -EINVAL);
		ck_assert_uint_eq(stats.count, 9);
		ck_assert_int_eq(err.code, -3);
	}
	json_object_put(reply);
}
END_TEST

START_TEST(test_result_ok)
{
	struct json_object *reply =
		parse_text("{\"system\":{\"set_relay_state\":{\"err_code\":0}}}");
	struct json_object *result = NULL;
	struct kasa_device_error err;

	memset(&err, 0x55, sizeof(err));
	ck_assert_int_eq(kasa_reply_result(reply, "system", "set_relay_state", &result, &err), 0);
	ck_assert_ptr_nonnull(result);
	ck_assert(json_object_is_type(result, json_type_object));
	/* Cleared on success. */
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert(!err.module_level);
	json_object_put(reply);

	/* A combined reply: each module checked on its own. */
	reply = parse_text("{\"system\":{\"get_sysinfo\":{\"err_code\":0,\"alias\":\"x\"}},"
			   "\"emeter\":{\"err_code\":-1,\"err_msg\":\"module not support\"}}");
	ck_assert_int_eq(kasa_reply_result(reply, "system", "get_sysinfo", &result, &err), 0);
	ck_assert_int_eq(kasa_reply_result(reply, "emeter", "get_realtime", &result, &err),
			 -ENOTSUP);
	json_object_put(reply);

	/* No err_code at all is taken as success. */
	reply = parse_text("{\"time\":{\"get_timezone\":{\"index\":18}}}");
	ck_assert_int_eq(kasa_reply_result(reply, "time", "get_timezone", &result, NULL), 0);
	json_object_put(reply);
}
END_TEST

START_TEST(test_result_malformed)
{
	static const char *const bad[] = {
		"{}",
		"{\"emeter\":{}}",
		"{\"emeter\":1}",
		"{\"emeter\":null}",
		"{\"emeter\":[]}",
		"{\"emeter\":{\"get_realtime\":1}}",
		"{\"emeter\":{\"get_realtime\":\"x\"}}",
		"{\"emeter\":{\"get_realtime\":null}}",
		"{\"emeter\":{\"err_code\":0}}",
		"{\"emeter\":{\"other\":{}}}",
		"{\"emeter\":{\"get_realtime\":{\"err_code\":\"-1\"}}}",
		"{\"emeter\":{\"err_code\":\"oops\",\"get_realtime\":{}}}",
		"{\"err_code\":0}",
	};
	struct json_object *result = (struct json_object *)0x1;
	struct kasa_device_error err = {.code = 1234};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *reply = parse_text(bad[i]);

		ck_assert_msg(kasa_reply_result(reply, "emeter", "get_realtime", &result, &err) ==
				      -EBADMSG,
			      "accepted %s", bad[i]);
		json_object_put(reply);
	}
	ck_assert_ptr_eq(result, (struct json_object *)0x1);
	ck_assert_int_eq(err.code, 1234);
	ck_assert_int_eq(kasa_reply_result(NULL, "emeter", "get_realtime", &result, &err),
			 -EBADMSG);
}
END_TEST

START_TEST(test_error_message_truncated)
{
	/* 40 two-byte characters: byte 63 would split one, so 62 bytes are kept. */
	char text[256] = "{\"system\":{\"err_code\":-3,\"err_msg\":\"";
	struct json_object *reply, *result;
	struct kasa_device_error err;

	for (int i = 0; i < 40; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\"}}");
	reply = parse_text(text);
	ck_assert_int_eq(kasa_reply_result(reply, "system", "x", &result, &err), -EINVAL);
	ck_assert_uint_eq(strlen(err.msg), 62);
	ck_assert(valid_utf8(err.msg));
	json_object_put(reply);

	/* One ASCII byte first: the cut falls between characters, all 63 bytes are kept. */
	strcpy(text, "{\"system\":{\"err_code\":-3,\"err_msg\":\"a");
	for (int i = 0; i < 40; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\"}}");
	reply = parse_text(text);
	ck_assert_int_eq(kasa_reply_result(reply, "system", "x", &result, &err), -EINVAL);
	ck_assert_uint_eq(strlen(err.msg), 63);
	ck_assert(valid_utf8(err.msg));
	json_object_put(reply);

	/* Three-byte characters after one ASCII byte: the cut backs up over two bytes. */
	strcpy(text, "{\"system\":{\"err_code\":-3,\"err_msg\":\"a");
	for (int i = 0; i < 30; i++)
		strcat(text, "\xe2\x82\xac");
	strcat(text, "\"}}");
	reply = parse_text(text);
	ck_assert_int_eq(kasa_reply_result(reply, "system", "x", &result, &err), -EINVAL);
	ck_assert_uint_eq(strlen(err.msg), 61);
	ck_assert(valid_utf8(err.msg));
	json_object_put(reply);

	/* A code out of int range stays an error. */
	reply = parse_text("{\"system\":{\"x\":{\"err_code\":4294967296,\"err_msg\":7}}}");
	ck_assert_int_eq(kasa_reply_result(reply, "system", "x", &result, &err), -EREMOTEIO);
	ck_assert_int_ne(err.code, 0);
	ck_assert_str_eq(err.msg, "");
	json_object_put(reply);
}
END_TEST

/* --- sysinfo -------------------------------------------------------------- */

static void sysinfo_file(const char *name, struct kasa_sysinfo *si)
{
	struct json_object *reply = parse_file(name);
	struct kasa_device_error err;

	memset(si, 0x55, sizeof(*si));
	ck_assert_int_eq(kasa_sysinfo_parse(reply, si, &err), 0);
	ck_assert_int_eq(err.code, 0);
	json_object_put(reply);
}

START_TEST(test_sysinfo_hs100_old)
{
	struct kasa_sysinfo si;

	sysinfo_file("sysinfo-hs100-old.json", &si);
	ck_assert_str_eq(si.alias, "Lamp");
	ck_assert_str_eq(si.model, "HS100(US)");
	ck_assert_str_eq(si.dev_name, "Wi-Fi Smart Plug");
	ck_assert_str_eq(si.device_id, "8006F4A6E6A2B1C8F56D9E3C1B2A0F9E8D7C6B5A");
	ck_assert_str_eq(si.hw_id, "60FF6B258734EA6880E186F8C96DDC61");
	ck_assert_str_eq(si.oem_id, "FFF22CFF774A0B89F7624BFC6F50D5DE");
	ck_assert_str_eq(si.mac, "50:C7:BF:00:00:01");
	ck_assert_str_eq(si.hw_ver, "1.0");
	ck_assert_str_eq(si.sw_ver, "1.2.5 Build 171129 Rel.174814");
	ck_assert_str_eq(si.type, "IOT.SMARTPLUGSWITCH");
	ck_assert_str_eq(si.feature, "TIM");
	ck_assert_str_eq(si.active_mode, "schedule");
	ck_assert_int_eq(si.rssi, -63);
	ck_assert(si.led_on);
	ck_assert(si.has_relay);
	ck_assert(!si.relay_on);
	ck_assert_int_eq(si.on_time, 0);
	ck_assert(!si.has_emeter);
	ck_assert(!si.updating);
	ck_assert_double_eq_tol(si.latitude, 52.5161, 1e-9);
	ck_assert_double_eq_tol(si.longitude, 13.3777, 1e-9);
	ck_assert_uint_eq(si.outlet_count, 0);
}
END_TEST

START_TEST(test_sysinfo_hs110_v4)
{
	struct kasa_sysinfo si;

	sysinfo_file("sysinfo-hs110-v4.json", &si);
	/* JSON escapes decoded: a quote and an é. */
	ck_assert_str_eq(si.alias, "Fridge \"cold\" \xc3\xa9");
	ck_assert_str_eq(si.model, "HS110(EU)");
	ck_assert_str_eq(si.type, "IOT.SMARTPLUGSWITCH");
	ck_assert_str_eq(si.feature, "TIM:ENE");
	ck_assert(si.has_emeter);
	ck_assert(!si.led_on);
	ck_assert(si.has_relay);
	ck_assert(si.relay_on);
	ck_assert_int_eq(si.on_time, 3725);
	ck_assert_int_eq(si.rssi, -52);
	ck_assert_double_eq_tol(si.latitude, 51.5074, 1e-9);
	ck_assert_double_eq_tol(si.longitude, -0.1278, 1e-9);
	ck_assert_str_eq(si.dev_name, "Smart Wi-Fi Plug With Energy Monitoring");
	ck_assert_uint_eq(si.outlet_count, 0);
}
END_TEST

START_TEST(test_sysinfo_hs300)
{
	struct kasa_sysinfo si;
	char want[KASA_ID_MAX];

	sysinfo_file("sysinfo-hs300.json", &si);
	ck_assert_str_eq(si.model, "HS300(US)");
	ck_assert_str_eq(si.device_id, HS300_ID);
	ck_assert(!si.has_relay);
	ck_assert(!si.relay_on);
	ck_assert(si.has_emeter);
	ck_assert(si.led_on);
	ck_assert_double_eq_tol(si.latitude, 40.7128, 1e-9);
	ck_assert_double_eq_tol(si.longitude, -74.006, 1e-9);
	ck_assert_uint_eq(si.outlet_count, 6);

	for (unsigned i = 0; i < 6; i++) {
		ck_assert_int_eq(kasa_child_id(si.device_id, i, want), 0);
		ck_assert_str_eq(si.outlets[i].id, want);
		ck_assert_uint_eq(strlen(si.outlets[i].id), KASA_CHILD_ID_LEN);
	}
	ck_assert_str_eq(si.outlets[0].alias, "Outlet 1");
	ck_assert_str_eq(si.outlets[2].alias, "TV");
	ck_assert_str_eq(si.outlets[5].alias, "Outlet 6");
	ck_assert(si.outlets[0].on);
	ck_assert(!si.outlets[1].on);
	ck_assert(si.outlets[3].on);
	ck_assert_int_eq(si.outlets[3].on_time, 300);
	ck_assert_int_eq(si.outlets[4].on_time, 0);
	ck_assert_str_eq(si.outlets[0].next_action, "{\"type\":-1}");
	/* A scheduled action with its 32-character rule id still fits. */
	ck_assert_str_eq(si.outlets[1].next_action,
			 "{\"type\":1,\"id\":\"8AA75A50A8440B17941D192BD9E01FFA\","
			 "\"schd_sec\":69240,\"action\":1}");
	/* Entries past the list are zeroed, not left as they were. */
	ck_assert_str_eq(si.outlets[6].id, "");
}
END_TEST

START_TEST(test_sysinfo_nested)
{
	struct kasa_sysinfo si;

	sysinfo_file("sysinfo-nested.json", &si);
	ck_assert_str_eq(si.model, "HS105(US)");
	ck_assert_str_eq(si.alias, "Mini");
	ck_assert_str_eq(si.device_id, "8006A1B2C3D4E5F60718293A4B5C6D7E8F901234");
	ck_assert(si.has_relay);
	ck_assert(si.relay_on);
	ck_assert_int_eq(si.on_time, 42);
	ck_assert_int_eq(si.rssi, -70);
	ck_assert_double_eq_tol(si.latitude, -33.8688, 1e-9);
	ck_assert_double_eq_tol(si.longitude, 151.2093, 1e-9);
}
END_TEST

START_TEST(test_sysinfo_kp115)
{
	struct kasa_sysinfo si;

	sysinfo_file("sysinfo-kp115.json", &si);
	ck_assert_str_eq(si.model, "KP115(US)");
	ck_assert_str_eq(si.alias, "Dryer");
	ck_assert(si.has_emeter);
	ck_assert(si.has_relay);
	ck_assert(!si.relay_on);
	ck_assert(si.led_on);
	ck_assert_double_eq(si.latitude, 0);
	ck_assert_str_eq(si.mac, "1C:3B:F3:00:00:05");
}
END_TEST

START_TEST(test_sysinfo_hs220)
{
	struct kasa_sysinfo si;

	sysinfo_file("sysinfo-hs220.json", &si);
	ck_assert_str_eq(si.model, "HS220(US)");
	ck_assert_str_eq(si.type, "IOT.SMARTPLUGSWITCH");
	ck_assert(si.has_relay);
	ck_assert(!si.relay_on);
	/* The level is kept, and said, while the relay is off; preferred_state's
	 * brightnesses are not the device's. */
	ck_assert(si.has_brightness);
	ck_assert_int_eq(si.brightness, 35);
	ck_assert(!si.has_emeter);
	ck_assert_uint_eq(si.outlet_count, 0);

	/* A plug says nothing of brightness: it has none. */
	sysinfo_file("sysinfo-kp115.json", &si);
	ck_assert(!si.has_brightness);
}
END_TEST

/* Parse a sysinfo reply given inline; returns the result, *si written only on success. */
static int sysinfo_text(const char *text, struct kasa_sysinfo *si)
{
	struct json_object *reply = parse_text(text);
	int r = kasa_sysinfo_parse(reply, si, NULL);

	json_object_put(reply);
	return r;
}

static int sysinfo_err_text(const char *text, struct kasa_sysinfo *si,
			    struct kasa_device_error *err)
{
	struct json_object *reply = parse_text(text);
	int r;

	memset(err, 0x55, sizeof(*err));
	r = kasa_sysinfo_parse(reply, si, err);
	json_object_put(reply);
	return r;
}

START_TEST(test_sysinfo_wrong_types)
{
	struct kasa_sysinfo si;

	/* Fields of the wrong type are skipped, not converted and not fatal. */
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
				      "\"alias\":5,\"model\":null,\"rssi\":\"-60\","
				      "\"relay_state\":\"1\",\"led_off\":[1],\"feature\":{},"
				      "\"latitude_i\":\"x\",\"latitude\":1.5,\"longitude\":true,"
				      "\"children\":{\"id\":1},\"on_time\":1.5}}}",
				      &si),
			 0);
	ck_assert_str_eq(si.device_id, "AB");
	ck_assert_str_eq(si.alias, "");
	ck_assert_str_eq(si.model, "");
	ck_assert_int_eq(si.rssi, 0);
	ck_assert(!si.has_relay);
	ck_assert(si.led_on);
	ck_assert(!si.has_emeter);
	ck_assert_double_eq(si.latitude, 1.5);
	ck_assert_double_eq(si.longitude, 0);
	ck_assert_uint_eq(si.outlet_count, 0);
	/* A float on_time is not one: not known. */
	ck_assert_int_eq(si.on_time, -1);

	/* Children of the wrong shape keep their index, with empty fields. */
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
				      "\"children\":[7,{\"id\":\"AB01\",\"state\":1,"
				      "\"next_action\":null}]}}}",
				      &si),
			 0);
	ck_assert_uint_eq(si.outlet_count, 2);
	ck_assert_str_eq(si.outlets[0].id, "");
	ck_assert_str_eq(si.outlets[1].id, "AB01");
	ck_assert(si.outlets[1].on);
	ck_assert_str_eq(si.outlets[1].next_action, "");

	/* "ENE" is a whole feature, not a substring. */
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
				      "\"feature\":\"TIM:ENERGY\"}}}",
				      &si),
			 0);
	ck_assert(!si.has_emeter);
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
				      "\"feature\":\"ENE:TIM\"}}}",
				      &si),
			 0);
	ck_assert(si.has_emeter);
}
END_TEST

/* A brightness no dimmer has refuses the reply, as a meter's reading out of
 * range does; 0 and 100, the ends, are a dimmer's. */
START_TEST(test_sysinfo_brightness_implausible)
{
	static const struct {
		const char *value, *why;
	} bad[] = {
		{"101", "brightness 101 is out of range"},
		{"-1", "brightness -1 is out of range"},
		{"4294967396", "brightness 4294967396 is out of range"},
		{"50.5", "brightness is not a whole number"},
		{"\"50\"", "brightness is not a whole number"},
		{"true", "brightness is not a whole number"},
		{"null", "brightness is not a whole number"},
	};
	struct kasa_device_error err;
	struct kasa_sysinfo si;
	char text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\",\"relay_state\":1,"
			 "\"brightness\":%s}}}",
			 bad[i].value);
		memset(&si, 0x55, sizeof(si));
		ck_assert_int_eq(sysinfo_err_text(text, &si, &err), -EBADMSG);
		ck_assert_str_eq(err.msg, bad[i].why);
		ck_assert_int_eq(err.code, 0);
		/* Written only on success. */
		ck_assert_int_eq(si.brightness, 0x55555555);
	}
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
				      "\"relay_state\":1,\"brightness\":0}}}",
				      &si),
			 0);
	ck_assert(si.has_brightness);
	ck_assert_int_eq(si.brightness, 0);
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
				      "\"relay_state\":1,\"brightness\":100}}}",
				      &si),
			 0);
	ck_assert_int_eq(si.brightness, 100);
}
END_TEST

START_TEST(test_sysinfo_refused)
{
	struct kasa_sysinfo si = {.rssi = 99};

	/* Without a deviceId there is nothing to name the device by. */
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"err_code\":0}}}", &si),
			 -EBADMSG);
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"\"}}}", &si),
			 -EBADMSG);
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":7}}}", &si),
			 -EBADMSG);
	ck_assert_int_eq(sysinfo_text("{\"system\":{}}", &si), -EBADMSG);
	ck_assert_int_eq(sysinfo_text("{\"system\":{\"get_sysinfo\":{\"err_code\":-2,"
				      "\"err_msg\":\"member not support\"}}}",
				      &si),
			 -ENOSYS);
	ck_assert_int_eq(si.rssi, 99);
}
END_TEST

START_TEST(test_sysinfo_long_strings)
{
	char text[1024], big[200];
	struct kasa_sysinfo si;

	memset(big, 'M', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"%s\",\"model\":\"%s\","
		 "\"children\":[{\"id\":\"%s\",\"alias\":\"%s\"}]}}}",
		 big, big, big, big);
	ck_assert_int_eq(sysinfo_text(text, &si), 0);
	ck_assert_uint_eq(strlen(si.device_id), KASA_ID_MAX - 1);
	ck_assert_uint_eq(strlen(si.model), sizeof(si.model) - 1);
	ck_assert_uint_eq(strlen(si.outlets[0].id), KASA_ID_MAX - 1);
	ck_assert_uint_eq(strlen(si.outlets[0].alias), sizeof(si.outlets[0].alias) - 1);
}
END_TEST

START_TEST(test_sysinfo_too_many_children)
{
	char text[2048];
	struct kasa_sysinfo si = {.rssi = 99};
	struct kasa_device_error err;

	strcpy(text, "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\",\"children\":[");
	for (int i = 0; i <= KASA_OUTLETS_MAX; i++) {
		char child[64];

		snprintf(child, sizeof(child), "%s{\"id\":\"AB%02d\",\"state\":0}", i ? "," : "",
			 i);
		strcat(text, child);
	}
	strcat(text, "]}}}");
	/* Not "over the size cap": the frame is small, the plug is one we do
	 * not know, and the message says so. */
	ck_assert_int_eq(sysinfo_err_text(text, &si, &err), -EBADMSG);
	ck_assert_int_eq(si.rssi, 99);
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.msg, "it reports 17 outlets, at most 16 are supported");

	/* A child_num over the cap is refused even without the list. */
	ck_assert_int_eq(sysinfo_err_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
					  "\"child_num\":17}}}",
					  &si, &err),
			 -EBADMSG);
	ck_assert_str_eq(err.msg, "it reports 17 outlets, at most 16 are supported");
	ck_assert_int_eq(sysinfo_err_text("{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\","
					  "\"child_num\":9223372036854775807}}}",
					  &si, &err),
			 -EBADMSG);
	/* Cut to fit, never overrun. */
	ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
	ck_assert(strncmp(err.msg, "it reports 9223372036854775807 outlets", 38) == 0);
	/* Exactly the cap is fine. */
	strcpy(text, "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\",\"children\":[");
	for (int i = 0; i < KASA_OUTLETS_MAX; i++)
		strcat(text, i ? ",{}" : "{}");
	strcat(text, "]}}}");
	ck_assert_int_eq(sysinfo_text(text, &si), 0);
	ck_assert_uint_eq(si.outlet_count, KASA_OUTLETS_MAX);
}
END_TEST

/* --- emeter --------------------------------------------------------------- */

static void emeter_file(const char *name, struct kasa_emeter *em)
{
	struct json_object *reply = parse_file(name);

	ck_assert_int_eq(kasa_emeter_parse(reply, em, NULL), 0);
	json_object_put(reply);
}

START_TEST(test_emeter_old)
{
	struct kasa_emeter em;

	emeter_file("emeter-old.json", &em);
	ck_assert(!em.new_style);
	ck_assert_int_eq(em.slot_id, -1);
	ck_assert_double_eq(em.current_a, 0.014937);
	ck_assert_double_eq(em.voltage_v, 231.067823);
	ck_assert_double_eq(em.power_w, 0.928511);
	ck_assert_double_eq(em.total_kwh, 55.139);
	/* Rounded, not truncated: 14.937 mA, 231067.823 mV, 928.511 mW, 55139 Wh. */
	ck_assert_int_eq(em.current_ma, 15);
	ck_assert_int_eq(em.voltage_mv, 231068);
	ck_assert_int_eq(em.power_mw, 929);
	ck_assert_int_eq(em.total_wh, 55139);
}
END_TEST

START_TEST(test_emeter_new)
{
	struct kasa_emeter em;

	emeter_file("emeter-new.json", &em);
	ck_assert(em.new_style);
	ck_assert_int_eq(em.slot_id, -1);
	ck_assert_int_eq(em.current_ma, 451);
	ck_assert_int_eq(em.voltage_mv, 230837);
	ck_assert_int_eq(em.power_mw, 61753);
	ck_assert_int_eq(em.total_wh, 16323);
	ck_assert_double_eq_tol(em.current_a, 0.451, 1e-12);
	ck_assert_double_eq_tol(em.voltage_v, 230.837, 1e-12);
	ck_assert_double_eq_tol(em.power_w, 61.753, 1e-12);
	ck_assert_double_eq_tol(em.total_kwh, 16.323, 1e-12);
}
END_TEST

START_TEST(test_emeter_hs300)
{
	struct kasa_emeter em;

	emeter_file("emeter-hs300.json", &em);
	ck_assert(em.new_style);
	ck_assert_int_eq(em.slot_id, 0);
	ck_assert_int_eq(em.current_ma, 6);
	ck_assert_int_eq(em.power_mw, 277);
	ck_assert_int_eq(em.voltage_mv, 120110);
	ck_assert_int_eq(em.total_wh, 62);
	ck_assert_double_eq_tol(em.voltage_v, 120.11, 1e-12);
}
END_TEST

static int emeter_text(const char *result_text, struct kasa_emeter *em)
{
	struct json_object *result = json_tokener_parse(result_text);
	int r;

	ck_assert_ptr_nonnull(result);
	r = kasa_emeter_from_result(result, em);
	json_object_put(result);
	return r;
}

START_TEST(test_emeter_edge)
{
	struct kasa_emeter em = {.slot_id = 42};

	ck_assert_int_eq(emeter_text("{\"err_code\":0}", &em), -EBADMSG);
	ck_assert_int_eq(emeter_text("{\"power\":\"1.0\",\"power_mw\":null}", &em), -EBADMSG);
	ck_assert_int_eq(emeter_text("{\"power\":1e300}", &em), -EBADMSG);
	ck_assert_int_eq(em.slot_id, 42);
	ck_assert_int_eq(kasa_emeter_from_result(NULL, &em), -EBADMSG);

	/* Only some keys: the rest read 0.  Integers in the old style are fine. */
	ck_assert_int_eq(emeter_text("{\"power\":2,\"voltage\":-0.0006}", &em), 0);
	ck_assert(!em.new_style);
	ck_assert_int_eq(em.power_mw, 2000);
	ck_assert_double_eq(em.power_w, 2.0);
	ck_assert_int_eq(em.voltage_mv, -1);
	ck_assert_int_eq(em.current_ma, 0);
	ck_assert_int_eq(em.slot_id, -1);

	/* When a device sends both, the exact integers win. */
	ck_assert_int_eq(emeter_text("{\"power\":9.9,\"power_mw\":1500,\"slot_id\":3}", &em), 0);
	ck_assert(em.new_style);
	ck_assert_int_eq(em.power_mw, 1500);
	ck_assert_double_eq(em.power_w, 1.5);
	ck_assert_int_eq(em.slot_id, 3);

	/* A float where an integer belongs is rounded. */
	ck_assert_int_eq(emeter_text("{\"power_mw\":1499.6}", &em), 0);
	ck_assert_int_eq(em.power_mw, 1500);
}
END_TEST

/* --- statistics ----------------------------------------------------------- */

static void stats_file(const char *name, bool daily, struct kasa_stats *st)
{
	struct json_object *reply = parse_file(name);

	memset(st, 0x55, sizeof(*st));
	/* The period of the files' entries. */
	if (daily)
		ck_assert_int_eq(kasa_daystat_parse(reply, 2026, 11, st, NULL), 0);
	else
		ck_assert_int_eq(kasa_monthstat_parse(reply, 2026, st, NULL), 0);
	json_object_put(reply);
}

START_TEST(test_daystat)
{
	struct kasa_stats st;

	stats_file("daystat-old.json", true, &st);
	ck_assert_uint_eq(st.count, 3);
	ck_assert_int_eq(st.entries[0].year, 2026);
	ck_assert_int_eq(st.entries[0].month, 11);
	ck_assert_int_eq(st.entries[0].day, 22);
	ck_assert_int_eq(st.entries[0].energy_wh, 0);
	ck_assert_double_eq(st.entries[0].energy_kwh, 0.0004);
	ck_assert_int_eq(st.entries[1].energy_wh, 1235);
	ck_assert_int_eq(st.entries[2].day, 24);
	ck_assert_int_eq(st.entries[2].energy_wh, 26);
	ck_assert_double_eq(st.entries[2].energy_kwh, 0.026);

	stats_file("daystat-new.json", true, &st);
	ck_assert_uint_eq(st.count, 2);
	ck_assert_int_eq(st.entries[0].day, 23);
	ck_assert_int_eq(st.entries[0].energy_wh, 1480);
	ck_assert_double_eq_tol(st.entries[0].energy_kwh, 1.48, 1e-12);
	ck_assert_int_eq(st.entries[1].energy_wh, 20);
	ck_assert_double_eq_tol(st.entries[1].energy_kwh, 0.02, 1e-12);
}
END_TEST

START_TEST(test_monthstat)
{
	struct kasa_stats st;

	stats_file("monthstat-old.json", false, &st);
	ck_assert_uint_eq(st.count, 2);
	ck_assert_int_eq(st.entries[0].year, 2026);
	ck_assert_int_eq(st.entries[0].month, 10);
	ck_assert_int_eq(st.entries[0].day, 0);
	ck_assert_int_eq(st.entries[0].energy_wh, 12763);
	ck_assert_double_eq(st.entries[0].energy_kwh, 12.7634);
	ck_assert_int_eq(st.entries[1].energy_wh, 3500);

	stats_file("monthstat-new.json", false, &st);
	ck_assert_uint_eq(st.count, 3);
	ck_assert_int_eq(st.entries[0].month, 9);
	ck_assert_int_eq(st.entries[0].day, 0);
	ck_assert_int_eq(st.entries[0].energy_wh, 30512);
	ck_assert_double_eq_tol(st.entries[0].energy_kwh, 30.512, 1e-12);
	ck_assert_int_eq(st.entries[2].energy_wh, 19);
}
END_TEST

static int daystat_text(const char *text, struct kasa_stats *st)
{
	struct json_object *reply = parse_text(text);
	int r = kasa_daystat_parse(reply, 2026, 1, st, NULL);

	json_object_put(reply);
	return r;
}

START_TEST(test_stats_edge)
{
	struct kasa_stats st = {.count = 99};
	struct json_object *reply;
	char text[8192];

	ck_assert_int_eq(daystat_text("{\"emeter\":{\"get_daystat\":{\"err_code\":0}}}", &st),
			 -EBADMSG);
	ck_assert_int_eq(daystat_text("{\"emeter\":{\"get_daystat\":{\"day_list\":{}}}}", &st),
			 -EBADMSG);
	ck_assert_int_eq(daystat_text("{\"emeter\":{\"get_daystat\":{\"day_list\":[1]}}}", &st),
			 -EBADMSG);
	/* A daily entry needs its day, every entry its energy. */
	ck_assert_int_eq(daystat_text("{\"emeter\":{\"get_daystat\":{\"day_list\":[{\"year\":2026,"
				      "\"month\":1,\"energy\":1}]}}}",
				      &st),
			 -EBADMSG);
	ck_assert_int_eq(daystat_text("{\"emeter\":{\"get_daystat\":{\"day_list\":[{\"year\":2026,"
				      "\"month\":1,\"day\":2}]}}}",
				      &st),
			 -EBADMSG);
	ck_assert_uint_eq(st.count, 99);

	/* The month list is not a day list. */
	reply = parse_file("daystat-new.json");
	ck_assert_int_eq(kasa_monthstat_parse(reply, 2026, &st, NULL), -EBADMSG);
	json_object_put(reply);

	ck_assert_int_eq(daystat_text("{\"emeter\":{\"get_daystat\":{\"day_list\":[]}}}", &st), 0);
	ck_assert_uint_eq(st.count, 0);

	/* KASA_STATS_MAX entries fit, one more does not (more than a month has
	 * days: the plug repeats itself). */
	strcpy(text, "{\"emeter\":{\"get_daystat\":{\"day_list\":[");
	for (int i = 0; i < KASA_STATS_MAX; i++)
		strcat(text, i ? ",{\"year\":2026,\"month\":1,\"day\":1,\"energy_wh\":1}"
			       : "{\"year\":2026,\"month\":1,\"day\":1,\"energy_wh\":1}");
	strcat(text, "]}}}");
	ck_assert_int_eq(daystat_text(text, &st), 0);
	ck_assert_uint_eq(st.count, KASA_STATS_MAX);

	st.count = 99;
	text[strlen(text) - 4] = '\0';
	strcat(text, ",{\"year\":2026,\"month\":1,\"day\":1,\"energy_wh\":1}]}}}");
	ck_assert_int_eq(daystat_text(text, &st), -EBADMSG);
	ck_assert_uint_eq(st.count, 99);
}
END_TEST

/* --- time ------------------------------------------------------------------ */

START_TEST(test_time)
{
	struct json_object *reply = parse_file("time.json");
	struct kasa_time t = {0};

	ck_assert_int_eq(kasa_time_parse(reply, &t, NULL), 0);
	ck_assert_int_eq(t.year, 2026);
	ck_assert_int_eq(t.month, 11);
	ck_assert_int_eq(t.mday, 24);
	ck_assert_int_eq(t.hour, 9);
	ck_assert_int_eq(t.min, 5);
	ck_assert_int_eq(t.sec, 59);
	json_object_put(reply);

	t.year = 1;
	reply = parse_text("{\"time\":{\"get_time\":{\"year\":2026,\"month\":11,\"mday\":24,"
			   "\"hour\":9,\"min\":5}}}");
	ck_assert_int_eq(kasa_time_parse(reply, &t, NULL), -EBADMSG);
	json_object_put(reply);
	reply = parse_text("{\"time\":{\"get_time\":{\"year\":2026,\"month\":13,\"mday\":24,"
			   "\"hour\":9,\"min\":5,\"sec\":0}}}");
	ck_assert_int_eq(kasa_time_parse(reply, &t, NULL), -EBADMSG);
	json_object_put(reply);
	reply = parse_text("{\"time\":{\"get_time\":{\"year\":\"2026\",\"month\":1,\"mday\":24,"
			   "\"hour\":9,\"min\":5,\"sec\":0}}}");
	ck_assert_int_eq(kasa_time_parse(reply, &t, NULL), -EBADMSG);
	json_object_put(reply);
	ck_assert_int_eq(t.year, 1);
}
END_TEST

/* --- rules and the time zone ----------------------------------------------- */

START_TEST(test_rules_countdown)
{
	struct json_object *reply = parse_text(
		"{\"count_down\":{\"get_rules\":{\"rule_list\":[{\"id\":\"7C90\",\"name\":\"off\","
		"\"enable\":1,\"delay\":1800,\"act\":0,\"remain\":1795}],\"err_code\":0}}}");
	struct kasa_rules rs = {0};

	ck_assert_int_eq(kasa_rules_parse(reply, "count_down", &rs, NULL), 0);
	ck_assert_uint_eq(rs.count, 1);
	ck_assert_str_eq(rs.rule[0].id, "7C90");
	ck_assert(rs.rule[0].enabled);
	ck_assert(!rs.rule[0].on);
	ck_assert_int_eq(rs.rule[0].delay_s, 1800);
	ck_assert_int_eq(rs.rule[0].remain_s, 1795);
	ck_assert_int_eq(kasa_rules_parse(reply, "emeter", &rs, NULL), -EINVAL);
	json_object_put(reply);

	reply = parse_text("{\"count_down\":{\"get_rules\":{\"rule_list\":[],\"err_code\":0}}}");
	ck_assert_int_eq(kasa_rules_parse(reply, "count_down", &rs, NULL), 0);
	ck_assert_uint_eq(rs.count, 0);
	json_object_put(reply);

	/* No remain: not known. */
	reply = parse_text("{\"count_down\":{\"get_rules\":{\"rule_list\":[{\"id\":\"A\","
			   "\"enable\":0,\"delay\":60,\"act\":1}]}}}");
	ck_assert_int_eq(kasa_rules_parse(reply, "count_down", &rs, NULL), 0);
	ck_assert_int_eq(rs.rule[0].remain_s, -1);
	ck_assert(rs.rule[0].on);
	json_object_put(reply);
}
END_TEST

START_TEST(test_rules_refused)
{
	static const char *const bad[] = {
		"{\"count_down\":{\"get_rules\":{\"rule_list\":[{\"enable\":1,\"delay\":1,"
		"\"act\":0}]}}}",
		"{\"count_down\":{\"get_rules\":{\"rule_list\":[{\"id\":\"A\",\"enable\":2,"
		"\"delay\":1,\"act\":0}]}}}",
		"{\"count_down\":{\"get_rules\":{\"rule_list\":[{\"id\":\"A\",\"enable\":1,"
		"\"delay\":-1,\"act\":0}]}}}",
		"{\"count_down\":{\"get_rules\":{\"rule_list\":[{\"id\":\"\",\"enable\":1,"
		"\"delay\":1,\"act\":0}]}}}",
		"{\"count_down\":{\"get_rules\":{\"rule_list\":[7]}}}",
		"{\"count_down\":{\"get_rules\":{}}}",
	};
	struct kasa_device_error err;
	struct kasa_rules rs = {.count = 99};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *reply = parse_text(bad[i]);

		ck_assert_int_eq(kasa_rules_parse(reply, "count_down", &rs, &err), -EBADMSG);
		ck_assert_str_ne(err.msg, "");
		json_object_put(reply);
	}
	ck_assert_uint_eq(rs.count, 99);
}
END_TEST

START_TEST(test_rules_schedule)
{
	struct json_object *reply = parse_text(
		"{\"schedule\":{\"get_rules\":{\"rule_list\":[{\"id\":\"S1\",\"name\":\"lights on\","
		"\"enable\":1,\"wday\":[1,0,0,0,0,0,1],\"stime_opt\":0,\"smin\":1029,\"sact\":1,"
		"\"etime_opt\":-1,\"emin\":0,\"eact\":-1,\"repeat\":1},{\"id\":\"S2\","
		"\"name\":\"dusk\",\"enable\":0,\"wday\":[1,1,1,1,1,1,1],\"stime_opt\":2,"
		"\"smin\":1100,\"soffset\":-15,\"sact\":0,\"repeat\":0}],\"version\":2,"
		"\"enable\":1,\"err_code\":0}}}");
	struct kasa_rules rs = {0};
	struct kasa_device_error err;

	ck_assert_int_eq(kasa_rules_parse(reply, "schedule", &rs, NULL), 0);
	ck_assert_uint_eq(rs.count, 2);
	ck_assert_str_eq(rs.rule[0].name, "lights on");
	ck_assert_uint_eq(rs.rule[0].wday, 0x41);
	ck_assert_int_eq(rs.rule[0].at, KASA_RULE_AT_TIME);
	ck_assert_int_eq(rs.rule[0].min, 1029);
	ck_assert(rs.rule[0].on && rs.rule[0].enabled && rs.rule[0].repeat);
	ck_assert_int_eq(rs.rule[1].at, KASA_RULE_AT_SUNSET);
	ck_assert_int_eq(rs.rule[1].offset_min, -15);
	ck_assert(!rs.rule[1].on && !rs.rule[1].enabled && !rs.rule[1].repeat);
	json_object_put(reply);

	reply = parse_text("{\"schedule\":{\"get_rules\":{\"rule_list\":[{\"id\":\"S\","
			   "\"enable\":1,\"wday\":[1,0,0,0,0,0],\"stime_opt\":0,\"smin\":1,"
			   "\"sact\":1}]}}}");
	ck_assert_int_eq(kasa_rules_parse(reply, "schedule", &rs, &err), -EBADMSG);
	json_object_put(reply);
	reply = parse_text("{\"schedule\":{\"get_rules\":{\"rule_list\":[{\"id\":\"S\","
			   "\"enable\":1,\"wday\":[1,0,0,0,0,0,0],\"stime_opt\":0,\"smin\":1440,"
			   "\"sact\":1}]}}}");
	ck_assert_int_eq(kasa_rules_parse(reply, "schedule", &rs, &err), -EBADMSG);
	json_object_put(reply);
	reply = parse_text("{\"schedule\":{\"err_code\":-1,\"err_msg\":\"module not support\"}}");
	ck_assert_int_eq(kasa_rules_parse(reply, "schedule", &rs, &err), -ENOTSUP);
	json_object_put(reply);
}
END_TEST

START_TEST(test_timezone)
{
	struct json_object *reply = parse_text(
		"{\"time\":{\"get_time\":{\"year\":2026,\"month\":1,\"mday\":2,\"hour\":3,"
		"\"min\":4,\"sec\":5,\"err_code\":0},\"get_timezone\":{\"index\":39,\"err_code\":0}}}");
	int index = -1;

	ck_assert_int_eq(kasa_timezone_parse(reply, &index, NULL), 0);
	ck_assert_int_eq(index, 39);
	json_object_put(reply);
	reply = parse_text("{\"time\":{\"get_timezone\":{\"index\":110,\"err_code\":0}}}");
	ck_assert_int_eq(kasa_timezone_parse(reply, &index, NULL), -EBADMSG);
	json_object_put(reply);
	ck_assert_int_eq(index, 39);
}
END_TEST

/* --- what a hostile plug sends ----------------------------------------------- */

/* Whether s is well-formed UTF-8 throughout (RFC 3629), checked here on
 * its own rather than with the library's function. */
static bool well_formed(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		unsigned n, cp;

		if (u[0] < 0x80) {
			u++;
			continue;
		}
		if ((u[0] & 0xe0) == 0xc0)
			n = 1, cp = u[0] & 0x1f;
		else if ((u[0] & 0xf0) == 0xe0)
			n = 2, cp = u[0] & 0x0f;
		else if ((u[0] & 0xf8) == 0xf0)
			n = 3, cp = u[0] & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((u[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		u += n + 1;
	}
	return true;
}

#define FFFD "\xef\xbf\xbd"

START_TEST(test_sysinfo_invalid_utf8)
{
	/* As JSON text: the bytes go into the reply raw, as a plug sends them. */
	static const char text[] =
		"{\"system\":{\"get_sysinfo\":{\"deviceId\":\"80\xff-06\",\"alias\":\"\xff\xfe "
		"lamp\","
		"\"model\":\"HS110\xe2\x82\",\"sw_ver\":\"1.0\xc0\xaf\",\"hw_ver\":\"\xe0\x80\xaf"
		"4.0\",\"dev_name\":\"Plug \xed\xa0\x80!\",\"mac\":\"50:C7\xf4\x90\x80\x80\","
		"\"hwId\":\"\xf5\x80\x80\x80\",\"oemId\":\"\x80\xbf\",\"mic_type\":\"IOT\xc2\","
		"\"feature\":\"TIM:ENE\xfe\",\"active_mode\":\"\xf8\x88\x80\x80\x80\","
		"\"children\":[{\"id\":\"80\xff-0600\",\"alias\":\"caf\xc3\xa9 \xf0\x9f\x92\xa1"
		"\xf0\x9f\x92\",\"state\":1,\"next_action\":{\"type\":1,\"x\":\"\xc1\xbf\"}}],"
		"\"err_code\":0}}}";
	struct kasa_sysinfo si;
	const char *texts[] = {si.alias,
			       si.model,
			       si.dev_name,
			       si.device_id,
			       si.hw_id,
			       si.oem_id,
			       si.mac,
			       si.hw_ver,
			       si.sw_ver,
			       si.type,
			       si.feature,
			       si.active_mode,
			       si.outlets[0].alias,
			       si.outlets[0].next_action};

	ck_assert(!well_formed(text));
	ck_assert_int_eq(sysinfo_text(text, &si), 0);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		ck_assert_msg(well_formed(texts[i]), "field %zu: %s", i, texts[i]);

	/* Each ill-formed byte becomes one U+FFFD: 0xFF and 0xFE ... */
	ck_assert_str_eq(si.alias, FFFD FFFD " lamp");
	/* ... a sequence cut short by the end of the string ... */
	ck_assert_str_eq(si.model, "HS110" FFFD FFFD);
	/* ... overlong forms of '/' (two and three bytes) ... */
	ck_assert_str_eq(si.sw_ver, "1.0" FFFD FFFD);
	ck_assert_str_eq(si.hw_ver, FFFD FFFD FFFD "4.0");
	/* ... a UTF-16 surrogate (U+D800) ... */
	ck_assert_str_eq(si.dev_name, "Plug " FFFD FFFD FFFD "!");
	/* ... code points past U+10FFFF, and lead bytes that cannot start one ... */
	ck_assert_str_eq(si.mac, "50:C7" FFFD FFFD FFFD FFFD);
	ck_assert_str_eq(si.hw_id, FFFD FFFD FFFD FFFD);
	ck_assert_str_eq(si.active_mode, FFFD FFFD FFFD FFFD FFFD);
	/* ... stray continuation bytes, and a lead byte cut short by a quote. */
	ck_assert_str_eq(si.oem_id, FFFD FFFD);
	ck_assert_str_eq(si.type, "IOT" FFFD);
	ck_assert_str_eq(si.device_id, "80" FFFD "-06");
	/* The feature list still says ENE only where it does. */
	ck_assert_str_eq(si.feature, "TIM:ENE" FFFD);
	ck_assert(!si.has_emeter);
	/* Well-formed text stays as it is, up to a 4-byte character cut short. */
	ck_assert_str_eq(si.outlets[0].alias, "caf\xc3\xa9 \xf0\x9f\x92\xa1" FFFD FFFD FFFD);
	ck_assert_str_eq(si.outlets[0].next_action, "{\"type\":1,\"x\":\"" FFFD FFFD "\"}");
	/* The outlet id addresses the outlet: it goes back to the plug as it came. */
	ck_assert_str_eq(si.outlets[0].id, "80\xff-0600");
}
END_TEST

START_TEST(test_sysinfo_invalid_utf8_cut)
{
	char text[512], alias[64];
	struct kasa_sysinfo si;

	/* 61 bytes, then an ill-formed one: its U+FFFD (3 bytes) does not fit
	 * the 63 left, and is left out whole. */
	memset(alias, 'a', 61);
	alias[61] = '\xff';
	alias[62] = '\0';
	snprintf(text, sizeof(text),
		 "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\",\"alias\":\"%s\"}}}", alias);
	ck_assert_int_eq(sysinfo_text(text, &si), 0);
	ck_assert_uint_eq(strlen(si.alias), 61);
	ck_assert(well_formed(si.alias));
	/* 60 bytes: it does. */
	alias[60] = '\xff';
	alias[61] = '\0';
	snprintf(text, sizeof(text),
		 "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\",\"alias\":\"%s\"}}}", alias);
	ck_assert_int_eq(sysinfo_text(text, &si), 0);
	ck_assert_uint_eq(strlen(si.alias), 63);
	ck_assert_str_eq(si.alias + 60, FFFD);

	/* The device's own err_msg goes into error messages: made well-formed too. */
	{
		struct json_object *reply = parse_text("{\"system\":{\"get_sysinfo\":{\"err_code\":"
						       "-3,\"err_msg\":\"bad \xff\"}}}");
		struct kasa_device_error err;

		ck_assert_int_eq(kasa_sysinfo_parse(reply, &si, &err), -EINVAL);
		ck_assert_str_eq(err.msg, "bad " FFFD);
		json_object_put(reply);
	}
}
END_TEST

/* on_time read from {"on_time":value} in a single plug's and an outlet's sysinfo. */
static void on_time_is(const char *value, int64_t want)
{
	char text[512];
	struct kasa_sysinfo si;

	snprintf(text, sizeof(text),
		 "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\",\"relay_state\":1%s%s}}}",
		 value ? ",\"on_time\":" : "", value ? value : "");
	ck_assert_int_eq(sysinfo_text(text, &si), 0);
	ck_assert_msg(si.on_time == want, "on_time %s: %lld", value, (long long)si.on_time);
	snprintf(text, sizeof(text),
		 "{\"system\":{\"get_sysinfo\":{\"deviceId\":\"AB\",\"children\":[{\"id\":\"AB00\","
		 "\"state\":1%s%s}]}}}",
		 value ? ",\"on_time\":" : "", value ? value : "");
	ck_assert_int_eq(sysinfo_text(text, &si), 0);
	ck_assert_msg(si.outlets[0].on_time == want, "outlet on_time %s: %lld", value,
		      (long long)si.outlets[0].on_time);
}

START_TEST(test_sysinfo_on_time)
{
	on_time_is("0", 0);
	on_time_is("86400", 86400);
	on_time_is("4294967295", 4294967295);
	/* Not known: absent, negative, beyond any plug's life, or not a number. */
	on_time_is(NULL, -1);
	on_time_is("-1", -1);
	on_time_is("-9223372036854775808", -1);
	on_time_is("4294967296", -1);
	on_time_is("18446744073709551615", -1);
	on_time_is("\"12\"", -1);
}
END_TEST

/* kasa_emeter_parse() on {"emeter":{"get_realtime":{result_text}}}: -EBADMSG
 * and the message when want_msg is not NULL, else 0. */
static void meter_is(const char *fields, const char *want_msg)
{
	char text[512];
	struct kasa_emeter em = {.slot_id = 42};
	struct kasa_device_error err;
	struct json_object *reply;

	snprintf(text, sizeof(text), "{\"emeter\":{\"get_realtime\":{%s,\"err_code\":0}}}", fields);
	reply = parse_text(text);
	memset(&err, 0x55, sizeof(err));
	if (want_msg) {
		ck_assert_int_eq(kasa_emeter_parse(reply, &em, &err), -EBADMSG);
		ck_assert_int_eq(em.slot_id, 42);
		ck_assert_int_eq(err.code, 0);
		ck_assert_str_eq(err.msg, want_msg);
	} else {
		ck_assert_int_eq(kasa_emeter_parse(reply, &em, &err), 0);
	}
	json_object_put(reply);
}

START_TEST(test_emeter_implausible)
{
	/* The bounds themselves are readings. */
	meter_is("\"power\":1e6,\"voltage\":-1e4,\"current\":1e5,\"total\":1e9", NULL);
	meter_is("\"power_mw\":1e9,\"voltage_mv\":1e7,\"current_ma\":-1e8,\"total_wh\":1e12", NULL);

	meter_is("\"power\":1e300,\"voltage\":230", "power 1e+300 is out of range");
	meter_is("\"power\":1000000.1", "power 1e+06 is out of range");
	meter_is("\"voltage\":10001", "voltage 10001 is out of range");
	meter_is("\"current\":-1e6", "current -1e+06 is out of range");
	meter_is("\"total\":2e9", "total 2e+09 is out of range");
	meter_is("\"power_mw\":18446744073709551615", "power_mw 9.22337e+18 is out of range");
	meter_is("\"power_mw\":1,\"total_wh\":-9223372036854775808",
		 "total_wh -9.22337e+18 is out of range");
	meter_is("\"voltage_mv\":1e999", "voltage_mv inf is out of range");
	meter_is("\"current_ma\":NaN", "current_ma nan is out of range");
	meter_is("\"power\":-Infinity", "power -inf is out of range");
	meter_is("\"power_mw\":\"12\"", "power_mw is not a number");
	meter_is("\"power_mw\":null,\"power\":1", "power_mw is not a number");
	meter_is("\"slot_id\":0", "no reading in get_realtime");
}
END_TEST

static int stats_err_text(const char *text, bool daily, int year, int month, struct kasa_stats *st,
			  struct kasa_device_error *err)
{
	struct json_object *reply = parse_text(text);
	int r = daily ? kasa_daystat_parse(reply, year, month, st, err)
		      : kasa_monthstat_parse(reply, year, st, err);

	json_object_put(reply);
	return r;
}

START_TEST(test_stats_other_period)
{
	struct kasa_stats st;
	struct kasa_device_error err;

	/* January 2025 asked: other months and years, day 0, 99, 30 February go. */
	ck_assert_int_eq(stats_err_text("{\"emeter\":{\"get_daystat\":{\"day_list\":["
					"{\"year\":2025,\"month\":1,\"day\":1,\"energy_wh\":10},"
					"{\"year\":2025,\"month\":2,\"day\":2,\"energy_wh\":20},"
					"{\"year\":2024,\"month\":1,\"day\":3,\"energy_wh\":30},"
					"{\"year\":2025,\"month\":1,\"day\":0,\"energy_wh\":40},"
					"{\"year\":2025,\"month\":1,\"day\":99,\"energy_wh\":50},"
					"{\"year\":2025,\"month\":1,\"day\":-1,\"energy_wh\":60},"
					"{\"year\":2025,\"month\":1,\"day\":31,\"energy_wh\":70}],"
					"\"err_code\":0}}}",
					true, 2025, 1, &st, &err),
			 0);
	ck_assert_uint_eq(st.count, 2);
	ck_assert_int_eq(st.entries[0].day, 1);
	ck_assert_int_eq(st.entries[0].energy_wh, 10);
	ck_assert_int_eq(st.entries[1].day, 31);
	ck_assert_int_eq(st.entries[1].energy_wh, 70);

	ck_assert_int_eq(
		stats_err_text("{\"emeter\":{\"get_daystat\":{\"day_list\":["
			       "{\"year\":2025,\"month\":2,\"day\":29,\"energy_wh\":1},"
			       "{\"year\":2025,\"month\":2,\"day\":28,\"energy_wh\":2}]}}}",
			       true, 2025, 2, &st, &err),
		0);
	ck_assert_uint_eq(st.count, 1);
	ck_assert_int_eq(st.entries[0].day, 28);
	ck_assert_int_eq(
		stats_err_text("{\"emeter\":{\"get_daystat\":{\"day_list\":["
			       "{\"year\":2024,\"month\":2,\"day\":29,\"energy_wh\":1}]}}}",
			       true, 2024, 2, &st, &err),
		0);
	ck_assert_uint_eq(st.count, 1);

	/* 2025 asked: months 0 and 13, and another year's, go. */
	ck_assert_int_eq(stats_err_text("{\"emeter\":{\"get_monthstat\":{\"month_list\":["
					"{\"year\":2025,\"month\":0,\"energy_wh\":1},"
					"{\"year\":2025,\"month\":12,\"energy_wh\":2},"
					"{\"year\":2025,\"month\":13,\"energy_wh\":3},"
					"{\"year\":2026,\"month\":1,\"energy_wh\":4}]}}}",
					false, 2025, 0, &st, &err),
			 0);
	ck_assert_uint_eq(st.count, 1);
	ck_assert_int_eq(st.entries[0].month, 12);
	ck_assert_int_eq(st.entries[0].energy_wh, 2);

	/* Energy out of range, in an entry that counts, refuses the reply. */
	ck_assert_int_eq(stats_err_text("{\"emeter\":{\"get_monthstat\":{\"month_list\":["
					"{\"year\":2025,\"month\":3,\"energy\":1e300}]}}}",
					false, 2025, 0, &st, &err),
			 -EBADMSG);
	ck_assert_str_eq(err.msg, "energy 1e+300 is out of range");
	ck_assert_int_eq(stats_err_text("{\"emeter\":{\"get_daystat\":{\"day_list\":["
					"{\"year\":2025,\"month\":3,\"day\":3,"
					"\"energy_wh\":18446744073709551615}]}}}",
					true, 2025, 3, &st, &err),
			 -EBADMSG);
	ck_assert_str_eq(err.msg, "energy_wh 9.22337e+18 is out of range");
	/* A month the caller cannot mean. */
	ck_assert_int_eq(stats_err_text("{\"emeter\":{\"get_daystat\":{\"day_list\":[]}}}", true,
					2025, 13, &st, &err),
			 -EINVAL);
}
END_TEST

static Suite *reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_depth);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_device_errno);
	tcase_add_loop_test(tc, test_error_forms, 0, sizeof(errors) / sizeof(errors[0]));
	tcase_add_test(tc, test_error_forms_through_parsers);
	tcase_add_test(tc, test_result_ok);
	tcase_add_test(tc, test_result_malformed);
	tcase_add_test(tc, test_error_message_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("sysinfo");
	tcase_add_test(tc, test_sysinfo_hs100_old);
	tcase_add_test(tc, test_sysinfo_hs110_v4);
	tcase_add_test(tc, test_sysinfo_hs300);
	tcase_add_test(tc, test_sysinfo_nested);
	tcase_add_test(tc, test_sysinfo_kp115);
	tcase_add_test(tc, test_sysinfo_hs220);
	tcase_add_test(tc, test_sysinfo_brightness_implausible);
	tcase_add_test(tc, test_sysinfo_wrong_types);
	tcase_add_test(tc, test_sysinfo_refused);
	tcase_add_test(tc, test_sysinfo_long_strings);
	tcase_add_test(tc, test_sysinfo_too_many_children);
	tcase_add_test(tc, test_sysinfo_invalid_utf8);
	tcase_add_test(tc, test_sysinfo_invalid_utf8_cut);
	tcase_add_test(tc, test_sysinfo_on_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("emeter");
	tcase_add_test(tc, test_emeter_old);
	tcase_add_test(tc, test_emeter_new);
	tcase_add_test(tc, test_emeter_hs300);
	tcase_add_test(tc, test_emeter_edge);
	tcase_add_test(tc, test_daystat);
	tcase_add_test(tc, test_monthstat);
	tcase_add_test(tc, test_stats_edge);
	tcase_add_test(tc, test_emeter_implausible);
	tcase_add_test(tc, test_stats_other_period);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_rules_countdown);
	tcase_add_test(tc, test_rules_refused);
	tcase_add_test(tc, test_rules_schedule);
	tcase_add_test(tc, test_timezone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(reply_suite());
}
