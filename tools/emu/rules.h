/* SPDX-License-Identifier: MIT */
/* kasa-emu: count_down and schedule rule tables (rules.c). */
#ifndef EMU_RULES_H
#define EMU_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "emu.h"

struct json_object;

struct emu_rules {
	struct json_object *list[EMU_RULES_MAX]; /* owned */
	unsigned count;
	unsigned max;
	unsigned next_id;
	uint64_t id_seed;
};

void rules_init(struct emu_rules *r, unsigned max, uint64_t id_seed);
void rules_clear(struct emu_rules *r);
/* Method results, each with its err_code; NULL when the method is unknown. */
struct json_object *rules_call(struct emu_rules *r, const char *method, struct json_object *params,
			       bool with_version);

#endif
