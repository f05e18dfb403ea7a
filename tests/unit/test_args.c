// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for runtime/args.c: the strict value parsers, and the parser's
 * output against text produced by Python 3.11's argparse for the same spec
 * at 80 columns (tests/test_cli.py compares the real tools with Python).
 * args_try() parses without printing or exiting.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "args.h"
#include "text.h"
#include "unit.h"

typedef int (*parse_fn)(const char *, void *, char *, size_t);

/* Expect failure with exactly this message. */
#define EXPECT_ERR(fn, in, msg) do {					\
	char err_[256] = "";						\
	union { int i; double d; const char *s; } dst_ = { 0 };	\
	int ret_ = (fn)((in), &dst_, err_, sizeof(err_));		\
									\
	CHECK_MSG(ret_ == -1 && !strcmp(err_, (msg)),			\
		  "input '%s': got %d \"%s\", want \"%s\"", (in), ret_,	\
		  err_, (msg));						\
} while (0)

#define EXPECT_INT(fn, in, want) do {					\
	char err_[256] = "";						\
	int v_ = -1, ret_ = (fn)((in), &v_, err_, sizeof(err_));	\
									\
	CHECK_MSG(ret_ == 0 && v_ == (want),				\
		  "input '%s': got %d, %d \"%s\"", (in), ret_, v_, err_);	\
} while (0)

/* Values each validator rejects, with the message argparse would print
 * after "argument NAME: " (Python's own where Python rejects them too). */
static const struct {
	arg_parse_fn fn;
	const char *in, *msg;
} rejected[] = {
	{ args_parse_pid, "12abc", "invalid pid value: '12abc'" },
	{ args_parse_pid, "abc", "invalid pid value: 'abc'" },
	{ args_parse_pid, "", "invalid pid value: ''" },
	{ args_parse_pid, " 5", "invalid pid value: ' 5'" },
	{ args_parse_pid, "5 ", "invalid pid value: '5 '" },
	{ args_parse_pid, "+5", "invalid pid value: '+5'" },
	{ args_parse_pid, "-5", "invalid pid value: '-5'" },
	{ args_parse_pid, "0x10", "invalid pid value: '0x10'" },
	{ args_parse_pid, "1_0", "invalid pid value: '1_0'" },
	{ args_parse_pid, "0", "invalid pid value: '0' (must be 1..4194304)" },
	{ args_parse_pid, "4194305", "invalid pid value: '4194305' (must be 1..4194304)" },
	{ args_parse_pid, "18446744073709551617", "invalid pid value: '18446744073709551617' (must be 1..4194304)" },
	{ args_parse_pid, "it's", "invalid pid value: \"it's\"" },
	{ args_parse_pid, "a\nb", "invalid pid value: 'a\\nb'" },
	{ args_parse_positive_int, "abc", "invalid range_check value: 'abc'" },
	{ args_parse_positive_int, "1.5", "invalid range_check value: '1.5'" },
	{ args_parse_positive_int, "", "invalid range_check value: ''" },
	{ args_parse_positive_int, " 5", "invalid range_check value: ' 5'" },
	{ args_parse_positive_int, "1_0", "invalid range_check value: '1_0'" },
	{ args_parse_positive_int, "5x", "invalid range_check value: '5x'" },
	{ args_parse_positive_int, "-", "invalid range_check value: '-'" },
	{ args_parse_positive_int, "0", "value must be stricly positive, got 0" },
	{ args_parse_positive_int, "-0", "value must be stricly positive, got 0" },
	{ args_parse_positive_int, "-007", "value must be stricly positive, got -7" },
	{ args_parse_positive_int, "-99999999999999999999", "value must be stricly positive, got -99999999999999999999" },
	{ args_parse_positive_int, "2147484", "value too large, got 2147484 (max 2147483)" },
	{ args_parse_positive_int, "0099999999999999999999", "value too large, got 99999999999999999999 (max 2147483)" },
	{ args_parse_duration_ms, "abc", "must be a float" },
	{ args_parse_duration_ms, "", "must be a float" },
	{ args_parse_duration_ms, ".", "must be a float" },
	{ args_parse_duration_ms, "1e", "must be a float" },
	{ args_parse_duration_ms, "0x10", "must be a float" },
	{ args_parse_duration_ms, " 1", "must be a float" },
	{ args_parse_duration_ms, "1_0", "must be a float" },
	{ args_parse_duration_ms, "1,5", "must be a float" },
	{ args_parse_duration_ms, "nan(1)", "must be a float" },
	{ args_parse_duration_ms, "-1", "must be positive" },
	{ args_parse_duration_ms, "-0.001", "must be positive" },
	{ args_parse_duration_ms, "-inf", "must be positive" },
	{ args_parse_duration_ms, "-1e400", "must be positive" },
	{ args_parse_duration_ms, "nan", "must be a finite number" },
	{ args_parse_duration_ms, "-NaN", "must be a finite number" },
	{ args_parse_duration_ms, "inf", "must be a finite number" },
	{ args_parse_duration_ms, "Infinity", "must be a finite number" },
	{ args_parse_duration_ms, "1e400", "must be a finite number" },
	{ args_parse_duration_ms, "1e17", "too large: the microseconds must fit in 64 bits" },
	{ args_parse_duration_ms, "18446744073709552", "too large: the microseconds must fit in 64 bits" },
};

