/* SPDX-License-Identifier: MIT */
/*
 * The device service over plug I/O: a verb of a device becomes a job of
 * its plug, the cache answers reads while it is fresh enough, and the
 * plug's changes reach every watcher device by device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/list.h"
#include "config.h"
#include "loop.h"
#include "plug.h"
#include "ratelimit.h"
#include "service.h"

/* The size of the switch rate table: a bucket is 40 bytes, and only plugs
 * switched lately take one (crowded, the one used longest ago gives way,
 * which only makes the limit more lenient). */
#define SERVICE_SWITCH_SLOTS 16384

struct service_watch {
	service_change_t cb;
	void *userdata;
	struct list_node node; /* in svc->watches */
};

struct service {
	struct loop *loop;
	struct registry *reg;
	struct service_settings set;
	struct rate_limit *switches; /* per plug */
	struct list_head watches;    /* in the order they came */
};

/* An action waiting on a plug.  It keeps a copy of the device, not the
 * device (see service_done_t). */
struct service_call {
	struct plug_waiter *waiter;
	struct device dev;
	char name[CONFIG_NAME_MAX];
	service_done_t cb;
	void *userdata;
};

static void on_change(struct device *d, void *userdata)
{
	struct service *svc = userdata;
	struct service_watch *w;

	/* A watcher may let go of itself. */
	list_foreach_safe(w, &svc->watches, node)
		w->cb(d, w->userdata);
}

int service_new(struct loop *l, struct registry *reg, const struct service_settings *s,
		struct service **ret_service)
{
	struct service *svc = calloc(1, sizeof(*svc));

	if (!svc)
		return -ENOMEM;
	list_head_init(&svc->watches);
	svc->loop = l;
	svc->reg = reg;
	svc->set = *s;
	if (rate_limit_new(SERVICE_SWITCH_SLOTS, &svc->switches) < 0) {
		free(svc);
		return -ENOMEM;
	}
	registry_set_observer(reg, on_change, svc);
	*ret_service = svc;
	return 0;
}

void service_free(struct service *svc)
{
	struct service_watch *w;

	if (!svc)
		return;
	registry_set_observer(svc->reg, NULL, NULL);
	list_foreach_safe(w, &svc->watches, node)
		service_unwatch(w);
	rate_limit_free(svc->switches);
	free(svc);
}

void service_configure(struct service *svc, const struct service_settings *s)
{
	svc->set = *s;
}

const struct service_settings *service_settings(const struct service *svc)
{
	return &svc->set;
}

struct registry *service_registry(struct service *svc)
{
	return svc->reg;
}

const struct plug_state *service_state(const struct device *d)
{
	return plug_state(d->plug);
}

/* --- Reads: the cache or the plug ----------------------------------------- */

static bool fresh(const struct service *svc, const struct plug_state *st, uint64_t now)
{
	return st->known && st->usec && now - st->usec <= svc->set.cache_max_age_usec;
}

static bool emeter_fresh(const struct service *svc, const struct plug_state *st, uint64_t now)
{
	return fresh(svc, st, now) && st->emeter_known &&
	       now - st->emeter_usec <= svc->set.cache_max_age_usec;
}

/* A plug the poller has given up on for now: reads answer from the cache at
 * once (saying it is offline) instead of waiting a timeout each. */
static bool known_offline(const struct plug_state *st)
{
	return !st->online && st->misses > 0;
}

/* Whether the cache answers read a of d now. */
static bool cache_answers(const struct service *svc, const struct device *d,
			  const struct service_action *a)
{
	const struct plug_state *st = plug_state(d->plug);
	uint64_t now = loop_now(svc->loop);

	if (a->fresh)
		return false;
	switch (a->verb) {
	case SERVICE_READ:
		return fresh(svc, st, now) || known_offline(st);
	case SERVICE_READ_RELAY:
		/* ON/OFF of a plug that never answered would be a guess: ask it,
		 * so that the client gets its error instead. */
		return st->known && (fresh(svc, st, now) || known_offline(st));
	case SERVICE_READ_EMETER:
		return emeter_fresh(svc, st, now);
	default:
		return false;
	}
}

/* --- Actions --------------------------------------------------------------- */

