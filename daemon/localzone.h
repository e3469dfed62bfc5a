/* SPDX-License-Identifier: MIT */
/*
 * kasad's own time zone, as TP-Link's table numbers zones: the index a
 * plug's clock is set with, so that the plug keeps kasad's time (its
 * summer time too) when it runs on its own.
 */
#ifndef KASAD_LOCALZONE_H
#define KASAD_LOCALZONE_H

#include <stddef.h>

/* The name of kasad's zone ("Europe/Berlin"): $TZ's (a file's name under
 * zoneinfo/, or a POSIX rule as it is), else /etc/localtime's link, else
 * /etc/timezone's line; "" when none says.  Into name[size]. */
void localzone_name(char *name, size_t size);

/*
 * The index of kasad's zone (its offsets through this year, its name as
 * localzone_name() finds it) into *ret_index, and the name into
 * name[size].  -ENOENT when TP-Link's table has no zone that keeps this
 * one's time.  The C library's zone is read again first (tzset()), as it
 * may have changed since kasad started.
 */
int localzone_index(int *ret_index, char *name, size_t size);

/*
 * What a clock set gives a plug for time_zone's value (CONFIG_ZONE_* or an
 * index): an index, or -1 for the plug's own zone.  local resolves to
 * kasad's zone, said in the log; without a match, it says so and gives -1.
 */
int localzone_setting(int configured);

#endif
