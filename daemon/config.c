/* SPDX-License-Identifier: MIT */
/*
 * The configuration file.  inih splits "key = value" lines, but it neither
 * tells its handler the line number (Debian builds it without
 * INI_HANDLER_LINENO) nor where a section starts, it cuts section names at
 * 50 bytes and it reads indented lines as continuations of the previous
 * value.  So inih reads through read_line() below, which counts lines,
 * handles blank lines, comments and section headers itself and hands inih
 * only "key = value" lines, left-trimmed; everything else becomes an empty
 * line so that inih's own line count stays ours.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "util.h"

/* A configuration is a page of text; anything larger is a mistake. */
#define CONFIG_FILE_MAX (1024 * 1024)
/* Past this many, further messages only hide the first ones. */
#define CONFIG_ERRORS_MAX 50
#define HOST_NAME_MAX_LEN 253

#define USEC_PER_MIN  (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MIN)
#define USEC_PER_DAY  (24 * USEC_PER_HOUR)

enum section {
	SECTION_NONE, /* before the first header */
	SECTION_KASAD,
	SECTION_DEVICE,
	SECTION_BAD, /* already reported: its keys are not looked at */
};

enum value_type {
	VALUE_DURATION,
	VALUE_UINT,
	VALUE_SIZE, /* bytes, with an optional k, M or G suffix (KiB, MiB, GiB) */
	VALUE_LISTEN,
	VALUE_HOST,
	VALUE_BOOL,    /* yes or no */
	VALUE_PATH,    /* a file name */
	VALUE_HOSTS,   /* host names, separated by spaces */
	VALUE_ORIGINS, /* http(s)://HOST[:PORT] ..., separated by spaces */
};

struct key {
	const char *name;
	enum value_type type;
	uint64_t min, max; /* inclusive; microseconds for durations */
	bool off;	   /* a duration that may be "off", meaning 0 */
};

enum kasad_key {
	KASAD_LISTEN,
	KASAD_POLL_INTERVAL,
	KASAD_REQUEST_TIMEOUT,
	KASAD_CACHE_MAX_AGE,
	KASAD_OFFLINE_AFTER,
	KASAD_BACKOFF_MAX,
	KASAD_SHUTDOWN_TIMEOUT,
	KASAD_MAX_CONNECTIONS,
	KASAD_MAX_CONNECTIONS_PER_IP,
	KASAD_CONNECTION_TIMEOUT,
	KASAD_QUEUE_MAX,
	KASAD_BODY_MAX,
	KASAD_ANSWER_MEMORY_MAX,
	KASAD_TOKENS,
	KASAD_ALLOW_UNAUTHENTICATED,
	KASAD_ALLOWED_HOSTS,
	KASAD_CORS_ORIGINS,
	KASAD_CLIENT_RATE,
	KASAD_CLIENT_BURST,
	KASAD_SWITCH_RATE,
	KASAD_SWITCH_BURST,
	KASAD_REQUEST_DEADLINE,
	KASAD_URL_MAX,
	KASAD_HEADER_MAX,
	KASAD_EMPTY_INVENTORY,
	KASAD_KEYS,
};

static const struct key kasad_keys[KASAD_KEYS] = {
	[KASAD_LISTEN] = {"listen", VALUE_LISTEN, 0, 0, false},
	[KASAD_POLL_INTERVAL] = {"poll_interval", VALUE_DURATION, 0, USEC_PER_DAY, true},
	[KASAD_REQUEST_TIMEOUT] = {"request_timeout", VALUE_DURATION, USEC_PER_MSEC,
				   5 * USEC_PER_MIN, false},
	[KASAD_CACHE_MAX_AGE] = {"cache_max_age", VALUE_DURATION, 0, USEC_PER_DAY, false},
	[KASAD_OFFLINE_AFTER] = {"offline_after", VALUE_UINT, 1, 100, false},
	[KASAD_BACKOFF_MAX] = {"backoff_max", VALUE_DURATION, USEC_PER_MSEC, USEC_PER_DAY, false},
	[KASAD_SHUTDOWN_TIMEOUT] = {"shutdown_timeout", VALUE_DURATION, 0, 5 * USEC_PER_MIN, false},
	[KASAD_MAX_CONNECTIONS] = {"max_connections", VALUE_UINT, 1, 65535, false},
	[KASAD_MAX_CONNECTIONS_PER_IP] = {"max_connections_per_ip", VALUE_UINT, 1, 65535, false},
	[KASAD_CONNECTION_TIMEOUT] = {"connection_timeout", VALUE_DURATION, USEC_PER_SEC,
				      USEC_PER_DAY, false},
	[KASAD_QUEUE_MAX] = {"queue_max", VALUE_UINT, 1, 10000, false},
	[KASAD_BODY_MAX] = {"body_max", VALUE_SIZE, 64, 1024 * 1024, false},
	[KASAD_ANSWER_MEMORY_MAX] = {"answer_memory_max", VALUE_SIZE, 64 * 1024,
				     4ULL * 1024 * 1024 * 1024, false},
	[KASAD_TOKENS] = {"tokens", VALUE_PATH, 0, 0, false},
	[KASAD_ALLOW_UNAUTHENTICATED] = {"allow_unauthenticated", VALUE_BOOL, 0, 0, false},
	[KASAD_ALLOWED_HOSTS] = {"allowed_hosts", VALUE_HOSTS, 0, 0, false},
	[KASAD_CORS_ORIGINS] = {"cors_origins", VALUE_ORIGINS, 0, 0, false},
	[KASAD_CLIENT_RATE] = {"client_rate", VALUE_UINT, 0, 100000, false},
	[KASAD_CLIENT_BURST] = {"client_burst", VALUE_UINT, 1, 1000000, false},
	[KASAD_SWITCH_RATE] = {"switch_rate", VALUE_UINT, 0, 6000, false},
	[KASAD_SWITCH_BURST] = {"switch_burst", VALUE_UINT, 1, 1000, false},
	[KASAD_REQUEST_DEADLINE] = {"request_deadline", VALUE_DURATION, USEC_PER_SEC,
				    5 * USEC_PER_MIN, false},
	[KASAD_URL_MAX] = {"url_max", VALUE_SIZE, 256, 8192, false},
	[KASAD_HEADER_MAX] = {"header_max", VALUE_SIZE, 1024, 32768, false},
	[KASAD_EMPTY_INVENTORY] = {"empty_inventory", VALUE_BOOL, 0, 0, false},
};

