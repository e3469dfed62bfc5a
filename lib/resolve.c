/* SPDX-License-Identifier: MIT */
/*
 * The one name resolver: numeric addresses are answered at once, names are
 * looked up in the background (getaddrinfo_a), so a lookup never blocks an
 * event loop and a blocking caller can still give up by its deadline.
 *
 * glibc tells of a lookup's end by running notify() on a thread of its own
 * (SIGEV_THREAD), which makes the lookup's eventfd readable: that is all a
 * loop watches.  The lookup is shared by its caller and that notification,
 * and freed by whichever lets go last: glibc's worker writes into it until
 * the lookup ends, so one freed while it runs stays allocated until then
 * (its descriptor is closed at once).  lock guards the descriptor, which
 * the notification must not write to once the caller has closed it (the
 * number may be another file's by then), and the counts.
 */
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#include "kasa-private.h"

struct kasa_lookup {
	struct gaicb cb;
	struct addrinfo hints;
	struct addrinfo *numeric; /* the answer when host was an address */
	int fd;			  /* the eventfd; -1 for an address, and once freed */
	unsigned refs;		  /* the caller's, and the notification's while it is due */
	bool started;		  /* cb was handed to getaddrinfo_a */
	char service[8];
	char host[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t settled = PTHREAD_COND_INITIALIZER;
static unsigned alive; /* lookups not yet destroyed */

static void destroy(struct kasa_lookup *l)
{
	if (l->cb.ar_result)
		freeaddrinfo(l->cb.ar_result);
	if (l->numeric)
		freeaddrinfo(l->numeric);
	free(l);
	pthread_mutex_lock(&lock);
	if (--alive == 0)
		pthread_cond_broadcast(&settled);
	pthread_mutex_unlock(&lock);
}

static void unref(struct kasa_lookup *l, unsigned n)
{
	bool last;

	pthread_mutex_lock(&lock);
	l->refs -= n;
	last = l->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		destroy(l);
}

/* On glibc's notification thread, once the lookup has ended. */
static void notify(union sigval v)
{
	struct kasa_lookup *l = v.sival_ptr;
	uint64_t one = 1;

	pthread_mutex_lock(&lock);
	if (l->fd >= 0 && write(l->fd, &one, sizeof(one)) < 0) {
		/* Cannot fail: a counter this far from its maximum. */
	}
	pthread_mutex_unlock(&lock);
	unref(l, 1);
}

int kasa_lookup_start(const char *host, uint16_t port, struct kasa_lookup **ret_lookup)
{
	size_t len = strlen(host);
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = notify};
	struct gaicb *list[1];
	struct kasa_lookup *l;
	int r;

	l = calloc(1, sizeof(*l) + len + 1);
	if (!l)
		return -ENOMEM;
	pthread_mutex_lock(&lock);
	alive++;
	pthread_mutex_unlock(&lock);
	l->fd = -1;
	l->refs = 1;
	memcpy(l->host, host, len + 1);
	snprintf(l->service, sizeof(l->service), "%u", (unsigned)port);
	l->hints.ai_flags = AI_NUMERICHOST;
	l->hints.ai_socktype = SOCK_STREAM;
	l->hints.ai_protocol = IPPROTO_TCP;

	/* Addresses, the usual case, need no resolver. */
	r = getaddrinfo(l->host, l->service, &l->hints, &l->numeric);
	if (r != EAI_NONAME) {
		if (r != 0) {
			r = kasa_gai_errno(r);
			destroy(l);
			return r;
		}
		*ret_lookup = l;
		return 0;
	}

	l->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->fd < 0) {
		r = -errno;
		destroy(l);
		return r;
	}
	l->hints.ai_flags = 0;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->service;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	sev.sigev_value.sival_ptr = l;
	l->refs = 2;
	l->started = true;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev);
	if (r != 0) {
		/* glibc may have queued it all the same, or notify at once:
		 * let go of it as of a lookup that runs. */
		r = kasa_gai_errno(r);
		kasa_lookup_free(l);
		return r;
	}
	*ret_lookup = l;
	return 0;
}

int kasa_lookup_fd(const struct kasa_lookup *l)
{
	return l->fd;
}

int kasa_lookup_check(struct kasa_lookup *l, const struct addrinfo **ret_res)
{
	int r;

	if (!l->started) {
		*ret_res = l->numeric;
		return 1;
	}
	r = gai_error(&l->cb);
	if (r == EAI_INPROGRESS)
		return 0;
	if (r != 0)
		return kasa_gai_errno(r);
	*ret_res = l->cb.ar_result;
	return 1;
}

int kasa_lookup_wait(struct kasa_lookup *l, uint64_t deadline, const struct addrinfo **ret_res)
{
	for (;;) {
		uint64_t now = kasa_now_usec(), ms;
		struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
		int r;

		r = kasa_lookup_check(l, ret_res);
		if (r != 0)
			return r;
		if (now >= deadline)
			return -ETIMEDOUT;
		ms = (deadline - now + 999) / 1000;
		if (poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms) < 0 && errno != EINTR)
			return -errno;
	}
}

void kasa_lookup_free(struct kasa_lookup *l)
{
	unsigned refs = 1;

	if (!l)
		return;
	/* Taken out of glibc's queue before it began: no notification comes.
	 * Otherwise one does, or has (a lookup that ended), and the last of
	 * the two to let go frees it.  (Only a notification glibc could not
	 * start a thread for never comes: that lookup stays allocated.) */
	if (l->started && gai_cancel(&l->cb) == EAI_CANCELED)
		refs++;
	pthread_mutex_lock(&lock);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	pthread_mutex_unlock(&lock);
	unref(l, refs);
}

int kasa_lookup_settle(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000u),
		.tv_nsec = (long)(deadline % 1000000u) * 1000,
	};
	int r = 0;

	pthread_mutex_lock(&lock);
	while (alive && r == 0)
		r = pthread_cond_clockwait(&settled, &lock, CLOCK_MONOTONIC, &ts);
	r = alive ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&lock);
	return r;
}
