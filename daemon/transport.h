/* SPDX-License-Identifier: MIT */
/*
 * How plug I/O talks to one plug, whatever the protocol: get ready (look
 * the name up), send one request, receive its one reply, close.  Everything
 * is non-blocking: the caller's loop watches fd() for events() and calls
 * process() when they come or deadline() passes.
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
#include "lookup.h"

struct transport;

/*
 * What an implementation does once the name is looked up (transport.c does
 * that for all of them): make its connection to the address, then run one
 * request at a time on it.  Every op but make and free is called only
 * after make succeeded.
 */
struct transport_ops {
	/* The address is known: make the connection object (no I/O yet). */
	int (*make)(struct transport *t, const struct sockaddr *addr, socklen_t addrlen);
	/* Send one request (nothing in flight); the reply must be in by
	 * now_usec + timeout_usec.  An error found at once is returned. */
	int (*send)(struct transport *t, const char *json, size_t len, uint64_t now_usec,
		    uint64_t timeout_usec);
	/* Advance the request: 0 while under way, 1 when the reply is in, or
	 * the -errno that ended it.  revents may be 0 (a timer). */
	int (*process)(struct transport *t, uint32_t revents, uint64_t now_usec);
	/* The reply, NUL-terminated, borrowed until the next send. */
	const char *(*reply)(const struct transport *t, size_t *ret_len);
	/* Abandon any request and close the connection; the next send opens
	 * another. */
	void (*close)(struct transport *t);
	/* Free the reply's memory, read and done with (NULL: keeps it). */
	void (*drop_reply)(struct transport *t);
	int (*fd)(const struct transport *t);
	uint32_t (*events)(const struct transport *t);
	uint64_t (*deadline)(const struct transport *t);
	/* process() sends and reads until the socket would block: the loop
	 * may report readiness once per change (edge-triggered). */
	bool edge_triggered;
	/* A number that changes with each new socket (NULL: not known, and
	 * then the socket is not watched between requests). */
	unsigned (*generation)(const struct transport *t);
	/* Free the connection object (if made) and the transport. */
	void (*free)(struct transport *t);
};

/* A transport is a struct whose first member is this. */
struct transport {
	const struct transport_ops *ops;
	struct lookup a; /* the plug's name */
	bool made; /* ops->make succeeded */
};

/* For the implementations: set t up for host (a name or an address, [v6]
 * too) and port.  -ENOMEM. */
int transport_init(struct transport *t, const struct transport_ops *ops, const char *host,
		   uint16_t port);

/* Get ready to send: 0 when ready (at once if it already is, or the host is
 * an address), 1 when a name lookup is under way (then process() ends it, by
 * timeout_usec at the latest), or -errno.  Once ready, a transport stays
 * ready. */
int transport_open(struct transport *t, uint64_t now_usec, uint64_t timeout_usec);
/* Send one request (ready, nothing in flight); -ENOTCONN before ready. */
int transport_send(struct transport *t, const char *json, size_t len, uint64_t now_usec,
		   uint64_t timeout_usec);
/* Advance the open or the request: 0 while under way, 1 when done (ready,
 * or the reply is in), or the -errno that ended it.  revents may be 0. */
int transport_process(struct transport *t, uint32_t revents, uint64_t now_usec);
const char *transport_reply(const struct transport *t, size_t *ret_len);
/* Abandon any request and close the connection; the transport stays ready. */
void transport_close(struct transport *t);
/* The reply has been read: its memory may go (an idle plug holds none). */
void transport_drop_reply(struct transport *t);
/* What to watch now (-1: nothing), for which poll(2) bits (0: idle), and
 * when process() must be called anyway (0: no need); all three change after
 * any call, so they are read again each time. */
int transport_fd(const struct transport *t);
uint32_t transport_events(const struct transport *t);
uint64_t transport_deadline(const struct transport *t);
/* Whether the fd may be watched edge-triggered (see transport_ops). */
bool transport_edge_triggered(const struct transport *t);
/* The socket's generation, when the transport tells it: then its fd is
 * watched while idle too (POLLIN: the plug closing it), and watched afresh
 * only when the generation or the events change. */
bool transport_generation(const struct transport *t, unsigned *ret);
/* Accepts NULL. */
void transport_free(struct transport *t);

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

#endif
