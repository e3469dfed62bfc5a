/* SPDX-License-Identifier: MIT */
/* The route table: every documented route resolves to its handler with its
 * scope and method set; what is no route gives 404 or 405 with the right
 * Allow, and the scope a token needs all the same. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../daemon/errors.h"
#include "../../daemon/routes.h"
#include "../lib/test-util.h"
#include "common/macro.h"

struct expect {
	enum http_method m;
	const char *path;
	route_handler_t handler; /* NULL: an error */
	const char *template;	 /* the metrics' label */
	enum auth_scope scope;
	int error;
	const char *allow;
	const char *name;
	bool while_stopping;
};

#define DEV "/devices/kettle"

static const struct expect routes[] = {
	/* Every documented route, with every method it takes. */
	{HTTP_GET, "/", api_route_file, "/", AUTH_NONE, 0, NULL, NULL, true},
	{HTTP_HEAD, "/app.js", api_route_file, "/{file}", AUTH_NONE, 0, NULL, NULL, true},
	{HTTP_GET, "/openapi.json", api_route_file, "/{file}", AUTH_NONE, 0, NULL, NULL, true},
	{HTTP_GET, "/healthz", api_route_healthz, "/healthz", AUTH_NONE, 0, NULL, NULL, true},
	{HTTP_HEAD, "/healthz", api_route_healthz, "/healthz", AUTH_NONE, 0, NULL, NULL, true},
	{HTTP_GET, "/devices", api_route_list, "/devices", AUTH_READ, 0, NULL, NULL, false},
	{HTTP_GET, "/metrics", api_route_metrics, "/metrics", AUTH_READ, 0, NULL, NULL, false},
	{HTTP_GET, "/events", api_route_events, "/events", AUTH_READ, 0, NULL, NULL, false},
	{HTTP_GET, DEV, api_route_status, "/devices/{name}", AUTH_READ, 0, NULL, "kettle", false},
	{HTTP_HEAD, DEV "/status", api_route_status, "/devices/{name}/status", AUTH_READ, 0, NULL,
	 "kettle", false},
	{HTTP_POST, DEV "/on", api_route_on, "/devices/{name}/on", AUTH_CONTROL, 0, NULL, "kettle",
	 false},
	{HTTP_PUT, DEV "/off", api_route_off, "/devices/{name}/off", AUTH_CONTROL, 0, NULL,
	 "kettle", false},
	{HTTP_POST, DEV "/toggle", api_route_toggle, "/devices/{name}/toggle", AUTH_CONTROL, 0,
	 NULL, "kettle", false},
	{HTTP_GET, DEV "/state", api_route_state, "/devices/{name}/state", AUTH_READ, 0, NULL,
	 "kettle", false},
	{HTTP_PUT, DEV "/state", api_route_set_state, "/devices/{name}/state", AUTH_CONTROL, 0,
	 NULL, "kettle", false},
	{HTTP_GET, DEV "/emeter", api_route_emeter, "/devices/{name}/emeter", AUTH_READ, 0, NULL,
	 "kettle", false},
	{HTTP_GET, DEV "/emeter/daily", api_route_daily, "/devices/{name}/emeter/daily", AUTH_READ,
	 0, NULL, "kettle", false},
	{HTTP_HEAD, DEV "/emeter/monthly", api_route_monthly, "/devices/{name}/emeter/monthly",
	 AUTH_READ, 0, NULL, "kettle", false},
	{HTTP_POST, DEV "/led", api_route_led, "/devices/{name}/led", AUTH_CONTROL, 0, NULL,
	 "kettle", false},
	{HTTP_POST, DEV "/alias", api_route_alias, "/devices/{name}/alias", AUTH_ADMIN, 0, NULL,
	 "kettle", false},
	{HTTP_PUT, DEV "/reboot", api_route_reboot, "/devices/{name}/reboot", AUTH_ADMIN, 0, NULL,
	 "kettle", false},
	/* Slashes doubled or trailing are still the route. */
	{HTTP_GET, "//devices//kettle/", api_route_status, "/devices/{name}", AUTH_READ, 0, NULL,
	 "kettle", false},

	/* Methods a route does not take: 405 with its Allow, and the scope of
	 * what the path names (a read never more than read). */
	{HTTP_DELETE, "/healthz", NULL, "/healthz", AUTH_NONE, API_EMETHOD, "GET, HEAD", NULL,
	 true},
	{HTTP_POST, "/devices", NULL, "/devices", AUTH_READ, API_EMETHOD, "GET, HEAD", false,
	 false},
	{HTTP_PUT, "/metrics", NULL, "/metrics", AUTH_READ, API_EMETHOD, "GET, HEAD", false, false},
	{HTTP_POST, "/app.js", NULL, "/{file}", AUTH_NONE, API_EMETHOD, "GET, HEAD", NULL, true},
	{HTTP_GET, DEV "/on", NULL, "/devices/{name}/on", AUTH_READ, API_EMETHOD, "POST, PUT",
	 "kettle", false},
	{HTTP_DELETE, DEV "/on", NULL, "/devices/{name}/on", AUTH_CONTROL, API_EMETHOD, "POST, PUT",
	 "kettle", false},
	{HTTP_HEAD, DEV "/alias", NULL, "/devices/{name}/alias", AUTH_READ, API_EMETHOD,
	 "POST, PUT", "kettle", false},
	{HTTP_PATCH, DEV "/reboot", NULL, "/devices/{name}/reboot", AUTH_ADMIN, API_EMETHOD,
	 "POST, PUT", "kettle", false},
	{HTTP_DELETE, DEV "/state", NULL, "/devices/{name}/state", AUTH_CONTROL, API_EMETHOD,
	 "GET, HEAD, POST, PUT", "kettle", false},
	{HTTP_OPTIONS, DEV "/state", NULL, "/devices/{name}/state", AUTH_CONTROL, API_EMETHOD,
	 "GET, HEAD, POST, PUT", "kettle", false},
	{HTTP_POST, DEV, NULL, "/devices/{name}", AUTH_READ, API_EMETHOD, "GET, HEAD", "kettle",
	 false},
	{HTTP_POST, DEV "/emeter/daily", NULL, "/devices/{name}/emeter/daily", AUTH_READ,
	 API_EMETHOD, "GET, HEAD", "kettle", false},
	/* emeter's sub-routes check the method before their last part. */
	{HTTP_DELETE, DEV "/emeter/weekly", NULL, NULL, AUTH_READ, API_EMETHOD, "GET, HEAD",
	 "kettle", false},
	{HTTP_GET, DEV "/emeter/weekly", NULL, NULL, AUTH_READ, API_ENOROUTE, NULL, "kettle",
	 false},

	/* Paths that are no route: 404, and still the scope of where they
	 * fall, so that a token too small hears 401 or 403 first. */
	{HTTP_GET, "/nope", NULL, NULL, AUTH_NONE, API_ENOROUTE, NULL, NULL, false},
	{HTTP_POST, "/nope/deeper", NULL, NULL, AUTH_NONE, API_ENOROUTE, NULL, NULL, false},
	{HTTP_GET, "/healthz/x", NULL, NULL, AUTH_NONE, API_ENOROUTE, NULL, NULL, false},
	{HTTP_GET, "/metrics/x", NULL, NULL, AUTH_READ, API_ENOROUTE, NULL, NULL, false},
	{HTTP_GET, "/app.js/x", NULL, NULL, AUTH_NONE, API_ENOROUTE, NULL, NULL, false},
	{HTTP_GET, DEV "/bogus", NULL, NULL, AUTH_READ, API_ENOROUTE, NULL, "kettle", false},
	{HTTP_DELETE, DEV "/bogus", NULL, NULL, AUTH_READ, API_ENOROUTE, NULL, "kettle", false},
	{HTTP_POST, DEV "/on/extra", NULL, NULL, AUTH_CONTROL, API_ENOROUTE, NULL, "kettle", false},
	{HTTP_GET, DEV "/on/extra", NULL, NULL, AUTH_READ, API_ENOROUTE, NULL, "kettle", false},
	{HTTP_POST, DEV "/alias/x", NULL, NULL, AUTH_ADMIN, API_ENOROUTE, NULL, "kettle", false},
	{HTTP_GET, DEV "/emeter/daily/x", NULL, NULL, AUTH_READ, API_ENOROUTE, NULL, "kettle",
	 false},
	{HTTP_POST, DEV "/a/b/c", NULL, NULL, AUTH_READ, API_ENOROUTE, NULL, "kettle", false},
	/* The labels of files are "/" and "/{file}", but only the file's own
	 * path serves it. */
	{HTTP_GET, "//", NULL, "/", AUTH_NONE, API_ENOROUTE, NULL, NULL, false},
	{HTTP_GET, "//app.js", NULL, "/{file}", AUTH_NONE, API_ENOROUTE, NULL, NULL, false},
	{HTTP_DELETE, "/app.js/", NULL, "/{file}", AUTH_NONE, API_ENOROUTE, NULL, NULL, false},
};