static void test_rejected(void)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++)
		EXPECT_ERR(rejected[i].fn, rejected[i].in, rejected[i].msg);
}

static void test_pid(void)
{
	EXPECT_INT(args_parse_pid, "181", 181);
	EXPECT_INT(args_parse_pid, "1", 1);
	EXPECT_INT(args_parse_pid, "4194304", 4194304);
	EXPECT_INT(args_parse_pid, "007", 7);
}

static void test_positive_int(void)
{
	EXPECT_INT(args_parse_positive_int, "5", 5);
	EXPECT_INT(args_parse_positive_int, "+5", 5);
	EXPECT_INT(args_parse_positive_int, "0005", 5);
	EXPECT_INT(args_parse_positive_int, "2147483", 2147483);
}

static void test_duration(void)
{
	char err[256];
	double d = -1;

	CHECK_MSG(!args_parse_duration_ms("1", &d, err, sizeof(err)) && d == 1,
	      "duration 1");
	CHECK_MSG(!args_parse_duration_ms("0.1", &d, err, sizeof(err)) &&
	      d == 0.1, "duration 0.1");
	CHECK_MSG(!args_parse_duration_ms(".5", &d, err, sizeof(err)) && d == .5,
	      "duration .5");
	CHECK_MSG(!args_parse_duration_ms("5.", &d, err, sizeof(err)) && d == 5,
	      "duration 5.");
	CHECK_MSG(!args_parse_duration_ms("1e3", &d, err, sizeof(err)) &&
	      d == 1000, "duration 1e3");
	CHECK_MSG(!args_parse_duration_ms("+2.5E-1", &d, err, sizeof(err)) &&
	      d == .25, "duration +2.5E-1");
	CHECK_MSG(!args_parse_duration_ms("-0", &d, err, sizeof(err)) && d == 0 &&
	      !signbit(d), "duration -0 stored as 0");
	CHECK_MSG(!args_parse_duration_ms("0", &d, err, sizeof(err)) && d == 0,
	      "duration 0");
	CHECK_MSG(!args_parse_duration_ms("1e-400", &d, err, sizeof(err)) &&
	      d == 0, "duration underflow is 0, as in Python");
	CHECK_MSG(!args_parse_duration_ms("18446744073709548", &d, err,
				      sizeof(err)), "duration near max");
}

