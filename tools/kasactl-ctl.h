/* SPDX-License-Identifier: MIT */
/*
 * kasactl: what every command shares (kasactl-ctl.c): one invocation against
 * one device, its error reporting, the round trip and small parsers.  Not
 * installed.
 */
#ifndef KASACTL_CTL_H
#define KASACTL_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "kasa.h"

/* Exit codes, documented in --help and docs/kasactl.md. */
#define KASACTL_EXIT_OK		 0 /* success */
#define KASACTL_EXIT_DEVICE	 1 /* the plug refused, or sent an error or garbage */
#define KASACTL_EXIT_USAGE	 2 /* bad command line */
#define KASACTL_EXIT_UNREACHABLE 3 /* refused, no route, resolution failure, timeout */
/* Not an exit code: --transport auto found a SMART device, and the command
 * must start again with SMART requests (nothing has been printed). */
#define KASACTL_RESTART_SMART 100

/* Longer aliases would not fit struct kasa_sysinfo, so status could not show them. */
#define KASACTL_ALIAS_MAX 63

/* _cleanup_(json_object_putp) */
DEFINE_CLEANUP_FUNC(struct json_object *, json_object_put)

/* One invocation against one device. */
struct ctl {
	char host[256]; /* name or address, IPv6 without brackets */
	uint16_t port;
	char where[300]; /* "host:port" or "[v6]:port", for messages */
	double timeout_s;
	uint64_t deadline; /* kasa_now_usec() clock; the whole command must end by then */
	bool json;
	int outlet;		    /* -1 when --outlet was not given */
	char child_id[KASA_ID_MAX]; /* set by ctl_resolve_outlet() */
	/* KLAP (--klap, --smart): the versions to try, 0 on port 9999; the
	 * JSON inside; the account (NULL: TP-Link's defaults and blank). */
	unsigned klap;
	enum kasa_klap_proto proto;
	const char *user, *password;
	/*
	 * --transport auto: XOR on port first (auto_xor until it answers or
	 * fails); when refused, KLAP on klap_port (klap becomes KASA_KLAP_ANY,
	 * refused says where XOR was refused), and a device answering IOT JSON
	 * with SMART's error_code is a SMART one (auto_smart until then).
	 */
	bool auto_xor, auto_smart;
	uint16_t klap_port;
	char refused[300];
	bool verbose; /* -v: one line on stderr per decision */
};

/* Each of these returns an exit code and prints its own errors. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_error(const struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* With -v, one line on stderr: "kasactl: " and the text. */
void ctl_verbose(const struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * daily and monthly have nothing to ask a SMART device: one line saying so.
 * Known from --smart (c NULL): a usage error; found out from the device
 * (--transport auto, c its ctl): 1.
 */
int ctl_no_smart(const struct ctl *c, const char *command);
/* A builder's failure (kasa_req_*()) as an error message and exit status. */
int ctl_build_error(struct ctl *c, int err);
int ctl_call(struct ctl *c, const char *req, struct json_object **ret_reply);
/* ctl_call() on what a builder made: built is what it returned, req what it
 * made (taken, freed here). */
int ctl_send(struct ctl *c, int built, char *req, struct json_object **ret_reply);
int ctl_device_error(const struct ctl *c, const char *what, int err,
		     const struct kasa_device_error *derr);
int ctl_sysinfo(struct ctl *c, struct kasa_sysinfo *ret_info);
int ctl_resolve_outlet(struct ctl *c, const struct kasa_sysinfo *info);
/* ctl_sysinfo(), then with --outlet ctl_resolve_outlet(). */
int ctl_load(struct ctl *c, struct kasa_sysinfo *ret_info);
int ctl_print_json(struct json_object *obj);

/* Whether the device speaks SMART JSON (--smart), not IOT. */
static inline bool ctl_smart(const struct ctl *c)
{
	return c->klap && c->proto == KASA_KLAP_PROTO_SMART;
}

/* The child id with --outlet, NULL without (borrowed from c). */
const char *ctl_child(const struct ctl *c);
int ctl_timeout_ms(const struct ctl *c);
void ctl_sanitize(const char *in, char *out, size_t size);
struct json_object *ctl_json_double(double d);
/* With --outlet, add "outlet" and "child_id" to obj. */
void ctl_json_add_outlet(const struct ctl *c, struct json_object *obj);
int ctl_parse_uint(const char *s, unsigned long max, unsigned long *ret);
/* 1..65535 */
int ctl_parse_port(const char *s, uint16_t *ret);
int ctl_parse_target(const char *arg, uint16_t default_port, char *ret_host, size_t host_size,
		     uint16_t *ret_port);
void ctl_format_where(const char *host, uint16_t port, char *buf, size_t size);

#endif
