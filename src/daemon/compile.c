/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compile.c: the agent's seccomp compile (libseccomp, three architectures):
 * run in a child process under a deadline, so that a filter libseccomp
 * cannot build (it loops forever on some argument trees, docs/design.md
 * decisions 29 and 33) or crashes on refuses its policy instead of stalling
 * the compile worker or killing the agent; and the last 64 programs kept by
 * profile. Called from batch_build (reload-build.c) on the compile worker or,
 * for an inline batch, the main thread: it touches no agent state.
 */
#include <poll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "agent.h"

unsigned compile_timeout_ms = 30000;

#ifdef PLD_FAULT_INJECTION
/* Test builds only (plastrond-fault): $PLD_FAULT_MODEL_OFF compiles as with
 * a libseccomp whose faults src/lib/gen/seccomp-order.c does not model (the
 * rules in the profile's order, unchecked), so the argument trees 2.5.4
 * loops on reach it; $PLD_FAULT_COMPILE_CRASH aborts the compile. */
extern bool sc_filter_model_off;
#endif

/*
 * What the child sends back, in one pipe: its result (int32), then per
 * diagnostic entry: severity, code, line, col (int32 each), then file,
 * field, message and hint, each as a uint32 length (UINT32_MAX: none) and
 * its bytes. The program itself goes into the shared memfd.
 */
struct wbuf {
	char *p;
	size_t n, cap;
	bool failed;
};

static void put(struct wbuf *w, const void *data, size_t len)
{
	if (w->failed)
		return;
	if (w->n + len > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4096;
		while (cap < w->n + len)
			cap *= 2;
		char *p = realloc(w->p, cap);
		if (!p) {
			w->failed = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->n, data, len);
	w->n += len;
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void put_str(struct wbuf *w, const char *s)
{
	if (!s) {
		put_u32(w, UINT32_MAX);
		return;
	}
	size_t n = strlen(s);
	put_u32(w, (uint32_t)n);
	put(w, s, n);
}

/* Close every descriptor from `from` up to `to` (inclusive), if any. */
static void close_span(unsigned from, unsigned to)
{
	if (from <= to)
		close_range(from, to, 0);
}

static _Noreturn void child(const struct pl_sc_profile *prof, int bpf_fd, int out, pid_t parent)
{
	struct pl_diag d = { 0 };
	struct wbuf w = { 0 };
	unsigned a = (unsigned)(bpf_fd < out ? bpf_fd : out),
		 b = (unsigned)(bpf_fd < out ? out : bpf_fd);
	int r;

	/* the agent's death (or its worker's) ends the compile; an agent gone
	 * before this line is seen by getppid */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(3);
	/* policy input runs here: none of the agent's descriptors (maps,
	 * sockets, the log), and the first to go under memory pressure */
	unsigned lo = 3;
	for (unsigned keep[2] = { a, b }, i = 0; i < 2; i++)
		if (keep[i] >= lo) {
			close_span(lo, keep[i] - 1);
			lo = keep[i] + 1;
		}
	close_span(lo, ~0u);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1000", 4) < 0) {
			/* best effort */
		}
		close(fd);
	}
#ifdef PLD_FAULT_INJECTION
	if (getenv("PLD_FAULT_MODEL_OFF"))
		sc_filter_model_off = true;
	if (getenv("PLD_FAULT_COMPILE_CRASH"))
		abort();
#endif
	r = pl_sc_profile_export_bpf(prof, bpf_fd, &d);
	put_u32(&w, (uint32_t)r);
	for (const struct pl_diag_entry *e = d.head; e; e = e->next) {
		put_u32(&w, (uint32_t)e->severity);
		put_u32(&w, (uint32_t)e->code);
		put_u32(&w, e->line);
		put_u32(&w, e->col);
		put_str(&w, e->file);
		put_str(&w, e->field);
		put_str(&w, e->message);
		put_str(&w, e->hint);
	}
	for (size_t o = 0; !w.failed && o < w.n;) {
		ssize_t k = write(out, w.p + o, w.n - o);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(2);
		o += (size_t)k;
	}
	/* _exit: none of the agent's exit work (nor a leak check) in here */
	_exit(w.failed ? 2 : 0);
}

struct rbuf {
	const char *p, *end;
	bool bad;
};

