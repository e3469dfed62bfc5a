/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu's network layer, driven as a black box (emu-util.h): UDP
 * discovery, kept and pipelined connections, clients that break the
 * protocol, delays, reboots, idle connections closed, the stats, and a
 * restart on the same port.
 */
#include <poll.h>

#include "emu-util.h"

/* --- UDP discovery ------------------------------------------------------- */

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void udp_send(int fd, uint16_t port, const char *json)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	size_t len = strlen(json);
	uint8_t *buf = malloc(len);

	memcpy(buf, json, len);
	kasa_encrypt(buf, len);
	ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&sin, sizeof(sin)),
			 (ssize_t)len);
	free(buf);
}

/* The decrypted reply, or NULL when none came within ms. */
static struct json_object *udp_reply(int fd, uint16_t port, int ms)
{
	static uint8_t buf[65536];
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return NULL;
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fromlen);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(ntohs(from.sin_port), port);
	kasa_decrypt(buf, (size_t)n);
	buf[n] = '\0';
	return parse((char *)buf);
}

START_TEST(test_udp_discovery)
{
	struct emu e;
	struct json_object *r;
	int fd = udp_socket();

	emu_start(&e, "hs300", "hs110v4", "hs100,fault=refuse", NULL);
	for (unsigned i = 0; i < 2; i++) {
		udp_send(fd, e.dev[i].port, "{\"system\":{\"get_sysinfo\":{}}}");
		r = udp_reply(fd, e.dev[i].port, IO_TIMEOUT_MS);
		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(jstr(r, "system.get_sysinfo.deviceId"), e.dev[i].id);
		json_object_put(r);
	}

	/* Emeter over UDP is not answered, and does no harm. */
	udp_send(fd, e.dev[1].port, "{\"emeter\":{\"get_realtime\":{}}}");
	ck_assert_ptr_null(udp_reply(fd, e.dev[1].port, SILENCE_MS));
	udp_send(fd, e.dev[1].port,
		 "{\"system\":{\"get_sysinfo\":{}},\"emeter\":{\"get_realtime\":{}}}");
	r = udp_reply(fd, e.dev[1].port, IO_TIMEOUT_MS);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(jget(r, "system.get_sysinfo"));
	ck_assert_ptr_null(jget(r, "emeter"));
	json_object_put(r);

	/* Garbage datagrams neither. */
	ck_assert_int_eq(sendto(fd, "\xff\x00\x12", 3, 0,
				(struct sockaddr *)&(struct sockaddr_in){
					.sin_family = AF_INET,
					.sin_port = htons(e.dev[1].port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
				sizeof(struct sockaddr_in)),
			 3);
	ck_assert_ptr_null(udp_reply(fd, e.dev[1].port, SILENCE_MS));

	/* refuse: UDP ignored too. */
	udp_send(fd, e.dev[2].port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_ptr_null(udp_reply(fd, e.dev[2].port, SILENCE_MS));
	close(fd);

	r = call(e.dev[1].port, "{\"system\":{\"get_sysinfo\":{}}}");
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

/* --- Connections --------------------------------------------------------- */

START_TEST(test_keepalive)
{
	struct emu e;
	struct emu_stat st[1];
	struct client c;
	struct json_object *r;

	emu_start(&e, "hs110v4", NULL);
	client_open(&c, e.dev[0].port);
	for (int i = 0; i < 3; i++) {
		r = client_call(
			&c, "{\"system\":{\"get_sysinfo\":{}},\"emeter\":{\"get_realtime\":{}}}");
		ck_assert_int_eq(jint(r, "system.get_sysinfo.err_code"), 0);
		ck_assert_int_eq(jint(r, "emeter.get_realtime.err_code"), 0);
		json_object_put(r);
	}
	close(c.fd);
	emu_stop(&e, st);
	ck_assert_uint_eq(st[0].requests, 3);
	ck_assert_uint_eq(st[0].connections, 1);
	ck_assert_uint_eq(st[0].max_inflight, 1);
}
END_TEST

/* A zero length header from the client: the request ends at its EOF. */
START_TEST(test_zero_header_request)
{
	static const char json[] = "{\"system\":{\"get_sysinfo\":{}}}";
	uint8_t buf[4 + sizeof(json)] = {0, 0, 0, 0};
	struct emu e;
	struct client c;
	char *reply = NULL;
	struct json_object *r;

	emu_start(&e, "hs100", NULL);
	client_open(&c, e.dev[0].port);
	memcpy(buf + 4, json, sizeof(json) - 1);
	kasa_encrypt(buf + 4, sizeof(json) - 1);
	send_all(c.fd, buf, 4 + sizeof(json) - 1);
	shutdown(c.fd, SHUT_WR);
	ck_assert_int_eq(read_frame(&c, &reply), 1);
	r = parse(reply);
	ck_assert_int_eq(jint(r, "system.get_sysinfo.err_code"), 0);
	json_object_put(r);
	free(reply);
	close(c.fd);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_hostile_client)
{
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3};
	struct emu e;
	struct client c;
	uint8_t buf[64];
	int err;

	emu_start(&e, "hs100", NULL);
	/* An announced length over the cap: disconnected. */
	client_open(&c, e.dev[0].port);
	send_all(c.fd, huge, sizeof(huge));
	ck_assert_uint_eq(read_to_eof(c.fd, buf, sizeof(buf), &err), 0);
	close(c.fd);
	/* A frame that is not JSON: disconnected. */
	client_open(&c, e.dev[0].port);
	send_request(c.fd, "this is not json");
	ck_assert_uint_eq(read_to_eof(c.fd, buf, sizeof(buf), &err), 0);
	close(c.fd);
	/* JSON, but not an object. */
	client_open(&c, e.dev[0].port);
	send_request(c.fd, "[1,2,3]");
	ck_assert_uint_eq(read_to_eof(c.fd, buf, sizeof(buf), &err), 0);
	close(c.fd);
	/* Still alive and well. */
	json_object_put(call(e.dev[0].port, "{\"system\":{\"get_sysinfo\":{}}}"));
	emu_stop(&e, NULL);
}
END_TEST

/* max_inflight sees overlapping requests, across connections and pipelined. */
START_TEST(test_stats_inflight)
{
	struct emu e;
	struct emu_stat st[3];
	struct client a, b;
	char *reply;
	uint64_t t0;

	emu_start(&e, "hs100,delay=200", "hs100,delay=100", "hs100", NULL);
	/* Two connections, one request each, at the same time. */
	client_open(&a, e.dev[0].port);
	client_open(&b, e.dev[0].port);
	t0 = now_ms();
	send_request(a.fd, "{\"system\":{\"get_sysinfo\":{}}}");
	send_request(b.fd, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_int_eq(read_frame(&a, &reply), 1);
	free(reply);
	ck_assert_int_eq(read_frame(&b, &reply), 1);
	free(reply);
	ck_assert_uint_ge(now_ms() - t0, 200);
	close(a.fd);
	close(b.fd);

	/* Two requests pipelined on one connection: answered in order. */
	client_open(&a, e.dev[1].port);
	send_request(a.fd, "{\"system\":{\"set_relay_state\":{\"state\":1}}}");
	send_request(a.fd, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_int_eq(read_frame(&a, &reply), 1);
	ck_assert(strstr(reply, "set_relay_state") != NULL);
	free(reply);
	ck_assert_int_eq(read_frame(&a, &reply), 1);
	ck_assert(strstr(reply, "\"relay_state\":1") != NULL);
	free(reply);
	close(a.fd);

	/* One at a time. */
	for (int i = 0; i < 4; i++)
		json_object_put(call(e.dev[2].port, "{\"system\":{\"get_sysinfo\":{}}}"));

	/* SIGUSR1 prints the stats and goes on. */
	ck_assert_int_eq(kill(e.pid, SIGUSR1), 0);
	read_stats(&e, st);
	ck_assert_uint_eq(st[2].requests, 4);
	json_object_put(call(e.dev[2].port, "{\"system\":{\"get_sysinfo\":{}}}"));

	emu_stop(&e, st);
	ck_assert_uint_eq(st[0].requests, 2);
	ck_assert_uint_eq(st[0].connections, 2);
	ck_assert_uint_eq(st[0].max_inflight, 2);
	ck_assert_uint_eq(st[1].requests, 2);
	ck_assert_uint_eq(st[1].connections, 1);
	ck_assert_uint_eq(st[1].max_inflight, 2);
	ck_assert_uint_eq(st[2].requests, 5);
	ck_assert_uint_eq(st[2].connections, 5);
	ck_assert_uint_eq(st[2].max_inflight, 1);
}
END_TEST

START_TEST(test_delay)
{
	struct emu e;
	uint64_t t0;
	int fd = udp_socket();
	struct json_object *r;

	emu_start(&e, "hs100,delay=150", NULL);
	t0 = now_ms();
	json_object_put(call(e.dev[0].port, "{\"system\":{\"get_sysinfo\":{}}}"));
	ck_assert_uint_ge(now_ms() - t0, 150);
	t0 = now_ms();
	udp_send(fd, e.dev[0].port, "{\"system\":{\"get_sysinfo\":{}}}");
	r = udp_reply(fd, e.dev[0].port, IO_TIMEOUT_MS);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_ge(now_ms() - t0, 150);
	json_object_put(r);
	close(fd);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_reboot)
{
	struct emu e;
	struct client c;
	struct json_object *r;
	uint8_t buf[16];
	int err;

	emu_start(&e, "hs100,state=on", NULL);
	client_open(&c, e.dev[0].port);
	r = client_call(&c, "{\"system\":{\"reboot\":{\"delay\":0}}}");
	ck_assert_int_eq(jint(r, "system.reboot.err_code"), 0);
	json_object_put(r);
	/* The device drops its connections when it goes down. */
	ck_assert_uint_eq(read_to_eof(c.fd, buf, sizeof(buf), &err), 0);
	close(c.fd);
	r = call(e.dev[0].port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 1);
	json_object_put(r);
	r = call(e.dev[0].port, "{\"system\":{\"reboot\":{\"delay\":\"x\"}}}");
	ck_assert_int_eq(jint(r, "system.reboot.err_code"), -3);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_idle_close)
{
	struct emu e;
	struct client c;
	uint8_t buf[16];
	int err;

	emu_start(&e, "hs100,idle=100", NULL);
	client_open(&c, e.dev[0].port);
	json_object_put(client_call(&c, "{\"system\":{\"get_sysinfo\":{}}}"));
	ck_assert_uint_eq(read_to_eof(c.fd, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, 0);
	close(c.fd);
	emu_stop(&e, NULL);
}
END_TEST

/* A restart on the same port works at once (SO_REUSEADDR, TIME_WAIT). */
START_TEST(test_restart_same_port)
{
	struct emu e;
	char port[16], spec[64];
	uint8_t buf[16];
	int err;
	const char *args[] = {"-p", port, spec, NULL};

	fault_exchange(&e, "hs100,fault=close", sysinfo_req, buf, sizeof(buf), &err);
	snprintf(port, sizeof(port), "%u", e.dev[0].port);
	snprintf(spec, sizeof(spec), "hs100");
	emu_stop(&e, NULL);

	emu_startv(&e, false, args);
	ck_assert_uint_eq(e.dev[0].port, (unsigned)atoi(port));
	json_object_put(call(e.dev[0].port, sysinfo_req));
	emu_stop(&e, NULL);
}
END_TEST

static Suite *emu_net_suite(void)
{
	Suite *s = suite_create("kasa-emu net");
	TCase *tc = tcase_create("net");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_udp_discovery);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_zero_header_request);
	tcase_add_test(tc, test_hostile_client);
	tcase_add_test(tc, test_stats_inflight);
	tcase_add_test(tc, test_delay);
	tcase_add_test(tc, test_reboot);
	tcase_add_test(tc, test_idle_close);
	tcase_add_test(tc, test_restart_same_port);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(emu_net_suite());
}
