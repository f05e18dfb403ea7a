/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcptop's per-CPU count cache (bpf_text/tcptop/btf_count.bpf.c, ccache):
 * the bytes the tracepoint and fentry methods' programs hold there, read
 * at each interval's end.
 * The kprobe method has no cache; then these calls do nothing.
 */
#ifndef TCPTOP_CCACHE_H
#define TCPTOP_CCACHE_H

#include <stdint.h>

#include "bccprog.h"
#include "tcptop_report.h"

/* struct ccache_t in the BPF text (its struct who_t, then the bytes). */
struct ccache_entry {
	uint8_t saddr[16];	/* IPv4: the low 32 bits of a u64 */
	uint8_t daddr[16];
	char comm[16];
	uint32_t pid;
	uint32_t gen;
	uint16_t family;
	uint16_t lport;		/* host order */
	uint16_t dport;		/* host order */
	uint16_t used;
	uint64_t bytes[2];	/* sent, received */
};

_Static_assert(sizeof(struct ccache_entry) == 80, "ccache_t layout");

struct ccache {
	int fd;			/* -1: this method has no cache */
	uint32_t slots;		/* entries per generation parity */
	int ncpus;
	struct ccache_entry *buf;	/* one entry of every CPU */
};

/* Find p's cache, if it has one. 0, or a negative errno. */
int ccache_open(struct ccache *cc, struct bprog *p);

/*
 * Add what generation gen left in the cache to v4 and v6. Only once the
 * flip away from gen has waited for the programs, and before the next.
 */
int ccache_collect(struct ccache *cc, uint32_t gen, struct rows *v4,
		   struct rows *v6);

void ccache_close(struct ccache *cc);

#endif
