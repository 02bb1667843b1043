/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup v2 mount point (src/lib/enforce/cgroup.c). The API that
 * applies profiles to a process, which this header used to hold, is
 * include/plastron/apply.h, included here for the files that still include
 * this one.
 */
#pragma once

#include <stddef.h>

#include "plastron/apply.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cgroup v2 mount point (fstype cgroup2 in /proc/self/mountinfo): here
 * /sys/fs/cgroup/unified (hybrid), elsewhere /sys/fs/cgroup. */
int pl_cgroup2_mount(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
