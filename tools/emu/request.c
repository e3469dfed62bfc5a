/* SPDX-License-Identifier: MIT */
/*
 * The JSON request dispatcher: sysinfo, modules, methods, outlet contexts and
 * the device's error replies, worded and placed as real firmware does (see
 * PROTOCOL.md sections 3 to 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/macro.h"
#include "device.h"
#include "dimmer.h"
#include "emeter.h"
#include "emu.h"
#include "hostile.h"
#include "loop.h"
#include "request.h"
#include "result.h"
#include "rules.h"

#define JSON_DEPTH_MAX	 16
#define REBOOT_DELAY_MAX 3600

/* --- Sysinfo --------------------------------------------------------------- */

static int64_t on_time(const struct emu_outlet *o, uint64_t now)
{
	return o->on && now > o->on_since ? (int64_t)((now - o->on_since) / USEC_PER_SEC) : 0;
}

static struct json_object *next_action(void)
{
	struct json_object *na = json_object_new_object();

	result_add_int(na, "type", -1);
	return na;
}

static const char *active_mode(const struct emu_device *d)
{
	if (rules_pending(&d->countdown))
		return "count_down";
	if (rules_pending(&d->schedule))
		return "schedule";
	return "none";
}

static void child_id(const struct emu_device *d, unsigned i, char ret[48])
{
	snprintf(ret, 48, "%s%02u", d->device_id, i % EMU_OUTLETS_MAX);
}

static void add_location(const struct emu_device *d, struct json_object *o)
{
	if (d->model->latitude_i) {
		result_add_int(o, "latitude_i", 0);
		result_add_int(o, "longitude_i", 0);
	} else {
		result_add_int(o, "longitude", 0);
		result_add_int(o, "latitude", 0);
	}
}

static int rssi_now(struct emu_device *d)
{
	return d->rssi + (int)(emu_rand(&d->noise_rng) % 5) - 2;
}

static const char *feature(const struct emu_device *d)
{
	return d->model->meter == EMU_METER_NONE ? "TIM" : "TIM:ENE";
}

/* Older firmware: the field order of an HS100 hw 1.0 on 1.2.5. */
static void sysinfo_old(struct emu_device *d, struct json_object *si, uint64_t now)
{
	const struct emu_model *m = d->model;

	result_add_str(si, "sw_ver", m->sw_ver);
	result_add_str(si, "hw_ver", m->hw_ver);
	result_add_str(si, "type", "IOT.SMARTPLUGSWITCH");
	result_add_str(si, "model", m->model);
	result_add_str(si, "mac", d->mac);
	result_add_str(si, "dev_name", m->dev_name);
	result_add_str(si, "alias", d->alias);
	result_add_int(si, "relay_state", d->outlet[0].on);
	result_add_int(si, "on_time", on_time(&d->outlet[0], now));
	result_add_str(si, "active_mode", active_mode(d));
	result_add_str(si, "feature", feature(d));
	result_add_int(si, "updating", 0);
	result_add_str(si, "icon_hash", "");
	result_add_int(si, "rssi", rssi_now(d));
	result_add_int(si, "led_off", d->led_off);
	add_location(d, si);
	result_add_str(si, "hwId", m->hw_id);
	if (m->fw_id)
		result_add_str(si, "fwId", "00000000000000000000000000000000");
	result_add_str(si, "deviceId", d->device_id);
	result_add_str(si, "oemId", m->oem_id);
	if (m->next_action)
		json_object_object_add(si, "next_action", next_action());
}

