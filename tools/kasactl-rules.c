/* SPDX-License-Identifier: MIT */
/*
 * kasactl: what the plug keeps and runs itself: its countdown and its
 * schedule (IOT JSON; an outlet's with --outlet).
 *
 *   countdown                      what is pending
 *   countdown SECONDS on|off       switch in SECONDS, replacing any
 *   countdown cancel
 *   schedule list
 *   schedule add on|off WHEN [DAYS]  WHEN: HH:MM, sunrise or sunset, the
 *                                  last two with +MIN or -MIN; DAYS:
 *                                  daily (the default) or mon,tue,...
 *   schedule delete ID|all
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "kasactl-cmd.h"
#include "kasactl-ctl.h"

#define COUNTDOWN_MAX_S (7 * 86400)

static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static void json_add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* A change, then the module's table read back into *ret. */
static int change_then_get(struct ctl *c, int built, char *req, const char *module,
			   const char *method, struct kasa_rules *ret)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	struct json_object *result;
	int r;

	if (req || built < 0) {
		r = ctl_send(c, built, req, &reply);
		if (r != KASACTL_EXIT_OK)
			return r;
		r = kasa_reply_result(reply, module, method, &result, &derr);
		if (r < 0)
			return ctl_device_error(c, method, r, &derr);
		json_object_put(reply);
		reply = NULL;
	}
	req = NULL;
	built = strcmp(module, "schedule") ? kasa_req_countdown_get(ctl_child(c), &req)
					    : kasa_req_schedule_get(ctl_child(c), &req);
	r = ctl_send(c, built, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_rules_parse(reply, module, ret, &derr);
	if (r < 0)
		return ctl_device_error(c, "get_rules", r, &derr);
	return KASACTL_EXIT_OK;
}

static int outlet_first(struct ctl *c)
{
	struct kasa_sysinfo info;

	if (ctl_smart(c))
		return ctl_no_smart(c, "countdown and schedule");
	return c->outlet >= 0 ? ctl_load(c, &info) : KASACTL_EXIT_OK;
}

static int print_countdown(const struct ctl *c, const struct kasa_rules *rs)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	const struct kasa_rule *r = NULL;

	for (unsigned i = 0; i < rs->count; i++)
		if (rs->rule[i].enabled && rs->rule[i].remain_s != 0)
			r = &rs->rule[i];
	if (!c->json) {
		if (!r)
			puts("none");
		else if (r->remain_s >= 0)
			printf("%s in %lld s (of %lld)\n", r->on ? "on" : "off",
			       (long long)r->remain_s, (long long)r->delay_s);
		else
			printf("%s in %lld s\n", r->on ? "on" : "off", (long long)r->delay_s);
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	if (!obj)
		return ctl_print_json(NULL);
	json_add(obj, "pending", json_object_new_boolean(r != NULL));
	if (r) {
		char id[KASA_ID_MAX];

		ctl_sanitize(r->id, id, sizeof(id));
		json_add(obj, "on", json_object_new_boolean(r->on));
		json_add(obj, "seconds", json_object_new_int64(r->delay_s));
		json_add(obj, "remaining_s",
			 r->remain_s >= 0 ? json_object_new_int64(r->remain_s) : NULL);
		json_add(obj, "id", json_object_new_string(id));
	}
	ctl_json_add_outlet(c, obj);
	return ctl_print_json(obj);
}

