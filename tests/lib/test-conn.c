/* SPDX-License-Identifier: MIT */
/*
 * The non-blocking connection and the blocking call, against a scripted
 * server thread on 127.0.0.1: reuse, the one reconnect, refusals, timeouts.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kasa-private.h"
#include "test-util.h"

enum mode {
	MODE_REPLY,       /* answer every request, keep the connection */
	MODE_STALE,       /* answer the first request, then close on the next */
	MODE_SILENT,      /* read requests, never answer */
	MODE_CLOSE,       /* close every connection without answering */
	MODE_ZERO_LENGTH, /* answer with a zero length header, then close */
	MODE_HANG_UP,     /* answer, then close the kept connection */
};

struct server {
	int fd;
	int stop[2];
	uint16_t port;
	enum mode mode;
	atomic_int connections;
	atomic_int requests;
	pthread_t thread;
};

static void reply(int fd, const char *json, bool zero_length)
{
	uint8_t *frame;
	size_t len;

	ck_assert_int_eq(kasa_frame_encode(json, strlen(json), &frame, &len), 0);
	if (zero_length)
		memset(frame, 0, 4);
	ck_assert_int_eq(send(fd, frame, len, MSG_NOSIGNAL), (ssize_t)len);
	free(frame);
}

/* Serve one connection until the client or the mode ends it. */
static void serve(struct server *s, int fd)
{
	struct kasa_reader *r = kasa_reader_new(0);
	int served = 0;

	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->stop[0], .events = POLLIN}};
		uint8_t buf[4096];
		size_t off = 0, used;
		ssize_t n;

		if (poll(pfd, 2, 10000) <= 0 || pfd[1].revents)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		while (off < (size_t)n) {
			int res = kasa_reader_feed(r, buf + off, (size_t)n - off, &used);
			char out[64];

			off += used;
			if (res != 1)
				break;
			atomic_fetch_add(&s->requests, 1);
			kasa_reader_reset(r);
			served++;
			switch (s->mode) {
			case MODE_REPLY:
				snprintf(out, sizeof(out), "{\"n\":%d}", served);
				reply(fd, out, false);
				break;
			case MODE_STALE:
				if (served > 1)
					goto out;
				reply(fd, "{\"n\":1}", false);
				break;
			case MODE_SILENT:
				break;
			case MODE_CLOSE:
				goto out;
			case MODE_ZERO_LENGTH:
				reply(fd, "{\"zero\":1}", true);
				goto out;
			case MODE_HANG_UP:
				reply(fd, "{\"n\":1}", false);
				goto out;
			}
		}
	}
out:
	kasa_reader_free(r);
	close(fd);
}

static void *server_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct pollfd pfd[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->stop[0], .events = POLLIN}};
		int fd;

		if (poll(pfd, 2, 10000) <= 0 || pfd[1].revents)
			break;
		fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			continue;
		atomic_fetch_add(&s->connections, 1);
		serve(s, fd);
	}
	return NULL;
}

