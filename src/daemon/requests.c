/* SPDX-License-Identifier: Apache-2.0 */
/*
 * requests.c: the control-protocol requests of plastrond (status,
 * attach/register, detach, mode, profile, doctor) and their dispatch
 * (handle). The socket server is control.c.
 */
#include "agent.h"

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
		/* what the kernel tables of this version hash to (tables-hash.c) */
		if (p->bpf_hash[0])
			json_object_set_new(x, "cgroup_bpf_hash", json_string(p->bpf_hash));
		/* kept at its last version for containers after its file went */
		if (policy_orphaned(p)) {
			json_object_set_new(x, "orphaned", json_true());
			json_object_set_new(x, "containers",
					    json_integer((json_int_t)policy_users(p)));
		}
		/* accepted with spec.plastron.allowUnenforced */
		if (p->unenforced)
			json_object_set(x, "unenforced", p->unenforced);
		if (p->bundle) /* the version in force (NULL: an orphan without source) */
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
		r = pld_cgroup_of_pid((pid_t)json_integer_value(pid), path, sizeof(path));
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
	if (json_is_integer(json_object_get(req, "pid"))) {
		int pid = (int)json_integer_value(json_object_get(req, "pid"));
		struct container *c = container_by_cgid(id);
		pid_remember(pid, id);
		uint32_t ns = pid_mnt_ns(pid);
		if (c && ns)
			c->mnt_ns = ns;
	}
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

/* The policy version's confinement bundle, compiled with it (batch_build):
 * a start never compiles. */
static struct pl_bundle *policy_bundle(struct policy *pol, char *err, size_t errlen)
{
	if (pol->bundle)
		return pol->bundle;
	if (!pol->p)
		snprintf(err, errlen, "policy '%s' has no version in force", pol->name);
	else
		snprintf(err, errlen, "policy '%s' has no confinement bundle", pol->name);
	return NULL;
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
	/* The bundle (binary after its head) follows the answer's line. */
	ctl_attach(b->text, b->text_len);
	return json_pack("{s:b,s:s,s:s,s:b,s:s,s:s,s:o}", "ok", 1, "policy", pol->name, "mode",
			 policy_mode(pol), "cgroup_bpf", pol->n_bpf_entries > 0, "version",
			 b->version, "hash", b->hash, "notes", notes);
}

/*
 * The hook plastron-hook sends the runtime's OCI state as it is
 * ("oci_state"); take pid, container id, annotations and a name from it,
 * as `plastron-runtime hook` does before sending. Returns 0 (also when
 * there is none) or -1 (not a state).
 */
static int from_oci_state(json_t *req)
{
	json_t *st = json_object_get(req, "oci_state");
	json_t *a;
	const char *name = NULL;

	if (!st)
		return 0;
	if (!json_is_object(st) || !json_is_integer(json_object_get(st, "pid")))
		return -1;
	a = json_object_get(st, "annotations");
	if (json_is_object(a)) {
		name = ann(a, "io.kubernetes.cri.container-name");
		if (!name)
			name = ann(a, "nerdctl/name");
		if (!name)
			name = ann(a, "plastron.io/name");
		json_object_set(req, "annotations", a);
	}
	json_object_set(req, "pid", json_object_get(st, "pid"));
	json_object_set_new(req, "container_id",
			    json_string(json_string_value(json_object_get(st, "id")) ?: "?"));
	if (name)
		json_object_set_new(req, "name", json_string(name));
	return 0;
}

json_t *handle(const char *line)
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
		ans = from_oci_state(req) < 0 ? fail("\"oci_state\" is not an OCI state object")
					      : req_register(req, true);
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
