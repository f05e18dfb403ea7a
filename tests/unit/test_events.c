// SPDX-License-Identifier: Apache-2.0
/*
 * Unit test of events_pages() (runtime/events.c): the size of each CPU's
 * perf buffer. 1 MB a CPU on small hosts, where one CPU may trace a whole
 * connect storm while the reader's is taken away; halved as CPUs are
 * added, never below the 64 pages the tools had before, and always a power
 * of two, as perf requires. And of events_keep()/events_hand_on(): records
 * read a buffer at a time come out in time order, and never before an
 * earlier one that a later read finds.
 */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "unit.h"

/* The handler: what came out, in order (the time, then the CPU). */
static uint64_t out_ts[64];
static int out_cpu[64], nout;

static void got(void *ctx, int cpu, void *data, int size)
{
	uint64_t ts;

	(void)ctx;
	if (size < (int)sizeof(ts) || nout == 64)
		return;
	memcpy(&ts, data, sizeof(ts));
	out_cpu[nout] = cpu;
	out_ts[nout++] = ts;
}

/* A record as the BPF program writes it: its time first (in us here). */
static void put(struct events *ev, int cpu, uint64_t ts_us)
{
	unsigned char rec[24] = { 0 };

	memcpy(rec, &ts_us, sizeof(ts_us));
	events_keep(&ev->tables[0], cpu, rec, sizeof(rec));
}

static void ordering(void)
{
	struct events ev = { .ntables = 1 };

	ev.tables[0] = (struct events_table){ .ev = &ev, .fn = got,
					      .ts_unit_ns = 1000 };
	/* A read finds CPU 0's, then CPU 1's: handed on in time order, up to
	 * the cut; the rest kept. */
	put(&ev, 0, 10);
	put(&ev, 0, 30);
	put(&ev, 0, 50);
	put(&ev, 1, 20);
	put(&ev, 1, 40);
	put(&ev, 1, 40);
	events_hand_on(&ev, 45000);
	CHECK(nout == 5 && ev.nrecs == 1);
	CHECK(out_ts[0] == 10 && out_ts[1] == 20 && out_ts[2] == 30 &&
	      out_ts[3] == 40 && out_ts[4] == 40);
	/* The same time: in the order read. */
	CHECK(out_cpu[3] == 1 && out_cpu[4] == 1);
	/* The next read finds one stamped before the kept one (written to
	 * CPU 1's buffer after the first read had passed it): it comes
	 * first, though the cut is below both, as the kept one is from an
	 * earlier read and must go now. */
	put(&ev, 1, 45);
	events_hand_on(&ev, 1000);
	CHECK(nout == 7 && ev.nrecs == 0);
	CHECK(out_ts[5] == 45 && out_ts[6] == 50);
	/* Kept when above the cut and read now; all out at the end. */
	put(&ev, 0, 70);
	put(&ev, 1, 60);
	events_hand_on(&ev, 1000);
	CHECK(nout == 7 && ev.nrecs == 2);
	events_hand_on(&ev, UINT64_MAX);
	CHECK(nout == 9 && ev.nrecs == 0);
	CHECK(out_ts[7] == 60 && out_ts[8] == 70);
	free(ev.recs);
}

int main(void)
{
	long n;

	CHECK(events_pages(1) == 256);
	CHECK(events_pages(2) == 256);
	CHECK(events_pages(3) == 128);
	CHECK(events_pages(4) == 128);
	CHECK(events_pages(5) == 64);
	CHECK(events_pages(8) == 64);
	CHECK(events_pages(4096) == 64);
	/* sysconf() failed: the most, as for one CPU. */
	CHECK(events_pages(-1) == 256);
	for (n = 1; n <= 64; n++) {
		int p = events_pages(n);

		CHECK_MSG(p >= 64 && p <= 256 && !(p & (p - 1)),
			  "%ld CPUs: %d pages", n, p);
	}
	ordering();
	return unit_done("test_events");
}
