/* SPDX-License-Identifier: MIT */
/*
 * systemd glue: readiness and status notification, socket activation and
 * the journal.  The only file that includes <systemd/sd-daemon.h> and
 * <systemd/sd-journal.h>; the event loop (sd-event) is behind loop.h.
 * Every function is harmless when systemd is not there.
 */
#ifndef KASAD_SYSTEMD_H
#define KASAD_SYSTEMD_H

#include <stdbool.h>

/*
 * The listening socket passed by socket activation ($LISTEN_FDS), made
 * non-blocking and close-on-exec.  -ENOENT when none was passed, -EINVAL
 * (with a message in ret_why, a static string) when more than one was passed
 * or it is not a listening TCP stream socket.
 */
int systemd_listen_fd(const char **ret_why);

/* sd_notify(); fmt builds the whole message, e.g. "READY=1\nSTATUS=...".
 * Returns > 0 when sent, 0 when $NOTIFY_SOCKET is unset, -errno. */
int systemd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One journal entry: PRIORITY, MESSAGE, SYSLOG_IDENTIFIER=kasad and, when
 * device is not NULL, KASA_DEVICE=device. */
int systemd_journal_send(int priority, const char *device, const char *message);

#endif
