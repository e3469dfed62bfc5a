/* SPDX-License-Identifier: MIT */
/*
 * The MQTT bridge's pure parts: Home Assistant's discovery configs checked
 * against the rules its MQTT integration applies, commands, topics, the
 * credentials file, the flat state of render.c, and the [mqtt] section.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "../../daemon/config.h"
#include "../../daemon/mqtt-ha.h"
#include "../../daemon/plugstate.h"
#include "../../daemon/render.h"
#include "../lib/test-util.h"

static const struct mqtt_ha_device hs110 = {
	.base = "kasad",
	.node = "heater",
	.name = "Heater",
	.uid = "kasad_8006ABCD",
	.mac = "50:C7:BF:00:00:01",
	.model = "HS110(EU)",
	.sw_ver = "1.5.4",
	.hw_ver = "4.0",
	.power = true,
	.full_meter = true,
};

static struct json_object *config(const struct mqtt_ha_device *d, enum mqtt_ha_entity e)
{
	char *text = mqtt_ha_config(d, e, "0.1.0");
	struct json_object *o;

	ck_assert_ptr_nonnull(text);
	o = json_tokener_parse(text);
	free(text);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_is_type(o, json_type_object));
	return o;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

START_TEST(test_entities)
{
	struct mqtt_ha_device d = hs110;

	ck_assert_uint_eq(mqtt_ha_entities(&d), 0x1f);
	d.full_meter = false; /* a SMART meter: power only */
	ck_assert_uint_eq(mqtt_ha_entities(&d), 1u << MQTT_HA_RELAY | 1u << MQTT_HA_POWER);
	d.power = false;
	ck_assert_uint_eq(mqtt_ha_entities(&d), 1u << MQTT_HA_RELAY);
	d.rssi = true;
	ck_assert_uint_eq(mqtt_ha_entities(&d), 1u << MQTT_HA_RELAY | 1u << MQTT_HA_RSSI);
	/* A dimmer is a light, not a switch. */
	d.rssi = false;
	d.dimmer = true;
	ck_assert_uint_eq(mqtt_ha_entities(&d), 1u << MQTT_HA_LIGHT);
}
END_TEST

/* A dimmer: a light of the default schema, its level 1..100 on a topic of
 * its own, both read from the state; no device class, no value template
 * (the switch's keys a light does not take). */
START_TEST(test_light)
{
	struct mqtt_ha_device d = hs110;
	struct json_object *o, *name;
	char topic[256];

	d.node = "hall";
	d.power = false;
	d.dimmer = true;
	o = config(&d, MQTT_HA_LIGHT);
	ck_assert(json_object_object_get_ex(o, "name", &name));
	ck_assert_ptr_null(name);
	ck_assert_str_eq(str(o, "uniq_id"), "kasad_8006ABCD_light");
	ck_assert_str_eq(str(o, "cmd_t"), "kasad/hall/set");
	ck_assert_str_eq(str(o, "stat_t"), "kasad/hall/state");
	ck_assert_str_eq(str(o, "stat_val_tpl"), "{{ value_json.state }}");
	ck_assert_str_eq(str(o, "pl_on"), "ON");
	ck_assert_str_eq(str(o, "pl_off"), "OFF");
	ck_assert_str_eq(str(o, "bri_cmd_t"), "kasad/hall/brightness/set");
	ck_assert_str_eq(str(o, "bri_stat_t"), "kasad/hall/state");
	ck_assert_str_eq(str(o, "bri_val_tpl"), "{{ value_json.brightness }}");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "bri_scl")), 100);
	ck_assert(has(o, "ret") && !json_object_get_boolean(json_object_object_get(o, "ret")));
	ck_assert(!has(o, "dev_cla") && !has(o, "val_tpl") && !has(o, "stat_cla") &&
		  !has(o, "unit_of_meas") && !has(o, "sug_dsp_prc"));
	ck_assert(has(o, "avty") && has(o, "dev"));
	json_object_put(o);
	ck_assert_int_eq(mqtt_ha_config_topic("homeassistant", "kasad", "kasad_X", MQTT_HA_LIGHT,
					      topic, sizeof(topic)),
			 0);
	ck_assert_str_eq(topic, "homeassistant/light/kasad/kasad_X_light/config");
}
END_TEST

