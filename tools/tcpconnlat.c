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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bcc/libbpf.h>

#include "args.h"
#include "bccprog.h"
#include "btf_off.h"
#include "tcpconnlat.h"
#include "text.h"
#include "tool.h"

#include "tcpconnlat_text.h"
#include "shared_text.h"


static struct env {
	bool timestamp, lport, ipv4, ipv6, verbose, ebpf;
	int pid;		/* 0: all */
	double duration_ms;	/* 0: show all */
	const char *attach;
	const char *check;	/* hidden --x-check: "compile" or "load" */
} env = { .attach = "auto" };

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
	{ '4', "ipv4", NULL, "trace IPv4 family only", ARG_FLAG, 1, NULL,
	  &env.ipv4, NULL },
	{ '6', "ipv6", NULL, "trace IPv6 family only", ARG_FLAG, 1, NULL,
	  &env.ipv6, NULL },
	{ 0, "duration_ms", NULL, "minimum duration to trace (ms)",
	  ARG_POSITIONAL, 0, args_parse_duration_ms, &env.duration_ms, NULL },
	{ 'v', "verbose", NULL, "print the BPF program for debugging purposes",
	  ARG_FLAG, 0, NULL, &env.verbose, NULL },
	{ 0, "attach", NULL, "how to attach: auto (default) picks what works here",
	  ARG_VALUE, 0, NULL, &env.attach, method_names },
	{ 0, "ebpf", NULL, NULL, ARG_FLAG, 0, NULL, &env.ebpf, NULL },
	/*
	 * For tests (as tcptop's): stop after compiling, or after loading
	 * every program (the kernel verifier) without attaching.
	 */
	{ 0, "x-check", NULL, NULL, ARG_VALUE, 0, NULL, &env.check, check_names },
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
	char buf[256];

	if (duration_us > 0)
		text_add(t, "#define MIN_LATENCY\n");
	text_add(t, "\n");
	/* The kprobe program is bcc's, with its headers. */
	text_add(t, m == M_KPROBE ? bpf_tcpconnlat_headers : bpf_shared_kernel);
	text_add(t, bpf_tcpconnlat_common);
	if (m == M_KPROBE) {
		text_add(t, "\n");
		text_add(t, bpf_tcpconnlat_kprobe);
	} else {
		text_add(t, bpf_shared_sock);
		text_add(t, "\n");
		text_add(t, bpf_tcpconnlat_report);
		text_add(t, "\n");
		text_add(t, m == M_TRACEPOINT ? bpf_tcpconnlat_tracepoint :
						 bpf_tcpconnlat_fentry);
	}
	if (duration_us > 0) {
		snprintf(buf, sizeof(buf), "%llu", duration_us);
		text_replace(t, "DURATION_US", buf);
	}
	if (env.pid) {
		snprintf(buf, sizeof(buf), "if (pid != %d) { return 0; }", env.pid);
		text_replace(t, "FILTER", buf);
	} else {
		text_replace(t, "FILTER", "");
	}
	/* The kprobe method filters as the original: by what it attaches. */
	if (env.ipv4 || env.ipv6) {
		snprintf(buf, sizeof(buf),
			 "u16 family = SK_FAMILY(sk); if (family != %s) { return 0; }",
			 env.ipv4 ? "AF_INET" : "AF_INET6");
		text_replace(t, "FAMILY_CHECK", buf);
	} else {
		text_replace(t, "FAMILY_CHECK", "");
	}
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

struct output {
	uint64_t start_ts;	/* -t: ts_us of the first event */
	uint64_t lost;
	bool broken;		/* stdout is gone (EPIPE) */
};

