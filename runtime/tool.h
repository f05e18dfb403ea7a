/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tool: what every tool is, and the one way each starts. A tool declares a
 * static const struct tool (its probes per method and its program text);
 * tool_open() then does the rest in the same order for every tool:
 * --ebpf, host checks, signals, attach (auto's fallback included),
 * --x-check, and -v for the method actually attached.
 */
#ifndef TOOL_H
#define TOOL_H

#include <signal.h>
#include <stdbool.h>

#include "args.h"
#include "bccprog.h"
#include "method.h"
#include "text.h"

struct tool {
	const char *name;
	struct arg_spec args;	/* its options: a struct tool_opts among them */
	/* Per method, what it attaches: { 0 }-terminated; NULL: no such method. */
	const struct probe *probes[NR_METHODS];
	/* The kernel that has every tracepoint the tracepoint method uses. */
	const char *tracepoints_since;
	/* Append the program text of m, with the options substituted. */
	void (*build)(struct text *t, enum method m);
	/* The tool's own checks once root and headers are there (or NULL). */
	bool (*ready)(void);
	/* stdout fully buffered, flushed by the tool (events_loop()), not
	 * line by line. */
	bool batched_output;
};

/* The options every tool has; args_parse() fills them in (TOOL_OPT_*). */
struct tool_opts {
	const char *attach;	/* --attach: a method name; "auto" */
	bool verbose;		/* -v: the attached method and its program */
	bool ebpf;		/* --ebpf: print the program; attach nothing */
	const char *check;	/* hidden --x-check: "compile" or "load" */
	bool second_only;	/* hidden --x-second-only (TOOL_OPTS_HIDDEN) */
	bool ipv4, ipv6;	/* -4 / -6 */
	bool no_cache;		/* --no-cache: always compile (progcache.h) */
	bool json;		/* -j: JSON lines on stdout (json.h) */
};
#define TOOL_OPTS_INIT { .attach = "auto" }

/* Their rows in a tool's options table (the order is the tool's). */
#define TOOL_OPT_IPV4(o) { '4', "ipv4", NULL, "trace IPv4 family only", \
	ARG_FLAG, 1, NULL, &(o).ipv4, NULL }
#define TOOL_OPT_IPV6(o) { '6', "ipv6", NULL, "trace IPv6 family only", \
	ARG_FLAG, 1, NULL, &(o).ipv6, NULL }
#define TOOL_OPT_ATTACH(o) { 0, "attach", NULL, \
	"how to attach: auto (default) picks what works here", \
	ARG_VALUE, 0, NULL, &(o).attach, method_names }
#define TOOL_OPT_NO_CACHE(o) { 0, "no-cache", NULL, \
	"compile the BPF program, neither reading nor writing the cache", \
	ARG_FLAG, 0, NULL, &(o).no_cache, NULL }
#define TOOL_OPT_JSON(o) { 'j', "json", NULL, \
	"print JSON lines (one object per line) instead of text", ARG_FLAG, 0, \
	NULL, &(o).json, NULL }
#define TOOL_OPT_VERBOSE(o, help) { 'v', "verbose", NULL, help, ARG_FLAG, 0, \
	NULL, &(o).verbose, NULL }
/*
 * Hidden: --ebpf, and for tests --x-check: stop after compiling, or after
 * loading every program (the kernel verifier) without attaching; exit 0
 * when that worked. --x-second-only: of each pair of programs on one
 * target (struct probe), attach only the second, as if the first skipped
 * every event, and report every skipped run: the tests show what the
 * second does alone (tcpconnlat's records no starts, by design).
 */
#define TOOL_OPTS_HIDDEN(o) \
	{ 0, "ebpf", NULL, NULL, ARG_FLAG, 0, NULL, &(o).ebpf, NULL }, \
	{ 0, "x-check", NULL, NULL, ARG_VALUE, 0, NULL, &(o).check, check_names }, \
	{ 0, "x-second-only", NULL, NULL, ARG_FLAG, 0, NULL, &(o).second_only, \
	  NULL }

/* A tool's struct arg_spec from its description, epilog and options. */
#define TOOL_ARGS(desc, ep, o) { .description = desc, .epilog = ep, \
	.opts = o, .nopts = sizeof(o) / sizeof((o)[0]) }

/* 4 or 6 under -4 / -6, else 0. */
int tool_family(const struct tool_opts *o);

/* Set by SIGINT or SIGTERM once tool_open() has caught them. */
extern volatile sig_atomic_t tool_exiting;

/*
 * Start the tool after its options are parsed. Returns 1 with *p attached:
 * trace; 0: done, exit 0 (--ebpf, --x-check, a signal while starting);
 * -1: failed, exit 1 (said why on stderr). Catches SIGINT and SIGTERM
 * (tool_exiting) before the compile, and ignores SIGPIPE.
 */
int tool_open(const struct tool *tool, const struct tool_opts *o,
	      struct bprog **p);

/*
 * Warn (stderr) of the program runs the kernel skipped since the last
 * call, by program (see bprog__new_skips()), and add them to *seen, the
 * total so far. Tools call it as they report.
 */
void tool_check_skipped(struct bprog *p, uint64_t *seen);

/* Detach and free everything tool_open() set up. Accepts NULL. */
void tool_close(struct bprog *p);

#endif
