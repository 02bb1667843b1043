/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastrond: the node agent.
 *
 * Owns the cgroup-BPF enforcer (installed once, pinned, re-adopted after a
 * restart), the policies of a directory (validated, reloaded on change; a
 * broken new version is refused and the previous one keeps enforcing), the
 * container registry (cgroup v2 id -> policy, persisted next to the control
 * socket), and one JSON-lines violation log fed by the enforcer's ring
 * buffer and the audit netlink group (seccomp, Landlock). Single-threaded:
 * one epoll loop.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "cg-event-json.h"
#include "enforcer.h"
#include "audit-loss.h"
#include "io.h"
#include "plastron/bpf.h"
#include "plastron/bundle.h"
#include "plastron/catalog.h"
#include "plastron/enforce.h"
#include "plastron/events.h"
#include "plastron/gen.h"
#include "plastron/policy.h"
#include "shared/macro.h"

#define SWEEP_INTERVAL_MS 2000

/* Take the pointer P out of the array ARR of N pointers (N decremented), keeping the order. */
#define PTR_REMOVE(arr, n, p)                                           \
	do {                                                            \
		for (size_t i_ = 0; i_ < (n); i_++)                     \
			if ((arr)[i_] == (p)) {                         \
				memmove(&(arr)[i_], &(arr)[i_ + 1],     \
					((n)-i_ - 1) * sizeof(*(arr))); \
				(n)--;                                  \
				break;                                  \
			}                                               \
	} while (0)

struct pfile {
	char *path;
	struct pl_policy_set *set;
	bool watched; /* from the policy directory (vs. `plastron attach --policy FILE`) */
	char *source; /* text of the version in force (handed to plastron-runtime) */
	size_t source_len;
	char *error; /* last refused version's first error, NULL when none */
	bool gone;   /* a ghost: the last version of a file that went, kept for orphans */
	bool dup;    /* refused because a policy name belongs to another file */
	unsigned dup_gen;
};

struct policy {
	char *name;
	uint32_t id;
	struct pfile *file;
	const struct pl_policy *p;
	struct pl_sc_profile *prof; /* for naming seccomp rules in events */
	char *sc_bpf_hex;           /* the filter compiled once by libseccomp, hex */
	size_t n_bpf_entries;
	bool observe;   /* mode set as "observe" (cgroup-bpf: audit) */
	bool loaded;    /* present in the enforcer */
	size_t n_rules; /* rule_weight of the version in force */
	bool mark;
	json_t *unenforced; /* rules accepted unenforced (allowUnenforced), or NULL */
	/* The confinement bundle of this version, compiled on the first
	 * container start that asks for it (policy_bundle); freed whenever the
	 * version changes. */
	struct pl_bundle *bundle;
};

struct container {
	uint64_t cgid;
	char *cgroup; /* v2 path relative to the mount, "/docker/abc" */
	char *policy; /* policy name */
	char *id, *name;
	char *pod, *ns, *cname;
	json_t *annotations;
};

struct metric {
	char *rule, *action, *enforcer;
	uint64_t n;
};

struct domain {
	uint64_t domain;
	uint64_t cgid;
};

static struct {
	const char *pin_dir, *policy_dir, *socket, *log, *state, *metrics;
	uint64_t log_max;
	int log_backups;
	struct pl_cg_enforcer *e;
	struct pl_audit *audit;
	int epfd, listen_fd, ino_fd, sig_fd, metrics_fd;
	struct pfile **files;
	size_t n_files;
	struct policy **pols;
	size_t n_pols;
	struct container **ctrs;
	size_t n_ctrs;
	struct metric *metrics_v;
	size_t n_metrics;
	struct domain domains[256];
	size_t n_domains;
	json_t *saved_ids; /* name -> {id, observe} from the state file */
	FILE *logf;
	uint64_t log_size;
	uint64_t events_logged, audit_lost, audit_errors, unattributed;
	time_t started;
	bool readopted;
	volatile bool stop;
	int dir_wd, parent_wd; /* inotify: the policy directory, its parent */
	size_t n_orphans;      /* policies kept for containers after their file went */
	uint64_t events_saved; /* events_logged as last written to the state file */
} A = { .listen_fd = -1,
	.ino_fd = -1,
	.sig_fd = -1,
	.metrics_fd = -1,
	.epfd = -1,
	.dir_wd = -1,
	.parent_wd = -1 };

/* ---- agent log (stderr) ------------------------------------------------- */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
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

static void say_diag(const char *what, struct pl_diag *d)
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
static char *diag_first(struct pl_diag *d)
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

/* ---- lookups ------------------------------------------------------------ */
static struct policy *policy_by_name(const char *name)
{
	for (size_t i = 0; i < A.n_pols; i++)
		if (!strcmp(A.pols[i]->name, name))
			return A.pols[i];
	/* "namespace/name" */
	const char *slash = strchr(name, '/');
	if (slash)
		for (size_t i = 0; i < A.n_pols; i++)
			if (!strcmp(A.pols[i]->name, slash + 1) && A.pols[i]->p &&
			    A.pols[i]->p->namespace_ &&
			    strlen(A.pols[i]->p->namespace_) == (size_t)(slash - name) &&
			    !strncmp(A.pols[i]->p->namespace_, name, (size_t)(slash - name)))
				return A.pols[i];
	return NULL;
}

static struct policy *policy_by_id(uint32_t id)
{
	for (size_t i = 0; i < A.n_pols; i++)
		if (A.pols[i]->id == id)
			return A.pols[i];
	return NULL;
}

static struct container *container_by_cgid(uint64_t id)
{
	for (size_t i = 0; i < A.n_ctrs; i++)
		if (A.ctrs[i]->cgid == id)
			return A.ctrs[i];
	return NULL;
}

/* The registered container whose cgroup is `path` or an ancestor of it. */
static struct container *container_by_path(const char *path)
{
	struct container *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < A.n_ctrs; i++) {
		size_t n = strlen(A.ctrs[i]->cgroup);
		if (strncmp(path, A.ctrs[i]->cgroup, n) || (path[n] != 0 && path[n] != '/'))
			continue;
		if (n >= best_len) {
			best = A.ctrs[i];
			best_len = n;
		}
	}
	return best;
}

/* Pids seen in containers (the registered init pid, event pids), so that
 * an audit record of a process that exited meanwhile is still attributed. */
static struct {
	int pid;
	uint64_t cgid;
} known_pids[1024];
static size_t n_known, known_next;

static void pid_remember(int pid, uint64_t cgid)
{
	for (size_t i = 0; i < n_known; i++)
		if (known_pids[i].pid == pid) {
			known_pids[i].cgid = cgid;
			return;
		}
	size_t slot = n_known < PL_ARRAY_SIZE(known_pids)
			  ? n_known++
			  : known_next++ % PL_ARRAY_SIZE(known_pids);
	known_pids[slot].pid = pid;
	known_pids[slot].cgid = cgid;
}

static struct container *container_by_pid(int pid)
{
	char path[PATH_MAX];
	struct container *c = NULL;

	if (pid <= 0)
		return NULL;
	if (pld_pid_cgroup(pid, path, sizeof(path)) == 0)
		c = container_by_path(path);
	if (c) {
		pid_remember(pid, c->cgid);
		return c;
	}
	for (size_t i = 0; i < n_known; i++)
		if (known_pids[i].pid == pid)
			return container_by_cgid(known_pids[i].cgid);
	return NULL;
}

/* ---- state file --------------------------------------------------------- */
static bool policy_orphaned(const struct policy *pol);

static void state_save(void)
{
	json_t *root = json_object(), *pols = json_object(), *ctrs = json_array();
	char tmp[PATH_MAX];

	/* "file": the owner of the name (duplicates resolve the same way after
	 * a restart); "orphaned": kept for containers after the file went. */
	for (size_t i = 0; i < A.n_pols; i++)
		json_object_set_new(pols, A.pols[i]->name,
				    json_pack("{s:I,s:b,s:s?,s:b}", "id", (json_int_t)A.pols[i]->id,
					      "observe", A.pols[i]->observe, "file",
					      A.pols[i]->file ? A.pols[i]->file->path : NULL,
					      "orphaned", policy_orphaned(A.pols[i])));
	/* Ids of policies that went away stay reserved while a container uses them. */
	const char *k;
	json_t *v;
	json_object_foreach(A.saved_ids, k, v)
	{
		if (!json_object_get(pols, k))
			json_object_set(pols, k, v);
	}
	for (size_t i = 0; i < A.n_ctrs; i++) {
		struct container *c = A.ctrs[i];
		json_array_append_new(ctrs, json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:O?}", "cgroup_id",
						      (json_int_t)c->cgid, "cgroup", c->cgroup,
						      "policy", c->policy, "id", c->id, "name",
						      c->name, "annotations", c->annotations));
	}
	json_object_set_new(root, "policies", pols);
	json_object_set_new(root, "containers", ctrs);
	json_object_set_new(root, "events_logged", json_integer((json_int_t)A.events_logged));
	snprintf(tmp, sizeof(tmp), "%s.tmp", A.state);
	/* Mode 0600 (it holds container ids and annotations), also when a
	 * file with another mode was there. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || json_dumpfd(root, fd, JSON_INDENT(1)) < 0 ||
	    close(PL_TAKE_FD(fd)) < 0 || rename(tmp, A.state) < 0)
		say("cannot write state %s: %s", A.state, strerror(errno));
	else
		A.events_saved = A.events_logged;
	if (fd >= 0)
		close(fd);
	json_decref(root);
}

/* ---- violation log ------------------------------------------------------ */
static int log_open(void)
{
	struct stat st;

	if (A.logf)
		fclose(A.logf);
	A.logf = fopen(A.log, "ae");
	if (!A.logf)
		return -errno;
	setvbuf(A.logf, NULL, _IOFBF, 1 << 16);
	A.log_size = fstat(fileno(A.logf), &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static void *unlink_thread(void *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		say("remove %s: %s", (char *)path, strerror(errno));
	free(path);
	return NULL;
}

/* Remove `path` without waiting: dropping the last link of a 10 MiB log
 * frees its page cache in the caller, 3-12 ms here, while the ring buffer
 * holds ~7 ms of events at 600,000/s. Renamed aside at once, unlinked by a
 * detached thread (or here, if no thread can be started). */
static void unlink_later(const char *path)
{
	static unsigned seq;
	char aside[PATH_MAX + 32];
	pthread_attr_t attr;
	pthread_t t;
	char *p;

	snprintf(aside, sizeof(aside), "%s.removing-%u-%u", path, (unsigned)getpid(), seq++);
	if (rename(path, aside) < 0) {
		if (errno != ENOENT)
			say("rotate %s: %s", path, strerror(errno));
		return;
	}
	p = strdup(aside);
	if (p && pthread_attr_init(&attr) == 0) {
		int r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)
			    ?: pthread_create(&t, &attr, unlink_thread, p);

		pthread_attr_destroy(&attr);
		if (r == 0)
			return;
	}
	if (unlink(aside) < 0)
		say("remove %s: %s", aside, strerror(errno));
	free(p);
}

static void log_rotate(void)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (A.log_backups > 0) {
		snprintf(to, sizeof(to), "%s.%d", A.log, A.log_backups);
		unlink_later(to); /* the oldest backup */
	} else {
		unlink_later(A.log); /* instead of truncating it in place */
	}
	for (int i = A.log_backups; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", A.log);
		else
			snprintf(from, sizeof(from), "%s.%d", A.log, i - 1);
		snprintf(to, sizeof(to), "%s.%d", A.log, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			say("rotate %s: %s", from, strerror(errno));
	}
	if (log_open() < 0)
		say("cannot reopen %s: %s", A.log, strerror(errno));
}

static void metric_count(const char *rule, const char *action, const char *enforcer)
{
	for (size_t i = 0; i < A.n_metrics; i++) {
		struct metric *m = &A.metrics_v[i];
		if (!strcmp(m->rule, rule) && !strcmp(m->action, action) &&
		    !strcmp(m->enforcer, enforcer)) {
			m->n++;
			return;
		}
	}
	struct metric *v = realloc(A.metrics_v, (A.n_metrics + 1) * sizeof(*v));
	if (!v)
		return;
	A.metrics_v = v;
	v[A.n_metrics++] = (struct metric){ strdup(rule), strdup(action), strdup(enforcer), 1 };
}

static void iso_time(int64_t ms, char *buf, size_t len)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char b[32];

	gmtime_r(&s, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", b, (int)(ms % 1000));
}

/* Append one complete line (with its '\n') to the log, rotating first when
 * it would pass the size limit. The log is fully buffered: callers flush
 * after a batch (log_event per line, the ring-buffer path per poll). */
static void log_line(const char *line, size_t n)
{
	if (A.logf) {
		if (A.log_max && A.log_size + n > A.log_max)
			log_rotate();
		if (A.logf && fwrite(line, 1, n, A.logf) == n)
			A.log_size += n;
	}
	A.events_logged++;
}

static const char *ann(json_t *a, const char *key);

/* Write one event: `o` gets the container fields and is consumed. */
static void log_event(json_t *o, struct container *c, int64_t time_ms)
{
	char ts[48];

	iso_time(time_ms, ts, sizeof(ts));
	json_object_set_new(o, "time", json_string(ts));
	if (c) {
		json_object_set_new(o, "container_id", json_string(c->id ? c->id : ""));
		json_object_set_new(o, "container_name", json_string(c->name ? c->name : ""));
		if (c->pod)
			json_object_set_new(o, "pod", json_string(c->pod));
		if (c->ns)
			json_object_set_new(o, "namespace", json_string(c->ns));
		if (c->cname)
			json_object_set_new(o, "container", json_string(c->cname));
		json_object_set_new(o, "cgroup", json_string(c->cgroup));
		if (!json_object_get(o, "policy"))
			json_object_set_new(o, "policy", json_string(c->policy));
		/* The bundle the container started with (the shim's annotation). */
		const char *bh = ann(c->annotations, "plastron.io/bundle-hash");
		if (bh && !json_object_get(o, "policy_hash"))
			json_object_set_new(o, "policy_hash", json_string(bh));
	}
	metric_count(json_string_value(json_object_get(o, "rule")) ?: "",
		     json_string_value(json_object_get(o, "action")) ?: "",
		     json_string_value(json_object_get(o, "enforcer")) ?: "");
	char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!line)
		return;
	size_t n = strlen(line);
	line[n] = '\n'; /* the NUL is not written */
	log_line(line, n + 1);
	free(line);
	if (A.logf)
		fflush(A.logf);
}

