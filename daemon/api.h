/* SPDX-License-Identifier: MIT */
/*
 * The REST API: routes and JSON bodies, a front door over the device
 * service.  Its errors become answers through errors.h.
 */
#ifndef KASAD_API_H
#define KASAD_API_H

#include <stddef.h>
#include <stdint.h>

struct http_request;
struct loop;
struct service;
struct api;

struct auth;

/* Borrowed pointers must stay valid until the next api_configure(). */
struct api_settings {
	const struct auth *auth;       /* NULL: no tokens asked for */
	char *const *allowed_hosts;    /* Host names beside localhost and addresses */
	size_t n_allowed_hosts;
	char *const *cors_origins;
	size_t n_cors_origins;
	unsigned client_rate, client_burst; /* a second, per address; 0: no limit */
	uint64_t history_usec, history_step_usec; /* the power history (history.h) */
};

int api_new(struct loop *l, struct service *svc, const struct api_settings *s,
	    struct api **ret_api);
void api_free(struct api *a);
void api_configure(struct api *a, const struct api_settings *s);
/* From now on, new requests get 503 and /healthz says so. */
void api_set_stopping(struct api *a);
/* What GET /discovered lists (borrowed; NULL: nothing). */
struct discovery;
void api_set_discovery(struct api *a, struct discovery *d);

/* The http_handler_cb_t; userdata is the struct api. */
void api_handle(struct http_request *req, void *userdata);

#endif
