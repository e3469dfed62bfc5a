/* SPDX-License-Identifier: MIT */
/* kasa-emu: count_down and schedule rule tables, and their running (rules.c). */
#ifndef EMU_RULES_H
#define EMU_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "emu.h"
#include "loop.h"

struct json_object;
struct emu_rules;

/* What the rules do to their device. */
struct emu_rules_hooks {
	/* Switch the outlets of mask on or off. */
	void (*fire)(void *owner, uint32_t mask, bool on);
	/* The device's wall clock: microseconds since the epoch, its own. */
	int64_t (*wall_usec)(void *owner);
	void *owner;
};

struct emu_rule {
	struct json_object *obj; /* owned */
	uint32_t mask;		 /* the outlets it acts on */
	struct emu_timer timer;	 /* a countdown's expiry */
	uint64_t due;		 /* monotonic usec; 0 when not counting */
	struct emu_rules *owner;
};

struct emu_rules {
	struct emu_rule *list[EMU_RULES_MAX]; /* owned */
	unsigned count;
	unsigned max;
	unsigned next_id;
	uint64_t id_seed;
	bool countdown;		/* count_down: one rule an outlet, no version */
	struct emu_timer minute; /* schedule: the next minute to look at */
	struct emu_rules_hooks hooks;
};

void rules_init(struct emu_rules *r, unsigned max, uint64_t id_seed, bool countdown,
		const struct emu_rules_hooks *hooks);
/* Drops every rule and its timers. */
void rules_clear(struct emu_rules *r);
/* Method results, each with its err_code; NULL when the method is unknown.
 * mask: the outlets the request's context named, or all of them. */
struct json_object *rules_call(struct emu_rules *r, const char *method, struct json_object *params,
			       uint32_t mask);
/* The device's clock was set: the schedule looks at its new minutes. */
void rules_clock_changed(struct emu_rules *r);
/* Whether an enabled rule is in the table. */
bool rules_pending(const struct emu_rules *r);

#endif
