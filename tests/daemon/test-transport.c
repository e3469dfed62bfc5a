/* SPDX-License-Identifier: MIT */
/*
 * The XOR transport behind the transport interface, against a listening
 * socket on 127.0.0.1 that this test plays the plug on (one thread: the
 * kernel queues the connection and the request until the test reads them).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../daemon/transport.h"
#include "../lib/test-util.h"
#include "kasa-private.h"

#define SEC 1000000u

static int listen_local(uint16_t *ret_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*ret_port = ntohs(a.sin_port);
	return fd;
}

/* The plug's side: read one whole request from fd, check it, answer. */
struct plug_side {
	int fd;
	struct kasa_reader *reader;
	const char *want;
	const char *answer; /* NULL: never answer */
	bool answered;
};

static void plug_side_step(struct plug_side *ps)
{
	uint8_t buf[4096];
	size_t off = 0, used;
	ssize_t n;

	if (ps->answered)
		return;
	n = recv(ps->fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0 && off < (size_t)n) {
		int r = kasa_reader_feed(ps->reader, buf + off, (size_t)n - off, &used);

		off += used;
		if (r == 1) {
			size_t len;
			const char *got = kasa_reader_payload(ps->reader, &len);
			uint8_t *frame;
			size_t flen;

			ck_assert_str_eq(got, ps->want);
			kasa_reader_reset(ps->reader);
			if (!ps->answer)
				return;
			ck_assert_int_eq(
				kasa_frame_encode(ps->answer, strlen(ps->answer), &frame, &flen),
				0);
			ck_assert_int_eq(send(ps->fd, frame, flen, MSG_NOSIGNAL), (ssize_t)flen);
			free(frame);
			ps->answered = true;
			return;
		}
		ck_assert_int_eq(r, 0);
	}
}

/* Drive t as a loop would until process() ends the request or the open. */
static int drive(struct transport *t, struct plug_side *ps)
{
	for (int i = 0; i < 1000; i++) {
		struct pollfd pfd = {.fd = transport_fd(t), .events = (short)transport_events(t)};
		uint64_t now = kasa_now_usec(), deadline = transport_deadline(t);
		int ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
		int n, r;

		n = poll(&pfd, 1, ms < 5 ? ms : 5);
		r = transport_process(t, n > 0 ? (uint32_t)pfd.revents : 0, kasa_now_usec());
		if (r != 0)
			return r;
		if (ps)
			plug_side_step(ps);
	}
	ck_abort_msg("the transport never finished");
	return 0;
}

START_TEST(test_address_is_ready)
{
	struct transport *t = NULL;

	ck_assert_int_eq(transport_xor_new("127.0.0.1", 9999, &t), 0);
	/* Nothing to watch or wait for before the first request. */
	ck_assert_int_eq(transport_fd(t), -1);
	ck_assert_uint_eq(transport_events(t), 0);
	ck_assert_uint_eq(transport_deadline(t), 0);
	/* Not open yet: nothing can be sent. */
	ck_assert_int_eq(transport_send(t, "{}", 2, kasa_now_usec(), SEC), -ENOTCONN);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), SEC), 0);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), SEC), 0);
	transport_free(t);

	/* [v6] is an address too. */
	ck_assert_int_eq(transport_xor_new("[::1]", 9999, &t), 0);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), SEC), 0);
	transport_free(t);
	transport_free(NULL);
}
END_TEST

/*
 * *ret_t: a transport to localhost, and its open()'s result.  The name comes
 * from /etc/hosts, and on a busy machine glibc may have looked it up before
 * open() checks (then it is 0: ready at once, which proves nothing about
 * waiting); another transport is tried then, a few times.
 */
static int open_localhost(struct transport **ret_t, uint64_t now, uint64_t timeout)
{
	int r = 0;

	for (int i = 0; i < 20 && r == 0; i++) {
		transport_free(*ret_t);
		*ret_t = NULL;
		ck_assert_int_eq(transport_xor_new("localhost", 9999, ret_t), 0);
		r = transport_open(*ret_t, now, timeout);
	}
	return r;
}

START_TEST(test_name_is_looked_up)
{
	struct transport *t = NULL;
	int r;

	r = open_localhost(&t, kasa_now_usec(), 5 * SEC);
	ck_assert_int_eq(r, 1);
	/* Under way: the resolver's descriptor to wait on, readable once the
	 * lookup has ended, and the open's deadline. */
	ck_assert_int_ge(transport_fd(t), 0);
	ck_assert_uint_eq(transport_events(t), POLLIN);
	ck_assert_uint_gt(transport_deadline(t), 0);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), 5 * SEC), 1);
	ck_assert_int_eq(drive(t, NULL), 1);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), 5 * SEC), 0);
	transport_free(t);

	/* Freed while the lookup runs. */
	ck_assert_int_eq(transport_xor_new("localhost", 9999, &t), 0);
	ck_assert_int_ge(transport_open(t, kasa_now_usec(), 5 * SEC), 0);
	transport_free(t);
}
END_TEST

