/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation-failure test: validity never depends on memory.
 *
 * For every input (policy files, OCI seccomp profiles) and every k, the k-th
 * allocation made by the library fails, while the input is checked and
 * compiled (pl_policy_set_load_buffer, pl_gen_seccomp + the OCI JSON export,
 * pl_gen_caps, pl_gen_landlock, pl_gen_apparmor, pl_gen_cgroup_bpf; for OCI
 * profiles pl_sc_profile_from_json + pl_sc_profile_to_json; for manifests
 * after --lint, pl_lint_buffer with every check and the findings rendered).
 * k runs from 1
 * until a run completes without reaching the k-th allocation. Each run must:
 *   - never accept an input that is invalid without failures;
 *   - when a step fails, return a negative errno AND count an error in the
 *     struct pl_diag (the verdict is read from n_errors);
 *   - when every step succeeds, produce exactly the output of the run
 *     without failures (no silently smaller policy or filter);
 *   - a valid input that fails under injection fails with -ENOMEM.
 * Crashes and leaks are caught by the ASan tree.
 *
 * Covered: every malloc, calloc, realloc, strdup, strndup, asprintf,
 * vasprintf and open_memstream call made from the library's own objects
 * (linked statically, with -Wl,--wrap), and jansson's allocations (routed
 * through json_set_alloc_funcs) except those of json_loadb: jansson 2.14's
 * parser writes through a NULL buffer when its 5th allocation fails (seen
 * with a 10-line program), so the parse itself runs without injection.
 * Not covered: allocations inside libyaml, libseccomp and glibc (stdio
 * buffers, qsort).
 *
 * The inputs are the files named on the command line (directories: every
 * *.yaml, *.json file in them; subdirectories: their policy.yaml).
 * Every k is tried for inputs of up to ALLOC_FAIL_MAX_RUNS allocations
 * (default 400); larger inputs (the big seccomp generations, up to ~6,600
 * allocations) try every s-th k, s = ceil(n / ALLOC_FAIL_MAX_RUNS), starting
 * at a per-input offset, to keep the run time near a minute under ASan.
 * ALLOC_FAIL_MAX_RUNS=0 tries every k everywhere (~7 min under ASan).
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "plastron/bpf.h"
#include "plastron/error.h"
#include "plastron/gen.h"
#include "plastron/lint.h"
#include "plastron/policy.h"
#include "plastron/seccomp.h"
#include "tap.h"

/* ---- injection ------------------------------------------------------------ */

static bool armed;
static unsigned long n_allocs, fail_at;
static bool injected;

static bool in_json_load;

static bool fail_now(void)
{
	if (!armed || in_json_load)
		return false;
	if (++n_allocs != fail_at)
		return false;
	injected = true;
	return true;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **out, const char *fmt, va_list ap);
FILE *__real_open_memstream(char **buf, size_t *len);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap);
int __wrap_asprintf(char **out, const char *fmt, ...);
FILE *__wrap_open_memstream(char **buf, size_t *len);

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
	return fail_now() ? NULL : __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}
int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	if (fail_now()) {
		*out = NULL;
		return -1;
	}
	return __real_vasprintf(out, fmt, ap);
}
int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = __wrap_vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}
FILE *__wrap_open_memstream(char **buf, size_t *len)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_open_memstream(buf, len);
}
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e)
{
	in_json_load = true;
	json_t *r = __real_json_loadb(buf, len, flags, e);
	in_json_load = false;
	return r;
}
static void *json_alloc(size_t n)
{
	return __wrap_malloc(n);
}

/* ---- one run ---------------------------------------------------------------- */

struct run {
	int r;          /* first failure, 0 when every step succeeded */
	const char *at; /* the step that failed */
	size_t n_errors;
	char *out;     /* everything produced (when r == 0) */
	char msg[256]; /* the first error message */
};

static void keep_msg(struct run *ru, const struct pl_diag *d)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next)
		if (e->severity == PL_SEV_ERROR) {
			snprintf(ru->msg, sizeof(ru->msg), "%s", e->message ? e->message : "?");
			return;
		}
}

static void out_add(FILE *o, const char *what, const char *text)
{
	fprintf(o, "== %s\n%s\n", what, text ? text : "(null)");
}

#define STEP(name, call)                 \
	do {                             \
		int _r = (call);         \
		if (_r < 0 && !ru->r) {  \
			ru->r = _r;      \
			ru->at = (name); \
		}                        \
	} while (0)

