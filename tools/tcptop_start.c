// SPDX-License-Identifier: Apache-2.0
/* tcptop_start: the read position of every connection open at the start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include <bcc/libbpf.h>

#include "tcptop_start.h"

/* At most this many dumps after attaching, for two in a row to agree. */
#define MAX_DUMPS 5
/* At most this many network namespaces (each costs a descriptor). */
#define MAX_NETNS 4096
/* What bpf_text/tcptop/maps.bpf.c leaves for a connection it met first. */
#define MARK UINT64_MAX

/* The kernel's TCP states (ABI; linux/tcp.h has tcp_info but not these). */
enum { ESTABLISHED = 1, FIN_WAIT1 = 4, FIN_WAIT2 = 5, CLOSE = 7,
       CLOSE_WAIT = 8, LAST_ACK = 9, CLOSING = 11 };

static int set_add(struct start_set *set, uint64_t cookie, uint64_t read)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		struct start_conn *v = realloc(set->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = (struct start_conn){ .cookie = cookie, .read = read };
	return 0;
}

static int by_cookie(const void *a, const void *b)
{
	uint64_t x = ((const struct start_conn *)a)->cookie;
	uint64_t y = ((const struct start_conn *)b)->cookie;

	return (x > y) - (x < y);
}

void start_sort(struct start_set *set)
{
	if (set->n)
		qsort(set->v, set->n, sizeof(set->v[0]), by_cookie);
}

static struct start_conn *set_find(const struct start_set *set,
				   uint64_t cookie)
{
	struct start_conn key = { .cookie = cookie };

	if (!set->n)
		return NULL;
	return bsearch(&key, set->v, set->n, sizeof(set->v[0]), by_cookie);
}

bool start_same(const struct start_set *then, const struct start_conn *c)
{
	const struct start_conn *t = set_find(then, c->cookie);

	return t && t->read == c->read;
}

/* tcp_info as far as bytes_received: older kernels send less. */
#define INFO_NEEDS (offsetof(struct tcp_info, tcpi_bytes_received) + \
		    sizeof(uint64_t))

static int parse_one(const struct nlmsghdr *nh, struct start_set *out)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nh);
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m)));

	if (nh->nlmsg_len < off)
		return -EBADMSG;
	while (off + sizeof(struct rtattr) <= nh->nlmsg_len) {
		const struct rtattr *a = (const void *)((const char *)nh + off);
		struct tcp_info info;
		uint64_t cookie;

		if (a->rta_len < sizeof(*a) || off + a->rta_len > nh->nlmsg_len)
			return -EBADMSG;
		if (a->rta_type == INET_DIAG_INFO &&
		    RTA_PAYLOAD(a) >= INFO_NEEDS) {
			memset(&info, 0, sizeof(info));
			memcpy(&info, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof(info) ?
			       RTA_PAYLOAD(a) : sizeof(info));
			cookie = m->id.idiag_cookie[0] |
				 (uint64_t)m->id.idiag_cookie[1] << 32;
			/* As TCP_BYTES_READ() in bpf_text/shared/sock.bpf.c. */
			return set_add(out, cookie, info.tcpi_bytes_received -
				       m->idiag_rqueue);
		}
		off += RTA_ALIGN(a->rta_len);
	}
	return 0;	/* no tcp_info: no reading */
}

int start_parse(const void *buf, size_t len, struct start_set *out)
{
	const struct nlmsghdr *nh = buf;

	for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		int err;

		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : -EBADMSG;
		}
		if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			return -EBADMSG;
		err = parse_one(nh, out);
		if (err)
			return err;
	}
	return len ? -EBADMSG : 0;
}

/* Every TCP connection of one family the application can still read. */
static int dump_family(int fd, int family, struct start_set *out)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type =
			SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST |
			NLM_F_DUMP },
		.r = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_ext = 1 << (INET_DIAG_INFO - 1),
		       .idiag_states = 1 << ESTABLISHED | 1 << FIN_WAIT1 |
		       1 << FIN_WAIT2 | 1 << CLOSE | 1 << CLOSE_WAIT |
		       1 << LAST_ACK | 1 << CLOSING },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int ret = 0;

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0)
		return -errno;
	while (ret == 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		ret = start_parse(buf, n, out);
	}
	return ret < 0 ? ret : 0;
}