enum device_key {
	DEVICE_HOST,
	DEVICE_PORT,
	DEVICE_OUTLET,
	DEVICE_POLL_INTERVAL,
	DEVICE_KEYS,
};

/* A device's poll_interval cannot be "off": 0 stands for "as [kasad]". */
static const struct key device_keys[DEVICE_KEYS] = {
	[DEVICE_HOST] = {"host", VALUE_HOST, 0, 0, false},
	[DEVICE_PORT] = {"port", VALUE_UINT, 1, 65535, false},
	[DEVICE_OUTLET] = {"outlet", VALUE_UINT, 0, KASA_OUTLETS_MAX - 1, false},
	[DEVICE_POLL_INTERVAL] = {"poll_interval", VALUE_DURATION, USEC_PER_MSEC, USEC_PER_DAY,
				  false},
};

struct error {
	unsigned line; /* 0: about the whole text */
	unsigned seq;  /* keeps messages of one line in the order found */
	char *text;
};

struct parser {
	const char *name;
	const char *text;
	size_t len, pos;
	unsigned line;

	struct config *c;
	size_t devices_alloc;
	enum section section;
	size_t device; /* index of the current device section */
	unsigned kasad_line;
	/* Where each key was set, 0 when not: duplicates and cross-checks. */
	unsigned kasad_key_line[KASAD_KEYS];
	unsigned device_key_line[DEVICE_KEYS];

	struct error *errors;
	size_t n_errors;
	bool stop; /* too many errors, or out of memory: read no further */
	bool oom;
};

static void config_freep(struct config **c)
{
	config_free(*c);
}

#define _cleanup_config_ __attribute__((cleanup(config_freep)))

static __attribute__((format(printf, 3, 4))) void report(struct parser *p, unsigned line,
							 const char *fmt, ...)
{
	struct error *e;
	va_list ap;
	char *text;
	int r;

	if (p->stop)
		return;
	if (p->n_errors == CONFIG_ERRORS_MAX) {
		p->stop = true;
		return;
	}
	if (!p->errors) {
		p->errors = calloc(CONFIG_ERRORS_MAX, sizeof(*p->errors));
		if (!p->errors) {
			p->oom = p->stop = true;
			return;
		}
	}
	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->oom = p->stop = true;
		return;
	}
	e = &p->errors[p->n_errors];
	e->line = line;
	e->seq = (unsigned)p->n_errors++;
	e->text = text;
}

static bool reported_at(const struct parser *p, unsigned line)
{
	for (size_t i = 0; i < p->n_errors; i++)
		if (p->errors[i].line == line)
			return true;
	return false;
}

