/* SPDX-License-Identifier: MIT */
/*
 * Plug I/O's recipes: a job is one thing a client (or the poller) wants
 * from the plug, and may take several round trips (a strip's emeter is one
 * request per outlet, a toggle reads the state before it switches).  Here
 * is which request comes next and what each reply means; plug.c runs them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "plugjob.h"

static bool is_strip(const struct plug_state *st)
{
	return st->known && st->info.outlet_count > 0;
}

static int child_id(const struct plug_state *st, int outlet, char ret_id[KASA_ID_MAX])
{
	const struct plug_info *in = &st->info;

	if (outlet < 0 || (unsigned)outlet >= in->outlet_count)
		return -ENOENT;
	if (in->outlets[outlet].id[0]) {
		snprintf(ret_id, KASA_ID_MAX, "%s", in->outlets[outlet].id);
		return 0;
	}
	return kasa_child_id(in->device_id, (unsigned)outlet, ret_id);
}

/* Steps after the sysinfo: how many this job has, now that it is known. */
static unsigned main_steps(const struct plugjob *jb, const struct plug_state *st)
{
	switch (jb->args.kind) {
	case PLUG_JOB_REFRESH:
		if (!st->info.has_emeter || jb->smart)
			return 0;
		if (is_strip(st))
			return st->info.outlet_count;
		return jb->combined ? 0 : 1;
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
		return jb->args.outlet < 0 && is_strip(st) ? st->info.outlet_count : 1;
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
	case PLUG_JOB_LED:
	case PLUG_JOB_BRIGHTNESS:
	case PLUG_JOB_ALIAS:
	case PLUG_JOB_REBOOT:
		return 1;
	PLUGJOB_RULES_CASES:
		return plugjob_rules_steps(jb);
	}
	return 0;
}

/* A level for a plug that has none (or an outlet of a strip): refused
 * before anything is sent, once its sysinfo says what it is. */
static int need_dimmer(struct plugjob *jb, const struct plug_state *st)
{
	if (jb->args.kind != PLUG_JOB_BRIGHTNESS ||
	    (st->info.has_brightness && jb->args.outlet < 0))
		return 0;
	snprintf(jb->result.device.msg, sizeof(jb->result.device.msg), "it has no dimmer");
	return -ENOTSUP;
}

void plugjob_begin(struct plugjob *jb, const struct plug_state *st, bool smart)
{
	jb->smart = smart;
	jb->need_sysinfo =
		jb->args.kind == PLUG_JOB_REFRESH || jb->args.kind == PLUG_JOB_TOGGLE || !st->known;
}

void plugjob_clear(struct plugjob *jb)
{
	free(jb->stats);
	jb->stats = NULL;
	free(jb->rules);
	jb->rules = NULL;
}

/*
 * SMART (Tapo, the newer Kasa line): a refresh asks for the device, its LED
 * and, while a meter may be there, its energy, in one multipleRequest (a
 * plug without a meter answers that entry "unknown method").  There are no
 * outlets here, and no daily or monthly statistics.
 */
static int smart_request(struct plugjob *jb, const struct plug_state *st, char **ret_json)
{
	static const char *const refresh[] = {"get_device_info", "get_led_info",
					      "get_energy_usage"};

	if (jb->need_sysinfo) {
		jb->combined = jb->args.kind == PLUG_JOB_REFRESH;
		if (!jb->combined)
			return kasa_smart_req_device_info(NULL, ret_json);
		return kasa_smart_req_multiple(refresh,
					       st->known && !st->info.has_emeter ? 2 : 3, NULL,
					       ret_json);
	}
	if (jb->step >= main_steps(jb, st))
		return 0;
	if (need_dimmer(jb, st) < 0)
		return -ENOTSUP;
	if (plugjob_rules_kind(jb->args.kind))
		return plugjob_rules_request(jb, st, NULL, ret_json);
	if (jb->args.outlet >= 0)
		return -ENOENT;
	switch (jb->args.kind) {
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
		return kasa_smart_req_device_on(jb->args.on, NULL, ret_json);
	case PLUG_JOB_LED:
		return kasa_smart_req_led(jb->args.on, NULL, ret_json);
	case PLUG_JOB_BRIGHTNESS:
		return kasa_smart_req_brightness(jb->args.brightness, NULL, ret_json);
	case PLUG_JOB_ALIAS:
		return kasa_smart_req_nickname(jb->args.alias, NULL, ret_json);
	case PLUG_JOB_REBOOT:
		return kasa_smart_req_reboot(NULL, ret_json);
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
		snprintf(jb->result.device.msg, sizeof(jb->result.device.msg),
			 "SMART plugs give no daily or monthly statistics here");
		return -ENOTSUP;
	case PLUG_JOB_REFRESH:
	PLUGJOB_RULES_CASES:
		break;
	}
	return 0;
}