static int dump_all(struct start *s, struct start_set *out)
{
	out->n = 0;
	for (size_t i = 0; i < s->nsocks; i++) {
		int err = dump_family(s->socks[i], AF_INET, out);

		if (!err)
			err = dump_family(s->socks[i], AF_INET6, out);
		if (err)
			return err;
	}
	start_sort(out);
	return 0;
}

/* A sock_diag socket in the network namespace of nsfd (self: our own). */
static int diag_socket(int nsfd, int self)
{
	int fd, err;

	if (nsfd != self && setns(nsfd, CLONE_NEWNET))
		return -errno;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	err = fd < 0 ? -errno : 0;
	/* Back home; if that fails, nothing after it can be trusted. */
	if (nsfd != self && setns(self, CLONE_NEWNET))
		abort();
	return fd < 0 ? err : fd;
}

struct seen {
	dev_t dev[MAX_NETNS];
	ino_t ino[MAX_NETNS];
	size_t n;
};

/* A socket for the namespace at path, unless it was seen already. */
static void add_netns(struct start *s, struct seen *seen, const char *path,
		      int self)
{
	struct stat st;
	int nsfd, fd;

	if (seen->n == MAX_NETNS)
		return;
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return;		/* the process is gone, or not a namespace */
	if (fstat(nsfd, &st))
		goto out;
	for (size_t i = 0; i < seen->n; i++)
		if (seen->ino[i] == st.st_ino && seen->dev[i] == st.st_dev)
			goto out;
	fd = diag_socket(nsfd, self);
	if (fd < 0)
		goto out;
	seen->dev[seen->n] = st.st_dev;
	seen->ino[seen->n++] = st.st_ino;
	s->socks[s->nsocks++] = fd;
out:
	close(nsfd);
}

static void add_dir(struct start *s, struct seen *seen, const char *dir,
		    bool procs, int self)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (procs && (e->d_name[0] < '0' ||
						       e->d_name[0] > '9')))
			continue;
		snprintf(path, sizeof(path), procs ? "%s/%s/ns/net" : "%s/%s",
			 dir, e->d_name);
		add_netns(s, seen, path, self);
	}
	closedir(d);
}

int start_begin(struct start *s)
{
	struct seen *seen = calloc(1, sizeof(*seen));
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), err = 0;

	*s = (struct start){ 0 };
	s->socks = calloc(MAX_NETNS, sizeof(*s->socks));
	if (!seen || !s->socks || self < 0) {
		err = self < 0 ? -errno : -ENOMEM;
		goto out;
	}
	/* Ours first: without it there is nothing to do. */
	add_netns(s, seen, "/proc/self/ns/net", self);
	if (!s->nsocks) {
		err = -EPROTONOSUPPORT;
		goto out;
	}
	add_dir(s, seen, "/proc", true, self);
	add_dir(s, seen, "/run/netns", false, self);
	err = dump_all(s, &s->before);
out:
	if (self >= 0)
		close(self);
	free(seen);
	if (err)
		start_end(s);
	return err;
}

int start_fill(struct start *s, int map_fd)
{
	struct start_set prev = { 0 }, cur = { 0 }, t;
	int err = 0, stored = 0;
	bool full = false;

	if (!s->nsocks)
		return 0;
	err = dump_all(s, &prev);
	for (int i = 1; i < MAX_DUMPS && !err && !full; i++) {
		size_t pending = 0;

		err = dump_all(s, &cur);
		for (size_t j = 0; j < cur.n && !err && !full; j++) {
			struct start_conn *c = &cur.v[j];
			struct start_conn *b = set_find(&s->before, c->cookie);

			if (!b || b->done)
				continue;
			if (!start_same(&prev, c)) {
				pending++;
				continue;
			}
			/* Two dumps agree: store it (a mark, EEXIST, wins). */
			b->done = true;
			if (c->read == MARK)
				continue;
			if (!bpf_update_elem(map_fd, &c->cookie, &c->read,
					     BPF_NOEXIST))
				stored++;
			else if (errno != EEXIST)
				full = true;	/* the rest keep the older gap */
		}
		if (!pending)
			break;
		t = prev;
		prev = cur;
		cur = t;
	}
	free(prev.v);
	free(cur.v);
	return err ? err : stored;
}

void start_end(struct start *s)
{
	for (size_t i = 0; i < s->nsocks; i++)
		close(s->socks[i]);
	free(s->socks);
	free(s->before.v);
	*s = (struct start){ 0 };
}
