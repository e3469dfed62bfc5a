/* SPDX-License-Identifier: MIT */
/*
 * UDP discovery, to one host or a broadcast address: the encrypted sysinfo
 * query (no header) of port 9999's plugs, and the probe of newer firmware
 * on port 20002 (PROTOCOL-KLAP.md section 8), both from one socket that an
 * event loop drives (struct kasa_discovery), and kasa_discover_all() on it
 * with poll().
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/crc32.h"
#include "kasa-private.h"

/* An IPv4 datagram carries at most 65507 bytes: this buffer never truncates one. */
#define DATAGRAM_MAX (64 * 1024)
/* Bounds memory on a network (or a peer) that answers from very many addresses. */
#define RESPONDERS_MAX 1024
#define SENDS_MAX      100

/* The header of the KLAP firmware's probe and answers. */
#define KLAP_HEADER_LEN 16
#define KLAP_CRC_AT	12
/* The CRC field holds this while the CRC is computed. */
static const uint8_t crc_seed[4] = {0x5A, 0x6B, 0x7C, 0x8D};

/* One device reported: its address and port, and for KLAP its device_id
 * (answers from one address and port may stand for many devices). */
struct responder {
	enum kasa_transport transport;
	struct sockaddr_in addr;
	char id[KASA_ID_MAX];
};

struct responders {
	struct responder r[RESPONDERS_MAX];
	unsigned count;
};

/* The probes' ports, remembered to tell the answers apart. */
#define PROBED_MAX  16
#define PROBED_XOR  1
#define PROBED_KLAP 2

struct probed {
	uint16_t port;
	uint8_t kinds;
};

struct kasa_discovery {
	int fd;
	uint8_t *xor_probe, *klap_probe;
	size_t xor_len, klap_len;
	/* The ports probed lately and with what (PROBED_ bits); the oldest
	 * gives way when full. */
	struct probed probed[PROBED_MAX];
	unsigned n_probed, next_probed;
	bool sent_xor;
	/* One spare byte for the NUL the parsers want. */
	char buf[DATAGRAM_MAX + 1];
};

/* Discovery speaks IPv4 only: the plugs do, and broadcast has no IPv6 equivalent. */
static int resolve(const char *target, struct sockaddr_in *ret)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res;
	int r;

	r = getaddrinfo(target, NULL, &hints, &res);
	if (r != 0)
		return kasa_gai_errno(r);
	memcpy(ret, res->ai_addr, sizeof(*ret));
	freeaddrinfo(res);
	return 0;
}

/* True the first time a device is seen; false for a repeat or once the table is full. */
static bool remember(struct responders *seen, enum kasa_transport transport,
		     const struct sockaddr_in *addr, const char *id)
{
	struct responder *r;

	for (unsigned i = 0; i < seen->count; i++) {
		r = &seen->r[i];
		if (r->transport == transport && r->addr.sin_addr.s_addr == addr->sin_addr.s_addr &&
		    r->addr.sin_port == addr->sin_port && strcmp(r->id, id) == 0)
			return false;
	}
	if (seen->count == RESPONDERS_MAX)
		return false;
	r = &seen->r[seen->count++];
	r->transport = transport;
	r->addr = *addr;
	snprintf(r->id, sizeof(r->id), "%s", id);
	return true;
}

static void found_at(struct kasa_found *found, const struct sockaddr_in *addr)
{
	memcpy(&found->addr, addr, sizeof(*addr));
	found->addrlen = sizeof(*addr);
	inet_ntop(AF_INET, &addr->sin_addr, found->host, sizeof(found->host));
	found->port = ntohs(addr->sin_port);
}

/* An answer to the sysinfo query, decrypted in place (buf has room for a NUL). */
static void read_xor(char *buf, size_t len, struct kasa_found *found)
{
	struct json_object *reply;

	kasa_decrypt(buf, len);
	buf[len] = '\0';
	if (kasa_reply_parse(buf, len, &reply) >= 0) {
		found->info_ok = kasa_sysinfo_parse(reply, &found->info, NULL) >= 0;
		json_object_put(reply);
	}
}

