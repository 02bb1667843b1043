/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup v2 utilities of plastron, one set for every program: the
 * cgroup2 mount point, the cgroup of a pid, absolute paths, cgroup ids
 * (what bpf_get_current_cgroup_id() returns), the canonical resolution of
 * a path the agent is asked to attach, and opening a cgroup by id and its
 * level in the tree. Used by plastrond, the cgroup-BPF loader (src/loader),
 * plastron-bpfctl, the CLI and the tests and benchmarks; part of
 * libplastron-client (src/client). Plain syscalls and /proc: no libbpf, no
 * jansson. Include it as "client/cgroup.h" (src/bpf has a cgroup.h too).
 *
 * Every function returns 0 (or an fd) or a negative errno.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The cgroup v2 mount point (fstype cgroup2 in /proc/self/mountinfo): here
 * /sys/fs/cgroup/unified (hybrid), elsewhere /sys/fs/cgroup. -ENOENT when
 * there is none. */
int pld_cgroup_mount(char *buf, size_t len);
/* The cgroup v2 path of `pid` ("/docker/abc", from the "0::" line of
 * /proc/PID/cgroup). */
int pld_cgroup_of_pid(pid_t pid, char *buf, size_t len);
/* Absolute path of a cgroup given either absolute, or relative to the
 * cgroup2 mount. */
int pld_cgroup_abs(const char *path, char *buf, size_t len);
/* The cgroup id of the cgroup directory `path` (the kernfs node id, from its
 * file handle; its inode number where handles are not available): what
 * bpf_get_current_cgroup_id() returns for a task in it. -ENOTDIR when
 * `path` is not on a cgroup2 filesystem. */
int pld_cgroup_id(const char *path, uint64_t *ret);
/*
 * The canonical cgroup of `path` (absolute, or relative to the cgroup2
 * mount; any spelling: "//", "/a/..", "./x/", symlinks): resolved with
 * realpath(3), it must be a directory strictly below the cgroup2 mount,
 * on cgroup2, and its inode must not be the root cgroup's. On success
 * `rel` is the path relative to the mount ("/docker/abc", no trailing or
 * double slash) and *id the cgroup id. Returns 0, -EPERM for the root
 * cgroup or a path outside the mount, or another negative errno; `err`
 * says why.
 */
int pld_cgroup_resolve(const char *path, char *rel, size_t rellen, uint64_t *id, char *err,
		       size_t errlen);
/* Open cgroup `cgroup_id` (a directory fd, `flags` added to O_CLOEXEC);
 * the v2 mount point in `mnt` (when not NULL). -ENOENT when it does not
 * exist. Needs CAP_DAC_READ_SEARCH (open_by_handle_at). */
int pld_cgroup_open_id(uint64_t cgroup_id, int flags, char *mnt, size_t mlen);
/* The level of cgroup `cgroup_id` in the v2 tree (root = 0); -ENOENT when it
 * does not exist, -EXDEV when it is not below this process's cgroup2 mount
 * (another cgroup namespace). Needs CAP_DAC_READ_SEARCH. */
int pld_cgroup_level(uint64_t cgroup_id, uint32_t *ret);
