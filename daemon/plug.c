/* SPDX-License-Identifier: MIT */
/*
 * Plug I/O: one transport per plug, one request in flight, a FIFO of jobs
 * behind it, and the cache.  The recipes (which request, what a reply
 * means) are plugjob.c's, the polling schedule poller.c's, which transport
 * and what it said plug-transport.c's, the counters plug-outcome.c's.
 *
 * Clients wait on a job through a waiter, each with its own deadline, so a
 * request queued behind a dead plug still gets its answer on time.  A job
 * nobody waits for any more is dropped before it starts, except the
 * poller's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/macro.h"
#include "log.h"
#include "loop.h"
#include "errcodes.h"
#include "plug-private.h"
#include "transport.h"

/* How late a plug's timer may fire: deadlines due within it share a wake-up. */
#define TIMER_SLACK_USEC USEC_PER_MSEC

static void arm_timer(struct plug *p);
static void on_io(struct loop_source *s, int fd, uint32_t revents, void *userdata);
static void open_check(struct plug *p, uint64_t now);
static void readback_arm(struct plug *p);

void plug_set_label(struct plug *p, const char *label)
{
	char *l = strdup(label);

	if (l) {
		free(p->label);
		p->label = l;
	}
}

const char *plug_label(const struct plug *p)
{
	return p->label;
}

const struct plug_state *plug_state(const struct plug *p)
{
	return &p->st;
}

uint64_t plug_version(const struct plug *p)
{
	return p->version;
}

const struct plug_stats *plug_stats(const struct plug *p)
{
	return &p->stats;
}

void plug_set_observer(struct plug *p, plug_change_cb_t cb, void *userdata)
{
	p->observer = cb;
	p->observer_userdata = userdata;
}

/* --- Waiters and deadlines -------------------------------------------------- */

static void job_free(struct plug_job *j)
{
	plugjob_clear(&j->run);
	free(j);
}

static void waiter_unlink(struct plug_waiter *w)
{
	list_remove(&w->node);
	w->job = NULL;
}

static void waiter_finish(struct plug *p, struct plug_waiter *w, const struct plug_result *res)
{
	waiter_unlink(w);
	w->cb(p, res, w->userdata);
	free(w);
}

void plug_waiter_cancel(struct plug_waiter *w)
{
	if (!w)
		return;
	waiter_unlink(w);
	free(w);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return !a || (b && b < a) ? b : a;
}

static void arm_timer(struct plug *p)
{
	/* While the transport opens, its next check; then the request's. */
	uint64_t next = p->transport ? transport_deadline(p->transport) : 0;
	struct plug_waiter *w;
	struct plug_job *j;

	if (!p->opening)
		list_foreach(j, &p->jobs, node)
			list_foreach(w, &j->waiters, node)
				next = earliest(next, w->deadline);
	next = earliest(next, p->readback_at);
	loop_timer_start(plugshare_timers(), &p->timer, next, TIMER_SLACK_USEC);
}

static void expire_waiters(struct plug *p, uint64_t now)
{
	struct plug_result res = {.error = -ETIMEDOUT};
	struct plug_waiter *w;
	struct plug_job *j;

	list_foreach(j, &p->jobs, node)
		list_foreach_safe(w, &j->waiters, node)
			if (w->deadline <= now)
				waiter_finish(p, w, &res);
}

/* Unlink and free queued jobs that nobody waits for (never the current). */
static void drop_orphans(struct plug *p)
{
	struct plug_job *j;

	list_foreach_safe(j, &p->jobs, node)
		if (j != p->current && list_empty(&j->waiters) && !j->background) {
			list_remove(&j->node);
			p->queued -= j->counted;
			job_free(j);
		}
}

/* Nothing watched: the kept socket, if still open, leaves the watch set
 * before anything can close it. */
void plug_io_off(struct plug *p)
{
	unsigned gen = 0;

	if (p->io)
		loop_io_set(p->io, -1, 0);
	if (p->watch.fd < 0)
		return;
	if (p->transport && transport_generation(p->transport, &gen))
		loop_watch_set(plugshare_watchset(), &p->watch, transport_fd(p->transport), 0, gen);
	else
		loop_watch_set(plugshare_watchset(), &p->watch, -1, 0, 0);
}

