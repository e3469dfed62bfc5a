/* SPDX-License-Identifier: MIT */
/*
 * Figures, not pass/fail, for tests/bench/bench-daemon.sh.  Talks HTTP/1.1
 * to kasad over one kept-alive loopback connection, one request at a time.
 *
 * bench-http relay KASAD_PORT NAME PLUG_PORT ROUNDS
 *	POST /devices/NAME/on through kasad, interleaved round by round with
 *	the same relay request sent straight to the plug over one kept
 *	kasa_conn (as kasad talks to it); then kasa_call (a new connection
 *	each, as kasactl does).  Median and p99 of each, and kasad's overhead
 *	(its median minus the direct kept-connection median).
 * bench-http switch KASAD_PORT ROUNDS NAME...
 *	POST /devices/NAME/on through kasad for each NAME in turn, round by
 *	round (plugs of different transports side by side); median and p99
 *	of each.
 * bench-http online KASAD_PORT COUNT TIMEOUT_S [START_REALTIME_NS]
 *	GET /healthz every millisecond until it says "online":COUNT; prints
 *	the time that took, from START_REALTIME_NS (date +%s%N) if given,
 *	else from its own start.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "kasa.h"
#include "bench-util.h"

#define BODY_MAX 65536

struct http {
	int fd;
	size_t have;
	char buf[BODY_MAX + 8192];
};

static void die(const char *what)
{
	fprintf(stderr, "bench-http: %s\n", what);
	exit(1);
}

static void http_open(struct http *h, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;

	h->have = 0;
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("cannot connect to kasad");
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The value of header NAME in the head [p, end), or NULL. */
static const char *header(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			break;
		if ((size_t)(eol - p) > n && !strncasecmp(p, name, n) && p[n] == ':')
			return p + n + 1;
		p = eol + 1;
	}
	return NULL;
}

/* Send one request, read its whole answer; returns the status code and
 * leaves the NUL-terminated body in body (BODY_MAX + 1 bytes). */
static int http_exchange(struct http *h, const char *req, char *body)
{
	size_t len = strlen(req), head = 0, clen = 0;
	const char *v;
	int status;

	if (write(h->fd, req, len) != (ssize_t)len)
		die("write to kasad failed");
	for (;;) {
		char *e;

		h->buf[h->have] = '\0';
		if (!head && (e = strstr(h->buf, "\r\n\r\n"))) {
			head = (size_t)(e - h->buf) + 4;
			v = header(h->buf, e + 2, "Content-Length");
			if (!v)
				die("an answer without Content-Length");
			clen = strtoul(v, NULL, 10);
			if (clen > BODY_MAX)
				die("an answer too long");
			v = header(h->buf, e + 2, "Connection");
			if (v && strstr(v, "close") && strstr(v, "close") < strchr(v, '\n'))
				die("kasad closes the connection (Connection: close)");
		}
		if (head && h->have >= head + clen)
			break;
		if (h->have >= sizeof(h->buf) - 1)
			die("an answer head too long");
		ssize_t n = read(h->fd, h->buf + h->have, sizeof(h->buf) - 1 - h->have);
		if (n <= 0)
			die(n ? "read from kasad failed" : "kasad closed the connection");
		h->have += (size_t)n;
	}
	if (sscanf(h->buf, "HTTP/1.%*d %d", &status) != 1)
		die("not an HTTP answer");
	memcpy(body, h->buf + head, clen);
	body[clen] = '\0';
	h->have -= head + clen;
	memmove(h->buf, h->buf + head + clen, h->have);
	return status;
}

static int relay(uint16_t kport, const char *name, uint16_t pport, size_t rounds)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(pport),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint64_t *via = calloc(rounds, sizeof(*via)), *kept = calloc(rounds, sizeof(*kept));
	uint64_t *fresh = calloc(rounds, sizeof(*fresh)), m_via, m_kept, m_fresh;
	char *json = NULL, *body = malloc(BODY_MAX + 1), req[512];
	struct http *h = malloc(sizeof(*h));
	struct kasa_conn *c = kasa_conn_new((struct sockaddr *)&sin, sizeof(sin));

	if (kasa_req_relay(NULL, true, &json) < 0 || !via || !kept || !fresh || !body || !h || !c)
		die("out of memory");
	snprintf(req, sizeof(req),
		 "POST /devices/%s/on HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 0\r\n\r\n",
		 name, (unsigned)kport);
	http_open(h, kport);
	/* Warm up both paths: connections made, kasad's state of the plug known. */
	for (int i = 0; i < 50; i++) {
		int st = http_exchange(h, req, body);

		if (st != 200) {
			fprintf(stderr, "bench-http: POST /devices/%s/on: HTTP %d: %s\n", name, st,
				body);
			return 1;
		}
		if (bench_conn_roundtrip(c, json) != 1)
			die("direct relay request failed");
	}
	for (size_t i = 0; i < rounds; i++) {
		uint64_t t0 = kasa_now_usec(), t1;

		if (http_exchange(h, req, body) != 200)
			die("POST failed");
		t1 = kasa_now_usec();
		via[i] = t1 - t0;
		if (bench_conn_roundtrip(c, json) != 1)
			die("direct relay request failed");
		kept[i] = kasa_now_usec() - t1;
	}
	for (size_t i = 0; i < rounds; i++) {
		uint64_t t0 = kasa_now_usec();
		char *reply;

		if (kasa_call("127.0.0.1", pport, json, 5000, &reply, NULL) < 0)
			die("kasa_call failed");
		fresh[i] = kasa_now_usec() - t0;
		free(reply);
	}
	m_via = bench_report("  ", 48, "POST /devices/NAME/on via kasad (keep-alive)", via, rounds);
	m_kept = bench_report("  ", 48, "relay direct, kept kasa_conn (as kasad)", kept, rounds);
	m_fresh = bench_report("  ", 48, "relay direct, kasa_call (new conn, as kasactl)", fresh,
			       rounds);
	printf("  kasad overhead (median via kasad - median direct kept): %.3f ms  (aim < 0.2 "
	       "ms)\n",
	       ((double)m_via - (double)m_kept) / 1000.0);
	printf("  (vs. kasa_call with a new connection each: %+.3f ms)\n",
	       ((double)m_via - (double)m_fresh) / 1000.0);
	kasa_conn_free(c);
	close(h->fd);
	free(h), free(body), free(json), free(via), free(kept), free(fresh);
	return 0;
}

