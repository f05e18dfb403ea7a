// SPDX-License-Identifier: Apache-2.0
/*
 * tcptop: summarize TCP send/recv throughput by host. A C port of bcc's
 * tools/tcptop.py (Brendan Gregg, 2016) on libbcc, with the same options and
 * output, and these fixes: received bytes are the advance of copied_seq (not
 * tcp_cleanup_rbuf()'s running total), intervals are read without losing
 * concurrent updates, full tables are reported, and stable tracepoints are
 * used where the kernel has them. Added: -j (JSON lines) and, as in
 * libbpf-tools, -c (a cgroup v2 directory).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bcc/libbpf.h>

#include "btf_off.h"
#include "containers.h"
#include "msg.h"
#include "progtext.h"
#include "shared_text.h"
#include "tcptop_ccache.h"
#include "tcptop_report.h"
#include "tcptop_start.h"
#include "tcptop_text.h"
#include "tool.h"

static const char *const sort_names[] = { "all", "sent", "received", NULL };

static struct env {
	struct tool_opts tool;
	struct containers containers;	/* --cgroupmap, --mntnsmap, -c */
	bool noclear, nosummary;
	int pid;		/* 0: all */
	int interval;		/* seconds */
	int count;		/* 0: forever */
	int rows;		/* 0: fit the screen */
	const char *sort;
} env = { .tool = TOOL_OPTS_INIT, .interval = 1, .sort = "all" };

static const char examples[] =
	"examples:\n"
	"    ./tcptop           # trace TCP send/recv by host\n"
	"    ./tcptop -C        # don't clear the screen\n"
	"    ./tcptop -p 181    # only trace PID 181\n"
	"    ./tcptop --cgroupmap mappath  # only trace cgroups in this BPF map\n"
	"    ./tcptop --mntnsmap mappath   # only trace mount namespaces in the map\n"
	"    ./tcptop -c /sys/fs/cgroup/app  # only trace this cgroup and below\n"
	"    ./tcptop -4        # trace IPv4 family only\n"
	"    ./tcptop -6        # trace IPv6 family only\n"
	"    ./tcptop -s sent   # sort by bytes sent\n"
	"    ./tcptop -r 10     # show at most 10 rows per table\n"
	"    ./tcptop -j        # JSON lines: bytes per connection per interval\n"
	"    ./tcptop --attach tracepoint  # use stable tracepoints\n";

static const struct arg_opt opts[] = {
	{ 'C', "noclear", NULL, "don't clear the screen", ARG_FLAG, 0, NULL,
	  &env.noclear, NULL },
	{ 'S', "nosummary", NULL, "skip system summary line", ARG_FLAG, 0, NULL,
	  &env.nosummary, NULL },
	{ 'p', "pid", NULL, "trace this PID only", ARG_VALUE, 0, args_parse_pid,
	  &env.pid, NULL },
	{ 0, "interval", NULL, "output interval, in seconds (default 1)",
	  ARG_POSITIONAL, 0, args_parse_positive_int, &env.interval, NULL },
	{ 0, "count", NULL, "number of outputs", ARG_POSITIONAL, 0,
	  args_parse_positive_int, &env.count, NULL },
	{ 0, "cgroupmap", NULL, "trace cgroups in this BPF map only", ARG_VALUE,
	  0, args_parse_map_path, &env.containers.cgroupmap, NULL },
	{ 0, "mntnsmap", NULL, "trace mount namespaces in this BPF map only",
	  ARG_VALUE, 0, args_parse_map_path, &env.containers.mntnsmap, NULL },
	{ 'c', "cgroup", "PATH",
	  "trace only processes in this cgroup v2 directory and its descendants",
	  ARG_VALUE, 0, NULL, &env.containers.cgroup, NULL },
	TOOL_OPT_IPV4(env.tool),
	TOOL_OPT_IPV6(env.tool),
	{ 's', "sort", NULL, "sort rows by this byte count (default all)",
	  ARG_VALUE, 0, NULL, &env.sort, sort_names },
	{ 'r', "rows", NULL,
	  "show at most ROWS rows per table (default: fit the screen)",
	  ARG_VALUE, 0, args_parse_positive_int, &env.rows, NULL },
	TOOL_OPT_JSON(env.tool),
	TOOL_OPT_ATTACH(env.tool),
	TOOL_OPT_NO_CACHE(env.tool),
	TOOL_OPT_VERBOSE(env.tool, "print the attach method and BPF program"),
	TOOL_OPTS_HIDDEN(env.tool),
};

