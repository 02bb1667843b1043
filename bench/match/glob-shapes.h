/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pattern i of a synthetic profile, in the shapes file and exec rules take:
 * the one definition bench-glob measures and test-glob-bpf checks.
 */
#pragma once

#include <stdio.h>

static inline void glob_shape_pattern(int i, char *out, size_t cap)
{
	switch (i % 6) {
	case 0:
		snprintf(out, cap, "/var/lib/app%d/**", i);
		break;
	case 1:
		snprintf(out, cap, "/**/tool%d", i);
		break;
	case 2:
		snprintf(out, cap, "/etc/svc%d/*.conf", i);
		break;
	case 3:
		snprintf(out, cap, "/home/*/.cfg%d/**", i);
		break;
	case 4:
		snprintf(out, cap, "/opt/vendor%d/bin/[a-z]*", i);
		break;
	default:
		snprintf(out, cap, "/proc/*/attr%d", i);
		break;
	}
}
