/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron-runtime `exec`: a process that joins a confined container
 * (`runc exec`, `crun exec`, and through them `docker exec`, `ctr exec`,
 * `podman exec`, `kubectl exec`) is confined like the container's first
 * process: same bundle (policy version), so the same seccomp program,
 * Landlock ruleset and capability set.
 *
 *   1. `RUNTIME [global flags] state ID` gives the bundle directory and the
 *      container's pid; the state cannot be read: the exec is refused (fail
 *      closed: whether the container is confined cannot be known)
 *   2. <bundle>/plastron-init.json (written by the shim at create, never
 *      from the spec) says the container is confined; absent: unconfined
 *      container, the exec passes through untouched
 *   3. the container's own /.plastron-init and /.plastron-init.json (seen
 *      through /proc/PID/root) must still be the files the shim mounted: a
 *      privileged container that replaced them gets no exec
 *   4. the new process is wrapped: the --process FILE rewritten (args
 *      prefixed with plastron-init, dropped capabilities removed from every
 *      set, noNewPrivileges), or, for the command-line form, plastron-init
 *      inserted before the command and --cap values the policy drops
 *      removed. plastron-init drops them again itself.
 *
 * Known limit: between the check of 3 and the runtime's exec a container
 * able to mount could swap the files (a race it must win each time); the
 * policy's own rules decide whether it can mount at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plastron/bundle.h"
#include "plastron/catalog.h"
#include "shim.h"

/* exec's options that take a value (runc and crun). */
static const char *const exec_valued[] = {
	"--console-socket",
	"--pidfd-socket",
	"--cwd",
	"--env",
	"-e",
	"--user",
	"-u",
	"--additional-gids",
	"-g",
	"--process",
	"-p",
	"--apparmor",
	"--process-label",
	"--cap",
	"-c",
	"--pid-file",
	"--preserve-fds",
	"--cgroup",
	NULL,
};

static bool valued(const char *a, size_t klen)
{
	for (size_t k = 0; exec_valued[k]; k++)
		if (strlen(exec_valued[k]) == klen && !strncmp(a, exec_valued[k], klen))
			return true;
	return false;
}

struct exec_args {
	int id;              /* index of the container id */
	const char *process; /* --process FILE */
	int process_i;       /* its index (the value's) */
};

static int parse_exec(char **args, int n, int cmd, struct exec_args *e)
{
	memset(e, 0, sizeof(*e));
	e->id = -1;
	e->process_i = -1;
	for (int i = cmd + 1; i < n; i++) {
		const char *a = args[i];
		if (!strcmp(a, "--")) {
			e->id = i + 1 < n ? i + 1 : -1;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			e->id = i;
			break;
		}
		const char *eq = strchr(a, '=');
		size_t klen = eq ? (size_t)(eq - a) : strlen(a);
		const char *v = NULL;
		int vi = -1;
		if (a[1] != '-' && klen > 2) {
			/* -pFILE (crun), or bundled boolean flags (-dt) */
			char sh[3] = { '-', a[1], 0 };
			if (valued(sh, 2)) {
				if (sh[1] == 'p') {
					e->process = a + 2;
					e->process_i = i;
				}
				continue;
			}
			for (const char *q = a + 1; *q; q++) {
				char s2[3] = { '-', *q, 0 };
				if (valued(s2, 2)) {
					report("exec: cannot parse option %s (a valued flag in a "
					       "group); refused",
					       a);
					return -1;
				}
			}
			continue;
		}
		if (valued(a, klen)) {
			if (eq) {
				v = eq + 1;
				vi = i;
			} else if (i + 1 < n) {
				v = args[++i];
				vi = i;
			} else {
				report("exec: %s needs a value", a);
				return -1;
			}
			if ((klen == 9 && !strncmp(a, "--process", 9)) ||
			    (klen == 2 && !strncmp(a, "-p", 2))) {
				e->process = v;
				e->process_i = vi;
			}
		}
	}
	if (e->id < 0) {
		report("exec: no container id");
		return -1;
	}
	return 0;
}

