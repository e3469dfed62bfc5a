/* SPDX-License-Identifier: MIT */
/*
 * KLAP over HTTP: the session of klap.c with libcurl moving the bytes, as a
 * state machine an event loop drives through one descriptor, its events and
 * a deadline (the shape of conn.c).
 *
 * libcurl's multi interface runs it: one multi handle with one easy handle,
 * added for each POST and removed when it is done, so that the connection
 * stays in the multi handle's cache (one, at most) for the next one.  Its
 * socket callback says which socket to watch for what, its timer callback
 * when to call it anyway; process() hands both back to
 * curl_multi_socket_action() and reads what ended.  One address, one
 * connection, one transfer at a time: libcurl watches one socket at most.
 *
 * The phases of a request: handshake 1 and 2 when the session is missing
 * or old, then the request; a request the device answers 403 drops the
 * session and goes round once more.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/strbuf.h"
#include "kasa-private.h"

/* Headers of one answer, all told; the Set-Cookie lines kept, each cut to
 * fit (a session id is at most KASA_KLAP_SESSION_ID_MAX). */
#define HEADERS_MAX	 (16 * 1024)
#define COOKIE_LINES_MAX 8
#define COOKIE_LINE_MAX	 (KASA_KLAP_SESSION_ID_MAX + 128)
/* "http://[" v6 "%25" scope "]:" port; then a path. */
#define BASE_MAX (8 + INET6_ADDRSTRLEN + 3 + 10 + 2 + 5 + 1)
/* libcurl timers due at once, run in one process() before the loop's turn. */
#define TIMER_ROUNDS 8

enum phase {
	PHASE_IDLE,
	PHASE_HANDSHAKE1,
	PHASE_HANDSHAKE2,
	PHASE_REQUEST,
};

struct kasa_klap_conn {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	char base[BASE_MAX];
	enum kasa_klap_proto proto;
	struct kasa_klap_client *client;
	char *user; /* the account's, for messages; NULL when none */

	/* What libcurl asked for. */
	curl_socket_t sock;
	uint32_t events;
	uint64_t timer;	  /* absolute; 0: none, 1: at once */
	bool two_sockets; /* it wanted a second one: never with one address */

	/* The request in flight. */
	enum phase phase;
	bool attached; /* easy is in multi */
	uint64_t deadline;
	char *json;
	size_t json_len;
	uint8_t *post; /* the body being sent, owned */
	size_t post_len;
	bool rehandshaked; /* the one new session after a drop is spent */
	int cb_error;	   /* a callback's refusal: -EMSGSIZE */
	struct strbuf in;
	size_t header_bytes;
	char cookies[COOKIE_LINES_MAX][COOKIE_LINE_MAX];
	size_t n_cookies;

	/* The session. */
	char session_id[KASA_KLAP_SESSION_ID_MAX];
	uint64_t handshake_usec;
	int64_t timeout_s;
	bool matched;
	enum kasa_klap_cred cred;
	enum kasa_klap_version version;

	char *reply;
	size_t reply_len;
};

/* --- libcurl's callbacks ------------------------------------------------- */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userdata, void *socketp)
{
	struct kasa_klap_conn *c = userdata;

	if (what == CURL_POLL_REMOVE) {
		if (s == c->sock) {
			c->sock = CURL_SOCKET_BAD;
			c->events = 0;
		}
		return 0;
	}
	if (c->sock != CURL_SOCKET_BAD && c->sock != s) {
		c->two_sockets = true;
		return 0;
	}
	c->sock = s;
	c->events = (what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userdata)
{
	struct kasa_klap_conn *c = userdata;

	if (timeout_ms < 0)
		c->timer = 0;
	else if (timeout_ms == 0)
		c->timer = 1;
	else
		c->timer = kasa_now_usec() + (uint64_t)timeout_ms * USEC_PER_MSEC;
	return 0;
}

/* The body, up to its cap: past it the transfer fails (CURLE_WRITE_ERROR). */
static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct kasa_klap_conn *c = userdata;

	if (strbuf_append(&c->in, data, n) < 0) {
		c->cb_error = c->in.error;
		return 0;
	}
	return n;
}

static bool header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* Each header line as it comes (a status line starts an answer afresh);
 * the Set-Cookie values kept for handshake 1. */