static int cmp_error(const void *a, const void *b)
{
	const struct error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The messages sorted by line, one a line; NULL when out of memory. */
static char *join_errors(struct parser *p)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	qsort(p->errors, p->n_errors, sizeof(*p->errors), cmp_error);
	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	for (size_t i = 0; i < p->n_errors; i++) {
		if (p->errors[i].line)
			fprintf(f, "%s:%u: %s\n", p->name, p->errors[i].line, p->errors[i].text);
		else
			fprintf(f, "%s: %s\n", p->name, p->errors[i].text);
	}
	if (p->stop && !p->oom)
		fprintf(f, "%s: too many errors, stopped at line %u\n", p->name, p->line);
	if (ferror(f) | fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void free_errors(struct parser *p)
{
	for (size_t i = 0; i < p->n_errors; i++)
		free(p->errors[i].text);
	free(p->errors);
}

/* --- values --------------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* A decimal number without sign or spaces.  With ret_end the number may be
 * followed by anything, else it must be all of s. */
static int parse_uint(const char *s, const char **ret_end, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!is_digit(*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!ret_end && *end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (errno)
		return -EINVAL;
	if (ret_end)
		*ret_end = end;
	*ret = v;
	return 0;
}

int config_parse_duration(const char *s, uint64_t *ret_usec)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{"", USEC_PER_SEC},  {"ms", USEC_PER_MSEC}, {"s", USEC_PER_SEC},
		{"m", USEC_PER_MIN}, {"h", USEC_PER_HOUR},
	};
	uint64_t whole = 0, frac = 0, frac_div = 1, unit = 0, usec;
	bool huge = false;
	const char *p = s;

	if (!is_digit(*p))
		return -EINVAL;
	for (; is_digit(*p); p++) {
		/* No need to count further once it is over a day in any unit. */
		if (whole > USEC_PER_DAY)
			huge = true;
		else
			whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return -EINVAL;
		/* Nine digits are finer than a microsecond of an hour. */
		for (; is_digit(*p); p++) {
			if (frac_div < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (streq(p, units[i].suffix))
			unit = units[i].usec;
	if (!unit)
		return -EINVAL;
	if (huge || whole > USEC_PER_DAY / unit)
		return -ERANGE;
	usec = whole * unit + frac * unit / frac_div;
	if (usec > USEC_PER_DAY)
		return -ERANGE;
	/* "0.0000001" is not nothing, yet less than we can express. */
	if (usec == 0 && (whole || frac))
		return -ERANGE;
	*ret_usec = usec;
	return 0;
}

/* For messages: bounds are round numbers. */
static void format_duration(uint64_t usec, char *buf, size_t size)
{
	unsigned long long v = usec;

	if (v && v % USEC_PER_HOUR == 0)
		snprintf(buf, size, "%lluh", v / USEC_PER_HOUR);
	else if (v && v % USEC_PER_MIN == 0)
		snprintf(buf, size, "%llum", v / USEC_PER_MIN);
	else if (v % USEC_PER_SEC == 0)
		snprintf(buf, size, "%llus", v / USEC_PER_SEC);
	else
		snprintf(buf, size, "%llums", v / USEC_PER_MSEC);
}

/* Bytes, or KiB with a k suffix. */
static int parse_size(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r;

	r = parse_uint(s, &end, &v);
	if (r < 0)
		return r;
	if (*end) {
		const char *units = "kKmMgG", *u = strchr(units, *end);
		uint64_t scale;

		if (!u || end[1])
			return -EINVAL;
		scale = 1ULL << (10 * ((u - units) / 2 + 1));
		if (v > UINT64_MAX / scale)
			return -ERANGE;
		v *= scale;
	}
	*ret = v;
	return 0;
}

/* On failure *ret_why says what is wrong. */
static int parse_listen(const char *s, struct sockaddr_storage *ret_addr, socklen_t *ret_len,
			const char **ret_why)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char addr[INET6_ADDRSTRLEN];
	const char *port_s, *colon;
	socklen_t len;
	uint64_t port;
	size_t n;

	if (is_digit(*s) && !strpbrk(s, ".:")) {
		port_s = s;
		strcpy(addr, "127.0.0.1");
	} else if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			*ret_why = "expected [ADDR6]:PORT";
			return -EINVAL;
		}
		n = (size_t)(close - s - 1);
		if (n == 0 || n >= sizeof(addr)) {
			*ret_why = "not a numeric IPv6 address";
			return -EINVAL;
		}
		memcpy(addr, s + 1, n);
		addr[n] = '\0';
		port_s = close + 2;
	} else {
		colon = strchr(s, ':');
		if (!colon) {
			*ret_why = "expected ADDR:PORT, [ADDR6]:PORT or PORT";
			return -EINVAL;
		}
		if (strchr(colon + 1, ':')) {
			*ret_why = "an IPv6 address needs brackets, as in [::1]:8080";
			return -EINVAL;
		}
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(addr)) {
			*ret_why = "expected ADDR:PORT, [ADDR6]:PORT or PORT";
			return -EINVAL;
		}
		memcpy(addr, s, n);
		addr[n] = '\0';
		port_s = colon + 1;
	}

	if (parse_uint(port_s, NULL, &port) < 0 || port > 65535) {
		*ret_why = "the port must be a number from 0 to 65535";
		return -EINVAL;
	}

	if (*s == '[') {
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1) {
			*ret_why = "not a numeric IPv6 address";
			return -EINVAL;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		/* The one name worth knowing; others would need a resolver. */
		if (streq(addr, "localhost"))
			strcpy(addr, "127.0.0.1");
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
			*ret_why = "not a numeric IPv4 address (names are not looked up)";
			return -EINVAL;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	}
	*ret_addr = ss;
	*ret_len = len;
	return 0;
}

static bool valid_host(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HOST_NAME_MAX_LEN || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
		      strchr("-.:[]_", c)))
			return false;
	}
	return true;
}