/* `RUNTIME [global flags] state ID` → its JSON. */
static json_t *runtime_state(char **args, int cmd, const char *id)
{
	char **argv = calloc((size_t)cmd + 3, sizeof(*argv));
	int p[2];
	pid_t pid;
	json_t *st = NULL;
	json_error_t je;
	int status;

	if (!argv || pipe2(p, O_CLOEXEC) < 0) {
		free(argv);
		return NULL;
	}
	for (int i = 0; i < cmd; i++)
		argv[i] = args[i];
	argv[cmd] = (char *)"state";
	argv[cmd + 1] = (char *)id;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execv(S.runtime, argv);
		_exit(127);
	}
	close(p[1]);
	free(argv);
	if (pid < 0) {
		close(p[0]);
		return NULL;
	}
	FILE *f = fdopen(p[0], "r");
	if (f) {
		st = json_loadf(f, JSON_DISABLE_EOF_CHECK, &je);
		fclose(f);
	} else {
		close(p[0]);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_decref(st);
		return NULL;
	}
	return st;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;
	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &n);
	if (m) {
		char chunk[65536];
		size_t k;
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, k, m);
		fclose(m);
	}
	int e = ferror(f);
	fclose(f);
	if (e) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	*len = n;
	return buf;
}

/* Whether `inside` (a path under /proc/PID/root, the file itself directly in
 * the container's root) is the host file `host`. lstat: a symlink put in
 * place of the mount would be followed by stat against the shim's own root
 * (the host's), pass the check, and be resolved by the runtime inside the
 * container, to a file the container wrote. */
static bool same_file(const char *inside, const char *host)
{
	struct stat si, sh;
	return lstat(inside, &si) == 0 && S_ISREG(si.st_mode) && stat(host, &sh) == 0 &&
	       si.st_dev == sh.st_dev && si.st_ino == sh.st_ino;
}

/* Where the container's /.plastron-init comes from: config.json's mount. */
static bool init_source(const char *bundle, char *buf, size_t len)
{
	char path[PATH_MAX + 32];
	json_error_t je;
	json_t *config, *m;
	size_t i;
	bool found = false;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	config = json_load_file(path, 0, &je);
	json_array_foreach(json_object_get(config, "mounts"), i, m)
	{
		const char *dest = json_string_value(json_object_get(m, "destination"));
		const char *src = json_string_value(json_object_get(m, "source"));
		if (dest && src && !strcmp(dest, INIT_DEST)) {
			snprintf(buf, len, "%s", src);
			found = true;
		}
	}
	json_decref(config);
	return found;
}

static int rewrite_process_file(const char *path, const struct pl_bundle *b, const char *id)
{
	json_error_t je;
	json_t *proc = json_load_file(path, 0, &je);
	int r;

	if (!json_is_object(proc)) {
		report("exec into %s refused: %s: %s", id, path, je.text);
		json_decref(proc);
		return -1;
	}
	shim_drop_caps(proc, b->cap_drop);
	json_object_set_new(proc, "noNewPrivileges", json_true());
	if (shim_wrap_args(proc) < 0) {
		report("exec into %s refused: %s has no args", id, path);
		json_decref(proc);
		return -1;
	}
	r = shim_write_json(path, proc);
	json_decref(proc);
	if (r < 0) {
		report("exec into %s refused: cannot write %s: %s", id, path, strerror(-r));
		return -1;
	}
	return 0;
}

/* The command-line form: plastron-init before the command, dropped --cap
 * values out. */
