/* SPDX-License-Identifier: MIT */
/*
 * The XOR transport: libkasa's kasa_conn (one kept TCP connection, one
 * request in flight) behind the transport interface.
 */
#include <errno.h>
#include <stdlib.h>

#include "kasa-private.h"
#include "transport.h"

struct transport_xor {
	struct transport t; /* first */
	struct kasa_conn *conn;
};

#define XOR(t)	     ((struct transport_xor *)(t))
#define XOR_CONST(t) ((const struct transport_xor *)(t))

static int xor_make(struct transport *t, const struct sockaddr *addr, socklen_t addrlen)
{
	XOR(t)->conn = kasa_conn_new(addr, addrlen);
	if (!XOR(t)->conn)
		return -ENOMEM;
	/* plug.c watches the kept socket between requests (generation). */
	kasa_conn_set_idle_watched(XOR(t)->conn, true);
	return 0;
}

static int xor_send(struct transport *t, const char *json, size_t len, uint64_t now,
		    uint64_t timeout)
{
	return kasa_conn_start(XOR(t)->conn, json, len, now, timeout);
}

static int xor_process(struct transport *t, uint32_t revents, uint64_t now)
{
	return kasa_conn_process(XOR(t)->conn, revents, now);
}

static const char *xor_reply(const struct transport *t, size_t *ret_len)
{
	return kasa_conn_reply(XOR_CONST(t)->conn, ret_len);
}

static void xor_close(struct transport *t)
{
	kasa_conn_close(XOR(t)->conn);
}

static int xor_fd(const struct transport *t)
{
	return kasa_conn_fd(XOR_CONST(t)->conn);
}

static uint32_t xor_events(const struct transport *t)
{
	return kasa_conn_events(XOR_CONST(t)->conn);
}

static uint64_t xor_deadline(const struct transport *t)
{
	return kasa_conn_deadline(XOR_CONST(t)->conn);
}

static void xor_drop_reply(struct transport *t)
{
	kasa_conn_drop_reply(XOR(t)->conn);
}

static unsigned xor_generation(const struct transport *t)
{
	return kasa_conn_generation(XOR_CONST(t)->conn);
}

static void xor_free(struct transport *t)
{
	kasa_conn_free(XOR(t)->conn);
	free(XOR(t));
}

static const struct transport_ops xor_ops = {
	.make = xor_make,
	.send = xor_send,
	.process = xor_process,
	.reply = xor_reply,
	.close = xor_close,
	.drop_reply = xor_drop_reply,
	.fd = xor_fd,
	.events = xor_events,
	.deadline = xor_deadline,
	.edge_triggered = true, /* kasa_conn_process() drains */
	.generation = xor_generation,
	.free = xor_free,
};

int transport_xor_new(const char *host, uint16_t port, struct transport **ret_transport)
{
	struct transport_xor *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	if (transport_init(&x->t, &xor_ops, host, port) < 0) {
		free(x);
		return -ENOMEM;
	}
	*ret_transport = &x->t;
	return 0;
}
