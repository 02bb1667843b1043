/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron run: confine a command with seccomp, the capability bounding set
 * and Landlock, and report what the kernel blocked or audited.
 *
 *  1. load and validate the policy (exit 1 on error, nothing runs)
 *  2. prepare everything (seccomp profile, caps, Landlock ruleset fd);
 *     refuse when a rule has no translation here, unless --allow-unenforced
 *  3. open the audit socket (before fork, so no record is missed)
 *  4. fork; the child gets a fresh audit session (it writes its uid to
 *     /proc/self/loginuid), applies the confinement and execs; if applying
 *     fails it exits 127 without exec'ing
 *  5. the parent keeps the records of the child's process tree (audit
 *     session id, else /proc ancestry; Landlock denials by the domain the
 *     child created), prints them as JSON lines, reads on until a barrier
 *     record logged after the child exited comes back (pl_audit_barrier),
 *     and exits with the child's status (128+N when killed by signal N)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "plastron/apply.h"
#include "plastron/events.h"
#include "plastron/policy.h"

/* examples/quickstart.yaml, byte for byte (tests/live checks it). */
static const char builtin_policy[] =
    "# The built-in policy of `plastron run` (used when no --policy is given).\n"
    "# It is compiled into the binary; tests/live checks the two stay identical.\n"
    "#\n"
    "# RuntimeDefault base (containerd's default seccomp profile, which also\n"
    "# denies io_uring) plus hardening rules against seed 000's escapes. Every\n"
    "# violation is blocked and reported (auditViolations: true).\n"
    "apiVersion: crd.varmor.org/v1beta1\n"
    "kind: VarmorPolicy\n"
    "metadata:\n"
    "  name: quickstart\n"
    "  namespace: default\n"
    "spec:\n"
    "  target:\n"
    "    kind: Pod\n"
    "    name: quickstart\n"
    "  policy:\n"
    "    enforcer: BPFSeccomp\n"
    "    mode: EnhanceProtect\n"
    "    enhanceProtect:\n"
    "      auditViolations: true\n"
    "      hardeningRules:\n"
    "      - disallow-mount-procfs\n"
    "      - disallow-write-core-pattern\n"
    "      - disallow-create-user-ns\n"
    "      - disallow-insmod\n"
    "      - disallow-load-all-bpf-prog\n"
    "      - disable-cap-net-raw\n"
    "      - disable-cap-sys-module\n"
    "      attackProtectionRules:\n"
    "      - rules:\n"
    "        - disable-chmod-x-bit\n"
    "        - disable-chmod-s-bit\n";

static void help(FILE *f)
{
	fprintf(
	    f,
	    "Usage: plastron run [OPTIONS] [--] COMMAND [ARGS...]\n"
	    "\n"
	    "Run COMMAND confined by a policy: seccomp filter, capability bounding set and\n"
	    "Landlock ruleset, applied between fork and exec. What the kernel blocks or audits\n"
	    "is printed as one JSON object per line.\n"
	    "\n"
	    "Options:\n"
	    "  -p, --policy FILE       policy file (YAML or JSON); without it the built-in\n"
	    "                          quickstart policy is used (see --show-builtin-policy)\n"
	    "  -n, --name NAME         which policy of FILE to use when it holds several\n"
	    "  -m, --mode MODE         enforce: every rule blocks and reports;\n"
	    "                          audit: every rule allows and reports;\n"
	    "                          observe: audit, and also report allowed syscalls;\n"
	    "                          default: each rule's action as the policy says\n"
	    "  -e, --events FILE|-     write events to FILE ('-' = stdout) instead of stderr;\n"
	    "                          a one-line summary per event then goes to stderr.\n"
	    "                          On stderr, events share the stream with COMMAND's\n"
	    "                          own messages and can land mid-line: use a FILE to\n"
	    "                          parse them\n"
	    "      --event-format FMT  plastron (default): plastron's event schema;\n"
	    "                          varmor: vArmor's violation-event schema (the lines\n"
	    "                          vArmor's agent writes to violations.log)\n"
	    "      --allow-unenforced  run even when some rules cannot be enforced here\n"
	    "                          (AppArmor-, BPF-LSM- or cgroup-BPF-only rules); each\n"
	    "                          one is listed on stderr\n"
	    "  -q, --quiet             no notes or summaries (warnings and errors stay)\n"
	    "      --show-builtin-policy  print the built-in policy and exit\n"
	    "  -h, --help              this help\n"
	    "\n"
	    "Exit status: the command's own status, or 128+N when killed by signal N;\n"
	    "1 on a policy error or when rules cannot be enforced (nothing is run);\n"
	    "2 on a usage error; 3 on a system error before the command started;\n"
	    "127 when the command could not be confined (it is then never executed) or\n"
	    "not found, 126 when it could not be executed.\n"
	    "\n"
	    "Events need CAP_AUDIT_READ (read-only audit multicast group). Landlock reports\n"
	    "denials only while kernel audit is enabled: when audit is off and no audit\n"
	    "daemon runs, plastron run first installs an audit 'task,never' rule (so no\n"
	    "process gets a per-syscall audit context, which would slow every syscall),\n"
	    "then enables audit, and leaves it so. An audit daemon's settings are never\n"
	    "touched. The kernel delivers audit records late when it is busy: after COMMAND\n"
	    "exits, plastron run has a short-lived child (comm plb-<hex>) log one seccomp\n"
	    "record (getppid, SCMP_ACT_LOG) and reads on until that record comes back, so\n"
	    "every event of the run is reported before it exits.\n"
	    "\n"
	    "Examples:\n"
	    "  plastron run -- sh -c 'unshare -U true'      # built-in policy: denied, reported\n"
	    "  plastron run --policy examples/landlock.yaml -- cat /etc/hostname\n"
	    "  plastron run --policy p.yaml --mode audit --events events.jsonl -- ./app\n"
	    "  plastron run --policy p.yaml --events - --event-format varmor -- ./app\n"
	    "  plastron run --policy p.yaml --allow-unenforced -- /bin/sh\n");
}

