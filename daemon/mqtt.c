/* SPDX-License-Identifier: MIT */
/*
 * The MQTT bridge (mqtt.h): libmosquitto in kasad's loop, the devices'
 * topics, Home Assistant's discovery, commands through the device service.
 *
 * libmosquitto writes at once when it is called outside its callbacks and
 * only queues what is published inside one (the connection's, a message's):
 * after every call into it, the socket's write interest follows
 * mosquitto_want_write(), or what was queued would wait for the next ping.
 *
 * Per device the bridge keeps what it published in this connection (the
 * availability, a hash of the discovery configs and of the state) to
 * publish only what changed, and what it ever published retained (the
 * unique id and entities of the configs) to clear it when the device
 * leaves the inventory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <json-c/json.h>
#include <mosquitto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/clock.h"
#include "common/list.h"
#include "common/macro.h"
#include "log.h"
#include "lookup.h"
#include "loop.h"
#include "metrics.h"
#include "mqtt.h"
#include "registry.h"
#include "render.h"
#include "service.h"

/* The retained topics of one device: NAME, or NAME/N of a whole strip. */
struct node {
	char topic[CONFIG_NAME_MAX + 8];
	int outlet; /* the view of the device's plug: -1 the whole */
	/* Published in this connection: */
	int avail;	     /* -1: nothing yet, else 0 or 1 */
	uint64_t disc_hash;  /* 0: no configs yet */
	uint64_t state_hash; /* 0: no state yet */
	/* Published retained, ever (cleared when the device goes): */
	char uid[MQTT_HA_UID_MAX];
	unsigned entities;
	bool retained;
};

/* A device of the inventory and its nodes: nodes[0] is the device itself,
 * the others (a strip named whole) its outlets. */
struct mdev {
	struct device *d; /* the inventory's; NULL once gone */
	char name[CONFIG_NAME_MAX];
	struct node *nodes;
	unsigned n_nodes;
	unsigned own_outlets; /* outlets other inventory devices name */
	char via[MQTT_HA_UID_MAX];
};

/* A command or a get waiting on the service. */
struct mcall {
	struct mqtt *m;
	struct service_call *call;
	struct list_node node;
	char topic[CONFIG_NAME_MAX + 8];
};

enum mstate {
	MQTT_IDLE,	 /* waiting to try (again) */
	MQTT_RESOLVING,	 /* the broker's name */
	MQTT_CONNECTING, /* TCP, TLS, CONNECT, until CONNACK */
	MQTT_CONNECTED,
	MQTT_STOPPED,
};

/* Unknown names whose commands were logged, remembered. */
#define UNKNOWN_NAMES 32

struct mqtt {
	struct loop *loop;
	struct service *svc;
	struct registry *reg;
	struct service_watch *watch;
	struct mqtt_settings set;
	SSL_CTX *ssl_ctx; /* over TLS: kasad's own context (tls_context()) */
	struct mosquitto *mosq;
	enum mstate state;
	struct lookup addr;
	struct loop_source *io, *lookup_io, *misc, *retry, *flush;
	uint32_t io_events;
	int io_fd;
	uint64_t backoff_usec, deadline_usec;
	bool ever_connected, failing;
	struct mdev *devs; /* by device index */
	size_t n_devs;
	struct mdev *gone; /* to clear at the next chance */
	size_t n_gone;
	struct list_head calls;
	/* Refusals are logged at most once a RATE_USEC, with a count. */
	uint64_t refused_log_usec;
	unsigned refused_quiet;
	/* The unknown names commands came for, each logged once (the oldest
	 * forgotten first). */
	char unknown[UNKNOWN_NAMES][CONFIG_NAME_MAX + 8];
	unsigned n_unknown;
};

#define REFUSED_LOG_USEC (10 * USEC_PER_SEC)
#define MISC_USEC	 USEC_PER_SEC

static void connect_now(struct mqtt *m);
static void publish_all(struct mqtt *m);

void mqtt_settings_wipe(struct mqtt_settings *s)
{
	explicit_bzero(s, sizeof(*s));
}

/* --- The socket in the loop ------------------------------------------------ */

/* Watch the client's socket: always for reading, for writing while the
 * library has something to write. */
