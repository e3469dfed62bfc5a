/* SPDX-License-Identifier: MIT */
/*
 * What a plug speaks, and through which transport: XOR or KLAP, and over
 * KLAP IOT or SMART JSON.  The settings choose at the start, and again
 * after a reload or a move; auto tries the other transport when a port
 * refuses the connection, and KLAP goes over to SMART JSON when a reply
 * says the plug speaks it.  Credentials the plug refused are held back a
 * while.  The transport's word on the request in flight is taken here,
 * where those choices are made; the jobs themselves are plug.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "log.h"
#include "loop.h"
#include "plug-private.h"
#include "transport.h"

uint16_t plug_port(const struct plug *p)
{
	return p->port;
}

uint16_t plug_klap_port(const struct plug *p)
{
	return p->set.klap_port;
}

uint16_t plug_wire_port(const struct plug *p)
{
	return p->klap ? p->klap_port : p->port;
}

const char *plug_transport_name(const struct plug *p)
{
	if (!p->found && p->set.transport == PLUG_TRANSPORT_AUTO)
		return "";
	return p->klap ? "klap" : "xor";
}

int plug_klap_version(const struct plug *p)
{
	return p->klap ? p->klap_version : 0;
}

const char *plug_protocol_name(const struct plug *p)
{
	return p->smart ? "smart" : "iot";
}

/* --- Transports ------------------------------------------------------------- */

/* Talk KLAP (or XOR) from now on: a new transport, nothing in flight. */
static int use_transport(struct plug *p, bool klap)
{
	struct transport *t;
	int r;

	if (klap)
		r = transport_klap_new(p->host, p->klap_port,
				       p->smart ? KASA_KLAP_PROTO_SMART : KASA_KLAP_PROTO_IOT,
				       p->smart ? KASA_KLAP_V2 : p->klap_versions, p->set.account,
				       &t);
	else
		r = transport_xor_new(p->host, p->port, &t);
	if (r < 0)
		return r;
	/* Its sockets leave the loop (the source, and the watch set for a
	 * kept XOR socket) before the transport closes them. */
	plug_io_off(p);
	transport_free(p->transport);
	p->transport = t;
	p->klap = klap;
	p->version++;
	return 0;
}

/* The transport the settings start with: auto tries XOR first, unless
 * discovery heard the plug answer the KLAP probe.  None while a plug named
 * by its MAC has not been found. */
int plug_start_wire(struct plug *p)
{
	p->version++;
	p->found = false;
	p->smart = false;
	p->klap_versions = KASA_KLAP_ANY;
	p->klap_version = 0;
	p->auth_hold_until = 0;
	p->auth_hold_usec = 0;
	if (!p->host)
		return 0;
	return use_transport(p,
			     p->set.transport == PLUG_TRANSPORT_KLAP ||
				     (p->set.transport == PLUG_TRANSPORT_AUTO && p->prefer_klap));
}

void plug_rewire(struct plug *p)
{
	if (p->current || p->opening)
		p->rewire = true;
	else if (plug_start_wire(p) < 0)
		log_dev(LOG_ERR, p->label, "cannot set up its new transport: out of memory");
	else if (p->moved)
		plug_poll_soon(p);
	if (!p->rewire)
		p->moved = false;
}

/* Who the plug refused, for a message: never the password.  A long
 * e-mail is cut to fit the message. */
void plug_refused_whom(const struct plug *p, char *buf, size_t len)
{
	if (!p->set.account)
		snprintf(buf, len, "no account given: TP-Link's defaults and blank");
	else if (snprintf(buf, len, "account %s", p->set.account->user) >= (int)len)
		memcpy(buf + len - 4, "...", 4);
}

/* The credentials were refused: do not try again for a while, so as not to
 * lock the account (Tapo plugs block logins after repeated failures).  The
 * hold doubles while they are refused, from a minute to backoff_max. */
static void auth_refused(struct plug *p, struct plug_result *res)
{
	uint64_t hold = p->auth_hold_usec ? 2 * p->auth_hold_usec : USEC_PER_MIN;
	char whom[sizeof(res->device.msg)];

	if (hold > p->set.backoff_max_usec)
		hold = p->set.backoff_max_usec;
	p->auth_hold_usec = hold;
	p->auth_hold_until = loop_now(p->loop) + hold;
	plug_refused_whom(p, whom, sizeof(whom));
	snprintf(res->device.msg, sizeof(res->device.msg), "%s", whom);
	log_dev(LOG_WARNING, p->label,
		"the plug refused the credentials (%s); not trying again for %llu s", whom,
		(unsigned long long)((hold + USEC_PER_SEC - 1) / USEC_PER_SEC));
}

