/* SPDX-License-Identifier: MIT */
/*
 * The keys, each once.  A new key is a line here and a field in config.h;
 * the loader, the defaults and --dump-config follow from the line.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/mac.h"
#include "common/macro.h"
#include "config.h"
#include "kasa.h"
#include "schema.h"
#include "strparse.h"

#define FIELD(type, f) .offset = offsetof(type, f), .size = sizeof(((type *)0)->f)
#define KASAD(f)       FIELD(struct config, f)
#define DEVICE(f)      FIELD(struct config_device, f)
#define MQTT(f)	       FIELD(struct config_mqtt, f)
#define LIST(f)	       KASAD(f), .n_offset = offsetof(struct config, n_##f)
#define KIB	       1024ULL
#define MIB	       (1024 * KIB)
#define GIB	       (1024 * MIB)
/* "key = value" up to this long, "key=value" beyond: never longer than the
 * line it was read from, so never too long for inih to read back. */
#define DUMP_SPACED_MAX 78

static const struct schema_key kasad_keys[] = {
	{"listen", SCHEMA_LISTEN, .def = "127.0.0.1:8080", KASAD(listen),
	 .doc = "where the HTTP API listens: ADDR:PORT, [ADDR6]:PORT or PORT (on 127.0.0.1)"},
	{"poll_interval", SCHEMA_DURATION, 0, USEC_PER_DAY, .off = true, .def = "10s",
	 KASAD(poll_interval_usec),
	 .doc = "how often each plug is asked for its state; off: never"},
	{"request_timeout", SCHEMA_DURATION, USEC_PER_MSEC, 5 * USEC_PER_MIN, .def = "5s",
	 KASAD(request_timeout_usec), .doc = "how long a plug may take to answer one request"},
	/* The default follows poll_interval: see config.c's check_all(). */
	{"cache_max_age", SCHEMA_DURATION, 0, USEC_PER_DAY, .def = "20s", KASAD(cache_max_age_usec),
	 .doc = "how old a state may be and answer a read (default twice poll_interval)"},
	{"offline_after", SCHEMA_UINT, 1, 100, .def = "3", KASAD(offline_after),
	 .doc = "missed polls in a row before a plug is offline"},
	{"backoff_max", SCHEMA_DURATION, USEC_PER_MSEC, USEC_PER_DAY, .def = "5m",
	 KASAD(backoff_max_usec), .doc = "the longest poll interval of an offline plug"},
	{"history", SCHEMA_DURATION, 0, 7 * USEC_PER_DAY, .off = true, .def = "24h",
	 KASAD(history_usec),
	 .doc = "how far back each meter's power is kept, one value a poll_interval; off: none"},
	{"time_sync", SCHEMA_BOOL, .def = "no", KASAD(time_sync),
	 .doc = "yes: keep every plug's clock within 2 s of this host's, checked hourly"},
	{"time_zone", SCHEMA_ZONE, 0, KASA_TIMEZONE_INDEX_MAX, .def = "local", KASAD(time_zone),
	 .doc = "the zone a plug's clock is set in: local (this host's), keep, or an index 0..109"},
	{"shutdown_timeout", SCHEMA_DURATION, 0, 5 * USEC_PER_MIN, .def = "3s",
	 KASAD(shutdown_timeout_usec),
	 .doc = "how long kasad may take to finish its work on SIGTERM"},
	{"max_connections", SCHEMA_UINT, 1, 65535, .def = "256", KASAD(max_connections),
	 .doc = "HTTP connections open at once, in all"},
	{"max_connections_per_ip", SCHEMA_UINT, 1, 65535, .def = "32",
	 KASAD(max_connections_per_ip), .doc = "HTTP connections open at once from one address"},
	{"connection_timeout", SCHEMA_DURATION, USEC_PER_SEC, USEC_PER_DAY, .def = "30s",
	 KASAD(connection_timeout_usec),
	 .doc = "an idle HTTP connection is closed after this long"},
	{"max_devices", SCHEMA_UINT, 1, CONFIG_DEVICES_MAX, .def = "16384", KASAD(max_devices),
	 .doc = "[device] sections at most: a bound on what a reload may bring"},
	{"polls_in_flight", SCHEMA_UINT, 1, 65535, .def = "256", KASAD(polls_in_flight),
	 .doc = "polls (and read-backs) in flight at once over all plugs; the rest wait"},
	{"queue_max", SCHEMA_UINT, 1, 10000, .def = "64", KASAD(queue_max),
	 .doc = "requests that may wait for one plug"},
	{"body_max", SCHEMA_SIZE, 64, MIB, .def = "4096", KASAD(body_max),
	 .doc = "the largest request body, in bytes"},
	{"answer_memory_max", SCHEMA_SIZE, 64 * KIB, 4 * GIB, .def = "64M",
	 KASAD(answer_memory_max), .doc = "large answers not yet sent to slow readers, in all"},
	{"tokens", SCHEMA_PATH, KASAD(tokens),
	 .doc = "the tokens file (SCOPE TOKEN lines); without one no token is needed"},
	{"credentials", SCHEMA_PATH, KASAD(credentials),
	 .doc = "the TP-Link account for KLAP plugs: a file, e-mail on line 1, password on line 2"},
	{"allow_unauthenticated", SCHEMA_BOOL, .def = "no", KASAD(allow_unauthenticated),
	 .doc = "yes: serve beyond loopback without a tokens file"},
	{"allowed_hosts", SCHEMA_HOSTS, LIST(allowed_hosts),
	 .doc = "Host names beside localhost and addresses, separated by spaces"},
	{"cors_origins", SCHEMA_ORIGINS, LIST(cors_origins),
	 .doc = "web origins whose pages may call the API (CORS), separated by spaces"},
	{"client_rate", SCHEMA_UINT, 0, 100000, .def = "50", KASAD(client_rate),
	 .doc = "requests a second from one client address; 0: no limit"},
	{"client_burst", SCHEMA_UINT, 1, 1000000, .def = "100", KASAD(client_burst),
	 .doc = "requests one client address may send at once beyond client_rate"},
	{"switch_rate", SCHEMA_UINT, 0, 6000, .def = "60", KASAD(switch_rate),
	 .doc = "state changes a minute for one plug; 0: no limit"},
	{"switch_burst", SCHEMA_UINT, 1, 1000, .def = "10", KASAD(switch_burst),
	 .doc = "state changes of one plug at once beyond switch_rate"},
	{"request_deadline", SCHEMA_DURATION, USEC_PER_SEC, 5 * USEC_PER_MIN, .def = "10s",
	 KASAD(request_deadline_usec),
	 .doc = "a request's line, headers and body arrive within it"},
	{"url_max", SCHEMA_SIZE, 256, 8192, .def = "2048", KASAD(url_max),
	 .doc = "the longest request target, in bytes; 414 beyond"},
	{"header_max", SCHEMA_SIZE, 1024, 32768, .def = "8192", KASAD(header_max),
	 .doc = "the request's header lines in all, in bytes; 431 beyond"},
	{"empty_inventory", SCHEMA_BOOL, .def = "no", KASAD(empty_inventory),
	 .doc = "yes: no [device] section, on purpose (a reload may then drop every device)"},
	{"discover", SCHEMA_TARGETS, LIST(discover),
	 .doc = "where discovery goes: IPv4 ADDR[:PORT] (a plug, or a broadcast address), spaced"},
	{"discover_broadcast", SCHEMA_BOOL, .def = "no", KASAD(discover_broadcast),
	 .doc = "yes: discovery goes to the broadcast address of each interface listened on too"},
	{"discover_interval", SCHEMA_DURATION, USEC_PER_MIN, USEC_PER_DAY, .def = "5m",
	 KASAD(discover_interval_usec),
	 .doc = "how often discovery runs; more often while a plug named by its MAC is missing"},
	{"discover_klap_port", SCHEMA_UINT, 0, 65535, .def = "20002", KASAD(discover_klap_port),
	 .doc = "the port of the probe of KLAP firmware at each discovery address; 0: none"},
};

