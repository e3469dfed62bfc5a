/* SPDX-License-Identifier: MIT */
/*
 * Rule tables of the count_down and schedule modules, and their running: a
 * countdown switches its outlets when it expires, a schedule rule at its
 * minute of the device's clock, as a plug does with nobody connected.
 * Each rule belongs to the outlets the request's context named (all of
 * them without one); a strip keeps one countdown per outlet.  add, edit,
 * delete, "table is full" (-10) and "entry not exist" (-14) as firmware.
 *
 * The schedule's clock is the device's wall clock (its zone is not
 * applied); sunrise is at 06:00 and sunset at 18:00, plus the rule's
 * soffset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/macro.h"
#include "emu.h"
#include "result.h"
#include "rules.h"

/* A stored rule's JSON text; larger ones are refused as invalid. */
#define RULE_TEXT_MAX 2048
#define SUNRISE_MIN   (6 * 60)
#define SUNSET_MIN    (18 * 60)
#define COUNTDOWN_MAX (30 * 86400)

static void schedule_arm(struct emu_rules *r);

void rules_init(struct emu_rules *r, unsigned max, uint64_t id_seed, bool countdown,
		const struct emu_rules_hooks *hooks)
{
	memset(r, 0, sizeof(*r));
	r->max = max > EMU_RULES_MAX ? EMU_RULES_MAX : max;
	r->id_seed = id_seed;
	r->countdown = countdown;
	r->hooks = *hooks;
}

static void rule_free(struct emu_rule *rule)
{
	if (!rule)
		return;
	loop_timer_cancel(&rule->timer);
	json_object_put(rule->obj);
	free(rule);
}

void rules_clear(struct emu_rules *r)
{
	for (unsigned i = 0; i < r->count; i++)
		rule_free(r->list[i]);
	r->count = 0;
	loop_timer_cancel(&r->minute);
}

static const char *params_id(struct json_object *params)
{
	struct json_object *id;

	if (!json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "id", &id) ||
	    !json_object_is_type(id, json_type_string))
		return NULL;
	return json_object_get_string(id);
}

