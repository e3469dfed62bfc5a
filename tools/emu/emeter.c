/* SPDX-License-Identifier: MIT */
/*
 * The simulated energy meter of one outlet.  The load is constant while the
 * relay is on (each reading gets a little noise), nothing flows when off;
 * energy is integrated over monotonic time.  The day and month history, from
 * 1 January of last year up to yesterday, is derived from the device index
 * alone, so it is the same on every run; today holds the energy since
 * midnight (UTC), partly simulated before the start, then measured.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "device.h"
#include "emeter.h"
#include "emu.h"
#include "result.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

struct day {
	int y, m, d;
	int64_t n;   /* days since the epoch */
	double frac; /* of the day elapsed */
};

static void today(struct day *ret)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	ret->y = tm.tm_year + 1900;
	ret->m = tm.tm_mon + 1;
	ret->d = tm.tm_mday;
	ret->n = days_from_civil(ret->y, ret->m, ret->d);
	ret->frac = (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) / 86400.0;
}

static int ymd(int y, int m, int d)
{
	return y * 10000 + m * 100 + d;
}

/* The recorded energy of a past day, in whole Wh. */
static int64_t history_wh(const struct emu_meter *m, int64_t day)
{
	uint64_t h = emu_mix64(m->seed ^ emu_mix64((uint64_t)day));
	double f = 0.6 + 0.8 * ((double)(h >> 11) * (1.0 / 9007199254740992.0));

	return llround(m->avg_day_wh * f);
}

/* Whether day (y-m-d, n) has a history entry, and how much, given today t. */
static bool day_energy(const struct emu_meter *m, int y, int mo, int d, const struct day *t,
		       double *ret_wh)
{
	int64_t n = days_from_civil(y, mo, d);

	if (n > t->n || y < t->y - 1)
		return false;
	if (m->erased && ymd(y, mo, d) < m->erased)
		return false;
	*ret_wh = n == t->n ? m->today_wh : (double)history_wh(m, n);
	return true;
}

void emeter_init(struct emu_meter *m, unsigned index, unsigned outlet, double volts, double power_w,
		 uint64_t now)
{
	struct day t;
	uint64_t r;
	double hours;

	m->seed = emu_mix64(((uint64_t)index << 8 | outlet) ^ 0x6b617361656d75ULL);
	r = m->seed;
	m->noise = m->seed;
	m->volts = volts;
	m->load_w = power_w > 0 ? power_w : 10.0 + (double)(emu_rand(&r) % 1400) / 10.0;
	m->pf = 0.85 + 0.14 * emu_rand01(&r);
	hours = 3.0 + 9.0 * emu_rand01(&r);
	m->avg_day_wh = m->load_w * hours;
	m->erased = 0;

	today(&t);
	m->today = ymd(t.y, t.m, t.d);
	m->today_wh = round(m->avg_day_wh * t.frac);
	m->total_wh = m->today_wh;
	for (int64_t n = days_from_civil(t.y - 1, 1, 1); n < t.n; n++)
		m->total_wh += (double)history_wh(m, n);
	m->last_usec = now;
}

void emeter_update(struct emu_meter *m, bool on, uint64_t now)
{
	struct day t;
	double wh;

	today(&t);
	if (ymd(t.y, t.m, t.d) != m->today) {
		m->today = ymd(t.y, t.m, t.d);
		m->today_wh = 0;
	}
	if (on && now > m->last_usec) {
		wh = m->load_w * (double)(now - m->last_usec) / 3.6e9;
		m->today_wh += wh;
		m->total_wh += wh;
	}
	m->last_usec = now;
}

void emeter_erase(struct emu_meter *m, bool on, uint64_t now)
{
	emeter_update(m, on, now);
	m->erased = m->today;
	m->today_wh = 0;
	m->total_wh = 0;
}

