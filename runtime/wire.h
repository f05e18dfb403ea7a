/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire: a compiled program as bytes, the same on the socket from the
 * compiler child (compile.c) and in the cache (image.c, progcache.c).
 *
 * One struct wire_hdr, then a blob of ntables struct wire_table, nfuncs
 * struct wire_func, and each function's instructions in that order. The
 * instructions name each map by the child's fd for it (child_fd), which
 * the receiver replaces with the fd it holds. A failed child sends only a
 * header with its status and reason.
 */
#ifndef WIRE_H
#define WIRE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>

#include "compile.h"

#define MAX_TABLES	64
#define MAX_FUNCS	64
#define MAX_BLOB	(64u << 20)

struct wire_hdr {
	int32_t status;		/* 0, or an errno; then err says why */
	uint32_t ntables, nfuncs, kern_version;
	uint64_t blob_len;
	char license[64];
	char err[256];
};

struct wire_table {
	char name[128];
	int32_t type, child_fd;
	uint32_t key_size, leaf_size;
	/* What the kernel made, so a cached program can make it again. */
	char map_name[16];
	uint32_t max_entries, map_flags;
	int32_t inner_id;	/* a map-in-map's template (a child_fd), or -1 */
	uint32_t pad;		/* the struct wire_func after stays 8-aligned */
};

struct wire_func {
	char name[128];
	uint64_t size;
};

_Static_assert(sizeof(struct wire_hdr) % 8 == 0, "wire_hdr alignment");
_Static_assert(sizeof(struct wire_table) % 8 == 0, "wire_table alignment");

static inline bool map_in_map(int type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* Whether h is within bounds for a program with nfds tables. */
bool wire_sane(const struct wire_hdr *h, int nfds);

/* c from a header, its blob and the tables' fds (owned by c from here). */
int wire_build(const struct wire_hdr *h, const char *blob, const int *fds,
	       int nfds, struct compiled *c);

/* A copy of header and blob into img if every table can be made again. */
void wire_keep(const struct wire_hdr *h, const char *blob,
	       struct cimage *img);

#endif