/* The result of an answer to the KLAP probe; false when it is not one. */
static bool read_klap_result(struct json_object *result, struct kasa_found *found)
{
	struct kasa_found_klap *k = &found->klap;
	struct json_object *schm, *v;
	int64_t n;

	schm = kasa_json_typed(result, "mgt_encrypt_schm", json_type_object);
	if (!kasa_json_str(result, "device_type", found->info.type, sizeof(found->info.type)) ||
	    !schm)
		return false;
	kasa_json_str(result, "device_model", found->info.model, sizeof(found->info.model));
	kasa_json_str(result, "device_id", found->info.device_id, sizeof(found->info.device_id));
	kasa_json_str(result, "hw_ver", found->info.hw_ver, sizeof(found->info.hw_ver));
	v = kasa_json_typed(result, "mac", json_type_string);
	if (v)
		kasa_mac_copy(found->info.mac, sizeof(found->info.mac), json_object_get_string(v));
	v = kasa_json_typed(result, "factory_default", json_type_boolean);
	k->factory_default = v && json_object_get_boolean(v);

	kasa_json_str(schm, "encrypt_type", k->encrypt_type, sizeof(k->encrypt_type));
	v = kasa_json_typed(schm, "is_support_https", json_type_boolean);
	k->https = v && json_object_get_boolean(v);
	if (kasa_json_int64(schm, "http_port", &n)) {
		if (n < 1 || n > UINT16_MAX)
			return false;
		found->port = (uint16_t)n;
	}
	if (kasa_json_int64(schm, "lv", &n) && n >= 0 && n <= 255)
		k->lv = (int)n;
	k->new_klap = kasa_json_int64(schm, "new_klap", &n) && n == 1;
	k->smart = strncmp(found->info.type, "SMART.", 6) == 0;
	k->klap_version = k->smart || k->lv >= 2 || k->new_klap ? KASA_KLAP_V2 : KASA_KLAP_V1;
	return true;
}

/* An answer to the KLAP probe: the header (not checked: python-kasa does
 * not either), then the JSON.  found->port is KASA_KLAP_PORT unless it says. */
static void read_klap(char *buf, size_t len, struct kasa_found *found)
{
	struct json_object *reply, *result;
	struct kasa_found parsed;

	found->port = KASA_KLAP_PORT;
	if (len <= KLAP_HEADER_LEN)
		return;
	buf[len] = '\0';
	if (kasa_reply_parse(buf + KLAP_HEADER_LEN, len - KLAP_HEADER_LEN, &reply) < 0)
		return;
	/* Filled apart, so that a refused answer leaves nothing half read. */
	parsed = *found;
	parsed.info.on_time = -1;
	if (kasa_smart_result(reply, NULL, &result, NULL) == 0 && result &&
	    read_klap_result(result, &parsed)) {
		parsed.info_ok = true;
		*found = parsed;
	}
	json_object_put(reply);
}

/* buf (len bytes and room for a NUL) read in place. */
static void parse_in_place(enum kasa_transport transport, char *buf, size_t len,
			   const struct sockaddr_in *from, struct kasa_found *ret)
{
	struct sockaddr_in at = *from;

	*ret = (struct kasa_found){.transport = transport};
	found_at(ret, from);
	if (transport == KASA_TRANSPORT_XOR)
		read_xor(buf, len, ret);
	else
		read_klap(buf, len, ret);
	/* A KLAP device is where its HTTP is. */
	at.sin_port = htons(ret->port);
	found_at(ret, &at);
}

KASA_EXPORT int kasa_found_parse(enum kasa_transport transport, const void *datagram, size_t len,
				 const struct sockaddr *from, socklen_t fromlen,
				 struct kasa_found *ret)
{
	_cleanup_free_ char *buf = NULL;
	struct sockaddr_in sin;

	if (!datagram || !from || !ret || fromlen != sizeof(sin) || from->sa_family != AF_INET)
		return -EINVAL;
	if (len > DATAGRAM_MAX)
		return -EMSGSIZE;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, datagram, len);
	memcpy(&sin, from, sizeof(sin));
	parse_in_place(transport, buf, len, &sin, ret);
	return 0;
}

static void be_put(uint8_t *at, uint32_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		at[i] = (uint8_t)v;
}

/*
 * The older fixed probe of PROTOCOL-KLAP.md: the header alone, version 2,
 * op_code 1, no payload, flags and the 4 bytes 0, and the CRC.  Devices
 * answer it as they answer python-kasa's newer one, which carries an RSA
 * key for answers they encrypt (cameras): nothing here reads those.
 */
