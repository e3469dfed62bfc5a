/* SPDX-License-Identifier: MIT */
/*
 * The MQTT bridge (mqtt.h): libmosquitto in kasad's loop, connecting and
 * reconnecting, the client's callbacks, the bridge's life.  What it
 * publishes of the devices is mqtt-publish.c's, the commands it takes
 * mqtt-commands.c's (mqtt-private.h).
 *
 * libmosquitto writes at once when it is called outside its callbacks and
 * only queues what is published inside one (the connection's, a message's):
 * after every call into it, the socket's write interest follows
 * mosquitto_want_write(), or what was queued would wait for the next ping.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

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
#include "mqtt-private.h"
#include "service.h"

#define MISC_USEC USEC_PER_SEC

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

void mqtt_send(struct mqtt *m, const char *topic, const char *payload, bool retain)
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
	mqtt_send(m, topic, "online", true);
	mqtt_publish_devices(m, true);
}

static void on_message(struct mosquitto *mosq, void *userdata, const struct mosquitto_message *msg)
{
	struct mqtt *m = userdata;
	char status[256];

	metrics_mqtt()->received++;
	if (m->state != MQTT_CONNECTED)
		return;
	snprintf(status, sizeof(status), "%s/status", m->set.discovery);
	if (*m->set.discovery && streq(msg->topic, status)) {
		/* Home Assistant (re)started: it wants everything again. */
		if (msg->payloadlen == 6 && !memcmp(msg->payload, "online", 6)) {
			log_info("mqtt: Home Assistant is online: publishing everything again");
			mqtt_publish_devices(m, true);
		}
		return;
	}
	mqtt_commands_take(m, msg->topic, msg->payload, (size_t)msg->payloadlen, msg->retain);
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
		mqtt_send(m, topic, "offline", true);
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
		r = service_watch(svc, mqtt_publish_on_change, m, &m->watch);
	if (r >= 0)
		r = mqtt_publish_rebuild(m);
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
	int r = mqtt_publish_rebuild(m);

	if (same && same_prefix) {
		/* Devices added: out now; those that stay: only what changed. */
		mqtt_settings_wipe(&m->set);
		m->set = *s;
		mqtt_publish_devices(m, false);
		return r;
	}
	if (same) {
		/* Another discovery prefix: the configs go out there now. */
		mqtt_settings_wipe(&m->set);
		m->set = *s;
		mqtt_publish_devices(m, true);
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
	if (!m || m->state == MQTT_STOPPED)
		return;
	mqtt_commands_cancel(m);
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