int cmd_countdown(struct ctl *c, int argc, char **argv)
{
	struct kasa_rules rs;
	unsigned long s;
	char *req = NULL;
	int r;

	if (argc == 1 && strcmp(argv[0], "cancel"))
		return ctl_usage_error("countdown takes SECONDS on|off, cancel, or nothing");
	if (argc == 2 && (ctl_parse_uint(argv[0], COUNTDOWN_MAX_S, &s) < 0 || s == 0))
		return ctl_usage_error("invalid countdown '%s' (expected seconds, 1..%d)", argv[0],
				       COUNTDOWN_MAX_S);
	if (argc == 2 && strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		return ctl_usage_error("countdown: 'on' or 'off', not '%s'", argv[1]);
	r = outlet_first(c);
	if (r != KASACTL_EXIT_OK)
		return r;
	if (argc >= 1) {
		/* One countdown a relay: the new one replaces the old. */
		r = kasa_req_countdown_clear(ctl_child(c), &req);
		r = change_then_get(c, r, req, "count_down", "delete_all_rules", &rs);
		if (r != KASACTL_EXIT_OK)
			return r;
	}
	if (argc == 2) {
		req = NULL;
		r = kasa_req_countdown_add(ctl_child(c), (int64_t)s, !strcmp(argv[1], "on"), &req);
		r = change_then_get(c, r, req, "count_down", "add_rule", &rs);
	} else if (argc == 0) {
		r = change_then_get(c, 0, NULL, "count_down", NULL, &rs);
	}
	if (r != KASACTL_EXIT_OK)
		return r;
	return print_countdown(c, &rs);
}

/* "sunrise", "sunset-15", "sunset+30" or "07:30". */
static int parse_when(const char *s, struct kasa_rule *r)
{
	const char *rest = NULL;
	unsigned long v;
	int h, m;
	char end;

	if (!strncmp(s, "sunrise", 7)) {
		r->at = KASA_RULE_AT_SUNRISE;
		rest = s + 7;
	} else if (!strncmp(s, "sunset", 6)) {
		r->at = KASA_RULE_AT_SUNSET;
		rest = s + 6;
	}
	if (rest) {
		if (!*rest)
			return 0;
		if ((*rest != '+' && *rest != '-') || ctl_parse_uint(rest + 1, 720, &v) < 0)
			return -EINVAL;
		r->offset_min = *rest == '-' ? -(int)v : (int)v;
		return 0;
	}
	if (strlen(s) != 5 || s[2] != ':' || sscanf(s, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 ||
	    h > 23 || m < 0 || m > 59)
		return -EINVAL;
	r->at = KASA_RULE_AT_TIME;
	r->min = h * 60 + m;
	return 0;
}

static int parse_days(const char *s, unsigned *ret)
{
	char buf[64], *save = NULL;
	unsigned bits = 0;

	if (!strcmp(s, "daily")) {
		*ret = 0x7f;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned d;

		for (d = 0; d < 7 && strcmp(t, days[d]); d++)
			;
		if (d == 7)
			return -EINVAL;
		bits |= 1u << d;
	}
	if (!bits)
		return -EINVAL;
	*ret = bits;
	return 0;
}

static int print_schedule(const struct ctl *c, const struct kasa_rules *rs)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	struct json_object *list;

	if (!c->json) {
		for (unsigned i = 0; i < rs->count; i++) {
			const struct kasa_rule *r = &rs->rule[i];
			char id[KASA_ID_MAX], name[64], when[24], d[32] = "";

			ctl_sanitize(r->id, id, sizeof(id));
			ctl_sanitize(r->name, name, sizeof(name));
			if (r->at == KASA_RULE_AT_TIME)
				snprintf(when, sizeof(when), "%02d:%02d", r->min / 60 % 100,
					 r->min % 60);
			else
				snprintf(when, sizeof(when), "%s%+d",
					 r->at == KASA_RULE_AT_SUNRISE ? "sunrise" : "sunset",
					 r->offset_min);
			for (unsigned k = 0; k < 7; k++)
				if (r->wday & (1u << k))
					snprintf(d + strlen(d), sizeof(d) - strlen(d), "%s%s",
						 d[0] ? "," : "", days[k]);
			printf("%s %-3s %-11s %-27s %s%s%s\n", id, r->on ? "on" : "off", when, d,
			       r->repeat ? "" : "once ", r->enabled ? "" : "(disabled) ", name);
		}
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	list = json_object_new_array();
	if (!obj || !list) {
		json_object_put(list);
		return ctl_print_json(NULL);
	}
	for (unsigned i = 0; i < rs->count; i++) {
		const struct kasa_rule *r = &rs->rule[i];
		struct json_object *o = json_object_new_object(), *dl = json_object_new_array();
		char id[KASA_ID_MAX], name[64], at[8];

		ctl_sanitize(r->id, id, sizeof(id));
		ctl_sanitize(r->name, name, sizeof(name));
		json_add(o, "id", json_object_new_string(id));
		json_add(o, "name", json_object_new_string(name));
		json_add(o, "enabled", json_object_new_boolean(r->enabled));
		json_add(o, "on", json_object_new_boolean(r->on));
		if (r->at == KASA_RULE_AT_TIME) {
			snprintf(at, sizeof(at), "%02d:%02d", r->min / 60 % 100, r->min % 60);
			json_add(o, "at", json_object_new_string(at));
		} else {
			json_add(o, "at",
				 json_object_new_string(r->at == KASA_RULE_AT_SUNRISE ? "sunrise"
										   : "sunset"));
			json_add(o, "offset_min", json_object_new_int(r->offset_min));
		}
		for (unsigned k = 0; k < 7; k++)
			if (r->wday & (1u << k))
				json_object_array_add(dl, json_object_new_string(days[k]));
		json_add(o, "days", dl);
		json_add(o, "once", json_object_new_boolean(!r->repeat));
		json_object_array_add(list, o);
	}
	json_add(obj, "rules", list);
	ctl_json_add_outlet(c, obj);
	return ctl_print_json(obj);
}

int cmd_schedule(struct ctl *c, int argc, char **argv)
{
	struct kasa_rule rule = {.enabled = true, .repeat = true, .wday = 0x7f, .name = "kasactl"};
	struct kasa_rules rs;
	char *req = NULL;
	int r;

	if (!strcmp(argv[0], "list")) {
		if (argc != 1)
			return ctl_usage_error("usage: kasactl HOST schedule list");
	} else if (!strcmp(argv[0], "add")) {
		if (argc < 3 || argc > 4)
			return ctl_usage_error(
				"usage: kasactl HOST schedule add on|off HH:MM|sunrise[+-MIN]|"
				"sunset[+-MIN] [daily|mon,tue,...]");
		if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
			return ctl_usage_error("schedule add: 'on' or 'off', not '%s'", argv[1]);
		rule.on = !strcmp(argv[1], "on");
		if (parse_when(argv[2], &rule) < 0)
			return ctl_usage_error("schedule add: invalid time '%s' (HH:MM, sunrise or "
					       "sunset, the last two with +MIN or -MIN up to 720)",
					       argv[2]);
		if (argc == 4 && parse_days(argv[3], &rule.wday) < 0)
			return ctl_usage_error("schedule add: invalid days '%s' (daily, or "
					       "sun,mon,tue,wed,thu,fri,sat)",
					       argv[3]);
	} else if (!strcmp(argv[0], "delete")) {
		if (argc != 2 || !argv[1][0] || strlen(argv[1]) >= KASA_ID_MAX)
			return ctl_usage_error("usage: kasactl HOST schedule delete ID|all");
	} else {
		return ctl_usage_error("schedule takes list, add or delete, not '%s'", argv[0]);
	}
	r = outlet_first(c);
	if (r != KASACTL_EXIT_OK)
		return r;
	if (!strcmp(argv[0], "add")) {
		r = kasa_req_schedule_add(ctl_child(c), &rule, &req);
		r = change_then_get(c, r, req, "schedule", "add_rule", &rs);
	} else if (!strcmp(argv[0], "delete")) {
		const char *id = strcmp(argv[1], "all") ? argv[1] : NULL;

		r = kasa_req_schedule_delete(ctl_child(c), id, &req);
		if (r == -EINVAL)
			return ctl_usage_error("schedule delete: invalid id '%s'", argv[1]);
		r = change_then_get(c, r, req, "schedule", id ? "delete_rule" : "delete_all_rules",
				    &rs);
	} else {
		r = change_then_get(c, 0, NULL, "schedule", NULL, &rs);
	}
	if (r != KASACTL_EXIT_OK)
		return r;
	return print_schedule(c, &rs);
}
