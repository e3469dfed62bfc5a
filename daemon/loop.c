/* SPDX-License-Identifier: MIT */
/*
 * The event loop: a thin layer over sd-event, so that the rest of the
 * daemon needs no systemd header and reads the same whatever the loop is.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "loop.h"

_Static_assert(LOOP_IO_EDGE == EPOLLET, "LOOP_IO_EDGE is epoll's edge-triggered flag");

struct loop {
	sd_event *event;
};

struct loop_source {
	struct loop *loop;
	/* An I/O source exists only while it watches a descriptor: ten
	 * thousand idle plugs would hold 3 MiB of sources doing nothing. */
	sd_event_source *source;
	union {
		loop_io_cb_t io;
		loop_timer_cb_t timer;
		loop_signal_cb_t signal;
	} cb;
	void *userdata;
};

int loop_new(struct loop **ret_loop)
{
	struct loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	r = sd_event_new(&l->event);
	if (r < 0) {
		free(l);
		return r;
	}
	*ret_loop = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	sd_event_unref(l->event);
	free(l);
}

int loop_run(struct loop *l)
{
	return sd_event_loop(l->event);
}

int loop_iterate(struct loop *l, uint64_t timeout_usec)
{
	return sd_event_run(l->event, timeout_usec);
}

void loop_exit(struct loop *l, int code)
{
	sd_event_exit(l->event, code);
}

uint64_t loop_now(struct loop *l)
{
	uint64_t now;

	if (sd_event_now(l->event, CLOCK_MONOTONIC, &now) < 0)
		now = loop_clock();
	return now;
}

uint64_t loop_clock(void)
{
	return monotonic_usec();
}

int loop_enable_watchdog(struct loop *l)
{
	/* A no-op (0) unless $WATCHDOG_USEC and $WATCHDOG_PID name us.  The ping
	 * comes from the loop itself, so a stuck loop stops pinging. */
	return sd_event_set_watchdog(l->event, 1);
}

static struct loop_source *source_new(struct loop *l, void *userdata)
{
	struct loop_source *s = calloc(1, sizeof(*s));

	if (s) {
		s->loop = l;
		s->userdata = userdata;
	}
	return s;
}

void loop_source_free(struct loop_source *s)
{
	if (!s)
		return;
	sd_event_source_disable_unref(s->source);
	free(s);
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct loop_source *s = userdata;

	s->cb.io(s, fd, revents, s->userdata);
	return 0;
}

int loop_io_add(struct loop *l, int fd, uint32_t events, loop_io_cb_t cb, void *userdata,
		struct loop_source **ret_source)
{
	struct loop_source *s = source_new(l, userdata);
	int r;

	if (!s)
		return -ENOMEM;
	s->cb.io = cb;
	r = loop_io_set(s, fd, events);
	if (r < 0) {
		loop_source_free(s);
		return r;
	}
	*ret_source = s;
	return 0;
}

int loop_io_set(struct loop_source *s, int fd, uint32_t events)
{
	int r;

	if (fd < 0 || events == 0) {
		/* sd-event frees a source unreferenced in its own callback once
		 * that returns. */
		s->source = sd_event_source_disable_unref(s->source);
		return 0;
	}
	if (!s->source)
		return sd_event_add_io(s->loop->event, &s->source, fd, events, on_io, s);
	/* Off first: the descriptor number may be the same as before but name a
	 * new socket, which the kernel dropped from epoll when the old one
	 * closed.  Turning the source off and on registers it afresh. */
	r = sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
	if (r < 0)
		return r;
	r = sd_event_source_set_io_fd(s->source, fd);
	if (r < 0)
		return r;
	r = sd_event_source_set_io_events(s->source, events);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s->source, SD_EVENT_ON);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct loop_source *s = userdata;

	/* usec is the time the timer was set for; the callback is told the
	 * time now, which a timer allowed to be late (its accuracy) is past:
	 * the poller starts every poll due by then. */
	s->cb.timer(s, loop_now(s->loop), s->userdata);
	return 0;
}

int loop_timer_add(struct loop *l, uint64_t usec, loop_timer_cb_t cb, void *userdata,
		   struct loop_source **ret_source)
{
	struct loop_source *s = source_new(l, userdata);
	int r;

	if (!s)
		return -ENOMEM;
	s->cb.timer = cb;
	/* 1 ms accuracy: timers here are deadlines and poll times, and
	 * coalescing them saves wake-ups without changing any outcome. */
	r = sd_event_add_time(l->event, &s->source, CLOCK_MONOTONIC, usec ? usec : 1, 1000,
			      on_timer, s);
	if (r >= 0)
		r = loop_timer_set(s, usec);
	if (r < 0) {
		loop_source_free(s);
		return r;
	}
	*ret_source = s;
	return 0;
}

int loop_timer_set(struct loop_source *s, uint64_t usec)
{
	int r;

	if (usec == 0)
		return sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
	r = sd_event_source_set_time(s->source, usec);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s->source, SD_EVENT_ONESHOT);
}

