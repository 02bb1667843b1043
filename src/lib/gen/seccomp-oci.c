/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct pl_sc_profile to OCI runtime-spec `linux.seccomp` JSON (what runc,
 * crun, containerd, Docker and the kubelet read). Deterministic. The import
 * side (JSON into the model) is policy input: src/lib/policy/seccomp-json.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/error.h"
#include "plastron/gen.h"
#include "seccomp-internal.h"
#include "shared/macro.h"

/* ---- export --------------------------------------------------------------- */

/* jansson reports a failed allocation only through return values: every
 * set and append goes through these, and one failure fails the export
 * (never a profile with a key or an entry missing). */
static void jset(bool *bad, json_t *o, const char *key, json_t *v)
{
	if (json_object_set_new(o, key, v) < 0)
		*bad = true;
}

static void jadd(bool *bad, json_t *a, json_t *v)
{
	if (json_array_append_new(a, v) < 0)
		*bad = true;
}

/* json_dumps, into a buffer of ours: jansson 2.14's json_dumps can return a
 * text with a key missing when one of its allocations fails. */
struct jbuf {
	char *s;
	size_t len, cap;
	bool bad;
};

static int jbuf_add(const char *buf, size_t n, void *data)
{
	struct jbuf *b = data;
	if (b->len + n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + n + 2 > cap)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			b->bad = true;
			return -1;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, buf, n);
	b->len += n;
	return 0;
}

static json_t *strv_json(bool *bad, char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		jadd(bad, a, json_string(v[i]));
	return a;
}

static json_t *filter_json(bool *bad, const struct pl_sc_filter *f)
{
	json_t *o = json_object();
	if (f->n_caps)
		jset(bad, o, "caps", strv_json(bad, f->caps, f->n_caps));
	if (f->n_arches)
		jset(bad, o, "arches", strv_json(bad, f->arches, f->n_arches));
	if (f->min_kernel)
		jset(bad, o, "minKernel", json_string(f->min_kernel));
	return o;
}

PL_EXPORT int pl_sc_profile_to_json(const struct pl_sc_profile *prof, char **ret_json,
				    struct pl_diag *d)
{
	if (!prof || !ret_json)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_sc_profile_to_json: invalid argument");
	bool bad_ = false, *bad = &bad_;
	json_t *root = json_object();
	const char *da = sc_action_name(prof->default_action);
	if (!da) {
		json_decref(root);
		return pl_error(d, -EINVAL, NULL, "defaultAction", "profile has no default action");
	}
	jset(bad, root, "defaultAction", json_string(da));
	if (prof->default_errno_name)
		jset(bad, root, "defaultErrno", json_string(prof->default_errno_name));
	if (prof->has_default_errno_ret)
		jset(bad, root, "defaultErrnoRet", json_integer(prof->default_errno_ret));
	if (prof->n_architectures)
		jset(bad, root, "architectures",
		     strv_json(bad, prof->architectures, prof->n_architectures));
	if (prof->n_arch_map) {
		json_t *am = json_array();
		for (size_t i = 0; i < prof->n_arch_map; i++) {
			json_t *o = json_object();
			jset(bad, o, "architecture", json_string(prof->arch_map[i].arch));
			jset(bad, o, "subArchitectures",
			     strv_json(bad, prof->arch_map[i].sub_arches,
				       prof->arch_map[i].n_sub_arches));
			jadd(bad, am, o);
		}
		jset(bad, root, "archMap", am);
	}
	if (prof->n_flags)
		jset(bad, root, "flags", strv_json(bad, prof->flags, prof->n_flags));
	if (prof->listener_path)
		jset(bad, root, "listenerPath", json_string(prof->listener_path));
	if (prof->listener_metadata)
		jset(bad, root, "listenerMetadata", json_string(prof->listener_metadata));
	json_t *scs = json_array();
	for (size_t i = 0; i < prof->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &prof->syscalls[i];
		const char *an = sc_action_name(sc->action);
		if (!an) {
			json_decref(scs);
			json_decref(root);
			char f[64];
			snprintf(f, sizeof(f), "syscalls[%zu].action", i);
			return pl_error(d, -EINVAL, NULL, f, "entry has no action");
		}
		json_t *o = json_object();
		jset(bad, o, "names", strv_json(bad, sc->names, sc->n_names));
		jset(bad, o, "action", json_string(an));
		if (sc->errno_name)
			jset(bad, o, "errno", json_string(sc->errno_name));
		if (sc->has_errno_ret)
			jset(bad, o, "errnoRet", json_integer(sc->errno_ret));
		if (sc->n_args) {
			json_t *args = json_array();
			for (size_t j = 0; j < sc->n_args; j++) {
				const struct pl_sc_arg *a = &sc->args[j];
				json_t *ao = json_object();
				jset(bad, ao, "index", json_integer(a->index));
				jset(bad, ao, "value", json_integer((json_int_t)a->value));
				jset(bad, ao, "valueTwo", json_integer((json_int_t)a->value_two));
				jset(bad, ao, "op",
				     json_string(sc_op_name(a->op) ? sc_op_name(a->op) : "?"));
				jadd(bad, args, ao);
			}
			jset(bad, o, "args", args);
		}
		if (sc->comment)
			jset(bad, o, "comment", json_string(sc->comment));
		if (sc->has_includes)
			jset(bad, o, "includes", filter_json(bad, &sc->includes));
		if (sc->has_excludes)
			jset(bad, o, "excludes", filter_json(bad, &sc->excludes));
		jadd(bad, scs, o);
	}
	jset(bad, root, "syscalls", scs);
	struct jbuf b = { 0 };
	if (bad_ || !root ||
	    json_dump_callback(root, jbuf_add, &b, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
	    b.bad || !b.s)
		bad_ = true;
	json_decref(root);
	if (bad_) {
		free(b.s);
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	}
	b.s[b.len] = '\n';
	b.s[b.len + 1] = 0;
	*ret_json = b.s;
	return 0;
}
