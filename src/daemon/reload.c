/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reload.c: plastrond's reload batches: the files of a batch (each compiled
 * on its own by batch_build, reload-build.c) applied as one transaction;
 * fault injection for the transaction tests (PLD_FAULT_INJECTION builds
 * only). A batch runs in phases (struct batch, agent.h): batch_build (on
 * the compile worker thread, see reload-worker.c), then, on the main
 * thread: batch_begin (names, shrink checks, ids and records),
 * batch_programs (the programs of policies new to the kernel, one policy
 * at a time between other work), batch_finish (stage, switch, tables).
 * reload_batch runs them back to back. Nothing in this file is called from
 * the worker thread.
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

static void built_free(struct change *c)
{
	for (size_t i = 0; c->b && i < c->nb; i++) {
		pl_bpf_tables_free(c->b[i].t);
		pl_sc_profile_free(c->b[i].prof);
		pl_bundle_free(c->b[i].bundle);
		json_decref(c->b[i].unenforced);
	}
	free(c->b);
	c->b = NULL;
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
	if (policy_by_id(id) || policy_id_dropping(id))
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
			if (!id || policy_by_id(id) || policy_id_dropping(id) ||
			    id_taken_fresh(id, v, n)) {
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
		pl_bundle_free(pol->bundle);
		pol->bundle = PL_TAKE_PTR(b->bundle);
		json_decref(pol->unenforced);
		pol->unenforced = PL_TAKE_PTR(b->unenforced);
		pol->p = b->p;
		pol->file = pf;
		pol->mark = true;
		say("policy %s (id %u) loaded from %s: %zu cgroup-bpf entries, mode %s", pol->name,
		    pol->id, c->path, pol->n_bpf_entries, pol->observe ? "observe" : "as loaded");
		say("policy %s: confinement bundle version %s (%s, %zu bytes)", pol->name,
		    pol->bundle->version, pol->bundle->hash, pol->bundle->text_len);
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

unsigned long reload_gen;

/*
 * The agent's side of a batch before the kernel's: records found, files
 * ordered (recorded owners first), duplicate names and in-place shrinking
 * refused, then every allocation the switch needs (batch_prepare: new
 * records, ids). b->need: the ids whose programs this handle has not
 * loaded yet. Main thread.
 */
void batch_begin(struct batch *b)
{
	int64_t t0 = now_us();

	b->v = calloc(b->n ? b->n : 1, sizeof(*b->v));
	b->need = calloc(1, sizeof(*b->need));
	if (!b->v || !b->need) {
		free(b->v); /* batch_finish refuses nothing, applies nothing */
		free(b->need);
		b->v = NULL;
		b->need = NULL;
		b->r = -ENOMEM;
		return;
	}
	fault_arm();
	batch_gen++;
	for (size_t i = 0; i < b->n; i++) {
		struct change *c = b->v[i] = &b->cv[i];
		c->pf = pfile_find(c->path);
		if (c->removed && !c->pf)
			c->r = 1; /* nothing to do */
	}
	qsort(b->v, b->n, sizeof(*b->v), cmp_change);
	batch_claims(b->v, b->n);
	for (size_t i = 0; i < b->n; i++)
		check_shrink(b->v[i]);
	for (size_t i = 0; i < b->n; i++)
		b->n_ok += b->v[i]->r == 0;
	if (b->n_ok)
		b->r = batch_prepare(b->v, b->n, &b->np, &b->nf, &b->d);
	for (size_t x = 0; x < b->n && b->n_ok && b->r == 0; x++) {
		struct change *c = b->v[x];
		if (c->r != 0 || c->removed)
			continue;
		for (size_t i = 0; i < c->set->n; i++) {
			struct policy *pol =
			    c->fresh[i] ? c->fresh[i] : policy_by_name(c->b[i].p->name);
			if (pl_enforcer_has_programs(A.e, pol->id))
				continue;
			uint32_t *v = realloc(b->need, (b->n_need + 1) * sizeof(*v));
			if (!v)
				break; /* the stage loads them */
			b->need = v;
			b->need[b->n_need++] = pol->id;
		}
	}
	b->gen = reload_gen;
	b->T.main_thread += now_us() - t0;
}

/*
 * Load the programs of b->need, from b->next_need on, until `budget_us`
 * has passed (at least one). Returns true when all are loaded. A failure
 * is left to the stage, which loads them again and fails the batch.
 */
bool batch_programs(struct batch *b, int64_t budget_us)
{
	int64_t t0 = now_us();

	while (b->next_need < b->n_need) {
		struct pl_diag d = { 0 };
		int64_t t1 = now_us();
		(void)pl_enforcer_load_programs(A.e, b->need[b->next_need++], &d);
		pl_diag_clear(&d);
		int64_t t2 = now_us();
		b->T.programs += t2 - t1;
		if (t2 - t1 > b->T.longest_step)
			b->T.longest_step = t2 - t1;
		if (t2 - t0 >= budget_us)
			break;
	}
	b->T.main_thread += now_us() - t0;
	return b->next_need == b->n_need;
}

static void batch_free(struct batch *b)
{
	for (size_t x = 0; x < b->n; x++) {
		struct change *c = &b->cv[x];
		change_undo(c);
		built_free(c);
		pl_policy_set_free(c->set);
		free(c->fresh);
		free(c->source);
		free(c->err);
		pl_diag_clear(&c->d);
		c->set = NULL;
		c->fresh = NULL;
		c->source = c->err = NULL;
	}
	pl_diag_clear(&b->d);
	free(b->v);
	free(b->need);
	b->v = NULL;
	b->need = NULL;
}

/* A batch dropped between begin and finish (the agent's tables changed in
 * between, or the agent stops): nothing of it was applied. */
void batch_abandon(struct batch *b)
{
	batch_free(b);
}

/*
 * The transaction and the agent's tables (see above). Returns how many
 * files were refused. Files refused for a duplicate name are tried again
 * when names were released. Main thread.
 */
size_t batch_finish(struct batch *b)
{
	struct change **v = b->v;
	struct pl_enforcer_txn *txn = NULL;
	size_t n = b->n, n_ok = b->n_ok, n_refused = 0;
	int64_t t_fin = now_us(), t0;
	int r = b->r;

	if (!v) {
		batch_free(b);
		return n;
	}
	if (n_ok) {
		if (r == 0)
			r = pl_enforcer_txn_begin(A.e, &txn, &b->d);
		t0 = now_us();
		for (size_t x = 0; x < n && r == 0; x++) {
			struct change *c = v[x];
			if (c->r != 0 || c->removed)
				continue;
			for (size_t i = 0; i < c->set->n && r == 0; i++) {
				struct policy *pol =
				    c->fresh[i] ? c->fresh[i] : policy_by_name(c->b[i].p->name);
				r = pl_enforcer_txn_stage(txn, pol->id, c->b[i].t, &b->d);
			}
		}
		b->T.stage = now_us() - t0;
		t0 = now_us();
		if (txn)
			r = r < 0 ? (pl_enforcer_txn_abort(txn), r)
				  : pl_enforcer_txn_commit(txn, &b->d);
		b->T.commit = now_us() - t0;
		if (r < 0) {
			char *s = diag_first(&b->d);
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
			say_diag("reload", &b->d);
		}
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
	policies_remove_dropped(); /* the kernel side of every drop, at once */
	for (size_t x = 0; x < n; x++) {
		struct change *c = v[x];
		if (c->r < 0) {
			change_refused(c);
			n_refused++;
		}
	}
	batch_free(b);
	ghosts_free();
	state_save();
	reload_gen++;
	int64_t fin = now_us() - t_fin;
	b->T.main_thread += fin;
	if (fin > b->T.longest_step)
		b->T.longest_step = fin;
	if (b->T.inline_all)
		b->T.longest_step = b->T.main_thread;
	say("reload done: %zu file(s) applied, %zu refused (%lld ms: parse %lld, generate %lld, "
	    "seccomp filters %lld, programs %lld, kernel stage %lld, switch %lld; main thread "
	    "%lld ms, longest step %lld ms)",
	    n_ok - (r < 0 ? n_ok : 0), n_refused, (long long)(now_us() - b->T.start) / 1000,
	    (long long)b->T.parse / 1000, (long long)b->T.gen / 1000,
	    (long long)b->T.seccomp / 1000, (long long)b->T.programs / 1000,
	    (long long)b->T.stage / 1000, (long long)b->T.commit / 1000,
	    (long long)b->T.main_thread / 1000, (long long)b->T.longest_step / 1000);
	if (released)
		retry_duplicates();
	return n_refused;
}

/* A whole batch on the calling (main) thread: start-up, `plastron attach
 * --policy FILE`, files retried after a duplicate outside the loop (inside
 * it they are queued for the worker), and every reload when the worker
 * cannot start. */
size_t reload_batch(struct change *cv, size_t n)
{
	struct batch b = { .cv = cv, .n = n };

	b.T.start = now_us();
	for (size_t i = 0; i < n; i++) {
		cv[i].ipath = intern(cv[i].path);
		if (!cv[i].removed)
			batch_build(&cv[i], &b.T);
	}
	b.T.main_thread = now_us() - b.T.start;
	b.T.inline_all = true;
	batch_begin(&b);
	batch_programs(&b, INT64_MAX);
	return batch_finish(&b);
}

/* Files refused because a name was held elsewhere, tried again once names
 * were released (the holder changed or went). */