/* A reply came through: say once what the plug speaks, and keep it. */
static void found(struct plug *p)
{
	enum kasa_klap_version version;
	enum kasa_klap_cred cred;
	const char *whose;

	p->auth_hold_usec = 0;
	if (p->found)
		return;
	p->found = true;
	p->version++;
	if (!p->klap) {
		log_dev(LOG_INFO, p->label, "speaks the XOR protocol on port %u", p->port);
		return;
	}
	if (transport_klap_matched(p->transport, &cred, &version) < 0)
		return;
	p->klap_version = (int)version;
	p->klap_versions = version;
	whose = cred == KASA_KLAP_CRED_GIVEN ? "the account's" : kasa_klap_cred_name(cred);
	log_dev(LOG_NOTICE, p->label, "speaks KLAP v%d on port %u, %s JSON; credentials: %s%s",
		(int)version, p->klap_port, p->smart ? "SMART" : "IOT", whose,
		cred == KASA_KLAP_CRED_GIVEN ? "" : " (default)");
}

/* Whether a reply over KLAP says the plug speaks SMART, not IOT JSON: an
 * error_code at the top and no IOT module. */
static bool smart_shaped(struct json_object *reply)
{
	struct json_object *code;

	return json_object_object_get_ex(reply, "error_code", &code) &&
	       json_object_is_type(code, json_type_int) &&
	       !json_object_object_get_ex(reply, "system", NULL);
}

/* --- The transport's word ------------------------------------------------------ */

/* Open the transport anew for the current job, then go on with it. */
static void job_reopen(struct plug *p)
{
	uint64_t now = loop_now(p->loop);
	int r = transport_open(p->transport, now, p->current->deadline - now);

	if (r > 0) {
		p->opening = true;
		plug_update_io(p);
		return;
	}
	if (r < 0) {
		plug_count_failure(p, r, NULL);
		plug_job_done(p, r);
		return;
	}
	plug_job_step(p);
}

/* auto: the port refused the connection, so try the other transport, once
 * a job (a plug's firmware update closes 9999 and opens KLAP, and a reset
 * may go back). */
static bool try_other_transport(struct plug *p, int error)
{
	bool klap = !p->klap;

	if (p->set.transport != PLUG_TRANSPORT_AUTO || error != -ECONNREFUSED || p->switched)
		return false;
	p->switched = true;
	log_dev(p->found ? LOG_NOTICE : LOG_INFO, p->label,
		"%s:%u refused the connection; trying %s on port %u", p->host, plug_wire_port(p),
		klap ? "KLAP" : "the XOR protocol", klap ? p->klap_port : p->port);
	if (use_transport(p, klap) < 0)
		return false;
	p->found = false;
	job_reopen(p);
	return true;
}

/* KLAP carries SMART JSON here: a transport for it, and the job afresh. */
static void switch_to_smart(struct plug *p)
{
	struct plug_job *j = p->current;
	struct plug_job_args args = j->run.args;
	int r;

	p->smart = true;
	r = use_transport(p, true);
	if (r < 0) {
		plug_job_done(p, r);
		return;
	}
	plugjob_clear(&j->run);
	j->run = (struct plugjob){.args = args};
	plugjob_begin(&j->run, &p->st, true);
	job_reopen(p);
}

/* What the transport said of the request in flight. */
void plug_transport_result(struct plug *p, int r)
{
	struct plug_job *j = p->current;
	struct json_object *reply = NULL;
	const char *payload;
	size_t len;

	if (r == 0) {
		plug_update_io(p);
		return;
	}
	if (r < 0) {
		plug_count_failure(p, r, NULL);
		if (try_other_transport(p, r))
			return;
		if (r == -EACCES)
			auth_refused(p, &j->run.result);
		plug_job_done(p, r);
		return;
	}
	payload = transport_reply(p->transport, &len);
	r = kasa_reply_parse(payload, len, &reply);
	if (r >= 0 && p->klap && !p->smart && smart_shaped(reply)) {
		json_object_put(reply);
		log_dev(LOG_INFO, p->label, "answers in SMART JSON; speaking it from now on");
		switch_to_smart(p);
		return;
	}
	if (r >= 0) {
		found(p);
		r = plugjob_reply(&j->run, &p->st, reply, loop_now(p->loop));
		if (j->run.wrote)
			p->dirty = true;
	}
	json_object_put(reply);
	transport_drop_reply(p->transport);
	if (r < 0) {
		plug_count_failure(p, r, &j->run.result.device);
		/* The plug answered, but not with what was asked: start afresh. */
		if (j->run.result.device.code == 0)
			transport_close(p->transport);
		plug_job_done(p, r);
		return;
	}
	plug_job_step(p);
}
