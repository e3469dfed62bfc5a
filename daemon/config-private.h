/* SPDX-License-Identifier: MIT */
/* What the loader (config.c) asks of config-plugs.c: the devices that
 * share a plug, and whether they agree on it.  Nothing else includes this. */
#ifndef KASAD_CONFIG_PRIVATE_H
#define KASAD_CONFIG_PRIVATE_H

#include "config.h"
#include "diag.h"

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
