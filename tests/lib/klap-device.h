/* SPDX-License-Identifier: MIT */
/*
 * A small KLAP device for the tests: libmicrohttpd on 127.0.0.1 in a thread
 * of its own, speaking through libkasa's kasa_klap_server_* with one
 * account, answering every request with one fixed JSON.  It counts
 * connections, handshakes and requests, checks the headers a client sends
 * (the session cookie alone, application/octet-stream, no Expect), keeps
 * the last request it opened, and misbehaves on demand: 403s, SMART's
 * session error, bodies over the cap, a bad signature, a cookie lifetime,
 * "Connection: close", no KLAP at all.  Used by tests/lib/test-klap-conn
 * and tests/kasactl/test-kasactl-klap.
 */
#ifndef KLAP_DEVICE_H
#define KLAP_DEVICE_H

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "kasa.h"

static const char klap_smart_expired[] = "{\"error_code\":-40401}";

/* --- The device -------------------------------------------------------------- */

enum klap_body {
	KLAP_BODY_SEALED,	/* the answer, sealed */
	KLAP_BODY_TAMPERED,	/* the answer, its signature's first byte flipped */
	KLAP_BODY_HUGE,		/* KASA_KLAP_BODY_MAX + 16 bytes, with Content-Length */
	KLAP_BODY_HUGE_CHUNKED, /* as many, chunked: no length announced */
};

struct klap_device {
	struct MHD_Daemon *mhd;
	uint16_t port;
	struct kasa_klap_server *klap;
	const char *answer;
	atomic_int timeout_s; /* the cookie's TIMEOUT; 0: none sent */
	atomic_bool no_klap;  /* 404 to everything */
	atomic_int forbid;    /* 403 to this many requests; -1: to all */
	atomic_int expire;    /* SMART's -40401 to this many requests */
	atomic_int body;      /* enum klap_body, for the next answer only */
	atomic_bool close;    /* "Connection: close" on each answer */
	atomic_int connections, handshake1s, handshake2s, requests, opened;
	atomic_int bad_headers; /* requests whose headers a real client would not send */
	unsigned sessions;
	char session[40];
	pthread_mutex_t lock;
	char last_request[8192];
};

struct klap_upload {
	struct strbuf body;
};

static inline enum MHD_Result klap_queue(struct MHD_Connection *conn, struct klap_device *d,
					 unsigned status, const void *body, size_t len,
					 const char *cookie)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (cookie)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	if (atomic_load(&d->close))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static inline ssize_t klap_huge_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	uint64_t total = KASA_KLAP_BODY_MAX + 16;

	if (pos >= total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > total - pos)
		max = (size_t)(total - pos);
	memset(buf, 'x', max);
	return (ssize_t)max;
}

/* What a real client sends: the session cookie alone, after handshake 1. */
static inline bool klap_headers_ok(struct MHD_Connection *conn, struct klap_device *d,
				   bool want_cookie)
{
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	const char *cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
	char want[64];

	if (!type || strcmp(type, "application/octet-stream") != 0)
		return false;
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect"))
		return false;
	if (!want_cookie)
		return cookie == NULL;
	snprintf(want, sizeof(want), "TP_SESSIONID=%s", d->session);
	return cookie && strcmp(cookie, want) == 0;
}

static inline enum MHD_Result klap_on_handshake1(struct klap_device *d, struct MHD_Connection *conn,
						 const struct strbuf *body)
{
	uint8_t answer[KASA_KLAP_HANDSHAKE1_LEN];
	char cookie[96];

	atomic_fetch_add(&d->handshake1s, 1);
	if (!klap_headers_ok(conn, d, false))
		atomic_fetch_add(&d->bad_headers, 1);
	if (kasa_klap_server_handshake1(d->klap, body->s, body->len, NULL, answer) < 0)
		return klap_queue(conn, d, 400, "", 0, NULL);
	snprintf(d->session, sizeof(d->session), "5e55%028x", ++d->sessions);
	if (atomic_load(&d->timeout_s))
		snprintf(cookie, sizeof(cookie), "TP_SESSIONID=%s;TIMEOUT=%d", d->session,
			 atomic_load(&d->timeout_s));
	else
		snprintf(cookie, sizeof(cookie), "TP_SESSIONID=%s", d->session);
	return klap_queue(conn, d, 200, answer, sizeof(answer), cookie);
}

static inline enum MHD_Result klap_on_handshake2(struct klap_device *d, struct MHD_Connection *conn,
						 const struct strbuf *body)
{
	atomic_fetch_add(&d->handshake2s, 1);
	if (!klap_headers_ok(conn, d, true))
		atomic_fetch_add(&d->bad_headers, 1);
	if (kasa_klap_server_handshake2(d->klap, body->s, body->len) < 0)
		return klap_queue(conn, d, 401, "", 0, NULL);
	return klap_queue(conn, d, 200, "", 0, NULL);
}

