/* SPDX-License-Identifier: MIT */
/*
 * The devices of a configuration that share a plug, and the checks of
 * what they say of it (config-private.h).
 *
 * What names a plug: its MAC when a device gives one (mac = ), else its
 * host and both ports.  A plug named by its MAC is the same plug wherever
 * discovery finds it; its host, when given, is only where to look first.
 * Devices of one plug are its outlets (or the whole plug): two for the same
 * outlet is one too many, and all of them must agree on how to talk to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/macro.h"
#include "config-private.h"

/* Hosts (either may be NULL, which comes first) in any case or as written,
 * then both ports. */
static int cmp_where(const struct config_device *x, const struct config_device *y, bool any_case)
{
	int r = 0;

	if (!x->host != !y->host)
		return x->host ? 1 : -1;
	if (x->host)
		r = any_case ? strcasecmp(x->host, y->host) : strcmp(x->host, y->host);
	if (r)
		return r;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->klap_port != y->klap_port)
		return x->klap_port < y->klap_port ? -1 : 1;
	return 0;
}

/* What names the plug: the MAC, else the host (in any case with
 * any_case) and ports; devices named by a MAC come first. */
static int cmp_identity(const struct config_device *x, const struct config_device *y, bool any_case)
{
	if (!x->mac != !y->mac)
		return x->mac ? -1 : 1;
	if (x->mac)
		return strcmp(x->mac, y->mac);
	return cmp_where(x, y, any_case);
}

/* Where the devices say the plug is: host in any case, ports. */
static int cmp_address(const struct config_device *x, const struct config_device *y)
{
	return cmp_where(x, y, true);
}

/* In configuration order after the key: a run's first is the file's first. */
static int in_order(const struct config_device *x, const struct config_device *y)
{
	return x < y ? -1 : x > y;
}

/* Devices sorted so that those of one plug are together (the MAC, or the
 * host as written, and the ports), in configuration order. */
static int cmp_plug(const void *a, const void *b)
{
	const struct config_device *x = *(const struct config_device *const *)a;
	const struct config_device *y = *(const struct config_device *const *)b;

	return cmp_identity(x, y, false) ?: in_order(x, y);
}

/* Likewise, the host in any case and then by outlet: what
 * config_plugs_check() takes for the same plug, and the same device twice. */
static int cmp_twin(const void *a, const void *b)
{
	const struct config_device *x = *(const struct config_device *const *)a;
	const struct config_device *y = *(const struct config_device *const *)b;
	int r = cmp_identity(x, y, true);

	if (r)
		return r;
	if (x->outlet != y->outlet)
		return x->outlet < y->outlet ? -1 : 1;
	return in_order(x, y);
}

static int cmp_at(const void *a, const void *b)
{
	const struct config_device *x = *(const struct config_device *const *)a;
	const struct config_device *y = *(const struct config_device *const *)b;

	return cmp_address(x, y) ?: in_order(x, y);
}

/* The devices with a host or a MAC, sorted by cmp (owned); NULL when out
 * of memory.  With hosts_only, those with a host alone. */
static const struct config_device **sorted_devices(const struct config *c, size_t *ret_n,
						   int (*cmp)(const void *, const void *),
						   bool hosts_only)
{
	const struct config_device **v = calloc(c->n_devices ? c->n_devices : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < c->n_devices; i++)
		if (c->devices[i].host || (c->devices[i].mac && !hosts_only))
			v[n++] = &c->devices[i];
	qsort(v, n, sizeof(*v), cmp);
	*ret_n = n;
	return v;
}

int config_plugs_group(struct config *c)
{
	_cleanup_free_ const struct config_device **v = NULL;
	_cleanup_free_ size_t *first = calloc(c->n_devices ? c->n_devices : 1, sizeof(*first));
	size_t n;

	v = sorted_devices(c, &n, cmp_plug, false);
	if (!v || !first)
		return -ENOMEM;
	/* For each device, the index of its plug's first device. */
	for (size_t i = 0, head = 0; i < n; i++) {
		if (i == 0 || cmp_identity(v[i - 1], v[i], false))
			head = (size_t)(v[i] - c->devices);
		first[v[i] - c->devices] = head;
	}
	c->n_plugs = c->n_klap_plugs = c->n_auto_plugs = 0;
	for (size_t i = 0; i < c->n_devices; i++) {
		struct config_device *d = &c->devices[i];

		if (first[i] != i) {
			d->plug = c->devices[first[i]].plug;
			continue;
		}
		d->plug = c->n_plugs++;
		c->n_klap_plugs += d->transport == CONFIG_TRANSPORT_KLAP;
		c->n_auto_plugs += d->transport == CONFIG_TRANSPORT_AUTO;
	}
	return 0;
}