/* The switch: command topic, state, payloads, never retained commands. */
START_TEST(test_switch)
{
	struct json_object *o = config(&hs110, MQTT_HA_RELAY), *name;

	ck_assert(json_object_object_get_ex(o, "name", &name));
	ck_assert_ptr_null(name); /* null: the device's name */
	ck_assert_str_eq(str(o, "uniq_id"), "kasad_8006ABCD_relay");
	ck_assert_str_eq(str(o, "cmd_t"), "kasad/heater/set");
	ck_assert_str_eq(str(o, "stat_t"), "kasad/heater/state");
	ck_assert_str_eq(str(o, "val_tpl"), "{{ value_json.state }}");
	ck_assert_str_eq(str(o, "pl_on"), "ON");
	ck_assert_str_eq(str(o, "pl_off"), "OFF");
	ck_assert_str_eq(str(o, "dev_cla"), "outlet");
	ck_assert(has(o, "ret") && !json_object_get_boolean(json_object_object_get(o, "ret")));
	ck_assert(!has(o, "unit_of_meas") && !has(o, "stat_cla"));
	json_object_put(o);
}
END_TEST

/* Units in their exact case, the state class each device class allows. */
START_TEST(test_sensors)
{
	static const struct {
		enum mqtt_ha_entity e;
		const char *cla, *state_cla, *unit, *key;
	} want[] = {
		{MQTT_HA_POWER, "power", "measurement", "W", "power"},
		{MQTT_HA_ENERGY, "energy", "total_increasing", "kWh", "energy"},
		{MQTT_HA_VOLTAGE, "voltage", "measurement", "V", "voltage"},
		{MQTT_HA_CURRENT, "current", "measurement", "A", "current"},
		{MQTT_HA_RSSI, "signal_strength", "measurement", "dBm", "rssi"},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct json_object *o = config(&hs110, want[i].e);
		char tpl[64];

		ck_assert_str_eq(str(o, "dev_cla"), want[i].cla);
		ck_assert_str_eq(str(o, "stat_cla"), want[i].state_cla);
		ck_assert_str_eq(str(o, "unit_of_meas"), want[i].unit);
		snprintf(tpl, sizeof(tpl), "{{ value_json.%s }}", want[i].key);
		ck_assert_str_eq(str(o, "val_tpl"), tpl);
		ck_assert_ptr_nonnull(str(o, "name"));
		ck_assert(!has(o, "cmd_t"));
		ck_assert_ptr_nonnull(strstr(str(o, "uniq_id"), "kasad_8006ABCD_"));
		json_object_put(o);
	}
}
END_TEST

/* Availability of the bridge and the device, both; the device block with
 * the MAC as a connection; the origin. */
START_TEST(test_common)
{
	struct json_object *o = config(&hs110, MQTT_HA_POWER), *avty, *dev, *ids, *cns, *origin;

	ck_assert(json_object_object_get_ex(o, "avty", &avty));
	ck_assert_int_eq(json_object_array_length(avty), 2);
	ck_assert_str_eq(str(json_object_array_get_idx(avty, 0), "t"), "kasad/bridge/state");
	ck_assert_str_eq(str(json_object_array_get_idx(avty, 1), "t"),
			 "kasad/heater/availability");
	ck_assert_str_eq(str(o, "avty_mode"), "all");
	ck_assert(!has(o, "avty_t")); /* exclusive with avty */
	ck_assert(json_object_object_get_ex(o, "dev", &dev));
	ck_assert(json_object_object_get_ex(dev, "ids", &ids));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(ids, 0)),
			 "kasad_8006ABCD");
	ck_assert(json_object_object_get_ex(dev, "cns", &cns));
	ck_assert_str_eq(
		json_object_get_string(json_object_array_get_idx(json_object_array_get_idx(cns, 0), 1)),
		"50:c7:bf:00:00:01");
	ck_assert_str_eq(str(dev, "name"), "Heater");
	ck_assert_str_eq(str(dev, "mdl"), "HS110(EU)");
	ck_assert_str_eq(str(dev, "sw"), "1.5.4");
	ck_assert(!has(dev, "via_device"));
	/* Only keys Home Assistant's device schema knows. */
	json_object_object_foreach(dev, k, v)
	{
		(void)v;
		ck_assert_msg(!strcmp(k, "ids") || !strcmp(k, "cns") || !strcmp(k, "name") ||
				      !strcmp(k, "mf") || !strcmp(k, "mdl") || !strcmp(k, "sw") ||
				      !strcmp(k, "hw") || !strcmp(k, "via_device"),
			      "unknown device key %s", k);
	}
	ck_assert(json_object_object_get_ex(o, "o", &origin));
	ck_assert_str_eq(str(origin, "name"), "kasad");
	json_object_put(o);
}
END_TEST

