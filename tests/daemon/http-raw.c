/* SPDX-License-Identifier: MIT */
/*
 * A raw HTTP client for the daemon's tests: the bytes on standard input go
 * out as they are, and what comes back is printed as it is, which curl
 * does not allow for requests that break the protocol on purpose.
 *
 *   http-raw [-s | -R SECONDS] [-t SECONDS] PORT
 *	Connect to 127.0.0.1:PORT, send standard input, then with -s shut
 *	down the sending side (a half-close); print everything received until
 *	the server closes.  Exit 3 if it has not closed within -t SECONDS (5).
 *	With -R, a client that gives up: it resets the connection (RST) after
 *	-R SECONDS, or once the server closed, and exits 3 if it gave up.
 *
 *   http-raw -n N [-t SECONDS] PORT
 *	Open N connections at once, send standard input on each, and read
 *	one whole answer (its head and Content-Length bytes) on each for up
 *	to SECONDS in all; print "answered A of N", close them all, exit 0.
 *	A connection that waits in the server's backlog is not answered.
 *
 *   http-raw -p -n N [-t SECONDS] PORT
 *	The same, but standard input holds one or more requests without
 *	bodies (each ends in its empty line): connection i sends the
 *	(i mod K)th of the K, all before any is read.  After "answered", each
 *	whole answer's body is printed on a line of its own, "i BODY", in
 *	connection order (a body ending in a line feed keeps only that one).
 *
 *   http-raw -H -n N [-t SECONDS] PORT
 *	A client that asks and does not read: N connections with a small
 *	receive buffer send standard input, print "holding N" once it is
 *	sent, read nothing for SECONDS, then close.
 *
 * Only loopback: the tests talk to a kasad of their own.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

#define REQUEST_MAX (1024 * 1024)
#define CONNECTIONS_MAX 512
#define ANSWER_MAX (64 * 1024)

static long long now_ms(void)
{
	return (long long)(monotonic_usec() / USEC_PER_MSEC);
}

static bool small_window;
static bool print_bodies;

static int connect_to(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rcvbuf = 4096;

	/* Before connect(), or the window is already offered. */
	if (small_window && fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "http-raw: connect to 127.0.0.1:%u: %s\n", port, strerror(errno));
		exit(2);
	}
	return fd;
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			fprintf(stderr, "http-raw: send: %s\n", strerror(errno));
			exit(2);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Has buf[0 .. len) one whole answer: a head and its Content-Length? */
static bool answer_whole(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *cl;
	size_t head;

	if (!end)
		return false;
	head = (size_t)(end - buf) + 4;
	for (cl = buf; (cl = memmem(cl, head - (size_t)(cl - buf), "\n", 1)); cl++)
		if (strncasecmp(cl + 1, "Content-Length:", 15) == 0)
			return len - head >= strtoul(cl + 16, NULL, 10);
	return true;
}

static int many(unsigned port, unsigned n, int timeout_ms, const char *req, size_t req_len)
{
	static int fds[CONNECTIONS_MAX];
	static char bufs[CONNECTIONS_MAX][ANSWER_MAX];
	static size_t lens[CONNECTIONS_MAX];
	static bool done[CONNECTIONS_MAX], whole[CONNECTIONS_MAX];
	static const char *reqs[CONNECTIONS_MAX];
	static size_t req_lens[CONNECTIONS_MAX];
	long long deadline = now_ms() + timeout_ms;
	unsigned answered = 0, ended = 0, k = 0;

	/* The requests to take turns: all of stdin, or (-p) each up to and
	 * with its empty line. */
	for (const char *at = req, *end = req + req_len; at < end && k < CONNECTIONS_MAX; k++) {
		const char *e = print_bodies ? memmem(at, (size_t)(end - at), "\r\n\r\n", 4) : NULL;

		reqs[k] = at;
		req_lens[k] = e ? (size_t)(e + 4 - at) : (size_t)(end - at);
		at += req_lens[k];
	}
	for (unsigned i = 0; i < n; i++)
		fds[i] = connect_to(port);
	for (unsigned i = 0; i < n; i++)
		send_all(fds[i], reqs[i % (k ? k : 1)], k ? req_lens[i % k] : 0);
	if (small_window) {
		struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};

		printf("holding %u\n", n);
		fflush(stdout);
		nanosleep(&ts, NULL);
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
		return 0;
	}
	while (ended < n) {
		struct pollfd p[CONNECTIONS_MAX];
		long long left = deadline - now_ms();

		if (left <= 0)
			break;
		for (unsigned i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = done[i] ? -1 : fds[i], .events = POLLIN};
		if (poll(p, n, (int)left) <= 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			ssize_t r;

			if (done[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(fds[i], bufs[i] + lens[i], ANSWER_MAX - lens[i], 0);
			if (r <= 0) {
				done[i] = true; /* closed without a whole answer */
				ended++;
				continue;
			}
			lens[i] += (size_t)r;
			if (answer_whole(bufs[i], lens[i]) || lens[i] == ANSWER_MAX) {
				done[i] = whole[i] = true;
				answered++;
				ended++;
			}
		}
	}
	printf("answered %u of %u\n", answered, n);
	for (unsigned i = 0; i < n && print_bodies; i++) {
		const char *body = memmem(bufs[i], lens[i], "\r\n\r\n", 4);
		size_t blen;

		if (!whole[i] || !body)
			continue;
		body += 4;
		blen = lens[i] - (size_t)(body - bufs[i]);
		if (blen && body[blen - 1] == '\n')
			blen--;
		printf("%u %.*s\n", i, (int)blen, body);
	}
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

int main(int argc, char **argv)
{
	static char req[REQUEST_MAX];
	size_t len = 0;
	bool half = false;
	int reset_ms = -1;
	unsigned n = 0, port;
	int timeout_ms = 5000, c, fd;
	long long deadline;
	ssize_t r;

	while ((c = getopt(argc, argv, "HpsR:n:t:")) != -1) {
		switch (c) {
		case 'p':
			print_bodies = true;
			break;
		case 's':
			half = true;
			break;
		case 'H':
			small_window = true;
			break;
		case 'R':
			reset_ms = (int)(strtod(optarg, NULL) * 1000);
			break;
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			timeout_ms = (int)(strtod(optarg, NULL) * 1000);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || n > CONNECTIONS_MAX || ((small_window || print_bodies) && !n)) {
		fprintf(stderr,
			"usage: http-raw [-s | -R SECONDS | [-H | -p] -n N] [-t SECONDS] PORT\n");
		return 2;
	}
	port = (unsigned)strtoul(argv[optind], NULL, 10);
	while ((r = read(0, req + len, sizeof(req) - len)) > 0)
		len += (size_t)r;
	if (n)
		return many(port, n, timeout_ms, req, len);

	fd = connect_to(port);
	send_all(fd, req, len);
	if (half)
		shutdown(fd, SHUT_WR);
	if (reset_ms >= 0)
		timeout_ms = reset_ms;
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		char buf[4096];

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			fflush(stdout);
			if (reset_ms >= 0) {
				struct linger l = {.l_onoff = 1, .l_linger = 0};

				setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
				close(fd);
				fprintf(stderr, "http-raw: gave up after %.1f s, reset\n",
					reset_ms / 1000.0);
				return 3;
			}
			fprintf(stderr, "http-raw: the server did not close within %.1f s\n",
				timeout_ms / 1000.0);
			return 3;
		}
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		fwrite(buf, 1, (size_t)r, stdout);
	}
	close(fd);
	return 0;
}
