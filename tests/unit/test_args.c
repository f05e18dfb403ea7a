// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for tools/args.c: the strict value parsers, and the parser's
 * output against golden text produced by Python 3.11's argparse for the
 * same spec (tests/test_cli.py compares the real tools with Python live).
 *
 * args_parse() exits on -h and on usage errors, so those cases run in a
 * forked child whose stdout, stderr and exit status are captured.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"

static int passed, failed;

static void check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond, ...) check((cond), __FILE__, __LINE__, __VA_ARGS__)

/* ---- the strict parsers ----------------------------------------------- */

typedef int (*parse_fn)(const char *, void *, char *, size_t);

/* Expect failure with exactly this message. */
static void expect_err(parse_fn fn, const char *in, const char *msg, int line)
{
	char err[256] = "";
	union { int i; double d; const char *s; } dst = { 0 };
	int ret = fn(in, &dst, err, sizeof(err));

	check(ret == -1 && !strcmp(err, msg), __FILE__, line,
	      "input '%s': got %d \"%s\", want \"%s\"", in, ret, err, msg);
}

#define EXPECT_ERR(fn, in, msg) expect_err(fn, in, msg, __LINE__)

static void test_pid(void)
{
	char err[256];
	int pid = -1;

	CHECK(!args_parse_pid("181", &pid, err, sizeof(err)) && pid == 181,
	      "pid 181");
	CHECK(!args_parse_pid("1", &pid, err, sizeof(err)) && pid == 1,
	      "pid 1");
	CHECK(!args_parse_pid("4194304", &pid, err, sizeof(err)) &&
	      pid == 4194304, "pid max");
	CHECK(!args_parse_pid("007", &pid, err, sizeof(err)) && pid == 7,
	      "pid leading zeros");
	EXPECT_ERR(args_parse_pid, "12abc", "invalid pid value: '12abc'");
	EXPECT_ERR(args_parse_pid, "abc", "invalid pid value: 'abc'");
	EXPECT_ERR(args_parse_pid, "", "invalid pid value: ''");
	EXPECT_ERR(args_parse_pid, " 5", "invalid pid value: ' 5'");
	EXPECT_ERR(args_parse_pid, "5 ", "invalid pid value: '5 '");
	EXPECT_ERR(args_parse_pid, "+5", "invalid pid value: '+5'");
	EXPECT_ERR(args_parse_pid, "-5", "invalid pid value: '-5'");
	EXPECT_ERR(args_parse_pid, "0x10", "invalid pid value: '0x10'");
	EXPECT_ERR(args_parse_pid, "1_0", "invalid pid value: '1_0'");
	EXPECT_ERR(args_parse_pid, "0",
		   "invalid pid value: '0' (must be 1..4194304)");
	EXPECT_ERR(args_parse_pid, "4194305",
		   "invalid pid value: '4194305' (must be 1..4194304)");
	EXPECT_ERR(args_parse_pid, "18446744073709551617",
		   "invalid pid value: '18446744073709551617' (must be 1..4194304)");
	EXPECT_ERR(args_parse_pid, "it's", "invalid pid value: \"it's\"");
	EXPECT_ERR(args_parse_pid, "a\nb", "invalid pid value: 'a\\nb'");
}

static void test_positive_int(void)
{
	char err[256];
	int v = -1;

	CHECK(!args_parse_positive_int("5", &v, err, sizeof(err)) && v == 5,
	      "interval 5");
	CHECK(!args_parse_positive_int("+5", &v, err, sizeof(err)) && v == 5,
	      "interval +5 (Python's int() takes it)");
	CHECK(!args_parse_positive_int("0005", &v, err, sizeof(err)) &&
	      v == 5, "interval 0005");
	CHECK(!args_parse_positive_int("2147483", &v, err, sizeof(err)) &&
	      v == 2147483, "interval max");
	EXPECT_ERR(args_parse_positive_int, "abc",
		   "invalid range_check value: 'abc'");
	EXPECT_ERR(args_parse_positive_int, "1.5",
		   "invalid range_check value: '1.5'");
	EXPECT_ERR(args_parse_positive_int, "",
		   "invalid range_check value: ''");
	EXPECT_ERR(args_parse_positive_int, " 5",
		   "invalid range_check value: ' 5'");
	EXPECT_ERR(args_parse_positive_int, "1_0",
		   "invalid range_check value: '1_0'");
	EXPECT_ERR(args_parse_positive_int, "5x",
		   "invalid range_check value: '5x'");
	EXPECT_ERR(args_parse_positive_int, "-",
		   "invalid range_check value: '-'");
	EXPECT_ERR(args_parse_positive_int, "0",
		   "value must be stricly positive, got 0");
	EXPECT_ERR(args_parse_positive_int, "-0",
		   "value must be stricly positive, got 0");
	EXPECT_ERR(args_parse_positive_int, "-007",
		   "value must be stricly positive, got -7");
	EXPECT_ERR(args_parse_positive_int, "-99999999999999999999",
		   "value must be stricly positive, got -99999999999999999999");
	EXPECT_ERR(args_parse_positive_int, "2147484",
		   "value too large, got 2147484 (max 2147483)");
	EXPECT_ERR(args_parse_positive_int, "0099999999999999999999",
		   "value too large, got 99999999999999999999 (max 2147483)");
}

