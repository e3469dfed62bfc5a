/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous resolver: addresses at once, names in the background,
 * with a descriptor that is readable once a lookup has ended.  Only
 * localhost (/etc/hosts) and loopback addresses: nothing leaves this
 * machine.  Under check-valgrind each test ends with every lookup settled,
 * so that a leak or a descriptor left behind is one.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include "kasa-private.h"
#include "test-util.h"

#define SEC 1000000ULL
/* More lookups at once than glibc has helper threads (20): some wait in
 * its queue, and freeing those cancels them. */
#define LOTS 64

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
	/* Nothing to wait for. */
	ck_assert_int_eq(kasa_lookup_fd(l), -1);
	kasa_lookup_free(l);
}

/* l's descriptor, polled as a loop would: readable within a bound. */
static void expect_readable(const struct kasa_lookup *l)
{
	struct pollfd pfd = {.fd = kasa_lookup_fd(l), .events = POLLIN};

	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 10 * 1000), 1);
	ck_assert(pfd.revents & POLLIN);
}

/* The process's eventfds: only the resolver makes them here. */
static unsigned eventfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		char path[300], target[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		n += strcmp(target, "anon_inode:[eventfd]") == 0;
	}
	closedir(d);
	return n;
}

static void expect_settled(void)
{
	ck_assert_int_eq(kasa_lookup_settle(kasa_now_usec() + 10 * SEC), 0);
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
	/* Then its answer, within a generous deadline. */
	ck_assert_int_eq(kasa_lookup_wait(l, kasa_now_usec() + 10 * 1000000ULL, &res), 1);
	kasa_lookup_free(l);
	kasa_lookup_free(NULL);
}
END_TEST

/* A name's lookup: its descriptor becomes readable when it ends (no
 * timer, no sleep), the answer is there then, and it stays readable. */
START_TEST(test_fd_readable)
{
	struct kasa_lookup *l = NULL;
	const struct addrinfo *res = NULL;

	ck_assert_int_eq(kasa_lookup_start("localhost", 8080, &l), 0);
	expect_readable(l);
	ck_assert_int_eq(kasa_lookup_check(l, &res), 1);
	ck_assert_ptr_nonnull(res);
	ck_assert_uint_eq(port_of(res), 8080);
	expect_readable(l);
	kasa_lookup_free(l);
	expect_settled();
}
END_TEST

/* Many at once, more than glibc runs at a time: each one's own descriptor
 * tells of its own end. */
START_TEST(test_many)
{
	struct kasa_lookup *l[LOTS];
	unsigned before = eventfds();

	for (unsigned i = 0; i < LOTS; i++)
		ck_assert_int_eq(kasa_lookup_start("localhost", (uint16_t)(1000 + i), &l[i]), 0);
	ck_assert_uint_eq(eventfds(), before + LOTS);
	for (unsigned i = LOTS; i-- > 0;) {
		const struct addrinfo *res = NULL;

		expect_readable(l[i]);
		ck_assert_int_eq(kasa_lookup_check(l[i], &res), 1);
		for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
			ck_assert_uint_eq(port_of(ai), 1000 + i);
	}
	for (unsigned i = 0; i < LOTS; i++)
		kasa_lookup_free(l[i]);
	ck_assert_uint_eq(eventfds(), before);
	expect_settled();
}
END_TEST

/*
 * Freed before they end: waiting in glibc's queue (cancelled), running, or
 * just done.  The descriptors close at once; the rest goes when glibc is
 * done with each, and then nothing is left (under check-valgrind: no leak,
 * no descriptor open at exit).
 */
START_TEST(test_free_pending)
{
	struct kasa_lookup *l[LOTS];
	unsigned before = eventfds();

	for (unsigned i = 0; i < LOTS; i++)
		ck_assert_int_eq(kasa_lookup_start("localhost", 80, &l[i]), 0);
	/* The last started first: the likeliest to wait in the queue still. */
	for (unsigned i = LOTS; i-- > 0;)
		kasa_lookup_free(l[i]);
	ck_assert_uint_eq(eventfds(), before);
	expect_settled();
}
END_TEST

/* Settling waits for the lookups still held, up to its deadline. */
START_TEST(test_settle_deadline)
{
	struct kasa_lookup *l = NULL;

	ck_assert_int_eq(kasa_lookup_start("127.0.0.1", 80, &l), 0);
	ck_assert_int_eq(kasa_lookup_settle(0), -ETIMEDOUT);
	ck_assert_int_eq(kasa_lookup_settle(kasa_now_usec() + 1000), -ETIMEDOUT);
	kasa_lookup_free(l);
	ck_assert_int_eq(kasa_lookup_settle(0), 0);
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_numeric);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_deadline_passed);
	tcase_add_test(tc, test_fd_readable);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_free_pending);
	tcase_add_test(tc, test_settle_deadline);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(resolve_suite());
}
