/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastrond: counting the audit records (seccomp, Landlock) the agent never
 * read. See audit-loss.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit-loss.h"

static struct {
	uint64_t records;     /* records read by this run */
	uint64_t serial_last; /* last serial read (this run or saved) */
	bool serial_seen;     /* a record was read by this run */
	uint32_t kernel_lost0, kernel_lost_now;
	bool kernel_known;
	/* socket drops whose serials lie below serial_last (a later record
	 * was read); the others are in the next gap */
	uint64_t accounted_drops;
	uint64_t pending_saved; /* the previous run's unaccounted drops */
	/* cumulative over runs, from <state>.audit */
	uint64_t prev_socket, prev_kernel, downtime;
	int marks_fd;
	struct pl_audit *audit;
	const char *state;
	void (*say)(const char *fmt, ...);
} L = { .marks_fd = -1 };

static uint64_t audit_socket_drops(void)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	if (!L.audit || getsockopt(pl_audit_fd(L.audit), SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

void al_kernel_read(void)
{
	struct pl_audit_status st;
	struct pl_diag d = { 0 };

	if (L.audit && pl_audit_get_status(&st, &d) == 0) {
		if (!L.kernel_known)
			L.kernel_lost0 = st.lost;
		L.kernel_lost_now = st.lost;
		L.kernel_known = true;
	}
	pl_diag_clear(&d);
}

struct al_lost al_losses(void)
{
	struct al_lost l;

	l.socket = L.prev_socket + audit_socket_drops();
	l.kernel =
	    L.prev_kernel + (L.kernel_known ? (uint32_t)(L.kernel_lost_now - L.kernel_lost0) : 0);
	l.downtime = L.downtime;
	l.total = l.socket + l.kernel + l.downtime;
	return l;
}

/* <state>.audit: "SERIAL SOCKET KERNEL DOWNTIME KERNEL_LOST_NOW PENDING\n",
 * fixed width, rewritten in place after each batch of records. PENDING:
 * socket drops counted already whose serials come after SERIAL (not to be
 * counted again in the gap seen after a restart). */
void al_save(void)
{
	char line[128];
	struct al_lost l = al_losses();
	uint64_t drops = audit_socket_drops();
	uint64_t unacc = L.serial_seen ? drops - L.accounted_drops : L.pending_saved + drops;
	int n = snprintf(line, sizeof(line), "%020llu %020llu %020llu %020llu %010u %020llu\n",
			 (unsigned long long)L.serial_last, (unsigned long long)l.socket,
			 (unsigned long long)l.kernel, (unsigned long long)l.downtime,
			 L.kernel_known ? L.kernel_lost_now : 0, (unsigned long long)unacc);

	if (L.marks_fd >= 0 && pwrite(L.marks_fd, line, (size_t)n, 0) != n)
		L.say("cannot write %s.audit: %s", L.state, strerror(errno));
}

void al_open(const char *state, struct pl_audit *audit, void (*log)(const char *fmt, ...))
{
	char path[PATH_MAX + 8], line[128] = "";
	unsigned long long serial = 0, sock = 0, kern = 0, down = 0, unacc = 0;
	unsigned kernel_then = 0;

	L.state = state;
	L.audit = audit;
	L.say = log;
	if (!audit)
		return;
	snprintf(path, sizeof(path), "%s.audit", L.state);
	L.marks_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (L.marks_fd < 0) {
		L.say("cannot open %s: %s (losses across restarts are not counted)", path,
		      strerror(errno));
		return;
	}
	if (pread(L.marks_fd, line, sizeof(line) - 1, 0) > 0 &&
	    sscanf(line, "%llu %llu %llu %llu %u %llu", &serial, &sock, &kern, &down, &kernel_then,
		   &unacc) == 6) {
		L.serial_last = serial;
		L.pending_saved = unacc;
		L.prev_socket = sock;
		L.prev_kernel = kern;
		L.downtime = down;
		/* Kernel losses while the agent was down (same boot: the counter
		 * only grows). */
		al_kernel_read();
		if (L.kernel_known && kernel_then && L.kernel_lost0 >= kernel_then)
			L.prev_kernel += L.kernel_lost0 - kernel_then;
	}
}

/* "audit(1795462351.197:42): ..." -> 42 */
static bool record_serial(const char *text, uint64_t *ret)
{
	const char *p = strchr(text, ':');
	char *end;

	if (strncmp(text, "audit(", 6) || !p)
		return false;
	*ret = strtoull(p + 1, &end, 10);
	return end != p + 1 && *end == ')';
}

void al_record(const struct pl_audit_record *rec)
{
	uint64_t serial;

	L.records++;
	if (!record_serial(rec->text, &serial))
		return;
	if (!L.serial_seen) {
		/* Serials issued between the last record the previous run read
		 * and this one were never read (downtime, or the old socket's
		 * queue when it died). */
		if (L.serial_last && serial > L.serial_last + 1) {
			uint64_t gap = serial - L.serial_last - 1;
			/* less the old socket's drops, counted already */
			gap = gap > L.pending_saved ? gap - L.pending_saved : 0;
			L.downtime += gap;
			if (gap)
				L.say("%llu audit records (seccomp, Landlock or other) were issued "
				      "while the agent was not reading; counted as lost",
				      (unsigned long long)gap);
		}
		L.serial_seen = true;
	} else if (serial > L.serial_last + 1) {
		/* Serials skipped: records dropped at the socket before this one. */
		uint64_t gap = serial - L.serial_last - 1,
			 d = audit_socket_drops() - L.accounted_drops;
		L.accounted_drops += gap < d ? gap : d;
	}
	if (serial > L.serial_last || serial + (1u << 20) < L.serial_last)
		L.serial_last = serial;
}

uint64_t al_records(void)
{
	return L.records;
}
