/* SPDX-License-Identifier: MIT */
/*
 * The configuration file.  inih splits "key = value" lines, but it neither
 * tells its handler the line number (Debian builds it without
 * INI_HANDLER_LINENO) nor where a section starts, it cuts section names at
 * 50 bytes and it reads indented lines as continuations of the previous
 * value.  So inih reads through read_line() below, which counts lines,
 * handles blank lines, comments and section headers itself and hands inih
 * only "key = value" lines, left-trimmed; everything else becomes an empty
 * line so that inih's own line count stays ours. *
 * What is checked once the whole file is read, and the exposure rule, are
 * in config-check.c; the devices that share a plug, in config-plugs.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "config-private.h"
#include "config.h"
#include "diag.h"
#include "schema.h"
#include "strparse.h"

/* A configuration is a page of text; anything larger is a mistake. */
#define CONFIG_FILE_MAX (1024 * 1024)
/* Past this many, further messages only hide the first ones. */
#define CONFIG_ERRORS_MAX 50

DEFINE_CLEANUP_FUNC(struct config *, config_free)

int config_parse_duration(const char *s, uint64_t *ret_usec)
{
	return strparse_duration(s, ret_usec);
}

static bool valid_device_name(const char *s, size_t n)
{
	if (n == 0 || n >= CONFIG_NAME_MAX)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strparse_is_digit(c) ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* --- sections and keys ---------------------------------------------------- */

static void set_key(struct parser *p, const char *name, const char *value)
{
	enum schema_section s = SCHEMA_KASAD;
	struct config_device *d = NULL;
	unsigned *key_line = p->kasad_key_line;
	char where[CONFIG_NAME_MAX + 16] = "[kasad]";
	void *base = p->c;
	const struct schema_key *k;
	size_t n;
	int i;

	if (p->section == SECTION_DEVICE) {
		s = SCHEMA_DEVICE;
		d = &p->c->devices[p->device];
		key_line = p->device_key_line;
		base = d;
		snprintf(where, sizeof(where), "[device \"%s\"]", d->name);
	} else if (p->section == SECTION_MQTT) {
		s = SCHEMA_MQTT;
		key_line = p->mqtt_key_line;
		base = &p->c->mqtt;
		snprintf(where, sizeof(where), "[mqtt]");
	}
	i = schema_lookup(s, name);
	if (i < 0) {
		diag_report(&p->diag, p->diag.line, "%s: unknown key in %s", name, where);
		return;
	}
	k = &schema_keys(s, &n)[i];
	if (key_line[i]) {
		diag_report(&p->diag, p->diag.line, "%s: given twice in %s (first at line %u)",
			    name, where, key_line[i]);
		return;
	}
	key_line[i] = p->diag.line;
	if (!*value && k->type != SCHEMA_HOST) {
		diag_report(&p->diag, p->diag.line, "%s: empty value", name);
		return;
	}
	schema_set(k, value, base, &p->diag);
}

static int handler(void *userdata, const char *section, const char *name, const char *value)
{
	struct parser *p = userdata;

	/* inih's section is not used: read_line() keeps track of sections. */
	(void)section;
	if (p->section == SECTION_BAD)
		return 1;
	if (!*name) {
		diag_report(&p->diag, p->diag.line,
			    "syntax error: a key name is missing before the '='");
		return 1;
	}
	switch (p->section) {
	case SECTION_NONE:
		diag_report(&p->diag, p->diag.line,
			    "%s: outside of a section ([kasad], [device \"NAME\"] or [mqtt])", name);
		break;
	case SECTION_KASAD:
	case SECTION_DEVICE:
	case SECTION_MQTT:
		set_key(p, name, value);
		break;
	case SECTION_BAD:
		break;
	}
	/* Our errors are in p; a 0 here would only make inih count them too. */
	return 1;
}

/* --- devices by name ------------------------------------------------------- */

/* FNV-1a: spread, not secrecy (the names are the administrator's). */
static size_t name_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot of name in p->names: the device's, or the empty one where it
 * would go.  The table has room (names_add() sees to it). */
static size_t *name_slot(struct parser *p, const char *name, size_t n)
{
	size_t mask = p->names_size - 1, i = name_hash(name, n) & mask;

	for (;; i = (i + 1) & mask) {
		const char *other;

		if (!p->names[i])
			return &p->names[i];
		other = p->c->devices[p->names[i] - 1].name;
		if (strlen(other) == n && !memcmp(other, name, n))
			return &p->names[i];
	}
}

/* Make room for one more name: -ENOMEM. */
static int names_grow(struct parser *p)
{
	size_t size = p->names_size ? 2 * p->names_size : 64, *old = p->names;
	size_t old_size = p->names_size;

	if (p->c->n_devices + 1 <= p->names_size / 2)
		return 0;
	p->names = calloc(size, sizeof(*p->names));
	if (!p->names) {
		p->names = old;
		return -ENOMEM;
	}
	p->names_size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i]) {
			const char *name = p->c->devices[old[i] - 1].name;

			*name_slot(p, name, strlen(name)) = old[i];
		}
	free(old);
	return 0;
}

