/* SPDX-License-Identifier: MIT */
/*
 * Every reply parser, IOT and SMART, against arbitrary payloads, as a
 * hostile plug sends, and what the parsers promise of what they keep:
 * well-formed UTF-8, on_time -1 or plausible, readings and a dimmer's
 * brightness within range, dates that exist.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "kasa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sysinfo(const struct kasa_sysinfo *si)
{
	const char *texts[] = {si->alias,  si->model,  si->dev_name, si->device_id,
			       si->hw_id,  si->oem_id, si->mac,	     si->hw_ver,
			       si->sw_ver, si->type,   si->feature,  si->active_mode};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_text(texts[i]);
	if (si->on_time < -1 || si->outlet_count > KASA_OUTLETS_MAX)
		abort();
	if (si->has_brightness && (si->brightness < 0 || si->brightness > 100))
		abort();
	for (unsigned i = 0; i < si->outlet_count; i++) {
		check_text(si->outlets[i].alias);
		check_text(si->outlets[i].next_action);
		if (si->outlets[i].on_time < -1)
			abort();
	}
}

static void check_emeter(const struct kasa_emeter *em)
{
	if (!(em->power_w >= -1e6 && em->power_w <= 1e6) ||
	    !(em->voltage_v >= -1e4 && em->voltage_v <= 1e4) ||
	    !(em->current_a >= -1e5 && em->current_a <= 1e5) ||
	    !(em->total_kwh >= -1e9 && em->total_kwh <= 1e9))
		abort();
}

/* Power as any meter's; the day's and month's counts -1 or within range. */
static void check_energy(const struct kasa_emeter *em, const struct kasa_smart_energy *en)
{
	const int64_t counts[] = {en->today_wh, en->month_wh, en->today_runtime_min,
				  en->month_runtime_min};

	check_emeter(em);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (counts[i] < -INT64_C(1000000000000) || counts[i] > INT64_C(1000000000000))
			abort();
}

static void check_stats(const struct kasa_stats *st, int year, int month)
{
	for (unsigned i = 0; i < st->count; i++) {
		const struct kasa_stat *e = &st->entries[i];

		if (e->year != year || e->month < 1 || e->month > 12 ||
		    (month && (e->month != month || e->day < 1 || e->day > 31)))
			abort();
	}
}

/* The period of the list's first entry, so that the parser keeps some. */
static void first_period(struct json_object *reply, const char *method, const char *list_key,
			 int *ret_year, int *ret_month)
{
	struct json_object *v;

	if (json_object_object_get_ex(reply, "emeter", &v) &&
	    json_object_object_get_ex(v, method, &v) &&
	    json_object_object_get_ex(v, list_key, &v) && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0) {
		struct json_object *e = json_object_array_get_idx(v, 0), *x;

		if (json_object_object_get_ex(e, "year", &x))
			*ret_year = json_object_get_int(x);
		if (json_object_object_get_ex(e, "month", &x))
			*ret_month = json_object_get_int(x);
	}
	if (*ret_month < 1 || *ret_month > 12)
		*ret_month = 1;
}

/* What kasa_rules_parse() promises of every rule it keeps. */
static void check_rules(const struct kasa_rules *rs)
{
	if (rs->count > KASA_RULES_MAX)
		abort();
	for (unsigned i = 0; i < rs->count; i++) {
		const struct kasa_rule *r = &rs->rule[i];

		check_text(r->name);
		if (!r->id[0] || r->wday > 0x7f || r->min < 0 || r->min > 1439 ||
		    r->offset_min < -720 || r->offset_min > 720 || r->delay_s < 0 ||
		    r->remain_s < -1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *reply, *result;
	struct kasa_device_error err = {0};
	struct kasa_sysinfo info;
	struct kasa_emeter em;
	struct kasa_stats stats;
	struct kasa_time t;
	struct kasa_rules rules;
	int zone;
	struct kasa_smart_energy energy;
	int year = 2025, month = 1, ver;

	if (kasa_reply_parse((const char *)data, size, &reply) < 0)
		return 0;
	if (kasa_sysinfo_parse(reply, &info, &err) == 0)
		check_sysinfo(&info);
	check_text(err.msg);
	if (kasa_emeter_parse(reply, &em, &err) == 0)
		check_emeter(&em);
	first_period(reply, "get_daystat", "day_list", &year, &month);
	if (kasa_daystat_parse(reply, year, month, &stats, &err) == 0)
		check_stats(&stats, year, month);
	first_period(reply, "get_monthstat", "month_list", &year, &month);
	if (kasa_monthstat_parse(reply, year, &stats, &err) == 0)
		check_stats(&stats, year, 0);
	(void)kasa_time_parse(reply, &t, &err);
	check_text(err.msg);
	if (kasa_rules_parse(reply, "count_down", &rules, &err) == 0)
		check_rules(&rules);
	check_text(err.msg);
	if (kasa_rules_parse(reply, "schedule", &rules, &err) == 0)
		check_rules(&rules);
	check_text(err.msg);
	if (kasa_timezone_parse(reply, &zone, &err) == 0 &&
	    (zone < 0 || zone > KASA_TIMEZONE_INDEX_MAX))
		abort();
	(void)kasa_reply_result(reply, "system", "set_relay_state", &result, NULL);

	/* The SMART parsers, to the same promises. */
	if (kasa_smart_sysinfo_parse(reply, &info, &err) == 0)
		check_sysinfo(&info);
	check_text(err.msg);
	if (kasa_smart_energy_parse(reply, &em, &energy, &err) == 0)
		check_energy(&em, &energy);
	check_text(err.msg);
	if (kasa_smart_power_parse(reply, &em, &err) == 0)
		check_emeter(&em);
	(void)kasa_smart_component(reply, "energy_monitoring", &ver, &err);
	check_text(err.msg);
	(void)kasa_smart_result(reply, "set_device_info", &result, NULL);
	json_object_put(reply);
	return 0;
}