/* Newer firmware (KP115, HS300): mic_type, status, obd_src, ntc_state. */
static void sysinfo_new(struct emu_device *d, struct json_object *si, uint64_t now)
{
	const struct emu_model *m = d->model;

	result_add_str(si, "sw_ver", m->sw_ver);
	result_add_str(si, "hw_ver", m->hw_ver);
	result_add_str(si, "model", m->model);
	result_add_str(si, "deviceId", d->device_id);
	result_add_str(si, "oemId", m->oem_id);
	result_add_str(si, "hwId", m->hw_id);
	result_add_int(si, "rssi", rssi_now(d));
	add_location(d, si);
	result_add_str(si, "alias", d->alias);
	result_add_str(si, "status", "new");
	if (m->newer)
		result_add_str(si, "obd_src", "tplink");
	result_add_str(si, "mic_type", "IOT.SMARTPLUGSWITCH");
	result_add_str(si, "feature", feature(d));
	result_add_str(si, "mac", d->mac);
	result_add_int(si, "updating", 0);
	result_add_int(si, "led_off", d->led_off);
	if (m->outlets > 1) {
		struct json_object *children = json_object_new_array();

		for (unsigned i = 0; i < d->outlets; i++) {
			struct json_object *c = json_object_new_object();
			char id[48];

			child_id(d, i, id);
			result_add_str(c, "id", id);
			result_add_int(c, "state", d->outlet[i].on);
			result_add_str(c, "alias", d->outlet[i].alias);
			result_add_int(c, "on_time", on_time(&d->outlet[i], now));
			json_object_object_add(c, "next_action", next_action());
			json_object_array_add(children, c);
		}
		json_object_object_add(si, "children", children);
		result_add_int(si, "child_num", d->outlets);
		return;
	}
	result_add_int(si, "relay_state", d->outlet[0].on);
	if (m->dimmer)
		result_add_int(si, "brightness", d->brightness);
	result_add_int(si, "on_time", on_time(&d->outlet[0], now));
	result_add_str(si, "icon_hash", "");
	if (m->dev_name)
		result_add_str(si, "dev_name", m->dev_name);
	result_add_str(si, "active_mode", active_mode(d));
	if (m->next_action)
		json_object_object_add(si, "next_action", next_action());
	if (m->newer)
		result_add_int(si, "ntc_state", 0);
	if (m->dimmer)
		json_object_object_add(si, "preferred_state", dimmer_presets());
}

static struct json_object *sysinfo(struct emu_device *d, uint64_t now)
{
	struct json_object *si = json_object_new_object();

	if (d->model->mic_type)
		sysinfo_new(d, si, now);
	else
		sysinfo_old(d, si, now);
	result_add_int(si, "err_code", 0);
	hostile_sysinfo(d->spec.hostile, d->device_id, si);
	return si;
}

/* --- Requests -------------------------------------------------------------- */

/* One request being answered. */
struct call {
	struct emu_device *d;
	uint64_t now;
	bool ctx;	/* a context named outlets (strips only) */
	uint32_t mask;	/* the outlets it named */
	unsigned first; /* the first outlet it named */
};

struct method {
	const char *name;
	struct json_object *(*fn)(struct call *c, struct json_object *params);
};

struct module {
	const char *name;
	const struct method *methods;
	bool (*present)(const struct emu_device *d);
	/* Methods not in the table fall to this one when set (rule verbs). */
	struct json_object *(*other)(struct call *c, const char *method,
				     struct json_object *params);
};

