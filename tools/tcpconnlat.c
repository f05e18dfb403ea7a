// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnlat: trace TCP active connection latency (connect). A C port of
 * bcc's tools/tcpconnlat.py (Brendan Gregg, 2016; -L Suresh Kumar, 2021) on
 * libbcc, with the same options and output, and these fixes: connects that
 * never complete leave nothing behind (the original's table fills and it
 * silently stops tracing), a start time later than the end is skipped and
 * counted instead of printed as a huge latency, the header is printed only
 * once tracing is live, lost events are reported, and the stable
 * inet_sock_set_state tracepoint is used where the kernel has it. New:
 * -j (JSON lines) and --failed (connects that end unanswered, and how).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bcc/libbpf.h>

#include "comm.h"
#include "events.h"
#include "json.h"
#include "msg.h"
#include "progtext.h"
#include "shared_text.h"
#include "tcpconnlat.h"
#include "tcpconnlat_text.h"
#include "tool.h"


static struct env {
	struct tool_opts tool;
	bool timestamp, lport;
	bool failed;		/* --failed: also connects that fail */
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
	"    ./tcpconnlat --attach tracepoint  # use stable tracepoints\n"
	"    ./tcpconnlat -j        # JSON lines, one object per connect\n"
	"    ./tcpconnlat --failed  # also failed connects, with a RESULT\n";

static const struct arg_opt opts[] = {
	{ 't', "timestamp", NULL, "include timestamp on output", ARG_FLAG, 0,
	  NULL, &env.timestamp, NULL },
	{ 'p', "pid", NULL, "trace this PID only", ARG_VALUE, 0, args_parse_pid,
	  &env.pid, NULL },
	{ 'L', "lport", NULL, "include LPORT on output", ARG_FLAG, 0, NULL,
	  &env.lport, NULL },
	TOOL_OPT_JSON(env.tool),
	{ 0, "failed", NULL,
	  "also show connects that fail, with a RESULT (tracepoint method)",
	  ARG_FLAG, 0, NULL, &env.failed, NULL },
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
	bool ext = env.tool.json || env.failed;
	char buf[32];

	if (env.duration_us > 0)
		text_add(t, "#define MIN_LATENCY\n");
	/* -j and --failed: not with kprobe (ext_allows()). */
	if (ext)
		text_add(t, "#define CONNLAT_EXT\n");
	if (env.failed)
		text_add(t, "#define CONNLAT_FAILED\n");
	text_add(t, "\n");
	/* The kprobe program is bcc's, with its headers. */
	text_add(t, m == M_KPROBE ? bpf_tcpconnlat_kprobe_headers :
				    bpf_shared_btf_kernel);
	text_add(t, ext ? bpf_tcpconnlat_ext_maps : bpf_tcpconnlat_maps);
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
	int64_t wall_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	int skipped_fd;		/* the BPF "skipped" counter */
	uint64_t skipped;	/* its value when last reported */
	int unseen_fd;		/* tracepoint method: "unseen", else < 0 */
	uint64_t unseen;	/* its value when last reported */
	struct text json;	/* -j: the line being built */
};

/* One connect from either wire format, as both outputs print it. */
struct conn {
	uint64_t ts_ns;		/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	uint64_t delta_us;
	uint32_t pid, tid;	/* tid: -j and --failed only */
	int ip;			/* 4 or 6 */
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];
	uint16_t lport, dport;
	int result;		/* RESULT_OK, an errno, RESULT_ABORTED */
	const char *task;	/* TASK_COMM_LEN bytes */
};

/* RESULT and "result": ok, the errno's name, or aborted. */
static const char *result_name(int result, char *buf, size_t len)
{
	const char *name;

	if (result == RESULT_OK)
		return "ok";
	if (result == RESULT_ABORTED)
		return "aborted";
	name = strerrorname_np(result);
	if (name)
		return name;
	snprintf(buf, len, "E%d", result);
	return buf;
}

/* The original's line; --failed adds RESULT. */
static int print_text(struct trace *tr, const struct conn *c)
{
	char comm[4 * 12 + 1], rbuf[16];
	double lat_ms = (double)c->delta_us / 1000;
	uint64_t ts_us = c->ts_ns / 1000;
	int r = 0;

	comm_fmt(comm, c->task, TASK_COMM_LEN, 12);
	if (env.timestamp) {
		if (tr->start_ts == 0)
			tr->start_ts = ts_us;
		r = printf("%-9.3f", ((double)ts_us - (double)tr->start_ts) / 1000000);
	}
	if (r >= 0 && env.lport)
		r = printf("%-7u %s %-2d %-16s %-6u %-16s %-5u ", c->pid, comm,
			   c->ip, c->saddr, c->lport, c->daddr, c->dport);
	else if (r >= 0)
		r = printf("%-7u %s %-2d %-16s %-16s %-5u ", c->pid, comm, c->ip,
			   c->saddr, c->daddr, c->dport);
	if (r >= 0 && env.failed)
		r = printf("%-9.2f %s\n", lat_ms,
			   result_name(c->result, rbuf, sizeof(rbuf)));
	else if (r >= 0)
		r = printf("%.2f\n", lat_ms);
	return r;
}

