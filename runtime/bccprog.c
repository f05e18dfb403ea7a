// SPDX-License-Identifier: Apache-2.0
/*
 * bccprog: compile (compile.c: in a child that maps libbcc and LLVM), then
 * load, attach and tear down with libbcc_bpf's C API (libbpf.h,
 * perf_reader.h) only. Every attachment is recorded, so bprog__destroy()
 * can undo all of them on any exit path.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>
#include <bpf/bpf.h>

#include "bccprog.h"
#include "btf_off.h"
#include "host.h"
#include "compile.h"
#include "progcache.h"

#define MAX_LINKS	32
#define MAX_FUNCS	32
#define MAX_READERS	1024
#define VERIFIER_LOG_SIZE	(1 << 20)

struct link {
	enum bprog_attach how;
	int fd;			/* perf event fd (kprobe) or link fd */
	char ev_name[128];	/* kprobe event name, for bpf_detach_kprobe */
};

struct loaded {
	char name[64];
	int fd;
	bool covered;		/* its skipped runs are another's: not counted */
	uint64_t misses;	/* its skipped runs when last reported */
};

struct reader {
	struct perf_reader *pr;
	int cpu;
	bprog_event_fn fn;
	bprog_lost_fn lost;
	void *ctx;
};

struct bprog {
	struct compiled c;
	struct loaded funcs[MAX_FUNCS];
	int nfuncs;
	struct link links[MAX_LINKS];
	int nlinks;
	struct reader **readers;	/* owned; cookies of the perf readers */
	struct perf_reader **prs;	/* parallel array for perf_reader_consume */
	struct pollfd *pfds;		/* and of their fds, for bprog__poll */
	int nreaders;
	char err[512];
	char cache_note[600];
};

static int set_err(struct bprog *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct bprog *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

const char *bprog__errmsg(const struct bprog *p)
{
	return p->err;
}

/*
 * Newer kernel headers (6.12's asm/ibt.h, asm/current.h) warn under bcc's
 * clang on every start; they are the kernel's, not the program's, and a
 * tool's stderr is for its own messages.
 */
static const char *const cflags[] = {
	"-Wno-ignored-attributes",
	"-Wno-duplicate-decl-specifier",
};

struct bprog *bprog__compile(const char *text, unsigned flags,
			     volatile const sig_atomic_t *stop, char *err,
			     size_t errlen)
{
	struct bprog *p = calloc(1, sizeof(*p));
	int e;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	e = progcache_compile(text, cflags, sizeof(cflags) / sizeof(cflags[0]),
			      !(flags & BPROG_NO_CACHE), stop, &p->c,
			      p->cache_note, sizeof(p->cache_note), err, errlen);
	if (e) {
		free(p);
		errno = -e;
		return NULL;
	}
	return p;
}

const char *bprog__cache_note(const struct bprog *p)
{
	return p->cache_note;
}

/*
 * libbcc prints some failures itself ("bpf: Failed to load program: ...",
 * "create_probe_event: ..."), then returns the error we report in one line
 * with its cause: its own lines are muted while it loads and attaches.
 */
static int stderr_mute(void)
{
	int saved, null;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		saved = -1;
	}
	if (null >= 0)
		close(null);
	return saved;
}

static void stderr_restore(int saved)
{
	int err = errno;

	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	errno = err;
}

static int prog_type_of(enum bprog_attach how, int *attach_type)
{
	*attach_type = -1;
	switch (how) {
	case BPROG_KPROBE:
	case BPROG_KRETPROBE:
		return BPF_PROG_TYPE_KPROBE;
	case BPROG_RAW_TP:
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	case BPROG_FENTRY:
		*attach_type = BPF_TRACE_FENTRY;
		return BPF_PROG_TYPE_TRACING;
	case BPROG_FEXIT:
		*attach_type = BPF_TRACE_FEXIT;
		return BPF_PROG_TYPE_TRACING;
	case BPROG_TP_BTF:
		*attach_type = BPF_TRACE_RAW_TP;
		return BPF_PROG_TYPE_TRACING;
	}
	return -1;
}

/* The prefix bcc's macros give a tracing program's function name. */
static const char *tracing_prefix(enum bprog_attach how)
{
	switch (how) {
	case BPROG_FENTRY:
		return "kfunc__";
	case BPROG_FEXIT:
		return "kretfunc__";
	case BPROG_TP_BTF:
		return "raw_tracepoint__";
	default:
		return NULL;
	}
}

/*
 * Load a tracing program (fentry, fexit, tp_btf) on target. Not through
 * bcc_prog_load_xattr(), which derives the target from the name's prefix
 * (kfunc__f targets f) and has none for tp_btf: a second program on the
 * same target (a pair, method.h) needs a name of its own.
 */