static void print_event(struct output *o, uint64_t ts_us, uint32_t pid,
			const char *task, uint64_t ip, const char *saddr,
			uint16_t lport, const char *daddr, uint16_t dport,
			uint64_t delta_us)
{
	char comm[4 * 12 + 1];
	int r = 0;

	if (env.timestamp) {
		if (o->start_ts == 0)
			o->start_ts = ts_us;
		r = printf("%-9.3f", ((double)ts_us - (double)o->start_ts) / 1000000);
	}
	text_fmt_comm(comm, task, TASK_COMM_LEN, 12);
	if (r >= 0 && env.lport)
		r = printf("%-7u %s %-2d %-16s %-6u %-16s %-5u %.2f\n", pid, comm,
			   (int)ip, saddr, lport, daddr, dport,
			   (double)delta_us / 1000);
	else if (r >= 0)
		r = printf("%-7u %s %-2d %-16s %-16s %-5u %.2f\n", pid, comm,
			   (int)ip, saddr, daddr, dport, (double)delta_us / 1000);
	if (r < 0)
		o->broken = true;
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

static void on_lost(void *ctx, uint64_t lost)
{
	struct output *o = ctx;

	o->lost += lost;
	fail("WARNING: lost %llu events: the perf buffer was full (output too slow?)",
	     (unsigned long long)lost);
}

/* Report connects the kernel side skipped since the last call. */
static void report_skipped(int fd, uint64_t *seen)
{
	uint64_t total = 0;
	int zero = 0;

	if (bpf_lookup_elem(fd, &zero, &total) || total <= *seen)
		return;
	fail("WARNING: skipped %llu connects whose start time is later than their end (the clock went backwards)",
	     (unsigned long long)(total - *seen));
	*seen = total;
}

/* Python's int(ms * 1000); argparse accepted ms: finite, >= 0, < 2^64 us. */
static unsigned long long to_duration_us(double ms)
{
	double us = ms * 1000;

	return us < 18446744073709551616.0 ? (unsigned long long)us : ~0ULL;
}

int main(int argc, char **argv)
{
	struct tool_methods methods = {
		.probes = {
			[M_KPROBE] = kprobe_probes,
			[M_TRACEPOINT] = tracepoint_probes,
			[M_FENTRY] = fentry_probes,
		},
		.tracepoints_since = "Linux 4.16+",
		.build = build_text,
	};
	struct output out = { 0 };
	struct text why = { 0 }, t = { 0 };
	enum method cand[3], chosen = M_AUTO;
	struct bprog *p = NULL;
	uint64_t skipped = 0;
	int skipped_fd, ret = 1;

	args_parse(&spec, argc, argv);
	methods.family = env.ipv4 ? 4 : env.ipv6 ? 6 : 0;
	methods.check = env.check;
	if (env.duration_ms)
		duration_us = to_duration_us(env.duration_ms);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (env.ebpf) {
		/* Without root nothing can be tried: print the likeliest. */
		chosen = tool_candidates(&methods, env.attach, cand, &why) ?
			 cand[0] : M_KPROBE;
		fprintf(stderr, "tcpconnlat: attach method: %s\n",
			method_names[chosen]);
		tool_text(&methods, chosen, &t);
		printf("%s\n", text_str(&t));
		ret = 0;
		goto cleanup;
	}

	if (!tool_host_ready())
		goto cleanup;
	/* Ctrl-C from now on (compiling takes a while) ends us cleanly. */
	tool_catch_signals();
	p = tool_start_any(&methods, env.attach, &chosen, &tool_exiting);
	if (tool_exiting) {
		ret = 0;
		goto cleanup;
	}
	if (!p)
		goto cleanup;
	if (env.verbose || env.check)
		fprintf(stderr, "tcpconnlat: %s method: %s\n",
			!env.check ? "attached" :
			*env.check == 'c' ? "compiled" : "loaded",
			method_names[chosen]);
	if (env.check) {
		ret = 0;
		goto cleanup;
	}
	if (env.verbose) {
		tool_text(&methods, chosen, &t);
		printf("%s\n", text_str(&t));
	}

	skipped_fd = bprog__table_fd(p, "skipped");
	if (skipped_fd < 0 ||
	    (!env.ipv6 && bprog__open_perf(p, "ipv4_events", on_ipv4, on_lost,
					   &out, 64)) ||
	    (!env.ipv4 && bprog__open_perf(p, "ipv6_events", on_ipv6, on_lost,
					   &out, 64))) {
		fail("%s", bprog__errmsg(p));
		goto cleanup;
	}

	/* Tracing is live: every connect completing from here is seen. */
	if (env.timestamp)
		printf("%-9s", "TIME(s)");
	if (env.lport)
		printf("%-7s %-12s %-2s %-16s %-6s %-16s %-5s %s\n", "PID", "COMM",
		       "IP", "SADDR", "LPORT", "DADDR", "DPORT", "LAT(ms)");
	else
		printf("%-7s %-12s %-2s %-16s %-16s %-5s %s\n", "PID", "COMM", "IP",
		       "SADDR", "DADDR", "DPORT", "LAT(ms)");
	ret = 0;
	while (!tool_exiting && !out.broken && !ferror(stdout)) {
		/* A short timeout bounds the wait for a signal that lands
		 * between the check of tool_exiting and the poll. */
		int r = bprog__poll(p, 200);

		if (r < 0 && r != -EINTR) {
			fail("%s", bprog__errmsg(p));
			ret = 1;
			break;
		}
		report_skipped(skipped_fd, &skipped);
	}
	/* What completed before the signal is still printed. */
	if (!out.broken)
		bprog__poll(p, 0);
	report_skipped(skipped_fd, &skipped);
	if (out.lost)
		fail("WARNING: lost %llu events in total", (unsigned long long)out.lost);
cleanup:
	bprog__destroy(p);
	btf_off_cleanup();
	text_free(&t);
	text_free(&why);
	return ret;
}
