/* SPDX-License-Identifier: MIT */
/*
 * Sockets: per device one TCP listener and one UDP socket on the same port.
 * A TCP connection reads frames with libkasa's reader into a small queue of
 * requests in flight, answers them one at a time (after the device's delay,
 * shaped by fault.c) and keeps the connection for the next one.  A KLAP
 * device's connections go to libmicrohttpd instead (http.c), and its UDP
 * socket stays silent.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/macro.h"
#include "emu.h"
#include "fault.h"
#include "kasa.h"
#include "loop.h"
#include "net.h"
#include "sock.h"

#define ACCEPT_BATCH	 64
#define UDP_BATCH	 64
#define UDP_DATAGRAM_MAX 4096
#define READ_CHUNK	 16384
#define BIND_TRIES	 64

enum conn_state {
	CONN_IDLE,  /* waiting for a request */
	CONN_DELAY, /* reply computed, waiting out the device's delay */
	CONN_WRITE, /* writing the plan, maybe paced */
	CONN_SINK,  /* answered; discard whatever else comes */
	CONN_HOLD,  /* never answering; discard whatever else comes */
};

struct emu_conn {
	struct emu_watch w;
	struct emu_net *net;
	struct list_node node; /* in net->conns */
	struct kasa_reader *reader;
	char *queue[EMU_QUEUE_MAX]; /* owned payloads; [0] is being answered */
	size_t qlen[EMU_QUEUE_MAX];
	unsigned count;
	enum conn_state state;
	char *reply; /* owned, while delayed */
	struct emu_plan plan;
	size_t off;
	bool peer_eof;
	uint32_t events;
	struct emu_timer timer;
	struct emu_defer defer;
	char peer[64];
};

struct emu_udp_reply {
	struct list_node node; /* in net->udp_pending */
	struct emu_net *net;
	int fd;
	struct sockaddr_storage to;
	socklen_t tolen;
	struct emu_timer timer;
	size_t len;
	uint8_t data[];
};

static int spare_fd = -1;
int net_init(void)
{
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return spare_fd < 0 ? -errno : 0;
}

void net_done(void)
{
	if (spare_fd >= 0)
		close(spare_fd);
	spare_fd = -1;
}

void net_name(const struct emu_net *net, char *buf, size_t len)
{
	struct sockaddr_storage ss = net->addr;

	sock_set_port(&ss, net->port);
	sock_addr_text((struct sockaddr *)&ss, net->addrlen, buf, len);
}

/* --- TCP connections ------------------------------------------------------- */

static void conn_next(struct emu_conn *c);
static void conn_flush(struct emu_conn *c);

static void conn_events(struct emu_conn *c, uint32_t events)
{
	if (c->w.fd < 0 || c->events == events)
		return;
	if (loop_mod(&c->w, events) == 0)
		c->events = events;
}

static void conn_free(struct emu_defer *df)
{
	struct emu_conn *c = container_of(df, struct emu_conn, defer);

	kasa_reader_free(c->reader);
	free(c);
}

static void conn_close(struct emu_conn *c, bool reset)
{
	struct emu_net *net = c->net;

	if (c->w.fd < 0)
		return;
	if (reset) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		setsockopt(c->w.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s %s\n", net->index, c->peer,
			reset ? "reset" : "closed");
	loop_del(&c->w);
	close(c->w.fd);
	c->w.fd = -1;
	loop_timer_cancel(&c->timer);
	net->stats.inflight -= c->count;
	for (unsigned i = 0; i < c->count; i++)
		free(c->queue[i]);
	c->count = 0;
	free(c->reply);
	c->reply = NULL;
	free(c->plan.buf);
	c->plan.buf = NULL;
	list_remove(&c->node);
	net->nconns--;
	c->defer.cb = conn_free;
	loop_defer(&c->defer);
}

/* The request at the head of the queue is answered (or given up). */
static void conn_dequeue(struct emu_conn *c)
{
	if (c->count == 0)
		return;
	free(c->queue[0]);
	c->count--;
	memmove(&c->queue[0], &c->queue[1], c->count * sizeof(c->queue[0]));
	memmove(&c->qlen[0], &c->qlen[1], c->count * sizeof(c->qlen[0]));
	c->net->stats.inflight--;
}

static bool conn_enqueue(struct emu_conn *c, const char *payload, size_t len)
{
	struct emu_stats *st = &c->net->stats;
	char *copy;

	/* A client this far ahead is pipelining without end: drop it. */
	if (c->count == EMU_QUEUE_MAX) {
		conn_close(c, false);
		return false;
	}
	copy = malloc(len + 1);
	if (!copy) {
		conn_close(c, false);
		return false;
	}
	memcpy(copy, payload, len);
	copy[len] = '\0';
	c->queue[c->count] = copy;
	c->qlen[c->count] = len;
	c->count++;
	st->requests++;
	st->inflight++;
	if (st->inflight > st->max_inflight)
		st->max_inflight = st->inflight;
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s > %s\n", c->net->index, c->peer, copy);
	return true;
}

