/* SPDX-License-Identifier: MIT */
/*
 * The one name resolver: numeric addresses are answered at once, names are
 * looked up in the background (getaddrinfo_a), so a lookup never blocks an
 * event loop and a blocking caller can still give up by its deadline.
 * Everything glibc may still touch after a time-out lives in the lookup's
 * one allocation.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kasa-private.h"

struct kasa_lookup {
	struct gaicb cb;
	struct addrinfo hints;
	struct addrinfo *numeric; /* the answer when host was an address */
	bool started;		  /* cb was handed to getaddrinfo_a */
	char service[8];
	char host[];
};

int kasa_lookup_start(const char *host, uint16_t port, struct kasa_lookup **ret_lookup)
{
	size_t len = strlen(host);
	struct gaicb *list[1];
	struct kasa_lookup *l;
	int r;

	l = calloc(1, sizeof(*l) + len + 1);
	if (!l)
		return -ENOMEM;
	memcpy(l->host, host, len + 1);
	snprintf(l->service, sizeof(l->service), "%u", (unsigned)port);
	l->hints.ai_flags = AI_NUMERICHOST;
	l->hints.ai_socktype = SOCK_STREAM;
	l->hints.ai_protocol = IPPROTO_TCP;

	/* Addresses, the usual case, need no resolver. */
	r = getaddrinfo(l->host, l->service, &l->hints, &l->numeric);
	if (r != EAI_NONAME) {
		if (r != 0) {
			free(l);
			return kasa_gai_errno(r);
		}
		*ret_lookup = l;
		return 0;
	}

	l->hints.ai_flags = 0;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->service;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0) {
		free(l);
		return kasa_gai_errno(r);
	}
	l->started = true;
	*ret_lookup = l;
	return 0;
}

int kasa_lookup_check(struct kasa_lookup *l, const struct addrinfo **ret_res)
{
	int r;

	if (!l->started) {
		*ret_res = l->numeric;
		return 1;
	}
	r = gai_error(&l->cb);
	if (r == EAI_INPROGRESS)
		return 0;
	if (r != 0)
		return kasa_gai_errno(r);
	*ret_res = l->cb.ar_result;
	return 1;
}

int kasa_lookup_wait(struct kasa_lookup *l, uint64_t deadline, const struct addrinfo **ret_res)
{
	const struct gaicb *list[1] = {&l->cb};

	for (;;) {
		uint64_t now = kasa_now_usec();
		struct timespec ts;
		int r;

		r = kasa_lookup_check(l, ret_res);
		if (r != 0)
			return r;
		if (now >= deadline)
			return -ETIMEDOUT;
		ts.tv_sec = (time_t)((deadline - now) / 1000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000u) * 1000;
		(void)gai_suspend(list, 1, &ts);
	}
}

void kasa_lookup_free(struct kasa_lookup *l)
{
	if (!l)
		return;
	/* A lookup already running cannot be stopped: glibc's worker still
	 * writes to l, so it is left to glibc (a few hundred bytes, once per
	 * stuck lookup) rather than freed while in use. */
	if (l->started && gai_cancel(&l->cb) == EAI_NOTCANCELED)
		return;
	if (l->cb.ar_result)
		freeaddrinfo(l->cb.ar_result);
	if (l->numeric)
		freeaddrinfo(l->numeric);
	free(l);
}
