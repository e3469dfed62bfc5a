/* SPDX-License-Identifier: MIT */
/* The cipher and framing against the published test vectors. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kasa.h"
#include "test-util.h"

static size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		unsigned v;

		ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static size_t base64_decode(const char *in, uint8_t *out, size_t cap)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		const char *p = strchr(alphabet, *in);

		ck_assert_ptr_nonnull(p);
		acc = acc << 6 | (uint32_t)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ck_assert_uint_lt(n, cap);
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

/* Each line of a vector file: plaintext TAB encoded frame. */
static void check_vectors(const char *file, size_t (*decode)(const char *, uint8_t *, size_t))
{
	char *data = test_data(file, NULL);
	char *save = NULL;
	int checked = 0;

	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		uint8_t want[256], *frame;
		size_t want_len, frame_len;

		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		want_len = decode(tab + 1, want, sizeof(want));

		ck_assert_int_eq(kasa_frame_encode(line, strlen(line), &frame, &frame_len), 0);
		ck_assert_uint_eq(frame_len, want_len);
		ck_assert_mem_eq(frame, want, want_len);

		/* And back: the payload decrypts to the plaintext. */
		kasa_decrypt(want + KASA_HEADER_LEN, want_len - KASA_HEADER_LEN);
		ck_assert_uint_eq(want_len - KASA_HEADER_LEN, strlen(line));
		ck_assert_mem_eq(want + KASA_HEADER_LEN, line, strlen(line));
		free(frame);
		checked++;
	}
	ck_assert_int_ge(checked, 2);
	free(data);
}

START_TEST(test_hex_vectors)
{
	check_vectors("vectors.txt", hex_decode);
}
END_TEST

START_TEST(test_base64_vectors)
{
	check_vectors("vectors-base64.txt", base64_decode);
}
END_TEST

START_TEST(test_empty_object)
{
	uint8_t buf[] = {0xd0, 0xad};

	kasa_decrypt(buf, sizeof(buf));
	ck_assert_mem_eq(buf, "{}", 2);
	kasa_encrypt(buf, sizeof(buf));
	ck_assert_uint_eq(buf[0], 0xd0);
	ck_assert_uint_eq(buf[1], 0xad);
}
END_TEST

START_TEST(test_roundtrip_all_bytes)
{
	uint8_t buf[4096], orig[4096];

	for (size_t i = 0; i < sizeof(buf); i++)
		orig[i] = buf[i] = (uint8_t)(i * 7 + 3);
	kasa_encrypt(buf, sizeof(buf));
	ck_assert_mem_ne(buf, orig, sizeof(buf));
	kasa_decrypt(buf, sizeof(buf));
	ck_assert_mem_eq(buf, orig, sizeof(buf));
}
END_TEST

START_TEST(test_frame_empty_payload)
{
	uint8_t *frame;
	size_t len;

	ck_assert_int_eq(kasa_frame_encode("", 0, &frame, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(frame, "\0\0\0\0", 4);
	free(frame);
}
END_TEST

static Suite *cipher_suite(void)
{
	Suite *s = suite_create("cipher");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_hex_vectors);
	tcase_add_test(tc, test_base64_vectors);
	tcase_add_test(tc, test_empty_object);
	tcase_add_test(tc, test_roundtrip_all_bytes);
	tcase_add_test(tc, test_frame_empty_payload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(cipher_suite());
}