/* ---- enforcer events ---------------------------------------------------- */
/* One line per event, formatted by hand (src/agent/cg-event-json.c: the
 * bytes jansson would write, ~8x faster); flushed after each poll. */
static int on_cg_event(void *userdata, const struct pl_cg_event *ev)
{
	static struct pl_cg_event_json x; /* keeps the formatted second */
	struct timespec mono, real;
	struct container *c = container_by_cgid(ev->cgroup_id);
	struct policy *pol = policy_by_id(ev->policy);
	char buf[2048], *line = buf;
	size_t n;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	int64_t now_mono = (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec;
	int64_t now_real = (int64_t)real.tv_sec * 1000 + real.tv_nsec / 1000000;

	if (!c)
		c = container_by_pid((int)ev->pid);
	else
		pid_remember((int)ev->pid, c->cgid);
	x.time_ms = now_real - (now_mono - (int64_t)ev->ts_ns) / 1000000;
	x.policy = pol ? pol->name : c ? c->policy : NULL;
	x.mode = pol && pol->observe && ev->mode == PL_CG_MODE_AUDIT
		     ? "observe"
		     : pl_bpf_mode_name((enum pl_bpf_mode)ev->mode);
	x.container_id = c ? (c->id ? c->id : "") : NULL;
	x.container_name = c && c->name ? c->name : "";
	x.pod = c ? c->pod : NULL;
	x.ns = c ? c->ns : NULL;
	x.container = c ? c->cname : NULL;
	x.cgroup = c ? c->cgroup : NULL;
	x.policy_hash = c ? ann(c->annotations, "plastron.io/bundle-hash") : NULL;
	n = pl_cg_event_json(ev, &x, buf, sizeof(buf));
	if (n >= sizeof(buf)) {
		line = malloc(n + 1);
		if (!line || pl_cg_event_json(ev, &x, line, n + 1) != n) {
			say("cgroup-BPF event: out of memory, event of pid %u not logged", ev->pid);
			free(line);
			return 0;
		}
	}
	if (!c)
		A.unattributed++;
	{
		char rule[sizeof(ev->rule_name) + 1];

		memcpy(rule, ev->rule_name, sizeof(ev->rule_name));
		rule[sizeof(ev->rule_name)] = '\0';
		metric_count(rule, ev->action == PL_CG_ALLOW_LOG ? "AUDIT" : "DENIED",
			     "cgroup-bpf");
	}
	log_line(line, n);
	if (line != buf)
		free(line);
	return 0;
}

/* ---- audit events (seccomp, Landlock) ----------------------------------- */
static void domain_remember(uint64_t domain, uint64_t cgid)
{
	size_t slot =
	    A.n_domains < PL_ARRAY_SIZE(A.domains) ? A.n_domains++ : (size_t)(domain % A.n_domains);
	A.domains[slot] = (struct domain){ domain, cgid };
}

static struct container *container_by_domain(uint64_t domain)
{
	for (size_t i = 0; i < A.n_domains; i++)
		if (A.domains[i].domain == domain)
			return container_by_cgid(A.domains[i].cgid);
	return NULL;
}

/*
 * Audit records of seccomp carry the syscall but not its arguments: when
 * several rules of the profile act on the same syscall (socket() for
 * disable-icmp and copy-fail-mitigation), every candidate is named,
 * joined by '|', and "rule_ambiguous" is set. Never a guess.
 */
static void seccomp_candidates(const struct pl_sc_profile *prof, const char *syscall, char *rule,
			       size_t len, json_t *o)
{
	char buf[256] = "";
	size_t n = 0;

	for (size_t i = 0; i < prof->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &prof->syscalls[i];
		if (!sc->origin || sc->action == PL_SC_ACT_ALLOW)
			continue;
		bool hit = false;
		for (size_t j = 0; j < sc->n_names && !hit; j++)
			hit = !strcmp(sc->names[j], syscall);
		if (!hit)
			continue;
		/* distinct origins only */
		char probe[160];
		snprintf(probe, sizeof(probe), "|%s|", sc->origin);
		char wrapped[260];
		snprintf(wrapped, sizeof(wrapped), "|%s|", buf);
		if (strstr(wrapped, probe))
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "|" : "", sc->origin);
		n++;
	}
	if (n > 1) {
		snprintf(rule, len, "%s", buf);
		json_object_set_new(o, "rule_ambiguous", json_true());
	}
}

static void log_audit_event(struct pl_event *evp, struct container *c);

/* Landlock denials waiting for their domain's "allocated" record. */
static struct pl_event pending[32];
static size_t n_pending;

static void on_audit_record(const struct pl_audit_record *rec)
{
	struct pl_event ev;
	struct container *c = NULL;

	if (pl_event_parse(rec->type, rec->text, &ev) != 1)
		return;
	if (ev.enforcer == PL_EVENT_LANDLOCK && ev.status[0]) {
		/* Domain status: remember which container created it, then log
		 * the denials that arrived before (the kernel writes the first
		 * denial, then "allocated"). */
		if (!strcmp(ev.status, "allocated")) {
			c = container_by_pid(ev.domain_pid ? ev.domain_pid : ev.pid);
			if (c)
				domain_remember(ev.domain, c->cgid);
		}
		for (size_t i = 0; i < n_pending;) {
			if (pending[i].domain != ev.domain) {
				i++;
				continue;
			}
			struct pl_event p = pending[i];
			pending[i] = pending[--n_pending];
			if (c)
				log_audit_event(&p, c);
		}
		return;
	}
	c = ev.pid ? container_by_pid(ev.pid) : NULL;
	if (!c && ev.enforcer == PL_EVENT_LANDLOCK) {
		c = container_by_domain(ev.domain);
		if (!c) {
			if (n_pending < PL_ARRAY_SIZE(pending))
				pending[n_pending++] = ev;
			return;
		}
	}
	if (!c)
		return; /* not a container of ours */
	log_audit_event(&ev, c);
}

/* One seccomp or Landlock event of container `c`. */
static void log_audit_event(struct pl_event *evp, struct container *c)
{
	struct pl_event ev = *evp;
	struct policy *pol;
	pol = policy_by_name(c->policy);
	if (ev.enforcer == PL_EVENT_SECCOMP && pol && pol->prof)
		pl_event_set_rule_from_profile(&ev, pol->prof);
	if (ev.enforcer == PL_EVENT_LANDLOCK && !ev.rule[0])
		snprintf(ev.rule, sizeof(ev.rule), "spec.plastron.landlock");

	json_t *o = json_object();
	json_object_set_new(o, "enforcer", json_string(pl_enforcer_kind_name(ev.enforcer)));
	json_object_set_new(o, "action", json_string(pl_event_action_name(ev.action)));
	if (ev.enforcer == PL_EVENT_SECCOMP && pol && pol->prof && ev.syscall[0] &&
	    ev.action != PL_EVENT_ALLOWED)
		seccomp_candidates(pol->prof, ev.syscall, ev.rule, sizeof(ev.rule), o);
	json_object_set_new(o, "rule", json_string(ev.rule));
	if (ev.syscall[0])
		json_object_set_new(o, "syscall", json_string(ev.syscall));
	if (ev.path[0])
		json_object_set_new(o, "path", json_string(ev.path));
	if (ev.object[0])
		json_object_set_new(o, "address", json_string(ev.object));
	if (ev.blockers[0])
		json_object_set_new(o, "blockers", json_string(ev.blockers));
	if (ev.pid)
		json_object_set_new(o, "pid", json_integer(ev.pid));
	json_object_set_new(o, "comm", json_string(ev.comm));
	if (ev.exe[0])
		json_object_set_new(o, "exe", json_string(ev.exe));
	json_object_set_new(o, "cgroup_id", json_integer((json_int_t)c->cgid));
	log_event(o, c, ev.time_ms);
}

static void drain_audit(void)
{
	struct pl_audit_record rec;
	uint64_t before = al_records();
	int r;

	if (!A.audit)
		return;
	for (int i = 0; i < 4096; i++) {
		r = pl_audit_read(A.audit, &rec, 0);
		if (r == 0)
			break;
		if (r == -ENOBUFS) {
			/* How many: the socket's drop counter (audit_socket_drops). */
			if (A.audit_lost++ % 100 == 0)
				say("audit records lost (the socket's queue overflowed); counted "
				    "in plastron_events_lost_total");
			continue;
		}
		if (r < 0) {
			A.audit_errors++;
			break;
		}
		al_record(&rec);
		on_audit_record(&rec);
	}
	if (al_records() != before)
		al_save();
}

