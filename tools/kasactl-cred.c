/* SPDX-License-Identifier: MIT */
/* kasactl: the account for KLAP, from a file or the environment. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/strbuf.h"
#include "kasactl-cred.h"
#include "kasactl-ctl.h"

void cred_free(char *user, char *password)
{
	if (password)
		explicit_bzero(password, strlen(password));
	free(password);
	free(user);
}

/* Both strings copied, or neither. */
static int cred_copy(const char *user, size_t user_len, const char *password, size_t password_len,
		     char **ret_user, char **ret_password)
{
	char *u = strndup(user, user_len);
	char *p = strndup(password, password_len);

	if (!u || !p) {
		cred_free(u, p);
		return ctl_error(NULL, "credentials: %s", strerror(ENOMEM));
	}
	*ret_user = u;
	*ret_password = p;
	return KASACTL_EXIT_OK;
}

/* The length of the line at s, without its "\n" or "\r\n". */
static size_t line_len(const char *s, const char **ret_next)
{
	const char *nl = strchr(s, '\n');
	size_t len = nl ? (size_t)(nl - s) : strlen(s);

	*ret_next = nl ? nl + 1 : s + len;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	return len;
}

static int cred_from_file(const char *file, char **ret_user, char **ret_password)
{
	_cleanup_(strbuf_free) struct strbuf b = STRBUF_INIT(CRED_FILE_MAX);
	_cleanup_close_ int fd = -1;
	const char *user, *password, *rest;
	size_t user_len, password_len;
	struct stat st;
	int r;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ctl_usage_error("--credentials %s: %s", file, strerror(errno));
	if (fstat(fd, &st) < 0)
		return ctl_usage_error("--credentials %s: %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ctl_usage_error("--credentials %s: not a regular file", file);
	if (st.st_mode & (S_IRGRP | S_IROTH))
		return ctl_usage_error("--credentials %s: group or others may read it "
				       "(chmod go-rwx %s)",
				       file, file);
	r = strbuf_read_fd(&b, fd);
	if (r < 0) {
		if (b.s)
			explicit_bzero(b.s, b.len);
		return ctl_usage_error("--credentials %s: %s", file,
				       r == -EMSGSIZE ? "longer than two lines need to be"
						      : strerror(-r));
	}
	user = b.s ? b.s : "";
	user_len = line_len(user, &password);
	password_len = line_len(password, &rest);
	if (user_len == 0 || password_len == 0) {
		r = ctl_usage_error("--credentials %s: expected the account's e-mail on line 1 "
				    "and its password on line 2",
				    file);
	} else {
		r = cred_copy(user, user_len, password, password_len, ret_user, ret_password);
	}
	if (b.s)
		explicit_bzero(b.s, b.len);
	return r;
}

int cred_load(const char *file, char **ret_user, char **ret_password)
{
	const char *user = getenv("KASA_USERNAME");
	const char *password = getenv("KASA_PASSWORD");

	*ret_user = NULL;
	*ret_password = NULL;
	if (file)
		return cred_from_file(file, ret_user, ret_password);
	if (!user && !password)
		return KASACTL_EXIT_OK;
	if (!user || !password || !*user)
		return ctl_usage_error("KASA_USERNAME and KASA_PASSWORD go together");
	return cred_copy(user, strlen(user), password, strlen(password), ret_user, ret_password);
}
