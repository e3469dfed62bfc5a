/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd inside the loop: external epoll mode, its epoll descriptor
 * an I/O source, a timer that follows MHD_get_timeout(), and suspend/resume
 * for requests that wait on a plug.
 *
 * Known traps of libmicrohttpd 0.9.75, and what this file does about them:
 * - a response queued on the first call of the access handler loses
 *   keep-alive: responses are queued on the second call or later;
 * - connections never time out and one address may take them all unless
 *   told: both limits are set;
 * - a suspended connection never times out: each suspension has a deadline
 *   here;
 * - MHD_stop_daemon() with suspended connections is an error: everything is
 *   resumed first;
 * - its connection timeout counts idle time only, so a client that sends a
 *   byte now and then keeps a connection for ever: each request here must
 *   arrive whole within a deadline, or its socket is shut down;
 * - a client that hangs up while its request is suspended goes unnoticed:
 *   the socket of a suspended request is watched for the hang-up here;
 * - at its connection limit it takes its listening socket out of its epoll
 *   set and puts it back only when it next runs, which may be never once
 *   the last connection closed: the listening socket is ours, accepted
 *   from here and handed over with MHD_add_connection();
 * - out of descriptors, it retries accept() in a tight loop and logs each
 *   failure: ours keeps a spare descriptor to shed with, and its log lines
 *   are rate-limited;
 * - it accepts Content-Length beside Transfer-Encoding, two lengths, and
 *   white space before a header's colon (request smuggling behind a proxy),
 *   and a %00 or %2F in the path decoded before routing: each is refused
 *   here before any route sees the request;
 * - each header and query argument takes a record from the connection's
 *   pool, and a pool that runs out mid-request leaves the client waiting:
 *   the pool is sized for url_max and header_max worth of them.
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

#include "http.h"
#include "kasa.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "util.h"

/*
 * Each connection's memory pool: the request line, the headers and the
 * response headers live in it, and libmicrohttpd clears the whole of it
 * for every request on a kept connection (a memset that costs as much as
 * the rest of a cached GET at 200 KiB), so it is sized for this API's
 * requests rather than the library's 32 KiB default.  Beside the bytes of
 * the head, each header line and each query argument takes a record of its
 * own, and a pool that runs out answers 431 in HTML (headers) or nothing at
 * all (arguments).  So: room for a header line every 16 bytes of
 * header_max, and for HTTP_ARGUMENTS_MAX query arguments, which is checked
 * before libmicrohttpd parses them.
 */
#define HTTP_CONNECTION_MEMORY (16 * 1024)
#define HTTP_POOL_RECORD       64 /* a header record, rounded up */
#define HTTP_HEADER_AVERAGE    16
#define HTTP_ARGUMENTS_MAX     256
/* Room in the pool beside the request's head, for the response's headers. */
#define HTTP_POOL_SPARE	   (4 * 1024)
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
	struct http_conn *prev, *next;
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
	struct http_stream *prev, *next; /* in the server's list */
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
	struct http_request *prev, *next; /* in the suspended list */
	enum http_method method;
	const char *method_name; /* borrowed from libmicrohttpd for the request's life */
	char *path;
	const char *route; /* the template it matched, a literal; NULL: none */
	char *body;
	size_t body_len;
	size_t target_len; /* the request target as sent, query included */
	char *authority;   /* the host of an absolute-form target */
	enum http_refusal refusal;
	bool bad_path; /* the target as sent has %00, or %2F in its path */
	bool started;  /* the access handler has seen it (and counted it active) */
	bool dispatched;
	bool suspended;
	bool closing;	  /* its answer closes the connection */
	bool half_closed; /* the client shut down its sending side, and waits */
	bool gone;				   /* the connection ended before an answer */
	bool client_gone;			   /* the client hung up while it waited */
	size_t held; /* bytes of a large answer, counted in the server's held */
	const char *extra[2 * HTTP_EXTRA_HEADERS]; /* name, value: for the answer */
	unsigned n_extra;
	char client[INET6_ADDRSTRLEN];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct http_conn *hc; /* its connection's, NULL when untracked */
	struct MHD_Response *response;
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
	struct loop_source *deadline_timer;
	struct loop_source *kick; /* MHD_run() after a resume */
	http_handler_cb_t handler;
	void *userdata;
	size_t body_max, url_max, header_max;
	uint64_t suspend_timeout_usec;
	uint64_t request_deadline_usec;
	uint64_t idle_usec; /* the connection timeout */
	struct http_conn *conns;
	struct loop_source *conn_timer;
	bool conn_timer_armed;
	unsigned max_connections;
	bool dropping; /* a gone client's connection is being closed */
	struct http_request *suspended_head, *suspended_tail;
	struct http_stream *streams;
	unsigned active;
	bool quiescing;
	void (*idle_cb)(void *userdata);
	void *idle_userdata;
	struct sockaddr_storage local;
	socklen_t local_len;
};

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

