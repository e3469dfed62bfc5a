/* SPDX-License-Identifier: MIT */
/*
 * A MAC address in the one form kasad compares and writes:
 * "AA:BB:CC:DD:EE:FF", upper case, colons.  Read from what plugs and people
 * write: IOT firmware's "50:C7:BF:..", SMART's "3c-52-a1-..", the bare
 * twelve digits of mic_mac, either case.
 */
#ifndef COMMON_MAC_H
#define COMMON_MAC_H

#include <stdbool.h>
#include <string.h>

#include "common/text.h"

/* "AA:BB:CC:DD:EE:FF" and its NUL. */
#define MAC_TEXT_SIZE 18

/* s in the one form into ret; false (ret untouched) when s is not six
 * pairs of hex digits separated by ':' or '-', or by nothing. */
static inline bool mac_parse(const char *s, char ret[MAC_TEXT_SIZE])
{
	static const char digits[] = "0123456789ABCDEF";
	size_t len = strlen(s), step = len == 17 ? 3 : 2;
	char out[MAC_TEXT_SIZE];

	if (len != 17 && len != 12)
		return false;
	for (size_t i = 0; i < 6; i++) {
		const char *p = s + i * step;

		if (hex_digit(p[0]) < 0 || hex_digit(p[1]) < 0)
			return false;
		if (step == 3 && i < 5 && p[2] != '-' && p[2] != ':')
			return false;
		out[3 * i] = digits[hex_digit(p[0])];
		out[3 * i + 1] = digits[hex_digit(p[1])];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	memcpy(ret, out, sizeof(out));
	return true;
}

#endif
