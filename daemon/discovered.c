/* SPDX-License-Identifier: MIT */
/* The plugs that answered discovery and are not in the inventory (discovered.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/devsection.h"
#include "common/macro.h"
#include "discovered.h"

struct discovered {
	struct discovered_entry e[DISCOVERED_MAX];
	size_t n;
};

int discovered_new(struct discovered **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void discovered_free(struct discovered *t)
{
	free(t);
}

size_t discovered_count(const struct discovered *t)
{
	return t->n;
}

const struct discovered_entry *discovered_at(const struct discovered *t, size_t i)
{
	return i < t->n ? &t->e[i] : NULL;
}

/* The same device answering the same probe: by its MAC, else where. */
static bool same(const struct discovered_entry *e, const char *mac, const struct kasa_found *f)
{
	if (e->transport != f->transport)
		return false;
	if (*mac || e->mac[0])
		return streq(e->mac, mac);
	return e->port == f->port && streq(e->host, f->host);
}

static struct discovered_entry *oldest(struct discovered *t)
{
	struct discovered_entry *e = &t->e[0];

	for (size_t i = 1; i < t->n; i++)
		if (t->e[i].seen_usec < e->seen_usec)
			e = &t->e[i];
	return e;
}

int discovered_note(struct discovered *t, const struct kasa_found *f, uint64_t now_usec,
		    int64_t now_unix_s)
{
	char mac[MAC_TEXT_SIZE] = "";
	struct discovered_entry *e = NULL;
	int added = 0;

	if (f->info_ok && !mac_parse(f->info.mac, mac))
		mac[0] = '\0';
	for (size_t i = 0; i < t->n && !e; i++)
		if (same(&t->e[i], mac, f))
			e = &t->e[i];
	if (!e) {
		added = 1;
		e = t->n < DISCOVERED_MAX ? &t->e[t->n++] : oldest(t);
	}
	*e = (struct discovered_entry){
		.transport = f->transport,
		.port = f->port,
		.info_ok = f->info_ok,
		.seen_usec = now_usec ? now_usec : 1,
		.seen_unix_s = now_unix_s,
	};
	memcpy(e->mac, mac, sizeof(mac));
	snprintf(e->host, sizeof(e->host), "%s", f->host);
	if (f->info_ok) {
		snprintf(e->model, sizeof(e->model), "%s", f->info.model);
		snprintf(e->alias, sizeof(e->alias), "%s", f->info.alias);
		snprintf(e->device_id, sizeof(e->device_id), "%s", f->info.device_id);
	}
	return added;
}

void discovered_expire(struct discovered *t, uint64_t before_usec)
{
	size_t k = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].seen_usec >= before_usec)
			t->e[k++] = t->e[i];
	t->n = k;
}

size_t discovered_unknown(const struct discovered *t, discovered_known_cb_t known, void *userdata)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += !known(&t->e[i], userdata);
	return n;
}

static struct json_object *text_or_null(const char *s)
{
	return *s ? json_object_new_string(s) : NULL;
}

static struct json_object *entry_json(const struct discovered_entry *e, uint64_t now_usec)
{
	struct json_object *o = json_object_new_object();
	struct devsection s = {
		.alias = e->alias,
		.model = e->model,
		.mac = e->mac,
		.host = e->host,
		.port = e->port,
		.klap = e->transport == KASA_TRANSPORT_KLAP,
	};
	char config[DEVSECTION_MAX];

	json_object_object_add(o, "address", json_object_new_string(e->host));
	json_object_object_add(o, "port", json_object_new_int(e->port));
	json_object_object_add(o, "transport", json_object_new_string(s.klap ? "KLAP" : "XOR"));
	json_object_object_add(o, "model", text_or_null(e->model));
	json_object_object_add(o, "alias", text_or_null(e->alias));
	json_object_object_add(o, "mac", text_or_null(e->mac));
	json_object_object_add(o, "device_id", text_or_null(e->device_id));
	json_object_object_add(o, "last_seen", json_object_new_int64(e->seen_unix_s));
	json_object_object_add(
		o, "age_ms",
		json_object_new_int64(now_usec > e->seen_usec
					      ? (int64_t)((now_usec - e->seen_usec) / USEC_PER_MSEC)
					      : 0));
	/* An answer that could not be read names no device to configure. */
	json_object_object_add(o, "config",
			       e->info_ok && devsection_write(&s, config, sizeof(config)) > 0
				       ? json_object_new_string(config)
				       : NULL);
	return o;
}

static int cmp_seen(const void *a, const void *b)
{
	const struct discovered_entry *x = *(const struct discovered_entry *const *)a;
	const struct discovered_entry *y = *(const struct discovered_entry *const *)b;

	if (x->seen_usec != y->seen_usec)
		return x->seen_usec > y->seen_usec ? -1 : 1;
	return strcmp(x->host, y->host) ?: (x->port > y->port) - (x->port < y->port);
}

struct json_object *discovered_render(const struct discovered *t, discovered_known_cb_t known,
				      void *userdata, uint64_t now_usec)
{
	const struct discovered_entry *order[DISCOVERED_MAX];
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	size_t n = 0;

	if (!o || !list) {
		json_object_put(o);
		json_object_put(list);
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++)
		if (!known(&t->e[i], userdata))
			order[n++] = &t->e[i];
	qsort(order, n, sizeof(order[0]), cmp_seen);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, entry_json(order[i], now_usec));
	json_object_object_add(o, "discovered", list);
	return o;
}