static void start_device(struct parser *p, const char *header, size_t header_len, const char *name,
			 size_t n)
{
	struct config *c = p->c;
	struct config_device *d;
	size_t *slot;

	p->section = SECTION_BAD;
	if (!valid_device_name(name, n)) {
		diag_report(&p->diag, p->diag.line,
			    "[%.*s]: invalid device name "
			    "(letters, digits, '-', '_' and '.', at most %d)",
			    (int)header_len, header, CONFIG_NAME_MAX - 1);
		return;
	}
	if (names_grow(p) < 0) {
		diag_oom(&p->diag);
		return;
	}
	slot = name_slot(p, name, n);
	if (*slot) {
		diag_report(&p->diag, p->diag.line, "[%.*s]: already defined at line %u",
			    (int)header_len, header, c->devices[*slot - 1].line);
		return;
	}
	/* max_devices is checked once the file is read ([kasad] may come
	 * last); this bounds the memory until then. */
	if (c->n_devices == CONFIG_DEVICES_MAX) {
		diag_report(&p->diag, p->diag.line, "[%.*s]: too many devices (at most %d)",
			    (int)header_len, header, CONFIG_DEVICES_MAX);
		return;
	}
	if (c->n_devices == p->devices_alloc) {
		size_t alloc = p->devices_alloc ? 2 * p->devices_alloc : 8;
		struct config_device *devices = reallocarray(c->devices, alloc, sizeof(*devices));

		if (!devices) {
			diag_oom(&p->diag);
			return;
		}
		c->devices = devices;
		p->devices_alloc = alloc;
	}
	d = &c->devices[c->n_devices];
	*d = (struct config_device){
		.name = strndup(name, n),
		.outlet = -1, /* not set: the whole plug */
		.line = p->diag.line,
	};
	if (!d->name) {
		diag_oom(&p->diag);
		return;
	}
	*slot = c->n_devices + 1;
	p->device = c->n_devices++;
	if (schema_set_defaults(SCHEMA_DEVICE, d, &p->diag) < 0)
		return;
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
		diag_report(&p->diag, p->diag.line,
			    "syntax error: a section header needs a closing ']'");
		return;
	}
	rest = close + 1;
	rest_len = n - (size_t)(rest - s);
	while (rest_len && strparse_is_space(*rest)) {
		rest++;
		rest_len--;
	}
	if (rest_len && *rest != ';' && *rest != '#') {
		diag_report(&p->diag, p->diag.line, "syntax error: text after the section header");
		return;
	}

	in = s + 1;
	in_len = (size_t)(close - in);
	while (in_len && strparse_is_space(*in)) {
		in++;
		in_len--;
	}
	while (in_len && strparse_is_space(in[in_len - 1]))
		in_len--;

	if (in_len == 5 && !memcmp(in, "kasad", 5)) {
		if (p->kasad_line) {
			diag_report(&p->diag, p->diag.line,
				    "[kasad]: given twice (first at line %u)", p->kasad_line);
			return;
		}
		p->kasad_line = p->diag.line;
		p->section = SECTION_KASAD;
		return;
	}
	if (in_len == 4 && !memcmp(in, "mqtt", 4)) {
		if (p->c->mqtt.enabled) {
			diag_report(&p->diag, p->diag.line, "[mqtt]: given twice (first at line %u)",
				    p->c->mqtt.line);
			return;
		}
		p->c->mqtt.enabled = true;
		p->c->mqtt.line = p->diag.line;
		if (schema_set_defaults(SCHEMA_MQTT, &p->c->mqtt, &p->diag) < 0)
			return;
		p->section = SECTION_MQTT;
		return;
	}
	if (in_len > 6 && !memcmp(in, "device", 6) && strparse_is_space(in[6])) {
		const char *q = in + 6;
		size_t q_len = in_len - 6;

		while (q_len && strparse_is_space(*q)) {
			q++;
			q_len--;
		}
		if (q_len < 2 || q[0] != '"' || q[q_len - 1] != '"') {
			diag_report(&p->diag, p->diag.line,
				    "[%.*s]: the device name needs double quotes, as in "
				    "[device \"NAME\"]",
				    (int)in_len, in);
			return;
		}
		start_device(p, in, in_len, q + 1, q_len - 2);
		return;
	}
	diag_report(&p->diag, p->diag.line,
		    "[%.*s]: unknown section (expected [kasad], [device \"NAME\"] or [mqtt])",
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

	if (diag_stopped(&p->diag) || p->pos >= p->len)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->diag.line++;
	str[0] = '\0';

	if (p->diag.line == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		n -= 3;
	}
	if (memchr(s, '\0', n)) {
		diag_report(&p->diag, p->diag.line, "a NUL byte in the line");
		return str;
	}
	while (n && strparse_is_space(*s)) {
		s++;
		n--;
	}
	while (n && strparse_is_space(s[n - 1]))
		n--;
	if (n == 0 || *s == ';' || *s == '#')
		return str;
	if (*s == '[') {
		start_section(p, s, n);
		return str;
	}

	/* As inih splits it: at the first '=' or ':' before a " ;" comment. */
	for (eq = 0; eq < n; eq++)
		if (s[eq] == '=' || s[eq] == ':' ||
		    (s[eq] == ';' && eq > 0 && strparse_is_space(s[eq - 1])))
			break;
	if (eq == n || s[eq] == ';') {
		diag_report(&p->diag, p->diag.line,
			    "syntax error: expected \"key = value\", a [section] or a comment");
		return str;
	}
	if (num < 3 || n > (size_t)num - 2) {
		diag_report(&p->diag, p->diag.line, "line too long (more than %d characters)",
			    num - 2);
		return str;
	}
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
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
	return diag_fail(ret_errors, err, name, "%s", what ? what : strerror(-err));
}

