/* SPDX-License-Identifier: MIT */
/*
 * What the MQTT bridge publishes of the devices (mqtt-private.h): their
 * availability, their state and Home Assistant's discovery configs
 * (mqtt-ha.h), on every connection and on every change the device service
 * tells of, through mqtt.c's mqtt_send(); and the picture of the inventory
 * it publishes them from, rebuilt at every reload.
 *
 * Per device the bridge keeps what it published in this connection (the
 * availability, a hash of the discovery configs and of the state) to
 * publish only what changed, and what it ever published retained (the
 * unique id and entities of the configs) to clear it when the device
 * leaves the inventory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "mqtt-private.h"
#include "registry.h"
#include "render.h"
#include "service.h"

static void publish_node_topic(struct mqtt *m, const struct node *n, const char *leaf,
			       const char *payload)
{
	char topic[512];

	snprintf(topic, sizeof(topic), "%s/%s/%s", m->set.base, n->topic, leaf);
	mqtt_send(m, topic, payload, true);
}

/* FNV-1a, never 0 (0 is "nothing published"). */
static uint64_t hash(uint64_t h, const char *s)
{
	if (!h)
		h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

/* Clear the configs of n published under uid, those of mask. */
static void clear_configs(struct mqtt *m, const char *uid, unsigned mask)
{
	char topic[512];

	if (!*m->set.discovery)
		return;
	for (unsigned e = 0; e < MQTT_HA_ENTITIES; e++)
		if ((mask & (1u << e)) && mqtt_ha_config_topic(m->set.discovery, m->set.base, uid,
							       e, topic, sizeof(topic)) == 0)
			mqtt_send(m, topic, NULL, true);
}

/* Every retained topic of a device gone from the inventory: emptied. */
static void clear_node(struct mqtt *m, struct node *n)
{
	if (!n->retained || m->state != MQTT_CONNECTED)
		return;
	clear_configs(m, n->uid, n->entities);
	publish_node_topic(m, n, "state", NULL);
	publish_node_topic(m, n, "availability", NULL);
	n->retained = false;
	n->entities = 0;
}

static void publish_discovery(struct mqtt *m, struct mdev *md, struct node *n,
			      const struct plug_state *st)
{
	const struct plug_info *in = &st->info;
	const struct kasa_outlet *ou = n->outlet >= 0 && (unsigned)n->outlet < in->outlet_count
					       ? &in->outlets[n->outlet]
					       : NULL;
	char uid[MQTT_HA_UID_MAX], name[CONFIG_NAME_MAX + 80], topic[512];
	struct mqtt_ha_device dev = {.base = m->set.base, .node = n->topic, .uid = uid};
	char *configs[MQTT_HA_ENTITIES] = {NULL};
	struct kasa_emeter em;
	uint64_t h = 0;
	unsigned mask;
	int level;

	if (!*m->set.discovery || !st->known)
		return;
	if (n->outlet >= 0 && !ou)
		return;
	if (mqtt_ha_uid(ou ? ou->id : in->device_id, uid, sizeof(uid)) < 0)
		return;
	/* The plug's alias, or the strip's and the outlet's, else the node. */
	if (ou)
		snprintf(name, sizeof(name), "%s", *ou->alias ? ou->alias : n->topic);
	else
		snprintf(name, sizeof(name), "%s", *in->alias ? in->alias : n->topic);
	dev.name = name;
	dev.model = in->model;
	dev.sw_ver = in->sw_ver;
	dev.hw_ver = in->hw_ver;
	if (!ou)
		dev.mac = in->mac;
	else if (n != &md->nodes[0])
		dev.via = md->via; /* an outlet of the strip published beside it */
	dev.power = in->has_emeter && plug_state_emeter(st, n->outlet, &em);
	dev.full_meter = !st->emeter_power_only;
	dev.rssi = !ou && in->outlet_count > 0;
	dev.dimmer = plug_state_brightness(st, n->outlet, &level);
	mask = mqtt_ha_entities(&dev);
	for (unsigned e = 0; e < MQTT_HA_ENTITIES; e++)
		if (mask & (1u << e)) {
			configs[e] = mqtt_ha_config(&dev, e, PACKAGE_VERSION);
			if (!configs[e])
				goto out;
			h = hash(h, configs[e]);
		}
	if (h == n->disc_hash)
		goto out;
	/* Another plug behind the name, or entities it no longer has. */
	if (n->retained && strcmp(n->uid, uid))
		clear_configs(m, n->uid, n->entities);
	else if (n->retained)
		clear_configs(m, uid, n->entities & ~mask);
	for (unsigned e = 0; e < MQTT_HA_ENTITIES; e++)
		if (configs[e] && mqtt_ha_config_topic(m->set.discovery, m->set.base, uid, e, topic,
						       sizeof(topic)) == 0)
			mqtt_send(m, topic, configs[e], true);
	snprintf(n->uid, sizeof(n->uid), "%s", uid);
	n->entities = mask;
	n->retained = true;
	n->disc_hash = h;
out:
	for (unsigned e = 0; e < MQTT_HA_ENTITIES; e++)
		free(configs[e]);
}

/* Publish what changed of node n of md (the state also when force). */
void mqtt_publish_node(struct mqtt *m, struct mdev *md, struct node *n, bool force)
{
	const struct plug_state *st = service_state(md->d);
	struct json_object *o;
	int avail = st->online;

	if (m->state != MQTT_CONNECTED)
		return;
	if (n == &md->nodes[0] && md->n_nodes > 1 && st->known)
		mqtt_ha_uid(st->info.device_id, md->via, sizeof(md->via));
	publish_discovery(m, md, n, st);
	if (avail != n->avail) {
		publish_node_topic(m, n, "availability", avail ? "online" : "offline");
		n->avail = avail;
		n->retained = true;
	}
	o = render_mqtt_state(st, n->outlet, n->outlet < 0 && st->info.outlet_count > 0);
	if (o) {
		const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		uint64_t h = hash(0, text);

		if (force || h != n->state_hash) {
			publish_node_topic(m, n, "state", text);
			n->state_hash = h;
			n->retained = true;
		}
		json_object_put(o);
	}
}

/* A strip named whole: its outlets become nodes once the plug says how
 * many it has (those other devices name are theirs). */
void mqtt_publish_grow_nodes(struct mdev *md)
{
	const struct plug_state *st = service_state(md->d);
	unsigned want = 1;
	struct node *nodes;

	if (md->d->outlet < 0 && st->known)
		want = 1 + st->info.outlet_count;
	if (want <= md->n_nodes)
		return;
	nodes = reallocarray(md->nodes, want, sizeof(*nodes));
	if (!nodes)
		return;
	md->nodes = nodes;
	for (unsigned i = md->n_nodes; i < want; i++) {
		struct node *n = &nodes[i];

		*n = (struct node){.outlet = (int)i - 1, .avail = -1};
		snprintf(n->topic, sizeof(n->topic), "%s/%u", md->name, i - 1);
	}
	md->n_nodes = want;
}

static void publish_mdev(struct mqtt *m, struct mdev *md, bool force)
{
	mqtt_publish_grow_nodes(md);
	for (unsigned i = 0; i < md->n_nodes; i++)
		if (i == 0 || !(md->own_outlets & (1u << (i - 1))))
			mqtt_publish_node(m, md, &md->nodes[i], force);
}

static void clear_gone(struct mqtt *m)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->n_gone; i++) {
		struct mdev *g = &m->gone[i];
		bool left = false;

		for (unsigned j = 0; j < g->n_nodes; j++) {
			clear_node(m, &g->nodes[j]);
			left |= g->nodes[j].retained;
		}
		if (left)
			m->gone[kept++] = *g;
		else
			free(g->nodes);
	}
	m->n_gone = kept;
}