int plugjob_request(struct plugjob *jb, const struct plug_state *st, char **ret_json)
{
	char id_buf[KASA_ID_MAX];
	const char *id = NULL;
	int outlet = jb->args.outlet;
	int r;

	*ret_json = NULL;
	if (jb->smart)
		return smart_request(jb, st, ret_json);
	if (jb->need_sysinfo) {
		jb->combined = jb->args.kind == PLUG_JOB_REFRESH && st->known &&
			       st->info.has_emeter && !is_strip(st);
		return jb->combined ? kasa_req_sysinfo_emeter(ret_json)
				    : kasa_req_sysinfo(ret_json);
	}
	if (jb->step >= main_steps(jb, st))
		return 0;
	if (need_dimmer(jb, st) < 0)
		return -ENOTSUP;

	/* Per-outlet steps of a whole strip go through its outlets in turn. */
	if (outlet < 0 && is_strip(st) &&
	    (jb->args.kind == PLUG_JOB_REFRESH || jb->args.kind == PLUG_JOB_DAILY ||
	     jb->args.kind == PLUG_JOB_MONTHLY))
		outlet = (int)jb->step;
	if (outlet >= 0) {
		r = child_id(st, outlet, id_buf);
		if (r < 0)
			return r;
		id = id_buf;
	}

	r = -EINVAL;
	switch (jb->args.kind) {
	case PLUG_JOB_REFRESH:
		r = kasa_req_emeter_realtime(id, ret_json);
		break;
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
		r = kasa_req_relay(id, jb->args.on, ret_json);
		break;
	case PLUG_JOB_LED:
		r = kasa_req_led(jb->args.on, ret_json);
		break;
	case PLUG_JOB_BRIGHTNESS:
		r = kasa_req_brightness(jb->args.brightness, ret_json);
		break;
	case PLUG_JOB_ALIAS:
		r = kasa_req_alias(id, jb->args.alias, ret_json);
		break;
	case PLUG_JOB_REBOOT:
		r = kasa_req_reboot(1, ret_json);
		break;
	case PLUG_JOB_DAILY:
		r = kasa_req_emeter_daily(id, jb->args.year, jb->args.month, ret_json);
		break;
	case PLUG_JOB_MONTHLY:
		r = kasa_req_emeter_monthly(id, jb->args.year, ret_json);
		break;
	PLUGJOB_RULES_CASES:
		r = plugjob_rules_request(jb, st, id, ret_json);
		break;
	}
	/* The API checks what the user gave (alias, dates) before a job is
	 * queued: what a builder still refuses is what the plug gave, the
	 * outlet's id (a control character in it, say). */
	if (r == -EINVAL && id) {
		snprintf(jb->result.device.msg, sizeof(jb->result.device.msg),
			 "the id it gives outlet %d cannot be sent back", outlet);
		return -EBADMSG;
	}
	return r;
}

/* --- Taking replies ----------------------------------------------------------- */

/* get_device_info, and in a refresh the LED and the meter beside it. */
static int smart_sysinfo(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
			 struct kasa_sysinfo *info, uint64_t now)
{
	struct kasa_device_error *derr = &jb->result.device;
	struct kasa_smart_energy energy;
	struct kasa_emeter em;
	bool led;
	int r;

