/* SPDX-License-Identifier: MIT */
/*
 * Figures, not pass/fail: KLAP beside XOR, against kasa-emu on loopback
 * (tests/bench/run.sh starts the devices), as median and p99.
 *
 * 1. A relay switch (on, off, on, ...) over one kept connection or
 *    session, the four interleaved round by round so that the machine's
 *    load falls on each alike: XOR over a kasa_conn, KLAP v1 and v2 with
 *    IOT JSON (set_relay_state), KLAP v2 with SMART JSON (set_device_info
 *    device_on).  Each KLAP device has its kasa_klap_conn, driven with
 *    poll(2) as the daemon's loop will drive it (bench_klap_roundtrip()),
 *    its session made by one request before the clock runs.
 * 2. What a handshake costs, v1 and v2, four ways interleaved round by
 *    round.  A fresh kasa_klap_conn (connect, handshake 1 + 2, the
 *    request): a first contact.  Making and freeing it (auth hashes,
 *    libcurl's handles) is off the clock: what is timed is the exchange.
 *    It talks to a device of its own, as a handshake 1 ends the session
 *    a device holds, which would cost the kept one below a 403 and a
 *    handshake.  Then on the kept kasa_klap_conn: a request over a new
 *    TCP connection (kasa_klap_conn_close() first; the session outlives
 *    it), which prices the connect alone; a new session on the kept
 *    connection (handshake 1 + 2 + the request), the exchange the daemon
 *    makes when a session ages out: start() is given a clock one session
 *    lifetime ahead, so that kasa_klap_client_expired() finds the session
 *    old and the code of a renewal runs, nothing added on the wire; last,
 *    a request on the established session and kept connection, the
 *    baseline, which so follows a request of its own connection rather
 *    than a teardown the emulator is still busy with.  A new session less
 *    the baseline is the handshake.
 *    Below the wall times: the client's CPU time per request (all of the
 *    process, libcurl's work included) and the turns of the loop, with
 *    the polls that slept on one of libcurl's timers and woke with
 *    nothing to do (none is the aim: poll(2) rounds a timer up to a
 *    millisecond).
 * 3. The client's cryptography alone, no I/O: kasa_klap_client_handshake1
 *    and 2 (and established), and seal and open of the relay request,
 *    against an in-process kasa_klap_server whose work is off the clock.
 *    Each step takes about a microsecond, the resolution of the lines
 *    above, so these are timed in nanoseconds and printed in microseconds.
 *
 * Usage: bench-klap ROUNDS USER PASSWORD XOR V1 V2 SMART V1_FRESH V2_FRESH
 * ROUNDS: rounds of each series; then the ports on 127.0.0.1 of an XOR
 * hs110v4, an hs110v4 klap=1 and one klap=2, a p110, and one more hs110v4
 * klap=1 and klap=2 for the fresh sessions; the KLAP devices bound to the
 * account USER / PASSWORD, which the client gives (so the first credential
 * it tries matches).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/macro.h"
#include "kasa.h"
#include "bench-util.h"

/* Lines are "label n=... median=...", the label in this many columns, as
 * bench-lib's; indented ones take two off. */
#define WIDTH  34
#define IWIDTH (WIDTH - 2)

enum port {
	PORT_XOR,
	PORT_V1,
	PORT_V2,
	PORT_SMART,
	PORT_V1_FRESH,
	PORT_V2_FRESH,
	PORT_COUNT,
};

struct bench {
	size_t rounds;
	const char *user, *password;
	struct sockaddr_in addr[PORT_COUNT];
	/* The relay requests, on and off, prebuilt. */
	char *iot[2], *smart[2];
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-klap: %s: %s\n", what, kasa_strerror(err));
	exit(1);
}

/* This process's CPU time (libcurl's threads too, were there any). */
static uint64_t cpu_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One line of figures: each round's wall time, and what the client did. */
struct series {
	const char *what;
	uint64_t *us;
	uint64_t cpu_ns;	  /* the client's CPU time, all rounds */
	struct bench_turns turns; /* KLAP's loop, all rounds */
};

static uint64_t *times_new(size_t rounds)
{
	uint64_t *t = calloc(rounds, sizeof(*t));

	if (!t)
		die("calloc", -ENOMEM);
	return t;
}

static void series_init(struct series *s, const char *what, size_t rounds)
{
	*s = (struct series){.what = what, .us = times_new(rounds)};
}

/* Its wall times as bench-lib's lines. */
static void series_report(struct series *s, size_t rounds)
{
	bench_report("  ", IWIDTH, s->what, s->us, rounds);
}

/* The client's CPU per request; for KLAP its loop's turns too, and the
 * polls that slept on a timer and woke with nothing to read. */
