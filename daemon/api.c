/* SPDX-License-Identifier: MIT */
/*
 * The REST API (v1): the handlers of the routes in routes.c, but for a
 * device's own verbs (api-verbs.c) and what the plug keeps (api-rules.c),
 * which act through this file (api-private.h); the request bodies they
 * take are read by devbody.c and rulebody.c.  Who may ask is
 * admission.c's to say, every error becomes an answer through errors.c,
 * and devices, readings and histories are rendered by render.c.
 *
 * A request acts through the device service (service.c): when the plug is
 * asked, the request waits while its HTTP connection is suspended, and
 * answers when the plug does, or when its deadline passes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/strbuf.h"
#include "common/macro.h"
#include "admission.h"
#include "api-private.h"
#include "api.h"
#include "config.h"
#include "discovery.h"
#include "errors.h"
#include "events.h"
#include "history.h"
#include "http.h"
#include "loop.h"
#include "metrics.h"
#include "plug.h"
#include "registry.h"
#include "render.h"
#include "routes.h"
#include "service.h"
#include "web.h"

struct api {
	struct loop *loop;
	struct service *svc;
	struct registry *reg;
	struct api_settings set;
	bool stopping;
	uint64_t started_usec;
	struct admission *admission;
	struct events *events;
	struct discovery *discovery; /* borrowed; NULL: none */
	struct history *history;
	/* GET /devices/NAME's answers, by device index, for the registry's
	 * generation cache_generation. */
	struct render_cached *cache;
	size_t n_cache;
	uint64_t cache_generation;
	/* The last of them given, as libmicrohttpd sends it: the next request
	 * for the same device in the same turn of the loop (the same ages)
	 * gets the same answer, not one of its own.  Of cache_generation
	 * (cache_clear() drops it). */
	struct {
		struct http_shared *answer;
		size_t index;
		uint64_t version, now;
	} last;
};

/* A request waiting on a plug through the device service. */
struct call {
	struct api *api;
	struct http_request *req;
	struct service_call *sc;
	char name[CONFIG_NAME_MAX]; /* the device's, for the request's abort */
	enum api_answer answer;
	enum service_verb verb;
	int year, month;
};

/* --- Answers ------------------------------------------------------------- */

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *device_json(struct api *a, const struct device *d)
{
	return render_device(d->name, d->plug, d->outlet, loop_now(a->loop));
}

static void cache_clear(struct api *a)
{
	http_shared_free(a->last.answer);
	a->last.answer = NULL;
	for (size_t i = 0; i < a->n_cache; i++)
		render_cached_clear(&a->cache[i]);
	free(a->cache);
	a->cache = NULL;
	a->n_cache = 0;
}

/* d's cached answer; NULL for a device that is not the registry's own (a
 * copy the device service made) or when out of memory. */
static struct render_cached *cache_of(struct api *a, const struct device *d)
{
	uint64_t gen = registry_generation(a->reg);

	if (d->index >= registry_count(a->reg) || registry_device(a->reg, d->index) != d)
		return NULL;
	if (a->cache_generation != gen || !a->cache) {
		cache_clear(a);
		a->cache = calloc(registry_count(a->reg), sizeof(*a->cache));
		if (!a->cache)
			return NULL;
		a->n_cache = registry_count(a->reg);
		a->cache_generation = gen;
	}
	return &a->cache[d->index];
}

/* GET /devices/NAME: the same bytes from one change of the plug to the
 * next, with the ages of now. */
static void reply_device(struct api *a, struct http_request *req, const struct device *d)
{
	struct render_cached *c = cache_of(a, d);
	uint64_t now = loop_now(a->loop), version = plug_version(d->plug);
	char *body;
	size_t len;

	if (!c) {
		errors_reply_json(req, 200, device_json(a, d), NULL);
		return;
	}
	if (a->last.answer && a->last.index == d->index && a->last.version == version &&
	    a->last.now == now) {
		http_reply_shared(req, 200, a->last.answer);
		return;
	}
	if (render_device_cached(c, d->name, d->plug, d->outlet, now, &body, &len) < 0) {
		errors_reply(req, -ENOMEM, d->name, NULL, NULL);
		return;
	}
	http_shared_free(a->last.answer);
	a->last.answer = http_shared_new("application/json", body, len);
	if (!a->last.answer) {
		errors_reply(req, -ENOMEM, d->name, NULL, NULL);
		return;
	}
	a->last.index = d->index;
	a->last.version = version;
	a->last.now = now;
	http_reply_shared(req, 200, a->last.answer);
}

