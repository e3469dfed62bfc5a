/* SPDX-License-Identifier: MIT */
/*
 * The bodies of the countdown, schedule and time routes, read into what
 * libkasa sends.  A body is a JSON object; members it does not know are
 * refused, so that a typo ("offset":...) is not silently a different rule.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "rulebody.h"

const char *const rulebody_days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int refuse(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The body as an object (owned), or NULL; an empty body is {} when
 * empty_ok. */
static struct json_object *object_of(const char *body, bool empty_ok)
{
	struct json_object *o;
	const char *p = body ? body : "";

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (!*p && empty_ok)
		return json_object_new_object();
	o = json_tokener_parse(p);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The first member of o not in known, or NULL. */
static const char *unknown_member(struct json_object *o, const char *const *known, size_t n)
{
	json_object_object_foreach(o, key, val)
	{
		size_t i;

		(void)val;
		for (i = 0; i < n && strcmp(known[i], key); i++)
			;
		if (i == n)
			return key;
	}
	return NULL;
}

static bool get_int(struct json_object *o, const char *key, int64_t lo, int64_t hi, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return *ret >= lo && *ret <= hi;
}

/* A boolean member: 1 true, 0 false, -1 absent, -2 not a boolean. */
static int get_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	if (!json_object_is_type(v, json_type_boolean))
		return -2;
	return json_object_get_boolean(v);
}

int rulebody_countdown(const char *body, int64_t *ret_seconds, bool *ret_on, char *why,
		       size_t size)
{
	static const char *const known[] = {"seconds", "minutes", "on"};
	struct json_object *o = object_of(body, false);
	const char *extra;
	bool has_s, has_m;
	int64_t v = 0;
	int on, r = -EINVAL;

	if (!o)
		return refuse(why, size, "the body must be a JSON object such as "
					 "{\"seconds\":1800,\"on\":false}");
	extra = unknown_member(o, known, ARRAY_SIZE(known));
	has_s = json_object_object_get_ex(o, "seconds", NULL);
	has_m = json_object_object_get_ex(o, "minutes", NULL);
	on = get_bool(o, "on");
	if (extra)
		refuse(why, size, "unknown member \"%.32s\"", extra);
	else if (has_s == has_m)
		refuse(why, size, "give seconds or minutes (one of them)");
	else if (has_s && !get_int(o, "seconds", 1, RULEBODY_COUNTDOWN_MAX_S, &v))
		refuse(why, size, "seconds must be 1 to %d", RULEBODY_COUNTDOWN_MAX_S);
	else if (has_m && !get_int(o, "minutes", 1, RULEBODY_COUNTDOWN_MAX_S / 60, &v))
		refuse(why, size, "minutes must be 1 to %d", RULEBODY_COUNTDOWN_MAX_S / 60);
	else if (on == -2)
		refuse(why, size, "on must be true or false");
	else
		r = 0;
	if (r == 0) {
		*ret_seconds = has_m ? v * 60 : v;
		*ret_on = on == 1;
	}
	json_object_put(o);
	return r;
}

/* "HH:MM" as a minute of the day, -1 when it is not one. */
static int parse_hhmm(const char *s)
{
	int h, m;
	char end;

	if (strlen(s) != 5 || s[2] != ':' || sscanf(s, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 ||
	    h > 23 || m < 0 || m > 59 || s[0] < '0' || s[0] > '9' || s[3] < '0' || s[3] > '9')
		return -1;
	return h * 60 + m;
}

static int parse_days(struct json_object *o, unsigned *ret, char *why, size_t size)
{
	struct json_object *days;
	unsigned bits = 0;
	size_t n;

	if (!json_object_object_get_ex(o, "days", &days)) {
		*ret = 0x7f;
		return 0;
	}
	if (!json_object_is_type(days, json_type_array) || !(n = json_object_array_length(days)))
		return refuse(why, size, "days must be a list of sun, mon, ... sat");
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(days, i);
		unsigned k;

		for (k = 0; k < 7; k++)
			if (json_object_is_type(d, json_type_string) &&
			    !strcmp(json_object_get_string(d), rulebody_days[k]))
				break;
		if (k == 7)
			return refuse(why, size, "days must be a list of sun, mon, ... sat");
		bits |= 1u << k;
	}
	*ret = bits;
	return 0;
}

