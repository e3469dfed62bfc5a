/* SPDX-License-Identifier: MIT */
/*
 * The poller: each plug refreshes its state on an interval, with jitter so
 * plugs polled at once drift apart, and backs off from a plug that does
 * not answer.
 *
 * The polls due are kept in one binary heap, earliest first, under one
 * timer of the loop's.  A timer per plug cost ten thousand plugs a
 * wake-up, a timerfd update and a reordering of sd-event's timers for
 * every poll; now a wake-up starts every poll that is due, and their jobs
 * start together on the next iteration (plug.c's kicks).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "loop.h"
#include "plug-private.h"

static struct {
	struct loop *loop;
	struct loop_source *timer;
	uint64_t timer_at, timer_slack; /* what the timer is set to */
	unsigned plugs;			/* joined: the timer goes with the last */
	struct plug **heap;		/* by poll_at; heap[i]->poll_index == i + 1 */
	size_t n, cap;
} polls;

static uint64_t rng_next(struct plug *p)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ULL;
}

/* --- The heap ------------------------------------------------------------------ */

static void heap_put(size_t i, struct plug *p)
{
	polls.heap[i] = p;
	p->poll_index = i + 1;
}

static void heap_up(size_t i)
{
	struct plug *p = polls.heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (polls.heap[parent]->poll_at <= p->poll_at)
			break;
		heap_put(i, polls.heap[parent]);
		i = parent;
	}
	heap_put(i, p);
}

static void heap_down(size_t i)
{
	struct plug *p = polls.heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= polls.n)
			break;
		if (c + 1 < polls.n && polls.heap[c + 1]->poll_at < polls.heap[c]->poll_at)
			c++;
		if (p->poll_at <= polls.heap[c]->poll_at)
			break;
		heap_put(i, polls.heap[c]);
		i = c;
	}
	heap_put(i, p);
}

static void heap_remove(struct plug *p)
{
	size_t i = p->poll_index - 1;
	struct plug *last;

	p->poll_index = 0;
	last = polls.heap[--polls.n];
	if (last == p)
		return;
	heap_put(i, last);
	heap_up(i);
	heap_down(last->poll_index - 1);
}

/* The timer follows the heap's top: changed only when the top did. */
static void arm(void)
{
	uint64_t at = polls.n ? polls.heap[0]->poll_at : 0;
	uint64_t slack = polls.n ? polls.heap[0]->poll_slack : 0;

	if (slack != polls.timer_slack && loop_timer_set_accuracy(polls.timer, slack) >= 0)
		polls.timer_slack = slack;
	if (at != polls.timer_at && loop_timer_set(polls.timer, at) >= 0)
		polls.timer_at = at;
}

/* p's next poll at at (0: none).  Room for every joined plug was made at
 * the join, so this cannot fail. */
static void set_poll(struct plug *p, uint64_t at, uint64_t slack)
{
	if (p->poll_index)
		heap_remove(p);
	p->poll_at = at;
	p->poll_slack = slack;
	if (at) {
		heap_put(polls.n++, p);
		heap_up(polls.n - 1);
	}
	arm();
}

static void on_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	polls.timer_at = 0; /* fired: one-shot */
	while (polls.n && polls.heap[0]->poll_at <= now) {
		struct plug *p = polls.heap[0];

		heap_remove(p);
		p->poll_at = 0;
		poller_due(p);
	}
	arm();
}

/* --- Plugs --------------------------------------------------------------------- */

int poller_join(struct plug *p)
{
	int r;

	if (polls.plugs == 0) {
		r = loop_timer_add(p->loop, 0, on_timer, NULL, &polls.timer);
		if (r < 0)
			return r;
		polls.loop = p->loop;
		polls.timer_at = 0;
		polls.timer_slack = 1000; /* loop_timer_add's */
	} else if (polls.loop != p->loop) {
		return -EXDEV; /* plugs live on one loop */
	}
	if (polls.plugs == polls.cap) {
		size_t cap = polls.cap ? 2 * polls.cap : 64;
		struct plug **heap = realloc(polls.heap, cap * sizeof(*heap));

		if (!heap) {
			if (polls.plugs == 0) {
				loop_source_free(polls.timer);
				polls.timer = NULL;
			}
			return -ENOMEM;
		}
		polls.heap = heap;
		polls.cap = cap;
	}
	polls.plugs++;
	if (getrandom(&p->rng, sizeof(p->rng), GRND_NONBLOCK) != sizeof(p->rng))
		p->rng = loop_now(p->loop) ^ (uintptr_t)p;
	p->rng |= 1;
	return 0;
}

void poller_leave(struct plug *p)
{
	if (p->poll_index) {
		heap_remove(p);
		arm();
	}
	if (--polls.plugs == 0) {
		loop_source_free(polls.timer);
		polls.timer = NULL;
		polls.loop = NULL;
		free(polls.heap);
		polls.heap = NULL;
		polls.cap = 0;
	}
}

void poller_schedule(struct plug *p, bool ok)
{
	uint64_t delay = p->set.poll_interval_usec, jitter;

	if (!p->polling || delay == 0)
		return;
	if (!ok && !p->st.online && p->st.misses >= p->set.offline_after) {
		/* Back off: double per further miss, up to backoff_max. */
		unsigned shift = p->st.misses - p->set.offline_after + 1;

		delay = shift >= 16 ? p->set.backoff_max_usec : delay << shift;
		if (delay > p->set.backoff_max_usec)
			delay = p->set.backoff_max_usec;
		if (delay < p->set.poll_interval_usec)
			delay = p->set.poll_interval_usec;
	}
	/* +-10 %, so plugs polled at once drift apart. */
	jitter = delay / 5;
	if (jitter)
		delay = delay - jitter / 2 + rng_next(p) % jitter;
	/* Late by up to a tenth of the jitter: polls due close together share
	 * one wake-up. */
	set_poll(p, loop_now(p->loop) + delay, jitter / 10);
}

void poller_due(struct plug *p)
{
	struct plug_job *j;

	/* Named by its MAC and not found yet: polled once it is. */
	if (!p->host)
		return;
	list_foreach(j, &p->jobs, node)
		if (j->run.args.kind == PLUG_JOB_REFRESH)
			return; /* its end schedules the next poll */
	if (plug_submit(p, &(struct plug_job_args){.kind = PLUG_JOB_REFRESH, .outlet = -1}, 0, NULL,
			NULL, NULL) < 0)
		poller_schedule(p, false);
}

void plug_poll_start(struct plug *p, uint64_t first_within_usec)
{
	uint64_t at = loop_now(p->loop);

	p->polling = p->set.poll_interval_usec > 0;
	if (!p->polling)
		return;
	if (first_within_usec)
		at += rng_next(p) % first_within_usec;
	set_poll(p, at, 0);
}

void plug_poll_soon(struct plug *p)
{
	if (p->polling)
		set_poll(p, loop_now(p->loop), 0);
}

void plug_poll_stop(struct plug *p)
{
	p->polling = false;
	set_poll(p, 0, 0);
}
