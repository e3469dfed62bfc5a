/* SPDX-License-Identifier: MIT */
/*
 * The KLAP connection (lib/klap-conn.c) and kasa_klap_call() against the
 * small KLAP device of klap-device.h, on 127.0.0.1: the variants, sessions
 * kept and renewed, 403s, credentials, what the device sends.  Beside it: a
 * socket that listens and never answers, and a port where nothing listens.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "kasa.h"
#include "klap-device.h"
#include "test-util.h"

#define USER	 "user@example.com"
#define PASSWORD "secret"
#define SEC	 UINT64_C(1000000)
#define MSEC	 UINT64_C(1000)
/* Bounds a request of these tests keeps, valgrind's pace included. */
#define TIMEOUT (10 * SEC)

static const char iot_query[] = "{\"system\":{\"get_sysinfo\":{}}}";
static const char iot_answer[] =
	"{\"system\":{\"get_sysinfo\":{\"relay_state\":1,\"err_code\":0}}}";
static const char smart_answer[] = "{\"error_code\":0,\"result\":{\"device_on\":true}}";
/* --- The client side ----------------------------------------------------------- */

static struct sockaddr_in loopback(uint16_t port)
{
	return (struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
}

static struct kasa_klap_conn *conn_to(uint16_t port, enum kasa_klap_proto proto, unsigned versions,
				      const char *user, const char *password)
{
	struct sockaddr_in sin = loopback(port);
	struct kasa_klap_conn *c = NULL;

	ck_assert_int_eq(kasa_klap_conn_new((struct sockaddr *)&sin, sizeof(sin), proto, versions,
					    user, password, &c),
			 0);
	ck_assert(!kasa_klap_conn_busy(c));
	ck_assert_int_eq(kasa_klap_conn_fd(c), -1);
	ck_assert_uint_eq(kasa_klap_conn_deadline(c), 0);
	return c;
}

/* Drive one request as an event loop would, with poll(2); checks on the way
 * that the connection asks for something to wait on and never past the
 * request's deadline. */
static int run(struct kasa_klap_conn *c, const char *json, uint64_t timeout)
{
	uint64_t start = kasa_now_usec();
	int r = kasa_klap_conn_start(c, json, strlen(json), start, timeout);

	if (r < 0)
		return r;
	ck_assert(kasa_klap_conn_busy(c));
	ck_assert_int_eq(kasa_klap_conn_start(c, json, strlen(json), start, timeout), -EBUSY);
	for (;;) {
		uint64_t now = kasa_now_usec();
		uint64_t deadline = kasa_klap_conn_deadline(c);
		int fd = kasa_klap_conn_fd(c);
		struct pollfd pfd = {.fd = fd, .events = (short)kasa_klap_conn_events(c)};
		int ms, n;

		ck_assert_uint_gt(deadline, 0);
		ck_assert_uint_le(deadline, start + timeout);
		/* Something wakes the loop: the socket, or a timer of libcurl's. */
		ck_assert(fd >= 0 ? pfd.events != 0 : deadline < start + timeout);
		ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
		n = poll(&pfd, 1, ms);
		ck_assert_int_ge(n, 0);
		r = kasa_klap_conn_process(c, n > 0 ? (uint32_t)pfd.revents : 0, kasa_now_usec());
		if (r != 0)
			break;
	}
	ck_assert(!kasa_klap_conn_busy(c));
	ck_assert_uint_eq(kasa_klap_conn_deadline(c), 0);
	return r;
}

static void assert_reply(struct kasa_klap_conn *c, const char *want)
{
	size_t len;
	const char *reply = kasa_klap_conn_reply(c, &len);

	ck_assert_ptr_nonnull(reply);
	ck_assert_str_eq(reply, want);
	ck_assert_uint_eq(len, strlen(want));
}

static void assert_matched(struct kasa_klap_conn *c, enum kasa_klap_cred cred,
			   enum kasa_klap_version version)
{
	enum kasa_klap_cred got_cred;
	enum kasa_klap_version got_version;

