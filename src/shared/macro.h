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
