/* SPDX-License-Identifier: MIT */
/*
 * The MQTT bridge's commands (mqtt-private.h): what a message on
 * B/NODE/set, B/NODE/brightness/set or B/NODE/get asks, done through the
 * device service, the node's state published once it is done; and the
 * refusals, counted always and logged sparingly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/list.h"
#include "devbody.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "mqtt-private.h"
#include "registry.h"
#include "service.h"

#define REFUSED_LOG_USEC (10 * USEC_PER_SEC)

/* A command or a get waiting on the service. */
struct mcall {
	struct mqtt *m;
	struct service_call *call;
	struct list_node node;
	char topic[CONFIG_NAME_MAX + 8];
};

/* What became of a command, logged at most once a REFUSED_LOG_USEC: the
 * broker's clients may send them as fast as they like. */
static void say(struct mqtt *m, const char *topic, const char *why)
{
	uint64_t now = loop_now(m->loop);

	if (m->refused_log_usec && now - m->refused_log_usec < REFUSED_LOG_USEC) {
		m->refused_quiet++;
		return;
	}
	if (m->refused_quiet)
		log_warning("mqtt: %u more commands refused or failed", m->refused_quiet);
	/* The topic is the broker's: at most so much of it. */
	log_warning("mqtt: %.200s: %s", topic, why);
	m->refused_log_usec = now;
	m->refused_quiet = 0;
}

/* A refusal: counted always, logged as say() does. */
static void refuse(struct mqtt *m, const char *topic, const char *why)
{
	metrics_mqtt()->refused++;
	say(m, topic, why);
}

/* A command for a device the inventory lacks: counted always, logged once
 * a name (the most recent UNKNOWN_NAMES remembered). */
static void unknown_device(struct mqtt *m, const char *topic, const char *name, size_t len)
{
	char *slot;

	metrics_mqtt()->refused++;
	if (len >= sizeof(m->unknown[0]))
		len = sizeof(m->unknown[0]) - 1;
	for (unsigned i = 0; i < m->n_unknown && i < UNKNOWN_NAMES; i++)
		if (strlen(m->unknown[i]) == len && !memcmp(m->unknown[i], name, len))
			return;
	slot = m->unknown[m->n_unknown++ % UNKNOWN_NAMES];
	memcpy(slot, name, len);
	slot[len] = '\0';
	/* The topic is the broker's: at most so much of it. */
	log_warning("mqtt: %.200s: no such device (said once a name)", topic);
}

/* The node a command names, and its device, or NULL. */
static struct node *find_node(struct mqtt *m, const char *name, size_t len, struct mdev **ret)
{
	char buf[CONFIG_NAME_MAX + 8];
	const char *slash;
	struct device *d;
	struct mdev *md;
	unsigned k = 0;

	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash) {
		const char *end;
		uint64_t v;

		if (strparse_uint(slash + 1, &end, &v) < 0 || *end || v >= KASA_OUTLETS_MAX)
			return NULL;
		buf[slash - buf] = '\0';
		k = (unsigned)v + 1;
	}
	d = registry_find(m->reg, buf);
	if (!d || d->index >= m->n_devs || m->devs[d->index].d != d)
		return NULL;
	md = &m->devs[d->index];
	mqtt_publish_grow_nodes(md);
	if (k >= md->n_nodes || (k && (md->own_outlets & (1u << (k - 1)))))
		return NULL;
	*ret = md;
	return &md->nodes[k];
}

static void on_done(const struct device *d, const struct service_result *res, void *userdata)
{
	struct mcall *c = userdata;
	struct mqtt *m = c->m;
	struct mdev *md;
	struct node *n;

	list_remove(&c->node);
	if (res->error < 0)
		say(m, c->topic, kasa_strerror(res->error));
	/* The state after a command even when unchanged: the command's answer. */
	n = find_node(m, c->topic, strlen(c->topic), &md);
	if (n)
		mqtt_publish_node(m, md, n, true);
	free(c);
}

void mqtt_commands_act(struct mqtt *m, struct mdev *md, struct node *n,
		       const struct service_action *a)
{
	struct device view = *md->d;
	struct mcall *c;
	uint64_t wait = 0;
	int r;

	view.outlet = n == &md->nodes[0] ? md->d->outlet : n->outlet;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->m = m;
	snprintf(c->topic, sizeof(c->topic), "%s", n->topic);
	r = service_act(m->svc, &view, a, on_done, c, &c->call, &wait);
	if (r == 0) {
		list_insert_tail(&m->calls, &c->node);
		return;
	}
	free(c);
	if (r == SERVICE_CACHED) {
		mqtt_publish_node(m, md, n, true);
	} else if (r == API_ESWITCH) {
		char why[80];

		snprintf(why, sizeof(why), "the switch rate is spent, for %.1f s more",
			 (double)wait / USEC_PER_SEC);
		refuse(m, n->topic, why);
	} else {
		refuse(m, n->topic,
		       r == API_ENOMETER	? "no meter"
		       : r == API_ENODIMMER ? "no dimmer"
					    : kasa_strerror(r));
	}
}

void mqtt_commands_take(struct mqtt *m, const char *topic, const void *payload, size_t payloadlen,
			bool retain)
{
	struct service_action a = {.verb = SERVICE_READ, .fresh = true};
	enum mqtt_ha_command cmd;
	enum mqtt_ha_topic kind;
	const char *name;
	size_t len;
	struct mdev *md;
	struct node *n;
	int r;

	kind = mqtt_ha_command_topic(m->set.base, topic, &name, &len);
	if (kind == MQTT_HA_TOPIC_NONE) {
		refuse(m, topic, "not a topic kasad takes");
		return;
	}
	/* A command the broker kept would switch the plug at every connection. */
	if (retain) {
		refuse(m, topic, "a retained command, ignored");
		return;
	}
	n = find_node(m, name, len, &md);
	if (!n) {
		unknown_device(m, topic, name, len);
		return;
	}
	switch (kind) {
	case MQTT_HA_TOPIC_SET:
		r = mqtt_ha_parse_command(payload, payloadlen, &cmd);
		if (r < 0) {
			refuse(m, topic,
			       r == -EMSGSIZE ? "too long"
					      : "not ON, OFF, TOGGLE or {\"state\":..}");
			return;
		}
		a = (struct service_action){.verb = cmd == MQTT_HA_TOGGLE ? SERVICE_TOGGLE
									  : SERVICE_SWITCH,
					    .on = cmd == MQTT_HA_ON};
		break;
	case MQTT_HA_TOPIC_BRIGHTNESS:
		a = (struct service_action){.verb = SERVICE_BRIGHTNESS};
		r = devbody_brightness(payload ? payload : "", payloadlen, &a.brightness);
		if (r < 0) {
			refuse(m, topic,
			       r == -EMSGSIZE ? "too long"
					      : "not a brightness from 1 to 100 (N or "
						"{\"brightness\":N})");
			return;
		}
		break;
	case MQTT_HA_TOPIC_GET:
		if (payloadlen > MQTT_HA_COMMAND_MAX) {
			refuse(m, topic, "too long");
			return;
		}
		break;
	case MQTT_HA_TOPIC_NONE:
		return;
	}
	mqtt_commands_act(m, md, n, &a);
}

void mqtt_commands_cancel(struct mqtt *m)
{
	struct mcall *c;

	list_foreach_safe(c, &m->calls, node) {
		list_remove(&c->node);
		service_call_cancel(c->call);
		free(c);
	}
}