/* The device of v[a..b) that comes first in the file. */
static const struct config_device *first_of(const struct config_device **v, size_t a, size_t b)
{
	const struct config_device *m = v[a];

	for (size_t i = a + 1; i < b; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

#define ONE_NAME "one plug, one name (the same mac for both, or none)"

/* How a device clashes with another of its plug. */
enum clash {
	CLASH_NONE,
	CLASH_TWIN,	 /* the same outlet (or whole plug) twice */
	CLASH_HOW,	 /* another transport or credentials */
	CLASH_WHERE,	 /* named by one MAC, but another host or ports */
	CLASH_TWO_NAMES, /* at one address, named by another MAC or by none */
};

static bool same_way(const struct config *c, const struct config_device *x,
		     const struct config_device *y)
{
	return x->transport == y->transport &&
	       streq(config_device_credentials(c, x) ?: "", config_device_credentials(c, y) ?: "");
}

/* One plug, one way to talk to it: in a run of one plug, the devices of
 * one outlet are together, the first in the file first: a later one names
 * it.  A device with another transport, credentials or (named by its MAC)
 * address than the plug's first device names that one. */
static int find_clashes(const struct config *c, const struct config_device **clash, enum clash *why)
{
	_cleanup_free_ const struct config_device **v = NULL;
	size_t n;

	v = sorted_devices(c, &n, cmp_twin, false);
	if (!v)
		return -ENOMEM;
	for (size_t a = 0, b; a < n; a = b) {
		const struct config_device *m;

		for (b = a + 1; b < n && !cmp_identity(v[a], v[b], true); b++)
			;
		m = first_of(v, a, b);
		for (size_t i = a, head = a; i < b; i++) {
			size_t k = (size_t)(v[i] - c->devices);

			if (v[head]->outlet != v[i]->outlet)
				head = i;
			if (head != i) {
				clash[k] = v[head];
				why[k] = CLASH_TWIN;
			} else if (v[i] != m && !same_way(c, m, v[i])) {
				clash[k] = m;
				why[k] = CLASH_HOW;
			} else if (v[i] != m && cmp_address(m, v[i])) {
				clash[k] = m;
				why[k] = CLASH_WHERE;
			}
		}
	}
	return 0;
}

/* One address, one name: devices at the same host and ports that name
 * their plug otherwise (by another MAC, or one by a MAC and one not) would
 * be two plugs talking to one. */
static int find_two_names(const struct config *c, const struct config_device **clash,
			  enum clash *why)
{
	_cleanup_free_ const struct config_device **v = NULL;
	size_t n;

	v = sorted_devices(c, &n, cmp_at, true);
	if (!v)
		return -ENOMEM;
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && !cmp_address(v[a], v[b]); b++)
			;
		for (size_t i = a + 1; i < b; i++) {
			size_t k = (size_t)(v[i] - c->devices);

			if (!clash[k] && cmp_identity(v[a], v[i], true)) {
				clash[k] = v[a];
				why[k] = CLASH_TWO_NAMES;
			}
		}
	}
	return 0;
}

static void report_clash(struct diag *dg, const struct config_device *d,
			 const struct config_device *o, enum clash why)
{
	const char *same = NULL, *but = "";

	switch (why) {
	case CLASH_NONE:
		return;
	case CLASH_TWIN:
		same = d->mac ? "the same MAC and outlet" : "the same host, ports and outlet";
		break;
	case CLASH_HOW:
		same = "the same plug";
		but = ", but another transport or credentials";
		break;
	case CLASH_WHERE:
		same = "the same MAC";
		but = ", but another host or ports";
		break;
	case CLASH_TWO_NAMES:
		same = "the same host and ports";
		but = d->mac && o->mac ? ", but another MAC: " ONE_NAME
		      : d->mac	       ? ", but named by its MAC here, not there: " ONE_NAME
				       : ", but named by its MAC there, not here: " ONE_NAME;
		break;
	}
	diag_report(dg, d->line, "[device \"%s\"]: %s as [device \"%s\"] at line %u%s", d->name,
		    same, o->name, o->line, but);
}

void config_plugs_check(const struct config *c, struct diag *dg)
{
	size_t n = c->n_devices ? c->n_devices : 1;
	_cleanup_free_ const struct config_device **clash = calloc(n, sizeof(*clash));
	_cleanup_free_ enum clash *why = calloc(n, sizeof(*why));
	bool discovery = c->n_discover || c->discover_broadcast;

	if (!clash || !why || find_clashes(c, clash, why) < 0 ||
	    find_two_names(c, clash, why) < 0) {
		diag_oom(dg);
		return;
	}
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *d = &c->devices[i];

		if (!d->host && !d->mac)
			diag_report(dg, d->line, "[device \"%s\"]: no host (nor mac)", d->name);
		else if (!d->host && !discovery)
			diag_report(
				dg, d->line,
				"[device \"%s\"]: a mac and no host, but discovery goes nowhere: "
				"set discover = ADDR or discover_broadcast = yes in [kasad], "
				"or give its host",
				d->name);
		else
			report_clash(dg, d, clash[i], why[i]);
	}
}
