/* SPDX-License-Identifier: MIT */
/*
 * KLAP without I/O: every test vector of PROTOCOL-KLAP.md section 9 byte for
 * byte, the client against the server both ways, and what a hostile or
 * broken peer sends: answers of the wrong length, credentials that match
 * nothing, signatures and padding tampered with, bodies cut short, replays,
 * sequence numbers used up, cookies that would not be safe to send back.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kasa.h"
#include "klap-private.h"
#include "common/macro.h"
#include "test-util.h"

#define USER	 "user@example.com"
#define PASSWORD "secret"
#define SEC	 UINT64_C(1000000)

/* --- The vectors (section 9) ----------------------------------------------- */

struct vector {
	enum kasa_klap_version version;
	const char *auth_hash;
	const char *server_hash;
	const char *handshake2;
	const char *key, *iv, *sig;
	int32_t seq0;
	const char *first_path;
	const char *first_iv;
	const char *plaintext;
	const char *request;
	const char *answer_plaintext;
	const char *answer;
};

static const struct vector v1 = {
	.version = KASA_KLAP_V1,
	.auth_hash = "9d6ce791ce44316e9e52fc1bc9d36496",
	.server_hash = "c2d456076f946c707000874d2e226a1c09e89a21e459272b8ec0f01cdaf774cf",
	.handshake2 = "50ef3325d42cd7c999aa9e47e8cb0f8a7f6f239f1d51b39d46d581a4bb75c8c5",
	.key = "c5d896030359050e711d402b829b53cd",
	.iv = "3dcdd2bc7801fec3a7a7eb96",
	.sig = "4617dcf442a7c0101e3e8bdcfee6978938be30821c84b70c71571fab",
	.seq0 = -59551828,
	.first_path = "/app/request?seq=-59551827",
	.first_iv = "3dcdd2bc7801fec3a7a7eb96fc734fad",
	.plaintext = "{\"system\":{\"get_sysinfo\":{}}}",
	.request = "c96f0b774642c44a6c9b1ddc66d940fd1ef589b5839f50918b910bc99cce62a9"
		   "d938d48d944c90ce1725e9a8ea0af3a37e8b6039e6189a3a497bf0b9b03700d8",
	.answer_plaintext = "{\"system\":{\"get_sysinfo\":{\"relay_state\":1,\"err_code\":0}}}",
	.answer = "bed36992f786e7addd0148df8cf3e6de70e2f22d3df00d5deee84fdbfcca4614"
		  "d938d48d944c90ce1725e9a8ea0af3a3dd71f63eef4660c1b685332b81530ffe"
		  "afbae9b3a634ca09990ac681727af3763727604aa98c620e73376b35d5b35dcb",
};

static const struct vector v2 = {
	.version = KASA_KLAP_V2,
	.auth_hash = "b039216532fc844e9ae0cc8fe3ea911c9ba09c641bb96a3e1f776d93f7b5ae9b",
	.server_hash = "8ed3b905e654fbee23900d0244156a33029c025b71b03bfcc601eff33aaebb70",
	.handshake2 = "1e590e7a4dc128da48ed17e06fe23ddb6ec646bb6da2eb00708d590f194201d7",
	.key = "35dcf29cd535ce140a239c67f641d395",
	.iv = "863e09a70667472d3fa152a4",
	.sig = "777443e2fdd5cb21052633a60e830f44c8654b3a701f449231ed11fa",
	.seq0 = -903964344,
	.first_path = "/app/request?seq=-903964343",
	.first_iv = "863e09a70667472d3fa152a4ca1e9949",
	.plaintext = "{\"method\":\"get_device_info\"}",
	.request = "81da24b0a1db4c9ec2fd895b347d416921d7f7a822457b501a52072e5f9acebf"
		   "1119b459358000bec16c976ef226a249c491bf18064c9319a51d85792116a683",
	.answer_plaintext = "{\"error_code\":0,\"result\":{\"device_on\":true}}",
	.answer = "94463506ad85a3a143ef538d5dda49a2a5084fea9c33d4f7e9c4629d24ee409c"
		  "698ecfb3cf725e9d3a43ce4a1372b356596675aecb53f5a375ead967e23ca574"
		  "c7ddbc00b60b82d9c320e48783b21faf",
};

static const uint8_t local_seed[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				       0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t remote_seed[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
					0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

/* Hex (even length, lower case) to bytes; the buffer is owned. */
static uint8_t *unhex(const char *hex, size_t *ret_len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *out = malloc(n ? n : 1);

	ck_assert_uint_eq(strlen(hex) % 2, 0);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	*ret_len = n;
	return out;
}

/* Bytes equal to the hex text, length and all. */
static void expect_hex(const void *got, size_t len, const char *hex)
{
	size_t want_len;
	uint8_t *want = unhex(hex, &want_len);

	ck_assert_uint_eq(len, want_len);
	ck_assert_mem_eq(got, want, len);
	free(want);
}

static uint8_t *auth_of(enum kasa_klap_version version, const char *user, const char *password,
			size_t *ret_len)
{
	uint8_t *h = malloc(KASA_KLAP_AUTH_HASH_MAX);
	int r;

	ck_assert_ptr_nonnull(h);
	r = kasa_klap_auth_hash(version, user, password, h);
	ck_assert_int_gt(r, 0);
	*ret_len = (size_t)r;
	return h;
}

static struct kasa_klap_server *server_for(enum kasa_klap_version version, const char *user,
					   const char *password)
{
	struct kasa_klap_server *s = NULL;
	size_t len;
	uint8_t *h = auth_of(version, user, password, &len);

	ck_assert_int_eq(kasa_klap_server_new(version, h, len, &s), 0);
	ck_assert_ptr_nonnull(s);
	free(h);
	return s;
}

static struct kasa_klap_client *client_for(const char *user, const char *password,
					   unsigned versions)
{
	struct kasa_klap_client *c = NULL;

	ck_assert_int_eq(kasa_klap_client_new(user, password, versions, &c), 0);
	ck_assert_ptr_nonnull(c);
	return c;
}

/*
 * Both handshakes between c and s with the vectors' seeds, up to the
 * device's 200 to handshake 2; the client must recognise want_cred and
 * want_version.
 */
static void handshake_both(struct kasa_klap_client *c, struct kasa_klap_server *s,
			   enum kasa_klap_cred want_cred, enum kasa_klap_version want_version)
{
	uint8_t hs1[KASA_KLAP_SEED_LEN], answer[KASA_KLAP_HANDSHAKE1_LEN];
	uint8_t hs2[KASA_KLAP_HANDSHAKE2_LEN];
	enum kasa_klap_cred cred = KASA_KLAP_CRED_COUNT;
	enum kasa_klap_version version = 0;

	ck_assert_int_eq(kasa_klap_client_handshake1(c, local_seed, hs1), 0);
	ck_assert_mem_eq(hs1, local_seed, sizeof(hs1));
	ck_assert_int_eq(kasa_klap_server_handshake1(s, hs1, sizeof(hs1), remote_seed, answer), 0);
	ck_assert_mem_eq(answer, remote_seed, KASA_KLAP_SEED_LEN);
	ck_assert_int_eq(
		kasa_klap_client_handshake2(c, answer, sizeof(answer), hs2, &cred, &version), 0);
	ck_assert_int_eq(cred, want_cred);
	ck_assert_int_eq(version, want_version);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, hs2, sizeof(hs2)), 0);
}

