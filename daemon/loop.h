/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one thread, sd-event underneath.  The only file that
 * includes <systemd/sd-event.h> is loop.c; everything else sees this.
 * Times are CLOCK_MONOTONIC microseconds: common/clock.h's monotonic_usec().
 */
#ifndef KASAD_LOOP_H
#define KASAD_LOOP_H

#include <stdint.h>

struct loop;
struct loop_source;

typedef void (*loop_io_cb_t)(struct loop_source *s, int fd, uint32_t revents, void *userdata);
typedef void (*loop_timer_cb_t)(struct loop_source *s, uint64_t now_usec, void *userdata);
typedef void (*loop_signal_cb_t)(struct loop_source *s, int signo, void *userdata);

int loop_new(struct loop **ret_loop);
void loop_free(struct loop *l);
/* Run until loop_exit(); returns the code given to it. */
int loop_run(struct loop *l);
void loop_exit(struct loop *l, int code);
/* One iteration: wait up to timeout_usec (UINT64_MAX: no limit), dispatch.
 * For programs that drive the loop themselves (the fuzz harnesses): a loop
 * that has run to loop_exit() cannot run again. */
int loop_iterate(struct loop *l, uint64_t timeout_usec);
/* The time of the current iteration (cheap), or now when not running. */
uint64_t loop_now(struct loop *l);
/* The clock read afresh: for measuring what happens within one iteration. */
uint64_t loop_clock(void);
/* Ping the watchdog from the loop when $WATCHDOG_USEC asks for it. */
int loop_enable_watchdog(struct loop *l);

/* Edge-triggered (EPOLLET): the source is told once per change, so its
 * callback must read or write until the descriptor would block.  With
 * many sockets ready at once this keeps each iteration from collecting
 * them all again: the loop dispatches one source per iteration. */
#define LOOP_IO_EDGE (1u << 31)

/* Watch fd for events (EPOLLIN/EPOLLOUT bits, LOOP_IO_EDGE); fd may be -1
 * (disabled). */
int loop_io_add(struct loop *l, int fd, uint32_t events, loop_io_cb_t cb, void *userdata,
		struct loop_source **ret_source);
/*
 * Point the source at fd for events; events 0 or fd -1 disables it (and
 * frees what sd-event holds for it: a disabled source costs little).  Always
 * re-registers, so a closed descriptor whose number came back for a new
 * socket is watched correctly.
 */
int loop_io_set(struct loop_source *s, int fd, uint32_t events);

/* A one-shot timer at an absolute time; 0 means disarmed. */
int loop_timer_add(struct loop *l, uint64_t usec, loop_timer_cb_t cb, void *userdata,
		   struct loop_source **ret_source);
int loop_timer_set(struct loop_source *s, uint64_t usec);
/* How late the timer may fire (1 ms unless set), so that timers due close
 * together share one wake-up. */
int loop_timer_set_accuracy(struct loop_source *s, uint64_t usec);

/* Work for the next iteration, before the loop waits again: armed with
 * loop_defer_arm(), it runs once per arming. */
int loop_defer_add(struct loop *l, loop_timer_cb_t cb, void *userdata,
		   struct loop_source **ret_source);
void loop_defer_arm(struct loop_source *s);

/* Blocks the signal and delivers it through the loop. */
int loop_signal_add(struct loop *l, int signo, loop_signal_cb_t cb, void *userdata,
		    struct loop_source **ret_source);

/* Accepts NULL. */
void loop_source_free(struct loop_source *s);

/* --- Watch sets ---------------------------------------------------------------
 * Many sockets under one source of the loop: an epoll set of the set's
 * own, whose ready sockets are dispatched together in one iteration, with
 * nothing allocated per socket (the caller embeds a struct loop_watch).
 * For the thousands of plugs' kept sockets: an sd-event source each cost
 * 296 bytes, and an iteration (an epoll_wait) each reply.
 *
 * A socket is told apart by its generation, which the caller changes with
 * each new socket: a closed socket leaves the set on its own, and a new one
 * may take its number.  Hence the rule: stop watching a socket while it is
 * open, or after it closed (the same fd and generation say which).
 */
struct loop_watchset;
struct loop_watch;
typedef void (*loop_watch_cb_t)(struct loop_watch *w, uint32_t revents);

struct loop_watch {
	loop_watch_cb_t cb;
	int fd;		 /* watched; -1: nothing */
	uint32_t events; /* EPOLLIN/EPOLLOUT bits, LOOP_IO_EDGE */
	unsigned gen;
};

#define LOOP_WATCH_INIT(callback)                                                                  \
	(struct loop_watch)                                                                        \
	{                                                                                          \
		.cb = (callback), .fd = -1                                                         \
	}

int loop_watchset_new(struct loop *l, struct loop_watchset **ret_set);
/* Accepts NULL.  Its watches must have stopped. */
void loop_watchset_free(struct loop_watchset *ws);
/*
 * Watch fd (of generation gen) for events; fd -1 or events 0 stops.  A
 * socket watched already is changed in place (nothing at all when its
 * events are the same); a new one (another fd or generation) is added, the
 * old one having left the set when it closed; stopping an open socket (the
 * same fd and generation) removes it.  Events of a socket no longer
 * watched are not delivered, even within the same iteration.
 */
int loop_watch_set(struct loop_watchset *ws, struct loop_watch *w, int fd, uint32_t events,
		   unsigned gen);

/* --- Timer sets (loop-timers.c) ------------------------------------------------
 * Many timers under one timer of the loop's: a binary heap, earliest first,
 * whose timers due at a wake-up all run in it, with nothing allocated per
 * timer (the caller embeds a struct loop_timer, and reserves room in the
 * set for it).  For the thousands of plugs' polls and deadlines: an sd-event
 * timer each cost 296 bytes, and a reordering of sd-event's own timers at
 * every change.
 */
struct loop_timerset;
struct loop_timer;
typedef void (*loop_timer_fire_cb_t)(struct loop_timer *t, uint64_t now_usec);

struct loop_timer {
	loop_timer_fire_cb_t cb;
	uint64_t at;	/* due at; 0: stopped */
	uint64_t slack; /* how late it may run */
	size_t index;	/* in the set's heap, from 1; 0: not in it */
};

#define LOOP_TIMER_INIT(callback)                                                                  \
	(struct loop_timer)                                                                        \
	{                                                                                          \
		.cb = (callback)                                                                   \
	}

int loop_timerset_new(struct loop *l, struct loop_timerset **ret_set);
/* Accepts NULL.  Its timers must have stopped. */
void loop_timerset_free(struct loop_timerset *ts);
/* Room for n timers at once (never less than there is): -ENOMEM. */
int loop_timerset_reserve(struct loop_timerset *ts, size_t n);
/*
 * t due at at (0: stopped), at most slack late: the set's one timer waits
 * for the earliest, as late as its slack allows, and runs every timer due
 * by then.  A timer runs once per start, stopped as it runs, and may be
 * started again (or others started and stopped) from its callback.  The
 * set must have room (loop_timerset_reserve()): this cannot fail.
 */
void loop_timer_start(struct loop_timerset *ts, struct loop_timer *t, uint64_t at,
		      uint64_t slack);

#endif
