/* SPDX-License-Identifier: MIT */
/*
 * /metrics' families of the inventory: per device (the relay, online, the
 * meter, on-time, RSSI, the age of the state, its kasa_device_info), per
 * plug (round trips, failures by cause, poll durations).  Nearly all of a
 * scrape's text, so each label set is rendered once and copied into
 * every line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/macro.h"
#include "common/strbuf.h"
#include "metrics-private.h"
#include "plug.h"
#include "registry.h"
#include "service.h"

/* --- Devices ------------------------------------------------------------------- */

struct view {
	const struct device *d;
	const struct plug_state *st;
	bool has_emeter;
	struct kasa_emeter em;
	size_t labels; /* offset of device="...",alias="...",model="..." in the label buffer */
};

static bool v_online(const struct view *v, uint64_t now, double *ret)
{
	*ret = v->st->online;
	return true;
}

static bool v_relay(const struct view *v, uint64_t now, double *ret)
{
	bool on;

	if (!plug_state_relay(v->st, v->d->outlet, &on))
		return false;
	*ret = on;
	return true;
}

/* Seconds since the relay went on, as the plug said at the last poll; 0
 * when off.  A whole strip has no one relay to time, and a plug that sent
 * no plausible on_time (-1 in the cache) has no value either. */
static bool v_on_time(const struct view *v, uint64_t now, double *ret)
{
	int64_t s = 0;
	int r = plug_state_on_time(v->st, v->d->outlet, &s);

	if (r < 0)
		return false;
	*ret = (double)s;
	return true;
}

/* A dimmer's level, on or off; none for the others. */
static bool v_brightness(const struct view *v, uint64_t now, double *ret)
{
	int level;

	if (!plug_state_brightness(v->st, v->d->outlet, &level))
		return false;
	*ret = level;
	return true;
}

static bool v_rssi(const struct view *v, uint64_t now, double *ret)
{
	if (!v->st->known)
		return false;
	*ret = v->st->info.rssi;
	return true;
}

static bool v_age(const struct view *v, uint64_t now, double *ret)
{
	/* usec is 0 for a moment after a change, until the plug is read back. */
	if (!v->st->known || !v->st->usec)
		return false;
	*ret = now > v->st->usec ? (double)(now - v->st->usec) / USEC_PER_SEC : 0;
	return true;
}

static bool v_power(const struct view *v, uint64_t now, double *ret)
{
	*ret = v->em.power_w;
	return v->has_emeter;
}

static bool v_voltage(const struct view *v, uint64_t now, double *ret)
{
	*ret = v->em.voltage_v;
	return v->has_emeter && !v->st->emeter_power_only;
}

static bool v_current(const struct view *v, uint64_t now, double *ret)
{
	*ret = v->em.current_a;
	return v->has_emeter && !v->st->emeter_power_only;
}

static bool v_energy(const struct view *v, uint64_t now, double *ret)
{
	*ret = v->em.total_kwh * 3.6e6;
	return v->has_emeter && !v->st->emeter_power_only;
}

/* How far the plug's clock is ahead of kasad's, as its last read found
 * it (GET /devices/NAME/time, or time_sync): none before a read. */
static bool v_clock_offset(const struct view *v, uint64_t now, double *ret)
{
	int64_t s;

	if (!plug_state_clock_offset(v->st, now, service_wall_usec(), &s))
		return false;
	*ret = (double)s;
	return true;
}

static const struct device_family {
	const char *name, *type, *help;
	bool (*value)(const struct view *v, uint64_t now, double *ret);
} device_families[] = {
	{"kasa_device_online", "gauge",
	 "1 when the plug answers, 0 when it has missed offline_after polls or was never reached",
	 v_online},
	{"kasa_relay_on", "gauge",
	 "1 when the relay is on, 0 when off (a whole strip: any outlet on), as last read",
	 v_relay},
	{"kasa_brightness_percent", "gauge",
	 "A dimmer's level, 0 to 100, as last read (kept while the relay is off)", v_brightness},
	{"kasa_power_watts", "gauge", "Real power drawn, from the plug's meter", v_power},
	{"kasa_voltage_volts", "gauge", "Supply voltage, from the plug's meter", v_voltage},
	{"kasa_current_amperes", "gauge", "Current drawn, from the plug's meter", v_current},
	{"kasa_energy_joules_total", "counter",
	 "Energy the plug's meter has counted since it was last erased (kWh x 3.6e6)", v_energy},
	{"kasa_on_time_seconds", "gauge",
	 "Seconds the relay had been on at the last poll, 0 when off", v_on_time},
	{"kasa_rssi_dbm", "gauge", "Wi-Fi signal strength the plug reported, in dBm", v_rssi},
	{"kasa_last_poll_age_seconds", "gauge", "Seconds since the plug's state was last read",
	 v_age},
	{"kasa_clock_offset_seconds", "gauge",
	 "How far the plug's clock is ahead of kasad's (behind when negative), as last read",
	 v_clock_offset},
};

