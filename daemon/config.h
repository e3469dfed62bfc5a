/* SPDX-License-Identifier: MIT */
/*
 * The daemon's configuration: an INI file read with inih.
 *
 *   [kasad]            listen, poll_interval, request_timeout, cache_max_age, ...
 *   [device "NAME"]    host, port, outlet, poll_interval, transport, ...
 *   [mqtt]             broker, topic, discovery, client_id, credentials, ...
 *
 * A configuration is immutable once loaded; a reload builds a new one and
 * the caller swaps it in only when it loaded without error.
 */
#ifndef KASAD_CONFIG_H
#define KASAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define CONFIG_DEFAULT_PATH "/etc/kasad/kasad.conf"
#define CONFIG_NAME_MAX	    64
#define CONFIG_DEVICES_MAX  65536 /* the most max_devices may be */
#define CONFIG_LIST_MAX	    32 /* allowed_hosts, cors_origins */
#define CONFIG_PATH_MAX	    4096

/*
 * The values, defaults filled in.  Their names, bounds, defaults and docs
 * are in one table, schema.c's; what is here is only what the code using
 * them needs to know.
 */
/* How kasad talks to a plug: the words of the transport key, in order. */
enum config_transport {
	CONFIG_TRANSPORT_AUTO, /* XOR on port; refused: KLAP on klap_port */
	CONFIG_TRANSPORT_XOR,
	CONFIG_TRANSPORT_KLAP,
};

struct config_device {
	char *name; /* letters, digits, '-', '_', '.'; 1..CONFIG_NAME_MAX-1 */
	char *host; /* a name or a numeric address, as written; NULL: found by mac */
	char *mac;  /* "AA:BB:CC:DD:EE:FF" (config-plugs.c names the plug by it); NULL */
	uint16_t port;	    /* XOR's */
	uint16_t klap_port; /* KLAP's */
	unsigned transport; /* enum config_transport */
	char *credentials;  /* its own credentials file; NULL: [kasad]'s */
	unsigned time_sync; /* 0: [kasad]'s, 1: yes, 2: no */
	int outlet;		     /* -1: the whole plug; else 0..KASA_OUTLETS_MAX-1 */
	uint64_t poll_interval_usec; /* 0: the daemon's poll_interval */
	unsigned line;		     /* where its section starts */
	/* Its plug, an index in the order of the plugs' first devices:
	 * devices with the same MAC, or else on the same host (as written)
	 * and ports, share one. */
	size_t plug;
};

/* time_zone's words; else an index of TP-Link's table, 0..109. */
#define CONFIG_ZONE_LOCAL (-2) /* kasad's own zone */
#define CONFIG_ZONE_KEEP  (-1) /* each plug's own: the clock alone is set */

/* The MQTT bridge ([mqtt]); absent, kasad speaks no MQTT. */
#define CONFIG_MQTT_PORT      1883
#define CONFIG_MQTT_TOPIC_MAX 96 /* the base and the discovery prefix */
struct config_mqtt {
	bool enabled;	     /* the section is there */
	char *broker;	     /* HOST[:PORT], as written */
	char *broker_host;   /* HOST, brackets of an IPv6 address removed */
	uint16_t broker_port;
	char *topic;	     /* the base topic */
	char *discovery;     /* Home Assistant's discovery prefix; "no": none */
	char *client_id;     /* NULL: from the base topic and the host name */
	char *credentials;   /* user on line 1, password on line 2; NULL: none */
	bool tls;
	char *ca_file;	     /* NULL: the system's certificates */
	unsigned qos;	     /* of what kasad publishes and subscribes to */
	uint64_t keepalive_usec;
	unsigned line;	     /* where the section starts */
};

