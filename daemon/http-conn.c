/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server's connections: each one's deadline for its request (from
 * the request's first byte), the watch on its socket while something waits
 * suspended, and accepting them from our own listening socket, within
 * max_connections and the descriptors there are.
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
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "http-private.h"
#include "log.h"
#include "loop.h"

/* --- Connections and their deadlines ----------------------------------------- */

struct http_conn *http_conn_get(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void http_conn_set_deadline(struct http_server *s, struct http_conn *hc, uint64_t deadline)
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
void http_conn_begin(struct http_server *s, struct http_conn *hc)
{
	if (!hc || hc->begun)
		return;
	hc->begun = true;
	http_conn_set_deadline(s, hc, loop_now(s->loop) + s->request_deadline_usec);
}

/* Between requests: the next one must begin within the idle timeout (or
 * libmicrohttpd closes the connection) and then arrive whole within the
 * deadline; until its first byte, the two together bound the wait. */
void http_conn_idle(struct http_server *s, struct MHD_Connection *c)
{
	struct http_conn *hc = http_conn_get(c);

	if (!hc)
		return;
	hc->begun = false;
	hc->idle_since = loop_now(s->loop);
	http_conn_set_deadline(s, hc, hc->idle_since + s->idle_usec + s->request_deadline_usec);
}

/*
 * The kernel's time since data last came counts in its clock ticks (up to
 * 10 ms): data that came a tick or two before the connection went idle
 * (the last request's) may look as if it came after.  Only data this much
 * later counts as the next request's.
 */
#define HTTP_BEGUN_MARGIN_MS 50

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

	if (hc->begun || idle_ms < HTTP_BEGUN_MARGIN_MS ||
	    getsockopt(hc->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof(ti.tcpi_last_data_recv) ||
	    ti.tcpi_last_data_recv + HTTP_BEGUN_MARGIN_MS >= idle_ms)
		return;
	hc->begun = true;
	since = now > HTTP_DEADLINE_CHECK_USEC ? now - HTTP_DEADLINE_CHECK_USEC : 0;
	if (since < hc->idle_since)
		since = hc->idle_since;
	if (since + s->request_deadline_usec < hc->deadline)
		hc->deadline = since + s->request_deadline_usec;
}

/* The client left, or shut down its sending side, while something waits. */
static void on_conn_event(struct loop_source *src, int fd, uint32_t revents, void *userdata)
{
	struct http_conn *hc = userdata;

	if (hc->waiting)
		http_request_hangup(hc->waiting, revents);
	else if (hc->stream && hc->stream->suspended)
		/* A stream's client has nothing more to send: it closed. */
		http_stream_end(hc->stream, true);
}

/* Watch while something waits: registered afresh, what the socket is now
 * (an end of stream that came before) is reported as a new edge. */
void http_conn_watch(struct http_conn *hc)
{
	if (hc)
		loop_io_set(hc->watch, hc->fd, EPOLLRDHUP | EPOLLET);
}

/* libmicrohttpd has the socket again. */
void http_conn_unwatch(struct http_conn *hc)
{
	if (hc)
		loop_io_set(hc->watch, -1, 0);
}

void http_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	struct http_conn *hc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		s->n_conns--;
		http_listen_resume(s);
		if (!hc)
			return;
		list_remove(&hc->node);
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
	list_insert_head(&s->conns, &hc->node);
	*socket_context = hc;
	hc->idle_since = loop_now(s->loop);
	http_conn_set_deadline(s, hc, hc->idle_since + s->idle_usec + s->request_deadline_usec);
}

/*
 * Answer on the socket itself and shut it down; libmicrohttpd then sees the
 * end of the stream and closes the connection.  For a request it has not
 * handed over yet: nothing has been sent for it, so these bytes come first.
 * body is one of the server's own answers (NULL: none).
 */
void http_conn_refuse(struct http_conn *hc, const char *status, const char *body)
{
	const char *type = hc->srv->answers.content_type;
	size_t len = body ? strlen(body) : 0;
	char head[256];
	int n;

	if (len && type)
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %s\r\nConnection: close\r\nContent-Type: %s\r\n"
			     "Content-Length: %zu\r\n\r\n",
			     status, type, len);
	else
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %s\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
			     status, len);
	hc->deadline = 0;
	if (n > 0 && (size_t)n < sizeof(head)) {
		struct iovec iov[] = {{head, (size_t)n}, {(void *)body, len}};

		if (writev(hc->fd, iov, len ? 2 : 1) < 0) {
			/* The client is gone or not reading: just close. */
		}
	}
	shutdown(hc->fd, SHUT_RDWR);
}

