"""tcptop's second programs on its state tracepoints (tracepoint method).

The kernel skips a program's run when an event comes while the same
program is running on that CPU. sock:inet_sock_set_state and
tcp:tcp_destroy_sock fire in process context and in softirqs, and an
interrupt that lands in a process-context run can run softirqs that
establish or destroy a batch of sockets before the run resumes: every one
of those runs is skipped. So the tracepoint method attaches a second,
identical program to each (bpf_text/tcptop/btf_recv.bpf.c): what the first
skips, the second sees.

Interrupts cannot be timed from a test, so here the tool attaches only the
second programs (hidden --x-second-only: as if the first skipped every
event). They alone must keep the counts exact where only
the baseline taken at establishment can (reads by splice(2), which
sock:sock_recv_length does not report), and must remove every closed
socket's baseline.
"""
import struct

import pytest

from lib.bpf import bpftool_json, held_bpf_objects, map_by_name, \
    map_entries
from lib.tcptop_live import KiB, Tool, Traffic, assert_exact, new_tag, \
    stop_single
from lib.wait import wait_until

pytestmark = pytest.mark.usefixtures("tcptop_live_but_parser")

STATE_PROGS = ("inet_sock_set_s", "tcp_destroy_soc")   # names, cut to 15


def state_programs(pid):
    """{name: [program ids]} of the tool's state programs, and {name:
    [program ids]} of those attached (linked)."""
    held = held_bpf_objects(pid)
    linked = {int(info["prog_id"]) for info in held["links"]}
    progs, links = {}, {}
    for prog in held["prog"]:
        name = bpftool_json("prog", "show", "id", str(prog))["name"]
        if name in STATE_PROGS:
            progs.setdefault(name, []).append(prog)
            if prog in linked:
                links.setdefault(name, []).append(prog)
    return progs, links


def baselines(pid):
    """(lport, dport) of every socket rcv_seq holds a baseline for."""
    m = map_by_name(pid, "rcv_seq")
    # struct rcv_seq_t: copied_seq, lport (host order), dport (network).
    return {(struct.unpack("<H", v[4:6])[0], struct.unpack(">H", v[6:8])[0])
            for _, v in map_entries(m["id"])}


def test_second_state_programs_alone():
    tag = new_tag()
    # Every byte received by splice(2), in chunks of its queue as it comes.
    plan = {"tag": tag, "pairs": [{"kind": "sendfile", "conns": [
        {"fam": 4, "c2s": 200 * KiB + 1023, "s2c": 300 * KiB,
         "chunk": 65536},
        {"fam": 6, "c2s": 64 * KiB, "s2c": 100 * KiB + 1023,
         "chunk": 10000}]}]}
    with Traffic(plan) as tr:
        with Tool(["-C", "-S", "60", "--attach", "tracepoint",
                   "--x-second-only"]) as tool:
            # Both programs of each pair loaded (in the list's order), the
            # second alone attached.
            progs, links = state_programs(tool.proc.pid)
            assert {k: len(v) for k, v in progs.items()} == \
                dict.fromkeys(STATE_PROGS, 2), progs
            assert links == {k: [max(v)] for k, v in progs.items()}, links
            truth = tr.run()
            ports = {(s["lport"], s["rport"]) for s in truth["sockets"]}
            # Closed: the second tcp_destroy_sock program took every
            # baseline out (softirqs end the last of them: wait a little).
            assert wait_until(lambda: not ports & baselines(tool.proc.pid),
                              10), ports & baselines(tool.proc.pid)
            iv, err = stop_single(tool)
    assert "skipped" not in err, err
    assert_exact([iv], truth, tag)
