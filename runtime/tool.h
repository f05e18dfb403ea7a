/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tool: what both tools do around their BPF program: report a fault in one
 * line, check the host, choose an attach method and start it.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "bccprog.h"
#include "text.h"

/* "tool: message\n" on stderr: one line naming the cause and the fix. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether bcc can find kernel headers; dir gets where they were expected. */
bool tool_headers_present(char *dir, size_t len);

/* Root, and kernel headers for bcc: false after saying what is missing. */
bool tool_host_ready(void);

/* Set by SIGINT or SIGTERM once tool_catch_signals() ran. */
extern volatile int tool_exiting;

/*
 * SIGINT/SIGTERM set tool_exiting; SIGPIPE is ignored, so a closed pipe
 * ends the tool quietly through EPIPE.
 */
void tool_catch_signals(void);

/* Whether kprobes can be attached (kprobe PMU, or tracefs kprobe_events). */
bool tool_kprobes_available(void);

enum method { M_AUTO, M_KPROBE, M_TRACEPOINT, M_FENTRY };
extern const char *const method_names[];	/* --attach choices */
extern const char *const check_names[];	/* hidden --x-check choices */

/*
 * Replace token by the offset of sname's member (a path like "ns.inum" is
 * fine): from BTF, or offsetof() through the headers when there is no BTF.
 * Headers may not match the kernel: only sock_common fields are read
 * through them directly.
 */
void tool_subst_offset(struct text *t, const char *token, const char *sname,
		       const char *member);


struct probe {
	enum bprog_attach how;
	const char *fn, *target;
	bool optional;		/* only when the kernel has the target */
	int family;		/* 4 or 6: not under -6 / -4; 0: always */
};

struct tool_methods {
	/* Per method, what it attaches: { 0 }-terminated. */
	const struct probe *probes[M_FENTRY + 1];
	const char *tracepoints_since;	/* the kernel with all its tracepoints */
	/* The program text of m, substituted. */
	void (*build)(struct text *t, enum method m);
	int family;		/* 4, 6, or 0: from -4 / -6 */
	const char *check;	/* NULL, or stop after "compile" / "load" */
};

/*
 * The program text of m: for kprobe, a prelude for kernel headers newer
 * than libbcc (kcompat.h); the tool's text; struct sock offsets from BTF
 * (bpf_text/shared_sock.bpf.c).
 */
void tool_text(const struct tool_methods *o, enum method m, struct text *t);

/*
 * Can this kernel run m? (No root needed.) why: "method: what is missing",
 * with the fix.
 */
bool tool_method_usable(const struct tool_methods *o, enum method m,
			const char **why);

/*
 * The methods to try, best first: the one named by attach, or for "auto"
 * the usable ones; why collects what rules the others out.
 */
int tool_candidates(const struct tool_methods *o, const char *attach,
		    enum method out[3], struct text *why);

/*
 * Compile the text of m, load every probe (the verifier sees them all
 * before anything attaches), then attach them; or stop as o->check says.
 * On failure: NULL and err = "method: what failed".
 */
struct bprog *tool_start(const struct tool_methods *o, enum method m,
			 char *err, size_t errlen);

/*
 * Try the candidates in order; the first that starts wins (*chosen).
 * Reports in one line why none did. Stops early when *stop becomes true.
 */
struct bprog *tool_start_any(const struct tool_methods *o, const char *attach,
			     enum method *chosen,
			     volatile const int *stop);

#endif
