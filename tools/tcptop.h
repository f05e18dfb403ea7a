/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcptop: the keys of the BPF count tables (bpf_text/tcptop/maps.bpf.c) as
 * user space reads them: the wire format, pinned by its layout.
 */
#ifndef TCPTOP_H
#define TCPTOP_H

#include <stdint.h>

#include "comm.h"

/* struct ipv4_key_t in the BPF text. */
struct ipv4_key {
	uint32_t pid;
	char name[TASK_COMM_LEN];
	uint32_t saddr;		/* network order */
	uint32_t daddr;
	uint16_t lport;		/* host order */
	uint16_t dport;
	uint32_t gen;		/* which interval it belongs to */
};

/* struct ipv6_key_t in the BPF text. */
struct ipv6_key {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint32_t pid;
	char name[TASK_COMM_LEN];
	uint16_t lport;
	uint16_t dport;
	uint32_t gen;
	uint32_t pad;
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct ipv4_key) == 36, "ipv4_key_t layout");
_Static_assert(sizeof(struct ipv6_key) == 64, "ipv6_key_t layout");

#endif
