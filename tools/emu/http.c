/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd inside the emulator's loop, for the devices that speak
 * KLAP: one daemon in external epoll mode for all of them, with no
 * listening socket of its own (net.c accepts on each device's port and
 * hands the connection over), its epoll descriptor a watch of the loop and
 * a timer that follows MHD_get_timeout().  The loop is the emulator's one
 * thread, so the callbacks below run inside MHD_run() on it and touch the
 * devices freely.
 *
 * An answer that must wait (delay=, a paced body, a held connection) is a
 * suspended connection, resumed from a timer of the loop or when the
 * client leaves.  libmicrohttpd 0.9.75's traps, and what this file does:
 * - a response queued on the first call of the access handler loses
 *   keep-alive: answers are queued on the last call, the body read;
 * - a suspended connection never times out and does not see its client
 *   leave: a held one watches its socket here;
 * - MHD_stop_daemon() with suspended connections is an error: every
 *   connection is dropped and resumed, and the daemon run once, first;
 * - MHD_NO from a callback makes it log an "internal error": its log is
 *   shown only under -v.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/macro.h"
#include "emu.h"
#include "fault.h"
#include "http.h"
#include "loop.h"
#include "sock.h"

/* An oversize answer announces this much. */
#define OVERSIZE_LENGTH 0xFFFFFFFFu
#define OVERSIZE_SENT	64
/* Connections over all devices: each device keeps its own EMU_CONNS_MAX. */
#define CONNECTION_LIMIT (EMU_DEVICES_MAX * EMU_CONNS_MAX)

enum hconn_state {
	HC_IDLE,  /* between requests: the idle timer may run */
	HC_BUSY,  /* a request is being read or answered */
	HC_DELAY, /* suspended: the answer waits out delay= */
	HC_PACE,  /* suspended: the next segment of a paced body waits */
	HC_HOLD,  /* suspended for ever: blackhole, or an oversize answer's silence */
};

struct hbody;
struct hreq;

/* A connection libmicrohttpd holds (its socket context). */
struct hconn {
	struct emu_http_site *site;
	struct list_node node; /* in site->conns */
	struct MHD_Connection *conn;
	int fd;
	char peer[64];
	enum hconn_state state;
	bool suspended;
	bool drop;		/* close at the next call that can */
	struct emu_timer timer; /* idle, delay, pace */
	struct emu_watch watch; /* the socket, while held: the client leaving */
	struct hbody *body;	/* the answer's body being served, if by the reader */
};

/* One request (its con_cls). */
struct hreq {
	struct hconn *hc;
	const char *method, *path;
	uint8_t *body;
	size_t len, cap;
	bool too_big;
	bool handled;
	struct emu_http_answer answer;
	struct emu_http_plan plan;
};

/* The body of an answer that libmicrohttpd asks for piece by piece. */
struct hbody {
	struct hconn *hc; /* NULL once the connection is gone */
	enum emu_http_shape shape;
	uint8_t *data;
	size_t len;
	size_t avail; /* served before the end: TRUNCATE and OVERSIZE stop there */
	unsigned chunk_min, chunk_max, interval_ms;
	bool ready; /* PACED: the next segment may go */
};

static struct MHD_Daemon *mhd;
static struct emu_watch mhd_watch = {.fd = -1};
static struct emu_timer mhd_timer;
/* The site of the connection MHD_add_connection() is adding. */
static struct emu_http_site *adding;
static const char *adding_peer;

/* --- The loop's side ----------------------------------------------------------- */

static void mhd_run(void)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (!mhd)
		return;
	MHD_run(mhd);
	if (MHD_get_timeout(mhd, &ms) == MHD_YES)
		loop_timer_arm(&mhd_timer, monotonic_usec() + (uint64_t)ms * USEC_PER_MSEC);
	else
		loop_timer_cancel(&mhd_timer);
}

static void mhd_io(struct emu_watch *w, uint32_t events)
{
	mhd_run();
}

static void mhd_tick(struct emu_timer *t)
{
	mhd_run();
}

/* A resumed connection moves only when MHD_run() next runs: soon. */
static void kick(void)
{
	loop_timer_arm(&mhd_timer, monotonic_usec());
}

static void hc_suspend(struct hconn *hc, enum hconn_state state)
{
	hc->state = state;
	if (!hc->suspended) {
		MHD_suspend_connection(hc->conn);
		hc->suspended = true;
	}
}

static void hc_unwatch(struct hconn *hc)
{
	if (hc->watch.fd >= 0) {
		loop_del(&hc->watch);
		hc->watch.fd = -1;
	}
}

static void hc_resume(struct hconn *hc)
{
	hc_unwatch(hc);
	loop_timer_cancel(&hc->timer);
	if (hc->suspended) {
		hc->suspended = false;
		MHD_resume_connection(hc->conn);
		kick();
	}
	if (hc->state != HC_IDLE)
		hc->state = HC_BUSY;
}

