/* SPDX-License-Identifier: MIT */
/*
 * The device service: what every front door (the REST API, the event
 * streams, MQTT next) does to a device of the inventory and reads of it,
 * knowing nothing of HTTP.  It decides when the cache answers and when the
 * plug is asked, maps a device's verbs onto its plug's jobs (an outlet of a
 * strip, or the whole plug), holds the per-plug switch rate, and tells its
 * watchers each device whose state changed.
 *
 * Asynchronous: an action that needs the plug calls back exactly once,
 * never from inside the call that started it.
 */
#ifndef KASAD_SERVICE_H
#define KASAD_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "errcodes.h"
#include "kasa.h"
#include "plugstate.h"
#include "registry.h"

struct loop;
struct service;
struct service_call;
struct service_watch;

struct service_settings {
	uint64_t request_timeout_usec;	    /* how long an action waits on a plug */
	uint64_t cache_max_age_usec;	    /* reads older than this go to the plug */
	unsigned switch_rate, switch_burst; /* a minute, per plug; 0: no limit */
	int time_zone; /* the zone a clock set gives unless told: an index, -1 the plug's */
};

enum service_verb {
	SERVICE_READ,	     /* the device's state: the cache when fresh enough */
	SERVICE_READ_RELAY,  /* likewise, but the relay is never a guess */
	SERVICE_READ_EMETER, /* the meter: the cache when fresh enough */
	SERVICE_SWITCH,	     /* the relay on or off (.on) */
	SERVICE_TOGGLE,
	SERVICE_LED,	 /* the plug's LED on or off (.on) */
	SERVICE_BRIGHTNESS, /* a dimmer's level (.brightness), the relay left as it is */
	SERVICE_ALIAS,	 /* the device's name on the plug (.alias) */
	SERVICE_REBOOT,	 /* the whole plug */
	SERVICE_DAILY,	 /* energy per day of .month in .year */
	SERVICE_MONTHLY, /* energy per month of .year */
	/* What the plug keeps and runs itself; each answers with the table
	 * as the plug then holds it (the result's rules). */
	SERVICE_COUNTDOWN,	  /* its countdown */
	SERVICE_COUNTDOWN_SET,	  /* .on in .seconds, replacing any */
	SERVICE_COUNTDOWN_CLEAR,
	SERVICE_SCHEDULE,	  /* its schedule */
	SERVICE_SCHEDULE_ADD,	  /* .rule */
	SERVICE_SCHEDULE_DELETE,  /* .rule_id, or all when "" */
	/* The plug's clock, into its cached state (service_clock_offset()). */
	SERVICE_TIME,
	SERVICE_TIME_SET, /* to kasad's clock, zone .zone (-1: time_zone's) */
};

struct service_action {
	enum service_verb verb;
	bool fresh; /* reads: ask the plug even when the cache is fresh */
	bool on;
	int brightness;
	int year, month;
	char alias[64];
	int64_t seconds;
	struct kasa_rule rule;
	char rule_id[KASA_ID_MAX];
	int zone;
};

/* What an action came to (borrowed for the callback only). */
struct service_result {
	int error;			 /* 0, or -errno, or an API_E* code */
	struct kasa_device_error device; /* what the plug said when it refused */
	/* DAILY and MONTHLY: one list per outlet asked (a strip's whole: all). */
	unsigned n_stats;
	const struct kasa_stats *stats;
	const struct kasa_rules *rules; /* the COUNTDOWN and SCHEDULE verbs */
};

/* d is a copy that lives for the callback: its device may have gone in a
 * reload meanwhile, while its plug (which answers -ESHUTDOWN when it goes)
 * lived on. */
typedef void (*service_done_t)(const struct device *d, const struct service_result *res,
			       void *userdata);
/* The cached state of d changed (it was read, switched, or went on- or
 * offline); d is the inventory's own. */
typedef void (*service_change_t)(const struct device *d, void *userdata);

int service_new(struct loop *l, struct registry *reg, const struct service_settings *s,
		struct service **ret_service);
/* Watchers are the caller's to end first; pending calls go with their
 * plugs (registry_free()).  Accepts NULL. */
void service_free(struct service *svc);
void service_configure(struct service *svc, const struct service_settings *s);
const struct service_settings *service_settings(const struct service *svc);

/* The inventory the service acts on (borrowed; see registry.h). */
struct registry *service_registry(struct service *svc);
/* The cached state of d's plug, and how old it is at now. */
const struct plug_state *service_state(const struct device *d);

/* kasad's wall clock in its zone: microseconds since the epoch, were the
 * zone UTC (as a plug's clock reads). */
int64_t service_wall_usec(void);
/* How far d's plug's clock is ahead of kasad's, as last read, in seconds
 * at now; false when it was never read. */
bool service_clock_offset(const struct device *d, uint64_t now, int64_t *ret_s);

/* Whether service_act() would answer a to d from the cache, at once: for
 * a caller that need not set anything up then. */
bool service_cached(struct service *svc, const struct device *d, const struct service_action *a);
/* Do a to d.  SERVICE_CACHED: the cache answers, at once (cb is not
 * called); 0: cb will be called once with the outcome, unless the call is
 * cancelled (*ret_call, may be NULL, is valid until then); < 0: refused at
 * once, with API_ENOTFOUND (the plug is named by its MAC and discovery has
 * not found it), API_ENOMETER (a read of the meter of a plug that has none),
 * API_ENODIMMER (a level for a device known to have no dimmer; one not yet
 * read is refused by its plug, with -ENOTSUP), API_ESWITCH (the plug's
 * switch rate is spent: *ret_wait_usec says for
 * how long), -ENOBUFS (its queue is full), -ENOMEM. */
#define SERVICE_CACHED 1
int service_act(struct service *svc, const struct device *d, const struct service_action *a,
		service_done_t cb, void *userdata, struct service_call **ret_call,
		uint64_t *ret_wait_usec);
/* Stop waiting: cb will not be called.  A job not yet begun is dropped;
 * one the plug is doing goes on. */
void service_call_cancel(struct service_call *c);

/* Call cb for every device whose cached state changes, until unwatched;
 * any number of watchers, each called in the order they came. */
int service_watch(struct service *svc, service_change_t cb, void *userdata,
		  struct service_watch **ret_watch);
/* Accepts NULL. */
void service_unwatch(struct service_watch *w);

#endif
