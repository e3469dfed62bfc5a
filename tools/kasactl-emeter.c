/* SPDX-License-Identifier: MIT */
/* kasactl: the energy commands (emeter, daily, monthly), a strip summed over its outlets;
 * SMART's get_energy_usage. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "kasactl-cmd.h"
#include "kasactl-ctl.h"

static int json_add(struct json_object *obj, const char *key, struct json_object *val)
{
	return json_object_object_add(obj, key, val);
}

/* Energy commands: first make sure there is a meter to ask (PROTOCOL.md: some devices crash
 * on modules they do not support). */
static int check_emeter(const struct ctl *c, const struct kasa_sysinfo *info)
{
	char feature[sizeof(info->feature)];

	if (info->has_emeter)
		return KASACTL_EXIT_OK;
	ctl_sanitize(info->feature, feature, sizeof(feature));
	return ctl_error(c, "the device has no energy meter (feature \"%s\")", feature);
}

/* ctl_load(), then check_emeter(). */
static int load_metered(struct ctl *c, struct kasa_sysinfo *info)
{
	int r = ctl_load(c, info);

	if (r != KASACTL_EXIT_OK)
		return r;
	return check_emeter(c, info);
}

static int emeter_query(struct ctl *c, const char *child_id, struct kasa_emeter *ret)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	char *req = NULL;
	int r;

	r = kasa_req_emeter_realtime(child_id, &req);
	r = ctl_send(c, r, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_emeter_parse(reply, ret, &derr);
	if (r < 0)
		return ctl_device_error(c, "get_realtime", r, &derr);
	return KASACTL_EXIT_OK;
}

/* A strip's total: the sum over its outlets; voltage is their average. */
static int emeter_strip(struct ctl *c, const struct kasa_sysinfo *info, struct kasa_emeter *ret)
{
	struct kasa_emeter sum = {.new_style = true, .slot_id = -1};
	unsigned n = info->outlet_count < KASA_OUTLETS_MAX ? info->outlet_count : KASA_OUTLETS_MAX;

	for (unsigned i = 0; i < n; i++) {
		char id[KASA_ID_MAX];
		struct kasa_emeter em;
		int r;

		r = kasa_child_id(info->device_id, i, id);
		if (r < 0)
			return ctl_error(c, "cannot build the id of outlet %u: %s", i,
					 kasa_strerror(r));
		r = emeter_query(c, id, &em);
		if (r != KASACTL_EXIT_OK)
			return r;
		sum.power_mw += em.power_mw;
		sum.current_ma += em.current_ma;
		sum.total_wh += em.total_wh;
		sum.voltage_mv += em.voltage_mv;
		sum.power_w += em.power_w;
		sum.current_a += em.current_a;
		sum.total_kwh += em.total_kwh;
		sum.voltage_v += em.voltage_v;
		sum.new_style &= em.new_style;
	}
	if (n) {
		sum.voltage_mv /= n;
		sum.voltage_v /= n;
	}
	*ret = sum;
	return KASACTL_EXIT_OK;
}

/* kWh from whole Wh, -1 (not sent) as null. */
static struct json_object *kwh_or_null(int64_t wh)
{
	return wh < 0 ? NULL : ctl_json_double((double)wh / 1000.0);
}

