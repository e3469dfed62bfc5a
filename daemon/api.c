/* SPDX-License-Identifier: MIT */
/*
 * The REST API (v1).  Routes are matched here, bodies parsed here, and
 * every error becomes an HTTP answer through errors[] below, nowhere else.
 *
 * A request that needs the plug becomes a call: it waits on the plug's
 * queue (plugio.c) while its HTTP connection is suspended, and answers when
 * the plug does, or when its deadline passes.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "api.h"
#include "config.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "plugio.h"
#include "registry.h"
#include "util.h"
#include "web.h"

/* Errors of the API's own, beside the -errno values plugs give. */
#define API_EBADREQ  (-10001)
#define API_ENOROUTE (-10002)
#define API_ENODEV   (-10003)
#define API_EMETHOD  (-10004)
#define API_ETOOBIG  (-10005)
#define API_ENOMETER (-10006)
#define API_ESTREAMS (-10007)

static const struct api_error {
	int error;
	unsigned status;
	const char *code;
	const char *message; /* when the caller gives none */
} errors[] = {
	{API_EBADREQ, 400, "bad_request", "bad request"},
	{API_ENOROUTE, 404, "not_found", "no such route"},
	{API_ENODEV, 404, "no_such_device", "no such device"},
	{API_ENOMETER, 404, "not_supported", "this device has no energy meter"},
	{API_EMETHOD, 405, "method_not_allowed", "method not allowed"},
	{API_ETOOBIG, 413, "body_too_large", "request body too large"},
	{-ENOBUFS, 503, "queue_full", "too many requests waiting for this plug"},
	{API_ESTREAMS, 503, "too_many_streams", "too many event streams are open"},
	{-ESHUTDOWN, 503, "shutting_down", "kasad is stopping"},
	{-ETIMEDOUT, 504, "timeout", "the plug did not answer in time"},
	{-ECONNREFUSED, 502, "refused", "the plug refused the connection"},
	{-ECONNRESET, 502, "connection_reset", "the plug closed the connection"},
	{-EHOSTUNREACH, 502, "unreachable", "the plug is unreachable"},
	{-ENETUNREACH, 502, "unreachable", "the plug's network is unreachable"},
	{-EPROTO, 502, "bad_frame", "the plug sent a malformed frame"},
	{-EMSGSIZE, 502, "reply_too_large", "the plug's reply is over the size cap"},
	{-EBADMSG, 502, "bad_reply", "the plug's reply is not what was asked for"},
	{-ENOTSUP, 404, "not_supported", "the plug does not support this"},
	{-ENOSYS, 502, "device_error", "the plug does not know this method"},
	{-EINVAL, 502, "device_error", "the plug rejected an argument"},
	{-ENOSPC, 502, "device_error", "a table on the plug is full"},
	{-EREMOTEIO, 502, "device_error", "the plug reported an error"},
	{-ENOENT, 502, "no_such_outlet", "the plug has no such outlet"},
	{-ENXIO, 502, "unresolved", "the plug's host name does not resolve"},
	{-EAGAIN, 502, "resolver_failed", "the plug's host name could not be looked up"},
	{-ENOMEM, 500, "internal", "out of memory"},
};

struct api {
	struct loop *loop;
	struct registry *reg;
	struct api_settings set;
	bool stopping;
	uint64_t started_usec;
	struct events *events;
};

enum answer {
	ANSWER_DEVICE, /* the device's state */
	ANSWER_STATE,  /* ON or OFF as text, for Home Assistant */
	ANSWER_EMETER,
	ANSWER_DAILY,
	ANSWER_MONTHLY,
	ANSWER_OK, /* {"ok":true} plus the device */
};

/* A request waiting on a plug.  It keeps copies, not the device: a reload
 * may free the device while the plug (which answers -ESHUTDOWN when it goes)
 * lives on. */
