/* SPDX-License-Identifier: MIT */
/* daemon/loop.c: a timer's callback is told the time now; a watch set
 * serves every ready socket in one iteration, and never one it stopped
 * watching.  daemon/loop-timers.c: a timer set runs its due timers in
 * order, once each, those started and stopped by the callbacks too. */
#include <check.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../common/macro.h"
#include "../../daemon/loop.h"
#include "../lib/test-util.h"

static uint64_t told;

static void on_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	told = now;
}

/* A timer allowed to be late (or set in the past) fires after its time:
 * the callback is told when it runs, not when it was due. */
START_TEST(test_timer_told_now)
{
	struct loop *l;
	struct loop_source *t;
	uint64_t before;

	ck_assert_int_eq(loop_new(&l), 0);
	before = loop_clock();
	ck_assert_int_eq(loop_timer_add(l, 1, on_timer, NULL, &t), 0);
	told = 0;
	ck_assert_int_ge(loop_iterate(l, 1000000), 0);
	ck_assert_uint_ge(told, before);
	loop_source_free(t);
	loop_free(l);
}
END_TEST

struct watched {
	struct loop_watch w;
	int fd[2];
	unsigned calls;
	struct loop_watchset *ws;
	struct watched *stop; /* the one this one's callback stops watching */
};

static void on_ready(struct loop_watch *w, uint32_t revents)
{
	struct watched *x = (struct watched *)w;

	x->calls++;
	ck_assert(revents & EPOLLIN);
	if (x->stop)
		ck_assert_int_eq(loop_watch_set(x->ws, &x->stop->w, x->stop->w.fd, 0, 1), 0);
}

static void watched_init(struct watched *x, struct loop_watchset *ws)
{
	*x = (struct watched){.w = LOOP_WATCH_INIT(on_ready), .ws = ws};
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, x->fd), 0);
	ck_assert_int_eq(loop_watch_set(ws, &x->w, x->fd[0], EPOLLIN, 1), 0);
	ck_assert_int_eq(write(x->fd[1], "x", 1), 1);
}

static void watched_done(struct watched *x)
{
	close(x->fd[0]);
	close(x->fd[1]);
}

/* Two ready sockets, one iteration: both served (level-triggered, they
 * would be served again, so one iteration it must be).  Then the first to
 * be served stops the other: its event, in the same batch, is dropped. */
START_TEST(test_watchset)
{
	struct loop *l;
	struct loop_watchset *ws;
	struct watched a, b;

	ck_assert_int_eq(loop_new(&l), 0);
	ck_assert_int_eq(loop_watchset_new(l, &ws), 0);
	watched_init(&a, ws);
	watched_init(&b, ws);
	ck_assert_int_ge(loop_iterate(l, 1000000), 0);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_uint_eq(b.calls, 1);

	/* Each stops the other: whichever goes first, the other is not told. */
	a.stop = &b;
	b.stop = &a;
	ck_assert_int_ge(loop_iterate(l, 1000000), 0);
	ck_assert_uint_eq(a.calls + b.calls, 3);
	ck_assert_int_eq(a.w.fd == -1 || b.w.fd == -1, 1);

	/* Watching the same socket for the same events again changes nothing;
	 * a new generation of the same number is registered afresh. */
	a.stop = b.stop = NULL;
	ck_assert_int_eq(loop_watch_set(ws, &a.w, a.fd[0], EPOLLIN, 1), 0);
	ck_assert_int_eq(loop_watch_set(ws, &b.w, b.fd[0], EPOLLIN, 2), 0);
	ck_assert_int_ge(loop_iterate(l, 1000000), 0);
	ck_assert_uint_eq(a.calls + b.calls, 5);
	ck_assert_int_eq(loop_watch_set(ws, &a.w, a.fd[0], 0, 1), 0);
	ck_assert_int_eq(loop_watch_set(ws, &b.w, b.fd[0], 0, 2), 0);
	watched_done(&a);
	watched_done(&b);
	loop_watchset_free(ws);
	loop_free(l);
}
END_TEST

/* --- Timer sets --------------------------------------------------------------- */

#define TIMERS 200

struct timed {
	struct loop_timer t;
	struct loop_timerset *ts;
	uint64_t due;	/* what it was started for; 0: stopped */
	unsigned fired;
	struct timed *stop, *again; /* what its callback stops, or starts again */
};

static uint64_t fired_last;
static unsigned fired_total, fired_out_of_order;

