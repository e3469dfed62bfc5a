/* SPDX-License-Identifier: MIT */
/*
 * The request bodies of the routes for what a plug keeps itself: its
 * countdown, a schedule rule, its clock.  Pure: each returns 0 and fills
 * its out-parameters, or -EINVAL with why (a sentence for the client) in
 * why[size].
 */
#ifndef KASAD_RULEBODY_H
#define KASAD_RULEBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kasa.h"

/* A week: the longest countdown kasad sets. */
#define RULEBODY_COUNTDOWN_MAX_S (7 * 86400)

/* {"seconds":N,"on":false} (on: what the relay does then; false when
 * absent), or {"minutes":N,...}. */
int rulebody_countdown(const char *body, int64_t *ret_seconds, bool *ret_on, char *why,
		       size_t size);
/* {"on":true,"at":"07:30"|"sunrise"|"sunset","offset_min":-15,
 *  "days":["mon",...],"name":"...","once":false,"enabled":true}: on and at
 * required; days every day, name "kasad" when absent. */
int rulebody_schedule(const char *body, struct kasa_rule *ret, char *why, size_t size);
/* Empty, {}, or {"zone":N}: the zone's index, -1 when not given. */
int rulebody_time(const char *body, int *ret_zone, char *why, size_t size);

/* "sun".."sat" for day 0..6. */
extern const char *const rulebody_days[7];

#endif
