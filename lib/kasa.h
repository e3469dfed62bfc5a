/* SPDX-License-Identifier: MIT */
/*
 * libkasa: the TP-Link Kasa LAN protocol (TCP and UDP port 9999).
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
/* Forget everything fed so far; ready for the next frame. */
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
	bool updating;
	double latitude, longitude; /* either style, in degrees */
	unsigned outlet_count;      /* child_num; 0 for single plugs */
	struct kasa_outlet outlets[KASA_OUTLETS_MAX];
};

/* Fill *ret from reply.system.get_sysinfo (old, new and nested variants).
 * -EBADMSG when a strip lists more than KASA_OUTLETS_MAX children (real
 * strips have up to six), with the count in ret_err->msg. */
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

/* --- Non-blocking connection ---------------------------------------------
 * One connection to one device, one request in flight.  An event loop
 * watches kasa_conn_fd() for kasa_conn_events() (poll(2)/epoll(7) bits:
 * POLLIN/EPOLLIN, POLLOUT/EPOLLOUT) until kasa_conn_deadline(), and calls
 * kasa_conn_process() when the fd is ready or the deadline has passed.
 * The fd can change after any call (a reconnect): re-read it every time.
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
/* Events wanted now; 0 when idle. */
uint32_t kasa_conn_events(const struct kasa_conn *c);
/* Absolute deadline of the request in flight; 0 when idle. */
uint64_t kasa_conn_deadline(const struct kasa_conn *c);
bool kasa_conn_busy(const struct kasa_conn *c);

/*
 * Advance the request.  revents may be 0 (for example on a timer).  Returns
 * 0 while in progress, 1 when the reply is complete (read it with
 * kasa_conn_reply()), or a -errno that ended the request; the connection is
 * then closed and the next start reconnects.  A reused connection found dead
 * before any reply byte arrived is reopened once and the request sent again.
 */
int kasa_conn_process(struct kasa_conn *c, uint32_t revents, uint64_t now_usec);

/* The decrypted reply, NUL-terminated.  Borrowed until the next start. */
const char *kasa_conn_reply(const struct kasa_conn *c, size_t *ret_len);

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

/* --- Discovery ---------------------------------------------------------- */

struct kasa_found {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[64];  /* numeric address */
	uint16_t port;
	struct kasa_sysinfo info;
	bool info_ok;   /* false when the reply was truncated or unparsable */
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
