/* SPDX-License-Identifier: MIT */
/*
 * Messages are kept apart until the end because they are not found in
 * line order: a cross-check of the whole file names the line where a
 * section started, long after it was read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

struct diag_message {
	unsigned line;
	unsigned seq; /* keeps the messages of one line in the order found */
	char *text;
};

void diag_oom(struct diag *d)
{
	d->oom = true;
}

bool diag_stopped(const struct diag *d)
{
	return d->stopped || d->oom;
}

bool diag_failed(const struct diag *d)
{
	return d->n || diag_stopped(d);
}

void diag_report(struct diag *d, unsigned line, const char *fmt, ...)
{
	struct diag_message *m;
	va_list ap;
	char *text;
	int r;

	if (diag_stopped(d))
		return;
	if (d->n == d->max) {
		/* Further messages would only hide the first ones. */
		d->stopped = true;
		d->stopped_at = d->line;
		return;
	}
	if (!d->messages) {
		d->messages = calloc(d->max, sizeof(*d->messages));
		if (!d->messages) {
			diag_oom(d);
			return;
		}
	}
	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		diag_oom(d);
		return;
	}
	m = &d->messages[d->n];
	m->line = line;
	m->seq = (unsigned)d->n++;
	m->text = text;
}

bool diag_reported_at(const struct diag *d, unsigned line)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->messages[i].line == line)
			return true;
	return false;
}

static int cmp_message(const void *a, const void *b)
{
	const struct diag_message *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int diag_text(struct diag *d, char **ret_text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (d->oom)
		return -ENOMEM;
	if (d->n)
		qsort(d->messages, d->n, sizeof(*d->messages), cmp_message);
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		if (d->messages[i].line)
			fprintf(f, "%s:%u: %s\n", d->name, d->messages[i].line,
				d->messages[i].text);
		else
			fprintf(f, "%s: %s\n", d->name, d->messages[i].text);
	}
	if (d->stopped)
		fprintf(f, "%s: too many errors, stopped at line %u\n", d->name, d->stopped_at);
	if (ferror(f) | fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*ret_text = buf;
	return 0;
}

void diag_done(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->messages[i].text);
	free(d->messages);
	d->messages = NULL;
	d->n = 0;
}

int diag_fail(char **ret_errors, int err, const char *name, const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;
	int r;

	if (!ret_errors)
		return err;
	*ret_errors = NULL;
	va_start(ap, fmt);
	r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r >= 0 && asprintf(ret_errors, "%s: %s\n", name, what) < 0)
		*ret_errors = NULL;
	free(what);
	return err;
}
