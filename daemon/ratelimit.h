/* SPDX-License-Identifier: MIT */
/*
 * Token buckets in a table of fixed size, keyed by a few bytes (a client's
 * address, a plug): memory stays the same however many keys come.  When
 * the table is crowded the bucket used longest ago gives way, which can
 * only make the limit more lenient for someone, never stricter.
 */
#ifndef KASAD_RATELIMIT_H
#define KASAD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATE_KEY_MAX 20

struct rate_limit;

int rate_limit_new(size_t slots, struct rate_limit **ret);
/* Accepts NULL. */
void rate_limit_free(struct rate_limit *rl);

/*
 * Take one token from key's bucket, which fills at per_sec tokens a second
 * up to burst.  Returns 0 when taken, else how many microseconds until one
 * will be there (nothing is taken then).
 */
uint64_t rate_limit_take(struct rate_limit *rl, const void *key, size_t len, double per_sec,
			 double burst, uint64_t now_usec);

#endif
