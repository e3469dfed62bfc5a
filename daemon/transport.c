/* SPDX-License-Identifier: MIT */
/*
 * What every transport does the same way: look the plug's name up once,
 * without blocking (libkasa's resolver, whose descriptor is the one to
 * watch meanwhile), keep the address, and hand the implementation its
 * connection's work once it has made it.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "kasa-private.h"
#include "transport.h"

int transport_init(struct transport *t, const struct transport_ops *ops, const char *host,
		   uint16_t port)
{
	size_t n = strlen(host);

	*t = (struct transport){.ops = ops, .a.port = port};
	/* [v6] as well as bare v6. */
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		t->a.host = strndup(host + 1, n - 2);
	else
		t->a.host = strdup(host);
	return t->a.host ? 0 : -ENOMEM;
}

/* The address is known: keep it, and let the implementation make its
 * connection. */
static int take(struct transport *t, const struct addrinfo *res)
{
	int r;

	if (res->ai_addrlen > sizeof(t->a.addr))
		return -EAFNOSUPPORT;
	memcpy(&t->a.addr, res->ai_addr, res->ai_addrlen);
	t->a.addrlen = res->ai_addrlen;
	r = t->ops->make(t, (const struct sockaddr *)&t->a.addr, t->a.addrlen);
	t->made = r >= 0;
	return r;
}

int transport_open(struct transport *t, uint64_t now, uint64_t timeout)
{
	const struct addrinfo *res;
	int r;

	if (t->made)
		return 0;
	if (t->a.lookup)
		return 1;
	r = kasa_lookup_start(t->a.host, t->a.port, &t->a.lookup);
	if (r < 0)
		return r;
	r = kasa_lookup_check(t->a.lookup, &res);
	if (r != 0) {
		/* An address: no waiting. */
		if (r > 0)
			r = take(t, res);
		kasa_lookup_free(steal_ptr(t->a.lookup));
		return r < 0 ? r : 0;
	}
	t->a.deadline = now + timeout;
	return 1;
}

int transport_process(struct transport *t, uint32_t revents, uint64_t now)
{
	const struct addrinfo *res;
	int r;

	if (t->made)
		return t->ops->process(t, revents, now);
	if (!t->a.lookup)
		return -ENOTCONN;
	r = kasa_lookup_check(t->a.lookup, &res);
	if (r == 0) {
		if (now < t->a.deadline)
			return 0;
		r = -ETIMEDOUT;
	} else if (r > 0) {
		r = take(t, res);
		if (r >= 0)
			r = 1;
	}
	kasa_lookup_free(steal_ptr(t->a.lookup));
	return r;
}

int transport_send(struct transport *t, const char *json, size_t len, uint64_t now,
		   uint64_t timeout)
{
	return t->made ? t->ops->send(t, json, len, now, timeout) : -ENOTCONN;
}

const char *transport_reply(const struct transport *t, size_t *ret_len)
{
	return t->ops->reply(t, ret_len);
}

void transport_close(struct transport *t)
{
	if (t->made)
		t->ops->close(t);
}

int transport_fd(const struct transport *t)
{
	if (t->made)
		return t->ops->fd(t);
	return t->a.lookup ? kasa_lookup_fd(t->a.lookup) : -1;
}

uint32_t transport_events(const struct transport *t)
{
	if (t->made)
		return t->ops->events(t);
	return t->a.lookup ? POLLIN : 0; /* readable once the lookup has ended */
}

uint64_t transport_deadline(const struct transport *t)
{
	if (t->made)
		return t->ops->deadline(t);
	return t->a.lookup ? t->a.deadline : 0;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	kasa_lookup_free(steal_ptr(t->a.lookup));
	free(steal_ptr(t->a.host));
	t->ops->free(t);
}
