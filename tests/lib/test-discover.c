/* SPDX-License-Identifier: MIT */
/*
 * Discovery over loopback only: a responder thread plays the plug on
 * 127.0.0.1 and an ephemeral port, answering the sysinfo query or the
 * probe of KLAP firmware.  Nothing here sends anywhere else.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
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
	REPLY_KLAP,    /* the KLAP probe: each of klap_answers, header and JSON */
	REPLY_KLAP_ELSEWHERE, /* the KLAP answers, from another port */
};

/* The older fixed probe of PROTOCOL-KLAP.md section 8, byte for byte. */
static const uint8_t klap_probe[16] = {0x02, 0, 0, 0x01, 0,    0,    0,	   0,
				       0,    0, 0, 0,	 0x46, 0x3c, 0xb5, 0xd3};
#define KLAP_ANSWERS_MAX 4

#define QUERIES_MAX 16

struct responder {
	int fd, second_fd;
	int stop[2]; /* closing stop[1] ends the thread */
	uint16_t port;
	enum reply_mode mode;
	char *reply;
	size_t reply_len;
	/* REPLY_KLAP: the JSON of each answer (a header goes before it). */
	const char *klap_answers[KLAP_ANSWERS_MAX];
	unsigned klap_count;
	/* Written by the thread, read after the join. */
	unsigned queries, bad_queries;
	uint64_t at_usec[QUERIES_MAX]; /* arrival, as the kernel stamped it */
	pthread_t thread;
};

struct seen {
	unsigned calls;
	struct kasa_found first;
	uint16_t ports[4];
	struct kasa_found all[4];
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

/* An answer to the KLAP probe: a header as the devices send it, then json. */
static void klap_answer(int fd, const char *json, const struct sockaddr_in *to, socklen_t tolen)
{
	uint8_t buf[2048] = {0x02, 0, 0, 0x01};
	size_t len = strlen(json);

	ck_assert_uint_le(len, sizeof(buf) - 16);
	buf[4] = (uint8_t)(len >> 8);
	buf[5] = (uint8_t)len;
	memcpy(buf + 16, json, len);
	sendto(fd, buf, 16 + len, 0, (const struct sockaddr *)to, tolen);
}

static void *respond(void *arg)
{
	struct responder *r = arg;
	bool klap = r->mode == REPLY_KLAP || r->mode == REPLY_KLAP_ELSEWHERE;
	char query[] = "{\"system\":{\"get_sysinfo\":{}}}";
	const char *want = klap ? (const char *)klap_probe : query;
	size_t want_len = klap ? sizeof(klap_probe) : strlen(query);
	char buf[2048];

	kasa_encrypt(query, strlen(query));
	for (;;) {
		struct pollfd pfd[2] = {{.fd = r->fd, .events = POLLIN},
					{.fd = r->stop[0], .events = POLLIN}};
		struct sockaddr_in from;
		socklen_t fromlen;
		struct iovec iov = {buf, sizeof(buf)};
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} control;
		struct msghdr msg = {.msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf)};
		struct cmsghdr *c;
		struct timespec now;
		uint64_t at;
		ssize_t n;

