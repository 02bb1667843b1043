/* SPDX-License-Identifier: Apache-2.0 */
/* OCI seccomp JSON import/export: lossless round trips, errors that name
 * the JSON path. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

#include "sc-test.h"
#include "tap.h"

/* Drop null, {} and [] values: OCI writers differ only in those. */
static json_t *normalise(json_t *v)
{
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			json_t *n = normalise(x);
			if (json_is_null(n) || (json_is_object(n) && !json_object_size(n)) ||
			    (json_is_array(n) && !json_array_size(n))) {
				json_decref(n);
				continue;
			}
			json_object_set_new(o, k, n);
		}
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) json_array_append_new(a, normalise(x));
		return a;
	}
	return json_incref(v);
}

static void roundtrip(const char *what, const char *json, size_t len)
{
	struct pl_diag d = { 0 };
	struct pl_sc_profile *p = NULL, *q = NULL;
	char *out = NULL, *out2 = NULL;
	int r = pl_sc_profile_from_json(what, json, len, &p, &d);
	if (r >= 0)
		r = pl_sc_profile_to_json(p, &out, &d);
	if (r >= 0)
		r = pl_sc_profile_from_json("export", out, strlen(out), &q, &d);
	if (r >= 0)
		r = pl_sc_profile_to_json(q, &out2, &d);
	print_diag(&d);
	TAP_OK(r >= 0, "%s: import, export, import, export", what);
	bool eq = false;
	if (r >= 0) {
		json_t *a = json_loadb(json, len, 0, NULL), *b = json_loads(out, 0, NULL);
		json_t *na = normalise(a), *nb = normalise(b);
		eq = json_equal(na, nb);
		json_decref(a);
		json_decref(b);
		json_decref(na);
		json_decref(nb);
	}
	TAP_OK(eq, "%s: export equals the original (normalised)", what);
	TAP_OK(out && out2 && !strcmp(out, out2), "%s: second export is byte-identical", what);
	if (p) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		pl_diag_clear(&d);
		r = pl_sc_profile_export_bpf(p, fd, &d);
		print_diag(&d);
		close(fd);
		TAP_OK(r >= 0, "%s: libseccomp builds it as a filter", what);
	}
	pl_sc_profile_free(p);
	pl_sc_profile_free(q);
	free(out);
	free(out2);
	pl_diag_clear(&d);
}

static void containers_common(void)
{
	const char *path = "/usr/share/containers/seccomp.json";
	FILE *f = fopen(path, "r");
	if (!f) {
		TAP_SKIP("golang-github-containers-common is not installed", "%s round trip", path);
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		fwrite(tmp, 1, n, m);
	fclose(f);
	fclose(m);
	roundtrip("containers-common seccomp.json", buf, len);
	free(buf);
}

struct bad {
	const char *json;
	const char *field; /* expected diag field */
	const char *msg;   /* substring of the message */
};

static const struct bad bads[] = {
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\","
	  "\"args\":[{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_MASKD_EQ\"}]}]}",
	  "syscalls[1].args[0].op", "unknown operator" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALOW\"}", "defaultAction", "unknown action" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_EROR\"}]}",
	  "syscalls[1].action", "unknown action 'SCMP_ACT_EROR'" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
	  "\"SCMP_ARCH_Z80\"]}",
	  "architectures[1]", "unknown architecture" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRett\":1}", "(top level)",
	  "unknown key" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ALLOW\",\"argz\":[]}]}",
	  "syscalls[0]", "unknown key 'argz'" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"value\":0,\"op\":"
	  "\"SCMP_CMP_EQ\"}]}]}",
	  "syscalls[0].args[0].index", "out of range" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOGG\"]}",
	  "flags[0]", "unknown flag" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\"}]}",
	  "syscalls[0].names", "no syscall names" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":"
	  "\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X33\"]}]}",
	  "archMap[0].subArchitectures[0]", "unknown architecture" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,\"defaultErrno\":"
	  "\"ENOSYS\"}",
	  "defaultErrno", "disagrees" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"capz\":[]}}]}",
	  "syscalls[0].includes", "unknown key 'capz'" },
	{ "[1,2]", NULL, "JSON object" },
	{ "{\"defaultAction\":", NULL, "invalid JSON" },
};

