/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu's KLAP devices, driven as a black box (emu-util.h) over real TCP
 * with a small HTTP/1.1 client (below) and libkasa's KLAP client: the
 * handshakes with each kind of credential, IOT JSON over KLAP v1 and v2,
 * the SMART models, what the device refuses and with which status,
 * session=, the fault modes on HTTP, and the discovery of KLAP firmware.
 */
#include <poll.h>
#include <strings.h>

#include "common/crc32.h"
#include "emu-util.h"

#define USER	 "user@example.com"
#define PASSWORD "secret"
/* An answer's head and body, at most; every test answer is far smaller. */
#define HEAD_MAX 8192
#define BODY_MAX (256 * 1024)

/* --- A small HTTP/1.1 client ---------------------------------------------- */

struct http {
	int fd;
	uint8_t buf[16384]; /* read ahead */
	size_t off, len;
	unsigned reads; /* recv calls that returned data */
};

struct answer {
	int status;	  /* the status code; -errno when no head came */
	char cookie[256]; /* the first Set-Cookie's value, "" none */
	unsigned ncookies;
	bool has_length;
	uint64_t length;
	bool close;    /* Connection: close */
	uint8_t *body; /* owned; what came of the body */
	size_t len;
	int end; /* how reading the body ended: 0 whole, 1 EOF, -errno */
};

static void answer_free(struct answer *a)
{
	free(a->body);
	a->body = NULL;
}

static void http_open(struct http *h, uint16_t port)
{
	memset(h, 0, sizeof(*h));
	h->fd = tcp_connect(port);
	ck_assert_int_ge(h->fd, 0);
}

static void http_close(struct http *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

/* More bytes into the read-ahead: > 0, 0 at EOF, or -errno (the socket's
 * receive timeout bounds the wait). */
static int http_fill(struct http *h)
{
	ssize_t n;

	if (h->off > 0) {
		memmove(h->buf, h->buf + h->off, h->len - h->off);
		h->len -= h->off;
		h->off = 0;
	}
	if (h->len == sizeof(h->buf))
		return -ENOBUFS;
	do
		n = recv(h->fd, h->buf + h->len, sizeof(h->buf) - h->len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n > 0) {
		h->reads++;
		h->len += (size_t)n;
	}
	return (int)n;
}

static void send_post(int fd, const char *method, const char *path, const char *cookie,
		      const void *body, size_t len)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: plug\r\n"
			 "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n"
			 "%s%s%s\r\n",
			 method, path, len, cookie ? "Cookie: " : "", cookie ? cookie : "",
			 cookie ? "\r\n" : "");

	ck_assert_int_lt(n, (int)sizeof(head));
	send_all(fd, head, (size_t)n);
	if (len)
		send_all(fd, body, len);
}

/* One header line "Name: value" (without its CRLF) into a. */
static void header(struct answer *a, char *line)
{
	char *colon = strchr(line, ':'), *v;

	if (!colon)
		return;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (!strcasecmp(line, "Content-Length")) {
		a->has_length = true;
		a->length = strtoull(v, NULL, 10);
	} else if (!strcasecmp(line, "Set-Cookie")) {
		if (a->ncookies++ == 0)
			snprintf(a->cookie, sizeof(a->cookie), "%s", v);
	} else if (!strcasecmp(line, "Connection")) {
		a->close = !strcasecmp(v, "close");
	}
}

/* Read one answer: its head, then the body by Content-Length, else to EOF. */
static void http_read(struct http *h, struct answer *a)
{
	char head[HEAD_MAX + 1], *line, *save = NULL;
	uint8_t *end = NULL;
	size_t head_len, want;
	int r = 1;

	memset(a, 0, sizeof(*a));
	for (;;) {
		if (h->len > h->off)
			end = memmem(h->buf + h->off, h->len - h->off, "\r\n\r\n", 4);
		if (end)
			break;
		r = http_fill(h);
		if (r <= 0) {
			a->status = r == 0 ? -ECONNRESET : r;
			return;
		}
	}
	head_len = (size_t)(end - (h->buf + h->off)) + 4;
	ck_assert_uint_le(head_len, HEAD_MAX);
	memcpy(head, h->buf + h->off, head_len);
	head[head_len] = '\0';
	h->off += head_len;
	line = strtok_r(head, "\r\n", &save);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(strncmp(line, "HTTP/1.1 ", 9), 0);
	a->status = atoi(line + 9);
	while ((line = strtok_r(NULL, "\r\n", &save)))
		header(a, line);

	want = a->has_length && a->length < BODY_MAX ? (size_t)a->length : BODY_MAX;
	a->body = malloc(BODY_MAX);
	ck_assert_ptr_nonnull(a->body);
	while (a->len < want) {
		size_t n;

		if (h->off == h->len) {
			r = http_fill(h);
			if (r <= 0) {
				a->end = r == 0 ? 1 : r;
				return;
			}
		}
		n = h->len - h->off;
		if (n > want - a->len)
			n = want - a->len;
		memcpy(a->body + a->len, h->buf + h->off, n);
		h->off += n;
		a->len += n;
	}
}

static void http_post(struct http *h, const char *path, const char *cookie, const void *body,
		      size_t len, struct answer *a)
{
	send_post(h->fd, "POST", path, cookie, body, len);
	http_read(h, a);
}

/* True when nothing at all arrives within ms. */
static bool silent(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 0;
}

/* --- A KLAP session over it ------------------------------------------------- */

struct klap {
	struct http h;
	struct kasa_klap_client *c;
	char cookie[KASA_KLAP_SESSION_ID_MAX + 16]; /* "TP_SESSIONID=.." */
	enum kasa_klap_cred cred;
	enum kasa_klap_version version;
	uint8_t hs2[KASA_KLAP_HANDSHAKE2_LEN]; /* the handshake 2 body, once made */
};

