/* SPDX-License-Identifier: MIT */
/*
 * Models, the state of one emulated device and the JSON request dispatcher:
 * modules, methods, outlet contexts and the device's error replies, worded
 * and placed as real firmware does (see PROTOCOL.md sections 3 to 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "emu.h"

#define JSON_DEPTH_MAX	 16
#define REBOOT_DELAY_MAX 3600

/* Plausible values: model strings and versions as real units report them. */
static const struct emu_model models[] = {
	{
		.name = "hs100",
		.model = "HS100(US)",
		.dev_name = "Wi-Fi Smart Plug",
		.hw_ver = "1.0",
		.sw_ver = "1.2.5 Build 171129 Rel.174814",
		.hw_id = "60FF6B258734EA6880E186F8C96DDC61",
		.oem_id = "FFF22CFF774A0B89F7624BFC6F50D5DE",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.fw_id = true,
	},
	{
		.name = "hs105",
		.model = "HS105(US)",
		.dev_name = "Smart Wi-Fi Plug Mini",
		.hw_ver = "1.0",
		.sw_ver = "1.5.6 Build 191125 Rel.083657",
		.hw_id = "60FF6B258734EA6880E186F8C96DDC61",
		.oem_id = "FFF22CFF774A0B89F7624BFC6F50D5DE",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.latitude_i = true,
		.next_action = true,
	},
	{
		.name = "hs110v1",
		.model = "HS110(EU)",
		.dev_name = "Wi-Fi Smart Plug With Energy Monitoring",
		.hw_ver = "1.0",
		.sw_ver = "1.2.6 Build 200727 Rel.121701",
		.hw_id = "45E29DA8382494D2E82688B52A0B2EB5",
		.oem_id = "3D341ECE302C0642C99E31CE2430544B",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_OLD,
		.volts = 230,
		.fw_id = true,
	},
	{
		.name = "hs110v4",
		.model = "HS110(EU)",
		.dev_name = "Smart Wi-Fi Plug With Energy Monitoring",
		.hw_ver = "4.0",
		.sw_ver = "1.0.4 Build 191111 Rel.143500",
		.hw_id = "2448AB56FB7E126DE5CB7F9A7F1ABC2B",
		.oem_id = "3D341ECE302C0642C99E31CE2430544B",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NEW,
		.volts = 230,
		.latitude_i = true,
		.next_action = true,
	},
	{
		.name = "kp115",
		.model = "KP115(US)",
		.dev_name = "Smart Wi-Fi Plug Mini",
		.hw_ver = "1.0",
		.sw_ver = "1.0.17 Build 210506 Rel.075231",
		.hw_id = "0B9D3AF0C5DB6E4E9B2E2A9B3F3B5A40",
		.oem_id = "DF2E0EDFBC4E5C0C07A2F52A3B2B8E8B",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NEW,
		.volts = 120,
		.mic_type = true,
		.latitude_i = true,
		.next_action = true,
		.newer = true,
	},
	{
		.name = "hs200",
		.model = "HS200(US)",
		.dev_name = "Smart Wi-Fi Light Switch",
		.hw_ver = "1.0",
		.sw_ver = "1.2.5 Build 171206 Rel.085954",
		.hw_id = "A0E3CC8F5C1166B27A16D56BE262A6D3",
		.oem_id = "4AFE44A41F868FD2340E6D1308D8551D",
		.alias_prefix = "TP-LINK_Smart Switch_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.fw_id = true,
	},
	{
		.name = "hs300",
		.model = "HS300(US)",
		.dev_name = NULL,
		.hw_ver = "2.0",
		.sw_ver = "1.0.12 Build 220121 Rel.175814",
		.hw_id = "34C41AA028022D0CCEA5E678E8547C54",
		.oem_id = "32BD0B21AA9BF8E84737D1DB1C66E883",
		.alias_prefix = "TP-LINK_Power Strip_",
		.outlets = 6,
		.meter = EMU_METER_NEW,
		.volts = 120,
		.mic_type = true,
		.latitude_i = true,
	},
};

const struct emu_model *device_model_find(const char *name)
{
	for (size_t i = 0; i < EMU_ARRAY_SIZE(models); i++)
		if (!strcmp(models[i].name, name))
			return &models[i];
	return NULL;
}

