/* SPDX-License-Identifier: MIT */
/*
 * The request bodies of a device's own verbs: a switch (on, off), an alias,
 * a dimmer's brightness.  Pure functions, for the REST API and, where the
 * same words come over MQTT, the bridge.
 */
#ifndef KASAD_DEVBODY_H
#define KASAD_DEVBODY_H

#include <stddef.h>

/* The most a brightness body may be: "{\"brightness\":100}" and blanks. */
#define DEVBODY_BRIGHTNESS_MAX 256

/* ON/OFF, on/off, true/false, 1/0 (quoted or not), {"on":bool} or
 * {"state":"ON"|bool|1|0}: 1 on, 0 off, -1 anything else. */
int devbody_switch(const char *body);

/* {"alias":"..."}: 1..63 bytes of well-formed UTF-8 without control
 * characters, into ret; -EINVAL for anything else. */
int devbody_alias(const char *body, char ret[64]);

/*
 * A dimmer's level: the bare number N or {"brightness":N}, blanks around,
 * len bytes (body need not end in a NUL).  0 and *ret: N is a whole number
 * KASA_BRIGHTNESS_MIN..KASA_BRIGHTNESS_MAX; -ERANGE: a whole number out of
 * that range (0 included: off is the relay's); -EINVAL: anything else (not
 * JSON, a fraction, a string, another member, a NUL byte); -EMSGSIZE: over
 * DEVBODY_BRIGHTNESS_MAX bytes.
 */
int devbody_brightness(const char *body, size_t len, int *ret);

#endif
