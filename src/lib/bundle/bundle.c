/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The confinement bundle's format: build (policy → bundle, in plastrond),
 * serialize, parse and check (plastron-runtime, plastron-init). The only
 * owner of the format; include/plastron/bundle.h describes it. Applying a
 * parsed bundle is bundle-apply.c.
 */
#include <errno.h>
#include <jansson.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plastron/apply.h"
#include "plastron/bundle.h"
#include "plastron/catalog.h"
#include "shared/macro.h"

#define MAX_BPF_BYTES (65535 * 8)

static const struct {
	const char *name;
	unsigned bit;
} sc_flags[] = {
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
};

PL_EXPORT void pl_bundle_free(struct pl_bundle *b)
{
	if (!b)
		return;
	free(b->policy);
	free(b->sc_bpf);
	pl_ll_ruleset_free(b->landlock);
	free(b->text);
	free(b->oci_json);
	free(b);
}

static json_t *hex_u64(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *landlock_to_json(const struct pl_ll_ruleset *rs)
{
	json_t *o = json_object(), *rules = json_array(), *bind = json_array(),
	       *conn = json_array();

	json_object_set_new(o, "abi", json_integer(rs->abi));
	json_object_set_new(o, "fs", hex_u64(rs->handled_fs));
	json_object_set_new(o, "net", hex_u64(rs->handled_net));
	json_object_set_new(o, "scoped", hex_u64(rs->scoped));
	for (size_t k = 0; k < rs->n_rules; k++) {
		json_t *r = json_object();
		json_object_set_new(r, "access", hex_u64(rs->rules[k].access));
		json_object_set_new(r, "path", json_string(rs->rules[k].path));
		json_array_append_new(rules, r);
	}
	for (size_t k = 0; k < rs->n_bind_tcp; k++)
		json_array_append_new(bind, json_integer(rs->bind_tcp[k]));
	for (size_t k = 0; k < rs->n_connect_tcp; k++)
		json_array_append_new(conn, json_integer(rs->connect_tcp[k]));
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "bind", bind);
	json_object_set_new(o, "connect", conn);
	return o;
}

/* The rule-id map: syscall → the rules (catalog ids) of the profile that
 * act on it, for naming a denial in an event. */
static json_t *rule_map(const struct pl_sc_profile *prof)
{
	json_t *m = json_object();

	for (size_t i = 0; prof && i < prof->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &prof->syscalls[i];
		if (!sc->origin || sc->action == PL_SC_ACT_ALLOW)
			continue;
		for (size_t j = 0; j < sc->n_names; j++) {
			json_t *v = json_object_get(m, sc->names[j]), *x;
			size_t k;
			bool seen = false;
			if (!v) {
				v = json_array();
				json_object_set_new(m, sc->names[j], v);
			}
			json_array_foreach(v, k, x) seen |=
			    !strcmp(json_string_value(x), sc->origin);
			if (!seen)
				json_array_append_new(v, json_string(sc->origin));
		}
	}
	return json_pack("{s:o}", "seccomp", m);
}

static int export_bpf(const struct pl_sc_profile *prof, unsigned char **ret, size_t *ret_len,
		      struct pl_diag *d)
{
	int fd = memfd_create("plastron-bundle", MFD_CLOEXEC);
	struct stat st;
	unsigned char *buf;
	int r;

	if (fd < 0)
		return pl_error(d, -errno, NULL, NULL, "memfd_create: %s", strerror(errno));
	r = pl_sc_profile_export_bpf(prof, fd, d);
	if (r < 0)
		goto out;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_BPF_BYTES) {
		r = pl_error(d, -EIO, NULL, NULL, "the exported seccomp filter has no usable size");
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto out;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		r = pl_error(d, -EIO, NULL, NULL, "reading the exported seccomp filter failed");
		goto out;
	}
	*ret = buf;
	*ret_len = (size_t)st.st_size;
	r = 0;
out:
	close(fd);
	return r;
}

/* Name the body (every member but version and hash) and serialize: the
 * head (one line of JSON), a newline, then the raw seccomp program. */
static int seal(struct pl_bundle *b, json_t *body, struct pl_diag *d)
{
	char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS), hex[65], *head;
	size_t n;

	if (!canon)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	pl_sha256_hex(canon, strlen(canon), hex);
	free(canon);
	snprintf(b->hash, sizeof(b->hash), "sha256:%s", hex);
	memcpy(b->version, hex, 16);
	b->version[16] = 0;
	json_object_set_new(body, "version", json_string(b->version));
	json_object_set_new(body, "hash", json_string(b->hash));
	head = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_object_del(body, "version");
	json_object_del(body, "hash");
	if (!head)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	/* A compact dump has no raw newline: the first one ends the head. */
	n = strlen(head);
	b->text = malloc(n + 1 + b->sc_bpf_len + 1);
	if (!b->text) {
		free(head);
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	}
	memcpy(b->text, head, n);
	b->text[n] = '\n';
	if (b->sc_bpf_len)
		memcpy(b->text + n + 1, b->sc_bpf, b->sc_bpf_len);
	b->text_len = n + 1 + b->sc_bpf_len;
	b->text[b->text_len] = 0;
	free(head);
	return 0;
}

