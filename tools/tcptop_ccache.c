// SPDX-License-Identifier: Apache-2.0
/*
 * tcptop's count cache: one mmapable array, CCACHE_PAGE elements of 128
 * bytes per 4 KiB page, 2^CCACHE_PAGE_BITS pages per possible CPU. The
 * first element of a page is its head (the generation); the rest are
 * entries, half per generation parity.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <bcc/libbpf.h>
#include <linux/bpf.h>

#include "host.h"
#include "tcptop_ccache.h"

/*
 * Up to 16 pages (240 entries per parity) per CPU, and 512 pages (2 MiB)
 * in all with the receive slots' 64 (960 slots), one page per CPU beyond
 * that (448 to 512 CPUs): user space maps it, so it counts in the tool's
 * RSS. CPUs with ids from 512 up count in the tables.
 */
#define CCACHE_MAX_PAGE_BITS 4
#define RSLOT_PAGE_BITS 6
#define CCACHE_BUDGET_PAGES 512
#define CCACHE_MAX_CPUS 512

/*
 * The highest possible CPU id + 1, at most CCACHE_MAX_CPUS: pages are
 * indexed by CPU id, and the possible mask can have holes ("0-3,8-11").
 * 0 if it cannot be read.
 */
static int possible_cpu_ids(void)
{
	bool cpus[CCACHE_MAX_CPUS] = { 0 };
	int n = CCACHE_MAX_CPUS;

	if (host_cpu_list("possible", cpus, CCACHE_MAX_CPUS))
		return 0;
	while (n > 0 && !cpus[n - 1])
		n--;
	return n;
}

void ccache_subst(struct text *t)
{
	int cpus = possible_cpu_ids(), bits = CCACHE_MAX_PAGE_BITS;
	char buf[16];

	/* Unknown: CPU 0's pages only; the others count in the tables. */
	if (cpus <= 0)
		cpus = 1;
	while (bits > 0 &&
	       (cpus << bits) > CCACHE_BUDGET_PAGES - (1 << RSLOT_PAGE_BITS))
		bits--;
	snprintf(buf, sizeof(buf), "%d", cpus);
	text_replace(t, "POSSIBLE_CPUS", buf);
	snprintf(buf, sizeof(buf), "%d", bits);
	text_replace(t, "PAGE_BITS_PER_CPU", buf);
	snprintf(buf, sizeof(buf), "%d", RSLOT_PAGE_BITS);
	text_replace(t, "SLOT_PAGES_LOG2", buf);
	text_replace(t, "TRACEPOINTS_PREEMPTIBLE", host_preempt_rt() ? "1" : "0");
}

int ccache_open(struct ccache *cc, struct bprog *p)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	void *m;

	memset(cc, 0, sizeof(*cc));
	cc->fd = bprog__table_fd(p, "ccache");
	if (cc->fd < 0)
		return 0;	/* the kprobe method: no cache */
	if (bpf_obj_get_info_by_fd(cc->fd, &info, &len))
		return -errno;
	/* The layout this reader knows, or nothing is read at all. */
	if (info.type != BPF_MAP_TYPE_ARRAY ||
	    !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.value_size != sizeof(struct ccache_entry) ||
	    !info.max_entries || info.max_entries % CCACHE_PAGE)
		return -EPROTO;
	cc->pages = info.max_entries / CCACHE_PAGE;
	cc->len = (size_t)info.max_entries * sizeof(struct ccache_entry);
	m = mmap(NULL, cc->len, PROT_READ | PROT_WRITE, MAP_SHARED, cc->fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	cc->map = m;
	return 0;
}

void ccache_set_gen(struct ccache *cc, uint32_t gen)
{
	for (uint32_t pg = 0; cc->map && pg < cc->pages; pg++)
		__atomic_store_n(&cc->map[pg * CCACHE_PAGE].gen, gen,
				 __ATOMIC_RELEASE);
}

/* An IPv4 address the BPF side stored as the low 32 bits of a u64. */
static void ipv4_from_u64(uint8_t *dst, const uint8_t *src)
{
	uint64_t v;
	uint32_t a;

	memcpy(&v, src, sizeof(v));
	a = (uint32_t)v;
	memcpy(dst, &a, sizeof(a));
}

static void add_entry(const struct ccache_entry *e, struct rows *v4,
		      struct rows *v6)
{
	struct row row = { 0 };

	row.family = e->family;
	row.pid = e->pid;
	memcpy(row.comm, e->comm, sizeof(e->comm));
	if (e->family == AF_INET) {
		ipv4_from_u64(row.saddr, e->saddr);
		ipv4_from_u64(row.daddr, e->daddr);
	} else {
		memcpy(row.saddr, e->saddr, 16);
		memcpy(row.daddr, e->daddr, 16);
	}
	row.lport = e->lport;
	row.dport = e->dport;
	rows_add(e->family == AF_INET ? v4 : v6, &row, e->bytes[0],
		 e->bytes[1]);
}

void ccache_collect(struct ccache *cc, uint32_t gen, struct rows *v4,
		    struct rows *v6)
{
	uint32_t first = 1 + (gen & 1) * CCACHE_SLOTS;

	for (uint32_t pg = 0; cc->map && pg < cc->pages; pg++) {
		const struct ccache_entry *page = &cc->map[pg * CCACHE_PAGE];

		for (uint32_t i = first; i < first + CCACHE_SLOTS; i++) {
			struct ccache_entry e;

			/* A copy: the page is the kernel's and shared. */
			memcpy(&e, &page[i], sizeof(e));
			/* Older generations' entries were read already. */
			if (e.used && e.gen == gen &&
			    (e.family == AF_INET || e.family == AF_INET6))
				add_entry(&e, v4, v6);
		}
	}
}

void ccache_close(struct ccache *cc)
{
	if (cc->map)
		munmap(cc->map, cc->len);
	cc->map = NULL;
}
