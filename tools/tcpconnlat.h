/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcpconnlat: the perf events of bpf_text/tcpconnlat/maps.bpf.c and
 * ext_maps.bpf.c as user space reads them (the BPF text declares the same structs; the layouts are
 * pinned here so the two sides cannot drift unnoticed).
 */
#ifndef TCPCONNLAT_H
#define TCPCONNLAT_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"

/* struct ipv4_data_t in the BPF text. */
struct ipv4_data {
	uint64_t ts_us;		/* bpf_ktime_get_ns() / 1000 at completion */
	uint32_t pid;		/* process id (tgid) of the connecting task */
	uint32_t saddr;		/* network order */
	uint32_t daddr;
	uint64_t ip;		/* 4 */
	uint16_t lport;		/* host order */
	uint16_t dport;
	uint64_t delta_us;	/* connect latency */
	char task[TASK_COMM_LEN];
};

/* struct ipv6_data_t in the BPF text (unsigned __int128 addresses). */
struct ipv6_data {
	uint64_t ts_us;
	uint32_t pid;
	uint8_t saddr[16] __attribute__((aligned(16)));
	uint8_t daddr[16];
	uint64_t ip;		/* 6 */
	uint16_t lport;
	uint16_t dport;
	uint64_t delta_us;
	char task[TASK_COMM_LEN];
};

_Static_assert(offsetof(struct ipv4_data, ip) == 24 &&
	       offsetof(struct ipv4_data, delta_us) == 40 &&
	       sizeof(struct ipv4_data) == 64, "ipv4_data_t layout");
_Static_assert(offsetof(struct ipv6_data, saddr) == 16 &&
	       offsetof(struct ipv6_data, ip) == 48 &&
	       offsetof(struct ipv6_data, delta_us) == 64 &&
	       sizeof(struct ipv6_data) == 96, "ipv6_data_t layout");

/*
 * struct event_t of ext_maps.bpf.c (-j, --failed): both families, with
 * the thread and the result.
 */
struct event {
	uint64_t ts_ns;		/* bpf_ktime_get_ns() at the end */
	uint64_t delta_us;
	uint32_t pid;
	uint32_t tid;
	uint8_t saddr[16];	/* IPv4: the first 4 bytes */
	uint8_t daddr[16];
	uint16_t lport;		/* host order */
	uint16_t dport;
	uint16_t ip;		/* 4 or 6 */
	int16_t result;		/* RESULT_OK, an errno, or RESULT_ABORTED */
	char task[TASK_COMM_LEN];
};
#define RESULT_OK	0
#define RESULT_ABORTED	(-1)	/* closed in SYN_SENT with no error */

_Static_assert(offsetof(struct event, saddr) == 24 &&
	       offsetof(struct event, lport) == 56 &&
	       offsetof(struct event, result) == 62 &&
	       sizeof(struct event) == 80, "event_t layout");

/* Each record starts with its time: events_open() orders by it. */
_Static_assert(offsetof(struct ipv4_data, ts_us) == 0 &&
	       offsetof(struct ipv6_data, ts_us) == 0 &&
	       offsetof(struct event, ts_ns) == 0, "time first");

#endif
