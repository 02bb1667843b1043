/* SPDX-License-Identifier: Apache-2.0 */
/* Lookups in the built-in rule catalog (the tables live in rules.c). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "catalog-internal.h"
#include "plastron/catalog.h"
#include "shared/macro.h"

PL_EXPORT const struct pl_rule *pl_catalog_rules(size_t *n)
{
	if (n)
		*n = pl_catalog_table_n;
	return pl_catalog_table;
}

PL_EXPORT const struct pl_rule_alias *pl_catalog_aliases(size_t *n)
{
	if (n)
		*n = pl_catalog_alias_table_n;
	return pl_catalog_alias_table;
}

static int cmp_rule(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pl_rule *)elem)->id);
}

static const struct pl_rule *find_id(const char *id)
{
	return bsearch(id, pl_catalog_table, pl_catalog_table_n, sizeof(pl_catalog_table[0]),
		       cmp_rule);
}

PL_EXPORT const struct pl_rule *pl_catalog_find(const char *id_or_alias)
{
	char buf[128];
	const struct pl_rule *r;
	size_t i;

	if (!id_or_alias)
		return NULL;
	for (i = 0; id_or_alias[i]; i++) {
		if (i + 1 >= sizeof(buf))
			return NULL;
		buf[i] = id_or_alias[i] == '_' ? '-' : (char)tolower((unsigned char)id_or_alias[i]);
	}
	buf[i] = '\0';
	r = find_id(buf);
	if (r)
		return r;
	for (i = 0; i < pl_catalog_alias_table_n; i++)
		if (!strcmp(pl_catalog_alias_table[i].alias, buf))
			return find_id(pl_catalog_alias_table[i].id);
	return NULL;
}

PL_EXPORT const struct pl_translation *pl_rule_translation(const struct pl_rule *r,
							   enum pl_mech mech)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_tr; i++)
		if (r->tr[i].mech == mech)
			return &r->tr[i];
	return NULL;
}

PL_EXPORT const char *pl_category_name(enum pl_category c)
{
	switch (c) {
	case PL_CAT_HARDENING:
		return "hardening";
	case PL_CAT_ATTACK_PROTECTION:
		return "attack-protection";
	case PL_CAT_VUL_MITIGATION:
		return "vul-mitigation";
	default:
		return NULL;
	}
}

PL_EXPORT const char *pl_mech_name(enum pl_mech m)
{
	switch (m) {
	case PL_MECH_SECCOMP:
		return "seccomp";
	case PL_MECH_CAPS:
		return "caps";
	case PL_MECH_LANDLOCK:
		return "landlock";
	case PL_MECH_APPARMOR:
		return "apparmor";
	case PL_MECH_CGROUP_BPF:
		return "cgroup-bpf";
	case PL_MECH_BPF_LSM:
		return "bpf-lsm";
	default:
		return NULL;
	}
}

PL_EXPORT const char *pl_fidelity_name(enum pl_fidelity f)
{
	switch (f) {
	case PL_FID_EXACT:
		return "exact";
	case PL_FID_BROADER:
		return "broader";
	case PL_FID_NARROWER:
		return "narrower";
	default:
		return NULL;
	}
}