/* An outlet: no MAC (it would merge six outlets into one device), its
 * strip as via_device. */
START_TEST(test_outlet)
{
	struct mqtt_ha_device d = hs110;
	struct json_object *o, *dev;

	d.node = "strip/3";
	d.mac = NULL;
	d.via = "kasad_8006STRIP";
	o = config(&d, MQTT_HA_RELAY);
	ck_assert_str_eq(str(o, "cmd_t"), "kasad/strip/3/set");
	ck_assert(json_object_object_get_ex(o, "dev", &dev));
	ck_assert(!has(dev, "cns"));
	ck_assert_str_eq(str(dev, "via_device"), "kasad_8006STRIP");
	json_object_put(o);
}
END_TEST

START_TEST(test_uid_and_topics)
{
	char buf[MQTT_HA_UID_MAX], topic[256];

	ck_assert_int_eq(mqtt_ha_uid("8006AB.CD 01/#", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "kasad_8006AB_CD_01__");
	ck_assert_int_eq(mqtt_ha_uid("", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(mqtt_ha_config_topic("homeassistant", "site.1/kasad", "kasad_X",
					      MQTT_HA_ENERGY, topic, sizeof(topic)),
			 0);
	/* node_id and object_id: [a-zA-Z0-9_-] only, or HA drops the message. */
	ck_assert_str_eq(topic, "homeassistant/sensor/site_1_kasad/kasad_X_energy/config");
	ck_assert_int_eq(mqtt_ha_config_topic("homeassistant", "kasad", "kasad_X", MQTT_HA_RELAY,
					      topic, 20),
			 -ENAMETOOLONG);
}
END_TEST

START_TEST(test_commands)
{
	static const struct {
		const char *text;
		int r;
		enum mqtt_ha_command cmd;
	} cases[] = {
		{"ON", 0, MQTT_HA_ON},
		{"off", 0, MQTT_HA_OFF},
		{" TOGGLE\n", 0, MQTT_HA_TOGGLE},
		{"{\"state\":\"ON\"}", 0, MQTT_HA_ON},
		{"{\"state\": \"off\"}", 0, MQTT_HA_OFF},
		{"", -EBADMSG, 0},
		{"ONN", -EBADMSG, 0},
		{"1", -EBADMSG, 0},
		{"{\"state\":1}", -EBADMSG, 0},
		{"{\"state\":\"ON\"} x", -EBADMSG, 0},
		{"{\"state\":\"ON\",\"x\":1}", -EBADMSG, 0},
		{"[\"ON\"]", -EBADMSG, 0},
		{"{\"state\":{\"a\":{\"b\":{\"c\":1}}}}", -EBADMSG, 0},
		{"{", -EBADMSG, 0},
	};
	char big[MQTT_HA_COMMAND_MAX + 1];
	enum mqtt_ha_command c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = 99;
		ck_assert_msg(mqtt_ha_parse_command(cases[i].text, strlen(cases[i].text), &c) ==
				      cases[i].r,
			      "%s", cases[i].text);
		if (cases[i].r == 0)
			ck_assert_int_eq(c, cases[i].cmd);
	}
	ck_assert_int_eq(mqtt_ha_parse_command("O\0N", 3, &c), -EBADMSG);
	/* A cleared retained message: no payload, not even a pointer. */
	ck_assert_int_eq(mqtt_ha_parse_command(NULL, 0, &c), -EBADMSG);
	memset(big, ' ', sizeof(big));
	memcpy(big, "ON", 2);
	ck_assert_int_eq(mqtt_ha_parse_command(big, sizeof(big), &c), -EMSGSIZE);
}
END_TEST

START_TEST(test_command_topics)
{
	const char *node;
	size_t len;

	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/heater/set", &node, &len), 1);
	ck_assert_int_eq((int)len, 6);
	ck_assert(!strncmp(node, "heater", len));
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/strip/2/get", &node, &len), 2);
	ck_assert(!strncmp(node, "strip/2", len) && len == 7);
	ck_assert_int_eq(mqtt_ha_command_topic("site/a", "site/a/x/set", &node, &len), 1);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad2/x/set", &node, &len), 0);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/x/state", &node, &len), 0);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad//set", &node, &len), 0);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/set", &node, &len), 0);
	/* A dimmer's level; a device may be named "brightness". */
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/hall/brightness/set", &node, &len),
			 MQTT_HA_TOPIC_BRIGHTNESS);
	ck_assert(!strncmp(node, "hall", len) && len == 4);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/brightness/set", &node, &len),
			 MQTT_HA_TOPIC_SET);
	ck_assert(!strncmp(node, "brightness", len) && len == 10);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/brightness/brightness/set", &node,
					       &len),
			 MQTT_HA_TOPIC_BRIGHTNESS);
	ck_assert(!strncmp(node, "brightness", len) && len == 10);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/hall/brightness/get", &node, &len),
			 MQTT_HA_TOPIC_GET);
	ck_assert_int_eq(mqtt_ha_command_topic("kasad", "kasad/hall/brightness", &node, &len),
			 MQTT_HA_TOPIC_NONE);
}
END_TEST