/* One JSON object (README.md, "JSON lines"); the time as wall clock. */
static int print_json(struct trace *tr, const struct conn *c)
{
	int64_t ns = (int64_t)c->ts_ns + tr->wall_ns;
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	struct text *t = &tr->json;
	char rbuf[16];

	t->len = 0;
	json_begin(t, "connect");
	json_time(t, &ts);
	json_uint(t, "pid", c->pid);
	json_uint(t, "tid", c->tid);
	json_strn(t, "comm", c->task, TASK_COMM_LEN);
	json_int(t, "family", c->ip);
	json_str(t, "saddr", c->saddr);
	json_uint(t, "lport", c->lport);
	json_str(t, "daddr", c->daddr);
	json_uint(t, "dport", c->dport);
	json_uint(t, "lat_us", c->delta_us);
	json_fixed(t, "lat_ms", (double)c->delta_us / 1000, 3);
	if (env.failed)
		json_str(t, "result", result_name(c->result, rbuf, sizeof(rbuf)));
	json_end(t);
	return fwrite(t->s, 1, t->len, stdout) == t->len ? 0 : -1;
}

static void print_conn(struct events *ev, const struct conn *c)
{
	struct trace *tr = ev->ctx;

	if ((env.tool.json ? print_json(tr, c) : print_text(tr, c)) < 0)
		ev->broken = true;
}