void plug_update_io(struct plug *p)
{
	unsigned gen = 0;
	uint32_t ev;
	int fd, r;

	/* Named by its MAC and not found yet: nothing to watch. */
	if (!p->transport) {
		plug_io_off(p);
		arm_timer(p);
		return;
	}
	fd = transport_fd(p->transport);
	ev = transport_events(p->transport);

	/* With hundreds of replies in at once, a level-triggered socket would
	 * be reported again on every iteration until its turn came. */
	if (ev && transport_edge_triggered(p->transport))
		ev |= LOOP_IO_EDGE;
	if (transport_generation(p->transport, &gen)) {
		/* A kept socket (XOR): in the plugs' watch set, watched between
		 * polls too and registered again only when it or its events
		 * change; ready ones are served together. */
		if (p->io)
			loop_io_set(p->io, -1, 0);
		r = loop_watch_set(plugshare_watchset(), &p->watch, fd, ev, gen);
	} else {
		/* The name lookup, or libcurl's sockets (KLAP): a source of the
		 * loop's, made the first time one is needed. */
		if (p->watch.fd >= 0)
			loop_watch_set(plugshare_watchset(), &p->watch, -1, 0, 0);
		if (p->io)
			r = loop_io_set(p->io, fd, ev);
		else
			r = fd >= 0 && ev ? loop_io_add(p->loop, fd, ev, on_io, p, &p->io) : 0;
	}
	if (r < 0 && p->current) {
		transport_close(p->transport);
		plug_job_done(p, -ENOMEM);
		return;
	}
	arm_timer(p);
}

/* --- Reading back ------------------------------------------------------------ */

/*
 * After a change, the plug is read back once it has been quiet for
 * READBACK_QUIET, and READBACK_MAX after the first change not read back at
 * the latest; either way behind the clients' jobs, never in front of one
 * (a client switching back to back pays one round trip a switch).
 */
#define READBACK_QUIET (100 * USEC_PER_MSEC)
#define READBACK_MAX   (1 * USEC_PER_SEC)

static void readback_arm(struct plug *p)
{
	uint64_t now = loop_now(p->loop), at = now + READBACK_QUIET, latest;

	if (!p->readback_since)
		p->readback_since = now;
	latest = p->readback_since + READBACK_MAX;
	p->readback_at = at < latest ? at : latest;
	arm_timer(p);
}

static void readback_due(struct plug *p, uint64_t now)
{
	bool busy = p->queued || (p->current && !p->current->background);

	if (busy && now < p->readback_since + READBACK_MAX) {
		p->readback_at = now + READBACK_QUIET;
		return;
	}
	p->readback_since = 0;
	plug_submit(p, &(struct plug_job_args){.kind = PLUG_JOB_REFRESH, .outlet = -1}, 0, NULL,
		    NULL, NULL);
}

/* The job goes in flight. */
static void set_current(struct plug *p, struct plug_job *j)
{
	p->current = j;
	p->queued -= j->counted;
	plug_gate_round_trips(1);
}

/* --- Running jobs ------------------------------------------------------------ */

void plug_job_done(struct plug *p, int error)
{
	struct plug_job *j = p->current;
	struct plug_result *res = &j->run.result;
	bool changed;

	p->current = NULL;
	plug_gate_round_trips(-1);
	plug_gate_give(p);
	list_remove(&j->node);
	/*
	 * Between jobs a kept socket is watched only edge-triggered with its
	 * generation known (a plug closing it is then one event); any other
	 * would be readable for ever once closed (the next start checks it).
	 * Either way now, before anything can open a socket that takes the
	 * number of one the connection just closed.
	 */
	if (transport_edge_triggered(p->transport))
		plug_update_io(p);
	else
		plug_io_off(p);

	res->error = error;
	if (error >= 0)
		memset(&res->device, 0, sizeof(res->device));
	plug_job_outcome(p, j, error);
	if (j->run.args.kind == PLUG_JOB_REFRESH) {
		poller_schedule(p, error == 0);
		/* It read the plug after the last change: that was the read-back. */
		if (error == 0 && p->readback_since) {
			p->readback_since = 0;
			p->readback_at = 0;
		}
	}

	while (!list_empty(&j->waiters))
		waiter_finish(p, list_first(&j->waiters, struct plug_waiter, node), res);
	if (p->dirty) {
		p->dirty = false;
		p->version++;
		if (p->observer)
			p->observer(p, p->observer_userdata);
	}

	changed = error == 0 && plugjob_changes_plug(j->run.args.kind);
	job_free(j);

	/* The change went through, and the client has its answer from the
	 * plug's confirmation: read the plug back soon, so that the cache shows
	 * what it really did (on_time, a strip's other outlets, a reboot, a
	 * relay that did not move).  Until then a read asks the plug. */
	if (changed) {
		p->st.usec = 0;
		p->version++;
		readback_arm(p);
	}
	plug_pump(p);
}

