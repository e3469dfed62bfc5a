/* SPDX-License-Identifier: MIT */
/*
 * The one error table, and the answers built from it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/macro.h"
#include "errors.h"
#include "http.h"
#include "service.h"

static const struct api_error errors[] = {
	{API_EBADREQ, 400, "bad_request", "bad request"},
	{API_EFRAMING, 400, "bad_framing",
	 "the request's length is ambiguous (Content-Length with Transfer-Encoding, two "
	 "lengths, a malformed one, or white space in a header name)"},
	{API_EBADHOST, 400, "bad_host", "an HTTP/1.1 request needs exactly one Host header"},
	{API_EBADPATH, 400, "bad_path", "the path may not hold %00 or an encoded '/' (%2F)"},
	{API_EBRIGHTNESS, 400, "brightness_out_of_range",
	 "brightness is 1 to 100 (0 is no level: off is the relay's)"},
	{API_ETOKURL, 400, "token_in_url",
	 "tokens are not accepted in the URL: send the header Authorization: Bearer TOKEN"},
	{API_ENOAUTH, 401, "unauthorized", "a token is needed: Authorization: Bearer TOKEN"},
	{API_ESCOPE, 403, "insufficient_scope", "the token's scope does not allow this"},
	{API_EHOST, 403, "host_not_allowed",
	 "this Host is not one of kasad's names (see allowed_hosts)"},
	{API_EORIGIN, 403, "origin_not_allowed",
	 "pages of this origin may not call kasad (see cors_origins)"},
	{API_ENOROUTE, 404, "not_found", "no such route"},
	{API_ENODEV, 404, "no_such_device", "no such device"},
	{API_ENOMETER, 404, "not_supported", "this device has no energy meter"},
	{API_ENODIMMER, 404, "not_supported", "this device has no dimmer"},
	{API_ENORULE, 404, "no_such_rule", "the plug has no rule of that id"},
	{API_EMETHOD, 405, "method_not_allowed", "method not allowed"},
	{API_ELATE, 408, "request_timeout", "the request did not arrive in time"},
	{API_ERULESFULL, 409, "rules_full", "the plug's table of rules is full"},
	{API_ETOOBIG, 413, "body_too_large", "request body too large"},
	{API_EURLBIG, 414, "uri_too_long", "the request target is too long"},
	{API_ERATE, 429, "rate_limited", "too many requests from this address"},
	{API_ESWITCH, 429, "switch_rate_limited", "too many state changes for this plug"},
	{API_EHDRBIG, 431, "headers_too_large", "the request's headers are too large"},
	{API_ECODING, 501, "not_implemented", "of transfer codings, only chunked is understood"},
	{API_EBUSY, 503, "busy", "too many large answers wait for their clients to read them"},
	{-ENOBUFS, 503, "queue_full", "too many requests waiting for this plug"},
	{API_ESTREAMS, 503, "too_many_streams", "too many event streams are open"},
	{API_ENOTFOUND, 503, "not_found_yet",
	 "the plug is named by its MAC, and discovery has not found it yet"},
	{-ESHUTDOWN, 503, "shutting_down", "kasad is stopping"},
	{-ETIMEDOUT, 504, "timeout", "the plug did not answer in time"},
	{-ECONNREFUSED, 502, "refused", "the plug refused the connection"},
	{-ECONNRESET, 502, "connection_reset", "the plug closed the connection"},
	{-EHOSTUNREACH, 502, "unreachable", "the plug is unreachable"},
	{-ENETUNREACH, 502, "unreachable", "the plug's network is unreachable"},
	{-EPROTO, 502, "bad_frame", "the plug sent a malformed frame"},
	{-EMSGSIZE, 502, "reply_too_large", "the plug's reply is over the size cap"},
	{-EBADMSG, 502, "bad_reply", "the plug's reply is not what was asked for"},
	{-ENOTSUP, 404, "not_supported", "the plug does not support this"},
	{-ENOSYS, 502, "device_error", "the plug does not know this method"},
	{-EINVAL, 502, "device_error", "the plug rejected an argument"},
	{-ENOSPC, 502, "device_error", "a table on the plug is full"},
	{-EREMOTEIO, 502, "device_error", "the plug reported an error"},
	{-ENOENT, 502, "no_such_outlet", "the plug has no such outlet"},
	{-EACCES, 502, "auth_failed", "the plug refused the credentials"},
	{-EPERM, 502, "local_access_off",
	 "the plug lets no local client in: turn on Third-Party Compatibility in the Kasa or "
	 "Tapo app"},
	{-EKEYEXPIRED, 502, "session_expired",
	 "the plug ended the KLAP session again right after a new handshake"},
	{-EBADE, 502, "bad_signature", "the plug's answer is not signed with the session's key"},
	{-ENXIO, 502, "unresolved", "the plug's host name does not resolve"},
	{-EAGAIN, 502, "resolver_failed", "the plug's host name could not be looked up"},
	{-ENOMEM, 500, "internal", "out of memory"},
};

const struct api_error *errors_find(int error)
{
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++)
		if (errors[i].error == error)
			return &errors[i];
	return NULL;
}

/* The body of every error answer: {"error","message"[,"device"]}.  What a
 * client or a plug sent (a path, a Host) may be any bytes, and a %.64s may
 * cut a character: JSON wants well-formed UTF-8. */
