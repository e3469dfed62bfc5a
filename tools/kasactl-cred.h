/* SPDX-License-Identifier: MIT */
/*
 * kasactl: the TP-Link account a KLAP plug is bound to (kasactl-cred.c),
 * from --credentials FILE (the e-mail on line 1, the password on line 2; a
 * file group or others may read is refused) or from $KASA_USERNAME and
 * $KASA_PASSWORD.  Not installed.
 */
#ifndef KASACTL_CRED_H
#define KASACTL_CRED_H

/* The most a credentials file holds. */
#define CRED_FILE_MAX 4096

/*
 * Load the account: from file when not NULL, else from the environment.
 * *ret_user and *ret_password are owned (cred_free()), both NULL when there
 * is none (a plug never bound to an account: TP-Link's defaults and blank
 * are tried).  Returns an exit code and prints its own errors.
 */
int cred_load(const char *file, char **ret_user, char **ret_password);
/* Wipe and free the password, free the user; accepts NULLs. */
void cred_free(char *user, char *password);

#endif
