/* SPDX-License-Identifier: MIT */
/*
 * The inventory.  Devices are kept in configuration order (that is how
 * GET /devices lists them) and in a by-name index for lookups; plugs are
 * shared by every device on the same host and port.
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

struct device *registry_find(struct registry *r, const char *name)
{
	struct device key = {.name = (char *)name}, *kp = &key, **found;

	if (r->n_devices == 0)
		return NULL;
	found = bsearch(&kp, r->by_name, r->n_devices, sizeof(*r->by_name), cmp_name);
	return found ? *found : NULL;
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

/* The index of the plug on host and ports in plugs, or n. */
static size_t find_plug_index(struct plug **plugs, size_t n, const char *host, uint16_t port,
			      uint16_t klap_port)
{
	for (size_t i = 0; i < n; i++)
		if (plug_port(plugs[i]) == port && plug_klap_port(plugs[i]) == klap_port &&
		    streq(plug_host(plugs[i]), host))
			return i;
	return n;
}

static struct plug *find_plug(struct plug **plugs, size_t n, const char *host, uint16_t port,
			      uint16_t klap_port)
{
	size_t i = find_plug_index(plugs, n, host, port, klap_port);

	return i < n ? plugs[i] : NULL;
}

/* What a plug's devices ask of it: the shortest poll interval wins; they
 * agree on the rest (config.c checks). */
static void plug_settings_for(const struct config *c, const struct credentials *cr,
			      const char *host, uint16_t port, uint16_t klap_port,
			      struct plug_settings *ret)
{
	const struct config_device *first = NULL;
	const struct kasa_klap_account *account = NULL;
	uint64_t interval = 0;

	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *d = &c->devices[i];
		uint64_t v;

		if (d->port != port || d->klap_port != klap_port || !streq(d->host, host))
			continue;
		if (!first)
			first = d;
		v = d->poll_interval_usec ? d->poll_interval_usec : c->poll_interval_usec;
		if (v && (!interval || v < interval))
			interval = v;
	}
	if (first)
		account = credentials_find(cr, config_device_credentials(c, first));
	*ret = (struct plug_settings){
		.poll_interval_usec = interval,
		.request_timeout_usec = c->request_timeout_usec,
		.offline_after = c->offline_after,
		.backoff_max_usec = c->backoff_max_usec,
		.queue_max = c->queue_max,
		.transport = first && first->transport == CONFIG_TRANSPORT_XOR	? PLUG_TRANSPORT_XOR
			     : first && first->transport == CONFIG_TRANSPORT_KLAP ? PLUG_TRANSPORT_KLAP
										  : PLUG_TRANSPORT_AUTO,
		.klap_port = first ? first->klap_port : KASA_KLAP_PORT,
		.has_account = account != NULL,
	};
	if (account)
		ret->account = *account;
}

static const struct device *find_old(const struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->n_devices; i++)
		if (streq(r->devices[i].name, name))
			return &r->devices[i];
	return NULL;
}

