/* SPDX-License-Identifier: MIT */
/*
 * Plug I/O's recipes for what the plug keeps by itself: its countdown, its
 * schedule and its clock.  A change to a table is followed by a read of
 * it, so that the job answers with the table as the plug now holds it; a
 * clock set is followed by a read of the clock.  Pure, as plugjob.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "plugjob.h"

/* One round trip of a job. */
enum op {
	OP_COUNTDOWN_GET,
	OP_COUNTDOWN_CLEAR,
	OP_COUNTDOWN_ADD,
	OP_SCHEDULE_GET,
	OP_SCHEDULE_ADD,
	OP_SCHEDULE_DELETE,
	OP_TIME_GET,
	OP_TIME_SET,
};

#define OPS_MAX 3

/* The round trips of jb, in order; how many. */
static unsigned ops_of(const struct plugjob *jb, enum op ret[OPS_MAX])
{
	switch (jb->args.kind) {
	case PLUG_JOB_COUNTDOWN_GET:
		ret[0] = OP_COUNTDOWN_GET;
		return 1;
	case PLUG_JOB_COUNTDOWN_SET:
		/* One countdown a relay: the new one replaces the old. */
		ret[0] = OP_COUNTDOWN_CLEAR;
		ret[1] = OP_COUNTDOWN_ADD;
		ret[2] = OP_COUNTDOWN_GET;
		return 3;
	case PLUG_JOB_COUNTDOWN_CLEAR:
		ret[0] = OP_COUNTDOWN_CLEAR;
		ret[1] = OP_COUNTDOWN_GET;
		return 2;
	case PLUG_JOB_SCHEDULE_GET:
		ret[0] = OP_SCHEDULE_GET;
		return 1;
	case PLUG_JOB_SCHEDULE_ADD:
		ret[0] = OP_SCHEDULE_ADD;
		ret[1] = OP_SCHEDULE_GET;
		return 2;
	case PLUG_JOB_SCHEDULE_DELETE:
		ret[0] = OP_SCHEDULE_DELETE;
		ret[1] = OP_SCHEDULE_GET;
		return 2;
	case PLUG_JOB_TIME_GET:
		ret[0] = OP_TIME_GET;
		return 1;
	case PLUG_JOB_TIME_SET:
		if (jb->args.zone >= 0) {
			ret[0] = OP_TIME_SET;
			ret[1] = OP_TIME_GET;
			return 2;
		}
		/* Keep the plug's zone: read it first. */
		ret[0] = OP_TIME_GET;
		ret[1] = OP_TIME_SET;
		ret[2] = OP_TIME_GET;
		return 3;
	case PLUG_JOB_REFRESH:
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
	case PLUG_JOB_LED:
	case PLUG_JOB_BRIGHTNESS:
	case PLUG_JOB_ALIAS:
	case PLUG_JOB_REBOOT:
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
		break;
	}
	return 0;
}

bool plugjob_rules_kind(enum plug_job_kind kind)
{
	struct plugjob jb = {.args = {.kind = kind, .zone = -1}};
	enum op ops[OPS_MAX];

	return ops_of(&jb, ops) > 0;
}

unsigned plugjob_rules_steps(const struct plugjob *jb)
{
	enum op ops[OPS_MAX];

	return ops_of(jb, ops);
}

static bool is_time(enum plug_job_kind kind)
{
	return kind == PLUG_JOB_TIME_GET || kind == PLUG_JOB_TIME_SET;
}

