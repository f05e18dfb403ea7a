// SPDX-License-Identifier: Apache-2.0
/* events: the poll loop of perf-event tools. */
#include <errno.h>
#include <stdio.h>

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

int events_open(struct bprog *p, const char *table, bprog_event_fn fn,
		struct events *ev)
{
	return bprog__open_perf(p, table, fn, on_lost, ev, 64);
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

	while (!tool_exiting && !ev->broken && !ferror(stdout)) {
		/* A short timeout bounds the wait for a signal that lands
		 * between the check of tool_exiting and the poll. */
		int r = bprog__poll(p, 200);

		if (r < 0 && r != -EINTR) {
			p_err("%s", bprog__errmsg(p));
			ret = -1;
			break;
		}
		tick(p, ev);
	}
	/* What arrived before the signal is still printed. */
	if (!ev->broken)
		bprog__poll(p, 0);
	tick(p, ev);
	if (ev->lost)
		p_warn("lost %llu events in total", (unsigned long long)ev->lost);
	if (ev->skipped)
		p_warn("skipped %llu program runs in total",
		       (unsigned long long)ev->skipped);
	return ret;
}
