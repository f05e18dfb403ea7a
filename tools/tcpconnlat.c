// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnlat: trace TCP active connection latency (connect). A C port of
 * bcc's tools/tcpconnlat.py (Brendan Gregg, 2016; -L Suresh Kumar, 2021) on
 * libbcc, with the same options and output, and these fixes: connects that
 * never complete leave nothing behind (the original's table fills and it
 * silently stops tracing), a start time later than the end is skipped and
 * counted instead of printed as a huge latency, the header is printed only
 * once tracing is live, lost events are reported, and the stable
 * inet_sock_set_state tracepoint is used where the kernel has it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <bcc/libbpf.h>

#include "comm.h"
#include "events.h"
#include "msg.h"
#include "progtext.h"
#include "shared_text.h"
#include "tcpconnlat.h"
#include "tcpconnlat_text.h"
#include "tool.h"


static struct env {
	struct tool_opts tool;
	bool timestamp, lport;
	int pid;		/* 0: all */
	double duration_ms;	/* 0: show all */
	/* The original's int(duration_ms * 1000) when duration_ms is set. */
	unsigned long long duration_us;
} env = { .tool = TOOL_OPTS_INIT };

static const char examples[] =
	"examples:\n"
	"    ./tcpconnlat           # trace all TCP connect()s\n"
	"    ./tcpconnlat 1         # trace connection latency slower than 1 ms\n"
	"    ./tcpconnlat 0.1       # trace connection latency slower than 100 us\n"
	"    ./tcpconnlat -t        # include timestamps\n"
	"    ./tcpconnlat -p 181    # only trace PID 181\n"
	"    ./tcpconnlat -L        # include LPORT while printing outputs\n"
	"    ./tcpconnlat -4        # trace IPv4 family only\n"
	"    ./tcpconnlat -6        # trace IPv6 family only\n"
	"    ./tcpconnlat --attach tracepoint  # use stable tracepoints\n";

static const struct arg_opt opts[] = {
	{ 't', "timestamp", NULL, "include timestamp on output", ARG_FLAG, 0,
	  NULL, &env.timestamp, NULL },
	{ 'p', "pid", NULL, "trace this PID only", ARG_VALUE, 0, args_parse_pid,
	  &env.pid, NULL },
	{ 'L', "lport", NULL, "include LPORT on output", ARG_FLAG, 0, NULL,
	  &env.lport, NULL },
	TOOL_OPT_IPV4(env.tool),
	TOOL_OPT_IPV6(env.tool),
	{ 0, "duration_ms", NULL, "minimum duration to trace (ms)",
	  ARG_POSITIONAL, 0, args_parse_duration_ms, &env.duration_ms, NULL },
	TOOL_OPT_VERBOSE(env.tool, "print the BPF program for debugging purposes"),
	TOOL_OPT_ATTACH(env.tool),
	TOOL_OPT_NO_CACHE(env.tool),
	TOOL_OPTS_HIDDEN(env.tool),
};

/*
 * The program for method m, substituted the way the original substitutes
 * its text. Only parsed numbers reach it: the PID and DURATION_US are
 * printed from integers.
 */
static void build_text(struct text *t, enum method m)
{
	char buf[32];

	if (env.duration_us > 0)
		text_add(t, "#define MIN_LATENCY\n");
	text_add(t, "\n");
	/* The kprobe program is bcc's, with its headers. */
	text_add(t, m == M_KPROBE ? bpf_tcpconnlat_kprobe_headers :
				    bpf_shared_btf_kernel);
	text_add(t, bpf_tcpconnlat_maps);
	if (m == M_KPROBE) {
		text_add(t, "\n");
		text_add(t, bpf_tcpconnlat_kprobe_probes);
	} else {
		text_add(t, bpf_shared_sock);
		text_add(t, "\n");
		text_add(t, bpf_tcpconnlat_btf_report);
		text_add(t, "\n");
		text_add(t, m == M_TRACEPOINT ? bpf_tcpconnlat_tracepoint_probes :
						 bpf_tcpconnlat_fentry_probes);
	}
	if (env.duration_us > 0) {
		snprintf(buf, sizeof(buf), "%llu", env.duration_us);
		text_replace(t, "DURATION_US", buf);
	}
	/* The kprobe method filters as the original: by what it attaches.
	 * (FILTER_FAMILY first: FILTER is a prefix of it.) */
	prog_filter_family(t, tool_family(&env.tool));
	prog_filter_pid(t, "FILTER", env.pid);
}

/* What the event handlers keep between events (events.ctx). */
struct trace {
	uint64_t start_ts;	/* -t: ts_us of the first event */
	int skipped_fd;		/* the BPF "skipped" counter */
	uint64_t skipped;	/* its value when last reported */
};

