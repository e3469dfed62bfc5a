/* SPDX-License-Identifier: MIT */
/*
 * What the MQTT bridge says and reads, without I/O: Home Assistant's
 * discovery configs, the topics, the commands a device takes, and the
 * broker's credentials file.  Pure functions, for the bridge and its tests.
 *
 * Topics under the base B (mqtt.h has the whole layout): B/bridge/state,
 * and per device B/NODE/availability, B/NODE/state, B/NODE/set,
 * B/NODE/brightness/set (dimmers) and B/NODE/get, NODE being the inventory name or, for an outlet of a strip
 * the inventory names whole, NAME/N.  Discovery configs go to
 * PREFIX/COMPONENT/NODE_ID/UNIQUE_ID/config, NODE_ID the base with every
 * character Home Assistant refuses there made '_'.
 */
#ifndef KASAD_MQTT_HA_H
#define KASAD_MQTT_HA_H

#include <stdbool.h>
#include <stddef.h>

/* The longest unique id base: "kasad_" and an id of the plug's, cut. */
#define MQTT_HA_UID_MAX 80
/* Commands and requests are short: anything longer is refused unread. */
#define MQTT_HA_COMMAND_MAX 256
#define MQTT_HA_USER_MAX    256
#define MQTT_HA_PASSWORD_MAX 256

/* The entities of a device, each a discovery config of its own. */
enum mqtt_ha_entity {
	MQTT_HA_RELAY,	 /* switch */
	MQTT_HA_POWER,	 /* sensor, W */
	MQTT_HA_ENERGY,	 /* sensor, kWh, total_increasing */
	MQTT_HA_VOLTAGE, /* sensor, V */
	MQTT_HA_CURRENT, /* sensor, A */
	MQTT_HA_RSSI,	 /* sensor, dBm, diagnostic: a strip's own */
	MQTT_HA_LIGHT,	 /* light with a brightness: a dimmer's, instead of the switch */
	MQTT_HA_ENTITIES,
};

/* What discovery needs to know of one device (strings borrowed). */
struct mqtt_ha_device {
	const char *base;  /* the base topic */
	const char *node;  /* NAME or NAME/N */
	const char *name;  /* shown in Home Assistant */
	const char *uid;   /* from mqtt_ha_uid(): kasad_ID */
	const char *mac;   /* a plug's or a strip's; NULL for an outlet */
	const char *model, *sw_ver, *hw_ver;
	const char *via;   /* an outlet's strip's uid, NULL: none */
	bool power;	   /* a meter that gives the power */
	bool full_meter;   /* ... and voltage, current and the energy total */
	bool rssi;	   /* a strip: its own signal strength */
	bool dimmer;	   /* a light with a level, not a switch */
};

/* The entities dev has, as a bit mask of 1 << enum mqtt_ha_entity. */
unsigned mqtt_ha_entities(const struct mqtt_ha_device *dev);

/* "kasad_" and id with every character but [A-Za-z0-9_-] made '_' (cut to
 * fit); -EINVAL when id is empty. */
int mqtt_ha_uid(const char *id, char *buf, size_t size);

/* The config topic of entity e of the device whose uid is uid;
 * -ENAMETOOLONG when it does not fit. */
int mqtt_ha_config_topic(const char *prefix, const char *base, const char *uid,
			 enum mqtt_ha_entity e, char *buf, size_t size);

/* The discovery config of entity e of dev, JSON; owned (free()), NULL when
 * out of memory.  version is kasad's, for the origin block. */
char *mqtt_ha_config(const struct mqtt_ha_device *dev, enum mqtt_ha_entity e,
		     const char *version);

enum mqtt_ha_command {
	MQTT_HA_ON,
	MQTT_HA_OFF,
	MQTT_HA_TOGGLE,
};

/* A payload of the set topic: ON, OFF or TOGGLE (any case, blanks around)
 * or {"state": one of them}.  -EBADMSG for anything else, -EMSGSIZE over
 * MQTT_HA_COMMAND_MAX. */
int mqtt_ha_parse_command(const void *payload, size_t len, enum mqtt_ha_command *ret);

/* The credentials file: the user on line 1 and the password on line 2,
 * then nothing but an end of line.  -EBADMSG when it is not that,
 * -EMSGSIZE when either is too long; ret_user and ret_password hold
 * MQTT_HA_USER_MAX and MQTT_HA_PASSWORD_MAX bytes. */
int mqtt_ha_parse_credentials(const char *text, size_t len, char *ret_user, char *ret_password);

/* What a message on a topic under the base is. */
enum mqtt_ha_topic {
	MQTT_HA_TOPIC_NONE,	  /* none of kasad's, for this base */
	MQTT_HA_TOPIC_SET,	  /* B/NODE/set */
	MQTT_HA_TOPIC_GET,	  /* B/NODE/get */
	MQTT_HA_TOPIC_BRIGHTNESS, /* B/NODE/brightness/set */
};

/* Where a message on topic goes: the node (*ret_node, *ret_len: a part of
 * topic) and what it asks. */
enum mqtt_ha_topic mqtt_ha_command_topic(const char *base, const char *topic,
					 const char **ret_node, size_t *ret_len);

#endif