/* The plug's job for action a of d. */
static struct plug_job_args job_for(const struct service *svc, const struct device *d,
				    const struct service_action *a)
{
	struct plug_job_args j = {.outlet = d->outlet, .on = a->on};

	switch (a->verb) {
	case SERVICE_READ:
	case SERVICE_READ_RELAY:
	case SERVICE_READ_EMETER:
		/* A refresh reads the whole plug: every device on it gains. */
		j.kind = PLUG_JOB_REFRESH;
		j.outlet = -1;
		break;
	case SERVICE_SWITCH:
		j.kind = PLUG_JOB_RELAY;
		break;
	case SERVICE_TOGGLE:
		j.kind = PLUG_JOB_TOGGLE;
		break;
	case SERVICE_LED:
		j.kind = PLUG_JOB_LED;
		j.outlet = -1;
		break;
	case SERVICE_BRIGHTNESS:
		/* An outlet of a strip stays one: it has no dimmer. */
		j.kind = PLUG_JOB_BRIGHTNESS;
		j.brightness = a->brightness;
		break;
	case SERVICE_ALIAS:
		j.kind = PLUG_JOB_ALIAS;
		snprintf(j.alias, sizeof(j.alias), "%s", a->alias);
		break;
	case SERVICE_REBOOT:
		j.kind = PLUG_JOB_REBOOT;
		j.outlet = -1;
		break;
	case SERVICE_DAILY:
		j.kind = PLUG_JOB_DAILY;
		j.year = a->year;
		j.month = a->month;
		break;
	case SERVICE_MONTHLY:
		j.kind = PLUG_JOB_MONTHLY;
		j.year = a->year;
		break;
	case SERVICE_COUNTDOWN:
		j.kind = PLUG_JOB_COUNTDOWN_GET;
		break;
	case SERVICE_COUNTDOWN_SET:
		j.kind = PLUG_JOB_COUNTDOWN_SET;
		j.seconds = a->seconds;
		break;
	case SERVICE_COUNTDOWN_CLEAR:
		j.kind = PLUG_JOB_COUNTDOWN_CLEAR;
		break;
	case SERVICE_SCHEDULE:
		j.kind = PLUG_JOB_SCHEDULE_GET;
		break;
	case SERVICE_SCHEDULE_ADD:
		j.kind = PLUG_JOB_SCHEDULE_ADD;
		j.rule = a->rule;
		break;
	case SERVICE_SCHEDULE_DELETE:
		j.kind = PLUG_JOB_SCHEDULE_DELETE;
		snprintf(j.rule_id, sizeof(j.rule_id), "%s", a->rule_id);
		break;
	case SERVICE_TIME:
	case SERVICE_TIME_SET:
		/* The clock is the whole plug's. */
		j.kind = a->verb == SERVICE_TIME ? PLUG_JOB_TIME_GET : PLUG_JOB_TIME_SET;
		j.outlet = -1;
		/* Unless told, kasad's zone (time_zone), as its clock is. */
		j.zone = a->zone >= 0 ? a->zone : svc->set.time_zone;
		if (a->verb == SERVICE_TIME_SET) {
			int64_t wall = service_wall_usec() / 1000000;
			time_t t = (time_t)wall;
			struct tm tm;

			gmtime_r(&t, &tm);
			j.time = (struct kasa_time){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
						    tm.tm_hour, tm.tm_min, tm.tm_sec};
		}
		break;
	}
	return j;
}

int64_t service_wall_usec(void)
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	localtime_r(&t, &tm);
	return ((int64_t)ts.tv_sec + tm.tm_gmtoff) * 1000000 + ts.tv_nsec / 1000;
}

bool service_clock_offset(const struct device *d, uint64_t now, int64_t *ret_s)
{
	return plug_state_clock_offset(plug_state(d->plug), now, service_wall_usec(), ret_s);
}

static bool switches(enum service_verb v)
{
	return v == SERVICE_SWITCH || v == SERVICE_TOGGLE;
}

static bool reads_meter(enum service_verb v)
{
	return v == SERVICE_READ_EMETER || v == SERVICE_DAILY || v == SERVICE_MONTHLY;
}

static void on_result(struct plug *p, const struct plug_result *pr, void *userdata)
{
	struct service_call *c = userdata;
	struct service_result res = {
		.error = pr->error,
		.device = pr->device,
		.n_stats = pr->n_stats,
		.stats = pr->stats,
		.rules = pr->rules,
	};

	c->waiter = NULL;
	c->cb(&c->dev, &res, c->userdata);
	free(c);
}

/* What the device is known not to have. */
static int refusal(const struct device *d, const struct service_action *a)
{
	const struct plug_state *st = plug_state(d->plug);

	if (reads_meter(a->verb) && st->known && !st->info.has_emeter)
		return API_ENOMETER;
	if (a->verb == SERVICE_BRIGHTNESS && st->known &&
	    (!st->info.has_brightness || d->outlet >= 0))
		return API_ENODIMMER;
	return 0;
}

bool service_cached(struct service *svc, const struct device *d, const struct service_action *a)
{
	return refusal(d, a) == 0 && cache_answers(svc, d, a);
}

int service_act(struct service *svc, const struct device *d, const struct service_action *a,
		service_done_t cb, void *userdata, struct service_call **ret_call,
		uint64_t *ret_wait_usec)
{
	struct plug_job_args job;
	struct service_call *c;
	int r;

	r = refusal(d, a);
	if (r < 0)
		return r;
	if (cache_answers(svc, d, a))
		return SERVICE_CACHED;
	/* Named by its MAC and not found yet: nowhere to ask. */
	if (!plug_host(d->plug))
		return API_ENOTFOUND;
	if (switches(a->verb) && svc->set.switch_rate) {
		uint64_t wait = rate_limit_take(svc->switches, &d->plug, sizeof(d->plug),
						svc->set.switch_rate / 60.0, svc->set.switch_burst,
						loop_now(svc->loop));

		if (wait) {
			if (ret_wait_usec)
				*ret_wait_usec = wait;
			return API_ESWITCH;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->name, sizeof(c->name), "%s", d->name);
	c->dev = (struct device){
		.name = c->name, .plug = d->plug, .outlet = d->outlet, .index = d->index};
	c->cb = cb;
	c->userdata = userdata;
	job = job_for(svc, d, a);
	r = plug_submit(d->plug, &job, svc->set.request_timeout_usec, on_result, c, &c->waiter);
	if (r < 0) {
		free(c);
		return r;
	}
	if (ret_call)
		*ret_call = c;
	return 0;
}

void service_call_cancel(struct service_call *c)
{
	if (!c)
		return;
	plug_waiter_cancel(c->waiter);
	free(c);
}

/* --- Watchers ---------------------------------------------------------------- */

int service_watch(struct service *svc, service_change_t cb, void *userdata,
		  struct service_watch **ret_watch)
{
	struct service_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->cb = cb;
	w->userdata = userdata;
	list_insert_tail(&svc->watches, &w->node);
	if (ret_watch)
		*ret_watch = w;
	return 0;
}

void service_unwatch(struct service_watch *w)
{
	if (!w)
		return;
	list_remove(&w->node);
	free(w);
}
