/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policies.c: plastrond's policy files: the file and policy records,
 * orphans (policies kept for containers after their file went) and ghosts,
 * files refused as duplicates, the policy directory (start-up scan, inotify, adoption of
 * orphans from the state file). Reload batches are in reload.c.
 */
#include "agent.h"

/* ---- policies ----------------------------------------------------------- */

static bool policy_file_name(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return false;
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	if (m) {
		char chunk[8192];
		size_t k;
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, k, m);
		fclose(m);
	}
	fclose(f);
	*ret_len = len;
	return buf;
}

/* Names whose lifetime must exceed any policy set (diagnostic positions). */
const char *intern(const char *s)
{
	static char **v;
	static size_t n;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return v[i];
	char **nv = realloc(v, (n + 1) * sizeof(*nv));
	if (!nv)
		return s;
	v = nv;
	v[n] = strdup(s);
	return v[n] ? v[n++] : s;
}

unsigned batch_gen;

/* The record of a file in force (or refused); ghosts (the last version of a
 * deleted file, kept for the orphans that still use it) are not found. */
struct pfile *pfile_find(const char *path)
{
	for (size_t i = 0; i < A.n_files; i++)
		if (!A.files[i]->gone && !strcmp(A.files[i]->path, path))
			return A.files[i];
	return NULL;
}

void pfile_free(struct pfile *pf)
{
	if (!pf)
		return;
	pl_policy_set_free(pf->set);
	free(pf->error);
	free(pf->path);
	free(pf->source);
	free(pf);
}

/* Containers registered with policy `pol`. */
size_t policy_users(const struct policy *pol)
{
	size_t n = 0;
	for (size_t i = 0; i < A.n_ctrs; i++)
		n += !strcmp(A.ctrs[i]->policy, pol->name);
	return n;
}

/*
 * Live cgroups the kernel binds to policy `id`, whatever the registry says: a
 * container registered just before a crash is in the kernel's map but may
 * not be in the state file yet (it is saved after the answer). A policy is
 * removed from the kernel only when this is 0 too; when the map cannot be
 * read, the count is SIZE_MAX (keep the rules: never unconfine on doubt).
 */
size_t policy_kernel_users(uint32_t id)
{
	uint64_t *ids = NULL;
	size_t n = 0, live = 0;

	if (!A.e)
		return 0;
	if (pl_enforcer_policy_cgroups(A.e, id, &ids, &n) < 0)
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		int fd = pld_cgroup_open_id(ids[i], O_RDONLY | O_DIRECTORY, NULL, 0);
		if (fd >= 0 || fd != -ENOENT)
			live++;
		if (fd >= 0)
			close(fd);
	}
	free(ids);
	return live;
}

bool policy_orphaned(const struct policy *pol)
{
	return !pol->file || pol->file->gone;
}

/* Ids of dropped policies whose rules are still in the kernel, removed
 * together by policies_remove_dropped. */
static uint32_t *dropped;
static size_t n_dropped, cap_dropped;

/*
 * The record goes now; its rules go from the kernel at the next
 * policies_remove_dropped, which every caller makes before it returns to
 * the loop (so nothing sees the id free while its rules are in force: ids
 * are chosen by policy_by_id and the state file, both on this thread).
 * Removing them one by one took one grace period and two scans of the rule
 * maps each: 26 s of the main thread for a file of 1,000 policies.
 */
static void drop_queue(const struct policy *pol)
{
	if (pol->loaded) {
		if (n_dropped == cap_dropped) {
			size_t cap = cap_dropped ? 2 * cap_dropped : 64;
			uint32_t *v = realloc(dropped, cap * sizeof(*v));
			if (v) {
				dropped = v;
				cap_dropped = cap;
			}
		}
		if (n_dropped < cap_dropped)
			dropped[n_dropped++] = pol->id;
		else {
			struct pl_diag d = { 0 }; /* out of memory: on its own */
			if (pl_enforcer_remove_policy(A.e, pol->id, &d) < 0)
				say_diag("remove policy", &d);
			pl_diag_clear(&d);
		}
	}
}

