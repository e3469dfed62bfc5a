/* SPDX-License-Identifier: MIT */
/*
 * kasactl: talk to one Kasa plug directly.  The command line: options, the
 * command table and the 2016 script's form.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/macro.h"
#include "kasactl-cmd.h"
#include "kasactl-cred.h"
#include "kasactl-ctl.h"

/* A day: longer waits are surely a typo. */
#define TIMEOUT_MAX_S	  86400.0
#define TIMEOUT_DEFAULT_S 5.0

static const char usage_text[] =
	"Usage: kasactl [OPTIONS] HOST[:PORT] COMMAND [ARGS]\n"
	"       kasactl [OPTIONS] discover\n"
	"       kasactl [OPTIONS] encode|decode < INPUT > OUTPUT\n"
	"       kasactl HOST PORT on|off|check|status|emeter   (the 2016 script's form)\n"
	"\n"
	"Talk to a TP-Link Kasa smart plug over its LAN protocol (TCP port 9999), or\n"
	"over KLAP, the encrypted HTTP of newer firmware (port 80: --klap, --smart,\n"
	"or --transport auto to try port 9999 first).\n"
	"HOST is a name or an address; write IPv6 literals as [::1] or [::1]:PORT.\n"
	"\n"
	"Commands:\n"
	"  on, off             switch the relay (or one outlet with --outlet)\n"
	"  toggle              read the state, then switch it the other way\n"
	"  check               print ON or OFF\n"
	"  status              alias, model, versions, MAC, signal, LED, relay, outlets\n"
	"  emeter              power (W), voltage (V), current (A), total energy (kWh)\n"
	"  daily [YEAR MONTH]  energy per day (default: this month)\n"
	"  monthly [YEAR]      energy per month (default: this year)\n"
	"  led on|off          switch the status LED\n"
	"  brightness N        a dimmer's level, 1 to 100; the relay stays as it is\n"
	"  alias NAME          rename the plug (or one outlet with --outlet)\n"
	"  reboot              restart the plug\n"
	"  time                print the plug's clock\n"
	"  countdown [SECONDS on|off|cancel]  the plug's own countdown: show, set, cancel\n"
	"  schedule list|add|delete  the plug's schedule rules (kasactl(1): add, delete)\n"
	"  raw JSON            send any request, print the reply as JSON\n"
	"  discover            find plugs by UDP broadcast (ports 9999 and 20002), list them\n"
	"  encode, decode      filters: JSON to a wire frame and back\n"
	"\n"
	"Options:\n"
	"  -o, --outlet N      act on outlet N (0-based) of a power strip\n"
	"  -t, --timeout S     give up after S seconds in total (default 5, fractions ok)\n"
	"  -j, --json          machine-readable output\n"
	"      --transport auto|xor|klap  xor (the default): TCP 9999 alone; klap:\n"
	"                      the same as --klap; auto: TCP 9999 (or HOST:PORT) first\n"
	"                      and, when refused, KLAP on --klap-port, with SMART JSON\n"
	"                      if the device answers so\n"
	"      --klap[=1|2]    talk KLAP (IOT JSON) on port 80; the version if known\n"
	"      --klap-port N   KLAP's port when HOST:PORT does not say (default 80)\n"
	"      --smart         talk KLAP v2 with SMART JSON (Tapo-style): every command\n"
	"                      but daily and monthly, without --outlet\n"
	"      --credentials FILE  the TP-Link account for KLAP: e-mail on line 1,\n"
	"                      password on line 2 (mode 600); else $KASA_USERNAME and\n"
	"                      $KASA_PASSWORD; else TP-Link's defaults and blank\n"
	"      --broadcast ADDR[:PORT]  discover: where to send (default 255.255.255.255)\n"
	"      --klap-discovery-port N  discover: the port of the KLAP probe at ADDR\n"
	"                      (default 20002; 0: no KLAP probe)\n"
	"      --config        discover: print each device found as a [device] section\n"
	"                      of kasad.conf, ready to paste\n"
	"      --base64        encode/decode: base64 text instead of raw bytes\n"
	"      --no-header     encode/decode: no 4-byte length header (UDP framing)\n"
	"  -v, --verbose       say on stderr which transport is used, and why\n"
	"  -h, --help          show this help and exit\n"
	"  -V, --version       show the version and exit\n"
	"\n"
	"The transport stays xor unless asked: a plug that refuses port 9999 then fails\n"
	"at once (exit 3, with a hint) rather than kasactl trying whatever else answers\n"
	"on port 80.  Use --transport auto for plugs whose firmware is not known.\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  the plug refused the request or the credentials, or sent an error or garbage\n"
	"  2  usage error\n"
	"  3  unreachable (connection refused, no route, unknown host) or timed out\n";

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int parse_timeout(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > TIMEOUT_MAX_S)
		return -EINVAL;
	*ret = v;
	return 0;
}

