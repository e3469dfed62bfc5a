/* SPDX-License-Identifier: MIT */
/*
 * The inventory.  Devices are kept in configuration order (that is how
 * GET /devices lists them) and in a by-name index for lookups; plugs are
 * shared by every device on the same plug: the same MAC, or else the same
 * host and ports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/macro.h"
#include "config.h"
#include "credentials.h"
#include "log.h"
#include "plug.h"
#include "registry.h"

struct registry {
	struct loop *loop;
	struct device *devices; /* configuration order */
	struct device **by_name;
	size_t n_devices;
	struct plug **plugs;
	size_t n_plugs;
	void (*observer)(struct device *d, void *userdata);
	void *observer_userdata;
	uint64_t generation; /* registry_generation() */
};

int registry_new(struct loop *l, struct registry **ret_registry)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->loop = l;
	*ret_registry = r;
	return 0;
}

uint64_t registry_generation(const struct registry *r)
{
	return r->generation;
}

static void free_devices(struct device *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].name);
	free(d);
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_plugs; i++)
		plug_free(r->plugs[i]);
	free(r->plugs);
	free_devices(r->devices, r->n_devices);
	free(r->by_name);
	free(r);
}

static int cmp_name(const void *a, const void *b)
{
	const struct device *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static struct device *find_by_name(struct device **by_name, size_t n, const char *name);

struct device *registry_find(struct registry *r, const char *name)
{
	return find_by_name(r->by_name, r->n_devices, name);
}

size_t registry_count(const struct registry *r)
{
	return r->n_devices;
}

struct device *registry_device(struct registry *r, size_t i)
{
	return i < r->n_devices ? &r->devices[i] : NULL;
}

size_t registry_plug_count(const struct registry *r)
{
	return r->n_plugs;
}

struct plug *registry_plug(struct registry *r, size_t i)
{
	return i < r->n_plugs ? r->plugs[i] : NULL;
}

size_t registry_online(const struct registry *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_devices; i++)
		if (plug_state(r->devices[i].plug)->online)
			n++;
	return n;
}

void registry_poll_stop(struct registry *r)
{
	for (size_t i = 0; i < r->n_plugs; i++)
		plug_poll_stop(r->plugs[i]);
}

/* "host:port", or the MAC of a plug not found yet. */
static void plug_where(const struct plug *p, char *buf, size_t size)
{
	if (plug_host(p))
		snprintf(buf, size, "%s:%u", plug_host(p), plug_port(p));
	else
		snprintf(buf, size, "%s, not found yet", plug_mac(p));
}

/* A plug's cache was written; userdata is its first device. */
static void on_plug_change(struct plug *p, void *userdata)
{
	struct device *d = userdata;
	struct registry *r = d->registry;

	for (; d && r->observer; d = d->next_on_plug)
		r->observer(d, r->observer_userdata);
}

void registry_set_observer(struct registry *r, void (*cb)(struct device *d, void *userdata),
			   void *userdata)
{
	r->observer = cb;
	r->observer_userdata = userdata;
}

/* What names a plug: its MAC, else its host (as written) and ports. */
struct plug_key {
	const char *mac; /* "": none */
	const char *host;
	uint16_t port, klap_port;
};

static struct plug_key key_of(const struct plug *p)
{
	return (struct plug_key){plug_mac(p), plug_host(p), plug_port(p), plug_klap_port(p)};
}

/* Plugs ordered by what names them; those named by a MAC first. */
static int cmp_plug_key(const struct plug *x, const struct plug_key *k)
{
	const char *mac = plug_mac(x);
	int r;

	if (!*mac != !*k->mac)
		return *mac ? -1 : 1;
	if (*mac)
		return strcmp(mac, k->mac);
	r = strcmp(plug_host(x), k->host);
	if (r)
		return r;
	if (plug_port(x) != k->port)
		return plug_port(x) < k->port ? -1 : 1;
	if (plug_klap_port(x) != k->klap_port)
		return plug_klap_port(x) < k->klap_port ? -1 : 1;
	return 0;
}