/* e, its path split into *p. */
static void check_in(const struct expect *e, struct route_path *p)
{
	struct route_match m;
	char what[300];

	snprintf(what, sizeof(what), "method %d %s", e->m, e->path);
	ck_assert_msg(routes_split(e->path, p) == 0, "%s: does not split", what);
	routes_match(e->m, e->path, p, &m);
	ck_assert_msg(m.route ? m.route->handler == e->handler : !e->handler, "%s: handler", what);
	if (e->template)
		ck_assert_msg(m.template && strcmp(m.template, e->template) == 0,
			      "%s: template %s, not %s", what, m.template ? m.template : "NULL",
			      e->template);
	else
		ck_assert_msg(!m.template, "%s: template %s", what, m.template);
	ck_assert_msg(m.scope == e->scope, "%s: scope %d, not %d", what, m.scope, e->scope);
	ck_assert_msg(m.error == e->error, "%s: error %d, not %d", what, m.error, e->error);
	if (e->allow)
		ck_assert_msg(m.allow && strcmp(m.allow, e->allow) == 0, "%s: Allow %s", what,
			      m.allow ? m.allow : "NULL");
	else
		ck_assert_msg(!m.allow, "%s: Allow %s", what, m.allow);
	if (e->name)
		ck_assert_msg(m.name && strcmp(m.name, e->name) == 0 && m.name >= p->buf &&
				      m.name < p->buf + sizeof(p->buf),
			      "%s: name, in this path's split", what);
	else
		ck_assert_msg(!m.name, "%s: name %s", what, m.name);
	ck_assert_msg(m.while_stopping == e->while_stopping, "%s: while_stopping", what);
}

