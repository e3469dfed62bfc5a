/* SPDX-License-Identifier: MIT */
/*
 * Hostile replies: well-framed JSON whose values no real plug sends, to
 * test what a client keeps of them.  Each mode bends the honest reply the
 * device built, just before it goes out (fault.c decides how it goes out).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "emu.h"
#include "hostile.h"

static const char *const hostile_names[] = {
	[EMU_HOSTILE_NONE] = "none",	   [EMU_HOSTILE_UTF8] = "utf8",
	[EMU_HOSTILE_ONTIME] = "ontime",   [EMU_HOSTILE_METER] = "meter",
	[EMU_HOSTILE_HISTORY] = "history", [EMU_HOSTILE_OUTLETS] = "outlets",
	[EMU_HOSTILE_CHILDID] = "childid", [EMU_HOSTILE_BRIGHTNESS] = "brightness",
};

int hostile_from_name(const char *name, enum emu_hostile *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(hostile_names); i++) {
		if (!strcmp(name, hostile_names[i])) {
			*ret = (enum emu_hostile)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Replace obj[key] with a string of the given bytes (json-c sends them as they are). */
static void set_str(struct json_object *obj, const char *key, const char *bytes)
{
	json_object_object_add(obj, key, json_object_new_string(bytes));
}

static void set_int(struct json_object *obj, const char *key, int64_t v)
{
	json_object_object_add(obj, key, json_object_new_int64(v));
}

/* obj[key] prefixed with bytes, when obj has it as a string. */
static void prefix_str(struct json_object *obj, const char *key, const char *bytes)
{
	struct json_object *v;
	char buf[256];

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return;
	snprintf(buf, sizeof(buf), "%s%s", bytes, json_object_get_string(v));
	set_str(obj, key, buf);
}

/* Ill-formed UTF-8 of every kind, one kind per field. */
static void sysinfo_utf8(struct json_object *si)
{
	struct json_object *children;

	set_str(si, "alias", "\xff\xfe lamp");		/* bytes no UTF-8 has */
	prefix_str(si, "model", "\xc0\xaf");		/* overlong '/' */
	prefix_str(si, "sw_ver", "\xed\xa0\x80");	/* a UTF-16 surrogate */
	prefix_str(si, "hw_ver", "\xf4\x90\x80\x80");	/* past U+10FFFF */
	prefix_str(si, "dev_name", "\xe2\x82 ");	/* cut short */
	prefix_str(si, "mac", "\x80");			/* a stray continuation */
	prefix_str(si, "deviceId", "\xf0\x80\x80\xaf"); /* overlong, 4 bytes */
	prefix_str(si, "oemId", "\xc3");		/* cut short by the quote */
	if (json_object_object_get_ex(si, "children", &children) &&
	    json_object_is_type(children, json_type_array))
		for (size_t i = 0; i < json_object_array_length(children); i++)
			prefix_str(json_object_array_get_idx(children, i), "alias", "\xfe\xff ");
}

void hostile_sysinfo(enum emu_hostile mode, const char *device_id, struct json_object *si)
{
	struct json_object *children, *c;

	switch (mode) {
	case EMU_HOSTILE_UTF8:
		sysinfo_utf8(si);
		break;
	case EMU_HOSTILE_ONTIME:
		if (json_object_object_get_ex(si, "on_time", NULL))
			set_int(si, "on_time", -1);
		if (json_object_object_get_ex(si, "children", &children) &&
		    json_object_is_type(children, json_type_array))
			for (size_t i = 0; i < json_object_array_length(children); i++)
				set_int(json_object_array_get_idx(children, i), "on_time",
					i % 2 ? -1 : INT64_MIN);
		break;
	case EMU_HOSTILE_OUTLETS:
		/* Seventeen outlets in a frame of 2 KB or so. */
		children = json_object_new_array();
		for (unsigned i = 0; i < 17; i++) {
			char id[64];

			c = json_object_new_object();
			snprintf(id, sizeof(id), "%s%02u", device_id, i);
			set_str(c, "id", id);
			set_int(c, "state", 0);
			snprintf(id, sizeof(id), "Plug %u", i + 1);
			set_str(c, "alias", id);
			set_int(c, "on_time", 0);
			json_object_array_add(children, c);
		}
		json_object_object_add(si, "children", children);
		set_int(si, "child_num", 17);
		json_object_object_del(si, "relay_state");
		break;
	case EMU_HOSTILE_CHILDID:
		/* The second outlet's id with a control character in it. */
		if (json_object_object_get_ex(si, "children", &children) &&
		    json_object_is_type(children, json_type_array) &&
		    json_object_array_length(children) > 1)
			prefix_str(json_object_array_get_idx(children, 1), "id", "\x01");
		break;
	case EMU_HOSTILE_BRIGHTNESS:
		/* A level no dimmer has (a plug gets one too). */
		set_int(si, "brightness", 250);
		break;
	case EMU_HOSTILE_NONE:
	case EMU_HOSTILE_METER:
	case EMU_HOSTILE_HISTORY:
		break;
	}
}

void hostile_realtime(enum emu_hostile mode, struct json_object *res)
{
	if (mode != EMU_HOSTILE_METER)
		return;
	/* A power no plug draws, in whichever style the device speaks. */
	if (json_object_object_get_ex(res, "power_mw", NULL))
		json_object_object_add(res, "power_mw", json_object_new_double(1e300));
	else
		json_object_object_add(res, "power", json_object_new_double(1e300));
}

static struct json_object *stat_entry(int year, int month, int day, bool new_style)
{
	struct json_object *e = json_object_new_object();

	set_int(e, "year", year);
	set_int(e, "month", month);
	if (day >= 0)
		set_int(e, "day", day);
	if (new_style)
		set_int(e, "energy_wh", 999999);
	else
		json_object_object_add(e, "energy", json_object_new_double(999.999));
	return e;
}

void hostile_stats(enum emu_hostile mode, bool new_style, struct json_object *res, int year,
		   int month)
{
	struct json_object *list;
	bool daily = month > 0;

	if (mode != EMU_HOSTILE_HISTORY ||
	    !json_object_object_get_ex(res, daily ? "day_list" : "month_list", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	/* Entries the plug labels with another period, or dates that do not exist. */
	if (daily) {
		json_object_array_add(list, stat_entry(year, month % 12 + 1, 5, new_style));
		json_object_array_add(list, stat_entry(year - 1, month, 6, new_style));
		json_object_array_add(list, stat_entry(year, month, 0, new_style));
		json_object_array_add(list, stat_entry(year, month, 99, new_style));
	} else {
		json_object_array_add(list, stat_entry(year - 1, 3, -1, new_style));
		json_object_array_add(list, stat_entry(year, 0, -1, new_style));
		json_object_array_add(list, stat_entry(year, 13, -1, new_style));
	}
}
