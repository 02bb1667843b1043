/* SPDX-License-Identifier: Apache-2.0 */
/*
 * write-bundle: the confinement bundle plastrond would compile for the first
 * policy of POLICY (pl_bundle_build: plastron's own seccomp program, with
 * the syscalls newer than libseccomp by number), written to OUT, for
 * plastron-init in the container tests (tests/consumers/runc-rd.sh).
 *
 *   write-bundle POLICY OUT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "plastron/bundle.h"
#include "plastron/policy.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s POLICY OUT\n", argv[0]);
		return 2;
	}
	struct pl_diag d;
	pl_diag_init(&d);
	struct pl_policy_set *set = NULL;
	struct pl_bundle *b = NULL;
	int r = pl_policy_set_load(argv[1], &set, &d);
	if (r == 0)
		r = set->n ? pl_bundle_build(set->policies[0], NULL, &b, &d) : -ENOENT;
	for (const struct pl_diag_entry *e = d.head; e; e = e->next) {
		char *s = pl_diag_format(e);
		fprintf(stderr, "%s\n", s ? s : "?");
		free(s);
	}
	FILE *f = r == 0 ? fopen(argv[2], "w") : NULL;
	bool ok = f && fwrite(b->text, 1, b->text_len, f) == b->text_len;
	if (f && fclose(f) != 0)
		ok = false;
	pl_bundle_free(b);
	pl_policy_set_free(set);
	pl_diag_clear(&d);
	if (!ok)
		fprintf(stderr, "write-bundle: %s: failed (%d)\n", argv[2], r);
	return ok ? 0 : 1;
}
