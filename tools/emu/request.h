/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: the JSON request dispatcher (request.c): modules, methods,
 * outlet contexts and the device's error replies, worded and placed as real
 * firmware does (see PROTOCOL.md sections 3 to 5).
 */
#ifndef EMU_REQUEST_H
#define EMU_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * An emu_net_handle_cb: answer one request payload to the struct emu_device
 * userdata.  Returns the reply JSON (owned, free()), or NULL when the
 * payload is not a JSON object (the peer is then dropped) or, over UDP, when
 * there is nothing to answer.
 */
char *request_handle(void *userdata, const char *json, size_t len, bool udp);

#endif
