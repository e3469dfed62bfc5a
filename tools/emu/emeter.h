/* SPDX-License-Identifier: MIT */
/* kasa-emu: the simulated energy meter of one outlet and its history (emeter.c). */
#ifndef EMU_EMETER_H
#define EMU_EMETER_H

#include <stdbool.h>
#include <stdint.h>

struct emu_outlet;
struct json_object;

struct emu_meter {
	double load_w;	   /* real power drawn when on */
	double pf;	   /* power factor */
	double volts;	   /* nominal mains voltage */
	double avg_day_wh; /* typical daily energy, for the history */
	uint64_t seed;	   /* history and noise derive from it */
	uint64_t noise;	   /* noise sequence state */
	double total_wh;
	double today_wh;
	int today;  /* yyyymmdd that today_wh belongs to */
	int erased; /* yyyymmdd of the last erase, 0 when never */
	uint64_t last_usec;
};

void emeter_init(struct emu_meter *m, unsigned index, unsigned outlet, double volts, double power_w,
		 uint64_t now);
/* Account energy up to now; call before the relay changes and before reads. */
void emeter_update(struct emu_meter *m, bool on, uint64_t now);
/* Switch an outlet's relay at now, its meter brought up to date first. */
void emeter_set_relay(struct emu_outlet *o, bool on, uint64_t now);
/* One reading, for replies that are not the IOT emeter's (SMART). */
struct emu_reading {
	double volts, amps, watts; /* with the meter's noise; 0 A and 0 W when off */
	double total_wh;
	double today_wh; /* since midnight UTC */
	double month_wh; /* this month's days, today's included, as get_monthstat sums them */
};

void emeter_read(struct emu_meter *m, bool on, uint64_t now, struct emu_reading *ret);
struct json_object *emeter_realtime(struct emu_meter *m, bool on, bool new_style, int slot,
				    uint64_t now);
struct json_object *emeter_daystat(struct emu_meter *m, bool on, bool new_style,
				   struct json_object *params, uint64_t now);
struct json_object *emeter_monthstat(struct emu_meter *m, bool on, bool new_style,
				     struct json_object *params, uint64_t now);
void emeter_erase(struct emu_meter *m, bool on, uint64_t now);

#endif
