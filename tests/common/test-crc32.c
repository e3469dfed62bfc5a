/* SPDX-License-Identifier: MIT */
/* common/crc32.h: zlib's CRC-32, by its check value and the KLAP probe's. */
#include <check.h>
#include <string.h>

#include "../lib/test-util.h"
#include "common/crc32.h"

START_TEST(test_check_value)
{
	/* The check value of CRC-32/ISO-HDLC (zlib's crc32()). */
	ck_assert_uint_eq(crc32_of("123456789", 9), 0xCBF43926u);
	ck_assert_uint_eq(crc32_of("", 0), 0);
	ck_assert_uint_eq(crc32_of("a", 1), 0xE8B7BE43u);
	ck_assert_uint_eq(crc32_of("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}
END_TEST

START_TEST(test_update)
{
	const char *text = "The quick brown fox jumps over the lazy dog";

	/* In pieces as in one go, whatever the split. */
	for (size_t k = 0; k <= 43; k++)
		ck_assert_uint_eq(crc32_update(crc32_update(0, text, k), text + k, 43 - k),
				  0x414FA339u);
}
END_TEST

START_TEST(test_klap_probe)
{
	/* PROTOCOL-KLAP.md section 8: the older fixed probe's CRC is that of its
	 * header with the CRC field set to 5A 6B 7C 8D. */
	uint8_t probe[16] = {0x02, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x5A, 0x6B, 0x7C, 0x8D};

	ck_assert_uint_eq(crc32_of(probe, sizeof(probe)), 0x463CB5D3u);
}
END_TEST

static Suite *crc32_suite(void)
{
	Suite *s = suite_create("crc32");
	TCase *tc = tcase_create("crc32");

	tcase_add_test(tc, test_check_value);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_klap_probe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(crc32_suite());
}
