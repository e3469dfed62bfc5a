/* SPDX-License-Identifier: MIT */
/*
 * GET /events: Server-Sent Events that follow the devices' cached state.
 *
 * Each stream begins with one "device" event per device (the snapshot),
 * then a "snapshot" event, then a "device" event each time a plug's cache
 * is written (a poll, a switch, a plug going on- or offline), and a comment
 * line every EVENTS_HEARTBEAT_USEC so that clients and proxies can tell a
 * quiet stream from a dead one.  After a reload, a "reset" event and a new
 * snapshot.  The data of a "device" event is what GET /devices/NAME gives.
 *
 * Streams are few (EVENTS_STREAMS_MAX) and each has a bounded queue: a
 * client that stops reading is dropped when it fills.
 */
#ifndef KASAD_EVENTS_H
#define KASAD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#define EVENTS_STREAMS_MAX    32
#define EVENTS_BUFFER_MAX     (128 * 1024)
#define EVENTS_HEARTBEAT_USEC (15 * 1000000ULL)

struct events;
struct http_request;
struct loop;
struct service;

/* Watches the registry's plugs (registry_set_observer()); devices are
 * rendered with render.c. */
int events_new(struct loop *l, struct service *svc, struct events **ret_events);
/* After the HTTP server has gone (its streams with it).  Accepts NULL. */
void events_free(struct events *e);

/* Answer req with a stream.  On failure req is not answered: -EBUSY when
 * EVENTS_STREAMS_MAX are open, -ESHUTDOWN when stopping, -ENOMEM. */
int events_open(struct events *e, struct http_request *req);
/* The inventory may have changed (a reload): every stream gets a reset and
 * a new snapshot. */
void events_reset(struct events *e);
/* End every stream (shutting down); their clients see the body end. */
void events_stop(struct events *e);

#endif
