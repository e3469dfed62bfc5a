/* SPDX-License-Identifier: MIT */
/*
 * The power history: for each device with a meter, its power at every
 * step (the poll interval) over the last length (a day unless told), in
 * memory.  A device's history is a ring of floats, one a step, made when
 * its first reading comes: 4 bytes a step, fixed (a day of 10 s steps is
 * 34,560 bytes).  Readings come from the device service's changes, as the
 * event stream's do; a step with no reading (the plug was offline, or
 * polled less often) stays empty.
 */
#ifndef KASAD_HISTORY_H
#define KASAD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

struct device;
struct history;
struct loop;
struct service;
struct strbuf;

struct history_settings {
	uint64_t length_usec; /* 0: no history */
	uint64_t step_usec;   /* at least a second */
};

int history_new(struct loop *l, struct service *svc, const struct history_settings *s,
		struct history **ret);
void history_free(struct history *h);
/* New settings (a reload): histories of another length or step start over,
 * and so do those of devices that are gone or now another plug's. */
void history_configure(struct history *h, const struct history_settings *s);

/*
 * d's samples of the last minutes, oldest first, as JSON into b:
 * {"device":NAME,"step_s":S,"samples":[{"time":UNIX_S,"power_w":W},...]}
 * and a line feed; now_usec on the loop's clock, now_unix_s on the wall's.
 * No samples when d has had no reading.  0, -ENOENT when there is no
 * history (length 0), or b's error.
 */
int history_render(struct history *h, const struct device *d, unsigned minutes,
		   uint64_t now_usec, int64_t now_unix_s, struct strbuf *b);
/* The longest minutes history_render() can answer. */
unsigned history_minutes_max(const struct history *h);

#endif
