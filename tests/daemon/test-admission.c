/* SPDX-License-Identifier: MIT */
/* The admission policy's pure parts: which Host names kasad answers to (the
 * strict host[:port] parsing), which Origins may call it and which get
 * CORS, and the scope a bearer token grants. */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "../../daemon/admission.h"
#include "../../daemon/api.h"
#include "../lib/test-util.h"
#include "common/macro.h"

static char *hosts[] = {"kasad.lan", "plugs.example.org"};
static char *origins[] = {"http://dash.lan:3000", "https://ha.example.org"};
static const struct api_settings settings = {
	.allowed_hosts = hosts,
	.n_allowed_hosts = ARRAY_SIZE(hosts),
	.cors_origins = origins,
	.n_cors_origins = ARRAY_SIZE(origins),
};

static const struct {
	const char *host;
	bool allowed;
} host_cases[] = {
	{NULL, true}, /* HTTP/1.0 names none */
	{"localhost", true},
	{"LocalHost:8080", true},
	{"localhost.", true},
	{"localhost.:80", true},
	{"127.0.0.1", true},
	{"127.0.0.1:8080", true},
	{"192.0.2.7:65535", true},
	{"[::1]", true},
	{"[::1]:8080", true},
	{"[fe80::1]", true},
	{"kasad.lan", true},
	{"KASAD.LAN:80", true},
	{"plugs.example.org", true},
	/* Names not listed, and DNS rebinding's favourites. */
	{"evil.com", false},
	{"kasad.lan.evil.com", false},
	{"localhost.evil", false},
	{"127.0.0.1.nip.io", false},
	/* Not a host[:port] at all. */
	{"", false},
	{":80", false},
	{"[::1].evil", false},
	{"[::1]evil", false},
	{"[::1]:80x", false},
	{"[::1", false},
	{"[]", false},
	{"[kasad.lan]", false},
	{"127.0.0.1:80@evil", false},
	{"evil@127.0.0.1", false},
	{"localhost:123456", false},
	{"localhost:80:80", false},
	{"localhost:http", false},
	{"kasad lan", false},
	{"kasad.lan/", false},
	/* The authority of an absolute-form target, taken as a Host. */
	{"http://localhost", false},
	{"user:pass@localhost", false},
};

START_TEST(host)
{
	const char *h = host_cases[_i].host;

	ck_assert_msg(admission_host_allowed(&settings, h) == host_cases[_i].allowed,
		      "Host %s should be %s", h ? h : "(none)",
		      host_cases[_i].allowed ? "allowed" : "refused");
}
END_TEST

static const struct {
	const char *origin, *host;
	bool allowed, listed;
} origin_cases[] = {
	/* kasad's own pages, over http or through a proxy over https. */
	{"http://localhost:8080", "localhost:8080", true, false},
	{"https://kasad.lan", "kasad.lan", true, false},
	{"HTTP://KASAD.LAN", "kasad.lan", false, false}, /* the scheme as browsers send it */
	{"http://KASAD.lan", "kasad.LAN", true, false},
	/* Listed origins, whatever the Host. */
	{"http://dash.lan:3000", "kasad.lan", true, true},
	{"https://ha.example.org", NULL, true, true},
	/* The rest. */
	{"http://dash.lan:3001", "kasad.lan", false, false},
	{"http://dash.lan:3000/", "kasad.lan", false, false},
	{"http://evil.com", "kasad.lan", false, false},
	{"http://kasad.lan", "kasad.lan:8080", false, false},
	{"null", "kasad.lan", false, false},
	{"http://kasad.lan", NULL, false, false},
	{"ftp://kasad.lan", "kasad.lan", false, false},
};

START_TEST(origin)
{
	bool listed = !origin_cases[_i].listed;

	ck_assert_msg(admission_origin_allowed(&settings, origin_cases[_i].origin,
					       origin_cases[_i].host,
					       &listed) == origin_cases[_i].allowed,
		      "Origin %s, Host %s", origin_cases[_i].origin,
		      origin_cases[_i].host ? origin_cases[_i].host : "(none)");
	ck_assert(listed == origin_cases[_i].listed);
}
END_TEST

#define T_READ	  "read-token-0123456789"
#define T_CONTROL "control-token-0123456789"
#define T_ADMIN	  "admin-token-0123456789"

static const struct {
	const char *header;
	enum auth_scope scope;
	bool given;
} token_cases[] = {
	{"Bearer " T_READ, AUTH_READ, true},
	{"Bearer " T_CONTROL, AUTH_CONTROL, true},
	{"bearer " T_ADMIN, AUTH_ADMIN, true},
	{"Bearer   " T_ADMIN "  ", AUTH_ADMIN, true},
	{"Bearer " T_ADMIN "\t", AUTH_ADMIN, true},
	{"Bearer wrong-token-0123456789", AUTH_NONE, true},
	{"Bearer " T_ADMIN "x", AUTH_NONE, true},
	{"Bearer " T_READ " " T_ADMIN, AUTH_NONE, false}, /* two words: no token */
	{"Basic " T_ADMIN, AUTH_NONE, false},
	{"Bearer", AUTH_NONE, false},
	{"Bearer ", AUTH_NONE, false},
	{T_ADMIN, AUTH_NONE, false},
	{"", AUTH_NONE, false},
	{NULL, AUTH_NONE, false},
};

START_TEST(token)
{
	static const char text[] = "read " T_READ "\ncontrol " T_CONTROL "\nadmin " T_ADMIN "\n";
	struct auth *a = NULL;
	bool given = !token_cases[_i].given;

	ck_assert_int_eq(auth_parse(text, strlen(text), "tok", &a, NULL), 0);
	ck_assert_msg(admission_token_scope(a, token_cases[_i].header, &given) ==
			      token_cases[_i].scope,
		      "Authorization: %s", token_cases[_i].header ? token_cases[_i].header : "");
	ck_assert(given == token_cases[_i].given);
	auth_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("admission");
	TCase *tc = tcase_create("all");

	tcase_add_loop_test(tc, host, 0, (int)ARRAY_SIZE(host_cases));
	tcase_add_loop_test(tc, origin, 0, (int)ARRAY_SIZE(origin_cases));
	tcase_add_loop_test(tc, token, 0, (int)ARRAY_SIZE(token_cases));
	suite_add_tcase(s, tc);
	return test_run(s);
}
