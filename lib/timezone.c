/* SPDX-License-Identifier: MIT */
/*
 * TP-Link's table of time zones: the index a plug's set_timezone takes and
 * its get_timezone answers, each with the rule the firmware keeps its
 * clock by (a POSIX TZ string, as get_timezone's tz_str says it), and a
 * reading of those rules, so that a program can tell which index is the
 * zone it runs in.
 */
#include <stdio.h>
#include <string.h>

#include "kasa-private.h"

struct zone {
	const char *label; /* as get_timezone's zone_str */
	const char *rule;  /* as its tz_str: POSIX TZ, M rules only */
	const char *hint;  /* a zone name (IANA) of the same rules */
	bool prefer;	   /* the first choice among indices of one rule */
};

/* Indices 0..KASA_TIMEZONE_INDEX_MAX, in order. */
static const struct zone zones[] = {
	{"(UTC-12:00) International Date Line West", "<GMT+12>12", "Etc/GMT+12", false},
	{"(UTC-11:00) Coordinated Universal Time-11", "<GMT+11>11", "Pacific/Samoa", false},
	{"(UTC-10:00) Hawaii", "HST10", "US/Hawaii", false},
	{"(UTC-09:00) Alaska", "AKST9AKDT,M3.2.0,M11.1.0", "US/Alaska", false},
	{"(UTC-08:00) Baja California", "PST8PDT,M3.2.0,M11.1.0", "Mexico/BajaNorte", false},
	{"(UTC-08:00) Pacific Standard Time (US & Canada)", "PST8", "Etc/GMT+8", false},
	{"(UTC-08:00) Pacific Daylight Time (US & Canada)", "PST8PDT,M3.2.0,M11.1.0", "PST8PDT",
	 true},
	{"(UTC-07:00) Arizona", "MST7", "US/Arizona", false},
	{"(UTC-07:00) Chihuahua, La Paz, Mazatlan", "MST7MDT,M4.1.0,M10.5.0", "America/Mazatlan",
	 false},
	{"(UTC-07:00) Mountain Standard Time (US & Canada)", "MST7", "MST", false},
	{"(UTC-07:00) Mountain Daylight Time (US & Canada)", "MST7MDT,M3.2.0,M11.1.0", "MST7MDT",
	 true},
	{"(UTC-06:00) Central America", "CST6", "Mexico/General", false},
	{"(UTC-06:00) Central Standard Time (US & Canada)", "CST6", "Etc/GMT+6", false},
	{"(UTC-06:00) Central Daylight Time (US & Canada)", "CST6CDT,M3.2.0,M11.1.0", "CST6CDT",
	 true},
	{"(UTC-06:00) Guadalajara, Mexico City, Monterrey", "CST6CDT,M4.1.0,M10.5.0",
	 "America/Monterrey", false},
	{"(UTC-06:00) Saskatchewan", "<GMT+6>6", "Canada/Saskatchewan", false},
	{"(UTC-05:00) Bogota, Lima, Quito, Rio Branco", "COT5", "America/Bogota", false},
	{"(UTC-05:00) Eastern Standard Time (US & Canada)", "EST5", "Etc/GMT+5", false},
	{"(UTC-05:00) Eastern Daylight Time (US & Canada)", "EST5EDT,M3.2.0,M11.1.0", "EST", true},
	{"(UTC-05:00) Indiana (East)", "EST5EDT,M3.2.0,M11.1.0", "America/Indiana/Indianapolis",
	 false},
	{"(UTC-04:30) Caracas", "VET4:30", "America/Caracas", false},
	{"(UTC-04:00) Asuncion", "PYT4PYST,M10.1.0/0,M3.4.0/0", "America/Asuncion", false},
	{"(UTC-04:00) Atlantic Standard Time (Canada)", "AST4", "Etc/GMT+4", false},
	{"(UTC-04:00) Atlantic Daylight Time (Canada)", "AST4ADT,M3.2.0,M11.1.0", "Canada/Atlantic",
	 true},
	{"(UTC-04:00) Cuiaba", "AMT4AMST,M10.3.0/0,M2.3.0/0", "America/Cuiaba", false},
	{"(UTC-04:00) Georgetown, La Paz, Manaus, San Juan", "BOT4", "Brazil/West", false},
	{"(UTC-04:00) Santiago", "AMT4AMST,M10.3.0/0,M2.3.0/0", "America/Santiago", false},
	{"(UTC-03:30) Newfoundland", "NST3:30NDT,M3.2.0,M11.1.0", "Canada/Newfoundland", false},
	{"(UTC-03:00) Brasilia", "BRT3BRST,M10.3.0/0,M2.3.0/0", "America/Sao_Paulo", false},
	{"(UTC-03:00) Buenos Aires", "<GMT+3>3", "America/Argentina/Buenos_Aires", false},
	{"(UTC-03:00) Cayenne, Fortaleza", "<GMT+3>3", "America/Cayenne", false},
	{"(UTC-03:00) Greenland", "PMST3PMDT,M3.2.0,M11.1.0", "America/Miquelon", false},
	{"(UTC-03:00) Montevideo", "UYT3UYST,M10.1.0,M3.2.0", "America/Montevideo", false},
	{"(UTC-03:00) Salvador", "<GMT+3>3", "Chile/Continental", false},
	{"(UTC-02:00) Coordinated Universal Time-02", "<GMT+2>2", "Etc/GMT+2", false},
	{"(UTC-01:00) Azores", "AZOT1AZOST,M3.5.0/0,M10.5.0/1", "Atlantic/Azores", false},
	{"(UTC-01:00) Cabo Verde Is.", "CVT1", "Atlantic/Cape_Verde", false},
	{"(UTC) Casablanca", "WET0WEST,M3.5.0,M10.5.0/3", "Africa/Casablanca", false},
	{"(UTC) Coordinated Universal Time", "GMT0", "UCT", true},
	{"(UTC) Dublin, Edinburgh, Lisbon, London", "GMT0BST,M3.5.0/1,M10.5.0", "GB", true},
	{"(UTC) Monrovia, Reykjavik", "GMT0", "Africa/Monrovia", false},
	{"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
	 "CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Amsterdam", true},
	{"(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague",
	 "CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Belgrade", false},
	{"(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", "CET-1CEST,M3.5.0,M10.5.0/3",
	 "Europe/Brussels", false},
	{"(UTC+01:00) Sarajevo, Skopje, Warsaw, Zagreb", "CET-1CEST,M3.5.0,M10.5.0/3",
	 "Europe/Sarajevo", false},
	{"(UTC+01:00) West Central Africa", "WAT-1", "Africa/Lagos", false},
	{"(UTC+01:00) Windhoek", "WAT-1WAST,M9.1.0,M4.1.0", "Africa/Windhoek", false},
	{"(UTC+02:00) Amman", "EET-2EEST,M3.5.0/3,M10.5.0/4", "Asia/Amman", false},
	{"(UTC+02:00) Athens, Bucharest", "EET-2EEST,M3.5.0/3,M10.5.0/4", "Europe/Athens", false},
	{"(UTC+02:00) Beirut", "EET-2EEST,M3.5.0/3,M10.5.0/4", "Asia/Beirut", false},
	{"(UTC+02:00) Cairo", "<GMT-2>-2", "Africa/Cairo", false},
	{"(UTC+02:00) Damascus", "EET-2EEST,M3.5.5/0,M10.5.5/0", "Asia/Damascus", false},
	{"(UTC+02:00) E. Europe", "EET-2EEST,M3.5.0/3,M10.5.0/4", "EET", true},
	{"(UTC+02:00) Harare, Pretoria", "<GMT-2>-2", "Africa/Harare", false},
	{"(UTC+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius",
	 "EET-2EEST,M3.5.0/3,M10.5.0/4", "Europe/Helsinki", false},
	{"(UTC+02:00) Istanbul", "EET-2EEST,M3.5.0/3,M10.5.0/4", "Asia/Istanbul", false},
	{"(UTC+02:00) Jerusalem", "EET-2EEST,M3.5.0/3,M10.5.0/4", "Asia/Jerusalem", false},
	{"(UTC+02:00) Kaliningrad (RTZ 1)", "EET-2", "Europe/Kaliningrad", false},
	{"(UTC+02:00) Tripoli", "<GMT-2>-2", "Africa/Tripoli", false},
	{"(UTC+03:00) Baghdad", "AST-3", "Asia/Baghdad", false},
	{"(UTC+03:00) Kuwait, Riyadh", "AST-3", "Asia/Kuwait", false},
	{"(UTC+03:00) Minsk", "MSK-3", "Europe/Minsk", false},
	{"(UTC+03:00) Moscow, St. Petersburg, Volgograd (RTZ 2)", "MSK-3", "Europe/Moscow", false},
	{"(UTC+03:00) Nairobi", "<GMT-3>-3", "Africa/Nairobi", false},
	{"(UTC+03:30) Tehran", "AZT-3:30AZST,M3.5.0/4,M10.5.0/5", "Asia/Tehran", false},
	{"(UTC+04:00) Abu Dhabi, Muscat", "GST-4", "Asia/Muscat", false},
	{"(UTC+04:00) Baku", "AZT-4AZST,M3.5.0/4,M10.5.0/5", "Asia/Baku", false},
	{"(UTC+04:00) Izhevsk, Samara (RTZ 3)", "SAMT-4", "Europe/Samara", false},
	{"(UTC+04:00) Port Louis", "<GMT-4>-4", "Indian/Mauritius", false},
	{"(UTC+04:00) Tbilisi", "GET-4", "Asia/Tbilisi", false},
	{"(UTC+04:00) Yerevan", "AMT-4", "Asia/Yerevan", false},
	{"(UTC+04:30) Kabul", "AFT-4:30", "Asia/Kabul", false},
	{"(UTC+05:00) Ashgabat, Tashkent", "TMT-5", "Asia/Ashgabat", false},
	{"(UTC+05:00) Ekaterinburg (RTZ 4)", "YEKT-5", "Asia/Yekaterinburg", false},
	{"(UTC+05:00) Islamabad, Karachi", "PKT-5", "Asia/Karachi", false},
	{"(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "IST-5:30", "Asia/Kolkata", false},
	{"(UTC+05:30) Sri Jayawardenepura", "IST-5:30", "Asia/Colombo", false},
	{"(UTC+05:45) Kathmandu", "NPT-5:45", "Asia/Kathmandu", false},
	{"(UTC+06:00) Astana", "<GMT-6>-6", "Asia/Almaty", false},
	{"(UTC+06:00) Dhaka", "BDT-6", "Asia/Dhaka", false},
	{"(UTC+06:00) Novosibirsk (RTZ 5)", "NOVT-6", "Asia/Novosibirsk", false},
	{"(UTC+06:30) Yangon (Rangoon)", "MMT-6:30", "Asia/Rangoon", false},
	{"(UTC+07:00) Bangkok, Hanoi, Jakarta", "ICT-7", "Asia/Bangkok", false},
	{"(UTC+07:00) Krasnoyarsk (RTZ 6)", "KRAT-7", "Asia/Krasnoyarsk", false},
	{"(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi", "CST-8", "Asia/Chongqing", false},
	{"(UTC+08:00) Irkutsk (RTZ 7)", "IRKT-8", "Asia/Irkutsk", false},
	{"(UTC+08:00) Kuala Lumpur, Singapore", "MYT-8", "Asia/Singapore", false},
	{"(UTC+08:00) Perth", "<GMT-8>-8", "Australia/Perth", false},
	{"(UTC+08:00) Taipei", "CST-8", "Asia/Taipei", false},
	{"(UTC+08:00) Ulaanbaatar", "<GMT-8>-8", "Asia/Ulaanbaatar", false},
	{"(UTC+09:00) Osaka, Sapporo, Tokyo", "JST-9", "Asia/Tokyo", false},
	{"(UTC+09:00) Seoul", "KST-9", "Asia/Seoul", false},
	{"(UTC+09:00) Yakutsk (RTZ 8)", "YAKT-9", "Asia/Yakutsk", false},
	{"(UTC+09:30) Adelaide", "ACST-9:30ACDT,M10.1.0,M4.1.0/3", "Australia/Adelaide", false},
	{"(UTC+09:30) Darwin", "ACST-9:30", "Australia/Darwin", false},
	{"(UTC+10:00) Brisbane", "<GMT-10>-10", "Australia/Brisbane", false},
	{"(UTC+10:00) Canberra, Melbourne, Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3",
	 "Australia/Canberra", true},
	{"(UTC+10:00) Guam, Port Moresby", "ChST-10", "Pacific/Guam", false},
	{"(UTC+10:00) Hobart", "AEST-10AEDT,M10.1.0,M4.1.0/3", "Australia/Hobart", false},
	{"(UTC+10:00) Magadan", "MAGT-10", "Antarctica/DumontDUrville", false},
	{"(UTC+10:00) Vladivostok, Magadan (RTZ 9)", "VLAT-10", "Asia/Magadan", false},
	{"(UTC+11:00) Chokurdakh (RTZ 10)", "<GMT-11>-11", "Asia/Srednekolymsk", false},
	{"(UTC+11:00) Solomon Is., New Caledonia", "SBT-11", "Etc/GMT-11", false},
	{"(UTC+12:00) Anadyr, Petropavlovsk-Kamchatsky (RTZ 11)", "ANAT-12", "Asia/Anadyr", false},
	{"(UTC+12:00) Auckland, Wellington", "NZST-12NZDT,M9.5.0,M4.1.0/3", "Pacific/Auckland",
	 true},
	{"(UTC+12:00) Coordinated Universal Time+12", "<GMT-12>-12", "Etc/GMT-12", false},
	{"(UTC+12:00) Fiji", "NZST-12NZDT,M9.5.0,M4.1.0/3", "Pacific/Fiji", false},
	{"(UTC+13:00) Nuku'alofa", "TKT-13", "Etc/GMT-13", false},
	{"(UTC+13:00) Samoa", "WSST-13WSDT,M9.5.0/3,M4.1.0/4", "Pacific/Apia", false},
	{"(UTC+14:00) Kiritimati Island", "LINT-14", "Etc/GMT-14", false},
};

_Static_assert(ARRAY_SIZE(zones) == KASA_TIMEZONE_INDEX_MAX + 1, "one zone an index");

KASA_EXPORT const char *kasa_timezone_label(int index)
{
	return index >= 0 && index <= KASA_TIMEZONE_INDEX_MAX ? zones[index].label : NULL;
}

KASA_EXPORT const char *kasa_timezone_rule(int index)
{
	return index >= 0 && index <= KASA_TIMEZONE_INDEX_MAX ? zones[index].rule : NULL;
}

/* --- POSIX TZ rules ------------------------------------------------------- */

/* A transition: Mm.w.d (month, week 1..5 with 5 the last, weekday 0
 * Sunday) at a local time in seconds. */
struct when {
	int month, week, wday;
	int time_s;
};

struct rule {
	int std_west_s; /* POSIX: seconds to add to local standard time for UTC */
	bool dst;
	int dst_west_s;
	struct when start, end; /* into DST (local standard), out (local daylight) */
};

/* A zone name: letters, or anything but '>' between < and >. */
static const char *skip_name(const char *p)
{
	const char *s = p;

	if (*p == '<') {
		p = strchr(p, '>');
		return p && p > s + 1 ? p + 1 : NULL;
	}
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] in seconds; hours up to max. */
static const char *read_hms(const char *p, int max_h, int *ret)
{
	int sign = 1, part[3] = {0}, n = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	while (n < 3) {
		int v = 0, digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 3) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits || (n > 0 && v > 59) || (n == 0 && v > max_h))
			return NULL;
		part[n++] = v;
		if (*p != ':')
			break;
		p++;
	}
	*ret = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

