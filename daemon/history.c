/* SPDX-License-Identifier: MIT */
/* The power history (history.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/macro.h"
#include "common/strbuf.h"
#include "history.h"
#include "loop.h"
#include "plug.h"
#include "registry.h"
#include "service.h"

/* No more steps than this a device, whatever length and step say. */
#define HISTORY_STEPS_MAX (1u << 20)

struct track {
	char *name; /* the device's */
	const struct plug *plug;
	int outlet;
	uint64_t newest;  /* the step (since the clock's start) last written */
	uint64_t reading; /* the reading's time, so that one is taken once */
	float *power;	  /* n steps; NAN where there was no reading */
	bool kept;	  /* follow_registry(): taken by a device of the new one */
};

struct history {
	struct registry *reg;
	struct service_watch *watch;
	struct history_settings set;
	size_t n; /* steps a track */
	/* The tracks by device index, for the registry's generation. */
	struct track **tracks;
	size_t n_tracks;
	uint64_t generation;
};

static void track_free(struct track *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->power);
	free(t);
}

static void tracks_free(struct history *h)
{
	for (size_t i = 0; i < h->n_tracks; i++)
		track_free(h->tracks[i]);
	free(h->tracks);
	h->tracks = NULL;
	h->n_tracks = 0;
}

static int cmp_track(const void *a, const void *b)
{
	const struct track *x = *(struct track *const *)a, *y = *(struct track *const *)b;

	return strcmp(x->name, y->name);
}

/* The registry changed: keep the tracks of the devices that stayed the same
 * device (name, plug and outlet), by their new indexes. */
static int follow_registry(struct history *h)
{
	size_t n = registry_count(h->reg), k = 0;
	struct track **old = h->tracks, **now = calloc(n ? n : 1, sizeof(*now));

	if (!now)
		return -ENOMEM;
	/* The old ones by name, to find each once. */
	for (size_t i = 0; i < h->n_tracks; i++)
		if (old[i])
			old[k++] = old[i];
	if (k)
		qsort(old, k, sizeof(*old), cmp_track);
	for (size_t i = 0; i < n; i++) {
		const struct device *d = registry_device(h->reg, i);
		struct track key = {.name = d->name}, *kp = &key, **hit;

		/* (Names are unique: no track is taken twice.) */
		hit = k ? bsearch(&kp, old, k, sizeof(*old), cmp_track) : NULL;
		if (hit && (*hit)->plug == d->plug && (*hit)->outlet == d->outlet) {
			now[i] = *hit;
			(*hit)->kept = true;
		}
	}
	for (size_t i = 0; i < k; i++) {
		if (old[i]->kept)
			old[i]->kept = false;
		else
			track_free(old[i]);
	}
	free(old);
	h->tracks = now;
	h->n_tracks = n;
	h->generation = registry_generation(h->reg);
	return 0;
}

/* d's track, made when create; NULL when there is none or no memory. */
static struct track *track_of(struct history *h, const struct device *d, bool create)
{
	struct track *t;

	if (h->generation != registry_generation(h->reg) && follow_registry(h) < 0)
		return NULL;
	if (d->index >= h->n_tracks || registry_device(h->reg, d->index) != d)
		return NULL;
	t = h->tracks[d->index];
	if (t || !create)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->name = strdup(d->name);
	t->power = malloc(h->n * sizeof(*t->power));
	if (!t->name || !t->power) {
		track_free(t);
		return NULL;
	}
	for (size_t i = 0; i < h->n; i++)
		t->power[i] = NAN;
	t->plug = d->plug;
	t->outlet = d->outlet;
	h->tracks[d->index] = t;
	return t;
}

static void record(struct track *t, size_t n, uint64_t step, float w)
{
	if (t->newest && step + n <= t->newest)
		return; /* older than the whole ring */
	if (step > t->newest) {
		/* The steps since the last reading had none. */
		uint64_t from = t->newest + 1;

		if (!t->newest || step - t->newest > n)
			from = step > n ? step - n + 1 : 0;
		for (uint64_t s = from; s < step; s++)
			t->power[s % n] = NAN;
		t->newest = step;
	}
	t->power[step % n] = w;
}

static void on_change(const struct device *d, void *userdata)
{
	struct history *h = userdata;
	const struct plug_state *st = service_state(d);
	struct kasa_emeter em;
	struct track *t;

	if (!h->set.length_usec || !plug_state_emeter(st, d->outlet, &em))
		return;
	t = track_of(h, d, true);
	if (!t || t->reading == st->emeter_usec)
		return;
	t->reading = st->emeter_usec;
	/* Step numbers start at 1: 0 says "nothing yet". */
	record(t, h->n, st->emeter_usec / h->set.step_usec + 1, (float)em.power_w);
}

static void take_settings(struct history *h, const struct history_settings *s)
{
	h->set = *s;
	if (h->set.step_usec < USEC_PER_SEC)
		h->set.step_usec = USEC_PER_SEC;
	h->n = h->set.length_usec / h->set.step_usec;
	if (h->n < 1)
		h->n = 1;
	if (h->n > HISTORY_STEPS_MAX)
		h->n = HISTORY_STEPS_MAX;
}

int history_new(struct loop *l, struct service *svc, const struct history_settings *s,
		struct history **ret)
{
	struct history *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->reg = service_registry(svc);
	take_settings(h, s);
	r = service_watch(svc, on_change, h, &h->watch);
	if (r < 0) {
		free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void history_free(struct history *h)
{
	if (!h)
		return;
	service_unwatch(h->watch);
	tracks_free(h);
	free(h);
}

void history_configure(struct history *h, const struct history_settings *s)
{
	struct history_settings old = h->set;

	take_settings(h, s);
	if (old.length_usec != h->set.length_usec || old.step_usec != h->set.step_usec)
		tracks_free(h);
}

unsigned history_minutes_max(const struct history *h)
{
	return (unsigned)(h->n * h->set.step_usec / USEC_PER_MIN);
}

int history_render(struct history *h, const struct device *d, unsigned minutes, uint64_t now_usec,
		   int64_t now_unix_s, struct strbuf *b)
{
	struct track *t = h->set.length_usec ? track_of(h, d, false) : NULL;
	uint64_t now_step, first, want;
	bool comma = false;

	if (!h->set.length_usec)
		return -ENOENT;
	now_step = now_usec / h->set.step_usec + 1;
	want = (uint64_t)minutes * USEC_PER_MIN / h->set.step_usec;
	if (want > h->n)
		want = h->n;
	first = now_step >= want ? now_step - want + 1 : 1;
	/* Names are letters, digits, '-', '_' and '.': nothing to escape. */
	strbuf_printf(b, "{\"device\":\"%s\",\"step_s\":%" PRIu64 ",\"samples\":[", d->name,
		      (uint64_t)(h->set.step_usec / USEC_PER_SEC));
	for (uint64_t s = first; t && s <= now_step && s <= t->newest; s++) {
		float w;

		if (s + h->n <= t->newest)
			continue;
		w = t->power[s % h->n];
		if (isnan(w))
			continue;
		/* The step's start, on the wall clock. */
		strbuf_printf(b, "%s{\"time\":%" PRId64 ",\"power_w\":%.3f}", comma ? "," : "",
			      now_unix_s - (int64_t)((now_usec - (s - 1) * h->set.step_usec) /
						     USEC_PER_SEC),
			      (double)w);
		comma = true;
	}
	strbuf_append(b, "]}\n", 3);
	return b->error;
}
