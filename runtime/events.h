/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events: the loop of tools that print perf events as they come
 * (BPF_PERF_OUTPUT), with lost events reported.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "bccprog.h"

struct events {
	bool broken;		/* set by a handler when stdout is gone */
	uint64_t lost;		/* events the perf buffers dropped */
	uint64_t skipped;	/* program runs the kernel skipped */
	/* After every poll (or NULL): e.g. report the tool's counters. */
	void (*tick)(struct events *ev);
	void *ctx;		/* the tool's */
};

/* The pages of each CPU's perf buffer on a host with ncpus online CPUs. */
int events_pages(long ncpus);

/* Call fn(ev, cpu, data, size) for each event of a BPF_PERF_OUTPUT table. */
int events_open(struct bprog *p, const char *table, bprog_event_fn fn,
		struct events *ev);

/*
 * Poll until a signal (tool_exiting) or until stdout is gone; then print
 * what had arrived, and the lost and skipped totals. 0, or -1 after saying
 * why.
 */
int events_loop(struct bprog *p, struct events *ev);

#endif
