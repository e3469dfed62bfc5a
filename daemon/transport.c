/* SPDX-License-Identifier: MIT */
/*
 * What every transport does the same way: look the plug's name up once
 * (lookup.c), then hand the implementation its connection's work once it
 * has made it.
 */
#include <errno.h>
#include <poll.h>

#include "transport.h"

int transport_init(struct transport *t, const struct transport_ops *ops, const char *host,
		   uint16_t port)
{
	*t = (struct transport){.ops = ops};
	return lookup_init(&t->a, host, port);
}

/* The address is known: the implementation makes its connection. */
static int make(struct transport *t)
{
	int r = t->ops->make(t, &t->a.addr.sa, t->a.addrlen);

	t->made = r >= 0;
	return r < 0 ? r : 0;
}

int transport_open(struct transport *t, uint64_t now, uint64_t timeout)
{
	int r;

	if (t->made)
		return 0;
	r = lookup_open(&t->a, now, timeout);
	return r == 0 ? make(t) : r;
}

int transport_process(struct transport *t, uint32_t revents, uint64_t now)
{
	int r;

	if (t->made)
		return t->ops->process(t, revents, now);
	r = lookup_process(&t->a, now);
	if (r > 0 && (r = make(t)) == 0)
		r = 1;
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
	return t->made ? t->ops->fd(t) : lookup_fd(&t->a);
}

uint32_t transport_events(const struct transport *t)
{
	if (t->made)
		return t->ops->events(t);
	return t->a.lookup ? POLLIN : 0; /* readable once the lookup has ended */
}

void transport_drop_reply(struct transport *t)
{
	if (t->made && t->ops->drop_reply)
		t->ops->drop_reply(t);
}

bool transport_generation(const struct transport *t, unsigned *ret)
{
	if (!t->made || !t->ops->generation)
		return false;
	*ret = t->ops->generation(t);
	return true;
}

bool transport_edge_triggered(const struct transport *t)
{
	/* The lookup's descriptor stays level-triggered: it is read once. */
	return t->made && t->ops->edge_triggered;
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
	lookup_done(&t->a);
	t->ops->free(t);
}
