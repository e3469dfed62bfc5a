/* SPDX-License-Identifier: MIT */
/* What server.c (the daemon's life) and server-settings.c (every module's
 * settings) share beside server.h.  Nothing else includes this. */
#ifndef KASAD_SERVER_PRIVATE_H
#define KASAD_SERVER_PRIVATE_H

#include "server.h"

struct config;
struct timesync_settings;

/* server.c: a file's errors, one a line, logged as a line each (NULL:
 * none). */
void server_print_errors(const char *errors);

/* server-settings.c: server_service_settings() with time_zone = local made
 * this host's zone (files and the log). */
struct service_settings server_service_settings_local(const struct config *c);
/* server-settings.c: time_sync's settings, [kasad]'s and each device's own
 * (*ret_choice, owned, which *ret borrows).  -ENOMEM. */
int server_timesync_settings(const struct config *c, struct timesync_settings *ret,
			     unsigned **ret_choice);

#endif
