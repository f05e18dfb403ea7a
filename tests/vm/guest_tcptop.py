"""tcptop inside a VM (tests/vm/run.sh): every attach method this kernel
offers, live, against ground truth.

A tool start costs up to a minute under TCG (clang runs emulated), so each
method starts its instances once, concurrently, and every case runs
against them: one traffic plan holds all the cases, each pair of processes
with a COMM of its own, and each case checks its own rows.

VM_TCPTOP_METHODS (e.g. "kprobe fentry") names the methods;
VM_TCPTOP_AUTO the method auto must choose. Run by tests/vm/guest.sh, not by the host's pytest.
"""
import os
import signal
import types

import pytest

from lib.progcache import check_warm_start, objects, once
from lib.tcptop_live import (Cgroups, KiB, Traffic, assert_exact, exchange,
                             new_tag, ours, parse, start_tools, stop_single)

METHODS = os.environ.get("VM_TCPTOP_METHODS", "").split()
AUTO = os.environ.get("VM_TCPTOP_AUTO", "")
START_TIMEOUT = 900          # four compiles at once under TCG


def cases_plan(tag):
    """Pair 0: IPv4, IPv6 and v4-mapped exchanges (its client is the -p
    target); 1: 100-byte TCP_NODELAY writes; 2: sendfile out, splice in;
    3: one blocking MSG_WAITALL read over several segments (bcc 5352);
    4: reads after the peer closed; 5: connections established before the
    tool started; 6: the same, their replies taken by splice(2) once 64 KiB
    is queued (the first read after the start is a large chunk); 7 and 8:
    io_uring in the task (IORING_OP_SEND, then SEND_ZC; IORING_OP_RECV);
    9: send(MSG_ZEROCOPY); 10: TCP_ZEROCOPY_RECEIVE."""
    waitall = [{"size": 64 * KiB, "chunks": [16 * KiB] * 4, "pause": 0.05,
                "reply": 2 * KiB + 1023},
               {"size": 48 * KiB + 1023,
                "chunks": [16 * KiB, 16 * KiB, 16 * KiB + 1023],
                "pause": 0.05, "reply": 1 * KiB}]
    closed = []
    for shut in (False, True):
        closed += [
            {"fam": 4, "dir": "c2s", "size": 30 * KiB + 1023, "shut": shut},
            {"fam": 6, "dir": "s2c", "size": 5 * KiB + 1023, "shut": shut}]
    # The processes wait for the tools to compile: bound them by that too.
    return {"tag": tag, "timeout": START_TIMEOUT + 300, "pairs": [
        {"kind": "exchange", "conns": [
            exchange(4, 300 * KiB, 200 * KiB + 1023),
            exchange(6, 150 * KiB + 1023, 100 * KiB),
            exchange(46, 50 * KiB, 60 * KiB + 1023)]},
        {"kind": "exchange", "nodelay": True, "conns": [
            exchange(4, 2048 * 100, 10 * KiB, wsize=100, rsize=4096),
            exchange(6, 200703, 1023, wsize=100, rsize=4096)]},
        {"kind": "sendfile", "conns": [
            {"fam": 4, "c2s": 1024 * KiB + 1023, "s2c": 300 * KiB,
             "chunk": 65536},
            {"fam": 6, "c2s": 512 * KiB, "s2c": 100 * KiB + 1023,
             "chunk": 10000}]},
        {"kind": "rpc", "conns": [{"fam": 4}, {"fam": 6}], "msgs": waitall,
         "rounds": 2},
        {"kind": "closed", "conns": closed},
        {"kind": "rpc", "conns": [{"fam": 4}, {"fam": 6}],
         "pre": [{"size": 16 * KiB, "reply": KiB}],
         "msgs": [{"size": 8 * KiB, "reply": 200 * KiB + 1023},
                  {"size": 8 * KiB + 1023, "reply": 4 * KiB}],
         "rounds": 3},
        {"kind": "rpc", "conns": [{"fam": 4}, {"fam": 6}],
         "pre": [{"size": 16 * KiB + 3, "reply": 70 * KiB + 5}],
         "msgs": [{"size": 8 * KiB, "reply": 200 * KiB + 1023},
                  {"size": 4 * KiB + 1023, "reply": 3 * KiB}],
         "rounds": 2, "read": "splice", "queued": True}] + [
        {"kind": "io", "io": io, "conns": [
            {"fam": 4, "c2s": 100 * KiB + 1023, "s2c": 50 * KiB,
             "chunk": 64 * KiB},
            {"fam": 6, "c2s": 20 * KiB, "s2c": 70 * KiB + 1023,
             "chunk": 10000}]}
        for io in ("uring", "uring_zc", "msg_zerocopy", "tcp_zerocopy")]}


def lossless_plan(tag):
    """Whole-KiB messages, each one segment and one read, over several
    1-second intervals: any byte lost between intervals shows in the sum."""
    msgs = [{"size": n * KiB, "reply": r * KiB}
            for n, r in ((1, 1), (4, 2), (16, 1), (32, 3), (2, 8))]
    # The 5 ms pauses leave the CPUs some idle time: flat-out traffic can
    # keep tcptop off the CPU until it ends (see tests/test_tcptop_live.py).
    return {"tag": tag, "timeout": 120, "pairs": [
        {"kind": "rpc", "conns": [{"fam": f}, {"fam": f}], "msgs": msgs,
         "duration": 4.5, "gap": 0.005} for f in (4, 6)]}


class Run:
    """What one method's instances reported."""