static void update_io(struct mqtt *m)
{
	int fd = m->state == MQTT_CONNECTING || m->state == MQTT_CONNECTED
			 ? mosquitto_socket(m->mosq)
			 : -1;
	uint32_t ev = fd < 0 ? 0 : EPOLLIN | (mosquitto_want_write(m->mosq) ? EPOLLOUT : 0);

	/* While the TCP connection is under way, its end shows as writable. */
	if (fd >= 0 && m->state == MQTT_CONNECTING)
		ev |= EPOLLOUT;
	if (fd == m->io_fd && ev == m->io_events)
		return;
	m->io_fd = fd;
	m->io_events = ev;
	loop_io_set(m->io, fd, ev);
}

static void arm_flush(struct mqtt *m)
{
	loop_defer_arm(m->flush);
}

static void on_flush(struct loop_source *s, uint64_t now, void *userdata)
{
	update_io(userdata);
}

static void set_connected(struct mqtt *m, bool on)
{
	metrics_mqtt()->connected = on;
}

/* The connection failed or was lost: try again after the back-off. */
static void retry_later(struct mqtt *m, const char *why)
{
	uint64_t now = loop_now(m->loop), wait;

	if (m->state == MQTT_STOPPED)
		return;
	if (m->state == MQTT_CONNECTED)
		log_warning("mqtt: lost the broker %s:%u: %s", m->set.host, m->set.port, why);
	else if (!m->failing)
		log_warning("mqtt: cannot connect to the broker %s:%u: %s (trying again)",
			    m->set.host, m->set.port, why);
	else
		log_debug("mqtt: cannot connect to %s:%u: %s", m->set.host, m->set.port, why);
	m->failing = m->state != MQTT_CONNECTED;
	set_connected(m, false);
	m->state = MQTT_IDLE;
	loop_io_set(m->lookup_io, -1, 0);
	lookup_done(&m->addr);
	update_io(m);
	/* 1 s, 2 s, 4 s ... up to the most, each with up to a quarter more so
	 * that many kasad do not come back at once. */
	wait = m->backoff_usec;
	m->backoff_usec = m->backoff_usec * 2 > MQTT_BACKOFF_MAX_USEC ? MQTT_BACKOFF_MAX_USEC
								      : m->backoff_usec * 2;
	wait += (uint64_t)random() % (wait / 4 + 1);
	loop_timer_set(m->retry, now + wait);
}

static const char *mosq_why(int r)
{
	return r == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(r);
}

static void on_io(struct loop_source *s, int fd, uint32_t revents, void *userdata)
{
	struct mqtt *m = userdata;
	int r = MOSQ_ERR_SUCCESS;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		r = mosquitto_loop_read(m->mosq, 1);
	if (r == MOSQ_ERR_SUCCESS && (revents & EPOLLOUT) && m->state != MQTT_IDLE)
		r = mosquitto_loop_write(m->mosq, 1);
	if (r != MOSQ_ERR_SUCCESS && m->state != MQTT_IDLE)
		retry_later(m, mosq_why(r));
	update_io(m);
}

static void on_misc(struct loop_source *s, uint64_t now, void *userdata)
{
	struct mqtt *m = userdata;
	int r;

	if (m->state == MQTT_CONNECTING && now >= m->deadline_usec) {
		retry_later(m, "no answer in time");
	} else if (m->state == MQTT_CONNECTED) {
		r = mosquitto_loop_misc(m->mosq);
		if (r != MOSQ_ERR_SUCCESS)
			retry_later(m, mosq_why(r));
	}
	update_io(m);
	loop_timer_set(s, now + MISC_USEC);
}

/* --- Connecting ---------------------------------------------------------- */

static void connect_addr(struct mqtt *m)
{
	char ip[INET6_ADDRSTRLEN];
	const void *a;
	int r;

	if (m->addr.addr.sa.sa_family == AF_INET6)
		a = &m->addr.addr.in6.sin6_addr;
	else
		a = &m->addr.addr.in.sin_addr;
	if (!inet_ntop(m->addr.addr.sa.sa_family, a, ip, sizeof(ip))) {
		retry_later(m, strerror(errno));
		return;
	}
	/*
	 * The address the lookup found: libmosquitto's own getaddrinfo() of a
	 * numeric address does not block.  Over TLS the certificate is checked
	 * against the name as configured, by the context made for it
	 * (tls_context()), not against this address.
	 */
	m->state = MQTT_CONNECTING;
	m->deadline_usec = loop_now(m->loop) + MQTT_CONNECT_TIMEOUT_USEC;
	r = mosquitto_connect_async(m->mosq, ip, m->set.port, (int)m->set.keepalive_s);
	if (r != MOSQ_ERR_SUCCESS) {
		retry_later(m, mosq_why(r));
		return;
	}
	update_io(m);
}

