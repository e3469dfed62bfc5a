/* SPDX-License-Identifier: MIT */
/* The views of a plug's cached state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "plugstate.h"

/* The strings are copied whole: each must be as long as libkasa's. */
#define SAME_SIZE(f)                                                                             \
	_Static_assert(sizeof(((struct plug_info *)0)->f) == sizeof(((struct kasa_sysinfo *)0)->f), \
		       #f " differs in size from struct kasa_sysinfo's")
SAME_SIZE(alias);
SAME_SIZE(model);
SAME_SIZE(device_id);
SAME_SIZE(mac);
SAME_SIZE(hw_ver);
SAME_SIZE(sw_ver);

int plug_state_set_outlets(struct plug_state *st, unsigned n)
{
	struct kasa_outlet *ou = NULL;
	struct kasa_emeter *em = NULL;

	if (n == st->info.outlet_count)
		return 0;
	if (n > 0) {
		ou = calloc(n, sizeof(*ou));
		em = calloc(n, sizeof(*em));
		if (!ou || !em) {
			free(ou);
			free(em);
			return -ENOMEM;
		}
	}
	free(st->info.outlets);
	free(st->outlet_emeter);
	st->info.outlets = ou;
	st->outlet_emeter = em;
	st->info.outlet_count = n;
	return 0;
}

int plug_state_take_info(struct plug_state *st, const struct kasa_sysinfo *in)
{
	struct plug_info *o = &st->info;
	int r;

	r = plug_state_set_outlets(st, in->outlet_count);
	if (r < 0)
		return r;
	memcpy(o->alias, in->alias, sizeof(o->alias));
	memcpy(o->model, in->model, sizeof(o->model));
	memcpy(o->device_id, in->device_id, sizeof(o->device_id));
	memcpy(o->mac, in->mac, sizeof(o->mac));
	memcpy(o->hw_ver, in->hw_ver, sizeof(o->hw_ver));
	memcpy(o->sw_ver, in->sw_ver, sizeof(o->sw_ver));
	o->rssi = in->rssi;
	o->led_on = in->led_on;
	o->has_relay = in->has_relay;
	o->relay_on = in->relay_on;
	o->on_time = in->on_time;
	o->has_emeter = in->has_emeter;
	o->has_brightness = in->has_brightness;
	o->brightness = in->brightness;
	if (in->outlet_count)
		memcpy(o->outlets, in->outlets, in->outlet_count * sizeof(*o->outlets));
	return 0;
}

bool plug_state_set_error(struct plug_state *st, int error, const char *text)
{
	size_t n;
	bool changed;

	st->last_error = error;
	if (error == 0) {
		changed = st->last_error_text != NULL;
		free(st->last_error_text);
		st->last_error_text = NULL;
		return changed;
	}
	n = strnlen(text, PLUG_ERROR_TEXT_MAX - 1);
	if (st->last_error_text && strlen(st->last_error_text) == n &&
	    memcmp(st->last_error_text, text, n) == 0)
		return false;
	free(st->last_error_text);
	st->last_error_text = strndup(text, n);
	return true;
}

void plug_state_release(struct plug_state *st)
{
	plug_state_set_outlets(st, 0);
	plug_state_set_error(st, 0, NULL);
}

const struct kasa_outlet *plug_state_outlet(const struct plug_state *st, int outlet)
{
	if (!st->known || outlet < 0 || (unsigned)outlet >= st->info.outlet_count)
		return NULL;
	return &st->info.outlets[outlet];
}

const char *plug_state_alias(const struct plug_state *st, int outlet)
{
	const struct kasa_outlet *ou = plug_state_outlet(st, outlet);

	if (!st->known)
		return "";
	return ou ? ou->alias : st->info.alias;
}

bool plug_state_relay(const struct plug_state *st, int outlet, bool *ret_on)
{
	if (!st->known || (outlet >= 0 && !plug_state_outlet(st, outlet)))
		return false;
	*ret_on = plug_state_on(st, outlet);
	return true;
}

bool plug_state_brightness(const struct plug_state *st, int outlet, int *ret)
{
	if (!st->known || outlet >= 0 || !st->info.has_brightness)
		return false;
	*ret = st->info.brightness;
	return true;
}

int plug_state_on_time(const struct plug_state *st, int outlet, int64_t *ret_s)
{
	const struct kasa_outlet *ou = plug_state_outlet(st, outlet);
	bool on;
	int64_t s;

	if (ou) {
		on = ou->on;
		s = ou->on_time;
	} else if (st->known && outlet < 0 && st->info.outlet_count == 0) {
		on = st->info.relay_on;
		s = st->info.on_time;
	} else {
		return -ENOENT;
	}
	if (!on)
		return 0;
	if (s < 0)
		return -ENODATA;
	*ret_s = s;
	return 1;
}

bool plug_state_on(const struct plug_state *st, int outlet)
{
	const struct plug_info *in = &st->info;

	if (outlet >= 0)
		return (unsigned)outlet < in->outlet_count && in->outlets[outlet].on;
	if (in->outlet_count == 0)
		return in->relay_on;
	for (unsigned i = 0; i < in->outlet_count; i++)
		if (in->outlets[i].on)
			return true;
	return false;
}

bool plug_state_emeter(const struct plug_state *st, int outlet, struct kasa_emeter *ret)
{
	const struct plug_info *in = &st->info;

	if (!st->known || !in->has_emeter || !st->emeter_known)
		return false;
	if (in->outlet_count == 0) {
		*ret = st->emeter;
		return true;
	}
	if (outlet >= 0) {
		if ((unsigned)outlet >= in->outlet_count)
			return false;
		*ret = st->outlet_emeter[outlet];
		return true;
	}
	memset(ret, 0, sizeof(*ret));
	for (unsigned i = 0; i < in->outlet_count; i++) {
		const struct kasa_emeter *e = &st->outlet_emeter[i];

		ret->power_w += e->power_w;
		ret->current_a += e->current_a;
		ret->total_kwh += e->total_kwh;
		ret->voltage_v += e->voltage_v / in->outlet_count;
	}
	return true;
}

void plug_state_set_relay(struct plug_state *st, int outlet, bool on)
{
	struct plug_info *in = &st->info;

	if (outlet >= 0 && (unsigned)outlet < in->outlet_count) {
		in->outlets[outlet].on = on;
		in->outlets[outlet].on_time = 0;
	} else if (outlet < 0 && in->outlet_count > 0) {
		for (unsigned i = 0; i < in->outlet_count; i++) {
			in->outlets[i].on = on;
			in->outlets[i].on_time = 0;
		}
	} else {
		in->relay_on = on;
		in->on_time = 0;
	}
}

bool plug_state_clock_offset(const struct plug_state *st, uint64_t now_usec, int64_t wall_usec,
			     int64_t *ret_s)
{
	int64_t plug_usec, d;

	if (!st->clock_known)
		return false;
	/* The plug's second began somewhere in the one it said: half of it. */
	plug_usec = st->clock_wall_s * 1000000 + 500000 +
		    (now_usec >= st->clock_usec ? (int64_t)(now_usec - st->clock_usec) : 0);
	d = plug_usec - wall_usec;
	*ret_s = d >= 0 ? (d + 500000) / 1000000 : -((-d + 500000) / 1000000);
	return true;
}