static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
	struct kasa_klap_conn *c = userdata;
	const char *v;
	size_t vlen;

	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		c->header_bytes = 0;
		c->n_cookies = 0;
	}
	c->header_bytes += n;
	if (c->header_bytes > HEADERS_MAX) {
		c->cb_error = -EMSGSIZE;
		return 0;
	}
	if (!header_is(line, n, "Set-Cookie"))
		return n;
	v = line + strlen("Set-Cookie:");
	vlen = n - strlen("Set-Cookie:");
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
		vlen--;
	if (c->n_cookies == COOKIE_LINES_MAX || vlen >= COOKIE_LINE_MAX) {
		c->cb_error = -EMSGSIZE;
		return 0;
	}
	memcpy(c->cookies[c->n_cookies], v, vlen);
	c->cookies[c->n_cookies][vlen] = '\0';
	c->n_cookies++;
	return n;
}

/* Descriptors that do not leak into a program the caller executes. */
static curl_socket_t on_open_socket(void *userdata, curlsocktype purpose, struct curl_sockaddr *a)
{
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* --- Handles -------------------------------------------------------------- */

static CURLM *multi_new(struct kasa_klap_conn *c)
{
	CURLM *m = curl_multi_init();

	if (!m)
		return NULL;
	/* One kept connection; HTTP/1.1 without pipelining. */
	if (curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 1L) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 1L) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING) != CURLM_OK) {
		curl_multi_cleanup(m);
		return NULL;
	}
	return m;
}

/*
 * What every POST shares.  The address is in the URL (no name to resolve),
 * no proxy whatever the environment says, no redirects, HTTP alone, a cap
 * on the body (also when the device announces it), only our own headers:
 * Content-Type as python-kasa sends it, no "Expect: 100-continue" (libcurl
 * would wait for it on bodies over 1 KiB), and the one cookie set per
 * phase (the cookie engine stays off: TIMEOUT is never sent back).
 */
static int easy_setup(struct kasa_klap_conn *c)
{
	CURL *e = c->easy;

	c->headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Expect:");
	if (!c->headers)
		return -ENOMEM;
	if (curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)KASA_KLAP_BODY_MAX) !=
		    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, c) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c) != CURLE_OK)
		return -ENOMEM;
	return 0;
}

/* "http://1.2.3.4:80", "http://[fe80::1%252]:80". */
static int base_url(const struct sockaddr *addr, socklen_t addrlen, char base[BASE_MAX])
{
	char text[INET6_ADDRSTRLEN];
	int n;

	if (addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;

		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		n = snprintf(base, BASE_MAX, "http://%s:%u", text, ntohs(sin->sin_port));
	} else if (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;

		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
		if (sin6->sin6_scope_id)
			n = snprintf(base, BASE_MAX, "http://[%s%%25%u]:%u", text,
				     (unsigned)sin6->sin6_scope_id, ntohs(sin6->sin6_port));
		else
			n = snprintf(base, BASE_MAX, "http://[%s]:%u", text,
				     ntohs(sin6->sin6_port));
	} else {
		return -EAFNOSUPPORT;
	}
	return n > 0 && n < BASE_MAX ? 0 : -EINVAL;
}

KASA_EXPORT int kasa_klap_conn_new_account(const struct sockaddr *addr, socklen_t addrlen,
					   enum kasa_klap_proto proto, unsigned versions,
					   const struct kasa_klap_account *account,
					   struct kasa_klap_conn **ret_conn)
{
	struct kasa_klap_conn *c;
	int r;

