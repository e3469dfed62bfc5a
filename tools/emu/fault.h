/* SPDX-License-Identifier: MIT */
/* kasa-emu: what goes on the wire for a reply, per fault mode (fault.c). */
#ifndef EMU_FAULT_H
#define EMU_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What fault= makes of the replies. */
enum emu_fault {
	EMU_FAULT_NONE,
	EMU_FAULT_BLACKHOLE,
	EMU_FAULT_REFUSE,
	EMU_FAULT_CLOSE,
	EMU_FAULT_RESET,
	EMU_FAULT_GARBAGE,
	EMU_FAULT_TRUNCATE,
	EMU_FAULT_OVERSIZE,
	EMU_FAULT_ZEROLEN,
	EMU_FAULT_SPLIT,
	EMU_FAULT_DRIP,
	EMU_FAULT_BADJSON,
};

const char *fault_name(enum emu_fault f);
int fault_from_name(const char *name, enum emu_fault *ret);

/* What the connection does once the planned bytes are written. */
enum emu_after {
	EMU_AFTER_KEEP,	 /* next request */
	EMU_AFTER_CLOSE, /* FIN */
	EMU_AFTER_RESET, /* RST */
	EMU_AFTER_SINK,	 /* answered; ignore the rest of what the client sends */
	EMU_AFTER_HOLD,	 /* never answered: keep the request in flight until close */
};

struct emu_plan {
	uint8_t *buf; /* owned */
	size_t len;
	unsigned chunk_min, chunk_max; /* bytes per segment; 0: all at once */
	unsigned interval_ms;	       /* between segments */
	enum emu_after after;
};

/*
 * Turn a reply into wire bytes per the fault mode and flakiness (the percent
 * of requests dropped); drip_ms paces "drip"; rng is the device's fault
 * sequence (flaky, garbage, split).
 */
int fault_plan(enum emu_fault fault, unsigned flaky, unsigned drip_ms, uint64_t *rng,
	       const char *reply, struct emu_plan *ret);
/* Whether a UDP reply goes out at all (refuse, blackhole, flaky drop it). */
bool fault_udp_answers(enum emu_fault fault, unsigned flaky, uint64_t *rng);

/*
 * The same modes on HTTP (KLAP devices): what becomes of an answer, status,
 * head and body, once it is made.  badjson is not here: it bends the JSON
 * before it is sealed (fault_cut_json()).
 */
enum emu_http_shape {
	EMU_HTTP_WHOLE,	   /* the answer; the connection is kept */
	EMU_HTTP_HOLD,	   /* nothing, ever; the connection is kept until the client leaves */
	EMU_HTTP_CLOSE,	   /* nothing; FIN */
	EMU_HTTP_RESET,	   /* nothing; RST */
	EMU_HTTP_RAW,	   /* raw bytes that are no HTTP answer, then FIN */
	EMU_HTTP_TRUNCATE, /* the head with the whole Content-Length, half the body, FIN */
	EMU_HTTP_OVERSIZE, /* Content-Length 4294967295, up to 64 bytes of body, silence */
	EMU_HTTP_UNSIZED,  /* no Content-Length, Connection: close: the body ends at FIN */
	EMU_HTTP_PACED,	   /* the body in segments, paced; the connection is kept */
};

struct emu_http_plan {
	enum emu_http_shape shape;
	uint8_t *raw; /* RAW: owned */
	size_t raw_len;
	unsigned chunk_min, chunk_max; /* PACED: bytes per segment */
	unsigned interval_ms;	       /* PACED: between segments */
};

/* The shape of the next HTTP answer: fault mode, flakiness (a dropped one
 * is closed), drip_ms and the device's fault sequence as fault_plan(). */
int fault_http_plan(enum emu_fault fault, unsigned flaky, unsigned drip_ms, uint64_t *rng,
		    struct emu_http_plan *ret);

/* badjson: the first half of json, then a key left without its value
 * (owned, NUL-terminated, *ret_len bytes). */
int fault_cut_json(const char *json, size_t len, char **ret, size_t *ret_len);

#endif
