/* SPDX-License-Identifier: MIT */
/*
 * plugjob.c, the recipes of plug I/O, without a plug: the request each job
 * kind sends at each step, and how replies of each firmware style (and
 * refusals) update the cached state and the result.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/plugjob.h"
#include "../lib/test-util.h"

#define NOW 1000000u

static struct json_object *data_json(const char *name)
{
	struct json_object *o;
	char *text = test_data(name, NULL);

	o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	free(text);
	return o;
}

static struct json_object *text_json(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	return o;
}

/* The job's next request must name module.method (and contain want, when
 * given). */
static void expect_request(struct plugjob *jb, const struct plug_state *st, const char *module,
			   const char *method, const char *want)
{
	struct json_object *req, *m;
	char *json = NULL;

	ck_assert_int_eq(plugjob_request(jb, st, &json), 0);
	ck_assert_msg(json != NULL, "no request where %s.%s was expected", module, method);
	if (want)
		ck_assert_msg(strstr(json, want) != NULL, "%s lacks %s", json, want);
	req = json_tokener_parse(json);
	ck_assert_ptr_nonnull(req);
	ck_assert(json_object_object_get_ex(req, module, &m));
	ck_assert(json_object_object_get_ex(m, method, NULL));
	json_object_put(req);
	free(json);
}

static void expect_done(struct plugjob *jb, const struct plug_state *st)
{
	char *json = (char *)"x";

	ck_assert_int_eq(plugjob_request(jb, st, &json), 0);
	ck_assert_ptr_null(json);
}

static int apply(struct plugjob *jb, struct plug_state *st, struct json_object *reply)
{
	int r = plugjob_reply(jb, st, reply, NOW);

	json_object_put(reply);
	return r;
}

/* One round trip: the request expect_request() checks, answered by reply. */
static int round_trip(struct plugjob *jb, struct plug_state *st, const char *module,
		      const char *method, const char *want, struct json_object *reply)
{
	expect_request(jb, st, module, method, want);
	return apply(jb, st, reply);
}

/* The answer of a plug that did as asked: {"system":{method:{"err_code":0}}}. */
static struct json_object *done_json(const char *method)
{
	char text[128];

	snprintf(text, sizeof(text), "{\"system\":{\"%s\":{\"err_code\":0}}}", method);
	return text_json(text);
}

/* A plug whose sysinfo is known: a single plug with a relay. */
/* st was zeroed or used before: what it held is freed. */
static void known_plug(struct plug_state *st, bool has_emeter)
{
	plug_state_release(st);
	memset(st, 0, sizeof(*st));
	st->known = true;
	st->info.has_relay = true;
	st->info.has_emeter = has_emeter;
}

static void start(struct plugjob *jb, const struct plug_state *st, enum plug_job_kind kind,
		  int outlet)
{
	memset(jb, 0, sizeof(*jb));
	jb->args.kind = kind;
	jb->args.outlet = outlet;
	plugjob_begin(jb, st, false);
}

/* Start a job that reads the sysinfo first, and answer with reply. */
static int start_sysinfo(struct plugjob *jb, struct plug_state *st, enum plug_job_kind kind,
			 int outlet, struct json_object *reply)
{
	start(jb, st, kind, outlet);
	return round_trip(jb, st, "system", "get_sysinfo", NULL, reply);
}

