/* SPDX-License-Identifier: MIT */
/*
 * The configuration parser against any text: it either loads a
 * configuration that keeps every promise config.h makes, or refuses with
 * messages that are lines of text naming the file and a line of the input.
 * Never a crash, a leak, or a silent refusal.
 */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../daemon/config.h"
#include "kasa.h"

#define NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned count_lines(const char *text)
{
	unsigned n = 1;

	for (const char *p = text; *p; p++)
		if (*p == '\n')
			n++;
	return n;
}

/* Every message is "NAME: text\n" or "NAME:LINE: text\n", LINE in the input. */
static void check_errors(const char *errors, unsigned lines)
{
	const char *s = errors;

	assert(*s);
	while (*s) {
		const char *nl = strchr(s, '\n');
		const char *p = s + strlen(NAME);
		char *end;

		assert(nl);
		assert(!strncmp(s, NAME ":", strlen(NAME ":")));
		p++;
		if (*p >= '0' && *p <= '9') {
			unsigned long line = strtoul(p, &end, 10);

			assert(line >= 1 && line <= lines);
			assert(end[0] == ':' && end[1] == ' ');
			p = end + 2;
		} else {
			assert(*p == ' ');
			p++;
		}
		/* Something is said. */
		assert(p < nl);
		s = nl + 1;
	}
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CONFIG_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

static void check_config(const struct config *c)
{
	assert(c->listen && *c->listen);
	assert((c->listen_addr.ss_family == AF_INET &&
		c->listen_addrlen == sizeof(struct sockaddr_in)) ||
	       (c->listen_addr.ss_family == AF_INET6 &&
		c->listen_addrlen == sizeof(struct sockaddr_in6)));
	assert(c->request_timeout_usec > 0);
	assert(c->offline_after >= 1);
	assert(c->max_connections >= 1);
	assert(c->max_connections_per_ip >= 1);
	assert(c->max_connections_per_ip <= c->max_connections);
	assert(c->connection_timeout_usec >= 1000000);
	assert(c->queue_max >= 1);
	assert(c->body_max >= 64);
	assert(c->client_burst >= 1 && c->switch_burst >= 1);
	assert(c->request_deadline_usec >= 1000000);
	assert(c->url_max >= 256 && c->header_max >= 1024);
	/* Nobody may switch the plugs from afar without a token unless told so. */
	assert(c->tokens || c->allow_unauthenticated ||
	       config_loopback((const struct sockaddr *)&c->listen_addr));
	if (c->tokens) {
		assert(*c->tokens && strlen(c->tokens) <= CONFIG_PATH_MAX);
		for (const char *p = c->tokens; *p; p++)
			assert((unsigned char)*p >= ' ' && *p != 0x7f);
	}
	assert(c->n_allowed_hosts <= CONFIG_LIST_MAX);
	for (size_t i = 0; i < c->n_allowed_hosts; i++) {
		const char *h = c->allowed_hosts[i];

		assert(*h && strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789-.") == strlen(h));
	}
	assert(c->n_cors_origins <= CONFIG_LIST_MAX);
	for (size_t i = 0; i < c->n_cors_origins; i++) {
		const char *o = c->cors_origins[i];

		assert(!strncmp(o, "http://", 7) || !strncmp(o, "https://", 8));
		assert(!strpbrk(o, " \t\r\n"));
	}
	assert(c->n_devices <= CONFIG_DEVICES_MAX);
	assert(c->n_devices == 0 || c->devices);
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *d = &c->devices[i];

		assert(valid_name(d->name));
		assert(d->host && *d->host);
		assert(d->port >= 1);
		assert(d->outlet >= -1 && d->outlet < KASA_OUTLETS_MAX);
		assert(d->line >= 1);
		assert(config_find_device(c, d->name) == d);
		for (size_t j = 0; j < i; j++)
			assert(strcmp(c->devices[j].name, d->name));
	}
}

static char *dump(const struct config *c)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int r;

	assert(f);
	r = config_dump(c, f);
	assert(r == 0);
	r = fclose(f);
	assert(r == 0 && text);
	return text;
}

/* What kasad --dump-config writes loads to a configuration that dumps the same. */
static void check_dump(const struct config *c)
{
	char *first = dump(c), *second, *errors = NULL;
	struct config *again = NULL;
	int r = config_load_string(first, NAME, &again, &errors);

	assert(r == 0);
	second = dump(again);
	assert(strcmp(first, second) == 0);
	config_free(again);
	free(first);
	free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Sentinels: on failure ret_config is not written, on success nor ret_errors. */
	struct config *c = (struct config *)&c;
	char *errors = (char *)&errors;
	char *text;
	int r;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	r = config_load_string(text, NAME, &c, &errors);
	if (r < 0) {
		assert(r == -EINVAL || r == -EFBIG);
		assert(c == (struct config *)&c);
		assert(errors && errors != (char *)&errors);
		check_errors(errors, count_lines(text));
		free(errors);
	} else {
		assert(r == 0);
		assert(errors == (char *)&errors);
		assert(c && c != (struct config *)&c);
		check_config(c);
		check_dump(c);
		config_free(c);
	}
	free(text);
	return 0;
}
