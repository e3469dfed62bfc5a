/* SPDX-License-Identifier: MIT */
/* Keeping the plugs' clocks right (timesync.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/macro.h"
#include "log.h"
#include "loop.h"
#include "plug.h"
#include "registry.h"
#include "service.h"
#include "timesync.h"

/* The shortest spacing of two checks of the round. */
#define SPACING_MIN_USEC (50 * USEC_PER_MSEC)

struct timesync {
	struct loop *loop;
	struct service *svc;
	struct registry *reg;
	struct service_watch *watch;
	struct loop_source *timer;
	bool enabled;
	unsigned *choice; /* per device index, for generation */
	size_t n_choice;
	uint64_t generation;
	bool *was_online; /* per device index, for generation */
	size_t cursor;	  /* the round's next device */
	unsigned busy;	  /* checks under way */
};

/* One check: its device's name, to find it again when the plug answers. */
struct check {
	struct timesync *t;
	char name[64];
	bool set; /* the clock was set: this is the answer to that */
};

/* Whether d's plug is to be kept right, and d is the one to do it: a plug
 * is checked through its first device. */
static bool wanted(const struct timesync *t, const struct device *d)
{
	unsigned c = d->index < t->n_choice ? t->choice[d->index] : 0;

	if (c == 2 || (c == 0 && !t->enabled))
		return false;
	return d->first_on_plug == d;
}

static void start(struct timesync *t, const struct device *d, bool set);

/* A clock just read: set it when it is off, or in another zone than the
 * one time_zone gives (the plug would keep summer time by another rule). */
static void check_clock(struct timesync *t, const struct device *d)
{
	const struct plug_state *st = service_state(d);
	int zone = service_settings(t->svc)->time_zone;
	int64_t off;

	if (!service_clock_offset(d, loop_now(t->loop), &off))
		return;
	if (off > TIMESYNC_TOLERANCE_S || off < -TIMESYNC_TOLERANCE_S) {
		log_dev(LOG_NOTICE, d->name, "time_sync: the clock is %lld s %s; setting it",
			(long long)(off < 0 ? -off : off), off < 0 ? "behind" : "ahead");
		start(t, d, true);
	} else if (zone >= 0 && st->clock_zone != zone) {
		log_dev(LOG_NOTICE, d->name, "time_sync: the zone is %d, not %d; setting it",
			st->clock_zone, zone);
		start(t, d, true);
	}
}

static void on_done(const struct device *d, const struct service_result *res, void *userdata)
{
	struct check *c = userdata;
	struct timesync *t = c->t;

	t->busy--;
	if (res->error < 0)
		log_dev(LOG_INFO, d->name, "time_sync: %s the clock: %s",
			c->set ? "cannot set" : "cannot read", kasa_strerror(res->error));
	else if (!c->set)
		check_clock(t, d);
	free(c);
}

static void start(struct timesync *t, const struct device *d, bool set)
{
	struct service_action a = {.verb = set ? SERVICE_TIME_SET : SERVICE_TIME, .zone = -1};
	struct check *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return;
	c->t = t;
	c->set = set;
	snprintf(c->name, sizeof(c->name), "%s", d->name);
	r = service_act(t->svc, d, &a, on_done, c, NULL, NULL);
	if (r == 0) {
		t->busy++;
		return;
	}
	free(c);
	if (r != SERVICE_CACHED)
		log_dev(LOG_INFO, d->name, "time_sync: cannot check the clock: %s",
			kasa_strerror(r));
}

/* The registry changed: the per-device flags are another generation's.
 * At start every plug is offline until its first answer; after a reload,
 * each is as it is. */
static void follow(struct timesync *t)
{
	size_t n = registry_count(t->reg);
	bool *w = calloc(n ? n : 1, sizeof(*w));
	bool first = !t->was_online;

	if (!w)
		return;
	free(t->was_online);
	t->was_online = w;
	for (size_t i = 0; i < n && !first; i++)
		w[i] = plug_state(registry_device(t->reg, i)->plug)->online;
	t->generation = registry_generation(t->reg);
	t->cursor = 0;
}

/* A plug back online: its clock at once (a power cut loses it). */
static void on_change(const struct device *d, void *userdata)
{
	struct timesync *t = userdata;
	bool online = service_state(d)->online;

	if (t->generation != registry_generation(t->reg))
		follow(t);
	if (!t->was_online || d->index >= registry_count(t->reg) ||
	    registry_device(t->reg, d->index) != d)
		return;
	if (online && !t->was_online[d->index] && wanted(t, d))
		start(t, d, false);
	t->was_online[d->index] = online;
}

/* The round: one device a tick, all of them once an interval. */
static void on_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	struct timesync *t = userdata;
	size_t n;
	uint64_t spacing;

	if (t->generation != registry_generation(t->reg))
		follow(t);
	n = registry_count(t->reg);
	spacing = n ? TIMESYNC_INTERVAL_USEC / n : TIMESYNC_INTERVAL_USEC;
	if (spacing < SPACING_MIN_USEC)
		spacing = SPACING_MIN_USEC;
	if (t->cursor < n) {
		const struct device *d = registry_device(t->reg, t->cursor++);

		if (wanted(t, d) && plug_state(d->plug)->online)
			start(t, d, false);
	} else {
		t->cursor = 0;
	}
	loop_timer_set(s, now + spacing);
}

int timesync_configure(struct timesync *t, const struct timesync_settings *s)
{
	unsigned *c = NULL;

	if (s->n) {
		c = calloc(s->n, sizeof(*c));
		if (!c)
			return -ENOMEM;
		memcpy(c, s->device_choice, s->n * sizeof(*c));
	}
	free(t->choice);
	t->choice = c;
	t->n_choice = s->n;
	t->enabled = s->enabled;
	return 0;
}

int timesync_new(struct loop *l, struct service *svc, const struct timesync_settings *s,
		 struct timesync **ret)
{
	struct timesync *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->loop = l;
	t->svc = svc;
	t->reg = service_registry(svc);
	r = timesync_configure(t, s);
	if (r >= 0)
		r = service_watch(svc, on_change, t, &t->watch);
	/* The first round begins a minute after the start: the plugs come
	 * online meanwhile, and each is checked as it does. */
	if (r >= 0)
		r = loop_timer_add(l, loop_now(l) + USEC_PER_MIN, on_timer, t, &t->timer);
	if (r < 0) {
		timesync_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

void timesync_free(struct timesync *t)
{
	if (!t)
		return;
	service_unwatch(t->watch);
	loop_source_free(t->timer);
	free(t->choice);
	free(t->was_online);
	free(t);
}
