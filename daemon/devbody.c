/* SPDX-License-Identifier: MIT */
/*
 * The bodies of a device's own verbs, read into what the device service
 * takes.  What a client sends goes to the plug and back into every answer
 * about it: nothing passes that the plug could not take as it is.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/macro.h"
#include "devbody.h"
#include "kasa.h"

int devbody_switch(const char *body)
{
	static const char *const on_words[] = {"on", "true", "1"};
	static const char *const off_words[] = {"off", "false", "0"};
	char word[16];
	size_t n;
	struct json_object *o, *v;
	int ret = -1;

	while (isspace((unsigned char)*body))
		body++;
	n = strlen(body);
	while (n && isspace((unsigned char)body[n - 1]))
		n--;
	if (n > 0 && body[0] == '"' && body[n - 1] == '"' && n >= 2) {
		body++;
		n -= 2;
	}
	if (n < sizeof(word)) {
		memcpy(word, body, n);
		word[n] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(on_words); i++) {
			if (strcasecmp(word, on_words[i]) == 0)
				return 1;
			if (strcasecmp(word, off_words[i]) == 0)
				return 0;
		}
	}
	if (body[0] != '{')
		return -1;
	o = json_tokener_parse(body);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	if (json_object_object_get_ex(o, "on", &v) || json_object_object_get_ex(o, "state", &v)) {
		if (json_object_is_type(v, json_type_boolean))
			ret = json_object_get_boolean(v);
		else if (json_object_is_type(v, json_type_string))
			ret = devbody_switch(json_object_get_string(v));
		else if (json_object_is_type(v, json_type_int))
			ret = json_object_get_int(v) == 1   ? 1
			      : json_object_get_int(v) == 0 ? 0
							    : -1;
	}
	json_object_put(o);
	return ret;
}

int devbody_alias(const char *body, char ret[64])
{
	struct json_object *o = json_tokener_parse(body), *v;
	const char *s;
	int r = -EINVAL;

	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "alias", &v) && json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (*s && strlen(s) < 64 && strlen(s) == (size_t)json_object_get_string_len(v)) {
			r = 0;
			for (const char *k = s; *k; k++)
				if ((unsigned char)*k < 0x20 || *k == 0x7f)
					r = -EINVAL;
			for (const char *k = s; *k && r == 0; k += kasa_utf8_char_len(k))
				if (!kasa_utf8_char_len(k))
					r = -EINVAL;
			if (r == 0)
				snprintf(ret, 64, "%s", s);
		}
	}
	json_object_put(o);
	return r;
}

/* The level a JSON value says: a whole number, in range or not. */
static int level_of(struct json_object *v, int *ret)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	/* json-c saturates what does not fit: out of range all the same. */
	n = json_object_get_int64(v);
	if (n < KASA_BRIGHTNESS_MIN || n > KASA_BRIGHTNESS_MAX)
		return -ERANGE;
	*ret = (int)n;
	return 0;
}

int devbody_brightness(const char *body, size_t len, int *ret)
{
	char buf[DEVBODY_BRIGHTNESS_MAX + 1];
	struct json_tokener *tok;
	struct json_object *o, *v;
	int r = -EINVAL;

	if (len > DEVBODY_BRIGHTNESS_MAX)
		return -EMSGSIZE;
	if (memchr(body, '\0', len))
		return -EINVAL;
	while (len && isspace((unsigned char)*body)) {
		body++;
		len--;
	}
	while (len && isspace((unsigned char)body[len - 1]))
		len--;
	if (!len)
		return -EINVAL;
	memcpy(buf, body, len);
	buf[len] = '\0';
	tok = json_tokener_new_ex(4);
	if (!tok)
		return -ENOMEM;
	/* With its NUL, so that a bare number ends; then one whole value and
	 * nothing after it ("50abc" is not 50). */
	o = json_tokener_parse_ex(tok, buf, (int)len + 1);
	if (o && json_tokener_get_parse_end(tok) == len) {
		if (json_object_is_type(o, json_type_object)) {
			if (json_object_object_length(o) == 1 &&
			    json_object_object_get_ex(o, "brightness", &v))
				r = level_of(v, ret);
		} else {
			r = level_of(o, ret);
		}
	}
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}
