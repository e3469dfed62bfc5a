/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu's fault modes, driven as a black box (emu-util.h): what each
 * puts on the wire.
 */
#include <poll.h>

#include "emu-util.h"

static const char small_req[] = "{\"system\":{\"set_led_off\":{\"off\":0}}}";

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* True when nothing at all arrives within ms. */
static bool silent(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 0;
}

START_TEST(test_fault_refuse)
{
	struct emu e;

	emu_start(&e, "hs100,fault=refuse", NULL);
	ck_assert_int_eq(tcp_connect(e.dev[0].port), -ECONNREFUSED);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_close)
{
	struct emu e;
	uint8_t buf[256];
	int err;

	ck_assert_uint_eq(
		fault_exchange(&e, "hs100,fault=close", sysinfo_req, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, 0);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_reset)
{
	struct emu e;
	uint8_t buf[256];
	int err;

	ck_assert_uint_eq(
		fault_exchange(&e, "hs100,fault=reset", sysinfo_req, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, -ECONNRESET);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_garbage)
{
	struct emu e;
	uint8_t buf[4096];
	struct kasa_reader *r = kasa_reader_new(0);
	size_t n, used;
	int err;

	n = fault_exchange(&e, "hs100,fault=garbage", sysinfo_req, buf, sizeof(buf), &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_ge(n, 8);
	ck_assert_uint_gt(be32(buf), n - 4);
	ck_assert_int_lt(kasa_reader_feed(r, buf, n, &used), 0);
	kasa_reader_free(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_truncate)
{
	struct emu e;
	uint8_t buf[8192];
	struct kasa_reader *r = kasa_reader_new(0);
	size_t n, used;
	int err;

	n = fault_exchange(&e, "hs100,fault=truncate", sysinfo_req, buf, sizeof(buf), &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_gt(n, 4);
	/* The header announces the whole reply, about twice what came. */
	ck_assert_uint_gt(be32(buf), n - 4);
	ck_assert_uint_lt(be32(buf), 4096);
	ck_assert_int_eq(kasa_reader_feed(r, buf, n, &used), 0);
	ck_assert_int_eq(kasa_reader_eof(r), -EPROTO);
	kasa_reader_free(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_oversize)
{
	struct emu e;
	struct client c;
	uint8_t buf[256];
	struct kasa_reader *r = kasa_reader_new(0);
	size_t used;
	ssize_t n;

	emu_start(&e, "hs100,fault=oversize", NULL);
	client_open(&c, e.dev[0].port);
	send_request(c.fd, sysinfo_req);
	n = recv(c.fd, buf, 4, MSG_WAITALL);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(be32(buf), 0xFFFFFFFFu);
	ck_assert_int_eq(kasa_reader_feed(r, buf, 4, &used), -EMSGSIZE);
	kasa_reader_free(r);
	close(c.fd);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_zerolen)
{
	struct emu e;
	uint8_t buf[8192];
	struct kasa_reader *r = kasa_reader_new(0);
	struct json_object *o;
	size_t n, used;
	int err;

	n = fault_exchange(&e, "hs110v4,fault=zerolen", sysinfo_req, buf, sizeof(buf), &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_gt(n, 4);
	ck_assert_uint_eq(be32(buf), 0);
	ck_assert_int_eq(kasa_reader_feed(r, buf, n, &used), 0);
	ck_assert_int_eq(kasa_reader_eof(r), 1);
	o = parse(kasa_reader_payload(r, NULL));
	ck_assert_int_eq(jint(o, "system.get_sysinfo.err_code"), 0);
	json_object_put(o);
	kasa_reader_free(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_split)
{
	struct emu e;
	struct client c;
	char *reply = NULL;
	struct json_object *o;

	emu_start(&e, "hs100,fault=split", NULL);
	client_open(&c, e.dev[0].port);
	send_request(c.fd, small_req);
	ck_assert_int_eq(read_frame(&c, &reply), 1);
	/* About 45 bytes in segments of 1 to 3, a millisecond apart. */
	ck_assert_uint_ge(c.reads, 5);
	o = parse(reply);
	ck_assert_int_eq(jint(o, "system.set_led_off.err_code"), 0);
	json_object_put(o);
	free(reply);
	/* And the connection stays usable. */
	json_object_put(client_call(&c, sysinfo_req));
	close(c.fd);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_drip)
{
	struct emu e;
	struct client c;
	char *reply = NULL;
	uint64_t t0;

	emu_start(&e, "hs100,fault=drip,drip=5", NULL);
	client_open(&c, e.dev[0].port);
	t0 = now_ms();
	send_request(c.fd, small_req);
	ck_assert_int_eq(read_frame(&c, &reply), 1);
	ck_assert_uint_ge(c.reads, 10);
	/* 49 bytes, one each 5 ms. */
	ck_assert_uint_ge(now_ms() - t0, 200);
	ck_assert(strstr(reply, "set_led_off") != NULL);
	free(reply);
	close(c.fd);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_badjson)
{
	struct emu e;
	struct client c;
	char *reply = NULL;

	emu_start(&e, "hs100,fault=badjson", NULL);
	client_open(&c, e.dev[0].port);
	for (int i = 0; i < 2; i++) {
		send_request(c.fd, sysinfo_req);
		ck_assert_int_eq(read_frame(&c, &reply), 1);
		ck_assert_ptr_null(json_tokener_parse(reply));
		ck_assert_uint_gt(strlen(reply), 10);
		free(reply);
	}
	close(c.fd);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_fault_blackhole)
{
	struct emu e;
	struct emu_stat st[1];
	struct client c;

	emu_start(&e, "hs100,fault=blackhole", NULL);
	client_open(&c, e.dev[0].port);
	send_request(c.fd, sysinfo_req);
	ck_assert(silent(c.fd, SILENCE_MS));
	close(c.fd);
	emu_stop(&e, st);
	ck_assert_uint_eq(st[0].requests, 1);
	ck_assert_uint_eq(st[0].max_inflight, 1);
}
END_TEST

START_TEST(test_fault_flaky)
{
	struct emu e;
	unsigned ok = 0;

	emu_start(&e, "hs100,flaky=100", "hs100,flaky=50,seed=7", NULL);
	for (int i = 0; i < 3; i++) {
		struct client c;
		uint8_t buf[64];
		int err;

		client_open(&c, e.dev[0].port);
		send_request(c.fd, sysinfo_req);
		ck_assert_uint_eq(read_to_eof(c.fd, buf, sizeof(buf), &err), 0);
		close(c.fd);
	}
	for (int i = 0; i < 20; i++) {
		struct client c;
		char *reply = NULL;

		client_open(&c, e.dev[1].port);
		send_request(c.fd, sysinfo_req);
		if (read_frame(&c, &reply) == 1) {
			ok++;
			free(reply);
		}
		close(c.fd);
	}
	ck_assert_uint_gt(ok, 0);
	ck_assert_uint_lt(ok, 20);
	emu_stop(&e, NULL);
}
END_TEST

static Suite *emu_fault_suite(void)
{
	Suite *s = suite_create("kasa-emu faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fault_refuse);
	tcase_add_test(tc, test_fault_close);
	tcase_add_test(tc, test_fault_reset);
	tcase_add_test(tc, test_fault_garbage);
	tcase_add_test(tc, test_fault_truncate);
	tcase_add_test(tc, test_fault_oversize);
	tcase_add_test(tc, test_fault_zerolen);
	tcase_add_test(tc, test_fault_split);
	tcase_add_test(tc, test_fault_drip);
	tcase_add_test(tc, test_fault_badjson);
	tcase_add_test(tc, test_fault_blackhole);
	tcase_add_test(tc, test_fault_flaky);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(emu_fault_suite());
}