/* Handshake 1, and the cookie it sets; the client checks the device's hash. */
static int klap_handshake1(struct klap *k, uint8_t ret_answer[KASA_KLAP_HANDSHAKE1_LEN])
{
	uint8_t seed[KASA_KLAP_SEED_LEN];
	struct kasa_klap_cookie ck;
	const char *hdr[1];
	struct answer a;

	ck_assert_int_eq(kasa_klap_client_handshake1(k->c, NULL, seed), 0);
	http_post(&k->h, "/app/handshake1", NULL, seed, sizeof(seed), &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_uint_eq(a.len, KASA_KLAP_HANDSHAKE1_LEN);
	ck_assert_uint_eq(a.ncookies, 1);
	/* As tp-link-tapo-connect reads it: the session id, then a ';'. */
	ck_assert_int_eq(strncmp(a.cookie, "TP_SESSIONID=", 13), 0);
	ck_assert_ptr_nonnull(strchr(a.cookie, ';'));
	hdr[0] = a.cookie;
	ck_assert_int_eq(kasa_klap_cookie_parse(hdr, 1, &ck), 0);
	ck_assert_int_eq(ck.timeout_s, KASA_KLAP_TIMEOUT_DEFAULT);
	ck_assert_uint_eq(strlen(ck.session_id), 32);
	snprintf(k->cookie, sizeof(k->cookie), "TP_SESSIONID=%s", ck.session_id);
	memcpy(ret_answer, a.body, KASA_KLAP_HANDSHAKE1_LEN);
	answer_free(&a);
	return 0;
}

/*
 * Connect and handshake with user/password (NULL, NULL: the defaults and
 * blank only) and the versions given.  0, or kasa_klap_client_handshake2()'s
 * error (-EACCES: the device holds none of the credentials tried).
 */
static int klap_open(struct klap *k, uint16_t port, const char *user, const char *password,
		     unsigned versions)
{
	uint8_t hs1[KASA_KLAP_HANDSHAKE1_LEN];
	struct answer a;
	int err;

	memset(k, 0, sizeof(*k));
	http_open(&k->h, port);
	ck_assert_int_eq(kasa_klap_client_new(user, password, versions, &k->c), 0);
	klap_handshake1(k, hs1);
	err = kasa_klap_client_handshake2(k->c, hs1, sizeof(hs1), k->hs2, &k->cred, &k->version);
	if (err < 0)
		return err;
	http_post(&k->h, "/app/handshake2", k->cookie, k->hs2, sizeof(k->hs2), &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_uint_eq(a.len, 0);
	answer_free(&a);
	ck_assert_int_eq(kasa_klap_client_established(k->c, kasa_now_usec(), -1), 0);
	return 0;
}

static void klap_close(struct klap *k)
{
	http_close(&k->h);
	kasa_klap_client_free(k->c);
	k->c = NULL;
}

/* Seal json and post it: the status, and the sealed body and its path kept
 * for the tests that send them again. */
struct sealed {
	char path[KASA_KLAP_PATH_MAX];
	uint8_t *body;
	size_t len;
};

static void klap_seal(struct klap *k, const char *json, struct sealed *s)
{
	ck_assert_int_eq(
		kasa_klap_client_seal(k->c, json, strlen(json), s->path, &s->body, &s->len), 0);
}

/* Post a sealed request; on 200 open the answer into *ret_json (owned). */
static int klap_post(struct klap *k, const struct sealed *s, char **ret_json)
{
	struct answer a;
	int status;

	http_post(&k->h, s->path, k->cookie, s->body, s->len, &a);
	status = a.status;
	if (status == 200 && ret_json) {
		size_t len;

		ck_assert_int_eq(kasa_klap_client_open(k->c, a.body, a.len, ret_json, &len), 0);
		ck_assert_uint_eq(strlen(*ret_json), len);
	}
	answer_free(&a);
	return status;
}

/* One request that must succeed: its answer, parsed. */
static struct json_object *klap_call(struct klap *k, const char *json)
{
	struct sealed s;
	char *text = NULL;
	struct json_object *o;

	klap_seal(k, json, &s);
	ck_assert_int_eq(klap_post(k, &s, &text), 200);
	free(s.body);
	o = parse(text);
	free(text);
	return o;
}

/* The status of one request. */
static int klap_status(struct klap *k, const char *json)
{
	struct sealed s;
	int status;

	klap_seal(k, json, &s);
	status = klap_post(k, &s, NULL);
	free(s.body);
	return status;
}

/* --- IOT JSON over KLAP --------------------------------------------------------- */

static void iot_sysinfo(struct klap *k, struct kasa_sysinfo *si)
{
	struct json_object *r = klap_call(k, sysinfo_req);

	ck_assert_int_eq(kasa_sysinfo_parse(r, si, NULL), 0);
	json_object_put(r);
}

static void iot_relay(struct klap *k, bool on)
{
	char *req;
	struct json_object *r, *res;

	ck_assert_int_eq(kasa_req_relay(NULL, on, &req), 0);
	r = klap_call(k, req);
	ck_assert_int_eq(kasa_reply_result(r, "system", "set_relay_state", &res, NULL), 0);
	json_object_put(r);
	free(req);
}

static int64_t iot_power_mw(struct klap *k)
{
	struct kasa_emeter em;
	struct json_object *r;
	char *req;

	ck_assert_int_eq(kasa_req_emeter_realtime(NULL, &req), 0);
	r = klap_call(k, req);
	ck_assert_int_eq(kasa_emeter_parse(r, &em, NULL), 0);
	json_object_put(r);
	free(req);
	return em.power_mw;
}

START_TEST(test_klap_ready_lines)
{
	struct emu e;
	struct http h;
	struct answer a;
	uint8_t probe[64];
	size_t plen = strlen(sysinfo_req);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct json_object *r;
	int u;

	emu_start(&e, "hs100", "hs110v4,klap=1", "p110", "kp125m", "hs300,klap=2", NULL);
	ck_assert_uint_eq(e.n, 5);
	ck_assert_str_eq(e.dev[0].transport, "");
	ck_assert_str_eq(e.dev[1].transport, "klap1");
	ck_assert_str_eq(e.dev[2].transport, "klap2");
	ck_assert_str_eq(e.dev[3].transport, "klap2");
	ck_assert_str_eq(e.dev[4].transport, "klap2");
	ck_assert_str_eq(e.dev[2].model, "p110");
	ck_assert_ptr_nonnull(strstr(e.ready_text, " klap1\n"));
	ck_assert_uint_eq(e.discovery_port, 0);

	/* The XOR device speaks XOR, the KLAP ones HTTP on the same kind of port. */
	r = call(e.dev[0].port, sysinfo_req);
	ck_assert_str_eq(jstr(r, "system.get_sysinfo.model"), "HS100(US)");
	json_object_put(r);
	http_open(&h, e.dev[1].port);
	http_post(&h, "/app/handshake1", NULL, "0123456789abcdef", 16, &a);
	ck_assert_int_eq(a.status, 200);
	answer_free(&a);
	http_close(&h);

	/* A KLAP device's UDP port does not answer the XOR discovery. */
	ck_assert_uint_le(plen, sizeof(probe));
	memcpy(probe, sysinfo_req, plen);
	kasa_encrypt(probe, plen);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(u, 0);
	to.sin_port = htons(e.dev[1].port);
	ck_assert_int_eq(sendto(u, probe, plen, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)plen);
	ck_assert(silent(u, SILENCE_MS));
	close(u);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_klap_iot_v1)
{
	struct emu e;
	struct klap k;
	struct kasa_sysinfo si;
	struct emu_stat st;

	emu_start(&e, "hs110v4,klap=1,user=" USER ",password=" PASSWORD ",alias=Kettle,power=500",
		  NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, USER, PASSWORD, KASA_KLAP_V1), 0);
	ck_assert_int_eq(k.cred, KASA_KLAP_CRED_GIVEN);
	ck_assert_int_eq(k.version, KASA_KLAP_V1);

	iot_sysinfo(&k, &si);
	ck_assert_str_eq(si.model, "HS110(EU)");
	ck_assert_str_eq(si.alias, "Kettle");
	ck_assert_str_eq(si.device_id, e.dev[0].id);
	ck_assert(si.has_emeter);
	ck_assert(!si.relay_on);
	ck_assert_int_eq(iot_power_mw(&k), 0);

	iot_relay(&k, true);
	iot_sysinfo(&k, &si);
	ck_assert(si.relay_on);
	/* 500 W, with the meter's 2 % of noise. */
	ck_assert_int_gt(iot_power_mw(&k), 480000);
	ck_assert_int_lt(iot_power_mw(&k), 520000);

	iot_relay(&k, false);
	iot_sysinfo(&k, &si);
	ck_assert(!si.relay_on);
	ck_assert_int_eq(iot_power_mw(&k), 0);
	klap_close(&k);

	/* Every request on one kept-alive connection: two handshakes and nine. */
	emu_stop(&e, &st);
	ck_assert_uint_eq(st.connections, 1);
	ck_assert_uint_eq(st.requests, 11);
	ck_assert_uint_eq(st.max_inflight, 1);
}
END_TEST

START_TEST(test_klap_iot_v2_blank)
{
	struct emu e;
	struct klap k;
	struct kasa_sysinfo si;

	/* Never bound to an account: blank credentials, whatever the client has. */
	emu_start(&e, "kp115,klap=2,state=on", "hs300,klap=2", NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, "someone@example.com", "pw", KASA_KLAP_ANY),
			 0);
	ck_assert_int_eq(k.cred, KASA_KLAP_CRED_BLANK);
	ck_assert_int_eq(k.version, KASA_KLAP_V2);
	iot_sysinfo(&k, &si);
	ck_assert_str_eq(si.model, "KP115(US)");
	ck_assert(si.relay_on);
	ck_assert_int_gt(iot_power_mw(&k), 0);
	klap_close(&k);

	/* v1 hashes alone never match a v2 device. */
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V1), -EACCES);
	klap_close(&k);

	/* A strip over KLAP: its outlets, contexts and all. */
	ck_assert_int_eq(klap_open(&k, e.dev[1].port, NULL, NULL, KASA_KLAP_V2), 0);
	iot_sysinfo(&k, &si);
	ck_assert_str_eq(si.model, "HS300(US)");
	ck_assert_uint_eq(si.outlet_count, 6);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

