/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events: the loop of tools that print perf events as they come
 * (BPF_PERF_OUTPUT), in time order across CPUs, with lost events reported.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "bccprog.h"

struct events_rec;

/* A table's handler and its records' clock (events_open()). */
struct events_table {
	struct events *ev;
	bprog_event_fn fn;
	unsigned int ts_unit_ns;
};

#define EVENTS_MAX_TABLES 4

struct events {
	bool broken;		/* set by a handler when stdout is gone */
	uint64_t lost;		/* events the perf buffers dropped */
	uint64_t skipped;	/* program runs the kernel skipped */
	/* After every poll (or NULL): e.g. report the tool's counters. */
	void (*tick)(struct events *ev);
	void *ctx;		/* the tool's */

	/* events.c's own: the tables, and the records read but not yet
	 * handed on, which go out in time order. */
	struct events_table tables[EVENTS_MAX_TABLES];
	int ntables;
	struct events_rec **recs;
	size_t nrecs, cap;
	uint64_t seq, round;
};

/* The pages of each CPU's perf buffer on a host with ncpus online CPUs. */
int events_pages(long ncpus);

/*
 * Call fn(ev, cpu, data, size) for each event of a BPF_PERF_OUTPUT table,
 * in time order across CPUs and tables: every record starts with its
 * CLOCK_MONOTONIC time (bpf_ktime_get_ns()) as a u64 in units of
 * ts_unit_ns (1: ns, 1000: us).
 */
int events_open(struct bprog *p, const char *table, bprog_event_fn fn,
		unsigned int ts_unit_ns, struct events *ev);

/*
 * What events_loop() does with each record read (ctx: the events_table
 * events_open() gave its table), and after each read: hand on in time
 * order what is certain to have no earlier record still to come.
 * Exported for tests/unit/test_events.c.
 */
void events_keep(void *ctx, int cpu, void *data, int size);
void events_hand_on(struct events *ev, uint64_t upto_ns);

/*
 * Poll until a signal (tool_exiting) or until stdout is gone; then print
 * what had arrived, and the lost and skipped totals. 0, or -1 after saying
 * why.
 */
int events_loop(struct bprog *p, struct events *ev);

#endif