static int load_tracing(enum bprog_attach how, const char *fn,
			const char *target, const char *license,
			const struct bpf_insn *insns, size_t size, char *log,
			size_t log_size)
{
	const char *prefix = tracing_prefix(how);
	int id, fd, attach_type;
	char name[BPF_OBJ_NAME_LEN], tname[128];
	LIBBPF_OPTS(bpf_prog_load_opts, opts);

	if (!prefix || !target || strncmp(fn, prefix, strlen(prefix))) {
		errno = EINVAL;
		return -1;
	}
	prog_type_of(how, &attach_type);
	opts.expected_attach_type = (enum bpf_attach_type)attach_type;
	/*
	 * As libbpf_find_vmlinux_btf_id(), but from the BTF the start parsed
	 * already: that parses the kernel's BTF anew on every call (~40 ms).
	 * A tp_btf program's target is its tracepoint's btf_trace_<tp>.
	 */
	if (how == BPROG_TP_BTF) {
		snprintf(tname, sizeof(tname), "btf_trace_%s", target);
		id = btf_typedef_id(tname);
	} else {
		id = btf_func_id(target);
	}
	if (id < 0) {
		errno = -id;
		return -1;
	}
	opts.attach_btf_id = id;
	/* The name bcc gives a program: its function's, less the prefix. */
	snprintf(name, sizeof(name), "%s", fn + strlen(prefix));
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, name, license, insns,
			   size / sizeof(insns[0]), &opts);
	if (fd >= 0 || !log)
		return fd;
	/* Again with the verifier's log, for the reason (as bcc does). */
	opts.log_buf = log;
	opts.log_size = log_size;
	opts.log_level = 1;
	return bpf_prog_load(BPF_PROG_TYPE_TRACING, name, license, insns,
			     size / sizeof(insns[0]), &opts);
}

/* Load fn once; returns its fd. */
static int load_fn(struct bprog *p, enum bprog_attach how, const char *fn,
		   const char *target)
{
	int i, fd, muted, attach_type, prog_type = prog_type_of(how, &attach_type);
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	const struct cfunc *f = NULL;
	char *log;

	for (i = 0; i < p->nfuncs; i++)
		if (!strcmp(p->funcs[i].name, fn))
			return p->funcs[i].fd;
	if (p->nfuncs == MAX_FUNCS)
		return set_err(p, E2BIG, "too many BPF functions");
	for (i = 0; i < p->c.nfuncs && !f; i++)
		if (!strcmp(p->c.funcs[i].name, fn))
			f = &p->c.funcs[i];
	if (!f)
		return set_err(p, ENOENT, "no function %s in the BPF program", fn);
	opts.kern_version = p->c.kern_version;
	log = malloc(VERIFIER_LOG_SIZE);
	if (log)
		log[0] = '\0';
	muted = stderr_mute();
	errno = 0;
	if (prog_type == BPF_PROG_TYPE_TRACING)
		fd = load_tracing(how, fn, target, p->c.license, f->insns,
				  f->size, log, VERIFIER_LOG_SIZE);
	else
		fd = bcc_prog_load_xattr((enum bpf_prog_type)prog_type, fn,
					 p->c.license, f->insns, &opts,
					 (int)f->size, log,
					 log ? VERIFIER_LOG_SIZE : 0, true);
	stderr_restore(muted);
	if (fd < 0) {
		int err = errno ? errno : EINVAL;
		const char *last = "";

		/*
		 * The verifier's last line says why, but for the statistics
		 * it may append ("processed N insns", "verification time").
		 */
		while (log && *log) {
			char *end = log + strlen(log);

			while (end > log && end[-1] == '\n')
				*--end = '\0';
			last = strrchr(log, '\n');
			last = last ? last + 1 : log;
			if (last == log || (strncmp(last, "processed ", 10) &&
					    strncmp(last, "verification time", 17)))
				break;
			*(char *)(last - 1) = '\0';
		}
		set_err(p, err, "failed to load BPF function %s: %s%s%s", fn,
			strerror(err), *last ? ": " : "", last);
		free(log);
		return -err;
	}
	free(log);
	snprintf(p->funcs[p->nfuncs].name, sizeof(p->funcs[0].name), "%s", fn);
	p->funcs[p->nfuncs++].fd = fd;
	return fd;
}

int bprog__load(struct bprog *p, enum bprog_attach how, const char *fn,
		const char *target)
{
	int fd = load_fn(p, how, fn, target);

	return fd < 0 ? fd : 0;
}