/* ---- the child's process tree ------------------------------------------ */
struct tree {
	pid_t root;
	uint32_t ses; /* the child's audit session, AUDIT_SID_UNSET when unknown */
	pid_t pids[1024];
	size_t n_pids;
	uint64_t domains[64];
	size_t n_domains;
};

static bool tree_has_pid(const struct tree *t, pid_t pid)
{
	if (pid == t->root)
		return true;
	for (size_t i = 0; i < t->n_pids; i++)
		if (t->pids[i] == pid)
			return true;
	return false;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
	if (!p)
		return -1;
	{
		char state;
		int ppid;
		if (sscanf(p + 1, " %c %d", &state, &ppid) != 2)
			return -1;
		return ppid;
	}
}

/* Is `pid` in the tree? Learns new members through /proc ancestry. */
static bool tree_member(struct tree *t, pid_t pid)
{
	pid_t p = pid;

	if (pid <= 0)
		return false;
	if (tree_has_pid(t, pid))
		return true;
	for (int depth = 0; depth < 64 && p > 1; depth++) {
		p = parent_of(p);
		if (p <= 0)
			return false;
		if (tree_has_pid(t, p)) {
			if (t->n_pids < sizeof(t->pids) / sizeof(t->pids[0]))
				t->pids[t->n_pids++] = pid;
			return true;
		}
	}
	return false;
}

static bool tree_has_domain(const struct tree *t, uint64_t dom)
{
	for (size_t i = 0; i < t->n_domains; i++)
		if (t->domains[i] == dom)
			return true;
	return false;
}

/* ---- event output ------------------------------------------------------ */
struct out {
	FILE *json;
	enum pl_event_format format;
	const struct pl_policy *pol; /* its name, kind and namespace go in each event */
	char node[65];               /* the host's name (vArmor's nodeName) */
	uint32_t root_mnt; /* the command's mount namespace at fork, if the pid's is gone */
	bool human;        /* also a summary line on stderr */
	const struct pl_sc_profile *prof;
	char (*seen)[96]; /* observe: each allowed (comm, syscall) once */
	size_t n_seen;
	size_t n_events;
	struct pl_event *pending; /* Landlock denials of domains not known yet */
	size_t n_pending;
};

static bool seen_before(struct out *o, const struct pl_event *ev)
{
	char key[96] = { 0 };
	size_t lc = strnlen(ev->comm, 40), ls = strnlen(ev->syscall, 40);

	memcpy(key, ev->comm, lc);
	key[lc] = '/';
	memcpy(key + lc + 1, ev->syscall, ls);
	for (size_t i = 0; i < o->n_seen; i++)
		if (!strcmp(o->seen[i], key))
			return true;
	if (o->n_seen < 4096) {
		if (!o->seen)
			o->seen = calloc(4096, sizeof(*o->seen));
		if (o->seen)
			memcpy(o->seen[o->n_seen++], key, sizeof(key));
	}
	return false;
}

