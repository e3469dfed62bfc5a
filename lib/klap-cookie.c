/* SPDX-License-Identifier: MIT */
/*
 * KLAP's text on the wire: the session cookie (TP_SESSIONID, TIMEOUT) as
 * both ends read it, and the sequence number of a request's path as the
 * device reads it.
 */
#include <stdio.h>
#include <string.h>

#include "kasa-private.h"

/* --- Cookies and sequence numbers --------------------------------------- */

#define COOKIE_SESSION "TP_SESSIONID"
#define COOKIE_TIMEOUT "TIMEOUT"

/* RFC 6265's cookie-octet: printable ASCII but for space, '"', ',', ';' and '\'. */
static bool cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A decimal number up to INT32_MAX (leading zeros allowed), else -1. */
static int64_t parse_timeout(const char *s, size_t len)
{
	int64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > INT32_MAX)
			return -1;
	}
	return v;
}

/* One name=value pair (spaces around each trimmed) into *c. */
static int cookie_pair(const char *p, size_t len, struct kasa_klap_cookie *c)
{
	const char *eq = memchr(p, '=', len);
	const char *name = p, *value;
	size_t name_len, value_len;

	if (!eq)
		return 0; /* an attribute such as HttpOnly */
	name_len = (size_t)(eq - p);
	while (name_len > 0 && is_space(name[name_len - 1]))
		name_len--;
	value = eq + 1;
	value_len = (size_t)(p + len - value);
	while (value_len > 0 && is_space(*value)) {
		value++;
		value_len--;
	}
	while (value_len > 0 && is_space(value[value_len - 1]))
		value_len--;
	/* A quoted value stands for what is inside. */
	if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
		value++;
		value_len -= 2;
	}

	if (name_len == strlen(COOKIE_SESSION) && memcmp(name, COOKIE_SESSION, name_len) == 0) {
		if (value_len >= sizeof(c->session_id))
			return -EMSGSIZE;
		for (size_t i = 0; i < value_len; i++)
			if (!cookie_octet((unsigned char)value[i]))
				return -EPROTO;
		memcpy(c->session_id, value, value_len);
		c->session_id[value_len] = '\0';
	} else if (name_len == strlen(COOKIE_TIMEOUT) &&
		   memcmp(name, COOKIE_TIMEOUT, name_len) == 0) {
		c->timeout_s = parse_timeout(value, value_len);
		if (c->timeout_s < 0)
			return -EPROTO;
	}
	return 0;
}

KASA_EXPORT int kasa_klap_cookie_parse(const char *const *headers, size_t n,
				       struct kasa_klap_cookie *ret)
{
	struct kasa_klap_cookie c = {.timeout_s = -1};
	int r;

	if (n > 0 && !headers)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const char *p = headers[i];

		if (!p)
			return -EINVAL;
		while (*p) {
			const char *semi = strchr(p, ';');
			size_t len = semi ? (size_t)(semi - p) : strlen(p);

			while (len > 0 && is_space(*p)) {
				p++;
				len--;
			}
			r = cookie_pair(p, len, &c);
			if (r < 0)
				return r;
			if (!semi)
				break;
			p = semi + 1;
		}
	}
	*ret = c;
	return 0;
}

KASA_EXPORT int kasa_klap_seq_parse(const char *text, int32_t *ret_seq)
{
	const char *p = text;
	bool neg = false;
	int64_t v = 0;

	if (!p)
		return -EINVAL;
	if (*p == '-') {
		neg = true;
		p++;
	}
	/* Canonical: digits, no leading zero, no "-0". */
	if (*p < '0' || *p > '9' || (p[0] == '0' && (p[1] != '\0' || neg)))
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > (int64_t)INT32_MAX + 1)
			return -EINVAL;
	}
	if (neg)
		v = -v;
	if (v > INT32_MAX)
		return -EINVAL;
	*ret_seq = (int32_t)v;
	return 0;
}
