// SPDX-License-Identifier: Apache-2.0
/* events: the poll loop of perf-event tools. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "msg.h"
#include "tool.h"

static void on_lost(void *ctx, uint64_t lost)
{
	struct events *ev = ((struct events_table *)ctx)->ev;

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
 * flushed after each poll: an event is printed about POLL_MS late, at most
 * two polls when it is held back for order (HOLD_NS, below).
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

/*
 * Each CPU's buffer is read in turn, a batch at a time: handed on as read,
 * one CPU's batch would come before another's whole, up to POLL_MS out of
 * order. So records are kept and handed on in time order, once they are
 * HOLD_NS older than the read that found them (a record is stamped before
 * it is written: one stamped just before the read can still be on its
 * way), or at the next read at the latest, with every record stamped
 * before them that this read found.
 */
#define HOLD_NS 10000000ull
#define TRIM_AFTER 512

struct events_rec {
	uint64_t ts_ns, seq, round;
	struct events_table *t;
	int cpu, size;
	unsigned char data[];
};

void events_keep(void *ctx, int cpu, void *data, int size)
{
	struct events_table *t = ctx;
	struct events *ev = t->ev;
	struct events_rec *r;
	uint64_t ts = 0;

	if (ev->nrecs == ev->cap) {
		size_t cap = ev->cap ? 2 * ev->cap : 256;
		void *grow = realloc(ev->recs, cap * sizeof(*ev->recs));

		if (!grow)
			goto now;
		ev->recs = grow;
		ev->cap = cap;
	}
	r = malloc(sizeof(*r) + size);
	if (!r)
		goto now;
	if (size >= (int)sizeof(ts))
		memcpy(&ts, data, sizeof(ts));
	*r = (struct events_rec){ .ts_ns = ts * t->ts_unit_ns, .seq = ev->seq++,
				  .round = ev->round, .t = t, .cpu = cpu,
				  .size = size };
	memcpy(r->data, data, size);
	ev->recs[ev->nrecs++] = r;
	return;
now:	/* Out of memory: out of order rather than lost. */
	t->fn(ev, cpu, data, size);
}

static int by_time(const void *a, const void *b)
{
	const struct events_rec *x = *(struct events_rec *const *)a;
	const struct events_rec *y = *(struct events_rec *const *)b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Hand on, in time order, the records stamped up to upto_ns, and any read
 * before this round with all stamped before it (only ever the sorted
 * records' first ones: what is kept is later than what went); keep the
 * others.
 */
void events_hand_on(struct events *ev, uint64_t upto_ns)
{
	size_t i, n = 0, kept;

	for (i = 0; i < ev->nrecs; i++)
		if (ev->recs[i]->round != ev->round &&
		    ev->recs[i]->ts_ns > upto_ns)
			upto_ns = ev->recs[i]->ts_ns;
	qsort(ev->recs, ev->nrecs, sizeof(*ev->recs), by_time);
	while (n < ev->nrecs && ev->recs[n]->ts_ns <= upto_ns) {
		struct events_rec *r = ev->recs[n++];

		if (!ev->broken)
			r->t->fn(ev, r->cpu, r->data, r->size);
		free(r);
	}
	kept = ev->nrecs - n;
	memmove(ev->recs, ev->recs + n, kept * sizeof(*ev->recs));
	/* A batch read after a stall can hold thousands of records: give
	 * their memory back, or the tool stays that size. */
	if (n > TRIM_AFTER)
		malloc_trim(0);
	ev->nrecs = kept;
	ev->round++;
}

int events_open(struct bprog *p, const char *table, bprog_event_fn fn,
		unsigned int ts_unit_ns, struct events *ev)
{
	int pages = events_pages(sysconf(_SC_NPROCESSORS_ONLN));
	struct events_table *t;

	if (ev->ntables == EVENTS_MAX_TABLES)
		return -ENOSPC;
	t = &ev->tables[ev->ntables++];
	*t = (struct events_table){ .ev = ev, .fn = fn, .ts_unit_ns = ts_unit_ns };
	return bprog__open_perf(p, table, events_keep, on_lost, t, pages,
				WAKEUP_EVENTS);
}

/* stdout is fully buffered: a closed pipe shows here. */
static void flush(struct events *ev)
{
	if (fflush(stdout))
		ev->broken = true;
}

static void tick(struct bprog *p, struct events *ev)
{
	if (ev->tick)
		ev->tick(ev);
	tool_check_skipped(p, &ev->skipped);
}

int events_loop(struct bprog *p, struct events *ev)
{
	uint64_t read_ns = 0;
	int ret = 0;

	flush(ev);		/* the header: tracing is live */
	while (!tool_exiting && !ev->broken && !ferror(stdout)) {
		/* The timeout also bounds the wait for a signal that lands
		 * between the check of tool_exiting and the poll. */
		int r = bprog__poll(p, POLL_MS, &read_ns);

		if (r < 0 && r != -EINTR) {
			p_err("%s", bprog__errmsg(p));
			ret = -1;
			break;
		}
		if (r >= 0)
			events_hand_on(ev, read_ns - HOLD_NS);
		flush(ev);
		tick(p, ev);
	}
	/* What arrived before the signal is still printed: all of it. */
	if (!ev->broken)
		bprog__poll(p, 0, NULL);
	events_hand_on(ev, UINT64_MAX);
	free(ev->recs);
	ev->recs = NULL;
	ev->cap = 0;
	if (!ev->broken)
		flush(ev);
	tick(p, ev);
	if (ev->lost)
		p_warn("lost %llu events in total", (unsigned long long)ev->lost);
	if (ev->skipped)
		p_warn("skipped %llu program runs in total",
		       (unsigned long long)ev->skipped);
	return ret;
}
