/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reload.c: plastrond's reload batches: each file of a batch validated and
 * compiled on its own, the files that pass applied as one transaction
 * (reload_batch); fault injection for the transaction tests
 * (PLD_FAULT_INJECTION builds only).
 */
#include "agent.h"

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

/* The file of the batch the state file records as the owner of `name`, when
 * it is not `c` and defines the name (so a restart keeps each name where it
 * was, whatever the order of the files). */
static const char *saved_holder(struct change **v, size_t n, const struct change *c,
				const char *name)
{
	const char *o = saved_owner(name);

	if (!o || !strcmp(o, c->path))
		return NULL;
	for (size_t j = 0; j < n; j++)
		if (v[j] != c && v[j]->r == 0 && !v[j]->removed && !strcmp(v[j]->path, o))
			for (size_t x = 0; x < v[j]->set->n; x++)
				if (!strcmp(v[j]->set->policies[x]->name, name))
					return v[j]->path;
	return NULL;
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
			if (!holder && !(other && c->pf && other->file == c->pf))
				holder = saved_holder(v, n, c, name);
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
		if (pl_enforcer_tables_hash(b->t, pol->bpf_hash) < 0)
			pol->bpf_hash[0] = 0; /* (out of memory) not reported */
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
size_t reload_batch(struct change *cv, size_t n)
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