/* Close hc as soon as libmicrohttpd calls back, or sees its socket shut. */
static void hc_drop(struct hconn *hc)
{
	hc->drop = true;
	if (hc->suspended) {
		hc_resume(hc);
		return;
	}
	/* Idle, or being written: libmicrohttpd sees the end of the stream. */
	shutdown(hc->fd, SHUT_RDWR);
	loop_timer_cancel(&hc->timer);
	kick();
}

/* The client left (or shut its side) while its connection was held. */
static void hc_watch_io(struct emu_watch *w, uint32_t events)
{
	struct hconn *hc = container_of(w, struct hconn, watch);

	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		hc_drop(hc);
}

static void hc_hold(struct hconn *hc)
{
	hc_suspend(hc, HC_HOLD);
	hc->watch.fd = hc->fd;
	hc->watch.cb = hc_watch_io;
	if (loop_add(&hc->watch, EPOLLRDHUP | EPOLLET) < 0)
		hc->watch.fd = -1; /* unwatched: it ends with the emulator */
}

static void hc_timer(struct emu_timer *t)
{
	struct hconn *hc = container_of(t, struct hconn, timer);

	switch (hc->state) {
	case HC_IDLE:
		if (emu_verbose)
			fprintf(stderr, "kasa-emu: [%u] %s idle, closing\n", hc->site->index,
				hc->peer);
		hc_drop(hc);
		break;
	case HC_DELAY:
		hc_resume(hc);
		break;
	case HC_PACE:
		if (hc->body)
			hc->body->ready = true;
		hc_resume(hc);
		break;
	case HC_BUSY:
	case HC_HOLD:
		break;
	}
}

static void hc_idle(struct hconn *hc)
{
	unsigned ms = hc->site->spec->idle_ms;

	hc->state = HC_IDLE;
	if (ms && !hc->drop)
		loop_timer_arm(&hc->timer, monotonic_usec() + (uint64_t)ms * USEC_PER_MSEC);
}

/* --- Answers --------------------------------------------------------------- */

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct hbody *b = cls;
	struct hconn *hc = b->hc;
	size_t n = 0;

	if (!hc || hc->drop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	switch (b->shape) {
	case EMU_HTTP_TRUNCATE:
		if (pos >= b->avail)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		n = b->avail - (size_t)pos;
		break;
	case EMU_HTTP_OVERSIZE:
		if (pos >= b->avail) {
			/* Then silence: a client that trusts the length waits for ever. */
			hc_hold(hc);
			return 0;
		}
		n = b->avail - (size_t)pos;
		break;
	case EMU_HTTP_UNSIZED:
		if (pos >= b->len)
			return MHD_CONTENT_READER_END_OF_STREAM;
		n = b->len - (size_t)pos;
		break;
	case EMU_HTTP_PACED:
		if (pos >= b->len)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!b->ready) {
			hc_suspend(hc, HC_PACE);
			loop_timer_arm(&hc->timer,
				       monotonic_usec() + (uint64_t)b->interval_ms * USEC_PER_MSEC);
			return 0;
		}
		b->ready = false;
		n = b->chunk_min +
		    emu_rand(hc->site->fault_rng) % (b->chunk_max - b->chunk_min + 1);
		if (n > b->len - (size_t)pos)
			n = b->len - (size_t)pos;
		break;
	case EMU_HTTP_WHOLE: /* from a buffer, never here */
	case EMU_HTTP_HOLD:
	case EMU_HTTP_CLOSE:
	case EMU_HTTP_RESET:
	case EMU_HTTP_RAW:
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (n > max)
		n = max;
	memcpy(buf, b->data + pos, n);
	return (ssize_t)n;
}

static void body_free(void *cls)
{
	struct hbody *b = cls;

	if (b->hc)
		b->hc->body = NULL;
	free(b->data);
	free(b);
}

/* A response whose body body_read() serves, shaped by the plan. */
static struct MHD_Response *shaped_response(struct hreq *r)
{
	struct emu_http_answer *a = &r->answer;
	struct hbody *b = calloc(1, sizeof(*b));
	struct MHD_Response *resp;
	uint64_t size = a->len;

