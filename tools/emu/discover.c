/* SPDX-License-Identifier: MIT */
/*
 * The discovery of KLAP firmware: its probe checked as a plug would (the
 * header's version, op_code, length and CRC), and each KLAP device's
 * answer, the JSON python-kasa's fixtures show for such units: device
 * type and model, MAC, and mgt_encrypt_schm saying KLAP, the HTTP port, and
 * for KLAP v2 "lv":2 (IOT firmware also "new_klap":1).  The device's
 * fault mode, flakiness and delay apply as on its own UDP port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/crc32.h"
#include "common/macro.h"
#include "device.h"
#include "discover.h"
#include "emu.h"
#include "fault.h"
#include "loop.h"
#include "result.h"
#include "sock.h"

#define DATAGRAM_MAX 4096
#define BATCH	     64
/* The CRC field holds this while the CRC is computed. */
static const uint8_t crc_seed[4] = {0x5A, 0x6B, 0x7C, 0x8D};

static struct emu_watch disc = {.fd = -1};
static struct sockaddr_storage disc_addr;
static socklen_t disc_addrlen;
static struct emu_device *const *devs;
static size_t ndevs;

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be(uint8_t *p, uint32_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A probe: version 2, op_code 1, the length of what follows, the CRC. */
static bool probe_valid(uint8_t *buf, size_t len)
{
	uint32_t crc;

	if (len < EMU_DISCOVER_HEADER_LEN || buf[0] != 2 || buf[2] != 0 || buf[3] != 1 ||
	    ((size_t)buf[4] << 8 | buf[5]) != len - EMU_DISCOVER_HEADER_LEN)
		return false;
	crc = be32_at(buf + 12);
	memcpy(buf + 12, crc_seed, 4);
	return crc32_of(buf, len) == crc;
}

/* 32 hex digits that stand for the account, "" with none. */
static void owner_of(const struct emu_spec *spec, char ret[33])
{
	uint64_t h = 0x6f776e6572ULL;

	ret[0] = '\0';
	if (!spec->has_account)
		return;
	for (const char *p = spec->user; *p; p++)
		h = emu_mix64(h ^ (unsigned char)*p);
	snprintf(ret, 33, "%016llX%016llX", (unsigned long long)h,
		 (unsigned long long)emu_mix64(h));
}

static char *answer_json(struct emu_device *d)
{
	const struct emu_model *m = d->model;
	bool smart = m->dialect == EMU_DIALECT_SMART;
	struct json_object *reply = json_object_new_object(), *res = json_object_new_object();
	struct json_object *schm = json_object_new_object();
	char model[32], mac[18], host[96], owner[33], *end, *start = host;
	const char *s;
	char *text;

	if (smart)
		snprintf(model, sizeof(model), "%s(%s)", m->model, m->region);
	else
		snprintf(model, sizeof(model), "%s", m->model);
	snprintf(mac, sizeof(mac), "%s", d->mac);
	for (char *p = mac; *p; p++)
		if (*p == ':')
			*p = '-';
	net_name(&d->net, host, sizeof(host));
	end = strrchr(host, ':');
	if (end)
		*end = '\0';
	if (*start == '[' && (end = strchr(++start, ']')))
		*end = '\0';
	owner_of(&d->spec, owner);

	/* 32 hex digits, as discovery's ids are, taken from the deviceId. */
	json_object_object_add(res, "device_id", json_object_new_string_len(d->device_id + 8, 32));
	result_add_str(res, "owner", owner);
	result_add_str(res, "device_type", smart ? m->smart_type : "IOT.SMARTPLUGSWITCH");
	result_add_str(res, "device_model", model);
	result_add_str(res, "ip", start);
	result_add_str(res, "mac", mac);
	result_add_str(res, "hw_ver", m->hw_ver);
	result_add_bool(res, "factory_default", !d->spec.has_account);
	if (smart || d->spec.klap == 2)
		result_add_str(res, "obd_src", "tplink");
	if (smart) {
		result_add_bool(res, "is_support_iot_cloud", true);
		result_add_int(res, "protocol_version", 1);
	}
	result_add_bool(schm, "is_support_https", false);
	result_add_str(schm, "encrypt_type", "KLAP");
	result_add_int(schm, "http_port", d->net.port);
	if (d->spec.klap == 2)
		result_add_int(schm, "lv", 2);
	if (!smart && d->spec.klap == 2) {
		result_add_int(schm, "new_klap", 1);
		result_add_bool(schm, "ANS", false);
	}
	json_object_object_add(res, "mgt_encrypt_schm", schm);
	result_add_int(reply, "error_code", 0);
	json_object_object_add(reply, "result", res);
	s = json_object_to_json_string_ext(reply,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	text = s ? strdup(s) : NULL;
	json_object_put(reply);
	return text;
}

static void answer(struct emu_device *d, const struct sockaddr_storage *to, socklen_t tolen)
{
	uint8_t buf[EMU_DISCOVER_HEADER_LEN + DATAGRAM_MAX];
	char *json;
	size_t len;

	if (!fault_udp_answers(d->spec.fault, d->spec.flaky, &d->fault_rng))
		return;
	json = answer_json(d);
	if (!json)
		return;
	len = strlen(json);
	if (len > DATAGRAM_MAX) {
		free(json);
		return;
	}
	if (emu_verbose)
		fprintf(stderr, "kasa-emu: [%u] discovery < %s\n", d->index, json);
	memset(buf, 0, EMU_DISCOVER_HEADER_LEN);
	buf[0] = 2;
	put_be(buf + 2, 1, 2);
	put_be(buf + 4, (uint32_t)len, 2);
	memcpy(buf + 12, crc_seed, 4);
	memcpy(buf + EMU_DISCOVER_HEADER_LEN, json, len);
	free(json);
	len += EMU_DISCOVER_HEADER_LEN;
	put_be(buf + 12, crc32_of(buf, len), 4);
	net_udp_send(&d->net, disc.fd, buf, len, to, tolen);
}

static void disc_io(struct emu_watch *w, uint32_t events)
{
	static uint8_t buf[DATAGRAM_MAX];

	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(w->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf) || !probe_valid(buf, (size_t)n)) {
			if (emu_verbose)
				fprintf(stderr, "kasa-emu: discovery: %zd bytes, not a probe\n", n);
			continue;
		}
		for (size_t k = 0; k < ndevs; k++)
			if (devs[k]->spec.klap)
				answer(devs[k], &from, fromlen);
	}
}

int discover_start(const struct sockaddr *addr, socklen_t len, uint16_t port,
		   struct emu_device *const *devices, size_t n)
{
	socklen_t sl = sizeof(disc_addr);
	int fd, err;

	if (len > sizeof(disc_addr))
		return -EINVAL;
	memcpy(&disc_addr, addr, len);
	sock_set_port(&disc_addr, port);
	fd = socket(disc_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&disc_addr, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&disc_addr, &sl) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	disc_addrlen = sl;
	disc.fd = fd;
	disc.cb = disc_io;
	err = loop_add(&disc, EPOLLIN);
	if (err < 0) {
		discover_stop();
		return err;
	}
	devs = devices;
	ndevs = n;
	return 0;
}

void discover_name(char *buf, size_t len)
{
	sock_addr_text((const struct sockaddr *)&disc_addr, disc_addrlen, buf, len);
}

void discover_stop(void)
{
	if (disc.fd < 0)
		return;
	loop_del(&disc);
	close(disc.fd);
	disc.fd = -1;
}
