/* SPDX-License-Identifier: MIT */
/*
 * Home Assistant's MQTT discovery, as its MQTT integration checks it
 * (schemas.py, switch.py, sensor.py, light/schema_basic.py): abbreviated
 * keys, a unique id from
 * the plug's own id, units its device classes accept in their exact case,
 * an availability list of the bridge and the device (mode all), and a
 * device block with the plug's MAC as a connection so that Home Assistant
 * joins it with its tplink integration's device.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "mqtt-ha.h"

static const struct {
	const char *component, *suffix, *name, *key, *device_class, *state_class, *unit;
	int precision; /* -1: none */
	bool disabled, diagnostic;
} entities[MQTT_HA_ENTITIES] = {
	[MQTT_HA_RELAY] = {"switch", "relay", NULL, "state", "outlet", NULL, NULL, -1},
	[MQTT_HA_POWER] = {"sensor", "power", "Power", "power", "power", "measurement", "W", 1},
	[MQTT_HA_ENERGY] = {"sensor", "energy", "Energy", "energy", "energy", "total_increasing",
			    "kWh", 3},
	[MQTT_HA_VOLTAGE] = {"sensor", "voltage", "Voltage", "voltage", "voltage", "measurement",
			     "V", 1, .disabled = true},
	[MQTT_HA_CURRENT] = {"sensor", "current", "Current", "current", "current", "measurement",
			     "A", 3, .disabled = true},
	[MQTT_HA_RSSI] = {"sensor", "rssi", "Signal strength", "rssi", "signal_strength",
			  "measurement", "dBm", 0, .disabled = true, .diagnostic = true},
	/* A light has no device class. */
	[MQTT_HA_LIGHT] = {"light", "light", NULL, "state", NULL, NULL, NULL, -1},
};

unsigned mqtt_ha_entities(const struct mqtt_ha_device *dev)
{
	unsigned m = 1u << (dev->dimmer ? MQTT_HA_LIGHT : MQTT_HA_RELAY);

	if (dev->power)
		m |= 1u << MQTT_HA_POWER;
	if (dev->power && dev->full_meter)
		m |= 1u << MQTT_HA_ENERGY | 1u << MQTT_HA_VOLTAGE | 1u << MQTT_HA_CURRENT;
	if (dev->rssi)
		m |= 1u << MQTT_HA_RSSI;
	return m;
}

static bool id_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* s with every character but [A-Za-z0-9_-] made '_', into buf (cut). */
static void sanitize(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = id_char(s[i]) ? s[i] : '_';
	buf[i] = '\0';
}

int mqtt_ha_uid(const char *id, char *buf, size_t size)
{
	if (!*id || size < 8)
		return -EINVAL;
	snprintf(buf, size, "kasad_");
	sanitize(id, buf + 6, size - 6);
	return 0;
}

int mqtt_ha_config_topic(const char *prefix, const char *base, const char *uid,
			 enum mqtt_ha_entity e, char *buf, size_t size)
{
	char node_id[128];
	int n;

	sanitize(base, node_id, sizeof(node_id));
	n = snprintf(buf, size, "%s/%s/%s/%s_%s/config", prefix, entities[e].component, node_id,
		     uid, entities[e].suffix);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v && *v)
		add(o, key, json_object_new_string(v));
}

static struct json_object *topic(const char *base, const char *node, const char *leaf)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s/%s", base, node, leaf);
	return json_object_new_string(buf);
}

static struct json_object *device_block(const struct mqtt_ha_device *dev)
{
	struct json_object *d = json_object_new_object(), *ids = json_object_new_array();