static int klap_probe(uint8_t **ret, size_t *ret_len)
{
	uint8_t *p = calloc(1, KLAP_HEADER_LEN);

	if (!p)
		return -ENOMEM;
	p[0] = 2;
	be_put(p + 2, 1, 2);
	memcpy(p + KLAP_CRC_AT, crc_seed, sizeof(crc_seed));
	be_put(p + KLAP_CRC_AT, crc32_of(p, KLAP_HEADER_LEN), 4);
	*ret = p;
	*ret_len = KLAP_HEADER_LEN;
	return 0;
}

static int xor_probe(uint8_t **ret, size_t *ret_len)
{
	char *query = NULL;
	int r = kasa_req_sysinfo(&query);

	if (r < 0)
		return r;
	*ret_len = strlen(query);
	kasa_encrypt(query, *ret_len);
	*ret = (uint8_t *)query;
	return 0;
}

KASA_EXPORT int kasa_discovery_new(struct kasa_discovery **ret_discovery)
{
	struct kasa_discovery *d = calloc(1, sizeof(*d));
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	int one = 1, r;

	if (!d)
		return -ENOMEM;
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		r = -errno;
		goto fail;
	}
	/* Without it, sending to a broadcast address fails with EACCES. */
	if (setsockopt(d->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0) {
		r = -errno;
		goto fail;
	}
	/* A port of its own from the start (a send would take one anyway), so
	 * that answers have somewhere to come to from the first send on. */
	if (bind(d->fd, (const struct sockaddr *)&any, sizeof(any)) < 0) {
		r = -errno;
		goto fail;
	}
	r = xor_probe(&d->xor_probe, &d->xor_len);
	if (r >= 0)
		r = klap_probe(&d->klap_probe, &d->klap_len);
	if (r < 0)
		goto fail;
	*ret_discovery = d;
	return 0;
fail:
	kasa_discovery_free(d);
	return r;
}

KASA_EXPORT void kasa_discovery_free(struct kasa_discovery *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d->xor_probe);
	free(d->klap_probe);
	free(d);
}

KASA_EXPORT int kasa_discovery_fd(const struct kasa_discovery *d)
{
	return d->fd;
}

static void probed_add(struct kasa_discovery *d, uint16_t port, uint8_t kind)
{
	for (unsigned i = 0; i < d->n_probed; i++)
		if (d->probed[i].port == port) {
			d->probed[i].kinds |= kind;
			return;
		}
	if (d->n_probed < PROBED_MAX) {
		d->probed[d->n_probed++] = (struct probed){port, kind};
		return;
	}
	d->probed[d->next_probed] = (struct probed){port, kind};
	d->next_probed = (d->next_probed + 1) % PROBED_MAX;
}

static uint8_t probed_kinds(const struct kasa_discovery *d, uint16_t port)
{
	for (unsigned i = 0; i < d->n_probed; i++)
		if (d->probed[i].port == port)
			return d->probed[i].kinds;
	return 0;
}

static int send_one(struct kasa_discovery *d, const struct sockaddr_in *to, uint16_t port,
		    uint8_t kind)
{
	struct sockaddr_in at = *to;
	bool klap = kind == PROBED_KLAP;
	ssize_t n;

	at.sin_port = htons(port);
	probed_add(d, port, kind);
	if (!klap)
		d->sent_xor = true;
	n = sendto(d->fd, klap ? d->klap_probe : d->xor_probe, klap ? d->klap_len : d->xor_len, 0,
		   (const struct sockaddr *)&at, sizeof(at));
	return n < 0 ? -errno : 0;
}

KASA_EXPORT int kasa_discovery_send(struct kasa_discovery *d, const struct sockaddr *to,
				    socklen_t tolen, uint16_t port, uint16_t klap_port)
{
	struct sockaddr_in sin;
	int r = 0, k = 0;

	if (!to || tolen != sizeof(sin) || to->sa_family != AF_INET || (!port && !klap_port))
		return -EINVAL;
	memcpy(&sin, to, sizeof(sin));
	if (port)
		r = send_one(d, &sin, port, PROBED_XOR);
	if (klap_port)
		k = send_one(d, &sin, klap_port, PROBED_KLAP);
	return r < 0 ? r : k;
}

/* The 16 bytes of the KLAP firmware's header: version 2, op_code 1.  (An
 * encrypted sysinfo answer starts with '{' ^ 0xAB.) */
static bool klap_shaped(const char *buf, size_t len)
{
	return len >= KLAP_HEADER_LEN && buf[0] == 2 && buf[2] == 0 && buf[3] == 1;
}