/* --- SMART ------------------------------------------------------------------------- */

static void smart_info(struct klap *k, struct kasa_sysinfo *si)
{
	struct json_object *r;
	char *req;

	ck_assert_int_eq(kasa_smart_req_device_info(NULL, &req), 0);
	r = klap_call(k, req);
	ck_assert_int_eq(kasa_smart_sysinfo_parse(r, si, NULL), 0);
	json_object_put(r);
	free(req);
}

static void smart_switch(struct klap *k, bool on)
{
	struct json_object *r, *res;
	char *req;

	ck_assert_int_eq(kasa_smart_req_device_on(on, NULL, &req), 0);
	r = klap_call(k, req);
	ck_assert_int_eq(kasa_smart_result(r, NULL, &res, NULL), 0);
	json_object_put(r);
	free(req);
}

static void smart_energy(struct klap *k, struct kasa_emeter *em, struct kasa_smart_energy *en)
{
	struct json_object *r;
	char *req;

	ck_assert_int_eq(kasa_smart_req_energy_usage(NULL, &req), 0);
	r = klap_call(k, req);
	ck_assert_int_eq(kasa_smart_energy_parse(r, em, en, NULL), 0);
	json_object_put(r);
	free(req);
}

static double smart_power_w(struct klap *k)
{
	struct kasa_emeter em;
	struct json_object *r;
	char *req;

	ck_assert_int_eq(kasa_smart_req_current_power(NULL, &req), 0);
	r = klap_call(k, req);
	ck_assert_int_eq(kasa_smart_power_parse(r, &em, NULL), 0);
	json_object_put(r);
	free(req);
	return em.power_w;
}

/* The error_code of a single SMART request. */
static int smart_error(struct klap *k, const char *json)
{
	struct json_object *r = klap_call(k, json);
	int code = (int)jint(r, "error_code");

	json_object_put(r);
	return code;
}