static void conn_respond(struct emu_conn *c, char *reply)
{
	int err = fault_plan(c->net->spec->fault, c->net->spec->flaky, c->net->spec->drip_ms,
			     c->net->fault_rng, reply, &c->plan);

	free(reply);
	if (err < 0) {
		conn_close(c, false);
		return;
	}
	c->off = 0;
	c->state = CONN_WRITE;
	conn_flush(c);
}

static void conn_finish(struct emu_conn *c)
{
	enum emu_after after = c->plan.after;

	free(c->plan.buf);
	c->plan.buf = NULL;
	conn_events(c, c->peer_eof ? 0 : EPOLLIN);
	switch (after) {
	case EMU_AFTER_KEEP:
		conn_dequeue(c);
		conn_next(c);
		break;
	case EMU_AFTER_CLOSE:
		conn_dequeue(c);
		/* Let the FIN follow the bytes, as a plug closing its side does. */
		shutdown(c->w.fd, SHUT_WR);
		conn_close(c, false);
		break;
	case EMU_AFTER_RESET:
		conn_close(c, true);
		break;
	case EMU_AFTER_SINK:
		conn_dequeue(c);
		c->state = CONN_SINK;
		break;
	case EMU_AFTER_HOLD:
		c->state = CONN_HOLD;
		break;
	}
}

static void conn_flush(struct emu_conn *c)
{
	struct emu_plan *p = &c->plan;

	while (c->off < p->len) {
		size_t n = p->len - c->off;
		ssize_t w;

		if (p->chunk_max) {
			size_t seg = p->chunk_min + emu_rand(c->net->fault_rng) %
							    (p->chunk_max - p->chunk_min + 1);

			if (n > seg)
				n = seg;
		}
		w = send(c->w.fd, p->buf + c->off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				conn_events(c, c->peer_eof ? EPOLLOUT : EPOLLIN | EPOLLOUT);
				return;
			}
			conn_close(c, false);
			return;
		}
		c->off += (size_t)w;
		if (p->chunk_max && c->off < p->len) {
			conn_events(c, c->peer_eof ? 0 : EPOLLIN);
			loop_timer_arm(&c->timer,
				       monotonic_usec() + (uint64_t)p->interval_ms * USEC_PER_MSEC);
			return;
		}
	}
	conn_finish(c);
}

/* Start on the next queued request, if any. */
static void conn_next(struct emu_conn *c)
{
	struct emu_net *net = c->net;
	char *reply;

	loop_timer_cancel(&c->timer);
	if (c->count == 0) {
		c->state = CONN_IDLE;
		if (c->peer_eof)
			conn_close(c, false);
		else if (net->spec->idle_ms)
			loop_timer_arm(&c->timer, monotonic_usec() + (uint64_t)net->spec->idle_ms *
									     USEC_PER_MSEC);
		return;
	}
	reply = net->handle(net->userdata, c->queue[0], c->qlen[0], false);
	if (!reply) {
		/* Not a JSON object: a real plug hangs up too. */
		conn_close(c, false);
		return;
	}
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s < %s%s%s\n", net->index, c->peer, reply,
			net->spec->fault ? " fault=" : "",
			net->spec->fault ? fault_name(net->spec->fault) : "");
	if (net->spec->delay_ms) {
		c->reply = reply;
		c->state = CONN_DELAY;
		loop_timer_arm(&c->timer,
			       monotonic_usec() + (uint64_t)net->spec->delay_ms * USEC_PER_MSEC);
		return;
	}
	conn_respond(c, reply);
}

static void conn_timer(struct emu_timer *t)
{
	struct emu_conn *c = container_of(t, struct emu_conn, timer);
	char *reply;

	switch (c->state) {
	case CONN_IDLE:
		conn_close(c, false);
		break;
	case CONN_DELAY:
		reply = c->reply;
		c->reply = NULL;
		conn_respond(c, reply);
		break;
	case CONN_WRITE:
		conn_flush(c);
		break;
	case CONN_SINK:
	case CONN_HOLD:
		break;
	}
}

static void conn_eof(struct emu_conn *c)
{
	const char *payload;
	size_t len;

	c->peer_eof = true;
	if (c->state == CONN_SINK || c->state == CONN_HOLD) {
		conn_close(c, false);
		return;
	}
	/* Level-triggered EOF would wake us forever: stop reading. */
	conn_events(c, c->state == CONN_WRITE && c->events & EPOLLOUT ? EPOLLOUT : 0);
	/* A zero length header: the request ended at EOF. */
	if (kasa_reader_eof(c->reader) == 1) {
		payload = kasa_reader_payload(c->reader, &len);
		if (!conn_enqueue(c, payload, len))
			return;
		kasa_reader_reset(c->reader);
	}
	if (c->state == CONN_IDLE)
		conn_next(c);
}

