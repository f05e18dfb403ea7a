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
socket's state: the start's reading of a connection older than the tool
(rcv_start, by socket cookie). (The baseline itself is in socket storage
on every kernel the tracepoint method runs on: it goes with the socket.
Where it is in an LRU hash, the fentry method before Linux 5.11, the same
programs delete it too: not tested here.)
"""
import re
import struct

import pytest

from lib.bpf import held_bpf_objects, held_bpf_shown, map_by_name, \
    map_entries
from lib.tcptop_live import KiB, Tool, Traffic, assert_exact, new_tag, \
    stop_single
from lib.proc import run
from lib.wait import wait_until

pytestmark = pytest.mark.usefixtures("tcptop_live_but_parser")

STATE_PROGS = ("inet_sock_set_s", "tcp_destroy_soc")   # names, cut to 15


def state_programs(pid):
    """{name: [program ids]} of the tool's state programs, and {name:
    [program ids]} of those attached (linked)."""
    linked = {int(info["prog_id"]) for info in held_bpf_objects(pid)["links"]}
    progs, links = {}, {}
    for prog, shown in held_bpf_shown(pid, "prog"):
        name = shown["name"]
        if name in STATE_PROGS:
            progs.setdefault(name, []).append(prog)
            if prog in linked:
                links.setdefault(name, []).append(prog)
    return progs, links


def readings(pid):
    """Socket cookies rcv_start holds a start reading (or mark) for."""
    m = map_by_name(pid, "rcv_start")
    return {struct.unpack("<Q", k)[0] for k, _ in map_entries(m["id"])}


def cookies(tag):
    """Socket cookies (ss -e: sk:HEX) of the tag's processes' connections."""
    out = run(["ss", "-tnep", "state", "established"]).stdout
    return {int(m.group(1), 16) for line in out.splitlines()
            if '"%s' % tag in line
            for m in [re.search(r" sk:([0-9a-f]+)", line)] if m}


def test_second_state_programs_alone():
    tag = new_tag()
    plan = {"tag": tag, "pairs": [
        # Connections made under the tool, every byte received by
        # splice(2), in chunks of its queue as it comes: only the baseline
        # taken at establishment counts their first chunks.
        {"kind": "sendfile", "conns": [
            {"fam": 4, "c2s": 200 * KiB + 1023, "s2c": 300 * KiB,
             "chunk": 65536},
            {"fam": 6, "c2s": 64 * KiB, "s2c": 100 * KiB + 1023,
             "chunk": 10000}]},
        # Connections made before it: the start takes a reading of each
        # (rcv_start, by socket cookie), which their destruction removes.
        {"kind": "rpc", "conns": [{"fam": 4}, {"fam": 6}],
         "pre": [{"size": 4 * KiB, "reply": KiB}],
         "msgs": [{"size": 8 * KiB, "reply": 20 * KiB + 1023}],
         "rounds": 2}]}
    with Traffic(plan) as tr:
        with Tool(["-C", "-S", "60", "--attach", "tracepoint",
                   "--x-second-only"]) as tool:
            # Both programs of each pair loaded (in the list's order), the
            # second alone attached.
            progs, links = state_programs(tool.proc.pid)
            assert {k: len(v) for k, v in progs.items()} == \
                dict.fromkeys(STATE_PROGS, 2), progs
            assert links == {k: [max(v)] for k, v in progs.items()}, links
            pre = cookies(tag)
            assert len(pre) == 4 and pre <= readings(tool.proc.pid), pre
            truth = tr.run()
            # Closed: the second tcp_destroy_sock program took every
            # reading out (softirqs end the last of them: wait a little).
            assert wait_until(lambda: not pre & readings(tool.proc.pid),
                              10), pre & readings(tool.proc.pid)
            iv, err = stop_single(tool)
    assert "skipped" not in err, err
    assert_exact([iv], truth, tag)
