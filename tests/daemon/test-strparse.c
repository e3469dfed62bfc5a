/* SPDX-License-Identifier: MIT */
/* The value parsers, and the formatters that write their values back. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/strparse.h"
#include "../../common/clock.h"
#include "../../common/macro.h"
#include "../lib/test-util.h"

START_TEST(test_uint)
{
	const char *end = NULL;
	uint64_t v = 7;

	ck_assert_int_eq(strparse_uint("0", NULL, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(strparse_uint("18446744073709551615", NULL, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(strparse_uint("18446744073709551616", NULL, &v), -ERANGE);
	v = 7;
	ck_assert_int_eq(strparse_uint("", NULL, &v), -EINVAL);
	ck_assert_int_eq(strparse_uint("+5", NULL, &v), -EINVAL);
	ck_assert_int_eq(strparse_uint("-5", NULL, &v), -EINVAL);
	ck_assert_int_eq(strparse_uint(" 5", NULL, &v), -EINVAL);
	ck_assert_int_eq(strparse_uint("5 ", NULL, &v), -EINVAL);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(strparse_uint("12k", &end, &v), 0);
	ck_assert_uint_eq(v, 12);
	ck_assert_str_eq(end, "k");
}
END_TEST

START_TEST(test_size)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
		{"0", 0, 0},
		{"4096", 0, 4096},
		{"4k", 0, 4096},
		{"4K", 0, 4096},
		{"64M", 0, 64ULL << 20},
		{"64m", 0, 64ULL << 20},
		{"4G", 0, 4ULL << 30},
		{"4g", 0, 4ULL << 30},
		{"4kb", -EINVAL, 0},
		{"k", -EINVAL, 0},
		{"4T", -EINVAL, 0},
		{"4 k", -EINVAL, 0},
		{"18014398509481984k", -ERANGE, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 1;
		int r = strparse_size(cases[i].s, &v);

		ck_assert_msg(r == cases[i].r, "%s: %d", cases[i].s, r);
		if (r == 0)
			ck_assert_msg(v == cases[i].v, "%s: %llu", cases[i].s,
				      (unsigned long long)v);
		else
			ck_assert_uint_eq(v, 1);
	}
}
END_TEST

/* Each value written, and what the writing reads back as. */
START_TEST(test_format_round_trip)
{
	static const struct {
		uint64_t usec;
		const char *text;
	} durations[] = {
		{0, "0s"},
		{1, "0.000001s"},
		{1500, "0.001500s"},
		{USEC_PER_MSEC, "1ms"},
		{2500 * USEC_PER_MSEC, "2500ms"},
		{5 * USEC_PER_SEC, "5s"},
		{90 * USEC_PER_SEC, "90s"},
		{5 * USEC_PER_MIN, "5m"},
		{90 * USEC_PER_MIN, "90m"},
		{USEC_PER_DAY, "24h"},
		{USEC_PER_DAY - 1, "86399.999999s"},
	};
	static const struct {
		uint64_t bytes;
		const char *text;
	} sizes[] = {
		{0, "0"},	    {64, "64"},
		{4096, "4096"},	    {65536, "65536"},
		{1ULL << 20, "1M"}, {3ULL << 20, "3M"},
		{1ULL << 30, "1G"}, {(1ULL << 30) + 1, "1073741825"},
	};
	char buf[STRPARSE_FORMAT_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		uint64_t v = 0;

		strparse_format_duration(durations[i].usec, buf, sizeof(buf));
		ck_assert_str_eq(buf, durations[i].text);
		ck_assert_int_eq(strparse_duration(buf, &v), 0);
		ck_assert_uint_eq(v, durations[i].usec);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t v = 0;

		strparse_format_size(sizes[i].bytes, buf, sizeof(buf));
		ck_assert_str_eq(buf, sizes[i].text);
		ck_assert_int_eq(strparse_size(buf, &v), 0);
		ck_assert_uint_eq(v, sizes[i].bytes);
	}
}
END_TEST