const struct emu_model *device_model_at(size_t i)
{
	return i < EMU_ARRAY_SIZE(models) ? &models[i] : NULL;
}

struct json_object *device_result(int code)
{
	struct json_object *o = json_object_new_object();
	const char *msg = NULL;

	json_object_object_add(o, "err_code", json_object_new_int(code));
	switch (code) {
	case EMU_ERR_MODULE:
		msg = "module not support";
		break;
	case EMU_ERR_METHOD:
		msg = "member not support";
		break;
	case EMU_ERR_ARG:
		msg = "invalid argument";
		break;
	case EMU_ERR_FULL:
		msg = "table is full";
		break;
	case EMU_ERR_ENTRY:
		msg = "entry not exist";
		break;
	}
	if (msg)
		json_object_object_add(o, "err_msg", json_object_new_string(msg));
	return o;
}

static void reboot_fire(struct emu_timer *t)
{
	struct emu_device *d = emu_container_of(t, struct emu_device, reboot_timer);
	uint64_t now = loop_now_usec();

	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] rebooting\n", d->index);
	/* Connections die with the firmware; the relay keeps its state. */
	net_device_drop(d);
	for (unsigned i = 0; i < d->outlets; i++) {
		struct emu_outlet *o = &d->outlet[i];

		emeter_update(&o->meter, o->on, now);
		if (o->on)
			o->on_since = now;
	}
}

struct emu_device *device_new(unsigned index, const struct emu_spec *spec, unsigned rep)
{
	struct emu_device *d = calloc(1, sizeof(*d));
	uint64_t now = loop_now_usec();

	if (!d)
		return NULL;
	d->index = index;
	d->spec = *spec;
	d->model = spec->model;
	d->outlets = d->model->outlets;
	d->tcp.fd = -1;
	d->udp.fd = -1;
	d->reboot_timer.cb = reboot_fire;
	d->fault_rng = spec->has_seed ? spec->seed : emu_mix64(index + 1);
	d->noise_rng = emu_mix64(index ^ 0x6e6f697365ULL);
	if (spec->alias[0] && rep) {
		char suffix[16];
		int n = snprintf(suffix, sizeof(suffix), " %u", rep);
		int keep = (int)strlen(spec->alias);

		if (keep + n >= EMU_ALIAS_MAX)
			keep = EMU_ALIAS_MAX - 1 - n;
		snprintf(d->alias, sizeof(d->alias), "%.*s%s", keep, spec->alias, suffix);
	} else {
		snprintf(d->alias, sizeof(d->alias), "%s", spec->alias);
	}
	for (unsigned i = 0; i < d->outlets; i++) {
		struct emu_outlet *o = &d->outlet[i];

		snprintf(o->alias, sizeof(o->alias), "Plug %u", i + 1);
		o->on = spec->on;
		o->on_since = now;
		if (d->model->meter != EMU_METER_NONE)
			emeter_init(&o->meter, index, i, d->model->volts, spec->power_w, now);
	}
	rules_init(&d->countdown, 1, emu_mix64(index ^ 0xc0c0));
	rules_init(&d->schedule, EMU_RULES_MAX, emu_mix64(index ^ 0x5c5c));
	return d;
}

void device_free(struct emu_device *d)
{
	if (!d)
		return;
	loop_timer_cancel(&d->reboot_timer);
	rules_clear(&d->countdown);
	rules_clear(&d->schedule);
	free(d);
}

void device_identity(struct emu_device *d, uint32_t mac_base)
{
	uint32_t low = (mac_base + d->index) & 0xFFFFFF;
	uint64_t h1 = emu_mix64(low ^ ((uint64_t)mac_base << 32));
	uint64_t h2 = h1;

	/* The model takes part so that models differ even at one MAC. */
	for (const char *p = d->model->name; *p; p++)
		h2 = emu_mix64(h2 ^ (unsigned char)*p);

	snprintf(d->mac, sizeof(d->mac), "50:C7:BF:%02X:%02X:%02X", low >> 16, (low >> 8) & 0xFF,
		 low & 0xFF);
	snprintf(d->device_id, sizeof(d->device_id), "8006%016llX%016llX%04X",
		 (unsigned long long)h1, (unsigned long long)h2, low & 0xFFFF);
	d->rssi = -52 - (int)(h1 % 16);
	if (!d->alias[0])
		snprintf(d->alias, sizeof(d->alias), "%s%02X%02X", d->model->alias_prefix,
			 (low >> 8) & 0xFF, low & 0xFF);
}

