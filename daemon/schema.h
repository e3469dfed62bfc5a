/* SPDX-License-Identifier: MIT */
/*
 * The configuration's schema: every key of [kasad], [device "NAME"] and [mqtt]
 * once, with its type, bounds, default, the field that holds it and a line
 * of documentation.  The loader (config.c) sets keys through it, the
 * defaults are its own values parsed as if read from a file, and
 * --dump-config writes every key back from it.
 */
#ifndef KASAD_SCHEMA_H
#define KASAD_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

/* More keys than any section has. */
#define SCHEMA_KEYS_MAX 40

enum schema_section {
	SCHEMA_KASAD,  /* fields of struct config */
	SCHEMA_DEVICE, /* fields of struct config_device */
	SCHEMA_MQTT,   /* fields of struct config_mqtt */
};

enum schema_type {
	SCHEMA_DURATION, /* uint64_t microseconds; "off" is 0 where allowed */
	SCHEMA_UINT,	 /* an unsigned integer field of any width */
	SCHEMA_SIZE,	 /* bytes, with an optional k, M or G suffix */
	SCHEMA_BOOL,	 /* bool; yes or no */
	SCHEMA_LISTEN,	 /* struct config's listen, listen_addr and listen_addrlen */
	SCHEMA_HOST,	 /* char *, a host name or address, kept even when wrong */
	SCHEMA_PATH,	 /* char *, a file name */
	SCHEMA_HOSTS,	 /* char ** and its count: host names, separated by spaces */
	SCHEMA_ORIGINS,	 /* char ** and its count: http(s)://HOST[:PORT] ... */
	SCHEMA_CHOICE,	 /* unsigned: the index of one of choices' words */
	SCHEMA_TOPIC,	 /* char *, an MQTT topic of plain levels: [A-Za-z0-9_.-] and '/' */
	SCHEMA_MAC,	 /* char *, a MAC address, kept as "AA:BB:CC:DD:EE:FF" */
	SCHEMA_TARGETS,	 /* char ** and its count: numeric IPv4 ADDR[:PORT] ... */
	SCHEMA_ZONE,	 /* int: local, keep (CONFIG_ZONE_*) or TP-Link's zone index */
};

struct schema_key {
	const char *name;
	enum schema_type type;
	/* Numbers: inclusive; microseconds for durations.  A number stored
	 * outside them is "not set" (a device's outlet -1, its poll_interval 0). */
	uint64_t min, max; /* and SCHEMA_ZONE's indices */
	bool off; /* a duration that may be "off", meaning 0 */
	/* As it would be written in the file; NULL: not set unless given. */
	const char *def;
	size_t offset, size; /* the field */
	size_t n_offset;     /* lists: the size_t count beside them */
	const char *doc;     /* one line, for --dump-config */
	const char *const *choices; /* SCHEMA_CHOICE: the words, NULL-terminated */
};

/* The keys of a section, in the order --dump-config writes them; borrowed. */
const struct schema_key *schema_keys(enum schema_section s, size_t *ret_n);
/* The index of name in the section, -1 when it has no such key. */
int schema_lookup(enum schema_section s, const char *name);

/*
 * Set k's field in base (a struct config or a struct config_device) from
 * value, as read on line d->line: a wrong value is reported to d and is
 * -EINVAL, running out of memory -ENOMEM (and diag_oom()).  value is not
 * empty, except for SCHEMA_HOST, which says so itself.
 */
int schema_set(const struct schema_key *k, const char *value, void *base, struct diag *d);

/* Every key of the section that has a default, set to it. */
int schema_set_defaults(enum schema_section s, void *base, struct diag *d);

/*
 * Every key of the section as "key = value" lines that schema_set() reads
 * back to the same values; each preceded by its doc line with docs.  A key
 * that is not set is a comment with docs, and left out without.
 */
void schema_dump(enum schema_section s, const void *base, bool docs, FILE *f);

#endif
