/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcptop_report: the rows of one interval, built from the count tables'
 * keys (tcptop.h), and bcc tcptop's report of them, or JSON lines.
 */
#ifndef TCPTOP_REPORT_H
#define TCPTOP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "tcptop.h"

/* One connection of one process, in one interval. */
struct row {
	int family;		/* AF_INET or AF_INET6 */
	uint32_t pid;
	char comm[TASK_COMM_LEN + 1];
	uint8_t saddr[16], daddr[16];
	uint16_t lport, dport;
	uint64_t sent, recv;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

enum sort_by { SORT_ALL, SORT_SENT, SORT_RECEIVED };

struct report_opts {
	bool noclear;
	bool nosummary;
	enum sort_by sort;
	int max_rows;		/* per table; 0: no limit */
	int screen_lines;	/* fit both tables in this many lines; 0: no limit */
};

/* Add bytes to the row of this connection (merging equal keys). */
void rows_add(struct rows *r, const struct row *key, uint64_t sent,
	      uint64_t recv);
void rows_from_ipv4(struct row *row, const struct ipv4_key *k);
void rows_from_ipv6(struct row *row, const struct ipv6_key *k);
/* Combine rows of the same connection, then order by opts->sort. */
void rows_finish(struct rows *r, enum sort_by sort);
void rows_free(struct rows *r);

/* Print one interval the way bcc's tcptop does. Returns -1 on write error. */
int report_print(FILE *out, const struct report_opts *o, const char *clock,
		 const char *loadavg, const struct rows *v4,
		 const struct rows *v6);

/* Counts the programs lost (bpf_text/tcptop/maps.bpf.c, dropped). */
struct lost {
	uint64_t dropped;	/* a count table was full */
	uint64_t unmeasured;	/* no memory for a connection's baseline */
};

/*
 * The same rows (-r applies, no screen fitting) as JSON lines: one "conn"
 * object per row, IPv4 rows first, then an "interval" object (the README's
 * schema). end: the interval's end (CLOCK_REALTIME); loadavg is left out
 * under o->nosummary; lost: counts lost in this interval. Returns -1 on
 * write error.
 */
int report_json(FILE *out, const struct report_opts *o,
		const struct timespec *end, const char *loadavg,
		const struct lost *lost, const struct rows *v4,
		const struct rows *v6);

#endif