void policy_drop(struct policy *pol)
{
	drop_queue(pol);
	PTR_REMOVE(A.pols, A.n_pols, pol);
	reload_gen++; /* a reload between its phases starts again */
	pl_bundle_free(pol->bundle);
	json_decref(pol->unenforced);
	pl_sc_profile_free(pol->prof);
	free(pol->name);
	free(pol);
}

/* The rules of the policies dropped since the last call leave the kernel,
 * all in one go (pl_enforcer_remove_policies). */
void policies_remove_dropped(void)
{
	struct pl_diag d = { 0 };
	int64_t t0 = now_us();

	if (!n_dropped)
		return;
	if (pl_enforcer_remove_policies(A.e, dropped, n_dropped, &d) < 0) {
		/* kept, tried again at the next call (removing is idempotent),
		 * and their ids stay taken meanwhile (policy_id_dropping): a
		 * fresh policy must not inherit their rules or their mode */
		say_diag("remove policy", &d);
		say("%zu dropped policies are still in the kernel; tried again later", n_dropped);
		pl_diag_clear(&d);
		return;
	}
	pl_diag_clear(&d);
	if (n_dropped > 1)
		say("%zu policies removed from the kernel in %lld ms", n_dropped,
		    (long long)(now_us() - t0) / 1000);
	n_dropped = 0;
}

bool policy_id_dropping(uint32_t id)
{
	for (size_t i = 0; i < n_dropped; i++)
		if (dropped[i] == id)
			return true;
	return false;
}

/* Ghost files no policy points to any more go. */
void ghosts_free(void)
{
	for (size_t i = 0; i < A.n_files;) {
		struct pfile *pf = A.files[i];
		bool used = false;
		for (size_t j = 0; pf->gone && j < A.n_pols && !used; j++)
			used = A.pols[j]->file == pf;
		if (pf->gone && !used) {
			PTR_REMOVE(A.files, A.n_files, pf);
			pfile_free(pf);
			continue;
		}
		i++;
	}
}

/* Orphaned policies that no container uses any more are dropped. */
void orphans_reap(void)
{
	bool changed = false;

	if (!A.n_orphans)
		return;
	A.n_orphans = 0;
	for (size_t i = 0; i < A.n_pols;) {
		struct policy *pol = A.pols[i];
		if (!policy_orphaned(pol)) {
			i++;
			continue;
		}
		size_t n = policy_users(pol);
		if (n || policy_kernel_users(pol->id)) {
			A.n_orphans++;
			i++;
			continue;
		}
		say("policy %s (id %u) dropped: its file is gone and no container uses it any more",
		    pol->name, pol->id);
		policy_drop(pol);
		changed = true;
	}
	policies_remove_dropped();
	if (changed) {
		ghosts_free();
		release_replaced();
		state_save();
	}
}

/* A rough size of a policy version, to see a file written in place shrink:
 * its built-in rules, raw seccomp and cgroup-BPF entries, Landlock paths. */
size_t rule_weight(const struct pl_policy *p, const struct pl_bpf_tables *t,
		   const struct pl_sc_profile *prof)
{
	return p->enhance.n_rules + p->landlock.n_paths + (prof ? prof->n_syscalls : 0) +
	       (t ? t->n_sock + t->n_egress + t->n_sysctl + t->n_dev : 0);
}

void retry_duplicates(void)
{
	static int depth;
	struct change *cv = NULL;
	size_t n = 0;

	if (depth)
		return;
	for (size_t i = 0; i < A.n_files; i++) {
		struct pfile *pf = A.files[i];
		/* not those refused by the batch that just ran */
		if (pf->gone || !pf->dup || !pf->watched || pf->dup_gen == batch_gen)
			continue;
		struct change *v = realloc(cv, (n + 1) * sizeof(*v));
		if (!v)
			break;
		cv = v;
		cv[n] = (struct change){ .path = strdup(pf->path), .watched = true };
		if (!cv[n].path)
			break;
		n++;
	}
	if (n) {
		depth++;
		say("trying again %zu file(s) refused for a duplicate name", n);
		reload_submit(cv, n); /* off the control path once the loop runs */
		depth--;
	}
	for (size_t i = 0; i < n; i++)
		free(cv[i].path);
	free(cv);
}

