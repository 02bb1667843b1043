/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the live cgroup-BPF tests: clean-up helpers. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "enforcer.h"

/* Detach and remove whatever is pinned in `dir` (any layout). */
static inline void remove_pins(const char *dir)
{
	struct pl_diag d = { 0 };

	if (!dir[0])
		return;
	pl_enforcer_purge(&(struct pl_enforcer_opts){ .pin_dir = dir }, &d);
	pl_diag_clear(&d);
}

/* rmdir, retried while the cgroup is still busy (processes leaving). */
static inline void rmdir_retry(const char *p)
{
	for (int i = 0; i < 50 && rmdir(p) < 0 && errno == EBUSY; i++)
		usleep(20000);
}

/* Move the calling process into cgroup `cg`. */
static inline int join_cgroup(const char *cg)
{
	char p[800];
	int fd, r = 0;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "0\n", 2) != 2)
		r = -errno;
	close(fd);
	return r;
}

/* The record of table slot `slot` (root, trie and range runs) in the maps
 * pinned in `pin`; zeros when unreadable. */
static inline struct pl_cg_table pinned_slot(const char *pin, uint32_t slot)
{
	struct pl_cg_table tab = { 0 };
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/maps/tables", pin);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &slot, &tab);
		close(fd);
	}
	return tab;
}
