// SPDX-License-Identifier: MIT
/*
 * The tokens file.  Tokens are kept only as SHA-256 digests; checking one
 * hashes it and compares the digest with every entry, without stopping at
 * a match, so the time taken says nothing about which entry (if any) it
 * was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "common/macro.h"
#include "common/text.h"
#include "diag.h"
#include "secretfile.h"
#include "sha256.h"

/* Messages shown; the next says there are more. */
#define AUTH_ERRORS_MAX 19

struct auth_entry {
	uint8_t digest[SHA256_DIGEST_SIZE];
	enum auth_scope scope;
	unsigned line;
};

struct auth {
	struct auth_entry *entries;
	size_t n;
};

static const char *const scope_names[] = {
	[AUTH_NONE] = "none",
	[AUTH_READ] = "read",
	[AUTH_CONTROL] = "control",
	[AUTH_ADMIN] = "admin",
};

const char *auth_scope_name(enum auth_scope s)
{
	return (unsigned)s < ARRAY_SIZE(scope_names) ? scope_names[s] : "none";
}

static bool is_token_char(char c)
{
	return c > ' ' && c < 0x7f;
}

/* One line, without its end: "SCOPE TOKEN", a comment, or nothing. */
static void parse_line(struct auth *a, struct diag *e, unsigned line, char *s)
{
	struct auth_entry *ent;
	char *scope, *token, *rest;
	size_t len;

	scope = s + strspn(s, " \t");
	if (*scope == '\0' || *scope == '#')
		return;
	token = scope + strcspn(scope, " \t");
	if (*token == '\0') {
		/* Not quoted: the one word may well be a token. */
		diag_report(e, line, "expected 'SCOPE TOKEN', found one word");
		return;
	}
	*token++ = '\0';
	token += strspn(token, " \t");
	rest = token + strcspn(token, " \t");
	if (*rest != '\0') {
		*rest++ = '\0';
		rest += strspn(rest, " \t");
		if (*rest != '\0' && *rest != '#') {
			diag_report(e, line, "expected 'SCOPE TOKEN', found more after the token");
			return;
		}
	}
	if (a->n == AUTH_TOKENS_MAX) {
		diag_report(e, line, "more than %d tokens", AUTH_TOKENS_MAX);
		return;
	}
	ent = &a->entries[a->n];
	ent->line = line;
	ent->scope = AUTH_NONE;
	for (unsigned i = AUTH_READ; i <= AUTH_ADMIN; i++)
		if (streq(scope, scope_names[i]))
			ent->scope = i;
	if (ent->scope == AUTH_NONE) {
		/* Quoted only when short: a token may stand where the scope should. */
		if (strlen(scope) <= 8)
			diag_report(e, line, "unknown scope '%s' (read, control or admin)", scope);
		else
			diag_report(
				e, line,
				"unknown scope, a word of %zu characters (read, control or admin)",
				strlen(scope));
		return;
	}
	len = strlen(token);
	if (strncmp(token, "sha256:", 7) == 0) {
		const char *hex = token + 7;

		if (len - 7 != 2 * SHA256_DIGEST_SIZE) {
			diag_report(e, line, "sha256: needs 64 hex digits, found %zu characters",
				    len - 7);
			return;
		}
		for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
			int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				diag_report(e, line, "sha256: '%c' is not a hex digit",
					    hi < 0 ? hex[2 * i] : hex[2 * i + 1]);
				return;
			}
			ent->digest[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		for (size_t i = 0; i < len; i++)
			if (!is_token_char(token[i])) {
				diag_report(e, line,
					    "the token has a character outside ASCII '!' to '~'");
				return;
			}
		if (len < AUTH_TOKEN_MIN || len > AUTH_TOKEN_MAX) {
			diag_report(e, line, "the token has %zu characters; %d to %d are allowed",
				    len, AUTH_TOKEN_MIN, AUTH_TOKEN_MAX);
			return;
		}
		sha256(token, len, ent->digest);
	}
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->entries[i].digest, ent->digest, SHA256_DIGEST_SIZE) == 0) {
			diag_report(e, line, "the same token as on line %u", a->entries[i].line);
			return;
		}
	a->n++;
}

int auth_parse(const char *text, size_t len, const char *origin, struct auth **ret,
	       char **ret_errors)
{
	struct diag e = DIAG_INIT(origin ? origin : "tokens", AUTH_ERRORS_MAX);
	struct auth *a = NULL;
	char line[AUTH_TOKEN_MAX * 2];
	size_t pos = 0;
	int r = -ENOMEM;

	if (ret_errors)
		*ret_errors = NULL;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->entries = calloc(AUTH_TOKENS_MAX, sizeof(*a->entries))))
		goto out;
	if (len > AUTH_FILE_MAX)
		diag_report(&e, 0, "more than %d bytes", AUTH_FILE_MAX);
	while (pos < len && len <= AUTH_FILE_MAX) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		e.line++;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (memchr(text + pos, '\0', n)) {
			diag_report(&e, e.line, "a NUL byte in the line");
		} else if (n >= sizeof(line)) {
			diag_report(&e, e.line, "line longer than %zu bytes", sizeof(line) - 1);
		} else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			parse_line(a, &e, e.line, line);
		}
		pos += nl ? (size_t)(nl - (text + pos)) + 1 : n;
		if (!nl)
			break;
	}
	if (!diag_failed(&e) && a->n == 0)
		diag_report(&e, e.line, "no tokens (a line 'SCOPE TOKEN' is needed)");
	r = e.oom ? -ENOMEM : diag_failed(&e) ? -EINVAL : 0;
	if (r == -EINVAL && ret_errors && diag_text(&e, ret_errors) < 0)
		r = -ENOMEM;
out:
	diag_done(&e);
	if (r < 0)
		auth_free(a);
	else
		*ret = a;
	return r;
}

int auth_load_file(const char *name, const char *base_dir, struct auth **ret, char **ret_errors)
{
	_cleanup_free_ char *path = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	r = secret_file_read(name, base_dir, "the tokens file", AUTH_FILE_MAX, &path, &text, &len,
			     ret_errors);
	if (r < 0)
		return r;
	r = auth_parse(text, len, path, ret, ret_errors);
	secret_free(text, len);
	return r;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	explicit_bzero(a->entries, AUTH_TOKENS_MAX * sizeof(*a->entries));
	free(a->entries);
	free(a);
}

size_t auth_count(const struct auth *a)
{
	return a ? a->n : 0;
}

enum auth_scope auth_check(const struct auth *a, const char *token, size_t len)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	unsigned scope = AUTH_NONE;

	if (!a || len == 0 || len > AUTH_TOKEN_MAX)
		return AUTH_NONE;
	sha256(token, len, digest);
	for (size_t i = 0; i < a->n; i++) {
		unsigned diff = 0, match;

		for (unsigned j = 0; j < SHA256_DIGEST_SIZE; j++)
			diff |= a->entries[i].digest[j] ^ digest[j];
		/* all ones when diff is 0, else 0, without a branch */
		match = ((diff - 1) >> 8) & 1;
		match = 0u - match;
		scope |= match & a->entries[i].scope;
	}
	explicit_bzero(digest, sizeof(digest));
	return (enum auth_scope)scope;
}
