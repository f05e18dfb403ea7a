// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for tcptop's report: merge, sort, format, fit to screen, JSON
 * lines.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "tcptop_report.h"
#include "unit.h"

static struct row mkrow(int family, uint32_t pid, const char *comm,
			const char *saddr, uint16_t lport, const char *daddr,
			uint16_t dport)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	r.family = family;
	r.pid = pid;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	inet_pton(family, saddr, r.saddr);
	inet_pton(family, daddr, r.daddr);
	r.lport = lport;
	r.dport = dport;
	return r;
}

/* report_print into a string. */
static char *render(const struct report_opts *o, const struct rows *v4,
		    const struct rows *v6)
{
	static char buf[1 << 16];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	report_print(f, o, "12:34:56", "0.00 0.01 0.05 1/86 4996\n", v4, v6);
	fclose(f);
	return buf;
}

static void test_merge_and_sort(void)
{
	struct rows r = { 0 };
	struct row a = mkrow(AF_INET, 10, "a", "127.0.0.1", 1, "127.0.0.1", 2);
	struct row b = mkrow(AF_INET, 20, "b", "127.0.0.1", 3, "127.0.0.1", 4);
	struct row c = mkrow(AF_INET, 30, "c", "127.0.0.1", 5, "127.0.0.1", 6);

	/* Sent and received come from separate tables: one row each. */
	rows_add(&r, &a, 100, 0);
	rows_add(&r, &b, 0, 500);
	rows_add(&r, &a, 0, 450);
	rows_add(&r, &c, 300, 300);
	rows_finish(&r, SORT_ALL);
	CHECK(r.n == 3);
	CHECK(r.v[0].pid == 30 && r.v[0].sent == 300 && r.v[0].recv == 300);
	CHECK(r.v[1].pid == 10 && r.v[1].sent == 100 && r.v[1].recv == 450);
	CHECK(r.v[2].pid == 20 && r.v[2].recv == 500);
	rows_finish(&r, SORT_SENT);
	CHECK(r.v[0].pid == 30 && r.v[1].pid == 10 && r.v[2].pid == 20);
	rows_finish(&r, SORT_RECEIVED);
	CHECK(r.v[0].pid == 20 && r.v[1].pid == 10 && r.v[2].pid == 30);
	rows_free(&r);

	/* Equal totals: a stable order (by identity), not hash order. */
	rows_add(&r, &b, 7, 0);
	rows_add(&r, &a, 7, 0);
	rows_finish(&r, SORT_ALL);
	CHECK(r.v[0].pid == 10 && r.v[1].pid == 20);
	/* Counts near 2^64 compare without wrapping. */
	rows_free(&r);
	rows_add(&r, &a, UINT64_MAX / 2, 0);
	rows_add(&r, &b, 1, 0);
	rows_finish(&r, SORT_ALL);
	CHECK(r.v[0].pid == 10);
	rows_free(&r);
}

static void test_format(void)
{
	struct report_opts o = { .noclear = true };
	struct rows v4 = { 0 }, v6 = { 0 };
	struct row a = mkrow(AF_INET, 1234, "curl", "127.0.0.1", 80,
			     "10.0.0.1", 5555);
	struct row b = mkrow(AF_INET6, 7, "averyveryverylongname",
			     "2001:db8::1", 443, "::1", 65535);
	char *out;

	/* KB is bytes / 1024 rounded down, as int(bytes / 1024). */
	rows_add(&v4, &a, 2048, 1024 * 4 + 1023);
	rows_add(&v6, &b, 123456 * 1024 + 1023, 1024);
	rows_finish(&v4, SORT_ALL);
	rows_finish(&v6, SORT_ALL);
	out = render(&o, &v4, &v6);
	CHECK_STR(out,
		"\n"
		"12:34:56 loadavg: 0.00 0.01 0.05 1/86 4996\n"
		"\n"
		"PID     COMM         LADDR                 RADDR                  RX_KB  TX_KB\n"
		"1234    curl         127.0.0.1:80          10.0.0.1:5555              4      2\n"
		"\n"
		"PID     COMM         LADDR6                           RADDR6                            RX_KB  TX_KB\n"
		"7       averyveryver 2001:db8::1:443                  ::1:65535                             1 123456\n");

	/* -S drops the summary; without -C the screen is cleared. */
	o.nosummary = true;
	o.noclear = false;
	out = render(&o, &v4, &(struct rows){ 0 });
	CHECK_STR(out,
		"\033[H\033[2J\033[3J"
		"PID     COMM         LADDR                 RADDR                  RX_KB  TX_KB\n"
		"1234    curl         127.0.0.1:80          10.0.0.1:5555              4      2\n");

	/* No rows: no headers at all. */
	out = render(&o, &(struct rows){ 0 }, &(struct rows){ 0 });
	CHECK_STR(out, "\033[H\033[2J\033[3J");
	rows_free(&v4);
	rows_free(&v6);
}

