/* SPDX-License-Identifier: MIT */
/* The renderer: a device (a plug with and without a meter, a dimmer, a
 * strip, an outlet, one a strip lacks, one never read), readings and
 * histories, and the views the metrics share. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../../daemon/loop.h"
#include "../../daemon/plug-private.h"
#include "../../daemon/render.h"
#include "../lib/test-util.h"

#define NOW (100 * 1000000ULL)

static void expect_json(struct json_object *o, const char *expected)
{
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), expected);
	json_object_put(o);
}

static void plug(struct plug_state *st, bool on, int64_t on_time)
{
	memset(st, 0, sizeof(*st));
	st->known = true;
	st->online = true;
	st->usec = NOW - 1500 * 1000;
	snprintf(st->info.alias, sizeof(st->info.alias), "Lamp \"1\" \xc3\xa9/\\");
	snprintf(st->info.model, sizeof(st->info.model), "HS100(EU)");
	snprintf(st->info.hw_ver, sizeof(st->info.hw_ver), "2.0");
	snprintf(st->info.sw_ver, sizeof(st->info.sw_ver), "1.5.4");
	snprintf(st->info.mac, sizeof(st->info.mac), "50:C7:BF:00:00:01");
	snprintf(st->info.device_id, sizeof(st->info.device_id), "8006");
	st->info.rssi = -60;
	st->info.led_on = true;
	st->info.has_relay = true;
	st->info.relay_on = on;
	st->info.on_time = on_time;
}

static void strip(struct plug_state *st)
{
	plug(st, false, -1);
	snprintf(st->info.alias, sizeof(st->info.alias), "Strip");
	snprintf(st->info.model, sizeof(st->info.model), "HS300(US)");
	st->info.has_relay = false;
	st->info.has_emeter = true;
	ck_assert_int_eq(plug_state_set_outlets(st, 2), 0);
	snprintf(st->info.outlets[0].alias, sizeof(st->info.outlets[0].alias), "Kettle");
	st->info.outlets[0].on = true;
	st->info.outlets[0].on_time = 30;
	snprintf(st->info.outlets[1].alias, sizeof(st->info.outlets[1].alias), "Radio");
	st->info.outlets[1].on = false;
	st->info.outlets[1].on_time = 0;
	st->emeter_known = true;
	st->emeter_usec = NOW - 250 * 1000;
	st->outlet_emeter[0] = (struct kasa_emeter){
		.power_w = 1500.25, .voltage_v = 230.1, .current_a = 6.52, .total_kwh = 12.5};
	st->outlet_emeter[1] = (struct kasa_emeter){.voltage_v = 229.9, .total_kwh = 0.5};
}

#define PLUG_TAIL                                                                                  \
	"\"model\":\"HS100(EU)\",\"hw_ver\":\"2.0\",\"sw_ver\":\"1.5.4\",\"mac\":\"50:C7:BF:"      \
	"00:00:01\",\"device_id\":\"8006\",\"rssi\":-60,\"led\":true,"

START_TEST(plain_plug)
{
	struct plug_state st;

	plug(&st, true, 3600);
	expect_json(render_device_state("lamp", "192.0.2.1", 9999, &st, -1, NOW),
		    "{\"name\":\"lamp\",\"host\":\"192.0.2.1\",\"port\":9999,\"online\":true,"
		    "\"on\":true,\"age_ms\":1500,\"alias\":\"Lamp \\\"1\\\" \xc3\xa9\\/\\\\\","
		    "\"on_time\":3600," PLUG_TAIL "\"has_emeter\":false}");
	/* Off: on_time is null; on with no plausible time: null too. */
	plug(&st, false, 0);
	expect_json(render_device_state("lamp", "h", 1, &st, -1, NOW),
		    "{\"name\":\"lamp\",\"host\":\"h\",\"port\":1,\"online\":true,\"on\":false,"
		    "\"age_ms\":1500,\"alias\":\"Lamp \\\"1\\\" "
		    "\xc3\xa9\\/\\\\\",\"on_time\":null," PLUG_TAIL "\"has_emeter\":false}");
	plug(&st, true, -1);
	st.usec = 0; /* just changed, not read back yet */
	expect_json(render_device_state("lamp", "h", 1, &st, -1, NOW),
		    "{\"name\":\"lamp\",\"host\":\"h\",\"port\":1,\"online\":true,\"on\":true,"
		    "\"age_ms\":0,\"alias\":\"Lamp \\\"1\\\" "
		    "\xc3\xa9\\/\\\\\",\"on_time\":null," PLUG_TAIL "\"has_emeter\":false}");
}
END_TEST

