/* SPDX-License-Identifier: MIT */
/*
 * The event streams of GET /events.
 *
 * A device's event is rendered once and written to every stream.  The
 * snapshot at the start of a stream is written as the client takes it, a
 * few devices at a time (when the queue has drained), so that a thousand
 * devices need no bigger queue than ten; meanwhile a device's change goes
 * to the stream only if the snapshot has passed that device already (the
 * snapshot will carry the newer state otherwise).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/list.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "registry.h"
#include "render.h"
#include "service.h"

/* The snapshot fills a stream's queue up to half, leaving the other half
 * for changes that come meanwhile. */
#define SNAPSHOT_FILL (EVENTS_BUFFER_MAX / 2)
#define SNAPSHOT_DONE SIZE_MAX

struct client {
	struct events *e;
	struct http_stream *st;
	struct list_node node; /* in events' clients */
	size_t snapshot_next;  /* the next device of the snapshot, or SNAPSHOT_DONE */
	bool dropped;
};

struct events {
	struct loop *loop;
	struct registry *reg;
	struct service_watch *watch;
	struct list_head clients;
	unsigned n_clients;
	struct loop_source *heartbeat;
	bool stopping;
};

/* "event: device\ndata: {...}\n\n", owned; NULL when out of memory. */
static char *device_event(struct events *e, const struct device *d, size_t *ret_len)
{
	struct json_object *o = render_device(d->name, d->plug, d->outlet, loop_now(e->loop));
	const char *json;
	size_t len;
	char *ev = NULL;
	int n;

	json = o ? json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len) : NULL;
	/* Plain JSON has no raw newline, so one data line carries it all. */
	if (json) {
		n = asprintf(&ev, "event: device\ndata: %s\n\n", json);
		if (n < 0)
			ev = NULL;
		else
			*ret_len = (size_t)n;
	}
	json_object_put(o);
	return ev;
}

static void drop(struct client *c, const char *why)
{
	if (c->dropped)
		return;
	c->dropped = true;
	log_info("events: dropping a stream: %s (%zu bytes waiting)", why,
		 http_stream_queued(c->st));
	http_stream_end(c->st, true);
}

/* Write, or drop a client whose queue is full. */
static void emit(struct client *c, const char *data, size_t len)
{
	int r;

	if (c->dropped)
		return;
	r = http_stream_write(c->st, data, len);
	if (r == -ENOBUFS)
		drop(c, "the client does not read");
}

/* Go on with the snapshot while the queue has room. */
static void snapshot_fill(struct client *c)
{
	struct events *e = c->e;
	size_t n = registry_count(e->reg);
	char end[64];
	int len;

	while (!c->dropped && c->snapshot_next < n) {
		size_t queued = http_stream_queued(c->st), ev_len;
		char *ev;

		if (queued >= SNAPSHOT_FILL)
			return;
		ev = device_event(e, registry_device(e->reg, c->snapshot_next), &ev_len);
		if (!ev) {
			drop(c, "out of memory");
			return;
		}
		/* One event over the mark goes when the queue is empty. */
		if (queued > 0 && queued + ev_len > SNAPSHOT_FILL) {
			free(ev);
			return;
		}
		emit(c, ev, ev_len);
		free(ev);
		c->snapshot_next++;
	}
	if (c->snapshot_next == n) {
		c->snapshot_next = SNAPSHOT_DONE;
		len = snprintf(end, sizeof(end), "event: snapshot\ndata: {\"devices\":%zu}\n\n", n);
		emit(c, end, (size_t)len);
	}
}

static void on_drain(struct http_stream *st, void *userdata)
{
	struct client *c = userdata;

	if (c->snapshot_next != SNAPSHOT_DONE)
		snapshot_fill(c);
}

static void on_end(struct http_stream *st, void *userdata)
{
	struct client *c = userdata;
	struct events *e = c->e;

	list_remove(&c->node);
	e->n_clients--;
	log_debug("events: a stream ended, %u open", e->n_clients);
	if (e->n_clients == 0)
		loop_timer_set(e->heartbeat, 0);
	free(c);
}

/* A device's state changed: an event for every stream whose snapshot has
 * passed it. */
static void on_change(const struct device *d, void *userdata)
{
	struct events *e = userdata;
	struct client *c;
	size_t len;
	char *ev;

	if (list_empty(&e->clients))
		return;
	ev = device_event(e, d, &len);
	list_foreach_safe(c, &e->clients, node) {
		if (!ev)
			drop(c, "out of memory");
		else if (c->snapshot_next == SNAPSHOT_DONE || d->index < c->snapshot_next)
			emit(c, ev, len);
	}
	free(ev);
}

static void on_heartbeat(struct loop_source *s, uint64_t now, void *userdata)
{
	static const char beat[] = ": keep-alive\n\n";
	struct events *e = userdata;
	struct client *c;

	list_foreach_safe(c, &e->clients, node)
		emit(c, beat, sizeof(beat) - 1);
	loop_timer_set(s, list_empty(&e->clients) ? 0 : now + EVENTS_HEARTBEAT_USEC);
}

int events_open(struct events *e, struct http_request *req)
{
	static const char *const headers[] = {
		/* Tell buffering proxies (nginx) to pass events on at once. */
		"X-Accel-Buffering",
		"no",
		NULL,
	};
	/* How long an EventSource waits before it reconnects. */
	static const char hello[] = "retry: 2000\n\n";
	struct http_stream_options o = {
		.buffer_max = EVENTS_BUFFER_MAX,
		.on_drain = on_drain,
		.on_end = on_end,
	};
	struct client *c;
	int r;

	if (e->stopping)
		return -ESHUTDOWN;
	if (e->n_clients >= EVENTS_STREAMS_MAX)
		return -EBUSY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->e = e;
	o.userdata = c;
	r = http_reply_stream(req, 200, "text/event-stream; charset=utf-8", headers, &o, &c->st);
	if (r < 0) {
		free(c);
		return r;
	}
	list_insert_head(&e->clients, &c->node);
	if (e->n_clients++ == 0)
		loop_timer_set(e->heartbeat, loop_now(e->loop) + EVENTS_HEARTBEAT_USEC);
	log_debug("events: a stream began, %u open", e->n_clients);
	emit(c, hello, sizeof(hello) - 1);
	snapshot_fill(c);
	return 0;
}

void events_reset(struct events *e)
{
	static const char reset[] = "event: reset\ndata: {}\n\n";
	struct client *c;

	list_foreach_safe(c, &e->clients, node) {
		emit(c, reset, sizeof(reset) - 1);
		c->snapshot_next = 0;
		snapshot_fill(c);
	}
}

void events_stop(struct events *e)
{
	struct client *c;

	e->stopping = true;
	list_foreach_safe(c, &e->clients, node)
		http_stream_end(c->st, false);
}

int events_new(struct loop *l, struct service *svc, struct events **ret_events)
{
	struct events *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	e->loop = l;
	e->reg = service_registry(svc);
	list_head_init(&e->clients);
	r = loop_timer_add(l, 0, on_heartbeat, e, &e->heartbeat);
	if (r >= 0)
		r = service_watch(svc, on_change, e, &e->watch);
	if (r < 0) {
		loop_source_free(e->heartbeat);
		free(e);
		return r;
	}
	*ret_events = e;
	return 0;
}

void events_free(struct events *e)
{
	struct client *c;

	if (!e)
		return;
	/* Streams still open belong to a server that is gone with them. */
	list_foreach_safe(c, &e->clients, node)
		free(c);
	service_unwatch(e->watch);
	loop_source_free(e->heartbeat);
	free(e);
}
