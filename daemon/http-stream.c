/* SPDX-License-Identifier: MIT */
/*
 * Streams: answers written piece by piece for as long as the client stays
 * (Server-Sent Events), suspended while nothing waits to be sent.
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

#include "http-private.h"
#include "log.h"
#include "loop.h"

/* --- Streams ---------------------------------------------------------------- */

static void stream_resume(struct http_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = false;
	http_conn_unwatch(st->hc);
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
		http_conn_watch(st->hc);
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
	st->hc = http_conn_get(r->conn);
	/* Chunked for HTTP/1.1; HTTP/1.0 clients read to the close. */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, NULL);
	if (!resp) {
		free(st);
		return -ENOMEM;
	}
	http_add_headers(r, resp, content_type, headers);
	if (st->fd >= 0) {
		setsockopt(st->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		setsockopt(st->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout,
			   sizeof(user_timeout));
	}
	list_insert_head(&s->streams, &st->node);
	r->stream = st;
	if (st->hc)
		st->hc->stream = st;
	r->response = resp;
	r->status = status;
	http_answered(r, status);
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

void http_streams_end_all(struct http_server *s)
{
	struct http_stream *st;

	list_foreach(st, &s->streams, node)
		http_stream_end(st, false);
}

/* The connection is done with the stream. */
void http_stream_free(struct http_stream *st)
{
	list_remove(&st->node);
	st->req->stream = NULL;
	if (st->o.on_end)
		st->o.on_end(st, st->o.userdata);
	if (st->hc)
		st->hc->stream = NULL;
	free(st->buf);
	free(st);
}