START_TEST(metered_plug)
{
	struct plug_state st;

	plug(&st, true, 5);
	st.info.has_emeter = true;
	st.online = false;
	ck_assert(plug_state_set_error(&st, -ETIMEDOUT, "timed out"));
	ck_assert(!plug_state_set_error(&st, -ETIMEDOUT, "timed out"));
	/* A meter with no reading yet has no "emeter". */
	expect_json(render_device_state("m", "h", 1, &st, -1, NOW),
		    "{\"name\":\"m\",\"host\":\"h\",\"port\":1,\"online\":false,\"on\":true,"
		    "\"age_ms\":1500,\"alias\":\"Lamp \\\"1\\\" "
		    "\xc3\xa9\\/\\\\\",\"on_time\":5," PLUG_TAIL
		    "\"has_emeter\":true,\"last_error\":\"timed out\"}");
	st.emeter_known = true;
	st.emeter_usec = NOW - 2000;
	st.emeter = (struct kasa_emeter){
		.power_w = 0.0126, .voltage_v = 240.5, .current_a = 0.00016, .total_kwh = 1.0};
	st.online = true;
	expect_json(render_device_state("m", "h", 1, &st, -1, NOW),
		    "{\"name\":\"m\",\"host\":\"h\",\"port\":1,\"online\":true,\"on\":true,"
		    "\"age_ms\":1500,\"alias\":\"Lamp \\\"1\\\" "
		    "\xc3\xa9\\/\\\\\",\"on_time\":5," PLUG_TAIL
		    "\"has_emeter\":true,\"emeter\":{\"power_w\":0.013,\"voltage_v\":240.500,"
		    "\"current_a\":0.0002,\"total_kwh\":1.000,\"age_ms\":2}}");
	/* A success clears the text; a long one is kept cut. */
	ck_assert(plug_state_set_error(&st, 0, NULL));
	ck_assert_ptr_null(st.last_error_text);
	ck_assert(!plug_state_set_error(&st, 0, NULL));
	{
		char long_text[300];

		memset(long_text, 'x', sizeof(long_text) - 1);
		long_text[sizeof(long_text) - 1] = '\0';
		ck_assert(plug_state_set_error(&st, -EPROTO, long_text));
		ck_assert_uint_eq(strlen(st.last_error_text), PLUG_ERROR_TEXT_MAX - 1);
		ck_assert(!plug_state_set_error(&st, -EPROTO, long_text));
		ck_assert(plug_state_set_error(&st, -EPROTO, "short"));
		ck_assert(!plug_state_set_error(&st, -EPROTO, "short"));
	}
	plug_state_release(&st);
	ck_assert_ptr_null(st.last_error_text);
}
END_TEST

/* A dimmer says its level, on or off; a plug says none (no member at all). */
START_TEST(dimmer)
{
	struct plug_state st;
	int level = -1;

	plug(&st, false, 0);
	st.info.has_brightness = true;
	st.info.brightness = 35;
	expect_json(render_device_state("hall", "h", 1, &st, -1, NOW),
		    "{\"name\":\"hall\",\"host\":\"h\",\"port\":1,\"online\":true,\"on\":false,"
		    "\"age_ms\":1500,\"alias\":\"Lamp \\\"1\\\" "
		    "\xc3\xa9\\/\\\\\",\"on_time\":null," PLUG_TAIL
		    "\"brightness\":35,\"has_emeter\":false}");
	ck_assert(plug_state_brightness(&st, -1, &level));
	ck_assert_int_eq(level, 35);
	/* Only the whole plug has it; not before a read either. */
	ck_assert(!plug_state_brightness(&st, 0, &level));
	st.known = false;
	ck_assert(!plug_state_brightness(&st, -1, &level));
	plug(&st, true, 1);
	ck_assert(!plug_state_brightness(&st, -1, &level));
	ck_assert_int_eq(level, 35);
}
END_TEST

START_TEST(never_read)
{
	struct plug_state st = {0};

	ck_assert(plug_state_set_error(&st, -ECONNREFUSED, "refused"));
	expect_json(render_device_state("x", "h", 1, &st, 2, NOW),
		    "{\"name\":\"x\",\"host\":\"h\",\"port\":1,\"outlet\":2,\"online\":false,"
		    "\"on\":null,\"age_ms\":null,\"last_error\":\"refused\"}");
	ck_assert_str_eq(plug_state_alias(&st, -1), "");
	plug_state_release(&st);
}
END_TEST

