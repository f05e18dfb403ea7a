// SPDX-License-Identifier: Apache-2.0
/* method: can this kernel run a method, which to try, and starting one. */
#include <stdio.h>
#include <string.h>

#include "btf_off.h"
#include "host.h"
#include "method.h"
#include "msg.h"
#include "progtext.h"
#include "tool.h"

const char *const method_names[NR_METHODS + 1] = {
	"auto", "kprobe", "tracepoint", "fentry", NULL
};
const char *const check_names[] = { "compile", "load", NULL };

static enum method method_of(const char *name)
{
	for (int i = 0; method_names[i]; i++)
		if (!strcmp(name, method_names[i]))
			return (enum method)i;
	return M_AUTO;
}

/* Whether pr attaches to a tracepoint (raw, or BTF-typed). */
static bool on_tracepoint(const struct probe *pr)
{
	return pr->how == BPROG_RAW_TP || pr->how == BPROG_TP_BTF;
}

/* Whether the kernel's BTF has pr's target (tracepoint or function). */
static bool btf_has_target(const struct probe *pr)
{
	char name[96];

	snprintf(name, sizeof(name), "%s%s",
		 on_tracepoint(pr) ? "btf_trace_" : "", pr->target);
	return btf_has_type(name);
}

/* A probe of m the kernel's BTF says cannot attach here, or NULL. */
static const struct probe *missing_probe(const struct tool *tool,
					 enum method m)
{
	for (const struct probe *pr = tool->probes[m]; pr->fn; pr++)
		if (!pr->optional && pr->how != BPROG_KPROBE &&
		    pr->how != BPROG_KRETPROBE && !btf_has_target(pr))
			return pr;
	return NULL;
}

bool method_usable(const struct tool *tool, enum method m, char *why,
		   size_t len)
{
	const struct probe *pr;

	if (m <= M_AUTO || m >= NR_METHODS || !tool->probes[m]) {
		snprintf(why, len, "%s: not a method of %s",
			 m > M_AUTO && m < NR_METHODS ? method_names[m] : "?",
			 tool->name);
		return false;
	}
	if (m == M_KPROBE) {
		if (host_has_kprobes())
			return true;
		snprintf(why, len, "kprobe: kprobes unavailable: the kernel lacks CONFIG_KPROBE_EVENTS, or tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)");
		return false;
	}
	if (!btf_available()) {
		snprintf(why, len, "%s: needs kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)",
			 method_names[m]);
		return false;
	}
	pr = missing_probe(tool, m);
	if (pr && on_tracepoint(pr)) {
		snprintf(why, len, "%s: needs tracepoint %s (%s)", method_names[m],
			 pr->target, tool->tracepoints_since);
		return false;
	}
	if (pr) {
		snprintf(why, len, "%s: the kernel has no function %s",
			 method_names[m], pr->target);
		return false;
	}
	/* The tracepoint programs read it as a u16 (BTF offset). */
	if (m == M_TRACEPOINT && btf_member_size("sock", "sk_protocol") != 2) {
		snprintf(why, len, "tracepoint: needs struct sock's 16-bit sk_protocol (Linux 5.6+)");
		return false;
	}
	return true;
}

int method_candidates(const struct tool *tool, const char *attach,
		      enum method out[NR_METHODS], struct text *why)
{
	static const enum method order[] = { M_TRACEPOINT, M_FENTRY, M_KPROBE };
	char w[256];
	int n = 0;

	if (method_of(attach) != M_AUTO) {
		out[n++] = method_of(attach);
		return n;
	}
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (method_usable(tool, order[i], w, sizeof(w)))
			out[n++] = order[i];
		else
			text_addf(why, "%s%s", why->len ? "; " : "", w);
	}
	if (!n)
		p_err("no usable attach method on this kernel: %s", text_str(why));
	return n;
}

static bool probe_wanted(const struct probe *pr, int family)
{
	if ((pr->family == 4 && family == 6) || (pr->family == 6 && family == 4))
		return false;
	if (!pr->optional)
		return true;
	if (pr->how == BPROG_KPROBE || pr->how == BPROG_KRETPROBE)
		return bprog__kfunc_exists(pr->target);
	return btf_has_target(pr);
}

