/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: emulated TP-Link Kasa plugs for tests, demos and people without
 * hardware.  This file: the command line, readiness and stats output and
 * signals.  See docs/kasa-emu.md.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "device.h"
#include "discover.h"
#include "emu.h"
#include "http.h"
#include "klap.h"
#include "loop.h"
#include "model.h"
#include "net.h"
#include "request.h"
#include "smart.h"
#include "spec.h"

#define DEFAULT_ADDR "127.0.0.1"
#define DEFAULT_PORT 9999

bool emu_verbose;

static struct emu_device **devices;
static size_t ndevices;
static struct emu_watch sig_watch = {.fd = -1};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kasa-emu [-a ADDR] [-p PORT] [-n COUNT] [-d FILE] [-r FILE] [-u PORT] [-v] "
		"[-h] [SPEC...]\n"
		"Emulate TP-Link Kasa plugs on TCP and UDP (one port per device).\n\n"
		"  -a ADDR   address to bind (default " DEFAULT_ADDR ")\n"
		"  -p PORT   first port, the next devices take the next ones (default %d);\n"
		"            0: a free port for each device\n"
		"  -n COUNT  repeat each SPEC COUNT times\n"
		"  -d FILE   read SPECs from FILE, one a line ('#' comments)\n"
		"  -r FILE   write the readiness lines to FILE (atomically) too\n"
		"  -u PORT   answer the KLAP firmware's discovery on UDP PORT (real plugs:\n"
		"            20002); 0: a free port, said in a 'discovery ADDR:PORT' line\n"
		"  -v        log requests and replies on stderr\n"
		"  -h        this help\n\n"
		"SPEC: MODEL[,key=value...], MODEL one of:",
		DEFAULT_PORT);
	for (size_t i = 0; model_at(i); i++)
		fprintf(f, " %s", model_at(i)->name);
	fprintf(f,
		"\n"
		"keys: alias=TEXT port=N state=on|off delay=MS fault=MODE flaky=PERCENT seed=N\n"
		"      drip=MS idle=MS power=WATTS klap=1|2 user=TEXT password=TEXT session=N\n"
		"      clock_offset=SECONDS mac=AA:BB:CC:DD:EE:FF brightness=PERCENT (dimmers)\n"
		"fault MODEs: blackhole refuse close reset garbage truncate oversize zerolen\n"
		"             split drip badjson\n"
		"KLAP: p110, kp125m and ks225 speak SMART JSON over KLAP v2 (HTTP on their port);\n"
		"klap=1|2 makes an IOT model speak KLAP instead of XOR.\n"
		"Without SPEC and -d: one hs100.  Prints 'device INDEX MODEL ADDR:PORT ID' lines\n"
		"(KLAP devices add ' klap1' or ' klap2'), then 'ready'; SIGUSR1 prints stats,\n"
		"SIGTERM/SIGINT print them and exit.\n");
}

static int parse_number(const char *text, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_addr(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res;

	if (getaddrinfo(text, NULL, &hints, &res) != 0)
		return -EINVAL;
	if (res->ai_addrlen > sizeof(*ret)) {
		freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(ret, res->ai_addr, res->ai_addrlen);
	*ret_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* A thousand devices need two thousand fds and more. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void print_stats(void)
{
	for (size_t i = 0; i < ndevices; i++) {
		const struct emu_stats *st = &devices[i]->net.stats;

		printf("stats %u requests=%llu max_inflight=%u connections=%llu handshakes=%llu\n",
		       devices[i]->index, (unsigned long long)st->requests, st->max_inflight,
		       (unsigned long long)st->connections, (unsigned long long)st->handshakes);
	}
	fflush(stdout);
}

static void signal_io(struct emu_watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			print_stats();
		else
			loop_quit();
	}
}

static int signals_init(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	/* Peers and a closed stdout must not kill us; write errors say it. */
	signal(SIGPIPE, SIG_IGN);
	sig_watch.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_watch.fd < 0)
		return -errno;
	sig_watch.cb = signal_io;
	return 0;
}

static int write_ready_file(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fwrite(text, 1, len, f) != len)
		err = -EIO;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* The readiness text: one line per device, then "ready". */
static char *ready_text(bool discovery, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < ndevices; i++) {
		char name[96];

		net_name(&devices[i]->net, name, sizeof(name));
		/* A field at the end, so that parsers of the XOR lines keep working. */
		fprintf(f, "device %u %s %s %s%s\n", devices[i]->index, devices[i]->model->name,
			name, devices[i]->device_id,
			devices[i]->spec.klap == 1   ? " klap1"
			: devices[i]->spec.klap == 2 ? " klap2"
						     : "");
	}
	if (discovery) {
		char name[96];

		discover_name(name, sizeof(name));
		fprintf(f, "discovery %s\n", name);
	}
	fprintf(f, "ready\n");
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*ret_len = len;
	return text;
}