static int fill_rule(struct json_object *o, struct kasa_rule *r, char *why, size_t size)
{
	static const char *const known[] = {"on",   "at",   "offset_min", "days",
					    "name", "once", "enabled"};
	struct json_object *at, *name;
	const char *extra = unknown_member(o, known, ARRAY_SIZE(known)), *s;
	int64_t off = 0;
	int on = get_bool(o, "on"), once = get_bool(o, "once"), enabled = get_bool(o, "enabled");
	bool has_off = json_object_object_get_ex(o, "offset_min", NULL);

	if (extra)
		return refuse(why, size, "unknown member \"%.32s\"", extra);
	if (on < 0)
		return refuse(why, size, "on (true or false) is required");
	if (once == -2 || enabled == -2)
		return refuse(why, size, "once and enabled are true or false");
	r->on = on;
	r->repeat = once != 1;
	r->enabled = enabled != 0;
	if (!json_object_object_get_ex(o, "at", &at) || !json_object_is_type(at, json_type_string))
		return refuse(why, size, "at (\"HH:MM\", \"sunrise\" or \"sunset\") is required");
	s = json_object_get_string(at);
	if (!strcmp(s, "sunrise") || !strcmp(s, "sunset")) {
		r->at = !strcmp(s, "sunrise") ? KASA_RULE_AT_SUNRISE : KASA_RULE_AT_SUNSET;
		if (has_off && !get_int(o, "offset_min", -720, 720, &off))
			return refuse(why, size, "offset_min must be -720 to 720");
		r->offset_min = (int)off;
	} else {
		r->at = KASA_RULE_AT_TIME;
		r->min = parse_hhmm(s);
		if (r->min < 0)
			return refuse(why, size, "at must be \"HH:MM\", \"sunrise\" or \"sunset\"");
		if (has_off)
			return refuse(why, size, "offset_min goes with sunrise and sunset only");
	}
	if (parse_days(o, &r->wday, why, size) < 0)
		return -EINVAL;
	snprintf(r->name, sizeof(r->name), "kasad");
	if (json_object_object_get_ex(o, "name", &name)) {
		size_t len;

		s = json_object_is_type(name, json_type_string) ? json_object_get_string(name) : "";
		len = strlen(s);
		if (!len || len >= sizeof(r->name) ||
		    len != (size_t)json_object_get_string_len(name))
			return refuse(why, size, "name must be 1 to %zu bytes", sizeof(r->name) - 1);
		for (const char *k = s; *k; k += kasa_utf8_char_len(k))
			if ((unsigned char)*k < 0x20 || *k == 0x7f || !kasa_utf8_char_len(k))
				return refuse(why, size,
					      "name must be UTF-8 text without control characters");
		memcpy(r->name, s, len + 1);
	}
	return 0;
}

int rulebody_schedule(const char *body, struct kasa_rule *ret, char *why, size_t size)
{
	struct json_object *o = object_of(body, false);
	struct kasa_rule r = {.remain_s = -1};
	int e;

	if (!o)
		return refuse(why, size, "the body must be a JSON object such as "
					 "{\"on\":true,\"at\":\"07:30\",\"days\":[\"mon\"]}");
	e = fill_rule(o, &r, why, size);
	json_object_put(o);
	if (e < 0)
		return e;
	*ret = r;
	return 0;
}

int rulebody_time(const char *body, int *ret_zone, char *why, size_t size)
{
	static const char *const known[] = {"zone"};
	struct json_object *o = object_of(body, true);
	const char *extra;
	int64_t zone = -1;
	int r = 0;

	if (!o)
		return refuse(why, size, "the body must be empty or {\"zone\":N}");
	extra = unknown_member(o, known, ARRAY_SIZE(known));
	if (extra)
		r = refuse(why, size, "unknown member \"%.32s\"", extra);
	else if (json_object_object_get_ex(o, "zone", NULL) &&
		 !get_int(o, "zone", 0, KASA_TIMEZONE_INDEX_MAX, &zone))
		r = refuse(why, size, "zone must be a zone's index, 0 to %d",
			   KASA_TIMEZONE_INDEX_MAX);
	json_object_put(o);
	if (r == 0)
		*ret_zone = (int)zone;
	return r;
}