/* Whether pr is paired, and its partner wanted too (struct probe). */
static bool in_pair(const struct probe *list, const struct probe *pr,
		    int family)
{
	for (const struct probe *q = list; pr->paired && q->fn; q++)
		if (q != pr && q->how == pr->how && q->paired &&
		    !strcmp(q->target, pr->target) && probe_wanted(q, family))
			return true;
	return false;
}

/*
 * Whether both programs of pr's pair can be mid-run on one CPU, so that
 * an event can be skipped by both: when they can be preempted. Tracepoint
 * programs run with preemption disabled but on PREEMPT_RT; fentry/fexit
 * programs with migration disabled only, so on kernels that preempt.
 */
static bool pair_can_both_run(const struct probe *pr)
{
	return on_tracepoint(pr) ? host_preempt_rt() : host_preempts();
}

struct bprog *method_start(const struct tool *tool, const struct tool_opts *o,
			   enum method m, volatile const sig_atomic_t *stop,
			   char *err, size_t errlen)
{
	int family = tool_family(o), e = 0;
	struct text t = { 0 };
	const struct probe *pr;
	struct bprog *p;
	char cerr[512];

	prog_text(tool, m, &t);
	/* --x-check compile is a check of the compiler: never from the cache. */
	p = bprog__compile(text_str(&t), o->no_cache || (o->check &&
			   !strcmp(o->check, "compile")) ? BPROG_NO_CACHE : 0,
			   stop, cerr, sizeof(cerr));
	text_free(&t);
	if (!p) {
		snprintf(err, errlen, "%s: %s", method_names[m], cerr);
		return NULL;
	}
	if (o->check && !strcmp(o->check, "compile"))
		return p;
	for (pr = tool->probes[m]; pr->fn && !e; pr++) {
		if (!probe_wanted(pr, family))
			continue;
		e = bprog__load(p, pr->how, pr->fn, pr->target);
		/* --x-second-only: nothing covers the second's skips. */
		if (!e && !o->second_only && in_pair(tool->probes[m], pr, family) &&
		    !pair_can_both_run(pr))
			bprog__skips_covered(p, pr->fn);
	}
	for (pr = tool->probes[m]; pr->fn && !e && !o->check; pr++)
		if (probe_wanted(pr, family) && !(o->second_only && !pr->second &&
		    in_pair(tool->probes[m], pr, family)))
			e = bprog__attach(p, pr->how, pr->fn, pr->target);
	if (e) {
		snprintf(err, errlen, "%s: %s", method_names[m], bprog__errmsg(p));
		bprog__destroy(p);
		return NULL;
	}
	return p;
}

struct bprog *method_start_any(const struct tool *tool,
			       const struct tool_opts *o, enum method *chosen,
			       volatile const sig_atomic_t *stop)
{
	struct text why = { 0 }, errs = { 0 };
	enum method cand[NR_METHODS];
	struct bprog *p = NULL;
	char err[700], w[256];
	int n, i;

	n = method_candidates(tool, o->attach, cand, &why);
	for (i = 0; i < n && !p && !*stop; i++) {
		p = method_start(tool, o, cand[i], stop, err, sizeof(err));
		if (p)
			*chosen = cand[i];
		else
			text_addf(&errs, "%s%s", errs.len ? "; " : "", err);
	}
	if (!p && n && !*stop) {
		if (method_of(o->attach) == M_AUTO)
			p_err("no attach method works here: %s%s%s", text_str(&errs),
			      why.len ? "; " : "", text_str(&why));
		else if (!method_usable(tool, cand[0], w, sizeof(w)))	/* "method: why" */
			p_err("%s (%s; try --attach auto)", text_str(&errs),
			      w + strlen(method_names[cand[0]]) + 2);
		else
			p_err("%s (try --attach auto)", text_str(&errs));
	}
	text_free(&why);
	text_free(&errs);
	return p;
}
