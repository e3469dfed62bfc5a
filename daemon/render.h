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
struct strbuf;

/* The device NAME, the plug p or (outlet >= 0) one of its outlets, as
 * GET /devices/NAME gives it; now dates the cache's ages. */
struct json_object *render_device(const char *name, const struct plug *p, int outlet, uint64_t now);
/* The same from the plug's address and cached state. */
struct json_object *render_device_state(const char *name, const char *host, uint16_t port,
					const struct plug_state *st, int outlet, uint64_t now);
/*
 * A device's answer rendered once per change of its plug's state (struct
 * plug's version) and sent as the same bytes until the next, with its ages
 * (age_ms, the meter's age_ms) filled in at each send.  A zeroed struct is
 * empty; render_cached_clear() empties one.
 */
struct render_cached {
	uint64_t version; /* the plug's when rendered */
	char *text;	  /* the answer, "\n" ended, without its ages */
	size_t len;
	unsigned n_cuts;  /* where the ages go, and what they count from */
	size_t cut[2];
	uint64_t then[2];
};

/* GET /devices/NAME's body into *ret_body (owned), rendering it again
 * first when p changed since c was; the same bytes as render_device() and
 * a line feed. */
int render_device_cached(struct render_cached *c, const char *name, const struct plug *p,
			 int outlet, uint64_t now, char **ret_body, size_t *ret_len);
/* The same appended to b, with its line feed when newline; b's error. */
int render_device_cached_append(struct render_cached *c, const char *name, const struct plug *p,
				int outlet, uint64_t now, bool newline, struct strbuf *b);
void render_cached_clear(struct render_cached *c);

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

/* render-rules.c: GET /devices/NAME/countdown's answer from the count_down
 * table (pending, and how long remains), /schedule's from the schedule
 * table, /time's from the cached clock (now: the loop's clock; wall_usec:
 * kasad's wall clock, see service_wall_usec()). */
struct kasa_rules;
struct json_object *render_countdown(const char *name, const struct kasa_rules *rules);
struct json_object *render_schedule(const char *name, const struct kasa_rules *rules);
struct json_object *render_time(const char *name, const struct plug_state *st, uint64_t now,
				int64_t wall_usec);

#endif