int bprog__attach(struct bprog *p, enum bprog_attach how, const char *fn,
		  const char *target)
{
	struct link *l;
	int fd, lfd, muted;

	if (p->nlinks == MAX_LINKS)
		return set_err(p, E2BIG, "too many attachments");
	fd = load_fn(p, how, fn, target);
	if (fd < 0)
		return fd;
	l = &p->links[p->nlinks];
	memset(l, 0, sizeof(*l));
	l->how = how;
	muted = stderr_mute();
	errno = 0;
	switch (how) {
	case BPROG_KPROBE:
	case BPROG_KRETPROBE:
		/* Unique per process: two tools may probe the same function. */
		snprintf(l->ev_name, sizeof(l->ev_name), "%s_%d_%s",
			 how == BPROG_KPROBE ? "p" : "r", (int)getpid(), target);
		lfd = bpf_attach_kprobe(fd, how == BPROG_KPROBE ?
					BPF_PROBE_ENTRY : BPF_PROBE_RETURN,
					l->ev_name, target, 0, 0);
		break;
	case BPROG_RAW_TP:
		lfd = bpf_attach_raw_tracepoint(fd, target);
		break;
	case BPROG_TP_BTF:
		/* The program names its tracepoint (attach_btf_id). */
		lfd = bpf_raw_tracepoint_open(NULL, fd);
		break;
	case BPROG_FENTRY:
	case BPROG_FEXIT:
		lfd = bpf_attach_kfunc(fd);
		break;
	default:
		lfd = -1;
		errno = EINVAL;
	}
	stderr_restore(muted);
	if (lfd < 0) {
		int err = errno ? errno : EINVAL;

		return set_err(p, err, "failed to attach %s to %s: %s", fn,
			       target ? target : "its kernel function",
			       strerror(err));
	}
	l->fd = lfd;
	p->nlinks++;
	return 0;
}

static const struct ctable *table_of(struct bprog *p, const char *table)
{
	for (int i = 0; i < p->c.ntables; i++)
		if (!strcmp(p->c.tables[i].name, table))
			return &p->c.tables[i];
	set_err(p, ENOENT, "no table %s", table);
	return NULL;
}

int bprog__table_fd(struct bprog *p, const char *table)
{
	const struct ctable *t = table_of(p, table);

	return t ? t->fd : -ENOENT;
}

static void reader_raw(void *cookie, void *raw, int size)
{
	struct reader *r = cookie;

	r->fn(r->ctx, r->cpu, raw, size);
}

static void reader_lost(void *cookie, uint64_t lost)
{
	struct reader *r = cookie;

	if (r->lost)
		r->lost(r->ctx, lost);
}

int bprog__open_perf(struct bprog *p, const char *table, bprog_event_fn fn,
		     bprog_lost_fn lost, void *ctx, int page_cnt,
		     int wakeup_events)
{
	bool cpus[MAX_READERS] = { 0 };
	int tfd = bprog__table_fd(p, table), err, cpu, pfd;

	if (tfd < 0)
		return tfd;
	err = host_cpu_list("online", cpus, MAX_READERS);
	if (err)
		return set_err(p, err, "cannot read online CPUs: %s", strerror(-err));
	for (cpu = 0; cpu < MAX_READERS; cpu++) {
		struct reader *r;
		void *grow;

		if (!cpus[cpu])
			continue;
		grow = realloc(p->readers, (p->nreaders + 1) * sizeof(*p->readers));
		if (!grow)
			return set_err(p, ENOMEM, "out of memory");
		p->readers = grow;
		grow = realloc(p->prs, (p->nreaders + 1) * sizeof(*p->prs));
		if (!grow)
			return set_err(p, ENOMEM, "out of memory");
		p->prs = grow;
		grow = realloc(p->pfds, (p->nreaders + 1) * sizeof(*p->pfds));
		if (!grow)
			return set_err(p, ENOMEM, "out of memory");
		p->pfds = grow;
		/* Own allocation: a cookie must not move when the array grows. */
		r = calloc(1, sizeof(*r));
		if (!r)
			return set_err(p, ENOMEM, "out of memory");
		r->cpu = cpu;
		r->fn = fn;
		r->lost = lost;
		r->ctx = ctx;
		struct bcc_perf_buffer_opts opts = {
			.pid = -1, .cpu = cpu, .wakeup_events = wakeup_events,
		};

		r->pr = bpf_open_perf_buffer_opts(reader_raw, reader_lost, r,
						  page_cnt, &opts);
		if (!r->pr) {
			err = errno ? errno : EINVAL;
			free(r);
			return set_err(p, err, "cannot open perf buffer on CPU %d: %s",
				       cpu, strerror(err));
		}
		p->readers[p->nreaders] = r;
		p->prs[p->nreaders] = r->pr;
		pfd = perf_reader_fd(r->pr);
		p->pfds[p->nreaders] = (struct pollfd){ .fd = pfd, .events = POLLIN };
		p->nreaders++;
		if (bpf_update_elem(tfd, &cpu, &pfd, 0)) {
			err = errno;
			return set_err(p, err, "cannot enable perf buffer on CPU %d: %s",
				       cpu, strerror(err));
		}
	}
	return 0;
}