START_TEST(test_credentials)
{
	char user[MQTT_HA_USER_MAX], pass[MQTT_HA_PASSWORD_MAX];
	char big[MQTT_HA_USER_MAX + 8];

	ck_assert_int_eq(mqtt_ha_parse_credentials("kasad\ns3cret\n", 13, user, pass), 0);
	ck_assert_str_eq(user, "kasad");
	ck_assert_str_eq(pass, "s3cret");
	ck_assert_int_eq(mqtt_ha_parse_credentials("u\r\np w\r\n\n", 9, user, pass), 0);
	ck_assert_str_eq(pass, "p w");
	ck_assert_int_eq(mqtt_ha_parse_credentials("u\np\nmore\n", 9, user, pass), -EBADMSG);
	ck_assert_int_eq(mqtt_ha_parse_credentials("u", 1, user, pass), -EBADMSG);
	ck_assert_int_eq(mqtt_ha_parse_credentials("\np\n", 3, user, pass), -EBADMSG);
	memset(big, 'u', sizeof(big));
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = 'p';
	ck_assert_int_eq(mqtt_ha_parse_credentials(big, sizeof(big), user, pass), -EMSGSIZE);
}
END_TEST

START_TEST(test_state)
{
	struct plug_state st = {.known = true, .online = true};
	struct json_object *o;

	ck_assert_ptr_null(render_mqtt_state(&(struct plug_state){0}, -1, false));
	st.info.has_relay = true;
	st.info.relay_on = true;
	o = render_mqtt_state(&st, -1, false);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			 "{\"state\":\"ON\"}");
	json_object_put(o);
	st.info.has_emeter = true;
	st.emeter_known = true;
	st.emeter = (struct kasa_emeter){.power_w = 12.3, .voltage_v = 230.4, .current_a = 0.053,
					 .total_kwh = 1.234};
	st.info.relay_on = false;
	o = render_mqtt_state(&st, -1, true);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			 "{\"state\":\"OFF\",\"power\":12.300,\"voltage\":230.400,\"current\":0."
			 "0530,\"energy\":1.234,\"rssi\":0}");
	json_object_put(o);
	/* A dimmer's level, off as on. */
	st = (struct plug_state){.known = true, .online = true};
	st.info.has_relay = true;
	st.info.has_brightness = true;
	st.info.brightness = 42;
	o = render_mqtt_state(&st, -1, false);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			 "{\"state\":\"OFF\",\"brightness\":42}");
	json_object_put(o);
}
END_TEST

