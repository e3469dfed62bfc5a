/* SPDX-License-Identifier: MIT */
/* The insides of a plug, shared by plug.c (the queue, waiters and jobs),
 * plug-transport.c (what it speaks), plug-outcome.c (what its jobs come
 * to), plug-address.c (where it is), plugshare.c (what all plugs share)
 * and poller.c (the polling schedule), and by the unit tests that build
 * plugs of their own; the device service sees plug.h only. */
#ifndef KASAD_PLUG_PRIVATE_H
#define KASAD_PLUG_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/list.h"
#include "loop.h"
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

	/* One loop source a plug at most, made only when needed: ten
	 * thousand plugs with five each spent 15 MiB on them, and sd-event
	 * reordered 30,000 timers at every change.  The I/O source is the
	 * lookup's and KLAP's; a kept XOR socket is in the plugs' watch set.
	 * The plug's timer, in the plugs' timer set, fires at the nearest of
	 * the request's deadline (or the open's check) and the read-back; the
	 * next poll is in the poller's; the next job's start in the kicks. */
	struct loop_source *io;	 /* the lookup's fd, KLAP's sockets */
	struct loop_watch watch; /* a kept XOR socket, in plugshare.c's watch set */
	struct loop_timer timer; /* in plugshare.c's timer set */
	struct loop_timer poll;	 /* the next poll, in poller.c's timer set */
	uint64_t readback_at;  /* reads the plug back after a change; 0 none */
	uint64_t readback_since; /* the first change not read back yet; 0 none */
	bool kicked;		 /* pump on the next iteration */
	bool joined;		 /* counted in the plugs' shared sets and the poller's */
	struct list_node kick_node;

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

/* plug.c: start the plug's next job, if it is idle and has one. */
void plug_pump(struct plug *p);
/* The current job ends with error (0: done): its waiters answered, the next job started. */
void plug_job_done(struct plug *p, int error);
/* The current job's next request goes out; none left, or past its deadline: the job ends. */
void plug_job_step(struct plug *p);
/* Watch the transport's socket for what it waits for, and arm the plug's timer. */
void plug_update_io(struct plug *p);
/* Watch nothing: a kept socket leaves the watch set before anything can close it. */
void plug_io_off(struct plug *p);

/* plugshare.c: what all plugs of the loop share.  A new plug joins (the
 * shared sources made with the first: -ENOMEM, or -EXDEV for a second
 * loop), a plug freed leaves.  A kicked plug is pumped on the next
 * iteration, once however often kicked; unkick takes a kick back.  The
 * watch set of the plugs' kept sockets. */
int plugshare_join(struct loop *l);
void plugshare_leave(struct plug *p);
void plug_kick(struct plug *p);
void plug_unkick(struct plug *p);
struct loop_watchset *plugshare_watchset(void);
/* The timer set of the plugs' own timers (deadline, read-back): joined
 * plugs have room in it. */
struct loop_timerset *plugshare_timers(void);
/* The poller's bound: whether p holds a place for a background round trip
 * now (if not, it waits in line and is kicked when one comes free); p
 * leaves the line; p gives its place back.  Round trips in flight,
 * clients' too, for plug_totals(). */
bool plug_gate_take(struct plug *p);
void plug_gate_leave(struct plug *p);
void plug_gate_give(struct plug *p);
void plug_gate_round_trips(int delta);

/* poller.c: a new plug joins (its jitter seeded, room for it in the
 * timer set; -ENOMEM, or -EXDEV for a second loop), a plug freed leaves;
 * schedule the next poll after one that ended (ok or not); a poll is due
 * (called by the poller's timer); the next poll now. */
int poller_join(struct plug *p);
void poller_leave(struct plug *p);
void poller_schedule(struct plug *p, bool ok);
void poller_due(struct plug *p);
void plug_poll_soon(struct plug *p);

/* plug-transport.c: talk to the plug afresh (a new transport, to where it
 * is now): at once when idle, else once the job in flight is done. */
void plug_rewire(struct plug *p);
/* Start over with the transport the settings start with (none while not found yet); -ENOMEM. */
int plug_start_wire(struct plug *p);
/* Who the plug refused (the account, never its password), written in buf for a message. */
void plug_refused_whom(const struct plug *p, char *buf, size_t len);
/* What the transport said of the request in flight (transport_process()'s r), acted on. */
void plug_transport_result(struct plug *p, int r);

/* plug-outcome.c: a failed request counted by its class (d: the device's error, or NULL). */
void plug_count_failure(struct plug *p, int error, const struct kasa_device_error *d);
/* What job j's end with error says of the plug: online or not, its last error, the poll's time. */
void plug_job_outcome(struct plug *p, const struct plug_job *j, int error);

/* plug-address.c: host (NULL: named by its MAC, not found yet) and port,
 * as plug_new() is given them.  -ENOMEM. */
int plug_address_init(struct plug *p, const char *host, uint16_t port);

#endif
