/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: emulated Kasa plugs, many per process, on one epoll loop.
 *
 * Files, one concern each:
 *   main.c    command line, readiness and stats output, signals
 *   spec.c    device SPEC strings and devices files
 *   loop.c    the epoll loop, timers and deferred frees
 *   net.c     sockets: TCP listeners and connections, UDP discovery
 *   fault.c   what goes on the wire for a reply (fault modes, flakiness)
 *   hostile.c replies with values no real plug sends (hostile modes)
 *   device.c  models, device state and the JSON request dispatcher
 *   emeter.c  the simulated energy meter and its history
 *   rules.c   count_down and schedule rule tables
 */
#ifndef EMU_H
#define EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct json_object;

#define EMU_OUTLETS_MAX	    6
#define EMU_ALIAS_MAX	    64	      /* including the NUL, as libkasa's sysinfo */
#define EMU_DEVICES_MAX	    10000     /* per process */
#define EMU_CONNS_MAX	    64	      /* open TCP connections per device */
#define EMU_QUEUE_MAX	    16	      /* requests received but unanswered, per connection */
#define EMU_UDP_PENDING_MAX 16	      /* delayed discovery replies, per device */
#define EMU_REPLY_MAX	    (1 << 20) /* a reply over this is dropped, never sent */
#define EMU_RULES_MAX	    32	      /* schedule table size; count_down holds one */

extern bool emu_verbose;

#define EMU_ARRAY_SIZE(a)		    (sizeof(a) / sizeof((a)[0]))
#define emu_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* --- Pseudo-random numbers: deterministic, seeded per device ------------- */

static inline uint64_t emu_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The next number of the sequence kept in *state (splitmix64). */
static inline uint64_t emu_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return emu_mix64(*state);
}

