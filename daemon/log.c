/* SPDX-License-Identifier: MIT */
/*
 * Logging to the journal or to stderr.  Messages can carry text we do not
 * control (a plug's alias, a client's URL), so control characters are
 * escaped and every message has a hard length cap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "systemd.h"

/* The message text after escaping, "..." included when it was cut. */
#define LOG_MESSAGE_MAX 2048
/* The device name after escaping; names are short, this only bounds garbage. */
#define LOG_DEVICE_MAX 128
#define LOG_ELLIPSIS   "..."
/* "kasad: " LEVEL ": " DEVICE ": " MESSAGE "\n" and the NUL. */
#define LOG_LINE_MAX (sizeof("kasad: emergency: ") + LOG_DEVICE_MAX + 2 + LOG_MESSAGE_MAX + 2)

static int log_max_level = LOG_INFO;
static bool log_journal;

static int log_clamp(int level)
{
	if (level < LOG_EMERG)
		return LOG_EMERG;
	if (level > LOG_DEBUG)
		return LOG_DEBUG;
	return level;
}

static const char *log_level_word(int level)
{
	switch (level) {
	case LOG_EMERG:
		return "emergency";
	case LOG_ALERT:
		return "alert";
	case LOG_CRIT:
		return "critical";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	}
	return "debug";
}

/* Strict decimal, the whole string; JOURNAL_STREAM is not ours to guess at. */
static bool log_parse_u64(const char *s, const char *end, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return true;
}

/*
 * systemd sets $JOURNAL_STREAM for the stderr it connected to the journal;
 * the variable survives redirections and children, so it counts only while
 * stderr is still that very stream.
 */
static bool log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	const char *colon;
	uint64_t dev, ino;
	struct stat st;

	if (!env)
		return false;
	colon = strchr(env, ':');
	if (!colon || !log_parse_u64(env, colon, &dev) ||
	    !log_parse_u64(colon + 1, colon + strlen(colon), &ino))
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

void log_init(int max_level)
{
	log_set_level(max_level);
	log_journal = log_stderr_is_journal();
}

void log_set_level(int max_level)
{
	log_max_level = log_clamp(max_level);
}

int log_get_level(void)
{
	return log_max_level;
}

bool log_to_journal(void)
{
	return log_journal;
}

static bool log_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static size_t log_escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += log_is_control((unsigned char)*s) ? 4 : 1;
	return n;
}

/*
 * Append src to buf at len, at most up to cap (buf has room for a NUL
 * after it), writing control characters as \xNN so that one message stays
 * one line and cannot move a terminal's cursor.  What does not fit is cut
 * where "..." still fits, never inside an escape.  Returns the new length.
 */
static size_t log_escape(char *buf, size_t len, size_t cap, const char *src, bool truncated)
{
	static const char hex[] = "0123456789abcdef";
	size_t room = cap;

	if (truncated || log_escaped_len(src) > cap - len) {
		truncated = true;
		room = cap - (sizeof(LOG_ELLIPSIS) - 1);
	}
	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;

		if (!log_is_control(c)) {
			if (len + 1 > room)
				break;
			buf[len++] = (char)c;
			continue;
		}
		if (len + 4 > room)
			break;
		buf[len++] = '\\';
		buf[len++] = 'x';
		buf[len++] = hex[c >> 4];
		buf[len++] = hex[c & 0xf];
	}
	if (truncated) {
		memcpy(buf + len, LOG_ELLIPSIS, sizeof(LOG_ELLIPSIS) - 1);
		len += sizeof(LOG_ELLIPSIS) - 1;
	}
	buf[len] = '\0';
	return len;
}

static void log_write_stderr(const char *line, size_t len)
{
	/* One write(2) per line: lines of concurrent writers do not interleave. */
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, line, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

void log_full(int level, const char *device, const char *fmt, ...)
{
	int saved_errno = errno; /* callers log, then return -errno */
	char raw[LOG_MESSAGE_MAX + 1];
	char line[LOG_LINE_MAX];
	size_t len, msg;
	va_list ap;
	int n;

	level = log_clamp(level);
	if (level > log_max_level)
		return;

	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(raw, sizeof(raw), "(unformattable message: %s)", fmt);

	len = (size_t)snprintf(line, sizeof(line), "kasad: %s: ", log_level_word(level));
	/* journalctl shows only MESSAGE=, so the device stays in it as well. */
	msg = len;
	if (device) {
		len = log_escape(line, len, len + LOG_DEVICE_MAX, device, false);
		memcpy(line + len, ": ", 2);
		len += 2;
	}
	len = log_escape(line, len, len + LOG_MESSAGE_MAX, raw, n >= (int)sizeof(raw));

	if (log_journal && systemd_journal_send(level, device, line + msg) >= 0) {
		errno = saved_errno;
		return;
	}
	line[len++] = '\n';
	log_write_stderr(line, len);
	errno = saved_errno;
}