/* --- Sysinfo --------------------------------------------------------------- */

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static int64_t on_time(const struct emu_outlet *o, uint64_t now)
{
	return o->on && now > o->on_since ? (int64_t)((now - o->on_since) / 1000000u) : 0;
}

static struct json_object *next_action(void)
{
	struct json_object *na = json_object_new_object();

	add_int(na, "type", -1);
	return na;
}

static const char *active_mode(const struct emu_device *d)
{
	if (d->countdown.count)
		return "count_down";
	if (d->schedule.count)
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
		add_int(o, "latitude_i", 0);
		add_int(o, "longitude_i", 0);
	} else {
		add_int(o, "longitude", 0);
		add_int(o, "latitude", 0);
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

	add_str(si, "sw_ver", m->sw_ver);
	add_str(si, "hw_ver", m->hw_ver);
	add_str(si, "type", "IOT.SMARTPLUGSWITCH");
	add_str(si, "model", m->model);
	add_str(si, "mac", d->mac);
	add_str(si, "dev_name", m->dev_name);
	add_str(si, "alias", d->alias);
	add_int(si, "relay_state", d->outlet[0].on);
	add_int(si, "on_time", on_time(&d->outlet[0], now));
	add_str(si, "active_mode", active_mode(d));
	add_str(si, "feature", feature(d));
	add_int(si, "updating", 0);
	add_str(si, "icon_hash", "");
	add_int(si, "rssi", rssi_now(d));
	add_int(si, "led_off", d->led_off);
	add_location(d, si);
	add_str(si, "hwId", m->hw_id);
	if (m->fw_id)
		add_str(si, "fwId", "00000000000000000000000000000000");
	add_str(si, "deviceId", d->device_id);
	add_str(si, "oemId", m->oem_id);
	if (m->next_action)
		json_object_object_add(si, "next_action", next_action());
}

/* Newer firmware (KP115, HS300): mic_type, status, obd_src, ntc_state. */
static void sysinfo_new(struct emu_device *d, struct json_object *si, uint64_t now)
{
	const struct emu_model *m = d->model;

	add_str(si, "sw_ver", m->sw_ver);
	add_str(si, "hw_ver", m->hw_ver);
	add_str(si, "model", m->model);
	add_str(si, "deviceId", d->device_id);
	add_str(si, "oemId", m->oem_id);
	add_str(si, "hwId", m->hw_id);
	add_int(si, "rssi", rssi_now(d));
	add_location(d, si);
	add_str(si, "alias", d->alias);
	add_str(si, "status", "new");
	if (m->newer)
		add_str(si, "obd_src", "tplink");
	add_str(si, "mic_type", "IOT.SMARTPLUGSWITCH");
	add_str(si, "feature", feature(d));
	add_str(si, "mac", d->mac);
	add_int(si, "updating", 0);
	add_int(si, "led_off", d->led_off);
	if (m->outlets > 1) {
		struct json_object *children = json_object_new_array();

		for (unsigned i = 0; i < d->outlets; i++) {
			struct json_object *c = json_object_new_object();
			char id[48];

			child_id(d, i, id);
			add_str(c, "id", id);
			add_int(c, "state", d->outlet[i].on);
			add_str(c, "alias", d->outlet[i].alias);
			add_int(c, "on_time", on_time(&d->outlet[i], now));
			json_object_object_add(c, "next_action", next_action());
			json_object_array_add(children, c);
		}
		json_object_object_add(si, "children", children);
		add_int(si, "child_num", d->outlets);
		return;
	}
	add_int(si, "relay_state", d->outlet[0].on);
	add_int(si, "on_time", on_time(&d->outlet[0], now));
	add_str(si, "icon_hash", "");
	if (m->dev_name)
		add_str(si, "dev_name", m->dev_name);
	add_str(si, "active_mode", active_mode(d));
	if (m->next_action)
		json_object_object_add(si, "next_action", next_action());
	if (m->newer)
		add_int(si, "ntc_state", 0);
}