	ck_assert_int_eq(kasa_klap_conn_matched(c, &got_cred, &got_version), 0);
	ck_assert_int_eq(got_cred, cred);
	ck_assert_int_eq(got_version, version);
}

/* --- A request in each variant ---------------------------------------------- */

/* IOT over v1 (or v2): one handshake, one request, and the JSON opened is
 * the plug's as kasa_reply_* reads it on port 9999. */
static void iot_round_trip(enum kasa_klap_version device_version, unsigned versions)
{
	struct klap_device *d = klap_device_start(device_version, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c = conn_to(d->port, KASA_KLAP_PROTO_IOT, versions, USER, PASSWORD);
	struct json_object *reply, *result;
	char *json;

	ck_assert_int_eq(kasa_req_sysinfo(&json), 0);
	ck_assert_int_eq(run(c, json, TIMEOUT), 1);
	klap_device_assert_last(d, json);
	assert_reply(c, iot_answer);
	ck_assert_int_eq(
		kasa_reply_parse(kasa_klap_conn_reply(c, NULL), strlen(iot_answer), &reply), 0);
	ck_assert_int_eq(kasa_reply_result(reply, "system", "get_sysinfo", &result, NULL), 0);
	json_object_put(reply);
	assert_matched(c, KASA_KLAP_CRED_GIVEN, device_version);
	ck_assert_str_eq(kasa_klap_conn_user(c), USER);
	ck_assert_int_eq(klap_count(&d->handshake1s), 1);
	ck_assert_int_eq(klap_count(&d->handshake2s), 1);
	ck_assert_int_eq(klap_count(&d->opened), 1);
	ck_assert_int_eq(klap_count(&d->connections), 1);
	free(json);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}

START_TEST(test_iot_v1)
{
	iot_round_trip(KASA_KLAP_V1, KASA_KLAP_V1);
}
END_TEST

START_TEST(test_iot_v2)
{
	iot_round_trip(KASA_KLAP_V2, KASA_KLAP_V2);
}
END_TEST

/* With no discovery data both are tried, and the one that matched is told. */
START_TEST(test_iot_any)
{
	iot_round_trip(KASA_KLAP_V1, KASA_KLAP_ANY);
	iot_round_trip(KASA_KLAP_V2, KASA_KLAP_ANY);
}
END_TEST

START_TEST(test_smart_v2)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, smart_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_SMART, KASA_KLAP_ANY, USER, PASSWORD);
	struct json_object *reply, *result;
	char *json;

	ck_assert_int_eq(kasa_smart_req_device_info(NULL, &json), 0);
	ck_assert_int_eq(run(c, json, TIMEOUT), 1);
	klap_device_assert_last(d, json);
	assert_reply(c, smart_answer);
	ck_assert_int_eq(
		kasa_reply_parse(kasa_klap_conn_reply(c, NULL), strlen(smart_answer), &reply), 0);
	ck_assert_int_eq(kasa_smart_result(reply, NULL, &result, NULL), 0);
	ck_assert(json_object_get_boolean(json_object_object_get(result, "device_on")));
	json_object_put(reply);
	assert_matched(c, KASA_KLAP_CRED_GIVEN, KASA_KLAP_V2);
	free(json);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* SMART is v2 only; an unknown protocol or version is refused. */
START_TEST(test_new_refuses)
{
	struct sockaddr_in sin = loopback(80);
	struct sockaddr_un_like {
		sa_family_t family;
		char path[32];
	} other = {.family = AF_UNIX};
	struct kasa_klap_conn *c = NULL;

	ck_assert_int_eq(kasa_klap_conn_new((struct sockaddr *)&sin, sizeof(sin),
					    KASA_KLAP_PROTO_SMART, KASA_KLAP_V1, NULL, NULL, &c),
			 -EINVAL);
	ck_assert_int_eq(kasa_klap_conn_new((struct sockaddr *)&sin, sizeof(sin),
					    (enum kasa_klap_proto)7, KASA_KLAP_V1, NULL, NULL, &c),
			 -EINVAL);
	ck_assert_int_eq(kasa_klap_conn_new((struct sockaddr *)&sin, sizeof(sin),
					    KASA_KLAP_PROTO_IOT, 4, NULL, NULL, &c),
			 -EINVAL);
	ck_assert_int_eq(kasa_klap_conn_new((struct sockaddr *)&sin, sizeof(sin),
					    KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER, NULL, &c),
			 -EINVAL);
	ck_assert_int_eq(kasa_klap_conn_new((struct sockaddr *)&other, sizeof(other),
					    KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, NULL, NULL, &c),
			 -EAFNOSUPPORT);
	ck_assert_ptr_null(c);
}
END_TEST

/* --- Sessions ------------------------------------------------------------------ */

/* A request of some kilobytes goes in one POST, without waiting for a
 * "100 Continue" no plug sends. */
START_TEST(test_large_request)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2, USER, PASSWORD);
	char json[4096];
	int n;

	n = snprintf(json, sizeof(json), "{\"system\":{\"set_dev_alias\":{\"alias\":\"%*s\"}}}",
		     4000, "x");
	ck_assert_int_lt(n, (int)sizeof(json));
	ck_assert_int_eq(run(c, json, TIMEOUT), 1);
	klap_device_assert_last(d, json);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* The session and the TCP connection are kept: three requests, one
 * handshake, one connection, and the device saw each request. */
