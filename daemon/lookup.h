/* SPDX-License-Identifier: MIT */
/*
 * A host name looked up once, without blocking, and the address kept: what
 * the plugs' transports and the MQTT bridge do before they connect.
 * libkasa's resolver runs the lookup; its descriptor (readable once the
 * lookup has ended) is the one to watch meanwhile.
 */
#ifndef KASAD_LOOKUP_H
#define KASAD_LOOKUP_H

#include <stdint.h>
#include <sys/socket.h>

#include "common/inaddr.h"

struct kasa_lookup;

struct lookup {
	char *host; /* without [] */
	uint16_t port;
	struct kasa_lookup *lookup; /* under way */
	uint64_t deadline;	    /* of the lookup */
	union inet_sockaddr addr;
	socklen_t addrlen; /* 0 until known */
};

/* host: a name or an address, [v6] too.  -ENOMEM. */
int lookup_init(struct lookup *l, const char *host, uint16_t port);
void lookup_done(struct lookup *l);
/* 0 when the address is known (at once for a numeric one), 1 while the
 * lookup is under way (then lookup_process() ends it, by timeout at the
 * latest), or -errno. */
int lookup_open(struct lookup *l, uint64_t now_usec, uint64_t timeout_usec);
/* The lookup under way: 0 still, 1 the address is known, or -errno. */
int lookup_process(struct lookup *l, uint64_t now_usec);
/* The lookup's descriptor, -1 when none is under way. */
int lookup_fd(const struct lookup *l);

#endif
