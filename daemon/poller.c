/* SPDX-License-Identifier: MIT */
/*
 * The poller: each plug refreshes its state on an interval, with jitter so
 * plugs polled at once drift apart, and backs off from a plug that does
 * not answer.
 *
 * The polls due are kept in one timer set (loop.h), earliest first, under
 * one timer of the loop's.  A timer per plug cost ten thousand plugs a
 * wake-up, a timerfd update and a reordering of sd-event's timers for
 * every poll; now a wake-up starts every poll that is due, and their jobs
 * start together on the next iteration (plug.c's kicks).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "common/macro.h"
#include "loop.h"
#include "plug-private.h"

static struct {
	struct loop *loop;
	struct loop_timerset *set; /* the polls due */
	unsigned plugs;		   /* joined: the set goes with the last */
} polls;

static uint64_t rng_next(struct plug *p)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ULL;
}

/* p's next poll at at (0: none).  Room for every joined plug was made at
 * the join, so this cannot fail. */
static void set_poll(struct plug *p, uint64_t at, uint64_t slack)
{
	loop_timer_start(polls.set, &p->poll, at, slack);
}

static void on_poll(struct loop_timer *t, uint64_t now)
{
	(void)now;
	poller_due(container_of(t, struct plug, poll));
}

/* --- Plugs --------------------------------------------------------------------- */

int poller_join(struct plug *p)
{
	int r;

	if (polls.plugs == 0) {
		r = loop_timerset_new(p->loop, &polls.set);
		if (r < 0)
			return r;
		polls.loop = p->loop;
	} else if (polls.loop != p->loop) {
		return -EXDEV; /* plugs live on one loop */
	}
	r = loop_timerset_reserve(polls.set, polls.plugs + 1);
	if (r < 0) {
		if (polls.plugs == 0) {
			loop_timerset_free(polls.set);
			polls.set = NULL;
		}
		return r;
	}
	polls.plugs++;
	p->poll = LOOP_TIMER_INIT(on_poll);
	if (getrandom(&p->rng, sizeof(p->rng), GRND_NONBLOCK) != sizeof(p->rng))
		p->rng = loop_now(p->loop) ^ (uintptr_t)p;
	p->rng |= 1;
	return 0;
}

void poller_leave(struct plug *p)
{
	set_poll(p, 0, 0);
	if (--polls.plugs == 0) {
		loop_timerset_free(polls.set);
		polls.set = NULL;
		polls.loop = NULL;
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