struct call {
	struct api *api;
	struct http_request *req;
	struct plug *plug;
	struct plug_waiter *waiter;
	char name[CONFIG_NAME_MAX];
	int outlet;
	enum answer answer;
	int year, month;
	bool emeter_retry; /* an emeter read that needed the sysinfo first */
};

/* --- Answers ------------------------------------------------------------- */

static void reply_json(struct http_request *req, unsigned status, struct json_object *o,
		       const char *const *headers)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	char *body = s ? malloc(len + 2) : NULL;

	if (body) {
		memcpy(body, s, len);
		body[len++] = '\n';
		body[len] = '\0';
	}
	json_object_put(o);
	if (!body) {
		http_reply(req, 500, NULL, NULL, 0, NULL);
		return;
	}
	http_reply(req, status, "application/json", body, len, headers);
}

static const struct api_error *find_error(int error)
{
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++)
		if (errors[i].error == error)
			return &errors[i];
	return NULL;
}

static void reply_error(struct http_request *req, int error, const char *device, const char *allow,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The one place an error becomes an answer. */
static void reply_error(struct http_request *req, int error, const char *device, const char *allow,
			const char *fmt, ...)
{
	static const struct api_error fallback = {0, 502, "plug_error", "the plug failed"};
	const struct api_error *e = find_error(error);
	const char *headers[5] = {NULL};
	struct json_object *o = json_object_new_object();
	char message[256];
	size_t h = 0;

	if (!e)
		e = &fallback;
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(message, sizeof(message), fmt, ap);
		va_end(ap);
	} else if (e == &fallback) {
		snprintf(message, sizeof(message), "%s", kasa_strerror(error));
	} else {
		snprintf(message, sizeof(message), "%s", e->message);
	}
	json_object_object_add(o, "error", json_object_new_string(e->code));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (device)
		json_object_object_add(o, "device", json_object_new_string(device));
	if (e->status == 405 && allow) {
		headers[h++] = "Allow";
		headers[h++] = allow;
	}
	if (e->status == 503) {
		headers[h++] = "Retry-After";
		headers[h++] = "1";
	}
	reply_json(req, e->status, o, headers);
}

/* A plug's failure, with what the plug itself said when it refused. */
static void reply_plug_error(struct http_request *req, const char *device,
			     const struct plug_result *res)
{
	const struct api_error *e = find_error(res->error);
	const char *base = e ? e->message : kasa_strerror(res->error);

	if (res->device.code != 0)
		reply_error(req, res->error, device, NULL, "%s: err_code %d%s%s", base,
			    res->device.code, res->device.msg[0] ? ", " : "", res->device.msg);
	else
		reply_error(req, res->error, device, NULL, NULL);
}

/* --- The state as JSON ------------------------------------------------------ */

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static int64_t age_ms(uint64_t now, uint64_t then)
{
	return now > then ? (int64_t)((now - then) / USEC_PER_MSEC) : 0;
}

/* A reading with the digits that mean something (1 mW, 1 mV, 0.1 mA, 1 Wh),
 * not json-c's 17 significant ones. */