START_TEST(test_refresh_unknown_plug)
{
	struct plug_state st = {0};
	struct plugjob jb;

	start(&jb, &st, PLUG_JOB_REFRESH, -1);
	ck_assert(jb.need_sysinfo);
	/* Not known yet: the sysinfo alone, no emeter. */
	expect_request(&jb, &st, "system", "get_sysinfo", NULL);
	ck_assert(!jb.combined);
	ck_assert_int_eq(apply(&jb, &st, data_json("sysinfo-hs110-v4.json")), 0);
	ck_assert(st.known && jb.wrote);
	ck_assert_uint_eq(st.usec, NOW);
	ck_assert(st.info.has_emeter && st.info.relay_on);
	/* A meter: the reading next, in a request of its own. */
	expect_request(&jb, &st, "emeter", "get_realtime", NULL);
	ck_assert(!st.emeter_known);
	ck_assert_int_eq(apply(&jb, &st, data_json("emeter-new.json")), 0);
	ck_assert(st.emeter_known);
	ck_assert_int_eq(st.emeter.power_mw, 61753);
	ck_assert_uint_eq(st.emeter_usec, NOW);
	expect_done(&jb, &st);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_refresh_combined_old_firmware)
{
	struct plug_state st = {0};
	struct json_object *reply, *em;
	struct plugjob jb;

	ck_assert_int_eq(
		start_sysinfo(&jb, &st, PLUG_JOB_REFRESH, -1, data_json("sysinfo-hs110-v4.json")),
		0);
	plugjob_clear(&jb);

	/* Known to have a meter: one request asks both. */
	start(&jb, &st, PLUG_JOB_REFRESH, -1);
	expect_request(&jb, &st, "system", "get_sysinfo", "get_realtime");
	ck_assert(jb.combined);
	reply = data_json("sysinfo-hs110-v4.json");
	em = data_json("emeter-old.json");
	json_object_object_add(reply, "emeter",
			       json_object_get(json_object_object_get(em, "emeter")));
	json_object_put(em);
	ck_assert_int_eq(apply(&jb, &st, reply), 0);
	ck_assert(st.emeter_known);
	ck_assert(!st.emeter.new_style);
	ck_assert_int_eq(st.emeter.power_mw, 929);
	expect_done(&jb, &st);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_refresh_strip)
{
	struct plug_state st = {0};
	struct kasa_emeter sum;
	struct plugjob jb;
	unsigned n;

	ck_assert_int_eq(
		start_sysinfo(&jb, &st, PLUG_JOB_REFRESH, -1, data_json("sysinfo-hs300.json")), 0);
	n = st.info.outlet_count;
	ck_assert_uint_eq(n, 6);
	/* One reading per outlet, each addressed to its child id. */
	for (unsigned i = 0; i < n; i++) {
		char id[KASA_ID_MAX + 16];

		snprintf(id, sizeof(id), "%s0%u", st.info.device_id, i);
		expect_request(&jb, &st, "emeter", "get_realtime", id);
		ck_assert(!st.emeter_known);
		ck_assert_int_eq(apply(&jb, &st, data_json("emeter-hs300.json")), 0);
	}
	ck_assert(st.emeter_known);
	expect_done(&jb, &st);
	/* The strip's reading sums the outlets. */
	ck_assert(plug_state_emeter(&st, -1, &sum));
	ck_assert_double_eq_tol(sum.power_w, 6 * 0.277, 1e-9);
	ck_assert_double_eq_tol(sum.voltage_v, 120.11, 1e-9);
	ck_assert(plug_state_emeter(&st, 2, &sum));
	ck_assert(!plug_state_emeter(&st, 6, &sum));
	/* Any outlet on: the strip is on. */
	ck_assert(plug_state_on(&st, -1));
	ck_assert(plug_state_on(&st, 0));
	ck_assert(!plug_state_on(&st, 1));
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_relay)
{
	struct plug_state st = {0};
	struct plugjob jb;

	start(&jb, &st, PLUG_JOB_RELAY, -1);
	jb.args.on = false;
	/* Not known: the sysinfo first, even for a switch. */
	ck_assert(jb.need_sysinfo);
	ck_assert_int_eq(round_trip(&jb, &st, "system", "get_sysinfo", NULL,
				    data_json("sysinfo-hs100-old.json")),
			 0);
	st.info.relay_on = true;
	st.info.on_time = 99;
	ck_assert_int_eq(round_trip(&jb, &st, "system", "set_relay_state", "\"state\":0",
				    done_json("set_relay_state")),
			 0);
	ck_assert(jb.wrote);
	ck_assert(!st.info.relay_on);
	ck_assert_int_eq(st.info.on_time, 0);
	ck_assert(!jb.result.on);
	expect_done(&jb, &st);
	plugjob_clear(&jb);

	/* Known: straight to the switch. */
	start(&jb, &st, PLUG_JOB_RELAY, -1);
	jb.args.on = true;
	ck_assert(!jb.need_sysinfo);
	expect_request(&jb, &st, "system", "set_relay_state", "\"state\":1");
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_toggle_outlet)
{
	struct plug_state st = {0};
	struct plugjob jb;

	ck_assert_int_eq(
		start_sysinfo(&jb, &st, PLUG_JOB_TOGGLE, 0, data_json("sysinfo-hs300.json")), 0);
	/* Outlet 1 (index 0) was on: the toggle switches it off. */
	ck_assert(!jb.args.on);
	ck_assert_int_eq(round_trip(&jb, &st, "system", "set_relay_state",
				    "8006B8B4F8E9963F903B170A018DDAAE1ABB51EA00",
				    done_json("set_relay_state")),
			 0);
	ck_assert(!plug_state_on(&st, 0));
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_no_such_outlet)
{
	struct plug_state st = {0};
	struct plugjob jb;

	/* A single plug has no outlet 3; the sysinfo is still taken. */
	ck_assert_int_eq(
		start_sysinfo(&jb, &st, PLUG_JOB_RELAY, 3, data_json("sysinfo-hs100-old.json")),
		-ENOENT);
	ck_assert(st.known && jb.wrote);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_device_refuses)
{
	struct plug_state st = {0};
	struct plugjob jb;

	ck_assert_int_eq(
		start_sysinfo(&jb, &st, PLUG_JOB_REFRESH, -1, data_json("sysinfo-hs110-v4.json")),
		0);
	ck_assert_int_lt(round_trip(&jb, &st, "emeter", "get_realtime", NULL,
				    data_json("errors-notsupport-method.json")),
			 0);
	ck_assert_int_eq(jb.result.device.code, -1);
	ck_assert(!st.emeter_known);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_not_a_plug)
{
	struct plug_state st = {0};
	struct plugjob jb;

	/* Sysinfo without a relay or outlets: not what was asked. */
	ck_assert_int_eq(start_sysinfo(&jb, &st, PLUG_JOB_REFRESH, -1,
				       text_json("{\"system\":{\"get_sysinfo\":"
						 "{\"err_code\":0,\"alias\":\"x\"}}}")),
			 -EBADMSG);
	ck_assert(!st.known);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

/* Statistics of 2026 (DAILY: of month). */
static void start_stats(struct plugjob *jb, const struct plug_state *st, enum plug_job_kind kind,
			int month)
{
	start(jb, st, kind, -1);
	jb->args.year = 2026;
	jb->args.month = month;
}

START_TEST(test_stats_styles)
{
	struct plug_state st = {0};
	struct plugjob jb;

	known_plug(&st, true);
	start_stats(&jb, &st, PLUG_JOB_DAILY, 11);
	ck_assert(!jb.need_sysinfo);
	ck_assert_int_eq(round_trip(&jb, &st, "emeter", "get_daystat", "\"month\":11",
				    data_json("daystat-old.json")),
			 0);
	ck_assert(!jb.wrote);
	ck_assert_uint_eq(jb.result.n_stats, 1);
	ck_assert_uint_eq(jb.result.stats[0].count, 3);
	expect_done(&jb, &st);
	plugjob_clear(&jb);

	start_stats(&jb, &st, PLUG_JOB_DAILY, 11);
	ck_assert_int_eq(
		round_trip(&jb, &st, "emeter", "get_daystat", NULL, data_json("daystat-new.json")),
		0);
	ck_assert_uint_eq(jb.result.stats[0].count, 2);
	plugjob_clear(&jb);

	start_stats(&jb, &st, PLUG_JOB_MONTHLY, 0);
	ck_assert_int_eq(round_trip(&jb, &st, "emeter", "get_monthstat", "2026",
				    data_json("monthstat-new.json")),
			 0);
	ck_assert_uint_eq(jb.result.n_stats, 1);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_led_alias_reboot)
{
	struct plug_state st = {0};
	struct plugjob jb;

	known_plug(&st, false);
	st.info.led_on = true;
	start(&jb, &st, PLUG_JOB_LED, -1);
	ck_assert_int_eq(round_trip(&jb, &st, "system", "set_led_off", "\"off\":1",
				    done_json("set_led_off")),
			 0);
	ck_assert(!st.info.led_on);
	plugjob_clear(&jb);

	start(&jb, &st, PLUG_JOB_ALIAS, -1);
	snprintf(jb.args.alias, sizeof(jb.args.alias), "Kettle");
	ck_assert_int_eq(round_trip(&jb, &st, "system", "set_dev_alias", "Kettle",
				    done_json("set_dev_alias")),
			 0);
	ck_assert_str_eq(st.info.alias, "Kettle");
	plugjob_clear(&jb);

	start(&jb, &st, PLUG_JOB_REBOOT, -1);
	/* The answer to another method is not the answer. */
	ck_assert_int_lt(round_trip(&jb, &st, "system", "reboot", NULL, done_json("set_dev_alias")),
			 0);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_unsendable_id)
{
	struct plug_state st = {0};
	struct plugjob jb;
	char *json = NULL;

	st.known = true;
	ck_assert_int_eq(plug_state_set_outlets(&st, 2), 0);
	snprintf(st.info.outlets[1].id, sizeof(st.info.outlets[1].id), "AB\x01");
	start(&jb, &st, PLUG_JOB_RELAY, 1);
	ck_assert_int_eq(plugjob_request(&jb, &st, &json), -EBADMSG);
	ck_assert_ptr_null(json);
	ck_assert_ptr_nonnull(strstr(jb.result.device.msg, "outlet 1"));
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_sharing)
{
	struct plug_job_args a = {.kind = PLUG_JOB_REFRESH, .outlet = -1};
	struct plug_job_args b = {.kind = PLUG_JOB_REFRESH, .outlet = 2};
	struct plug_job_args d1 = {.kind = PLUG_JOB_DAILY, .outlet = 1, .year = 2026, .month = 3};
	struct plug_job_args d2 = d1;
	struct plug_job_args r = {.kind = PLUG_JOB_RELAY, .outlet = -1};

	ck_assert(plugjob_shareable(&a, &b));
	ck_assert(plugjob_shareable(&d1, &d2));
	d2.month = 4;
	ck_assert(!plugjob_shareable(&d1, &d2));
	ck_assert(!plugjob_shareable(&r, &r));
	ck_assert(!plugjob_shareable(&a, &r));
	ck_assert(plugjob_changes_plug(PLUG_JOB_TOGGLE));
	ck_assert(plugjob_changes_plug(PLUG_JOB_REBOOT));
	ck_assert(!plugjob_changes_plug(PLUG_JOB_REFRESH));
	ck_assert(!plugjob_changes_plug(PLUG_JOB_MONTHLY));
}
END_TEST

/* --- What the plug keeps: countdown, schedule, clock ------------------------- */

static struct json_object *rules_json(const char *module, const char *list)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"%s\":{\"get_rules\":{\"rule_list\":[%s],\"err_code\":0}}}",
		 module, list);
	return text_json(text);
}

