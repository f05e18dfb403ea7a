// SPDX-License-Identifier: Apache-2.0
/*
 * tcptop: summarize TCP send/recv throughput by host. A C port of bcc's
 * tools/tcptop.py (Brendan Gregg, 2016) on libbcc, with the same options and
 * output, and these fixes: received bytes are the advance of copied_seq (not
 * tcp_cleanup_rbuf()'s running total), intervals are read without losing
 * concurrent updates, full tables are reported, and stable tracepoints are
 * used where the kernel has them.
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

#include "args.h"
#include "bccprog.h"
#include "btf_off.h"
#include "tcptop.h"
#include "text.h"
#include "tool.h"

#include "tcptop_text.h"
#include "shared_text.h"

static const char *const sort_names[] = { "all", "sent", "received", NULL };

static struct env {
	bool noclear, nosummary, ipv4, ipv6, ebpf, verbose;
	int pid;		/* 0: all */
	int interval;		/* seconds */
	int count;		/* 0: forever */
	int rows;		/* 0: fit the screen */
	const char *cgroupmap, *mntnsmap, *sort, *attach;
	const char *check;	/* hidden --x-check: "compile" or "load" */
} env = { .interval = 1, .sort = "all", .attach = "auto" };

static const char examples[] =
	"examples:\n"
	"    ./tcptop           # trace TCP send/recv by host\n"
	"    ./tcptop -C        # don't clear the screen\n"
	"    ./tcptop -p 181    # only trace PID 181\n"
	"    ./tcptop --cgroupmap mappath  # only trace cgroups in this BPF map\n"
	"    ./tcptop --mntnsmap mappath   # only trace mount namespaces in the map\n"
	"    ./tcptop -4        # trace IPv4 family only\n"
	"    ./tcptop -6        # trace IPv6 family only\n"
	"    ./tcptop -s sent   # sort by bytes sent\n"
	"    ./tcptop -r 10     # show at most 10 rows per table\n"
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
	  0, args_parse_map_path, &env.cgroupmap, NULL },
	{ 0, "mntnsmap", NULL, "trace mount namespaces in this BPF map only",
	  ARG_VALUE, 0, args_parse_map_path, &env.mntnsmap, NULL },
	{ '4', "ipv4", NULL, "trace IPv4 family only", ARG_FLAG, 1, NULL,
	  &env.ipv4, NULL },
	{ '6', "ipv6", NULL, "trace IPv6 family only", ARG_FLAG, 1, NULL,
	  &env.ipv6, NULL },
	{ 's', "sort", NULL, "sort rows by this byte count (default all)",
	  ARG_VALUE, 0, NULL, &env.sort, sort_names },
	{ 'r', "rows", NULL,
	  "show at most ROWS rows per table (default: fit the screen)",
	  ARG_VALUE, 0, args_parse_positive_int, &env.rows, NULL },
	{ 0, "attach", NULL, "how to attach: auto (default) picks what works here",
	  ARG_VALUE, 0, NULL, &env.attach, method_names },
	{ 'v', "verbose", NULL, "print the attach method and BPF program",
	  ARG_FLAG, 0, NULL, &env.verbose, NULL },
	{ 0, "ebpf", NULL, NULL, ARG_FLAG, 0, NULL, &env.ebpf, NULL },
	/*
	 * For tests: stop after compiling, or after loading every program
	 * (the kernel verifier) without attaching. Exit 0 when that worked.
	 */
	{ 0, "x-check", NULL, NULL, ARG_VALUE, 0, NULL, &env.check, check_names },
};

static const struct arg_spec spec = {
	.description = "Summarize TCP send/recv throughput by host",
	.epilog = examples,
	.opts = opts,
	.nopts = sizeof(opts) / sizeof(opts[0]),
};

/*
 * bcc's containers.filter_by_containers(), as text. with_types: bcc's
 * struct mnt_namespace and its includes (the kprobe program; the filter
 * itself reads every field at its BTF offset).
 */