static void check(const struct expect *e)
{
	struct route_path p;

	check_in(e, &p);
}

START_TEST(table)
{
	check(&routes[_i]);
}
END_TEST

/* The same request twice, as a client polling asks: the second answer (the
 * last match remembered) is the first's, its name in the second split. */
START_TEST(again)
{
	struct route_path a, b;

	check_in(&routes[_i], &a);
	memset(&a, 'x', sizeof(a));
	check_in(&routes[_i], &b);
	/* And one request in between. */
	check(&routes[(_i + 1) % ARRAY_SIZE(routes)]);
	check_in(&routes[_i], &a);
}
END_TEST

START_TEST(split)
{
	struct route_path p;
	char longpath[300];

	ck_assert_int_eq(routes_split("/a/b/c/d/e", &p), 0);
	ck_assert_uint_eq(p.n, 5);
	ck_assert_str_eq(p.part[4], "e");
	ck_assert_int_eq(routes_split("/a/b/c/d/e/f", &p), -EINVAL);
	ck_assert_int_eq(routes_split("devices", &p), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(routes_split(longpath, &p), -EINVAL);
	ck_assert_int_eq(routes_split("/", &p), 0);
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("all");

	tcase_add_loop_test(tc, table, 0, (int)ARRAY_SIZE(routes));
	tcase_add_loop_test(tc, again, 0, (int)ARRAY_SIZE(routes));
	tcase_add_test(tc, split);
	suite_add_tcase(s, tc);
	return test_run(s);
}
