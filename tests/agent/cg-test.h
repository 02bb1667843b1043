/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the cgroup-BPF tests: hand-made catalog translations. */
#pragma once

#include "plastron/catalog.h"

/* One exact cgroup-BPF translation: TR_CG(.sockets = ..., .n_sockets = ...). */
#define TR_CG(...)                                                                          \
	(const struct pl_translation[])                                                     \
	{                                                                                   \
		{                                                                           \
			.mech = PL_MECH_CGROUP_BPF, .fidelity = PL_FID_EXACT, .u.cgroup = { \
				__VA_ARGS__                                                 \
			}                                                                   \
		}                                                                           \
	}
