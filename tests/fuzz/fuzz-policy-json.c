/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the policy loader's JSON path: jansson's syntax check, then the same
 * positioned tree through libyaml, the decoder and the dump. Inputs that do
 * not start like JSON are made to (a '{' is put in front), so every input
 * takes the JSON path. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *buf, size_t len)
{
	static FILE *null_out;
	struct pl_diag d = { 0 };
	struct pl_policy_set *s = NULL;

	if (!null_out)
		null_out = fopen("/dev/null", "we");
	if (pl_policy_set_load_buffer("fuzz.json", buf, len, &s, &d) == 0) {
		for (size_t i = 0; i < s->n && null_out; i++)
			pl_policy_dump(s->policies[i], null_out);
		pl_policy_set_free(s);
	}
	for (const struct pl_diag_entry *e = d.head; e; e = e->next)
		free(pl_diag_format(e));
	pl_diag_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	while (i < size &&
	       (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i < size && (data[i] == '{' || data[i] == '[')) {
		run((const char *)data, size);
		return 0;
	}
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	buf[0] = '{';
	memcpy(buf + 1, data, size);
	run(buf, size + 1);
	free(buf);
	return 0;
}
