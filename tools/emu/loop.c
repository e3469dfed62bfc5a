/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll set, a binary min-heap of one-shot timers (the
 * epoll_wait timeout is the earliest deadline) and a list of deferred
 * callbacks run after each batch of events.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/clock.h"
#include "emu.h"
#include "loop.h"

#define LOOP_EVENTS 256

static int loop_fd = -1;
static bool loop_quitting;
static struct emu_timer **heap;
static size_t heap_len, heap_cap;
static struct list_head deferred = LIST_HEAD_INIT(deferred);

static void run_deferred(void);

int loop_init(void)
{
	loop_fd = epoll_create1(EPOLL_CLOEXEC);
	return loop_fd < 0 ? -errno : 0;
}

void loop_done(void)
{
	run_deferred();
	if (loop_fd >= 0)
		close(loop_fd);
	loop_fd = -1;
	free(heap);
	heap = NULL;
	heap_len = heap_cap = 0;
}

int loop_add(struct emu_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return epoll_ctl(loop_fd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

int loop_mod(struct emu_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return epoll_ctl(loop_fd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void loop_del(struct emu_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(loop_fd, EPOLL_CTL_DEL, w->fd, NULL);
}

static void heap_set(size_t i, struct emu_timer *t)
{
	heap[i] = t;
	t->slot = i;
}

static void heap_up(size_t i)
{
	struct emu_timer *t = heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (heap[parent]->when <= t->when)
			break;
		heap_set(i, heap[parent]);
		i = parent;
	}
	heap_set(i, t);
}

static void heap_down(size_t i)
{
	struct emu_timer *t = heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= heap_len)
			break;
		if (child + 1 < heap_len && heap[child + 1]->when < heap[child]->when)
			child++;
		if (t->when <= heap[child]->when)
			break;
		heap_set(i, heap[child]);
		i = child;
	}
	heap_set(i, t);
}

void loop_timer_cancel(struct emu_timer *t)
{
	size_t i = t->slot;
	struct emu_timer *moved;

	if (!t->armed)
		return;
	t->armed = false;
	heap_len--;
	if (i == heap_len)
		return;
	/* Fill the hole with the last timer, then let it sink or rise. */
	moved = heap[heap_len];
	heap_set(i, moved);
	heap_down(i);
	heap_up(moved->slot);
}

int loop_timer_arm(struct emu_timer *t, uint64_t when)
{
	loop_timer_cancel(t);
	if (heap_len == heap_cap) {
		size_t cap = heap_cap ? heap_cap * 2 : 64;
		struct emu_timer **h = realloc(heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		heap = h;
		heap_cap = cap;
	}
	t->when = when;
	t->armed = true;
	heap_set(heap_len++, t);
	heap_up(heap_len - 1);
	return 0;
}

void loop_defer(struct emu_defer *d)
{
	list_insert_head(&deferred, &d->node);
}

void loop_quit(void)
{
	loop_quitting = true;
}

static void run_deferred(void)
{
	struct emu_defer *d;

	/* The last deferred first. */
	while ((d = list_first(&deferred, struct emu_defer, node))) {
		list_remove(&d->node);
		d->cb(d);
	}
}

static void run_timers(void)
{
	uint64_t now = monotonic_usec();

	while (heap_len > 0 && heap[0]->when <= now && !loop_quitting) {
		struct emu_timer *t = heap[0];

		loop_timer_cancel(t);
		t->cb(t);
	}
}

/* Milliseconds to the next timer, rounded up; -1 when none is armed. */
static int next_timeout(void)
{
	uint64_t now, ms;

	if (heap_len == 0)
		return -1;
	now = monotonic_usec();
	if (heap[0]->when <= now)
		return 0;
	ms = (heap[0]->when - now + 999) / 1000;
	return ms > 60000 ? 60000 : (int)ms;
}

int loop_run(void)
{
	struct epoll_event events[LOOP_EVENTS];

	loop_quitting = false;
	while (!loop_quitting) {
		int n = epoll_wait(loop_fd, events, LOOP_EVENTS, next_timeout());

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !loop_quitting; i++) {
			struct emu_watch *w = events[i].data.ptr;

			/* A watch ended earlier in this batch has fd -1. */
			if (w->fd >= 0)
				w->cb(w, events[i].events);
		}
		run_deferred();
		run_timers();
		run_deferred();
	}
	run_deferred();
	return 0;
}
