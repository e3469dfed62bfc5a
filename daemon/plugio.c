/* SPDX-License-Identifier: MIT */
/*
 * Plug I/O: one kept connection per plug, one request in flight, a FIFO of
 * jobs behind it, the cache, and the poller.
 *
 * A job is one thing a client (or the poller) wants from the plug; it may
 * take several round trips (a strip's emeter is one request per outlet, a
 * toggle reads the state before it switches).  Clients wait on a job through
 * a waiter, each with its own deadline, so a request queued behind a dead
 * plug still gets its answer on time.  A job nobody waits for any more is
 * dropped before it starts, except the poller's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <json-c/json.h>

#include "log.h"
#include "loop.h"
#include "plugio.h"
#include "util.h"

/* How often a pending name lookup is checked. */
#define RESOLVE_CHECK_USEC (10 * USEC_PER_MSEC)

/* Prometheus's usual buckets: a round trip to a real plug takes 40-80 ms, a
 * strip's refresh one per outlet more, and a dead plug the whole timeout. */
const uint64_t plug_poll_bucket_usec[PLUG_POLL_BUCKETS] = {
	5 * USEC_PER_MSEC,    10 * USEC_PER_MSEC,  25 * USEC_PER_MSEC,	50 * USEC_PER_MSEC,
	100 * USEC_PER_MSEC,  250 * USEC_PER_MSEC, 500 * USEC_PER_MSEC, 1 * USEC_PER_SEC,
	2500 * USEC_PER_MSEC, 5 * USEC_PER_SEC,	   10 * USEC_PER_SEC,
};

struct plug_job;

struct plug_waiter {
	struct plug_waiter *prev, *next;
	struct plug_job *job;
	uint64_t deadline;
	plug_result_cb_t cb;
	void *userdata;
};

struct plug_job {
	struct plug_job *next;
	struct plug_job_args args;
	bool background;   /* the poller's: runs with nobody waiting */
	bool counted;	   /* a client's: takes a place in the queue */
	bool need_sysinfo; /* read sysinfo before the main steps */
	bool combined;	   /* REFRESH: the emeter came with the sysinfo */
	unsigned step;	   /* main steps done */
	uint64_t started;  /* when it started; 0 before */
	uint64_t deadline; /* of the whole job, once started */
	struct plug_waiter *waiters;
	struct plug_result result;
	struct kasa_stats *stats; /* DAILY, MONTHLY: one per queried outlet */
};

struct plug {
	struct loop *loop;
	char *host;
	uint16_t port;
	char *label;
	struct plug_settings set;

	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct gaicb *gai; /* a name lookup in progress */
	uint64_t gai_deadline;
	int resolve_error; /* the last lookup's, until the next one */
	struct kasa_conn *conn;

	struct loop_source *io;
	struct loop_source *timer; /* the nearest deadline, or the lookup check */
	struct loop_source *poll_timer;
	struct loop_source *kick; /* starts the next job on the next iteration */

	struct plug_job *head, *tail; /* the queue; head is current when running */
	struct plug_job *current;
	unsigned queued; /* clients' jobs waiting, current excluded */

	bool polling;
	uint64_t rng;
	struct plug_state st;
	struct plug_stats stats;
	bool dirty; /* the current job wrote st */
	plug_change_cb_t observer;
	void *observer_userdata;
};

static void pump(struct plug *p);
static void job_step(struct plug *p);
static void job_done(struct plug *p, int error);
static void arm_timer(struct plug *p);

static uint64_t rng_next(struct plug *p)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ULL;
}

const char *plug_host(const struct plug *p)
{
	return p->host;
}

uint16_t plug_port(const struct plug *p)
{
	return p->port;
}

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

const struct plug_stats *plug_stats(const struct plug *p)
{
	return &p->stats;
}

void plug_set_observer(struct plug *p, plug_change_cb_t cb, void *userdata)
{
	p->observer = cb;
	p->observer_userdata = userdata;
}

static bool is_strip(const struct plug *p)
{
	return p->st.known && p->st.info.outlet_count > 0;
}

/* --- Addresses ------------------------------------------------------------ */