/*
 * The program of method m: bcc's for kprobe (its headers, its order), the
 * BTF methods' own otherwise (bpf_text/tcptop/), with bcc's substitutions.
 */
static void build_text(struct text *t, enum method m)
{
	struct text prog = { 0 };

	text_add(&prog, "\n");
	if (m == M_KPROBE) {
		text_add(&prog, bpf_tcptop_kprobe_headers);
		text_add(&prog, bpf_shared_sock);
		text_add(&prog, bpf_tcptop_maps);
		text_add(&prog, bpf_tcptop_rcv_lru);
		text_add(&prog, bpf_tcptop_rcv);
		text_add(&prog, "\n");
		text_add(&prog, bpf_tcptop_kprobe_probes);
	} else {
		text_add(t, bpf_shared_btf_kernel);
		text_add(&prog, bpf_shared_sock_loads);
		text_add(&prog, bpf_shared_sock);
		text_add(&prog, bpf_tcptop_maps);
		/* Socket storage for tracing programs: Linux 5.11+. */
		text_add(&prog, btf_has_type("bpf_sk_storage_tracing_allowed") ?
			 bpf_tcptop_rcv_storage : bpf_tcptop_rcv_lru);
		text_add(&prog, bpf_tcptop_btf_count);
		text_add(&prog, bpf_tcptop_rcv_slot);
		text_add(&prog, bpf_tcptop_rcv);
		text_add(&prog, bpf_tcptop_btf_recv);
		text_add(&prog, m == M_TRACEPOINT ? bpf_tcptop_tracepoint_send :
						     bpf_tcptop_fentry_send);
		if (m == M_FENTRY && btf_has_type("tcp_sendpage"))
			text_add(&prog, bpf_tcptop_fentry_sendpage);
		ccache_subst(&prog);
	}
	prog_filter_pid(&prog, "FILTER_PID", env.pid);
	prog_filter_family(&prog, tool_family(&env.tool));
	/* bcc's order: the container filter before the program. */
	containers_filter(t, &env.containers, m == M_KPROBE);
	text_add(t, text_str(&prog));
	text_free(&prog);
}

/* Generations: see bpf_text/tcptop/maps.bpf.c. */
struct counts {
	struct bprog *p;
	int gen_fd, sync_fd, dropped_fd;
	uint32_t gen;
	uint64_t dropped[2];	/* the totals read so far (struct lost) */
	uint64_t skipped;	/* program runs the kernel skipped, so far */
	struct ccache cache;
};

/* Make programs write the other generation; return once none writes old. */
static int flip_generation(struct counts *c, uint32_t *old)
{
	int zero = 0, inner = c->gen_fd;
	uint32_t next = c->gen + 1;

	ccache_set_gen(&c->cache, next);
	if (bpf_update_elem(c->gen_fd, &zero, &next, 0))
		return -errno;
	/* An update of a map-in-map returns after synchronize_rcu(). */
	if (bpf_update_elem(c->sync_fd, &zero, &inner, 0))
		return -errno;
	*old = c->gen;
	c->gen = next;
	return 0;
}

struct drain_ctx {
	uint32_t gen;
	struct rows *rows;
	bool send, ipv6;
};

static bool want(const void *key, void *ctx)
{
	struct drain_ctx *d = ctx;

	return d->gen == (d->ipv6 ? ((const struct ipv6_key *)key)->gen :
				    ((const struct ipv4_key *)key)->gen);
}

static void emit(const void *key, const void *val, void *ctx)
{
	struct drain_ctx *d = ctx;
	uint64_t bytes = *(const uint64_t *)val;
	struct row row;

	if (d->ipv6)
		rows_from_ipv6(&row, key);
	else
		rows_from_ipv4(&row, key);
	rows_add(d->rows, &row, d->send ? bytes : 0, d->send ? 0 : bytes);
}

static int collect(struct counts *c, struct rows *v4, struct rows *v6)
{
	static const struct {
		const char *name;
		bool ipv6, send;
	} tables[] = {
		{ "ipv4_send_bytes", false, true },
		{ "ipv4_recv_bytes", false, false },
		{ "ipv6_send_bytes", true, true },
		{ "ipv6_recv_bytes", true, false },
	};
	uint32_t old = 0;
	int err = flip_generation(c, &old);

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && !err; i++) {
		struct drain_ctx d = {
			.gen = old, .rows = tables[i].ipv6 ? v6 : v4,
			.send = tables[i].send, .ipv6 = tables[i].ipv6,
		};

		err = bprog__drain(c->p, tables[i].name, want, emit, &d);
	}
	if (!err)
		ccache_collect(&c->cache, old, v4, v6);
	return err;
}

