/* SPDX-License-Identifier: Apache-2.0 */
/*
 * containers.c: the container registry of plastrond (cgroup v2 id -> policy):
 * lookups by policy name/id, cgroup, pid; adding, removing and sweeping
 * containers whose cgroup went; the state file (save, load at start-up);
 * choosing a container's policy (annotations, pod matching: select_policy).
 */
#include "agent.h"

/* ---- lookups ------------------------------------------------------------ */
struct policy *policy_by_name(const char *name)
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

struct policy *policy_by_id(uint32_t id)
{
	for (size_t i = 0; i < A.n_pols; i++)
		if (A.pols[i]->id == id)
			return A.pols[i];
	return NULL;
}

struct container *container_by_cgid(uint64_t id)
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

void pid_remember(int pid, uint64_t cgid)
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

struct container *container_by_pid(int pid)
{
	char path[PATH_MAX];
	struct container *c = NULL;

	if (pid <= 0)
		return NULL;
	if (pld_cgroup_of_pid(pid, path, sizeof(path)) == 0)
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

void state_save(void)
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
		json_t *o = json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:O?}", "cgroup_id",
				      (json_int_t)c->cgid, "cgroup", c->cgroup, "policy", c->policy,
				      "id", c->id, "name", c->name, "annotations", c->annotations);
		if (o && c->mnt_ns)
			json_object_set_new(o, "mnt_ns", json_integer((json_int_t)c->mnt_ns));
		json_array_append_new(ctrs, o);
	}
	json_object_set_new(root, "policies", pols);
	json_object_set_new(root, "containers", ctrs);
	json_object_set_new(root, "events_logged", json_integer((json_int_t)A.events_logged));
	snprintf(tmp, sizeof(tmp), "%s.tmp", A.state);
	/* Mode 0600 (it holds container ids and annotations), also when a
	 * file with another mode was there. */
	/* One buffer, one write (json_dumpfd writes token by token). */
	char *text = json_dumps(root, JSON_INDENT(1));
	size_t len = text ? strlen(text) : 0, off = 0;
	int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	bool ok = fd >= 0 && fchmod(fd, 0600) == 0;
	while (ok && off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	if (!text)
		errno = ENOMEM;
	if (!ok || close(PL_TAKE_FD(fd)) < 0 || rename(tmp, A.state) < 0)
		say("cannot write state %s: %s", A.state, strerror(errno));
	else
		A.events_saved = A.events_logged;
	if (fd >= 0)
		close(fd);
	A.state_dirty = false;
	free(text);
	json_decref(root);
}

void state_save_soon(void)
{
	A.state_dirty = true;
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

void container_remove(struct container *c, const char *why)
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

const char *ann(json_t *a, const char *key)
{
	return json_string_value(json_object_get(a, key));
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Add (or replace) a registration; the map update happens here. Every
 * allocation comes first: once the kernel confines the cgroup, the record
 * that keeps its policy alive (policy_users) must exist. */
int container_add(const char *cgpath, uint64_t cgid, struct policy *pol, const char *id,
		  const char *name, json_t *annotations, char *err, size_t errlen)
{
	struct pl_diag d = { 0 };
	struct container *c, *old;
	int r;

	c = calloc(1, sizeof(*c));
	struct container **v = realloc(A.ctrs, (A.n_ctrs + 1) * sizeof(*v));
	if (v)
		A.ctrs = v;
	if (!c || !v) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
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
	if (!c->cgroup || !c->policy) {
		container_free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = pl_enforcer_register(A.e, cgid, pol->id, &d);
	if (r < 0) {
		char *s = diag_first(&d);
		snprintf(err, errlen, "%s", s ? s : strerror(-r));
		free(s);
		pl_diag_clear(&d);
		container_free(c);
		return r;
	}
	old = container_by_cgid(cgid);
	if (old) {
		PTR_REMOVE(A.ctrs, A.n_ctrs, old);
		container_free(old);
	}
	A.ctrs[A.n_ctrs++] = c;
	state_save_soon();
	say("container %s%s%s (cgroup %s, id %llu) registered with policy %s (id %u)",
	    c->id ? c->id : "-", c->name ? " " : "", c->name ? c->name : "", c->cgroup,
	    (unsigned long long)cgid, pol->name, pol->id);
	return 0;
}

/* Drop registrations whose cgroup is gone (or was replaced). */
void sweep(void)
{
	char mnt[256], abs_path[PATH_MAX];

	if (pld_cgroup_mount(mnt, sizeof(mnt)) < 0)
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

void state_load(void)
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
		c->mnt_ns = (uint32_t)json_integer_value(json_object_get(v, "mnt_ns"));
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

const char *ann2(json_t *a, const char *k1, const char *k2)
{
	const char *v = ann(a, k1);
	return v ? v : ann(a, k2);
}

/* Namespaces whose pods may request a policy by annotation
 * (--annotation-namespaces NS[,NS]; "*" for all). Default: none. */
const char *annotation_namespaces;

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
int select_policy(json_t *a, const char *deflt, struct policy **ret, json_t *notes, char *err,
		  size_t errlen)
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
	/* A CRI sandbox (pause) container matches no target and requests
	 * nothing, but the runtime's default still applies: the annotation is
	 * settable by anyone who writes a spec, so it must not opt out. */
	if (ann(a, "io.kubernetes.cri.container-type") &&
	    !strcmp(ann(a, "io.kubernetes.cri.container-type"), "sandbox"))
		goto deflt;
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
deflt:
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
