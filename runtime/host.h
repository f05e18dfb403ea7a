/* SPDX-License-Identifier: Apache-2.0 */
/* host: what the host must offer before any BPF work: root and headers. */
#ifndef HOST_H
#define HOST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The kernel headers directory bcc compiles against, as bcc chooses it:
 * $BCC_KERNEL_SOURCE, else /lib/modules/R/source when it exists (Debian's
 * -common tree), else /lib/modules/R/build. Returns whether bcc will find
 * headers there (or in /sys/kernel/kheaders.tar.xz).
 */
bool host_kernel_headers(char *dir, size_t len);

/* Root, and kernel headers for bcc: false after saying what is missing. */
bool host_ready(void);

/* Whether kprobes can be attached (kprobe PMU, or tracefs kprobe_events). */
bool host_has_kprobes(void);

/*
 * Whether the kernel is PREEMPT_RT: /sys/kernel/realtime says 1, or the
 * version string (uname -v) says so. There, programs on tracepoints can be
 * preempted (Linux 6.19+ runs them under SRCU-fast, migration disabled).
 */
bool host_preempt_rt(void);

/* The version-string half of host_preempt_rt(), for a given string. */
bool host_version_is_rt(const char *version);

/*
 * Whether the kernel can preempt a task running in the kernel: PREEMPT_RT,
 * or the preemption model is full or lazy. fentry/fexit programs run
 * preemptible there (migration disabled only), so two programs on one
 * function can both be mid-run on a CPU. Unknown counts as preempting.
 */
bool host_preempts(void);

/*
 * The decision of host_preempts(), from the version string (uname -v),
 * /sys/kernel/debug/sched/preempt, /proc/cmdline and /boot/config-R as
 * read (each NULL when unreadable; debugfs's also when not read: not
 * PREEMPT_DYNAMIC, or lockdown in force). With PREEMPT_DYNAMIC the model
 * in force is debugfs's, else preempt= at boot, else the build's default.
 * Under lockdown a model changed at run time through debugfs is not seen.
 */
bool host_model_preempts(const char *version, const char *sched_preempt,
			 const char *cmdline, const char *config);

/*
 * Whether /sys/kernel/security/lockdown's text (NULL when unreadable)
 * shows a mode in force: "none [integrity] confidentiality".
 */
bool host_lockdown_in_force(const char *lockdown);

/*
 * Mark in cpus[0..max) the CPUs of /sys/devices/system/cpu/WHICH
 * ("online", "possible": a list such as "0-3,8-11"). 0, or a negative
 * errno (-EINVAL when it names none below max).
 */
int host_cpu_list(const char *which, bool *cpus, int max);

#endif
