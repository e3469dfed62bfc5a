/* SPDX-License-Identifier: MIT */
/* Discovery on the loop (discovery.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/mac.h"
#include "common/macro.h"
#include "common/strbuf.h"
#include "discovered.h"
#include "discovery.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "plug.h"
#include "registry.h"
#include "service.h"

#define SEND_GAP_USEC USEC_PER_SEC
/* A device not heard in this many intervals is forgotten. */
#define KEEP_INTERVALS 3
/* The missing plugs' rounds back off to the interval by doubling. */
#define MISSING_SHIFT_MAX 10

/* Where a round goes. */
struct target {
	struct sockaddr_in addr;
	uint16_t port;
	bool broadcast;
};

/* What the inventory has, for the answers: "M" and a MAC (named: the MAC
 * names the plug; else its state says it), "A" and where the sysinfo
 * query reaches a plug, "K" where KLAP does.  Sorted by key. */
struct known {
	char key[96];
	struct plug *plug;
	bool named;
};

struct discovery {
	struct loop *loop;
	struct service *svc;
	struct registry *reg;
	struct discovery_settings set;
	struct kasa_discovery *kd; /* NULL while off */
	struct loop_source *io, *timer;
	struct service_watch *watch;
	struct discovered *table;

	struct target round[DISCOVERY_TARGETS_MAX + DISCOVERY_BROADCAST_MAX];
	size_t n_round;
	unsigned sends_left;  /* of the round under way */
	uint64_t round_start; /* 0: none yet */
	uint64_t next_round;
	uint64_t soon_at; /* a round asked for meanwhile; 0: none */
	unsigned missing_rounds;
	char targets_text[1024]; /* the last round's, to log a change */
	bool targets_said;	 /* targets_text was logged */

	struct known *known;
	size_t n_known;
	uint64_t known_generation;
	bool known_stale;
};

static bool enabled(const struct discovery_settings *s)
{
	return s->n_targets || s->broadcast;
}

/* --- What the inventory has --------------------------------------------- */

static int cmp_known(const void *a, const void *b)
{
	const struct known *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	return r ? r : (int)y->named - (int)x->named;
}

static __attribute__((format(printf, 5, 6))) void
known_add(struct known *k, size_t *n, struct plug *p, bool named, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k[*n].key, sizeof(k[*n].key), fmt, ap);
	va_end(ap);
	k[*n].plug = p;
	k[*n].named = named;
	(*n)++;
}

/* Built anew for another inventory, after a plug moved, and each round
 * (plugs say their MACs as they come online). */
static void known_refresh(struct discovery *d)
{
	size_t np = registry_plug_count(d->reg), n = 0;
	struct known *k;

	if (!d->known_stale && d->known && d->known_generation == registry_generation(d->reg))
		return;
	k = calloc(4 * np + 1, sizeof(*k));
	if (!k) {
		/* None: the old one's plugs may be gone.  Answers look new, and
		 * move nothing, until memory comes back. */
		free(steal_ptr(d->known));
		d->n_known = 0;
		return;
	}
	for (size_t i = 0; i < np; i++) {
		struct plug *p = registry_plug(d->reg, i);
		const struct plug_state *st = plug_state(p);
		char mac[MAC_TEXT_SIZE];

		if (*plug_mac(p))
			known_add(k, &n, p, true, "M%s", plug_mac(p));
		if (st->known && mac_parse(st->info.mac, mac) && !streq(mac, plug_mac(p)))
			known_add(k, &n, p, false, "M%s", mac);
		if (plug_host(p)) {
			known_add(k, &n, p, false, "A%s:%u", plug_host(p), plug_port(p));
			known_add(k, &n, p, false, "K%s:%u", plug_host(p), plug_klap_port(p));
		}
	}
	qsort(k, n, sizeof(*k), cmp_known);
	free(d->known);
	d->known = k;
	d->n_known = n;
	d->known_generation = registry_generation(d->reg);
	d->known_stale = false;
}

