/* SPDX-License-Identifier: MIT */
/* common/devsection.h: the [device] section of a plug discovery found. */
#include <check.h>
#include <string.h>

#include "../lib/test-util.h"
#include "common/devsection.h"

static const char *section(const struct devsection *s)
{
	static char buf[DEVSECTION_MAX];

	ck_assert_int_gt(devsection_write(s, buf, sizeof(buf)), 0);
	return buf;
}

START_TEST(test_xor)
{
	struct devsection s = {.alias = "Living Room Lamp",
			       .model = "HS100(UK)",
			       .mac = "50:c7:bf:01:02:03",
			       .host = "192.168.1.23",
			       .port = KASA_PORT};

	ck_assert_str_eq(section(&s), "[device \"living-room-lamp\"]\n"
				      "mac = 50:C7:BF:01:02:03\n"
				      "host = 192.168.1.23\n");
	/* Another port than kasad's default is said. */
	s.port = 40001;
	ck_assert_str_eq(section(&s), "[device \"living-room-lamp\"]\n"
				      "mac = 50:C7:BF:01:02:03\n"
				      "host = 192.168.1.23\n"
				      "port = 40001\n");
	/* No MAC (an answer cut short): the address alone. */
	s.mac = "not a mac";
	s.port = KASA_PORT;
	ck_assert_str_eq(section(&s), "[device \"living-room-lamp\"]\nhost = 192.168.1.23\n");
}
END_TEST

START_TEST(test_klap)
{
	struct devsection s = {.model = "P110(EU)",
			       .mac = "3C-52-A1-00-00-0F",
			       .host = "10.0.0.7",
			       .port = KASA_KLAP_PORT,
			       .klap = true};

	ck_assert_str_eq(section(&s), "[device \"p110-eu-00-00-0f\"]\n"
				      "mac = 3C:52:A1:00:00:0F\n"
				      "host = 10.0.0.7\n"
				      "transport = klap\n");
	s.port = 8080;
	s.model = NULL;
	ck_assert_str_eq(section(&s), "[device \"plug-00-00-0f\"]\n"
				      "mac = 3C:52:A1:00:00:0F\n"
				      "host = 10.0.0.7\n"
				      "transport = klap\n"
				      "klap_port = 8080\n");
}
END_TEST

/* What a plug calls itself never reaches the file as it is: a name of
 * letters, digits and '-' within kasad's bounds, whatever the alias. */
START_TEST(test_hostile_alias)
{
	static const char *const aliases[] = {
		"x\"]\n[kasad]\nlisten = 0.0.0.0:80\n#",
		"\xc3\xa9t\xc3\xa9 \xe2\x98\x83",
		"--__..--",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAA",
	};
	char name[DEVSECTION_NAME_MAX];

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		struct devsection s = {.alias = aliases[i],
				       .model = "HS100(UK)",
				       .mac = "50:C7:BF:01:02:03",
				       .host = "192.0.2.1",
				       .port = KASA_PORT};
		const char *text = section(&s);

		devsection_name(&s, name);
		ck_assert_uint_gt(strlen(name), 0);
		ck_assert_uint_lt(strlen(name), DEVSECTION_NAME_MAX);
		ck_assert_uint_eq(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-"),
				  strlen(name));
		ck_assert_int_ne(name[0], '-');
		ck_assert_int_ne(name[strlen(name) - 1], '-');
		/* Three lines: the header, mac, host. */
		ck_assert_ptr_nonnull(
			strstr(text, "\nmac = 50:C7:BF:01:02:03\nhost = 192.0.2.1\n"));
		ck_assert_ptr_null(strstr(text, "[kasad]"));
	}
	devsection_name(&(struct devsection){.alias = aliases[0]}, name);
	ck_assert_str_eq(name, "x-kasad-listen-0-0-0-0-80");
	devsection_name(&(struct devsection){.alias = aliases[1]}, name);
	ck_assert_str_eq(name, "t");
	/* Nothing usable at all. */
	devsection_name(&(struct devsection){.alias = "--", .model = "()"}, name);
	ck_assert_str_eq(name, "plug");
}
END_TEST

START_TEST(test_too_small)
{
	struct devsection s = {.alias = "lamp", .host = "192.0.2.1", .port = KASA_PORT};
	char buf[16];
	/* A size the compiler cannot see: it would warn of the truncation the
	 * test asks for (-Wformat-truncation, in the sanitizers' build). */
	volatile size_t size = sizeof(buf), none = 0;

	ck_assert_int_eq(devsection_write(&s, buf, size), -ENOSPC);
	ck_assert_int_eq(devsection_write(&s, buf, none), -ENOSPC);
}
END_TEST

static Suite *devsection_suite(void)
{
	Suite *s = suite_create("devsection");
	TCase *tc = tcase_create("devsection");

	tcase_add_test(tc, test_xor);
	tcase_add_test(tc, test_klap);
	tcase_add_test(tc, test_hostile_alias);
	tcase_add_test(tc, test_too_small);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(devsection_suite());
}