const char *http_request_client_name(const struct http_request *r)
{
	return r->client;
}

enum http_refusal http_request_refusal(const struct http_request *r)
{
	return r->refusal;
}

const char *http_request_host(const struct http_request *r)
{
	return r->authority ? r->authority : http_request_header(r, MHD_HTTP_HEADER_HOST);
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
		*ret_len = r->body_len;
	return r->body ? r->body : "";
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

unsigned http_active(const struct http_server *s)
{
	return s->active;
}

void http_on_idle(struct http_server *s, void (*cb)(void *userdata), void *userdata)
{
	s->idle_cb = cb;
	s->idle_userdata = userdata;
}

/* --- The loop's side ------------------------------------------------------- */

static void update_timer(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(s->mhd, &ms) != MHD_YES) {
		loop_timer_set(s->timer, 0);
	} else if (ms == 0) {
		/* Work is ready now (a resumed connection's next request): run on the
		 * next iteration, not on a timer that may fire a millisecond late. */
		loop_timer_set(s->timer, 0);
		loop_defer_arm(s->kick);
	} else {
		loop_timer_set(s->timer, loop_now(s->loop) + (uint64_t)ms * USEC_PER_MSEC);
	}
}

static void run(struct http_server *s)
{
	MHD_run(s->mhd);
	update_timer(s);
}

static void on_io(struct loop_source *src, int fd, uint32_t revents, void *userdata)
{
	run(userdata);
}

/* Both the timer that follows MHD_get_timeout() and the kick after a resume. */
static void on_run(struct loop_source *src, uint64_t now, void *userdata)
{
	run(userdata);
}

/* --- Suspension ---------------------------------------------------------- */

static void conn_watch(struct http_conn *hc);
static void conn_unwatch(struct http_conn *hc);

static void suspended_unlink(struct http_request *r)
{
	struct http_server *s = r->srv;

	if (r->prev)
		r->prev->next = r->next;
	else
		s->suspended_head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		s->suspended_tail = r->prev;
	r->prev = r->next = NULL;
	r->suspended = false;
	if (r->hc) {
		r->hc->waiting = NULL;
		conn_unwatch(r->hc);
	}
}

static void arm_deadline(struct http_server *s)
{
	loop_timer_set(s->deadline_timer, s->suspended_head ? s->suspended_head->deadline : 0);
}

static void abort_request(struct http_request *r, enum http_abort why)
{
	static const char timeout_body[] =
		"{\"error\":\"timeout\",\"message\":\"no answer in time\"}";
	static const char shutdown_body[] =
		"{\"error\":\"shutting_down\",\"message\":\"kasad is stopping\"}";
	bool timeout = why == HTTP_ABORT_TIMEOUT;

	if (r->abort_cb)
		r->abort_cb(r, why, r->abort_userdata);
	if (r->suspended) {
		/* The handler left it unanswered: a bug, but the client still gets
		 * its answer rather than a connection that hangs. */
		log_error("%s %s: not answered on abort", r->method_name, r->path);
		http_reply(r, timeout ? 504 : 503, "application/json",
			   strdup(timeout ? timeout_body : shutdown_body),
			   timeout ? sizeof(timeout_body) - 1 : sizeof(shutdown_body) - 1, NULL);
	}
}

static void on_deadline(struct loop_source *src, uint64_t now, void *userdata)
{
	struct http_server *s = userdata;

	while (s->suspended_head && s->suspended_head->deadline <= now)
		abort_request(s->suspended_head, HTTP_ABORT_TIMEOUT);
	arm_deadline(s);
}

/*
 * The socket of a suspended request, edge-triggered.  An end of the stream
 * alone (EPOLLRDHUP) is a client that shut down its sending side: HTTP/1.0
 * scripts and `nc -N` do that once the request is out, and wait for the
 * answer, so the request goes on (a client that closed its socket looks
 * the same from here, and learns nothing from the answer it no longer
 * reads).  A reset or an error (EPOLLERR, EPOLLHUP) is a client gone: let
 * the handler let go of the request, and libmicrohttpd close the
 * connection.
 */
static void request_hangup(struct http_request *r, uint32_t revents)
{
	struct http_server *s = r->srv;

	if (!(revents & (EPOLLERR | EPOLLHUP))) {
		if (!r->half_closed)
			log_debug("%s %s %s: the client closed its sending side, still answering",
				  r->client, r->method_name, r->path);
		r->half_closed = true;
		return;
	}
	log_debug("%s %s %s: client gone, %.3f ms", r->client, r->method_name, r->path,
		  (double)(kasa_now_usec() - r->start) / USEC_PER_MSEC);
	r->gone = r->client_gone = true;
	suspended_unlink(r);
	arm_deadline(s);
	if (r->abort_cb)
		r->abort_cb(r, HTTP_ABORT_GONE, r->abort_userdata);
	MHD_resume_connection(r->conn);
	loop_defer_arm(s->kick);
}

