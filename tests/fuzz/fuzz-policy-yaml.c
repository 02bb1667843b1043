/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the policy loader with arbitrary (mostly YAML) input: tree, decoder,
 * validation and, for inputs that load, the model dump. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "plastron/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null_out;
	struct pl_diag d = { 0 };
	struct pl_policy_set *s = NULL;

	if (!null_out)
		null_out = fopen("/dev/null", "we");
	if (pl_policy_set_load_buffer("fuzz.yaml", (const char *)data, size, &s, &d) == 0) {
		for (size_t i = 0; i < s->n && null_out; i++)
			pl_policy_dump(s->policies[i], null_out);
		pl_policy_set_free(s);
	}
	for (const struct pl_diag_entry *e = d.head; e; e = e->next) {
		char *m = pl_diag_format(e);
		free(m);
	}
	pl_diag_clear(&d);
	return 0;
}