/* Counts the kernel side lost since the last call: index i of dropped. */
static uint64_t newly_lost(struct counts *c, int i)
{
	uint64_t total = 0;

	if (bpf_lookup_elem(c->dropped_fd, &i, &total) ||
	    total <= c->dropped[i])
		return 0;
	total -= c->dropped[i];
	c->dropped[i] += total;
	return total;
}

static int print_interval(struct counts *c, const struct report_opts *base)
{
	struct report_opts o = *base;
	struct rows v4 = { 0 }, v6 = { 0 };
	char clock[16] = "", loadavg[256] = "";
	struct timespec end;
	struct winsize ws;
	struct lost lost;
	FILE *f;
	int err, wr;

	/* The interval ends at the flip, which collect() does first. */
	clock_gettime(CLOCK_REALTIME, &end);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&end.tv_sec));
	if (!o.nosummary && (f = fopen("/proc/loadavg", "r"))) {
		if (!fgets(loadavg, sizeof(loadavg), f))
			loadavg[0] = '\0';
		fclose(f);
	}
	err = collect(c, &v4, &v6);
	if (err) {
		p_err("cannot read the count tables: %s", strerror(-err));
		goto out;
	}
	rows_finish(&v4, o.sort);
	rows_finish(&v6, o.sort);
	lost.dropped = newly_lost(c, 0);
	lost.unmeasured = newly_lost(c, 1);
	/* Without -C (or -j) on a terminal, fit the tables to the screen. */
	if (!o.noclear && !o.max_rows && !env.tool.json &&
	    isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
	    ws.ws_row)
		o.screen_lines = ws.ws_row;
	wr = env.tool.json ?
		report_json(stdout, &o, &end, loadavg, &lost, &v4, &v6) :
		report_print(stdout, &o, clock, loadavg, &v4, &v6);
	if (wr) {
		/* A closed pipe (tcptop | head) ends us quietly; not so others. */
		err = errno == EPIPE ? -EPIPE : -(errno ? errno : EIO);
		if (err != -EPIPE)
			p_err("cannot write the output: %s", strerror(errno));
	}
	if (lost.dropped)
		p_warn("%llu counts dropped: more connections in one interval than the tables hold (10240)",
		     (unsigned long long)lost.dropped);
	if (lost.unmeasured)
		p_warn("%llu receive counts lost: no memory for a connection's receive baseline (socket storage, charged to net.core.optmem_max)",
		     (unsigned long long)lost.unmeasured);
	tool_check_skipped(c->p, &c->skipped);
out:
	rows_free(&v4);
	rows_free(&v6);
	return err;
}

/* Sleep until *deadline, or until a signal asks us to stop. */
static void sleep_until(const struct timespec *deadline)
{
	while (!tool_exiting && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					   deadline, NULL) == EINTR)
		;
}

/* The connections open before tracing (tools/tcptop_start.h). */
static struct start start;

/* Once root and headers are there, before attaching. */
static bool ready(void)
{
	int err;

	if (!containers_ready(&env.containers))
		return false;
	if (env.tool.check)	/* --x-check: nothing will be traced */
		return true;
	err = start_begin(&start);
	if (err && env.tool.verbose)
		p_info("connections open before tracing: unknown (sock_diag: %s): the first read of each may be missed",
		       strerror(-err));
	return true;
}

