/* SPDX-License-Identifier: MIT */
/*
 * The tokens file parser against any bytes.  It either refuses with
 * messages that are lines "ORIGIN: ..." or "ORIGIN:LINE: ..." (LINE inside
 * the input) and never repeat a word of the input long enough to be a
 * token, or accepts, and then every "SCOPE TOKEN" line of the input is
 * an entry: auth_count() counts them and auth_check() grants each token
 * written out its scope.  Without ret_errors the answer must be the same.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define ORIGIN "fuzz.tokens"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned count_lines(const char *text, size_t len)
{
	unsigned n = 1;

	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	return n;
}

/* Does the message quote a word of the input as long as a token could be?
 * Messages must never repeat a token (they end up in the journal). */
static bool quotes_token(const char *msg, size_t msg_len, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t w = i;

		while (w < len && !strchr(" \t\r\n", text[w]))
			w++;
		if (w - i >= AUTH_TOKEN_MIN && memmem(msg, msg_len, text + i, w - i))
			return true;
		i = w + 1;
	}
	return false;
}

static void check_errors(const char *errors, unsigned lines, const char *text, size_t len)
{
	const char *s = errors;

	assert(*s);
	while (*s) {
		const char *nl = strchr(s, '\n');
		const char *p = s + strlen(ORIGIN ":");
		char *end;

		assert(nl);
		assert(!strncmp(s, ORIGIN ":", strlen(ORIGIN ":")));
		if (*p >= '0' && *p <= '9') {
			unsigned long line = strtoul(p, &end, 10);

			assert(line >= 1 && line <= lines);
			assert(end[0] == ':' && end[1] == ' ');
			p = end + 2;
		} else {
			assert(*p == ' ');
			p++;
		}
		assert(p < nl);
		assert(!quotes_token(p, (size_t)(nl - p), text, len));
		s = nl + 1;
	}
}

/* The input was accepted, so every line is blank, a comment or "SCOPE TOKEN". */
static void check_entries(const struct auth *a, const char *text, size_t len)
{
	static const char *const scopes[] = {
		[AUTH_READ] = "read",
		[AUTH_CONTROL] = "control",
		[AUTH_ADMIN] = "admin",
	};
	size_t entries = 0, pos = 0;

	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos, i = 0, w, t;
		enum auth_scope scope = AUTH_NONE;

		pos += n + 1;
		if (n && line[n - 1] == '\r')
			n--;
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == n || line[i] == '#')
			continue;
		entries++;
		for (w = i; w < n && line[w] != ' ' && line[w] != '\t'; w++)
			;
		for (unsigned s = AUTH_READ; s <= AUTH_ADMIN; s++)
			if (w - i == strlen(scopes[s]) && !memcmp(line + i, scopes[s], w - i))
				scope = (enum auth_scope)s;
		assert(scope != AUTH_NONE);
		while (w < n && (line[w] == ' ' || line[w] == '\t'))
			w++;
		for (t = w; t < n && line[t] != ' ' && line[t] != '\t'; t++)
			;
		assert(t > w);
		if (t - w >= 7 && !memcmp(line + w, "sha256:", 7))
			continue; /* only its digest is known */
		assert(auth_check(a, line + w, t - w) == scope);
	}
	assert(auth_count(a) == entries);
	assert(auth_check(a, "", 0) == AUTH_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Sentinel: on failure ret is not written. */
	struct auth *a = (struct auth *)&a, *b = (struct auth *)&b;
	char *errors = NULL;
	char *text;
	int r, r2;

	/* Exactly size bytes, so that reading past them is caught. */
	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);

	r = auth_parse(text, size, ORIGIN, &a, &errors);
	if (r < 0) {
		assert(r == -EINVAL);
		assert(a == (struct auth *)&a);
		assert(errors);
		check_errors(errors, count_lines(text, size), text, size);
		free(errors);
	} else {
		assert(r == 0);
		assert(a && a != (struct auth *)&a);
		assert(!errors);
		check_entries(a, text, size);
		auth_free(a);
	}

	/* Without anywhere to put the messages, the same verdict. */
	r2 = auth_parse(text, size, ORIGIN, &b, NULL);
	assert(r2 == r);
	if (r2 == 0)
		auth_free(b);
	else
		assert(b == (struct auth *)&b);
	free(text);
	return 0;
}
