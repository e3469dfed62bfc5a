/* SPDX-License-Identifier: MIT */
/* common/macro.h and common/clock.h: sizes, container_of, scope cleanup, the clock. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "../lib/test-util.h"
#include "common/clock.h"
#include "common/macro.h"

struct thing {
	int id;
};

static int things_freed, last_freed;

static void thing_free(struct thing *t)
{
	things_freed++;
	last_freed = t->id;
}

DEFINE_CLEANUP_FUNC(struct thing *, thing_free)

START_TEST(test_array_size)
{
	static const char *words[] = {"a", "b", "c"};
	uint64_t wide[7];
	char text[] = "four";

	ck_assert_uint_eq(ARRAY_SIZE(words), 3);
	ck_assert_uint_eq(ARRAY_SIZE(wide), 7);
	ck_assert_uint_eq(ARRAY_SIZE(text), 5);
}
END_TEST

START_TEST(test_streq)
{
	ck_assert(streq("abc", "abc"));
	ck_assert(streq("", ""));
	ck_assert(!streq("abc", "abd"));
	ck_assert(!streq("abc", "ab"));
}
END_TEST

START_TEST(test_container_of)
{
	struct outer {
		char pad[13];
		int inner;
		double after;
	} o;

	ck_assert_ptr_eq(container_of(&o.inner, struct outer, inner), &o);
	ck_assert_ptr_eq(container_of(&o.after, struct outer, after), &o);
	ck_assert_ptr_eq(container_of(&o.pad, struct outer, pad), &o);
}
END_TEST

START_TEST(test_cleanup)
{
	struct thing a = {.id = 1}, b = {.id = 2};
	struct thing *kept;

	things_freed = 0;
	{
		_cleanup_(thing_freep) struct thing *t = &a;

		ck_assert_int_eq(things_freed, 0);
		(void)t;
	}
	ck_assert_int_eq(things_freed, 1);
	ck_assert_int_eq(last_freed, 1);
	{
		_cleanup_(thing_freep) struct thing *none = NULL;

		(void)none;
	}
	ck_assert_int_eq(things_freed, 1); /* NULL is not freed */
	{
		_cleanup_(thing_freep) struct thing *t = &b;

		kept = steal_ptr(t);
		ck_assert_ptr_null(t);
	}
	ck_assert_int_eq(things_freed, 1); /* handed on, not freed */
	ck_assert_ptr_eq(kept, &b);
}
END_TEST

START_TEST(test_cleanup_free)
{
	/* Nothing to observe but what valgrind and ASan see: no leak. */
	_cleanup_free_ char *s = malloc(16);
	_cleanup_free_ char *none = NULL;

	ck_assert_ptr_nonnull(s);
	(void)none;
}
END_TEST

START_TEST(test_cleanup_close)
{
	int fd_closed, fd_kept;

	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		ck_assert_int_ge(fd, 0);
		fd_closed = fd;
	}
	ck_assert_int_eq(fcntl(fd_closed, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		_cleanup_close_ int none = -1;

		ck_assert_int_ge(fd, 0);
		fd_kept = steal_fd(fd);
		ck_assert_int_eq(fd, -1);
		(void)none;
	}
	ck_assert_int_ne(fcntl(fd_kept, F_GETFD), -1);
	close(fd_kept);
}
END_TEST

START_TEST(test_clock)
{
	struct timespec ts;
	uint64_t before, mid, after;

	before = monotonic_usec();
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	mid = timespec_usec(&ts);
	after = monotonic_usec();
	ck_assert_uint_le(before, mid);
	ck_assert_uint_le(mid, after);
	ck_assert_uint_eq(timespec_usec(&(struct timespec){.tv_sec = 3, .tv_nsec = 999999}),
			  3 * USEC_PER_SEC + 999);
	ck_assert_uint_eq(USEC_PER_DAY, 86400 * USEC_PER_SEC);
	ck_assert_uint_eq(USEC_PER_SEC, 1000 * USEC_PER_MSEC);
}
END_TEST

static Suite *macro_suite(void)
{
	Suite *s = suite_create("macro");
	TCase *tc = tcase_create("macro");

	tcase_add_test(tc, test_array_size);
	tcase_add_test(tc, test_streq);
	tcase_add_test(tc, test_container_of);
	tcase_add_test(tc, test_cleanup);
	tcase_add_test(tc, test_cleanup_free);
	tcase_add_test(tc, test_cleanup_close);
	tcase_add_test(tc, test_clock);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(macro_suite());
}