static void streams_end_all(struct http_server *s);

void http_abort_all(struct http_server *s, enum http_abort why)
{
	while (s->suspended_head)
		abort_request(s->suspended_head, why);
	arm_deadline(s);
	streams_end_all(s);
}

/* --- Connections and their deadlines ----------------------------------------- */

static struct http_conn *conn_get(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void conn_set_deadline(struct http_server *s, struct http_conn *hc, uint64_t deadline)
{
	if (!hc)
		return;
	hc->deadline = deadline;
	if (deadline && !s->conn_timer_armed) {
		s->conn_timer_armed = true;
		loop_timer_set(s->conn_timer, loop_now(s->loop) + HTTP_DEADLINE_CHECK_USEC);
	}
}

/* The current request's first byte: request_deadline runs from now. */
static void conn_begin(struct http_server *s, struct http_conn *hc)
{
	if (!hc || hc->begun)
		return;
	hc->begun = true;
	conn_set_deadline(s, hc, loop_now(s->loop) + s->request_deadline_usec);
}

/* Between requests: the next one must begin within the idle timeout (or
 * libmicrohttpd closes the connection) and then arrive whole within the
 * deadline; until its first byte, the two together bound the wait. */
static void conn_idle(struct http_server *s, struct MHD_Connection *c)
{
	struct http_conn *hc = conn_get(c);

	if (!hc)
		return;
	hc->begun = false;
	hc->idle_since = loop_now(s->loop);
	conn_set_deadline(s, hc, hc->idle_since + s->idle_usec + s->request_deadline_usec);
}

/*
 * Has the next request begun (bytes came since the connection went idle)?
 * Then its deadline runs from then: the last check at the latest, when
 * none had come.
 */
static void conn_check_begun(struct http_server *s, struct http_conn *hc, uint64_t now)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uint64_t idle_ms = (now - hc->idle_since) / USEC_PER_MSEC, since;

	if (hc->begun || getsockopt(hc->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof(ti.tcpi_last_data_recv) ||
	    ti.tcpi_last_data_recv >= idle_ms)
		return;
	hc->begun = true;
	since = now > HTTP_DEADLINE_CHECK_USEC ? now - HTTP_DEADLINE_CHECK_USEC : 0;
	if (since < hc->idle_since)
		since = hc->idle_since;
	if (since + s->request_deadline_usec < hc->deadline)
		hc->deadline = since + s->request_deadline_usec;
}

static void request_hangup(struct http_request *r, uint32_t revents);

/* The client left, or shut down its sending side, while something waits. */
static void on_conn_event(struct loop_source *src, int fd, uint32_t revents, void *userdata)
{
	struct http_conn *hc = userdata;

	if (hc->waiting)
		request_hangup(hc->waiting, revents);
	else if (hc->stream && hc->stream->suspended)
		/* A stream's client has nothing more to send: it closed. */
		http_stream_end(hc->stream, true);
}

/* Watch while something waits: registered afresh, what the socket is now
 * (an end of stream that came before) is reported as a new edge. */
static void conn_watch(struct http_conn *hc)
{
	if (hc)
		loop_io_set(hc->watch, hc->fd, EPOLLRDHUP | EPOLLET);
}

/* libmicrohttpd has the socket again. */
static void conn_unwatch(struct http_conn *hc)
{
	if (hc)
		loop_io_set(hc->watch, -1, 0);
}

static void listen_resume(struct http_server *s);

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	struct http_conn *hc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		s->n_conns--;
		listen_resume(s);
		if (!hc)
			return;
		if (hc->prev)
			hc->prev->next = hc->next;
		else
			s->conns = hc->next;
		if (hc->next)
			hc->next->prev = hc->prev;
		loop_source_free(hc->watch);
		free(hc);
		*socket_context = NULL;
		return;
	}
	s->n_conns++;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	hc = calloc(1, sizeof(*hc));
	if (!hc || !ci) {
		free(hc); /* untracked: it still has the idle timeout */
		return;
	}
	hc->srv = s;
	hc->fd = ci->connect_fd;
	/* Without the watch, a client gone is noticed at the deadline. */
	loop_io_add(s->loop, -1, 0, on_conn_event, hc, &hc->watch);
	hc->next = s->conns;
	if (hc->next)
		hc->next->prev = hc;
	s->conns = hc;
	*socket_context = hc;
	hc->idle_since = loop_now(s->loop);
	conn_set_deadline(s, hc, hc->idle_since + s->idle_usec + s->request_deadline_usec);
}

