/* SPDX-License-Identifier: MIT */
/* kasactl: the commands that talk to one device. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kasactl-cmd.h"
#include "kasactl-ctl.h"

static int json_add(struct json_object *obj, const char *key, struct json_object *val)
{
	return json_object_object_add(obj, key, val);
}

/* Send a request whose reply carries nothing but err_code; built is what
 * the builder returned, req what it made (taken). */
static int simple_request(struct ctl *c, int built, char *req, const char *module,
			  const char *method)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	struct json_object *result;
	int r;

	r = ctl_send(c, built, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_reply_result(reply, module, method, &result, &derr);
	if (r < 0)
		return ctl_device_error(c, method, r, &derr);
	return KASACTL_EXIT_OK;
}

static const struct kasa_outlet *find_outlet(const struct ctl *c, const struct kasa_sysinfo *info)
{
	for (unsigned i = 0; i < info->outlet_count && i < KASA_OUTLETS_MAX; i++)
		if (strcmp(info->outlets[i].id, c->child_id) == 0)
			return &info->outlets[i];
	/* Some firmware lists children by their two-digit suffix only. */
	return &info->outlets[c->outlet];
}

/* The relay state that toggle and check look at. */
static int relay_state(const struct ctl *c, const struct kasa_sysinfo *info, bool *ret_on)
{
	if (c->outlet >= 0) {
		*ret_on = find_outlet(c, info)->on;
		return KASACTL_EXIT_OK;
	}
	if (info->has_relay) {
		*ret_on = info->relay_on;
		return KASACTL_EXIT_OK;
	}
	if (info->outlet_count > 0) {
		/* A strip as a whole is on when any outlet is. */
		*ret_on = false;
		for (unsigned i = 0; i < info->outlet_count && i < KASA_OUTLETS_MAX; i++)
			*ret_on |= info->outlets[i].on;
		return KASACTL_EXIT_OK;
	}
	return ctl_error(c, "get_sysinfo: the reply has neither relay_state nor children");
}

/* Read sysinfo, then the relay state that toggle and check look at. */
static int load_state(struct ctl *c, bool *ret_on)
{
	struct kasa_sysinfo info;
	int r = ctl_load(c, &info);

	if (r == KASACTL_EXIT_OK)
		r = relay_state(c, &info, ret_on);
	return r;
}

static int print_state(const struct ctl *c, bool on)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;

	if (!c->json) {
		puts(on ? "ON" : "OFF");
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	if (!obj)
		return ctl_print_json(NULL);
	json_add(obj, "on", json_object_new_boolean(on));
	ctl_json_add_outlet(c, obj);
	return ctl_print_json(obj);
}

/* SMART: a request whose answer may carry no result, only its error_code;
 * built and req as simple_request(). */
static int smart_simple(struct ctl *c, int built, char *req, const char *method)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	struct json_object *result;
	int r;

	r = ctl_send(c, built, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_smart_result(reply, NULL, &result, &derr);
	if (r < 0)
		return ctl_device_error(c, method, r, &derr);
	return KASACTL_EXIT_OK;
}

/* SMART: set_device_info {"device_on": on}. */
static int smart_switch(struct ctl *c, bool on)
{
	char *req = NULL;
	int r = kasa_smart_req_device_on(on, NULL, &req);

	r = smart_simple(c, r, req, "set_device_info");
	if (r != KASACTL_EXIT_OK)
		return r;
	return print_state(c, on);
}

static int do_switch(struct ctl *c, bool on)
{
	char *req = NULL;
	int r;

	if (ctl_smart(c))
		return smart_switch(c, on);
	r = kasa_req_relay(ctl_child(c), on, &req);
	r = simple_request(c, r, req, "system", "set_relay_state");
	if (r != KASACTL_EXIT_OK)
		return r;
	return print_state(c, on);
}

int cmd_switch(struct ctl *c, bool on)
{
	struct kasa_sysinfo info;
	int r;

	/* The child id is built from the deviceId, which only sysinfo tells. */
	if (c->outlet >= 0) {
		r = ctl_load(c, &info);
		if (r != KASACTL_EXIT_OK)
			return r;
	}
	return do_switch(c, on);
}

int cmd_toggle(struct ctl *c)
{
	bool on;
	int r = load_state(c, &on);

	if (r != KASACTL_EXIT_OK)
		return r;
	return do_switch(c, !on);
}