static struct json_object *error_object(const struct api_error *e, const char *text,
					const char *device)
{
	struct json_object *o = json_object_new_object();
	char message[256], name[256];

	kasa_utf8_copy(message, sizeof(message), text);
	json_object_object_add(o, "error", json_object_new_string(e->code));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (device) {
		kasa_utf8_copy(name, sizeof(name), device);
		json_object_object_add(o, "device", json_object_new_string(name));
	}
	return o;
}

#define OWN_ANSWER_MAX 160

/* error's body into buf, with text for the table's message when not NULL,
 * and a line feed after it when newline; NULL when it does not fit. */
static const char *own_answer(char buf[OWN_ANSWER_MAX], int error, const char *text, bool newline)
{
	const struct api_error *e = errors_find(error);
	struct json_object *o = error_object(e, text ? text : e->message, NULL);
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	const char *ret = NULL;

	if (s && len + 2 <= OWN_ANSWER_MAX) {
		memcpy(buf, s, len);
		if (newline)
			buf[len++] = '\n';
		buf[len] = '\0';
		ret = buf;
	}
	json_object_put(o);
	return ret;
}

const struct http_own_answers *errors_http_answers(void)
{
	static char late[OWN_ANSWER_MAX], arguments[OWN_ANSWER_MAX], timeout[OWN_ANSWER_MAX],
		stopping[OWN_ANSWER_MAX];
	static struct http_own_answers a;
	char text[64];

	if (a.content_type)
		return &a;
	snprintf(text, sizeof(text), "more than %u query arguments", HTTP_ARGUMENTS_MAX);
	/* The two a handler's bug leaves to the server have never ended in a
	 * line feed: kept as they were. */
	a = (struct http_own_answers){
		.content_type = "application/json",
		.request_timeout = own_answer(late, API_ELATE, NULL, true),
		.too_many_arguments = own_answer(arguments, API_EURLBIG, text, true),
		.unanswered_timeout = own_answer(timeout, -ETIMEDOUT, "no answer in time", false),
		.unanswered_shutdown = own_answer(stopping, -ESHUTDOWN, NULL, false),
	};
	return &a;
}

void errors_reply_large(struct http_request *req, int r)
{
	if (r == -ENOBUFS)
		errors_reply(req, API_EBUSY, NULL, NULL, NULL);
}

void errors_reply_json(struct http_request *req, unsigned status, struct json_object *o,
		       const char *const *headers)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	char *body = s ? malloc(len + 2) : NULL;

	if (body) {
		memcpy(body, s, len);
		body[len++] = '\n';
		body[len] = '\0';
	}
	json_object_put(o);
	if (!body) {
		http_reply(req, 500, NULL, NULL, 0, NULL);
		return;
	}
	errors_reply_large(req, http_reply(req, status, "application/json", body, len, headers));
}

/* The one place an error becomes an answer: the JSON body, Retry-After on
 * every 503, and the headers the caller adds (name, value, ..., NULL). */
static void reply_error_v(struct http_request *req, int error, const char *device,
			  const char *const *extra, const char *fmt, va_list ap)
{
	static const struct api_error fallback = {0, 502, "plug_error", "the plug failed"};
	const struct api_error *e = errors_find(error);
	const char *headers[6] = {NULL};
	char text[256];
	size_t h = 0;

	if (!e)
		e = &fallback;
	if (fmt)
		vsnprintf(text, sizeof(text), fmt, ap);
	else
		snprintf(text, sizeof(text), "%s",
			 e == &fallback ? kasa_strerror(error) : e->message);
	if (e->status == 503) {
		headers[h++] = "Retry-After";
		headers[h++] = "1";
	}
	for (; extra && extra[0] && extra[1] && h + 2 < ARRAY_SIZE(headers); extra += 2) {
		headers[h++] = extra[0];
		headers[h++] = extra[1];
	}
	errors_reply_json(req, e->status, error_object(e, text, device), headers);
}

void errors_reply(struct http_request *req, int error, const char *device, const char *allow,
		  const char *fmt, ...)
{
	const char *extra[] = {"Allow", allow, NULL};
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(req, error, device, allow ? extra : NULL, fmt, ap);
	va_end(ap);
}

void errors_reply_limited(struct http_request *req, int error, const char *device,
			  uint64_t wait_usec, const char *fmt, ...)
{
	char seconds[24];
	const char *extra[] = {"Retry-After", seconds, NULL};
	va_list ap;

	snprintf(seconds, sizeof(seconds), "%llu",
		 (unsigned long long)((wait_usec + USEC_PER_SEC - 1) / USEC_PER_SEC));
	va_start(ap, fmt);
	reply_error_v(req, error, device, extra, fmt, ap);
	va_end(ap);
}

void errors_reply_denied(struct http_request *req, int error, const char *challenge,
			 const char *fmt, ...)
{
	const char *extra[] = {"WWW-Authenticate", challenge, NULL};
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(req, error, NULL, extra, fmt, ap);
	va_end(ap);
}

void errors_reply_plug(struct http_request *req, const char *device,
		       const struct service_result *res)
{
	const struct api_error *e = errors_find(res->error);
	const char *base = e ? e->message : kasa_strerror(res->error);

	if (res->device.code != 0)
		errors_reply(req, res->error, device, NULL, "%s: err_code %d%s%s", base,
			     res->device.code, res->device.msg[0] ? ", " : "", res->device.msg);
	else if (res->device.msg[0]) /* why libkasa or kasad refused the reply */
		errors_reply(req, res->error, device, NULL, "%s: %s", base, res->device.msg);
	else
		errors_reply(req, res->error, device, NULL, NULL);
}
