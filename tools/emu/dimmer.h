/* SPDX-License-Identifier: MIT */
/* kasa-emu: a dimmer's module, smartlife.iot.dimmer, and what its sysinfo
 * adds (dimmer.c); request.c dispatches to it. */
#ifndef EMU_DIMMER_H
#define EMU_DIMMER_H

struct json_object;

/* sysinfo's preferred_state: the app's four presets (owned). */
struct json_object *dimmer_presets(void);
/* set_brightness: a level 1..100 into *level, else -3 and *level as it
 * was, as firmware refuses 0 (result, owned). */
struct json_object *dimmer_set_brightness(int *level, struct json_object *params);
/* get_dimmer_parameters: how it fades, as an HS220 says it (owned). */
struct json_object *dimmer_parameters(void);

#endif