static void series_report_cost(const struct series *s, size_t rounds, bool klap)
{
	printf("  %-*s client CPU %.1f us", IWIDTH, s->what, s->cpu_ns / 1e3 / (double)rounds);
	if (klap)
		printf(", %.2f process() calls per request, %llu timer waits",
		       (double)s->turns.turns / (double)rounds,
		       (unsigned long long)s->turns.timer_waits);
	printf("\n");
}

static struct kasa_klap_conn *klap_new(const struct bench *b, enum port port,
				       enum kasa_klap_proto proto, unsigned versions)
{
	struct kasa_klap_conn *c;
	int r = kasa_klap_conn_new((const struct sockaddr *)&b->addr[port], sizeof(b->addr[port]),
				   proto, versions, b->user, b->password, &c);

	if (r < 0)
		die("kasa_klap_conn_new", r);
	return c;
}

/* The device switched: the answer says so (checked off the clock). */
static void check_reply(const char *what, const char *reply, enum kasa_klap_proto proto)
{
	const char *want = proto == KASA_KLAP_PROTO_SMART ? "\"error_code\":0" : "\"err_code\":0";

	if (!reply || !strstr(reply, want)) {
		fprintf(stderr, "bench-klap: %s: unexpected answer %s\n", what,
			reply ? reply : "(none)");
		exit(1);
	}
}

/* One KLAP request on c, its answer checked; timed into round i of s
 * (s NULL: not timed, to make a session). */
static void klap_round(struct kasa_klap_conn *c, struct series *s, size_t i, const char *json,
		       enum kasa_klap_proto proto, uint64_t ahead_usec)
{
	uint64_t start = kasa_now_usec(), cpu = cpu_nsec();
	int r = bench_klap_roundtrip(c, json, ahead_usec, s ? &s->turns : NULL);

	if (s) {
		s->us[i] = kasa_now_usec() - start;
		s->cpu_ns += cpu_nsec() - cpu;
	}
	if (r != 1)
		die(s ? s->what : "KLAP", r);
	check_reply(s ? s->what : "KLAP", kasa_klap_conn_reply(c, NULL), proto);
}

static void xor_round(struct kasa_conn *c, struct series *s, size_t i, const char *json)
{
	uint64_t start = kasa_now_usec(), cpu = cpu_nsec();
	int r = bench_conn_roundtrip(c, json);

	if (s) {
		s->us[i] = kasa_now_usec() - start;
		s->cpu_ns += cpu_nsec() - cpu;
	}
	if (r != 1)
		die("XOR", r);
	check_reply("XOR", kasa_conn_reply(c, NULL), KASA_KLAP_PROTO_IOT);
}

static void bench_relay(const struct bench *b)
{
	static const struct {
		const char *what;
		enum port port;
		enum kasa_klap_proto proto;
		unsigned version;
	} klap[] = {
		{"KLAP v1, IOT JSON", PORT_V1, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1},
		{"KLAP v2, IOT JSON", PORT_V2, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2},
		{"KLAP v2, SMART JSON", PORT_SMART, KASA_KLAP_PROTO_SMART, KASA_KLAP_V2},
	};
	struct kasa_klap_conn *c[ARRAY_SIZE(klap)];
	struct series xs, ks[ARRAY_SIZE(klap)];
	struct kasa_conn *plain;

	plain = kasa_conn_new((const struct sockaddr *)&b->addr[PORT_XOR],
			      sizeof(b->addr[PORT_XOR]));
	if (!plain)
		die("kasa_conn_new", -ENOMEM);
	series_init(&xs, "XOR, kasa_conn", b->rounds);
	/* Connected, and the sessions made, before the clock runs. */
	xor_round(plain, NULL, 0, b->iot[0]);
	for (size_t k = 0; k < ARRAY_SIZE(klap); k++) {
		bool smart = klap[k].proto == KASA_KLAP_PROTO_SMART;

		series_init(&ks[k], klap[k].what, b->rounds);
		c[k] = klap_new(b, klap[k].port, klap[k].proto, klap[k].version);
		klap_round(c[k], NULL, 0, smart ? b->smart[0] : b->iot[0], klap[k].proto, 0);
	}

	for (size_t i = 0; i < b->rounds; i++) {
		int on = !(i & 1);

		xor_round(plain, &xs, i, b->iot[on]);
		for (size_t k = 0; k < ARRAY_SIZE(klap); k++) {
			bool smart = klap[k].proto == KASA_KLAP_PROTO_SMART;

			klap_round(c[k], &ks[k], i, smart ? b->smart[on] : b->iot[on],
				   klap[k].proto, 0);
		}
	}

	printf("relay switch, kept connection or session (interleaved):\n");
	series_report(&xs, b->rounds);
	for (size_t k = 0; k < ARRAY_SIZE(klap); k++)
		series_report(&ks[k], b->rounds);
	series_report_cost(&xs, b->rounds, false);
	for (size_t k = 0; k < ARRAY_SIZE(klap); k++)
		series_report_cost(&ks[k], b->rounds, true);

	kasa_conn_free(plain);
	free(xs.us);
	for (size_t k = 0; k < ARRAY_SIZE(klap); k++) {
		kasa_klap_conn_free(c[k]);
		free(ks[k].us);
	}
}

