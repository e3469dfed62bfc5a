/* SPDX-License-Identifier: MIT */
/* Socket addresses and the TCP+UDP port pair a device binds, for net.c. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>

#include "sock.h"

/* Ports taken by this process, so that port 0 never hands one out twice. */
static uint8_t ports_used[65536 / 8];

static void port_mark(uint16_t port)
{
	ports_used[port / 8] |= (uint8_t)(1u << (port % 8));
}

static bool port_taken(uint16_t port)
{
	return ports_used[port / 8] & (1u << (port % 8));
}

void sock_addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, size, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(buf, size, "[%s]:%s", host, serv);
	else
		snprintf(buf, size, "%s:%s", host, serv);
}

void sock_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

uint16_t sock_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* One attempt: TCP first (any port when port is 0), then UDP on the same. */
int sock_bind_pair(struct sockaddr_storage *ss, socklen_t len, uint16_t port, bool listening,
		   int *ret_tcp, int *ret_udp)
{
	int one = 1, t, u, err;
	socklen_t sl = len;

	sock_set_port(ss, port);
	t = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t < 0)
		return -errno;
	/* A test can restart at once on the same port despite TIME_WAIT. */
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(t, (struct sockaddr *)ss, len) < 0 ||
	    getsockname(t, (struct sockaddr *)ss, &sl) < 0)
		goto fail_t;
	if (port == 0 && port_taken(sock_port(ss))) {
		close(t);
		return -EADDRINUSE;
	}
	/* Listen now: nobody else can share a listening port. */
	if (listening && listen(t, SOMAXCONN) < 0)
		goto fail_t;
	u = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u < 0)
		goto fail_t;
	if (bind(u, (struct sockaddr *)ss, len) < 0) {
		err = -errno;
		close(u);
		close(t);
		return err;
	}
	*ret_tcp = t;
	*ret_udp = u;
	port_mark(sock_port(ss));
	return 0;
fail_t:
	err = -errno;
	close(t);
	return err;
}
