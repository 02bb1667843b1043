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
