/* SPDX-License-Identifier: MIT */
/*
 * libkasa: the TP-Link Kasa LAN protocol (TCP and UDP port 9999), and the
 * KLAP sessions and SMART JSON of newer firmware.
 *
 * Conventions:
 * - Functions that can fail return int: >= 0 on success, -errno on failure.
 *   Out-parameters are named ret_*, come last and are written only on success.
 * - The library never logs, never exits and never aborts on bad input.
 * - Every pointer a function returns says whether it is owned (the caller
 *   frees it) or borrowed (valid until the object changes or is freed).
 * - Times are CLOCK_MONOTONIC microseconds (see kasa_now_usec()).
 *
 * Error codes used throughout:
 *   -ETIMEDOUT     the peer did not answer within the deadline
 *   -ECONNREFUSED  nothing listens on the port (newer firmware: see KLAP)
 *   -ECONNRESET    the peer closed or reset the connection without a reply
 *   -EPROTO        a malformed or truncated frame
 *   -EMSGSIZE      a frame or list over its cap
 *   -EBADMSG       the payload is not the JSON expected
 *   -ENOTSUP       the device does not support the module    (err_code -1)
 *   -ENOSYS        the device does not know the method       (err_code -2)
 *   -EINVAL        the device rejected an argument           (err_code -3)
 *   -ENOSPC        a rule table on the device is full        (err_code -10)
 *   -ENOENT        child or rule id not found on the device  (err_code -14)
 *   -EREMOTEIO     any other non-zero err_code
 *   -EBUSY         a request is already in flight on this connection
 * KLAP and SMART add a few of their own, listed in their sections.
 */
#ifndef KASA_H
#define KASA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

#define KASA_PORT 9999
#define KASA_HEADER_LEN 4
/* Whole sysinfo replies of real devices stay under 9 KB. */
#define KASA_FRAME_MAX_DEFAULT (64 * 1024)

/* --- Cipher (autokey XOR, initial key 0xAB) ---------------------------- */

/* Encrypt or decrypt len bytes in place. */
void kasa_encrypt(void *buf, size_t len);
void kasa_decrypt(void *buf, size_t len);

/*
 * Build a TCP frame: 4-byte big-endian length, then the encrypted payload.
 * *ret_frame is owned by the caller (free()).  -EMSGSIZE if len > UINT32_MAX.
 */
int kasa_frame_encode(const void *payload, size_t len, uint8_t **ret_frame, size_t *ret_len);

/* --- Incremental frame reader ------------------------------------------ */

struct kasa_reader;

/* max_payload 0 means KASA_FRAME_MAX_DEFAULT.  NULL on ENOMEM. */
struct kasa_reader *kasa_reader_new(size_t max_payload);
void kasa_reader_free(struct kasa_reader *r);
/* Forget everything fed so far, and free the payload's memory: ready for
 * the next frame, and holding none while idle. */
void kasa_reader_reset(struct kasa_reader *r);

/*
 * Feed bytes in any split.  Consumes at most up to the end of the current
 * frame and stores how many bytes it used in *ret_used (always written, so
 * a caller can keep the rest for the next frame).
 * Returns 1 when a frame is complete, 0 when more bytes are needed,
 * -EMSGSIZE when the announced (or, after a zero header, the accumulated)
 * length passes the cap.  Once complete or failed, further feeds return the
 * same result until kasa_reader_reset().
 */
int kasa_reader_feed(struct kasa_reader *r, const void *data, size_t len, size_t *ret_used);

/*
 * Tell the reader the peer closed.  Returns 1 when that completes a frame
 * (a zero length header is followed by the payload up to EOF),
 * -ECONNRESET when nothing at all had arrived, -EPROTO when the frame is
 * truncated, or the result already reached.
 */
int kasa_reader_eof(struct kasa_reader *r);

/* The decrypted payload of a complete frame, NUL-terminated.  Borrowed:
 * valid until the next feed, reset or free.  NULL if not complete. */
const char *kasa_reader_payload(const struct kasa_reader *r, size_t *ret_len);

/* --- Requests ------------------------------------------------------------
 * Each builder writes a newly allocated NUL-terminated JSON string to
 * *ret_json (owned, free()).  -ENOMEM, or -EINVAL when an argument cannot
 * be sent: a child id that is empty, over KASA_ID_MAX - 1 bytes or holds a
 * control character (as a plug may report one), an alias likewise (1 to 63
 * bytes) or not well-formed UTF-8, a date out of range.  child_id, where
 * taken, may be NULL; otherwise the request carries an outlet context.
 */
int kasa_req_sysinfo(char **ret_json);
int kasa_req_relay(const char *child_id, bool on, char **ret_json);
int kasa_req_led(bool on, char **ret_json);
int kasa_req_alias(const char *child_id, const char *alias, char **ret_json);
int kasa_req_reboot(unsigned delay_s, char **ret_json);
int kasa_req_emeter_realtime(const char *child_id, char **ret_json);
/* year 1970..9999, month 1..12. */
int kasa_req_emeter_daily(const char *child_id, int year, int month, char **ret_json);
int kasa_req_emeter_monthly(const char *child_id, int year, char **ret_json);
int kasa_req_emeter_erase(const char *child_id, char **ret_json);
int kasa_req_time(char **ret_json);
/* sysinfo and emeter realtime in one request (one round trip). */
int kasa_req_sysinfo_emeter(char **ret_json);
/*
 * Dimmers (HS220 and its relatives): the module's name, and set_brightness
 * of brightness KASA_BRIGHTNESS_MIN..KASA_BRIGHTNESS_MAX (else -EINVAL:
 * firmware refuses 0, or takes it as 1).  It sets the level the light has
 * when on, and leaves the relay as it is; read it back from sysinfo.
 */
#define KASA_DIMMER_MODULE "smartlife.iot.dimmer"
#define KASA_BRIGHTNESS_MIN 1
#define KASA_BRIGHTNESS_MAX 100
int kasa_req_brightness(int brightness, char **ret_json);
/*
 * Any request: json must be a JSON object (else -EINVAL; -EMSGSIZE over
 * 64 KiB); the context is merged in, replacing any the request had.
 */
int kasa_req_with_context(const char *json, const char *child_id, char **ret_json);

/* --- Outlet contexts ---------------------------------------------------- */

#define KASA_ID_MAX 64
/* A child id is the parent deviceId followed by the two-digit index. */
#define KASA_CHILD_ID_LEN 42

/* Write deviceId + "%02u" (index 0..99) into ret_id[KASA_ID_MAX].
 * -EINVAL on an empty or over-long device id or an index over 99. */
int kasa_child_id(const char *device_id, unsigned index, char ret_id[KASA_ID_MAX]);

/* --- Replies ------------------------------------------------------------ */

/*
 * What the device itself said when it refused a request, or, with code 0,
 * why a parser refused its reply with -EBADMSG ("on_time is ...": which
 * field, for a log or an error message; "" when there is nothing to add).
 */
struct kasa_device_error {
	int code;         /* the device's err_code, 0 when none */
	char msg[64];     /* its err_msg (or the reason, see above), "" when none */
	bool module_level; /* the error stood at the module, not the method */
};