	if (!b)
		return NULL;
	b->hc = r->hc;
	b->shape = r->plan.shape;
	b->data = steal_ptr(a->body);
	b->len = a->len;
	b->chunk_min = r->plan.chunk_min;
	b->chunk_max = r->plan.chunk_max;
	b->interval_ms = r->plan.interval_ms;
	b->ready = true;
	switch (b->shape) {
	case EMU_HTTP_TRUNCATE:
		b->avail = b->len / 2;
		break;
	case EMU_HTTP_OVERSIZE:
		b->avail = b->len < OVERSIZE_SENT ? b->len : OVERSIZE_SENT;
		size = OVERSIZE_LENGTH;
		break;
	case EMU_HTTP_UNSIZED:
		size = MHD_SIZE_UNKNOWN;
		break;
	case EMU_HTTP_PACED:
	case EMU_HTTP_WHOLE:
	case EMU_HTTP_HOLD:
	case EMU_HTTP_CLOSE:
	case EMU_HTTP_RESET:
	case EMU_HTTP_RAW:
		break;
	}
	resp = MHD_create_response_from_callback(size, 4096, body_read, b, body_free);
	if (!resp) {
		body_free(b);
		return NULL;
	}
	r->hc->body = b;
	/* No length and no chunks: the body ends where the connection does. */
	if (b->shape == EMU_HTTP_UNSIZED)
		MHD_set_response_options(resp, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
	return resp;
}

/* An RST now, whatever libmicrohttpd does with the socket next. */
static void reset_socket(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct sockaddr sa = {.sa_family = AF_UNSPEC};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	/* Disconnecting an established TCP socket sends the reset at once. */
	if (connect(fd, &sa, sizeof(sa)) < 0) {
		/* Already gone: nothing to reset. */
	}
}

static enum MHD_Result answer(struct hreq *r, struct MHD_Connection *c)
{
	struct hconn *hc = r->hc;
	struct emu_http_answer *a = &r->answer;
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret;

