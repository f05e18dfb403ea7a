// SPDX-License-Identifier: Apache-2.0
/*
 * compile: the child compiles with libbcc loaded by dlopen(); the parent,
 * which never maps libbcc, LLVM or clang, receives the tables' fds over a
 * socketpair (SCM_RIGHTS) and the functions' instructions.
 *
 * On the wire (wire.h): one struct wire_hdr carrying the tables' fds, then
 * the blob. A child that dies sends nothing (EOF).
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/bpf.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "fdio.h"
#include "wire.h"

#define COMPILE_FAILED	"failed to compile the BPF program (compiler messages above)"

/* bcc_common.h's module API, resolved in the child only. */
struct bcc_api {
	void *(*create)(const char *, unsigned, const char *[], int, bool,
			const char *);
	char *(*license)(void *);
	unsigned (*kern_version)(void *);
	size_t (*num_functions)(void *);
	const char *(*function_name)(void *, size_t);
	void *(*function_start)(void *, const char *);
	size_t (*function_size)(void *, const char *);
	size_t (*num_tables)(void *);
	const char *(*table_name)(void *, size_t);
	int (*table_fd_id)(void *, size_t);
	int (*table_type_id)(void *, size_t);
	size_t (*table_key_size_id)(void *, size_t);
	size_t (*table_leaf_size_id)(void *, size_t);
};

/* The first symbol dl lacks, or NULL when all of a resolved. */
static const char *resolve(void *dl, struct bcc_api *a)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(field, name) { name, offsetof(struct bcc_api, field) }
		SYM(create, "bpf_module_create_c_from_string"),
		SYM(license, "bpf_module_license"),
		SYM(kern_version, "bpf_module_kern_version"),
		SYM(num_functions, "bpf_num_functions"),
		SYM(function_name, "bpf_function_name"),
		SYM(function_start, "bpf_function_start"),
		SYM(function_size, "bpf_function_size"),
		SYM(num_tables, "bpf_num_tables"),
		SYM(table_name, "bpf_table_name"),
		SYM(table_fd_id, "bpf_table_fd_id"),
		SYM(table_type_id, "bpf_table_type_id"),
		SYM(table_key_size_id, "bpf_table_key_size_id"),
		SYM(table_leaf_size_id, "bpf_table_leaf_size_id"),
#undef SYM
	};

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *s = dlsym(dl, syms[i].name);

		if (!s)
			return syms[i].name;
		memcpy((char *)a + syms[i].off, &s, sizeof(s));
	}
	return NULL;
}

static int send_hdr(int sock, const struct wire_hdr *h, const int *fds,
		    int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_TABLES)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)h, .iov_len = sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	memset(&ctl, 0, sizeof(ctl));
	if (nfds) {
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)sizeof(*h) ? 0 : -1;
}

/*
 * The child ends without destroying the module (the process takes it), and
 * by SIGKILL once it has sent its answer: a checker's exit-time report
 * (valgrind's leak check of libbcc's and LLVM's heap, thousands of lines
 * into a pipe nobody drains yet) is not ours. Errors during the compile
 * are still reported as they happen; the parent ignores how it ended.
 */
static void __attribute__((noreturn)) child_exit(void)
{
	raise(SIGKILL);
	_exit(1);
}

static void child_fail(int sock, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void child_fail(int sock, int err, const char *fmt, ...)
{
	struct wire_hdr h = { .status = err };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h.err, sizeof(h.err), fmt, ap);
	va_end(ap);
	send_hdr(sock, &h, NULL, 0);
	child_exit();
}

/*
 * What the kernel made of each table, for the cache (progcache.h) to make
 * the same again. The kernel does not say which template a map-in-map was
 * made with; any table it accepts as an element describes the same inner
 * maps (the kernel compares type, sizes and flags), so that one is named.
 * The trial element is removed before the program ever runs.
 */
static void describe_tables(struct wire_table *wt, size_t nt)
{
	for (size_t i = 0; i < nt; i++) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);

		wt[i].inner_id = -1;
		if (bpf_obj_get_info_by_fd(wt[i].child_fd, &info, &len))
			continue;
		memcpy(wt[i].map_name, info.name, sizeof(wt[i].map_name));
		wt[i].max_entries = info.max_entries;
		wt[i].map_flags = info.map_flags;
	}
	for (size_t i = 0; i < nt; i++) {
		uint32_t zero = 0;

		if (!map_in_map(wt[i].type) || wt[i].key_size != sizeof(zero))
			continue;
		for (size_t j = 0; j < nt && wt[i].inner_id < 0; j++) {
			if (j == i || map_in_map(wt[j].type) ||
			    bpf_map_update_elem(wt[i].child_fd, &zero,
						&wt[j].child_fd, BPF_ANY))
				continue;
			bpf_map_delete_elem(wt[i].child_fd, &zero);
			wt[i].inner_id = wt[j].child_fd;
		}
	}
}