/* ---- policies ----------------------------------------------------------- */
struct built {
	const struct pl_policy *p;
	struct pl_bpf_tables *t;
	struct pl_sc_profile *prof;
	char *sc_bpf_hex;
	json_t *unenforced;
};

/*
 * Compile the seccomp filter once per policy version (libseccomp's export)
 * so that plastron-init only loads it: compiling a large profile for three
 * architectures takes most of a second, which would otherwise be paid at
 * every container start.
 */
static int seccomp_bpf_hex(const struct pl_sc_profile *prof, char **ret, struct pl_diag *d)
{
	_cleanup_close_ int fd = memfd_create("plastron-seccomp", MFD_CLOEXEC);
	struct stat st;
	unsigned char *buf;
	char *hex;
	int r;

	if (fd < 0)
		return pl_error(d, -errno, NULL, NULL, "memfd_create: %s", strerror(errno));
	r = pl_sc_profile_export_bpf(prof, fd, d);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (1 << 22))
		return pl_error(d, -EIO, NULL, NULL, "exported seccomp filter has no size");
	buf = malloc((size_t)st.st_size);
	hex = malloc((size_t)st.st_size * 2 + 1);
	if (!buf || !hex || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		free(hex);
		return pl_error(d, -EIO, NULL, NULL, "reading the exported seccomp filter failed");
	}
	for (off_t i = 0; i < st.st_size; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	free(buf);
	*ret = hex;
	return 0;
}

static bool policy_file_name(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return false;
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	if (m) {
		char chunk[8192];
		size_t k;
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, k, m);
		fclose(m);
	}
	fclose(f);
	*ret_len = len;
	return buf;
}

/* Names whose lifetime must exceed any policy set (diagnostic positions). */
static const char *intern(const char *s)
{
	static char **v;
	static size_t n;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return v[i];
	char **nv = realloc(v, (n + 1) * sizeof(*nv));
	if (!nv)
		return s;
	v = nv;
	v[n] = strdup(s);
	return v[n] ? v[n++] : s;
}

static void release_replaced(void);
static void retry_duplicates(void);
static unsigned batch_gen;

/* The record of a file in force (or refused); ghosts (the last version of a
 * deleted file, kept for the orphans that still use it) are not found. */
static struct pfile *pfile_find(const char *path)
{
	for (size_t i = 0; i < A.n_files; i++)
		if (!A.files[i]->gone && !strcmp(A.files[i]->path, path))
			return A.files[i];
	return NULL;
}

static void pfile_free(struct pfile *pf)
{
	if (!pf)
		return;
	pl_policy_set_free(pf->set);
	free(pf->error);
	free(pf->path);
	free(pf->source);
	free(pf);
}

/* Containers registered with policy `pol`. */
static size_t policy_users(const struct policy *pol)
{
	size_t n = 0;
	for (size_t i = 0; i < A.n_ctrs; i++)
		n += !strcmp(A.ctrs[i]->policy, pol->name);
	return n;
}

static bool policy_orphaned(const struct policy *pol)
{
	return !pol->file || pol->file->gone;
}

static void policy_drop(struct policy *pol)
{
	struct pl_diag d = { 0 };
	if (pol->loaded && pl_enforcer_remove_policy(A.e, pol->id, &d) < 0)
		say_diag("remove policy", &d);
	pl_diag_clear(&d);
	PTR_REMOVE(A.pols, A.n_pols, pol);
	pl_bundle_free(pol->bundle);
	json_decref(pol->unenforced);
	pl_sc_profile_free(pol->prof);
	free(pol->sc_bpf_hex);
	free(pol->name);
	free(pol);
}

/* Ghost files no policy points to any more go. */
static void ghosts_free(void)
{
	for (size_t i = 0; i < A.n_files;) {
		struct pfile *pf = A.files[i];
		bool used = false;
		for (size_t j = 0; pf->gone && j < A.n_pols && !used; j++)
			used = A.pols[j]->file == pf;
		if (pf->gone && !used) {
			PTR_REMOVE(A.files, A.n_files, pf);
			pfile_free(pf);
			continue;
		}
		i++;
	}
}

/* Orphaned policies that no container uses any more are dropped. */
static void orphans_reap(void)
{
	bool changed = false;

	if (!A.n_orphans)
		return;
	A.n_orphans = 0;
	for (size_t i = 0; i < A.n_pols;) {
		struct policy *pol = A.pols[i];
		if (!policy_orphaned(pol)) {
			i++;
			continue;
		}
		size_t n = policy_users(pol);
		if (n) {
			A.n_orphans++;
			i++;
			continue;
		}
		say("policy %s (id %u) dropped: its file is gone and no container uses it any more",
		    pol->name, pol->id);
		policy_drop(pol);
		changed = true;
	}
	if (changed) {
		ghosts_free();
		release_replaced();
		state_save();
	}
}

/* A rough size of a policy version, to see a file written in place shrink:
 * its built-in rules, raw seccomp and cgroup-BPF entries, Landlock paths. */
static size_t rule_weight(const struct pl_policy *p, const struct pl_bpf_tables *t,
			  const struct pl_sc_profile *prof)
{
	return p->enhance.n_rules + p->landlock.n_paths + (prof ? prof->n_syscalls : 0) +
	       (t ? t->n_sock + t->n_egress + t->n_sysctl + t->n_dev : 0);
}

/* ---- reload batches ------------------------------------------------------ */
/*
 * A reload is a batch of files (one `plastron attach --policy FILE`, the
 * start-up scan, SIGHUP, or one read of inotify events). Each file is
 * validated and compiled on its own: a file that does not is refused and
 * its previous version keeps enforcing. The files that pass are applied as
 * one transaction: staged in the enforcer (pl_enforcer_txn_*), every
 * allocation of plastrond's own tables done before the switch, then
 * switched; a failure anywhere leaves every policy of every file of the
 * batch on its previous version, and those files are refused with that
 * error. See docs/agent.md, "Policy lifecycle".
 */
struct change {
	char *path;
	bool watched;
	bool removed;  /* deleted or moved away */
	bool in_place; /* written in place (IN_CLOSE_WRITE): must not shrink */
	char *source;
	size_t source_len;
	struct pl_policy_set *set;
	struct built *b;
	size_t nb; /* entries of b */
	struct pl_diag d;
	char *err; /* refused: the first error */
	int r;
	bool dup; /* refused because a name belongs to another file */
	struct pfile *pf, *new_pf, *ghost;
	struct policy **fresh; /* new policies, one per set entry (or NULL) */
};

#ifdef PLD_FAULT_INJECTION
/* Test builds only (plastrond-fault, never installed): $PLD_FAULT_FILE
 * holds k; step k of each reload batch fails (steps: "prepare FILE", then
 * the enforcer's "stage ID" and "switch ID"), each step logged. */
static int fault_k, fault_n;

static int fault_step(const char *what)
{
	fault_n++;
	say("fault injection: step %d: %s%s", fault_n, what, fault_n == fault_k ? " (fails)" : "");
	return fault_n == fault_k ? -EIO : 0;
}

static void fault_arm(void)
{
	const char *f = getenv("PLD_FAULT_FILE");
	FILE *fp = f ? fopen(f, "re") : NULL;

	fault_k = 0;
	fault_n = 0;
	if (fp) {
		if (fscanf(fp, "%d", &fault_k) != 1)
			fault_k = 0;
		fclose(fp);
	}
	pl_enforcer_fault_hook = fault_step;
}
#define FAULT(what) fault_step(what)
#else
#define fault_arm() ((void)0)
#define FAULT(what) 0
#endif

