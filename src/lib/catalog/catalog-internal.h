/* SPDX-License-Identifier: Apache-2.0 */
/* The static rule tables (rules.c), used by the lookup code (catalog.c). Internal. */
#pragma once

#include <stddef.h>

#include "plastron/catalog.h"

extern const struct pl_rule pl_catalog_table[];
extern const size_t pl_catalog_table_n;
extern const struct pl_rule_alias pl_catalog_alias_table[];
extern const size_t pl_catalog_alias_table_n;
