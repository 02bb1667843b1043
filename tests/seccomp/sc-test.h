/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the seccomp tests: hand-built policies and profile
 * queries. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/apply.h"
#include "plastron/catalog.h"
#include "plastron/gen.h"
#include "plastron/policy.h"

#define MAX_USES 32

/* A policy built by hand (no parser needed). */
struct tpol {
	struct pl_policy p;
	struct pl_rule_use uses[MAX_USES];
	struct pl_sc_syscall raw[8];
	struct pl_sc_arg raw_args[8][6];
	char *raw_names[8][4];
};

static inline void tpol_init(struct tpol *t, enum pl_mode mode)
{
	memset(t, 0, sizeof(*t));
	t->p.name = (char *)"test";
	t->p.namespace_ = (char *)"default";
	t->p.mode = mode;
	t->p.enforcers = PL_ENF_SECCOMP;
	t->p.enhance.present = mode == PL_MODE_ENHANCE_PROTECT;
	t->p.enhance.rules = t->uses;
	t->p.enhance.syscall_raw = t->raw;
}

/* Add a built-in rule; returns false when the catalog lacks it. */
static inline bool tpol_rule(struct tpol *t, const char *id, enum pl_action act)
{
	const struct pl_rule *r = pl_catalog_find(id);
	if (!r || t->p.enhance.n_rules == MAX_USES)
		return false;
	struct pl_rule_use *u = &t->uses[t->p.enhance.n_rules++];
	u->rule = r;
	u->written = id;
	u->action = act;
	return true;
}

/* Add a raw rule for one syscall with up to 6 conditions. */
static inline struct pl_sc_syscall *tpol_raw(struct tpol *t, const char *name,
					     enum pl_sc_action act)
{
	size_t i = t->p.enhance.n_syscall_raw++;
	struct pl_sc_syscall *sc = &t->raw[i];
	t->raw_names[i][0] = (char *)name;
	sc->names = t->raw_names[i];
	sc->n_names = 1;
	sc->action = act;
	sc->args = t->raw_args[i];
	sc->origin = "syscallRawRules";
	return sc;
}

static inline void raw_arg(struct pl_sc_syscall *sc, uint32_t idx, uint64_t v, uint64_t v2,
			   enum pl_sc_op op)
{
	sc->args[sc->n_args++] =
	    (struct pl_sc_arg){ .index = idx, .value = v, .value_two = v2, .op = op };
}

/* The seed 000 example: fchmodat with mode & S_IX{USR,GRP,OTH}. */
static inline void tpol_seed000(struct tpol *t)
{
	struct pl_sc_syscall *sc = tpol_raw(t, "fchmodat", PL_SC_ACT_ERRNO);
	raw_arg(sc, 2, 0x40, 0x40, PL_SC_OP_MASKED_EQ);
	raw_arg(sc, 2, 0x8, 0x8, PL_SC_OP_MASKED_EQ);
	raw_arg(sc, 2, 0x1, 0x1, PL_SC_OP_MASKED_EQ);
}

/* Text dump of a profile into a malloc'd string. */
static inline char *dump_str(const struct pl_sc_profile *prof)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	pl_sc_profile_dump(prof, f);
	fclose(f);
	return buf;
}

/* Does the dump contain this exact line? */
static inline bool has_line(const char *dump, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = dump; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !memcmp(p, line, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static inline void print_diag(const struct pl_diag *d)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
		char *s = pl_diag_format(e);
		printf("# %s\n", s ? s : "?");
		free(s);
	}
}
