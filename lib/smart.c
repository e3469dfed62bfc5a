/* SPDX-License-Identifier: MIT */
/*
 * SMART JSON, the payload of Tapo and newer Kasa firmware over KLAP v2:
 * request builders, the error_code check, and replies normalised into the
 * structs the IOT parsers fill (reply.c), with the same rules: readings in
 * range, text well-formed UTF-8.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <nettle/base64.h>

#include "kasa-private.h"

/* No method name comes near this; it bounds what a caller may send. */
#define METHOD_MAX 63
/* The most a caller may hand to kasa_smart_req() as params. */
#define PARAMS_MAX (64 * 1024)
#define UUID_LEN   16
/* As reply.c: beyond this on_time (136 years) says the clock is wrong. */
#define ON_TIME_MAX INT64_C(4294967295)
/* The IOT parsers' bounds (reply.c), in W and kWh. */
#define POWER_MAX 1e6
#define TOTAL_MAX 1e9
/* The last second of 9999 (as the IOT clock's years), and a day in minutes:
 * beyond them a clock is broken. */
#define TIMESTAMP_MAX INT64_C(253402300799)
#define TIME_DIFF_MAX (24 * 60)
/* Minutes: far beyond a month's, yet a bound. */
#define RUNTIME_MAX 1e9

/* --- Requests ------------------------------------------------------------- */