/* The first entry of key (a named one first), or NULL. */
static const struct known *known_find(const struct discovery *d, const char *key)
{
	size_t lo = 0, hi = d->n_known;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(d->known[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n_known && streq(d->known[lo].key, key) ? &d->known[lo] : NULL;
}

static bool has(const struct discovery *d, const char *mac, bool klap, const char *host,
		uint16_t port)
{
	char key[96];

	if (*mac) {
		snprintf(key, sizeof(key), "M%s", mac);
		if (known_find(d, key))
			return true;
	}
	snprintf(key, sizeof(key), "%c%s:%u", klap ? 'K' : 'A', host, port);
	return known_find(d, key) != NULL;
}

static bool entry_known(const struct discovered_entry *e, void *userdata)
{
	return has(userdata, e->mac, e->transport == KASA_TRANSPORT_KLAP, e->host, e->port);
}

static void count_unknown(struct discovery *d)
{
	metrics_discovery()->discovered = discovered_unknown(d->table, entry_known, d);
}

/* --- Answers ------------------------------------------------------------- */

/* Missing: named by its MAC, and not found yet or offline after failed
 * polls.  Discovery may move it; it may not move a plug that answers. */
static bool missing(const struct plug *p)
{
	const struct plug_state *st = plug_state(p);

	return *plug_mac(p) && (!plug_host(p) || (!st->online && st->misses > 0));
}

static bool movable(const struct plug *p)
{
	return !plug_host(p) || !plug_state(p)->online;
}

static void on_found(const struct kasa_found *f, void *userdata)
{
	struct discovery *d = userdata;
	bool klap = f->transport == KASA_TRANSPORT_KLAP;
	char mac[MAC_TEXT_SIZE] = "", key[96];
	const struct known *k;
	int r;

	metrics_discovery()->answers++;
	if (f->info_ok && !mac_parse(f->info.mac, mac))
		mac[0] = '\0';
	known_refresh(d);
	snprintf(key, sizeof(key), "M%s", mac);
	k = *mac ? known_find(d, key) : NULL;
	if (k && k->named) {
		if (!movable(k->plug))
			return;
		r = plug_move(k->plug, f->host, klap ? 0 : f->port, klap ? f->port : 0, klap);
		if (r > 0) {
			metrics_discovery()->moves++;
			d->known_stale = true;
		}
		return;
	}
	if (k || has(d, mac, klap, f->host, f->port))
		return;
	r = discovered_note(d->table, f, loop_now(d->loop), (int64_t)time(NULL));
	if (r > 0) {
		log_info("discovery: %s:%u (%s, %s%s%s), not in the inventory: see GET /discovered",
			 f->host, f->port, klap ? "KLAP" : "XOR",
			 f->info_ok ? f->info.model : "an answer that cannot be read",
			 *mac ? " " : "", mac);
		count_unknown(d);
	}
}

static void on_io(struct loop_source *s, int fd, uint32_t revents, void *userdata)
{
	struct discovery *d = userdata;

	if (d->kd)
		kasa_discovery_receive(d->kd, on_found, d);
}

/* --- Rounds ---------------------------------------------------------------- */

static bool is_any(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return sin->sin_addr.s_addr == htonl(INADDR_ANY);
	return ss->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

/* Whether sa is the address listen names (port aside). */
static bool is_listen(const struct sockaddr *sa, const struct sockaddr_storage *listen)
{
	if (!sa || sa->sa_family != listen->ss_family)
		return false;
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)listen)->sin_addr.s_addr;
	return sa->sa_family == AF_INET6 &&
	       IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)sa)->sin6_addr,
				  &((const struct sockaddr_in6 *)listen)->sin6_addr);
}

/* Whether the interface name has the listening address. */
static bool listens_on(const struct ifaddrs *all, const char *name,
		       const struct sockaddr_storage *listen)
{
	if (is_any(listen))
		return true;
	for (const struct ifaddrs *i = all; i; i = i->ifa_next)
		if (streq(i->ifa_name, name) && is_listen(i->ifa_addr, listen))
			return true;
	return false;
}

/* The broadcast address of each interface kasad listens on: up, IPv4,
 * with one (a loopback has none). */
