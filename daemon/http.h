/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server: libmicrohttpd in external epoll mode inside our loop.
 * Only http*.c include microhttpd.h.  It knows HTTP and nothing of what it
 * serves: the bodies of the answers it gives on its own come from the layer
 * above (struct http_own_answers), and so does what is counted of answers
 * (http_on_answer()).
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

/* What is wrong with a request before any route sees it.  The first three
 * are answered once the body is read (a clean answer, not a reset); the
 * others at once, and their connection closes, since what follows the
 * head cannot be trusted to be what it seems (RFC 9112 6.1, 6.3). */
enum http_refusal {
	HTTP_REFUSE_NONE,
	HTTP_REFUSE_URL,     /* over url_max: 414 */
	HTTP_REFUSE_HEADERS, /* over header_max: 431 */
	HTTP_REFUSE_BODY,    /* over body_max (or its Content-Length says so): 413 */
	HTTP_REFUSE_FRAMING, /* Content-Length with Transfer-Encoding, two lengths, a
			      * malformed one, or white space in a header name: 400 */
	HTTP_REFUSE_CODING,  /* a Transfer-Encoding other than chunked: 501 */
	HTTP_REFUSE_HOST,    /* HTTP/1.1 without Host, or two of them: 400 */
	HTTP_REFUSE_PATH,    /* a NUL or an encoded '/' in the path: 400 */
};

/* Query arguments a request may have: a target with more is refused (414)
 * before libmicrohttpd parses them, and its connection closed.  The API
 * takes three at most; each one allowed costs every kept connection a
 * record of its pool, cleared at every request. */
#define HTTP_ARGUMENTS_MAX 64

typedef void (*http_handler_cb_t)(struct http_request *req, void *userdata);
typedef void (*http_abort_cb_t)(struct http_request *req, enum http_abort why, void *userdata);
/* An answer given, its status: for counting.  r is borrowed for the call. */
typedef void (*http_answer_cb_t)(const struct http_request *r, unsigned status, void *userdata);

/*
 * The answers the server gives without the handler, written by the layer
 * above (kasad's from its one error table, errors.c).  Borrowed: they must
 * outlive the server.  A NULL body is sent empty.
 */
struct http_own_answers {
	const char *content_type; /* of every body below */
	/* On the socket, and the connection closes: */
	const char *request_timeout;	/* 408: not arrived whole within request_deadline */
	const char *too_many_arguments; /* 414: over HTTP_ARGUMENTS_MAX query arguments */
	/* When an abort callback left its request unanswered (a bug): */
	const char *unanswered_timeout;	 /* 504: at the suspension's deadline */
	const char *unanswered_shutdown; /* 503: at shutdown */
};

struct http_options {
	int listen_fd;		     /* an inherited listening socket, or -1 */
	const struct sockaddr *addr; /* else bind this */
	socklen_t addrlen;
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned connection_timeout_s;
	size_t body_max;		/* larger bodies get 413 */
	size_t answer_memory_max;	/* large answers not yet sent, in all (see below) */
	size_t url_max;			/* the request target, query included */
	size_t header_max;		/* the header lines in all */
	uint64_t request_deadline_usec; /* a request's line, headers and body */
	uint64_t suspend_timeout_usec;	/* a suspended request's deadline */
	/* What it answers on its own (NULL: empty bodies); borrowed. */
	const struct http_own_answers *answers;
};

int http_new(struct loop *l, const struct http_options *o, http_handler_cb_t handler,
	     void *userdata, struct http_server **ret_server);
/* Accepts NULL. */
void http_free(struct http_server *s);

/*
 * Serve a connected socket as if it had been accepted from addr (tests and
 * fuzzing hand over one end of a socketpair).  fd is taken over: closed
 * by the server, even on failure.
 */
int http_add_connection(struct http_server *s, int fd, const struct sockaddr *addr,
			socklen_t addrlen);

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
/* Called for every answer as it is given (http_reply(), http_reply_static(),
 * http_reply_stream()), not for those written on the socket. */
void http_on_answer(struct http_server *s, http_answer_cb_t cb, void *userdata);

enum http_method http_request_method(const struct http_request *r);
/* The path without the query string. */
const char *http_request_path(const struct http_request *r);
/* A query argument; NULL when absent.  Borrowed. */
const char *http_request_query(const struct http_request *r, const char *key);
/* A request header (case-insensitive name); NULL when absent.  Borrowed. */
const char *http_request_header(const struct http_request *r, const char *name);
/* The host the request is for: an absolute-form target's, which RFC 9112
 * 3.2.2 puts before the Host header, else the Host header; NULL when
 * neither.  Borrowed. */
