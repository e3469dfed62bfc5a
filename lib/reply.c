/* SPDX-License-Identifier: MIT */
/* Reply parsing: error checks at both levels, and the results normalised into plain structs. */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa-private.h"

/* Real replies nest four or five levels; anything deeper is not from a plug. */
#define REPLY_DEPTH_MAX 16
/* Beyond this a relay's on_time (136 years) says the plug's clock is wrong. */
#define ON_TIME_MAX INT64_C(4294967295)

/*
 * Copy src into dst[size] byte for byte, cut if need be before a whole
 * UTF-8 sequence.  Only for outlet ids, which go back to the plug as they
 * came: anything else goes through kasa_utf8_copy().
 */
static void copy_raw(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	if (src[n] != '\0')
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Copy a string member as the plug sent it; see copy_raw(). */
static bool get_raw_str(struct json_object *obj, const char *key, char *dst, size_t size)
{
	struct json_object *v = kasa_json_typed(obj, key, json_type_string);

	if (!v)
		return false;
	copy_raw(dst, size, json_object_get_string(v));
	return true;
}

static bool get_int(struct json_object *obj, const char *key, int *ret)
{
	int64_t v;

	if (!kasa_json_int64(obj, key, &v) || v < INT_MIN || v > INT_MAX)
		return false;
	*ret = (int)v;
	return true;
}

/*
 * Any finite number member.  The bound keeps later scaling by 1000 and
 * conversion to int64_t well defined whatever a peer sends.
 */
static bool get_number(struct json_object *obj, const char *key, double *ret)
{
	struct json_object *v;
	double d;

	if (!json_object_object_get_ex(obj, key, &v))
		return false;
	if (json_object_is_type(v, json_type_int))
		d = (double)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double))
		d = json_object_get_double(v);
	else
		return false;
	/* Written so that NaN fails too. */
	if (!(d >= -1e15 && d <= 1e15))
		return false;
	*ret = d;
	return true;
}

/* A reading in A, V, W or kWh as mA, mV, mW or Wh. */
static int64_t milli(double x)
{
	return kasa_round_i64(x * 1000.0);
}

KASA_EXPORT int kasa_reply_parse(const char *json, size_t len, struct json_object **ret_reply)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;

	if (!json)
		return -EINVAL;
	if (len > INT_MAX)
		return -EMSGSIZE;
	/* No plug sends a NUL; json-c would stop there and see the rest as trailing bytes. */
	if (memchr(json, '\0', len))
		return -EBADMSG;

	tok = json_tokener_new_ex(REPLY_DEPTH_MAX);
	if (!tok)
		return -ENOMEM;
	obj = json_tokener_parse_ex(tok, json, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj)
		return -EBADMSG;

	while (end < len && strchr(" \t\r\n", json[end]))
		end++;
	if (end != len || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return -EBADMSG;
	}
	*ret_reply = obj;
	return 0;
}

KASA_EXPORT int kasa_device_errno(int err_code)
{
	switch (err_code) {
	case 0:
		return 0;
	case -1:
		return -ENOTSUP;
	case -2:
		return -ENOSYS;
	case -3:
		return -EINVAL;
	case -10:
		return -ENOSPC;
	case -14:
		return -ENOENT;
	default:
		return -EREMOTEIO;
	}
}

/*
 * The device error held by obj (a module or method object): 0 when none,
 * a -errno from kasa_device_errno(), or -EBADMSG for an err_code that is
 * not an integer.
 */
static int check_err(struct json_object *obj, bool module_level, struct kasa_device_error *ret_err)
{
	int64_t code;

	if (!json_object_object_get_ex(obj, "err_code", NULL))
		return 0;
	if (!kasa_json_int64(obj, "err_code", &code))
		return -EBADMSG;
	if (code == 0)
		return 0;
	/* Keep out-of-range codes non-zero when narrowing them. */
	if (code < INT_MIN || code > INT_MAX)
		code = INT_MIN;

	if (ret_err) {
		memset(ret_err, 0, sizeof(*ret_err));
		ret_err->code = (int)code;
		ret_err->module_level = module_level;
		kasa_json_str(obj, "err_msg", ret_err->msg, sizeof(ret_err->msg));
	}
	return kasa_device_errno((int)code);
}

KASA_EXPORT int kasa_reply_result(struct json_object *reply, const char *module, const char *method,
				  struct json_object **ret_result,
				  struct kasa_device_error *ret_err)
{
	struct json_object *mod, *res;
	int r;

	if (!reply || !module || !method || !json_object_is_type(reply, json_type_object))
		return -EBADMSG;