/*
 * Answer on the socket itself and shut it down; libmicrohttpd then sees the
 * end of the stream and closes the connection.  For a request it has not
 * handed over yet: nothing has been sent for it, so these bytes come first.
 */
static void conn_refuse(struct http_conn *hc, const char *status, const char *body)
{
	char answer[512];
	int n = snprintf(answer, sizeof(answer),
			 "HTTP/1.1 %s\r\nConnection: close\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			 status, strlen(body), body);

	hc->deadline = 0;
	if (n > 0 && (size_t)n < sizeof(answer) && write(hc->fd, answer, (size_t)n) < 0) {
		/* The client is gone or not reading: just close. */
	}
	shutdown(hc->fd, SHUT_RDWR);
}

/* A request that has not arrived whole in time gets 408. */
static void on_conn_timer(struct loop_source *src, uint64_t now, void *userdata)
{
	struct http_server *s = userdata;
	bool pending = false;

	for (struct http_conn *hc = s->conns; hc; hc = hc->next) {
		if (!hc->deadline)
			continue;
		conn_check_begun(s, hc, now);
		if (hc->deadline > now) {
			pending = true;
			continue;
		}
		log_debug("connection %d: no whole request within %.1f s, closing", hc->fd,
			  (double)s->request_deadline_usec / USEC_PER_SEC);
		conn_refuse(hc, "408 Request Timeout",
			    "{\"error\":\"request_timeout\",\"message\":\"the request did not "
			    "arrive in time\"}\n");
	}
	s->conn_timer_armed = pending;
	if (pending)
		loop_timer_set(src, now + HTTP_DEADLINE_CHECK_USEC);
	/* libmicrohttpd learns of the shut-down sockets from its epoll set. */
}

/* --- Accepting -------------------------------------------------------------- */

/* May the server log one more line now?  A burst per window; the next line
 * after a window that dropped some says how many. */
static bool log_allowed(struct http_server *s)
{
	uint64_t now = loop_now(s->loop);

	if (now - s->log_window >= HTTP_LOG_WINDOW_USEC) {
		if (s->log_suppressed)
			log_info("http: %u more messages in %.0f s not logged", s->log_suppressed,
				 (double)(now - s->log_window) / USEC_PER_SEC);
		s->log_window = now;
		s->log_lines = s->log_suppressed = 0;
	}
	if (s->log_lines < HTTP_LOG_BURST) {
		s->log_lines++;
		return true;
	}
	s->log_suppressed++;
	return false;
}

static void listen_pause(struct http_server *s)
{
	loop_io_set(s->listen, -1, 0);
}

/* Connections wait in the kernel's backlog while they are at the limit, and
 * are taken as soon as one closes. */
static void listen_resume(struct http_server *s)
{
	if (s->listen_fd >= 0 && !s->quiescing && s->n_conns < s->max_connections)
		loop_io_set(s->listen, s->listen_fd, EPOLLIN);
}

static void on_accept_retry(struct loop_source *src, uint64_t now, void *userdata)
{
	struct http_server *s = userdata;

	if (s->spare_fd < 0)
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	listen_resume(s);
}

/*
 * Out of descriptors: the connection at the head of the backlog is taken
 * with the spare and closed at once, so that its client learns now rather
 * than at its time-out, and the listening socket does not stay readable
 * for ever.  With no spare left, stop listening for a moment instead.
 */
static void shed(struct http_server *s, int error)
{
	int c;

	if (s->spare_fd >= 0) {
		close(s->spare_fd);
		s->spare_fd = -1;
		c = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			close(c);
			s->shed++;
		}
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (log_allowed(s))
		log_warning("http: out of file descriptors (%s): %lu connections closed unanswered "
			    "so far; raise LimitNOFILE= or lower max_connections",
			    strerror(error), s->shed);
	if (s->spare_fd < 0) {
		listen_pause(s);
		loop_timer_set(s->accept_retry, loop_now(s->loop) + HTTP_ACCEPT_RETRY_USEC);
	}
}

/* An accepted connection, to libmicrohttpd.  Without the listening socket
 * it does not set TCP_NODELAY itself (an answer is written in one go, and
 * Nagle would hold the next one back for the client's delayed ACK). */
static bool take(struct http_server *s, int c, const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1;

	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* On failure (the per-address limit, no memory) libmicrohttpd closes
	 * the socket and says why through its logger. */
	return MHD_add_connection(s->mhd, c, (const struct sockaddr *)ss, len) == MHD_YES;
}

static void on_listen(struct loop_source *src, int fd, uint32_t revents, void *userdata)
{
	struct http_server *s = userdata;

	for (unsigned i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c;

		if (s->n_conns >= s->max_connections) {
			listen_pause(s);
			break;
		}
		c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			int e = errno;

			if (e == EINTR || e == ECONNABORTED)
				continue;
			if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
				shed(s, e);
				if (s->spare_fd < 0)
					break;
				continue;
			}
			if (e != EAGAIN && log_allowed(s))
				log_warning("http: accept: %s", strerror(e));
			break;
		}
		take(s, c, &ss, len);
	}
	update_timer(s);
}