		/* The timeout only guards against a test that forgets to stop us.  Queries
		 * already queued are still counted after the stop. */
		if (poll(pfd, 2, 10000) <= 0 || !(pfd[0].revents & POLLIN))
			break;
		n = recvmsg(r->fd, &msg, 0);
		if (n < 0)
			continue;
		fromlen = msg.msg_namelen;
		clock_gettime(CLOCK_REALTIME, &now); /* the kernel's stamp's clock */
		at = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
		/* When the query arrived, not when this thread got to it: on a
		 * busy machine the thread may run late, and the spacing of the
		 * sends is what the tests look at. */
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				at = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
			}
		}
		/* Only the exact encrypted query, no header (or the exact KLAP probe),
		 * counts as a query. */
		if ((size_t)n != want_len || memcmp(buf, want, (size_t)n) != 0) {
			r->bad_queries++;
			continue;
		}
		if (r->queries < QUERIES_MAX)
			r->at_usec[r->queries] = at;
		r->queries++;
		if (r->mode == REPLY_NONE)
			continue;
		if (klap) {
			for (unsigned i = 0; i < r->klap_count; i++)
				klap_answer(r->mode == REPLY_KLAP ? r->fd : r->second_fd,
					    r->klap_answers[i], &from, fromlen);
			continue;
		}
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
	ck_assert_int_eq(setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){1}, sizeof(int)), 0);
	r->second_fd = udp_bound("127.0.0.1", &second_port);
	ck_assert_int_eq(pipe(r->stop), 0);

	if (mode == REPLY_KLAP || mode == REPLY_KLAP_ELSEWHERE) {
		r->reply = NULL;
	} else if (mode == REPLY_GARBAGE) {
		r->reply = strdup("\x01\x02 not a reply");
		r->reply_len = strlen(r->reply);
	} else {
		r->reply = test_data("sysinfo-hs110-v4.json", &r->reply_len);
		if (mode == REPLY_HALF)
			r->reply_len /= 2;
	}
	if (r->reply)
		kasa_encrypt(r->reply, r->reply_len);
	/* The socket is bound already, so queries queue up until the thread reads them. */
	ck_assert_int_eq(pthread_create(&r->thread, NULL, respond, r), 0);
}

static void responder_start(struct responder *r, enum reply_mode mode)
{
	responder_start_at(r, "127.0.0.1", mode);
}

/* A KLAP responder that answers each probe with the answers given (NULL-terminated). */
static void klap_responder_start(struct responder *r, enum reply_mode mode, ...)
{
	const char *a;
	va_list ap;

	memset(r, 0, sizeof(*r));
	va_start(ap, mode);
	while ((a = va_arg(ap, const char *)) && r->klap_count < KLAP_ANSWERS_MAX)
		r->klap_answers[r->klap_count++] = a;
	va_end(ap);
	r->mode = mode;
	r->fd = udp_bound("127.0.0.1", &r->port);
	r->second_fd = udp_bound("127.0.0.1", &(uint16_t){0});
	ck_assert_int_eq(pipe(r->stop), 0);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, respond, r), 0);
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
	if (seen->calls < 4) {
		seen->ports[seen->calls] = found->port;
		seen->all[seen->calls] = *found;
	}
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
	ck_assert_uint_lt(monotonic_usec() - start, 500000);
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

/* --- The probe of KLAP firmware ------------------------------------------------ */

static const char smart_answer[] =
	"{\"error_code\":0,\"result\":{\"device_id\":\"A1B2C3D4E5F60718293A4B5C6D7E8F90\","
	"\"owner\":\"\",\"device_type\":\"SMART.TAPOPLUG\",\"device_model\":\"P110(EU)\","
	"\"ip\":\"192.0.2.9\",\"mac\":\"3c-52-a1-00-00-06\",\"hw_ver\":\"1.0\","
	"\"factory_default\":true,\"is_support_iot_cloud\":true,\"mgt_encrypt_schm\":{"
	"\"is_support_https\":false,\"encrypt_type\":\"KLAP\",\"http_port\":8080,\"lv\":2}}}";
static const char iot_v1_answer[] =
	"{\"error_code\":0,\"result\":{\"device_id\":\"00112233445566778899AABBCCDDEEFF\","
	"\"device_type\":\"IOT.SMARTPLUGSWITCH\",\"device_model\":\"HS100(UK)\","
	"\"mac\":\"CC-32-E5-00-00-01\",\"hw_ver\":\"4.1\",\"factory_default\":false,"
	"\"mgt_encrypt_schm\":{\"is_support_https\":false,\"encrypt_type\":\"KLAP\","
	"\"http_port\":80}}}";
static const char iot_v2_answer[] =
	"{\"error_code\":0,\"result\":{\"device_id\":\"FFEEDDCCBBAA99887766554433221100\","
	"\"device_type\":\"IOT.SMARTPLUGSWITCH\",\"device_model\":\"HS103(US)\","
	"\"mgt_encrypt_schm\":{\"encrypt_type\":\"KLAP\",\"is_support_https\":true,"
	"\"lv\":2,\"new_klap\":1}}}";

