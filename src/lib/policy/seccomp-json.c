/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp profile model's side of OCI runtime-spec `linux.seccomp` JSON
 * (also Docker's and containers-common's profile files): the OCI names of
 * actions, operators, architectures and flags, errno names, allocating and
 * freeing a struct pl_sc_profile, and importing JSON into it. Import is
 * policy input (defenseInDepth.seccomp.customProfile, `plastron compile
 * --import`): it rejects anything it does not understand, naming the JSON
 * path. Export is a generator (src/lib/gen/seccomp-oci.c).
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/error.h"
#include "plastron/seccomp.h"
#include "names.h"
#include "seccomp-json.h"
#include "shared/arena.h"
#include "shared/macro.h"

/* ---- names ---------------------------------------------------------------- */

static const struct {
	const char *name;
	enum pl_sc_action act;
} actions[] = {
	{ "SCMP_ACT_KILL", PL_SC_ACT_KILL },
	{ "SCMP_ACT_KILL_PROCESS", PL_SC_ACT_KILL_PROCESS },
	{ "SCMP_ACT_KILL_THREAD", PL_SC_ACT_KILL_THREAD },
	{ "SCMP_ACT_TRAP", PL_SC_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", PL_SC_ACT_ERRNO },
	{ "SCMP_ACT_TRACE", PL_SC_ACT_TRACE },
	{ "SCMP_ACT_ALLOW", PL_SC_ACT_ALLOW },
	{ "SCMP_ACT_LOG", PL_SC_ACT_LOG },
	{ "SCMP_ACT_NOTIFY", PL_SC_ACT_NOTIFY },
};

const char *const sc_action_names[] = {
	"SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
	"SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	"SCMP_ACT_ERRNO",       "SCMP_ACT_TRACE",
	"SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
	"SCMP_ACT_NOTIFY",      NULL,
};

const char *const sc_op_names[] = {
	"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
	"SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

/* Every architecture the OCI runtime spec names. */
const char *const sc_arch_names[] = {
	"SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
	"SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",        NULL,
};

const char *const sc_flag_names[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	NULL,
};

const char *sc_action_name(enum pl_sc_action a)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(actions); i++)
		if (actions[i].act == a)
			return actions[i].name;
	return NULL;
}

enum pl_sc_action sc_action_from_name(const char *s)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(actions); i++)
		if (!strcmp(actions[i].name, s))
			return actions[i].act;
	return PL_SC_ACT_INVALID;
}

const char *sc_op_name(enum pl_sc_op op)
{
	if (op < PL_SC_OP_NE || op > PL_SC_OP_MASKED_EQ)
		return NULL;
	return sc_op_names[op - 1];
}

enum pl_sc_op sc_op_from_name(const char *s)
{
	for (int i = 0; sc_op_names[i]; i++)
		if (!strcmp(sc_op_names[i], s))
			return (enum pl_sc_op)(i + 1);
	return 0;
}

bool sc_arch_known(const char *s)
{
	return pl_name_in(sc_arch_names, s);
}

bool sc_flag_known(const char *s)
{
	return pl_name_in(sc_flag_names, s);
}

struct pl_sc_profile *sc_profile_new(void)
{
	struct pl_arena *a = pl_arena_new();
	if (!a)
		return NULL;
	struct pl_sc_profile *p = pl_arena_alloc(a, sizeof(*p));
	if (!p) {
		pl_arena_free(a);
		return NULL;
	}
	p->arena = a;
	p->default_action = PL_SC_ACT_ALLOW;
	return p;
}

PL_EXPORT void pl_sc_profile_free(struct pl_sc_profile *prof)
{
	if (prof)
		pl_arena_free(prof->arena);
}

/* ---- import --------------------------------------------------------------- */

struct imp {
	struct pl_sc_profile *p;
	struct pl_diag *d;
	const char *name;
	int r;
	unsigned n_suggested; /* did-you-mean searches for unknown syscalls */
	size_t cap_skipped;
	bool dropped; /* the last entry read named only unknown syscalls */
};

__attribute__((format(printf, 3, 4))) static void ierr(struct imp *im, const char *path,
						       const char *fmt, ...)
{
	va_list ap;
	struct pl_pos pos = { .file = im->name };
	va_start(ap, fmt);
	pl_verror(im->d, -EINVAL, &pos, path, fmt, ap);
	va_end(ap);
	im->r = -EINVAL;
}

static void suggest(struct imp *im, const char *word, const char *const *cands)
{
	const char *s = pl_suggest(word, cands, 0);
	if (s)
		pl_diag_hint(im->d, "did you mean '%s'?", s);
}