/* --- Answers ------------------------------------------------------------- */

static void add_headers(struct http_request *r, struct MHD_Response *resp, const char *content_type,
			const char *const *headers)
{
	bool cache_control = false;

	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (; headers && headers[0] && headers[1]; headers += 2) {
		MHD_add_response_header(resp, headers[0], headers[1]);
		if (strcasecmp(headers[0], MHD_HTTP_HEADER_CACHE_CONTROL) == 0)
			cache_control = true;
	}
	if (!cache_control)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	for (unsigned i = 0; i < r->n_extra; i += 2)
		MHD_add_response_header(resp, r->extra[i], r->extra[i + 1]);
	if (r->srv->quiescing || r->closing)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

/* resp (NULL: out of memory) is the answer: for the access handler to queue,
 * now or once the suspended request is resumed. */
static void reply_with(struct http_request *r, unsigned status, const char *content_type,
		       struct MHD_Response *resp, const char *const *headers)
{
	if (!resp) {
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		status = 500;
		if (!resp)
			return; /* out of memory: the connection is dropped */
		add_headers(r, resp, NULL, NULL);
	} else {
		add_headers(r, resp, content_type, headers);
	}
	r->response = resp;
	r->status = status;
	metrics_count_http(r->route, r->method, status);
	if (r->suspended) {
		suspended_unlink(r);
		arm_deadline(r->srv);
		MHD_resume_connection(r->conn);
		/* In external polling mode a resumed connection moves only when
		 * MHD_run() is next called; nothing on the wire would wake it. */
		loop_defer_arm(r->srv->kick);
	}
}

int http_reply(struct http_request *r, unsigned status, const char *content_type, char *body,
	       size_t len, const char *const *headers)
{
	struct http_server *s = r->srv;
	struct MHD_Response *resp;

	if (r->response || r->gone) {
		free(body);
		return 0;
	}
	if (len >= HTTP_LARGE_ANSWER) {
		/* Each large answer is held until its client has read it: a
		 * bound on them all, or clients that ask and never read would
		 * hold the daemon's memory. */
		if (s->held && (s->held >= s->held_max || len > s->held_max - s->held)) {
			free(body);
			if (log_allowed(s))
				log_warning("http: %s %s: %zu bytes of answers wait for their "
					    "clients, refusing %zu more (answer_memory_max)",
					    r->method_name, r->path, s->held, len);
			return -ENOBUFS;
		}
		r->held = len;
		s->held += len;
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(body);
	reply_with(r, status, content_type, resp, headers);
	return 0;
}

void http_reply_static(struct http_request *r, unsigned status, const char *content_type,
		       const void *body, size_t len, const char *const *headers)
{
	if (r->response || r->gone)
		return;
	reply_with(r, status, content_type,
		   MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT),
		   headers);
}

static enum MHD_Result queue(struct http_request *r)
{
	enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->response);

	MHD_destroy_response(r->response);
	r->response = NULL;
	return ret;
}

/* --- Streams ---------------------------------------------------------------- */

static void stream_resume(struct http_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = false;
	conn_unwatch(st->hc);
	MHD_resume_connection(st->req->conn);
	loop_defer_arm(st->req->srv->kick);
}

/* libmicrohttpd wants more of the body: what is queued, the end, or nothing
 * yet (suspend until a write). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *st = cls;
	size_t n;

	if (st->drop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->len == 0 && !st->ending && st->o.on_drain)
		st->o.on_drain(st, st->o.userdata);
	if (st->drop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->len == 0) {
		if (st->ending)
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* Suspended, libmicrohttpd does not see the client leave: the
		 * loop watches for that meanwhile. */
		st->suspended = true;
		MHD_suspend_connection(st->req->conn);
		conn_watch(st->hc);
		return 0;
	}
	n = st->len < max ? st->len : max;
	memcpy(buf, st->buf + st->head, n);
	st->head += n;
	st->len -= n;
	if (st->len == 0)
		st->head = 0;
	return (ssize_t)n;
}


int http_reply_stream(struct http_request *r, unsigned status, const char *content_type,
		      const char *const *headers, const struct http_stream_options *o,
		      struct http_stream **ret_stream)
{
	struct http_server *s = r->srv;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct http_stream *st;
	struct MHD_Response *resp;
	int sndbuf = HTTP_STREAM_SNDBUF, user_timeout = HTTP_STREAM_USER_TIMEOUT_MS;

