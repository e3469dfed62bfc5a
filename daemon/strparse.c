/* SPDX-License-Identifier: MIT */
/*
 * Value parsers.  Each takes all of its string or nothing ("10s " and "+5"
 * are malformed, not 10 seconds and 5; strparse_uint() stops early only when
 * asked): the callers trim what surrounds a value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/macro.h"
#include "strparse.h"

int strparse_uint(const char *s, const char **ret_end, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!strparse_is_digit(*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!ret_end && *end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (errno)
		return -EINVAL;
	if (ret_end)
		*ret_end = end;
	*ret = v;
	return 0;
}

int strparse_duration(const char *s, uint64_t *ret_usec)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{"", USEC_PER_SEC},  {"ms", USEC_PER_MSEC}, {"s", USEC_PER_SEC},
		{"m", USEC_PER_MIN}, {"h", USEC_PER_HOUR},
	};
	uint64_t whole = 0, frac = 0, frac_div = 1, unit = 0, usec;
	bool huge = false;
	const char *p = s;

	if (!strparse_is_digit(*p))
		return -EINVAL;
	for (; strparse_is_digit(*p); p++) {
		/* No need to count further once it is over a day in any unit. */
		if (whole > USEC_PER_DAY)
			huge = true;
		else
			whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!strparse_is_digit(*p))
			return -EINVAL;
		/* Nine digits are finer than a microsecond of an hour. */
		for (; strparse_is_digit(*p); p++) {
			if (frac_div < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (streq(p, units[i].suffix))
			unit = units[i].usec;
	if (!unit)
		return -EINVAL;
	if (huge || whole > USEC_PER_DAY / unit)
		return -ERANGE;
	usec = whole * unit + frac * unit / frac_div;
	if (usec > USEC_PER_DAY)
		return -ERANGE;
	/* "0.0000001" is not nothing, yet less than we can express. */
	if (usec == 0 && (whole || frac))
		return -ERANGE;
	*ret_usec = usec;
	return 0;
}

void strparse_format_duration(uint64_t usec, char *buf, size_t size)
{
	unsigned long long v = usec;

	if (v && v % USEC_PER_HOUR == 0)
		snprintf(buf, size, "%lluh", v / USEC_PER_HOUR);
	else if (v && v % USEC_PER_MIN == 0)
		snprintf(buf, size, "%llum", v / USEC_PER_MIN);
	else if (v % USEC_PER_SEC == 0)
		snprintf(buf, size, "%llus", v / USEC_PER_SEC);
	else if (v % USEC_PER_MSEC == 0)
		snprintf(buf, size, "%llums", v / USEC_PER_MSEC);
	else
		snprintf(buf, size, "%llu.%06llus", v / USEC_PER_SEC, v % USEC_PER_SEC);
}

int strparse_size(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r;

	r = strparse_uint(s, &end, &v);
	if (r < 0)
		return r;
	if (*end) {
		const char *units = "kKmMgG", *u = strchr(units, *end);
		uint64_t scale;

		if (!u || end[1])
			return -EINVAL;
		scale = 1ULL << (10 * ((u - units) / 2 + 1));
		if (v > UINT64_MAX / scale)
			return -ERANGE;
		v *= scale;
	}
	*ret = v;
	return 0;
}

void strparse_format_size(uint64_t bytes, char *buf, size_t size)
{
	unsigned long long v = bytes;

	if (v && v % (1ULL << 30) == 0)
		snprintf(buf, size, "%lluG", v >> 30);
	else if (v && v % (1ULL << 20) == 0)
		snprintf(buf, size, "%lluM", v >> 20);
	else
		snprintf(buf, size, "%llu", v);
}

int strparse_bool(const char *s, bool *ret)
{
	if (streq(s, "yes") || streq(s, "true") || streq(s, "on") || streq(s, "1"))
		*ret = true;
	else if (streq(s, "no") || streq(s, "false") || streq(s, "off") || streq(s, "0"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

int strparse_listen(const char *s, struct sockaddr_storage *ret_addr, socklen_t *ret_len,
		    const char **ret_why)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char addr[INET6_ADDRSTRLEN];
	const char *port_s, *colon;
	socklen_t len;
	uint64_t port;
	size_t n;

	if (strparse_is_digit(*s) && !strpbrk(s, ".:")) {
		port_s = s;
		strcpy(addr, "127.0.0.1");
	} else if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			*ret_why = "expected [ADDR6]:PORT";
			return -EINVAL;
		}
		n = (size_t)(close - s - 1);
		if (n == 0 || n >= sizeof(addr)) {
			*ret_why = "not a numeric IPv6 address";
			return -EINVAL;
		}
		memcpy(addr, s + 1, n);
		addr[n] = '\0';
		port_s = close + 2;
	} else {
		colon = strchr(s, ':');
		if (!colon) {
			*ret_why = "expected ADDR:PORT, [ADDR6]:PORT or PORT";
			return -EINVAL;
		}
		if (strchr(colon + 1, ':')) {
			*ret_why = "an IPv6 address needs brackets, as in [::1]:8080";
			return -EINVAL;
		}
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(addr)) {
			*ret_why = "expected ADDR:PORT, [ADDR6]:PORT or PORT";
			return -EINVAL;
		}
		memcpy(addr, s, n);
		addr[n] = '\0';
		port_s = colon + 1;
	}

	if (strparse_uint(port_s, NULL, &port) < 0 || port > 65535) {
		*ret_why = "the port must be a number from 0 to 65535";
		return -EINVAL;
	}

	if (*s == '[') {
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1) {
			*ret_why = "not a numeric IPv6 address";
			return -EINVAL;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		/* The one name worth knowing; others would need a resolver. */
		if (streq(addr, "localhost"))
			strcpy(addr, "127.0.0.1");
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
			*ret_why = "not a numeric IPv4 address (names are not looked up)";
			return -EINVAL;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	}
	*ret_addr = ss;
	*ret_len = len;
	return 0;
}