static void test_duration(void)
{
	char err[256];
	double d = -1;

	CHECK(!args_parse_duration_ms("1", &d, err, sizeof(err)) && d == 1,
	      "duration 1");
	CHECK(!args_parse_duration_ms("0.1", &d, err, sizeof(err)) &&
	      d == 0.1, "duration 0.1");
	CHECK(!args_parse_duration_ms(".5", &d, err, sizeof(err)) && d == .5,
	      "duration .5");
	CHECK(!args_parse_duration_ms("5.", &d, err, sizeof(err)) && d == 5,
	      "duration 5.");
	CHECK(!args_parse_duration_ms("1e3", &d, err, sizeof(err)) &&
	      d == 1000, "duration 1e3");
	CHECK(!args_parse_duration_ms("+2.5E-1", &d, err, sizeof(err)) &&
	      d == .25, "duration +2.5E-1");
	CHECK(!args_parse_duration_ms("-0", &d, err, sizeof(err)) && d == 0 &&
	      !signbit(d), "duration -0 stored as 0");
	CHECK(!args_parse_duration_ms("0", &d, err, sizeof(err)) && d == 0,
	      "duration 0");
	CHECK(!args_parse_duration_ms("1e-400", &d, err, sizeof(err)) &&
	      d == 0, "duration underflow is 0, as in Python");
	CHECK(!args_parse_duration_ms("18446744073709548", &d, err,
				      sizeof(err)), "duration near max");
	EXPECT_ERR(args_parse_duration_ms, "abc", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, "", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, ".", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, "1e", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, "0x10", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, " 1", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, "1_0", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, "1,5", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, "nan(1)", "must be a float");
	EXPECT_ERR(args_parse_duration_ms, "-1", "must be positive");
	EXPECT_ERR(args_parse_duration_ms, "-0.001", "must be positive");
	EXPECT_ERR(args_parse_duration_ms, "-inf", "must be positive");
	EXPECT_ERR(args_parse_duration_ms, "-1e400", "must be positive");
	EXPECT_ERR(args_parse_duration_ms, "nan", "must be a finite number");
	EXPECT_ERR(args_parse_duration_ms, "-NaN", "must be a finite number");
	EXPECT_ERR(args_parse_duration_ms, "inf", "must be a finite number");
	EXPECT_ERR(args_parse_duration_ms, "Infinity",
		   "must be a finite number");
	EXPECT_ERR(args_parse_duration_ms, "1e400", "must be a finite number");
	EXPECT_ERR(args_parse_duration_ms, "1e17",
		   "too large: the microseconds must fit in 64 bits");
	EXPECT_ERR(args_parse_duration_ms, "18446744073709552",
		   "too large: the microseconds must fit in 64 bits");
}

static void test_map_path(void)
{
	static const char bad[] =
		" (quotes, backslashes and control characters are not allowed)";
	char err[256], msg[256], *longp;
	const char *path = NULL;

	CHECK(!args_parse_map_path("/sys/fs/bpf/cgroupset", &path, err,
				   sizeof(err)) &&
	      !strcmp(path, "/sys/fs/bpf/cgroupset"), "absolute map path");
	CHECK(!args_parse_map_path("mappath", &path, err, sizeof(err)),
	      "relative map path (bcc accepts it)");
	CHECK(!args_parse_map_path("/a b/\xc3\xa9", &path, err, sizeof(err)),
	      "spaces and UTF-8 are fine in a C string");
	EXPECT_ERR(args_parse_map_path, "", "map path must not be empty");
	snprintf(msg, sizeof(msg), "invalid map path: 'a\"b'%s", bad);
	EXPECT_ERR(args_parse_map_path, "a\"b", msg);
	snprintf(msg, sizeof(msg), "invalid map path: 'a\\\\b'%s", bad);
	EXPECT_ERR(args_parse_map_path, "a\\b", msg);
	snprintf(msg, sizeof(msg), "invalid map path: '/x\\ny'%s", bad);
	EXPECT_ERR(args_parse_map_path, "/x\ny", msg);
	snprintf(msg, sizeof(msg), "invalid map path: '/x\\ty'%s", bad);
	EXPECT_ERR(args_parse_map_path, "/x\ty", msg);
	snprintf(msg, sizeof(msg), "invalid map path: '/x\\x7f'%s", bad);
	EXPECT_ERR(args_parse_map_path, "/x\x7f", msg);
	longp = malloc(4097);
	memset(longp, 'a', 4096);
	longp[4096] = '\0';
	EXPECT_ERR(args_parse_map_path, longp,
		   "map path too long (max 4095 bytes)");
	longp[4095] = '\0';
	CHECK(!args_parse_map_path(longp, &path, err, sizeof(err)),
	      "4095-byte map path");
	free(longp);
}

