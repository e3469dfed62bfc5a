/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320, initial and
 * final value all ones): the checksum of the discovery header of KLAP
 * firmware, which the library's client and kasa-emu's device both compute.
 * Bit by bit: the datagrams are small, and no table is worth keeping.
 */
#ifndef COMMON_CRC32_H
#define COMMON_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Go on from crc (0 to start) over len bytes: crc32(crc32(0, a), b) is a's and b's. */
static inline uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static inline uint32_t crc32_of(const void *data, size_t len)
{
	return crc32_update(0, data, len);
}

#endif