static const char *const transports[] = {"auto", "xor", "klap", NULL};
static const char *const defaults_yes_no[] = {"default", "yes", "no", NULL};

/* A device's poll_interval cannot be "off": not set is "as [kasad]". */
static const struct schema_key device_keys[] = {
	{"host", SCHEMA_HOST, DEVICE(host),
	 .doc = "the plug's host name or address (required without mac)"},
	{"mac", SCHEMA_MAC, DEVICE(mac),
	 .doc = "the plug's MAC: found by discovery at start and whenever it stops answering"},
	{"port", SCHEMA_UINT, 1, 65535, .def = "9999", DEVICE(port),
	 .doc = "the plug's TCP port for the XOR protocol"},
	{"transport", SCHEMA_CHOICE, .def = "auto", DEVICE(transport), .choices = transports,
	 .doc = "xor (port), klap (klap_port), or auto: xor, and klap when port refuses"},
	{"klap_port", SCHEMA_UINT, 1, 65535, .def = "80", DEVICE(klap_port),
	 .doc = "the plug's HTTP port for KLAP, the protocol of newer firmware"},
	{"credentials", SCHEMA_PATH, DEVICE(credentials),
	 .doc = "this plug's own credentials file; not set: [kasad]'s"},
	{"time_sync", SCHEMA_CHOICE, .def = "default", DEVICE(time_sync),
	 .choices = defaults_yes_no,
	 .doc = "keep this plug's clock right: yes, no, or default ([kasad]'s)"},
	{"outlet", SCHEMA_UINT, 0, KASA_OUTLETS_MAX - 1, DEVICE(outlet),
	 .doc = "one outlet of a power strip; not set: the whole plug or strip"},
	{"poll_interval", SCHEMA_DURATION, USEC_PER_MSEC, USEC_PER_DAY, DEVICE(poll_interval_usec),
	 .doc = "this device's own poll_interval; not set: [kasad]'s"},
};

