/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 checks: a plug's strings are bytes, and JSON (RFC 8259) and
 * Prometheus labels want well-formed UTF-8.  Well-formed as in Unicode's
 * table 3-7: no overlong forms, no UTF-16 surrogates, nothing past U+10FFFF.
 */
#include <string.h>

#include "kasa-private.h"

/* The replacement character U+FFFD. */
#define REPLACEMENT	"\xef\xbf\xbd"
#define REPLACEMENT_LEN 3

/* Reads past s[0] only while the bytes so far are a valid prefix, so the NUL
 * that ends the string also ends any sequence cut short. */
KASA_EXPORT size_t kasa_utf8_char_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo, hi;

	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		return (u[1] & 0xc0) == 0x80 ? 2 : 0;
	if (u[0] >= 0xe0 && u[0] <= 0xef) {
		lo = u[0] == 0xe0 ? 0xa0 : 0x80; /* overlong below U+0800 */
		hi = u[0] == 0xed ? 0x9f : 0xbf; /* surrogates U+D800..U+DFFF */
		return u[1] >= lo && u[1] <= hi && (u[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		lo = u[0] == 0xf0 ? 0x90 : 0x80; /* overlong below U+10000 */
		hi = u[0] == 0xf4 ? 0x8f : 0xbf; /* past U+10FFFF */
		return u[1] >= lo && u[1] <= hi && (u[2] & 0xc0) == 0x80 && (u[3] & 0xc0) == 0x80
			       ? 4
			       : 0;
	}
	return 0;
}

KASA_EXPORT size_t kasa_utf8_copy(char *dst, size_t size, const char *src)
{
	size_t out = 0;

	if (size == 0)
		return 0;
	while (*src) {
		size_t n = kasa_utf8_char_len(src);
		const char *from = n ? src : REPLACEMENT;
		size_t len = n ? n : REPLACEMENT_LEN;

		/* A character that does not fit whole ends the text. */
		if (out + len >= size)
			break;
		memcpy(dst + out, from, len);
		out += len;
		src += n ? n : 1;
	}
	dst[out] = '\0';
	return out;
}
