// SPDX-License-Identifier: Apache-2.0
/*
 * Unit test of host_version_is_rt() (runtime/host.c): which kernel version
 * strings are PREEMPT_RT's. On those, tcptop's tracepoint programs take
 * the count cache's pages with atomic instructions, as they can be
 * preempted there. And of host_model_preempts(): which kernels preempt a
 * task in the kernel, where the two fentry programs of a pair can both be
 * mid-run, so their skipped runs are reported. And of
 * host_lockdown_in_force(): whether debugfs is left alone.
 */
#include <stdio.h>

#include "host.h"
#include "unit.h"

/* uname -v of a PREEMPT_DYNAMIC kernel, and /boot/config-R excerpts. */
#define DYN "#1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1 (2025-11-05)"
#define VOLUNTARY "\nCONFIG_PREEMPT_BUILD=y\nCONFIG_PREEMPT_VOLUNTARY=y\n" \
	"CONFIG_PREEMPT_DYNAMIC=y\n"
#define FULL "\nCONFIG_PREEMPT_BUILD=y\nCONFIG_PREEMPT=y\n" \
	"CONFIG_PREEMPT_DYNAMIC=y\n"

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

	/* Static models: the version string says. */
	CHECK(host_model_preempts("#1 SMP PREEMPT_RT Debian", NULL, NULL, NULL));
	CHECK(host_model_preempts("#1 SMP PREEMPT Debian 6.1", NULL, NULL, NULL));
	CHECK(host_model_preempts("#1 SMP PREEMPT_LAZY Thu", NULL, NULL, NULL));
	CHECK(!host_model_preempts("#1 SMP Thu Nov 27", NULL, NULL, NULL));
	CHECK(!host_model_preempts("", NULL, NULL, NULL));
	/* Dynamic: debugfs's model in force first... */
	CHECK(!host_model_preempts(DYN, "none (voluntary) full lazy\n",
				   "preempt=full", FULL));
	CHECK(host_model_preempts(DYN, "none voluntary (full)\n",
				  "preempt=none", VOLUNTARY));
	CHECK(host_model_preempts(DYN, "none voluntary full (lazy)\n", NULL,
				  VOLUNTARY));
	/* ...then preempt= at boot (a word of its own)... */
	CHECK(host_model_preempts(DYN, NULL, "ro preempt=full quiet\n",
				  VOLUNTARY));
	CHECK(!host_model_preempts(DYN, NULL, "preempt=voluntary\n", FULL));
	CHECK(host_model_preempts(DYN, NULL, "preempt=none preempt=full",
				  VOLUNTARY));
	CHECK(!host_model_preempts(DYN, NULL, "preempt=full preempt=none x",
				   FULL));
	CHECK(!host_model_preempts(DYN, NULL, "xpreempt=full\n", VOLUNTARY));
	CHECK(!host_model_preempts(DYN, "", "preempt=bogus", VOLUNTARY));
	CHECK(!host_model_preempts(DYN, NULL, "x preempt=", VOLUNTARY));
	CHECK(!host_model_preempts(DYN, NULL, "preempt=preempt=full", VOLUNTARY));
	/* ...then the build's default (Debian's: voluntary); unknown preempts. */
	CHECK(!host_model_preempts(DYN, NULL, NULL, VOLUNTARY));
	CHECK(!host_model_preempts(DYN, NULL, NULL,
				   "\nCONFIG_PREEMPT_NONE=y\n"));
	CHECK(host_model_preempts(DYN, NULL, NULL, FULL));
	CHECK(host_model_preempts(DYN, NULL, NULL, NULL));
	/* Lockdown, as securityfs shows it (debugfs is not read then). */
	CHECK(!host_lockdown_in_force("[none] integrity confidentiality\n"));
	CHECK(host_lockdown_in_force("none [integrity] confidentiality\n"));
	CHECK(host_lockdown_in_force("none integrity [confidentiality]\n"));
	CHECK(!host_lockdown_in_force(NULL));
	CHECK(!host_lockdown_in_force(""));
	/* This host's files, read (under make SANITIZE=1 and valgrind too). */
	printf("test_host: this kernel preempts: %d\n", host_preempts());
	return unit_done("test_host");
}