/* An integer member, def when absent or not an integer. */
static int64_t member(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

static void set_member(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_del(o, key);
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* The index of the rule of the outlets mask whose id params names, its id
 * in *ret_id (borrowed from params) when ret_id is not NULL; else the
 * device error: EMU_ERR_ARG without an id, EMU_ERR_ENTRY for an unknown one. */
static int find_param(const struct emu_rules *r, struct json_object *params, uint32_t mask,
		      const char **ret_id)
{
	const char *id = params_id(params);

	if (!id)
		return EMU_ERR_ARG;
	for (unsigned i = 0; i < r->count; i++) {
		if ((r->list[i]->mask & mask) && !strcmp(params_id(r->list[i]->obj), id)) {
			if (ret_id)
				*ret_id = id;
			return (int)i;
		}
	}
	return EMU_ERR_ENTRY;
}

/* A copy of params with the given id, or NULL when params will not do. */
static struct json_object *make_rule(const struct emu_rules *r, struct json_object *params,
				     const char *id)
{
	struct json_object *rule = NULL;

	if (!json_object_is_type(params, json_type_object) ||
	    json_object_object_length(params) == 0)
		return NULL;
	if (strlen(json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN)) > RULE_TEXT_MAX)
		return NULL;
	/* What the device runs must make sense to it. */
	if (r->countdown &&
	    (member(params, "delay", -1) < 1 || member(params, "delay", -1) > COUNTDOWN_MAX ||
	     member(params, "act", -1) < 0 || member(params, "act", -1) > 1))
		return NULL;
	if (!r->countdown &&
	    (member(params, "sact", -1) < 0 || member(params, "sact", -1) > 1 ||
	     member(params, "stime_opt", -1) < 0 || member(params, "stime_opt", -1) > 2 ||
	     member(params, "smin", -1) < 0 || member(params, "smin", -1) > 1439))
		return NULL;
	if (json_object_deep_copy(params, &rule, NULL) < 0)
		return NULL;
	json_object_object_del(rule, "id");
	json_object_object_add(rule, "id", json_object_new_string(id));
	return rule;
}

/* --- Running them ---------------------------------------------------------- */

static void countdown_fire(struct emu_timer *t)
{
	struct emu_rule *rule = container_of(t, struct emu_rule, timer);
	struct emu_rules *r = rule->owner;

	rule->due = 0;
	/* Spent: the rule stays, disabled, as the Kasa app finds it. */
	set_member(rule->obj, "enable", 0);
	r->hooks.fire(r->hooks.owner, rule->mask, member(rule->obj, "act", 0) == 1);
}

/* A countdown rule that is enabled counts down from now. */
static void countdown_arm(struct emu_rule *rule, uint64_t now)
{
	loop_timer_cancel(&rule->timer);
	rule->due = 0;
	if (member(rule->obj, "enable", 0) != 1)
		return;
	rule->due = now + (uint64_t)member(rule->obj, "delay", 0) * USEC_PER_SEC;
	loop_timer_arm(&rule->timer, rule->due);
}

/* The minute of the day a schedule rule fires at, -1 for none. */
static int rule_minute(struct json_object *o)
{
	int64_t off = member(o, "soffset", 0), m;

	switch (member(o, "stime_opt", -1)) {
	case 0:
		return (int)member(o, "smin", -1);
	case 1:
		m = SUNRISE_MIN + off;
		break;
	case 2:
		m = SUNSET_MIN + off;
		break;
	default:
		return -1;
	}
	return m >= 0 && m < 1440 ? (int)m : -1;
}

static bool wday_set(struct json_object *o, int wday)
{
	struct json_object *w;

	if (!json_object_object_get_ex(o, "wday", &w) || !json_object_is_type(w, json_type_array))
		return true;
	w = json_object_array_get_idx(w, (size_t)wday);
	return json_object_is_type(w, json_type_int) && json_object_get_int(w) == 1;
}

static void schedule_fire(struct emu_timer *t)
{
	struct emu_rules *r = container_of(t, struct emu_rules, minute);
	/* Half a second's grace: the timer fires just after the minute. */
	int64_t wall = (r->hooks.wall_usec(r->hooks.owner) + USEC_PER_SEC / 2) / USEC_PER_SEC;
	time_t tt = (time_t)(wall - wall % 60);
	struct tm tm;
	int minute;

	gmtime_r(&tt, &tm);
	minute = tm.tm_hour * 60 + tm.tm_min;
	for (unsigned i = 0; i < r->count; i++) {
		struct json_object *o = r->list[i]->obj;

		if (member(o, "enable", 0) != 1 || rule_minute(o) != minute ||
		    !wday_set(o, tm.tm_wday))
			continue;
		if (emu_verbose)
			fprintf(stderr, "kasa-emu: rule %s fires\n", params_id(o));
		r->hooks.fire(r->hooks.owner, r->list[i]->mask, member(o, "sact", 0) == 1);
		if (member(o, "repeat", 1) == 0)
			set_member(o, "enable", 0);
	}
	schedule_arm(r);
}

/* The schedule's timer, at the next minute of the device's clock while a
 * rule is enabled. */
static void schedule_arm(struct emu_rules *r)
{
	int64_t wall, next;
	bool any = false;

	if (r->countdown)
		return;
	for (unsigned i = 0; i < r->count; i++)
		any |= member(r->list[i]->obj, "enable", 0) == 1;
	if (!any) {
		loop_timer_cancel(&r->minute);
		return;
	}
	r->minute.cb = schedule_fire;
	wall = r->hooks.wall_usec(r->hooks.owner);
	/* The next minute that has not fired: more than half a second ahead. */
	next = (wall + USEC_PER_SEC / 2) / (60 * (int64_t)USEC_PER_SEC) + 1;
	loop_timer_arm(&r->minute, monotonic_usec() + (uint64_t)(next * 60 * USEC_PER_SEC - wall));
}

void rules_clock_changed(struct emu_rules *r)
{
	schedule_arm(r);
}

/* --- The methods ------------------------------------------------------------ */

static struct json_object *get_rules(struct emu_rules *r, uint32_t mask, uint64_t now)
{
	struct json_object *res = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (unsigned i = 0; i < r->count; i++) {
		struct emu_rule *rule = r->list[i];
		struct json_object *o = NULL;

		if (!(rule->mask & mask))
			continue;
		if (!r->countdown) {
			json_object_array_add(list, json_object_get(rule->obj));
			continue;
		}
		if (json_object_deep_copy(rule->obj, &o, NULL) < 0)
			continue;
		set_member(o, "remain",
			   rule->due > now ? (int64_t)((rule->due - now + USEC_PER_SEC - 1) /
						       USEC_PER_SEC)
					   : 0);
		json_object_array_add(list, o);
	}
	json_object_object_add(res, "rule_list", list);
	if (!r->countdown) {
		json_object_object_add(res, "version", json_object_new_int(2));
		json_object_object_add(res, "enable", json_object_new_int(1));
	}
	json_object_object_add(res, "err_code", json_object_new_int(0));
	return res;
}

static struct json_object *add_rule(struct emu_rules *r, struct json_object *params,
				    uint32_t mask, uint64_t now)
{
	struct emu_rule *rule;
	struct json_object *obj, *res;
	char id[33];
	uint64_t a, b;

	if (r->count >= r->max)
		return result_new(EMU_ERR_FULL);
	/* One countdown an outlet. */
	for (unsigned i = 0; r->countdown && i < r->count; i++)
		if (r->list[i]->mask & mask)
			return result_new(EMU_ERR_FULL);
	a = emu_mix64(r->id_seed ^ r->next_id);
	b = emu_mix64(a + r->next_id);
	r->next_id++;
	snprintf(id, sizeof(id), "%016llX%016llX", (unsigned long long)a, (unsigned long long)b);
	obj = make_rule(r, params, id);
	if (!obj)
		return result_new(EMU_ERR_ARG);
	rule = calloc(1, sizeof(*rule));
	if (!rule) {
		json_object_put(obj);
		return result_new(EMU_ERR_FULL);
	}
	rule->obj = obj;
	rule->mask = mask;
	rule->owner = r;
	rule->timer.cb = countdown_fire;
	r->list[r->count++] = rule;
	if (r->countdown)
		countdown_arm(rule, now);
	schedule_arm(r);
	res = json_object_new_object();
	json_object_object_add(res, "id", json_object_new_string(id));
	json_object_object_add(res, "err_code", json_object_new_int(0));
	return res;
}

static struct json_object *edit_rule(struct emu_rules *r, struct json_object *params,
				     uint32_t mask, uint64_t now)
{
	struct json_object *obj;
	const char *id;
	int i = find_param(r, params, mask, &id);

	if (i < 0)
		return result_new(i);
	obj = make_rule(r, params, id);
	if (!obj)
		return result_new(EMU_ERR_ARG);
	json_object_put(r->list[i]->obj);
	r->list[i]->obj = obj;
	if (r->countdown)
		countdown_arm(r->list[i], now);
	schedule_arm(r);
	return result_new(0);
}

static void remove_at(struct emu_rules *r, unsigned i)
{
	rule_free(r->list[i]);
	memmove(&r->list[i], &r->list[i + 1], (r->count - i - 1) * sizeof(r->list[0]));
	r->count--;
}

static struct json_object *delete_rule(struct emu_rules *r, struct json_object *params,
				       uint32_t mask)
{
	int i = find_param(r, params, mask, NULL);

	if (i < 0)
		return result_new(i);
	remove_at(r, (unsigned)i);
	schedule_arm(r);
	return result_new(0);
}

static struct json_object *delete_all(struct emu_rules *r, uint32_t mask)
{
	for (unsigned i = r->count; i-- > 0;)
		if (r->list[i]->mask & mask)
			remove_at(r, i);
	schedule_arm(r);
	return result_new(0);
}

struct json_object *rules_call(struct emu_rules *r, const char *method, struct json_object *params,
			       uint32_t mask)
{
	uint64_t now = monotonic_usec();

	if (!strcmp(method, "get_rules"))
		return get_rules(r, mask, now);
	if (!strcmp(method, "add_rule"))
		return add_rule(r, params, mask, now);
	if (!strcmp(method, "edit_rule"))
		return edit_rule(r, params, mask, now);
	if (!strcmp(method, "delete_rule"))
		return delete_rule(r, params, mask);
	if (!strcmp(method, "delete_all_rules"))
		return delete_all(r, mask);
	return NULL;
}

bool rules_pending(const struct emu_rules *r)
{
	for (unsigned i = 0; i < r->count; i++)
		if (member(r->list[i]->obj, "enable", 0) == 1)
			return true;
	return false;
}
