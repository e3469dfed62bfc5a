/* SPDX-License-Identifier: MIT */
/* kasa-emu: replies with values no real plug sends (hostile.c). */
#ifndef EMU_HOSTILE_H
#define EMU_HOSTILE_H

#include <stdbool.h>

struct json_object;

/* What hostile= bends in the replies (hostile.c). */
enum emu_hostile {
	EMU_HOSTILE_NONE,
	EMU_HOSTILE_UTF8,    /* sysinfo strings with ill-formed UTF-8 */
	EMU_HOSTILE_ONTIME,  /* on_time -1 (outlets: also INT64_MIN) */
	EMU_HOSTILE_METER,   /* get_realtime power 1e300 */
	EMU_HOSTILE_HISTORY, /* statistics of other periods, days 0 and 99, months 0 and 13 */
	EMU_HOSTILE_OUTLETS, /* 17 children */
	EMU_HOSTILE_CHILDID, /* the second child's id starts with \x01 */
	EMU_HOSTILE_BRIGHTNESS, /* sysinfo's brightness 250 */
};

int hostile_from_name(const char *name, enum emu_hostile *ret);
/* Bend a result object as the hostile mode says (no-ops otherwise). */
void hostile_sysinfo(enum emu_hostile mode, const char *device_id, struct json_object *si);
void hostile_realtime(enum emu_hostile mode, struct json_object *res);
/* month 0: get_monthstat of year; else get_daystat of that month.  new_style:
 * the meter speaks in integers (energy_wh). */
void hostile_stats(enum emu_hostile mode, bool new_style, struct json_object *res, int year,
		   int month);

#endif