/* A uniform double in [0, 1). */
static inline double emu_rand01(uint64_t *state)
{
	return (double)(emu_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* --- Loop (loop.c) ---------------------------------------------------------- */

struct emu_watch {
	int fd;
	void (*cb)(struct emu_watch *w, uint32_t events);
};

struct emu_timer {
	uint64_t when; /* CLOCK_MONOTONIC usec */
	size_t slot;   /* position in the heap, valid while armed */
	bool armed;
	void (*cb)(struct emu_timer *t);
};

/* Runs once the current batch of events is handled, so that a callback can
 * end an object other events of the same batch still point to. */
struct emu_defer {
	struct emu_defer *next;
	void (*cb)(struct emu_defer *d);
};

int loop_init(void);
void loop_done(void);
uint64_t loop_now_usec(void);
int loop_add(struct emu_watch *w, uint32_t events);
int loop_mod(struct emu_watch *w, uint32_t events);
void loop_del(struct emu_watch *w);
/* Arm (or re-arm) t to fire at when; timers are one-shot. */
int loop_timer_arm(struct emu_timer *t, uint64_t when);
void loop_timer_cancel(struct emu_timer *t);
void loop_defer(struct emu_defer *d);
/* Run until loop_quit(); -errno if epoll fails. */
int loop_run(void);
void loop_quit(void);

/* --- Specs (spec.c) ----------------------------------------------------------- */

enum emu_fault {
	EMU_FAULT_NONE,
	EMU_FAULT_BLACKHOLE,
	EMU_FAULT_REFUSE,
	EMU_FAULT_CLOSE,
	EMU_FAULT_RESET,
	EMU_FAULT_GARBAGE,
	EMU_FAULT_TRUNCATE,
	EMU_FAULT_OVERSIZE,
	EMU_FAULT_ZEROLEN,
	EMU_FAULT_SPLIT,
	EMU_FAULT_DRIP,
	EMU_FAULT_BADJSON,
};

/* What hostile= bends in the replies (hostile.c). */
enum emu_hostile {
	EMU_HOSTILE_NONE,
	EMU_HOSTILE_UTF8,    /* sysinfo strings with ill-formed UTF-8 */
	EMU_HOSTILE_ONTIME,  /* on_time -1 (outlets: also INT64_MIN) */
	EMU_HOSTILE_METER,   /* get_realtime power 1e300 */
	EMU_HOSTILE_HISTORY, /* statistics of other periods, days 0 and 99, months 0 and 13 */
	EMU_HOSTILE_OUTLETS, /* 17 children */
	EMU_HOSTILE_CHILDID, /* the second child's id starts with \x01 */
};

struct emu_model;

struct emu_spec {
	const struct emu_model *model;
	char alias[EMU_ALIAS_MAX]; /* "" when not given */
	int port;		   /* -1 when not given */
	bool on;
	unsigned delay_ms;
	unsigned drip_ms;
	unsigned idle_ms; /* close idle connections after this long; 0 never */
	enum emu_fault fault;
	enum emu_hostile hostile;
	unsigned flaky; /* percent of requests dropped */
	uint64_t seed;
	bool has_seed;
	double power_w; /* load when on; 0 picks one from the device index */
};

/* Parse "MODEL[,key=value...]"; prints what is wrong on stderr. */
int spec_parse(const char *text, struct emu_spec *ret);
/* Append each SPEC line of path to *specs (realloc'd). */
int spec_load_file(const char *path, struct emu_spec **specs, size_t *count);

/* --- Faults (fault.c) --------------------------------------------------------- */

const char *fault_name(enum emu_fault f);
int fault_from_name(const char *name, enum emu_fault *ret);

/* What the connection does once the planned bytes are written. */
enum emu_after {
	EMU_AFTER_KEEP,	 /* next request */
	EMU_AFTER_CLOSE, /* FIN */
	EMU_AFTER_RESET, /* RST */
	EMU_AFTER_SINK,	 /* answered; ignore the rest of what the client sends */
	EMU_AFTER_HOLD,	 /* never answered: keep the request in flight until close */
};

struct emu_plan {
	uint8_t *buf; /* owned */
	size_t len;
	unsigned chunk_min, chunk_max; /* bytes per segment; 0: all at once */
	unsigned interval_ms;	       /* between segments */
	enum emu_after after;
};

struct emu_device;

/* Turn a reply into wire bytes per the device's fault mode and flakiness. */
int fault_plan(struct emu_device *d, const char *reply, struct emu_plan *ret);
/* Whether a UDP reply goes out at all (refuse, blackhole, flaky drop it). */
bool fault_udp_answers(struct emu_device *d);

/* --- Hostile replies (hostile.c) --------------------------------------------- */

int hostile_from_name(const char *name, enum emu_hostile *ret);
/* Bend a result object as the device's hostile mode says (no-ops otherwise). */
void hostile_sysinfo(const struct emu_device *d, struct json_object *si);
void hostile_realtime(const struct emu_device *d, struct json_object *res);
/* month 0: get_monthstat of year; else get_daystat of that month. */
void hostile_stats(const struct emu_device *d, struct json_object *res, int year, int month);

/* --- Energy meter (emeter.c) -------------------------------------------------- */

struct emu_meter {
	double load_w;	   /* real power drawn when on */
	double pf;	   /* power factor */
	double volts;	   /* nominal mains voltage */
	double avg_day_wh; /* typical daily energy, for the history */
	uint64_t seed;	   /* history and noise derive from it */
	uint64_t noise;	   /* noise sequence state */
	double total_wh;
	double today_wh;
	int today;  /* yyyymmdd that today_wh belongs to */
	int erased; /* yyyymmdd of the last erase, 0 when never */
	uint64_t last_usec;
};

void emeter_init(struct emu_meter *m, unsigned index, unsigned outlet, double volts, double power_w,
		 uint64_t now);
/* Account energy up to now; call before the relay changes and before reads. */
void emeter_update(struct emu_meter *m, bool on, uint64_t now);
struct json_object *emeter_realtime(struct emu_meter *m, bool on, bool new_style, int slot,
				    uint64_t now);
struct json_object *emeter_daystat(struct emu_meter *m, bool on, bool new_style,
				   struct json_object *params, uint64_t now);
struct json_object *emeter_monthstat(struct emu_meter *m, bool on, bool new_style,
				     struct json_object *params, uint64_t now);
void emeter_erase(struct emu_meter *m, bool on, uint64_t now);

/* --- Rules (rules.c) ---------------------------------------------------------- */

struct emu_rules {
	struct json_object *list[EMU_RULES_MAX]; /* owned */
	unsigned count;
	unsigned max;
	unsigned next_id;
	uint64_t id_seed;
};

void rules_init(struct emu_rules *r, unsigned max, uint64_t id_seed);
void rules_clear(struct emu_rules *r);
/* Method results, each with its err_code; NULL when the method is unknown. */
struct json_object *rules_call(struct emu_rules *r, const char *method, struct json_object *params,
			       bool with_version);

/* --- Devices (device.c) ------------------------------------------------------- */

enum emu_meter_style {
	EMU_METER_NONE,
	EMU_METER_OLD, /* current, voltage, power, total: floats */
	EMU_METER_NEW, /* current_ma, voltage_mv, power_mw, total_wh: integers */
};

struct emu_model {
	const char *name;     /* the SPEC name: "hs110v4" */
	const char *model;    /* "HS110(EU)" */
	const char *dev_name; /* NULL: no such field */
	const char *hw_ver;
	const char *sw_ver;
	const char *hw_id;
	const char *oem_id;
	const char *alias_prefix; /* default alias, before the MAC's last 4 hex digits */
	unsigned outlets;	  /* 1, or the number of children */
	enum emu_meter_style meter;
	double volts;
	bool mic_type;	  /* "mic_type" instead of "type" */
	bool latitude_i;  /* latitude_i/longitude_i instead of latitude/longitude */
	bool next_action; /* a next_action object */
	bool fw_id;	  /* the old fwId field */
	bool newer;	  /* obd_src, status, ntc_state */
};

/* Device err_codes and their texts, as real firmware words them. */
#define EMU_ERR_MODULE -1  /* "module not support" */
#define EMU_ERR_METHOD -2  /* "member not support" */
#define EMU_ERR_ARG    -3  /* "invalid argument" */
#define EMU_ERR_FULL   -10 /* "table is full" */
#define EMU_ERR_ENTRY  -14 /* "entry not exist" */

/* {"err_code":code} plus the matching err_msg when code is not 0. */
struct json_object *device_result(int code);

const struct emu_model *device_model_find(const char *name);
/* The names of all models, for help texts. */
const struct emu_model *device_model_at(size_t i);

struct emu_outlet {
	char alias[EMU_ALIAS_MAX];
	bool on;
	uint64_t on_since; /* monotonic usec when on */
	struct emu_meter meter;
};

struct emu_stats {
	uint64_t requests;
	unsigned inflight;
	unsigned max_inflight;
	uint64_t connections;
};

struct emu_conn;
struct emu_udp_reply;

struct emu_device {
	unsigned index;
	struct emu_spec spec;
	const struct emu_model *model;

	/* identity */
	char device_id[41];
	char mac[18];
	int rssi;

	/* state */
	char alias[EMU_ALIAS_MAX];
	bool led_off;
	unsigned outlets;
	struct emu_outlet outlet[EMU_OUTLETS_MAX];
	struct emu_rules countdown, schedule;
	struct emu_timer reboot_timer;
	uint64_t fault_rng; /* flaky, garbage, split: seeded by seed= */
	uint64_t noise_rng; /* rssi jitter */

	struct emu_stats stats;

	/* network, owned by net.c */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint16_t port;
	struct emu_watch tcp;
	struct emu_watch udp;
	struct emu_conn *conns;
	unsigned nconns;
	struct emu_udp_reply *udp_pending;
	unsigned nudp_pending;
};

/* rep: the repetition number (1-based) under -n, 0 when not repeated. */
struct emu_device *device_new(unsigned index, const struct emu_spec *spec, unsigned rep);
void device_free(struct emu_device *d);
/* Derive deviceId, MAC and default aliases; mac_base makes several processes differ. */
void device_identity(struct emu_device *d, uint32_t mac_base);
/*
 * Answer one request payload.  Returns the reply JSON (owned, free()), or
 * NULL when the payload is not a JSON object (the peer is then dropped) or,
 * over UDP, when there is nothing to answer.
 */
char *device_handle(struct emu_device *d, const char *json, size_t len, bool udp);

/* --- Network (net.c) ---------------------------------------------------------- */

/* Bind TCP and UDP for d on addr:port (port 0: any free one for both). */
int net_device_bind(struct emu_device *d, const struct sockaddr *addr, socklen_t addrlen,
		    uint16_t port);
/* Start accepting and receiving. */
int net_device_start(struct emu_device *d);
/* Drop every connection of d (a reboot). */
void net_device_drop(struct emu_device *d);
void net_device_close(struct emu_device *d);
/* "ADDR:PORT" of d, "[ADDR]:PORT" for IPv6. */
void net_device_name(const struct emu_device *d, char *buf, size_t len);
/* Keep a spare fd to shed connections when the fd table is full. */
int net_init(void);
void net_done(void);

#endif
