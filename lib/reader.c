/* SPDX-License-Identifier: MIT */
/*
 * The incremental frame reader: a 4-byte big-endian length, then that many
 * encrypted bytes.  Some firmware sends a zero length and then the payload
 * up to EOF; the reader accepts that too, under the same cap.
 */
#include <string.h>

#include "kasa-private.h"

void kasa_reader_init(struct kasa_reader *r, size_t max_payload)
{
	*r = (struct kasa_reader){.max = max_payload ? max_payload : KASA_FRAME_MAX_DEFAULT};
}

void kasa_reader_done(struct kasa_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

KASA_EXPORT struct kasa_reader *kasa_reader_new(size_t max_payload)
{
	struct kasa_reader *r = malloc(sizeof(*r));

	if (!r)
		return NULL;
	kasa_reader_init(r, max_payload);
	return r;
}

KASA_EXPORT void kasa_reader_free(struct kasa_reader *r)
{
	if (!r)
		return;
	kasa_reader_done(r);
	free(r);
}

KASA_EXPORT void kasa_reader_reset(struct kasa_reader *r)
{
	r->state = READER_HEADER;
	r->error = 0;
	r->header_got = 0;
	r->want = 0;
	r->got = 0;
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

static int reader_fail(struct kasa_reader *r, int err)
{
	r->state = READER_FAILED;
	r->error = err;
	return err;
}

/* Make room for need payload bytes; the buffer only grows to the cap. */
static int reader_reserve(struct kasa_reader *r, size_t need)
{
	size_t cap;
	char *buf;

	if (need <= r->cap && r->buf)
		return 0;
	cap = r->cap ? r->cap : 1024;
	while (cap < need)
		cap *= 2;
	if (cap > r->max)
		cap = r->max;
	buf = realloc(r->buf, cap + 1);
	if (!buf)
		return -ENOMEM;
	r->buf = buf;
	r->cap = cap;
	return 0;
}

static int reader_complete(struct kasa_reader *r)
{
	int err = reader_reserve(r, r->got);

	if (err < 0)
		return reader_fail(r, err);
	kasa_decrypt(r->buf, r->got);
	r->buf[r->got] = '\0';
	r->state = READER_DONE;
	return 1;
}

KASA_EXPORT int kasa_reader_feed(struct kasa_reader *r, const void *data, size_t len,
				 size_t *ret_used)
{
	const uint8_t *p = data;
	size_t used = 0;
	int err;

	*ret_used = 0;
	if (r->state == READER_DONE)
		return 1;
	if (r->state == READER_FAILED)
		return r->error;

	if (r->state == READER_HEADER) {
		size_t n = KASA_HEADER_LEN - r->header_got;

		if (n > len)
			n = len;
		memcpy(r->header + r->header_got, p, n);
		r->header_got += n;
		used += n;
		if (r->header_got < KASA_HEADER_LEN) {
			*ret_used = used;
			return 0;
		}
		r->want = (size_t)r->header[0] << 24 | (size_t)r->header[1] << 16 |
			  (size_t)r->header[2] << 8 | r->header[3];
		if (r->want > r->max) {
			*ret_used = used;
			return reader_fail(r, -EMSGSIZE);
		}
		r->state = r->want ? READER_BODY : READER_TO_EOF;
		err = reader_reserve(r, r->want);
		if (err < 0) {
			*ret_used = used;
			return reader_fail(r, err);
		}
	}

	if (r->state == READER_BODY) {
		size_t n = r->want - r->got;

		if (n > len - used)
			n = len - used;
		memcpy(r->buf + r->got, p + used, n);
		r->got += n;
		used += n;
		*ret_used = used;
		if (r->got < r->want)
			return 0;
		return reader_complete(r);
	}

	/* READER_TO_EOF: take everything, up to the cap. */
	if (len - used > r->max - r->got) {
		*ret_used = used;
		return reader_fail(r, -EMSGSIZE);
	}
	err = reader_reserve(r, r->got + (len - used));
	if (err < 0) {
		*ret_used = used;
		return reader_fail(r, err);
	}
	memcpy(r->buf + r->got, p + used, len - used);
	r->got += len - used;
	*ret_used = len;
	return 0;
}

KASA_EXPORT int kasa_reader_eof(struct kasa_reader *r)
{
	switch (r->state) {
	case READER_DONE:
		return 1;
	case READER_FAILED:
		return r->error;
	case READER_TO_EOF:
		return reader_complete(r);
	case READER_HEADER:
		if (r->header_got == 0)
			return reader_fail(r, -ECONNRESET);
		return reader_fail(r, -EPROTO);
	case READER_BODY:
		return reader_fail(r, -EPROTO);
	}
	return reader_fail(r, -EPROTO);
}

KASA_EXPORT const char *kasa_reader_payload(const struct kasa_reader *r, size_t *ret_len)
{
	if (r->state != READER_DONE)
		return NULL;
	if (ret_len)
		*ret_len = r->got;
	return r->buf;
}
