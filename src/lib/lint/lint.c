/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron lint's entry point: reading manifests into the positioned tree
 * (src/lib/policy/tree.c), finding the pod spec of each workload kind (Pod,
 * PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob; Lists and JSON arrays), skipping other objects with a note, its
 * containers, the tree helpers and findings (added, sorted by position).
 * The checks are in pss-baseline.c, pss-restricted.c and own.c; the table in
 * checks.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/policy/internal.h"
#include "lint-internal.h"
#include "shared/arena.h"
#include "shared/macro.h"

/* ---- tree helpers --------------------------------------------------------- */

const struct pl_node *lint_get(const struct pl_node *map, const char *key)
{
	if (!map || map->type != PL_NODE_MAP)
		return NULL;
	const struct pl_node *v = pl_node_get(map, key);
	return v && !pl_node_is_null(v) ? v : NULL;
}

const char *lint_str(const struct pl_node *n)
{
	return n && n->type == PL_NODE_SCALAR ? n->str : NULL;
}

bool lint_is_true(const struct pl_node *n)
{
	return n && n->type == PL_NODE_SCALAR && !n->quoted && !strcmp(n->str, "true");
}

bool lint_is_false(const struct pl_node *n)
{
	return n && n->type == PL_NODE_SCALAR && !n->quoted && !strcmp(n->str, "false");
}

size_t lint_n_items(const struct pl_node *n)
{
	return n && n->type == PL_NODE_SEQ ? n->n_items : 0;
}

char *lint_printf(struct lint_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		c->failed = true;
		return NULL;
	}
	char *out = pl_arena_strdup(c->a, s);
	free(s);
	if (!out)
		c->failed = true;
	return out;
}

const char *lint_path(struct lint_ctx *c, const char *base, const char *key)
{
	if (!base || !key)
		return NULL;
	return *base ? lint_printf(c, "%s.%s", base, key) : lint_printf(c, "%s", key);
}

const char *lint_index(struct lint_ctx *c, const char *base, size_t i)
{
	return base ? lint_printf(c, "%s[%zu]", base, i) : NULL;
}

bool lint_enabled(const struct lint_ctx *c, enum lint_id id)
{
	return pl_lint_check_enabled(&lint_check_table[id], c->set);
}

void lint_add(struct lint_ctx *c, enum lint_id id, const struct pl_node *at, const char *field,
	      const char *hint, const char *fmt, ...)
{
	if (!lint_enabled(c, id))
		return;
	struct pl_lint_finding *f = PL_ARENA_PUSH(c->a, c->r->findings, c->r->n);
	if (!f) {
		c->failed = true;
		return;
	}
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	f->check = &lint_check_table[id];
	f->seq = c->r->n;
	f->workload = c->r->n_workloads ? c->r->n_workloads - 1 : 0;
	f->pos = at ? at->pos : (struct pl_pos){ .file = c->r->file };
	f->field = field;
	f->hint = hint;
	f->message = r < 0 ? NULL : pl_arena_strdup(c->a, msg);
	free(msg);
	if (!f->message || !field)
		c->failed = true;
}

void lint_detail(struct lint_ctx *c, enum lint_id id, const char *detail)
{
	if (!lint_enabled(c, id) || !c->r->n || !detail)
		return;
	struct pl_lint_finding *f = &c->r->findings[c->r->n - 1];
	if (f->check == &lint_check_table[id] && !(f->detail = pl_arena_strdup(c->a, detail)))
		c->failed = true;
}

/* ---- workloads ------------------------------------------------------------ */

static void add_containers(struct lint_ctx *c, const char *key, const char *kind, bool ephemeral)
{
	const struct pl_node *seq = lint_get(c->spec, key);
	const char *base = lint_path(c, c->spec_path, key);
	for (size_t i = 0; i < lint_n_items(seq) && base; i++) {
		const struct pl_node *n = seq->items[i];
		if (n->type != PL_NODE_MAP)
			continue;
		struct lint_container *k = PL_ARENA_PUSH(c->a, c->ctrs, c->n_ctrs);
		if (!k) {
			c->failed = true;
			return;
		}
		const char *name = lint_str(lint_get(n, "name"));
		*k = (struct lint_container){ .node = n,
					      .path = lint_index(c, base, i),
					      .name = name ? name : "?",
					      .kind = kind,
					      .ephemeral = ephemeral };
	}
}

