/* SPDX-License-Identifier: MIT */
/*
 * The frame reader against arbitrary bytes: the first byte picks the cap and
 * how the rest is cut into feeds, as a plug's TCP segments would cut it.
 */
#include <assert.h>
#include <string.h>

#include "kasa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kasa_reader *r;
	size_t step, max, off = 1, used, len;
	const char *payload;
	int res = 0;

	if (size < 1)
		return 0;
	step = (data[0] & 0x0f) + 1;
	max = data[0] & 0x10 ? 64 : 0;
	r = kasa_reader_new(max);
	if (!r)
		return 0;
	while (off < size && res == 0) {
		size_t n = size - off < step ? size - off : step;

		res = kasa_reader_feed(r, data + off, n, &used);
		assert(used <= n);
		off += used;
		/* A feed that neither finishes nor fails takes everything. */
		assert(res != 0 || used == n);
	}
	if (res == 0)
		res = kasa_reader_eof(r);
	payload = kasa_reader_payload(r, &len);
	assert((res == 1) == (payload != NULL));
	if (payload) {
		assert(payload[len] == '\0');
		assert(len <= (max ? max : KASA_FRAME_MAX_DEFAULT));
	}
	kasa_reader_free(r);
	return 0;
}