int registry_apply(struct registry *r, const struct config *c, const struct credentials *cr)
{
	struct device *devices = calloc(c->n_devices ? c->n_devices : 1, sizeof(*devices));
	struct device **by_name = calloc(c->n_devices ? c->n_devices : 1, sizeof(*by_name));
	struct plug **plugs = calloc(c->n_devices ? c->n_devices : 1, sizeof(*plugs));
	bool *created = calloc(c->n_devices ? c->n_devices : 1, sizeof(*created));
	/* Per new plug, its last device so far: the chain's tail. */
	struct device **tail = calloc(c->n_devices ? c->n_devices : 1, sizeof(*tail));
	size_t n_plugs = 0, added = 0, removed = 0, changed = 0;
	int ret = -ENOMEM;

	if (!devices || !by_name || !plugs || !created || !tail)
		goto fail;

	/* Build the new inventory beside the old one; nothing is touched until
	 * everything is allocated. */
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *cd = &c->devices[i];
		size_t k = find_plug_index(plugs, n_plugs, cd->host, cd->port, cd->klap_port);
		struct plug *p = k < n_plugs ? plugs[k] : NULL;

		if (!p) {
			struct plug_settings s;

			plug_settings_for(c, cr, cd->host, cd->port, cd->klap_port, &s);
			p = find_plug(r->plugs, r->n_plugs, cd->host, cd->port, cd->klap_port);
			if (!p) {
				int e = plug_new(r->loop, cd->host, cd->port, &s, &p);

				if (e < 0) {
					ret = e;
					goto fail;
				}
				created[n_plugs] = true;
				plug_set_label(p, cd->name);
			}
			k = n_plugs++;
			plugs[k] = p;
		}
		devices[i].name = strdup(cd->name);
		if (!devices[i].name)
			goto fail;
		devices[i].plug = p;
		devices[i].outlet = cd->outlet;
		devices[i].index = i;
		devices[i].registry = r;
		by_name[i] = &devices[i];
		if (tail[k])
			tail[k]->next_on_plug = &devices[i];
		tail[k] = &devices[i];
	}

	qsort(by_name, c->n_devices, sizeof(*by_name), cmp_name);

	/* Commit: log the differences, keep or free the old plugs, start new. */
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct device *old = find_old(r, devices[i].name);

		if (!old) {
			added++;
			if (r->n_devices || r->n_plugs)
				log_dev(LOG_NOTICE, devices[i].name, "added (%s:%u%s)",
					plug_host(devices[i].plug), plug_port(devices[i].plug),
					devices[i].outlet >= 0 ? ", an outlet" : "");
		} else if (old->plug != devices[i].plug || old->outlet != devices[i].outlet) {
			changed++;
			log_dev(LOG_NOTICE, devices[i].name, "now %s:%u outlet %d",
				plug_host(devices[i].plug), plug_port(devices[i].plug),
				devices[i].outlet);
		}
	}
	for (size_t i = 0; i < r->n_devices; i++) {
		bool kept = false;

		for (size_t k = 0; k < c->n_devices && !kept; k++)
			kept = streq(devices[k].name, r->devices[i].name);
		if (!kept) {
			removed++;
			log_dev(LOG_NOTICE, r->devices[i].name, "removed");
		}
	}
	for (size_t i = 0; i < r->n_plugs; i++)
		if (!find_plug(plugs, n_plugs, plug_host(r->plugs[i]), plug_port(r->plugs[i]),
			       plug_klap_port(r->plugs[i])))
			plug_free(r->plugs[i]);
	for (size_t i = 0; i < n_plugs; i++) {
		struct plug_settings s;

		plug_settings_for(c, cr, plug_host(plugs[i]), plug_port(plugs[i]),
				  plug_klap_port(plugs[i]), &s);
		if (created[i]) {
			/* Spread the first polls over a moment, not a whole interval:
			 * the state should be known soon after start. */
			uint64_t spread = s.poll_interval_usec / 10;

			plug_poll_start(plugs[i],
					spread < USEC_PER_SEC / 2 ? spread : USEC_PER_SEC / 2);
		} else {
			plug_configure(plugs[i], &s);
		}
		/* Named after its first device, which may be new; its changes
		 * go to the chain of devices that begins there. */
		for (size_t k = 0; k < c->n_devices; k++)
			if (devices[k].plug == plugs[i]) {
				plug_set_label(plugs[i], devices[k].name);
				plug_set_observer(plugs[i], on_plug_change, &devices[k]);
				break;
			}
	}
	free(r->plugs);
	free_devices(r->devices, r->n_devices);
	free(r->by_name);
	r->plugs = plugs;
	r->n_plugs = n_plugs;
	r->devices = devices;
	r->by_name = by_name;
	r->n_devices = c->n_devices;
	r->generation++;
	free(created);
	free(tail);
	if (added + removed + changed)
		log_info(
			"inventory: %zu devices on %zu plugs (%zu added, %zu removed, %zu changed)",
			c->n_devices, n_plugs, added, removed, changed);
	return 0;
fail:
	for (size_t i = 0; i < n_plugs; i++)
		if (created[i])
			plug_free(plugs[i]);
	if (devices)
		free_devices(devices, c->n_devices);
	free(by_name);
	free(plugs);
	free(created);
	free(tail);
	return ret;
}
