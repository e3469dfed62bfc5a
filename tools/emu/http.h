/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: HTTP for the devices that speak KLAP (http.c).  One
 * libmicrohttpd daemon in external epoll mode serves every such device:
 * its epoll descriptor is a watch of the emulator's loop, a timer follows
 * MHD_get_timeout(), and net.c hands it each connection it accepts on a
 * device's port (MHD_add_connection()), so that the loop stays the one
 * thread.  Each whole request goes to the device's handler (klap.c), and
 * its answer leaves shaped by the device's fault mode, delay and flakiness
 * (fault.c decides, this file puts it on the wire).  The only file that
 * includes microhttpd.h; it knows nothing of KLAP.
 */
#ifndef EMU_HTTP_H
#define EMU_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/list.h"
#include "emu.h"
#include "kasa.h"
#include "spec.h"

/* The most body a request may carry; more is read and thrown away. */
#define EMU_HTTP_BODY_MAX KASA_KLAP_BODY_MAX
/* Cookie headers kept per request. */
#define EMU_HTTP_COOKIES_MAX 8
/* A Set-Cookie value, the NUL included. */
#define EMU_HTTP_COOKIE_MAX 192

/* One whole request, borrowed for the handler's call. */
struct emu_http_request {
	const char *method;
	const char *path;	    /* without the query */
	const char *peer;	    /* "ADDR:PORT" */
	const char *const *cookies; /* the Cookie headers' values */
	size_t ncookies;
	const uint8_t *body;
	size_t len;
	bool too_big; /* over EMU_HTTP_BODY_MAX: body and len are not it */
	void *priv;   /* http.c's */
};

/* A query argument of the request (its value, "" when it has none), NULL
 * when the query does not name it. */
const char *http_request_arg(const struct emu_http_request *req, const char *key);

struct emu_http_answer {
	unsigned status;
	uint8_t *body; /* owned; NULL when len is 0 */
	size_t len;
	char cookie[EMU_HTTP_COOKIE_MAX]; /* a Set-Cookie header's value; "" none */
};

/* Answer one request: fill *ret (zeroed before the call). */
typedef void (*emu_http_handle_cb)(void *userdata, const struct emu_http_request *req,
				   struct emu_http_answer *ret);

/* One device's side: set the first block, then http_take() its connections. */
struct emu_http_site {
	unsigned index;		     /* the device's, for log lines */
	const struct emu_spec *spec; /* borrowed: delay, idle, fault, flaky, drip */
	uint64_t *fault_rng;	     /* borrowed: the device's fault sequence */
	struct emu_stats *stats;     /* borrowed: requests and max_inflight */
	emu_http_handle_cb handle;
	void *userdata;

	/* http.c's */
	struct list_head conns; /* the connections libmicrohttpd holds for it */
	unsigned nconns;
};

/* Start libmicrohttpd in the loop (after loop_init()). */
int http_init(void);
/* Drop every connection, then stop it; accepts a daemon never started. */
void http_done(void);
void http_site_init(struct emu_http_site *site);
/* Hand an accepted connection over (fd non-blocking); it is closed on failure. */
int http_take(struct emu_http_site *site, int fd, const struct sockaddr *peer, socklen_t len);
/* Close every connection of site (a reboot). */
void http_drop(struct emu_http_site *site);

#endif
