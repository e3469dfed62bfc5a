/* SPDX-License-Identifier: MIT */
/*
 * The MQTT bridge's insides, shared by mqtt.c (libmosquitto in the loop:
 * the socket, connecting, the client's callbacks, life), mqtt-publish.c
 * (the devices' topics and what is published on them) and
 * mqtt-commands.c (the commands, through the device service).  Nothing
 * else includes this, and of these files only mqtt.c includes
 * <mosquitto.h>.
 */
#ifndef KASAD_MQTT_PRIVATE_H
#define KASAD_MQTT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/list.h"
#include "config.h"
#include "lookup.h"
#include "mqtt.h"

struct device;
struct loop;
struct loop_source;
struct mosquitto;
struct registry;
struct service;
struct service_action;
struct service_watch;
struct ssl_ctx_st;

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
	struct ssl_ctx_st *ssl_ctx; /* SSL_CTX, over TLS: kasad's own context (tls_context()) */
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
	/* Refusals are logged at most once a REFUSED_LOG_USEC (mqtt-commands.c), with a count. */
	uint64_t refused_log_usec;
	unsigned refused_quiet;
	/* The unknown names commands came for, each logged once (the oldest
	 * forgotten first). */
	char unknown[UNKNOWN_NAMES][CONFIG_NAME_MAX + 8];
	unsigned n_unknown;
};

/* mqtt.c: publish payload (NULL: empty) on topic, if connected. */
void mqtt_send(struct mqtt *m, const char *topic, const char *payload, bool retain);

/* mqtt-publish.c */
/* The inventory as it is now: keep what stays, clear what is gone; -ENOMEM. */
int mqtt_publish_rebuild(struct mqtt *m);
/* A strip named whole: its outlets made nodes once the plug says how many. */
void mqtt_publish_grow_nodes(struct mdev *md);
/* Publish what changed of node n of md (the state also when force). */
void mqtt_publish_node(struct mqtt *m, struct mdev *md, struct node *n, bool force);
/* Publish what changed of every device (everything with all). */
void mqtt_publish_devices(struct mqtt *m, bool all);
/* The service's watcher: device d changed. */
void mqtt_publish_on_change(const struct device *d, void *userdata);

/* mqtt-commands.c */
/* A message on topic under the base: a command done, or refused. */
void mqtt_commands_take(struct mqtt *m, const char *topic, const void *payload, size_t payloadlen,
			bool retain);
/* Do a on node n of md through the service; its state published when done. */
void mqtt_commands_act(struct mqtt *m, struct mdev *md, struct node *n,
		       const struct service_action *a);
/* Stopping: the commands waiting on the service cancelled. */
void mqtt_commands_cancel(struct mqtt *m);

#endif
