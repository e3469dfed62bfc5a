/* SPDX-License-Identifier: MIT */
/*
 * The device service against real plugs: kasa-emu on loopback, the real
 * loop, registry and plug I/O.  What a front door sees: when the cache
 * answers, which outlet a verb reaches, the switch rate, cancellation, and
 * the watchers' events, device by device.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* By path: a plain "config.h" would find autoconf's at the top of the tree. */
#include "../../daemon/config.h"
#include "../../daemon/log.h"
#include "../../daemon/loop.h"
#include "../../daemon/plug.h"
#include "../../daemon/service.h"
#include "../lib/test-util.h"

#define WAIT_USEC (5 * 1000000ULL)

/* kasa-emu with one plug per spec, each on a port of its own. */
struct emu {
	pid_t pid;
	unsigned ports[8];
	unsigned n;
};

static void emu_start(struct emu *e, const char *const *specs)
{
	/* $KASA_EMU when set (make check-valgrind runs it under memcheck). */
	const char *path =
		getenv("KASA_EMU") && *getenv("KASA_EMU") ? getenv("KASA_EMU") : EMU_PATH;
	const char *argv[16] = {path, "-p", "0"};
	size_t argc = 3;
	char line[256];
	int fd[2];
	FILE *f;

	for (; *specs; specs++)
		argv[argc++] = *specs;
	ck_assert_int_eq(pipe(fd), 0);
	e->pid = fork();
	ck_assert_int_ge(e->pid, 0);
	if (e->pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	ck_assert_ptr_nonnull(f);
	/* "device INDEX MODEL ADDR:PORT ID" per plug, then "ready". */
	e->n = 0;
	while (fgets(line, sizeof(line), f) && strncmp(line, "ready", 5) != 0) {
		const char *colon = strrchr(line, ':');

		if (strncmp(line, "device ", 7) == 0 && colon && e->n < 8)
			e->ports[e->n++] = (unsigned)atoi(colon + 1);
	}
	fclose(f);
	ck_assert_uint_eq(e->n, argc - 3);
}

static void emu_stop(struct emu *e)
{
	int status;

	kill(e->pid, SIGTERM);
	ck_assert_int_eq(waitpid(e->pid, &status, 0), e->pid);
}

/* The loop, the inventory and the service over it, from a configuration
 * whose @0, @1, ... are the emulator's ports. */
struct fixture {
	struct emu emu;
	struct loop *loop;
	struct config *config;
	struct registry *reg;
	struct service *svc;
	/* What the callbacks saw. */
	unsigned done;
	struct service_result last;
	char last_name[64];
	unsigned changes;
	char changed[16][64];
	size_t changed_index[16];
};

static void setup(struct fixture *x, const char *const *specs, const char *tmpl)
{
	char text[2048];
	size_t n = 0;
	char *errors = NULL;
	struct service_settings s;

	memset(x, 0, sizeof(*x));
	emu_start(&x->emu, specs);
	for (const char *t = tmpl; *t && n < sizeof(text) - 8; t++) {
		if (t[0] == '@' && t[1] >= '0' && t[1] < '0' + (int)x->emu.n)
			n += (size_t)sprintf(text + n, "%u", x->emu.ports[*++t - '0']);
		else
			text[n++] = *t;
	}
	text[n] = '\0';
	ck_assert_msg(config_load_string(text, "t", &x->config, &errors) == 0, "%s",
		      errors ? errors : "");
	ck_assert_int_eq(loop_new(&x->loop), 0);
	ck_assert_int_eq(registry_new(x->loop, &x->reg), 0);
	ck_assert_int_eq(registry_apply(x->reg, x->config, NULL), 0);
	s = (struct service_settings){
		.request_timeout_usec = x->config->request_timeout_usec,
		.cache_max_age_usec = x->config->cache_max_age_usec,
		.switch_rate = x->config->switch_rate,
		.switch_burst = x->config->switch_burst,
	};
	ck_assert_int_eq(service_new(x->loop, x->reg, &s, &x->svc), 0);
}

static void teardown(struct fixture *x)
{
	service_free(x->svc);
	registry_free(x->reg);
	loop_free(x->loop);
	config_free(x->config);
	emu_stop(&x->emu);
}

static void on_done(const struct device *d, const struct service_result *res, void *userdata)
{
	struct fixture *x = userdata;

	x->done++;
	x->last = *res;
	snprintf(x->last_name, sizeof(x->last_name), "%s", d->name);
}

static void on_change(const struct device *d, void *userdata)
{
	struct fixture *x = userdata;

	if (x->changes < 16) {
		snprintf(x->changed[x->changes], sizeof(x->changed[0]), "%s", d->name);
		x->changed_index[x->changes] = d->index;
	}
	x->changes++;
}

/* Run the loop until *count reaches want, for at most WAIT_USEC. */
static void run_until(struct fixture *x, const unsigned *count, unsigned want)
{
	uint64_t deadline = loop_now(x->loop) + WAIT_USEC;

	while (*count < want) {
		uint64_t now = loop_now(x->loop);

		ck_assert_msg(now < deadline, "waited %u callbacks, saw %u", want, *count);
		ck_assert_int_ge(loop_iterate(x->loop, deadline - now), 0);
	}
}

/* Act and wait for the outcome; the result's error. */
static int act(struct fixture *x, const char *name, const struct service_action *a)
{
	const struct device *d = registry_find(x->reg, name);
	unsigned before = x->done;
	int r;

	ck_assert_ptr_nonnull(d);
	r = service_act(x->svc, d, a, on_done, x, NULL, NULL);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(x->done, before); /* never from inside the call */
	run_until(x, &x->done, before + 1);
	ck_assert_str_eq(x->last_name, name);
	return x->last.error;
}

static const char *const one_of_each[] = {"hs110v1", "hs100", "hs300", NULL};
static const char inventory[] = "[kasad]\n"
				"poll_interval = off\n"
				"switch_rate = 2\n"
				"switch_burst = 2\n"
				"[device \"kettle\"]\nhost = 127.0.0.1\nport = @0\n"
				"[device \"lamp\"]\nhost = 127.0.0.1\nport = @1\n"
				"[device \"strip\"]\nhost = 127.0.0.1\nport = @2\n"
				"[device \"desk\"]\nhost = 127.0.0.1\nport = @2\noutlet = 2\n";

START_TEST(test_read_cache_or_plug)
{
	struct fixture x;
	const struct device *d;

	setup(&x, one_of_each, inventory);
	d = registry_find(x.reg, "kettle");
	/* Never read: the plug is asked. */
	ck_assert(!service_state(d)->known);
	ck_assert_int_eq(act(&x, "kettle", &(struct service_action){.verb = SERVICE_READ}), 0);
	ck_assert(service_state(d)->known);
	ck_assert(service_state(d)->emeter_known);
	/* Fresh now: the cache answers at once, and no callback follows. */
	ck_assert_int_eq(service_act(x.svc, d, &(struct service_action){.verb = SERVICE_READ},
				     on_done, &x, NULL, NULL),
			 SERVICE_CACHED);
	ck_assert_int_eq(service_act(x.svc, d,
				     &(struct service_action){.verb = SERVICE_READ_EMETER}, on_done,
				     &x, NULL, NULL),
			 SERVICE_CACHED);
	/* Unless the caller wants the plug's word. */
	ck_assert_int_eq(
		act(&x, "kettle", &(struct service_action){.verb = SERVICE_READ, .fresh = true}),
		0);
	ck_assert_uint_eq(x.done, 2);
	teardown(&x);
}
END_TEST

START_TEST(test_no_meter)
{
	struct fixture x;
	const struct device *d;

	setup(&x, one_of_each, inventory);
	d = registry_find(x.reg, "lamp");
	ck_assert_int_eq(act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ}), 0);
	ck_assert(!service_state(d)->info.has_emeter);
	ck_assert_int_eq(service_act(x.svc, d,
				     &(struct service_action){.verb = SERVICE_READ_EMETER}, on_done,
				     &x, NULL, NULL),
			 API_ENOMETER);
	ck_assert_int_eq(service_act(x.svc, d,
				     &(struct service_action){
					     .verb = SERVICE_DAILY, .year = 2026, .month = 1},
				     on_done, &x, NULL, NULL),
			 API_ENOMETER);
	ck_assert_uint_eq(x.done, 1);
	teardown(&x);
}
END_TEST

