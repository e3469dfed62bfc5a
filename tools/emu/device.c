/* SPDX-License-Identifier: MIT */
/*
 * The state of one emulated device: identity, outlets, rule tables, and what
 * a reboot does to them.  request.c answers requests on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "common/clock.h"
#include "common/macro.h"
#include "common/text.h"
#include "device.h"
#include "emu.h"

static void reboot_fire(struct emu_timer *t)
{
	struct emu_device *d = container_of(t, struct emu_device, reboot_timer);
	uint64_t now = monotonic_usec();

	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] rebooting\n", d->index);
	/* Connections and the KLAP session die with the firmware; the relay
	 * keeps its state. */
	net_drop(&d->net);
	if (d->klap)
		klap_reset(d->klap);
	for (unsigned i = 0; i < d->outlets; i++) {
		struct emu_outlet *o = &d->outlet[i];

		emeter_update(&o->meter, o->on, now);
		if (o->on)
			o->on_since = now;
	}
}

int64_t device_wall_usec(const struct emu_device *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * (int64_t)USEC_PER_SEC + ts.tv_nsec / 1000 +
	       d->clock_offset_usec;
}

void device_set_clock(struct emu_device *d, int64_t wall_s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* To the second, as the plug takes it: what was set reads back. */
	d->clock_offset_usec = (wall_s - (int64_t)ts.tv_sec) * (int64_t)USEC_PER_SEC -
			       ts.tv_nsec / 1000;
	rules_clock_changed(&d->schedule);
}

/* A rule fired: the relays of mask go on or off, as set_relay_state does. */
static void rule_fire(void *owner, uint32_t mask, bool on)
{
	struct emu_device *d = owner;
	uint64_t now = monotonic_usec();

	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] a rule switches %s\n", d->index, on ? "on" : "off");
	for (unsigned i = 0; i < d->outlets; i++)
		if (mask & (1u << i))
			emeter_set_relay(&d->outlet[i], on, now);
}

static int64_t rule_wall_usec(void *owner)
{
	return device_wall_usec(owner);
}

struct emu_device *device_new(unsigned index, const struct emu_spec *spec, unsigned rep)
{
	struct emu_device *d = calloc(1, sizeof(*d));
	uint64_t now = monotonic_usec();

	if (!d)
		return NULL;
	d->index = index;
	d->spec = *spec;
	d->model = spec->model;
	d->outlets = d->model->outlets;
	d->reboot_timer.cb = reboot_fire;
	d->fault_rng = spec->has_seed ? spec->seed : emu_mix64(index + 1);
	net_setup(&d->net, index, &d->spec, &d->fault_rng);
	d->noise_rng = emu_mix64(index ^ 0x6e6f697365ULL);
	if (spec->alias[0] && rep) {
		char suffix[16];
		int n = snprintf(suffix, sizeof(suffix), " %u", rep);
		int keep = (int)strlen(spec->alias);

		if (keep + n >= EMU_ALIAS_MAX)
			keep = EMU_ALIAS_MAX - 1 - n;
		snprintf(d->alias, sizeof(d->alias), "%.*s%s", keep, spec->alias, suffix);
	} else {
		snprintf(d->alias, sizeof(d->alias), "%s", spec->alias);
	}
	for (unsigned i = 0; i < d->outlets; i++) {
		struct emu_outlet *o = &d->outlet[i];

		snprintf(o->alias, sizeof(o->alias), "Plug %u", i + 1);
		o->on = spec->on;
		o->on_since = now;
		if (d->model->meter != EMU_METER_NONE)
			emeter_init(&o->meter, index, i, d->model->volts, spec->power_w, now);
	}
	d->brightness = spec->brightness ? (int)spec->brightness : 100;
	d->clock_offset_usec = spec->clock_offset_s * (int64_t)USEC_PER_SEC;
	d->tz_index = 39;
	rules_init(&d->countdown, d->outlets, emu_mix64(index ^ 0xc0c0), true,
		   &(struct emu_rules_hooks){rule_fire, rule_wall_usec, d});
	rules_init(&d->schedule, EMU_RULES_MAX, emu_mix64(index ^ 0x5c5c), false,
		   &(struct emu_rules_hooks){rule_fire, rule_wall_usec, d});
	return d;
}

void device_free(struct emu_device *d)
{
	if (!d)
		return;
	loop_timer_cancel(&d->reboot_timer);
	klap_free(d->klap);
	rules_clear(&d->countdown);
	rules_clear(&d->schedule);
	free(d);
}

void device_identity(struct emu_device *d, uint32_t mac_base)
{
	uint32_t low = (mac_base + d->index) & 0xFFFFFF;
	uint64_t seed = low ^ ((uint64_t)mac_base << 32), h1, h2;

	/* mac= names the device: the same MAC, the same device wherever it
	 * listens, deviceId and all. */
	if (d->spec.mac[0]) {
		seed = 0;
		for (const char *p = d->spec.mac; *p; p++)
			if (*p != ':')
				seed = seed << 4 | (uint64_t)hex_digit(*p);
		low = seed & 0xFFFFFF;
		seed |= 1ULL << 63;
	}
	h1 = h2 = emu_mix64(seed);
	/* The model takes part so that models differ even at one MAC. */
	for (const char *p = d->model->name; *p; p++)
		h2 = emu_mix64(h2 ^ (unsigned char)*p);

	if (d->spec.mac[0])
		snprintf(d->mac, sizeof(d->mac), "%s", d->spec.mac);
	else
		snprintf(d->mac, sizeof(d->mac), "50:C7:BF:%02X:%02X:%02X", low >> 16,
			 (low >> 8) & 0xFF, low & 0xFF);
	snprintf(d->device_id, sizeof(d->device_id), "8006%016llX%016llX%04X",
		 (unsigned long long)h1, (unsigned long long)h2, low & 0xFFFF);
	d->rssi = -52 - (int)(h1 % 16);
	if (!d->alias[0])
		snprintf(d->alias, sizeof(d->alias), "%s%02X%02X", d->model->alias_prefix,
			 (low >> 8) & 0xFF, low & 0xFF);
}