int loop_timer_set_accuracy(struct loop_source *s, uint64_t usec)
{
	return sd_event_source_set_time_accuracy(s->source, usec ? usec : 1);
}

/* --- Watch sets -------------------------------------------------------------- */

#define WATCH_BATCH 64

struct loop_watchset {
	int epfd;
	struct loop_source *src;
	/* The batch being dispatched: a watch that stops is cut out of it. */
	struct epoll_event ev[WATCH_BATCH];
	int n, i;
};

static void watch_forget(struct loop_watchset *ws, struct loop_watch *w)
{
	for (int k = ws->i + 1; k < ws->n; k++)
		if (ws->ev[k].data.ptr == w)
			ws->ev[k].data.ptr = NULL;
}

static void on_watchset(struct loop_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop_watchset *ws = userdata;

	/* At most a batch an iteration: more, and the set's fd is still
	 * readable next time, after the loop's other sources had a turn. */
	ws->n = epoll_wait(ws->epfd, ws->ev, WATCH_BATCH, 0);
	for (ws->i = 0; ws->i < ws->n; ws->i++) {
		struct loop_watch *w = ws->ev[ws->i].data.ptr;

		if (w)
			w->cb(w, ws->ev[ws->i].events);
	}
	ws->n = ws->i = 0;
}

int loop_watchset_new(struct loop *l, struct loop_watchset **ret_set)
{
	struct loop_watchset *ws = calloc(1, sizeof(*ws));
	int r;

	if (!ws)
		return -ENOMEM;
	ws->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ws->epfd < 0) {
		r = -errno;
		free(ws);
		return r;
	}
	r = loop_io_add(l, ws->epfd, EPOLLIN, on_watchset, ws, &ws->src);
	if (r < 0) {
		close(ws->epfd);
		free(ws);
		return r;
	}
	*ret_set = ws;
	return 0;
}

void loop_watchset_free(struct loop_watchset *ws)
{
	if (!ws)
		return;
	loop_source_free(ws->src);
	close(ws->epfd);
	free(ws);
}

int loop_watch_set(struct loop_watchset *ws, struct loop_watch *w, int fd, uint32_t events,
		   unsigned gen)
{
	bool same = w->fd >= 0 && fd == w->fd && gen == w->gen;
	struct epoll_event ev = {.events = events, .data.ptr = w};
	int r;

	if (fd < 0 || events == 0) {
		if (same)
			(void)epoll_ctl(ws->epfd, EPOLL_CTL_DEL, fd, NULL);
		if (w->fd >= 0)
			watch_forget(ws, w);
		w->fd = -1;
		return 0;
	}
	if (same && events == w->events)
		return 0;
	if (!same && w->fd >= 0)
		watch_forget(ws, w); /* those were the old socket's */
	r = epoll_ctl(ws->epfd, same ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
	/* A socket the set lost, or one it still had under a generation the
	 * caller moved on from: either way, now as asked. */
	if (r < 0 && errno == ENOENT)
		r = epoll_ctl(ws->epfd, EPOLL_CTL_ADD, fd, &ev);
	else if (r < 0 && errno == EEXIST)
		r = epoll_ctl(ws->epfd, EPOLL_CTL_MOD, fd, &ev);
	if (r < 0) {
		r = -errno;
		w->fd = -1;
		return r;
	}
	w->fd = fd;
	w->events = events;
	w->gen = gen;
	return 0;
}

static int on_defer(sd_event_source *es, void *userdata)
{
	struct loop_source *s = userdata;

	s->cb.timer(s, loop_now(s->loop), s->userdata);
	return 0;
}

int loop_defer_add(struct loop *l, loop_timer_cb_t cb, void *userdata,
		   struct loop_source **ret_source)
{
	struct loop_source *s = source_new(l, userdata);
	int r;

	if (!s)
		return -ENOMEM;
	s->cb.timer = cb;
	r = sd_event_add_defer(l->event, &s->source, on_defer, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
	if (r < 0) {
		loop_source_free(s);
		return r;
	}
	*ret_source = s;
	return 0;
}

void loop_defer_arm(struct loop_source *s)
{
	sd_event_source_set_enabled(s->source, SD_EVENT_ONESHOT);
}

static int on_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	struct loop_source *s = userdata;

	s->cb.signal(s, (int)si->ssi_signo, s->userdata);
	return 0;
}

int loop_signal_add(struct loop *l, int signo, loop_signal_cb_t cb, void *userdata,
		    struct loop_source **ret_source)
{
	struct loop_source *s = source_new(l, userdata);
	sigset_t mask;
	int r;

	if (!s)
		return -ENOMEM;
	s->cb.signal = cb;
	sigemptyset(&mask);
	sigaddset(&mask, signo);
	r = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
	if (r >= 0)
		r = sd_event_add_signal(l->event, &s->source, signo, on_signal, s);
	if (r < 0) {
		loop_source_free(s);
		return r;
	}
	*ret_source = s;
	return 0;
}
