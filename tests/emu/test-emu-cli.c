/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu's command line, driven as a black box (emu-util.h): device
 * counts, the devices and ready files, and the arguments it refuses.
 */
#include "emu-util.h"

START_TEST(test_cli_count_and_files)
{
	char dir[] = "/tmp/kasa-emu-test-XXXXXX";
	char devices[256], ready[256], text[4096];
	struct emu e;
	FILE *f;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(devices, sizeof(devices), "%s/devices", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	f = fopen(devices, "w");
	ck_assert_ptr_nonnull(f);
	fputs("# two kinds\n\n  hs100,alias=Lamp  \nhs300\n", f);
	fclose(f);

	emu_start(&e, "-n", "2", "-d", devices, "-r", ready, "kp115", NULL);
	ck_assert_uint_eq(e.n, 6);
	ck_assert_str_eq(e.dev[0].model, "hs100");
	ck_assert_str_eq(e.dev[1].model, "hs100");
	ck_assert_str_eq(e.dev[2].model, "hs300");
	ck_assert_str_eq(e.dev[4].model, "kp115");
	for (unsigned i = 0; i < e.n; i++)
		for (unsigned j = 0; j < i; j++) {
			ck_assert_str_ne(e.dev[i].id, e.dev[j].id);
			ck_assert_uint_ne(e.dev[i].port, e.dev[j].port);
		}
	for (unsigned i = 0; i < 2; i++) {
		struct json_object *r = call(e.dev[i].port, sysinfo_req);
		char want[16];

		snprintf(want, sizeof(want), "Lamp %u", i + 1);
		ck_assert_str_eq(jstr(r, "system.get_sysinfo.alias"), want);
		json_object_put(r);
	}

	f = fopen(ready, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	ck_assert_str_eq(text, e.ready_text);
	emu_stop(&e, NULL);
	unlink(ready);
	unlink(devices);
	rmdir(dir);
}
END_TEST

START_TEST(test_cli_errors)
{
	/* argv[0] is filled in below. */
	static const char *bad[][6] = {
		{NULL, "-p", "0", "hs999", NULL},
		{NULL, "-p", "0", "hs100,fault=nope", NULL},
		{NULL, "-p", "0", "hs100,flaky=101", NULL},
		{NULL, "-p", "0", "hs100,colour=red", NULL},
		{NULL, "-p", "0", "hs100,brightness=50", NULL},
		{NULL, "-p", "0", "hs220,brightness=0", NULL},
		{NULL, "-p", "0", "hs220,brightness=101", NULL},
		{NULL, "-p", "0", "hs100,mac=50:C7:BF:00:00", NULL},
		{NULL, "-p", "0", "hs100,mac=50:C7:BF:00:00:0G", NULL},
		{NULL, "-p", "70000", NULL},
		{NULL, "-a", "not-an-address", NULL},
	};
	static const char *help[] = {NULL, "-h", NULL};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad[i][0] = emu_path();
	help[0] = emu_path();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(emu_run_status(bad[i]), 2);
	ck_assert_int_eq(emu_run_status(help), 0);
}
END_TEST

static Suite *emu_cli_suite(void)
{
	Suite *s = suite_create("kasa-emu cli");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cli_count_and_files);
	tcase_add_test(tc, test_cli_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(emu_cli_suite());
}
