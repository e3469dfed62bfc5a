/* SPDX-License-Identifier: MIT */
/* The insides of a plug, shared by plug.c (the queue, waiters and jobs)
 * and poller.c (the polling schedule); nothing else includes this. */
#ifndef KASAD_PLUG_PRIVATE_H
#define KASAD_PLUG_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/list.h"
#include "plug.h"
#include "plugjob.h"

struct loop_source;
struct plug_job;
struct transport;

struct plug_waiter {
	struct list_node node; /* in its job's waiters */
	struct plug_job *job;
	uint64_t deadline;
	plug_result_cb_t cb;
	void *userdata;
};

struct plug_job {
	struct list_node node; /* in its plug's jobs */
	struct plugjob run; /* what it asks, how far it got, its result */
	bool background;    /* the poller's: runs with nobody waiting */
	bool counted;	    /* a client's: takes a place in the queue */
	uint64_t started;   /* when it started; 0 before */
	uint64_t deadline;  /* of the whole job, once started */
	struct list_head waiters; /* the newest first */
};

struct plug {
	struct loop *loop;
	/* Where it is (plug-address.c): NULL while a plug named by its MAC
	 * has not been found; the XOR and KLAP ports in use.  And where the
	 * configuration says it is, to tell a reload that moves it from one
	 * that keeps where discovery found it. */
	char *host;
	uint16_t port;
	uint16_t klap_port;
	char *home;
	uint16_t home_port;
	bool prefer_klap; /* discovery heard it answer the KLAP probe */
	bool moved;	  /* poll as soon as the new transport is there */
	char *label;
	struct plug_settings set; /* set.account is the plug's own copy (owned) */

	struct transport *transport;
	bool opening;	/* the transport is getting ready (a name lookup) */
	int open_error; /* the last open's, until the next one */

	/* What it speaks: the transport in use, whether a reply came through
	 * it (auto then keeps it), and over KLAP which JSON and version. */
	bool klap;
	bool found;
	bool switched;		 /* the current job tried the other transport */
	bool smart;		 /* KLAP carries SMART JSON */
	unsigned klap_versions;	 /* to try: KASA_KLAP_ANY until one matched */
	int klap_version;	 /* the one that matched, 0 before */
	uint64_t auth_hold_until; /* the credentials were refused: no try before */
	uint64_t auth_hold_usec;  /* the last hold; doubles while refused */
	bool rewire;		  /* a reload changed these: start over when idle */

	struct loop_source *io;
	struct loop_source *timer; /* the nearest deadline, or the open's check */
	struct loop_source *poll_timer;
	struct loop_source *kick; /* starts the next job on the next iteration */
	struct loop_source *readback; /* reads the plug back after a change */
	uint64_t readback_since;      /* the first change not read back yet; 0 none */

	struct list_head jobs; /* the queue; the first is current when running */
	struct plug_job *current;
	unsigned queued; /* clients' jobs waiting, current excluded */

	bool polling;
	/* The poller's bound (plug.c's gate): a place held for a background
	 * round trip, and the node while waiting for one. */
	bool slot;
	struct list_node gate_node;
	uint64_t rng;
	struct plug_state st;
	struct plug_stats stats;
	bool dirty; /* the current job wrote st */
	uint64_t version; /* plug_version() */
	plug_change_cb_t observer;
	void *observer_userdata;
};

/* poller.c: seed the jitter; schedule the next poll after one that ended
 * (ok or not); the poll timer's callback; the next poll now. */
void poller_init(struct plug *p);
void poller_schedule(struct plug *p, bool ok);
void poller_on_timer(struct loop_source *s, uint64_t now, void *userdata);
void plug_poll_soon(struct plug *p);

/* plug.c: talk to the plug afresh (a new transport, to where it is now):
 * at once when idle, else once the job in flight is done. */
void plug_rewire(struct plug *p);

/* plug-address.c: host (NULL: named by its MAC, not found yet) and port,
 * as plug_new() is given them.  -ENOMEM. */
int plug_address_init(struct plug *p, const char *host, uint16_t port);

#endif