/* The same, and the client's session open (at 1000 s, for a day). */
static void handshake(struct kasa_klap_client *c, struct kasa_klap_server *s,
		      enum kasa_klap_cred want_cred, enum kasa_klap_version want_version)
{
	handshake_both(c, s, want_cred, want_version);
	ck_assert_int_eq(kasa_klap_client_established(c, 1000 * SEC, 86400), 0);
}

/* --- Auth hashes and credentials ------------------------------------------- */

START_TEST(test_auth_hashes)
{
	uint8_t h[KASA_KLAP_AUTH_HASH_MAX];
	const char *user, *password;

	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V1, USER, PASSWORD, h), 16);
	expect_hex(h, 16, v1.auth_hash);
	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V2, USER, PASSWORD, h), 32);
	expect_hex(h, 32, v2.auth_hash);

	/* Blank: a device never bound to an account. */
	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V1, "", "", h), 16);
	expect_hex(h, 16, "5873dd45edd01f09c1ef2e7819369e8e");
	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V2, "", "", h), 32);
	expect_hex(h, 32, "b8628ab91c74f531603f6d5b45e730e54c123a7247b8978272c03f1e13560cea");

	/* The built-in defaults, from the library's own table. */
	ck_assert_int_eq(kasa_klap_cred_default(KASA_KLAP_CRED_KASA, &user, &password), 0);
	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V1, user, password, h), 16);
	expect_hex(h, 16, "74b751bdd208bc155ae2a6d4167cc44d");
	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V2, user, password, h), 32);
	expect_hex(h, 32, "49fc4839a2733ffbf464337648f65dc411778d4c03ec82c5e4cccc682163fa64");
	ck_assert_int_eq(kasa_klap_cred_default(KASA_KLAP_CRED_TAPO, &user, &password), 0);
	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V2, user, password, h), 32);
	expect_hex(h, 32, "7d5ae9ac18f5bb37843a4577867dd4348d8dff26c4b261ebff1b74d88adc063b");
	ck_assert_int_eq(kasa_klap_cred_default(KASA_KLAP_CRED_BLANK, &user, &password), 0);
	ck_assert_str_eq(user, "");
	ck_assert_str_eq(password, "");
}
END_TEST

START_TEST(test_auth_hash_refused)
{
	uint8_t h[KASA_KLAP_AUTH_HASH_MAX] = {0}, zero[KASA_KLAP_AUTH_HASH_MAX] = {0};

	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V1, NULL, "", h), -EINVAL);
	ck_assert_int_eq(kasa_klap_auth_hash(KASA_KLAP_V2, "", NULL, h), -EINVAL);
	ck_assert_int_eq(kasa_klap_auth_hash((enum kasa_klap_version)0, "", "", h), -EINVAL);
	ck_assert_int_eq(kasa_klap_auth_hash((enum kasa_klap_version)KASA_KLAP_ANY, "", "", h),
			 -EINVAL);
	ck_assert_mem_eq(h, zero, sizeof(h));
}
END_TEST

/* A credentials file's text: the same hashes as the strings, whatever the
 * line ends; anything else refused. */
START_TEST(test_account_parse)
{
	static const char *const good[] = {
		USER "\n" PASSWORD "\n",
		USER "\r\n" PASSWORD "\r\n",
		USER "\n" PASSWORD,
		USER "\n" PASSWORD "\n\n\r\n",
	};
	static const char *const bad[] = {
		"", USER, USER "\n", USER "\n\n", "\n" PASSWORD "\n",
		USER "\n" PASSWORD "\nthird line\n", USER "\r\n\r\n",
	};
	struct kasa_klap_account a;
	char nul[] = USER "\n" PASSWORD "\0\n";
	char long_user[KASA_KLAP_USER_MAX + 16];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		memset(&a, 0, sizeof(a));
		ck_assert_int_eq(kasa_klap_account_parse(&a, good[i], strlen(good[i])), 0);
		ck_assert_str_eq(a.user, USER);
		expect_hex(a.v1, 16, v1.auth_hash);
		expect_hex(a.v2, 32, v2.auth_hash);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(kasa_klap_account_parse(&a, bad[i], strlen(bad[i])) == -EBADMSG,
			      "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(kasa_klap_account_parse(&a, nul, sizeof(nul) - 1), -EBADMSG);
	memset(long_user, 'a', KASA_KLAP_USER_MAX);
	memcpy(long_user + KASA_KLAP_USER_MAX, "\npw\n", 5);
	ck_assert_int_eq(kasa_klap_account_parse(&a, long_user, KASA_KLAP_USER_MAX + 4), -EINVAL);

	/* The hashes do for the password: a device bound to the account. */
	ck_assert_int_eq(kasa_klap_account_set(&a, USER, PASSWORD), 0);
	{
		struct kasa_klap_server *s = server_for(KASA_KLAP_V2, USER, PASSWORD);
		struct kasa_klap_client *c;

		ck_assert_int_eq(kasa_klap_client_new_account(&a, KASA_KLAP_ANY, &c), 0);
		handshake(c, s, KASA_KLAP_CRED_GIVEN, KASA_KLAP_V2);
		kasa_klap_client_free(c);
		kasa_klap_server_free(s);
	}
}
END_TEST

START_TEST(test_cred_table)
{
	static const struct {
		enum kasa_klap_cred cred;
		const char *name, *user, *password;
	} want[] = {
		{KASA_KLAP_CRED_GIVEN, "given", NULL, NULL},
		{KASA_KLAP_CRED_KASA, "KASA", "kasa@tp-link.net", "kasaSetup"},
		{KASA_KLAP_CRED_TAPO, "TAPO", "test@tp-link.net", "test"},
		{KASA_KLAP_CRED_TAPOCAMERA, "TAPOCAMERA", "admin", "admin"},
		{KASA_KLAP_CRED_KASACAMERA, "KASACAMERA", "admin",
		 "21232f297a57a5a743894a0e4a801fc3"},
		{KASA_KLAP_CRED_TAPOCAMERA_LV3, "TAPOCAMERA_LV3", "admin", "TPL075526460603"},
		{KASA_KLAP_CRED_BLANK, "blank", "", ""},
	};
	const char *user = "x", *password = "y";

	/* The order is the order tried: given, the defaults, blank last. */
	ck_assert_uint_eq(sizeof(want) / sizeof(want[0]), KASA_KLAP_CRED_COUNT);
	for (size_t i = 0; i < KASA_KLAP_CRED_COUNT; i++) {
		ck_assert_int_eq(want[i].cred, (int)i);
		ck_assert_str_eq(kasa_klap_cred_name(want[i].cred), want[i].name);
		if (!want[i].user) {
			ck_assert_int_eq(kasa_klap_cred_default(want[i].cred, &user, &password),
					 -EINVAL);
			ck_assert_str_eq(user, "x");
			continue;
		}
		ck_assert_int_eq(kasa_klap_cred_default(want[i].cred, &user, &password), 0);
		ck_assert_str_eq(user, want[i].user);
		ck_assert_str_eq(password, want[i].password);
	}
	ck_assert_ptr_null(kasa_klap_cred_name((enum kasa_klap_cred)KASA_KLAP_CRED_COUNT));
	ck_assert_ptr_null(kasa_klap_cred_name((enum kasa_klap_cred) - 1));
	ck_assert_int_eq(
		kasa_klap_cred_default((enum kasa_klap_cred)KASA_KLAP_CRED_COUNT, &user, &password),
		-EINVAL);
}
END_TEST

/* --- The handshakes ---------------------------------------------------------- */

/* The server's handshake 1 answer and the client's handshake 2 body, as the vectors. */
static void check_handshake_vectors(const struct vector *v)
{
	struct kasa_klap_server *s = server_for(v->version, USER, PASSWORD);
	struct kasa_klap_client *c = client_for(USER, PASSWORD, v->version);
	uint8_t answer[KASA_KLAP_HANDSHAKE1_LEN], hs2[KASA_KLAP_HANDSHAKE2_LEN], hs1[16];
	enum kasa_klap_cred cred;
	enum kasa_klap_version version;

	ck_assert_int_eq(kasa_klap_server_handshake1(s, local_seed, 16, remote_seed, answer), 0);
	ck_assert_mem_eq(answer, remote_seed, 16);
	expect_hex(answer + 16, 32, v->server_hash);

	ck_assert_int_eq(kasa_klap_client_handshake1(c, local_seed, hs1), 0);
	ck_assert_int_eq(
		kasa_klap_client_handshake2(c, answer, sizeof(answer), hs2, &cred, &version), 0);
	expect_hex(hs2, sizeof(hs2), v->handshake2);
	ck_assert_int_eq(cred, KASA_KLAP_CRED_GIVEN);
	ck_assert_int_eq(version, v->version);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, hs2, sizeof(hs2)), 0);

	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}

