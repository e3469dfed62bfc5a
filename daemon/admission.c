/* SPDX-License-Identifier: MIT */
/*
 * The admission policy: Host, Origin and CORS, the client's rate, the
 * token and its scope, in the order a request meets them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admission.h"
#include "api.h"
#include "common/macro.h"
#include "errors.h"
#include "http.h"
#include "ratelimit.h"

/* The size of the client rate table: a bucket is 40 bytes. */
#define ADMISSION_CLIENT_SLOTS 4096

struct admission {
	struct rate_limit *clients; /* per address (an IPv6 /64) */
	/* The last Host found to be an address or localhost, which no setting
	 * refuses: a client sends the same with each request. */
	char host_ok[64];
};

int admission_new(struct admission **ret)
{
	struct admission *ad = calloc(1, sizeof(*ad));

	if (!ad || rate_limit_new(ADMISSION_CLIENT_SLOTS, &ad->clients) < 0) {
		free(ad);
		return -ENOMEM;
	}
	*ret = ad;
	return 0;
}

void admission_free(struct admission *ad)
{
	if (!ad)
		return;
	rate_limit_free(ad->clients);
	free(ad);
}

/* "Bearer TOKEN": the token, or NULL. */
static const char *bearer(const char *h, size_t *ret_len)
{
	const char *t;

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	t = h + 7 + strspn(h + 7, " ");
	*ret_len = strcspn(t, " \t");
	return *ret_len && !t[*ret_len + strspn(t + *ret_len, " \t")] ? t : NULL;
}

/* ":PORT" or nothing: what may follow a host in Host. */
static bool port_or_end(const char *p)
{
	if (!*p)
		return true;
	if (*p++ != ':')
		return false;
	return strspn(p, "0123456789") == strlen(p) && strlen(p) <= 5;
}

/*
 * Is "host[:port]" a name kasad answers to?  IP addresses are: a page that
 * reaches kasad by address is no DNS rebinding.  Names must be localhost or
 * listed.  Anything else after the host ("[::1].evil", "1.2.3.4:80@evil")
 * is not a host at all.
 */
enum host_verdict {
	HOST_REFUSED,
	HOST_LISTED,   /* a name in allowed_hosts */
	HOST_ANYWHERE, /* an address or localhost, whatever the settings */
};

static enum host_verdict host_verdict(const struct api_settings *s, const char *h)
{
	char host[256];
	unsigned char addr[sizeof(struct in6_addr)];
	size_t n;

	if (!h)
		return HOST_ANYWHERE; /* HTTP/1.0 */
	if (h[0] == '[') {
		const char *end = strchr(h, ']');

		n = end ? (size_t)(end - h - 1) : 0;
		if (!end || n == 0 || n >= sizeof(host) || !port_or_end(end + 1))
			return HOST_REFUSED;
		memcpy(host, h + 1, n);
		host[n] = '\0';
		return inet_pton(AF_INET6, host, addr) == 1 ? HOST_ANYWHERE : HOST_REFUSED;
	}
	n = strcspn(h, ":");
	if (n == 0 || n >= sizeof(host) || !port_or_end(h + n))
		return HOST_REFUSED;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
			return HOST_REFUSED;
		host[i] = (char)tolower((unsigned char)h[i]);
	}
	host[n] = '\0';
	/* A name may end with the root's dot. */
	if (n > 1 && host[n - 1] == '.')
		host[n - 1] = '\0';
	if (inet_pton(AF_INET, host, addr) == 1 || streq(host, "localhost"))
		return HOST_ANYWHERE;
	for (size_t i = 0; i < s->n_allowed_hosts; i++)
		if (streq(host, s->allowed_hosts[i]))
			return HOST_LISTED;
	return HOST_REFUSED;
}

bool admission_host_allowed(const struct api_settings *s, const char *h)
{
	return host_verdict(s, h) != HOST_REFUSED;
}

/* admission_host_allowed(), remembering the last address it allowed. */
static bool host_allowed(struct admission *ad, const struct api_settings *s, const char *h)
{
	enum host_verdict v;

	if (h && h[0] && streq(h, ad->host_ok))
		return true;
	v = host_verdict(s, h);
	if (v == HOST_ANYWHERE && h && strlen(h) < sizeof(ad->host_ok))
		strcpy(ad->host_ok, h);
	return v != HOST_REFUSED;
}

static bool cors_listed(const struct api_settings *s, const char *origin)
{
	for (size_t i = 0; i < s->n_cors_origins; i++)
		if (streq(origin, s->cors_origins[i]))
			return true;
	return false;
}

/* The page that sent it is kasad's own (its dashboard), served over http,
 * or over https by a proxy in front that keeps the Host. */