static void test_map_path(void)
{
	static const char bad[] =
		" (quotes, backslashes and control characters are not allowed)";
	char err[256], msg[256], *longp;
	const char *path = NULL;

	CHECK_MSG(!args_parse_map_path("/sys/fs/bpf/cgroupset", &path, err,
				   sizeof(err)) &&
	      !strcmp(path, "/sys/fs/bpf/cgroupset"), "absolute map path");
	CHECK_MSG(!args_parse_map_path("mappath", &path, err, sizeof(err)),
	      "relative map path (bcc accepts it)");
	CHECK_MSG(!args_parse_map_path("/a b/\xc3\xa9", &path, err, sizeof(err)),
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
	CHECK_MSG(!args_parse_map_path(longp, &path, err, sizeof(err)),
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
	  "a positional argument with a longer help text to wrap at the "
	  "eightieth column, as argparse wraps it",
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

/*
 * Parse "demo ARGS..." (NULL-terminated) with spec; status 0 appends the
 * values parsed to the output.
 */
static int run(const struct arg_spec *spec, struct text *out, ...)
{
	char *argv[16] = { "/usr/sbin/demo" };
	int argc = 1, ret;
	va_list ap;

	memset(&demo, 0, sizeof(demo));
	va_start(ap, out);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	ret = args_try(spec, argc, argv, out);
	if (!ret)
		text_addf(out, "flag=%d num=%d four=%d six=%d pos=%d mode=%s\n",
			  demo.flag, demo.num, demo.four, demo.six, demo.pos,
			  demo.mode ? demo.mode : "None");
	return ret;
}

#define EXPECT(status, want, ...) do {					\
	struct text out_ = { 0 };					\
									\
	CHECK(run(&demo_spec, &out_, __VA_ARGS__, NULL) == (status));	\
	CHECK_STR(text_str(&out_), (want));				\
	text_free(&out_);						\
} while (0)

static void test_help(void)
{
	static const char help[] =
		USAGE80
		"\n"
		"Demo parser.\n"
		"\n"
		"positional arguments:\n"
		"  pos                a positional argument with a longer help text to wrap at\n"
		"                     the eightieth column, as argparse wraps it\n"
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
		"    demo -f 1\n";

	EXPECT(ARGS_HELP, help, "-h");
	EXPECT(ARGS_HELP, help, "--he");
	EXPECT(ARGS_HELP, help, "-fh", "--bogus");
}

static void test_errors(void)
{
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument -6/--six: not "
	       "allowed with argument -4/--four\n", "-4", "-6");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: ambiguous option: --f could "
	       "match --flag, --four\n", "--f");
	/* argparse hands every positional out at the first chance */
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: unrecognized arguments: 2\n",
	       "1", "-f", "2");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument --mode: invalid "
	       "choice: 'c' (choose from 'a', 'b')\n", "--mode", "c");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument -f/--flag: ignored "
	       "explicit argument 'x'\n", "-fx");
	/* the whole "-hx" is checked before -h acts */
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument -h/--help: ignored "
	       "explicit argument 'x'\n", "-hx");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument -n/--num: expected "
	       "one argument\n", "-n");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument -n/--num: expected "
	       "one argument\n", "-n", "-f");
	/* bytes that are not UTF-8 are printed as given */
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument pos: invalid "
	       "range_check value: '\xff'\n", "\xff");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument pos: value must be "
	       "stricly positive, got 0\n", "0");
	/* conversion errors come before the end-of-parse "unrecognized" */
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument pos: invalid "
	       "range_check value: 'x'\n", "--bogus", "x");
	/* stricter than Python, which takes any -n string */
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument -n/--num: invalid "
	       "pid value: '12abc'\n", "-n", "12abc");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: argument -n/--num: expected "
	       "one argument\n", "-n=--");
	EXPECT(ARGS_USAGE, USAGE80 "demo: error: unrecognized arguments: -5 "
	       "--\n", "-5", "1", "-f", "--");
}

static void test_values(void)
{
	EXPECT(0, "flag=1 num=5 four=1 six=0 pos=3 mode=b\n", "-f4n5",
	       "--mo=b", "3");
	EXPECT(0, "flag=0 num=7 four=0 six=1 pos=0 mode=None\n", "--num=7",
	       "--si", "--hidden");
	EXPECT(0, "flag=0 num=7 four=0 six=0 pos=9 mode=a\n", "-n", "7",
	       "--mode", "a", "--", "9");
	EXPECT(0, "flag=1 num=0 four=1 six=0 pos=0 mode=None\n", "-4", "-4",
	       "-f", "--");
	EXPECT(0, "flag=1 num=8 four=0 six=0 pos=2 mode=None\n", "-f=n8",
	       "2", "--");
}

/* prog defaults to basename(argv[0]), as in argparse */
static void test_prog(void)
{
	struct arg_spec spec = demo_spec;
	struct text out = { 0 };

	spec.prog = NULL;
	CHECK(run(&spec, &out, "-4", "-6", NULL) == ARGS_USAGE);
	CHECK_STR(text_str(&out),
		  "usage: demo [-h] [-f] [-n NUM] [-4 | -6] [--mode {a,b}] [pos]\n"
		  "demo: error: argument -6/--six: not allowed with argument -4/--four\n");
	text_free(&out);
}

int main(void)
{
	test_pid();
	test_rejected();
	test_positive_int();
	test_duration();
	test_map_path();
	test_help();
	test_errors();
	test_values();
	test_prog();
	return unit_done("test_args");
}
