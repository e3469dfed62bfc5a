/* SPDX-License-Identifier: MIT */
/*
 * Fault modes: what a misbehaving plug puts on the wire instead of (or
 * around) a well-formed reply.  Everything is decided here; net.c only
 * writes the plan out, paced as the plan says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "emu.h"
#include "fault.h"
#include "kasa.h"

static const char *const fault_names[] = {
	[EMU_FAULT_NONE] = "none",	   [EMU_FAULT_BLACKHOLE] = "blackhole",
	[EMU_FAULT_REFUSE] = "refuse",	   [EMU_FAULT_CLOSE] = "close",
	[EMU_FAULT_RESET] = "reset",	   [EMU_FAULT_GARBAGE] = "garbage",
	[EMU_FAULT_TRUNCATE] = "truncate", [EMU_FAULT_OVERSIZE] = "oversize",
	[EMU_FAULT_ZEROLEN] = "zerolen",   [EMU_FAULT_SPLIT] = "split",
	[EMU_FAULT_DRIP] = "drip",	   [EMU_FAULT_BADJSON] = "badjson",
};

const char *fault_name(enum emu_fault f)
{
	if ((size_t)f < ARRAY_SIZE(fault_names))
		return fault_names[f];
	return "?";
}

int fault_from_name(const char *name, enum emu_fault *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(fault_names); i++) {
		if (!strcmp(name, fault_names[i])) {
			*ret = (enum emu_fault)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool flaky_drop(unsigned flaky, uint64_t *rng)
{
	return flaky && emu_rand(rng) % 100 < flaky;
}

bool fault_udp_answers(enum emu_fault fault, unsigned flaky, uint64_t *rng)
{
	switch (fault) {
	case EMU_FAULT_REFUSE:
	case EMU_FAULT_BLACKHOLE:
		return false;
	case EMU_FAULT_NONE:
	case EMU_FAULT_CLOSE:
	case EMU_FAULT_RESET:
	case EMU_FAULT_GARBAGE:
	case EMU_FAULT_TRUNCATE:
	case EMU_FAULT_OVERSIZE:
	case EMU_FAULT_ZEROLEN:
	case EMU_FAULT_SPLIT:
	case EMU_FAULT_DRIP:
	case EMU_FAULT_BADJSON:
		break;
	}
	return !flaky_drop(flaky, rng);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Header h, then the first part bytes of the encrypted payload. */
static int raw_frame(uint32_t h, const char *json, size_t len, size_t part, struct emu_plan *p)
{
	p->buf = malloc(KASA_HEADER_LEN + len);
	if (!p->buf)
		return -ENOMEM;
	put_be32(p->buf, h);
	memcpy(p->buf + KASA_HEADER_LEN, json, len);
	kasa_encrypt(p->buf + KASA_HEADER_LEN, len);
	p->len = KASA_HEADER_LEN + part;
	return 0;
}

/* 16 to 127 random bytes.  A first byte of 0x80 or more announces over 2
 * GiB, never a frame, and starts no HTTP status line either. */
static int random_bytes(uint64_t *rng, uint8_t **ret, size_t *ret_len)
{
	size_t len = 16 + emu_rand(rng) % 112;
	uint8_t *buf = malloc(len);

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)emu_rand(rng);
	buf[0] |= 0x80;
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int garbage(uint64_t *rng, struct emu_plan *p)
{
	return random_bytes(rng, &p->buf, &p->len);
}

int fault_cut_json(const char *json, size_t len, char **ret, size_t *ret_len)
{
	static const char tail[] = ",\"err_code\":";
	size_t keep = len / 2;
	char *out = malloc(keep + sizeof(tail));

	if (!out)
		return -ENOMEM;
	memcpy(out, json, keep);
	memcpy(out + keep, tail, sizeof(tail));
	*ret = out;
	*ret_len = keep + sizeof(tail) - 1;
	return 0;
}

/* Cut the JSON text in the middle of a key: well framed, not parseable. */
static int badjson(const char *json, size_t len, struct emu_plan *p)
{
	char *cut;
	size_t n;

	if (fault_cut_json(json, len, &cut, &n) < 0)
		return -ENOMEM;
	p->buf = malloc(KASA_HEADER_LEN + n);
	if (!p->buf) {
		free(cut);
		return -ENOMEM;
	}
	memcpy(p->buf + KASA_HEADER_LEN, cut, n);
	free(cut);
	p->len = KASA_HEADER_LEN + n;
	put_be32(p->buf, (uint32_t)n);
	kasa_encrypt(p->buf + KASA_HEADER_LEN, n);
	return 0;
}