/* A verb of an outlet device reaches that outlet; the strip's change is
 * an event for each device on it, in configuration order. */
START_TEST(test_outlet)
{
	struct fixture x;
	const struct device *strip, *desk;
	const struct plug_state *st;

	setup(&x, one_of_each, inventory);
	strip = registry_find(x.reg, "strip");
	desk = registry_find(x.reg, "desk");
	ck_assert_int_eq(service_watch(x.svc, on_change, &x, NULL), 0);
	ck_assert_int_eq(act(&x, "desk", &(struct service_action){.verb = SERVICE_READ}), 0);
	ck_assert_uint_eq(x.changes, 2);
	ck_assert_str_eq(x.changed[0], "strip");
	ck_assert_str_eq(x.changed[1], "desk");
	ck_assert_uint_eq(x.changed_index[0], strip->index);
	ck_assert_uint_eq(x.changed_index[1], desk->index);

	st = service_state(desk);
	ck_assert_uint_eq(st->info.outlet_count, 6);
	for (unsigned i = 0; i < 6; i++)
		ck_assert(!plug_state_on(st, (int)i));
	ck_assert_int_eq(
		act(&x, "desk", &(struct service_action){.verb = SERVICE_SWITCH, .on = true}), 0);
	ck_assert(plug_state_on(st, 2));
	ck_assert(!plug_state_on(st, 1) && !plug_state_on(st, 3));
	/* The strip as a whole is on when any outlet is. */
	ck_assert(plug_state_on(service_state(strip), -1));
	/* The plug's own word, read back: outlet 2 is on there too. */
	ck_assert_int_eq(
		act(&x, "strip", &(struct service_action){.verb = SERVICE_READ, .fresh = true}), 0);
	ck_assert(plug_state_on(st, 2) && !plug_state_on(st, 0));
	teardown(&x);
}
END_TEST

