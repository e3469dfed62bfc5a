/* SPDX-License-Identifier: MIT */
/*
 * What the reply parsers' suites (test-reply, test-smart) share: a plug's
 * reply, from a text or a file of tests/data, that must be accepted.
 */
#ifndef TEST_REPLY_UTIL_H
#define TEST_REPLY_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kasa.h"
#include "test-util.h"

static inline struct json_object *parse_text(const char *text)
{
	struct json_object *reply = NULL;

	ck_assert_int_eq(kasa_reply_parse(text, strlen(text), &reply), 0);
	ck_assert_ptr_nonnull(reply);
	return reply;
}

static inline struct json_object *parse_file(const char *name)
{
	size_t len;
	char *text = test_data(name, &len);
	struct json_object *reply = NULL;

	ck_assert_int_eq(kasa_reply_parse(text, len, &reply), 0);
	free(text);
	return reply;
}

#endif