/*
 * Parse a reply payload into a json-c object (owned: json_object_put()).
 * -EBADMSG when it is not a JSON object.
 */
int kasa_reply_parse(const char *json, size_t len, struct json_object **ret_reply);

/*
 * Check reply[module][method] at both levels and borrow the method result.
 * ret_err may be NULL; when not, it is written whenever the function
 * returns a device error (-ENOTSUP, -ENOSYS, -EINVAL, -ENOSPC, -ENOENT,
 * -EREMOTEIO), and cleared on success.
 * -EBADMSG when the module or method key is missing or not an object.
 *
 * The parsers below go on from there: they fill plain structs, and refuse
 * (-EBADMSG) readings no plug can make.  Every string they keep is
 * well-formed UTF-8 (see kasa_utf8_copy()), cut to fit before a whole
 * character; only outlet ids are kept byte for byte, to address outlets.
 */
int kasa_reply_result(struct json_object *reply, const char *module, const char *method,
		      struct json_object **ret_result, struct kasa_device_error *ret_err);

/* Map a device err_code to the library's -errno. */
int kasa_device_errno(int err_code);

#define KASA_OUTLETS_MAX 16

struct kasa_outlet {
	/* As the plug sent it, to send back: it may hold anything but a NUL,
	 * even bytes that are not UTF-8 (see kasa_utf8_copy() to show it). */
	char id[KASA_ID_MAX];
	char alias[64];
	bool on;
	/* Seconds since the relay switched on; -1 when not known (absent, or
	 * a number no relay can have: negative or over 2^32). */
	int64_t on_time;
	/* Compact JSON of next_action; "" when absent or longer than fits.  A
	 * scheduled action carries a 32-character rule id, so 64 is too small. */
	char next_action[128];
};

struct kasa_sysinfo {
	char alias[64];
	char model[32];
	char dev_name[64];
	char device_id[KASA_ID_MAX];
	char hw_id[KASA_ID_MAX];
	char oem_id[KASA_ID_MAX];
	char mac[24];
	char hw_ver[16];
	char sw_ver[64];
	char type[32];     /* "type" or, on newer firmware, "mic_type" */
	char feature[32];
	char active_mode[16];
	int rssi;
	bool led_on;       /* the inverse of led_off */
	bool has_relay;    /* false on power strips */
	bool relay_on;
	int64_t on_time;   /* as in struct kasa_outlet: -1 when not known */
	bool has_emeter;   /* feature contains ENE */
	/* A dimmer: the level its light has when on, 0..100, kept (and
	 * reported) while the relay is off. */
	bool has_brightness;
	int brightness;
	bool updating;
	double latitude, longitude; /* either style, in degrees */
	unsigned outlet_count;      /* child_num; 0 for single plugs */
	struct kasa_outlet outlets[KASA_OUTLETS_MAX];
};

/* Fill *ret from reply.system.get_sysinfo (old, new and nested variants).
 * -EBADMSG when a strip lists more than KASA_OUTLETS_MAX children (real
 * strips have up to six), with the count in ret_err->msg, or when a
 * dimmer's brightness is not a whole number 0..100 (why in ret_err->msg). */
int kasa_sysinfo_parse(struct json_object *reply, struct kasa_sysinfo *ret,
		       struct kasa_device_error *ret_err);

struct kasa_emeter {
	int64_t power_mw, voltage_mv, current_ma, total_wh;
	double power_w, voltage_v, current_a, total_kwh;
	bool new_style; /* the device sent power_mw & co. */
	int slot_id;    /* -1 when absent */
};

/*
 * Fill *ret from reply.emeter.get_realtime, normalised from either style.
 * -EBADMSG, naming the field in ret_err->msg, when a reading is not a
 * finite number within a range no plug leaves: power +-1e6 W, voltage
 * +-1e4 V, current +-1e5 A, total +-1e9 kWh.
 */
int kasa_emeter_parse(struct json_object *reply, struct kasa_emeter *ret,
		      struct kasa_device_error *ret_err);
/* Normalise one get_realtime result object (already checked), as above. */
int kasa_emeter_from_result(struct json_object *result, struct kasa_emeter *ret);

#define KASA_STATS_MAX 64

struct kasa_stat {
	int year, month, day; /* day is 0 in monthly statistics */
	int64_t energy_wh;
	double energy_kwh;
};

struct kasa_stats {
	unsigned count;
	struct kasa_stat entries[KASA_STATS_MAX];
};

/*
 * reply.emeter.get_daystat.day_list for the month asked for (1..12, else
 * -EINVAL), or get_monthstat.month_list for the year.  Entries of another
 * period, and dates that do not exist (day 0, 30 February, month 13), are
 * left out: the plug's other entries still hold.  -EBADMSG (why in
 * ret_err->msg) when an entry lacks a field or its energy is out of range
 * (as a meter's total), or more than KASA_STATS_MAX entries remain.
 */
int kasa_daystat_parse(struct json_object *reply, int year, int month, struct kasa_stats *ret,
		       struct kasa_device_error *ret_err);
int kasa_monthstat_parse(struct json_object *reply, int year, struct kasa_stats *ret,
			 struct kasa_device_error *ret_err);

struct kasa_time {
	int year, month, mday, hour, min, sec;
};

int kasa_time_parse(struct json_object *reply, struct kasa_time *ret,
		    struct kasa_device_error *ret_err);

/* --- Rules the plug keeps: count_down and schedule; its clock -------------
 * A plug runs these itself, with kasad (or the network) down.  The
 * count_down module holds one rule per relay ("off in 30 minutes"); the
 * schedule module a table of rules, each firing on days of the week at a
 * time of day or at an offset from sunrise or sunset.  A strip keeps them
 * per outlet (child_id).  The clock is the plug's wall clock in its zone
 * (an index into TP-Link's table of zones); it is lost on a power cut.
 */

#define KASA_RULES_MAX 32
/* TP-Link's zones are numbered 0..109 (38: UTC; 39: London, kasa-emu's at start). */
#define KASA_TIMEZONE_INDEX_MAX 109

/* When a schedule rule fires: stime_opt. */
enum kasa_rule_at {
	KASA_RULE_AT_TIME = 0,	  /* at min, minutes after midnight */
	KASA_RULE_AT_SUNRISE = 1, /* at sunrise, plus offset_min */
	KASA_RULE_AT_SUNSET = 2,  /* at sunset, plus offset_min */
};

struct kasa_rule {
	/* As the plug sent it, to send back (as an outlet's id). */
	char id[KASA_ID_MAX];
	char name[64];
	bool enabled;
	bool on;	  /* what it does to the relay: act, or sact */
	/* count_down */
	int64_t delay_s;  /* as set */
	int64_t remain_s; /* left; -1 when the plug does not say */
	/* schedule */
	unsigned wday;	  /* bit 0 Sunday ... bit 6 Saturday */
	bool repeat;	  /* every week; else once */
	enum kasa_rule_at at;
	int min;	  /* 0..1439 */
	int offset_min;	  /* -720..720, sunrise and sunset only */
};

struct kasa_rules {
	unsigned count;
	struct kasa_rule rule[KASA_RULES_MAX];
};