/* Two switches a minute in bursts of two: the third is refused at once,
 * saying how long to wait; reads are not counted. */
START_TEST(test_switch_rate)
{
	struct fixture x;
	const struct device *d;
	uint64_t wait = 0;

	setup(&x, one_of_each, inventory);
	d = registry_find(x.reg, "lamp");
	ck_assert_int_eq(
		act(&x, "lamp", &(struct service_action){.verb = SERVICE_SWITCH, .on = true}), 0);
	ck_assert_int_eq(act(&x, "lamp", &(struct service_action){.verb = SERVICE_TOGGLE}), 0);
	ck_assert(!plug_state_on(service_state(d), -1));
	ck_assert_int_eq(service_act(x.svc, d,
				     &(struct service_action){.verb = SERVICE_SWITCH, .on = true},
				     on_done, &x, NULL, &wait),
			 API_ESWITCH);
	/* 2 a minute: the next token comes within 30 s. */
	ck_assert_uint_gt(wait, 0);
	ck_assert_uint_le(wait, 30 * 1000000ULL);
	ck_assert_int_eq(
		act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ, .fresh = true}), 0);
	/* Another plug has a rate of its own. */
	ck_assert_int_eq(
		act(&x, "kettle", &(struct service_action){.verb = SERVICE_SWITCH, .on = true}), 0);
	teardown(&x);
}
END_TEST

/* A call cancelled before its job began: no callback, and the job is
 * dropped (the read queued after it finds the relay as it was). */
START_TEST(test_cancel)
{
	struct fixture x;
	const struct device *d;
	struct service_call *c = NULL;

	setup(&x, one_of_each, inventory);
	d = registry_find(x.reg, "kettle");
	ck_assert_int_eq(service_act(x.svc, d,
				     &(struct service_action){.verb = SERVICE_SWITCH, .on = true},
				     on_done, &x, &c, NULL),
			 0);
	ck_assert_ptr_nonnull(c);
	service_call_cancel(c);
	ck_assert_int_eq(
		act(&x, "kettle", &(struct service_action){.verb = SERVICE_READ, .fresh = true}),
		0);
	ck_assert_uint_eq(x.done, 1);
	ck_assert(service_state(d)->known);
	ck_assert(!plug_state_on(service_state(d), -1));
	teardown(&x);
}
END_TEST

/* Any number of watchers, each told in the order they came; one that
 * leaves is told no more. */
static void on_change_second(const struct device *d, void *userdata)
{
	struct fixture *x = userdata;

	/* The first watcher has been told already. */
	ck_assert_uint_gt(x->changes, 0);
	x->changes += 100;
}

START_TEST(test_watchers)
{
	struct fixture x;
	struct service_watch *w1 = NULL, *w2 = NULL;

	setup(&x, one_of_each, inventory);
	ck_assert_int_eq(service_watch(x.svc, on_change, &x, &w1), 0);
	ck_assert_int_eq(service_watch(x.svc, on_change_second, &x, &w2), 0);
	ck_assert_int_eq(act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ}), 0);
	ck_assert_uint_eq(x.changes, 101);
	service_unwatch(w1);
	x.changes = 1; /* as if the first had spoken, for the second's check */
	ck_assert_int_eq(
		act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ, .fresh = true}), 0);
	ck_assert_uint_eq(x.changes, 101);
	service_unwatch(w2);
	ck_assert_int_eq(
		act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ, .fresh = true}), 0);
	ck_assert_uint_eq(x.changes, 101);
	teardown(&x);
}
END_TEST

/* A plug that does not answer: the action's error is the plug's time-out,
 * and the cache is not made up. */
