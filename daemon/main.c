/* SPDX-License-Identifier: MIT */
/*
 * kasad: arguments, then wiring.  Everything else lives in the modules.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "registry.h"
#include "systemd.h"
#include "util.h"

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
 * default, each with a socket to a name server and perhaps /etc/hosts open. */
#define FDS_RESOLVER 40
/* After shutdown_timeout, what still waits gets 503; this long for those
 * answers to go out (a few hundred bytes each: one pass of the loop, unless
 * the loop is very busy), then kasad exits whatever is left. */
#define STOP_GRACE_USEC USEC_PER_SEC

struct daemon {
	const char *config_path;
	struct config *config;
	struct auth *auth; /* NULL: no tokens file */
	struct loop *loop;
	struct registry *registry;
	struct api *api;
	struct http_server *http;
	struct loop_source *sig_term, *sig_int, *sig_hup;
	struct loop_source *status_timer, *stop_timer;
	char listen[64];
	unsigned max_connections; /* the HTTP server's: a reload does not change it */
	size_t last_online;
	bool stopping;
	bool stop_overdue; /* shutdown_timeout has passed */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kasad [OPTIONS]\n"
		"Serve a REST API for TP-Link Kasa smart plugs on the local network.\n\n"
		"  -c, --config FILE    configuration file (default %s)\n"
		"  -t, --check-config   check the configuration, print what it holds, and exit\n"
		"  -T, --dump-config    print the configuration in effect, defaults filled in\n"
		"  -v, --verbose        log debug messages too\n"
		"  -h, --help           show this help\n"
		"  -V, --version        show the version\n\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM stops.\n",
		CONFIG_DEFAULT_PATH);
}

static void print_errors(const char *errors)
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

/* The tokens file c names (none: *ret = NULL), relative to the
 * configuration's folder unless systemd passed credentials. */
static int load_tokens(const struct config *c, const char *config_path, struct auth **ret)
{
	_cleanup_free_ char *copy = strdup(config_path), *errors = NULL;
	int r;

	*ret = NULL;
	if (!c->tokens)
		return 0;
	if (!copy)
		return -ENOMEM;
	r = auth_load_file(c->tokens, dirname(copy), ret, &errors);
	if (r < 0)
		print_errors(errors ? errors : "the tokens file: out of memory\n");
	return r;
}

static struct api_settings api_settings(const struct config *c, const struct auth *auth)
{
	return (struct api_settings){
		.request_timeout_usec = c->request_timeout_usec,
		.cache_max_age_usec = c->cache_max_age_usec,
		.auth = auth,
		.allowed_hosts = c->allowed_hosts,
		.n_allowed_hosts = c->n_allowed_hosts,
		.cors_origins = c->cors_origins,
		.n_cors_origins = c->n_cors_origins,
		.client_rate = c->client_rate,
		.client_burst = c->client_burst,
		.switch_rate = c->switch_rate,
		.switch_burst = c->switch_burst,
	};
}

/* A request waiting on a plug is answered by the plug's own deadline; the
 * HTTP layer's, a second later, is the net under it. */
static uint64_t suspend_timeout(const struct config *c)
{
	return c->request_timeout_usec + USEC_PER_SEC;
}

static void notify_status(struct daemon *d)
{
	size_t online = registry_online(d->registry);

	d->last_online = online;
	systemd_notify("STATUS=Listening on %s; %zu of %zu devices online", d->listen, online,
		       registry_count(d->registry));
}

static void on_status_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	struct daemon *d = userdata;

	if (registry_online(d->registry) != d->last_online)
		notify_status(d);
	loop_timer_set(s, now + USEC_PER_SEC);
}

static const char *limit_text(rlim_t v, char *buf, size_t size)
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