void plug_job_step(struct plug *p)
{
	struct plug_job *j = p->current;
	uint64_t now = loop_now(p->loop);
	char *json;
	int r;

	if (now >= j->deadline) {
		plug_job_done(p, -ETIMEDOUT);
		return;
	}
	r = plugjob_request(&j->run, &p->st, &json);
	if (r < 0 || !json) {
		plug_job_done(p, r);
		return;
	}
	r = transport_send(p->transport, json, strlen(json), now, j->deadline - now);
	free(json);
	p->stats.requests++;
	if (r < 0) {
		plug_count_failure(p, r, NULL);
		plug_job_done(p, r);
		return;
	}
	plug_update_io(p);
}

static void on_io(struct loop_source *s, int fd, uint32_t revents, void *userdata)
{
	struct plug *p = userdata;

	if (p->opening) {
		open_check(p, loop_now(p->loop));
		return;
	}
	if (!p->current) {
		/* A kept socket between jobs: the plug closed it (or sent what
		 * nobody asked), and the transport closes it too. */
		if (transport_edge_triggered(p->transport)) {
			transport_process(p->transport, revents, loop_now(p->loop));
			plug_update_io(p);
		} else {
			plug_io_off(p);
		}
		return;
	}
	plug_transport_result(p, transport_process(p->transport, revents, loop_now(p->loop)));
}

static void on_watch(struct loop_watch *w, uint32_t revents)
{
	struct plug *p = container_of(w, struct plug, watch);

	on_io(p->io, w->fd, revents, p);
}

/* The transport's open may have ended: take its outcome, then go on. */
static void open_check(struct plug *p, uint64_t now)
{
	int r = transport_process(p->transport, 0, now);

	if (r == 0)
		return;
	p->opening = false;
	plug_update_io(p); /* off the lookup's descriptor, closed now */
	if (p->current) {
		/* Opened anew in the middle of a job (another transport). */
		if (r < 0) {
			plug_count_failure(p, r, NULL);
			plug_job_done(p, r);
		} else {
			plug_job_step(p);
		}
		return;
	}
	p->open_error = r < 0 ? r : 0;
	plug_pump(p);
}

static void on_timer(struct loop_timer *t, uint64_t now)
{
	struct plug *p = container_of(t, struct plug, timer);
	uint64_t deadline;

	/* The read-back queues its job: a kick, which the plug's own callback
	 * may as well serve at once. */
	if (p->readback_at && p->readback_at <= now) {
		p->readback_at = 0;
		readback_due(p, now);
	}
	if (p->opening) {
		open_check(p, now);
	} else {
		expire_waiters(p, now);
		deadline = p->transport ? transport_deadline(p->transport) : 0;
		if (p->current && deadline && deadline <= now)
			plug_transport_result(p, transport_process(p->transport, 0, now));
		else
			drop_orphans(p);
	}
	if (p->kicked) {
		plug_unkick(p);
		plug_pump(p);
	}
	arm_timer(p);
}

