/* SPDX-License-Identifier: MIT */
/*
 * What the schema alone cannot say, checked once the whole file is read
 * ([kasad] may come last): the MQTT broker, the limits against each
 * other, the devices that share a plug (config-plugs.c), and the exposure
 * rule: kasad listens beyond loopback only with tokens or
 * allow_unauthenticated.  And cache_max_age, when not set, made to
 * follow poll_interval.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "common/macro.h"
#include "config-private.h"
#include "config.h"
#include "diag.h"
#include "schema.h"
#include "strparse.h"

/* Where a [kasad] key was set, 0 when it was not. */
static unsigned kasad_key_line(const struct parser *p, const char *name)
{
	int i = schema_lookup(SCHEMA_KASAD, name);

	assert(i >= 0);
	return p->kasad_key_line[i];
}

/* Where an [mqtt] key was set, else where the section starts. */
static unsigned mqtt_key_line(const struct parser *p, const char *name)
{
	int i = schema_lookup(SCHEMA_MQTT, name);

	assert(i >= 0);
	return p->mqtt_key_line[i] ? p->mqtt_key_line[i] : p->c->mqtt.line;
}

/* broker = HOST[:PORT]: HOST a name, an IPv4 address or [IPV6]; a bare
 * IPv6 address (two colons or more) has no port. */
static void check_mqtt(struct parser *p)
{
	struct config_mqtt *m = &p->c->mqtt;
	const char *b = m->broker, *colon, *host_end;
	unsigned line = mqtt_key_line(p, "broker");
	uint64_t port = CONFIG_MQTT_PORT;

	if (!b) {
		diag_report(&p->diag, line, "[mqtt]: no broker");
		return;
	}
	if (b[0] == '[') {
		host_end = strchr(b, ']');
		if (!host_end || host_end == b + 1 || (host_end[1] && host_end[1] != ':')) {
			diag_report(&p->diag, line, "broker: \"%s\" is not [IPV6ADDR]:PORT", b);
			return;
		}
		colon = host_end[1] ? host_end + 1 : NULL;
		m->broker_host = strndup(b + 1, (size_t)(host_end - b - 1));
	} else {
		colon = strchr(b, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		m->broker_host = colon ? strndup(b, (size_t)(colon - b)) : strdup(b);
	}
	if (!m->broker_host) {
		diag_oom(&p->diag);
		return;
	}
	if (!*m->broker_host) {
		diag_report(&p->diag, line, "broker: \"%s\" names no host", b);
		return;
	}
	if (colon && (strparse_uint(colon + 1, NULL, &port) < 0 || port < 1 || port > 65535)) {
		diag_report(&p->diag, line, "broker: \"%s\": the port is not 1 to 65535", b);
		return;
	}
	m->broker_port = (uint16_t)port;
	if (m->ca_file && !m->tls)
		diag_report(&p->diag, mqtt_key_line(p, "ca_file"),
			    "ca_file: set, but tls is no (the broker's certificate is not asked for)");
	/* BASE/bridge/state is the bridge's own. */
	for (size_t i = 0; i < p->c->n_devices; i++)
		if (streq(p->c->devices[i].name, "bridge"))
			diag_report(&p->diag, p->c->devices[i].line,
				    "[device \"bridge\"]: with [mqtt], the name bridge is the "
				    "bridge's own topic (%s/bridge/state): rename the device",
				    m->topic);
}

void config_check_all(struct parser *p)
{
	struct config *c = p->c;

	if (c->mqtt.enabled)
		check_mqtt(p);
	config_plugs_check(c, &p->diag);
	if (c->n_devices > c->max_devices) {
		const struct config_device *d = &c->devices[c->max_devices];

		diag_report(&p->diag, d->line,
			    "[device \"%s\"]: too many devices (at most %u: max_devices)", d->name,
			    c->max_devices);
	}

	/* "No devices, on purpose" beside devices: one of them is a mistake. */
	if (c->empty_inventory && c->n_devices)
		diag_report(
			&p->diag, kasad_key_line(p, "empty_inventory"),
			"empty_inventory: yes, yet there %s %zu [device] section%s (the first at "
			"line %u)",
			c->n_devices == 1 ? "is" : "are", c->n_devices,
			c->n_devices == 1 ? "" : "s", c->devices[0].line);

	if (c->max_connections_per_ip > c->max_connections) {
		unsigned line = kasad_key_line(p, "max_connections_per_ip");

		if (!line)
			line = kasad_key_line(p, "max_connections");
		diag_report(&p->diag, line,
			    "max_connections_per_ip: %u is more than max_connections (%u)",
			    c->max_connections_per_ip, c->max_connections);
	}

	if (config_exposure(c, (const struct sockaddr *)&c->listen_addr) ==
	    CONFIG_EXPOSURE_REFUSED) {
		unsigned line = kasad_key_line(p, "listen");

		diag_report(
			&p->diag, line,
			"listen: %s is not a loopback address, and there is no tokens file: set "
			"tokens = FILE, or allow_unauthenticated = yes to let anyone who reaches "
			"it "
			"switch the plugs",
			c->listen);
	}
	/* Not set, it follows poll_interval; the schema's default is for
	 * polling off. */
	if (!kasad_key_line(p, "cache_max_age") && c->poll_interval_usec)
		c->cache_max_age_usec = 2 * c->poll_interval_usec;
}

bool config_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return sa->sa_family == AF_UNIX;
}

enum config_exposure config_exposure(const struct config *c, const struct sockaddr *addr)
{
	if (config_loopback(addr))
		return CONFIG_EXPOSURE_LOCAL;
	if (c->tokens)
		return CONFIG_EXPOSURE_TOKENS;
	return c->allow_unauthenticated ? CONFIG_EXPOSURE_OPEN : CONFIG_EXPOSURE_REFUSED;
}
