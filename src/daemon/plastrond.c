/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastrond: the node agent.
 *
 * Owns the cgroup-BPF enforcer (installed once, pinned, re-adopted after a
 * restart), the policies of a directory (validated, reloaded on change; a
 * broken new version is refused and the previous one keeps enforcing), the
 * container registry (cgroup v2 id -> policy, persisted next to the control
 * socket), and one JSON-lines violation log fed by the enforcer's ring
 * buffer and the audit netlink group (seccomp, Landlock). One epoll loop
 * owns all of the agent's state; the one other thread compiles reloads
 * (reload-worker.c, which states the rule: it touches only the files it
 * was handed, never A or the enforcer).
 *
 * This file: main, options, the epoll loop, daemonising, uninstall, the
 * agent's stderr log. The rest: see agent.h.
 */
#include "agent.h"

struct agent A = { .listen_fd = -1,
		   .ino_fd = -1,
		   .sig_fd = -1,
		   .metrics_fd = -1,
		   .epfd = -1,
		   .dir_wd = -1,
		   .parent_wd = -1 };

/* ---- agent log (stderr) ------------------------------------------------- */
void say(const char *fmt, ...)
{
	va_list ap;
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s plastrond[%d]: ", ts, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void say_diag(const char *what, struct pl_diag *d)
{
	for (const struct pl_diag_entry *x = d->head; x; x = x->next) {
		char *s = pl_diag_format(x);
		if (s) {
			say("%s: %s", what, s);
			free(s);
		}
	}
}

/* First error of `d` as one line (malloc'd). */
char *diag_first(struct pl_diag *d)
{
	for (const struct pl_diag_entry *x = d->head; x; x = x->next)
		if (x->severity == PL_SEV_ERROR)
			return pl_diag_format(x);
	return strdup("unknown error");
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mkdir_parent(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	return mkdir_p(dirname(buf), 0755);
}

/* ---- sockets ------------------------------------------------------------ */
/* The servers are in control.c (control socket) and metrics.c (HTTP). */
static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void prom_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

/* The Prometheus text (served by metrics.c). */
static char *metrics_render(size_t *ret_len)
{
	char *body = NULL;
	size_t len = 0;
	struct pl_enforcer_counters cnt = { 0 };
	struct al_lost l;
	FILE *f;

	pl_enforcer_counters(A.e, &cnt);
	al_kernel_read();
	l = al_losses();
	f = open_memstream(&body, &len);
	if (!f)
		return NULL;
	fprintf(f, "# HELP plastron_events_total Violation events written to the log.\n"
		   "# TYPE plastron_events_total counter\n");
	for (size_t i = 0; i < A.n_metrics; i++) {
		fputs("plastron_events_total{rule=\"", f);
		prom_escape(f, A.metrics_v[i].rule);
		fputs("\",action=\"", f);
		prom_escape(f, A.metrics_v[i].action);
		fputs("\",enforcer=\"", f);
		prom_escape(f, A.metrics_v[i].enforcer);
		fprintf(f, "\"} %llu\n", (unsigned long long)A.metrics_v[i].n);
	}
	fprintf(f,
		"# HELP plastron_events_lost_total Events lost before the agent read them, by "
		"enforcer and cause (seccomp|landlock: an audit record, of either).\n"
		"# TYPE plastron_events_lost_total counter\n"
		"plastron_events_lost_total{enforcer=\"cgroup-bpf\",cause=\"ringbuf_full\"} %llu\n"
		"plastron_events_lost_total{enforcer=\"seccomp|landlock\","
		"cause=\"audit_socket_overflow\"} %llu\n"
		"plastron_events_lost_total{enforcer=\"seccomp|landlock\",cause=\"audit_kernel\"} "
		"%llu\n"
		"plastron_events_lost_total{enforcer=\"seccomp|landlock\",cause=\"agent_down\"} "
		"%llu\n",
		(unsigned long long)cnt.drops, (unsigned long long)l.socket,
		(unsigned long long)l.kernel, (unsigned long long)l.downtime);
	fprintf(f,
		"# HELP plastron_ringbuf_drops_total cgroup-BPF events lost because the ring "
		"buffer was full.\n# TYPE plastron_ringbuf_drops_total counter\n"
		"plastron_ringbuf_drops_total %llu\n"
		"# HELP plastron_audit_lost_total Audit records lost (socket overflow, kernel, "
		"agent down).\n"
		"# TYPE plastron_audit_lost_total counter\nplastron_audit_lost_total %llu\n"
		"# HELP plastron_bpf_matched_total cgroup-BPF rule matches.\n"
		"# TYPE plastron_bpf_matched_total counter\nplastron_bpf_matched_total %llu\n"
		"# HELP plastron_bpf_denied_total Operations refused by cgroup-BPF.\n"
		"# TYPE plastron_bpf_denied_total counter\nplastron_bpf_denied_total %llu\n"
		"# HELP plastron_containers_confined Containers registered with a policy.\n"
		"# TYPE plastron_containers_confined gauge\nplastron_containers_confined %zu\n"
		"# HELP plastron_policies_loaded Policies loaded.\n"
		"# TYPE plastron_policies_loaded gauge\nplastron_policies_loaded %zu\n",
		(unsigned long long)cnt.drops, (unsigned long long)l.total,
		(unsigned long long)cnt.matched, (unsigned long long)cnt.denied, A.n_ctrs,
		A.n_pols);
	if (fclose(f) != 0) {
		free(body);
		return NULL;
	}
	*ret_len = len;
	return body;
}

/* ---- main --------------------------------------------------------------- */
static int usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: plastrond [OPTIONS]\n\n"
		"The plastron node agent: installs (or re-adopts) the cgroup-BPF enforcer, loads\n"
		"the policies of a directory, registers containers for plastron-runtime and\n"
		"writes violation events to one JSON-lines log.\n\n"
		"Options:\n"
		"  --pin-dir DIR        bpffs directory of the enforcer (default %s)\n"
		"  --policy-dir DIR     policies (default %s)\n"
		"  --socket PATH        control socket (default %s)\n"
		"  --state FILE         registry state (default: next to the socket)\n"
		"  --log FILE           violation log (default %s)\n"
		"  --log-max-bytes N    rotate the log at N bytes (default 10485760; 0: never)\n"
		"  --log-backups N      rotated logs kept (default 3)\n"
		"  --log-format FMT     plastron (default): plastron's event schema; varmor:\n"
		"                       vArmor's violation-event schema (docs/agent.md)\n"
		"  --metrics 127.0.0.1:PORT  Prometheus text on a local HTTP endpoint\n"
		"  --annotation-namespaces NS[,NS]  Kubernetes namespaces whose pods may request\n"
		"                       a policy by annotation plastron.io/policy (\"*\": all;\n"
		"                       default: none)\n"
		"  --compile-timeout S  refuse a policy whose seccomp filter libseccomp has not\n"
		"                       compiled within S seconds (default 30)\n"
		"  --uninstall          remove every pinned object and the state, then exit\n"
		"  --foreground         do not detach\n\n"
		"Examples:\n"
		"  plastrond --foreground --metrics 127.0.0.1:9464\n"
		"  plastrond --uninstall\n",
		PL_ENFORCER_PIN_DIR, PLD_POLICY_DIR, PLD_SOCKET, PLD_LOG);
	return status;
}

