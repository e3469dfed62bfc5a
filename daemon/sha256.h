/* SPDX-License-Identifier: MIT */
/* SHA-256 for the tokens file's hashed entries: nettle's, which libkasa
 * links for KLAP already. */
#ifndef KASAD_SHA256_H
#define KASAD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>

/* SHA256_DIGEST_SIZE (32) is nettle's. */
static inline void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
}

#endif
