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

/*
 * What kasad keeps of a plug's sysinfo: the fields it shows, and a strip's
 * outlets in memory of their own.  A struct kasa_sysinfo has room for
 * KASA_OUTLETS_MAX outlets (about 4 KiB) that single plugs never use, and
 * ten thousand plugs would carry 40 MiB of it.
 */
struct plug_info {
	char alias[64];
	char model[32];
	char device_id[KASA_ID_MAX];
	char mac[24];
	char hw_ver[16];
	char sw_ver[64];
	int rssi;
	bool led_on;
	bool has_relay;
	bool relay_on;
	int64_t on_time;
	bool has_emeter;
	bool has_brightness; /* a dimmer */
	int brightness;	     /* its level, 0..100 */
	unsigned outlet_count;
	struct kasa_outlet *outlets; /* outlet_count of them (owned); NULL for single plugs */
};

/* The cached state.  It owns memory: plug_state_release() frees it. */
struct plug_state {
	uint64_t usec; /* when sysinfo was read */
	struct plug_info info;
	uint64_t emeter_usec;
	struct kasa_emeter emeter;	   /* single plugs */
	struct kasa_smart_energy energy;   /* SMART meters (see emeter_power_only) */
	struct kasa_emeter *outlet_emeter; /* strips: info.outlet_count of them (owned) */
	/* The plug's clock as the last TIME_ job read it: its wall clock
	 * (seconds since the epoch, were its zone UTC) at clock_usec, and its
	 * zone's index. */
	uint64_t clock_usec;
	int64_t clock_wall_s;
	int clock_zone;
	unsigned misses;	 /* failed polls in a row */
	int last_error;		 /* of the last failed round trip, 0 after a success */
	char *last_error_text;	 /* of last_error, owned; NULL when none */
	/* Together, so that ten thousand plugs carry no padding for them. */
	bool known;		 /* sysinfo has been read at least once */
	bool emeter_known;
	/* SMART meters give the power, and energy today and this month, but
	 * no voltage, current or total. */
	bool emeter_power_only;
	bool clock_known;
	bool online;
};

/* Keep what a sysinfo says: -ENOMEM (st unchanged) when a strip's outlets
 * do not fit in memory.  A strip's outlet count that changed starts its
 * outlets' meter readings afresh (zero). */
int plug_state_take_info(struct plug_state *st, const struct kasa_sysinfo *in);
/* Make room for n outlets (0: a single plug), each zero where new: for the
 * parser above and for tests.  -ENOMEM (st unchanged). */
int plug_state_set_outlets(struct plug_state *st, unsigned n);
/* The longest last_error_text kept. */
#define PLUG_ERROR_TEXT_MAX 128
/* The last round trip failed with error, text saying why (cut to fit);
 * error 0 clears both.  Returns whether the text changed.  Out of memory,
 * the text is NULL, which reads as "". */
bool plug_state_set_error(struct plug_state *st, int error, const char *text);
/* Free what st owns; st is then a single plug never read. */
void plug_state_release(struct plug_state *st);

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
/* The level of a dimmer, 0..100 (the light's when on, kept while off);
 * false for a device that has none (a plug, an outlet) or never read. */
bool plug_state_brightness(const struct plug_state *st, int outlet, int *ret);
/* A switch the plug confirmed: the outlet, the whole strip (outlet -1 on a
 * strip) or the single plug is now on or off, just switched. */
void plug_state_set_relay(struct plug_state *st, int outlet, bool on);

/* How far the plug's clock is from wall_usec (a local wall clock at
 * now_usec, microseconds since the epoch were its zone UTC), in whole
 * seconds: false when its clock was never read. */
bool plug_state_clock_offset(const struct plug_state *st, uint64_t now_usec, int64_t wall_usec,
			     int64_t *ret_s);

#endif