/* count_down: get_rules; one rule that switches on (or off) in delay_s
 * seconds (1..86400*7, else -EINVAL); delete_all_rules. */
int kasa_req_countdown_get(const char *child_id, char **ret_json);
int kasa_req_countdown_add(const char *child_id, int64_t delay_s, bool on, char **ret_json);
int kasa_req_countdown_clear(const char *child_id, char **ret_json);
/* schedule: get_rules; add_rule of rule (its id and remain are not sent;
 * -EINVAL when wday is empty or over 7 bits, min or offset_min out of
 * range, at unknown, or name empty or not UTF-8 text); delete_rule of id,
 * or delete_all_rules when id is NULL. */
int kasa_req_schedule_get(const char *child_id, char **ret_json);
int kasa_req_schedule_add(const char *child_id, const struct kasa_rule *rule, char **ret_json);
int kasa_req_schedule_delete(const char *child_id, const char *id, char **ret_json);

/*
 * reply[module].get_rules.rule_list, module "count_down" or "schedule"
 * (else -EINVAL).  A rule without a string id, or with a field out of
 * range, is -EBADMSG (why in ret_err->msg); so are more than
 * KASA_RULES_MAX rules.  A module's "enable":0 does not disable its rules.
 */
int kasa_rules_parse(struct json_object *reply, const char *module, struct kasa_rules *ret,
		     struct kasa_device_error *ret_err);

/* time: get_time and get_timezone in one request. */
int kasa_req_time_zone(char **ret_json);
/* time: set_timezone, which sets the clock to t and the zone to index
 * (0..109); -EINVAL for a date that does not exist or an index beyond. */
int kasa_req_time_set(const struct kasa_time *t, int index, char **ret_json);
/* reply.time.get_timezone.index, 0..109. */
int kasa_timezone_parse(struct json_object *reply, int *ret_index,
			struct kasa_device_error *ret_err);

/*
 * TP-Link's zones, as the firmware knows them: index's description
 * ("(UTC+01:00) Amsterdam, Berlin, ..."; get_timezone's zone_str) and the
 * rule it keeps its clock by across the year (a POSIX TZ string, its
 * tz_str: "CET-1CEST,M3.5.0,M10.5.0/3").  Static strings; NULL for an
 * index beyond the table.
 */
const char *kasa_timezone_label(int index);
const char *kasa_timezone_rule(int index);
/* index's offset east of UTC at utc_s (seconds since 1970), by its rule.
 * -EINVAL for an index beyond the table. */
int kasa_timezone_offset(int index, int64_t utc_s, int *ret_offset_s);

/* A zone's offset east of UTC at utc_s, in *ret_offset_s; < 0 to stop. */
typedef int (*kasa_timezone_offset_cb_t)(int64_t utc_s, int *ret_offset_s, void *userdata);
/*
 * The index of a zone, given its offsets (offset(), asked at noon UTC of
 * every day of year) and its name (IANA, "Europe/Berlin"; may be NULL):
 * an index whose rule gives the same offset on every one of those days.
 * Of several (the table has one index a city, many with one rule), the one
 * the name is known for, else the main one of that rule ("(UTC-08:00)
 * Pacific Daylight Time (US & Canada)" rather than "Baja California").
 * -ENOENT when no index keeps that zone's time (a zone whose rules changed
 * since the firmware's table was made may have none); -EINVAL for a year
 * not 1970..9999 or no callback; offset()'s error as it is.
 */
int kasa_timezone_find(const char *name, int year, kasa_timezone_offset_cb_t offset,
		       void *userdata, int *ret_index);

/* --- Non-blocking connection ---------------------------------------------
 * One connection to one device, one request in flight.  An event loop
 * watches kasa_conn_fd() for kasa_conn_events() (poll(2)/epoll(7) bits:
 * POLLIN/EPOLLIN, POLLOUT/EPOLLOUT) until kasa_conn_deadline(), and calls
 * kasa_conn_process() when the fd is ready or the deadline has passed.
 * The fd can change after any call (a reconnect): re-read it every time.
 * kasa_conn_process() sends and reads until the socket would block, so the
 * loop may watch edge-triggered (EPOLLET), once it watches the fd afresh
 * whenever the fd or the events change.
 */
struct kasa_conn;

/* Copies addr.  NULL on ENOMEM or an unsupported address family. */
struct kasa_conn *kasa_conn_new(const struct sockaddr *addr, socklen_t addrlen);
void kasa_conn_free(struct kasa_conn *c);
/* Payload cap for replies; 0 means KASA_FRAME_MAX_DEFAULT. */
void kasa_conn_set_max_payload(struct kasa_conn *c, size_t max_payload);

/*
 * Start a request: connect if needed (or reuse the open connection), then
 * send header and payload in one write.  The whole exchange must finish by
 * now_usec + timeout_usec.  -EBUSY if a request is in flight.  Starting may
 * complete at once with an error (for example -ECONNREFUSED), returned here.
 */
int kasa_conn_start(struct kasa_conn *c, const char *json, size_t len, uint64_t now_usec,
		    uint64_t timeout_usec);

/* -1 when there is no socket. */
int kasa_conn_fd(const struct kasa_conn *c);
/* Events wanted now: while idle, POLLIN on a kept socket (so that a
 * device closing it is noticed), 0 with no socket. */
uint32_t kasa_conn_events(const struct kasa_conn *c);
/* Goes up each time the connection opens a new socket: a loop that keeps
 * watching the fd tells a new socket from the old one whose number it
 * took (the old one left epoll when it closed). */
unsigned kasa_conn_generation(const struct kasa_conn *c);
/* The caller watches the kept socket between requests too (for
 * kasa_conn_events(), calling kasa_conn_process() on them), so a start
 * need not check it first: a poll(2) a request saved.  A device that
 * closed it a moment before still costs no request: a kept socket found
 * dead is reopened once, as ever. */
void kasa_conn_set_idle_watched(struct kasa_conn *c, bool watched);
/* Absolute deadline of the request in flight; 0 when idle. */
uint64_t kasa_conn_deadline(const struct kasa_conn *c);
bool kasa_conn_busy(const struct kasa_conn *c);

/*
 * Advance the request.  revents may be 0 (for example on a timer).  While
 * idle, a readable kept socket (the device closed it, or sent what nobody
 * asked) is closed, and 0 returned.  Returns 0 while in progress, 1 when the reply is complete (read it with
 * kasa_conn_reply()), or a -errno that ended the request; the connection is
 * then closed and the next start reconnects.  A reused connection found dead
 * before any reply byte arrived is reopened once and the request sent again.
 */
int kasa_conn_process(struct kasa_conn *c, uint32_t revents, uint64_t now_usec);

/* The decrypted reply, NUL-terminated.  Borrowed until the next start. */
const char *kasa_conn_reply(const struct kasa_conn *c, size_t *ret_len);

/* Free the reply once it has been read (kasa_conn_reply() is then NULL),
 * so that an idle connection holds no buffer: it counts with thousands of
 * them.  Nothing happens while a request is in flight. */
void kasa_conn_drop_reply(struct kasa_conn *c);

/* Abandon any request and close the socket. */
void kasa_conn_close(struct kasa_conn *c);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t kasa_now_usec(void);

