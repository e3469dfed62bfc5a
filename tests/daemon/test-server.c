/* SPDX-License-Identifier: MIT */
/* The server's settings, each derived from the configuration by one function. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* By path: a plain "config.h" would find autoconf's at the top of the tree. */
#include "../../daemon/config.h"
#include "../../daemon/discovery.h"
#include "../../daemon/errors.h"
#include "../../daemon/log.h"
#include "../../daemon/server.h"
#include "../lib/test-util.h"

#define SEC  1000000ULL
#define MSEC 1000ULL
#define MIB  (1024 * 1024)

/* Every value a module is given differs from its default here. */
static const char changed[] = "[kasad]\n"
			      "listen = 0.0.0.0:8443\n"
			      "tokens = kasad.tokens\n"
			      "request_timeout = 2500ms\n"
			      "cache_max_age = 7s\n"
			      "allowed_hosts = kasa.example plugs.lan\n"
			      "cors_origins = https://a.example\n"
			      "client_rate = 11\n"
			      "client_burst = 12\n"
			      "switch_rate = 13\n"
			      "switch_burst = 14\n"
			      "max_connections = 300\n"
			      "max_connections_per_ip = 30\n"
			      "connection_timeout = 45s\n"
			      "body_max = 8192\n"
			      "answer_memory_max = 1M\n"
			      "url_max = 4096\n"
			      "header_max = 16384\n"
			      "request_deadline = 20s\n";

static struct config *load(const char *text)
{
	struct config *c = NULL;
	char *errors = NULL;
	int r = config_load_string(text, "t", &c, &errors);

	ck_assert_msg(r == 0, "load failed (%d): %s", r, errors ? errors : "");
	return c;
}

/* Field f of got is want->f (both in scope). */
#define EXPECT_FIELD(f)                                                                            \
	ck_assert_msg(got.f == want->f, "%s: %lld, not %lld", #f, (long long)got.f,                \
		      (long long)want->f);

/* What server_api_settings() gives, field by field; the lists and the
 * tokens are checked apart. */
/* clang-format off */
#define API_FIELDS(X)                                                                              \
	X(n_allowed_hosts) X(n_cors_origins) X(client_rate) X(client_burst)
/* What server_service_settings() gives. */
#define SERVICE_FIELDS(X)                                                                          \
	X(request_timeout_usec) X(cache_max_age_usec) X(switch_rate) X(switch_burst)
/* clang-format on */
static const struct api_case {
	const char *text;
	uint64_t request_timeout_usec, cache_max_age_usec;
	size_t n_allowed_hosts, n_cors_origins;
	unsigned client_rate, client_burst, switch_rate, switch_burst;
} api_cases[] = {
	{"", 5 * SEC, 20 * SEC, 0, 0, 50, 100, 60, 10},
	{changed, 2500 * MSEC, 7 * SEC, 2, 1, 11, 12, 13, 14},
};

static void check_service(const struct config *c, const struct api_case *want)
{
	struct service_settings got = server_service_settings(c);

	SERVICE_FIELDS(EXPECT_FIELD)
}

START_TEST(test_api)
{
	static const char marker;
	const struct auth *auth = _i ? (const void *)&marker : NULL; /* only passed on */
	struct config *c = load(api_cases[_i].text);
	struct api_settings got = server_api_settings(c, auth);
	const struct api_case *want = &api_cases[_i];

	API_FIELDS(EXPECT_FIELD)
	check_service(c, want);
	ck_assert_ptr_eq(got.auth, auth);
	/* Borrowed from c, which outlives them until the next reload. */
	ck_assert_ptr_eq(got.allowed_hosts, c->allowed_hosts);
	ck_assert_ptr_eq(got.cors_origins, c->cors_origins);
	if (got.n_allowed_hosts)
		ck_assert_str_eq(got.allowed_hosts[1], "plugs.lan");
	if (got.n_cors_origins)
		ck_assert_str_eq(got.cors_origins[0], "https://a.example");
	config_free(c);
}
END_TEST

/* What server_http_options() gives but the address; the suspension's
 * deadline is request_timeout and a second more. */
/* clang-format off */
#define HTTP_FIELDS(X)                                                                             \
	X(listen_fd) X(max_connections) X(max_connections_per_ip) X(connection_timeout_s)          \
	X(body_max) X(answer_memory_max) X(url_max) X(header_max) X(request_deadline_usec)        \
	X(suspend_timeout_usec)
/* clang-format on */
static const struct http_case {
	const char *text;
	int listen_fd;
	unsigned max_connections, max_connections_per_ip, connection_timeout_s;
	size_t body_max, answer_memory_max, url_max, header_max;
	uint64_t request_deadline_usec, suspend_timeout_usec;
} http_cases[] = {
	{"", -1, 256, 32, 30, 4096, 64 * MIB, 2048, 8192, 10 * SEC, 6 * SEC},
	{changed, 3, 300, 30, 45, 8192, MIB, 4096, 16384, 20 * SEC, 3500 * MSEC},
};

START_TEST(test_http)
{
	struct config *c = load(http_cases[_i].text);
	const struct http_case *want = &http_cases[_i];
	struct http_options got = server_http_options(c, want->listen_fd);

	HTTP_FIELDS(EXPECT_FIELD)
	ck_assert_ptr_eq(got.addr, (const struct sockaddr *)&c->listen_addr);
	ck_assert_uint_eq(got.addrlen, c->listen_addrlen);
	config_free(c);
}
END_TEST

/* A reload derives with the same functions: what a second configuration
 * gives owes nothing to the first. */