static void change_refuse(struct change *c, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void change_refuse(struct change *c, int r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pl_error(&c->d, r, NULL, NULL, "%s", buf);
	c->r = r;
}

static void built_free(struct change *c)
{
	for (size_t i = 0; c->b && i < c->nb; i++) {
		pl_bpf_tables_free(c->b[i].t);
		pl_sc_profile_free(c->b[i].prof);
		free(c->b[i].sc_bpf_hex);
		json_decref(c->b[i].unenforced);
	}
	free(c->b);
	c->b = NULL;
}

/*
 * Compiling a filter (libseccomp, three architectures) was ~80% of loading
 * a file of 1,000 policies. Policies often share a profile: filters are
 * kept by the profile's OCI JSON (which holds all of it), the last 64.
 */
static int seccomp_bpf_cached(const struct pl_sc_profile *prof, char **ret, struct pl_diag *d)
{
	static struct {
		char *json, *hex;
	} cache[64];
	static unsigned next;
	char *json = NULL;
	int r;

	if (pl_sc_profile_to_json(prof, &json, NULL) < 0)
		return seccomp_bpf_hex(prof, ret, d);
	for (size_t i = 0; i < PL_ARRAY_SIZE(cache); i++)
		if (cache[i].json && !strcmp(cache[i].json, json)) {
			free(json);
			*ret = strdup(cache[i].hex);
			return *ret ? 0 : pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		}
	r = seccomp_bpf_hex(prof, ret, d);
	if (r < 0) {
		free(json);
		return r;
	}
	char *hex = strdup(*ret);
	if (!hex) {
		free(json);
		return 0;
	}
	unsigned k = next++ % PL_ARRAY_SIZE(cache);
	free(cache[k].json);
	free(cache[k].hex);
	cache[k].json = json;
	cache[k].hex = hex;
	return 0;
}

/* The mechanisms of a container confined through the agent: seccomp,
 * capabilities and Landlock (plastron-runtime, plastron-init), cgroup-BPF. */
#define PLD_MECHS (PL_RUN_MECHS | (1u << PL_MECH_CGROUP_BPF))

static void unenforced_one(struct pl_diag *d, bool allowed, json_t *list, const struct pl_pos *pos,
			   const char *field, const char *what, const char *needs)
{
	/* plastron run's wording, with the agent's mechanisms */
	if (allowed)
		pl_warning(d, pos, field,
			   "%s is not enforced by seccomp, capabilities, Landlock or cgroup-BPF "
			   "(needs %s); accepted: spec.plastron.allowUnenforced",
			   what, needs);
	else
		pl_error(d, -EOPNOTSUPP, pos, field,
			 "%s is not enforced by seccomp, capabilities, Landlock or cgroup-BPF "
			 "(needs %s); set spec.plastron.allowUnenforced: true to load it anyway",
			 what, needs);
	json_array_append_new(list, json_string(what));
}

/*
 * Rules of `p` that no mechanism of an agent-confined container carries
 * (the planning of `plastron run`, pl_plan_build, with the agent's
 * mechanisms; raw rules that only AppArmor or BPF-LSM could carry): an
 * error each, unless the policy opts in with spec.plastron.allowUnenforced,
 * then a warning each and their list in *ret (for status).
 */
static int unenforced_rules(const struct pl_policy *p, json_t **ret, struct pl_diag *d)
{
	const struct pl_enhance *e = &p->enhance;
	const struct pl_bpf_raw *b = &e->bpf;
	struct pl_plan *plan = NULL;
	bool ok = p->allow_unenforced;
	json_t *list = json_array();
	char what[200];
	size_t errors = d->n_errors;
	int r;

	*ret = NULL;
	if (!list)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	r = pl_plan_build(p, PLD_MECHS, &plan, d);
	if (r < 0) {
		json_decref(list);
		return r;
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct pl_plan_item *it = &plan->items[i];
		const struct pl_rule *rule = it->use->rule;
		char needs[120] = "";
		if (it->enforced)
			continue;
		for (size_t k = 0; rule && k < rule->n_tr; k++) {
			const char *m = rule->tr[k].mech == PL_MECH_APPARMOR  ? "AppArmor"
					: rule->tr[k].mech == PL_MECH_BPF_LSM ? "BPF-LSM"
									      : NULL;
			if (m && !strstr(needs, m))
				snprintf(needs + strlen(needs), sizeof(needs) - strlen(needs),
					 "%s%s", needs[0] ? ", " : "", m);
		}
		snprintf(what, sizeof(what), "rule '%s'", rule ? rule->id : it->use->written);
		unenforced_one(d, ok, list, &it->use->pos, "spec.policy.enhanceProtect", what,
			       needs[0] ? needs : "no mechanism yet");
	}
	pl_plan_free(plan);
	for (size_t i = 0; i < e->n_apparmor_raw; i++)
		unenforced_one(d, ok, list, &e->apparmor_raw[i].pos,
			       "spec.policy.enhanceProtect.appArmorRawRules",
			       "appArmorRawRules entry", "AppArmor");
	for (size_t i = 0; i < b->n_files; i++) {
		snprintf(what, sizeof(what), "bpfRawRules %s rule '%s'",
			 b->files[i].from_processes ? "processes" : "files", b->files[i].pattern);
		unenforced_one(d, ok, list, &b->files[i].pos,
			       "spec.policy.enhanceProtect.bpfRawRules", what, "BPF-LSM");
	}
	if (b->ptrace.present)
		unenforced_one(d, ok, list, &b->ptrace.pos,
			       "spec.policy.enhanceProtect.bpfRawRules.ptrace",
			       "bpfRawRules ptrace rule", "BPF-LSM or AppArmor");
	for (size_t i = 0; i < b->n_mounts; i++)
		unenforced_one(d, ok, list, &b->mounts[i].pos,
			       "spec.policy.enhanceProtect.bpfRawRules.mounts",
			       "bpfRawRules mount rule", "BPF-LSM");
	if (e->has_network_proxy_raw)
		unenforced_one(d, ok, list, &p->pos,
			       "spec.policy.enhanceProtect.networkProxyRawRules",
			       "networkProxyRawRules", "a network proxy (not part of plastron)");
	if (p->mode == PL_MODE_DEFENSE_IN_DEPTH && p->dind.present &&
	    (p->dind.apparmor_type != PL_PROFILE_NONE || p->dind.n_apparmor_raw))
		unenforced_one(d, ok, list, &p->pos, "spec.policy.defenseInDepth.appArmor",
			       "defenseInDepth AppArmor profile", "AppArmor");
	if (p->mode == PL_MODE_DEFENSE_IN_DEPTH && p->dind.present && p->dind.has_network_proxy)
		unenforced_one(d, ok, list, &p->pos, "spec.policy.defenseInDepth.networkProxy",
			       "defenseInDepth networkProxy",
			       "a network proxy (not part of plastron)");
	if (d->n_errors > errors) {
		json_decref(list);
		return -EOPNOTSUPP;
	}
	if (json_array_size(list))
		*ret = list;
	else
		json_decref(list);
	return 0;
}

static int64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Where the time of a batch goes (logged with "reload done"). */
static struct {
	int64_t parse, gen, seccomp, stage, commit;
} T;

/* Read, validate and compile one file of the batch. */
static void change_build(struct change *c)
{
	int r;

	c->source = read_file(c->path, &c->source_len);
	if (!c->source) {
		change_refuse(c, -errno, "cannot read %s: %s", c->path, strerror(errno));
		return;
	}
	/* Positions in the set borrow the name: it must live as long as the set. */
	int64_t t0 = now_us();
	r = pl_policy_set_load_buffer(intern(c->path), c->source, c->source_len, &c->set, &c->d);
	T.parse += now_us() - t0;
	if (r < 0) {
		c->r = r;
		return;
	}
	c->b = calloc(c->set->n ? c->set->n : 1, sizeof(*c->b));
	c->fresh = calloc(c->set->n ? c->set->n : 1, sizeof(*c->fresh));
	if (!c->b || !c->fresh) {
		change_refuse(c, -ENOMEM, "out of memory");
		return;
	}
	c->nb = c->set->n;
	for (size_t i = 0; i < c->set->n; i++) {
		const struct pl_policy *p = c->set->policies[i];
		c->b[i].p = p;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->set->policies[j]->name, p->name)) {
				c->r =
				    pl_error(&c->d, -EEXIST, &p->pos, "metadata.name",
					     "policy '%s' is defined twice in this file", p->name);
				return;
			}
		t0 = now_us();
		r = unenforced_rules(p, &c->b[i].unenforced, &c->d);
		if (r == 0)
			r = pl_gen_cgroup_bpf(p, NULL, NULL, &c->b[i].t, &c->d);
		if (r == 0)
			r = pl_gen_seccomp(p, NULL, &c->b[i].prof, &c->d);
		int64_t t1 = now_us();
		T.gen += t1 - t0;
		if (r == 0)
			r = seccomp_bpf_cached(c->b[i].prof, &c->b[i].sc_bpf_hex, &c->d);
		T.seccomp += now_us() - t1;
		if (r < 0) {
			c->r = r;
			return;
		}
	}
}

/* The file recorded as the owner of policy `name` in the state file. */
static const char *saved_owner(const char *name)
{
	return json_string_value(json_object_get(json_object_get(A.saved_ids, name), "file"));
}

static bool change_claims_saved(const struct change *c)
{
	for (size_t i = 0; c->set && i < c->set->n; i++) {
		const char *o = saved_owner(c->set->policies[i]->name);
		if (o && !strcmp(o, c->path))
			return true;
	}
	return false;
}

/*
 * Duplicate names: a name belongs to the file that has it in force; a name
 * nobody has in force (new, or only kept for containers after its file went)
 * to the file the state file records as its owner, then to the first file
 * in name order. Files are taken in that order (recorded owners first), and
 * a file that defines a name another file holds is refused as a whole.
 */
static void batch_claims(struct change **v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct change *c = v[k];
		if (c->r < 0 || c->removed)
			continue;
		for (size_t i = 0; i < c->set->n && c->r == 0; i++) {
			const char *name = c->set->policies[i]->name;
			struct policy *other = policy_by_name(name);
			const char *holder = NULL;

			if (other && !policy_orphaned(other) && other->file != c->pf) {
				/* unless that file goes in this batch */
				holder = other->file->path;
				for (size_t j = 0; j < n; j++)
					if (v[j]->pf == other->file && v[j]->removed)
						holder = NULL;
			}
			for (size_t j = 0; j < k && !holder; j++)
				if (v[j]->r == 0 && !v[j]->removed)
					for (size_t x = 0; x < v[j]->set->n && !holder; x++)
						if (!strcmp(v[j]->set->policies[x]->name, name))
							holder = v[j]->path;
			if (holder) {
				c->r = pl_error(
				    &c->d, -EEXIST, &c->set->policies[i]->pos, "metadata.name",
				    "policy '%s' is already defined in %s (the file that "
				    "holds a name keeps it)",
				    name, holder);
				c->dup = true;
			}
		}
	}
}

/* A file written in place must not shrink what is in force: an in-place
 * write may be cut short (ENOSPC, a killed writer) and still parse. */
static void check_shrink(struct change *c)
{
	if (c->r < 0 || c->removed || !c->in_place || !c->pf)
		return;
	for (size_t i = 0; i < A.n_pols && c->r == 0; i++) {
		struct policy *pol = A.pols[i];
		size_t j;
		if (pol->file != c->pf)
			continue;
		for (j = 0; j < c->set->n; j++)
			if (!strcmp(c->set->policies[j]->name, pol->name))
				break;
		if (j == c->set->n) {
			change_refuse(
			    c, -EAGAIN,
			    "%s was written in place and no longer defines policy '%s': "
			    "not taken (a cut-short write?); rename a complete file in to "
			    "replace it",
			    c->path, pol->name);
			break;
		}
		size_t w = rule_weight(c->b[j].p, c->b[j].t, c->b[j].prof);
		if (w < pol->n_rules)
			change_refuse(
			    c, -EAGAIN,
			    "%s was written in place and policy '%s' shrank (%zu rules and "
			    "entries, %zu in force): not taken (a cut-short write?); rename "
			    "a complete file in to replace it",
			    c->path, pol->name, w, pol->n_rules);
	}
}

static bool id_taken_fresh(uint32_t id, struct change **v, size_t n)
{
	for (size_t x = 0; x < n; x++)
		for (size_t i = 0; v[x]->fresh && v[x]->set && i < v[x]->set->n; i++)
			if (v[x]->fresh[i] && v[x]->fresh[i]->id == id)
				return true;
	return false;
}

static bool id_taken(uint32_t id, struct change **v, size_t n)
{
	if (policy_by_id(id))
		return true;
	const char *k;
	json_t *s;
	json_object_foreach(A.saved_ids, k, s)
	{
		if (json_integer_value(json_object_get(s, "id")) == id && !policy_by_name(k))
			return true;
	}
	for (size_t x = 0; x < n; x++)
		for (size_t i = 0; v[x]->fresh && v[x]->set && i < v[x]->set->n; i++)
			if (v[x]->fresh[i] && v[x]->fresh[i]->id == id)
				return true;
	return false;
}

/* Everything the switch needs that can fail, before it: new records,
 * ids, room in the arrays. */
static int batch_prepare(struct change **v, size_t n, size_t *n_new_pols, size_t *n_new_files,
			 struct pl_diag *d)
{
	uint32_t next = 1; /* ids below are taken (a cursor: a 1,000-policy file is not cubic) */

	*n_new_pols = *n_new_files = 0;
	for (size_t x = 0; x < n; x++) {
		struct change *c = v[x];
		bool drops = false;
		if (c->r < 0)
			continue;
		if (FAULT(c->path) < 0)
			return pl_error(d, -EIO, NULL, NULL, "prepare %s (injected)", c->path);
		if (c->removed)
			continue;
		for (size_t i = 0; i < c->set->n; i++) {
			const struct pl_policy *p = c->set->policies[i];
			if (policy_by_name(p->name))
				continue;
			json_t *saved = json_object_get(A.saved_ids, p->name);
			struct policy *pol = calloc(1, sizeof(*pol));
			if (!pol || !(pol->name = strdup(p->name))) {
				free(pol);
				return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
			}
			c->fresh[i] = pol;
			pol->observe = saved && json_is_true(json_object_get(saved, "observe"));
			uint32_t id =
			    saved ? (uint32_t)json_integer_value(json_object_get(saved, "id")) : 0;
			if (!id || policy_by_id(id) || id_taken_fresh(id, v, n)) {
				for (id = next; id < PL_CG_MAX_POLICIES && id_taken(id, v, n); id++)
					;
				next = id + 1;
			}
			if (id >= PL_CG_MAX_POLICIES)
				return pl_error(d, -ENOSPC, NULL, NULL, "no free policy id");
			pol->id = id;
			(*n_new_pols)++;
		}
		if (!c->pf) {
			c->new_pf = calloc(1, sizeof(*c->new_pf));
			if (!c->new_pf || !(c->new_pf->path = strdup(c->path)))
				return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
			(*n_new_files)++;
		}
		for (size_t i = 0; c->pf && i < A.n_pols && !drops; i++)
			drops = A.pols[i]->file == c->pf;
		if (drops) {
			/* the old version's home, should a policy it no longer
			 * defines stay for its containers */
			c->ghost = calloc(1, sizeof(*c->ghost));
			if (!c->ghost || !(c->ghost->path = strdup(c->path)))
				return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
			c->ghost->gone = true;
			(*n_new_files)++;
		}
	}
	struct policy **pv = realloc(A.pols, (A.n_pols + *n_new_pols + 1) * sizeof(*pv));
	if (pv)
		A.pols = pv;
	struct pfile **fv = realloc(A.files, (A.n_files + *n_new_files + 1) * sizeof(*fv));
	if (fv)
		A.files = fv;
	if (!pv || !fv)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	return 0;
}

