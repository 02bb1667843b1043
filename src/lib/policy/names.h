/* SPDX-License-Identifier: Apache-2.0 */
/* Word tables of the policy language (internal). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_word {
	const char *name;
	uint32_t bits;    /* bits the word sets */
	uint32_t reverse; /* mount flags: bits that must be absent */
};

extern const struct pl_word pl_proto_words[];
extern const struct pl_word pl_file_perm_words[];
extern const struct pl_word pl_ptrace_perm_words[];
extern const struct pl_word pl_mount_flag_words[];
extern const struct pl_word pl_ll_access_words[];

/* Whether `s` is one of the NULL-terminated `list`. */
bool pl_name_in(const char *const *list, const char *s);
const struct pl_word *pl_word_find(const struct pl_word *table, const char *s);
const char *pl_word_suggest(const struct pl_word *table, const char *s);
/* Fill `out` with the names of every known domain / socket type. */
size_t pl_af_names(const char **out, size_t max);
size_t pl_sock_type_names(const char **out, size_t max);
/* At most this many "did you mean" hints per load: each one is a search of
 * the candidates, and a file of thousands of misspelt names must not cost
 * thousands of searches (the errors themselves are still all reported). */
#define PL_MAX_SUGGESTIONS 32
/* Whether NAME is a syscall this build knows: in libseccomp's table (of any
 * architecture) or in plastron's table of newer ones (pl_syscall_extra_nr). */
bool pl_syscall_known(const char *name);
/* The known name closest to NAME (the native architecture's libseccomp names
 * and the newer ones), copied into BUF; false when none is close. */
bool pl_syscall_suggest(const char *name, char *buf, size_t len);
