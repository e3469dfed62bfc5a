/* SPDX-License-Identifier: MIT */
/* The autokey XOR cipher and TCP framing. */
#include <string.h>

#include "kasa-private.h"

#define KASA_KEY 0xAB

KASA_EXPORT void kasa_encrypt(void *buf, size_t len)
{
	uint8_t *p = buf;
	uint8_t key = KASA_KEY;

	for (size_t i = 0; i < len; i++) {
		p[i] ^= key;
		key = p[i];
	}
}

KASA_EXPORT void kasa_decrypt(void *buf, size_t len)
{
	uint8_t *p = buf;
	uint8_t key = KASA_KEY;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		p[i] ^= key;
		key = c;
	}
}

KASA_EXPORT int kasa_frame_encode(const void *payload, size_t len, uint8_t **ret_frame,
				  size_t *ret_len)
{
	uint8_t *frame;

	if (len > UINT32_MAX || len > SIZE_MAX - KASA_HEADER_LEN)
		return -EMSGSIZE;
	frame = malloc(KASA_HEADER_LEN + len);
	if (!frame)
		return -ENOMEM;
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	if (len) {
		memcpy(frame + KASA_HEADER_LEN, payload, len);
		kasa_encrypt(frame + KASA_HEADER_LEN, len);
	}
	*ret_frame = frame;
	*ret_len = KASA_HEADER_LEN + len;
	return 0;
}
