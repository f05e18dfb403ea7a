// SPDX-License-Identifier: Apache-2.0
/*
 * Unit test of the start-up path (runtime/tool.c, runtime/method.c), live:
 * a method whose program the verifier rejects is passed over for the next
 * one, which attaches, and -v prints the program of the one attached.
 * Needs root and BTF; outside CI it is skipped without them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "btf_off.h"
#include "tool.h"
#include "unit.h"

/* "tracepoint": reads past the raw tracepoint's arguments: rejected. */
static const char bad_text[] =
	"int raw_tracepoint__sock_send_length(struct bpf_raw_tracepoint_args *ctx)\n"
	"{\n    return (int)ctx->args[4000];\n}\n";

/* "fentry", standing in for any next method: a valid raw tracepoint. */
static const char good_text[] =
	"BPF_ARRAY(hits, u64, 1);\n"
	"int raw_tracepoint__sock_send_length(struct bpf_raw_tracepoint_args *ctx)\n"
	"{\n    hits.atomic_increment(0);\n    return 0;\n}\n";

static const struct probe probes[] = {
	PROBE_RAW_TP(sock_send_length),
	{ 0 }
};

static void build(struct text *t, enum method m)
{
	text_add(t, m == M_TRACEPOINT ? bad_text : good_text);
}

static const struct tool tool = {
	.name = "test_tool",
	.probes = {
		[M_KPROBE] = probes,
		[M_TRACEPOINT] = probes,
		[M_FENTRY] = probes,
	},
	.tracepoints_since = "Linux 6.3+",
	.build = build,
};

/* tool_open() with stdout into out (a NUL-terminated copy of it). */
static int open_capturing(const struct tool_opts *o, struct bprog **p,
			  char *out, size_t len)
{
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO), r;
	size_t n;

	fflush(stdout);
	dup2(fileno(f), STDOUT_FILENO);
	r = tool_open(&tool, o, p);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	return r;
}

int main(void)
{
	struct tool_opts o = TOOL_OPTS_INIT;
	enum method chosen = M_AUTO;
	volatile sig_atomic_t stop = 0;
	struct bprog *p;
	const char *want = "tracepoint: failed to load BPF function "
			   "raw_tracepoint__sock_send_length: ";
	char err[700], why[256], out[4096];

	if (geteuid() != 0 || !btf_available()) {
		const char *ci = getenv("CI");

		printf("test_tool: needs root and BTF: %s\n",
		       ci && !strcmp(ci, "true") ? "FAILED under CI" : "skipped");
		return ci && !strcmp(ci, "true") ? 1 : 0;
	}
	CHECK(method_usable(&tool, M_TRACEPOINT, why, sizeof(why)));
	CHECK(method_usable(&tool, M_FENTRY, why, sizeof(why)));

	/* The rejected method alone: NULL and why, naming it. */
	p = method_start(&tool, &o, M_TRACEPOINT, NULL, err, sizeof(err));
	CHECK(p == NULL);
	/* With the verifier's reason, not its statistics. */
	CHECK(!strncmp(err, want, strlen(want)));
	CHECK(strstr(err, "invalid bpf_context access"));

	/* auto: tracepoint is tried first, rejected, then the next attaches. */
	p = method_start_any(&tool, &o, &chosen, &stop);
	CHECK(p != NULL);
	CHECK(chosen == M_FENTRY);
	bprog__destroy(p);

	/* -v: the program printed is the one attached, not the first tried. */
	o.verbose = true;
	CHECK(open_capturing(&o, &p, out, sizeof(out)) == 1 && p);
	CHECK(strstr(out, "hits.atomic_increment") && !strstr(out, "args[4000]"));
	tool_close(p);

	/* --ebpf: the first candidate, attached or not (no root needed). */
	o.verbose = false;
	o.ebpf = true;
	CHECK(open_capturing(&o, &p, out, sizeof(out)) == 0 && !p);
	CHECK(strstr(out, "args[4000]") != NULL);
	o.ebpf = false;

	/* Forced to the rejected one: no fallback. */
	chosen = M_AUTO;
	o.attach = "tracepoint";
	p = method_start_any(&tool, &o, &chosen, &stop);
	CHECK(p == NULL && chosen == M_AUTO);
	btf_off_cleanup();
	return unit_done("test_tool");
}
