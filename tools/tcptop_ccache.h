/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcptop's count cache (bpf_text/tcptop/btf_count.bpf.c, ccache): its
 * size, the generation user space writes into it, and the bytes the
 * tracepoint and fentry methods' programs hold there, read at each
 * interval's end through a shared mapping.
 * The kprobe method has no cache; then these calls do nothing.
 */
#ifndef TCPTOP_CCACHE_H
#define TCPTOP_CCACHE_H

#include <stdint.h>

#include "bccprog.h"
#include "tcptop_report.h"
#include "text.h"

/* struct ccache_t in the BPF text (its struct who_t, then the bytes). */
struct ccache_entry {
	uint8_t saddr[16];	/* IPv4: the low 32 bits of a u64 */
	uint8_t daddr[16];
	char comm[16];
	uint32_t pid;
	uint32_t gen;		/* a page's head: the page's generation */
	uint16_t family;
	uint16_t lport;		/* host order */
	uint16_t dport;		/* host order */
	uint16_t used;
	uint64_t bytes[2];	/* sent, received */
	uint64_t busy;		/* a page's head: programs using it */
	uint64_t slot[4];	/* a receive slot's owner and baseline */
	uint64_t pad;
};

_Static_assert(sizeof(struct ccache_entry) == 128, "ccache_t layout");

/* As the BPF text: elements per 4 KiB page, entries per page per parity. */
#define CCACHE_PAGE 32
#define CCACHE_SLOTS 15

struct ccache {
	int fd;			/* -1: this method has no cache */
	struct ccache_entry *map;	/* the whole array, shared */
	size_t len;		/* bytes mapped */
	uint32_t pages;		/* all CPUs' */
};

/*
 * Fill in the cache's size in t (POSSIBLE_CPUS, PAGE_BITS_PER_CPU), and
 * whether tracepoint programs can be preempted (TRACEPOINTS_PREEMPTIBLE).
 */
void ccache_subst(struct text *t);

/* Find p's cache, if it has one, and map it. 0, or a negative errno. */
int ccache_open(struct ccache *cc, struct bprog *p);

/*
 * Make gen the generation of every page. Then wait for the programs
 * (the generation flip does) before reading the one before.
 */
void ccache_set_gen(struct ccache *cc, uint32_t gen);

/*
 * Add what generation gen left in the cache to v4 and v6. Only once the
 * flip away from gen has waited for the programs, and before the next.
 */
void ccache_collect(struct ccache *cc, uint32_t gen, struct rows *v4,
		    struct rows *v6);

void ccache_close(struct ccache *cc);

#endif
