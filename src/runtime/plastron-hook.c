/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron-hook: the createRuntime hook plastron-runtime puts in a confined
 * container's config.json. The runtime runs it after it created the
 * container's cgroup and before the container's process may start; it
 * registers the cgroup with plastrond (op "register", the OCI state as the
 * runtime gave it) and waits for the acknowledgement, which plastrond sends
 * only after the map update. Any failure (the agent unreachable, a refusal,
 * a state it cannot pass on) exits 1: the runtime then does not start the
 * container (fail closed).
 *
 *   plastron-hook --socket PATH --policy NAME   (OCI state JSON on stdin)
 *
 * Freestanding (no libc, raw x86_64 system calls, a few KB): it runs once
 * per container start, and a static glibc program spends about 1 ms of CPU
 * there on its own start-up (CPU feature and cache probing by cpuid, which
 * traps in a VM, and the mapping of 2 MB), more than the request itself.
 * It parses no JSON: it checks that the state is one JSON object (brackets
 * balanced outside strings, nothing after it), so that it can only be one
 * value of the request, and plastrond parses it (requests.c). The answer is
 * plastrond's: a line starting with {"ok":true is the acknowledgement.
 * `plastron-runtime hook` does the same with libc and jansson (other
 * architectures, and configs written by older shims).
 */
#include <stddef.h>

#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_poll 7
#define NR_socket 41
#define NR_connect 42
#define NR_exit_group 231

#define STATE_MAX (1 << 20) /* plastrond's PLD_REQUEST_MAX */
#define TIMEOUT_MS 10000    /* plastron-runtime's REQUEST_TIMEOUT_MS */

struct sockaddr_un_ {
	unsigned short family;
	char path[108];
};
struct pollfd_ {
	int fd;
	short events, revents;
};

static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

/* The compiler may call these for copies and zeroing. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}
void *memset(void *d, int c, size_t n)
{
	char *dp = d;
	while (n--)
		*dp++ = (char)c;
	return d;
}

static size_t len_of(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix)
		s++, prefix++;
	return !*prefix;
}

static void put(const char *s)
{
	sys3(NR_write, 2, (long)s, (long)len_of(s));
}

static __attribute__((noreturn)) void quit(int code)
{
	for (;;)
		sys3(NR_exit_group, code, 0, 0);
}

static const char *policy = "?";

static __attribute__((noreturn)) void refuse(const char *why, const char *detail)
{
	put("plastron-runtime: container not started: ");
	put(why);
	put(detail);
	put("; its policy ");
	put(policy);
	put(" needs the agent to enforce, so it fails closed\n");
	quit(1);
}

static char state[STATE_MAX + 1];
static char req[STATE_MAX + 512];
static char ans[4096];

/* The state: one JSON object, newlines outside strings made spaces (the
 * request is one line), control characters in strings refused. Returns its
 * length, or -1. */
static long check_state(char *s, long n)
{
	long i = 0, depth = 0;
	int in_str = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		s[i++] = ' ';
	if (i == n || s[i] != '{')
		return -1;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (in_str) {
			if (c < 0x20)
				return -1;
			if (c == '\\') {
				if (++i == n || (unsigned char)s[i] < 0x20)
					return -1;
			} else if (c == '"') {
				in_str = 0;
			}
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0)
				break;
		} else if (c == '\n' || c == '\r' || c == '\t')
			s[i] = ' ';
		else if (c < 0x20)
			return -1;
	}
	if (i == n)
		return -1;
	for (long j = i + 1; j < n; j++) {
		if (s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r')
			return -1;
		s[j] = ' ';
	}
	return n;
}

static size_t append(char *dst, size_t at, const char *src, size_t n)
{
	memcpy(dst + at, src, n);
	return at + n;
}

__attribute__((used)) void hook_main(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	const char *sock = "/run/plastron/plastrond.sock";
	long n = 0, k;

	for (int i = 1; i < argc; i++) {
		if (same(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (same(argv[i], "--policy") && i + 1 < argc)
			policy = argv[++i];
	}
	if (same(policy, "?"))
		refuse("missing --policy", "");
	/* Policy names are plastrond's (file names): no quote, backslash or
	 * control character to escape; anything else is refused. */
	for (const char *p = policy; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			refuse("a policy name this hook cannot pass on", "");
	while (n < STATE_MAX) {
		k = sys3(NR_read, 0, (long)state + n, STATE_MAX - n);
		if (k == -4 /* EINTR */)
			continue;
		if (k <= 0)
			break;
		n += k;
	}
	if (k < 0 || n >= STATE_MAX || check_state(state, n) < 0)
		refuse("the OCI state on stdin is not one JSON object", "");

	size_t r = 0;
	r = append(req, r, "{\"oci_state\":", 13);
	r = append(req, r, state, (size_t)n);
	r = append(req, r, ",\"policy\":\"", 11);
	r = append(req, r, policy, len_of(policy));
	r = append(req, r, "\",\"op\":\"register\"}\n", 19);

	struct sockaddr_un_ sa = { .family = 1 /* AF_UNIX */ };
	size_t sl = len_of(sock);
	if (sl >= sizeof(sa.path))
		refuse("socket path too long: ", sock);
	memcpy(sa.path, sock, sl);
	long fd = sys3(NR_socket, 1 /* AF_UNIX */, 1 | 02000000 /* SOCK_STREAM|CLOEXEC */, 0);
	if (fd < 0 || sys3(NR_connect, fd, (long)&sa, sizeof(sa)) < 0)
		refuse("cannot reach plastrond at ", sock);
	for (size_t off = 0; off < r;) {
		k = sys3(NR_write, fd, (long)req + (long)off, (long)(r - off));
		if (k == -4 /* EINTR */)
			continue;
		if (k <= 0)
			refuse("writing to plastrond at ", sock);
		off += (size_t)k;
	}
	size_t got = 0;
	for (;;) {
		struct pollfd_ p = { .fd = (int)fd, .events = 1 /* POLLIN */ };
		k = sys3(NR_poll, (long)&p, 1, TIMEOUT_MS);
		if (k == -4)
			continue;
		if (k <= 0)
			refuse("no answer from plastrond at ", sock);
		k = sys3(NR_read, fd, (long)ans + (long)got, (long)(sizeof(ans) - 1 - got));
		if (k == -4)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
		int nl = 0;
		for (size_t j = 0; j < got; j++)
			nl |= ans[j] == '\n';
		if (nl || got == sizeof(ans) - 1)
			break;
	}
	sys3(NR_close, fd, 0, 0);
	ans[got] = 0;
	for (size_t j = 0; j < got; j++)
		if (ans[j] == '\n')
			ans[j] = 0;
	if (got > 10 && starts(ans, "{\"ok\":true"))
		quit(0);
	refuse("plastrond: ", got ? ans : "no answer");
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call hook_main\n"
	"	hlt\n");