static uint32_t get_u32(struct rbuf *b)
{
	uint32_t v = 0;
	if (b->bad || (size_t)(b->end - b->p) < sizeof(v)) {
		b->bad = true;
		return 0;
	}
	memcpy(&v, b->p, sizeof(v));
	b->p += sizeof(v);
	return v;
}

static char *get_str(struct rbuf *b)
{
	uint32_t n = get_u32(b);
	if (b->bad || n == UINT32_MAX)
		return NULL;
	if ((size_t)(b->end - b->p) < n) {
		b->bad = true;
		return NULL;
	}
	char *s = strndup(b->p, n);
	b->p += n;
	if (!s)
		b->bad = true;
	return s;
}

/* Replay the child's result and diagnostics into `d`. */
static int replay(const char *data, size_t len, struct pl_diag *d)
{
	struct rbuf b = { data, data + len, false };
	int r = (int)get_u32(&b);

	while (!b.bad && b.p < b.end) {
		int sev = (int)get_u32(&b), code = (int)get_u32(&b);
		uint32_t line = get_u32(&b), col = get_u32(&b);
		char *file = get_str(&b), *field = get_str(&b), *msg = get_str(&b),
		     *hint = get_str(&b);
		struct pl_pos pos = { file, line, col };
		if (!b.bad) {
			if (sev == PL_SEV_ERROR)
				pl_error(d, code < 0 ? code : -EINVAL, file ? &pos : NULL, field,
					 "%s", msg ? msg : "");
			else if (sev == PL_SEV_WARNING)
				pl_warning(d, file ? &pos : NULL, field, "%s", msg ? msg : "");
			else
				pl_note(d, file ? &pos : NULL, field, "%s", msg ? msg : "");
			if (hint)
				pl_diag_hint(d, "%s", hint);
		}
		free(file);
		free(field);
		free(msg);
		free(hint);
	}
	if (b.bad)
		return pl_error(d, -EIO, NULL, NULL,
				"the seccomp compile's report is incomplete (out of memory?)");
	if (r < 0 && d->n_errors == 0)
		return pl_error(d, r, NULL, NULL, "compiling the seccomp filter failed: %s",
				strerror(-r));
	return r < 0 ? r : 0;
}

/* Wait for the child's report and exit, until the deadline. Returns 0 when
 * it exited on its own (*status), -ETIMEDOUT when the deadline passed. */
