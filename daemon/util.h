/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the daemon's files. */
#ifndef KASAD_UTIL_H
#define KASAD_UTIL_H

#include <stdbool.h>
#include <string.h>

/* _cleanup_free_, _cleanup_close_, steal_ptr(), steal_fd(). */
#include "kasa-private.h"

#define ARRAY_SIZE(a) KASA_ARRAY_SIZE(a)
#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC  1000000ULL
#define USEC_PER_MIN  (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MIN)
#define USEC_PER_DAY  (24 * USEC_PER_HOUR)

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

#endif