static const char *view_alias(const struct view *v)
{
	return plug_state_alias(v->st, v->d->outlet);
}

/* "host:port", with brackets around an IPv6 address; "" for a plug named
 * by its MAC and not found yet. */
static void plug_address(const struct plug *p, char *buf, size_t len)
{
	const char *h = plug_host(p);
	bool v6 = h && strchr(h, ':') && h[0] != '[';

	if (!h) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", h, v6 ? "]" : "", plug_port(p));
}

static void put_device_info(struct strbuf *b, const struct view *views, size_t n,
			    const char *labels)
{
	metrics_put_family(
		b, "kasa_device_info", "gauge",
		"Always 1: a device of the inventory, its plug's address, outlet, versions, "
		"transport (xor, klap; empty until auto finds out) and JSON (iot, smart)");
	for (size_t i = 0; i < n; i++) {
		const struct view *v = &views[i];
		const struct plug_info *in = &v->st->info;
		char addr[300], outlet[16] = "";

		plug_address(v->d->plug, addr, sizeof(addr));
		if (v->d->outlet >= 0)
			snprintf(outlet, sizeof(outlet), "%d", v->d->outlet);
		metrics_put_str(b, "kasa_device_info{");
		metrics_put_str(b, labels + v->labels);
		strbuf_append(b, ",", 1);
		metrics_put_label(b, "plug", addr);
		strbuf_append(b, ",", 1);
		metrics_put_label(b, "outlet", outlet);
		strbuf_append(b, ",", 1);
		metrics_put_label(b, "hw_ver", v->st->known ? in->hw_ver : "");
		strbuf_append(b, ",", 1);
		metrics_put_label(b, "sw_ver", v->st->known ? in->sw_ver : "");
		strbuf_append(b, ",", 1);
		metrics_put_label(b, "mac", v->st->known ? in->mac : "");
		strbuf_append(b, ",", 1);
		metrics_put_label(b, "transport", plug_transport_name(v->d->plug));
		strbuf_append(b, ",", 1);
		metrics_put_label(b, "protocol", plug_protocol_name(v->d->plug));
		metrics_put_str(b, "} 1\n");
	}
}

int metrics_put_devices(struct strbuf *b, struct registry *reg, uint64_t now)
{
	size_t n = registry_count(reg);
	struct view *views = calloc(n ? n : 1, sizeof(*views));
	struct strbuf labels = STRBUF_INIT(METRICS_TEXT_MAX);

	if (!views)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct view *v = &views[i];

		v->d = registry_device(reg, i);
		v->st = plug_state(v->d->plug);
		v->has_emeter = plug_state_emeter(v->st, v->d->outlet, &v->em);
		v->labels = labels.len;
		metrics_put_label(&labels, "device", v->d->name);
		strbuf_append(&labels, ",", 1);
		metrics_put_label(&labels, "alias", view_alias(v));
		strbuf_append(&labels, ",", 1);
		metrics_put_label(&labels, "model", v->st->known ? v->st->info.model : "");
		strbuf_append(&labels, "", 1); /* each set ends with its NUL */
	}
	if (labels.error < 0) {
		strbuf_free(&labels);
		free(views);
		return -ENOMEM;
	}

	for (size_t f = 0; f < ARRAY_SIZE(device_families); f++) {
		const struct device_family *fam = &device_families[f];

		metrics_put_family(b, fam->name, fam->type, fam->help);
		for (size_t i = 0; i < n; i++) {
			double value;

			if (!fam->value(&views[i], now, &value))
				continue;
			metrics_put_head(b, fam->name, labels.s + views[i].labels);
			metrics_put_double(b, value);
			strbuf_append(b, "\n", 1);
		}
	}
	if (n)
		put_device_info(b, views, n, labels.s);
	strbuf_free(&labels);
	free(views);
	return 0;
}

/* --- Plugs --------------------------------------------------------------------- */

static const char *const failure_names[PLUG_FAILURE_MAX] = {
	[PLUG_FAILURE_TIMEOUT] = "timeout", [PLUG_FAILURE_REFUSED] = "refused",
	[PLUG_FAILURE_RESET] = "reset",	    [PLUG_FAILURE_UNREACHABLE] = "unreachable",
	[PLUG_FAILURE_RESOLVE] = "resolve", [PLUG_FAILURE_FRAME] = "frame",
	[PLUG_FAILURE_REPLY] = "reply",	    [PLUG_FAILURE_DEVICE] = "device",
	[PLUG_FAILURE_AUTH] = "auth",
	[PLUG_FAILURE_OTHER] = "other",
};

