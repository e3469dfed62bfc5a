/* SPDX-License-Identifier: MIT */
/* kasa-emu: socket addresses and port pairs (sock.c), below net.c. */
#ifndef EMU_SOCK_H
#define EMU_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "ADDR:PORT", "[ADDR]:PORT" for IPv6, "?" when it cannot say. */
void sock_addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
void sock_set_port(struct sockaddr_storage *ss, uint16_t port);
uint16_t sock_port(const struct sockaddr_storage *ss);
/*
 * One attempt: a TCP socket on ss with port (0: any free one, never one this
 * process had before), listening when listening says, then UDP on the same
 * port.  ss gets the address bound.  -EADDRINUSE: try again.
 */
int sock_bind_pair(struct sockaddr_storage *ss, socklen_t len, uint16_t port, bool listening,
		   int *ret_tcp, int *ret_udp);

#endif
