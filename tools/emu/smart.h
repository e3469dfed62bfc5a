/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: the SMART JSON dispatcher (smart.c), for the models that speak
 * it (p110, kp125m) over KLAP v2: {"method":..,"params":..} in,
 * {"error_code":..,"result":..} out, over the same device state as the IOT
 * models (relay, alias, LED, meter, reboot).  See docs/kasa-emu.md.
 */
#ifndef EMU_SMART_H
#define EMU_SMART_H

#include <stdbool.h>
#include <stddef.h>

/* SMART error_codes, as firmware sends them. */
#define EMU_SMART_ERR_METHOD -1002 /* unknown method */
#define EMU_SMART_ERR_JSON   -1003 /* the request is no JSON it can read */
#define EMU_SMART_ERR_PARAMS -1008 /* bad parameters */

/* Most requests in one multipleRequest. */
#define EMU_SMART_BATCH_MAX 32

/*
 * Answer one request payload to the struct emu_device userdata, as an
 * emu_net_handle_cb: the reply JSON (owned, free()); a payload that is no
 * JSON object gets error_code -1003.  NULL only out of memory, or for UDP
 * (SMART devices answer nothing there).
 */
char *smart_handle(void *userdata, const char *json, size_t len, bool udp);

#endif
