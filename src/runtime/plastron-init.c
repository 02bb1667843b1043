/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron-init: the first program of a container confined by
 * plastron-runtime. Statically linked and bind-mounted read-only into the
 * container together with its configuration (also read-only); it confines
 * itself, then execs the container's original process, which therefore runs
 * confined from its first instruction:
 *
 *   1. prctl(PR_SET_NO_NEW_PRIVS)
 *   2. Landlock (pl_ll_ruleset_apply), when the policy has Landlock rules
 *   3. the policy's seccomp filter, last: the program plastrond compiled
 *      once with libseccomp for this policy version (seccomp_export_bpf),
 *      or, without it, the OCI profile compiled here with libseccomp; with
 *      SECCOMP_FILTER_FLAG_LOG when the policy logs denials (runc 1.1
 *      refuses seccomp "flags", so the filter is loaded here rather than by
 *      the runtime)
 *   4. execvp(PROGRAM)
 *
 * A filter the runtime already installed (e.g. Docker's default profile)
 * stays: filters stack, the stricter answer wins. On any failure nothing is
 * exec'd: exit 127 with a one-line reason.
 *
 *   plastron-init CONFIG.json -- PROGRAM [ARGS...]
 *   CONFIG: {"seccomp": OCI profile | null,
 *            "seccomp_bpf": path of the filter plastrond compiled (libseccomp's
 *                           export; loaded as is, with "seccomp_flags"),
 *            "landlock": {"abi", "fs", "net", "scoped" (hex strings),
 *                         "rules": [{"access": hex, "path"}], "bind": [port],
 *                         "connect": [port]} | null}
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plastron/enforce.h"
#include "plastron/gen.h"

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

static const char *diag_msg(const struct pl_diag *d)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next)
		if (e->severity == PL_SEV_ERROR)
			return e->message;
	return "unknown error";
}

static int hex(json_t *o, const char *key, uint64_t *ret)
{
	const char *s = json_string_value(json_object_get(o, key));
	char *end;

	if (!s)
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 16);
	return errno || end == s || *end ? -EINVAL : 0;
}

static int landlock_from_json(json_t *o, struct pl_ll_ruleset *rs)
{
	json_t *rules = json_object_get(o, "rules"), *v;
	json_t *bind = json_object_get(o, "bind"), *conn = json_object_get(o, "connect");
	size_t i;

	memset(rs, 0, sizeof(*rs));
	rs->abi = (int)json_integer_value(json_object_get(o, "abi"));
	if (hex(o, "fs", &rs->handled_fs) || hex(o, "net", &rs->handled_net) ||
	    hex(o, "scoped", &rs->scoped))
		return -EINVAL;
	rs->rules = calloc(json_array_size(rules) + 1, sizeof(*rs->rules));
	rs->bind_tcp = calloc(json_array_size(bind) + 1, sizeof(uint16_t));
	rs->connect_tcp = calloc(json_array_size(conn) + 1, sizeof(uint16_t));
	if (!rs->rules || !rs->bind_tcp || !rs->connect_tcp)
		return -ENOMEM;
	json_array_foreach(rules, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));
		if (!path || hex(v, "access", &rs->rules[i].access))
			return -EINVAL;
		rs->rules[i].path = (char *)path;
		rs->n_rules++;
	}
	json_array_foreach(bind, i, v) rs->bind_tcp[rs->n_bind_tcp++] =
	    (uint16_t)json_integer_value(v);
	json_array_foreach(conn, i, v) rs->connect_tcp[rs->n_connect_tcp++] =
	    (uint16_t)json_integer_value(v);
	rs->empty = !rs->handled_fs && !rs->handled_net && !rs->scoped;
	return 0;
}

/* Load a filter compiled by libseccomp on the host (seccomp_export_bpf). */
static int load_bpf(const char *path, json_t *flag_names)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	struct sock_fprog prog;
	unsigned flags = 0;
	size_t i;
	json_t *v;

	if (!f)
		return die("%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || st.st_size <= 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > 65535)
		return die("%s: not a seccomp program", path);
	prog.len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	prog.filter = malloc((size_t)st.st_size);
	if (!prog.filter || fread(prog.filter, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		return die("%s: short read", path);
	fclose(f);
	json_array_foreach(flag_names, i, v)
	{
		const char *n = json_string_value(v) ?: "";
		if (!strcmp(n, "SECCOMP_FILTER_FLAG_LOG"))
			flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (!strcmp(n, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (!strcmp(n, "SECCOMP_FILTER_FLAG_TSYNC"))
			flags |= SECCOMP_FILTER_FLAG_TSYNC;
		else
			return die("seccomp flag '%s' is not supported", n);
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0)
		return die("seccomp: %s", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	struct pl_diag d = { 0 };
	struct pl_sc_profile *prof = NULL;
	struct pl_ll_ruleset rs;
	json_error_t je;
	json_t *config, *ll, *sc;

	if (argc < 4 || strcmp(argv[2], "--"))
		return die("usage: plastron-init CONFIG.json -- PROGRAM [ARGS...]");
	config = json_load_file(argv[1], 0, &je);
	if (!config)
		return die("%s: %s", argv[1], je.text);
	ll = json_object_get(config, "landlock");
	sc = json_object_get(config, "seccomp");
	if (json_is_object(ll) && landlock_from_json(ll, &rs) < 0)
		return die("%s: malformed landlock section", argv[1]);
	const char *bpf = json_string_value(json_object_get(config, "seccomp_bpf"));
	if (!bpf && json_is_object(sc)) {
		char *text = json_dumps(sc, JSON_COMPACT);
		if (!text || pl_sc_profile_from_json(argv[1], text, strlen(text), &prof, &d) < 0)
			return die("seccomp profile: %s", diag_msg(&d));
		free(text);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return die("no_new_privs: %s", strerror(errno));
	if (json_is_object(ll) && !rs.empty && pl_ll_ruleset_apply(&rs, &d) < 0)
		return die("Landlock: %s", diag_msg(&d));
	if (bpf) {
		int r = load_bpf(bpf, json_object_get(config, "seccomp_flags"));
		if (r)
			return r;
	} else if (prof && pl_sc_profile_load(prof, &d) < 0) {
		return die("seccomp: %s", diag_msg(&d));
	}
	execvp(argv[3], argv + 3);
	return die("exec %s: %s", argv[3], strerror(errno));
}
