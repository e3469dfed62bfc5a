/* SPDX-License-Identifier: MIT */
/* The incremental frame reader: every split, the caps, the EOF variants. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kasa.h"
#include "test-util.h"

static const char sysinfo[] = "{\"system\":{\"get_sysinfo\":{}}}";

static uint8_t *frame_of(const char *json, size_t *ret_len)
{
	uint8_t *frame;

	ck_assert_int_eq(kasa_frame_encode(json, strlen(json), &frame, ret_len), 0);
	return frame;
}

/* Feed a frame cut into pieces of every size from 1 to the whole. */
START_TEST(test_every_split)
{
	size_t len;
	uint8_t *frame = frame_of(sysinfo, &len);

	for (size_t step = 1; step <= len; step++) {
		struct kasa_reader *r = kasa_reader_new(0);
		size_t off = 0, used, plen;
		int res = 0;

		while (off < len) {
			size_t n = len - off < step ? len - off : step;

			res = kasa_reader_feed(r, frame + off, n, &used);
			ck_assert_uint_eq(used, n);
			off += n;
			ck_assert_int_eq(res, off == len ? 1 : 0);
		}
		ck_assert_str_eq(kasa_reader_payload(r, &plen), sysinfo);
		ck_assert_uint_eq(plen, strlen(sysinfo));
		kasa_reader_free(r);
	}
	free(frame);
}
END_TEST

/* Two frames back to back: the first feed stops at the frame's end. */
START_TEST(test_stops_at_frame_end)
{
	size_t len, used;
	uint8_t *frame = frame_of(sysinfo, &len);
	uint8_t two[256];
	struct kasa_reader *r = kasa_reader_new(0);

	memcpy(two, frame, len);
	memcpy(two + len, frame, len);
	ck_assert_int_eq(kasa_reader_feed(r, two, 2 * len, &used), 1);
	ck_assert_uint_eq(used, len);
	/* Complete frames stay complete until reset. */
	ck_assert_int_eq(kasa_reader_feed(r, two + len, len, &used), 1);
	ck_assert_uint_eq(used, 0);
	kasa_reader_reset(r);
	ck_assert_ptr_null(kasa_reader_payload(r, NULL));
	ck_assert_int_eq(kasa_reader_feed(r, two + len, len, &used), 1);
	ck_assert_str_eq(kasa_reader_payload(r, NULL), sysinfo);
	kasa_reader_free(r);
	free(frame);
}
END_TEST

START_TEST(test_cap_on_header)
{
	const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0xd0};
	const uint8_t over[] = {0x00, 0x00, 0x04, 0x01};
	struct kasa_reader *r = kasa_reader_new(1024);
	size_t used;

	ck_assert_int_eq(kasa_reader_feed(r, huge, sizeof(huge), &used), -EMSGSIZE);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(kasa_reader_feed(r, huge, 1, &used), -EMSGSIZE);
	kasa_reader_reset(r);
	ck_assert_int_eq(kasa_reader_feed(r, over, sizeof(over), &used), -EMSGSIZE);
	kasa_reader_reset(r);
	/* Exactly at the cap is fine. */
	{
		uint8_t at[4 + 1024] = {0x00, 0x00, 0x04, 0x00};

		ck_assert_int_eq(kasa_reader_feed(r, at, sizeof(at), &used), 1);
		ck_assert_uint_eq(used, sizeof(at));
	}
	kasa_reader_free(r);
}
END_TEST

START_TEST(test_default_cap)
{
	const uint8_t at[] = {0x00, 0x01, 0x00, 0x00};
	const uint8_t over[] = {0x00, 0x01, 0x00, 0x01};
	struct kasa_reader *r = kasa_reader_new(0);
	size_t used;

	ck_assert_int_eq(kasa_reader_feed(r, at, sizeof(at), &used), 0);
	kasa_reader_reset(r);
	ck_assert_int_eq(kasa_reader_feed(r, over, sizeof(over), &used), -EMSGSIZE);
	kasa_reader_free(r);
}
END_TEST