/* text is len bytes, not necessarily NUL-terminated; path is for c->path. */
static int parse(const char *name, const char *text, size_t len, const char *path,
		 struct config **ret_config, char **ret_errors)
{
	_cleanup_(config_freep) struct config *c = calloc(1, sizeof(*c));
	struct parser p = {
		.text = text,
		.len = len,
		.diag = DIAG_INIT(name, CONFIG_ERRORS_MAX),
		.c = c,
	};
	char *errors = NULL;
	int r;

	if (!c || !(c->path = strdup(path)))
		return fail(name, -ENOMEM, NULL, ret_errors);
	if (schema_set_defaults(SCHEMA_KASAD, c, &p.diag) >= 0) {
		r = ini_parse_stream(read_line, &p, handler, &p);
		if (r == -2)
			diag_oom(&p.diag);
		else if (r > 0 && !diag_reported_at(&p.diag, (unsigned)r))
			diag_report(&p.diag, (unsigned)r, "syntax error");
		if (!diag_stopped(&p.diag))
			config_check_all(&p);
	}
	if (!diag_failed(&p.diag) && config_plugs_group(c) < 0)
		diag_oom(&p.diag);
	if (!diag_failed(&p.diag)) {
		diag_done(&p.diag);
		free(p.names);
		*ret_config = steal_ptr(c);
		return 0;
	}
	free(p.names);
	r = diag_text(&p.diag, &errors);
	diag_done(&p.diag);
	if (r < 0)
		return fail(name, r, NULL, ret_errors);
	set_errors(ret_errors, errors);
	return -EINVAL;
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
	_cleanup_(strbuf_free) struct strbuf text = STRBUF_INIT(CONFIG_FILE_MAX);
	struct stat st;
	int r;

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
	r = strbuf_read_fd(&text, fd);
	if (r == -EMSGSIZE)
		return fail(path, -EFBIG, "too large (more than 1 MiB)", ret_errors);
	if (r < 0)
		return fail(path, r, NULL, ret_errors);
	return parse(path, text.s, text.len, path, ret_config, ret_errors);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_devices; i++) {
		free(c->devices[i].name);
		free(c->devices[i].host);
		free(c->devices[i].mac);
		free(c->devices[i].credentials);
	}
	free(c->devices);
	free(c->mqtt.broker);
	free(c->mqtt.broker_host);
	free(c->mqtt.topic);
	free(c->mqtt.discovery);
	free(c->mqtt.client_id);
	free(c->mqtt.credentials);
	free(c->mqtt.ca_file);
	for (size_t i = 0; i < c->n_allowed_hosts; i++)
		free(c->allowed_hosts[i]);
	free(c->allowed_hosts);
	for (size_t i = 0; i < c->n_cors_origins; i++)
		free(c->cors_origins[i]);
	free(c->cors_origins);
	for (size_t i = 0; i < c->n_discover; i++)
		free(c->discover[i]);
	free(c->discover);
	free(c->tokens);
	free(c->credentials);
	free(c->listen);
	free(c->path);
	free(c);
}