START_TEST(test_reload_derives_anew)
{
	struct config *a = load(changed), *b = load("[kasad]\nrequest_timeout = 750ms\n");
	struct api_settings sb = server_api_settings(b, NULL);

	ck_assert_uint_eq(server_service_settings(a).request_timeout_usec, 2500 * MSEC);
	ck_assert_uint_eq(server_service_settings(b).request_timeout_usec, 750 * MSEC);
	ck_assert_uint_eq(sb.n_allowed_hosts, 0);
	ck_assert_uint_eq(sb.client_rate, 50);
	ck_assert_uint_eq(server_http_options(b, -1).suspend_timeout_usec, 1750 * MSEC);
	config_free(a);
	config_free(b);
}
END_TEST

/* What the HTTP server answers on its own comes from the error table, at
 * every reload alike. */
/* Discovery's settings: the addresses as written (the default port where
 * none is), broadcast, the KLAP probe's port, the interval, and the address
 * whose interfaces broadcast goes out of: the one listened on. */
START_TEST(test_discovery)
{
	struct config *c = load("[kasad]\nlisten = 0.0.0.0:8080\nallow_unauthenticated = yes\n"
				"discover = 192.0.2.255 192.0.2.7:40000\n"
				"discover_broadcast = yes\ndiscover_klap_port = 0\n"
				"discover_interval = 2m\n");
	struct sockaddr_in there = {.sin_family = AF_INET, .sin_port = htons(9)};
	const struct sockaddr_in *t, *l;
	struct discovery_settings ds;

	server_discovery_settings(c, NULL, &ds);
	ck_assert_uint_eq(ds.n_targets, 2);
	t = (const struct sockaddr_in *)&ds.targets[0].addr;
	ck_assert_int_eq(t->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(t->sin_addr.s_addr), 0xC00002FF);
	ck_assert_uint_eq(ds.targets[0].port, 9999);
	t = (const struct sockaddr_in *)&ds.targets[1].addr;
	ck_assert_uint_eq(ntohl(t->sin_addr.s_addr), 0xC0000207);
	ck_assert_uint_eq(ds.targets[1].port, 40000);
	ck_assert(ds.broadcast);
	ck_assert_uint_eq(ds.klap_port, 0);
	ck_assert_uint_eq(ds.interval_usec, 120 * SEC);
	l = (const struct sockaddr_in *)&ds.listen;
	ck_assert_uint_eq(ds.listen_len, sizeof(*l));
	ck_assert_uint_eq(l->sin_addr.s_addr, htonl(INADDR_ANY));
	/* The socket's own address wins over the file's (systemd's socket). */
	there.sin_addr.s_addr = htonl(0xC0000201);
	server_discovery_settings(c, (struct sockaddr *)&there, &ds);
	ck_assert_uint_eq(ntohl(l->sin_addr.s_addr), 0xC0000201);
	config_free(c);

	/* The defaults: nowhere to go, the KLAP probe to 20002, every 5 min. */
	c = load("[kasad]\n");
	server_discovery_settings(c, NULL, &ds);
	ck_assert_uint_eq(ds.n_targets, 0);
	ck_assert(!ds.broadcast);
	ck_assert_uint_eq(ds.klap_port, 20002);
	ck_assert_uint_eq(ds.interval_usec, 300 * SEC);
	config_free(c);
}
END_TEST

START_TEST(test_http_answers)
{
	struct config *a = load(""), *b = load(changed);

	ck_assert_ptr_eq(server_http_options(a, -1).answers, errors_http_answers());
	ck_assert_ptr_eq(server_http_options(b, 3).answers, errors_http_answers());
	config_free(a);
	config_free(b);
}
END_TEST

/* --check-config: the tokens file and the credentials files must load. */
START_TEST(test_check)
{
	struct config *c = load("");
	size_t tokens = 99, accounts = 99;

	ck_assert_int_eq(server_check(c, &tokens, &accounts), 0);
	ck_assert_uint_eq(tokens, 0);
	ck_assert_uint_eq(accounts, 0);
	config_free(c);
	c = load("[kasad]\ntokens = /nonexistent/kasad.tokens\n");
	tokens = 99;
	ck_assert_int_lt(server_check(c, &tokens, &accounts), 0);
	ck_assert_uint_eq(tokens, 99);
	config_free(c);
	c = load("[kasad]\ncredentials = /nonexistent/kasa.credentials\n");
	accounts = 99;
	ck_assert_int_lt(server_check(c, &tokens, &accounts), 0);
	ck_assert_uint_eq(accounts, 99);
	config_free(c);
}
END_TEST

START_TEST(test_load_config)
{
	struct config *c = NULL;

	ck_assert_int_eq(server_load_config("/nonexistent/kasad.conf", &c), -ENOENT);
	ck_assert_ptr_null(c);
	server_free(NULL);
}
END_TEST

static Suite *server_suite(void)
{
	Suite *s = suite_create("server");
	TCase *settings = tcase_create("settings"), *life = tcase_create("life");

	tcase_add_loop_test(settings, test_api, 0, sizeof(api_cases) / sizeof(api_cases[0]));
	tcase_add_test(settings, test_reload_derives_anew);
	tcase_add_loop_test(settings, test_http, 0, sizeof(http_cases) / sizeof(http_cases[0]));
	tcase_add_test(settings, test_http_answers);
	tcase_add_test(settings, test_discovery);
	suite_add_tcase(s, settings);
	tcase_add_test(life, test_check);
	tcase_add_test(life, test_load_config);
	suite_add_tcase(s, life);
	return s;
}

int main(void)
{
	/* The failures tested are logged: keep them to errors only. */
	log_init(LOG_ERR);
	return test_run(server_suite());
}