static bool set_numeric_address(struct plug *p)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&p->addr;
	char buf[INET6_ADDRSTRLEN + 2];
	const char *h = p->host;
	size_t n = strlen(h);

	memset(&p->addr, 0, sizeof(p->addr));
	if (inet_pton(AF_INET, h, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(p->port);
		p->addrlen = sizeof(*in4);
		return true;
	}
	/* [v6] as well as bare v6. */
	if (n > 2 && h[0] == '[' && h[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		h = buf;
	}
	if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p->port);
		p->addrlen = sizeof(*in6);
		return true;
	}
	return false;
}

static void gai_release(struct plug *p)
{
	if (!p->gai)
		return;
	if (gai_cancel(p->gai) == EAI_NOTCANCELED) {
		/* glibc's worker still writes to it: leave it to glibc rather than
		 * free memory in use (a few hundred bytes, once per stuck lookup). */
		p->gai = NULL;
		return;
	}
	if (p->gai->ar_result)
		freeaddrinfo(p->gai->ar_result);
	free((void *)p->gai->ar_name);
	free((void *)p->gai->ar_request);
	free(p->gai);
	p->gai = NULL;
}

static int resolve_start(struct plug *p)
{
	struct gaicb *g = calloc(1, sizeof(*g));
	struct addrinfo *hints = calloc(1, sizeof(*hints));
	struct gaicb *list[1];
	int r;

	if (!g || !hints || !(g->ar_name = strdup(p->host))) {
		free(g);
		free(hints);
		return -ENOMEM;
	}
	hints->ai_family = AF_UNSPEC;
	hints->ai_socktype = SOCK_STREAM;
	g->ar_request = hints;
	list[0] = g;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0) {
		free((void *)g->ar_name);
		free(hints);
		free(g);
		return kasa_gai_errno(r);
	}
	p->gai = g;
	p->gai_deadline = loop_now(p->loop) + p->set.request_timeout_usec;
	return 0;
}

/* The lookup has ended (or timed out): take its answer, then go on. */
static void resolve_check(struct plug *p, uint64_t now)
{
	int r = gai_error(p->gai);

	if (r == EAI_INPROGRESS) {
		if (now < p->gai_deadline)
			return;
		r = -ETIMEDOUT;
	} else if (r == 0) {
		struct addrinfo *ai = p->gai->ar_result;

		memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
		p->addrlen = ai->ai_addrlen;
		if (p->addr.ss_family == AF_INET)
			((struct sockaddr_in *)&p->addr)->sin_port = htons(p->port);
		else
			((struct sockaddr_in6 *)&p->addr)->sin6_port = htons(p->port);
		p->conn = kasa_conn_new((struct sockaddr *)&p->addr, p->addrlen);
		r = p->conn ? 0 : -ENOMEM;
	} else {
		r = kasa_gai_errno(r);
	}
	gai_release(p);
	p->resolve_error = r;
	pump(p);
}

/* --- Waiters and deadlines -------------------------------------------------- */

