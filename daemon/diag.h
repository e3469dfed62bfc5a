/* SPDX-License-Identifier: MIT */
/*
 * FILE:LINE diagnostics, for the configuration and the tokens file: the
 * messages of one file, gathered while it is read and handed on as one
 * text, sorted by line, each line "FILE:LINE: what is wrong\n" (or
 * "FILE: ..." for the file as a whole).
 *
 * At most max messages are kept.  The next one stops the collection and
 * takes the last line of the text, "FILE: too many errors, stopped at
 * line N", N being the line the reader was on then (diag.line).
 */
#ifndef KASAD_DIAG_H
#define KASAD_DIAG_H

#include <stdbool.h>
#include <stddef.h>

struct diag_message;

struct diag {
	const char *name; /* FILE, borrowed */
	unsigned max;
	unsigned line; /* the reader's current line, kept up to date by it */
	struct diag_message *messages;
	size_t n;
	unsigned stopped_at;
	bool stopped; /* too many messages */
	bool oom;     /* a message was lost for want of memory */
};

#define DIAG_INIT(name_, max_) ((struct diag){.name = (name_), .max = (max_)})

/* A message about line (0: the whole file).  Nothing once stopped. */
void diag_report(struct diag *d, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* For the reader's own allocations: stop, and the load is -ENOMEM. */
void diag_oom(struct diag *d);

/* Too many messages, or out of memory: read no further. */
bool diag_stopped(const struct diag *d);
/* Anything reported at all (the verdict). */
bool diag_failed(const struct diag *d);
/* A message about this line already. */
bool diag_reported_at(const struct diag *d, unsigned line);

/* The text (owned, free()), sorted by line; -ENOMEM. */
int diag_text(struct diag *d, char **ret_text);
/* Frees the messages; d may be used again after DIAG_INIT. */
void diag_done(struct diag *d);

/*
 * One message about a whole file, for failures before or instead of
 * reading it: *ret_errors, when not NULL, gets "NAME: what\n" (owned; NULL
 * when out of memory).  Returns err.
 */
int diag_fail(char **ret_errors, int err, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