static void test_comm_characters(void)
{
	struct report_opts o = { .noclear = true, .nosummary = true };
	struct rows v4 = { 0 };
	struct row a = mkrow(AF_INET, 1, "d\xc3\xa9\xe2\x82\xac" "v\xc3\xa9lopperx",
			     "127.0.0.1", 1, "127.0.0.1", 2);

	/* Python's %-12.12s counts characters of the decoded name. */
	rows_add(&v4, &a, 0, 0);
	CHECK_STR(render(&o, &v4, &(struct rows){ 0 }),
		"\n"
		"PID     COMM         LADDR                 RADDR                  RX_KB  TX_KB\n"
		"1       d\xc3\xa9\xe2\x82\xac" "v\xc3\xa9lopperx 127.0.0.1:1           127.0.0.1:2                0      0\n");
	rows_free(&v4);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_fit(void)
{
	struct report_opts o = { .screen_lines = 20 };
	struct rows v4 = { 0 }, v6 = { 0 };
	char *out;
	int i;

	for (i = 0; i < 50; i++) {
		struct row a = mkrow(AF_INET, 100 + i, "x", "127.0.0.1", i + 1,
				     "127.0.0.1", 9);
		struct row b = mkrow(AF_INET6, 200 + i, "y", "::1", i + 1,
				     "::1", 9);

		rows_add(&v4, &a, 1000 - i, 0);
		rows_add(&v6, &b, 1000 - i, 0);
	}
	rows_finish(&v4, SORT_ALL);
	rows_finish(&v6, SORT_ALL);
	/* 20 lines: summary 2, headers 1 + 2, one free: 14 rows, 7 each. */
	out = render(&o, &v4, &v6);
	CHECK(count_lines(out) == 19);
	CHECK(strstr(out, "106     x") && !strstr(out, "107     x"));
	CHECK(strstr(out, "206     y") && !strstr(out, "207     y"));

	/* A short table leaves its room to the other. */
	v6.n = 2;
	out = render(&o, &v4, &v6);
	CHECK(count_lines(out) == 19);
	CHECK(strstr(out, "111     x") && !strstr(out, "112     x"));

	/* -r caps each table; no screen limit. */
	o.screen_lines = 0;
	o.max_rows = 3;
	v6.n = 50;
	out = render(&o, &v4, &v6);
	CHECK(strstr(out, "102     x") && !strstr(out, "103     x"));
	CHECK(strstr(out, "202     y") && !strstr(out, "203     y"));
	rows_free(&v4);
	rows_free(&v6);
}

static void test_json(void)
{
	static char buf[1 << 12];
	struct report_opts o = { .max_rows = 1 };
	struct timespec end = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	struct rows v4 = { 0 }, v6 = { 0 };
	struct row a = mkrow(AF_INET, 7, "a\xff\"b", "10.0.0.1", 22,
			     "10.0.0.2", 50000);
	struct row b = mkrow(AF_INET, 8, "b", "10.0.0.1", 23, "10.0.0.2", 1);
	struct row c = mkrow(AF_INET6, 9, "c", "::1", 443, "::ffff:1.2.3.4", 2);
	struct lost lost = { .dropped = 3, .unmeasured = 5 };
	FILE *f;

	rows_add(&v4, &a, 1025, 3);
	rows_add(&v4, &b, 1, 0);
	rows_add(&v6, &c, 0, 1023);
	rows_finish(&v4, SORT_ALL);
	rows_finish(&v6, SORT_ALL);
	/* -r 1: one row per table; exact bytes; the summary last. */
	f = fmemopen(buf, sizeof(buf), "w");
	CHECK(report_json(f, &o, &end, "0.00 0.01 1.50 2/86 4996\n", &lost,
			  &v4, &v6) == 0);
	fclose(f);
	CHECK_STR(buf,
		  "{\"v\":1,\"type\":\"conn\",\"time\":\"2023-11-14T22:13:20.123456Z\",\"ts_ns\":1700000000123456789,\"pid\":7,\"comm\":\"a\\ufffd\\\"b\",\"family\":4,\"laddr\":\"10.0.0.1\",\"lport\":22,\"raddr\":\"10.0.0.2\",\"rport\":50000,\"rx_bytes\":3,\"tx_bytes\":1025}\n"
		  "{\"v\":1,\"type\":\"conn\",\"time\":\"2023-11-14T22:13:20.123456Z\",\"ts_ns\":1700000000123456789,\"pid\":9,\"comm\":\"c\",\"family\":6,\"laddr\":\"::1\",\"lport\":443,\"raddr\":\"::ffff:1.2.3.4\",\"rport\":2,\"rx_bytes\":1023,\"tx_bytes\":0}\n"
		  "{\"v\":1,\"type\":\"interval\",\"time\":\"2023-11-14T22:13:20.123456Z\",\"ts_ns\":1700000000123456789,\"load1\":0.00,\"load5\":0.01,\"load15\":1.50,\"tasks_running\":2,\"tasks_total\":86,\"rows\":2,\"dropped\":3,\"rx_unmeasured\":5}\n");
	/* -S: no load; an empty interval is its summary alone. */
	o = (struct report_opts){ .nosummary = true };
	rows_free(&v4);
	rows_free(&v6);
	f = fmemopen(buf, sizeof(buf), "w");
	lost = (struct lost){ 0 };
	CHECK(report_json(f, &o, &end, "", &lost, &v4, &v6) == 0);
	fclose(f);
	CHECK_STR(buf, "{\"v\":1,\"type\":\"interval\",\"time\":\"2023-11-14T22:13:20.123456Z\",\"ts_ns\":1700000000123456789,\"rows\":0,\"dropped\":0,\"rx_unmeasured\":0}\n");
}

int main(void)
{
	test_merge_and_sort();
	test_format();
	test_comm_characters();
	test_fit();
	test_json();
	return unit_done("test_report");
}