static void conn_read(struct emu_conn *c)
{
	uint8_t buf[READ_CHUNK];
	size_t off = 0;
	ssize_t n;

	n = recv(c->w.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c, false);
		return;
	}
	if (n == 0) {
		conn_eof(c);
		return;
	}
	if (c->state == CONN_SINK || c->state == CONN_HOLD)
		return;
	while (off < (size_t)n) {
		size_t used, len;
		const char *payload;
		int r = kasa_reader_feed(c->reader, buf + off, (size_t)n - off, &used);

		off += used;
		if (r < 0) {
			/* Over the cap or otherwise not a frame: hang up. */
			conn_close(c, false);
			return;
		}
		if (r == 0)
			break;
		payload = kasa_reader_payload(c->reader, &len);
		if (!conn_enqueue(c, payload, len))
			return;
		kasa_reader_reset(c->reader);
	}
	if (c->state == CONN_IDLE && c->count)
		conn_next(c);
}

static void conn_io(struct emu_watch *w, uint32_t events)
{
	struct emu_conn *c = container_of(w, struct emu_conn, w);

	/* Reset, or shut down both ways: nothing can be answered any more. */
	if (events & (EPOLLHUP | EPOLLERR)) {
		conn_close(c, false);
		return;
	}
	if (events & EPOLLIN)
		conn_read(c);
	if (c->w.fd >= 0 && events & EPOLLOUT && c->state == CONN_WRITE && !c->timer.armed)
		conn_flush(c);
}

/* Out of fds: take the connection off the backlog and drop it at once. */
static void shed_connection(int lfd)
{
	int fd;

	if (spare_fd < 0)
		return;
	close(spare_fd);
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0)
		close(fd);
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void conn_new(struct emu_net *net, int fd, const struct sockaddr *peer, socklen_t len)
{
	struct emu_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c || !(c->reader = kasa_reader_new(KASA_FRAME_MAX_DEFAULT))) {
		free(c);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->net = net;
	c->w.fd = fd;
	c->w.cb = conn_io;
	c->timer.cb = conn_timer;
	c->events = EPOLLIN;
	sock_addr_text(peer, len, c->peer, sizeof(c->peer));
	if (loop_add(&c->w, EPOLLIN) < 0) {
		kasa_reader_free(c->reader);
		free(c);
		close(fd);
		return;
	}
	list_insert_head(&net->conns, &c->node);
	net->nconns++;
	net->stats.connections++;
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s connected\n", net->index, c->peer);
	if (net->spec->idle_ms)
		loop_timer_arm(&c->timer,
			       monotonic_usec() + (uint64_t)net->spec->idle_ms * USEC_PER_MSEC);
}

static void tcp_accept(struct emu_watch *w, uint32_t events)
{
	struct emu_net *net = container_of(w, struct emu_net, tcp);

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(w->fd, (struct sockaddr *)&peer, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				shed_connection(w->fd);
			return;
		}
		if (net->nconns + net->site.nconns >= EMU_CONNS_MAX) {
			close(fd);
			continue;
		}
		if (net->site.handle) {
			net->stats.connections++;
			http_take(&net->site, fd, (struct sockaddr *)&peer, len);
			continue;
		}
		conn_new(net, fd, (struct sockaddr *)&peer, len);
	}
}

/* --- UDP discovery --------------------------------------------------------- */

static void udp_unlink(struct emu_udp_reply *u)
{
	list_remove(&u->node);
	u->net->nudp_pending--;
}

static void udp_fire(struct emu_timer *t)
{
	struct emu_udp_reply *u = container_of(t, struct emu_udp_reply, timer);

	sendto(u->fd, u->data, u->len, MSG_DONTWAIT, (struct sockaddr *)&u->to, u->tolen);
	udp_unlink(u);
	free(u);
}

void net_udp_send(struct emu_net *net, int fd, const void *data, size_t len,
		  const struct sockaddr_storage *to, socklen_t tolen)
{
	struct emu_udp_reply *u;

	if (!net->spec->delay_ms) {
		sendto(fd, data, len, MSG_DONTWAIT, (const struct sockaddr *)to, tolen);
		return;
	}
	if (net->nudp_pending >= EMU_UDP_PENDING_MAX)
		return;
	u = calloc(1, sizeof(*u) + len);
	if (!u)
		return;
	u->net = net;
	u->fd = fd;
	u->to = *to;
	u->tolen = tolen;
	u->len = len;
	memcpy(u->data, data, len);
	u->timer.cb = udp_fire;
	if (loop_timer_arm(&u->timer,
			   monotonic_usec() + (uint64_t)net->spec->delay_ms * USEC_PER_MSEC) < 0) {
		free(u);
		return;
	}
	list_insert_head(&net->udp_pending, &u->node);
	net->nudp_pending++;
}