START_TEST(test_bool)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	static const char *const bad[] = {"", "Yes", "y", "2", "yes "};
	bool b;

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		ck_assert_int_eq(strparse_bool(yes[i], &b), 0);
		ck_assert(b);
		ck_assert_int_eq(strparse_bool(no[i], &b), 0);
		ck_assert(!b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		b = true;
		ck_assert_int_eq(strparse_bool(bad[i], &b), -EINVAL);
		ck_assert(b);
	}
}
END_TEST

START_TEST(test_listen)
{
	struct sockaddr_storage ss;
	const char *why = NULL;
	socklen_t len = 0;

	ck_assert_int_eq(strparse_listen("8080", &ss, &len, &why), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
	ck_assert_int_eq(strparse_listen("[::1]:0", &ss, &len, &why), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(strparse_listen("::1:8080", &ss, &len, &why), -EINVAL);
	ck_assert_str_eq(why, "an IPv6 address needs brackets, as in [::1]:8080");
	ck_assert_int_eq(strparse_listen("host.lan:80", &ss, &len, &why), -EINVAL);
	ck_assert_str_eq(why, "not a numeric IPv4 address (names are not looked up)");
}
END_TEST

/* Where discovery goes: a numeric IPv4 address, its port or the default. */
START_TEST(test_ipv4_port)
{
	static const char *const bad[] = {
		"", ":9999", "nas.lan", "192.0.2.256", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536",
		"192.0.2.1:1:2", "[::1]:9999", "::1", "192.0.2.1 ", "0x7f.1",
	};
	struct sockaddr_storage ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const char *why = NULL;
	uint16_t port = 7;

	ck_assert_int_eq(strparse_ipv4_port("192.0.2.255", 9999, &ss, &port, &why), 0);
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0xC00002FF);
	ck_assert_uint_eq(port, 9999);
	ck_assert_int_eq(strparse_ipv4_port("127.0.0.1:40000", 9999, &ss, &port, &why), 0);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7F000001);
	ck_assert_uint_eq(port, 40000);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		port = 7;
		why = NULL;
		ck_assert_msg(strparse_ipv4_port(bad[i], 9999, &ss, &port, &why) == -EINVAL, "%s",
			      bad[i]);
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_eq(port, 7);
	}
}
END_TEST

START_TEST(test_hosts_and_origins)
{
	char longest[STRPARSE_HOST_MAX + 2];

	ck_assert(strparse_host_ok("plug-1.lan"));
	ck_assert(strparse_host_ok("[fe80::1]"));
	ck_assert(!strparse_host_ok(""));
	ck_assert(!strparse_host_ok("-plug"));
	ck_assert(!strparse_host_ok("plug lan"));
	memset(longest, 'h', sizeof(longest) - 1);
	longest[STRPARSE_HOST_MAX] = '\0';
	ck_assert(strparse_host_ok(longest));
	longest[STRPARSE_HOST_MAX] = 'h';
	longest[STRPARSE_HOST_MAX + 1] = '\0';
	ck_assert(!strparse_host_ok(longest));

	ck_assert_ptr_null(strparse_origin_problem("http://dash.lan:3000"));
	ck_assert_ptr_null(strparse_origin_problem("https://[::1]"));
	ck_assert_str_eq(strparse_origin_problem("*"), "'*' is not allowed: list exact origins");
	ck_assert_str_eq(strparse_origin_problem("http://a/"),
			 "an origin has no path, not even a trailing '/'");
	ck_assert_str_eq(strparse_origin_problem("http://a:0"), "the port must be 1 to 65535");
	ck_assert_str_eq(strparse_origin_problem("ftp://a"), "must start with http:// or https://");
}
END_TEST

static Suite *strparse_suite(void)
{
	Suite *s = suite_create("strparse");
	TCase *tc = tcase_create("all");

	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_format_round_trip);
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_hosts_and_origins);
	tcase_add_test(tc, test_ipv4_port);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(strparse_suite());
}
