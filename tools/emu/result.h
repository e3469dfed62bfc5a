/* SPDX-License-Identifier: MIT */
/* kasa-emu: method results and the device's err_codes (result.c). */
#ifndef EMU_RESULT_H
#define EMU_RESULT_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

/* Device err_codes and their texts, as real firmware words them. */
#define EMU_ERR_MODULE -1  /* "module not support" */
#define EMU_ERR_METHOD -2  /* "member not support" */
#define EMU_ERR_ARG    -3  /* "invalid argument" */
#define EMU_ERR_FULL   -10 /* "table is full" */
#define EMU_ERR_ENTRY  -14 /* "entry not exist" */

/* {"err_code":code} plus the matching err_msg when code is not 0 (owned). */
struct json_object *result_new(int code);

/* o[key] = v, a new string, integer or boolean. */
void result_add_str(struct json_object *o, const char *key, const char *v);
void result_add_int(struct json_object *o, const char *key, int64_t v);
void result_add_bool(struct json_object *o, const char *key, bool v);

#endif
