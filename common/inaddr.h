/* SPDX-License-Identifier: MIT */
/*
 * An IPv4 or IPv6 socket address in the room it needs: 28 bytes where a
 * struct sockaddr_storage takes 128, and every plug keeps one or two.
 */
#ifndef COMMON_INADDR_H
#define COMMON_INADDR_H

#include <netinet/in.h>
#include <sys/socket.h>

union inet_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

#endif
