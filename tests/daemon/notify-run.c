/* SPDX-License-Identifier: MIT */
/*
 * notify-run: plays systemd's side of sd_notify() for the shell tests.
 *
 *   notify-run [-w WATCHDOG_USEC] [-t TIMEOUT_S] -- COMMAND [ARGS...]
 *
 * Runs COMMAND with $NOTIFY_SOCKET (and, with -w, $WATCHDOG_USEC and
 * $WATCHDOG_PID) set, and prints one line per event on stdout, flushed:
 *
 *   pid N                  first, the child's pid
 *   notify FIELD=VALUE     each field of each datagram, in order
 *                          (WATCHDOG=1 only the first time; the rest are counted)
 *   oversize               a datagram over 4096 bytes, ignored like systemd does
 *   timeout S              TIMEOUT_S (default 60, 0: none) passed; the child gets SIGKILL
 *   watchdog COUNT         when the child has exited: how many WATCHDOG=1 came
 *   exit CODE | signal N   last: how the child ended
 *
 * Exits with the child's exit code, or 128 + the signal that killed it.
 * SIGTERM, SIGINT and SIGHUP sent to notify-run are passed on to the child,
 * so that a harness killing us does not leave the daemon running.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

/* systemd's own limit for one notification. */
#define NOTIFY_MAX 4096

struct run {
	char dir[PATH_MAX];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int sock;
	int sigfd;
	pid_t child;
	unsigned long watchdogs;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: notify-run [-w WATCHDOG_USEC] [-t TIMEOUT_S] -- COMMAND [ARGS...]\n");
	exit(2);
}

static bool parse_ulong(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

/* The shell reads us through a FIFO line by line; every line must get there now. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int open_socket(struct run *r)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int one = 1;
	int n;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	n = snprintf(r->dir, sizeof(r->dir), "%s/notify-run.XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof(r->dir)) {
		r->dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(r->dir)) {
		/* Not ours: cleanup() must not remove whatever has that name. */
		r->dir[0] = '\0';
		return -errno;
	}
	n = snprintf(r->path, sizeof(r->path), "%s/notify", r->dir);
	if (n < 0 || (size_t)n >= sizeof(r->path)) {
		r->path[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, r->path, (size_t)n + 1);

	r->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->sock < 0)
		return -errno;
	/* As systemd does: senders' credentials come with each datagram. */
	if (setsockopt(r->sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(r->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static void cleanup(struct run *r)
{
	if (r->sock >= 0)
		close(r->sock);
	if (r->path[0])
		unlink(r->path);
	if (r->dir[0])
		rmdir(r->dir);
}

/* Close any descriptors passed along (FDSTORE=1); we keep none. */
static void close_passed_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

static void print_fields(struct run *r, char *buf, size_t len)
{
	char *field = buf;

	/* A NUL or a control character would garble the line protocol. */
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\n' && ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f))
			buf[i] = '?';
	buf[len] = '\0';

	while (field) {
		char *next = strchr(field, '\n');

		if (next)
			*next++ = '\0';
		if (strcmp(field, "WATCHDOG=1") == 0) {
			if (r->watchdogs++ == 0)
				say("notify %s", field);
		} else if (*field) {
			say("notify %s", field);
		}
		field = next;
	}
}

/* Read every datagram that is queued now. */
static void drain(struct run *r)
{
	for (;;) {
		char buf[NOTIFY_MAX + 1];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
		} control;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = &control,
			.msg_controllen = sizeof(control),
		};
		ssize_t n = recvmsg(r->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fprintf(stderr, "notify-run: recvmsg: %s\n", strerror(errno));
			return;
		}
		close_passed_fds(&mh);
		if ((size_t)n > sizeof(buf) - 1 || (mh.msg_flags & MSG_TRUNC)) {
			say("oversize");
			continue;
		}
		print_fields(r, buf, (size_t)n);
	}
}

static long long now_ms(void)
{
	return (long long)(monotonic_usec() / USEC_PER_MSEC);
}

/* Returns the exit status of the child, as from waitpid(). */
static int supervise(struct run *r, unsigned long long timeout_s)
{
	long long deadline = timeout_s ? now_ms() + (long long)timeout_s * 1000 : -1;
	bool killed = false;

	for (;;) {
		struct pollfd p[2] = {
			{.fd = r->sock, .events = POLLIN},
			{.fd = r->sigfd, .events = POLLIN},
		};
		int wait_ms = -1;
		int status;

		if (deadline >= 0 && !killed) {
			long long left = deadline - now_ms();

			wait_ms = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		if (poll(p, 2, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify-run: poll: %s\n", strerror(errno));
			kill(r->child, SIGKILL);
			waitpid(r->child, &status, 0);
			return status;
		}
		if (p[0].revents)
			drain(r);
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(r->sigfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGCHLD)
				kill(r->child, (int)si.ssi_signo);
		}
		if (waitpid(r->child, &status, WNOHANG) == r->child) {
			/* The child's last words (STOPPING=1) were queued before it exited. */
			drain(r);
			return status;
		}
		if (!killed && deadline >= 0 && now_ms() >= deadline) {
			say("timeout %llu", timeout_s);
			kill(r->child, SIGKILL);
			killed = true;
		}
	}
}

int main(int argc, char **argv)
{
	struct run r = {.sock = -1, .sigfd = -1};
	unsigned long long watchdog_usec = 0, timeout_s = 60;
	sigset_t mask, old_mask;
	int opt, status, err;

	while ((opt = getopt(argc, argv, "+w:t:")) != -1) {
		switch (opt) {
		case 'w':
			if (!parse_ulong(optarg, ULLONG_MAX, &watchdog_usec) || !watchdog_usec)
				usage();
			break;
		case 't':
			if (!parse_ulong(optarg, INT_MAX / 1000, &timeout_s))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();

	err = open_socket(&r);
	if (err < 0) {
		fprintf(stderr, "notify-run: cannot make the notify socket: %s\n", strerror(-err));
		cleanup(&r);
		return 1;
	}

	/* Blocked before fork(), so that no SIGCHLD can come before we listen. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old_mask);
	r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r.sigfd < 0) {
		fprintf(stderr, "notify-run: signalfd: %s\n", strerror(errno));
		cleanup(&r);
		return 1;
	}

	fflush(stdout);
	r.child = fork();
	if (r.child < 0) {
		fprintf(stderr, "notify-run: fork: %s\n", strerror(errno));
		cleanup(&r);
		return 1;
	}
	if (r.child == 0) {
		char num[32];

		/* A blocked signal mask survives exec; the daemon must get its signals. */
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		setenv("NOTIFY_SOCKET", r.path, 1);
		if (watchdog_usec) {
			snprintf(num, sizeof(num), "%llu", watchdog_usec);
			setenv("WATCHDOG_USEC", num, 1);
			snprintf(num, sizeof(num), "%ld", (long)getpid());
			setenv("WATCHDOG_PID", num, 1);
		} else {
			unsetenv("WATCHDOG_USEC");
			unsetenv("WATCHDOG_PID");
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "notify-run: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}

	/* A reader that went away must not kill us before the child is reaped. */
	signal(SIGPIPE, SIG_IGN);
	say("pid %ld", (long)r.child);
	status = supervise(&r, timeout_s);
	say("watchdog %lu", r.watchdogs);
	cleanup(&r);
	close(r.sigfd);
	if (WIFSIGNALED(status)) {
		say("signal %d", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	say("exit %d", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}