static struct json_object *num(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static struct json_object *emeter_json(const struct kasa_emeter *em, uint64_t age_usec)
{
	struct json_object *o = json_object_new_object();

	add(o, "power_w", num(em->power_w, 3));
	add(o, "voltage_v", num(em->voltage_v, 3));
	add(o, "current_a", num(em->current_a, 4));
	add(o, "total_kwh", num(em->total_kwh, 3));
	add(o, "age_ms", json_object_new_int64((int64_t)(age_usec / USEC_PER_MSEC)));
	return o;
}

/* The reading of a device: one outlet's, a plug's, or a strip's sum (the
 * voltage is the outlets' average: they share one supply). */
static bool device_emeter(const struct plug_state *st, int outlet, struct kasa_emeter *ret)
{
	const struct kasa_sysinfo *in = &st->info;

	if (!st->known || !in->has_emeter || !st->emeter_known)
		return false;
	if (in->outlet_count == 0) {
		*ret = st->emeter;
		return true;
	}
	if (outlet >= 0) {
		if ((unsigned)outlet >= in->outlet_count)
			return false;
		*ret = st->outlet_emeter[outlet];
		return true;
	}
	memset(ret, 0, sizeof(*ret));
	for (unsigned i = 0; i < in->outlet_count; i++) {
		const struct kasa_emeter *e = &st->outlet_emeter[i];

		ret->power_w += e->power_w;
		ret->current_a += e->current_a;
		ret->total_kwh += e->total_kwh;
		ret->voltage_v += e->voltage_v / in->outlet_count;
	}
	return true;
}

static struct json_object *device_json(struct api *a, const char *name, struct plug *p, int outlet)
{
	const struct plug_state *st = plug_state(p);
	const struct kasa_sysinfo *in = &st->info;
	struct json_object *o = json_object_new_object();
	uint64_t now = loop_now(a->loop);
	struct kasa_emeter em;

	add(o, "name", json_object_new_string(name));
	add(o, "host", json_object_new_string(plug_host(p)));
	add(o, "port", json_object_new_int(plug_port(p)));
	if (outlet >= 0)
		add(o, "outlet", json_object_new_int(outlet));
	add(o, "online", json_object_new_boolean(st->online));
	if (!st->known) {
		add(o, "on", NULL);
		add(o, "age_ms", NULL);
		if (st->last_error)
			add(o, "last_error", json_object_new_string(st->last_error_text));
		return o;
	}
	if (outlet >= 0 && (unsigned)outlet >= in->outlet_count) {
		add(o, "on", NULL);
		add(o, "last_error", json_object_new_string("the plug has no such outlet"));
	} else {
		add(o, "on", json_object_new_boolean(plug_state_on(st, outlet)));
	}
	add(o, "age_ms", json_object_new_int64(st->usec ? age_ms(now, st->usec) : 0));
	if (outlet >= 0 && (unsigned)outlet < in->outlet_count) {
		const struct kasa_outlet *ou = &in->outlets[outlet];

		add(o, "alias", json_object_new_string(ou->alias));
		add(o, "on_time", ou->on ? json_object_new_int64(ou->on_time) : NULL);
		add(o, "strip_alias", json_object_new_string(in->alias));
	} else {
		add(o, "alias", json_object_new_string(in->alias));
		if (in->outlet_count == 0)
			add(o, "on_time", in->relay_on ? json_object_new_int64(in->on_time) : NULL);
	}
	add(o, "model", json_object_new_string(in->model));
	add(o, "hw_ver", json_object_new_string(in->hw_ver));
	add(o, "sw_ver", json_object_new_string(in->sw_ver));
	add(o, "mac", json_object_new_string(in->mac));
	add(o, "device_id", json_object_new_string(in->device_id));
	add(o, "rssi", json_object_new_int(in->rssi));
	add(o, "led", json_object_new_boolean(in->led_on));
	add(o, "has_emeter", json_object_new_boolean(in->has_emeter));
	if (outlet < 0 && in->outlet_count > 0) {
		struct json_object *list = json_object_new_array();

		for (unsigned i = 0; i < in->outlet_count; i++) {
			const struct kasa_outlet *ou = &in->outlets[i];
			struct json_object *x = json_object_new_object();

			add(x, "outlet", json_object_new_int((int)i));
			add(x, "alias", json_object_new_string(ou->alias));
			add(x, "on", json_object_new_boolean(ou->on));
			add(x, "on_time", ou->on ? json_object_new_int64(ou->on_time) : NULL);
			if (in->has_emeter && st->emeter_known)
				add(x, "power_w", num(st->outlet_emeter[i].power_w, 3));
			json_object_array_add(list, x);
		}
		add(o, "outlets", list);
	}
	if (device_emeter(st, outlet, &em))
		add(o, "emeter", emeter_json(&em, now - st->emeter_usec));
	if (!st->online && st->last_error)
		add(o, "last_error", json_object_new_string(st->last_error_text));
	return o;
}

static struct json_object *render_device(const struct device *d, void *userdata)
{
	return device_json(userdata, d->name, d->plug, d->outlet);
}

static struct json_object *stats_json(const struct call *c, const struct plug_result *res)
{
	bool daily = c->answer == ANSWER_DAILY;
	/* Sum the outlets' lists entry by entry (a strip's whole). */
	struct kasa_stat sum[KASA_STATS_MAX];
	unsigned n = 0;
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();

	for (unsigned k = 0; k < res->n_stats; k++) {
		const struct kasa_stats *s = &res->stats[k];

		for (unsigned i = 0; i < s->count; i++) {
			const struct kasa_stat *e = &s->entries[i];
			unsigned j;

			for (j = 0; j < n; j++)
				if (sum[j].year == e->year && sum[j].month == e->month &&
				    sum[j].day == e->day)
					break;
			if (j == n) {
				if (n == KASA_STATS_MAX)
					continue;
				sum[n] = *e;
				sum[n].energy_kwh = 0;
				n++;
			}
			sum[j].energy_kwh += e->energy_kwh;
		}
	}
	add(o, "device", json_object_new_string(c->name));
	add(o, "year", json_object_new_int(c->year));
	if (daily)
		add(o, "month", json_object_new_int(c->month));
	for (unsigned i = 0; i < n; i++) {
		struct json_object *x = json_object_new_object();

		if (!daily)
			add(x, "year", json_object_new_int(sum[i].year));
		add(x, daily ? "day" : "month",
		    json_object_new_int(daily ? sum[i].day : sum[i].month));
		add(x, "energy_kwh", num(sum[i].energy_kwh, 3));
		json_object_array_add(list, x);
	}
	add(o, daily ? "days" : "months", list);
	return o;
}

static void reply_state_text(struct http_request *req, bool on)
{
	char *body = strdup(on ? "ON" : "OFF");

	http_reply(req, 200, "text/plain; charset=utf-8", body, body ? strlen(body) : 0, NULL);
}

static void reply_emeter(struct api *a, struct http_request *req, const char *name, struct plug *p,
			 int outlet)
{
	const struct plug_state *st = plug_state(p);
	struct kasa_emeter em;
	struct json_object *o;

	if (st->known && !st->info.has_emeter) {
		reply_error(req, API_ENOMETER, name, NULL, NULL);
		return;
	}
	if (!device_emeter(st, outlet, &em)) {
		reply_error(req, -EBADMSG, name, NULL, "no reading from the plug yet");
		return;
	}
	o = emeter_json(&em, loop_now(a->loop) - st->emeter_usec);
	add(o, "device", json_object_new_string(name));
	reply_json(req, 200, o, NULL);
}

/* --- Calls that wait on a plug ------------------------------------------------ */

static void call_answer(struct call *c, const struct plug_result *res)
{
	struct http_request *req = c->req;

	if (res->error < 0) {
		reply_plug_error(req, c->name, res);
		return;
	}
	switch (c->answer) {
	case ANSWER_DEVICE:
		reply_json(req, 200, device_json(c->api, c->name, c->plug, c->outlet), NULL);
		break;
	case ANSWER_STATE:
		reply_state_text(req, plug_state_on(plug_state(c->plug), c->outlet));
		break;
	case ANSWER_EMETER:
		reply_emeter(c->api, req, c->name, c->plug, c->outlet);
		break;
	case ANSWER_DAILY:
	case ANSWER_MONTHLY:
		reply_json(req, 200, stats_json(c, res), NULL);
		break;
	case ANSWER_OK: {
		struct json_object *o = json_object_new_object();

		add(o, "ok", json_object_new_boolean(true));
		add(o, "device", json_object_new_string(c->name));
		reply_json(req, 200, o, NULL);
		break;
	}
	}
}

static void on_result(struct plug *p, const struct plug_result *res, void *userdata)
{
	struct call *c = userdata;

	c->waiter = NULL;
	call_answer(c, res);
	free(c);
}

static void on_abort(struct http_request *req, enum http_abort why, void *userdata)
{
	struct call *c = userdata;

	plug_waiter_cancel(c->waiter);
	if (why == HTTP_ABORT_TIMEOUT)
		reply_error(req, -ETIMEDOUT, c->name, NULL, NULL);
	else
		reply_error(req, -ESHUTDOWN, c->name, NULL, NULL);
	free(c);
}

static void submit(struct api *a, struct http_request *req, const struct device *d,
		   const struct plug_job_args *args, enum answer answer)
{
	struct call *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		reply_error(req, -ENOMEM, d->name, NULL, NULL);
		return;
	}
	c->api = a;
	c->req = req;
	c->plug = d->plug;
	c->outlet = d->outlet;
	c->answer = answer;
	c->year = args->year;
	c->month = args->month;
	snprintf(c->name, sizeof(c->name), "%s", d->name);
	r = plug_submit(d->plug, args, a->set.request_timeout_usec, on_result, c, &c->waiter);
	if (r < 0) {
		free(c);
		reply_error(req, r, d->name, NULL, NULL);
		return;
	}
	http_request_on_abort(req, on_abort, c);
}

