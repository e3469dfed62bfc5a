/* SPDX-License-Identifier: MIT */
/*
 * The JSON of what a plug keeps itself: its countdown, its schedule, its
 * clock.  As render.c: for every front door, owned objects.
 */
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "plugstate.h"
#include "render.h"
#include "rulebody.h"

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* An id or a name from the plug: well-formed UTF-8 for JSON. */
static struct json_object *text(const char *s)
{
	char buf[KASA_ID_MAX + 64];

	kasa_utf8_copy(buf, sizeof(buf), s);
	return json_object_new_string(buf);
}

struct json_object *render_countdown(const char *name, const struct kasa_rules *rules)
{
	struct json_object *o = json_object_new_object();
	const struct kasa_rule *r = NULL;

	/* One countdown a relay; a spent one stays, disabled. */
	for (unsigned i = 0; rules && i < rules->count; i++)
		if (rules->rule[i].enabled && rules->rule[i].remain_s != 0)
			r = &rules->rule[i];
	add(o, "device", json_object_new_string(name));
	add(o, "pending", json_object_new_boolean(r != NULL));
	if (!r)
		return o;
	add(o, "on", json_object_new_boolean(r->on));
	add(o, "seconds", json_object_new_int64(r->delay_s));
	add(o, "remaining_s", r->remain_s >= 0 ? json_object_new_int64(r->remain_s) : NULL);
	add(o, "id", text(r->id));
	return o;
}

static struct json_object *rule_json(const struct kasa_rule *r)
{
	struct json_object *o = json_object_new_object(), *days = json_object_new_array();
	char at[16];

	add(o, "id", text(r->id));
	add(o, "name", text(r->name));
	add(o, "enabled", json_object_new_boolean(r->enabled));
	add(o, "on", json_object_new_boolean(r->on));
	switch (r->at) {
	case KASA_RULE_AT_TIME:
		snprintf(at, sizeof(at), "%02d:%02d", r->min / 60, r->min % 60);
		add(o, "at", json_object_new_string(at));
		break;
	case KASA_RULE_AT_SUNRISE:
	case KASA_RULE_AT_SUNSET:
		add(o, "at",
		    json_object_new_string(r->at == KASA_RULE_AT_SUNRISE ? "sunrise" : "sunset"));
		add(o, "offset_min", json_object_new_int(r->offset_min));
		break;
	}
	for (unsigned d = 0; d < 7; d++)
		if (r->wday & (1u << d))
			json_object_array_add(days, json_object_new_string(rulebody_days[d]));
	add(o, "days", days);
	add(o, "once", json_object_new_boolean(!r->repeat));
	return o;
}

struct json_object *render_schedule(const char *name, const struct kasa_rules *rules)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();

	for (unsigned i = 0; rules && i < rules->count; i++)
		json_object_array_add(list, rule_json(&rules->rule[i]));
	add(o, "device", json_object_new_string(name));
	add(o, "rules", list);
	return o;
}

static struct json_object *wall_text(int64_t wall_s)
{
	time_t t = (time_t)wall_s;
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return json_object_new_string(buf);
}

struct json_object *render_time(const char *name, const struct plug_state *st, uint64_t now,
				int64_t wall_usec)
{
	struct json_object *o = json_object_new_object();
	int64_t offset = 0;
	bool known = plug_state_clock_offset(st, now, wall_usec, &offset);

	add(o, "device", json_object_new_string(name));
	add(o, "time", known ? wall_text(st->clock_wall_s) : NULL);
	add(o, "zone", known ? json_object_new_int(st->clock_zone) : NULL);
	/* What the plug's app calls that zone. */
	add(o, "zone_label",
	    known && kasa_timezone_label(st->clock_zone)
		    ? json_object_new_string(kasa_timezone_label(st->clock_zone))
		    : NULL);
	add(o, "offset_s", known ? json_object_new_int64(offset) : NULL);
	add(o, "kasad_time", wall_text(wall_usec / 1000000));
	add(o, "age_ms", known && now >= st->clock_usec
				 ? json_object_new_int64((int64_t)((now - st->clock_usec) / 1000))
				 : NULL);
	return o;
}
