/* SPDX-License-Identifier: MIT */
/* kasa-emu: the epoll loop, timers and deferred frees (loop.c). */
#ifndef EMU_LOOP_H
#define EMU_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/list.h"

struct emu_watch {
	int fd;
	void (*cb)(struct emu_watch *w, uint32_t events);
};

struct emu_timer {
	uint64_t when; /* CLOCK_MONOTONIC usec */
	size_t slot;   /* position in the heap, valid while armed */
	bool armed;
	void (*cb)(struct emu_timer *t);
};

/* Runs once the current batch of events is handled, so that a callback can
 * end an object other events of the same batch still point to. */
struct emu_defer {
	struct list_node node;
	void (*cb)(struct emu_defer *d);
};

int loop_init(void);
void loop_done(void);
int loop_add(struct emu_watch *w, uint32_t events);
int loop_mod(struct emu_watch *w, uint32_t events);
void loop_del(struct emu_watch *w);
/* Arm (or re-arm) t to fire at when; timers are one-shot. */
int loop_timer_arm(struct emu_timer *t, uint64_t when);
void loop_timer_cancel(struct emu_timer *t);
void loop_defer(struct emu_defer *d);
/* Run until loop_quit(); -errno if epoll fails. */
int loop_run(void);
void loop_quit(void);

#endif
