/* SPDX-License-Identifier: MIT */
/* Small helpers for text: the value of a hex digit; a number in decimal
 * without printf. */
#ifndef COMMON_TEXT_H
#define COMMON_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Room for any uint64_t in decimal (no NUL). */
#define TEXT_U64_MAX 20

/* 0 to 15, or -1 for a character that is not a hex digit (either case). */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* v in decimal at the end of buf[TEXT_U64_MAX]: where it starts, and its
 * length in *ret_len.  For text written often (ages in every answer,
 * /metrics' millions of numbers), where printf costs more than the rest. */
static inline const char *text_u64(char buf[TEXT_U64_MAX], uint64_t v, size_t *ret_len)
{
	char *p = buf + TEXT_U64_MAX;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	*ret_len = (size_t)(buf + TEXT_U64_MAX - p);
	return p;
}

#endif
