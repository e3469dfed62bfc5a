/* SPDX-License-Identifier: MIT */
/*
 * The SMART JSON dispatcher: the methods of a Tapo P110 or a Kasa KP125M
 * (fields as python-kasa's fixtures of these units show them), over the
 * device state request.c uses too.  nickname and ssid travel in base64; the
 * meter follows the relay as the IOT models' does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <nettle/base64.h>

#include "common/clock.h"
#include "common/macro.h"
#include "device.h"
#include "emeter.h"
#include "emu.h"
#include "loop.h"
#include "result.h"
#include "smart.h"

#define JSON_DEPTH_MAX	 16
#define REBOOT_DELAY_MAX 3600
/* The Wi-Fi the emulated plugs say they are on. */
#define SSID "kasa-emu"

/* --- Helpers ---------------------------------------------------------------- */

/* The base64 of text (a new string object). */
static struct json_object *base64_string(const char *text)
{
	size_t len = strlen(text);
	char buf[BASE64_ENCODE_RAW_LENGTH(EMU_ALIAS_MAX) + 1];

	if (len >= EMU_ALIAS_MAX)
		len = EMU_ALIAS_MAX - 1;
	base64_encode_raw(buf, len, (const uint8_t *)text);
	buf[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
	return json_object_new_string(buf);
}

/* A nickname from its base64: 1 to EMU_ALIAS_MAX - 1 bytes, no NUL. */
static bool nickname_decode(const char *b64, char ret[EMU_ALIAS_MAX])
{
	size_t len = strlen(b64), out_len = EMU_ALIAS_MAX - 1;
	uint8_t out[BASE64_DECODE_LENGTH(4 * EMU_ALIAS_MAX)];
	struct base64_decode_ctx ctx;

	if (len == 0 || len % 4 || BASE64_DECODE_LENGTH(len) > sizeof(out))
		return false;
	out_len = sizeof(out);
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &out_len, out, len, b64) || !base64_decode_final(&ctx))
		return false;
	if (out_len == 0 || out_len >= EMU_ALIAS_MAX || memchr(out, '\0', out_len))
		return false;
	memcpy(ret, out, out_len);
	ret[out_len] = '\0';
	return true;
}

static int64_t on_time(const struct emu_outlet *o, uint64_t now)
{
	return o->on && now > o->on_since ? (int64_t)((now - o->on_since) / USEC_PER_SEC) : 0;
}

/* "50:C7:BF:.." written as SMART firmware writes it: "50-C7-BF-..". */
static void mac_dashes(const char *mac, char ret[18])
{
	snprintf(ret, 18, "%s", mac);
	for (char *p = ret; *p; p++)
		if (*p == ':')
			*p = '-';
}

/* The device's address, without the port or brackets. */
static void ip_text(const struct emu_device *d, char *buf, size_t len)
{
	char name[96], *end, *start = name;

	net_name(&d->net, name, sizeof(name));
	end = strrchr(name, ':');
	if (end)
		*end = '\0';
	if (*start == '[') {
		start++;
		end = strchr(start, ']');
		if (end)
			*end = '\0';
	}
	snprintf(buf, len, "%s", start);
}

static int signal_level(int rssi)
{
	return rssi >= -50 ? 3 : rssi >= -60 ? 2 : 1;
}

/* --- Methods ---------------------------------------------------------------- */

/* One call: the device, now, and the error_code it comes to. */
struct call {
	struct emu_device *d;
	uint64_t now;
	int err;
};

static struct json_object *fail(struct call *c, int code)
{
	c->err = code;
	return NULL;
}

static struct json_object *get_device_info(struct call *c, struct json_object *params)
{
	struct emu_device *d = c->d;
	const struct emu_model *m = d->model;
	struct json_object *r = json_object_new_object(), *ds = json_object_new_object();
	char mac[18], ip[96];
	int rssi = d->rssi + (int)(emu_rand(&d->noise_rng) % 5) - 2;

