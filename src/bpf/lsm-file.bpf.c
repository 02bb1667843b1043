// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * BPF-LSM file enforcement (issue 10, item 2, first hook): lsm/file_open
 * resolves the opened file's path with bpf_d_path, walks the profile's
 * path automaton (glob-walk.bpf.h) and refuses the open with EPERM when a
 * pattern denies the access asked for (read, write, append; O_TRUNC counts
 * as a write; exec for the open execve makes). It applies to the tasks of
 * one cgroup v2 and its descendants (pl_target_cgroup at pl_target_level,
 * set before load: a task cannot leave it by making a child cgroup); every
 * other task passes untouched. A path bpf_d_path cannot resolve fails
 * closed, and so does a walk whose per-CPU path buffer another task used
 * meanwhile (a preemptible kernel). The counters say what it decided
 * (tests read them).
 *
 * Not covered by this hook (later hooks of issue 10): truncate(2) and
 * ftruncate on an O_PATH-less fd, hard links and renames to a denied path,
 * ld.so and memfd execs.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL v2";

#include "glob-walk.bpf.h"

/* The fields used, relocated by CO-RE against the running kernel's BTF. */
struct path {
	void *mnt;
} __attribute__((preserve_access_index));
struct file {
	struct path f_path;
	unsigned int f_flags;
	unsigned int f_mode;
} __attribute__((preserve_access_index));

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
#define O_APPEND_ 02000
#define O_TRUNC_ 01000
#define EPERM_ 1

const volatile __u64 pl_target_cgroup = 0;
const volatile __u32 pl_target_level = 0; /* its depth below the cgroup v2 root */

/* A per-CPU count of walks started: a walk that finds it changed (another
 * task on this CPU reused the path buffer) fails closed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lsm_buf_seq SEC(".maps");

enum { CNT_SEEN, CNT_DENIED, CNT_AUDITED, CNT_UNRESOLVED, CNT_RACED, CNT__MAX };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} lsm_counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&lsm_counters, &which);
	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("lsm/file_open")
int BPF_PROG(pl_file_open, struct file *file)
{
	__u32 zero = 0;
	if (!pl_target_cgroup ||
	    bpf_get_current_ancestor_cgroup_id((int)pl_target_level) != pl_target_cgroup)
		return 0;
	count(CNT_SEEN);
	struct pl_glob_bpf_buf *buf = bpf_map_lookup_elem(&glob_buf, &zero);
	__u64 *seq = bpf_map_lookup_elem(&lsm_buf_seq, &zero);
	if (!buf || !seq)
		return -EPERM_;
	__u64 mine = __sync_fetch_and_add(seq, 1) + 1;
	long n = bpf_d_path(&file->f_path, (char *)buf->b, PL_GLOB_BPF_PATH_MAX);
	if (n <= 1 || n > PL_GLOB_BPF_PATH_MAX) {
		count(CNT_UNRESOLVED);
		return -EPERM_; /* fail closed */
	}
	unsigned int mode = file->f_mode, flags = file->f_flags;
	__u32 want = 0;
	if (mode & FMODE_READ)
		want |= 1; /* PL_PERM_READ */
	if (mode & FMODE_WRITE)
		want |= flags & O_APPEND_ ? 4 : 2; /* PL_PERM_APPEND, PL_PERM_WRITE */
	if (flags & O_TRUNC_)
		want |= 2; /* the kernel truncates after this hook: a write */
	/* execve's open: __FMODE_EXEC in f_flags (f_mode's FMODE_EXEC is not
	 * set by every kernel) */
	if ((mode & FMODE_EXEC) || (flags & FMODE_EXEC))
		want |= 8; /* PL_PERM_EXEC */
	/* n counts the terminating NUL */
	struct pl_glob_bpf_accept a = pl_glob_walk(buf, (__u32)(n - 1));
	if (*seq != mine) {
		count(CNT_RACED);
		return -EPERM_; /* the buffer held another task's path meanwhile */
	}
	if (a.deny & want) {
		count(CNT_DENIED);
		return -EPERM_;
	}
	if (a.audit & want)
		count(CNT_AUDITED);
	return 0;
}