static const struct kasa_found *by_id(const struct seen *seen, const char *id)
{
	for (unsigned i = 0; i < seen->calls && i < 4; i++)
		if (strcmp(seen->all[i].info.device_id, id) == 0)
			return &seen->all[i];
	ck_abort_msg("no device %s", id);
	return NULL;
}

START_TEST(test_klap_found)
{
	struct responder r;
	struct seen seen = {0};
	const struct kasa_found *f;
	const struct sockaddr_in *sin;

	/* Three devices behind one discovery port (as kasa-emu's are), three probes. */
	klap_responder_start(&r, REPLY_KLAP, smart_answer, iot_v1_answer, iot_v2_answer, NULL);
	ck_assert_int_eq(kasa_discover_all("127.0.0.1", 0, r.port, 300, 3, on_found, &seen), 3);
	responder_stop(&r);
	/* The fixed probe, byte for byte, each time. */
	ck_assert_uint_eq(r.queries, 3);
	ck_assert_uint_eq(r.bad_queries, 0);
	ck_assert_uint_eq(seen.calls, 3);

	f = by_id(&seen, "A1B2C3D4E5F60718293A4B5C6D7E8F90");
	ck_assert_int_eq(f->transport, KASA_TRANSPORT_KLAP);
	ck_assert(f->info_ok);
	/* The address that answered, not the one the answer names; its http_port. */
	ck_assert_str_eq(f->host, "127.0.0.1");
	ck_assert_uint_eq(f->port, 8080);
	sin = (const struct sockaddr_in *)&f->addr;
	ck_assert_uint_eq(f->addrlen, sizeof(*sin));
	ck_assert_uint_eq(ntohs(sin->sin_port), 8080);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_str_eq(f->info.model, "P110(EU)");
	ck_assert_str_eq(f->info.type, "SMART.TAPOPLUG");
	ck_assert_str_eq(f->info.mac, "3C:52:A1:00:00:06");
	ck_assert_str_eq(f->info.hw_ver, "1.0");
	ck_assert_str_eq(f->info.alias, "");
	ck_assert(!f->info.has_relay);
	ck_assert_str_eq(f->klap.encrypt_type, "KLAP");
	ck_assert_int_eq(f->klap.lv, 2);
	ck_assert(!f->klap.new_klap);
	ck_assert(!f->klap.https);
	ck_assert(f->klap.factory_default);
	ck_assert(f->klap.smart);
	ck_assert_uint_eq(f->klap.klap_version, KASA_KLAP_V2);

	f = by_id(&seen, "00112233445566778899AABBCCDDEEFF");
	ck_assert(f->info_ok);
	ck_assert_uint_eq(f->port, 80);
	ck_assert_str_eq(f->info.model, "HS100(UK)");
	ck_assert_int_eq(f->klap.lv, 0);
	ck_assert(!f->klap.smart);
	ck_assert(!f->klap.factory_default);
	/* IOT JSON with no lv: the first KLAP. */
	ck_assert_uint_eq(f->klap.klap_version, KASA_KLAP_V1);

	/* No http_port: 80.  IOT firmware that says lv 2 and new_klap: v2. */
	f = by_id(&seen, "FFEEDDCCBBAA99887766554433221100");
	ck_assert(f->info_ok);
	ck_assert_uint_eq(f->port, KASA_KLAP_PORT);
	ck_assert(f->klap.new_klap);
	ck_assert(f->klap.https);
	ck_assert(!f->klap.smart);
	ck_assert_str_eq(f->info.mac, "");
	ck_assert_uint_eq(f->klap.klap_version, KASA_KLAP_V2);
}
END_TEST

