// SPDX-License-Identifier: Apache-2.0
/*
 * Unit test of host_version_is_rt() (runtime/host.c): which kernel version
 * strings are PREEMPT_RT's. On those, tcptop's tracepoint programs take
 * the count cache's pages with atomic instructions, as they can be
 * preempted there.
 */
#include <stdio.h>

#include "host.h"
#include "unit.h"

int main(void)
{
	/* Debian's RT flavour, and mainline's string since the merge. */
	CHECK(host_version_is_rt("#1 SMP PREEMPT_RT Debian 6.1.158-1 (2025-11-09)"));
	CHECK(host_version_is_rt("#1 SMP PREEMPT_RT Thu Jan  1 00:00:00 UTC 2026"));
	/* The out-of-tree patch set's older spelling. */
	CHECK(host_version_is_rt("#1 SMP PREEMPT RT Tue Mar 1 2022"));
	/* Preemptible, but not RT: tracepoint programs run with preemption off. */
	CHECK(!host_version_is_rt("#1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1 (2025-11-05)"));
	CHECK(!host_version_is_rt("#1 SMP PREEMPT Debian 6.1.158-1 (2025-11-09)"));
	CHECK(!host_version_is_rt("#1 SMP Thu Nov 27 00:00:00 UTC 2026"));
	CHECK(!host_version_is_rt(""));
	return unit_done("test_host");
}
