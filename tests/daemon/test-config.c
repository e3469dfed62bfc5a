/* SPDX-License-Identifier: MIT */
/* The configuration file: good files with exact values, every error with its FILE:LINE. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* By path: a plain "config.h" would find autoconf's at the top of the tree. */
#include "../../daemon/config.h"
#include "../../daemon/schema.h"
#include "../lib/test-util.h"

#define SEC	   1000000ULL
#define DATA(name) TEST_DATA_DIR "/" name
#define EXAMPLE	   TEST_DATA_DIR "/../../etc/kasad.conf"

/* Sentinels: ret_* must be left alone when a load fails. */
#define NO_CONFIG ((struct config *)0x1)
#define NO_ERRORS ((char *)0x1)

static struct config *load_ok(const char *text)
{
	struct config *c = NO_CONFIG;
	char *errors = NO_ERRORS;
	int r = config_load_string(text, "t", &c, &errors);

	ck_assert_msg(r == 0, "load failed (%d):\n%s\n---\n%s", r, text,
		      errors != NO_ERRORS && errors ? errors : "");
	ck_assert_ptr_ne(c, NO_CONFIG);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_eq(errors, NO_ERRORS);
	return c;
}

/* The errors (owned) of a text that must be refused. */
static char *load_err(const char *text)
{
	struct config *c = NO_CONFIG;
	char *errors = NO_ERRORS;
	int r = config_load_string(text, "t", &c, &errors);

	ck_assert_msg(r == -EINVAL, "expected -EINVAL, got %d for:\n%s", r, text);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_ptr_ne(errors, NO_ERRORS);
	ck_assert_ptr_nonnull(errors);
	return errors;
}

static void expect_errors(const char *text, const char *expected)
{
	char *errors = load_err(text);

	ck_assert_msg(strcmp(errors, expected) == 0, "for:\n%s\nexpected:\n%sgot:\n%s", text,
		      expected, errors);
	free(errors);
}

/* The text with its "#key" lines uncommented (but not "# prose"). */
static char *uncomment(const char *text)
{
	char *out = malloc(strlen(text) + 1);
	char *o = out;
	int bol = 1;

	ck_assert_ptr_nonnull(out);
	for (const char *p = text; *p; p++) {
		if (bol && p[0] == '#' && p[1] && p[1] != ' ' && p[1] != '\n')
			continue;
		*o++ = *p;
		bol = *p == '\n';
	}
	*o = '\0';
	return out;
}

static void check_sin(const struct config *c, const char *addr, unsigned port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&c->listen_addr;
	char buf[INET_ADDRSTRLEN];

	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(c->listen_addrlen, sizeof(*sin));
	ck_assert_uint_eq(ntohs(sin->sin_port), port);
	ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)));
	ck_assert_str_eq(buf, addr);
}

static void check_sin6(const struct config *c, const char *addr, unsigned port)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&c->listen_addr;
	char buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_uint_eq(c->listen_addrlen, sizeof(*sin6));
	ck_assert_uint_eq(ntohs(sin6->sin6_port), port);
	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)));
	ck_assert_str_eq(buf, addr);
}

static void check_defaults(const struct config *c)
{
	ck_assert_str_eq(c->listen, "127.0.0.1:8080");
	check_sin(c, "127.0.0.1", 8080);
	ck_assert_uint_eq(c->poll_interval_usec, 10 * SEC);
	ck_assert_uint_eq(c->request_timeout_usec, 5 * SEC);
	ck_assert_uint_eq(c->cache_max_age_usec, 20 * SEC);
	ck_assert_uint_eq(c->offline_after, 3);
	ck_assert_uint_eq(c->backoff_max_usec, 300 * SEC);
	ck_assert_uint_eq(c->shutdown_timeout_usec, 3 * SEC);
	ck_assert_uint_eq(c->max_connections, 256);
	ck_assert_uint_eq(c->max_connections_per_ip, 32);
	ck_assert_uint_eq(c->connection_timeout_usec, 30 * SEC);
	ck_assert_uint_eq(c->queue_max, 64);
	ck_assert_uint_eq(c->body_max, 4096);
	ck_assert_ptr_null(c->tokens);
	ck_assert(!c->allow_unauthenticated);
	ck_assert_uint_eq(c->n_allowed_hosts, 0);
	ck_assert_uint_eq(c->n_cors_origins, 0);
	ck_assert_uint_eq(c->client_rate, 50);
	ck_assert_uint_eq(c->client_burst, 100);
	ck_assert_uint_eq(c->switch_rate, 60);
	ck_assert_uint_eq(c->switch_burst, 10);
	ck_assert_uint_eq(c->request_deadline_usec, 10 * SEC);
	ck_assert_uint_eq(c->url_max, 2048);
	ck_assert_uint_eq(c->header_max, 8192);
	ck_assert(!c->empty_inventory);
}

static void check_device(const struct config *c, size_t i, const char *name, const char *host,
			 unsigned port, int outlet, uint64_t poll, unsigned line)
{
	const struct config_device *d = &c->devices[i];

	ck_assert_uint_lt(i, c->n_devices);
	ck_assert_str_eq(d->name, name);
	ck_assert_str_eq(d->host, host);
	ck_assert_uint_eq(d->port, port);
	ck_assert_int_eq(d->outlet, outlet);
	ck_assert_uint_eq(d->poll_interval_usec, poll);
	ck_assert_uint_eq(d->line, line);
	ck_assert_ptr_eq(config_find_device(c, name), d);
}

/* Every field of tests/data/config/good.conf. */
static void check_good(const struct config *c)
{
	ck_assert_str_eq(c->listen, "0.0.0.0:8081");
	check_sin(c, "0.0.0.0", 8081);
	ck_assert_uint_eq(c->poll_interval_usec, 2500000);
	ck_assert_uint_eq(c->request_timeout_usec, 1500000);
	ck_assert_uint_eq(c->cache_max_age_usec, 60 * SEC);
	ck_assert_uint_eq(c->offline_after, 5);
	ck_assert_uint_eq(c->backoff_max_usec, 3600 * SEC);
	ck_assert_uint_eq(c->shutdown_timeout_usec, 0);
	ck_assert_uint_eq(c->max_connections, 100);
	ck_assert_uint_eq(c->max_connections_per_ip, 10);
	ck_assert_uint_eq(c->connection_timeout_usec, 45 * SEC);
	ck_assert_uint_eq(c->queue_max, 9);
	ck_assert_uint_eq(c->body_max, 8192);
	ck_assert_str_eq(c->tokens, "kasad.tokens");
	ck_assert(c->allow_unauthenticated);
	ck_assert_uint_eq(c->n_allowed_hosts, 2);
	ck_assert_str_eq(c->allowed_hosts[0], "kasad.lan");
	ck_assert_str_eq(c->allowed_hosts[1], "plug-hub");
	ck_assert_uint_eq(c->n_cors_origins, 2);
	ck_assert_str_eq(c->cors_origins[0], "http://dash.lan:3000");
	ck_assert_str_eq(c->cors_origins[1], "https://[::1]");
	ck_assert_uint_eq(c->client_rate, 0);
	ck_assert_uint_eq(c->client_burst, 7);
	ck_assert_uint_eq(c->switch_rate, 6);
	ck_assert_uint_eq(c->switch_burst, 2);
	ck_assert_uint_eq(c->request_deadline_usec, 3 * SEC);
	ck_assert_uint_eq(c->url_max, 1024);
	ck_assert_uint_eq(c->header_max, 4096);

	ck_assert_uint_eq(c->n_devices, 4);
	check_device(c, 0, "living-room", "192.168.1.50", 9999, -1, 0, 29);
	check_device(c, 1, "desk-lamp", "strip.lan", 9999, 2, 30 * SEC, 32);
	check_device(c, 2, "desk_fan.2", "strip.lan", 10000, 0, 0, 37);
	check_device(c, 3, "v6", "fe80::1", 9998, -1, 0, 42);
	ck_assert_ptr_null(config_find_device(c, "desk"));
	ck_assert_ptr_null(config_find_device(c, "Living-Room"));
	ck_assert_ptr_null(config_find_device(c, ""));
}

/* --- good configurations ------------------------------------------------ */

START_TEST(test_good_file)
{
	struct config *c = NULL;
	char *errors = NO_ERRORS;

	ck_assert_int_eq(config_load_file(DATA("config/good.conf"), &c, &errors), 0);
	ck_assert_ptr_eq(errors, NO_ERRORS);
	ck_assert_str_eq(c->path, DATA("config/good.conf"));
	check_good(c);
	config_free(c);

	/* ret_errors may be NULL. */
	c = NULL;
	ck_assert_int_eq(config_load_file(DATA("config/good.conf"), &c, NULL), 0);
	check_good(c);
	config_free(c);
}
END_TEST

START_TEST(test_good_string)
{
	char *text = test_data("config/good.conf", NULL);
	struct config *c = load_ok(text);

	ck_assert_str_eq(c->path, "t");
	check_good(c);
	config_free(c);
	free(text);
}
END_TEST

