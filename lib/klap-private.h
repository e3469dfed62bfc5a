/* SPDX-License-Identifier: MIT */
/*
 * KLAP's session keys and the layer under sealing, shared with the tests
 * (which assert the keys against the protocol's vectors and craft bodies no
 * peer of ours makes); not installed, not exported.
 */
#ifndef KLAP_PRIVATE_H
#define KLAP_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "kasa.h"

#define KASA_KLAP_KEY_LEN     16
#define KASA_KLAP_IV_LEN      12
#define KASA_KLAP_SIG_KEY_LEN 28

/* What a session derives from local_seed | remote_seed | auth_hash. */
struct kasa_klap_keys {
	uint8_t key[KASA_KLAP_KEY_LEN];	    /* AES-128 */
	uint8_t iv[KASA_KLAP_IV_LEN];	    /* the IV's first 12 bytes; be32(seq) follows */
	uint8_t sig[KASA_KLAP_SIG_KEY_LEN]; /* prefix of every signature */
	/* seq0 once derived; then the client's: of the request sealed last,
	 * the server's: of the request taken last. */
	int32_t seq;
};

/* The session's keys, borrowed (and writable, for tests that move seq);
 * NULL before a handshake has made them. */
struct kasa_klap_keys *kasa_klap_client_keys(struct kasa_klap_client *c);
struct kasa_klap_keys *kasa_klap_server_keys(struct kasa_klap_server *s);

/*
 * Encrypt len bytes (whole blocks, already padded, else -EINVAL) with seq's
 * IV and sign them: the body of a request or an answer.  *ret_body is owned.
 */
int kasa_klap_seal_blocks(const struct kasa_klap_keys *k, int32_t seq, const void *blocks,
			  size_t len, uint8_t **ret_body, size_t *ret_len);

#endif
