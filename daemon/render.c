/* SPDX-License-Identifier: MIT */
/*
 * The JSON of devices, readings and histories, and the views of the cached
 * state behind them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/macro.h"
#include "common/strbuf.h"
#include "common/text.h"
#include "plug.h"
#include "render.h"

/* --- JSON ------------------------------------------------------------------- */

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

/* Wh as kWh; null when the plug did not say (-1). */
static struct json_object *kwh(int64_t wh)
{
	return wh < 0 ? NULL : num((double)wh / 1000, 3);
}

/* Stand-ins for the ages of an answer rendered once and sent many times:
 * no age in milliseconds comes near them, and the text has them once each. */
#define AGE_MARK_DEVICE INT64_C(9000000000000001)
#define AGE_MARK_EMETER INT64_C(9000000000000002)

static struct json_object *emeter_object(const struct plug_state *st, const struct kasa_emeter *em,
					 uint64_t age_usec, bool mark)
{
	struct json_object *o = json_object_new_object();
	bool all = !st->emeter_power_only;

	add(o, "power_w", num(em->power_w, 3));
	add(o, "voltage_v", all ? num(em->voltage_v, 3) : NULL);
	add(o, "current_a", all ? num(em->current_a, 4) : NULL);
	add(o, "total_kwh", all ? num(em->total_kwh, 3) : NULL);
	if (!all) {
		add(o, "today_kwh", kwh(st->energy.today_wh));
		add(o, "month_kwh", kwh(st->energy.month_wh));
	}
	add(o, "age_ms",
	    json_object_new_int64(mark ? AGE_MARK_EMETER : (int64_t)(age_usec / USEC_PER_MSEC)));
	return o;
}

struct json_object *render_emeter(const struct plug_state *st, const struct kasa_emeter *em,
				  uint64_t age_usec)
{
	return emeter_object(st, em, age_usec, false);
}

/* on_time as JSON: null when off or not known. */
static struct json_object *on_time_json(const struct plug_state *st, int outlet)
{
	int64_t s;

	return plug_state_on_time(st, outlet, &s) == 1 ? json_object_new_int64(s) : NULL;
}

static struct json_object *device_object(const char *name, const char *host, uint16_t port,
					 const struct plug_state *st, int outlet, uint64_t now,
					 bool mark)
{
	const struct plug_info *in = &st->info;
	struct json_object *o = json_object_new_object();
	struct kasa_emeter em;
	int64_t s;
	int level;
	bool on;

	add(o, "name", json_object_new_string(name));
	add(o, "host", host ? json_object_new_string(host) : NULL);
	add(o, "port", json_object_new_int(port));
	if (outlet >= 0)
		add(o, "outlet", json_object_new_int(outlet));
	add(o, "online", json_object_new_boolean(st->online));
	if (!st->known) {
		add(o, "on", NULL);
		add(o, "age_ms", NULL);
		if (st->last_error)
			add(o, "last_error", json_object_new_string(st->last_error_text ? st->last_error_text : ""));
		return o;
	}
	if (plug_state_relay(st, outlet, &on)) {
		add(o, "on", json_object_new_boolean(on));
	} else {
		add(o, "on", NULL);
		add(o, "last_error", json_object_new_string("the plug has no such outlet"));
	}
	add(o, "age_ms",
	    json_object_new_int64(!st->usec ? 0
				  : mark    ? AGE_MARK_DEVICE
					    : age_ms(now, st->usec)));
	add(o, "alias", json_object_new_string(plug_state_alias(st, outlet)));
	if (plug_state_on_time(st, outlet, &s) != -ENOENT)
		add(o, "on_time", on_time_json(st, outlet));
	if (plug_state_outlet(st, outlet))
		add(o, "strip_alias", json_object_new_string(in->alias));
	add(o, "model", json_object_new_string(in->model));
	add(o, "hw_ver", json_object_new_string(in->hw_ver));
	add(o, "sw_ver", json_object_new_string(in->sw_ver));
	add(o, "mac", json_object_new_string(in->mac));
	add(o, "device_id", json_object_new_string(in->device_id));
	add(o, "rssi", json_object_new_int(in->rssi));
	add(o, "led", json_object_new_boolean(in->led_on));
	/* A dimmer's level, on or off; no member at all for the others. */
	if (plug_state_brightness(st, outlet, &level))
		add(o, "brightness", json_object_new_int(level));
	add(o, "has_emeter", json_object_new_boolean(in->has_emeter));
	if (outlet < 0 && in->outlet_count > 0) {
		struct json_object *list = json_object_new_array();

		for (unsigned i = 0; i < in->outlet_count; i++) {
			const struct kasa_outlet *ou = &in->outlets[i];
			struct json_object *x = json_object_new_object();

			add(x, "outlet", json_object_new_int((int)i));
			add(x, "alias", json_object_new_string(ou->alias));
			add(x, "on", json_object_new_boolean(ou->on));
			add(x, "on_time", on_time_json(st, (int)i));
			if (in->has_emeter && st->emeter_known)
				add(x, "power_w", num(st->outlet_emeter[i].power_w, 3));
			json_object_array_add(list, x);
		}
		add(o, "outlets", list);
	}
	if (plug_state_emeter(st, outlet, &em))
		add(o, "emeter", emeter_object(st, &em, now - st->emeter_usec, mark));
	if (!st->online && st->last_error)
		add(o, "last_error", json_object_new_string(st->last_error_text ? st->last_error_text : ""));
	return o;
}