/* One event of either family, printed as the original prints it. */
static void print_event(struct events *ev, int family, const void *saddr,
			const void *daddr, const struct ipv4_data *e4,
			const struct ipv6_data *e6)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], comm[4 * 12 + 1];
	uint64_t ts_us = e4 ? e4->ts_us : e6->ts_us;
	uint64_t delta_us = e4 ? e4->delta_us : e6->delta_us;
	uint32_t pid = e4 ? e4->pid : e6->pid;
	uint16_t lport = e4 ? e4->lport : e6->lport;
	uint16_t dport = e4 ? e4->dport : e6->dport;
	int ip = (int)(e4 ? e4->ip : e6->ip);
	struct trace *tr = ev->ctx;
	int r = 0;

	inet_ntop(family, saddr, s, sizeof(s));
	inet_ntop(family, daddr, d, sizeof(d));
	comm_fmt(comm, e4 ? e4->task : e6->task, TASK_COMM_LEN, 12);
	if (env.timestamp) {
		if (tr->start_ts == 0)
			tr->start_ts = ts_us;
		r = printf("%-9.3f", ((double)ts_us - (double)tr->start_ts) / 1000000);
	}
	if (r >= 0 && env.lport)
		r = printf("%-7u %s %-2d %-16s %-6u %-16s %-5u %.2f\n", pid, comm,
			   ip, s, lport, d, dport, (double)delta_us / 1000);
	else if (r >= 0)
		r = printf("%-7u %s %-2d %-16s %-16s %-5u %.2f\n", pid, comm,
			   ip, s, d, dport, (double)delta_us / 1000);
	if (r < 0)
		ev->broken = true;
}

/* Perf data is not aligned for the structs: copied out first. */
static void on_ipv4(void *ctx, int cpu, void *data, int size)
{
	struct ipv4_data e;

	if (size >= (int)sizeof(e) && memcpy(&e, data, sizeof(e)))
		print_event(ctx, AF_INET, &e.saddr, &e.daddr, &e, NULL);
}

static void on_ipv6(void *ctx, int cpu, void *data, int size)
{
	struct ipv6_data e;

	if (size >= (int)sizeof(e) && memcpy(&e, data, sizeof(e)))
		print_event(ctx, AF_INET6, e.saddr, e.daddr, NULL, &e);
}

/* After each poll: connects the kernel side skipped since the last one. */
static void report_skipped(struct events *ev)
{
	struct trace *tr = ev->ctx;
	uint64_t total = 0;
	int zero = 0;

	if (bpf_lookup_elem(tr->skipped_fd, &zero, &total) ||
	    total <= tr->skipped)
		return;
	p_warn("skipped %llu connects whose start time is later than their end (the clock went backwards)",
	       (unsigned long long)(total - tr->skipped));
	tr->skipped = total;
}

/* Python's int(ms * 1000); argparse accepted ms: finite, >= 0, < 2^64 us. */
static unsigned long long to_duration_us(double ms)
{
	double us = ms * 1000;

	return us < 18446744073709551616.0 ? (unsigned long long)us : ~0ULL;
}

static const struct tool tcpconnlat = {
	.name = "tcpconnlat",
	.args = TOOL_ARGS("Trace TCP connects and show connection latency",
			  examples, opts),
	.build = build_text,
	/*
	 * Cleanup and completion first, then the start: no entry is recorded
	 * before what removes it is live.
	 */
	.probes[M_KPROBE] = (const struct probe[]){
		PROBE_KPROBE(trace_tcp_set_state, tcp_set_state),
		PROBE_KPROBE(trace_tcp_rcv_state_process, tcp_rcv_state_process),
		PROBE_KPROBE(trace_connect, tcp_v4_connect, .family = 4),
		PROBE_KPROBE(trace_connect, tcp_v6_connect, .family = 6), { 0 }
	},
	.probes[M_TRACEPOINT] = (const struct probe[]){
		PROBE_RAW_TP(tcp_receive_reset), PROBE_RAW_TP(inet_sock_set_state),
		{ 0 }
	},
	.tracepoints_since = "Linux 4.16+",
	.probes[M_FENTRY] = (const struct probe[]){
		PROBE_FENTRY(tcp_set_state), PROBE_FENTRY(tcp_rcv_state_process),
		PROBE_FENTRY(tcp_v4_connect, .family = 4),
		PROBE_FENTRY(tcp_v6_connect, .family = 6), { 0 }
	},
};

/* The header, once tracing is live: every connect completing from here. */
static void print_header(void)
{
	if (env.timestamp)
		printf("%-9s", "TIME(s)");
	if (env.lport)
		printf("%-7s %-12s %-2s %-16s %-6s %-16s %-5s %s\n", "PID", "COMM",
		       "IP", "SADDR", "LPORT", "DADDR", "DPORT", "LAT(ms)");
	else
		printf("%-7s %-12s %-2s %-16s %-16s %-5s %s\n", "PID", "COMM", "IP",
		       "SADDR", "DADDR", "DPORT", "LAT(ms)");
}

int main(int argc, char **argv)
{
	struct trace tr = { 0 };
	struct events ev = { .tick = report_skipped, .ctx = &tr };
	struct bprog *p = NULL;
	int ret;

	args_parse(&tcpconnlat.args, argc, argv);
	if (env.duration_ms)
		env.duration_us = to_duration_us(env.duration_ms);
	ret = tool_open(&tcpconnlat, &env.tool, &p);
	if (ret <= 0) {
		ret = ret < 0;
		goto cleanup;
	}
	ret = 1;
	tr.skipped_fd = bprog__table_fd(p, "skipped");
	if (tr.skipped_fd < 0 ||
	    (!env.tool.ipv6 && events_open(p, "ipv4_events", on_ipv4, &ev)) ||
	    (!env.tool.ipv4 && events_open(p, "ipv6_events", on_ipv6, &ev))) {
		p_err("%s", bprog__errmsg(p));
		goto cleanup;
	}
	print_header();
	ret = events_loop(p, &ev) ? 1 : 0;
cleanup:
	tool_close(p);
	return ret;
}