static void errors(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct pl_diag d = { 0 };
		struct pl_sc_profile *p = NULL;
		int r =
		    pl_sc_profile_from_json("bad.json", bads[i].json, strlen(bads[i].json), &p, &d);
		bool ok = r < 0 && !p && d.head;
		bool found = false;
		for (const struct pl_diag_entry *e = d.head; e; e = e->next)
			if ((!bads[i].field || (e->field && !strcmp(e->field, bads[i].field))) &&
			    e->message && strstr(e->message, bads[i].msg))
				found = true;
		if (!found)
			print_diag(&d);
		TAP_OK(ok && found, "rejected with %s: %s", bads[i].field ? bads[i].field : "-",
		       bads[i].msg);
		pl_diag_clear(&d);
	}
	/* a typo gets a hint */
	struct pl_diag d = { 0 };
	struct pl_sc_profile *p = NULL;
	pl_sc_profile_from_json("bad.json", bads[0].json, strlen(bads[0].json), &p, &d);
	TAP_OK(d.head && d.head->hint && strstr(d.head->hint, "SCMP_CMP_MASKED_EQ"),
	       "hint suggests SCMP_CMP_MASKED_EQ");
	pl_diag_clear(&d);
}

static void forms(void)
{
	/* old Docker form with "name", every field of the OCI spec */
	static const char all[] =
	    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
	    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
	    "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
	    "\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"meta\","
	    "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
	    "{\"names\":[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\","
	    "\"comment\":\"io\"},"
	    "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":5},"
	    "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
	    "{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38,"
	    "\"args\":[{\"index\":0,\"value\":1,\"valueTwo\":2,\"op\":\"SCMP_CMP_GE\"}],"
	    "\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"],\"arches\":[\"amd64\"],"
	    "\"minKernel\":\"4.8\"},\"excludes\":{\"arches\":[\"x86\"]}}]}";
	roundtrip("every OCI field", all, strlen(all));
	static const char old[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":"
				  "\"chmod\",\"action\":\"SCMP_ACT_ERRNO\",\"args\":null}]}";
	struct pl_diag d = { 0 };
	struct pl_sc_profile *p = NULL;
	int r = pl_sc_profile_from_json("old", old, strlen(old), &p, &d);
	TAP_OK(r == 0 && p->n_syscalls == 1 && p->syscalls[0].n_names == 1 &&
		   !strcmp(p->syscalls[0].names[0], "chmod"),
	       "old Docker form {\"name\": ...} is read");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	/* import: an unknown name is a warning and skipped, as runc and crun
	 * skip it; the entry keeps its other names, and an entry left without
	 * names is dropped (never widened) */
	static const char unknown[] =
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	    "\"names\":[\"frobnicate\"],\"action\":\"SCMP_ACT_ERRNO\"},{"
	    "\"names\":[\"keyctl\",\"gettpid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
	r = pl_sc_profile_from_json("unk", unknown, strlen(unknown), &p, &d);
	TAP_OK(r == 0 && d.n_errors == 0 && p->n_syscalls == 1 && p->syscalls[0].n_names == 1 &&
		   !strcmp(p->syscalls[0].names[0], "keyctl") && p->n_skipped == 2 &&
		   !strcmp(p->skipped[0].name, "frobnicate") && p->skipped[0].rule_dropped &&
		   !strcmp(p->skipped[0].field, "syscalls[0].names[0]") &&
		   !strcmp(p->skipped[1].name, "gettpid") && !p->skipped[1].rule_dropped &&
		   p->skipped[1].suggestion && !strcmp(p->skipped[1].suggestion, "getpid"),
	       "import skips unknown syscall names with a warning, drops an entry left empty");
	const struct pl_diag_entry *w = d.head;
	TAP_OK(w && w->severity == PL_SEV_WARNING && w->field &&
		   !strcmp(w->field, "syscalls[0].names[0]") && w->message &&
		   strstr(w->message, "'frobnicate'"),
	       "the skipped name's warning names its field");
	/* the filter build still refuses a name it cannot resolve (a profile
	 * built by hand, not through the import) */
	if (p && p->n_syscalls == 1)
		p->syscalls[0].names[0] = (char *)"frobnicate";
	pl_diag_clear(&d);
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int r2 = r == 0 ? pl_sc_profile_export_bpf(p, fd, &d) : -1;
	close(fd);
	TAP_OK(r == 0 && r2 < 0 && d.head && d.head->field &&
		   !strcmp(d.head->field, "syscalls[0].names[0]"),
	       "a syscall unknown to libseccomp and plastron fails the filter build");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	static const char newer[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
				    "\"names\":[\"statmount\",\"mseal\",\"fchmodat2\"],"
				    "\"action\":\"SCMP_ACT_ERRNO\"}]}";
	r = pl_sc_profile_from_json("newer", newer, strlen(newer), &p, &d);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	r2 = r == 0 ? pl_sc_profile_export_bpf(p, fd, &d) : -1;
	close(fd);
	print_diag(&d);
	TAP_OK(r == 0 && r2 == 0, "syscalls newer than libseccomp are built by number");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

int main(void)
{
	containers_common();
	errors();
	forms();
	return tap_done();
}
