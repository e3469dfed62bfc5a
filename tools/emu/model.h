/* SPDX-License-Identifier: MIT */
/* kasa-emu: the emulated models, as real units report themselves (model.c). */
#ifndef EMU_MODEL_H
#define EMU_MODEL_H

#include <stdbool.h>
#include <stddef.h>

enum emu_meter_style {
	EMU_METER_NONE,
	EMU_METER_OLD, /* current, voltage, power, total: floats */
	EMU_METER_NEW, /* current_ma, voltage_mv, power_mw, total_wh: integers */
};

/* The JSON a model speaks: IOT ({"system":{"get_sysinfo":{}}}) on TCP
 * 9999 or over KLAP, or SMART ({"method":"get_device_info"}, request.c and
 * smart.c), always over KLAP v2. */
enum emu_dialect {
	EMU_DIALECT_IOT,
	EMU_DIALECT_SMART,
};

struct emu_model {
	const char *name;  /* the SPEC name: "hs110v4" */
	const char *model; /* "HS110(EU)"; SMART: "P110", the region apart */
	enum emu_dialect dialect;
	const char *smart_type; /* SMART: "SMART.TAPOPLUG", "SMART.KASAPLUG" */
	const char *region;	/* SMART: "EU", "US": discovery's device_model */
	const char *dev_name;	/* NULL: no such field */
	const char *hw_ver;
	const char *sw_ver;
	const char *hw_id;
	const char *oem_id;
	const char *alias_prefix; /* default alias, before the MAC's last 4 hex digits */
	unsigned outlets;	  /* 1, or the number of children */
	enum emu_meter_style meter;
	double volts;
	bool mic_type;	  /* "mic_type" instead of "type" */
	bool latitude_i;  /* latitude_i/longitude_i instead of latitude/longitude */
	bool next_action; /* a next_action object */
	bool fw_id;	  /* the old fwId field */
	bool newer;	  /* obd_src, status, ntc_state */
	bool dimmer;	  /* a brightness, and the dimmer module (SMART: its component) */
};

/* Both return borrowed pointers into a static table, NULL when none. */
const struct emu_model *model_find(const char *name);
/* The i-th model, for help texts. */
const struct emu_model *model_at(size_t i);

#endif
