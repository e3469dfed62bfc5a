/* SPDX-License-Identifier: MIT */
/* A host name looked up once, without blocking (lookup.h). */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "kasa-private.h"
#include "lookup.h"

int lookup_init(struct lookup *l, const char *host, uint16_t port)
{
	size_t n = strlen(host);

	*l = (struct lookup){.port = port};
	/* [v6] as well as bare v6. */
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		l->host = strndup(host + 1, n - 2);
	else
		l->host = strdup(host);
	return l->host ? 0 : -ENOMEM;
}

void lookup_done(struct lookup *l)
{
	kasa_lookup_free(steal_ptr(l->lookup));
	free(steal_ptr(l->host));
}

/* The lookup ended with res: keep its first address. */
static int take(struct lookup *l, const struct addrinfo *res)
{
	if ((res->ai_family != AF_INET && res->ai_family != AF_INET6) ||
	    res->ai_addrlen > sizeof(l->addr))
		return -EAFNOSUPPORT;
	memcpy(&l->addr, res->ai_addr, res->ai_addrlen);
	l->addrlen = res->ai_addrlen;
	return 0;
}

int lookup_open(struct lookup *l, uint64_t now, uint64_t timeout)
{
	const struct addrinfo *res;
	int r;

	if (l->addrlen)
		return 0;
	if (l->lookup)
		return 1;
	r = kasa_lookup_start(l->host, l->port, &l->lookup);
	if (r < 0)
		return r;
	r = kasa_lookup_check(l->lookup, &res);
	if (r != 0) {
		/* An address: no waiting. */
		if (r > 0)
			r = take(l, res);
		kasa_lookup_free(steal_ptr(l->lookup));
		return r;
	}
	l->deadline = now + timeout;
	return 1;
}

int lookup_process(struct lookup *l, uint64_t now)
{
	const struct addrinfo *res;
	int r;

	if (!l->lookup)
		return l->addrlen ? 1 : -ENOTCONN;
	r = kasa_lookup_check(l->lookup, &res);
	if (r == 0) {
		if (now < l->deadline)
			return 0;
		r = -ETIMEDOUT;
	} else if (r > 0) {
		r = take(l, res);
		if (r == 0)
			r = 1;
	}
	kasa_lookup_free(steal_ptr(l->lookup));
	return r;
}

int lookup_fd(const struct lookup *l)
{
	return l->lookup ? kasa_lookup_fd(l->lookup) : -1;
}
