/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's static files: every file of web/ is built into kasad
 * (tools/web-embed.sh writes daemon/web-files.c) and served at /NAME, with
 * index.html at / as well.
 */
#ifndef KASAD_WEB_H
#define KASAD_WEB_H

#include <stddef.h>

struct http_request;

struct web_file {
	const char *name; /* "index.html" */
	const unsigned char *data;
	size_t len;
	const char *etag; /* "\"...\"", from the content */
};

/* In the generated daemon/web-files.c. */
extern const struct web_file web_files[];
extern const size_t web_files_count;

/* The file a path names ("/" is index.html); NULL when none.  Borrowed. */
const struct web_file *web_find(const char *path);
/* Its media type, from the name's extension. */
const char *web_content_type(const char *name);
/* Answer a GET or HEAD with the file: 200, or 304 when If-None-Match has
 * its ETag; with the headers that keep the page to itself (CSP & co.). */
void web_reply(struct http_request *req, const struct web_file *f);

#endif