static int rewrite_args(char ***args, int *n, int cmd, const struct exec_args *e,
			const struct pl_bundle *b)
{
	char **in = *args, **out = calloc((size_t)*n + 4, sizeof(*out));
	int k = 0;

	if (!out)
		return -1;
	for (int i = 0; i < *n; i++) {
		if (i > cmd && i < e->id) {
			const char *a = in[i];
			const char *v = NULL;
			bool sep = false;
			if (!strcmp(a, "--cap") || !strcmp(a, "-c")) {
				v = i + 1 < *n ? in[i + 1] : NULL;
				sep = true;
			} else if (!strncmp(a, "--cap=", 6)) {
				v = a + 6;
			} else if (!strncmp(a, "-c", 2) && a[2]) {
				v = a + 2;
			}
			int cap = v ? pl_cap_from_name(v) : -1;
			if (cap >= 0 && cap < 64 && (b->cap_drop & (1ull << cap))) {
				i += sep;
				continue;
			}
		}
		if (i == e->id + 1 && !e->process) {
			out[k++] = (char *)INIT_DEST;
			out[k++] = (char *)INIT_CONFIG_DEST;
			out[k++] = (char *)"--";
		}
		out[k++] = in[i];
	}
	out[k] = NULL;
	*args = out;
	*n = k;
	return 0;
}

int shim_exec(char ***args, int *n, int cmd)
{
	struct exec_args e;
	struct pl_diag d = { 0 };
	struct pl_bundle *b = NULL;
	char path[PATH_MAX + 32], inside[PATH_MAX + 64], src[PATH_MAX];
	const char *id;
	json_t *st;
	char *text;
	size_t len = 0;
	int r = -1;

	if (parse_exec(*args, *n, cmd, &e) < 0)
		return -1;
	id = (*args)[e.id];
	st = runtime_state(*args, cmd, id);
	const char *bundle = json_string_value(json_object_get(st, "bundle"));
	json_int_t pid = json_integer_value(json_object_get(st, "pid"));
	if (!bundle) {
		report(
		    "exec into %s refused: `%s state %s` gave no bundle, so whether the container "
		    "is confined cannot be known (plastron fails closed)",
		    id, S.runtime, id);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/" BUNDLE_FILE, bundle);
	text = slurp(path, &len);
	if (!text) {
		if (errno == ENOENT &&
		    !json_object_get(json_object_get(st, "annotations"), CONFINED_ANNOTATION)) {
			r = 0; /* not confined by plastron */
			goto out;
		}
		report("exec into %s refused: the container is confined but its bundle %s cannot "
		       "be read: %s",
		       id, path, strerror(errno));
		goto out;
	}
	r = pl_bundle_parse(text, len, &b, &d);
	free(text);
	if (r < 0) {
		report("exec into %s refused: %s: %s", id, path,
		       d.head ? d.head->message : "malformed");
		r = -1;
		goto out;
	}
	r = -1;
	/* The container still has the files the shim mounted. */
	snprintf(inside, sizeof(inside), "/proc/%lld/root" INIT_CONFIG_DEST, (long long)pid);
	bool bundle_ok = pid > 0 && same_file(inside, path);
	snprintf(inside, sizeof(inside), "/proc/%lld/root" INIT_DEST, (long long)pid);
	bool init_ok = pid > 0 && init_source(bundle, src, sizeof(src)) && same_file(inside, src);
	if (!bundle_ok || !init_ok) {
		report("exec into %s refused: the container's %s is no longer the file plastron "
		       "mounted (replaced or unmounted inside the container)",
		       id, bundle_ok ? INIT_DEST : INIT_CONFIG_DEST);
		goto out;
	}
	if (e.process) {
		if (rewrite_process_file(e.process, b, id) < 0)
			goto out;
		if (rewrite_args(args, n, cmd, &e, b) < 0)
			goto out;
	} else {
		if (e.id + 1 >= *n) {
			report("exec into %s refused: no command", id);
			goto out;
		}
		if (rewrite_args(args, n, cmd, &e, b) < 0)
			goto out;
	}
	r = 0;
out:
	pl_diag_clear(&d);
	pl_bundle_free(b);
	json_decref(st);
	return r;
}
