/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd inside the loop: external epoll mode, its epoll descriptor
 * an I/O source, a timer that follows MHD_get_timeout(), and suspend/resume
 * for requests that wait on a plug.
 *
 * Known traps of libmicrohttpd 0.9.75, and what this file does about them:
 * - a response queued on the first call of the access handler loses
 *   keep-alive: responses are queued on the second call or later;
 * - connections never time out and one address may http_take them all unless
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

#include "common/clock.h"
#include "http-private.h"
#include "log.h"
#include "loop.h"

/* --- The loop's side ------------------------------------------------------- */

/*
 * The timer at libmicrohttpd's next timeout.  A timeout later than the one
 * set leaves the timer as it is: when it fires, MHD_run() finds nothing due
 * and the next one is set.  Every request on a kept connection moves the
 * idle timeout, and moving the timer each time cost a cached GET 1 %.
 */
static void timer_at(struct http_server *s, uint64_t at)
{
	if (at && s->timer_at && s->timer_at <= at)
		return;
	if (loop_timer_set(s->timer, at) >= 0)
		s->timer_at = at;
}

void http_update_timer(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(s->mhd, &ms) != MHD_YES) {
		timer_at(s, 0);
	} else if (ms == 0) {
		/* Work is ready now (a resumed connection's next request): run on the
		 * next iteration, not on a timer that may fire a millisecond late. */
		timer_at(s, 0);
		loop_defer_arm(s->kick);
	} else {
		timer_at(s, loop_now(s->loop) + (uint64_t)ms * USEC_PER_MSEC);
	}
}

static void run(struct http_server *s)
{
	MHD_run(s->mhd);
	http_update_timer(s);
}

static void on_io(struct loop_source *src, int fd, uint32_t revents, void *userdata)
{
	run(userdata);
}

/* Both the timer that follows MHD_get_timeout() and the kick after a resume. */
static void on_run(struct loop_source *src, uint64_t now, void *userdata)
{
	struct http_server *s = userdata;

	if (src == s->timer)
		s->timer_at = 0; /* fired: one-shot */
	run(s);
}

/* --- Suspension ---------------------------------------------------------- */

static void suspended_unlink(struct http_request *r)
{
	list_remove(&r->node);
	r->suspended = false;
	if (r->hc) {
		r->hc->waiting = NULL;
		http_conn_unwatch(r->hc);
	}
}

static void arm_deadline(struct http_server *s)
{
	struct http_request *first = list_first(&s->suspended, struct http_request, node);

	loop_timer_set(s->deadline_timer, first ? first->deadline : 0);
}

static void abort_request(struct http_request *r, enum http_abort why)
{
	const struct http_own_answers *a = &r->srv->answers;
	bool timeout = why == HTTP_ABORT_TIMEOUT;
	const char *body = timeout ? a->unanswered_timeout : a->unanswered_shutdown;

	if (r->abort_cb)
		r->abort_cb(r, why, r->abort_userdata);
	if (r->suspended) {
		/* The handler left it unanswered: a bug, but the client still gets
		 * its answer rather than a connection that hangs. */
		log_error("%s %s: not answered on abort", r->method_name, r->path);
		http_reply_static(r, timeout ? 504 : 503, body ? a->content_type : NULL, body,
				  body ? strlen(body) : 0, NULL);
	}
}

