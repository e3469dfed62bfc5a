/* SPDX-License-Identifier: MIT */
/* The views of a plug's cached state. */
#include <errno.h>
#include <string.h>

#include "plugstate.h"

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
	const struct kasa_sysinfo *in = &st->info;

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
	const struct kasa_sysinfo *in = &st->info;

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
	struct kasa_sysinfo *in = &st->info;

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
