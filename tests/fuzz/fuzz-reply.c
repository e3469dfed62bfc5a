/* SPDX-License-Identifier: MIT */
/* Every reply parser against arbitrary payloads, as a hostile plug sends. */
#include <json-c/json.h>
#include <string.h>

#include "kasa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *reply, *result;
	struct kasa_device_error err;
	struct kasa_sysinfo info;
	struct kasa_emeter em;
	struct kasa_stats stats;
	struct kasa_time t;

	if (kasa_reply_parse((const char *)data, size, &reply) < 0)
		return 0;
	(void)kasa_sysinfo_parse(reply, &info, &err);
	(void)kasa_emeter_parse(reply, &em, &err);
	(void)kasa_daystat_parse(reply, &stats, &err);
	(void)kasa_monthstat_parse(reply, &stats, &err);
	(void)kasa_time_parse(reply, &t, &err);
	(void)kasa_reply_result(reply, "system", "set_relay_state", &result, NULL);
	json_object_put(reply);
	return 0;
}