PL_EXPORT int pl_bundle_build(const struct pl_policy *p, const struct pl_sc_profile *prof,
			      struct pl_bundle **ret, struct pl_diag *d)
{
	struct pl_sc_profile *own = NULL;
	unsigned char *bpf = NULL;
	size_t bpf_len = 0;
	int r;

	if (!p || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_bundle_build: invalid argument");
	if (!prof) {
		r = pl_gen_seccomp(p, NULL, &own, d);
		if (r < 0)
			return r;
		prof = own;
	}
	r = export_bpf(prof, &bpf, &bpf_len, d);
	if (r == 0)
		r = pl_bundle_build_compiled(p, prof, bpf, bpf_len, NULL, ret, d);
	free(bpf);
	pl_sc_profile_free(own);
	return r;
}

PL_EXPORT int pl_bundle_build_compiled(const struct pl_policy *p, const struct pl_sc_profile *prof,
				       const unsigned char *bpf, size_t bpf_len,
				       const char *oci_json, struct pl_bundle **ret,
				       struct pl_diag *d)
{
	struct pl_bundle *b;
	char *oci = NULL;
	json_t *body = NULL, *sc = json_null(), *caps, *drop;
	int r;

	if (!p || !prof || !bpf || !bpf_len || bpf_len % 8 || bpf_len > MAX_BPF_BYTES || !ret)
		return pl_error(d, -EINVAL, NULL, NULL,
				"pl_bundle_build_compiled: invalid argument");
	b = calloc(1, sizeof(*b));
	if (!b || !(b->policy = strdup(p->name))) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto fail;
	}
	r = pl_gen_caps(p, NULL, &b->cap_drop, d);
	if (r < 0)
		goto fail;
	r = pl_gen_landlock_deferred(p, pl_landlock_abi(), &b->landlock, d);
	if (r < 0)
		goto fail;
	if (b->landlock && b->landlock->empty) {
		pl_ll_ruleset_free(b->landlock);
		b->landlock = NULL;
	}
	b->sc_bpf = malloc(bpf_len);
	if (!b->sc_bpf) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto fail;
	}
	memcpy(b->sc_bpf, bpf, bpf_len);
	b->sc_bpf_len = bpf_len;
	if (oci_json)
		oci = strdup(oci_json);
	r = oci_json ? (oci ? 0 : pl_error(d, -ENOMEM, NULL, NULL, "out of memory"))
		     : pl_sc_profile_to_json(prof, &oci, d);
	if (r < 0)
		goto fail;
	json_t *flags = json_array();
	for (size_t k = 0; k < prof->n_flags; k++) {
		bool known = false;
		for (size_t j = 0; j < PL_ARRAY_SIZE(sc_flags); j++)
			if (!strcmp(prof->flags[k], sc_flags[j].name)) {
				b->sc_flags |= sc_flags[j].bit;
				known = true;
			}
		if (!known) {
			json_decref(flags);
			r = pl_error(d, -EOPNOTSUPP, NULL, NULL,
				     "seccomp flag '%s' is not supported", prof->flags[k]);
			goto fail;
		}
		json_array_append_new(flags, json_string(prof->flags[k]));
	}
	char oci_hex[65], bpf_hex[65];
	pl_sha256_hex(oci, strlen(oci), oci_hex);
	pl_sha256_hex(b->sc_bpf, b->sc_bpf_len, bpf_hex);
	sc = json_pack("{s:s,s:I,s:o,s:s}", "bpf_sha256", bpf_hex, "bpf_len",
		       (json_int_t)b->sc_bpf_len, "flags", flags, "oci_sha256", oci_hex);
	drop = json_array();
	for (int c = 0; c < 64; c++)
		if (b->cap_drop & (1ull << c))
			json_array_append_new(drop, json_string(pl_cap_name(c) ?: "?"));
	caps = json_pack("{s:o}", "drop", drop);
	body = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}", "format", PL_BUNDLE_FORMAT, "policy", p->name,
			 "seccomp", sc, "caps", caps, "landlock",
			 b->landlock ? landlock_to_json(b->landlock) : json_null(), "rules",
			 rule_map(prof));
	if (!body) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto fail;
	}
	r = seal(b, body, d);
	if (r < 0)
		goto fail;
	json_decref(body);
	b->oci_json = PL_TAKE_PTR(oci);
	*ret = b;
	return 0;