	switch (r->plan.shape) {
	case EMU_HTTP_HOLD:
		hc_hold(hc);
		return MHD_YES;
	case EMU_HTTP_CLOSE:
		return MHD_NO;
	case EMU_HTTP_RESET:
		reset_socket(hc->fd);
		return MHD_NO;
	case EMU_HTTP_RAW:
		if (send(hc->fd, r->plan.raw, r->plan.raw_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* The client is gone or not reading: just close. */
		}
		return MHD_NO;
	case EMU_HTTP_WHOLE:
		resp = MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE);
		if (resp)
			a->body = NULL;
		break;
	case EMU_HTTP_TRUNCATE:
	case EMU_HTTP_OVERSIZE:
	case EMU_HTTP_UNSIZED:
	case EMU_HTTP_PACED:
		resp = shaped_response(r);
		break;
	}
	if (!resp)
		return MHD_NO;
	if (a->cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, a->cookie);
	ret = MHD_queue_response(c, a->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- Requests -------------------------------------------------------------- */

static struct hconn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

const char *http_request_arg(const struct emu_http_request *req, const char *key)
{
	struct hreq *r = req->priv;

	return MHD_lookup_connection_value(r->hc->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct cookies {
	const char *v[EMU_HTTP_COOKIES_MAX];
	size_t n;
};

static enum MHD_Result collect_cookie(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct cookies *ck = cls;

	if (value && !strcasecmp(key, MHD_HTTP_HEADER_COOKIE) && ck->n < EMU_HTTP_COOKIES_MAX)
		ck->v[ck->n++] = value;
	return MHD_YES;
}

static void take_body(struct hreq *r, const char *data, size_t n)
{
	if (r->too_big || n > EMU_HTTP_BODY_MAX - r->len) {
		r->too_big = true;
		return;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		uint8_t *grown;

		while (cap < r->len + n)
			cap *= 2;
		grown = realloc(r->body, cap);
		if (!grown) {
			r->too_big = true;
			return;
		}
		r->body = grown;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
}

/* The request is whole: the handler answers, the fault mode shapes it. */
static int handle(struct hreq *r, struct MHD_Connection *c)
{
	struct hconn *hc = r->hc;
	const struct emu_spec *spec = hc->site->spec;
	struct cookies ck = {.n = 0};
	struct emu_http_request req = {
		.method = r->method,
		.path = r->path,
		.peer = hc->peer,
		.body = r->too_big ? NULL : r->body,
		.len = r->too_big ? 0 : r->len,
		.too_big = r->too_big,
		.priv = r,
	};

	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_cookie, &ck);
	req.cookies = ck.v;
	req.ncookies = ck.n;
	hc->site->handle(hc->site->userdata, &req, &r->answer);
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s %s %s: %u%s%s\n", hc->site->index, hc->peer,
			r->method, r->path, r->answer.status, spec->fault ? " fault=" : "",
			spec->fault ? fault_name(spec->fault) : "");
	return fault_http_plan(spec->fault, spec->flaky, spec->drip_ms, hc->site->fault_rng,
			       &r->plan);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct hreq *r = *con_cls;
	struct hconn *hc;
	struct emu_stats *st;

	if (!r) {
		/* The head is in: count the request, stop the idle timer. */
		hc = conn_of(c);
		if (!hc || hc->drop)
			return MHD_NO;
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->hc = hc;
		r->method = method;
		r->path = url;
		*con_cls = r;
		hc->conn = c;
		hc->state = HC_BUSY;
		loop_timer_cancel(&hc->timer);
		st = hc->site->stats;
		st->requests++;
		st->inflight++;
		if (st->inflight > st->max_inflight)
			st->max_inflight = st->inflight;
		return MHD_YES;
	}
	hc = r->hc;
	if (*upload_data_size) {
		take_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (hc->drop)
		return MHD_NO;
	if (!r->handled) {
		r->handled = true;
		if (handle(r, c) < 0)
			return MHD_NO;
		if (hc->site->spec->delay_ms) {
			hc_suspend(hc, HC_DELAY);
			loop_timer_arm(&hc->timer,
				       monotonic_usec() +
					       (uint64_t)hc->site->spec->delay_ms * USEC_PER_MSEC);
			return MHD_YES;
		}
	}
	return answer(r, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct hreq *r = *con_cls;

	if (!r)
		return;
	*con_cls = NULL;
	r->hc->site->stats->inflight--;
	if (!r->hc->drop && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		hc_idle(r->hc);
	free(r->answer.body);
	free(r->plan.raw);
	free(r->body);
	free(r);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct hconn *hc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!hc)
			return;
		if (emu_verbose)
			fprintf(stderr, "kasa-emu: [%u] %s closed\n", hc->site->index, hc->peer);
		hc_unwatch(hc);
		loop_timer_cancel(&hc->timer);
		if (hc->body)
			hc->body->hc = NULL;
		list_remove(&hc->node);
		hc->site->nconns--;
		free(hc);
		*socket_context = NULL;
		return;
	}
	/* Called from within MHD_add_connection(), which says whose it is. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!adding || !ci)
		return;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return; /* no context: its requests are refused */
	hc->site = adding;
	hc->conn = c;
	hc->fd = ci->connect_fd;
	hc->watch.fd = -1;
	hc->timer.cb = hc_timer;
	snprintf(hc->peer, sizeof(hc->peer), "%s", adding_peer ? adding_peer : "?");
	list_insert_head(&adding->conns, &hc->node);
	adding->nconns++;
	*socket_context = hc;
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s connected\n", hc->site->index, hc->peer);
	hc_idle(hc);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	if (!emu_verbose)
		return;
	fprintf(stderr, "kasa-emu: http: ");
	vfprintf(stderr, fmt, ap);
}

/* --- Life ------------------------------------------------------------------ */

int http_init(void)
{
	const union MHD_DaemonInfo *info;
	int err;

	if (mhd)
		return 0;
	mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
				       MHD_USE_NO_LISTEN_SOCKET,
			       0, NULL, NULL, on_access, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_log,
			       NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
			       MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			       MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
	if (!mhd)
		return -EIO;
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		http_done();
		return -EIO;
	}
	mhd_watch.fd = info->epoll_fd;
	mhd_watch.cb = mhd_io;
	mhd_timer.cb = mhd_tick;
	err = loop_add(&mhd_watch, EPOLLIN);
	if (err < 0) {
		mhd_watch.fd = -1;
		http_done();
		return err;
	}
	return 0;
}

void http_done(void)
{
	if (!mhd)
		return;
	/* Nothing may stay suspended when the daemon stops: every connection
	 * that waits is resumed and closes on that run. */
	MHD_run(mhd);
	loop_timer_cancel(&mhd_timer);
	if (mhd_watch.fd >= 0)
		loop_del(&mhd_watch);
	mhd_watch.fd = -1;
	MHD_stop_daemon(mhd);
	mhd = NULL;
}

void http_site_init(struct emu_http_site *site)
{
	list_head_init(&site->conns);
	site->nconns = 0;
}

int http_take(struct emu_http_site *site, int fd, const struct sockaddr *peer, socklen_t len)
{
	char text[64];
	int one = 1;
	enum MHD_Result ok;

	if (!mhd) {
		close(fd);
		return -ENOTCONN;
	}
	/* Answers go out in one piece, and Nagle would hold the next one back. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sock_addr_text(peer, len, text, sizeof(text));
	adding = site;
	adding_peer = text;
	/* On failure libmicrohttpd closes the socket itself. */
	ok = MHD_add_connection(mhd, fd, peer, len);
	adding = NULL;
	adding_peer = NULL;
	/* It may have work already: a request sent before it was added. */
	kick();
	return ok == MHD_YES ? 0 : -EIO;
}

void http_drop(struct emu_http_site *site)
{
	struct hconn *hc;

	list_foreach(hc, &site->conns, node)
		if (!hc->drop)
			hc_drop(hc);
}
