/* SPDX-License-Identifier: Apache-2.0 */
/*
 * method: how a tool attaches (kprobe, tracepoint, fentry), whether this
 * kernel can run a method, which to try for --attach auto, and starting
 * one: compile, load every program, then attach.
 */
#ifndef METHOD_H
#define METHOD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "bccprog.h"
#include "text.h"

enum method { M_AUTO, M_KPROBE, M_TRACEPOINT, M_FENTRY, NR_METHODS };
extern const char *const method_names[NR_METHODS + 1];	/* --attach choices */
extern const char *const check_names[];	/* hidden --x-check choices */

/* One program of a method and where it attaches. */
struct probe {
	enum bprog_attach how;
	const char *fn, *target;
	bool optional;		/* only when the kernel has the target */
	int family;		/* 4 or 6: not under -6 / -4; 0: always */
	/*
	 * Paired with another program on the same target, so that an event
	 * one of them skips (nested in its own run) the other sees; their
	 * skipped runs are not reported. Except where the programs can be
	 * preempted, so both can be mid-run: tracepoint programs on
	 * PREEMPT_RT kernels, fentry/fexit ones on kernels that preempt
	 * (host_preempts()).
	 */
	bool paired;
	bool second;		/* the second of its pair (PROBE_*_AGAIN) */
};

/*
 * Probe rows. The BTF methods' functions have the names bcc gives the
 * ones it attaches itself: RAW_TRACEPOINT_PROBE(tp) defines
 * raw_tracepoint__tp (which PROBE_TP_BTF loads as tp_btf), KFUNC_PROBE(f)
 * kfunc__f, KRETFUNC_PROBE(f) kretfunc__f. More fields may follow:
 * PROBE_FEXIT(f, .optional = true).
 */
#define PROBE_KPROBE(func, tgt, ...) \
	{ .how = BPROG_KPROBE, .fn = #func, .target = #tgt, __VA_ARGS__ }
#define PROBE_KRETPROBE(func, tgt, ...) \
	{ .how = BPROG_KRETPROBE, .fn = #func, .target = #tgt, __VA_ARGS__ }
#define PROBE_RAW_TP(tp, ...) \
	{ .how = BPROG_RAW_TP, .fn = "raw_tracepoint__" #tp, .target = #tp, \
	  __VA_ARGS__ }
/* A second program on the same tracepoint: raw_tracepoint__tp_again. */
#define PROBE_RAW_TP_AGAIN(tp, ...) \
	{ .how = BPROG_RAW_TP, .fn = "raw_tracepoint__" #tp "_again", \
	  .target = #tp, .paired = true, .second = true, __VA_ARGS__ }
#define PROBE_TP_BTF(tp, ...) \
	{ .how = BPROG_TP_BTF, .fn = "raw_tracepoint__" #tp, .target = #tp, \
	  __VA_ARGS__ }
#define PROBE_TP_BTF_AGAIN(tp, ...) \
	{ .how = BPROG_TP_BTF, .fn = "raw_tracepoint__" #tp "_again", \
	  .target = #tp, .paired = true, .second = true, __VA_ARGS__ }
#define PROBE_FENTRY(func, ...) { .how = BPROG_FENTRY, \
	.fn = "kfunc__" #func, .target = #func, __VA_ARGS__ }
/* A second program on the same function: kfunc__func_again. */
#define PROBE_FENTRY_AGAIN(func, ...) { .how = BPROG_FENTRY, \
	.fn = "kfunc__" #func "_again", .target = #func, .paired = true, \
	.second = true, __VA_ARGS__ }
#define PROBE_FEXIT(func, ...) { .how = BPROG_FEXIT, \
	.fn = "kretfunc__" #func, .target = #func, __VA_ARGS__ }

struct tool;
struct tool_opts;

/*
 * Can this kernel run m? (No root needed.) If not, why gets "method: what
 * is missing", with the fix.
 */
bool method_usable(const struct tool *tool, enum method m, char *why,
		   size_t len);

/*
 * The methods to try, best first: the one named by attach, or for "auto"
 * the usable ones; why collects what rules the others out. With none, it
 * says so on stderr, with why.
 */
int method_candidates(const struct tool *tool, const char *attach,
		      enum method out[NR_METHODS], struct text *why);

/*
 * Try the candidates in order: compile, load every probe (the verifier
 * sees them all before anything attaches), then attach; or stop after
 * compiling or loading, as o->check says. The first that starts wins
 * (*chosen). Reports in one line why none did. Stops early once *stop.
 */
struct bprog *method_start_any(const struct tool *tool,
			       const struct tool_opts *o, enum method *chosen,
			       volatile const sig_atomic_t *stop);

/*
 * One method alone, as method_start_any(); on failure NULL and err is
 * "method: what failed".
 */
struct bprog *method_start(const struct tool *tool, const struct tool_opts *o,
			   enum method m, volatile const sig_atomic_t *stop,
			   char *err, size_t errlen);

#endif
