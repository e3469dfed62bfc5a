/* SPDX-License-Identifier: MIT */
/*
 * Raw bytes as a client's side of an HTTP connection, into the real server
 * (http.c, libmicrohttpd) and the real routes (api.c) over a registry of
 * devices whose plugs refuse every connection (a port bound on 127.0.0.1
 * that never listens), so requests that need a plug fail fast.
 *
 * Tokens are asked for (read, control, and admin given as its digest: see
 * tokens[] below, and the seeds' Authorization headers), one extra Host
 * name and one CORS origin are allowed, rate limits are the defaults.
 *
 * One loop and one server for the whole run, as in the daemon; a fresh
 * inventory and API per input, so neither a plug's state nor a rate
 * limit's bucket carries over.  The input is
 * written into one end of a socketpair whose other end the server takes as
 * a connection from 127.0.0.1; once the server has done what it can with
 * it, the write side is shut and the loop runs until the server closes (or
 * a bound passes: a hang is a failure).
 * Whatever comes back must be well-formed HTTP responses, JSON bodies must
 * parse as well-formed UTF-8 (what strict parsers insist on), kasad's
 * errors must say what and why, nothing may follow an answer that says
 * Connection: close (a request hidden behind a refused one's body is never
 * answered), and afterwards the server must be idle and the same
 * descriptors open as before the input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../daemon/config.h"
#include "api.h"
#include "auth.h"
#include "errors.h"
#include "http.h"
#include "kasa.h"
#include "log.h"
#include "loop.h"
#include "registry.h"
#include "server.h"
#include "service.h"

/* Longer than anything here may take: plugs refuse at once. */
#define ANSWER_WITHIN_USEC (5 * 1000000ULL)
/* Longer lines of an event stream than kasad sends (a device's JSON). */
#define EVENTS_LINE_MAX 4096
/* Answers past this are read and dropped (a long pipeline of requests). */
#define ANSWER_KEEP (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct harness {
	struct loop *loop;
	struct config *config;
	struct auth *auth;
	struct http_server *http;
	struct api *api; /* of the current input */
	int refuse_fd[2];
	bool verbose; /* $FUZZ_VERBOSE: debug logs, and every exchange */
};

struct exchange {
	const uint8_t *data;
	size_t size, sent;
	char *answer;
	size_t len;
	bool truncated, done;
	bool shut; /* the input's end is sent */
	uint32_t events;
};

static struct harness h = {.refuse_fd = {-1, -1}};

static void print_escaped(const char *what, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	fprintf(stderr, "%s (%zu bytes):\n", what, len);
	for (size_t i = 0; i < len && i < 4096; i++) {
		if (p[i] == '\n')
			fputs("\\n\n", stderr);
		else if (p[i] == '\r')
			fputs("\\r", stderr);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(stderr, "\\x%02x", p[i]);
		else
			fputc(p[i], stderr);
	}
	fputc('\n', stderr);
}

static __attribute__((noreturn)) void fail(const struct exchange *x, const char *why)
{
	fprintf(stderr, "fuzz-http: %s\n", why);
	print_escaped("request", x->data, x->size);
	print_escaped("answer", x->answer, x->len);
	abort();
}

/* A port on 127.0.0.1 that is bound and never listens: connecting is refused. */
static int reserve_port(uint16_t *ret_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("fuzz-http: reserving a port");
		abort();
	}
	*ret_port = ntohs(a.sin_port);
	return fd;
}

