/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's Landlock ABI as plastron uses it, shared by the generator
 * (gen/landlock.c) and the apply layer (apply/landlock.c). Internal.
 *
 * Debian 12's uapi header is from 6.1 (ABI 2): everything newer is defined
 * here.
 */
#pragma once

#include <linux/landlock.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define PL_LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define PL_LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define PL_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define PL_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#define PL_LANDLOCK_RULE_NET_PORT 2
#define PL_LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)

/* struct landlock_ruleset_attr of ABI >= 6. */
struct pl_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct pl_landlock_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* Every filesystem right ABI `abi` knows; without `dir`, only those that
 * make sense on a file (the kernel rejects directory-only rights there). */
uint64_t ll_fs_rights_for_abi(int abi, bool dir);