/* A request that has not arrived whole in time gets 408. */
void http_on_conn_timer(struct loop_source *src, uint64_t now, void *userdata)
{
	struct http_server *s = userdata;
	struct http_conn *hc;
	bool pending = false;

	list_foreach(hc, &s->conns, node) {
		if (!hc->deadline)
			continue;
		conn_check_begun(s, hc, now);
		if (hc->deadline > now) {
			pending = true;
			continue;
		}
		log_debug("connection %d: no whole request within %.1f s, closing", hc->fd,
			  (double)s->request_deadline_usec / USEC_PER_SEC);
		http_conn_refuse(hc, "408 Request Timeout", s->answers.request_timeout);
	}
	s->conn_timer_armed = pending;
	if (pending)
		loop_timer_set(src, now + HTTP_DEADLINE_CHECK_USEC);
	/* libmicrohttpd learns of the shut-down sockets from its epoll set. */
}

/* --- Accepting -------------------------------------------------------------- */

/* May the server log one more line now?  A burst per window; the next line
 * after a window that dropped some says how many. */
bool http_log_allowed(struct http_server *s)
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

void http_listen_pause(struct http_server *s)
{
	loop_io_set(s->listen, -1, 0);
}

/* Connections wait in the kernel's backlog while they are at the limit, and
 * are taken as soon as one closes. */
void http_listen_resume(struct http_server *s)
{
	if (s->listen_fd >= 0 && !s->quiescing && s->n_conns < s->max_connections)
		loop_io_set(s->listen, s->listen_fd, EPOLLIN);
}

void http_on_accept_retry(struct loop_source *src, uint64_t now, void *userdata)
{
	struct http_server *s = userdata;

	if (s->spare_fd < 0)
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	http_listen_resume(s);
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
	if (http_log_allowed(s))
		log_warning("http: out of file descriptors (%s): %lu connections closed unanswered "
			    "so far; raise LimitNOFILE= or lower max_connections",
			    strerror(error), s->shed);
	if (s->spare_fd < 0) {
		http_listen_pause(s);
		loop_timer_set(s->accept_retry, loop_now(s->loop) + HTTP_ACCEPT_RETRY_USEC);
	}
}

/* An accepted connection, to libmicrohttpd.  Without the listening socket
 * it does not set TCP_NODELAY itself (an answer is written in one go, and
 * Nagle would hold the next one back for the client's delayed ACK). */
bool http_take(struct http_server *s, int c, const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1;

	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* On failure (the per-address limit, no memory) libmicrohttpd closes
	 * the socket and says why through its logger. */
	return MHD_add_connection(s->mhd, c, (const struct sockaddr *)ss, len) == MHD_YES;
}

void http_on_listen(struct loop_source *src, int fd, uint32_t revents, void *userdata)
{
	struct http_server *s = userdata;

	for (unsigned i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c;

		if (s->n_conns >= s->max_connections) {
			http_listen_pause(s);
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
			if (e != EAGAIN && http_log_allowed(s))
				log_warning("http: accept: %s", strerror(e));
			break;
		}
		http_take(s, c, &ss, len);
	}
	http_update_timer(s);
}
