/* SPDX-License-Identifier: MIT */
/*
 * The plugs that answered discovery and are not in the inventory: a table
 * of bounded size (the least lately seen gives way), each entry what its
 * answer said and when, and GET /discovered's answer of it, each with the
 * [device] section that would configure it (common/devsection.h).  Pure:
 * no I/O; discovery.c fills it and says which entries the inventory has.
 */
#ifndef KASAD_DISCOVERED_H
#define KASAD_DISCOVERED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/mac.h"
#include "kasa.h"

struct discovered;
struct json_object;

/* Room for a building's worth of plugs nobody told kasad of. */
#define DISCOVERED_MAX 256

struct discovered_entry {
	/* Its answer: "AA:BB:.." or "" when it did not say (or could not be
	 * read), which probe, and where. */
	char mac[MAC_TEXT_SIZE];
	enum kasa_transport transport;
	char host[64];
	uint16_t port; /* XOR: the port it answered from; KLAP: its HTTP port */
	bool info_ok;
	char model[32];
	char alias[64]; /* "" from the KLAP probe, which says none */
	char device_id[KASA_ID_MAX];
	uint64_t seen_usec; /* the loop's clock */
	int64_t seen_unix_s;
};

int discovered_new(struct discovered **ret);
void discovered_free(struct discovered *t);

/* An answer: a new entry (1), or the one of the same MAC and probe (or,
 * without a MAC, of the same address, port and probe) updated (0).  When
 * full, the entry seen least lately gives way.  -ENOMEM. */
int discovered_note(struct discovered *t, const struct kasa_found *f, uint64_t now_usec,
		    int64_t now_unix_s);
/* Forget the entries not seen since before. */
void discovered_expire(struct discovered *t, uint64_t before_usec);
size_t discovered_count(const struct discovered *t);
/* Borrowed; NULL past the end.  Order is not kept across notes. */
const struct discovered_entry *discovered_at(const struct discovered *t, size_t i);

/* Whether the inventory has the plug of an entry (by MAC or address). */
typedef bool (*discovered_known_cb_t)(const struct discovered_entry *e, void *userdata);

/* {"discovered":[...]} (owned): each entry known() says the inventory
 * lacks, the most lately seen first, with its address, port, transport,
 * model, alias, mac, device_id, last_seen (Unix time), age_ms at now and
 * config, its [device] section.  NULL on ENOMEM. */
struct json_object *discovered_render(const struct discovered *t, discovered_known_cb_t known,
				      void *userdata, uint64_t now_usec);
/* How many entries known() says the inventory lacks. */
size_t discovered_unknown(const struct discovered *t, discovered_known_cb_t known, void *userdata);

#endif