static void on_lookup(struct loop_source *s, int fd, uint32_t revents, void *userdata)
{
	struct mqtt *m = userdata;
	int r = lookup_process(&m->addr, loop_now(m->loop));

	if (r == 0)
		return;
	loop_io_set(m->lookup_io, -1, 0);
	if (r < 0) {
		retry_later(m, r == -ENXIO ? "the name does not resolve" : strerror(-r));
		return;
	}
	connect_addr(m);
}

static void connect_now(struct mqtt *m)
{
	int r;

	if (m->state == MQTT_STOPPED)
		return;
	lookup_done(&m->addr);
	r = lookup_init(&m->addr, m->set.host, m->set.port);
	if (r >= 0)
		r = lookup_open(&m->addr, loop_now(m->loop), MQTT_CONNECT_TIMEOUT_USEC);
	if (r < 0) {
		retry_later(m, r == -ENXIO ? "the name does not resolve" : strerror(-r));
		return;
	}
	if (r == 0) {
		connect_addr(m);
		return;
	}
	m->state = MQTT_RESOLVING;
	loop_io_set(m->lookup_io, lookup_fd(&m->addr), EPOLLIN);
}

static void on_retry(struct loop_source *s, uint64_t now, void *userdata)
{
	connect_now(userdata);
}

/* --- Publishing ---------------------------------------------------------- */

static void publish(struct mqtt *m, const char *topic, const char *payload, bool retain)
{
	int r;

	if (m->state != MQTT_CONNECTED)
		return;
	r = mosquitto_publish(m->mosq, NULL, topic, payload ? (int)strlen(payload) : 0, payload,
			      (int)m->set.qos, retain);
	if (r == MOSQ_ERR_SUCCESS)
		metrics_mqtt()->sent++;
	else
		log_debug("mqtt: cannot publish %s: %s", topic, mosq_why(r));
	arm_flush(m);
}

static void publish_node_topic(struct mqtt *m, const struct node *n, const char *leaf,
			       const char *payload)
{
	char topic[512];

	snprintf(topic, sizeof(topic), "%s/%s/%s", m->set.base, n->topic, leaf);
	publish(m, topic, payload, true);
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
			publish(m, topic, NULL, true);
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
			publish(m, topic, configs[e], true);
	snprintf(n->uid, sizeof(n->uid), "%s", uid);
	n->entities = mask;
	n->retained = true;
	n->disc_hash = h;
out:
	for (unsigned e = 0; e < MQTT_HA_ENTITIES; e++)
		free(configs[e]);
}

/* Publish what changed of node n of md (the state also when force). */
static void publish_node(struct mqtt *m, struct mdev *md, struct node *n, bool force)
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
static void grow_nodes(struct mdev *md)
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
	grow_nodes(md);
	for (unsigned i = 0; i < md->n_nodes; i++)
		if (i == 0 || !(md->own_outlets & (1u << (i - 1))))
			publish_node(m, md, &md->nodes[i], force);
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

static void act(struct mqtt *m, struct mdev *md, struct node *n, const struct service_action *a);

/* Publish what changed of every device (everything with all); a plug
 * never read (polling is off, or has not come to it) is read once, so that
 * its state and configs can go out. */
static void publish_devices(struct mqtt *m, bool all)
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
			act(m, &m->devs[i], &m->devs[i].nodes[0], &read);
	}
}

static void publish_all(struct mqtt *m)
{
	publish_devices(m, true);
}

static void on_change(const struct device *d, void *userdata)
{
	struct mqtt *m = userdata;

	if (d->index >= m->n_devs || m->devs[d->index].d != d)
		return;
	publish_mdev(m, &m->devs[d->index], false);
}

/* --- Commands -------------------------------------------------------------- */

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
	grow_nodes(md);
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
		publish_node(m, md, n, true);
	free(c);
}