START_TEST(test_klap_smart_p110)
{
	struct emu e;
	struct klap k;
	struct kasa_sysinfo si;
	struct kasa_emeter em;
	struct kasa_smart_energy en;
	struct json_object *r, *res;
	char *req;
	int ver;

	emu_start(&e, "p110,user=" USER ",password=" PASSWORD ",alias=Desk Lamp,power=60", NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, USER, PASSWORD, KASA_KLAP_V2), 0);
	ck_assert_int_eq(k.cred, KASA_KLAP_CRED_GIVEN);

	smart_info(&k, &si);
	ck_assert_str_eq(si.model, "P110");
	ck_assert_str_eq(si.type, "SMART.TAPOPLUG");
	ck_assert_str_eq(si.alias, "Desk Lamp");
	ck_assert_str_eq(si.device_id, e.dev[0].id);
	ck_assert(si.has_relay);
	ck_assert(!si.relay_on);
	ck_assert_int_eq(si.on_time, 0);
	/* nickname and ssid on the wire: base64. */
	r = klap_call(&k, "{\"method\":\"get_device_info\"}");
	ck_assert_str_eq(jstr(r, "result.nickname"), "RGVzayBMYW1w");
	ck_assert_str_eq(jstr(r, "result.ssid"), "a2FzYS1lbXU=");
	ck_assert_str_eq(jstr(r, "result.fw_ver"), "1.3.0 Build 230905 Rel.152200");
	json_object_put(r);

	smart_energy(&k, &em, &en);
	ck_assert_int_eq(em.power_mw, 0);
	ck_assert_int_ge(en.today_wh, 0);
	ck_assert_int_ge(en.month_wh, en.today_wh);
	ck_assert_int_ge(en.month_runtime_min, en.today_runtime_min);

	smart_switch(&k, true);
	smart_info(&k, &si);
	ck_assert(si.relay_on);
	smart_energy(&k, &em, &en);
	ck_assert_int_gt(em.power_mw, 58000);
	ck_assert_int_lt(em.power_mw, 62000);
	ck_assert_double_ge(smart_power_w(&k), 58);
	ck_assert_double_le(smart_power_w(&k), 62);
	smart_switch(&k, false);
	smart_info(&k, &si);
	ck_assert(!si.relay_on);
	ck_assert_double_eq(smart_power_w(&k), 0);

	/* component_nego says what get_device_info does not: the meter. */
	ck_assert_int_eq(kasa_smart_req_component_nego(NULL, &req), 0);
	r = klap_call(&k, req);
	free(req);
	ck_assert_int_eq(kasa_smart_component(r, "energy_monitoring", &ver, NULL), 1);
	ck_assert_int_eq(ver, 2);
	ck_assert_int_eq(kasa_smart_component(r, "led", NULL, NULL), 1);
	ck_assert_int_eq(kasa_smart_component(r, "light_strip", NULL, NULL), 0);
	json_object_put(r);

	/* The nickname, in base64 ("Kitchen"), and the LED. */
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"set_device_info\",\"params\":{\"nickname\":"
					 "\"S2l0Y2hlbg==\"}}"),
			 0);
	smart_info(&k, &si);
	ck_assert_str_eq(si.alias, "Kitchen");
	r = klap_call(&k, "{\"method\":\"get_led_info\"}");
	ck_assert_str_eq(jstr(r, "result.led_rule"), "always");
	json_object_put(r);
	ck_assert_int_eq(
		smart_error(&k,
			    "{\"method\":\"set_led_info\",\"params\":{\"led_rule\":\"never\"}}"),
		0);
	r = klap_call(&k, "{\"method\":\"get_led_info\"}");
	ck_assert_str_eq(jstr(r, "result.led_rule"), "never");
	ck_assert(!json_object_get_boolean(jget(r, "result.led_status")));
	json_object_put(r);

	r = klap_call(&k, "{\"method\":\"get_device_time\",\"request_time_milis\":1,"
			  "\"terminal_uuid\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}");
	ck_assert_int_gt(jint(r, "result.timestamp"), 1700000000);
	json_object_put(r);

	/* A batch: each entry in order, with its own error_code. */
	r = klap_call(&k, "{\"method\":\"multipleRequest\",\"params\":{\"requests\":["
			  "{\"method\":\"set_device_info\",\"params\":{\"device_on\":true}},"
			  "{\"method\":\"get_nothing\"},{\"method\":\"get_device_info\"},"
			  "{\"method\":\"get_energy_usage\"}]}}");
	ck_assert_int_eq(jint(r, "error_code"), 0);
	ck_assert_int_eq(kasa_smart_result(r, "set_device_info", &res, NULL), 0);
	ck_assert_int_eq(kasa_smart_result(r, "get_nothing", &res, NULL), -ENOSYS);
	ck_assert_int_eq(kasa_smart_sysinfo_parse(r, &si, NULL), 0);
	ck_assert(si.relay_on);
	ck_assert_int_eq(kasa_smart_energy_parse(r, &em, NULL, NULL), 0);
	ck_assert_int_gt(em.power_mw, 0);
	json_object_put(r);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"multipleRequest\",\"params\":{}}"), -1008);

	/* Errors as firmware words them. */
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"get_nothing\"}"), -1002);
	ck_assert_int_eq(
		smart_error(&k, "{\"method\":\"set_device_info\",\"params\":{\"device_on\":1}}"),
		-1008);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"set_device_info\"}"), -1008);
	ck_assert_int_eq(
		smart_error(&k,
			    "{\"method\":\"set_device_info\",\"params\":{\"nickname\":\"!!\"}}"),
		-1008);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"set_led_info\",\"params\":{}}"), -1008);
	ck_assert_int_eq(smart_error(&k, "{\"method\":"), -1003);
	ck_assert_int_eq(smart_error(&k, "[1,2]"), -1003);
	ck_assert_int_eq(smart_error(&k, "{\"params\":{}}"), -1003);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_klap_smart_kp125m_kasa_default)
{
	struct emu e;
	struct klap k;
	struct kasa_sysinfo si;
	struct kasa_emeter em;

	/* Bound, yet answering with the KASA default, as python-kasa has seen. */
	emu_start(&e, "kp125m,user=kasa@tp-link.net,password=kasaSetup,state=on,power=1200", NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, "me@example.com", "mine", KASA_KLAP_ANY), 0);
	ck_assert_int_eq(k.cred, KASA_KLAP_CRED_KASA);
	ck_assert_int_eq(k.version, KASA_KLAP_V2);
	smart_info(&k, &si);
	ck_assert_str_eq(si.model, "KP125M");
	ck_assert_str_eq(si.type, "SMART.KASAPLUG");
	ck_assert_str_eq(si.sw_ver, "1.2.3 Build 240624 Rel.154806");
	ck_assert(si.relay_on);
	ck_assert_int_ge(si.on_time, 0);
	smart_energy(&k, &em, NULL);
	ck_assert_int_gt(em.power_mw, 1150000);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

/* A SMART dimmer: its brightness in get_device_info, set with
 * set_device_info; no meter. */
START_TEST(test_klap_smart_ks225)
{
	struct emu e;
	struct klap k;
	struct kasa_sysinfo si;
	struct json_object *r;
	char *req;

	emu_start(&e, "ks225,brightness=20", "p110", NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V2), 0);
	smart_info(&k, &si);
	ck_assert_str_eq(si.model, "KS225");
	ck_assert_str_eq(si.type, "SMART.KASASWITCH");
	ck_assert(si.has_relay);
	ck_assert(si.has_brightness);
	ck_assert_int_eq(si.brightness, 20);

	ck_assert_int_eq(kasa_smart_req_brightness(85, NULL, &req), 0);
	ck_assert_int_eq(smart_error(&k, req), 0);
	free(req);
	smart_info(&k, &si);
	ck_assert_int_eq(si.brightness, 85);
	ck_assert(!si.relay_on);
	/* Out of range, or not a number: refused, the level kept. */
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"set_device_info\",\"params\":"
					 "{\"brightness\":0}}"),
			 -1008);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"set_device_info\",\"params\":"
					 "{\"brightness\":101}}"),
			 -1008);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"set_device_info\",\"params\":"
					 "{\"brightness\":\"50\"}}"),
			 -1008);
	smart_info(&k, &si);
	ck_assert_int_eq(si.brightness, 85);

	/* No meter: its methods are unknown, and component_nego says so. */
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"get_energy_usage\"}"), -1002);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"get_current_power\"}"), -1002);
	ck_assert_int_eq(kasa_smart_req_component_nego(NULL, &req), 0);
	r = klap_call(&k, req);
	free(req);
	ck_assert_int_eq(kasa_smart_component(r, "brightness", NULL, NULL), 1);
	ck_assert_int_eq(kasa_smart_component(r, "energy_monitoring", NULL, NULL), 0);
	json_object_put(r);
	klap_close(&k);

	/* A plug has no brightness. */
	ck_assert_int_eq(klap_open(&k, e.dev[1].port, NULL, NULL, KASA_KLAP_V2), 0);
	smart_info(&k, &si);
	ck_assert(!si.has_brightness);
	ck_assert_int_eq(kasa_smart_req_component_nego(NULL, &req), 0);
	r = klap_call(&k, req);
	free(req);
	ck_assert_int_eq(kasa_smart_component(r, "brightness", NULL, NULL), 0);
	json_object_put(r);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_klap_wrong_credentials)
{
	struct emu e;
	struct klap k;

	emu_start(&e, "p110,user=" USER ",password=" PASSWORD,
		  "hs110v4,klap=1,user=" USER ",password=" PASSWORD, NULL);
	/* Neither the given password nor a default nor blank matches. */
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, USER, "wrong", KASA_KLAP_V2), -EACCES);
	klap_close(&k);
	ck_assert_int_eq(klap_open(&k, e.dev[1].port, USER, "Secret", KASA_KLAP_ANY), -EACCES);
	klap_close(&k);
	/* No account given: defaults and blank only. */
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V2), -EACCES);
	klap_close(&k);
	/* The right ones still work afterwards. */
	ck_assert_int_eq(klap_open(&k, e.dev[1].port, USER, PASSWORD, KASA_KLAP_ANY), 0);
	ck_assert_int_eq(k.version, KASA_KLAP_V1);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

