/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format (version 0.0.4), rendered into one
 * growing buffer per scrape.  What it costs is bounded by the inventory:
 * a few lines per device and a histogram per plug.
 *
 * Names follow Prometheus's conventions: base units (seconds, watts,
 * volts, amperes, joules), _total on counters, and one HELP and TYPE line
 * per family.  Per device (its inventory name, the plug's alias and model
 * as labels): the relay, online, the meter, on-time, RSSI and the age of
 * the state.  Per plug: round trips, failures by cause, refresh durations.
 * The daemon: HTTP answers by route template, MQTT, discovery, devices,
 * build.  The process: start time, CPU, memory and descriptors.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/macro.h"
#include "common/strbuf.h"
#include "common/text.h"
#include "metrics.h"
#include "plug.h"
#include "registry.h"
#include "service.h"
#include "render.h"

/* --- HTTP answers ------------------------------------------------------------ */

struct http_count {
	const char *route; /* NULL: no route matched */
	enum http_method method;
	unsigned status;
	uint64_t n;
};

/* Bounded by routes x methods x the statuses the API gives: a few dozen. */
static struct http_count *http_counts;
static size_t n_http_counts, cap_http_counts;

static bool same_route(const char *a, const char *b)
{
	return a == b || (a && b && streq(a, b));
}

void metrics_count_http(const char *route, enum http_method method, unsigned status)
{
	struct http_count *c;

	for (size_t i = 0; i < n_http_counts; i++) {
		c = &http_counts[i];
		if (c->status == status && c->method == method && same_route(c->route, route)) {
			c->n++;
			return;
		}
	}
	if (n_http_counts == cap_http_counts) {
		size_t cap = cap_http_counts ? 2 * cap_http_counts : 32;

		c = realloc(http_counts, cap * sizeof(*c));
		if (!c)
			return; /* one answer goes uncounted rather than anything failing */
		http_counts = c;
		cap_http_counts = cap;
	}
	http_counts[n_http_counts++] = (struct http_count){route, method, status, 1};
}

static struct metrics_mqtt mqtt_counts;
static struct metrics_discovery discovery_counts;

struct metrics_mqtt *metrics_mqtt(void)
{
	return &mqtt_counts;
}

struct metrics_discovery *metrics_discovery(void)
{
	return &discovery_counts;
}

void metrics_reset(void)
{
	mqtt_counts = (struct metrics_mqtt){0};
	discovery_counts = (struct metrics_discovery){0};
	free(http_counts);
	http_counts = NULL;
	n_http_counts = cap_http_counts = 0;
}

static const char *method_name(enum http_method m)
{
	switch (m) {
	case HTTP_GET:
		return "GET";
	case HTTP_HEAD:
		return "HEAD";
	case HTTP_POST:
		return "POST";
	case HTTP_PUT:
		return "PUT";
	case HTTP_DELETE:
		return "DELETE";
	case HTTP_PATCH:
		return "PATCH";
	case HTTP_OPTIONS:
		return "OPTIONS";
	case HTTP_OTHER:
		return "other";
	}
	return "other";
}

/* --- The text -------------------------------------------------------------- */

/* The most /metrics may hold: about 3 KiB a device, for ten thousand and
 * room to spare.  Past it (or out of memory) the scrape fails, and kasad
 * goes on. */
#define METRICS_TEXT_MAX (256u << 20)

/*
 * Ten thousand plugs make 27 MB of text, so what every line writes is
 * written without printf: fixed strings copied, integers by hand, label
 * sets rendered once a scrape and copied into each line.
 */
static void put_str(struct strbuf *b, const char *s)
{
	strbuf_append(b, s, strlen(s));
}

static void put_u64(struct strbuf *b, uint64_t v)
{
	char buf[TEXT_U64_MAX];
	size_t n;
	const char *p = text_u64(buf, v, &n);

	strbuf_append(b, p, n);
}

/* Go's ParseFloat reads all of these back.  Whole numbers (states,
 * counts, dBm) as integers, which "%.15g" would write the same. */
static void put_double(struct strbuf *b, double v)
{
	if (isnan(v)) {
		put_str(b, "NaN");
	} else if (isinf(v)) {
		put_str(b, v > 0 ? "+Inf" : "-Inf");
	} else if (v == (double)(int64_t)v && fabs(v) < 1e15) {
		int64_t i = (int64_t)v;

		if (i < 0)
			strbuf_append(b, "-", 1);
		put_u64(b, i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i);
	} else {
		strbuf_printf(b, "%.15g", v);
	}
}

