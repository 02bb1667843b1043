/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastrond's socket servers (internal to the agent): the control socket
 * (control.c) and the metrics HTTP endpoint (metrics.c). Both are
 * non-blocking state machines on the agent's one epoll loop: no read, write
 * or accept ever waits, every connection has a deadline, and the number of
 * connections is capped (the oldest connection is evicted for a new one),
 * so no client can stall the loop that answers container starts.
 *
 * epoll's data.ptr of every connection points at a struct pld_io; the loop
 * calls io->on(io, events).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pld_io {
	void (*on)(struct pld_io *io, uint32_t events);
};

/* Monotonic milliseconds. */
int64_t pld_now_ms(void);

/* ---- control socket (control.c) ----------------------------------------- */
#define CTL_MAX_CLIENTS 64
/* A connection with no request in progress (no complete request line read,
 * no answer pending) for this long is closed; so is one whose pending
 * answer makes no progress for this long (a client that never reads). */
#define CTL_IDLE_MS 5000
/* Requests handled per wake-up of one connection (fairness). */
#define CTL_BATCH 16

struct ctl_counters {
	uint64_t accepted, refused_uid, evicted, idle_closed, stalled_closed, oversize;
	size_t active;
};

/* Take over the listening socket `listen_fd` (non-blocking) on `epfd`.
 * `handle` answers one request line (a new reference, or NULL: out of
 * memory). `log` is the agent's log function. */
int ctl_init(int epfd, int listen_fd, json_t *(*handle)(const char *line),
	     void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2))));
/* From within `handle`: send `len` raw bytes (copied) after the answer's
 * line, announced in it as "attached_bytes": len (docs/agent.md). */
void ctl_attach(const void *data, size_t len);
/* The listening socket is readable: accept every pending connection. */
void ctl_on_listen(void);
/* Serve requests left over by the batch limit; close connections past
 * their deadline (call at least every 200 ms, at once while ctl_busy()). */
void ctl_tick(int64_t now);
bool ctl_busy(void);
void ctl_counters(struct ctl_counters *ret);
/* Close every connection (not the listening socket). */
void ctl_shutdown(void);

/* ---- metrics endpoint (metrics.c) --------------------------------------- */
#define MX_MAX_CONNS 16
/* A metrics connection is closed this long after it was accepted,
 * answered or not. */
#define MX_TIMEOUT_MS 2000
#define MX_REQUEST_MAX 8192

/* Listen on "127.0.0.1:PORT" (non-blocking). Returns the fd or a negative
 * errno (-EADDRNOTAVAIL: not loopback). */
int mx_listen(const char *spec);
/* `render` writes the Prometheus text (malloc'd, *len bytes; NULL when out
 * of memory). */
int mx_init(int epfd, int listen_fd, char *(*render)(size_t *len));
void mx_on_listen(void);
void mx_tick(int64_t now);
void mx_shutdown(void);
