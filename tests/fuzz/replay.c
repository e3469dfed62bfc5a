/* SPDX-License-Identifier: MIT */
/*
 * Without libFuzzer, a harness is a replay program: it runs every file of
 * its corpus (the directories named, or its built-in one) through
 * LLVMFuzzerTestOneInput, so `make check` keeps the corpus green.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs bigger than any frame we accept are not meaningful. */
#define REPLAY_MAX (1024 * 1024)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		return -1;
	}
	buf = malloc(REPLAY_MAX);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int replay_dir(const char *dir, unsigned *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	int failed = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: cannot read the corpus\n", dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				failed = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return failed;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int failed = 0;

	if (argc < 2) {
		failed = replay_dir(CORPUS_DIR, &count);
	} else {
		for (int i = 1; i < argc; i++)
			if (replay_dir(argv[i], &count) < 0)
				failed = 1;
	}
	printf("replayed %u inputs\n", count);
	/* An empty corpus would be a test that cannot fail. */
	return failed || count == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
