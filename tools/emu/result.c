/* SPDX-License-Identifier: MIT */
/* Method results: the err_code and the err_msg real firmware sends with it. */
#include <json-c/json.h>

#include "result.h"

struct json_object *result_new(int code)
{
	struct json_object *o = json_object_new_object();
	const char *msg = NULL;

	json_object_object_add(o, "err_code", json_object_new_int(code));
	switch (code) {
	case EMU_ERR_MODULE:
		msg = "module not support";
		break;
	case EMU_ERR_METHOD:
		msg = "member not support";
		break;
	case EMU_ERR_ARG:
		msg = "invalid argument";
		break;
	case EMU_ERR_FULL:
		msg = "table is full";
		break;
	case EMU_ERR_ENTRY:
		msg = "entry not exist";
		break;
	}
	if (msg)
		json_object_object_add(o, "err_msg", json_object_new_string(msg));
	return o;
}

void result_add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

void result_add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void result_add_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}