START_TEST(test_crlf_bom)
{
	struct config *c = NULL;

	ck_assert_int_eq(config_load_file(DATA("config/crlf.conf"), &c, NULL), 0);
	ck_assert_str_eq(c->listen, "[::1]:0");
	check_sin6(c, "::1", 0);
	ck_assert_uint_eq(c->n_devices, 1);
	check_device(c, 0, "a", "10.0.0.1", 9999, 15, 0, 4);
	config_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	static const char *const texts[] = {
		"",	     "\n\n",
		"[kasad]\n", "; comment\n# comment\n[kasad] ; comment\n   \n\t\n",
		"[kasad]",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct config *c = load_ok(texts[i]);

		check_defaults(c);
		ck_assert_uint_eq(c->n_devices, 0);
		ck_assert_ptr_null(config_find_device(c, "x"));
		config_free(c);
	}
}
END_TEST

START_TEST(test_cache_max_age)
{
	static const struct {
		const char *text;
		uint64_t usec;
	} cases[] = {
		{"[kasad]\npoll_interval = 30s\n", 60 * SEC},
		{"[kasad]\npoll_interval = 250ms\n", 500000},
		{"[kasad]\npoll_interval = off\n", 20 * SEC},
		{"[kasad]\npoll_interval = 0\n", 20 * SEC},
		{"[kasad]\npoll_interval = 30s\ncache_max_age = 0\n", 0},
		{"[kasad]\ncache_max_age = 7s\npoll_interval = 30s\n", 7 * SEC},
		/* A device's own interval leaves the default alone. */
		{"[device \"a\"]\nhost = a\npoll_interval = 1m\n", 20 * SEC},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *c = load_ok(cases[i].text);

		ck_assert_msg(c->cache_max_age_usec == cases[i].usec, "%s: %llu", cases[i].text,
			      (unsigned long long)c->cache_max_age_usec);
		config_free(c);
	}
}
END_TEST

START_TEST(test_poll_off)
{
	struct config *c = load_ok("[kasad]\npoll_interval = off\n");

	ck_assert_uint_eq(c->poll_interval_usec, 0);
	config_free(c);
}
END_TEST

/* The shipped example loads as the defaults, and with its settings
 * uncommented gives the defaults it claims, plus its three devices. */
