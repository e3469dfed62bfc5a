/* SPDX-License-Identifier: MIT */
/*
 * Keeping the plugs' clocks right (time_sync = yes): plugs lose their clock
 * on a power cut, and their schedules then fire at the wrong time.  Each
 * plug's clock is read once an hour, the plugs spread over it, and as soon
 * as a plug comes back online; one more than TIMESYNC_TOLERANCE_S off, or
 * in another zone than time_zone gives, is set to kasad's clock and that
 * zone (time_zone = keep: the plug's own).  Through the device service, as
 * any front door.
 */
#ifndef KASAD_TIMESYNC_H
#define KASAD_TIMESYNC_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct service;
struct timesync;

#define TIMESYNC_INTERVAL_USEC (3600 * 1000000ULL)
#define TIMESYNC_TOLERANCE_S   2

/* Which devices' plugs are kept right: the [kasad] default, and per device
 * index its own choice (0: the default, 1: yes, 2: no), n of them. */
struct timesync_settings {
	bool enabled;
	const unsigned *device_choice;
	size_t n;
};

int timesync_new(struct loop *l, struct service *svc, const struct timesync_settings *s,
		 struct timesync **ret);
void timesync_free(struct timesync *t);
/* A reload: the settings are copied. */
int timesync_configure(struct timesync *t, const struct timesync_settings *s);

#endif