/* --- Refusals -------------------------------------------------------------------- */

static int post_status(struct http *h, const char *method, const char *path, const char *cookie,
		       const void *body, size_t len)
{
	struct answer a;

	send_post(h->fd, method, path, cookie, body, len);
	http_read(h, &a);
	answer_free(&a);
	return a.status;
}

START_TEST(test_klap_refusals_handshake)
{
	static const uint8_t zeros[64];
	struct emu e;
	struct klap k;
	uint8_t hs1[KASA_KLAP_HANDSHAKE1_LEN], body[KASA_KLAP_HANDSHAKE2_LEN];

	emu_start(&e, "p110,user=" USER ",password=" PASSWORD, NULL);
	memset(&k, 0, sizeof(k));
	http_open(&k.h, e.dev[0].port);
	ck_assert_int_eq(kasa_klap_client_new(USER, PASSWORD, KASA_KLAP_V2, &k.c), 0);

	/* Malformed: 400. */
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake1", NULL, zeros, 15), 400);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake1", NULL, zeros, 17), 400);
	/* Not KLAP's: 404 and 405. */
	ck_assert_int_eq(post_status(&k.h, "POST", "/app", NULL, zeros, 16), 404);
	ck_assert_int_eq(post_status(&k.h, "GET", "/app/handshake1", NULL, NULL, 0), 405);

	/* Handshake 2 without handshake 1 (no cookie there is yet): 403. */
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", NULL, zeros, 32), 403);

	/* A request after handshake 1 alone: 403. */
	klap_handshake1(&k, hs1);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/request?seq=1", k.cookie, zeros, 48), 403);
	/* Handshake 2 with no or another cookie: 403; of the wrong length: 400. */
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", NULL, zeros, 32), 403);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2",
				     "TP_SESSIONID=0123456789ABCDEF0123456789ABCDEF", zeros, 32),
			 403);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", k.cookie, zeros, 31), 400);
	/* That ended the handshake: even the right hash is too late now. */
	ck_assert_int_eq(kasa_klap_client_handshake2(k.c, hs1, sizeof(hs1), body, NULL, NULL), 0);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", k.cookie, body, 32), 403);

	/* The wrong hash: 403, and the handshake is over. */
	kasa_klap_client_reset(k.c);
	klap_handshake1(&k, hs1);
	ck_assert_int_eq(kasa_klap_client_handshake2(k.c, hs1, sizeof(hs1), body, NULL, NULL), 0);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", k.cookie, zeros, 32), 403);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", k.cookie, body, 32), 403);

	/* The whole handshake, on the same kept connection: 200 then. */
	kasa_klap_client_reset(k.c);
	klap_handshake1(&k, hs1);
	ck_assert_int_eq(kasa_klap_client_handshake2(k.c, hs1, sizeof(hs1), body, NULL, NULL), 0);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", k.cookie, body, 32), 200);
	/* A second handshake 2 on an open session: 403, and the session stays. */
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/handshake2", k.cookie, body, 32), 403);
	ck_assert_int_eq(kasa_klap_client_established(k.c, kasa_now_usec(), -1), 0);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 200);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_klap_refusals_request)
{
	struct emu e;
	struct klap k, other;
	struct sealed s;
	char path[64], *json;
	uint8_t *bad;
	int32_t seq;

	emu_start(&e, "hs110v4,klap=2,user=" USER ",password=" PASSWORD, NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, USER, PASSWORD, KASA_KLAP_V2), 0);

	klap_seal(&k, sysinfo_req, &s);
	/* No cookie, another one: 403. */
	ck_assert_int_eq(post_status(&k.h, "POST", s.path, NULL, s.body, s.len), 403);
	ck_assert_int_eq(post_status(&k.h, "POST", s.path,
				     "TP_SESSIONID=0123456789ABCDEF0123456789ABCDEF", s.body,
				     s.len),
			 403);
	/* No seq, or one that is not a number: 400. */
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/request", k.cookie, s.body, s.len), 400);
	ck_assert_int_eq(post_status(&k.h, "POST", "/app/request?seq=1x", k.cookie, s.body, s.len),
			 400);
	/* A body of a length no sealed body has: 400. */
	ck_assert_int_eq(post_status(&k.h, "POST", s.path, k.cookie, s.body, s.len - 1), 400);
	ck_assert_int_eq(post_status(&k.h, "POST", s.path, k.cookie, s.body, 32), 400);
	/* Tampered: one bit of the ciphertext, then of the signature: 403. */
	bad = malloc(s.len);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, s.body, s.len);
	bad[s.len - 1] ^= 1;
	ck_assert_int_eq(post_status(&k.h, "POST", s.path, k.cookie, bad, s.len), 403);
	memcpy(bad, s.body, s.len);
	bad[0] ^= 0x80;
	ck_assert_int_eq(post_status(&k.h, "POST", s.path, k.cookie, bad, s.len), 403);
	/* Signed for another seq: 403. */
	ck_assert_int_eq(kasa_klap_seq_parse(strchr(s.path, '=') + 1, &seq), 0);
	ck_assert_int_lt(seq, INT32_MAX);
	snprintf(path, sizeof(path), "/app/request?seq=%ld", (long)seq + 1);
	ck_assert_int_eq(post_status(&k.h, "POST", path, k.cookie, s.body, s.len), 403);
	free(bad);

	/* None of that hurt the session: the sealed request goes through. */
	json = NULL;
	ck_assert_int_eq(klap_post(&k, &s, &json), 200);
	ck_assert_ptr_nonnull(strstr(json, "\"get_sysinfo\""));
	free(json);
	/* Sent again, a replay: 403; an older seq than the last too. */
	ck_assert_int_eq(klap_post(&k, &s, NULL), 403);
	free(s.body);
	ck_assert_int_eq(klap_status(&k, sysinfo_req), 200);
	/* IOT JSON that is no object: 400, as port 9999 hangs up on it. */
	ck_assert_int_eq(klap_status(&k, "[]"), 400);
	ck_assert_int_eq(klap_status(&k, sysinfo_req), 200);

	/* Another client's handshake ends this session: 403, as on real plugs. */
	ck_assert_int_eq(klap_open(&other, e.dev[0].port, USER, PASSWORD, KASA_KLAP_V2), 0);
	ck_assert_int_eq(klap_status(&k, sysinfo_req), 403);
	ck_assert_int_eq(klap_status(&other, sysinfo_req), 200);
	klap_close(&other);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_klap_session_max)
{
	struct emu e;
	struct klap k;

	emu_start(&e, "p110,session=2", "hs100,klap=1,session=1", NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V2), 0);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 200);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 200);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 403);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 403);
	klap_close(&k);
	/* A new handshake, a new session of two. */
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V2), 0);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 200);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 200);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 403);
	klap_close(&k);

	/* session=1: a handshake before every request, as some firmware wants. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(klap_open(&k, e.dev[1].port, NULL, NULL, KASA_KLAP_V1), 0);
		ck_assert_int_eq(klap_status(&k, sysinfo_req), 200);
		ck_assert_int_eq(klap_status(&k, sysinfo_req), 403);
		klap_close(&k);
	}
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_klap_reboot)
{
	struct emu e;
	struct klap k;
	struct kasa_sysinfo si;
	uint8_t buf[64];
	int err;

	emu_start(&e, "p110,state=on", NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V2), 0);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"device_reboot\",\"params\":{\"delay\":1}}"),
			 0);
	/* The connection goes with the firmware... */
	ck_assert_uint_eq(read_to_eof(k.h.fd, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, 0);
	http_close(&k.h);
	/* ...and the session too. */
	http_open(&k.h, e.dev[0].port);
	ck_assert_int_eq(klap_status(&k, "{\"method\":\"get_device_info\"}"), 403);
	klap_close(&k);
	/* The relay kept its state. */
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V2), 0);
	smart_info(&k, &si);
	ck_assert(si.relay_on);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