static void lint_pod(struct lint_ctx *c, const struct pl_node *meta, const char *meta_path,
		     const struct pl_node *spec, const char *spec_path)
{
	c->meta = meta;
	c->meta_path = meta_path;
	c->spec = spec;
	c->spec_path = spec_path;
	c->ctrs = NULL;
	c->n_ctrs = 0;
	c->user_ns = lint_is_false(lint_get(spec, "hostUsers"));
	add_containers(c, "initContainers", "init container", false);
	add_containers(c, "containers", "container", false);
	add_containers(c, "ephemeralContainers", "ephemeral container", true);
	lint_pss_baseline(c);
	lint_pss_restricted(c);
	lint_plastron(c);
}

/* Where each workload kind keeps its pod template: the keys leading to the
 * template (whose metadata and spec are the pod's), or none for a Pod; and
 * the API groups of the kind (a "Job" of another group is not linted). */
static const struct {
	const char *kind;
	const char *to_template[5];
	const char *groups; /* "" is the core group; a space separates */
} workloads[] = {
	{ "Pod", { NULL }, "" },
	{ "PodTemplate", { "template", NULL }, "" },
	{ "Deployment", { "spec", "template", NULL }, "apps extensions" },
	{ "StatefulSet", { "spec", "template", NULL }, "apps" },
	{ "DaemonSet", { "spec", "template", NULL }, "apps extensions" },
	{ "ReplicaSet", { "spec", "template", NULL }, "apps extensions" },
	{ "Job", { "spec", "template", NULL }, "batch" },
	{ "CronJob", { "spec", "jobTemplate", "spec", "template", NULL }, "batch" },
};

/* Whether apiVersion `av` ("v1", "apps/v1") is in one of `groups`; an object
 * without apiVersion is taken as it is. */
static bool in_groups(const char *av, const char *groups)
{
	if (!av)
		return true;
	const char *slash = strchr(av, '/');
	size_t n = slash ? (size_t)(slash - av) : 0;
	if (!slash)
		return !*groups;
	for (const char *g = groups; *g;) {
		const char *e = strchrnul(g, ' ');
		if ((size_t)(e - g) == n && !strncmp(g, av, n))
			return true;
		g = *e ? e + 1 : e;
	}
	return false;
}

static void object(struct lint_ctx *c, const struct pl_node *doc, const char *path,
		   struct pl_diag *d);

static void object_list(struct lint_ctx *c, const struct pl_node *items, const char *path,
			struct pl_diag *d)
{
	for (size_t i = 0; i < lint_n_items(items); i++)
		object(c, items->items[i], lint_index(c, path, i), d);
}

static void object(struct lint_ctx *c, const struct pl_node *doc, const char *path,
		   struct pl_diag *d)
{
	if (!path)
		return;
	if (doc->type == PL_NODE_SEQ) {
		object_list(c, doc, path, d);
		return;
	}
	const char *kind = lint_str(lint_get(doc, "kind"));
	if (kind && !strcmp(kind, "List")) {
		object_list(c, lint_get(doc, "items"), lint_path(c, path, "items"), d);
		return;
	}
	const char *name = lint_str(lint_get(lint_get(doc, "metadata"), "name"));
	for (size_t i = 0; kind && i < PL_ARRAY_SIZE(workloads); i++) {
		if (strcmp(kind, workloads[i].kind) ||
		    !in_groups(lint_str(lint_get(doc, "apiVersion")), workloads[i].groups))
			continue;
		const struct pl_node *t = doc;
		const char *tpath = path;
		for (size_t k = 0; workloads[i].to_template[k] && t; k++) {
			t = lint_get(t, workloads[i].to_template[k]);
			tpath = lint_path(c, tpath, workloads[i].to_template[k]);
		}
		const struct pl_node *spec = lint_get(t, "spec");
		if (!spec || spec->type != PL_NODE_MAP || !tpath) {
			pl_note(d, &doc->pos, NULL, "skipping %s%s%s%s: no pod spec", kind,
				name ? " '" : "", name ? name : "", name ? "'" : "");
			return;
		}
		struct pl_lint_workload *w =
		    PL_ARENA_PUSH(c->a, c->r->workloads, c->r->n_workloads);
		if (!w) {
			c->failed = true;
			return;
		}
		*w = (struct pl_lint_workload){
			.kind = workloads[i].kind,
			.name = name ? name : "",
			.namespace_ = lint_str(lint_get(lint_get(doc, "metadata"), "namespace")),
			.pos = doc->pos,
		};
		lint_pod(c, lint_get(t, "metadata"), lint_path(c, tpath, "metadata"), spec,
			 lint_path(c, tpath, "spec"));
		return;
	}
	const char *av = lint_str(lint_get(doc, "apiVersion"));
	if (kind)
		pl_note(d, &doc->pos, NULL, "skipping %s%s%s%s%s%s%s: not a workload", kind,
			name ? " '" : "", name ? name : "", name ? "'" : "", av ? " (" : "",
			av ? av : "", av ? ")" : "");
	else
		pl_note(d, &doc->pos, NULL, "skipping an object without kind");
}

