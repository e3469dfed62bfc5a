/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu, driven as a black box: each test starts the real binary on
 * ephemeral ports (-p 0), waits for its "ready" line on a pipe and talks to
 * it over 127.0.0.1 with plain sockets and libkasa's framing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kasa.h"
#include "tests/test-paths.h"

#define EMU_DEVICES_MAX 16
#define IO_TIMEOUT_MS	5000
/* How long "no answer" is waited for where silence is the expected result. */
#define SILENCE_MS 300

struct emu_dev {
	unsigned index;
	char model[16];
	uint16_t port;
	char id[48];
};

struct emu_stat {
	unsigned long requests, max_inflight, connections;
};

struct emu {
	pid_t pid;
	FILE *out;
	unsigned n;
	struct emu_dev dev[EMU_DEVICES_MAX];
	char ready_text[4096];
};

/* --- Running the emulator ---------------------------------------------- */

/* The binary: $KASA_EMU when set (`make check-valgrind` runs it under
 * memcheck that way), else the one built here. */
static const char *emu_path(void)
{
	const char *p = getenv("KASA_EMU");

	return p && *p ? p : EMU_PATH;
}

/* Start kasa-emu with the given arguments (NULL-terminated) after "-p 0". */
static void emu_startv(struct emu *e, bool ephemeral, const char *const *args)
{
	const char *argv[64];
	size_t argc = 0, used = 0;
	char line[512];
	int fds[2];

	memset(e, 0, sizeof(*e));
	argv[argc++] = emu_path();
	if (ephemeral) {
		argv[argc++] = "-p";
		argv[argc++] = "0";
	}
	for (; *args && argc < 63; args++)
		argv[argc++] = *args;
	argv[argc] = NULL;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	e->pid = fork();
	ck_assert_int_ge(e->pid, 0);
	if (e->pid == 0) {
		/* Never outlive a test that died half way. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], STDOUT_FILENO);
		execv(emu_path(), (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	e->out = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(e->out);

	/* The ready line is the readiness signal: no sleeps. */
	while (fgets(line, sizeof(line), e->out)) {
		struct emu_dev *d = &e->dev[e->n];
		char addr[96], *colon;

		if (used + strlen(line) < sizeof(e->ready_text)) {
			memcpy(e->ready_text + used, line, strlen(line) + 1);
			used += strlen(line);
		}
		if (!strcmp(line, "ready\n"))
			return;
		ck_assert_uint_lt(e->n, EMU_DEVICES_MAX);
		ck_assert_int_eq(
			sscanf(line, "device %u %15s %95s %47s", &d->index, d->model, addr, d->id),
			4);
		colon = strrchr(addr, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_str_eq(addr, "127.0.0.1");
		d->port = (uint16_t)atoi(colon + 1);
		ck_assert_uint_gt(d->port, 0);
		ck_assert_uint_eq(d->index, e->n);
		e->n++;
	}
	ck_abort_msg("kasa-emu ended before 'ready'");
}

static void emu_start(struct emu *e, ...)
{
	const char *args[64];
	size_t n = 0;
	va_list ap;

	va_start(ap, e);
	while (n < 63 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	emu_startv(e, true, args);
}

/* Read n "stats" lines (after SIGUSR1 or SIGTERM). */
static void read_stats(struct emu *e, struct emu_stat *st)
{
	char line[256];

	for (unsigned i = 0; i < e->n; i++) {
		unsigned idx;

		ck_assert_ptr_nonnull(fgets(line, sizeof(line), e->out));
		ck_assert_int_eq(
			sscanf(line, "stats %u requests=%lu max_inflight=%lu connections=%lu", &idx,
			       &st[i].requests, &st[i].max_inflight, &st[i].connections),
			4);
		ck_assert_uint_eq(idx, i);
	}
}

/* SIGTERM: the stats come out and the exit status is 0. */
static void emu_stop(struct emu *e, struct emu_stat *st)
{
	struct emu_stat local[EMU_DEVICES_MAX];
	char line[256];
	int status;

	ck_assert_int_eq(kill(e->pid, SIGTERM), 0);
	read_stats(e, st ? st : local);
	ck_assert_ptr_null(fgets(line, sizeof(line), e->out));
	fclose(e->out);
	ck_assert_int_eq(waitpid(e->pid, &status, 0), e->pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

/* --- A small client ------------------------------------------------------ */

struct client {
	int fd;
	uint8_t buf[16384];
	size_t off, len;
	unsigned reads; /* recv calls that returned data */
};

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void client_open(struct client *c, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->fd = tcp_connect(port);
	ck_assert_int_ge(c->fd, 0);
}

static void send_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

static void send_request(int fd, const char *json)
{
	uint8_t *frame;
	size_t len;

	ck_assert_int_eq(kasa_frame_encode(json, strlen(json), &frame, &len), 0);
	send_all(fd, frame, len);
	free(frame);
}

/*
 * Read one frame.  1 with *ret (owned) on success, else the reader's or
 * recv's -errno; -ECONNRESET for EOF before any byte.
 */
static int read_frame(struct client *c, char **ret)
{
	struct kasa_reader *r = kasa_reader_new(0);
	int res = 0;

	ck_assert_ptr_nonnull(r);
	for (;;) {
		if (c->off == c->len) {
			ssize_t n = recv(c->fd, c->buf, sizeof(c->buf), 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				res = -errno;
				break;
			}
			if (n == 0) {
				res = kasa_reader_eof(r);
				break;
			}
			c->reads++;
			c->off = 0;
			c->len = (size_t)n;
		}
		while (c->off < c->len) {
			size_t used;

			res = kasa_reader_feed(r, c->buf + c->off, c->len - c->off, &used);
			c->off += used;
			if (res != 0)
				break;
		}
		if (res != 0)
			break;
	}
	if (res == 1 && ret)
		*ret = strdup(kasa_reader_payload(r, NULL));
	kasa_reader_free(r);
	return res;
}

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "not JSON: %s", text);
	return o;
}

static struct json_object *client_call(struct client *c, const char *json)
{
	char *reply = NULL;
	struct json_object *o;

	send_request(c->fd, json);
	ck_assert_int_eq(read_frame(c, &reply), 1);
	o = parse(reply);
	free(reply);
	return o;
}

/* One request on a fresh connection. */
static struct json_object *call(uint16_t port, const char *json)
{
	struct client c;
	struct json_object *o;

	client_open(&c, port);
	o = client_call(&c, json);
	close(c.fd);
	return o;
}

/* Borrow the member at a dotted path; NULL when missing. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
	return o;
}

static int64_t jint(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(v && json_object_is_type(v, json_type_int), "%s: not an int in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static double jdouble(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(v && json_object_is_type(v, json_type_double), "%s: not a float in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_double(v);
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(v && json_object_is_type(v, json_type_string), "%s: not a string in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_string(v);
}

static bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789ABCDEF", s[i]))
			return false;
	return true;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read until EOF (or error); returns the byte count, *ret_err the ending. */
static size_t read_to_eof(int fd, uint8_t *buf, size_t cap, int *ret_err)
{
	size_t got = 0;

	*ret_err = 0;
	while (got < cap) {
		ssize_t n = recv(fd, buf + got, cap - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*ret_err = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* True when nothing at all arrives within ms. */
static bool silent(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 0;
}

/* --- Sysinfo of every model ---------------------------------------------- */

START_TEST(test_sysinfo_models)
{
	static const struct {
		const char *name, *model, *hw;
		bool meter, mic, lat_i, strip;
	} want[] = {
		{"hs100", "HS100(US)", "1.0", false, false, false, false},
		{"hs105", "HS105(US)", "1.0", false, false, true, false},
		{"hs110v1", "HS110(EU)", "1.0", true, false, false, false},
		{"hs110v4", "HS110(EU)", "4.0", true, false, true, false},
		{"kp115", "KP115(US)", "1.0", true, true, true, false},
		{"hs200", "HS200(US)", "1.0", false, false, false, false},
		{"hs300", "HS300(US)", "2.0", true, true, true, true},
	};
	struct emu e;
	char macs[7][24];

	emu_start(&e, "hs100", "hs105", "hs110v1", "hs110v4", "kp115", "hs200", "hs300", NULL);
	ck_assert_uint_eq(e.n, 7);
	for (unsigned i = 0; i < 7; i++) {
		struct json_object *r = call(e.dev[i].port, "{\"system\":{\"get_sysinfo\":{}}}");
		struct json_object *si = jget(r, "system.get_sysinfo");
		int rssi;

		ck_assert_str_eq(e.dev[i].model, want[i].name);
		ck_assert_ptr_nonnull(si);
		ck_assert_int_eq(jint(si, "err_code"), 0);
		ck_assert_str_eq(jstr(si, "model"), want[i].model);
		ck_assert_str_eq(jstr(si, "hw_ver"), want[i].hw);
		ck_assert(strstr(jstr(si, "sw_ver"), " Build ") != NULL);
		ck_assert_str_eq(jstr(si, "deviceId"), e.dev[i].id);
		ck_assert(is_hex(e.dev[i].id, 40));
		ck_assert(is_hex(jstr(si, "hwId"), 32));
		ck_assert(is_hex(jstr(si, "oemId"), 32));
		ck_assert_str_eq(jstr(si, "feature"), want[i].meter ? "TIM:ENE" : "TIM");
		ck_assert_str_eq(jstr(si, want[i].mic ? "mic_type" : "type"),
				 "IOT.SMARTPLUGSWITCH");
		ck_assert_ptr_null(jget(si, want[i].mic ? "type" : "mic_type"));
		ck_assert_ptr_nonnull(jget(si, want[i].lat_i ? "latitude_i" : "latitude"));
		ck_assert_ptr_null(jget(si, want[i].lat_i ? "latitude" : "latitude_i"));
		rssi = (int)jint(si, "rssi");
		ck_assert(rssi < -40 && rssi > -80);
		ck_assert_int_eq(jint(si, "led_off"), 0);
		ck_assert_int_eq(jint(si, "updating"), 0);
		ck_assert(strlen(jstr(si, "alias")) > 0);
		snprintf(macs[i], sizeof(macs[i]), "%s", jstr(si, "mac"));
		ck_assert_uint_eq(strlen(macs[i]), 17);
		for (unsigned j = 0; j < i; j++)
			ck_assert_str_ne(macs[i], macs[j]);
		if (want[i].strip) {
			struct json_object *children = jget(si, "children");

			ck_assert_ptr_null(jget(si, "relay_state"));
			ck_assert_int_eq(jint(si, "child_num"), 6);
			ck_assert_uint_eq(json_object_array_length(children), 6);
			for (unsigned k = 0; k < 6; k++) {
				struct json_object *ch = json_object_array_get_idx(children, k);
				char id[64];

				snprintf(id, sizeof(id), "%s%02u", e.dev[i].id, k);
				ck_assert_str_eq(jstr(ch, "id"), id);
				ck_assert_int_eq(jint(ch, "state"), 0);
				ck_assert_int_eq(jint(ch, "on_time"), 0);
				ck_assert(strlen(jstr(ch, "alias")) > 0);
			}
		} else {
			ck_assert_int_eq(jint(si, "relay_state"), 0);
			ck_assert_int_eq(jint(si, "on_time"), 0);
			ck_assert_ptr_null(jget(si, "children"));
		}
		if (!strcmp(want[i].name, "kp115")) {
			ck_assert_ptr_nonnull(jget(si, "obd_src"));
			ck_assert_ptr_nonnull(jget(si, "ntc_state"));
			ck_assert_ptr_nonnull(jget(si, "next_action"));
		}
		json_object_put(r);
	}
	emu_stop(&e, NULL);
}
END_TEST

/* --- Switching, state, errors -------------------------------------------- */

START_TEST(test_switch_and_state)
{
	struct emu e;
	struct json_object *r;
	uint16_t port;

	emu_start(&e, "hs100,alias=Desk", NULL);
	port = e.dev[0].port;

	r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_str_eq(jstr(r, "system.get_sysinfo.alias"), "Desk");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 0);
	json_object_put(r);

	r = call(port, "{\"system\":{\"set_relay_state\":{\"state\":1}}}");
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), 0);
	ck_assert_ptr_null(jget(r, "system.set_relay_state.err_msg"));
	json_object_put(r);
	r = call(port, "{\"system\":{\"set_led_off\":{\"off\":1},"
		       "\"set_dev_alias\":{\"alias\":\"Lamp\"}}}");
	ck_assert_int_eq(jint(r, "system.set_led_off.err_code"), 0);
	ck_assert_int_eq(jint(r, "system.set_dev_alias.err_code"), 0);
	json_object_put(r);

	/* State kept across connections. */
	r = call(port, "{\"system\":{\"get_sysinfo\":null}}");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 1);
	ck_assert_int_ge(jint(r, "system.get_sysinfo.on_time"), 0);
	ck_assert_int_eq(jint(r, "system.get_sysinfo.led_off"), 1);
	ck_assert_str_eq(jstr(r, "system.get_sysinfo.alias"), "Lamp");
	json_object_put(r);

	r = call(port, "{\"system\":{\"set_relay_state\":{\"state\":0}}}");
	json_object_put(r);
	r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 0);
	ck_assert_int_eq(jint(r, "system.get_sysinfo.on_time"), 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_errors)
{
	struct emu e;
	struct json_object *r;

	emu_start(&e, "hs100", "hs105", "hs200", NULL);
	/* Devices without ENE refuse emeter at the module level. */
	for (unsigned i = 0; i < 3; i++) {
		r = call(e.dev[i].port, "{\"emeter\":{\"get_realtime\":{}}}");
		ck_assert_int_eq(jint(r, "emeter.err_code"), -1);
		ck_assert_str_eq(jstr(r, "emeter.err_msg"), "module not support");
		ck_assert_ptr_null(jget(r, "emeter.get_realtime"));
		json_object_put(r);
	}
	r = call(e.dev[0].port, "{\"system\":{\"nope\":{},\"get_sysinfo\":{}},\"bogus\":{\"x\":{}},"
				"\"time\":{\"get_time\":{}}}");
	ck_assert_int_eq(jint(r, "system.nope.err_code"), -2);
	ck_assert_str_eq(jstr(r, "system.nope.err_msg"), "member not support");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.err_code"), 0);
	ck_assert_int_eq(jint(r, "bogus.err_code"), -1);
	ck_assert_int_ge(jint(r, "time.get_time.year"), 2020);
	json_object_put(r);

	static const char *const bad[] = {
		"{\"system\":{\"set_relay_state\":{}}}",
		"{\"system\":{\"set_relay_state\":{\"state\":\"on\"}}}",
		"{\"system\":{\"set_relay_state\":null}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call(e.dev[0].port, bad[i]);
		ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), -3);
		ck_assert_str_eq(jstr(r, "system.set_relay_state.err_msg"), "invalid argument");
		json_object_put(r);
	}
	r = call(e.dev[0].port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_int_eq(jint(r, "system.get_sysinfo.relay_state"), 0);
	json_object_put(r);

	/* Rule tables: count_down holds one rule, unknown ids are -14. */
	r = call(e.dev[0].port, "{\"count_down\":{\"get_rules\":{},"
				"\"delete_rule\":{\"id\":\"ABC\"}}}");
	ck_assert_uint_eq(json_object_array_length(jget(r, "count_down.get_rules.rule_list")), 0);
	ck_assert_int_eq(jint(r, "count_down.delete_rule.err_code"), -14);
	json_object_put(r);
	r = call(e.dev[0].port, "{\"count_down\":{\"add_rule\":{\"enable\":1,\"delay\":60,"
				"\"act\":1,\"name\":\"t\"}}}");
	ck_assert_int_eq(jint(r, "count_down.add_rule.err_code"), 0);
	ck_assert(is_hex(jstr(r, "count_down.add_rule.id"), 32));
	json_object_put(r);
	r = call(e.dev[0].port, "{\"count_down\":{\"add_rule\":{\"enable\":1,\"delay\":60,"
				"\"act\":1,\"name\":\"t\"}}}");
	ck_assert_int_eq(jint(r, "count_down.add_rule.err_code"), -10);
	json_object_put(r);
	r = call(e.dev[0].port, "{\"count_down\":{\"delete_all_rules\":{},\"get_rules\":{}}}");
	ck_assert_int_eq(jint(r, "count_down.delete_all_rules.err_code"), 0);
	ck_assert_uint_eq(json_object_array_length(jget(r, "count_down.get_rules.rule_list")), 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

/* --- Energy meters -------------------------------------------------------- */

static void check_stats_lists(uint16_t port, bool new_style)
{
	char req[256];
	struct json_object *r, *list;
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(req, sizeof(req),
		 "{\"emeter\":{\"get_daystat\":{\"year\":%d,\"month\":%d},"
		 "\"get_monthstat\":{\"year\":%d}}}",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_year + 1900);
	r = call(port, req);
	list = jget(r, "emeter.get_daystat.day_list");
	ck_assert_ptr_nonnull(list);
	/* The history covers every day of the month so far (UTC, as the device). */
	ck_assert_int_ge(json_object_array_length(list), 1);
	ck_assert_int_le(json_object_array_length(list), 31);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);

		ck_assert_int_eq(jint(d, "year"), tm.tm_year + 1900);
		ck_assert_int_eq(jint(d, "month"), tm.tm_mon + 1);
		ck_assert_int_ge(jint(d, "day"), 1);
		if (new_style)
			ck_assert_int_ge(jint(d, "energy_wh"), 0);
		else
			ck_assert(jdouble(d, "energy") >= 0);
	}
	list = jget(r, "emeter.get_monthstat.month_list");
	ck_assert_int_ge(json_object_array_length(list), 1);
	ck_assert_int_le(json_object_array_length(list), tm.tm_mon + 1);
	json_object_put(r);

	r = call(port, "{\"emeter\":{\"get_daystat\":{\"year\":2020}}}");
	ck_assert_int_eq(jint(r, "emeter.get_daystat.err_code"), -3);
	json_object_put(r);
}

START_TEST(test_emeter_old_style)
{
	struct emu e;
	struct json_object *r;
	double v, p, i, total;

	emu_start(&e, "hs110v1,state=on,power=100", NULL);
	r = call(e.dev[0].port, "{\"emeter\":{\"get_realtime\":{}}}");
	ck_assert_int_eq(jint(r, "emeter.get_realtime.err_code"), 0);
	v = jdouble(r, "emeter.get_realtime.voltage");
	p = jdouble(r, "emeter.get_realtime.power");
	i = jdouble(r, "emeter.get_realtime.current");
	total = jdouble(r, "emeter.get_realtime.total");
	ck_assert_ptr_null(jget(r, "emeter.get_realtime.power_mw"));
	ck_assert(v > 220 && v < 240);
	ck_assert(p > 95 && p < 105);
	/* Real power: the current is above power / voltage (power factor < 1). */
	ck_assert(i > p / v && i < p / v / 0.8);
	ck_assert(total > 0);
	json_object_put(r);

	r = call(e.dev[0].port, "{\"system\":{\"set_relay_state\":{\"state\":0}},"
				"\"emeter\":{\"get_realtime\":{}}}");
	ck_assert(jdouble(r, "emeter.get_realtime.power") == 0);
	ck_assert(jdouble(r, "emeter.get_realtime.current") == 0);
	ck_assert(jdouble(r, "emeter.get_realtime.voltage") > 220);
	ck_assert(jdouble(r, "emeter.get_realtime.total") >= total);
	json_object_put(r);
	check_stats_lists(e.dev[0].port, false);

	r = call(e.dev[0].port, "{\"emeter\":{\"erase_emeter_stat\":{},\"get_realtime\":{}}}");
	ck_assert_int_eq(jint(r, "emeter.erase_emeter_stat.err_code"), 0);
	ck_assert(jdouble(r, "emeter.get_realtime.total") == 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_emeter_new_style)
{
	static const char *const specs[] = {"hs110v4,state=on,power=60", "kp115,state=on,power=60"};
	static const int volts[] = {230, 120};

	for (unsigned k = 0; k < 2; k++) {
		struct emu e;
		struct json_object *r;
		int64_t v, p, i;

		emu_start(&e, specs[k], NULL);
		r = call(e.dev[0].port, "{\"emeter\":{\"get_realtime\":{}}}");
		v = jint(r, "emeter.get_realtime.voltage_mv");
		p = jint(r, "emeter.get_realtime.power_mw");
		i = jint(r, "emeter.get_realtime.current_ma");
		ck_assert_int_ge(jint(r, "emeter.get_realtime.total_wh"), 0);
		ck_assert_ptr_null(jget(r, "emeter.get_realtime.slot_id"));
		ck_assert_ptr_null(jget(r, "emeter.get_realtime.power"));
		ck_assert(v > volts[k] * 950 && v < volts[k] * 1050);
		ck_assert(p > 57000 && p < 63000);
		ck_assert(i * (double)v / 1000 > p * 0.99);
		json_object_put(r);

		r = call(e.dev[0].port, "{\"system\":{\"set_relay_state\":{\"state\":0}}}");
		json_object_put(r);
		r = call(e.dev[0].port, "{\"emeter\":{\"get_realtime\":{}}}");
		ck_assert_int_eq(jint(r, "emeter.get_realtime.power_mw"), 0);
		ck_assert_int_eq(jint(r, "emeter.get_realtime.current_ma"), 0);
		json_object_put(r);
		check_stats_lists(e.dev[0].port, true);
		emu_stop(&e, NULL);
	}
}
END_TEST

/* --- Power strip contexts ------------------------------------------------- */

static void strip_states(uint16_t port, int ret[6])
{
	struct json_object *r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	struct json_object *children = jget(r, "system.get_sysinfo.children");

	for (unsigned k = 0; k < 6; k++)
		ret[k] = (int)jint(json_object_array_get_idx(children, k), "state");
	json_object_put(r);
}

START_TEST(test_strip_contexts)
{
	struct emu e;
	struct json_object *r;
	char req[512];
	int st[6];
	uint16_t port;
	const char *id;

	emu_start(&e, "hs300,power=50", NULL);
	port = e.dev[0].port;
	id = e.dev[0].id;

	/* One outlet by its full id. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s02\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}}}",
		 id);
	r = call(port, req);
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), 0);
	ck_assert_ptr_null(jget(r, "context"));
	json_object_put(r);
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], k == 2);

	/* A bare "01" and an unknown id: -14, and nothing runs. */
	r = call(port, "{\"context\":{\"child_ids\":[\"01\"]},"
		       "\"system\":{\"set_relay_state\":{\"state\":1}}}");
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), -14);
	ck_assert_str_eq(jstr(r, "system.set_relay_state.err_msg"), "entry not exist");
	json_object_put(r);
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s03\",\"%s09\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}}}",
		 id, id);
	r = call(port, req);
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), -14);
	json_object_put(r);
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], k == 2);

	/* Several ids. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s00\",\"%s05\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}}}",
		 id, id);
	json_object_put(call(port, req));
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], k == 0 || k == 2 || k == 5);

	/* No context: every outlet. */
	json_object_put(call(port, "{\"system\":{\"set_relay_state\":{\"state\":0}}}"));
	strip_states(port, st);
	for (unsigned k = 0; k < 6; k++)
		ck_assert_int_eq(st[k], 0);

	/* Alias of one outlet; the strip's own alias stays. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s04\"]},"
		 "\"system\":{\"set_dev_alias\":{\"alias\":\"Kettle\"}}}",
		 id);
	json_object_put(call(port, req));
	r = call(port, "{\"system\":{\"get_sysinfo\":{}}}");
	ck_assert_str_eq(
		jstr(json_object_array_get_idx(jget(r, "system.get_sysinfo.children"), 4), "alias"),
		"Kettle");
	ck_assert_str_ne(jstr(r, "system.get_sysinfo.alias"), "Kettle");
	json_object_put(r);

	/* Emeter per outlet, with slot_id; without context one outlet's reading. */
	snprintf(req, sizeof(req),
		 "{\"context\":{\"child_ids\":[\"%s03\"]},"
		 "\"system\":{\"set_relay_state\":{\"state\":1}},"
		 "\"emeter\":{\"get_realtime\":{}}}",
		 id);
	r = call(port, req);
	ck_assert_int_eq(jint(r, "emeter.get_realtime.slot_id"), 3);
	ck_assert_int_gt(jint(r, "emeter.get_realtime.power_mw"), 45000);
	ck_assert(jint(r, "emeter.get_realtime.voltage_mv") > 110000);
	json_object_put(r);
	r = call(port, "{\"emeter\":{\"get_realtime\":{}}}");
	ck_assert_int_eq(jint(r, "emeter.get_realtime.slot_id"), 0);
	ck_assert_int_eq(jint(r, "emeter.get_realtime.power_mw"), 0);
	json_object_put(r);

	/* A single-outlet device ignores a context. */
	emu_stop(&e, NULL);
	emu_start(&e, "hs110v4", NULL);
	r = call(e.dev[0].port, "{\"context\":{\"child_ids\":[\"01\"]},"
				"\"system\":{\"set_relay_state\":{\"state\":1}}}");
	ck_assert_int_eq(jint(r, "system.set_relay_state.err_code"), 0);
	json_object_put(r);
	emu_stop(&e, NULL);
}
END_TEST