/* --- Request bodies -------------------------------------------------------- */

/* ON/OFF, on/off, true/false, 1/0, {"on":bool} or {"state":"ON"|bool}.
 * 1 on, 0 off, -1 unrecognised. */
static int parse_switch_body(const char *body)
{
	static const char *const on_words[] = {"on", "true", "1"};
	static const char *const off_words[] = {"off", "false", "0"};
	char word[16];
	size_t n;
	struct json_object *o, *v;
	int ret = -1;

	while (isspace((unsigned char)*body))
		body++;
	n = strlen(body);
	while (n && isspace((unsigned char)body[n - 1]))
		n--;
	if (n > 0 && body[0] == '"' && body[n - 1] == '"' && n >= 2) {
		body++;
		n -= 2;
	}
	if (n < sizeof(word)) {
		memcpy(word, body, n);
		word[n] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(on_words); i++) {
			if (strcasecmp(word, on_words[i]) == 0)
				return 1;
			if (strcasecmp(word, off_words[i]) == 0)
				return 0;
		}
	}
	if (body[0] != '{')
		return -1;
	o = json_tokener_parse(body);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	if (json_object_object_get_ex(o, "on", &v) || json_object_object_get_ex(o, "state", &v)) {
		if (json_object_is_type(v, json_type_boolean))
			ret = json_object_get_boolean(v);
		else if (json_object_is_type(v, json_type_string))
			ret = parse_switch_body(json_object_get_string(v));
		else if (json_object_is_type(v, json_type_int))
			ret = json_object_get_int(v) == 1   ? 1
			      : json_object_get_int(v) == 0 ? 0
							    : -1;
	}
	json_object_put(o);
	return ret;
}

