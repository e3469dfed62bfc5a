/* SPDX-License-Identifier: MIT */
/*
 * The KLAP transport: libkasa's kasa_klap_conn (a session, one kept HTTP
 * connection through libcurl, one request in flight) behind the transport
 * interface.  The account is held as its hashes, never as the password.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kasa-private.h"
#include "transport.h"

struct transport_klap {
	struct transport t; /* first */
	struct kasa_klap_conn *conn;
	enum kasa_klap_proto proto;
	unsigned versions;
	bool has_account;
	struct kasa_klap_account account;
};

#define KLAP(t)	      ((struct transport_klap *)(t))
#define KLAP_CONST(t) ((const struct transport_klap *)(t))

static int klap_make(struct transport *t, const struct sockaddr *addr, socklen_t addrlen)
{
	struct transport_klap *k = KLAP(t);

	return kasa_klap_conn_new_account(addr, addrlen, k->proto, k->versions,
					  k->has_account ? &k->account : NULL, &k->conn);
}

static int klap_send(struct transport *t, const char *json, size_t len, uint64_t now,
		     uint64_t timeout)
{
	return kasa_klap_conn_start(KLAP(t)->conn, json, len, now, timeout);
}

static int klap_process(struct transport *t, uint32_t revents, uint64_t now)
{
	return kasa_klap_conn_process(KLAP(t)->conn, revents, now);
}

static const char *klap_reply(const struct transport *t, size_t *ret_len)
{
	return kasa_klap_conn_reply(KLAP_CONST(t)->conn, ret_len);
}

static void klap_close(struct transport *t)
{
	kasa_klap_conn_close(KLAP(t)->conn);
}

static int klap_fd(const struct transport *t)
{
	return kasa_klap_conn_fd(KLAP_CONST(t)->conn);
}

static uint32_t klap_events(const struct transport *t)
{
	return kasa_klap_conn_events(KLAP_CONST(t)->conn);
}

static uint64_t klap_deadline(const struct transport *t)
{
	return kasa_klap_conn_deadline(KLAP_CONST(t)->conn);
}

static void klap_free(struct transport *t)
{
	struct transport_klap *k = KLAP(t);

	kasa_klap_conn_free(k->conn);
	explicit_bzero(&k->account, sizeof(k->account));
	free(k);
}

static const struct transport_ops klap_ops = {
	.make = klap_make,
	.send = klap_send,
	.process = klap_process,
	.reply = klap_reply,
	.close = klap_close,
	.fd = klap_fd,
	.events = klap_events,
	.deadline = klap_deadline,
	.free = klap_free,
};

int transport_klap_new(const char *host, uint16_t port, enum kasa_klap_proto proto,
		       unsigned versions, const struct kasa_klap_account *account,
		       struct transport **ret_transport)
{
	struct transport_klap *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	if (transport_init(&k->t, &klap_ops, host, port) < 0) {
		free(k);
		return -ENOMEM;
	}
	k->proto = proto;
	k->versions = versions;
	if (account) {
		k->has_account = true;
		k->account = *account;
	}
	*ret_transport = &k->t;
	return 0;
}

int transport_klap_matched(const struct transport *t, enum kasa_klap_cred *ret_cred,
			   enum kasa_klap_version *ret_version)
{
	if (t->ops != &klap_ops || !t->made)
		return -ENOTCONN;
	return kasa_klap_conn_matched(KLAP_CONST(t)->conn, ret_cred, ret_version);
}
