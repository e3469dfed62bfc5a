/* SPDX-License-Identifier: MIT */
/*
 * Figures, not pass/fail: the cipher's throughput, and round trips to a
 * plug (kasa-emu) with a new connection each time (kasa_call) and over one
 * kept connection (kasa_conn), as median and p99; with a kasactl path, also
 * kasactl's whole-process round trip (spawn, connect, query, print, exit).
 * Usage: bench-lib PORT [ROUNDS [KASACTL]]
 */
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "kasa.h"
#include "bench-util.h"

static void bench_cipher(void)
{
	size_t len = 16u << 20;
	uint8_t *buf = malloc(len);
	uint64_t start, took;
	int rounds = 8;

	if (!buf)
		exit(1);
	memset(buf, 'x', len);
	start = kasa_now_usec();
	for (int i = 0; i < rounds; i++)
		kasa_encrypt(buf, len);
	took = kasa_now_usec() - start;
	printf("%-34s %.0f MiB/s (%d x %zu MiB)\n", "cipher encrypt",
	       rounds * (len >> 20) / (took / 1e6), rounds, len >> 20);
	start = kasa_now_usec();
	for (int i = 0; i < rounds; i++)
		kasa_decrypt(buf, len);
	took = kasa_now_usec() - start;
	printf("%-34s %.0f MiB/s\n", "cipher decrypt", rounds * (len >> 20) / (took / 1e6));
	free(buf);
}

/* kasactl HOST:PORT check, as a user runs it; stdout to /dev/null. */
static void bench_kasactl(const char *kasactl, uint16_t port, uint64_t *us, size_t rounds)
{
	char hostport[32];
	char *argv[] = {(char *)kasactl, hostport, (char *)"check", NULL};
	posix_spawn_file_actions_t fa;
	extern char **environ;

	snprintf(hostport, sizeof(hostport), "127.0.0.1:%u", (unsigned)port);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (size_t i = 0; i < rounds; i++) {
		uint64_t start = kasa_now_usec();
		int status;
		pid_t pid;

		if (posix_spawn(&pid, kasactl, &fa, NULL, argv, environ) != 0 ||
		    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "bench: %s failed\n", kasactl);
			exit(1);
		}
		us[i] = kasa_now_usec() - start;
	}
	posix_spawn_file_actions_destroy(&fa);
	bench_report("", 34, "kasactl check, whole process", us, rounds);
}

int main(int argc, char **argv)
{
	const char *query = "{\"system\":{\"get_sysinfo\":{}}}";
	size_t rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint64_t *us = calloc(rounds ? rounds : 1, sizeof(*us));
	struct kasa_conn *c;

	if (argc < 2 || !rounds || !us) {
		fprintf(stderr, "usage: bench-lib PORT [ROUNDS [KASACTL]]\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	bench_cipher();

	for (size_t i = 0; i < rounds; i++) {
		uint64_t start = kasa_now_usec();
		char *reply;
		int r = kasa_call("127.0.0.1", ntohs(sin.sin_port), query, 5000, &reply, NULL);

		if (r < 0) {
			fprintf(stderr, "bench: kasa_call: %s\n", kasa_strerror(r));
			return 1;
		}
		us[i] = kasa_now_usec() - start;
		free(reply);
	}
	bench_report("", 34, "sysinfo, new connection each", us, rounds);

	c = kasa_conn_new((struct sockaddr *)&sin, sizeof(sin));
	for (size_t i = 0; i < rounds; i++) {
		uint64_t start = kasa_now_usec();
		int r = bench_conn_roundtrip(c, query);

		if (r != 1) {
			fprintf(stderr, "bench: kasa_conn: %s\n", kasa_strerror(r));
			return 1;
		}
		us[i] = kasa_now_usec() - start;
	}
	bench_report("", 34, "sysinfo, one kept connection", us, rounds);
	kasa_conn_free(c);
	if (argc > 3)
		bench_kasactl(argv[3], ntohs(sin.sin_port), us, rounds < 500 ? rounds : 500);
	free(us);
	return 0;
}