static void on_timed(struct loop_timer *t, uint64_t now)
{
	struct timed *x = container_of(t, struct timed, t);

	ck_assert_uint_eq(t->at, 0); /* stopped as it runs */
	ck_assert_uint_le(x->due, now);
	if (x->due < fired_last)
		fired_out_of_order++;
	fired_last = x->due;
	fired_total++;
	x->fired++;
	x->due = 0;
	if (x->stop) {
		loop_timer_start(x->ts, &x->stop->t, 0, 0);
		x->stop->due = 0;
	}
	if (x->again) {
		x->again->due = now + 1000;
		loop_timer_start(x->ts, &x->again->t, x->again->due, 0);
		x->again = NULL;
	}
}

/* Iterate until no timer of x is due any more (at most 5 s). */
static void run_until_done(struct loop *l, struct timed *x, size_t n)
{
	uint64_t end = loop_clock() + 5000000;
	bool pending = true;

	while (pending && loop_clock() < end) {
		ck_assert_int_ge(loop_iterate(l, 100000), 0);
		pending = false;
		for (size_t i = 0; i < n; i++)
			pending |= x[i].due != 0;
	}
	ck_assert_msg(!pending, "timers still due after 5 s");
}

/* Timers started, moved and stopped in a shuffled order all run once, in
 * the order of their times, and a stopped one never. */
START_TEST(test_timerset_order)
{
	static struct timed x[TIMERS];
	struct loop_timerset *ts;
	struct loop *l;
	uint64_t base, seed = 88172645463325252ULL;
	unsigned want = 0;

	ck_assert_int_eq(loop_new(&l), 0);
	ck_assert_int_eq(loop_timerset_new(l, &ts), 0);
	ck_assert_int_eq(loop_timerset_reserve(ts, TIMERS), 0);
	base = loop_clock();
	for (size_t i = 0; i < TIMERS; i++) {
		x[i] = (struct timed){.t = LOOP_TIMER_INIT(on_timed), .ts = ts};
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		/* Within 50 ms, some at the same time. */
		x[i].due = base + 1 + (seed % 50) * 1000;
		loop_timer_start(ts, &x[i].t, x[i].due, 0);
	}
	/* Move every third, stop every seventh. */
	for (size_t i = 0; i < TIMERS; i += 3) {
		x[i].due = base + 1 + ((i * 7919) % 60) * 1000;
		loop_timer_start(ts, &x[i].t, x[i].due, 0);
	}
	for (size_t i = 0; i < TIMERS; i += 7) {
		x[i].due = 0;
		loop_timer_start(ts, &x[i].t, 0, 0);
	}
	for (size_t i = 0; i < TIMERS; i++)
		want += x[i].due != 0;
	fired_last = 0;
	fired_total = fired_out_of_order = 0;
	run_until_done(l, x, TIMERS);
	ck_assert_uint_eq(fired_total, want);
	ck_assert_uint_eq(fired_out_of_order, 0);
	for (size_t i = 0; i < TIMERS; i++)
		ck_assert_uint_eq(x[i].fired, i % 7 == 0 ? 0 : 1);
	loop_timerset_free(ts);
	loop_free(l);
}
END_TEST

/* Due in one wake-up: a callback stops a timer due after it, which does not
 * run, and starts itself again, which runs later. */
START_TEST(test_timerset_callbacks)
{
	struct timed x[3];
	struct loop_timerset *ts;
	struct loop *l;
	uint64_t now;

	ck_assert_int_eq(loop_new(&l), 0);
	ck_assert_int_eq(loop_timerset_new(l, &ts), 0);
	ck_assert_int_eq(loop_timerset_reserve(ts, 3), 0);
	now = loop_clock();
	for (size_t i = 0; i < 3; i++) {
		x[i] = (struct timed){.t = LOOP_TIMER_INIT(on_timed), .ts = ts};
		x[i].due = now - 3 + i; /* all due already, 0 first */
		loop_timer_start(ts, &x[i].t, x[i].due, 0);
	}
	x[0].stop = &x[1];
	x[0].again = &x[0];
	fired_last = 0;
	fired_total = fired_out_of_order = 0;
	run_until_done(l, x, 3);
	ck_assert_uint_eq(x[0].fired, 2);
	ck_assert_uint_eq(x[1].fired, 0);
	ck_assert_uint_eq(x[2].fired, 1);
	loop_timerset_free(ts);
	loop_free(l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_add_test(tc, test_timer_told_now);
	tcase_add_test(tc, test_watchset);
	tcase_add_test(tc, test_timerset_order);
	tcase_add_test(tc, test_timerset_callbacks);
	suite_add_tcase(s, tc);
	return test_run(s);
}