/* Descriptors are given out lowest first: a leak shows among the low ones. */
static uint64_t open_fds(void)
{
	uint64_t set = 0;

	for (int fd = 0; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			set |= 1ULL << fd;
	return set;
}

/* What opened or closed since before, for the failure's message. */
static void print_fds(uint64_t before)
{
	uint64_t now = open_fds();

	for (int fd = 0; fd < 64; fd++) {
		char link[64], target[256] = "";

		if (!((now ^ before) >> fd & 1))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (readlink(link, target, sizeof(target) - 1) < 0)
			snprintf(target, sizeof(target), "?");
		fprintf(stderr, "fuzz-http: descriptor %d %s: %s\n", fd,
			now >> fd & 1 ? "opened" : "closed", target);
	}
}

static void handle(struct http_request *req, void *userdata)
{
	api_handle(req, h.api);
}

static void teardown(void)
{
	http_free(h.http);
	loop_free(h.loop);
	auth_free(h.auth);
	config_free(h.config);
	for (int i = 0; i < 2; i++)
		if (h.refuse_fd[i] >= 0)
			close(h.refuse_fd[i]);
}

/* The tokens: read and control as written, admin as its digest (the token
 * is fuzz-admin-token-0123456789). */
static const char tokens[] =
	"# SCOPE TOKEN\n"
	"read    fuzz-read-token-0123456789\n"
	"control fuzz-control-token-0123456789\n"
	"admin   sha256:d3b73b0dfdc829678df7abeea225d1c8d830ad39fff7db0c4e10c1cde20bfef9\n";

static void setup(void)
{
	static const char fmt[] = "[kasad]\n"
				  "listen = 127.0.0.1:0\n"
				  "poll_interval = off\n"
				  "request_timeout = 500ms\n"
				  "connection_timeout = 2s\n"
				  "max_connections = 8\n"
				  "max_connections_per_ip = 8\n"
				  "queue_max = 4\n"
				  "body_max = 4k\n"
				  "allowed_hosts = kasa.example.test\n"
				  "cors_origins = http://dash.example.test:3000\n"
				  "request_deadline = 2s\n"
				  "\n"
				  "[device \"plug\"]\n"
				  "host = 127.0.0.1\n"
				  "port = %u\n"
				  "\n"
				  "[device \"strip\"]\n"
				  "host = 127.0.0.1\n"
				  "port = %u\n"
				  "\n"
				  "[device \"strip.2\"]\n"
				  "host = 127.0.0.1\n"
				  "port = %u\n"
				  "outlet = 2\n"
				  "\n"
				  "[device \"lamp_v6\"]\n"
				  "host = ::1\n"
				  "port = %u\n";
	char text[sizeof(fmt) + 64], *errors = NULL;
	struct http_options o;
	uint16_t port[2];
	int r;

	h.verbose = getenv("FUZZ_VERBOSE") != NULL;
	log_init(h.verbose ? LOG_DEBUG : LOG_ERR);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 2; i++)
		h.refuse_fd[i] = reserve_port(&port[i]);
	snprintf(text, sizeof(text), fmt, port[0], port[1], port[1], port[0]);
	r = config_load_string(text, "fuzz-http", &h.config, &errors);
	if (r >= 0)
		r = auth_parse(tokens, sizeof(tokens) - 1, "fuzz-http tokens", &h.auth, &errors);
	if (r < 0) {
		fprintf(stderr, "fuzz-http: the harness's configuration:\n%s", errors);
		abort();
	}
	o = (struct http_options){
		.listen_fd = -1,
		.addr = (const struct sockaddr *)&h.config->listen_addr,
		.addrlen = h.config->listen_addrlen,
		.max_connections = h.config->max_connections,
		.max_connections_per_ip = h.config->max_connections_per_ip,
		.connection_timeout_s = (unsigned)(h.config->connection_timeout_usec / 1000000),
		.body_max = h.config->body_max,
		.url_max = h.config->url_max,
		.header_max = h.config->header_max,
		.request_deadline_usec = h.config->request_deadline_usec,
		.suspend_timeout_usec = h.config->request_timeout_usec + 1000000,
		.answers = errors_http_answers(),
	};
	if (loop_new(&h.loop) < 0 || http_new(h.loop, &o, handle, NULL, &h.http) < 0) {
		fprintf(stderr, "fuzz-http: cannot start the server\n");
		abort();
	}
	atexit(teardown);
}

static void keep(struct exchange *x, const char *buf, size_t n)
{
	if (x->len + n > ANSWER_KEEP) {
		n = ANSWER_KEEP - x->len;
		x->truncated = true;
	}
	memcpy(x->answer + x->len, buf, n);
	x->len += n;
}

