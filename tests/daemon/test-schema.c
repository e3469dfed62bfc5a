/* SPDX-License-Identifier: MIT */
/* The configuration's schema: a sound table, and defaults that are values. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/config.h"
#include "../../daemon/schema.h"
#include "../../daemon/strparse.h"
#include "../lib/test-util.h"

static const enum schema_section sections[] = {SCHEMA_KASAD, SCHEMA_DEVICE};

START_TEST(test_names_and_docs)
{
	for (size_t s = 0; s < 2; s++) {
		size_t n;
		const struct schema_key *keys = schema_keys(sections[s], &n);

		ck_assert_uint_gt(n, 0);
		ck_assert_uint_le(n, SCHEMA_KEYS_MAX);
		for (size_t i = 0; i < n; i++) {
			const struct schema_key *k = &keys[i];

			ck_assert_msg(k->name && *k->name &&
					      strspn(k->name, "abcdefghijklmnopqrstuvwxyz_") ==
						      strlen(k->name),
				      "key %zu", i);
			/* One line: a comment in --dump-config. */
			ck_assert_msg(k->doc && *k->doc && !strchr(k->doc, '\n') &&
					      strlen(k->doc) <= 90,
				      "%s: doc", k->name);
			ck_assert_int_eq(schema_lookup(sections[s], k->name), (int)i);
			for (size_t j = 0; j < i; j++)
				ck_assert_str_ne(keys[j].name, k->name);
			if (k->type == SCHEMA_DURATION || k->type == SCHEMA_UINT ||
			    k->type == SCHEMA_SIZE || k->type == SCHEMA_ZONE)
				ck_assert_msg(k->min <= k->max, "%s: bounds", k->name);
			else
				ck_assert_msg(!k->min && !k->max && !k->off, "%s: bounds", k->name);
		}
		ck_assert_int_eq(schema_lookup(sections[s], "nonesuch"), -1);
	}
}
END_TEST

/* Each default read as a value of its key: valid, in bounds, and written
 * back by the dump as itself. */
START_TEST(test_defaults)
{
	for (size_t s = 0; s < 2; s++) {
		size_t n;
		const struct schema_key *keys = schema_keys(sections[s], &n);

		for (size_t i = 0; i < n; i++) {
			const struct schema_key *k = &keys[i];
			struct config c = {0};
			struct config_device d = {0};
			void *base = sections[s] == SCHEMA_KASAD ? (void *)&c : (void *)&d;
			struct diag diag = DIAG_INIT("t", 10);

			if (!k->def)
				continue;
			ck_assert_msg(schema_set(k, k->def, base, &diag) == 0, "%s: %s", k->name,
				      k->def);
			ck_assert(!diag_failed(&diag));
			diag_done(&diag);
			free(c.listen);
		}
	}
}
END_TEST

/* Every bound is a value: min and max pass, one beyond does not. */
START_TEST(test_bounds)
{
	size_t n;
	const struct schema_key *keys = schema_keys(SCHEMA_KASAD, &n);

	for (size_t i = 0; i < n; i++) {
		const struct schema_key *k = &keys[i];
		char text[STRPARSE_FORMAT_MAX + 8];
		struct config c = {0};
		struct diag diag = DIAG_INIT("t", 10);

		if (k->type != SCHEMA_UINT && k->type != SCHEMA_SIZE)
			continue;
		snprintf(text, sizeof(text), "%llu", (unsigned long long)k->max);
		ck_assert_int_eq(schema_set(k, text, &c, &diag), 0);
		snprintf(text, sizeof(text), "%llu", (unsigned long long)k->min);
		ck_assert_int_eq(schema_set(k, text, &c, &diag), 0);
		ck_assert(!diag_failed(&diag));
		snprintf(text, sizeof(text), "%llu", (unsigned long long)k->max + 1);
		ck_assert_int_eq(schema_set(k, text, &c, &diag), -EINVAL);
		ck_assert(diag_failed(&diag));
		diag_done(&diag);
	}
}
END_TEST

static Suite *schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("all");

	tcase_add_test(tc, test_names_and_docs);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(schema_suite());
}
