// SPDX-License-Identifier: Apache-2.0
/*
 * tcptop's per-CPU count cache, read one entry index at a time: a
 * per-CPU array's lookup returns that entry of every possible CPU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bcc/libbpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "tcptop_ccache.h"

int ccache_open(struct ccache *cc, struct bprog *p)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	memset(cc, 0, sizeof(*cc));
	cc->fd = bprog__table_fd(p, "ccache");
	if (cc->fd < 0)
		return 0;	/* the kprobe method: no cache */
	if (bpf_obj_get_info_by_fd(cc->fd, &info, &len))
		return -errno;
	/* The layout this reader knows, or nothing is read at all. */
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.value_size != sizeof(struct ccache_entry) ||
	    !info.max_entries || info.max_entries % 2)
		return -EPROTO;
	cc->slots = info.max_entries / 2;
	cc->ncpus = libbpf_num_possible_cpus();
	if (cc->ncpus <= 0)
		return cc->ncpus ? cc->ncpus : -EINVAL;
	cc->buf = calloc((size_t)cc->ncpus, sizeof(*cc->buf));
	return cc->buf ? 0 : -ENOMEM;
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

int ccache_collect(struct ccache *cc, uint32_t gen, struct rows *v4,
		   struct rows *v6)
{
	uint32_t first = (gen & 1) * cc->slots;

	if (cc->fd < 0)
		return 0;
	for (uint32_t i = first; i < first + cc->slots; i++) {
		if (bpf_lookup_elem(cc->fd, &i, cc->buf))
			return -errno;
		for (int c = 0; c < cc->ncpus; c++) {
			const struct ccache_entry *e = &cc->buf[c];

			/* Older generations' entries were read already. */
			if (e->used && e->gen == gen &&
			    (e->family == AF_INET || e->family == AF_INET6))
				add_entry(e, v4, v6);
		}
	}
	return 0;
}

void ccache_close(struct ccache *cc)
{
	free(cc->buf);
	cc->buf = NULL;
}
