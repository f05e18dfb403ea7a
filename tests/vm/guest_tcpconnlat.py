"""tcpconnlat inside a VM (tests/vm/run.sh): every attach method this
kernel offers, live, against ground truth (tests/connlat_client.py).

As for tcptop, each method starts its instances once, concurrently, and
all cases run against them in one network namespace: fast, slow (first SYN
dropped) and threaded connects, connects through io_uring (in the task,
and by an io-wq worker), refused ones, abandoned ones (none may
leave a `start` entry behind: the kprobe and fentry methods' tcp_set_state
cleanup), and the options -p, -L, -t, -4/-6 and duration_ms. The fentry
method's second programs (the pairs on tcp_set_state and
tcp_rcv_state_process) run alone in one more instance (--x-second-only).

VM_TCPCONNLAT_METHODS names the methods, VM_TCPCONNLAT_AUTO the one auto
must choose.
"""
import os
import re
import signal
import tempfile

import pytest

from lib.bpf import held_bpf_objects, held_bpf_shown, map_by_name
from lib.netns import Netns
from lib.progcache import check_warm_start, objects, once
from lib.tcpconnlat_live import (HEADER, check_event, client, client_bg,
                                 drop_all_syns, drop_first_syns, events,
                                 finish, for_conn, start_entries, tool,
                                 wait_for_all)

METHODS = os.environ.get("VM_TCPCONNLAT_METHODS", "").split()
AUTO = os.environ.get("VM_TCPCONNLAT_AUTO", "")
START_TIMEOUT = 900
THRESHOLD_MS = 500
# name -> (options, timestamp column, LPORT column)
INSTANCES = {
    "all": (["-L"], False, True),
    "v4pid": (["-4", "-p", "PID"], False, False),
    "v6": (["-6", "-t", "-L"], True, True),
    "slow": (["-L", str(THRESHOLD_MS)], False, True),
    # Only the second program of each pair: it alone must end every
    # connect and clean up every abandoned one.
    "second": (["-L", "--x-second-only"], False, True),
}
# Methods whose ends are paired programs the second instance can run
# alone. (The tracepoint method's first program also records the starts:
# tests/test_tcpconnlat_nested.py runs its seconds.)
PAIRED = ("fentry",)
# The fentry method's programs in load order (bpftool's 15-character
# names: both tcp_rcv_state_process programs are tcp_rcv_state_p).
FENTRY_PROGRAMS = ["tcp_set_state", "tcp_rcv_state_p", "tcp_set_state_a",
                   "tcp_rcv_state_p", "tcp_v4_connect", "tcp_v6_connect"]


class Run:
    pass