int cmd_check(struct ctl *c)
{
	bool on;
	int r = load_state(c, &on);

	if (r != KASACTL_EXIT_OK)
		return r;
	return print_state(c, on);
}

/* "1 d 02:03:04" or "02:03:04". */
static void format_duration(int64_t s, char *buf, size_t size)
{
	if (s < 0) {
		snprintf(buf, size, "-");
		return;
	}
	if (s >= 86400)
		snprintf(buf, size, "%" PRId64 " d %02d:%02d:%02d", s / 86400,
			 (int)(s % 86400 / 3600), (int)(s % 3600 / 60), (int)(s % 60));
	else
		snprintf(buf, size, "%02d:%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60),
			 (int)(s % 60));
}

/* What status knows beyond struct kasa_sysinfo: whether it read the LED (a
 * SMART device may have none, or refuse get_led_info). */
struct status_extra {
	bool led_known;
};

static struct json_object *sysinfo_json(const struct kasa_sysinfo *info,
					const struct status_extra *x)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *outlets;

	if (!obj)
		return NULL;
	json_add(obj, "alias", json_object_new_string(info->alias));
	json_add(obj, "model", json_object_new_string(info->model));
	json_add(obj, "dev_name", json_object_new_string(info->dev_name));
	json_add(obj, "device_id", json_object_new_string(info->device_id));
	json_add(obj, "hw_id", json_object_new_string(info->hw_id));
	json_add(obj, "oem_id", json_object_new_string(info->oem_id));
	json_add(obj, "mac", json_object_new_string(info->mac));
	json_add(obj, "hw_ver", json_object_new_string(info->hw_ver));
	json_add(obj, "sw_ver", json_object_new_string(info->sw_ver));
	json_add(obj, "type", json_object_new_string(info->type));
	json_add(obj, "feature", json_object_new_string(info->feature));
	json_add(obj, "active_mode", json_object_new_string(info->active_mode));
	json_add(obj, "rssi", json_object_new_int(info->rssi));
	if (x->led_known)
		json_add(obj, "led_on", json_object_new_boolean(info->led_on));
	if (info->has_relay) {
		json_add(obj, "relay_on", json_object_new_boolean(info->relay_on));
		if (info->on_time >= 0)
			json_add(obj, "on_time", json_object_new_int64(info->on_time));
	}
	if (info->has_brightness)
		json_add(obj, "brightness", json_object_new_int(info->brightness));
	json_add(obj, "has_emeter", json_object_new_boolean(info->has_emeter));
	json_add(obj, "updating", json_object_new_boolean(info->updating));
	json_add(obj, "latitude", ctl_json_double(info->latitude));
	json_add(obj, "longitude", ctl_json_double(info->longitude));
	json_add(obj, "outlet_count", json_object_new_int((int)info->outlet_count));
	if (info->outlet_count == 0)
		return obj;

	outlets = json_object_new_array();
	if (!outlets) {
		json_object_put(obj);
		return NULL;
	}
	json_add(obj, "outlets", outlets);
	for (unsigned i = 0; i < info->outlet_count && i < KASA_OUTLETS_MAX; i++) {
		const struct kasa_outlet *o = &info->outlets[i];
		struct json_object *oj = json_object_new_object();
		char id[3 * KASA_ID_MAX]; /* each byte may become a 3-byte U+FFFD */

		if (!oj) {
			json_object_put(obj);
			return NULL;
		}
		json_object_array_add(outlets, oj);
		json_add(oj, "index", json_object_new_int((int)i));
		/* Kept as the device sent it, to address the outlet: JSON wants UTF-8. */
		kasa_utf8_copy(id, sizeof(id), o->id);
		json_add(oj, "id", json_object_new_string(id));
		json_add(oj, "alias", json_object_new_string(o->alias));
		json_add(oj, "on", json_object_new_boolean(o->on));
		if (o->on_time >= 0)
			json_add(oj, "on_time", json_object_new_int64(o->on_time));
		if (o->next_action[0]) {
			struct json_object *na = json_tokener_parse(o->next_action);

			json_add(oj, "next_action",
				 na ? na : json_object_new_string(o->next_action));
		}
	}
	return obj;
}

