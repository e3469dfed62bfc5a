/* SPDX-License-Identifier: MIT */
/*
 * The daemon's life: start, reload, stop, and the open file limit.  The
 * settings each module gets from the configuration are server-settings.c's.
 * See server.h.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "auth.h"
#include "common/clock.h"
#include "common/macro.h"
#include "config.h"
#include "credentials.h"
#include "discovery.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "plug.h"
#include "mqtt.h"
#include "registry.h"
#include "service.h"
#include "server-private.h"
#include "server.h"
#include "systemd.h"
#include "timesync.h"

/*
 * Open files kasad holds besides one socket per plug and one per HTTP
 * connection (an /events stream is one of those).  Counted on a running
 * kasad under notify-run with a watchdog (ls /proc/PID/fd): stdin, stdout,
 * stderr, the epoll descriptors of sd-event and of libmicrohttpd, the
 * signalfd, the timerfds of the monotonic clock and of the watchdog, and
 * the listening socket: 9.  Not open there, counted all the same: the
 * journal's socket, sd_notify()'s while it sends, the HTTP server's spare
 * descriptor, and the configuration or tokens file while a reload reads it.
 */
#define FDS_BASE 13
/* Name lookups run on glibc's getaddrinfo_a() threads, at most 20 of them by
 * default, each with a socket to a name server and perhaps /etc/hosts open.
 * (A lookup's own eventfd stands in for its plug's socket, which is not
 * open while the name is looked up.) */
#define FDS_RESOLVER 40
/* A plug that speaks KLAP holds libcurl's multi handle, and with it two
 * descriptors beside its socket (the socket pair curl_multi_wakeup() uses).
 * A plug on transport = auto holds one only once it turned out to speak
 * KLAP. */
#define FDS_KLAP 2
/* After shutdown_timeout, what still waits gets 503; this long for those
 * answers to go out (a few hundred bytes each: one pass of the loop, unless
 * the loop is very busy), then kasad exits whatever is left. */
#define STOP_GRACE_USEC USEC_PER_SEC

/* SIGTERM and SIGINT stop, SIGHUP reloads. */
static const int signals[] = {SIGTERM, SIGINT, SIGHUP};

struct server {
	struct config *config; /* its path is the file a reload reads */
	struct auth *auth;     /* NULL: no tokens file */
	struct loop *loop;
	struct registry *registry;
	struct service *service;
	struct api *api;
	struct mqtt *mqtt; /* NULL: no [mqtt] */
	struct timesync *timesync;
	struct discovery *discovery;
	struct http_server *http;
	struct loop_source *sig[ARRAY_SIZE(signals)];
	struct loop_source *status_timer, *stop_timer;
	char listen[64];
	unsigned max_connections; /* the HTTP server's: a reload does not change it */
	size_t last_online;
	bool stopping;
	bool stop_overdue; /* shutdown_timeout has passed */
};

void server_print_errors(const char *errors)
{
	/* One log line per configuration error, so each is its own journal entry. */
	const char *s = errors;

	while (s && *s) {
		const char *nl = strchr(s, '\n');
		int n = nl ? (int)(nl - s) : (int)strlen(s);

		log_error("%.*s", n, s);
		s = nl ? nl + 1 : s + n;
	}
}

int server_load_config(const char *path, struct config **ret_config)
{
	_cleanup_free_ char *errors = NULL;
	int r = config_load_file(path, ret_config, &errors);

	if (r < 0)
		server_print_errors(errors);
	return r;
}

/* The tokens file c names (none: *ret = NULL), relative to the
 * configuration's folder unless systemd passed credentials. */
static int load_tokens(const struct config *c, struct auth **ret)
{
	_cleanup_free_ char *copy = strdup(c->path), *errors = NULL;
	int r;

	*ret = NULL;
	if (!c->tokens)
		return 0;
	if (!copy)
		return -ENOMEM;
	r = auth_load_file(c->tokens, dirname(copy), ret, &errors);
	if (r < 0)
		server_print_errors(errors ? errors : "the tokens file: out of memory\n");
	return r;
}