static void reply_state_text(struct http_request *req, bool on)
{
	char *body = strdup(on ? "ON" : "OFF");

	http_reply(req, 200, "text/plain; charset=utf-8", body, body ? strlen(body) : 0, NULL);
}

static void reply_emeter(struct api *a, struct http_request *req, const struct device *d)
{
	const struct plug_state *st = service_state(d);
	struct kasa_emeter em;
	struct json_object *o;

	if (st->known && !st->info.has_emeter) {
		errors_reply(req, API_ENOMETER, d->name, NULL, NULL);
		return;
	}
	if (!plug_state_emeter(st, d->outlet, &em)) {
		errors_reply(req, -EBADMSG, d->name, NULL, "no reading from the plug yet");
		return;
	}
	o = render_emeter(st, &em, loop_now(a->loop) - st->emeter_usec);
	add(o, "device", json_object_new_string(d->name));
	errors_reply_json(req, 200, o, NULL);
}

/* --- Answers of the device service ----------------------------------------- */

/* The answer to d of what the cache or the plug now says. */
static void answer(struct api *a, struct http_request *req, const struct device *d,
		   enum api_answer answer, const struct service_result *res, int year, int month)
{
	struct json_object *o;

	switch (answer) {
	case API_ANSWER_DEVICE:
		reply_device(a, req, d);
		break;
	case API_ANSWER_STATE:
		reply_state_text(req, plug_state_on(service_state(d), d->outlet));
		break;
	case API_ANSWER_EMETER:
		reply_emeter(a, req, d);
		break;
	case API_ANSWER_DAILY:
	case API_ANSWER_MONTHLY:
		o = render_history(d->name, year, month, answer == API_ANSWER_DAILY, res->stats,
				   res->n_stats);
		errors_reply_json(req, 200, o, NULL);
		break;
	case API_ANSWER_OK:
		o = json_object_new_object();
		add(o, "ok", json_object_new_boolean(true));
		add(o, "device", json_object_new_string(d->name));
		errors_reply_json(req, 200, o, NULL);
		break;
	case API_ANSWER_COUNTDOWN:
		errors_reply_json(req, 200, render_countdown(d->name, res->rules), NULL);
		break;
	case API_ANSWER_SCHEDULE:
		errors_reply_json(req, 200, render_schedule(d->name, res->rules), NULL);
		break;
	case API_ANSWER_TIME:
		errors_reply_json(req, 200,
				  render_time(d->name, service_state(d), loop_now(a->loop),
					      service_wall_usec()),
				  NULL);
		break;
	}
}

/* What the plug's refusal of a rule means to the client. */
static void rule_error(struct service_result *res, enum service_verb verb)
{
	if (verb == SERVICE_SCHEDULE_DELETE && res->error == -ENOENT)
		res->error = API_ENORULE;
	else if (verb == SERVICE_SCHEDULE_ADD && res->error == -ENOSPC)
		res->error = API_ERULESFULL;
}

static void on_done(const struct device *d, const struct service_result *res, void *userdata)
{
	struct call *c = userdata;
	struct service_result mapped = *res;

	rule_error(&mapped, c->verb);
	if (res->error < 0)
		errors_reply_plug(c->req, d->name, &mapped);
	else
		answer(c->api, c->req, d, c->answer, res, c->year, c->month);
	free(c);
}

static void on_abort(struct http_request *req, enum http_abort why, void *userdata)
{
	struct call *c = userdata;

	if (why == HTTP_ABORT_TIMEOUT)
		errors_reply(req, -ETIMEDOUT, c->name, NULL, NULL);
	else
		errors_reply(req, -ESHUTDOWN, c->name, NULL, NULL);
	service_call_cancel(c->sc);
	free(c);
}

/* Act on d through the device service, and answer with what it comes to. */
void api_act(struct api *a, struct http_request *req, const struct device *d,
	     const struct service_action *action, enum api_answer ans)
{
	const struct service_settings *set = service_settings(a->svc);
	struct call *c;
	uint64_t wait = 0;
	int r;

	/* A cached read, most of what is asked: no call to set up. */
	if (service_cached(a->svc, d, action)) {
		answer(a, req, d, ans, &(struct service_result){0}, action->year, action->month);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		errors_reply(req, -ENOMEM, d->name, NULL, NULL);
		return;
	}
	*c = (struct call){.api = a,
			   .req = req,
			   .answer = ans,
			   .verb = action->verb,
			   .year = action->year,
			   .month = action->month};
	snprintf(c->name, sizeof(c->name), "%s", d->name);
	r = service_act(a->svc, d, action, on_done, c, &c->sc, &wait);
	if (r == 0) {
		http_request_on_abort(req, on_abort, c);
		return;
	}
	free(c);
	if (r == SERVICE_CACHED)
		answer(a, req, d, ans, &(struct service_result){0}, action->year, action->month);
	else if (r == API_ESWITCH)
		errors_reply_limited(req, API_ESWITCH, d->name, wait,
				     "more than %u state changes a minute for this plug (bursts "
				     "of %u); try again in %.1f s",
				     set->switch_rate, set->switch_burst,
				     (double)wait / USEC_PER_SEC);
	else
		errors_reply(req, r, d->name, NULL, NULL);
}