static void print_status(const struct kasa_sysinfo *info, const struct status_extra *x)
{
	char alias[sizeof(info->alias)], model[sizeof(info->model)], name[sizeof(info->dev_name)];
	char hw[sizeof(info->hw_ver)], sw[sizeof(info->sw_ver)], mac[sizeof(info->mac)];
	char feature[sizeof(info->feature)], id[sizeof(info->device_id)];
	char duration[48];

	ctl_sanitize(info->alias, alias, sizeof(alias));
	ctl_sanitize(info->model, model, sizeof(model));
	ctl_sanitize(info->dev_name, name, sizeof(name));
	ctl_sanitize(info->hw_ver, hw, sizeof(hw));
	ctl_sanitize(info->sw_ver, sw, sizeof(sw));
	ctl_sanitize(info->mac, mac, sizeof(mac));
	ctl_sanitize(info->feature, feature, sizeof(feature));
	ctl_sanitize(info->device_id, id, sizeof(id));

	printf("alias:     %s\n", alias);
	printf("model:     %s%s%s%s\n", model, name[0] ? " (" : "", name, name[0] ? ")" : "");
	printf("hardware:  %s\n", hw);
	printf("software:  %s\n", sw);
	printf("mac:       %s\n", mac);
	printf("device id: %s\n", id);
	printf("rssi:      %d dBm\n", info->rssi);
	if (x->led_known)
		printf("LED:       %s\n", info->led_on ? "on" : "off");
	else
		printf("LED:       (not reported)\n");
	if (info->has_relay) {
		format_duration(info->relay_on ? info->on_time : -1, duration, sizeof(duration));
		printf("relay:     %s\n", info->relay_on ? "ON" : "OFF");
		printf("on_time:   %s\n", duration);
	}
	if (info->has_brightness)
		printf("dimmer:    %d %%\n", info->brightness);
	if (feature[0])
		printf("feature:   %s%s\n", feature, info->has_emeter ? " (energy meter)" : "");
	else /* SMART has no feature string: component_nego said. */
		printf("feature:   %s\n", info->has_emeter ? "(energy meter)" : "-");
	if (info->updating)
		printf("updating:  yes\n");
	if (info->outlet_count == 0)
		return;

	printf("outlets:   %u\n", info->outlet_count);
	printf("  index  state  on_time        alias\n");
	for (unsigned i = 0; i < info->outlet_count && i < KASA_OUTLETS_MAX; i++) {
		const struct kasa_outlet *o = &info->outlets[i];

		ctl_sanitize(o->alias, alias, sizeof(alias));
		format_duration(o->on ? o->on_time : -1, duration, sizeof(duration));
		printf("  %-5u  %-5s  %-13s  %s\n", i, o->on ? "ON" : "OFF", duration, alias);
	}
}

/*
 * SMART: get_device_info, get_led_info and component_nego in one
 * multipleRequest; the device's answer, and whether it has an LED and a
 * meter.  A device that refuses the batch itself is asked get_device_info
 * alone.
 */
static int smart_status(struct ctl *c, struct kasa_sysinfo *ret_info, struct status_extra *ret_x)
{
	static const char *const methods[] = {"get_device_info", "get_led_info", "component_nego"};
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	struct json_object *result;
	char *req = NULL;
	bool led;
	int r;

	r = kasa_smart_req_multiple(methods, ARRAY_SIZE(methods), NULL, &req);
	r = ctl_send(c, r, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_smart_result(reply, NULL, &result, &derr);
	if (r == -ENOSYS || r == -EINVAL) {
		ret_x->led_known = false;
		return ctl_sysinfo(c, ret_info);
	}
	r = kasa_smart_sysinfo_parse(reply, ret_info, &derr);
	if (r < 0)
		return ctl_device_error(c, "get_device_info", r, &derr);
	/* Neither is needed for the rest: a refusal leaves them unknown. */
	ret_x->led_known = kasa_smart_led_parse(reply, &led, NULL) == 0;
	if (ret_x->led_known)
		ret_info->led_on = led;
	ret_info->has_emeter = kasa_smart_component(reply, "energy_monitoring", NULL, NULL) == 1;
	return KASACTL_EXIT_OK;
}

int cmd_status(struct ctl *c)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	struct status_extra x = {.led_known = true};
	struct kasa_sysinfo info;
	int r;

	r = ctl_smart(c) ? smart_status(c, &info, &x) : ctl_load(c, &info);
	if (r != KASACTL_EXIT_OK)
		return r;
	if (!c->json) {
		print_status(&info, &x);
		return KASACTL_EXIT_OK;
	}
	obj = sysinfo_json(&info, &x);
	return ctl_print_json(obj);
}