static const struct schema_key mqtt_keys[] = {
	{"broker", SCHEMA_HOST, MQTT(broker),
	 .doc = "the MQTT broker: HOST[:PORT] (port 1883 by default; required)"},
	{"topic", SCHEMA_TOPIC, .def = "kasad", MQTT(topic),
	 .doc = "the base topic; several kasad on one broker each need their own"},
	{"discovery", SCHEMA_TOPIC, .def = "homeassistant", MQTT(discovery),
	 .doc = "Home Assistant's discovery prefix; no: publish no discovery"},
	{"client_id", SCHEMA_TOPIC, MQTT(client_id),
	 .doc = "the MQTT client id; not set: kasad-TOPIC-HOSTNAME"},
	{"credentials", SCHEMA_PATH, MQTT(credentials),
	 .doc = "the broker's user on line 1 and password on line 2 of this file"},
	{"tls", SCHEMA_BOOL, .def = "no", MQTT(tls), .doc = "yes: speak TLS to the broker"},
	{"ca_file", SCHEMA_PATH, MQTT(ca_file),
	 .doc = "the CA certificates the broker's is checked against; not set: the system's"},
	{"qos", SCHEMA_UINT, 0, 2, .def = "1", MQTT(qos),
	 .doc = "the MQTT quality of service of what kasad publishes and subscribes to"},
	{"keepalive", SCHEMA_DURATION, 5 * USEC_PER_SEC, USEC_PER_HOUR, .def = "30s",
	 MQTT(keepalive_usec), .doc = "how often kasad and the broker check on each other"},
};