static bool valid_method(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strnlen(s, METHOD_MAX + 1);
	if (len == 0 || len > METHOD_MAX)
		return false;
	/* Every method the devices know is a C-like name. */
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

/* Add key: v to obj, taking v even on failure. */
static int add(struct json_object *obj, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(obj, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_stamp(struct json_object *req, const struct kasa_smart_stamp *stamp)
{
	char uuid[BASE64_ENCODE_RAW_LENGTH(UUID_LEN) + 1];
	int r;

	if (!stamp)
		return 0;
	if (stamp->time_ms != 0) {
		r = add(req, "request_time_milis", json_object_new_int64(stamp->time_ms));
		if (r < 0)
			return r;
	}
	if (stamp->terminal_uuid) {
		base64_encode_raw(uuid, UUID_LEN, stamp->terminal_uuid);
		uuid[sizeof(uuid) - 1] = '\0';
		r = add(req, "terminal_uuid", json_object_new_string(uuid));
		if (r < 0)
			return r;
	}
	return 0;
}

/* {"method":..,"params":..,"request_time_milis":..,"terminal_uuid":..}; takes params. */
static int build(const char *method, struct json_object *params,
		 const struct kasa_smart_stamp *stamp, char **ret_json)
{
	struct json_object *req;
	const char *s;
	char *out;
	int r;

	req = json_object_new_object();
	if (!req) {
		json_object_put(params);
		return -ENOMEM;
	}
	r = add(req, "method", json_object_new_string(method));
	if (r == 0 && params)
		r = add(req, "params", params);
	else
		json_object_put(params);
	if (r == 0)
		r = add_stamp(req, stamp);
	if (r < 0) {
		json_object_put(req);
		return r;
	}
	s = json_object_to_json_string_ext(req,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	out = s ? strdup(s) : NULL;
	json_object_put(req);
	if (!out)
		return -ENOMEM;
	*ret_json = out;
	return 0;
}

KASA_EXPORT int kasa_smart_req(const char *method, const char *params,
			       const struct kasa_smart_stamp *stamp, char **ret_json)
{
	struct json_object *p = NULL;
	size_t len;
	int r;

	if (!valid_method(method))
		return -EINVAL;
	if (params) {
		len = strnlen(params, PARAMS_MAX + 1);
		if (len > PARAMS_MAX)
			return -EMSGSIZE;
		r = kasa_reply_parse(params, len, &p);
		if (r < 0)
			return r == -EBADMSG ? -EINVAL : r;
	}
	return build(method, p, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_device_info(const struct kasa_smart_stamp *stamp, char **ret_json)
{
	return build("get_device_info", NULL, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_device_on(bool on, const struct kasa_smart_stamp *stamp,
					 char **ret_json)
{
	struct json_object *params = json_object_new_object();

	if (!params)
		return -ENOMEM;
	if (add(params, "device_on", json_object_new_boolean(on)) < 0) {
		json_object_put(params);
		return -ENOMEM;
	}
	return build("set_device_info", params, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_energy_usage(const struct kasa_smart_stamp *stamp, char **ret_json)
{
	return build("get_energy_usage", NULL, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_current_power(const struct kasa_smart_stamp *stamp, char **ret_json)
{
	return build("get_current_power", NULL, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_component_nego(const struct kasa_smart_stamp *stamp, char **ret_json)
{
	return build("component_nego", NULL, stamp, ret_json);
}

/* params {key: v}, taking v; NULL on ENOMEM. */
static struct json_object *params_of(const char *key, struct json_object *v)
{
	struct json_object *params = json_object_new_object();

	if (!params) {
		json_object_put(v);
		return NULL;
	}
	if (add(params, key, v) < 0) {
		json_object_put(params);
		return NULL;
	}
	return params;
}

KASA_EXPORT int kasa_smart_req_nickname(const char *alias, const struct kasa_smart_stamp *stamp,
					char **ret_json)
{
	char b64[BASE64_ENCODE_RAW_LENGTH(KASA_ALIAS_LEN_MAX) + 1];
	struct json_object *params;
	size_t len;

	if (!kasa_alias_valid(alias))
		return -EINVAL;
	len = strlen(alias);
	base64_encode_raw(b64, len, (const uint8_t *)alias);
	b64[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
	params = params_of("nickname", json_object_new_string(b64));
	if (!params)
		return -ENOMEM;
	return build("set_device_info", params, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_led(bool on, const struct kasa_smart_stamp *stamp, char **ret_json)
{
	struct json_object *params =
		params_of("led_rule", json_object_new_string(on ? "always" : "never"));

	if (!params)
		return -ENOMEM;
	return build("set_led_info", params, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_brightness(int brightness, const struct kasa_smart_stamp *stamp,
					  char **ret_json)
{
	struct json_object *params;

	if (brightness < KASA_BRIGHTNESS_MIN || brightness > KASA_BRIGHTNESS_MAX)
		return -EINVAL;
	params = params_of("brightness", json_object_new_int(brightness));
	if (!params)
		return -ENOMEM;
	return build("set_device_info", params, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_reboot(const struct kasa_smart_stamp *stamp, char **ret_json)
{
	/* As on port 9999: with no delay the device may go before it answers. */
	struct json_object *params = params_of("delay", json_object_new_int(1));

	if (!params)
		return -ENOMEM;
	return build("device_reboot", params, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_device_time(const struct kasa_smart_stamp *stamp, char **ret_json)
{
	return build("get_device_time", NULL, stamp, ret_json);
}

KASA_EXPORT int kasa_smart_req_multiple(const char *const *methods, size_t n,
					const struct kasa_smart_stamp *stamp, char **ret_json)
{
	struct json_object *requests, *params;

	if (!methods || n == 0)
		return -EINVAL;
	if (n > KASA_SMART_MULTIPLE_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++)
		if (!valid_method(methods[i]) || strcmp(methods[i], "multipleRequest") == 0)
			return -EINVAL;

	requests = json_object_new_array();
	if (!requests)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = params_of("method", json_object_new_string(methods[i]));

		if (!e || json_object_array_add(requests, e) < 0) {
			json_object_put(e);
			json_object_put(requests);
			return -ENOMEM;
		}
	}
	params = params_of("requests", requests);
	if (!params)
		return -ENOMEM;
	return build("multipleRequest", params, stamp, ret_json);
}

/* --- Errors and results ----------------------------------------------------- */

KASA_EXPORT int kasa_smart_errno(int error_code)
{
	switch (error_code) {
	case 0:
		return 0;
	case -1002: /* unknown method */
		return -ENOSYS;
	case -1003: /* it could not read our JSON */
	case -1008: /* bad parameters */
		return -EINVAL;
	case -1501: /* login */
	case -1005:
	case -40412:
	case 1003:
	case 1100:
	case 1111:
		return -EACCES;
	case 9999:   /* session timeout */
	case -40401: /* session expired */
	case -40413: /* invalid nonce */
		return -EKEYEXPIRED;
	default:
		return -EREMOTEIO;
	}
}

/*
 * The error of obj (a reply, or one entry of a multipleRequest's): 0, a
 * -errno from kasa_smart_errno() with ret_err filled, or -EBADMSG when
 * error_code is missing or not an integer.
 */
static int check_error(struct json_object *obj, struct kasa_device_error *ret_err)
{
	struct json_object *v = kasa_json_typed(obj, "error_code", json_type_int);
	int64_t code;

	if (!v)
		return kasa_bad_reply(ret_err, "error_code is missing or not an integer");
	code = json_object_get_int64(v);
	if (code == 0)
		return 0;
	if (code < INT_MIN || code > INT_MAX)
		code = INT_MIN;
	if (ret_err) {
		memset(ret_err, 0, sizeof(*ret_err));
		ret_err->code = (int)code;
		kasa_json_str(obj, "msg", ret_err->msg, sizeof(ret_err->msg));
	}
	return kasa_smart_errno((int)code);
}

/* obj's result: NULL when absent, -EBADMSG when not an object. */
static int get_result(struct json_object *obj, struct json_object **ret_result,
		      struct kasa_device_error *ret_err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, "result", &v) || !v) {
		*ret_result = NULL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return kasa_bad_reply(ret_err, "result is not an object");
	*ret_result = v;
	return 0;
}

KASA_EXPORT int kasa_smart_result(struct json_object *reply, const char *method,
				  struct json_object **ret_result,
				  struct kasa_device_error *ret_err)
{
	struct json_object *result, *responses;
	size_t n;
	int r;

	if (!reply || !json_object_is_type(reply, json_type_object))
		return -EBADMSG;
	r = check_error(reply, ret_err);
	if (r < 0)
		return r;
	r = get_result(reply, &result, ret_err);
	if (r < 0)
		return r;

	responses = result ? kasa_json_typed(result, "responses", json_type_array) : NULL;
	if (responses) {
		n = json_object_array_length(responses);
		for (size_t i = 0; method && i < n; i++) {
			struct json_object *e = json_object_array_get_idx(responses, i);
			struct json_object *m = kasa_json_typed(e, "method", json_type_string);

			if (!m || strcmp(json_object_get_string(m), method) != 0)
				continue;
			r = check_error(e, ret_err);
			if (r < 0)
				return r;
			r = get_result(e, &result, ret_err);
			if (r < 0)
				return r;
			goto found;
		}
		return kasa_bad_reply(ret_err, "no response to %.32s", method ? method : "(none)");
	}
found:
	if (ret_err)
		memset(ret_err, 0, sizeof(*ret_err));
	*ret_result = result;
	return 0;
}

/* The result of method, which must be an object. */
static int need_result(struct json_object *reply, const char *method,
		       struct json_object **ret_result, struct kasa_device_error *ret_err)
{
	struct json_object *result = NULL;
	int r;

	r = kasa_smart_result(reply, method, &result, ret_err);
	if (r < 0)
		return r;
	if (!result)
		return kasa_bad_reply(ret_err, "%s has no result", method);
	*ret_result = result;
	return 0;
}

/* --- get_device_info ------------------------------------------------------ */

/* Well-formed UTF-8 through and through (no NUL within len bytes). */
static bool utf8_text(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (s[i] == '\0' || !(n = kasa_utf8_char_len(s + i)))
			return false;
	return true;
}

/*
 * The nickname is base64 of the name as the app took it, UTF-8.  Text that
 * does not decode to such a name (not base64, or bytes no name has) is not
 * base64 at all: it is kept as the text it is.
 */
static void copy_nickname(char *dst, size_t size, const char *src)
{
	struct base64_decode_ctx ctx;
	size_t len = strlen(src), out_len = 0;
	_cleanup_free_ char *out = malloc(BASE64_DECODE_LENGTH(len) + 1);

	base64_decode_init(&ctx);
	if (out && len % 4 == 0 && base64_decode_update(&ctx, &out_len, (uint8_t *)out, len, src) &&
	    base64_decode_final(&ctx)) {
		out[out_len] = '\0';
		if (utf8_text(out, out_len)) {
			kasa_utf8_copy(dst, size, out);
			return;
		}
	}
	kasa_utf8_copy(dst, size, src);
}

KASA_EXPORT int kasa_smart_sysinfo_parse(struct json_object *reply, struct kasa_sysinfo *ret,
					 struct kasa_device_error *ret_err)
{
	struct kasa_sysinfo si = {0};
	struct json_object *info = NULL, *v;
	int64_t n;
	int r;

	r = need_result(reply, "get_device_info", &info, ret_err);
	if (r < 0)
		return r;
	/* Without an id the reply cannot be tied to a device. */
	if (!kasa_json_str(info, "device_id", si.device_id, sizeof(si.device_id)) ||
	    !si.device_id[0])
		return kasa_bad_reply(ret_err, "get_device_info has no device_id");

	v = kasa_json_typed(info, "nickname", json_type_string);
	if (v)
		copy_nickname(si.alias, sizeof(si.alias), json_object_get_string(v));
	v = kasa_json_typed(info, "mac", json_type_string);
	if (v)
		kasa_mac_copy(si.mac, sizeof(si.mac), json_object_get_string(v));
	kasa_json_str(info, "model", si.model, sizeof(si.model));
	kasa_json_str(info, "hw_id", si.hw_id, sizeof(si.hw_id));
	kasa_json_str(info, "oem_id", si.oem_id, sizeof(si.oem_id));
	kasa_json_str(info, "hw_ver", si.hw_ver, sizeof(si.hw_ver));
	kasa_json_str(info, "fw_ver", si.sw_ver, sizeof(si.sw_ver));
	kasa_json_str(info, "type", si.type, sizeof(si.type));

	if (kasa_json_int64(info, "rssi", &n) && n >= INT_MIN && n <= INT_MAX)
		si.rssi = (int)n;
	/* get_device_info has no LED; it is on unless get_led_info says otherwise. */
	si.led_on = true;
	v = kasa_json_typed(info, "device_on", json_type_boolean);
	if (v) {
		si.has_relay = true;
		si.relay_on = json_object_get_boolean(v);
	}
	si.on_time = -1;
	if (kasa_json_int64(info, "on_time", &n) && n >= 0 && n <= ON_TIME_MAX)
		si.on_time = n;
	if (kasa_json_int64(info, "latitude", &n) && n >= -900000 && n <= 900000)
		si.latitude = (double)n / 10000.0;
	if (kasa_json_int64(info, "longitude", &n) && n >= -1800000 && n <= 1800000)
		si.longitude = (double)n / 10000.0;
	r = kasa_json_percent(info, "brightness", &si.brightness, ret_err);
	if (r < 0)
		return r;
	si.has_brightness = r > 0;

	*ret = si;
	return 0;
}

/* --- Energy ------------------------------------------------------------------ */

/* An optional whole reading (Wh, minutes): -1 when absent. */
static int get_count(struct json_object *obj, const char *key, double max, int64_t *ret,
		     struct kasa_device_error *ret_err)
{
	double d;
	int r = kasa_json_reading(obj, key, max, &d, ret_err);

	if (r < 0)
		return r;
	*ret = r > 0 ? kasa_round_i64(d) : -1;
	return 0;
}

KASA_EXPORT int kasa_smart_energy_parse(struct json_object *reply, struct kasa_emeter *ret_emeter,
					struct kasa_smart_energy *ret_energy,
					struct kasa_device_error *ret_err)
{
	struct kasa_emeter em = {.slot_id = -1, .new_style = true};
	struct kasa_smart_energy en;
	const struct {
		const char *key;
		double max;
		int64_t *ret;
	} counts[] = {
		{"today_energy", TOTAL_MAX * 1000.0, &en.today_wh},
		{"month_energy", TOTAL_MAX * 1000.0, &en.month_wh},
		{"today_runtime", RUNTIME_MAX, &en.today_runtime_min},
		{"month_runtime", RUNTIME_MAX, &en.month_runtime_min},
	};
	struct json_object *result = NULL;
	double d;
	int r;

	r = need_result(reply, "get_energy_usage", &result, ret_err);
	if (r < 0)
		return r;
	r = kasa_json_reading(result, "current_power", POWER_MAX * 1000.0, &d, ret_err);
	if (r < 0)
		return r;
	if (r == 0)
		return kasa_bad_reply(ret_err, "get_energy_usage has no current_power");
	em.power_mw = kasa_round_i64(d);
	em.power_w = (double)em.power_mw / 1000.0;

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		r = get_count(result, counts[i].key, counts[i].max, counts[i].ret, ret_err);
		if (r < 0)
			return r;
	}

	*ret_emeter = em;
	if (ret_energy)
		*ret_energy = en;
	return 0;
}

KASA_EXPORT int kasa_smart_power_parse(struct json_object *reply, struct kasa_emeter *ret,
				       struct kasa_device_error *ret_err)
{
	struct kasa_emeter em = {.slot_id = -1};
	struct json_object *result = NULL;
	double d;
	int r;

	r = need_result(reply, "get_current_power", &result, ret_err);
	if (r < 0)
		return r;
	r = kasa_json_reading(result, "current_power", POWER_MAX, &d, ret_err);
	if (r < 0)
		return r;
	if (r == 0)
		return kasa_bad_reply(ret_err, "get_current_power has no current_power");
	em.power_w = d;
	em.power_mw = kasa_round_i64(d * 1000.0);
	*ret = em;
	return 0;
}

KASA_EXPORT int kasa_smart_component(struct json_object *reply, const char *id, int *ret_ver_code,
				     struct kasa_device_error *ret_err)
{
	struct json_object *result = NULL, *list;
	size_t n;
	int r;

	if (!id)
		return -EINVAL;
	r = need_result(reply, "component_nego", &result, ret_err);
	if (r < 0)
		return r;
	list = kasa_json_typed(result, "component_list", json_type_array);
	if (!list)
		return kasa_bad_reply(ret_err, "component_nego has no component_list");
	n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		struct json_object *name = kasa_json_typed(e, "id", json_type_string);
		int64_t ver = 0;

		if (!name || strcmp(json_object_get_string(name), id) != 0)
			continue;
		if (ret_ver_code) {
			if (!kasa_json_int64(e, "ver_code", &ver) || ver < 0 || ver > INT_MAX)
				ver = 0;
			*ret_ver_code = (int)ver;
		}
		return 1;
	}
	return 0;
}

/* --- LED and clock ------------------------------------------------------------ */

KASA_EXPORT int kasa_smart_led_parse(struct json_object *reply, bool *ret_on,
				     struct kasa_device_error *ret_err)
{
	struct json_object *result = NULL, *v;
	const char *rule;
	int r;

	r = need_result(reply, "get_led_info", &result, ret_err);
	if (r < 0)
		return r;
	v = kasa_json_typed(result, "led_rule", json_type_string);
	if (v) {
		rule = json_object_get_string(v);
		/* night_mode: lit at night, as the IOT LED that is not off. */
		if (strcmp(rule, "never") == 0 || strcmp(rule, "always") == 0 ||
		    strcmp(rule, "night_mode") == 0) {
			*ret_on = strcmp(rule, "never") != 0;
			return 0;
		}
	}
	v = kasa_json_typed(result, "led_status", json_type_boolean);
	if (!v)
		return kasa_bad_reply(ret_err, "get_led_info has neither a known led_rule nor "
					       "led_status");
	*ret_on = json_object_get_boolean(v);
	return 0;
}

KASA_EXPORT int kasa_smart_time_parse(struct json_object *reply, struct kasa_smart_time *ret,
				      struct kasa_device_error *ret_err)
{
	struct kasa_smart_time t = {0};
	struct json_object *result = NULL;
	int64_t ts, diff;
	time_t local;
	struct tm tm;
	int r;

	r = need_result(reply, "get_device_time", &result, ret_err);
	if (r < 0)
		return r;
	if (!kasa_json_int64(result, "timestamp", &ts) || ts < 0 || ts > TIMESTAMP_MAX)
		return kasa_bad_reply(ret_err, "timestamp is missing or out of range");
	diff = 0;
	if (json_object_object_get_ex(result, "time_diff", NULL) &&
	    (!kasa_json_int64(result, "time_diff", &diff) || diff < -TIME_DIFF_MAX ||
	     diff > TIME_DIFF_MAX))
		return kasa_bad_reply(ret_err, "time_diff is not a number of minutes within a day");
	kasa_json_str(result, "region", t.region, sizeof(t.region));

	local = (time_t)(ts + diff * 60);
	if (!gmtime_r(&local, &tm))
		return kasa_bad_reply(ret_err, "timestamp is out of range");
	t.timestamp = ts;
	t.time_diff_min = (int)diff;
	t.local.year = tm.tm_year + 1900;
	t.local.month = tm.tm_mon + 1;
	t.local.mday = tm.tm_mday;
	t.local.hour = tm.tm_hour;
	t.local.min = tm.tm_min;
	t.local.sec = tm.tm_sec;
	*ret = t;
	return 0;
}
