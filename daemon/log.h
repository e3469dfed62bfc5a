/* SPDX-License-Identifier: MIT */
/*
 * Logging.  To the journal (with structured fields such as KASA_DEVICE=)
 * when $JOURNAL_STREAM names the device and inode of our stderr, else as
 * readable lines on stderr: "kasad: LEVEL: [DEVICE: ]message".
 * A failure is logged once, where it is handled.  Never log a token.
 */
#ifndef KASAD_LOG_H
#define KASAD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Decide journal or stderr; max_level is a syslog level (LOG_INFO default). */
void log_init(int max_level);
void log_set_level(int max_level);
int log_get_level(void);
/* Whether messages go to the journal (decided by log_init()). */
bool log_to_journal(void);

/* device may be NULL. */
void log_full(int level, const char *device, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...)		    log_full(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...)	    log_full(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...)		    log_full(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)		    log_full(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)		    log_full(LOG_DEBUG, NULL, __VA_ARGS__)
#define log_dev(level, device, ...) log_full(level, device, __VA_ARGS__)

#endif