/* Publish what changed of every device (everything with all); a plug
 * never read (polling is off, or has not come to it) is read once, so that
 * its state and configs can go out. */
void mqtt_publish_devices(struct mqtt *m, bool all)
{
	static const struct service_action read = {.verb = SERVICE_READ};

	if (m->state != MQTT_CONNECTED)
		return;
	clear_gone(m);
	for (size_t i = 0; i < m->n_devs; i++) {
		for (unsigned j = 0; all && j < m->devs[i].n_nodes; j++) {
			struct node *n = &m->devs[i].nodes[j];

			n->avail = -1;
			n->disc_hash = 0;
			n->state_hash = 0;
		}
		publish_mdev(m, &m->devs[i], all);
		if (!service_state(m->devs[i].d)->known)
			mqtt_commands_act(m, &m->devs[i], &m->devs[i].nodes[0], &read);
	}
}

void mqtt_publish_on_change(const struct device *d, void *userdata)
{
	struct mqtt *m = userdata;

	if (d->index >= m->n_devs || m->devs[d->index].d != d)
		return;
	publish_mdev(m, &m->devs[d->index], false);
}

/* The inventory as it is now: devices that stay keep what they published,
 * those gone are cleared (now, or at the next connection). */
int mqtt_publish_rebuild(struct mqtt *m)
{
	size_t n = registry_count(m->reg);
	struct mdev *devs = calloc(n ? n : 1, sizeof(*devs)), *gone;
	size_t n_gone = 0;

	gone = reallocarray(m->gone, m->n_gone + m->n_devs + 1, sizeof(*gone));
	if (!devs || !gone) {
		free(devs);
		if (gone)
			m->gone = gone;
		return -ENOMEM;
	}
	m->gone = gone;
	for (size_t i = 0; i < n; i++) {
		struct device *d = registry_device(m->reg, i);
		struct mdev *md = &devs[i];

		md->d = d;
		snprintf(md->name, sizeof(md->name), "%s", d->name);
		for (size_t j = 0; j < m->n_devs; j++)
			if (m->devs[j].nodes && streq(m->devs[j].name, d->name)) {
				md->nodes = steal_ptr(m->devs[j].nodes);
				md->n_nodes = m->devs[j].n_nodes;
				break;
			}
	}
	/* Outlets named by devices of their own are theirs, not the strip's. */
	for (size_t i = 0; i < n; i++) {
		const struct device *o = devs[i].d;

		if (o->outlet < 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (devs[j].d->outlet < 0 && devs[j].d->plug == o->plug)
				devs[j].own_outlets |= 1u << o->outlet;
	}
	for (size_t j = 0; j < m->n_devs; j++)
		if (m->devs[j].nodes) {
			m->devs[j].d = NULL;
			m->gone[m->n_gone + n_gone++] = m->devs[j];
		}
	m->n_gone += n_gone;
	free(m->devs);
	m->devs = devs;
	m->n_devs = n;
	for (size_t i = 0; i < n; i++) {
		struct mdev *md = &devs[i];

		if (!md->nodes) {
			md->nodes = calloc(1, sizeof(*md->nodes));
			if (!md->nodes)
				return -ENOMEM;
			md->nodes[0] = (struct node){.outlet = md->d->outlet, .avail = -1};
			snprintf(md->nodes[0].topic, sizeof(md->nodes[0].topic), "%s", md->name);
			md->n_nodes = 1;
		}
		/* An outlet given its own device since: it leaves the strip. */
		for (unsigned k = 1; k < md->n_nodes; k++)
			if (md->own_outlets & (1u << (k - 1)))
				clear_node(m, &md->nodes[k]);
	}
	clear_gone(m);
	return 0;
}
