/* SPDX-License-Identifier: MIT */
/* common/strbuf.h: growth, the cap, the sticky error, and reading to the end. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test-util.h"
#include "common/macro.h"
#include "common/strbuf.h"

START_TEST(test_append)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(1024);

	ck_assert_ptr_null(b.s);
	ck_assert_int_eq(strbuf_append(&b, "ab", 2), 0);
	ck_assert_int_eq(strbuf_append(&b, "", 0), 0);
	ck_assert_int_eq(strbuf_append(&b, "cde", 3), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_str_eq(b.s, "abcde");
	ck_assert_int_eq(b.error, 0);
}
END_TEST

START_TEST(test_grow)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(1 << 20);
	const size_t n = 3 * STRBUF_INITIAL + 7;

	for (size_t i = 0; i < n; i++) {
		char c = (char)('a' + i % 26);

		ck_assert_int_eq(strbuf_append(&b, &c, 1), 0);
	}
	ck_assert_uint_eq(b.len, n);
	ck_assert_uint_eq(strlen(b.s), n);
	ck_assert_uint_ge(b.cap, n + 1);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(b.s[i], 'a' + (int)(i % 26));
}
END_TEST

START_TEST(test_cap)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(10);

	ck_assert_int_eq(strbuf_append(&b, "0123456", 7), 0);
	ck_assert_int_eq(strbuf_append(&b, "789", 3), 0); /* exactly the cap */
	ck_assert_str_eq(b.s, "0123456789");
	ck_assert_uint_le(b.cap, 11); /* never more than the cap and its NUL */
	ck_assert_int_eq(strbuf_append(&b, "x", 1), -EMSGSIZE);
	ck_assert_int_eq(b.error, -EMSGSIZE);
	/* Sticky: nothing else is taken, even what would fit. */
	ck_assert_int_eq(strbuf_append(&b, "", 0), -EMSGSIZE);
	ck_assert_int_eq(strbuf_printf(&b, "%d", 1), -EMSGSIZE);
	ck_assert_int_eq(strbuf_reserve(&b, 0), -EMSGSIZE);
	ck_assert_str_eq(b.s, "0123456789");
	ck_assert_uint_eq(b.len, 10);
}
END_TEST

START_TEST(test_cap_zero)
{
	struct strbuf b = STRBUF_INIT(0);

	ck_assert_int_eq(strbuf_append(&b, "", 0), 0);
	ck_assert_str_eq(b.s, "");
	ck_assert_int_eq(strbuf_append(&b, "x", 1), -EMSGSIZE);
	strbuf_free(&b);
	ck_assert_ptr_null(b.s);
	ck_assert_int_eq(b.error, 0);
	ck_assert_uint_eq(b.max, 0);
}
END_TEST

START_TEST(test_printf)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(1 << 20);
	char *big = malloc(2 * STRBUF_INITIAL + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'z', 2 * STRBUF_INITIAL);
	big[2 * STRBUF_INITIAL] = '\0';
	ck_assert_int_eq(strbuf_printf(&b, "%s=%d;", "a", 42), 0);
	ck_assert_str_eq(b.s, "a=42;");
	/* Longer than the room left: written again once there is room. */
	ck_assert_int_eq(strbuf_printf(&b, "[%s]", big), 0);
	ck_assert_uint_eq(b.len, 5 + 2 + 2 * STRBUF_INITIAL);
	ck_assert_int_eq(strncmp(b.s, "a=42;[zzz", 9), 0);
	ck_assert_int_eq(b.s[b.len - 1], ']');
	ck_assert_uint_eq(strlen(b.s), b.len);
	free(big);
}
END_TEST

START_TEST(test_printf_over_cap)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(8);

	ck_assert_int_eq(strbuf_printf(&b, "%s", "abc"), 0);
	ck_assert_int_eq(strbuf_printf(&b, "%s", "defghi"), -EMSGSIZE);
	/* What was cut is not left behind: the text ends where it did. */
	ck_assert_str_eq(b.s, "abc");
	ck_assert_uint_eq(b.len, 3);
}
END_TEST

