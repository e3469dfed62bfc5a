/* SPDX-License-Identifier: MIT */
/* Blocking round trips for simple programs, with one total timeout: on TCP
 * 9999 (kasa_conn) and over KLAP (kasa_klap_conn). */
#include <netdb.h>
#include <poll.h>
#include <string.h>

#include "kasa-private.h"

/* Look host up by the deadline timeout_ms from now: *ret_res borrowed
 * from *ret_lookup, which the caller frees. */
static int call_resolve(const char *host, uint16_t port, int timeout_ms, uint64_t *ret_deadline,
			struct kasa_lookup **ret_lookup, const struct addrinfo **ret_res)
{
	uint64_t deadline = kasa_now_usec() + (uint64_t)timeout_ms * USEC_PER_MSEC;
	struct kasa_lookup *lookup = NULL;
	int err;

	err = kasa_lookup_start(host, port, &lookup);
	if (err < 0)
		return err;
	err = kasa_lookup_wait(lookup, deadline, ret_res);
	if (err < 0) {
		kasa_lookup_free(lookup);
		return err;
	}
	*ret_deadline = deadline;
	*ret_lookup = lookup;
	return 0;
}

/* The caller's own copy of a reply: 0, or -ENOMEM. */
static int copy_reply(const char *reply, size_t len, char **ret_reply, size_t *ret_len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, reply, len + 1);
	*ret_reply = copy;
	if (ret_len)
		*ret_len = len;
	return 0;
}

/* Whether an error of one address leaves the next worth trying. */
static bool try_next_address(int err)
{
	return err == -ECONNREFUSED || err == -EHOSTUNREACH || err == -ENETUNREACH ||
	       err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL;
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
	struct kasa_lookup *lookup = NULL;
	const struct addrinfo *res = NULL;
	uint64_t deadline;
	int err;

	if (!host || !json || timeout_ms <= 0)
		return -EINVAL;
	err = call_resolve(host, port, timeout_ms, &deadline, &lookup, &res);
	if (err < 0)
		return err;

	/* Try each address (localhost may be ::1 first) while time is left. */
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
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
			reply = kasa_conn_reply(c, &len);
			err = copy_reply(reply, len, ret_reply, ret_len);
		}
		kasa_conn_free(c);
		if (!try_next_address(err))
			break;
	}
	kasa_lookup_free(lookup);
	return err;
}

/* Drive one KLAP request on c until it completes or its deadline passes. */
static int klap_wait(struct kasa_klap_conn *c)
{
	for (;;) {
		uint64_t now = kasa_now_usec();
		uint64_t deadline = kasa_klap_conn_deadline(c);
		struct pollfd pfd = {.fd = kasa_klap_conn_fd(c),
				     .events = (short)kasa_klap_conn_events(c)};
		int ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
		int n, r;

		n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		r = kasa_klap_conn_process(c, n > 0 ? (uint32_t)pfd.revents : 0, kasa_now_usec());
		if (r != 0)
			return r;
	}
}

KASA_EXPORT int kasa_klap_call(const char *host, uint16_t port, enum kasa_klap_proto proto,
			       unsigned versions, const char *user, const char *password,
			       const char *json, int timeout_ms, char **ret_reply, size_t *ret_len)
{
	struct kasa_lookup *lookup = NULL;
	const struct addrinfo *res = NULL;
	uint64_t deadline;
	int err;

	if (!host || !json || !ret_reply || timeout_ms <= 0)
		return -EINVAL;
	err = call_resolve(host, port, timeout_ms, &deadline, &lookup, &res);
	if (err < 0)
		return err;

	/* Each address in turn while time is left, as kasa_call(). */
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct kasa_klap_conn *c;
		uint64_t now = kasa_now_usec();

		if (now >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		err = kasa_klap_conn_new(ai->ai_addr, ai->ai_addrlen, proto, versions, user,
					 password, &c);
		if (err < 0)
			break;
		err = kasa_klap_conn_start(c, json, strlen(json), now, deadline - now);
		if (err >= 0)
			err = klap_wait(c);
		if (err == 1) {
			size_t len;
			const char *reply = kasa_klap_conn_reply(c, &len);

			err = copy_reply(reply, len, ret_reply, ret_len);
		}
		kasa_klap_conn_free(c);
		if (!try_next_address(err))
			break;
	}
	kasa_lookup_free(lookup);
	return err;
}
