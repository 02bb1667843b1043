/* SPDX-License-Identifier: Apache-2.0 */
/* The host checks of `plastron doctor` (and of plastrond's status): what can
 * enforce on this kernel. The only part of the client library that needs
 * libbpf (the BPF-LSM probe, when built with HAVE_LIBBPF); plastron-runtime
 * does not link it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifdef HAVE_LIBBPF
#include <bpf/btf.h>
#endif

#include "client.h"
#include "client/cgroup.h"
#include "plastron/apply.h"
#include "plastron/events.h"
#include "shared/macro.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static struct pld_check *add(struct pld_doctor *doc, const char *name, enum pld_check_state s,
			     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct pld_check *add(struct pld_doctor *doc, const char *name, enum pld_check_state s,
			     const char *fmt, ...)
{
	va_list ap;
	struct pld_check *c;

	if (doc->n >= PL_ARRAY_SIZE(doc->checks))
		return NULL;
	c = &doc->checks[doc->n++];
	c->name = name;
	c->state = s;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return c;
}

static int read_small(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return -errno;
	k = read(fd, buf, len - 1);
	if (k < 0)
		return -errno;
	buf[k] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* r0 = ret; exit */
static int prog_load(enum bpf_prog_type type, enum bpf_attach_type at, uint32_t btf_id, int ret,
		     char *log, size_t loglen)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.expected_attach_type = at;
	a.attach_btf_id = btf_id;
	if (log && loglen) {
		log[0] = 0;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)loglen;
		a.log_level = 1;
	}
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void check_bpf_lsm(struct pld_doctor *doc)
{
	char lsm[512] = "";
	bool listed = false;

	if (read_small("/sys/kernel/security/lsm", lsm, sizeof(lsm)) == 0) {
		char copy[512], *save = NULL;
		snprintf(copy, sizeof(copy), "%s", lsm);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			listed |= !strcmp(t, "bpf");
	}
	if (!listed) {
		add(doc, "bpf-lsm", PLD_CHECK_INFO,
		    "not active: 'bpf' is not in /sys/kernel/security/lsm (%s)",
		    lsm[0] ? lsm : "unreadable");
		return;
	}
#ifdef HAVE_LIBBPF
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf) {
		add(doc, "bpf-lsm", PLD_CHECK_INFO,
		    "not active: 'bpf' is listed but vmlinux BTF cannot be read, so no LSM "
		    "program can load");
		return;
	}
	int id = btf__find_by_name_kind(btf, "bpf_lsm_file_open", BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0) {
		add(doc, "bpf-lsm", PLD_CHECK_INFO,
		    "not active: vmlinux BTF has no bpf_lsm_file_open hook");
		return;
	}
	int r = prog_load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, (uint32_t)id, 0, NULL, 0);
	if (r < 0) {
		add(doc, "bpf-lsm", PLD_CHECK_INFO,
		    "not active: 'bpf' is listed in /sys/kernel/security/lsm but a trivial "
		    "lsm/file_open program does not load (%s)",
		    strerror(-r));
		return;
	}
	doc->bpf_lsm = true;
	add(doc, "bpf-lsm", PLD_CHECK_OK,
	    "a trivial lsm/file_open program loads (no plastron enforcer uses it yet)");
#else
	add(doc, "bpf-lsm", PLD_CHECK_INFO,
	    "not probed (built without libbpf); 'bpf' is listed in /sys/kernel/security/lsm");
#endif
}