static bool valid_device_name(const char *s, size_t n)
{
	if (n == 0 || n >= CONFIG_NAME_MAX)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* A number or a duration for key k, range-checked; reports and returns
 * -EINVAL when it is not good. */
static int parse_number(struct parser *p, const struct key *k, const char *value, uint64_t *ret)
{
	char lo[32], hi[32];
	uint64_t v = 0;
	int r = -EINVAL;

	switch (k->type) {
	case VALUE_DURATION:
		if (k->off && streq(value, "off")) {
			*ret = 0;
			return 0;
		}
		r = config_parse_duration(value, &v);
		format_duration(k->min, lo, sizeof(lo));
		format_duration(k->max, hi, sizeof(hi));
		if (r == -EINVAL) {
			report(p, p->line,
			       "%s: \"%s\" is not a duration (such as 250ms, 10s, 2m or 1h%s)",
			       k->name, value, k->off ? ", or off" : "");
			return -EINVAL;
		}
		break;
	case VALUE_UINT:
	case VALUE_SIZE:
		r = k->type == VALUE_SIZE ? parse_size(value, &v) : parse_uint(value, NULL, &v);
		snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
		snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
		if (r == -EINVAL) {
			report(p, p->line, "%s: \"%s\" is not a number%s", k->name, value,
			       k->type == VALUE_SIZE ? " of bytes (such as 4096, 4k or 64M)" : "");
			return -EINVAL;
		}
		break;
	case VALUE_LISTEN:
	case VALUE_HOST:
	case VALUE_BOOL:
	case VALUE_PATH:
	case VALUE_HOSTS:
	case VALUE_ORIGINS:
		assert(!"not a number");
		return -EINVAL;
	}
	if (r < 0 || v < k->min || v > k->max) {
		report(p, p->line, "%s: %s is out of range (%s to %s)", k->name, value, lo, hi);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* --- sections and keys ---------------------------------------------------- */

static int lookup_key(const struct key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(keys[i].name, name))
			return (int)i;
	return -1;
}

static void set_bool(struct parser *p, const struct key *k, const char *value, bool *ret)
{
	if (streq(value, "yes") || streq(value, "true") || streq(value, "on") || streq(value, "1"))
		*ret = true;
	else if (streq(value, "no") || streq(value, "false") || streq(value, "off") ||
		 streq(value, "0"))
		*ret = false;
	else
		report(p, p->line, "%s: \"%s\" is not yes or no", k->name, value);
}

static void set_path(struct parser *p, const struct key *k, const char *value, char **ret)
{
	for (const char *s = value; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f) {
			report(p, p->line, "%s: a control character in the file name", k->name);
			return;
		}
	if (strlen(value) > CONFIG_PATH_MAX) {
		report(p, p->line, "%s: longer than %d characters", k->name, CONFIG_PATH_MAX);
		return;
	}
	free(*ret);
	*ret = strdup(value);
	if (!*ret)
		p->oom = p->stop = true;
}

/* "http://HOST" or "https://HOST", with ":PORT", nothing after: a browser's
 * Origin header, which is compared byte for byte. */
static const char *origin_problem(const char *s)
{
	const char *host, *port;

	if (streq(s, "*"))
		return "'*' is not allowed: list exact origins";
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return "must start with http:// or https://";
	port = host[0] == '[' ? strchr(host, ']') : host;
	if (!port)
		return "an IPv6 address needs its closing ']'";
	port = strchr(port, ':');
	if (strchr(host, '/'))
		return "an origin has no path, not even a trailing '/'";
	if (host[0] == '\0' || host[0] == ':')
		return "no host";
	for (const char *c = host; *c && c != port; c++)
		if (!((*c >= 'a' && *c <= 'z') || is_digit(*c) || strchr("-.[]:", *c)))
			return "the host must be lower-case letters, digits, '-', '.' or an "
			       "address";
	if (port) {
		uint64_t v;

		if (parse_uint(port + 1, NULL, &v) < 0 || v == 0 || v > 65535)
			return "the port must be 1 to 65535";
	}
	return NULL;
}

/* Names separated by spaces, at most CONFIG_LIST_MAX; host names are kept in
 * lower case, origins as written. */
static void set_list(struct parser *p, const struct key *k, const char *value, char ***ret_list,
		     size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(value);
	char **list, *save = NULL;
	size_t n = 0;
	bool bad = false;

	list = calloc(CONFIG_LIST_MAX, sizeof(*list));
	if (!copy || !list) {
		free(list);
		p->oom = p->stop = true;
		return;
	}
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		const char *why = NULL;

		if (n == CONFIG_LIST_MAX) {
			report(p, p->line, "%s: more than %d entries", k->name, CONFIG_LIST_MAX);
			bad = true;
			break;
		}
		if (k->type == VALUE_ORIGINS) {
			why = origin_problem(w);
		} else {
			for (char *c = w; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			if (!valid_host(w) ||
			    w[strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-.")])
				why = "not a host name (letters, digits, '-' and '.')";
		}
		if (why) {
			report(p, p->line, "%s: \"%s\": %s", k->name, w, why);
			bad = true;
			continue;
		}
		list[n] = strdup(w);
		if (!list[n]) {
			p->oom = p->stop = true;
			bad = true;
			break;
		}
		n++;
	}
	if (bad) {
		for (size_t i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return;
	}
	*ret_list = list;
	*ret_n = n;
}

static void set_kasad(struct parser *p, const char *name, const char *value)
{
	struct config *c = p->c;
	int i = lookup_key(kasad_keys, KASAD_KEYS, name);
	const struct key *k;
	uint64_t v = 0;

	if (i < 0) {
		report(p, p->line, "%s: unknown key in [kasad]", name);
		return;
	}
	k = &kasad_keys[i];
	if (p->kasad_key_line[i]) {
		report(p, p->line, "%s: given twice in [kasad] (first at line %u)", name,
		       p->kasad_key_line[i]);
		return;
	}
	p->kasad_key_line[i] = p->line;
	if (!*value) {
		report(p, p->line, "%s: empty value", name);
		return;
	}

	if (k->type == VALUE_LISTEN) {
		struct sockaddr_storage ss;
		const char *why = NULL;
		socklen_t len;
		char *copy;

		if (parse_listen(value, &ss, &len, &why) < 0) {
			report(p, p->line, "listen: \"%s\": %s", value, why);
			return;
		}
		copy = strdup(value);
		if (!copy) {
			p->oom = p->stop = true;
			return;
		}
		free(c->listen);
		c->listen = copy;
		c->listen_addr = ss;
		c->listen_addrlen = len;
		return;
	}

	switch (k->type) {
	case VALUE_BOOL:
		set_bool(p, k, value,
			 i == KASAD_EMPTY_INVENTORY ? &c->empty_inventory
						    : &c->allow_unauthenticated);
		return;
	case VALUE_PATH:
		set_path(p, k, value, &c->tokens);
		return;
	case VALUE_HOSTS:
		set_list(p, k, value, &c->allowed_hosts, &c->n_allowed_hosts);
		return;
	case VALUE_ORIGINS:
		set_list(p, k, value, &c->cors_origins, &c->n_cors_origins);
		return;
	default:
		break;
	}
	if (parse_number(p, k, value, &v) < 0)
		return;
	switch ((enum kasad_key)i) {
	case KASAD_POLL_INTERVAL:
		c->poll_interval_usec = v;
		break;
	case KASAD_REQUEST_TIMEOUT:
		c->request_timeout_usec = v;
		break;
	case KASAD_CACHE_MAX_AGE:
		c->cache_max_age_usec = v;
		break;
	case KASAD_OFFLINE_AFTER:
		c->offline_after = (unsigned)v;
		break;
	case KASAD_BACKOFF_MAX:
		c->backoff_max_usec = v;
		break;
	case KASAD_SHUTDOWN_TIMEOUT:
		c->shutdown_timeout_usec = v;
		break;
	case KASAD_MAX_CONNECTIONS:
		c->max_connections = (unsigned)v;
		break;
	case KASAD_MAX_CONNECTIONS_PER_IP:
		c->max_connections_per_ip = (unsigned)v;
		break;
	case KASAD_CONNECTION_TIMEOUT:
		c->connection_timeout_usec = v;
		break;
	case KASAD_QUEUE_MAX:
		c->queue_max = (unsigned)v;
		break;
	case KASAD_BODY_MAX:
		c->body_max = (size_t)v;
		break;
	case KASAD_ANSWER_MEMORY_MAX:
		c->answer_memory_max = (size_t)v;
		break;
	case KASAD_CLIENT_RATE:
		c->client_rate = (unsigned)v;
		break;
	case KASAD_CLIENT_BURST:
		c->client_burst = (unsigned)v;
		break;
	case KASAD_SWITCH_RATE:
		c->switch_rate = (unsigned)v;
		break;
	case KASAD_SWITCH_BURST:
		c->switch_burst = (unsigned)v;
		break;
	case KASAD_REQUEST_DEADLINE:
		c->request_deadline_usec = v;
		break;
	case KASAD_URL_MAX:
		c->url_max = (size_t)v;
		break;
	case KASAD_HEADER_MAX:
		c->header_max = (size_t)v;
		break;
	case KASAD_LISTEN:
	case KASAD_TOKENS:
	case KASAD_ALLOW_UNAUTHENTICATED:
	case KASAD_ALLOWED_HOSTS:
	case KASAD_CORS_ORIGINS:
	case KASAD_EMPTY_INVENTORY:
	case KASAD_KEYS:
		break;
	}
}

static void set_device(struct parser *p, const char *name, const char *value)
{
	struct config_device *d = &p->c->devices[p->device];
	int i = lookup_key(device_keys, DEVICE_KEYS, name);
	const struct key *k;
	uint64_t v = 0;

	if (i < 0) {
		report(p, p->line, "%s: unknown key in [device \"%s\"]", name, d->name);
		return;
	}
	k = &device_keys[i];
	if (p->device_key_line[i]) {
		report(p, p->line, "%s: given twice in [device \"%s\"] (first at line %u)", name,
		       d->name, p->device_key_line[i]);
		return;
	}
	p->device_key_line[i] = p->line;

	/* A host is kept even when wrong (the load fails anyway), so that
	 * "no host" is not said as well. */
	if (k->type == VALUE_HOST) {
		if (!*value)
			report(p, p->line, "host: empty value");
		else if (!valid_host(value))
			report(p, p->line,
			       "host: \"%s\" is not a host name or address (letters, digits and "
			       "-.:[]_, at most %d)",
			       value, HOST_NAME_MAX_LEN);
		d->host = strdup(value);
		if (!d->host)
			p->oom = p->stop = true;
		return;
	}

	if (!*value) {
		report(p, p->line, "%s: empty value", name);
		return;
	}
	if (parse_number(p, k, value, &v) < 0)
		return;
	switch ((enum device_key)i) {
	case DEVICE_PORT:
		d->port = (uint16_t)v;
		break;
	case DEVICE_OUTLET:
		d->outlet = (int)v;
		break;
	case DEVICE_POLL_INTERVAL:
		d->poll_interval_usec = v;
		break;
	case DEVICE_HOST:
	case DEVICE_KEYS:
		break;
	}
}

static int handler(void *userdata, const char *section, const char *name, const char *value)
{
	struct parser *p = userdata;

	/* inih's section is not used: read_line() keeps track of sections. */
	(void)section;
	if (p->section == SECTION_BAD)
		return 1;
	if (!*name) {
		report(p, p->line, "syntax error: a key name is missing before the '='");
		return 1;
	}
	switch (p->section) {
	case SECTION_NONE:
		report(p, p->line, "%s: outside of a section ([kasad] or [device \"NAME\"])", name);
		break;
	case SECTION_KASAD:
		set_kasad(p, name, value);
		break;
	case SECTION_DEVICE:
		set_device(p, name, value);
		break;
	case SECTION_BAD:
		break;
	}
	/* Our errors are in p; a 0 here would only make inih count them too. */
	return 1;
}

static void start_device(struct parser *p, const char *header, size_t header_len, const char *name,
			 size_t n)
{
	struct config *c = p->c;
	struct config_device *d;

	p->section = SECTION_BAD;
	if (!valid_device_name(name, n)) {
		report(p, p->line,
		       "[%.*s]: invalid device name "
		       "(letters, digits, '-', '_' and '.', at most %d)",
		       (int)header_len, header, CONFIG_NAME_MAX - 1);
		return;
	}
	for (size_t i = 0; i < c->n_devices; i++) {
		if (strlen(c->devices[i].name) == n && !memcmp(c->devices[i].name, name, n)) {
			report(p, p->line, "[%.*s]: already defined at line %u", (int)header_len,
			       header, c->devices[i].line);
			return;
		}
	}
	if (c->n_devices == CONFIG_DEVICES_MAX) {
		report(p, p->line, "[%.*s]: too many devices (at most %d)", (int)header_len, header,
		       CONFIG_DEVICES_MAX);
		return;
	}
	if (c->n_devices == p->devices_alloc) {
		size_t alloc = p->devices_alloc ? 2 * p->devices_alloc : 8;
		struct config_device *devices = reallocarray(c->devices, alloc, sizeof(*devices));

		if (!devices) {
			p->oom = p->stop = true;
			return;
		}
		c->devices = devices;
		p->devices_alloc = alloc;
	}
	d = &c->devices[c->n_devices];
	*d = (struct config_device){
		.name = strndup(name, n),
		.port = 9999,
		.outlet = -1,
		.line = p->line,
	};
	if (!d->name) {
		p->oom = p->stop = true;
		return;
	}
	p->device = c->n_devices++;
	p->section = SECTION_DEVICE;
	memset(p->device_key_line, 0, sizeof(p->device_key_line));
}

/* s[0] is '['. */
static void start_section(struct parser *p, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n);
	const char *in, *rest;
	size_t in_len, rest_len;

	p->section = SECTION_BAD;
	if (!close) {
		report(p, p->line, "syntax error: a section header needs a closing ']'");
		return;
	}
	rest = close + 1;
	rest_len = n - (size_t)(rest - s);
	while (rest_len && is_space(*rest)) {
		rest++;
		rest_len--;
	}
	if (rest_len && *rest != ';' && *rest != '#') {
		report(p, p->line, "syntax error: text after the section header");
		return;
	}

	in = s + 1;
	in_len = (size_t)(close - in);
	while (in_len && is_space(*in)) {
		in++;
		in_len--;
	}
	while (in_len && is_space(in[in_len - 1]))
		in_len--;

	if (in_len == 5 && !memcmp(in, "kasad", 5)) {
		if (p->kasad_line) {
			report(p, p->line, "[kasad]: given twice (first at line %u)",
			       p->kasad_line);
			return;
		}
		p->kasad_line = p->line;
		p->section = SECTION_KASAD;
		return;
	}
	if (in_len > 6 && !memcmp(in, "device", 6) && is_space(in[6])) {
		const char *q = in + 6;
		size_t q_len = in_len - 6;

		while (q_len && is_space(*q)) {
			q++;
			q_len--;
		}
		if (q_len < 2 || q[0] != '"' || q[q_len - 1] != '"') {
			report(p, p->line,
			       "[%.*s]: the device name needs double quotes, as in "
			       "[device \"NAME\"]",
			       (int)in_len, in);
			return;
		}
		start_device(p, in, in_len, q + 1, q_len - 2);
		return;
	}
	report(p, p->line, "[%.*s]: unknown section (expected [kasad] or [device \"NAME\"])",
	       (int)in_len, in);
}

/*
 * inih's fgets(): one line of p->text into str (of num bytes) per call.
 * Lines that are not "key = value" are handled here and handed on empty.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *s, *nl;
	size_t n, eq;

	if (p->stop || p->pos >= p->len)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->line++;
	str[0] = '\0';

	if (p->line == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		n -= 3;
	}
	if (memchr(s, '\0', n)) {
		report(p, p->line, "a NUL byte in the line");
		return str;
	}
	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	if (n == 0 || *s == ';' || *s == '#')
		return str;
	if (*s == '[') {
		start_section(p, s, n);
		return str;
	}

	/* As inih splits it: at the first '=' or ':' before a " ;" comment. */
	for (eq = 0; eq < n; eq++)
		if (s[eq] == '=' || s[eq] == ':' || (s[eq] == ';' && eq > 0 && is_space(s[eq - 1])))
			break;
	if (eq == n || s[eq] == ';') {
		report(p, p->line,
		       "syntax error: expected \"key = value\", a [section] or a comment");
		return str;
	}
	if (num < 3 || n > (size_t)num - 2) {
		report(p, p->line, "line too long (more than %d characters)", num - 2);
		return str;
	}
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static void check_all(struct parser *p)
{
	struct config *c = p->c;

	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *d = &c->devices[i];

		if (!d->host) {
			report(p, d->line, "[device \"%s\"]: no host", d->name);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const struct config_device *o = &c->devices[j];

			if (o->host && o->port == d->port && o->outlet == d->outlet &&
			    !strcasecmp(o->host, d->host)) {
				report(p, d->line,
				       "[device \"%s\"]: the same host, port and outlet as "
				       "[device \"%s\"] at line %u",
				       d->name, o->name, o->line);
				break;
			}
		}
	}

	/* "No devices, on purpose" beside devices: one of them is a mistake. */
	if (c->empty_inventory && c->n_devices)
		report(p, p->kasad_key_line[KASAD_EMPTY_INVENTORY],
		       "empty_inventory: yes, yet there %s %zu [device] section%s (the first at "
		       "line %u)",
		       c->n_devices == 1 ? "is" : "are", c->n_devices, c->n_devices == 1 ? "" : "s",
		       c->devices[0].line);

	if (c->max_connections_per_ip > c->max_connections) {
		unsigned line = p->kasad_key_line[KASAD_MAX_CONNECTIONS_PER_IP];

		if (!line)
			line = p->kasad_key_line[KASAD_MAX_CONNECTIONS];
		report(p, line, "max_connections_per_ip: %u is more than max_connections (%u)",
		       c->max_connections_per_ip, c->max_connections);
	}

	if (!c->tokens && !c->allow_unauthenticated &&
	    !config_loopback((const struct sockaddr *)&c->listen_addr)) {
		unsigned line = p->kasad_key_line[KASAD_LISTEN];

		report(p, line,
		       "listen: %s is not a loopback address, and there is no tokens file: set "
		       "tokens = FILE, or allow_unauthenticated = yes to let anyone who reaches it "
		       "switch the plugs",
		       c->listen);
	}
	if (!p->kasad_key_line[KASAD_CACHE_MAX_AGE])
		c->cache_max_age_usec =
			c->poll_interval_usec ? 2 * c->poll_interval_usec : 20 * USEC_PER_SEC;
}

static int config_new(const char *path, struct config **ret)
{
	_cleanup_config_ struct config *c = calloc(1, sizeof(*c));
	struct sockaddr_in *sin;

	if (!c)
		return -ENOMEM;
	c->path = strdup(path);
	c->listen = strdup("127.0.0.1:8080");
	if (!c->path || !c->listen)
		return -ENOMEM;
	sin = (struct sockaddr_in *)&c->listen_addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(8080);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->listen_addrlen = sizeof(*sin);
	c->poll_interval_usec = 10 * USEC_PER_SEC;
	c->request_timeout_usec = 5 * USEC_PER_SEC;
	c->offline_after = 3;
	c->backoff_max_usec = 5 * USEC_PER_MIN;
	c->shutdown_timeout_usec = 3 * USEC_PER_SEC;
	c->max_connections = 256;
	c->max_connections_per_ip = 32;
	c->connection_timeout_usec = 30 * USEC_PER_SEC;
	c->queue_max = 64;
	c->body_max = 4096;
	c->answer_memory_max = 64 * 1024 * 1024;
	c->client_rate = 50;
	c->client_burst = 100;
	c->switch_rate = 60;
	c->switch_burst = 10;
	c->request_deadline_usec = 10 * USEC_PER_SEC;
	c->url_max = 2048;
	c->header_max = 8192;
	*ret = steal_ptr(c);
	return 0;
}

static void set_errors(char **ret_errors, char *errors)
{
	if (ret_errors)
		*ret_errors = errors;
	else
		free(errors);
}

/* A message about the whole file, for failures before parsing. */
static int fail(const char *name, int err, const char *what, char **ret_errors)
{
	char *text = NULL;

	if (asprintf(&text, "%s: %s\n", name, what ? what : strerror(-err)) < 0)
		text = NULL;
	set_errors(ret_errors, text);
	return err;
}

/* text is len bytes, not necessarily NUL-terminated; path is for c->path. */
static int parse(const char *name, const char *text, size_t len, const char *path,
		 struct config **ret_config, char **ret_errors)
{
	_cleanup_config_ struct config *c = NULL;
	struct parser p = {.name = name, .text = text, .len = len};
	int r;

	r = config_new(path, &c);
	if (r < 0)
		return fail(name, r, NULL, ret_errors);
	p.c = c;

	r = ini_parse_stream(read_line, &p, handler, &p);
	if (r == -2)
		p.oom = true;
	else if (r > 0 && !reported_at(&p, (unsigned)r))
		report(&p, (unsigned)r, "syntax error");
	if (!p.oom)
		check_all(&p);

	if (p.oom) {
		free_errors(&p);
		return fail(name, -ENOMEM, NULL, ret_errors);
	}
	if (p.n_errors) {
		char *errors = join_errors(&p);

		free_errors(&p);
		if (!errors)
			return fail(name, -ENOMEM, NULL, ret_errors);
		set_errors(ret_errors, errors);
		return -EINVAL;
	}
	*ret_config = steal_ptr(c);
	return 0;
}

int config_load_string(const char *text, const char *name, struct config **ret_config,
		       char **ret_errors)
{
	size_t len = strnlen(text, CONFIG_FILE_MAX + 1);

	if (!name)
		name = "<string>";
	if (len > CONFIG_FILE_MAX)
		return fail(name, -EFBIG, "too large (more than 1 MiB)", ret_errors);
	return parse(name, text, len, name, ret_config, ret_errors);
}

static const char *not_regular(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "not a regular file (a FIFO)";
	if (S_ISSOCK(mode))
		return "not a regular file (a socket)";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "not a regular file (a device)";
	return "not a regular file";
}

int config_load_file(const char *path, struct config **ret_config, char **ret_errors)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, alloc = 0;
	struct stat st;

	/*
	 * Without O_NONBLOCK, opening a FIFO waits for a writer: kasad would
	 * hang at start, and a SIGHUP would stop the whole loop.  Only a
	 * regular file is a configuration; O_NONBLOCK means nothing to one.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(path, -errno, NULL, ret_errors);
	if (fstat(fd, &st) < 0)
		return fail(path, -errno, NULL, ret_errors);
	if (S_ISDIR(st.st_mode))
		return fail(path, -EISDIR, NULL, ret_errors);
	if (!S_ISREG(st.st_mode))
		return fail(path, -EINVAL, not_regular(st.st_mode), ret_errors);
	if (st.st_size > CONFIG_FILE_MAX)
		return fail(path, -EFBIG, "too large (more than 1 MiB)", ret_errors);

	/* Read to the end even so: it may be growing. */
	for (;;) {
		ssize_t n;

		if (len == alloc) {
			size_t want = alloc ? 2 * alloc : 4096;
			char *b;

			if (alloc > CONFIG_FILE_MAX)
				return fail(path, -EFBIG, "too large (more than 1 MiB)",
					    ret_errors);
			b = realloc(buf, want);
			if (!b)
				return fail(path, -ENOMEM, NULL, ret_errors);
			buf = b;
			alloc = want;
		}
		n = read(fd, buf + len, alloc - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(path, -errno, NULL, ret_errors);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_FILE_MAX)
		return fail(path, -EFBIG, "too large (more than 1 MiB)", ret_errors);
	return parse(path, buf, len, path, ret_config, ret_errors);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_devices; i++) {
		free(c->devices[i].name);
		free(c->devices[i].host);
	}
	free(c->devices);
	for (size_t i = 0; i < c->n_allowed_hosts; i++)
		free(c->allowed_hosts[i]);
	free(c->allowed_hosts);
	for (size_t i = 0; i < c->n_cors_origins; i++)
		free(c->cors_origins[i]);
	free(c->cors_origins);
	free(c->tokens);
	free(c->listen);
	free(c->path);
	free(c);
}

bool config_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return sa->sa_family == AF_UNIX;
}

size_t config_plug_count(const struct config *c)
{
	size_t n = 0;

	/* As registry_apply() shares them: the same host, as written, and port. */
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *d = &c->devices[i];
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = c->devices[j].port == d->port && streq(c->devices[j].host, d->host);
		n += !seen;
	}
	return n;
}

const struct config_device *config_find_device(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (streq(c->devices[i].name, name))
			return &c->devices[i];
	return NULL;
}