static void change_undo(struct change *c)
{
	for (size_t i = 0; c->fresh && c->set && i < c->set->n; i++) {
		if (c->fresh[i])
			free(c->fresh[i]->name);
		free(c->fresh[i]);
		c->fresh[i] = NULL;
	}
	pfile_free(c->new_pf);
	pfile_free(c->ghost);
	c->new_pf = c->ghost = NULL;
}

/* A policy that its file no longer defines: kept (its last version in
 * force, in `home`) while containers use it, else dropped. */
static void policy_release(struct policy *pol, struct pfile *home, const char *why)
{
	size_t n = policy_users(pol);

	if (n) {
		pol->file = home;
		A.n_orphans++;
		say("policy %s (id %u) orphaned (%s): kept in force at its last version for %zu "
		    "container%s until they stop or are re-pointed",
		    pol->name, pol->id, why, n, n == 1 ? "" : "s");
	} else {
		say("policy %s (id %u) removed (%s)", pol->name, pol->id, why);
		policy_drop(pol);
	}
}

/* After the switch: plastrond's tables follow. Nothing here can fail. */
static void change_commit(struct change *c)
{
	char why[PATH_MAX + 32];

	if (c->removed) {
		struct pfile *pf = c->pf;
		snprintf(why, sizeof(why), "%s deleted", c->path);
		pf->gone = true; /* the file's record is the orphans' home */
		free(pf->error);
		pf->error = NULL;
		for (size_t i = 0; i < A.n_pols;) {
			struct policy *pol = A.pols[i];
			if (pol->file == pf) {
				size_t before = A.n_pols;
				policy_release(pol, pf, why);
				if (A.n_pols < before)
					continue;
			}
			i++;
		}
		return;
	}
	struct pfile *pf = c->pf ? c->pf : c->new_pf;
	if (!c->pf) {
		A.files[A.n_files++] = pf;
		c->new_pf = NULL;
	}
	for (size_t i = 0; i < c->set->n; i++) {
		struct built *b = &c->b[i];
		struct policy *pol = c->fresh[i];
		if (pol) {
			A.pols[A.n_pols++] = pol;
			c->fresh[i] = NULL;
		} else {
			pol = policy_by_name(b->p->name);
			if (policy_orphaned(pol))
				say("policy %s (id %u) taken over by %s", pol->name, pol->id,
				    c->path);
		}
		pol->loaded = true;
		pol->n_bpf_entries = b->t->n_sock + b->t->n_egress + b->t->n_sysctl + b->t->n_dev;
		pol->n_rules = rule_weight(b->p, b->t, b->prof);
		pl_sc_profile_free(pol->prof);
		pol->prof = PL_TAKE_PTR(b->prof);
		pl_bundle_free(PL_TAKE_PTR(pol->bundle)); /* a new version: compiled again */
		free(pol->sc_bpf_hex);
		pol->sc_bpf_hex = PL_TAKE_PTR(b->sc_bpf_hex);
		json_decref(pol->unenforced);
		pol->unenforced = PL_TAKE_PTR(b->unenforced);
		pol->p = b->p;
		pol->file = pf;
		pol->mark = true;
		say("policy %s (id %u) loaded from %s: %zu cgroup-bpf entries, mode %s", pol->name,
		    pol->id, c->path, pol->n_bpf_entries, pol->observe ? "observe" : "as loaded");
	}
	/* Policies the new version no longer defines. */
	snprintf(why, sizeof(why), "no longer in %s", c->path);
	bool ghost_used = false;
	for (size_t i = 0; i < A.n_pols;) {
		struct policy *pol = A.pols[i];
		if (pol->file == pf && !pol->mark) {
			size_t before = A.n_pols;
			policy_release(pol, c->ghost, why);
			if (A.n_pols < before)
				continue;
			ghost_used = true;
		}
		i++;
	}
	for (size_t i = 0; i < A.n_pols; i++)
		A.pols[i]->mark = false;
	if (ghost_used) {
		c->ghost->set = pf->set;
		c->ghost->source = pf->source;
		c->ghost->source_len = pf->source_len;
		A.files[A.n_files++] = c->ghost;
		c->ghost = NULL;
	} else {
		pl_policy_set_free(pf->set);
		free(pf->source);
	}
	pf->set = PL_TAKE_PTR(c->set);
	pf->source = PL_TAKE_PTR(c->source);
	pf->source_len = c->source_len;
	pf->watched = c->watched;
	free(pf->error);
	pf->error = NULL;
	pf->dup = false;
	pf->dup_gen = 0;
	say_diag(c->path, &c->d); /* warnings */
}

/* A refused file: its first error kept for status, the log told. */
static void change_refused(struct change *c)
{
	struct pfile *pf = c->pf;

	free(c->err);
	c->err = diag_first(&c->d);
	say_diag(c->path, &c->d);
	say("%s refused: %s", c->path,
	    pf ? "the previous version keeps enforcing" : "no policy from it is loaded");
	if (!pf && c->watched && !c->removed) {
		/* Remember the refusal for status. */
		pf = calloc(1, sizeof(*pf));
		struct pfile **v = realloc(A.files, (A.n_files + 1) * sizeof(*v));
		if (v)
			A.files = v;
		if (pf && v && (pf->path = strdup(c->path))) {
			pf->watched = true;
			A.files[A.n_files++] = pf;
		} else {
			free(pf);
			pf = NULL;
		}
	}
	if (pf) {
		free(pf->error);
		pf->error = c->err ? strdup(c->err) : NULL;
		pf->dup = c->dup;
		pf->dup_gen = batch_gen;
	}
}

static int cmp_change(const void *a, const void *b)
{
	const struct change *x = *(struct change *const *)a, *y = *(struct change *const *)b;
	bool ox = change_claims_saved(x), oy = change_claims_saved(y);

	if (ox != oy)
		return ox ? -1 : 1;
	return strcmp(x->path, y->path);
}

/*
 * Apply a batch (see above). Returns how many files were refused. Files
 * refused for a duplicate name are tried again when names were released.
 */
static size_t reload_batch(struct change *cv, size_t n)
{
	struct change **v = calloc(n ? n : 1, sizeof(*v));
	struct pl_enforcer_txn *txn = NULL;
	struct pl_diag d = { 0 };
	size_t n_ok = 0, n_refused = 0, np, nf;
	int r = 0;

	if (!v)
		return n;
	fault_arm();
	batch_gen++;
	memset(&T, 0, sizeof(T));
	int64_t t_start = now_us(), t0;
	for (size_t i = 0; i < n; i++) {
		v[i] = &cv[i];
		v[i]->pf = pfile_find(v[i]->path);
		if (v[i]->removed && !v[i]->pf)
			v[i]->r = 1; /* nothing to do */
		else if (!v[i]->removed)
			change_build(v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_change);
	batch_claims(v, n);
	for (size_t i = 0; i < n; i++)
		check_shrink(v[i]);
	for (size_t i = 0; i < n; i++)
		n_ok += v[i]->r == 0;
	if (n_ok) {
		r = batch_prepare(v, n, &np, &nf, &d);
		if (r == 0)
			r = pl_enforcer_txn_begin(A.e, &txn, &d);
		t0 = now_us();
		for (size_t x = 0; x < n && r == 0; x++) {
			struct change *c = v[x];
			if (c->r != 0 || c->removed)
				continue;
			for (size_t i = 0; i < c->set->n && r == 0; i++) {
				struct policy *pol =
				    c->fresh[i] ? c->fresh[i] : policy_by_name(c->b[i].p->name);
				r = pl_enforcer_txn_stage(txn, pol->id, c->b[i].t, &d);
			}
		}
		T.stage = now_us() - t0;
		t0 = now_us();
		if (txn)
			r = r < 0 ? (pl_enforcer_txn_abort(txn), r)
				  : pl_enforcer_txn_commit(txn, &d);
		T.commit = now_us() - t0;
		if (r < 0) {
			char *s = diag_first(&d);
			for (size_t x = 0; x < n; x++)
				if (v[x]->r == 0) {
					change_refuse(
					    v[x], r,
					    "not applied: %s (every file of this reload keeps "
					    "its previous version)",
					    s ? s : strerror(-r));
					change_undo(v[x]);
				}
			free(s);
			say_diag("reload", &d);
		}
		pl_diag_clear(&d);
	}
	bool released = false;
	/* Removals last: a file of the batch may take a removed file's names
	 * over (its policies then move, instead of being dropped first). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t x = 0; x < n; x++) {
			struct change *c = v[x];
			if (c->r == 0 && c->removed == (pass == 1)) {
				change_commit(c);
				released |= c->pf != NULL; /* names may have moved */
			}
		}
	for (size_t x = 0; x < n; x++) {
		struct change *c = v[x];
		if (c->r < 0) {
			change_refused(c);
			n_refused++;
		}
	}
	for (size_t x = 0; x < n; x++) {
		struct change *c = v[x];
		change_undo(c);
		built_free(c);
		pl_policy_set_free(c->set);
		free(c->fresh);
		free(c->source);
		free(c->err);
		pl_diag_clear(&c->d);
	}
	free(v);
	ghosts_free();
	state_save();
	say("reload done: %zu file(s) applied, %zu refused (%lld ms: parse %lld, generate %lld, "
	    "seccomp filters %lld, kernel stage %lld, switch %lld)",
	    n_ok - (r < 0 ? n_ok : 0), n_refused, (long long)(now_us() - t_start) / 1000,
	    (long long)T.parse / 1000, (long long)T.gen / 1000, (long long)T.seccomp / 1000,
	    (long long)T.stage / 1000, (long long)T.commit / 1000);
	if (released)
		retry_duplicates();
	return n_refused;
}

/* Files refused because a name was held elsewhere, tried again once names
 * were released (the holder changed or went). */
static void retry_duplicates(void)
{
	static int depth;
	struct change *cv = NULL;
	size_t n = 0;

	if (depth)
		return;
	for (size_t i = 0; i < A.n_files; i++) {
		struct pfile *pf = A.files[i];
		/* not those refused by the batch that just ran */
		if (pf->gone || !pf->dup || !pf->watched || pf->dup_gen == batch_gen)
			continue;
		struct change *v = realloc(cv, (n + 1) * sizeof(*v));
		if (!v)
			break;
		cv = v;
		cv[n] = (struct change){ .path = strdup(pf->path), .watched = true };
		if (!cv[n].path)
			break;
		n++;
	}
	if (n) {
		depth++;
		say("trying again %zu file(s) refused for a duplicate name", n);
		reload_batch(cv, n);
		depth--;
	}
	for (size_t i = 0; i < n; i++)
		free(cv[i].path);
	free(cv);
}

/*
 * Load (or reload) one policy file, as a batch of one. Returns 0 or a
 * negative errno with `err` (malloc'd).
 */
static int pfile_load(const char *path, bool watched, char **err)
{
	struct change c = { .path = (char *)path, .watched = watched };
	struct pfile *pf;

	*err = NULL;
	if (reload_batch(&c, 1) == 0)
		return 0;
	pf = pfile_find(path);
	*err = strdup(pf && pf->error ? pf->error : "refused");
	return -EINVAL;
}