static struct json_object *sysinfo(struct emu_device *d, uint64_t now)
{
	struct json_object *si = json_object_new_object();

	if (d->model->mic_type)
		sysinfo_new(d, si, now);
	else
		sysinfo_old(d, si, now);
	add_int(si, "err_code", 0);
	hostile_sysinfo(d, si);
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

static void set_relay(struct call *c, struct emu_outlet *o, bool on)
{
	if (o->on == on)
		return;
	emeter_update(&o->meter, o->on, c->now);
	o->on = on;
	if (on)
		o->on_since = c->now;
}

static struct json_object *sys_set_relay_state(struct call *c, struct json_object *params)
{
	uint32_t mask = targets(c);
	int64_t state;

	if (!get_int(params, "state", 0, 1, &state))
		return device_result(EMU_ERR_ARG);
	for (unsigned i = 0; i < c->d->outlets; i++)
		if (mask & (1u << i))
			set_relay(c, &c->d->outlet[i], state);
	return device_result(0);
}

static struct json_object *sys_set_led_off(struct call *c, struct json_object *params)
{
	int64_t off;

	if (!get_int(params, "off", 0, 1, &off))
		return device_result(EMU_ERR_ARG);
	c->d->led_off = off;
	return device_result(0);
}

static struct json_object *sys_set_dev_alias(struct call *c, struct json_object *params)
{
	struct json_object *v;
	const char *alias;
	size_t len;
	char *dst;

	if (!params || !json_object_object_get_ex(params, "alias", &v) ||
	    !json_object_is_type(v, json_type_string))
		return device_result(EMU_ERR_ARG);
	alias = json_object_get_string(v);
	len = strlen(alias);
	if (len == 0 || len >= EMU_ALIAS_MAX || len != (size_t)json_object_get_string_len(v))
		return device_result(EMU_ERR_ARG);
	dst = c->ctx ? c->d->outlet[c->first].alias : c->d->alias;
	memcpy(dst, alias, len + 1);
	return device_result(0);
}

static struct json_object *sys_reboot(struct call *c, struct json_object *params)
{
	struct json_object *v;
	int64_t delay = 1;

	if (params && json_object_object_get_ex(params, "delay", &v) &&
	    !get_int(params, "delay", 0, REBOOT_DELAY_MAX, &delay))
		return device_result(EMU_ERR_ARG);
	loop_timer_arm(&c->d->reboot_timer, c->now + (uint64_t)delay * 1000000u);
	return device_result(0);
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

	hostile_realtime(c->d, res);
	return res;
}

static struct json_object *em_get_daystat(struct call *c, struct json_object *params)
{
	struct emu_outlet *o = meter_outlet(c);
	struct json_object *res = emeter_daystat(&o->meter, o->on, new_style(c), params, c->now);
	int64_t year, month;

	if (get_int(params, "year", 1970, 9999, &year) && get_int(params, "month", 1, 12, &month))
		hostile_stats(c->d, res, (int)year, (int)month);
	return res;
}

static struct json_object *em_get_monthstat(struct call *c, struct json_object *params)
{
	struct emu_outlet *o = meter_outlet(c);
	struct json_object *res = emeter_monthstat(&o->meter, o->on, new_style(c), params, c->now);
	int64_t year;

	if (get_int(params, "year", 1970, 9999, &year))
		hostile_stats(c->d, res, (int)year, 0);
	return res;
}

static struct json_object *em_erase(struct call *c, struct json_object *params)
{
	uint32_t mask = targets(c);

	for (unsigned i = 0; i < c->d->outlets; i++)
		if (mask & (1u << i))
			emeter_erase(&c->d->outlet[i].meter, c->d->outlet[i].on, c->now);
	return device_result(0);
}

static const struct method emeter_methods[] = {
	{"get_realtime", em_get_realtime},
	{"get_daystat", em_get_daystat},
	{"get_monthstat", em_get_monthstat},
	{"erase_emeter_stat", em_erase},
	{NULL, NULL},
};

/* The device clock runs on UTC, so its days match the emeter history. */
static struct json_object *time_get_time(struct call *c, struct json_object *params)
{
	struct json_object *res = json_object_new_object();
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	add_int(res, "year", tm.tm_year + 1900);
	add_int(res, "month", tm.tm_mon + 1);
	add_int(res, "mday", tm.tm_mday);
	add_int(res, "hour", tm.tm_hour);
	add_int(res, "min", tm.tm_min);
	add_int(res, "sec", tm.tm_sec);
	add_int(res, "err_code", 0);
	return res;
}

static struct json_object *time_get_timezone(struct call *c, struct json_object *params)
{
	struct json_object *res = json_object_new_object();