static bool get_int(struct json_object *params, const char *key, int64_t min, int64_t max,
		    int64_t *ret)
{
	struct json_object *v;
	int64_t n;

	if (!params || !json_object_object_get_ex(params, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return false;
	*ret = n;
	return true;
}

/* The outlets a call acts on: the context's, else all of them. */
static uint32_t targets(const struct call *c)
{
	return c->ctx ? c->mask : (1u << c->d->outlets) - 1;
}

/* The one outlet a call reads: the context's first, else the first one. */
static unsigned target(const struct call *c)
{
	return c->ctx ? c->first : 0;
}

static struct json_object *sys_get_sysinfo(struct call *c, struct json_object *params)
{
	return sysinfo(c->d, c->now);
}

static struct json_object *sys_set_relay_state(struct call *c, struct json_object *params)
{
	uint32_t mask = targets(c);
	int64_t state;

	if (!get_int(params, "state", 0, 1, &state))
		return result_new(EMU_ERR_ARG);
	/* stuck=yes: the relay's answer without the relay. */
	for (unsigned i = 0; i < c->d->outlets && !c->d->spec.stuck; i++)
		if (mask & (1u << i))
			emeter_set_relay(&c->d->outlet[i], state, c->now);
	return result_new(0);
}

static struct json_object *sys_set_led_off(struct call *c, struct json_object *params)
{
	int64_t off;

	if (!get_int(params, "off", 0, 1, &off))
		return result_new(EMU_ERR_ARG);
	c->d->led_off = off;
	return result_new(0);
}

static struct json_object *sys_set_dev_alias(struct call *c, struct json_object *params)
{
	struct json_object *v;
	const char *alias;
	size_t len;
	char *dst;

	if (!params || !json_object_object_get_ex(params, "alias", &v) ||
	    !json_object_is_type(v, json_type_string))
		return result_new(EMU_ERR_ARG);
	alias = json_object_get_string(v);
	len = strlen(alias);
	if (len == 0 || len >= EMU_ALIAS_MAX || len != (size_t)json_object_get_string_len(v))
		return result_new(EMU_ERR_ARG);
	dst = c->ctx ? c->d->outlet[c->first].alias : c->d->alias;
	memcpy(dst, alias, len + 1);
	return result_new(0);
}

static struct json_object *sys_reboot(struct call *c, struct json_object *params)
{
	struct json_object *v;
	int64_t delay = 1;

	if (params && json_object_object_get_ex(params, "delay", &v) &&
	    !get_int(params, "delay", 0, REBOOT_DELAY_MAX, &delay))
		return result_new(EMU_ERR_ARG);
	loop_timer_arm(&c->d->reboot_timer, c->now + (uint64_t)delay * USEC_PER_SEC);
	return result_new(0);
}

static const struct method system_methods[] = {
	{"get_sysinfo", sys_get_sysinfo}, {"set_relay_state", sys_set_relay_state},
	{"set_led_off", sys_set_led_off}, {"set_dev_alias", sys_set_dev_alias},
	{"reboot", sys_reboot},		  {NULL, NULL},
};

static bool has_emeter(const struct emu_device *d)
{
	return d->model->meter != EMU_METER_NONE;
}

static bool new_style(const struct call *c)
{
	return c->d->model->meter == EMU_METER_NEW;
}

static struct emu_outlet *meter_outlet(struct call *c)
{
	return &c->d->outlet[target(c)];
}

static struct json_object *em_get_realtime(struct call *c, struct json_object *params)
{
	struct emu_outlet *o = meter_outlet(c);
	int slot = c->d->outlets > 1 ? (int)target(c) : -1;
	struct json_object *res = emeter_realtime(&o->meter, o->on, new_style(c), slot, c->now);

	hostile_realtime(c->d->spec.hostile, res);
	return res;
}

static struct json_object *em_get_daystat(struct call *c, struct json_object *params)
{
	struct emu_outlet *o = meter_outlet(c);
	struct json_object *res = emeter_daystat(&o->meter, o->on, new_style(c), params, c->now);
	int64_t year, month;

	if (get_int(params, "year", 1970, 9999, &year) && get_int(params, "month", 1, 12, &month))
		hostile_stats(c->d->spec.hostile, new_style(c), res, (int)year, (int)month);
	return res;
}

static struct json_object *em_get_monthstat(struct call *c, struct json_object *params)
{
	struct emu_outlet *o = meter_outlet(c);
	struct json_object *res = emeter_monthstat(&o->meter, o->on, new_style(c), params, c->now);
	int64_t year;

	if (get_int(params, "year", 1970, 9999, &year))
		hostile_stats(c->d->spec.hostile, new_style(c), res, (int)year, 0);
	return res;
}

static struct json_object *em_erase(struct call *c, struct json_object *params)
{
	uint32_t mask = targets(c);

	for (unsigned i = 0; i < c->d->outlets; i++)
		if (mask & (1u << i))
			emeter_erase(&c->d->outlet[i].meter, c->d->outlet[i].on, c->now);
	return result_new(0);
}

static bool is_dimmer(const struct emu_device *d)
{
	return d->model->dimmer;
}

static struct json_object *dim_set_brightness(struct call *c, struct json_object *params)
{
	return dimmer_set_brightness(&c->d->brightness, params);
}

static struct json_object *dim_get_parameters(struct call *c, struct json_object *params)
{
	return dimmer_parameters();
}

static const struct method dimmer_methods[] = {
	{"set_brightness", dim_set_brightness},
	{"get_dimmer_parameters", dim_get_parameters},
	{NULL, NULL},
};

static const struct method emeter_methods[] = {
	{"get_realtime", em_get_realtime},
	{"get_daystat", em_get_daystat},
	{"get_monthstat", em_get_monthstat},
	{"erase_emeter_stat", em_erase},
	{NULL, NULL},
};

/* The device clock runs on UTC (plus its offset: clock_offset=, or what
 * set_timezone set), so its days match the emeter history. */
static struct json_object *time_get_time(struct call *c, struct json_object *params)
{
	struct json_object *res = json_object_new_object();
	int64_t wall = device_wall_usec(c->d);
	time_t t = (time_t)((wall - (wall < 0 ? (int64_t)USEC_PER_SEC - 1 : 0)) /
			    (int64_t)USEC_PER_SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	result_add_int(res, "year", tm.tm_year + 1900);
	result_add_int(res, "month", tm.tm_mon + 1);
	result_add_int(res, "mday", tm.tm_mday);
	result_add_int(res, "hour", tm.tm_hour);
	result_add_int(res, "min", tm.tm_min);
	result_add_int(res, "sec", tm.tm_sec);
	result_add_int(res, "err_code", 0);
	return res;
}

static struct json_object *time_get_timezone(struct call *c, struct json_object *params)
{
	struct json_object *res = json_object_new_object();

	result_add_int(res, "index", c->d->tz_index);
	/* TP-Link's words and rule for the index; the clock itself runs on
	 * UTC plus its offset whatever the zone. */
	result_add_str(res, "zone_str", kasa_timezone_label(c->d->tz_index));
	result_add_str(res, "tz_str", kasa_timezone_rule(c->d->tz_index));
	result_add_int(res, "dst_offset", strchr(kasa_timezone_rule(c->d->tz_index), ',') ? 60 : 0);
	result_add_int(res, "err_code", 0);
	return res;
}

/* The clock and the zone at once, as firmware takes them. */
static struct json_object *time_set_timezone(struct call *c, struct json_object *params)
{
	int64_t year, month, mday, hour, min, sec, index;
	struct tm tm = {0};

	if (!get_int(params, "year", 2000, 2099, &year) || !get_int(params, "month", 1, 12, &month) ||
	    !get_int(params, "mday", 1, 31, &mday) || !get_int(params, "hour", 0, 23, &hour) ||
	    !get_int(params, "min", 0, 59, &min) || !get_int(params, "sec", 0, 59, &sec) ||
	    !get_int(params, "index", 0, 109, &index))
		return result_new(EMU_ERR_ARG);
	tm.tm_year = (int)year - 1900;
	tm.tm_mon = (int)month - 1;
	tm.tm_mday = (int)mday;
	tm.tm_hour = (int)hour;
	tm.tm_min = (int)min;
	tm.tm_sec = (int)sec;
	device_set_clock(c->d, (int64_t)timegm(&tm));
	c->d->tz_index = (int)index;
	return result_new(0);
}

static const struct method time_methods[] = {
	{"get_time", time_get_time},
	{"get_timezone", time_get_timezone},
	{"set_timezone", time_set_timezone},
	{NULL, NULL},
};

static struct json_object *cloud_get_info(struct call *c, struct json_object *params)
{
	struct json_object *res = json_object_new_object();

	result_add_str(res, "username", "");
	result_add_str(res, "server", "n-devs.tplinkcloud.com");
	result_add_int(res, "binded", 0);
	result_add_int(res, "cld_connection", 0);
	result_add_int(res, "illegalType", -1);
	result_add_int(res, "stopConnect", -1);
	result_add_int(res, "tcspStatus", -1);
	result_add_str(res, "fwDlPage", "");
	result_add_str(res, "tcspInfo", "");
	result_add_int(res, "fwNotifyType", 0);
	result_add_int(res, "err_code", 0);
	return res;
}

static const struct method cloud_methods[] = {
	{"get_info", cloud_get_info},
	{NULL, NULL},
};

static struct json_object *countdown_other(struct call *c, const char *method,
					   struct json_object *params)
{
	return rules_call(&c->d->countdown, method, params, targets(c));
}

static const struct method no_methods[] = {
	{NULL, NULL},
};

static struct json_object *sched_get_next_action(struct call *c, struct json_object *params)
{
	struct json_object *res = next_action();

	result_add_int(res, "err_code", 0);
	return res;
}

static struct json_object *sched_set_overall_enable(struct call *c, struct json_object *params)
{
	int64_t enable;

	if (!get_int(params, "enable", 0, 1, &enable))
		return result_new(EMU_ERR_ARG);
	return result_new(0);
}

static const struct method schedule_methods[] = {
	{"get_next_action", sched_get_next_action},
	{"set_overall_enable", sched_set_overall_enable},
	{NULL, NULL},
};

static struct json_object *schedule_other(struct call *c, const char *method,
					  struct json_object *params)
{
	return rules_call(&c->d->schedule, method, params, targets(c));
}

static const struct module modules[] = {
	{"system", system_methods, NULL, NULL},
	{"emeter", emeter_methods, has_emeter, NULL},
	{"smartlife.iot.dimmer", dimmer_methods, is_dimmer, NULL},
	{"time", time_methods, NULL, NULL},
	{"cnCloud", cloud_methods, NULL, NULL},
	{"count_down", no_methods, NULL, countdown_other},
	{"schedule", schedule_methods, NULL, schedule_other},
};

static const struct module *find_module(const struct emu_device *d, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(modules); i++) {
		if (strcmp(modules[i].name, name))
			continue;
		if (modules[i].present && !modules[i].present(d))
			return NULL;
		return &modules[i];
	}
	return NULL;
}

static struct json_object *call_method(struct call *c, const struct module *mod, const char *name,
				       struct json_object *params)
{
	const struct method *m;

	if (params && !json_object_is_type(params, json_type_object))
		params = NULL;
	for (m = mod->methods; m->name; m++)
		if (!strcmp(m->name, name))
			return m->fn(c, params);
	if (mod->other) {
		struct json_object *res = mod->other(c, name, params);

		if (res)
			return res;
	}
	return result_new(EMU_ERR_METHOD);
}

static bool method_known(const struct module *mod, const char *name)
{
	static const char *const rule_verbs[] = {"get_rules", "add_rule", "edit_rule",
						 "delete_rule", "delete_all_rules"};

	for (const struct method *m = mod->methods; m->name; m++)
		if (!strcmp(m->name, name))
			return true;
	if (mod->other)
		for (size_t i = 0; i < ARRAY_SIZE(rule_verbs); i++)
			if (!strcmp(rule_verbs[i], name))
				return true;
	return false;
}

/*
 * Resolve a strip's context to outlets.  Returns 0, or the device error for
 * every method of the request: EMU_ERR_ARG when the context is malformed,
 * EMU_ERR_ENTRY when an id names no outlet (then nothing runs).
 */
static int resolve_context(struct call *c, struct json_object *req)
{
	struct json_object *ctx, *ids;
	size_t n;

	if (c->d->outlets < 2 || !json_object_object_get_ex(req, "context", &ctx))
		return 0;
	if (!json_object_is_type(ctx, json_type_object) ||
	    !json_object_object_get_ex(ctx, "child_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array))
		return EMU_ERR_ARG;
	n = json_object_array_length(ids);
	if (n == 0)
		return EMU_ERR_ARG;
	for (size_t k = 0; k < n; k++) {
		struct json_object *id = json_object_array_get_idx(ids, k);
		unsigned i;

		if (!json_object_is_type(id, json_type_string))
			return EMU_ERR_ARG;
		for (i = 0; i < c->d->outlets; i++) {
			char want[48];

			child_id(c->d, i, want);
			if (!strcmp(json_object_get_string(id), want))
				break;
		}
		if (i == c->d->outlets)
			return EMU_ERR_ENTRY;
		if (!c->ctx)
			c->first = i;
		c->ctx = true;
		c->mask |= 1u << i;
	}
	return 0;
}

static struct json_object *handle_module(struct call *c, const char *name, struct json_object *req,
					 int ctx_err)
{
	const struct module *mod = find_module(c->d, name);
	struct json_object *res;

	if (!mod)
		return result_new(EMU_ERR_MODULE);
	if (!json_object_is_type(req, json_type_object))
		return result_new(EMU_ERR_ARG);
	res = json_object_new_object();
	json_object_object_foreach(req, method, params)
	{
		struct json_object *r;

		if (ctx_err && method_known(mod, method))
			r = result_new(ctx_err);
		else
			r = call_method(c, mod, method, params);
		json_object_object_add(res, method, r);
	}
	return res;
}

static char *to_text(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	return s ? strdup(s) : NULL;
}

/* Discovery answers get_sysinfo and nothing else. */
static char *handle_udp(struct call *c, struct json_object *req)
{
	struct json_object *sys, *reply, *module;
	char *text;

	if (!json_object_object_get_ex(req, "system", &sys) ||
	    !json_object_is_type(sys, json_type_object) ||
	    !json_object_object_get_ex(sys, "get_sysinfo", NULL))
		return NULL;
	reply = json_object_new_object();
	module = json_object_new_object();
	json_object_object_add(module, "get_sysinfo", sysinfo(c->d, c->now));
	json_object_object_add(reply, "system", module);
	text = to_text(reply);
	json_object_put(reply);
	return text;
}

char *request_handle(void *userdata, const char *json, size_t len, bool udp)
{
	struct call c = {.d = userdata, .now = monotonic_usec()};
	struct json_tokener *tok;
	struct json_object *req, *reply;
	char *text;
	int ctx_err;

	if (len > INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	if (!tok)
		return NULL;
	req = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (!req)
		return NULL;
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return NULL;
	}
	if (udp) {
		text = handle_udp(&c, req);
		json_object_put(req);
		return text;
	}

	ctx_err = resolve_context(&c, req);
	reply = json_object_new_object();
	json_object_object_foreach(req, key, val)
	{
		if (!strcmp(key, "context"))
			continue;
		json_object_object_add(reply, key, handle_module(&c, key, val, ctx_err));
	}
	text = to_text(reply);
	json_object_put(reply);
	json_object_put(req);
	return text;
}