fail:
	json_decref(body);
	free(oci);
	pl_bundle_free(b);
	return r;
}

/* ---- parse -------------------------------------------------------------- */
static int bad(struct pl_diag *d, const char *field, const char *why)
{
	return pl_error(d, -EINVAL, NULL, field, "confinement bundle: %s %s", field, why);
}

static int get_hex_u64(json_t *o, const char *key, uint64_t *ret)
{
	const char *s = json_string_value(json_object_get(o, key));
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 16);
	return errno || *end ? -EINVAL : 0;
}

static int landlock_from_json(json_t *o, struct pl_ll_ruleset **ret, struct pl_diag *d)
{
	json_t *rules = json_object_get(o, "rules"), *v;
	json_t *bind = json_object_get(o, "bind"), *conn = json_object_get(o, "connect");
	struct pl_ll_ruleset *rs = calloc(1, sizeof(*rs));
	json_int_t abi = json_integer_value(json_object_get(o, "abi"));
	size_t i;

	if (!rs)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	*ret = rs;
	if (!json_is_integer(json_object_get(o, "abi")) || abi < 1 || abi > 1000)
		return bad(d, "landlock.abi", "is not an ABI number");
	rs->abi = (int)abi;
	if (get_hex_u64(o, "fs", &rs->handled_fs) || get_hex_u64(o, "net", &rs->handled_net) ||
	    get_hex_u64(o, "scoped", &rs->scoped))
		return bad(d, "landlock", "has a malformed fs/net/scoped mask");
	if (!json_is_array(rules) || !json_is_array(bind) || !json_is_array(conn))
		return bad(d, "landlock", "lacks rules, bind or connect");
	rs->rules = calloc(json_array_size(rules) + 1, sizeof(*rs->rules));
	rs->bind_tcp = calloc(json_array_size(bind) + 1, sizeof(uint16_t));
	rs->connect_tcp = calloc(json_array_size(conn) + 1, sizeof(uint16_t));
	if (!rs->rules || !rs->bind_tcp || !rs->connect_tcp)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	json_array_foreach(rules, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));
		if (!path || path[0] != '/' || get_hex_u64(v, "access", &rs->rules[i].access))
			return bad(d, "landlock.rules",
				   "has a rule without an absolute path or access");
		if (!(rs->rules[i].path = strdup(path)))
			return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		rs->n_rules++;
	}
	json_array_foreach(bind, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 65535)
			return bad(d, "landlock.bind", "has a port out of range");
		rs->bind_tcp[rs->n_bind_tcp++] = (uint16_t)json_integer_value(v);
	}
	json_array_foreach(conn, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 65535)
			return bad(d, "landlock.connect", "has a port out of range");
		rs->connect_tcp[rs->n_connect_tcp++] = (uint16_t)json_integer_value(v);
	}
	rs->empty = !rs->handled_fs && !rs->handled_net && !rs->scoped;
	return 0;
}

PL_EXPORT int pl_bundle_parse(const char *text, size_t len, struct pl_bundle **ret,
			      struct pl_diag *d)
{
	json_error_t je;
	json_t *o = NULL, *sc, *caps, *ll, *v;
	struct pl_bundle *b = NULL;
	const char *version, *hash, *policy;
	char *canon = NULL, hex[65];
	size_t i;
	int r;