START_TEST(test_handshake_v1)
{
	check_handshake_vectors(&v1);
}
END_TEST

START_TEST(test_handshake_v2)
{
	check_handshake_vectors(&v2);
}
END_TEST

/* key, iv, seq0 and sig on both sides. */
static void check_keys(const struct vector *v)
{
	struct kasa_klap_server *s = server_for(v->version, USER, PASSWORD);
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
	const struct kasa_klap_keys *keys[2];

	ck_assert_ptr_null(kasa_klap_client_keys(c));
	ck_assert_ptr_null(kasa_klap_server_keys(s));
	handshake(c, s, KASA_KLAP_CRED_GIVEN, v->version);
	keys[0] = kasa_klap_client_keys(c);
	keys[1] = kasa_klap_server_keys(s);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_ptr_nonnull(keys[i]);
		expect_hex(keys[i]->key, sizeof(keys[i]->key), v->key);
		expect_hex(keys[i]->iv, sizeof(keys[i]->iv), v->iv);
		expect_hex(keys[i]->sig, sizeof(keys[i]->sig), v->sig);
		ck_assert_int_eq(keys[i]->seq, v->seq0);
	}
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}

START_TEST(test_keys_v1)
{
	check_keys(&v1);
}
END_TEST

START_TEST(test_keys_v2)
{
	check_keys(&v2);
}
END_TEST

/*
 * The first request and its answer: the path, the bodies byte for byte (the
 * plaintexts from the request builders), each side opening the other's.
 */
static void check_exchange(const struct vector *v, const char *plaintext)
{
	struct kasa_klap_server *s = server_for(v->version, USER, PASSWORD);
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
	char path[KASA_KLAP_PATH_MAX];
	uint8_t *body = NULL, *answer = NULL;
	size_t body_len = 0, answer_len = 0, json_len = 0;
	char *json = NULL;
	int32_t seq = 0;
	uint8_t iv[16];

	ck_assert_str_eq(plaintext, v->plaintext);
	handshake(c, s, KASA_KLAP_CRED_GIVEN, v->version);

	ck_assert_int_eq(
		kasa_klap_client_seal(c, plaintext, strlen(plaintext), path, &body, &body_len), 0);
	ck_assert_str_eq(path, v->first_path);
	expect_hex(body, body_len, v->request);
	/* The IV the request used: iv | be32(seq0 + 1). */
	memcpy(iv, kasa_klap_client_keys(c)->iv, 12);
	iv[12] = (uint8_t)((uint32_t)(v->seq0 + 1) >> 24);
	iv[13] = (uint8_t)((uint32_t)(v->seq0 + 1) >> 16);
	iv[14] = (uint8_t)((uint32_t)(v->seq0 + 1) >> 8);
	iv[15] = (uint8_t)(uint32_t)(v->seq0 + 1);
	expect_hex(iv, sizeof(iv), v->first_iv);

	/* The device reads the seq from the path's query. */
	ck_assert_int_eq(kasa_klap_seq_parse(strchr(path, '=') + 1, &seq), 0);
	ck_assert_int_eq(seq, v->seq0 + 1);
	ck_assert_int_eq(kasa_klap_server_open(s, seq, body, body_len, &json, &json_len), 0);
	ck_assert_uint_eq(json_len, strlen(v->plaintext));
	ck_assert_str_eq(json, v->plaintext);
	free(json);

	ck_assert_int_eq(kasa_klap_server_seal(s, v->answer_plaintext, strlen(v->answer_plaintext),
					       &answer, &answer_len),
			 0);
	expect_hex(answer, answer_len, v->answer);
	/* Same key, same IV: the two first cipher blocks agree when the plaintexts do. */
	if (memcmp(v->plaintext, v->answer_plaintext, 16) == 0)
		ck_assert_mem_eq(body + 32, answer + 32, 16);

	ck_assert_int_eq(kasa_klap_client_open(c, answer, answer_len, &json, &json_len), 0);
	ck_assert_uint_eq(json_len, strlen(v->answer_plaintext));
	ck_assert_str_eq(json, v->answer_plaintext);
	free(json);

	free(body);
	free(answer);
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}

START_TEST(test_exchange_v1)
{
	char *json = NULL;

	ck_assert_int_eq(kasa_req_sysinfo(&json), 0);
	check_exchange(&v1, json);
	free(json);
}
END_TEST

START_TEST(test_exchange_v2)
{
	char *json = NULL;

	ck_assert_int_eq(kasa_smart_req_device_info(NULL, &json), 0);
	check_exchange(&v2, json);
	free(json);
}
END_TEST

/* The blank v1 vector: a client with other credentials falls back to blank. */
START_TEST(test_blank_v1)
{
	struct kasa_klap_server *s = server_for(KASA_KLAP_V1, "", "");
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
	uint8_t answer[KASA_KLAP_HANDSHAKE1_LEN];
	const struct kasa_klap_keys *k;

	ck_assert_int_eq(kasa_klap_server_handshake1(s, local_seed, 16, remote_seed, answer), 0);
	expect_hex(answer + 16, 32,
		   "1ca7b0806cd3eb85ab4b46ba1d154050a0d36bf3fc003317d8188ba78570ede0");
	handshake(c, s, KASA_KLAP_CRED_BLANK, KASA_KLAP_V1);
	k = kasa_klap_client_keys(c);
	expect_hex(k->key, sizeof(k->key), "56fcc26a17efada203f6c248d2813d38");
	ck_assert_int_eq(k->seq, -1663874911);
	ck_assert_int_eq(kasa_klap_server_keys(s)->seq, -1663874911);
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}
END_TEST

