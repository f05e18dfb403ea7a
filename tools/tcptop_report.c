// SPDX-License-Identifier: Apache-2.0
/*
 * tcptop_report: turn one interval's counts into bcc tcptop's output:
 * rows merged per connection, sorted, formatted with the original widths,
 * optionally cut to fit the screen; or the same rows as JSON lines (-j).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "comm.h"
#include "json.h"
#include "tcptop_report.h"

void rows_add(struct rows *r, const struct row *key, uint64_t sent,
	      uint64_t recv)
{
	struct row *row;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct row *v = realloc(r->v, cap * sizeof(*v));

		if (!v) {
			fputs("out of memory\n", stderr);
			abort();
		}
		r->v = v;
		r->cap = cap;
	}
	row = &r->v[r->n++];
	*row = *key;
	row->sent = sent;
	row->recv = recv;
}

static void comm_copy(char *dst, const char *src)
{
	memcpy(dst, src, TASK_COMM_LEN);
	dst[TASK_COMM_LEN] = '\0';
}

void rows_from_ipv4(struct row *row, const struct ipv4_key *k)
{
	memset(row, 0, sizeof(*row));
	row->family = AF_INET;
	row->pid = k->pid;
	comm_copy(row->comm, k->name);
	memcpy(row->saddr, &k->saddr, 4);
	memcpy(row->daddr, &k->daddr, 4);
	row->lport = k->lport;
	row->dport = k->dport;
}

void rows_from_ipv6(struct row *row, const struct ipv6_key *k)
{
	memset(row, 0, sizeof(*row));
	row->family = AF_INET6;
	row->pid = k->pid;
	comm_copy(row->comm, k->name);
	memcpy(row->saddr, k->saddr, 16);
	memcpy(row->daddr, k->daddr, 16);
	row->lport = k->lport;
	row->dport = k->dport;
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

/* The identity of a row: everything but the byte counts. */
static int cmp_identity(const struct row *a, const struct row *b)
{
	int c;

	if ((c = CMP(a->family, b->family)) || (c = CMP(a->pid, b->pid)))
		return c;
	if ((c = strcmp(a->comm, b->comm)) ||
	    (c = memcmp(a->saddr, b->saddr, 16)) ||
	    (c = memcmp(a->daddr, b->daddr, 16)))
		return c;
	if ((c = CMP(a->lport, b->lport)))
		return c;
	return CMP(a->dport, b->dport);
}

static int cmp_identity_q(const void *a, const void *b, void *unused)
{
	return cmp_identity(a, b);
}

static uint64_t sort_value(const struct row *r, enum sort_by sort)
{
	switch (sort) {
	case SORT_SENT:
		return r->sent;
	case SORT_RECEIVED:
		return r->recv;
	default:
		return r->sent + r->recv;
	}
}

/* Largest first; ties in a stable, readable order (total, then identity). */
static int cmp_bytes_q(const void *pa, const void *pb, void *psort)
{
	const struct row *a = pa, *b = pb;
	enum sort_by sort = *(const enum sort_by *)psort;
	int c;

	if ((c = CMP(sort_value(b, sort), sort_value(a, sort))))
		return c;
	if ((c = CMP(b->sent + b->recv, a->sent + a->recv)))
		return c;
	return cmp_identity(a, b);
}

void rows_finish(struct rows *r, enum sort_by sort)
{
	size_t i, out = 0;

	if (!r->n)
		return;
	qsort_r(r->v, r->n, sizeof(*r->v), cmp_identity_q, NULL);
	for (i = 1; i < r->n; i++) {
		if (!cmp_identity(&r->v[out], &r->v[i])) {
			r->v[out].sent += r->v[i].sent;
			r->v[out].recv += r->v[i].recv;
		} else {
			r->v[++out] = r->v[i];
		}
	}
	r->n = out + 1;
	qsort_r(r->v, r->n, sizeof(*r->v), cmp_bytes_q, &sort);
}

