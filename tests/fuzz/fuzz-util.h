/* SPDX-License-Identifier: MIT */
/* What the harnesses check of the text a parser kept (static inline, as in
 * tests/lib/test-util.h: each harness takes what it uses). */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdlib.h>

#include "kasa.h"

/* Well-formed UTF-8, or the harness aborts (a find). */
static inline void check_text(const char *s)
{
	while (*s) {
		size_t n = kasa_utf8_char_len(s);

		if (n == 0)
			abort();
		s += n;
	}
}

#endif
