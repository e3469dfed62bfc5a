/* SPDX-License-Identifier: MIT */
/*
 * The [device] section of kasad.conf(5) for a plug discovery found, ready
 * to paste: what kasad's GET /discovered and kasactl's discover --config
 * both print.  Nothing a plug says goes into it as it said it: the name is
 * made of the alias's letters and digits, the MAC is read into one form,
 * the address is numeric.
 */
#ifndef COMMON_DEVSECTION_H
#define COMMON_DEVSECTION_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/mac.h"
#include "kasa.h"

/* kasad's device names are shorter than this (CONFIG_NAME_MAX). */
#define DEVSECTION_NAME_MAX 64
/* Room enough for every section devsection_write() writes. */
#define DEVSECTION_MAX 256

struct devsection {
	const char *alias; /* as the plug says it, any bytes; NULL or "": none */
	const char *model; /* likewise */
	const char *mac;   /* in any form mac_parse() reads; NULL or "": not known */
	const char *host;  /* the numeric address it answered from */
	uint16_t port;	   /* XOR: the port it answered from; KLAP: its HTTP port */
	bool klap;	   /* it answered the probe of KLAP firmware */
};

/* Lower-case letters and digits of text, runs of anything else one '-',
 * at most max bytes, none at either end.  Returns the length. */
static inline size_t devsection_slug(const char *text, char *buf, size_t max)
{
	size_t n = 0;

	for (const char *p = text ? text : ""; *p && n < max; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			buf[n++] = c;
		else if (n && buf[n - 1] != '-')
			buf[n++] = '-';
	}
	while (n && buf[n - 1] == '-')
		n--;
	buf[n] = '\0';
	return n;
}

/* The section's name: the alias as a slug; without one (the KLAP probe's
 * answers name none), the model's with the MAC's last three bytes
 * ("p110-eu-dd-ee-0f"), or "plug" with them. */
static inline void devsection_name(const struct devsection *s, char name[DEVSECTION_NAME_MAX])
{
	char mac[MAC_TEXT_SIZE];
	size_t n = devsection_slug(s->alias, name, DEVSECTION_NAME_MAX - 1);

	if (n)
		return;
	/* Room for "-dd-ee-ff" after it. */
	n = devsection_slug(s->model, name, DEVSECTION_NAME_MAX - 10);
	if (!n)
		n = (size_t)snprintf(name, DEVSECTION_NAME_MAX, "plug");
	if (s->mac && mac_parse(s->mac, mac)) {
		name[n] = '-';
		devsection_slug(mac + 9, name + n + 1, 8);
	}
}

/*
 * The section into buf: its header, then one "key = value" line each for
 * mac (when known), host, and port (XOR, unless kasad's default) or
 * transport = klap and klap_port (unless its default).  The length
 * written, or -ENOSPC when size is too small (DEVSECTION_MAX always does).
 */
static inline int devsection_write(const struct devsection *s, char *buf, size_t size)
{
	char name[DEVSECTION_NAME_MAX], mac[MAC_TEXT_SIZE], line[64] = "";
	bool has_mac = s->mac && mac_parse(s->mac, mac);
	int n;

	devsection_name(s, name);
	if (s->klap && s->port != KASA_KLAP_PORT)
		snprintf(line, sizeof(line), "klap_port = %u\n", s->port);
	else if (!s->klap && s->port != KASA_PORT)
		snprintf(line, sizeof(line), "port = %u\n", s->port);
	n = snprintf(buf, size, "[device \"%s\"]\n%s%s%shost = %s\n%s%s", name,
		     has_mac ? "mac = " : "", has_mac ? mac : "", has_mac ? "\n" : "", s->host,
		     s->klap ? "transport = klap\n" : "", line);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

#endif