/* {"alias":"..."}: 1..63 bytes without control characters. */
static int parse_alias_body(const char *body, char ret[64])
{
	struct json_object *o = json_tokener_parse(body), *v;
	const char *s;
	int r = -EINVAL;

	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "alias", &v) && json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (*s && strlen(s) < 64) {
			r = 0;
			for (const char *k = s; *k; k++)
				if ((unsigned char)*k < 0x20 || *k == 0x7f)
					r = -EINVAL;
			if (r == 0)
				snprintf(ret, 64, "%s", s);
		}
	}
	json_object_put(o);
	return r;
}

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

static bool is_get(enum http_method m)
{
	return m == HTTP_GET || m == HTTP_HEAD;
}

static bool is_change(enum http_method m)
{
	return m == HTTP_POST || m == HTTP_PUT;
}

static bool fresh(const struct api *a, const struct plug_state *st, uint64_t now)
{
	return st->known && st->usec && now - st->usec <= a->set.cache_max_age_usec;
}

static bool emeter_fresh(const struct api *a, const struct plug_state *st, uint64_t now)
{
	return fresh(a, st, now) && st->emeter_known &&
	       now - st->emeter_usec <= a->set.cache_max_age_usec;
}

/* A plug the poller has given up on for now: reads answer from the cache at
 * once (saying it is offline) instead of waiting a timeout each. */