/* A float printed with a fixed number of decimals, as firmware does. */
static struct json_object *fixed(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

/* Volts, watts and amps now, with noise; energy accounted up to now. */
static void sample(struct emu_meter *m, bool on, uint64_t now, double *ret_v, double *ret_p,
		   double *ret_i)
{
	double v, p = 0, i = 0;

	emeter_update(m, on, now);
	v = m->volts * (1.0 + 0.02 * (emu_rand01(&m->noise) - 0.5));
	if (on) {
		p = m->load_w * (1.0 + 0.04 * (emu_rand01(&m->noise) - 0.5));
		i = p / (v * m->pf);
	}
	*ret_v = v;
	*ret_p = p;
	*ret_i = i;
}

/* This month's energy as get_monthstat sums it: whole Wh per day. */
static double month_wh(const struct emu_meter *m, const struct day *t)
{
	double sum = 0, wh;

	for (int d = 1; d <= t->d; d++)
		if (day_energy(m, t->y, t->m, d, t, &wh))
			sum += round(wh);
	return sum;
}

void emeter_read(struct emu_meter *m, bool on, uint64_t now, struct emu_reading *ret)
{
	struct day t;

	sample(m, on, now, &ret->volts, &ret->watts, &ret->amps);
	today(&t);
	ret->total_wh = m->total_wh;
	ret->today_wh = m->today_wh;
	ret->month_wh = month_wh(m, &t);
}

struct json_object *emeter_realtime(struct emu_meter *m, bool on, bool new_style, int slot,
				    uint64_t now)
{
	struct json_object *res = json_object_new_object();
	double v, p, i;

	sample(m, on, now, &v, &p, &i);
	if (new_style) {
		if (slot >= 0)
			result_add_int(res, "slot_id", slot);
		result_add_int(res, "voltage_mv", llround(v * 1000));
		result_add_int(res, "current_ma", llround(i * 1000));
		result_add_int(res, "power_mw", llround(p * 1000));
		result_add_int(res, "total_wh", llround(m->total_wh));
	} else {
		json_object_object_add(res, "current", fixed(i, 6));
		json_object_object_add(res, "voltage", fixed(v, 6));
		json_object_object_add(res, "power", fixed(p, 6));
		json_object_object_add(res, "total", fixed(m->total_wh / 1000.0, 3));
	}
	result_add_int(res, "err_code", 0);
	return res;
}

static bool get_int(struct json_object *params, const char *key, int min, int max, int *ret)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return false;
	*ret = (int)n;
	return true;
}

static void add_energy(struct json_object *entry, bool new_style, double wh)
{
	if (new_style)
		result_add_int(entry, "energy_wh", llround(wh));
	else
		json_object_object_add(entry, "energy", fixed(round(wh) / 1000.0, 3));
}

static struct json_object *stat_entry(int y, int mo, int d, bool new_style, double wh)
{
	struct json_object *e = json_object_new_object();

	result_add_int(e, "year", y);
	result_add_int(e, "month", mo);
	if (d)
		result_add_int(e, "day", d);
	add_energy(e, new_style, wh);
	return e;
}

struct json_object *emeter_daystat(struct emu_meter *m, bool on, bool new_style,
				   struct json_object *params, uint64_t now)
{
	struct json_object *res, *list;
	int y, mo;
	struct day t;

	if (!get_int(params, "year", 1970, 9999, &y) || !get_int(params, "month", 1, 12, &mo))
		return result_new(EMU_ERR_ARG);
	emeter_update(m, on, now);
	today(&t);
	list = json_object_new_array();
	for (int d = 1; d <= days_in_month(y, mo); d++) {
		double wh;

		if (day_energy(m, y, mo, d, &t, &wh))
			json_object_array_add(list, stat_entry(y, mo, d, new_style, wh));
	}
	res = json_object_new_object();
	json_object_object_add(res, "day_list", list);
	result_add_int(res, "err_code", 0);
	return res;
}

struct json_object *emeter_monthstat(struct emu_meter *m, bool on, bool new_style,
				     struct json_object *params, uint64_t now)
{
	struct json_object *res, *list;
	struct day t;
	int y;

	if (!get_int(params, "year", 1970, 9999, &y))
		return result_new(EMU_ERR_ARG);
	emeter_update(m, on, now);
	today(&t);
	list = json_object_new_array();
	for (int mo = 1; mo <= 12; mo++) {
		double sum = 0, wh;
		bool any = false;

		for (int d = 1; d <= days_in_month(y, mo); d++) {
			if (day_energy(m, y, mo, d, &t, &wh)) {
				sum += round(wh);
				any = true;
			}
		}
		if (any)
			json_object_array_add(list, stat_entry(y, mo, 0, new_style, sum));
	}
	res = json_object_new_object();
	json_object_object_add(res, "month_list", list);
	result_add_int(res, "err_code", 0);
	return res;
}

void emeter_set_relay(struct emu_outlet *o, bool on, uint64_t now)
{
	if (o->on == on)
		return;
	emeter_update(&o->meter, o->on, now);
	o->on = on;
	if (on)
		o->on_since = now;
}
