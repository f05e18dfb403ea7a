// SPDX-License-Identifier: Apache-2.0
/* events: the poll loop of perf-event tools. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "events.h"
#include "msg.h"
#include "tool.h"

static void on_lost(void *ctx, uint64_t lost)
{
	struct events *ev = ctx;

	ev->lost += lost;
	p_warn("lost %llu events: the perf buffer was full (output too slow?)",
	       (unsigned long long)lost);
}

/*
 * Events are read and printed in batches: a wakeup per event cost the
 * reader a context switch, and a line-buffered stdout a write(), per
 * event, most of its CPU in a connect storm. A buffer wakes the poll once
 * per WAKEUP_EVENTS events, the poll times out every POLL_MS to read
 * fewer, and stdout (fully buffered: struct tool's batched_output) is
 * flushed after each poll: an event is printed at most POLL_MS late.
 */
#define WAKEUP_EVENTS 32
#define POLL_MS 100

/*
 * Each CPU writes to a buffer of its own, which must hold what that CPU
 * traces while the reader is not run. On a VM the reader's vCPU can be
 * taken away for ~100 ms (seen on the test host during a connect storm:
 * the reader, even at SCHED_FIFO, not run for 100 ms while the other vCPU
 * traced ~40k connects/s; 64 pages, 3,276 of tcpconnlat's 80-byte records,
 * overflowed in most storms). So 256 pages (1 MB, ~13,000 records, 300 ms
 * at that rate) a CPU where there are few CPUs, halved down to 64 as there
 * are more, to keep near PAGES_TOTAL a table. The buffers are the
 * kernel's memory (locked), not the tool's RSS.
 */
#define PAGES_MAX 256
#define PAGES_MIN 64
#define PAGES_TOTAL 512

int events_pages(long ncpus)
{
	int pages = PAGES_MAX;

	while (pages > PAGES_MIN && pages * ncpus > PAGES_TOTAL)
		pages /= 2;
	return pages;
}

int events_open(struct bprog *p, const char *table, bprog_event_fn fn,
		struct events *ev)
{
	int pages = events_pages(sysconf(_SC_NPROCESSORS_ONLN));

	return bprog__open_perf(p, table, fn, on_lost, ev, pages, WAKEUP_EVENTS);
}

static void tick(struct bprog *p, struct events *ev)
{
	if (ev->tick)
		ev->tick(ev);
	tool_check_skipped(p, &ev->skipped);
}

int events_loop(struct bprog *p, struct events *ev)
{
	int ret = 0;

	fflush(stdout);		/* the header: tracing is live */
	while (!tool_exiting && !ev->broken && !ferror(stdout)) {
		/* The timeout also bounds the wait for a signal that lands
		 * between the check of tool_exiting and the poll. */
		int r = bprog__poll(p, POLL_MS);

		if (r < 0 && r != -EINTR) {
			p_err("%s", bprog__errmsg(p));
			ret = -1;
			break;
		}
		fflush(stdout);
		tick(p, ev);
	}
	/* What arrived before the signal is still printed. */
	if (!ev->broken) {
		bprog__poll(p, 0);
		fflush(stdout);
	}
	tick(p, ev);
	if (ev->lost)
		p_warn("lost %llu events in total", (unsigned long long)ev->lost);
	if (ev->skipped)
		p_warn("skipped %llu program runs in total",
		       (unsigned long long)ev->skipped);
	return ret;
}
