// SPDX-License-Identifier: Apache-2.0
/* tool: faults, host checks and attach methods shared by both tools. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "btf_off.h"
#include "kcompat.h"
#include "tool.h"

const char *const method_names[] = {
	"auto", "kprobe", "tracepoint", "fentry", NULL
};
const char *const check_names[] = { "compile", "load", NULL };

void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool tool_headers_present(char *dir, size_t len)
{
	struct utsname u;
	char path[600];

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "$(uname -r)");
	snprintf(dir, len, "/lib/modules/%s/build", u.release);
	if (getenv("BCC_KERNEL_SOURCE") ||
	    access("/sys/kernel/kheaders.tar.xz", R_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/include", dir);
	if (access(path, R_OK))
		return false;
	/* bcc prefers source/ (Debian: the -common tree) when it exists. */
	snprintf(path, sizeof(path), "/lib/modules/%s/source", u.release);
	if (access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/lib/modules/%s/source/include/linux",
		 u.release);
	return access(path, R_OK) == 0;
}

bool tool_host_ready(void)
{
	char headers[300];
	struct utsname u;

	if (geteuid() != 0) {
		fail("must be run as root: loading BPF programs needs CAP_BPF and CAP_PERFMON (try: sudo %s)",
		     program_invocation_short_name);
		return false;
	}
	if (!tool_headers_present(headers, sizeof(headers))) {
		uname(&u);
		fail("kernel headers not found at %s: install linux-headers-%s, or run scripts/setup.sh",
		     headers, u.release);
		return false;
	}
	return true;
}

volatile int tool_exiting;

static void on_signal(int sig)
{
	(void)sig;
	tool_exiting = 1;
}

void tool_catch_signals(void)
{
	/*
	 * SA_RESTART: a write blocked on a full pipe or a paused terminal
	 * finishes instead of failing with EINTR; the waits (clock_nanosleep,
	 * poll) are never restarted, so a signal still ends them at once.
	 */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool tool_kprobes_available(void)
{
	return !access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
	       !access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	       !access("/sys/kernel/debug/tracing/kprobe_events", F_OK);
}

void tool_subst_offset(struct text *t, const char *token, const char *sname,
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

/* The struct sock fields of bpf_text/shared_sock.bpf.c. */
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
	{ "TCP_COPIED_SEQ_OFF", "tcp_sock", "copied_seq" },
};

void tool_text(const struct tool_methods *o, enum method m, struct text *t)
{
	if (m == M_KPROBE)
		kcompat_prelude(t);
	o->build(t, m);
	for (size_t i = 0; i < sizeof(sock_fields) / sizeof(sock_fields[0]); i++)
		tool_subst_offset(t, sock_fields[i].token, sock_fields[i].sname,
				  sock_fields[i].member);
}

static enum method method_of(const char *name)
{
	for (int i = 0; method_names[i]; i++)
		if (!strcmp(name, method_names[i]))
			return (enum method)i;
	return M_AUTO;
}

/* A probe of m the kernel's BTF says cannot attach here, or NULL. */
static const struct probe *missing_probe(const struct tool_methods *o,
					 enum method m)
{
	char name[96];

	for (const struct probe *pr = o->probes[m]; pr->fn; pr++) {
		if (pr->optional || (pr->how != BPROG_RAW_TP &&
				     pr->how != BPROG_FENTRY &&
				     pr->how != BPROG_FEXIT))
			continue;
		snprintf(name, sizeof(name), "%s%s",
			 pr->how == BPROG_RAW_TP ? "btf_trace_" : "", pr->target);
		if (!btf_has_type(name))
			return pr;
	}
	return NULL;
}

bool tool_method_usable(const struct tool_methods *o, enum method m,
			const char **why)
{
	static char buf[256];
	const struct probe *pr;

	switch (m) {
	case M_TRACEPOINT:
	case M_FENTRY:
		if (!btf_available()) {
			*why = m == M_FENTRY ?
			       "fentry: needs kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)" :
			       "tracepoint: needs kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)";
			return false;
		}
		pr = missing_probe(o, m);
		if (pr) {
			if (pr->how == BPROG_RAW_TP)
				snprintf(buf, sizeof(buf), "%s: needs tracepoint %s (%s)",
					 method_names[m], pr->target,
					 o->tracepoints_since);
			else
				snprintf(buf, sizeof(buf),
					 "%s: the kernel has no function %s",
					 method_names[m], pr->target);
			*why = buf;
			return false;
		}
		/* Both tools' tracepoint programs read it as a u16 (BTF offset). */
		if (m == M_TRACEPOINT && btf_member_size("sock", "sk_protocol") != 2) {
			*why = "tracepoint: needs struct sock's 16-bit sk_protocol (Linux 5.6+)";
			return false;
		}
		return true;
	case M_KPROBE:
		if (!tool_kprobes_available()) {
			*why = "kprobe: kprobes unavailable: the kernel lacks CONFIG_KPROBE_EVENTS, or tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)";
			return false;
		}
		return true;
	default:
		*why = "unknown method";
		return false;
	}
}

int tool_candidates(const struct tool_methods *o, const char *attach,
		    enum method out[3], struct text *why)
{
	static const enum method order[] = { M_TRACEPOINT, M_FENTRY, M_KPROBE };
	const char *w;
	int n = 0;

	if (method_of(attach) != M_AUTO) {
		out[n++] = method_of(attach);
		return n;
	}
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (tool_method_usable(o, order[i], &w))
			out[n++] = order[i];
		else
			text_addf(why, "%s%s", why->len ? "; " : "", w);
	}
	return n;
}

