/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the daemon's files. */
#ifndef KASAD_UTIL_H
#define KASAD_UTIL_H

/* ARRAY_SIZE, streq, the cleanup macros, USEC_PER_*: common/'s. */
#include "common/clock.h"
#include "common/macro.h"
#include "kasa-private.h"

#endif
