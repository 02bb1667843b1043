/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between the policy loader and decoder (internal). */
#pragma once

#include "plastron/policy.h"
#include "tree.h"

/* The set handed out is the first member; the rest is private. */
struct pl_policy_set_priv {
	struct pl_policy_set pub;
	char *file;                      /* name used in positions (arena) */
	struct pl_sc_profile **profiles; /* parsed customProfiles, freed with the set */
	size_t n_profiles;
};

/* Decode every document into policies appended to s->pub. Errors go to `d`;
 * returns a negative errno when any error was found. */
int pl_policy_decode_docs(struct pl_policy_set_priv *s, struct pl_node **docs, size_t n_docs,
			  struct pl_diag *d);

/* Read a whole input file ('-' is stdin, named "<stdin>" in positions) into a
 * malloc'd buffer (caller frees), at most PL_TREE_MAX_INPUT bytes. Shared by
 * the policy loader and plastron lint. */
int pl_input_read(const char *path, char **ret_buf, size_t *ret_len, struct pl_diag *d);