/* Devices bound to an account may answer with a default: every one is recognised. */
START_TEST(test_defaults_recognised)
{
	static const enum kasa_klap_version versions[] = {KASA_KLAP_V1, KASA_KLAP_V2};

	for (size_t j = 0; j < 2; j++)
		for (int i = KASA_KLAP_CRED_KASA; i < KASA_KLAP_CRED_COUNT; i++) {
			const char *user, *password;
			struct kasa_klap_server *s;
			struct kasa_klap_client *c;

			ck_assert_int_eq(kasa_klap_cred_default(i, &user, &password), 0);
			s = server_for(versions[j], user, password);
			/* With and without the account's credentials. */
			c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
			handshake(c, s, i, versions[j]);
			kasa_klap_client_free(c);
			c = client_for(NULL, NULL, versions[j]);
			handshake(c, s, i, versions[j]);
			kasa_klap_client_free(c);
			kasa_klap_server_free(s);
		}
}
END_TEST

/* The account's credentials win over a default that is the same. */
START_TEST(test_given_first)
{
	struct kasa_klap_server *s = server_for(KASA_KLAP_V2, "", "");
	struct kasa_klap_client *c = client_for("", "", KASA_KLAP_ANY);

	handshake(c, s, KASA_KLAP_CRED_GIVEN, KASA_KLAP_V2);
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}
END_TEST

/* A device with the account's credentials of someone else: nothing matches. */
START_TEST(test_no_candidate)
{
	static const enum kasa_klap_version versions[] = {KASA_KLAP_V1, KASA_KLAP_V2};

	for (size_t i = 0; i < 2; i++) {
		struct kasa_klap_server *s = server_for(versions[i], "other@example.com", "x");
		struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
		uint8_t hs1[16], answer[48], hs2[32], untouched[32];
		enum kasa_klap_cred cred = KASA_KLAP_CRED_COUNT;
		char path[KASA_KLAP_PATH_MAX];
		uint8_t *body = NULL;
		size_t len = 0;

		memset(hs2, 0xa5, sizeof(hs2));
		memcpy(untouched, hs2, sizeof(hs2));
		ck_assert_int_eq(kasa_klap_client_handshake1(c, local_seed, hs1), 0);
		ck_assert_int_eq(kasa_klap_server_handshake1(s, hs1, 16, remote_seed, answer), 0);
		ck_assert_int_eq(kasa_klap_client_handshake2(c, answer, 48, hs2, &cred, NULL),
				 -EACCES);
		ck_assert_mem_eq(hs2, untouched, sizeof(hs2));
		ck_assert_int_eq(cred, KASA_KLAP_CRED_COUNT);
		/* The handshake is over. */
		ck_assert_int_eq(kasa_klap_client_handshake2(c, answer, 48, hs2, NULL, NULL),
				 -ENOTCONN);
		ck_assert_int_eq(kasa_klap_client_seal(c, "{}", 2, path, &body, &len), -ENOTCONN);
		ck_assert_ptr_null(body);
		ck_assert(kasa_klap_client_expired(c, 0));
		kasa_klap_client_free(c);
		kasa_klap_server_free(s);
	}
}
END_TEST

/* Versions the client is told: the other hashing is not tried. */
START_TEST(test_version_restricted)
{
	struct kasa_klap_server *s = server_for(KASA_KLAP_V2, USER, PASSWORD);
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_V1);
	uint8_t hs1[16], answer[48], hs2[32];

	ck_assert_int_eq(kasa_klap_client_handshake1(c, local_seed, hs1), 0);
	ck_assert_int_eq(kasa_klap_server_handshake1(s, hs1, 16, remote_seed, answer), 0);
	ck_assert_int_eq(kasa_klap_client_handshake2(c, answer, 48, hs2, NULL, NULL), -EACCES);
	kasa_klap_client_free(c);

	c = client_for(USER, PASSWORD, KASA_KLAP_V2);
	handshake(c, s, KASA_KLAP_CRED_GIVEN, KASA_KLAP_V2);
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}
END_TEST

START_TEST(test_handshake1_answer_length)
{
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
	static const size_t lens[] = {0, 16, 32, 47, 49, 64};
	uint8_t hs1[16], answer[64] = {0}, hs2[32];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_assert_int_eq(kasa_klap_client_handshake1(c, local_seed, hs1), 0);
		ck_assert_int_eq(kasa_klap_client_handshake2(c, answer, lens[i], hs2, NULL, NULL),
				 -EPROTO);
		/* Any error ends the handshake. */
		ck_assert_int_eq(kasa_klap_client_handshake2(c, answer, 48, hs2, NULL, NULL),
				 -ENOTCONN);
	}
	ck_assert_int_eq(kasa_klap_client_handshake1(c, local_seed, hs1), 0);
	ck_assert_int_eq(kasa_klap_client_handshake2(c, NULL, 48, hs2, NULL, NULL), -EPROTO);
	kasa_klap_client_free(c);
}
END_TEST

START_TEST(test_server_handshake_refused)
{
	struct kasa_klap_server *s = server_for(KASA_KLAP_V2, USER, PASSWORD);
	uint8_t answer[48], hs2[32];
	size_t len;
	uint8_t *good = unhex(v2.handshake2, &len);
	char *json = NULL;
	size_t json_len;

	/* No handshake 1 yet. */
	ck_assert_int_eq(kasa_klap_server_handshake2(s, good, len), -ENOTCONN);
	/* A seed of the wrong length. */
	ck_assert_int_eq(kasa_klap_server_handshake1(s, local_seed, 15, remote_seed, answer),
			 -EPROTO);
	ck_assert_int_eq(kasa_klap_server_handshake1(s, hs2, 17, remote_seed, answer), -EPROTO);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, good, len), -ENOTCONN);

	/* A proof that is not the credential's, then one of the wrong length: each ends it. */
	ck_assert_int_eq(kasa_klap_server_handshake1(s, local_seed, 16, remote_seed, answer), 0);
	memcpy(hs2, good, 32);
	hs2[31] ^= 1;
	ck_assert_int_eq(kasa_klap_server_handshake2(s, hs2, 32), -EACCES);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, good, len), -ENOTCONN);
	ck_assert_int_eq(kasa_klap_server_handshake1(s, local_seed, 16, remote_seed, answer), 0);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, good, 31), -EPROTO);
	ck_assert_int_eq(kasa_klap_server_open(s, 1, hs2, 32, &json, &json_len), -ENOTCONN);

	/* The right one opens the session. */
	ck_assert_int_eq(kasa_klap_server_handshake1(s, local_seed, 16, remote_seed, answer), 0);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, good, len), 0);
	ck_assert_ptr_nonnull(kasa_klap_server_keys(s));
	free(good);
	kasa_klap_server_free(s);
}
END_TEST

/* --- Requests and answers ----------------------------------------------------- */

/* A session on both sides and the first request sealed; the caller frees. */
struct pair {
	struct kasa_klap_client *c;
	struct kasa_klap_server *s;
	uint8_t *body;
	size_t len;
	int32_t seq;
};

static struct pair pair_open(void)
{
	struct pair p = {0};
	char path[KASA_KLAP_PATH_MAX];

