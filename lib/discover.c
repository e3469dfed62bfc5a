/* SPDX-License-Identifier: MIT */
/* UDP discovery: the encrypted sysinfo query, no header, to one host or a broadcast address. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa-private.h"

/* An IPv4 datagram carries at most 65507 bytes: this buffer never truncates one. */
#define DATAGRAM_MAX (64 * 1024)
/* Bounds memory on a network (or a peer) that answers from very many addresses. */
#define RESPONDERS_MAX 1024
#define SENDS_MAX      100

struct responders {
	struct sockaddr_in addr[RESPONDERS_MAX];
	unsigned count;
};

/* Discovery speaks IPv4 only: the plugs do, and broadcast has no IPv6 equivalent. */
static int resolve(const char *target, uint16_t port, struct sockaddr_in *ret)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res;
	int r;

	r = getaddrinfo(target, NULL, &hints, &res);
	if (r != 0)
		return kasa_gai_errno(r);
	memcpy(ret, res->ai_addr, sizeof(*ret));
	ret->sin_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

/* True the first time an address is seen; false for a repeat or once the table is full. */
static bool remember(struct responders *seen, const struct sockaddr_in *from)
{
	for (unsigned i = 0; i < seen->count; i++)
		if (seen->addr[i].sin_addr.s_addr == from->sin_addr.s_addr &&
		    seen->addr[i].sin_port == from->sin_port)
			return false;
	if (seen->count == RESPONDERS_MAX)
		return false;
	seen->addr[seen->count++] = *from;
	return true;
}

static void report(const struct sockaddr_in *from, char *buf, size_t len, kasa_found_cb_t cb,
		   void *userdata)
{
	struct kasa_found found = {0};
	struct json_object *reply;

	memcpy(&found.addr, from, sizeof(*from));
	found.addrlen = sizeof(*from);
	inet_ntop(AF_INET, &from->sin_addr, found.host, sizeof(found.host));
	found.port = ntohs(from->sin_port);

	kasa_decrypt(buf, len);
	buf[len] = '\0';
	if (kasa_reply_parse(buf, len, &reply) >= 0) {
		found.info_ok = kasa_sysinfo_parse(reply, &found.info, NULL) >= 0;
		json_object_put(reply);
	}
	if (cb)
		cb(&found, userdata);
}

/* Read every datagram waiting; returns how many new responders were reported. */
static int drain(int fd, char *buf, struct responders *seen, kasa_found_cb_t cb, void *userdata)
{
	int found = 0;

	/* Bounded so that a flood cannot keep us past the deadline for long. */
	for (int i = 0; i < 256; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		n = recvfrom(fd, buf, DATAGRAM_MAX, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		/* EAGAIN ends the batch; any other error is a stale ICMP report: move on too. */
		if (n < 0)
			break;
		if (fromlen != sizeof(from) || from.sin_family != AF_INET)
			continue;
		if (!remember(seen, &from))
			continue;
		report(&from, buf, (size_t)n, cb, userdata);
		found++;
	}
	return found;
}

KASA_EXPORT int kasa_discover(const char *target, uint16_t port, int timeout_ms, unsigned sends,
			      kasa_found_cb_t cb, void *userdata)
{
	_cleanup_free_ struct responders *seen = NULL;
	_cleanup_free_ char *query = NULL;
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct sockaddr_in to;
	uint64_t start, deadline, interval;
	size_t query_len;
	unsigned sent = 0;
	int found = 0, one = 1, r;

	if (!target || port == 0 || timeout_ms < 0 || sends == 0 || sends > SENDS_MAX)
		return -EINVAL;
	r = resolve(target, port, &to);
	if (r < 0)
		return r;

	r = kasa_req_sysinfo(&query);
	if (r < 0)
		return r;
	seen = calloc(1, sizeof(*seen));
	/* One spare byte for the NUL the parser's caller expects. */
	buf = malloc(DATAGRAM_MAX + 1);
	if (!seen || !buf)
		return -ENOMEM;
	query_len = strlen(query);
	kasa_encrypt(query, query_len);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Without it, sending to a broadcast address fails with EACCES. */
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
		return -errno;

	start = monotonic_usec();
	deadline = start + (uint64_t)timeout_ms * USEC_PER_MSEC;
	interval = (uint64_t)timeout_ms * USEC_PER_MSEC / sends;

	for (;;) {
		uint64_t now = monotonic_usec(), wake;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int wait_ms;

		/* Send i goes out at start + i * interval; the first at once. */
		while (sent < sends && now >= start + sent * interval) {
			ssize_t n =
				sendto(fd, query, query_len, 0, (struct sockaddr *)&to, sizeof(to));

			/* The first failure tells the caller why (no route, say); later ones
			 * are transient and the replies so far still count. */
			if (n < 0 && sent == 0)
				return -errno;
			sent++;
		}
		if (now >= deadline)
			break;

		wake = deadline;
		if (sent < sends && start + sent * interval < wake)
			wake = start + sent * interval;
		/* Round up so we never spin on a sub-millisecond remainder. */
		wait_ms = (int)((wake - now + 999) / 1000);

		r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			found += drain(fd, buf, seen, cb, userdata);
	}
	return found;
}
