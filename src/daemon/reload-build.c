/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reload-build.c: compiling one file of a reload batch (batch_build: read,
 * parse, validate, the rules no mechanism carries, cgroup-BPF tables,
 * seccomp profile, filter (compile.c) and the confinement bundle), and the
 * refusal of a file. Everything here is safe on the compile worker thread
 * (reload-worker.c): it touches only the change it is given, compile.c's
 * locked filter cache and the library, never the agent's state A.
 */
#include "agent.h"

void change_refuse(struct change *c, int r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pl_error(&c->d, r, NULL, NULL, "%s", buf);
	c->r = r;
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
	if (p->has_network_proxy_config)
		unenforced_one(d, ok, list, &p->network_proxy_config_pos,
			       "spec.policy.networkProxyConfig", "networkProxyConfig",
			       "a network proxy (not part of plastron)");
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

int64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/*
 * Read, validate and compile one file of the batch. Runs on the compile
 * worker: it touches only `c` (c->ipath was interned by the main thread),
 * `T` and the library (which keeps no unlocked state), never A.
 */
void batch_build(struct change *c, struct batch_times *T)
{
	int r;

	c->source = read_file(c->path, &c->source_len);
	if (!c->source) {
		change_refuse(c, -errno, "cannot read %s: %s", c->path, strerror(errno));
		return;
	}
	/* Positions in the set borrow the name: it must live as long as the set. */
	int64_t t0 = now_us();
	r = pl_policy_set_load_buffer(c->ipath, c->source, c->source_len, &c->set, &c->d);
	T->parse += now_us() - t0;
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
		T->gen += t1 - t0;
		struct compiled cc = { 0 };
		if (r == 0)
			r = compile_seccomp(p, c->b[i].prof, &cc, &c->d);
		T->seccomp += now_us() - t1;
		/* compiled once, here: a container start only places it */
		if (r == 0)
			r = pl_bundle_build_compiled(p, c->b[i].prof, cc.bpf, cc.bpf_len,
						     cc.oci_json, &c->b[i].bundle, &c->d);
		compiled_clear(&cc);
		if (r == 0) /* the agent never needs it: a profile's worth of memory */
			free(PL_TAKE_PTR(c->b[i].bundle->oci_json));
		if (r < 0) {
			c->r = r;
			return;
		}
	}
}