static const struct tool tcptop = {
	.name = "tcptop",
	.args = TOOL_ARGS("Summarize TCP send/recv throughput by host",
			  examples, opts),
	.build = build_text,
	.ready = ready,
	.probes[M_KPROBE] = (const struct probe[]){
		PROBE_KPROBE(tcp_send_entry, tcp_sendmsg),
		PROBE_KRETPROBE(tcp_send_ret, tcp_sendmsg),
		PROBE_KPROBE(tcp_send_entry, tcp_sendpage, .optional = true),
		PROBE_KRETPROBE(tcp_send_ret, tcp_sendpage, .optional = true),
		PROBE_KPROBE(kprobe__tcp_set_state, tcp_set_state),
		PROBE_KPROBE(kprobe__tcp_rcv_space_adjust, tcp_rcv_space_adjust), { 0 }
	},
	/*
	 * tp_btf: sk's fields are plain loads (bpf_text/shared/sock.bpf.c).
	 * The state programs are paired: bpf_text/tcptop/btf_recv.bpf.c.
	 * Loaded in this order, the JIT puts each program's code right after
	 * the one before: a read's two programs then share the page where
	 * the first one's code ends (its exit), and the second's code costs no
	 * TLB miss of its own (about 12 ns a read here, README Per-call cost).
	 */
	.probes[M_TRACEPOINT] = (const struct probe[]){
		PROBE_TP_BTF(sock_send_length), PROBE_TP_BTF(tcp_rcv_space_adjust),
		PROBE_TP_BTF(sock_recv_length),
		PROBE_TP_BTF(inet_sock_set_state, .paired = true),
		PROBE_TP_BTF(tcp_destroy_sock, .paired = true),
		PROBE_TP_BTF_AGAIN(inet_sock_set_state),
		PROBE_TP_BTF_AGAIN(tcp_destroy_sock), { 0 }
	},
	.tracepoints_since = "Linux 6.3+",
	/* The tracepoint method's receive side, with fexit for what is sent. */
	.probes[M_FENTRY] = (const struct probe[]){
		PROBE_FEXIT(tcp_sendmsg), PROBE_FEXIT(tcp_sendpage, .optional = true),
		PROBE_TP_BTF(tcp_rcv_space_adjust),
		PROBE_TP_BTF(sock_recv_length, .optional = true),
		PROBE_TP_BTF(inet_sock_set_state, .paired = true),
		PROBE_TP_BTF(tcp_destroy_sock, .paired = true),
		PROBE_TP_BTF_AGAIN(inet_sock_set_state),
		PROBE_TP_BTF_AGAIN(tcp_destroy_sock), { 0 }
	},
};

/* The count tables' control maps: bpf_text/tcptop/maps.bpf.c. */
static int counts_open(struct counts *c)
{
	int err;

	c->gen_fd = bprog__table_fd(c->p, "generation");
	c->sync_fd = bprog__table_fd(c->p, "gen_sync");
	c->dropped_fd = bprog__table_fd(c->p, "dropped");
	if (c->gen_fd < 0 || c->sync_fd < 0 || c->dropped_fd < 0) {
		p_err("%s", bprog__errmsg(c->p));
		return -1;
	}
	err = ccache_open(&c->cache, c->p);
	if (err) {
		p_err("cannot read the count cache: %s", strerror(-err));
		return -1;
	}
	return 0;
}

/*
 * Print an interval every env.interval seconds, env.count times (0:
 * forever). Like the original, Ctrl-C prints the interval in progress. A
 * signal that lands while an interval is being printed takes one more
 * turn: what was counted since that interval's flip is printed too.
 * Returns the exit status.
 */
static int trace(struct counts *c, const struct report_opts *ro)
{
	/* With -j, stdout is JSON only. */
	FILE *banner = env.tool.json ? stderr : stdout;
	struct timespec next;

	if (fprintf(banner, "Tracing... Output every %d secs. Hit Ctrl-C to end\n",
		    env.interval) < 0 || fflush(banner))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0; env.count == 0 || i < env.count; i++) {
		bool last;
		int err;

		next.tv_sec += env.interval;
		sleep_until(&next);
		last = tool_exiting;
		err = print_interval(c, ro);
		if (err)
			return err != -EPIPE;
		if (last)
			break;
	}
	return 0;
}

/*
 * After attaching: connections open before are counted exactly from their
 * next read (tools/tcptop_start.h). Without it they keep an older gap, so
 * a failure is only a warning.
 */
static void start_readings(struct bprog *p)
{
	int n = start_fill(&start, bprog__table_fd(p, "rcv_start"));

	if (n < 0)
		p_warn("cannot read the connections open before the start (%s): the first read of each may be missed",
		       strerror(-n));
	else if (env.tool.verbose)
		p_info("connections open before tracing: %d, each counted from its next read",
		       n);
}

int main(int argc, char **argv)
{
	struct counts c = { 0 };
	struct report_opts ro;
	int ret;

	args_parse(&tcptop.args, argc, argv);
	ro = (struct report_opts){
		.noclear = env.noclear,
		.nosummary = env.nosummary,
		.sort = !strcmp(env.sort, "sent") ? SORT_SENT :
			!strcmp(env.sort, "received") ? SORT_RECEIVED : SORT_ALL,
		.max_rows = env.rows,
	};
	ret = tool_open(&tcptop, &env.tool, &c.p);
	if (ret <= 0) {
		ret = ret < 0;
		goto cleanup;
	}
	start_readings(c.p);
	/* Before the banner: until then -c lets nothing through. */
	if (counts_open(&c) || containers_fill(&env.containers, c.p))
		ret = 1;
	else
		ret = trace(&c, &ro);
cleanup:
	start_end(&start);
	ccache_close(&c.cache);
	tool_close(c.p);
	return ret;
}