enum cmd {
	CMD_ON,
	CMD_OFF,
	CMD_TOGGLE,
	CMD_CHECK,
	CMD_STATUS,
	CMD_EMETER,
	CMD_DAILY,
	CMD_MONTHLY,
	CMD_LED,
	CMD_BRIGHTNESS,
	CMD_ALIAS,
	CMD_REBOOT,
	CMD_TIME,
	CMD_COUNTDOWN,
	CMD_SCHEDULE,
	CMD_RAW,
	CMD_DISCOVER,
	CMD_ENCODE,
	CMD_DECODE,
};

struct cmd_info {
	const char *name;
	enum cmd cmd;
	int min_args, max_args;
	bool outlet;	  /* --outlet applies */
	bool device;	  /* talks to HOST */
	bool legacy;	  /* allowed in the 2016 form "HOST PORT COMMAND" */
	bool smart;	  /* works with --smart */
	const char *args; /* for messages */
};

static const struct cmd_info commands[] = {
	{"on", CMD_ON, 0, 0, true, true, true, true, ""},
	{"off", CMD_OFF, 0, 0, true, true, true, true, ""},
	{"toggle", CMD_TOGGLE, 0, 0, true, true, false, true, ""},
	{"check", CMD_CHECK, 0, 0, true, true, true, true, ""},
	{"status", CMD_STATUS, 0, 0, false, true, true, true, ""},
	{"emeter", CMD_EMETER, 0, 0, true, true, true, true, ""},
	{"daily", CMD_DAILY, 0, 2, true, true, false, false, " [YEAR MONTH]"},
	{"monthly", CMD_MONTHLY, 0, 1, true, true, false, false, " [YEAR]"},
	{"led", CMD_LED, 1, 1, false, true, false, true, " on|off"},
	{"brightness", CMD_BRIGHTNESS, 1, 1, false, true, false, true, " N"},
	{"alias", CMD_ALIAS, 1, 1, true, true, false, true, " NAME"},
	{"reboot", CMD_REBOOT, 0, 0, false, true, false, true, ""},
	{"time", CMD_TIME, 0, 0, false, true, false, true, ""},
	{"countdown", CMD_COUNTDOWN, 0, 2, true, true, false, false, " [SECONDS on|off | cancel]"},
	{"schedule", CMD_SCHEDULE, 1, 4, true, true, false, false, " list|add|delete ..."},
	{"raw", CMD_RAW, 1, 1, true, true, false, true, " JSON"},
	{"discover", CMD_DISCOVER, 0, 0, false, false, false, false, ""},
	{"encode", CMD_ENCODE, 0, 0, false, false, false, false, ""},
	{"decode", CMD_DECODE, 0, 0, false, false, false, false, ""},
};

static const struct cmd_info *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* --transport; unset means xor unless --klap or --smart say otherwise. */
enum transport {
	TRANSPORT_UNSET,
	TRANSPORT_XOR,
	TRANSPORT_KLAP,
	TRANSPORT_AUTO,
};

struct options {
	double timeout_s;
	int outlet;
	bool json;
	const char *broadcast;
	bool base64;
	bool no_header;
	unsigned klap; /* KLAP versions; 0: port 9999 */
	bool smart;
	const char *credentials;
	enum transport transport;
	const char *transport_name; /* as given, for messages */
	uint16_t klap_port;	    /* 0: not given (KASA_KLAP_PORT) */
	int klap_discovery_port;    /* -1: not given (KASA_DISCOVERY_PORT); 0: no probe */
	bool config;		    /* discover: kasad.conf sections */
	bool verbose;
};