/* --- Request bodies -------------------------------------------------------- */

static int parse_int_arg(const char *s, int lo, int hi, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* --- Routes ------------------------------------------------------------------ */

static bool want_fresh(struct http_request *req)
{
	const char *f = http_request_query(req, "fresh");

	return f && (streq(f, "1") || streq(f, "true") || streq(f, "yes") || !*f);
}

static void route_status(struct api *a, struct http_request *req, struct device *d,
			 enum api_answer ans)
{
	struct service_action action = {
		.verb = ans == API_ANSWER_STATE ? SERVICE_READ_RELAY : SERVICE_READ,
		.fresh = want_fresh(req),
	};

	api_act(a, req, d, &action, ans);
}

static void route_emeter(struct api *a, struct http_request *req, struct device *d, const char *sub)
{
	struct service_action action = {.verb = SERVICE_READ_EMETER, .fresh = want_fresh(req)};
	time_t t = time(NULL);
	struct tm tm;
	const char *y, *m;

	if (!sub) {
		api_act(a, req, d, &action, API_ANSWER_EMETER);
		return;
	}
	localtime_r(&t, &tm);
	action.year = tm.tm_year + 1900;
	action.month = tm.tm_mon + 1;
	y = http_request_query(req, "year");
	m = http_request_query(req, "month");
	if (y && parse_int_arg(y, 2000, 2100, &action.year) < 0) {
		errors_reply(req, API_EBADREQ, d->name, NULL,
			     "year must be 2000..2100, not '%.32s'", y);
		return;
	}
	if (streq(sub, "daily")) {
		if (m && parse_int_arg(m, 1, 12, &action.month) < 0) {
			errors_reply(req, API_EBADREQ, d->name, NULL,
				     "month must be 1..12, not '%.32s'", m);
			return;
		}
		action.verb = SERVICE_DAILY;
		api_act(a, req, d, &action, API_ANSWER_DAILY);
	} else {
		action.month = 0;
		action.verb = SERVICE_MONTHLY;
		api_act(a, req, d, &action, API_ANSWER_MONTHLY);
	}
}

/* --- The handlers of routes.c -------------------------------------------------- */

void api_route_healthz(struct api *a, struct http_request *req, struct device *d)
{
	struct json_object *o = json_object_new_object();
	uint64_t now = loop_now(a->loop);

	add(o, "status", json_object_new_string(a->stopping ? "stopping" : "ok"));
	add(o, "version", json_object_new_string(PACKAGE_VERSION));
	add(o, "uptime_s",
	    json_object_new_int64((int64_t)((now - a->started_usec) / USEC_PER_SEC)));
	add(o, "devices", json_object_new_int64((int64_t)registry_count(a->reg)));
	add(o, "online", json_object_new_int64((int64_t)registry_online(a->reg)));
	if (metrics_mqtt()->enabled) {
		const struct metrics_mqtt *m = metrics_mqtt();
		struct json_object *x = json_object_new_object();

		add(x, "connected", json_object_new_boolean(m->connected));
		add(x, "received", json_object_new_int64((int64_t)m->received));
		add(x, "sent", json_object_new_int64((int64_t)m->sent));
		add(x, "refused", json_object_new_int64((int64_t)m->refused));
		add(x, "reconnects", json_object_new_int64((int64_t)m->reconnects));
		add(o, "mqtt", x);
	}
	errors_reply_json(req, a->stopping ? 503 : 200, o, NULL);
}

void api_route_events(struct api *a, struct http_request *req, struct device *d)
{
	int r;

	if (http_request_method(req) == HTTP_HEAD) {
		http_reply(req, 200, "text/event-stream; charset=utf-8", NULL, 0, NULL);
		return;
	}
	r = events_open(a->events, req);
	if (r < 0)
		errors_reply(req, r == -EBUSY ? API_ESTREAMS : r, NULL, NULL, NULL);
}

/* {"devices":[...]}: each device's answer as GET /devices/NAME has it. */
void api_route_list(struct api *a, struct http_request *req, struct device *d)
{
	struct strbuf b = STRBUF_INIT(SIZE_MAX / 2);
	size_t n = registry_count(a->reg), len;
	uint64_t now = loop_now(a->loop);
	char *body;
	int r = 0;

	strbuf_append(&b, "{\"devices\":[", 12);
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct device *x = registry_device(a->reg, i);
		struct render_cached *c = cache_of(a, x);

		if (i)
			strbuf_append(&b, ",", 1);
		r = c ? render_device_cached_append(c, x->name, x->plug, x->outlet, now, false, &b)
		      : -ENOMEM;
	}
	strbuf_append(&b, "]}\n", 3);
	if (r < 0 || b.error) {
		strbuf_free(&b);
		errors_reply(req, -ENOMEM, NULL, NULL, NULL);
		return;
	}
	body = strbuf_steal(&b, &len);
	errors_reply_large(req, http_reply(req, 200, "application/json", body, len, NULL));
}

