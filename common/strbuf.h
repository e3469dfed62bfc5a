/* SPDX-License-Identifier: MIT */
/*
 * The one bounded string buffer: bytes appended to a heap buffer that grows
 * by doubling up to a hard cap, kept NUL-terminated so that b->s is a C
 * string once anything is in it.  Not installed.
 *
 * The first failure (-ENOMEM, or -EMSGSIZE: past the cap) stays in
 * b->error and makes every later call a no-op that returns it, so that a
 * renderer may append without checking each step and look once at the end:
 *
 *	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(MY_TEXT_MAX);
 *
 *	strbuf_printf(&b, "%s=%d\n", name, v);
 *	strbuf_append(&b, "\n", 1);
 *	if (b.error < 0)
 *		return b.error;
 *	*ret_text = strbuf_steal(&b, &len);
 */
#ifndef COMMON_STRBUF_H
#define COMMON_STRBUF_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first allocation; each next one doubles. */
#define STRBUF_INITIAL 4096

struct strbuf {
	char *s;    /* owned; NULL until the first byte of room is made */
	size_t len; /* bytes in s, the NUL not counted */
	size_t cap; /* bytes allocated, the NUL's included */
	size_t max; /* the most len may reach (at most SIZE_MAX / 2): the cap */
	int error;  /* 0, or the first failure, -errno */
};

#define STRBUF_INIT(limit)                                                                         \
	{                                                                                          \
		.max = (limit)                                                                     \
	}

static inline void strbuf_free(struct strbuf *b)
{
	free(b->s);
	*b = (struct strbuf)STRBUF_INIT(b->max);
}

/* Hand the text (owned, NUL-terminated; NULL when no room was ever made) on,
 * and leave b empty. */
static inline char *strbuf_steal(struct strbuf *b, size_t *ret_len)
{
	char *s = b->s;

	if (ret_len)
		*ret_len = b->len;
	*b = (struct strbuf)STRBUF_INIT(b->max);
	return s;
}

/* Room for more bytes after len, and the NUL. */
static inline int strbuf_reserve(struct strbuf *b, size_t more)
{
	size_t need, cap;
	char *s;

	if (b->error)
		return b->error;
	if (more > b->max - b->len)
		return b->error = -EMSGSIZE;
	need = b->len + more + 1;
	if (b->s && need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : STRBUF_INITIAL;
	while (cap < need)
		cap = cap <= b->max / 2 ? 2 * cap : b->max + 1;
	if (cap > b->max + 1)
		cap = b->max + 1;
	s = realloc(b->s, cap);
	if (!s)
		return b->error = -ENOMEM;
	if (!b->s)
		s[0] = '\0'; /* len is 0; afterwards s[len] is always the NUL */
	b->s = s;
	b->cap = cap;
	return 0;
}

static inline int strbuf_append(struct strbuf *b, const void *data, size_t n)
{
	int r = strbuf_reserve(b, n);

	if (r < 0)
		return r;
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static inline int strbuf_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	r = strbuf_reserve(b, 0);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->error = -EINVAL;
	if ((size_t)n >= b->cap - b->len) {
		/* It did not fit: what was cut is dropped, then written again. */
		b->s[b->len] = '\0';
		r = strbuf_reserve(b, (size_t)n);
		if (r < 0)
			return r;
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

/* Append what fd has to its end: -EMSGSIZE when that is more than the cap
 * allows, -errno when reading fails. */
static inline int strbuf_read_fd(struct strbuf *b, int fd)
{
	for (;;) {
		char probe;
		ssize_t n;
		int r;

		if (b->error)
			return b->error;
		if (b->len == b->max) {
			/* Full: anything more is over the cap. */
			n = read(fd, &probe, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return b->error = -errno;
			return n ? (b->error = -EMSGSIZE) : 0;
		}
		r = strbuf_reserve(b, b->s && b->cap - b->len > 1 ? 0 : 1);
		if (r < 0)
			return r;
		n = read(fd, b->s + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return b->error = -errno;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		b->s[b->len] = '\0';
	}
}

#endif
