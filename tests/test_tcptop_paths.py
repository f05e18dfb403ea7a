"""tcptop against ground truth for the less common ways bytes move:
io_uring (inline, zerocopy sends, io-wq workers, an SQPOLL thread),
MSG_ZEROCOPY sends, TCP_ZEROCOPY_RECEIVE, and urgent data.

The same design as test_tcptop_json.py (one long interval of -j, stopped
by SIGINT after the traffic; tests/traffic.py's records are the bytes
each call moved), compared in bytes. Where io_uring runs a request in a
thread of its own, the bytes show under that thread's COMM (iou-wrk-N,
iou-sqp-N) with the process's PID, as bcc's tcptop shows them: the truth
lists the COMMs each socket's bytes may show under (lib.uring says where
each request runs), and the bytes of a connection summed over them must
be exact.
"""
import pytest

from lib.tcptop_live import (
    KiB, Tool, Traffic, assert_json_exact, json_comm, new_tag, parse_json)


pytestmark = pytest.mark.usefixtures("tcptop_live_but_parser")

IOS = ["uring", "uring_zc", "uring_async", "uring_sqpoll", "msg_zerocopy",
       "tcp_zerocopy"]


def io_plan(tag, io):
    """Both families; one side of each connection a multiple of 1024 bytes,
    the other 1023 more; chunks that do not divide them."""
    return {"tag": tag, "pairs": [{"kind": "io", "io": io, "conns": [
        {"fam": 4, "c2s": 1024 * KiB + 1023, "s2c": 100 * KiB,
         "chunk": 64 * KiB},
        {"fam": 6, "c2s": 40 * KiB, "s2c": 200 * KiB + 1023,
         "chunk": 10000}]}]}


def conn_key(fam, pid, laddr, lport, raddr, rport):
    return (fam, pid, laddr, lport, raddr, rport)


def compare_by_conn(conns, truth, pids):
    """Every socket of the truth: its bytes summed over the tool's conns of
    its process and addresses, each under one of its allowed COMMs; no
    conn of these processes that is not in the truth, none under another
    COMM. Returns (problems, {key: {comm: [rx, tx]}})."""
    problems, want, got = [], {}, {}
    for s in truth["sockets"]:
        k = conn_key(s["fam"], s["pid"], s["laddr"], s["lport"], s["raddr"],
                     s["rport"])
        want[k] = (s["recv"], s["sent"],
                   {json_comm(c) for c in s.get("comms", [s["comm"]])})
    for c in conns:
        if c["pid"] not in pids:
            continue
        k = conn_key(c["family"], c["pid"], c["laddr"], c["lport"],
                     c["raddr"], c["rport"])
        by_comm = got.setdefault(k, {})
        if c["comm"] in by_comm:
            problems.append("%r shown twice under %r" % (k, c["comm"]))
        by_comm[c["comm"]] = [c["rx_bytes"], c["tx_bytes"]]
    for k, (recv, sent, comms) in want.items():
        by_comm = got.get(k, {})
        stray = set(by_comm) - comms
        if stray:
            problems.append("%r under COMM %r, not one of %r"
                            % (k, sorted(stray), sorted(comms)))
        rx = sum(v[0] for v in by_comm.values())
        tx = sum(v[1] for v in by_comm.values())
        if (rx, tx) != (recv, sent):
            problems.append("%r: rx_bytes %d tx_bytes %d (%r), truth recv "
                            "%d sent %d" % (k, rx, tx, by_comm, recv, sent))
    for k in set(got) - set(want):
        problems.append("conn not in the truth: %r -> %r" % (k, got[k]))
    return problems, got


def run_json(plan):
    """-j over the plan's traffic: (its one interval, the truth, the pids
    of pair 0's processes)."""
    with Traffic(plan) as tr:
        pids = {tr.pid(0, "server"), tr.pid(0, "client")}
        with Tool(["-j", "60"]) as tool:
            truth = tr.run()
            rc, out, err = tool.stop()
    assert rc == 0, err
    ivs = parse_json(out)
    assert len(ivs) == 1, out
    assert ivs[0].summary["dropped"] == ivs[0].summary["rx_unmeasured"] == 0
    return ivs, truth, pids


@pytest.mark.parametrize("io", IOS)
def test_io_uring_and_zerocopy_exact(io):
    """io_uring's IORING_OP_SEND and IORING_OP_RECV run in the task,
    IORING_OP_SEND_ZC too; IOSQE_ASYNC hands them to io-wq workers (all of
    them since Linux 6.3: lib.uring); an SQPOLL ring runs all of them in
    its kernel thread; MSG_ZEROCOPY sends with send(); TCP_ZEROCOPY_RECEIVE
    maps received pages (some really mapped) and leaves the rest to the
    copy buffer or recv(): every connection's bytes exact, under the
    process's PID and the COMM of the thread that moved them."""
    ivs, truth, pids = run_json(io_plan(new_tag(), io))
    problems, got = compare_by_conn(ivs[0].conns, truth, pids)
    assert not problems, "\n".join(problems)
    assert len(got) == 4, got
    comms = {comm for by_comm in got.values() for comm in by_comm}
    procs = {json_comm(s["comm"]) for s in truth["sockets"]}
    if io == "uring_sqpoll":
        # Every request, on both sides, in the ring's thread.
        assert comms == {"iou-sqp-%d" % pid for pid in pids}, got
    elif io == "uring_async":
        # A send finds room in the socket and runs in the worker.
        assert {c for c in comms if c.startswith("iou-wrk-")} == \
            {"iou-wrk-%d" % pid for pid in pids}, got
    else:
        assert comms == procs, got
    if io == "tcp_zerocopy":
        # Pages really mapped, not only the copy fallback: the 1 MiB one.
        assert max(s.get("zc_mapped", 0) for s in truth["sockets"]) \
            >= 512 * KiB, truth


@pytest.mark.parametrize("inline", [False, True], ids=["oob", "oobinline"])
def test_urgent_data_exact(inline):
    """send(MSG_OOB) in the middle of a stream, IPv4 and IPv6: the sender's
    urgent byte counts as sent; the receiver's count is exact whether it
    takes the byte with recv(MSG_OOB) (the in-line reads skip it) or in
    line (SO_OOBINLINE). (bcc's tcptop misses the byte taken with
    recv(MSG_OOB): README, Differences 1.)"""
    tag = new_tag()
    plan = {"tag": tag, "pairs": [{"kind": "urgent", "inline": inline,
                                   "conns": [
        {"fam": 4, "before": 40 * KiB, "after": 20 * KiB + 1022},
        {"fam": 6, "before": 10 * KiB + 1023, "after": 30 * KiB}]}]}
    ivs, truth, _ = run_json(plan)
    assert {s["sent"] for s in truth["sockets"]} == \
        {60 * KiB + 1023, 40 * KiB + 1024, 0}
    assert_json_exact(ivs, truth, tag)
