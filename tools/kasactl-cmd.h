/* SPDX-License-Identifier: MIT */
/*
 * kasactl: the commands, called by kasactl.c.  Each returns an exit code and
 * prints its own errors.  Not installed.
 */
#ifndef KASACTL_CMD_H
#define KASACTL_CMD_H

#include <stdbool.h>
#include <stdint.h>

struct ctl;

/* kasactl-cmd.c */
int cmd_switch(struct ctl *c, bool on);
int cmd_toggle(struct ctl *c);
int cmd_check(struct ctl *c);
int cmd_status(struct ctl *c);
int cmd_led(struct ctl *c, bool on);
/* level: KASA_BRIGHTNESS_MIN..KASA_BRIGHTNESS_MAX (kasactl.c checks it). */
int cmd_brightness(struct ctl *c, int level);
int cmd_alias(struct ctl *c, const char *alias);
int cmd_reboot(struct ctl *c);
int cmd_time(struct ctl *c);
int cmd_raw(struct ctl *c, const char *json);

/* kasactl-emeter.c */
int cmd_emeter(struct ctl *c);
int cmd_daily(struct ctl *c, int year, int month);
int cmd_monthly(struct ctl *c, int year);

/* kasactl-rules.c: what the plug keeps itself; argv as given after the
 * command (countdown: 0 to 2 words; schedule: 1 to 4). */
int cmd_countdown(struct ctl *c, int argc, char **argv);
int cmd_schedule(struct ctl *c, int argc, char **argv);

/* kasactl-discover.c */
/* klap_port: where the KLAP probe goes, 0 for none. */
enum discover_output {
	DISCOVER_TABLE,	 /* a line a device */
	DISCOVER_JSON,	 /* one array */
	DISCOVER_CONFIG, /* a [device] section of kasad.conf a device */
};
int cmd_discover(const char *target, uint16_t klap_port, double timeout_s,
		 enum discover_output output, bool verbose);

/* kasactl-filter.c: stdin to stdout. */
int cmd_encode(bool base64, bool header);
int cmd_decode(bool base64, bool header);

#endif
