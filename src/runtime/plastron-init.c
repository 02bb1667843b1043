/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron-init: the first program of every process of a container confined
 * by plastron-runtime (the container's entrypoint, and every `exec`).
 * Statically linked and bind-mounted read-only into the container together
 * with the confinement bundle plastrond compiled for the policy version
 * (also read-only); it confines itself, then execs the original program,
 * which therefore runs confined from its first instruction:
 *
 *   1. read and check the bundle (pl_bundle_parse: format, content hash of
 *      the JSON head, digest of the seccomp program after it),
 *      entirely, before any restriction
 *   2. pl_bundle_apply: no_new_privs, the dropped capabilities out of every
 *      set, Landlock (paths of the container's root filesystem), the seccomp
 *      program plastrond compiled (with SECCOMP_FILTER_FLAG_LOG when the
 *      policy logs denials: runc 1.1 refuses seccomp "flags", so the filter
 *      is loaded here rather than by the runtime)
 *   3. execvp(PROGRAM)
 *
 * It parses no policy: the bundle is the only input. A filter the runtime
 * already installed (e.g. Docker's default profile) stays: filters stack,
 * the stricter answer wins. On any failure nothing is exec'd: exit 127 with
 * a one-line reason.
 *
 *   plastron-init BUNDLE.json -- PROGRAM [ARGS...]
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plastron/apply.h"
#include "plastron/bundle.h"

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "plastron-init: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; not starting the container's process\n");
	return PL_EXIT_APPLY_FAILED;
}

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, k;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 65536 + 1);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		k = fread(buf + len, 1, cap - len, f);
		len += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[len] = 0;
	*ret_len = len;
	return buf;
}

int main(int argc, char **argv)
{
	struct pl_diag d = { 0 };
	struct pl_bundle *b = NULL;
	char err[512] = "";
	size_t len = 0;
	char *text;

	if (argc < 4 || strcmp(argv[2], "--"))
		return die("usage: plastron-init BUNDLE.json -- PROGRAM [ARGS...]");
	text = slurp(argv[1], &len);
	if (!text)
		return die("%s: %s", argv[1], strerror(errno));
	if (pl_bundle_parse(text, len, &b, &d) < 0)
		return die("%s: %s", argv[1], d.head ? d.head->message : "malformed");
	free(text);
	if (pl_bundle_apply(b, err, sizeof(err)) < 0)
		return die("%s", err);
	execvp(argv[3], argv + 3);
	return die("exec %s: %s", argv[3], strerror(errno));
}