@pytest.fixture(scope="module", params=METHODS + ["auto"])
def run(request):
    method = request.param
    names = ["all"] if method == "auto" else \
        [n for n in INSTANCES if n != "second" or method in PAIRED]
    r = Run()
    r.method, r.names = method, names
    with Netns() as ns, tempfile.TemporaryDirectory() as d:
        ns.nft(drop_first_syns(6000))
        ns.nft(drop_all_syns(5002).replace("table inet connlat",
                                           "table inet connlat_drop"))
        go = os.path.join(d, "go")
        # The -p target: fast and slow connects over both families.
        # It waits for the tools to compile: bound it by that too.
        a = client_bg(ns, plan="4:6001,6:6001,4:6000,6:6000", listen=True,
                      comm=b"client-a".hex(), start_file=go,
                      timeout=START_TIMEOUT + 120)
        r.a_pid = a.pid
        bgs = {}
        try:
            for n in names:
                args = [a_ if a_ != "PID" else str(a.pid)
                        for a_ in INSTANCES[n][0]]
                if method == "auto":
                    args = ["-v"] + args
                bgs[n] = tool(args, method=method, wait=False)
            for bg in bgs.values():
                bg.wait_for(HEADER, START_TIMEOUT)
            r.objects = objects(bgs["all"].proc.pid)
            r.attached = {n: attached(bg.proc.pid) for n, bg in bgs.items()}
            open(go, "w").close()
            r.a = finish(a)
            r.thr = client(ns, port=5000, listen=True, thread=True, count=2,
                           comm=b"worker-thr".hex())
            r.fast = client(ns, family=6, port=5003, listen=True, count=2)
            r.uring = client(ns, port=5005, listen=True, uring="inline",
                             comm=b"uring-conn".hex()) + \
                client(ns, family=6, port=5005, listen=True, uring="async",
                       comm=b"uring-conn".hex())
            r.refused = client(ns, port=5001, count=1) + \
                client(ns, family=6, port=5001, count=1)
            r.abandoned = client(ns, mode="abandon", port=5002, count=300,
                                 timeout=240)[0]
            r.marker = client(ns, port=5004, listen=True)
            allrecs = r.a + r.thr + r.fast + r.uring + r.refused + r.marker
            for n, bg in bgs.items():
                _, ts, lp = INSTANCES[n]
                wait_for_all(bg, [x for x in allrecs if wanted(n, x, a.pid)],
                             timeout=120, timestamp=ts, lport=lp)
            r.left = {}
            for n, bg in bgs.items():
                m = map_by_name(bg.proc.pid, "start")
                r.map_type, r.map_max = m["type"], m["max_entries"]
                r.left[n] = start_entries(m["id"])
        finally:
            r.evs, r.err, r.out = {}, {}, {}
            for n, bg in bgs.items():
                rc, out, err = bg.stop(signal.SIGINT)
                _, ts, lp = INSTANCES[n]
                r.out[n], r.err[n] = out, err
                r.evs[n] = events(out, ts, lp)
                assert rc == 0, err
    if method != "auto":
        # The instances compiled this method's programs (the tests' cache
        # starts empty): this start is warm.
        r.warm_note, r.warm = once("tcpconnlat", ["-L"], method=method)
    return r


def attached(pid):
    """[(name, whether it holds a link)] of the process's programs, in load
    order."""
    linked = {int(i["prog_id"]) for i in held_bpf_objects(pid)["links"]}
    return [(d["name"], i in linked) for i, d in held_bpf_shown(pid, "prog")]


def wanted(name, rec, a_pid):
    """Whether instance name must show the connect rec."""
    if name == "v4pid":
        return rec["pid"] == a_pid and rec["family"] == 4
    if name == "v6":
        return rec["family"] == 6
    if name == "slow":
        return rec["dport"] == 6000
    return True


def check_instance(r, name, recs):
    _, ts, lp = INSTANCES[name]
    for rec in recs:
        mine = for_conn(r.evs[name], rec)
        if wanted(name, rec, r.a_pid):
            assert len(mine) == 1, (name, rec, r.out[name][-2000:])
            check_event(mine[0], rec, lport=lp)
        else:
            assert mine == [], (name, rec)


def test_fast_and_slow_connects(run):
    for rec in run.a + run.fast:
        assert rec["result"] == "ok"
        assert (rec["ms"] > 900) == (rec["dport"] == 6000), rec
    check_instance(run, "all", run.a + run.fast)
    for rec in run.a:
        if rec["dport"] == 6000:
            e = for_conn(run.evs["all"], rec)[0]
            assert abs(e["lat"] - rec["ms"]) <= 0.03 * rec["ms"], (e, rec)


def test_connect_from_thread(run):
    for rec in run.thr:
        assert rec["tid"] != rec["pid"] and rec["result"] == "ok"
    check_instance(run, "all", run.thr)


def test_io_uring_connects(run):
    """IORING_OP_CONNECT: in the task, shown as any connect; with
    IOSQE_ASYNC, PID the process's and COMM its io-wq worker's."""
    inline, worker = run.uring
    assert inline["result"] == worker["result"] == "ok"
    assert bytes.fromhex(inline["comm"]) == b"uring-conn"
    assert bytes.fromhex(worker["comm"]) == b"iou-wrk-%d" % worker["tid"]
    check_instance(run, "all", run.uring)


def test_refused_connects(run):
    assert [x["result"] for x in run.refused] == ["ECONNREFUSED"] * 2
    check_instance(run, "all", run.refused)


def left_behind(run, name):
    """The start entries instance name left of the test's connects."""
    ab = run.abandoned
    return [e for e in run.left[name] if e[2] in
            (ab["pid"], run.a_pid, run.thr[0]["pid"], run.refused[0]["pid"],
             run.uring[0]["pid"], run.uring[1]["pid"])]


