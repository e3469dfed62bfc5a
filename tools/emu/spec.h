/* SPDX-License-Identifier: MIT */
/* kasa-emu: what one device is to be, from a SPEC string or a devices file (spec.c). */
#ifndef EMU_SPEC_H
#define EMU_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/mac.h"
#include "emu.h"
#include "fault.h"
#include "hostile.h"

struct emu_model;

struct emu_spec {
	const struct emu_model *model;
	char alias[EMU_ALIAS_MAX]; /* "" when not given */
	int port;		   /* -1 when not given */
	bool on;
	unsigned delay_ms;
	unsigned drip_ms;
	unsigned idle_ms; /* close idle connections after this long; 0 never */
	enum emu_fault fault;
	enum emu_hostile hostile;
	unsigned flaky; /* percent of requests dropped */
	uint64_t seed;
	bool has_seed;
	double power_w;	  /* load when on; 0 picks one from the device index */
	unsigned klap;	  /* 0: XOR on TCP; 1 or 2: HTTP, KLAP v1 or v2 (SMART: 2) */
	bool has_account; /* user= and password= given; else blank credentials */
	char user[EMU_CRED_MAX];
	char password[EMU_CRED_MAX];
	unsigned session_max; /* end a KLAP session after this many requests; 0 never */
	bool local_off;	      /* KLAP: 403 to every handshake (Third-Party Compatibility off) */
	bool stuck;	      /* a switch is answered as done, and the relay stays */
	int64_t clock_offset_s; /* the device's clock starts this far from the host's */
	char mac[MAC_TEXT_SIZE]; /* "AA:BB:..", its identity; "" when not given */
	unsigned brightness;	/* a dimmer's level at start, 1..100; 0: not given (100) */
};

/* Parse "MODEL[,key=value...]"; prints what is wrong on stderr. */
int spec_parse(const char *text, struct emu_spec *ret);
/* Append each SPEC line of path to *specs (realloc'd). */
int spec_load_file(const char *path, struct emu_spec **specs, size_t *count);

#endif
