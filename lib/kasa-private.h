/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by libkasa's files; not installed.  The cleanup
 * macros and the clock are common/'s, shared with the daemon and the tools. */
#ifndef KASA_PRIVATE_H
#define KASA_PRIVATE_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/macro.h"
#include "kasa.h"

#include <json-c/json.h>

/* Marks a function as part of the public ABI; everything else is hidden. */
#define KASA_EXPORT __attribute__((visibility("default")))

/* Map a getaddrinfo() error to -errno (-ENXIO: the name does not resolve). */
int kasa_gai_errno(int gai);

/*
 * An asynchronous name lookup (getaddrinfo_a) of host:port for a TCP
 * connection; a numeric address is answered at once.  A loop watches
 * kasa_lookup_fd() and checks when it is readable; a blocking caller
 * waits with kasa_lookup_wait().
 */
struct kasa_lookup;
struct addrinfo;

int kasa_lookup_start(const char *host, uint16_t port, struct kasa_lookup **ret_lookup);
/*
 * A descriptor that becomes readable (POLLIN) once the lookup has ended, and
 * stays so; -1 when there is nothing to wait for (an address: checking
 * answers at once).  Borrowed: kasa_lookup_free() closes it.
 */
int kasa_lookup_fd(const struct kasa_lookup *l);
/*
 * 0 while the lookup runs, 1 when it is done (*ret_res, borrowed until
 * kasa_lookup_free(), holds the addresses in the order to try), or -errno
 * (-ENXIO: the name does not resolve).
 */
int kasa_lookup_check(struct kasa_lookup *l, const struct addrinfo **ret_res);
/* Check, blocking until the lookup ends or deadline (kasa_now_usec()) passes:
 * then -ETIMEDOUT. */
int kasa_lookup_wait(struct kasa_lookup *l, uint64_t deadline, const struct addrinfo **ret_res);
/* Abandons a lookup, even one still running: its descriptor is closed at
 * once, its memory when glibc is done with it.  Accepts NULL. */
void kasa_lookup_free(struct kasa_lookup *l);
/*
 * Wait until every lookup is freed and glibc done with each, or deadline
 * (kasa_now_usec()) passes: then -ETIMEDOUT.  For a program or a test that
 * wants nothing of its lookups left behind when it exits.
 */
int kasa_lookup_settle(uint64_t deadline);

/* --- Requests (request.c) ---------------------------------------------- */

/*
 * Real plugs are said to keep about 31 characters of an alias.  We refuse
 * only what could not come back whole in struct kasa_sysinfo.alias (63
 * bytes) and leave any shorter limit to the device.  Control characters
 * are refused too: no name needs them, and they would end up in logs and
 * user interfaces.
 */
#define KASA_ALIAS_LEN_MAX 63

/* An alias a plug may be given, IOT's alias or SMART's nickname: 1 to
 * KASA_ALIAS_LEN_MAX bytes of well-formed UTF-8, no control character. */
bool kasa_alias_valid(const char *alias);

/* --- Reading a plug's JSON (json-read.c) ------------------------------- */

/* Refuse a reply with -EBADMSG, saying why in ret_err (code 0) when the
 * caller passed one. */
__attribute__((format(printf, 2, 3))) int kasa_bad_reply(struct kasa_device_error *ret_err,
							 const char *fmt, ...);
/* Borrow obj[key] if it has the given type. */
struct json_object *kasa_json_typed(struct json_object *obj, const char *key, enum json_type type);
/* Copy a string member as well-formed UTF-8 (it will end up in JSON, logs
 * and terminals); leave dst alone when absent or not a string. */
bool kasa_json_str(struct json_object *obj, const char *key, char *dst, size_t size);
/* An integer (or boolean) member; false when absent or of another type. */
bool kasa_json_int64(struct json_object *obj, const char *key, int64_t *ret);
/* A reading the plug must get right when it sends it: 1 when present and
 * within +-max, 0 when absent, -EBADMSG (and why, in ret_err) when it is
 * not a number, not finite or out of that range. */
int kasa_json_reading(struct json_object *obj, const char *key, double max, double *ret,
		      struct kasa_device_error *ret_err);
/* A percentage the plug must get right when it sends it (a dimmer's
 * brightness): 1 when present and a whole number 0..100, 0 when absent,
 * -EBADMSG (and why, in ret_err) when it is anything else. */
int kasa_json_percent(struct json_object *obj, const char *key, int *ret,
		      struct kasa_device_error *ret_err);
/* A MAC as the IOT firmware writes it, "AA:BB:CC:DD:EE:FF", from SMART's
 * "aa-bb-.." or bare twelve digits; anything else is kept as (UTF-8) text. */
void kasa_mac_copy(char *dst, size_t size, const char *src);
/* reader.c's struct, for what embeds one (a connection: a plug's kept
 * connection is then one allocation, not two). */
enum reader_state {
	READER_HEADER,
	READER_BODY,
	READER_TO_EOF, /* zero length header: the payload ends at EOF */
	READER_DONE,
	READER_FAILED,
};

struct kasa_reader {
	enum reader_state state;
	int error;
	size_t max;
	uint8_t header[KASA_HEADER_LEN];
	size_t header_got;
	size_t want; /* payload length announced */
	size_t got;
	size_t cap;  /* allocated, excluding the NUL */
	char *buf;
};

/* An embedded reader: set up (max_payload 0: the default), and its buffer
 * freed. */
void kasa_reader_init(struct kasa_reader *r, size_t max_payload);
void kasa_reader_done(struct kasa_reader *r);

/* Half away from zero, without libm; x must be bounded (as readings are). */
static inline int64_t kasa_round_i64(double x)
{
	return (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
}

#endif
