/* SPDX-License-Identifier: MIT */
/*
 * kasactl over KLAP: the real binary against the small KLAP device of
 * tests/lib/klap-device.h, run in this process on 127.0.0.1.  IOT over v1
 * and v2 and SMART; the account from --credentials and from the
 * environment; a refused account named, its password never shown; a
 * credentials file others may read refused; the options' usage errors.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "kasa.h"
#include "tests/lib/klap-device.h"
#include "tests/lib/test-util.h"

#define USER	 "user@example.com"
#define PASSWORD "secret"
/* kasactl's own bound on each run: valgrind's pace included. */
#define TIMEOUT_S "20"

extern char **environ;

static const char iot_answer[] =
	"{\"system\":{\"get_sysinfo\":{\"alias\":\"Lamp\",\"model\":\"HS100(UK)\","
	"\"deviceId\":\"8006ABCDEF0123456789ABCDEF0123456789ABCD\",\"mac\":\"AA:BB:CC:DD:EE:FF\","
	"\"relay_state\":1,\"on_time\":5,\"feature\":\"TIM\",\"led_off\":0,\"err_code\":0},"
	"\"set_relay_state\":{\"err_code\":0}}}";
static const char smart_answer[] =
	"{\"error_code\":0,\"result\":{\"device_id\":\"8022ABCDEF0123456789\",\"device_on\":true,"
	"\"model\":\"P110\",\"nickname\":\"TGFtcA==\",\"type\":\"SMART.TAPOPLUG\"}}";

struct result {
	int rc;
	char out[8192];
	char err[8192];
};

/* The binary: $KASACTL when set (check-valgrind's wrapper), else ours. */
static const char *kasactl_path(void)
{
	const char *p = getenv("KASACTL");

	return p && *p ? p : KASACTL_PATH;
}

static void read_all(int fd, char *buf, size_t size)
{
	ssize_t n;

	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, size - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
}

static int temp_file(void)
{
	char path[] = "/tmp/kasactl-klap-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

/*
 * Run kasactl with the arguments (NULL-terminated), and with user and
 * password as $KASA_USERNAME and $KASA_PASSWORD where not NULL (never
 * inherited from the test's own environment).
 */
static void run(struct result *res, const char *user, const char *password, ...)
{
	const char *argv[32], *envp[256];
	char user_env[128], password_env[128];
	size_t argc = 0, envc = 0;
	int out = temp_file(), err = temp_file(), status;
	const char *a;
	va_list ap;
	pid_t pid;

	argv[argc++] = kasactl_path();
	va_start(ap, password);
	while ((a = va_arg(ap, const char *)) && argc < ARRAY_SIZE(argv) - 1)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	for (char **e = environ; *e && envc < ARRAY_SIZE(envp) - 3; e++)
		if (strncmp(*e, "KASA_USERNAME=", 14) != 0 &&
		    strncmp(*e, "KASA_PASSWORD=", 14) != 0)
			envp[envc++] = *e;
	if (user) {
		snprintf(user_env, sizeof(user_env), "KASA_USERNAME=%s", user);
		envp[envc++] = user_env;
	}
	if (password) {
		snprintf(password_env, sizeof(password_env), "KASA_PASSWORD=%s", password);
		envp[envc++] = password_env;
	}
	envp[envc] = NULL;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execve(argv[0], (char *const *)argv, (char *const *)envp);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	res->rc = WEXITSTATUS(status);
	read_all(out, res->out, sizeof(res->out));
	read_all(err, res->err, sizeof(res->err));
}

/* A credentials file of the given mode; its path in path[64]. */
static void credentials(char path[64], const char *text, mode_t mode)
{
	int fd;

	snprintf(path, 64, "/tmp/kasactl-cred-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void target(char buf[32], uint16_t port)
{
	snprintf(buf, 32, "127.0.0.1:%u", port);
}

/* The device's last request is what the builder makes (json, taken). */
static void assert_request(struct klap_device *d, int built, char *json)
{
	ck_assert_int_eq(built, 0);
	klap_device_assert_last(d, json);
	free(json);
}

START_TEST(test_klap_iot_credentials_file)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V1, USER, PASSWORD, iot_answer);
	struct result res;
	char cred[64], where[32];
	char *json;
	int r;

	credentials(cred, USER "\n" PASSWORD "\n", 0600);
	target(where, d->port);
	run(&res, NULL, NULL, "--klap", "--credentials", cred, "-t", TIMEOUT_S, where, "on", NULL);
	ck_assert_msg(res.rc == 0, "rc %d: %s", res.rc, res.err);
	ck_assert_str_eq(res.out, "ON\n");
	r = kasa_req_relay(NULL, true, &json);
	assert_request(d, r, json);
	run(&res, NULL, NULL, "--klap=1", "--credentials", cred, "-t", TIMEOUT_S, where, "check",
	    NULL);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_str_eq(res.out, "ON\n");
	run(&res, NULL, NULL, "--klap", "--credentials", cred, "-t", TIMEOUT_S, "--json", where,
	    "status", NULL);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_ptr_nonnull(strstr(res.out, "\"alias\":\"Lamp\""));
	ck_assert_int_eq(klap_count(&d->handshake1s), 3);
	unlink(cred);
	klap_device_stop(d);
}
END_TEST

/* The account from the environment; a CRLF file works too. */
START_TEST(test_klap_iot_environment)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct result res;
	char cred[64], where[32];
	char *json;
	int r;

	target(where, d->port);
	run(&res, USER, PASSWORD, "--klap=2", "-t", TIMEOUT_S, where, "off", NULL);
	ck_assert_msg(res.rc == 0, "rc %d: %s", res.rc, res.err);
	ck_assert_str_eq(res.out, "OFF\n");
	r = kasa_req_relay(NULL, false, &json);
	assert_request(d, r, json);
	credentials(cred, USER "\r\n" PASSWORD "\r\n", 0400);
	run(&res, NULL, NULL, "--klap", "--credentials", cred, "-t", TIMEOUT_S, where, "on", NULL);
	ck_assert_msg(res.rc == 0, "rc %d: %s", res.rc, res.err);
	unlink(cred);
	klap_device_stop(d);
}
END_TEST

