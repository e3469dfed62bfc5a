/* SPDX-License-Identifier: MIT */
/*
 * One physical plug: its address, one kept connection, one request in
 * flight, a FIFO of jobs behind it, the cached state, and the poller that
 * keeps that state fresh.  Every device in the inventory is a view of one
 * plug (the whole plug, or one outlet of a strip); devices that name the
 * same host and port share the plug, so the plug still sees one request
 * at a time.
 */
#ifndef KASAD_PLUG_H
#define KASAD_PLUG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/mac.h"
#include "kasa.h"
#include "plugstate.h"

struct loop;
struct plug;
struct plug_waiter;

/* How to talk to the plug. */
enum plug_transport {
	PLUG_TRANSPORT_AUTO, /* XOR; when its port refuses, KLAP (and back) */
	PLUG_TRANSPORT_XOR,
	PLUG_TRANSPORT_KLAP,
};

/* Settings a plug takes from the configuration; a reload may change them. */
struct plug_settings {
	uint64_t poll_interval_usec; /* 0: no polling */
	uint64_t request_timeout_usec;
	unsigned offline_after;
	uint64_t backoff_max_usec;
	unsigned queue_max;
	enum plug_transport transport;
	uint16_t klap_port;
	/* NULL: only TP-Link's defaults and blank are tried.  Borrowed by
	 * plug_new() and plug_configure(), which keep a copy. */
	const struct kasa_klap_account *account;
	/* "AA:BB:CC:DD:EE:FF": the plug is named by its MAC, and discovery
	 * may move it (plug_move()); "": by its host.  Never changes. */
	char mac[MAC_TEXT_SIZE];
};

enum plug_job_kind {
	PLUG_JOB_REFRESH, /* sysinfo, and emeter readings where there is a meter */
	PLUG_JOB_RELAY,	  /* set_relay_state; outlet -1 switches a whole strip */
	PLUG_JOB_TOGGLE,  /* sysinfo, then set_relay_state to the opposite */
	PLUG_JOB_LED,
	PLUG_JOB_BRIGHTNESS, /* a dimmer's level, .brightness; -ENOTSUP on others */
	PLUG_JOB_ALIAS,
	PLUG_JOB_REBOOT,
	PLUG_JOB_DAILY,	  /* get_daystat; a whole strip asks each outlet */
	PLUG_JOB_MONTHLY, /* get_monthstat; likewise */
	/* The rules the plug keeps (an outlet's on a strip), then read back:
	 * the result's rules are the module's table afterwards. */
	PLUG_JOB_COUNTDOWN_GET,
	PLUG_JOB_COUNTDOWN_SET,	  /* the one countdown: .seconds, then .on */
	PLUG_JOB_COUNTDOWN_CLEAR,
	PLUG_JOB_SCHEDULE_GET,
	PLUG_JOB_SCHEDULE_ADD,	  /* .rule */
	PLUG_JOB_SCHEDULE_DELETE, /* .rule_id; "" for all */
	/* The plug's clock and zone, into the cached state. */
	PLUG_JOB_TIME_GET,
	PLUG_JOB_TIME_SET, /* to .time, zone .zone (-1: the plug's own) */
};

struct plug_job_args {
	enum plug_job_kind kind;
	int outlet; /* -1: the whole plug */
	bool on;    /* RELAY, LED */
	int brightness; /* BRIGHTNESS: KASA_BRIGHTNESS_MIN..KASA_BRIGHTNESS_MAX */
	int year, month;
	char alias[64];
	int64_t seconds;		/* COUNTDOWN_SET */
	struct kasa_rule rule;		/* SCHEDULE_ADD */
	char rule_id[KASA_ID_MAX];	/* SCHEDULE_DELETE */
	struct kasa_time time;		/* TIME_SET */
	int zone;			/* TIME_SET */
};

/* What a finished job hands its waiters (borrowed for the callback only). */
struct plug_result {
	int error;			 /* 0, or -errno (see kasa.h, and -ENOBUFS etc.) */
	struct kasa_device_error device; /* when the plug refused */
	bool on;			 /* RELAY and TOGGLE: the state now */
	/* DAILY and MONTHLY: one statistics list per queried outlet (or one). */
	unsigned n_stats;
	const struct kasa_stats *stats;
	/* The COUNTDOWN_ and SCHEDULE_ jobs: the module's rules. */
	const struct kasa_rules *rules;
};

typedef void (*plug_result_cb_t)(struct plug *p, const struct plug_result *result, void *userdata);
/* The cached state was written: read from the plug (a poll, a read-back),
 * changed by a job that went through, or the plug went on- or offline. */
typedef void (*plug_change_cb_t)(struct plug *p, void *userdata);


/* Why a round trip failed, for the metrics. */
enum plug_failure {
	PLUG_FAILURE_TIMEOUT,	  /* no answer before the deadline */
	PLUG_FAILURE_REFUSED,	  /* the connection was refused */
	PLUG_FAILURE_RESET,	  /* the plug hung up without an answer */
	PLUG_FAILURE_UNREACHABLE, /* no route to the plug */
	PLUG_FAILURE_RESOLVE,	  /* its host name did not resolve */
	PLUG_FAILURE_FRAME,	  /* a malformed or oversized frame */
	PLUG_FAILURE_REPLY,	  /* JSON, but not the answer asked for */
	PLUG_FAILURE_DEVICE,	  /* the plug answered with an err_code */
	PLUG_FAILURE_AUTH,	  /* KLAP: the plug refused the credentials */
	PLUG_FAILURE_OTHER,
	PLUG_FAILURE_MAX,
};

