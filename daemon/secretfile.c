/* SPDX-License-Identifier: MIT */
/* Reading a file that holds secrets, with the rules in secretfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "diag.h"
#include "secretfile.h"

void secret_free(char *text, size_t len)
{
	if (!text)
		return;
	explicit_bzero(text, len);
	free(text);
}

static char *find(const char *name, const char *base_dir, mode_t *ret_shared)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *path = NULL;
	int r;

	*ret_shared = S_IRWXG | S_IRWXO;
	if (name[0] == '/')
		return strdup(name);
	if (creds && creds[0]) {
		/*
		 * systemd's copy of a LoadCredential= file, in a directory only
		 * kasad's user may enter.  systemd grants that user read access
		 * with an ACL where the file system has them, and the ACL's mask
		 * shows as group bits (0440).
		 */
		*ret_shared = S_IRWXO;
		r = asprintf(&path, "%s/%s", creds, name);
	} else if (base_dir && base_dir[0]) {
		r = asprintf(&path, "%s/%s", base_dir, name);
	} else {
		return strdup(name);
	}
	return r < 0 ? NULL : path;
}

int secret_file_read(const char *name, const char *base_dir, const char *what, size_t max,
		     char **ret_path, char **ret_text, size_t *ret_len, char **ret_errors)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	char *text;
	mode_t shared;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int r;

	if (ret_errors)
		*ret_errors = NULL;
	path = find(name, base_dir, &shared);
	if (!path)
		return -ENOMEM;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (a reload
	 * would stop the loop); fstat() below refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return diag_fail(ret_errors, -errno, path, "cannot open %s: %s", what,
				 strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return diag_fail(ret_errors, -EINVAL, path, "%s is not a regular file", what);
	if (st.st_mode & shared)
		return diag_fail(ret_errors, -EPERM, path,
				 "others may read or write %s (mode %04o): chmod 600 it", what,
				 (unsigned)(st.st_mode & 07777));
	text = malloc(max + 1);
	if (!text)
		return -ENOMEM;
	while (len <= max && (n = read(fd, text + len, max + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			secret_free(text, len);
			return diag_fail(ret_errors, r, path, "cannot read %s: %s", what,
					 strerror(-r));
		}
		len += (size_t)n;
	}
	if (len > max) {
		secret_free(text, len);
		return diag_fail(ret_errors, -EFBIG, path, "%s is too large (more than %zu bytes)",
				 what, max);
	}
	text[len] = '\0';
	*ret_path = steal_ptr(path);
	*ret_text = text;
	*ret_len = len;
	return 0;
}