int bprog__poll(struct bprog *p, int timeout_ms, uint64_t *read_ns)
{
	struct timespec ts;
	int i, n;

	if (!p->nreaders)
		return set_err(p, EINVAL, "no perf buffers open");
	/* Our own poll, not perf_reader_poll(): its result (0.26 returns 0
	 * whatever the poll did), and the time between the wait and the
	 * reads. */
	n = poll(p->pfds, p->nreaders, timeout_ms);
	if (n < 0)
		return errno == EINTR ? -EINTR : set_err(p, errno, "poll: %s",
							  strerror(errno));
	/* A buffer whose event is gone (POLLHUP) would wake every poll:
	 * it is still read below, but no longer waited for. */
	for (i = 0; n > 0 && i < p->nreaders; i++)
		if (p->pfds[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			p->pfds[i].fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (read_ns)
		*read_ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	/* A buffer wakes the poll only once per wakeup_events events: read
	 * what every one holds. */
	perf_reader_consume(p->nreaders, p->prs);
	return n;
}

int bprog__drain(struct bprog *p, const char *table, bprog_want_fn want,
		 bprog_emit_fn emit, void *ctx)
{
	const struct ctable *t = table_of(p, table);
	size_t ksz, vsz, n = 0, cap = 0;
	char *keys = NULL, *val, *key, *next;
	bool first = true;
	int fd, err = 0;

	if (!t)
		return -ENOENT;
	fd = t->fd;
	ksz = t->key_size;
	vsz = t->leaf_size;
	key = calloc(2, ksz);
	val = malloc(vsz);
	if (!key || !val) {
		err = set_err(p, ENOMEM, "out of memory");
		goto out;
	}
	next = key + ksz;
	/* Collect first, delete after: deleting while walking restarts the walk. */
	while (bpf_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, ksz);
		if (!want(key, ctx))
			continue;
		if (n == cap) {
			char *grow;

			cap = cap ? cap * 2 : 256;
			grow = realloc(keys, cap * ksz);
			if (!grow) {
				err = set_err(p, ENOMEM, "out of memory");
				goto out;
			}
			keys = grow;
		}
		memcpy(keys + n++ * ksz, key, ksz);
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_lookup_elem(fd, keys + i * ksz, val) == 0)
			emit(keys + i * ksz, val, ctx);
		bpf_delete_elem(fd, keys + i * ksz);
	}
out:
	free(keys);
	free(key);
	free(val);
	return err;
}

bool bprog__kfunc_exists(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], sym[256], type;
	unsigned long long addr;
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    (type == 'T' || type == 't') && !strcmp(sym, name))
			found = true;
	fclose(f);
	return found;
}

void bprog__skips_covered(struct bprog *p, const char *fn)
{
	for (int i = 0; i < p->nfuncs; i++)
		if (!strcmp(p->funcs[i].name, fn))
			p->funcs[i].covered = true;
}

uint64_t bprog__new_skips(struct bprog *p, char *who, size_t len)
{
	uint64_t n = 0;
	size_t at = 0;

	if (len)
		who[0] = 0;
	for (int i = 0; i < p->nfuncs; i++) {
		struct loaded *f = &p->funcs[i];
		struct bpf_prog_info info = { 0 };
		uint32_t ilen = sizeof(info);

		if (f->fd < 0 || f->covered ||
		    bpf_obj_get_info_by_fd(f->fd, &info, &ilen) ||
		    info.recursion_misses <= f->misses)
			continue;
		n += info.recursion_misses - f->misses;
		if (at < len)
			at += snprintf(who + at, len - at, "%s%s %llu",
				       at ? ", " : "", f->name,
				       (unsigned long long)(info.recursion_misses - f->misses));
		/* Cut short: say so. */
		if (at >= len && len > 4)
			memcpy(who + len - 4, "...", 4);
		f->misses = info.recursion_misses;
	}
	return n;
}

void bprog__destroy(struct bprog *p)
{
	int i;

	if (!p)
		return;
	/* Detach first, so nothing fires into half-freed state. */
	for (i = p->nlinks - 1; i >= 0; i--) {
		struct link *l = &p->links[i];

		if (l->how == BPROG_KPROBE || l->how == BPROG_KRETPROBE) {
			bpf_close_perf_event_fd(l->fd);
			/* Only exists when bcc fell back to kprobe_events. */
			bpf_detach_kprobe(l->ev_name);
		} else {
			close(l->fd);
		}
	}
	for (i = 0; i < p->nreaders; i++) {
		perf_reader_free(p->readers[i]->pr);
		free(p->readers[i]);
	}
	free(p->readers);
	free(p->prs);
	free(p->pfds);
	for (i = 0; i < p->nfuncs; i++)
		close(p->funcs[i].fd);
	compiled_free(&p->c);
	free(p);
}
