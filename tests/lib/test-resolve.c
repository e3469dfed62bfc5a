/* SPDX-License-Identifier: MIT */
/* The asynchronous resolver: addresses at once, names in the background. */
#include <arpa/inet.h>
#include <netdb.h>

#include "kasa-private.h"
#include "test-util.h"

static uint16_t port_of(const struct addrinfo *ai)
{
	if (ai->ai_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ai->ai_addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ai->ai_addr)->sin6_port);
}

/* An address is answered at once, with no resolver involved. */
static void expect_numeric(const char *host, uint16_t port, int family)
{
	struct kasa_lookup *l = NULL;
	const struct addrinfo *res = NULL;

	ck_assert_int_eq(kasa_lookup_start(host, port, &l), 0);
	ck_assert_int_eq(kasa_lookup_check(l, &res), 1);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(res->ai_family, family);
	ck_assert_int_eq(res->ai_socktype, SOCK_STREAM);
	ck_assert_uint_eq(port_of(res), port);
	kasa_lookup_free(l);
}

START_TEST(test_numeric)
{
	expect_numeric("192.0.2.7", 9999, AF_INET);
	expect_numeric("::1", 1234, AF_INET6);
	expect_numeric("127.1", 80, AF_INET);
}
END_TEST

START_TEST(test_name)
{
	struct kasa_lookup *l = NULL;
	const struct addrinfo *res = NULL;

	/* localhost comes from /etc/hosts: no network needed. */
	ck_assert_int_eq(kasa_lookup_start("localhost", 80, &l), 0);
	ck_assert_int_eq(kasa_lookup_wait(l, kasa_now_usec() + 5000000u, &res), 1);
	ck_assert_ptr_nonnull(res);
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
		ck_assert_uint_eq(port_of(ai), 80);
	/* Checking again gives the same answer. */
	ck_assert_int_eq(kasa_lookup_check(l, &res), 1);
	kasa_lookup_free(l);
}
END_TEST

START_TEST(test_deadline_passed)
{
	struct kasa_lookup *l = NULL;
	const struct addrinfo *res = NULL;
	int r;

	ck_assert_int_eq(kasa_lookup_start("localhost", 80, &l), 0);
	/* A deadline already passed: the answer if it is there, else a time-out. */
	r = kasa_lookup_wait(l, 0, &res);
	ck_assert(r == 1 || r == -ETIMEDOUT);
	/* Then its answer, within a generous deadline: freeing a lookup that
	 * still runs leaves it to glibc, which valgrind would call a leak. */
	ck_assert_int_eq(kasa_lookup_wait(l, kasa_now_usec() + 10 * 1000000ULL, &res), 1);
	kasa_lookup_free(l);
	kasa_lookup_free(NULL);
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_numeric);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_deadline_passed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(resolve_suite());
}
