/* SPDX-License-Identifier: MIT */
/*
 * Where a plug is.  A plug named by its host stays there.  One named by
 * its MAC starts where its host says, or nowhere ("not found yet") without
 * one, and moves where discovery hears its MAC answer: after a DHCP lease
 * change, say.  A reload keeps where discovery found it, unless the
 * configuration itself now says another place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "errcodes.h"
#include "log.h"
#include "plug-private.h"

/* "host:port", brackets around an IPv6 address. */
static void address_text(const char *host, uint16_t port, char *buf, size_t size)
{
	bool v6 = strchr(host, ':') && host[0] != '[';

	snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* Nowhere yet: the state says why, for the device's answers.  -ENOMEM. */
static int not_found(struct plug *p)
{
	char text[PLUG_ERROR_TEXT_MAX];

	snprintf(text, sizeof(text), "not found yet: %s has not answered discovery", p->set.mac);
	plug_state_set_error(&p->st, API_ENOTFOUND, text);
	return p->st.last_error_text ? 0 : -ENOMEM;
}

int plug_address_init(struct plug *p, const char *host, uint16_t port)
{
	if (!host && !p->set.mac[0])
		return -EINVAL;
	p->home_port = port;
	if (host && !(p->host = strdup(host)))
		return -ENOMEM;
	/* Only a plug named by its MAC moves away from its home. */
	if (host && p->set.mac[0] && !(p->home = strdup(host)))
		return -ENOMEM;
	return host ? 0 : not_found(p);
}

const char *plug_host(const struct plug *p)
{
	return p->host;
}

const char *plug_mac(const struct plug *p)
{
	return p->set.mac;
}

int plug_move(struct plug *p, const char *host, uint16_t port, uint16_t klap_port, bool klap)
{
	uint16_t now_port = klap ? klap_port : port;
	char was[96] = "", at[96];
	char *h;

	if (!p->set.mac[0] || (!port && !klap_port))
		return -EINVAL;
	if (p->host && streq(p->host, host) && (!port || port == p->port) &&
	    (!klap_port || klap_port == p->klap_port))
		return 0;
	h = strdup(host);
	if (!h)
		return -ENOMEM;
	if (p->host)
		address_text(p->host, klap ? p->klap_port : p->port, was, sizeof(was));
	address_text(host, now_port, at, sizeof(at));
	free(p->host);
	p->host = h;
	if (port)
		p->port = port;
	if (klap_port)
		p->klap_port = klap_port;
	p->prefer_klap = klap;
	if (was[0])
		log_dev(LOG_NOTICE, p->label, "found plug %s (%s) at %s: moved from %s to %s",
			p->label, p->set.mac, at, was, at);
	else
		log_dev(LOG_NOTICE, p->label, "found plug %s (%s) at %s", p->label, p->set.mac, at);

	/* What it said at the old place (or that it was nowhere) is over:
	 * the next poll, soon, says what it says here. */
	p->st.misses = 0;
	plug_state_set_error(&p->st, 0, NULL);
	p->version++;
	p->moved = true;
	plug_rewire(p);
	if (p->observer)
		p->observer(p, p->observer_userdata);
	return 1;
}

int plug_set_home(struct plug *p, const char *host, uint16_t port)
{
	_cleanup_free_ char *home = NULL, *at = NULL;

	if (port == p->home_port && (host ? p->home && streq(host, p->home) : !p->home))
		return 0;
	if (host && (!(home = strdup(host)) || !(at = strdup(host))))
		return -ENOMEM;
	free(p->home);
	p->home = steal_ptr(home);
	p->home_port = port;
	p->version++;
	/* The file names another place: go there (with no host any more,
	 * stay where it was found). */
	if (!host)
		return 1;
	free(p->host);
	p->host = steal_ptr(at);
	p->port = port;
	p->prefer_klap = false;
	p->moved = true;
	plug_rewire(p);
	return 1;
}