static void on_deadline(struct loop_source *src, uint64_t now, void *userdata)
{
	struct http_server *s = userdata;
	struct http_request *r;

	while ((r = list_first(&s->suspended, struct http_request, node)) && r->deadline <= now)
		abort_request(r, HTTP_ABORT_TIMEOUT);
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
void http_request_hangup(struct http_request *r, uint32_t revents)
{
	struct http_server *s = r->srv;

	if (!(revents & (EPOLLERR | EPOLLHUP))) {
		if (!r->half_closed)
			log_debug("%s %s %s: the client closed its sending side, still answering",
				  http_request_client_name(r), r->method_name, r->path);
		r->half_closed = true;
		return;
	}
	log_debug("%s %s %s: client gone, %.3f ms", http_request_client_name(r), r->method_name,
		  r->path,
		  (double)(loop_clock() - r->start) / USEC_PER_MSEC);
	r->gone = r->client_gone = true;
	suspended_unlink(r);
	arm_deadline(s);
	if (r->abort_cb)
		r->abort_cb(r, HTTP_ABORT_GONE, r->abort_userdata);
	MHD_resume_connection(r->conn);
	loop_defer_arm(s->kick);
}

void http_abort_all(struct http_server *s, enum http_abort why)
{
	struct http_request *r;

	while ((r = list_first(&s->suspended, struct http_request, node)))
		abort_request(r, why);
	arm_deadline(s);
	http_streams_end_all(s);
}

/* --- Answers ------------------------------------------------------------- */

void http_add_headers(struct http_request *r, struct MHD_Response *resp, const char *content_type,
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

void http_answered(struct http_request *r, unsigned status)
{
	struct http_server *s = r->srv;

	if (s->answer_cb)
		s->answer_cb(r, status, s->answer_userdata);
}

/* resp, its headers added, is the answer: for the access handler to queue,
 * now or once the suspended request is resumed. */
static void answer_with(struct http_request *r, unsigned status, struct MHD_Response *resp)
{
	r->response = resp;
	r->status = status;
	http_answered(r, status);
	if (r->suspended) {
		suspended_unlink(r);
		arm_deadline(r->srv);
		MHD_resume_connection(r->conn);
		/* In external polling mode a resumed connection moves only when
		 * MHD_run() is next called; nothing on the wire would wake it. */
		loop_defer_arm(r->srv->kick);
	}
}

/* resp (NULL: out of memory) is the answer, headers to be added. */
static void reply_with(struct http_request *r, unsigned status, const char *content_type,
		       struct MHD_Response *resp, const char *const *headers)
{
	if (!resp) {
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		status = 500;
		if (!resp)
			return; /* out of memory: the connection is dropped */
		http_add_headers(r, resp, NULL, NULL);
	} else {
		http_add_headers(r, resp, content_type, headers);
	}
	answer_with(r, status, resp);
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
			if (http_log_allowed(s))
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

struct http_shared {
	struct MHD_Response *resp; /* the owner's reference */
	const char *content_type;
	const char *body; /* resp's */
	size_t len;
};

struct http_shared *http_shared_new(const char *content_type, char *body, size_t len)
{
	struct http_shared *sh = malloc(sizeof(*sh));

	if (!sh || !(sh->resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE))) {
		free(sh);
		free(body);
		return NULL;
	}
	if (MHD_add_response_header(sh->resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
	    MHD_add_response_header(sh->resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES) {
		MHD_destroy_response(sh->resp);
		free(sh);
		return NULL;
	}
	sh->content_type = content_type;
	sh->body = body;
	sh->len = len;
	return sh;
}

void http_shared_free(struct http_shared *sh)
{
	if (!sh)
		return;
	MHD_destroy_response(sh->resp); /* freed once no client reads it */
	free(sh);
}

void http_reply_shared(struct http_request *r, unsigned status, const struct http_shared *sh)
{
	if (r->response || r->gone)
		return;
	/* The shared answer is queued before the handler returns: a
	 * suspended request's waits for its resume, by when the owner may
	 * have dropped it.  Headers of the request's own need an answer of
	 * its own too. */
	if (r->suspended || r->n_extra || r->srv->quiescing || r->closing) {
		reply_with(r, status, sh->content_type,
			   MHD_create_response_from_buffer(sh->len, (void *)sh->body,
							   MHD_RESPMEM_MUST_COPY),
			   NULL);
		return;
	}
	r->shared = true;
	answer_with(r, status, sh->resp);
}

static enum MHD_Result queue(struct http_request *r)
{
	enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->response);

	/* libmicrohttpd holds its own reference while it sends. */
	if (!r->shared)
		MHD_destroy_response(r->response);
	r->response = NULL;
	return ret;
}

static void watch_hangup(struct http_server *s, struct http_request *r)
{
	/* Without the watch the request still ends at its deadline. */
	r->hc = http_conn_get(r->conn);
	if (!r->hc)
		return;
	r->hc->waiting = r;
	http_conn_watch(r->hc);
}

/* The request is in (or refused): the handler answers now or later. */
static enum MHD_Result dispatch(struct http_server *s, struct http_request *r,
				struct MHD_Connection *c)
{
	r->dispatched = true;
	http_conn_set_deadline(s, http_conn_get(c), 0); /* arrived whole: the plug's deadline now */
	s->handler(r, s->userdata);
	if (r->response)
		return queue(r);
	r->suspended = true;
	r->deadline = loop_now(s->loop) + s->suspend_timeout_usec;
	/* Arrival order: deadline order while the timeout stays the same. */
	list_insert_tail(&s->suspended, &r->node);
	if (list_first(&s->suspended, struct http_request, node) == r)
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
		if (http_request_start(s, r, url, method, version) < 0)
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
		http_take_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->dispatched)
		return MHD_YES;
	return dispatch(s, r, c);
}

/* One debug line per request: who, what, the status and the time taken. */
static void log_access(struct http_request *r, bool sent)
{
	if (log_get_level() < LOG_DEBUG)
		return;
	log_debug("%s %s %s: %u%s, %.3f ms", http_request_client_name(r), r->method_name, r->path,
		  r->status, sent ? "" : " (not sent)",
		  (double)(loop_clock() - r->start) / USEC_PER_MSEC);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_request *r = *con_cls;

	if (!r)
		return;
	*con_cls = NULL;
	http_conn_idle(s, c);
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
	if (r->response && !r->shared)
		MHD_destroy_response(r->response);
	if (r->stream)
		http_stream_free(r->stream);
	if (log_get_level() >= LOG_DEBUG && !r->client_gone)
		log_access(r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	s->held -= r->held;
	strbuf_free(&r->body);
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
	if (!http_log_allowed(s))
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
	list_head_init(&s->conns);
	list_head_init(&s->suspended);
	list_head_init(&s->streams);
	s->loop = l;
	s->handler = handler;
	s->userdata = userdata;
	if (o->answers)
		s->answers = *o->answers;
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
		s, MHD_OPTION_NOTIFY_CONNECTION, http_on_connection, s, MHD_OPTION_URI_LOG_CALLBACK,
		http_on_request_line, s, MHD_OPTION_END);
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
		r = loop_io_add(l, fd, EPOLLIN, http_on_listen, s, &s->listen);
	if (r >= 0)
		r = loop_timer_add(l, 0, http_on_accept_retry, s, &s->accept_retry);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_run, s, &s->timer);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_deadline, s, &s->deadline_timer);
	if (r >= 0)
		r = loop_timer_add(l, 0, http_on_conn_timer, s, &s->conn_timer);
	if (r >= 0)
		r = loop_defer_add(l, on_run, s, &s->kick);
	if (r < 0)
		goto fail;
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	http_update_timer(s);
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
	http_update_timer(s);
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
	http_listen_pause(s);
	if (s->listen_fd >= 0) {
		/* Closing a listening socket resets the connections still in its
		 * backlog: http_take them first, so that their requests get an answer
		 * (503) rather than a reset. */
		for (unsigned i = 0; i < s->max_connections; i++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			int c = accept4(s->listen_fd, (struct sockaddr *)&ss, &len,
					SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (c < 0)
				break;
			if (http_take(s, c, &ss, len))
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
