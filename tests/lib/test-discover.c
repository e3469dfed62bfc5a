/* SPDX-License-Identifier: MIT */
/*
 * Discovery over loopback only: a responder thread plays the plug on
 * 127.0.0.1 and an ephemeral port.  Nothing here sends anywhere else.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "kasa.h"
#include "test-util.h"

enum reply_mode {
	REPLY_SYSINFO, /* the golden HS110 sysinfo, encrypted */
	REPLY_GARBAGE, /* bytes that decrypt to nothing sensible */
	REPLY_HALF,    /* the first half of the sysinfo, as a too-small buffer would cut it */
	REPLY_TWICE,   /* the sysinfo from the socket and again from a second one */
	REPLY_NONE,    /* listen and say nothing */
};

#define QUERIES_MAX 16

struct responder {
	int fd, second_fd;
	int stop[2]; /* closing stop[1] ends the thread */
	uint16_t port;
	enum reply_mode mode;
	char *reply;
	size_t reply_len;
	/* Written by the thread, read after the join. */
	unsigned queries, bad_queries;
	uint64_t at_usec[QUERIES_MAX];
	pthread_t thread;
};

struct seen {
	unsigned calls;
	struct kasa_found first;
	uint16_t ports[4];
};

/* A UDP socket bound to addr (a loopback address) and an ephemeral port. */
static int udp_bound(const char *addr, uint16_t *ret_port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

static void *respond(void *arg)
{
	struct responder *r = arg;
	char want[] = "{\"system\":{\"get_sysinfo\":{}}}";
	char buf[2048];

	kasa_encrypt(want, strlen(want));
	for (;;) {
		struct pollfd pfd[2] = {{.fd = r->fd, .events = POLLIN},
					{.fd = r->stop[0], .events = POLLIN}};
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		/* The timeout only guards against a test that forgets to stop us.  Queries
		 * already queued are still counted after the stop. */
		if (poll(pfd, 2, 10000) <= 0 || !(pfd[0].revents & POLLIN))
			break;
		n = recvfrom(r->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			continue;
		/* Only the exact encrypted query, no header, counts as a query. */
		if ((size_t)n != strlen(want) || memcmp(buf, want, (size_t)n) != 0) {
			r->bad_queries++;
			continue;
		}
		if (r->queries < QUERIES_MAX)
			r->at_usec[r->queries] = monotonic_usec();
		r->queries++;
		if (r->mode == REPLY_NONE)
			continue;
		sendto(r->fd, r->reply, r->reply_len, 0, (struct sockaddr *)&from, fromlen);
		if (r->mode == REPLY_TWICE)
			sendto(r->second_fd, r->reply, r->reply_len, 0, (struct sockaddr *)&from,
			       fromlen);
	}
	return NULL;
}

/* addr is 127.0.0.1, or the loopback broadcast address 127.255.255.255. */
static void responder_start_at(struct responder *r, const char *addr, enum reply_mode mode)
{
	uint16_t second_port;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->fd = udp_bound(addr, &r->port);
	r->second_fd = udp_bound("127.0.0.1", &second_port);
	ck_assert_int_eq(pipe(r->stop), 0);

	if (mode == REPLY_GARBAGE) {
		r->reply = strdup("\x01\x02 not a reply");
		r->reply_len = strlen(r->reply);
	} else {
		r->reply = test_data("sysinfo-hs110-v4.json", &r->reply_len);
		if (mode == REPLY_HALF)
			r->reply_len /= 2;
	}
	kasa_encrypt(r->reply, r->reply_len);
	/* The socket is bound already, so queries queue up until the thread reads them. */
	ck_assert_int_eq(pthread_create(&r->thread, NULL, respond, r), 0);
}

static void responder_start(struct responder *r, enum reply_mode mode)
{
	responder_start_at(r, "127.0.0.1", mode);
}

static void responder_stop(struct responder *r)
{
	close(r->stop[1]);
	ck_assert_int_eq(pthread_join(r->thread, NULL), 0);
	close(r->stop[0]);
	close(r->fd);
	close(r->second_fd);
	free(r->reply);
}

static void on_found(const struct kasa_found *found, void *userdata)
{
	struct seen *seen = userdata;

	if (seen->calls == 0)
		seen->first = *found;
	if (seen->calls < 4)
		seen->ports[seen->calls] = found->port;
	seen->calls++;
}

START_TEST(test_found_once)
{
	struct responder r;
	struct seen seen = {0};
	const struct sockaddr_in *sin;

	responder_start(&r, REPLY_SYSINFO);
	ck_assert_int_eq(kasa_discover("127.0.0.1", r.port, 300, 3, on_found, &seen), 1);
	responder_stop(&r);

	/* Three queries, three answers, one device. */
	ck_assert_uint_eq(r.queries, 3);
	ck_assert_uint_eq(r.bad_queries, 0);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert(seen.first.info_ok);
	ck_assert_str_eq(seen.first.host, "127.0.0.1");
	ck_assert_uint_eq(seen.first.port, r.port);
	ck_assert_uint_eq(seen.first.addrlen, sizeof(struct sockaddr_in));
	sin = (const struct sockaddr_in *)&seen.first.addr;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin->sin_port), r.port);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_str_eq(seen.first.info.model, "HS110(EU)");
	ck_assert_str_eq(seen.first.info.device_id, "80067A7E8D6E6C1E4A6F6B4A3C2D1E0F9A8B7C6D");
	ck_assert(seen.first.info.has_emeter);

	/* Spread over the wait: at 0, 100 and 200 ms, give or take a busy machine. */
	ck_assert_uint_ge(r.at_usec[1] - r.at_usec[0], 80000);
	ck_assert_uint_ge(r.at_usec[2] - r.at_usec[0], 180000);
}
END_TEST