START_TEST(test_countdown_set)
{
	struct plug_state st = {0};
	struct plugjob jb;

	known_plug(&st, false);
	start(&jb, &st, PLUG_JOB_COUNTDOWN_SET, -1);
	jb.args.seconds = 90;
	jb.args.on = true;
	ck_assert_int_eq(round_trip(&jb, &st, "count_down", "delete_all_rules", NULL,
				    text_json("{\"count_down\":{\"delete_all_rules\":{\"err_code\":0}}}")),
			 0);
	ck_assert_int_eq(round_trip(&jb, &st, "count_down", "add_rule", "\"delay\":90,\"act\":1",
				    text_json("{\"count_down\":{\"add_rule\":{\"id\":\"A\",\"err_code\":0}}}")),
			 0);
	ck_assert_int_eq(round_trip(&jb, &st, "count_down", "get_rules", NULL,
				    rules_json("count_down", "{\"id\":\"A\",\"enable\":1,\"delay\":90,"
							     "\"act\":1,\"remain\":89}")),
			 0);
	expect_done(&jb, &st);
	ck_assert(!jb.wrote);
	ck_assert_ptr_nonnull(jb.result.rules);
	ck_assert_uint_eq(jb.result.rules->count, 1);
	ck_assert_int_eq(jb.result.rules->rule[0].remain_s, 89);
	plugjob_clear(&jb);

	/* A refusal on the way ends the job with the plug's error. */
	start(&jb, &st, PLUG_JOB_COUNTDOWN_SET, -1);
	jb.args.seconds = 90;
	ck_assert_int_eq(round_trip(&jb, &st, "count_down", "delete_all_rules", NULL,
				    text_json("{\"count_down\":{\"err_code\":-1,"
					      "\"err_msg\":\"module not support\"}}")),
			 -ENOTSUP);
	ck_assert_int_eq(jb.result.device.code, -1);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_rules_of_outlets)
{
	struct plug_state st = {0};
	struct plugjob jb;
	char *json = NULL;

	ck_assert_int_eq(start_sysinfo(&jb, &st, PLUG_JOB_SCHEDULE_GET, 2,
				       data_json("sysinfo-hs300.json")),
			 0);
	ck_assert_int_eq(round_trip(&jb, &st, "schedule", "get_rules", "\"child_ids\":[\"",
				    rules_json("schedule", "")),
			 0);
	ck_assert_uint_eq(jb.result.rules->count, 0);
	plugjob_clear(&jb);

	/* The whole strip: rules are its outlets'. */
	start(&jb, &st, PLUG_JOB_COUNTDOWN_GET, -1);
	ck_assert_int_eq(plugjob_request(&jb, &st, &json), -ENOTSUP);
	ck_assert_ptr_null(json);
	ck_assert_str_ne(jb.result.device.msg, "");
	plugjob_clear(&jb);

	/* SMART keeps none here. */
	known_plug(&st, false);
	memset(&jb, 0, sizeof(jb));
	jb.args.kind = PLUG_JOB_TIME_GET;
	jb.args.outlet = -1;
	plugjob_begin(&jb, &st, true);
	ck_assert_int_eq(plugjob_request(&jb, &st, &json), -ENOTSUP);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

START_TEST(test_schedule_delete)
{
	struct plug_state st = {0};
	struct plugjob jb;

	known_plug(&st, false);
	start(&jb, &st, PLUG_JOB_SCHEDULE_DELETE, -1);
	strcpy(jb.args.rule_id, "R1");
	ck_assert_int_eq(round_trip(&jb, &st, "schedule", "delete_rule", "\"id\":\"R1\"",
				    text_json("{\"schedule\":{\"delete_rule\":{\"err_code\":-14,"
					      "\"err_msg\":\"entry not exist\"}}}")),
			 -ENOENT);
	plugjob_clear(&jb);
	start(&jb, &st, PLUG_JOB_SCHEDULE_DELETE, -1);
	ck_assert_int_eq(round_trip(&jb, &st, "schedule", "delete_all_rules", NULL,
				    text_json("{\"schedule\":{\"delete_all_rules\":{\"err_code\":0}}}")),
			 0);
	ck_assert_int_eq(round_trip(&jb, &st, "schedule", "get_rules", NULL,
				    rules_json("schedule", "")),
			 0);
	expect_done(&jb, &st);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

#define TIME_REPLY(h, zone)                                                                     \
	"{\"time\":{\"get_time\":{\"year\":2026,\"month\":3,\"mday\":1,\"hour\":" #h ",\"min\":0," \
	"\"sec\":0,\"err_code\":0},\"get_timezone\":{\"index\":" #zone ",\"err_code\":0}}}"

START_TEST(test_time)
{
	struct plug_state st = {0};
	struct plugjob jb;
	int64_t off = 0;

	known_plug(&st, false);
	ck_assert(!plug_state_clock_offset(&st, NOW, 0, &off));
	start(&jb, &st, PLUG_JOB_TIME_GET, -1);
	ck_assert_int_eq(round_trip(&jb, &st, "time", "get_timezone", NULL, text_json(TIME_REPLY(6, 12))),
			 0);
	expect_done(&jb, &st);
	plugjob_clear(&jb);
	ck_assert(st.clock_known);
	ck_assert_int_eq(st.clock_zone, 12);
	/* 2026-03-01T06:00:00 as seconds since the epoch. */
	ck_assert_int_eq(st.clock_wall_s, 1772344800);
	/* Three seconds later by both clocks, kasad's an hour ahead. */
	ck_assert(plug_state_clock_offset(&st, NOW + 3000000,
					  (1772344800LL + 3600 + 3) * 1000000 + 500000, &off));
	ck_assert_int_eq(off, -3600);

	/* Set, keeping the plug's zone: read it, set, read back. */
	start(&jb, &st, PLUG_JOB_TIME_SET, -1);
	jb.args.zone = -1;
	jb.args.time = (struct kasa_time){2026, 3, 1, 7, 0, 3};
	ck_assert_int_eq(round_trip(&jb, &st, "time", "get_time", NULL, text_json(TIME_REPLY(6, 12))),
			 0);
	ck_assert_int_eq(round_trip(&jb, &st, "time", "set_timezone", "\"hour\":7,\"min\":0,\"sec\":3,\"index\":12",
				    text_json("{\"time\":{\"set_timezone\":{\"err_code\":0}}}")),
			 0);
	ck_assert_int_eq(round_trip(&jb, &st, "time", "get_time", NULL, text_json(TIME_REPLY(7, 12))),
			 0);
	expect_done(&jb, &st);
	plugjob_clear(&jb);

	/* A zone given: no read first. */
	start(&jb, &st, PLUG_JOB_TIME_SET, -1);
	jb.args.zone = 39;
	jb.args.time = (struct kasa_time){2026, 3, 1, 7, 0, 3};
	ck_assert_int_eq(round_trip(&jb, &st, "time", "set_timezone", "\"index\":39",
				    text_json("{\"time\":{\"set_timezone\":{\"err_code\":-3,"
					      "\"err_msg\":\"invalid argument\"}}}")),
			 -EINVAL);
	plugjob_clear(&jb);
	plug_state_release(&st);
}
END_TEST

static Suite *plugjob_suite(void)
{
	Suite *s = suite_create("plugjob");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_refresh_unknown_plug);
	tcase_add_test(tc, test_refresh_combined_old_firmware);
	tcase_add_test(tc, test_refresh_strip);
	tcase_add_test(tc, test_relay);
	tcase_add_test(tc, test_toggle_outlet);
	tcase_add_test(tc, test_no_such_outlet);
	tcase_add_test(tc, test_device_refuses);
	tcase_add_test(tc, test_not_a_plug);
	tcase_add_test(tc, test_stats_styles);
	tcase_add_test(tc, test_led_alias_reboot);
	tcase_add_test(tc, test_unsendable_id);
	tcase_add_test(tc, test_sharing);
	tcase_add_test(tc, test_countdown_set);
	tcase_add_test(tc, test_rules_of_outlets);
	tcase_add_test(tc, test_schedule_delete);
	tcase_add_test(tc, test_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(plugjob_suite());
}