static void act(struct mqtt *m, struct mdev *md, struct node *n, const struct service_action *a)
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
		publish_node(m, md, n, true);
	} else if (r == API_ESWITCH) {
		char why[80];

		snprintf(why, sizeof(why), "the switch rate is spent, for %.1f s more",
			 (double)wait / USEC_PER_SEC);
		refuse(m, n->topic, why);
	} else {
		refuse(m, n->topic, r == API_ENOMETER ? "no meter" : kasa_strerror(r));
	}
}

static void on_command(struct mqtt *m, const struct mosquitto_message *msg, const char *name,
		       size_t len, bool set)
{
	struct service_action a = {.verb = SERVICE_READ, .fresh = true};
	enum mqtt_ha_command cmd;
	struct mdev *md;
	struct node *n;
	int r;

	/* A command the broker kept would switch the plug at every connection. */
	if (msg->retain) {
		refuse(m, msg->topic, "a retained command, ignored");
		return;
	}
	n = find_node(m, name, len, &md);
	if (!n) {
		unknown_device(m, msg->topic, name, len);
		return;
	}
	if (set) {
		r = mqtt_ha_parse_command(msg->payload, (size_t)msg->payloadlen, &cmd);
		if (r < 0) {
			refuse(m, msg->topic,
			       r == -EMSGSIZE ? "too long"
					      : "not ON, OFF, TOGGLE or {\"state\":..}");
			return;
		}
		a = (struct service_action){.verb = cmd == MQTT_HA_TOGGLE ? SERVICE_TOGGLE
									  : SERVICE_SWITCH,
					    .on = cmd == MQTT_HA_ON};
	} else if (msg->payloadlen > MQTT_HA_COMMAND_MAX) {
		refuse(m, msg->topic, "too long");
		return;
	}
	act(m, md, n, &a);
}

/* --- libmosquitto's callbacks ---------------------------------------------- */

/* Subscribe to arg and then leaf. */
static void subscribe(struct mqtt *m, const char *fmt, const char *arg)
{
	char topic[256];
	int r;

	snprintf(topic, sizeof(topic), "%s%s", arg, fmt);
	r = mosquitto_subscribe(m->mosq, NULL, topic, (int)m->set.qos);
	if (r != MOSQ_ERR_SUCCESS)
		log_warning("mqtt: cannot subscribe to %s: %s", topic, mosq_why(r));
}

static void on_connect(struct mosquitto *mosq, void *userdata, int rc)
{
	struct mqtt *m = userdata;
	char topic[256];

	if (rc != 0) {
		/* Refused: a wrong password does not get better by itself, but
		 * the broker's configuration may; keep trying, slowly. */
		log_error("mqtt: the broker %s:%u refused the connection: %s", m->set.host,
			  m->set.port, mosquitto_connack_string(rc));
		m->failing = true;
		m->backoff_usec = MQTT_BACKOFF_MAX_USEC;
		retry_later(m, mosquitto_connack_string(rc));
		return;
	}
	if (m->ever_connected)
		metrics_mqtt()->reconnects++;
	log_info("mqtt: connected to %s:%u as %s, base topic %s", m->set.host, m->set.port,
		 m->set.client_id, m->set.base);
	m->ever_connected = true;
	m->failing = false;
	m->state = MQTT_CONNECTED;
	m->backoff_usec = USEC_PER_SEC;
	set_connected(m, true);
	subscribe(m, "/+/set", m->set.base);
	subscribe(m, "/+/+/set", m->set.base);
	subscribe(m, "/+/get", m->set.base);
	subscribe(m, "/+/+/get", m->set.base);
	if (*m->set.discovery)
		subscribe(m, "/status", m->set.discovery);
	snprintf(topic, sizeof(topic), "%s/bridge/state", m->set.base);
	publish(m, topic, "online", true);
	publish_all(m);
}

static void on_message(struct mosquitto *mosq, void *userdata, const struct mosquitto_message *msg)
{
	struct mqtt *m = userdata;
	char status[256];
	const char *name;
	size_t len;
	int kind;

	metrics_mqtt()->received++;
	if (m->state != MQTT_CONNECTED)
		return;
	snprintf(status, sizeof(status), "%s/status", m->set.discovery);
	if (*m->set.discovery && streq(msg->topic, status)) {
		/* Home Assistant (re)started: it wants everything again. */
		if (msg->payloadlen == 6 && !memcmp(msg->payload, "online", 6)) {
			log_info("mqtt: Home Assistant is online: publishing everything again");
			publish_all(m);
		}
		return;
	}
	kind = mqtt_ha_command_topic(m->set.base, msg->topic, &name, &len);
	if (kind == 0) {
		refuse(m, msg->topic, "not a topic kasad takes");
		return;
	}
	on_command(m, msg, name, len, kind == 1);
}

