/* SPDX-License-Identifier: MIT */
/*
 * The TP-Link accounts that KLAP plugs are bound to: each credentials file
 * the configuration names ([kasad]'s and the devices' own), read once per
 * start or reload, and kept only as the hashes KLAP needs, never as the
 * password.  A file holds the account's e-mail on its first line and its
 * password on the second, and is found and kept as the tokens file is
 * (secretfile.h).
 */
#ifndef KASAD_CREDENTIALS_H
#define KASAD_CREDENTIALS_H

#include "kasa.h"

struct config;
struct credentials;

#define CREDENTIALS_FILE_MAX 4096

/*
 * Read every credentials file c names (none: *ret is an empty set).  On
 * failure -errno and, when ret_errors is not NULL, an owned string of
 * lines "PATH: what is wrong\n".
 */
int credentials_load(const struct config *c, struct credentials **ret, char **ret_errors);
/* Wipes the hashes; accepts NULL. */
void credentials_free(struct credentials *cr);
/* How many files were read. */
size_t credentials_count(const struct credentials *cr);
/* The account of the file name as the configuration writes it; NULL when
 * name or cr is NULL, or the set does not hold it.  Borrowed. */
const struct kasa_klap_account *credentials_find(const struct credentials *cr, const char *name);

#endif
