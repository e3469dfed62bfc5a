/* SPDX-License-Identifier: MIT */
/*
 * How plug I/O talks to one plug, whatever the protocol: get ready (look
 * the name up, and whatever else a protocol needs before its first
 * request), send one request, receive its one reply, close.  Everything is
 * non-blocking: the caller's loop watches fd() for events() and calls
 * process() when they come or deadline() passes; all three can change after
 * any call, so they are read again each time.
 *
 * Two implementations: the XOR protocol on TCP 9999 (transport-xor.c) and
 * KLAP, encrypted HTTP on port 80 (transport-klap.c).  A transport is a
 * struct whose first member points to its ops table.
 */
#ifndef KASAD_TRANSPORT_H
#define KASAD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kasa.h"

struct transport;

struct transport_ops {
	/* Get ready to send: 0 when ready (at once if it already is), 1 when
	 * under way (then process() ends it, by timeout_usec at the latest),
	 * or -errno.  Once ready, a transport stays ready. */
	int (*open)(struct transport *t, uint64_t now_usec, uint64_t timeout_usec);
	/* Send one request (ready, nothing in flight); the reply must be in
	 * by now_usec + timeout_usec.  An error found at once is returned. */
	int (*send)(struct transport *t, const char *json, size_t len, uint64_t now_usec,
		    uint64_t timeout_usec);
	/* Advance the open or the request: 0 while under way, 1 when done
	 * (ready, or the reply is in), or the -errno that ended it.  revents
	 * may be 0 (a timer). */
	int (*process)(struct transport *t, uint32_t revents, uint64_t now_usec);
	/* The reply, NUL-terminated, borrowed until the next send. */
	const char *(*reply)(const struct transport *t, size_t *ret_len);
	/* Abandon any request and close the connection; the next send opens
	 * another.  The transport stays ready. */
	void (*close)(struct transport *t);
	/* -1 when there is nothing to watch. */
	int (*fd)(const struct transport *t);
	/* poll(2) bits wanted now; 0 when idle. */
	uint32_t (*events)(const struct transport *t);
	/* When process() must be called even with no event; 0 when idle. */
	uint64_t (*deadline)(const struct transport *t);
	void (*free)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
};

static inline int transport_open(struct transport *t, uint64_t now_usec, uint64_t timeout_usec)
{
	return t->ops->open(t, now_usec, timeout_usec);
}

static inline int transport_send(struct transport *t, const char *json, size_t len,
				 uint64_t now_usec, uint64_t timeout_usec)
{
	return t->ops->send(t, json, len, now_usec, timeout_usec);
}

static inline int transport_process(struct transport *t, uint32_t revents, uint64_t now_usec)
{
	return t->ops->process(t, revents, now_usec);
}

static inline const char *transport_reply(const struct transport *t, size_t *ret_len)
{
	return t->ops->reply(t, ret_len);
}

static inline void transport_close(struct transport *t)
{
	t->ops->close(t);
}

static inline int transport_fd(const struct transport *t)
{
	return t->ops->fd(t);
}

static inline uint32_t transport_events(const struct transport *t)
{
	return t->ops->events(t);
}

static inline uint64_t transport_deadline(const struct transport *t)
{
	return t->ops->deadline(t);
}

/* Accepts NULL. */
static inline void transport_free(struct transport *t)
{
	if (t)
		t->ops->free(t);
}

/* The legacy protocol: XOR-obfuscated JSON on TCP (port 9999), one kept
 * connection (lib/conn.c).  host is a name or an address ([v6] too). */
int transport_xor_new(const char *host, uint16_t port, struct transport **ret_transport);

/*
 * KLAP: JSON (IOT, or SMART) sealed in HTTP POSTs (port 80), one session
 * and one kept connection (lib/klap-conn.c).  versions: which KLAP hashing
 * to try (KASA_KLAP_V1, _V2 or _ANY).  account: the TP-Link account, copied
 * (NULL: only TP-Link's defaults and blank are tried).  A refused
 * credential ends a request with -EACCES.
 */
int transport_klap_new(const char *host, uint16_t port, enum kasa_klap_proto proto,
		       unsigned versions, const struct kasa_klap_account *account,
		       struct transport **ret_transport);
/* What the last handshake of a KLAP transport matched: 0, or -ENOTCONN. */
int transport_klap_matched(const struct transport *t, enum kasa_klap_cred *ret_cred,
			   enum kasa_klap_version *ret_version);

/* --- For the implementations: the plug's name, looked up once ------------ */

struct kasa_lookup;

struct transport_addr {
	char *host; /* without [] */
	uint16_t port;
	struct kasa_lookup *lookup; /* under way */
	uint64_t deadline;	    /* of the lookup */
	struct sockaddr_storage addr;
	socklen_t addrlen; /* 0 until known */
};

int transport_addr_init(struct transport_addr *a, const char *host, uint16_t port);
void transport_addr_done(struct transport_addr *a);
/* 0 when the address is known (at once for a numeric one), 1 while the
 * lookup is under way (then process() ends it, by timeout at the latest),
 * or -errno. */
int transport_addr_open(struct transport_addr *a, uint64_t now_usec, uint64_t timeout_usec);
/* The lookup under way: 0 still, 1 the address is known, or -errno. */
int transport_addr_process(struct transport_addr *a, uint64_t now_usec);
/* The lookup's descriptor (readable once it ended), -1 when none. */
int transport_addr_fd(const struct transport_addr *a);

#endif
