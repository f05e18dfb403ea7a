/* SPDX-License-Identifier: Apache-2.0 */
/*
 * args: a table-driven command-line parser that accepts what Python's
 * argparse accepts, so the C tools are drop-ins for bcc's Python ones:
 * long-option abbreviations, "-p181", "-CS", "--", optional positionals,
 * choices, mutually exclusive groups, argparse's usage/error messages and
 * exit status 2 on a usage error (scripts rely on it), help laid out as
 * argparse lays it out at 80 columns.
 */
#ifndef ARGS_H
#define ARGS_H

#include <stdbool.h>
#include <stddef.h>

struct text;

enum arg_kind {
	ARG_FLAG,	/* store_true: dst is a bool * */
	ARG_VALUE,	/* option taking one value: parse(s, dst) */
	ARG_POSITIONAL,	/* optional positional (nargs="?"): parse(s, dst) */
};

/*
 * Convert and validate one value. On failure write the message argparse
 * would print after "argument NAME: " into err and return -1. The
 * conventional message for a conversion failure is
 * "invalid <typename> value: '<s>'", for a range failure the tool's own.
 * errlen is at least 4 * strlen(s) + 256, room for s quoted and escaped.
 */
typedef int (*arg_parse_fn)(const char *s, void *dst, char *err, size_t errlen);

struct arg_opt {
	char short_name;	/* 'p' for -p, 0 if none */
	const char *long_name;	/* "pid" for --pid, NULL if none; positional name */
	const char *metavar;	/* NULL: upper-cased long name (argparse default) */
	const char *help;	/* NULL: argparse.SUPPRESS (hidden) */
	enum arg_kind kind;
	int group;		/* mutually exclusive group id, 0 = none; a
				 * group's members are adjacent in the table */
	arg_parse_fn parse;	/* ARG_VALUE/ARG_POSITIONAL; NULL: store char * */
	void *dst;
	const char *const *choices; /* NULL-terminated, or NULL: any value */
};

struct arg_spec {
	const char *prog;	/* NULL: basename of argv[0], as argparse */
	const char *description;
	const char *epilog;	/* printed raw (RawDescriptionHelpFormatter) */
	const struct arg_opt *opts;
	size_t nopts;
};

/*
 * Parse argv. -h/--help prints help to stdout and exits 0; a usage error
 * prints "usage: ..." and "PROG: error: ..." to stderr and exits 2.
 * Returns 0 when parsing succeeded. Help strings, description and epilog
 * are printed as given (no %-expansion). An argument that starts with '-'
 * is an option, "-5" too (as in argparse when an option such as -4 looks
 * like a negative number, which both tools have).
 */
int args_parse(const struct arg_spec *spec, int argc, char **argv);

/*
 * args_parse() without printing or exiting (tests, fuzzing): 0 when
 * parsing succeeded; ARGS_HELP with the help in out (args_parse exits 0);
 * ARGS_USAGE with the usage error in out (args_parse exits 2). out starts
 * empty; the caller frees it.
 */
#define ARGS_HELP	1
#define ARGS_USAGE	2
int args_try(const struct arg_spec *spec, int argc, char **argv,
	     struct text *out);

/* Print the usage error the way argparse does, then exit(2). PROG is
 * spec->prog, else the basename of the program's argv[0]. */
void args_error(const struct arg_spec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Append s quoted as Python's repr() shows it (ASCII escapes only). */
void args_repr(struct text *t, const char *s);

/*
 * Strict parsers for arg_parse_fn (argval.c): decimal digits only (no whitespace, no
 * underscores, no hex), range-checked, overflow-safe. Where the Python tool
 * also rejects a value, the message is Python's; where we are stricter, the
 * message says why.
 */
#define ARGS_PID_MAX		4194304	/* PID_MAX_LIMIT */
#define ARGS_POSITIVE_INT_MAX	2147483	/* INT_MAX / 1000: s -> ms fits */

/* int, 1..ARGS_PID_MAX: "invalid pid value: '12abc'" */
int args_parse_pid(const char *s, void *dst, char *err, size_t errlen);

/*
 * int, 1..ARGS_POSITIVE_INT_MAX (tcptop's interval and count; Python's
 * range_check): "invalid range_check value: 'x'",
 * "value must be stricly positive, got 0" (sic, Python's spelling).
 */
int args_parse_positive_int(const char *s, void *dst, char *err,
			    size_t errlen);

/*
 * double, finite, >= 0, with ms * 1000 < 2^64 (tcpconnlat's duration_ms;
 * Python's positive_float): "must be a float", "must be positive".
 */
int args_parse_duration_ms(const char *s, void *dst, char *err,
			   size_t errlen);

/*
 * const char *: a pinned-map path that the tool pastes into a C string
 * literal in the BPF text (--cgroupmap, --mntnsmap).
 */
int args_parse_map_path(const char *s, void *dst, char *err, size_t errlen);

#endif