	if (!addr || !ret_conn)
		return -EINVAL;
	if (proto == KASA_KLAP_PROTO_SMART) {
		/* SMART is carried over v2 alone. */
		if (!(versions & KASA_KLAP_V2))
			return -EINVAL;
		versions &= KASA_KLAP_V2;
	} else if (proto != KASA_KLAP_PROTO_IOT) {
		return -EINVAL;
	}
	/* Refcounted and, in libcurl >= 7.84, thread-safe: once per process in
	 * effect.  Never undone here: the program may use libcurl too. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sock = CURL_SOCKET_BAD;
	c->proto = proto;
	c->in = (struct strbuf)STRBUF_INIT(KASA_KLAP_BODY_MAX);
	r = base_url(addr, addrlen, c->base);
	if (r >= 0)
		r = kasa_klap_client_new_account(account, versions, &c->client);
	if (r >= 0 && account) {
		c->user = strndup(account->user, sizeof(account->user) - 1);
		if (!c->user)
			r = -ENOMEM;
	}
	if (r >= 0) {
		c->multi = multi_new(c);
		c->easy = curl_easy_init();
		r = c->multi && c->easy ? easy_setup(c) : -ENOMEM;
	}
	if (r < 0) {
		kasa_klap_conn_free(c);
		return r;
	}
	*ret_conn = c;
	return 0;
}

KASA_EXPORT int kasa_klap_conn_new(const struct sockaddr *addr, socklen_t addrlen,
				   enum kasa_klap_proto proto, unsigned versions, const char *user,
				   const char *password, struct kasa_klap_conn **ret_conn)
{
	struct kasa_klap_account a;
	int r;

	if (!user != !password)
		return -EINVAL;
	if (!user)
		return kasa_klap_conn_new_account(addr, addrlen, proto, versions, NULL, ret_conn);
	r = kasa_klap_account_set(&a, user, password);
	if (r >= 0)
		r = kasa_klap_conn_new_account(addr, addrlen, proto, versions, &a, ret_conn);
	explicit_bzero(&a, sizeof(a));
	return r;
}

/* Take the easy handle out of the multi: a transfer not done closes its
 * connection. */
static void detach(struct kasa_klap_conn *c)
{
	if (c->attached)
		curl_multi_remove_handle(c->multi, c->easy);
	c->attached = false;
}

/* End the request in flight (keeping the reply, if any). */
static void finish(struct kasa_klap_conn *c)
{
	detach(c);
	c->phase = PHASE_IDLE;
	c->deadline = 0;
	if (c->json)
		explicit_bzero(c->json, c->json_len); /* may carry a secret */
	free(c->json);
	c->json = NULL;
	free(c->post);
	c->post = NULL;
	strbuf_free(&c->in);
	c->n_cookies = 0;
}

static int fail(struct kasa_klap_conn *c, int err)
{
	finish(c);
	return err;
}

KASA_EXPORT void kasa_klap_conn_free(struct kasa_klap_conn *c)
{
	if (!c)
		return;
	finish(c);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	kasa_klap_client_free(c->client);
	free(c->reply);
	free(c->user);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

KASA_EXPORT void kasa_klap_conn_close(struct kasa_klap_conn *c)
{
	if (!c)
		return;
	finish(c);
	/* The cache goes with the multi handle; a new one starts empty (or,
	 * short of memory, at the next start). */
	if (c->multi)
		curl_multi_cleanup(c->multi);
	c->multi = multi_new(c);
	c->sock = CURL_SOCKET_BAD;
	c->events = 0;
	c->timer = 0;
	c->two_sockets = false;
}

/* --- Getters --------------------------------------------------------------- */

KASA_EXPORT int kasa_klap_conn_fd(const struct kasa_klap_conn *c)
{
	return c->phase != PHASE_IDLE ? (int)c->sock : -1;
}

KASA_EXPORT uint32_t kasa_klap_conn_events(const struct kasa_klap_conn *c)
{
	return c->phase != PHASE_IDLE && c->sock != CURL_SOCKET_BAD ? c->events : 0;
}

KASA_EXPORT uint64_t kasa_klap_conn_deadline(const struct kasa_klap_conn *c)
{
	if (c->phase == PHASE_IDLE)
		return 0;
	return c->timer && c->timer < c->deadline ? c->timer : c->deadline;
}

KASA_EXPORT bool kasa_klap_conn_busy(const struct kasa_klap_conn *c)
{
	return c->phase != PHASE_IDLE;
}

KASA_EXPORT const char *kasa_klap_conn_reply(const struct kasa_klap_conn *c, size_t *ret_len)
{
	if (ret_len)
		*ret_len = c->reply ? c->reply_len : 0;
	return c->reply;
}

KASA_EXPORT const char *kasa_klap_conn_user(const struct kasa_klap_conn *c)
{
	return c->user;
}

KASA_EXPORT int kasa_klap_conn_matched(const struct kasa_klap_conn *c,
				       enum kasa_klap_cred *ret_cred,
				       enum kasa_klap_version *ret_version)
{
	if (!c->matched)
		return -ENOTCONN;
	if (ret_cred)
		*ret_cred = c->cred;
	if (ret_version)
		*ret_version = c->version;
	return 0;
}

/* --- The phases ------------------------------------------------------------ */

/* POST body (owned from here on) to path, with the session's cookie or none. */
static int post(struct kasa_klap_conn *c, enum phase phase, const char *path, uint8_t *body,
		size_t len, bool cookie)
{
	char url[BASE_MAX + KASA_KLAP_PATH_MAX];
	char cookie_text[sizeof("TP_SESSIONID=") + KASA_KLAP_SESSION_ID_MAX];
	CURL *e = c->easy;

	free(c->post);
	c->post = body;
	c->post_len = len;
	c->phase = phase;
	strbuf_free(&c->in);
	c->cb_error = 0;
	c->header_bytes = 0;
	c->n_cookies = 0;
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	snprintf(cookie_text, sizeof(cookie_text), "TP_SESSIONID=%s", c->session_id);
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)c->post) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_COOKIE, cookie ? cookie_text : NULL) != CURLE_OK)
		return -ENOMEM;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		return -ENOMEM;
	c->attached = true;
	return 0;
}