/* The credentials files c names, read into account hashes. */
static int load_credentials(const struct config *c, struct credentials **ret)
{
	_cleanup_free_ char *errors = NULL;
	int r = credentials_load(c, ret, &errors);

	if (r < 0)
		server_print_errors(errors ? errors : "a credentials file: out of memory\n");
	return r;
}

/* Every answer, for /metrics: by route, method and status. */
static void count_answer(const struct http_request *r, unsigned status, void *userdata)
{
	metrics_count_http(http_request_route(r), http_request_method(r), status);
}

static const char *limit_text(rlim_t v, char *buf, size_t size)
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

/*
 * Does c fit the open file limit?  Each plug keeps a socket (and FDS_KLAP
 * more where it speaks KLAP), each HTTP connection is one, and kasad has
 * FDS_BASE + FDS_RESOLVER more.  Plugs on transport = auto are counted as
 * speaking XOR, as most do: should the limit leave too little room for
 * those that turn out to speak KLAP, one warning says so.
 *
 * With raise, the soft limit goes up to the hard one: kasad never calls
 * select(), and a soft limit of 1024 is only there for programs that do
 * (systemd.exec(5), LimitNOFILE=).  All the way rather than to the count,
 * because the count is an estimate and descriptors come and go (lookups,
 * a reload reading its files); the kernel grows the table only as used.
 * Where the hard limit cannot be the soft one (above fs.nr_open), as far
 * as needed.  Without raise (--check-config), the hard limit is what kasad
 * could raise itself to.  Too few: one line with the numbers, -EMFILE.
 */
static int check_fds(const struct config *c, unsigned max_connections, bool raise)
{
	size_t klap, autos, plugs = config_plug_count(c, &klap, &autos);
	uint64_t need = plugs + FDS_KLAP * (uint64_t)klap + (uint64_t)max_connections + FDS_BASE +
			FDS_RESOLVER;
	uint64_t all_klap = need + FDS_KLAP * (uint64_t)autos;
	struct rlimit rl, want;
	char buf[32];
	int r;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		r = -errno;
		log_error("cannot read the open file limit: %s", strerror(-r));
		return r;
	}
	if (rl.rlim_max != RLIM_INFINITY && need > rl.rlim_max) {
		log_error("%s: need %llu open files for %zu plugs and max_connections %u, the hard "
			  "limit is %s: raise LimitNOFILE= or lower max_connections",
			  c->path, (unsigned long long)need, plugs, max_connections,
			  limit_text(rl.rlim_max, buf, sizeof(buf)));
		return -EMFILE;
	}
	if (rl.rlim_max != RLIM_INFINITY && all_klap > rl.rlim_max)
		log_warning("%s: %zu plugs on transport = auto fit the open file limit (%s) if they "
			    "speak the XOR protocol, not if all speak KLAP (%llu needed): set "
			    "transport = xor where they do, or raise LimitNOFILE=",
			    c->path, autos, limit_text(rl.rlim_max, buf, sizeof(buf)),
			    (unsigned long long)all_klap);
	if (!raise || rl.rlim_cur == rl.rlim_max)
		return 0;
	want = (struct rlimit){rl.rlim_max, rl.rlim_max};
	if (setrlimit(RLIMIT_NOFILE, &want) == 0 || need <= rl.rlim_cur)
		return 0;
	want.rlim_cur = (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return 0;
	r = -errno;
	log_error("%s: need %llu open files, the soft limit is %s and cannot be raised: %s",
		  c->path, (unsigned long long)need, limit_text(rl.rlim_cur, buf, sizeof(buf)),
		  strerror(-r));
	return -EMFILE;
}