static int cmp_plug(const void *a, const void *b)
{
	struct plug_key k = key_of(*(struct plug *const *)b);

	return cmp_plug_key(*(struct plug *const *)a, &k);
}

/* The index of the plug k names in sorted (n plugs, sorted with
 * cmp_plug), or n. */
static size_t find_plug_index(struct plug **sorted, size_t n, const struct plug_key *k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_plug_key(sorted[mid], k);

		if (r == 0)
			return mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

/* What each plug's devices ask of it (ret[k] for plug k of c): the
 * shortest poll interval wins; they agree on the rest (config.c checks),
 * the first device says it.  The account is borrowed from cr. */
static void plug_settings_all(const struct config *c, const struct credentials *cr,
			      struct plug_settings *ret)
{
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *d = &c->devices[i];
		struct plug_settings *s = &ret[d->plug];
		uint64_t v = d->poll_interval_usec ? d->poll_interval_usec : c->poll_interval_usec;

		if (s->request_timeout_usec) {
			if (v && (!s->poll_interval_usec || v < s->poll_interval_usec))
				s->poll_interval_usec = v;
			continue;
		}
		/* The plug's first device. */
		*s = (struct plug_settings){
			.poll_interval_usec = v,
			.request_timeout_usec = c->request_timeout_usec,
			.offline_after = c->offline_after,
			.backoff_max_usec = c->backoff_max_usec,
			.queue_max = c->queue_max,
			.transport = d->transport == CONFIG_TRANSPORT_XOR    ? PLUG_TRANSPORT_XOR
				     : d->transport == CONFIG_TRANSPORT_KLAP ? PLUG_TRANSPORT_KLAP
									     : PLUG_TRANSPORT_AUTO,
			.klap_port = d->klap_port,
			.account = credentials_find(cr, config_device_credentials(c, d)),
		};
		if (d->mac)
			snprintf(s->mac, sizeof(s->mac), "%s", d->mac);
	}
}

/* The device named name in by_name (n of them, sorted with cmp_name). */
static struct device *find_by_name(struct device **by_name, size_t n, const char *name)
{
	struct device key = {.name = (char *)name}, *kp = &key, **found;

	if (n == 0)
		return NULL;
	found = bsearch(&kp, by_name, n, sizeof(*by_name), cmp_name);
	return found ? *found : NULL;
}