START_TEST(test_two_responders)
{
	struct responder r;
	struct seen seen = {0};

	/* The same address from two ports is two devices (as behind a NAT). */
	responder_start(&r, REPLY_TWICE);
	ck_assert_int_eq(kasa_discover("127.0.0.1", r.port, 200, 2, on_found, &seen), 2);
	responder_stop(&r);
	ck_assert_uint_eq(r.queries, 2);
	ck_assert_uint_eq(seen.calls, 2);
	ck_assert_uint_ne(seen.ports[0], seen.ports[1]);
	ck_assert(seen.ports[0] == r.port || seen.ports[1] == r.port);
}
END_TEST

START_TEST(test_host_name)
{
	struct responder r;
	struct seen seen = {0};

	/* Names resolve too; "localhost" comes from /etc/hosts, not the network. */
	responder_start(&r, REPLY_SYSINFO);
	ck_assert_int_eq(kasa_discover("localhost", r.port, 150, 1, on_found, &seen), 1);
	responder_stop(&r);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert_str_eq(seen.first.host, "127.0.0.1");
	ck_assert(seen.first.info_ok);
}
END_TEST

START_TEST(test_broadcast)
{
	struct responder r;
	struct seen seen = {0};

	/*
	 * The loopback net's broadcast address: sending there needs SO_BROADCAST
	 * (EACCES without it) yet never leaves the host.  A socket bound to it
	 * hears the query and answers from 127.0.0.1.
	 */
	responder_start_at(&r, "127.255.255.255", REPLY_SYSINFO);
	ck_assert_int_eq(kasa_discover("127.255.255.255", r.port, 200, 2, on_found, &seen), 1);
	responder_stop(&r);
	ck_assert_uint_eq(r.queries, 2);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert(seen.first.info_ok);
	ck_assert_str_eq(seen.first.host, "127.0.0.1");
	ck_assert_uint_eq(seen.first.port, r.port);
}
END_TEST

START_TEST(test_garbage)
{
	struct responder r;
	struct seen seen = {0};

	responder_start(&r, REPLY_GARBAGE);
	ck_assert_int_eq(kasa_discover("127.0.0.1", r.port, 150, 2, on_found, &seen), 1);
	responder_stop(&r);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert(!seen.first.info_ok);
	ck_assert_uint_eq(seen.first.port, r.port);
	ck_assert_str_eq(seen.first.info.model, "");
}
END_TEST

START_TEST(test_truncated)
{
	struct responder r;
	struct seen seen = {0};

	responder_start(&r, REPLY_HALF);
	ck_assert_int_eq(kasa_discover("127.0.0.1", r.port, 150, 1, on_found, &seen), 1);
	responder_stop(&r);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert(!seen.first.info_ok);
}
END_TEST

START_TEST(test_silence)
{
	struct responder r;
	struct seen seen = {0};
	uint64_t start, took;

	responder_start(&r, REPLY_NONE);
	start = monotonic_usec();
	ck_assert_int_eq(kasa_discover("127.0.0.1", r.port, 250, 3, on_found, &seen), 0);
	took = monotonic_usec() - start;
	responder_stop(&r);

	ck_assert_uint_eq(seen.calls, 0);
	ck_assert_uint_eq(r.queries, 3);
	/* The whole wait, and not much more. */
	ck_assert_uint_ge(took, 250000);
	ck_assert_uint_lt(took, 250000 + 500000);
}
END_TEST

START_TEST(test_no_listener)
{
	struct seen seen = {0};
	uint16_t port;
	uint64_t start, took;
	int fd = udp_bound("127.0.0.1", &port);

	/* A closed port: the ICMP error must not end the wait early or count as a device. */
	close(fd);
	start = monotonic_usec();
	ck_assert_int_eq(kasa_discover("127.0.0.1", port, 200, 2, on_found, &seen), 0);
	took = monotonic_usec() - start;
	ck_assert_uint_ge(took, 200000);
	ck_assert_uint_lt(took, 200000 + 500000);
	ck_assert_uint_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_zero_timeout)
{
	struct responder r;
	uint64_t start;

	/* No time to spread the sends over: all go at once, and we are back at once. */
	responder_start(&r, REPLY_NONE);
	start = monotonic_usec();
	ck_assert_int_eq(kasa_discover("127.0.0.1", r.port, 0, 3, NULL, NULL), 0);
	ck_assert_uint_lt(monotonic_usec() - start, 100000);
	responder_stop(&r);
	ck_assert_uint_eq(r.queries, 3);
}
END_TEST

START_TEST(test_bad_arguments)
{
	ck_assert_int_eq(kasa_discover(NULL, 9999, 100, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kasa_discover("127.0.0.1", 0, 100, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kasa_discover("127.0.0.1", 9999, -1, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kasa_discover("127.0.0.1", 9999, 100, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kasa_discover("127.0.0.1", 9999, 100, 1000, NULL, NULL), -EINVAL);
	/* Not an IPv4 address; numeric, so no resolver is asked. */
	ck_assert_int_eq(kasa_discover("::1", 9999, 100, 1, NULL, NULL), -EINVAL);
}
END_TEST

static Suite *discover_suite(void)
{
	Suite *s = suite_create("discover");
	TCase *tc = tcase_create("loopback");

	tcase_add_test(tc, test_found_once);
	tcase_add_test(tc, test_two_responders);
	tcase_add_test(tc, test_host_name);
	tcase_add_test(tc, test_broadcast);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_silence);
	tcase_add_test(tc, test_no_listener);
	tcase_add_test(tc, test_zero_timeout);
	tcase_add_test(tc, test_bad_arguments);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(discover_suite());
}
