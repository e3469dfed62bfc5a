/* SPDX-License-Identifier: MIT */
/*
 * The KLAP transport: libkasa's kasa_klap_conn (a session, one kept HTTP
 * connection through libcurl, one request in flight) behind the transport
 * interface, once the name is looked up (transport.c).  The account is
 * held as its hashes, never as the password.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kasa-private.h"
#include "transport.h"

struct transport_klap {
	struct transport t; /* first */
	struct transport_addr a;
	struct kasa_klap_conn *conn;
	enum kasa_klap_proto proto;
	unsigned versions;
	bool has_account;
	struct kasa_klap_account account;
};

static struct transport_klap *klap_of(struct transport *t)
{
	return (struct transport_klap *)t;
}

static const struct transport_klap *klap_of_const(const struct transport *t)
{
	return (const struct transport_klap *)t;
}

static int make_conn(struct transport_klap *k)
{
	return kasa_klap_conn_new_account((const struct sockaddr *)&k->a.addr, k->a.addrlen,
					  k->proto, k->versions,
					  k->has_account ? &k->account : NULL, &k->conn);
}

static int klap_open(struct transport *t, uint64_t now, uint64_t timeout)
{
	struct transport_klap *k = klap_of(t);
	int r;

	if (k->conn)
		return 0;
	r = transport_addr_open(&k->a, now, timeout);
	return r == 0 ? make_conn(k) : r;
}

static int klap_process(struct transport *t, uint32_t revents, uint64_t now)
{
	struct transport_klap *k = klap_of(t);
	int r;

	if (k->conn)
		return kasa_klap_conn_process(k->conn, revents, now);
	r = transport_addr_process(&k->a, now);
	if (r > 0 && (r = make_conn(k)) == 0)
		r = 1;
	return r;
}

static int klap_send(struct transport *t, const char *json, size_t len, uint64_t now,
		     uint64_t timeout)
{
	struct transport_klap *k = klap_of(t);

	if (!k->conn)
		return -ENOTCONN;
	return kasa_klap_conn_start(k->conn, json, len, now, timeout);
}

static const char *klap_reply(const struct transport *t, size_t *ret_len)
{
	return kasa_klap_conn_reply(klap_of_const(t)->conn, ret_len);
}

static void klap_close(struct transport *t)
{
	struct transport_klap *k = klap_of(t);

	if (k->conn)
		kasa_klap_conn_close(k->conn);
}

static int klap_fd(const struct transport *t)
{
	const struct transport_klap *k = klap_of_const(t);

	return k->conn ? kasa_klap_conn_fd(k->conn) : transport_addr_fd(&k->a);
}

static uint32_t klap_events(const struct transport *t)
{
	const struct transport_klap *k = klap_of_const(t);

	if (k->conn)
		return kasa_klap_conn_events(k->conn);
	return k->a.lookup ? POLLIN : 0;
}

static uint64_t klap_deadline(const struct transport *t)
{
	const struct transport_klap *k = klap_of_const(t);

	if (k->conn)
		return kasa_klap_conn_deadline(k->conn);
	return k->a.lookup ? k->a.deadline : 0;
}

static void klap_free(struct transport *t)
{
	struct transport_klap *k = klap_of(t);

	kasa_klap_conn_free(k->conn);
	transport_addr_done(&k->a);
	explicit_bzero(&k->account, sizeof(k->account));
	free(k);
}

static const struct transport_ops klap_ops = {
	.open = klap_open,
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
	if (transport_addr_init(&k->a, host, port) < 0) {
		free(k);
		return -ENOMEM;
	}
	k->t.ops = &klap_ops;
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
	const struct transport_klap *k = klap_of_const(t);

	if (t->ops != &klap_ops || !k->conn)
		return -ENOTCONN;
	return kasa_klap_conn_matched(k->conn, ret_cred, ret_version);
}