/*
 * Does c fit the open file limit?  Each plug keeps a socket, each HTTP
 * connection is one, and kasad has FDS_BASE + FDS_RESOLVER more.
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
static int check_fds(const char *path, const struct config *c, unsigned max_connections, bool raise)
{
	size_t plugs = config_plug_count(c);
	uint64_t need = plugs + (uint64_t)max_connections + FDS_BASE + FDS_RESOLVER;
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
			  path, (unsigned long long)need, plugs, max_connections,
			  limit_text(rl.rlim_max, buf, sizeof(buf)));
		return -EMFILE;
	}
	if (!raise || rl.rlim_cur == rl.rlim_max)
		return 0;
	want = (struct rlimit){rl.rlim_max, rl.rlim_max};
	if (setrlimit(RLIMIT_NOFILE, &want) == 0 || need <= rl.rlim_cur)
		return 0;
	want.rlim_cur = (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return 0;
	r = -errno;
	log_error("%s: need %llu open files, the soft limit is %s and cannot be raised: %s", path,
		  (unsigned long long)need, limit_text(rl.rlim_cur, buf, sizeof(buf)),
		  strerror(-r));
	return -EMFILE;
}

/*
 * A reload that would leave kasad without a device it serves is a file cut
 * short or emptied (an editor, a deployment) far more often than a wish:
 * the file must say so.  And the new inventory must fit the open file
 * limit with the HTTP server's max_connections (a reload does not change
 * that) and with its own (the next start uses it).
 */
static int reload_check(struct daemon *d, const struct config *c)
{
	size_t old = registry_count(d->registry);

	if (c->n_devices == 0 && old && !c->empty_inventory) {
		log_error("%s: no [device] section: the reload would drop all %zu devices (if that "
			  "is meant, say empty_inventory = yes in [kasad])",
			  d->config_path, old);
		return -EINVAL;
	}
	return check_fds(d->config_path, c,
			 c->max_connections > d->max_connections ? c->max_connections
								 : d->max_connections,
			 true);
}

static void reload(struct daemon *d)
{
	_cleanup_free_ char *errors = NULL;
	struct api_settings settings;
	struct config *c = NULL;
	struct auth *auth = NULL;
	int r;

	systemd_notify("RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)loop_now(d->loop));
	log_info("reloading %s", d->config_path);
	r = config_load_file(d->config_path, &c, &errors);
	if (r < 0)
		print_errors(errors);
	else if ((r = reload_check(d, c)) < 0)
		config_free(c);
	if (r < 0) {
		log_error("reload failed: keeping the configuration in use");
		systemd_notify(
			"READY=1\nSTATUS=Reload failed; serving with the previous configuration");
		return;
	}
	r = load_tokens(c, d->config_path, &auth);
	if (r == 0 &&
	    config_exposure(c, http_local_sockaddr(d->http)) == CONFIG_EXPOSURE_REFUSED) {
		log_error("the new configuration has no tokens file, and %s is not loopback",
			  d->listen);
		r = -EPERM;
	}
	if (r < 0) {
		config_free(c);
		log_error("reload failed: keeping the configuration and tokens in use");
		systemd_notify(
			"READY=1\nSTATUS=Reload failed; serving with the previous configuration");
		return;
	}
	r = registry_apply(d->registry, c);
	if (r < 0) {
		log_error("reload failed: %s", strerror(-r));
		auth_free(auth);
		config_free(c);
		systemd_notify("READY=1");
		return;
	}
	if (!streq(c->listen, d->config->listen))
		log_warning("listen changed to %s: that takes a restart", c->listen);
	if (c->max_connections != d->config->max_connections ||
	    c->max_connections_per_ip != d->config->max_connections_per_ip ||
	    c->connection_timeout_usec != d->config->connection_timeout_usec ||
	    c->body_max != d->config->body_max || c->url_max != d->config->url_max ||
	    c->answer_memory_max != d->config->answer_memory_max ||
	    c->header_max != d->config->header_max ||
	    c->request_deadline_usec != d->config->request_deadline_usec)
		log_warning("HTTP limits changed: they take a restart");
	settings = api_settings(c, auth);
	api_configure(d->api, &settings);
	http_set_suspend_timeout(d->http, suspend_timeout(c));
	config_free(d->config);
	d->config = c;
	auth_free(d->auth);
	d->auth = auth;
	log_info("reloaded: %zu devices, %zu tokens", c->n_devices, auth_count(auth));
	systemd_notify("READY=1");
	notify_status(d);
}

static void on_stopped(void *userdata)
{
	struct daemon *d = userdata;

	loop_exit(d->loop, 0);
}

static void on_stop_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	struct daemon *d = userdata;
	unsigned active = http_active(d->http);

	/* shutdown_timeout is up: whatever still waits on a plug gets 503 now,
	 * event streams are ended, and STOP_GRACE_USEC later kasad stops
	 * regardless.  What is left then (a client that does not read, a
	 * stream whose end cannot go out) is cut off with the process: the
	 * timer does not wait for it again, nor for the connection timeout. */
	if (!d->stop_overdue && active) {
		d->stop_overdue = true;
		log_info("stopping: %u requests unanswered in time, answering 503", active);
		loop_source_free(d->status_timer);
		d->status_timer = NULL;
		http_abort_all(d->http, HTTP_ABORT_SHUTDOWN);
		if (http_active(d->http)) {
			loop_timer_set(s, now + STOP_GRACE_USEC);
			return;
		}
	} else if (active) {
		log_warning("stopping: cutting off %u connections %.1f s after shutdown_timeout "
			    "(event streams or answers their clients do not read)",
			    active, (double)STOP_GRACE_USEC / USEC_PER_SEC);
	}
	loop_exit(d->loop, 0);
}

