/* SPDX-License-Identifier: MIT */
/* Request builders: every request is {"module":{"method":{params}}}, with an optional context. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa-private.h"

/*
 * Real plugs are said to keep about 31 characters of an alias.  We refuse
 * only what could not come back whole in struct kasa_sysinfo.alias (63
 * bytes) and leave any shorter limit to the device.  Control characters
 * are refused too: no name needs them, and they would end up in logs and
 * user interfaces.
 */
#define ALIAS_MAX 63
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

/* Serialise and drop obj.  NULL on ENOMEM (including a NULL obj). */
static char *to_string_put(struct json_object *obj)
{
	const char *s;
	char *out = NULL;

	if (!obj)
		return NULL;
	s = json_object_to_json_string_ext(obj,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		out = strdup(s);
	json_object_put(obj);
	return out;
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
static char *build(const char *child_id, const char *module, const char *method,
		   struct json_object *params)
{
	struct json_object *req = NULL, *mod = NULL;

	if (!params)
		params = json_object_new_object();
	if (!params)
		return NULL;

	req = json_object_new_object();
	if (!req)
		goto fail;
	if (child_id && add_context(req, child_id) < 0)
		goto fail;

	mod = json_object_new_object();
	if (!mod)
		goto fail;
	if (json_object_object_add(mod, method, params) < 0)
		goto fail;
	params = NULL;
	if (json_object_object_add(req, module, mod) < 0)
		goto fail;
	return to_string_put(req);

fail:
	json_object_put(params);
	json_object_put(mod);
	json_object_put(req);
	return NULL;
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
static char *build_int(const char *child_id, const char *module, const char *method,
		       const char *key, int64_t value)
{
	struct json_object *params = params_int(key, value);

	if (!params)
		return NULL;
	return build(child_id, module, method, params);
}

KASA_EXPORT char *kasa_req_sysinfo(void)
{
	return build(NULL, "system", "get_sysinfo", NULL);
}

KASA_EXPORT char *kasa_req_relay(const char *child_id, bool on)
{
	return build_int(child_id, "system", "set_relay_state", "state", on ? 1 : 0);
}

KASA_EXPORT char *kasa_req_led(bool on)
{
	/* The device speaks of the LED being off. */
	return build_int(NULL, "system", "set_led_off", "off", on ? 0 : 1);
}

KASA_EXPORT char *kasa_req_alias(const char *child_id, const char *alias)
{
	struct json_object *params, *v;

	if (!valid_text(alias, ALIAS_MAX))
		return NULL;
	params = json_object_new_object();
	v = json_object_new_string(alias);
	if (!params || !v || json_object_object_add(params, "alias", v) < 0) {
		json_object_put(v);
		json_object_put(params);
		return NULL;
	}
	return build(child_id, "system", "set_dev_alias", params);
}

KASA_EXPORT char *kasa_req_reboot(unsigned delay_s)
{
	return build_int(NULL, "system", "reboot", "delay", delay_s);
}

KASA_EXPORT char *kasa_req_emeter_realtime(const char *child_id)
{
	return build(child_id, "emeter", "get_realtime", NULL);
}

/* The device keeps statistics by calendar date; anything else is a caller's mistake. */
static bool valid_year(int year)
{
	return year >= 1970 && year <= 9999;
}

KASA_EXPORT char *kasa_req_emeter_daily(const char *child_id, int year, int month)
{
	struct json_object *params, *v;

	if (!valid_year(year) || month < 1 || month > 12)
		return NULL;
	params = params_int("year", year);
	if (!params)
		return NULL;
	v = json_object_new_int(month);
	if (!v || json_object_object_add(params, "month", v) < 0) {
		json_object_put(v);
		json_object_put(params);
		return NULL;
	}
	return build(child_id, "emeter", "get_daystat", params);
}

KASA_EXPORT char *kasa_req_emeter_monthly(const char *child_id, int year)
{
	if (!valid_year(year))
		return NULL;
	return build_int(child_id, "emeter", "get_monthstat", "year", year);
}

KASA_EXPORT char *kasa_req_emeter_erase(const char *child_id)
{
	return build(child_id, "emeter", "erase_emeter_stat", NULL);
}

KASA_EXPORT char *kasa_req_time(void)
{
	return build(NULL, "time", "get_time", NULL);
}

KASA_EXPORT char *kasa_req_sysinfo_emeter(void)
{
	/* Fixed text: it never varies and needs no escaping. */
	return strdup("{\"system\":{\"get_sysinfo\":{}},\"emeter\":{\"get_realtime\":{}}}");
}

KASA_EXPORT char *kasa_req_with_context(const char *json, const char *child_id)
{
	struct json_object *in = NULL, *out = NULL;
	size_t len;

	if (!json)
		return NULL;
	len = strnlen(json, REQ_JSON_MAX + 1);
	if (len > REQ_JSON_MAX)
		return NULL;
	if (kasa_reply_parse(json, len, &in) < 0)
		return NULL;
	if (!child_id)
		return to_string_put(in);

	/* A fresh object so the context comes first and replaces any the caller had. */
	out = json_object_new_object();
	if (!out || add_context(out, child_id) < 0)
		goto fail;
	json_object_object_foreach(in, key, val)
	{
		if (strcmp(key, "context") == 0)
			continue;
		if (json_object_object_add(out, key, json_object_get(val)) < 0) {
			json_object_put(val);
			goto fail;
		}
	}
	json_object_put(in);
	return to_string_put(out);

fail:
	json_object_put(out);
	json_object_put(in);
	return NULL;
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