	p.s = server_for(KASA_KLAP_V2, USER, PASSWORD);
	p.c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
	handshake(p.c, p.s, KASA_KLAP_CRED_GIVEN, KASA_KLAP_V2);
	ck_assert_int_eq(kasa_klap_client_seal(p.c, v2.plaintext, strlen(v2.plaintext), path,
					       &p.body, &p.len),
			 0);
	ck_assert_int_eq(kasa_klap_seq_parse(strchr(path, '=') + 1, &p.seq), 0);
	return p;
}

static void pair_close(struct pair *p)
{
	free(p->body);
	kasa_klap_client_free(p->c);
	kasa_klap_server_free(p->s);
}

/* open on the server side must fail with err, writing nothing. */
static void server_refuses(struct pair *p, int32_t seq, const void *body, size_t len, int err)
{
	char *json = (char *)0x1;
	size_t json_len = 7;

	ck_assert_int_eq(kasa_klap_server_open(p->s, seq, body, len, &json, &json_len), err);
	ck_assert_ptr_eq(json, (char *)0x1);
	ck_assert_uint_eq(json_len, 7);
}

START_TEST(test_tampered_signature)
{
	struct pair p = pair_open();
	uint8_t *b = malloc(p.len);
	char *json;
	size_t json_len;

	/* Any byte of the signature, or of the ciphertext it covers. */
	for (size_t i = 0; i < p.len; i += 7) {
		memcpy(b, p.body, p.len);
		b[i] ^= 0x01;
		server_refuses(&p, p.seq, b, p.len, -EBADE);
	}
	/* The right body under another sequence number (its IV and signature differ). */
	server_refuses(&p, p.seq + 1, p.body, p.len, -EBADE);
	/* The untouched body still opens. */
	ck_assert_int_eq(kasa_klap_server_open(p.s, p.seq, p.body, p.len, &json, &json_len), 0);
	free(json);
	free(b);
	pair_close(&p);
}
END_TEST

START_TEST(test_tampered_answer)
{
	struct pair p = pair_open();
	uint8_t *answer = NULL;
	size_t answer_len, json_len;
	char *json = NULL;

	ck_assert_int_eq(kasa_klap_server_open(p.s, p.seq, p.body, p.len, &json, &json_len), 0);
	free(json);
	ck_assert_int_eq(kasa_klap_server_seal(p.s, "{}", 2, &answer, &answer_len), 0);
	answer[0] ^= 0x80;
	json = (char *)0x1;
	ck_assert_int_eq(kasa_klap_client_open(p.c, answer, answer_len, &json, &json_len), -EBADE);
	ck_assert_ptr_eq(json, (char *)0x1);
	answer[0] ^= 0x80;
	answer[answer_len - 1] ^= 0x80;
	ck_assert_int_eq(kasa_klap_client_open(p.c, answer, answer_len, &json, &json_len), -EBADE);
	answer[answer_len - 1] ^= 0x80;
	ck_assert_int_eq(kasa_klap_client_open(p.c, answer, answer_len, &json, &json_len), 0);
	ck_assert_str_eq(json, "{}");
	ck_assert_uint_eq(json_len, 2);
	free(json);
	free(answer);
	pair_close(&p);
}
END_TEST

START_TEST(test_truncated)
{
	struct pair p = pair_open();

	/* Lengths no body has: under signature and a block, or not whole blocks. */
	server_refuses(&p, p.seq, p.body, 0, -EPROTO);
	server_refuses(&p, p.seq, p.body, 32, -EPROTO);
	server_refuses(&p, p.seq, p.body, 47, -EPROTO);
	server_refuses(&p, p.seq, p.body, p.len - 1, -EPROTO);
	server_refuses(&p, p.seq, p.body, p.len - 15, -EPROTO);
	/* Whole blocks cut off: the signature no longer covers what is left. */
	server_refuses(&p, p.seq, p.body, p.len - 16, -EBADE);
	server_refuses(&p, p.seq, NULL, p.len, -EINVAL);
	pair_close(&p);
}
END_TEST

/* Bodies signed with the session's keys (so only the padding is wrong). */
START_TEST(test_bad_padding)
{
	static const struct {
		uint8_t last[16];
	} blocks[] = {
		/* Padding count 0. */
		{{'{', '}', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		/* Count 17: more than a block. */
		{{'{', '}', 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17}},
		/* Count 3 over bytes that are not all 3. */
		{{'{', '}', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 2, 3, 3}},
		/* Count 14 where only 13 bytes say so. */
		{{'{', '}', 13, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14}},
	};
	struct pair p = pair_open();
	const struct kasa_klap_keys *k = kasa_klap_server_keys(p.s);
	uint8_t good_block[16] = {'{', '}', 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14};
	uint8_t *body = NULL;
	size_t len;
	char *json;
	size_t json_len;
	int32_t seq = p.seq;

	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		ck_assert_int_eq(kasa_klap_seal_blocks(k, seq, blocks[i].last, 16, &body, &len), 0);
		server_refuses(&p, seq, body, len, -EPROTO);
		free(body);
	}
	/* The same layer with good padding opens: the refusals were the padding's. */
	ck_assert_int_eq(kasa_klap_seal_blocks(k, seq, good_block, 16, &body, &len), 0);
	ck_assert_int_eq(kasa_klap_server_open(p.s, seq, body, len, &json, &json_len), 0);
	ck_assert_str_eq(json, "{}");
	free(json);
	free(body);
	/* A whole block of padding, the most there is. */
	memset(good_block, 16, 16);
	ck_assert_int_eq(kasa_klap_seal_blocks(k, seq + 1, good_block, 16, &body, &len), 0);
	ck_assert_int_eq(kasa_klap_server_open(p.s, seq + 1, body, len, &json, &json_len), 0);
	ck_assert_uint_eq(json_len, 0);
	ck_assert_str_eq(json, "");
	free(json);
	free(body);
	/* seal_blocks takes whole blocks only. */
	ck_assert_int_eq(kasa_klap_seal_blocks(k, seq, good_block, 15, &body, &len), -EINVAL);
	ck_assert_int_eq(kasa_klap_seal_blocks(k, seq, good_block, 0, &body, &len), -EINVAL);
	pair_close(&p);
}
END_TEST

START_TEST(test_sizes)
{
	struct pair p = pair_open();
	char path[KASA_KLAP_PATH_MAX];
	size_t big_len = KASA_KLAP_BODY_MAX + 16, json_len, len;
	uint8_t *big = calloc(1, big_len), *body = NULL;
	char *payload = malloc(KASA_KLAP_PAYLOAD_MAX + 1), *json = NULL;
	static const size_t lens[] = {0, 1, 15, 16, 17, 31, 32, 33};

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(payload);
	memset(payload, 'a', KASA_KLAP_PAYLOAD_MAX + 1);
	server_refuses(&p, p.seq, big, big_len, -EMSGSIZE);
	ck_assert_int_eq(kasa_klap_server_open(p.s, p.seq, p.body, p.len, &json, &json_len), 0);
	free(json);

	/* Every length around a block: one block of padding at least, whole blocks. */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_assert_int_eq(kasa_klap_client_seal(p.c, payload, lens[i], path, &body, &len),
				 0);
		ck_assert_uint_eq(len, 32 + (lens[i] / 16 + 1) * 16);
		ck_assert_int_eq(kasa_klap_server_open(p.s, kasa_klap_client_keys(p.c)->seq, body,
						       len, &json, &json_len),
				 0);
		ck_assert_uint_eq(json_len, lens[i]);
		ck_assert_int_eq(memcmp(json, payload, lens[i]), 0);
		ck_assert_int_eq(json[lens[i]], '\0');
		free(json);
		free(body);
	}

	/* The largest payload makes the largest body, and opens; one more byte is refused. */
	ck_assert_int_eq(
		kasa_klap_client_seal(p.c, payload, KASA_KLAP_PAYLOAD_MAX, path, &body, &len), 0);
	ck_assert_uint_eq(len, KASA_KLAP_BODY_MAX);
	ck_assert_int_eq(kasa_klap_server_open(p.s, kasa_klap_client_keys(p.c)->seq, body, len,
					       &json, &json_len),
			 0);
	ck_assert_uint_eq(json_len, KASA_KLAP_PAYLOAD_MAX);
	free(json);
	free(body);
	body = NULL;
	ck_assert_int_eq(
		kasa_klap_client_seal(p.c, payload, KASA_KLAP_PAYLOAD_MAX + 1, path, &body, &len),
		-EMSGSIZE);
	ck_assert_ptr_null(body);
	ck_assert_int_eq(
		kasa_klap_server_seal(p.s, payload, KASA_KLAP_PAYLOAD_MAX + 1, &body, &len),
		-EMSGSIZE);
	free(payload);
	free(big);
	pair_close(&p);
}
END_TEST

