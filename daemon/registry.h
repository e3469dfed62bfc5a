/* SPDX-License-Identifier: MIT */
/*
 * The inventory: named devices, each a view of one plug (the whole plug or
 * one outlet of a strip).  Devices naming the same MAC, or else the same
 * host and ports, share one plug, its connection and its cache.  A plug
 * named by its MAC keeps where discovery found it across a reload.
 */
#ifndef KASAD_REGISTRY_H
#define KASAD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct credentials;
struct loop;
struct plug;
struct registry;

struct device {
	char *name;
	struct plug *plug; /* shared with other devices of the same plug */
	int outlet;	   /* -1: the whole plug */
	size_t index;	   /* in configuration order */
	struct device *next_on_plug;  /* the next device on the same plug */
	struct device *first_on_plug; /* the plug's first device: itself, or one before */
	struct registry *registry;
};

int registry_new(struct loop *l, struct registry **ret_registry);
/* Frees every plug (their waiters get -ESHUTDOWN).  Accepts NULL. */
void registry_free(struct registry *r);

/*
 * Make the inventory what c says, with the accounts of cr (NULL: none) for
 * KLAP.  Plugs that stay keep their connection, cache and queue (a new
 * transport or account starts them talking afresh); new ones start
 * polling; plugs no device names any more are freed.  Logs what changed.
 * On failure (-ENOMEM) nothing changed.
 */
int registry_apply(struct registry *r, const struct config *c, const struct credentials *cr);

/* Grows with each registry_apply() that went through: devices (their
 * pointers and indexes) are those of one generation. */
uint64_t registry_generation(const struct registry *r);

/* Borrowed; valid until the next registry_apply() or registry_free(). */
struct device *registry_find(struct registry *r, const char *name);
size_t registry_count(const struct registry *r);
struct device *registry_device(struct registry *r, size_t i);

/* The plugs, each once (devices on one host and port share one), in the
 * order of their first device.  Borrowed, like devices. */
size_t registry_plug_count(const struct registry *r);
struct plug *registry_plug(struct registry *r, size_t i);

/* Devices whose plug is online. */
size_t registry_online(const struct registry *r);
/* Stop every poller (shutting down). */
void registry_poll_stop(struct registry *r);

/* Watch every device's cached state, of devices added later too: cb is
 * called for each device on a plug whose cache was written (see
 * plug_set_observer()), in configuration order; NULL stops. */
void registry_set_observer(struct registry *r, void (*cb)(struct device *d, void *userdata),
			   void *userdata);

#endif