/* ---- the report ----------------------------------------------------------- */

PL_EXPORT void pl_lint_report_free(struct pl_lint_report *r)
{
	if (!r)
		return;
	pl_arena_free(r->arena);
	free(r);
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct pl_lint_finding *a = pa, *b = pb;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	/* same node: table order, then as found */
	if (a->check != b->check)
		return a->check < b->check ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

PL_EXPORT int pl_lint_buffer(const char *name, const char *buf, size_t len, enum pl_lint_set set,
			     struct pl_lint_report **ret, struct pl_diag *diag)
{
	struct pl_diag local = { 0 };
	struct pl_diag *d = diag ? diag : &local;
	size_t errs = d->n_errors;
	int r = -ENOMEM;
	struct pl_lint_report *rep = calloc(1, sizeof(*rep));
	if (!rep || !(rep->arena = pl_arena_new()) ||
	    !(rep->file = pl_arena_strdup(rep->arena, name ? name : "<buffer>"))) {
		pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto fail;
	}
	struct pl_node **docs = NULL;
	r = pl_tree_parse(rep->arena, rep->file, buf ? buf : "", buf ? len : 0, &docs, d);
	if (r < 0)
		goto fail;
	struct lint_ctx c = { .a = rep->arena, .r = rep, .set = set };
	for (int i = 0; i < r && !c.failed; i++)
		object(&c, docs[i], "", d);
	if (c.failed || pl_arena_failed(rep->arena)) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto fail;
	}
	if (d->n_errors > errs) {
		r = -EINVAL;
		goto fail;
	}
	/* the findings array is arena-owned; sort it in place */
	if (rep->n > 1)
		qsort(rep->findings, rep->n, sizeof(*rep->findings), cmp_finding);
	*ret = rep;
	pl_diag_clear(&local);
	return 0;
fail:
	pl_lint_report_free(rep);
	pl_diag_clear(&local);
	return r < 0 ? r : -EINVAL;
}

PL_EXPORT int pl_lint_file(const char *path, enum pl_lint_set set, struct pl_lint_report **ret,
			   struct pl_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int r = pl_input_read(path, &buf, &len, d);
	if (r < 0)
		return r;
	r = pl_lint_buffer(strcmp(path, "-") ? path : "<stdin>", buf, len, set, ret, d);
	free(buf);
	return r;
}

/* ---- securityContexts ------------------------------------------------------ */

const char *lint_who(struct lint_ctx *c, const struct lint_container *k)
{
	return lint_printf(c, "%s '%s'", k->kind, k->name);
}

void lint_each_sc(struct lint_ctx *c, bool pod, lint_sc_fn fn)
{
	if (pod) {
		const struct pl_node *sc = lint_get(c->spec, "securityContext");
		const char *p = lint_path(c, c->spec_path, "securityContext");
		if (p)
			fn(c, sc, sc ? sc : c->spec, p, "the pod", NULL);
	}
	for (size_t i = 0; i < c->n_ctrs; i++) {
		const struct lint_container *k = &c->ctrs[i];
		const struct pl_node *sc = lint_get(k->node, "securityContext");
		const char *p = lint_path(c, k->path, "securityContext");
		const char *who = lint_who(c, k);
		if (p && who)
			fn(c, sc, sc ? sc : k->node, p, who, k);
	}
}

bool lint_in(const char *s, const char *const *v)
{
	for (size_t i = 0; s && v[i]; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}