static int handshake1(struct kasa_klap_conn *c)
{
	uint8_t *body = malloc(KASA_KLAP_SEED_LEN);
	int r;

	if (!body)
		return -ENOMEM;
	r = kasa_klap_client_handshake1(c->client, NULL, body);
	if (r < 0) {
		free(body);
		return r;
	}
	c->session_id[0] = '\0';
	return post(c, PHASE_HANDSHAKE1, "/app/handshake1", body, KASA_KLAP_SEED_LEN, false);
}

static int request(struct kasa_klap_conn *c)
{
	char path[KASA_KLAP_PATH_MAX];
	uint8_t *body;
	size_t len;
	int r;

	r = kasa_klap_client_seal(c->client, c->json, c->json_len, path, &body, &len);
	if (r < 0)
		return r;
	return post(c, PHASE_REQUEST, path, body, len, true);
}

/* Handshake 1 answered 200: the cookie, the credential, then handshake 2. */
static int on_handshake1(struct kasa_klap_conn *c, uint64_t now)
{
	const char *lines[COOKIE_LINES_MAX];
	struct kasa_klap_cookie cookie;
	uint8_t *body;
	int r;

	for (size_t i = 0; i < c->n_cookies; i++)
		lines[i] = c->cookies[i];
	r = kasa_klap_cookie_parse(lines, c->n_cookies, &cookie);
	if (r < 0)
		return r;
	if (!cookie.session_id[0])
		return -EPROTO;
	body = malloc(KASA_KLAP_HANDSHAKE2_LEN);
	if (!body)
		return -ENOMEM;
	r = kasa_klap_client_handshake2(c->client, c->in.s, c->in.len, body, &c->cred, &c->version);
	if (r < 0) {
		free(body);
		return r;
	}
	c->matched = true;
	memcpy(c->session_id, cookie.session_id, sizeof(c->session_id));
	c->handshake_usec = now;
	c->timeout_s = cookie.timeout_s;
	return post(c, PHASE_HANDSHAKE2, "/app/handshake2", body, KASA_KLAP_HANDSHAKE2_LEN, true);
}

/* The device dropped the session: one new handshake, then the request again. */
static int on_dropped(struct kasa_klap_conn *c)
{
	kasa_klap_client_reset(c->client);
	if (c->rehandshaked)
		return -EKEYEXPIRED;
	c->rehandshaked = true;
	return handshake1(c);
}

/* In SMART, whether error_code says the session is over. */
static int smart_session_over(const char *json, size_t len)
{
	struct json_object *reply, *code;
	bool over = false;

	if (kasa_reply_parse(json, len, &reply) < 0)
		return -EBADMSG;
	if (json_object_object_get_ex(reply, "error_code", &code) &&
	    json_object_is_type(code, json_type_int))
		over = kasa_smart_errno(json_object_get_int(code)) == -EKEYEXPIRED;
	json_object_put(reply);
	return over;
}

/* The request answered 200: open it. */
static int on_answer(struct kasa_klap_conn *c)
{
	char *json;
	size_t len;
	int r;

	r = kasa_klap_client_open(c->client, c->in.s, c->in.len, &json, &len);
	if (r < 0) {
		/* Keys that do not open the answer are no use for the next one. */
		kasa_klap_client_reset(c->client);
		return r;
	}
	if (c->proto == KASA_KLAP_PROTO_SMART) {
		r = smart_session_over(json, len);
		if (r != 0) {
			free(json);
			return r > 0 ? on_dropped(c) : r;
		}
	}
	free(c->reply);
	c->reply = json;
	c->reply_len = len;
	return 1;
}

/* A failed transfer's -errno: the socket's own where it has one. */
static int transfer_errno(struct kasa_klap_conn *c, CURLcode code)
{
	long os = 0;

	if (c->cb_error)
		return c->cb_error;
	curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os);
	switch (code) {
	case CURLE_COULDNT_CONNECT:
		return os > 0 ? (int)-os : -ECONNREFUSED;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return os > 0 && os != EPIPE ? (int)-os : -ECONNRESET;
	case CURLE_GOT_NOTHING:
		return -ECONNRESET;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return -EMSGSIZE;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		/* A truncated body, an answer that is not HTTP, ... */
		return -EPROTO;
	}
}

/* A transfer ended: 0 when the next phase is under way, 1 when the answer
 * is in, or -errno. */