void plug_pump(struct plug *p)
{
	struct plug_job *j;
	int r;

	if (p->current || p->opening)
		return;
	if (p->rewire) {
		p->rewire = false;
		r = plug_start_wire(p);
		if (r < 0)
			log_dev(LOG_ERR, p->label, "cannot set up its new transport: %s",
				strerror(-r));
		else if (p->moved)
			plug_poll_soon(p);
		p->moved = false;
	}
	drop_orphans(p);
	j = list_first(&p->jobs, struct plug_job, node);
	if (!j) {
		plug_gate_give(p);
		arm_timer(p);
		return;
	}
	if (!p->transport) {
		/* Named by its MAC, and not found yet: nowhere to send it. */
		set_current(p, j);
		plug_job_done(p, API_ENOTFOUND);
		return;
	}
	/* The poller's jobs wait for a place; a client's goes at once. */
	if (j->background && list_empty(&j->waiters)) {
		if (!plug_gate_take(p)) {
			arm_timer(p);
			return;
		}
	} else {
		plug_gate_give(p);
	}
	if (p->auth_hold_until > loop_now(p->loop)) {
		/* The credentials were refused a moment ago: the job takes that
		 * answer without trying them again. */
		set_current(p, j);
		plug_refused_whom(p, j->run.result.device.msg, sizeof(j->run.result.device.msg));
		plug_job_done(p, -EACCES);
		return;
	}
	r = p->open_error;
	p->open_error = 0;
	if (r == 0) {
		r = transport_open(p->transport, loop_now(p->loop), p->set.request_timeout_usec);
		if (r > 0) {
			p->opening = true;
			plug_update_io(p);
			return;
		}
	}
	if (r < 0) {
		/* The last open failed: this job takes the error, the next
		 * one tries again (looks the name up again). */
		set_current(p, j);
		p->stats.requests++;
		plug_count_failure(p, r, NULL);
		plug_job_done(p, r);
		return;
	}
	set_current(p, j);
	j->started = loop_now(p->loop);
	j->deadline = j->started + p->set.request_timeout_usec;
	p->switched = false;
	plugjob_begin(&j->run, &p->st, p->smart);
	plug_job_step(p);
}

/* --- Submitting -------------------------------------------------------------- */

/* A client's job goes before the background jobs that have not started (a
 * poll, a read-back): they wait for nobody.  Jobs keep their order else. */
static void queue_job(struct plug *p, struct plug_job *j)
{
	struct plug_job *k;

	if (j->counted)
		list_foreach(k, &p->jobs, node)
			if (k != p->current && k->background && list_empty(&k->waiters)) {
				list_insert_before(&k->node, &j->node);
				return;
			}
	list_insert_tail(&p->jobs, &j->node);
}

int plug_submit(struct plug *p, const struct plug_job_args *args, uint64_t timeout_usec,
		plug_result_cb_t cb, void *userdata, struct plug_waiter **ret_waiter)
{
	struct plug_job *j = NULL, *k;
	struct plug_waiter *w = NULL;

	list_foreach(k, &p->jobs, node)
		if (plugjob_shareable(&k->run.args, args)) {
			j = k;
			break;
		}
	if (!j) {
		/* queue_max jobs may wait behind the one in flight; an idle plug
		 * starts its first job on the next iteration, so that one is not
		 * waiting.  The background refreshes (the poller's, the read-back
		 * after a change) are not counted: there is at most one, as they
		 * share. */
		unsigned waiting = p->queued - (!p->current && p->queued);

		if (cb && waiting >= p->set.queue_max)
			return -ENOBUFS;
		j = calloc(1, sizeof(*j));
		if (!j)
			return -ENOMEM;
		j->run.args = *args;
		j->counted = cb != NULL;
		list_head_init(&j->waiters);
		queue_job(p, j);
		p->queued += j->counted;
	}
	if (!cb) {
		j->background = true;
	} else {
		w = calloc(1, sizeof(*w));
		if (!w) {
			drop_orphans(p);
			return -ENOMEM;
		}
		w->job = j;
		w->cb = cb;
		w->userdata = userdata;
		w->deadline = loop_now(p->loop) + timeout_usec;
		list_insert_head(&j->waiters, &w->node);
	}
	if (ret_waiter)
		*ret_waiter = w;
	if (!p->current)
		plug_kick(p);
	arm_timer(p);
	return 0;
}

/* --- Life -------------------------------------------------------------------- */

