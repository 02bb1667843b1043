/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron-runtime: an OCI runtime shim in front of runc (or crun).
 *
 *   plastron-runtime [--plastron-OPTION VALUE]... [RUNTIME GLOBAL FLAGS] COMMAND [ARGS]
 *
 * Every argument except the --plastron-* ones goes unchanged to the real
 * runtime (PLASTRON_RUNTIME, --plastron-runtime, or /usr/bin/runc). On
 * `create` and `run` plastrond is always asked which policy confines the
 * container (the node decides: see select_policy in plastrond; nothing in
 * the spec is trusted, an earlier rewrite found in it is undone first), and
 * the bundle's config.json is rewritten when one does:
 *
 *   - process.capabilities: the policy's dropped capabilities removed
 *   - hooks.createRuntime += plastron-hook (next to plastron-init), else
 *     this binary in hook mode: it registers the
 *     container's cgroup with plastrond and waits for the acknowledgement
 *     (the map update) before runc lets the process start; when the agent
 *     cannot be reached the hook fails and the container does not start
 *   - the confinement bundle plastrond compiled for the policy version
 *     (include/plastron/bundle.h) is written to <bundle>/plastron-init.json
 *     and bind-mounted read-only at /.plastron-init.json, with plastron-init
 *     (static) at /.plastron-init, which becomes process.args[0]: it applies
 *     the bundle, then execs the original process. A seccomp profile the
 *     runtime already had (Docker's default) stays and stacks. The shim
 *     parses no policy; it only places the bundle.
 *
 * On `exec` (shim-exec.c) a process joining a confined container is wrapped
 * through plastron-init with the same bundle.
 *
 * No policy selected: the bundle is not touched (except to undo an earlier
 * rewrite the spec carried). The agent unreachable at create time: the
 * create fails (fail closed) with the reason on stderr and in the runtime's
 * --log.
 *
 *   plastron-runtime hook --socket PATH --policy NAME
 *     (OCI hook: state JSON on stdin)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "plastron/bundle.h"
#include "plastron/catalog.h"
#include "shared/macro.h"
#include "shim.h"

struct shim_settings S;

void report(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "plastron-runtime: %s\n", msg);
	if (S.log) {
		FILE *f = fopen(S.log, "ae");
		if (f) {
			if (S.log_format && !strcmp(S.log_format, "json")) {
				char ts[40];
				time_t t = time(NULL);
				struct tm tm;
				gmtime_r(&t, &tm);
				strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
				json_t *o = json_pack("{s:s,s:s,s:s}", "level", "error", "msg", msg,
						      "time", ts);
				char *s = json_dumps(o, JSON_COMPACT);
				if (s)
					fprintf(f, "%s\n", s);
				free(s);
				json_decref(o);
			} else {
				fprintf(f, "plastron-runtime: %s\n", msg);
			}
			fclose(f);
		}
	}
}

static void print_diag(struct pl_diag *d)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
		char *s = pl_diag_format(e);
		if (s) {
			report("%s", s);
			free(s);
		}
	}
}

/* ---- config.json rewrite ------------------------------------------------ */
/* Remove the dropped capabilities from every set of a process object. */
void shim_drop_caps(json_t *process, uint64_t drop)
{
	json_t *caps = json_object_get(process, "capabilities");
	const char *set;
	json_t *list;

	if (!drop || !json_is_object(caps))
		return;
	json_object_foreach(caps, set, list)
	{
		json_t *keep = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v)
		{
			int cap = pl_cap_from_name(json_string_value(v) ?: "");
			if (cap >= 0 && cap < 64 && (drop & (1ull << cap)))
				continue;
			json_array_append(keep, v);
		}
		json_object_set_new(caps, set, keep);
	}
}