START_TEST(whole_strip)
{
	struct plug_state st;

	strip(&st);
	expect_json(
		render_device_state("strip", "h", 1, &st, -1, NOW),
		"{\"name\":\"strip\",\"host\":\"h\",\"port\":1,\"online\":true,\"on\":true,"
		"\"age_ms\":1500,\"alias\":\"Strip\",\"model\":\"HS300(US)\",\"hw_ver\":\"2.0\","
		"\"sw_ver\":\"1.5.4\",\"mac\":\"50:C7:BF:00:00:01\",\"device_id\":\"8006\","
		"\"rssi\":-60,\"led\":true,\"has_emeter\":true,\"outlets\":["
		"{\"outlet\":0,\"alias\":\"Kettle\",\"on\":true,\"on_time\":30,\"power_w\":1500."
		"250},"
		"{\"outlet\":1,\"alias\":\"Radio\",\"on\":false,\"on_time\":null,\"power_w\":0.000}"
		"],"
		"\"emeter\":{\"power_w\":1500.250,\"voltage_v\":230.000,\"current_a\":6.5200,"
		"\"total_kwh\":13.000,\"age_ms\":250}}");
	plug_state_release(&st);
}
END_TEST

START_TEST(outlets)
{
	struct plug_state st;

	strip(&st);
	expect_json(
		render_device_state("kettle", "h", 1, &st, 0, NOW),
		"{\"name\":\"kettle\",\"host\":\"h\",\"port\":1,\"outlet\":0,\"online\":true,"
		"\"on\":true,\"age_ms\":1500,\"alias\":\"Kettle\",\"on_time\":30,"
		"\"strip_alias\":\"Strip\",\"model\":\"HS300(US)\",\"hw_ver\":\"2.0\","
		"\"sw_ver\":\"1.5.4\",\"mac\":\"50:C7:BF:00:00:01\",\"device_id\":\"8006\","
		"\"rssi\":-60,\"led\":true,\"has_emeter\":true,\"emeter\":{\"power_w\":1500.250,"
		"\"voltage_v\":230.100,\"current_a\":6.5200,\"total_kwh\":12.500,\"age_ms\":250}}");
	/* An outlet the strip does not have. */
	expect_json(render_device_state("nine", "h", 1, &st, 9, NOW),
		    "{\"name\":\"nine\",\"host\":\"h\",\"port\":1,\"outlet\":9,\"online\":true,"
		    "\"on\":null,\"last_error\":\"the plug has no such outlet\",\"age_ms\":1500,"
		    "\"alias\":\"Strip\",\"model\":\"HS300(US)\",\"hw_ver\":\"2.0\","
		    "\"sw_ver\":\"1.5.4\",\"mac\":\"50:C7:BF:00:00:01\",\"device_id\":\"8006\","
		    "\"rssi\":-60,\"led\":true,\"has_emeter\":true}");
	plug_state_release(&st);
}
END_TEST

/* What /metrics reads: the same views. */
START_TEST(views)
{
	struct plug_state st;
	int64_t s = -7;
	bool on = false;

	strip(&st);
	ck_assert_int_eq(plug_state_on_time(&st, -1, &s), -ENOENT); /* a whole strip */
	ck_assert_int_eq(plug_state_on_time(&st, 9, &s), -ENOENT);
	ck_assert_int_eq(plug_state_on_time(&st, 1, &s), 0);
	ck_assert_int_eq(plug_state_on_time(&st, 0, &s), 1);
	ck_assert_int_eq(s, 30);
	ck_assert(plug_state_relay(&st, -1, &on) && on);
	ck_assert(plug_state_relay(&st, 1, &on) && !on);
	ck_assert(!plug_state_relay(&st, 9, &on));
	ck_assert_str_eq(plug_state_alias(&st, 1), "Radio");
	ck_assert_str_eq(plug_state_alias(&st, 9), "Strip");
	ck_assert_ptr_null(plug_state_outlet(&st, -1));
	ck_assert_ptr_eq(plug_state_outlet(&st, 1), &st.info.outlets[1]);
	plug_state_release(&st);
	plug(&st, true, -1);
	ck_assert_int_eq(plug_state_on_time(&st, -1, &s), -ENODATA);
	st.known = false;
	ck_assert_int_eq(plug_state_on_time(&st, -1, &s), -ENOENT);
	ck_assert(!plug_state_relay(&st, -1, &on));
}
END_TEST

