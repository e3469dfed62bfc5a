/* SPDX-License-Identifier: MIT */
/*
 * A non-blocking connection to one device, driven by the caller's event
 * loop.  One request in flight; the connection is kept open for the next
 * request and reopened once when a reused socket turns out to be dead.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>

#include "common/inaddr.h"
#include "kasa-private.h"

enum conn_state {
	CONN_IDLE,
	CONN_CONNECTING,
	CONN_SENDING,
	CONN_RECEIVING,
};

struct kasa_conn {
	union inet_sockaddr addr;
	socklen_t addrlen;
	int fd;
	enum conn_state state;
	uint64_t deadline;
	struct kasa_reader reader;
	uint8_t *out; /* the encoded frame of the request in flight */
	size_t out_len, out_off;
	bool reused;  /* the request went out on a connection opened before */
	bool retried; /* the one reconnect has been spent */
	bool got_any; /* some reply byte arrived */
	unsigned generation; /* sockets opened */
	bool idle_watched;   /* the caller watches the kept socket between requests */
};

KASA_EXPORT uint64_t kasa_now_usec(void)
{
	return monotonic_usec();
}

KASA_EXPORT struct kasa_conn *kasa_conn_new(const struct sockaddr *addr, socklen_t addrlen)
{
	struct kasa_conn *c;

	if (!addr || addrlen > sizeof(c->addr))
		return NULL;
	if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	kasa_reader_init(&c->reader, 0);
	memcpy(&c->addr, addr, addrlen);
	c->addrlen = addrlen;
	c->fd = -1;
	return c;
}

static void conn_close_socket(struct kasa_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* End the request in flight; keep the socket only when asked to. */
static void conn_finish(struct kasa_conn *c, bool keep_socket)
{
	if (!keep_socket)
		conn_close_socket(c);
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->deadline = 0;
	c->state = CONN_IDLE;
}

static int conn_fail(struct kasa_conn *c, int err)
{
	conn_finish(c, false);
	return err;
}

KASA_EXPORT void kasa_conn_drop_reply(struct kasa_conn *c)
{
	if (c->state == CONN_IDLE)
		kasa_reader_reset(&c->reader);
}

KASA_EXPORT void kasa_conn_close(struct kasa_conn *c)
{
	if (c)
		conn_finish(c, false);
}

KASA_EXPORT void kasa_conn_free(struct kasa_conn *c)
{
	if (!c)
		return;
	conn_finish(c, false);
	kasa_reader_done(&c->reader);
	free(c);
}

KASA_EXPORT void kasa_conn_set_max_payload(struct kasa_conn *c, size_t max_payload)
{
	if (c->state != CONN_IDLE)
		return;
	kasa_reader_done(&c->reader);
	kasa_reader_init(&c->reader, max_payload);
}

KASA_EXPORT int kasa_conn_fd(const struct kasa_conn *c)
{
	return c->fd;
}

KASA_EXPORT bool kasa_conn_busy(const struct kasa_conn *c)
{
	return c->state != CONN_IDLE;
}

KASA_EXPORT uint32_t kasa_conn_events(const struct kasa_conn *c)
{
	switch (c->state) {
	case CONN_IDLE:
		return c->fd >= 0 ? POLLIN : 0;
	case CONN_CONNECTING:
	case CONN_SENDING:
		return POLLOUT;
	case CONN_RECEIVING:
		return POLLIN;
	}
	return 0;
}

KASA_EXPORT void kasa_conn_set_idle_watched(struct kasa_conn *c, bool watched)
{
	c->idle_watched = watched;
}

KASA_EXPORT unsigned kasa_conn_generation(const struct kasa_conn *c)
{
	return c->generation;
}

KASA_EXPORT uint64_t kasa_conn_deadline(const struct kasa_conn *c)
{
	return c->deadline;
}

KASA_EXPORT const char *kasa_conn_reply(const struct kasa_conn *c, size_t *ret_len)
{
	return kasa_reader_payload(&c->reader, ret_len);
}

/* After a send or recv failed: 1 to try again at once (a signal came),
 * 0 to wait for the socket, or the error. */
static int io_error(void)
{
	if (errno == EINTR)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return -errno;
}

/* Header and payload leave in one write where the socket allows it. */
static int conn_send(struct kasa_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			int r = io_error();

			if (r > 0)
				continue;
			return r;
		}
		c->out_off += (size_t)n;
	}
	c->state = CONN_RECEIVING;
	return 0;
}

