/* SPDX-License-Identifier: MIT */
/* A dimmer's module, as an HS220 answers it (dimmer.h). */
#include <json-c/json.h>

#include "common/macro.h"
#include "dimmer.h"
#include "result.h"

struct json_object *dimmer_presets(void)
{
	/* Levels the app offers, not the light's own. */
	static const int levels[] = {100, 75, 50, 25};
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		struct json_object *p = json_object_new_object();

		result_add_int(p, "index", (int64_t)i);
		result_add_int(p, "brightness", levels[i]);
		json_object_array_add(list, p);
	}
	return list;
}

struct json_object *dimmer_set_brightness(int *level, struct json_object *params)
{
	struct json_object *v;
	int64_t n;

	if (!params || !json_object_object_get_ex(params, "brightness", &v) ||
	    !json_object_is_type(v, json_type_int))
		return result_new(EMU_ERR_ARG);
	n = json_object_get_int64(v);
	if (n < 1 || n > 100)
		return result_new(EMU_ERR_ARG);
	*level = (int)n;
	return result_new(0);
}

struct json_object *dimmer_parameters(void)
{
	struct json_object *res = json_object_new_object();

	result_add_int(res, "minThreshold", 11);
	result_add_int(res, "fadeOnTime", 1000);
	result_add_int(res, "fadeOffTime", 1000);
	result_add_int(res, "gentleOnTime", 3000);
	result_add_int(res, "gentleOffTime", 10000);
	result_add_int(res, "rampRate", 30);
	result_add_int(res, "bulb_type", 1);
	result_add_int(res, "err_code", 0);
	return res;
}