	mod = kasa_json_typed(reply, module, json_type_object);
	if (!mod) {
		/* Some firmware answers a request it cannot take at all with a bare error. */
		r = check_err(reply, true, ret_err);
		return r < 0 ? r : -EBADMSG;
	}
	r = check_err(mod, true, ret_err);
	if (r < 0)
		return r;

	res = kasa_json_typed(mod, method, json_type_object);
	if (!res)
		return -EBADMSG;
	r = check_err(res, false, ret_err);
	if (r < 0)
		return r;

	if (ret_err)
		memset(ret_err, 0, sizeof(*ret_err));
	*ret_result = res;
	return 0;
}

/* True when name is one of the colon-separated features ("TIM:ENE"), not just a substring. */
static bool has_feature(const char *features, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = features; *p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		if (!colon)
			break;
		p = colon + 1;
	}
	return false;
}

/*
 * next_action as compact JSON; left "" rather than cut into invalid JSON
 * when too long.  Bytes over 0x7f only occur inside its strings, so
 * replacing the ill-formed ones keeps it JSON.
 */
static void get_json_text(struct json_object *obj, const char *key, char *dst, size_t size)
{
	struct json_object *v;
	const char *s;
	size_t need = 0;

	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return;
	s = json_object_to_json_string_ext(v,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return;
	/* Its length once each ill-formed byte became a 3-byte U+FFFD. */
	for (const char *p = s; *p;) {
		size_t n = kasa_utf8_char_len(p);

		need += n ? n : 3;
		p += n ? n : 1;
	}
	if (need < size)
		kasa_utf8_copy(dst, size, s);
}

/* Seconds the relay has been on; -1 (not known) when absent or implausible. */
static int64_t get_on_time(struct json_object *obj)
{
	int64_t v;

	if (!kasa_json_int64(obj, "on_time", &v) || v < 0 || v > ON_TIME_MAX)
		return -1;
	return v;
}

/*
 * More outlets than fit is a plug we do not know (real strips have up to
 * six), not an oversized reply: the frame itself may be small.
 */
static int too_many_outlets(int64_t n, struct kasa_device_error *ret_err)
{
	return kasa_bad_reply(ret_err, "it reports %" PRId64 " outlets, at most %d are supported",
			      n, KASA_OUTLETS_MAX);
}

static int parse_outlets(struct json_object *info, struct kasa_sysinfo *si,
			 struct kasa_device_error *ret_err)
{
	struct json_object *children = kasa_json_typed(info, "children", json_type_array);
	int64_t child_num;
	size_t n;

	if (kasa_json_int64(info, "child_num", &child_num) && child_num > KASA_OUTLETS_MAX)
		return too_many_outlets(child_num, ret_err);
	if (!children)
		return 0;
	n = json_object_array_length(children);
	if (n > KASA_OUTLETS_MAX)
		return too_many_outlets((int64_t)n, ret_err);

	for (size_t i = 0; i < n; i++) {
		struct json_object *child = json_object_array_get_idx(children, i);
		struct kasa_outlet *o = &si->outlets[i];
		int64_t v;

		/* A malformed entry keeps its place so indices still match the device's. */
		o->on_time = -1;
		if (!json_object_is_type(child, json_type_object))
			continue;
		/* The id addresses the outlet: it must go back exactly as it came. */
		get_raw_str(child, "id", o->id, sizeof(o->id));
		kasa_json_str(child, "alias", o->alias, sizeof(o->alias));
		if (kasa_json_int64(child, "state", &v))
			o->on = v != 0;
		o->on_time = get_on_time(child);
		get_json_text(child, "next_action", o->next_action, sizeof(o->next_action));
	}
	si->outlet_count = (unsigned)n;
	return 0;
}

KASA_EXPORT int kasa_sysinfo_parse(struct json_object *reply, struct kasa_sysinfo *ret,
				   struct kasa_device_error *ret_err)
{
	struct kasa_sysinfo si = {0};
	struct json_object *info, *nested;
	int64_t v;
	double d;
	int r;

	r = kasa_reply_result(reply, "system", "get_sysinfo", &info, ret_err);
	if (r < 0)
		return r;
	nested = kasa_json_typed(info, "system", json_type_object);
	if (nested)
		info = nested;

	/* Without an id the reply cannot be tied to a device (or its outlets). */
	if (!kasa_json_str(info, "deviceId", si.device_id, sizeof(si.device_id)) ||
	    !si.device_id[0])
		return -EBADMSG;

	kasa_json_str(info, "alias", si.alias, sizeof(si.alias));
	kasa_json_str(info, "model", si.model, sizeof(si.model));
	kasa_json_str(info, "dev_name", si.dev_name, sizeof(si.dev_name));
	kasa_json_str(info, "hwId", si.hw_id, sizeof(si.hw_id));
	kasa_json_str(info, "oemId", si.oem_id, sizeof(si.oem_id));
	if (!kasa_json_str(info, "mac", si.mac, sizeof(si.mac)))
		kasa_json_str(info, "mic_mac", si.mac, sizeof(si.mac));
	kasa_json_str(info, "hw_ver", si.hw_ver, sizeof(si.hw_ver));
	kasa_json_str(info, "sw_ver", si.sw_ver, sizeof(si.sw_ver));
	if (!kasa_json_str(info, "type", si.type, sizeof(si.type)))
		kasa_json_str(info, "mic_type", si.type, sizeof(si.type));
	kasa_json_str(info, "feature", si.feature, sizeof(si.feature));
	kasa_json_str(info, "active_mode", si.active_mode, sizeof(si.active_mode));

	get_int(info, "rssi", &si.rssi);
	/* The LED is on unless the device says otherwise. */
	si.led_on = !(kasa_json_int64(info, "led_off", &v) && v != 0);
	if (kasa_json_int64(info, "relay_state", &v)) {
		si.has_relay = true;
		si.relay_on = v != 0;
	}
	si.on_time = get_on_time(info);
	si.has_emeter = has_feature(si.feature, "ENE");
	r = kasa_json_percent(info, "brightness", &si.brightness, ret_err);
	if (r < 0)
		return r;
	si.has_brightness = r > 0;
	if (kasa_json_int64(info, "updating", &v))
		si.updating = v != 0;

	if (get_number(info, "latitude_i", &d))
		si.latitude = d / 10000.0;
	else if (get_number(info, "latitude", &d))
		si.latitude = d;
	if (get_number(info, "longitude_i", &d))
		si.longitude = d / 10000.0;
	else if (get_number(info, "longitude", &d))
		si.longitude = d;

	r = parse_outlets(info, &si, ret_err);
	if (r < 0)
		return r;

	*ret = si;
	return 0;
}

/*
 * The most a reading may be, in either direction, in the old style's units
 * (W, V, A, kWh): far beyond any plug, yet enough to tell a wrong number
 * from a real one.  The new style's are a thousand times that (mW and so on).
 */
#define POWER_MAX   1e6
#define VOLTAGE_MAX 1e4
#define CURRENT_MAX 1e5
#define TOTAL_MAX   1e9

static int emeter_from_result(struct json_object *result, struct kasa_emeter *ret,
			      struct kasa_device_error *ret_err)
{
	/* New style first: its integers are exact where the old floats are not. */
	static const char *const new_keys[] = {"power_mw", "voltage_mv", "current_ma", "total_wh"};
	static const char *const old_keys[] = {"power", "voltage", "current", "total"};
	static const double max[] = {POWER_MAX, VOLTAGE_MAX, CURRENT_MAX, TOTAL_MAX};
	struct kasa_emeter em = {.slot_id = -1};
	int64_t *ints[] = {&em.power_mw, &em.voltage_mv, &em.current_ma, &em.total_wh};
	double *reals[] = {&em.power_w, &em.voltage_v, &em.current_a, &em.total_kwh};
	unsigned found = 0;
	double d;
	int r;

	if (!result || !json_object_is_type(result, json_type_object))
		return -EBADMSG;

	for (size_t i = 0; i < ARRAY_SIZE(new_keys); i++) {
		r = kasa_json_reading(result, new_keys[i], max[i] * 1000.0, &d, ret_err);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		*ints[i] = kasa_round_i64(d);
		*reals[i] = (double)*ints[i] / 1000.0;
		found++;
	}
	em.new_style = found > 0;
	if (!found) {
		for (size_t i = 0; i < ARRAY_SIZE(old_keys); i++) {
			r = kasa_json_reading(result, old_keys[i], max[i], &d, ret_err);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			*reals[i] = d;
			*ints[i] = milli(d);
			found++;
		}
	}
	if (!found)
		return kasa_bad_reply(ret_err, "no reading in get_realtime");

	get_int(result, "slot_id", &em.slot_id);
	*ret = em;
	return 0;
}

KASA_EXPORT int kasa_emeter_from_result(struct json_object *result, struct kasa_emeter *ret)
{
	return emeter_from_result(result, ret, NULL);
}

KASA_EXPORT int kasa_emeter_parse(struct json_object *reply, struct kasa_emeter *ret,
				  struct kasa_device_error *ret_err)
{
	struct json_object *result;
	int r;

	r = kasa_reply_result(reply, "emeter", "get_realtime", &result, ret_err);
	if (r < 0)
		return r;
	return emeter_from_result(result, ret, ret_err);
}

static bool leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

/*
 * One day_list or month_list entry of the period asked for (month 0: a
 * whole year).  Every field the device always sends is required.  Returns
 * 1 when taken, 0 when the entry is for another period or a date that does
 * not exist (dropped: the rest of the list is still good), or -EBADMSG.
 */
static int parse_stat(struct json_object *entry, int year, int month, struct kasa_stat *ret,
		      struct kasa_device_error *ret_err)
{
	struct kasa_stat st = {0};
	double d;
	int r;

	if (!json_object_is_type(entry, json_type_object))
		return kasa_bad_reply(ret_err, "a statistics entry is not an object");
	if (!get_int(entry, "year", &st.year) || !get_int(entry, "month", &st.month))
		return kasa_bad_reply(ret_err, "a statistics entry has no year or month");
	if (month && !get_int(entry, "day", &st.day))
		return kasa_bad_reply(ret_err, "a statistics entry has no day");

	if (st.year != year || st.month < 1 || st.month > 12)
		return 0;
	if (month && (st.month != month || st.day < 1 || st.day > days_in_month(year, month)))
		return 0;

	/* A day or month of energy is bounded as the meter's running total is. */
	r = kasa_json_reading(entry, "energy_wh", TOTAL_MAX * 1000.0, &d, ret_err);
	if (r > 0) {
		st.energy_wh = kasa_round_i64(d);
		st.energy_kwh = (double)st.energy_wh / 1000.0;
	} else if (r == 0 && (r = kasa_json_reading(entry, "energy", TOTAL_MAX, &d, ret_err)) > 0) {
		st.energy_kwh = d;
		st.energy_wh = milli(d);
	}
	if (r < 0)
		return r;
	if (r == 0)
		return kasa_bad_reply(ret_err, "a statistics entry has no energy");
	*ret = st;
	return 1;
}

static int parse_stats(struct json_object *reply, const char *method, const char *list_key,
		       int year, int month, struct kasa_stats *ret,
		       struct kasa_device_error *ret_err)
{
	struct kasa_stats stats = {0};
	struct json_object *result, *list;
	size_t n;
	int r;

	r = kasa_reply_result(reply, "emeter", method, &result, ret_err);
	if (r < 0)
		return r;
	list = kasa_json_typed(result, list_key, json_type_array);
	if (!list)
		return kasa_bad_reply(ret_err, "%s has no %s", method, list_key);
	n = json_object_array_length(list);

	for (size_t i = 0; i < n; i++) {
		struct kasa_stat st;

		r = parse_stat(json_object_array_get_idx(list, i), year, month, &st, ret_err);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		/* More than a period has days or months: the plug repeats itself. */
		if (stats.count == KASA_STATS_MAX)
			return kasa_bad_reply(ret_err, "%s has over %d entries for the period",
					      list_key, KASA_STATS_MAX);
		stats.entries[stats.count++] = st;
	}
	*ret = stats;
	return 0;
}

KASA_EXPORT int kasa_daystat_parse(struct json_object *reply, int year, int month,
				   struct kasa_stats *ret, struct kasa_device_error *ret_err)
{
	if (month < 1 || month > 12)
		return -EINVAL;
	return parse_stats(reply, "get_daystat", "day_list", year, month, ret, ret_err);
}

KASA_EXPORT int kasa_monthstat_parse(struct json_object *reply, int year, struct kasa_stats *ret,
				     struct kasa_device_error *ret_err)
{
	return parse_stats(reply, "get_monthstat", "month_list", year, 0, ret, ret_err);
}

KASA_EXPORT int kasa_time_parse(struct json_object *reply, struct kasa_time *ret,
				struct kasa_device_error *ret_err)
{
	struct json_object *result;
	struct kasa_time t;
	int r;

	r = kasa_reply_result(reply, "time", "get_time", &result, ret_err);
	if (r < 0)
		return r;
	if (!get_int(result, "year", &t.year) || !get_int(result, "month", &t.month) ||
	    !get_int(result, "mday", &t.mday) || !get_int(result, "hour", &t.hour) ||
	    !get_int(result, "min", &t.min) || !get_int(result, "sec", &t.sec))
		return -EBADMSG;
	/* A clock that lost power restarts somewhere sane; nonsense fields mean a bad reply. */
	if (t.month < 1 || t.month > 12 || t.mday < 1 || t.mday > 31 || t.hour < 0 || t.hour > 23 ||
	    t.min < 0 || t.min > 59 || t.sec < 0 || t.sec > 60)
		return -EBADMSG;
	*ret = t;
	return 0;
}
