/* SPDX-License-Identifier: MIT */
/* Shared by the benchmark programs: timed round trips (XOR, KLAP) and their
 * figures. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasa.h"

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A series' median, 99th percentile and maximum. */
struct bench_figures {
	uint64_t median, p99, max;
};

/* Sorts v (n > 0 values) and reads its figures. */
static inline struct bench_figures bench_figures(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	return (struct bench_figures){
		.median = v[n / 2], .p99 = v[(n * 99) / 100], .max = v[n - 1]};
}

/* Sorts us (microseconds), prints one line with what in a column of width
 * characters after indent, and returns the median. */
static inline uint64_t bench_report(const char *indent, int width, const char *what, uint64_t *us,
				    size_t n)
{
	struct bench_figures f = bench_figures(us, n);

	printf("%s%-*s n=%zu median=%.3f ms p99=%.3f ms max=%.3f ms\n", indent, width, what, n,
	       f.median / 1000.0, f.p99 / 1000.0, f.max / 1000.0);
	return f.median;
}

/* The same for times of a few microseconds, taken in nanoseconds: printed
 * in microseconds. */
static inline uint64_t bench_report_ns(const char *indent, int width, const char *what,
				       uint64_t *ns, size_t n)
{
	struct bench_figures f = bench_figures(ns, n);

	printf("%s%-*s n=%zu median=%.2f us p99=%.2f us max=%.2f us\n", indent, width, what, n,
	       f.median / 1000.0, f.p99 / 1000.0, f.max / 1000.0);
	return f.median;
}

/* One request over a kept kasa_conn, waiting with poll(); 1 or -errno. */
static inline int bench_conn_roundtrip(struct kasa_conn *c, const char *json)
{
	int r = kasa_conn_start(c, json, strlen(json), kasa_now_usec(), 5000000);

	while (r == 0) {
		struct pollfd pfd = {.fd = kasa_conn_fd(c), .events = (short)kasa_conn_events(c)};
		int n = poll(&pfd, 1, 5000);

		r = kasa_conn_process(c, n > 0 ? (uint32_t)pfd.revents : 0, kasa_now_usec());
	}
	return r;
}

/* The most one benchmark request may take, and the most turns of its loop:
 * past either it is abandoned.  A loop that spins without waiting is a
 * finding to report, not a hang. */
#define BENCH_REQUEST_USEC (5 * 1000000ULL)
#define BENCH_TURNS_MAX	   10000

/* What the loop of bench_klap_roundtrip() did, summed over requests. */
struct bench_turns {
	uint64_t turns;	      /* process() calls */
	uint64_t timer_waits; /* polls that slept on a timer and woke with no event */
};

/*
 * One request over a kasa_klap_conn, driven as the daemon's loop will drive
 * it: poll(2) on fd() for events() until deadline(), then process(), all
 * three read again every turn.  ahead_usec is added to the clock that
 * start() alone is given: a session lifetime or more makes the session
 * count as old there (kasa_klap_client_expired()), so the request
 * handshakes again on the kept connection, as when a session ages out; 0
 * for the real clock.  Bounded by BENCH_REQUEST_USEC of real time and
 * BENCH_TURNS_MAX turns (-ETIMEDOUT, -ELOOP; the request is abandoned, the
 * session kept).  1 or -errno; turns (may be NULL) gets what the loop did.
 */
static inline int bench_klap_roundtrip(struct kasa_klap_conn *c, const char *json,
				       uint64_t ahead_usec, struct bench_turns *turns)
{
	uint64_t start = kasa_now_usec(), end = start + BENCH_REQUEST_USEC;
	int r = kasa_klap_conn_start(c, json, strlen(json), start + ahead_usec, BENCH_REQUEST_USEC);

	for (unsigned i = 0; r == 0; i++) {
		uint64_t now = kasa_now_usec(), deadline = kasa_klap_conn_deadline(c);
		struct pollfd pfd = {.fd = kasa_klap_conn_fd(c),
				     .events = (short)kasa_klap_conn_events(c)};
		int ms, n;

		if (now >= end || i == BENCH_TURNS_MAX) {
			kasa_klap_conn_close(c);
			return now >= end ? -ETIMEDOUT : -ELOOP;
		}
		if (deadline > end)
			deadline = end;
		ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
		n = poll(&pfd, 1, ms);
		if (turns) {
			turns->turns++;
			turns->timer_waits += n == 0 && ms > 0;
		}
		r = kasa_klap_conn_process(c, n > 0 ? (uint32_t)pfd.revents : 0, kasa_now_usec());
	}
	return r;
}

#endif
