/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kcompat: let bcc's kprobe programs, which include net/sock.h, compile
 * against kernel headers newer than libbcc.
 *
 * Those headers pull in the kernel's linux/bpf.h, which takes sizeof() of
 * uapi structs (bpf_wq, bpf_rb_root, ... and whatever the next kernel adds).
 * libbcc compiles with its own, older, copy of uapi/linux/bpf.h, whose
 * include guard hides the kernel's: the structs are then incomplete and
 * every compile fails (bcc issues 4575, 4866, 5444, 5451). The prelude
 * defines each such struct as an opaque blob of the size and alignment the
 * running kernel's BTF gives it.
 */
#ifndef KCOMPAT_H
#define KCOMPAT_H

#include "text.h"

/*
 * Append the prelude: one definition per struct that the kernel headers'
 * linux/bpf.h names, their uapi/linux/bpf.h defines, libbcc's bpf.h lacks
 * and BTF describes. Nothing when nothing is missing.
 */
void kcompat_prelude(struct text *t);

#endif
