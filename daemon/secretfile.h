/* SPDX-License-Identifier: MIT */
/*
 * Files that hold secrets (the tokens file, the credentials files): where
 * to find them and how they must be kept, the same rule for each.
 */
#ifndef KASAD_SECRETFILE_H
#define KASAD_SECRETFILE_H

#include <stddef.h>

/*
 * Read the secret file name: a relative name is looked up in
 * $CREDENTIALS_DIRECTORY when that is set (systemd's LoadCredential=), else
 * in base_dir (the configuration's folder; NULL: the working directory).
 * It must be a regular file that neither group nor others may read or
 * write (beside systemd's copy, whose ACL mask shows as group bits), and
 * at most max bytes.  what names it in messages ("the tokens file").
 * *ret_path and *ret_text (NUL-terminated, *ret_len bytes) are owned; the
 * caller wipes the text.  On failure -errno and, when ret_errors is not
 * NULL, one line "PATH: what is wrong\n" there.
 */
int secret_file_read(const char *name, const char *base_dir, const char *what, size_t max,
		     char **ret_path, char **ret_text, size_t *ret_len, char **ret_errors);

/* Wipe and free what secret_file_read() gave; accepts NULL. */
void secret_free(char *text, size_t len);

#endif