START_TEST(history)
{
	/* A strip's two outlets: their days summed, in the order first seen. */
	struct kasa_stats stats[2] = {
		{.count = 2,
		 .entries = {{.year = 2026, .month = 3, .day = 1, .energy_kwh = 0.5},
			     {.year = 2026, .month = 3, .day = 2, .energy_kwh = 0.25}}},
		{.count = 2,
		 .entries = {{.year = 2026, .month = 3, .day = 2, .energy_kwh = 1.0},
			     {.year = 2026, .month = 3, .day = 5, .energy_kwh = 0.0004}}},
	};

	expect_json(render_history("strip", 2026, 3, true, stats, 2),
		    "{\"device\":\"strip\",\"year\":2026,\"month\":3,\"days\":["
		    "{\"day\":1,\"energy_kwh\":0.500},{\"day\":2,\"energy_kwh\":1.250},"
		    "{\"day\":5,\"energy_kwh\":0.000}]}");
	stats[0].entries[1].month = 4;
	expect_json(render_history("strip", 2026, 0, false, stats, 1),
		    "{\"device\":\"strip\",\"year\":2026,\"months\":["
		    "{\"year\":2026,\"month\":3,\"energy_kwh\":0.500},"
		    "{\"year\":2026,\"month\":4,\"energy_kwh\":0.250}]}");
	expect_json(render_history("none", 2026, 0, false, stats, 0),
		    "{\"device\":\"none\",\"year\":2026,\"months\":[]}");
}
END_TEST

/* The answer rendered once a change: the same bytes as rendering anew, at
 * any time, for any state; rendered again exactly when the plug changed. */
static void expect_same(struct render_cached *c, struct plug *p, int outlet, uint64_t now)
{
	struct json_object *o = render_device("d", p, outlet, now);
	const char *want = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *body, *line;
	size_t len;

	ck_assert_int_eq(render_device_cached(c, "d", p, outlet, now, &body, &len), 0);
	ck_assert_int_gt(asprintf(&line, "%s\n", want), 0);
	ck_assert_str_eq(body, line);
	ck_assert_uint_eq(len, strlen(line));
	free(line);
	free(body);
	json_object_put(o);
}

START_TEST(cached)
{
	struct plug_settings set = {.request_timeout_usec = 1000000, .klap_port = 80};
	struct render_cached c = {0}, whole = {0};
	struct loop *l;
	struct plug *p;
	uint64_t v;
	char *text;

	ck_assert_int_eq(loop_new(&l), 0);
	ck_assert_int_eq(plug_new(l, "192.0.2.1", 9999, &set, &p), 0);
	/* Never read: no age to fill in. */
	expect_same(&c, p, -1, NOW);
	ck_assert_uint_eq(c.n_cuts, 0);
	/* A strip with a meter: two ages, each of its own time, at any now. */
	strip(&p->st);
	p->version++;
	v = plug_version(p);
	expect_same(&c, p, 0, NOW);
	ck_assert_uint_eq(c.n_cuts, 2);
	ck_assert_uint_eq(c.version, v);
	text = c.text;
	expect_same(&c, p, 0, NOW + 123456789);
	expect_same(&whole, p, -1, NOW + 5);
	/* Nothing changed: not rendered again. */
	ck_assert_ptr_eq(c.text, text);
	/* A change: rendered again, with what changed. */
	snprintf(p->st.info.outlets[0].alias, sizeof(p->st.info.outlets[0].alias),
		 "\"age_ms\":9000000000000001");
	p->st.usec = NOW - 7000;
	p->version++;
	expect_same(&c, p, 0, NOW + 1000);
	ck_assert_uint_eq(c.version, plug_version(p));
	ck_assert_uint_eq(c.n_cuts, 2);
	/* Just switched: age 0, nothing to fill in for it. */
	p->st.usec = 0;
	p->version++;
	expect_same(&c, p, 0, NOW + 2000);
	ck_assert_uint_eq(c.n_cuts, 1);
	render_cached_clear(&c);
	render_cached_clear(&whole);
	ck_assert_ptr_null(c.text);
	plug_free(p);
	loop_free(l);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		plain_plug, metered_plug, dimmer,  never_read, whole_strip,
		outlets,    views,	  history, cached,
	};
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("all");

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return test_run(s);
}