/* The rule sets that the loads just done replaced go, after one grace
 * period for all of them (pl_enforcer_release). */
static void release_replaced(void)
{
	struct pl_diag d = { 0 };

	if (A.e && pl_enforcer_release(A.e, &d) < 0)
		say_diag("releasing replaced rule sets", &d);
	pl_diag_clear(&d);
}

/* Every file of the directory, and the removal of those gone from it, as
 * one batch (start-up, SIGHUP, the directory recreated). */
static void load_policy_dir(void)
{
	DIR *dir = opendir(A.policy_dir);
	struct dirent *de;
	struct change *cv = NULL;
	size_t n = 0;

	if (!dir)
		say("policy directory %s: %s", A.policy_dir, strerror(errno));
	while (dir && (de = readdir(dir)))
		if (policy_file_name(de->d_name)) {
			char path[PATH_MAX];
			struct change *v = realloc(cv, (n + 1) * sizeof(*v));
			if (!v)
				break;
			cv = v;
			snprintf(path, sizeof(path), "%s/%s", A.policy_dir, de->d_name);
			cv[n] = (struct change){ .path = strdup(path), .watched = true };
			if (cv[n].path)
				n++;
		}
	if (dir)
		closedir(dir);
	for (size_t i = 0; i < A.n_files; i++) {
		struct pfile *pf = A.files[i];
		bool seen = false;
		if (pf->gone || !pf->watched)
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(cv[j].path, pf->path);
		if (seen)
			continue;
		struct change *v = realloc(cv, (n + 1) * sizeof(*v));
		if (!v)
			break;
		cv = v;
		cv[n] =
		    (struct change){ .path = strdup(pf->path), .watched = true, .removed = true };
		if (cv[n].path)
			n++;
	}
	/* Deterministic order (reload_batch sorts again, owners first). */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(cv[j - 1].path, cv[j].path) > 0; j--) {
			struct change t = cv[j];
			cv[j] = cv[j - 1];
			cv[j - 1] = t;
		}
	if (n)
		reload_batch(cv, n);
	for (size_t i = 0; i < n; i++)
		free(cv[i].path);
	free(cv);
	release_replaced();
}

/*
 * At start-up: policies of the state file that no file defines any more
 * (deleted while the agent was down) but that registered containers use
 * and the kernel still holds: kept as orphans (rules in force, no source),
 * dropped when their containers go.
 */
static void adopt_orphans(void)
{
	const char *k;
	json_t *v;

	json_object_foreach(A.saved_ids, k, v)
	{
		uint32_t id = (uint32_t)json_integer_value(json_object_get(v, "id"));
		const char *file = json_string_value(json_object_get(v, "file"));
		struct policy tmp = { .name = (char *)k }, *pol;
		struct pfile *home;
		enum pl_bpf_mode m;

		if (policy_by_name(k) || policy_by_id(id) || !policy_users(&tmp) ||
		    pl_enforcer_get_mode(A.e, id, &m) < 0)
			continue;
		pol = calloc(1, sizeof(*pol));
		home = calloc(1, sizeof(*home));
		struct policy **pv = realloc(A.pols, (A.n_pols + 1) * sizeof(*pv));
		if (pv)
			A.pols = pv;
		struct pfile **fv = realloc(A.files, (A.n_files + 1) * sizeof(*fv));
		if (fv)
			A.files = fv;
		if (!pol || !home || !pv || !fv || !(pol->name = strdup(k)) ||
		    !(home->path = strdup(file ? file : "?"))) {
			say("policy %s (id %u): out of memory; its rules stay in the kernel", k,
			    id);
			if (pol)
				free(pol->name);
			free(pol);
			pfile_free(home);
			continue;
		}
		home->gone = true;
		pol->id = id;
		pol->loaded = true;
		pol->observe = json_is_true(json_object_get(v, "observe"));
		pol->file = home;
		A.files[A.n_files++] = home;
		A.pols[A.n_pols++] = pol;
		A.n_orphans++;
		say("policy %s (id %u) orphaned: %s is gone; kept in force (as the kernel holds "
		    "it) "
		    "for %zu container(s) until they stop or are re-pointed",
		    k, id, home->path, policy_users(pol));
	}
}

/* Watch the policy directory, and its parent for the directory coming
 * back after it was removed or moved away. */
static void watch_policy_dir(bool rescan)
{
	char parent[PATH_MAX];

	if (A.ino_fd < 0)
		return;
	if (A.dir_wd < 0) {
		A.dir_wd = inotify_add_watch(A.ino_fd, A.policy_dir,
					     IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
						 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF);
		if (A.dir_wd < 0)
			say("cannot watch %s: %s (waiting for it to appear)", A.policy_dir,
			    strerror(errno));
		else if (rescan) {
			say("policy directory %s is back: loading it", A.policy_dir);
			load_policy_dir();
		}
	}
	if (A.parent_wd < 0) {
		snprintf(parent, sizeof(parent), "%s", A.policy_dir);
		A.parent_wd = inotify_add_watch(A.ino_fd, dirname(parent),
						IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	}
}

static void on_inotify(void)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct change *cv = NULL;
	size_t n = 0;
	bool dir_gone = false, dir_back = false;
	ssize_t k;
	char base[PATH_MAX];

	snprintf(base, sizeof(base), "%s", A.policy_dir);
	const char *dir_name = basename(base);
	while ((k = read(A.ino_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + k;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->wd == A.parent_wd) {
				if (ev->len && !strcmp(ev->name, dir_name))
					dir_back = true;
				continue;
			}
			if (ev->wd != A.dir_wd)
				continue; /* a watch removed before */
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				dir_gone = true;
				continue;
			}
			if (!ev->len || !policy_file_name(ev->name) ||
			    !(ev->mask &
			      (IN_DELETE | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_MOVED_TO)))
				continue;
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", A.policy_dir, ev->name);
			size_t i;
			for (i = 0; i < n; i++)
				if (!strcmp(cv[i].path, path))
					break;
			if (i == n) {
				struct change *v = realloc(cv, (n + 1) * sizeof(*v));
				if (!v)
					continue;
				cv = v;
				cv[n] = (struct change){ .path = strdup(path), .watched = true };
				if (!cv[n].path)
					continue;
				n++;
			}
			/* the last event of a name decides */
			cv[i].removed = ev->mask & (IN_DELETE | IN_MOVED_FROM);
			cv[i].in_place = ev->mask & IN_CLOSE_WRITE;
			say("%s %s", path,
			    cv[i].removed    ? "removed"
			    : cv[i].in_place ? "written in place: reloading"
					     : "renamed in: reloading");
		}
	}
	if (n)
		reload_batch(cv, n);
	for (size_t i = 0; i < n; i++)
		free(cv[i].path);
	free(cv);
	if (dir_gone) {
		say("policy directory %s removed: its policies stay for the containers using "
		    "them; reloading resumes when it is back",
		    A.policy_dir);
		if (A.dir_wd >= 0)
			inotify_rm_watch(A.ino_fd, A.dir_wd);
		A.dir_wd = -1;
		load_policy_dir(); /* what is not there any more goes (moved away) */
	}
	if (dir_gone || dir_back || A.dir_wd < 0)
		watch_policy_dir(true);
	release_replaced();
}

/* ---- containers --------------------------------------------------------- */
static void container_free(struct container *c)
{
	if (!c)
		return;
	free(c->cgroup);
	free(c->policy);
	free(c->id);
	free(c->name);
	free(c->pod);
	free(c->ns);
	free(c->cname);
	json_decref(c->annotations);
	free(c);
}

static void container_remove(struct container *c, const char *why)
{
	struct pl_diag d = { 0 };
	if (pl_enforcer_unregister(A.e, c->cgid, &d) < 0 && d.n_errors)
		say_diag("unregister", &d);
	pl_diag_clear(&d);
	say("container %s (cgroup %s, id %llu) unregistered: %s", c->id ? c->id : "-", c->cgroup,
	    (unsigned long long)c->cgid, why);
	PTR_REMOVE(A.ctrs, A.n_ctrs, c);
	container_free(c);
}

static const char *ann(json_t *a, const char *key)
{
	return json_string_value(json_object_get(a, key));
}

static const char *ann2(json_t *a, const char *k1, const char *k2);

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Add (or replace) a registration; the map update happens here. */
static int container_add(const char *cgpath, uint64_t cgid, struct policy *pol, const char *id,
			 const char *name, json_t *annotations, char *err, size_t errlen)
{
	struct pl_diag d = { 0 };
	struct container *c;
	int r;

	r = pl_enforcer_register(A.e, cgid, pol->id, &d);
	if (r < 0) {
		char *s = diag_first(&d);
		snprintf(err, errlen, "%s", s);
		free(s);
		pl_diag_clear(&d);
		return r;
	}
	c = container_by_cgid(cgid);
	if (c) {
		PTR_REMOVE(A.ctrs, A.n_ctrs, c);
		container_free(c);
	}
	c = calloc(1, sizeof(*c));
	struct container **v = realloc(A.ctrs, (A.n_ctrs + 1) * sizeof(*v));
	if (!c || !v) {
		free(c);
		return -ENOMEM;
	}
	A.ctrs = v;
	c->cgid = cgid;
	c->cgroup = strdup(cgpath);
	c->policy = strdup(pol->name);
	c->id = dup_or_null(id);
	c->annotations = annotations ? json_incref(annotations) : NULL;
	c->pod = dup_or_null(
	    ann2(annotations, "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name"));
	c->ns = dup_or_null(ann2(annotations, "io.kubernetes.cri.sandbox-namespace",
				 "io.kubernetes.pod.namespace"));
	c->cname = dup_or_null(
	    ann2(annotations, "io.kubernetes.cri.container-name", "io.kubernetes.container.name"));
	if (name && *name)
		c->name = strdup(name);
	else if (c->cname)
		c->name = strdup(c->cname);
	else if (ann(annotations, "nerdctl/name"))
		c->name = strdup(ann(annotations, "nerdctl/name"));
	A.ctrs[A.n_ctrs++] = c;
	state_save();
	say("container %s%s%s (cgroup %s, id %llu) registered with policy %s (id %u)",
	    c->id ? c->id : "-", c->name ? " " : "", c->name ? c->name : "", c->cgroup,
	    (unsigned long long)cgid, pol->name, pol->id);
	return 0;
}

/* Drop registrations whose cgroup is gone (or was replaced). */
static void sweep(void)
{
	char mnt[256], abs_path[PATH_MAX];

	if (pl_cgroup2_mount(mnt, sizeof(mnt)) < 0)
		return;
	for (size_t i = 0; i < A.n_ctrs;) {
		struct container *c = A.ctrs[i];
		uint64_t id;
		snprintf(abs_path, sizeof(abs_path), "%s%s", mnt, c->cgroup);
		if (pld_cgroup_id(abs_path, &id) < 0 || id != c->cgid) {
			container_remove(c, "its cgroup is gone");
			state_save();
			continue;
		}
		i++;
	}
}

