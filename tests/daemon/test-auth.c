/* SPDX-License-Identifier: MIT */
/* SHA-256 against FIPS 180 vectors; the tokens file: scopes, hashes, every error, the checks. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/auth.h"
#include "../../daemon/sha256.h"
#include "../lib/test-util.h"
#include "common/macro.h"

#define T_READ	  "read-token-0123456789"
#define T_CONTROL "control-token-0123456789"
#define T_ADMIN	  "admin-token-0123456789"
/* sha256("hashed-token-0123456789"), computed with sha256sum */
#define T_HASHED "hashed-token-0123456789"
#define H_HASHED "b22fd458dbe2426bebe59cfafe4c46e013df3efd439e4d91cda767ac3052ddd0"

static void hex(const uint8_t *d, char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void expect_sha(const void *data, size_t len, const char *expected)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char out[65];

	sha256(data, len, d);
	hex(d, out);
	ck_assert_str_eq(out, expected);
}

START_TEST(sha256_vectors)
{
	char *million = malloc(1000000);

	expect_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	expect_sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnop"
		   "qklmnopqrlmnopqrsmnopqrstnopqrstu",
		   112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	expect_sha(million, 1000000,
		   "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}
END_TEST

/* Lengths around the padding's edges: 55, 56, 63, 64 and 65 bytes of 'a',
 * digests from sha256sum. */
START_TEST(sha256_edges)
{
	static const struct {
		size_t len;
		const char *hex;
	} v[] = {
		{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
		{65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
	};
	char buf[65];

	memset(buf, 'a', sizeof(buf));
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		expect_sha(buf, v[i].len, v[i].hex);
}
END_TEST

static struct auth *parse_ok(const char *text)
{
	struct auth *a = NULL;
	char *errors = NULL;
	int r = auth_parse(text, strlen(text), "tok", &a, &errors);

	ck_assert_msg(r == 0, "refused (%d): %s", r, errors ? errors : "");
	ck_assert_ptr_null(errors);
	return a;
}

static void expect_errors(const char *text, const char *expected)
{
	struct auth *a = (struct auth *)0x1;
	char *errors = NULL;
	int r = auth_parse(text, strlen(text), "tok", &a, &errors);

	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_eq(a, (struct auth *)0x1);
	ck_assert_ptr_nonnull(errors);
	ck_assert_msg(strcmp(errors, expected) == 0, "for:\n%s\nexpected:\n%sgot:\n%s", text,
		      expected, errors);
	free(errors);

	/* The same verdict when nobody asks for the messages. */
	ck_assert_int_eq(auth_parse(text, strlen(text), "tok", &a, NULL), -EINVAL);
	ck_assert_ptr_eq(a, (struct auth *)0x1);
}

START_TEST(scopes_and_hashes)
{
	struct auth *a = parse_ok("# kasad tokens\n"
				  "\n"
				  "read " T_READ "\n"
				  "  control\t" T_CONTROL "   # the kitchen tablet\r\n"
				  "admin " T_ADMIN "\n"
				  "control sha256:" H_HASHED "\n");

	ck_assert_uint_eq(auth_count(a), 4);
	ck_assert_int_eq(auth_check(a, T_READ, strlen(T_READ)), AUTH_READ);
	ck_assert_int_eq(auth_check(a, T_CONTROL, strlen(T_CONTROL)), AUTH_CONTROL);
	ck_assert_int_eq(auth_check(a, T_ADMIN, strlen(T_ADMIN)), AUTH_ADMIN);
	ck_assert_int_eq(auth_check(a, T_HASHED, strlen(T_HASHED)), AUTH_CONTROL);
	/* the hash itself is not a token */
	ck_assert_int_eq(auth_check(a, "sha256:" H_HASHED, strlen("sha256:" H_HASHED)), AUTH_NONE);
	/* a prefix, a longer token, another case, nothing */
	ck_assert_int_eq(auth_check(a, T_ADMIN, strlen(T_ADMIN) - 1), AUTH_NONE);
	ck_assert_int_eq(auth_check(a, T_ADMIN "x", strlen(T_ADMIN) + 1), AUTH_NONE);
	ck_assert_int_eq(auth_check(a, "ADMIN-token-0123456789", strlen(T_ADMIN)), AUTH_NONE);
	ck_assert_int_eq(auth_check(a, "", 0), AUTH_NONE);
	ck_assert_int_eq(auth_check(NULL, T_ADMIN, strlen(T_ADMIN)), AUTH_NONE);
	ck_assert_str_eq(auth_scope_name(AUTH_CONTROL), "control");
	auth_free(a);
}
END_TEST

START_TEST(hash_uppercase)
{
	char text[128];
	struct auth *a;

	snprintf(text, sizeof(text), "read sha256:%s", H_HASHED);
	for (char *p = text + 12; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p -= 32;
	a = parse_ok(text);
	ck_assert_int_eq(auth_check(a, T_HASHED, strlen(T_HASHED)), AUTH_READ);
	auth_free(a);
}
END_TEST

START_TEST(refused)
{
	expect_errors("", "tok: no tokens (a line 'SCOPE TOKEN' is needed)\n");
	expect_errors("# nothing\n\n", "tok:2: no tokens (a line 'SCOPE TOKEN' is needed)\n");
	expect_errors("read\n", "tok:1: expected 'SCOPE TOKEN', found one word\n");
	/* a token on its own, or before its scope, is not repeated */
	expect_errors(T_ADMIN "\n", "tok:1: expected 'SCOPE TOKEN', found one word\n");
	expect_errors(T_ADMIN " admin\n",
		      "tok:1: unknown scope, a word of 22 characters (read, control or admin)\n");
	expect_errors("write " T_READ "\n",
		      "tok:1: unknown scope 'write' (read, control or admin)\n");
	expect_errors("Read " T_READ "\n",
		      "tok:1: unknown scope 'Read' (read, control or admin)\n");
	expect_errors("read short\n", "tok:1: the token has 5 characters; 16 to 256 are allowed\n");
	expect_errors("read " T_READ " extra\n",
		      "tok:1: expected 'SCOPE TOKEN', found more after the token\n");
	expect_errors("read tok\xc3\xa9n-0123456789abcdef\n",
		      "tok:1: the token has a character outside ASCII '!' to '~'\n");
	expect_errors("read sha256:abcd\n",
		      "tok:1: sha256: needs 64 hex digits, found 4 characters\n");
	expect_errors("read sha256:"
		      "g3c8fd4c5a0a7b8dde1e9b4c56d31d4bd54f3e0ee4cdd3f1f8a2daf25cb1b6fe\n",
		      "tok:1: sha256: 'g' is not a hex digit\n");
	expect_errors("read " T_READ "\nadmin " T_READ "\n",
		      "tok:2: the same token as on line 1\n");
	expect_errors("read " T_HASHED "\nadmin sha256:" H_HASHED "\n",
		      "tok:2: the same token as on line 1\n");
	/* every error, in order, and no token kept from a bad file */
	expect_errors("read\nread " T_READ "\nfoo " T_ADMIN "\n",
		      "tok:1: expected 'SCOPE TOKEN', found one word\n"
		      "tok:3: unknown scope 'foo' (read, control or admin)\n");
}
END_TEST

START_TEST(nul_and_long_lines)
{
	static const char nul[] = "read " T_READ "\nadmin x\0y-0123456789abcdef\n";
	struct auth *a = (struct auth *)0x1;
	char *errors = NULL, *big;

	ck_assert_int_eq(auth_parse(nul, sizeof(nul) - 1, "tok", &a, &errors), -EINVAL);
	ck_assert_str_eq(errors, "tok:2: a NUL byte in the line\n");
	free(errors);

	big = malloc(AUTH_FILE_MAX + 2);
	memset(big, 'x', AUTH_FILE_MAX + 1);
	big[AUTH_FILE_MAX + 1] = '\0';
	ck_assert_int_eq(auth_parse(big, 600, "tok", &a, &errors), -EINVAL);
	ck_assert_str_eq(errors, "tok:1: line longer than 511 bytes\n");
	free(errors);
	ck_assert_int_eq(auth_parse(big, AUTH_FILE_MAX + 1, "tok", &a, &errors), -EINVAL);
	ck_assert_str_eq(errors, "tok: more than 65536 bytes\n");
	free(errors);
	free(big);
	ck_assert_ptr_eq(a, (struct auth *)0x1);
}
END_TEST

START_TEST(too_many)
{
	size_t cap = (AUTH_TOKENS_MAX + 2) * 40;
	char *text = malloc(cap), *errors = NULL;
	struct auth *a = NULL;
	size_t n = 0;

	for (int i = 0; i < AUTH_TOKENS_MAX + 1; i++)
		n += (size_t)snprintf(text + n, cap - n, "read token-number-%08d\n", i);
	ck_assert_int_eq(auth_parse(text, n, "tok", &a, &errors), -EINVAL);
	ck_assert_str_eq(errors, "tok:1025: more than 1024 tokens\n");
	free(errors);
	/* exactly the cap is fine, and the last one counts */
	n = 0;
	for (int i = 0; i < AUTH_TOKENS_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "read token-number-%08d\n", i);
	ck_assert_int_eq(auth_parse(text, n, "tok", &a, NULL), 0);
	ck_assert_uint_eq(auth_count(a), AUTH_TOKENS_MAX);
	ck_assert_int_eq(auth_check(a, "token-number-00001023", 21), AUTH_READ);
	auth_free(a);
	free(text);
}
END_TEST

/* Nineteen messages, then one line that says the rest are not shown. */
START_TEST(too_many_errors)
{
	static const char first[] = "tok:1: expected 'SCOPE TOKEN', found one word\n";
	char text[40 * 30], *errors = NULL, *last;
	struct auth *a = (struct auth *)0x1;
	size_t n = 0, lines = 0;

	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "bad%d\n", i);
	ck_assert_int_eq(auth_parse(text, n, "tok", &a, &errors), -EINVAL);
	ck_assert_ptr_eq(a, (struct auth *)0x1);
	for (char *p = errors; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 20);
	ck_assert_int_eq(strncmp(errors, first, sizeof(first) - 1), 0);
	ck_assert_ptr_nonnull(strstr(errors, "\ntok:19: expected 'SCOPE TOKEN', found one word\n"));
	last = strstr(errors, "\ntok: too many errors, stopped at line 20\n");
	ck_assert_ptr_nonnull(last);
	ck_assert_str_eq(last, "\ntok: too many errors, stopped at line 20\n");
	free(errors);
	ck_assert_int_eq(auth_parse(text, n, "tok", &a, NULL), -EINVAL);
}
END_TEST

static char dir[] = "/tmp/test-auth.XXXXXX";

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(files)
{
	struct auth *a = NULL;
	char *errors = NULL, path[256], expected[512];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file("tokens", "admin " T_ADMIN "\n", 0600);
	write_file("open", "admin " T_ADMIN "\n", 0644);

	/* relative to the configuration's folder */
	unsetenv("CREDENTIALS_DIRECTORY");
	ck_assert_int_eq(auth_load_file("tokens", dir, &a, &errors), 0);
	ck_assert_int_eq(auth_check(a, T_ADMIN, strlen(T_ADMIN)), AUTH_ADMIN);
	auth_free(a);

	/* absolute */
	snprintf(path, sizeof(path), "%s/tokens", dir);
	ck_assert_int_eq(auth_load_file(path, "/nonexistent", &a, NULL), 0);
	auth_free(a);

	/* $CREDENTIALS_DIRECTORY wins for a relative name */
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	ck_assert_int_eq(auth_load_file("tokens", "/nonexistent", &a, NULL), 0);
	auth_free(a);
	/*
	 * There, group bits are those of the ACL systemd grants kasad's
	 * user: accepted.  Bits for others still are not.  Elsewhere the
	 * same file is refused.
	 */
	write_file("acl", "admin " T_ADMIN "\n", 0440);
	ck_assert_int_eq(auth_load_file("acl", "/nonexistent", &a, NULL), 0);
	auth_free(a);
	ck_assert_int_eq(auth_load_file("open", "/nonexistent", &a, &errors), -EPERM);
	free(errors);
	unsetenv("CREDENTIALS_DIRECTORY");
	ck_assert_int_eq(auth_load_file("acl", dir, &a, &errors), -EPERM);
	free(errors);

	/* others may read it: refused, with the fix */
	ck_assert_int_eq(auth_load_file("open", dir, &a, &errors), -EPERM);
	snprintf(expected, sizeof(expected),
		 "%s/open: others may read or write the tokens file (mode 0644): chmod 600 it\n",
		 dir);
	ck_assert_str_eq(errors, expected);
	free(errors);

	/* missing; a folder */
	ck_assert_int_eq(auth_load_file("missing", dir, &a, &errors), -ENOENT);
	snprintf(expected, sizeof(expected),
		 "%s/missing: cannot open the tokens file: No such file or directory\n", dir);
	ck_assert_str_eq(errors, expected);
	free(errors);
	ck_assert_int_eq(auth_load_file(dir, NULL, &a, &errors), -EINVAL);
	free(errors);

	/* the file's own errors name the file */
	write_file("bad", "root " T_ADMIN "\n", 0600);
	ck_assert_int_eq(auth_load_file("bad", dir, &a, &errors), -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s/bad:1: unknown scope 'root' (read, control or admin)\n", dir);
	ck_assert_str_eq(errors, expected);
	free(errors);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("all");

	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, sha256_edges);
	tcase_add_test(tc, scopes_and_hashes);
	tcase_add_test(tc, hash_uppercase);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, nul_and_long_lines);
	tcase_add_test(tc, too_many);
	tcase_add_test(tc, too_many_errors);
	tcase_add_test(tc, files);
	suite_add_tcase(s, tc);
	return test_run(s);
}
