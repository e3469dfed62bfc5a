/* SPDX-License-Identifier: MIT */
/*
 * What metrics.c (the counters, the daemon's and the process's families,
 * the scrape) and metrics-devices.c (the devices' and the plugs'
 * families) share: the text writer, inline as every line of a scrape
 * goes through it.  Nothing else includes this.
 */
#ifndef KASAD_METRICS_PRIVATE_H
#define KASAD_METRICS_PRIVATE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/text.h"
#include "kasa.h"
#include "metrics.h"

struct registry;

/* The most /metrics may hold: about 3 KiB a device, for ten thousand and
 * room to spare.  Past it (or out of memory) the scrape fails, and kasad
 * goes on. */
#define METRICS_TEXT_MAX (256u << 20)

/*
 * Ten thousand plugs make 27 MB of text, so what every line writes is
 * written without printf: fixed strings copied, integers by hand, label
 * sets rendered once a scrape and copied into each line.
 */
static inline void metrics_put_str(struct strbuf *b, const char *s)
{
	strbuf_append(b, s, strlen(s));
}

static inline void metrics_put_u64(struct strbuf *b, uint64_t v)
{
	char buf[TEXT_U64_MAX];
	size_t n;
	const char *p = text_u64(buf, v, &n);

	strbuf_append(b, p, n);
}

/* Go's ParseFloat reads all of these back.  Whole numbers (states,
 * counts, dBm) as integers, which "%.15g" would write the same. */
static inline void metrics_put_double(struct strbuf *b, double v)
{
	if (isnan(v)) {
		metrics_put_str(b, "NaN");
	} else if (isinf(v)) {
		metrics_put_str(b, v > 0 ? "+Inf" : "-Inf");
	} else if (v == (double)(int64_t)v && fabs(v) < 1e15) {
		int64_t i = (int64_t)v;

		if (i < 0)
			strbuf_append(b, "-", 1);
		metrics_put_u64(b, i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i);
	} else {
		strbuf_printf(b, "%.15g", v);
	}
}

static inline void metrics_put_label_value(struct strbuf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t plain = 0;

	/* Most values are printable ASCII with nothing to escape. */
	while (u[plain] >= 0x20 && u[plain] < 0x7f && u[plain] != '\\' && u[plain] != '"')
		plain++;
	strbuf_append(b, u, plain);
	u += plain;
	while (*u) {
		size_t n = kasa_utf8_char_len((const char *)u);

		if (n == 0) {
			strbuf_append(b, "\xef\xbf\xbd", 3);
			u++;
		} else if (*u == '\\') {
			strbuf_append(b, "\\\\", 2);
			u++;
		} else if (*u == '"') {
			strbuf_append(b, "\\\"", 2);
			u++;
		} else if (*u == '\n') {
			strbuf_append(b, "\\n", 2);
			u++;
		} else {
			strbuf_append(b, (const char *)u, n);
			u += n;
		}
	}
}

/* name="value" */
static inline void metrics_put_label(struct strbuf *b, const char *name, const char *value)
{
	metrics_put_str(b, name);
	strbuf_append(b, "=\"", 2);
	metrics_put_label_value(b, value);
	strbuf_append(b, "\"", 1);
}

static inline void metrics_put_family(struct strbuf *b, const char *name, const char *type,
				      const char *help)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels} (labels NUL-terminated in a label buffer) and a space. */
static inline void metrics_put_head(struct strbuf *b, const char *name, const char *labels)
{
	metrics_put_str(b, name);
	strbuf_append(b, "{", 1);
	metrics_put_str(b, labels);
	strbuf_append(b, "} ", 2);
}

/* metrics-devices.c: every device's families (now: CLOCK_MONOTONIC).  -ENOMEM. */
int metrics_put_devices(struct strbuf *b, struct registry *reg, uint64_t now);
/* metrics-devices.c: every plug's round trips, failures, poll durations.  -ENOMEM. */
int metrics_put_plugs(struct strbuf *b, struct registry *reg);

#endif