/* --- Blocking convenience ---------------------------------------------- */

/*
 * Resolve host (name or address), send one request and wait for its reply,
 * all within timeout_ms: a name lookup runs in the background
 * (getaddrinfo_a) and counts against the same deadline.  *ret_reply is
 * owned (free()), NUL-terminated.  -ENXIO: the name does not resolve;
 * -EAGAIN: the resolver failed for now.
 */
int kasa_call(const char *host, uint16_t port, const char *json, int timeout_ms,
	      char **ret_reply, size_t *ret_len);

/* --- Discovery ----------------------------------------------------------
 * Two probes, each over UDP: the encrypted sysinfo query (no header) that
 * plugs of port 9999 answer on their port, and the probe of newer firmware
 * (KLAP, and AES on older Tapo firmware) on KASA_DISCOVERY_PORT: a 16-byte
 * header (version 2, op_code 1, the payload's length, a CRC-32 of the
 * datagram), answered by a header of the same shape and
 * {"error_code":0,"result":{"device_type":..,"mgt_encrypt_schm":{..},..}}.
 */

#define KASA_DISCOVERY_PORT 20002

/* How a device found speaks: XOR on TCP 9999 (its port), or KLAP's HTTP. */
enum kasa_transport {
	KASA_TRANSPORT_XOR,
	KASA_TRANSPORT_KLAP,
};

/* What a device says on KASA_DISCOVERY_PORT beside what struct kasa_sysinfo holds. */
struct kasa_found_klap {
	char encrypt_type[16]; /* mgt_encrypt_schm: "KLAP", "AES", ...; "" when absent */
	int lv;                /* its login version, 0 when absent */
	bool new_klap;         /* "new_klap":1: IOT firmware on KLAP v2 */
	bool https;            /* is_support_https */
	bool factory_default;  /* never bound to an account */
	/* device_type starts with "SMART.": SMART JSON (always over KLAP v2),
	 * else IOT JSON. */
	bool smart;
	/* The auth hash to use, as kasa_klap_call() takes it: KASA_KLAP_V2 for
	 * SMART, lv 2 or more, or new_klap; KASA_KLAP_V1 else. */
	unsigned klap_version;
};

struct kasa_found {
	/* The address that answered, and the port to talk to: for XOR the
	 * port that answered, for KLAP its http_port (KASA_KLAP_PORT when the
	 * answer has none). */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[64];  /* numeric address */
	uint16_t port;
	/* XOR: get_sysinfo.  KLAP: model (device_model), device_id, mac (as
	 * the IOT parsers write it), hw_ver and type (device_type) alone. */
	struct kasa_sysinfo info;
	bool info_ok;   /* false when the reply was truncated or unparsable */
	enum kasa_transport transport; /* which probe it answered */
	struct kasa_found_klap klap;   /* KLAP, when info_ok */
};

typedef void (*kasa_found_cb_t)(const struct kasa_found *found, void *userdata);

/*
 * Send the encrypted sysinfo query (no header) over UDP to target:port
 * (a broadcast address such as 255.255.255.255, or one host), `sends`
 * times spread over timeout_ms, and call cb once per distinct answering
 * address.  Returns the number of devices found, or -errno.
 * IPv4 only; a host name is resolved first, outside timeout_ms.  -EINVAL
 * when sends is 0 or over 100, -ENXIO when target does not resolve.
 */
int kasa_discover(const char *target, uint16_t port, int timeout_ms, unsigned sends,
		  kasa_found_cb_t cb, void *userdata);

/*
 * kasa_discover(), and with it the probe of newer firmware to
 * target:klap_port (KASA_DISCOVERY_PORT for real devices), each sent
 * `sends` times, both from one kasa_discovery (below).  port or klap_port
 * 0: that probe is not sent (not both: -EINVAL).  An answer to the KLAP
 * probe counts only from klap_port (as python-kasa takes them); a KLAP device is reported
 * once per address, http_port and device_id, whatever it answered with
 * (an unreadable answer: info_ok false, port KASA_KLAP_PORT).  A device
 * that answers both probes is reported once for each.  The count and
 * errors as kasa_discover().
 */
int kasa_discover_all(const char *target, uint16_t port, uint16_t klap_port, int timeout_ms,
		      unsigned sends, kasa_found_cb_t cb, void *userdata);

/*
 * Discovery an event loop drives (kasa_discover_all() is one on poll()):
 * one UDP socket, IPv4, on a port of the kernel's choosing, that may send
 * to broadcast addresses.  Send the probes with kasa_discovery_send() as
 * often as wanted, watch kasa_discovery_fd() for POLLIN and call
 * kasa_discovery_receive() when it is readable.
 *
 * An answer is the KLAP probe's when it comes from a port the KLAP probe
 * went to and carries its header (or that port had only the KLAP probe);
 * one with that header from anywhere else is dropped.  Any other answer is
 * the sysinfo query's, from whatever port (a plug behind a NAT answers
 * from another), once that query was sent.  Nothing is remembered of the
 * answers: each is reported as it comes, repeats too.
 */
struct kasa_discovery;

/* -ENOMEM, or the socket's -errno. */
int kasa_discovery_new(struct kasa_discovery **ret_discovery);
/* Accepts NULL. */
void kasa_discovery_free(struct kasa_discovery *d);
int kasa_discovery_fd(const struct kasa_discovery *d);
/*
 * Send the sysinfo query to to's address at port, and the KLAP probe at
 * klap_port (either 0: not sent; not both).  to is an IPv4 address (its
 * port is not used): a broadcast address or a host.  -EINVAL, or the first
 * send's -errno (-ENETUNREACH, -EACCES, ...) once both were tried.
 */
int kasa_discovery_send(struct kasa_discovery *d, const struct sockaddr *to, socklen_t tolen,
			uint16_t port, uint16_t klap_port);
/*
 * Read the answers waiting, at most KASA_DISCOVERY_BATCH datagrams, and
 * call cb (may be NULL) for each, as kasa_found_parse() reads it.  Returns
 * how many were reported.  Errors of the socket (a stale ICMP report of a
 * probe nobody heard) are skipped.
 */
#define KASA_DISCOVERY_BATCH 64
int kasa_discovery_receive(struct kasa_discovery *d, kasa_found_cb_t cb, void *userdata);

/*
 * One datagram read as an answer to the probe of transport, from from (an
 * IPv4 address and port).  *ret is always filled on success: info_ok false
 * when the answer is not one (garbage, cut short, a value no device
 * sends), with the address and, for KLAP, port KASA_KLAP_PORT.  -EINVAL
 * when from is not IPv4, -EMSGSIZE over 64 KiB.
 */
int kasa_found_parse(enum kasa_transport transport, const void *datagram, size_t len,
		     const struct sockaddr *from, socklen_t fromlen, struct kasa_found *ret);