/* ",Mm.w.d[/time]" */
static const char *read_when(const char *p, struct when *ret)
{
	int v[3], time_s = 7200;

	if (*p++ != ',' || *p++ != 'M')
		return NULL;
	for (int i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return NULL;
		v[i] = *p++ - '0';
		if (i == 0 && *p >= '0' && *p <= '9')
			v[i] = v[i] * 10 + (*p++ - '0');
		if (i < 2 && *p++ != '.')
			return NULL;
	}
	if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6)
		return NULL;
	if (*p == '/' && !(p = read_hms(p + 1, 167, &time_s)))
		return NULL;
	*ret = (struct when){v[0], v[1], v[2], time_s};
	return p;
}

static int parse_rule(const char *s, struct rule *ret)
{
	struct rule r = {0};
	const char *p = skip_name(s);

	if (!p || !(p = read_hms(p, 24, &r.std_west_s)))
		return -EINVAL;
	if (*p) {
		r.dst = true;
		r.dst_west_s = r.std_west_s - 3600;
		if (!(p = skip_name(p)))
			return -EINVAL;
		if (*p != ',' && !(p = read_hms(p, 24, &r.dst_west_s)))
			return -EINVAL;
		if (!(p = read_when(p, &r.start)) || !(p = read_when(p, &r.end)) || *p)
			return -EINVAL;
	}
	*ret = r;
	return 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_of(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* The year of a day since 1970. */
static int64_t year_of(int64_t days)
{
	int64_t y = floor_div(days * 400, 146097) + 1970;

	while (days_of(y, 1, 1) > days)
		y--;
	while (days_of(y + 1, 1, 1) <= days)
		y++;
	return y;
}

/* A transition of year y, in UTC seconds, west_s the offset then in force. */
static int64_t utc_of(const struct when *w, int64_t y, int west_s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int len = mdays[w->month - 1] + (w->month == 2 && y % 4 == 0 && (y % 100 || y % 400 == 0));
	int64_t first = days_of(y, w->month, 1);
	int wday_first = (int)((first % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	int day = 1 + (w->wday - wday_first + 7) % 7 + (w->week - 1) * 7;

	if (day > len)
		day -= 7;
	return (first + day - 1) * 86400 + w->time_s + west_s;
}

/* The offset east of UTC, in seconds, of rule r at utc_s. */
static int offset_at(const struct rule *r, int64_t utc_s)
{
	int64_t y, start, end;
	bool in;

	if (!r->dst)
		return -r->std_west_s;
	y = year_of(floor_div(utc_s - r->std_west_s, 86400));
	start = utc_of(&r->start, y, r->std_west_s);
	end = utc_of(&r->end, y, r->dst_west_s);
	/* Southern zones are in DST across the new year. */
	in = start < end ? utc_s >= start && utc_s < end : utc_s >= start || utc_s < end;
	return -(in ? r->dst_west_s : r->std_west_s);
}

KASA_EXPORT int kasa_timezone_offset(int index, int64_t utc_s, int *ret_offset_s)
{
	struct rule r;

	if (index < 0 || index > KASA_TIMEZONE_INDEX_MAX || parse_rule(zones[index].rule, &r) < 0)
		return -EINVAL;
	*ret_offset_s = offset_at(&r, utc_s);
	return 0;
}

/* --- Which index is a zone ------------------------------------------------------ */

#define DAYS_MAX 366

KASA_EXPORT int kasa_timezone_find(const char *name, int year, kasa_timezone_offset_cb_t offset,
				   void *userdata, int *ret_index)
{
	int want[DAYS_MAX], first = -1, preferred = -1;
	int64_t day0, n;

	if (!offset || year < 1970 || year > 9999)
		return -EINVAL;
	day0 = days_of(year, 1, 1);
	n = days_of(year + 1, 1, 1) - day0;
	/* Noon UTC of each day: a zone's offsets over the whole year. */
	for (int64_t d = 0; d < n; d++) {
		int r = offset((day0 + d) * 86400 + 43200, &want[d], userdata);

		if (r < 0)
			return r;
	}
	for (int i = 0; i <= KASA_TIMEZONE_INDEX_MAX; i++) {
		struct rule r;
		int64_t d;

		if (parse_rule(zones[i].rule, &r) < 0)
			return -EINVAL;
		for (d = 0; d < n; d++)
			if (offset_at(&r, (day0 + d) * 86400 + 43200) != want[d])
				break;
		if (d < n)
			continue;
		/* The zone's own name says which of the indices of one rule. */
		if (name && streq(name, zones[i].hint)) {
			*ret_index = i;
			return 0;
		}
		if (first < 0)
			first = i;
		if (preferred < 0 && zones[i].prefer)
			preferred = i;
	}
	if (first < 0)
		return -ENOENT;
	*ret_index = preferred >= 0 ? preferred : first;
	return 0;
}