static void put_label_value(struct strbuf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t plain = 0;

	/* Most values are printable ASCII with nothing to escape. */
	while (u[plain] >= 0x20 && u[plain] < 0x7f && u[plain] != '\\' && u[plain] != '"')
		plain++;
	strbuf_append(b, u, plain);
	u += plain;
	while (*u) {
		size_t n = kasa_utf8_char_len((const char *)u);

		if (n == 0) {
			strbuf_append(b, "\xef\xbf\xbd", 3);
			u++;
		} else if (*u == '\\') {
			strbuf_append(b, "\\\\", 2);
			u++;
		} else if (*u == '"') {
			strbuf_append(b, "\\\"", 2);
			u++;
		} else if (*u == '\n') {
			strbuf_append(b, "\\n", 2);
			u++;
		} else {
			strbuf_append(b, (const char *)u, n);
			u += n;
		}
	}
}

char *metrics_label_value(const char *s)
{
	struct strbuf b = STRBUF_INIT(METRICS_TEXT_MAX);

	strbuf_reserve(&b, strlen(s));
	put_label_value(&b, s);
	if (b.error < 0) {
		strbuf_free(&b);
		return NULL;
	}
	return strbuf_steal(&b, NULL);
}

/* name="value" */
static void put_label(struct strbuf *b, const char *name, const char *value)
{
	put_str(b, name);
	strbuf_append(b, "=\"", 2);
	put_label_value(b, value);
	strbuf_append(b, "\"", 1);
}

static void put_family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels} (labels NUL-terminated in a label buffer) and a space. */
static void put_head(struct strbuf *b, const char *name, const char *labels)
{
	put_str(b, name);
	strbuf_append(b, "{", 1);
	put_str(b, labels);
	strbuf_append(b, "} ", 2);
}

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
	put_family(b, "kasa_device_info", "gauge",
		   "Always 1: a device of the inventory, its plug's address, outlet, versions, "
		   "transport (xor, klap; empty until auto finds out) and JSON (iot, smart)");
	for (size_t i = 0; i < n; i++) {
		const struct view *v = &views[i];
		const struct plug_info *in = &v->st->info;
		char addr[300], outlet[16] = "";

		plug_address(v->d->plug, addr, sizeof(addr));
		if (v->d->outlet >= 0)
			snprintf(outlet, sizeof(outlet), "%d", v->d->outlet);
		put_str(b, "kasa_device_info{");
		put_str(b, labels + v->labels);
		strbuf_append(b, ",", 1);
		put_label(b, "plug", addr);
		strbuf_append(b, ",", 1);
		put_label(b, "outlet", outlet);
		strbuf_append(b, ",", 1);
		put_label(b, "hw_ver", v->st->known ? in->hw_ver : "");
		strbuf_append(b, ",", 1);
		put_label(b, "sw_ver", v->st->known ? in->sw_ver : "");
		strbuf_append(b, ",", 1);
		put_label(b, "mac", v->st->known ? in->mac : "");
		strbuf_append(b, ",", 1);
		put_label(b, "transport", plug_transport_name(v->d->plug));
		strbuf_append(b, ",", 1);
		put_label(b, "protocol", plug_protocol_name(v->d->plug));
		put_str(b, "} 1\n");
	}
}