void pld_doctor_run(struct pld_doctor *doc)
{
	struct statfs sf;
	char buf[512];
	int r;

	memset(doc, 0, sizeof(*doc));

	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		add(doc, "btf", PLD_CHECK_OK, "/sys/kernel/btf/vmlinux is present");
	else
		add(doc, "btf", PLD_CHECK_WARN, "/sys/kernel/btf/vmlinux is missing (%s)",
		    strerror(errno));

	r = pld_cgroup_mount(doc->cgroup2, sizeof(doc->cgroup2));
	if (r < 0) {
		add(doc, "cgroup2", PLD_CHECK_FAIL, "no cgroup2 mount in /proc/self/mountinfo");
	} else {
		bool hybrid =
		    statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type != CGROUP2_SUPER_MAGIC;
		add(doc, "cgroup2", PLD_CHECK_OK, "cgroup v2 at %s (%s)", doc->cgroup2,
		    hybrid ? "hybrid: v1 controllers at /sys/fs/cgroup" : "unified");
	}

	if (statfs("/sys/fs/bpf", &sf) == 0 && sf.f_type == BPF_FS_MAGIC)
		add(doc, "bpffs", PLD_CHECK_OK,
		    "bpffs mounted at /sys/fs/bpf (pins survive the agent)");
	else
		add(doc, "bpffs", PLD_CHECK_WARN, "/sys/fs/bpf is not a bpffs mount");

	r = prog_load(BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, 0, 1, NULL, 0);
	if (r == 0 && !doc->cgroup2[0])
		r = -ENOENT;
	if (r == 0) {
		doc->cgroup_bpf = true;
		add(doc, "cgroup-bpf", PLD_CHECK_OK,
		    "cgroup socket/connect/sendmsg/sysctl/device programs can load");
	} else {
		add(doc, "cgroup-bpf", PLD_CHECK_FAIL, "a trivial cgroup/sock_create program: %s",
		    strerror(-r));
	}

	check_bpf_lsm(doc);

	doc->landlock_abi = pl_landlock_abi();
	doc->landlock = doc->landlock_abi > 0;
	if (doc->landlock)
		add(doc, "landlock", PLD_CHECK_OK, "Landlock ABI %d%s", doc->landlock_abi,
		    doc->landlock_abi >= 7 ? " (denials are audited)" : "");
	else
		add(doc, "landlock", PLD_CHECK_WARN, "Landlock is not available");

	if (read_small("/proc/sys/kernel/seccomp/actions_avail", buf, sizeof(buf)) == 0) {
		bool errno_ok = strstr(buf, "errno") != NULL, log_ok = strstr(buf, "log") != NULL;
		doc->seccomp = errno_ok;
		add(doc, "seccomp", errno_ok ? PLD_CHECK_OK : PLD_CHECK_FAIL, "actions: %s%s", buf,
		    log_ok ? "" : " (no 'log': audit mode cannot be carried by seccomp)");
	} else {
		add(doc, "seccomp", PLD_CHECK_FAIL,
		    "/proc/sys/kernel/seccomp/actions_avail is unreadable (%s)", strerror(errno));
	}
	doc->caps = true;
	add(doc, "caps", PLD_CHECK_OK, "capability bounding set can be reduced per container");

	struct pl_audit *au = NULL;
	struct pl_diag d = { 0 };
	r = pl_audit_open(&au, &d);
	pl_diag_clear(&d);
	if (r == 0) {
		doc->audit = true;
		pl_audit_close(au);
		add(doc, "audit", PLD_CHECK_OK,
		    "audit netlink read-only group readable (seccomp and Landlock events)");
	} else {
		add(doc, "audit", PLD_CHECK_WARN,
		    "audit netlink group not readable (%s): seccomp/Landlock denials still apply "
		    "but produce no events",
		    strerror(-r));
	}

	if (access("/sys/kernel/security/apparmor", F_OK) == 0)
		add(doc, "apparmor", PLD_CHECK_INFO,
		    "AppArmor is in the kernel; plastron generates profiles but does not load "
		    "them");
	else
		add(doc, "apparmor", PLD_CHECK_INFO,
		    "AppArmor is not in the kernel: profiles are generated as text only");
}

static const char *state_name(enum pld_check_state s)
{
	switch (s) {
	case PLD_CHECK_OK:
		return "ok";
	case PLD_CHECK_INFO:
		return "info";
	case PLD_CHECK_WARN:
		return "warn";
	case PLD_CHECK_FAIL:
		return "FAIL";
	}
	return "?";
}

#define NON_INET_NOTE                                                                          \
	"rules about non-inet socket families (unix, AF_ALG, packet, netlink) are carried by " \
	"seccomp on socket()/socketpair() arguments: they apply from the container's first "   \
	"instruction but cannot switch mode live (a new mode needs a container restart)"

void pld_doctor_print(const struct pld_doctor *doc, bool agent_enforcing, FILE *out)
{
	for (size_t i = 0; i < doc->n; i++)
		fprintf(out, "%-5s %-11s %s\n", state_name(doc->checks[i].state),
			doc->checks[i].name, doc->checks[i].detail);
	/* Active = applied to containers now: seccomp, caps and Landlock by
	 * plastron-runtime at each start; cgroup-BPF only while the agent's
	 * enforcer is installed. */
	fprintf(out, "\nactive enforcers:");
	if (doc->seccomp)
		fprintf(out, " seccomp");
	if (doc->caps)
		fprintf(out, " caps");
	if (doc->landlock)
		fprintf(out, " landlock(abi %d)", doc->landlock_abi);
	if (doc->cgroup_bpf && agent_enforcing)
		fprintf(out, " cgroup-bpf");
	fprintf(out, "\nnot active:");
	if (!doc->cgroup_bpf)
		fprintf(out, " cgroup-bpf(kernel)");
	else if (!agent_enforcing)
		fprintf(out, " cgroup-bpf(plastrond not running)");
	fprintf(out, " bpf-lsm%s", doc->bpf_lsm ? "(loads, but no plastron enforcer uses it)" : "");
	if (!doc->landlock)
		fprintf(out, " landlock");
	fprintf(out, " apparmor\n");
	fprintf(out, "note: " NON_INET_NOTE ".\n");
}

json_t *pld_doctor_json(const struct pld_doctor *doc)
{
	json_t *o = json_object(), *checks = json_array(), *en = json_object();

	for (size_t i = 0; i < doc->n; i++)
		json_array_append_new(checks,
				      json_pack("{s:s,s:s,s:s}", "name", doc->checks[i].name,
						"state", state_name(doc->checks[i].state), "detail",
						doc->checks[i].detail));
	json_object_set_new(en, "seccomp", json_boolean(doc->seccomp));
	json_object_set_new(en, "caps", json_boolean(doc->caps));
	json_object_set_new(en, "landlock", json_boolean(doc->landlock));
	json_object_set_new(en, "cgroup-bpf", json_boolean(doc->cgroup_bpf));
	json_object_set_new(en, "bpf-lsm", json_false()); /* no enforcer uses it yet */
	json_object_set_new(o, "bpf_lsm_loads", json_boolean(doc->bpf_lsm));
	json_object_set_new(en, "apparmor", json_false());
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "enforcers", en);
	json_object_set_new(o, "landlock_abi", json_integer(doc->landlock_abi));
	json_object_set_new(o, "cgroup2", json_string(doc->cgroup2));
	json_object_set_new(o, "note", json_string(NON_INET_NOTE));
	return o;
}