const char *http_request_host(const struct http_request *r);
/* The client's address (length 0 when unknown), and as text. */
const struct sockaddr *http_request_client(const struct http_request *r, socklen_t *ret_len);
/* Its address as text ("?" when not known), written on first use. */
const char *http_request_client_name(struct http_request *r);
/* The body, NUL-terminated; "" when none. */
const char *http_request_body(const struct http_request *r, size_t *ret_len);
/* What is wrong with the request, if anything: the handler answers that
 * (see enum http_refusal), and nothing else. */
enum http_refusal http_request_refusal(const struct http_request *r);

/* A header for the answer, whatever it will be (CORS, Vary); at most four.
 * name and value must stay valid until the answer is given. */
int http_request_add_header(struct http_request *r, const char *name, const char *value);

void http_request_on_abort(struct http_request *r, http_abort_cb_t cb, void *userdata);

/* The route template the path matched, for counting answers by route (a
 * string literal, or NULL: none matched). */
void http_request_set_route(struct http_request *r, const char *route);
/* What http_request_set_route() said; NULL until it is called. */
const char *http_request_route(const struct http_request *r);

/*
 * Answer.  body is taken over (free()d by the server), may be NULL with len
 * 0.  headers: NULL, or NULL-terminated name, value pairs; the answer says
 * "Cache-Control: no-store" unless they name a Cache-Control of their own.
 * Exactly once per request; the request must not be used afterwards,
 * unless it returns -ENOBUFS (see below): then the request still waits for
 * its answer.  0 otherwise.
 */
int http_reply(struct http_request *r, unsigned status, const char *content_type, char *body,
	       size_t len, const char *const *headers);
/*
 * Large answers that wait for slow readers are held in memory until they
 * are sent: past answer_memory_max bytes of them in all (64 MiB unless
 * told), http_reply() refuses one of HTTP_LARGE_ANSWER bytes or more with
 * -ENOBUFS (the body is freed; one is always let through when none is
 * held), and the caller answers 503 instead, which is small.
 */
#define HTTP_LARGE_ANSWER (64 * 1024)

/* Answer with a body that outlives the server (compiled in): not copied,
 * not counted in answer_memory_max.  Otherwise as http_reply(). */
void http_reply_static(struct http_request *r, unsigned status, const char *content_type,
		       const void *body, size_t len, const char *const *headers);

/*
 * A shared answer: one body, built once and given byte for byte to every
 * request that asks for it while its owner keeps it (a GET that many
 * clients repeat).  The answer says its Content-Type and "Cache-Control:
 * no-store"; libmicrohttpd counts the clients still reading it, so the
 * owner may drop it at any time.  content_type must outlive it (a literal);
 * body is taken over.  NULL when out of memory (body freed).
 */
struct http_shared;
struct http_shared *http_shared_new(const char *content_type, char *body, size_t len);
void http_shared_free(struct http_shared *sh);
/* Answer r with sh, as http_reply() would with a copy of its body (which
 * it makes where r's answer needs headers of its own). */
void http_reply_shared(struct http_request *r, unsigned status, const struct http_shared *sh);

/*
 * Streams: an answer whose body is written piece by piece for as long as the
 * client stays (Server-Sent Events).  The connection is suspended while
 * nothing waits to be sent, resumed by the next write, and watched for the
 * client leaving meanwhile.  At most buffer_max bytes wait: a client that
 * does not read fills it, and the writer decides (http_stream_end()).
 *
 * on_end is called exactly once, when the connection is done with the
 * stream for any reason (the body ended, the client left, an error, the
 * server stopping); the stream is freed after it returns.  http_abort_all()
 * ends every stream too.
 */
struct http_stream;
typedef void (*http_stream_cb_t)(struct http_stream *st, void *userdata);

struct http_stream_options {
	size_t buffer_max;	   /* bytes waiting to be sent, at most */
	http_stream_cb_t on_drain; /* all written has been handed to the socket; may be NULL */
	http_stream_cb_t on_end;
	void *userdata;
};

/* Answer r with a stream (as http_reply(), headers included); on failure
 * (-ENOMEM) r is not answered. */
int http_reply_stream(struct http_request *r, unsigned status, const char *content_type,
		      const char *const *headers, const struct http_stream_options *o,
		      struct http_stream **ret_stream);
/* Queue len bytes.  -ENOBUFS when they do not fit (nothing is queued),
 * -EPIPE once the stream is ending. */
int http_stream_write(struct http_stream *st, const void *data, size_t len);
/* Bytes waiting to be sent. */
size_t http_stream_queued(const struct http_stream *st);
/* End the body once what is queued has gone, or (drop) close the
 * connection now, dropping it. */
void http_stream_end(struct http_stream *st, bool drop);

#endif
