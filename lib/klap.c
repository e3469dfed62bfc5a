/* SPDX-License-Identifier: MIT */
/*
 * KLAP without I/O: auth hashes, the two handshakes, the session keys, and
 * sealing and opening bodies, for both the client and the device, as the
 * project's protocol notes (PROTOCOL-KLAP.md) describe them; their test
 * vectors are asserted in tests/lib/test-klap.c.
 *
 * Secrets (seeds, keys, auth hashes) live only in the objects below and
 * are wiped when a handshake ends, a session is dropped and the object is
 * freed.  Passwords are hashed at once and not kept.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <nettle/md5.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "kasa-private.h"
#include "klap-private.h"

#define AUTH_V1_LEN MD5_DIGEST_SIZE
#define AUTH_V2_LEN SHA256_DIGEST_SIZE
#define KEY_LEN	    KASA_KLAP_KEY_LEN
#define IV_LEN	    KASA_KLAP_IV_LEN
#define SIG_KEY_LEN KASA_KLAP_SIG_KEY_LEN
#define BLOCK	    AES_BLOCK_SIZE
/* The smallest body: the signature and one block of padding. */
#define BODY_MIN (KASA_KLAP_SIG_LEN + BLOCK)

static const struct {
	const char *name, *user, *password;
} creds[KASA_KLAP_CRED_COUNT] = {
	[KASA_KLAP_CRED_GIVEN] = {"given", NULL, NULL},
	[KASA_KLAP_CRED_KASA] = {"KASA", "kasa@tp-link.net", "kasaSetup"},
	[KASA_KLAP_CRED_TAPO] = {"TAPO", "test@tp-link.net", "test"},
	[KASA_KLAP_CRED_TAPOCAMERA] = {"TAPOCAMERA", "admin", "admin"},
	[KASA_KLAP_CRED_KASACAMERA] = {"KASACAMERA", "admin", "21232f297a57a5a743894a0e4a801fc3"},
	[KASA_KLAP_CRED_TAPOCAMERA_LV3] = {"TAPOCAMERA_LV3", "admin", "TPL075526460603"},
	[KASA_KLAP_CRED_BLANK] = {"blank", "", ""},
};

/* --- Hashes ------------------------------------------------------------- */

struct part {
	const void *data;
	size_t len;
};

static void sha256_parts(uint8_t out[SHA256_DIGEST_SIZE], const struct part *parts, size_t n)
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	for (size_t i = 0; i < n; i++)
		sha256_update(&ctx, parts[i].len, parts[i].data);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
	explicit_bzero(&ctx, sizeof(ctx));
}

static void auth_v1(const char *user, const char *password, uint8_t out[AUTH_V1_LEN])
{
	uint8_t inner[2 * MD5_DIGEST_SIZE];
	struct md5_ctx ctx;

	md5_init(&ctx);
	md5_update(&ctx, strlen(user), (const uint8_t *)user);
	md5_digest(&ctx, MD5_DIGEST_SIZE, inner);
	md5_update(&ctx, strlen(password), (const uint8_t *)password);
	md5_digest(&ctx, MD5_DIGEST_SIZE, inner + MD5_DIGEST_SIZE);
	md5_update(&ctx, sizeof(inner), inner);
	md5_digest(&ctx, MD5_DIGEST_SIZE, out);
	explicit_bzero(inner, sizeof(inner));
	explicit_bzero(&ctx, sizeof(ctx));
}

static void auth_v2(const char *user, const char *password, uint8_t out[AUTH_V2_LEN])
{
	uint8_t inner[2 * SHA1_DIGEST_SIZE];
	struct sha1_ctx ctx;

	sha1_init(&ctx);
	sha1_update(&ctx, strlen(user), (const uint8_t *)user);
	sha1_digest(&ctx, SHA1_DIGEST_SIZE, inner);
	sha1_update(&ctx, strlen(password), (const uint8_t *)password);
	sha1_digest(&ctx, SHA1_DIGEST_SIZE, inner + SHA1_DIGEST_SIZE);
	sha256_parts(out, (const struct part[]){{inner, sizeof(inner)}}, 1);
	explicit_bzero(inner, sizeof(inner));
	explicit_bzero(&ctx, sizeof(ctx));
}