/* The server takes each sequence number once, going up. */
START_TEST(test_replay)
{
	struct pair p = pair_open();
	char path[KASA_KLAP_PATH_MAX];
	uint8_t *body = NULL;
	size_t len, json_len;
	char *json = NULL;
	struct kasa_klap_keys *ck;

	ck_assert_int_eq(kasa_klap_server_open(p.s, p.seq, p.body, p.len, &json, &json_len), 0);
	free(json);
	server_refuses(&p, p.seq, p.body, p.len, -ESTALE);

	/* A client that skips numbers is fine; one that goes back is not. */
	ck = kasa_klap_client_keys(p.c);
	ck->seq += 5;
	ck_assert_int_eq(kasa_klap_client_seal(p.c, "{}", 2, path, &body, &len), 0);
	ck_assert_int_eq(kasa_klap_server_open(p.s, ck->seq, body, len, &json, &json_len), 0);
	free(json);
	free(body);
	ck->seq -= 3;
	ck_assert_int_eq(kasa_klap_client_seal(p.c, "{}", 2, path, &body, &len), 0);
	server_refuses(&p, ck->seq, body, len, -ESTALE);
	free(body);
	pair_close(&p);
}
END_TEST

START_TEST(test_seq_overflow)
{
	struct pair p = pair_open();
	struct kasa_klap_keys *ck = kasa_klap_client_keys(p.c);
	char path[KASA_KLAP_PATH_MAX] = "untouched";
	uint8_t *body = NULL;
	size_t len, json_len;
	char *json = NULL;

	ck->seq = INT32_MAX - 1;
	ck_assert(!kasa_klap_client_expired(p.c, 1000 * SEC));
	ck_assert_int_eq(kasa_klap_client_seal(p.c, "{}", 2, path, &body, &len), 0);
	ck_assert_str_eq(path, "/app/request?seq=2147483647");
	ck_assert_int_eq(kasa_klap_server_open(p.s, INT32_MAX, body, len, &json, &json_len), 0);
	free(json);
	/* The server takes nothing past it, not even the same again. */
	server_refuses(&p, INT32_MAX, body, len, -ESTALE);
	free(body);
	body = NULL;

	/* The next would pass INT32_MAX: refused, nothing changed, a handshake is due. */
	strcpy(path, "untouched");
	ck_assert_int_eq(kasa_klap_client_seal(p.c, "{}", 2, path, &body, &len), -EOVERFLOW);
	ck_assert_ptr_null(body);
	ck_assert_str_eq(path, "untouched");
	ck_assert_int_eq(ck->seq, INT32_MAX);
	ck_assert(kasa_klap_client_expired(p.c, 1000 * SEC));
	/* The answer to the last request still opens. */
	ck_assert_int_eq(kasa_klap_server_seal(p.s, "{\"a\":1}", 7, &body, &len), 0);
	ck_assert_int_eq(kasa_klap_client_open(p.c, body, len, &json, &json_len), 0);
	ck_assert_str_eq(json, "{\"a\":1}");
	free(json);
	free(body);
	pair_close(&p);
}
END_TEST

/* The path of the most negative sequence number fits. */
START_TEST(test_path_fits)
{
	struct pair p = pair_open();
	char path[KASA_KLAP_PATH_MAX];
	uint8_t *body = NULL;
	size_t len;

	kasa_klap_client_keys(p.c)->seq = INT32_MIN;
	ck_assert_int_eq(kasa_klap_client_seal(p.c, "{}", 2, path, &body, &len), 0);
	ck_assert_str_eq(path, "/app/request?seq=-2147483647");
	free(body);
	ck_assert_uint_lt(strlen("/app/request?seq=-2147483648"), KASA_KLAP_PATH_MAX);
	pair_close(&p);
}
END_TEST

/* Calls out of order, and a new handshake ending the old session. */
START_TEST(test_states)
{
	struct kasa_klap_server *s = server_for(KASA_KLAP_V1, USER, PASSWORD);
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
	char path[KASA_KLAP_PATH_MAX], *json = NULL;
	uint8_t *body = NULL, *answer = NULL, hs1[16], a1[48], hs2[32];
	size_t len, json_len, answer_len;

	ck_assert_int_eq(kasa_klap_client_handshake2(c, a1, 48, hs2, NULL, NULL), -ENOTCONN);
	ck_assert_int_eq(kasa_klap_client_established(c, 0, -1), -ENOTCONN);
	ck_assert_int_eq(kasa_klap_client_seal(c, "{}", 2, path, &body, &len), -ENOTCONN);
	ck_assert_int_eq(kasa_klap_client_open(c, a1, 48, &json, &json_len), -ENOTCONN);
	ck_assert_int_eq(kasa_klap_server_seal(s, "{}", 2, &body, &len), -ENOTCONN);

	/* Established only once the device said 200 to handshake 2. */
	ck_assert_int_eq(kasa_klap_client_handshake1(c, local_seed, hs1), 0);
	ck_assert_int_eq(kasa_klap_server_handshake1(s, hs1, 16, remote_seed, a1), 0);
	ck_assert_int_eq(kasa_klap_client_handshake2(c, a1, 48, hs2, NULL, NULL), 0);
	ck_assert_int_eq(kasa_klap_client_seal(c, "{}", 2, path, &body, &len), -ENOTCONN);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, hs2, 32), 0);
	ck_assert_int_eq(kasa_klap_client_established(c, 5 * SEC, -1), 0);
	ck_assert_int_eq(kasa_klap_client_established(c, 5 * SEC, -1), -ENOTCONN);

	/* Nothing sealed yet, nothing opened yet. */
	ck_assert_int_eq(kasa_klap_client_open(c, a1, 48, &json, &json_len), -ENOTCONN);
	ck_assert_int_eq(kasa_klap_server_seal(s, "{}", 2, &body, &len), -ENOTCONN);

	ck_assert_int_eq(kasa_klap_client_seal(c, "{}", 2, path, &body, &len), 0);
	ck_assert_int_eq(kasa_klap_server_open(s, kasa_klap_client_keys(c)->seq, body, len, &json,
					       &json_len),
			 0);
	free(json);
	ck_assert_int_eq(kasa_klap_server_seal(s, "{}", 2, &answer, &answer_len), 0);

	/* Another client's handshake ends the session: the next request gets 403. */
	ck_assert_int_eq(kasa_klap_server_handshake1(s, remote_seed, 16, local_seed, a1), 0);
	server_refuses(&(struct pair){.s = s}, kasa_klap_client_keys(c)->seq + 1, body, len,
		       -ENOTCONN);
	/* ... and a reset does on the client. */
	kasa_klap_client_reset(c);
	ck_assert(kasa_klap_client_expired(c, 5 * SEC));
	ck_assert_int_eq(kasa_klap_client_open(c, answer, answer_len, &json, &json_len), -ENOTCONN);
	free(body);
	free(answer);

	kasa_klap_server_reset(s);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, hs2, 32), -ENOTCONN);
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
	kasa_klap_client_free(NULL);
	kasa_klap_server_free(NULL);
	kasa_klap_client_reset(NULL);
	kasa_klap_server_reset(NULL);
}
END_TEST