struct json_object *render_mqtt_state(const struct plug_state *st, int outlet, bool rssi)
{
	struct json_object *o;
	struct kasa_emeter em;
	int level;
	bool on;

	if (!st->known || !plug_state_relay(st, outlet, &on))
		return NULL;
	o = json_object_new_object();
	add(o, "state", json_object_new_string(on ? "ON" : "OFF"));
	if (plug_state_brightness(st, outlet, &level))
		add(o, "brightness", json_object_new_int(level));
	if (plug_state_emeter(st, outlet, &em)) {
		add(o, "power", num(em.power_w, 3));
		if (!st->emeter_power_only) {
			add(o, "voltage", num(em.voltage_v, 3));
			add(o, "current", num(em.current_a, 4));
			add(o, "energy", num(em.total_kwh, 3));
		}
	}
	if (rssi)
		add(o, "rssi", json_object_new_int(st->info.rssi));
	return o;
}

struct json_object *render_device_state(const char *name, const char *host, uint16_t port,
					const struct plug_state *st, int outlet, uint64_t now)
{
	return device_object(name, host, port, st, outlet, now, false);
}

static struct json_object *plug_device_object(const char *name, const struct plug *p, int outlet,
					      uint64_t now, bool mark)
{
	struct json_object *o =
		device_object(name, plug_host(p), plug_port(p), plug_state(p), outlet, now, mark);
	const char *transport = plug_transport_name(p);

	/* Named by its MAC: whether discovery has found it (and the MAC, while
	 * the plug has not said it itself). */
	if (*plug_mac(p)) {
		add(o, "found", json_object_new_boolean(plug_host(p) != NULL));
		if (!plug_state(p)->known)
			add(o, "mac", json_object_new_string(plug_mac(p)));
	}

	/* How kasad talks to it: null until auto has found out. */
	add(o, "transport", *transport ? json_object_new_string(transport) : NULL);
	if (*transport && !strcmp(transport, "klap")) {
		add(o, "klap_port", json_object_new_int(plug_wire_port(p)));
		add(o, "protocol", json_object_new_string(plug_protocol_name(p)));
	}
	return o;
}

struct json_object *render_device(const char *name, const struct plug *p, int outlet, uint64_t now)
{
	return plug_device_object(name, p, outlet, now, false);
}

/* --- Answers rendered once a change ------------------------------------------ */

void render_cached_clear(struct render_cached *c)
{
	free(c->text);
	*c = (struct render_cached){0};
}

