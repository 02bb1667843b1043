/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: OCI seccomp JSON import, then export, dump and (for small
 * profiles) the libseccomp filter build, then free. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plastron/gen.h"
#include "plastron/seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_diag d = { 0 };
	struct pl_sc_profile *p = NULL;
	if (pl_sc_profile_from_json("fuzz", (const char *)data, size, &p, &d) == 0) {
		char *json = NULL;
		if (pl_sc_profile_to_json(p, &json, &d) == 0) {
			/* the export must import again */
			struct pl_sc_profile *q = NULL;
			if (pl_sc_profile_from_json("fuzz-export", json, strlen(json), &q, &d) < 0)
				abort();
			pl_sc_profile_free(q);
		}
		free(json);
		FILE *f = fopen("/dev/null", "w");
		if (f) {
			pl_sc_profile_dump(p, f);
			fclose(f);
		}
		if (p->n_syscalls < 64) {
			int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
			pl_sc_profile_export_bpf(p, fd, &d);
			if (fd >= 0)
				close(fd);
		}
		pl_sc_profile_origin(p, 0xc000003e, 2);
		pl_sc_profile_free(p);
	}
	pl_diag_clear(&d);
	return 0;
}
