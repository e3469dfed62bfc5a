/* SPDX-License-Identifier: MIT */
/*
 * cdp: drives a headless Chromium through the DevTools protocol, for the
 * shell tests of the dashboard.
 *
 *   cdp -d PROFILE_DIR [-c CHROMIUM] [-s WIDTHxHEIGHT] [-t TIMEOUT_S]
 *
 * Chromium talks over --remote-debugging-pipe: it reads commands on its
 * descriptor 3 and writes answers and events on 4, each a JSON text ended
 * by a NUL byte.  cdp attaches to the first page and then reads commands on
 * stdin, one per line, and answers each with one line on stdout, flushed:
 * "ok" or "ok VALUE" (VALUE as JSON), or "error WHAT".
 *
 *   open URL             load URL; waits for its load event
 *   eval EXPR            the value of a JavaScript expression (promises awaited)
 *   wait MS EXPR         evaluate EXPR every 50 ms until it is truthy, at most MS
 *   click SELECTOR       a real mouse click (press, release) in the element's middle
 *   type TEXT            insert TEXT where the focus is, as a keyboard would
 *   viewport W H MOBILE  the page's size; MOBILE 1 emulates a phone (touch, meta viewport)
 *   screenshot FILE      the viewport as PNG
 *   errors               "ok ERRORS LOADS": how many script errors, console errors
 *                        and CSP violations the page had so far, and how many of its
 *                        loads failed or were answered 4xx/5xx; each is printed on
 *                        stderr as it comes
 *   quit                 close Chromium and exit
 *
 * Every wait is bounded: a command by its own deadline (10 s, or MS), the
 * whole run by TIMEOUT_S (default 120), after which Chromium is killed.
 * Chromium runs in its own process group, killed as a whole at the end.
 * Running as root (CI), it needs --no-sandbox; as anyone else it keeps its
 * sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

#define COMMAND_MS    10000
#define POLL_MS	      50
#define LINE_MAX_LEN  65536
#define MESSAGE_MAX   (64 * 1024 * 1024) /* a screenshot is a few MB of base64 */
#define CLOSE_WAIT_MS 5000

static pid_t chrome = -1, chrome_group = -1;
static int to_chrome = -1, from_chrome = -1;
static char *inbuf;
static size_t in_len, in_cap;
static int next_id = 1;
static char session[128];
static bool loaded;
static bool closing; /* Chromium may go: its end of the pipe is no error */
static unsigned page_errors, load_errors;