static struct config *load(const char *text, char **ret_errors)
{
	struct config *c = NULL;

	*ret_errors = NULL;
	config_load_string(text, "t.conf", &c, ret_errors);
	return c;
}

START_TEST(test_config)
{
	char *errors;
	struct config *c = load("[kasad]\n[mqtt]\nbroker = broker.lan\n", &errors);

	ck_assert_ptr_nonnull(c);
	ck_assert(c->mqtt.enabled);
	ck_assert_str_eq(c->mqtt.broker_host, "broker.lan");
	ck_assert_uint_eq(c->mqtt.broker_port, 1883);
	ck_assert_str_eq(c->mqtt.topic, "kasad");
	ck_assert_str_eq(c->mqtt.discovery, "homeassistant");
	ck_assert_uint_eq(c->mqtt.qos, 1);
	config_free(c);

	c = load("[mqtt]\nbroker = [::1]:8883\ntopic = site/b-2\n", &errors);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->mqtt.broker_host, "::1");
	ck_assert_uint_eq(c->mqtt.broker_port, 8883);
	config_free(c);

	c = load("[kasad]\n", &errors);
	ck_assert(!c->mqtt.enabled);
	config_free(c);

	/* FILE:LINE, as for every other key. */
	c = load("[kasad]\n[mqtt]\ntopic = a/#\nbroker = h:99999\nqos = 3\n", &errors);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(errors, "t.conf:3: topic"));
	ck_assert_ptr_nonnull(strstr(errors, "t.conf:4: broker"));
	ck_assert_ptr_nonnull(strstr(errors, "t.conf:5: qos"));
	free(errors);
	c = load("[mqtt]\ntopic = x\n", &errors);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(errors, "t.conf:1: [mqtt]: no broker"));
	free(errors);
	c = load("[mqtt]\nbroker = h\n[mqtt]\n", &errors);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(errors, "t.conf:3: [mqtt]: given twice"));
	free(errors);
	c = load("[mqtt]\nbroker = h\n[device \"bridge\"]\nhost = p\n", &errors);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(errors, "t.conf:3: [device \"bridge\"]"));
	free(errors);
	c = load("[mqtt]\nbroker = h\ntopic = /a\n", &errors);
	ck_assert_ptr_null(c);
	free(errors);
	c = load("[mqtt]\nbroker = h\nca_file = /x\n", &errors);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(errors, "t.conf:3: ca_file"));
	free(errors);
}
END_TEST

/* --dump-config: the section, the credentials file's name, loadable again. */
START_TEST(test_dump)
{
	char *errors, *text = NULL;
	size_t len = 0;
	struct config *c = load("[mqtt]\nbroker = 10.0.0.1:1884\ncredentials = mqtt.cred\n"
				"tls = yes\n",
				&errors), *again;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(config_dump(c, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "\n[mqtt]\n"));
	ck_assert_ptr_nonnull(strstr(text, "broker = 10.0.0.1:1884\n"));
	ck_assert_ptr_nonnull(strstr(text, "credentials = mqtt.cred\n"));
	again = load(text, &errors);
	ck_assert_ptr_nonnull(again);
	ck_assert_uint_eq(again->mqtt.broker_port, 1884);
	ck_assert(again->mqtt.tls);
	config_free(again);
	config_free(c);
	free(text);
}
END_TEST

static Suite *mqtt_suite(void)
{
	Suite *s = suite_create("mqtt-ha");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_entities);
	tcase_add_test(tc, test_switch);
	tcase_add_test(tc, test_light);
	tcase_add_test(tc, test_sensors);
	tcase_add_test(tc, test_common);
	tcase_add_test(tc, test_outlet);
	tcase_add_test(tc, test_uid_and_topics);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_command_topics);
	tcase_add_test(tc, test_credentials);
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_dump);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(mqtt_suite());
}
