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
} env = { .tool = TOOL_OPTS_INIT };

/* The original's int(duration_ms * 1000) when duration_ms is set. */
static unsigned long long duration_us;

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
	TOOL_OPT_EBPF(env.tool),
	TOOL_OPT_CHECK(env.tool),
};

static const struct arg_spec spec = {
	.description = "Trace TCP connects and show connection latency",
	.epilog = examples,
	.opts = opts,
	.nopts = sizeof(opts) / sizeof(opts[0]),
};

/*
 * The program for method m, substituted the way the original substitutes
 * its text. Only parsed numbers reach it: the PID and DURATION_US are
 * printed from integers.
 */
static void build_text(struct text *t, enum method m)
{
	char buf[32];

	if (duration_us > 0)
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
	if (duration_us > 0) {
		snprintf(buf, sizeof(buf), "%llu", duration_us);
		text_replace(t, "DURATION_US", buf);
	}
	/* The kprobe method filters as the original: by what it attaches.
	 * (FILTER_FAMILY first: FILTER is a prefix of it.) */
	prog_filter_family(t, tool_family(&env.tool));
	prog_filter_pid(t, "FILTER", env.pid);
}

/*
 * Cleanup and completion first, then the start: no entry is recorded
 * before what removes it is live.
 */
static const struct probe kprobe_probes[] = {
	{ BPROG_KPROBE, "trace_tcp_set_state", "tcp_set_state", false, 0 },
	{ BPROG_KPROBE, "trace_tcp_rcv_state_process", "tcp_rcv_state_process", false, 0 },
	{ BPROG_KPROBE, "trace_connect", "tcp_v4_connect", false, 4 },
	{ BPROG_KPROBE, "trace_connect", "tcp_v6_connect", false, 6 },
	{ 0 }
};

static const struct probe tracepoint_probes[] = {
	{ BPROG_RAW_TP, "raw_tracepoint__tcp_receive_reset", "tcp_receive_reset", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__inet_sock_set_state", "inet_sock_set_state", false, 0 },
	{ 0 }
};

static const struct probe fentry_probes[] = {
	{ BPROG_FENTRY, "kfunc__tcp_set_state", "tcp_set_state", false, 0 },
	{ BPROG_FENTRY, "kfunc__tcp_rcv_state_process", "tcp_rcv_state_process", false, 0 },
	{ BPROG_FENTRY, "kfunc__tcp_v4_connect", "tcp_v4_connect", false, 4 },
	{ BPROG_FENTRY, "kfunc__tcp_v6_connect", "tcp_v6_connect", false, 6 },
	{ 0 }
};

/* What the event handlers keep between events (events.ctx). */
struct trace {
	uint64_t start_ts;	/* -t: ts_us of the first event */
	int skipped_fd;		/* the BPF "skipped" counter */
	uint64_t skipped;	/* its value when last reported */
};

static void print_event(struct events *ev, uint64_t ts_us, uint32_t pid,
			const char *task, uint64_t ip, const char *saddr,
			uint16_t lport, const char *daddr, uint16_t dport,
			uint64_t delta_us)
{
	struct trace *tr = ev->ctx;
	char comm[4 * 12 + 1];
	int r = 0;

	if (env.timestamp) {
		if (tr->start_ts == 0)
			tr->start_ts = ts_us;
		r = printf("%-9.3f", ((double)ts_us - (double)tr->start_ts) / 1000000);
	}
	comm_fmt(comm, task, TASK_COMM_LEN, 12);
	if (r >= 0 && env.lport)
		r = printf("%-7u %s %-2d %-16s %-6u %-16s %-5u %.2f\n", pid, comm,
			   (int)ip, saddr, lport, daddr, dport,
			   (double)delta_us / 1000);
	else if (r >= 0)
		r = printf("%-7u %s %-2d %-16s %-16s %-5u %.2f\n", pid, comm,
			   (int)ip, saddr, daddr, dport, (double)delta_us / 1000);
	if (r < 0)
		ev->broken = true;
}

static void on_ipv4(void *ctx, int cpu, void *data, int size)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	struct ipv4_data e;

	if (size < (int)sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	inet_ntop(AF_INET, &e.saddr, s, sizeof(s));
	inet_ntop(AF_INET, &e.daddr, d, sizeof(d));
	print_event(ctx, e.ts_us, e.pid, e.task, e.ip, s, e.lport, d, e.dport,
		    e.delta_us);
}

static void on_ipv6(void *ctx, int cpu, void *data, int size)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	struct ipv6_data e;

	if (size < (int)sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	inet_ntop(AF_INET6, e.saddr, s, sizeof(s));
	inet_ntop(AF_INET6, e.daddr, d, sizeof(d));
	print_event(ctx, e.ts_us, e.pid, e.task, e.ip, s, e.lport, d, e.dport,
		    e.delta_us);
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
	.args = &spec,
	.probes = {
		[M_KPROBE] = kprobe_probes,
		[M_TRACEPOINT] = tracepoint_probes,
		[M_FENTRY] = fentry_probes,
	},
	.tracepoints_since = "Linux 4.16+",
	.build = build_text,
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

	args_parse(tcpconnlat.args, argc, argv);
	if (env.duration_ms)
		duration_us = to_duration_us(env.duration_ms);
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