@pytest.fixture(scope="module", params=METHODS + ["auto"])
def run(request):
    method = request.param
    r = Run()
    r.method = method
    r.tag, r.ltag = new_tag(), new_tag()
    att = ["--attach", method]
    # The cases run in a cgroup v2 directory, for the -c instance; the
    # lossless traffic runs outside it.
    with Cgroups() as cgs, Traffic(cases_plan(r.tag), cgroup=cgs.make(
            "tcptop_vm_%s_%d" % (method, os.getpid()))) as tr:
        r.target = tr.pid(0, "client")
        cg = att + ["-C", "-S", "-c", cgs.dirs[0], "600"]
        if method == "auto":
            # -v: the method (stderr) and the program (stdout), then run.
            arg_lists = [att + ["-v", "-C", "-S", "600"], cg]
        else:
            arg_lists = [att + ["-C", "-S", "600"],
                         att + ["-C", "-S", "-4", "-p", r.target, "600"],
                         att + ["-C", "-S", "-6", "600"],
                         att + ["-C", "-S", "1"], cg]
        tools = start_tools(arg_lists, timeout=START_TIMEOUT)
        try:
            r.objects = objects(tools[0].proc.pid)
            r.truth = tr.run()
            if method != "auto":
                with Traffic(lossless_plan(r.ltag)) as lt:
                    r.ltruth = lt.run()
            r.results = []
            for t in tools:
                if "-c" in t.argv:
                    r.cg_result = stop_single(t)[0]
                    continue
                if t.argv[-1] == "1":
                    rc, out, err = t.stop(signal.SIGINT)
                    assert rc == 0 and not err.strip(), err
                    r.intervals = parse(out)[1]
                    continue
                if method == "auto":
                    rc, out, err = t.stop(signal.SIGINT)
                    assert rc == 0, err
                    r.verbose_err = err
                    r.program, _, out = out.partition("Tracing...")
                    r.results.append(parse("Tracing..." + out)[1][0])
                    continue
                iv, err = stop_single(t)
                r.results.append(iv)
                if len(r.results) == 1:
                    r.verbose_err = err
        finally:
            for t in tools:
                t.kill()
    if method != "auto":
        # The instances compiled this method's program (the tests' cache
        # starts empty): this start is warm.
        r.warm_note, r.warm = once("tcptop", method=method)
    return r


def check(r, pairs):
    """The rows of these pairs of processes exact (the other pairs are
    other cases')."""
    names = {"%s%s%d" % (r.tag, role, n) for role in "cs" for n in pairs}
    iv = types.SimpleNamespace(rows=[x for x in r.results[0].rows
                                     if x.comm.rstrip("t") in names])
    truth = {"sockets": [s for s in r.truth["sockets"] if s["pair"] in pairs]}
    assert truth["sockets"]
    assert_exact([iv], truth, r.tag)


def test_ipv4_ipv6_and_mapped(run):
    check(run, [0])


def test_small_nodelay_writes(run):
    check(run, [1])


def test_sendfile_and_splice(run):
    check(run, [2])


def test_blocking_waitall_read(run):
    check(run, [3])


def test_reads_after_peer_closed(run):
    check(run, [4])
    rows = [x for x in ours(run.results[0].rows, run.tag)
            if x.comm.rstrip("t")[len(run.tag) + 1:] == "4"]
    assert rows and all(x.lport and x.rport for x in rows)


def test_connection_before_start(run):
    """Exact from the first byte read after the start, on every method: the
    start's reading of each connection (tools/tcptop_start.c)."""
    check(run, [5])


def test_connection_before_start_spliced(run):
    check(run, [6])


def test_io_uring(run):
    check(run, [7, 8])


def test_msg_zerocopy_sends(run):
    check(run, [9])


def test_zerocopy_receive(run):
    check(run, [10])


def test_whole_run_exact(run):
    """Every row of the run at once: nothing missing, nothing extra."""
    assert_exact([run.results[0]], run.truth, run.tag)


def test_cgroup_dir_filter(run):
    """-c DIR, with the cases' processes in DIR: every row of theirs, as
    without -c; the lossless traffic, outside DIR (methods only), none."""
    assert_exact([run.cg_result], run.truth, run.tag)
    assert not ours(run.cg_result.rows, run.ltag)


@pytest.mark.parametrize("run", METHODS, indirect=True)
def test_pid_and_ipv4_filter(run):
    iv = run.results[1]
    assert {x.pid for x in iv.rows} <= {run.target}
    assert iv.v6 is None
    assert_exact([iv], run.truth, run.tag,
                 want=lambda s: s["pid"] == run.target and s["fam"] == 4)


@pytest.mark.parametrize("run", METHODS, indirect=True)
def test_ipv6_filter(run):
    iv = run.results[2]
    assert iv.v4 is None
    assert_exact([iv], run.truth, run.tag,
                 want=lambda s: s["fam"] in (6, 46))


@pytest.mark.parametrize("run", METHODS, indirect=True)
def test_lossless_intervals(run):
    busy = [iv for iv in run.intervals if ours(iv.rows, run.ltag)]
    assert len(busy) >= 2, "traffic spanned only %d intervals" % len(busy)
    assert_exact(run.intervals, run.ltruth, run.ltag, exact_sum=True)


def test_auto_choice_and_verbose(run):
    """auto, with -v, names the method it chose and prints its program;
    the methods' instances, without -v, print nothing on stderr. (Every
    test takes every method: a subset makes pytest set instances up twice.)"""
    if run.method != "auto":
        assert run.verbose_err == "", run.verbose_err
        return
    assert run.verbose_err.startswith("tcptop: attached method: %s\n" % AUTO), \
        run.verbose_err
    assert "container_should_be_filtered" in run.program


def test_warm_start_attaches_the_same_programs(run):
    check_warm_start(run, "tcptop", run.verbose_err)
