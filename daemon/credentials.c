/* SPDX-License-Identifier: MIT */
/* The credentials files, read into account hashes (credentials.h). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "config.h"
#include "credentials.h"
#include "diag.h"
#include "secretfile.h"

struct entry {
	char *name; /* as the configuration writes it */
	struct kasa_klap_account account;
};

struct credentials {
	struct entry *entries;
	size_t n;
};

void credentials_free(struct credentials *cr)
{
	if (!cr)
		return;
	for (size_t i = 0; i < cr->n; i++) {
		free(cr->entries[i].name);
		explicit_bzero(&cr->entries[i].account, sizeof(cr->entries[i].account));
	}
	free(cr->entries);
	free(cr);
}

size_t credentials_count(const struct credentials *cr)
{
	return cr ? cr->n : 0;
}

const struct kasa_klap_account *credentials_find(const struct credentials *cr, const char *name)
{
	if (!cr || !name)
		return NULL;
	for (size_t i = 0; i < cr->n; i++)
		if (streq(cr->entries[i].name, name))
			return &cr->entries[i].account;
	return NULL;
}

/* Read name (unless read already) into the next entry. */
static int add(struct credentials *cr, const char *name, const char *base_dir, char **ret_errors)
{
	_cleanup_free_ char *path = NULL;
	struct entry *e = &cr->entries[cr->n];
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!name || credentials_find(cr, name))
		return 0;
	r = secret_file_read(name, base_dir, "the credentials file", CREDENTIALS_FILE_MAX, &path,
			     &text, &len, ret_errors);
	if (r < 0)
		return r;
	r = kasa_klap_account_parse(&e->account, text, len);
	secret_free(text, len);
	if (r == -EBADMSG)
		return diag_fail(ret_errors, -EINVAL, path,
				 "expected the account's e-mail on line 1 and its password on "
				 "line 2, and nothing after them");
	if (r == -EINVAL)
		return diag_fail(ret_errors, -EINVAL, path, "the e-mail is longer than %d bytes",
				 KASA_KLAP_USER_MAX - 1);
	if (r < 0)
		return r;
	e->name = strdup(name);
	if (!e->name) {
		explicit_bzero(&e->account, sizeof(e->account));
		return -ENOMEM;
	}
	cr->n++;
	return 0;
}

int credentials_load(const struct config *c, struct credentials **ret, char **ret_errors)
{
	_cleanup_free_ char *copy = strdup(c->path ? c->path : "");
	struct credentials *cr = calloc(1, sizeof(*cr));
	const char *base_dir;
	int r = -ENOMEM;

	if (ret_errors)
		*ret_errors = NULL;
	if (!cr || !copy)
		goto fail;
	/* At most one file per device, and [kasad]'s. */
	cr->entries = calloc(c->n_devices + 1, sizeof(*cr->entries));
	if (!cr->entries)
		goto fail;
	base_dir = c->path ? dirname(copy) : NULL;
	r = add(cr, c->credentials, base_dir, ret_errors);
	for (size_t i = 0; i < c->n_devices && r >= 0; i++)
		r = add(cr, c->devices[i].credentials, base_dir, ret_errors);
	if (r < 0)
		goto fail;
	*ret = cr;
	return 0;
fail:
	credentials_free(cr);
	return r;
}