static void add_container_filter(struct text *t, bool with_types)
{
	struct text part = { 0 };

	if (env.cgroupmap) {
		text_add(&part, bpf_tcptop_cgroupfilter);
		/* The path was checked: no quote, backslash or control char. */
		text_replace(&part, "CGROUP_PATH", env.cgroupmap);
		text_add(t, text_str(&part));
		text_free(&part);
	} else {
		text_add(t, "\n        static inline int _cgroup_filter() {\n"
			    "            return 0;\n        }\n        ");
	}
	if (env.mntnsmap) {
		if (with_types)
			text_add(&part, bpf_tcptop_mntnstypes);
		text_add(&part, bpf_tcptop_mntnsfilter);
		text_replace(&part, "MOUNT_NS_PATH", env.mntnsmap);
		text_add(t, text_str(&part));
		text_free(&part);
	} else {
		text_add(t, "\n        static inline int _mntns_filter() {\n"
			    "            return 0;\n        }\n        ");
	}
	text_add(t, "\n    static inline int container_should_be_filtered() {\n"
		    "        return _cgroup_filter() || _mntns_filter();\n    }\n    ");
}

static void build_text(struct text *t, enum method m)
{
	struct text prog = { 0 };
	char buf[64];

	/* The kprobe program is bcc's: its headers, its order. */
	text_add(&prog, "\n");
	if (m == M_KPROBE) {
		text_add(&prog, bpf_tcptop_headers);
		text_add(&prog, bpf_shared_sock);
		text_add(&prog, bpf_tcptop_maps);
		text_add(&prog, "\n");
		text_add(&prog, bpf_tcptop_kprobe);
	} else {
		text_add(t, bpf_shared_kernel);
		text_add(&prog, bpf_shared_sock);
		text_add(&prog, bpf_tcptop_maps);
		text_add(&prog, bpf_tcptop_count);
		text_add(&prog, bpf_tcptop_recv);
		text_add(&prog, m == M_TRACEPOINT ? bpf_tcptop_tracepoint :
						     bpf_tcptop_fentry);
		if (m == M_FENTRY && btf_has_type("tcp_sendpage"))
			text_add(&prog, bpf_tcptop_sendpage);
	}
	if (env.pid) {
		snprintf(buf, sizeof(buf), "if (pid != %d) { return 0; }", env.pid);
		text_replace(&prog, "FILTER_PID", buf);
	} else {
		text_replace(&prog, "FILTER_PID", "");
	}
	if (env.ipv4)
		text_replace(&prog, "FILTER_FAMILY",
			     "if (family != AF_INET) { return 0; }");
	else if (env.ipv6)
		text_replace(&prog, "FILTER_FAMILY",
			     "if (family != AF_INET6) { return 0; }");
	text_replace(&prog, "FILTER_FAMILY", "");
	add_container_filter(t, m == M_KPROBE);
	tool_subst_offset(t, "TASK_NSPROXY_OFFSET", "task_struct", "nsproxy");
	tool_subst_offset(t, "NSPROXY_MNT_NS_OFFSET", "nsproxy", "mnt_ns");
	tool_subst_offset(t, "MNT_NS_INUM_OFFSET", "mnt_namespace", "ns.inum");
	text_add(t, text_str(&prog));
	text_free(&prog);
}

static const struct probe kprobe_probes[] = {
	{ BPROG_KPROBE, "tcp_send_entry", "tcp_sendmsg", false, 0 },
	{ BPROG_KRETPROBE, "tcp_send_ret", "tcp_sendmsg", false, 0 },
	{ BPROG_KPROBE, "tcp_send_entry", "tcp_sendpage", true, 0 },
	{ BPROG_KRETPROBE, "tcp_send_ret", "tcp_sendpage", true, 0 },
	{ BPROG_KPROBE, "kprobe__tcp_set_state", "tcp_set_state", false, 0 },
	{ BPROG_KPROBE, "kprobe__tcp_rcv_space_adjust", "tcp_rcv_space_adjust", false, 0 },
	{ 0 }
};

static const struct probe tracepoint_probes[] = {
	{ BPROG_RAW_TP, "raw_tracepoint__sock_send_length", "sock_send_length", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__tcp_rcv_space_adjust", "tcp_rcv_space_adjust", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__inet_sock_set_state", "inet_sock_set_state", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__tcp_destroy_sock", "tcp_destroy_sock", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__sock_recv_length", "sock_recv_length", false, 0 },
	{ 0 }
};

