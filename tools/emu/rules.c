/* SPDX-License-Identifier: MIT */
/*
 * Rule tables of the count_down and schedule modules.  Rules are stored and
 * listed, never run: enough for a client to exercise add, edit, delete, the
 * "table is full" (-10) and "entry not exist" (-14) paths.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "emu.h"
#include "result.h"
#include "rules.h"

/* A stored rule's JSON text; larger ones are refused as invalid. */
#define RULE_TEXT_MAX 2048

void rules_init(struct emu_rules *r, unsigned max, uint64_t id_seed)
{
	memset(r, 0, sizeof(*r));
	r->max = max > EMU_RULES_MAX ? EMU_RULES_MAX : max;
	r->id_seed = id_seed;
}

void rules_clear(struct emu_rules *r)
{
	for (unsigned i = 0; i < r->count; i++)
		json_object_put(r->list[i]);
	r->count = 0;
}

static const char *params_id(struct json_object *params)
{
	struct json_object *id;

	if (!json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "id", &id) ||
	    !json_object_is_type(id, json_type_string))
		return NULL;
	return json_object_get_string(id);
}

static int find(const struct emu_rules *r, const char *id)
{
	for (unsigned i = 0; i < r->count; i++)
		if (!strcmp(params_id(r->list[i]), id))
			return (int)i;
	return -1;
}

/* The index of the rule whose id params names, its id in *ret_id (borrowed
 * from params) when ret_id is not NULL; else the device error: EMU_ERR_ARG
 * without an id, EMU_ERR_ENTRY for an unknown one. */
static int find_param(const struct emu_rules *r, struct json_object *params, const char **ret_id)
{
	const char *id = params_id(params);
	int i;

	if (!id)
		return EMU_ERR_ARG;
	i = find(r, id);
	if (i < 0)
		return EMU_ERR_ENTRY;
	if (ret_id)
		*ret_id = id;
	return i;
}

/* A copy of params with the given id, or NULL when params will not do. */
static struct json_object *make_rule(struct json_object *params, const char *id)
{
	struct json_object *rule = NULL;

	if (!json_object_is_type(params, json_type_object) ||
	    json_object_object_length(params) == 0)
		return NULL;
	if (strlen(json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN)) > RULE_TEXT_MAX)
		return NULL;
	if (json_object_deep_copy(params, &rule, NULL) < 0)
		return NULL;
	json_object_object_del(rule, "id");
	json_object_object_add(rule, "id", json_object_new_string(id));
	return rule;
}

static struct json_object *get_rules(struct emu_rules *r, bool with_version)
{
	struct json_object *res = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (unsigned i = 0; i < r->count; i++)
		json_object_array_add(list, json_object_get(r->list[i]));
	json_object_object_add(res, "rule_list", list);
	if (with_version) {
		json_object_object_add(res, "version", json_object_new_int(2));
		json_object_object_add(res, "enable", json_object_new_int(1));
	}
	json_object_object_add(res, "err_code", json_object_new_int(0));
	return res;
}

static struct json_object *add_rule(struct emu_rules *r, struct json_object *params)
{
	struct json_object *rule, *res;
	char id[33];
	uint64_t a, b;

	if (r->count >= r->max)
		return result_new(EMU_ERR_FULL);
	a = emu_mix64(r->id_seed ^ r->next_id);
	b = emu_mix64(a + r->next_id);
	r->next_id++;
	snprintf(id, sizeof(id), "%016llX%016llX", (unsigned long long)a, (unsigned long long)b);
	rule = make_rule(params, id);
	if (!rule)
		return result_new(EMU_ERR_ARG);
	r->list[r->count++] = rule;
	res = json_object_new_object();
	json_object_object_add(res, "id", json_object_new_string(id));
	json_object_object_add(res, "err_code", json_object_new_int(0));
	return res;
}

static struct json_object *edit_rule(struct emu_rules *r, struct json_object *params)
{
	struct json_object *rule;
	const char *id;
	int i = find_param(r, params, &id);

	if (i < 0)
		return result_new(i);
	rule = make_rule(params, id);
	if (!rule)
		return result_new(EMU_ERR_ARG);
	json_object_put(r->list[i]);
	r->list[i] = rule;
	return result_new(0);
}

static struct json_object *delete_rule(struct emu_rules *r, struct json_object *params)
{
	int i = find_param(r, params, NULL);

	if (i < 0)
		return result_new(i);
	json_object_put(r->list[i]);
	memmove(&r->list[i], &r->list[i + 1], (r->count - (unsigned)i - 1) * sizeof(r->list[0]));
	r->count--;
	return result_new(0);
}

struct json_object *rules_call(struct emu_rules *r, const char *method, struct json_object *params,
			       bool with_version)
{
	if (!strcmp(method, "get_rules"))
		return get_rules(r, with_version);
	if (!strcmp(method, "add_rule"))
		return add_rule(r, params);
	if (!strcmp(method, "edit_rule"))
		return edit_rule(r, params);
	if (!strcmp(method, "delete_rule"))
		return delete_rule(r, params);
	if (!strcmp(method, "delete_all_rules")) {
		rules_clear(r);
		return result_new(0);
	}
	return NULL;
}