/* Compile, send, exit: the module and libbcc go with the process. */
static void __attribute__((noreturn))
child(int sock, const char *text, const char *const *cflags, int ncflags)
{
	struct wire_hdr h = { 0 };
	int fds[MAX_TABLES];
	struct bcc_api a;
	const char *miss;
	size_t nt, nf, i, len;
	char *blob, *p;
	void *dl, *mod;

	dl = dlopen("libbcc.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		child_fail(sock, ENOENT, "cannot load libbcc: %s", dlerror());
	miss = resolve(dl, &a);
	if (miss)
		child_fail(sock, ENOSYS, "libbcc has no %s", miss);
	/* allow_rlimit: raise RLIMIT_MEMLOCK for maps on pre-5.11 kernels. */
	mod = a.create(text, 0, (const char **)cflags, ncflags, true, NULL);
	if (!mod)
		child_fail(sock, EINVAL, COMPILE_FAILED);
	nt = a.num_tables(mod);
	nf = a.num_functions(mod);
	if (nt > MAX_TABLES || nf > MAX_FUNCS)
		child_fail(sock, E2BIG, "too many tables or functions in the BPF program");
	len = nt * sizeof(struct wire_table) + nf * sizeof(struct wire_func);
	for (i = 0; i < nf; i++)
		len += a.function_size(mod, a.function_name(mod, i));
	blob = calloc(1, len ? len : 1);
	if (!blob)
		child_fail(sock, ENOMEM, "out of memory");
	p = blob;
	for (i = 0; i < nt; i++, p += sizeof(struct wire_table)) {
		struct wire_table *t = (struct wire_table *)p;

		snprintf(t->name, sizeof(t->name), "%s", a.table_name(mod, i));
		t->type = a.table_type_id(mod, i);
		t->child_fd = fds[i] = a.table_fd_id(mod, i);
		t->key_size = (uint32_t)a.table_key_size_id(mod, i);
		t->leaf_size = (uint32_t)a.table_leaf_size_id(mod, i);
		if (fds[i] < 0)
			child_fail(sock, EBADF, "table %s has no map", t->name);
	}
	describe_tables((struct wire_table *)blob, nt);
	for (i = 0; i < nf; i++, p += sizeof(struct wire_func)) {
		struct wire_func *f = (struct wire_func *)p;

		snprintf(f->name, sizeof(f->name), "%s", a.function_name(mod, i));
		f->size = a.function_size(mod, f->name);
	}
	for (i = 0; i < nf; i++) {
		const char *name = a.function_name(mod, i);
		size_t sz = a.function_size(mod, name);

		memcpy(p, a.function_start(mod, name), sz);
		p += sz;
	}
	h.ntables = (uint32_t)nt;
	h.nfuncs = (uint32_t)nf;
	h.kern_version = a.kern_version(mod);
	h.blob_len = len;
	snprintf(h.license, sizeof(h.license), "%s", a.license(mod));
	if (!send_hdr(sock, &h, fds, (int)nt))
		fd_write_all(sock, blob, len);
	child_exit();
}

/* Wait until sock is readable, or -EINTR once *stop is set. */
static int wait_readable(int sock, volatile const sig_atomic_t *stop)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };

	for (;;) {
		if (stop && *stop)
			return -EINTR;
		int n = poll(&pfd, 1, 100);

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

/* The header and its fds; -EPIPE if the child sent nothing. */
static int recv_hdr(int sock, volatile const sig_atomic_t *stop,
		    struct wire_hdr *h, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_TABLES)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = h, .iov_len = sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t n;
	int err = wait_readable(sock, stop);

	*nfds = 0;
	if (err)
		return err;
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	for (cm = CMSG_FIRSTHDR(&m); n >= 0 && cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)*nfds);
		}
	if (n < 0)
		return -errno;
	if (m.msg_flags & MSG_CTRUNC)
		return -EPROTO;
	return n == (ssize_t)sizeof(*h) ? 0 : -EPIPE;
}

static int recv_all(int sock, volatile const sig_atomic_t *stop, char *buf,
		    size_t len)
{
	while (len) {
		int err = wait_readable(sock, stop);
		ssize_t n;

		if (err)
			return err;
		n = read(sock, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int receive(int sock, volatile const sig_atomic_t *stop,
		   struct compiled *c, struct cimage *img, char *err,
		   size_t errlen)
{
	int fds[MAX_TABLES], nfds, e, i;
	struct wire_hdr h;
	char *blob;

	e = recv_hdr(sock, stop, &h, fds, &nfds);
	if (!e && h.status) {
		h.err[sizeof(h.err) - 1] = '\0';
		snprintf(err, errlen, "%s", h.err);
		e = h.status > 0 ? -h.status : -EINVAL;
	} else if (!e && !wire_sane(&h, nfds)) {
		e = -EPROTO;
	}
	blob = e ? NULL : malloc(h.blob_len ? h.blob_len : 1);
	if (!e && !blob)
		e = -ENOMEM;
	if (!e)
		e = recv_all(sock, stop, blob, h.blob_len);
	if (e) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		free(blob);
		return e;
	}
	e = wire_build(&h, blob, fds, nfds, c);
	if (!e && img)
		wire_keep(&h, blob, img);
	free(blob);
	return e;
}

int compile_text(const char *text, const char *const *cflags, int ncflags,
		 volatile const sig_atomic_t *stop, struct compiled *c,
		 struct cimage *img, char *err, size_t errlen)
{
	pid_t parent = getpid(), pid;
	int sv[2], e, status = 0;

	memset(c, 0, sizeof(*c));
	if (img)
		memset(img, 0, sizeof(*img));
	err[0] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		e = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(-e));
		return e;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		/* Ctrl-C ends the compiler too; so does our death. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		child(sv[1], text, cflags, ncflags);
	}
	close(sv[1]);
	e = pid < 0 ? -errno : receive(sv[0], stop, c, img, err, errlen);
	close(sv[0]);
	if (pid > 0) {
		if (e == -EINTR)
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (!e)
		return 0;
	compiled_free(c);
	if (img)
		cimage_free(img);
	if (err[0])
		return e;
	if (pid < 0)
		snprintf(err, errlen, "cannot fork the compiler: %s", strerror(-e));
	else if (e == -EINTR)
		snprintf(err, errlen, "interrupted");
	else if (e == -EPIPE && WIFSIGNALED(status))
		snprintf(err, errlen, "the compiler died of signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (e == -EPIPE)
		snprintf(err, errlen, COMPILE_FAILED);
	else
		snprintf(err, errlen, "cannot receive the compiled program: %s",
			 strerror(-e));
	return e;
}

