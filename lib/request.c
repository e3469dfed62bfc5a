/* SPDX-License-Identifier: MIT */
/* Request builders: every request is {"module":{"method":{params}}}, with an optional context. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa-private.h"

/* The most a caller may hand to kasa_req_with_context(). */
#define REQ_JSON_MAX (64 * 1024)

static bool valid_text(const char *s, size_t max)
{
	size_t len;

	if (!s)
		return false;
	len = strnlen(s, max + 1);
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Text for the plug's JSON (RFC 8259 8.1): well-formed UTF-8. */
static bool valid_utf8(const char *s)
{
	for (size_t n; *s; s += n)
		if (!(n = kasa_utf8_char_len(s)))
			return false;
	return true;
}

/* Serialise and drop obj (NULL: it could not be made, -ENOMEM). */
static int to_string_put(struct json_object *obj, char **ret_json)
{
	const char *s;
	char *out = NULL;

	if (!obj)
		return -ENOMEM;
	s = json_object_to_json_string_ext(obj,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		out = strdup(s);
	json_object_put(obj);
	if (!out)
		return -ENOMEM;
	*ret_json = out;
	return 0;
}

/* {"context":{"child_ids":["<id>"]}} added to req; -EINVAL on a bad id. */
static int add_context(struct json_object *req, const char *child_id)
{
	struct json_object *ctx, *ids, *id;

	if (!valid_text(child_id, KASA_ID_MAX - 1))
		return -EINVAL;
	ctx = json_object_new_object();
	ids = json_object_new_array();
	id = json_object_new_string(child_id);
	if (!ctx || !ids || !id || json_object_array_add(ids, id) < 0) {
		json_object_put(id);
		json_object_put(ids);
		json_object_put(ctx);
		return -ENOMEM;
	}
	if (json_object_object_add(ctx, "child_ids", ids) < 0) {
		json_object_put(ids);
		json_object_put(ctx);
		return -ENOMEM;
	}
	if (json_object_object_add(req, "context", ctx) < 0) {
		json_object_put(ctx);
		return -ENOMEM;
	}
	return 0;
}

/*
 * {"context":...,"<module>":{"<method>":params}}.  Takes params (NULL means
 * {}) even on failure, so callers can build them inline.
 */
static int build(const char *child_id, const char *module, const char *method,
		 struct json_object *params, char **ret_json)
{
	struct json_object *req = NULL, *mod = NULL;
	int r = -ENOMEM;

	if (!params)
		params = json_object_new_object();
	if (!params)
		return -ENOMEM;

	req = json_object_new_object();
	if (!req)
		goto fail;
	if (child_id) {
		r = add_context(req, child_id);
		if (r < 0)
			goto fail;
		r = -ENOMEM;
	}

	mod = json_object_new_object();
	if (!mod)
		goto fail;
	if (json_object_object_add(mod, method, params) < 0)
		goto fail;
	params = NULL;
	if (json_object_object_add(req, module, mod) < 0)
		goto fail;
	return to_string_put(req, ret_json);

fail:
	json_object_put(params);
	json_object_put(mod);
	json_object_put(req);
	return r;
}

/* {"<key>":value} as a params object, or NULL on ENOMEM. */
static struct json_object *params_int(const char *key, int64_t value)
{
	struct json_object *params = json_object_new_object();
	struct json_object *v = json_object_new_int64(value);

	if (!params || !v || json_object_object_add(params, key, v) < 0) {
		json_object_put(v);
		json_object_put(params);
		return NULL;
	}
	return params;
}

/*
 * A NULL params from params_int() means ENOMEM; build() would take that
 * for "no parameters", so check before.
 */
static int build_int(const char *child_id, const char *module, const char *method, const char *key,
		     int64_t value, char **ret_json)
{
	struct json_object *params = params_int(key, value);

	if (!params)
		return -ENOMEM;
	return build(child_id, module, method, params, ret_json);
}

KASA_EXPORT int kasa_req_sysinfo(char **ret_json)
{
	return build(NULL, "system", "get_sysinfo", NULL, ret_json);
}

KASA_EXPORT int kasa_req_relay(const char *child_id, bool on, char **ret_json)
{
	return build_int(child_id, "system", "set_relay_state", "state", on ? 1 : 0, ret_json);
}

KASA_EXPORT int kasa_req_led(bool on, char **ret_json)
{
	/* The device speaks of the LED being off. */
	return build_int(NULL, "system", "set_led_off", "off", on ? 0 : 1, ret_json);
}

KASA_EXPORT int kasa_req_brightness(int brightness, char **ret_json)
{
	if (brightness < KASA_BRIGHTNESS_MIN || brightness > KASA_BRIGHTNESS_MAX)
		return -EINVAL;
	return build_int(NULL, KASA_DIMMER_MODULE, "set_brightness", "brightness", brightness,
			 ret_json);
}

bool kasa_alias_valid(const char *alias)
{
	return valid_text(alias, KASA_ALIAS_LEN_MAX) && valid_utf8(alias);
}

KASA_EXPORT int kasa_req_alias(const char *child_id, const char *alias, char **ret_json)
{
	struct json_object *params, *v;

	if (!kasa_alias_valid(alias))
		return -EINVAL;
	params = json_object_new_object();
	v = json_object_new_string(alias);
	if (!params || !v || json_object_object_add(params, "alias", v) < 0) {
		json_object_put(v);
		json_object_put(params);
		return -ENOMEM;
	}
	return build(child_id, "system", "set_dev_alias", params, ret_json);
}

KASA_EXPORT int kasa_req_reboot(unsigned delay_s, char **ret_json)
{
	return build_int(NULL, "system", "reboot", "delay", delay_s, ret_json);
}

KASA_EXPORT int kasa_req_emeter_realtime(const char *child_id, char **ret_json)
{
	return build(child_id, "emeter", "get_realtime", NULL, ret_json);
}

/* The device keeps statistics by calendar date; anything else is a caller's mistake. */
static bool valid_year(int year)
{
	return year >= 1970 && year <= 9999;
}

KASA_EXPORT int kasa_req_emeter_daily(const char *child_id, int year, int month, char **ret_json)
{
	struct json_object *params, *v;

	if (!valid_year(year) || month < 1 || month > 12)
		return -EINVAL;
	params = params_int("year", year);
	if (!params)
		return -ENOMEM;
	v = json_object_new_int(month);
	if (!v || json_object_object_add(params, "month", v) < 0) {
		json_object_put(v);
		json_object_put(params);
		return -ENOMEM;
	}
	return build(child_id, "emeter", "get_daystat", params, ret_json);
}

KASA_EXPORT int kasa_req_emeter_monthly(const char *child_id, int year, char **ret_json)
{
	if (!valid_year(year))
		return -EINVAL;
	return build_int(child_id, "emeter", "get_monthstat", "year", year, ret_json);
}

KASA_EXPORT int kasa_req_emeter_erase(const char *child_id, char **ret_json)
{
	return build(child_id, "emeter", "erase_emeter_stat", NULL, ret_json);
}

KASA_EXPORT int kasa_req_time(char **ret_json)
{
	return build(NULL, "time", "get_time", NULL, ret_json);
}

KASA_EXPORT int kasa_req_sysinfo_emeter(char **ret_json)
{
	/* Fixed text: it never varies and needs no escaping. */
	char *s = strdup("{\"system\":{\"get_sysinfo\":{}},\"emeter\":{\"get_realtime\":{}}}");

	if (!s)
		return -ENOMEM;
	*ret_json = s;
	return 0;
}

KASA_EXPORT int kasa_req_with_context(const char *json, const char *child_id, char **ret_json)
{
	struct json_object *in = NULL, *out = NULL;
	size_t len;
	int r;

	if (!json)
		return -EINVAL;
	len = strnlen(json, REQ_JSON_MAX + 1);
	if (len > REQ_JSON_MAX)
		return -EMSGSIZE;
	r = kasa_reply_parse(json, len, &in);
	if (r < 0)
		return r == -EBADMSG ? -EINVAL : r;
	if (!child_id)
		return to_string_put(in, ret_json);

	/* A fresh object so the context comes first and replaces any the caller had. */
	out = json_object_new_object();
	if (!out) {
		r = -ENOMEM;
		goto fail;
	}
	r = add_context(out, child_id);
	if (r < 0)
		goto fail;
	json_object_object_foreach(in, key, val)
	{
		if (strcmp(key, "context") == 0)
			continue;
		if (json_object_object_add(out, key, json_object_get(val)) < 0) {
			json_object_put(val);
			r = -ENOMEM;
			goto fail;
		}
	}
	json_object_put(in);
	return to_string_put(out, ret_json);

fail:
	json_object_put(out);
	json_object_put(in);
	return r;
}

KASA_EXPORT int kasa_child_id(const char *device_id, unsigned index, char ret_id[KASA_ID_MAX])
{
	size_t len;

	if (!device_id || index > 99)
		return -EINVAL;
	/* Room for the two digits and the NUL. */
	len = strnlen(device_id, KASA_ID_MAX);
	if (len == 0 || len + 2 >= KASA_ID_MAX)
		return -EINVAL;
	snprintf(ret_id, KASA_ID_MAX, "%s%02u", device_id, index);
	return 0;
}

/* --- Rules and the clock --------------------------------------------------- */

/* A week, the longest countdown kasad or kasactl sets. */
#define COUNTDOWN_MAX_S (7 * 86400)

/* Add the integers of keys[i] = values[i] to params; false on ENOMEM. */
static bool add_ints(struct json_object *params, const char *const *keys, const int64_t *values,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_new_int64(values[i]);

		if (!v || json_object_object_add(params, keys[i], v) < 0) {
			json_object_put(v);
			return false;
		}
	}
	return true;
}

static bool add_string(struct json_object *params, const char *key, const char *value)
{
	struct json_object *v = json_object_new_string(value);

	if (!v || json_object_object_add(params, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

KASA_EXPORT int kasa_req_countdown_get(const char *child_id, char **ret_json)
{
	return build(child_id, "count_down", "get_rules", NULL, ret_json);
}

KASA_EXPORT int kasa_req_countdown_add(const char *child_id, int64_t delay_s, bool on,
				       char **ret_json)
{
	static const char *const keys[] = {"enable", "delay", "act"};
	const int64_t values[] = {1, delay_s, on ? 1 : 0};
	struct json_object *params;

	if (delay_s < 1 || delay_s > COUNTDOWN_MAX_S)
		return -EINVAL;
	params = json_object_new_object();
	if (!params || !add_ints(params, keys, values, 3) ||
	    !add_string(params, "name", on ? "on" : "off")) {
		json_object_put(params);
		return -ENOMEM;
	}
	return build(child_id, "count_down", "add_rule", params, ret_json);
}

KASA_EXPORT int kasa_req_countdown_clear(const char *child_id, char **ret_json)
{
	return build(child_id, "count_down", "delete_all_rules", NULL, ret_json);
}

KASA_EXPORT int kasa_req_schedule_get(const char *child_id, char **ret_json)
{
	return build(child_id, "schedule", "get_rules", NULL, ret_json);
}

/* The fields the Kasa app sends with a rule, in its order: a start action
 * and no end action (etime_opt and eact -1). */
KASA_EXPORT int kasa_req_schedule_add(const char *child_id, const struct kasa_rule *rule,
				      char **ret_json)
{
	static const char *const keys[] = {"stime_opt", "smin",	     "sact",  "soffset",
					   "etime_opt", "emin",	     "eact",  "enable",
					   "repeat",	"year",	     "month", "day",
					   "force",	"latitude", "longitude"};
	struct json_object *params, *wday;
	int64_t values[ARRAY_SIZE(keys)];

	if (!rule || rule->wday == 0 || rule->wday > 0x7f || rule->min < 0 || rule->min > 1439 ||
	    rule->offset_min < -720 || rule->offset_min > 720 ||
	    (rule->at != KASA_RULE_AT_TIME && rule->at != KASA_RULE_AT_SUNRISE &&
	     rule->at != KASA_RULE_AT_SUNSET) ||
	    !valid_text(rule->name, KASA_ALIAS_LEN_MAX) || !valid_utf8(rule->name))
		return -EINVAL;
	values[0] = rule->at;
	values[1] = rule->min;
	values[2] = rule->on ? 1 : 0;
	values[3] = rule->at == KASA_RULE_AT_TIME ? 0 : rule->offset_min;
	values[4] = -1;
	values[5] = 0;
	values[6] = -1;
	values[7] = rule->enabled ? 1 : 0;
	values[8] = rule->repeat ? 1 : 0;
	for (size_t i = 9; i < ARRAY_SIZE(keys); i++)
		values[i] = 0;
	params = json_object_new_object();
	wday = json_object_new_array();
	if (!params || !wday || !add_string(params, "name", rule->name)) {
		json_object_put(wday);
		json_object_put(params);
		return -ENOMEM;
	}
	for (unsigned d = 0; d < 7; d++) {
		struct json_object *v = json_object_new_int((rule->wday >> d) & 1);

		if (!v || json_object_array_add(wday, v) < 0) {
			json_object_put(v);
			json_object_put(wday);
			json_object_put(params);
			return -ENOMEM;
		}
	}
	if (json_object_object_add(params, "wday", wday) < 0) {
		json_object_put(wday);
		json_object_put(params);
		return -ENOMEM;
	}
	if (!add_ints(params, keys, values, ARRAY_SIZE(keys))) {
		json_object_put(params);
		return -ENOMEM;
	}
	return build(child_id, "schedule", "add_rule", params, ret_json);
}

KASA_EXPORT int kasa_req_schedule_delete(const char *child_id, const char *id, char **ret_json)
{
	struct json_object *params;

	if (!id)
		return build(child_id, "schedule", "delete_all_rules", NULL, ret_json);
	if (!valid_text(id, KASA_ID_MAX - 1))
		return -EINVAL;
	params = json_object_new_object();
	if (!params || !add_string(params, "id", id)) {
		json_object_put(params);
		return -ENOMEM;
	}
	return build(child_id, "schedule", "delete_rule", params, ret_json);
}

KASA_EXPORT int kasa_req_time_zone(char **ret_json)
{
	char *s = strdup("{\"time\":{\"get_time\":{},\"get_timezone\":{}}}");

	if (!s)
		return -ENOMEM;
	*ret_json = s;
	return 0;
}

static bool valid_date(const struct kasa_time *t)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int mdays;

	if (!valid_year(t->year) || t->month < 1 || t->month > 12)
		return false;
	mdays = days[t->month - 1];
	if (t->month == 2 && (t->year % 4 == 0 && (t->year % 100 != 0 || t->year % 400 == 0)))
		mdays = 29;
	return t->mday >= 1 && t->mday <= mdays && t->hour >= 0 && t->hour <= 23 && t->min >= 0 &&
	       t->min <= 59 && t->sec >= 0 && t->sec <= 59;
}

KASA_EXPORT int kasa_req_time_set(const struct kasa_time *t, int index, char **ret_json)
{
	static const char *const keys[] = {"year", "month", "mday", "hour", "min", "sec", "index"};
	struct json_object *params;
	int64_t values[7];

	if (!t || !valid_date(t) || index < 0 || index > KASA_TIMEZONE_INDEX_MAX)
		return -EINVAL;
	values[0] = t->year;
	values[1] = t->month;
	values[2] = t->mday;
	values[3] = t->hour;
	values[4] = t->min;
	values[5] = t->sec;
	values[6] = index;
	params = json_object_new_object();
	if (!params || !add_ints(params, keys, values, 7)) {
		json_object_put(params);
		return -ENOMEM;
	}
	return build(NULL, "time", "set_timezone", params, ret_json);
}