static bool known_offline(const struct plug_state *st)
{
	return !st->online && st->misses > 0;
}

static bool want_fresh(struct http_request *req)
{
	const char *f = http_request_query(req, "fresh");

	return f && (streq(f, "1") || streq(f, "true") || streq(f, "yes") || !*f);
}

static void route_status(struct api *a, struct http_request *req, struct device *d,
			 enum answer answer)
{
	const struct plug_state *st = plug_state(d->plug);

	if (want_fresh(req) || (!fresh(a, st, loop_now(a->loop)) && !known_offline(st))) {
		submit(a, req, d, &(struct plug_job_args){.kind = PLUG_JOB_REFRESH, .outlet = -1},
		       answer);
		return;
	}
	if (answer == ANSWER_STATE)
		reply_state_text(req, plug_state_on(st, d->outlet));
	else
		reply_json(req, 200, device_json(a, d->name, d->plug, d->outlet), NULL);
}

static void route_switch(struct api *a, struct http_request *req, struct device *d, int on,
			 bool toggle)
{
	struct plug_job_args args = {.outlet = d->outlet, .on = on == 1};

	args.kind = toggle ? PLUG_JOB_TOGGLE : PLUG_JOB_RELAY;
	submit(a, req, d, &args, ANSWER_DEVICE);
}

static void route_emeter(struct api *a, struct http_request *req, struct device *d, const char *sub)
{
	const struct plug_state *st = plug_state(d->plug);
	struct plug_job_args args = {.outlet = d->outlet};
	time_t t = time(NULL);
	struct tm tm;
	const char *y, *m;

	if (st->known && !st->info.has_emeter) {
		reply_error(req, API_ENOMETER, d->name, NULL, NULL);
		return;
	}
	if (!sub) {
		if (!want_fresh(req) && emeter_fresh(a, st, loop_now(a->loop))) {
			reply_emeter(a, req, d->name, d->plug, d->outlet);
			return;
		}
		args.kind = PLUG_JOB_REFRESH;
		args.outlet = -1;
		submit(a, req, d, &args, ANSWER_EMETER);
		return;
	}
	localtime_r(&t, &tm);
	args.year = tm.tm_year + 1900;
	args.month = tm.tm_mon + 1;
	y = http_request_query(req, "year");
	m = http_request_query(req, "month");
	if (y && parse_int_arg(y, 2000, 2100, &args.year) < 0) {
		reply_error(req, API_EBADREQ, d->name, NULL, "year must be 2000..2100, not '%.32s'",
			    y);
		return;
	}
	if (streq(sub, "daily")) {
		if (m && parse_int_arg(m, 1, 12, &args.month) < 0) {
			reply_error(req, API_EBADREQ, d->name, NULL,
				    "month must be 1..12, not '%.32s'", m);
			return;
		}
		args.kind = PLUG_JOB_DAILY;
		submit(a, req, d, &args, ANSWER_DAILY);
	} else {
		args.month = 0;
		args.kind = PLUG_JOB_MONTHLY;
		submit(a, req, d, &args, ANSWER_MONTHLY);
	}
}

