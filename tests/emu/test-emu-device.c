/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu's device model, driven as a black box (emu-util.h): the sysinfo
 * of every model, switching and the state it keeps, the errors of the
 * request dispatcher and the rule tables, the contexts of a power strip,
 * and a dimmer's brightness.
 */
#include "emu-util.h"

/* --- Sysinfo of every model ---------------------------------------------- */

static bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789ABCDEF", s[i]))
			return false;
	return true;
}

START_TEST(test_sysinfo_models)
{
	static const struct {
		const char *name, *model, *hw;
		bool meter, mic, lat_i, strip;
	} want[] = {
		{"hs100", "HS100(US)", "1.0", false, false, false, false},
		{"hs105", "HS105(US)", "1.0", false, false, true, false},
		{"hs110v1", "HS110(EU)", "1.0", true, false, false, false},
		{"hs110v4", "HS110(EU)", "4.0", true, false, true, false},
		{"kp115", "KP115(US)", "1.0", true, true, true, false},
		{"hs200", "HS200(US)", "1.0", false, false, false, false},
		{"hs300", "HS300(US)", "2.0", true, true, true, true},
		{"hs220", "HS220(US)", "1.0", false, true, true, false},
	};
	struct emu e;
	char macs[8][24];

	emu_start(&e, "hs100", "hs105", "hs110v1", "hs110v4", "kp115", "hs200", "hs300", "hs220",
		  NULL);
	ck_assert_uint_eq(e.n, 8);
	for (unsigned i = 0; i < 8; i++) {
		struct json_object *r = call(e.dev[i].port, "{\"system\":{\"get_sysinfo\":{}}}");
		struct json_object *si = jget(r, "system.get_sysinfo");
		int rssi;

		ck_assert_str_eq(e.dev[i].model, want[i].name);
		ck_assert_ptr_nonnull(si);
		ck_assert_int_eq(jint(si, "err_code"), 0);
		ck_assert_str_eq(jstr(si, "model"), want[i].model);
		ck_assert_str_eq(jstr(si, "hw_ver"), want[i].hw);
		ck_assert(strstr(jstr(si, "sw_ver"), " Build ") != NULL);
		ck_assert_str_eq(jstr(si, "deviceId"), e.dev[i].id);
		ck_assert(is_hex(e.dev[i].id, 40));
		ck_assert(is_hex(jstr(si, "hwId"), 32));
		ck_assert(is_hex(jstr(si, "oemId"), 32));
		ck_assert_str_eq(jstr(si, "feature"), want[i].meter ? "TIM:ENE" : "TIM");
		ck_assert_str_eq(jstr(si, want[i].mic ? "mic_type" : "type"),
				 "IOT.SMARTPLUGSWITCH");
		ck_assert_ptr_null(jget(si, want[i].mic ? "type" : "mic_type"));
		ck_assert_ptr_nonnull(jget(si, want[i].lat_i ? "latitude_i" : "latitude"));
		ck_assert_ptr_null(jget(si, want[i].lat_i ? "latitude" : "latitude_i"));
		rssi = (int)jint(si, "rssi");
		ck_assert(rssi < -40 && rssi > -80);
		ck_assert_int_eq(jint(si, "led_off"), 0);
		ck_assert_int_eq(jint(si, "updating"), 0);
		ck_assert(strlen(jstr(si, "alias")) > 0);
		snprintf(macs[i], sizeof(macs[i]), "%s", jstr(si, "mac"));
		ck_assert_uint_eq(strlen(macs[i]), 17);
		for (unsigned j = 0; j < i; j++)
			ck_assert_str_ne(macs[i], macs[j]);
		if (want[i].strip) {
			struct json_object *children = jget(si, "children");

			ck_assert_ptr_null(jget(si, "relay_state"));
			ck_assert_int_eq(jint(si, "child_num"), 6);
			ck_assert_uint_eq(json_object_array_length(children), 6);
			for (unsigned k = 0; k < 6; k++) {
				struct json_object *ch = json_object_array_get_idx(children, k);
				char id[64];

				snprintf(id, sizeof(id), "%s%02u", e.dev[i].id, k);
				ck_assert_str_eq(jstr(ch, "id"), id);
				ck_assert_int_eq(jint(ch, "state"), 0);
				ck_assert_int_eq(jint(ch, "on_time"), 0);
				ck_assert(strlen(jstr(ch, "alias")) > 0);
			}
		} else {
			ck_assert_int_eq(jint(si, "relay_state"), 0);
			ck_assert_int_eq(jint(si, "on_time"), 0);
			ck_assert_ptr_null(jget(si, "children"));
		}
		/* A dimmer says its level, 100 unless told; plugs say none. */
		if (!strcmp(want[i].name, "hs220")) {
			ck_assert_int_eq(jint(si, "brightness"), 100);
			ck_assert_str_eq(jstr(si, "dev_name"), "Smart Wi-Fi Dimmer");
		} else {
			ck_assert_ptr_null(jget(si, "brightness"));
		}
		if (!strcmp(want[i].name, "kp115")) {
			ck_assert_ptr_nonnull(jget(si, "obd_src"));
			ck_assert_ptr_nonnull(jget(si, "ntc_state"));
			ck_assert_ptr_nonnull(jget(si, "next_action"));
		}
		json_object_put(r);
	}
	emu_stop(&e, NULL);
}
END_TEST

