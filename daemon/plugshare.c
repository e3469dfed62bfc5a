/* SPDX-License-Identifier: MIT */
/*
 * What all plugs share (plug-private.h): the kicks that start a plug's next
 * job on the next iteration, the watch set of their kept sockets, the timer
 * set of their deadlines and read-backs, and the poller's bound on round
 * trips in flight.  One loop's plugs: the sources
 * are made with the first plug and go with the last.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/list.h"
#include "common/macro.h"
#include "loop.h"
#include "plug-private.h"

/* What all plugs share, made with the first and gone with the last: the
 * plugs whose next job starts on the next iteration (not within the call
 * that queued it, which may be a client's handler) and the one source that
 * starts them; the watch set of their kept sockets; and the timer set of
 * their own timers. */
static struct {
	struct loop *loop;
	unsigned plugs;
	struct loop_source *defer;
	struct list_head queue;
	struct loop_watchset *ws;
	struct loop_timerset *timers;
} shared = {
	.queue = LIST_HEAD_INIT(shared.queue),
};

/* --- Kicks, the watch set and the timer set ---------------------------------- */

void plug_kick(struct plug *p)
{
	if (p->kicked)
		return;
	p->kicked = true;
	list_insert_tail(&shared.queue, &p->kick_node);
	loop_defer_arm(shared.defer);
}

void plug_unkick(struct plug *p)
{
	if (!p->kicked)
		return;
	p->kicked = false;
	list_remove(&p->kick_node);
}

static void on_kicks(struct loop_source *s, uint64_t now, void *userdata)
{
	struct list_head now_due = LIST_HEAD_INIT(now_due);

	/* Those kicked meanwhile wait for the next iteration. */
	list_move_all(&now_due, &shared.queue);
	while (!list_empty(&now_due)) {
		struct plug *p = list_first(&now_due, struct plug, kick_node);

		list_remove(&p->kick_node);
		p->kicked = false;
		plug_pump(p);
	}
}

static void shared_free(void)
{
	loop_source_free(steal_ptr(shared.defer));
	loop_watchset_free(steal_ptr(shared.ws));
	loop_timerset_free(steal_ptr(shared.timers));
	shared.loop = NULL;
}

int plugshare_join(struct loop *l)
{
	int r;

	if (shared.plugs == 0) {
		r = loop_defer_add(l, on_kicks, NULL, &shared.defer);
		if (r >= 0)
			r = loop_watchset_new(l, &shared.ws);
		if (r >= 0)
			r = loop_timerset_new(l, &shared.timers);
		if (r < 0) {
			shared_free();
			return r;
		}
		shared.loop = l;
	} else if (shared.loop != l) {
		return -EXDEV; /* plugs live on one loop */
	}
	r = loop_timerset_reserve(shared.timers, shared.plugs + 1);
	if (r < 0) {
		if (shared.plugs == 0)
			shared_free();
		return r;
	}
	shared.plugs++;
	return 0;
}

void plugshare_leave(struct plug *p)
{
	plug_unkick(p);
	loop_timer_start(shared.timers, &p->timer, 0, 0);
	if (--shared.plugs == 0)
		shared_free();
}

/* --- The poller's bound ------------------------------------------------------ */

/* A place that comes free goes straight to the plug that waited longest,
 * unless the bound was lowered meanwhile. */
static struct {
	unsigned max;
	unsigned in_flight, peak, waiting;
	unsigned round_trips;	/* clients' too */
	struct list_head queue; /* plugs, by gate_node */
} gate = {
	.max = 256,
	.queue = LIST_HEAD_INIT(gate.queue),
};

static void gate_count(void)
{
	if (gate.in_flight > gate.peak)
		gate.peak = gate.in_flight;
}

/* Whether p holds a place now; if not, it waits in the queue for one. */
bool plug_gate_take(struct plug *p)
{
	if (p->slot)
		return true;
	if (gate.in_flight >= gate.max) {
		if (!list_linked(&p->gate_node)) {
			list_insert_tail(&gate.queue, &p->gate_node);
			gate.waiting++;
		}
		return false;
	}
	p->slot = true;
	gate.in_flight++;
	gate_count();
	return true;
}

void plug_gate_leave(struct plug *p)
{
	if (list_linked(&p->gate_node)) {
		list_remove(&p->gate_node);
		gate.waiting--;
	}
}

/* Hand the waiting plugs the places there are: each runs on the next
 * iteration. */
static void gate_wake(void)
{
	while (gate.in_flight < gate.max && !list_empty(&gate.queue)) {
		struct plug *next = list_first(&gate.queue, struct plug, gate_node);

		plug_gate_leave(next);
		next->slot = true;
		gate.in_flight++;
		gate_count();
		plug_kick(next);
	}
}

void plug_gate_give(struct plug *p)
{
	if (!p->slot)
		return;
	p->slot = false;
	gate.in_flight--;
	gate_wake();
}

void plug_set_poll_limit(unsigned max)
{
	gate.max = max ? max : 1;
	gate_wake();
}

void plug_totals(struct plug_totals *ret)
{
	*ret = (struct plug_totals){
		.in_flight = gate.round_trips,
		.polls_in_flight = gate.in_flight,
		.polls_peak = gate.peak,
		.polls_waiting = gate.waiting,
	};
}

struct loop_watchset *plugshare_watchset(void)
{
	return shared.ws;
}

struct loop_timerset *plugshare_timers(void)
{
	return shared.timers;
}

void plug_gate_round_trips(int delta)
{
	gate.round_trips += (unsigned)delta;
}