/* --- Life ---------------------------------------------------------------------- */

/*
 * The TLS context, kasad's own: it trusts ca_file (else the system's
 * certificates) and checks the broker's certificate against the broker's
 * name as configured (or its address, when it is one).  kasad connects to
 * the address its own lookup found, which never blocks; libmosquitto's
 * check of the host it was given (that address) is off, as this one holds.
 */
static int tls_context(struct mqtt *m)
{
	unsigned char ip[sizeof(struct in6_addr)];
	X509_VERIFY_PARAM *param;
	SSL_CTX *ctx;
	int ok;

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return MOSQ_ERR_NOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ok = *m->set.ca_file ? SSL_CTX_load_verify_locations(ctx, m->set.ca_file, NULL)
			     : SSL_CTX_set_default_verify_paths(ctx);
	param = SSL_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (ok == 1) {
		if (inet_pton(AF_INET, m->set.host, ip) == 1 ||
		    inet_pton(AF_INET6, m->set.host, ip) == 1)
			ok = X509_VERIFY_PARAM_set1_ip_asc(param, m->set.host);
		else
			ok = X509_VERIFY_PARAM_set1_host(param, m->set.host, 0);
	}
	if (ok != 1) {
		SSL_CTX_free(ctx);
		return MOSQ_ERR_TLS;
	}
	SSL_CTX_free(m->ssl_ctx);
	m->ssl_ctx = ctx;
	mosquitto_int_option(m->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	mosquitto_void_option(m->mosq, MOSQ_OPT_SSL_CTX, ctx);
	return mosquitto_tls_insecure_set(m->mosq, true);
}

/* The inventory as it is now: devices that stay keep what they published,
 * those gone are cleared (now, or at the next connection). */
static int rebuild(struct mqtt *m)
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

static int client_new(struct mqtt *m)
{
	char topic[256];
	int r;

	m->mosq = mosquitto_new(m->set.client_id, true, m);
	if (!m->mosq)
		return -errno ?: -ENOMEM;
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_message_callback_set(m->mosq, on_message);
	snprintf(topic, sizeof(topic), "%s/bridge/state", m->set.base);
	r = mosquitto_will_set(m->mosq, topic, 7, "offline", (int)m->set.qos, true);
	if (r == MOSQ_ERR_SUCCESS && m->set.auth)
		r = mosquitto_username_pw_set(m->mosq, m->set.user, m->set.password);
	if (r == MOSQ_ERR_SUCCESS && m->set.tls) {
		r = mosquitto_tls_set(m->mosq, *m->set.ca_file ? m->set.ca_file : NULL,
				      *m->set.ca_file ? NULL : "/etc/ssl/certs", NULL, NULL, NULL);
		if (r == MOSQ_ERR_SUCCESS)
			r = mosquitto_tls_opts_set(m->mosq, 1, NULL, NULL);
		if (r == MOSQ_ERR_SUCCESS)
			r = tls_context(m);
	}
	if (r != MOSQ_ERR_SUCCESS) {
		log_error("mqtt: cannot set up the client: %s", mosq_why(r));
		return -EINVAL;
	}
	return 0;
}

static void client_free(struct mqtt *m)
{
	if (m->mosq) {
		loop_io_set(m->io, -1, 0);
		m->io_fd = -1;
		m->io_events = 0;
		mosquitto_destroy(steal_ptr(m->mosq));
	}
	/* After the client: it used the context to the end. */
	SSL_CTX_free(steal_ptr(m->ssl_ctx));
}

/* Say offline and disconnect, writing it out now: the loop may end next. */
static void say_goodbye(struct mqtt *m)
{
	char topic[256];

	if (m->state == MQTT_CONNECTED) {
		snprintf(topic, sizeof(topic), "%s/bridge/state", m->set.base);
		publish(m, topic, "offline", true);
		mosquitto_disconnect(m->mosq);
		for (int i = 0; i < 100 && mosquitto_want_write(m->mosq); i++)
			if (mosquitto_loop_write(m->mosq, 1) != MOSQ_ERR_SUCCESS)
				break;
		log_info("mqtt: disconnected from %s:%u", m->set.host, m->set.port);
	}
	set_connected(m, false);
}

static void start(struct mqtt *m)
{
	m->state = MQTT_IDLE;
	m->backoff_usec = USEC_PER_SEC;
	m->failing = false;
	connect_now(m);
}

int mqtt_new(struct loop *l, struct service *svc, const struct mqtt_settings *s,
	     struct mqtt **ret_mqtt)
{
	struct mqtt *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	mosquitto_lib_init();
	m->loop = l;
	m->svc = svc;
	m->reg = service_registry(svc);
	m->set = *s;
	m->io_fd = -1;
	list_head_init(&m->calls);
	metrics_mqtt()->enabled = true;
	r = loop_io_add(l, -1, 0, on_io, m, &m->io);
	if (r >= 0)
		r = loop_io_add(l, -1, 0, on_lookup, m, &m->lookup_io);
	if (r >= 0)
		r = loop_timer_add(l, loop_now(l) + MISC_USEC, on_misc, m, &m->misc);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_retry, m, &m->retry);
	if (r >= 0)
		r = loop_defer_add(l, on_flush, m, &m->flush);
	if (r >= 0)
		r = service_watch(svc, on_change, m, &m->watch);
	if (r >= 0)
		r = rebuild(m);
	if (r >= 0)
		r = client_new(m);
	if (r < 0) {
		mqtt_free(m);
		return r;
	}
	start(m);
	*ret_mqtt = m;
	return 0;
}

