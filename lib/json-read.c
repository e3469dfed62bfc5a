/* SPDX-License-Identifier: MIT */
/*
 * Reading what a plug sent as JSON, shared by the IOT parsers (reply.c)
 * and the SMART ones (smart.c): members of a type, strings made
 * well-formed UTF-8, readings within their bounds, MACs written one way,
 * and refusals that say why.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/mac.h"
#include "kasa-private.h"

int kasa_bad_reply(struct kasa_device_error *ret_err, const char *fmt, ...)
{
	va_list ap;

	if (ret_err) {
		memset(ret_err, 0, sizeof(*ret_err));
		va_start(ap, fmt);
		vsnprintf(ret_err->msg, sizeof(ret_err->msg), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

struct json_object *kasa_json_typed(struct json_object *obj, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

bool kasa_json_str(struct json_object *obj, const char *key, char *dst, size_t size)
{
	struct json_object *v = kasa_json_typed(obj, key, json_type_string);

	if (!v)
		return false;
	kasa_utf8_copy(dst, size, json_object_get_string(v));
	return true;
}

bool kasa_json_int64(struct json_object *obj, const char *key, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return false;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_boolean))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

int kasa_json_reading(struct json_object *obj, const char *key, double max, double *ret,
		      struct kasa_device_error *ret_err)
{
	struct json_object *v;
	double d;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int))
		d = (double)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double))
		d = json_object_get_double(v);
	else
		return kasa_bad_reply(ret_err, "%s is not a number", key);
	/* Written so that NaN fails too. */
	if (!(d >= -max && d <= max))
		return kasa_bad_reply(ret_err, "%s %g is out of range", key, d);
	*ret = d;
	return 1;
}

int kasa_json_percent(struct json_object *obj, const char *key, int *ret,
		      struct kasa_device_error *ret_err)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return kasa_bad_reply(ret_err, "%s is not a whole number", key);
	n = json_object_get_int64(v);
	if (n < 0 || n > 100)
		return kasa_bad_reply(ret_err, "%s %" PRId64 " is out of range", key, n);
	*ret = (int)n;
	return 1;
}

/*
 * A MAC as the IOT firmware writes it, "AA:BB:CC:DD:EE:FF", from SMART's
 * "aa-bb-.." or bare twelve digits; anything else is kept as text.
 */
void kasa_mac_copy(char *dst, size_t size, const char *src)
{
	char mac[MAC_TEXT_SIZE];

	if (size >= sizeof(mac) && mac_parse(src, mac))
		memcpy(dst, mac, sizeof(mac));
	else
		kasa_utf8_copy(dst, size, src);
}
