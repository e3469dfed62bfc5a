/* SPDX-License-Identifier: MIT */
/*
 * The REST API's handlers of a device's own verbs: switch it (on, off,
 * toggle, a state set), its LED, a dimmer's brightness, its alias, a
 * reboot.  Their bodies are read by devbody.c; each acts through the
 * device service and answers with the device (api-private.h).
 */
#include <errno.h>

#include "api-private.h"
#include "devbody.h"
#include "errors.h"
#include "http.h"
#include "routes.h"

static void route_switch(struct api *a, struct http_request *req, struct device *d, int on,
			 bool toggle)
{
	struct service_action action = {
		.verb = toggle ? SERVICE_TOGGLE : SERVICE_SWITCH,
		.on = on == 1,
	};

	api_act(a, req, d, &action, API_ANSWER_DEVICE);
}

void api_route_on(struct api *a, struct http_request *req, struct device *d)
{
	route_switch(a, req, d, 1, false);
}

void api_route_off(struct api *a, struct http_request *req, struct device *d)
{
	route_switch(a, req, d, 0, false);
}

void api_route_toggle(struct api *a, struct http_request *req, struct device *d)
{
	route_switch(a, req, d, 0, true);
}

/* ON, OFF and the like: 1 or 0, or answered and -1. */
static int switch_body(struct http_request *req, const struct device *d)
{
	int on = devbody_switch(http_request_body(req, NULL));

	if (on < 0)
		errors_reply(req, API_EBADREQ, d->name, NULL,
			     "the body must be ON or OFF, true or false, or {\"on\":true}");
	return on;
}

void api_route_set_state(struct api *a, struct http_request *req, struct device *d)
{
	int on = switch_body(req, d);

	if (on >= 0)
		route_switch(a, req, d, on, false);
}

void api_route_led(struct api *a, struct http_request *req, struct device *d)
{
	int on = switch_body(req, d);

	if (on >= 0)
		api_act(a, req, d, &(struct service_action){.verb = SERVICE_LED, .on = on == 1},
			API_ANSWER_DEVICE);
}

/* {"brightness":N} or N: the level, 1..100; the relay is left as it is. */
void api_route_brightness(struct api *a, struct http_request *req, struct device *d)
{
	struct service_action action = {.verb = SERVICE_BRIGHTNESS};
	size_t len;
	const char *body = http_request_body(req, &len);
	int r = devbody_brightness(body, len, &action.brightness);

	if (r == -ERANGE)
		errors_reply(req, API_EBRIGHTNESS, d->name, NULL, NULL);
	else if (r < 0)
		errors_reply(req, API_EBADREQ, d->name, NULL,
			     "the body must be {\"brightness\":N} or N, a whole number from %d "
			     "to %d",
			     KASA_BRIGHTNESS_MIN, KASA_BRIGHTNESS_MAX);
	else
		api_act(a, req, d, &action, API_ANSWER_DEVICE);
}

void api_route_alias(struct api *a, struct http_request *req, struct device *d)
{
	struct service_action action = {.verb = SERVICE_ALIAS};

	if (devbody_alias(http_request_body(req, NULL), action.alias) < 0) {
		errors_reply(req, API_EBADREQ, d->name, NULL,
			     "the body must be {\"alias\":\"NAME\"}, 1 to 63 bytes of "
			     "UTF-8, no control characters");
		return;
	}
	api_act(a, req, d, &action, API_ANSWER_DEVICE);
}

void api_route_reboot(struct api *a, struct http_request *req, struct device *d)
{
	api_act(a, req, d, &(struct service_action){.verb = SERVICE_REBOOT}, API_ANSWER_OK);
}