static void check_keys(struct imp *im, json_t *obj, const char *path, const char *const *keys)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		if (!pl_name_in(keys, k)) {
			ierr(im, path, "unknown key '%s'", k);
			suggest(im, k, keys);
		}
	}
}

static char *pathf(struct imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *pathf(struct imp *im, const char *fmt, ...)
{
	va_list ap;
	char buf[256];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return pl_arena_strdup(im->p->arena, buf);
}

/* A string array; null counts as absent. */
static bool get_strv(struct imp *im, json_t *v, const char *path, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v)) {
		ierr(im, path, "expected an array of strings");
		return false;
	}
	size_t i;
	json_t *e;
	char **arr = json_array_size(v)
			 ? pl_arena_alloc(im->p->arena, json_array_size(v) * sizeof(char *))
			 : NULL;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			ierr(im, pathf(im, "%s[%zu]", path, i), "expected a string");
			return false;
		}
		arr[i] = pl_arena_strdup(im->p->arena, json_string_value(e));
	}
	*out = arr;
	*n = json_array_size(v);
	return true;
}

static bool get_u64(struct imp *im, json_t *v, const char *path, uint64_t max, uint64_t *out)
{
	if (!json_is_integer(v)) {
		ierr(im, path, "expected an integer");
		return false;
	}
	json_int_t x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > max) {
		ierr(im, path, "value %lld out of range (0..%llu)", (long long)x,
		     (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)x;
	return true;
}

static void get_filter(struct imp *im, json_t *v, const char *path, struct pl_sc_filter *f)
{
	static const char *const keys[] = { "caps", "arches", "minKernel", NULL };
	if (!json_is_object(v)) {
		ierr(im, path, "expected an object");
		return;
	}
	check_keys(im, v, path, keys);
	get_strv(im, json_object_get(v, "caps"), pathf(im, "%s.caps", path), &f->caps, &f->n_caps);
	get_strv(im, json_object_get(v, "arches"), pathf(im, "%s.arches", path), &f->arches,
		 &f->n_arches);
	json_t *mk = json_object_get(v, "minKernel");
	if (mk && !json_is_null(mk)) {
		if (!json_is_string(mk))
			ierr(im, pathf(im, "%s.minKernel", path), "expected a string");
		else
			f->min_kernel = pl_arena_strdup(im->p->arena, json_string_value(mk));
	}
}

PL_EXPORT int pl_errno_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && !strcmp(n, name))
			return e;
	}
	return -ENOENT;
}

/* containers-common's "errno"/"defaultErrno" names: must be real errno
 * names and agree with errnoRet when both are given. */
static void get_errno_name(struct imp *im, json_t *v, const char *path, bool has_ret, uint32_t ret,
			   char **out)
{
	if (!v || json_is_null(v))
		return;
	if (!json_is_string(v)) {
		ierr(im, path, "expected an errno name like \"EPERM\"");
		return;
	}
	int e = pl_errno_from_name(json_string_value(v));
	if (e < 0) {
		ierr(im, path, "unknown errno name '%s'", json_string_value(v));
		return;
	}
	if (has_ret && (uint32_t)e != ret) {
		ierr(im, path, "'%s' (%d) disagrees with errnoRet %u", json_string_value(v), e,
		     ret);
		return;
	}
	*out = pl_arena_strdup(im->p->arena, json_string_value(v));
}

/* Names this build does not know are skipped with a warning, as runc and
 * crun skip them; the entry keeps its other names exactly as written. An
 * entry left without names is dropped by the caller (never widened). */
