/* SPDX-License-Identifier: MIT */
/*
 * What a request is, and whether it is in bounds: the target as sent, the
 * head's framing and Host (RFC 9112), the caps, the body; and the
 * accessors the handler reads it through.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/macro.h"
#include "http-private.h"
#include "log.h"
#include "loop.h"

static const struct {
	const char *name;
	enum http_method method;
} methods[] = {
	{"GET", HTTP_GET},	   {"HEAD", HTTP_HEAD},	    {"POST", HTTP_POST},
	{"PUT", HTTP_PUT},	   {"DELETE", HTTP_DELETE}, {"PATCH", HTTP_PATCH},
	{"OPTIONS", HTTP_OPTIONS},
};

enum http_method http_request_method(const struct http_request *r)
{
	return r->method;
}

const char *http_request_header(const struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const struct sockaddr *http_request_client(const struct http_request *r, socklen_t *ret_len)
{
	*ret_len = r->addrlen;
	return (const struct sockaddr *)&r->addr;
}

int http_request_add_header(struct http_request *r, const char *name, const char *value)
{
	if (r->n_extra == ARRAY_SIZE(r->extra))
		return -ENOBUFS;
	r->extra[r->n_extra++] = name;
	r->extra[r->n_extra++] = value;
	return 0;
}

const char *http_request_client_name(struct http_request *r)
{
	/* Written when first asked for (a log line, a refusal): two printf
	 * calls a request that nothing reads cost a cached GET 5 %. */
	if (r->client[0])
		return r->client;
	snprintf(r->client, sizeof(r->client), "?");
	if (r->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&r->addr)->sin_addr, r->client,
			  sizeof(r->client));
	else if (r->addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&r->addr)->sin6_addr, r->client,
			  sizeof(r->client));
	return r->client;
}

enum http_refusal http_request_refusal(const struct http_request *r)
{
	return r->refusal;
}

const char *http_request_host(const struct http_request *r)
{
	return r->authority ? r->authority : r->host;
}

const char *http_request_path(const struct http_request *r)
{
	return r->path;
}

const char *http_request_query(const struct http_request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_request_body(const struct http_request *r, size_t *ret_len)
{
	if (ret_len)
		*ret_len = r->body.len;
	return r->body.s ? r->body.s : "";
}

void http_request_on_abort(struct http_request *r, http_abort_cb_t cb, void *userdata)
{
	r->abort_cb = cb;
	r->abort_userdata = userdata;
}

void http_request_set_route(struct http_request *r, const char *route)
{
	r->route = route;
}

const char *http_request_route(const struct http_request *r)
{
	return r->route;
}

unsigned http_active(const struct http_server *s)
{
	return s->active;
}

void http_on_idle(struct http_server *s, void (*cb)(void *userdata), void *userdata)
{
	s->idle_cb = cb;
	s->idle_userdata = userdata;
}

void http_on_answer(struct http_server *s, http_answer_cb_t cb, void *userdata)
{
	s->answer_cb = cb;
	s->answer_userdata = userdata;
}

/* --- libmicrohttpd's callbacks -------------------------------------------- */

/*
 * The target as sent, before libmicrohttpd decodes it: a %00 would cut the
 * path short, and a %2F in the path would be a '/' to the routes but not
 * to a proxy in front that allows or denies by path.
 */
static bool bad_target(const char *uri)
{
	size_t path = strcspn(uri, "?");

	for (const char *p = uri; (p = strchr(p, '%')); p++) {
		if (p[1] == '0' && p[2] == '0')
			return true;
		if ((size_t)(p - uri) < path && p[1] == '2' && (p[2] == 'f' || p[2] == 'F'))
			return true;
	}
	return false;
}

/* How many query arguments libmicrohttpd will make of the target. */
static unsigned arguments(const char *uri)
{
	const char *q = strchr(uri, '?');
	unsigned n;

	if (!q || !q[1])
		return 0;
	for (n = 1; (q = strchr(q + 1, '&')); n++)
		;
	return n;
}

/* libmicrohttpd's URI log callback: the request line has arrived.  Its
 * return value becomes the request's *con_cls. */
void *http_on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_server *s = cls;
	struct http_request *r = calloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;

	/* The first byte, if its watch did not see it (bytes read in one go
	 * with the answer before). */
	http_conn_begin(s, hc);
	if (hc && arguments(uri) > HTTP_ARGUMENTS_MAX) {
		/* Before libmicrohttpd parses them into a pool without room. */
		log_debug("connection %d: more than %u query arguments, closing", hc->fd,
			  HTTP_ARGUMENTS_MAX);
		http_conn_refuse(hc, "414 URI Too Long", s->answers.too_many_arguments);
	}
	if (!r)
		return NULL;
	r->srv = s;
	r->conn = c;
	r->body = (struct strbuf)STRBUF_INIT(s->body_max);
	r->start = loop_clock();
	r->target_len = strlen(uri);
	r->bad_path = bad_target(uri);
	return r;
}

