/* SPDX-License-Identifier: MIT */
/*
 * The daemon's life: start, reload on SIGHUP, stop on SIGTERM or SIGINT,
 * with systemd's notifications and watchdog, and the open file limit.
 *
 * Each module's settings are derived from the configuration here
 * (server-settings.c), by one function per module, called at start and at
 * every reload alike: a value of the configuration reaches its module by
 * that function or not at all.
 * (The plugs' are the registry's own: registry_apply() derives them.)
 */
#ifndef KASAD_SERVER_H
#define KASAD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "http.h"
#include "service.h"

struct auth;
struct config;
struct server;

/* config_load_file(), each error logged as a line of its own.  *ret_config
 * is owned (config_free()). */
int server_load_config(const char *path, struct config **ret_config);

/*
 * What --check-config checks beyond the file: the tokens file and the
 * credentials files load, and the inventory fits the hard open file limit
 * (nothing is raised).  Logs what is wrong.  *ret_tokens: how many tokens
 * the file holds (0: none); *ret_accounts: how many credentials files.
 */
int server_check(const struct config *c, size_t *ret_tokens, size_t *ret_accounts);

/*
 * Start serving c, which is taken over (freed on failure too): raise the
 * open file limit, load the tokens, build the inventory, listen (on the
 * socket systemd passed, if any), enforce config_exposure(), and tell
 * systemd READY=1.  Every failure is logged; then -errno.
 */
int server_new(struct config *c, struct server **ret_server);
/* Serve until stopped: 0, or -errno when the loop failed. */
int server_run(struct server *s);
/* Accepts NULL. */
void server_free(struct server *s);

/* The API's settings; they borrow from c and auth (see api_configure()). */
struct api_settings server_api_settings(const struct config *c, const struct auth *auth);
/* The device service's settings; time_zone = local is left -1 here (the
 * server reads this host's zone beside it, with files and the log). */
struct service_settings server_service_settings(const struct config *c);
/* The MQTT bridge's settings, the credentials file read (its errors
 * logged): -errno when it cannot be. */
struct mqtt_settings;
int server_mqtt_settings(const struct config *c, struct mqtt_settings *ret);
/* Discovery's settings: c's discover addresses, and with
 * discover_broadcast the interfaces that have listen, the address the HTTP
 * server listens on (NULL: c's listen address). */
struct discovery_settings;
void server_discovery_settings(const struct config *c, const struct sockaddr *listen,
			       struct discovery_settings *ret);
/* The HTTP server's options: on listen_fd, or (-1) bound to c's listen
 * address, which they borrow.  A reload changes only suspend_timeout_usec:
 * a request waiting on a plug is answered by the plug's own deadline, and
 * the HTTP server's, a second later, is the net under it. */
struct http_options server_http_options(const struct config *c, int listen_fd);

#endif
