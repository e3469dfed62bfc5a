/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server: libmicrohttpd in external epoll mode inside our loop.
 * The only file that includes microhttpd.h is http.c.
 *
 * The handler is called once per request, when its body has arrived.  It
 * answers with http_reply(), at once or later: a request not answered when
 * the handler returns is suspended until it is.  A suspended request has a
 * deadline; when it passes (or the server shuts down) the abort callback
 * set with http_request_on_abort() must answer it, at once.
 */
#ifndef KASAD_HTTP_H
#define KASAD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct loop;
struct http_server;
struct http_request;

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_PATCH,
	HTTP_OPTIONS,
	HTTP_OTHER,
};

enum http_abort {
	HTTP_ABORT_TIMEOUT,  /* the suspension's deadline passed */
	HTTP_ABORT_SHUTDOWN, /* the server is stopping */
	HTTP_ABORT_GONE,     /* the client hung up: nobody reads an answer */
};

enum http_too_large {
	HTTP_TOO_LARGE_NONE,
	HTTP_TOO_LARGE_URL,	/* over url_max: 414 */
	HTTP_TOO_LARGE_HEADERS, /* over header_max: 431 */
	HTTP_TOO_LARGE_BODY,	/* over body_max: 413 */
};

typedef void (*http_handler_cb_t)(struct http_request *req, void *userdata);
typedef void (*http_abort_cb_t)(struct http_request *req, enum http_abort why, void *userdata);

struct http_options {
	int listen_fd;		     /* an inherited listening socket, or -1 */
	const struct sockaddr *addr; /* else bind this */
	socklen_t addrlen;
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned connection_timeout_s;
	size_t body_max;		/* larger bodies get 413 */
	size_t url_max;			/* the request target, query included */
	size_t header_max;		/* the header lines in all */
	uint64_t request_deadline_usec; /* a request's line, headers and body */
	uint64_t suspend_timeout_usec;	/* a suspended request's deadline */
};

int http_new(struct loop *l, const struct http_options *o, http_handler_cb_t handler,
	     void *userdata, struct http_server **ret_server);
/* Accepts NULL. */
void http_free(struct http_server *s);

/* For suspensions from now on (a reload may change the plugs' timeout). */
void http_set_suspend_timeout(struct http_server *s, uint64_t usec);

/* The listening socket's address. */
const struct sockaddr *http_local_sockaddr(const struct http_server *s);
/* "ADDR:PORT" (IPv6 in brackets) of the listening socket. */
int http_local_address(const struct http_server *s, char *buf, size_t len);

/* Stop accepting connections; answers from now on close their connection. */
void http_quiesce(struct http_server *s);
/* Abort every suspended request with why (their abort callbacks answer). */
void http_abort_all(struct http_server *s, enum http_abort why);
/* Requests begun and not yet done (answered and sent, or dropped). */
unsigned http_active(const struct http_server *s);
/* Called when, after http_quiesce(), no request is active any more. */
void http_on_idle(struct http_server *s, void (*cb)(void *userdata), void *userdata);

enum http_method http_request_method(const struct http_request *r);
/* The path without the query string. */
const char *http_request_path(const struct http_request *r);
/* A query argument; NULL when absent.  Borrowed. */
const char *http_request_query(const struct http_request *r, const char *key);
/* A request header (case-insensitive name); NULL when absent.  Borrowed. */
const char *http_request_header(const struct http_request *r, const char *name);
/* The client's address (length 0 when unknown), and as text. */
const struct sockaddr *http_request_client(const struct http_request *r, socklen_t *ret_len);
const char *http_request_client_name(const struct http_request *r);
/* The body, NUL-terminated; "" when none. */
const char *http_request_body(const struct http_request *r, size_t *ret_len);
/* Which cap the request went over, if any: the handler answers 414, 431 or
 * 413, and nothing else. */
enum http_too_large http_request_too_large(const struct http_request *r);

/* A header for the answer, whatever it will be (CORS, Vary); at most four.
 * name and value must stay valid until the answer is given. */
int http_request_add_header(struct http_request *r, const char *name, const char *value);

void http_request_on_abort(struct http_request *r, http_abort_cb_t cb, void *userdata);

/* The route template the path matched, for the metrics' request counts
 * (a string literal; none set: "unmatched"). */
void http_request_set_route(struct http_request *r, const char *route);

/*
 * Answer.  body is taken over (free()d by the server), may be NULL with len
 * 0.  headers: NULL, or NULL-terminated name, value pairs.  Exactly once per
 * request; the request must not be used afterwards.
 */
void http_reply(struct http_request *r, unsigned status, const char *content_type, char *body,
		size_t len, const char *const *headers);

#endif