static int bind_loopback(uint16_t *ret_port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

static struct server *server_start(enum mode mode)
{
	struct server *s = calloc(1, sizeof(*s));

	s->mode = mode;
	s->fd = bind_loopback(&s->port);
	ck_assert_int_eq(listen(s->fd, 8), 0);
	ck_assert_int_eq(pipe(s->stop), 0);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
	return s;
}

static void server_stop(struct server *s)
{
	ck_assert_int_eq(write(s->stop[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	free(s);
}

static struct kasa_conn *conn_to(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct kasa_conn *c = kasa_conn_new((struct sockaddr *)&sin, sizeof(sin));

	ck_assert_ptr_nonnull(c);
	return c;
}

/* What an event loop does: wait for the wanted events, then process. */
static int run_request(struct kasa_conn *c, const char *json, int timeout_ms)
{
	int r = kasa_conn_start(c, json, strlen(json), kasa_now_usec(),
				(uint64_t)timeout_ms * 1000u);

	ck_assert(r <= 0);
	while (r == 0) {
		uint64_t now = kasa_now_usec(), deadline = kasa_conn_deadline(c);
		struct pollfd pfd = {.fd = kasa_conn_fd(c), .events = (short)kasa_conn_events(c)};
		int n;

		ck_assert_int_ne(deadline, 0);
		n = poll(&pfd, 1, deadline > now ? (int)((deadline - now) / 1000 + 1) : 0);
		r = kasa_conn_process(c, n > 0 ? (uint32_t)pfd.revents : 0, kasa_now_usec());
	}
	ck_assert(!kasa_conn_busy(c));
	/* Idle: the kept socket watched for the device closing it. */
	ck_assert_uint_eq(kasa_conn_events(c), kasa_conn_fd(c) >= 0 ? POLLIN : 0);
	return r;
}

static const char query[] = "{\"system\":{\"get_sysinfo\":{}}}";

START_TEST(test_reuse)
{
	struct server *s = server_start(MODE_REPLY);
	struct kasa_conn *c = conn_to(s->port);

	for (int i = 1; i <= 5; i++) {
		char want[32];

		snprintf(want, sizeof(want), "{\"n\":%d}", i);
		ck_assert_int_eq(run_request(c, query, 2000), 1);
		ck_assert_str_eq(kasa_conn_reply(c, NULL), want);
		/* Every other reply dropped once read: the connection stays. */
		if (i % 2) {
			kasa_conn_drop_reply(c);
			ck_assert_ptr_null(kasa_conn_reply(c, NULL));
		}
	}
	ck_assert_int_eq(atomic_load(&s->connections), 1);
	ck_assert_int_ge(kasa_conn_fd(c), 0);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

START_TEST(test_busy)
{
	struct server *s = server_start(MODE_SILENT);
	struct kasa_conn *c = conn_to(s->port);
	uint64_t now = kasa_now_usec();

	ck_assert_int_eq(kasa_conn_start(c, query, strlen(query), now, 1000000), 0);
	ck_assert(kasa_conn_busy(c));
	ck_assert_int_eq(kasa_conn_deadline(c), now + 1000000);
	ck_assert_int_eq(kasa_conn_start(c, query, strlen(query), now, 1000000), -EBUSY);
	kasa_conn_drop_reply(c); /* in flight: nothing happens */
	ck_assert(kasa_conn_busy(c));
	kasa_conn_close(c);
	ck_assert(!kasa_conn_busy(c));
	ck_assert_int_eq(kasa_conn_fd(c), -1);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

/* The device dropped the kept connection: one reconnect, then success. */
START_TEST(test_stale_reconnects_once)
{
	struct server *s = server_start(MODE_STALE);
	struct kasa_conn *c = conn_to(s->port);

	ck_assert_int_eq(run_request(c, query, 2000), 1);
	ck_assert_int_eq(run_request(c, query, 2000), 1);
	ck_assert_str_eq(kasa_conn_reply(c, NULL), "{\"n\":1}");
	ck_assert_int_eq(atomic_load(&s->connections), 2);
	ck_assert_int_eq(atomic_load(&s->requests), 3);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

/* The device closes the kept connection once it has answered: a request
 * on a connection (watched idle or not) that is answered, then the
 * hang-up waited for; the revents that say it.  The test goes on. */
static uint32_t hang_up_after_one(struct kasa_conn *c)
{
	struct pollfd pfd;

	ck_assert_int_eq(run_request(c, query, 2000), 1);
	ck_assert_uint_eq(kasa_conn_generation(c), 1);
	pfd = (struct pollfd){.fd = kasa_conn_fd(c), .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	return (uint32_t)pfd.revents;
}

/* The second request found a new socket (a new generation), and the
 * device saw two connections and two requests. */
static void expect_reopened(struct server *s, struct kasa_conn *c)
{
	ck_assert_int_eq(run_request(c, query, 2000), 1);
	ck_assert_str_eq(kasa_conn_reply(c, NULL), "{\"n\":1}");
	ck_assert_uint_eq(kasa_conn_generation(c), 2);
	ck_assert_int_eq(atomic_load(&s->connections), 2);
	ck_assert_int_eq(atomic_load(&s->requests), 2);
}

/* A loop watching the idle socket (POLLIN) sees the hang-up, and the
 * process call closes the socket at once. */
START_TEST(test_idle_hang_up)
{
	struct server *s = server_start(MODE_HANG_UP);
	struct kasa_conn *c = conn_to(s->port);
	uint32_t revents;

	ck_assert_uint_eq(kasa_conn_generation(c), 0);
	revents = hang_up_after_one(c);
	ck_assert_int_ge(kasa_conn_fd(c), 0);
	ck_assert_uint_eq(kasa_conn_events(c), POLLIN);
	/* A call without events changes nothing. */
	ck_assert_int_eq(kasa_conn_process(c, 0, kasa_now_usec()), 0);
	ck_assert_int_ge(kasa_conn_fd(c), 0);
	ck_assert_int_eq(kasa_conn_process(c, revents, kasa_now_usec()), 0);
	ck_assert_int_eq(kasa_conn_fd(c), -1);
	ck_assert_uint_eq(kasa_conn_events(c), 0);
	ck_assert_uint_eq(kasa_conn_generation(c), 1);
	expect_reopened(s, c);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

/* A caller that watches idle sockets, but has not yet seen the device
 * hang up: the start sends on the dead socket, finds it dead, and sends
 * again on a new one, the request answered all the same. */
START_TEST(test_idle_watched_hang_up)
{
	struct server *s = server_start(MODE_HANG_UP);
	struct kasa_conn *c = conn_to(s->port);

	kasa_conn_set_idle_watched(c, true);
	hang_up_after_one(c); /* arrived; nobody processed it */
	expect_reopened(s, c);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

/* A fresh connection closed without a reply is not retried. */
START_TEST(test_close_without_reply)
{
	struct server *s = server_start(MODE_CLOSE);
	struct kasa_conn *c = conn_to(s->port);

	ck_assert_int_eq(run_request(c, query, 2000), -ECONNRESET);
	ck_assert_int_eq(atomic_load(&s->connections), 1);
	ck_assert_int_eq(kasa_conn_fd(c), -1);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

START_TEST(test_timeout)
{
	struct server *s = server_start(MODE_SILENT);
	struct kasa_conn *c = conn_to(s->port);
	uint64_t start = kasa_now_usec(), took;

	ck_assert_int_eq(run_request(c, query, 300), -ETIMEDOUT);
	took = kasa_now_usec() - start;
	ck_assert_uint_ge(took, 300000);
	ck_assert_uint_lt(took, 1300000);
	ck_assert_int_eq(kasa_conn_fd(c), -1);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

START_TEST(test_refused)
{
	uint16_t port;
	int fd = bind_loopback(&port); /* bound, not listening: refused */
	struct kasa_conn *c = conn_to(port);

	ck_assert_int_eq(run_request(c, query, 2000), -ECONNREFUSED);
	kasa_conn_free(c);
	close(fd);
}
END_TEST

START_TEST(test_zero_length_reply)
{
	struct server *s = server_start(MODE_ZERO_LENGTH);
	struct kasa_conn *c = conn_to(s->port);

	ck_assert_int_eq(run_request(c, query, 2000), 1);
	ck_assert_str_eq(kasa_conn_reply(c, NULL), "{\"zero\":1}");
	/* The device closed: the next request opens a new connection. */
	ck_assert_int_eq(kasa_conn_fd(c), -1);
	ck_assert_int_eq(run_request(c, query, 2000), 1);
	ck_assert_int_eq(atomic_load(&s->connections), 2);
	kasa_conn_free(c);
	server_stop(s);
}
END_TEST

START_TEST(test_call)
{
	struct server *s = server_start(MODE_REPLY);
	char *out = NULL;
	size_t len = 0;

	ck_assert_int_eq(kasa_call("127.0.0.1", s->port, query, 2000, &out, &len), 0);
	ck_assert_str_eq(out, "{\"n\":1}");
	ck_assert_uint_eq(len, 7);
	free(out);
	server_stop(s);
}
END_TEST

START_TEST(test_call_errors)
{
	char *out = (char *)"untouched";
	uint16_t port;
	int fd = bind_loopback(&port);
	uint64_t start;

	ck_assert_int_eq(kasa_call("127.0.0.1", port, query, 2000, &out, NULL), -ECONNREFUSED);
	ck_assert_str_eq(out, "untouched");
	ck_assert_int_eq(kasa_call("127.0.0.1", port, query, 0, &out, NULL), -EINVAL);
	close(fd);

	struct server *s = server_start(MODE_SILENT);

	start = kasa_now_usec();
	ck_assert_int_eq(kasa_call("127.0.0.1", s->port, query, 200, &out, NULL), -ETIMEDOUT);
	ck_assert_uint_lt(kasa_now_usec() - start, 1200000);
	server_stop(s);
}
END_TEST

/* Names are not looked up here: that would ask the machine's DNS server. */
START_TEST(test_resolver_errors)
{
	ck_assert_int_eq(kasa_gai_errno(EAI_NONAME), -ENXIO);
	ck_assert_int_eq(kasa_gai_errno(EAI_AGAIN), -EAGAIN);
	ck_assert_int_eq(kasa_gai_errno(EAI_MEMORY), -ENOMEM);
	ck_assert_int_eq(kasa_gai_errno(EAI_SERVICE), -EINVAL);
	ck_assert_str_eq(kasa_strerror(-ENXIO), "host name not found");
	ck_assert_str_eq(kasa_strerror(-EAGAIN),
			 "host name lookup failed for now (no answer from the resolver)");
}
END_TEST

START_TEST(test_bad_address)
{
	struct sockaddr sa = {.sa_family = AF_UNIX};

	ck_assert_ptr_null(kasa_conn_new(&sa, sizeof(sa)));
	ck_assert_ptr_null(kasa_conn_new(NULL, 0));
	kasa_conn_free(NULL);
}
END_TEST

static Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_stale_reconnects_once);
	tcase_add_test(tc, test_close_without_reply);
	tcase_add_test(tc, test_idle_hang_up);
	tcase_add_test(tc, test_idle_watched_hang_up);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_zero_length_reply);
	tcase_add_test(tc, test_call);
	tcase_add_test(tc, test_call_errors);
	tcase_add_test(tc, test_resolver_errors);
	tcase_add_test(tc, test_bad_address);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(conn_suite());
}