int server_check(const struct config *c, size_t *ret_tokens, size_t *ret_accounts)
{
	struct credentials *cr = NULL;
	struct auth *auth;
	int r = load_tokens(c, &auth);

	if (r == 0)
		r = load_credentials(c, &cr);
	if (r == 0 && c->mqtt.enabled) {
		struct mqtt_settings ms;

		r = server_mqtt_settings(c, &ms);
		mqtt_settings_wipe(&ms);
	}
	if (r == 0)
		r = check_fds(c, c->max_connections, false);
	if (r == 0) {
		*ret_tokens = auth_count(auth);
		*ret_accounts = credentials_count(cr);
	}
	credentials_free(cr);
	auth_free(auth);
	return r;
}

static void notify_status(struct server *s)
{
	size_t online = registry_online(s->registry);

	s->last_online = online;
	systemd_notify("STATUS=Listening on %s; %zu of %zu devices online", s->listen, online,
		       registry_count(s->registry));
}

static void on_status_timer(struct loop_source *src, uint64_t now, void *userdata)
{
	struct server *s = userdata;

	if (registry_online(s->registry) != s->last_online)
		notify_status(s);
	loop_timer_set(src, now + USEC_PER_SEC);
}

/*
 * A reload that would leave kasad without a device it serves is a file cut
 * short or emptied (an editor, a deployment) far more often than a wish:
 * the file must say so.  And the new inventory must fit the open file
 * limit with the HTTP server's max_connections (a reload does not change
 * that) and with its own (the next start uses it).
 */
static int reload_check(struct server *s, const struct config *c)
{
	size_t old = registry_count(s->registry);

	if (c->n_devices == 0 && old && !c->empty_inventory) {
		log_error("%s: no [device] section: the reload would drop all %zu devices (if that "
			  "is meant, say empty_inventory = yes in [kasad])",
			  c->path, old);
		return -EINVAL;
	}
	return check_fds(c,
			 c->max_connections > s->max_connections ? c->max_connections
								 : s->max_connections,
			 true);
}

/* Settings only a restart changes, which a reload can only warn about. */
static void warn_restart(const struct config *old, const struct config *c)
{
	if (!streq(c->listen, old->listen))
		log_warning("listen changed to %s: that takes a restart", c->listen);
	if (c->max_connections != old->max_connections ||
	    c->max_connections_per_ip != old->max_connections_per_ip ||
	    c->connection_timeout_usec != old->connection_timeout_usec ||
	    c->body_max != old->body_max || c->url_max != old->url_max ||
	    c->answer_memory_max != old->answer_memory_max || c->header_max != old->header_max ||
	    c->request_deadline_usec != old->request_deadline_usec)
		log_warning("HTTP limits changed: they take a restart");
}

static void reload_failed(const char *why)
{
	log_error("reload failed: %s", why);
	systemd_notify("READY=1\nSTATUS=Reload failed; serving with the previous configuration");
}

/* The bridge after a reload: started, reconfigured or stopped.  A bridge
 * that cannot start is logged; HTTP goes on either way. */
static void reload_mqtt(struct server *s, const struct config *c, const struct mqtt_settings *ms)
{
	int r;

	if (!c->mqtt.enabled) {
		if (s->mqtt)
			log_info("mqtt: no [mqtt] section any more: leaving the broker");
		mqtt_free(s->mqtt);
		s->mqtt = NULL;
		return;
	}
	r = s->mqtt ? mqtt_configure(s->mqtt, ms) : mqtt_new(s->loop, s->service, ms, &s->mqtt);
	if (r < 0)
		log_error("mqtt: cannot set up the bridge: %s", strerror(-r));
}