/* Perf data is not aligned for the structs: copied out first. */
static void on_ipv4(void *ctx, int cpu, void *data, int size)
{
	struct ipv4_data e;
	struct conn c;

	if (size < (int)sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	c = (struct conn){ .ts_ns = e.ts_us * 1000, .delta_us = e.delta_us,
			   .pid = e.pid, .ip = 4, .lport = e.lport,
			   .dport = e.dport, .task = e.task };
	inet_ntop(AF_INET, &e.saddr, c.saddr, sizeof(c.saddr));
	inet_ntop(AF_INET, &e.daddr, c.daddr, sizeof(c.daddr));
	print_conn(ctx, &c);
}

static void on_ipv6(void *ctx, int cpu, void *data, int size)
{
	struct ipv6_data e;
	struct conn c;

	if (size < (int)sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	c = (struct conn){ .ts_ns = e.ts_us * 1000, .delta_us = e.delta_us,
			   .pid = e.pid, .ip = 6, .lport = e.lport,
			   .dport = e.dport, .task = e.task };
	inet_ntop(AF_INET6, e.saddr, c.saddr, sizeof(c.saddr));
	inet_ntop(AF_INET6, e.daddr, c.daddr, sizeof(c.daddr));
	print_conn(ctx, &c);
}

/* -j, --failed: struct event, either family. */
static void on_event(void *ctx, int cpu, void *data, int size)
{
	int family;
	struct event e;
	struct conn c;

	if (size < (int)sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	family = e.ip == 6 ? AF_INET6 : AF_INET;
	c = (struct conn){ .ts_ns = e.ts_ns, .delta_us = e.delta_us,
			   .pid = e.pid, .tid = e.tid, .ip = e.ip,
			   .lport = e.lport, .dport = e.dport,
			   .result = e.result, .task = e.task };
	inet_ntop(family, e.saddr, c.saddr, sizeof(c.saddr));
	inet_ntop(family, e.daddr, c.daddr, sizeof(c.daddr));
	print_conn(ctx, &c);
}

/* How far a BPF counter grew since *last (updated); 0 when unreadable. */
static uint64_t counter_growth(int fd, uint64_t *last)
{
	uint64_t total = 0, grew;
	int zero = 0;

	if (fd < 0 || bpf_lookup_elem(fd, &zero, &total) || total <= *last)
		return 0;
	grew = total - *last;
	*last = total;
	return grew;
}

/* After each poll: connects the kernel side skipped since the last one. */
static void report_skipped(struct events *ev)
{
	struct trace *tr = ev->ctx;
	uint64_t n;

	if ((n = counter_growth(tr->skipped_fd, &tr->skipped)))
		p_warn("skipped %llu connects whose start time is later than their end (the clock went backwards)",
		       (unsigned long long)n);
	if ((n = counter_growth(tr->unseen_fd, &tr->unseen)))
		p_warn("%llu connects ended unseen (the kernel ran no program of this tool for their end): not shown",
		       (unsigned long long)n);
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
	.batched_output = true,		/* runtime/events.c */
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
		PROBE_RAW_TP(tcp_receive_reset, .paired = true),
		PROBE_RAW_TP(inet_sock_set_state, .paired = true),
		/* Nested runs: bpf_text/tcpconnlat/tracepoint_probes.bpf.c. */
		PROBE_RAW_TP_AGAIN(tcp_receive_reset),
		PROBE_RAW_TP_AGAIN(inet_sock_set_state), { 0 }
	},
	.tracepoints_since = "Linux 4.16+",
	.probes[M_FENTRY] = (const struct probe[]){
		PROBE_FENTRY(tcp_set_state, .paired = true),
		PROBE_FENTRY(tcp_rcv_state_process, .paired = true),
		/* Nested runs: bpf_text/tcpconnlat/fentry_probes.bpf.c. */
		PROBE_FENTRY_AGAIN(tcp_set_state),
		PROBE_FENTRY_AGAIN(tcp_rcv_state_process),
		PROBE_FENTRY(tcp_v4_connect, .family = 4),
		PROBE_FENTRY(tcp_v6_connect, .family = 6), { 0 }
	},
};

/*
 * The header, once tracing is live: every connect ending from here. With
 * -j it is only that signal, on stderr: stdout carries JSON only.
 */
static void print_header(void)
{
	FILE *f = env.tool.json ? stderr : stdout;

	if (env.timestamp)
		fprintf(f, "%-9s", "TIME(s)");
	if (env.lport)
		fprintf(f, "%-7s %-12s %-2s %-16s %-6s %-16s %-5s ", "PID", "COMM",
			"IP", "SADDR", "LPORT", "DADDR", "DPORT");
	else
		fprintf(f, "%-7s %-12s %-2s %-16s %-16s %-5s ", "PID", "COMM", "IP",
			"SADDR", "DADDR", "DPORT");
	if (env.failed)
		fprintf(f, "%-9s %s\n", "LAT(ms)", "RESULT");
	else
		fprintf(f, "%s\n", "LAT(ms)");
}

/*
 * Why method m cannot run these options, or NULL. -j needs the thread,
 * which bcc's kprobe program (kept as it is) does not record; --failed
 * needs the change out of SYN_SENT with sk_err, which only the tracepoint
 * method reports as such (README.md, "Failed connects").
 */
static const char *ext_refusal(enum method m)
{
	if (m == M_KPROBE && env.failed)
		return "--failed needs the tracepoint method: the kprobe method runs bcc's program, which does not see how a connect fails (try --attach tracepoint)";
	if (m == M_KPROBE && env.tool.json)
		return "-j needs the tracepoint or fentry method: the kprobe method runs bcc's program, which does not record the connecting thread (try --attach auto)";
	if (m == M_FENTRY && env.failed)
		return "--failed needs the tracepoint method: the fentry method does not see how a connect fails (try --attach tracepoint)";
	return NULL;
}

/* The wall clock's offset from bpf_ktime_get_ns()'s, for -j's "time". */
static int64_t wall_offset_ns(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &rt);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 +
	       (rt.tv_nsec - mono.tv_nsec);
}

int main(int argc, char **argv)
{
	struct trace tr = { 0 };
	struct events ev = { .tick = report_skipped, .ctx = &tr };
	struct tool t = tcpconnlat;
	struct bprog *p = NULL;
	const char *why;
	bool ext;
	int ret;

	args_parse(&tcpconnlat.args, argc, argv);
	if (env.duration_ms)
		env.duration_us = to_duration_us(env.duration_ms);
	ext = env.tool.json || env.failed;
	/* Named, such a method is an error; auto passes over it. */
	for (int m = M_KPROBE; m < NR_METHODS; m++) {
		why = ext_refusal((enum method)m);
		if (why && !strcmp(env.tool.attach, method_names[m])) {
			p_err("%s", why);
			return 1;
		}
		if (why)
			t.probes[m] = NULL;
	}
	ret = tool_open(&t, &env.tool, &p);
	if (ret <= 0) {
		ret = ret < 0;
		goto cleanup;
	}
	ret = 1;
	tr.skipped_fd = bprog__table_fd(p, "skipped");
	tr.unseen_fd = bprog__table_fd(p, "unseen");
	tr.wall_ns = wall_offset_ns();
	if (tr.skipped_fd < 0 ||
	    (ext && events_open(p, "events", on_event, 1, &ev)) ||
	    (!ext && !env.tool.ipv6 &&
	     events_open(p, "ipv4_events", on_ipv4, 1000, &ev)) ||
	    (!ext && !env.tool.ipv4 &&
	     events_open(p, "ipv6_events", on_ipv6, 1000, &ev))) {
		p_err("%s", bprog__errmsg(p));
		goto cleanup;
	}
	print_header();
	ret = events_loop(p, &ev) ? 1 : 0;
cleanup:
	tool_close(p);
	text_free(&tr.json);
	return ret;
}