static void cleanup(void)
{
	for (size_t i = 0; i < ndevices; i++)
		net_close(&devices[i]->net);
	discover_stop();
	/* libmicrohttpd lets go of the connections it holds for the devices. */
	http_done();
	for (size_t i = 0; i < ndevices; i++)
		device_free(devices[i]);
	free(devices);
	devices = NULL;
	ndevices = 0;
	if (sig_watch.fd >= 0)
		close(sig_watch.fd);
	sig_watch.fd = -1;
	net_done();
	loop_done();
}

/* Its handlers, and for a KLAP device its session and HTTP. */
static int start_device(struct emu_device *d)
{
	bool smart = d->model->dialect == EMU_DIALECT_SMART;
	emu_net_handle_cb json = smart ? smart_handle : request_handle;
	int err;

	if (d->spec.klap) {
		err = http_init();
		if (err < 0)
			return err;
		err = klap_new(d->index, &d->spec, &d->net.stats, json, d, &d->klap);
		if (err < 0)
			return err;
		net_set_http(&d->net, klap_handle, d->klap);
	}
	return net_start(&d->net, json, d);
}

static int create_devices(const struct emu_spec *specs, size_t nspecs, unsigned count,
			  long first_port, const struct sockaddr_storage *addr, socklen_t addrlen)
{
	unsigned index = 0;

	devices = calloc(nspecs * count, sizeof(*devices));
	if (!devices)
		return -ENOMEM;
	for (size_t s = 0; s < nspecs; s++) {
		for (unsigned r = 0; r < count; r++) {
			struct emu_device *d = device_new(index, &specs[s], count > 1 ? r + 1 : 0);
			char name[96];
			long port;
			int err;

			if (!d)
				return -ENOMEM;
			devices[ndevices++] = d;
			if (specs[s].port >= 0)
				port = specs[s].port ? specs[s].port + r : 0;
			else
				port = first_port ? first_port + index : 0;
			if (port > 65535) {
				fprintf(stderr, "kasa-emu: device %u: port %ld out of range\n",
					index, port);
				return -ERANGE;
			}
			err = net_bind(&d->net, (const struct sockaddr *)addr, addrlen,
				       (uint16_t)port);
			if (err < 0) {
				d->net.port = (uint16_t)port;
				net_name(&d->net, name, sizeof(name));
				fprintf(stderr, "kasa-emu: device %u: cannot bind %s: %s\n", index,
					name, strerror(-err));
				return err;
			}
			index++;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr_text = DEFAULT_ADDR, *ready_path = NULL;
	struct emu_spec *specs = NULL;
	size_t nspecs = 0, len;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	long first_port = DEFAULT_PORT, count = 1, discovery_port = -1;
	char *text;
	uint32_t mac_base;
	int opt, err, status = EXIT_FAILURE;

	while ((opt = getopt(argc, argv, "a:p:n:d:r:u:vh")) != -1) {
		switch (opt) {
		case 'a':
			addr_text = optarg;
			break;
		case 'p':
			if (parse_number(optarg, 0, 65535, &first_port) < 0) {
				fprintf(stderr, "kasa-emu: bad port '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			if (parse_number(optarg, 1, EMU_DEVICES_MAX, &count) < 0) {
				fprintf(stderr, "kasa-emu: bad count '%s' (1 to %d)\n", optarg,
					EMU_DEVICES_MAX);
				return 2;
			}
			break;
		case 'd':
			if (spec_load_file(optarg, &specs, &nspecs) < 0) {
				free(specs);
				return 2;
			}
			break;
		case 'r':
			ready_path = optarg;
			break;
		case 'u':
			if (parse_number(optarg, 0, 65535, &discovery_port) < 0) {
				fprintf(stderr, "kasa-emu: bad discovery port '%s'\n", optarg);
				free(specs);
				return 2;
			}
			break;
		case 'v':
			emu_verbose = true;
			break;
		case 'h':
			usage(stdout);
			free(specs);
			return 0;
		default:
			usage(stderr);
			free(specs);
			return 2;
		}
	}
	if (parse_addr(addr_text, &addr, &addrlen) < 0) {
		fprintf(stderr, "kasa-emu: bad address '%s' (a numeric IPv4 or IPv6 address)\n",
			addr_text);
		free(specs);
		return 2;
	}
	for (int i = optind; i < argc || (nspecs == 0 && i == argc); i++) {
		struct emu_spec s, *grown;

		if (spec_parse(i < argc ? argv[i] : "hs100", &s) < 0 || nspecs >= EMU_DEVICES_MAX) {
			free(specs);
			return 2;
		}
		grown = realloc(specs, (nspecs + 1) * sizeof(*specs));
		if (!grown) {
			free(specs);
			return EXIT_FAILURE;
		}
		specs = grown;
		specs[nspecs++] = s;
	}
	if (nspecs * (size_t)count > EMU_DEVICES_MAX) {
		fprintf(stderr, "kasa-emu: at most %d devices\n", EMU_DEVICES_MAX);
		free(specs);
		return 2;
	}

	raise_nofile();
	if ((err = signals_init()) < 0 || (err = loop_init()) < 0 || (err = net_init()) < 0 ||
	    (err = loop_add(&sig_watch, EPOLLIN)) < 0) {
		fprintf(stderr, "kasa-emu: cannot start: %s\n", strerror(-err));
		goto out;
	}
	err = create_devices(specs, nspecs, (unsigned)count, first_port, &addr, addrlen);
	if (err < 0) {
		if (err == -ENOMEM)
			fprintf(stderr, "kasa-emu: out of memory\n");
		goto out;
	}
	/* Identities depend on the first port, so two emulators differ. */
	mac_base = (uint32_t)(emu_mix64(devices[0]->net.port) & 0xFFFFFF);
	for (size_t i = 0; i < ndevices; i++) {
		device_identity(devices[i], mac_base);
		err = start_device(devices[i]);
		if (err < 0) {
			fprintf(stderr, "kasa-emu: device %zu: %s\n", i, strerror(-err));
			goto out;
		}
	}
	if (discovery_port >= 0) {
		err = discover_start((const struct sockaddr *)&addr, addrlen,
				     (uint16_t)discovery_port, devices, ndevices);
		if (err < 0) {
			fprintf(stderr, "kasa-emu: cannot bind discovery port %ld: %s\n",
				discovery_port, strerror(-err));
			goto out;
		}
	}

	text = ready_text(discovery_port >= 0, &len);
	if (!text) {
		fprintf(stderr, "kasa-emu: out of memory\n");
		goto out;
	}
	if (ready_path && (err = write_ready_file(ready_path, text, len)) < 0) {
		fprintf(stderr, "kasa-emu: %s: %s\n", ready_path, strerror(-err));
		free(text);
		goto out;
	}
	fwrite(text, 1, len, stdout);
	fflush(stdout);
	free(text);

	err = loop_run();
	if (err < 0) {
		fprintf(stderr, "kasa-emu: event loop: %s\n", strerror(-err));
		goto out;
	}
	print_stats();
	status = EXIT_SUCCESS;
out:
	cleanup();
	free(specs);
	return status;
}