static int put_devices(struct strbuf *b, struct registry *reg, uint64_t now)
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
		put_label(&labels, "device", v->d->name);
		strbuf_append(&labels, ",", 1);
		put_label(&labels, "alias", view_alias(v));
		strbuf_append(&labels, ",", 1);
		put_label(&labels, "model", v->st->known ? v->st->info.model : "");
		strbuf_append(&labels, "", 1); /* each set ends with its NUL */
	}
	if (labels.error < 0) {
		strbuf_free(&labels);
		free(views);
		return -ENOMEM;
	}

	for (size_t f = 0; f < ARRAY_SIZE(device_families); f++) {
		const struct device_family *fam = &device_families[f];

		put_family(b, fam->name, fam->type, fam->help);
		for (size_t i = 0; i < n; i++) {
			double value;

			if (!fam->value(&views[i], now, &value))
				continue;
			put_head(b, fam->name, labels.s + views[i].labels);
			put_double(b, value);
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
	put_label(b, "device", plug_label(p));
	strbuf_append(b, ",", 1);
	put_label(b, "plug", addr);
}

/* The le label of each bucket, "+Inf" last. */
static void put_bucket_labels(struct strbuf *b, size_t *offsets)
{
	for (unsigned k = 0; k <= PLUG_POLL_BUCKETS; k++) {
		offsets[k] = b->len;
		put_str(b, ",le=\"");
		if (k < PLUG_POLL_BUCKETS)
			put_double(b, (double)plug_poll_bucket_usec[k] / USEC_PER_SEC);
		else
			put_str(b, "+Inf");
		strbuf_append(b, "\"", 2); /* and the NUL */
	}
}

/* name{plug labels,more} value */
static void put_plug_line(struct strbuf *b, const char *name, const char *labels,
			  const char *more, uint64_t value)
{
	put_str(b, name);
	strbuf_append(b, "{", 1);
	put_str(b, labels);
	put_str(b, more);
	strbuf_append(b, "} ", 2);
	put_u64(b, value);
	strbuf_append(b, "\n", 1);
}

static int put_plugs(struct strbuf *b, struct registry *reg)
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

	put_family(b, "kasad_plug_requests_total", "counter",
		   "Round trips to the plug begun (and name lookups that failed)");
	for (size_t i = 0; i < n; i++)
		put_plug_line(b, "kasad_plug_requests_total", labels.s + at[i], "",
			      plug_stats(registry_plug(reg, i))->requests);

	put_family(b, "kasad_plug_failures_total", "counter",
		   "Round trips to the plug that failed, by cause");
	for (size_t i = 0; i < n; i++) {
		const struct plug_stats *s = plug_stats(registry_plug(reg, i));

		for (unsigned k = 0; k < PLUG_FAILURE_MAX; k++)
			put_plug_line(b, "kasad_plug_failures_total", labels.s + at[i],
				      failure_label[k], s->failures[k]);
	}

	put_family(b, "kasad_poll_duration_seconds", "histogram",
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
		put_head(b, "kasad_poll_duration_seconds_sum", l);
		put_double(b, (double)s->poll_usec_sum / USEC_PER_SEC);
		strbuf_append(b, "\n", 1);
		put_plug_line(b, "kasad_poll_duration_seconds_count", l, "", s->polls);
	}
	strbuf_free(&labels);
	free(at);
	return 0;
}

/* --- The daemon and the process --------------------------------------------- */

static void put_http(struct strbuf *b)
{
	if (n_http_counts == 0)
		return;
	put_family(b, "kasad_http_requests_total", "counter",
		   "HTTP requests answered, by route template, method and status code");
	for (size_t i = 0; i < n_http_counts; i++) {
		const struct http_count *c = &http_counts[i];

		strbuf_printf(b, "kasad_http_requests_total{");
		put_label(b, "route", c->route ? c->route : "unmatched");
		strbuf_printf(b, ",method=\"%s\",code=\"%u\"} %" PRIu64 "\n",
			      method_name(c->method), c->status, c->n);
	}
}

/* A family of one sample without labels. */
static void put_one(struct strbuf *b, const char *name, const char *type, const char *help,
		    uint64_t value)
{
	put_family(b, name, type, help);
	strbuf_printf(b, "%s %" PRIu64 "\n", name, value);
}

static void put_mqtt(struct strbuf *b)
{
	const struct metrics_mqtt *m = &mqtt_counts;

	if (!m->enabled)
		return;
	put_one(b, "kasad_mqtt_connected", "gauge", "1 while the MQTT broker is connected",
		m->connected);
	put_one(b, "kasad_mqtt_messages_received_total", "counter",
		"MQTT messages received from the broker", m->received);
	put_one(b, "kasad_mqtt_messages_sent_total", "counter", "MQTT messages published",
		m->sent);
	put_one(b, "kasad_mqtt_messages_refused_total", "counter",
		"MQTT messages refused: for no device, malformed, or too large", m->refused);
	put_one(b, "kasad_mqtt_reconnects_total", "counter",
		"Connections to the MQTT broker after the first", m->reconnects);
}

static void put_discovery(struct strbuf *b)
{
	const struct metrics_discovery *m = &discovery_counts;

	if (!m->enabled)
		return;
	put_one(b, "kasad_discovery_rounds_total", "counter",
		"Discovery rounds begun (each sends its probes three times)", m->rounds);
	put_one(b, "kasad_discovery_answers_total", "counter",
		"Answers to discovery's probes, repeats included", m->answers);
	put_one(b, "kasad_discovery_moves_total", "counter",
		"Plugs named by their MAC that discovery found, at start or at a new address",
		m->moves);
	put_one(b, "kasad_discovered_devices", "gauge",
		"Devices that answered discovery and are not in the inventory (GET /discovered)",
		m->discovered);
}