/* --- KLAP: the session of newer firmware, without I/O ---------------------
 * Plugs of newer firmware refuse TCP 9999 and speak KLAP: JSON (IOT as on
 * port 9999, or SMART, below) encrypted inside HTTP POSTs to port 80.  These
 * functions hold the cryptography and the session's state; the caller moves
 * the bytes (method, paths, headers and status codes are said below).  Both
 * sides are here: a client (struct kasa_klap_client) and the device
 * (struct kasa_klap_server), so that an emulator speaks with the same code.
 *
 * A client's exchange, every POST a keep-alive HTTP/1.1 request:
 *   kasa_klap_client_handshake1()  ->  POST /app/handshake1, 16 bytes
 *     200, 48 bytes, Set-Cookie: TP_SESSIONID=..;TIMEOUT=..
 *   kasa_klap_cookie_parse()       the session id and lifetime
 *   kasa_klap_client_handshake2()  ->  POST /app/handshake2, 32 bytes,
 *                                      Cookie: TP_SESSIONID=<id>
 *     200
 *   kasa_klap_client_established()
 *   kasa_klap_client_seal()        ->  POST <path>, the body, same cookie
 *     200 (403: the device dropped the session: handshake again)
 *   kasa_klap_client_open()        the answer's JSON
 * and, before each request, kasa_klap_client_expired() says whether to
 * handshake first.  Errors special to KLAP:
 *   -EACCES      the device holds none of the credentials tried (or, on the
 *                server, the client proved none)
 *   -EBADE       a body's signature does not match: tampered, or another
 *                session's
 *   -EOVERFLOW   the session's sequence numbers are used up: handshake again
 *   -ENOTCONN    no session (or no handshake in progress): handshake first
 *   -ESTALE      (server) a sequence number not above the last one taken
 *   -EPROTO      a body of the wrong length, or bad padding inside a good
 *                signature
 */

#define KASA_KLAP_PORT 80
#define KASA_KLAP_SEED_LEN 16
/* remote_seed, then the hash that proves the device's credential. */
#define KASA_KLAP_HANDSHAKE1_LEN 48
#define KASA_KLAP_HANDSHAKE2_LEN 32
/* The most an auth hash takes: 16 bytes in v1, 32 in v2. */
#define KASA_KLAP_AUTH_HASH_MAX 32
/* The signature before the ciphertext of every request and answer. */
#define KASA_KLAP_SIG_LEN 32
/* The largest JSON sealed or opened, as KASA_FRAME_MAX_DEFAULT on TCP; a
 * body is at most KASA_KLAP_BODY_MAX (the signature and a padding block). */
#define KASA_KLAP_PAYLOAD_MAX (64 * 1024)
#define KASA_KLAP_BODY_MAX (KASA_KLAP_SIG_LEN + KASA_KLAP_PAYLOAD_MAX + 16)
/* "/app/request?seq=-2147483648" and its NUL fit. */
#define KASA_KLAP_PATH_MAX 32
/* A session lives for the cookie's TIMEOUT (this when absent), and is
 * renewed KASA_KLAP_RENEW_S seconds before it ends. */
#define KASA_KLAP_TIMEOUT_DEFAULT 86400
#define KASA_KLAP_RENEW_S 1200
/* Real session ids are 32 hex digits. */
#define KASA_KLAP_SESSION_ID_MAX 128

/*
 * The auth hash: v1 MD5(MD5(user) | MD5(password)) for IOT JSON on the
 * first KLAP firmware; v2 SHA256(SHA1(user) | SHA1(password)) for SMART
 * JSON, and for IOT JSON where discovery says "lv":2 or "new_klap":1.
 * Used as flags where more than one may be tried.
 */
enum kasa_klap_version {
	KASA_KLAP_V1 = 1,
	KASA_KLAP_V2 = 2,
};
/* Not known (no discovery data): v1 tried first, then v2. */
#define KASA_KLAP_ANY (KASA_KLAP_V1 | KASA_KLAP_V2)

/*
 * The credentials a device may hold, in the order a client tries them: the
 * account's (the caller's), TP-Link's built-in defaults (a device bound to
 * an account may still answer with KASA's), then blank (never bound).
 */
enum kasa_klap_cred {
	KASA_KLAP_CRED_GIVEN,          /* the user and password the caller gave */
	KASA_KLAP_CRED_KASA,           /* kasa@tp-link.net / kasaSetup */
	KASA_KLAP_CRED_TAPO,           /* test@tp-link.net / test */
	KASA_KLAP_CRED_TAPOCAMERA,     /* admin / admin */
	KASA_KLAP_CRED_KASACAMERA,     /* admin / MD5("admin") in hex */
	KASA_KLAP_CRED_TAPOCAMERA_LV3, /* admin / TPL075526460603 */
	KASA_KLAP_CRED_BLANK,          /* "" / "" */
};
#define KASA_KLAP_CRED_COUNT 7

/* Its name, for a log ("given", "KASA", ..., "blank"); NULL if unknown. */
const char *kasa_klap_cred_name(enum kasa_klap_cred cred);
/* A built-in credential's user and password (static strings); -EINVAL for
 * KASA_KLAP_CRED_GIVEN or an unknown value. */
int kasa_klap_cred_default(enum kasa_klap_cred cred, const char **ret_user,
			   const char **ret_password);

/*
 * Write the auth hash of user and password (UTF-8, as typed; "" for blank)
 * into ret_hash; returns its length (16 in v1, 32 in v2).  -EINVAL for a
 * NULL string or a version that is not one of the two.
 */
int kasa_klap_auth_hash(enum kasa_klap_version version, const char *user, const char *password,
			uint8_t ret_hash[KASA_KLAP_AUTH_HASH_MAX]);

/*
 * An account held as its two hashes, for a program that opens connections
 * long after it read the password (a daemon): the password itself is not
 * kept.  user is kept for messages only.
 */
#define KASA_KLAP_USER_MAX 256
struct kasa_klap_account {
	char user[KASA_KLAP_USER_MAX];
	uint8_t v1[16];
	uint8_t v2[32];
};

/* Hash user and password into *ret.  -EINVAL when user is
 * KASA_KLAP_USER_MAX bytes or longer, or either is NULL. */
int kasa_klap_account_set(struct kasa_klap_account *ret, const char *user, const char *password);

/*
 * The text of a credentials file: the account's e-mail on the first line,
 * its password on the second (either may end in "\r\n"), then nothing but
 * empty lines.  -EBADMSG when a line is missing or empty, a third line has
 * text or a NUL byte is in it; -EINVAL as kasa_klap_account_set().  The
 * caller wipes text.
 */
int kasa_klap_account_parse(struct kasa_klap_account *ret, const char *text, size_t len);

/*
 * The session cookie, from the Set-Cookie headers of handshake 1 (all of
 * them: TIMEOUT may come in one of its own), or from a request's Cookie
 * header on the server.  Every name=value pair is read, attributes too:
 * the device sends TIMEOUT where an attribute would stand.  Other names
 * are skipped.  -EPROTO when TIMEOUT is not a decimal number up to
 * INT32_MAX or the id holds a byte a cookie may not (so it is safe to send
 * back in a header), -EMSGSIZE when the id is too long.
 */
struct kasa_klap_cookie {
	char session_id[KASA_KLAP_SESSION_ID_MAX]; /* TP_SESSIONID; "" when none */
	int64_t timeout_s;                         /* TIMEOUT; -1 when none */
};
int kasa_klap_cookie_parse(const char *const *headers, size_t n, struct kasa_klap_cookie *ret);