	mac_dashes(d->mac, mac);
	ip_text(d, ip, sizeof(ip));
	result_add_str(r, "device_id", d->device_id);
	result_add_str(r, "fw_ver", m->sw_ver);
	result_add_str(r, "hw_ver", m->hw_ver);
	result_add_str(r, "type", m->smart_type);
	result_add_str(r, "model", m->model);
	result_add_str(r, "mac", mac);
	result_add_str(r, "hw_id", m->hw_id);
	result_add_str(r, "fw_id", "00000000000000000000000000000000");
	result_add_str(r, "oem_id", m->oem_id);
	result_add_str(r, "ip", ip);
	result_add_int(r, "time_diff", 0);
	json_object_object_add(r, "ssid", base64_string(SSID));
	result_add_int(r, "rssi", rssi);
	result_add_int(r, "signal_level", signal_level(rssi));
	result_add_str(r, "auto_off_status", "off");
	result_add_int(r, "auto_off_remain_time", 0);
	result_add_int(r, "latitude", 0);
	result_add_int(r, "longitude", 0);
	result_add_str(r, "lang", "en_US");
	result_add_str(r, "avatar", "plug");
	result_add_str(r, "region", "UTC");
	result_add_str(r, "specs", "");
	json_object_object_add(r, "nickname", base64_string(d->alias));
	result_add_bool(r, "has_set_location_info", false);
	result_add_bool(r, "device_on", d->outlet[0].on);
	if (m->dimmer)
		result_add_int(r, "brightness", d->brightness);
	result_add_int(r, "on_time", on_time(&d->outlet[0], c->now));
	result_add_str(ds, "type", "last_states");
	json_object_object_add(ds, "state", json_object_new_object());
	json_object_object_add(r, "default_states", ds);
	result_add_bool(r, "overheated", false);
	result_add_str(r, "power_protection_status", "normal");
	result_add_str(r, "overcurrent_status", "normal");
	return r;
}

/* device_on, nickname and a dimmer's brightness (1..100); other settings
 * are taken and not kept. */
static struct json_object *set_device_info(struct call *c, struct json_object *params)
{
	struct json_object *on = NULL, *nick = NULL, *level = NULL;
	char alias[EMU_ALIAS_MAX];

	if (!params)
		return fail(c, EMU_SMART_ERR_PARAMS);
	if (c->d->model->dimmer && json_object_object_get_ex(params, "brightness", &level) &&
	    (!json_object_is_type(level, json_type_int) || json_object_get_int64(level) < 1 ||
	     json_object_get_int64(level) > 100))
		return fail(c, EMU_SMART_ERR_PARAMS);
	if (json_object_object_get_ex(params, "device_on", &on) &&
	    !json_object_is_type(on, json_type_boolean))
		return fail(c, EMU_SMART_ERR_PARAMS);
	if (json_object_object_get_ex(params, "nickname", &nick) &&
	    (!json_object_is_type(nick, json_type_string) ||
	     !nickname_decode(json_object_get_string(nick), alias)))
		return fail(c, EMU_SMART_ERR_PARAMS);
	if (on && !c->d->spec.stuck)
		emeter_set_relay(&c->d->outlet[0], json_object_get_boolean(on), c->now);
	if (nick)
		memcpy(c->d->alias, alias, strlen(alias) + 1);
	if (level)
		c->d->brightness = (int)json_object_get_int64(level);
	return NULL;
}

static struct json_object *get_led_info(struct call *c, struct json_object *params)
{
	struct json_object *r = json_object_new_object(), *night = json_object_new_object();

	result_add_str(r, "led_rule", c->d->led_off ? "never" : "always");
	result_add_bool(r, "led_status", !c->d->led_off);
	result_add_str(night, "night_mode_type", "sunrise_sunset");
	result_add_int(night, "start_time", 1140);
	result_add_int(night, "end_time", 420);
	result_add_int(night, "sunrise_offset", 0);
	result_add_int(night, "sunset_offset", 0);
	json_object_object_add(r, "night_mode", night);
	return r;
}

/* led_rule "always" or "night_mode" (lit, as the night never comes here)
 * or "never"; the rest of what get_led_info said may come back too. */
static struct json_object *set_led_info(struct call *c, struct json_object *params)
{
	struct json_object *rule;
	const char *s;

