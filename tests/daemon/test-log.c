/* SPDX-License-Identifier: MIT */
/* log.c: the stderr line format, level filtering, escaping, the length cap
 * and the choice between the journal and stderr. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../daemon/log.h"
#include "../lib/test-util.h"

/* Each test's stderr goes to a temporary file that it reads back. */
static int saved_stderr = -1;
static FILE *capture;

static void capture_setup(void)
{
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	capture = tmpfile();
	ck_assert_ptr_nonnull(capture);
	ck_assert_int_eq(dup2(fileno(capture), STDERR_FILENO), STDERR_FILENO);
	/* Tests may run in one process (CK_FORK=no): start each from the same state. */
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_INFO);
}

static void capture_teardown(void)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(capture);
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_INFO);
}

/* What was written to stderr since the last call, NUL-terminated; static. */
static const char *captured(void)
{
	static char buf[16384];
	int fd = fileno(capture);
	ssize_t n;

	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	ck_assert_int_lt(n, sizeof(buf) - 1);
	buf[n] = '\0';
	/* stderr shares this file's offset, so the next line starts at 0 again. */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return buf;
}

static void set_journal_stream(unsigned long long dev, unsigned long long ino)
{
	char value[64];

	snprintf(value, sizeof(value), "%llu:%llu", dev, ino);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", value, 1), 0);
}

START_TEST(test_format)
{
	log_error("cannot bind %s: %s", "127.0.0.1:8080", "Address in use");
	ck_assert_str_eq(captured(), "kasad: error: cannot bind 127.0.0.1:8080: Address in use\n");

	log_dev(LOG_WARNING, "living-room", "no answer in %d ms", 5000);
	ck_assert_str_eq(captured(), "kasad: warning: living-room: no answer in 5000 ms\n");

	log_notice("reloaded");
	ck_assert_str_eq(captured(), "kasad: notice: reloaded\n");
	log_info("listening");
	ck_assert_str_eq(captured(), "kasad: info: listening\n");
	log_full(LOG_CRIT, NULL, "x");
	ck_assert_str_eq(captured(), "kasad: critical: x\n");

	/* Nonsense levels are clamped, not used as an index. */
	log_full(-3, NULL, "low");
	ck_assert_str_eq(captured(), "kasad: emergency: low\n");
	log_set_level(LOG_DEBUG);
	log_full(42, NULL, "high");
	ck_assert_str_eq(captured(), "kasad: debug: high\n");
}
END_TEST

START_TEST(test_levels)
{
	ck_assert_int_eq(log_get_level(), LOG_INFO);
	log_debug("hidden");
	ck_assert_str_eq(captured(), "");

	log_init(LOG_WARNING);
	ck_assert_int_eq(log_get_level(), LOG_WARNING);
	log_notice("hidden");
	log_info("hidden");
	log_dev(LOG_DEBUG, "desk-lamp", "hidden");
	ck_assert_str_eq(captured(), "");
	log_warning("shown");
	log_error("shown too");
	ck_assert_str_eq(captured(), "kasad: warning: shown\nkasad: error: shown too\n");

	log_set_level(LOG_DEBUG);
	ck_assert_int_eq(log_get_level(), LOG_DEBUG);
	log_debug("now %s", "visible");
	ck_assert_str_eq(captured(), "kasad: debug: now visible\n");

	log_set_level(99);
	ck_assert_int_eq(log_get_level(), LOG_DEBUG);
}
END_TEST

START_TEST(test_errno_kept)
{
	errno = ENOENT;
	log_error("open: %m");
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(captured(), "kasad: error: open: No such file or directory\n");

	/* Even a dropped message leaves errno alone. */
	errno = EACCES;
	log_debug("hidden");
	ck_assert_int_eq(errno, EACCES);
}
END_TEST

START_TEST(test_control_characters)
{
	/* A plug's alias or a client's URL must not forge a second line or
	 * drive the terminal. */
	log_dev(LOG_INFO, "bad\ndev", "alias \"a\nkasad: error: forged\" \t\x1b[31mred\x7f\r end");
	ck_assert_str_eq(captured(),
			 "kasad: info: bad\\x0adev: alias \"a\\x0akasad: error: forged\" "
			 "\\x09\\x1b[31mred\\x7f\\x0d end\n");

	/* Bytes above 0x7f are UTF-8, not control characters. */
	log_info("caf\xc3\xa9");
	ck_assert_str_eq(captured(), "kasad: info: caf\xc3\xa9\n");
}
END_TEST

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