START_TEST(test_klap_and_xor)
{
	struct responder x, k;
	struct seen seen = {0};
	const struct kasa_found *f;

	/* Both probes in one wait, each to its port, each answer by its transport. */
	responder_start(&x, REPLY_SYSINFO);
	klap_responder_start(&k, REPLY_KLAP, smart_answer, NULL);
	ck_assert_int_eq(kasa_discover_all("127.0.0.1", x.port, k.port, 200, 2, on_found, &seen),
			 2);
	responder_stop(&x);
	responder_stop(&k);
	ck_assert_uint_eq(x.queries, 2);
	ck_assert_uint_eq(x.bad_queries, 0);
	ck_assert_uint_eq(k.queries, 2);
	ck_assert_uint_eq(k.bad_queries, 0);
	ck_assert_uint_eq(seen.calls, 2);
	f = by_id(&seen, "80067A7E8D6E6C1E4A6F6B4A3C2D1E0F9A8B7C6D");
	ck_assert_int_eq(f->transport, KASA_TRANSPORT_XOR);
	ck_assert_uint_eq(f->port, x.port);
	ck_assert_str_eq(f->info.model, "HS110(EU)");
	f = by_id(&seen, "A1B2C3D4E5F60718293A4B5C6D7E8F90");
	ck_assert_int_eq(f->transport, KASA_TRANSPORT_KLAP);
	ck_assert_uint_eq(f->port, 8080);

	/* kasa_discover() sends no KLAP probe. */
	memset(&seen, 0, sizeof(seen));
	klap_responder_start(&k, REPLY_KLAP, smart_answer, NULL);
	responder_start(&x, REPLY_SYSINFO);
	ck_assert_int_eq(kasa_discover("127.0.0.1", x.port, 100, 1, on_found, &seen), 1);
	responder_stop(&x);
	responder_stop(&k);
	ck_assert_uint_eq(k.queries + k.bad_queries, 0);
}
END_TEST

START_TEST(test_klap_elsewhere)
{
	struct responder r;
	struct seen seen = {0};

	/* An answer from a port other than the one probed is no answer. */
	klap_responder_start(&r, REPLY_KLAP_ELSEWHERE, smart_answer, NULL);
	ck_assert_int_eq(kasa_discover_all("127.0.0.1", 0, r.port, 150, 2, on_found, &seen), 0);
	responder_stop(&r);
	ck_assert_uint_eq(r.queries, 2);
	ck_assert_uint_eq(seen.calls, 0);
}
END_TEST

START_TEST(test_klap_unreadable)
{
	static const char *const answers[] = {
		"not json",
		"[]",
		"{\"error_code\":-1,\"result\":{\"device_type\":\"IOT.SMARTPLUGSWITCH\","
		"\"mgt_encrypt_schm\":{}}}",
		"{\"error_code\":0,\"result\":{\"device_type\":\"IOT.SMARTPLUGSWITCH\"}}",
		"{\"error_code\":0,\"result\":{\"mgt_encrypt_schm\":{}}}",
		"{\"error_code\":0,\"result\":{\"device_type\":7,\"mgt_encrypt_schm\":{}}}",
		"{\"error_code\":0,\"result\":{\"device_type\":\"SMART.TAPOPLUG\","
		"\"device_id\":\"X\",\"mgt_encrypt_schm\":{\"http_port\":70000}}}",
		"{\"error_code\":0,\"result\":{\"device_type\":\"SMART.TAPOPLUG\","
		"\"device_id\":\"X\",\"mgt_encrypt_schm\":{\"http_port\":0}}}",
		"",
	};

	/* Each one alone: the address listed once, unread, at port 80. */
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		struct responder r;
		struct seen seen = {0};

		klap_responder_start(&r, REPLY_KLAP, answers[i], NULL);
		ck_assert_msg(kasa_discover_all("127.0.0.1", 0, r.port, 100, 2, on_found, &seen) ==
				      1,
			      "%s", answers[i]);
		responder_stop(&r);
		ck_assert_uint_eq(seen.calls, 1);
		ck_assert_msg(!seen.first.info_ok, "%s", answers[i]);
		ck_assert_int_eq(seen.first.transport, KASA_TRANSPORT_KLAP);
		ck_assert_uint_eq(seen.first.port, KASA_KLAP_PORT);
		ck_assert_str_eq(seen.first.host, "127.0.0.1");
		ck_assert_str_eq(seen.first.info.device_id, "");
		ck_assert_str_eq(seen.first.info.type, "");
	}
}
END_TEST

