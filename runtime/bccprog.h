/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bccprog: the libbcc plumbing both tools share. Compile a BPF C text with
 * libbcc's C module API, load its functions with the right program type,
 * attach them (kprobe, kretprobe, raw tracepoint, fentry/fexit), open
 * per-CPU perf readers, and tear all of it down again in one call, so no
 * error path or signal leaves a probe attached.
 *
 * Constructors return NULL and set errno; other calls return 0 or -errno.
 * The last error is described by bprog__errmsg(), for one-line reports.
 */
#ifndef BCCPROG_H
#define BCCPROG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bprog;

enum bprog_attach {
	BPROG_KPROBE,		/* target: kernel function */
	BPROG_KRETPROBE,	/* target: kernel function */
	BPROG_RAW_TP,		/* target: tracepoint name, e.g. "sock_send_length" */
	BPROG_FENTRY,		/* target: kernel function; the name in the text: kfunc__* */
	BPROG_FEXIT,		/* likewise, kretfunc__* */
	/*
	 * A BTF-typed tracepoint (tp_btf): its arguments are typed pointers
	 * the program may load from directly. target: the tracepoint; the
	 * name in the text: raw_tracepoint__*.
	 */
	BPROG_TP_BTF,
};

#define BPROG_NO_CACHE	(1u << 0)	/* neither read nor write the cache */

/*
 * The program of text: from the cache (progcache.h), else compiled in a
 * child process (compile.h) and cached. A set *stop (the tool's Ctrl-C
 * flag, or NULL) ends the compile with EINTR. On failure errno is set and
 * err says why.
 */
struct bprog *bprog__compile(const char *text, unsigned flags,
			     volatile const sig_atomic_t *stop, char *err,
			     size_t errlen);

/* What the cache did for p ("hit PATH", "miss; stored PATH", "off", ...). */
const char *bprog__cache_note(const struct bprog *p);

/* Load function fn (if not yet loaded) and attach it to target. */
int bprog__attach(struct bprog *p, enum bprog_attach how, const char *fn,
		  const char *target);

/*
 * Load only (used to run the verifier on programs that cannot attach
 * here). target: what fn attaches to (the tracing programs' load names
 * it: a function, or a tp_btf program's tracepoint).
 */
int bprog__load(struct bprog *p, enum bprog_attach how, const char *fn,
		const char *target);

/* The fd of a table declared in the text, or -ENOENT. */
int bprog__table_fd(struct bprog *p, const char *table);

typedef void (*bprog_event_fn)(void *ctx, int cpu, void *data, int size);
typedef void (*bprog_lost_fn)(void *ctx, uint64_t lost);

/* Open a perf reader per online CPU on a BPF_PERF_OUTPUT table; each one
 * wakes a poll once per wakeup_events events. */
int bprog__open_perf(struct bprog *p, const char *table, bprog_event_fn fn,
		     bprog_lost_fn lost, void *ctx, int page_cnt,
		     int wakeup_events);

/*
 * Wait at most timeout_ms for a perf reader to wake, then read every one.
 * *read_ns (if not NULL): CLOCK_MONOTONIC after the wait, before the
 * reads: an event stamped before it was read now, or is being written.
 * How many woke the wait (0: timeout), -EINTR, or -errno (bprog__errmsg()).
 */
int bprog__poll(struct bprog *p, int timeout_ms, uint64_t *read_ns);

/*
 * Runs of p's programs the kernel skipped since the last call: a traced
 * event that came while the same program was running on that CPU (in an
 * interrupt nested in it, or a task that preempted it). What those runs
 * would have seen is missing. The kernel counts them for fentry/fexit
 * programs since Linux 5.12, for tracepoints and kprobes only later.
 * who (len bytes) gets the programs that skipped, "fn N, fn N".
 */
uint64_t bprog__new_skips(struct bprog *p, char *who, size_t len);

/* Do not count fn's skipped runs: another program sees those events. */
void bprog__skips_covered(struct bprog *p, const char *fn);

/* Detach everything, close readers, destroy the module. Accepts NULL. */
void bprog__destroy(struct bprog *p);

/*
 * Move the entries of a hash for which want(key) is true out of the table:
 * emit(key, value) for each, then delete them. Callers make sure no program
 * writes those keys any more (see tcptop's generations), so the read and the
 * delete cannot race: nothing is lost, and the walk is linear.
 */
typedef bool (*bprog_want_fn)(const void *key, void *ctx);
typedef void (*bprog_emit_fn)(const void *key, const void *value, void *ctx);
int bprog__drain(struct bprog *p, const char *table, bprog_want_fn want,
		 bprog_emit_fn emit, void *ctx);

/* Whether a kernel function exists (for optional probes like tcp_sendpage). */
bool bprog__kfunc_exists(const char *name);

/* Last error text ("" if none). */
const char *bprog__errmsg(const struct bprog *p);

#endif