static void stop(struct daemon *d)
{
	if (d->stopping) {
		log_info("stopping now");
		loop_exit(d->loop, 0);
		return;
	}
	d->stopping = true;
	systemd_notify("STOPPING=1");
	log_info("stopping: %u requests in progress", http_active(d->http));
	api_set_stopping(d->api);
	registry_poll_stop(d->registry);
	loop_timer_set(d->stop_timer, loop_now(d->loop) + d->config->shutdown_timeout_usec);
	http_on_idle(d->http, on_stopped, d);
	http_quiesce(d->http);
}

static void on_signal(struct loop_source *s, int signo, void *userdata)
{
	struct daemon *d = userdata;

	if (signo == SIGHUP && !d->stopping)
		reload(d);
	else if (signo != SIGHUP)
		stop(d);
}

static int start(struct daemon *d)
{
	const struct config *c = d->config;
	struct http_options o = {
		.listen_fd = -1,
		.addr = (const struct sockaddr *)&c->listen_addr,
		.addrlen = c->listen_addrlen,
		.max_connections = c->max_connections,
		.max_connections_per_ip = c->max_connections_per_ip,
		.connection_timeout_s = (unsigned)(c->connection_timeout_usec / USEC_PER_SEC),
		.body_max = c->body_max,
		.answer_memory_max = c->answer_memory_max,
		.url_max = c->url_max,
		.header_max = c->header_max,
		.request_deadline_usec = c->request_deadline_usec,
		.suspend_timeout_usec = suspend_timeout(c),
	};
	const char *why = NULL;
	int r;

	r = check_fds(d->config_path, c, c->max_connections, true);
	if (r < 0)
		return r;
	d->max_connections = c->max_connections;
	if (c->n_devices == 0 && !c->empty_inventory)
		log_warning("%s: no [device] section: serving no devices (empty_inventory = yes "
			    "says that is meant)",
			    d->config_path);
	signal(SIGPIPE, SIG_IGN);
	r = loop_new(&d->loop);
	if (r < 0)
		return log_error("cannot create the event loop: %s", strerror(-r)), r;
	if ((r = loop_signal_add(d->loop, SIGTERM, on_signal, d, &d->sig_term)) < 0 ||
	    (r = loop_signal_add(d->loop, SIGINT, on_signal, d, &d->sig_int)) < 0 ||
	    (r = loop_signal_add(d->loop, SIGHUP, on_signal, d, &d->sig_hup)) < 0 ||
	    (r = loop_timer_add(d->loop, 0, on_status_timer, d, &d->status_timer)) < 0 ||
	    (r = loop_timer_add(d->loop, 0, on_stop_timer, d, &d->stop_timer)) < 0)
		return log_error("cannot set up the event loop: %s", strerror(-r)), r;

	r = load_tokens(c, d->config_path, &d->auth);
	if (r < 0)
		return log_error("not starting: fix the tokens file first"), r;
	r = registry_new(d->loop, &d->registry);
	if (r >= 0)
		r = registry_apply(d->registry, c);
	if (r >= 0) {
		struct api_settings settings = api_settings(c, d->auth);

		r = api_new(d->loop, d->registry, &settings, &d->api);
	}
	if (r < 0)
		return log_error("cannot set up the inventory: %s", strerror(-r)), r;

	r = systemd_listen_fd(&why);
	if (r >= 0) {
		o.listen_fd = r;
		log_info("using the socket passed by systemd");
	} else if (r != -ENOENT) {
		return log_error("socket activation: %s", why ? why : strerror(-r)), r;
	}
	r = http_new(d->loop, &o, api_handle, d->api, &d->http);
	if (r < 0)
		return log_error("cannot listen on %s: %s", c->listen, strerror(-r)), r;
	http_local_address(d->http, d->listen, sizeof(d->listen));
	switch (config_exposure(c, http_local_sockaddr(d->http))) {
	case CONFIG_EXPOSURE_LOCAL:
	case CONFIG_EXPOSURE_TOKENS:
		break;
	case CONFIG_EXPOSURE_OPEN:
		log_warning("serving on %s without authentication (allow_unauthenticated = "
			    "yes): anyone who reaches it can switch the plugs",
			    d->listen);
		break;
	case CONFIG_EXPOSURE_REFUSED:
		return log_error("not serving on %s without tokens: set tokens = FILE, or "
				 "allow_unauthenticated = yes",
				 d->listen),
		       -EPERM;
	}
	log_info("listening on http://%s with %zu devices", d->listen, c->n_devices);
	if (d->auth)
		log_info("%zu tokens from %s", auth_count(d->auth), c->tokens);

	loop_enable_watchdog(d->loop);
	systemd_notify("READY=1\nSTATUS=Listening on %s; 0 of %zu devices online", d->listen,
		       registry_count(d->registry));
	loop_timer_set(d->status_timer, loop_now(d->loop) + USEC_PER_SEC);
	return 0;
}

