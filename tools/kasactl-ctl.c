/* SPDX-License-Identifier: MIT */
/* kasactl: what every command shares: errors, the round trip, small parsers. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kasactl-ctl.h"

/* "kasactl: " or "kasactl: WHERE: ", then the message, on stderr. */
static void vsay(const struct ctl *c, const char *fmt, va_list ap)
{
	if (c)
		fprintf(stderr, "kasactl: %s: ", c->where);
	else
		fputs("kasactl: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(NULL, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kasactl --help' for more information.\n", stderr);
	return KASACTL_EXIT_USAGE;
}

/* Report a problem that is not the device's fault nor the network's. */
int ctl_error(const struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(c, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return KASACTL_EXIT_DEVICE;
}

void ctl_verbose(const struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	fputs("kasactl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_no_smart(const struct ctl *c, const char *command)
{
	if (c)
		fprintf(stderr, "kasactl: %s: ", c->where);
	else
		fputs("kasactl: ", stderr);
	fprintf(stderr,
		"%s is not available over SMART: its devices keep the history in "
		"get_energy_data, which kasactl does not read (emeter gives today's and this "
		"month's energy)\n",
		command);
	return c ? KASACTL_EXIT_DEVICE : KASACTL_EXIT_USAGE;
}

/* Errors of the transport that mean "could not reach the plug in time". */
static bool err_is_unreachable(int err)
{
	switch (-err) {
	case ETIMEDOUT:
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
	case ENXIO:  /* name resolution failed */
	case EAGAIN: /* temporary resolver failure */
		return true;
	default:
		return false;
	}
}

int ctl_timeout_ms(const struct ctl *c)
{
	uint64_t now = kasa_now_usec();

	if (now >= c->deadline)
		return 0;
	return (int)((c->deadline - now + 999) / 1000);
}

/* One request, one reply: send req, parse the answer into a JSON object. */
int ctl_build_error(struct ctl *c, int err)
{
	/* Arguments are checked before; what is left to refuse came from the
	 * device: an outlet id made of its deviceId. */
	if (err == -EINVAL && c->outlet >= 0)
		return ctl_error(c, "cannot build the request: the id of outlet %d is not usable",
				 c->outlet);
	return ctl_error(c, "cannot build the request: %s", kasa_strerror(err));
}

/* --transport auto: port 9999 refused; from now on, KLAP on klap_port. */
static void fall_back_to_klap(struct ctl *c)
{
	ctl_verbose(c, "%s refused the connection; trying KLAP on port %u", c->where,
		    (unsigned)c->klap_port);
	snprintf(c->refused, sizeof(c->refused), "%s", c->where);
	c->klap = KASA_KLAP_ANY;
	c->proto = KASA_KLAP_PROTO_IOT;
	c->port = c->klap_port;
	ctl_format_where(c->host, c->port, c->where, sizeof(c->where));
	c->auto_smart = true;
}

/* One round trip on the transport chosen, or, with --transport auto, on
 * the first that connects. */
static int round_trip(struct ctl *c, const char *req, char **ret_buf, size_t *ret_len)
{
	int ms = ctl_timeout_ms(c), r;

	if (ms <= 0)
		return -ETIMEDOUT;
	if (!c->klap) {
		r = kasa_call(c->host, c->port, req, ms, ret_buf, ret_len);
		if (!c->auto_xor)
			return r;
		c->auto_xor = false;
		if (r != -ECONNREFUSED) {
			if (r >= 0)
				ctl_verbose(c, "%s answered over XOR", c->where);
			return r;
		}
		fall_back_to_klap(c);
		ms = ctl_timeout_ms(c);
		if (ms <= 0)
			return -ETIMEDOUT;
	}
	return kasa_klap_call(c->host, c->port, c->proto, c->klap, c->user, c->password, req, ms,
			      ret_buf, ret_len);
}

/*
 * --transport auto, the first answer over KLAP: IOT replies never carry a
 * top-level error_code, SMART ones always do (a SMART device answers IOT
 * JSON with -1003, JSON it cannot read).  Nothing was done on the device.
 */
static bool answers_smart(struct ctl *c, struct json_object *reply)
{
	if (!c->auto_smart)
		return false;
	c->auto_smart = false;
	if (!json_object_object_get_ex(reply, "error_code", NULL))
		return false;
	ctl_verbose(c, "%s answers SMART JSON; sending SMART requests", c->where);
	c->klap = KASA_KLAP_V2;
	c->proto = KASA_KLAP_PROTO_SMART;
	return true;
}

int ctl_call(struct ctl *c, const char *req, struct json_object **ret_reply)
{
	_cleanup_free_ char *buf = NULL;
	struct json_object *reply;
	size_t len = 0;
	int r;

	if (!req)
		return ctl_error(c, "cannot build the request: %s", strerror(ENOMEM));

	r = round_trip(c, req, &buf, &len);
	if (r < 0) {
		const char *text = kasa_strerror(r);

		fprintf(stderr, "kasactl: %s: %s", c->where, text);
		if (r == -ETIMEDOUT)
			fprintf(stderr, " (no complete reply within %g s)", c->timeout_s);
		else if (r == -ECONNREFUSED && !c->klap)
			fputs(" (newer firmware moves to an encrypted transport on port 80 (KLAP): "
			      "try --klap, --smart for Tapo-style devices, or --transport auto)",
			      stderr);
		else if (c->refused[0] && err_is_unreachable(r))
			fprintf(stderr, " (KLAP, tried after %s refused the connection)",
				c->refused);
		else if (r == -EACCES && c->klap)
			fprintf(stderr, " (tried %s%s, then TP-Link's defaults and blank)",
				c->user ? "the account " : "no account", c->user ? c->user : "");
		fputc('\n', stderr);
		return err_is_unreachable(r) ? KASACTL_EXIT_UNREACHABLE : KASACTL_EXIT_DEVICE;
	}

	r = kasa_reply_parse(buf, len, &reply);
	if (r < 0)
		return ctl_error(c, "%s", kasa_strerror(r));
	if (answers_smart(c, reply)) {
		json_object_put(reply);
		return KASACTL_RESTART_SMART;
	}
	*ret_reply = reply;
	return KASACTL_EXIT_OK;
}

int ctl_send(struct ctl *c, int built, char *req, struct json_object **ret_reply)
{
	_cleanup_free_ char *owned = req;

	if (built < 0)
		return ctl_build_error(c, built);
	return ctl_call(c, owned, ret_reply);
}

/* The device answered, but not with what we asked for. */
int ctl_device_error(const struct ctl *c, const char *what, int err,
		     const struct kasa_device_error *derr)
{
	if (derr && derr->code != 0 && derr->msg[0]) {
		char msg[sizeof(derr->msg)];

		ctl_sanitize(derr->msg, msg, sizeof(msg));
		return ctl_error(c, "%s: the device says \"%s\" (err_code %d: %s)", what, msg,
				 derr->code, kasa_strerror(err));
	}
	if (derr && derr->code != 0)
		return ctl_error(c, "%s: %s (err_code %d)", what, kasa_strerror(err), derr->code);
	if (derr && err == -EBADMSG && derr->msg[0]) {
		/* libkasa's reason for refusing the reply: which field. */
		char msg[sizeof(derr->msg)];

		ctl_sanitize(derr->msg, msg, sizeof(msg));
		return ctl_error(c, "%s: %s: %s", what, kasa_strerror(err), msg);
	}
	return ctl_error(c, "%s: %s", what, kasa_strerror(err));
}

int ctl_sysinfo(struct ctl *c, struct kasa_sysinfo *ret_info)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct kasa_device_error derr;
	char *req = NULL;
	int r;

	if (ctl_smart(c)) {
		r = kasa_smart_req_device_info(NULL, &req);
		r = ctl_send(c, r, req, &reply);
		if (r != KASACTL_EXIT_OK)
			return r;
		r = kasa_smart_sysinfo_parse(reply, ret_info, &derr);
		if (r < 0)
			return ctl_device_error(c, "get_device_info", r, &derr);
		return KASACTL_EXIT_OK;
	}
	r = kasa_req_sysinfo(&req);
	r = ctl_send(c, r, req, &reply);
	if (r != KASACTL_EXIT_OK)
		return r;
	r = kasa_sysinfo_parse(reply, ret_info, &derr);
	if (r < 0)
		return ctl_device_error(c, "get_sysinfo", r, &derr);
	return KASACTL_EXIT_OK;
}

/* Check --outlet against the strip and build its child id. */
int ctl_resolve_outlet(struct ctl *c, const struct kasa_sysinfo *info)
{
	char model[sizeof(info->model)];
	int r;

	if (c->outlet < 0)
		return KASACTL_EXIT_OK;
	ctl_sanitize(info->model, model, sizeof(model));
	if (info->outlet_count == 0) {
		fprintf(stderr,
			"kasactl: %s: --outlet %d: the %s is not a power strip; it has no "
			"outlets to choose from\n",
			c->where, c->outlet, model[0] ? model : "device");
		return KASACTL_EXIT_USAGE;
	}
	if ((unsigned)c->outlet >= info->outlet_count) {
		fprintf(stderr, "kasactl: %s: --outlet %d: no such outlet; the %s has %u (0..%u)\n",
			c->where, c->outlet, model[0] ? model : "strip", info->outlet_count,
			info->outlet_count - 1);
		return KASACTL_EXIT_USAGE;
	}
	r = kasa_child_id(info->device_id, (unsigned)c->outlet, c->child_id);
	if (r < 0)
		return ctl_error(c, "cannot build the id of outlet %d from deviceId \"%s\": %s",
				 c->outlet, info->device_id, kasa_strerror(r));
	return KASACTL_EXIT_OK;
}

int ctl_load(struct ctl *c, struct kasa_sysinfo *ret_info)
{
	int r = ctl_sysinfo(c, ret_info);

	if (r != KASACTL_EXIT_OK)
		return r;
	return ctl_resolve_outlet(c, ret_info);
}

const char *ctl_child(const struct ctl *c)
{
	return c->outlet >= 0 ? c->child_id : NULL;
}

/* Device strings go to a terminal: keep control characters out. */
void ctl_sanitize(const char *in, char *out, size_t size)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; in[i] && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)in[i];

		out[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[i] = '\0';
}

int ctl_print_json(struct json_object *obj)
{
	const char *s;

	if (!obj)
		return ctl_error(NULL, "%s", strerror(ENOMEM));
	s = json_object_to_json_string_ext(obj,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return ctl_error(NULL, "%s", strerror(ENOMEM));
	puts(s);
	return KASACTL_EXIT_OK;
}

/* json-c prints doubles with 17 digits; the devices give at most 6 decimals. */
struct json_object *ctl_json_double(double d)
{
	char buf[64];
	size_t len;

	if (!isfinite(d))
		return NULL; /* json-c writes NULL as null */
	snprintf(buf, sizeof(buf), "%.6f", d);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0' && buf[len - 2] != '.')
		buf[--len] = '\0';
	return json_object_new_double_s(d, buf);
}

void ctl_json_add_outlet(const struct ctl *c, struct json_object *obj)
{
	if (c->outlet >= 0) {
		json_object_object_add(obj, "outlet", json_object_new_int(c->outlet));
		json_object_object_add(obj, "child_id", json_object_new_string(c->child_id));
	}
}

int ctl_parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int ctl_parse_port(const char *s, uint16_t *ret)
{
	unsigned long v;

	if (ctl_parse_uint(s, 65535, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* HOST, HOST:PORT, [V6], [V6]:PORT or a bare V6 literal (two colons or more). */
int ctl_parse_target(const char *arg, uint16_t default_port, char *ret_host, size_t host_size,
		     uint16_t *ret_port)
{
	const char *host = arg, *port = NULL;
	size_t host_len;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close)
			return -EINVAL;
		host = arg + 1;
		host_len = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -EINVAL;
	} else {
		const char *colon = strchr(arg, ':');

		host_len = strlen(arg);
		if (colon && !strchr(colon + 1, ':')) {
			host_len = (size_t)(colon - arg);
			port = colon + 1;
		}
	}
	if (host_len == 0 || host_len >= host_size)
		return -EINVAL;
	*ret_port = default_port;
	if (port && ctl_parse_port(port, ret_port) < 0)
		return -EINVAL;
	memcpy(ret_host, host, host_len);
	ret_host[host_len] = '\0';
	return 0;
}

void ctl_format_where(const char *host, uint16_t port, char *buf, size_t size)
{
	snprintf(buf, size, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
}