static void put_plug_labels(struct strbuf *b, const struct plug *p)
{
	char addr[300];

	plug_address(p, addr, sizeof(addr));
	metrics_put_label(b, "device", plug_label(p));
	strbuf_append(b, ",", 1);
	metrics_put_label(b, "plug", addr);
}

/* The le label of each bucket, "+Inf" last. */
static void put_bucket_labels(struct strbuf *b, size_t *offsets)
{
	for (unsigned k = 0; k <= PLUG_POLL_BUCKETS; k++) {
		offsets[k] = b->len;
		metrics_put_str(b, ",le=\"");
		if (k < PLUG_POLL_BUCKETS)
			metrics_put_double(b, (double)plug_poll_bucket_usec[k] / USEC_PER_SEC);
		else
			metrics_put_str(b, "+Inf");
		strbuf_append(b, "\"", 2); /* and the NUL */
	}
}

/* name{plug labels,more} value */
static void put_plug_line(struct strbuf *b, const char *name, const char *labels,
			  const char *more, uint64_t value)
{
	metrics_put_str(b, name);
	strbuf_append(b, "{", 1);
	metrics_put_str(b, labels);
	metrics_put_str(b, more);
	strbuf_append(b, "} ", 2);
	metrics_put_u64(b, value);
	strbuf_append(b, "\n", 1);
}

int metrics_put_plugs(struct strbuf *b, struct registry *reg)
{
	size_t n = registry_plug_count(reg), le[PLUG_POLL_BUCKETS + 1];
	struct strbuf labels = STRBUF_INIT(METRICS_TEXT_MAX);
	size_t *at = calloc(n ? n : 1, sizeof(*at));
	char failure_label[PLUG_FAILURE_MAX][32];

	if (!at)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		at[i] = labels.len;
		put_plug_labels(&labels, registry_plug(reg, i));
		strbuf_append(&labels, "", 1); /* each set ends with its NUL */
	}
	put_bucket_labels(&labels, le);
	if (labels.error < 0 || n == 0) {
		strbuf_free(&labels);
		free(at);
		return n ? -ENOMEM : 0;
	}
	for (unsigned k = 0; k < PLUG_FAILURE_MAX; k++)
		snprintf(failure_label[k], sizeof(failure_label[k]), ",error=\"%s\"",
			 failure_names[k]);

	metrics_put_family(b, "kasad_plug_requests_total", "counter",
			   "Round trips to the plug begun (and name lookups that failed)");
	for (size_t i = 0; i < n; i++)
		put_plug_line(b, "kasad_plug_requests_total", labels.s + at[i], "",
			      plug_stats(registry_plug(reg, i))->requests);

	metrics_put_family(b, "kasad_plug_failures_total", "counter",
			   "Round trips to the plug that failed, by cause");
	for (size_t i = 0; i < n; i++) {
		const struct plug_stats *s = plug_stats(registry_plug(reg, i));

		for (unsigned k = 0; k < PLUG_FAILURE_MAX; k++)
			put_plug_line(b, "kasad_plug_failures_total", labels.s + at[i],
				      failure_label[k], s->failures[k]);
	}

	metrics_put_family(
		b, "kasad_poll_duration_seconds", "histogram",
		"How long refreshing the plug's state took (sysinfo and meter), failures "
		"included");
	for (size_t i = 0; i < n; i++) {
		const struct plug_stats *s = plug_stats(registry_plug(reg, i));
		const char *l = labels.s + at[i];
		uint64_t cumulative = 0;

		for (unsigned k = 0; k < PLUG_POLL_BUCKETS; k++) {
			cumulative += s->poll_buckets[k];
			put_plug_line(b, "kasad_poll_duration_seconds_bucket", l, labels.s + le[k],
				      cumulative);
		}
		put_plug_line(b, "kasad_poll_duration_seconds_bucket", l,
			      labels.s + le[PLUG_POLL_BUCKETS], s->polls);
		metrics_put_head(b, "kasad_poll_duration_seconds_sum", l);
		metrics_put_double(b, (double)s->poll_usec_sum / USEC_PER_SEC);
		strbuf_append(b, "\n", 1);
		put_plug_line(b, "kasad_poll_duration_seconds_count", l, "", s->polls);
	}
	strbuf_free(&labels);
	free(at);
	return 0;
}