static void waiter_unlink(struct plug_waiter *w)
{
	struct plug_job *j = w->job;

	if (w->prev)
		w->prev->next = w->next;
	else
		j->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
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

static void arm_timer(struct plug *p)
{
	uint64_t next = 0;

	if (p->gai) {
		next = loop_now(p->loop) + RESOLVE_CHECK_USEC;
	} else {
		if (p->conn && kasa_conn_busy(p->conn))
			next = kasa_conn_deadline(p->conn);
		for (struct plug_job *j = p->head; j; j = j->next)
			for (struct plug_waiter *w = j->waiters; w; w = w->next)
				if (!next || w->deadline < next)
					next = w->deadline;
	}
	loop_timer_set(p->timer, next);
}

static void expire_waiters(struct plug *p, uint64_t now)
{
	struct plug_result res = {.error = -ETIMEDOUT};

	for (struct plug_job *j = p->head; j; j = j->next) {
		struct plug_waiter *w = j->waiters, *next;

		for (; w; w = next) {
			next = w->next;
			if (w->deadline <= now)
				waiter_finish(p, w, &res);
		}
	}
}

/* Unlink and free queued jobs that nobody waits for (never the current). */
static void drop_orphans(struct plug *p)
{
	struct plug_job **link = &p->head;

	p->tail = NULL;
	while (*link) {
		struct plug_job *j = *link;

		if (j != p->current && !j->waiters && !j->background) {
			*link = j->next;
			p->queued -= j->counted;
			free(j->stats);
			free(j);
			continue;
		}
		p->tail = j;
		link = &j->next;
	}
}

static void update_io(struct plug *p)
{
	int fd = p->conn ? kasa_conn_fd(p->conn) : -1;
	uint32_t ev = p->conn ? kasa_conn_events(p->conn) : 0;

	if (loop_io_set(p->io, fd, ev) < 0 && p->current) {
		kasa_conn_close(p->conn);
		job_done(p, -ENOMEM);
		return;
	}
	arm_timer(p);
}

/* --- Building requests --------------------------------------------------- */

static int child_id(const struct plug *p, int outlet, char ret_id[KASA_ID_MAX])
{
	const struct kasa_sysinfo *in = &p->st.info;

	if (outlet < 0 || (unsigned)outlet >= in->outlet_count)
		return -ENOENT;
	if (in->outlets[outlet].id[0]) {
		snprintf(ret_id, KASA_ID_MAX, "%s", in->outlets[outlet].id);
		return 0;
	}
	return kasa_child_id(in->device_id, (unsigned)outlet, ret_id);
}

/* Steps after the sysinfo: how many this job has, now that it is known. */
static unsigned main_steps(const struct plug *p, const struct plug_job *j)
{
	switch (j->args.kind) {
	case PLUG_JOB_REFRESH:
		if (!p->st.info.has_emeter)
			return 0;
		if (is_strip(p))
			return p->st.info.outlet_count;
		return j->combined ? 0 : 1;
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
		return j->args.outlet < 0 && is_strip(p) ? p->st.info.outlet_count : 1;
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
	case PLUG_JOB_LED:
	case PLUG_JOB_ALIAS:
	case PLUG_JOB_REBOOT:
		return 1;
	}
	return 0;
}

/* The request for the job's next round trip; *ret_json NULL when done. */
static int job_request(struct plug *p, struct plug_job *j, char **ret_json)
{
	char id_buf[KASA_ID_MAX];
	const char *id = NULL;
	int outlet = j->args.outlet;
	int r;

	*ret_json = NULL;
	if (j->need_sysinfo) {
		j->combined = j->args.kind == PLUG_JOB_REFRESH && p->st.known &&
			      p->st.info.has_emeter && !is_strip(p);
		return j->combined ? kasa_req_sysinfo_emeter(ret_json) : kasa_req_sysinfo(ret_json);
	}
	if (j->step >= main_steps(p, j))
		return 0;

	/* Per-outlet steps of a whole strip go through its outlets in turn. */
	if (outlet < 0 && is_strip(p) &&
	    (j->args.kind == PLUG_JOB_REFRESH || j->args.kind == PLUG_JOB_DAILY ||
	     j->args.kind == PLUG_JOB_MONTHLY))
		outlet = (int)j->step;
	if (outlet >= 0) {
		r = child_id(p, outlet, id_buf);
		if (r < 0)
			return r;
		id = id_buf;
	}

	r = -EINVAL;
	switch (j->args.kind) {
	case PLUG_JOB_REFRESH:
		r = kasa_req_emeter_realtime(id, ret_json);
		break;
	case PLUG_JOB_RELAY:
		r = kasa_req_relay(id, j->args.on, ret_json);
		break;
	case PLUG_JOB_TOGGLE:
		r = kasa_req_relay(id, j->args.on, ret_json);
		break;
	case PLUG_JOB_LED:
		r = kasa_req_led(j->args.on, ret_json);
		break;
	case PLUG_JOB_ALIAS:
		r = kasa_req_alias(id, j->args.alias, ret_json);
		break;
	case PLUG_JOB_REBOOT:
		r = kasa_req_reboot(1, ret_json);
		break;
	case PLUG_JOB_DAILY:
		r = kasa_req_emeter_daily(id, j->args.year, j->args.month, ret_json);
		break;
	case PLUG_JOB_MONTHLY:
		r = kasa_req_emeter_monthly(id, j->args.year, ret_json);
		break;
	}
	/* The API checks what the user gave (alias, dates) before a job is
	 * queued: what a builder still refuses is what the plug gave, the
	 * outlet's id (a control character in it, say). */
	if (r == -EINVAL && id) {
		snprintf(j->result.device.msg, sizeof(j->result.device.msg),
			 "the id it gives outlet %d cannot be sent back", outlet);
		return -EBADMSG;
	}
	return r;
}

/* --- Taking replies ----------------------------------------------------------- */

static void set_relay_cache(struct plug *p, int outlet, bool on)
{
	struct kasa_sysinfo *in = &p->st.info;

	if (outlet >= 0 && (unsigned)outlet < in->outlet_count) {
		in->outlets[outlet].on = on;
		in->outlets[outlet].on_time = 0;
	} else if (outlet < 0 && in->outlet_count > 0) {
		for (unsigned i = 0; i < in->outlet_count; i++) {
			in->outlets[i].on = on;
			in->outlets[i].on_time = 0;
		}
	} else {
		in->relay_on = on;
		in->on_time = 0;
	}
}

bool plug_state_on(const struct plug_state *st, int outlet)
{
	const struct kasa_sysinfo *in = &st->info;

	if (outlet >= 0)
		return (unsigned)outlet < in->outlet_count && in->outlets[outlet].on;
	if (in->outlet_count == 0)
		return in->relay_on;
	for (unsigned i = 0; i < in->outlet_count; i++)
		if (in->outlets[i].on)
			return true;
	return false;
}

bool plug_state_emeter(const struct plug_state *st, int outlet, struct kasa_emeter *ret)
{
	const struct kasa_sysinfo *in = &st->info;

	if (!st->known || !in->has_emeter || !st->emeter_known)
		return false;
	if (in->outlet_count == 0) {
		*ret = st->emeter;
		return true;
	}
	if (outlet >= 0) {
		if ((unsigned)outlet >= in->outlet_count)
			return false;
		*ret = st->outlet_emeter[outlet];
		return true;
	}
	memset(ret, 0, sizeof(*ret));
	for (unsigned i = 0; i < in->outlet_count; i++) {
		const struct kasa_emeter *e = &st->outlet_emeter[i];

		ret->power_w += e->power_w;
		ret->current_a += e->current_a;
		ret->total_kwh += e->total_kwh;
		ret->voltage_v += e->voltage_v / in->outlet_count;
	}
	return true;
}

static int take_sysinfo(struct plug *p, struct plug_job *j, struct json_object *reply)
{
	struct kasa_sysinfo info;
	struct kasa_emeter em;
	int r;

	r = kasa_sysinfo_parse(reply, &info, &j->result.device);
	if (r < 0)
		return r;
	if (!info.has_relay && info.outlet_count == 0)
		return -EBADMSG;
	if (j->combined) {
		r = kasa_emeter_parse(reply, &em, &j->result.device);
		if (r < 0)
			return r;
		p->st.emeter = em;
		p->st.emeter_known = true;
		p->st.emeter_usec = loop_now(p->loop);
	}
	/* A strip that lost outlets, or a plug swapped for another model, must
	 * not keep readings that no longer belong to anything. */
	if (p->st.known && (p->st.info.outlet_count != info.outlet_count ||
			    p->st.info.has_emeter != info.has_emeter))
		p->st.emeter_known = false;
	p->st.info = info;
	p->st.known = true;
	p->st.usec = loop_now(p->loop);
	p->dirty = true;
	j->need_sysinfo = false;

	if (j->args.outlet >= 0 && j->args.kind != PLUG_JOB_REFRESH &&
	    (unsigned)j->args.outlet >= info.outlet_count)
		return -ENOENT;
	if (j->args.kind == PLUG_JOB_TOGGLE)
		j->args.on = !plug_state_on(&p->st, j->args.outlet);
	return 0;
}

static int take_reply(struct plug *p, struct plug_job *j, struct json_object *reply)
{
	struct kasa_device_error *derr = &j->result.device;
	struct json_object *res;
	int outlet = j->args.outlet;
	unsigned k = j->step;
	int r = 0;

	switch (j->args.kind) {
	case PLUG_JOB_REFRESH: {
		struct kasa_emeter em;

		r = kasa_emeter_parse(reply, &em, derr);
		if (r < 0)
			return r;
		if (is_strip(p))
			p->st.outlet_emeter[k] = em;
		else
			p->st.emeter = em;
		if (k + 1 == main_steps(p, j)) {
			p->st.emeter_known = true;
			p->st.emeter_usec = loop_now(p->loop);
		}
		break;
	}
	case PLUG_JOB_RELAY:
	case PLUG_JOB_TOGGLE:
		r = kasa_reply_result(reply, "system", "set_relay_state", &res, derr);
		if (r < 0)
			return r;
		set_relay_cache(p, outlet, j->args.on);
		j->result.on = j->args.on;
		break;
	case PLUG_JOB_LED:
		r = kasa_reply_result(reply, "system", "set_led_off", &res, derr);
		if (r < 0)
			return r;
		p->st.info.led_on = j->args.on;
		break;
	case PLUG_JOB_ALIAS:
		r = kasa_reply_result(reply, "system", "set_dev_alias", &res, derr);
		if (r < 0)
			return r;
		if (outlet >= 0)
			snprintf(p->st.info.outlets[outlet].alias,
				 sizeof(p->st.info.outlets[0].alias), "%s", j->args.alias);
		else
			snprintf(p->st.info.alias, sizeof(p->st.info.alias), "%s", j->args.alias);
		break;
	case PLUG_JOB_REBOOT:
		r = kasa_reply_result(reply, "system", "reboot", &res, derr);
		if (r < 0)
			return r;
		break;
	case PLUG_JOB_DAILY:
	case PLUG_JOB_MONTHLY:
		if (!j->stats) {
			j->stats = calloc(KASA_OUTLETS_MAX, sizeof(*j->stats));
			if (!j->stats)
				return -ENOMEM;
		}
		r = j->args.kind == PLUG_JOB_DAILY
			    ? kasa_daystat_parse(reply, j->args.year, j->args.month, &j->stats[k],
						 derr)
			    : kasa_monthstat_parse(reply, j->args.year, &j->stats[k], derr);
		if (r < 0)
			return r;
		j->result.n_stats = k + 1;
		j->result.stats = j->stats;
		break;
	}
	/* Statistics and a reboot leave the cache as it was. */
	if (j->args.kind != PLUG_JOB_DAILY && j->args.kind != PLUG_JOB_MONTHLY &&
	    j->args.kind != PLUG_JOB_REBOOT)
		p->dirty = true;
	j->step++;
	return 0;
}

/* --- Running jobs ------------------------------------------------------------ */

static const char *error_text(int error, const struct kasa_device_error *d, char *buf, size_t len)
{
	if (d->code != 0)
		snprintf(buf, len, "%s (err_code %d%s%s)", kasa_strerror(error), d->code,
			 d->msg[0] ? ", " : "", d->msg);
	else if (d->msg[0])
		snprintf(buf, len, "%s: %s", kasa_strerror(error), d->msg);
	else
		snprintf(buf, len, "%s", kasa_strerror(error));
	return buf;
}

/* --- Counting ---------------------------------------------------------------- */

static enum plug_failure failure_class(int error, const struct kasa_device_error *d)
{
	if (d && d->code != 0)
		return PLUG_FAILURE_DEVICE;
	switch (error) {
	case -ETIMEDOUT:
		return PLUG_FAILURE_TIMEOUT;
	case -ECONNREFUSED:
		return PLUG_FAILURE_REFUSED;
	case -ECONNRESET:
	case -EPIPE:
		return PLUG_FAILURE_RESET;
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -EHOSTDOWN:
	case -ENETDOWN:
		return PLUG_FAILURE_UNREACHABLE;
	case -ENXIO:
	case -EAGAIN:
		return PLUG_FAILURE_RESOLVE;
	case -EPROTO:
	case -EMSGSIZE:
		return PLUG_FAILURE_FRAME;
	case -EBADMSG:
		return PLUG_FAILURE_REPLY;
	default:
		return PLUG_FAILURE_OTHER;
	}
}

static void count_failure(struct plug *p, int error, const struct kasa_device_error *d)
{
	p->stats.failures[failure_class(error, d)]++;
}

static void count_poll(struct plug *p, uint64_t usec)
{
	unsigned i = 0;

	while (i < PLUG_POLL_BUCKETS && usec > plug_poll_bucket_usec[i])
		i++;
	if (i < PLUG_POLL_BUCKETS)
		p->stats.poll_buckets[i]++;
	p->stats.polls++;
	p->stats.poll_usec_sum += usec;
}

static void poll_schedule(struct plug *p, bool ok)
{
	uint64_t delay = p->set.poll_interval_usec, jitter;

	if (!p->polling || delay == 0)
		return;
	if (!ok && !p->st.online && p->st.misses >= p->set.offline_after) {
		/* Back off: double per further miss, up to backoff_max. */
		unsigned shift = p->st.misses - p->set.offline_after + 1;

		delay = shift >= 16 ? p->set.backoff_max_usec : delay << shift;
		if (delay > p->set.backoff_max_usec)
			delay = p->set.backoff_max_usec;
		if (delay < p->set.poll_interval_usec)
			delay = p->set.poll_interval_usec;
	}
	/* +-10 %, so plugs polled at once drift apart. */
	jitter = delay / 5;
	if (jitter)
		delay = delay - jitter / 2 + rng_next(p) % jitter;
	loop_timer_set(p->poll_timer, loop_now(p->loop) + delay);
}

static void record_outcome(struct plug *p, const struct plug_job *j, int error)
{
	char text[sizeof(p->st.last_error_text)];

	if (error == 0) {
		if (!p->st.online) {
			log_dev(LOG_NOTICE, p->label, "online (%s:%u)", p->host, p->port);
			p->dirty = true;
		}
		p->st.online = true;
		p->st.misses = 0;
		p->st.last_error = 0;
		p->st.last_error_text[0] = '\0';
		return;
	}
	error_text(error, &j->result.device, text, sizeof(text));
	if (!streq(text, p->st.last_error_text))
		p->dirty = true;
	memcpy(p->st.last_error_text, text, sizeof(text));
	p->st.last_error = error;
	if (j->args.kind != PLUG_JOB_REFRESH)
		return;
	p->st.misses++;
	if (p->st.online && p->st.misses >= p->set.offline_after) {
		p->st.online = false;
		p->dirty = true;
		log_dev(LOG_WARNING, p->label, "offline after %u failed polls: %s", p->st.misses,
			text);
	} else if (p->st.misses == 1) {
		log_dev(LOG_INFO, p->label, "poll failed: %s", text);
	}
}

static void job_done(struct plug *p, int error)
{
	struct plug_job *j = p->current;
	bool changed;

	p->current = NULL;
	p->head = j->next;
	if (!p->head)
		p->tail = NULL;
	/*
	 * The socket is not watched between jobs: a kept one the plug closes
	 * while idle would be readable for ever (the next start checks it).
	 * And off at once, before anything can open a socket that takes the
	 * number of one the connection just closed.
	 */
	loop_io_set(p->io, -1, 0);

	j->result.error = error;
	if (error >= 0)
		memset(&j->result.device, 0, sizeof(j->result.device));
	/* A device error is an answer: the plug is there. */
	record_outcome(p, j, error < 0 && j->result.device.code == 0 ? error : 0);
	if (error < 0 && j->result.device.code != 0) {
		char text[sizeof(p->st.last_error_text)];

		log_dev(LOG_INFO, p->label, "refused: %s",
			error_text(error, &j->result.device, text, sizeof(text)));
	}
	if (j->args.kind == PLUG_JOB_REFRESH) {
		if (j->started)
			count_poll(p, loop_now(p->loop) - j->started);
		poll_schedule(p, error == 0);
	}

	while (j->waiters)
		waiter_finish(p, j->waiters, &j->result);
	if (p->dirty) {
		p->dirty = false;
		if (p->observer)
			p->observer(p, p->observer_userdata);
	}

	changed = error == 0 && j->args.kind != PLUG_JOB_REFRESH &&
		  j->args.kind != PLUG_JOB_DAILY && j->args.kind != PLUG_JOB_MONTHLY;
	free(j->stats);
	free(j);

	/* The change went through: read the plug back, so the cache shows what
	 * it really did (on_time, a strip's other outlets, a reboot). */
	if (changed) {
		p->st.usec = 0;
		plug_submit(p, &(struct plug_job_args){.kind = PLUG_JOB_REFRESH, .outlet = -1}, 0,
			    NULL, NULL, NULL);
	}
	pump(p);
}

static void job_step(struct plug *p)
{
	struct plug_job *j = p->current;
	uint64_t now = loop_now(p->loop);
	char *json;
	int r;

	if (now >= j->deadline) {
		job_done(p, -ETIMEDOUT);
		return;
	}
	r = job_request(p, j, &json);
	if (r < 0 || !json) {
		job_done(p, r);
		return;
	}
	r = kasa_conn_start(p->conn, json, strlen(json), now, j->deadline - now);
	free(json);
	p->stats.requests++;
	if (r < 0) {
		count_failure(p, r, NULL);
		job_done(p, r);
		return;
	}
	update_io(p);
}

static void on_conn_result(struct plug *p, int r)
{
	struct plug_job *j = p->current;
	struct json_object *reply = NULL;
	const char *payload;
	size_t len;

	if (r == 0) {
		update_io(p);
		return;
	}
	if (r < 0) {
		count_failure(p, r, NULL);
		job_done(p, r);
		return;
	}
	payload = kasa_conn_reply(p->conn, &len);
	r = kasa_reply_parse(payload, len, &reply);
	if (r >= 0)
		r = j->need_sysinfo ? take_sysinfo(p, j, reply) : take_reply(p, j, reply);
	json_object_put(reply);
	if (r < 0) {
		count_failure(p, r, &j->result.device);
		/* The plug answered, but not with what was asked: start afresh. */
		if (j->result.device.code == 0)
			kasa_conn_close(p->conn);
		job_done(p, r);
		return;
	}
	job_step(p);
}

static void on_io(struct loop_source *s, int fd, uint32_t revents, void *userdata)
{
	struct plug *p = userdata;

	if (!p->current) {
		loop_io_set(p->io, -1, 0);
		return;
	}
	on_conn_result(p, kasa_conn_process(p->conn, revents, loop_now(p->loop)));
}

static void on_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	struct plug *p = userdata;

	if (p->gai) {
		resolve_check(p, now);
		arm_timer(p);
		return;
	}
	expire_waiters(p, now);
	if (p->current && kasa_conn_busy(p->conn) && kasa_conn_deadline(p->conn) <= now) {
		on_conn_result(p, kasa_conn_process(p->conn, 0, now));
		return;
	}
	drop_orphans(p);
	arm_timer(p);
}

