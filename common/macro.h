/* SPDX-License-Identifier: MIT */
/*
 * The small macros lib, daemon, tools and tests share: array sizes, string
 * equality, container_of, and scope cleanup.  Not installed: lib/kasa.h
 * never includes anything from common/.
 *
 * Scope cleanup: a variable declared _cleanup_(f) has f(&variable) called
 * when it goes out of scope, however the scope is left.  steal_ptr() and
 * steal_fd() hand what such a variable holds on and leave it empty, so that
 * nothing is freed twice:
 *
 *	_cleanup_free_ char *s = strdup(x);
 *	...
 *	*ret_s = steal_ptr(s);
 *
 * DEFINE_CLEANUP_FUNC(struct foo *, foo_free) defines foo_freep() for
 * _cleanup_(foo_freep), which calls foo_free() unless the pointer is NULL.
 */
#ifndef COMMON_MACRO_H
#define COMMON_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Elements of an array (not of a pointer: -Wsizeof-pointer-div says so). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* The struct of type that holds member, from a pointer to that member. */
#define container_of(ptr, type, member)                                                            \
	({                                                                                         \
		const __typeof__(((type *)0)->member) *container_of_p_ = (ptr);                    \
		(type *)(void *)((char *)container_of_p_ - offsetof(type, member));                \
	})

/* --- Scope cleanup ------------------------------------------------------- */

#define _cleanup_(f) __attribute__((cleanup(f)))

#define DEFINE_CLEANUP_FUNC(type, func)                                                            \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_	_cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand a pointer (or fd) on and leave the scoped variable empty. */
#define steal_ptr(p)                                                                               \
	({                                                                                         \
		__typeof__(p) steal_tmp_ = (p);                                                    \
		(p) = NULL;                                                                        \
		steal_tmp_;                                                                        \
	})
#define steal_fd(fd)                                                                               \
	({                                                                                         \
		int steal_tmp_ = (fd);                                                             \
		(fd) = -1;                                                                         \
		steal_tmp_;                                                                        \
	})

#endif
