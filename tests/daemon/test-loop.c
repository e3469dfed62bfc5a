/* SPDX-License-Identifier: MIT */
/* daemon/loop.c: a timer's callback is told the time now; a watch set
 * serves every ready socket in one iteration, and never one it stopped
 * watching. */
#include <check.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

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

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_add_test(tc, test_timer_told_now);
	tcase_add_test(tc, test_watchset);
	suite_add_tcase(s, tc);
	return test_run(s);
}
