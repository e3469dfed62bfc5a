/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: emulated Kasa plugs, many per process, on one epoll loop.
 *
 * Files, one concern each, each .c with its .h; arrows point down only:
 *   main.c    command line, readiness and stats output, signals; wires the
 *             network to the request dispatcher
 *   request.c the JSON request dispatcher: modules, methods, sysinfo, contexts
 *   smart.c   the SMART JSON dispatcher (p110, kp125m), over the same state
 *   discover.c the discovery of KLAP firmware (-u), one UDP port for all
 *   device.c  the state of one device: identity, outlets, reboot
 *   klap.c    a KLAP device's endpoints and session (libkasa's server side)
 *   net.c     sockets: TCP listeners and connections, UDP discovery; hands
 *             each request payload to a callback, a KLAP device's
 *             connections to http.c
 *   http.c    libmicrohttpd in the loop (external epoll mode) for KLAP
 *             devices; each request to klap.c, each answer shaped by fault.c
 *   fault.c   what goes on the wire for a reply (fault modes, flakiness)
 *   hostile.c replies with values no real plug sends (hostile modes)
 *   emeter.c  the simulated energy meter and its history
 *   rules.c   count_down and schedule rule tables
 *   result.c  {"err_code":...} results, worded as firmware does
 *   spec.c    device SPEC strings and devices files
 *   model.c   the emulated models
 *   loop.c    the epoll loop, timers and deferred frees
 * This header: limits and helpers they all share.
 */
#ifndef EMU_H
#define EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_OUTLETS_MAX	    6
#define EMU_ALIAS_MAX	    64	      /* including the NUL, as libkasa's sysinfo */
#define EMU_DEVICES_MAX	    10000     /* per process */
#define EMU_CONNS_MAX	    64	      /* open TCP connections per device */
#define EMU_QUEUE_MAX	    16	      /* requests received but unanswered, per connection */
#define EMU_UDP_PENDING_MAX 16	      /* delayed discovery replies, per device */
#define EMU_REPLY_MAX	    (1 << 20) /* a reply over this is dropped, never sent */
#define EMU_RULES_MAX	    32	      /* schedule table size; count_down holds one */
#define EMU_CRED_MAX	    128	      /* a KLAP user or password, the NUL included */

extern bool emu_verbose;

/* What a device counts, for the "stats" lines. */
struct emu_stats {
	uint64_t requests;
	uint64_t handshakes; /* KLAP: handshake 1s answered, whatever came of them */
	unsigned inflight;
	unsigned max_inflight;
	uint64_t connections;
};

/* --- Pseudo-random numbers: deterministic, seeded per device ------------- */

static inline uint64_t emu_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The next number of the sequence kept in *state (splitmix64). */
static inline uint64_t emu_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return emu_mix64(*state);
}

/* A uniform double in [0, 1). */
static inline double emu_rand01(uint64_t *state)
{
	return (double)(emu_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