START_TEST(test_smart)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, smart_answer);
	struct result res;
	char cred[64], where[32];
	char *json;
	int r;

	credentials(cred, USER "\n" PASSWORD "\n", 0600);
	target(where, d->port);
	run(&res, NULL, NULL, "--smart", "--credentials", cred, "-t", TIMEOUT_S, where, "check",
	    NULL);
	ck_assert_msg(res.rc == 0, "rc %d: %s", res.rc, res.err);
	ck_assert_str_eq(res.out, "ON\n");
	r = kasa_smart_req_device_info(NULL, &json);
	assert_request(d, r, json);
	run(&res, NULL, NULL, "--smart", "--credentials", cred, "-t", TIMEOUT_S, where, "off",
	    NULL);
	ck_assert_msg(res.rc == 0, "rc %d: %s", res.rc, res.err);
	ck_assert_str_eq(res.out, "OFF\n");
	r = kasa_smart_req_device_on(false, NULL, &json);
	assert_request(d, r, json);
	run(&res, NULL, NULL, "--smart", "--credentials", cred, "-t", TIMEOUT_S, "--json", where,
	    "status", NULL);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_ptr_nonnull(strstr(res.out, "\"alias\":\"Lamp\""));
	ck_assert_ptr_nonnull(strstr(res.out, "\"model\":\"P110\""));
	unlink(cred);
	klap_device_stop(d);
}
END_TEST

/* A plug bound to another account: status 1, the account tried named and
 * the password nowhere; nothing sent after handshake 1. */
START_TEST(test_wrong_account)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	struct result res;
	char where[32];

	target(where, d->port);
	run(&res, USER, "hunter2-not-it", "--klap", "-t", TIMEOUT_S, where, "on", NULL);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_str_eq(res.out, "");
	ck_assert_ptr_nonnull(strstr(res.err, "refused the credentials"));
	ck_assert_ptr_nonnull(strstr(res.err, USER));
	ck_assert_ptr_null(strstr(res.err, "hunter2"));
	ck_assert_int_eq(klap_count(&d->handshake1s), 1);
	ck_assert_int_eq(klap_count(&d->handshake2s), 0);
	klap_device_stop(d);
}
END_TEST