static void on_client(struct loop_source *s, int fd, uint32_t revents, void *userdata)
{
	struct exchange *x = userdata;
	uint32_t events;

	if (x->sent < x->size) {
		ssize_t n = send(fd, x->data + x->sent, x->size - x->sent, MSG_NOSIGNAL);

		if (n > 0)
			x->sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			x->sent = x->size; /* the server hung up before reading it all */
	}
	for (;;) {
		char buf[16384];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n > 0) {
			keep(x, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			x->done = true;
		break;
	}
	events = x->done ? 0 : EPOLLIN | (x->sent < x->size ? EPOLLOUT : 0);
	if (events != x->events) {
		x->events = events;
		loop_io_set(s, events ? fd : -1, events);
	}
}

/* --- What came back -------------------------------------------------------- */

static const char *find(const char *s, const char *end, const char *what)
{
	size_t n = strlen(what);

	for (; s + n <= end; s++)
		if (!memcmp(s, what, n))
			return s;
	return NULL;
}

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", c);
}

/*
 * Is s[0..len) well-formed UTF-8 (Unicode's table 3-7: no overlong forms,
 * no surrogates, nothing past U+10FFFF)?  Written out here rather than
 * borrowed from libkasa, whose helper is among what is under test.
 */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			return false;
		}
		if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += n;
	}
	return true;
}

/* A JSON body: one object and a newline, in well-formed UTF-8.  The object,
 * owned, when ret_o is given. */
static void check_json(const struct exchange *x, const char *s, size_t len,
		       struct json_object **ret_o)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;

	if (!tok)
		abort();
	if (len >= 3 && s[len - 1] == '\n')
		o = json_tokener_parse_ex(tok, s, (int)len - 1);
	if (!json_object_is_type(o, json_type_object) || json_tokener_get_parse_end(tok) != len - 1)
		fail(x, "a JSON body that is not one JSON object and a newline");
	/* json-c lets bytes that are not UTF-8 through; RFC 8259 8.1 does not. */
	if (!utf8_valid((const unsigned char *)s, len))
		fail(x, "a JSON body that is not well-formed UTF-8");
	if (ret_o)
		*ret_o = o;
	else
		json_object_put(o);
	json_tokener_free(tok);
}

/*
 * kasad's error answers: {"error":CODE,"message":TEXT,...}.  A request
 * whose framing cannot be trusted (bad_framing, not_implemented) is
 * refused with its connection: whatever follows its head may be a
 * smuggled request.
 */
static void check_error(const struct exchange *x, struct json_object *o, bool close)
{
	struct json_object *code, *message;
	const char *c;

	if (!json_object_object_get_ex(o, "error", &code) ||
	    !json_object_is_type(code, json_type_string) ||
	    !json_object_object_get_ex(o, "message", &message) ||
	    !json_object_is_type(message, json_type_string) || !*json_object_get_string(message))
		fail(x, "an error answer without an error code and a message");
	c = json_object_get_string(code);
	if ((!strcmp(c, "bad_framing") || !strcmp(c, "not_implemented")) && !close)
		fail(x, "a request refused for its framing, and its connection kept");
}

/* Server-Sent Events: every whole line is blank, a comment, or a field
 * kasad sends, and the data of each event is a JSON object. */
static void check_events(const struct exchange *x, const char *s, size_t len)
{
	const char *end = s + len, *nl;

	for (; (nl = memchr(s, '\n', (size_t)(end - s))); s = nl + 1) {
		size_t n = (size_t)(nl - s);
		char line[EVENTS_LINE_MAX + 2];

		if (n == 0 || s[0] == ':')
			continue;
		if (n > EVENTS_LINE_MAX)
			fail(x, "an event line longer than any kasad sends");
		if (n > 6 && !memcmp(s, "data: ", 6)) {
			memcpy(line, s + 6, n - 6);
			line[n - 6] = '\n';
			check_json(x, line, n - 5, NULL);
		} else if (!(n > 7 && !memcmp(s, "event: ", 7)) &&
			   !(n > 7 && !memcmp(s, "retry: ", 7)) &&
			   !(n > 4 && !memcmp(s, "id: ", 4))) {
			fail(x, "an event line that is no field of Server-Sent Events");
		}
	}
}

/*
 * A chunked body at s.  It ends with a chunk of size 0, or (an event
 * stream, which ends when the connection does) at the end of the answer
 * after a whole chunk.  Returns where the next response starts, or NULL.
 */