static void put_daemon(struct strbuf *b, struct registry *reg)
{
	struct plug_totals t;

	put_family(b, "kasad_build_info", "gauge", "Always 1: the version of kasad running");
	strbuf_printf(b, "kasad_build_info{");
	put_label(b, "version", PACKAGE_VERSION);
	strbuf_printf(b, "} 1\n");
	put_family(b, "kasad_devices", "gauge", "Devices in the inventory");
	strbuf_printf(b, "kasad_devices %zu\n", registry_count(reg));
	put_family(b, "kasad_devices_online", "gauge", "Devices whose plug is online");
	strbuf_printf(b, "kasad_devices_online %zu\n", registry_online(reg));
	put_family(b, "kasad_plugs", "gauge",
		   "Plugs kasad talks to (a strip and its outlets' devices share one)");
	strbuf_printf(b, "kasad_plugs %zu\n", registry_plug_count(reg));
	plug_totals(&t);
	put_family(b, "kasad_round_trips_in_flight", "gauge",
		   "Round trips to plugs in flight now, clients' and the poller's");
	strbuf_printf(b, "kasad_round_trips_in_flight %u\n", t.in_flight);
	put_family(b, "kasad_polls_in_flight", "gauge",
		   "The poller's round trips in flight now (at most polls_in_flight)");
	strbuf_printf(b, "kasad_polls_in_flight %u\n", t.polls_in_flight);
	put_family(b, "kasad_polls_in_flight_peak", "gauge",
		   "The most of the poller's round trips in flight at once since start");
	strbuf_printf(b, "kasad_polls_in_flight_peak %u\n", t.polls_peak);
	put_family(b, "kasad_polls_waiting", "gauge",
		   "Plugs whose poll waits for a place under polls_in_flight");
	strbuf_printf(b, "kasad_polls_waiting %u\n", t.polls_waiting);
}

static double timespec_s(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

/* Descriptors open, /proc/self/fd's own excluded; -1 when unknown. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* The names and meanings of Prometheus's process collector. */
static void put_process(struct strbuf *b, uint64_t start_usec)
{
	struct timespec real;
	struct rusage ru;
	struct rlimit rl;
	unsigned long vm, rss;
	FILE *f;
	long fds;

	if (clock_gettime(CLOCK_REALTIME, &real) == 0) {
		double up = (double)(monotonic_usec() - start_usec) / USEC_PER_SEC;

		put_family(b, "process_start_time_seconds", "gauge",
			   "Start time of the process since the Unix epoch, in seconds");
		strbuf_printf(b, "process_start_time_seconds %.3f\n", timespec_s(&real) - up);
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		put_family(b, "process_cpu_seconds_total", "counter",
			   "User and system CPU time spent, in seconds");
		strbuf_printf(b, "process_cpu_seconds_total ");
		put_double(b, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				      (double)ru.ru_stime.tv_sec +
				      (double)ru.ru_stime.tv_usec / 1e6);
		strbuf_append(b, "\n", 1);
	}
	f = fopen("/proc/self/statm", "re");
	if (f) {
		long page = sysconf(_SC_PAGESIZE);

		if (fscanf(f, "%lu %lu", &vm, &rss) == 2 && page > 0) {
			put_family(b, "process_virtual_memory_bytes", "gauge",
				   "Virtual memory size, in bytes");
			strbuf_printf(b, "process_virtual_memory_bytes %lu\n",
				      vm * (unsigned long)page);
			put_family(b, "process_resident_memory_bytes", "gauge",
				   "Resident memory size, in bytes");
			strbuf_printf(b, "process_resident_memory_bytes %lu\n",
				      rss * (unsigned long)page);
		}
		fclose(f);
	}
	fds = open_fds();
	if (fds >= 0) {
		put_family(b, "process_open_fds", "gauge", "Open file descriptors");
		strbuf_printf(b, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		put_family(b, "process_max_fds", "gauge", "The limit of open file descriptors");
		strbuf_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
}

int metrics_render(struct registry *reg, uint64_t now_usec, uint64_t start_usec, char **ret_text,
		   size_t *ret_len)
{
	struct strbuf b = STRBUF_INIT(METRICS_TEXT_MAX);
	int r;

	/* About 2.7 KiB a device and its plug: one allocation, not twenty
	 * doublings and their copies. */
	strbuf_reserve(&b, 8192 + registry_count(reg) * 2900);
	r = put_devices(&b, reg, now_usec);
	if (r >= 0)
		r = put_plugs(&b, reg);
	if (r >= 0) {
		put_http(&b);
		put_mqtt(&b);
		put_discovery(&b);
		put_daemon(&b, reg);
		put_process(&b, start_usec);
	}
	if (r < 0 || b.error < 0) {
		strbuf_free(&b);
		return -ENOMEM;
	}
	*ret_text = strbuf_steal(&b, ret_len);
	return 0;
}