const struct schema_key *schema_keys(enum schema_section s, size_t *ret_n)
{
	switch (s) {
	case SCHEMA_KASAD:
		*ret_n = ARRAY_SIZE(kasad_keys);
		return kasad_keys;
	case SCHEMA_DEVICE:
		*ret_n = ARRAY_SIZE(device_keys);
		return device_keys;
	case SCHEMA_MQTT:
		*ret_n = ARRAY_SIZE(mqtt_keys);
		return mqtt_keys;
	}
	*ret_n = 0;
	return NULL;
}

int schema_lookup(enum schema_section s, const char *name)
{
	size_t n;
	const struct schema_key *keys = schema_keys(s, &n);

	for (size_t i = 0; i < n; i++)
		if (streq(keys[i].name, name))
			return (int)i;
	return -1;
}

static void *field(const struct schema_key *k, void *base)
{
	return (char *)base + k->offset;
}

static void store_number(const struct schema_key *k, void *base, uint64_t v)
{
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (k->size) {
	case sizeof(v16):
		memcpy(field(k, base), &v16, sizeof(v16));
		break;
	case sizeof(v32):
		memcpy(field(k, base), &v32, sizeof(v32));
		break;
	case sizeof(v):
		memcpy(field(k, base), &v, sizeof(v));
		break;
	default:
		assert(!"a number is 2, 4 or 8 bytes");
	}
}

static uint64_t load_number(const struct schema_key *k, const void *base)
{
	const void *f = (const char *)base + k->offset;
	uint16_t v16;
	uint32_t v32;
	uint64_t v = 0;

	switch (k->size) {
	case sizeof(v16):
		memcpy(&v16, f, sizeof(v16));
		return v16;
	case sizeof(v32):
		memcpy(&v32, f, sizeof(v32));
		return v32;
	case sizeof(v):
		memcpy(&v, f, sizeof(v));
		return v;
	default:
		assert(!"a number is 2, 4 or 8 bytes");
		return 0;
	}
}

/* A number or a duration for key k, range-checked; reports and returns
 * -EINVAL when it is not good. */
