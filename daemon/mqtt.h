/* SPDX-License-Identifier: MIT */
/*
 * The MQTT bridge: a front door over the device service, as the REST API
 * and the event streams are, speaking to one broker through libmosquitto
 * driven by kasad's loop (no thread: the client's socket is an I/O
 * source, written while the library wants to write, and a timer does its
 * housekeeping).  The only file that includes <mosquitto.h> is mqtt.c.
 *
 * Topics under the base B:
 *   B/bridge/state           online; offline as the retained last will, and
 *                            on a clean stop
 *   B/NODE/availability      online while the plug answers, else offline
 *   B/NODE/state             {"state":"ON","power":..,"voltage":..,
 *                            "current":..,"energy":..} (render.c), and a
 *                            dimmer's "brightness":1..100
 *   B/NODE/set               ON, OFF, TOGGLE or {"state":"ON"}: switch
 *   B/NODE/brightness/set    a dimmer's level: N or {"brightness":N}, 1..100
 *   B/NODE/get               anything: read the plug afresh, publish its state
 * NODE is a device's inventory name; a strip named whole has its outlets
 * as NAME/0, NAME/1, ... beside it.  Everything published is retained
 * but commands, which kasad never publishes.  With a discovery prefix,
 * Home Assistant's configs (mqtt-ha.h) go out on every connection to the
 * broker and whenever Home Assistant says online on PREFIX/status.
 *
 * Connections: the broker's name is looked up without blocking, the
 * connection is non-blocking, and a lost one is tried again with a
 * back-off from 1 s to MQTT_BACKOFF_MAX_USEC.
 */
#ifndef KASAD_MQTT_H
#define KASAD_MQTT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "mqtt-ha.h"
#include "strparse.h"

#define MQTT_BACKOFF_MAX_USEC (30 * 1000000ULL)
/* A connection the broker has not accepted within this is tried again. */
#define MQTT_CONNECT_TIMEOUT_USEC (10 * 1000000ULL)

struct loop;
struct mqtt;
struct service;

/* Everything the bridge needs of the configuration, the password too:
 * wipe with mqtt_settings_wipe(). */
struct mqtt_settings {
	char host[STRPARSE_HOST_MAX + 1];
	uint16_t port;
	char base[CONFIG_MQTT_TOPIC_MAX];
	char discovery[CONFIG_MQTT_TOPIC_MAX]; /* "": none */
	char client_id[CONFIG_MQTT_TOPIC_MAX + 80];
	bool auth;
	char user[MQTT_HA_USER_MAX];
	char password[MQTT_HA_PASSWORD_MAX];
	bool tls;
	char ca_file[CONFIG_PATH_MAX + 1]; /* "": the system's */
	unsigned qos;
	unsigned keepalive_s;
};

void mqtt_settings_wipe(struct mqtt_settings *s);

/* Start the bridge: it connects, and reconnects, by itself. */
int mqtt_new(struct loop *l, struct service *svc, const struct mqtt_settings *s,
	     struct mqtt **ret_mqtt);
/* New settings, or the same after a reload: the inventory may be another
 * one.  Devices gone have their retained topics cleared; a change of the
 * connection's settings connects afresh. */
int mqtt_configure(struct mqtt *m, const struct mqtt_settings *s);
/* Stopping: offline on B/bridge/state, then a clean disconnect.  Commands
 * are refused from now on. */
void mqtt_stop(struct mqtt *m);
/* Accepts NULL. */
void mqtt_free(struct mqtt *m);

#endif