/* A loop needs no timer to learn that the lookup ended: the descriptor
 * says so, and process() then finds the open done. */
START_TEST(test_lookup_wakes_the_loop)
{
	struct transport *t = NULL;
	struct pollfd pfd;
	uint64_t start = kasa_now_usec();

	ck_assert_int_eq(open_localhost(&t, start, 5 * SEC), 1);
	/* The deadline is the open's own, not a time to look again. */
	ck_assert_uint_eq(transport_deadline(t), start + 5 * SEC);
	pfd = (struct pollfd){.fd = transport_fd(t), .events = (short)transport_events(t)};
	ck_assert_int_eq(poll(&pfd, 1, 10 * 1000), 1);
	ck_assert_int_eq(transport_process(t, (uint32_t)pfd.revents, kasa_now_usec()), 1);
	/* Open, with nothing in flight: nothing to watch or wait for. */
	ck_assert_int_eq(transport_fd(t), -1);
	ck_assert_uint_eq(transport_deadline(t), 0);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), 5 * SEC), 0);
	transport_free(t);
}
END_TEST

START_TEST(test_round_trips)
{
	const char *req = "{\"system\":{\"get_sysinfo\":{}}}";
	struct plug_side ps = {.want = req, .answer = "{\"n\":1}"};
	struct transport *t = NULL;
	uint16_t port;
	int lfd = listen_local(&port);
	const char *reply;
	size_t len;

	ps.reader = kasa_reader_new(0);
	ck_assert_int_eq(transport_xor_new("127.0.0.1", port, &t), 0);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), SEC), 0);
	ck_assert_int_ge(transport_send(t, req, strlen(req), kasa_now_usec(), 5 * SEC), 0);
	ck_assert_int_ge(transport_fd(t), 0);
	ck_assert_uint_gt(transport_deadline(t), 0);
	ps.fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(ps.fd, 0);
	ck_assert_int_eq(drive(t, &ps), 1);
	reply = transport_reply(t, &len);
	ck_assert_str_eq(reply, "{\"n\":1}");
	ck_assert_uint_eq(len, 7);
	ck_assert_uint_eq(transport_deadline(t), 0);

	/* The connection is kept: the second request comes on it. */
	ps.answer = "{\"n\":2}";
	ps.answered = false;
	ck_assert_int_ge(transport_send(t, req, strlen(req), kasa_now_usec(), 5 * SEC), 0);
	ck_assert_int_eq(drive(t, &ps), 1);
	ck_assert_str_eq(transport_reply(t, &len), "{\"n\":2}");

	/* Closed: the next request opens a new connection. */
	transport_close(t);
	ck_assert_int_eq(transport_fd(t), -1);
	close(ps.fd);
	ps.answer = "{\"n\":3}";
	ps.answered = false;
	ck_assert_int_ge(transport_send(t, req, strlen(req), kasa_now_usec(), 5 * SEC), 0);
	ps.fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(ps.fd, 0);
	ck_assert_int_eq(drive(t, &ps), 1);
	ck_assert_str_eq(transport_reply(t, &len), "{\"n\":3}");

	transport_free(t);
	kasa_reader_free(ps.reader);
	close(ps.fd);
	close(lfd);
}
END_TEST

START_TEST(test_silent_plug_times_out)
{
	const char *req = "{\"system\":{\"get_sysinfo\":{}}}";
	struct plug_side ps = {.want = req};
	struct transport *t = NULL;
	uint16_t port;
	int lfd = listen_local(&port);
	uint64_t start = kasa_now_usec();

	ps.reader = kasa_reader_new(0);
	ck_assert_int_eq(transport_xor_new("127.0.0.1", port, &t), 0);
	ck_assert_int_eq(transport_open(t, start, SEC), 0);
	ck_assert_int_ge(transport_send(t, req, strlen(req), start, 100000), 0);
	ps.fd = accept(lfd, NULL, NULL);
	ck_assert_int_eq(drive(t, &ps), -ETIMEDOUT);
	ck_assert_uint_ge(kasa_now_usec() - start, 100000);
	transport_free(t);
	kasa_reader_free(ps.reader);
	close(ps.fd);
	close(lfd);
}
END_TEST

START_TEST(test_refused)
{
	struct transport *t = NULL;
	uint16_t port;
	int lfd = listen_local(&port), r;

	close(lfd); /* nobody listens there now */
	ck_assert_int_eq(transport_xor_new("127.0.0.1", port, &t), 0);
	ck_assert_int_eq(transport_open(t, kasa_now_usec(), SEC), 0);
	r = transport_send(t, "{}", 2, kasa_now_usec(), SEC);
	if (r >= 0)
		r = drive(t, NULL);
	ck_assert_int_eq(r, -ECONNREFUSED);
	transport_free(t);
}
END_TEST

static Suite *transport_suite(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("xor");

	tcase_add_test(tc, test_address_is_ready);
	tcase_add_test(tc, test_name_is_looked_up);
	tcase_add_test(tc, test_lookup_wakes_the_loop);
	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_silent_plug_times_out);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(transport_suite());
}
