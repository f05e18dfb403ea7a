"""tcpconnlat's second programs on its tracepoints (the tracepoint method).

The kernel skips a program's run when an event comes while the same
program is running on that CPU. A timer interrupt that lands in a run in
process context can run softirqs that end a whole batch of connects (SYN
retransmits whose timers expire together), and every one of those runs
would be skipped: the connects never reported, their start entries left
behind. So the tracepoint method attaches a second program to
sock:inet_sock_set_state and to tcp:tcp_receive_reset, which handles the
ends of connects only (bpf_text/tcpconnlat/tracepoint_probes.bpf.c).

Interrupts cannot be timed from a test, so here the second programs are
run by hand (BPF_PROG_TEST_RUN) on a real socket in SYN_SENT whose start
the first program recorded: the end is reported once, with the connect's
own fields, the second program records no start, and nothing is left.
"""
import os
import struct

import pytest

from lib.bpf import (bpftool, held_bpf_objects, map_by_name, raw_tp_test_run)
from lib.netns import Netns
from lib.tcpconnlat_live import (
    check_record, client_bg, drop_all_syns, finish, json_records, json_tool,
    start_entries)
from lib.wait import wait_until

TCP_ESTABLISHED, TCP_SYN_SENT, TCP_CLOSE = 1, 2, 7


@pytest.fixture
def ns():
    with Netns() as n:
        yield n


def tracepoint_programs(pid):
    """{tracepoint: [program ids]} of the tool's raw tracepoint links."""
    progs = {}
    for link in held_bpf_objects(pid)["links"]:
        if link.get("link_type") == "raw_tracepoint":
            progs.setdefault(link["tp_name"], []).append(int(link["prog_id"]))
    return progs


def records_at(bg, pid, lport):
    return [o for o in json_records(bg.out)
            if o["pid"] == pid and o["lport"] == lport]


def test_second_programs_report_ends_alone(live, ns):
    ns.nft(drop_all_syns(5002))
    bg = json_tool()
    cl = None
    try:
        progs = tracepoint_programs(bg.proc.pid)
        assert sorted(map(len, progs.values())) == [2, 2], progs
        # Loaded in the probe list's order: the second of each pair has
        # the higher id. The first records starts (it reads the COMM);
        # the second does not.
        first, again = sorted(progs["inet_sock_set_state"])
        reset_again = max(progs["tcp_receive_reset"])
        assert ["bpf_get_current_comm" in bpftool(
            "prog", "dump", "xlated", "id", str(p)) for p in (first, again)] \
            == [True, False]
        m = map_by_name(bg.proc.pid, "start")

        # A connect that stays in SYN_SENT: its start is recorded.
        cl = client_bg(ns, mode="giveup", host="127.0.0.1", port=5002,
                       hold=8)
        assert wait_until(lambda: start_entries(m["id"], pid=cl.pid), 20)
        [(key, _, _, _, _)] = start_entries(m["id"], pid=cl.pid)
        sk = struct.unpack("<Q", key)[0]

        # Its end, seen by the second program alone: reported.
        raw_tp_test_run(again, [sk, TCP_SYN_SENT, TCP_ESTABLISHED])
        assert not [e for e in start_entries(m["id"]) if e[0] == key]
        # A start seen by the second program: not recorded; by the
        # first: recorded, as this process's (it ran the program).
        raw_tp_test_run(again, [sk, TCP_CLOSE, TCP_SYN_SENT])
        assert not [e for e in start_entries(m["id"]) if e[0] == key]
        raw_tp_test_run(first, [sk, TCP_CLOSE, TCP_SYN_SENT])
        assert [e[2] for e in start_entries(m["id"]) if e[0] == key] == \
            [os.getpid()]
        # A reset in SYN_SENT (the socket's real state), seen by the
        # second reset program alone: reported.
        raw_tp_test_run(reset_again, [sk])
        assert not [e for e in start_entries(m["id"]) if e[0] == key]

        [rec] = finish(cl)
        cl = None
        # The close found no start entry: none is left.
        assert not start_entries(m["id"], pid=rec["pid"])
        assert wait_until(lambda: bg.read_some(0.1) is not None and
                          records_at(bg, rec["pid"], rec["lport"]) and
                          records_at(bg, os.getpid(), rec["lport"]), 20,
                          step=0), bg.out
    finally:
        if cl:
            cl.kill()
            cl.wait()
        rc, out, err = bg.stop()
    assert rc == 0, err
    # One record each: the client's connect, with its own fields, and the
    # one this process started; the client's close then found nothing.
    mine = records_at(bg, rec["pid"], rec["lport"])
    assert len(mine) == 1, (mine, out, err)
    check_record(mine[0], rec)
    ours = records_at(bg, os.getpid(), rec["lport"])
    assert len(ours) == 1 and ours[0]["dport"] == 5002, (ours, out)