START_TEST(test_new_refused)
{
	struct kasa_klap_client *c = (struct kasa_klap_client *)0x1;
	struct kasa_klap_server *s = (struct kasa_klap_server *)0x1;
	uint8_t h[32] = {0};

	ck_assert_int_eq(kasa_klap_client_new(USER, NULL, KASA_KLAP_ANY, &c), -EINVAL);
	ck_assert_int_eq(kasa_klap_client_new(NULL, PASSWORD, KASA_KLAP_ANY, &c), -EINVAL);
	ck_assert_int_eq(kasa_klap_client_new(USER, PASSWORD, 0, &c), -EINVAL);
	ck_assert_int_eq(kasa_klap_client_new(USER, PASSWORD, 4, &c), -EINVAL);
	ck_assert_ptr_eq(c, (struct kasa_klap_client *)0x1);

	ck_assert_int_eq(kasa_klap_server_new(KASA_KLAP_V1, h, 32, &s), -EINVAL);
	ck_assert_int_eq(kasa_klap_server_new(KASA_KLAP_V2, h, 16, &s), -EINVAL);
	ck_assert_int_eq(kasa_klap_server_new(KASA_KLAP_V2, NULL, 32, &s), -EINVAL);
	ck_assert_int_eq(kasa_klap_server_new((enum kasa_klap_version)KASA_KLAP_ANY, h, 32, &s),
			 -EINVAL);
	ck_assert_ptr_eq(s, (struct kasa_klap_server *)0x1);
}
END_TEST

/* Seeds from getrandom(2): different each time, and the session still works. */
START_TEST(test_random_seeds)
{
	struct kasa_klap_server *s = server_for(KASA_KLAP_V2, USER, PASSWORD);
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_ANY);
	uint8_t hs1[16], again[16], answer[48], answer2[48], hs2[32];
	char path[KASA_KLAP_PATH_MAX], *json = NULL;
	uint8_t *body = NULL;
	size_t len, json_len;

	ck_assert_int_eq(kasa_klap_client_handshake1(c, NULL, again), 0);
	ck_assert_int_eq(kasa_klap_client_handshake1(c, NULL, hs1), 0);
	ck_assert_int_ne(memcmp(hs1, again, 16), 0);
	ck_assert_int_eq(kasa_klap_server_handshake1(s, hs1, 16, NULL, answer2), 0);
	ck_assert_int_eq(kasa_klap_server_handshake1(s, hs1, 16, NULL, answer), 0);
	ck_assert_int_ne(memcmp(answer, answer2, 16), 0);
	ck_assert_int_eq(kasa_klap_client_handshake2(c, answer, 48, hs2, NULL, NULL), 0);
	ck_assert_int_eq(kasa_klap_server_handshake2(s, hs2, 32), 0);
	ck_assert_int_eq(kasa_klap_client_established(c, 0, -1), 0);
	ck_assert_int_eq(kasa_klap_client_seal(c, "{}", 2, path, &body, &len), 0);
	ck_assert_int_eq(kasa_klap_server_open(s, kasa_klap_client_keys(c)->seq, body, len, &json,
					       &json_len),
			 0);
	ck_assert_str_eq(json, "{}");
	free(json);
	free(body);
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}
END_TEST

/* --- Session lifetime, cookies, sequence numbers in paths ---------------------- */

START_TEST(test_expiry)
{
	static const struct {
		int64_t timeout_s;
		uint64_t fresh_until; /* the last instant, after t0, not expired */
		bool fresh_at_t0;
	} cases[] = {
		/* TIMEOUT absent means a day, as 86400 does: renewed 20 minutes before its end. */
		{-1, (86400 - 1200) * SEC, true},
		{86400, (86400 - 1200) * SEC, true},
		{3600, (3600 - 1200) * SEC, true},
		/* TIMEOUT of 20 minutes or less: a handshake before every request. */
		{1200, 0, true},
		{1199, 0, false},
		{1, 0, false},
		{0, 0, false},
	};
	struct kasa_klap_server *s = server_for(KASA_KLAP_V2, USER, PASSWORD);
	struct kasa_klap_client *c = client_for(USER, PASSWORD, KASA_KLAP_V2);
	const uint64_t t0 = 1000 * SEC;

	/* No session: expired whatever the time. */
	ck_assert(kasa_klap_client_expired(c, 0));
	ck_assert(kasa_klap_client_expired(c, t0));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		handshake_both(c, s, KASA_KLAP_CRED_GIVEN, KASA_KLAP_V2);
		/* Not before the device's 200. */
		ck_assert(kasa_klap_client_expired(c, t0));
		ck_assert_int_eq(kasa_klap_client_established(c, t0, cases[i].timeout_s), 0);
		ck_assert_int_eq(kasa_klap_client_expired(c, t0), !cases[i].fresh_at_t0);
		if (cases[i].fresh_until) {
			ck_assert(!kasa_klap_client_expired(c, t0 + cases[i].fresh_until));
			ck_assert(kasa_klap_client_expired(c, t0 + cases[i].fresh_until + 1));
		}
		ck_assert(kasa_klap_client_expired(c, t0 + cases[i].fresh_until + 1));
	}
	/* A TIMEOUT past INT32_MAX seconds is taken as that. */
	handshake_both(c, s, KASA_KLAP_CRED_GIVEN, KASA_KLAP_V2);
	ck_assert_int_eq(kasa_klap_client_established(c, t0, INT64_MAX), 0);
	ck_assert(!kasa_klap_client_expired(c, t0 + ((uint64_t)INT32_MAX - 1200) * SEC));
	ck_assert(kasa_klap_client_expired(c, t0 + ((uint64_t)INT32_MAX - 1200) * SEC + 1));
	kasa_klap_client_free(c);
	kasa_klap_server_free(s);
}
END_TEST