static void reload(struct server *s)
{
	struct mqtt_settings mqtt_settings = {0};
	struct service_settings service_settings;
	struct api_settings settings;
	struct config *c = NULL;
	struct auth *auth = NULL;
	struct credentials *cr = NULL;
	int r;

	systemd_notify("RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)loop_now(s->loop));
	log_info("reloading %s", s->config->path);
	r = server_load_config(s->config->path, &c);
	if (r >= 0 && (r = reload_check(s, c)) < 0)
		config_free(c);
	if (r < 0) {
		reload_failed("keeping the configuration in use");
		return;
	}
	r = load_tokens(c, &auth);
	if (r == 0 && config_exposure(c, http_local_sockaddr(s->http)) == CONFIG_EXPOSURE_REFUSED) {
		log_error("the new configuration has no tokens file, and %s is not loopback",
			  s->listen);
		r = -EPERM;
	}
	if (r < 0) {
		config_free(c);
		reload_failed("keeping the configuration and tokens in use");
		return;
	}
	r = load_credentials(c, &cr);
	if (r < 0) {
		auth_free(auth);
		config_free(c);
		reload_failed("keeping the configuration and credentials in use");
		return;
	}
	plug_set_poll_limit(c->polls_in_flight);
	if (c->mqtt.enabled && (r = server_mqtt_settings(c, &mqtt_settings)) < 0) {
		credentials_free(cr);
		auth_free(auth);
		config_free(c);
		reload_failed("keeping the configuration and the MQTT credentials in use");
		return;
	}
	r = registry_apply(s->registry, c, cr);
	credentials_free(cr);
	if (r < 0) {
		log_error("reload failed: %s", strerror(-r));
		mqtt_settings_wipe(&mqtt_settings);
		auth_free(auth);
		config_free(c);
		systemd_notify("READY=1");
		return;
	}
	reload_mqtt(s, c, &mqtt_settings);
	mqtt_settings_wipe(&mqtt_settings);
	warn_restart(s->config, c);
	service_settings = server_service_settings_local(c);
	service_configure(s->service, &service_settings);
	settings = server_api_settings(c, auth);
	api_configure(s->api, &settings);
	{
		_cleanup_free_ unsigned *choice = NULL;
		struct timesync_settings ts;

		if (server_timesync_settings(c, &ts, &choice) < 0 ||
		    timesync_configure(s->timesync, &ts) < 0)
			log_error("time_sync: keeping the settings in use: out of memory");
	}
	{
		struct discovery_settings ds;

		server_discovery_settings(c, http_local_sockaddr(s->http), &ds);
		if (discovery_configure(s->discovery, &ds) < 0)
			log_error("discovery: keeping the settings in use");
	}
	http_set_suspend_timeout(s->http, server_http_options(c, -1).suspend_timeout_usec);
	config_free(s->config);
	s->config = c;
	auth_free(s->auth);
	s->auth = auth;
	log_info("reloaded: %zu devices, %zu tokens", c->n_devices, auth_count(auth));
	systemd_notify("READY=1");
	notify_status(s);
}

static void on_stopped(void *userdata)
{
	struct server *s = userdata;

	loop_exit(s->loop, 0);
}

static void on_stop_timer(struct loop_source *src, uint64_t now, void *userdata)
{
	struct server *s = userdata;
	unsigned active = http_active(s->http);

	/* shutdown_timeout is up: whatever still waits on a plug gets 503 now,
	 * event streams are ended, and STOP_GRACE_USEC later kasad stops
	 * regardless.  What is left then (a client that does not read, a
	 * stream whose end cannot go out) is cut off with the process: the
	 * timer does not wait for it again, nor for the connection timeout. */
	if (!s->stop_overdue && active) {
		s->stop_overdue = true;
		log_info("stopping: %u requests unanswered in time, answering 503", active);
		loop_source_free(s->status_timer);
		s->status_timer = NULL;
		http_abort_all(s->http, HTTP_ABORT_SHUTDOWN);
		if (http_active(s->http)) {
			loop_timer_set(src, now + STOP_GRACE_USEC);
			return;
		}
	} else if (active) {
		log_warning("stopping: cutting off %u connections %.1f s after shutdown_timeout "
			    "(event streams or answers their clients do not read)",
			    active, (double)STOP_GRACE_USEC / USEC_PER_SEC);
	}
	loop_exit(s->loop, 0);
}

static void stop(struct server *s)
{
	if (s->stopping) {
		log_info("stopping now");
		loop_exit(s->loop, 0);
		return;
	}
	s->stopping = true;
	systemd_notify("STOPPING=1");
	log_info("stopping: %u requests in progress", http_active(s->http));
	api_set_stopping(s->api);
	mqtt_stop(s->mqtt);
	/* Nothing moves while the plugs are left. */
	api_set_discovery(s->api, NULL);
	discovery_free(steal_ptr(s->discovery));
	registry_poll_stop(s->registry);
	loop_timer_set(s->stop_timer, loop_now(s->loop) + s->config->shutdown_timeout_usec);
	http_on_idle(s->http, on_stopped, s);
	http_quiesce(s->http);
}

static void on_signal(struct loop_source *src, int signo, void *userdata)
{
	struct server *s = userdata;

	if (signo == SIGHUP && !s->stopping)
		reload(s);
	else if (signo != SIGHUP)
		stop(s);
}

static int start_loop(struct server *s)
{
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = loop_new(&s->loop);
	if (r < 0)
		return log_error("cannot create the event loop: %s", strerror(-r)), r;
	for (size_t i = 0; i < ARRAY_SIZE(signals) && r >= 0; i++)
		r = loop_signal_add(s->loop, signals[i], on_signal, s, &s->sig[i]);
	if (r < 0 || (r = loop_timer_add(s->loop, 0, on_status_timer, s, &s->status_timer)) < 0 ||
	    (r = loop_timer_add(s->loop, 0, on_stop_timer, s, &s->stop_timer)) < 0)
		return log_error("cannot set up the event loop: %s", strerror(-r)), r;
	return 0;
}

static int start_inventory(struct server *s)
{
	const struct config *c = s->config;
	struct credentials *cr = NULL;
	int r;

	r = load_tokens(c, &s->auth);
	if (r < 0)
		return log_error("not starting: fix the tokens file first"), r;
	r = load_credentials(c, &cr);
	if (r < 0)
		return log_error("not starting: fix the credentials file first"), r;
	plug_set_poll_limit(c->polls_in_flight);
	r = registry_new(s->loop, &s->registry);
	if (r >= 0)
		r = registry_apply(s->registry, c, cr);
	credentials_free(cr);
	if (r >= 0) {
		struct service_settings service_settings = server_service_settings_local(c);

		r = service_new(s->loop, s->registry, &service_settings, &s->service);
	}
	if (r >= 0) {
		struct api_settings settings = server_api_settings(c, s->auth);

		r = api_new(s->loop, s->service, &settings, &s->api);
	}
	if (r < 0)
		return log_error("cannot set up the inventory: %s", strerror(-r)), r;
	return 0;
}

static int start_http(struct server *s)
{
	const struct config *c = s->config;
	struct http_options o;
	const char *why = NULL;
	int r;

	r = systemd_listen_fd(&why);
	if (r >= 0)
		log_info("using the socket passed by systemd");
	else if (r != -ENOENT)
		return log_error("socket activation: %s", why ? why : strerror(-r)), r;
	o = server_http_options(c, r >= 0 ? r : -1);
	r = http_new(s->loop, &o, api_handle, s->api, &s->http);
	if (r < 0)
		return log_error("cannot listen on %s: %s", c->listen, strerror(-r)), r;
	http_on_answer(s->http, count_answer, NULL);
	http_local_address(s->http, s->listen, sizeof(s->listen));
	switch (config_exposure(c, http_local_sockaddr(s->http))) {
	case CONFIG_EXPOSURE_LOCAL:
	case CONFIG_EXPOSURE_TOKENS:
		break;
	case CONFIG_EXPOSURE_OPEN:
		log_warning("serving on %s without authentication (allow_unauthenticated = "
			    "yes): anyone who reaches it can switch the plugs",
			    s->listen);
		break;
	case CONFIG_EXPOSURE_REFUSED:
		return log_error("not serving on %s without tokens: set tokens = FILE, or "
				 "allow_unauthenticated = yes",
				 s->listen),
		       -EPERM;
	}
	return 0;
}

static int start_timesync(struct server *s)
{
	_cleanup_free_ unsigned *choice = NULL;
	struct timesync_settings ts;
	int r = server_timesync_settings(s->config, &ts, &choice);

	if (r >= 0)
		r = timesync_new(s->loop, s->service, &ts, &s->timesync);
	if (r < 0)
		return log_error("cannot set up time_sync: %s", strerror(-r)), r;
	return 0;
}

static int start_discovery(struct server *s)
{
	struct discovery_settings ds;
	int r;

	server_discovery_settings(s->config, http_local_sockaddr(s->http), &ds);
	r = discovery_new(s->loop, s->service, &ds, &s->discovery);
	if (r < 0)
		return log_error("cannot set up discovery: %s", strerror(-r)), r;
	api_set_discovery(s->api, s->discovery);
	return 0;
}

static int start_mqtt(struct server *s)
{
	struct mqtt_settings ms;
	int r;

	if (!s->config->mqtt.enabled)
		return 0;
	r = server_mqtt_settings(s->config, &ms);
	if (r < 0)
		return log_error("not starting: fix the MQTT credentials file first"), r;
	r = mqtt_new(s->loop, s->service, &ms, &s->mqtt);
	mqtt_settings_wipe(&ms);
	if (r < 0)
		return log_error("cannot set up the MQTT bridge: %s", strerror(-r)), r;
	return 0;
}

static int start(struct server *s)
{
	const struct config *c = s->config;
	int r;

	r = check_fds(c, c->max_connections, true);
	if (r < 0)
		return r;
	s->max_connections = c->max_connections;
	if (c->n_devices == 0 && !c->empty_inventory)
		log_warning("%s: no [device] section: serving no devices (empty_inventory = yes "
			    "says that is meant)",
			    c->path);
	if ((r = start_loop(s)) < 0 || (r = start_inventory(s)) < 0 || (r = start_http(s)) < 0 ||
	    (r = start_timesync(s)) < 0 || (r = start_discovery(s)) < 0 || (r = start_mqtt(s)) < 0)
		return r;
	log_info("listening on http://%s with %zu devices", s->listen, c->n_devices);
	if (s->auth)
		log_info("%zu tokens from %s", auth_count(s->auth), c->tokens);

	loop_enable_watchdog(s->loop);
	systemd_notify("READY=1\nSTATUS=Listening on %s; 0 of %zu devices online", s->listen,
		       registry_count(s->registry));
	loop_timer_set(s->status_timer, loop_now(s->loop) + USEC_PER_SEC);
	return 0;
}

int server_new(struct config *c, struct server **ret_server)
{
	struct server *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		config_free(c);
		log_error("not starting: out of memory");
		return -ENOMEM;
	}
	s->config = c;
	r = start(s);
	if (r < 0) {
		server_free(s);
		return r;
	}
	*ret_server = s;
	return 0;
}

int server_run(struct server *s)
{
	int r = loop_run(s->loop);

	if (r >= 0)
		log_info("stopped");
	return r;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	/* Each below the one before: the HTTP server aborts every request
	 * (and with it every call waiting on a plug) before the API goes, the
	 * API's watchers go before the service, and the service before the
	 * inventory it watches. */
	http_free(s->http);
	mqtt_free(s->mqtt);
	timesync_free(s->timesync);
	discovery_free(s->discovery);
	api_free(s->api);
	service_free(s->service);
	registry_free(s->registry);
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		loop_source_free(s->sig[i]);
	loop_source_free(s->status_timer);
	loop_source_free(s->stop_timer);
	loop_free(s->loop);
	auth_free(s->auth);
	config_free(s->config);
	free(s);
}
