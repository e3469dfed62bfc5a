/* SPDX-License-Identifier: MIT */
/*
 * The routes of the REST API, in one table: the methods each takes, its
 * path template, the scope a token needs for it, its handler (in api.c,
 * api-verbs.c or api-rules.c), and whether it answers while kasad is
 * stopping.  Dispatch, the 404s and 405s, the metrics' route label and the
 * scope admission asks for all come from that table.
 */
#ifndef KASAD_ROUTES_H
#define KASAD_ROUTES_H

#include <stdbool.h>

#include "auth.h"
#include "http.h"

struct api;
struct device;

/* A route's method set. */
#define ROUTE_GET    (1u << 0) /* GET and HEAD */
#define ROUTE_CHANGE (1u << 1) /* POST and PUT */
#define ROUTE_DELETE (1u << 2) /* DELETE */

/* d is the device of the path's {name}, NULL for routes without one. */
typedef void (*route_handler_t)(struct api *a, struct http_request *req, struct device *d);

struct route {
	unsigned methods;
	const char *template; /* "/devices/{name}/on"; {file}: a file of web/ */
	enum auth_scope scope;
	route_handler_t handler;
	bool while_stopping;
	bool file; /* served only when the path names a file of web/ exactly */
};

/* A path split at its slashes (empty parts dropped), in its own buffer. */
#define ROUTE_PARTS_MAX 5
struct route_path {
	char buf[256];
	const char *part[ROUTE_PARTS_MAX];
	unsigned n;
};

/* -EINVAL when the path is too long, has too many parts, or is no path. */
int routes_split(const char *path, struct route_path *ret);

struct route_match {
	const struct route *route; /* NULL: answer error */
	const char *template;	   /* the template the path matched (static), NULL for none */
	const char *name;	   /* the {name} part (borrowed from the path), or NULL */
	enum auth_scope scope;	   /* what a token needs, whatever the answer */
	bool while_stopping;	   /* what the path names answers while stopping */
	int error;		   /* API_ENOROUTE, or API_EMETHOD with allow */
	const char *allow;	   /* static */
};

/*
 * The route for method m on path (p its split).  A request no route takes
 * needs the most that any route of the deepest template it falls under
 * needs, but a read never more than AUTH_READ: a token that may do
 * something hears 405 or 404, one that may not hears 401 or 403 first.
 */
void routes_match(enum http_method m, const char *path, const struct route_path *p,
		  struct route_match *ret);

/* The handlers, in api.c, api-verbs.c and api-rules.c. */
void api_route_file(struct api *a, struct http_request *req, struct device *d);
void api_route_healthz(struct api *a, struct http_request *req, struct device *d);
void api_route_list(struct api *a, struct http_request *req, struct device *d);
void api_route_discovered(struct api *a, struct http_request *req, struct device *d);
void api_route_history(struct api *a, struct http_request *req, struct device *d);
void api_route_metrics(struct api *a, struct http_request *req, struct device *d);
void api_route_events(struct api *a, struct http_request *req, struct device *d);
void api_route_status(struct api *a, struct http_request *req, struct device *d);
void api_route_on(struct api *a, struct http_request *req, struct device *d);
void api_route_off(struct api *a, struct http_request *req, struct device *d);
void api_route_toggle(struct api *a, struct http_request *req, struct device *d);
void api_route_state(struct api *a, struct http_request *req, struct device *d);
void api_route_set_state(struct api *a, struct http_request *req, struct device *d);
void api_route_emeter(struct api *a, struct http_request *req, struct device *d);
void api_route_daily(struct api *a, struct http_request *req, struct device *d);
void api_route_monthly(struct api *a, struct http_request *req, struct device *d);
void api_route_led(struct api *a, struct http_request *req, struct device *d);
void api_route_brightness(struct api *a, struct http_request *req, struct device *d);
void api_route_alias(struct api *a, struct http_request *req, struct device *d);
void api_route_reboot(struct api *a, struct http_request *req, struct device *d);
void api_route_countdown(struct api *a, struct http_request *req, struct device *d);
void api_route_set_countdown(struct api *a, struct http_request *req, struct device *d);
void api_route_clear_countdown(struct api *a, struct http_request *req, struct device *d);
void api_route_schedule(struct api *a, struct http_request *req, struct device *d);
void api_route_add_schedule(struct api *a, struct http_request *req, struct device *d);
void api_route_delete_schedule(struct api *a, struct http_request *req, struct device *d);
void api_route_time(struct api *a, struct http_request *req, struct device *d);
void api_route_set_time(struct api *a, struct http_request *req, struct device *d);

#endif