static int on_done(struct kasa_klap_conn *c, CURLcode code, uint64_t now)
{
	long status = 0;

	if (code != CURLE_OK || c->cb_error)
		return transfer_errno(c, code);
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	detach(c);
	switch (c->phase) {
	case PHASE_IDLE:
		break;
	case PHASE_HANDSHAKE1:
		/* Newer firmware answers 403 to local clients until the app's
		 * Third-Party Compatibility switch lets them in. */
		if (status == 403)
			return -EPERM;
		if (status != 200)
			return -EPROTO;
		return on_handshake1(c, now);
	case PHASE_HANDSHAKE2: {
		int r;

		if (status != 200)
			return -EPROTO;
		r = kasa_klap_client_established(c->client, c->handshake_usec, c->timeout_s);
		return r < 0 ? r : request(c);
	}
	case PHASE_REQUEST:
		if (status == 403)
			return on_dropped(c);
		if (status != 200)
			return -EPROTO;
		return on_answer(c);
	}
	return -EINVAL;
}

/* Let libcurl act on a socket (or its timer), then take what ended. */
static int drive(struct kasa_klap_conn *c, curl_socket_t s, int mask, uint64_t now)
{
	CURLMcode m;
	CURLMsg *msg;
	int running, left;

	m = curl_multi_socket_action(c->multi, s, mask, &running);
	if (m != CURLM_OK)
		return m == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		int r;

		if (msg->msg != CURLMSG_DONE || msg->easy_handle != c->easy)
			continue;
		r = on_done(c, msg->data.result, now);
		if (r != 0)
			return r;
	}
	/* One address, one connection: a second socket is out of the contract
	 * (the loop could not watch it). */
	return c->two_sockets ? -EIO : 0;
}

/* libcurl's timers that are due, a few rounds at most. */
static int run_timers(struct kasa_klap_conn *c, uint64_t now)
{
	for (int i = 0; i < TIMER_ROUNDS && c->phase != PHASE_IDLE; i++) {
		int r;

		if (!c->timer || c->timer > now)
			return 0;
		c->timer = 0;
		r = drive(c, CURL_SOCKET_TIMEOUT, 0, now);
		if (r != 0)
			return r;
	}
	return 0;
}

KASA_EXPORT int kasa_klap_conn_start(struct kasa_klap_conn *c, const char *json, size_t len,
				     uint64_t now_usec, uint64_t timeout_usec)
{
	int r;

	if (!c || !json)
		return -EINVAL;
	if (c->phase != PHASE_IDLE)
		return -EBUSY;
	if (len > KASA_KLAP_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (!c->multi) {
		c->multi = multi_new(c);
		if (!c->multi)
			return -ENOMEM;
	}
	c->json = malloc(len + 1);
	if (!c->json)
		return -ENOMEM;
	memcpy(c->json, json, len);
	c->json[len] = '\0';
	c->json_len = len;
	free(c->reply);
	c->reply = NULL;
	c->rehandshaked = false;
	c->two_sockets = false;
	c->deadline = now_usec + (timeout_usec ? timeout_usec : 1);

	/* Nothing moves yet: adding the transfer set libcurl's timer to now,
	 * and the loop's first process() starts it. */
	if (kasa_klap_client_expired(c->client, now_usec))
		r = handshake1(c);
	else
		r = request(c);
	return r < 0 ? fail(c, r) : 0;
}

static int curl_mask(uint32_t revents, uint32_t wanted)
{
	int mask = 0;

	if (revents & POLLIN)
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	/* An error or hang-up: let libcurl try what it waited for, and see. */
	if (revents & (POLLERR | POLLHUP)) {
		mask |= CURL_CSELECT_ERR;
		if (wanted & POLLIN)
			mask |= CURL_CSELECT_IN;
		if (wanted & POLLOUT)
			mask |= CURL_CSELECT_OUT;
	}
	return mask;
}

KASA_EXPORT int kasa_klap_conn_process(struct kasa_klap_conn *c, uint32_t revents,
				       uint64_t now_usec)
{
	int r = 0;

	if (c->phase == PHASE_IDLE)
		return -EINVAL;
	if (revents && c->sock != CURL_SOCKET_BAD)
		r = drive(c, c->sock, curl_mask(revents, c->events), now_usec);
	if (r == 0)
		r = run_timers(c, now_usec);
	if (r == 1) {
		finish(c);
		return 1;
	}
	if (r < 0)
		return fail(c, r);
	if (now_usec >= c->deadline)
		return fail(c, -ETIMEDOUT);
	return 0;
}
