/* SPDX-License-Identifier: MIT */
/* Small helpers for text: the value of a hex digit. */
#ifndef COMMON_TEXT_H
#define COMMON_TEXT_H

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

#endif
