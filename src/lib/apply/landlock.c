/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock into the kernel: the ABI the running kernel offers, a generated
 * ruleset (struct pl_ll_ruleset, src/lib/gen/landlock.c) created as a
 * ruleset fd with every rule added, and landlock_restrict_self(). Paths are
 * opened here, in the calling process's filesystem (inside a container, its
 * own root), and directory-only rights are masked for what is not a
 * directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/gen/landlock-internal.h"
#include "plastron/apply.h"
#include "shared/macro.h"

PL_EXPORT int pl_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static int add_port(int fd, uint64_t access, uint16_t port, struct pl_diag *d)
{
	struct pl_landlock_net_port_attr pa = { .allowed_access = access, .port = port };
	if (syscall(SYS_landlock_add_rule, fd, PL_LANDLOCK_RULE_NET_PORT, &pa, 0) < 0)
		return pl_error(d, -errno, NULL, "spec.plastron.landlock.network",
				"Landlock rule for TCP port %u: %s", port, strerror(errno));
	return 0;
}

PL_EXPORT int pl_ll_ruleset_create_fd(const struct pl_ll_ruleset *rs, struct pl_diag *d)
{
	struct pl_landlock_ruleset_attr attr = {
		.handled_access_fs = rs->handled_fs,
		.handled_access_net = rs->handled_net,
		.scoped = rs->scoped,
	};
	/* Older kernels reject a larger struct with non-zero unknown fields;
	 * pass only what the ABI knows. */
	size_t size = rs->abi >= 6 ? sizeof(attr) : rs->abi >= 4 ? 16 : 8;
	int fd, r;

	if (rs->empty)
		return pl_error(d, -EINVAL, NULL, NULL, "Landlock ruleset is empty");
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return pl_error(d, -errno, NULL, NULL, "landlock_create_ruleset: %s",
				strerror(errno));
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct landlock_path_beneath_attr pb = { .allowed_access = rs->rules[i].access };
		_cleanup_close_ int pfd = open(rs->rules[i].path, O_PATH | O_CLOEXEC);

		if (pfd < 0) {
			r = pl_error(d, -errno, NULL, "spec.plastron.landlock.filesystem",
				     "cannot open '%s' for a Landlock rule: %s", rs->rules[i].path,
				     strerror(errno));
			close(fd);
			return r;
		}
		pb.parent_fd = pfd;
		/* Directory-only rights on a file (a deferred ruleset names paths
		 * only seen here): the kernel would reject the rule. */
		struct stat st;
		if (fstat(pfd, &st) == 0 && !S_ISDIR(st.st_mode))
			pb.allowed_access &= ll_fs_rights_for_abi(rs->abi, false);
		if (!pb.allowed_access)
			continue; /* nothing granted: the path is simply denied */
		if (syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			r = pl_error(d, -errno, NULL, "spec.plastron.landlock.filesystem",
				     "Landlock rule for '%s': %s", rs->rules[i].path,
				     strerror(errno));
			close(fd);
			return r;
		}
	}
	for (size_t i = 0; i < rs->n_bind_tcp; i++) {
		r = add_port(fd, PL_LANDLOCK_ACCESS_NET_BIND_TCP, rs->bind_tcp[i], d);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	for (size_t i = 0; i < rs->n_connect_tcp; i++) {
		r = add_port(fd, PL_LANDLOCK_ACCESS_NET_CONNECT_TCP, rs->connect_tcp[i], d);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	return fd;
}

PL_EXPORT int pl_ll_restrict_self(int ruleset_fd, int abi)
{
	uint32_t flags = abi >= 7 ? PL_LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
	if (syscall(SYS_landlock_restrict_self, ruleset_fd, flags) < 0)
		return -errno;
	return 0;
}

PL_EXPORT int pl_ll_ruleset_apply(const struct pl_ll_ruleset *rs, struct pl_diag *d)
{
	int fd, r;

	if (!rs)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_ll_ruleset_apply: invalid argument");
	if (rs->empty)
		return 0;
	fd = pl_ll_ruleset_create_fd(rs, d);
	if (fd < 0)
		return fd;
	r = pl_ll_restrict_self(fd, rs->abi);
	close(fd);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "landlock_restrict_self: %s", strerror(-r));
	return 0;
}
