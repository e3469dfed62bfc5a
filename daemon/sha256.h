/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), for the tokens file's hashed entries. */
#ifndef KASAD_SHA256_H
#define KASAD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