START_TEST(test_steal)
{
	struct strbuf b = STRBUF_INIT(100);
	size_t len = 0;
	char *s;

	ck_assert_ptr_null(strbuf_steal(&b, &len)); /* nothing yet */
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(strbuf_printf(&b, "%s", "kept"), 0);
	s = strbuf_steal(&b, &len);
	ck_assert_str_eq(s, "kept");
	ck_assert_uint_eq(len, 4);
	ck_assert_ptr_null(b.s);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.max, 100);
	free(s);
	/* Still usable, afresh. */
	ck_assert_int_eq(strbuf_append(&b, "again", 5), 0);
	ck_assert_str_eq(b.s, "again");
	strbuf_free(&b);
}
END_TEST

/* Write len bytes of pattern into a pipe and close its end; returns the
 * read end.  Small enough to fit the pipe's buffer. */
static int pipe_with(size_t len)
{
	int fds[2];
	char *data = malloc(len + 1);

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('A' + i % 26);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	free(data);
	return fds[0];
}

START_TEST(test_read_fd)
{
	static const size_t lens[] = {0,
				      1,
				      100,
				      STRBUF_INITIAL - 1,
				      STRBUF_INITIAL,
				      STRBUF_INITIAL + 1,
				      3 * STRBUF_INITIAL};

	for (size_t k = 0; k < ARRAY_SIZE(lens); k++) {
		_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(3 * STRBUF_INITIAL);
		_cleanup_close_ int fd = pipe_with(lens[k]);

		ck_assert_msg(strbuf_read_fd(&b, fd) == 0, "%zu bytes", lens[k]);
		ck_assert_uint_eq(b.len, lens[k]);
		ck_assert_ptr_nonnull(b.s); /* a C string even when empty */
		ck_assert_uint_eq(strlen(b.s), lens[k]);
		if (lens[k])
			ck_assert_int_eq(b.s[lens[k] - 1], 'A' + (int)((lens[k] - 1) % 26));
	}
}
END_TEST

START_TEST(test_read_fd_cap)
{
	_cleanup_(strbuf_free) struct strbuf exact = STRBUF_INIT(1000);
	_cleanup_(strbuf_free) struct strbuf over = STRBUF_INIT(1000);
	_cleanup_close_ int fd_exact = pipe_with(1000);
	_cleanup_close_ int fd_over = pipe_with(1001);

	ck_assert_int_eq(strbuf_read_fd(&exact, fd_exact), 0);
	ck_assert_uint_eq(exact.len, 1000);
	ck_assert_int_eq(strbuf_read_fd(&over, fd_over), -EMSGSIZE);
	ck_assert_int_eq(over.error, -EMSGSIZE);
	ck_assert_uint_le(over.len, 1000);
}
END_TEST

START_TEST(test_read_fd_appends)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(100);
	_cleanup_close_ int fd = pipe_with(3);

	ck_assert_int_eq(strbuf_append(&b, "head:", 5), 0);
	ck_assert_int_eq(strbuf_read_fd(&b, fd), 0);
	ck_assert_str_eq(b.s, "head:ABC");
}
END_TEST

START_TEST(test_read_fd_error)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(100);

	ck_assert_int_eq(strbuf_read_fd(&b, -1), -EBADF);
	ck_assert_int_eq(b.error, -EBADF);
}
END_TEST

static Suite *strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("strbuf");

	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_grow);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_cap_zero);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_printf_over_cap);
	tcase_add_test(tc, test_steal);
	tcase_add_test(tc, test_read_fd);
	tcase_add_test(tc, test_read_fd_cap);
	tcase_add_test(tc, test_read_fd_appends);
	tcase_add_test(tc, test_read_fd_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(strbuf_suite());
}