static int parse_number(const struct schema_key *k, const char *value, struct diag *d,
			uint64_t *ret)
{
	char lo[STRPARSE_FORMAT_MAX], hi[STRPARSE_FORMAT_MAX];
	uint64_t v = 0;
	int r = -EINVAL;

	switch (k->type) {
	case SCHEMA_DURATION:
		if (k->off && streq(value, "off")) {
			*ret = 0;
			return 0;
		}
		r = strparse_duration(value, &v);
		strparse_format_duration(k->min, lo, sizeof(lo));
		strparse_format_duration(k->max, hi, sizeof(hi));
		if (r == -EINVAL) {
			diag_report(d, d->line,
				    "%s: \"%s\" is not a duration (such as 250ms, 10s, 2m or 1h%s)",
				    k->name, value, k->off ? ", or off" : "");
			return -EINVAL;
		}
		break;
	case SCHEMA_UINT:
	case SCHEMA_SIZE:
		r = k->type == SCHEMA_SIZE ? strparse_size(value, &v)
					   : strparse_uint(value, NULL, &v);
		snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
		snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
		if (r == -EINVAL) {
			diag_report(d, d->line, "%s: \"%s\" is not a number%s", k->name, value,
				    k->type == SCHEMA_SIZE ? " of bytes (such as 4096, 4k or 64M)"
							   : "");
			return -EINVAL;
		}
		break;
	case SCHEMA_BOOL:
	case SCHEMA_LISTEN:
	case SCHEMA_HOST:
	case SCHEMA_PATH:
	case SCHEMA_HOSTS:
	case SCHEMA_CHOICE:
	case SCHEMA_ORIGINS:
	case SCHEMA_TOPIC:
	case SCHEMA_ZONE:
	case SCHEMA_MAC:
	case SCHEMA_TARGETS:
		assert(!"not a number");
		return -EINVAL;
	}
	if (r < 0 || v < k->min || v > k->max) {
		diag_report(d, d->line, "%s: %s is out of range (%s to %s)", k->name, value, lo,
			    hi);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int oom(struct diag *d)
{
	diag_oom(d);
	return -ENOMEM;
}

/* Replaces the string field with a copy of value. */
static int store_string(const struct schema_key *k, void *base, const char *value, struct diag *d)
{
	char **f = field(k, base);
	char *copy = strdup(value);

	if (!copy)
		return oom(d);
	free(*f);
	*f = copy;
	return 0;
}

static int set_listen(const struct schema_key *k, const char *value, struct config *c,
		      struct diag *d)
{
	struct sockaddr_storage ss;
	const char *why = NULL;
	socklen_t len;

	if (strparse_listen(value, &ss, &len, &why) < 0) {
		diag_report(d, d->line, "%s: \"%s\": %s", k->name, value, why);
		return -EINVAL;
	}
	if (store_string(k, c, value, d) < 0)
		return -ENOMEM;
	c->listen_addr = ss;
	c->listen_addrlen = len;
	return 0;
}

static int set_path(const struct schema_key *k, const char *value, void *base, struct diag *d)
{
	for (const char *s = value; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f) {
			diag_report(d, d->line, "%s: a control character in the file name",
				    k->name);
			return -EINVAL;
		}
	if (strlen(value) > CONFIG_PATH_MAX) {
		diag_report(d, d->line, "%s: longer than %d characters", k->name, CONFIG_PATH_MAX);
		return -EINVAL;
	}
	return store_string(k, base, value, d);
}

/* Levels of letters, digits, '_', '.' and '-' separated by single '/':
 * nothing MQTT gives a meaning to ('+', '#', a leading '$'), no empty
 * level, and names Home Assistant takes in its discovery ids. */
static int set_topic(const struct schema_key *k, const char *value, void *base, struct diag *d)
{
	size_t n = strlen(value);
	bool ok = n > 0 && n < CONFIG_MQTT_TOPIC_MAX && value[0] != '/' && value[n - 1] != '/' &&
		  !strstr(value, "//");

	for (const char *s = value; ok && *s; s++)
		ok = isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-' || *s == '/';
	if (!ok) {
		diag_report(d, d->line,
			    "%s: \"%s\" is not a topic of letters, digits, '_', '.' and '-' in "
			    "levels separated by '/' (at most %d characters)",
			    k->name, value, CONFIG_MQTT_TOPIC_MAX - 1);
		return -EINVAL;
	}
	return store_string(k, base, value, d);
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* One word of a list, checked; host names are kept in lower case, origins
 * as written.  What is wrong, or NULL. */
static const char *list_word_problem(const struct schema_key *k, char *w)
{
	struct sockaddr_storage ss;
	const char *why = NULL;
	uint16_t port;

	if (k->type == SCHEMA_ORIGINS)
		return strparse_origin_problem(w);
	if (k->type == SCHEMA_TARGETS)
		return strparse_ipv4_port(w, KASA_PORT, &ss, &port, &why) < 0 ? why : NULL;
	for (char *c = w; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!strparse_host_ok(w) || w[strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-.")])
		return "not a host name (letters, digits, '-' and '.')";
	return NULL;
}

/* Names separated by spaces, at most CONFIG_LIST_MAX. */
static int set_list(const struct schema_key *k, const char *value, void *base, struct diag *d)
{
	_cleanup_free_ char *copy = strdup(value);
	char **list, *save = NULL;
	char ***ret_list = field(k, base);
	size_t *ret_n = (size_t *)((char *)base + k->n_offset);
	size_t n = 0;
	int r = 0;

	list = calloc(CONFIG_LIST_MAX, sizeof(*list));
	if (!copy || !list) {
		free(list);
		return oom(d);
	}
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		const char *why;

		if (n == CONFIG_LIST_MAX) {
			diag_report(d, d->line, "%s: more than %d entries", k->name,
				    CONFIG_LIST_MAX);
			r = -EINVAL;
			break;
		}
		why = list_word_problem(k, w);
		if (why) {
			diag_report(d, d->line, "%s: \"%s\": %s", k->name, w, why);
			r = -EINVAL;
			continue;
		}
		list[n] = strdup(w);
		if (!list[n]) {
			r = oom(d);
			break;
		}
		n++;
	}
	if (r < 0) {
		free_list(list, n);
		return r;
	}
	free_list(*ret_list, *ret_n);
	*ret_list = list;
	*ret_n = n;
	return 0;
}

/* Six pairs of hex digits (colons, dashes or none), kept in one form; kept
 * as written when wrong (the load fails anyway), so that "no host" is not
 * said as well. */
static int set_mac(const struct schema_key *k, const char *value, void *base, struct diag *d)
{
	char mac[MAC_TEXT_SIZE];

	if (mac_parse(value, mac))
		return store_string(k, base, mac, d);
	diag_report(d, d->line,
		    "%s: \"%s\" is not a MAC address (six pairs of hex digits, such as "
		    "50:C7:BF:01:02:03)",
		    k->name, value);
	return store_string(k, base, value, d) ?: -EINVAL;
}

static int set_choice(const struct schema_key *k, const char *value, void *base, struct diag *d)
{
	char words[128] = "";

	for (unsigned i = 0; k->choices[i]; i++)
		if (streq(value, k->choices[i])) {
			*(unsigned *)field(k, base) = i;
			return 0;
		}
	for (unsigned i = 0; k->choices[i]; i++)
		snprintf(words + strlen(words), sizeof(words) - strlen(words), "%s%s",
			 i ? (k->choices[i + 1] ? ", " : " or ") : "", k->choices[i]);
	diag_report(d, d->line, "%s: \"%s\" is not %s", k->name, value, words);
	return -EINVAL;
}

/* local, keep, or an index of TP-Link's table (the key's min..max). */
static int set_zone(const struct schema_key *k, const char *value, void *base, struct diag *d)
{
	uint64_t v;

	if (streq(value, "local") || streq(value, "keep")) {
		*(int *)field(k, base) = streq(value, "local") ? CONFIG_ZONE_LOCAL : CONFIG_ZONE_KEEP;
		return 0;
	}
	if (strparse_uint(value, NULL, &v) < 0 || v < k->min || v > k->max) {
		diag_report(d, d->line,
			    "%s: \"%s\" is not local, keep or a zone's index (%" PRIu64 " to %" PRIu64
			    ")",
			    k->name, value, k->min, k->max);
		return -EINVAL;
	}
	*(int *)field(k, base) = (int)v;
	return 0;
}

int schema_set(const struct schema_key *k, const char *value, void *base, struct diag *d)
{
	uint64_t v;
	bool b;

	switch (k->type) {
	case SCHEMA_DURATION:
	case SCHEMA_UINT:
	case SCHEMA_SIZE:
		if (parse_number(k, value, d, &v) < 0)
			return -EINVAL;
		store_number(k, base, v);
		return 0;
	case SCHEMA_BOOL:
		if (strparse_bool(value, &b) < 0) {
			diag_report(d, d->line, "%s: \"%s\" is not yes or no", k->name, value);
			return -EINVAL;
		}
		*(bool *)field(k, base) = b;
		return 0;
	case SCHEMA_LISTEN:
		return set_listen(k, value, base, d);
	case SCHEMA_HOST:
		/* Kept even when wrong (the load fails anyway), so that "no
		 * host" is not said as well. */
		if (!*value)
			diag_report(d, d->line, "%s: empty value", k->name);
		else if (!strparse_host_ok(value))
			diag_report(d, d->line,
				    "%s: \"%s\" is not a host name or address (letters, digits and "
				    "-.:[]_, at most %d)",
				    k->name, value, STRPARSE_HOST_MAX);
		return store_string(k, base, value, d);
	case SCHEMA_PATH:
		return set_path(k, value, base, d);
	case SCHEMA_HOSTS:
	case SCHEMA_ORIGINS:
	case SCHEMA_TARGETS:
		return set_list(k, value, base, d);
	case SCHEMA_CHOICE:
		return set_choice(k, value, base, d);
	case SCHEMA_TOPIC:
		return set_topic(k, value, base, d);
	case SCHEMA_ZONE:
		return set_zone(k, value, base, d);
	case SCHEMA_MAC:
		return set_mac(k, value, base, d);
	}
	return -EINVAL;
}

int schema_set_defaults(enum schema_section s, void *base, struct diag *d)
{
	size_t n;
	const struct schema_key *keys = schema_keys(s, &n);

	for (size_t i = 0; i < n; i++) {
		int r = keys[i].def ? schema_set(&keys[i], keys[i].def, base, d) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

static void put(FILE *f, const char *name, const char *const *words, size_t n)
{
	size_t len = strlen(name) + 3;

	for (size_t i = 0; i < n; i++)
		len += strlen(words[i]) + (i > 0);
	fprintf(f, "%s%s", name, len <= DUMP_SPACED_MAX ? " = " : "=");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", words[i]);
	fputc('\n', f);
}

/* k's value as it would be written; NULL when it is not set. */
static const char *value_text(const struct schema_key *k, const void *base, char *buf, size_t size)
{
	const void *f = (const char *)base + k->offset;
	uint64_t v;

	switch (k->type) {
	case SCHEMA_DURATION:
	case SCHEMA_UINT:
	case SCHEMA_SIZE:
		v = load_number(k, base);
		if (k->off && v == 0)
			return "off";
		if (v < k->min || v > k->max)
			return NULL;
		if (k->type == SCHEMA_DURATION)
			strparse_format_duration(v, buf, size);
		else if (k->type == SCHEMA_SIZE)
			strparse_format_size(v, buf, size);
		else
			snprintf(buf, size, "%" PRIu64, v);
		return buf;
	case SCHEMA_BOOL:
		return *(const bool *)f ? "yes" : "no";
	case SCHEMA_LISTEN:
	case SCHEMA_HOST:
	case SCHEMA_PATH:
	case SCHEMA_TOPIC:
	case SCHEMA_MAC:
		return *(char *const *)f;
	case SCHEMA_CHOICE:
		return k->choices[*(const unsigned *)f];
	case SCHEMA_ZONE:
		if (*(const int *)f < 0)
			return *(const int *)f == CONFIG_ZONE_LOCAL ? "local" : "keep";
		snprintf(buf, size, "%d", *(const int *)f);
		return buf;
	case SCHEMA_HOSTS:
	case SCHEMA_ORIGINS:
	case SCHEMA_TARGETS:
		break;
	}
	return NULL;
}

void schema_dump(enum schema_section s, const void *base, bool docs, FILE *f)
{
	size_t n;
	const struct schema_key *keys = schema_keys(s, &n);

	for (size_t i = 0; i < n; i++) {
		const struct schema_key *k = &keys[i];
		char buf[STRPARSE_FORMAT_MAX];
		const char *text = value_text(k, base, buf, sizeof(buf));
		size_t count = 0;

		if (k->type == SCHEMA_HOSTS || k->type == SCHEMA_ORIGINS ||
		    k->type == SCHEMA_TARGETS)
			count = *(const size_t *)((const char *)base + k->n_offset);
		if (docs)
			fprintf(f, "# %s\n", k->doc);
		if (count)
			put(f, k->name,
			    *(const char *const *const *)((const char *)base + k->offset), count);
		else if (text)
			put(f, k->name, &text, 1);
		else if (docs)
			fprintf(f, "# %s: not set\n", k->name);
	}
}