/*
 * Load (or reload) one policy file, as a batch of one. Returns 0 or a
 * negative errno with `err` (malloc'd).
 */
int pfile_load(const char *path, bool watched, char **err)
{
	struct change c = { .path = (char *)path, .watched = watched };
	struct pfile *pf;

	*err = NULL;
	if (reload_batch(&c, 1) == 0)
		return 0;
	pf = pfile_find(path);
	*err = strdup(pf && pf->error ? pf->error : "refused");
	return -EINVAL;
}

/* The rule sets that the loads just done replaced go, after one grace
 * period for all of them (pl_enforcer_release). */
void release_replaced(void)
{
	struct pl_diag d = { 0 };

	if (A.e && pl_enforcer_release(A.e, &d) < 0)
		say_diag("releasing replaced rule sets", &d);
	pl_diag_clear(&d);
}

/* Every file of the directory, and the removal of those gone from it, as
 * one batch (start-up, SIGHUP, the directory recreated). */
void load_policy_dir(void)
{
	DIR *dir = opendir(A.policy_dir);
	struct dirent *de;
	struct change *cv = NULL;
	size_t n = 0;

	if (!dir)
		say("policy directory %s: %s", A.policy_dir, strerror(errno));
	while (dir && (de = readdir(dir)))
		if (policy_file_name(de->d_name)) {
			char path[PATH_MAX];
			struct change *v = realloc(cv, (n + 1) * sizeof(*v));
			if (!v)
				break;
			cv = v;
			snprintf(path, sizeof(path), "%s/%s", A.policy_dir, de->d_name);
			cv[n] = (struct change){ .path = strdup(path), .watched = true };
			if (cv[n].path)
				n++;
		}
	if (dir)
		closedir(dir);
	for (size_t i = 0; i < A.n_files; i++) {
		struct pfile *pf = A.files[i];
		bool seen = false;
		if (pf->gone || !pf->watched)
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(cv[j].path, pf->path);
		if (seen)
			continue;
		struct change *v = realloc(cv, (n + 1) * sizeof(*v));
		if (!v)
			break;
		cv = v;
		cv[n] =
		    (struct change){ .path = strdup(pf->path), .watched = true, .removed = true };
		if (cv[n].path)
			n++;
	}
	/* Deterministic order (the batch sorts again, owners first). */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(cv[j - 1].path, cv[j].path) > 0; j--) {
			struct change t = cv[j];
			cv[j] = cv[j - 1];
			cv[j - 1] = t;
		}
	if (n)
		reload_submit(cv, n); /* off the control path once the loop runs */
	for (size_t i = 0; i < n; i++)
		free(cv[i].path);
	free(cv);
	release_replaced();
}

/*
 * At start-up: policies of the state file that no file defines any more
 * (deleted while the agent was down) but that registered containers use
 * and the kernel still holds: kept as orphans (rules in force, no source),
 * dropped when their containers go. Those no container uses, in the state
 * file and in the kernel's containers map (policy_kernel_users), are removed
 * from the kernel (their rules would otherwise stay in the maps for good).
 */
void adopt_orphans(void)
{
	const char *k;
	json_t *v;

	json_object_foreach(A.saved_ids, k, v)
	{
		uint32_t id = (uint32_t)json_integer_value(json_object_get(v, "id"));
		const char *file = json_string_value(json_object_get(v, "file"));
		struct policy tmp = { .name = (char *)k }, *pol;
		struct pfile *home;
		enum pl_bpf_mode m;

		if (policy_by_name(k) || policy_by_id(id) || pl_enforcer_get_mode(A.e, id, &m) < 0)
			continue;
		if (!policy_users(&tmp) && !policy_kernel_users(id)) {
			/* all of them at once, below (policies_remove_dropped) */
			struct policy gone = { .loaded = true, .id = id };
			drop_queue(&gone);
			say("policy %s (id %u) removed: %s is gone or no longer defines it, and "
			    "no container uses it",
			    k, id, file ? file : "its file");
			continue;
		}
		pol = calloc(1, sizeof(*pol));
		home = calloc(1, sizeof(*home));
		struct policy **pv = realloc(A.pols, (A.n_pols + 1) * sizeof(*pv));
		if (pv)
			A.pols = pv;
		struct pfile **fv = realloc(A.files, (A.n_files + 1) * sizeof(*fv));
		if (fv)
			A.files = fv;
		if (!pol || !home || !pv || !fv || !(pol->name = strdup(k)) ||
		    !(home->path = strdup(file ? file : "?"))) {
			say("policy %s (id %u): out of memory; its rules stay in the kernel", k,
			    id);
			if (pol)
				free(pol->name);
			free(pol);
			pfile_free(home);
			continue;
		}
		home->gone = true;
		pol->id = id;
		pol->loaded = true;
		pol->observe = json_is_true(json_object_get(v, "observe"));
		pol->file = home;
		A.files[A.n_files++] = home;
		A.pols[A.n_pols++] = pol;
		A.n_orphans++;
		say("policy %s (id %u) orphaned: %s is gone; kept in force (as the kernel holds "
		    "it) "
		    "for %zu container(s) until they stop or are re-pointed",
		    k, id, home->path, policy_users(pol));
	}
	policies_remove_dropped();
}

