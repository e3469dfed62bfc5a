/* SPDX-License-Identifier: MIT */
/*
 * KLAP's readers of what the network sends, against arbitrary bytes.  The
 * first byte picks which: a handshake 1 answer (the client's check), a
 * request body (the server's open, the sequence number in the next four
 * bytes), an answer body (the client's open), Set-Cookie headers (one a
 * line), or a path's sequence number.  The sessions are the v2 vector's of
 * PROTOCOL-KLAP.md, so that the corpus reaches the paths past the
 * signature.  What they promise is checked: what opens fits the caps and
 * ends with a NUL; a cookie's id is safe in a header; a timeout is -1 or
 * in range.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define USER	 "user@example.com"
#define PASSWORD "secret"

static const uint8_t local_seed[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				       0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t remote_seed[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
					0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

/* The client and the server of one v2 session; a request sealed when asked. */
static void session(struct kasa_klap_client **ret_c, struct kasa_klap_server **ret_s, bool sealed)
{
	struct kasa_klap_client *c = NULL;
	struct kasa_klap_server *s = NULL;
	uint8_t auth[KASA_KLAP_AUTH_HASH_MAX], hs1[16], answer[48], hs2[32], *body = NULL;
	char path[KASA_KLAP_PATH_MAX], *json = NULL;
	size_t len, json_len;
	int32_t seq;
	int n;

	n = kasa_klap_auth_hash(KASA_KLAP_V2, USER, PASSWORD, auth);
	if (n < 0 || kasa_klap_server_new(KASA_KLAP_V2, auth, (size_t)n, &s) < 0 ||
	    kasa_klap_client_new(USER, PASSWORD, KASA_KLAP_ANY, &c) < 0 ||
	    kasa_klap_client_handshake1(c, local_seed, hs1) < 0 ||
	    kasa_klap_server_handshake1(s, hs1, 16, remote_seed, answer) < 0 ||
	    kasa_klap_client_handshake2(c, answer, 48, hs2, NULL, NULL) < 0 ||
	    kasa_klap_server_handshake2(s, hs2, 32) < 0 ||
	    kasa_klap_client_established(c, 0, -1) < 0)
		abort();
	if (sealed) {
		static const char req[] = "{\"method\":\"get_device_info\"}";

		if (kasa_klap_client_seal(c, req, strlen(req), path, &body, &len) < 0 ||
		    kasa_klap_seq_parse(strchr(path, '=') + 1, &seq) < 0 ||
		    kasa_klap_server_open(s, seq, body, len, &json, &json_len) < 0)
			abort();
		free(body);
		free(json);
	}
	*ret_c = c;
	*ret_s = s;
}

static void check_opened(int r, char *json, size_t len)
{
	if (r < 0)
		return;
	if (len > KASA_KLAP_PAYLOAD_MAX + 15 || json[len] != '\0')
		abort();
	free(json);
}

static void fuzz_handshake1(const uint8_t *data, size_t size)
{
	struct kasa_klap_client *c = NULL;
	uint8_t hs1[16], hs2[32];
	enum kasa_klap_cred cred;
	enum kasa_klap_version version;

	if (kasa_klap_client_new(USER, PASSWORD, KASA_KLAP_ANY, &c) < 0 ||
	    kasa_klap_client_handshake1(c, local_seed, hs1) < 0)
		abort();
	if (kasa_klap_client_handshake2(c, data, size, hs2, &cred, &version) == 0 &&
	    (size != KASA_KLAP_HANDSHAKE1_LEN || !kasa_klap_cred_name(cred) ||
	     (version != KASA_KLAP_V1 && version != KASA_KLAP_V2)))
		abort();
	kasa_klap_client_free(c);
}

static void fuzz_open(const uint8_t *data, size_t size, bool server)
{
	struct kasa_klap_client *c;
	struct kasa_klap_server *s;
	char *json = NULL;
	size_t len = 0;
	int32_t seq;
	int r;

	session(&c, &s, !server);
	if (server) {
		if (size < 4)
			goto out;
		seq = (int32_t)((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
				(uint32_t)data[2] << 8 | (uint32_t)data[3]);
		r = kasa_klap_server_open(s, seq, data + 4, size - 4, &json, &len);
	} else {
		r = kasa_klap_client_open(c, data, size, &json, &len);
	}
	check_opened(r, json, len);
out:
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}

/* The rest as text, cut into headers at each newline. */
static void fuzz_cookie(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	const char *headers[16];
	struct kasa_klap_cookie cookie;
	size_t n = 0;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; p && n < 16; n++) {
		char *nl = strchr(p, '\n');

		headers[n] = p;
		if (nl)
			*nl++ = '\0';
		p = nl;
	}
	if (kasa_klap_cookie_parse(headers, n, &cookie) == 0) {
		size_t len = strnlen(cookie.session_id, sizeof(cookie.session_id));

		if (len == sizeof(cookie.session_id))
			abort();
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)cookie.session_id[i];

			if (ch <= 0x20 || ch >= 0x7f || ch == ';' || ch == ',' || ch == '"' ||
			    ch == '\\')
				abort();
		}
		if (cookie.timeout_s < -1 || cookie.timeout_s > INT32_MAX)
			abort();
	}
	free(text);
}

static void fuzz_seq(const uint8_t *data, size_t size)
{
	char text[32], path[KASA_KLAP_PATH_MAX + 8];
	int32_t seq;

	if (size >= sizeof(text))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	/* What parses prints back the same. */
	if (kasa_klap_seq_parse(text, &seq) == 0) {
		snprintf(path, sizeof(path), "%" PRId32, seq);
		if (strcmp(path, text) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		fuzz_handshake1(data + 1, size - 1);
		break;
	case 1:
		fuzz_open(data + 1, size - 1, true);
		break;
	case 2:
		fuzz_open(data + 1, size - 1, false);
		break;
	case 3:
		fuzz_cookie(data + 1, size - 1);
		break;
	case 4:
		fuzz_seq(data + 1, size - 1);
		break;
	}
	return 0;
}
