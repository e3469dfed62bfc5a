/* SPDX-License-Identifier: MIT */
/* metrics.c: label values escaped and made UTF-8, the HTTP counts, and what
 * an inventory that has never been polled renders as. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/config.h"
#include "../../daemon/loop.h"
#include "../../daemon/metrics.h"
#include "../../daemon/plug-private.h"
#include "../../daemon/registry.h"
#include "../lib/test-util.h"

#define FFFD "\xef\xbf\xbd"

static void expect_label(const char *in, const char *want)
{
	char *got = metrics_label_value(in);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_escape)
{
	expect_label("", "");
	expect_label("Desk lamp", "Desk lamp");
	expect_label("say \"hi\"", "say \\\"hi\\\"");
	expect_label("C:\\plugs\\", "C:\\\\plugs\\\\");
	expect_label("two\nlines\n", "two\\nlines\\n");
	/* An escape sequence in the input stays literal text. */
	expect_label("\\n", "\\\\n");
	/* The format escapes nothing else: tabs and CR pass as they are. */
	expect_label("a\tb\rc", "a\tb\rc");
}
END_TEST

START_TEST(test_utf8)
{
	/* Well-formed: 2, 3 and 4 bytes, the highest code point. */
	expect_label("K\xc3\xbc"
		     "che \xe2\x82\xac \xf0\x9f\x94\x8c \xf4\x8f\xbf\xbf",
		     "K\xc3\xbc"
		     "che \xe2\x82\xac \xf0\x9f\x94\x8c \xf4\x8f\xbf\xbf");
	/* A stray continuation byte, and bytes no UTF-8 has. */
	expect_label("a\x80z", "a" FFFD "z");
	expect_label("\xff\xfe", FFFD FFFD);
	/* Overlong forms of '/' and of U+0000. */
	expect_label("\xc0\xaf", FFFD FFFD);
	expect_label("\xe0\x80\xaf", FFFD FFFD FFFD);
	expect_label("\xc1\xbf", FFFD FFFD);
	/* A UTF-16 surrogate, and beyond U+10FFFF. */
	expect_label("\xed\xa0\x80", FFFD FFFD FFFD);
	expect_label("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	/* Cut short at the end, and cut short before a quote. */
	expect_label("ok\xe2\x82", "ok" FFFD FFFD);
	expect_label("\xe2\"", FFFD "\\\"");
}
END_TEST

/* Render an inventory that was never polled (the loop never runs). */
static char *render(struct registry **ret_reg, struct loop **ret_loop, const char *conf)
{
	struct config *c = NULL;
	char *errors = NULL, *text = NULL;
	size_t len = 0;

	ck_assert_int_eq(loop_new(ret_loop), 0);
	ck_assert_int_eq(registry_new(*ret_loop, ret_reg), 0);
	ck_assert_int_eq(config_load_string(conf, "t", &c, &errors), 0);
	ck_assert_int_eq(registry_apply(*ret_reg, c, NULL), 0);
	config_free(c);
	free(errors);
	ck_assert_int_eq(
		metrics_render(*ret_reg, loop_now(*ret_loop), loop_now(*ret_loop), &text, &len), 0);
	ck_assert_uint_eq(strlen(text), len);
	return text;
}

static void contains(const char *text, const char *line)
{
	ck_assert_msg(strstr(text, line) != NULL, "no '%s' in:\n%s", line, text);
}

START_TEST(test_http_counts)
{
	struct registry *reg;
	struct loop *l;
	char *text;

	metrics_reset();
	metrics_count_http("/devices/{name}/on", HTTP_POST, 200);
	metrics_count_http("/devices/{name}/on", HTTP_POST, 200);
	metrics_count_http("/devices/{name}/on", HTTP_PUT, 200);
	metrics_count_http("/devices/{name}/on", HTTP_GET, 405);
	metrics_count_http(NULL, HTTP_OTHER, 404);
	text = render(&reg, &l, "[kasad]\n");
	contains(text, "# TYPE kasad_http_requests_total counter\n");
	contains(text, "kasad_http_requests_total{route=\"/devices/{name}/"
		       "on\",method=\"POST\",code=\"200\"}"
		       " 2\n");
	contains(text, "kasad_http_requests_total{route=\"/devices/{name}/"
		       "on\",method=\"PUT\",code=\"200\"}"
		       " 1\n");
	contains(text, "kasad_http_requests_total{route=\"/devices/{name}/"
		       "on\",method=\"GET\",code=\"405\"}"
		       " 1\n");
	contains(
		text,
		"kasad_http_requests_total{route=\"unmatched\",method=\"other\",code=\"404\"} 1\n");
	contains(text, "kasad_devices 0\n");
	contains(text, "kasad_build_info{version=\"" PACKAGE_VERSION "\"} 1\n");
	/* No plugs: no per-plug families at all. */
	ck_assert_ptr_null(strstr(text, "kasad_plug_requests_total"));
	free(text);
	registry_free(reg);
	loop_free(l);

	metrics_reset();
	text = render(&reg, &l, "[kasad]\n");
	ck_assert_ptr_null(strstr(text, "kasad_http_requests_total"));
	free(text);
	registry_free(reg);
	loop_free(l);
}
END_TEST

START_TEST(test_never_polled)
{
	struct registry *reg;
	struct loop *l;
	char *text;

	metrics_reset();
	text = render(&reg, &l,
		      "[kasad]\n"
		      "[device \"strip\"]\nhost = 127.0.0.1\nport = 9\n"
		      "[device \"desk\"]\nhost = 127.0.0.1\nport = 9\noutlet = 2\n"
		      "[device \"v6\"]\nhost = ::1\nport = 10\n"
		      "[device \"new\"]\nhost = 127.0.0.1\nport = 11\ntransport = klap\n"
		      "[device \"old\"]\nhost = 127.0.0.1\nport = 12\ntransport = xor\n");
	/* Every device is there, offline, with what is not known left empty. */
	contains(text, "# TYPE kasa_device_online gauge\n");
	contains(text, "kasa_device_online{device=\"strip\",alias=\"\",model=\"\"} 0\n");
	contains(text, "kasa_device_online{device=\"desk\",alias=\"\",model=\"\"} 0\n");
	contains(text, "kasa_device_info{device=\"desk\",alias=\"\",model=\"\","
		       "plug=\"127.0.0.1:9\",outlet=\"2\",hw_ver=\"\",sw_ver=\"\",mac=\"\","
		       "transport=\"\",protocol=\"iot\"} 1\n");
	/* The transport: empty while auto has not found out, else the one set. */
	contains(text, "outlet=\"\",hw_ver=\"\",sw_ver=\"\",mac=\"\",transport=\"klap\","
		       "protocol=\"iot\"} 1\n");
	contains(text, "outlet=\"\",hw_ver=\"\",sw_ver=\"\",mac=\"\",transport=\"xor\","
		       "protocol=\"iot\"} 1\n");
	contains(text, "plug=\"[::1]:10\"");
	/* Nothing read: no relay, meter, signal or age. */
	ck_assert_ptr_null(strstr(text, "kasa_relay_on{"));
	ck_assert_ptr_null(strstr(text, "kasa_power_watts{"));
	ck_assert_ptr_null(strstr(text, "kasa_rssi_dbm{"));
	ck_assert_ptr_null(strstr(text, "kasa_brightness_percent{"));
	ck_assert_ptr_null(strstr(text, "kasa_last_poll_age_seconds{"));
	/* One plug for the strip and its outlet, named after the first. */
	contains(text, "kasad_devices 5\n");
	contains(text, "kasad_plugs 4\n");
	contains(text, "kasad_plug_requests_total{device=\"strip\",plug=\"127.0.0.1:9\"} 0\n");
	ck_assert_ptr_null(strstr(text, "kasad_plug_requests_total{device=\"desk\""));
	contains(text, "kasad_plug_failures_total{device=\"strip\",plug=\"127.0.0.1:9\","
		       "error=\"timeout\"} 0\n");
	contains(text, "# TYPE kasad_poll_duration_seconds histogram\n");
	contains(text, "kasad_poll_duration_seconds_bucket{device=\"strip\",plug=\"127.0.0.1:9\","
		       "le=\"0.005\"} 0\n");
	contains(text, "kasad_poll_duration_seconds_bucket{device=\"strip\",plug=\"127.0.0.1:9\","
		       "le=\"+Inf\"} 0\n");
	contains(text, "kasad_poll_duration_seconds_count{device=\"v6\",plug=\"[::1]:10\"} 0\n");
	contains(text, "# TYPE process_start_time_seconds gauge\n");
	/* The exposition ends with a line feed. */
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	free(text);
	registry_free(reg);
	loop_free(l);
}
END_TEST

/* kasa_brightness_percent: a dimmer's level, on or off, and nothing for a
 * plug or an outlet of a strip. */
START_TEST(test_brightness)
{
	struct registry *reg;
	struct loop *l;
	char *text;
	size_t len;

	metrics_reset();
	text = render(&reg, &l,
		      "[kasad]\n"
		      "[device \"hall\"]\nhost = 127.0.0.1\nport = 9\n"
		      "[device \"lamp\"]\nhost = 127.0.0.1\nport = 10\n");
	free(text);
	for (size_t i = 0; i < 2; i++) {
		struct plug *p = registry_device(reg, i)->plug;

		p->st.known = true;
		p->st.info.has_relay = true;
		snprintf(p->st.info.model, sizeof(p->st.info.model), i ? "HS100(US)" : "HS220(US)");
	}
	registry_device(reg, 0)->plug->st.info.has_brightness = true;
	registry_device(reg, 0)->plug->st.info.brightness = 35;
	ck_assert_int_eq(metrics_render(reg, loop_now(l), loop_now(l), &text, &len), 0);
	contains(text, "# TYPE kasa_brightness_percent gauge\n");
	contains(text, "kasa_brightness_percent{device=\"hall\",alias=\"\",model=\"HS220(US)\"} 35\n");
	ck_assert_ptr_null(strstr(text, "kasa_brightness_percent{device=\"lamp\""));
	free(text);
	registry_free(reg);
	loop_free(l);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_http_counts);
	tcase_add_test(tc, test_never_polled);
	tcase_add_test(tc, test_brightness);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(metrics_suite());
}
