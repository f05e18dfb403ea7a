/* SPDX-License-Identifier: Apache-2.0 */
/*
 * args: a command-line parser that behaves like Python's argparse, so the
 * C tools are drop-ins for bcc's Python ones: the same help layout, the
 * same usage/error messages, long-option abbreviations, mutually exclusive
 * groups, and exit status 2 on a usage error (scripts rely on it).
 */
#ifndef ARGS_H
#define ARGS_H

#include <stdbool.h>
#include <stddef.h>

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
 * errlen is at least 6 * strlen(s) + 256, room for a repr() of s.
 */
typedef int (*arg_parse_fn)(const char *s, void *dst, char *err, size_t errlen);

struct arg_opt {
	char short_name;	/* 'p' for -p, 0 if none */
	const char *long_name;	/* "pid" for --pid, NULL if none; positional name */
	const char *metavar;	/* NULL: upper-cased long name (argparse default) */
	const char *help;	/* NULL: argparse.SUPPRESS (hidden) */
	enum arg_kind kind;
	int group;		/* mutually exclusive group id, 0 = none */
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
 * Returns 0 when parsing succeeded. The layout follows the terminal width
 * the way argparse does: $COLUMNS, else the width of the tty on stdout,
 * else 80. Help strings, description and epilog are printed as given
 * (no %-expansion beyond "%%" and "%(prog)s").
 */
int args_parse(const struct arg_spec *spec, int argc, char **argv);

/* Print the usage error the way argparse does, then exit(2). */
void args_error(const struct arg_spec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * Strict parsers for arg_parse_fn: decimal digits only (no whitespace, no
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
