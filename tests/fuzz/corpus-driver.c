/* SPDX-License-Identifier: Apache-2.0 */
/* Replays every file of a corpus directory through a fuzz target: one TAP
 * case per file. Run under the ASan+UBSan build this finds what the fuzzer
 * found, without the fuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	DIR *dir = opendir(argv[1]);
	if (!dir) {
		TAP_OK(0, "open corpus %s", argv[1]);
		return tap_done();
	}
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(dir));) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(e->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp);
	TAP_OK(n > 0, "corpus %s is not empty (%zu inputs)", argv[1], n);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		FILE *f = fopen(path, "rb");
		if (!f) {
			TAP_OK(0, "read %s", names[i]);
			continue;
		}
		struct stat st;
		fstat(fileno(f), &st);
		uint8_t *buf = malloc((size_t)st.st_size + 1);
		size_t len = fread(buf, 1, (size_t)st.st_size, f);
		fclose(f);
		/* A crash or sanitizer report aborts the process: the test fails. */
		LLVMFuzzerTestOneInput(buf, len);
		TAP_OK(1, "input %s replays cleanly", names[i]);
		free(buf);
		free(names[i]);
	}
	free(names);
	return tap_done();
}
