// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for tcptop_start's sock_diag parsing: each connection's reading
 * (bytes_received less the unread queue, by cookie), and every malformed or
 * error reply refused rather than read.
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "tcptop_start.h"
#include "unit.h"

static char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
static size_t used;

static struct nlmsghdr *put_msg(uint16_t type, size_t payload)
{
	struct nlmsghdr *nh = (void *)(buf + used);

	memset(nh, 0, NLMSG_SPACE(payload));
	nh->nlmsg_len = NLMSG_LENGTH(payload);
	nh->nlmsg_type = type;
	used += NLMSG_SPACE(payload);
	return nh;
}

/* A sock_diag message: cookie, rqueue, then attributes (type, length). */
static struct nlmsghdr *put_conn(uint64_t cookie, uint32_t rqueue,
				 int attr_type, size_t attr_len,
				 uint64_t bytes_received)
{
	size_t head = NLMSG_ALIGN(sizeof(struct inet_diag_msg));
	size_t other = RTA_SPACE(4);	/* an attribute before the info */
	struct nlmsghdr *nh = put_msg(SOCK_DIAG_BY_FAMILY, head + other +
				      RTA_SPACE(attr_len));
	struct inet_diag_msg *m = NLMSG_DATA(nh);
	struct rtattr *a = (void *)((char *)m + head);
	struct tcp_info info = { 0 };

	m->id.idiag_cookie[0] = (uint32_t)cookie;
	m->id.idiag_cookie[1] = cookie >> 32;
	m->idiag_rqueue = rqueue;
	a->rta_type = INET_DIAG_MARK;
	a->rta_len = RTA_LENGTH(4);
	a = (void *)((char *)a + other);
	a->rta_type = attr_type;
	a->rta_len = RTA_LENGTH(attr_len);
	info.tcpi_bytes_received = bytes_received;
	memcpy(RTA_DATA(a), &info, attr_len < sizeof(info) ? attr_len :
	       sizeof(info));
	return nh;
}

static int parse(struct start_set *set)
{
	int ret = start_parse(buf, used, set);

	used = 0;
	return ret;
}

#define NEEDS (offsetof(struct tcp_info, tcpi_bytes_received) + 8)

static void test_readings(void)
{
	struct start_set set = { 0 };

	put_conn(0x1122334455667788ULL, 300, INET_DIAG_INFO,
		 sizeof(struct tcp_info), 1000);
	/* bytes_received wrapped past the queue: still modulo 2^64. */
	put_conn(7, 5, INET_DIAG_INFO, NEEDS, 3);
	/* A kernel's shorter tcp_info, without bytes_received: no reading. */
	put_conn(8, 0, INET_DIAG_INFO, NEEDS - 1, 99);
	/* No tcp_info at all. */
	put_conn(9, 0, INET_DIAG_CONG, 8, 99);
	/* A longer tcp_info than ours (a newer kernel). */
	put_conn(10, 1, INET_DIAG_INFO, sizeof(struct tcp_info) + 64, 11);
	CHECK(parse(&set) == 0);
	CHECK_MSG(set.n == 3, "%zu readings", set.n);
	CHECK(set.v[0].cookie == 0x1122334455667788ULL && set.v[0].read == 700);
	CHECK(set.v[1].cookie == 7 && set.v[1].read == (uint64_t)-2);
	CHECK(set.v[2].cookie == 10 && set.v[2].read == 10);

	put_msg(NLMSG_DONE, 4);
	CHECK(parse(&set) == 1);
	CHECK(set.n == 3);

	start_sort(&set);
	CHECK(set.v[0].cookie == 7 && set.v[2].cookie == 0x1122334455667788ULL);
	CHECK(start_same(&set, &(struct start_conn){ .cookie = 10, .read = 10 }));
	CHECK(!start_same(&set, &(struct start_conn){ .cookie = 10, .read = 11 }));
	CHECK(!start_same(&set, &(struct start_conn){ .cookie = 11, .read = 10 }));
	CHECK(!start_same(&(struct start_set){ 0 }, &set.v[0]));
	free(set.v);
}

static void test_refused(void)
{
	struct start_set set = { 0 };
	struct nlmsghdr *nh;
	struct nlmsgerr *e;

	/* An error reply: its errno. */
	nh = put_msg(NLMSG_ERROR, sizeof(*e));
	e = NLMSG_DATA(nh);
	e->error = -EPERM;
	CHECK(parse(&set) == -EPERM);
	/* An error reply too short to hold one. */
	put_msg(NLMSG_ERROR, 2);
	CHECK(parse(&set) == -EBADMSG);
	/* Another message type. */
	put_msg(RTM_NEWLINK, 16);
	CHECK(parse(&set) == -EBADMSG);
	/* A message too short for an inet_diag_msg. */
	put_msg(SOCK_DIAG_BY_FAMILY, 8);
	CHECK(parse(&set) == -EBADMSG);
	/* An attribute running past its message. */
	nh = put_conn(1, 0, INET_DIAG_INFO, NEEDS, 5);
	nh->nlmsg_len -= 8;
	CHECK(parse(&set) == -EBADMSG);
	/* An attribute with a length shorter than its header. */
	nh = put_conn(1, 0, INET_DIAG_INFO, NEEDS, 5);
	((struct rtattr *)((char *)NLMSG_DATA(nh) +
			   NLMSG_ALIGN(sizeof(struct inet_diag_msg))))->rta_len = 2;
	CHECK(parse(&set) == -EBADMSG);
	/* A reply cut in the middle of a message. */
	put_conn(1, 0, INET_DIAG_INFO, NEEDS, 5);
	used -= 20;
	CHECK(parse(&set) == -EBADMSG);
	CHECK_MSG(set.n == 0, "%zu readings from bad replies", set.n);
	free(set.v);
}

int main(void)
{
	test_readings();
	test_refused();
	return unit_done("test_start");
}
