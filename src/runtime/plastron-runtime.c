/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron-runtime: an OCI runtime shim in front of runc (or crun).
 *
 *   plastron-runtime [--plastron-OPTION VALUE]... [RUNTIME GLOBAL FLAGS] COMMAND [ARGS]
 *
 * Every argument except the --plastron-* ones goes unchanged to the real
 * runtime (PLASTRON_RUNTIME, --plastron-runtime, or /usr/bin/runc). On
 * `create` and `run` the bundle's config.json is rewritten first, when the
 * container's annotations select a policy (asked from plastrond, which holds
 * the version in force):
 *
 *   - process.capabilities: the policy's dropped capabilities removed
 *   - hooks.createRuntime += this binary in hook mode: it registers the
 *     container's cgroup with plastrond and waits for the acknowledgement
 *     (the map update) before runc lets the process start; when the agent
 *     cannot be reached the hook fails and the container does not start
 *   - plastron-init (static) bind-mounted read-only at /.plastron-init, with
 *     its configuration (the policy's seccomp profile and Landlock ruleset)
 *     at /.plastron-init.json, becomes process.args[0]: it applies Landlock
 *     and the seccomp filter (runc 1.1 refuses SECCOMP_FILTER_FLAG_LOG, which
 *     logged denials need), then execs the original process. A seccomp
 *     profile the runtime already had (Docker's default) stays and stacks.
 *
 * No policy selected: the bundle is not touched. The agent unreachable at
 * create time: the create fails (fail closed) with the reason on stderr and
 * in the runtime's --log.
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
#include "plastron/catalog.h"
#include "plastron/gen.h"
#include "plastron/policy.h"
#include "shared/macro.h"

#define INIT_DEST "/.plastron-init"
#define INIT_CONFIG_DEST "/.plastron-init.json"
#define INIT_BPF_DEST "/.plastron-init.bpf"
#define CONFINED_ANNOTATION "plastron.io/confined"
#define REQUEST_TIMEOUT_MS 10000

static struct {
	const char *runtime, *socket, *init, *default_policy;
	const char *log, *log_format; /* the runtime's --log / --log-format */
} S;

/* An error for the user: stderr, and the runtime's log file so that
 * containerd/Docker show it. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
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
static void drop_caps(json_t *config, uint64_t drop)
{
	json_t *caps = json_object_get(json_object_get(config, "process"), "capabilities");
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

static json_t *landlock_json(const struct pl_ll_ruleset *rs)
{
	char buf[32];
	json_t *o = json_object(), *rules = json_array(), *bind = json_array(),
	       *conn = json_array();

	json_object_set_new(o, "abi", json_integer(rs->abi));
#define HEX(k, v)                                                            \
	do {                                                                 \
		snprintf(buf, sizeof(buf), "%llx", (unsigned long long)(v)); \
		json_object_set_new(o, k, json_string(buf));                 \
	} while (0)
	HEX("fs", rs->handled_fs);
	HEX("net", rs->handled_net);
	HEX("scoped", rs->scoped);
#undef HEX
	for (size_t k = 0; k < rs->n_rules; k++) {
		snprintf(buf, sizeof(buf), "%llx", (unsigned long long)rs->rules[k].access);
		json_array_append_new(
		    rules, json_pack("{s:s,s:s}", "access", buf, "path", rs->rules[k].path));
	}
	for (size_t k = 0; k < rs->n_bind_tcp; k++)
		json_array_append_new(bind, json_integer(rs->bind_tcp[k]));
	for (size_t k = 0; k < rs->n_connect_tcp; k++)
		json_array_append_new(conn, json_integer(rs->connect_tcp[k]));
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "bind", bind);
	json_object_set_new(o, "connect", conn);
	return o;
}

static int write_hex(const char *path, const char *hex)
{
	size_t n = strlen(hex) / 2;
	unsigned char *buf = malloc(n ? n : 1);
	FILE *f;
	int r = 0;

	if (!buf || strlen(hex) % 2)
		r = -EINVAL;
	for (size_t i = 0; r == 0 && i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			r = -EINVAL;
		buf[i] = (unsigned char)v;
	}
	if (r == 0) {
		f = fopen(path, "we");
		if (!f || fwrite(buf, 1, n, f) != n)
			r = -EIO;
		if (f && fclose(f) != 0)
			r = -EIO;
	}
	free(buf);
	return r;
}

static int self_exe(char *buf, size_t len)
{
	ssize_t k = readlink("/proc/self/exe", buf, len - 1);
	if (k < 0)
		return -errno;
	buf[k] = 0;
	return 0;
}

/*
 * Rewrite <bundle>/config.json (or crun's --config file) for the policy
 * plastrond selects. Returns 0
 * (rewritten or untouched) or -1 after reporting why the container must not
 * start.
 */
static int rewrite_bundle(const char *bundle, const char *config_name, const char *id)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], err[512], self[PATH_MAX], initpath[PATH_MAX];
	char bpfpath[PATH_MAX];
	json_error_t je;
	json_t *config, *annotations, *req, *ans = NULL;
	struct pl_diag d = { 0 };
	struct pl_policy_set *set = NULL;
	const struct pl_policy *p = NULL;
	struct pl_sc_profile *prof = NULL;
	struct pl_ll_ruleset *ll = NULL;
	char *sc_json = NULL;
	uint64_t drop = 0;
	int r = -1;

	/* crun's --config FILE: relative to the working directory, like crun */
	if (config_name)
		snprintf(path, sizeof(path), "%s", config_name);
	else
		snprintf(path, sizeof(path), "%s/config.json", bundle);
	config = json_load_file(path, 0, &je);
	if (!config) {
		report("%s: %s", path, je.text);
		return -1;
	}
	annotations = json_object_get(config, "annotations");
	if (json_object_get(annotations, CONFINED_ANNOTATION)) {
		json_decref(config);
		return 0; /* already rewritten */
	}
	req = json_pack("{s:s,s:O?,s:s?}", "op", "profile", "annotations", annotations, "default",
			S.default_policy);
	if (pld_request(S.socket, req, &ans, REQUEST_TIMEOUT_MS, err, sizeof(err)) < 0) {
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
	const char *pname = json_string_value(json_object_get(ans, "policy"));
	if (!pname) {
		r = 0; /* no policy: pass through untouched */
		goto out;
	}
	const char *file = json_string_value(json_object_get(ans, "file")) ?: "policy";
	const char *src = json_string_value(json_object_get(ans, "source"));
	if (!src ||
	    pl_policy_set_load_buffer(file, src, json_string_length(json_object_get(ans, "source")),
				      &set, &d) < 0) {
		print_diag(&d);
		report("container %s not created: policy %s does not load", id, pname);
		goto out;
	}
	for (size_t i = 0; i < set->n && !p; i++)
		if (!strcmp(set->policies[i]->name, pname))
			p = set->policies[i];
	if (!p) {
		report("container %s not created: policy %s not in %s", id, pname, file);
		goto out;
	}
	if (pl_gen_seccomp(p, NULL, &prof, &d) < 0 ||
	    pl_sc_profile_to_json(prof, &sc_json, &d) < 0 || pl_gen_caps(p, NULL, &drop, &d) < 0 ||
	    pl_gen_landlock(p, pl_landlock_abi(), &ll, &d) < 0) {
		print_diag(&d);
		report("container %s not created: policy %s cannot be generated", id, pname);
		goto out;
	}
	/* Landlock features this kernel lacks are reported (never silently dropped). */
	print_diag(&d);

	json_t *sc = json_loads(sc_json, 0, &je);
	if (!sc) {
		report("container %s not created: generated seccomp JSON: %s", id, je.text);
		goto out;
	}
	drop_caps(config, drop);

	if (self_exe(self, sizeof(self)) < 0) {
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
	json_array_insert_new(cr, 0,
			      json_pack("{s:s,s:[s,s,s,s,s,s],s:i}", "path", self, "args",
					"plastron-runtime", "hook", "--socket", S.socket,
					"--policy", pname, "timeout", 30));

	/* plastron-init applies Landlock and the seccomp filter, then execs the
	 * original process. */
	struct stat st;
	if (stat(S.init, &st) < 0) {
		json_decref(sc);
		report("container %s not created: %s is missing (%s)", id, S.init, strerror(errno));
		goto out;
	}
	json_t *initcfg = json_pack("{s:o,s:o?}", "seccomp", sc, "landlock",
				    ll && !ll->empty ? landlock_json(ll) : NULL);
	/* The filter plastrond compiled once for this policy version (same
	 * source, same generator): plastron-init only loads it. */
	const char *hex = json_string_value(json_object_get(ans, "seccomp_bpf"));
	bool have_bpf = false;
	if (hex) {
		snprintf(bpfpath, sizeof(bpfpath), "%s/plastron-init.bpf", bundle);
		if (write_hex(bpfpath, hex) < 0) {
			json_decref(initcfg);
			report("container %s not created: cannot write %s", id, bpfpath);
			goto out;
		}
		json_object_set_new(initcfg, "seccomp_bpf", json_string(INIT_BPF_DEST));
		json_t *flags = json_array();
		for (size_t k = 0; k < prof->n_flags; k++)
			json_array_append_new(flags, json_string(prof->flags[k]));
		json_object_set_new(initcfg, "seccomp_flags", flags);
		have_bpf = true;
	}
	snprintf(initpath, sizeof(initpath), "%s/plastron-init.json", bundle);
	if (json_dump_file(initcfg, initpath, JSON_COMPACT) < 0) {
		json_decref(initcfg);
		report("container %s not created: cannot write %s", id, initpath);
		goto out;
	}
	json_decref(initcfg);
	json_t *process = json_object_get(config, "process");
	json_t *args = json_object_get(process, "args");
	if (!json_is_array(args) || json_array_size(args) == 0) {
		report("container %s not created: process.args is empty", id);
		goto out;
	}
	json_t *nargs = json_pack("[s,s,s]", INIT_DEST, INIT_CONFIG_DEST, "--");
	size_t ai;
	json_t *av;
	json_array_foreach(args, ai, av) json_array_append(nargs, av);
	json_object_set_new(process, "args", nargs);
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
	if (have_bpf)
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}",
							"destination", INIT_BPF_DEST, "type",
							"bind", "source", bpfpath, "options",
							"bind", "ro", "nosuid", "nodev", "noexec"));
	if (!json_is_object(annotations)) {
		annotations = json_object();
		json_object_set_new(config, "annotations", annotations);
	}
	json_object_set_new(annotations, CONFINED_ANNOTATION, json_string(pname));

	snprintf(tmp, sizeof(tmp), "%s.plastron", path);
	if (json_dump_file(config, tmp, JSON_COMPACT) < 0 || rename(tmp, path) < 0) {
		report("container %s not created: cannot write %s: %s", id, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	pl_diag_clear(&d);
	free(sc_json);
	pl_sc_profile_free(prof);
	pl_ll_ruleset_free(ll);
	pl_policy_set_free(set);
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
	    "Selection: annotation plastron.io/policy=NAME (\"none\" opts out), or the CRI\n"
	    "annotations matched against each policy's target, or --plastron-policy.\n\n"
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
	char **out, init_buf[PATH_MAX + 32];
	int n = 0;
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
				if (!strcmp(a, commands[k]))
					cmd = a;
		} else {
			id = a;
		}
	}
	if (!S.init) {
		char self[PATH_MAX];
		if (self_exe(self, sizeof(self)) == 0) {
			char *slash = strrchr(self, '/');
			if (slash)
				*slash = 0;
			snprintf(init_buf, sizeof(init_buf), "%s/plastron-init", self);
			S.init = init_buf;
		} else {
			S.init = "/usr/libexec/plastron/plastron-init";
		}
	}
	if (cmd && (!strcmp(cmd, "create") || !strcmp(cmd, "run")))
		if (rewrite_bundle(bundle, config, id ? id : "?") < 0)
			return 1;
	out[0] = (char *)S.runtime;
	execv(S.runtime, out);
	report("cannot run %s: %s", S.runtime, strerror(errno));
	return 127;
}