/* etc/kasad.conf's text (owned). */
static char *read_example(void)
{
	FILE *f = fopen(EXAMPLE, "r");
	char *text;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

START_TEST(test_example)
{
	struct config *c = NULL;
	char *errors = NULL;
	char *text = read_example(), *all;

	ck_assert_int_eq(config_load_file(EXAMPLE, &c, &errors), 0);
	check_defaults(c);
	ck_assert_uint_eq(c->n_devices, 0);
	config_free(c);

	all = uncomment(text);
	ck_assert_str_ne(all, text);

	c = load_ok(all);
	check_defaults(c);
	ck_assert_uint_eq(c->n_devices, 3);
	ck_assert_str_eq(c->devices[0].name, "living-room");
	ck_assert_str_eq(c->devices[0].host, "192.168.1.50");
	ck_assert_int_eq(c->devices[0].outlet, -1);
	ck_assert_str_eq(c->devices[1].name, "desk-lamp");
	ck_assert_int_eq(c->devices[1].outlet, 2);
	ck_assert_uint_eq(c->devices[1].poll_interval_usec, 30 * SEC);
	ck_assert_str_eq(c->devices[2].name, "porch");
	ck_assert_str_eq(c->devices[2].mac, "50:C7:BF:01:02:03");
	ck_assert(c->mqtt.enabled);
	ck_assert_str_eq(c->mqtt.broker_host, "127.0.0.1");
	ck_assert_uint_eq(c->mqtt.broker_port, 1883);
	config_free(c);
	free(all);
	free(text);
}
END_TEST

/* The dump of c (owned). */
static char *dump(const struct config *c)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(config_dump(c, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

/* Dump, load the dump, dump again: the same text, the same values. */
static char *round_trip(const char *text)
{
	struct config *c = load_ok(text), *again;
	char *first = dump(c), *second;

	again = load_ok(first);
	second = dump(again);
	ck_assert_msg(strcmp(first, second) == 0, "for:\n%s\nfirst:\n%s\nsecond:\n%s", text, first,
		      second);
	ck_assert_str_eq(again->listen, c->listen);
	ck_assert_uint_eq(again->poll_interval_usec, c->poll_interval_usec);
	ck_assert_uint_eq(again->cache_max_age_usec, c->cache_max_age_usec);
	ck_assert_uint_eq(again->answer_memory_max, c->answer_memory_max);
	ck_assert_uint_eq(again->n_allowed_hosts, c->n_allowed_hosts);
	ck_assert_uint_eq(again->n_devices, c->n_devices);
	for (size_t i = 0; i < c->n_devices; i++) {
		ck_assert_str_eq(again->devices[i].name, c->devices[i].name);
		ck_assert_str_eq(again->devices[i].host, c->devices[i].host);
		ck_assert_uint_eq(again->devices[i].port, c->devices[i].port);
		ck_assert_int_eq(again->devices[i].outlet, c->devices[i].outlet);
		ck_assert_uint_eq(again->devices[i].poll_interval_usec,
				  c->devices[i].poll_interval_usec);
	}
	config_free(again);
	config_free(c);
	free(second);
	return first;
}

START_TEST(test_dump_defaults)
{
	char *text = round_trip("");

	ck_assert_int_eq(strncmp(text, "# kasad --dump-config: ", 23), 0);
	ck_assert_ptr_nonnull(strstr(text, "\n[kasad]\n# where the HTTP API listens: "));
	ck_assert_ptr_nonnull(strstr(text, "\nlisten = 127.0.0.1:8080\n"));
	ck_assert_ptr_nonnull(strstr(text, "\npoll_interval = 10s\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ncache_max_age = 20s\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nbackoff_max = 5m\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nbody_max = 4096\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nanswer_memory_max = 64M\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nallow_unauthenticated = no\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n# tokens: not set\n"));
	ck_assert_ptr_null(strstr(text, "\ntokens ="));
	ck_assert_ptr_null(strstr(text, "\n[device"));
	free(text);
}
END_TEST

START_TEST(test_dump_round_trip)
{
	static const char *const texts[] = {
		"[kasad]\npoll_interval = off\n",
		"[kasad]\npoll_interval = 0.0000015\nrequest_timeout = 1.0015\nshutdown_timeout = "
		"0\n"
		"cache_max_age = 0\nbody_max = 1M\nanswer_memory_max = 4G\nurl_max = 256\n",
		"[kasad]\nlisten = [::]:8443\ntokens = /etc/kasad/tokens\nallowed_hosts = "
		"A.lan\tb.lan\n"
		"cors_origins = http://dash.lan:3000 https://[::1]\nclient_rate = 0\n"
		"empty_inventory = yes\n",
		"[device \"lamp\"]\nhost = 192.0.2.10\n[device \"strip-2\"]\nhost = strip.lan\n"
		"port = 10000\noutlet = 0\npoll_interval = 250ms\n[kasad]\npoll_interval = 1h\n",
	};
	char line[300], path[200];
	char *text;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free(round_trip(texts[i]));

	/* "tokens=PATH" as long as a line may be is not made too long by the
	 * dump's " = ". */
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	for (size_t n = 20; n < sizeof(path); n++) {
		struct config *c;
		char *errors = NULL;

		snprintf(line, sizeof(line), "[kasad]\ntokens=%.*s\n", (int)n, path);
		if (config_load_string(line, "t", &c, &errors) < 0) {
			free(errors);
			break;
		}
		config_free(c);
		free(round_trip(line));
	}

	text = round_trip("[device \"a\"]\nhost = 192.0.2.1\n");
	ck_assert_ptr_nonnull(strstr(text, "\n[device \"a\"]\nhost = 192.0.2.1\nport = 9999\n"));
	ck_assert_ptr_null(strstr(text, "\noutlet"));
	free(text);
}
END_TEST

START_TEST(test_dump_example)
{
	char *text = read_example(), *all;

	free(round_trip(text));
	all = uncomment(text);
	free(round_trip(all));
	free(all);
	free(text);
}
END_TEST

/* The key a line of the dump names, into key: "key = value" (or
 * "key=value"), "# key: not set", or a device key's doc line "#   key  doc".
 * False for any other line. */
static bool dump_key(const char *line, char key[64])
{
	size_t n;

	if (strncmp(line, "#   ", 4) == 0)
		line += 4;
	else if (strncmp(line, "# ", 2) == 0 && strstr(line, ": not set"))
		line += 2;
	n = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
	if (n == 0 || n >= 64 || !strchr(" =:", line[n]))
		return false;
	memcpy(key, line, n);
	key[n] = '\0';
	return true;
}

/* --dump-config lists the schema's keys, in its order, and no other: the
 * [kasad] section's, then a device's, whose doc lines come before the
 * device sections. */
START_TEST(test_dump_lists_the_schema)
{
	struct config *c = load_ok("[device \"a\"]\nhost = 192.0.2.1\n");
	char *text = dump(c), *save = NULL, key[64];
	const struct schema_key *keys[2];
	size_t n[2], i = 0, s = 0;

	keys[0] = schema_keys(SCHEMA_KASAD, &n[0]);
	keys[1] = schema_keys(SCHEMA_DEVICE, &n[1]);
	for (char *line = strtok_r(text, "\n", &save); line && s < 2;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!dump_key(line, key))
			continue;
		ck_assert_msg(i < n[s], "%s: more keys than the schema's", line);
		ck_assert_str_eq(key, keys[s][i].name);
		if (++i == n[s]) {
			s++;
			i = 0;
		}
	}
	ck_assert_msg(s == 2, "the dump lists %zu of section %zu's %zu keys", i, s, n[s]);
	free(text);
	config_free(c);
}
END_TEST

START_TEST(test_syntax_accepted)
{
	struct config *c = load_ok("  [kasad]  \n"
				   "\tqueue_max=7\n"
				   "offline_after : 4\n"
				   "body_max = 1k ; a comment\n");

	ck_assert_uint_eq(c->queue_max, 7);
	ck_assert_uint_eq(c->offline_after, 4);
	ck_assert_uint_eq(c->body_max, 1024);
	config_free(c);

	/* "10;not a comment" is the value, and is not a number. */
	expect_errors("[kasad]\nmax_connections = 10;x\n",
		      "t:2: max_connections: \"10;x\" is not a number\n");

	/* Indented lines are keys of their own, not continuations. */
	c = load_ok("[device \"a\"]\n  host = a\n  port = 1\n  outlet = 3\n");
	check_device(c, 0, "a", "a", 1, 3, 0, 1);
	config_free(c);

	/* A key may be spelt with ':' and the section name with tabs. */
	c = load_ok("[device\t\"b\"]\nhost: 10.0.0.1:80\n");
	check_device(c, 0, "b", "10.0.0.1:80", 9999, -1, 0, 1);
	config_free(c);
}
END_TEST

/* --- errors --------------------------------------------------------------- */

START_TEST(test_bad_file)
{
	const char *path = DATA("config/bad.conf");
	struct config *c = NO_CONFIG;
	char *errors = NULL;
	char *expected = NULL;

	ck_assert_int_eq(config_load_file(path, &c, &errors), -EINVAL);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_int_gt(
		asprintf(
			&expected,
			"%1$s:1: host: outside of a section ([kasad], [device \"NAME\"] or [mqtt])\n"
			"%1$s:3: listen: \"localhost\": expected ADDR:PORT, [ADDR6]:PORT or PORT\n"
			"%1$s:4: poll_interval: \"soon\" is not a duration (such as 250ms, 10s, 2m "
			"or 1h, or off)\n"
			"%1$s:5: poll_interval: given twice in [kasad] (first at line 4)\n"
			"%1$s:6: request_timeout: 0 is out of range (1ms to 5m)\n"
			"%1$s:7: offline_after: 101 is out of range (1 to 100)\n"
			"%1$s:9: max_connections_per_ip: 11 is more than max_connections (10)\n"
			"%1$s:10: body_max: 2M is out of range (64 to 1048576)\n"
			"%1$s:11: colour: unknown key in [kasad]\n"
			"%1$s:12: queue_max: empty value\n"
			"%1$s:13: syntax error: expected \"key = value\", a [section] or a "
			"comment\n"
			"%1$s:14: [kasad]: given twice (first at line 2)\n"
			"%1$s:16: [devices]: unknown section (expected [kasad], [device "
			"\"NAME\"] or [mqtt])\n"
			"%1$s:20: outlet: 16 is out of range (0 to 15)\n"
			"%1$s:21: [device \"lamp\"]: already defined at line 18\n"
			"%1$s:23: [device \"no host\"]: invalid device name (letters, digits, '-', "
			"'_' and '.', at most 63)\n"
			"%1$s:24: [device \"nohost\"]: no host (nor mac)\n"
			"%1$s:25: port: 0 is out of range (1 to 65535)\n"
			"%1$s:26: [device \"twin\"]: the same host, ports and outlet as [device "
			"\"lamp\"] at line 18\n"
			"%1$s:29: host: \"lamp lan!\" is not a host name or address (letters, "
			"digits and -.:[]_, at most 253)\n"
			"%1$s:30: syntax error: a section header needs a closing ']'\n",
			path),
		0);
	ck_assert_str_eq(errors, expected);
	free(expected);
	free(errors);

	/* The same from memory, under another name. */
	expected = test_data("config/bad.conf", NULL);
	errors = load_err(expected);
	ck_assert_int_eq(strncmp(errors, "t:1: host: outside", 18), 0);
	ck_assert_ptr_nonnull(strstr(errors, "\nt:30: syntax error: a section header needs a "
					     "closing ']'\n"));
	free(errors);
	free(expected);

	/* ret_errors may be NULL. */
	ck_assert_int_eq(config_load_file(path, &c, NULL), -EINVAL);
	ck_assert_ptr_eq(c, NO_CONFIG);
}
END_TEST

/* One mistake each, and the exact message it gives. */
struct bad_case {
	const char *text, *errors;
};

static const struct bad_case bad_cases[] = {
	/* syntax */
	{"[kasad\n", "t:1: syntax error: a section header needs a closing ']'\n"},
	{"[kasad] x\n", "t:1: syntax error: text after the section header\n"},
	{"[kasad]\n= 5\n", "t:2: syntax error: a key name is missing before the '='\n"},
	{"[kasad]\nqueue_max\n",
	 "t:2: syntax error: expected \"key = value\", a [section] or a comment\n"},
	{"[kasad]\nqueue_max ; = 5\n",
	 "t:2: syntax error: expected \"key = value\", a [section] or a comment\n"},
	{"[kasad]\n\n\n  queue_max = \n", "t:4: queue_max: empty value\n"},
	{"[kasad]\nqueue_max = ; nothing\n", "t:2: queue_max: empty value\n"},
	{"[device \"a\"]\nhost =\n", "t:2: host: empty value\n"},
	/* sections */
	{"[]\n", "t:1: []: unknown section (expected [kasad], [device \"NAME\"] or [mqtt])\n"},
	{"[Kasad]\n", "t:1: [Kasad]: unknown section (expected [kasad], [device \"NAME\"] or [mqtt])\n"},
	{"[kasad.x]\n",
	 "t:1: [kasad.x]: unknown section (expected [kasad], [device \"NAME\"] or [mqtt])\n"},
	{"[device]\n", "t:1: [device]: unknown section (expected [kasad], [device \"NAME\"] or [mqtt])\n"},
	{"[device\"a\"]\nhost = a\n",
	 "t:1: [device\"a\"]: unknown section (expected [kasad], [device \"NAME\"] or [mqtt])\n"},
	{"[device a]\nhost = a\n",
	 "t:1: [device a]: the device name needs double quotes, as in [device \"NAME\"]\n"},
	{"[device \"a]\nhost = a\n",
	 "t:1: [device \"a]: the device name needs double quotes, as in [device \"NAME\"]\n"},
	{"[device \"]\n",
	 "t:1: [device \"]: the device name needs double quotes, as in [device \"NAME\"]\n"},
	{"[kasad]\n[kasad]\n", "t:2: [kasad]: given twice (first at line 1)\n"},
	/* keys */
	{"poll_interval = 1s\n",
	 "t:1: poll_interval: outside of a section ([kasad], [device \"NAME\"] or [mqtt])\n"},
	{"[kasad]\nhost = a\n", "t:2: host: unknown key in [kasad]\n"},
	{"[kasad]\nPoll_interval = 1s\n", "t:2: Poll_interval: unknown key in [kasad]\n"},
	{"[kasad]\ntoken = /etc/kasad/tokens\n", "t:2: token: unknown key in [kasad]\n"},
	/* who may do what */
	{"[kasad]\nlisten = 0.0.0.0:8080\n",
	 "t:2: listen: 0.0.0.0:8080 is not a loopback address, and there is no tokens file: set "
	 "tokens = FILE, or allow_unauthenticated = yes to let anyone who reaches it switch the "
	 "plugs\n"},
	{"[kasad]\nlisten = [::]:8080\nallow_unauthenticated = no\n",
	 "t:2: listen: [::]:8080 is not a loopback address, and there is no tokens file: set "
	 "tokens = FILE, or allow_unauthenticated = yes to let anyone who reaches it switch the "
	 "plugs\n"},
	{"[kasad]\nallow_unauthenticated = maybe\n",
	 "t:2: allow_unauthenticated: \"maybe\" is not yes or no\n"},
	{"[kasad]\ntokens = a\tb\n", "t:2: tokens: a control character in the file name\n"},
	{"[kasad]\nallowed_hosts = ok.lan bad_host 1.2.3.4:80\n",
	 "t:2: allowed_hosts: \"bad_host\": not a host name (letters, digits, '-' and '.')\n"
	 "t:2: allowed_hosts: \"1.2.3.4:80\": not a host name (letters, digits, '-' and '.')\n"},
	{"[kasad]\ncors_origins = *\n",
	 "t:2: cors_origins: \"*\": '*' is not allowed: list exact origins\n"},
	{"[kasad]\ncors_origins = dash.lan\n",
	 "t:2: cors_origins: \"dash.lan\": must start with http:// or https://\n"},
	{"[kasad]\ncors_origins = http://dash.lan/\n",
	 "t:2: cors_origins: \"http://dash.lan/\": an origin has no path, not even a trailing "
	 "'/'\n"},
	{"[kasad]\ncors_origins = http://Dash.lan\n",
	 "t:2: cors_origins: \"http://Dash.lan\": the host must be lower-case letters, digits, "
	 "'-', '.' or an address\n"},
	{"[kasad]\ncors_origins = http://dash.lan:0\n",
	 "t:2: cors_origins: \"http://dash.lan:0\": the port must be 1 to 65535\n"},
	{"[kasad]\ncors_origins = http://\n", "t:2: cors_origins: \"http://\": no host\n"},
	{"[kasad]\nallowed_hosts = a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd "
	 "ee ff gg\n",
	 "t:2: allowed_hosts: more than 32 entries\n"},
	{"[kasad]\nclient_rate = -1\n", "t:2: client_rate: \"-1\" is not a number\n"},
	{"[kasad]\nclient_burst = 0\n", "t:2: client_burst: 0 is out of range (1 to 1000000)\n"},
	{"[kasad]\nswitch_rate = 6001\n", "t:2: switch_rate: 6001 is out of range (0 to 6000)\n"},
	{"[kasad]\nrequest_deadline = 500ms\n",
	 "t:2: request_deadline: 500ms is out of range (1s to 5m)\n"},
	{"[kasad]\nurl_max = 100\n", "t:2: url_max: 100 is out of range (256 to 8192)\n"},
	{"[device \"a\"]\nhost = a\nlisten = 80\n", "t:3: listen: unknown key in [device \"a\"]\n"},
	{"[kasad]\nqueue_max = 1\n\nqueue_max = 2\n",
	 "t:4: queue_max: given twice in [kasad] (first at line 2)\n"},
	{"[device \"a\"]\nhost = a\nhost = b\n",
	 "t:3: host: given twice in [device \"a\"] (first at line 2)\n"},
	/* A key set again in another device's section is fine; in its own not. */
	{"[device \"a\"]\nhost = a\n[device \"b\"]\nhost = b\noutlet = 1\noutlet = 1\n",
	 "t:6: outlet: given twice in [device \"b\"] (first at line 5)\n"},
	/* devices */
	{"[device \"a\"]\n", "t:1: [device \"a\"]: no host (nor mac)\n"},
	{"[device \"a\"]\nport = 1\n[kasad]\n", "t:1: [device \"a\"]: no host (nor mac)\n"},
	{"[device \"a\"]\nhost = x\n\n[device \"a\"]\nhost = y\n",
	 "t:4: [device \"a\"]: already defined at line 1\n"},
	{"[device \"a\"]\nhost = x\n[device \"b\"]\nhost = x\n",
	 "t:3: [device \"b\"]: the same host, ports and outlet as [device \"a\"] at line 1\n"},
	{"[device \"a\"]\nhost = Plug.lan\noutlet = 1\n[device \"b\"]\nhost = plug.LAN\n"
	 "outlet = 1\n",
	 "t:4: [device \"b\"]: the same host, ports and outlet as [device \"a\"] at line 1\n"},
	{"[device \"a\"]\nhost = x\nport = 9999\n[device \"b\"]\nhost = x\n",
	 "t:4: [device \"b\"]: the same host, ports and outlet as [device \"a\"] at line 1\n"},
	{"[device \"a\"]\nhost = x\noutlet = 16\n", "t:3: outlet: 16 is out of range (0 to 15)\n"},
	{"[device \"a\"]\nhost = x\noutlet = -1\n", "t:3: outlet: \"-1\" is not a number\n"},
	{"[device \"a\"]\nhost = x\nport = 65536\n",
	 "t:3: port: 65536 is out of range (1 to 65535)\n"},
	{"[device \"a\"]\nhost = x\nport = 99999999999999999999999\n",
	 "t:3: port: 99999999999999999999999 is out of range (1 to 65535)\n"},
	{"[device \"a\"]\nhost = x\nport = 0x10\n", "t:3: port: \"0x10\" is not a number\n"},
	{"[device \"a\"]\nhost = x\nport = 1 2\n", "t:3: port: \"1 2\" is not a number\n"},
	{"[device \"a\"]\nhost = x\nport = +1\n", "t:3: port: \"+1\" is not a number\n"},
	{"[device \"a\"]\nhost = x\npoll_interval = off\n",
	 "t:3: poll_interval: \"off\" is not a duration (such as 250ms, 10s, 2m or 1h)\n"},
	{"[device \"a\"]\nhost = x\npoll_interval = 0\n",
	 "t:3: poll_interval: 0 is out of range (1ms to 24h)\n"},
	{"[device \"a\"]\nhost = x\npoll_interval = 25h\n",
	 "t:3: poll_interval: 25h is out of range (1ms to 24h)\n"},
	{"[device \"a\"]\nhost = -x\n",
	 "t:2: host: \"-x\" is not a host name or address (letters, digits and -.:[]_, at most "
	 "253)\n"},
	{"[device \"a\"]\nhost = a/b\n",
	 "t:2: host: \"a/b\" is not a host name or address (letters, digits and -.:[]_, at most "
	 "253)\n"},
	{"[device \"a\"]\nhost = caf\xc3\xa9\n",
	 "t:2: host: \"caf\xc3\xa9\" is not a host name or address (letters, digits and -.:[]_, "
	 "at most 253)\n"},
	/* [kasad] values */
	{"[kasad]\npoll_interval = -1s\n",
	 "t:2: poll_interval: \"-1s\" is not a duration (such as 250ms, 10s, 2m or 1h, or off)\n"},
	{"[kasad]\npoll_interval = 2d\n",
	 "t:2: poll_interval: \"2d\" is not a duration (such as 250ms, 10s, 2m or 1h, or off)\n"},
	{"[kasad]\npoll_interval = 86401\n",
	 "t:2: poll_interval: 86401 is out of range (0s to 24h)\n"},
	{"[kasad]\nrequest_timeout = 0\n", "t:2: request_timeout: 0 is out of range (1ms to 5m)\n"},
	{"[kasad]\nrequest_timeout = off\n",
	 "t:2: request_timeout: \"off\" is not a duration (such as 250ms, 10s, 2m or 1h)\n"},
	{"[kasad]\nrequest_timeout = 5.001m\n",
	 "t:2: request_timeout: 5.001m is out of range (1ms to 5m)\n"},
	{"[kasad]\ncache_max_age = 1d\n",
	 "t:2: cache_max_age: \"1d\" is not a duration (such as 250ms, 10s, 2m or 1h)\n"},
	{"[kasad]\noffline_after = 0\n", "t:2: offline_after: 0 is out of range (1 to 100)\n"},
	{"[kasad]\noffline_after = 3x\n", "t:2: offline_after: \"3x\" is not a number\n"},
	{"[kasad]\nbackoff_max = 0\n", "t:2: backoff_max: 0 is out of range (1ms to 24h)\n"},
	{"[kasad]\nshutdown_timeout = 6m\n",
	 "t:2: shutdown_timeout: 6m is out of range (0s to 5m)\n"},
	{"[kasad]\nmax_connections = 0\n",
	 "t:2: max_connections: 0 is out of range (1 to 65535)\n"},
	{"[kasad]\nmax_connections = 65536\n",
	 "t:2: max_connections: 65536 is out of range (1 to 65535)\n"},
	{"[kasad]\nmax_connections_per_ip = 0\n",
	 "t:2: max_connections_per_ip: 0 is out of range (1 to 65535)\n"},
	/* Against the default max_connections, and reported where max_connections is. */
	{"[kasad]\nmax_connections_per_ip = 257\n",
	 "t:2: max_connections_per_ip: 257 is more than max_connections (256)\n"},
	{"[kasad]\n\nmax_connections = 16\n",
	 "t:3: max_connections_per_ip: 32 is more than max_connections (16)\n"},
	{"[kasad]\nconnection_timeout = 999ms\n",
	 "t:2: connection_timeout: 999ms is out of range (1s to 24h)\n"},
	{"[kasad]\nqueue_max = 10001\n", "t:2: queue_max: 10001 is out of range (1 to 10000)\n"},
	{"[kasad]\nbody_max = 63\n", "t:2: body_max: 63 is out of range (64 to 1048576)\n"},
	{"[kasad]\nbody_max = 1025k\n", "t:2: body_max: 1025k is out of range (64 to 1048576)\n"},
	{"[kasad]\nbody_max = 18014398509481984k\n",
	 "t:2: body_max: 18014398509481984k is out of range (64 to 1048576)\n"},
	{"[kasad]\nbody_max = 4kb\n",
	 "t:2: body_max: \"4kb\" is not a number of bytes (such as 4096, 4k or 64M)\n"},
	{"[kasad]\nbody_max = k\n",
	 "t:2: body_max: \"k\" is not a number of bytes (such as 4096, 4k or 64M)\n"},
	{"[kasad]\nanswer_memory_max = 63k\n",
	 "t:2: answer_memory_max: 63k is out of range (65536 to 4294967296)\n"},
	{"[kasad]\nanswer_memory_max = 5G\n",
	 "t:2: answer_memory_max: 5G is out of range (65536 to 4294967296)\n"},
	{"[kasad]\nanswer_memory_max = 16777216G\n",
	 "t:2: answer_memory_max: 16777216G is out of range (65536 to 4294967296)\n"},
	{"[kasad]\nanswer_memory_max = 64MB\n",
	 "t:2: answer_memory_max: \"64MB\" is not a number of bytes (such as 4096, 4k or 64M)\n"},
	{"[kasad]\ntime_zone = 110\n",
	 "t:2: time_zone: \"110\" is not local, keep or a zone's index (0 to 109)\n"},
	{"[kasad]\ntime_zone = Europe/Berlin\n",
	 "t:2: time_zone: \"Europe/Berlin\" is not local, keep or a zone's index (0 to 109)\n"},
	{"[kasad]\ntime_zone = -1\n",
	 "t:2: time_zone: \"-1\" is not local, keep or a zone's index (0 to 109)\n"},
	/* errors after the first are reported too */
	{"[kasad]\nqueue_max = 0\noffline_after = 0\n[nope]\nx = 1\n[device \"d\"]\nport = 0\n",
	 "t:2: queue_max: 0 is out of range (1 to 10000)\n"
	 "t:3: offline_after: 0 is out of range (1 to 100)\n"
	 "t:4: [nope]: unknown section (expected [kasad], [device \"NAME\"] or [mqtt])\n"
	 "t:6: [device \"d\"]: no host (nor mac)\n"
	 "t:7: port: 0 is out of range (1 to 65535)\n"},
};

START_TEST(test_bad_cases)
{
	expect_errors(bad_cases[_i].text, bad_cases[_i].errors);
}
END_TEST

START_TEST(test_device_names)
{
	static const char *const bad[] = {
		"", ".", "..", "a b", "a/b", "a\"b", "caf\xc3\xa9", "a:b", "x\ty",
	};
	char text[256], name[80];
	struct config *c;

	memset(name, 'n', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "[device \"%s\"]\nhost = h\n", name);
	c = load_ok(text);
	ck_assert_str_eq(c->devices[0].name, name);
	config_free(c);

	c = load_ok("[device \"A-z_0.9\"]\nhost = h\n[device \"...\"]\nhost = h\nport = 1\n");
	ck_assert_ptr_nonnull(config_find_device(c, "A-z_0.9"));
	ck_assert_ptr_nonnull(config_find_device(c, "..."));
	config_free(c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *expected, *errors;

		snprintf(text, sizeof(text), "[device \"%s\"]\nhost = h\n", bad[i]);
		errors = load_err(text);
		ck_assert_int_gt(asprintf(&expected,
					  "t:1: [device \"%s\"]: invalid device name (letters, "
					  "digits, '-', '_' and '.', at most 63)\n",
					  bad[i]),
				 0);
		ck_assert_str_eq(errors, expected);
		free(expected);
		free(errors);
	}

	/* 64 is one too many. */
	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(text, sizeof(text), "[device \"%s\"]\nhost = h\n", name);
	{
		char *errors = load_err(text);

		ck_assert_ptr_nonnull(strstr(errors, "invalid device name"));
		ck_assert_int_eq(strncmp(errors, "t:1: [device \"nnnn", 18), 0);
		free(errors);
	}
}
END_TEST

START_TEST(test_same_host)
{
	/* Different outlets, ports, or the whole strip beside one outlet: all fine. */
	struct config *c = load_ok("[device \"strip\"]\nhost = s\n"
				   "[device \"o0\"]\nhost = s\noutlet = 0\n"
				   "[device \"o1\"]\nhost = s\noutlet = 1\n"
				   "[device \"other-port\"]\nhost = s\nport = 9998\noutlet = 1\n"
				   "[device \"other-host\"]\nhost = t\noutlet = 1\n");

	ck_assert_uint_eq(c->n_devices, 5);
	check_device(c, 3, "other-port", "s", 9998, 1, 0, 9);
	config_free(c);

	/* Each later duplicate names the first one it repeats. */
	expect_errors("[device \"a\"]\nhost = s\n"
		      "[device \"b\"]\nhost = s\noutlet = 3\n"
		      "[device \"c\"]\nhost = s\noutlet = 3\n"
		      "[device \"d\"]\nhost = s\n",
		      "t:6: [device \"c\"]: the same host, ports and outlet as [device \"b\"] at "
		      "line 3\n"
		      "t:9: [device \"d\"]: the same host, ports and outlet as [device \"a\"] at "
		      "line 1\n");
}
END_TEST

/* --- plugs named by their MAC, and discovery ---------------------------------- */

START_TEST(test_mac)
{
	struct config *c = load_ok("[kasad]\ndiscover = 192.0.2.255 192.0.2.7:40000\n"
				   "discover_klap_port = 0\n"
				   "[device \"lamp\"]\nmac = 50-c7-bf-0a-1b-2c\n"
				   "[device \"strip\"]\nmac = 50C7BF0A1B2D\nhost = 192.0.2.9\n"
				   "[device \"s1\"]\nmac = 50:C7:BF:0A:1B:2D\nhost = 192.0.2.9\n"
				   "outlet = 1\n"
				   "[device \"fixed\"]\nhost = 192.0.2.10\n");

	ck_assert_uint_eq(c->n_discover, 2);
	ck_assert_str_eq(c->discover[0], "192.0.2.255");
	ck_assert_str_eq(c->discover[1], "192.0.2.7:40000");
	ck_assert_uint_eq(c->discover_klap_port, 0);
	ck_assert(!c->discover_broadcast);
	ck_assert_uint_eq(c->discover_interval_usec, 300000000);
	/* One form, whatever was written; no host is fine with a MAC. */
	ck_assert_str_eq(c->devices[0].mac, "50:C7:BF:0A:1B:2C");
	ck_assert_ptr_null(c->devices[0].host);
	ck_assert_str_eq(c->devices[1].mac, "50:C7:BF:0A:1B:2D");
	ck_assert_ptr_null(c->devices[3].mac);
	/* The strip's two devices share a plug: the MAC names it. */
	ck_assert_uint_eq(config_plug_count(c, NULL, NULL), 3);
	ck_assert_uint_eq(c->devices[1].plug, c->devices[2].plug);
	ck_assert_uint_ne(c->devices[0].plug, c->devices[1].plug);
	config_free(c);

	/* Broadcast alone is somewhere for discovery to go, too. */
	c = load_ok("[kasad]\ndiscover_broadcast = yes\ndiscover_interval = 1m\n"
		    "[device \"lamp\"]\nmac = 50:C7:BF:0A:1B:2C\n");
	ck_assert(c->discover_broadcast);
	ck_assert_uint_eq(c->discover_interval_usec, 60000000);
	config_free(c);
	/* A MAC with a host needs no discovery to start with. */
	c = load_ok("[device \"lamp\"]\nmac = 50:C7:BF:0A:1B:2C\nhost = 192.0.2.1\n");
	config_free(c);
}
END_TEST

static const struct bad_case mac_cases[] = {
	{"[kasad]\ndiscover = 192.0.2.255\n[device \"a\"]\nmac = 50:C7:BF:0A:1B\n",
	 "t:4: mac: \"50:C7:BF:0A:1B\" is not a MAC address (six pairs of hex digits, such as "
	 "50:C7:BF:01:02:03)\n"},
	{"[kasad]\ndiscover = 192.0.2.255\n[device \"a\"]\nmac = 50:C7:BF:0A:1B:2X\n",
	 "t:4: mac: \"50:C7:BF:0A:1B:2X\" is not a MAC address (six pairs of hex digits, such as "
	 "50:C7:BF:01:02:03)\n"},
	{"[device \"a\"]\nmac = 50:C7:BF:0A:1B:2C\n",
	 "t:1: [device \"a\"]: a mac and no host, but discovery goes nowhere: set discover = ADDR "
	 "or discover_broadcast = yes in [kasad], or give its host\n"},
	{"[kasad]\ndiscover = 192.0.2.255\n"
	 "[device \"a\"]\nmac = 50:C7:BF:0A:1B:2C\n[device \"b\"]\nmac = 50c7bf0a1b2c\n",
	 "t:5: [device \"b\"]: the same MAC and outlet as [device \"a\"] at line 3\n"},
	{"[kasad]\ndiscover = 192.0.2.255\n"
	 "[device \"a\"]\nmac = 50:C7:BF:0A:1B:2C\noutlet = 2\n"
	 "[device \"b\"]\nmac = 50:C7:BF:0A:1B:2C\noutlet = 2\n",
	 "t:6: [device \"b\"]: the same MAC and outlet as [device \"a\"] at line 3\n"},
	{"[device \"a\"]\nmac = 50:C7:BF:0A:1B:2C\nhost = x\n"
	 "[device \"b\"]\nmac = 50:C7:BF:0A:1B:2C\nhost = y\noutlet = 1\n",
	 "t:4: [device \"b\"]: the same MAC as [device \"a\"] at line 1, but another host or "
	 "ports\n"},
	{"[device \"a\"]\nmac = 50:C7:BF:0A:1B:2C\nhost = x\n"
	 "[device \"b\"]\nmac = 50:C7:BF:0A:1B:2C\nhost = x\ntransport = klap\noutlet = 1\n",
	 "t:4: [device \"b\"]: the same plug as [device \"a\"] at line 1, but another transport "
	 "or credentials\n"},
	{"[device \"a\"]\nmac = 50:C7:BF:0A:1B:2C\nhost = x\n"
	 "[device \"b\"]\nmac = 50:C7:BF:0A:1B:2D\nhost = X\n",
	 "t:4: [device \"b\"]: the same host and ports as [device \"a\"] at line 1, but another "
	 "MAC: one plug, one name (the same mac for both, or none)\n"},
	{"[device \"a\"]\nhost = x\n[device \"b\"]\nmac = 50:C7:BF:0A:1B:2D\nhost = x\n",
	 "t:3: [device \"b\"]: the same host and ports as [device \"a\"] at line 1, but named by "
	 "its MAC here, not there: one plug, one name (the same mac for both, or none)\n"},
	{"[kasad]\ndiscover = 192.0.2.255 nas.lan 192.0.2.1:0 192.0.2.1:x 192.0.2.256\n",
	 "t:2: discover: \"nas.lan\": not a numeric IPv4 address\n"
	 "t:2: discover: \"192.0.2.1:0\": the port must be a number from 1 to 65535\n"
	 "t:2: discover: \"192.0.2.1:x\": the port must be a number from 1 to 65535\n"
	 "t:2: discover: \"192.0.2.256\": not a numeric IPv4 address\n"},
	{"[kasad]\ndiscover = [::1]:9999\n",
	 "t:2: discover: \"[::1]:9999\": not a numeric IPv4 address\n"},
	{"[kasad]\ndiscover_interval = 30s\n",
	 "t:2: discover_interval: 30s is out of range (1m to 24h)\n"},
	{"[kasad]\ndiscover_klap_port = 65536\n",
	 "t:2: discover_klap_port: 65536 is out of range (0 to 65535)\n"},
	{"[kasad]\ndiscover_broadcast = sometimes\n",
	 "t:2: discover_broadcast: \"sometimes\" is not yes or no\n"},
};

START_TEST(test_mac_bad)
{
	expect_errors(mac_cases[_i].text, mac_cases[_i].errors);
}
END_TEST

START_TEST(test_durations)
{
	static const struct {
		const char *s;
		uint64_t usec;
	} good[] = {
		{"0", 0},
		{"0s", 0},
		{"0ms", 0},
		{"10", 10 * SEC},
		{"007s", 7 * SEC},
		{"1.5", 1500000},
		{"250ms", 250000},
		{"0.5ms", 500},
		{"1.5ms", 1500},
		{"10s", 10 * SEC},
		{"2m", 120 * SEC},
		{"1.25m", 75 * SEC},
		{"1h", 3600 * SEC},
		{"0.5h", 1800 * SEC},
		{"24h", 86400 * SEC},
		{"1440m", 86400 * SEC},
		{"86400", 86400 * SEC},
		{"86400000ms", 86400 * SEC},
		{"0.000001", 1},
		{"0.0000019", 1},
		{"1.000000000000000000001", SEC},
	};
	static const struct {
		const char *s;
		int ret;
	} bad[] = {
		{"", -EINVAL},
		{"s", -EINVAL},
		{"ms", -EINVAL},
		{"-1", -EINVAL},
		{"-1s", -EINVAL},
		{"+1", -EINVAL},
		{" 1", -EINVAL},
		{"1 ", -EINVAL},
		{"1 s", -EINVAL},
		{"1x", -EINVAL},
		{"1sec", -EINVAL},
		{"1S", -EINVAL},
		{"1d", -EINVAL},
		{"1us", -EINVAL},
		{"1.", -EINVAL},
		{".5", -EINVAL},
		{"1.5.5", -EINVAL},
		{"1..5", -EINVAL},
		{"1e3", -EINVAL},
		{"0x10", -EINVAL},
		{"1ms5", -EINVAL},
		{"1m1s", -EINVAL},
		{"off", -EINVAL},
		{"99999999999999999999999999x", -EINVAL},
		{"86401", -ERANGE},
		{"86400.000001", -ERANGE},
		{"86400001ms", -ERANGE},
		{"1441m", -ERANGE},
		{"24.0001h", -ERANGE},
		{"25h", -ERANGE},
		{"18446744073709551616", -ERANGE},
		{"99999999999999999999999999h", -ERANGE},
		{"0.0000001", -ERANGE},
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t usec = 42;

		ck_assert_msg(config_parse_duration(good[i].s, &usec) == 0, "%s", good[i].s);
		ck_assert_msg(usec == good[i].usec, "%s: %llu", good[i].s,
			      (unsigned long long)usec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t usec = 42;
		int r = config_parse_duration(bad[i].s, &usec);

		ck_assert_msg(r == bad[i].ret, "\"%s\": %d", bad[i].s, r);
		ck_assert_uint_eq(usec, 42);
	}
}
END_TEST

START_TEST(test_listen)
{
	static const struct {
		const char *s, *addr;
		int family;
		unsigned port;
	} good[] = {
		{"8080", "127.0.0.1", AF_INET, 8080},
		{"0", "127.0.0.1", AF_INET, 0},
		{"65535", "127.0.0.1", AF_INET, 65535},
		{"1.2.3.4:80", "1.2.3.4", AF_INET, 80},
		{"0.0.0.0:0", "0.0.0.0", AF_INET, 0},
		{"localhost:8081", "127.0.0.1", AF_INET, 8081},
		{"[::1]:8080", "::1", AF_INET6, 8080},
		{"[::]:0", "::", AF_INET6, 0},
		{"[2001:db8::1]:443", "2001:db8::1", AF_INET6, 443},
		{"[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1", AF_INET6, 1},
	};
	static const struct {
		const char *s, *why;
	} bad[] = {
		{"65536", "the port must be a number from 0 to 65535"},
		{"99999999999999999999999", "the port must be a number from 0 to 65535"},
		{"80 80", "the port must be a number from 0 to 65535"},
		{"1.2.3.4:65536", "the port must be a number from 0 to 65535"},
		{"1.2.3.4:", "the port must be a number from 0 to 65535"},
		{"1.2.3.4:-1", "the port must be a number from 0 to 65535"},
		{"1.2.3.4:+80", "the port must be a number from 0 to 65535"},
		{"1.2.3.4:80x", "the port must be a number from 0 to 65535"},
		{"[::1]:", "the port must be a number from 0 to 65535"},
		{"[::1]:99999", "the port must be a number from 0 to 65535"},
		{"localhost", "expected ADDR:PORT, [ADDR6]:PORT or PORT"},
		{"1.2.3.4", "expected ADDR:PORT, [ADDR6]:PORT or PORT"},
		{":80", "expected ADDR:PORT, [ADDR6]:PORT or PORT"},
		{"-1", "expected ADDR:PORT, [ADDR6]:PORT or PORT"},
		{"::1:8080", "an IPv6 address needs brackets, as in [::1]:8080"},
		{"[::1]8080", "expected [ADDR6]:PORT"},
		{"[::1]", "expected [ADDR6]:PORT"},
		{"[::1:80", "expected [ADDR6]:PORT"},
		{"[]:80", "not a numeric IPv6 address"},
		{"[1.2.3.4]:80", "not a numeric IPv6 address"},
		{"[fe80::1%eth0]:80", "not a numeric IPv6 address"},
		{"example.com:80", "not a numeric IPv4 address (names are not looked up)"},
		{"1.2.3.4.5:80", "not a numeric IPv4 address (names are not looked up)"},
		{"256.1.1.1:80", "not a numeric IPv4 address (names are not looked up)"},
		{"*:80", "not a numeric IPv4 address (names are not looked up)"},
	};
	char text[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct config *c;

		snprintf(text, sizeof(text), "[kasad]\nlisten = %s\nallow_unauthenticated = yes\n",
			 good[i].s);
		c = load_ok(text);
		ck_assert_str_eq(c->listen, good[i].s);
		if (good[i].family == AF_INET)
			check_sin(c, good[i].addr, good[i].port);
		else
			check_sin6(c, good[i].addr, good[i].port);
		config_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char expected[256];

		snprintf(text, sizeof(text), "[kasad]\nlisten = %s\n", bad[i].s);
		snprintf(expected, sizeof(expected), "t:2: listen: \"%s\": %s\n", bad[i].s,
			 bad[i].why);
		expect_errors(text, expected);
	}
}
END_TEST

/* Each bound of each number, just inside. */
START_TEST(test_limits)
{
	struct config *c = load_ok("[kasad]\noffline_after = 100\nmax_connections = 65535\n"
				   "max_connections_per_ip = 65535\nqueue_max = 10000\n"
				   "body_max = 1024k\nrequest_timeout = 5m\n"
				   "shutdown_timeout = 5m\nconnection_timeout = 1s\n"
				   "backoff_max = 24h\ncache_max_age = 24h\npoll_interval = 24h\n"
				   "[device \"a\"]\nhost = a\nport = 65535\noutlet = 15\n"
				   "poll_interval = 1ms\n"
				   "[device \"b\"]\nhost = b\nport = 1\noutlet = 0\n"
				   "poll_interval = 24h\n");

	ck_assert_uint_eq(c->offline_after, 100);
	ck_assert_uint_eq(c->max_connections, 65535);
	ck_assert_uint_eq(c->max_connections_per_ip, 65535);
	ck_assert_uint_eq(c->queue_max, 10000);
	ck_assert_uint_eq(c->body_max, 1048576);
	ck_assert_uint_eq(c->request_timeout_usec, 300 * SEC);
	ck_assert_uint_eq(c->shutdown_timeout_usec, 300 * SEC);
	ck_assert_uint_eq(c->connection_timeout_usec, SEC);
	ck_assert_uint_eq(c->backoff_max_usec, 86400 * SEC);
	ck_assert_uint_eq(c->cache_max_age_usec, 86400 * SEC);
	ck_assert_uint_eq(c->poll_interval_usec, 86400 * SEC);
	check_device(c, 0, "a", "a", 65535, 15, 1000, 13);
	check_device(c, 1, "b", "b", 1, 0, 86400 * SEC, 18);
	config_free(c);

	c = load_ok("[kasad]\noffline_after = 1\nmax_connections = 1\nmax_connections_per_ip = 1\n"
		    "queue_max = 1\nbody_max = 64\nrequest_timeout = 1ms\nshutdown_timeout = 0\n"
		    "backoff_max = 1ms\ncache_max_age = 0\n");
	ck_assert_uint_eq(c->offline_after, 1);
	ck_assert_uint_eq(c->max_connections, 1);
	ck_assert_uint_eq(c->max_connections_per_ip, 1);
	ck_assert_uint_eq(c->queue_max, 1);
	ck_assert_uint_eq(c->body_max, 64);
	ck_assert_uint_eq(c->request_timeout_usec, 1000);
	ck_assert_uint_eq(c->shutdown_timeout_usec, 0);
	ck_assert_uint_eq(c->backoff_max_usec, 1000);
	ck_assert_uint_eq(c->cache_max_age_usec, 0);
	config_free(c);

	c = load_ok("[kasad]\nbody_max = 4K\n");
	ck_assert_uint_eq(c->body_max, 4096);
	config_free(c);

	/* time_zone: its two words, and TP-Link's indices at both ends. */
	c = load_ok("[kasad]\n");
	ck_assert_int_eq(c->time_zone, CONFIG_ZONE_LOCAL);
	config_free(c);
	c = load_ok("[kasad]\ntime_zone = keep\n");
	ck_assert_int_eq(c->time_zone, CONFIG_ZONE_KEEP);
	config_free(c);
	c = load_ok("[kasad]\ntime_zone = 0\n");
	ck_assert_int_eq(c->time_zone, 0);
	config_free(c);
	c = load_ok("[kasad]\ntime_zone = 109\n");
	ck_assert_int_eq(c->time_zone, 109);
	config_free(c);
}
END_TEST

START_TEST(test_long_lines)
{
	char text[4096], host[1100];
	const char *prefix;
	char *errors;
	struct config *c;
	int max = 0;

	/* A long comment is fine; a long setting is not. */
	memset(text, 0, sizeof(text));
	strcpy(text, "# ");
	memset(text + 2, 'x', 3000);
	strcat(text, "\n[kasad]\n");
	c = load_ok(text);
	config_free(c);

	memset(host, 'h', 1000);
	host[1000] = '\0';
	snprintf(text, sizeof(text), "[device \"a\"]\nhost = %s\n[kasad]\nqueue_max = 0\n", host);
	errors = load_err(text);
	/* The line is dropped, so the device has no host either. */
	prefix = "t:1: [device \"a\"]: no host (nor mac)\nt:2: line too long (more than ";
	ck_assert_msg(strncmp(errors, prefix, strlen(prefix)) == 0, "%s", errors);
	ck_assert_ptr_nonnull(strstr(errors, "\nt:4: queue_max: 0 is out of range"));
	/* inih's buffer decides the limit; check both sides of it exactly. */
	ck_assert_int_eq(sscanf(errors + strlen(prefix), "%d", &max), 1);
	free(errors);
	ck_assert_int_gt(max, 20);
	if (max - 7 <= 253) {
		memset(host, 'h', (size_t)max - 7);
		host[max - 7] = '\0';
		snprintf(text, sizeof(text), "[device \"a\"]\nhost = %s\n", host);
		c = load_ok(text);
		ck_assert_uint_eq(strlen(c->devices[0].host), (size_t)max - 7);
		config_free(c);
		snprintf(text, sizeof(text), "[device \"a\"]\nhost = %sh\n", host);
		errors = load_err(text);
		ck_assert_ptr_nonnull(strstr(errors, "\nt:2: line too long"));
		free(errors);
	}

	/* Long, but within what inih takes. */
	memset(host, 'h', 150);
	host[150] = '\0';
	snprintf(text, sizeof(text), "[device \"a\"]\nhost = %s\n", host);
	c = load_ok(text);
	ck_assert_str_eq(c->devices[0].host, host);
	config_free(c);
}
END_TEST

START_TEST(test_too_many_errors)
{
	size_t size = 200 * 32, lines = 0;
	char *text = malloc(size), *errors, *last;
	size_t len = 0;

	len += (size_t)snprintf(text + len, size - len, "[kasad]\n");
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(text + len, size - len, "key%d = 1\n", i);
	errors = load_err(text);
	for (char *p = errors; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 51);
	ck_assert_int_eq(strncmp(errors, "t:2: key0: unknown key in [kasad]\n", 34), 0);
	ck_assert_ptr_nonnull(strstr(errors, "\nt:51: key49: unknown key in [kasad]\n"));
	last = strstr(errors, "\nt: too many errors, stopped at line 52\n");
	ck_assert_ptr_nonnull(last);
	ck_assert_str_eq(last, "\nt: too many errors, stopped at line 52\n");
	free(errors);
	free(text);
}
END_TEST

static char *devices_text(size_t n)
{
	size_t size = n * 48 + 1;
	char *text = malloc(size);
	size_t len = 0;

	ck_assert_ptr_nonnull(text);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, "[device \"d%zu\"]\nhost = h%zu\n",
					i, i);
	return text;
}

/* Ten thousand devices fit the default; max_devices bounds them, wherever
 * [kasad] is; devices share plugs as they name them. */
START_TEST(test_devices_max)
{
	char *text = devices_text(10000), *more, *errors;
	struct config *c = load_ok(text);

	ck_assert_uint_eq(c->max_devices, 16384);
	ck_assert_uint_eq(c->n_devices, 10000);
	ck_assert_uint_eq(c->n_plugs, 10000);
	ck_assert_uint_eq(config_plug_count(c, NULL, NULL), 10000);
	check_device(c, 9999, "d9999", "h9999", 9999, -1, 0, 19999);
	ck_assert_uint_eq(c->devices[9999].plug, 9999);
	config_free(c);
	free(text);

	text = devices_text(101);
	ck_assert_int_gt(asprintf(&more, "[kasad]\nmax_devices = 100\n%s", text), 0);
	errors = load_err(more);
	ck_assert_str_eq(errors,
			 "t:203: [device \"d100\"]: too many devices (at most 100: max_devices)\n");
	free(errors);
	free(more);
	ck_assert_int_gt(asprintf(&more, "%s[kasad]\nmax_devices = 101\n", text), 0);
	c = load_ok(more);
	ck_assert_uint_eq(c->n_devices, 101);
	config_free(c);
	free(more);
	free(text);

	/* Plugs are numbered in the order of their first devices. */
	c = load_ok("[device \"a\"]\nhost = s\noutlet = 1\n"
		    "[device \"b\"]\nhost = t\n"
		    "[device \"c\"]\nhost = s\noutlet = 0\n"
		    "[device \"d\"]\nhost = S\nklap_port = 8080\ntransport = klap\n"
		    "[device \"e\"]\nhost = t\nport = 1\ntransport = xor\n");
	ck_assert_uint_eq(c->n_plugs, 4);
	ck_assert_uint_eq(c->devices[0].plug, 0);
	ck_assert_uint_eq(c->devices[1].plug, 1);
	ck_assert_uint_eq(c->devices[2].plug, 0);
	ck_assert_uint_eq(c->devices[3].plug, 2);
	ck_assert_uint_eq(c->devices[4].plug, 3);
	ck_assert_uint_eq(c->n_klap_plugs, 1);
	ck_assert_uint_eq(c->n_auto_plugs, 2);
	config_free(c);
}
END_TEST

/* "No devices" must be said, and cannot be said beside a device. */
START_TEST(test_empty_inventory)
{
	struct config *c;

	c = load_ok("[kasad]\nempty_inventory = yes\n");
	ck_assert(c->empty_inventory);
	ck_assert_uint_eq(c->n_devices, 0);
	config_free(c);
	c = load_ok("[kasad]\nempty_inventory = no\n");
	ck_assert(!c->empty_inventory);
	config_free(c);
	c = load_ok("");
	ck_assert(!c->empty_inventory);
	config_free(c);
	c = load_ok("[kasad]\nempty_inventory = no\n[device \"a\"]\nhost = 192.0.2.1\n");
	ck_assert(!c->empty_inventory);
	ck_assert_uint_eq(c->n_devices, 1);
	config_free(c);

	expect_errors("[kasad]\nempty_inventory = yes\n\n[device \"a\"]\nhost = 192.0.2.1\n",
		      "t:2: empty_inventory: yes, yet there is 1 [device] section (the first at "
		      "line 4)\n");
	expect_errors("[device \"a\"]\nhost = 192.0.2.1\n[device \"b\"]\nhost = 192.0.2.2\n"
		      "[kasad]\nempty_inventory = on\n",
		      "t:6: empty_inventory: yes, yet there are 2 [device] sections (the first at "
		      "line 1)\n");
	expect_errors("[kasad]\nempty_inventory = maybe\n",
		      "t:2: empty_inventory: \"maybe\" is not yes or no\n");
	expect_errors("[kasad]\nempty_inventory = yes\nempty_inventory = yes\n",
		      "t:3: empty_inventory: given twice in [kasad] (first at line 2)\n");
	/* It does not stand for allow_unauthenticated. */
	c = load_ok("[kasad]\nempty_inventory = yes\n");
	ck_assert(!c->allow_unauthenticated);
	config_free(c);
	expect_errors("[kasad]\nlisten = 0.0.0.0:80\nempty_inventory = yes\n",
		      "t:2: listen: 0.0.0.0:80 is not a loopback address, and there is no tokens "
		      "file: set tokens = FILE, or allow_unauthenticated = yes to let anyone who "
		      "reaches it switch the plugs\n");
}
END_TEST

/* The one exposure rule, for every kind of address and every way to allow
 * it; the address is the socket's, which need not be the listen key's. */
START_TEST(test_exposure)
{
	static const struct {
		const char *addr;
		bool local;
	} addrs[] = {
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"0.0.0.0", false},
		{"192.168.1.2", false},
		{"128.0.0.1", false},
		{"::", false},
		{"::ffff:10.0.0.1", false},
		{"::2", false},
		{"fe80::1", false},
	};
	struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/run/kasad.sock"};

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct sockaddr_storage ss = {0};
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		const struct sockaddr *sa = (const struct sockaddr *)&ss;

		if (inet_pton(AF_INET, addrs[i].addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
		} else {
			ck_assert_int_eq(inet_pton(AF_INET6, addrs[i].addr, &sin6->sin6_addr), 1);
			sin6->sin6_family = AF_INET6;
		}
		for (int tokens = 0; tokens < 2; tokens++) {
			for (int allow = 0; allow < 2; allow++) {
				struct config c = {.tokens = tokens ? "kasad.tokens" : NULL,
						   .allow_unauthenticated = allow};
				enum config_exposure want = addrs[i].local ? CONFIG_EXPOSURE_LOCAL
							    : tokens	   ? CONFIG_EXPOSURE_TOKENS
							    : allow	   ? CONFIG_EXPOSURE_OPEN
								    : CONFIG_EXPOSURE_REFUSED;

				ck_assert_msg(config_exposure(&c, sa) == want,
					      "%s tokens %d allow %d: %d, not %d", addrs[i].addr,
					      tokens, allow, config_exposure(&c, sa), want);
			}
		}
	}
	for (int bits = 0; bits < 4; bits++) {
		struct config c = {.tokens = bits & 1 ? "t" : NULL,
				   .allow_unauthenticated = bits & 2};

		ck_assert_int_eq(config_exposure(&c, (const struct sockaddr *)&un),
				 CONFIG_EXPOSURE_LOCAL);
	}
}
END_TEST

/* A configuration is checked by the same rule: refused exactly when it
 * says REFUSED of the listen address. */
START_TEST(test_exposure_checked)
{
	static const char *const texts[] = {
		"[kasad]\nlisten = 127.0.0.1:8080\n",
		"[kasad]\nlisten = 0.0.0.0:8080\ntokens = t\n",
		"[kasad]\nlisten = [::]:8080\nallow_unauthenticated = yes\n",
		"[kasad]\nlisten = [::ffff:127.0.0.1]:8080\n",
	};
	struct config *c;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		c = load_ok(texts[i]);
		ck_assert_int_ne(config_exposure(c, (const struct sockaddr *)&c->listen_addr),
				 CONFIG_EXPOSURE_REFUSED);
		config_free(c);
	}
	expect_errors("[kasad]\nlisten = [::ffff:10.0.0.1]:8080\n",
		      "t:2: listen: [::ffff:10.0.0.1]:8080 is not a loopback address, and there is "
		      "no tokens file: set tokens = FILE, or allow_unauthenticated = yes to let "
		      "anyone who reaches it switch the plugs\n");
}
END_TEST

