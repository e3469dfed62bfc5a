/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: the network side of one device (net.c): its TCP listener and
 * connections, its UDP discovery socket.  It knows nothing of what a device
 * is; each request payload goes to the handler given to net_start().
 */
#ifndef EMU_NET_H
#define EMU_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/list.h"
#include "emu.h"
#include "http.h"
#include "loop.h"
#include "spec.h"

/*
 * Answer one request payload.  Returns the reply JSON (owned, free()), or
 * NULL when the payload is not a JSON object (the peer is then dropped) or,
 * over UDP, when there is nothing to answer.
 */
typedef char *(*emu_net_handle_cb)(void *userdata, const char *json, size_t len, bool udp);

struct emu_conn;
struct emu_udp_reply;

struct emu_net {
	/* set by net_setup() */
	unsigned index;		     /* the device's, for log lines */
	const struct emu_spec *spec; /* borrowed: delays, idle time, fault mode */
	uint64_t *fault_rng;	     /* borrowed: the device's fault sequence */

	/* set by net_start() */
	emu_net_handle_cb handle;
	void *userdata;

	struct emu_stats stats;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint16_t port;
	struct emu_watch tcp;
	struct emu_watch udp;
	struct list_head conns; /* struct emu_conn */
	unsigned nconns;
	struct list_head udp_pending; /* struct emu_udp_reply */
	unsigned nudp_pending;
	/* KLAP devices: HTTP on the TCP port (http.c), silence on its UDP. */
	struct emu_http_site site;
};

/* Before anything else: spec and fault_rng must outlive n. */
void net_setup(struct emu_net *n, unsigned index, const struct emu_spec *spec, uint64_t *fault_rng);
/* Bind TCP and UDP on addr:port (port 0: any free one for both). */
int net_bind(struct emu_net *n, const struct sockaddr *addr, socklen_t addrlen, uint16_t port);
/* Before net_start(), for a KLAP device: its TCP connections go to
 * libmicrohttpd (http_init() first), each request to handle(userdata, ...). */
void net_set_http(struct emu_net *n, emu_http_handle_cb handle, void *userdata);
/* Start accepting and receiving; every request payload goes to handle(userdata, ...). */
int net_start(struct emu_net *n, emu_net_handle_cb handle, void *userdata);
/* Send a datagram from fd (the device's UDP socket or another), after the
 * device's delay when it has one. */
void net_udp_send(struct emu_net *n, int fd, const void *data, size_t len,
		  const struct sockaddr_storage *to, socklen_t tolen);
/* Drop every connection (a reboot). */
void net_drop(struct emu_net *n);
void net_close(struct emu_net *n);
/* "ADDR:PORT" of n, "[ADDR]:PORT" for IPv6. */
void net_name(const struct emu_net *n, char *buf, size_t len);
/* Keep a spare fd to shed connections when the fd table is full. */
int net_init(void);
void net_done(void);

#endif
