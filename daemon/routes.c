/* SPDX-License-Identifier: MIT */
/*
 * The route table and the matching of a path against it.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "errors.h"
#include "routes.h"
#include "web.h"

static const struct route routes[] = {
	{ROUTE_GET, "/", AUTH_NONE, api_route_file, true, true},
	{ROUTE_GET, "/healthz", AUTH_NONE, api_route_healthz, true, false},
	{ROUTE_GET, "/devices", AUTH_READ, api_route_list, false, false},
	{ROUTE_GET, "/discovered", AUTH_READ, api_route_discovered, false, false},
	{ROUTE_GET, "/metrics", AUTH_READ, api_route_metrics, false, false},
	{ROUTE_GET, "/events", AUTH_READ, api_route_events, false, false},
	{ROUTE_GET, "/{file}", AUTH_NONE, api_route_file, true, true},
	{ROUTE_GET, "/devices/{name}", AUTH_READ, api_route_status, false, false},
	{ROUTE_GET, "/devices/{name}/status", AUTH_READ, api_route_status, false, false},
	{ROUTE_CHANGE, "/devices/{name}/on", AUTH_CONTROL, api_route_on, false, false},
	{ROUTE_CHANGE, "/devices/{name}/off", AUTH_CONTROL, api_route_off, false, false},
	{ROUTE_CHANGE, "/devices/{name}/toggle", AUTH_CONTROL, api_route_toggle, false, false},
	{ROUTE_GET, "/devices/{name}/state", AUTH_READ, api_route_state, false, false},
	{ROUTE_CHANGE, "/devices/{name}/state", AUTH_CONTROL, api_route_set_state, false, false},
	{ROUTE_GET, "/devices/{name}/emeter", AUTH_READ, api_route_emeter, false, false},
	{ROUTE_GET, "/devices/{name}/emeter/daily", AUTH_READ, api_route_daily, false, false},
	{ROUTE_GET, "/devices/{name}/emeter/monthly", AUTH_READ, api_route_monthly, false, false},
	{ROUTE_GET, "/devices/{name}/history", AUTH_READ, api_route_history, false, false},
	{ROUTE_CHANGE, "/devices/{name}/led", AUTH_CONTROL, api_route_led, false, false},
	{ROUTE_CHANGE, "/devices/{name}/brightness", AUTH_CONTROL, api_route_brightness, false,
	 false},
	{ROUTE_CHANGE, "/devices/{name}/alias", AUTH_ADMIN, api_route_alias, false, false},
	{ROUTE_CHANGE, "/devices/{name}/reboot", AUTH_ADMIN, api_route_reboot, false, false},
	{ROUTE_GET, "/devices/{name}/countdown", AUTH_READ, api_route_countdown, false, false},
	{ROUTE_CHANGE, "/devices/{name}/countdown", AUTH_CONTROL, api_route_set_countdown, false,
	 false},
	{ROUTE_DELETE, "/devices/{name}/countdown", AUTH_CONTROL, api_route_clear_countdown, false,
	 false},
	{ROUTE_GET, "/devices/{name}/schedule", AUTH_READ, api_route_schedule, false, false},
	{ROUTE_CHANGE, "/devices/{name}/schedule", AUTH_CONTROL, api_route_add_schedule, false,
	 false},
	{ROUTE_DELETE, "/devices/{name}/schedule", AUTH_CONTROL, api_route_delete_schedule, false,
	 false},
	{ROUTE_GET, "/devices/{name}/time", AUTH_READ, api_route_time, false, false},
	{ROUTE_CHANGE, "/devices/{name}/time", AUTH_ADMIN, api_route_set_time, false, false},
};

int routes_split(const char *path, struct route_path *ret)
{
	size_t len = strlen(path);
	char *s, *save = NULL;

	if (len >= sizeof(ret->buf) || path[0] != '/')
		return -EINVAL;
	memcpy(ret->buf, path, len + 1);
	ret->n = 0;
	for (s = strtok_r(ret->buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (ret->n == ARRAY_SIZE(ret->part))
			return -EINVAL;
		ret->part[ret->n++] = s;
	}
	return 0;
}

/* Is part, the path's last, a file of web/? */
static bool names_file(const char *part)
{
	char file[sizeof(((struct route_path *)0)->buf) + 1];

	snprintf(file, sizeof(file), "/%s", part);
	return web_find(file) != NULL;
}

/* Is the literal segment s (up to its '/' or end) part? */
static bool literal_is(const char *s, const char *part)
{
	while (*s && *s != '/' && *s == *part) {
		s++;
		part++;
	}
	return (!*s || *s == '/') && !*part;
}

/* A template's segments, found once. */
struct template
{
	unsigned n;
	unsigned wild; /* which segments are {...} */
	unsigned file; /* which are {file}: a last part that names a file of web/ */
	const char *segment[ROUTE_PARTS_MAX];
};

static struct template templates[ARRAY_SIZE(routes)];
static bool templates_parsed;
/* By a path's number of parts, the routes no longer than it, in the
 * table's order: all that can match it or a prefix of it. */
static unsigned char candidates[ROUTE_PARTS_MAX + 1][ARRAY_SIZE(routes)];
static unsigned n_candidates[ROUTE_PARTS_MAX + 1];
_Static_assert(ARRAY_SIZE(routes) <= 256, "a route's index fits candidates[][]");