static void on_kick(struct loop_source *s, uint64_t now, void *userdata)
{
	pump(userdata);
}

static void pump(struct plug *p)
{
	struct plug_job *j;
	int r;

	if (p->current || p->gai)
		return;
	drop_orphans(p);
	j = p->head;
	if (!j) {
		arm_timer(p);
		return;
	}
	if (!p->conn) {
		r = p->resolve_error;
		p->resolve_error = 0;
		if (r == 0) {
			r = resolve_start(p);
			if (r == 0) {
				arm_timer(p);
				return;
			}
		}
		/* The last lookup failed: this job takes the error, the next
		 * one looks the name up again. */
		p->current = j;
		p->queued -= j->counted;
		p->stats.requests++;
		count_failure(p, r, NULL);
		job_done(p, r);
		return;
	}
	p->current = j;
	p->queued -= j->counted;
	j->started = loop_now(p->loop);
	j->deadline = j->started + p->set.request_timeout_usec;
	j->need_sysinfo =
		j->args.kind == PLUG_JOB_REFRESH || j->args.kind == PLUG_JOB_TOGGLE || !p->st.known;
	job_step(p);
}

/* --- Submitting -------------------------------------------------------------- */

static bool shareable(const struct plug_job_args *a, const struct plug_job_args *b)
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
	case PLUG_JOB_ALIAS:
	case PLUG_JOB_REBOOT:
		return false;
	}
	return false;
}