/* A credentials file its group or others may read is refused before any
 * I/O, as are files that do not hold two lines. */
START_TEST(test_credentials_refused)
{
	struct klap_device *d = klap_device_start(KASA_KLAP_V2, USER, PASSWORD, iot_answer);
	static const mode_t modes[] = {0640, 0604, 0644};
	struct result res;
	char cred[64], where[32];

	target(where, d->port);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		credentials(cred, USER "\n" PASSWORD "\n", modes[i]);
		run(&res, NULL, NULL, "--klap", "--credentials", cred, where, "on", NULL);
		ck_assert_int_eq(res.rc, 2);
		ck_assert_ptr_nonnull(strstr(res.err, "group or others may read it"));
		unlink(cred);
	}
	credentials(cred, USER "\n", 0600);
	run(&res, NULL, NULL, "--klap", "--credentials", cred, where, "on", NULL);
	ck_assert_int_eq(res.rc, 2);
	ck_assert_ptr_nonnull(strstr(res.err, "password on line 2"));
	unlink(cred);
	run(&res, NULL, NULL, "--klap", "--credentials", "/nonexistent/cred", where, "on", NULL);
	ck_assert_int_eq(res.rc, 2);
	run(&res, USER, NULL, "--klap", where, "on", NULL);
	ck_assert_int_eq(res.rc, 2);
	ck_assert_ptr_nonnull(strstr(res.err, "KASA_USERNAME and KASA_PASSWORD go together"));
	ck_assert_int_eq(klap_count(&d->handshake1s), 0);
	klap_device_stop(d);
}
END_TEST

START_TEST(test_usage)
{
	static const char *const cases[][5] = {
		{"--klap=3", "127.0.0.1", "on", NULL, "invalid KLAP version '3'"},
		{"--smart", "--klap=1", "127.0.0.1", "on", "--smart speaks KLAP v2"},
		{"--smart", "127.0.0.1", "daily", NULL, "daily is not available over SMART"},
		{"--smart", "127.0.0.1", "monthly", NULL, "monthly is not available over SMART"},
		{"--smart", "-o1", "127.0.0.1", "on", "--outlet does not apply with --smart"},
		{"--credentials", "x", "127.0.0.1", "on", "--credentials applies only with"},
		{"--klap", "discover", NULL, NULL, "--klap applies only to a plug's commands"},
	};
	struct result res;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		run(&res, NULL, NULL, cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL);
		ck_assert_msg(res.rc == 2, "case %zu: rc %d", i, res.rc);
		ck_assert_msg(strstr(res.err, cases[i][4]), "case %zu: %s", i, res.err);
	}
}
END_TEST

/* Port 9999 refused: the message points at --klap. */
START_TEST(test_refused_hint)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct result res;
	char where[32];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	target(where, ntohs(sin.sin_port));
	run(&res, NULL, NULL, where, "on", NULL);
	ck_assert_int_eq(res.rc, 3);
	ck_assert_ptr_nonnull(strstr(res.err, "try --klap"));
	run(&res, NULL, NULL, "--klap", where, "on", NULL);
	ck_assert_int_eq(res.rc, 3);
	ck_assert_ptr_nonnull(strstr(res.err, "connection refused"));
	ck_assert_ptr_null(strstr(res.err, "try --klap"));
	close(fd);
}
END_TEST

static Suite *kasactl_klap_suite(void)
{
	Suite *s = suite_create("kasactl-klap");
	TCase *tc = tcase_create("kasactl-klap");

	/* Generous: valgrind runs kasactl too. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_klap_iot_credentials_file);
	tcase_add_test(tc, test_klap_iot_environment);
	tcase_add_test(tc, test_smart);
	tcase_add_test(tc, test_wrong_account);
	tcase_add_test(tc, test_credentials_refused);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_refused_hint);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(kasactl_klap_suite());
}