/* --- Switching, state, errors -------------------------------------------- */

START_TEST(test_switch_and_state)
{
	struct emu e;
	struct json_object *r;
	uint16_t port;

	emu_start(&e, "hs100,alias=Desk", NULL);
	port = e.dev[0].port;

	r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_str_eq(jstr(r, "system.get_sysinfo.alias"), "Desk");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 0);
	json_object_put(r);

	r = call(port, "{\"system\":{\"set_relay_state\":{\"state\":1}}}");
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), 0);
	ck_assert_ptr_null(jget(r, "system.set_relay_state.err_msg"));
	json_object_put(r);
	r = call(port, "{\"system\":{\"set_led_off\":{\"off\":1},"
		       "\"set_dev_alias\":{\"alias\":\"Lamp\"}}}");
	ck_assert_int_eq(jint(r, "system.set_led_off.err_code"), 0);
	ck_assert_int_eq(jint(r, "system.set_dev_alias.err_code"), 0);
	json_object_put(r);

	/* State kept across connections. */
	r = call(port, "{\"system\":{\"get_sysinfo\":null}}");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 1);
	ck_assert_int_ge(jint(r, "system.get_sysinfo.on_time"), 0);
	ck_assert_int_eq(jint(r, "system.get_sysinfo.led_off"), 1);
	ck_assert_str_eq(jstr(r, "system.get_sysinfo.alias"), "Lamp");
	json_object_put(r);

	r = call(port, "{\"system\":{\"set_relay_state\":{\"state\":0}}}");
	json_object_put(r);
	r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 0);
	ck_assert_int_eq(jint(r, "system.get_sysinfo.on_time"), 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_errors)
{
	struct emu e;
	struct json_object *r;

	emu_start(&e, "hs100", "hs105", "hs200", NULL);
	/* Devices without ENE refuse emeter at the module level. */
	for (unsigned i = 0; i < 3; i++) {
		r = call(e.dev[i].port, "{\"emeter\":{\"get_realtime\":{}}}");
		ck_assert_int_eq(jint(r, "emeter.err_code"), -1);
		ck_assert_str_eq(jstr(r, "emeter.err_msg"), "module not support");
		ck_assert_ptr_null(jget(r, "emeter.get_realtime"));
		json_object_put(r);
	}
	r = call(e.dev[0].port, "{\"system\":{\"nope\":{},\"get_sysinfo\":{}},\"bogus\":{\"x\":{}},"
				"\"time\":{\"get_time\":{}}}");
	ck_assert_int_eq(jint(r, "system.nope.err_code"), -2);
	ck_assert_str_eq(jstr(r, "system.nope.err_msg"), "member not support");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.err_code"), 0);
	ck_assert_int_eq(jint(r, "bogus.err_code"), -1);
	ck_assert_int_ge(jint(r, "time.get_time.year"), 2020);
	json_object_put(r);

	static const char *const bad[] = {
		"{\"system\":{\"set_relay_state\":{}}}",
		"{\"system\":{\"set_relay_state\":{\"state\":\"on\"}}}",
		"{\"system\":{\"set_relay_state\":null}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call(e.dev[0].port, bad[i]);
		ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), -3);
		ck_assert_str_eq(jstr(r, "system.set_relay_state.err_msg"), "invalid argument");
		json_object_put(r);
	}
	r = call(e.dev[0].port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 0);
	json_object_put(r);

	/* Rule tables: count_down holds one rule, unknown ids are -14. */
	r = call(e.dev[0].port, "{\"count_down\":{\"get_rules\":{},"
				"\"delete_rule\":{\"id\":\"ABC\"}}}");
	ck_assert_uint_eq(json_object_array_length(jget(r, "count_down.get_rules.rule_list")), 0);
	ck_assert_int_eq(jint(r, "count_down.delete_rule.err_code"), -14);
	json_object_put(r);
	r = call(e.dev[0].port, "{\"count_down\":{\"add_rule\":{\"enable\":1,\"delay\":60,"
				"\"act\":1,\"name\":\"t\"}}}");
	ck_assert_int_eq(jint(r, "count_down.add_rule.err_code"), 0);
	ck_assert(is_hex(jstr(r, "count_down.add_rule.id"), 32));
	json_object_put(r);
	r = call(e.dev[0].port, "{\"count_down\":{\"add_rule\":{\"enable\":1,\"delay\":60,"
				"\"act\":1,\"name\":\"t\"}}}");
	ck_assert_int_eq(jint(r, "count_down.add_rule.err_code"), -10);
	json_object_put(r);
	r = call(e.dev[0].port, "{\"count_down\":{\"delete_all_rules\":{},\"get_rules\":{}}}");
	ck_assert_int_eq(jint(r, "count_down.delete_all_rules.err_code"), 0);
	ck_assert_uint_eq(json_object_array_length(jget(r, "count_down.get_rules.rule_list")), 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

/* --- A dimmer ------------------------------------------------------------- */

/* reply["smartlife.iot.dimmer"][method] (the module's name has dots). */
static struct json_object *dimmer_result(struct json_object *reply, const char *method)
{
	struct json_object *mod, *res;

	ck_assert(json_object_object_get_ex(reply, KASA_DIMMER_MODULE, &mod));
	if (!method)
		return mod;
	ck_assert(json_object_object_get_ex(mod, method, &res));
	return res;
}

static void set_level(uint16_t port, const char *value, int want_err)
{
	char req[128];
	struct json_object *r;

	snprintf(req, sizeof(req),
		 "{\"smartlife.iot.dimmer\":{\"set_brightness\":{\"brightness\":%s}}}", value);
	r = call(port, req);
	ck_assert_int_eq(jint(dimmer_result(r, "set_brightness"), "err_code"), want_err);
	json_object_put(r);
}

static void expect_level(uint16_t port, int level, int relay)
{
	struct json_object *r = call(port, sysinfo_req);

	ck_assert_int_eq(jint(r, "system.get_sysinfo.brightness"), level);
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), relay);
	json_object_put(r);
}

