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

#endif
