/* SPDX-License-Identifier: MIT */
/*
 * What a plug's jobs come to: the counters of its requests, failures (by
 * class) and polls (their durations in a histogram), and what the end of a
 * job says of the plug, online or not and its last error, logged as it
 * changes.
 */
#include <errno.h>
#include <stdio.h>

#include "common/clock.h"
#include "errcodes.h"
#include "log.h"
#include "plug-private.h"

/* --- Counting ---------------------------------------------------------------- */

/* Prometheus's usual buckets: a round trip to a real plug takes 40-80 ms, a
 * strip's refresh one per outlet more, and a dead plug the whole timeout. */
const uint64_t plug_poll_bucket_usec[PLUG_POLL_BUCKETS] = {
	5 * USEC_PER_MSEC,    10 * USEC_PER_MSEC,  25 * USEC_PER_MSEC,	50 * USEC_PER_MSEC,
	100 * USEC_PER_MSEC,  250 * USEC_PER_MSEC, 500 * USEC_PER_MSEC, 1 * USEC_PER_SEC,
	2500 * USEC_PER_MSEC, 5 * USEC_PER_SEC,	   10 * USEC_PER_SEC,
};

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
	case -EACCES:
	case -EPERM:
		return PLUG_FAILURE_AUTH;
	default:
		return PLUG_FAILURE_OTHER;
	}
}

void plug_count_failure(struct plug *p, int error, const struct kasa_device_error *d)
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

/* --- What a job says of the plug ---------------------------------------------- */

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

static void record_outcome(struct plug *p, const struct plug_job *j, int error)
{
	char text[PLUG_ERROR_TEXT_MAX];

	/* Not found yet: no round trip, and the state says so already. */
	if (error == API_ENOTFOUND)
		return;
	if (error == 0) {
		if (!p->st.online) {
			log_dev(LOG_NOTICE, p->label, "online (%s:%u)", p->host, p->port);
			p->dirty = true;
		}
		p->st.online = true;
		p->st.misses = 0;
		plug_state_set_error(&p->st, 0, NULL);
		return;
	}
	error_text(error, &j->run.result.device, text, sizeof(text));
	if (plug_state_set_error(&p->st, error, text))
		p->dirty = true;
	if (j->run.args.kind != PLUG_JOB_REFRESH)
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

void plug_job_outcome(struct plug *p, const struct plug_job *j, int error)
{
	const struct kasa_device_error *d = &j->run.result.device;

	/* A device error is an answer: the plug is there. */
	record_outcome(p, j, error < 0 && d->code == 0 ? error : 0);
	if (error < 0 && d->code != 0) {
		char text[PLUG_ERROR_TEXT_MAX];

		log_dev(LOG_INFO, p->label, "refused: %s",
			error_text(error, d, text, sizeof(text)));
	}
	if (j->run.args.kind == PLUG_JOB_REFRESH && j->started)
		count_poll(p, loop_now(p->loop) - j->started);
}
