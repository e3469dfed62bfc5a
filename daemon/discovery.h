/* SPDX-License-Identifier: MIT */
/*
 * Discovery on the loop: libkasa's discovery socket (both probes, the
 * sysinfo query and the KLAP firmware's) sent in rounds to the addresses
 * of the configuration (discover = ) and, with discover_broadcast = yes,
 * to the broadcast address of each interface kasad listens on.
 *
 * A round sends each probe DISCOVERY_SENDS times, a second apart (UDP
 * loses packets).  Rounds come every discover_interval, the first at
 * start; while a plug named by its MAC is missing (not found yet, or
 * offline after failed polls), sooner: the next one DISCOVERY_GAP after
 * the last, then twice that, up to the interval.  A plug named by its MAC
 * that goes offline asks for a round too, but never two rounds begin less
 * than DISCOVERY_GAP apart: plugs are small computers, and so are the
 * networks of them.  A reload brings a round too (other addresses, new
 * devices named by their MAC), within the same bound.
 *
 * An answer with the MAC of such a plug that is missing moves it there
 * (plug_move()); one the inventory lacks goes to the table of
 * GET /discovered (discovered.h).  The inventory has a plug that it names
 * by its MAC, or whose state holds that MAC, or that is at its address.
 */
#ifndef KASAD_DISCOVERY_H
#define KASAD_DISCOVERY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct discovery;
struct json_object;
struct loop;
struct service;

#define DISCOVERY_SENDS	      3
#define DISCOVERY_GAP_USEC    (10 * 1000000ULL)
#define DISCOVERY_TARGETS_MAX 32 /* CONFIG_LIST_MAX */
/* Broadcast addresses of interfaces, at most. */
#define DISCOVERY_BROADCAST_MAX 16

struct discovery_target {
	struct sockaddr_storage addr; /* IPv4 */
	uint16_t port;		      /* of the sysinfo query */
};

struct discovery_settings {
	struct discovery_target targets[DISCOVERY_TARGETS_MAX];
	size_t n_targets;
	/* The broadcast address (port 9999) of each interface that has the
	 * address listen (all of them for 0.0.0.0 or ::). */
	bool broadcast;
	struct sockaddr_storage listen;
	socklen_t listen_len;
	uint16_t klap_port; /* the KLAP probe's, at each address; 0: none */
	uint64_t interval_usec;
};

/* Off (nothing sent, no socket) while the settings name nowhere to go. */
int discovery_new(struct loop *l, struct service *svc, const struct discovery_settings *s,
		  struct discovery **ret);
/* Accepts NULL. */
void discovery_free(struct discovery *d);
/* A reload: the settings are copied; a new inventory is noticed by itself. */
int discovery_configure(struct discovery *d, const struct discovery_settings *s);

/* GET /discovered's answer (owned; discovered.h): the plugs that answered
 * and that the inventory lacks.  NULL on ENOMEM. */
struct json_object *discovery_render(struct discovery *d, uint64_t now_usec);

#endif