/* --- UDP discovery ---------------------------------------------------------- */

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

/* --- Connections ------------------------------------------------------------- */

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

/* --- Fault modes: what each puts on the wire -------------------------------- */

static const char sysinfo_req[] = "{\"system\":{\"get_sysinfo\":{}}}";
static const char small_req[] = "{\"system\":{\"set_led_off\":{\"off\":0}}}";

/* Start one device with fault=mode, send one request, read to EOF. */
static size_t fault_exchange(struct emu *e, const char *spec, const char *req, uint8_t *buf,
			     size_t cap, int *ret_err)
{
	struct client c;
	size_t n;

	emu_start(e, spec, NULL);
	client_open(&c, e->dev[0].port);
	send_request(c.fd, req);
	n = read_to_eof(c.fd, buf, cap, ret_err);
	close(c.fd);
	return n;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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

/* --- Command line ----------------------------------------------------------- */

START_TEST(test_cli_count_and_files)
{
	char dir[] = "/tmp/kasa-emu-test-XXXXXX";
	char devices[256], ready[256], text[4096];
	struct emu e;
	FILE *f;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(devices, sizeof(devices), "%s/devices", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	f = fopen(devices, "w");
	ck_assert_ptr_nonnull(f);
	fputs("# two kinds\n\n  hs100,alias=Lamp  \nhs300\n", f);
	fclose(f);

	emu_start(&e, "-n", "2", "-d", devices, "-r", ready, "kp115", NULL);
	ck_assert_uint_eq(e.n, 6);
	ck_assert_str_eq(e.dev[0].model, "hs100");
	ck_assert_str_eq(e.dev[1].model, "hs100");
	ck_assert_str_eq(e.dev[2].model, "hs300");
	ck_assert_str_eq(e.dev[4].model, "kp115");
	for (unsigned i = 0; i < e.n; i++)
		for (unsigned j = 0; j < i; j++) {
			ck_assert_str_ne(e.dev[i].id, e.dev[j].id);
			ck_assert_uint_ne(e.dev[i].port, e.dev[j].port);
		}
	for (unsigned i = 0; i < 2; i++) {
		struct json_object *r = call(e.dev[i].port, sysinfo_req);
		char want[16];

		snprintf(want, sizeof(want), "Lamp %u", i + 1);
		ck_assert_str_eq(jstr(r, "system.get_sysinfo.alias"), want);
		json_object_put(r);
	}

	f = fopen(ready, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	ck_assert_str_eq(text, e.ready_text);
	emu_stop(&e, NULL);
	unlink(ready);
	unlink(devices);
	rmdir(dir);
}
END_TEST

static int run_status(const char *const *argv)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(emu_path(), (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_cli_errors)
{
	/* argv[0] is filled in below. */
	static const char *bad[][6] = {
		{NULL, "-p", "0", "hs999", NULL},
		{NULL, "-p", "0", "hs100,fault=nope", NULL},
		{NULL, "-p", "0", "hs100,flaky=101", NULL},
		{NULL, "-p", "0", "hs100,colour=red", NULL},
		{NULL, "-p", "70000", NULL},
		{NULL, "-a", "not-an-address", NULL},
	};
	static const char *help[] = {NULL, "-h", NULL};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad[i][0] = emu_path();
	help[0] = emu_path();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(run_status(bad[i]), 2);
	ck_assert_int_eq(run_status(help), 0);
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

static Suite *emu_suite(void)
{
	Suite *s = suite_create("kasa-emu");
	TCase *tc = tcase_create("protocol");
	TCase *tf = tcase_create("faults");
	TCase *tl = tcase_create("cli");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sysinfo_models);
	tcase_add_test(tc, test_switch_and_state);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_emeter_old_style);
	tcase_add_test(tc, test_emeter_new_style);
	tcase_add_test(tc, test_strip_contexts);
	tcase_add_test(tc, test_udp_discovery);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_zero_header_request);
	tcase_add_test(tc, test_hostile_client);
	tcase_add_test(tc, test_stats_inflight);
	tcase_add_test(tc, test_delay);
	tcase_add_test(tc, test_reboot);
	tcase_add_test(tc, test_idle_close);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tf, 30);
	tcase_add_test(tf, test_fault_refuse);
	tcase_add_test(tf, test_fault_close);
	tcase_add_test(tf, test_fault_reset);
	tcase_add_test(tf, test_fault_garbage);
	tcase_add_test(tf, test_fault_truncate);
	tcase_add_test(tf, test_fault_oversize);
	tcase_add_test(tf, test_fault_zerolen);
	tcase_add_test(tf, test_fault_split);
	tcase_add_test(tf, test_fault_drip);
	tcase_add_test(tf, test_fault_badjson);
	tcase_add_test(tf, test_fault_blackhole);
	tcase_add_test(tf, test_fault_flaky);
	suite_add_tcase(s, tf);

	tcase_set_timeout(tl, 30);
	tcase_add_test(tl, test_cli_count_and_files);
	tcase_add_test(tl, test_cli_errors);
	tcase_add_test(tl, test_restart_same_port);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(emu_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
