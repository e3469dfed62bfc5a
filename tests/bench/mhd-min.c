/* SPDX-License-Identifier: MIT */
/*
 * The floor for kasad's HTTP figures: the least a libmicrohttpd server can
 * do.  It answers every request with the same JSON body of SIZE bytes
 * (Content-Type application/json, keep-alive), from one internal polling
 * thread using epoll (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL), on
 * 127.0.0.1.  Prints "port N" once it listens, then runs until SIGTERM or
 * SIGINT.
 * Usage: mhd-min PORT SIZE   (PORT 0: an ephemeral one)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

static struct MHD_Response *response;

static MHD_Result_t on_access(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	static int seen;

	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	/* The first call only marks the request: queueing a response now
	 * would make libmicrohttpd close the connection after it. */
	if (!*con_cls) {
		*con_cls = &seen;
		return MHD_YES;
	}
	*upload_size = 0; /* a body, if any, is ignored */
	return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	size_t size;
	char *body;
	sigset_t set;
	int sig;

	if (argc != 3) {
		fprintf(stderr, "usage: mhd-min PORT SIZE\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	size = strtoul(argv[2], NULL, 10);
	if (size < 3 || !(body = malloc(size))) {
		fprintf(stderr, "mhd-min: SIZE must be at least 3\n");
		return 2;
	}
	/* {"x":"xxx...x"} padded to SIZE, ending in a newline like kasad's. */
	memset(body, 'x', size);
	if (size >= 10) {
		memcpy(body, "{\"x\":\"", 6);
		memcpy(body + size - 3, "\"}", 2);
	}
	body[size - 1] = '\n';
	response = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_MUST_FREE);
	if (!response)
		return 1;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the MHD thread inherits it */

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
			     NULL, NULL, on_access, NULL, MHD_OPTION_SOCK_ADDR, &sin,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mhd-min: cannot start on 127.0.0.1:%s\n", argv[1]);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("port %u\n", info ? (unsigned)info->port : 0u);
	fflush(stdout);

	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(response);
	return 0;
}