static void add_broadcast(struct discovery *d)
{
	struct ifaddrs *all;
	size_t room = d->n_round + DISCOVERY_BROADCAST_MAX;

	if (getifaddrs(&all) < 0) {
		log_warning("discovery: cannot list the interfaces: %s", strerror(errno));
		return;
	}
	for (const struct ifaddrs *i = all; i && d->n_round < room; i = i->ifa_next) {
		struct sockaddr_in b;
		bool seen = false;

		if (!(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_BROADCAST) ||
		    (i->ifa_flags & IFF_LOOPBACK) || !i->ifa_broadaddr ||
		    i->ifa_broadaddr->sa_family != AF_INET ||
		    !listens_on(all, i->ifa_name, &d->set.listen))
			continue;
		memcpy(&b, i->ifa_broadaddr, sizeof(b));
		for (size_t k = 0; k < d->n_round; k++)
			seen |= d->round[k].addr.sin_addr.s_addr == b.sin_addr.s_addr;
		if (!seen)
			d->round[d->n_round++] = (struct target){b, KASA_PORT, true};
	}
	freeifaddrs(all);
}

/* The round's addresses, said in the log when they change. */
static void collect(struct discovery *d)
{
	struct strbuf b = STRBUF_INIT(sizeof(d->targets_text) - 1);

	d->n_round = 0;
	for (size_t i = 0; i < d->set.n_targets; i++) {
		memcpy(&d->round[i].addr, &d->set.targets[i].addr, sizeof(d->round[i].addr));
		d->round[i].port = d->set.targets[i].port;
		d->round[i].broadcast = false;
		d->n_round++;
	}
	if (d->set.broadcast)
		add_broadcast(d);
	for (size_t i = 0; i < d->n_round; i++) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &d->round[i].addr.sin_addr, a, sizeof(a));
		strbuf_printf(&b, "%s%s:%u%s", i ? ", " : "", a, d->round[i].port,
			      d->round[i].broadcast ? " (broadcast)" : "");
	}
	if (!b.error && (!d->targets_said || !streq(b.s ? b.s : "", d->targets_text))) {
		d->targets_said = true;
		snprintf(d->targets_text, sizeof(d->targets_text), "%s", b.s ? b.s : "");
		if (d->n_round && d->set.klap_port)
			log_info("discovery: to %s, the KLAP probe to port %u of each", b.s,
				 d->set.klap_port);
		else if (d->n_round)
			log_info("discovery: to %s", b.s);
		else
			log_info("discovery: no interface kasad listens on has a broadcast "
				 "address, and discover = names none: nowhere to go");
	}
	strbuf_free(&b);
}

static void send_all(struct discovery *d)
{
	for (size_t i = 0; i < d->n_round; i++) {
		const struct target *t = &d->round[i];
		uint16_t klap_port = d->set.klap_port;
		int r;

		/* The KLAP probe once an address, whatever the ports of the
		 * sysinfo query there. */
		for (size_t k = 0; k < i && klap_port; k++)
			if (d->round[k].addr.sin_addr.s_addr == t->addr.sin_addr.s_addr)
				klap_port = 0;
		r = kasa_discovery_send(d->kd, (const struct sockaddr *)&t->addr, sizeof(t->addr),
					t->port, klap_port);

		/* Said once a round: no route now is no route a second later. */
		if (r < 0 && d->sends_left == DISCOVERY_SENDS) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &t->addr.sin_addr, a, sizeof(a));
			log_info("discovery: cannot send to %s: %s", a, strerror(-r));
		}
	}
	d->sends_left--;
}

static void arm(struct discovery *d)
{
	uint64_t now = loop_now(d->loop);

	loop_timer_set(d->timer, d->sends_left ? now + SEND_GAP_USEC : d->next_round);
}

/* The last send of the round went: when the next round begins. */
static void schedule(struct discovery *d)
{
	uint64_t delay = d->set.interval_usec, earliest = d->round_start + DISCOVERY_GAP_USEC;
	bool any = false;

	for (size_t i = 0; i < registry_plug_count(d->reg) && !any; i++)
		any = missing(registry_plug(d->reg, i));
	if (any) {
		unsigned shift = d->missing_rounds < MISSING_SHIFT_MAX ? d->missing_rounds
								       : MISSING_SHIFT_MAX;

		if (DISCOVERY_GAP_USEC << shift < delay)
			delay = DISCOVERY_GAP_USEC << shift;
		d->missing_rounds++;
	} else {
		d->missing_rounds = 0;
	}
	d->next_round = d->round_start + delay;
	if (d->soon_at && d->soon_at < d->next_round)
		d->next_round = d->soon_at > earliest ? d->soon_at : earliest;
	d->soon_at = 0;
}