static void run_policy(const char *name, const char *buf, size_t len, struct run *ru)
{
	struct pl_diag d = { 0 };
	struct pl_policy_set *set = NULL;
	char *mbuf = NULL;
	size_t mlen = 0;

	memset(ru, 0, sizeof(*ru));
	armed = true;
	STEP("load", pl_policy_set_load_buffer(name, buf, len, &set, &d));
	armed = false;
	if (ru->r) {
		ru->n_errors = d.n_errors;
		keep_msg(ru, &d);
		pl_diag_clear(&d);
		return;
	}
	FILE *o = open_memstream(&mbuf, &mlen);
	for (size_t i = 0; i < set->n && !ru->r; i++) {
		const struct pl_policy *p = set->policies[i];
		struct pl_gen_opts opts = { 0 };
		struct pl_sc_profile *sc = NULL;
		struct pl_ll_ruleset *ll = NULL;
		struct pl_bpf_tables *bt = NULL;
		char *json = NULL, *aa = NULL;
		uint64_t drop = 0;
		int raa = 0;

		armed = true;
		STEP("seccomp", pl_gen_seccomp(p, &opts, &sc, &d));
		if (sc)
			STEP("seccomp json", pl_sc_profile_to_json(sc, &json, &d));
		STEP("caps", pl_gen_caps(p, &opts, &drop, &d));
		STEP("landlock", pl_gen_landlock(p, 7, &ll, &d));
		/* AppArmor and cgroup-BPF refuse some valid policies on purpose
		 * (no profile to write, Kubernetes data): their own verdict is
		 * compared with the run without failures instead. */
		raa = pl_gen_apparmor(p, &opts, "alloc-fail", &aa, &d);
		int rbt = pl_gen_cgroup_bpf(p, &opts, "/dev/null", &bt, &d);
		armed = false;
		if (raa == -ENOMEM)
			STEP("apparmor", raa);
		if (rbt == -ENOMEM)
			STEP("cgroup-bpf", rbt);

		fprintf(o, "policy %zu\n", i);
		out_add(o, "seccomp", json);
		fprintf(o, "== caps %#llx\n", (unsigned long long)drop);
		if (ll)
			pl_ll_ruleset_dump(ll, o);
		fprintf(o, "== apparmor %d\n", raa < 0 ? raa : 0);
		if (aa)
			fputs(aa, o);
		fprintf(o, "== cgroup-bpf %d\n", rbt < 0 ? rbt : 0);
		if (bt)
			pl_bpf_tables_dump(bt, o);
		pl_sc_profile_free(sc);
		pl_ll_ruleset_free(ll);
		pl_bpf_tables_free(bt);
		free(json);
		free(aa);
	}
	fclose(o);
	ru->out = mbuf;
	ru->n_errors = d.n_errors;
	keep_msg(ru, &d);
	pl_policy_set_free(set);
	pl_diag_clear(&d);
}

static void run_oci(const char *name, const char *buf, size_t len, struct run *ru)
{
	struct pl_diag d = { 0 };
	struct pl_sc_profile *sc = NULL, *again = NULL;
	char *json = NULL, *json2 = NULL;

	memset(ru, 0, sizeof(*ru));
	armed = true;
	STEP("import", pl_sc_profile_from_json(name, buf, len, &sc, &d));
	if (!ru->r)
		STEP("export", pl_sc_profile_to_json(sc, &json, &d));
	if (!ru->r)
		STEP("re-import", pl_sc_profile_from_json(name, json, strlen(json), &again, &d));
	if (!ru->r)
		STEP("re-export", pl_sc_profile_to_json(again, &json2, &d));
	armed = false;
	if (!ru->r) {
		ru->out = json2;
		json2 = NULL;
	}
	ru->n_errors = d.n_errors;
	keep_msg(ru, &d);
	free(json);
	free(json2);
	pl_sc_profile_free(sc);
	pl_sc_profile_free(again);
	pl_diag_clear(&d);
}

static void run_lint(const char *name, const char *buf, size_t len, struct run *ru)
{
	struct pl_diag d = { 0 };
	struct pl_lint_report *r = NULL;
	char *mbuf = NULL;
	size_t mlen = 0;

	memset(ru, 0, sizeof(*ru));
	armed = true;
	STEP("lint", pl_lint_buffer(name, buf, len, PL_LINT_SET_ALL, &r, &d));
	armed = false;
	if (!ru->r) {
		FILE *o = open_memstream(&mbuf, &mlen);
		for (size_t i = 0; i < r->n; i++) {
			const struct pl_lint_finding *f = &r->findings[i];
			fprintf(o, "%u:%u %s %s %s %s\n", f->pos.line, f->pos.col, f->check->id,
				f->field, f->message, f->hint ? f->hint : "-");
		}
		fclose(o);
		ru->out = mbuf;
	}
	ru->n_errors = d.n_errors;
	keep_msg(ru, &d);
	pl_lint_report_free(r);
	pl_diag_clear(&d);
}

