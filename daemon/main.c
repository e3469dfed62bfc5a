/* SPDX-License-Identifier: MIT */
/*
 * kasad: the arguments, --check-config and --dump-config; the daemon's
 * life is server.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "server.h"

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
	const char *path = CONFIG_DEFAULT_PATH;
	struct config *c = NULL;
	struct server *s = NULL;
	size_t tokens, accounts;
	bool check = false, dump = false, verbose = false;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:tTvhV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
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
	/* Big buffers (ten thousand devices' configuration and registry
	 * arrays, a /metrics of 27 MB) are mapped and unmapped, never left in
	 * the heap: glibc's threshold would otherwise rise to the biggest
	 * freed, and the next ones would stay resident as holes. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);

	r = server_load_config(path, &c);
	if (r < 0) {
		if (check || dump)
			return 1;
		log_error("not starting: fix the configuration first");
		return 1;
	}
	if (dump) {
		/* The configuration alone: the tokens file is named, never read. */
		r = config_dump(c, stdout);
		if (fflush(stdout) != 0 && r == 0)
			r = -errno;
		if (r < 0)
			log_error("--dump-config: %s", strerror(-r));
		config_free(c);
		return r < 0 ? 1 : 0;
	}
	if (check) {
		r = server_check(c, &tokens, &accounts);
		if (r == 0)
			printf("%s: ok: listen %s, %zu devices%s, %zu tokens%s\n", path, c->listen,
			       c->n_devices, c->empty_inventory ? " (empty_inventory = yes)" : "",
			       tokens, accounts ? ", credentials read" : "");
		config_free(c);
		return r < 0 ? 1 : 0;
	}

	r = server_new(c, &s);
	if (r >= 0)
		r = server_run(s);
	server_free(s);
	return r < 0 ? 1 : 0;
}
