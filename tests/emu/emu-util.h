/* SPDX-License-Identifier: MIT */
/*
 * What the tests of kasa-emu share.  Each test starts the real binary on
 * ephemeral ports (-p 0), waits for its "ready" line on a pipe and talks to
 * it over 127.0.0.1 with plain sockets and libkasa's framing: emu_start and
 * emu_stop run it, call and the client_* helpers talk to it, the j* helpers
 * read its answers.  Static inline, as in test-util.h: each test takes what
 * it uses.
 */
#ifndef EMU_UTIL_H
#define EMU_UTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#include "../lib/test-util.h"
#include "common/clock.h"
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
	char transport[8]; /* "klap1", "klap2"; "" for XOR */
};

struct emu_stat {
	unsigned long requests, max_inflight, connections;
};

struct emu {
	pid_t pid;
	FILE *out;
	unsigned n;
	struct emu_dev dev[EMU_DEVICES_MAX];
	uint16_t discovery_port; /* -u: the "discovery ADDR:PORT" line; 0 none */
	char ready_text[4096];
};

/* --- Running the emulator ---------------------------------------------- */

/* The binary: $KASA_EMU when set (`make check-valgrind` runs it under
 * memcheck that way), else the one built here. */
static inline const char *emu_path(void)
{
	const char *p = getenv("KASA_EMU");

	return p && *p ? p : EMU_PATH;
}

/* Run kasa-emu with argv (argv[0] its path) to its end, its output to
 * /dev/null: its exit status. */
static inline int emu_run_status(const char *const *argv)
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

/* Start kasa-emu with the given arguments (NULL-terminated) after "-p 0". */
static inline void emu_startv(struct emu *e, bool ephemeral, const char *const *args)
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
		if (sscanf(line, "discovery %95s", addr) == 1) {
			colon = strrchr(addr, ':');
			ck_assert_ptr_nonnull(colon);
			e->discovery_port = (uint16_t)atoi(colon + 1);
			ck_assert_uint_gt(e->discovery_port, 0);
			continue;
		}
		ck_assert_uint_lt(e->n, EMU_DEVICES_MAX);
		/* KLAP devices add their transport at the end. */
		ck_assert_int_ge(sscanf(line, "device %u %15s %95s %47s %7s", &d->index, d->model,
					addr, d->id, d->transport),
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

static inline void emu_start(struct emu *e, ...)
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
static inline void read_stats(struct emu *e, struct emu_stat *st)
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
static inline void emu_stop(struct emu *e, struct emu_stat *st)
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

static inline int tcp_connect(uint16_t port)
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

static inline void client_open(struct client *c, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->fd = tcp_connect(port);
	ck_assert_int_ge(c->fd, 0);
}

static inline void send_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

static inline void send_request(int fd, const char *json)
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
static inline int read_frame(struct client *c, char **ret)
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

static inline struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "not JSON: %s", text);
	return o;
}

static inline struct json_object *client_call(struct client *c, const char *json)
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
static inline struct json_object *call(uint16_t port, const char *json)
{
	struct client c;
	struct json_object *o;

	client_open(&c, port);
	o = client_call(&c, json);
	close(c.fd);
	return o;
}

/* Borrow the member at a dotted path; NULL when missing. */
static inline struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
	return o;
}

static inline int64_t jint(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(v && json_object_is_type(v, json_type_int), "%s: not an int in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static inline double jdouble(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(v && json_object_is_type(v, json_type_double), "%s: not a float in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_double(v);
}

static inline const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(v && json_object_is_type(v, json_type_string), "%s: not a string in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_string(v);
}

static inline uint64_t now_ms(void)
{
	return monotonic_usec() / USEC_PER_MSEC;
}

/* Read until EOF (or error); returns the byte count, *ret_err the ending. */
static inline size_t read_to_eof(int fd, uint8_t *buf, size_t cap, int *ret_err)
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

/* --- One exchange ------------------------------------------------------- */

static const char sysinfo_req[] = "{\"system\":{\"get_sysinfo\":{}}}";

/* Start one device with fault=mode, send one request, read to EOF. */
static inline size_t fault_exchange(struct emu *e, const char *spec, const char *req, uint8_t *buf,
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

#endif