	if (!text || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_bundle_parse: invalid argument");
	/* The head: up to the first newline; the seccomp program follows. */
	const char *nl = memchr(text, '\n', len);
	size_t head_len = nl ? (size_t)(nl - text) : len;
	const unsigned char *prog = nl ? (const unsigned char *)nl + 1 : NULL;
	size_t prog_len = nl ? len - head_len - 1 : 0;
	o = json_loadb(text, head_len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		r = pl_error(d, -EINVAL, NULL, NULL, "confinement bundle: %s (line %d)",
			     o ? "not an object" : je.text, je.line);
		goto fail;
	}
	if (!json_is_string(json_object_get(o, "format")) ||
	    strcmp(json_string_value(json_object_get(o, "format")), PL_BUNDLE_FORMAT)) {
		r = bad(d, "format", "is not " PL_BUNDLE_FORMAT);
		goto fail;
	}
	if (!nl) {
		r = bad(d, "head", "is not followed by a newline (truncated)");
		goto fail;
	}
	version = json_string_value(json_object_get(o, "version"));
	hash = json_string_value(json_object_get(o, "hash"));
	policy = json_string_value(json_object_get(o, "policy"));
	if (!version || !hash || !policy) {
		r = bad(d, "policy, version and hash", "are required");
		goto fail;
	}
	b = calloc(1, sizeof(*b));
	if (!b || !(b->policy = strdup(policy)) || !(b->text = malloc(len + 1))) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto fail;
	}
	memcpy(b->text, text, len);
	b->text[len] = 0;
	b->text_len = len;
	/* The hash covers every other member (taken out of `o`, after their
	 * values were copied). */
	snprintf(b->hash, sizeof(b->hash), "%s", hash);
	snprintf(b->version, sizeof(b->version), "%s", version);
	json_object_del(o, "version");
	json_object_del(o, "hash");
	/* The OCI profile, when the text carries it, is pinned by its digest. */
	json_t *oci = json_object_get(o, "oci");
	if (oci) {
		const char *want =
		    json_string_value(json_object_get(json_object_get(o, "seccomp"), "oci_sha256"));
		if (!json_is_string(oci) || !want) {
			r = bad(d, "oci", "is not a string with a digest in seccomp.oci_sha256");
			goto fail;
		}
		pl_sha256_hex(json_string_value(oci), json_string_length(oci), hex);
		if (strcmp(hex, want)) {
			r = bad(d, "oci", "does not match seccomp.oci_sha256 (damaged or altered)");
			goto fail;
		}
		b->oci_json = strdup(json_string_value(oci));
		if (!b->oci_json) {
			r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
			goto fail;
		}
		json_object_del(o, "oci");
	}
	canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto fail;
	}
	pl_sha256_hex(canon, strlen(canon), hex);
	if (strncmp(b->hash, "sha256:", 7) || strcmp(b->hash + 7, hex) ||
	    strlen(b->version) != 16 || strncmp(b->version, hex, 16)) {
		r = bad(d, "hash", "does not match the content (damaged or altered)");
		goto fail;
	}

	sc = json_object_get(o, "seccomp");
	if (json_is_object(sc)) {
		/* The program after the head, pinned by its digest (in the hashed head). */
		const char *want = json_string_value(json_object_get(sc, "bpf_sha256"));
		json_t *n = json_object_get(sc, "bpf_len");
		if (!want || !json_is_integer(n) || json_integer_value(n) != (json_int_t)prog_len ||
		    !prog_len || prog_len % 8 || prog_len > MAX_BPF_BYTES) {
			r = bad(d, "seccomp.bpf_len",
				"is not the length of the seccomp program after the head");
			goto fail;
		}
		pl_sha256_hex(prog, prog_len, hex);
		if (strcmp(hex, want)) {
			r = bad(d, "seccomp program",
				"does not match seccomp.bpf_sha256 (damaged or altered)");
			goto fail;
		}
		b->sc_bpf = malloc(prog_len);
		if (!b->sc_bpf) {
			r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
			goto fail;
		}
		memcpy(b->sc_bpf, prog, prog_len);
		b->sc_bpf_len = prog_len;
		json_array_foreach(json_object_get(sc, "flags"), i, v)
		{
			bool known = false;
			for (size_t j = 0; j < PL_ARRAY_SIZE(sc_flags); j++)
				if (json_is_string(v) &&
				    !strcmp(json_string_value(v), sc_flags[j].name)) {
					b->sc_flags |= sc_flags[j].bit;
					known = true;
				}
			if (!known) {
				r = bad(d, "seccomp.flags",
					"names a flag this build does not know");
				goto fail;
			}
		}
	} else if (!json_is_null(sc)) {
		r = bad(d, "seccomp", "is neither an object nor null");
		goto fail;
	} else if (prog_len) {
		r = bad(d, "seccomp", "is null but a program follows the head");
		goto fail;
	}
	caps = json_object_get(o, "caps");
	if (!json_is_array(json_object_get(caps, "drop"))) {
		r = bad(d, "caps.drop", "is required");
		goto fail;
	}
	json_array_foreach(json_object_get(caps, "drop"), i, v)
	{
		int c = pl_cap_from_name(json_string_value(v) ?: "");
		if (c < 0 || c >= 64) {
			r = bad(d, "caps.drop", "names an unknown capability");
			goto fail;
		}
		b->cap_drop |= 1ull << c;
	}
	ll = json_object_get(o, "landlock");
	if (json_is_object(ll)) {
		r = landlock_from_json(ll, &b->landlock, d);
		if (r < 0)
			goto fail;
	} else if (!json_is_null(ll)) {
		r = bad(d, "landlock", "is neither an object nor null");
		goto fail;
	}
	free(canon);
	json_decref(o);
	*ret = b;
	return 0;
fail:
	free(canon);
	json_decref(o);
	pl_bundle_free(b);
	return r;
}
