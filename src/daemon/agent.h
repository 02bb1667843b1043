/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h: what the files of plastrond share: the policy, file and
 * container records, the agent's state A, and the functions one file of
 * the agent calls in another (plastrond.c: main, options, the epoll loop;
 * policies.c: policy files and directory; reload.c: reload batches;
 * reload-build.c: compiling a file of a batch; reload-worker.c: the compile
 * worker thread and the reload queue; containers.c: the registry and the state file; requests.c:
 * the control protocol; eventlog.c: the violation log).
 */
#ifndef PLASTROND_AGENT_H
#define PLASTROND_AGENT_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "client/cgroup.h"
#include "config.h"
#include "enforcer.h"
#include "audit-loss.h"
#include "io.h"
#include "plastron/bpf.h"
#include "plastron/bundle.h"
#include "plastron/catalog.h"
#include "plastron/apply.h"
#include "plastron/events.h"
#include "plastron/gen.h"
#include "plastron/policy.h"
#include "shared/macro.h"

#define SWEEP_INTERVAL_MS 2000

/* Take the pointer P out of the array ARR of N pointers (N decremented), keeping the order. */
#define PTR_REMOVE(arr, n, p)                                           \
	do {                                                            \
		for (size_t i_ = 0; i_ < (n); i_++)                     \
			if ((arr)[i_] == (p)) {                         \
				memmove(&(arr)[i_], &(arr)[i_ + 1],     \
					((n)-i_ - 1) * sizeof(*(arr))); \
				(n)--;                                  \
				break;                                  \
			}                                               \
	} while (0)

struct pfile {
	char *path;
	struct pl_policy_set *set;
	bool watched; /* from the policy directory (vs. `plastron attach --policy FILE`) */
	char *source; /* text of the version in force (handed to plastron-runtime) */
	size_t source_len;
	char *error; /* last refused version's first error, NULL when none */
	bool gone;   /* a ghost: the last version of a file that went, kept for orphans */
	bool dup;    /* refused because a policy name belongs to another file */
	unsigned dup_gen;
};

struct policy {
	char *name;
	uint32_t id;
	struct pfile *file;
	const struct pl_policy *p;
	struct pl_sc_profile *prof; /* for naming seccomp rules in events */
	size_t n_bpf_entries;
	char bpf_hash[17]; /* pl_enforcer_tables_hash of the version in force, "" unknown */
	bool observe;      /* mode set as "observe" (cgroup-bpf: audit) */
	bool loaded;       /* present in the enforcer */
	size_t n_rules;    /* rule_weight of the version in force */
	bool mark;
	json_t *unenforced; /* rules accepted unenforced (allowUnenforced), or NULL */
	/* The confinement bundle of this version, compiled with it (by the
	 * reload that loaded it, batch_build); NULL only for an orphan re-adopted
	 * at start-up, which has no source (new starts under it fail closed). */
	struct pl_bundle *bundle;
};

struct container {
	uint64_t cgid;
	char *cgroup; /* v2 path relative to the mount, "/docker/abc" */
	char *policy; /* policy name */
	char *id, *name;
	char *pod, *ns, *cname;
	json_t *annotations;
	uint32_t mnt_ns; /* its init's mount namespace at registration (0: unknown) */
};

struct metric {
	char *rule, *action, *enforcer;
	uint64_t n;
};

struct domain {
	uint64_t domain;
	uint64_t cgid;
};

struct agent {
	const char *pin_dir, *policy_dir, *socket, *log, *state, *metrics;
	uint64_t log_max;
	int log_backups;
	enum pl_event_format log_format; /* --log-format */
	char node[65];                   /* the host's name (the vArmor format's nodeName) */
	struct pl_cg_enforcer *e;
	struct pl_audit *audit;
	int epfd, listen_fd, ino_fd, sig_fd, metrics_fd;
	struct pfile **files;
	size_t n_files;
	struct policy **pols;
	size_t n_pols;
	struct container **ctrs;
	size_t n_ctrs;
	struct metric *metrics_v;
	size_t n_metrics;
	struct domain domains[256];
	size_t n_domains;
	json_t *saved_ids; /* name -> {id, observe} from the state file */
	FILE *logf;
	uint64_t log_size;
	uint64_t events_logged, audit_lost, audit_errors, unattributed;
	time_t started;
	bool readopted;
	volatile bool stop;
	int dir_wd, parent_wd; /* inotify: the policy directory, its parent */
	size_t n_orphans;      /* policies kept for containers after their file went */
	uint64_t events_saved; /* events_logged as last written to the state file */
	bool state_dirty;      /* state_save_soon: saved at the end of this loop turn */
};

/* The agent's state (defined in plastrond.c). */
extern struct agent A;

/* One policy of a file of a reload batch, compiled (reload.c). */
struct built {
	const struct pl_policy *p;
	struct pl_bpf_tables *t;
	struct pl_sc_profile *prof;
	struct pl_bundle *bundle;
	json_t *unenforced;
};