/* What a setting that went through prints: text, or {key: value} with
 * --json (value is taken either way). */
static int print_setting(const struct ctl *c, const char *text, const char *key,
			 struct json_object *value)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;

	if (!c->json) {
		json_object_put(value);
		puts(text);
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	if (obj)
		json_add(obj, key, value);
	else
		json_object_put(value);
	return ctl_print_json(obj);
}

int cmd_led(struct ctl *c, bool on)
{
	char *req = NULL;
	int r;

	if (ctl_smart(c)) {
		r = kasa_smart_req_led(on, NULL, &req);
		r = smart_simple(c, r, req, "set_led_info");
	} else {
		r = kasa_req_led(on, &req);
		r = simple_request(c, r, req, "system", "set_led_off");
	}
	if (r != KASACTL_EXIT_OK)
		return r;
	return print_setting(c, on ? "LED on" : "LED off", "led_on", json_object_new_boolean(on));
}

/* A dimmer's level; the relay stays as it is.  A plug refuses the module
 * (IOT), or may take the setting and keep nothing (SMART). */
int cmd_brightness(struct ctl *c, int level)
{
	char text[32];
	char *req = NULL;
	int r;

	if (ctl_smart(c)) {
		r = kasa_smart_req_brightness(level, NULL, &req);
		r = smart_simple(c, r, req, "set_device_info");
	} else {
		r = kasa_req_brightness(level, &req);
		r = simple_request(c, r, req, KASA_DIMMER_MODULE, "set_brightness");
	}
	if (r != KASACTL_EXIT_OK)
		return r;
	snprintf(text, sizeof(text), "brightness %d %%", level);
	return print_setting(c, text, "brightness", json_object_new_int(level));
}

int cmd_alias(struct ctl *c, const char *alias)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	struct kasa_sysinfo info;
	char safe[KASACTL_ALIAS_MAX + 1];
	char *req = NULL;
	int r;

	if (c->outlet >= 0) {
		r = ctl_load(c, &info);
		if (r != KASACTL_EXIT_OK)
			return r;
	}
	if (ctl_smart(c)) {
		r = kasa_smart_req_nickname(alias, NULL, &req);
		r = smart_simple(c, r, req, "set_device_info");
	} else {
		r = kasa_req_alias(ctl_child(c), alias, &req);
		r = simple_request(c, r, req, "system", "set_dev_alias");
	}
	if (r != KASACTL_EXIT_OK)
		return r;
	if (!c->json) {
		ctl_sanitize(alias, safe, sizeof(safe));
		printf("alias: %s\n", safe);
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	if (!obj)
		return ctl_print_json(NULL);
	json_add(obj, "alias", json_object_new_string(alias));
	ctl_json_add_outlet(c, obj);
	return ctl_print_json(obj);
}

int cmd_reboot(struct ctl *c)
{
	/* A delay of 0 may reboot before the reply is sent (PROTOCOL.md). */
	char *req = NULL;
	int r;

	if (ctl_smart(c)) {
		r = kasa_smart_req_reboot(NULL, &req);
		r = smart_simple(c, r, req, "device_reboot");
	} else {
		r = kasa_req_reboot(1, &req);
		r = simple_request(c, r, req, "system", "reboot");
	}
	if (r != KASACTL_EXIT_OK)
		return r;
	return print_setting(c, "rebooting", "rebooting", json_object_new_boolean(true));
}

static int smart_time(struct ctl *c, struct kasa_smart_time *ret)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	char *req = NULL;
	int r;

	r = kasa_smart_req_device_time(NULL, &req);
	r = ctl_send(c, r, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_smart_time_parse(reply, ret, &derr);
	if (r < 0)
		return ctl_device_error(c, "get_device_time", r, &derr);
	return KASACTL_EXIT_OK;
}

static int iot_time(struct ctl *c, struct kasa_time *ret)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	char *req = NULL;
	int r;

	r = kasa_req_time(&req);
	r = ctl_send(c, r, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_time_parse(reply, ret, &derr);
	if (r < 0)
		return ctl_device_error(c, "get_time", r, &derr);
	return KASACTL_EXIT_OK;
}