int plug_submit(struct plug *p, const struct plug_job_args *args, uint64_t timeout_usec,
		plug_result_cb_t cb, void *userdata, struct plug_waiter **ret_waiter)
{
	struct plug_job *j = NULL;
	struct plug_waiter *w = NULL;

	for (struct plug_job *k = p->head; k; k = k->next)
		if (shareable(&k->args, args)) {
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
		j->args = *args;
		j->counted = cb != NULL;
		if (p->tail)
			p->tail->next = j;
		else
			p->head = j;
		p->tail = j;
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
		w->next = j->waiters;
		if (w->next)
			w->next->prev = w;
		j->waiters = w;
	}
	if (ret_waiter)
		*ret_waiter = w;
	if (!p->current)
		loop_defer_arm(p->kick);
	arm_timer(p);
	return 0;
}

/* --- Polling ----------------------------------------------------------------- */

static void on_poll(struct loop_source *s, uint64_t now, void *userdata)
{
	struct plug *p = userdata;

	for (struct plug_job *j = p->head; j; j = j->next)
		if (j->args.kind == PLUG_JOB_REFRESH)
			return; /* its end schedules the next poll */
	if (plug_submit(p, &(struct plug_job_args){.kind = PLUG_JOB_REFRESH, .outlet = -1}, 0, NULL,
			NULL, NULL) < 0)
		poll_schedule(p, false);
}