/* Upper bounds of the poll duration histogram's buckets (+Inf is implied). */
#define PLUG_POLL_BUCKETS 11
extern const uint64_t plug_poll_bucket_usec[PLUG_POLL_BUCKETS];

/* Counters since the plug was created; they only grow. */
struct plug_stats {
	/* Round trips begun, and name lookups that failed (a lookup that
	 * fails is an attempt to reach the plug that never got a socket). */
	uint64_t requests;
	/* 32 bits: a failure a second takes 136 years to wrap one. */
	uint32_t failures[PLUG_FAILURE_MAX]; /* of those, by cause */
	/* Refreshes (sysinfo and meter; the poller's and ?fresh=1), from the
	 * first request to the last answer or the failure. */
	uint64_t polls;
	uint64_t poll_usec_sum;
	uint32_t poll_buckets[PLUG_POLL_BUCKETS]; /* per bucket, not cumulative */
};

/*
 * The poller's bound, over all plugs: at most max background round trips
 * (polls and read-backs, from the connect to the answer) in flight at
 * once, so that thousands of plugs starting together come online in one
 * pass instead of timing out in a burst.  Plugs wait for a place first
 * come, first served.  Clients' jobs never wait for one and take none.
 */
void plug_set_poll_limit(unsigned max);

struct plug_totals {
	unsigned in_flight;	  /* round trips in flight, clients' included */
	unsigned polls_in_flight; /* background ones, under the bound */
	unsigned polls_peak;	  /* the most background ones at once, ever */
	unsigned polls_waiting;	  /* plugs waiting for a place */
};
void plug_totals(struct plug_totals *ret);

/* host NULL: named by its MAC (s->mac), and nowhere until plug_move();
 * until then its jobs end at once with API_ENOTFOUND. */
int plug_new(struct loop *l, const char *host, uint16_t port, const struct plug_settings *s,
	     struct plug **ret_plug);
/* Answers every waiter with -ESHUTDOWN first.  Accepts NULL. */
void plug_free(struct plug *p);
void plug_configure(struct plug *p, const struct plug_settings *s);

/* Where the plug is: its host as configured, or where discovery found a
 * plug named by its MAC; NULL while such a plug has not been found. */
const char *plug_host(const struct plug *p);
/* The XOR port, which with the host names the plug in the inventory. */
uint16_t plug_port(const struct plug *p);
/* Its MAC, when that names it; "" when its host does. */
const char *plug_mac(const struct plug *p);

/*
 * Discovery heard the plug named by its MAC at host (numeric), answering
 * the sysinfo query from port (0: not heard, keep the XOR port) or the
 * KLAP probe with klap_port (0: likewise).  The plug moves there (a new
 * transport, at once when idle, else after the job in flight; then a
 * poll), and the log says so.  1 moved, 0 it was there, -ENOMEM.
 */
int plug_move(struct plug *p, const char *host, uint16_t port, uint16_t klap_port, bool klap);
/* A reload: where the configuration now says a plug named by its MAC is
 * (host NULL: nowhere).  What it said before keeps where discovery found
 * the plug; another host or port moves it there. */
int plug_set_home(struct plug *p, const char *host, uint16_t port);
/* The KLAP port: with the host and the XOR port, what names the plug. */
uint16_t plug_klap_port(const struct plug *p);
/* The port of the transport in use: the XOR port or the KLAP port. */
uint16_t plug_wire_port(const struct plug *p);
/* What the plug speaks, as far as kasad knows: "xor", "klap", or "" when
 * auto has not found out yet. */
const char *plug_transport_name(const struct plug *p);
/* KLAP's version (1 or 2) once a handshake matched, else 0. */
int plug_klap_version(const struct plug *p);
/* The JSON it speaks: "iot" (the port 9999 kind, over either transport)
 * or "smart" (Tapo and newer Kasa firmware, over KLAP). */
const char *plug_protocol_name(const struct plug *p);
/* A name for logs and metrics: the first device that uses it, or host:port. */
void plug_set_label(struct plug *p, const char *label);
const char *plug_label(const struct plug *p);
const struct plug_state *plug_state(const struct plug *p);
/* Grows each time what the plug's devices show may have changed: the cached
 * state, its transport, its settings.  Never 0. */
uint64_t plug_version(const struct plug *p);
const struct plug_stats *plug_stats(const struct plug *p);
/* One observer per plug (NULL: none); called at the end of each job that
 * wrote the cache, once per job, never from inside plug_submit(). */
void plug_set_observer(struct plug *p, plug_change_cb_t cb, void *userdata);

/* Start (or stop) background polling; the first poll comes within
 * first_within_usec, at a random point so many plugs spread out. */
void plug_poll_start(struct plug *p, uint64_t first_within_usec);
void plug_poll_stop(struct plug *p);

/*
 * Queue a job and wait for it, for at most timeout_usec from now.  cb is
 * called exactly once, never from inside this call: with the result, or
 * -ETIMEDOUT, or -ENOBUFS when the queue is full, or -ESHUTDOWN.  A REFRESH
 * (and identical DAILY or MONTHLY) already queued or in flight is joined
 * rather than repeated.  *ret_waiter (may be NULL) lets the caller cancel.
 */
int plug_submit(struct plug *p, const struct plug_job_args *args, uint64_t timeout_usec,
		plug_result_cb_t cb, void *userdata, struct plug_waiter **ret_waiter);
/* Stop waiting: cb will not be called.  The job itself may still run. */
void plug_waiter_cancel(struct plug_waiter *w);

#endif