	r = kasa_smart_sysinfo_parse(reply, info, derr);
	if (r < 0)
		return r;
	/* get_device_info says neither; keep what the last refresh read. */
	info->has_emeter = st->known && st->info.has_emeter;
	info->led_on = st->known ? st->info.led_on : true;
	if (!jb->combined)
		return 0;
	/* A plug without the LED's methods keeps the LED as it was. */
	if (kasa_smart_led_parse(reply, &led, derr) == 0)
		info->led_on = led;
	memset(derr, 0, sizeof(*derr));
	if (st->known && !st->info.has_emeter)
		return 0;
	r = kasa_smart_energy_parse(reply, &em, &energy, derr);
	if (r == -ENOSYS || r == -EBADMSG) {
		/* Unknown method, or no entry: no meter. */
		memset(derr, 0, sizeof(*derr));
		info->has_emeter = false;
		return 0;
	}
	if (r < 0)
		return r;
	info->has_emeter = true;
	st->emeter = em;
	st->energy = energy;
	st->emeter_known = true;
	st->emeter_power_only = true;
	st->emeter_usec = now;
	return 0;
}

static int take_sysinfo(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
			uint64_t now)
{
	struct kasa_sysinfo info;
	struct kasa_emeter em;
	int r;

	r = jb->smart ? smart_sysinfo(jb, st, reply, &info, now)
		      : kasa_sysinfo_parse(reply, &info, &jb->result.device);
	if (r < 0)
		return r;
	if (!info.has_relay && info.outlet_count == 0)
		return -EBADMSG;
	if (jb->combined && !jb->smart) {
		r = kasa_emeter_parse(reply, &em, &jb->result.device);
		if (r < 0)
			return r;
	}
	/* A strip that lost outlets, or a plug swapped for another model, must
	 * not keep readings that no longer belong to anything. */
	if (st->known &&
	    (st->info.outlet_count != info.outlet_count || st->info.has_emeter != info.has_emeter))
		st->emeter_known = false;
	r = plug_state_take_info(st, &info);
	if (r < 0)
		return r;
	if (jb->combined && !jb->smart) {
		st->emeter = em;
		st->emeter_known = true;
		st->emeter_usec = now;
	}
	st->known = true;
	st->usec = now;
	jb->wrote = true;
	jb->need_sysinfo = false;

	if (jb->args.outlet >= 0 && jb->args.kind != PLUG_JOB_REFRESH &&
	    (unsigned)jb->args.outlet >= info.outlet_count)
		return -ENOENT;
	if (jb->args.kind == PLUG_JOB_TOGGLE)
		jb->args.on = !plug_state_on(st, jb->args.outlet);
	return 0;
}

static int take_stats(struct plugjob *jb, struct json_object *reply)
{
	unsigned k = jb->step;
	int r;

	if (!jb->stats) {
		jb->stats = calloc(KASA_OUTLETS_MAX, sizeof(*jb->stats));
		if (!jb->stats)
			return -ENOMEM;
	}
	r = jb->args.kind == PLUG_JOB_DAILY
		    ? kasa_daystat_parse(reply, jb->args.year, jb->args.month, &jb->stats[k],
					 &jb->result.device)
		    : kasa_monthstat_parse(reply, jb->args.year, &jb->stats[k], &jb->result.device);
	if (r < 0)
		return r;
	jb->result.n_stats = k + 1;
	jb->result.stats = jb->stats;
	return 0;
}

/* A change's answer: the IOT method's under "system", or SMART's one. */
static int result_of(struct plugjob *jb, struct json_object *reply, const char *iot_method,
		     struct json_object **ret_result)
{
	if (jb->smart)
		return kasa_smart_result(reply, NULL, ret_result, &jb->result.device);
	return kasa_reply_result(reply, "system", iot_method, ret_result, &jb->result.device);
}

