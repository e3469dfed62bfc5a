/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu's energy meters, driven as a black box (emu-util.h): readings in
 * the old style (floats) and the new (integers in milli-units), and the
 * day and month statistics.
 */
#include "emu-util.h"

static void check_stats_lists(uint16_t port, bool new_style)
{
	char req[256];
	struct json_object *r, *list;
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(req, sizeof(req),
		 "{\"emeter\":{\"get_daystat\":{\"year\":%d,\"month\":%d},"
		 "\"get_monthstat\":{\"year\":%d}}}",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_year + 1900);
	r = call(port, req);
	list = jget(r, "emeter.get_daystat.day_list");
	ck_assert_ptr_nonnull(list);
	/* The history covers every day of the month so far (UTC, as the device). */
	ck_assert_int_ge(json_object_array_length(list), 1);
	ck_assert_int_le(json_object_array_length(list), 31);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);

		ck_assert_int_eq(jint(d, "year"), tm.tm_year + 1900);
		ck_assert_int_eq(jint(d, "month"), tm.tm_mon + 1);
		ck_assert_int_ge(jint(d, "day"), 1);
		if (new_style)
			ck_assert_int_ge(jint(d, "energy_wh"), 0);
		else
			ck_assert(jdouble(d, "energy") >= 0);
	}
	list = jget(r, "emeter.get_monthstat.month_list");
	ck_assert_int_ge(json_object_array_length(list), 1);
	ck_assert_int_le(json_object_array_length(list), tm.tm_mon + 1);
	json_object_put(r);

	r = call(port, "{\"emeter\":{\"get_daystat\":{\"year\":2020}}}");
	ck_assert_int_eq(jint(r, "emeter.get_daystat.err_code"), -3);
	json_object_put(r);
}

START_TEST(test_emeter_old_style)
{
	struct emu e;
	struct json_object *r;
	double v, p, i, total;

	emu_start(&e, "hs110v1,state=on,power=100", NULL);
	r = call(e.dev[0].port, "{\"emeter\":{\"get_realtime\":{}}}");
	ck_assert_int_eq(jint(r, "emeter.get_realtime.err_code"), 0);
	v = jdouble(r, "emeter.get_realtime.voltage");
	p = jdouble(r, "emeter.get_realtime.power");
	i = jdouble(r, "emeter.get_realtime.current");
	total = jdouble(r, "emeter.get_realtime.total");
	ck_assert_ptr_null(jget(r, "emeter.get_realtime.power_mw"));
	ck_assert(v > 220 && v < 240);
	ck_assert(p > 95 && p < 105);
	/* Real power: the current is above power / voltage (power factor < 1). */
	ck_assert(i > p / v && i < p / v / 0.8);
	ck_assert(total > 0);
	json_object_put(r);

	r = call(e.dev[0].port, "{\"system\":{\"set_relay_state\":{\"state\":0}},"
				"\"emeter\":{\"get_realtime\":{}}}");
	ck_assert(jdouble(r, "emeter.get_realtime.power") == 0);
	ck_assert(jdouble(r, "emeter.get_realtime.current") == 0);
	ck_assert(jdouble(r, "emeter.get_realtime.voltage") > 220);
	ck_assert(jdouble(r, "emeter.get_realtime.total") >= total);
	json_object_put(r);
	check_stats_lists(e.dev[0].port, false);

	r = call(e.dev[0].port, "{\"emeter\":{\"erase_emeter_stat\":{},\"get_realtime\":{}}}");
	ck_assert_int_eq(jint(r, "emeter.erase_emeter_stat.err_code"), 0);
	ck_assert(jdouble(r, "emeter.get_realtime.total") == 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_emeter_new_style)
{
	static const char *const specs[] = {"hs110v4,state=on,power=60", "kp115,state=on,power=60"};
	static const int volts[] = {230, 120};

	for (unsigned k = 0; k < 2; k++) {
		struct emu e;
		struct json_object *r;
		int64_t v, p, i;

		emu_start(&e, specs[k], NULL);
		r = call(e.dev[0].port, "{\"emeter\":{\"get_realtime\":{}}}");
		v = jint(r, "emeter.get_realtime.voltage_mv");
		p = jint(r, "emeter.get_realtime.power_mw");
		i = jint(r, "emeter.get_realtime.current_ma");
		ck_assert_int_ge(jint(r, "emeter.get_realtime.total_wh"), 0);
		ck_assert_ptr_null(jget(r, "emeter.get_realtime.slot_id"));
		ck_assert_ptr_null(jget(r, "emeter.get_realtime.power"));
		ck_assert(v > volts[k] * 950 && v < volts[k] * 1050);
		ck_assert(p > 57000 && p < 63000);
		ck_assert(i * (double)v / 1000 > p * 0.99);
		json_object_put(r);

		r = call(e.dev[0].port, "{\"system\":{\"set_relay_state\":{\"state\":0}}}");
		json_object_put(r);
		r = call(e.dev[0].port, "{\"emeter\":{\"get_realtime\":{}}}");
		ck_assert_int_eq(jint(r, "emeter.get_realtime.power_mw"), 0);
		ck_assert_int_eq(jint(r, "emeter.get_realtime.current_ma"), 0);
		json_object_put(r);
		check_stats_lists(e.dev[0].port, true);
		emu_stop(&e, NULL);
	}
}
END_TEST

static Suite *emu_emeter_suite(void)
{
	Suite *s = suite_create("kasa-emu emeter");
	TCase *tc = tcase_create("emeter");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_emeter_old_style);
	tcase_add_test(tc, test_emeter_new_style);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(emu_emeter_suite());
}