static const char *check_chunked(const struct exchange *x, const char *s, const char *end,
				 bool events)
{
	char *body = NULL;
	size_t len = 0;

	for (;;) {
		const char *crlf = find(s, end, "\r\n");
		unsigned long long size;
		char *hex_end, *b;

		if (s == end && events)
			break;
		if (!crlf) {
			if (x->truncated)
				break;
			fail(x, "a chunked body cut inside a chunk's size");
		}
		size = strtoull(s, &hex_end, 16);
		if (hex_end == s || hex_end != crlf)
			fail(x, "a chunk's size that is not a hex number");
		s = crlf + 2;
		if (size == 0) {
			if (end - s < 2 || memcmp(s, "\r\n", 2))
				fail(x, "a chunked body without its last CRLF");
			s += 2;
			break;
		}
		if ((unsigned long long)(end - s) < size + 2) {
			if (x->truncated)
				break;
			fail(x, "a chunked body cut inside a chunk");
		}
		if (memcmp(s + size, "\r\n", 2))
			fail(x, "a chunk not followed by CRLF");
		b = realloc(body, len + size);
		if (!b)
			abort();
		body = b;
		memcpy(body + len, s, size);
		len += size;
		s += size + 2;
	}
	if (events)
		check_events(x, body, len);
	free(body);
	return s < end ? s : NULL;
}

/* What check_answer() needs to know of a response once it is checked. */
struct response {
	const char *start;
	size_t head_len; /* the status line and the headers */
	bool close;	 /* it said Connection: close */
	bool bodiless;	 /* another response followed its head at once */
};

/*
 * One response at s: a status line, header lines, a blank line, and the
 * body its Content-Length says, its chunks, or the rest with Connection:
 * close (none for 1xx, 204, 304, or an answer to HEAD, which is recognised
 * by the next response following at once).  Returns where the next
 * response starts, or NULL at a cut-off end.
 */
static const char *check_response(const struct exchange *x, const char *s, const char *end,
				  struct response *ret)
{
	const char *eoh = find(s, end, "\r\n\r\n"), *line, *body;
	unsigned status;
	long long length = -1;
	bool json = false, events = false, chunked = false, close = false;

	*ret = (struct response){.start = s};
	if (!eoh) {
		if (x->truncated)
			return NULL;
		fail(x, "a response without the end of its header");
	}
	if (eoh - s < 12 || memcmp(s, "HTTP/1.", 7) || (s[7] != '0' && s[7] != '1') ||
	    s[8] != ' ' || s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' ||
	    s[11] > '9' || (s[12] != ' ' && s[12] != '\r'))
		fail(x, "a response that does not start with a status line");
	status = (unsigned)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));

	line = find(s, eoh + 2, "\r\n") + 2;
	while (line < eoh + 2) {
		const char *nl = find(line, eoh + 2, "\r\n");
		const char *colon = memchr(line, ':', (size_t)(nl - line));

		if (!colon || colon == line)
			fail(x, "a header line without a name");
		for (const char *c = line; c < colon; c++)
			if (!is_token_char(*c))
				fail(x, "a header name with a character HTTP does not allow");
		for (const char *c = colon + 1; c < nl; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				fail(x, "a control character in a header value");
		if (colon - line == 14 && !strncasecmp(line, "Content-Length", 14))
			length = strtoll(colon + 1, NULL, 10);
		if (colon - line == 12 && !strncasecmp(line, "Content-Type", 12)) {
			json = find(colon + 1, nl, "application/json") != NULL;
			events = find(colon + 1, nl, "text/event-stream") != NULL;
		}
		if (colon - line == 10 && !strncasecmp(line, "Connection", 10))
			close = find(colon + 1, nl, "close") != NULL;
		if (colon - line == 17 && !strncasecmp(line, "Transfer-Encoding", 17)) {
			if (!find(colon + 1, nl, "chunked"))
				fail(x, "a Transfer-Encoding other than chunked");
			chunked = true;
		}
		line = nl + 2;
	}
	ret->head_len = (size_t)(eoh - s);
	ret->close = close;

	body = eoh + 4;
	if (status < 200 || status == 204 || status == 304)
		return body;
	if (chunked && length >= 0)
		fail(x, "both Content-Length and chunks");
	/* Else the body ends where the connection does (an event stream to an
	 * HTTP/1.0 client, which knows no chunks). */
	if (!chunked && length < 0 && !close)
		fail(x, "a response with neither Content-Length, chunks nor Connection: close");
	/*
	 * The answer to HEAD.  This also lets through a defect of libmicrohttpd
	 * 0.9.75, not ours to fix: its 400 for a malformed Content-Length sends
	 * the header block twice (corpus/http/bad-length).
	 */
	if (body == end || (end - body >= 7 && !memcmp(body, "HTTP/1.", 7))) {
		ret->bodiless = body != end;
		return body;
	}
	if (chunked)
		return check_chunked(x, body, end, events);
	if (length < 0) {
		if (events)
			check_events(x, body, (size_t)(end - body));
		return NULL;
	}
	if (end - body < length) {
		if (x->truncated)
			return NULL;
		fail(x, "a body shorter than its Content-Length");
	}
	if (json) {
		struct json_object *o;

		check_json(x, body, (size_t)length, &o);
		if (status >= 400)
			check_error(x, o, close);
		json_object_put(o);
	}
	return body + length;
}