static int take_reply(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
		      uint64_t now)
{
	struct kasa_device_error *derr = &jb->result.device;
	struct json_object *res;
	int outlet = jb->args.outlet;
	unsigned k = jb->step;
	int r = 0;

	switch (jb->args.kind) {
	case PLUG_JOB_REFRESH: {
		struct kasa_emeter em;

		r = kasa_emeter_parse(reply, &em, derr);
		if (r < 0)
			return r;
		if (is_strip(st))
			st->outlet_emeter[k] = em;
		else
			st->emeter = em;
		if (k + 1 == main_steps(jb, st)) {
			st->emeter_known = true;
			st->emeter_usec = now;
		}
		break;
	}
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
		r = result_of(jb, reply, "set_relay_state", &res);
		if (r < 0)
			return r;
		plug_state_set_relay(st, outlet, jb->args.on);
		jb->result.on = jb->args.on;
		break;
	case PLUG_JOB_LED:
		r = result_of(jb, reply, "set_led_off", &res);
		if (r < 0)
			return r;
		st->info.led_on = jb->args.on;
		break;
	case PLUG_JOB_BRIGHTNESS:
		r = jb->smart ? result_of(jb, reply, NULL, &res)
			      : kasa_reply_result(reply, KASA_DIMMER_MODULE, "set_brightness", &res,
						  derr);
		if (r < 0)
			return r;
		st->info.brightness = jb->args.brightness;
		break;
	case PLUG_JOB_ALIAS:
		r = result_of(jb, reply, "set_dev_alias", &res);
		if (r < 0)
			return r;
		if (outlet >= 0)
			snprintf(st->info.outlets[outlet].alias, sizeof(st->info.outlets[0].alias),
				 "%s", jb->args.alias);
		else
			snprintf(st->info.alias, sizeof(st->info.alias), "%s", jb->args.alias);
		break;
	case PLUG_JOB_REBOOT:
		r = result_of(jb, reply, "reboot", &res);
		if (r < 0)
			return r;
		break;
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
		r = take_stats(jb, reply);
		if (r < 0)
			return r;
		break;
	PLUGJOB_RULES_CASES:
		r = plugjob_rules_reply(jb, st, reply, now);
		if (r < 0)
			return r;
		break;
	}
	/* Statistics, a reboot, rules and the clock leave the device's
	 * cached state as it was. */
	if (jb->args.kind != PLUG_JOB_DAILY && jb->args.kind != PLUG_JOB_MONTHLY &&
	    jb->args.kind != PLUG_JOB_REBOOT && !plugjob_rules_kind(jb->args.kind))
		jb->wrote = true;
	jb->step++;
	return 0;
}

int plugjob_reply(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
		  uint64_t now_usec)
{
	jb->wrote = false;
	return jb->need_sysinfo ? take_sysinfo(jb, st, reply, now_usec)
				: take_reply(jb, st, reply, now_usec);
}

bool plugjob_shareable(const struct plug_job_args *a, const struct plug_job_args *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case PLUG_JOB_REFRESH:
		return true;
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
		return a->outlet == b->outlet && a->year == b->year && a->month == b->month;
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
	case PLUG_JOB_LED:
	case PLUG_JOB_BRIGHTNESS:
	case PLUG_JOB_ALIAS:
	case PLUG_JOB_REBOOT:
		return false;
	case PLUG_JOB_COUNTDOWN_GET:
	case PLUG_JOB_SCHEDULE_GET:
		return a->outlet == b->outlet;
	case PLUG_JOB_TIME_GET:
		return true;
	case PLUG_JOB_COUNTDOWN_SET:
	case PLUG_JOB_COUNTDOWN_CLEAR:
	case PLUG_JOB_SCHEDULE_ADD:
	case PLUG_JOB_SCHEDULE_DELETE:
	case PLUG_JOB_TIME_SET:
		return false;
	}
	return false;
}

bool plugjob_changes_plug(enum plug_job_kind kind)
{
	switch (kind) {
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
	case PLUG_JOB_LED:
	case PLUG_JOB_BRIGHTNESS:
	case PLUG_JOB_ALIAS:
	case PLUG_JOB_REBOOT:
		return true;
	case PLUG_JOB_REFRESH:
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
	PLUGJOB_RULES_CASES:
		return false;
	}
	return false;
}