/* Whether s asks to talk to the plug otherwise than p does now. */
static bool wire_changed(const struct plug *p, const struct plug_settings *s)
{
	return s->transport != p->set.transport || s->klap_port != p->set.klap_port ||
	       !s->account != !p->set.account ||
	       (s->account && memcmp(s->account, p->set.account, sizeof(*s->account)));
}

/* The account of s, copied (only KLAP plugs with an account have one);
 * -ENOMEM. */
static int copy_account(const struct plug_settings *s, struct kasa_klap_account **ret)
{
	*ret = NULL;
	if (!s->account)
		return 0;
	*ret = malloc(sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	**ret = *s->account;
	return 0;
}

static void free_account(const struct kasa_klap_account *a)
{
	if (a) {
		explicit_bzero((void *)a, sizeof(*a));
		free((void *)a);
	}
}

void plug_configure(struct plug *p, const struct plug_settings *s)
{
	bool interval_changed = s->poll_interval_usec != p->set.poll_interval_usec;
	bool rewire = wire_changed(p, s);
	struct kasa_klap_account *account;

	if (copy_account(s, &account) < 0) {
		log_dev(LOG_ERR, p->label, "cannot take its new settings: out of memory");
		return;
	}
	free_account(p->set.account);
	/* Another KLAP port in the file wins over the one discovery found. */
	if (s->klap_port != p->set.klap_port)
		p->klap_port = s->klap_port;
	p->set = *s;
	p->set.account = account;
	p->version++;
	/* Another transport or account: start over, once the job in flight
	 * is done with the one it uses. */
	if (rewire)
		plug_rewire(p);
	if (p->set.offline_after == 0)
		p->set.offline_after = 1;
	if (interval_changed && p->polling) {
		plug_poll_stop(p);
		plug_poll_start(p, s->poll_interval_usec);
	}
}

int plug_new(struct loop *l, const char *host, uint16_t port, const struct plug_settings *s,
	     struct plug **ret_plug)
{
	struct plug *p = calloc(1, sizeof(*p));
	struct kasa_klap_account *account;
	char label[300];
	int r;

	if (!p)
		return -ENOMEM;
	p->watch = LOOP_WATCH_INIT(on_watch);
	p->timer = LOOP_TIMER_INIT(on_timer);
	p->loop = l;
	p->port = port;
	p->set = *s;
	p->klap_port = s->klap_port;
	list_head_init(&p->jobs);
	r = copy_account(s, &account);
	p->set.account = account;
	if (r < 0)
		goto fail;
	if (p->set.offline_after == 0)
		p->set.offline_after = 1;
	r = plug_address_init(p, host, port);
	if (r < 0)
		goto fail;
	snprintf(label, sizeof(label), "%s:%u", host ? host : s->mac, port);
	p->label = strdup(label);
	if (!p->label) {
		r = -ENOMEM;
		goto fail;
	}
	r = plug_start_wire(p);
	if (r < 0)
		goto fail;
	r = plugshare_join(l);
	if (r < 0)
		goto fail;
	r = poller_join(p);
	if (r < 0) {
		plugshare_leave(p);
		goto fail;
	}
	p->joined = true;
	*ret_plug = p;
	return 0;
fail:
	plug_free(p);
	return r;
}

void plug_free(struct plug *p)
{
	struct plug_result res = {.error = -ESHUTDOWN};
	struct plug_job *j;

	if (!p)
		return;
	plug_gate_leave(p);
	if (p->current)
		plug_gate_round_trips(-1);
	plug_gate_give(p);
	/* Waiters first: their callbacks may look at the plug. */
	list_foreach(j, &p->jobs, node)
		while (!list_empty(&j->waiters))
			waiter_finish(p, list_first(&j->waiters, struct plug_waiter, node), &res);
	list_foreach_safe(j, &p->jobs, node) {
		list_remove(&j->node);
		job_free(j);
	}
	if (p->joined)
		plug_io_off(p); /* the socket leaves the watch set while open */
	loop_source_free(p->io);
	if (p->joined) {
		poller_leave(p);
		plugshare_leave(p);
	}
	transport_free(p->transport);
	plug_state_release(&p->st);
	free_account(p->set.account);
	free(p->host);
	free(p->home);
	free(p->label);
	free(p);
}