enum {
	OPT_BROADCAST = 0x100,
	OPT_BASE64,
	OPT_NO_HEADER,
	OPT_KLAP,
	OPT_SMART,
	OPT_CREDENTIALS,
	OPT_TRANSPORT,
	OPT_KLAP_PORT,
	OPT_KLAP_DISCOVERY_PORT,
	OPT_CONFIG,
};

static const struct option long_options[] = {
	{"outlet", required_argument, NULL, 'o'},
	{"timeout", required_argument, NULL, 't'},
	{"json", no_argument, NULL, 'j'},
	{"broadcast", required_argument, NULL, OPT_BROADCAST},
	{"base64", no_argument, NULL, OPT_BASE64},
	{"no-header", no_argument, NULL, OPT_NO_HEADER},
	{"klap", optional_argument, NULL, OPT_KLAP},
	{"smart", no_argument, NULL, OPT_SMART},
	{"credentials", required_argument, NULL, OPT_CREDENTIALS},
	{"transport", required_argument, NULL, OPT_TRANSPORT},
	{"klap-port", required_argument, NULL, OPT_KLAP_PORT},
	{"klap-discovery-port", required_argument, NULL, OPT_KLAP_DISCOVERY_PORT},
	{"config", no_argument, NULL, OPT_CONFIG},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{}};

static int parse_year(const char *s, int *ret)
{
	unsigned long v;

	if (ctl_parse_uint(s, 9999, &v) < 0 || v < 1970)
		return ctl_usage_error("invalid year '%s' (expected 1970..9999)", s);
	*ret = (int)v;
	return KASACTL_EXIT_OK;
}

static int parse_month(const char *s, int *ret)
{
	unsigned long v;

	if (ctl_parse_uint(s, 12, &v) < 0 || v < 1)
		return ctl_usage_error("invalid month '%s' (expected 1..12)", s);
	*ret = (int)v;
	return KASACTL_EXIT_OK;
}

/* 1..100: 0 is no level (off is the relay's: kasactl HOST off). */
static int parse_brightness(const char *s, int *ret)
{
	unsigned long v;

	if (ctl_parse_uint(s, KASA_BRIGHTNESS_MAX, &v) < 0 || v < KASA_BRIGHTNESS_MIN)
		return ctl_usage_error("brightness takes a level from %d to %d, not '%s'%s",
				       KASA_BRIGHTNESS_MIN, KASA_BRIGHTNESS_MAX, s,
				       streq(s, "0") ? " (to switch off: kasactl HOST off)" : "");
	*ret = (int)v;
	return KASACTL_EXIT_OK;
}

static int run_device_command(struct ctl *c, const struct cmd_info *ci, int argc, char **argv)
{
	time_t now = time(NULL);
	struct tm tm;
	int year, month, level = 0, r;

	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	year = tm.tm_year + 1900;
	month = tm.tm_mon + 1;

	switch (ci->cmd) {
	case CMD_ON:
		return cmd_switch(c, true);
	case CMD_OFF:
		return cmd_switch(c, false);
	case CMD_TOGGLE:
		return cmd_toggle(c);
	case CMD_CHECK:
		return cmd_check(c);
	case CMD_STATUS:
		return cmd_status(c);
	case CMD_EMETER:
		return cmd_emeter(c);
	case CMD_DAILY:
		if (argc == 1)
			return ctl_usage_error("daily takes YEAR and MONTH, or nothing");
		if (argc == 2) {
			r = parse_year(argv[0], &year);
			if (r == KASACTL_EXIT_OK)
				r = parse_month(argv[1], &month);
			if (r != KASACTL_EXIT_OK)
				return r;
		}
		return cmd_daily(c, year, month);
	case CMD_MONTHLY:
		if (argc == 1) {
			r = parse_year(argv[0], &year);
			if (r != KASACTL_EXIT_OK)
				return r;
		}
		return cmd_monthly(c, year);
	case CMD_LED:
		if (strcmp(argv[0], "on") == 0)
			return cmd_led(c, true);
		if (strcmp(argv[0], "off") == 0)
			return cmd_led(c, false);
		return ctl_usage_error("led takes 'on' or 'off', not '%s'", argv[0]);
	case CMD_BRIGHTNESS:
		r = parse_brightness(argv[0], &level);
		if (r != KASACTL_EXIT_OK)
			return r;
		return cmd_brightness(c, level);
	case CMD_ALIAS:
		if (!argv[0][0])
			return ctl_usage_error("alias: the name is empty");
		if (strlen(argv[0]) > KASACTL_ALIAS_MAX)
			return ctl_usage_error("alias: the name is longer than %d bytes",
					       KASACTL_ALIAS_MAX);
		return cmd_alias(c, argv[0]);
	case CMD_REBOOT:
		return cmd_reboot(c);
	case CMD_TIME:
		return cmd_time(c);
	case CMD_COUNTDOWN:
		return cmd_countdown(c, argc, argv);
	case CMD_SCHEDULE:
		return cmd_schedule(c, argc, argv);
	case CMD_RAW:
		return cmd_raw(c, argv[0]);
	case CMD_DISCOVER:
	case CMD_ENCODE:
	case CMD_DECODE:
		break;
	}
	return ctl_usage_error("internal error: '%s' is not a device command", ci->name);
}

