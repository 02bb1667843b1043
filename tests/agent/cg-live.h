/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the live cgroup-BPF tests: clean-up helpers. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "enforcer.h"

/* Uninstall an enforcer pinned in `dir`, if there is one. */
static inline void remove_pins(const char *dir)
{
	struct pl_cg_enforcer *e = NULL;
	struct pl_diag d = { 0 };
	struct pl_enforcer_opts o = { .pin_dir = dir };

	if (!dir[0] || access(dir, F_OK) < 0)
		return;
	if (pl_enforcer_open(&o, &e, &d) == 0)
		pl_enforcer_uninstall(e, &d);
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
