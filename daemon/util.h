/* SPDX-License-Identifier: MIT */
/*
 * ARRAY_SIZE, streq, the cleanup macros and the USEC_PER_* constants, for
 * the daemon's files that have not moved to including common/ directly
 * (api.c, events.c, metrics.c, plug.c, registry.c, render.c).  Nothing new
 * includes it; it goes once they do not either.
 */
#ifndef KASAD_UTIL_H
#define KASAD_UTIL_H

#include "common/clock.h"
#include "common/macro.h"

#endif