static int cookie(struct kasa_klap_cookie *ret, const char *h1, const char *h2)
{
	const char *headers[2] = {h1, h2};

	return kasa_klap_cookie_parse(headers, h2 ? 2 : 1, ret);
}

START_TEST(test_cookie)
{
	struct kasa_klap_cookie c;

	ck_assert_int_eq(
		cookie(&c, "TP_SESSIONID=0A1B2C3D4E5F60718293A4B5C6D7E8F9;TIMEOUT=86400", NULL), 0);
	ck_assert_str_eq(c.session_id, "0A1B2C3D4E5F60718293A4B5C6D7E8F9");
	ck_assert_int_eq(c.timeout_s, 86400);

	/* Spaces, attributes, and a quoted value. */
	ck_assert_int_eq(
		cookie(&c, " TP_SESSIONID = \"abc\" ; Path=/; HttpOnly;TIMEOUT=1440 ", NULL), 0);
	ck_assert_str_eq(c.session_id, "abc");
	ck_assert_int_eq(c.timeout_s, 1440);

	/* TIMEOUT absent; or in a header of its own. */
	ck_assert_int_eq(cookie(&c, "TP_SESSIONID=abc", NULL), 0);
	ck_assert_str_eq(c.session_id, "abc");
	ck_assert_int_eq(c.timeout_s, -1);
	ck_assert_int_eq(cookie(&c, "TP_SESSIONID=abc", "TIMEOUT=0"), 0);
	ck_assert_int_eq(c.timeout_s, 0);
	ck_assert_int_eq(cookie(&c, "TIMEOUT=2147483647", "TP_SESSIONID=x; other=1"), 0);
	ck_assert_str_eq(c.session_id, "x");
	ck_assert_int_eq(c.timeout_s, INT32_MAX);

	/* Names are case-sensitive; others are skipped; none at all is no error. */
	ck_assert_int_eq(cookie(&c, "tp_sessionid=abc;timeout=5;Expires=Wed, 21 Oct 2015", NULL),
			 0);
	ck_assert_str_eq(c.session_id, "");
	ck_assert_int_eq(c.timeout_s, -1);
	ck_assert_int_eq(kasa_klap_cookie_parse(NULL, 0, &c), 0);
	ck_assert_str_eq(c.session_id, "");
	ck_assert_int_eq(cookie(&c, "", ";;;"), 0);
}
END_TEST

START_TEST(test_cookie_refused)
{
	static const char *const bad[] = {
		"TP_SESSIONID=abc;TIMEOUT=",
		"TP_SESSIONID=abc;TIMEOUT=-1",
		"TIMEOUT=1h",
		"TIMEOUT=2147483648",
		"TIMEOUT=99999999999999999999",
		"TIMEOUT= 1 2",
		"TP_SESSIONID=a\rb",
		"TP_SESSIONID=a\nSet-Cookie: x=y",
		"TP_SESSIONID=a b",
		"TP_SESSIONID=a,b",
		"TP_SESSIONID=a\\b",
		"TP_SESSIONID=\"a\"b\"",
		"TP_SESSIONID=caf\xc3\xa9",
	};
	struct kasa_klap_cookie c = {.session_id = "kept", .timeout_s = 42};
	char long_id[KASA_KLAP_SESSION_ID_MAX + 32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cookie(&c, bad[i], NULL) == -EPROTO, "%s", bad[i]);
		ck_assert_str_eq(c.session_id, "kept");
		ck_assert_int_eq(c.timeout_s, 42);
	}
	/* The longest id that fits, and one byte more. */
	strcpy(long_id, "TP_SESSIONID=");
	memset(long_id + 13, 'a', KASA_KLAP_SESSION_ID_MAX - 1);
	long_id[13 + KASA_KLAP_SESSION_ID_MAX - 1] = '\0';
	ck_assert_int_eq(cookie(&c, long_id, NULL), 0);
	ck_assert_uint_eq(strlen(c.session_id), KASA_KLAP_SESSION_ID_MAX - 1);
	strcat(long_id, "a");
	ck_assert_int_eq(cookie(&c, long_id, NULL), -EMSGSIZE);
	{
		const char *headers[2] = {"TP_SESSIONID=x", NULL};

		ck_assert_int_eq(kasa_klap_cookie_parse(headers, 2, &c), -EINVAL);
		ck_assert_int_eq(kasa_klap_cookie_parse(NULL, 1, &c), -EINVAL);
	}
}
END_TEST

START_TEST(test_seq_parse)
{
	static const struct {
		const char *text;
		int32_t seq;
	} good[] = {
		{"-59551827", -59551827},   {"0", 0}, {"7", 7}, {"2147483647", INT32_MAX},
		{"-2147483648", INT32_MIN},
	};
	static const char *const bad[] = {
		"",
		"-",
		"+1",
		"01",
		"-0",
		"-01",
		" 1",
		"1 ",
		"1a",
		"0x10",
		"2147483648",
		"-2147483649",
		"99999999999999999999",
		"--1",
		"1-",
	};
	int32_t seq;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(kasa_klap_seq_parse(good[i].text, &seq), 0);
		ck_assert_int_eq(seq, good[i].seq);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		seq = 12345;
		ck_assert_msg(kasa_klap_seq_parse(bad[i], &seq) == -EINVAL, "%s", bad[i]);
		ck_assert_int_eq(seq, 12345);
	}
	ck_assert_int_eq(kasa_klap_seq_parse(NULL, &seq), -EINVAL);
}
END_TEST

START_TEST(test_strerror)
{
	static const int errs[] = {-EACCES, -EBADE, -EOVERFLOW, -ENOTCONN, -ESTALE, -EKEYEXPIRED};

	/* Words of our own, not libc's. */
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		ck_assert_str_ne(kasa_strerror(errs[i]), strerror(-errs[i]));
}
END_TEST

static Suite *klap_suite(void)
{
	Suite *s = suite_create("klap");
	TCase *tc;

	tc = tcase_create("credentials");
	tcase_add_test(tc, test_auth_hashes);
	tcase_add_test(tc, test_auth_hash_refused);
	tcase_add_test(tc, test_cred_table);
	tcase_add_test(tc, test_account_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("handshake");
	tcase_add_test(tc, test_handshake_v1);
	tcase_add_test(tc, test_handshake_v2);
	tcase_add_test(tc, test_keys_v1);
	tcase_add_test(tc, test_keys_v2);
	tcase_add_test(tc, test_blank_v1);
	tcase_add_test(tc, test_defaults_recognised);
	tcase_add_test(tc, test_given_first);
	tcase_add_test(tc, test_no_candidate);
	tcase_add_test(tc, test_version_restricted);
	tcase_add_test(tc, test_handshake1_answer_length);
	tcase_add_test(tc, test_server_handshake_refused);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_new_refused);
	tcase_add_test(tc, test_random_seeds);
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_test(tc, test_exchange_v1);
	tcase_add_test(tc, test_exchange_v2);
	tcase_add_test(tc, test_tampered_signature);
	tcase_add_test(tc, test_tampered_answer);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_bad_padding);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_seq_overflow);
	tcase_add_test(tc, test_path_fits);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_cookie);
	tcase_add_test(tc, test_cookie_refused);
	tcase_add_test(tc, test_seq_parse);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(klap_suite());
}
