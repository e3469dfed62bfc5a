/* SPDX-License-Identifier: MIT */
/*
 * The poller: each plug refreshes its state on an interval, with jitter so
 * plugs polled at once drift apart, and backs off from a plug that does
 * not answer.
 */
#include <sys/random.h>

#include "loop.h"
#include "plug-private.h"

static uint64_t rng_next(struct plug *p)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ULL;
}

void poller_init(struct plug *p)
{
	if (getrandom(&p->rng, sizeof(p->rng), GRND_NONBLOCK) != sizeof(p->rng))
		p->rng = loop_now(p->loop) ^ (uintptr_t)p;
	p->rng |= 1;
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
	loop_timer_set(p->poll_timer, loop_now(p->loop) + delay);
}

void poller_on_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	struct plug *p = userdata;
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
	loop_timer_set(p->poll_timer, at);
}

void plug_poll_soon(struct plug *p)
{
	if (p->polling)
		loop_timer_set(p->poll_timer, loop_now(p->loop));
}

void plug_poll_stop(struct plug *p)
{
	p->polling = false;
	loop_timer_set(p->poll_timer, 0);
}
