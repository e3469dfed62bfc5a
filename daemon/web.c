/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's static files, out of the byte arrays that the build made
 * of web/.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/macro.h"
#include "http.h"
#include "web.h"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/vnd.microsoft.icon"},
	{".txt", "text/plain; charset=utf-8"},
	{".webmanifest", "application/manifest+json"},
};

/*
 * The page loads nothing but its own files, runs no inline script or
 * style, may not be framed, and says nothing of itself to other sites.
 */
static const char csp[] = "default-src 'self'; object-src 'none'; base-uri 'none'; "
			  "form-action 'none'; frame-ancestors 'none'";

const char *web_content_type(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcasecmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

const struct web_file *web_find(const char *path)
{
	if (path[0] != '/')
		return NULL;
	path++;
	if (!*path)
		path = "index.html";
	for (size_t i = 0; i < web_files_count; i++)
		if (streq(web_files[i].name, path))
			return &web_files[i];
	return NULL;
}

/* If-None-Match: "*", or a list of tags, weak ones (W/"...") matching too. */
static bool etag_matches(const char *if_none_match, const char *etag)
{
	size_t n = strlen(etag);
	const char *s = if_none_match;

	if (!s)
		return false;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '*')
			return true;
		if (s[0] == 'W' && s[1] == '/')
			s += 2;
		if (strncmp(s, etag, n) == 0 &&
		    (s[n] == '\0' || s[n] == ',' || s[n] == ' ' || s[n] == '\t'))
			return true;
		while (*s && *s != ',')
			s++;
	}
	return false;
}

void web_reply(struct http_request *req, const struct web_file *f)
{
	const char *headers[] = {
		"ETag",
		f->etag,
		/* Cached, but checked every time: a new kasad shows its new page. */
		"Cache-Control",
		"no-cache",
		"Content-Security-Policy",
		csp,
		"X-Content-Type-Options",
		"nosniff",
		"Referrer-Policy",
		"no-referrer",
		"X-Frame-Options",
		"DENY",
		"Cross-Origin-Opener-Policy",
		"same-origin",
		NULL,
	};

	if (etag_matches(http_request_header(req, "If-None-Match"), f->etag)) {
		http_reply(req, 304, NULL, NULL, 0, headers);
		return;
	}
	/* Compiled in: served as it is, however many clients read it slowly. */
	http_reply_static(req, 200, web_content_type(f->name), f->data, f->len, headers);
}