static void udp_datagram(struct emu_net *net, uint8_t *buf, size_t n,
			 const struct sockaddr_storage *from, socklen_t fromlen)
{
	char peer[64] = "";
	char *reply;
	size_t len;

	/* KLAP firmware answers its own discovery (discover.c), not this one. */
	if (net->site.handle ||
	    !fault_udp_answers(net->spec->fault, net->spec->flaky, net->fault_rng))
		return;
	kasa_decrypt(buf, n);
	buf[n] = '\0';
	if (emu_verbose) {
		sock_addr_text((const struct sockaddr *)from, fromlen, peer, sizeof(peer));
		fprintf(stderr, "kasa-emu: [%u] udp %s > %s\n", net->index, peer, (char *)buf);
	}
	reply = net->handle(net->userdata, (char *)buf, n, true);
	if (!reply)
		return;
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] udp %s < %s\n", net->index, peer, reply);
	len = strlen(reply);
	kasa_encrypt(reply, len);
	net_udp_send(net, net->udp.fd, reply, len, from, fromlen);
	free(reply);
}

static void udp_io(struct emu_watch *w, uint32_t events)
{
	struct emu_net *net = container_of(w, struct emu_net, udp);
	static uint8_t buf[UDP_DATAGRAM_MAX + 1];

	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(w->fd, buf, UDP_DATAGRAM_MAX, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0)
			return;
		/* Oversized datagrams (MSG_TRUNC reports their real size) are dropped. */
		if (n == 0 || n > UDP_DATAGRAM_MAX)
			continue;
		udp_datagram(net, buf, (size_t)n, &from, fromlen);
	}
}

/* --- Devices --------------------------------------------------------------- */

int net_bind(struct emu_net *net, const struct sockaddr *addr, socklen_t addrlen, uint16_t port)
{
	bool listening = net->spec->fault != EMU_FAULT_REFUSE;
	int err = -EINVAL;

	if (addrlen > sizeof(net->addr))
		return -EINVAL;
	memcpy(&net->addr, addr, addrlen);
	net->addrlen = addrlen;
	for (int i = 0; i < (port ? 1 : BIND_TRIES); i++) {
		struct sockaddr_storage ss = net->addr;

		err = sock_bind_pair(&ss, addrlen, port, listening, &net->tcp.fd, &net->udp.fd);
		if (err >= 0)
			net->port = sock_port(&ss);
		if (err != -EADDRINUSE || port)
			break;
	}
	return err;
}

void net_setup(struct emu_net *net, unsigned index, const struct emu_spec *spec,
	       uint64_t *fault_rng)
{
	net->index = index;
	net->spec = spec;
	net->fault_rng = fault_rng;
	net->tcp.fd = -1;
	net->udp.fd = -1;
	list_head_init(&net->conns);
	list_head_init(&net->udp_pending);
	http_site_init(&net->site);
	net->site.index = index;
	net->site.spec = spec;
	net->site.fault_rng = fault_rng;
	net->site.stats = &net->stats;
}

void net_set_http(struct emu_net *net, emu_http_handle_cb handle, void *userdata)
{
	net->site.handle = handle;
	net->site.userdata = userdata;
}

int net_start(struct emu_net *net, emu_net_handle_cb handle, void *userdata)
{
	int err;

	net->handle = handle;
	net->userdata = userdata;
	net->tcp.cb = tcp_accept;
	net->udp.cb = udp_io;
	/* "refuse": bound but not listening, so connecting is refused. */
	if (net->spec->fault != EMU_FAULT_REFUSE) {
		err = loop_add(&net->tcp, EPOLLIN);
		if (err < 0)
			return err;
	}
	return loop_add(&net->udp, EPOLLIN);
}

void net_drop(struct emu_net *net)
{
	struct emu_conn *c;

	while ((c = list_first(&net->conns, struct emu_conn, node)))
		conn_close(c, false);
	http_drop(&net->site);
}

void net_close(struct emu_net *net)
{
	net_drop(net);
	struct emu_udp_reply *u;

	while ((u = list_first(&net->udp_pending, struct emu_udp_reply, node))) {
		loop_timer_cancel(&u->timer);
		udp_unlink(u);
		free(u);
	}
	if (net->tcp.fd >= 0) {
		loop_del(&net->tcp);
		close(net->tcp.fd);
		net->tcp.fd = -1;
	}
	if (net->udp.fd >= 0) {
		loop_del(&net->udp);
		close(net->udp.fd);
		net->udp.fd = -1;
	}
}