static void kill_chrome(void)
{
	/* Its helpers (renderers, zygote) share its process group. */
	if (chrome_group > 0)
		kill(-chrome_group, SIGKILL);
	if (chrome > 0) {
		kill(chrome, SIGKILL);
		waitpid(chrome, NULL, 0);
		chrome = -1;
	}
	/* Helpers orphaned on the way came to us (the subreaper): reap them,
	 * killed with the group, until none is left. */
	for (;;) {
		if (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			continue;
		break;
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "cdp: the whole run's time is up\n";

	(void)sig;
	if (chrome_group > 0)
		kill(-chrome_group, SIGKILL);
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cdp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	kill_chrome();
	exit(1);
}

static int64_t now_ms(void)
{
	return (int64_t)(monotonic_usec() / USEC_PER_MSEC);
}

/* --- Chromium ------------------------------------------------------------ */

static void launch(const char *binary, const char *profile, unsigned w, unsigned h)
{
	int down[2], up[2];
	char profile_arg[4200], size_arg[64];

	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	snprintf(profile_arg, sizeof(profile_arg), "--user-data-dir=%s", profile);
	snprintf(size_arg, sizeof(size_arg), "--window-size=%u,%u", w, h);
	chrome = fork();
	if (chrome < 0)
		die("fork: %s", strerror(errno));
	if (chrome == 0) {
		const char *argv[40];
		int n = 0, rd, wr, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setpgid(0, 0);
		/* Its 3 and 4 are the pipe (moved out of the way first, as they may
		 * be 3 or 4 already); nothing else of ours leaks in. */
		rd = fcntl(down[0], F_DUPFD_CLOEXEC, 10);
		wr = fcntl(up[1], F_DUPFD_CLOEXEC, 10);
		if (rd < 0 || wr < 0 || dup2(rd, 3) < 0 || dup2(wr, 4) < 0 || devnull < 0 ||
		    dup2(devnull, 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		close_range(5, ~0U, 0);
		argv[n++] = binary;
		argv[n++] = "--headless=new";
		argv[n++] = "--remote-debugging-pipe";
		argv[n++] = profile_arg;
		argv[n++] = size_arg;
		argv[n++] = "--no-first-run";
		argv[n++] = "--no-default-browser-check";
		argv[n++] = "--disable-gpu";
		argv[n++] = "--disable-extensions";
		argv[n++] = "--disable-background-networking";
		argv[n++] = "--disable-component-update";
		argv[n++] = "--disable-default-apps";
		argv[n++] = "--disable-sync";
		argv[n++] = "--disable-domain-reliability";
		argv[n++] = "--disable-client-side-phishing-detection";
		argv[n++] = "--disable-features=Translate,OptimizationHints,MediaRouter,"
			    "DialMediaRouteProvider,InterestFeedContentSuggestions";
		argv[n++] = "--no-pings";
		argv[n++] = "--metrics-recording-only";
		argv[n++] = "--password-store=basic";
		argv[n++] = "--use-mock-keychain";
		argv[n++] = "--lang=en-US";
		/* No name is looked up: the tests use 127.0.0.1 and nothing else. */
		argv[n++] = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1";
		if (geteuid() == 0)
			argv[n++] = "--no-sandbox";
		argv[n++] = "about:blank";
		argv[n] = NULL;
		execvp(binary, (char *const *)argv);
		fprintf(stderr, "cdp: cannot run %s: %s\n", binary, strerror(errno));
		_exit(127);
	}
	/* Set here too, so that the group exists before anything kills it. */
	setpgid(chrome, chrome);
	chrome_group = chrome;
	close(down[0]);
	close(up[1]);
	to_chrome = down[1];
	from_chrome = up[0];
}

static void send_message(const char *method, struct json_object *params, bool in_session,
			 int *ret_id)
{
	struct json_object *m = json_object_new_object();
	const char *s;
	size_t len, off = 0;

	*ret_id = next_id++;
	json_object_object_add(m, "id", json_object_new_int(*ret_id));
	json_object_object_add(m, "method", json_object_new_string(method));
	json_object_object_add(m, "params", params ? params : json_object_new_object());
	if (in_session)
		json_object_object_add(m, "sessionId", json_object_new_string(session));
	s = json_object_to_json_string_length(m, JSON_C_TO_STRING_PLAIN, &len);
	/* The NUL that ends the message goes with it. */
	while (off < len + 1) {
		ssize_t n = write(to_chrome, s + off, len + 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("writing to Chromium: %s", n < 0 ? strerror(errno) : "closed");
		off += (size_t)n;
	}
	json_object_put(m);
}

static const char *str_at(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* An event: remember what the page did wrong, and its load. */
static void on_event(struct json_object *m, const char *method)
{
	struct json_object *p = NULL;

	json_object_object_get_ex(m, "params", &p);
	if (strcmp(method, "Page.loadEventFired") == 0) {
		loaded = true;
	} else if (strcmp(method, "Runtime.exceptionThrown") == 0) {
		struct json_object *d = NULL;
		const char *text;

		json_object_object_get_ex(p, "exceptionDetails", &d);
		text = str_at(d, "exception", "description");
		page_errors++;
		fprintf(stderr, "cdp: page exception: %s\n",
			text ? text : json_object_to_json_string(d));
	} else if (strcmp(method, "Runtime.consoleAPICalled") == 0) {
		const char *type = str_at(p, "type", NULL);

		if (type && strcmp(type, "error") == 0) {
			page_errors++;
			fprintf(stderr, "cdp: console error: %s\n", json_object_to_json_string(p));
		}
	} else if (strcmp(method, "Log.entryAdded") == 0) {
		const char *level = str_at(p, "entry", "level");
		const char *source = str_at(p, "entry", "source");
		const char *text = str_at(p, "entry", "text");

		/* CSP violations come this way, and failed loads (source
		 * "network": an answer of 4xx or 5xx too, which a test may want). */
		if (level && strcmp(level, "error") == 0) {
			if (source && strcmp(source, "network") == 0)
				load_errors++;
			else
				page_errors++;
			fprintf(stderr, "cdp: page log (%s): %s\n", source ? source : "?",
				text ? text : "?");
		}
	} else if (strcmp(method, "Inspector.targetCrashed") == 0 ||
		   strcmp(method, "Target.detachedFromTarget") == 0) {
		die("the page is gone (%s)", method);
	}
}

/* The next whole message from Chromium, waiting until deadline; NULL when
 * time is up.  Owned. */
static struct json_object *read_message(int64_t deadline)
{
	for (;;) {
		char *nul = in_len ? memchr(inbuf, '\0', in_len) : NULL;

		if (nul) {
			size_t len = (size_t)(nul - inbuf);
			struct json_object *m = json_tokener_parse(inbuf);

			memmove(inbuf, nul + 1, in_len - len - 1);
			in_len -= len + 1;
			if (!m)
				die("Chromium sent something that is not JSON");
			return m;
		}
		int64_t left = deadline - now_ms();
		struct pollfd pfd = {.fd = from_chrome, .events = POLLIN};
		ssize_t n;

		if (left <= 0)
			return NULL;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (in_cap - in_len < 65536) {
			size_t cap = in_cap ? in_cap * 2 : 1 << 20;

			if (cap > MESSAGE_MAX)
				die("a message from Chromium over %d bytes", MESSAGE_MAX);
			inbuf = realloc(inbuf, cap);
			if (!inbuf)
				die("out of memory");
			in_cap = cap;
		}
		n = read(from_chrome, inbuf + in_len, in_cap - in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && closing) {
			close(from_chrome);
			from_chrome = -1;
			return NULL;
		}
		if (n <= 0)
			die("Chromium closed the pipe (it exited?)");
		in_len += (size_t)n;
	}
}

/* Send a command and wait for its answer; events on the way are handled.
 * Returns the "result" (owned), or NULL with *ret_error set (owned). */
static struct json_object *call(const char *method, struct json_object *params, bool in_session,
				int64_t deadline, char **ret_error)
{
	int id;

	send_message(method, params, in_session, &id);
	for (;;) {
		struct json_object *m = read_message(deadline), *v;
		const char *ev;

		if (!m) {
			if (asprintf(ret_error, "no answer to %s in time", method) < 0)
				*ret_error = NULL;
			return NULL;
		}
		if (json_object_object_get_ex(m, "id", &v) && json_object_get_int(v) == id) {
			struct json_object *res = NULL;
			const char *err = str_at(m, "error", "message");

			if (err) {
				if (asprintf(ret_error, "%s: %s", method, err) < 0)
					*ret_error = NULL;
				json_object_put(m);
				return NULL;
			}
			json_object_object_get_ex(m, "result", &res);
			res = json_object_get(res ? res : NULL);
			json_object_put(m);
			return res ? res : json_object_new_object();
		}
		ev = str_at(m, "method", NULL);
		if (ev)
			on_event(m, ev);
		json_object_put(m);
	}
}

static struct json_object *call_or_die(const char *method, struct json_object *params,
				       bool in_session)
{
	char *err = NULL;
	struct json_object *r = call(method, params, in_session, now_ms() + COMMAND_MS, &err);

	if (!r)
		die("%s", err ? err : method);
	return r;
}

static void attach(void)
{
	struct json_object *r = call_or_die("Target.getTargets", NULL, false), *list, *p;
	const char *target = NULL, *sid;

	if (json_object_object_get_ex(r, "targetInfos", &list))
		for (size_t i = 0; i < json_object_array_length(list) && !target; i++) {
			struct json_object *t = json_object_array_get_idx(list, i);
			const char *type = str_at(t, "type", NULL);

			if (type && strcmp(type, "page") == 0)
				target = str_at(t, "targetId", NULL);
		}
	if (!target)
		die("Chromium has no page to attach to");
	p = json_object_new_object();
	json_object_object_add(p, "targetId", json_object_new_string(target));
	json_object_object_add(p, "flatten", json_object_new_boolean(true));
	json_object_put(r);
	r = call_or_die("Target.attachToTarget", p, false);
	sid = str_at(r, "sessionId", NULL);
	if (!sid || strlen(sid) >= sizeof(session))
		die("no session from Target.attachToTarget");
	snprintf(session, sizeof(session), "%s", sid);
	json_object_put(r);
	json_object_put(call_or_die("Page.enable", NULL, true));
	json_object_put(call_or_die("Runtime.enable", NULL, true));
	json_object_put(call_or_die("Log.enable", NULL, true));
}

/* --- Commands --------------------------------------------------------------- */

static void answer(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* An error answer on one line, whatever it holds. */
static void answer_error(const char *what)
{
	fputs("error ", stdout);
	for (const char *s = what; *s; s++)
		putchar(*s == '\n' || *s == '\r' ? ' ' : *s);
	putchar('\n');
	fflush(stdout);
}

/* Evaluate; *ret_value is the value (owned; NULL for undefined). */
static int evaluate(const char *expr, int64_t deadline, struct json_object **ret_value,
		    char **ret_error)
{
	struct json_object *p = json_object_new_object(), *r, *res = NULL, *exc = NULL, *v = NULL;

	json_object_object_add(p, "expression", json_object_new_string(expr));
	json_object_object_add(p, "returnByValue", json_object_new_boolean(true));
	json_object_object_add(p, "awaitPromise", json_object_new_boolean(true));
	r = call("Runtime.evaluate", p, true, deadline, ret_error);
	if (!r)
		return -1;
	if (json_object_object_get_ex(r, "exceptionDetails", &exc)) {
		const char *d = str_at(exc, "exception", "description");

		if (asprintf(ret_error, "the expression threw: %s",
			     d ? d : json_object_to_json_string(exc)) < 0)
			*ret_error = NULL;
		json_object_put(r);
		return -1;
	}
	json_object_object_get_ex(r, "result", &res);
	json_object_object_get_ex(res, "value", &v);
	*ret_value = json_object_get(v);
	json_object_put(r);
	return 0;
}

static bool truthy(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0;
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_object:
	case json_type_array:
		return true;
	}
	return false;
}

static const char *value_text(struct json_object *v)
{
	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "undefined";
}

static void cmd_eval(const char *expr)
{
	struct json_object *v = NULL;
	char *err = NULL;

	if (evaluate(expr, now_ms() + COMMAND_MS, &v, &err) < 0) {
		answer_error(err ? err : "eval failed");
		free(err);
		return;
	}
	answer("ok %s", value_text(v));
	json_object_put(v);
}

static void cmd_wait(const char *args)
{
	char *end;
	long ms = strtol(args, &end, 10);
	int64_t deadline;
	struct json_object *v = NULL;
	char *err = NULL;

	if (end == args || ms <= 0 || ms > 600000 || *end != ' ') {
		answer_error("usage: wait MS EXPR");
		return;
	}
	deadline = now_ms() + ms;
	for (;;) {
		json_object_put(v);
		v = NULL;
		free(err);
		err = NULL;
		if (evaluate(end + 1, deadline, &v, &err) == 0 && truthy(v)) {
			answer("ok %s", value_text(v));
			json_object_put(v);
			return;
		}
		if (now_ms() + POLL_MS >= deadline)
			break;
		/* Between two looks, take in what Chromium says meanwhile. */
		for (int64_t until = now_ms() + POLL_MS;;) {
			struct json_object *m = read_message(until);
			const char *ev;

			if (!m)
				break;
			ev = str_at(m, "method", NULL);
			if (ev)
				on_event(m, ev);
			json_object_put(m);
		}
	}
	{
		char msg[1024];

		snprintf(msg, sizeof(msg), "not true within %ld ms; last: %s", ms,
			 err ? err : value_text(v));
		answer_error(msg);
	}
	json_object_put(v);
	free(err);
}

static void cmd_open(const char *url)
{
	struct json_object *p = json_object_new_object(), *r;
	int64_t deadline = now_ms() + COMMAND_MS;
	const char *nav_err;
	char *err = NULL;

	json_object_object_add(p, "url", json_object_new_string(url));
	loaded = false;
	r = call("Page.navigate", p, true, deadline, &err);
	if (!r) {
		answer_error(err ? err : "navigate failed");
		free(err);
		return;
	}
	nav_err = str_at(r, "errorText", NULL);
	if (nav_err) {
		char msg[512];

		snprintf(msg, sizeof(msg), "cannot load %s: %s", url, nav_err);
		answer_error(msg);
		json_object_put(r);
		return;
	}
	json_object_put(r);
	while (!loaded) {
		struct json_object *m = read_message(deadline);
		const char *ev;

		if (!m) {
			answer_error("no load event in time");
			return;
		}
		ev = str_at(m, "method", NULL);
		if (ev)
			on_event(m, ev);
		json_object_put(m);
	}
	answer("ok");
}

static void mouse(const char *type, double x, double y)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "type", json_object_new_string(type));
	json_object_object_add(p, "x", json_object_new_double(x));
	json_object_object_add(p, "y", json_object_new_double(y));
	if (strcmp(type, "mouseMoved") != 0) {
		json_object_object_add(p, "button", json_object_new_string("left"));
		json_object_object_add(p, "clickCount", json_object_new_int(1));
	}
	json_object_put(call_or_die("Input.dispatchMouseEvent", p, true));
}

static void cmd_click(const char *selector)
{
	struct json_object *sel = json_object_new_string(selector), *v = NULL;
	char *expr = NULL, *err = NULL;
	double x, y;

	/* The selector as a JSON string is a JavaScript string literal too. */
	if (asprintf(&expr,
		     "(() => { const e = document.querySelector(%s); if (!e) return null;"
		     " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
		     " return [r.left + r.width / 2, r.top + r.height / 2]; })()",
		     json_object_to_json_string(sel)) < 0)
		die("out of memory");
	json_object_put(sel);
	if (evaluate(expr, now_ms() + COMMAND_MS, &v, &err) < 0) {
		answer_error(err ? err : "eval failed");
		free(err);
		free(expr);
		return;
	}
	free(expr);
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2) {
		answer_error("no element matches the selector");
		json_object_put(v);
		return;
	}
	x = json_object_get_double(json_object_array_get_idx(v, 0));
	y = json_object_get_double(json_object_array_get_idx(v, 1));
	json_object_put(v);
	mouse("mouseMoved", x, y);
	mouse("mousePressed", x, y);
	mouse("mouseReleased", x, y);
	answer("ok [%.1f,%.1f]", x, y);
}

static void cmd_type(const char *text)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "text", json_object_new_string(text));
	json_object_put(call_or_die("Input.insertText", p, true));
	answer("ok");
}

static void cmd_viewport(const char *args)
{
	unsigned w, h, mobile;
	struct json_object *p;

	if (sscanf(args, "%u %u %u", &w, &h, &mobile) != 3 || !w || !h || w > 4000 || h > 4000) {
		answer_error("usage: viewport W H MOBILE");
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "width", json_object_new_int((int)w));
	json_object_object_add(p, "height", json_object_new_int((int)h));
	json_object_object_add(p, "deviceScaleFactor", json_object_new_int(1));
	json_object_object_add(p, "mobile", json_object_new_boolean(mobile != 0));
	json_object_put(call_or_die("Emulation.setDeviceMetricsOverride", p, true));
	p = json_object_new_object();
	json_object_object_add(p, "enabled", json_object_new_boolean(mobile != 0));
	json_object_put(call_or_die("Emulation.setTouchEmulationEnabled", p, true));
	answer("ok");
}

static int b64(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static void cmd_screenshot(const char *file)
{
	struct json_object *p = json_object_new_object(), *r;
	const char *data;
	unsigned char *png;
	size_t n = 0, len;
	unsigned acc = 0;
	int bits = 0;
	FILE *f;

	json_object_object_add(p, "format", json_object_new_string("png"));
	r = call_or_die("Page.captureScreenshot", p, true);
	data = str_at(r, "data", NULL);
	if (!data) {
		answer_error("no screenshot data");
		json_object_put(r);
		return;
	}
	len = strlen(data);
	png = malloc(len / 4 * 3 + 3);
	if (!png)
		die("out of memory");
	for (size_t i = 0; i < len && data[i] != '='; i++) {
		int v = b64((unsigned char)data[i]);

		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			png[n++] = (unsigned char)(acc >> bits);
		}
	}
	json_object_put(r);
	f = fopen(file, "wb");
	if (!f || fwrite(png, 1, n, f) != n || fclose(f) != 0) {
		answer_error("cannot write the file");
		free(png);
		return;
	}
	free(png);
	answer("ok %zu", n);
}

static void quit(void)
{
	int id, status;
	int64_t deadline = now_ms() + CLOSE_WAIT_MS;
	bool eof = false;

	if (chrome <= 0)
		return;
	closing = true;
	send_message("Browser.close", NULL, false, &id);
	while (now_ms() < deadline) {
		if (waitpid(chrome, &status, WNOHANG) == chrome) {
			chrome = -1;
			break;
		}
		if (!eof) {
			/* Drain the pipe so Chromium never blocks writing to it. */
			struct json_object *m = read_message(now_ms() + POLL_MS);

			eof = !m && in_len == 0 && from_chrome < 0;
			json_object_put(m);
		} else {
			poll(NULL, 0, POLL_MS);
		}
	}
	kill_chrome();
}

static void run_commands(void)
{
	char *line = malloc(LINE_MAX_LEN);

	if (!line)
		die("out of memory");
	while (fgets(line, LINE_MAX_LEN, stdin)) {
		size_t n = strlen(line);
		char *arg;

		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n)
			continue;
		arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		else
			arg = line + n;
		if (strcmp(line, "open") == 0)
			cmd_open(arg);
		else if (strcmp(line, "eval") == 0)
			cmd_eval(arg);
		else if (strcmp(line, "wait") == 0)
			cmd_wait(arg);
		else if (strcmp(line, "click") == 0)
			cmd_click(arg);
		else if (strcmp(line, "type") == 0)
			cmd_type(arg);
		else if (strcmp(line, "viewport") == 0)
			cmd_viewport(arg);
		else if (strcmp(line, "screenshot") == 0)
			cmd_screenshot(arg);
		else if (strcmp(line, "errors") == 0)
			answer("ok %u %u", page_errors, load_errors);
		else if (strcmp(line, "quit") == 0)
			break;
		else
			answer_error("unknown command");
	}
	free(line);
	quit();
	answer("ok");
}

static void usage(void)
{
	fprintf(stderr, "usage: cdp -d PROFILE_DIR [-c CHROMIUM] [-s WIDTHxHEIGHT] "
			"[-t TIMEOUT_S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *binary = "chromium", *profile = NULL;
	unsigned w = 1280, h = 800, timeout_s = 120;
	int opt;

	while ((opt = getopt(argc, argv, "c:d:s:t:")) != -1) {
		switch (opt) {
		case 'c':
			binary = optarg;
			break;
		case 'd':
			profile = optarg;
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &w, &h) != 2 || !w || !h)
				usage();
			break;
		case 't':
			timeout_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (!profile || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	/* Chromium's helpers that outlive it are ours to reap, not init's. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (timeout_s)
		alarm(timeout_s);
	launch(binary, profile, w, h);
	attach();
	answer("ready");
	run_commands();
	return 0;
}
