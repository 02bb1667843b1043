/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reload-worker.c: reloads off the control path. The reload queue (the
 * triggers that arrive while a batch is in progress, coalesced into one
 * follow-up batch), the compile worker thread, and the phases of a batch
 * that the main loop runs between its other work.
 *
 * A reload (inotify, SIGHUP, the policy directory back or gone) goes:
 *   1. main: the file list is copied, each path interned (reload_submit);
 *   2. worker thread: batch_build on each file (read, parse, validate,
 *      generate, seccomp filter), then one write to the eventfd;
 *   3. main, on the eventfd (reload_on_event): batch_begin (names, ids,
 *      records: short), then the programs of policies new to the kernel,
 *      one policy per turn of the loop (reload_tick: 45-350 ms each, the
 *      verifier), then batch_finish: the all-or-nothing stage and switch
 *      and the agent's tables, in one go.
 * Requests are served during 2 and between the steps of 3.
 *
 * The threading rule: the worker thread runs batch_build only, on the
 * job's own `struct change` array, and touches nothing else of the agent:
 * not A, not the enforcer, not say() (errors go to each change's diag).
 * The job is handed over by pthread_create and handed back by the eventfd
 * and pthread_join; in between the main thread does not look at it. The
 * library keeps no unlocked state (its caches have locks), and so does
 * the seccomp filter cache of reload-build.c. Everything else here runs on
 * the main thread. If the agent's policy records change between
 * batch_begin and batch_finish (an inline batch: `plastron attach --policy
 * FILE`; an orphan dropped), the batch is compiled again (reload_gen).
 * Start-up and `attach --policy` batches stay inline (reload_batch).
 */
#include "agent.h"

#include <sys/eventfd.h>

/* The most the main thread spends on programs per turn of the loop (at
 * least one policy's set). */
#define PROGRAMS_BUDGET_US 20000

struct job {
	struct batch b;
	pthread_t thread;
};

static struct {
	int efd; /* the worker's "done", in the epoll loop; -1: no worker */
	enum { IDLE, COMPILING, PROGRAMS } phase;
	struct job *cur;
	struct change *pend; /* triggers that came during cur, coalesced */
	size_t n_pend;
} W = { .efd = -1 };

/* Add one file to the pending list: the latest trigger of a path decides
 * (as within one inotify read). */
static void pend_add(const struct change *c)
{
	size_t i;

	for (i = 0; i < W.n_pend; i++)
		if (!strcmp(W.pend[i].path, c->path))
			break;
	if (i == W.n_pend) {
		struct change *v = realloc(W.pend, (W.n_pend + 1) * sizeof(*v));
		if (v)
			W.pend = v;
		if (v)
			W.pend[i] = (struct change){ .path = strdup(c->path) };
		if (!v || !W.pend[i].path) {
			/* Never silent: the file's policies stay at their
			 * version in force until the next trigger (or SIGHUP). */
			say("reload: out of memory: a change of %s was not queued; the version in "
			    "force stays until it changes again or SIGHUP",
			    c->path);
			return;
		}
		W.n_pend++;
	}
	W.pend[i].watched = c->watched;
	W.pend[i].removed = c->removed;
	W.pend[i].in_place = c->in_place;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	uint64_t one = 1;

	for (size_t i = 0; i < j->b.n; i++)
		if (!j->b.cv[i].removed)
			batch_build(&j->b.cv[i], &j->b.T);
	/* the last thing it touches: the eventfd (the job is the main thread's again) */
	while (write(W.efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->b.n; i++)
		free(j->b.cv[i].path);
	free(j->b.cv);
	free(j);
}

/* The pending files as the next job, compiled on the worker. */
static void dispatch(void)
{
	struct job *j;

	if (W.phase != IDLE || !W.n_pend)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return; /* tried again at the next trigger */
	j->b.cv = PL_TAKE_PTR(W.pend);
	j->b.n = W.n_pend;
	W.n_pend = 0;
	j->b.T.start = now_us();
	for (size_t i = 0; i < j->b.n; i++)
		j->b.cv[i].ipath = intern(j->b.cv[i].path); /* intern() is the main thread's */
	W.cur = j;
	W.phase = COMPILING;
	int e = pthread_create(&j->thread, NULL, worker, j);
	if (e != 0) {
		say("reload: cannot start the compile worker (%s): compiling on the main thread",
		    strerror(e));
		W.phase = IDLE;
		W.cur = NULL;
		reload_batch(j->b.cv, j->b.n);
		job_free(j);
		release_replaced();
	}
}

int reload_worker_init(void)
{
	W.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return W.efd < 0 ? -errno : W.efd;
}

void reload_submit(const struct change *cv, size_t n)
{
	if (W.efd < 0) {
		/* start-up (before the loop), or no eventfd: inline */
		struct change *v = calloc(n ? n : 1, sizeof(*v));
		if (!v)
			return;
		for (size_t i = 0; i < n; i++)
			v[i] = (struct change){ .path = cv[i].path,
						.watched = cv[i].watched,
						.removed = cv[i].removed,
						.in_place = cv[i].in_place };
		reload_batch(v, n);
		free(v);
		return;
	}
	for (size_t i = 0; i < n; i++)
		pend_add(&cv[i]);
	if (W.phase != IDLE)
		say("reload: %zu file(s) queued behind the reload in progress", W.n_pend);
	dispatch();
}

/* The job's batch is over: the next one, if triggers came meanwhile. */
static void job_done(void)
{
	int64_t t0 = now_us();

	job_free(PL_TAKE_PTR(W.cur));
	W.phase = IDLE;
	release_replaced();
	say("reload: replaced rule sets released in %lld ms", (long long)(now_us() - t0) / 1000);
	dispatch();
}

/* Compiled: the agent's side, then the programs (reload_tick). */
void reload_on_event(void)
{
	uint64_t k;

	if (read(W.efd, &k, sizeof(k)) != sizeof(k) || W.phase != COMPILING)
		return;
	pthread_join(W.cur->thread, NULL);
	W.phase = PROGRAMS;
	batch_begin(&W.cur->b);
	reload_tick();
}

bool reload_busy(void)
{
	return W.phase == PROGRAMS;
}

/* A compile that takes this long is reported (and again each time as long
 * again): a file that keeps the worker busy holds every later reload
 * behind it, and that must not go unseen. */
#define COMPILE_WARN_US (10 * 1000000ll)

void reload_tick(void)
{
	struct job *j = W.cur;

	if (W.phase == COMPILING) {
		static int64_t warned_at;
		int64_t took = now_us() - j->b.T.start;
		if (took < COMPILE_WARN_US)
			warned_at = 0;
		else if (took >= warned_at + COMPILE_WARN_US) {
			warned_at = took;
			say("reload: still compiling %zu file(s) after %lld s (%s%s); reloads "
			    "queue "
			    "behind it, the policies in force stay",
			    j->b.n, (long long)(took / 1000000), j->b.cv[0].path,
			    j->b.n > 1 ? ", ..." : "");
		}
		return;
	}
	if (W.phase != PROGRAMS)
		return;
	if (j->b.gen != reload_gen) {
		/* The records changed under it: compiled again, with whatever
		 * came meanwhile (the pending triggers win: they are newer). */
		say("reload: the policies changed during the reload (another load or an orphan "
		    "dropped): compiling its %zu file(s) again",
		    j->b.n);
		batch_abandon(&j->b);
		struct change *newer = PL_TAKE_PTR(W.pend);
		size_t n_newer = W.n_pend;
		W.n_pend = 0;
		for (size_t i = 0; i < j->b.n; i++)
			pend_add(&j->b.cv[i]);
		for (size_t i = 0; i < n_newer; i++) {
			pend_add(&newer[i]);
			free(newer[i].path);
		}
		free(newer);
		job_done();
		return;
	}
	if (!batch_programs(&j->b, PROGRAMS_BUDGET_US))
		return; /* more at the next turn, after the clients are served */
	batch_finish(&j->b);
	job_done();
}

void reload_worker_shutdown(void)
{
	if (W.phase == COMPILING) {
		/* Normally short; but a compile can hang (libseccomp, decision
		 * 29): then the agent exits without it (nothing of it was
		 * applied, and exiting frees what it holds). */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		if (pthread_timedjoin_np(W.cur->thread, NULL, &until) != 0) {
			say("reload: the compile worker is still busy (%s); exiting without it",
			    W.cur->b.cv[0].path);
			W.cur = NULL;
			W.phase = IDLE;
		}
	}
	if (W.phase == PROGRAMS || W.phase == COMPILING) {
		batch_abandon(&W.cur->b); /* nothing of it was applied */
		job_free(PL_TAKE_PTR(W.cur));
	}
	W.phase = IDLE;
	for (size_t i = 0; i < W.n_pend; i++)
		free(W.pend[i].path);
	free(W.pend);
	W.pend = NULL;
	W.n_pend = 0;
	if (W.efd >= 0)
		close(W.efd);
	W.efd = -1;
}