/* One plug per host, as written, and ports: what kasad's open files count;
 * those that may speak KLAP counted apart. */
START_TEST(test_plug_count)
{
	struct config *c = load_ok("");
	size_t klap = 99, autos = 99;

	ck_assert_uint_eq(config_plug_count(c, &klap, &autos), 0);
	ck_assert_uint_eq(klap, 0);
	ck_assert_uint_eq(autos, 0);
	config_free(c);
	c = load_ok("[device \"strip\"]\nhost = 192.0.2.1\n"
		    "[device \"s0\"]\nhost = 192.0.2.1\noutlet = 0\n"
		    "[device \"s1\"]\nhost = 192.0.2.1\nport = 9999\noutlet = 1\n"
		    "[device \"other-port\"]\nhost = 192.0.2.1\nport = 10000\ntransport = xor\n"
		    "[device \"lamp\"]\nhost = lamp.lan\n"
		    "[device \"lamp-again\"]\nhost = lamp.lan\noutlet = 1\n"
		    "[device \"new\"]\nhost = lamp.lan\nklap_port = 8080\ntransport = klap\n");
	ck_assert_uint_eq(c->n_devices, 7);
	ck_assert_uint_eq(config_plug_count(c, &klap, &autos), 4);
	ck_assert_uint_eq(klap, 1);
	ck_assert_uint_eq(autos, 2);
	ck_assert_uint_eq(config_plug_count(c, NULL, NULL), 4);
	config_free(c);
}
END_TEST

