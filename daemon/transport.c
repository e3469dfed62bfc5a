/* SPDX-License-Identifier: MIT */
/*
 * What every transport does the same way: look the plug's name up once,
 * without blocking, and keep the address.  libkasa's resolver runs the
 * lookup; its descriptor is the one to watch meanwhile.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "kasa-private.h"
#include "transport.h"

int transport_addr_init(struct transport_addr *a, const char *host, uint16_t port)
{
	size_t n = strlen(host);

	*a = (struct transport_addr){.port = port};
	/* [v6] as well as bare v6. */
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		a->host = strndup(host + 1, n - 2);
	else
		a->host = strdup(host);
	return a->host ? 0 : -ENOMEM;
}

void transport_addr_done(struct transport_addr *a)
{
	kasa_lookup_free(steal_ptr(a->lookup));
	free(steal_ptr(a->host));
}

/* The lookup ended with res: keep its first address. */
static int take(struct transport_addr *a, const struct addrinfo *res)
{
	if (res->ai_addrlen > sizeof(a->addr))
		return -EAFNOSUPPORT;
	memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
	a->addrlen = res->ai_addrlen;
	return 0;
}

int transport_addr_open(struct transport_addr *a, uint64_t now, uint64_t timeout)
{
	const struct addrinfo *res;
	int r;

	if (a->addrlen)
		return 0;
	if (a->lookup)
		return 1;
	r = kasa_lookup_start(a->host, a->port, &a->lookup);
	if (r < 0)
		return r;
	r = kasa_lookup_check(a->lookup, &res);
	if (r != 0) {
		/* An address: no waiting. */
		if (r > 0)
			r = take(a, res);
		kasa_lookup_free(steal_ptr(a->lookup));
		return r;
	}
	a->deadline = now + timeout;
	return 1;
}

int transport_addr_process(struct transport_addr *a, uint64_t now)
{
	const struct addrinfo *res;
	int r;

	if (!a->lookup)
		return a->addrlen ? 1 : -ENOTCONN;
	r = kasa_lookup_check(a->lookup, &res);
	if (r == 0) {
		if (now < a->deadline)
			return 0;
		r = -ETIMEDOUT;
	} else if (r > 0) {
		r = take(a, res);
		if (r == 0)
			r = 1;
	}
	kasa_lookup_free(steal_ptr(a->lookup));
	return r;
}

int transport_addr_fd(const struct transport_addr *a)
{
	return a->lookup ? kasa_lookup_fd(a->lookup) : -1;
}
