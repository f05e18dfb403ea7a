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

#include <stddef.h>

#include "compile.h"
#include "text.h"

/* The directory: $TCPTOOLS_CACHE_DIR, else this. */
#define PROGCACHE_DIR	"/var/cache/tcptools"

/* The key of text compiled with cflags on this host, into key. */
void progcache_key(struct text *key, const char *text,
		   const char *const *cflags, int ncflags);

/*
 * The entry for key into img: 0. -ENOENT: none. -EACCES: the directory is
 * not one to trust (nothing is read or written). Else the entry was bad
 * and not loaded. note says what happened, for -v.
 */
int progcache_get(const struct text *key, struct cimage *img, char *note,
		  size_t len);

/* Store img under key (replacing a bad entry): 0 or -errno; note says. */
int progcache_put(const struct text *key, const struct cimage *img,
		  char *note, size_t len);

#endif
