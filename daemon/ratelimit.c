// SPDX-License-Identifier: MIT
/* Token buckets, open addressing over a short probe window. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

#define PROBE 8

struct bucket {
	uint8_t key[RATE_KEY_MAX];
	uint8_t len; /* 0: free */
	double tokens;
	uint64_t last_usec;
};

struct rate_limit {
	struct bucket *b;
	size_t n;
};

int rate_limit_new(size_t slots, struct rate_limit **ret)
{
	struct rate_limit *rl = calloc(1, sizeof(*rl));

	if (!rl || slots < PROBE || !(rl->b = calloc(slots, sizeof(*rl->b)))) {
		free(rl);
		return -ENOMEM;
	}
	rl->n = slots;
	*ret = rl;
	return 0;
}

void rate_limit_free(struct rate_limit *rl)
{
	if (!rl)
		return;
	free(rl->b);
	free(rl);
}

/* FNV-1a */
static uint64_t hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static struct bucket *find(struct rate_limit *rl, const uint8_t *key, size_t len, double burst,
			   uint64_t now)
{
	size_t start = hash(key, len) % rl->n;
	struct bucket *victim = NULL;

	for (size_t i = 0; i < PROBE; i++) {
		struct bucket *b = &rl->b[(start + i) % rl->n];

		if (b->len == len && memcmp(b->key, key, len) == 0)
			return b;
		/* A free slot, else the one used longest ago. */
		if (!victim || (victim->len && (b->len == 0 || b->last_usec < victim->last_usec)))
			victim = b;
	}
	memcpy(victim->key, key, len);
	victim->len = (uint8_t)len;
	victim->tokens = burst;
	victim->last_usec = now;
	return victim;
}

uint64_t rate_limit_take(struct rate_limit *rl, const void *key, size_t len, double per_sec,
			 double burst, uint64_t now_usec)
{
	struct bucket *b;

	if (len > RATE_KEY_MAX)
		len = RATE_KEY_MAX;
	b = find(rl, key, len, burst, now_usec);
	if (now_usec > b->last_usec) {
		b->tokens += (double)(now_usec - b->last_usec) * per_sec / 1e6;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->last_usec = now_usec;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	if (per_sec <= 0)
		return UINT64_MAX;
	return (uint64_t)ceil((1.0 - b->tokens) * 1e6 / per_sec);
}
