// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for runtime/args.c: the input, split at NUL bytes, is
 * an argv (argv[0] first, so the prog varies too), parsed by args_try()
 * against a spec like tcptop's and tcpconnlat's together: flags, values
 * with the strict parsers, choices, an exclusive group, hidden options,
 * optional positionals. The sanitizers catch memory errors; the checks
 * below catch output that is not what args_parse() would print.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "text.h"

static const char *const sorts[] = { "all", "sent", "received", NULL };
static const char *const checks[] = { "compile", "load", NULL };

static struct {
	bool noclear, ipv4, ipv6, ebpf;
	int pid, interval, rows;
	double duration;
	const char *map, *sort, *check;
} v;

static const struct arg_opt opts[] = {
	{ 'C', "noclear", NULL, "don't clear the screen", ARG_FLAG, 0, NULL,
	  &v.noclear, NULL },
	{ 'p', "pid", NULL, "trace this PID only", ARG_VALUE, 0,
	  args_parse_pid, &v.pid, NULL },
	{ 0, "interval", NULL, "output interval, in seconds (default 1)",
	  ARG_POSITIONAL, 0, args_parse_positive_int, &v.interval, NULL },
	{ 0, "duration_ms", NULL, "minimum duration to trace (ms)",
	  ARG_POSITIONAL, 0, args_parse_duration_ms, &v.duration, NULL },
	{ 0, "cgroupmap", NULL, "trace cgroups in this BPF map only",
	  ARG_VALUE, 0, args_parse_map_path, &v.map, NULL },
	{ '4', "ipv4", NULL, "trace IPv4 family only", ARG_FLAG, 1, NULL,
	  &v.ipv4, NULL },
	{ '6', "ipv6", NULL, "trace IPv6 family only", ARG_FLAG, 1, NULL,
	  &v.ipv6, NULL },
	{ 's', "sort", NULL, "sort rows by this byte count (default all)",
	  ARG_VALUE, 0, NULL, &v.sort, sorts },
	{ 'r', "rows", NULL,
	  "show at most ROWS rows per table (default: fit the screen)",
	  ARG_VALUE, 0, args_parse_positive_int, &v.rows, NULL },
	{ 0, "ebpf", NULL, NULL, ARG_FLAG, 0, NULL, &v.ebpf, NULL },
	{ 0, "x-check", NULL, NULL, ARG_VALUE, 0, NULL, &v.check, checks },
};

static const struct arg_spec spec = {
	.description = "Fuzz parser",
	.epilog = "examples:\n    ./fuzz -C\n",
	.opts = opts,
	.nopts = sizeof(opts) / sizeof(opts[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), **argv, *s;
	struct text out = { 0 };
	int argc = 1, ret, i;

	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i < (int)size; i++)
		argc += !buf[i];
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	for (i = 0, s = buf; i < argc; s += strlen(s) + 1)
		argv[i++] = s;
	memset(&v, 0, sizeof(v));
	ret = args_try(&spec, argc, argv, &out);
	if (ret != 0 && ret != ARGS_HELP && ret != ARGS_USAGE)
		__builtin_trap();
	/* help or "usage: ...\nPROG: error: ...\n" */
	if (ret && (out.len < 8 || strncmp(out.s, "usage: ", 7) ||
		    out.s[out.len - 1] != '\n' || strlen(out.s) != out.len))
		__builtin_trap();
	if (ret == ARGS_USAGE && !strstr(out.s, ": error: "))
		__builtin_trap();
	if (!ret && out.len)
		__builtin_trap();
	if (v.ipv4 && v.ipv6)	/* the exclusive group */
		__builtin_trap();
	text_free(&out);
	free(argv);
	free(buf);
	return 0;
}