START_TEST(test_klap_idle)
{
	struct emu e;
	struct klap k;
	uint8_t buf[64];
	uint64_t start;
	int err;

	emu_start(&e, "p110,idle=200", NULL);
	ck_assert_int_eq(klap_open(&k, e.dev[0].port, NULL, NULL, KASA_KLAP_V2), 0);
	start = now_ms();
	ck_assert_uint_eq(read_to_eof(k.h.fd, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_ge(now_ms() - start, 150);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

/* --- Faults on HTTP ------------------------------------------------------------- */

/* POST /app/handshake1 to a fault device, and what comes back to EOF. */
static size_t raw_handshake1(uint16_t port, uint8_t *buf, size_t cap, int *ret_err)
{
	int fd = tcp_connect(port);
	size_t n;

	ck_assert_int_ge(fd, 0);
	send_post(fd, "POST", "/app/handshake1", NULL, "0123456789abcdef", 16);
	n = read_to_eof(fd, buf, cap, ret_err);
	close(fd);
	return n;
}

START_TEST(test_klap_fault_wire)
{
	struct emu e;
	uint8_t buf[4096];
	struct answer a;
	struct http h;
	size_t n;
	int err;

	emu_start(&e, "p110,fault=close", "p110,fault=reset", "p110,fault=garbage",
		  "p110,fault=truncate", "p110,fault=oversize", "p110,fault=blackhole",
		  "p110,fault=refuse", "p110,flaky=100", NULL);

	/* close: FIN, nothing said. */
	ck_assert_uint_eq(raw_handshake1(e.dev[0].port, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, 0);
	/* reset: RST. */
	ck_assert_uint_eq(raw_handshake1(e.dev[1].port, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, -ECONNRESET);
	/* garbage: bytes that are no HTTP answer, then FIN. */
	n = raw_handshake1(e.dev[2].port, buf, sizeof(buf), &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_ge(n, 16);
	ck_assert_int_ne(memcmp(buf, "HTTP/", 5), 0);
	/* truncate: the whole length announced, half the body, FIN. */
	http_open(&h, e.dev[3].port);
	http_post(&h, "/app/handshake1", NULL, "0123456789abcdef", 16, &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_uint_eq(a.length, KASA_KLAP_HANDSHAKE1_LEN);
	ck_assert_uint_eq(a.len, KASA_KLAP_HANDSHAKE1_LEN / 2);
	ck_assert_int_eq(a.end, 1);
	answer_free(&a);
	http_close(&h);
	/* oversize: a length no answer has, a few bytes, then silence. */
	http_open(&h, e.dev[4].port);
	send_post(h.fd, "POST", "/app/handshake1", NULL, "0123456789abcdef", 16);
	n = 0;
	while (!memmem(buf, n, "\r\n\r\n", 4)) {
		ssize_t r = recv(h.fd, buf + n, sizeof(buf) - 1 - n, 0);

		ck_assert_int_gt(r, 0);
		n += (size_t)r;
	}
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strcasestr((char *)buf, "\r\nContent-Length: 4294967295\r\n"));
	/* Up to 64 bytes of it, then nothing more. */
	n -= (size_t)((uint8_t *)strstr((char *)buf, "\r\n\r\n") + 4 - buf);
	while (!silent(h.fd, SILENCE_MS)) {
		ssize_t r = recv(h.fd, buf, sizeof(buf), 0);

		ck_assert_int_gt(r, 0);
		n += (size_t)r;
		ck_assert_uint_le(n, 64);
	}
	ck_assert_uint_gt(n, 0);
	http_close(&h);
	/* blackhole: the request read, never answered. */
	http_open(&h, e.dev[5].port);
	send_post(h.fd, "POST", "/app/handshake1", NULL, "0123456789abcdef", 16);
	ck_assert(silent(h.fd, SILENCE_MS));
	http_close(&h);
	/* refuse: nothing listens. */
	ck_assert_int_eq(tcp_connect(e.dev[6].port), -ECONNREFUSED);
	/* flaky=100: every request dropped, FIN. */
	ck_assert_uint_eq(raw_handshake1(e.dev[7].port, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(err, 0);
	emu_stop(&e, NULL);
}
END_TEST

/* Shapes that still carry the whole answer: the session works through them. */
START_TEST(test_klap_fault_shapes)
{
	struct emu e;
	struct klap k;
	struct kasa_sysinfo si;
	struct sealed s;
	struct answer a;
	char *json;
	size_t len;
	uint64_t start;

	emu_start(&e, "p110,fault=zerolen", "p110,fault=split", "p110,fault=drip,drip=5",
		  "p110,fault=badjson", "p110,delay=300", NULL);

	/* zerolen: no length, Connection: close; the body ends at FIN. */
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(kasa_klap_client_new(NULL, NULL, KASA_KLAP_V2, &k.c), 0);
	http_open(&k.h, e.dev[0].port);
	{
		uint8_t seed[KASA_KLAP_SEED_LEN], hs2[KASA_KLAP_HANDSHAKE2_LEN];
		struct kasa_klap_cookie ck;
		const char *hdr[1];

		ck_assert_int_eq(kasa_klap_client_handshake1(k.c, NULL, seed), 0);
		http_post(&k.h, "/app/handshake1", NULL, seed, sizeof(seed), &a);
		ck_assert_int_eq(a.status, 200);
		ck_assert(!a.has_length);
		ck_assert(a.close);
		ck_assert_int_eq(a.end, 1);
		ck_assert_uint_eq(a.len, KASA_KLAP_HANDSHAKE1_LEN);
		ck_assert_int_eq(kasa_klap_client_handshake2(k.c, a.body, a.len, hs2, NULL, NULL),
				 0);
		hdr[0] = a.cookie;
		ck_assert_int_eq(kasa_klap_cookie_parse(hdr, 1, &ck), 0);
		snprintf(k.cookie, sizeof(k.cookie), "TP_SESSIONID=%s", ck.session_id);
		answer_free(&a);
		http_close(&k.h);
		http_open(&k.h, e.dev[0].port);
		http_post(&k.h, "/app/handshake2", k.cookie, hs2, sizeof(hs2), &a);
		ck_assert_int_eq(a.status, 200);
		ck_assert_int_eq(a.end, 1);
		answer_free(&a);
		ck_assert_int_eq(kasa_klap_client_established(k.c, kasa_now_usec(), -1), 0);
		http_close(&k.h);
		http_open(&k.h, e.dev[0].port);
		klap_seal(&k, "{\"method\":\"get_device_info\"}", &s);
		http_post(&k.h, s.path, k.cookie, s.body, s.len, &a);
		free(s.body);
		ck_assert_int_eq(a.status, 200);
		ck_assert_int_eq(kasa_klap_client_open(k.c, a.body, a.len, &json, &len), 0);
		ck_assert_ptr_nonnull(strstr(json, "\"device_on\""));
		free(json);
		answer_free(&a);
	}
	klap_close(&k);

	/* split: the bodies in pieces of 1 to 3 bytes, the connection kept. */
	ck_assert_int_eq(klap_open(&k, e.dev[1].port, NULL, NULL, KASA_KLAP_V2), 0);
	smart_info(&k, &si);
	ck_assert_str_eq(si.model, "P110");
	ck_assert_uint_ge(k.h.reads, 10);
	klap_close(&k);
	/* drip: a byte each 5 ms, the 48 of handshake 1 among them. */
	start = now_ms();
	ck_assert_int_eq(klap_open(&k, e.dev[2].port, NULL, NULL, KASA_KLAP_V2), 0);
	ck_assert_uint_ge(now_ms() - start, 200);
	ck_assert_uint_ge(k.h.reads, 10);
	ck_assert_int_eq(smart_error(&k, "{\"method\":\"get_device_time\"}"), 0);
	klap_close(&k);

	/* badjson: a sealed answer that opens, whose JSON is cut short. */
	ck_assert_int_eq(klap_open(&k, e.dev[3].port, NULL, NULL, KASA_KLAP_V2), 0);
	klap_seal(&k, "{\"method\":\"get_device_info\"}", &s);
	json = NULL;
	ck_assert_int_eq(klap_post(&k, &s, &json), 200);
	free(s.body);
	ck_assert_ptr_null(json_tokener_parse(json));
	ck_assert_int_eq(strncmp(json, "{\"error_code\":0", 15), 0);
	free(json);
	klap_close(&k);

	/* delay: each answer waits. */
	start = now_ms();
	ck_assert_int_eq(klap_open(&k, e.dev[4].port, NULL, NULL, KASA_KLAP_V2), 0);
	ck_assert_uint_ge(now_ms() - start, 2 * 300);
	klap_close(&k);
	emu_stop(&e, NULL);
}
END_TEST

/* --- Discovery of KLAP firmware ---------------------------------------------------- */

/* The 16-byte header python-kasa sends, with payload after it. */
static size_t make_probe(uint8_t *buf, const char *payload)
{
	size_t len = strlen(payload);
	uint32_t crc;

	memset(buf, 0, 16);
	buf[0] = 2;
	buf[3] = 1;
	buf[4] = (uint8_t)(len >> 8);
	buf[5] = (uint8_t)len;
	buf[6] = 0x11;
	memcpy(buf + 8, "\x12\x34\x56\x78", 4);
	memcpy(buf + 12, "\x5a\x6b\x7c\x8d", 4);
	memcpy(buf + 16, payload, len);
	crc = crc32_of(buf, 16 + len);
	buf[12] = (uint8_t)(crc >> 24);
	buf[13] = (uint8_t)(crc >> 16);
	buf[14] = (uint8_t)(crc >> 8);
	buf[15] = (uint8_t)crc;
	return 16 + len;
}

/* Receive answers to the probe for up to IO_TIMEOUT_MS, or until want came;
 * each is parsed and kept by its http_port. */
static unsigned collect(int u, uint16_t from_port, struct json_object **got, unsigned want)
{
	uint64_t end = now_ms() + IO_TIMEOUT_MS;
	unsigned n = 0;

	while (n < want && now_ms() < end) {
		struct pollfd p = {.fd = u, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		uint8_t buf[4096];
		ssize_t r;

		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			break;
		r = recvfrom(u, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		ck_assert_int_gt(r, 16);
		/* python-kasa takes answers from its port only. */
		ck_assert_uint_eq(ntohs(from.sin_port), from_port);
		ck_assert_uint_eq(buf[0], 2);
		ck_assert_uint_eq((size_t)(buf[4] << 8 | buf[5]), (size_t)r - 16);
		buf[r] = '\0';
		got[n++] = parse((char *)buf + 16);
	}
	return n;
}

static struct json_object *by_port(struct json_object **got, unsigned n, uint16_t port)
{
	for (unsigned i = 0; i < n; i++)
		if (jint(got[i], "result.mgt_encrypt_schm.http_port") == port)
			return got[i];
	ck_abort_msg("no answer for port %u", port);
	return NULL;
}

START_TEST(test_klap_discovery)
{
	/* The older fixed probe: no payload, and a CRC to check ours against. */
	static const uint8_t old_probe[16] = {0x02, 0, 0, 0x01, 0,    0,    0,	  0,
					      0,    0, 0, 0,	0x46, 0x3c, 0xb5, 0xd3};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct json_object *got[8], *o;
	uint8_t probe[512];
	struct emu e;
	size_t len;
	unsigned n;
	int u;

	emu_start(&e, "-u", "0", "p110,user=" USER ",password=" PASSWORD, "hs110v4,klap=2",
		  "hs110v1,klap=1", "hs100", "kp125m,fault=blackhole", NULL);
	ck_assert_uint_gt(e.discovery_port, 0);
	ck_assert_ptr_nonnull(strstr(e.ready_text, "\ndiscovery 127.0.0.1:"));
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(u, 0);
	to.sin_port = htons(e.discovery_port);

	len = make_probe(probe, "{\"params\":{\"rsa_key\":\"-----BEGIN PUBLIC KEY-----\\n"
				"MIIB\\n-----END PUBLIC KEY-----\\n\"}}");
	ck_assert_int_eq(sendto(u, probe, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	/* The three KLAP devices that answer; the XOR one and the blackhole do not. */
	n = collect(u, e.discovery_port, got, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert(silent(u, SILENCE_MS));

	o = by_port(got, n, e.dev[0].port);
	ck_assert_int_eq(jint(o, "error_code"), 0);
	ck_assert_str_eq(jstr(o, "result.device_type"), "SMART.TAPOPLUG");
	ck_assert_str_eq(jstr(o, "result.device_model"), "P110(EU)");
	ck_assert_str_eq(jstr(o, "result.ip"), "127.0.0.1");
	ck_assert_uint_eq(strlen(jstr(o, "result.mac")), 17);
	ck_assert_ptr_nonnull(strchr(jstr(o, "result.mac"), '-'));
	ck_assert_str_eq(jstr(o, "result.mgt_encrypt_schm.encrypt_type"), "KLAP");
	ck_assert_int_eq(jint(o, "result.mgt_encrypt_schm.lv"), 2);
	ck_assert(!json_object_get_boolean(jget(o, "result.factory_default")));
	ck_assert_uint_eq(strlen(jstr(o, "result.owner")), 32);

	o = by_port(got, n, e.dev[1].port);
	ck_assert_str_eq(jstr(o, "result.device_type"), "IOT.SMARTPLUGSWITCH");
	ck_assert_str_eq(jstr(o, "result.device_model"), "HS110(EU)");
	ck_assert_int_eq(jint(o, "result.mgt_encrypt_schm.lv"), 2);
	ck_assert_int_eq(jint(o, "result.mgt_encrypt_schm.new_klap"), 1);
	ck_assert(json_object_get_boolean(jget(o, "result.factory_default")));

	o = by_port(got, n, e.dev[2].port);
	ck_assert_str_eq(jstr(o, "result.device_type"), "IOT.SMARTPLUGSWITCH");
	ck_assert_str_eq(jstr(o, "result.mgt_encrypt_schm.encrypt_type"), "KLAP");
	ck_assert_ptr_null(jget(o, "result.mgt_encrypt_schm.lv"));
	ck_assert_ptr_null(jget(o, "result.mgt_encrypt_schm.new_klap"));
	for (unsigned i = 0; i < n; i++)
		json_object_put(got[i]);

	/* The older probe is answered too. */
	ck_assert_int_eq(sendto(u, old_probe, 16, 0, (struct sockaddr *)&to, sizeof(to)), 16);
	n = collect(u, e.discovery_port, got, 3);
	ck_assert_uint_eq(n, 3);
	for (unsigned i = 0; i < n; i++)
		json_object_put(got[i]);

	/* A bad CRC, a wrong version, a length that lies: silence. */
	len = make_probe(probe, "{}");
	probe[15] ^= 1;
	ck_assert_int_eq(sendto(u, probe, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	len = make_probe(probe, "{}");
	probe[0] = 1;
	ck_assert_int_eq(sendto(u, probe, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	len = make_probe(probe, "{}");
	ck_assert_int_eq(sendto(u, probe, len - 1, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len - 1);
	ck_assert(silent(u, SILENCE_MS));
	close(u);
	emu_stop(&e, NULL);
}
END_TEST

/* --- The command line ---------------------------------------------------------------- */

START_TEST(test_klap_spec_errors)
{
	static const char *bad[][5] = {
		{NULL, "-p", "0", "hs100,klap=3", NULL},
		{NULL, "-p", "0", "hs100,klap=0", NULL},
		{NULL, "-p", "0", "p110,klap=1", NULL},
		{NULL, "-p", "0", "p110,user=a", NULL},
		{NULL, "-p", "0", "p110,password=a", NULL},
		{NULL, "-p", "0", "hs100,user=a,password=b", NULL},
		{NULL, "-p", "0", "hs100,session=2", NULL},
		{NULL, "-p", "0", "p110,session=0", NULL},
		{NULL, "-p", "0", "p110,hostile=utf8", NULL},
		{NULL, "-p", "0", "p110,brightness=50", NULL},
		{NULL, "-u", "70000", "p110", NULL},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bad[i][0] = emu_path();
		ck_assert_msg(emu_run_status(bad[i]) == 2, "%s was not refused", bad[i][3]);
	}
}
END_TEST

static Suite *emu_klap_suite(void)
{
	Suite *s = suite_create("kasa-emu KLAP");
	TCase *tc = tcase_create("klap");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_klap_ready_lines);
	tcase_add_test(tc, test_klap_iot_v1);
	tcase_add_test(tc, test_klap_iot_v2_blank);
	tcase_add_test(tc, test_klap_smart_p110);
	tcase_add_test(tc, test_klap_smart_kp125m_kasa_default);
	tcase_add_test(tc, test_klap_smart_ks225);
	tcase_add_test(tc, test_klap_wrong_credentials);
	tcase_add_test(tc, test_klap_refusals_handshake);
	tcase_add_test(tc, test_klap_refusals_request);
	tcase_add_test(tc, test_klap_session_max);
	tcase_add_test(tc, test_klap_reboot);
	tcase_add_test(tc, test_klap_idle);
	tcase_add_test(tc, test_klap_fault_wire);
	tcase_add_test(tc, test_klap_fault_shapes);
	tcase_add_test(tc, test_klap_discovery);
	tcase_add_test(tc, test_klap_spec_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(emu_klap_suite());
}