static void parse_templates(void)
{
	templates_parsed = true;
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		struct template *tp = &templates[i];

		for (const char *t = routes[i].template; t[0] == '/' && t[1];
		     t = strchrnul(t + 1, '/')) {
			assert(tp->n < ROUTE_PARTS_MAX);
			if (t[1] == '{')
				tp->wild |= 1u << tp->n;
			if (strncmp(t + 1, "{file}", strlen("{file}")) == 0)
				tp->file |= 1u << tp->n;
			tp->segment[tp->n++] = t + 1;
		}
		for (unsigned n = tp->n; n <= ROUTE_PARTS_MAX; n++)
			candidates[n][n_candidates[n]++] = (unsigned char)i;
	}
}

/* How many of a template's segments, from the first, the path's parts
 * match; *ret_name: the part its {name} took.  A {...} other than {file}
 * takes any part. */
static unsigned match_segments(const struct template *tp, const struct route_path *p,
			       const char **ret_name)
{
	unsigned k;

	*ret_name = NULL;
	for (k = 0; k < tp->n && k < p->n; k++) {
		unsigned bit = 1u << k;

		if (tp->file & bit) {
			if (k + 1 != p->n || !names_file(p->part[k]))
				break;
		} else if (tp->wild & bit) {
			*ret_name = p->part[k];
		} else if (!literal_is(tp->segment[k], p->part[k])) {
			break;
		}
	}
	return k;
}

static bool takes(unsigned methods, enum http_method m)
{
	return ((methods & ROUTE_GET) && (m == HTTP_GET || m == HTTP_HEAD)) ||
	       ((methods & ROUTE_CHANGE) && (m == HTTP_POST || m == HTTP_PUT)) ||
	       ((methods & ROUTE_DELETE) && m == HTTP_DELETE);
}

static const char *allow_of(unsigned methods)
{
	/* By the method set's bits: GET 1, CHANGE 2, DELETE 4. */
	static const char *const allow[] = {
		NULL,	     "GET, HEAD",	 "POST, PUT",	      "GET, HEAD, POST, PUT",
		"DELETE", "GET, HEAD, DELETE", "POST, PUT, DELETE", "GET, HEAD, POST, PUT, DELETE",
	};

	return allow[methods & 7];
}

/*
 * One pass over the table: the routes of the whole path (exact), the
 * deepest template that is a prefix of it (its scope and {name}), and the
 * sub-routes of a literal parent ("/devices/{name}/emeter/..."), whose
 * method is checked before their last part is: DELETE .../emeter/weekly
 * is a 405, GET .../emeter/weekly a 404.
 */
static void match(enum http_method m, const char *path, const struct route_path *p,
		  struct route_match *ret)
{
	unsigned exact = 0, children = 0;
	int deepest = -1;
	enum auth_scope deep_scope = AUTH_NONE;

	*ret = (struct route_match){.error = API_ENOROUTE};
	if (!templates_parsed)
		parse_templates();
	for (unsigned c = 0; c < n_candidates[p->n]; c++) {
		unsigned i = candidates[p->n][c];
		const struct route *r = &routes[i];
		unsigned n = templates[i].n, wild = templates[i].wild;
		const char *name;
		unsigned k = match_segments(&templates[i], p, &name);

		if (k == n && (int)n > deepest) {
			deepest = (int)n;
			deep_scope = r->scope;
			ret->name = name;
		} else if (k == n && (int)n == deepest && r->scope > deep_scope) {
			deep_scope = r->scope;
		}
		if (k == n && n == p->n) {
			if (!ret->template)
				ret->template = r->template;
			if (r->file && !web_find(path))
				continue;
			exact |= r->methods;
			ret->while_stopping |= r->while_stopping;
			if (!ret->route && takes(r->methods, m))
				ret->route = r;
		} else if (n == p->n && n >= 2 && k == n - 1 && !(wild & (1u << (n - 2)))) {
			children |= r->methods;
		}
	}
	if (ret->route) {
		ret->scope = ret->route->scope;
		ret->error = 0;
		return;
	}
	ret->scope = deep_scope;
	if ((m == HTTP_GET || m == HTTP_HEAD) && ret->scope > AUTH_READ)
		ret->scope = AUTH_READ;
	if (exact)
		ret->allow = allow_of(exact);
	else if (children && !takes(children, m))
		ret->allow = allow_of(children);
	if (ret->allow)
		ret->error = API_EMETHOD;
}

/* The last match, for the next request of the same method and path: a
 * client polling one device asks the same again and again. */
static struct {
	enum http_method method;
	char path[sizeof(((struct route_path *)0)->buf)];
	struct route_match match;
	int name_part; /* the part match.name is, or -1 */
} last = {.path = ""};

void routes_match(enum http_method m, const char *path, const struct route_path *p,
		  struct route_match *ret)
{
	size_t len;

	if (m == last.method && last.path[0] && streq(path, last.path)) {
		*ret = last.match;
		ret->name = last.name_part >= 0 ? p->part[last.name_part] : NULL;
		return;
	}
	match(m, path, p, ret);
	len = strlen(path);
	if (len >= sizeof(last.path))
		return;
	last.method = m;
	memcpy(last.path, path, len + 1);
	last.match = *ret;
	last.name_part = -1;
	for (unsigned i = 0; i < p->n; i++)
		if (ret->name == p->part[i])
			last.name_part = (int)i;
}