int fault_plan(enum emu_fault fault, unsigned flaky, unsigned drip_ms, uint64_t *rng,
	       const char *reply, struct emu_plan *ret)
{
	struct emu_plan p = {.after = EMU_AFTER_KEEP};
	size_t len = strlen(reply);
	int err = 0;

	if (len > EMU_REPLY_MAX)
		return -EMSGSIZE;
	if (flaky_drop(flaky, rng)) {
		p.after = EMU_AFTER_CLOSE;
		*ret = p;
		return 0;
	}

	switch (fault) {
	case EMU_FAULT_NONE:
	case EMU_FAULT_REFUSE: /* never gets a connection */
		err = raw_frame((uint32_t)len, reply, len, len, &p);
		break;
	case EMU_FAULT_BLACKHOLE:
		p.after = EMU_AFTER_HOLD;
		break;
	case EMU_FAULT_CLOSE:
		p.after = EMU_AFTER_CLOSE;
		break;
	case EMU_FAULT_RESET:
		p.after = EMU_AFTER_RESET;
		break;
	case EMU_FAULT_GARBAGE:
		err = garbage(rng, &p);
		p.after = EMU_AFTER_CLOSE;
		break;
	case EMU_FAULT_TRUNCATE:
		err = raw_frame((uint32_t)len, reply, len, len / 2, &p);
		p.after = EMU_AFTER_CLOSE;
		break;
	case EMU_FAULT_OVERSIZE:
		/* Then stay silent: a client that trusts the header waits forever. */
		err = raw_frame(0xFFFFFFFFu, reply, len, len < 64 ? len : 64, &p);
		p.after = EMU_AFTER_SINK;
		break;
	case EMU_FAULT_ZEROLEN:
		err = raw_frame(0, reply, len, len, &p);
		p.after = EMU_AFTER_CLOSE;
		break;
	case EMU_FAULT_SPLIT:
		err = raw_frame((uint32_t)len, reply, len, len, &p);
		p.chunk_min = 1;
		p.chunk_max = 3;
		p.interval_ms = 1;
		break;
	case EMU_FAULT_DRIP:
		err = raw_frame((uint32_t)len, reply, len, len, &p);
		p.chunk_min = 1;
		p.chunk_max = 1;
		p.interval_ms = drip_ms;
		break;
	case EMU_FAULT_BADJSON:
		err = badjson(reply, len, &p);
		break;
	}
	if (err < 0)
		return err;
	*ret = p;
	return 0;
}

int fault_http_plan(enum emu_fault fault, unsigned flaky, unsigned drip_ms, uint64_t *rng,
		    struct emu_http_plan *ret)
{
	struct emu_http_plan p = {.shape = EMU_HTTP_WHOLE};

	if (flaky_drop(flaky, rng)) {
		p.shape = EMU_HTTP_CLOSE;
		*ret = p;
		return 0;
	}
	switch (fault) {
	case EMU_FAULT_NONE:
	case EMU_FAULT_REFUSE:	/* never gets a connection */
	case EMU_FAULT_BADJSON: /* the JSON, before it is sealed */
		break;
	case EMU_FAULT_BLACKHOLE:
		p.shape = EMU_HTTP_HOLD;
		break;
	case EMU_FAULT_CLOSE:
		p.shape = EMU_HTTP_CLOSE;
		break;
	case EMU_FAULT_RESET:
		p.shape = EMU_HTTP_RESET;
		break;
	case EMU_FAULT_GARBAGE:
		p.shape = EMU_HTTP_RAW;
		if (random_bytes(rng, &p.raw, &p.raw_len) < 0)
			return -ENOMEM;
		break;
	case EMU_FAULT_TRUNCATE:
		p.shape = EMU_HTTP_TRUNCATE;
		break;
	case EMU_FAULT_OVERSIZE:
		p.shape = EMU_HTTP_OVERSIZE;
		break;
	case EMU_FAULT_ZEROLEN:
		p.shape = EMU_HTTP_UNSIZED;
		break;
	case EMU_FAULT_SPLIT:
		p.shape = EMU_HTTP_PACED;
		p.chunk_min = 1;
		p.chunk_max = 3;
		p.interval_ms = 1;
		break;
	case EMU_FAULT_DRIP:
		p.shape = EMU_HTTP_PACED;
		p.chunk_min = 1;
		p.chunk_max = 1;
		p.interval_ms = drip_ms;
		break;
	}
	*ret = p;
	return 0;
}