/* Watch the policy directory, and its parent for the directory coming
 * back after it was removed or moved away. */
void watch_policy_dir(bool rescan)
{
	char parent[PATH_MAX];

	if (A.ino_fd < 0)
		return;
	if (A.dir_wd < 0) {
		A.dir_wd = inotify_add_watch(A.ino_fd, A.policy_dir,
					     IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
						 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF);
		if (A.dir_wd < 0)
			say("cannot watch %s: %s (waiting for it to appear)", A.policy_dir,
			    strerror(errno));
		else if (rescan) {
			say("policy directory %s is back: loading it", A.policy_dir);
			load_policy_dir();
		}
	}
	if (A.parent_wd < 0) {
		snprintf(parent, sizeof(parent), "%s", A.policy_dir);
		A.parent_wd = inotify_add_watch(A.ino_fd, dirname(parent),
						IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	}
}

void on_inotify(void)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct change *cv = NULL;
	size_t n = 0;
	bool dir_gone = false, dir_back = false;
	ssize_t k;
	char base[PATH_MAX];

	snprintf(base, sizeof(base), "%s", A.policy_dir);
	const char *dir_name = basename(base);
	while ((k = read(A.ino_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + k;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->wd == A.parent_wd) {
				if (ev->len && !strcmp(ev->name, dir_name))
					dir_back = true;
				continue;
			}
			if (ev->wd != A.dir_wd)
				continue; /* a watch removed before */
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				dir_gone = true;
				continue;
			}
			if (!ev->len || !policy_file_name(ev->name) ||
			    !(ev->mask &
			      (IN_DELETE | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_MOVED_TO)))
				continue;
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", A.policy_dir, ev->name);
			size_t i;
			for (i = 0; i < n; i++)
				if (!strcmp(cv[i].path, path))
					break;
			if (i == n) {
				struct change *v = realloc(cv, (n + 1) * sizeof(*v));
				if (!v)
					continue;
				cv = v;
				cv[n] = (struct change){ .path = strdup(path), .watched = true };
				if (!cv[n].path)
					continue;
				n++;
			}
			/* the last event of a name decides */
			cv[i].removed = ev->mask & (IN_DELETE | IN_MOVED_FROM);
			cv[i].in_place = ev->mask & IN_CLOSE_WRITE;
			say("%s %s", path,
			    cv[i].removed    ? "removed"
			    : cv[i].in_place ? "written in place: reloading"
					     : "renamed in: reloading");
		}
	}
	if (n)
		reload_submit(cv, n); /* off the control path once the loop runs */
	for (size_t i = 0; i < n; i++)
		free(cv[i].path);
	free(cv);
	if (dir_gone) {
		say("policy directory %s removed: its policies stay for the containers using "
		    "them; reloading resumes when it is back",
		    A.policy_dir);
		if (A.dir_wd >= 0)
			inotify_rm_watch(A.ino_fd, A.dir_wd);
		A.dir_wd = -1;
		load_policy_dir(); /* what is not there any more goes (moved away) */
	}
	if (dir_gone || dir_back || A.dir_wd < 0)
		watch_policy_dir(true);
	release_replaced();
}