/* The inode of /proc/PID/ns/mnt ("mnt:[4026531841]"), 0 when unknown. */
static uint32_t mnt_ns_of(pid_t pid)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strncmp(link, "mnt:[", 5) ? 0 : (uint32_t)strtoul(link + 5, NULL, 10);
}

static void emit(struct out *o, const struct pl_event *evp)
{
	char line[768];
	char *json;
	struct pl_event e = *evp, *ev = &e;
	int r;

	if (o->pol) {
		e.policy = o->pol->name;
		e.policy_kind = pl_policy_kind_name(o->pol->kind);
		e.policy_namespace = o->pol->kind != PL_KIND_VARMOR_POLICY ? NULL
				     : o->pol->namespace_                  ? o->pol->namespace_
									   : "default";
	}
	e.node = o->node;
	if (o->format == PL_EVENT_FORMAT_VARMOR) {
		e.mnt_ns = e.pid > 0 ? mnt_ns_of((pid_t)e.pid) : 0;
		if (!e.mnt_ns)
			e.mnt_ns = o->root_mnt;
		r = pl_event_to_varmor_json(ev, &json);
	} else {
		r = pl_event_to_json(ev, &json);
	}

	if (r == 0) {
		fputs(json, o->json);
		fflush(o->json);
		free(json);
	} else {
		fprintf(stderr, "plastron run: event not written: %s\n", strerror(-r));
	}
	o->n_events++;
	if (o->human) {
		pl_event_format_human(ev, line, sizeof(line));
		fprintf(stderr, "plastron: %s\n", line);
	}
}

/*
 * The kernel writes a Landlock denial (1423) before the record that says
 * which process created the domain (1424, once per domain), so denials of
 * a domain not known yet wait here until it is.
 */
#define PENDING_MAX 64

static void handle_record(struct tree *t, struct out *o, const struct pl_audit_record *rec)
{
	struct pl_event ev;

	if (pl_event_parse(rec->type, rec->text, &ev) <= 0)
		return;
	if (ev.enforcer == PL_EVENT_LANDLOCK) {
		if (rec->type != PL_AUDIT_LANDLOCK_ACCESS) {
			/* domain status: learn the domains our tree created */
			if (strcmp(ev.status, "allocated") || !tree_member(t, ev.domain_pid) ||
			    tree_has_domain(t, ev.domain) ||
			    t->n_domains >= sizeof(t->domains) / sizeof(t->domains[0]))
				return;
			t->domains[t->n_domains++] = ev.domain;
			for (size_t i = 0; i < o->n_pending; i++)
				if (o->pending[i].domain == ev.domain)
					emit(o, &o->pending[i]);
			for (size_t i = 0; i < o->n_pending;) {
				if (o->pending[i].domain == ev.domain) {
					memmove(&o->pending[i], &o->pending[i + 1],
						(o->n_pending - i - 1) * sizeof(*o->pending));
					o->n_pending--;
				} else {
					i++;
				}
			}
			return;
		}
		snprintf(ev.rule, sizeof(ev.rule), "%s", PL_EVENT_RULE_LANDLOCK);
		if (!tree_has_domain(t, ev.domain)) {
			if (!o->pending)
				o->pending = calloc(PENDING_MAX, sizeof(*o->pending));
			if (!o->pending)
				return;
			if (o->n_pending == PENDING_MAX) {
				memmove(&o->pending[0], &o->pending[1],
					(PENDING_MAX - 1) * sizeof(*o->pending));
				o->n_pending--;
			}
			o->pending[o->n_pending++] = ev;
			return;
		}
	} else {
		bool ours =
		    (t->ses != AUDIT_SID_UNSET && ev.ses == t->ses) || tree_member(t, ev.pid);
		if (!ours)
			return;
		pl_event_set_rule_from_profile(&ev, o->prof);
		if (ev.action == PL_EVENT_ALLOWED && seen_before(o, &ev))
			return;
	}
	emit(o, &ev);
}

/* ---- signals ----------------------------------------------------------- */
static volatile pid_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_diag(const struct pl_diag *d, bool quiet)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
		char *s;
		if (quiet && e->severity == PL_SEV_NOTE)
			continue;
		s = pl_diag_format(e);
		if (s) {
			fprintf(stderr, "%s\n", s);
			free(s);
		}
	}
}