	if (!params || !json_object_object_get_ex(params, "led_rule", &rule) ||
	    !json_object_is_type(rule, json_type_string))
		return fail(c, EMU_SMART_ERR_PARAMS);
	s = json_object_get_string(rule);
	if (streq(s, "never"))
		c->d->led_off = true;
	else if (streq(s, "always") || streq(s, "night_mode"))
		c->d->led_off = false;
	else
		return fail(c, EMU_SMART_ERR_PARAMS);
	return NULL;
}

/* A model without a meter knows neither of the meter's methods. */
static bool no_meter(struct call *c)
{
	if (c->d->model->meter != EMU_METER_NONE)
		return false;
	c->err = EMU_SMART_ERR_METHOD;
	return true;
}

static struct json_object *get_energy_usage(struct call *c, struct json_object *params)
{
	struct emu_outlet *o = &c->d->outlet[0];
	struct json_object *r, *charge;
	struct emu_reading rd;
	time_t t = time(NULL);
	char local[32];
	struct tm tm;

	if (no_meter(c))
		return NULL;
	r = json_object_new_object();
	charge = json_object_new_array();
	emeter_read(&o->meter, o->on, c->now, &rd);
	gmtime_r(&t, &tm);
	strftime(local, sizeof(local), "%Y-%m-%d %H:%M:%S", &tm);
	/* The minutes on, as the energy says at the outlet's load. */
	result_add_int(r, "today_runtime", llround(rd.today_wh / o->meter.load_w * 60));
	result_add_int(r, "month_runtime", llround(rd.month_wh / o->meter.load_w * 60));
	result_add_int(r, "today_energy", llround(rd.today_wh));
	result_add_int(r, "month_energy", llround(rd.month_wh));
	result_add_str(r, "local_time", local);
	for (int i = 0; i < 3; i++)
		json_object_array_add(charge, json_object_new_int(0));
	json_object_object_add(r, "electricity_charge", charge);
	result_add_int(r, "current_power", llround(rd.watts * 1000));
	return r;
}

static struct json_object *get_current_power(struct call *c, struct json_object *params)
{
	struct emu_outlet *o = &c->d->outlet[0];
	struct json_object *r;
	struct emu_reading rd;

	if (no_meter(c))
		return NULL;
	r = json_object_new_object();
	emeter_read(&o->meter, o->on, c->now, &rd);
	result_add_int(r, "current_power", llround(rd.watts));
	return r;
}

static struct json_object *get_device_time(struct call *c, struct json_object *params)
{
	struct json_object *r = json_object_new_object();

	result_add_int(r, "time_diff", 0);
	result_add_int(r, "timestamp", (int64_t)time(NULL));
	result_add_str(r, "region", "UTC");
	return r;
}

/* Answers, then drops its connections and session after delay s (default 1). */
static struct json_object *device_reboot(struct call *c, struct json_object *params)
{
	struct json_object *v;
	int64_t delay = 1;

	if (params && json_object_object_get_ex(params, "delay", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return fail(c, EMU_SMART_ERR_PARAMS);
		delay = json_object_get_int64(v);
		if (delay < 0 || delay > REBOOT_DELAY_MAX)
			return fail(c, EMU_SMART_ERR_PARAMS);
	}
	loop_timer_arm(&c->d->reboot_timer, c->now + (uint64_t)delay * USEC_PER_SEC);
	return NULL;
}

static struct json_object *component_nego(struct call *c, struct json_object *params)
{
	static const struct {
		const char *id;
		int ver;
	} list[] = {
		{"device", 2},
		{"firmware", 2},
		{"quick_setup", 3},
		{"time", 1},
		{"wireless", 1},
		{"schedule", 2},
		{"countdown", 2},
		{"antitheft", 1},
		{"account", 1},
		{"synchronize", 1},
		{"sunrise_sunset", 1},
		{"led", 1},
		{"cloud_connect", 1},
		{"iot_cloud", 1},
		{"device_local_time", 1},
		{"default_states", 1},
		{"auto_off", 2},
		{"energy_monitoring", 2},
		{"power_protection", 1},
		{"current_protection", 1},
		{"brightness", 1},
	};
	const struct emu_model *m = c->d->model;
	struct json_object *r = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
		struct json_object *e;

