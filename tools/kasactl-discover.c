/* SPDX-License-Identifier: MIT */
/*
 * kasactl discover: list the plugs that answer a UDP sysinfo query, and the
 * devices of newer firmware that answer the KLAP probe (port 20002): as a
 * table, as JSON, or as kasad.conf's [device] sections (common/devsection.h,
 * the text kasad's GET /discovered gives).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/devsection.h"
#include "kasactl-cmd.h"
#include "kasactl-ctl.h"

/* UDP loses packets: ask a few times over the wait (PROTOCOL.md section 6). */
#define DISCOVER_SENDS 3

struct found_list {
	enum discover_output output;
	struct json_object *array; /* --json: every device, printed at the end */
	unsigned count;
	unsigned sections; /* --config: printed so far */
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

/* What a KLAP device said of itself: "KLAP SMART lv=2 new_klap=0 http_port=80". */
static void klap_text(const struct kasa_found *f, char *buf, size_t size)
{
	char type[sizeof(f->klap.encrypt_type)];

	if (!f->info_ok) {
		snprintf(buf, size, "? (KLAP probe)");
		return;
	}
	ctl_sanitize(f->klap.encrypt_type, type, sizeof(type));
	snprintf(buf, size, "%s %s lv=%d new_klap=%d http_port=%u%s", type[0] ? type : "?",
		 f->klap.smart ? "SMART" : "IOT", f->klap.lv, f->klap.new_klap ? 1 : 0,
		 (unsigned)f->port, f->klap.https ? " https" : "");
}

static void add_klap_json(struct json_object *obj, const struct kasa_found *f)
{
	const struct kasa_found_klap *k = &f->klap;

	json_object_object_add(obj, "device_type", json_object_new_string(f->info.type));
	json_object_object_add(obj, "hw_ver", json_object_new_string(f->info.hw_ver));
	json_object_object_add(obj, "encrypt_type", json_object_new_string(k->encrypt_type));
	json_object_object_add(obj, "http_port", json_object_new_int(f->port));
	json_object_object_add(obj, "lv", json_object_new_int(k->lv));
	json_object_object_add(obj, "new_klap", json_object_new_boolean(k->new_klap));
	json_object_object_add(obj, "https", json_object_new_boolean(k->https));
	json_object_object_add(obj, "smart", json_object_new_boolean(k->smart));
	json_object_object_add(obj, "klap_version", json_object_new_int((int)k->klap_version));
	json_object_object_add(obj, "factory_default", json_object_new_boolean(k->factory_default));
}

/* The device's section, a blank line between two; an answer that could not
 * be read names no device to configure. */
static void print_section(struct found_list *list, const struct kasa_found *f)
{
	struct devsection s = {
		.alias = f->info.alias,
		.model = f->info.model,
		.mac = f->info.mac,
		.host = f->host,
		.port = f->port,
		.klap = f->transport == KASA_TRANSPORT_KLAP,
	};
	char text[DEVSECTION_MAX];

	if (!f->info_ok || devsection_write(&s, text, sizeof(text)) < 0)
		return;
	printf("%s%s", list->sections++ ? "\n" : "", text);
	fflush(stdout);
}

static void on_found(const struct kasa_found *f, void *userdata)
{
	struct found_list *list = userdata;
	char where[96], model[sizeof(f->info.model)], alias[sizeof(f->info.alias)], state[96];
	bool klap = f->transport == KASA_TRANSPORT_KLAP;
	struct json_object *obj;

	list->count++;
	if (list->output == DISCOVER_CONFIG) {
		print_section(list, f);
		return;
	}
	ctl_format_where(f->host, f->port, where, sizeof(where));
	if (list->output == DISCOVER_TABLE) {
		if (klap) {
			/* The probe's answer names no alias nor state. */
			ctl_sanitize(f->info_ok ? f->info.model : "?", model, sizeof(model));
			snprintf(alias, sizeof(alias), "%s",
				 f->info_ok ? "-" : "(unreadable reply)");
			klap_text(f, state, sizeof(state));
		} else if (f->info_ok) {
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
	if (klap && f->info_ok) {
		json_object_object_add(obj, "model", json_object_new_string(f->info.model));
		json_object_object_add(obj, "device_id", json_object_new_string(f->info.device_id));
		json_object_object_add(obj, "mac", json_object_new_string(f->info.mac));
		add_klap_json(obj, f);
	} else if (f->info_ok) {
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
	json_object_object_add(obj, "transport", json_object_new_string(klap ? "KLAP" : "XOR"));
	json_object_array_add(list->array, obj);
}

int cmd_discover(const char *target, uint16_t klap_port, double timeout_s,
		 enum discover_output output, bool verbose)
{
	_cleanup_(json_object_putp) struct json_object *array = NULL;
	struct found_list list = {.output = output};
	bool json = output == DISCOVER_JSON;
	struct ctl c = {.verbose = verbose};
	char host[256], where[300], klap_where[300];
	uint16_t port;
	int r;

	if (ctl_parse_target(target, KASA_PORT, host, sizeof(host), &port) < 0)
		return ctl_usage_error("invalid --broadcast '%s' (ADDR or ADDR:PORT)", target);
	ctl_format_where(host, port, where, sizeof(where));
	if (klap_port) {
		ctl_format_where(host, klap_port, klap_where, sizeof(klap_where));
		ctl_verbose(&c,
			    "sending the sysinfo query to %s and the KLAP probe to %s, %d times "
			    "in %g s",
			    where, klap_where, DISCOVER_SENDS, timeout_s);
	} else {
		ctl_verbose(&c, "sending the sysinfo query to %s, %d times in %g s (no KLAP probe)",
			    where, DISCOVER_SENDS, timeout_s);
	}
	if (json) {
		array = json_object_new_array();
		if (!array)
			return ctl_print_json(NULL);
		list.array = array;
	}

	r = kasa_discover_all(host, port, klap_port, (int)ceil(timeout_s * 1000), DISCOVER_SENDS,
			      on_found, &list);
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
		fprintf(stderr, "kasactl: discover to %s%s%s%s: no device answered within %g s\n",
			where, klap_port ? " (and " : "", klap_port ? klap_where : "",
			klap_port ? " for KLAP)" : "", timeout_s);
		return KASACTL_EXIT_UNREACHABLE;
	}
	return KASACTL_EXIT_OK;
}
