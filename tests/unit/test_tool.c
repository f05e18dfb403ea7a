// SPDX-License-Identifier: Apache-2.0
/*
 * Unit test of auto's fallback (tools/tool.c), live: a method whose program
 * the verifier rejects is passed over for the next one, which attaches.
 * Needs root and BTF; outside CI it is skipped without them.
 */
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
	{ BPROG_RAW_TP, "raw_tracepoint__sock_send_length", "sock_send_length", false, 0 },
	{ 0 }
};

static void build(struct text *t, enum method m)
{
	text_add(t, m == M_TRACEPOINT ? bad_text : good_text);
}

int main(void)
{
	struct tool_methods o = {
		.probes = {
			[M_KPROBE] = probes,
			[M_TRACEPOINT] = probes,
			[M_FENTRY] = probes,
		},
		.tracepoints_since = "Linux 6.3+",
		.build = build,
	};
	enum method chosen = M_AUTO;
	volatile int stop = 0;
	struct bprog *p;
	const char *want = "tracepoint: failed to load BPF function "
			   "raw_tracepoint__sock_send_length: ";
	const char *why;
	char err[700];

	if (geteuid() != 0 || !btf_available()) {
		const char *ci = getenv("CI");

		printf("test_tool: needs root and BTF: %s\n",
		       ci && !strcmp(ci, "true") ? "FAILED under CI" : "skipped");
		return ci && !strcmp(ci, "true") ? 1 : 0;
	}
	CHECK(tool_method_usable(&o, M_TRACEPOINT, &why));
	CHECK(tool_method_usable(&o, M_FENTRY, &why));

	/* The rejected method alone: NULL and why, naming it. */
	p = tool_start(&o, M_TRACEPOINT, err, sizeof(err));
	CHECK(p == NULL);
	/* With the verifier's reason, not its statistics. */
	CHECK(!strncmp(err, want, strlen(want)));
	CHECK(strstr(err, "invalid bpf_context access"));

	/* auto: tracepoint is tried first, rejected, then the next attaches. */
	p = tool_start_any(&o, "auto", &chosen, &stop);
	CHECK(p != NULL);
	CHECK(chosen == M_FENTRY);
	bprog__destroy(p);

	/* Forced to the rejected one: no fallback. */
	chosen = M_AUTO;
	p = tool_start_any(&o, "tracepoint", &chosen, &stop);
	CHECK(p == NULL && chosen == M_AUTO);
	btf_off_cleanup();
	return unit_done("test_tool");
}
