/* SPDX-License-Identifier: MIT */
/*
 * The REST API's handlers of what the plug keeps by itself: its countdown,
 * its schedule and its clock.  Their bodies are read by rulebody.c and the
 * answers rendered by render-rules.c; each acts through the device service
 * (api-private.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "api-private.h"
#include "errors.h"
#include "http.h"
#include "routes.h"
#include "rulebody.h"

void api_route_countdown(struct api *a, struct http_request *req, struct device *d)
{
	api_act(a, req, d, &(struct service_action){.verb = SERVICE_COUNTDOWN},
		API_ANSWER_COUNTDOWN);
}

void api_route_set_countdown(struct api *a, struct http_request *req, struct device *d)
{
	struct service_action action = {.verb = SERVICE_COUNTDOWN_SET};
	char why[128];

	if (rulebody_countdown(http_request_body(req, NULL), &action.seconds, &action.on, why,
			       sizeof(why)) < 0) {
		errors_reply(req, API_EBADREQ, d->name, NULL, "%s", why);
		return;
	}
	api_act(a, req, d, &action, API_ANSWER_COUNTDOWN);
}

void api_route_clear_countdown(struct api *a, struct http_request *req, struct device *d)
{
	api_act(a, req, d, &(struct service_action){.verb = SERVICE_COUNTDOWN_CLEAR},
		API_ANSWER_COUNTDOWN);
}

void api_route_schedule(struct api *a, struct http_request *req, struct device *d)
{
	api_act(a, req, d, &(struct service_action){.verb = SERVICE_SCHEDULE}, API_ANSWER_SCHEDULE);
}

void api_route_add_schedule(struct api *a, struct http_request *req, struct device *d)
{
	struct service_action action = {.verb = SERVICE_SCHEDULE_ADD};
	char why[128];

	if (rulebody_schedule(http_request_body(req, NULL), &action.rule, why, sizeof(why)) < 0) {
		errors_reply(req, API_EBADREQ, d->name, NULL, "%s", why);
		return;
	}
	api_act(a, req, d, &action, API_ANSWER_SCHEDULE);
}

/* ?id=ID removes one rule, ?all=1 every one; neither is a mistake, not
 * "all". */
void api_route_delete_schedule(struct api *a, struct http_request *req, struct device *d)
{
	struct service_action action = {.verb = SERVICE_SCHEDULE_DELETE};
	const char *id = http_request_query(req, "id"), *all = http_request_query(req, "all");

	if (id && !all && *id && strlen(id) < sizeof(action.rule_id)) {
		for (const char *k = id; *k; k++)
			if ((unsigned char)*k < 0x20 || *k == 0x7f) {
				id = NULL;
				break;
			}
	}
	if (!id == !all || (id && (!*id || strlen(id) >= sizeof(action.rule_id))) ||
	    (all && !streq(all, "1"))) {
		errors_reply(req, API_EBADREQ, d->name, NULL,
			     "say which rule: ?id=ID (as GET lists them), or ?all=1");
		return;
	}
	if (id)
		snprintf(action.rule_id, sizeof(action.rule_id), "%s", id);
	api_act(a, req, d, &action, API_ANSWER_SCHEDULE);
}

void api_route_time(struct api *a, struct http_request *req, struct device *d)
{
	api_act(a, req, d, &(struct service_action){.verb = SERVICE_TIME}, API_ANSWER_TIME);
}

void api_route_set_time(struct api *a, struct http_request *req, struct device *d)
{
	struct service_action action = {.verb = SERVICE_TIME_SET};
	char why[128];

	if (rulebody_time(http_request_body(req, NULL), &action.zone, why, sizeof(why)) < 0) {
		errors_reply(req, API_EBADREQ, d->name, NULL, "%s", why);
		return;
	}
	api_act(a, req, d, &action, API_ANSWER_TIME);
}