static inline enum MHD_Result
klap_on_app_request(struct klap_device *d, struct MHD_Connection *conn, const struct strbuf *body)
{
	const char *seq_text = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "seq");
	const char *answer = d->answer;
	int forbid = atomic_load(&d->forbid);
	enum klap_body mode;
	struct MHD_Response *resp;
	enum MHD_Result res;
	uint8_t *sealed;
	size_t json_len, len;
	char *json;
	int32_t seq;
	int r;

	atomic_fetch_add(&d->requests, 1);
	if (!klap_headers_ok(conn, d, true))
		atomic_fetch_add(&d->bad_headers, 1);
	if (forbid != 0) {
		if (forbid > 0)
			atomic_fetch_sub(&d->forbid, 1);
		kasa_klap_server_reset(d->klap);
		return klap_queue(conn, d, 403, "", 0, NULL);
	}
	if (!seq_text || kasa_klap_seq_parse(seq_text, &seq) < 0)
		return klap_queue(conn, d, 400, "", 0, NULL);
	r = kasa_klap_server_open(d->klap, seq, body->s, body->len, &json, &json_len);
	if (r == -ENOTCONN)
		return klap_queue(conn, d, 403, "", 0, NULL);
	if (r < 0)
		return klap_queue(conn, d, 400, "", 0, NULL);
	atomic_fetch_add(&d->opened, 1);
	pthread_mutex_lock(&d->lock);
	snprintf(d->last_request, sizeof(d->last_request), "%s", json);
	pthread_mutex_unlock(&d->lock);
	free(json);

	if (atomic_load(&d->expire) > 0) {
		atomic_fetch_sub(&d->expire, 1);
		answer = klap_smart_expired;
	}
	mode = (enum klap_body)atomic_exchange(&d->body, KLAP_BODY_SEALED);
	switch (mode) {
	case KLAP_BODY_SEALED:
	case KLAP_BODY_TAMPERED:
		break;
	case KLAP_BODY_HUGE: {
		static char huge[KASA_KLAP_BODY_MAX + 16];

		return klap_queue(conn, d, 200, huge, sizeof(huge), NULL);
	}
	case KLAP_BODY_HUGE_CHUNKED:
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, klap_huge_reader,
							 NULL, NULL);
		if (!resp)
			return MHD_NO;
		res = MHD_queue_response(conn, 200, resp);
		MHD_destroy_response(resp);
		return res;
	}
	if (kasa_klap_server_seal(d->klap, answer, strlen(answer), &sealed, &len) < 0)
		return klap_queue(conn, d, 500, "", 0, NULL);
	if (mode == KLAP_BODY_TAMPERED)
		sealed[0] ^= 1;
	res = klap_queue(conn, d, 200, sealed, len, NULL);
	free(sealed);
	return res;
}

static inline enum MHD_Result klap_on_request(void *cls, struct MHD_Connection *conn,
					      const char *url, const char *method,
					      const char *version, const char *upload_data,
					      size_t *upload_data_size, void **con_cls)
{
	struct klap_device *d = cls;
	struct klap_upload *u = *con_cls;

	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		u->body = (struct strbuf)STRBUF_INIT(2 * KASA_KLAP_BODY_MAX);
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_data_size) {
		strbuf_append(&u->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (atomic_load(&d->no_klap) || strcmp(method, "POST") != 0)
		return klap_queue(conn, d, 404, "", 0, NULL);
	if (strcmp(url, "/app/handshake1") == 0)
		return klap_on_handshake1(d, conn, &u->body);
	if (strcmp(url, "/app/handshake2") == 0)
		return klap_on_handshake2(d, conn, &u->body);
	if (strcmp(url, "/app/request") == 0)
		return klap_on_app_request(d, conn, &u->body);
	return klap_queue(conn, d, 404, "", 0, NULL);
}

static inline void klap_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				     enum MHD_RequestTerminationCode toe)
{
	struct klap_upload *u = *con_cls;

	if (u) {
		strbuf_free(&u->body);
		free(u);
		*con_cls = NULL;
	}
}

static inline void klap_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
				      enum MHD_ConnectionNotificationCode toe)
{
	struct klap_device *d = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&d->connections, 1);
}

/* A device holding user/password in the given version. */
static inline struct klap_device *klap_device_start(enum kasa_klap_version version,
						    const char *user, const char *password,
						    const char *answer)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct klap_device *d = calloc(1, sizeof(*d));
	uint8_t hash[KASA_KLAP_AUTH_HASH_MAX];
	const union MHD_DaemonInfo *info;
	int len;

	ck_assert_ptr_nonnull(d);
	len = kasa_klap_auth_hash(version, user, password, hash);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(kasa_klap_server_new(version, hash, (size_t)len, &d->klap), 0);
	d->answer = answer;
	atomic_store(&d->timeout_s, 86400);
	pthread_mutex_init(&d->lock, NULL);
	d->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, klap_on_request,
				  d, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				  MHD_OPTION_NOTIFY_COMPLETED, klap_on_completed, d,
				  MHD_OPTION_NOTIFY_CONNECTION, klap_on_connection, d,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	ck_assert_ptr_nonnull(d->mhd);
	info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	d->port = info->port;
	return d;
}

/* A counter, read in a way Check's messages can print. */
static inline int klap_count(atomic_int *counter)
{
	return atomic_load(counter);
}

/* Stop it, and check that no request came with headers a client should
 * not send. */
static inline void klap_device_stop(struct klap_device *d)
{
	MHD_stop_daemon(d->mhd);
	ck_assert_int_eq(klap_count(&d->bad_headers), 0);
	kasa_klap_server_free(d->klap);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static inline void klap_device_assert_last(struct klap_device *d, const char *json)
{
	pthread_mutex_lock(&d->lock);
	ck_assert_str_eq(d->last_request, json);
	pthread_mutex_unlock(&d->lock);
}

#endif