/* handshake 1's proof of the credential: v1 SHA256(local | auth),
 * v2 SHA256(local | remote | auth). */
static void server_hash(enum kasa_klap_version version, const uint8_t *local, const uint8_t *remote,
			const uint8_t *auth, size_t auth_len, uint8_t out[SHA256_DIGEST_SIZE])
{
	if (version == KASA_KLAP_V1)
		sha256_parts(out, (const struct part[]){{local, 16}, {auth, auth_len}}, 2);
	else
		sha256_parts(out,
			     (const struct part[]){{local, 16}, {remote, 16}, {auth, auth_len}}, 3);
}

/* handshake 2's proof: the same with the seeds the other way round. */
static void client_hash(enum kasa_klap_version version, const uint8_t *local, const uint8_t *remote,
			const uint8_t *auth, size_t auth_len, uint8_t out[SHA256_DIGEST_SIZE])
{
	if (version == KASA_KLAP_V1)
		sha256_parts(out, (const struct part[]){{remote, 16}, {auth, auth_len}}, 2);
	else
		sha256_parts(out,
			     (const struct part[]){{remote, 16}, {local, 16}, {auth, auth_len}}, 3);
}

static int random_bytes(uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

KASA_EXPORT const char *kasa_klap_cred_name(enum kasa_klap_cred cred)
{
	if ((unsigned)cred >= KASA_KLAP_CRED_COUNT)
		return NULL;
	return creds[cred].name;
}

KASA_EXPORT int kasa_klap_cred_default(enum kasa_klap_cred cred, const char **ret_user,
				       const char **ret_password)
{
	if ((unsigned)cred >= KASA_KLAP_CRED_COUNT || !creds[cred].user)
		return -EINVAL;
	*ret_user = creds[cred].user;
	*ret_password = creds[cred].password;
	return 0;
}

KASA_EXPORT int kasa_klap_auth_hash(enum kasa_klap_version version, const char *user,
				    const char *password, uint8_t ret_hash[KASA_KLAP_AUTH_HASH_MAX])
{
	if (!user || !password)
		return -EINVAL;
	switch (version) {
	case KASA_KLAP_V1:
		auth_v1(user, password, ret_hash);
		return AUTH_V1_LEN;
	case KASA_KLAP_V2:
		auth_v2(user, password, ret_hash);
		return AUTH_V2_LEN;
	}
	return -EINVAL;
}

/* --- The session: keys, sealing and opening ------------------------------ */

/* With L = local | remote | auth: key = SHA256("lsk" L)[0:16], iv and seq0
 * from SHA256("iv" L) (bytes 0..11, and 28..31 as a signed big-endian
 * number), sig = SHA256("ldk" L)[0:28]. */
static void derive(struct kasa_klap_keys *k, const uint8_t *local, const uint8_t *remote,
		   const uint8_t *auth, size_t auth_len)
{
	uint8_t h[SHA256_DIGEST_SIZE];

	sha256_parts(h,
		     (const struct part[]){{"lsk", 3}, {local, 16}, {remote, 16}, {auth, auth_len}},
		     4);
	memcpy(k->key, h, KEY_LEN);
	sha256_parts(h,
		     (const struct part[]){{"iv", 2}, {local, 16}, {remote, 16}, {auth, auth_len}},
		     4);
	memcpy(k->iv, h, IV_LEN);
	k->seq = (int32_t)((uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 | (uint32_t)h[30] << 8 |
			   (uint32_t)h[31]);
	sha256_parts(h,
		     (const struct part[]){{"ldk", 3}, {local, 16}, {remote, 16}, {auth, auth_len}},
		     4);
	memcpy(k->sig, h, SIG_KEY_LEN);
	explicit_bzero(h, sizeof(h));
}

static void be32(int32_t seq, uint8_t out[4])
{
	uint32_t u = (uint32_t)seq;

	out[0] = (uint8_t)(u >> 24);
	out[1] = (uint8_t)(u >> 16);
	out[2] = (uint8_t)(u >> 8);
	out[3] = (uint8_t)u;
}

/* The IV of a request and of its answer alike: iv | be32(seq). */
static void full_iv(const struct kasa_klap_keys *k, int32_t seq, uint8_t out[BLOCK])
{
	memcpy(out, k->iv, IV_LEN);
	be32(seq, out + IV_LEN);
}

/* SHA256(sig | be32(seq) | ciphertext). */
static void sign(const struct kasa_klap_keys *k, int32_t seq, const uint8_t *ct, size_t len,
		 uint8_t out[KASA_KLAP_SIG_LEN])
{
	uint8_t s[4];

	be32(seq, s);
	sha256_parts(out, (const struct part[]){{k->sig, SIG_KEY_LEN}, {s, 4}, {ct, len}}, 3);
}

int kasa_klap_seal_blocks(const struct kasa_klap_keys *k, int32_t seq, const void *blocks,
			  size_t len, uint8_t **ret_body, size_t *ret_len)
{
	struct aes128_ctx aes;
	uint8_t iv[BLOCK], *body;

	if (!blocks || len == 0 || len % BLOCK != 0)
		return -EINVAL;
	if (len > KASA_KLAP_BODY_MAX - KASA_KLAP_SIG_LEN)
		return -EMSGSIZE;
	body = malloc(KASA_KLAP_SIG_LEN + len);
	if (!body)
		return -ENOMEM;
	aes128_set_encrypt_key(&aes, k->key);
	full_iv(k, seq, iv);
	cbc_encrypt(&aes, (nettle_cipher_func *)aes128_encrypt, BLOCK, iv, len,
		    body + KASA_KLAP_SIG_LEN, blocks);
	explicit_bzero(&aes, sizeof(aes));
	sign(k, seq, body + KASA_KLAP_SIG_LEN, len, body);
	*ret_body = body;
	*ret_len = KASA_KLAP_SIG_LEN + len;
	return 0;
}

/* json PKCS#7-padded to whole blocks (a whole block of padding when it
 * fills its last one), then sealed. */
static int seal(const struct kasa_klap_keys *k, int32_t seq, const void *json, size_t len,
		uint8_t **ret_body, size_t *ret_len)
{
	_cleanup_free_ uint8_t *padded = NULL;
	size_t pad;
	int r;

	if (!json)
		return -EINVAL;
	if (len > KASA_KLAP_PAYLOAD_MAX)
		return -EMSGSIZE;
	pad = BLOCK - len % BLOCK;
	padded = malloc(len + pad);
	if (!padded)
		return -ENOMEM;
	memcpy(padded, json, len);
	memset(padded + len, (int)pad, pad);
	r = kasa_klap_seal_blocks(k, seq, padded, len + pad, ret_body, ret_len);
	/* The plaintext may carry a secret (a new password, say). */
	explicit_bzero(padded, len + pad);
	return r;
}

/*
 * The length first, then the signature (so that nothing unauthenticated is
 * decrypted, and padding tells an attacker nothing), then the padding,
 * strictly: 1 to 16 bytes, each its own count.
 */
static int open_body(const struct kasa_klap_keys *k, int32_t seq, const void *body, size_t len,
		     char **ret_json, size_t *ret_len)
{
	const uint8_t *b = body;
	uint8_t mac[KASA_KLAP_SIG_LEN], iv[BLOCK];
	struct aes128_ctx aes;
	size_t ct_len, pad;
	uint8_t *out;

	if (!body)
		return -EINVAL;
	if (len > KASA_KLAP_BODY_MAX)
		return -EMSGSIZE;
	if (len < BODY_MIN || (len - KASA_KLAP_SIG_LEN) % BLOCK != 0)
		return -EPROTO;
	ct_len = len - KASA_KLAP_SIG_LEN;

	sign(k, seq, b + KASA_KLAP_SIG_LEN, ct_len, mac);
	if (!memeql_sec(mac, b, KASA_KLAP_SIG_LEN))
		return -EBADE;

	out = malloc(ct_len + 1);
	if (!out)
		return -ENOMEM;
	aes128_set_decrypt_key(&aes, k->key);
	full_iv(k, seq, iv);
	cbc_decrypt(&aes, (nettle_cipher_func *)aes128_decrypt, BLOCK, iv, ct_len, out,
		    b + KASA_KLAP_SIG_LEN);
	explicit_bzero(&aes, sizeof(aes));

	pad = out[ct_len - 1];
	if (pad < 1 || pad > BLOCK)
		goto bad_padding;
	for (size_t i = ct_len - pad; i < ct_len; i++)
		if (out[i] != pad)
			goto bad_padding;
	out[ct_len - pad] = '\0';
	*ret_json = (char *)out;
	*ret_len = ct_len - pad;
	return 0;

bad_padding:
	free(out);
	return -EPROTO;
}

/* --- The client ----------------------------------------------------------- */

enum client_state {
	CLIENT_IDLE,	    /* no session */
	CLIENT_HANDSHAKE1,  /* local seed sent, waiting for the device's proof */
	CLIENT_HANDSHAKE2,  /* our proof made, waiting for the device's 200 */
	CLIENT_ESTABLISHED, /* keys in use */
};

struct client_cred {
	bool tried;
	uint8_t v1[AUTH_V1_LEN];
	uint8_t v2[AUTH_V2_LEN];
};

struct kasa_klap_client {
	unsigned versions;
	struct client_cred creds[KASA_KLAP_CRED_COUNT];
	enum client_state state;
	uint8_t local_seed[KASA_KLAP_SEED_LEN];
	struct kasa_klap_keys keys;
	bool sealed; /* a request was sealed in this session: keys.seq is its */
	uint64_t handshake_usec;
	int64_t timeout_s;
};

static void client_drop(struct kasa_klap_client *c)
{
	c->state = CLIENT_IDLE;
	c->sealed = false;
	explicit_bzero(c->local_seed, sizeof(c->local_seed));
	explicit_bzero(&c->keys, sizeof(c->keys));
}

KASA_EXPORT int kasa_klap_account_set(struct kasa_klap_account *ret, const char *user,
				      const char *password)
{
	size_t len;

	if (!ret || !user || !password)
		return -EINVAL;
	len = strnlen(user, KASA_KLAP_USER_MAX);
	if (len == KASA_KLAP_USER_MAX)
		return -EINVAL;
	memcpy(ret->user, user, len + 1);
	auth_v1(user, password, ret->v1);
	auth_v2(user, password, ret->v2);
	return 0;
}

/* The length of the line at s (of n bytes), without "\n" or "\r\n"; *ret_next
 * after its end. */
static size_t line_at(const char *s, size_t n, size_t *ret_next)
{
	const char *nl = memchr(s, '\n', n);
	size_t len = nl ? (size_t)(nl - s) : n;

	*ret_next = nl ? len + 1 : n;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	return len;
}

KASA_EXPORT int kasa_klap_account_parse(struct kasa_klap_account *ret, const char *text, size_t len)
{
	char user[KASA_KLAP_USER_MAX], *password;
	size_t user_len, password_len, next, at;
	int r;

	if (!ret || (!text && len))
		return -EINVAL;
	if (len && memchr(text, '\0', len))
		return -EBADMSG;
	user_len = line_at(text, len, &next);
	at = next;
	password_len = line_at(text + at, len - at, &next);
	at += next;
	if (user_len == 0 || password_len == 0)
		return -EBADMSG;
	for (size_t rest = at; rest < len; rest++)
		if (text[rest] != '\n' && text[rest] != '\r')
			return -EBADMSG;
	if (user_len >= sizeof(user))
		return -EINVAL;
	memcpy(user, text, user_len);
	user[user_len] = '\0';
	password = strndup(text + (at - next), password_len);
	if (!password)
		return -ENOMEM;
	r = kasa_klap_account_set(ret, user, password);
	explicit_bzero(password, password_len);
	free(password);
	return r;
}

KASA_EXPORT int kasa_klap_client_new_account(const struct kasa_klap_account *account,
					     unsigned versions,
					     struct kasa_klap_client **ret_client)
{
	struct kasa_klap_client *c;

	if (versions == 0 || (versions & ~(unsigned)KASA_KLAP_ANY))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->versions = versions;
	for (size_t i = 0; i < KASA_KLAP_CRED_COUNT; i++) {
		if (i == KASA_KLAP_CRED_GIVEN) {
			if (!account)
				continue;
			memcpy(c->creds[i].v1, account->v1, AUTH_V1_LEN);
			memcpy(c->creds[i].v2, account->v2, AUTH_V2_LEN);
		} else {
			if (versions & KASA_KLAP_V1)
				auth_v1(creds[i].user, creds[i].password, c->creds[i].v1);
			if (versions & KASA_KLAP_V2)
				auth_v2(creds[i].user, creds[i].password, c->creds[i].v2);
		}
		c->creds[i].tried = true;
	}
	*ret_client = c;
	return 0;
}

KASA_EXPORT int kasa_klap_client_new(const char *user, const char *password, unsigned versions,
				     struct kasa_klap_client **ret_client)
{
	struct kasa_klap_account a;
	int r;

	if (!user != !password)
		return -EINVAL;
	if (!user)
		return kasa_klap_client_new_account(NULL, versions, ret_client);
	r = kasa_klap_account_set(&a, user, password);
	if (r >= 0)
		r = kasa_klap_client_new_account(&a, versions, ret_client);
	explicit_bzero(&a, sizeof(a));
	return r;
}

KASA_EXPORT void kasa_klap_client_free(struct kasa_klap_client *c)
{
	if (!c)
		return;
	explicit_bzero(c, sizeof(*c));
	free(c);
}

KASA_EXPORT void kasa_klap_client_reset(struct kasa_klap_client *c)
{
	if (c)
		client_drop(c);
}

KASA_EXPORT int kasa_klap_client_handshake1(struct kasa_klap_client *c, const uint8_t *seed,
					    uint8_t ret_body[KASA_KLAP_SEED_LEN])
{
	int r;

	if (!c)
		return -EINVAL;
	client_drop(c);
	if (seed) {
		memcpy(c->local_seed, seed, KASA_KLAP_SEED_LEN);
	} else {
		r = random_bytes(c->local_seed, KASA_KLAP_SEED_LEN);
		if (r < 0)
			return r;
	}
	memcpy(ret_body, c->local_seed, KASA_KLAP_SEED_LEN);
	c->state = CLIENT_HANDSHAKE1;
	return 0;
}

KASA_EXPORT int kasa_klap_client_handshake2(struct kasa_klap_client *c, const void *answer,
					    size_t len, uint8_t ret_body[KASA_KLAP_HANDSHAKE2_LEN],
					    enum kasa_klap_cred *ret_cred,
					    enum kasa_klap_version *ret_version)
{
	static const enum kasa_klap_version order[] = {KASA_KLAP_V1, KASA_KLAP_V2};
	const uint8_t *remote = answer, *proof;
	uint8_t want[SHA256_DIGEST_SIZE];

	if (!c)
		return -EINVAL;
	if (c->state != CLIENT_HANDSHAKE1)
		return -ENOTCONN;
	if (!answer || len != KASA_KLAP_HANDSHAKE1_LEN) {
		client_drop(c);
		return -EPROTO;
	}
	proof = remote + KASA_KLAP_SEED_LEN;

	/* Every credential in order; within one, the versions in order. */
	for (size_t i = 0; i < KASA_KLAP_CRED_COUNT; i++) {
		if (!c->creds[i].tried)
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(order); j++) {
			enum kasa_klap_version v = order[j];
			const uint8_t *auth = v == KASA_KLAP_V1 ? c->creds[i].v1 : c->creds[i].v2;
			size_t auth_len = v == KASA_KLAP_V1 ? AUTH_V1_LEN : AUTH_V2_LEN;

			if (!(c->versions & v))
				continue;
			server_hash(v, c->local_seed, remote, auth, auth_len, want);
			if (!memeql_sec(want, proof, sizeof(want)))
				continue;

			client_hash(v, c->local_seed, remote, auth, auth_len, ret_body);
			derive(&c->keys, c->local_seed, remote, auth, auth_len);
			explicit_bzero(c->local_seed, sizeof(c->local_seed));
			c->state = CLIENT_HANDSHAKE2;
			if (ret_cred)
				*ret_cred = (enum kasa_klap_cred)i;
			if (ret_version)
				*ret_version = v;
			return 0;
		}
	}
	client_drop(c);
	return -EACCES;
}

KASA_EXPORT int kasa_klap_client_established(struct kasa_klap_client *c, uint64_t handshake_usec,
					     int64_t timeout_s)
{
	if (!c)
		return -EINVAL;
	if (c->state != CLIENT_HANDSHAKE2)
		return -ENOTCONN;
	c->state = CLIENT_ESTABLISHED;
	c->handshake_usec = handshake_usec;
	if (timeout_s < 0)
		timeout_s = KASA_KLAP_TIMEOUT_DEFAULT;
	c->timeout_s = timeout_s > INT32_MAX ? INT32_MAX : timeout_s;
	return 0;
}

KASA_EXPORT bool kasa_klap_client_expired(const struct kasa_klap_client *c, uint64_t now_usec)
{
	if (!c || c->state != CLIENT_ESTABLISHED || c->keys.seq == INT32_MAX)
		return true;
	/* now > handshake + TIMEOUT - RENEW, without going below zero. */
	return now_usec + (uint64_t)KASA_KLAP_RENEW_S * USEC_PER_SEC >
	       c->handshake_usec + (uint64_t)c->timeout_s * USEC_PER_SEC;
}

KASA_EXPORT int kasa_klap_client_seal(struct kasa_klap_client *c, const void *json, size_t len,
				      char ret_path[KASA_KLAP_PATH_MAX], uint8_t **ret_body,
				      size_t *ret_len)
{
	int32_t seq;
	int r;

	if (!c)
		return -EINVAL;
	if (c->state != CLIENT_ESTABLISHED)
		return -ENOTCONN;
	if (c->keys.seq == INT32_MAX)
		return -EOVERFLOW;
	seq = c->keys.seq + 1;
	r = seal(&c->keys, seq, json, len, ret_body, ret_len);
	if (r < 0)
		return r;
	c->keys.seq = seq;
	c->sealed = true;
	snprintf(ret_path, KASA_KLAP_PATH_MAX, "/app/request?seq=%" PRId32, seq);
	return 0;
}

KASA_EXPORT int kasa_klap_client_open(struct kasa_klap_client *c, const void *body, size_t len,
				      char **ret_json, size_t *ret_len)
{
	if (!c)
		return -EINVAL;
	if (c->state != CLIENT_ESTABLISHED || !c->sealed)
		return -ENOTCONN;
	return open_body(&c->keys, c->keys.seq, body, len, ret_json, ret_len);
}

/* --- The server (the device's side) -------------------------------------- */

enum server_state {
	SERVER_IDLE,	    /* no session */
	SERVER_HANDSHAKE1,  /* seeds exchanged, waiting for the client's proof */
	SERVER_ESTABLISHED, /* keys in use */
};

struct kasa_klap_server {
	enum kasa_klap_version version;
	uint8_t auth[KASA_KLAP_AUTH_HASH_MAX];
	size_t auth_len;
	enum server_state state;
	uint8_t local_seed[KASA_KLAP_SEED_LEN];
	uint8_t remote_seed[KASA_KLAP_SEED_LEN];
	struct kasa_klap_keys keys;
	bool opened; /* a request was taken in this session: keys.seq is its */
};

static void server_drop(struct kasa_klap_server *s)
{
	s->state = SERVER_IDLE;
	s->opened = false;
	explicit_bzero(s->local_seed, sizeof(s->local_seed));
	explicit_bzero(s->remote_seed, sizeof(s->remote_seed));
	explicit_bzero(&s->keys, sizeof(s->keys));
}

KASA_EXPORT int kasa_klap_server_new(enum kasa_klap_version version, const uint8_t *auth_hash,
				     size_t len, struct kasa_klap_server **ret_server)
{
	struct kasa_klap_server *s;
	size_t want = 0;

	switch (version) {
	case KASA_KLAP_V1:
		want = AUTH_V1_LEN;
		break;
	case KASA_KLAP_V2:
		want = AUTH_V2_LEN;
		break;
	}
	if (want == 0 || !auth_hash || len != want)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->version = version;
	memcpy(s->auth, auth_hash, len);
	s->auth_len = len;
	*ret_server = s;
	return 0;
}

KASA_EXPORT void kasa_klap_server_free(struct kasa_klap_server *s)
{
	if (!s)
		return;
	explicit_bzero(s, sizeof(*s));
	free(s);
}

KASA_EXPORT void kasa_klap_server_reset(struct kasa_klap_server *s)
{
	if (s)
		server_drop(s);
}

KASA_EXPORT int kasa_klap_server_handshake1(struct kasa_klap_server *s, const void *body,
					    size_t len, const uint8_t *remote_seed,
					    uint8_t ret_answer[KASA_KLAP_HANDSHAKE1_LEN])
{
	int r;

	if (!s)
		return -EINVAL;
	server_drop(s);
	if (!body || len != KASA_KLAP_SEED_LEN)
		return -EPROTO;
	memcpy(s->local_seed, body, KASA_KLAP_SEED_LEN);
	if (remote_seed) {
		memcpy(s->remote_seed, remote_seed, KASA_KLAP_SEED_LEN);
	} else {
		r = random_bytes(s->remote_seed, KASA_KLAP_SEED_LEN);
		if (r < 0) {
			server_drop(s);
			return r;
		}
	}
	memcpy(ret_answer, s->remote_seed, KASA_KLAP_SEED_LEN);
	server_hash(s->version, s->local_seed, s->remote_seed, s->auth, s->auth_len,
		    ret_answer + KASA_KLAP_SEED_LEN);
	s->state = SERVER_HANDSHAKE1;
	return 0;
}

KASA_EXPORT int kasa_klap_server_handshake2(struct kasa_klap_server *s, const void *body,
					    size_t len)
{
	uint8_t want[SHA256_DIGEST_SIZE];
	int r = 0;

	if (!s)
		return -EINVAL;
	if (s->state != SERVER_HANDSHAKE1)
		return -ENOTCONN;
	if (!body || len != KASA_KLAP_HANDSHAKE2_LEN) {
		r = -EPROTO;
	} else {
		client_hash(s->version, s->local_seed, s->remote_seed, s->auth, s->auth_len, want);
		if (!memeql_sec(want, body, sizeof(want)))
			r = -EACCES;
	}
	if (r < 0) {
		server_drop(s);
		return r;
	}
	derive(&s->keys, s->local_seed, s->remote_seed, s->auth, s->auth_len);
	explicit_bzero(s->local_seed, sizeof(s->local_seed));
	explicit_bzero(s->remote_seed, sizeof(s->remote_seed));
	s->state = SERVER_ESTABLISHED;
	return 0;
}

KASA_EXPORT int kasa_klap_server_open(struct kasa_klap_server *s, int32_t seq, const void *body,
				      size_t len, char **ret_json, size_t *ret_len)
{
	char *json;
	size_t json_len;
	int r;

	if (!s)
		return -EINVAL;
	if (s->state != SERVER_ESTABLISHED)
		return -ENOTCONN;
	r = open_body(&s->keys, seq, body, len, &json, &json_len);
	if (r < 0)
		return r;
	/* Signed by the session's key, yet not new: a replay. */
	if (seq <= s->keys.seq) {
		free(json);
		return -ESTALE;
	}
	s->keys.seq = seq;
	s->opened = true;
	*ret_json = json;
	*ret_len = json_len;
	return 0;
}

KASA_EXPORT int kasa_klap_server_seal(struct kasa_klap_server *s, const void *json, size_t len,
				      uint8_t **ret_body, size_t *ret_len)
{
	if (!s)
		return -EINVAL;
	if (s->state != SERVER_ESTABLISHED || !s->opened)
		return -ENOTCONN;
	return seal(&s->keys, s->keys.seq, json, len, ret_body, ret_len);
}

/* --- For the tests (klap-private.h) ----------------------------------------- */

struct kasa_klap_keys *kasa_klap_client_keys(struct kasa_klap_client *c)
{
	return c->state == CLIENT_HANDSHAKE2 || c->state == CLIENT_ESTABLISHED ? &c->keys : NULL;
}

struct kasa_klap_keys *kasa_klap_server_keys(struct kasa_klap_server *s)
{
	return s->state == SERVER_ESTABLISHED ? &s->keys : NULL;
}