def check_nothing_left(run, name):
    mine = left_behind(run, name)
    assert mine == [], "%s: start entries left behind: %r" % (name, mine[:5])
    assert not [e for e in run.evs[name] if e["pid"] == run.abandoned["pid"]]


def skips_reported(err, fn):
    """The runs of program fn the tool's warnings say were skipped."""
    return sum(int(n) for n in re.findall(r"\b%s (\d+)\b" % fn, err))


def test_abandoned_connects_leave_no_start_entry(run):
    assert run.abandoned["abandoned"] == 300
    assert run.map_type == "lru_hash" and run.map_max == 10240
    check_nothing_left(run, "all")
    check_instance(run, "all", run.marker)


def test_second_programs_alone(run):
    """The second program of each pair, attached alone, reports every
    connect's end (with the latency of the slow ones) and forgets every
    abandoned one: it does what the first does when the first is skipped.
    Without it (or with one that does nothing) connects go unreported or
    leave their start entries."""
    if "second" not in run.names:
        assert run.method not in PAIRED
        return
    # All six attached in the other instances; here the seconds alone.
    assert run.attached["all"] == [(n, True) for n in FENTRY_PROGRAMS]
    assert run.attached["second"] == [
        (n, i >= 2) for i, n in enumerate(FENTRY_PROGRAMS)], run.attached
    evs, err = run.evs["second"], run.err["second"]
    # Alone, a program's own nested runs are skipped with none to cover
    # them (rare, and reported: hidden --x-second-only reports them all).
    # An end or a cleanup may be missing only for a reported skip (of the
    # end's program, or of a start's).
    missed = []
    for rec in run.a + run.thr + run.fast + run.uring + run.refused + \
            run.marker:
        mine = for_conn(evs, rec)
        if not mine:
            missed.append(rec)
            continue
        assert len(mine) == 1, (rec, mine)
        check_event(mine[0], rec, lport=True)
        if rec["dport"] == 6000:
            assert abs(mine[0]["lat"] - rec["ms"]) <= 0.03 * rec["ms"], \
                (mine[0], rec)
    assert len(missed) <= sum(skips_reported(err, fn) for fn in (
        "kfunc__tcp_rcv_state_process_again", "kfunc__tcp_v4_connect",
        "kfunc__tcp_v6_connect")), (missed, err)
    left = left_behind(run, "second")
    assert len(left) <= len(missed) + skips_reported(
        err, "kfunc__tcp_set_state_again"), (left[:5], err)
    assert not [e for e in evs if e["pid"] == run.abandoned["pid"]]
    # Nothing else on stderr.
    assert not [ln for ln in err.splitlines() if "skipped" not in ln], err


def test_warm_start_attaches_the_same_programs(run):
    check_warm_start(run, "tcpconnlat", run.err["all"])


@pytest.mark.parametrize("run", METHODS, indirect=True)
@pytest.mark.parametrize("name", ["v4pid", "v6", "slow"])
def test_options(run, name):
    recs = run.a + run.thr + run.fast + run.uring + run.refused + run.marker
    check_instance(run, name, recs)
    evs = run.evs[name]
    if name == "v4pid":
        assert all(e["pid"] == run.a_pid and e["ip"] == 4 for e in evs)
    if name == "v6":
        assert all(e["ip"] == 6 for e in evs)
        assert evs and evs[0]["time"] == 0.0
    if name == "slow":
        assert evs and all(e["lat"] >= THRESHOLD_MS for e in evs)


def test_auto_choice_and_verbose(run):
    """auto, with -v, names the method it chose and prints its program
    first; the methods' instances, without -v, print nothing on stderr.
    (Every test takes every method: a subset makes pytest set instances up
    twice.)"""
    if run.method != "auto":
        assert run.err["all"] == "", run.err["all"]
        return
    assert "tcpconnlat: attached method: %s\n" % AUTO in run.err["all"], \
        run.err["all"]
    assert run.out["all"].index("BPF_PERF_OUTPUT") < \
        run.out["all"].index(HEADER)
