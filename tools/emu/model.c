/* SPDX-License-Identifier: MIT */
/* The emulated models: what each reports of itself and how its replies are shaped. */
#include <string.h>

#include "common/macro.h"
#include "emu.h"
#include "model.h"

/* Plausible values: model strings and versions as real units report them. */
static const struct emu_model models[] = {
	{
		.name = "hs100",
		.model = "HS100(US)",
		.dev_name = "Wi-Fi Smart Plug",
		.hw_ver = "1.0",
		.sw_ver = "1.2.5 Build 171129 Rel.174814",
		.hw_id = "60FF6B258734EA6880E186F8C96DDC61",
		.oem_id = "FFF22CFF774A0B89F7624BFC6F50D5DE",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.fw_id = true,
	},
	{
		.name = "hs105",
		.model = "HS105(US)",
		.dev_name = "Smart Wi-Fi Plug Mini",
		.hw_ver = "1.0",
		.sw_ver = "1.5.6 Build 191125 Rel.083657",
		.hw_id = "60FF6B258734EA6880E186F8C96DDC61",
		.oem_id = "FFF22CFF774A0B89F7624BFC6F50D5DE",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.latitude_i = true,
		.next_action = true,
	},
	{
		.name = "hs110v1",
		.model = "HS110(EU)",
		.dev_name = "Wi-Fi Smart Plug With Energy Monitoring",
		.hw_ver = "1.0",
		.sw_ver = "1.2.6 Build 200727 Rel.121701",
		.hw_id = "45E29DA8382494D2E82688B52A0B2EB5",
		.oem_id = "3D341ECE302C0642C99E31CE2430544B",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_OLD,
		.volts = 230,
		.fw_id = true,
	},
	{
		.name = "hs110v4",
		.model = "HS110(EU)",
		.dev_name = "Smart Wi-Fi Plug With Energy Monitoring",
		.hw_ver = "4.0",
		.sw_ver = "1.0.4 Build 191111 Rel.143500",
		.hw_id = "2448AB56FB7E126DE5CB7F9A7F1ABC2B",
		.oem_id = "3D341ECE302C0642C99E31CE2430544B",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NEW,
		.volts = 230,
		.latitude_i = true,
		.next_action = true,
	},
	{
		.name = "kp115",
		.model = "KP115(US)",
		.dev_name = "Smart Wi-Fi Plug Mini",
		.hw_ver = "1.0",
		.sw_ver = "1.0.17 Build 210506 Rel.075231",
		.hw_id = "0B9D3AF0C5DB6E4E9B2E2A9B3F3B5A40",
		.oem_id = "DF2E0EDFBC4E5C0C07A2F52A3B2B8E8B",
		.alias_prefix = "TP-LINK_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NEW,
		.volts = 120,
		.mic_type = true,
		.latitude_i = true,
		.next_action = true,
		.newer = true,
	},
	{
		.name = "hs200",
		.model = "HS200(US)",
		.dev_name = "Smart Wi-Fi Light Switch",
		.hw_ver = "1.0",
		.sw_ver = "1.2.5 Build 171206 Rel.085954",
		.hw_id = "A0E3CC8F5C1166B27A16D56BE262A6D3",
		.oem_id = "4AFE44A41F868FD2340E6D1308D8551D",
		.alias_prefix = "TP-LINK_Smart Switch_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.fw_id = true,
	},
	/* A wall dimmer: a relay, and the level of its light. */
	{
		.name = "hs220",
		.model = "HS220(US)",
		.dev_name = "Smart Wi-Fi Dimmer",
		.hw_ver = "1.0",
		.sw_ver = "1.5.7 Build 180912 Rel.104837",
		.hw_id = "84DCCF37225C9E55319617F7D5C095BD",
		.oem_id = "3B13224B2807E0D48A9DD06EBD344CD6",
		.alias_prefix = "TP-LINK_Smart Dimmer_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.mic_type = true,
		.latitude_i = true,
		.next_action = true,
		.dimmer = true,
	},
	{
		.name = "hs300",
		.model = "HS300(US)",
		.dev_name = NULL,
		.hw_ver = "2.0",
		.sw_ver = "1.0.12 Build 220121 Rel.175814",
		.hw_id = "34C41AA028022D0CCEA5E678E8547C54",
		.oem_id = "32BD0B21AA9BF8E84737D1DB1C66E883",
		.alias_prefix = "TP-LINK_Power Strip_",
		.outlets = 6,
		.meter = EMU_METER_NEW,
		.volts = 120,
		.mic_type = true,
		.latitude_i = true,
	},
	/* SMART over KLAP v2; the sw_ver field is fw_ver in get_device_info. */
	{
		.name = "p110",
		.model = "P110",
		.dialect = EMU_DIALECT_SMART,
		.smart_type = "SMART.TAPOPLUG",
		.region = "EU",
		.hw_ver = "1.0",
		.sw_ver = "1.3.0 Build 230905 Rel.152200",
		.hw_id = "56DD079101D61D400A11C4A3D41C51FA",
		.oem_id = "AE7B616A3E7C2F9E3F3DBBB54CDC7A3C",
		.alias_prefix = "Tapo_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NEW,
		.volts = 230,
	},
	{
		.name = "kp125m",
		.model = "KP125M",
		.dialect = EMU_DIALECT_SMART,
		.smart_type = "SMART.KASAPLUG",
		.region = "US",
		.hw_ver = "1.0",
		.sw_ver = "1.2.3 Build 240624 Rel.154806",
		.hw_id = "7B3A7F0C2D4C1E9F8A6B5D4C3B2A1908",
		.oem_id = "C8C7A3B1E6F54D2A9B8C7D6E5F4A3B2C",
		.alias_prefix = "Kasa_Smart Plug_",
		.outlets = 1,
		.meter = EMU_METER_NEW,
		.volts = 120,
	},
	/* A SMART wall dimmer: no meter, a brightness. */
	{
		.name = "ks225",
		.model = "KS225",
		.dialect = EMU_DIALECT_SMART,
		.smart_type = "SMART.KASASWITCH",
		.region = "US",
		.hw_ver = "1.0",
		.sw_ver = "1.0.2 Build 231108 Rel.161847",
		.hw_id = "2E6C1A9B8F4D3E7A5C0B9D8E7F6A5B4C",
		.oem_id = "9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D",
		.alias_prefix = "Kasa_Dimmer Switch_",
		.outlets = 1,
		.meter = EMU_METER_NONE,
		.volts = 120,
		.dimmer = true,
	},
};

const struct emu_model *model_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(models); i++)
		if (!strcmp(models[i].name, name))
			return &models[i];
	return NULL;
}

const struct emu_model *model_at(size_t i)
{
	return i < ARRAY_SIZE(models) ? &models[i] : NULL;
}