static void cleanup(struct daemon *d)
{
	http_free(d->http);
	registry_free(d->registry);
	api_free(d->api);
	loop_source_free(d->sig_term);
	loop_source_free(d->sig_int);
	loop_source_free(d->sig_hup);
	loop_source_free(d->status_timer);
	loop_source_free(d->stop_timer);
	loop_free(d->loop);
	auth_free(d->auth);
	config_free(d->config);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 't'},
		{"dump-config", no_argument, NULL, 'T'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct daemon d = {.config_path = CONFIG_DEFAULT_PATH};
	_cleanup_free_ char *errors = NULL;
	bool check = false, dump = false, verbose = false;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:tTvhV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'T':
			dump = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kasad %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kasad: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init(verbose ? LOG_DEBUG : LOG_INFO);

	r = config_load_file(d.config_path, &d.config, &errors);
	if (r < 0) {
		print_errors(errors);
		if (check || dump)
			return 1;
		log_error("not starting: fix the configuration first");
		return 1;
	}
	if (dump) {
		/* The configuration alone: the tokens file is named, never read. */
		r = config_dump(d.config, stdout);
		if (fflush(stdout) != 0 && r == 0)
			r = -errno;
		if (r < 0)
			log_error("--dump-config: %s", strerror(-r));
		config_free(d.config);
		return r < 0 ? 1 : 0;
	}
	if (check) {
		r = load_tokens(d.config, d.config_path, &d.auth);
		if (r == 0)
			r = check_fds(d.config_path, d.config, d.config->max_connections, false);
		if (r == 0)
			printf("%s: ok: listen %s, %zu devices%s, %zu tokens\n", d.config_path,
			       d.config->listen, d.config->n_devices,
			       d.config->empty_inventory ? " (empty_inventory = yes)" : "",
			       auth_count(d.auth));
		auth_free(d.auth);
		config_free(d.config);
		return r < 0 ? 1 : 0;
	}

	r = start(&d);
	if (r >= 0)
		r = loop_run(d.loop);
	if (r >= 0)
		log_info("stopped");
	cleanup(&d);
	return r < 0 ? 1 : 0;
}