/* One file of a reload batch (reload.c). */
struct change {
	char *path;
	const char *ipath; /* path, interned (main thread) before batch_build */
	bool watched;
	bool removed;  /* deleted or moved away */
	bool in_place; /* written in place (IN_CLOSE_WRITE): must not shrink */
	char *source;
	size_t source_len;
	struct pl_policy_set *set;
	struct built *b;
	size_t nb; /* entries of b */
	struct pl_diag d;
	char *err; /* refused: the first error */
	int r;
	bool dup; /* refused because a name belongs to another file */
	struct pfile *pf, *new_pf, *ghost;
	struct policy **fresh; /* new policies, one per set entry (or NULL) */
};

/* Where the time of a batch goes (logged with "reload done"), in µs. */
struct batch_times {
	int64_t start;               /* when the batch was taken (triggered) */
	int64_t parse, gen, seccomp; /* batch_build, on the worker unless inline */
	int64_t programs, stage, commit;
	int64_t main_thread;  /* the part done on the main thread */
	int64_t longest_step; /* the longest the main thread was held at once */
	bool inline_all;      /* reload_batch: all of it at once, on the main thread */
};

/* A reload batch between its phases (reload.c). */
struct batch {
	struct change *cv;
	size_t n;
	struct change **v; /* cv, in the order applied */
	size_t n_ok, np, nf;
	int r;            /* batch_prepare's result */
	struct pl_diag d; /* the transaction's errors */
	uint32_t *need;   /* ids whose programs are loaded before the stage */
	size_t n_need, next_need;
	unsigned long gen; /* reload_gen at batch_begin */
	struct batch_times T;
};

/* containers.c */
extern const char *annotation_namespaces;
struct policy *policy_by_name(const char *name);
struct policy *policy_by_id(uint32_t id);
struct container *container_by_cgid(uint64_t id);
/* The inode of /proc/PID/ns/mnt, 0 when unknown (eventlog.c). */
uint32_t pid_mnt_ns(int64_t pid);
void pid_remember(int pid, uint64_t cgid);
struct container *container_by_pid(int pid);
void state_save(void);
/* The state changed while answering a request (register): saved by the
 * main loop after this turn's answers were sent (container starts do not
 * wait for the file). The window for losing it in a crash is the one
 * state_save inside the request had (after the map update, before the
 * rename), only later by the time the answer takes to send. */
void state_save_soon(void);
void container_remove(struct container *c, const char *why);
const char *ann(json_t *a, const char *key);
/* the first of two annotations that is set */
const char *ann2(json_t *a, const char *k1, const char *k2);
int container_add(const char *cgpath, uint64_t cgid, struct policy *pol, const char *id,
		  const char *name, json_t *annotations, char *err, size_t errlen);
void sweep(void);
void state_load(void);
int select_policy(json_t *a, const char *deflt, struct policy **ret, json_t *notes, char *err,
		  size_t errlen);

/* eventlog.c */
int log_open(void);
int on_cg_event(void *userdata, const struct pl_cg_event *ev);
void drain_audit(void);

/* plastrond.c */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void say_diag(const char *what, struct pl_diag *d);
char *diag_first(struct pl_diag *d);

/* policies.c */
extern unsigned batch_gen;
char *read_file(const char *path, size_t *ret_len);
const char *intern(const char *s);
struct pfile *pfile_find(const char *path);
void pfile_free(struct pfile *pf);
size_t policy_users(const struct policy *pol);
size_t policy_kernel_users(uint32_t id);
bool policy_orphaned(const struct policy *pol);
void policy_drop(struct policy *pol);
void policies_remove_dropped(void);
bool policy_id_dropping(uint32_t id);
void ghosts_free(void);
void orphans_reap(void);
size_t rule_weight(const struct pl_policy *p, const struct pl_bpf_tables *t,
		   const struct pl_sc_profile *prof);
void retry_duplicates(void);
int pfile_load(const char *path, bool watched, char **err);
void release_replaced(void);
void load_policy_dir(void);
void adopt_orphans(void);
void watch_policy_dir(bool rescan);
void on_inotify(void);

/* reload.c: every function runs on the main thread */
extern unsigned long reload_gen; /* bumped by every change to the policy records */
void batch_begin(struct batch *b);
bool batch_programs(struct batch *b, int64_t budget_us);
size_t batch_finish(struct batch *b);
void batch_abandon(struct batch *b);
size_t reload_batch(struct change *cv, size_t n);

/* reload-build.c: thread-safe (the compile worker) */
int64_t now_us(void);

/* The seccomp compile (compile.c): in a child, within compile_timeout_ms
 * (plastrond --compile-timeout), kept by profile. */
struct compiled {
	unsigned char *bpf; /* the program, bpf_len bytes */
	size_t bpf_len;
	char *oci_json; /* the profile as OCI JSON */
};
extern unsigned compile_timeout_ms;
int compile_seccomp(const struct pl_policy *p, const struct pl_sc_profile *prof,
		    struct compiled *out, struct pl_diag *d);
void compiled_clear(struct compiled *c);
void batch_build(struct change *c, struct batch_times *T);
void change_refuse(struct change *c, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* reload-worker.c: main thread */
int reload_worker_init(void);
void reload_submit(const struct change *cv, size_t n);
void reload_on_event(void);
bool reload_busy(void);
void reload_tick(void);
void reload_worker_shutdown(void);

/* requests.c */
json_t *handle(const char *line);

#endif