/* process.args = [INIT, BUNDLE, "--", original...]. */
int shim_wrap_args(json_t *process)
{
	json_t *args = json_object_get(process, "args");
	json_t *nargs;
	size_t ai;
	json_t *av;

	if (!json_is_array(args) || json_array_size(args) == 0)
		return -EINVAL;
	nargs = json_pack("[s,s,s]", INIT_DEST, INIT_CONFIG_DEST, "--");
	json_array_foreach(args, ai, av) json_array_append(nargs, av);
	json_object_set_new(process, "args", nargs);
	return 0;
}

int shim_self_exe(char *buf, size_t len)
{
	ssize_t k = readlink("/proc/self/exe", buf, len - 1);
	if (k < 0)
		return -errno;
	buf[k] = 0;
	return 0;
}

static bool is_ours(const char *dest)
{
	return dest && (!strcmp(dest, INIT_DEST) || !strcmp(dest, INIT_CONFIG_DEST) ||
			!strcmp(dest, INIT_BPF_DEST));
}

/*
 * Undo whatever looks like an earlier rewrite: it is never trusted (a spec
 * can carry any annotation, mount or argument), the policy is always asked
 * again and the rewrite done afresh, so rewriting twice gives the same
 * config. Returns true when something was removed.
 */
static bool strip_plastron(json_t *config)
{
	json_t *annotations = json_object_get(config, "annotations");
	json_t *process = json_object_get(config, "process");
	json_t *args = json_object_get(process, "args");
	json_t *mounts = json_object_get(config, "mounts");
	json_t *cr = json_object_get(json_object_get(config, "hooks"), "createRuntime");
	bool changed = false;

	if (json_object_get(annotations, CONFINED_ANNOTATION)) {
		json_object_del(annotations, CONFINED_ANNOTATION);
		changed = true;
	}
	if (json_object_get(annotations, VERSION_ANNOTATION)) {
		json_object_del(annotations, VERSION_ANNOTATION);
		changed = true;
	}
	while (json_is_array(args) && json_array_size(args) >= 3 &&
	       json_is_string(json_array_get(args, 0)) &&
	       !strcmp(json_string_value(json_array_get(args, 0)), INIT_DEST) &&
	       !strcmp(json_string_value(json_array_get(args, 2)) ?: "", "--")) {
		for (int k = 0; k < 3; k++)
			json_array_remove(args, 0);
		changed = true;
	}
	for (size_t i = 0; json_is_array(mounts) && i < json_array_size(mounts);) {
		if (is_ours(json_string_value(
			json_object_get(json_array_get(mounts, i), "destination")))) {
			json_array_remove(mounts, i);
			changed = true;
			continue;
		}
		i++;
	}
	for (size_t i = 0; json_is_array(cr) && i < json_array_size(cr);) {
		json_t *hargs = json_object_get(json_array_get(cr, i), "args");
		const char *a0 = json_string_value(json_array_get(hargs, 0)) ?: "";
		if ((!strcmp(a0, "plastron-runtime") &&
		     !strcmp(json_string_value(json_array_get(hargs, 1)) ?: "", "hook")) ||
		    !strcmp(a0, "plastron-hook")) {
			json_array_remove(cr, i);
			changed = true;
			continue;
		}
		i++;
	}
	return changed;
}

/*
 * Replace `path` by a new file with `data`: unlink, then create exclusively
 * (O_EXCL, O_NOFOLLOW), no temporary file and rename. Only for files that
 * belong to this one invocation (the bundle directory of the container
 * being created: config.json, plastron-init.json, crun's --config file; the
 * --process file of an exec) and that nothing reads before the runtime this
 * shim execs afterwards: a crash between the unlink and
 * the last write leaves the file missing or cut short, and the runtime then
 * refuses the spec (or plastron-init the bundle: its hash), so nothing
 * starts, as after a failed write here. A rename over the old file,
 * or a truncation of it, would also make ext4 flush the new data at once
 * (auto_da_alloc), a cost on every start that buys nothing here.
 */
static int write_new(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd, r = 0;

	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len && r == 0;) {
		ssize_t k = write(fd, data + off, len - off);
		if (k < 0 && errno != EINTR)
			r = -errno;
		else if (k > 0)
			off += (size_t)k;
	}
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

