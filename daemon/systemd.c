/* SPDX-License-Identifier: MIT */
/*
 * systemd glue: the only file that includes libsystemd's daemon and journal
 * headers.  Each call does nothing harmful when systemd is not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Without this every entry would say it came from this file and line. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "systemd.h"

/* Where journald takes native-protocol entries (systemd.io/JOURNAL_NATIVE_PROTOCOL). */
#define SYSTEMD_JOURNAL_SOCKET "/run/systemd/journal/socket"
/* systemd reads notifications into a buffer of this size and drops longer ones. */
#define SYSTEMD_NOTIFY_MAX 4096

static int systemd_set_flags(int fd)
{
	int flags;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int systemd_listen_fd(const char **ret_why)
{
	const int fd = SD_LISTEN_FDS_START;
	int n, r;

	/* Unset $LISTEN_*, so that nothing we might spawn takes the socket for its own. */
	n = sd_listen_fds(1);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	if (n > 1) {
		*ret_why = "more than one socket was passed; kasad takes exactly one ListenStream=";
		return -EINVAL;
	}

	r = sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1);
	if (r < 0)
		return r;
	if (r == 0) {
		*ret_why = "the passed descriptor is not a listening stream socket";
		return -EINVAL;
	}
	r = sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0);
	if (r < 0)
		return r;
	if (r == 0) {
		/* Auth, the Host allow-list and per-IP limits all assume a TCP peer. */
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
			*ret_why = "the passed socket is AF_UNIX; kasad serves TCP only "
				   "(ListenStream= must be ADDRESS:PORT)";
		else
			*ret_why = "the passed socket is neither IPv4 nor IPv6";
		return -EINVAL;
	}

	r = systemd_set_flags(fd);
	if (r < 0)
		return r;
	return fd;
}

int systemd_notify(const char *fmt, ...)
{
	char buf[SYSTEMD_NOTIFY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(buf)) {
		/*
		 * Half an assignment (WATCHDOG_USEC=12) could do harm; drop the
		 * field that was cut, keep the whole ones before it.
		 */
		char *nl = strrchr(buf, '\n');

		if (!nl)
			return -EMSGSIZE;
		*nl = '\0';
	}
	return sd_notify(0, buf);
}

int systemd_journal_send(int priority, const char *device, const char *message)
{
	/*
	 * sd_journal_send() reports success when there is no journald at all
	 * (ENOENT), and the message would be lost; the caller falls back to
	 * stderr only if we say so.
	 */
	if (access(SYSTEMD_JOURNAL_SOCKET, F_OK) < 0)
		return -errno;
	if (device)
		return sd_journal_send("MESSAGE=%s", message, "PRIORITY=%i", priority,
				       "SYSLOG_IDENTIFIER=kasad", "KASA_DEVICE=%s", device, NULL);
	return sd_journal_send("MESSAGE=%s", message, "PRIORITY=%i", priority,
			       "SYSLOG_IDENTIFIER=kasad", NULL);
}