static void route_healthz(struct api *a, struct http_request *req)
{
	struct json_object *o = json_object_new_object();
	uint64_t now = loop_now(a->loop);

	add(o, "status", json_object_new_string(a->stopping ? "stopping" : "ok"));
	add(o, "version", json_object_new_string(PACKAGE_VERSION));
	add(o, "uptime_s",
	    json_object_new_int64((int64_t)((now - a->started_usec) / USEC_PER_SEC)));
	add(o, "devices", json_object_new_int64((int64_t)registry_count(a->reg)));
	add(o, "online", json_object_new_int64((int64_t)registry_online(a->reg)));
	reply_json(req, a->stopping ? 503 : 200, o, NULL);
}

static void route_events(struct api *a, struct http_request *req)
{
	int r;

	if (http_request_method(req) == HTTP_HEAD) {
		http_reply(req, 200, "text/event-stream; charset=utf-8", NULL, 0, NULL);
		return;
	}
	r = events_open(a->events, req);
	if (r < 0)
		reply_error(req, r == -EBUSY ? API_ESTREAMS : r, NULL, NULL, NULL);
}

static void route_list(struct api *a, struct http_request *req)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	size_t n = registry_count(a->reg);

	for (size_t i = 0; i < n; i++) {
		struct device *d = registry_device(a->reg, i);

		json_object_array_add(list, device_json(a, d->name, d->plug, d->outlet));
	}
	add(o, "devices", list);
	reply_json(req, 200, o, NULL);
}

/* Split "/devices/NAME/ACTION/SUB" in place. */
struct path {
	char buf[256];
	const char *part[5];
	unsigned n;
};

