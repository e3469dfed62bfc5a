/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics: the plugs' state, the daemon's counters and the process's
 * basics in the Prometheus text exposition format, version 0.0.4.
 *
 * Counters are kept where they arise: each plug's round trips, failures and
 * refresh durations in plug.c and plug-outcome.c, the HTTP answers here.
 * The HTTP table is the process's one (there is one server); the server
 * counts every answer http.c gives (http_on_answer()), by route template,
 * method and status, all of them bounded sets, so the table never grows
 * with what clients send.
 */
#ifndef KASAD_METRICS_H
#define KASAD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

struct registry;

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Count one answer.  route is a route template such as
 * "/devices/{name}/on" that lives as long as the process (a string
 * literal), or NULL when no route matched the path.
 */
void metrics_count_http(const char *route, enum http_method method, unsigned status);
/* The MQTT bridge's state and counts, kept here as the HTTP counts are: the
 * bridge writes them (one per process), /metrics and /healthz read them. */
struct metrics_mqtt {
	bool enabled;	     /* there is an [mqtt] section */
	bool connected;	     /* the broker accepted the connection */
	uint64_t received;   /* messages from the broker */
	uint64_t sent;	     /* messages published */
	uint64_t refused;    /* messages from the broker refused: unknown, malformed, big */
	uint64_t reconnects; /* connections after the first */
};
struct metrics_mqtt *metrics_mqtt(void);
/* Discovery's, likewise: discovery.c writes them. */
struct metrics_discovery {
	bool enabled;	   /* discovery goes somewhere */
	uint64_t rounds;   /* begun */
	uint64_t answers;  /* datagrams read as answers, repeats included */
	uint64_t moves;	   /* plugs named by their MAC found at another address */
	size_t discovered; /* devices that answered and the inventory lacks */
};
struct metrics_discovery *metrics_discovery(void);

/* Forget every HTTP count. */
void metrics_reset(void);

/*
 * Everything, as exposition text.  now_usec and start_usec are
 * CLOCK_MONOTONIC (loop_now()): the present and when kasad started.
 * *ret_text is owned (free()) and NUL-terminated.  -ENOMEM.
 */
int metrics_render(struct registry *reg, uint64_t now_usec, uint64_t start_usec, char **ret_text,
		   size_t *ret_len);

/*
 * s as the inside of a label value: backslash, double quote and line feed
 * escaped, and every byte that is not part of well-formed UTF-8 replaced
 * by U+FFFD (a plug's alias can hold anything).  Owned; NULL on ENOMEM.
 */
char *metrics_label_value(const char *s);

#endif