START_TEST(test_dimmer)
{
	static const char *const refused[] = {"0", "101", "-5", "\"50\"", "50.5", "null"};
	struct emu e;
	struct json_object *r, *presets;
	uint16_t port;

	emu_start(&e, "hs220,brightness=40", "hs100", "hs220,hostile=brightness", NULL);
	port = e.dev[0].port;
	expect_level(port, 40, 0);
	/* The presets' levels are not the light's. */
	r = call(port, sysinfo_req);
	presets = jget(r, "system.get_sysinfo.preferred_state");
	ck_assert_uint_eq(json_object_array_length(presets), 4);
	ck_assert_int_eq(jint(json_object_array_get_idx(presets, 0), "brightness"), 100);
	json_object_put(r);

	/* The level changes, the relay does not: off, the light keeps its level. */
	set_level(port, "75", 0);
	expect_level(port, 75, 0);
	set_level(port, "1", 0);
	set_level(port, "100", 0);
	expect_level(port, 100, 0);
	r = call(port, "{\"system\":{\"set_relay_state\":{\"state\":1}}}");
	json_object_put(r);
	set_level(port, "30", 0);
	expect_level(port, 30, 1);

	/* What firmware refuses, and the level stays. */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		set_level(port, refused[i], -3);
	r = call(port, "{\"smartlife.iot.dimmer\":{\"set_brightness\":{}}}");
	ck_assert_int_eq(jint(dimmer_result(r, "set_brightness"), "err_code"), -3);
	json_object_put(r);
	expect_level(port, 30, 1);

	r = call(port, "{\"smartlife.iot.dimmer\":{\"get_dimmer_parameters\":{},\"nope\":{}}}");
	ck_assert_int_eq(jint(dimmer_result(r, "get_dimmer_parameters"), "err_code"), 0);
	ck_assert_int_gt(jint(dimmer_result(r, "get_dimmer_parameters"), "fadeOnTime"), 0);
	ck_assert_int_eq(jint(dimmer_result(r, "nope"), "err_code"), -2);
	json_object_put(r);

	/* A plug has no dimmer: the module is refused as a whole. */
	r = call(e.dev[1].port, "{\"smartlife.iot.dimmer\":{\"set_brightness\":"
				"{\"brightness\":50}}}");
	ck_assert_int_eq(jint(dimmer_result(r, NULL), "err_code"), -1);
	ck_assert_str_eq(jstr(dimmer_result(r, NULL), "err_msg"), "module not support");
	json_object_put(r);

	/* hostile=brightness: a level no dimmer has, in sysinfo. */
	expect_level(e.dev[2].port, 250, 0);
	emu_stop(&e, NULL);
}
END_TEST

/* --- Power strip contexts ------------------------------------------------ */

static void strip_states(uint16_t port, int ret[6])
{
	struct json_object *r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	struct json_object *children = jget(r, "system.get_sysinfo.children");

	for (unsigned k = 0; k < 6; k++)
		ret[k] = (int)jint(json_object_array_get_idx(children, k), "state");
	json_object_put(r);
}

