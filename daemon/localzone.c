/* SPDX-License-Identifier: MIT */
/* kasad's own time zone, as TP-Link's table numbers it (localzone.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "kasa.h"
#include "localzone.h"
#include "log.h"

/* What follows ".../zoneinfo/" in a path, or NULL. */
static const char *under_zoneinfo(const char *path)
{
	const char *p = strstr(path, "zoneinfo/");

	return p ? p + strlen("zoneinfo/") : NULL;
}

void localzone_name(char *name, size_t size)
{
	const char *tz = getenv("TZ"), *z;
	char link[512];
	ssize_t n;
	FILE *f;

	name[0] = '\0';
	if (tz && *tz) {
		if (*tz == ':')
			tz++;
		z = *tz == '/' ? under_zoneinfo(tz) : tz;
		snprintf(name, size, "%s", z ? z : tz);
		return;
	}
	n = readlink("/etc/localtime", link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		z = under_zoneinfo(link);
		if (z) {
			snprintf(name, size, "%s", z);
			return;
		}
	}
	f = fopen("/etc/timezone", "re");
	if (f) {
		if (fgets(name, (int)size, f))
			name[strcspn(name, " \t\r\n")] = '\0';
		else
			name[0] = '\0';
		fclose(f);
	}
}

/* kasad's offset east of UTC at utc_s. */
static int own_offset(int64_t utc_s, int *ret_offset_s, void *userdata)
{
	time_t t = (time_t)utc_s;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return -EOVERFLOW;
	*ret_offset_s = (int)tm.tm_gmtoff;
	return 0;
}

int localzone_index(int *ret_index, char *name, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	/* localtime_r() reads the zone once; it may have changed since. */
	tzset();
	localzone_name(name, size);
	if (!localtime_r(&now, &tm))
		return -EOVERFLOW;
	return kasa_timezone_find(*name ? name : NULL, tm.tm_year + 1900, own_offset, NULL,
				  ret_index);
}

int localzone_setting(int configured)
{
	char name[128];
	int index, r;

	if (configured != CONFIG_ZONE_LOCAL)
		return configured >= 0 ? configured : -1;
	r = localzone_index(&index, name, sizeof(name));
	if (r < 0) {
		log_warning("time_zone: TP-Link's table has no zone that keeps the time of this "
			    "host's (%s): a plug's clock is set alone, its zone kept; name one with "
			    "time_zone = INDEX",
			    *name ? name : "unnamed");
		return -1;
	}
	log_info("time_zone: this host's zone%s%s is the plugs' %d, %s", *name ? " " : "", name,
		 index, kasa_timezone_label(index));
	return index;
}