static void skip_unknown_names(struct imp *im, const char *path, struct pl_sc_syscall *sc)
{
	size_t keep = 0, n = sc->n_names;
	for (size_t i = 0; i < n; i++) {
		const char *nm = sc->names[i];
		if (!nm || !*nm || pl_syscall_known(nm)) {
			sc->names[keep++] = sc->names[i];
			continue;
		}
		const char *f = pathf(im, "%s.names[%zu]", path, i);
		struct pl_pos pos = { .file = im->name };
		char sug[64];
		bool has = im->n_suggested++ < PL_MAX_SUGGESTIONS &&
			   pl_syscall_suggest(nm, sug, sizeof(sug));
		pl_warning(im->d, &pos, f,
			   "unknown syscall '%s' (not known to this build), skipped", nm);
		if (has)
			pl_diag_hint(im->d, "did you mean '%s'?", sug);
		if (im->p->n_skipped == im->cap_skipped) {
			size_t nc = im->cap_skipped ? 2 * im->cap_skipped : 8;
			struct pl_sc_skipped *ns = pl_arena_alloc(im->p->arena, nc * sizeof(*ns));
			if (!ns)
				return;
			if (im->p->n_skipped)
				memcpy(ns, im->p->skipped, im->p->n_skipped * sizeof(*ns));
			im->p->skipped = ns;
			im->cap_skipped = nc;
		}
		im->p->skipped[im->p->n_skipped++] = (struct pl_sc_skipped){
			.name = pl_arena_strdup(im->p->arena, nm),
			.field = (char *)f,
			.suggestion = has ? pl_arena_strdup(im->p->arena, sug) : NULL,
			.pos = pos,
			.rule_dropped = false,
		};
	}
	if (keep == n)
		return;
	sc->n_names = keep;
	if (keep == 0) {
		im->dropped = true;
		for (size_t k = im->p->n_skipped - n; k < im->p->n_skipped; k++)
			im->p->skipped[k].rule_dropped = true;
		struct pl_pos pos = { .file = im->name };
		pl_warning(im->d, &pos, path,
			   "no syscall of this entry is known to this build: the entry is dropped");
	}
}

static void get_syscall(struct imp *im, json_t *v, const char *path, struct pl_sc_syscall *sc)
{
	static const char *const keys[] = { "names", "name",    "action",   "errnoRet", "errno",
					    "args",  "comment", "includes", "excludes", NULL };
	static const char *const akeys[] = { "index", "value", "valueTwo", "op", NULL };
	struct pl_arena *a = im->p->arena;

	sc->origin = NULL;
	sc->pos.file = im->name;
	if (!json_is_object(v)) {
		ierr(im, path, "expected an object");
		return;
	}
	check_keys(im, v, path, keys);
	json_t *names = json_object_get(v, "names"), *name = json_object_get(v, "name");
	if (names && !json_is_null(names)) {
		get_strv(im, names, pathf(im, "%s.names", path), &sc->names, &sc->n_names);
		if (name && !json_is_null(name))
			ierr(im, pathf(im, "%s.name", path), "'name' and 'names' are exclusive");
	} else if (name && !json_is_null(name)) {
		if (!json_is_string(name)) {
			ierr(im, pathf(im, "%s.name", path), "expected a string");
		} else {
			sc->names = pl_arena_alloc(a, sizeof(char *));
			if (sc->names) {
				sc->names[0] = pl_arena_strdup(a, json_string_value(name));
				sc->n_names = sc->names[0] ? 1 : 0;
			}
		}
	}
	if (pl_arena_failed(a))
		return; /* reported once, by pl_sc_profile_from_json */
	if (sc->n_names == 0)
		ierr(im, pathf(im, "%s.names", path), "no syscall names given");
	for (size_t i = 0; i < sc->n_names; i++)
		if (!sc->names[i] || !sc->names[i][0])
			ierr(im, pathf(im, "%s.names[%zu]", path, i), "empty syscall name");
	skip_unknown_names(im, path, sc);

	json_t *act = json_object_get(v, "action");
	const char *apath = pathf(im, "%s.action", path);
	if (!act || !json_is_string(act)) {
		ierr(im, apath, act ? "expected a string" : "missing action");
	} else {
		sc->action = sc_action_from_name(json_string_value(act));
		if (sc->action == PL_SC_ACT_INVALID) {
			ierr(im, apath, "unknown action '%s'", json_string_value(act));
			suggest(im, json_string_value(act), sc_action_names);
		}
	}
	json_t *er = json_object_get(v, "errnoRet");
	if (er && !json_is_null(er)) {
		uint64_t e;
		if (get_u64(im, er, pathf(im, "%s.errnoRet", path), 4095, &e)) {
			sc->has_errno_ret = true;
			sc->errno_ret = (uint32_t)e;
		}
	}
	get_errno_name(im, json_object_get(v, "errno"), pathf(im, "%s.errno", path),
		       sc->has_errno_ret, sc->errno_ret, &sc->errno_name);
	json_t *args = json_object_get(v, "args");
	if (args && !json_is_null(args)) {
		if (!json_is_array(args)) {
			ierr(im, pathf(im, "%s.args", path), "expected an array");
		} else {
			size_t i;
			json_t *e;
			sc->n_args = json_array_size(args);
			sc->args =
			    sc->n_args ? pl_arena_alloc(a, sc->n_args * sizeof(*sc->args)) : NULL;
			if (!sc->args)
				sc->n_args = 0;
			json_array_foreach(args, i, e)
			{
				if (i >= sc->n_args)
					break;
				const char *ap = pathf(im, "%s.args[%zu]", path, i);
				struct pl_sc_arg *arg = &sc->args[i];
				uint64_t x;
				if (!json_is_object(e)) {
					ierr(im, ap, "expected an object");
					continue;
				}
				check_keys(im, e, ap, akeys);
				json_t *f = json_object_get(e, "index");
				if (!f)
					ierr(im, pathf(im, "%s.index", ap), "missing index");
				else if (get_u64(im, f, pathf(im, "%s.index", ap), 5, &x))
					arg->index = (uint32_t)x;
				f = json_object_get(e, "value");
				if (f && get_u64(im, f, pathf(im, "%s.value", ap), INT64_MAX, &x))
					arg->value = x;
				f = json_object_get(e, "valueTwo");
				if (f &&
				    get_u64(im, f, pathf(im, "%s.valueTwo", ap), INT64_MAX, &x))
					arg->value_two = x;
				f = json_object_get(e, "op");
				const char *op_path = pathf(im, "%s.op", ap);
				if (!f || !json_is_string(f)) {
					ierr(im, op_path, f ? "expected a string" : "missing op");
				} else {
					arg->op = sc_op_from_name(json_string_value(f));
					if (!arg->op) {
						ierr(im, op_path, "unknown operator '%s'",
						     json_string_value(f));
						suggest(im, json_string_value(f), sc_op_names);
					}
				}
				if (arg->op == PL_SC_OP_MASKED_EQ && (arg->value_two & ~arg->value))
					ierr(im, ap,
					     "SCMP_CMP_MASKED_EQ: valueTwo 0x%llx has bits outside "
					     "the mask (value 0x%llx), so the comparison can never "
					     "be true; libseccomp would drop it and apply the rule "
					     "unconditionally",
					     (unsigned long long)arg->value_two,
					     (unsigned long long)arg->value);
			}
		}
	}
	json_t *c = json_object_get(v, "comment");
	if (c && !json_is_null(c)) {
		if (!json_is_string(c))
			ierr(im, pathf(im, "%s.comment", path), "expected a string");
		else
			sc->comment = pl_arena_strdup(a, json_string_value(c));
	}
	json_t *inc = json_object_get(v, "includes");
	if (inc && !json_is_null(inc)) {
		sc->has_includes = true;
		get_filter(im, inc, pathf(im, "%s.includes", path), &sc->includes);
	}
	json_t *exc = json_object_get(v, "excludes");
	if (exc && !json_is_null(exc)) {
		sc->has_excludes = true;
		get_filter(im, exc, pathf(im, "%s.excludes", path), &sc->excludes);
	}
}