	if (r->response || r->gone || r->suspended)
		return -EINVAL; /* streams are answered at once, from the handler */
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->req = r;
	st->o = *o;
	st->fd = ci ? ci->connect_fd : -1;
	st->hc = conn_get(r->conn);
	/* Chunked for HTTP/1.1; HTTP/1.0 clients read to the close. */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, NULL);
	if (!resp) {
		free(st);
		return -ENOMEM;
	}
	add_headers(r, resp, content_type, headers);
	if (st->fd >= 0) {
		setsockopt(st->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		setsockopt(st->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout,
			   sizeof(user_timeout));
	}
	st->next = s->streams;
	if (st->next)
		st->next->prev = st;
	s->streams = st;
	r->stream = st;
	if (st->hc)
		st->hc->stream = st;
	r->response = resp;
	r->status = status;
	metrics_count_http(r->route, r->method, status);
	*ret_stream = st;
	return 0;
}

int http_stream_write(struct http_stream *st, const void *data, size_t len)
{
	if (st->ending || st->drop)
		return -EPIPE;
	if (len > st->o.buffer_max - st->len)
		return -ENOBUFS;
	if (st->head + st->len + len > st->cap) {
		/* Move what waits to the front; grow only when that is not enough. */
		if (st->head) {
			memmove(st->buf, st->buf + st->head, st->len);
			st->head = 0;
		}
		if (st->len + len > st->cap) {
			size_t cap = st->cap ? st->cap : 4096;
			char *b;

			while (cap < st->len + len)
				cap *= 2;
			if (cap > st->o.buffer_max)
				cap = st->o.buffer_max;
			b = realloc(st->buf, cap);
			if (!b)
				return -ENOBUFS;
			st->buf = b;
			st->cap = cap;
		}
	}
	memcpy(st->buf + st->head + st->len, data, len);
	st->len += len;
	stream_resume(st);
	return 0;
}

size_t http_stream_queued(const struct http_stream *st)
{
	return st->len;
}

void http_stream_end(struct http_stream *st, bool drop)
{
	st->ending = true;
	if (drop && !st->drop) {
		st->drop = true;
		st->len = 0;
		free(st->buf);
		st->buf = NULL;
		st->head = st->cap = 0;
		/* A client that does not read leaves libmicrohttpd waiting for the
		 * socket, and the reader is not called again: a short timeout
		 * closes the connection instead. */
		if (!st->suspended)
			MHD_set_connection_option(st->req->conn, MHD_CONNECTION_OPTION_TIMEOUT,
						  (unsigned int)1);
		loop_defer_arm(st->req->srv->kick);
	}
	stream_resume(st);
}

static void streams_end_all(struct http_server *s)
{
	for (struct http_stream *st = s->streams; st; st = st->next)
		http_stream_end(st, false);
}

/* The connection is done with the stream. */
static void stream_free(struct http_stream *st)
{
	struct http_server *s = st->req->srv;

	if (st->prev)
		st->prev->next = st->next;
	else
		s->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	st->req->stream = NULL;
	if (st->o.on_end)
		st->o.on_end(st, st->o.userdata);
	if (st->hc)
		st->hc->stream = NULL;
	free(st->buf);
	free(st);
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
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_server *s = cls;
	struct http_request *r = calloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;

	/* The first byte, if its watch did not see it (bytes read in one go
	 * with the answer before). */
	conn_begin(s, hc);
	if (hc && arguments(uri) > HTTP_ARGUMENTS_MAX) {
		/* Before libmicrohttpd parses them into a pool without room. */
		log_debug("connection %d: more than %u query arguments, closing", hc->fd,
			  HTTP_ARGUMENTS_MAX);
		conn_refuse(hc, "414 URI Too Long",
			    "{\"error\":\"uri_too_long\",\"message\":\"more than 256 query "
			    "arguments\"}\n");
	}
	if (!r)
		return NULL;
	r->srv = s;
	r->conn = c;
	r->start = kasa_now_usec();
	r->target_len = strlen(uri);
	r->bad_path = bad_target(uri);
	return r;
}

static void client_address(struct http_request *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	socklen_t len = 0;

	snprintf(r->client, sizeof(r->client), "?");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET) {
		len = sizeof(struct sockaddr_in);
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
			  r->client, sizeof(r->client));
	} else if (ci->client_addr->sa_family == AF_INET6) {
		len = sizeof(struct sockaddr_in6);
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
			  r->client, sizeof(r->client));
	}
	memcpy(&r->addr, ci->client_addr, len);
	r->addrlen = len;
}

/* What the head says about its own framing and host, gathered in one pass
 * over its header lines. */