START_TEST(test_session_reused)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2, USER, PASSWORD);
	const char *queries[] = {iot_query, "{\"system\":{\"set_relay_state\":{\"state\":1}}}",
				 "{\"time\":{\"get_time\":{}}}"};

	for (size_t i = 0; i < ARRAY_SIZE(queries); i++) {
		ck_assert_int_eq(run(c, queries[i], TIMEOUT), 1);
		klap_device_assert_last(d, queries[i]);
		assert_reply(c, iot_answer);
	}
	ck_assert_int_eq(klap_count(&d->handshake1s), 1);
	ck_assert_int_eq(klap_count(&d->opened), 3);
	ck_assert_int_eq(klap_count(&d->connections), 1);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* The session outlives the TCP connection: the device closes it after each
 * answer (or the caller does), and the next request needs no handshake. */
START_TEST(test_session_outlives_connection)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V1, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER, PASSWORD);

	/* One connection for each POST: handshake 1 and 2, the request; then
	 * one for the next request. */
	atomic_store(&d->close, true);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	ck_assert_int_eq(klap_count(&d->connections), 3);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	ck_assert_int_eq(klap_count(&d->connections), 4);
	atomic_store(&d->close, false);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	kasa_klap_conn_close(c);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	assert_reply(c, iot_answer);
	ck_assert_int_eq(klap_count(&d->connections), 6);
	ck_assert_int_eq(klap_count(&d->handshake1s), 1);
	ck_assert_int_eq(klap_count(&d->opened), 4);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* A 403 drops the session: one new handshake, the request again, success. */
START_TEST(test_forbidden_once)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2, USER, PASSWORD);

	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	atomic_store(&d->forbid, 1);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	assert_reply(c, iot_answer);
	ck_assert_int_eq(klap_count(&d->handshake1s), 2);
	ck_assert_int_eq(klap_count(&d->requests), 3);
	ck_assert_int_eq(klap_count(&d->opened), 2);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* 403 after the new handshake too: an error, not a loop; the connection
 * works again once the device does. */
START_TEST(test_forbidden_twice)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2, USER, PASSWORD);

	atomic_store(&d->forbid, -1);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), -EKEYEXPIRED);
	ck_assert_ptr_null(kasa_klap_conn_reply(c, NULL));
	ck_assert_int_eq(klap_count(&d->handshake1s), 2);
	ck_assert_int_eq(klap_count(&d->requests), 2);
	atomic_store(&d->forbid, 0);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	ck_assert_int_eq(klap_count(&d->handshake1s), 3);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* SMART says a session is over inside a 200: handled as a 403. */
START_TEST(test_smart_session_expired)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, smart_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_SMART, KASA_KLAP_V2, USER, PASSWORD);
	const char *json = "{\"method\":\"get_device_info\"}";

	atomic_store(&d->expire, 1);
	ck_assert_int_eq(run(c, json, TIMEOUT), 1);
	assert_reply(c, smart_answer);
	ck_assert_int_eq(klap_count(&d->handshake1s), 2);
	ck_assert_int_eq(klap_count(&d->opened), 2);
	atomic_store(&d->expire, 2);
	ck_assert_int_eq(run(c, json, TIMEOUT), -EKEYEXPIRED);
	ck_assert_int_eq(klap_count(&d->handshake1s), 3);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* A cookie TIMEOUT of KASA_KLAP_RENEW_S seconds makes every request
 * handshake first; with none the default lifetime keeps the session. */