enum hs_series {
	HS_KEPT,    /* a request, established session, kept connection */
	HS_NEW_TCP, /* a request, established session, new TCP connection */
	HS_RENEW,   /* a new session on the kept connection, and the request */
	HS_FRESH,   /* a fresh kasa_klap_conn: connect, new session, request */
	HS_COUNT,
};

static void bench_handshake(const struct bench *b, enum kasa_klap_version v)
{
	static const char *const what[HS_COUNT] = {
		[HS_KEPT] = "request, kept session and TCP",
		[HS_NEW_TCP] = "request, kept session, new TCP",
		[HS_RENEW] = "hs1 + hs2 + request, kept TCP",
		[HS_FRESH] = "connect + hs1 + hs2 + request",
	};
	/* A clock this far ahead finds any session old. */
	const uint64_t ahead = (uint64_t)KASA_KLAP_TIMEOUT_DEFAULT * 1000000ULL;
	enum port port = v == KASA_KLAP_V1 ? PORT_V1 : PORT_V2;
	enum port fresh_port = v == KASA_KLAP_V1 ? PORT_V1_FRESH : PORT_V2_FRESH;
	const enum kasa_klap_proto iot = KASA_KLAP_PROTO_IOT;
	struct series s[HS_COUNT];
	struct kasa_klap_conn *kept;

	for (size_t k = 0; k < HS_COUNT; k++)
		series_init(&s[k], what[k], b->rounds);
	kept = klap_new(b, port, iot, v);
	klap_round(kept, NULL, 0, b->iot[0], iot, 0);

	for (size_t i = 0; i < b->rounds; i++) {
		const char *json = b->iot[!(i & 1)];
		struct kasa_klap_conn *fresh;

		fresh = klap_new(b, fresh_port, iot, v);
		klap_round(fresh, &s[HS_FRESH], i, json, iot, 0);
		kasa_klap_conn_free(fresh);
		kasa_klap_conn_close(kept);
		klap_round(kept, &s[HS_NEW_TCP], i, json, iot, 0);
		klap_round(kept, &s[HS_RENEW], i, json, iot, ahead);
		klap_round(kept, &s[HS_KEPT], i, json, iot, 0);
	}

	printf("KLAP v%d handshake, IOT JSON relay (interleaved):\n", (int)v);
	for (size_t k = 0; k < HS_COUNT; k++)
		series_report(&s[k], b->rounds);
	for (size_t k = 0; k < HS_COUNT; k++)
		series_report_cost(&s[k], b->rounds, true);
	kasa_klap_conn_free(kept);
	for (size_t k = 0; k < HS_COUNT; k++)
		free(s[k].us);
}

static uint64_t now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The time a client call takes, in nanoseconds, added to acc; its result. */
#define TIMED(acc, call)                                                                           \
	({                                                                                         \
		uint64_t t0_ = now_nsec();                                                         \
		int r_ = (call);                                                                   \
		(acc) += now_nsec() - t0_;                                                         \
		r_;                                                                                \
	})

/*
 * rounds handshakes, each with one request, between a client that gives
 * user and password (NULL: none) for versions and a device holding the
 * credential dev_user / dev_password in dev_version; the client's time of
 * each round, in nanoseconds, into hs_ns[] and req_ns[].
 */