static int switches(uint16_t kport, size_t rounds, char **names, size_t n)
{
	uint64_t **t = calloc(n, sizeof(*t));
	char *body = malloc(BODY_MAX + 1), (*req)[256] = calloc(n, sizeof(*req));
	struct http *h = malloc(sizeof(*h));

	if (!t || !body || !req || !h)
		die("out of memory");
	for (size_t k = 0; k < n; k++) {
		t[k] = calloc(rounds, sizeof(**t));
		if (!t[k])
			die("out of memory");
		snprintf(req[k], sizeof(req[k]),
			 "POST /devices/%s/on HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: "
			 "0\r\n\r\n",
			 names[k], (unsigned)kport);
	}
	http_open(h, kport);
	/* Warm up: connections made, sessions open, each plug's kind known. */
	for (int i = 0; i < 20; i++)
		for (size_t k = 0; k < n; k++) {
			int st = http_exchange(h, req[k], body);

			if (st != 200) {
				fprintf(stderr, "bench-http: POST /devices/%s/on: HTTP %d: %s\n",
					names[k], st, body);
				return 1;
			}
		}
	for (size_t i = 0; i < rounds; i++)
		for (size_t k = 0; k < n; k++) {
			uint64_t t0 = kasa_now_usec();

			if (http_exchange(h, req[k], body) != 200)
				die("POST failed");
			t[k][i] = kasa_now_usec() - t0;
		}
	for (size_t k = 0; k < n; k++) {
		char label[64];

		snprintf(label, sizeof(label), "POST /devices/%s/on via kasad", names[k]);
		bench_report("  ", 48, label, t[k], rounds);
		free(t[k]);
	}
	close(h->fd);
	free(t), free(body), free(req), free(h);
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int online(uint16_t kport, long count, long timeout_s, uint64_t start_ns)
{
	const char *req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char *body = malloc(BODY_MAX + 1);
	struct http *h = malloc(sizeof(*h));
	uint64_t deadline = kasa_now_usec() + (uint64_t)timeout_s * 1000000u;
	long n = -1, polls = 0;

	if (!body || !h)
		die("out of memory");
	if (!start_ns)
		start_ns = realtime_ns();
	http_open(h, kport);
	while (kasa_now_usec() < deadline) {
		const char *p;

		polls++;
		if (http_exchange(h, req, body) != 200)
			die("GET /healthz failed");
		p = strstr(body, "\"online\":");
		n = p ? strtol(p + 9, NULL, 10) : -1;
		if (n >= count) {
			printf("%.1f %ld\n", (double)(realtime_ns() - start_ns) / 1e6, polls);
			return 0;
		}
		usleep(1000);
	}
	fprintf(stderr, "bench-http: /healthz still says online %ld of %ld after %ld s: %s", n,
		count, timeout_s, body);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "relay") && atol(argv[5]) > 0)
		return relay((uint16_t)atoi(argv[2]), argv[3], (uint16_t)atoi(argv[4]),
			     (size_t)atol(argv[5]));
	if (argc >= 5 && !strcmp(argv[1], "switch") && atol(argv[3]) > 0)
		return switches((uint16_t)atoi(argv[2]), (size_t)atol(argv[3]), argv + 4,
				(size_t)argc - 4);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "online"))
		return online((uint16_t)atoi(argv[2]), atol(argv[3]), atol(argv[4]),
			      argc == 6 ? strtoull(argv[5], NULL, 10) : 0);
	fprintf(stderr,
		"usage: bench-http relay KASAD_PORT NAME PLUG_PORT ROUNDS\n"
		"       bench-http switch KASAD_PORT ROUNDS NAME...\n"
		"       bench-http online KASAD_PORT COUNT TIMEOUT_S [START_REALTIME_NS]\n");
	return 2;
}