int strparse_ipv4_port(const char *s, uint16_t default_port, struct sockaddr_storage *ret_addr,
		       uint16_t *ret_port, const char **ret_why)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	const char *colon = strchr(s, ':');
	char addr[INET_ADDRSTRLEN];
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	uint64_t port = default_port;

	if (n == 0 || n >= sizeof(addr)) {
		*ret_why = "not a numeric IPv4 address";
		return -EINVAL;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		*ret_why = "not a numeric IPv4 address";
		return -EINVAL;
	}
	if (colon && (strparse_uint(colon + 1, NULL, &port) < 0 || port < 1 || port > 65535)) {
		*ret_why = "the port must be a number from 1 to 65535";
		return -EINVAL;
	}
	memset(ret_addr, 0, sizeof(*ret_addr));
	memcpy(ret_addr, &sin, sizeof(sin));
	*ret_port = (uint16_t)port;
	return 0;
}

bool strparse_host_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > STRPARSE_HOST_MAX || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strparse_is_digit(c) ||
		      strchr("-.:[]_", c)))
			return false;
	}
	return true;
}

const char *strparse_origin_problem(const char *s)
{
	const char *host, *port;

	if (streq(s, "*"))
		return "'*' is not allowed: list exact origins";
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return "must start with http:// or https://";
	port = host[0] == '[' ? strchr(host, ']') : host;
	if (!port)
		return "an IPv6 address needs its closing ']'";
	port = strchr(port, ':');
	if (strchr(host, '/'))
		return "an origin has no path, not even a trailing '/'";
	if (host[0] == '\0' || host[0] == ':')
		return "no host";
	for (const char *c = host; *c && c != port; c++)
		if (!((*c >= 'a' && *c <= 'z') || strparse_is_digit(*c) || strchr("-.[]:", *c)))
			return "the host must be lower-case letters, digits, '-', '.' or an "
			       "address";
	if (port) {
		uint64_t v;

		if (strparse_uint(port + 1, NULL, &v) < 0 || v == 0 || v > 65535)
			return "the port must be 1 to 65535";
	}
	return NULL;
}
