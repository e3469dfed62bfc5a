/* SPDX-License-Identifier: MIT */
/* A blocking round trip for simple programs, with one total timeout. */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kasa-private.h"

/*
 * A name lookup that the resolver runs in the background (getaddrinfo_a),
 * so that it too ends by the caller's deadline.  Everything glibc may still
 * touch after a time-out lives in this one allocation.
 */
struct lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char service[8];
	char host[];
};

static int resolve(const char *host, uint16_t port, uint64_t deadline,
		   struct addrinfo **ret_res)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST,
				 .ai_socktype = SOCK_STREAM,
				 .ai_protocol = IPPROTO_TCP};
	size_t len = strlen(host);
	struct gaicb *list[1];
	struct lookup *l;
	char service[8];
	int r;

	/* Addresses, the usual case, need no resolver. */
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	r = getaddrinfo(host, service, &hints, ret_res);
	if (r != EAI_NONAME)
		return r == 0 ? 0 : kasa_gai_errno(r);

	l = calloc(1, sizeof(*l) + len + 1);
	if (!l)
		return -ENOMEM;
	memcpy(l->host, host, len + 1);
	memcpy(l->service, service, sizeof(service));
	l->hints = hints;
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

	for (;;) {
		uint64_t now = kasa_now_usec();
		struct timespec ts;

		r = gai_error(&l->cb);
		if (r != EAI_INPROGRESS || now >= deadline)
			break;
		ts.tv_sec = (time_t)((deadline - now) / 1000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000u) * 1000;
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}

	if (r == EAI_INPROGRESS) {
		/* A lookup already running cannot be stopped; it keeps l. */
		if (gai_cancel(&l->cb) == EAI_CANCELED)
			free(l);
		return -ETIMEDOUT;
	}
	if (r != 0) {
		free(l);
		return kasa_gai_errno(r);
	}
	*ret_res = l->cb.ar_result;
	free(l);
	return 0;
}

/* Drive one request on c until it completes or its deadline passes. */
static int call_wait(struct kasa_conn *c)
{
	for (;;) {
		uint64_t now = kasa_now_usec();
		uint64_t deadline = kasa_conn_deadline(c);
		struct pollfd pfd = {.fd = kasa_conn_fd(c), .events = (short)kasa_conn_events(c)};
		int ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
		int n, r;

		n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		r = kasa_conn_process(c, n > 0 ? (uint32_t)pfd.revents : 0, kasa_now_usec());
		if (r != 0)
			return r;
	}
}

KASA_EXPORT int kasa_call(const char *host, uint16_t port, const char *json, int timeout_ms,
			  char **ret_reply, size_t *ret_len)
{
	struct addrinfo *res = NULL;
	uint64_t deadline;
	int err;

	if (!host || !json || timeout_ms <= 0)
		return -EINVAL;
	deadline = kasa_now_usec() + (uint64_t)timeout_ms * 1000u;
	err = resolve(host, port, deadline, &res);
	if (err < 0)
		return err;

	/* Try each address (localhost may be ::1 first) while time is left. */
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct kasa_conn *c;
		uint64_t now = kasa_now_usec();
		const char *reply;
		size_t len;

		if (now >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		c = kasa_conn_new(ai->ai_addr, ai->ai_addrlen);
		if (!c) {
			err = -ENOMEM;
			break;
		}
		err = kasa_conn_start(c, json, strlen(json), now, deadline - now);
		if (err >= 0)
			err = call_wait(c);
		if (err == 1) {
			char *copy;

			reply = kasa_conn_reply(c, &len);
			copy = malloc(len + 1);
			if (copy) {
				memcpy(copy, reply, len + 1);
				*ret_reply = copy;
				if (ret_len)
					*ret_len = len;
				err = 0;
			} else {
				err = -ENOMEM;
			}
		}
		kasa_conn_free(c);
		if (err != -ECONNREFUSED && err != -EHOSTUNREACH && err != -ENETUNREACH &&
		    err != -EAFNOSUPPORT && err != -EADDRNOTAVAIL)
			break;
	}
	freeaddrinfo(res);
	return err;
}
