/* SPDX-License-Identifier: MIT */
/*
 * The rules a plug keeps (count_down and schedule get_rules) and its time
 * zone, parsed into plain structs: fields out of range are refused, not
 * clamped, as the other parsers do.
 */
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa-private.h"

/* An integer member within [lo, hi]; absent: def, when def_ok. */
static bool int_in(struct json_object *o, const char *key, int64_t lo, int64_t hi, bool def_ok,
		   int64_t def, int64_t *ret)
{
	int64_t v;

	if (!json_object_object_get_ex(o, key, NULL)) {
		if (!def_ok)
			return false;
		*ret = def;
		return true;
	}
	if (!kasa_json_int64(o, key, &v) || v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

static int parse_wday(struct json_object *rule, unsigned *ret, struct kasa_device_error *ret_err)
{
	struct json_object *wday = kasa_json_typed(rule, "wday", json_type_array);
	unsigned bits = 0;

	if (!wday)
		return kasa_bad_reply(ret_err, "a rule's wday is not a list");
	if (json_object_array_length(wday) != 7)
		return kasa_bad_reply(ret_err, "a rule's wday has %zu days",
				      json_object_array_length(wday));
	for (unsigned d = 0; d < 7; d++) {
		struct json_object *v = json_object_array_get_idx(wday, d);

		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 1)
			return kasa_bad_reply(ret_err, "a rule's wday[%u] is not 0 or 1", d);
		if (json_object_get_int64(v))
			bits |= 1u << d;
	}
	*ret = bits;
	return 0;
}

static int parse_rule(struct json_object *o, bool schedule, struct kasa_rule *ret,
		      struct kasa_device_error *ret_err)
{
	struct json_object *id = kasa_json_typed(o, "id", json_type_string);
	struct kasa_rule r = {.remain_s = -1};
	int64_t v;
	size_t len;

	if (!json_object_is_type(o, json_type_object))
		return kasa_bad_reply(ret_err, "a rule is not an object");
	if (!id)
		return kasa_bad_reply(ret_err, "a rule has no id");
	len = (size_t)json_object_get_string_len(id);
	if (len == 0 || len >= sizeof(r.id) || strlen(json_object_get_string(id)) != len)
		return kasa_bad_reply(ret_err, "a rule's id is empty or too long");
	memcpy(r.id, json_object_get_string(id), len + 1);
	kasa_json_str(o, "name", r.name, sizeof(r.name));
	if (!int_in(o, "enable", 0, 1, false, 0, &v))
		return kasa_bad_reply(ret_err, "a rule's enable is not 0 or 1");
	r.enabled = v;
	if (!schedule) {
		if (!int_in(o, "act", 0, 1, false, 0, &v))
			return kasa_bad_reply(ret_err, "a countdown's act is not 0 or 1");
		r.on = v;
		if (!int_in(o, "delay", 0, INT32_MAX, false, 0, &r.delay_s))
			return kasa_bad_reply(ret_err, "a countdown's delay is not a number of "
						       "seconds");
		if (!int_in(o, "remain", 0, INT32_MAX, true, -1, &r.remain_s))
			return kasa_bad_reply(ret_err, "a countdown's remain is not a number of "
						       "seconds");
		*ret = r;
		return 0;
	}
	if (!int_in(o, "sact", 0, 1, false, 0, &v))
		return kasa_bad_reply(ret_err, "a rule's sact is not 0 or 1");
	r.on = v;
	if (!int_in(o, "stime_opt", 0, 2, false, 0, &v))
		return kasa_bad_reply(ret_err, "a rule's stime_opt is not 0, 1 or 2");
	r.at = (enum kasa_rule_at)v;
	if (!int_in(o, "smin", 0, 1439, false, 0, &v))
		return kasa_bad_reply(ret_err, "a rule's smin is not a minute of the day");
	r.min = (int)v;
	if (!int_in(o, "soffset", -720, 720, true, 0, &v))
		return kasa_bad_reply(ret_err, "a rule's soffset is out of range");
	r.offset_min = (int)v;
	if (!int_in(o, "repeat", 0, 1, true, 1, &v))
		return kasa_bad_reply(ret_err, "a rule's repeat is not 0 or 1");
	r.repeat = v;
	if (parse_wday(o, &r.wday, ret_err) < 0)
		return -EBADMSG;
	*ret = r;
	return 0;
}

KASA_EXPORT int kasa_rules_parse(struct json_object *reply, const char *module,
				 struct kasa_rules *ret, struct kasa_device_error *ret_err)
{
	struct json_object *result, *list;
	bool schedule;
	size_t n;
	int r;

	if (!module || (strcmp(module, "count_down") && strcmp(module, "schedule")))
		return -EINVAL;
	schedule = !strcmp(module, "schedule");
	r = kasa_reply_result(reply, module, "get_rules", &result, ret_err);
	if (r < 0)
		return r;
	list = kasa_json_typed(result, "rule_list", json_type_array);
	if (!list)
		return kasa_bad_reply(ret_err, "get_rules has no rule_list");
	n = json_object_array_length(list);
	if (n > KASA_RULES_MAX)
		return kasa_bad_reply(ret_err, "%zu rules, more than %d", n, KASA_RULES_MAX);
	/* Filled in place: the caller's struct is large, and written only on
	 * success, so parse into it after checking every rule once. */
	for (size_t i = 0; i < n; i++) {
		struct kasa_rule tmp;

		if (parse_rule(json_object_array_get_idx(list, i), schedule, &tmp, ret_err) < 0)
			return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++)
		parse_rule(json_object_array_get_idx(list, i), schedule, &ret->rule[i], NULL);
	ret->count = (unsigned)n;
	return 0;
}

KASA_EXPORT int kasa_timezone_parse(struct json_object *reply, int *ret_index,
				    struct kasa_device_error *ret_err)
{
	struct json_object *result;
	int64_t v;
	int r;

	r = kasa_reply_result(reply, "time", "get_timezone", &result, ret_err);
	if (r < 0)
		return r;
	if (!int_in(result, "index", 0, KASA_TIMEZONE_INDEX_MAX, false, 0, &v))
		return kasa_bad_reply(ret_err, "get_timezone's index is not 0..%d",
				      KASA_TIMEZONE_INDEX_MAX);
	*ret_index = (int)v;
	return 0;
}