START_TEST(test_session_timeout_cookie)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V1, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER, PASSWORD);

	atomic_store(&d->timeout_s, KASA_KLAP_RENEW_S);
	for (int i = 1; i <= 3; i++) {
		ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
		ck_assert_int_eq(klap_count(&d->handshake1s), i);
	}
	ck_assert_int_eq(klap_count(&d->opened), 3);
	ck_assert_int_eq(klap_count(&d->connections), 1);
	atomic_store(&d->timeout_s, 0); /* no TIMEOUT: 86400 s */
	kasa_klap_conn_close(c);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	ck_assert_int_eq(klap_count(&d->handshake1s), 4);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* --- Credentials ------------------------------------------------------------- */

/* A device with other credentials: -EACCES after handshake 1, nothing sent
 * after it, and the account tried is there for the message. */
START_TEST(test_wrong_credentials)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_ANY, USER, "not the secret");

	ck_assert_int_eq(run(c, iot_query, TIMEOUT), -EACCES);
	ck_assert_int_eq(klap_count(&d->handshake1s), 1);
	ck_assert_int_eq(klap_count(&d->handshake2s), 0);
	ck_assert_int_eq(klap_count(&d->requests), 0);
	ck_assert_str_eq(kasa_klap_conn_user(c), USER);
	ck_assert_int_eq(kasa_klap_conn_matched(c, NULL, NULL), -ENOTCONN);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* A device answering with TP-Link's default (as bound devices may) or blank
 * credentials is accepted whatever was given, and says which matched. */
START_TEST(test_default_credentials)
{
	const char *user, *password;
	struct klap_device *d;
	struct kasa_klap_conn *c;

	ck_assert_int_eq(kasa_klap_cred_default(KASA_KLAP_CRED_KASA, &user, &password), 0);
	d = klap_device_start(KASA_KLAP_V1, user, password, iot_answer);
	c = conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_ANY, USER, PASSWORD);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	assert_matched(c, KASA_KLAP_CRED_KASA, KASA_KLAP_V1);
	kasa_klap_conn_free(c);
	klap_device_stop(d);

	d = klap_device_start(KASA_KLAP_V2, "", "", smart_answer);
	c = conn_to(d->port, KASA_KLAP_PROTO_SMART, KASA_KLAP_V2, NULL, NULL);
	ck_assert_ptr_null(kasa_klap_conn_user(c));
	ck_assert_int_eq(run(c, "{\"method\":\"get_device_info\"}", TIMEOUT), 1);
	assert_matched(c, KASA_KLAP_CRED_BLANK, KASA_KLAP_V2);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* --- What the device sends ------------------------------------------------- */

/* Bodies over KASA_KLAP_BODY_MAX, announced or chunked, are cut off. */
START_TEST(test_body_over_cap)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2, USER, PASSWORD);

	atomic_store(&d->body, KLAP_BODY_HUGE);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), -EMSGSIZE);
	atomic_store(&d->body, KLAP_BODY_HUGE_CHUNKED);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), -EMSGSIZE);
	ck_assert_int_eq(klap_count(&d->opened), 2);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	assert_reply(c, iot_answer);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* A signature that does not match: -EBADE, and the next request starts a
 * new session. */
START_TEST(test_bad_signature)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V1, USER, PASSWORD, iot_answer);
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER, PASSWORD);

	atomic_store(&d->body, KLAP_BODY_TAMPERED);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), -EBADE);
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), 1);
	ck_assert_int_eq(klap_count(&d->handshake1s), 2);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* Not KLAP (404 to the handshake), and SMART that is not JSON. */
START_TEST(test_not_klap)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, "not json");
	struct kasa_klap_conn *c =
		conn_to(d->port, KASA_KLAP_PROTO_SMART, KASA_KLAP_V2, USER, PASSWORD);

	ck_assert_int_eq(run(c, "{\"method\":\"get_device_info\"}", TIMEOUT), -EBADMSG);
	atomic_store(&d->no_klap, true);
	kasa_klap_conn_close(c);
	kasa_klap_conn_free(c);
	c = conn_to(d->port, KASA_KLAP_PROTO_SMART, KASA_KLAP_V2, USER, PASSWORD);
	ck_assert_int_eq(run(c, "{\"method\":\"get_device_info\"}", TIMEOUT), -EPROTO);
	ck_assert_int_eq(klap_count(&d->handshake1s), 1);
	kasa_klap_conn_free(c);
	klap_device_stop(d);
}
END_TEST

/* --- Sockets ------------------------------------------------------------------- */

