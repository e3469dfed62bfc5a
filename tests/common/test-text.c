/* SPDX-License-Identifier: MIT */
/* common/text.h: hex digits, and decimals written without printf. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/test-util.h"
#include "common/text.h"

START_TEST(test_hex_digit)
{
	ck_assert_int_eq(hex_digit('0'), 0);
	ck_assert_int_eq(hex_digit('9'), 9);
	ck_assert_int_eq(hex_digit('a'), 10);
	ck_assert_int_eq(hex_digit('F'), 15);
	ck_assert_int_eq(hex_digit('g'), -1);
	ck_assert_int_eq(hex_digit('/'), -1);
}
END_TEST

/* As printf writes them, at the edges of each length and at the ends. */
START_TEST(test_u64)
{
	const uint64_t values[] = {0,
				   1,
				   9,
				   10,
				   99,
				   100,
				   12345,
				   999999,
				   1000000,
				   4294967295u,
				   4294967296u,
				   UINT64_MAX / 10,
				   UINT64_MAX - 1,
				   UINT64_MAX};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char buf[TEXT_U64_MAX], want[32];
		size_t n = 99;
		const char *p = text_u64(buf, values[i], &n);

		snprintf(want, sizeof(want), "%" PRIu64, values[i]);
		ck_assert_uint_eq(n, strlen(want));
		ck_assert(memcmp(p, want, n) == 0);
		ck_assert_ptr_eq(p + n, buf + TEXT_U64_MAX);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_hex_digit);
	tcase_add_test(tc, test_u64);
	suite_add_tcase(s, tc);
	return test_run(s);
}
