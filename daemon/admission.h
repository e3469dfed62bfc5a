/* SPDX-License-Identifier: MIT */
/*
 * Who may ask: the Host a request names (against DNS rebinding), the
 * Origin of the page that sent it and CORS, the client's rate, the bearer
 * token and its scope.  Every refusal is answered through errors.h.
 */
#ifndef KASAD_ADMISSION_H
#define KASAD_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"

struct admission;
struct api_settings;
struct http_request;

int admission_new(struct admission **ret);
void admission_free(struct admission *ad);

/* Answers req and returns false when it may go no further: a Host not
 * allowed, an Origin not allowed (or a CORS preflight, answered here), a
 * client over its rate, a token in the URL, no token or too small a one
 * for need.  s is borrowed for the call. */
bool admission_admit(struct admission *ad, const struct api_settings *s, struct http_request *req,
		     enum auth_scope need, uint64_t now);

/* Is "host[:port]" (NULL: HTTP/1.0, none) a name kasad answers to? */
bool admission_host_allowed(const struct api_settings *s, const char *host);
/* May a page of origin call kasad, reached as host?  *ret_listed: it is
 * one of cors_origins (so it gets CORS headers). */
bool admission_origin_allowed(const struct api_settings *s, const char *origin, const char *host,
			      bool *ret_listed);
/* The scope of the token in an Authorization header (NULL: none);
 * AUTH_NONE for none or a wrong one, *ret_given whether there was one. */
enum auth_scope admission_token_scope(const struct auth *auth, const char *authorization,
				      bool *ret_given);

#endif