static int uninstall(void)
{
	struct pl_enforcer_opts o = { .pin_dir = A.pin_dir };
	struct pl_diag d = { 0 };
	struct pl_cg_enforcer *e = NULL;
	int r = pl_enforcer_open(&o, &e, &d);

	if (r == -ENOENT && access(A.pin_dir, F_OK) < 0) {
		fprintf(stderr, "plastrond: nothing installed in %s\n", A.pin_dir);
		pl_diag_clear(&d);
		unlink(A.state);
		return 0;
	}
	if (r >= 0) {
		r = pl_enforcer_uninstall(e, &d);
	} else {
		/* Pins this build cannot open (another version, a partial
		 * install): detach and remove them all the same. */
		pl_diag_clear(&d);
		r = pl_enforcer_purge(&o, &d);
	}
	say_diag("uninstall", &d);
	pl_diag_clear(&d);
	if (r < 0)
		return 3;
	unlink(A.state);
	{
		char marks[PATH_MAX + 8];
		snprintf(marks, sizeof(marks), "%s.audit", A.state);
		unlink(marks);
	}
	fprintf(stderr, "plastrond: enforcer in %s removed\n", A.pin_dir);
	return 0;
}

static int setup_enforcer(void)
{
	struct pl_enforcer_opts o = { .pin_dir = A.pin_dir };
	struct pl_diag d = { 0 };
	int r = pl_enforcer_open(&o, &A.e, &d);

	if (r == 0) {
		int n = 0;

		A.readopted = true;
		say("re-adopted the enforcer pinned in %s (%d links)", A.pin_dir,
		    pl_enforcer_links(A.e, NULL));
		/* Programs of an older build keep running until replaced. */
		r = pl_enforcer_upgrade(A.e, &n, &d);
		if (r == 0 && n)
			say("replaced %d program set%s pinned by another build, on every link", n,
			    n == 1 ? "" : "s");
	} else if (r == -ENOENT) {
		pl_diag_clear(&d);
		r = pl_enforcer_install(&o, &A.e, &d);
		if (r == 0)
			say("installed the cgroup-BPF enforcer, pinned in %s", A.pin_dir);
	}
	if (r < 0) {
		say_diag("enforcer", &d);
		say("cannot set up the cgroup-BPF enforcer: %s", strerror(-r));
	}
	pl_diag_clear(&d);
	return r;
}

