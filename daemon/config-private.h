/* SPDX-License-Identifier: MIT */
/* What the loader (config.c) shares with config-check.c (the checks once
 * the whole file is read) and asks of config-plugs.c (the devices that
 * share a plug, and whether they agree on it).  Nothing else includes this. */
#ifndef KASAD_CONFIG_PRIVATE_H
#define KASAD_CONFIG_PRIVATE_H

#include "config.h"
#include "diag.h"
#include "schema.h"

/* The loader's state: config.c's, and the key lines config-check.c reads. */
enum section {
	SECTION_NONE, /* before the first header */
	SECTION_KASAD,
	SECTION_DEVICE,
	SECTION_MQTT,
	SECTION_BAD, /* already reported: its keys are not looked at */
};

struct parser {
	const char *text;
	size_t len, pos;
	struct diag diag; /* the file's name, and in diag.line the line being read */

	struct config *c;
	size_t devices_alloc;
	/* The devices by name: open addressing, index + 1 (0: empty), at
	 * most half full. */
	size_t *names;
	size_t names_size; /* a power of two */
	enum section section;
	size_t device; /* index of the current device section */
	unsigned kasad_line;
	/* Where each key was set, 0 when not: duplicates and cross-checks. */
	unsigned kasad_key_line[SCHEMA_KEYS_MAX];
	unsigned device_key_line[SCHEMA_KEYS_MAX];
	unsigned mqtt_key_line[SCHEMA_KEYS_MAX];
};

/* config-check.c: what the schema alone cannot say, once the file is read. */
void config_check_all(struct parser *p);

/* Number the plugs in the order of their first devices (config_device's
 * plug, config's n_plugs, n_klap_plugs and n_auto_plugs); every device has
 * a host or a MAC.  -ENOMEM. */
int config_plugs_group(struct config *c);

/* Report each device that names no plug (no host, nor a MAC), a MAC alone
 * with nowhere for discovery to go, or another device's outlet of the same
 * plug again, or its plug otherwise than the plug's first device does
 * (transport, credentials, or for a MAC its host and ports), or an address
 * another device names by another MAC or without one. */
void config_plugs_check(const struct config *c, struct diag *d);

#endif