/*
 * The device's wall clock, as IOT's get_time gives it; SMART's
 * get_device_time says more: the UTC time (timestamp), the offset and the
 * zone, printed after it ("+0100 Europe/Berlin").
 */
int cmd_time(struct ctl *c)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	struct kasa_smart_time st = {0};
	struct kasa_time t;
	bool smart = ctl_smart(c);
	char region[sizeof(st.region)];
	int r, off;

	r = smart ? smart_time(c, &st) : iot_time(c, &t);
	if (r != KASACTL_EXIT_OK)
		return r;
	if (smart)
		t = st.local;
	if (!c->json) {
		printf("%04d-%02d-%02d %02d:%02d:%02d", t.year, t.month, t.mday, t.hour, t.min,
		       t.sec);
		if (smart) {
			off = st.time_diff_min < 0 ? -st.time_diff_min : st.time_diff_min;
			ctl_sanitize(st.region, region, sizeof(region));
			printf(" %c%02d%02d%s%s", st.time_diff_min < 0 ? '-' : '+', off / 60,
			       off % 60, region[0] ? " " : "", region);
		}
		putchar('\n');
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	if (!obj)
		return ctl_print_json(NULL);
	json_add(obj, "year", json_object_new_int(t.year));
	json_add(obj, "month", json_object_new_int(t.month));
	json_add(obj, "mday", json_object_new_int(t.mday));
	json_add(obj, "hour", json_object_new_int(t.hour));
	json_add(obj, "min", json_object_new_int(t.min));
	json_add(obj, "sec", json_object_new_int(t.sec));
	if (smart) {
		json_add(obj, "timestamp", json_object_new_int64(st.timestamp));
		json_add(obj, "time_diff", json_object_new_int(st.time_diff_min));
		json_add(obj, "region", json_object_new_string(st.region));
	}
	return ctl_print_json(obj);
}

/* The first non-zero err_code at the top, module or method level, and its err_msg. */
static bool find_device_error(struct json_object *obj, int depth, struct kasa_device_error *ret)
{
	struct json_object *code, *msg;

	if (!json_object_is_type(obj, json_type_object))
		return false;
	if (json_object_object_get_ex(obj, "err_code", &code) && json_object_get_int(code) != 0) {
		ret->code = json_object_get_int(code);
		ret->msg[0] = '\0';
		if (json_object_object_get_ex(obj, "err_msg", &msg))
			snprintf(ret->msg, sizeof(ret->msg), "%s", json_object_get_string(msg));
		return true;
	}
	if (depth >= 2)
		return false;
	json_object_object_foreach(obj, key, val)
	{
		(void)key;
		if (find_device_error(val, depth + 1, ret))
			return true;
	}
	return false;
}

int cmd_raw(struct ctl *c, const char *json)
{
	_cleanup_(json_object_putp) struct json_object *parsed = json_tokener_parse(json);
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	_cleanup_free_ char *req = NULL;
	struct kasa_device_error derr;
	struct kasa_sysinfo info;
	const char *out;
	int r;

	if (!json_object_is_type(parsed, json_type_object))
		return ctl_usage_error("raw: the request is not a JSON object: %s", json);
	if (c->outlet >= 0) {
		r = ctl_load(c, &info);
		if (r != KASACTL_EXIT_OK)
			return r;
		r = kasa_req_with_context(json, c->child_id, &req);
		if (r < 0)
			return ctl_build_error(c, r);
	} else {
		req = strdup(json_object_to_json_string_ext(
			parsed, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	r = ctl_call(c, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;

	out = json_object_to_json_string_ext(
		reply, (c->json ? JSON_C_TO_STRING_PLAIN
				: JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) |
			       JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!out)
		return ctl_print_json(NULL);
	puts(out);
	if (ctl_smart(c)) {
		struct json_object *result;

		/* A top-level error_code (multipleRequest's entries are the caller's). */
		r = kasa_smart_result(reply, NULL, &result, &derr);
		if (r < 0 && derr.code != 0)
			return ctl_device_error(c, "raw", r, &derr);
		return KASACTL_EXIT_OK;
	}
	if (find_device_error(reply, 0, &derr))
		return ctl_device_error(c, "raw", kasa_device_errno(derr.code), &derr);
	return KASACTL_EXIT_OK;
}