static bool same_origin(const char *origin, const char *host)
{
	if (!host)
		return false;
	if (strncmp(origin, "http://", 7) == 0)
		return strcasecmp(origin + 7, host) == 0;
	if (strncmp(origin, "https://", 8) == 0)
		return strcasecmp(origin + 8, host) == 0;
	return false;
}

bool admission_origin_allowed(const struct api_settings *s, const char *origin, const char *host,
			      bool *ret_listed)
{
	*ret_listed = cors_listed(s, origin);
	return *ret_listed || same_origin(origin, host);
}

enum auth_scope admission_token_scope(const struct auth *auth, const char *authorization,
				      bool *ret_given)
{
	size_t len = 0;
	const char *token = bearer(authorization, &len);

	*ret_given = token != NULL;
	return token ? auth_check(auth, token, len) : AUTH_NONE;
}

/* The client's rate: false (answered) when it is over. */
static bool client_rate(struct admission *ad, const struct api_settings *s,
			struct http_request *req, uint64_t now)
{
	socklen_t alen;
	const struct sockaddr *sa = http_request_client(req, &alen);
	uint8_t key[RATE_KEY_MAX] = {0};
	size_t klen = 0;
	uint64_t wait;

	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		klen = 4;
	} else if (sa->sa_family == AF_INET6) {
		/* A host has a whole /64 to pick addresses from. */
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);
		key[8] = 6;
		klen = 9;
	}
	wait = rate_limit_take(ad->clients, key, klen, s->client_rate, s->client_burst, now);
	if (!wait)
		return true;
	errors_reply_limited(req, API_ERATE, NULL, wait,
			     "more than %u requests a second from %s (bursts of %u)",
			     s->client_rate, http_request_client_name(req), s->client_burst);
	return false;
}

/* The token: false (answered) when it is missing, wrong or too small. */
static bool token_scope(const struct api_settings *s, struct http_request *req,
			enum auth_scope need)
{
	enum auth_scope have;
	bool given;
	char challenge[96];

	if (!s->auth || need == AUTH_NONE)
		return true;
	have = admission_token_scope(s->auth, http_request_header(req, "Authorization"), &given);
	if (have == AUTH_NONE) {
		if (given)
			errors_reply_denied(req, API_ENOAUTH,
					    "Bearer realm=\"kasad\", error=\"invalid_token\"",
					    "the token is not valid");
		else
			errors_reply_denied(req, API_ENOAUTH, "Bearer realm=\"kasad\"", NULL);
		return false;
	}
	if (have >= need)
		return true;
	snprintf(challenge, sizeof(challenge),
		 "Bearer realm=\"kasad\", error=\"insufficient_scope\", scope=\"%s\"",
		 auth_scope_name(need));
	errors_reply_denied(req, API_ESCOPE, challenge,
			    "this needs a token of scope %s (or more); this one is %s",
			    auth_scope_name(need), auth_scope_name(have));
	return false;
}

bool admission_admit(struct admission *ad, const struct api_settings *s, struct http_request *req,
		     enum auth_scope need, uint64_t now)
{
	const char *host = http_request_host(req);
	const char *origin = http_request_header(req, "Origin");
	bool listed;

	if (!host_allowed(ad, s, host)) {
		errors_reply(req, API_EHOST, NULL, NULL,
			     "Host '%.64s' is not one of kasad's names: add it to allowed_hosts",
			     host);
		return false;
	}
	if (s->n_cors_origins)
		http_request_add_header(req, "Vary", "Origin");
	if (origin) {
		if (!admission_origin_allowed(s, origin, host, &listed)) {
			errors_reply(req, API_EORIGIN, NULL, NULL,
				     "pages of %.96s may not call kasad: add it to cors_origins",
				     origin);
			return false;
		}
		if (listed) {
			http_request_add_header(req, "Access-Control-Allow-Origin", origin);
			if (http_request_method(req) == HTTP_OPTIONS &&
			    http_request_header(req, "Access-Control-Request-Method")) {
				static const char *const preflight[] = {
					"Access-Control-Allow-Methods",
					"GET, HEAD, POST, PUT, DELETE",
					"Access-Control-Allow-Headers",
					"Authorization, Content-Type",
					"Access-Control-Max-Age",
					"600",
					NULL,
				};

				http_reply(req, 204, NULL, NULL, 0, preflight);
				return false;
			}
			http_request_add_header(req, "Access-Control-Expose-Headers",
						"Retry-After, WWW-Authenticate");
		}
	}
	if (s->client_rate && !client_rate(ad, s, req, now))
		return false;
	if (http_request_query(req, "access_token") || http_request_query(req, "token")) {
		errors_reply(req, API_ETOKURL, NULL, NULL, NULL);
		return false;
	}
	return token_scope(s, req, need);
}
