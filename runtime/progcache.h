/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progcache: compiled programs kept between runs, so a warm start makes the
 * maps and loads the instructions without LLVM (see compile.h's cimage).
 *
 * An entry is found by a hash of its key and used only if its stored key
 * is the same, byte for byte: the final program text and compiler flags,
 * the kernel's release, version and BTF, the kernel headers, libbcc, and
 * this tool's version and binary. The directory must be root's (our euid's)
 * with mode 0700; an entry must be a regular file of ours that no one else
 * can write, whole, and pass its checksum. Anything else is not loaded.
 * Entries are written to a temporary file and renamed into place, so two
 * tools starting at once each read a whole entry or none.
 */
#ifndef PROGCACHE_H
#define PROGCACHE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "compile.h"

/* The directory: $TCPTOOLS_CACHE_DIR, else this. */
#define PROGCACHE_DIR	"/var/cache/tcptools"

/*
 * The program of text compiled with cflags into c: from the cache when use
 * and it holds a good entry, else compiled (compile_text()) and, when use,
 * stored. note says what the cache did, for -v ("hit PATH", "miss; stored
 * PATH", "ignored PATH: why; stored PATH", "off"); a directory not to be
 * trusted is also warned about on stderr. On failure err says why and
 * -errno is returned.
 */
int progcache_compile(const char *text, const char *const *cflags,
		      int ncflags, bool use, volatile const sig_atomic_t *stop,
		      struct compiled *c, char *note, size_t notelen,
		      char *err, size_t errlen);

#endif
