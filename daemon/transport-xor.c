/* SPDX-License-Identifier: MIT */
/*
 * The XOR transport: libkasa's kasa_conn (one kept TCP connection, one
 * request in flight) behind the transport interface.  Opening looks the
 * name up with libkasa's resolver, whose descriptor is the one to watch
 * meanwhile; the address is kept from then on.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "kasa-private.h"
#include "transport.h"

struct transport_xor {
	struct transport t; /* first */
	struct kasa_conn *conn;
	struct kasa_lookup *lookup; /* under way */
	uint64_t lookup_deadline;
	char *host;
	uint16_t port;
};

static struct transport_xor *xor_of(struct transport *t)
{
	return (struct transport_xor *)t;
}

static const struct transport_xor *xor_of_const(const struct transport *t)
{
	return (const struct transport_xor *)t;
}

/* The lookup is done: keep its first address. */
static int take_address(struct transport_xor *x, const struct addrinfo *res)
{
	x->conn = kasa_conn_new(res->ai_addr, res->ai_addrlen);
	return x->conn ? 0 : -ENOMEM;
}

static int xor_open(struct transport *t, uint64_t now, uint64_t timeout)
{
	struct transport_xor *x = xor_of(t);
	const struct addrinfo *res;
	int r;

	if (x->conn)
		return 0;
	if (x->lookup)
		return 1;
	r = kasa_lookup_start(x->host, x->port, &x->lookup);
	if (r < 0)
		return r;
	r = kasa_lookup_check(x->lookup, &res);
	if (r != 0) {
		/* An address: no waiting. */
		if (r > 0)
			r = take_address(x, res);
		kasa_lookup_free(steal_ptr(x->lookup));
		return r;
	}
	x->lookup_deadline = now + timeout;
	return 1;
}

static int xor_process(struct transport *t, uint32_t revents, uint64_t now)
{
	struct transport_xor *x = xor_of(t);
	const struct addrinfo *res;
	int r;

	if (!x->lookup)
		return x->conn ? kasa_conn_process(x->conn, revents, now) : -ENOTCONN;
	r = kasa_lookup_check(x->lookup, &res);
	if (r == 0) {
		if (now < x->lookup_deadline)
			return 0;
		r = -ETIMEDOUT;
	} else if (r > 0) {
		r = take_address(x, res);
		if (r == 0)
			r = 1;
	}
	kasa_lookup_free(steal_ptr(x->lookup));
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

	if (x->lookup)
		return kasa_lookup_fd(x->lookup);
	return x->conn ? kasa_conn_fd(x->conn) : -1;
}

static uint32_t xor_events(const struct transport *t)
{
	const struct transport_xor *x = xor_of_const(t);

	if (x->lookup)
		return POLLIN; /* readable once the lookup has ended */
	return x->conn ? kasa_conn_events(x->conn) : 0;
}

static uint64_t xor_deadline(const struct transport *t)
{
	const struct transport_xor *x = xor_of_const(t);

	if (x->lookup)
		return x->lookup_deadline;
	return x->conn ? kasa_conn_deadline(x->conn) : 0;
}

static void xor_free(struct transport *t)
{
	struct transport_xor *x = xor_of(t);

	kasa_lookup_free(x->lookup);
	kasa_conn_free(x->conn);
	free(x->host);
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
	size_t n = strlen(host);

	if (!x)
		return -ENOMEM;
	/* [v6] as well as bare v6. */
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		x->host = strndup(host + 1, n - 2);
	else
		x->host = strdup(host);
	if (!x->host) {
		free(x);
		return -ENOMEM;
	}
	x->t.ops = &xor_ops;
	x->port = port;
	*ret_transport = &x->t;
	return 0;
}