struct head {
	size_t size; /* "Key: value\r\n" of every line */
	unsigned hosts, lengths, codings;
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
		h->hosts++;
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
	size_t scheme = strncasecmp(url, "http://", 7) == 0	 ? 7
			: strncasecmp(url, "https://", 8) == 0 ? 8
							       : 0;
	const char *path;

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
static int request_start(struct http_server *s, struct http_request *r, const char *url,
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

static void take_body(struct http_request *r, const char *data, size_t len)
{
	char *b;

	if (r->refusal)
		return;
	if (len > r->srv->body_max - r->body_len) {
		/* Past the cap: keep reading (and dropping) so the answer can be a
		 * clean 413 rather than a reset. */
		r->refusal = HTTP_REFUSE_BODY;
		free(r->body);
		r->body = NULL;
		r->body_len = 0;
		return;
	}
	b = realloc(r->body, r->body_len + len + 1);
	if (!b) {
		r->refusal = HTTP_REFUSE_BODY;
		return;
	}
	memcpy(b + r->body_len, data, len);
	r->body_len += len;
	b[r->body_len] = '\0';
	r->body = b;
}

static void watch_hangup(struct http_server *s, struct http_request *r)
{
	/* Without the watch the request still ends at its deadline. */
	r->hc = conn_get(r->conn);
	if (!r->hc)
		return;
	r->hc->waiting = r;
	conn_watch(r->hc);
}

/* The request is in (or refused): the handler answers now or later. */
static enum MHD_Result dispatch(struct http_server *s, struct http_request *r,
				struct MHD_Connection *c)
{
	r->dispatched = true;
	conn_set_deadline(s, conn_get(c), 0); /* arrived whole: the plug's deadline now */
	s->handler(r, s->userdata);
	if (r->response)
		return queue(r);
	r->suspended = true;
	r->deadline = loop_now(s->loop) + s->suspend_timeout_usec;
	r->prev = s->suspended_tail;
	if (s->suspended_tail)
		s->suspended_tail->next = r;
	else
		s->suspended_head = r;
	s->suspended_tail = r;
	if (s->suspended_head == r)
		arm_deadline(s);
	watch_hangup(s, r);
	MHD_suspend_connection(c);
	return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_request *r = *con_cls;

	if (!r)
		return MHD_NO; /* out of memory at the request line */
	if (!r->started) {
		if (request_start(s, r, url, method, version) < 0)
			return MHD_NO;
		s->active++;
		/* Refused at once: answered on this first call, which closes
		 * the connection after the answer (as it must). */
		return r->closing ? dispatch(s, r, c) : MHD_YES;
	}
	if (r->client_gone) {
		/* MHD_NO closes the connection, and libmicrohttpd logs that as
		 * an "internal error" of ours: it is not one. */
		s->dropping = true;
		return MHD_NO;
	}
	if (r->response)
		return queue(r); /* resumed with its answer */
	if (*upload_data_size) {
		take_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->dispatched)
		return MHD_YES;
	return dispatch(s, r, c);
}

/* One debug line per request: who, what, the status and the time taken. */
static void log_access(const struct http_request *r, bool sent)
{
	log_debug("%s %s %s: %u%s, %.3f ms", r->client, r->method_name, r->path, r->status,
		  sent ? "" : " (not sent)", (double)(kasa_now_usec() - r->start) / USEC_PER_MSEC);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_request *r = *con_cls;

	if (!r)
		return;
	*con_cls = NULL;
	conn_idle(s, c);
	if (!r->started) {
		/* The connection ended between the request line and the end of
		 * the headers. */
		free(r);
		return;
	}
	if (r->suspended) {
		/* Ended while it waited: let the handler let go of it. */
		r->gone = true;
		suspended_unlink(r);
		arm_deadline(s);
		if (r->abort_cb)
			r->abort_cb(r, HTTP_ABORT_SHUTDOWN, r->abort_userdata);
	}
	if (r->response)
		MHD_destroy_response(r->response);
	if (r->stream)
		stream_free(r->stream);
	if (log_get_level() >= LOG_DEBUG && !r->client_gone)
		log_access(r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	s->held -= r->held;
	free(r->body);
	free(r->path);
	free(r->authority);
	free(r);
	s->active--;
	if (s->quiescing && s->active == 0 && s->idle_cb)
		s->idle_cb(s->idle_userdata);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (s->dropping && strstr(buf, "Application reported internal error")) {
		s->dropping = false;
		return;
	}
	/* What a client can make it say (a refused connection, a malformed
	 * request) must not flood the log. */
	if (!log_allowed(s))
		return;
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_info("http: %s", buf);
}

/* --- Life ---------------------------------------------------------------- */

static int listen_on(const struct sockaddr *addr, socklen_t len)
{
	int fd, one = 1;

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, addr, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int http_new(struct loop *l, const struct http_options *o, http_handler_cb_t handler,
	     void *userdata, struct http_server **ret_server)
{
	struct http_server *s = calloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	int fd = o->listen_fd, r;
	size_t pool;

	if (!s)
		return -ENOMEM;
	s->loop = l;
	s->handler = handler;
	s->userdata = userdata;
	s->body_max = o->body_max;
	s->url_max = o->url_max ? o->url_max : 2048;
	s->header_max = o->header_max ? o->header_max : 8192;
	s->request_deadline_usec =
		o->request_deadline_usec ? o->request_deadline_usec : 10 * USEC_PER_SEC;
	s->idle_usec = (uint64_t)o->connection_timeout_s * USEC_PER_SEC;
	s->max_connections = o->max_connections ? o->max_connections : 256;
	s->suspend_timeout_usec = o->suspend_timeout_usec;
	s->held_max = o->answer_memory_max ? o->answer_memory_max : 64 * 1024 * 1024;
	s->spare_fd = -1;
	if (fd < 0) {
		fd = listen_on(o->addr, o->addrlen);
		if (fd < 0) {
			free(s);
			return fd;
		}
	} else {
		/* Ours to accept from without blocking the loop. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	s->listen_fd = fd;
	/* The head's bytes, a record for each of the most headers and query
	 * arguments the caps let through, and the answer's headers. */
	pool = s->url_max + s->header_max + HTTP_POOL_SPARE +
	       HTTP_POOL_RECORD * (HTTP_ARGUMENTS_MAX + s->header_max / HTTP_HEADER_AVERAGE);
	if (pool < HTTP_CONNECTION_MEMORY)
		pool = HTTP_CONNECTION_MEMORY;
	s->local_len = sizeof(s->local);
	if (getsockname(fd, (struct sockaddr *)&s->local, &s->local_len) < 0)
		s->local_len = 0;

	/* The logger first, or libmicrohttpd complains through its own. */
	s->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			MHD_USE_NO_LISTEN_SOCKET,
		0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o->max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_URI_LOG_CALLBACK,
		on_request_line, s, MHD_OPTION_END);
	if (!s->mhd) {
		close(fd);
		free(s);
		return -EINVAL;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		r = -EINVAL;
		goto fail;
	}
	r = loop_io_add(l, info->epoll_fd, EPOLLIN, on_io, s, &s->io);
	if (r >= 0)
		r = loop_io_add(l, fd, EPOLLIN, on_listen, s, &s->listen);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_accept_retry, s, &s->accept_retry);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_run, s, &s->timer);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_deadline, s, &s->deadline_timer);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_conn_timer, s, &s->conn_timer);
	if (r >= 0)
		r = loop_defer_add(l, on_run, s, &s->kick);
	if (r < 0)
		goto fail;
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	update_timer(s);
	*ret_server = s;
	return 0;
fail:
	http_free(s);
	return r;
}

