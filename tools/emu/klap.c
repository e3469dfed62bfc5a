/* SPDX-License-Identifier: MIT */
/*
 * The KLAP endpoints of one device, over libkasa's device side: the
 * handshakes, the session cookie and the sealed requests, refused as a plug
 * refuses them (statuses in klap.h).  One session at a time, as on real
 * plugs: a handshake 1 ends the one before, whoever made it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/macro.h"
#include "emu.h"
#include "fault.h"
#include "klap.h"

#define PATH_HANDSHAKE1 "/app/handshake1"
#define PATH_HANDSHAKE2 "/app/handshake2"
#define PATH_REQUEST	"/app/request"
/* 16 random bytes in hex, as real session ids are. */
#define SESSION_ID_LEN 32

struct emu_klap {
	unsigned index;
	const struct emu_spec *spec;
	struct emu_stats *stats;
	struct kasa_klap_server *server;
	emu_klap_json_cb handle;
	void *userdata;
	/* The cookie of the handshake or session in progress; "" none. */
	char session_id[SESSION_ID_LEN + 1];
	bool established;
	unsigned answered; /* requests answered in this session */
};

int klap_new(unsigned index, const struct emu_spec *spec, struct emu_stats *stats,
	     emu_klap_json_cb handle, void *userdata, struct emu_klap **ret)
{
	enum kasa_klap_version version = spec->klap == 1 ? KASA_KLAP_V1 : KASA_KLAP_V2;
	uint8_t hash[KASA_KLAP_AUTH_HASH_MAX];
	struct emu_klap *k;
	int len, err;

	/* Never bound to an account: blank credentials. */
	len = kasa_klap_auth_hash(version, spec->has_account ? spec->user : "",
				  spec->has_account ? spec->password : "", hash);
	if (len < 0)
		return len;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	err = kasa_klap_server_new(version, hash, (size_t)len, &k->server);
	explicit_bzero(hash, sizeof(hash));
	if (err < 0) {
		free(k);
		return err;
	}
	k->index = index;
	k->spec = spec;
	k->stats = stats;
	k->handle = handle;
	k->userdata = userdata;
	*ret = k;
	return 0;
}

void klap_free(struct emu_klap *k)
{
	if (!k)
		return;
	kasa_klap_server_free(k->server);
	free(k);
}

void klap_reset(struct emu_klap *k)
{
	kasa_klap_server_reset(k->server);
	k->session_id[0] = '\0';
	k->established = false;
	k->answered = 0;
}

static void status(struct emu_http_answer *a, unsigned code)
{
	a->status = code;
}

/* Does the request carry the cookie of the handshake in progress? */
static bool cookie_matches(const struct emu_klap *k, const struct emu_http_request *req)
{
	struct kasa_klap_cookie ck;

	if (!k->session_id[0] || req->ncookies == 0 ||
	    kasa_klap_cookie_parse(req->cookies, req->ncookies, &ck) < 0)
		return false;
	return streq(ck.session_id, k->session_id);
}

