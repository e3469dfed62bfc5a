/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by libkasa's files; not installed. */
#ifndef KASA_PRIVATE_H
#define KASA_PRIVATE_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "kasa.h"

/* Marks a function as part of the public ABI; everything else is hidden. */
#define KASA_EXPORT __attribute__((visibility("default")))

static inline void kasa_freep(void *p)
{
	free(*(void **)p);
}

static inline void kasa_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_ __attribute__((cleanup(kasa_freep)))
#define _cleanup_close_ __attribute__((cleanup(kasa_closep)))

/* Hand a pointer (or fd) on and leave the scoped variable empty. */
#define steal_ptr(p)                                                                               \
	({                                                                                         \
		__typeof__(p) _tmp = (p);                                                          \
		(p) = NULL;                                                                        \
		_tmp;                                                                              \
	})
#define steal_fd(fd)                                                                               \
	({                                                                                         \
		int _tmp = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_tmp;                                                                              \
	})

/* Map a getaddrinfo() error to -errno (-ENXIO: the name does not resolve). */
int kasa_gai_errno(int gai);

#define KASA_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