/* With -v, the transport chosen: one line. */
static void say_transport(const struct ctl *c, bool auto_transport)
{
	if (auto_transport)
		ctl_verbose(c,
			    "trying XOR on %s first (--transport auto; KLAP on port %u if "
			    "refused)",
			    c->where, (unsigned)c->klap_port);
	else if (!c->klap)
		ctl_verbose(c, "talking XOR to %s", c->where);
	else if (c->proto == KASA_KLAP_PROTO_SMART)
		ctl_verbose(c, "talking KLAP v2 with SMART JSON to %s", c->where);
	else
		ctl_verbose(c, "talking KLAP %s with IOT JSON to %s",
			    c->klap == KASA_KLAP_V1   ? "v1"
			    : c->klap == KASA_KLAP_V2 ? "v2"
						      : "(v1 or v2, as the handshake tells)",
			    c->where);
}

/*
 * The command; with --transport auto, once more over SMART when the device
 * turned out to speak it (its first answer said so, and nothing was printed).
 */
static int run(struct ctl *c, const struct cmd_info *ci, int argc, char **argv, bool auto_transport)
{
	int r;

	c->auto_xor = auto_transport;
	say_transport(c, auto_transport);
	r = run_device_command(c, ci, argc, argv);
	if (r != KASACTL_RESTART_SMART)
		return r;
	if (!ci->smart)
		return ctl_no_smart(c, ci->name);
	if (c->outlet >= 0) {
		fprintf(stderr, "kasactl: %s: --outlet does not apply to a SMART device\n",
			c->where);
		return KASACTL_EXIT_USAGE;
	}
	return run_device_command(c, ci, argc, argv);
}

/* A full disk or a closed pipe must not pass for success. */
static int flush_stdout(int r)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_error(NULL, "writing to standard output: %s", strerror(errno));
		return r == KASACTL_EXIT_OK ? KASACTL_EXIT_DEVICE : r;
	}
	return r;
}

static bool is_legacy_command(const char *s)
{
	const struct cmd_info *ci = find_command(s);

	return ci && ci->legacy;
}

