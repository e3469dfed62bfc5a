/* SPDX-License-Identifier: MIT */
/*
 * Timer sets (loop.h): many timers in a binary heap, earliest first, under
 * one timer of the loop's that follows the heap's top.  The loop's timer
 * moves only when the top changes, and one wake-up runs every timer due.
 */
#include <errno.h>
#include <stdlib.h>

#include "loop.h"

struct loop_timerset {
	struct loop_source *timer;
	uint64_t timer_at, timer_slack; /* what the loop's timer is set to */
	struct loop_timer **heap;	/* by at; heap[i]->index == i + 1 */
	size_t n, cap;
};

/* --- The heap ------------------------------------------------------------------ */

static void heap_put(struct loop_timerset *ts, size_t i, struct loop_timer *t)
{
	ts->heap[i] = t;
	t->index = i + 1;
}

static void heap_up(struct loop_timerset *ts, size_t i)
{
	struct loop_timer *t = ts->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (ts->heap[parent]->at <= t->at)
			break;
		heap_put(ts, i, ts->heap[parent]);
		i = parent;
	}
	heap_put(ts, i, t);
}

static void heap_down(struct loop_timerset *ts, size_t i)
{
	struct loop_timer *t = ts->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= ts->n)
			break;
		if (c + 1 < ts->n && ts->heap[c + 1]->at < ts->heap[c]->at)
			c++;
		if (t->at <= ts->heap[c]->at)
			break;
		heap_put(ts, i, ts->heap[c]);
		i = c;
	}
	heap_put(ts, i, t);
}

static void heap_remove(struct loop_timerset *ts, struct loop_timer *t)
{
	size_t i = t->index - 1;
	struct loop_timer *last;

	t->index = 0;
	last = ts->heap[--ts->n];
	if (last == t)
		return;
	heap_put(ts, i, last);
	heap_up(ts, i);
	heap_down(ts, last->index - 1);
}

/* --- The loop's timer ---------------------------------------------------------- */

/* It follows the heap's top: changed only when the top did. */
static void arm(struct loop_timerset *ts)
{
	uint64_t at = ts->n ? ts->heap[0]->at : 0;
	uint64_t slack = ts->n ? ts->heap[0]->slack : 0;

	if (at && slack != ts->timer_slack && loop_timer_set_accuracy(ts->timer, slack) >= 0)
		ts->timer_slack = slack;
	if (at != ts->timer_at && loop_timer_set(ts->timer, at) >= 0)
		ts->timer_at = at;
}

static void on_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	struct loop_timerset *ts = userdata;

	(void)s;
	ts->timer_at = 0; /* fired: one-shot */
	while (ts->n && ts->heap[0]->at <= now) {
		struct loop_timer *t = ts->heap[0];

		heap_remove(ts, t);
		t->at = 0;
		t->cb(t, now);
	}
	arm(ts);
}

/* --- Life ---------------------------------------------------------------------- */

int loop_timerset_new(struct loop *l, struct loop_timerset **ret_set)
{
	struct loop_timerset *ts = calloc(1, sizeof(*ts));
	int r;

	if (!ts)
		return -ENOMEM;
	r = loop_timer_add(l, 0, on_timer, ts, &ts->timer);
	if (r < 0) {
		free(ts);
		return r;
	}
	ts->timer_slack = 1000; /* loop_timer_add()'s */
	*ret_set = ts;
	return 0;
}

void loop_timerset_free(struct loop_timerset *ts)
{
	if (!ts)
		return;
	loop_source_free(ts->timer);
	free(ts->heap);
	free(ts);
}

int loop_timerset_reserve(struct loop_timerset *ts, size_t n)
{
	size_t cap = ts->cap ? ts->cap : 64;
	struct loop_timer **heap;

	if (n <= ts->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	heap = realloc(ts->heap, cap * sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	ts->heap = heap;
	ts->cap = cap;
	return 0;
}

void loop_timer_start(struct loop_timerset *ts, struct loop_timer *t, uint64_t at,
		      uint64_t slack)
{
	if (t->index)
		heap_remove(ts, t);
	t->at = at;
	t->slack = slack;
	if (at) {
		heap_put(ts, ts->n++, t);
		heap_up(ts, ts->n - 1);
	}
	arm(ts);
}