static void check_answer(const struct exchange *x)
{
	const char *s = x->answer, *end = x->answer + x->len;
	struct response prev = {0}, r;

	while (s && s < end) {
		const char *next = check_response(x, s, end, &r);

		/*
		 * Nothing after an answer that closes the connection: a request
		 * hidden after a refused one must not be answered.  Save the
		 * header block that libmicrohttpd 0.9.75 sends twice (see
		 * above), the same status and length, the Date aside.
		 */
		if (prev.close && !(prev.bodiless && r.head_len == prev.head_len &&
				    !memcmp(r.start, prev.start, 12)))
			fail(x, "an answer after one that said Connection: close");
		prev = r;
		s = next;
	}
}

/* --- One input ------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sockaddr_in client = {
		.sin_family = AF_INET,
		.sin_port = htons(40000),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct exchange x = {.data = data, .size = size, .events = EPOLLIN | EPOLLOUT};
	struct registry *reg = NULL;
	struct loop_source *src = NULL;
	struct service_settings service_set;
	struct service *svc = NULL;
	struct api_settings set;
	uint64_t deadline, fds_before;
	int fd[2];

	if (!h.loop)
		setup();
	/* Compared with what is open afterwards (not with the first input's:
	 * libFuzzer's leak check may leave a pipe of its own between inputs). */
	fds_before = open_fds();
	set = server_api_settings(h.config, h.auth);
	service_set = server_service_settings(h.config);
	if (registry_new(h.loop, &reg) < 0 || registry_apply(reg, h.config, NULL) < 0 ||
	    service_new(h.loop, reg, &service_set, &svc) < 0 ||
	    api_new(h.loop, svc, &set, &h.api) < 0)
		abort();
	x.answer = malloc(ANSWER_KEEP);
	if (!x.answer || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) < 0)
		abort();
	if (loop_io_add(h.loop, fd[0], x.events, on_client, &x, &src) < 0)
		abort();
	if (http_add_connection(h.http, fd[1], (const struct sockaddr *)&client, sizeof(client)) <
	    0)
		fail(&x, "the server did not take the connection");

	/*
	 * Until the input is written and the loop has nothing left to do; only
	 * then the end of the input.  libmicrohttpd watches its sockets edge-
	 * triggered and misses an end that came with the last bytes it read:
	 * an incomplete request would then wait for the connection timeout.
	 */
	deadline = kasa_now_usec() + ANSWER_WITHIN_USEC;
	while (!x.done) {
		uint64_t now = kasa_now_usec();
		int r;

		if (now >= deadline)
			fail(&x, "the server neither answered nor closed in time");
		r = loop_iterate(h.loop, x.sent < x.size || x.shut ? deadline - now : 0);
		if (r < 0)
			abort();
		if (r == 0 && x.sent == x.size && !x.shut) {
			shutdown(fd[0], SHUT_WR);
			x.shut = true;
		}
	}
	loop_source_free(src);
	close(fd[0]);
	if (h.verbose) {
		print_escaped("request", x.data, x.size);
		print_escaped("answer", x.answer, x.len);
	}
	check_answer(&x);
	if (http_active(h.http) != 0)
		fail(&x, "a request is still active after the connection closed");

	api_free(h.api);
	h.api = NULL;
	service_free(svc);
	registry_free(reg);
	if (open_fds() != fds_before) {
		print_fds(fds_before);
		fail(&x, "a descriptor stayed open");
	}
	free(x.answer);
	return 0;
}
