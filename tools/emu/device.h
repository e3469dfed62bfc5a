/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: the state of one emulated device (device.c): its identity, its
 * outlets with their meters, its rule tables and its network side.
 * request.c answers requests on it.
 */
#ifndef EMU_DEVICE_H
#define EMU_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "emeter.h"
#include "emu.h"
#include "klap.h"
#include "loop.h"
#include "model.h"
#include "net.h"
#include "rules.h"
#include "spec.h"

struct emu_outlet {
	char alias[EMU_ALIAS_MAX];
	bool on;
	uint64_t on_since; /* monotonic usec when on */
	struct emu_meter meter;
};

struct emu_device {
	unsigned index;
	struct emu_spec spec;
	const struct emu_model *model;

	/* identity */
	char device_id[41];
	char mac[18];
	int rssi;

	/* state */
	char alias[EMU_ALIAS_MAX];
	bool led_off;
	int brightness; /* a dimmer's level, 1..100 (the model's dimmer) */
	unsigned outlets;
	struct emu_outlet outlet[EMU_OUTLETS_MAX];
	struct emu_rules countdown, schedule;
	int64_t clock_offset_usec; /* its wall clock less the host's */
	int tz_index;		   /* get_timezone's index */
	struct emu_timer reboot_timer;
	uint64_t fault_rng; /* flaky, garbage, split: seeded by seed= */
	uint64_t noise_rng; /* rssi jitter */

	struct emu_net net;    /* owned by net.c */
	struct emu_klap *klap; /* KLAP devices: the session (owned); else NULL */
};

/* rep: the repetition number (1-based) under -n, 0 when not repeated. */
struct emu_device *device_new(unsigned index, const struct emu_spec *spec, unsigned rep);
void device_free(struct emu_device *d);
/* The device's wall clock, in microseconds since the epoch (UTC, its
 * zone not applied). */
int64_t device_wall_usec(const struct emu_device *d);
/* Set that clock to wall_s seconds since the epoch. */
void device_set_clock(struct emu_device *d, int64_t wall_s);
/* Derive deviceId, MAC and default aliases; mac_base makes several processes differ. */
void device_identity(struct emu_device *d, uint32_t mac_base);

#endif
