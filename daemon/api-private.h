/* SPDX-License-Identifier: MIT */
/* What the handlers in api-verbs.c and api-rules.c ask of api.c: to act on
 * a device through the device service, and to answer with what it comes
 * to.  Nothing else includes this. */
#ifndef KASAD_API_PRIVATE_H
#define KASAD_API_PRIVATE_H

#include "api.h"
#include "service.h"

struct device;
struct http_request;

enum api_answer {
	API_ANSWER_DEVICE, /* the device's state */
	API_ANSWER_STATE,  /* ON or OFF as text, for Home Assistant */
	API_ANSWER_EMETER,
	API_ANSWER_DAILY,
	API_ANSWER_MONTHLY,
	API_ANSWER_OK,	      /* {"ok":true} plus the device */
	API_ANSWER_COUNTDOWN, /* the plug's countdown */
	API_ANSWER_SCHEDULE,  /* the plug's schedule */
	API_ANSWER_TIME,      /* the plug's clock */
};

/* Act on d through the device service, and answer with what it comes to. */
void api_act(struct api *a, struct http_request *req, const struct device *d,
	     const struct service_action *action, enum api_answer ans);

#endif