static void epoll_add(int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };
	epoll_ctl(A.epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int tag_listen, tag_ino, tag_sig, tag_metrics, tag_audit, tag_events, tag_reload;

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "policy-dir", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-max-bytes", required_argument, NULL, 'M' },
		{ "log-backups", required_argument, NULL, 'B' },
		{ "log-format", required_argument, NULL, 'F' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "annotation-namespaces", required_argument, NULL, 'N' },
		{ "compile-timeout", required_argument, NULL, 'T' },
		{ "uninstall", no_argument, NULL, 'u' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	bool do_uninstall = false, foreground = false;
	char state_buf[PATH_MAX];
	int c, ready[2] = { -1, -1 };

	A.pin_dir = PL_ENFORCER_PIN_DIR;
	A.policy_dir = PLD_POLICY_DIR;
	A.socket = PLD_SOCKET;
	A.log = PLD_LOG;
	A.log_max = 10u << 20;
	A.log_backups = 3;
	if (gethostname(A.node, sizeof(A.node) - 1) < 0)
		A.node[0] = '\0';
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			A.pin_dir = optarg;
			break;
		case 'd':
			A.policy_dir = optarg;
			break;
		case 's':
			A.socket = optarg;
			break;
		case 'S':
			A.state = optarg;
			break;
		case 'l':
			A.log = optarg;
			break;
		case 'M':
			A.log_max = strtoull(optarg, NULL, 10);
			break;
		case 'B':
			A.log_backups = atoi(optarg);
			break;
		case 'F':
			if (pl_event_format_from_name(optarg, &A.log_format) < 0) {
				fprintf(stderr,
					"plastrond: --log-format: unknown format '%s' (plastron, "
					"varmor)\n",
					optarg);
				return 2;
			}
			break;
		case 'm':
			A.metrics = optarg;
			break;
		case 'N':
			annotation_namespaces = optarg;
			break;
		case 'T': {
			char *end;
			double sec = strtod(optarg, &end);
			if (end == optarg || *end || !(sec >= 0.1 && sec <= 3600)) {
				fprintf(stderr,
					"plastrond: --compile-timeout: '%s' is not a number "
					"of seconds from 0.1 to 3600\n",
					optarg);
				return 2;
			}
			compile_timeout_ms = (unsigned)(sec * 1000);
			break;
		}
		case 'u':
			do_uninstall = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'h':
			return usage(stdout, 0);
		case 'V':
			printf("plastrond %s\n", PLASTRON_VERSION);
			return 0;
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc)
		return usage(stderr, 2);
	if (!A.state) {
		char sock[PATH_MAX];
		snprintf(sock, sizeof(sock), "%s", A.socket);
		snprintf(state_buf, sizeof(state_buf), "%s/plastrond.state.json", dirname(sock));
		A.state = state_buf;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "plastrond: must run as root\n");
		return 3;
	}
	if (do_uninstall)
		return uninstall();

	if (!foreground) {
		if (pipe2(ready, O_CLOEXEC) < 0)
			return 3;
		pid_t pid = fork();
		if (pid < 0)
			return 3;
		if (pid > 0) {
			char ok = 0;
			close(ready[1]);
			if (read(ready[0], &ok, 1) != 1)
				ok = 0;
			return ok == 1 ? 0 : 3;
		}
		close(ready[0]);
		setsid();
	}

	A.started = time(NULL);
	struct pld_doctor doc;
	pld_doctor_run(&doc);
	for (size_t i = 0; i < doc.n; i++)
		say("check %s: %s", doc.checks[i].name, doc.checks[i].detail);
	say("rules about non-inet socket families (unix, AF_ALG, packet, netlink) are carried by "
	    "seccomp on socket()/socketpair() arguments and cannot switch mode live");

	if (A.metrics) {
		/* Before anything is installed: a bad address changes nothing. */
		A.metrics_fd = mx_listen(A.metrics);
		if (A.metrics_fd < 0) {
			say("metrics on %s: %s (only 127.0.0.1:PORT)", A.metrics,
			    strerror(-A.metrics_fd));
			return 3;
		}
	}
	if (setup_enforcer() < 0)
		return 3;
	if (mkdir_parent(A.state) < 0 || mkdir_parent(A.socket) < 0)
		say("cannot create %s: %s", A.socket, strerror(errno));
	state_load();
	if (mkdir_parent(A.log) < 0 || log_open() < 0)
		say("cannot open the violation log %s: %s", A.log, strerror(errno));

	/* Containers kept from the pinned map: drop those whose cgroup is gone,
	 * re-assert the others (the map survived; this only repairs). */
	sweep();
	load_policy_dir();
	adopt_orphans();
	for (size_t i = 0; i < A.n_ctrs; i++) {
		struct policy *pol = policy_by_name(A.ctrs[i]->policy);
		struct pl_diag d = { 0 };
		if (pol && pl_enforcer_register(A.e, A.ctrs[i]->cgid, pol->id, &d) < 0)
			say_diag("re-register", &d);
		pl_diag_clear(&d);
	}
	state_save();
	if (A.readopted)
		say("resynced: %zu policies, %zu containers kept", A.n_pols, A.n_ctrs);

	struct pl_diag d = { 0 };
	bool changed = false;
	if (pl_audit_prepare(&changed, &d) < 0 || pl_audit_open(&A.audit, &d) < 0) {
		say_diag("audit", &d);
		say("no audit events: seccomp and Landlock denials apply but are not logged");
		A.audit = NULL;
	} else if (changed) {
		say("audit enabled (with a task,never rule) so that Landlock denials are reported");
	}
	pl_diag_clear(&d);
	al_open(A.state, A.audit, say);

	A.epfd = epoll_create1(EPOLL_CLOEXEC);
	A.listen_fd = listen_unix(A.socket);
	if (A.listen_fd < 0) {
		say("cannot listen on %s: %s", A.socket, strerror(-A.listen_fd));
		return 3;
	}
	epoll_add(A.listen_fd, &tag_listen);
	ctl_init(A.epfd, A.listen_fd, handle, say);
	A.ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	watch_policy_dir(false);
	if (A.ino_fd >= 0)
		epoll_add(A.ino_fd, &tag_ino);
	else
		say("cannot watch %s: %s (policies are not reloaded on change)", A.policy_dir,
		    strerror(errno));
	if (A.audit)
		epoll_add(pl_audit_fd(A.audit), &tag_audit);
	int ev_fd = pl_enforcer_events_fd(A.e, on_cg_event, NULL);
	if (ev_fd >= 0)
		epoll_add(ev_fd, &tag_events);
	else
		say("no ring-buffer fd (%s): polling every 200 ms", strerror(-ev_fd));
	if (A.metrics_fd >= 0) {
		epoll_add(A.metrics_fd, &tag_metrics);
		mx_init(A.epfd, A.metrics_fd, metrics_render);
	}
	/* From here on reloads are compiled off the control path. */
	int reload_fd = reload_worker_init();
	if (reload_fd >= 0)
		epoll_add(reload_fd, &tag_reload);
	else
		say("no eventfd (%s): reloads are compiled on the main thread",
		    strerror(-reload_fd));
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	A.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	epoll_add(A.sig_fd, &tag_sig);

	say("ready: socket %s, policies %s, log %s%s%s", A.socket, A.policy_dir, A.log,
	    A.metrics ? ", metrics http://" : "", A.metrics ? A.metrics : "");
	if (ready[1] >= 0) {
		char ok = 1;
		if (write(ready[1], &ok, 1) < 0)
			return 3;
		close(ready[1]);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			close(nul);
		}
	}

	struct timespec last_sweep;
	clock_gettime(CLOCK_MONOTONIC, &last_sweep);
	while (!A.stop) {
		struct epoll_event evs[16];
		int n = epoll_wait(A.epfd, evs, 16, ctl_busy() || reload_busy() ? 0 : 200);
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;
			if (tag == &tag_listen)
				ctl_on_listen();
			else if (tag == &tag_ino)
				on_inotify();
			else if (tag == &tag_audit)
				drain_audit();
			else if (tag == &tag_reload)
				reload_on_event();
			else if (tag == &tag_metrics)
				mx_on_listen();
			else if (tag == &tag_events)
				; /* drained below */
			else if (tag == &tag_sig) {
				struct signalfd_siginfo si;
				while (read(A.sig_fd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						say("SIGHUP: reloading %s, reopening the log",
						    A.policy_dir);
						load_policy_dir();
						log_open();
					} else {
						A.stop = true;
					}
				}
			} else {
				struct pld_io *io = tag;
				io->on(io, evs[i].events);
			}
		}
		int r = pl_enforcer_poll(A.e, on_cg_event, NULL, 0);
		if (A.logf)
			fflush(A.logf);
		if (r < 0 && r != -EINTR)
			say("ring buffer: %s", strerror(-r));
		ctl_tick(pld_now_ms());
		mx_tick(pld_now_ms());
		if (A.state_dirty)
			state_save(); /* after this turn's answers were sent */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - last_sweep.tv_sec) * 1000 +
			(now.tv_nsec - last_sweep.tv_nsec) / 1000000 >=
		    SWEEP_INTERVAL_MS) {
			sweep();
			last_sweep = now;
			if (A.events_logged != A.events_saved)
				state_save();
		}
		orphans_reap();
		reload_tick(); /* one step of a reload in progress, if any */
	}
	reload_worker_shutdown();
	state_save(); /* events_logged */
	say("stopping; enforcement stays in place (pinned in %s)", A.pin_dir);
	drain_audit();
	pl_enforcer_poll(A.e, on_cg_event, NULL, 0);
	unlink(A.socket);
	ctl_shutdown();
	mx_shutdown();
	al_save();
	pl_audit_close(A.audit);
	pl_enforcer_close(A.e);
	if (A.logf)
		fclose(A.logf);
	return 0;
}
