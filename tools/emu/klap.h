/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: the KLAP endpoints of one device (klap.c), over libkasa's
 * device side (kasa_klap_server_*): POST /app/handshake1, /app/handshake2
 * and /app/request?seq=N, the session cookie, the statuses a plug refuses
 * with, and session=.  Each request's JSON goes to the device's handler
 * (request.c for IOT, smart.c for SMART) and its answer comes back sealed.
 *
 * The statuses (docs/kasa-emu.md says the same):
 *   200  the answer (handshake 1: 48 bytes and the cookie; handshake 2:
 *        empty; a request: the sealed JSON)
 *   400  malformed: a handshake body of the wrong length, no or a bad seq,
 *        a request body of a length no sealed body has, bad padding, a body
 *        over the cap; IOT JSON that is not an object
 *   403  the session refuses: no or another cookie, handshake 2 without
 *        handshake 1 or with the wrong hash, a request with no session (none
 *        yet, dropped by session= or a newer handshake), a signature that is
 *        not the session's, a seq not above the last one
 *   404  another path; 405 another method than POST
 */
#ifndef EMU_KLAP_H
#define EMU_KLAP_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "spec.h"

/* The JSON handler: as emu_net_handle_cb, never over UDP here. */
typedef char *(*emu_klap_json_cb)(void *userdata, const char *json, size_t len, bool udp);

struct emu_klap;
struct emu_stats;

/* spec: klap (the version), the account, session=, local=, fault=badjson;
 * it must outlive the object, and so must stats (handshakes are counted
 * there).  index: for log lines. */
int klap_new(unsigned index, const struct emu_spec *spec, struct emu_stats *stats,
	     emu_klap_json_cb handle, void *userdata, struct emu_klap **ret);
void klap_free(struct emu_klap *k);
/* End the session (a reboot): the next request is refused with 403. */
void klap_reset(struct emu_klap *k);
/* An emu_http_handle_cb over the object. */
void klap_handle(void *userdata, const struct emu_http_request *req, struct emu_http_answer *ret);

#endif