int shim_write_json(const char *path, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	int r;

	if (!s)
		return -ENOMEM;
	r = write_new(path, s, strlen(s), 0644);
	free(s);
	return r;
}

/*
 * Rewrite <bundle>/config.json (or crun's --config file) for the policy
 * plastrond selects, and place the policy version's confinement bundle at
 * <bundle>/plastron-init.json (also the record `exec` reads). Returns 0
 * (rewritten or untouched) or -1 after reporting why the container must not
 * start.
 */
static int rewrite_bundle(const char *bundle, const char *config_name, const char *id)
{
	char path[PATH_MAX + 32], err[512], self[PATH_MAX], initpath[PATH_MAX + 32];
	json_error_t je;
	json_t *config, *annotations, *req = NULL, *ans = NULL;
	struct pl_diag d = { 0 };
	struct pl_bundle *b = NULL;
	char *btext = NULL;
	size_t btext_len = 0;
	bool stripped;
	int r = -1, k;

	/* crun's --config FILE: relative to the working directory, like crun */
	if (config_name)
		snprintf(path, sizeof(path), "%s", config_name);
	else
		snprintf(path, sizeof(path), "%s/config.json", bundle);
	snprintf(initpath, sizeof(initpath), "%s/" BUNDLE_FILE, bundle);
	config = json_load_file(path, 0, &je);
	if (!config) {
		report("%s: %s", path, je.text);
		return -1;
	}
	stripped = strip_plastron(config);
	annotations = json_object_get(config, "annotations");
	req = json_pack("{s:s,s:O?,s:s?}", "op", "profile", "annotations", annotations, "default",
			S.default_policy);
	if (pld_request_data(S.socket, req, &ans, &btext, &btext_len, REQUEST_TIMEOUT_MS, err,
			     sizeof(err)) < 0) {
		report("container %s not created: %s; plastron fails closed (no container starts "
		       "unconfined while its policy cannot be checked)",
		       id, err);
		goto out;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		report("container %s not created: %s", id,
		       json_string_value(json_object_get(ans, "error")) ?: "plastrond refused");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(json_object_get(ans, "notes")); i++)
		report("container %s: %s", id,
		       json_string_value(json_array_get(json_object_get(ans, "notes"), i)) ?: "");
	const char *pname = json_string_value(json_object_get(ans, "policy"));
	if (!pname) {
		/* No policy: no stale record of an earlier confinement stays. */
		if (unlink(initpath) < 0 && errno != ENOENT) {
			report("container %s not created: cannot remove %s: %s", id, initpath,
			       strerror(errno));
			goto out;
		}
		if (stripped && (k = shim_write_json(path, config)) < 0) {
			report("container %s not created: cannot write %s: %s", id, path,
			       strerror(-k));
			goto out;
		}
		r = 0;
		goto out;
	}
	/* The bundle follows the answer's line (attached_bytes). */
	if (!btext || pl_bundle_parse(btext, btext_len, &b, &d) < 0) {
		print_diag(&d);
		report("container %s not created: plastrond sent no usable confinement bundle for "
		       "policy %s",
		       id, pname);
		goto out;
	}
	json_t *process = json_object_get(config, "process");
	shim_drop_caps(process, b->cap_drop);

	if (shim_self_exe(self, sizeof(self)) < 0) {
		report("container %s not created: cannot find my own path", id);
		goto out;
	}
	json_t *hooks = json_object_get(config, "hooks");
	if (!json_is_object(hooks)) {
		hooks = json_object();
		json_object_set_new(config, "hooks", hooks);
	}
	json_t *cr = json_object_get(hooks, "createRuntime");
	if (!json_is_array(cr)) {
		cr = json_array();
		json_object_set_new(hooks, "createRuntime", cr);
	}
	/* plastron-hook (next to plastron-init) when it is there and can pass
	 * the name on; else this binary in hook mode. */
	char hook[PATH_MAX + 32];
	const char *slash = strrchr(S.init, '/');
	snprintf(hook, sizeof(hook), "%.*s/plastron-hook", slash ? (int)(slash - S.init) : 1,
		 slash ? S.init : ".");
	if (!strpbrk(pname, "\"\\") && access(hook, X_OK) == 0)
		json_array_insert_new(cr, 0,
				      json_pack("{s:s,s:[s,s,s,s,s],s:i}", "path", hook, "args",
						"plastron-hook", "--socket", S.socket, "--policy",
						pname, "timeout", 30));
	else
		json_array_insert_new(cr, 0,
				      json_pack("{s:s,s:[s,s,s,s,s,s],s:i}", "path", self, "args",
						"plastron-runtime", "hook", "--socket", S.socket,
						"--policy", pname, "timeout", 30));

	/* plastron-init applies the bundle, then execs the original process. */
	struct stat st;
	if (stat(S.init, &st) < 0) {
		report("container %s not created: %s is missing (%s)", id, S.init, strerror(errno));
		goto out;
	}
	if ((k = write_new(initpath, b->text, b->text_len, 0644)) < 0) {
		report("container %s not created: cannot write %s: %s", id, initpath, strerror(-k));
		goto out;
	}
	if (shim_wrap_args(process) < 0) {
		report("container %s not created: process.args is empty", id);
		goto out;
	}
	json_t *mounts = json_object_get(config, "mounts");
	if (!json_is_array(mounts)) {
		mounts = json_array();
		json_object_set_new(config, "mounts", mounts);
	}
	json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination",
						INIT_DEST, "type", "bind", "source", S.init,
						"options", "bind", "ro", "nosuid", "nodev"));
	json_array_append_new(mounts,
			      json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "destination",
					INIT_CONFIG_DEST, "type", "bind", "source", initpath,
					"options", "bind", "ro", "nosuid", "nodev", "noexec"));
	if (!json_is_object(annotations)) {
		annotations = json_object();
		json_object_set_new(config, "annotations", annotations);
	}
	json_object_set_new(annotations, CONFINED_ANNOTATION, json_string(pname));
	json_object_set_new(annotations, VERSION_ANNOTATION, json_string(b->hash));

	if ((k = shim_write_json(path, config)) < 0) {
		report("container %s not created: cannot write %s: %s", id, path, strerror(-k));
		unlink(initpath);
		goto out;
	}
	r = 0;
