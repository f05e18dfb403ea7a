// SPDX-License-Identifier: Apache-2.0
/* progtext: a method's program text, prelude and offsets in. */
#include <stdio.h>

#include "btf_off.h"
#include "kcompat.h"
#include "progtext.h"
#include "tool.h"

void prog_subst_offset(struct text *t, const char *token, const char *sname,
		       const char *member)
{
	int off = btf_member_offset(sname, member);
	char buf[128];

	if (off >= 0)
		snprintf(buf, sizeof(buf), "%d", off);
	else
		snprintf(buf, sizeof(buf), "offsetof(struct %s, %s)", sname,
			 member);
	text_replace(t, token, buf);
}

void prog_filter_pid(struct text *t, const char *token, int pid)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "if (pid != %d) { return 0; }", pid);
	text_replace(t, token, pid > 0 ? buf : "");
}

void prog_filter_family(struct text *t, int family)
{
	text_replace(t, "FILTER_FAMILY",
		     family == 4 ? "if (family != AF_INET) { return 0; }" :
		     family == 6 ? "if (family != AF_INET6) { return 0; }" : "");
}

/* The kernel struct fields of bpf_text/shared/sock.bpf.c. */
static const struct {
	const char *token, *sname, *member;
} sock_fields[] = {
	{ "SKC_FAMILY_OFF", "sock", "__sk_common.skc_family" },
	{ "SKC_STATE_OFF", "sock", "__sk_common.skc_state" },
	{ "SKC_NUM_OFF", "sock", "__sk_common.skc_num" },
	{ "SKC_DPORT_OFF", "sock", "__sk_common.skc_dport" },
	{ "SKC_RCV_SADDR_OFF", "sock", "__sk_common.skc_rcv_saddr" },
	{ "SKC_DADDR_OFF", "sock", "__sk_common.skc_daddr" },
	{ "SKC_V6_RCV_SADDR_OFF", "sock", "__sk_common.skc_v6_rcv_saddr" },
	{ "SKC_V6_DADDR_OFF", "sock", "__sk_common.skc_v6_daddr" },
	{ "SK_PROTOCOL_OFF", "sock", "sk_protocol" },
	{ "SK_ERR_OFF", "sock", "sk_err" },
	{ "INET_SPORT_OFF", "inet_sock", "inet_sport" },
	{ "TCP_COPIED_SEQ_OFF", "tcp_sock", "copied_seq" },
	{ "SKC_COOKIE_OFF", "sock", "__sk_common.skc_cookie" },
	{ "TCP_RCV_NXT_OFF", "tcp_sock", "rcv_nxt" },
	{ "TCP_BYTES_RECEIVED_OFF", "tcp_sock", "bytes_received" },
	{ "TASK_COMM_OFF", "task_struct", "comm" },
	{ "TASK_TGID_OFF", "task_struct", "tgid" },
};

void prog_text(const struct tool *tool, enum method m, struct text *t)
{
	if (m == M_KPROBE)
		kcompat_prelude(t);
	tool->build(t, m);
	for (size_t i = 0; i < sizeof(sock_fields) / sizeof(sock_fields[0]); i++)
		prog_subst_offset(t, sock_fields[i].token, sock_fields[i].sname,
				  sock_fields[i].member);
}
