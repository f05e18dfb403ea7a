// SPDX-License-Identifier: Apache-2.0
/*
 * Unit test of events_pages() (runtime/events.c): the size of each CPU's
 * perf buffer. 1 MB a CPU on small hosts, where one CPU may trace a whole
 * connect storm while the reader's is taken away; halved as CPUs are
 * added, never below the 64 pages the tools had before, and always a power
 * of two, as perf requires.
 */
#include "events.h"
#include "unit.h"

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
	return unit_done("test_events");
}