static void begin_round(struct discovery *d, uint64_t now)
{
	uint64_t keep = KEEP_INTERVALS * d->set.interval_usec;

	d->round_start = now;
	d->soon_at = 0;
	metrics_discovery()->rounds++;
	d->known_stale = true;
	known_refresh(d);
	if (now > keep)
		discovered_expire(d->table, now - keep);
	count_unknown(d);
	collect(d);
	d->sends_left = DISCOVERY_SENDS;
	send_all(d);
	if (!d->sends_left)
		schedule(d);
}

static void on_timer(struct loop_source *s, uint64_t now, void *userdata)
{
	struct discovery *d = userdata;

	if (!d->kd)
		return;
	if (d->sends_left) {
		send_all(d);
		if (!d->sends_left)
			schedule(d);
	} else if (now >= d->next_round) {
		begin_round(d, now);
	}
	arm(d);
}

/* A round as soon as the gap allows: a missing plug's. */
static void soon(struct discovery *d)
{
	uint64_t now = loop_now(d->loop), at = now;

	if (!d->kd)
		return;
	if (d->round_start && d->round_start + DISCOVERY_GAP_USEC > at)
		at = d->round_start + DISCOVERY_GAP_USEC;
	if (d->sends_left) {
		if (!d->soon_at || at < d->soon_at)
			d->soon_at = at;
		return;
	}
	if (at < d->next_round) {
		d->next_round = at;
		arm(d);
	}
}

/* A plug named by its MAC went missing: look for it. */
static void on_change(const struct device *dev, void *userdata)
{
	struct discovery *d = userdata;

	if (missing(dev->plug))
		soon(d);
}

/* --- Life -------------------------------------------------------------------- */

static void turn_off(struct discovery *d)
{
	loop_io_set(d->io, -1, 0);
	loop_timer_set(d->timer, 0);
	kasa_discovery_free(d->kd);
	d->kd = NULL;
	d->sends_left = 0;
	d->targets_said = false;
}

int discovery_configure(struct discovery *d, const struct discovery_settings *s)
{
	bool was = enabled(&d->set);
	int r;

	d->set = *s;
	metrics_discovery()->enabled = enabled(s);
	if (!enabled(s)) {
		if (was)
			log_info("discovery: off (discover = names nowhere, discover_broadcast = "
				 "no)");
		turn_off(d);
		return 0;
	}
	if (!d->kd) {
		r = kasa_discovery_new(&d->kd);
		if (r < 0) {
			log_error("discovery: cannot open its socket: %s", strerror(-r));
			return r;
		}
		r = loop_io_set(d->io, kasa_discovery_fd(d->kd), EPOLLIN);
		if (r < 0) {
			turn_off(d);
			return r;
		}
		/* The first round at once. */
		d->next_round = loop_now(d->loop);
	} else if (!d->sends_left) {
		/* A reload (other addresses, devices, an interval): a round as
		 * soon as the gap allows. */
		uint64_t at = d->round_start + DISCOVERY_GAP_USEC, now = loop_now(d->loop);

		d->next_round = at > now ? at : now;
	}
	arm(d);
	return 0;
}

int discovery_new(struct loop *l, struct service *svc, const struct discovery_settings *s,
		  struct discovery **ret)
{
	struct discovery *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->loop = l;
	d->svc = svc;
	d->reg = service_registry(svc);
	d->known_stale = true;
	r = discovered_new(&d->table);
	if (r >= 0)
		r = loop_io_add(l, -1, 0, on_io, d, &d->io);
	if (r >= 0)
		r = loop_timer_add(l, 0, on_timer, d, &d->timer);
	if (r >= 0)
		r = service_watch(svc, on_change, d, &d->watch);
	if (r >= 0)
		r = discovery_configure(d, s);
	if (r < 0) {
		discovery_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

void discovery_free(struct discovery *d)
{
	if (!d)
		return;
	service_unwatch(d->watch);
	loop_source_free(d->io);
	loop_source_free(d->timer);
	kasa_discovery_free(d->kd);
	discovered_free(d->table);
	free(d->known);
	metrics_discovery()->enabled = false;
	free(d);
}

struct json_object *discovery_render(struct discovery *d, uint64_t now_usec)
{
	known_refresh(d);
	count_unknown(d);
	return discovered_render(d->table, entry_known, d, now_usec);
}
