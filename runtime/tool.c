// SPDX-License-Identifier: Apache-2.0
/* tool: the one start-up path every tool takes. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "btf_off.h"
#include "host.h"
#include "msg.h"
#include "progtext.h"
#include "tool.h"

volatile sig_atomic_t tool_exiting;

int tool_family(const struct tool_opts *o)
{
	return o->ipv4 ? 4 : o->ipv6 ? 6 : 0;
}

static void on_signal(int sig)
{
	(void)sig;
	tool_exiting = 1;
}

static void catch_signals(void)
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

/* The program of m on out, whole before anything else is printed. */
static void print_text(const struct tool *tool, enum method m, FILE *out)
{
	struct text t = { 0 };

	prog_text(tool, m, &t);
	fprintf(out, "%s\n", text_str(&t));
	fflush(out);
	text_free(&t);
}

/* --ebpf: without root nothing can be tried: the method auto tries first. */
static int print_ebpf(const struct tool *tool, const struct tool_opts *o)
{
	struct text why = { 0 };
	enum method cand[NR_METHODS];
	int n = method_candidates(tool, o->attach, cand, &why);

	text_free(&why);
	if (!n)
		return -1;
	p_info("attach method: %s", method_names[cand[0]]);
	print_text(tool, cand[0], stdout);
	return 0;
}

int tool_open(const struct tool *tool, const struct tool_opts *o,
	      struct bprog **p)
{
	enum method chosen = M_AUTO;

	*p = NULL;
	setvbuf(stdout, NULL, tool->batched_output ? _IOFBF : _IOLBF, 0);
	if (o->ebpf)
		return print_ebpf(tool, o);
	if (!host_ready() || (tool->ready && !tool->ready()))
		return -1;
	/*
	 * From here a Ctrl-C during the slow compile still reaches the
	 * cleanup (a tracefs kprobe_events entry would outlive us).
	 */
	catch_signals();
	*p = method_start_any(tool, o, &chosen, &tool_exiting);
	if (!*p)
		return tool_exiting ? 0 : -1;
	if (o->verbose || o->check)
		p_info("%s method: %s", !o->check ? "attached" :
		       *o->check == 'c' ? "compiled" : "loaded",
		       method_names[chosen]);
	if (o->verbose)
		p_info("program cache: %s", bprog__cache_note(*p));
	if (o->check || tool_exiting)
		return 0;
	/* With -j, stdout is JSON only. */
	if (o->verbose)
		print_text(tool, chosen, o->json ? stderr : stdout);
	/*
	 * The kernel's BTF, parsed (~5 MB), only builds and loads programs:
	 * not kept while tracing (reloaded if ever asked again), and the heap
	 * the start-up used goes back to the kernel.
	 */
	btf_off_cleanup();
	malloc_trim(0);
	return 1;
}

void tool_check_skipped(struct bprog *p, uint64_t *seen)
{
	char who[512];
	uint64_t n = bprog__new_skips(p, who, sizeof(who));

	if (!n)
		return;
	p_warn("%llu program runs skipped (%s): an event came while the same program was running on its CPU (in an interrupt, or a task that preempted it); what they saw is missing",
	       (unsigned long long)n, who);
	*seen += n;
}

void tool_close(struct bprog *p)
{
	bprog__destroy(p);
	btf_off_cleanup();
}
