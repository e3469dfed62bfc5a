/* SPDX-License-Identifier: MIT */
/* Shared by the benchmark programs: a timed round trip and its figures. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

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

/* Sorts us (microseconds), prints one line with what in a column of width
 * characters after indent, and returns the median. */
static inline uint64_t bench_report(const char *indent, int width, const char *what, uint64_t *us,
				    size_t n)
{
	qsort(us, n, sizeof(*us), bench_cmp_u64);
	printf("%s%-*s n=%zu median=%.3f ms p99=%.3f ms max=%.3f ms\n", indent, width, what, n,
	       us[n / 2] / 1000.0, us[(n * 99) / 100] / 1000.0, us[n - 1] / 1000.0);
	return us[n / 2];
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

#endif
