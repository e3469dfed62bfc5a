/* SPDX-License-Identifier: MIT */
/* kasactl discover: list the plugs that answer a UDP sysinfo query. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kasactl-cmd.h"
#include "kasactl-ctl.h"

/* UDP loses packets: ask a few times over the wait (PROTOCOL.md section 6). */
#define DISCOVER_SENDS 3

struct found_list {
	bool json;
	struct json_object *array; /* --json: every device, printed at the end */
	unsigned count;
};

static void state_text(const struct kasa_sysinfo *info, char *buf, size_t size)
{
	unsigned on = 0;

	if (info->has_relay) {
		snprintf(buf, size, "%s", info->relay_on ? "ON" : "OFF");
		return;
	}
	if (info->outlet_count == 0) {
		snprintf(buf, size, "?");
		return;
	}
	for (unsigned i = 0; i < info->outlet_count && i < KASA_OUTLETS_MAX; i++)
		on += info->outlets[i].on;
	snprintf(buf, size, "%u/%u ON", on, info->outlet_count);
}

static void on_found(const struct kasa_found *f, void *userdata)
{
	struct found_list *list = userdata;
	char where[96], model[sizeof(f->info.model)], alias[sizeof(f->info.alias)], state[32];
	struct json_object *obj;

	list->count++;
	ctl_format_where(f->host, f->port, where, sizeof(where));
	if (!list->json) {
		if (f->info_ok) {
			ctl_sanitize(f->info.model, model, sizeof(model));
			ctl_sanitize(f->info.alias, alias, sizeof(alias));
			state_text(&f->info, state, sizeof(state));
		} else {
			snprintf(model, sizeof(model), "?");
			snprintf(alias, sizeof(alias), "(unreadable reply)");
			snprintf(state, sizeof(state), "?");
		}
		printf("%-21s  %-12s  %-24s  %s\n", where, model, alias, state);
		fflush(stdout);
		return;
	}

	obj = json_object_new_object();
	if (!obj)
		return;
	json_object_object_add(obj, "address", json_object_new_string(f->host));
	json_object_object_add(obj, "port", json_object_new_int(f->port));
	json_object_object_add(obj, "info_ok", json_object_new_boolean(f->info_ok));
	if (f->info_ok) {
		json_object_object_add(obj, "model", json_object_new_string(f->info.model));
		json_object_object_add(obj, "alias", json_object_new_string(f->info.alias));
		json_object_object_add(obj, "device_id", json_object_new_string(f->info.device_id));
		json_object_object_add(obj, "mac", json_object_new_string(f->info.mac));
		if (f->info.has_relay)
			json_object_object_add(obj, "on",
					       json_object_new_boolean(f->info.relay_on));
		json_object_object_add(obj, "outlet_count",
				       json_object_new_int((int)f->info.outlet_count));
		json_object_object_add(obj, "has_emeter",
				       json_object_new_boolean(f->info.has_emeter));
	}
	json_object_array_add(list->array, obj);
}

int cmd_discover(const char *target, double timeout_s, bool json)
{
	_cleanup_(json_object_putp) struct json_object *array = NULL;
	struct found_list list = {.json = json};
	char host[256], where[300];
	uint16_t port;
	int r;

	if (ctl_parse_target(target, KASA_PORT, host, sizeof(host), &port) < 0)
		return ctl_usage_error("invalid --broadcast '%s' (ADDR or ADDR:PORT)", target);
	ctl_format_where(host, port, where, sizeof(where));
	if (json) {
		array = json_object_new_array();
		if (!array)
			return ctl_print_json(NULL);
		list.array = array;
	}

	r = kasa_discover(host, port, (int)ceil(timeout_s * 1000), DISCOVER_SENDS, on_found, &list);
	if (r < 0) {
		fprintf(stderr, "kasactl: discover to %s: %s\n", where, kasa_strerror(r));
		if (r == -EINVAL || r == -EAFNOSUPPORT)
			return KASACTL_EXIT_USAGE; /* not an address discovery can send to */
		return r == -ENOMEM ? KASACTL_EXIT_DEVICE : KASACTL_EXIT_UNREACHABLE;
	}
	if (json) {
		r = ctl_print_json(array);
		if (r != KASACTL_EXIT_OK)
			return r;
	}
	if (list.count == 0) {
		fprintf(stderr, "kasactl: discover to %s: no device answered within %g s\n", where,
			timeout_s);
		return KASACTL_EXIT_UNREACHABLE;
	}
	return KASACTL_EXIT_OK;
}