int registry_apply(struct registry *r, const struct config *c, const struct credentials *cr)
{
	size_t n = c->n_devices ? c->n_devices : 1, np = c->n_plugs ? c->n_plugs : 1;
	size_t n_old = r->n_plugs ? r->n_plugs : 1;
	struct device *devices = calloc(n, sizeof(*devices));
	struct device **by_name = calloc(n, sizeof(*by_name));
	struct plug **plugs = calloc(np, sizeof(*plugs));
	struct plug_settings *set = calloc(np, sizeof(*set));
	bool *created = calloc(np, sizeof(*created));
	/* Per new plug, its first device and its last so far: the chain. */
	struct device **head = calloc(np, sizeof(*head));
	struct device **tail = calloc(np, sizeof(*tail));
	/* The plugs in use, sorted to be found, and whether each stays. */
	struct plug **old = calloc(n_old, sizeof(*old));
	bool *kept = calloc(n_old, sizeof(*kept));
	size_t added = 0, removed = 0, changed = 0;
	int ret = -ENOMEM;

	if (!devices || !by_name || !plugs || !set || !created || !head || !tail || !old || !kept)
		goto fail;
	if (r->n_plugs)
		memcpy(old, r->plugs, r->n_plugs * sizeof(*old));
	qsort(old, r->n_plugs, sizeof(*old), cmp_plug);
	plug_settings_all(c, cr, set);

	/* Build the new inventory beside the old one; nothing is touched until
	 * everything is allocated. */
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *cd = &c->devices[i];
		size_t k = cd->plug;

		if (!plugs[k]) {
			struct plug_key key = {cd->mac ? cd->mac : "", cd->host, cd->port,
					       cd->klap_port};
			size_t o = find_plug_index(old, r->n_plugs, &key);

			if (o < r->n_plugs) {
				plugs[k] = old[o];
				kept[o] = true;
			} else {
				int e = plug_new(r->loop, cd->host, cd->port, &set[k], &plugs[k]);

				if (e < 0) {
					ret = e;
					goto fail;
				}
				created[k] = true;
			}
		}
		devices[i].name = strdup(cd->name);
		if (!devices[i].name)
			goto fail;
		devices[i].plug = plugs[k];
		devices[i].outlet = cd->outlet;
		devices[i].index = i;
		devices[i].registry = r;
		by_name[i] = &devices[i];
		if (tail[k])
			tail[k]->next_on_plug = &devices[i];
		else
			head[k] = &devices[i];
		devices[i].first_on_plug = head[k];
		tail[k] = &devices[i];
	}

	qsort(by_name, c->n_devices, sizeof(*by_name), cmp_name);

	/* Commit: log the differences, keep or free the old plugs, start new. */
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct device *was = find_by_name(r->by_name, r->n_devices, devices[i].name);

		char where[300];

		plug_where(devices[i].plug, where, sizeof(where));
		if (!was) {
			added++;
			if (r->n_devices || r->n_plugs)
				log_dev(LOG_NOTICE, devices[i].name, "added (%s%s)", where,
					devices[i].outlet >= 0 ? ", an outlet" : "");
		} else if (was->plug != devices[i].plug || was->outlet != devices[i].outlet) {
			changed++;
			log_dev(LOG_NOTICE, devices[i].name, "now %s outlet %d", where,
				devices[i].outlet);
		}
	}
	for (size_t i = 0; i < r->n_devices; i++)
		if (!find_by_name(by_name, c->n_devices, r->devices[i].name)) {
			removed++;
			log_dev(LOG_NOTICE, r->devices[i].name, "removed");
		}
	for (size_t i = 0; i < r->n_plugs; i++)
		if (!kept[i])
			plug_free(old[i]);
	for (size_t k = 0; k < c->n_plugs; k++) {
		if (created[k]) {
			/* Spread the first polls over a moment, not a whole interval:
			 * the state should be known soon after start. */
			uint64_t spread = set[k].poll_interval_usec / 10;

			plug_poll_start(plugs[k],
					spread < USEC_PER_SEC / 2 ? spread : USEC_PER_SEC / 2);
		} else {
			const struct config_device *cd = &c->devices[head[k]->index];

			plug_configure(plugs[k], &set[k]);
			if (cd->mac && plug_set_home(plugs[k], cd->host, cd->port) < 0)
				log_dev(LOG_ERR, head[k]->name,
					"cannot take its new host: out of memory");
		}
		/* Named after its first device, which may be new; its changes
		 * go to the chain of devices that begins there. */
		plug_set_label(plugs[k], head[k]->name);
		plug_set_observer(plugs[k], on_plug_change, head[k]);
	}
	free(r->plugs);
	free_devices(r->devices, r->n_devices);
	free(r->by_name);
	r->plugs = plugs;
	r->n_plugs = c->n_plugs;
	r->devices = devices;
	r->by_name = by_name;
	r->n_devices = c->n_devices;
	r->generation++;
	plugs = NULL;
	devices = NULL;
	by_name = NULL;
	ret = 0;
	if (added + removed + changed)
		log_info(
			"inventory: %zu devices on %zu plugs (%zu added, %zu removed, %zu changed)",
			c->n_devices, c->n_plugs, added, removed, changed);
fail:
	if (ret < 0 && plugs)
		for (size_t k = 0; k < c->n_plugs; k++)
			if (created[k])
				plug_free(plugs[k]);
	if (devices)
		free_devices(devices, c->n_devices);
	free(by_name);
	free(plugs);
	free(set);
	free(created);
	free(head);
	free(tail);
	free(old);
	free(kept);
	return ret;
}