static void client_address(struct http_request *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	socklen_t len = 0;

	r->client[0] = '\0'; /* http_request_client_name() writes it */
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		len = sizeof(struct sockaddr_in);
	else if (ci->client_addr->sa_family == AF_INET6)
		len = sizeof(struct sockaddr_in6);
	memcpy(&r->addr, ci->client_addr, len);
	r->addrlen = len;
}

/* What the head says about its own framing and host, gathered in one pass
 * over its header lines. */
struct head {
	size_t size; /* "Key: value\r\n" of every line */
	unsigned hosts, lengths, codings;
	const char *host; /* the first Host */
	bool bad_name, bad_length, continue_expected;
	uint64_t length;
	char coding[64]; /* the Transfer-Encoding lines, joined with "," */
};

/* A header name is a token (RFC 9110 5.1, 5.6.2): no white space, nothing
 * that a proxy in front might read another way. */
static bool is_token(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && !strchr("!#$%&'*+-.^_`|~", *k))
			return false;
	return true;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct head *h = cls;

	value = value ? value : "";
	h->size += strlen(key) + strlen(value) + 4;
	if (!is_token(key)) {
		h->bad_name = true;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		if (!h->hosts++)
			h->host = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		char *end;

		h->lengths++;
		errno = 0;
		h->length = strtoull(value, &end, 10);
		/* 1*DIGIT: no sign, no list, nothing after. */
		if (!isdigit((unsigned char)value[0]) || *end || errno)
			h->bad_length = true;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		size_t n = strlen(h->coding);

		h->codings++;
		snprintf(h->coding + n, sizeof(h->coding) - n, "%s%s", n ? "," : "", value);
	} else if (strcasecmp(key, MHD_HTTP_HEADER_EXPECT) == 0) {
		h->continue_expected = strcasecmp(value, "100-continue") == 0;
	}
	return MHD_YES;
}

/*
 * What is wrong with the request's head, worst first.  Framing that a
 * proxy in front could read another way is refused at once, with the
 * connection (RFC 9112 6.1, 6.3); so is a body announced over body_max
 * whose client waits for 100 Continue before sending it.  The rest is
 * answered once the body is read.
 */
static enum http_refusal check_head(struct http_server *s, struct http_request *r,
				    const char *version)
{
	struct head h = {0};

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_header, &h);
	r->host = h.host;
	if (h.bad_name || h.bad_length || h.lengths > 1 || (h.codings && h.lengths) ||
	    (h.codings && strcasecmp(version, MHD_HTTP_VERSION_1_1) != 0)) {
		r->closing = true;
		return HTTP_REFUSE_FRAMING;
	}
	if (h.codings && strcasecmp(h.coding, "chunked") != 0) {
		r->closing = true;
		return HTTP_REFUSE_CODING;
	}
	if (h.hosts > 1 || (h.hosts == 0 && strcasecmp(version, MHD_HTTP_VERSION_1_1) == 0))
		return HTTP_REFUSE_HOST;
	if (r->bad_path)
		return HTTP_REFUSE_PATH;
	if (r->target_len > s->url_max)
		return HTTP_REFUSE_URL;
	if (h.size > s->header_max)
		return HTTP_REFUSE_HEADERS;
	if (h.lengths && h.length > s->body_max) {
		/* Without 100-continue the body is on its way: read (and drop)
		 * it, for a clean answer rather than a reset. */
		r->closing = h.continue_expected;
		return HTTP_REFUSE_BODY;
	}
	return HTTP_REFUSE_NONE;
}

/* An absolute-form target ("http://host/path"): the path, and the host to
 * check in place of Host's. */
static int split_absolute(struct http_request *r, const char *url)
{
	size_t scheme;
	const char *path;

	if (url[0] == '/')
		return 0; /* the usual origin-form */
	scheme = strncasecmp(url, "http://", 7) == 0    ? 7
		 : strncasecmp(url, "https://", 8) == 0 ? 8
							: 0;
	if (!scheme)
		return 0;
	path = url + scheme + strcspn(url + scheme, "/");
	r->authority = strndup(url + scheme, (size_t)(path - url) - scheme);
	free(r->path);
	r->path = strdup(*path ? path : "/");
	return r->authority && r->path ? 0 : -ENOMEM;
}

/* The headers have arrived: what the request is, and whether it is in
 * bounds. */
int http_request_start(struct http_server *s, struct http_request *r, const char *url,
		       const char *method, const char *version)
{
	r->path = strdup(url);
	if (!r->path || split_absolute(r, url) < 0)
		return -ENOMEM;
	r->started = true;
	r->method = HTTP_OTHER;
	r->method_name = method;
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (streq(methods[i].name, method))
			r->method = methods[i].method;
	client_address(r);
	r->refusal = check_head(s, r, version);
	return 0;
}

void http_take_body(struct http_request *r, const char *data, size_t len)
{
	if (r->refusal)
		return;
	if (strbuf_append(&r->body, data, len) < 0) {
		/* Past the cap (or out of memory): keep reading (and dropping) so
		 * the answer can be a clean 413 rather than a reset. */
		r->refusal = HTTP_REFUSE_BODY;
		strbuf_free(&r->body);
	}
}