out:
	pl_diag_clear(&d);
	pl_bundle_free(b);
	free(btext);
	json_decref(ans);
	json_decref(req);
	json_decref(config);
	return r;
}

/* ---- hook mode ---------------------------------------------------------- */
static int hook_main(int argc, char **argv)
{
	const char *sock = PLD_SOCKET, *policy = NULL;
	json_error_t je;
	json_t *state, *req, *ans = NULL;
	char err[512];

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			policy = argv[++i];
	}
	state = json_loadf(stdin, 0, &je);
	if (!state || !policy) {
		fprintf(stderr, "plastron-runtime hook: %s\n",
			!policy ? "missing --policy" : "no OCI state on stdin");
		return 1;
	}
	const char *id = json_string_value(json_object_get(state, "id")) ?: "?";
	json_t *annotations = json_object_get(state, "annotations");
	const char *name = NULL;
	if (annotations) {
		name = json_string_value(
		    json_object_get(annotations, "io.kubernetes.cri.container-name"));
		if (!name)
			name = json_string_value(json_object_get(annotations, "nerdctl/name"));
		if (!name)
			name = json_string_value(json_object_get(annotations, "plastron.io/name"));
	}
	req = json_pack("{s:s,s:O,s:s,s:s,s:s?,s:O?}", "op", "register", "pid",
			json_object_get(state, "pid"), "policy", policy, "container_id", id, "name",
			name, "annotations", annotations);
	if (!req || pld_request(sock, req, &ans, REQUEST_TIMEOUT_MS, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"plastron-runtime: container %s not started: %s; its policy %s needs the "
			"agent to enforce, so it fails closed\n",
			id, req ? err : "bad state", policy);
		return 1;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		fprintf(stderr, "plastron-runtime: container %s not started: plastrond: %s\n", id,
			json_string_value(json_object_get(ans, "error")) ?: "refused");
		return 1;
	}
	json_decref(ans);
	json_decref(req);
	json_decref(state);
	return 0;
}