void plug_poll_start(struct plug *p, uint64_t first_within_usec)
{
	uint64_t at = loop_now(p->loop);

	p->polling = p->set.poll_interval_usec > 0;
	if (!p->polling)
		return;
	if (first_within_usec)
		at += rng_next(p) % first_within_usec;
	loop_timer_set(p->poll_timer, at);
}

void plug_poll_stop(struct plug *p)
{
	p->polling = false;
	loop_timer_set(p->poll_timer, 0);
}

/* --- Life -------------------------------------------------------------------- */

void plug_configure(struct plug *p, const struct plug_settings *s)
{
	bool interval_changed = s->poll_interval_usec != p->set.poll_interval_usec;

	p->set = *s;
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
	char label[300];
	int r;

	if (!p)
		return -ENOMEM;
	p->loop = l;
	p->port = port;
	p->set = *s;
	if (p->set.offline_after == 0)
		p->set.offline_after = 1;
	snprintf(label, sizeof(label), "%s:%u", host, port);
	p->host = strdup(host);
	p->label = strdup(label);
	if (!p->host || !p->label) {
		r = -ENOMEM;
		goto fail;
	}
	if (getrandom(&p->rng, sizeof(p->rng), GRND_NONBLOCK) != sizeof(p->rng))
		p->rng = loop_now(l) ^ (uintptr_t)p;
	p->rng |= 1;
	if (set_numeric_address(p)) {
		p->conn = kasa_conn_new((struct sockaddr *)&p->addr, p->addrlen);
		if (!p->conn) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = loop_io_add(l, -1, 0, on_io, p, &p->io);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_timer, p, &p->timer);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_poll, p, &p->poll_timer);
	if (r >= 0)
		r = loop_defer_add(l, on_kick, p, &p->kick);
	if (r < 0)
		goto fail;
	*ret_plug = p;
	return 0;
fail:
	plug_free(p);
	return r;
}

void plug_free(struct plug *p)
{
	struct plug_result res = {.error = -ESHUTDOWN};

	if (!p)
		return;
	/* Waiters first: their callbacks may look at the plug. */
	for (struct plug_job *j = p->head; j; j = j->next)
		while (j->waiters)
			waiter_finish(p, j->waiters, &res);
	while (p->head) {
		struct plug_job *j = p->head;

		p->head = j->next;
		free(j->stats);
		free(j);
	}
	gai_release(p);
	loop_source_free(p->io);
	loop_source_free(p->timer);
	loop_source_free(p->poll_timer);
	loop_source_free(p->kick);
	kasa_conn_free(p->conn);
	free(p->host);
	free(p->label);
	free(p);
}
