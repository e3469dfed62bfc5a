/* SPDX-License-Identifier: MIT */
/*
 * The XOR transport: libkasa's kasa_conn (one kept TCP connection, one
 * request in flight) behind the transport interface, once the name is
 * looked up (transport.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "kasa-private.h"
#include "transport.h"

struct transport_xor {
	struct transport t; /* first */
	struct transport_addr a;
	struct kasa_conn *conn;
};

static struct transport_xor *xor_of(struct transport *t)
{
	return (struct transport_xor *)t;
}

static const struct transport_xor *xor_of_const(const struct transport *t)
{
	return (const struct transport_xor *)t;
}

static int make_conn(struct transport_xor *x)
{
	x->conn = kasa_conn_new((const struct sockaddr *)&x->a.addr, x->a.addrlen);
	return x->conn ? 0 : -ENOMEM;
}

static int xor_open(struct transport *t, uint64_t now, uint64_t timeout)
{
	struct transport_xor *x = xor_of(t);
	int r;

	if (x->conn)
		return 0;
	r = transport_addr_open(&x->a, now, timeout);
	return r == 0 ? make_conn(x) : r;
}

static int xor_process(struct transport *t, uint32_t revents, uint64_t now)
{
	struct transport_xor *x = xor_of(t);
	int r;

	if (x->conn)
		return kasa_conn_process(x->conn, revents, now);
	r = transport_addr_process(&x->a, now);
	if (r > 0 && (r = make_conn(x)) == 0)
		r = 1;
	return r;
}

static int xor_send(struct transport *t, const char *json, size_t len, uint64_t now,
		    uint64_t timeout)
{
	struct transport_xor *x = xor_of(t);

	if (!x->conn)
		return -ENOTCONN;
	return kasa_conn_start(x->conn, json, len, now, timeout);
}

static const char *xor_reply(const struct transport *t, size_t *ret_len)
{
	return kasa_conn_reply(xor_of_const(t)->conn, ret_len);
}

static void xor_close(struct transport *t)
{
	struct transport_xor *x = xor_of(t);

	if (x->conn)
		kasa_conn_close(x->conn);
}

static int xor_fd(const struct transport *t)
{
	const struct transport_xor *x = xor_of_const(t);

	return x->conn ? kasa_conn_fd(x->conn) : transport_addr_fd(&x->a);
}

static uint32_t xor_events(const struct transport *t)
{
	const struct transport_xor *x = xor_of_const(t);

	if (x->conn)
		return kasa_conn_events(x->conn);
	return x->a.lookup ? POLLIN : 0; /* readable once the lookup has ended */
}

static uint64_t xor_deadline(const struct transport *t)
{
	const struct transport_xor *x = xor_of_const(t);

	if (x->conn)
		return kasa_conn_deadline(x->conn);
	return x->a.lookup ? x->a.deadline : 0;
}

static void xor_free(struct transport *t)
{
	struct transport_xor *x = xor_of(t);

	kasa_conn_free(x->conn);
	transport_addr_done(&x->a);
	free(x);
}

static const struct transport_ops xor_ops = {
	.open = xor_open,
	.send = xor_send,
	.process = xor_process,
	.reply = xor_reply,
	.close = xor_close,
	.fd = xor_fd,
	.events = xor_events,
	.deadline = xor_deadline,
	.free = xor_free,
};

int transport_xor_new(const char *host, uint16_t port, struct transport **ret_transport)
{
	struct transport_xor *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	if (transport_addr_init(&x->a, host, port) < 0) {
		free(x);
		return -ENOMEM;
	}
	x->t.ops = &xor_ops;
	*ret_transport = &x->t;
	return 0;
}