/* ---- main --------------------------------------------------------------- */
static int usage(void)
{
	printf(
	    "Usage: plastron-runtime [--plastron-OPTION VALUE]... [RUNTIME FLAGS] COMMAND "
	    "[ARGS]\n\n"
	    "An OCI runtime shim: confines containers whose annotations select a plastron\n"
	    "policy, then runs the real runtime with the same arguments.\n\n"
	    "Options (also as environment variables):\n"
	    "  --plastron-runtime PATH   the real runtime (PLASTRON_RUNTIME; /usr/bin/runc)\n"
	    "  --plastron-socket PATH    plastrond's socket (PLASTRON_SOCKET; %s)\n"
	    "  --plastron-policy NAME    policy for containers without annotations\n"
	    "                            (PLASTRON_POLICY)\n"
	    "  --plastron-init PATH      the Landlock init (PLASTRON_INIT; next to this binary)\n\n"
	    "Selection (by plastrond): each policy's target matched against the CRI\n"
	    "annotations, the annotation plastron.io/policy=NAME (Kubernetes pods only in\n"
	    "namespaces plastrond --annotation-namespaces allows), or --plastron-policy.\n"
	    "Nothing opts out of the default. Processes started by exec are confined too.\n\n"
	    "Examples:\n"
	    "  dockerd --add-runtime plastron=/usr/bin/plastron-runtime\n"
	    "  ctr run --runtime io.containerd.runc.v2 --runc-binary /usr/bin/plastron-runtime "
	    "...\n"
	    "  podman --runtime /usr/bin/plastron-runtime run --annotation plastron.io/policy=demo "
	    "IMAGE\n",
	    PLD_SOCKET);
	return 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	char **out, init_buf[PATH_MAX + 32], bundle_abs[PATH_MAX];
	int n = 0, cmd_i = -1;
	const char *cmd = NULL, *bundle = ".", *config = NULL, *id = NULL;

	if (argc >= 2 && !strcmp(argv[1], "hook"))
		return hook_main(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "--plastron-help"))
		return usage();

	S.runtime = env_or("PLASTRON_RUNTIME", "/usr/bin/runc");
	S.socket = env_or("PLASTRON_SOCKET", PLD_SOCKET);
	S.default_policy = env_or("PLASTRON_POLICY", NULL);
	S.init = env_or("PLASTRON_INIT", NULL);
	out = calloc((size_t)argc + 1, sizeof(*out));
	if (!out)
		return 1;
	out[n++] = NULL; /* argv[0] of the runtime, set below */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "--plastron-", 11)) {
			const char *eq = strchr(a, '='), *v;
			size_t klen = eq ? (size_t)(eq - a) : strlen(a);
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				fprintf(stderr, "plastron-runtime: %s needs a value\n", a);
				return 2;
			}
			if (!strncmp(a, "--plastron-runtime", klen) && klen == 18)
				S.runtime = v;
			else if (!strncmp(a, "--plastron-socket", klen) && klen == 17)
				S.socket = v;
			else if (!strncmp(a, "--plastron-policy", klen) && klen == 17)
				S.default_policy = v;
			else if (!strncmp(a, "--plastron-init", klen) && klen == 15)
				S.init = v;
			else {
				fprintf(stderr, "plastron-runtime: unknown option %.*s\n",
					(int)klen, a);
				return 2;
			}
			continue;
		}
		out[n++] = argv[i];
	}
	/*
	 * Find the command, the bundle, the config file, the id and the
	 * runtime's log. The command is the first argument that names one: a
	 * word before it is the value of a global flag this list does not know
	 * (`crun --cgroup-manager cgroupfs create ...`), and must not hide a
	 * create (the container would start unconfined).
	 */
	static const char *const valued[] = { "--root",
					      "--log",
					      "--log-format",
					      "--log-level",
					      "--criu",
					      "--rootless",
					      "--cgroup-manager",
					      "--bundle",
					      "-b",
					      "--pid-file",
					      "--console-socket",
					      "--preserve-fds",
					      "--config",
					      "-f",
					      NULL };
	static const char *const commands[] = { "create",   "run",    "start",      "state",
						"kill",     "delete", "exec",       "list",
						"ps",       "pause",  "resume",     "update",
						"spec",     "events", "checkpoint", "restore",
						"features", NULL };
	for (int i = 1; i < n; i++) {
		const char *a = out[i];
		bool takes = false;
		if (a[0] == '-' && a[1]) {
			const char *eq = strchr(a, '=');
			size_t klen = eq ? (size_t)(eq - a) : strlen(a);
			const char *attached = NULL;
			/* crun (argp) also takes -bDIR and -fFILE */
			if (cmd && a[1] != '-' && strlen(a) > 2 && (a[1] == 'b' || a[1] == 'f')) {
				attached = a + 2;
				klen = 2;
			}
			for (size_t k = 0; valued[k]; k++)
				if (strlen(valued[k]) == klen && !strncmp(a, valued[k], klen))
					takes = !eq && !attached;
			const char *v = attached;
			if (!v)
				v = eq ? eq + 1 : (takes && i + 1 < n ? out[i + 1] : NULL);
			if (v && !cmd && klen == 5 && !strncmp(a, "--log", 5))
				S.log = v;
			if (v && !cmd && klen == 12 && !strncmp(a, "--log-format", 12))
				S.log_format = v;
			if (v && cmd &&
			    ((klen == 8 && !strncmp(a, "--bundle", 8)) ||
			     (klen == 2 && !strncmp(a, "-b", 2))))
				bundle = v;
			if (v && cmd &&
			    ((klen == 8 && !strncmp(a, "--config", 8)) ||
			     (klen == 2 && !strncmp(a, "-f", 2))))
				config = v;
			if (takes)
				i++;
			continue;
		}
		if (!cmd) {
			for (size_t k = 0; commands[k] && !cmd; k++)
				if (!strcmp(a, commands[k])) {
					cmd = a;
					cmd_i = i;
				}
		} else if (!strcmp(cmd, "exec")) {
			break; /* shim-exec.c parses exec's own arguments */
		} else {
			id = a;
		}
	}
	if (!S.init) {
		char self[PATH_MAX];
		if (shim_self_exe(self, sizeof(self)) == 0) {
			char *slash = strrchr(self, '/');
			if (slash)
				*slash = 0;
			snprintf(init_buf, sizeof(init_buf), "%s/plastron-init", self);
			S.init = init_buf;
		} else {
			S.init = "/usr/libexec/plastron/plastron-init";
		}
	}
	if (cmd && (!strcmp(cmd, "create") || !strcmp(cmd, "run"))) {
		/* The runtime resolves a relative bundle against its cwd; the
		 * rewrite's mount sources must be absolute. */
		if (!realpath(bundle, bundle_abs)) {
			report("container %s not created: bundle %s: %s", id ? id : "?", bundle,
			       strerror(errno));
			return 1;
		}
		if (rewrite_bundle(bundle_abs, config, id ? id : "?") < 0)
			return 1;
	}
	if (cmd && !strcmp(cmd, "exec")) {
		out[0] = (char *)S.runtime;
		if (shim_exec(&out, &n, cmd_i) < 0)
			return 1;
	}
	out[0] = (char *)S.runtime;
	execv(S.runtime, out);
	report("cannot run %s: %s", S.runtime, strerror(errno));
	return 127;
}