int plugjob_rules_request(struct plugjob *jb, const struct plug_state *st, const char *id,
			  char **ret_json)
{
	struct kasa_device_error *derr = &jb->result.device;
	enum op ops[OPS_MAX];
	unsigned n = ops_of(jb, ops);

	if (jb->step >= n)
		return 0;
	if (jb->smart) {
		snprintf(derr->msg, sizeof(derr->msg), "SMART plugs keep no %s here",
			 is_time(jb->args.kind) ? "clock" : "rules");
		return -ENOTSUP;
	}
	if (!id && !is_time(jb->args.kind) && st->known && st->info.outlet_count > 0) {
		snprintf(derr->msg, sizeof(derr->msg),
			 "a strip keeps rules per outlet: name one of its outlets");
		return -ENOTSUP;
	}
	switch (ops[jb->step]) {
	case OP_COUNTDOWN_GET:
		return kasa_req_countdown_get(id, ret_json);
	case OP_COUNTDOWN_CLEAR:
		return kasa_req_countdown_clear(id, ret_json);
	case OP_COUNTDOWN_ADD:
		return kasa_req_countdown_add(id, jb->args.seconds, jb->args.on, ret_json);
	case OP_SCHEDULE_GET:
		return kasa_req_schedule_get(id, ret_json);
	case OP_SCHEDULE_ADD:
		return kasa_req_schedule_add(id, &jb->args.rule, ret_json);
	case OP_SCHEDULE_DELETE:
		return kasa_req_schedule_delete(id, jb->args.rule_id[0] ? jb->args.rule_id : NULL,
						ret_json);
	case OP_TIME_GET:
		return kasa_req_time_zone(ret_json);
	case OP_TIME_SET:
		if (jb->args.zone < 0 && !st->clock_known)
			return -EBADMSG;
		return kasa_req_time_set(&jb->args.time,
					 jb->args.zone >= 0 ? jb->args.zone : st->clock_zone,
					 ret_json);
	}
	return -EINVAL;
}

/* The clock and zone of a get_time and get_timezone reply, into st. */
static int take_time(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
		     uint64_t now)
{
	struct kasa_device_error *derr = &jb->result.device;
	struct kasa_time t;
	int zone, r;
	int64_t days;
	int y, m;

	r = kasa_time_parse(reply, &t, derr);
	if (r < 0)
		return r;
	r = kasa_timezone_parse(reply, &zone, derr);
	if (r < 0)
		return r;
	/* Days from the civil date (proleptic Gregorian), without timegm()'s
	 * dependence on the process's zone. */
	y = t.year - (t.month <= 2);
	m = t.month <= 2 ? t.month + 9 : t.month - 3;
	days = 365LL * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + t.mday - 1 - 719468;
	st->clock_wall_s = days * 86400 + t.hour * 3600 + t.min * 60 + t.sec;
	st->clock_zone = zone;
	st->clock_usec = now;
	st->clock_known = true;
	return 0;
}

int plugjob_rules_reply(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
			uint64_t now)
{
	struct kasa_device_error *derr = &jb->result.device;
	struct json_object *res;
	enum op ops[OPS_MAX];
	unsigned n = ops_of(jb, ops);
	const char *module = "count_down";
	int r;

	if (jb->step >= n)
		return -EBADMSG;
	switch (ops[jb->step]) {
	case OP_SCHEDULE_GET:
		module = "schedule";
		/* fall through */
	case OP_COUNTDOWN_GET:
		if (!jb->rules) {
			jb->rules = calloc(1, sizeof(*jb->rules));
			if (!jb->rules)
				return -ENOMEM;
		}
		r = kasa_rules_parse(reply, module, jb->rules, derr);
		if (r < 0)
			return r;
		jb->result.rules = jb->rules;
		return 0;
	case OP_COUNTDOWN_CLEAR:
		return kasa_reply_result(reply, "count_down", "delete_all_rules", &res, derr);
	case OP_COUNTDOWN_ADD:
		return kasa_reply_result(reply, "count_down", "add_rule", &res, derr);
	case OP_SCHEDULE_ADD:
		return kasa_reply_result(reply, "schedule", "add_rule", &res, derr);
	case OP_SCHEDULE_DELETE:
		return kasa_reply_result(reply, "schedule",
					 jb->args.rule_id[0] ? "delete_rule" : "delete_all_rules",
					 &res, derr);
	case OP_TIME_GET:
		return take_time(jb, st, reply, now);
	case OP_TIME_SET:
		return kasa_reply_result(reply, "time", "set_timezone", &res, derr);
	}
	return -EBADMSG;
}