/* The seq of a request path's query, as the server reads it: a canonical
 * signed decimal in int32_t's range ("-59551827"), else -EINVAL. */
int kasa_klap_seq_parse(const char *text, int32_t *ret_seq);

/* The client side: one device, one session at a time, one request in flight. */
struct kasa_klap_client;

/*
 * user and password: the account's (both NULL when there is none: only the
 * defaults and blank are tried).  versions: KASA_KLAP_V1, KASA_KLAP_V2 or
 * KASA_KLAP_ANY.  The strings are hashed at once and not kept.  -EINVAL
 * when only one string is given or versions is none of those.
 */
int kasa_klap_client_new(const char *user, const char *password, unsigned versions,
			 struct kasa_klap_client **ret_client);
/* The same with an account held as hashes (NULL: none); copied. */
int kasa_klap_client_new_account(const struct kasa_klap_account *account, unsigned versions,
				 struct kasa_klap_client **ret_client);
/* Wipes the hashes, seeds and keys; accepts NULL. */
void kasa_klap_client_free(struct kasa_klap_client *c);
/* Forget the session (the device answered 403, or its connection is gone). */
void kasa_klap_client_reset(struct kasa_klap_client *c);

/*
 * Start a handshake: forget any session, take the local seed (seed may be
 * NULL: getrandom(2)) and write the body of POST /app/handshake1.
 */
int kasa_klap_client_handshake1(struct kasa_klap_client *c, const uint8_t *seed,
				uint8_t ret_body[KASA_KLAP_SEED_LEN]);

/*
 * Check the 200 answer of handshake 1 against each credential and version
 * in order, and write the body of POST /app/handshake2; the session's keys
 * are made from the credential that matched, which ret_cred and
 * ret_version (either may be NULL) name.  -EPROTO when len is not
 * KASA_KLAP_HANDSHAKE1_LEN, -EACCES when no credential matches,
 * -ENOTCONN with no handshake started; either of the first two ends the
 * handshake (start again with kasa_klap_client_handshake1()).
 */
int kasa_klap_client_handshake2(struct kasa_klap_client *c, const void *answer, size_t len,
				uint8_t ret_body[KASA_KLAP_HANDSHAKE2_LEN],
				enum kasa_klap_cred *ret_cred, enum kasa_klap_version *ret_version);

/*
 * Handshake 2 was answered 200: the session is open.  handshake_usec: when
 * handshake 1 was answered (kasa_now_usec()); timeout_s: the cookie's
 * TIMEOUT, negative when there was none (KASA_KLAP_TIMEOUT_DEFAULT).
 * -ENOTCONN unless kasa_klap_client_handshake2() succeeded just before.
 */
int kasa_klap_client_established(struct kasa_klap_client *c, uint64_t handshake_usec,
				 int64_t timeout_s);

/*
 * Whether to handshake before the next request: there is no session, or it
 * is old (now_usec > handshake_usec + TIMEOUT - KASA_KLAP_RENEW_S: with a
 * TIMEOUT under KASA_KLAP_RENEW_S, before every request), or its sequence
 * numbers are used up.
 */
bool kasa_klap_client_expired(const struct kasa_klap_client *c, uint64_t now_usec);

/*
 * Seal a request: the sequence number goes up by one, ret_path gets
 * "/app/request?seq=<seq>" and *ret_body (owned, free()) the signature
 * and the ciphertext, *ret_len bytes.  -ENOTCONN with no session,
 * -EOVERFLOW when seq would pass INT32_MAX (handshake again; nothing
 * changed), -EMSGSIZE over KASA_KLAP_PAYLOAD_MAX.
 */
int kasa_klap_client_seal(struct kasa_klap_client *c, const void *json, size_t len,
			  char ret_path[KASA_KLAP_PATH_MAX], uint8_t **ret_body, size_t *ret_len);

/*
 * Open the 200 answer to the request sealed last: check its signature, then
 * decrypt it.  *ret_json is owned (free()), NUL-terminated, *ret_len bytes
 * without the NUL.  -EPROTO (a length no answer has, or bad padding),
 * -EBADE (the signature), -EMSGSIZE (over KASA_KLAP_BODY_MAX), -ENOTCONN.
 */
int kasa_klap_client_open(struct kasa_klap_client *c, const void *body, size_t len, char **ret_json,
			  size_t *ret_len);

/* The device side: one credential, one session at a time (a new handshake
 * ends the last one, as on real plugs). */
struct kasa_klap_server;

/* auth_hash: the device's credential (see kasa_klap_auth_hash()), len 16
 * for v1, 32 for v2, else -EINVAL.  It is copied. */
int kasa_klap_server_new(enum kasa_klap_version version, const uint8_t *auth_hash, size_t len,
			 struct kasa_klap_server **ret_server);
/* Wipes the hash, seeds and keys; accepts NULL. */
void kasa_klap_server_free(struct kasa_klap_server *s);
/* End the session: the next request is refused (-ENOTCONN: answer 403). */
void kasa_klap_server_reset(struct kasa_klap_server *s);

/*
 * Answer POST /app/handshake1 (body: the client's seed, else -EPROTO):
 * ends any session, takes remote_seed (NULL: getrandom(2)) and writes the
 * 48-byte answer to send with 200 and the cookie.
 */
int kasa_klap_server_handshake1(struct kasa_klap_server *s, const void *body, size_t len,
				const uint8_t *remote_seed,
				uint8_t ret_answer[KASA_KLAP_HANDSHAKE1_LEN]);

/*
 * Check POST /app/handshake2's body: 0 and the session is open (answer
 * 200), -EACCES when the client does not hold the credential, -EPROTO on a
 * wrong length, -ENOTCONN when no handshake 1 came before.  Either error
 * ends the handshake.
 */
int kasa_klap_server_handshake2(struct kasa_klap_server *s, const void *body, size_t len);

/*
 * Open a request: seq from the path (kasa_klap_seq_parse()), then as
 * kasa_klap_client_open().  The signature is checked first, then seq must
 * be above the last one taken in this session (-ESTALE).  -ENOTCONN with
 * no session (answer 403).
 */
int kasa_klap_server_open(struct kasa_klap_server *s, int32_t seq, const void *body, size_t len,
			  char **ret_json, size_t *ret_len);

/* Seal the answer to the request opened last (its seq, its IV).  *ret_body
 * is owned (free()).  -ENOTCONN when no request was opened in the session,
 * -EMSGSIZE over KASA_KLAP_PAYLOAD_MAX. */
int kasa_klap_server_seal(struct kasa_klap_server *s, const void *json, size_t len,
			  uint8_t **ret_body, size_t *ret_len);