/* {"discovered":[...]}: the plugs that answered discovery and are not in
 * the inventory (discovered.h). */
void api_route_discovered(struct api *a, struct http_request *req, struct device *d)
{
	struct json_object *o = a->discovery ? discovery_render(a->discovery, loop_now(a->loop))
					     : json_object_new_object();

	if (o && !a->discovery)
		add(o, "discovered", json_object_new_array());
	if (!o) {
		errors_reply(req, -ENOMEM, NULL, NULL, NULL);
		return;
	}
	errors_reply_json(req, 200, o, NULL);
}

void api_route_metrics(struct api *a, struct http_request *req, struct device *d)
{
	char *text;
	size_t len;
	int r = metrics_render(a->reg, loop_now(a->loop), a->started_usec, &text, &len);

	if (r < 0) {
		errors_reply(req, r, NULL, NULL, NULL);
		return;
	}
	errors_reply_large(req, http_reply(req, 200, METRICS_CONTENT_TYPE, text, len, NULL));
}

void api_route_file(struct api *a, struct http_request *req, struct device *d)
{
	web_reply(req, web_find(http_request_path(req)));
}

void api_route_status(struct api *a, struct http_request *req, struct device *d)
{
	route_status(a, req, d, API_ANSWER_DEVICE);
}

void api_route_state(struct api *a, struct http_request *req, struct device *d)
{
	route_status(a, req, d, API_ANSWER_STATE);
}

void api_route_emeter(struct api *a, struct http_request *req, struct device *d)
{
	route_emeter(a, req, d, NULL);
}

void api_route_daily(struct api *a, struct http_request *req, struct device *d)
{
	route_emeter(a, req, d, "daily");
}

void api_route_monthly(struct api *a, struct http_request *req, struct device *d)
{
	route_emeter(a, req, d, "monthly");
}

/* GET /devices/NAME/history?minutes=N: the power of the last N minutes
 * (60 unless told), one value a poll, from memory. */
void api_route_history(struct api *a, struct http_request *req, struct device *d)
{
	const struct plug_state *st = service_state(d);
	struct strbuf b = STRBUF_INIT(SIZE_MAX / 2);
	int max = (int)history_minutes_max(a->history), minutes = 60 < max ? 60 : max;
	const char *m = http_request_query(req, "minutes");
	char *body;
	size_t len;
	int r;

	if (st->known && !st->info.has_emeter) {
		errors_reply(req, API_ENOMETER, d->name, NULL, NULL);
		return;
	}
	if (m && (max < 1 || parse_int_arg(m, 1, max, &minutes) < 0)) {
		errors_reply(req, API_EBADREQ, d->name, NULL, "minutes must be 1..%d, not '%.32s'",
			     max, m);
		return;
	}
	r = history_render(a->history, d, (unsigned)minutes, loop_now(a->loop), (int64_t)time(NULL),
			   &b);
	if (r < 0) {
		strbuf_free(&b);
		if (r == -ENOENT)
			errors_reply(req, -ENOTSUP, d->name, NULL,
				     "kasad keeps no history (history = off)");
		else
			errors_reply(req, r, d->name, NULL, NULL);
		return;
	}
	body = strbuf_steal(&b, &len);
	errors_reply_large(req, http_reply(req, 200, "application/json", body, len, NULL));
}

/* --- Dispatch ------------------------------------------------------------------ */

/* What the HTTP layer refused before any route saw it; 0 for nothing. */
static int refusal_error(enum http_refusal r)
{
	switch (r) {
	case HTTP_REFUSE_URL:
		return API_EURLBIG;
	case HTTP_REFUSE_HEADERS:
		return API_EHDRBIG;
	case HTTP_REFUSE_BODY:
		return API_ETOOBIG;
	case HTTP_REFUSE_FRAMING:
		return API_EFRAMING;
	case HTTP_REFUSE_CODING:
		return API_ECODING;
	case HTTP_REFUSE_HOST:
		return API_EBADHOST;
	case HTTP_REFUSE_PATH:
		return API_EBADPATH;
	case HTTP_REFUSE_NONE:
		break;
	}
	return 0;
}

