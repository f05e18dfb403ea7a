/* SPDX-License-Identifier: Apache-2.0 */
/*
 * btf_off: byte offsets of kernel struct members from the running kernel's
 * BTF (/sys/kernel/btf/vmlinux). The kernel headers on a host may not match
 * its kernel; beyond struct sock_common their offsets cannot be trusted, so
 * every other field a program reads is located here and passed to the BPF
 * text as a constant.
 */
#ifndef BTF_OFF_H
#define BTF_OFF_H

#include <stdbool.h>

/* Whether the running kernel exposes BTF. */
bool btf_available(void);

/*
 * Byte offset of member in struct sname (searching anonymous nested
 * structs/unions; member may be a path, "ns.inum"), or -ENOENT,
 * -ENODATA (no BTF) or -EINVAL (a bitfield).
 */
int btf_member_offset(const char *sname, const char *member);

/* Byte size of member, or a negative errno as above. */
int btf_member_size(const char *sname, const char *member);

/* Size and alignment in bytes of struct sname: 0, or -ENOENT / -ENODATA. */
int btf_struct_layout(const char *sname, unsigned int *size,
		      unsigned int *align);

/* Whether the kernel's BTF has a type of this name (a function, a struct,
 * or a raw tracepoint's btf_trace_<name> typedef). */
bool btf_has_type(const char *name);

/* The BTF id of the typedef of this name (btf_trace_<tp>), or -ENOENT /
 * -ENODATA; from the BTF already parsed, not parsed again per call. */
int btf_typedef_id(const char *name);

/* The BTF id of the kernel function of this name (an fentry/fexit target),
 * likewise. */
int btf_func_id(const char *name);

/* Release the cached BTF. */
void btf_off_cleanup(void);

#endif
