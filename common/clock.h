/* SPDX-License-Identifier: MIT */
/*
 * The one clock: CLOCK_MONOTONIC in microseconds, the time every deadline,
 * timeout and age in the tree is counted in (libkasa's kasa_now_usec() and
 * the daemon's loop_now() read it too).  Not installed.
 */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_USEC 1000ULL
#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC  1000000ULL
#define USEC_PER_MIN  (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MIN)
#define USEC_PER_DAY  (24 * USEC_PER_HOUR)

static inline uint64_t timespec_usec(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * USEC_PER_SEC + (uint64_t)ts->tv_nsec / NSEC_PER_USEC;
}

/* CLOCK_MONOTONIC cannot fail on Linux with a valid timespec. */
static inline uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_usec(&ts);
}

#endif