/* Which probe a datagram from port answers; false: none. */
static bool answers(const struct kasa_discovery *d, uint16_t port, const char *buf, size_t len,
		    enum kasa_transport *ret)
{
	uint8_t kinds = probed_kinds(d, port);
	bool shaped = klap_shaped(buf, len);

	if ((kinds & PROBED_KLAP) && (shaped || !(kinds & PROBED_XOR))) {
		*ret = KASA_TRANSPORT_KLAP;
		return true;
	}
	if (shaped || !d->sent_xor)
		return false;
	*ret = KASA_TRANSPORT_XOR;
	return true;
}

KASA_EXPORT int kasa_discovery_receive(struct kasa_discovery *d, kasa_found_cb_t cb, void *userdata)
{
	int count = 0;

	/* Bounded so that a flood cannot hold the caller's loop. */
	for (int i = 0; i < KASA_DISCOVERY_BATCH; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		enum kasa_transport transport;
		struct kasa_found found;
		ssize_t n;

		n = recvfrom(d->fd, d->buf, DATAGRAM_MAX, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* EINTR, or a stale ICMP report: the next one. */
		if (n < 0)
			continue;
		if (fromlen != sizeof(from) || from.sin_family != AF_INET ||
		    !answers(d, ntohs(from.sin_port), d->buf, (size_t)n, &transport))
			continue;
		parse_in_place(transport, d->buf, (size_t)n, &from, &found);
		count++;
		if (cb)
			cb(&found, userdata);
	}
	return count;
}

/* kasa_discover_all()'s report: each device once. */
struct once {
	struct responders seen;
	kasa_found_cb_t cb;
	void *userdata;
	int count;
};

static void report_once(const struct kasa_found *found, void *userdata)
{
	struct once *o = userdata;
	struct sockaddr_in at;

	memcpy(&at, &found->addr, sizeof(at));
	if (!remember(&o->seen, found->transport, &at,
		      found->transport == KASA_TRANSPORT_KLAP ? found->info.device_id : ""))
		return;
	o->count++;
	if (o->cb)
		o->cb(found, o->userdata);
}

KASA_EXPORT int kasa_discover_all(const char *target, uint16_t port, uint16_t klap_port,
				  int timeout_ms, unsigned sends, kasa_found_cb_t cb,
				  void *userdata)
{
	_cleanup_free_ struct once *once = NULL;
	struct kasa_discovery *d = NULL;
	struct sockaddr_in to;
	uint64_t start, deadline, interval;
	unsigned sent = 0;
	int r;

	if (!target || (port == 0 && klap_port == 0) || timeout_ms < 0 || sends == 0 ||
	    sends > SENDS_MAX)
		return -EINVAL;
	r = resolve(target, &to);
	if (r < 0)
		return r;
	once = calloc(1, sizeof(*once));
	if (!once)
		return -ENOMEM;
	*once = (struct once){.cb = cb, .userdata = userdata};
	r = kasa_discovery_new(&d);
	if (r < 0)
		return r;

	start = monotonic_usec();
	deadline = start + (uint64_t)timeout_ms * USEC_PER_MSEC;
	interval = (uint64_t)timeout_ms * USEC_PER_MSEC / sends;

	for (;;) {
		uint64_t now = monotonic_usec(), wake;
		struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
		int wait_ms;

		/* Send i goes out at start + i * interval; the first at once. */
		while (sent < sends && now >= start + sent * interval) {
			r = kasa_discovery_send(d, (const struct sockaddr *)&to, sizeof(to), port,
						klap_port);
			/* The first failure tells the caller why (no route, say);
			 * later ones are transient and the replies so far still
			 * count. */
			if (r < 0 && sent == 0)
				goto out;
			sent++;
		}
		if (now >= deadline)
			break;

		wake = deadline;
		if (sent < sends && start + sent * interval < wake)
			wake = start + sent * interval;
		/* Round up so we never spin on a sub-millisecond remainder. */
		wait_ms = (int)((wake - now + 999) / 1000);

		r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno != EINTR) {
			r = -errno;
			goto out;
		}
		if (r > 0)
			kasa_discovery_receive(d, report_once, once);
	}
	r = once->count;
out:
	kasa_discovery_free(d);
	return r;
}

KASA_EXPORT int kasa_discover(const char *target, uint16_t port, int timeout_ms, unsigned sends,
			      kasa_found_cb_t cb, void *userdata)
{
	if (port == 0)
		return -EINVAL;
	return kasa_discover_all(target, port, 0, timeout_ms, sends, cb, userdata);
}
