/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcptop_start: where the application of every connection open when tcptop
 * starts had read to, so that its first read after the start is counted
 * exactly whatever reads it (splice(2) included): the rcv_start map of
 * bpf_text/tcptop/maps.bpf.c.
 *
 * Read through sock_diag (tcp_info's bytes_received less the unread queue,
 * keyed by socket cookie) in every network namespace that a process or
 * /run/netns holds. Three steps, in this order:
 *   start_begin()   before attaching: the connections that exist now, and
 *                   a cookie for each. Only these get a reading: one
 *                   established later has its baseline from its
 *                   establishment already.
 *   start_fill()    after attaching: the readings, taken again until two
 *                   dumps in a row agree (a segment arriving while the
 *                   kernel fills one in can skew it), into the map. A
 *                   connection read meanwhile has met the programs first;
 *                   they left a mark (~0) that no reading overwrites.
 *   start_end()     close the sockets.
 * Nothing here is fatal: a connection without a reading only keeps the
 * older gap (its first read's first chunk).
 */
#ifndef TCPTOP_START_H
#define TCPTOP_START_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct start_conn {
	uint64_t cookie;
	uint64_t read;		/* bytes the application had read */
	bool done;		/* start_begin()'s: its reading is settled */
};

struct start_set {
	struct start_conn *v;
	size_t n, cap;
};

struct start {
	int *socks;		/* a sock_diag socket per network namespace */
	size_t nsocks;
	struct start_set before;	/* start_begin()'s connections */
};

/* Before attaching. 0, or -errno (no snapshot: start_fill() does nothing). */
int start_begin(struct start *s);
/* After attaching: fill map_fd. The number of connections stored, or -errno. */
int start_fill(struct start *s, int map_fd);
void start_end(struct start *s);

/*
 * One sock_diag reply (buf, len) into *out. 1 at the end of the dump, 0 for
 * more to come, -errno on an error message or a malformed one. Exposed for
 * the unit test.
 */
int start_parse(const void *buf, size_t len, struct start_set *out);
/* Sort by cookie; the readings of `now` that `then` holds too, unchanged. */
void start_sort(struct start_set *set);
bool start_same(const struct start_set *then, const struct start_conn *c);

#endif