	json_object_array_add(ids, json_object_new_string(dev->uid));
	add(d, "ids", ids);
	if (dev->mac && *dev->mac) {
		struct json_object *cns = json_object_new_array(), *mac = json_object_new_array();
		char lower[32];

		/* Home Assistant keeps MACs in lower case (format_mac). */
		snprintf(lower, sizeof(lower), "%s", dev->mac);
		for (char *c = lower; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		json_object_array_add(mac, json_object_new_string("mac"));
		json_object_array_add(mac, json_object_new_string(lower));
		json_object_array_add(cns, mac);
		add(d, "cns", cns);
	}
	add(d, "name", json_object_new_string(dev->name));
	add(d, "mf", json_object_new_string("TP-Link"));
	add_str(d, "mdl", dev->model);
	add_str(d, "sw", dev->sw_ver);
	add_str(d, "hw", dev->hw_ver);
	add_str(d, "via_device", dev->via);
	return d;
}

char *mqtt_ha_config(const struct mqtt_ha_device *dev, enum mqtt_ha_entity e,
		     const char *version)
{
	struct json_object *o = json_object_new_object(), *avty = json_object_new_array(),
			   *a1 = json_object_new_object(), *a2 = json_object_new_object(),
			   *origin = json_object_new_object();
	char uid[MQTT_HA_UID_MAX + 16], tpl[64];
	char *text;

	snprintf(uid, sizeof(uid), "%s_%s", dev->uid, entities[e].suffix);
	snprintf(tpl, sizeof(tpl), "{{ value_json.%s }}", entities[e].key);
	/* null: the entity takes the device's name (the relay). */
	add(o, "name", entities[e].name ? json_object_new_string(entities[e].name) : NULL);
	add(o, "uniq_id", json_object_new_string(uid));
	add(o, "stat_t", topic(dev->base, dev->node, "state"));
	if (e == MQTT_HA_LIGHT) {
		/* The default schema: ON and OFF on cmd_t, the level (1..100,
		 * bri_scl) on a topic of its own; both read from the state. */
		add(o, "stat_val_tpl", json_object_new_string(tpl));
		add(o, "cmd_t", topic(dev->base, dev->node, "set"));
		add(o, "pl_on", json_object_new_string("ON"));
		add(o, "pl_off", json_object_new_string("OFF"));
		add(o, "bri_stat_t", topic(dev->base, dev->node, "state"));
		add(o, "bri_val_tpl", json_object_new_string("{{ value_json.brightness }}"));
		add(o, "bri_cmd_t", topic(dev->base, dev->node, "brightness/set"));
		add(o, "bri_scl", json_object_new_int(100));
		add(o, "ret", json_object_new_boolean(false));
	} else {
		add(o, "val_tpl", json_object_new_string(tpl));
		add(o, "dev_cla", json_object_new_string(entities[e].device_class));
	}
	if (e == MQTT_HA_RELAY) {
		add(o, "cmd_t", topic(dev->base, dev->node, "set"));
		add(o, "pl_on", json_object_new_string("ON"));
		add(o, "pl_off", json_object_new_string("OFF"));
		/* A retained command would switch the plug at every reconnect. */
		add(o, "ret", json_object_new_boolean(false));
	} else if (e != MQTT_HA_LIGHT) {
		add(o, "stat_cla", json_object_new_string(entities[e].state_class));
		add(o, "unit_of_meas", json_object_new_string(entities[e].unit));
		add(o, "sug_dsp_prc", json_object_new_int(entities[e].precision));
	}
	if (entities[e].disabled)
		add(o, "en", json_object_new_boolean(false));
	if (entities[e].diagnostic)
		add(o, "ent_cat", json_object_new_string("diagnostic"));
	add(a1, "t", topic(dev->base, "bridge", "state"));
	add(a2, "t", topic(dev->base, dev->node, "availability"));
	json_object_array_add(avty, a1);
	json_object_array_add(avty, a2);
	add(o, "avty", avty);
	add(o, "avty_mode", json_object_new_string("all"));
	add(o, "dev", device_block(dev));
	add(origin, "name", json_object_new_string("kasad"));
	add(origin, "sw", json_object_new_string(version));
	add(o, "o", origin);
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

static int command_word(const char *s, size_t n, enum mqtt_ha_command *ret)
{
	static const char *const words[] = {"ON", "OFF", "TOGGLE"};

	for (unsigned i = 0; i < ARRAY_SIZE(words); i++)
		if (n == strlen(words[i]) && !strncasecmp(s, words[i], n)) {
			*ret = (enum mqtt_ha_command)i;
			return 0;
		}
	return -EBADMSG;
}

int mqtt_ha_parse_command(const void *payload, size_t len, enum mqtt_ha_command *ret)
{
	char buf[MQTT_HA_COMMAND_MAX + 1];
	const char *s = buf;
	struct json_tokener *tok;
	struct json_object *o, *v;
	size_t n;
	int r = -EBADMSG;

	if (len > MQTT_HA_COMMAND_MAX)
		return -EMSGSIZE;
	/* An empty message (a retained one cleared) may come with no payload
	 * at all: NULL. */
	if (len == 0)
		return -EBADMSG;
	if (memchr(payload, '\0', len))
		return -EBADMSG;
	memcpy(buf, payload, len);
	buf[len] = '\0';
	n = len;
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return -EBADMSG;
	if (*s != '{')
		return command_word(s, n, ret);
	tok = json_tokener_new_ex(4);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, s, (int)n);
	/* One whole object, nothing after it. */
	if (o && json_tokener_get_error(tok) == json_tokener_success &&
	    json_tokener_get_parse_end(tok) == n && json_object_is_type(o, json_type_object) &&
	    json_object_object_length(o) == 1 && json_object_object_get_ex(o, "state", &v) &&
	    json_object_is_type(v, json_type_string))
		r = command_word(json_object_get_string(v), (size_t)json_object_get_string_len(v),
				 ret);
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

/* The line of text at *pos, without its end; *pos moves past it. */
static bool line(const char *text, size_t len, size_t *pos, const char **ret, size_t *ret_len)
{
	const char *s = text + *pos, *nl;
	size_t n;

	if (*pos >= len)
		return false;
	nl = memchr(s, '\n', len - *pos);
	n = nl ? (size_t)(nl - s) : len - *pos;
	*pos += n + (nl ? 1 : 0);
	if (n && s[n - 1] == '\r')
		n--;
	*ret = s;
	*ret_len = n;
	return true;
}

int mqtt_ha_parse_credentials(const char *text, size_t len, char *ret_user, char *ret_password)
{
	const char *user, *pass, *rest;
	size_t pos = 0, user_len, pass_len, rest_len;

	if (memchr(text, '\0', len) || !line(text, len, &pos, &user, &user_len) ||
	    !line(text, len, &pos, &pass, &pass_len) || user_len == 0)
		return -EBADMSG;
	while (line(text, len, &pos, &rest, &rest_len))
		if (rest_len)
			return -EBADMSG;
	if (user_len >= MQTT_HA_USER_MAX || pass_len >= MQTT_HA_PASSWORD_MAX)
		return -EMSGSIZE;
	memcpy(ret_user, user, user_len);
	ret_user[user_len] = '\0';
	memcpy(ret_password, pass, pass_len);
	ret_password[pass_len] = '\0';
	return 0;
}

enum mqtt_ha_topic mqtt_ha_command_topic(const char *base, const char *topic_,
					 const char **ret_node, size_t *ret_len)
{
	static const char level[] = "/brightness";
	size_t b = strlen(base), n;
	const char *node, *slash;

	if (strncmp(topic_, base, b) || topic_[b] != '/')
		return MQTT_HA_TOPIC_NONE;
	node = topic_ + b + 1;
	slash = strrchr(node, '/');
	if (!slash || slash == node)
		return MQTT_HA_TOPIC_NONE;
	n = (size_t)(slash - node);
	*ret_node = node;
	*ret_len = n;
	if (streq(slash + 1, "get"))
		return MQTT_HA_TOPIC_GET;
	if (!streq(slash + 1, "set"))
		return MQTT_HA_TOPIC_NONE;
	/* NODE/brightness/set: names have no '/', so NODE is before it. */
	if (n > sizeof(level) - 1 && !memcmp(slash - (sizeof(level) - 1), level, sizeof(level) - 1)) {
		*ret_len = n - (sizeof(level) - 1);
		return MQTT_HA_TOPIC_BRIGHTNESS;
	}
	return MQTT_HA_TOPIC_SET;
}
