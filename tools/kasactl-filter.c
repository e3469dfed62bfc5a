/* SPDX-License-Identifier: MIT */
/* kasactl encode / decode: JSON to a wire frame and back, stdin to stdout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"
#include "kasactl-cmd.h"
#include "kasactl-ctl.h"

/* Far beyond any frame a plug sends (a real sysinfo is under 9 KB). */
#define FILTER_INPUT_MAX (16u * 1024 * 1024)

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* All of standard input, NUL-terminated; input that fills the cap is refused. */
static int read_stdin(uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_(strbuf_free) struct strbuf in = STRBUF_INIT(FILTER_INPUT_MAX);

	for (;;) {
		size_t n;
		int r = strbuf_reserve(&in, 1);

		if (r < 0)
			return r;
		n = fread(in.s + in.len, 1, in.cap - in.len - 1, stdin);
		in.len += n;
		in.s[in.len] = '\0';
		if (n == 0)
			break;
	}
	if (ferror(stdin))
		return -EIO;
	*ret_buf = (uint8_t *)strbuf_steal(&in, ret_len);
	return 0;
}

static void base64_write(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		putchar(b64_alphabet[v >> 18]);
		putchar(b64_alphabet[(v >> 12) & 63]);
		putchar(b64_alphabet[(v >> 6) & 63]);
		putchar(b64_alphabet[v & 63]);
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);

		putchar(b64_alphabet[v >> 18]);
		putchar(b64_alphabet[(v >> 12) & 63]);
		putchar(i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=');
		putchar('=');
	}
	putchar('\n');
}

static int b64_value(uint8_t ch)
{
	const char *p = ch ? strchr(b64_alphabet, ch) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/* Decode in place.  Whitespace anywhere is ignored; padding is optional. */
static int base64_decode(uint8_t *buf, size_t len, size_t *ret_len)
{
	size_t out = 0, pad = 0;
	uint32_t acc = 0;
	unsigned n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t ch = buf[i];
		int v;

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		v = b64_value(ch);
		if (v < 0 || pad)
			return -EBADMSG;
		acc = acc << 6 | (uint32_t)v;
		if (++n == 4) {
			buf[out++] = (uint8_t)(acc >> 16);
			buf[out++] = (uint8_t)(acc >> 8);
			buf[out++] = (uint8_t)acc;
			acc = 0;
			n = 0;
		}
	}
	if (n == 1 || pad > 2 || (pad && (n + pad) != 4))
		return -EBADMSG;
	if (n == 2) {
		buf[out++] = (uint8_t)(acc >> 4);
	} else if (n == 3) {
		buf[out++] = (uint8_t)(acc >> 10);
		buf[out++] = (uint8_t)(acc >> 2);
	}
	*ret_len = out;
	return 0;
}

static int input_error(int err)
{
	if (err == -EMSGSIZE)
		return ctl_error(NULL, "the input is over %u MiB", FILTER_INPUT_MAX >> 20);
	return ctl_error(NULL, "reading standard input: %s", strerror(-err));
}

int cmd_encode(bool base64, bool header)
{
	_cleanup_free_ uint8_t *in = NULL;
	_cleanup_free_ uint8_t *frame = NULL;
	const uint8_t *out;
	size_t len, out_len;
	int r;

	r = read_stdin(&in, &len);
	if (r < 0)
		return input_error(r);
	/* `echo JSON | kasactl encode` should encode JSON, not JSON and a newline. */
	if (len && in[len - 1] == '\n')
		len--;
	if (len && in[len - 1] == '\r')
		len--;

	if (header) {
		r = kasa_frame_encode(in, len, &frame, &out_len);
		if (r < 0)
			return ctl_error(NULL, "encode: %s", kasa_strerror(r));
		out = frame;
	} else {
		kasa_encrypt(in, len);
		out = in;
		out_len = len;
	}
	if (base64)
		base64_write(out, out_len);
	else
		fwrite(out, 1, out_len, stdout);
	return KASACTL_EXIT_OK;
}

int cmd_decode(bool base64, bool header)
{
	_cleanup_free_ uint8_t *in = NULL;
	uint8_t *payload;
	size_t len;
	int r;

	r = read_stdin(&in, &len);
	if (r < 0)
		return input_error(r);
	if (base64 && base64_decode(in, len, &len) < 0)
		return ctl_error(NULL, "decode: the input is not valid base64");

	payload = in;
	if (header) {
		uint32_t announced;

		if (len < KASA_HEADER_LEN)
			return ctl_error(NULL,
					 "decode: %zu bytes are shorter than the %d-byte "
					 "length header (--no-header for UDP framing)",
					 len, KASA_HEADER_LEN);
		announced = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 |
			    in[3];
		payload += KASA_HEADER_LEN;
		len -= KASA_HEADER_LEN;
		/* A zero header is real device behaviour: the payload runs to EOF. */
		if (announced != 0 && announced != len)
			return ctl_error(NULL,
					 "decode: the header announces %" PRIu32 " payload "
					 "bytes but %zu follow%s",
					 announced, len,
					 announced > len ? " (truncated frame?)" : "");
	}
	kasa_decrypt(payload, len);
	fwrite(payload, 1, len, stdout);
	putchar('\n');
	return KASACTL_EXIT_OK;
}
