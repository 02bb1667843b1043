/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The confinement bundle (src/lib/bundle): built from a policy, serialized,
 * parsed back identical; deterministic (same text, same version); a damaged
 * or altered serialization (one hex digit of the filter, a capability
 * removed, truncation, another format, an OCI profile that is not the one
 * its digest pins) is refused; Landlock paths are not
 * looked up when building (they are the container's) and a missing one
 * fails the apply, naming it; applying in a forked child gives seccomp mode
 * 2, the dropped capability out of the bounding and effective sets, and
 * Landlock (a write outside the allow-list denied, a file path with
 * directory-only rights accepted).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "plastron/bundle.h"
#include "plastron/policy.h"
#include "tap.h"

#define CAP_SYS_MODULE_BIT 16

static const char *policy_text(const char *extra_path)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
		 "apiVersion: crd.varmor.org/v1beta1\n"
		 "kind: VarmorPolicy\n"
		 "metadata:\n  name: bundle-test\n  namespace: default\n"
		 "spec:\n"
		 "  target:\n    kind: Pod\n    name: x\n"
		 "  policy:\n    enforcer: Seccomp\n    mode: EnhanceProtect\n"
		 "    enhanceProtect:\n      hardeningRules:\n        - disable-cap-sys-module\n"
		 "  plastron:\n    landlock:\n      filesystem:\n"
		 "      - path: /\n        access: [read, exec]\n"
		 "      - path: /dev/null\n        access: [read_file, write_file]\n"
		 "      - path: %s\n        access: [read, write]\n",
		 extra_path);
	return buf;
}

static struct pl_bundle *build(const char *extra_path, struct pl_policy_set **set)
{
	struct pl_diag d = { 0 };
	struct pl_bundle *b = NULL;
	const char *t = policy_text(extra_path);

	*set = NULL;
	if (pl_policy_set_load_buffer("bundle-test.yaml", t, strlen(t), set, &d) < 0 ||
	    (*set)->n != 1 || pl_bundle_build((*set)->policies[0], NULL, &b, &d) < 0) {
		for (const struct pl_diag_entry *e = d.head; e; e = e->next)
			printf("# %s\n", e->message);
		b = NULL;
	}
	pl_diag_clear(&d);
	return b;
}

static int parse_fails(const char *text, size_t len, const char *want)
{
	struct pl_diag d = { 0 };
	struct pl_bundle *b = NULL;
	int r = pl_bundle_parse(text, len, &b, &d);
	bool named = !want || (d.head && strstr(d.head->message, want));
	if (r >= 0 || !named)
		printf("# r=%d message=%s\n", r, d.head ? d.head->message : "(none)");
	pl_diag_clear(&d);
	pl_bundle_free(b);
	return r < 0 && named;
}