static void crypto_rounds(const struct bench *b, const char *user, const char *password,
			  unsigned versions, enum kasa_klap_version dev_version,
			  const char *dev_user, const char *dev_password, uint64_t *hs_ns,
			  uint64_t *req_ns)
{
	static const char answer[] = "{\"system\":{\"set_relay_state\":{\"err_code\":0}}}";
	uint8_t auth[KASA_KLAP_AUTH_HASH_MAX];
	struct kasa_klap_client *c;
	struct kasa_klap_server *s;
	int len, r;

	len = kasa_klap_auth_hash(dev_version, dev_user, dev_password, auth);
	if (len < 0)
		die("kasa_klap_auth_hash", len);
	r = kasa_klap_server_new(dev_version, auth, (size_t)len, &s);
	if (r < 0)
		die("kasa_klap_server_new", r);
	r = kasa_klap_client_new(user, password, versions, &c);
	if (r < 0)
		die("kasa_klap_client_new", r);

	for (size_t i = 0; i < b->rounds; i++) {
		uint8_t seed[KASA_KLAP_SEED_LEN], hs1[KASA_KLAP_HANDSHAKE1_LEN];
		uint8_t hs2[KASA_KLAP_HANDSHAKE2_LEN];
		const char *json = b->iot[i & 1];
		char path[KASA_KLAP_PATH_MAX], *opened, *reply;
		uint8_t *sealed, *answered;
		size_t sealed_len, answered_len, opened_len, reply_len;
		int32_t seq;

		hs_ns[i] = req_ns[i] = 0;
		r = TIMED(hs_ns[i], kasa_klap_client_handshake1(c, NULL, seed));
		if (r >= 0)
			r = kasa_klap_server_handshake1(s, seed, sizeof(seed), NULL, hs1);
		if (r >= 0)
			r = TIMED(hs_ns[i], kasa_klap_client_handshake2(c, hs1, sizeof(hs1), hs2,
									NULL, NULL));
		if (r >= 0)
			r = kasa_klap_server_handshake2(s, hs2, sizeof(hs2));
		if (r >= 0)
			r = TIMED(hs_ns[i], kasa_klap_client_established(c, kasa_now_usec(), -1));
		if (r < 0)
			die("handshake", r);

		r = TIMED(req_ns[i],
			  kasa_klap_client_seal(c, json, strlen(json), path, &sealed, &sealed_len));
		if (r >= 0)
			r = kasa_klap_seq_parse(strchr(path, '=') + 1, &seq);
		if (r >= 0)
			r = kasa_klap_server_open(s, seq, sealed, sealed_len, &opened, &opened_len);
		if (r < 0)
			die("request", r);
		r = kasa_klap_server_seal(s, answer, strlen(answer), &answered, &answered_len);
		if (r >= 0)
			r = TIMED(req_ns[i], kasa_klap_client_open(c, answered, answered_len,
								   &reply, &reply_len));
		if (r < 0)
			die("answer", r);
		if (strcmp(opened, json) || strcmp(reply, answer))
			die("a body opened to other text", -EBADMSG);
		free(sealed);
		free(opened);
		free(answered);
		free(reply);
	}
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}

static void bench_crypto(const struct bench *b)
{
	static const struct {
		const char *hs, *req;
		bool account;
		unsigned versions;
		enum kasa_klap_version device;
	} runs[] = {
		{"v1 handshake 1 + 2", "v1 request, seal + open", true, KASA_KLAP_V1, KASA_KLAP_V1},
		{"v2 handshake 1 + 2", "v2 request, seal + open", true, KASA_KLAP_V2, KASA_KLAP_V2},
		/* No account and the version not known: each default in v1
		 * then v2, and blank, the last one tried, matches. */
		{"v1|v2 handshake, blank v2 plug", "v1|v2 request, seal + open", false,
		 KASA_KLAP_ANY, KASA_KLAP_V2},
	};
	uint64_t *hs = times_new(b->rounds), *req = times_new(b->rounds);

	printf("KLAP client crypto alone, no I/O (the account given, else none):\n");
	for (size_t k = 0; k < ARRAY_SIZE(runs); k++) {
		crypto_rounds(b, runs[k].account ? b->user : NULL,
			      runs[k].account ? b->password : NULL, runs[k].versions,
			      runs[k].device, runs[k].account ? b->user : "",
			      runs[k].account ? b->password : "", hs, req);
		bench_report_ns("  ", IWIDTH, runs[k].hs, hs, b->rounds);
		bench_report_ns("  ", IWIDTH, runs[k].req, req, b->rounds);
	}
	free(hs);
	free(req);
}

int main(int argc, char **argv)
{
	struct bench b = {0};
	int r = 0;

	if (argc != 4 + PORT_COUNT) {
		fprintf(stderr, "usage: bench-klap ROUNDS USER PASSWORD XOR V1 V2 SMART "
				"V1_FRESH V2_FRESH\n");
		return 2;
	}
	b.rounds = strtoul(argv[1], NULL, 10);
	b.user = argv[2];
	b.password = argv[3];
	if (!b.rounds) {
		fprintf(stderr, "bench-klap: ROUNDS must be a positive number\n");
		return 2;
	}
	for (int p = 0; p < PORT_COUNT; p++) {
		b.addr[p] = (struct sockaddr_in){.sin_family = AF_INET,
						 .sin_port = htons((uint16_t)atoi(argv[4 + p])),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	}
	for (int on = 0; on < 2 && r >= 0; on++) {
		r = kasa_req_relay(NULL, on, &b.iot[on]);
		if (r >= 0)
			r = kasa_smart_req_device_on(on, NULL, &b.smart[on]);
	}
	if (r < 0)
		die("request builders", r);

	bench_relay(&b);
	bench_handshake(&b, KASA_KLAP_V1);
	bench_handshake(&b, KASA_KLAP_V2);
	bench_crypto(&b);
	for (int on = 0; on < 2; on++) {
		free(b.iot[on]);
		free(b.smart[on]);
	}
	return 0;
}
