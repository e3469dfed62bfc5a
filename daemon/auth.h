/* SPDX-License-Identifier: MIT */
/*
 * Bearer tokens and their scopes, read from the tokens file:
 *
 *   # SCOPE  TOKEN
 *   read     a-token-of-16-to-256-printable-characters
 *   admin    sha256:<64 hex digits of the token's SHA-256>
 *
 * Scopes nest: admin may do what control may, control what read may.  Only
 * digests are kept in memory, and a token is checked against every entry in
 * the same time whichever matches.
 */
#ifndef KASAD_AUTH_H
#define KASAD_AUTH_H

#include <stddef.h>

enum auth_scope {
	AUTH_NONE,
	AUTH_READ,
	AUTH_CONTROL,
	AUTH_ADMIN,
};

#define AUTH_FILE_MAX	(64 * 1024)
#define AUTH_TOKENS_MAX 1024
#define AUTH_TOKEN_MIN	16
#define AUTH_TOKEN_MAX	256

struct auth;

/*
 * Parse a tokens file's text.  origin names it in errors.  On failure
 * returns -EINVAL (or -ENOMEM) and *ret_errors, if not NULL, gets an owned
 * string of lines "ORIGIN:LINE: what is wrong\n".  A file without a single
 * token is an error.
 */
int auth_parse(const char *text, size_t len, const char *origin, struct auth **ret,
	       char **ret_errors);

/*
 * Read the tokens file name: a relative name is looked up in
 * $CREDENTIALS_DIRECTORY when that is set (systemd's LoadCredential=), else
 * in base_dir (the configuration's folder; NULL: the working directory).
 * The file must be a regular file that neither group nor others may read
 * or write, and at most AUTH_FILE_MAX bytes.
 */
int auth_load_file(const char *name, const char *base_dir, struct auth **ret, char **ret_errors);

/* Accepts NULL. */
void auth_free(struct auth *a);
size_t auth_count(const struct auth *a);

/* The scope the token grants, AUTH_NONE when it is nobody's. */
enum auth_scope auth_check(const struct auth *a, const char *token, size_t len);

const char *auth_scope_name(enum auth_scope s);

#endif