/*
 * /devices/NAME/outlets/N[/...]: outlet N of the strip NAME, with every
 * route a device has.  Takes "outlets/N" out of p and returns N; -1 when
 * the path is no such view, -EINVAL when N is not an outlet's number.
 */
static int outlet_view(struct route_path *p)
{
	const char *n;
	char *end;
	long v;

	if (p->n < 4 || strcmp(p->part[0], "devices") || strcmp(p->part[2], "outlets"))
		return -1;
	n = p->part[3];
	v = strtol(n, &end, 10);
	if (!isdigit((unsigned char)n[0]) || *end || (n[0] == '0' && n[1]) || v < 0 ||
	    v >= KASA_OUTLETS_MAX)
		return -EINVAL;
	for (unsigned i = 2; i + 2 < p->n; i++)
		p->part[i] = p->part[i + 2];
	p->n -= 2;
	return (int)v;
}

void api_handle(struct http_request *req, void *userdata)
{
	struct api *a = userdata;
	const char *path = http_request_path(req);
	int refused = refusal_error(http_request_refusal(req));
	struct device *d = NULL, view;
	int outlet;
	struct route_match m;
	struct route_path p;

	if (refused) {
		errors_reply(req, refused, NULL, NULL, NULL);
		return;
	}
	if (routes_split(path, &p) < 0) {
		errors_reply(req, API_ENOROUTE, NULL, NULL, "no such route");
		return;
	}
	outlet = outlet_view(&p);
	if (outlet == -EINVAL) {
		errors_reply(req, API_ENOROUTE, NULL, NULL, "an outlet is a number from 0 to %d",
			     KASA_OUTLETS_MAX - 1);
		return;
	}
	routes_match(http_request_method(req), path, &p, &m);
	http_request_set_route(req, m.template);
	if (!admission_admit(a->admission, &a->set, req, m.scope, loop_now(a->loop)))
		return;
	if (a->stopping && !m.while_stopping) {
		errors_reply(req, -ESHUTDOWN, NULL, NULL, NULL);
		return;
	}
	if (m.name && !(d = registry_find(a->reg, m.name))) {
		errors_reply(req, API_ENODEV, m.name, NULL, "no device named '%.64s'", m.name);
		return;
	}
	if (outlet >= 0) {
		const struct plug_state *st = d ? service_state(d) : NULL;

		if (!d || d->outlet >= 0 ||
		    (st->known && (unsigned)outlet >= st->info.outlet_count)) {
			errors_reply(req, API_ENODEV, m.name, NULL, "'%.64s' has no outlet %d",
				     m.name ? m.name : "", outlet);
			return;
		}
		/* The strip's device, seen as one of its outlets; handlers do
		 * not keep it beyond the call. */
		view = *d;
		view.outlet = outlet;
		view.next_on_plug = NULL;
		d = &view;
	}
	if (m.route)
		m.route->handler(a, req, d);
	else if (m.error == API_EMETHOD)
		errors_reply(req, API_EMETHOD, d ? d->name : NULL, m.allow, NULL);
	else
		errors_reply(req, API_ENOROUTE, NULL, NULL, "no route %.128s", path);
}

/* --- Life ---------------------------------------------------------------- */

int api_new(struct loop *l, struct service *svc, const struct api_settings *s, struct api **ret_api)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->loop = l;
	a->svc = svc;
	a->reg = service_registry(svc);
	a->set = *s;
	a->started_usec = loop_now(l);
	if (admission_new(&a->admission) < 0 || events_new(l, svc, &a->events) < 0 ||
	    history_new(l, svc, &(struct history_settings){s->history_usec, s->history_step_usec},
			&a->history) < 0) {
		api_free(a);
		return -ENOMEM;
	}
	*ret_api = a;
	return 0;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	admission_free(a->admission);
	events_free(a->events);
	history_free(a->history);
	cache_clear(a);
	free(a);
}

void api_configure(struct api *a, const struct api_settings *s)
{
	a->set = *s;
	/* A reload: the inventory may be another one. */
	events_reset(a->events);
	history_configure(a->history,
			  &(struct history_settings){s->history_usec, s->history_step_usec});
}

void api_set_discovery(struct api *a, struct discovery *d)
{
	a->discovery = d;
}

void api_set_stopping(struct api *a)
{
	a->stopping = true;
	events_stop(a->events);
}