/* ---- the parser, against argparse ------------------------------------- */

static const char *const mode_choices[] = { "a", "b", NULL };

static struct {
	bool flag, four, six, hidden;
	int num, pos;
	const char *mode;
} demo;

static const struct arg_opt demo_opts[] = {
	{ 'f', "flag", NULL, "a flag", ARG_FLAG, 0, NULL, &demo.flag, NULL },
	{ 'n', "num", NULL, "a number", ARG_VALUE, 0, args_parse_pid,
	  &demo.num, NULL },
	{ '4', "four", NULL, "four", ARG_FLAG, 1, NULL, &demo.four, NULL },
	{ '6', "six", NULL, "six", ARG_FLAG, 1, NULL, &demo.six, NULL },
	{ 0, "pos", NULL,
	  "a positional argument with a longer help text to wrap",
	  ARG_POSITIONAL, 0, args_parse_positive_int, &demo.pos, NULL },
	{ 0, "mode", NULL, "the mode", ARG_VALUE, 0, NULL, &demo.mode,
	  mode_choices },
	{ 0, "hidden", NULL, NULL, ARG_FLAG, 0, NULL, &demo.hidden, NULL },
};

static const struct arg_spec demo_spec = {
	.prog = "demo",
	.description = "Demo parser.",
	.epilog = "examples:\n    demo -f 1\n",
	.opts = demo_opts,
	.nopts = sizeof(demo_opts) / sizeof(demo_opts[0]),
};

#define USAGE80 \
	"usage: demo [-h] [-f] [-n NUM] [-4 | -6] [--mode {a,b}] [pos]\n"

struct result {
	int status;		/* exit status, or 128 + signal */
	char out[8192], err[8192];
	double secs;
};

static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * Run args_parse (or args_error when errmsg is set) in a child with
 * COLUMNS=cols; argv is NULL-terminated, argv[0] included.
 */
static void run(const struct arg_spec *spec, int cols, const char *errmsg,
		char **argv, struct result *r)
{
	FILE *out = tmpfile(), *err = tmpfile();
	struct timespec t0, t1;
	char colstr[16];
	int argc, st;
	pid_t pid;

	for (argc = 0; argv[argc]; argc++)
		;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		snprintf(colstr, sizeof(colstr), "%d", cols);
		setenv("COLUMNS", colstr, 1);
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		if (errmsg) {
			args_parse(spec, 1, argv);
			args_error(spec, "%s", errmsg);
		}
		args_parse(spec, argc, argv);
		printf("flag=%d num=%d four=%d six=%d pos=%d mode=%s\n",
		       demo.flag, demo.num, demo.four, demo.six, demo.pos,
		       demo.mode ? demo.mode : "None");
		exit(0);
	}
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->secs = (double)(t1.tv_sec - t0.tv_sec) +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

static void expect(int line, int cols, const char *errmsg, int status,
		   const char *out, const char *err, ...)
{
	char *argv[16] = { "demo" };
	struct result *r = calloc(1, sizeof(*r));
	va_list ap;
	int n = 1;

	va_start(ap, err);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	run(&demo_spec, cols, errmsg, argv, r);
	check(r->status == status && !strcmp(r->out, out) &&
	      !strcmp(r->err, err), __FILE__, line,
	      "%s ... (COLUMNS=%d): status %d, want %d\n"
	      "stdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
	      argv[1] ? argv[1] : "", cols, r->status, status, r->out, out,
	      r->err, err);
	check(r->secs < 1.0, __FILE__, line, "took %.3f s", r->secs);
	free(r);
}

#define EXPECT(cols, status, out, err, ...) \
	expect(__LINE__, cols, NULL, status, out, err, __VA_ARGS__, NULL)

