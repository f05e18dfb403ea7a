/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcpconnlat: the perf events of bpf_text/tcpconnlat_common.bpf.c as user
 * space reads them (the BPF text declares the same structs; the layouts are
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

#endif