static bool probe_wanted(const struct tool_methods *o, const struct probe *pr)
{
	char name[96];

	if ((pr->family == 4 && o->family == 6) ||
	    (pr->family == 6 && o->family == 4))
		return false;
	if (!pr->optional)
		return true;
	switch (pr->how) {
	case BPROG_FEXIT:
	case BPROG_FENTRY:
		return btf_has_type(pr->target);
	case BPROG_RAW_TP:
		snprintf(name, sizeof(name), "btf_trace_%s", pr->target);
		return btf_has_type(name);
	default:
		return bprog__kfunc_exists(pr->target);
	}
}

struct bprog *tool_start(const struct tool_methods *o, enum method m,
			 char *err, size_t errlen)
{
	struct text t = { 0 };
	const struct probe *pr;
	struct bprog *p;
	int e = 0;

	tool_text(o, m, &t);
	p = bprog__compile(text_str(&t));
	text_free(&t);
	if (!p) {
		snprintf(err, errlen, "%s: %s", method_names[m], bprog__errmsg(NULL));
		return NULL;
	}
	if (o->check && !strcmp(o->check, "compile"))
		return p;
	for (pr = o->probes[m]; pr->fn && !e; pr++)
		if (probe_wanted(o, pr))
			e = bprog__load(p, pr->how, pr->fn);
	for (pr = o->probes[m]; pr->fn && !e && !o->check; pr++)
		if (probe_wanted(o, pr))
			e = bprog__attach(p, pr->how, pr->fn, pr->target);
	if (e) {
		snprintf(err, errlen, "%s: %s", method_names[m], bprog__errmsg(p));
		bprog__destroy(p);
		return NULL;
	}
	return p;
}

struct bprog *tool_start_any(const struct tool_methods *o, const char *attach,
			     enum method *chosen, volatile const int *stop)
{
	struct text why = { 0 }, errs = { 0 };
	enum method cand[3];
	struct bprog *p = NULL;
	char err[700];
	const char *w;
	int n, i;

	n = tool_candidates(o, attach, cand, &why);
	if (!n)
		fail("no usable attach method on this kernel: %s", text_str(&why));
	for (i = 0; i < n && !p && !*stop; i++) {
		p = tool_start(o, cand[i], err, sizeof(err));
		if (p)
			*chosen = cand[i];
		else
			text_addf(&errs, "%s%s", errs.len ? "; " : "", err);
	}
	if (!p && n && !*stop) {
		if (method_of(attach) == M_AUTO)
			fail("no attach method works here: %s%s%s", text_str(&errs),
			     why.len ? "; " : "", text_str(&why));
		else if (!tool_method_usable(o, cand[0], &w))	/* "method: why" */
			fail("%s (%s; try --attach auto)", text_str(&errs),
			     w + strlen(method_names[cand[0]]) + 2);
		else
			fail("%s (try --attach auto)", text_str(&errs));
	}
	text_free(&why);
	text_free(&errs);
	return p;
}