static void test_help(void)
{
	EXPECT(80, 0,
	       USAGE80
	       "\n"
	       "Demo parser.\n"
	       "\n"
	       "positional arguments:\n"
	       "  pos                a positional argument with a longer help text to wrap\n"
	       "\n"
	       "options:\n"
	       "  -h, --help         show this help message and exit\n"
	       "  -f, --flag         a flag\n"
	       "  -n NUM, --num NUM  a number\n"
	       "  -4, --four         four\n"
	       "  -6, --six          six\n"
	       "  --mode {a,b}       the mode\n"
	       "\n"
	       "examples:\n"
	       "    demo -f 1\n",
	       "", "-h");
	EXPECT(40, 0,
	       "usage: demo [-h] [-f] [-n NUM]\n"
	       "            [-4 | -6] [--mode {a,b}]\n"
	       "            [pos]\n"
	       "\n"
	       "Demo parser.\n"
	       "\n"
	       "positional arguments:\n"
	       "  pos             a positional\n"
	       "                  argument with a\n"
	       "                  longer help text to\n"
	       "                  wrap\n"
	       "\n"
	       "options:\n"
	       "  -h, --help      show this help\n"
	       "                  message and exit\n"
	       "  -f, --flag      a flag\n"
	       "  -n NUM, --num NUM\n"
	       "                  a number\n"
	       "  -4, --four      four\n"
	       "  -6, --six       six\n"
	       "  --mode {a,b}    the mode\n"
	       "\n"
	       "examples:\n"
	       "    demo -f 1\n",
	       "", "--help");
}

static void test_errors(void)
{
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument -6/--six: not allowed with argument -4/--four\n",
	       "-4", "-6");
	EXPECT(30, 2, "",
	       "usage: demo [-h] [-f]\n"
	       "            [-n NUM]\n"
	       "            [-4 | -6]\n"
	       "            [--mode {a,b}]\n"
	       "            [pos]\n"
	       "demo: error: argument -6/--six: not allowed with argument -4/--four\n",
	       "-4", "-6");
	EXPECT(80, 2, "", USAGE80
	       "demo: error: ambiguous option: --f could match --flag, --four\n",
	       "--f");
	/* argparse 3.11 hands every positional out at the first chance */
	EXPECT(80, 2, "", USAGE80
	       "demo: error: unrecognized arguments: 2\n", "1", "-f", "2");
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument --mode: invalid choice: 'c' (choose from 'a', 'b')\n",
	       "--mode", "c");
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument -f/--flag: ignored explicit argument 'x'\n",
	       "-fx");
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument -n/--num: expected one argument\n", "-n");
	/* a byte that is not UTF-8 prints as Python's surrogate escape */
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument pos: invalid range_check value: '\\udcff'\n",
	       "\xff");
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument pos: value must be stricly positive, got 0\n",
	       "0");
	/* conversion errors come before the end-of-parse "unrecognized" */
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument pos: invalid range_check value: 'x'\n",
	       "--bogus", "x");
	/* stricter than Python, which takes any -n string */
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument -n/--num: invalid pid value: '12abc'\n",
	       "-n", "12abc");
	EXPECT(80, 2, "", USAGE80
	       "demo: error: argument -n/--num: expected one argument\n",
	       "-n=--");
	expect(__LINE__, 80, "custom 5", 2, "",
	       USAGE80 "demo: error: custom 5\n", NULL);
}

static void test_values(void)
{
	EXPECT(80, 0, "flag=1 num=5 four=1 six=0 pos=3 mode=b\n", "",
	       "-f4n5", "--mo=b", "3");
	EXPECT(80, 0, "flag=0 num=7 four=0 six=1 pos=0 mode=None\n", "",
	       "--num=7", "--si", "--hidden");
	EXPECT(80, 0, "flag=0 num=7 four=0 six=0 pos=9 mode=a\n", "",
	       "-n", "7", "--mode", "a", "--", "9");
	EXPECT(80, 0, "flag=1 num=0 four=1 six=0 pos=0 mode=None\n", "",
	       "-4", "-4", "-f", "--");
}

/* prog defaults to basename(argv[0]), as in argparse */
static void test_prog(void)
{
	struct arg_spec spec = demo_spec;
	char *argv[] = { "/usr/sbin/demo2", "-4", "-6", NULL };
	struct result *r = calloc(1, sizeof(*r));

	spec.prog = NULL;
	run(&spec, 80, NULL, argv, r);
	CHECK(r->status == 2 && !strcmp(r->err,
	      "usage: demo2 [-h] [-f] [-n NUM] [-4 | -6] [--mode {a,b}] [pos]\n"
	      "demo2: error: argument -6/--six: not allowed with argument -4/--four\n"),
	      "prog from argv[0]: %d\n%s", r->status, r->err);
	free(r);
}

int main(void)
{
	test_pid();
	test_positive_int();
	test_duration();
	test_map_path();
	test_help();
	test_errors();
	test_values();
	test_prog();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