/* Zero length header: the payload runs to EOF. */
START_TEST(test_zero_length_then_eof)
{
	size_t len, used, plen;
	uint8_t *frame = frame_of(sysinfo, &len);
	struct kasa_reader *r = kasa_reader_new(0);

	memset(frame, 0, 4);
	ck_assert_int_eq(kasa_reader_feed(r, frame, 7, &used), 0);
	ck_assert_int_eq(kasa_reader_feed(r, frame + 7, len - 7, &used), 0);
	ck_assert_uint_eq(used, len - 7);
	ck_assert_ptr_null(kasa_reader_payload(r, NULL));
	ck_assert_int_eq(kasa_reader_eof(r), 1);
	ck_assert_str_eq(kasa_reader_payload(r, &plen), sysinfo);
	ck_assert_uint_eq(plen, strlen(sysinfo));
	kasa_reader_free(r);
	free(frame);
}
END_TEST

START_TEST(test_zero_length_cap)
{
	uint8_t buf[600] = {0};
	struct kasa_reader *r = kasa_reader_new(1000);
	size_t used;

	ck_assert_int_eq(kasa_reader_feed(r, buf, sizeof(buf), &used), 0);
	ck_assert_int_eq(kasa_reader_feed(r, buf, sizeof(buf), &used), -EMSGSIZE);
	ck_assert_int_eq(kasa_reader_eof(r), -EMSGSIZE);
	kasa_reader_free(r);
}
END_TEST

START_TEST(test_eof_variants)
{
	size_t len, used;
	uint8_t *frame = frame_of(sysinfo, &len);
	struct kasa_reader *r = kasa_reader_new(0);

	/* Nothing at all: closed without a reply. */
	ck_assert_int_eq(kasa_reader_eof(r), -ECONNRESET);
	kasa_reader_reset(r);
	/* Half a header. */
	ck_assert_int_eq(kasa_reader_feed(r, frame, 2, &used), 0);
	ck_assert_int_eq(kasa_reader_eof(r), -EPROTO);
	kasa_reader_reset(r);
	/* A truncated body. */
	ck_assert_int_eq(kasa_reader_feed(r, frame, len - 1, &used), 0);
	ck_assert_int_eq(kasa_reader_eof(r), -EPROTO);
	ck_assert_ptr_null(kasa_reader_payload(r, NULL));
	kasa_reader_reset(r);
	/* A complete frame is not undone by EOF. */
	ck_assert_int_eq(kasa_reader_feed(r, frame, len, &used), 1);
	ck_assert_int_eq(kasa_reader_eof(r), 1);
	kasa_reader_free(r);
	free(frame);
}
END_TEST

/* A large reply (an HS300's sysinfo is several KiB) in uneven pieces. */
START_TEST(test_large_reply)
{
	size_t n = 20000, len, off = 0, used, plen;
	char *json = malloc(n + 1);
	uint8_t *frame;
	struct kasa_reader *r = kasa_reader_new(0);
	int res = 0;

	for (size_t i = 0; i < n; i++)
		json[i] = (char)('a' + i % 26);
	json[n] = '\0';
	frame = frame_of(json, &len);
	for (size_t step = 1; off < len; step = step * 3 + 1) {
		size_t k = len - off < step ? len - off : step;

		res = kasa_reader_feed(r, frame + off, k, &used);
		ck_assert_uint_eq(used, k);
		off += k;
	}
	ck_assert_int_eq(res, 1);
	ck_assert_str_eq(kasa_reader_payload(r, &plen), json);
	ck_assert_uint_eq(plen, n);
	kasa_reader_free(r);
	free(frame);
	free(json);
}
END_TEST

static Suite *reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_every_split);
	tcase_add_test(tc, test_stops_at_frame_end);
	tcase_add_test(tc, test_cap_on_header);
	tcase_add_test(tc, test_default_cap);
	tcase_add_test(tc, test_zero_length_then_eof);
	tcase_add_test(tc, test_zero_length_cap);
	tcase_add_test(tc, test_eof_variants);
	tcase_add_test(tc, test_large_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(reader_suite());
}