		/* What the model has: a meter, a dimmer. */
		if ((streq(list[i].id, "energy_monitoring") && m->meter == EMU_METER_NONE) ||
		    (streq(list[i].id, "brightness") && !m->dimmer))
			continue;
		e = json_object_new_object();
		result_add_str(e, "id", list[i].id);
		result_add_int(e, "ver_code", list[i].ver);
		json_object_array_add(a, e);
	}
	json_object_object_add(r, "component_list", a);
	return r;
}

static const struct {
	const char *name;
	struct json_object *(*fn)(struct call *c, struct json_object *params);
} methods[] = {
	{"get_device_info", get_device_info},	{"set_device_info", set_device_info},
	{"get_led_info", get_led_info},		{"set_led_info", set_led_info},
	{"get_energy_usage", get_energy_usage}, {"get_current_power", get_current_power},
	{"get_device_time", get_device_time},	{"device_reboot", device_reboot},
	{"component_nego", component_nego},
};

/* One method: its result (owned, NULL for none) and c->err. */
static struct json_object *call_method(struct call *c, const char *name, struct json_object *params)
{
	c->err = 0;
	if (params && !json_object_is_type(params, json_type_object)) {
		c->err = EMU_SMART_ERR_PARAMS;
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (streq(methods[i].name, name))
			return methods[i].fn(c, params);
	c->err = EMU_SMART_ERR_METHOD;
	return NULL;
}

/* --- Requests ------------------------------------------------------------- */

static struct json_object *reply_new(int err, struct json_object *result)
{
	struct json_object *reply = json_object_new_object();

	result_add_int(reply, "error_code", err);
	if (result)
		json_object_object_add(reply, "result", result);
	return reply;
}

static bool method_of(struct json_object *req, const char **ret)
{
	struct json_object *m;

	if (!json_object_object_get_ex(req, "method", &m) ||
	    !json_object_is_type(m, json_type_string))
		return false;
	*ret = json_object_get_string(m);
	return true;
}

/* multipleRequest: each entry answered in order, each with its error_code. */
static struct json_object *multiple(struct call *c, struct json_object *params)
{
	struct json_object *reqs, *responses, *result;
	size_t n;

	if (!params || !json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "requests", &reqs) ||
	    !json_object_is_type(reqs, json_type_array))
		return reply_new(EMU_SMART_ERR_PARAMS, NULL);
	n = json_object_array_length(reqs);
	if (n > EMU_SMART_BATCH_MAX)
		return reply_new(EMU_SMART_ERR_PARAMS, NULL);
	responses = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(reqs, i), *p = NULL, *res = NULL;
		struct json_object *out = json_object_new_object();
		const char *name = "";

		if (!json_object_is_type(e, json_type_object) || !method_of(e, &name)) {
			c->err = EMU_SMART_ERR_JSON;
		} else if (streq(name, "multipleRequest")) {
			c->err = EMU_SMART_ERR_METHOD;
		} else {
			json_object_object_get_ex(e, "params", &p);
			res = call_method(c, name, p);
		}
		result_add_str(out, "method", name);
		result_add_int(out, "error_code", c->err);
		if (res)
			json_object_object_add(out, "result", res);
		json_object_array_add(responses, out);
	}
	result = json_object_new_object();
	json_object_object_add(result, "responses", responses);
	return reply_new(0, result);
}

static char *to_text(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	return s ? strdup(s) : NULL;
}

char *smart_handle(void *userdata, const char *json, size_t len, bool udp)
{
	struct call c = {.d = userdata, .now = monotonic_usec()};
	struct json_tokener *tok;
	struct json_object *req = NULL, *reply, *params = NULL, *res;
	const char *name;
	char *text;

	if (udp)
		return NULL;
	tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	if (!tok)
		return NULL;
	if (len <= INT32_MAX)
		req = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (!req || !json_object_is_type(req, json_type_object) || !method_of(req, &name)) {
		reply = reply_new(EMU_SMART_ERR_JSON, NULL);
	} else {
		json_object_object_get_ex(req, "params", &params);
		if (streq(name, "multipleRequest")) {
			reply = multiple(&c, params);
		} else {
			res = call_method(&c, name, params);
			reply = reply_new(c.err, res);
		}
	}
	text = to_text(reply);
	json_object_put(reply);
	json_object_put(req);
	return text;
}