int config_dump(const struct config *c, FILE *f)
{
	size_t n;
	const struct schema_key *keys = schema_keys(SCHEMA_DEVICE, &n);

	fputs("# kasad --dump-config: the configuration in effect, every default filled in\n"
	      "[kasad]\n",
	      f);
	schema_dump(SCHEMA_KASAD, c, true, f);
	if (c->n_devices) {
		fputs("\n# One section per device:\n", f);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "#   %-14s %s\n", keys[i].name, keys[i].doc);
	}
	for (size_t i = 0; i < c->n_devices; i++) {
		fprintf(f, "\n[device \"%s\"]\n", c->devices[i].name);
		schema_dump(SCHEMA_DEVICE, &c->devices[i], false, f);
	}
	if (c->mqtt.enabled) {
		/* The credentials file's name only: never what it holds. */
		fputs("\n[mqtt]\n", f);
		schema_dump(SCHEMA_MQTT, &c->mqtt, true, f);
	}
	return ferror(f) ? -EIO : 0;
}

size_t config_plug_count(const struct config *c, size_t *ret_klap, size_t *ret_auto)
{
	if (ret_klap)
		*ret_klap = c->n_klap_plugs;
	if (ret_auto)
		*ret_auto = c->n_auto_plugs;
	return c->n_plugs;
}

const char *config_device_credentials(const struct config *c, const struct config_device *d)
{
	return d->credentials ? d->credentials : c->credentials;
}

const struct config_device *config_find_device(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (streq(c->devices[i].name, name))
			return &c->devices[i];
	return NULL;
}
