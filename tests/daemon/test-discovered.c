/* SPDX-License-Identifier: MIT */
/*
 * The table of plugs that answered discovery and are not in the inventory,
 * and GET /discovered's answer of it: entries by MAC and probe (or by
 * address), bounded, forgotten when not heard, filtered by what the
 * inventory has, each with a [device] section that names nothing a plug
 * made up.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../../daemon/discovered.h"
#include "../lib/test-util.h"

static struct kasa_found found(const char *host, uint16_t port, bool klap, const char *mac,
			       const char *alias)
{
	struct kasa_found f = {.port = port, .info_ok = true};

	f.transport = klap ? KASA_TRANSPORT_KLAP : KASA_TRANSPORT_XOR;
	snprintf(f.host, sizeof(f.host), "%s", host);
	snprintf(f.info.mac, sizeof(f.info.mac), "%s", mac);
	snprintf(f.info.alias, sizeof(f.info.alias), "%s", alias);
	snprintf(f.info.model, sizeof(f.info.model), "%s", klap ? "P110(EU)" : "HS100(UK)");
	return f;
}

static bool none_known(const struct discovered_entry *e, void *userdata)
{
	return false;
}

/* The inventory has the MAC userdata names. */
static bool mac_known(const struct discovered_entry *e, void *userdata)
{
	return strcmp(e->mac, userdata) == 0;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

START_TEST(test_note)
{
	struct discovered *t;
	struct kasa_found f = found("192.0.2.5", 9999, false, "50-c7-bf-00-00-01", "Desk Lamp");

	ck_assert_int_eq(discovered_new(&t), 0);
	ck_assert_int_eq(discovered_note(t, &f, 100, 1000), 1);
	/* The same device again: updated, not added. */
	ck_assert_int_eq(discovered_note(t, &f, 200, 1001), 0);
	ck_assert_uint_eq(discovered_count(t), 1);
	ck_assert_str_eq(discovered_at(t, 0)->mac, "50:C7:BF:00:00:01");
	ck_assert_uint_eq(discovered_at(t, 0)->seen_usec, 200);
	/* Moved: still the one device, now elsewhere. */
	f = found("192.0.2.6", 9999, false, "50:C7:BF:00:00:01", "Desk Lamp");
	ck_assert_int_eq(discovered_note(t, &f, 300, 1002), 0);
	ck_assert_str_eq(discovered_at(t, 0)->host, "192.0.2.6");
	/* The other probe's answer is an entry of its own. */
	f = found("192.0.2.6", 80, true, "50:C7:BF:00:00:01", "");
	ck_assert_int_eq(discovered_note(t, &f, 300, 1002), 1);
	/* Without a MAC, by address: two ports, two entries. */
	f = found("192.0.2.7", 9999, false, "", "");
	f.info_ok = false;
	ck_assert_int_eq(discovered_note(t, &f, 400, 1003), 1);
	f.port = 9998;
	ck_assert_int_eq(discovered_note(t, &f, 400, 1003), 1);
	ck_assert_int_eq(discovered_note(t, &f, 500, 1004), 0);
	ck_assert_uint_eq(discovered_count(t), 4);
	ck_assert_ptr_null(discovered_at(t, 4));

	/* Not heard since 350: forgotten. */
	discovered_expire(t, 350);
	ck_assert_uint_eq(discovered_count(t), 2);
	for (size_t i = 0; i < 2; i++)
		ck_assert_str_eq(discovered_at(t, i)->host, "192.0.2.7");
	discovered_free(t);
}
END_TEST

START_TEST(test_bounded)
{
	struct discovered *t;
	char host[32];

	ck_assert_int_eq(discovered_new(&t), 0);
	for (unsigned i = 0; i < DISCOVERED_MAX + 10; i++) {
		struct kasa_found f;

		snprintf(host, sizeof(host), "10.0.%u.%u", i / 256, i % 256);
		f = found(host, 9999, false, "", "");
		ck_assert_int_eq(discovered_note(t, &f, 1000 + i, i), 1);
	}
	ck_assert_uint_eq(discovered_count(t), DISCOVERED_MAX);
	/* The least lately seen gave way: the first ten. */
	for (size_t i = 0; i < DISCOVERED_MAX; i++)
		ck_assert_uint_ge(discovered_at(t, i)->seen_usec, 1010);
	discovered_free(t);
}
END_TEST

START_TEST(test_render)
{
	struct discovered *t;
	struct kasa_found f;
	struct json_object *o, *list, *e;

	ck_assert_int_eq(discovered_new(&t), 0);
	f = found("192.0.2.5", 9999, false, "50:C7:BF:00:00:01", "Desk Lamp");
	discovered_note(t, &f, 1000000, 1700000000);
	f = found("192.0.2.9", 8080, true, "3C:52:A1:00:00:0F", "");
	discovered_note(t, &f, 3000000, 1700000002);
	f = found("192.0.2.7", 40000, false, "", "");
	f.info_ok = false;
	discovered_note(t, &f, 2000000, 1700000001);

	o = discovered_render(t, none_known, NULL, 4500000);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "discovered", &list));
	ck_assert_uint_eq(json_object_array_length(list), 3);
	/* The most lately seen first. */
	e = json_object_array_get_idx(list, 0);
	ck_assert_str_eq(str_of(e, "address"), "192.0.2.9");
	ck_assert_str_eq(str_of(e, "transport"), "KLAP");
	ck_assert_str_eq(str_of(e, "mac"), "3C:52:A1:00:00:0F");
	ck_assert_ptr_null(str_of(e, "alias"));
	ck_assert_str_eq(str_of(e, "config"), "[device \"p110-eu-00-00-0f\"]\n"
					      "mac = 3C:52:A1:00:00:0F\n"
					      "host = 192.0.2.9\n"
					      "transport = klap\n"
					      "klap_port = 8080\n");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(e, "age_ms")), 1500);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(e, "last_seen")), 1700000002);
	/* Unreadable: where, and nothing to configure. */
	e = json_object_array_get_idx(list, 1);
	ck_assert_str_eq(str_of(e, "address"), "192.0.2.7");
	ck_assert_ptr_null(str_of(e, "mac"));
	ck_assert_ptr_null(str_of(e, "model"));
	ck_assert(json_object_object_get_ex(e, "config", NULL));
	ck_assert_ptr_null(json_object_object_get(e, "config"));
	e = json_object_array_get_idx(list, 2);
	ck_assert_str_eq(str_of(e, "alias"), "Desk Lamp");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(e, "port")), 9999);
	ck_assert_str_eq(str_of(e, "config"), "[device \"desk-lamp\"]\n"
					      "mac = 50:C7:BF:00:00:01\n"
					      "host = 192.0.2.5\n");
	json_object_put(o);

	/* What the inventory has is left out. */
	ck_assert_uint_eq(discovered_unknown(t, none_known, NULL), 3);
	ck_assert_uint_eq(discovered_unknown(t, mac_known, "50:C7:BF:00:00:01"), 2);
	o = discovered_render(t, mac_known, "50:C7:BF:00:00:01", 4500000);
	ck_assert(json_object_object_get_ex(o, "discovered", &list));
	ck_assert_uint_eq(json_object_array_length(list), 2);
	for (size_t i = 0; i < 2; i++)
		ck_assert_str_ne(str_of(json_object_array_get_idx(list, i), "address"),
				 "192.0.2.5");
	json_object_put(o);
	discovered_free(t);
}
END_TEST

static Suite *discovered_suite(void)
{
	Suite *s = suite_create("discovered");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_note);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_render);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(discovered_suite());
}
