/* SPDX-License-Identifier: MIT */
/*
 * The recipes of plug I/O: which request a job sends next, and how each
 * reply updates the plug's cached state and the job's result.  Pure
 * functions over the state: no I/O, no loop, no clock (the caller passes
 * the time), no logging, so every job kind and firmware style can be
 * tested without a plug.
 */
#ifndef KASAD_PLUGJOB_H
#define KASAD_PLUGJOB_H

#include <stdbool.h>
#include <stdint.h>

#include "plug.h"

struct json_object;

/* One job's way through its round trips, and what it will answer. */
struct plugjob {
	struct plug_job_args args;
	bool smart;	   /* the plug speaks SMART JSON (over KLAP), not IOT */
	bool need_sysinfo; /* read sysinfo before the main steps */
	bool combined;	   /* REFRESH: the emeter comes with the sysinfo */
	unsigned step;	   /* main steps done */
	bool wrote;	   /* the last reply wrote the state */
	struct plug_result result;
	struct kasa_stats *stats; /* DAILY, MONTHLY: one per queried outlet (owned) */
	struct kasa_rules *rules; /* COUNTDOWN_, SCHEDULE_: the table read (owned) */
};

/* Before the first request: a refresh and a toggle read the sysinfo first,
 * and so does every job while the plug's kind is not known. */
void plugjob_begin(struct plugjob *jb, const struct plug_state *st, bool smart);
/* Frees what the job owns (not jb itself). */
void plugjob_clear(struct plugjob *jb);

/* The request of the job's next round trip, owned, in *ret_json; NULL when
 * the job is done.  -ENOENT: no such outlet; -EBADMSG: what the plug gave
 * (an outlet's id) cannot be sent back. */
int plugjob_request(struct plugjob *jb, const struct plug_state *st, char **ret_json);
/* Take the reply to the last request, read at now_usec: update *st (and
 * set jb->wrote when it did) and the result.  -errno when the reply is not
 * the answer asked for; result.device then says what the plug refused. */
int plugjob_reply(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
		  uint64_t now_usec);

/* Whether a job with args b can join one with args a instead of running. */
bool plugjob_shareable(const struct plug_job_args *a, const struct plug_job_args *b);
/* Whether a job that went through changed the plug (it is read back). */
bool plugjob_changes_plug(enum plug_job_kind kind);

/* plugjob-rules.c's jobs, as the case labels of a switch over a kind:
 * written once here, so that the switches elsewhere need not spell them
 * out, and a kind added to neither list still warns (-Wswitch-enum). */
#define PLUGJOB_RULES_CASES                                                                        \
	case PLUG_JOB_COUNTDOWN_GET:                                                               \
	case PLUG_JOB_COUNTDOWN_SET:                                                               \
	case PLUG_JOB_COUNTDOWN_CLEAR:                                                             \
	case PLUG_JOB_SCHEDULE_GET:                                                                \
	case PLUG_JOB_SCHEDULE_ADD:                                                                \
	case PLUG_JOB_SCHEDULE_DELETE:                                                             \
	case PLUG_JOB_TIME_GET:                                                                    \
	case PLUG_JOB_TIME_SET

/* plugjob-rules.c: the countdown, schedule and clock jobs, which
 * plugjob_request() and plugjob_reply() hand on.  id: the outlet's, or
 * NULL for the whole plug. */
bool plugjob_rules_kind(enum plug_job_kind kind);
unsigned plugjob_rules_steps(const struct plugjob *jb);
int plugjob_rules_request(struct plugjob *jb, const struct plug_state *st, const char *id,
			  char **ret_json);
int plugjob_rules_reply(struct plugjob *jb, struct plug_state *st, struct json_object *reply,
			uint64_t now_usec);

#endif
