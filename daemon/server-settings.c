/* SPDX-License-Identifier: MIT */
/*
 * Every module's settings, derived from the configuration in one place
 * (server.h, server-private.h), by the same functions at start and at
 * every reload.  Pure, but for the MQTT credentials file and this host's
 * zone, which are read here too.
 */
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/macro.h"
#include "config.h"
#include "discovery.h"
#include "errors.h"
#include "localzone.h"
#include "log.h"
#include "mqtt.h"
#include "secretfile.h"
#include "server-private.h"
#include "server.h"
#include "strparse.h"
#include "timesync.h"

struct api_settings server_api_settings(const struct config *c, const struct auth *auth)
{
	return (struct api_settings){
		.auth = auth,
		.allowed_hosts = c->allowed_hosts,
		.n_allowed_hosts = c->n_allowed_hosts,
		.cors_origins = c->cors_origins,
		.n_cors_origins = c->n_cors_origins,
		.client_rate = c->client_rate,
		.client_burst = c->client_burst,
		.history_usec = c->history_usec,
		/* A value a poll; polling off, one a minute at most. */
		.history_step_usec = c->poll_interval_usec ? c->poll_interval_usec : USEC_PER_MIN,
	};
}

struct service_settings server_service_settings(const struct config *c)
{
	return (struct service_settings){
		.request_timeout_usec = c->request_timeout_usec,
		.cache_max_age_usec = c->cache_max_age_usec,
		.switch_rate = c->switch_rate,
		.switch_burst = c->switch_burst,
		/* local: the host's, which server_service_settings_local() reads. */
		.time_zone = c->time_zone >= 0 ? c->time_zone : -1,
	};
}

/* The service's settings, with time_zone = local made this host's zone:
 * files and the log, so not in the pure function above (the fuzzers call
 * it for every input). */
struct service_settings server_service_settings_local(const struct config *c)
{
	struct service_settings s = server_service_settings(c);

	s.time_zone = localzone_setting(c->time_zone);
	return s;
}

int server_mqtt_settings(const struct config *c, struct mqtt_settings *ret)
{
	const struct config_mqtt *mc = &c->mqtt;
	_cleanup_free_ char *copy = strdup(c->path ? c->path : ""), *errors = NULL, *path = NULL;
	char host[256] = "localhost", *text = NULL;
	size_t len = 0;
	int r;

	if (!copy)
		return -ENOMEM;
	*ret = (struct mqtt_settings){
		.port = mc->broker_port,
		.tls = mc->tls,
		.qos = mc->qos,
		.keepalive_s = (unsigned)(mc->keepalive_usec / USEC_PER_SEC),
	};
	snprintf(ret->host, sizeof(ret->host), "%s", mc->broker_host ? mc->broker_host : "");
	snprintf(ret->base, sizeof(ret->base), "%s", mc->topic);
	if (!streq(mc->discovery, "no"))
		snprintf(ret->discovery, sizeof(ret->discovery), "%s", mc->discovery);
	snprintf(ret->ca_file, sizeof(ret->ca_file), "%s", mc->ca_file ? mc->ca_file : "");
	if (mc->client_id) {
		snprintf(ret->client_id, sizeof(ret->client_id), "%s", mc->client_id);
	} else {
		/* kasad-BASE-HOST, one per instance and machine. */
		gethostname(host, sizeof(host) - 1);
		snprintf(ret->client_id, sizeof(ret->client_id), "kasad-%s-%.64s", mc->topic, host);
		for (char *p = ret->client_id; *p; p++)
			if (*p == '/')
				*p = '_';
	}
	if (!mc->credentials)
		return 0;
	r = secret_file_read(
		mc->credentials, c->path ? dirname(copy) : NULL, "the MQTT credentials file",
		MQTT_HA_USER_MAX + MQTT_HA_PASSWORD_MAX + 4, &path, &text, &len, &errors);
	if (r < 0) {
		server_print_errors(errors ? errors : "the MQTT credentials file: out of memory\n");
		return r;
	}
	r = mqtt_ha_parse_credentials(text, len, ret->user, ret->password);
	secret_free(text, len);
	if (r < 0) {
		log_error("%s: expected the broker's user on line 1 and its password on line 2 "
			  "(each at most %d bytes), and nothing after them",
			  path, MQTT_HA_USER_MAX - 1);
		return -EINVAL;
	}
	ret->auth = true;
	return 0;
}

void server_discovery_settings(const struct config *c, const struct sockaddr *listen,
			       struct discovery_settings *ret)
{
	size_t len = 0;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < c->n_discover && ret->n_targets < DISCOVERY_TARGETS_MAX; i++) {
		struct discovery_target *t = &ret->targets[ret->n_targets];
		const char *why;

		/* Checked as the file was read. */
		if (strparse_ipv4_port(c->discover[i], KASA_PORT, &t->addr, &t->port, &why) == 0)
			ret->n_targets++;
	}
	if (!listen)
		listen = (const struct sockaddr *)&c->listen_addr;
	if (listen->sa_family == AF_INET)
		len = sizeof(struct sockaddr_in);
	else if (listen->sa_family == AF_INET6)
		len = sizeof(struct sockaddr_in6);
	memcpy(&ret->listen, listen, len);
	ret->listen_len = (socklen_t)len;
	ret->broadcast = c->discover_broadcast;
	ret->klap_port = c->discover_klap_port;
	ret->interval_usec = c->discover_interval_usec;
}

struct http_options server_http_options(const struct config *c, int listen_fd)
{
	return (struct http_options){
		.listen_fd = listen_fd,
		.addr = (const struct sockaddr *)&c->listen_addr,
		.addrlen = c->listen_addrlen,
		.max_connections = c->max_connections,
		.max_connections_per_ip = c->max_connections_per_ip,
		.connection_timeout_s = (unsigned)(c->connection_timeout_usec / USEC_PER_SEC),
		.body_max = c->body_max,
		.answer_memory_max = c->answer_memory_max,
		.url_max = c->url_max,
		.header_max = c->header_max,
		.request_deadline_usec = c->request_deadline_usec,
		.suspend_timeout_usec = c->request_timeout_usec + USEC_PER_SEC,
		.answers = errors_http_answers(),
	};
}

/* time_sync's settings: [kasad]'s, and each device's own (owned array). */
int server_timesync_settings(const struct config *c, struct timesync_settings *ret,
			     unsigned **ret_choice)
{
	unsigned *choice = calloc(c->n_devices ? c->n_devices : 1, sizeof(*choice));

	if (!choice)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_devices; i++)
		choice[i] = c->devices[i].time_sync;
	*ret = (struct timesync_settings){c->time_sync, choice, c->n_devices};
	*ret_choice = choice;
	return 0;
}
