/* SPDX-License-Identifier: MIT */
/* Words for the errors libkasa returns. */
#include <netdb.h>
#include <string.h>

#include "kasa-private.h"

KASA_EXPORT const char *kasa_strerror(int err)
{
	switch (-err) {
	case ETIMEDOUT:
		return "timed out";
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
		return "connection closed without a reply";
	case EPROTO:
		return "malformed or truncated frame";
	case EMSGSIZE:
		return "reply over the size limit";
	case EBADMSG:
		return "reply is not the JSON expected";
	case ENOTSUP:
		return "module not supported by the device";
	case ENOSYS:
		return "method not supported by the device";
	case EINVAL:
		return "invalid argument";
	case ENOSPC:
		return "table on the device is full";
	case ENOENT:
		return "entry does not exist on the device";
	case EREMOTEIO:
		return "the device reported an error";
	case EBUSY:
		return "a request is already in flight";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	case ENXIO:
		return "host name not found";
	case EAGAIN: /* only getaddrinfo() passes it on */
		return "host name lookup failed for now (no answer from the resolver)";
	case ENOMEM:
		return "out of memory";
	/* KLAP and SMART. */
	case EACCES:
		return "the device refused the credentials";
	case EPERM:
		return "the device lets no local client in (turn on Third-Party Compatibility in "
		       "the Kasa or Tapo app)";
	case EBADE:
		return "the signature does not match (tampered, or another session's)";
	case EOVERFLOW:
		return "the session's sequence numbers are used up";
	case ENOTCONN:
		return "no session: handshake first";
	case ESTALE:
		return "a sequence number already used";
	case EKEYEXPIRED:
		return "the plug ended the session (another client may have logged in to it)";
	default:
		return strerror(-err);
	}
}

int kasa_gai_errno(int gai)
{
	switch (gai) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_FAIL:
		return -ENXIO;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno > 0 ? -errno : -EIO;
	default:
		return -EINVAL;
	}
}