	add_int(res, "index", 39);
	add_str(res, "zone_str", "(UTC) Coordinated Universal Time");
	add_str(res, "tz_str", "UTC0");
	add_int(res, "dst_offset", 0);
	add_int(res, "err_code", 0);
	return res;
}

static const struct method time_methods[] = {
	{"get_time", time_get_time},
	{"get_timezone", time_get_timezone},
	{NULL, NULL},
};

static struct json_object *cloud_get_info(struct call *c, struct json_object *params)
{
	struct json_object *res = json_object_new_object();

	add_str(res, "username", "");
	add_str(res, "server", "n-devs.tplinkcloud.com");
	add_int(res, "binded", 0);
	add_int(res, "cld_connection", 0);
	add_int(res, "illegalType", -1);
	add_int(res, "stopConnect", -1);
	add_int(res, "tcspStatus", -1);
	add_str(res, "fwDlPage", "");
	add_str(res, "tcspInfo", "");
	add_int(res, "fwNotifyType", 0);
	add_int(res, "err_code", 0);
	return res;
}

static const struct method cloud_methods[] = {
	{"get_info", cloud_get_info},
	{NULL, NULL},
};

static struct json_object *countdown_other(struct call *c, const char *method,
					   struct json_object *params)
{
	return rules_call(&c->d->countdown, method, params, false);
}

static const struct method no_methods[] = {
	{NULL, NULL},
};

static struct json_object *sched_get_next_action(struct call *c, struct json_object *params)
{
	struct json_object *res = next_action();

	add_int(res, "err_code", 0);
	return res;
}

static struct json_object *sched_set_overall_enable(struct call *c, struct json_object *params)
{
	int64_t enable;

	if (!get_int(params, "enable", 0, 1, &enable))
		return device_result(EMU_ERR_ARG);
	return device_result(0);
}

static const struct method schedule_methods[] = {
	{"get_next_action", sched_get_next_action},
	{"set_overall_enable", sched_set_overall_enable},
	{NULL, NULL},
};

static struct json_object *schedule_other(struct call *c, const char *method,
					  struct json_object *params)
{
	return rules_call(&c->d->schedule, method, params, true);
}

static const struct module modules[] = {
	{"system", system_methods, NULL, NULL},
	{"emeter", emeter_methods, has_emeter, NULL},
	{"time", time_methods, NULL, NULL},
	{"cnCloud", cloud_methods, NULL, NULL},
	{"count_down", no_methods, NULL, countdown_other},
	{"schedule", schedule_methods, NULL, schedule_other},
};

static const struct module *find_module(const struct emu_device *d, const char *name)
{
	for (size_t i = 0; i < EMU_ARRAY_SIZE(modules); i++) {
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
	return device_result(EMU_ERR_METHOD);
}

static bool method_known(const struct module *mod, const char *name)
{
	static const char *const rule_verbs[] = {"get_rules", "add_rule", "edit_rule",
						 "delete_rule", "delete_all_rules"};

	for (const struct method *m = mod->methods; m->name; m++)
		if (!strcmp(m->name, name))
			return true;
	if (mod->other)
		for (size_t i = 0; i < EMU_ARRAY_SIZE(rule_verbs); i++)
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
		return device_result(EMU_ERR_MODULE);
	if (!json_object_is_type(req, json_type_object))
		return device_result(EMU_ERR_ARG);
	res = json_object_new_object();
	json_object_object_foreach(req, method, params)
	{
		struct json_object *r;

		if (ctx_err && method_known(mod, method))
			r = device_result(ctx_err);
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

char *device_handle(struct emu_device *d, const char *json, size_t len, bool udp)
{
	struct call c = {.d = d, .now = loop_now_usec()};
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
