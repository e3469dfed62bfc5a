/* SPDX-License-Identifier: MIT */
/*
 * The JSON of a device, an emeter reading and a history, written once for
 * every front door (the REST answers, the event streams).  The views of the
 * cached state it renders from are plugstate.h's.
 *
 * Every struct json_object returned is owned by the caller; strings are
 * borrowed from the state they came from.
 */
#ifndef KASAD_RENDER_H
#define KASAD_RENDER_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;
struct kasa_emeter;
struct kasa_outlet;
struct kasa_stats;
struct plug;
struct plug_state;

/* The device NAME, the plug p or (outlet >= 0) one of its outlets, as
 * GET /devices/NAME gives it; now dates the cache's ages. */
struct json_object *render_device(const char *name, const struct plug *p, int outlet, uint64_t now);
/* The same from the plug's address and cached state. */
struct json_object *render_device_state(const char *name, const char *host, uint16_t port,
					const struct plug_state *st, int outlet, uint64_t now);
/* The state a device publishes over MQTT, flat for Home Assistant's
 * templates: {"state":"ON"|"OFF"} and, where there is a meter, "power" (W),
 * "voltage" (V), "current" (A) and "energy" (kWh, the meter's total), and
 * with rssi the plug's "rssi" (dBm).  NULL while the relay is not known. */
struct json_object *render_mqtt_state(const struct plug_state *st, int outlet, bool rssi);
/* A meter's reading em of a device on the plug whose state is st, age_usec
 * old.  What a SMART meter does not say (voltage, current, total) is null,
 * and it adds today's and this month's energy. */
struct json_object *render_emeter(const struct plug_state *st, const struct kasa_emeter *em,
				  uint64_t age_usec);
/* The daily (of month in year) or monthly (of year) energy the plug gave
 * as n lists, one per outlet (a strip's whole is their sum). */
struct json_object *render_history(const char *name, int year, int month, bool daily,
				   const struct kasa_stats *stats, unsigned n);

#endif