static int new_session_id(char ret[SESSION_ID_LEN + 1])
{
	uint8_t raw[SESSION_ID_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(ret + 2 * i, 3, "%02X", raw[i]);
	return 0;
}

static void handshake1(struct emu_klap *k, const struct emu_http_request *req,
		       struct emu_http_answer *a)
{
	uint8_t answer[KASA_KLAP_HANDSHAKE1_LEN];
	int err;

	k->stats->handshakes++;
	/* Whatever comes of it, the last session is over. */
	klap_reset(k);
	if (k->spec->local_off) {
		/* Third-Party Compatibility off: no local client gets in. */
		status(a, 403);
		return;
	}
	err = kasa_klap_server_handshake1(k->server, req->body, req->len, NULL, answer);
	if (err == -EPROTO) {
		status(a, 400);
		return;
	}
	if (err < 0 || new_session_id(k->session_id) < 0 || !(a->body = malloc(sizeof(answer)))) {
		klap_reset(k);
		status(a, 500);
		return;
	}
	memcpy(a->body, answer, sizeof(answer));
	a->len = sizeof(answer);
	/* The session id first, and a ';' after it: clients cut there. */
	snprintf(a->cookie, sizeof(a->cookie), "TP_SESSIONID=%s;TIMEOUT=%d", k->session_id,
		 KASA_KLAP_TIMEOUT_DEFAULT);
	status(a, 200);
}

static void handshake2(struct emu_klap *k, const struct emu_http_request *req,
		       struct emu_http_answer *a)
{
	int err;

	if (!cookie_matches(k, req) || k->established) {
		status(a, 403);
		return;
	}
	err = kasa_klap_server_handshake2(k->server, req->body, req->len);
	if (err == 0) {
		k->established = true;
		k->answered = 0;
		status(a, 200);
		return;
	}
	/* A failed handshake 2 ends the handshake, as libkasa's server does. */
	k->session_id[0] = '\0';
	status(a, err == -EPROTO ? 400 : 403);
}

/* The session refused or dropped a request: why, for -v. */
static const char *refusal(int err)
{
	switch (err) {
	case -ENOTCONN:
		return "no session";
	case -EBADE:
		return "not signed by the session";
	case -ESTALE:
		return "seq not above the last one";
	case -EPROTO:
		return "not a sealed body";
	case -EMSGSIZE:
		return "too long";
	default:
		return "refused";
	}
}

static void request(struct emu_klap *k, const struct emu_http_request *req,
		    struct emu_http_answer *a)
{
	const char *seq_text = http_request_arg(req, "seq");
	char *json = NULL, *reply, *cut = NULL;
	size_t len, reply_len;
	int32_t seq;
	int err;

	if (!cookie_matches(k, req)) {
		status(a, 403);
		return;
	}
	if (!seq_text || kasa_klap_seq_parse(seq_text, &seq) < 0 || req->too_big) {
		status(a, 400);
		return;
	}
	err = kasa_klap_server_open(k->server, seq, req->body, req->len, &json, &len);
	if (err < 0) {
		if (emu_verbose)
			fprintf(stderr, "kasa-emu: [%u] %s seq=%s refused: %s\n", k->index,
				req->peer, seq_text, refusal(err));
		status(a, err == -EPROTO || err == -EMSGSIZE ? 400 : 403);
		return;
	}
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s seq=%s > %s\n", k->index, req->peer, seq_text,
			json);
	reply = k->handle(k->userdata, json, len, false);
	free(json);
	if (!reply) {
		/* IOT JSON that is no object: on port 9999 the plug hangs up. */
		status(a, 400);
		return;
	}
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] %s seq=%s < %s\n", k->index, req->peer, seq_text,
			reply);
	reply_len = strlen(reply);
	if (k->spec->fault == EMU_FAULT_BADJSON &&
	    fault_cut_json(reply, reply_len, &cut, &reply_len) == 0) {
		free(reply);
		reply = cut;
	}
	err = kasa_klap_server_seal(k->server, reply, reply_len, &a->body, &a->len);
	free(reply);
	if (err < 0) {
		status(a, 500);
		return;
	}
	status(a, 200);
	/* session=N: the Nth answer is the session's last. */
	if (k->spec->session_max && ++k->answered >= k->spec->session_max) {
		if (emu_verbose)
			fprintf(stderr, "kasa-emu: [%u] session over after %u requests\n", k->index,
				k->answered);
		klap_reset(k);
	}
}

void klap_handle(void *userdata, const struct emu_http_request *req, struct emu_http_answer *ret)
{
	struct emu_klap *k = userdata;

	if (!streq(req->method, "POST")) {
		status(ret, 405);
		return;
	}
	if (streq(req->path, PATH_HANDSHAKE1))
		handshake1(k, req, ret);
	else if (streq(req->path, PATH_HANDSHAKE2))
		handshake2(k, req, ret);
	else if (streq(req->path, PATH_REQUEST))
		request(k, req, ret);
	else
		status(ret, 404);
}