START_TEST(test_strip_contexts)
{
	struct emu e;
	struct json_object *r;
	char req[512];
	int st[6];
	uint16_t port;
	const char *id;

	emu_start(&e, "hs300,power=50", NULL);
	port = e.dev[0].port;
	id = e.dev[0].id;

	/* One outlet by its full id. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s02\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}}}",
		 id);
	r = call(port, req);
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), 0);
	ck_assert_ptr_null(jget(r, "context"));
	json_object_put(r);
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], k == 2);

	/* A bare "01" and an unknown id: -14, and nothing runs. */
	r = call(port, "{\"context\":{\"child_ids\":[\"01\"]},"
		       "\"system\":{\"set_relay_state\":{\"state\":1}}}");
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), -14);
	ck_assert_str_eq(jstr(r, "system.set_relay_state.err_msg"), "entry not exist");
	json_object_put(r);
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s03\",\"%s09\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}}}",
		 id, id);
	r = call(port, req);
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), -14);
	json_object_put(r);
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], k == 2);

	/* Several ids. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s00\",\"%s05\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}}}",
		 id, id);
	json_object_put(call(port, req));
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], k == 0 || k == 2 || k == 5);

	/* No context: every outlet. */
	json_object_put(call(port, "{\"system\":{\"set_relay_state\":{\"state\":0}}}"));
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], 0);

	/* Alias of one outlet; the strip's own alias stays. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s04\"]},"
		 "\"system\":{\"set_dev_alias\":{\"alias\":\"Kettle\"}}}",
		 id);
	json_object_put(call(port, req));
	r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_str_eq(
		jstr(json_object_array_get_idx(jget(r, "system.get_sysinfo.children"), 4), "alias"),
		"Kettle");
	ck_assert_str_ne(jstr(r, "system.get_sysinfo.alias"), "Kettle");
	json_object_put(r);

	/* Emeter per outlet, with slot_id; without context one outlet's reading. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s03\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}},"
		 "\"emeter\":{\"get_realtime\":{}}}",
		 id);
	r = call(port, req);
	ck_assert_int_eq(jint(r, "emeter.get_realtime.slot_id"), 3);
	ck_assert_int_gt(jint(r, "emeter.get_realtime.power_mw"), 45000);
	ck_assert(jint(r, "emeter.get_realtime.voltage_mv") > 110000);
	json_object_put(r);
	r = call(port, "{\"emeter\":{\"get_realtime\":{}}}");
	ck_assert_int_eq(jint(r, "emeter.get_realtime.slot_id"), 0);
	ck_assert_int_eq(jint(r, "emeter.get_realtime.power_mw"), 0);
	json_object_put(r);

	/* A single-outlet device ignores a context. */
	emu_stop(&e, NULL);
	emu_start(&e, "hs110v4", NULL);
	r = call(e.dev[0].port, "{\"context\":{\"child_ids\":[\"01\"]},"
				"\"system\":{\"set_relay_state\":{\"state\":1}}}");
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

/* mac=: the device's MAC as given, in sysinfo, SMART's device info and the
 * discovery answer alike; and its deviceId follows it, wherever it listens. */
START_TEST(test_mac_key)
{
	struct emu a, b;
	struct json_object *r;
	char id[48];

	emu_start(&a, "hs100,mac=aa-bb-cc-dd-ee-0f", "hs100", NULL);
	r = call(a.dev[0].port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_str_eq(jstr(jget(r, "system.get_sysinfo"), "mac"), "AA:BB:CC:DD:EE:0F");
	json_object_put(r);
	r = call(a.dev[1].port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_str_ne(jstr(jget(r, "system.get_sysinfo"), "mac"), "AA:BB:CC:DD:EE:0F");
	json_object_put(r);
	snprintf(id, sizeof(id), "%s", a.dev[0].id);
	ck_assert_str_ne(id, a.dev[1].id);
	emu_stop(&a, NULL);

	/* Another emulator, other ports, the same MAC: the same device. */
	emu_start(&b, "hs110v1", "hs100,mac=AABBCCDDEE0F", NULL);
	ck_assert_uint_ne(b.dev[1].port, 0);
	ck_assert_str_eq(b.dev[1].id, id);
	r = call(b.dev[1].port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_str_eq(jstr(jget(r, "system.get_sysinfo"), "mac"), "AA:BB:CC:DD:EE:0F");
	json_object_put(r);
	emu_stop(&b, NULL);
}
END_TEST

static Suite *emu_device_suite(void)
{
	Suite *s = suite_create("kasa-emu device");
	TCase *tc = tcase_create("device");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sysinfo_models);
	tcase_add_test(tc, test_switch_and_state);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_strip_contexts);
	tcase_add_test(tc, test_dimmer);
	tcase_add_test(tc, test_mac_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(emu_device_suite());
}