/* Child: new audit session, confine, exec. Never returns. */
static void __attribute__((noreturn))
run_child(const struct pl_confinement *c, char **cmd, int report_fd)
{
	uint32_t ses = AUDIT_SID_UNSET;
	char err[512], buf[32];
	int fd, r;
	ssize_t n;

	/* A new audit session id marks every process of this run (it is
	 * inherited and printed in each seccomp record as ses=). */
	fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		int len = snprintf(buf, sizeof(buf), "%u", (unsigned)getuid());
		if (write(fd, buf, (size_t)len) == len) {
			int sfd = open("/proc/self/sessionid", O_RDONLY | O_CLOEXEC);
			if (sfd >= 0) {
				n = read(sfd, buf, sizeof(buf) - 1);
				if (n > 0) {
					buf[n] = '\0';
					ses = (uint32_t)strtoul(buf, NULL, 10);
				}
				close(sfd);
			}
		}
		close(fd);
	}
	if (write(report_fd, &ses, sizeof(ses)) != sizeof(ses))
		_exit(PL_EXIT_APPLY_FAILED);
	close(report_fd);

	r = pl_confinement_apply(c, err, sizeof(err));
	if (r < 0) {
		dprintf(STDERR_FILENO,
			"plastron run: cannot confine the command, not running it: %s\n", err);
		_exit(PL_EXIT_APPLY_FAILED);
	}
	execvp(cmd[0], cmd);
	r = errno;
	dprintf(STDERR_FILENO, "plastron run: %s: %s\n", cmd[0], strerror(r));
	_exit(r == ENOENT ? 127 : 126);
}

enum { OPT_ALLOW_UNENFORCED = 256, OPT_SHOW_BUILTIN, OPT_EVENT_FORMAT };