START_TEST(test_klap_bad_arguments)
{
	ck_assert_int_eq(kasa_discover_all("127.0.0.1", 0, 0, 100, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kasa_discover_all(NULL, 9999, 20002, 100, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kasa_discover_all("127.0.0.1", 0, 20002, 100, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kasa_discover_all("::1", 0, 20002, 100, 1, NULL, NULL), -EINVAL);
}
END_TEST

/* --- The discovery an event loop drives ------------------------------------------ */

/* Wait (at most 2 s) for the socket, and read what came: the reports. */
static int receive_within(struct kasa_discovery *d, unsigned want, struct seen *seen)
{
	uint64_t deadline = monotonic_usec() + 2000000;
	int total = 0;

	while (seen->calls < want && monotonic_usec() < deadline) {
		struct pollfd pfd = {.fd = kasa_discovery_fd(d), .events = POLLIN};

		if (poll(&pfd, 1, 100) > 0)
			total += kasa_discovery_receive(d, on_found, seen);
	}
	return total;
}

static struct sockaddr_in loopback(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

START_TEST(test_discovery_both)
{
	struct kasa_discovery *d;
	struct responder x, k;
	struct seen seen = {0};
	struct sockaddr_in to = loopback();
	const struct kasa_found *f;

	responder_start(&x, REPLY_SYSINFO);
	klap_responder_start(&k, REPLY_KLAP, smart_answer, NULL);
	ck_assert_int_eq(kasa_discovery_new(&d), 0);
	ck_assert_int_ge(kasa_discovery_fd(d), 0);
	ck_assert_int_eq(kasa_discovery_send(d, (struct sockaddr *)&to, sizeof(to), x.port, k.port),
			 0);
	ck_assert_int_eq(receive_within(d, 2, &seen), 2);
	/* Nothing is remembered: a second send, the same two again. */
	ck_assert_int_eq(kasa_discovery_send(d, (struct sockaddr *)&to, sizeof(to), x.port, k.port),
			 0);
	ck_assert_int_eq(receive_within(d, 4, &seen), 2);
	responder_stop(&x);
	responder_stop(&k);
	kasa_discovery_free(d);

	/* Each probe byte for byte, each to its port. */
	ck_assert_uint_eq(x.queries, 2);
	ck_assert_uint_eq(x.bad_queries, 0);
	ck_assert_uint_eq(k.queries, 2);
	ck_assert_uint_eq(k.bad_queries, 0);
	ck_assert_uint_eq(seen.calls, 4);
	f = by_id(&seen, "80067A7E8D6E6C1E4A6F6B4A3C2D1E0F9A8B7C6D");
	ck_assert_int_eq(f->transport, KASA_TRANSPORT_XOR);
	ck_assert(f->info_ok);
	ck_assert_uint_eq(f->port, x.port);
	f = by_id(&seen, "A1B2C3D4E5F60718293A4B5C6D7E8F90");
	ck_assert_int_eq(f->transport, KASA_TRANSPORT_KLAP);
	ck_assert_uint_eq(f->port, 8080);
	ck_assert_str_eq(f->info.mac, "3C:52:A1:00:00:06");
}
END_TEST

START_TEST(test_discovery_klap_elsewhere)
{
	struct kasa_discovery *d;
	struct responder x, k;
	struct seen seen = {0};
	struct sockaddr_in to = loopback();

	/* The KLAP answer from another port, beside the sysinfo query: not
	 * taken for a garbled sysinfo answer either. */
	responder_start(&x, REPLY_SYSINFO);
	klap_responder_start(&k, REPLY_KLAP_ELSEWHERE, smart_answer, NULL);
	ck_assert_int_eq(kasa_discovery_new(&d), 0);
	ck_assert_int_eq(kasa_discovery_send(d, (struct sockaddr *)&to, sizeof(to), x.port, k.port),
			 0);
	ck_assert_int_eq(receive_within(d, 2, &seen), 1);
	responder_stop(&x);
	responder_stop(&k);
	kasa_discovery_free(d);
	ck_assert_uint_eq(k.queries, 1);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert_int_eq(seen.first.transport, KASA_TRANSPORT_XOR);
	ck_assert(seen.first.info_ok);
}
END_TEST

START_TEST(test_discovery_unasked)
{
	struct kasa_discovery *d;
	struct sockaddr_in at;
	socklen_t len = sizeof(at);
	uint16_t port;
	int fd = udp_bound("127.0.0.1", &port);

	/* A datagram to a socket that sent nothing is no answer. */
	ck_assert_int_eq(kasa_discovery_new(&d), 0);
	ck_assert_int_eq(getsockname(kasa_discovery_fd(d), (struct sockaddr *)&at, &len), 0);
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sendto(fd, "\xd0\x01", 2, 0, (struct sockaddr *)&at, sizeof(at)), 2);
	ck_assert_int_eq(
		poll(&(struct pollfd){.fd = kasa_discovery_fd(d), .events = POLLIN}, 1, 2000), 1);
	ck_assert_int_eq(kasa_discovery_receive(d, on_found, NULL), 0);
	/* Nothing waits: 0 at once, not a block. */
	ck_assert_int_eq(kasa_discovery_receive(d, on_found, NULL), 0);
	kasa_discovery_free(d);
	close(fd);
}
END_TEST

START_TEST(test_discovery_send_arguments)
{
	struct kasa_discovery *d;
	struct sockaddr_in to = loopback();
	struct sockaddr_in6 six = {.sin6_family = AF_INET6};

	ck_assert_int_eq(kasa_discovery_new(&d), 0);
	ck_assert_int_eq(kasa_discovery_send(d, (struct sockaddr *)&to, sizeof(to), 0, 0), -EINVAL);
	ck_assert_int_eq(kasa_discovery_send(d, NULL, sizeof(to), 9999, 0), -EINVAL);
	ck_assert_int_eq(kasa_discovery_send(d, (struct sockaddr *)&six, sizeof(six), 9999, 0),
			 -EINVAL);
	ck_assert_int_eq(kasa_discovery_send(d, (struct sockaddr *)&to, sizeof(to) - 1, 9999, 0),
			 -EINVAL);
	kasa_discovery_free(d);
	kasa_discovery_free(NULL);
}
END_TEST

/* --- Answers as they come: kasa_found_parse() ------------------------------------- */

static struct sockaddr_in from_port(uint16_t port)
{
	struct sockaddr_in sin = loopback();

	sin.sin_port = htons(port);
	return sin;
}

/* json with a KLAP header before it. */
static size_t klap_datagram(const char *json, uint8_t *buf, size_t size)
{
	size_t len = strlen(json);

	ck_assert_uint_le(16 + len, size);
	memset(buf, 0, 16);
	buf[0] = 2;
	buf[3] = 1;
	memcpy(buf + 16, json, len);
	return 16 + len;
}

START_TEST(test_parse_xor)
{
	struct sockaddr_in from = from_port(9999);
	struct kasa_found f;
	size_t len;
	char *reply = test_data("sysinfo-hs110-v4.json", &len);

	kasa_encrypt(reply, len);
	ck_assert_int_eq(kasa_found_parse(KASA_TRANSPORT_XOR, reply, len, (struct sockaddr *)&from,
					  sizeof(from), &f),
			 0);
	ck_assert(f.info_ok);
	ck_assert_int_eq(f.transport, KASA_TRANSPORT_XOR);
	ck_assert_str_eq(f.host, "127.0.0.1");
	ck_assert_uint_eq(f.port, 9999);
	ck_assert_str_eq(f.info.model, "HS110(EU)");
	ck_assert_str_ne(f.info.mac, "");
	/* The datagram is the caller's: not decrypted in place. */
	ck_assert_int_ne(reply[0], '{');
	free(reply);
}
END_TEST

START_TEST(test_parse_klap)
{
	struct sockaddr_in from = from_port(20002);
	uint8_t buf[1024];
	size_t len = klap_datagram(smart_answer, buf, sizeof(buf));
	struct kasa_found f;

	ck_assert_int_eq(kasa_found_parse(KASA_TRANSPORT_KLAP, buf, len, (struct sockaddr *)&from,
					  sizeof(from), &f),
			 0);
	ck_assert(f.info_ok);
	ck_assert_uint_eq(f.port, 8080);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&f.addr)->sin_port), 8080);
	ck_assert_str_eq(f.info.mac, "3C:52:A1:00:00:06");
}
END_TEST