static void state_load(void)
{
	json_error_t je;
	json_t *root = json_load_file(A.state, 0, &je), *ctrs;
	size_t i;
	json_t *v;

	A.saved_ids = json_object();
	if (!root) {
		if (access(A.state, F_OK) == 0)
			say("state %s unreadable: %s", A.state, je.text);
		return;
	}
	json_t *pols = json_object_get(root, "policies");
	if (json_is_object(pols))
		json_object_update(A.saved_ids, pols);
	A.events_logged = A.events_saved =
	    (uint64_t)json_integer_value(json_object_get(root, "events_logged"));
	if (chmod(A.state, 0600) < 0)
		say("state %s: chmod 0600: %s", A.state, strerror(errno));
	ctrs = json_object_get(root, "containers");
	json_array_foreach(ctrs, i, v)
	{
		struct container *c = calloc(1, sizeof(*c));
		struct container **vv = realloc(A.ctrs, (A.n_ctrs + 1) * sizeof(*vv));
		if (!c || !vv) {
			free(c);
			break;
		}
		A.ctrs = vv;
		c->cgid = (uint64_t)json_integer_value(json_object_get(v, "cgroup_id"));
		c->cgroup = strdup(json_string_value(json_object_get(v, "cgroup")) ?: "/");
		c->policy = strdup(json_string_value(json_object_get(v, "policy")) ?: "");
		c->id = dup_or_null(json_string_value(json_object_get(v, "id")));
		c->name = dup_or_null(json_string_value(json_object_get(v, "name")));
		c->annotations = json_incref(json_object_get(v, "annotations"));
		c->pod = dup_or_null(ann2(c->annotations, "io.kubernetes.cri.sandbox-name",
					  "io.kubernetes.pod.name"));
		c->ns = dup_or_null(ann2(c->annotations, "io.kubernetes.cri.sandbox-namespace",
					 "io.kubernetes.pod.namespace"));
		c->cname = dup_or_null(ann2(c->annotations, "io.kubernetes.cri.container-name",
					    "io.kubernetes.container.name"));
		A.ctrs[A.n_ctrs++] = c;
	}
	json_decref(root);
}

/* ---- requests ----------------------------------------------------------- */
static json_t *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", buf);
}

static const char *policy_mode(struct policy *pol)
{
	enum pl_bpf_mode m;
	if (!pol->loaded || pl_enforcer_get_mode(A.e, pol->id, &m) < 0)
		return "unknown";
	if (m == PL_BPF_MODE_AUDIT && pol->observe)
		return "observe";
	return pl_bpf_mode_name(m);
}

/* status "lost" (by enforcer and cause) and "control"; returns the audit-path total. */
static uint64_t audit_lost_json(json_t *o, uint64_t ringbuf_drops)
{
	struct ctl_counters cc;
	struct al_lost l;

	al_kernel_read();
	l = al_losses();
	ctl_counters(&cc);
	json_object_set_new(o, "lost",
			    json_pack("{s:{s:I},s:{s:I,s:I,s:I}}", "cgroup-bpf", "ringbuf_full",
				      (json_int_t)ringbuf_drops, "seccomp|landlock",
				      "audit_socket_overflow", (json_int_t)l.socket, "audit_kernel",
				      (json_int_t)l.kernel, "agent_down", (json_int_t)l.downtime));
	json_object_set_new(o, "audit_records", json_integer((json_int_t)al_records()));
	json_object_set_new(
	    o, "control",
	    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "active", (json_int_t)cc.active, "accepted",
		      (json_int_t)cc.accepted, "refused_uid", (json_int_t)cc.refused_uid, "evicted",
		      (json_int_t)cc.evicted, "idle_closed", (json_int_t)cc.idle_closed,
		      "stalled_closed", (json_int_t)cc.stalled_closed, "oversize",
		      (json_int_t)cc.oversize));
	return l.total;
}

static json_t *req_status(void)
{
	json_t *o = json_pack("{s:b}", "ok", 1), *pols = json_array(), *ctrs = json_array(),
	       *refused = json_array();
	struct pl_enforcer_counters cnt = { 0 };

	for (size_t i = 0; i < A.n_pols; i++) {
		struct policy *p = A.pols[i];
		json_t *x = json_pack("{s:s,s:s?,s:I,s:s,s:s,s:I}", "name", p->name, "namespace",
				      p->p ? p->p->namespace_ : NULL, "id", (json_int_t)p->id,
				      "file", p->file ? p->file->path : "", "mode", policy_mode(p),
				      "cgroup_bpf_entries", (json_int_t)p->n_bpf_entries);
		/* kept at its last version for containers after its file went */
		if (policy_orphaned(p)) {
			json_object_set_new(x, "orphaned", json_true());
			json_object_set_new(x, "containers",
					    json_integer((json_int_t)policy_users(p)));
		}
		/* accepted with spec.plastron.allowUnenforced */
		if (p->unenforced)
			json_object_set(x, "unenforced", p->unenforced);
		if (p->bundle) /* compiled once a container started under this version */
			json_object_update_missing_new(x, json_pack("{s:s,s:s}", "version",
								    p->bundle->version, "hash",
								    p->bundle->hash));
		json_array_append_new(pols, x);
	}
	for (size_t i = 0; i < A.n_files; i++)
		if (A.files[i]->error && !A.files[i]->gone)
			json_array_append_new(refused,
					      json_pack("{s:s,s:s}", "file", A.files[i]->path,
							"error", A.files[i]->error));
	for (size_t i = 0; i < A.n_ctrs; i++) {
		struct container *c = A.ctrs[i];
		json_array_append_new(ctrs,
				      json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:s?,s:s?}", "cgroup_id",
						(json_int_t)c->cgid, "cgroup", c->cgroup, "policy",
						c->policy, "id", c->id, "name", c->name, "pod",
						c->pod, "namespace", c->ns));
		const char *bh = ann(c->annotations, "plastron.io/bundle-hash");
		if (bh)
			json_object_set_new(json_array_get(ctrs, json_array_size(ctrs) - 1),
					    "policy_hash", json_string(bh));
	}
	pl_enforcer_counters(A.e, &cnt);
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_s", json_integer((json_int_t)(time(NULL) - A.started)));
	json_object_set_new(o, "readopted", json_boolean(A.readopted));
	json_object_set_new(o, "pin_dir", json_string(A.pin_dir));
	json_object_set_new(o, "policy_dir", json_string(A.policy_dir));
	json_object_set_new(o, "log", json_string(A.log));
	{
		int want, links = pl_enforcer_links(A.e, &want);

		json_object_set_new(o, "links", json_integer(links));
		json_object_set_new(o, "links_expected", json_integer(want));
	}
	json_object_set_new(o, "policies", pols);
	json_object_set_new(o, "refused", refused);
	json_object_set_new(o, "containers", ctrs);
	json_object_set_new(
	    o, "counters",
	    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "matched", (json_int_t)cnt.matched, "denied",
		      (json_int_t)cnt.denied, "events", (json_int_t)cnt.events, "drops",
		      (json_int_t)cnt.drops, "events_logged", (json_int_t)A.events_logged,
		      "audit_lost", (json_int_t)audit_lost_json(o, cnt.drops)));
	return o;
}

/* cgroup from {"cgroup": path} or {"pid": n}: its canonical path relative
 * to the cgroup2 mount, and its id. Every spelling is resolved
 * (pld_cgroup_resolve): no path reaches the root cgroup or leaves the mount. */
static json_t *resolve_cgroup(json_t *req, char *rel, size_t rellen, uint64_t *id)
{
	char path[PATH_MAX], err[PATH_MAX + 128];
	json_t *pid = json_object_get(req, "pid");
	json_t *cgj = json_object_get(req, "cgroup");
	const char *cg = json_string_value(cgj);
	int r;

	if (json_is_integer(pid)) {
		r = pld_pid_cgroup((pid_t)json_integer_value(pid), path, sizeof(path));
		if (r < 0)
			return fail("cgroup of pid %lld: %s", (long long)json_integer_value(pid),
				    strerror(-r));
	} else if (cg) {
		snprintf(path, sizeof(path), "%s", cg);
	} else if (cgj) {
		return fail("\"cgroup\" must be a string");
	} else {
		return fail("give \"cgroup\" or \"pid\"");
	}
	r = pld_cgroup_resolve(path, rel, rellen, id, err, sizeof(err));
	if (r < 0)
		return fail("%s", err);
	return NULL;
}

static json_t *req_register(json_t *req, bool from_hook)
{
	char rel[PATH_MAX], err[512];
	uint64_t id;
	const char *pname = json_string_value(json_object_get(req, "policy"));
	const char *pfile = json_string_value(json_object_get(req, "policy_file"));
	struct policy *pol = NULL;
	json_t *e;

	if (pfile) {
		char real[PATH_MAX], *perr = NULL;
		if (!realpath(pfile, real))
			return fail("%s: %s", pfile, strerror(errno));
		struct pfile *pf = pfile_find(real);
		if (!pf || !pf->set) {
			int r = pfile_load(real, false, &perr);
			release_replaced();
			if (r < 0) {
				json_t *f = fail("%s", perr);
				free(perr);
				return f;
			}
			pf = pfile_find(real);
		}
		if (!pf->set || pf->set->n == 0)
			return fail("%s holds no policy", real);
		if (pname) {
			pol = policy_by_name(pname);
			if (pol && pol->file != pf)
				pol = NULL;
		} else {
			pol = policy_by_name(pf->set->policies[0]->name);
		}
	} else if (pname) {
		pol = policy_by_name(pname);
	} else {
		return fail("give \"policy\" (a name) or \"policy_file\"");
	}
	if (!pol || !pol->loaded)
		return fail("unknown policy '%s' (not loaded by plastrond from %s)",
			    pname ? pname : "?", A.policy_dir);
	e = resolve_cgroup(req, rel, sizeof(rel), &id);
	if (e)
		return e;
	if (container_add(rel, id, pol, json_string_value(json_object_get(req, "container_id")),
			  json_string_value(json_object_get(req, "name")),
			  json_object_get(req, "annotations"), err, sizeof(err)) < 0)
		return fail("register cgroup %s: %s", rel, err);
	if (json_is_integer(json_object_get(req, "pid")))
		pid_remember((int)json_integer_value(json_object_get(req, "pid")), id);
	(void)from_hook;
	return json_pack("{s:b,s:s,s:I,s:s,s:I}", "ok", 1, "cgroup", rel, "cgroup_id",
			 (json_int_t)id, "policy", pol->name, "policy_id", (json_int_t)pol->id);
}

static json_t *req_detach(json_t *req)
{
	char rel[PATH_MAX];
	uint64_t id = 0;
	struct container *c = NULL;
	const char *cid = json_string_value(json_object_get(req, "container_id"));

	if (cid) {
		for (size_t i = 0; i < A.n_ctrs && !c; i++)
			if (A.ctrs[i]->id && !strcmp(A.ctrs[i]->id, cid))
				c = A.ctrs[i];
	} else if (json_is_integer(json_object_get(req, "cgroup_id"))) {
		c = container_by_cgid(
		    (uint64_t)json_integer_value(json_object_get(req, "cgroup_id")));
	} else {
		json_t *e = resolve_cgroup(req, rel, sizeof(rel), &id);
		if (e)
			return e;
		c = container_by_cgid(id);
	}
	if (!c)
		return fail("not registered");
	container_remove(c, "detached on request");
	state_save();
	return json_pack("{s:b}", "ok", 1);
}

