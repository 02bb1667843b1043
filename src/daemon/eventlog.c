/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventlog.c: plastrond's JSON-lines violation log and its rotation, the
 * metrics counters, and the attribution of events to containers: cgroup-BPF
 * events from the enforcer's ring buffer (on_cg_event) and audit records
 * (seccomp, Landlock) from the audit netlink group (drain_audit). Each
 * becomes a struct pl_event, written by pl_event_json (src/lib/events/
 * event-json.c: the one event schema, also that of `plastron run`).
 */
#include "agent.h"

/* ---- violation log ------------------------------------------------------ */
int log_open(void)
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

/* Append one complete line (with its '\n') to the log, rotating first when
 * it would pass the size limit. The log is fully buffered: callers flush
 * after a batch (one audit event, one ring-buffer poll). */
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

/* The container fields of `ev`: pointers into `c`, valid while the event
 * is written. The policy is the container's unless the event names one. */
static void attribute(struct pl_event *ev, struct container *c)
{
	ev->container_id = c->id ? c->id : "";
	ev->container_name = c->name ? c->name : "";
	ev->container = c->cname;
	ev->pod = c->pod;
	ev->namespace_ = c->ns;
	ev->cgroup = c->cgroup;
	ev->mnt_ns = c->mnt_ns;
	if (!ev->policy)
		ev->policy = c->policy;
	ev->pod_uid =
	    ann2(c->annotations, "io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid");
	ev->image =
	    ann2(c->annotations, "io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName");
	/* The bundle the container started with (the shim's annotation). */
	if (!ev->policy_hash)
		ev->policy_hash = ann(c->annotations, "plastron.io/bundle-hash");
}

/* The policy's kind and namespace (NULL: not known). */
static void policy_identity(struct pl_event *ev)
{
	struct policy *pol = ev->policy ? policy_by_name(ev->policy) : NULL;

	if (!pol || !pol->p)
		return;
	ev->policy_kind = pl_policy_kind_name(pol->p->kind);
	if (pol->p->kind == PL_KIND_VARMOR_POLICY)
		ev->policy_namespace = pol->p->namespace_ ? pol->p->namespace_ : "default";
}

/* The inode of /proc/PID/ns/mnt, 0 when unknown (the vArmor format: a
 * readlink per event; registration: once per container). */
uint32_t pid_mnt_ns(int64_t pid)
{
	char path[64], link[64];
	ssize_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%lld/ns/mnt", (long long)pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strncmp(link, "mnt:[", 5) ? 0 : (uint32_t)strtoul(link + 5, NULL, 10);
}

/* Write one event as a JSON line (--log-format: pl_event_json, the one
 * schema, also that of `plastron run`, or vArmor's) and count it in the
 * metrics. */
static void log_event(struct pl_event *ev)
{
	static struct pl_event_json_cache cache; /* keeps the formatted second */
	char buf[2048], *line = buf;
	size_t n;

	policy_identity(ev);
	if (A.log_format == PL_EVENT_FORMAT_VARMOR) {
		ev->node = A.node;
		/* its container's, read at registration (a denied process has
		 * often exited by now, and its pid may name another process
		 * already); the live process's only when there is no container */
		if (!ev->mnt_ns)
			ev->mnt_ns = pid_mnt_ns(ev->pid);
		if (pl_event_to_varmor_json(ev, &line) < 0) {
			say("%s event: out of memory, event of pid %lld not logged",
			    pl_enforcer_kind_name(ev->enforcer), (long long)ev->pid);
			return;
		}
		n = strlen(line);
		metric_count(ev->rule, pl_event_action_name(ev->action),
			     pl_enforcer_kind_name(ev->enforcer));
		log_line(line, n);
		free(line);
		return;
	}
	n = pl_event_json(ev, &cache, buf, sizeof(buf));
	if (n >= sizeof(buf)) {
		line = malloc(n + 1);
		if (!line || pl_event_json(ev, &cache, line, n + 1) != n) {
			say("%s event: out of memory, event of pid %lld not logged",
			    pl_enforcer_kind_name(ev->enforcer), (long long)ev->pid);
			free(line);
			return;
		}
	}
	metric_count(ev->rule, pl_event_action_name(ev->action),
		     pl_enforcer_kind_name(ev->enforcer));
	log_line(line, n);
	if (line != buf)
		free(line);
}

/* ---- enforcer events ---------------------------------------------------- */
/* One line per ring-buffer event; flushed after each poll. */
int on_cg_event(void *userdata, const struct pl_cg_event *cg)
{
	struct timespec mono, real;
	struct container *c = container_by_cgid(cg->cgroup_id);
	struct policy *pol = policy_by_id(cg->policy);
	struct pl_event ev;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	int64_t now_mono = (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec;
	int64_t now_real = (int64_t)real.tv_sec * 1000 + real.tv_nsec / 1000000;

	if (!c)
		c = container_by_pid((int)cg->pid);
	else
		pid_remember((int)cg->pid, c->cgid);
	pl_event_from_cg(&ev, cg, now_real - (now_mono - (int64_t)cg->ts_ns) / 1000000);
	if (pol && pol->observe && cg->mode == PL_CG_MODE_AUDIT)
		snprintf(ev.mode, sizeof(ev.mode), "observe");
	ev.policy = pol ? pol->name : NULL;
	if (c)
		attribute(&ev, c);
	else
		A.unattributed++;
	log_event(&ev);
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
static void seccomp_candidates(const struct pl_sc_profile *prof, struct pl_event *ev)
{
	char buf[256] = "";
	size_t n = 0;

	for (size_t i = 0; i < prof->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &prof->syscalls[i];
		if (!sc->origin || sc->action == PL_SC_ACT_ALLOW)
			continue;
		bool hit = false;
		for (size_t j = 0; j < sc->n_names && !hit; j++)
			hit = !strcmp(sc->names[j], ev->syscall);
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
		size_t len = strnlen(buf, sizeof(ev->rule) - 1); /* cut as before */

		memcpy(ev->rule, buf, len);
		ev->rule[len] = '\0';
		ev->rule_ambiguous = true;
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
		snprintf(ev.rule, sizeof(ev.rule), "%s", PL_EVENT_RULE_LANDLOCK);
	if (ev.enforcer == PL_EVENT_SECCOMP && pol && pol->prof && ev.syscall[0] &&
	    ev.action != PL_EVENT_ALLOWED)
		seccomp_candidates(pol->prof, &ev);
	ev.cgroup_id = c->cgid;
	attribute(&ev, c);
	log_event(&ev);
	if (A.logf)
		fflush(A.logf);
}

void drain_audit(void)
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