int verb_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "events", required_argument, NULL, 'e' },
		{ "event-format", required_argument, NULL, OPT_EVENT_FORMAT },
		{ "allow-unenforced", no_argument, NULL, OPT_ALLOW_UNENFORCED },
		{ "quiet", no_argument, NULL, 'q' },
		{ "show-builtin-policy", no_argument, NULL, OPT_SHOW_BUILTIN },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *policy_path = NULL, *name = NULL, *events_path = NULL;
	bool allow_unenforced = false, quiet = false;
	struct pl_gen_opts gopts = { .run_mode = PL_RUN_AS_WRITTEN };
	struct pl_policy_set *set = NULL;
	const struct pl_policy *pol = NULL;
	struct pl_confinement *conf = NULL;
	struct pl_audit *audit = NULL;
	struct pl_diag d = { 0 };
	struct tree *tree = NULL;
	struct out out = { 0 };
	int report[2] = { -1, -1 };
	int ret = CLI_SYSTEM_ERROR, c, status = 0, r;
	struct pl_audit_barrier start_barrier = { 0 };
	pid_t pid;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:n:m:e:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy_path = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "enforce"))
				gopts.run_mode = PL_RUN_ENFORCE;
			else if (!strcmp(optarg, "audit"))
				gopts.run_mode = PL_RUN_AUDIT;
			else if (!strcmp(optarg, "observe"))
				gopts.run_mode = PL_RUN_OBSERVE;
			else if (!strcmp(optarg, "as-written"))
				gopts.run_mode = PL_RUN_AS_WRITTEN;
			else {
				fprintf(
				    stderr,
				    "plastron run: unknown mode '%s' (enforce, audit, observe)\n",
				    optarg);
				return CLI_USAGE;
			}
			break;
		case 'e':
			events_path = optarg;
			break;
		case OPT_EVENT_FORMAT:
			if (pl_event_format_from_name(optarg, &out.format) < 0) {
				fprintf(
				    stderr,
				    "plastron run: unknown event format '%s' (plastron, varmor)\n",
				    optarg);
				return CLI_USAGE;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_ALLOW_UNENFORCED:
			allow_unenforced = true;
			break;
		case OPT_SHOW_BUILTIN:
			fputs(builtin_policy, stdout);
			return CLI_OK;
		case 'h':
			help(stdout);
			return CLI_OK;
		default:
			help(stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "plastron run: no command given\n");
		help(stderr);
		return CLI_USAGE;
	}

	/* 1. policy */
	if (policy_path) {
		int st;
		set = cli_load_policies(policy_path, &st);
		if (!set)
			return st;
	} else {
		r = pl_policy_set_load_buffer("<built-in quickstart policy>", builtin_policy,
					      sizeof(builtin_policy) - 1, &set, &d);
		print_diag(&d, quiet);
		int st = cli_status(r, &d);
		pl_diag_clear(&d);
		if (r < 0)
			return st;
	}
	if (set->n == 0) {
		fprintf(stderr, "plastron run: %s holds no policy\n", policy_path);
		ret = CLI_POLICY_ERROR;
		goto out;
	}
	for (size_t i = 0; i < set->n; i++)
		if (!name || (set->policies[i]->name && !strcmp(set->policies[i]->name, name))) {
			if (pol && !name) {
				fprintf(
				    stderr,
				    "plastron run: %s holds %zu policies; choose one with --name\n",
				    policy_path, set->n);
				ret = CLI_USAGE;
				goto out;
			}
			pol = set->policies[i];
		}
	if (!pol) {
		fprintf(stderr, "plastron run: no policy named '%s' in %s\n", name,
			policy_path ? policy_path : "the built-in policy");
		ret = CLI_USAGE;
		goto out;
	}

	/* 2. prepare */
	r = pl_confinement_prepare(pol, &gopts, &conf, &d);
	if (r >= 0 && (conf->n_unenforced || conf->n_degraded) && !allow_unenforced)
		/* refusing: what would have been skipped is an error now */
		for (struct pl_diag_entry *e = d.head; e; e = e->next)
			if (e->severity == PL_SEV_WARNING)
				e->severity = PL_SEV_ERROR;
	print_diag(&d, quiet);
	ret = cli_status(r, &d);
	pl_diag_clear(&d);
	if (r < 0) {
		fprintf(stderr, "plastron run: cannot prepare the confinement: %s\n", strerror(-r));
		goto out;
	}
	if (conf->n_unenforced || conf->n_degraded) {
		size_t n = conf->n_unenforced + conf->n_degraded;
		if (!allow_unenforced) {
			fprintf(stderr,
				"plastron run: refusing to run: %zu rule%s or feature%s of policy "
				"'%s' cannot be enforced here (listed above); use "
				"--allow-unenforced to run without them\n",
				n, n == 1 ? "" : "s", n == 1 ? "" : "s", pol->name);
			ret = CLI_POLICY_ERROR;
			goto out;
		}
		fprintf(stderr,
			"plastron run: --allow-unenforced: running without %zu rule%s or "
			"feature%s listed above\n",
			n, n == 1 ? "" : "s", n == 1 ? "" : "s");
	}

	/* 3. events */
	if (events_path) {
		if (!strcmp(events_path, "-"))
			out.json = stdout;
		else {
			out.json = fopen(events_path, "we");
			if (!out.json) {
				fprintf(stderr, "plastron run: %s: %s\n", events_path,
					strerror(errno));
				goto out;
			}
		}
		out.human = !quiet;
	} else {
		out.json = stderr;
	}
	out.prof = conf->seccomp;
	out.pol = pol;
	if (gethostname(out.node, sizeof(out.node) - 1) < 0)
		out.node[0] = '\0';
	r = pl_audit_open(&audit, &d);
	if (r < 0) {
		fprintf(stderr, "plastron run: warning: events will not be reported: %s\n",
			d.head && d.head->message ? d.head->message : strerror(-r));
	} else if (conf->landlock_fd >= 0) {
		bool changed = false;
		r = pl_audit_prepare(&changed, &d);
		if (r < 0) {
			fprintf(
			    stderr,
			    "plastron run: warning: Landlock denials will not be reported: %s\n",
			    d.head && d.head->message ? d.head->message : strerror(-r));
		} else if (changed && !quiet) {
			fprintf(stderr, "plastron run: note: enabled kernel audit so Landlock "
					"reports denials (a task,never rule keeps syscalls as fast "
					"as before)\n");
		}
	}
	pl_diag_clear(&d);
	/* A first barrier shows whether barriers come back at all (a kernel
	 * audit filter may drop them); see the wait below. */
	if (audit)
		(void)pl_audit_barrier(&start_barrier, &d); /* comm "" on failure */
	pl_diag_clear(&d);

	/* 4. fork */
	tree = calloc(1, sizeof(*tree));
	if (!tree || pipe2(report, O_CLOEXEC) < 0) {
		fprintf(stderr, "plastron run: %s\n", strerror(errno ? errno : ENOMEM));
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "plastron run: fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(report[0]);
		run_child(conf, argv + optind, report[1]);
	}
	close(report[1]);
	report[1] = -1;
	child_pid = pid;
	tree->root = pid;
	out.root_mnt = mnt_ns_of(pid);
	tree->ses = AUDIT_SID_UNSET;
	if (read(report[0], &tree->ses, sizeof(tree->ses)) != sizeof(tree->ses))
		tree->ses = AUDIT_SID_UNSET;
	{
		struct sigaction sa = { .sa_handler = forward };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		signal(SIGINT, SIG_IGN); /* the terminal signals the child too */
		signal(SIGQUIT, SIG_IGN);
	}

	/* 5. wait, reporting */
	{
		struct pl_audit_record *rec = malloc(sizeof(*rec));
		bool exited = false, start_seen = false, end_seen = false;
		int64_t quiet_since = 0, exited_at = 0;
		struct pl_audit_barrier end_barrier = { 0 };

		if (!rec) {
			pl_audit_close(audit);
			audit = NULL;
		}
		for (;;) {
			pid_t w;
			if (!exited) {
				w = waitpid(pid, &status, WNOHANG);
				if (w == pid) {
					exited = true;
					child_pid = 0; /* reaped: forward nothing to it */
					exited_at = quiet_since = now_ms();
					/* Everything the tree logged is queued before
					 * this barrier's record. */
					if (audit && start_barrier.comm[0])
						(void)pl_audit_barrier(&end_barrier, &d);
					pl_diag_clear(&d);
				}
			}
			if (exited && (!audit || end_seen))
				break;
			if (exited && end_barrier.comm[0]) {
				/* Wait for the end barrier however late kauditd
				 * delivers: up to 10 s once the start barrier came
				 * back (barriers work), else 3 s (a filter may drop
				 * them). */
				int64_t cap = start_seen ? 10000 : 3000;
				if (now_ms() - exited_at > cap) {
					if (start_seen)
						fprintf(stderr,
							"plastron run: warning: the audit stream "
							"lagged more than %lld s; later events of "
							"this run are not reported\n",
							(long long)cap / 1000);
					else if (!quiet)
						fprintf(stderr,
							"plastron run: note: audit barrier records "
							"did not come back (an audit exclude "
							"rule?); waited %lld s for late events\n",
							(long long)cap / 1000);
					break;
				}
			} else if (exited &&
				   (now_ms() - quiet_since > 300 || now_ms() - exited_at > 3000)) {
				/* No barrier: stop after 300 ms without a record. */
				break;
			}
			if (!audit) {
				while (!exited) {
					w = waitpid(pid, &status, 0);
					if (w == pid || (w < 0 && errno != EINTR))
						exited = true;
				}
				child_pid = 0;
				break;
			}
			r = pl_audit_read(audit, rec, exited ? 50 : 100);
			if (r > 0 && pl_audit_is_barrier(rec, &end_barrier)) {
				end_seen = true;
			} else if (r > 0 && pl_audit_is_barrier(rec, &start_barrier)) {
				start_seen = true;
			} else if (r > 0) {
				handle_record(tree, &out, rec);
				if (exited)
					quiet_since = now_ms();
			} else if (r == -ENOBUFS) {
				fprintf(stderr, "plastron run: warning: audit records were lost "
						"(socket buffer overflow)\n");
				/* The end barrier may be among them: a new one. */
				if (exited && end_barrier.comm[0] &&
				    pl_audit_barrier(&end_barrier, &d) < 0)
					end_barrier.comm[0] = '\0';
				pl_diag_clear(&d);
			} else if (r < 0 && r != -EINTR) {
				fprintf(stderr, "plastron run: reading audit records: %s\n",
					strerror(-r));
				pl_audit_close(audit);
				audit = NULL;
			}
		}
		free(rec);
	}
	child_pid = 0;
	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else
		ret = CLI_SYSTEM_ERROR;

out:
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	if (out.json && out.json != stderr && out.json != stdout)
		fclose(out.json);
	free(out.seen);
	free(out.pending);
	free(tree);
	pl_audit_close(audit);
	pl_confinement_free(conf);
	pl_policy_set_free(set);
	pl_diag_clear(&d);
	return ret;
}