/* ---- driver ----------------------------------------------------------------- */

static unsigned long max_runs = 400;
static unsigned long total_runs;

enum input { IN_POLICY, IN_OCI, IN_LINT };

static void check_input(const char *path, enum input what)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) < 0) {
		TAP_OK(0, "read %s", path);
		if (f)
			fclose(f);
		return;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	/* the last two path components: golden cases are all policy.yaml */
	const char *base = path;
	for (const char *c = path, *prev = NULL; *c; c++)
		if (*c == '/') {
			if (prev)
				base = prev + 1;
			prev = c;
		}
	void (*run)(const char *, const char *, size_t, struct run *) = what == IN_OCI ? run_oci
									: what == IN_LINT
									    ? run_lint
									    : run_policy;

	struct run ref, ru;
	fail_at = 0;
	n_allocs = 0;
	run(path, buf, len, &ref);
	unsigned long n_ref = n_allocs;
	bool valid = ref.r == 0;
	bool ok = valid || ref.n_errors > 0;
	const char *why = ok ? "" : "refused without an error counted";
	unsigned long k, bad_k = 0, stride = 1, first = 1;

	if (max_runs && n_ref > max_runs) {
		stride = (n_ref + max_runs - 1) / max_runs;
		first = 1 + (unsigned long)len % stride;
	}
	for (k = first; ok; k += stride) {
		fail_at = k;
		n_allocs = 0;
		injected = false;
		run(path, buf, len, &ru);
		total_runs++;
		if (!injected) {
			/* the last run reached no k-th allocation: it must equal the
			 * reference */
			if (ru.r != ref.r || (valid && strcmp(ru.out, ref.out)))
				ok = false, why = "a run without failure differs from the first";
			free(ru.out);
			break;
		}
		if (ru.r == 0 && !valid)
			ok = false, why = "an invalid input was accepted";
		else if (ru.r == 0 && strcmp(ru.out, ref.out))
			ok = false, why = "accepted with a different output";
		else if (ru.r < 0 && ru.n_errors == 0)
			ok = false, why = "failed without an error counted";
		else if (ru.r < 0 && valid && ru.r != -ENOMEM)
			ok = false, why = "a valid input failed with another error than -ENOMEM";
		if (!ok && ru.r == 0 && ru.out && ref.out) {
			size_t i = 0, l = 0;
			while (ru.out[i] && ru.out[i] == ref.out[i])
				if (ru.out[i++] == '\n')
					l = i;
			tap_diag("first difference: got '%.100s' want '%.100s'", ru.out + l,
				 ref.out + l);
		}
		if (!ok) {
			bad_k = k;
			tap_diag("%s: allocation %lu of %lu failed: %s; step %s returned %d (%s), "
				 "%zu errors, first: %s",
				 base, k, n_ref, why, ru.at ? ru.at : "-", ru.r, strerror(-ru.r),
				 ru.n_errors, ru.msg);
		}
		free(ru.out);
	}
	TAP_OK(ok, "%s (%s, %lu allocations, k every %lu from %lu): %s", base,
	       valid ? "valid" : "invalid", n_ref, stride, first,
	       ok ? "every injected failure handled" : why);
	(void)bad_k;
	free(ref.out);
	free(buf);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its *.yaml / *.json files, sorted; or DIR/policy.yaml of
 * each subdirectory (the golden cases). */
static void walk(const char *dir, enum input what)
{
	DIR *d = opendir(dir);
	if (!d) {
		check_input(dir, what);
		return;
	}
	char **v = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		char path[4096];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			snprintf(path, sizeof(path), "%s/%s/policy.yaml", dir, e->d_name);
		else if (!has_suffix(e->d_name, ".yaml") && !has_suffix(e->d_name, ".json"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strdup(path);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < n; i++) {
		check_input(v[i], what);
		free(v[i]);
	}
	free(v);
}

int main(int argc, char **argv)
{
	const char *s = getenv("ALLOC_FAIL_MAX_RUNS");
	struct timespec t0, t1;

	if (s && *s)
		max_runs = strtoul(s, NULL, 10);
	json_set_alloc_funcs(json_alloc, free);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* --oci switches the following arguments to OCI seccomp profiles,
	 * --lint to Kubernetes manifests for plastron lint */
	enum input what = IN_POLICY;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--oci")) {
			what = IN_OCI;
			continue;
		}
		if (!strcmp(argv[i], "--lint")) {
			what = IN_LINT;
			continue;
		}
		walk(argv[i], what);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_diag("%lu runs with one injected failure, %.1f s", total_runs,
		 (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return tap_done();
}