START_TEST(test_timeout)
{
	static const char *const dead[] = {"hs100,fault=blackhole", NULL};
	struct fixture x;
	const struct device *d;

	setup(&x, dead,
	      "[kasad]\npoll_interval = off\nrequest_timeout = 200ms\n"
	      "[device \"void\"]\nhost = 127.0.0.1\nport = @0\n");
	d = registry_find(x.reg, "void");
	ck_assert_int_eq(act(&x, "void", &(struct service_action){.verb = SERVICE_READ}),
			 -ETIMEDOUT);
	ck_assert(!service_state(d)->known);
	teardown(&x);
}
END_TEST

/* registry_apply() of text, as a reload does; its device name. */
static struct device *reload(struct fixture *x, const char *text, const char *name)
{
	struct config *c;
	char *errors = NULL;

	ck_assert_msg(config_load_string(text, "reload", &c, &errors) == 0, "%s",
		      errors ? errors : "");
	ck_assert_int_eq(registry_apply(x->reg, c, NULL), 0);
	config_free(x->config);
	x->config = c;
	return registry_find(x->reg, name);
}

/* A plug named by its MAC: nowhere until discovery finds it (plug_move()),
 * then served there; a reload keeps where it was found unless the file
 * itself names another place. */
START_TEST(test_mac_plug)
{
	static const char *const specs[] = {"hs100,mac=50:C7:BF:00:00:0A", "hs110v1", NULL};
	struct fixture x;
	struct device *d;
	struct plug *p;
	char text[512];

	setup(&x, specs,
	      "[kasad]\npoll_interval = off\ndiscover = 127.0.0.1:@0\n"
	      "[device \"lamp\"]\nmac = 50-c7-bf-00-00-0a\n");
	d = registry_find(x.reg, "lamp");
	p = d->plug;
	ck_assert_ptr_null(plug_host(p));
	ck_assert_str_eq(plug_mac(p), "50:C7:BF:00:00:0A");
	ck_assert_int_eq(service_state(d)->last_error, API_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(service_state(d)->last_error_text, "not found yet"));
	/* Refused at once: nowhere to ask. */
	ck_assert_int_eq(service_act(x.svc, d, &(struct service_action){.verb = SERVICE_READ},
				     on_done, &x, NULL, NULL),
			 API_ENOTFOUND);
	ck_assert_int_eq(plug_move(p, "127.0.0.1", 0, 0, false), -EINVAL);

	/* Found: there from now on, and the next move there is none. */
	ck_assert_int_eq(plug_move(p, "127.0.0.1", (uint16_t)x.emu.ports[0], 0, false), 1);
	ck_assert_str_eq(plug_host(p), "127.0.0.1");
	ck_assert_uint_eq(plug_port(p), x.emu.ports[0]);
	ck_assert_int_eq(service_state(d)->last_error, 0);
	ck_assert_int_eq(plug_move(p, "127.0.0.1", (uint16_t)x.emu.ports[0], 0, false), 0);
	ck_assert_int_eq(act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ}), 0);
	ck_assert_str_eq(service_state(d)->info.mac, "50:C7:BF:00:00:0A");

	/* A reload of the same file: the same plug, where it was found. */
	snprintf(text, sizeof(text),
		 "[kasad]\npoll_interval = off\ndiscover = 127.0.0.1:%u\n"
		 "[device \"lamp\"]\nmac = 50:C7:BF:00:00:0A\n",
		 x.emu.ports[0]);
	d = reload(&x, text, "lamp");
	ck_assert_ptr_eq(d->plug, p);
	ck_assert_str_eq(plug_host(p), "127.0.0.1");
	ck_assert_uint_eq(plug_port(p), x.emu.ports[0]);
	ck_assert_int_eq(
		act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ, .fresh = true}), 0);

	/* The file names a place now: the plug goes there (the other plug, so
	 * that the move shows). */
	snprintf(text, sizeof(text),
		 "[device \"lamp\"]\nmac = 50:C7:BF:00:00:0A\nhost = 127.0.0.1\nport = %u\n",
		 x.emu.ports[1]);
	d = reload(&x, text, "lamp");
	ck_assert_ptr_eq(d->plug, p);
	ck_assert_uint_eq(plug_port(p), x.emu.ports[1]);
	ck_assert_int_eq(
		act(&x, "lamp", &(struct service_action){.verb = SERVICE_READ, .fresh = true}), 0);
	ck_assert_str_eq(service_state(d)->info.model, "HS110(EU)");
	teardown(&x);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_read_cache_or_plug);
	tcase_add_test(tc, test_no_meter);
	tcase_add_test(tc, test_outlet);
	tcase_add_test(tc, test_switch_rate);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_watchers);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_mac_plug);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	log_init(LOG_ERR);
	return test_run(suite());
}