static void check_arches(struct imp *im, char **v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!sc_arch_known(v[i])) {
			ierr(im, pathf(im, "%s[%zu]", path, i), "unknown architecture '%s'", v[i]);
			suggest(im, v[i], sc_arch_names);
		}
}

PL_EXPORT int pl_sc_profile_from_json(const char *name, const char *json, size_t len,
				      struct pl_sc_profile **ret, struct pl_diag *d)
{
	static const char *const keys[] = {
		"defaultAction", "defaultErrnoRet", "defaultErrno",     "architectures", "archMap",
		"flags",         "listenerPath",    "listenerMetadata", "syscalls",      NULL
	};
	json_error_t jerr;
	struct pl_pos pos = { .file = name };

	if (!json || !ret)
		return pl_error(d, -EINVAL, NULL, NULL,
				"pl_sc_profile_from_json: invalid argument");
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		pos.line = jerr.line > 0 ? (uint32_t)jerr.line : 0;
		pos.col = jerr.column > 0 ? (uint32_t)jerr.column : 0;
		return pl_error(
		    d, json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : -EINVAL, &pos,
		    NULL, "invalid JSON: %s", jerr.text);
	}
	struct imp im = { .p = sc_profile_new(), .d = d, .name = name };
	if (!im.p) {
		json_decref(root);
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	}
	struct pl_sc_profile *p = im.p;
	if (!json_is_object(root)) {
		ierr(&im, NULL, "a seccomp profile is a JSON object");
		goto out;
	}
	check_keys(&im, root, "(top level)", keys);
	json_t *v = json_object_get(root, "defaultAction");
	if (!v || !json_is_string(v)) {
		ierr(&im, "defaultAction", v ? "expected a string" : "missing defaultAction");
	} else {
		p->default_action = sc_action_from_name(json_string_value(v));
		if (p->default_action == PL_SC_ACT_INVALID) {
			ierr(&im, "defaultAction", "unknown action '%s'", json_string_value(v));
			suggest(&im, json_string_value(v), sc_action_names);
		}
	}
	v = json_object_get(root, "defaultErrnoRet");
	if (v && !json_is_null(v)) {
		uint64_t e;
		if (get_u64(&im, v, "defaultErrnoRet", 4095, &e)) {
			p->has_default_errno_ret = true;
			p->default_errno_ret = (uint32_t)e;
		}
	}
	get_errno_name(&im, json_object_get(root, "defaultErrno"), "defaultErrno",
		       p->has_default_errno_ret, p->default_errno_ret, &p->default_errno_name);
	if (get_strv(&im, json_object_get(root, "architectures"), "architectures",
		     &p->architectures, &p->n_architectures))
		check_arches(&im, p->architectures, p->n_architectures, "architectures");
	v = json_object_get(root, "archMap");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v)) {
			ierr(&im, "archMap", "expected an array");
		} else {
			static const char *const mkeys[] = { "architecture", "subArchitectures",
							     NULL };
			size_t i;
			json_t *e;
			p->n_arch_map = json_array_size(v);
			p->arch_map =
			    p->n_arch_map
				? pl_arena_alloc(p->arena, p->n_arch_map * sizeof(*p->arch_map))
				: NULL;
			if (!p->arch_map)
				p->n_arch_map = 0;
			json_array_foreach(v, i, e)
			{
				if (i >= p->n_arch_map)
					break;
				const char *mp = pathf(&im, "archMap[%zu]", i);
				if (!json_is_object(e)) {
					ierr(&im, mp, "expected an object");
					continue;
				}
				check_keys(&im, e, mp, mkeys);
				json_t *ar = json_object_get(e, "architecture");
				const char *arp = pathf(&im, "%s.architecture", mp);
				if (!ar || !json_is_string(ar)) {
					ierr(&im, arp, "expected a string");
				} else {
					p->arch_map[i].arch =
					    pl_arena_strdup(p->arena, json_string_value(ar));
					check_arches(&im, &p->arch_map[i].arch, 1, arp);
				}
				const char *sp = pathf(&im, "%s.subArchitectures", mp);
				if (get_strv(&im, json_object_get(e, "subArchitectures"), sp,
					     &p->arch_map[i].sub_arches,
					     &p->arch_map[i].n_sub_arches))
					check_arches(&im, p->arch_map[i].sub_arches,
						     p->arch_map[i].n_sub_arches, sp);
			}
		}
	}
	if (get_strv(&im, json_object_get(root, "flags"), "flags", &p->flags, &p->n_flags))
		for (size_t i = 0; i < p->n_flags; i++)
			if (!sc_flag_known(p->flags[i])) {
				ierr(&im, pathf(&im, "flags[%zu]", i), "unknown flag '%s'",
				     p->flags[i]);
				suggest(&im, p->flags[i], sc_flag_names);
			}
	v = json_object_get(root, "listenerPath");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			ierr(&im, "listenerPath", "expected a string");
		else
			p->listener_path = pl_arena_strdup(p->arena, json_string_value(v));
	}
	v = json_object_get(root, "listenerMetadata");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			ierr(&im, "listenerMetadata", "expected a string");
		else
			p->listener_metadata = pl_arena_strdup(p->arena, json_string_value(v));
	}
	v = json_object_get(root, "syscalls");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v)) {
			ierr(&im, "syscalls", "expected an array");
		} else {
			size_t i;
			json_t *e;
			p->n_syscalls = json_array_size(v);
			p->syscalls =
			    p->n_syscalls
				? pl_arena_alloc(p->arena, p->n_syscalls * sizeof(*p->syscalls))
				: NULL;
			if (!p->syscalls)
				p->n_syscalls = 0;
			size_t n_all = p->n_syscalls, kept = 0;
			json_array_foreach(v, i, e)
			{
				if (i >= n_all)
					break;
				struct pl_sc_syscall *sc = &p->syscalls[kept];
				*sc = (struct pl_sc_syscall){ 0 };
				im.dropped = false;
				get_syscall(&im, e, pathf(&im, "syscalls[%zu]", i), sc);
				/* every name unknown: the entry goes, never widened */
				if (!im.dropped)
					kept++;
			}
			p->n_syscalls = kept;
		}
	}
out:
	json_decref(root);
	if (pl_arena_failed(p->arena))
		im.r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	if (im.r < 0) {
		pl_sc_profile_free(p);
		return im.r;
	}
	*ret = p;
	return 0;
}