static int bound_socket(uint16_t *ret_port, bool do_listen)
{
	struct sockaddr_in sin = loopback(0);
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	if (do_listen)
		ck_assert_int_eq(listen(fd, 4), 0);
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

/* A device that takes the connection and never answers: -ETIMEDOUT at the
 * deadline, not before, not long after. */
START_TEST(test_never_answers)
{
	uint16_t port;
	int fd = bound_socket(&port, true);
	struct kasa_klap_conn *c = conn_to(port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER, PASSWORD);
	uint64_t start = kasa_now_usec();
	uint64_t elapsed;

	ck_assert_int_eq(run(c, iot_query, 300 * MSEC), -ETIMEDOUT);
	elapsed = kasa_now_usec() - start;
	ck_assert_uint_ge(elapsed, 300 * MSEC);
	ck_assert_uint_lt(elapsed, 300 * MSEC + 5 * SEC);
	kasa_klap_conn_free(c);
	close(fd);
}
END_TEST

START_TEST(test_refused)
{
	uint16_t port;
	int fd = bound_socket(&port, false);
	struct kasa_klap_conn *c = conn_to(port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER, PASSWORD);

	ck_assert_int_eq(run(c, iot_query, TIMEOUT), -ECONNREFUSED);
	/* And again: nothing of the first attempt is left in the way. */
	ck_assert_int_eq(run(c, iot_query, TIMEOUT), -ECONNREFUSED);
	kasa_klap_conn_free(c);
	close(fd);
}
END_TEST

/* --- The blocking call ------------------------------------------------------ */

START_TEST(test_call)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	char *reply = NULL;
	size_t len = 0;
	uint16_t port;
	int fd;

	ck_assert_int_eq(kasa_klap_call("127.0.0.1", d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_ANY,
					USER, PASSWORD, iot_query, 10000, &reply, &len),
			 0);
	ck_assert_str_eq(reply, iot_answer);
	ck_assert_uint_eq(len, strlen(iot_answer));
	free(reply);
	/* A name: localhost may be ::1 first, where nothing listens. */
	reply = NULL;
	ck_assert_int_eq(kasa_klap_call("localhost", d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2,
					USER, PASSWORD, iot_query, 10000, &reply, NULL),
			 0);
	ck_assert_str_eq(reply, iot_answer);
	free(reply);
	reply = NULL;
	ck_assert_int_eq(kasa_klap_call("127.0.0.1", d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2,
					USER, "wrong", iot_query, 10000, &reply, NULL),
			 -EACCES);
	ck_assert_ptr_null(reply);
	ck_assert_int_eq(kasa_klap_call("127.0.0.1", d->port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V2,
					USER, PASSWORD, iot_query, 0, &reply, NULL),
			 -EINVAL);
	klap_device_stop(d);

	fd = bound_socket(&port, false);
	ck_assert_int_eq(kasa_klap_call("127.0.0.1", port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER,
					PASSWORD, iot_query, 10000, &reply, NULL),
			 -ECONNREFUSED);
	close(fd);
	fd = bound_socket(&port, true);
	ck_assert_int_eq(kasa_klap_call("127.0.0.1", port, KASA_KLAP_PROTO_IOT, KASA_KLAP_V1, USER,
					PASSWORD, iot_query, 300, &reply, NULL),
			 -ETIMEDOUT);
	ck_assert_ptr_null(reply);
	close(fd);
}
END_TEST

static Suite *klap_conn_suite(void)
{
	Suite *s = suite_create("klap-conn");
	TCase *tc = tcase_create("klap-conn");

	/* Generous: valgrind runs these too. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_iot_v1);
	tcase_add_test(tc, test_iot_v2);
	tcase_add_test(tc, test_iot_any);
	tcase_add_test(tc, test_smart_v2);
	tcase_add_test(tc, test_new_refuses);
	tcase_add_test(tc, test_large_request);
	tcase_add_test(tc, test_session_reused);
	tcase_add_test(tc, test_session_outlives_connection);
	tcase_add_test(tc, test_forbidden_once);
	tcase_add_test(tc, test_forbidden_twice);
	tcase_add_test(tc, test_smart_session_expired);
	tcase_add_test(tc, test_session_timeout_cookie);
	tcase_add_test(tc, test_wrong_credentials);
	tcase_add_test(tc, test_default_credentials);
	tcase_add_test(tc, test_body_over_cap);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_not_klap);
	tcase_add_test(tc, test_never_answers);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_call);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* A proxy the environment names is not for plugs: were it used, every
	 * request would fail here. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
	return test_run(klap_conn_suite());
}