static int conn_open(struct kasa_conn *c)
{
	int one = 1;
	int fd;

	fd = socket(c->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	/* Some firmware treats each segment as a whole message. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->generation++;
	c->got_any = false;
	c->out_off = 0;
	kasa_reader_reset(&c->reader);
	if (connect(fd, &c->addr.sa, c->addrlen) < 0) {
		if (errno != EINPROGRESS && errno != EINTR) {
			int err = -errno;

			conn_close_socket(c);
			return err;
		}
		c->state = CONN_CONNECTING;
		return 0;
	}
	c->state = CONN_SENDING;
	return conn_send(c);
}

/* A dead reused socket gets one new connection and the request again. */
static bool conn_may_retry(const struct kasa_conn *c)
{
	return c->reused && !c->retried && !c->got_any;
}

static int conn_retry(struct kasa_conn *c)
{
	int err;

	conn_close_socket(c);
	c->retried = true;
	c->reused = false;
	err = conn_open(c);
	if (err < 0)
		return conn_fail(c, err);
	return 0;
}

/* An idle socket that is readable was closed by the device (or sent junk). */
static bool conn_idle_socket_alive(const struct kasa_conn *c)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 0;
}

KASA_EXPORT int kasa_conn_start(struct kasa_conn *c, const char *json, size_t len,
				uint64_t now_usec, uint64_t timeout_usec)
{
	int err;

	if (c->state != CONN_IDLE)
		return -EBUSY;
	err = kasa_frame_encode(json, len, &c->out, &c->out_len);
	if (err < 0)
		return err;
	c->deadline = now_usec + (timeout_usec ? timeout_usec : 1);
	c->retried = false;
	if (c->fd >= 0 && !c->idle_watched && !conn_idle_socket_alive(c))
		conn_close_socket(c);

	if (c->fd >= 0) {
		c->reused = true;
		c->got_any = false;
		c->out_off = 0;
		kasa_reader_reset(&c->reader);
		c->state = CONN_SENDING;
		err = conn_send(c);
		if (err < 0) {
			if (conn_may_retry(c))
				return conn_retry(c);
			return conn_fail(c, err);
		}
		return 0;
	}
	c->reused = false;
	err = conn_open(c);
	if (err < 0)
		return conn_fail(c, err);
	return 0;
}

static int conn_connected(struct kasa_conn *c)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	if (soerr)
		return -soerr;
	c->state = CONN_SENDING;
	return conn_send(c);
}

/* Returns 1 when the reply is complete, 0 for more, or -errno. */
static int conn_receive(struct kasa_conn *c)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t used;
		int r;

		if (n < 0) {
			r = io_error();
			if (r > 0)
				continue;
			return r;
		}
		if (n == 0) {
			r = kasa_reader_eof(&c->reader);
			if (r == 1)
				conn_finish(c, false); /* the device closed: reopen next time */
			return r;
		}
		c->got_any = true;
		r = kasa_reader_feed(&c->reader, buf, (size_t)n, &used);
		if (r == 1) {
			/* Bytes past the frame mean the stream is out of step. */
			conn_finish(c, used == (size_t)n);
			return 1;
		}
		if (r < 0)
			return r;
	}
}

KASA_EXPORT int kasa_conn_process(struct kasa_conn *c, uint32_t revents, uint64_t now_usec)
{
	int r = 0;

	switch (c->state) {
	case CONN_IDLE:
		if (c->fd >= 0 && (revents & (POLLIN | POLLERR | POLLHUP)))
			conn_close_socket(c);
		return 0;
	case CONN_CONNECTING:
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			r = conn_connected(c);
		break;
	case CONN_SENDING:
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			r = conn_send(c);
		break;
	case CONN_RECEIVING:
		if (revents & (POLLIN | POLLERR | POLLHUP))
			r = conn_receive(c);
		break;
	}

	if (r == 1)
		return 1;
	if (r < 0) {
		bool dead = r == -ECONNRESET || r == -EPIPE;

		if (dead && conn_may_retry(c))
			return conn_retry(c);
		return conn_fail(c, r);
	}
	/* Sending may have finished; reading then waits for POLLIN. */
	if (c->state != CONN_IDLE && now_usec >= c->deadline)
		return conn_fail(c, -ETIMEDOUT);
	return 0;
}