/* --- files ---------------------------------------------------------------- */

START_TEST(test_missing_file)
{
	struct config *c = NO_CONFIG;
	char *errors = NO_ERRORS;

	ck_assert_int_eq(config_load_file(DATA("config/absent.conf"), &c, &errors), -ENOENT);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_str_eq(errors, DATA("config/absent.conf") ": No such file or directory\n");
	free(errors);

	ck_assert_int_eq(config_load_file(DATA("config/absent.conf"), &c, NULL), -ENOENT);
	ck_assert_ptr_eq(c, NO_CONFIG);

	errors = NO_ERRORS;
	ck_assert_int_eq(config_load_file(DATA("config"), &c, &errors), -EISDIR);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_str_eq(errors, DATA("config") ": Is a directory\n");
	free(errors);
}
END_TEST

/* A FIFO, a socket or a device is refused at once: opening a FIFO without
 * O_NONBLOCK would wait for a writer (the alarm fails the test then). */
START_TEST(test_not_regular)
{
	char dir[] = "/tmp/test-config-XXXXXX", *fifo, *expected;
	struct config *c = NO_CONFIG;
	char *errors = NO_ERRORS;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_gt(asprintf(&fifo, "%s/fifo", dir), 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	alarm(5);
	ck_assert_int_eq(config_load_file(fifo, &c, &errors), -EINVAL);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_int_gt(asprintf(&expected, "%s: not a regular file (a FIFO)\n", fifo), 0);
	ck_assert_str_eq(errors, expected);
	free(expected);
	free(errors);

	errors = NO_ERRORS;
	ck_assert_int_eq(config_load_file("/dev/null", &c, &errors), -EINVAL);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_str_eq(errors, "/dev/null: not a regular file (a device)\n");
	free(errors);
	alarm(0);
	unlink(fifo);
	rmdir(dir);
	free(fifo);
}
END_TEST

/* A file written for one test; *ret_path is owned. */
static void write_temp(const void *data, size_t len, char **ret_path)
{
	char path[] = "/tmp/test-config-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	*ret_path = strdup(path);
}

START_TEST(test_file_limits)
{
	static const char nul[] = "[kasad]\nqueue_max = 1\0x\nbody_max = 1\n";
	size_t big = 1024 * 1024;
	char *text = malloc(big + 2), *path, *errors, *expected;
	struct config *c = NO_CONFIG;

	/* Exactly 1 MiB is fine, one byte more is not. */
	memset(text, '\n', big + 1);
	memcpy(text, "[kasad]\n", 8);
	text[big] = '\0';
	c = load_ok(text);
	config_free(c);
	c = NO_CONFIG;
	write_temp(text, big, &path);
	ck_assert_int_eq(config_load_file(path, &c, NULL), 0);
	config_free(c);
	c = NO_CONFIG;
	unlink(path);
	free(path);

	text[big] = '\n';
	text[big + 1] = '\0';
	ck_assert_int_eq(config_load_string(text, "t", &c, &errors), -EFBIG);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_str_eq(errors, "t: too large (more than 1 MiB)\n");
	free(errors);
	write_temp(text, big + 1, &path);
	ck_assert_int_eq(config_load_file(path, &c, &errors), -EFBIG);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_int_gt(asprintf(&expected, "%s: too large (more than 1 MiB)\n", path), 0);
	ck_assert_str_eq(errors, expected);
	free(expected);
	free(errors);
	unlink(path);
	free(path);
	free(text);

	/* A NUL byte is refused where it is, and the rest is still read. */
	write_temp(nul, sizeof(nul) - 1, &path);
	ck_assert_int_eq(config_load_file(path, &c, &errors), -EINVAL);
	ck_assert_ptr_eq(c, NO_CONFIG);
	ck_assert_int_gt(asprintf(&expected,
				  "%1$s:2: a NUL byte in the line\n"
				  "%1$s:3: body_max: 1 is out of range (64 to 1048576)\n",
				  path),
			 0);
	ck_assert_str_eq(errors, expected);
	free(expected);
	free(errors);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_free_null)
{
	config_free(NULL);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_good_file);
	tcase_add_test(tc, test_good_string);
	tcase_add_test(tc, test_crlf_bom);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_cache_max_age);
	tcase_add_test(tc, test_poll_off);
	tcase_add_test(tc, test_example);
	tcase_add_test(tc, test_syntax_accepted);
	tcase_add_test(tc, test_bad_file);
	tcase_add_loop_test(tc, test_bad_cases, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_mac);
	tcase_add_loop_test(tc, test_mac_bad, 0, sizeof(mac_cases) / sizeof(mac_cases[0]));
	tcase_add_test(tc, test_device_names);
	tcase_add_test(tc, test_same_host);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_too_many_errors);
	tcase_add_test(tc, test_devices_max);
	tcase_add_test(tc, test_empty_inventory);
	tcase_add_test(tc, test_exposure);
	tcase_add_test(tc, test_exposure_checked);
	tcase_add_test(tc, test_plug_count);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_not_regular);
	tcase_add_test(tc, test_file_limits);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_dump_defaults);
	tcase_add_test(tc, test_dump_round_trip);
	tcase_add_test(tc, test_dump_example);
	tcase_add_test(tc, test_dump_lists_the_schema);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(config_suite());
}