static json_t *req_mode(json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "policy"));
	const char *mode = json_string_value(json_object_get(req, "mode"));
	struct policy *pol = name ? policy_by_name(name) : NULL;
	struct pl_diag d = { 0 };
	bool observe = false;
	int m;

	if (!pol)
		return fail("unknown policy '%s'", name ? name : "");
	if (!mode)
		return fail("give \"mode\": enforce, audit, observe, off or as-written");
	if (!strcmp(mode, "observe")) {
		m = PL_BPF_MODE_AUDIT;
		observe = true;
	} else {
		m = pl_bpf_mode_from_name(mode);
		if (m < 0)
			return fail("unknown mode '%s' (enforce, audit, observe, off, as-written)",
				    mode);
	}
	if (pl_enforcer_set_mode(A.e, pol->id, (enum pl_bpf_mode)m, &d) < 0) {
		char *s = diag_first(&d);
		json_t *f = fail("%s", s);
		free(s);
		pl_diag_clear(&d);
		return f;
	}
	pol->observe = observe;
	state_save();
	say("policy %s: cgroup-bpf mode %s", pol->name, mode);
	return json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "policy", pol->name, "mode", mode, "note",
			 "cgroup-bpf rules switched live; seccomp, Landlock and capability parts "
			 "(including rules on non-inet socket families) keep the mode the "
			 "container started with");
}

/* Pod names made by controllers: Deployment NAME-HASH-RAND, StatefulSet
 * NAME-ORDINAL, DaemonSet NAME-RAND. */
static bool pod_of(enum pl_target_kind kind, const char *target, const char *pod)
{
	size_t n = strlen(target);
	const char *rest;
	int dashes = 0;

	if (kind == PL_TARGET_POD)
		return !strcmp(target, pod);
	if (strncmp(pod, target, n) || pod[n] != '-' || !pod[n + 1])
		return false;
	rest = pod + n + 1;
	for (const char *q = rest; *q; q++)
		dashes += *q == '-';
	switch (kind) {
	case PL_TARGET_DEPLOYMENT:
		return dashes == 1;
	case PL_TARGET_STATEFULSET:
		return strspn(rest, "0123456789") == strlen(rest);
	case PL_TARGET_DAEMONSET:
		return dashes == 0;
	default:
		return false;
	}
}

static const char *ann2(json_t *a, const char *k1, const char *k2)
{
	const char *v = ann(a, k1);
	return v ? v : ann(a, k2);
}

/* Namespaces whose pods may request a policy by annotation
 * (--annotation-namespaces NS[,NS]; "*" for all). Default: none. */
static const char *annotation_namespaces;

static bool namespace_may_request(const char *ns)
{
	const char *p = annotation_namespaces;
	size_t n = ns ? strlen(ns) : 0;

	if (!p || !ns || !n)
		return false;
	while (*p) {
		size_t k = strcspn(p, ",");
		if ((k == 1 && *p == '*') || (k == n && !strncmp(p, ns, n)))
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

/* Set by the Kubernetes runtimes (containerd's CRI, CRI-O) on every
 * container of a pod; a pod author cannot remove them. */
static bool from_kubernetes(json_t *a)
{
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
	{
		if (!strncmp(k, "io.kubernetes.cri.", 18) ||
		    !strncmp(k, "io.kubernetes.pod.", 18) ||
		    !strncmp(k, "io.kubernetes.container.", 24))
			return true;
	}
	return false;
}

static void note(json_t *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(json_t *notes, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say("%s", buf);
	json_array_append_new(notes, json_string(buf));
}

/*
 * Which policy confines a container. The node decides, never the workload:
 *
 *  - Kubernetes containers (CRI annotations present): the policies' targets
 *    matched against the pod (by name; label selectors need the API server
 *    and are not matched here) first; then plastron.io/policy, honoured only
 *    for pods of a namespace --annotation-namespaces allows, and only for a
 *    cluster policy or a policy of the pod's own namespace; then the
 *    runtime's default. Sandbox (pause) containers pass through.
 *  - Other callers (docker, ctr, podman, runc: root on the node, who could
 *    run the plain runtime anyway): plastron.io/policy names a policy, else
 *    the runtime's default.
 *
 * "none" never opts out: it requests nothing, so the default (if any)
 * applies. An annotation that is not honoured is a note for the shim and
 * the log. Returns 1 with *ret, 0 for none, <0 on error (err).
 */
static int select_policy(json_t *a, const char *deflt, struct policy **ret, json_t *notes,
			 char *err, size_t errlen)
{
	const char *explicit_ = ann(a, "plastron.io/policy");
	const char *pod, *ns, *cname;
	bool k8s = from_kubernetes(a);

	*ret = NULL;
	if (explicit_ && !strcmp(explicit_, "none")) {
		if (deflt && *deflt)
			note(notes,
			     "plastron.io/policy: none does not opt out: the runtime's default "
			     "policy '%s' applies",
			     deflt);
		explicit_ = NULL;
	}
	if (!k8s && explicit_) {
		*ret = policy_by_name(explicit_);
		if (!*ret) {
			snprintf(err, errlen,
				 "annotation plastron.io/policy names unknown policy '%s'",
				 explicit_);
			return -ENOENT;
		}
		return 1;
	}
	if (ann(a, "io.kubernetes.cri.container-type") &&
	    !strcmp(ann(a, "io.kubernetes.cri.container-type"), "sandbox"))
		return 0;
	pod = ann2(a, "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name");
	ns = ann2(a, "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace");
	cname = ann2(a, "io.kubernetes.cri.container-name", "io.kubernetes.container.name");
	if (pod && ns) {
		for (size_t i = 0; i < A.n_pols; i++) {
			const struct pl_policy *p = A.pols[i]->p;
			if (!p || !p->target.name || !pod_of(p->target.kind, p->target.name, pod))
				continue;
			if (p->kind == PL_KIND_VARMOR_POLICY &&
			    (!p->namespace_ || strcmp(p->namespace_, ns)))
				continue;
			bool in = p->target.containers.n == 0;
			for (size_t j = 0; cname && j < p->target.containers.n; j++)
				in |= !strcmp(p->target.containers.v[j], cname);
			if (in) {
				*ret = A.pols[i];
				if (explicit_ && strcmp(explicit_, A.pols[i]->name))
					note(
					    notes,
					    "annotation plastron.io/policy=%s ignored: policy '%s' "
					    "targets pod %s/%s",
					    explicit_, A.pols[i]->name, ns, pod);
				return 1;
			}
		}
	}
	if (explicit_ && !namespace_may_request(ns)) {
		note(notes,
		     "annotation plastron.io/policy=%s ignored: pods of namespace '%s' may not "
		     "request a policy (plastrond --annotation-namespaces)",
		     explicit_, ns ? ns : "?");
	} else if (explicit_) {
		*ret = policy_by_name(explicit_);
		if (!*ret) {
			snprintf(err, errlen,
				 "annotation plastron.io/policy names unknown policy '%s'",
				 explicit_);
			return -ENOENT;
		}
		const struct pl_policy *p = (*ret)->p;
		if (p && p->kind == PL_KIND_VARMOR_POLICY &&
		    (!p->namespace_ || strcmp(p->namespace_, ns))) {
			snprintf(err, errlen,
				 "annotation plastron.io/policy names policy '%s' of namespace "
				 "'%s', not of the pod's namespace '%s'",
				 explicit_, p->namespace_ ? p->namespace_ : "?", ns);
			*ret = NULL;
			return -EPERM;
		}
		return 1;
	}
	if (deflt && *deflt) {
		*ret = policy_by_name(deflt);
		if (!*ret) {
			snprintf(err, errlen, "default policy '%s' is not loaded", deflt);
			return -ENOENT;
		}
		return 1;
	}
	return 0;
}

/* The policy version's confinement bundle, compiled once. */
static struct pl_bundle *policy_bundle(struct policy *pol, char *err, size_t errlen)
{
	struct pl_diag d = { 0 };

	if (pol->bundle)
		return pol->bundle;
	if (!pol->p) {
		snprintf(err, errlen, "policy '%s' has no version in force", pol->name);
		return NULL;
	}
	if (pl_bundle_build(pol->p, pol->prof, &pol->bundle, &d) < 0) {
		char *first = diag_first(&d);
		snprintf(err, errlen, "policy '%s' does not compile into a confinement bundle: %s",
			 pol->name, first ? first : "unknown error");
		free(first);
		say_diag(pol->name, &d);
		pl_diag_clear(&d);
		return NULL;
	}
	say_diag(pol->name, &d); /* Landlock features this kernel lacks */
	pl_diag_clear(&d);
	say("policy %s: confinement bundle version %s (%s, %zu bytes)", pol->name,
	    pol->bundle->version, pol->bundle->hash, pol->bundle->text_len);
	return pol->bundle;
}

/* For plastron-runtime: the selected policy and its version's bundle. */
static json_t *req_profile(json_t *req)
{
	struct policy *pol;
	struct pl_bundle *b;
	char err[512];
	json_t *notes = json_array();
	int r = select_policy(json_object_get(req, "annotations"),
			      json_string_value(json_object_get(req, "default")), &pol, notes, err,
			      sizeof(err));

	if (r < 0) {
		json_decref(notes);
		return fail("%s", err);
	}
	if (r == 0)
		return json_pack("{s:b,s:n,s:o}", "ok", 1, "policy", "notes", notes);
	b = policy_bundle(pol, err, sizeof(err));
	if (!b) {
		json_decref(notes);
		return fail("%s", err);
	}
	return json_pack("{s:b,s:s,s:s,s:b,s:s%,s:s,s:s,s:o}", "ok", 1, "policy", pol->name, "mode",
			 policy_mode(pol), "cgroup_bpf", pol->n_bpf_entries > 0, "bundle", b->text,
			 b->text_len, "version", b->version, "hash", b->hash, "notes", notes);
}

static json_t *handle(const char *line)
{
	json_error_t je;
	json_t *req = json_loads(line, 0, &je), *ans;
	const char *op;

	if (!req || !json_is_object(req)) {
		json_decref(req);
		return fail("malformed request: %s", je.text);
	}
	op = json_string_value(json_object_get(req, "op"));
	if (!op)
		ans = fail("missing \"op\"");
	else if (!strcmp(op, "status"))
		ans = req_status();
	else if (!strcmp(op, "register"))
		ans = req_register(req, true);
	else if (!strcmp(op, "attach"))
		ans = req_register(req, false);
	else if (!strcmp(op, "detach"))
		ans = req_detach(req);
	else if (!strcmp(op, "mode"))
		ans = req_mode(req);
	else if (!strcmp(op, "profile"))
		ans = req_profile(req);
	else if (!strcmp(op, "doctor")) {
		struct pld_doctor doc;
		pld_doctor_run(&doc);
		ans = pld_doctor_json(&doc);
		json_object_set_new(ans, "ok", json_true());
	} else
		ans = fail(
		    "unknown op '%s' (status, attach, detach, mode, register, profile, doctor)",
		    op);
	json_decref(req);
	return ans;
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
		"  --metrics 127.0.0.1:PORT  Prometheus text on a local HTTP endpoint\n"
		"  --annotation-namespaces NS[,NS]  Kubernetes namespaces whose pods may request\n"
		"                       a policy by annotation plastron.io/policy (\"*\": all;\n"
		"                       default: none)\n"
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

static int tag_listen, tag_ino, tag_sig, tag_metrics, tag_audit, tag_events;

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
		{ "metrics", required_argument, NULL, 'm' },
		{ "annotation-namespaces", required_argument, NULL, 'N' },
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
		case 'm':
			A.metrics = optarg;
			break;
		case 'N':
			annotation_namespaces = optarg;
			break;
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
		int n = epoll_wait(A.epfd, evs, 16, ctl_busy() ? 0 : 200);
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;
			if (tag == &tag_listen)
				ctl_on_listen();
			else if (tag == &tag_ino)
				on_inotify();
			else if (tag == &tag_audit)
				drain_audit();
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
	}
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