static bool same_connection(const struct mqtt_settings *a, const struct mqtt_settings *b)
{
	return streq(a->host, b->host) && a->port == b->port && streq(a->base, b->base) &&
	       streq(a->client_id, b->client_id) && a->auth == b->auth && streq(a->user, b->user) &&
	       streq(a->password, b->password) && a->tls == b->tls &&
	       streq(a->ca_file, b->ca_file) && a->qos == b->qos &&
	       a->keepalive_s == b->keepalive_s;
}

int mqtt_configure(struct mqtt *m, const struct mqtt_settings *s)
{
	bool same = same_connection(&m->set, s),
	     same_prefix = streq(m->set.discovery, s->discovery);
	int r = rebuild(m);

	if (same && same_prefix) {
		/* Devices added: out now; those that stay: only what changed. */
		mqtt_settings_wipe(&m->set);
		m->set = *s;
		publish_devices(m, false);
		return r;
	}
	if (same) {
		/* Another discovery prefix: the configs go out there now. */
		mqtt_settings_wipe(&m->set);
		m->set = *s;
		publish_all(m);
		return r;
	}
	log_info("mqtt: the broker's settings changed: connecting again");
	say_goodbye(m);
	client_free(m);
	mqtt_settings_wipe(&m->set);
	m->set = *s;
	m->state = MQTT_IDLE;
	loop_timer_set(m->retry, 0);
	r = client_new(m);
	if (r < 0)
		return r;
	start(m);
	return 0;
}

void mqtt_stop(struct mqtt *m)
{
	struct mcall *c;

	if (!m || m->state == MQTT_STOPPED)
		return;
	list_foreach_safe(c, &m->calls, node) {
		list_remove(&c->node);
		service_call_cancel(c->call);
		free(c);
	}
	say_goodbye(m);
	m->state = MQTT_STOPPED;
	loop_timer_set(m->retry, 0);
	loop_io_set(m->lookup_io, -1, 0);
	update_io(m);
}

void mqtt_free(struct mqtt *m)
{
	if (!m)
		return;
	mqtt_stop(m);
	service_unwatch(m->watch);
	client_free(m);
	lookup_done(&m->addr);
	loop_source_free(m->io);
	loop_source_free(m->lookup_io);
	loop_source_free(m->misc);
	loop_source_free(m->retry);
	loop_source_free(m->flush);
	for (size_t i = 0; i < m->n_devs; i++)
		free(m->devs[i].nodes);
	free(m->devs);
	for (size_t i = 0; i < m->n_gone; i++)
		free(m->gone[i].nodes);
	free(m->gone);
	mqtt_settings_wipe(&m->set);
	*metrics_mqtt() = (struct metrics_mqtt){0};
	mosquitto_lib_cleanup();
	free(m);
}
