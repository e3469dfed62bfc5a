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
 *
 * The devices' and the plugs' families are in metrics-devices.c; the text
 * writer both files use, in metrics-private.h.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
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
#include "metrics-private.h"
#include "metrics.h"
#include "plug.h"
#include "registry.h"

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

char *metrics_label_value(const char *s)
{
	struct strbuf b = STRBUF_INIT(METRICS_TEXT_MAX);

	strbuf_reserve(&b, strlen(s));
	metrics_put_label_value(&b, s);
	if (b.error < 0) {
		strbuf_free(&b);
		return NULL;
	}
	return strbuf_steal(&b, NULL);
}

/* --- The daemon and the process --------------------------------------------- */

static void put_http(struct strbuf *b)
{
	if (n_http_counts == 0)
		return;
	metrics_put_family(b, "kasad_http_requests_total", "counter",
			   "HTTP requests answered, by route template, method and status code");
	for (size_t i = 0; i < n_http_counts; i++) {
		const struct http_count *c = &http_counts[i];

		strbuf_printf(b, "kasad_http_requests_total{");
		metrics_put_label(b, "route", c->route ? c->route : "unmatched");
		strbuf_printf(b, ",method=\"%s\",code=\"%u\"} %" PRIu64 "\n",
			      method_name(c->method), c->status, c->n);
	}
}

/* A family of one sample without labels. */
static void put_one(struct strbuf *b, const char *name, const char *type, const char *help,
		    uint64_t value)
{
	metrics_put_family(b, name, type, help);
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

	metrics_put_family(b, "kasad_build_info", "gauge",
			   "Always 1: the version of kasad running");
	strbuf_printf(b, "kasad_build_info{");
	metrics_put_label(b, "version", PACKAGE_VERSION);
	strbuf_printf(b, "} 1\n");
	metrics_put_family(b, "kasad_devices", "gauge", "Devices in the inventory");
	strbuf_printf(b, "kasad_devices %zu\n", registry_count(reg));
	metrics_put_family(b, "kasad_devices_online", "gauge", "Devices whose plug is online");
	strbuf_printf(b, "kasad_devices_online %zu\n", registry_online(reg));
	metrics_put_family(b, "kasad_plugs", "gauge",
			   "Plugs kasad talks to (a strip and its outlets' devices share one)");
	strbuf_printf(b, "kasad_plugs %zu\n", registry_plug_count(reg));
	plug_totals(&t);
	metrics_put_family(b, "kasad_round_trips_in_flight", "gauge",
			   "Round trips to plugs in flight now, clients' and the poller's");
	strbuf_printf(b, "kasad_round_trips_in_flight %u\n", t.in_flight);
	metrics_put_family(b, "kasad_polls_in_flight", "gauge",
			   "The poller's round trips in flight now (at most polls_in_flight)");
	strbuf_printf(b, "kasad_polls_in_flight %u\n", t.polls_in_flight);
	metrics_put_family(b, "kasad_polls_in_flight_peak", "gauge",
			   "The most of the poller's round trips in flight at once since start");
	strbuf_printf(b, "kasad_polls_in_flight_peak %u\n", t.polls_peak);
	metrics_put_family(b, "kasad_polls_waiting", "gauge",
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

		metrics_put_family(b, "process_start_time_seconds", "gauge",
				   "Start time of the process since the Unix epoch, in seconds");
		strbuf_printf(b, "process_start_time_seconds %.3f\n", timespec_s(&real) - up);
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		metrics_put_family(b, "process_cpu_seconds_total", "counter",
				   "User and system CPU time spent, in seconds");
		strbuf_printf(b, "process_cpu_seconds_total ");
		metrics_put_double(
			b, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
		strbuf_append(b, "\n", 1);
	}
	f = fopen("/proc/self/statm", "re");
	if (f) {
		long page = sysconf(_SC_PAGESIZE);

		if (fscanf(f, "%lu %lu", &vm, &rss) == 2 && page > 0) {
			metrics_put_family(b, "process_virtual_memory_bytes", "gauge",
					   "Virtual memory size, in bytes");
			strbuf_printf(b, "process_virtual_memory_bytes %lu\n",
				      vm * (unsigned long)page);
			metrics_put_family(b, "process_resident_memory_bytes", "gauge",
					   "Resident memory size, in bytes");
			strbuf_printf(b, "process_resident_memory_bytes %lu\n",
				      rss * (unsigned long)page);
		}
		fclose(f);
	}
	fds = open_fds();
	if (fds >= 0) {
		metrics_put_family(b, "process_open_fds", "gauge", "Open file descriptors");
		strbuf_printf(b, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		metrics_put_family(b, "process_max_fds", "gauge",
				   "The limit of open file descriptors");
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
	r = metrics_put_devices(&b, reg, now_usec);
	if (r >= 0)
		r = metrics_put_plugs(&b, reg);
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
