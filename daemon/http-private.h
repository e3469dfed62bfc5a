/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server's insides, shared by http.c (life, answers, suspension,
 * libmicrohttpd's request callbacks), http-conn.c (connections, their
 * deadlines, accepting), http-request.c (what a request is, and whether
 * it is in bounds) and http-stream.c (answers written piece by piece).
 * Nothing outside those files includes it.
 */
#ifndef KASAD_HTTP_PRIVATE_H
#define KASAD_HTTP_PRIVATE_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/list.h"
#include "common/strbuf.h"
#include "http.h"

struct loop;
struct loop_source;

/*
 * Each connection's memory pool: the request line, the headers and the
 * response headers live in it, and libmicrohttpd clears the whole of it
 * for every request on a kept connection (a memset that costs as much as
 * the rest of a cached GET at 64 KiB), so it is sized for this API's
 * requests, about the library's 32 KiB default with the default caps.
 * Beside the bytes of the head, each header line and each query argument
 * takes a record of its own, and a pool that runs out answers 431 in HTML
 * (headers) or nothing at all (arguments).  So: room for a header line
 * every 32 bytes of header_max (real clients' lines are longer), and for
 * HTTP_ARGUMENTS_MAX (http.h) query arguments, which is checked before
 * libmicrohttpd parses them.
 */
#define HTTP_CONNECTION_MEMORY (16 * 1024)
#define HTTP_POOL_RECORD       64 /* a header record, rounded up */
#define HTTP_HEADER_AVERAGE    32
/* Room in the pool beside the request's head, for the response's headers
 * (kasad's add about 300 bytes). */
#define HTTP_POOL_SPARE	   (2 * 1024)
#define HTTP_EXTRA_HEADERS 4
/* How often connections are checked against their deadlines. */
#define HTTP_DEADLINE_CHECK_USEC (250 * USEC_PER_MSEC)
/* Connections taken from the backlog in one go, so that a flood of them
 * cannot starve the rest of the loop. */
#define HTTP_ACCEPT_BATCH 64
/* Out of descriptors with no spare to shed with: listen again after this. */
#define HTTP_ACCEPT_RETRY_USEC (250 * USEC_PER_MSEC)
/* What libmicrohttpd and the accept loop may log: a burst of lines per
 * window, then a count of what was left out. */
#define HTTP_LOG_BURST	     5
#define HTTP_LOG_WINDOW_USEC (10 * USEC_PER_SEC)

/*
 * A connection: its socket, and the time its current request must have
 * arrived by (0 while a request is being answered).  That deadline runs
 * from the request's first byte: a client that sends a byte a second is cut
 * at request_deadline.  The first byte is seen by the deadline check (the
 * socket's time since data last came, against the time since the
 * connection went idle), so it costs nothing per request.
 *
 * Its watch (edge-triggered, registered while a request or stream waits,
 * suspended, and libmicrohttpd does not look at the socket) sees the client
 * leave meanwhile.
 */
struct http_conn {
	struct list_node node; /* in the server's conns */
	struct http_server *srv;
	int fd;
	uint64_t deadline;
	uint64_t idle_since;
	bool begun; /* the current request's first byte has come */
	struct loop_source *watch;
	struct http_request *waiting; /* suspended on it */
	struct http_stream *stream;   /* its answer */
};

/*
 * A stream's socket: a small send buffer, so that the kernel does not hold
 * megabytes for a client that does not read (the stream's own buffer is
 * the limit that counts), and a bound on unacknowledged data, so that a
 * client that vanished without a word is noticed at the next write rather
 * than after TCP's quarter of an hour.
 */
#define HTTP_STREAM_SNDBUF	    (64 * 1024)
#define HTTP_STREAM_USER_TIMEOUT_MS (60 * 1000)

struct http_stream {
	struct http_request *req;
	struct list_node node; /* in the server's streams */
	struct http_stream_options o;
	struct http_conn *hc; /* its connection's, NULL when untracked */
	int fd;
	char *buf;
	size_t head, len, cap; /* the queue is buf[head .. head + len) */
	bool suspended;
	bool ending;
	bool drop;
};

