/* SPDX-License-Identifier: MIT */
/*
 * The one table that turns an error (a -errno a plug gave, or one of the
 * API's own below) into an HTTP status, a JSON error code and a message,
 * and the answers built from it.  Nowhere else does an error become an
 * answer.
 */
#ifndef KASAD_ERRORS_H
#define KASAD_ERRORS_H

#include <stdint.h>

#include "errcodes.h"

struct http_own_answers;
struct http_request;
struct json_object;
struct service_result;

struct api_error {
	int error;
	unsigned status;
	const char *code;
	const char *message; /* when the caller gives none */
};

/* The table's entry (borrowed, static); NULL for an error it lacks. */
const struct api_error *errors_find(int error);

/* The answers the HTTP server gives on its own (http.h), from the table:
 * borrowed, static, rendered at the first call. */
const struct http_own_answers *errors_http_answers(void);

/* o (owned; put here) as the answer's body, with headers (name, value, ...,
 * NULL; borrowed).  A large answer refused while others wait for their
 * clients becomes a small 503. */
void errors_reply_json(struct http_request *req, unsigned status, struct json_object *o,
		       const char *const *headers);
/* http_reply()'s result r: a large answer refused becomes a small 503. */
void errors_reply_large(struct http_request *req, int r);

/* An error: {"error","message","device"} with the table's status, the
 * message made well-formed UTF-8, Retry-After on every 503; fmt NULL for
 * the table's message; allow, for a 405, lists the methods that are. */
__attribute__((format(printf, 5, 6))) void errors_reply(struct http_request *req, int error,
							const char *device, const char *allow,
							const char *fmt, ...);
/* A 429: come back in wait_usec (rounded up to whole seconds). */
__attribute__((format(printf, 5, 6))) void errors_reply_limited(struct http_request *req, int error,
								const char *device,
								uint64_t wait_usec, const char *fmt,
								...);
/* A 401 or 403 with its RFC 6750 challenge. */
__attribute__((format(printf, 4, 5))) void errors_reply_denied(struct http_request *req, int error,
							       const char *challenge,
							       const char *fmt, ...);
/* A plug's failure, with what the plug itself said when it refused. */
void errors_reply_plug(struct http_request *req, const char *device,
		       const struct service_result *res);

#endif