/* --- KLAP connection: the whole exchange over HTTP, driven by a loop -----
 * One device, one kept-alive HTTP/1.1 connection (libcurl's multi
 * interface), one request in flight, in the shape of struct kasa_conn: a
 * loop watches kasa_klap_conn_fd() for kasa_klap_conn_events() (poll(2)
 * bits) until kasa_klap_conn_deadline(), and calls kasa_klap_conn_process()
 * when the fd is ready or the deadline has passed.  All three change after
 * any call (libcurl may close the socket and open another, whose number may
 * be the same): read them again every time.  While busy there is at most
 * one socket (one address, one connection); fd() is -1 when libcurl waits
 * on a timer alone, and the deadline then is that timer's.
 *
 * A request runs the whole exchange: handshake 1 and 2 first when there is
 * no session or it is old (kasa_klap_client_expired()), then the sealed
 * request.  A 403 on the request (or, in SMART, an error_code that says the
 * session is over) drops the session: one new handshake and the request
 * once more, then -EKEYEXPIRED.  The session outlives the TCP connection.
 * Names are not resolved here: the caller passes the address (kasa_lookup
 * in the daemon, kasa_klap_call() below), and libcurl connects to it.
 * Besides the library's codes, a request ends with:
 *   -EACCES       handshake 1: the device holds none of the credentials
 *                 tried (kasa_klap_conn_user() says which account was)
 *   -EPERM        handshake 1 answered 403: the device lets no local
 *                 client in (the Kasa or Tapo app's Third-Party
 *                 Compatibility switch is off)
 *   -EKEYEXPIRED  the device dropped the session again right after a new
 *                 handshake
 *   -EPROTO       an HTTP status other than 200 (a handshake's, or the
 *                 request's other than 403), a handshake answer of the wrong
 *                 length or without TP_SESSIONID, a truncated body
 *   -EBADE        the answer's signature does not match
 *   -EBADMSG      (SMART) the answer is not a JSON object
 *   -EMSGSIZE     a body over KASA_KLAP_BODY_MAX, or headers over 16 KiB
 *   -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -ETIMEDOUT as kasa_conn
 */
struct kasa_klap_conn;

/* What the sealed JSON is: IOT (the port 9999 requests and parsers above)
 * or SMART (below). */
enum kasa_klap_proto {
	KASA_KLAP_PROTO_IOT,
	KASA_KLAP_PROTO_SMART,
};

/*
 * addr: the device's address and port (KASA_KLAP_PORT as a rule); copied.
 * versions: KASA_KLAP_V1, KASA_KLAP_V2 or KASA_KLAP_ANY (the handshake's
 * answer tells which matched, see kasa_klap_conn_matched()); SMART is v2
 * only (ANY means v2, V1 is -EINVAL).  user and password as
 * kasa_klap_client_new(): hashed at once; the password is not kept.
 * -EINVAL, -EAFNOSUPPORT (not IPv4 or IPv6), -ENOMEM.
 */
int kasa_klap_conn_new(const struct sockaddr *addr, socklen_t addrlen, enum kasa_klap_proto proto,
		       unsigned versions, const char *user, const char *password,
		       struct kasa_klap_conn **ret_conn);
/* The same with an account held as hashes (NULL: none); copied. */
int kasa_klap_conn_new_account(const struct sockaddr *addr, socklen_t addrlen,
			       enum kasa_klap_proto proto, unsigned versions,
			       const struct kasa_klap_account *account,
			       struct kasa_klap_conn **ret_conn);
/* Abandons any request, closes the connection, wipes the session; accepts NULL. */
void kasa_klap_conn_free(struct kasa_klap_conn *c);

/*
 * Start a request (json: len bytes, copied), handshaking first if needed;
 * all of it must finish by now_usec + timeout_usec.  -EBUSY if a request is
 * in flight, -EMSGSIZE over KASA_KLAP_PAYLOAD_MAX; may end at once with an
 * error, returned here.
 */
int kasa_klap_conn_start(struct kasa_klap_conn *c, const char *json, size_t len,
			 uint64_t now_usec, uint64_t timeout_usec);
/* -1 when there is nothing to watch. */
int kasa_klap_conn_fd(const struct kasa_klap_conn *c);
/* poll(2) bits wanted now; 0 when idle. */
uint32_t kasa_klap_conn_events(const struct kasa_klap_conn *c);
/* When process() must be called even with no event; 0 when idle. */
uint64_t kasa_klap_conn_deadline(const struct kasa_klap_conn *c);
bool kasa_klap_conn_busy(const struct kasa_klap_conn *c);

/*
 * Advance the request: revents are the fd's (0 on a timer).  0 while in
 * progress, 1 when the answer is in (kasa_klap_conn_reply()), or the -errno
 * that ended the request.
 */
int kasa_klap_conn_process(struct kasa_klap_conn *c, uint32_t revents, uint64_t now_usec);

/* The opened JSON, NUL-terminated.  Borrowed until the next start. */
const char *kasa_klap_conn_reply(const struct kasa_klap_conn *c, size_t *ret_len);

/* Abandon any request and close the connection; the session is kept. */
void kasa_klap_conn_close(struct kasa_klap_conn *c);

/* The user name of the account tried, for a message (borrowed); NULL when
 * none was given (only the defaults and blank are tried). */
const char *kasa_klap_conn_user(const struct kasa_klap_conn *c);

/* Which credential and version the last handshake matched, to keep (the
 * next connection to the device can ask for that version alone).
 * -ENOTCONN before any handshake matched.  Either pointer may be NULL. */
int kasa_klap_conn_matched(const struct kasa_klap_conn *c, enum kasa_klap_cred *ret_cred,
			   enum kasa_klap_version *ret_version);

/*
 * The blocking round trip over a struct kasa_klap_conn, as kasa_call():
 * resolve host, handshake, send json, wait for the answer, all within
 * timeout_ms.  *ret_reply is owned (free()), NUL-terminated.  The errors of
 * kasa_call() and of the connection above.
 */
int kasa_klap_call(const char *host, uint16_t port, enum kasa_klap_proto proto, unsigned versions,
		   const char *user, const char *password, const char *json, int timeout_ms,
		   char **ret_reply, size_t *ret_len);

/* --- SMART JSON (Tapo and newer Kasa firmware, over KLAP v2) ------------
 * A request is {"method":"<name>","params":{...}}; a reply is
 * {"error_code":0,"result":{...}}, or, for a multipleRequest, one reply per
 * request in result.responses[].  The parsers below take either form and
 * fill the same structs as the IOT parsers above.  A nonzero error_code
 * maps to -errno (kasa_smart_errno()), with the code in ret_err->code:
 *   -ENOSYS        unknown method                        (-1002)
 *   -EINVAL        bad parameters, or JSON it could not read (-1008, -1003)
 *   -EACCES        the device refused the credentials    (-1501, 1111, ...)
 *   -EKEYEXPIRED   the session is over: handshake again  (9999, -40401, -40413)
 *   -EREMOTEIO     any other
 */

/*
 * What a request carries beside method and params, as python-kasa sends
 * them; devices do not require them.  NULL (or a zero time and a NULL
 * uuid) leaves them out.
 */
struct kasa_smart_stamp {
	int64_t time_ms;              /* request_time_milis: ms since 1970; 0: none */
	const uint8_t *terminal_uuid; /* 16 bytes, sent in base64; NULL: none */
};

/*
 * Each builder writes a newly allocated JSON string to *ret_json (owned,
 * free()).  kasa_smart_req(): method is a name (1 to 63 letters, digits and
 * underscores, else -EINVAL), params a JSON object's text (else -EINVAL;
 * over 64 KiB -EMSGSIZE) or NULL for none.
 */