int main(int argc, char **argv)
{
	struct options o = {
		.timeout_s = TIMEOUT_DEFAULT_S, .outlet = -1, .klap_discovery_port = -1};
	const struct cmd_info *ci;
	struct ctl c = {0};
	const char *target = NULL, *legacy_port = NULL;
	char **pos;
	int npos, opt;
	bool legacy = false;

	/* Report bad options ourselves, as "kasactl: ...", whatever argv[0] is. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:t:jvhV", long_options, NULL)) != -1) {
		unsigned long v;

		switch (opt) {
		case 'o':
			if (ctl_parse_uint(optarg, 99, &v) < 0)
				return ctl_usage_error("invalid outlet '%s' (expected 0..99)",
						       optarg);
			o.outlet = (int)v;
			break;
		case 't':
			if (parse_timeout(optarg, &o.timeout_s) < 0)
				return ctl_usage_error("invalid timeout '%s' (expected seconds, "
						       "more than 0, at most %g)",
						       optarg, TIMEOUT_MAX_S);
			break;
		case 'j':
			o.json = true;
			break;
		case OPT_BROADCAST:
			o.broadcast = optarg;
			break;
		case OPT_BASE64:
			o.base64 = true;
			break;
		case OPT_NO_HEADER:
			o.no_header = true;
			break;
		case OPT_KLAP:
			if (!optarg)
				o.klap = KASA_KLAP_ANY;
			else if (strcmp(optarg, "1") == 0)
				o.klap = KASA_KLAP_V1;
			else if (strcmp(optarg, "2") == 0)
				o.klap = KASA_KLAP_V2;
			else
				return ctl_usage_error(
					"invalid KLAP version '%s' (expected 1 or 2)", optarg);
			break;
		case OPT_SMART:
			o.smart = true;
			break;
		case OPT_CREDENTIALS:
			o.credentials = optarg;
			break;
		case OPT_TRANSPORT:
			if (strcmp(optarg, "xor") == 0)
				o.transport = TRANSPORT_XOR;
			else if (strcmp(optarg, "klap") == 0)
				o.transport = TRANSPORT_KLAP;
			else if (strcmp(optarg, "auto") == 0)
				o.transport = TRANSPORT_AUTO;
			else
				return ctl_usage_error("invalid transport '%s' (expected auto, xor "
						       "or klap)",
						       optarg);
			o.transport_name = optarg;
			break;
		case OPT_KLAP_PORT:
			if (ctl_parse_port(optarg, &o.klap_port) < 0)
				return ctl_usage_error(
					"invalid --klap-port '%s' (expected 1..65535)", optarg);
			break;
		case OPT_KLAP_DISCOVERY_PORT:
			if (ctl_parse_uint(optarg, 65535, &v) < 0)
				return ctl_usage_error(
					"invalid --klap-discovery-port '%s' (expected "
					"0..65535, 0 for no KLAP probe)",
					optarg);
			o.klap_discovery_port = (int)v;
			break;
		case OPT_CONFIG:
			o.config = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return flush_stdout(KASACTL_EXIT_OK);
		case 'V':
			printf("kasactl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return flush_stdout(KASACTL_EXIT_OK);
		case ':':
			return ctl_usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (!optopt)
				return ctl_usage_error("unknown option '%s'", argv[optind - 1]);
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				return ctl_usage_error("option '%s' takes no argument",
						       argv[optind - 1]);
			return ctl_usage_error("unknown option '-%c'", optopt);
		}
	}
	pos = argv + optind;
	npos = argc - optind;
	if (npos == 0)
		return ctl_usage_error("missing HOST and COMMAND");

	ci = find_command(pos[0]);
	if (ci && !ci->device) {
		pos++;
		npos--;
	} else {
		if (npos >= 3 && all_digits(pos[1]) && is_legacy_command(pos[2]))
			legacy = true;
		if (npos < 2)
			return ctl_usage_error("missing COMMAND after '%s'", pos[0]);
		target = pos[0];
		legacy_port = legacy ? pos[1] : NULL;
		ci = find_command(pos[legacy ? 2 : 1]);
		if (!ci)
			return ctl_usage_error("unknown command '%s'", pos[1]);
		if (!ci->device)
			return ctl_usage_error("%s takes no HOST", ci->name);
		pos += legacy ? 3 : 2;
		npos -= legacy ? 3 : 2;
	}

	if (npos < ci->min_args || npos > ci->max_args)
		return ctl_usage_error("usage: kasactl %s%s%s", ci->device ? "HOST " : "", ci->name,
				       ci->args);
	if (o.outlet >= 0 && !ci->outlet)
		return ctl_usage_error("--outlet does not apply to %s", ci->name);
	if (o.broadcast && ci->cmd != CMD_DISCOVER)
		return ctl_usage_error("--broadcast applies only to discover");
	if (o.klap_discovery_port >= 0 && ci->cmd != CMD_DISCOVER)
		return ctl_usage_error("--klap-discovery-port applies only to discover");
	if (o.config && ci->cmd != CMD_DISCOVER)
		return ctl_usage_error("--config applies only to discover");
	if (o.config && o.json)
		return ctl_usage_error("--config and --json: one output at a time");
	if ((o.base64 || o.no_header) && ci->cmd != CMD_ENCODE && ci->cmd != CMD_DECODE)
		return ctl_usage_error("--%s applies only to encode and decode",
				       o.base64 ? "base64" : "no-header");

	if (o.smart) {
		/* SMART rides on KLAP v2 alone. */
		if (o.klap == KASA_KLAP_V1)
			return ctl_usage_error("--smart speaks KLAP v2, not --klap=1");
		o.klap = KASA_KLAP_V2;
	}
	/* --klap and --smart are KLAP; --transport klap is --klap. */
	if (o.klap && (o.transport == TRANSPORT_XOR || o.transport == TRANSPORT_AUTO))
		return ctl_usage_error("--%s speaks KLAP: it does not go with --transport %s",
				       o.smart ? "smart" : "klap", o.transport_name);
	if (o.transport == TRANSPORT_KLAP && !o.klap)
		o.klap = KASA_KLAP_ANY;
	if ((o.klap || o.credentials || o.transport || o.klap_port) && !ci->device)
		return ctl_usage_error("--%s applies only to a plug's commands",
				       o.credentials ? "credentials"
				       : o.smart     ? "smart"
				       : o.transport ? "transport"
				       : o.klap_port ? "klap-port"
						     : "klap");
	if (o.credentials && !o.klap && o.transport != TRANSPORT_AUTO)
		return ctl_usage_error("--credentials applies only with --klap, --smart or "
				       "--transport klap|auto");
	if (o.klap_port && !o.klap && o.transport != TRANSPORT_AUTO)
		return ctl_usage_error("--klap-port applies only with --klap, --smart or "
				       "--transport klap|auto");
	if (o.smart && !ci->smart)
		return ctl_no_smart(NULL, ci->name);
	if (o.smart && o.outlet >= 0)
		return ctl_usage_error("--outlet does not apply with --smart");

	if (ci->cmd == CMD_DISCOVER)
		return flush_stdout(cmd_discover(o.broadcast ? o.broadcast : "255.255.255.255",
						 o.klap_discovery_port >= 0
							 ? (uint16_t)o.klap_discovery_port
							 : KASA_DISCOVERY_PORT,
						 o.timeout_s,
						 o.config ? DISCOVER_CONFIG
						 : o.json ? DISCOVER_JSON
							  : DISCOVER_TABLE,
						 o.verbose));
	if (ci->cmd == CMD_ENCODE)
		return flush_stdout(cmd_encode(o.base64, !o.no_header));
	if (ci->cmd == CMD_DECODE)
		return flush_stdout(cmd_decode(o.base64, !o.no_header));

	c.klap_port = o.klap_port ? o.klap_port : KASA_KLAP_PORT;
	c.verbose = o.verbose;
	if (legacy) {
		const char *h = target;
		size_t len = strlen(h);

		if (h[0] == '[' && len > 2 && h[len - 1] == ']') {
			h++;
			len -= 2;
		}
		if (len == 0 || len >= sizeof(c.host) || ctl_parse_port(legacy_port, &c.port) < 0)
			return ctl_usage_error("invalid host '%s' or port '%s'", target,
					       legacy_port);
		memcpy(c.host, h, len);
		c.host[len] = '\0';
	} else if (ctl_parse_target(target, o.klap ? c.klap_port : KASA_PORT, c.host,
				    sizeof(c.host), &c.port) < 0) {
		return ctl_usage_error("invalid HOST[:PORT] '%s' (IPv6: [::1]:9999)", target);
	}
	ctl_format_where(c.host, c.port, c.where, sizeof(c.where));
	c.timeout_s = o.timeout_s;
	c.json = o.json;
	c.outlet = o.outlet;
	c.deadline = kasa_now_usec() + (uint64_t)ceil(o.timeout_s * 1e6);
	if (o.klap || o.transport == TRANSPORT_AUTO) {
		_cleanup_free_ char *user = NULL;
		char *password = NULL;
		int r = cred_load(o.credentials, &user, &password);

		if (r != KASACTL_EXIT_OK)
			return r;
		c.klap = o.klap;
		c.proto = o.smart ? KASA_KLAP_PROTO_SMART : KASA_KLAP_PROTO_IOT;
		c.user = user;
		c.password = password;
		r = flush_stdout(run(&c, ci, npos, pos, o.transport == TRANSPORT_AUTO));
		cred_free(NULL, password);
		return r;
	}

	return flush_stdout(run(&c, ci, npos, pos, false));
}