struct http_request {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct list_node node; /* in the server's suspended list, while suspended */
	enum http_method method;
	const char *method_name; /* borrowed from libmicrohttpd for the request's life */
	char *path;
	const char *route;  /* the template it matched, a literal; NULL: none */
	struct strbuf body; /* capped at body_max */
	size_t target_len;  /* the request target as sent, query included */
	char *authority;    /* the host of an absolute-form target */
	const char *host;   /* the Host header's value (libmicrohttpd's), or NULL */
	enum http_refusal refusal;
	bool bad_path; /* the target as sent has %00, or %2F in its path */
	bool started;  /* the access handler has seen it (and counted it active) */
	bool dispatched;
	bool suspended;
	bool closing;	  /* its answer closes the connection */
	bool half_closed; /* the client shut down its sending side, and waits */
	bool gone;	  /* the connection ended before an answer */
	bool client_gone; /* the client hung up while it waited */
	size_t held;	  /* bytes of a large answer, counted in the server's held */
	const char *extra[2 * HTTP_EXTRA_HEADERS]; /* name, value: for the answer */
	unsigned n_extra;
	char client[INET6_ADDRSTRLEN];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct http_conn *hc; /* its connection's, NULL when untracked */
	struct MHD_Response *response;
	bool shared; /* response is a struct http_shared's: not ours to destroy */
	unsigned status;
	uint64_t start; /* for the access log */
	uint64_t deadline;
	http_abort_cb_t abort_cb;
	void *abort_userdata;
	struct http_stream *stream; /* when the answer is one */
};

struct http_server {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	int listen_fd;
	struct loop_source *listen; /* off while connections are at the limit */
	struct loop_source *accept_retry;
	int spare_fd; /* closed to accept and shed a connection when out of them */
	unsigned n_conns;
	unsigned long shed;
	size_t held; /* bytes of large answers not yet sent */
	size_t held_max;
	uint64_t log_window;
	unsigned log_lines, log_suppressed;
	struct loop_source *io;
	struct loop_source *timer;
	uint64_t timer_at; /* what it is set to; 0: disarmed */
	struct loop_source *deadline_timer;
	struct loop_source *kick; /* MHD_run() after a resume */
	http_handler_cb_t handler;
	void *userdata;
	struct http_own_answers answers;
	http_answer_cb_t answer_cb;
	void *answer_userdata;
	size_t body_max, url_max, header_max;
	uint64_t suspend_timeout_usec;
	uint64_t request_deadline_usec;
	uint64_t idle_usec;	/* the connection timeout */
	struct list_head conns; /* the tracked ones */
	struct loop_source *conn_timer;
	bool conn_timer_armed;
	unsigned max_connections;
	bool dropping;		    /* a gone client's connection is being closed */
	struct list_head suspended; /* in arrival order; on_deadline() looks at the first */
	struct list_head streams;
	unsigned active;
	bool quiescing;
	void (*idle_cb)(void *userdata);
	void *idle_userdata;
	struct sockaddr_storage local;
	socklen_t local_len;
};

/* http.c */
void http_update_timer(struct http_server *s);
void http_request_hangup(struct http_request *r, uint32_t revents);
void http_add_headers(struct http_request *r, struct MHD_Response *resp, const char *content_type,
		      const char *const *headers);
void http_answered(struct http_request *r, unsigned status);

/* http-conn.c: connections, their deadlines and watches, and accepting */
struct http_conn *http_conn_get(struct MHD_Connection *c);
void http_conn_set_deadline(struct http_server *s, struct http_conn *hc, uint64_t deadline);
void http_conn_begin(struct http_server *s, struct http_conn *hc);
void http_conn_idle(struct http_server *s, struct MHD_Connection *c);
void http_conn_watch(struct http_conn *hc);
void http_conn_unwatch(struct http_conn *hc);
void http_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe);
void http_on_conn_timer(struct loop_source *src, uint64_t now, void *userdata);
void http_conn_refuse(struct http_conn *hc, const char *status, const char *body);
bool http_log_allowed(struct http_server *s);
void http_listen_pause(struct http_server *s);
void http_listen_resume(struct http_server *s);
bool http_take(struct http_server *s, int c, const struct sockaddr_storage *ss, socklen_t len);
void http_on_listen(struct loop_source *src, int fd, uint32_t revents, void *userdata);
void http_on_accept_retry(struct loop_source *src, uint64_t now, void *userdata);

/* http-request.c: what a request is, and whether it is in bounds */
void *http_on_request_line(void *cls, const char *uri, struct MHD_Connection *c);
int http_request_start(struct http_server *s, struct http_request *r, const char *url,
		       const char *method, const char *version);
void http_take_body(struct http_request *r, const char *data, size_t len);

/* http-stream.c */
void http_streams_end_all(struct http_server *s);
void http_stream_free(struct http_stream *st);

#endif