static const struct probe fentry_probes[] = {
	{ BPROG_FEXIT, "kretfunc__tcp_sendmsg", "tcp_sendmsg", false, 0 },
	{ BPROG_FEXIT, "kretfunc__tcp_sendpage", "tcp_sendpage", true, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__tcp_rcv_space_adjust", "tcp_rcv_space_adjust", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__inet_sock_set_state", "inet_sock_set_state", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__tcp_destroy_sock", "tcp_destroy_sock", false, 0 },
	{ BPROG_RAW_TP, "raw_tracepoint__sock_recv_length", "sock_recv_length", true, 0 },
	{ 0 }
};

/* Generations: see bpf_text/tcptop_maps.bpf.c. */
struct counts {
	struct bprog *p;
	int gen_fd, sync_fd, dropped_fd;
	uint32_t gen;
	uint64_t dropped;
};

/* Make programs write the other generation; return once none writes old. */
static int flip_generation(struct counts *c, uint32_t *old)
{
	int zero = 0, inner = c->gen_fd;
	uint32_t next = c->gen ^ 1;

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
	bool send;
};

static bool want_ipv4(const void *key, void *ctx)
{
	return ((const struct ipv4_key *)key)->gen == ((struct drain_ctx *)ctx)->gen;
}

static bool want_ipv6(const void *key, void *ctx)
{
	return ((const struct ipv6_key *)key)->gen == ((struct drain_ctx *)ctx)->gen;
}

static void emit_ipv4(const void *key, const void *val, void *ctx)
{
	struct drain_ctx *d = ctx;
	uint64_t bytes = *(const uint64_t *)val;
	struct row row;

	rows_from_ipv4(&row, key);
	rows_add(d->rows, &row, d->send ? bytes : 0, d->send ? 0 : bytes);
}

static void emit_ipv6(const void *key, const void *val, void *ctx)
{
	struct drain_ctx *d = ctx;
	uint64_t bytes = *(const uint64_t *)val;
	struct row row;

	rows_from_ipv6(&row, key);
	rows_add(d->rows, &row, d->send ? bytes : 0, d->send ? 0 : bytes);
}

static int collect(struct counts *c, struct rows *v4, struct rows *v6)
{
	struct drain_ctx d;
	uint32_t old = 0;
	int err = flip_generation(c, &old);

	if (err)
		return err;
	d = (struct drain_ctx){ old, v4, true };
	if ((err = bprog__drain(c->p, "ipv4_send_bytes", want_ipv4, emit_ipv4, &d)))
		return err;
	d.send = false;
	if ((err = bprog__drain(c->p, "ipv4_recv_bytes", want_ipv4, emit_ipv4, &d)))
		return err;
	d = (struct drain_ctx){ old, v6, true };
	if ((err = bprog__drain(c->p, "ipv6_send_bytes", want_ipv6, emit_ipv6, &d)))
		return err;
	d.send = false;
	return bprog__drain(c->p, "ipv6_recv_bytes", want_ipv6, emit_ipv6, &d);
}

/* Counts the kernel side could not store since the last call. */
static uint64_t newly_dropped(struct counts *c)
{
	uint64_t total = 0;
	int zero = 0;

	if (bpf_lookup_elem(c->dropped_fd, &zero, &total) || total <= c->dropped)
		return 0;
	total -= c->dropped;
	c->dropped += total;
	return total;
}

static int print_interval(struct counts *c, const struct report_opts *base)
{
	struct report_opts o = *base;
	struct rows v4 = { 0 }, v6 = { 0 };
	char clock[16] = "", loadavg[256] = "";
	struct winsize ws;
	time_t now = time(NULL);
	uint64_t lost;
	FILE *f;
	int err;

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	if (!o.nosummary && (f = fopen("/proc/loadavg", "r"))) {
		if (!fgets(loadavg, sizeof(loadavg), f))
			loadavg[0] = '\0';
		fclose(f);
	}
	err = collect(c, &v4, &v6);
	if (err) {
		fail("cannot read the count tables: %s", strerror(-err));
		goto out;
	}
	rows_finish(&v4, o.sort);
	rows_finish(&v6, o.sort);
	/* Without -C on a terminal, fit the tables to the screen. */
	if (!o.noclear && !o.max_rows && isatty(STDOUT_FILENO) &&
	    !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row)
		o.screen_lines = ws.ws_row;
	if (report_print(stdout, &o, clock, loadavg, &v4, &v6)) {
		/* A closed pipe (tcptop | head) ends us quietly; not so others. */
		err = errno == EPIPE ? -EPIPE : -(errno ? errno : EIO);
		if (err != -EPIPE)
			fail("cannot write the output: %s", strerror(errno));
	}
	lost = newly_dropped(c);
	if (lost)
		fail("WARNING: %llu counts dropped: more connections in one interval than the tables hold (10240)",
		     (unsigned long long)lost);
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

int main(int argc, char **argv)
{
	struct tool_methods methods = {
		.probes = {
			[M_KPROBE] = kprobe_probes,
			[M_TRACEPOINT] = tracepoint_probes,
			[M_FENTRY] = fentry_probes,
		},
		.tracepoints_since = "Linux 6.3+",
		.build = build_text,
	};
	struct report_opts ro = { 0 };
	struct counts c = { 0 };
	enum method cand[3], chosen = M_AUTO;
	struct text t = { 0 }, why = { 0 };
	struct timespec next;
	int i, ret = 1;

	args_parse(&spec, argc, argv);
	methods.family = env.ipv4 ? 4 : env.ipv6 ? 6 : 0;
	methods.check = env.check;
	if (env.ebpf || env.verbose) {
		/* Without root nothing can be tried: show the likeliest. */
		if (!tool_candidates(&methods, env.attach, cand, &why)) {
			fail("no usable attach method on this kernel: %s", text_str(&why));
			text_free(&why);
			return 1;
		}
		text_free(&why);
		fprintf(stderr, "tcptop: attach method: %s\n", method_names[cand[0]]);
		tool_text(&methods, cand[0], &t);
		fputs(text_str(&t), stdout);
		fputc('\n', stdout);
		fflush(stdout);
		text_free(&t);
		if (env.ebpf)
			return 0;
	}

	if (!tool_host_ready())
		return 1;
	for (i = 0; i < 2; i++) {
		const char *path = i ? env.mntnsmap : env.cgroupmap;
		int fd;

		if (!path)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			fail("cannot open pinned map %s: %s (create and pin it first, e.g. with bpftool map create)",
			     path, strerror(errno));
			return 1;
		}
		close(fd);
	}

	/*
	 * Before attaching: a Ctrl-C during the slow compile must still reach
	 * the cleanup (a tracefs kprobe_events entry would outlive us).
	 */
	tool_catch_signals();

	c.p = tool_start_any(&methods, env.attach, &chosen, &tool_exiting);
	if (!c.p)
		return tool_exiting ? 0 : 1;
	if (env.verbose || env.check)
		fprintf(stderr, "tcptop: %s method: %s\n",
			!env.check ? "attached" :
			*env.check == 'c' ? "compiled" : "loaded",
			method_names[chosen]);
	if (env.check || tool_exiting) {
		ret = 0;
		goto cleanup;
	}

	c.gen_fd = bprog__table_fd(c.p, "generation");
	c.sync_fd = bprog__table_fd(c.p, "gen_sync");
	c.dropped_fd = bprog__table_fd(c.p, "dropped");
	if (c.gen_fd < 0 || c.sync_fd < 0 || c.dropped_fd < 0) {
		fail("%s", bprog__errmsg(c.p));
		goto cleanup;
	}

	ro.noclear = env.noclear;
	ro.nosummary = env.nosummary;
	ro.sort = !strcmp(env.sort, "sent") ? SORT_SENT :
		  !strcmp(env.sort, "received") ? SORT_RECEIVED : SORT_ALL;
	ro.max_rows = env.rows;

	if (printf("Tracing... Output every %d secs. Hit Ctrl-C to end\n",
		   env.interval) < 0 || fflush(stdout)) {
		ret = 0;
		goto cleanup;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	ret = 0;
	/*
	 * Like the original, Ctrl-C prints the interval in progress. A signal
	 * that lands while an interval is being printed takes one more turn:
	 * what was counted since that interval's flip is printed too.
	 */
	for (i = 0; (env.count == 0 || i < env.count); i++) {
		bool last;
		int err;

		next.tv_sec += env.interval;
		sleep_until(&next);
		last = tool_exiting;
		err = print_interval(&c, &ro);
		if (err == -EPIPE)
			break;
		if (err) {
			ret = 1;
			break;
		}
		if (last)
			break;
	}
cleanup:
	bprog__destroy(c.p);
	btf_off_cleanup();
	return ret;
}