/* Render anew: the text with its marks cut out, and where they were. */
static int render_marked(struct render_cached *c, const char *name, const struct plug *p,
			 int outlet)
{
	static const struct {
		const char *text;
		int64_t mark;
	} marks[] = {{"\"age_ms\":9000000000000001", AGE_MARK_DEVICE},
		     {"\"age_ms\":9000000000000002", AGE_MARK_EMETER}};
	const struct plug_state *st = plug_state(p);
	struct json_object *o = plug_device_object(name, p, outlet, 0, true);
	const char *s;
	size_t len, at = 0;
	char *text;

	s = o ? json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len) : NULL;
	text = s ? malloc(len + 2) : NULL;
	if (!text) {
		json_object_put(o);
		return -ENOMEM;
	}
	/* The marks in the order they stand in the text: the device's age
	 * comes before its meter's. */
	c->n_cuts = 0;
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		const char *m = strstr(s + at, marks[i].text);
		size_t mlen = strlen(marks[i].text);

		if (!m)
			continue;
		/* The key stays; the number goes.  (In a string, such as an
		 * alias, the quotes would be escaped: no false match.) */
		m += strlen("\"age_ms\":");
		mlen -= strlen("\"age_ms\":");
		memcpy(text + c->len, s + at, (size_t)(m - s) - at);
		c->len += (size_t)(m - s) - at;
		c->cut[c->n_cuts] = c->len;
		c->then[c->n_cuts] = marks[i].mark == AGE_MARK_DEVICE ? st->usec : st->emeter_usec;
		c->n_cuts++;
		at = (size_t)(m - s) + mlen;
	}
	memcpy(text + c->len, s + at, len - at);
	c->len += len - at;
	text[c->len++] = '\n';
	text[c->len] = '\0';
	json_object_put(o);
	free(c->text);
	c->text = text;
	return 0;
}

/* Render c anew when p changed since it was. */
static int cached_update(struct render_cached *c, const char *name, const struct plug *p,
			 int outlet)
{
	int r;

	if (c->text && c->version == plug_version(p))
		return 0;
	c->len = 0;
	r = render_marked(c, name, p, outlet);
	if (r < 0) {
		render_cached_clear(c);
		return r;
	}
	c->version = plug_version(p);
	return 0;
}

int render_device_cached_append(struct render_cached *c, const char *name, const struct plug *p,
				int outlet, uint64_t now, bool newline, struct strbuf *b)
{
	size_t from = 0, end;
	int r = cached_update(c, name, p, outlet);

	if (r < 0)
		return r;
	end = c->len - !newline; /* the text ends in its line feed */
	for (unsigned i = 0; i < c->n_cuts; i++) {
		char buf[TEXT_U64_MAX];
		size_t n;
		const char *age = text_u64(buf, (uint64_t)age_ms(now, c->then[i]), &n);

		strbuf_append(b, c->text + from, c->cut[i] - from);
		strbuf_append(b, age, n);
		from = c->cut[i];
	}
	strbuf_append(b, c->text + from, end - from);
	return b->error;
}

int render_device_cached(struct render_cached *c, const char *name, const struct plug *p,
			 int outlet, uint64_t now, char **ret_body, size_t *ret_len)
{
	struct strbuf b = STRBUF_INIT(SIZE_MAX / 2);
	int r = strbuf_reserve(&b, c->text ? c->len + 20 * c->n_cuts : 1024);

	if (r >= 0)
		r = render_device_cached_append(c, name, p, outlet, now, true, &b);
	if (r < 0) {
		strbuf_free(&b);
		return r;
	}
	*ret_body = strbuf_steal(&b, ret_len);
	return 0;
}

struct json_object *render_history(const char *name, int year, int month, bool daily,
				   const struct kasa_stats *stats, unsigned n_stats)
{
	/* Sum the outlets' lists entry by entry (a strip's whole). */
	struct kasa_stat sum[KASA_STATS_MAX];
	unsigned n = 0;
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();

	for (unsigned k = 0; k < n_stats; k++) {
		const struct kasa_stats *s = &stats[k];

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
	add(o, "device", json_object_new_string(name));
	add(o, "year", json_object_new_int(year));
	if (daily)
		add(o, "month", json_object_new_int(month));
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