/* Apply in a child; its report: "seccomp M bnd B eff E shm S file F". */
static int apply_child(const struct pl_bundle *b, char *out, size_t outlen)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char err[512], buf[256], line[256];
		int mode = -1;
		unsigned long long eff = 0;
		close(p[0]);
		if (pl_bundle_apply(b, err, sizeof(err)) < 0) {
			dprintf(p[1], "apply failed: %s", err);
			_exit(1);
		}
		FILE *f = fopen("/proc/self/status", "re");
		while (f && fgets(line, sizeof(line), f)) {
			sscanf(line, "Seccomp: %d", &mode);
			sscanf(line, "CapEff: %llx", &eff);
		}
		if (f)
			fclose(f);
		int shm = open("/dev/shm/plastron-bundle-test", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int shm_errno = errno;
		int file = open("/etc/hostname", O_RDONLY);
		snprintf(buf, sizeof(buf), "seccomp %d bnd %d eff %d shm %s file %s", mode,
			 prctl(PR_CAPBSET_READ, CAP_SYS_MODULE_BIT, 0, 0, 0),
			 (int)((eff >> CAP_SYS_MODULE_BIT) & 1),
			 shm >= 0 ? "ok" : strerrorname_np(shm_errno), file >= 0 ? "ok" : "denied");
		if (shm >= 0)
			unlink("/dev/shm/plastron-bundle-test");
		dprintf(p[1], "%s", buf);
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read(p[0], out, outlen - 1);
	out[n > 0 ? n : 0] = 0;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `head` serialized as a head line, then b's filter. */
static char *with_head(json_t *head, const struct pl_bundle *b, size_t *ret_len)
{
	char *h = json_dumps(head, JSON_COMPACT), *t;
	size_t n;

	if (!h)
		return NULL;
	n = strlen(h);
	t = malloc(n + 1 + b->sc_bpf_len);
	if (t) {
		memcpy(t, h, n);
		t[n] = '\n';
		memcpy(t + n + 1, b->sc_bpf, b->sc_bpf_len);
		*ret_len = n + 1 + b->sc_bpf_len;
	}
	free(h);
	return t;
}

int main(void)
{
	struct pl_policy_set *set = NULL, *set2 = NULL;
	struct pl_diag d = { 0 };
	struct pl_bundle *b, *b2, *p = NULL;
	char out[1024], hex[65];

	/* The digest is SHA-256 (FIPS 180-4 test vectors). */
	pl_sha256_hex("abc", 3, hex);
	TAP_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		   "sha256(\"abc\")");
	pl_sha256_hex("", 0, hex);
	TAP_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		   "sha256 of nothing");

	/* A path the host does not have: building must not look. */
	b = build("/plastron-bundle-test-no-such-path", &set);
	TAP_OK(b != NULL, "a bundle is built for a Landlock path the host does not have");
	if (!b)
		return tap_done();
	TAP_OK(strlen(b->version) == 16 && !strncmp(b->hash, "sha256:", 7) &&
		   !strncmp(b->hash + 7, b->version, 16),
	       "version %s is the start of hash %s", b->version, b->hash);
	TAP_OK(b->cap_drop & (1ull << CAP_SYS_MODULE_BIT), "CAP_SYS_MODULE is dropped");
	TAP_OK(b->sc_bpf && b->sc_bpf_len % 8 == 0, "a seccomp program (%zu bytes)", b->sc_bpf_len);
	TAP_OK(b->landlock && b->landlock->n_rules == 3, "three Landlock rules");

	TAP_OK(pl_bundle_parse(b->text, b->text_len, &p, &d) == 0, "the serialization parses");
	TAP_OK(p && !strcmp(p->hash, b->hash) && p->sc_bpf_len == b->sc_bpf_len &&
		   !memcmp(p->sc_bpf, b->sc_bpf, b->sc_bpf_len) && p->cap_drop == b->cap_drop &&
		   p->sc_flags == b->sc_flags && p->landlock &&
		   p->landlock->n_rules == b->landlock->n_rules &&
		   !strcmp(p->landlock->rules[2].path, "/plastron-bundle-test-no-such-path") &&
		   p->landlock->rules[2].access == b->landlock->rules[2].access &&
		   p->landlock->handled_fs == b->landlock->handled_fs,
	       "parsed back identical (filter, flags, caps, Landlock)");
	pl_diag_clear(&d);

	b2 = build("/plastron-bundle-test-no-such-path", &set2);
	TAP_OK(b2 && !strcmp(b2->hash, b->hash) && b2->text_len == b->text_len &&
		   !memcmp(b2->text, b->text, b->text_len),
	       "the same policy text compiles to the same bundle (version %s)", b->version);
	pl_bundle_free(b2);
	pl_policy_set_free(set2);

	/* Damaged or altered. */
	char *t = malloc(b->text_len + 1);
	memcpy(t, b->text, b->text_len + 1);
	char *nl = memchr(t, '\n', b->text_len);
	size_t head_len = nl ? (size_t)(nl - t) : 0;
	TAP_OK(nl && head_len + 1 + b->sc_bpf_len == b->text_len &&
		   !memcmp(nl + 1, b->sc_bpf, b->sc_bpf_len) && strstr(t, "\"bpf_sha256\":\""),
	       "the serialization: a JSON head line, then the raw filter (%zu + %zu bytes)",
	       head_len, b->sc_bpf_len);
	if (nl) {
		char *c = nl + 1 + b->sc_bpf_len / 2;
		*c ^= 1;
		TAP_OK(parse_fails(t, b->text_len, "bpf_sha256"),
		       "one bit of the filter changed: refused (its digest)");
		*c ^= 1;
		char *h = strstr(t, "\"bpf_sha256\":\"");
		if (h) {
			char was = *(h += 14);
			*h = was == '0' ? '1' : '0';
			TAP_OK(parse_fails(t, b->text_len, "does not match"),
			       "the filter's digest changed: refused (hash)");
			*h = was;
		}
		/* The filter cut short by 8 bytes (one instruction). */
		TAP_OK(parse_fails(t, b->text_len - 8, "bpf_len"),
		       "one instruction missing: refused (length)");
		TAP_OK(parse_fails(t, head_len, "newline"), "the head alone: refused");
	}
	char *cap = strstr(t, "\"CAP_SYS_MODULE\"");
	if (cap) {
		memcpy(cap, "\"CAP_SYS_BOOT\"  ", 16);
		TAP_OK(parse_fails(t, b->text_len, "does not match"),
		       "the dropped capability changed: refused (hash)");
	} else {
		TAP_OK(false, "the serialization names CAP_SYS_MODULE");
	}
	free(t);
	/* The OCI profile travels beside the hashed part, pinned by digest. */
	json_error_t je;
	json_t *o = json_loadb(b->text, head_len, 0, &je);
	TAP_OK(b->oci_json && strstr(b->oci_json, "defaultAction") && o &&
		   !json_object_get(o, "oci"),
	       "the OCI profile is kept by the builder, not in the placed text");
	/* with_head: the head `o` serialized, then the filter as built. */
	size_t wlen = 0;
	json_object_set_new(o, "oci", json_string(b->oci_json));
	char *with = with_head(o, b, &wlen);
	struct pl_bundle *w = NULL;
	TAP_OK(with && pl_bundle_parse(with, wlen, &w, &d) == 0 && w->oci_json &&
		   !strcmp(w->oci_json, b->oci_json) && !strcmp(w->hash, b->hash),
	       "with the OCI profile beside it: parses, same hash, profile kept");
	pl_diag_clear(&d);
	pl_bundle_free(w);
	free(with);
	char *bad_oci = strdup(b->oci_json);
	bad_oci[strlen(bad_oci) / 2] ^= 1;
	json_object_set_new(o, "oci", json_string(bad_oci));
	with = with_head(o, b, &wlen);
	TAP_OK(with && parse_fails(with, wlen, "oci_sha256"),
	       "an OCI profile its digest does not pin: refused");
	free(with);
	free(bad_oci);
	json_decref(o);
	TAP_OK(parse_fails(b->text, b->text_len / 2, NULL), "truncated at half: refused");
	TAP_OK(parse_fails(b->text, b->text_len - 1, NULL), "last byte missing: refused");
	const char *other = "{\"format\":\"plastron-bundle/1\"}";
	TAP_OK(parse_fails(other, strlen(other), "format"), "another format: refused");

	/* Apply: the missing path fails, naming it. */
	TAP_OK(apply_child(p, out, sizeof(out)) != 0 &&
		   strstr(out, "/plastron-bundle-test-no-such-path"),
	       "apply with a Landlock path that does not exist fails, naming it (%s)", out);
	pl_bundle_free(b);
	pl_bundle_free(p);
	pl_policy_set_free(set);

	/* A file with directory-only rights ("write" includes make_reg...). */
	b = build("/etc/hostname", &set);
	if (b && apply_child(b, out, sizeof(out)) == 0) {
		int mode = -1, bnd = -1, eff = -1;
		char shm[32] = "", file[32] = "";
		sscanf(out, "seccomp %d bnd %d eff %d shm %31s file %31s", &mode, &bnd, &eff, shm,
		       file);
		TAP_OK(mode == 2, "applied: Seccomp mode 2 (%s)", out);
		TAP_OK(eff == 0, "applied: CAP_SYS_MODULE not effective");
		if (geteuid() == 0)
			TAP_OK(bnd == 0, "applied (root): CAP_SYS_MODULE out of the bounding set");
		else
			TAP_SKIP("not root", "CAP_SYS_MODULE out of the bounding set");
		TAP_OK(!strcmp(shm, "EACCES"), "applied: a write outside the allow-list: EACCES");
		TAP_OK(!strcmp(file, "ok"), "applied: a file rule with directory rights masked");
	} else {
		TAP_OK(false, "apply a bundle whose rule names a file (%s)", b ? out : "no bundle");
	}
	pl_bundle_free(b);
	pl_policy_set_free(set);
	return tap_done();
}