int kasa_smart_req(const char *method, const char *params, const struct kasa_smart_stamp *stamp,
		   char **ret_json);
int kasa_smart_req_device_info(const struct kasa_smart_stamp *stamp, char **ret_json);
int kasa_smart_req_device_on(bool on, const struct kasa_smart_stamp *stamp, char **ret_json);
int kasa_smart_req_energy_usage(const struct kasa_smart_stamp *stamp, char **ret_json);
int kasa_smart_req_current_power(const struct kasa_smart_stamp *stamp, char **ret_json);
int kasa_smart_req_component_nego(const struct kasa_smart_stamp *stamp, char **ret_json);
/* set_device_info {"nickname": base64 of alias}: alias as kasa_req_alias()
 * takes it (1 to 63 bytes of UTF-8, no control character), else -EINVAL. */
int kasa_smart_req_nickname(const char *alias, const struct kasa_smart_stamp *stamp,
			    char **ret_json);
/* set_led_info {"led_rule":"always"} (on) or {"led_rule":"never"} (off). */
int kasa_smart_req_led(bool on, const struct kasa_smart_stamp *stamp, char **ret_json);
/* set_device_info {"brightness":N}: a dimmer's level, as kasa_req_brightness()
 * takes it (KASA_BRIGHTNESS_MIN..KASA_BRIGHTNESS_MAX, else -EINVAL). */
int kasa_smart_req_brightness(int brightness, const struct kasa_smart_stamp *stamp,
			      char **ret_json);
/* device_reboot {"delay":1}: with no delay the device may restart before
 * its answer goes out. */
int kasa_smart_req_reboot(const struct kasa_smart_stamp *stamp, char **ret_json);
/* get_device_time. */
int kasa_smart_req_device_time(const struct kasa_smart_stamp *stamp, char **ret_json);

/* The most requests one multipleRequest carries here (python-kasa sends 5). */
#define KASA_SMART_MULTIPLE_MAX 32
/*
 * multipleRequest {"requests":[{"method":m},...]}: n methods without
 * params, in order, each named as kasa_smart_req() takes it (and not
 * multipleRequest itself), else -EINVAL; -EINVAL for n 0, -EMSGSIZE over
 * KASA_SMART_MULTIPLE_MAX.  The stamp goes on the outer request.  Read the
 * answer with the parsers below, which find their method's entry.
 */
int kasa_smart_req_multiple(const char *const *methods, size_t n,
			    const struct kasa_smart_stamp *stamp, char **ret_json);

/* Map a SMART error_code to the library's -errno (see above). */
int kasa_smart_errno(int error_code);

/*
 * Check the reply's error_code and borrow its result (*ret_result is NULL
 * when the reply has none, as set_device_info may answer).  For a
 * multipleRequest reply, the entry of the given method, checked likewise;
 * method may be NULL for a single reply.  ret_err as with
 * kasa_reply_result().  -EBADMSG when error_code is missing or not an
 * integer, result not an object, or no entry answers method.
 */
int kasa_smart_result(struct json_object *reply, const char *method,
		      struct json_object **ret_result, struct kasa_device_error *ret_err);

/*
 * get_device_info into *ret: relay_on from device_on (has_relay), alias
 * from the base64 nickname (text that does not decode to well-formed UTF-8
 * is taken as the name itself), model, hw_ver, sw_ver (fw_ver), device_id,
 * hw_id, oem_id, type, mac (AA-BB-.. written AA:BB:.. as the IOT
 * parsers keep it), rssi, on_time, latitude and longitude (in 1e-4
 * degrees on the wire).  get_device_info does not say whether the device
 * has a meter: has_emeter is false and feature "" (see
 * kasa_smart_component()); led_on is true.  A dimmer's brightness as
 * sysinfo's (has_brightness).  -EBADMSG without device_id, or with a
 * brightness that is not a whole number 0..100.
 */
int kasa_smart_sysinfo_parse(struct json_object *reply, struct kasa_sysinfo *ret,
			     struct kasa_device_error *ret_err);

/* What get_energy_usage says beside the power. */
struct kasa_smart_energy {
	int64_t today_wh, month_wh;                   /* -1 when absent */
	int64_t today_runtime_min, month_runtime_min; /* -1 when absent */
};

/*
 * get_energy_usage: current_power (mW) into *ret_emeter's power_mw and
 * power_w (new_style; voltage, current and total are not sent: 0;
 * slot_id -1), the rest into *ret_energy (may be NULL).  -EBADMSG without
 * current_power, or when a reading is out of the IOT parsers' range.
 */
int kasa_smart_energy_parse(struct json_object *reply, struct kasa_emeter *ret_emeter,
			    struct kasa_smart_energy *ret_energy,
			    struct kasa_device_error *ret_err);
/* get_current_power: current_power, in W there, into *ret as above (not new_style). */
int kasa_smart_power_parse(struct json_object *reply, struct kasa_emeter *ret,
			   struct kasa_device_error *ret_err);

/*
 * Whether component_nego's component_list names id ("energy_monitoring",
 * "led", ...): 1 (and its ver_code in *ret_ver_code, which may be NULL),
 * 0 when not, or -errno as kasa_smart_result().
 */
int kasa_smart_component(struct json_object *reply, const char *id, int *ret_ver_code,
			 struct kasa_device_error *ret_err);

/*
 * get_led_info: whether the LED is set to light, from led_rule ("never" is
 * off; "always" and "night_mode" on), else from led_status.  -EBADMSG when
 * neither says.
 */
int kasa_smart_led_parse(struct json_object *reply, bool *ret_on,
			 struct kasa_device_error *ret_err);

/* What get_device_time says. */
struct kasa_smart_time {
	int64_t timestamp;      /* seconds since 1970, UTC */
	int time_diff_min;      /* the device's offset from UTC, in minutes; 0 when absent */
	char region[64];        /* a time zone name ("Europe/Berlin"); "" when absent */
	struct kasa_time local; /* timestamp + time_diff: the device's wall clock */
};

/*
 * get_device_time into *ret.  -EBADMSG without a timestamp, or one before
 * 1970 or after 9999, or a time_diff beyond a day.
 */
int kasa_smart_time_parse(struct json_object *reply, struct kasa_smart_time *ret,
			  struct kasa_device_error *ret_err);

/* --- Text ---------------------------------------------------------------- */

/*
 * The length in bytes (1 to 4) of the well-formed UTF-8 character at the
 * start of the NUL-terminated s, or 0 when s does not start one: a stray
 * continuation byte, a sequence cut short, an overlong form, a UTF-16
 * surrogate or a code point past U+10FFFF.
 */
size_t kasa_utf8_char_len(const char *s);

/*
 * Copy the NUL-terminated src into dst[size] as well-formed UTF-8: each
 * byte that does not start a well-formed character becomes U+FFFD, and the
 * text ends before the first character that would not fit whole.  Returns
 * the length written, without the NUL; writes nothing when size is 0.
 * Every string a reply parser below keeps is copied so (outlet ids aside).
 */
size_t kasa_utf8_copy(char *dst, size_t size, const char *src);

/* --- Errors ------------------------------------------------------------- */

/* A short English text for any error this library returns (err < 0). */
const char *kasa_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
