/* SPDX-License-Identifier: MIT */
/*
 * Value parsers for the daemon's files: numbers, durations, sizes, yes/no,
 * listen addresses, host names and web origins, and the formatters that
 * write durations and sizes back so that they parse to the same value.
 *
 * Parsers take a whole NUL-terminated string, never log, and return 0 or
 * -errno (-EINVAL malformed, -ERANGE too large); ret_* are written only on
 * success.  The ones that say why a value is wrong hand back a borrowed,
 * static string.
 */
#ifndef KASAD_STRPARSE_H
#define KASAD_STRPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The longest host name, as DNS has it. */
#define STRPARSE_HOST_MAX 253
/* Room for any duration or size strparse_format_*() writes. */
#define STRPARSE_FORMAT_MAX 32

static inline bool strparse_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Blanks as the configuration file has them (not '\n'). */
static inline bool strparse_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* A decimal number without sign or spaces.  With ret_end the number may be
 * followed by anything, else it must be all of s. */
int strparse_uint(const char *s, const char **ret_end, uint64_t *ret);

/* "250ms", "10s", "2m", "1h", or a bare number of seconds ("1.5"), at most
 * a day.  "0.0000001" is -ERANGE: not nothing, yet less than a microsecond. */
int strparse_duration(const char *s, uint64_t *ret_usec);
/* The largest unit that says usec exactly ("5m", "250ms", "0s"), seconds
 * with a fraction below a millisecond ("0.001500s"). */
void strparse_format_duration(uint64_t usec, char *buf, size_t size);

/* Bytes, or KiB, MiB, GiB with a k, M or G suffix (either case). */
int strparse_size(const char *s, uint64_t *ret);
/* With a G or M suffix when that says bytes exactly ("64M"), else bytes. */
void strparse_format_size(uint64_t bytes, char *buf, size_t size);

/* yes, true, on, 1; no, false, off, 0. */
int strparse_bool(const char *s, bool *ret);

/* ADDR:PORT, [ADDR6]:PORT or PORT (then 127.0.0.1); numeric addresses and
 * "localhost" only. */
int strparse_listen(const char *s, struct sockaddr_storage *ret_addr, socklen_t *ret_len,
		    const char **ret_why);

/* Where discovery goes: a numeric IPv4 address (a host, or a broadcast
 * address), and a port from 1 to 65535 after a ':' or default_port.  The
 * address in ret_addr, the port in ret_port. */
int strparse_ipv4_port(const char *s, uint16_t default_port, struct sockaddr_storage *ret_addr,
		       uint16_t *ret_port, const char **ret_why);

/* Letters, digits and -.:[]_, not starting with '-', 1 to STRPARSE_HOST_MAX:
 * a name or a numeric address, as a plug's host. */
bool strparse_host_ok(const char *s);

/* What is wrong with a web origin ("http(s)://HOST[:PORT]", compared byte
 * for byte with a browser's Origin header); NULL when nothing is. */
const char *strparse_origin_problem(const char *s);

#endif
