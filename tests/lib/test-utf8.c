/* SPDX-License-Identifier: MIT */
/* UTF-8: what counts as well-formed, and copies that replace the rest. */
#include <check.h>
#include <string.h>

#include "kasa.h"
#include "test-util.h"

#define FFFD "\xef\xbf\xbd"

START_TEST(test_char_len)
{
	static const struct {
		const char *s;
		size_t len;
	} cases[] = {
		{"", 1}, /* the NUL is a character of its own */
		{"a", 1},
		{"\x7f", 1},
		{"\xc2\x80", 2},	 /* U+0080, the first 2-byte one */
		{"\xdf\xbf", 2},	 /* U+07FF */
		{"\xe0\xa0\x80", 3},	 /* U+0800 */
		{"\xed\x9f\xbf", 3},	 /* U+D7FF, just below the surrogates */
		{"\xee\x80\x80", 3},	 /* U+E000, just above */
		{"\xef\xbf\xbd", 3},	 /* U+FFFD */
		{"\xf0\x90\x80\x80", 4}, /* U+10000 */
		{"\xf4\x8f\xbf\xbf", 4}, /* U+10FFFF, the last */
		/* Stray continuation bytes, and bytes no UTF-8 has. */
		{"\x80", 0},
		{"\xbf", 0},
		{"\xfe", 0},
		{"\xff", 0},
		/* Overlong: '/' in 2, 3 and 4 bytes, U+07FF in 3, U+FFFF in 4. */
		{"\xc0\xaf", 0},
		{"\xc1\xbf", 0},
		{"\xe0\x80\xaf", 0},
		{"\xe0\x9f\xbf", 0},
		{"\xf0\x80\x80\xaf", 0},
		{"\xf0\x8f\xbf\xbf", 0},
		/* UTF-16 surrogates U+D800 and U+DFFF. */
		{"\xed\xa0\x80", 0},
		{"\xed\xbf\xbf", 0},
		/* Past U+10FFFF, and the old 5- and 6-byte forms. */
		{"\xf4\x90\x80\x80", 0},
		{"\xf5\x80\x80\x80", 0},
		{"\xf8\x88\x80\x80\x80", 0},
		{"\xfc\x84\x80\x80\x80\x80", 0},
		/* Cut short, by the end or by another character. */
		{"\xc3", 0},
		{"\xe2\x82", 0},
		{"\xf0\x9f\x92", 0},
		{"\xe2\x82!", 0},
		{"\xf0\x9f\x92\xc3\xa9", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(kasa_utf8_char_len(cases[i].s) == cases[i].len, "case %zu: %zu", i,
			      kasa_utf8_char_len(cases[i].s));
}
END_TEST

START_TEST(test_copy)
{
	char dst[16];

	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "caf\xc3\xa9"), 5);
	ck_assert_str_eq(dst, "caf\xc3\xa9");
	/* One U+FFFD per byte that does not start a well-formed character. */
	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "\xff\xfe lamp"), 11);
	ck_assert_str_eq(dst, FFFD FFFD " lamp");
	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "\xe2\x82"), 6);
	ck_assert_str_eq(dst, FFFD FFFD);
	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "a\xed\xa0\x80"), 10);
	ck_assert_str_eq(dst, "a" FFFD FFFD FFFD);
	/* Control characters are well-formed: what to do with them is the caller's. */
	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "\x01\n"), 2);
	ck_assert_str_eq(dst, "\x01\n");
}
END_TEST

START_TEST(test_copy_cut)
{
	char dst[6];

	/* Only whole characters: "ab" and a U+FFFD fit 5 bytes, a second does not. */
	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "ab\xff\xff"), 5);
	ck_assert_str_eq(dst, "ab" FFFD);
	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "abc\xf0\x9f\x92\xa1"), 3);
	ck_assert_str_eq(dst, "abc");
	ck_assert_uint_eq(kasa_utf8_copy(dst, sizeof(dst), "abcdefgh"), 5);
	ck_assert_str_eq(dst, "abcde");
	ck_assert_uint_eq(kasa_utf8_copy(dst, 1, "abc"), 0);
	ck_assert_str_eq(dst, "");
	/* Size 0: nothing written at all. */
	dst[0] = 'x';
	ck_assert_uint_eq(kasa_utf8_copy(dst, 0, "abc"), 0);
	ck_assert_int_eq(dst[0], 'x');
}
END_TEST

static Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");

	tcase_add_test(tc, test_char_len);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_copy_cut);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(utf8_suite());
}