START_TEST(test_truncation)
{
	static const char prefix[] = "kasad: info: ";
	char *big = malloc(10000);
	const char *out;
	size_t len;

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	log_info("%s", big);
	out = captured();
	len = strlen(out);
	ck_assert_uint_eq(count_char(out, '\n'), 1);
	ck_assert_uint_eq(strncmp(out, prefix, sizeof(prefix) - 1), 0);
	ck_assert_str_eq(out + len - 4, "...\n");
	/* Capped near 2 KiB of text, not silently empty. */
	ck_assert_uint_le(len, sizeof(prefix) - 1 + 2048 + 1);
	ck_assert_uint_ge(len, sizeof(prefix) - 1 + 2000);

	/* Escapes quadruple the length; the cut never splits one. */
	memset(big, '\n', 9999);
	log_info("%s", big);
	out = captured();
	len = strlen(out);
	ck_assert_uint_eq(count_char(out, '\n'), 1);
	ck_assert_str_eq(out + len - 4, "...\n");
	len -= sizeof(prefix) - 1 + 4;
	ck_assert_uint_gt(len, 1900);
	ck_assert_uint_eq(len % 4, 0);
	for (size_t i = 0; i < len; i += 4)
		ck_assert_int_eq(strncmp(out + sizeof(prefix) - 1 + i, "\\x0a", 4), 0);

	/* A message that fits exactly is not marked as cut... */
	memset(big, 'b', 2048);
	big[2048] = '\0';
	log_info("%s", big);
	out = captured();
	ck_assert_uint_eq(strlen(out), sizeof(prefix) - 1 + 2048 + 1);
	ck_assert_int_eq(out[strlen(out) - 2], 'b');

	/* ...and one byte more is. */
	big[2048] = 'b';
	big[2049] = '\0';
	log_info("%s", big);
	out = captured();
	ck_assert_str_eq(out + strlen(out) - 4, "...\n");
	ck_assert_uint_le(strlen(out), sizeof(prefix) - 1 + 2048 + 1);

	/* A device name full of garbage is capped too. */
	memset(big, '\x01', 9999);
	big[9999] = '\0';
	log_dev(LOG_INFO, big, "msg");
	out = captured();
	ck_assert_uint_eq(count_char(out, '\n'), 1);
	ck_assert_uint_lt(strlen(out), 200);
	ck_assert_str_eq(out + strlen(out) - 9, "...: msg\n");
	free(big);
}
END_TEST

/* Lines of processes writing at once must arrive whole: one write(2) each. */
START_TEST(test_no_interleaving)
{
	enum { WRITERS = 4, LINES = 200, TEXT = 1500 };
	int p[2];
	pid_t pids[WRITERS];
	FILE *in;
	char line[4096];
	int lines = 0;

	ck_assert_int_eq(pipe(p), 0);
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0) {
			char text[TEXT + 1];

			memset(text, 'A' + w, TEXT);
			text[TEXT] = '\0';
			close(p[0]);
			dup2(p[1], STDERR_FILENO);
			for (int i = 0; i < LINES; i++)
				log_dev(LOG_INFO, "dev", "%s", text);
			_exit(0);
		}
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	ck_assert_ptr_nonnull(in);
	while (fgets(line, sizeof(line), in)) {
		static const char prefix[] = "kasad: info: dev: ";
		const char *text = line + sizeof(prefix) - 1;

		ck_assert_int_eq(strncmp(line, prefix, sizeof(prefix) - 1), 0);
		ck_assert_uint_eq(strlen(line), sizeof(prefix) - 1 + TEXT + 1);
		ck_assert_msg(text[0] >= 'A' && text[0] < 'A' + WRITERS, "bad line: %.40s", line);
		ck_assert_uint_eq(strspn(text, (char[]){text[0], '\0'}), TEXT);
		lines++;
	}
	fclose(in);
	for (int w = 0; w < WRITERS; w++) {
		int status;

		ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(lines, WRITERS * LINES);
}
END_TEST

START_TEST(test_journal_stream_mismatch)
{
	static const char *const bad[] = {
		"",
		":",
		"garbage",
		"1",
		"1:",
		":1",
		"1:2:3",
		"-1:2",
		"1: 2",
		"1:2x",
		"99999999999999999999999:1",
	};
	struct stat st;

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);

	/* The stream systemd gave us, but stderr has since been redirected. */
	set_journal_stream(st.st_dev, st.st_ino + 1);
	log_init(LOG_INFO);
	ck_assert(!log_to_journal());
	set_journal_stream(st.st_dev + 1, st.st_ino);
	log_init(LOG_INFO);
	ck_assert(!log_to_journal());

	/* Malformed values never mean the journal. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(setenv("JOURNAL_STREAM", bad[i], 1), 0);
		log_init(LOG_INFO);
		ck_assert_msg(!log_to_journal(), "JOURNAL_STREAM=\"%s\" chose the journal", bad[i]);
	}

	unsetenv("JOURNAL_STREAM");
	log_init(LOG_INFO);
	ck_assert(!log_to_journal());
	log_dev(LOG_NOTICE, "hs100", "on stderr");
	ck_assert_str_eq(captured(), "kasad: notice: hs100: on stderr\n");
}
END_TEST

START_TEST(test_journal_stream_match)
{
	struct stat st;
	const char *out;

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	set_journal_stream(st.st_dev, st.st_ino);
	log_init(LOG_DEBUG);
	ck_assert(log_to_journal());

	/* Whatever the journal path does to errno stays inside log_full(). */
	errno = EPROTO;
	log_dev(LOG_WARNING, "hs110", "to the journal");
	ck_assert_int_eq(errno, EPROTO);
	out = captured();
	if (access("/run/systemd/journal/socket", F_OK) == 0) {
		/* A journald is listening here: the entry went there, not to stderr. */
		ck_assert_str_eq(out, "");
	} else {
		/* No journald: the message falls back to stderr rather than vanishing. */
		ck_assert_str_eq(out, "kasad: warning: hs110: to the journal\n");
	}

	/* The level filter applies to the journal as well. */
	log_set_level(LOG_ERR);
	log_warning("dropped");
	ck_assert_str_eq(captured(), "");
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, capture_setup, capture_teardown);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_errno_kept);
	tcase_add_test(tc, test_control_characters);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_no_interleaving);
	tcase_add_test(tc, test_journal_stream_mismatch);
	tcase_add_test(tc, test_journal_stream_match);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(log_suite());
}
