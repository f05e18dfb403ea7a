/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progtext: a method's program text as it is compiled: for kprobe, a
 * prelude for kernel headers newer than libbcc (kcompat.h); the tool's
 * text; struct sock offsets from BTF (bpf_text/shared/sock.bpf.c).
 */
#ifndef PROGTEXT_H
#define PROGTEXT_H

#include "method.h"
#include "text.h"

struct tool;

void prog_text(const struct tool *tool, enum method m, struct text *t);

/*
 * Replace token by the offset of sname's member (a path like "ns.inum" is
 * fine): from BTF, or offsetof() through the headers when there is no BTF.
 * Headers may not match the kernel: only sock_common fields are read
 * through them directly.
 */
void prog_subst_offset(struct text *t, const char *token, const char *sname,
		       const char *member);

/*
 * The Python tools' filters: token becomes "if (pid != PID) { return 0; }"
 * (pid > 0) or nothing; FILTER_FAMILY becomes the test of a u16 family
 * against AF_INET (4) or AF_INET6 (6), or nothing (0).
 */
void prog_filter_pid(struct text *t, const char *token, int pid);
void prog_filter_family(struct text *t, int family);

#endif