static int split_path(const char *path, struct path *ret)
{
	size_t len = strlen(path);
	char *s, *save = NULL;

	if (len >= sizeof(ret->buf) || path[0] != '/')
		return -EINVAL;
	memcpy(ret->buf, path, len + 1);
	ret->n = 0;
	for (s = strtok_r(ret->buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (ret->n == ARRAY_SIZE(ret->part))
			return -EINVAL;
		ret->part[ret->n++] = s;
	}
	return 0;
}

static void route_device(struct api *a, struct http_request *req, const struct path *p)
{
	enum http_method m = http_request_method(req);
	const char *action = p->n > 2 ? p->part[2] : "status";
	const char *sub = p->n > 3 ? p->part[3] : NULL;
	struct device *d = registry_find(a->reg, p->part[1]);
	const char *body = http_request_body(req, NULL);
	int on;

	if (!d) {
		reply_error(req, API_ENODEV, p->part[1], NULL, "no device named '%.64s'",
			    p->part[1]);
		return;
	}
	if (p->n > 4 || (sub && !streq(action, "emeter")))
		goto no_route;

	if (streq(action, "status")) {
		if (!is_get(m))
			goto get_only;
		route_status(a, req, d, ANSWER_DEVICE);
	} else if (streq(action, "on") || streq(action, "off") || streq(action, "toggle")) {
		if (!is_change(m))
			goto change_only;
		route_switch(a, req, d, streq(action, "on"), streq(action, "toggle"));
	} else if (streq(action, "state")) {
		if (is_get(m)) {
			route_status(a, req, d, ANSWER_STATE);
			return;
		}
		if (!is_change(m)) {
			reply_error(req, API_EMETHOD, d->name, "GET, HEAD, POST, PUT", NULL);
			return;
		}
		on = parse_switch_body(body);
		if (on < 0) {
			reply_error(req, API_EBADREQ, d->name, NULL,
				    "the body must be ON or OFF, true or false, or {\"on\":true}");
			return;
		}
		route_switch(a, req, d, on, false);
	} else if (streq(action, "emeter")) {
		if (!is_get(m))
			goto get_only;
		if (sub && !streq(sub, "daily") && !streq(sub, "monthly"))
			goto no_route;
		route_emeter(a, req, d, sub);
	} else if (streq(action, "led")) {
		if (!is_change(m))
			goto change_only;
		on = parse_switch_body(body);
		if (on < 0) {
			reply_error(req, API_EBADREQ, d->name, NULL,
				    "the body must be ON or OFF, true or false, or {\"on\":true}");
			return;
		}
		submit(a, req, d,
		       &(struct plug_job_args){.kind = PLUG_JOB_LED, .outlet = -1, .on = on == 1},
		       ANSWER_DEVICE);
	} else if (streq(action, "alias")) {
		struct plug_job_args args = {.kind = PLUG_JOB_ALIAS, .outlet = d->outlet};

		if (!is_change(m))
			goto change_only;
		if (parse_alias_body(body, args.alias) < 0) {
			reply_error(req, API_EBADREQ, d->name, NULL,
				    "the body must be {\"alias\":\"NAME\"}, 1 to 63 bytes, no "
				    "control characters");
			return;
		}
		submit(a, req, d, &args, ANSWER_DEVICE);
	} else if (streq(action, "reboot")) {
		if (!is_change(m))
			goto change_only;
		submit(a, req, d, &(struct plug_job_args){.kind = PLUG_JOB_REBOOT, .outlet = -1},
		       ANSWER_OK);
	} else {
		goto no_route;
	}
	return;
get_only:
	reply_error(req, API_EMETHOD, d->name, "GET, HEAD", NULL);
	return;
change_only:
	reply_error(req, API_EMETHOD, d->name, "POST, PUT", NULL);
	return;
no_route:
	reply_error(req, API_ENOROUTE, NULL, NULL, "no route %.128s", http_request_path(req));
}

void api_handle(struct http_request *req, void *userdata)
{
	struct api *a = userdata;
	enum http_method m = http_request_method(req);
	const struct web_file *f;
	struct path p;

	if (http_request_body_too_large(req)) {
		reply_error(req, API_ETOOBIG, NULL, NULL, NULL);
		return;
	}
	if (split_path(http_request_path(req), &p) < 0) {
		reply_error(req, API_ENOROUTE, NULL, NULL, "no such route");
		return;
	}
	if (p.n == 1 && streq(p.part[0], "healthz")) {
		if (!is_get(m))
			reply_error(req, API_EMETHOD, NULL, "GET, HEAD", NULL);
		else
			route_healthz(a, req);
		return;
	}
	/* The dashboard's files: "/" and "/NAME.EXT", open to all. */
	if ((f = web_find(http_request_path(req)))) {
		if (!is_get(m))
			reply_error(req, API_EMETHOD, NULL, "GET, HEAD", NULL);
		else
			web_reply(req, f);
		return;
	}
	if (a->stopping) {
		reply_error(req, -ESHUTDOWN, NULL, NULL, NULL);
		return;
	}
	if (p.n == 1 && streq(p.part[0], "devices")) {
		if (!is_get(m))
			reply_error(req, API_EMETHOD, NULL, "GET, HEAD", NULL);
		else
			route_list(a, req);
		return;
	}
	if (p.n >= 2 && streq(p.part[0], "devices")) {
		route_device(a, req, &p);
		return;
	}
	if (p.n == 1 && streq(p.part[0], "events")) {
		if (!is_get(m))
			reply_error(req, API_EMETHOD, NULL, "GET, HEAD", NULL);
		else
			route_events(a, req);
		return;
	}
	reply_error(req, API_ENOROUTE, NULL, NULL, "no route %.128s", http_request_path(req));
}

/* --- Life ---------------------------------------------------------------- */

int api_new(struct loop *l, struct registry *reg, const struct api_settings *s,
	    struct api **ret_api)
{
	struct api *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->loop = l;
	a->reg = reg;
	a->set = *s;
	a->started_usec = loop_now(l);
	r = events_new(l, reg, render_device, a, &a->events);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret_api = a;
	return 0;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	events_free(a->events);
	free(a);
}

void api_configure(struct api *a, const struct api_settings *s)
{
	a->set = *s;
	/* A reload: the inventory may be another one. */
	events_reset(a->events);
}

void api_set_stopping(struct api *a)
{
	a->stopping = true;
	events_stop(a->events);
}