struct config {
	char *path;   /* as given to config_load_file() */
	char *listen; /* as written */
	struct sockaddr_storage listen_addr;
	socklen_t listen_addrlen;
	uint64_t poll_interval_usec;	/* 0: polling is off */
	uint64_t request_timeout_usec;	/* a plug's whole answer */
	uint64_t cache_max_age_usec;	/* reads older go to the plug */
	unsigned offline_after;		/* missed polls before "offline" */
	uint64_t backoff_max_usec;	/* longest poll interval of an offline plug */
	uint64_t history_usec;		/* each meter's power kept this far back; 0: none */
	bool time_sync;			/* keep the plugs' clocks right */
	int time_zone; /* the zone a clock set gives: CONFIG_ZONE_* or TP-Link's index */
	uint64_t shutdown_timeout_usec; /* SIGTERM grace */
	unsigned max_connections;	/* HTTP */
	unsigned max_connections_per_ip;
	uint64_t connection_timeout_usec; /* idle HTTP connection */
	unsigned queue_max;		  /* waiting requests per plug */
	size_t body_max;		  /* request body cap */
	size_t answer_memory_max;	  /* large answers not yet sent, in all */
	/* Who may do what: tokens file (NULL: none, then only loopback unless
	 * allow_unauthenticated), extra Host names, CORS origins. */
	char *tokens;
	bool allow_unauthenticated;
	/* The TP-Link account for KLAP plugs: a file's name (NULL: none, only
	 * TP-Link's defaults and blank are tried), read as tokens is. */
	char *credentials;
	char **allowed_hosts; /* lower case */
	size_t n_allowed_hosts;
	char **cors_origins;
	size_t n_cors_origins;
	unsigned client_rate; /* requests a second per client address, 0: no limit */
	unsigned client_burst;
	unsigned switch_rate; /* state changes a minute per plug, 0: no limit */
	unsigned switch_burst;
	uint64_t request_deadline_usec; /* a request's head and body */
	size_t url_max;			/* 414 beyond */
	size_t header_max;		/* all header lines, 431 beyond */
	/* "empty_inventory = yes": no [device] section, on purpose.  A reload
	 * that would drop every device is refused without it (an empty or
	 * truncated file is not taken for "no devices"). */
	bool empty_inventory;
	/* Discovery: where it goes (ADDR[:PORT] words, as written; checked),
	 * and to the broadcast address of each interface listened on. */
	char **discover;
	size_t n_discover;
	bool discover_broadcast;
	uint64_t discover_interval_usec;
	uint16_t discover_klap_port; /* 0: no probe of KLAP firmware */
	unsigned max_devices;	  /* [device] sections at most */
	unsigned polls_in_flight; /* background round trips at once, all plugs */
	struct config_device *devices;
	size_t n_devices;
	size_t n_plugs;	     /* see config_device's plug */
	size_t n_klap_plugs; /* of those, how many speak KLAP (transport = klap) */
	size_t n_auto_plugs; /* and how many may (transport = auto) */
	struct config_mqtt mqtt;
};

/*
 * Load and validate.  On failure returns -EINVAL (or -ENOENT, -EACCES, ...
 * when the file cannot be read, -ENOMEM) and *ret_errors, if not NULL, gets
 * an owned string (free()) of one or more lines "FILE:LINE: what is wrong",
 * each ending in '\n'.  On success *ret_config is owned (config_free()).
 * Only a regular file is read, and nothing blocks: a FIFO, a socket or a
 * device is -EINVAL ("FILE: not a regular file (a FIFO)"), a directory
 * -EISDIR.
 */
int config_load_file(const char *path, struct config **ret_config, char **ret_errors);
/* The same from text in memory; name stands for the file in messages. */
int config_load_string(const char *text, const char *name, struct config **ret_config,
		       char **ret_errors);
void config_free(struct config *c);

/*
 * Write c as a configuration file that loads to the same configuration:
 * [kasad] with every key and its value (defaults too, each with its doc
 * line), then each [device "NAME"], then [mqtt] when there is one.  No secret is in a configuration, only
 * the tokens file's name.  -EIO when f has an error.
 */
int config_dump(const struct config *c, FILE *f);

/* "250ms", "10s", "2m", "1h", or a bare number of seconds ("1.5").
 * -EINVAL when malformed, -ERANGE when over a day. */
int config_parse_duration(const char *s, uint64_t *ret_usec);

/* 127.0.0.0/8, ::1, ::ffff:127.x.y.z, or a unix socket. */
bool config_loopback(const struct sockaddr *sa);

/*
 * Who reaches a listener on addr, and whether c allows it: the one rule
 * for checking a configuration (addr: its listen address), for starting
 * and for reloading (addr: the socket listened on, systemd's too).  Beyond
 * this host, a tokens file is needed unless allow_unauthenticated = yes.
 */
enum config_exposure {
	CONFIG_EXPOSURE_LOCAL,	 /* loopback or a unix socket */
	CONFIG_EXPOSURE_TOKENS,	 /* beyond this host, behind the tokens file */
	CONFIG_EXPOSURE_OPEN,	 /* beyond, no tokens file: allow_unauthenticated = yes */
	CONFIG_EXPOSURE_REFUSED, /* beyond, no tokens file, and not allowed */
};
enum config_exposure config_exposure(const struct config *c, const struct sockaddr *addr);

/* The plugs c names: devices with the same MAC, or on the same host (as
 * written) and ports, share one, and its one connection.  *ret_klap (may be
 * NULL): how many of them speak KLAP (transport = klap); *ret_auto (may be
 * NULL): how many may turn out to (transport = auto). */
size_t config_plug_count(const struct config *c, size_t *ret_klap, size_t *ret_auto);

/* The credentials file a device's plug uses: its own, else [kasad]'s, else
 * NULL. */
const char *config_device_credentials(const struct config *c, const struct config_device *d);

/* Find a device section by name; borrowed, NULL when absent. */
const struct config_device *config_find_device(const struct config *c, const char *name);

#endif