static int collect(pid_t pid, int rd, int pfd, unsigned timeout_ms, struct wbuf *in, int *status)
{
	int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;
	bool exited = false;

	for (;;) {
		char chunk[4096];
		ssize_t k;
		while ((k = read(rd, chunk, sizeof(chunk))) > 0)
			put(in, chunk, (size_t)k);
		if (exited)
			break; /* drained: what an exited child wrote is all there */
		int64_t left = deadline - now_us();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd fds[2] = { { .fd = rd, .events = POLLIN },
					 { .fd = pfd, .events = POLLIN } };
		/* the pipe at EOF stays readable: past it, wait on the child only */
		int n = poll(k == 0 ? fds + 1 : fds, k == 0 ? 1 : 2, (int)((left + 999) / 1000));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (fds[1].revents & POLLIN)
			exited = true;
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Compile `prof` into `bpf_fd` in a child, within compile_timeout_ms. On
 * success the child's report (its warnings) is left in *report. */
static int compile_guarded(const struct pl_policy *p, const struct pl_sc_profile *prof, int bpf_fd,
			   struct wbuf *report, struct pl_diag *d)
{
	struct wbuf in = { 0 };
	int pipefd[2], status = 0, r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return pl_error(d, -errno, NULL, NULL, "pipe2: %s", strerror(errno));
	pid_t self = getpid(), pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return pl_error(d, r, NULL, NULL, "fork (seccomp compile): %s", strerror(-r));
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(prof, bpf_fd, pipefd[1], self);
	}
	close(pipefd[1]);
	int pfd = pidfd_open(pid, 0);
	if (pfd < 0 || fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	} else {
		r = collect(pid, pipefd[0], pfd, compile_timeout_ms, &in, &status);
		if (r < 0) { /* the deadline, or poll/waitpid failed: never left behind */
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
	if (pfd >= 0)
		close(pfd);
	close(pipefd[0]);
	if (r == -ETIMEDOUT)
		r = pl_error(
		    d, -ETIMEDOUT, &p->pos, "spec",
		    "policy '%s': libseccomp did not finish compiling its seccomp filter "
		    "within %u ms (a libseccomp fault on this argument tree: docs/design.md "
		    "decision 33); refused (plastrond --compile-timeout)",
		    p->name, compile_timeout_ms);
	else if (r < 0)
		r = pl_error(d, r, NULL, NULL, "seccomp compile: %s", strerror(-r));
	else if (WIFSIGNALED(status))
		r = pl_error(d, -EIO, &p->pos, "spec",
			     "policy '%s': libseccomp crashed compiling its seccomp filter (%s); "
			     "refused",
			     p->name, strsignal(WTERMSIG(status)));
	else if (in.failed || WEXITSTATUS(status) != 0)
		r = pl_error(d, -ENOMEM, NULL, NULL,
			     "the seccomp compile could not report its result (out of memory?)");
	else
		r = replay(in.p, in.n, d);
	if (r == 0)
		*report = in;
	else
		free(in.p);
	return r;
}

/* The program in `fd` (written by the compile), in a new buffer. */
static int read_program(int fd, unsigned char **ret, size_t *ret_len, struct pl_diag *d)
{
	struct stat st;
	unsigned char *buf;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (1 << 22))
		return pl_error(d, -EIO, NULL, NULL,
				"the exported seccomp filter has no usable size");
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		return pl_error(d, -EIO, NULL, NULL, "reading the exported seccomp filter failed");
	}
	*ret = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

/*
 * Compiling a filter (libseccomp, three architectures) was ~80% of loading
 * a file of 1,000 policies. Policies often share a profile: programs are
 * kept by the profile's OCI JSON (which holds all of it), the last 64.
 */
int compile_seccomp(const struct pl_policy *p, const struct pl_sc_profile *prof,
		    struct compiled *out, struct pl_diag *d)
{
	static struct {
		char *json;
		unsigned char *bpf;
		size_t len;
		struct wbuf report; /* its warnings, given again on every hit */
	} cache[64];
	static unsigned next;
	/* the worker and an inline batch (attach --policy) may both be here */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int r;

	*out = (struct compiled){ 0 };
	r = pl_sc_profile_to_json(prof, &out->oci_json, d);
	if (r < 0)
		return r;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < PL_ARRAY_SIZE(cache); i++)
		if (cache[i].json && !strcmp(cache[i].json, out->oci_json)) {
			out->bpf = malloc(cache[i].len);
			if (out->bpf) {
				memcpy(out->bpf, cache[i].bpf, cache[i].len);
				out->bpf_len = cache[i].len;
				r = replay(cache[i].report.p, cache[i].report.n, d);
			}
			pthread_mutex_unlock(&lock);
			return out->bpf ? r : pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		}
	pthread_mutex_unlock(&lock);

	/* not under the lock: the slow part */
	_cleanup_close_ int fd = memfd_create("plastron-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return pl_error(d, -errno, NULL, NULL, "memfd_create: %s", strerror(errno));
	struct wbuf report = { 0 };
	r = compile_guarded(p, prof, fd, &report, d);
	if (r == 0)
		r = read_program(fd, &out->bpf, &out->bpf_len, d);
	if (r < 0) {
		free(report.p);
		return r;
	}

	char *json = strdup(out->oci_json);
	unsigned char *bpf = malloc(out->bpf_len);
	if (!json || !bpf) {
		free(json);
		free(bpf);
		free(report.p);
		return 0; /* not kept */
	}
	memcpy(bpf, out->bpf, out->bpf_len);
	pthread_mutex_lock(&lock);
	unsigned k = next++ % PL_ARRAY_SIZE(cache);
	free(cache[k].json);
	free(cache[k].bpf);
	free(cache[k].report.p);
	cache[k].json = json;
	cache[k].bpf = bpf;
	cache[k].len = out->bpf_len;
	cache[k].report = report;
	pthread_mutex_unlock(&lock);
	return 0;
}

void compiled_clear(struct compiled *c)
{
	free(c->bpf);
	free(c->oci_json);
	*c = (struct compiled){ 0 };
}