/* Whatever comes is read without harm: no answer, but never a crash, an
 * overrun or a half-filled result. */
START_TEST(test_parse_hostile)
{
	static const char *const texts[] = {
		"",
		"{",
		"null",
		"{\"system\":{\"get_sysinfo\":[]}}",
		"{\"system\":{\"get_sysinfo\":{\"children\":7,\"child_num\":1000000}}}",
		"{\"error_code\":0,\"result\":{\"device_type\":\"SMART.X\",\"mgt_encrypt_schm\":"
		"{\"http_port\":-1}}}",
		"{\"error_code\":0,\"result\":{\"device_type\":\"SMART.X\",\"mgt_encrypt_schm\":"
		"{\"http_port\":1e300}}}",
		"{\"error_code\":0,\"result\":{\"device_type\":\"SMART.X\",\"device_model\":"
		"\"\\u0000\","
		"\"mgt_encrypt_schm\":{}}}",
		"{\"error_code\":\"0\",\"result\":{}}",
	};
	struct sockaddr_in from = from_port(20002);
	static uint8_t big[70000];
	uint8_t buf[2048];
	char nested[4096];
	struct kasa_found f;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t len = klap_datagram(texts[i], buf, sizeof(buf));

		for (int t = KASA_TRANSPORT_XOR; t <= KASA_TRANSPORT_KLAP; t++) {
			ck_assert_int_eq(kasa_found_parse(t, buf, len, (struct sockaddr *)&from,
							  sizeof(from), &f),
					 0);
			ck_assert_str_eq(f.host, "127.0.0.1");
			if (t == KASA_TRANSPORT_KLAP && !f.info_ok)
				ck_assert_uint_eq(f.port, KASA_KLAP_PORT);
		}
	}
	/* JSON nested deeper than the parser goes. */
	while (n + 2 < sizeof(nested) / 2)
		nested[n++] = '[';
	nested[n] = '\0';
	ck_assert_int_eq(kasa_found_parse(KASA_TRANSPORT_KLAP, nested, n, (struct sockaddr *)&from,
					  sizeof(from), &f),
			 0);
	ck_assert(!f.info_ok);
	/* The largest datagram, of random-looking bytes, and one beyond. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	ck_assert_int_eq(kasa_found_parse(KASA_TRANSPORT_XOR, big, 65507, (struct sockaddr *)&from,
					  sizeof(from), &f),
			 0);
	ck_assert(!f.info_ok);
	ck_assert_int_eq(kasa_found_parse(KASA_TRANSPORT_XOR, big, sizeof(big),
					  (struct sockaddr *)&from, sizeof(from), &f),
			 -EMSGSIZE);
	ck_assert_int_eq(kasa_found_parse(KASA_TRANSPORT_XOR, big, 10, (struct sockaddr *)&from,
					  sizeof(from) - 1, &f),
			 -EINVAL);
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
	tcase_add_test(tc, test_klap_found);
	tcase_add_test(tc, test_klap_and_xor);
	tcase_add_test(tc, test_klap_elsewhere);
	tcase_add_test(tc, test_klap_unreadable);
	tcase_add_test(tc, test_klap_bad_arguments);
	tcase_add_test(tc, test_discovery_both);
	tcase_add_test(tc, test_discovery_klap_elsewhere);
	tcase_add_test(tc, test_discovery_unasked);
	tcase_add_test(tc, test_discovery_send_arguments);
	tcase_add_test(tc, test_parse_xor);
	tcase_add_test(tc, test_parse_klap);
	tcase_add_test(tc, test_parse_hostile);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(discover_suite());
}