static struct json_object *int_or_null(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static void print_energy(const char *label, int64_t wh, int64_t min)
{
	if (wh < 0) {
		printf("%s not reported\n", label);
		return;
	}
	printf("%s %.3f kWh", label, (double)wh / 1000.0);
	if (min >= 0)
		printf(" (%" PRId64 " h %02d min on)", min / 60, (int)(min % 60));
	putchar('\n');
}

/*
 * SMART: get_energy_usage, the power now and today's and this month's
 * energy.  It does not give voltage, current or a lifetime total: say so
 * rather than print zeros.  A device without a meter does not know the
 * method.
 */
static int smart_emeter(struct ctl *c)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	struct kasa_device_error derr;
	struct kasa_smart_energy en;
	struct kasa_emeter em;
	char *req = NULL;
	int r;

	r = kasa_smart_req_energy_usage(NULL, &req);
	r = ctl_send(c, r, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_smart_energy_parse(reply, &em, &en, &derr);
	if (r == -ENOSYS)
		return ctl_error(c, "the device has no energy meter (get_energy_usage: %s)",
				 kasa_strerror(r));
	if (r < 0)
		return ctl_device_error(c, "get_energy_usage", r, &derr);

	if (!c->json) {
		printf("power:   %.3f W\n", em.power_w);
		print_energy("today:  ", en.today_wh, en.today_runtime_min);
		print_energy("month:  ", en.month_wh, en.month_runtime_min);
		puts("(SMART reports no voltage, current or total energy)");
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	if (!obj)
		return ctl_print_json(NULL);
	json_add(obj, "power_w", ctl_json_double(em.power_w));
	json_add(obj, "power_mw", json_object_new_int64(em.power_mw));
	json_add(obj, "today_kwh", kwh_or_null(en.today_wh));
	json_add(obj, "today_wh", int_or_null(en.today_wh));
	json_add(obj, "month_kwh", kwh_or_null(en.month_wh));
	json_add(obj, "month_wh", int_or_null(en.month_wh));
	json_add(obj, "today_runtime_min", int_or_null(en.today_runtime_min));
	json_add(obj, "month_runtime_min", int_or_null(en.month_runtime_min));
	return ctl_print_json(obj);
}

int cmd_emeter(struct ctl *c)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	struct kasa_sysinfo info;
	struct kasa_emeter em;
	bool strip;
	int r;

	if (ctl_smart(c))
		return smart_emeter(c);
	r = load_metered(c, &info);
	if (r != KASACTL_EXIT_OK)
		return r;
	strip = c->outlet < 0 && info.outlet_count > 0;
	r = strip ? emeter_strip(c, &info, &em) : emeter_query(c, ctl_child(c), &em);
	if (r != KASACTL_EXIT_OK)
		return r;

	if (!c->json) {
		printf("power:   %.3f W\n", em.power_w);
		printf("voltage: %.3f V\n", em.voltage_v);
		printf("current: %.3f A\n", em.current_a);
		printf("total:   %.3f kWh\n", em.total_kwh);
		if (strip)
			printf("(sum of %u outlets; voltage averaged)\n", info.outlet_count);
		return KASACTL_EXIT_OK;
	}
	obj = json_object_new_object();
	if (!obj)
		return ctl_print_json(NULL);
	json_add(obj, "power_w", ctl_json_double(em.power_w));
	json_add(obj, "voltage_v", ctl_json_double(em.voltage_v));
	json_add(obj, "current_a", ctl_json_double(em.current_a));
	json_add(obj, "total_kwh", ctl_json_double(em.total_kwh));
	json_add(obj, "power_mw", json_object_new_int64(em.power_mw));
	json_add(obj, "voltage_mv", json_object_new_int64(em.voltage_mv));
	json_add(obj, "current_ma", json_object_new_int64(em.current_ma));
	json_add(obj, "total_wh", json_object_new_int64(em.total_wh));
	json_add(obj, "new_style", json_object_new_boolean(em.new_style));
	if (em.slot_id >= 0)
		json_add(obj, "slot_id", json_object_new_int(em.slot_id));
	if (strip)
		json_add(obj, "outlets_summed", json_object_new_int((int)info.outlet_count));
	ctl_json_add_outlet(c, obj);
	return ctl_print_json(obj);
}

static int stats_query(struct ctl *c, const char *child_id, bool daily, int year, int month,
		       struct kasa_stats *ret)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	char *req = NULL;
	int r;

	r = daily ? kasa_req_emeter_daily(child_id, year, month, &req)
		  : kasa_req_emeter_monthly(child_id, year, &req);
	r = ctl_send(c, r, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = daily ? kasa_daystat_parse(reply, year, month, ret, &derr)
		  : kasa_monthstat_parse(reply, year, ret, &derr);
	if (r < 0)
		return ctl_device_error(c, daily ? "get_daystat" : "get_monthstat", r, &derr);
	return KASACTL_EXIT_OK;
}

/* Add the entries of one outlet to the strip's sum, matching by date. */
static void stats_merge(struct kasa_stats *sum, const struct kasa_stats *add)
{
	for (unsigned i = 0; i < add->count && i < KASA_STATS_MAX; i++) {
		const struct kasa_stat *e = &add->entries[i];
		unsigned j;

		for (j = 0; j < sum->count; j++) {
			struct kasa_stat *s = &sum->entries[j];

			if (s->year == e->year && s->month == e->month && s->day == e->day) {
				s->energy_wh += e->energy_wh;
				s->energy_kwh += e->energy_kwh;
				break;
			}
		}
		if (j == sum->count && sum->count < KASA_STATS_MAX)
			sum->entries[sum->count++] = *e;
	}
}

static int cmp_stat(const void *a, const void *b)
{
	const struct kasa_stat *x = a, *y = b;

	if (x->year != y->year)
		return x->year < y->year ? -1 : 1;
	if (x->month != y->month)
		return x->month < y->month ? -1 : 1;
	return (x->day > y->day) - (x->day < y->day);
}

static int print_stats(const struct ctl *c, const struct kasa_stats *st, bool daily, int year,
		       int month, unsigned summed)
{
	_cleanup_(json_object_putp) struct json_object *obj = NULL;
	struct json_object *list;
	double total_kwh = 0;
	int64_t total_wh = 0;

	for (unsigned i = 0; i < st->count; i++) {
		total_kwh += st->entries[i].energy_kwh;
		total_wh += st->entries[i].energy_wh;
	}
	if (!c->json) {
		for (unsigned i = 0; i < st->count; i++) {
			const struct kasa_stat *e = &st->entries[i];

			if (daily)
				printf("%04d-%02d-%02d  %10.3f kWh\n", e->year, e->month, e->day,
				       e->energy_kwh);
			else
				printf("%04d-%02d     %10.3f kWh\n", e->year, e->month,
				       e->energy_kwh);
		}
		printf("total       %10.3f kWh\n", total_kwh);
		if (summed)
			printf("(sum of %u outlets)\n", summed);
		return KASACTL_EXIT_OK;
	}

	obj = json_object_new_object();
	list = json_object_new_array();
	if (!obj || !list) {
		json_object_put(list);
		return ctl_print_json(NULL);
	}
	json_add(obj, "year", json_object_new_int(year));
	if (daily)
		json_add(obj, "month", json_object_new_int(month));
	json_add(obj, daily ? "days" : "months", list);
	for (unsigned i = 0; i < st->count; i++) {
		const struct kasa_stat *e = &st->entries[i];
		struct json_object *ej = json_object_new_object();

		if (!ej)
			return ctl_print_json(NULL);
		json_object_array_add(list, ej);
		json_add(ej, "year", json_object_new_int(e->year));
		json_add(ej, "month", json_object_new_int(e->month));
		if (daily)
			json_add(ej, "day", json_object_new_int(e->day));
		json_add(ej, "energy_wh", json_object_new_int64(e->energy_wh));
		json_add(ej, "energy_kwh", ctl_json_double(e->energy_kwh));
	}
	json_add(obj, "total_wh", json_object_new_int64(total_wh));
	json_add(obj, "total_kwh", ctl_json_double(total_kwh));
	if (summed)
		json_add(obj, "outlets_summed", json_object_new_int((int)summed));
	ctl_json_add_outlet(c, obj);
	return ctl_print_json(obj);
}

static int cmd_stats(struct ctl *c, bool daily, int year, int month)
{
	struct kasa_sysinfo info;
	struct kasa_stats st = {0};
	unsigned summed = 0;
	int r;

	r = load_metered(c, &info);
	if (r != KASACTL_EXIT_OK)
		return r;

	if (c->outlet < 0 && info.outlet_count > 0) {
		summed =
			info.outlet_count < KASA_OUTLETS_MAX ? info.outlet_count : KASA_OUTLETS_MAX;
		for (unsigned i = 0; i < summed; i++) {
			struct kasa_stats one;
			char id[KASA_ID_MAX];

			r = kasa_child_id(info.device_id, i, id);
			if (r < 0)
				return ctl_error(c, "cannot build the id of outlet %u: %s", i,
						 kasa_strerror(r));
			r = stats_query(c, id, daily, year, month, &one);
			if (r != KASACTL_EXIT_OK)
				return r;
			stats_merge(&st, &one);
		}
	} else {
		r = stats_query(c, ctl_child(c), daily, year, month, &st);
		if (r != KASACTL_EXIT_OK)
			return r;
	}
	if (st.count > KASA_STATS_MAX)
		st.count = KASA_STATS_MAX;
	qsort(st.entries, st.count, sizeof(st.entries[0]), cmp_stat);
	return print_stats(c, &st, daily, year, month, summed);
}

int cmd_daily(struct ctl *c, int year, int month)
{
	return cmd_stats(c, true, year, month);
}

int cmd_monthly(struct ctl *c, int year)
{
	return cmd_stats(c, false, year, 0);
}
