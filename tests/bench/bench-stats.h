/* SPDX-License-Identifier: MIT */
/* Latency figures shared by the benchmarks: median, p99 and max. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