int http_add_connection(struct http_server *s, int fd, const struct sockaddr *addr,
			socklen_t addrlen)
{
	if (MHD_add_connection(s->mhd, (MHD_socket)fd, addr, addrlen) != MHD_YES)
		return errno > 0 ? -errno : -EIO;
	/* It may have work already (a request written before it was added). */
	update_timer(s);
	return 0;
}

void http_set_suspend_timeout(struct http_server *s, uint64_t usec)
{
	s->suspend_timeout_usec = usec;
}

const struct sockaddr *http_local_sockaddr(const struct http_server *s)
{
	return (const struct sockaddr *)&s->local;
}

int http_local_address(const struct http_server *s, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (s->local.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&s->local;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (s->local.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&s->local;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

void http_quiesce(struct http_server *s)
{
	unsigned drained = 0;

	if (s->quiescing)
		return;
	s->quiescing = true;
	listen_pause(s);
	if (s->listen_fd >= 0) {
		/* Closing a listening socket resets the connections still in its
		 * backlog: take them first, so that their requests get an answer
		 * (503) rather than a reset. */
		for (unsigned i = 0; i < s->max_connections; i++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			int c = accept4(s->listen_fd, (struct sockaddr *)&ss, &len,
					SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (c < 0)
				break;
			if (take(s, c, &ss, len))
				drained++;
		}
		close(s->listen_fd);
		s->listen_fd = -1;
	}
	if (drained) {
		/* Idle once their requests are answered, or at the caller's own
		 * deadline for a connection that never sends one. */
		log_debug("stopping: %u connections taken from the backlog", drained);
		loop_defer_arm(s->kick);
		return;
	}
	if (s->active == 0 && s->idle_cb)
		s->idle_cb(s->idle_userdata);
}

void http_free(struct http_server *s)
{
	if (!s)
		return;
	if (s->mhd) {
		http_abort_all(s, HTTP_ABORT_SHUTDOWN);
		MHD_stop_daemon(s->mhd);
	}
	loop_source_free(s->io);
	loop_source_free(s->listen);
	loop_source_free(s->accept_retry);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	loop_source_free(s->timer);
	loop_source_free(s->deadline_timer);
	loop_source_free(s->conn_timer);
	loop_source_free(s->kick);
	free(s);
}