void rows_free(struct rows *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

static void fmt_addr(char ip[INET6_ADDRSTRLEN], int family,
		     const uint8_t *addr)
{
	if (!inet_ntop(family, addr, ip, INET6_ADDRSTRLEN))
		snprintf(ip, INET6_ADDRSTRLEN, "?");
}

static void fmt_endpoint(char *dst, size_t len, int family,
			 const uint8_t *addr, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	fmt_addr(ip, family, addr);
	snprintf(dst, len, "%s:%u", ip, port);
}

static int print_table(FILE *out, const struct rows *r, size_t limit, bool v6)
{
	int aw = v6 ? 32 : 21;
	size_t i;

	if (!r->n)
		return 0;
	if (fprintf(out, "%s%-7s %-12s %-*s %-*s %6s %6s\n", v6 ? "\n" : "",
		    "PID", "COMM", aw, v6 ? "LADDR6" : "LADDR", aw,
		    v6 ? "RADDR6" : "RADDR", "RX_KB", "TX_KB") < 0)
		return -1;
	for (i = 0; i < r->n && i < limit; i++) {
		const struct row *row = &r->v[i];
		char comm[4 * TASK_COMM_LEN + 1], l[64], d[64];

		comm_fmt(comm, row->comm, sizeof(row->comm), 12);
		fmt_endpoint(l, sizeof(l), row->family, row->saddr, row->lport);
		fmt_endpoint(d, sizeof(d), row->family, row->daddr, row->dport);
		if (fprintf(out, "%-7u %s %-*s %-*s %6llu %6llu\n", row->pid,
			    comm, aw, l, aw, d,
			    (unsigned long long)(row->recv / 1024),
			    (unsigned long long)(row->sent / 1024)) < 0)
			return -1;
	}
	return 0;
}

/*
 * How many rows of each table fit in lines screen lines: the summary and
 * headers first, the rest shared, a table that needs less leaving the
 * other its room. One line stays free for the cursor.
 */
static void fit(const struct report_opts *o, size_t n4, size_t n6,
		size_t *max4, size_t *max6)
{
	long room, half;

	*max4 = n4;
	*max6 = n6;
	if (o->max_rows > 0) {
		if (*max4 > (size_t)o->max_rows)
			*max4 = (size_t)o->max_rows;
		if (*max6 > (size_t)o->max_rows)
			*max6 = (size_t)o->max_rows;
	}
	if (o->screen_lines <= 0)
		return;
	room = o->screen_lines - 1 - (o->nosummary ? 0 : 2) -
	       (*max4 ? 1 : 0) - (*max6 ? 2 : 0);
	if (room < 0)
		room = 0;
	if ((long)(*max4 + *max6) <= room)
		return;
	half = room / 2;
	if ((long)*max4 <= half) {
		*max6 = (size_t)(room - (long)*max4);
	} else if ((long)*max6 <= room - half) {
		*max4 = (size_t)(room - (long)*max6);
	} else {
		*max4 = (size_t)(room - half);
		*max6 = (size_t)half;
	}
}

int report_print(FILE *out, const struct report_opts *o, const char *clock,
		 const char *loadavg, const struct rows *v4,
		 const struct rows *v6)
{
	size_t max4, max6;

	/* What clear(1) writes for xterm-like terminals: home, erase, scrollback. */
	if (fputs(o->noclear ? "\n" : "\033[H\033[2J\033[3J", out) < 0)
		return -1;
	if (!o->nosummary && fprintf(out, "%-8s loadavg: %s\n", clock, loadavg) < 0)
		return -1;
	fit(o, v4->n, v6->n, &max4, &max6);
	if (print_table(out, v4, max4, false) || print_table(out, v6, max6, true))
		return -1;
	return fflush(out) ? -1 : 0;
}

static void json_row(struct text *t, const struct timespec *end,
		     const struct row *row)
{
	char ip[INET6_ADDRSTRLEN];

	json_begin(t, "conn");
	json_time(t, end);
	json_uint(t, "pid", row->pid);
	json_strn(t, "comm", row->comm, TASK_COMM_LEN);
	json_uint(t, "family", row->family == AF_INET6 ? 6 : 4);
	fmt_addr(ip, row->family, row->saddr);
	json_str(t, "laddr", ip);
	json_uint(t, "lport", row->lport);
	fmt_addr(ip, row->family, row->daddr);
	json_str(t, "raddr", ip);
	json_uint(t, "rport", row->dport);
	json_uint(t, "rx_bytes", row->recv);
	json_uint(t, "tx_bytes", row->sent);
	json_end(t);
}

/* /proc/loadavg: "0.20 0.18 0.12 1/80 11206"; nothing if it is not that. */
static void json_loadavg(struct text *t, const char *loadavg)
{
	double l1, l5, l15;
	unsigned int running, total;

	if (sscanf(loadavg, "%lf %lf %lf %u/%u", &l1, &l5, &l15, &running,
		   &total) != 5)
		return;
	json_fixed(t, "load1", l1, 2);
	json_fixed(t, "load5", l5, 2);
	json_fixed(t, "load15", l15, 2);
	json_uint(t, "tasks_running", running);
	json_uint(t, "tasks_total", total);
}

int report_json(FILE *out, const struct report_opts *o,
		const struct timespec *end, const char *loadavg,
		const struct lost *lost, const struct rows *v4,
		const struct rows *v6)
{
	struct text t = { 0 };
	size_t max4, max6, i;
	int ret;

	fit(o, v4->n, v6->n, &max4, &max6);
	for (i = 0; i < max4; i++)
		json_row(&t, end, &v4->v[i]);
	for (i = 0; i < max6; i++)
		json_row(&t, end, &v6->v[i]);
	/* Last: a reader knows the interval is complete, and its size. */
	json_begin(&t, "interval");
	json_time(&t, end);
	if (!o->nosummary)
		json_loadavg(&t, loadavg);
	json_uint(&t, "rows", max4 + max6);
	json_uint(&t, "dropped", lost->dropped);
	json_uint(&t, "rx_unmeasured", lost->unmeasured);
	json_end(&t);
	/* Line-buffered stdout (tool_open) passes each object on as it ends. */
	ret = fputs(text_str(&t), out) < 0 || fflush(out) ? -1 : 0;
	text_free(&t);
	return ret;
}
