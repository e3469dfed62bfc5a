/* SPDX-License-Identifier: MIT */
/*
 * Device SPECs: "MODEL[,key=value...]", from the command line or a devices
 * file (one SPEC a line, '#' starts a comment line, blank lines are fine).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "model.h"
#include "spec.h"

#define SPEC_LINE_MAX 1024
#define SPEC_FILE_MAX EMU_DEVICES_MAX
/* Ten years either way: a clock lost on a power cut restarts in 2000 or so. */
#define CLOCK_OFFSET_MAX (10LL * 366 * 86400)

static int parse_ulong(const char *text, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_uint(const char *text, unsigned max, unsigned *ret)
{
	unsigned long long v;
	int err = parse_ulong(text, max, &v);

	if (err < 0)
		return err;
	*ret = (unsigned)v;
	return 0;
}

static int parse_alias(const char *text, char ret[EMU_ALIAS_MAX])
{
	size_t len = strlen(text);

	if (len == 0 || len >= EMU_ALIAS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return -EINVAL;
	memcpy(ret, text, len + 1);
	return 0;
}

/* A user or password: as typed, up to EMU_CRED_MAX - 1 bytes ("" too), no
 * control characters. */
static int parse_cred(const char *text, char ret[EMU_CRED_MAX])
{
	size_t len = strlen(text);

	if (len >= EMU_CRED_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return -EINVAL;
	memcpy(ret, text, len + 1);
	return 0;
}

static int parse_key(struct emu_spec *s, const char *key, const char *val, unsigned *creds)
{
	unsigned long long v;
	unsigned u;
	char *end;
	double w;

	if (!strcmp(key, "alias"))
		return parse_alias(val, s->alias);
	if (!strcmp(key, "port")) {
		if (parse_uint(val, 65535, &u) < 0)
			return -EINVAL;
		s->port = (int)u;
		return 0;
	}
	if (!strcmp(key, "state")) {
		if (!strcmp(val, "on") || !strcmp(val, "1"))
			s->on = true;
		else if (!strcmp(val, "off") || !strcmp(val, "0"))
			s->on = false;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "delay"))
		return parse_uint(val, 600000, &s->delay_ms);
	if (!strcmp(key, "drip")) {
		if (parse_uint(val, 60000, &u) < 0 || u == 0)
			return -EINVAL;
		s->drip_ms = u;
		return 0;
	}
	if (!strcmp(key, "idle"))
		return parse_uint(val, 86400000, &s->idle_ms);
	if (!strcmp(key, "fault"))
		return fault_from_name(val, &s->fault);
	if (!strcmp(key, "hostile"))
		return hostile_from_name(val, &s->hostile);
	if (!strcmp(key, "flaky"))
		return parse_uint(val, 100, &s->flaky);
	if (!strcmp(key, "seed")) {
		if (parse_ulong(val, UINT64_MAX, &v) < 0)
			return -EINVAL;
		s->seed = v;
		s->has_seed = true;
		return 0;
	}
	if (!strcmp(key, "klap")) {
		if (parse_uint(val, 2, &u) < 0 || u == 0)
			return -EINVAL;
		s->klap = u;
		return 0;
	}
	if (!strcmp(key, "user")) {
		*creds |= 1;
		return parse_cred(val, s->user);
	}
	if (!strcmp(key, "password")) {
		*creds |= 2;
		return parse_cred(val, s->password);
	}
	if (!strcmp(key, "stuck")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return -EINVAL;
		s->stuck = !strcmp(val, "yes");
		return 0;
	}
	if (!strcmp(key, "clock_offset")) {
		long long off;

		errno = 0;
		off = strtoll(val, &end, 10);
		if (errno || end == val || *end || off < -CLOCK_OFFSET_MAX || off > CLOCK_OFFSET_MAX)
			return -EINVAL;
		s->clock_offset_s = off;
		return 0;
	}
	if (!strcmp(key, "mac"))
		return mac_parse(val, s->mac) ? 0 : -EINVAL;
	if (!strcmp(key, "brightness")) {
		if (parse_uint(val, 100, &u) < 0 || u == 0)
			return -EINVAL;
		s->brightness = u;
		return 0;
	}
	if (!strcmp(key, "local")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return -EINVAL;
		s->local_off = !strcmp(val, "off");
		return 0;
	}
	if (!strcmp(key, "session")) {
		if (parse_uint(val, 1000000000, &u) < 0 || u == 0)
			return -EINVAL;
		s->session_max = u;
		return 0;
	}
	if (!strcmp(key, "power")) {
		errno = 0;
		w = strtod(val, &end);
		if (errno || end == val || *end || !isfinite(w) || w <= 0 || w > 3680)
			return -EINVAL;
		s->power_w = w;
		return 0;
	}
	return -ENOENT;
}

/* What the keys mean together, and for the model. */
static int spec_check(const char *text, struct emu_spec *s, unsigned creds, struct emu_spec *ret)
{
	bool smart = s->model->dialect == EMU_DIALECT_SMART;

	if (creds == 1 || creds == 2) {
		fprintf(stderr, "kasa-emu: SPEC '%s': user= and password= go together\n", text);
		return -EINVAL;
	}
	s->has_account = creds == 3;
	if (smart && s->klap == 1) {
		fprintf(stderr, "kasa-emu: SPEC '%s': %s speaks KLAP v2 only\n", text,
			s->model->name);
		return -EINVAL;
	}
	if (smart)
		s->klap = 2;
	if (s->brightness && !s->model->dimmer) {
		fprintf(stderr, "kasa-emu: SPEC '%s': brightness= is for dimmers\n", text);
		return -EINVAL;
	}
	if (smart && s->hostile) {
		fprintf(stderr, "kasa-emu: SPEC '%s': hostile= is for IOT models\n", text);
		return -EINVAL;
	}
	if (!s->klap && (creds || s->session_max || s->local_off)) {
		fprintf(stderr,
			"kasa-emu: SPEC '%s': user=, password=, session= and local= need klap= "
			"(or a SMART model)\n",
			text);
		return -EINVAL;
	}
	*ret = *s;
	return 0;
}

int spec_parse(const char *text, struct emu_spec *ret)
{
	char buf[SPEC_LINE_MAX];
	struct emu_spec s = {.port = -1, .drip_ms = 50};
	char *save = NULL, *item;
	size_t len = strlen(text);
	unsigned creds = 0;

	if (len >= sizeof(buf)) {
		fprintf(stderr, "kasa-emu: SPEC too long (at most %zu bytes)\n", sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, text, len + 1);

	item = strtok_r(buf, ",", &save);
	if (!item || !(s.model = model_find(item))) {
		fprintf(stderr, "kasa-emu: unknown model in SPEC '%s' (see -h)\n", text);
		return -EINVAL;
	}
	while ((item = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(item, '=');
		int err;

		if (!eq) {
			fprintf(stderr, "kasa-emu: SPEC '%s': '%s' is not key=value\n", text, item);
			return -EINVAL;
		}
		*eq = '\0';
		err = parse_key(&s, item, eq + 1, &creds);
		if (err == -ENOENT) {
			fprintf(stderr, "kasa-emu: SPEC '%s': unknown key '%s'\n", text, item);
			return -EINVAL;
		}
		if (err < 0) {
			fprintf(stderr, "kasa-emu: SPEC '%s': bad value for '%s': '%s'\n", text,
				item, eq + 1);
			return -EINVAL;
		}
	}
	return spec_check(text, &s, creds, ret);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int spec_load_file(const char *path, struct emu_spec **specs, size_t *count)
{
	char line[SPEC_LINE_MAX + 2];
	unsigned lineno = 0;
	int err = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		fprintf(stderr, "kasa-emu: %s: %s\n", path, strerror(errno));
		return err;
	}
	while (fgets(line, sizeof(line), f)) {
		struct emu_spec s, *grown;
		char *text;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "kasa-emu: %s:%u: line too long\n", path, lineno);
			err = -EINVAL;
			break;
		}
		text = trim(line);
		if (*text == '\0' || *text == '#')
			continue;
		if (*count >= SPEC_FILE_MAX) {
			fprintf(stderr, "kasa-emu: %s: more than %d devices\n", path,
				SPEC_FILE_MAX);
			err = -EMSGSIZE;
			break;
		}
		if (spec_parse(text, &s) < 0) {
			fprintf(stderr, "kasa-emu: %s:%u: bad SPEC\n", path, lineno);
			err = -EINVAL;
			break;
		}
		grown = realloc(*specs, (*count + 1) * sizeof(**specs));
		if (!grown) {
			err = -ENOMEM;
			break;
		}
		*specs = grown;
		(*specs)[(*count)++] = s;
	}
	if (!err && ferror(f)) {
		fprintf(stderr, "kasa-emu: %s: read error\n", path);
		err = -EIO;
	}
	fclose(f);
	return err;
}
