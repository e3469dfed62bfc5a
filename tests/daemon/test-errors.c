/* SPDX-License-Identifier: MIT */
/* The one error table, and the answers the HTTP server gives from it. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../daemon/errors.h"
#include "../../daemon/http.h"
#include "../lib/test-util.h"

/* Byte for byte what kasad has always sent for them. */
START_TEST(test_own_answers)
{
	const struct http_own_answers *a = errors_http_answers();

	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->content_type, "application/json");
	ck_assert_str_eq(a->request_timeout, "{\"error\":\"request_timeout\",\"message\":\"the "
					     "request did not arrive in time\"}\n");
	ck_assert_str_eq(a->too_many_arguments,
			 "{\"error\":\"uri_too_long\",\"message\":\"more than 64 query "
			 "arguments\"}\n");
	ck_assert_str_eq(a->unanswered_timeout,
			 "{\"error\":\"timeout\",\"message\":\"no answer in time\"}");
	ck_assert_str_eq(a->unanswered_shutdown,
			 "{\"error\":\"shutting_down\",\"message\":\"kasad is stopping\"}");
	/* Rendered once: the same bodies at every call (a reload). */
	ck_assert_ptr_eq(errors_http_answers(), a);
	ck_assert_ptr_eq(errors_http_answers()->request_timeout, a->request_timeout);
}
END_TEST

/* Each of them has its entry in the table, with the status the server
 * sends it with. */
START_TEST(test_own_answers_in_table)
{
	static const struct {
		int error;
		unsigned status;
		const char *code;
	} want[] = {
		{API_ELATE, 408, "request_timeout"},
		{API_EURLBIG, 414, "uri_too_long"},
		{-ETIMEDOUT, 504, "timeout"},
		{-ESHUTDOWN, 503, "shutting_down"},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct api_error *e = errors_find(want[i].error);

		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->status, want[i].status);
		ck_assert_str_eq(e->code, want[i].code);
	}
	ck_assert_ptr_null(errors_find(12345));
}
END_TEST

static Suite *errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_own_answers);
	tcase_add_test(tc, test_own_answers_in_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(errors_suite());
}
