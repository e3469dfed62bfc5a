/* SPDX-License-Identifier: MIT */
/*
 * mqtt-probe: what the MQTT tests and the benchmark ask of a broker that
 * mosquitto_sub cannot do in one bounded call.
 *
 *   mqtt-probe PORT wait FILTER REGEX SECONDS
 *       print "TOPIC PAYLOAD" of the first message on FILTER (retained
 *       ones too) whose "TOPIC PAYLOAD" matches the extended REGEX; exit 0,
 *       or 1 when none came within SECONDS
 *   mqtt-probe PORT watch FILTER SECONDS
 *       print "subscribed" once the broker has the subscription, then
 *       "TOPIC PAYLOAD" of every message on FILTER, retained ones left
 *       out, for SECONDS (or until killed)
 *   mqtt-probe PORT count FILTER SECONDS
 *       count the messages on FILTER for SECONDS, retained ones left out:
 *       print "N messages, R per second"
 *   mqtt-probe PORT latency BASE NAME ROUNDS
 *       ROUNDS times: publish ON or OFF (in turn) on BASE/NAME/set and wait
 *       for BASE/NAME/state to say it; print the median and the 99th
 *       percentile in microseconds
 *
 * The broker is 127.0.0.1:PORT; $MQTT_USER and $MQTT_PASSWORD log in.  A
 * test tool: blocking, one thread.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

static regex_t re;
static bool matched, subscribed;
static unsigned long counted;
static char want_topic[256], want_state[8];

static unsigned long long now_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000ULL + (unsigned long long)t.tv_nsec / 1000;
}

static void on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *granted)
{
	subscribed = true;
}

static void on_wait(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
	char line[70000];

	snprintf(line, sizeof(line), "%s %.*s", msg->topic, msg->payloadlen,
		 (const char *)msg->payload);
	if (!matched && regexec(&re, line, 0, NULL, 0) == 0) {
		puts(line);
		matched = true;
	}
}

static void on_watch(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
	if (!msg->retain) {
		printf("%s %.*s\n", msg->topic, msg->payloadlen, (const char *)msg->payload);
		fflush(stdout);
	}
}

static void on_count(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
	if (!msg->retain)
		counted++;
}

static void on_latency(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
	char want[32];

	snprintf(want, sizeof(want), "\"state\":\"%s\"", want_state);
	if (!msg->retain && !strcmp(msg->topic, want_topic) && msg->payloadlen > 0 &&
	    strstr(msg->payload, want))
		matched = true;
}

/* Run the loop until done is true or deadline (now_usec()) passes. */
static bool loop_until(struct mosquitto *m, const bool *done, unsigned long long deadline)
{
	while (!*done) {
		if (now_usec() >= deadline)
			return false;
		if (mosquitto_loop(m, 10, 1) != MOSQ_ERR_SUCCESS)
			return false;
	}
	return true;
}

static int cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* The command, on a connected client. */
static int run(struct mosquitto *m, int argc, char **argv)
{
	mosquitto_subscribe_callback_set(m, on_subscribe);
	if (!strcmp(argv[2], "wait") && argc == 6) {
		bool ok;

		if (regcomp(&re, argv[4], REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "mqtt-probe: bad regex\n");
			return 2;
		}

		mosquitto_message_callback_set(m, on_wait);
		mosquitto_subscribe(m, NULL, argv[3], 0);
		ok = loop_until(m, &matched,
				now_usec() + (unsigned long long)(atof(argv[5]) * 1e6));
		regfree(&re);
		return ok ? 0 : 1;
	}
	if (!strcmp(argv[2], "watch") && argc == 5) {
		bool never = false;

		mosquitto_message_callback_set(m, on_watch);
		mosquitto_subscribe(m, NULL, argv[3], 0);
		if (!loop_until(m, &subscribed, now_usec() + 5000000ULL))
			return 1;
		puts("subscribed");
		fflush(stdout);
		loop_until(m, &never, now_usec() + (unsigned long long)(atof(argv[4]) * 1e6));
		return 0;
	}
	if (!strcmp(argv[2], "count") && argc == 5) {
		bool never = false;
		double s = atof(argv[4]);

		mosquitto_message_callback_set(m, on_count);
		mosquitto_subscribe(m, NULL, argv[3], 0);
		loop_until(m, &never, now_usec() + (unsigned long long)(s * 1e6));
		printf("%lu messages, %.0f per second\n", counted, counted / s);
		return 0;
	}
	if (!strcmp(argv[2], "latency") && argc == 6) {
		unsigned rounds = (unsigned)atoi(argv[5]);
		unsigned long long *t = calloc(rounds ? rounds : 1, sizeof(*t));
		char set[256];

		snprintf(want_topic, sizeof(want_topic), "%s/%s/state", argv[3], argv[4]);
		snprintf(set, sizeof(set), "%s/%s/set", argv[3], argv[4]);
		mosquitto_message_callback_set(m, on_latency);
		mosquitto_subscribe(m, NULL, want_topic, 0);
		if (!loop_until(m, &subscribed, now_usec() + 5000000ULL))
			return 1;
		for (unsigned i = 0; i < rounds; i++) {
			unsigned long long t0 = now_usec();

			snprintf(want_state, sizeof(want_state), "%s", i % 2 ? "OFF" : "ON");
			matched = false;
			mosquitto_publish(m, NULL, set, (int)strlen(want_state), want_state, 0,
					  false);
			if (!loop_until(m, &matched, t0 + 5000000ULL)) {
				fprintf(stderr, "mqtt-probe: no state after round %u\n", i);
				free(t);
				return 1;
			}
			t[i] = now_usec() - t0;
		}
		qsort(t, rounds, sizeof(*t), cmp);
		printf("%u rounds: median %llu us, p99 %llu us\n", rounds, t[rounds / 2],
		       t[rounds * 99 / 100]);
		free(t);
		return 0;
	}
	fprintf(stderr, "mqtt-probe: unknown command\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct mosquitto *m;
	int port, r;

	if (argc < 5) {
		fprintf(stderr, "usage: mqtt-probe PORT wait|count|latency ...\n");
		return 2;
	}
	port = atoi(argv[1]);
	mosquitto_lib_init();
	m = mosquitto_new(NULL, true, NULL);
	if (m)
		mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	if (m && getenv("MQTT_USER"))
		mosquitto_username_pw_set(m, getenv("MQTT_USER"), getenv("MQTT_PASSWORD"));
	if (!m || mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "mqtt-probe: cannot connect to 127.0.0.1:%d\n", port);
		r = 2;
	} else {
		r = run(m, argc, argv);
	}
	/* Everything given back: the probe runs under the sanitizers too. */
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return r;
}
