/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by the library and the programs. Internal. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define PL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PL_UNUSED __attribute__((unused))
#define PL_EXPORT __attribute__((visibility("default")))

static inline void pl_freep(void *p)
{
	free(*(void **)p);
}
static inline void pl_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_free_ __attribute__((cleanup(pl_freep)))
#define _cleanup_close_ __attribute__((cleanup(pl_closep)))
/* The library's own types (the *_freep helpers are in the public headers;
 * include the header of the type). */
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_diag_ _cleanup_(pl_diag_clear)
#define _cleanup_policy_set_ _cleanup_(pl_policy_set_freep)
#define _cleanup_sc_profile_ _cleanup_(pl_sc_profile_freep)
#define _cleanup_ll_ruleset_ _cleanup_(pl_ll_ruleset_freep)
#define _cleanup_plan_ _cleanup_(pl_plan_freep)
#define _cleanup_confinement_ _cleanup_(pl_confinement_freep)
#define _cleanup_bpf_tables_ _cleanup_(pl_bpf_tables_freep)

/* Hand ownership on: returns the value and resets the variable. */
#define PL_TAKE_PTR(p)                  \
	({                              \
		__typeof__(p) _t = (p); \
		(p) = NULL;             \
		_t;                     \
	})
#define PL_TAKE_FD(fd)         \
	({                     \
		int _t = (fd); \
		(fd) = -1;     \
		_t;            \
	})

/*
 * PL_MUTEX_FORK_SAFE(lock), at file scope after a static pthread mutex
 * `lock` (the caller includes <pthread.h>): fork takes the lock first
 * (pthread_atfork), so a child forked while another thread holds it does
 * not inherit it held and block on it for good (plastrond's compile child,
 * src/daemon/compile.c).
 */
#define PL_MUTEX_FORK_SAFE(lock)                                                      \
	static void lock##_fork_take(void)                                            \
	{                                                                             \
		pthread_mutex_lock(&lock);                                            \
	}                                                                             \
	static void lock##_fork_give(void)                                            \
	{                                                                             \
		pthread_mutex_unlock(&lock);                                          \
	}                                                                             \
	__attribute__((constructor)) static void lock##_atfork(void)                  \
	{                                                                             \
		pthread_atfork(lock##_fork_take, lock##_fork_give, lock##_fork_give); \
	}
