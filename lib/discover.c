/* SPDX-License-Identifier: MIT */
/*
 * UDP discovery, to one host or a broadcast address: the encrypted sysinfo
 * query (no header) of port 9999's plugs, and the probe of newer firmware
 * on port 20002 (PROTOCOL-KLAP.md section 8), each from a socket of its own.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

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

/* One probe: its socket and the bytes it sends. */
struct probe {
	enum kasa_transport transport;
	int fd;
	struct sockaddr_in to;
	uint8_t *data;
	size_t len;
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

static void report(const struct probe *p, const struct sockaddr_in *from, char *buf, size_t len,
		   struct responders *seen, kasa_found_cb_t cb, void *userdata, int *count)
{
	struct kasa_found found = {.transport = p->transport};
	struct sockaddr_in at = *from;

	found_at(&found, from);
	if (p->transport == KASA_TRANSPORT_XOR)
		read_xor(buf, len, &found);
	else
		read_klap(buf, len, &found);
	/* A KLAP device is where its HTTP is. */
	at.sin_port = htons(found.port);
	if (!remember(seen, p->transport, &at,
		      p->transport == KASA_TRANSPORT_KLAP ? found.info.device_id : ""))
		return;
	found_at(&found, &at);
	(*count)++;
	if (cb)
		cb(&found, userdata);
}

/* Read every datagram waiting; count the new devices reported. */
static void drain(const struct probe *p, char *buf, struct responders *seen, kasa_found_cb_t cb,
		  void *userdata, int *count)
{
	/* Bounded so that a flood cannot keep us past the deadline for long. */
	for (int i = 0; i < 256; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		n = recvfrom(p->fd, buf, DATAGRAM_MAX, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		/* EAGAIN ends the batch; any other error is a stale ICMP report: move on too. */
		if (n < 0)
			break;
		if (fromlen != sizeof(from) || from.sin_family != AF_INET)
			continue;
		/* Only the port probed answers the KLAP probe. */
		if (p->transport == KASA_TRANSPORT_KLAP && from.sin_port != p->to.sin_port)
			continue;
		report(p, &from, buf, (size_t)n, seen, cb, userdata, count);
	}
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

static int probe_open(struct probe *p, enum kasa_transport transport, const struct sockaddr_in *to,
		      uint16_t port)
{
	int one = 1, r;

	p->transport = transport;
	p->to = *to;
	p->to.sin_port = htons(port);
	r = transport == KASA_TRANSPORT_XOR ? xor_probe(&p->data, &p->len)
					    : klap_probe(&p->data, &p->len);
	if (r < 0)
		return r;
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	/* Without it, sending to a broadcast address fails with EACCES. */
	if (setsockopt(p->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

static void probe_close(struct probe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->data);
}

KASA_EXPORT int kasa_discover_all(const char *target, uint16_t port, uint16_t klap_port,
				  int timeout_ms, unsigned sends, kasa_found_cb_t cb,
				  void *userdata)
{
	_cleanup_free_ struct responders *seen = NULL;
	_cleanup_free_ char *buf = NULL;
	struct probe probes[2] = {{.fd = -1}, {.fd = -1}};
	struct sockaddr_in to;
	uint64_t start, deadline, interval;
	unsigned sent = 0, nprobes = 0;
	int found = 0, r;

	if (!target || (port == 0 && klap_port == 0) || timeout_ms < 0 || sends == 0 ||
	    sends > SENDS_MAX)
		return -EINVAL;
	r = resolve(target, &to);
	if (r < 0)
		return r;

	seen = calloc(1, sizeof(*seen));
	/* One spare byte for the NUL the parser's caller expects. */
	buf = malloc(DATAGRAM_MAX + 1);
	if (!seen || !buf)
		return -ENOMEM;
	if (port)
		r = probe_open(&probes[nprobes++], KASA_TRANSPORT_XOR, &to, port);
	if (r == 0 && klap_port)
		r = probe_open(&probes[nprobes++], KASA_TRANSPORT_KLAP, &to, klap_port);
	if (r < 0)
		goto out;

	start = monotonic_usec();
	deadline = start + (uint64_t)timeout_ms * USEC_PER_MSEC;
	interval = (uint64_t)timeout_ms * USEC_PER_MSEC / sends;

	for (;;) {
		uint64_t now = monotonic_usec(), wake;
		struct pollfd pfd[2];
		int wait_ms;

		/* Send i goes out at start + i * interval; the first at once. */
		while (sent < sends && now >= start + sent * interval) {
			for (unsigned i = 0; i < nprobes; i++) {
				const struct probe *p = &probes[i];
				ssize_t n = sendto(p->fd, p->data, p->len, 0,
						   (const struct sockaddr *)&p->to, sizeof(p->to));

				/* The first failure tells the caller why (no route, say);
				 * later ones are transient and the replies so far still
				 * count. */
				if (n < 0 && sent == 0) {
					r = -errno;
					goto out;
				}
			}
			sent++;
		}
		if (now >= deadline)
			break;

		wake = deadline;
		if (sent < sends && start + sent * interval < wake)
			wake = start + sent * interval;
		/* Round up so we never spin on a sub-millisecond remainder. */
		wait_ms = (int)((wake - now + 999) / 1000);

		for (unsigned i = 0; i < nprobes; i++)
			pfd[i] = (struct pollfd){.fd = probes[i].fd, .events = POLLIN};
		r = poll(pfd, nprobes, wait_ms);
		if (r < 0 && errno != EINTR) {
			r = -errno;
			goto out;
		}
		for (unsigned i = 0; r > 0 && i < nprobes; i++)
			if (pfd[i].revents)
				drain(&probes[i], buf, seen, cb, userdata, &found);
	}
	r = found;
out:
	for (unsigned i = 0; i < nprobes; i++)
		probe_close(&probes[i]);
	return r;
}

KASA_EXPORT int kasa_discover(const char *target, uint16_t port, int timeout_ms, unsigned sends,
			      kasa_found_cb_t cb, void *userdata)
{
	if (port == 0)
		return -EINVAL;
	return kasa_discover_all(target, port, 0, timeout_ms, sends, cb, userdata);
}
