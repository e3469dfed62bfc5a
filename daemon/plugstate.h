/* SPDX-License-Identifier: MIT */
/*
 * A plug's cached state, and the views of it that every device on the plug
 * sees: the whole plug, one outlet of a strip, or a whole strip.  Written
 * by plug I/O's recipes (plugjob.c), read by the renderer, the metrics and
 * the device service; pure functions, no I/O.
 */
#ifndef KASAD_PLUGSTATE_H
#define KASAD_PLUGSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "kasa.h"

/* The cached state. */
struct plug_state {
	bool known;    /* sysinfo has been read at least once */
	uint64_t usec; /* when sysinfo was read */
	struct kasa_sysinfo info;
	bool emeter_known;
	uint64_t emeter_usec;
	struct kasa_emeter emeter;			    /* single plugs */
	/* SMART meters give the power, and energy today and this month, but
	 * no voltage, current or total. */
	bool emeter_power_only;
	struct kasa_smart_energy energy;
	struct kasa_emeter outlet_emeter[KASA_OUTLETS_MAX]; /* strips, per outlet */
	/* The plug's clock as the last TIME_ job read it: its wall clock
	 * (seconds since the epoch, were its zone UTC) at clock_usec, and its
	 * zone's index. */
	bool clock_known;
	uint64_t clock_usec;
	int64_t clock_wall_s;
	int clock_zone;
	bool online;
	unsigned misses; /* failed polls in a row */
	int last_error;	 /* of the last failed round trip, 0 after a success */
	char last_error_text[128];
};

/* The outlet a device names, if the plug has been read and has it; NULL
 * for a whole plug or strip. */
const struct kasa_outlet *plug_state_outlet(const struct plug_state *st, int outlet);
/* The device's alias (the outlet's, or the plug's); "" before a read. */
const char *plug_state_alias(const struct plug_state *st, int outlet);
/* The relay of a device on this plug: an outlet, a single plug, or a whole
 * strip (on when any outlet is on, as the strip's own button shows it);
 * false for an outlet the plug lacks.  See plug_state_relay() to tell
 * "off" from "not known". */
bool plug_state_on(const struct plug_state *st, int outlet);
/* The device's relay in *ret_on; false when not known (never read, or an
 * outlet the plug lacks). */
bool plug_state_relay(const struct plug_state *st, int outlet, bool *ret_on);
/* Seconds the relay has been on, as the plug said: 1 (and *ret_s) when
 * on, 0 when off, -ENODATA when on with no plausible time, -ENOENT when
 * there is no one relay to time (a whole strip, an outlet the plug lacks,
 * a plug never read). */
int plug_state_on_time(const struct plug_state *st, int outlet, int64_t *ret_s);
/* The meter reading of a device on this plug: an outlet's, a single plug's,
 * or a whole strip's sum (its voltage the outlets' average: they share one
 * supply).  False when there is no meter or no reading yet. */
bool plug_state_emeter(const struct plug_state *st, int outlet, struct kasa_emeter *ret);
/* A switch the plug confirmed: the outlet, the whole strip (outlet -1 on a
 * strip) or the single plug is now on or off, just switched. */
void plug_state_set_relay(struct plug_state *st, int outlet, bool on);

/* How far the plug's clock is from wall_usec (a local wall clock at
 * now_usec, microseconds since the epoch were its zone UTC), in whole
 * seconds: false when its clock was never read. */
bool plug_state_clock_offset(const struct plug_state *st, uint64_t now_usec, int64_t wall_usec,
			     int64_t *ret_s);

#endif
