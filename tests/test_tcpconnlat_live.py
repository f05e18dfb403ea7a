"""tcpconnlat against ground truth: every field of its lines.

Live tests make real connects with a client that reports what it saw
itself (tests/connlat_client.py) inside network namespaces of their own
(lib.netns), run the real binary, and compare every field. --ebpf is
test_tcpconnlat_ebpf.py's, the verifier test_verifier.py's; options
parsing and usage errors are in test_cli.py; faults in
test_tcpconnlat_faults.py.
"""
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from lib.bpf import (ConnectEndWitness, held_bpf_ids, held_bpf_shown,
                     map_by_name, map_delete, map_update, still_present)
from lib.netns import Netns
from lib.paths import TCPCONNLAT
from lib.proc import run
from lib.progcache import verbose_err
from lib.require import need, skip_or_fail
from lib.tcpconnlat_live import (
    HEADER, ConnectEnds, check_event, client, client_bg, conn, drop_all_syns,
    drop_first_syns, events, finish, for_conn, header, json_records,
    json_tool, monotonic_ns, read_json_line, reject_icmp, set_start_ts, shown_comm, start_entries,
    start_entry_at, StateTrace, tool, wait_for_all, wait_for_event)
from lib.wait import wait_until


# --- live: ground truth ------------------------------------------------------

def stop_and_parse(bg, timestamp=False, lport=False):
    rc, out, err = bg.stop()
    assert rc == 0, err
    lines = out.split("\n")
    assert header(timestamp, lport) in lines
    return events(out, timestamp, lport), err


def program_misses(pid):
    """[(id, name, recursion_misses)] of the process's BPF programs: the
    kernel counts the runs it skipped (paired ones are not reported)."""
    return [(i, p.get("name"), p.get("recursion_misses", 0))
            for i, p in held_bpf_shown(pid, "prog")]


def flake_diagnostics(pid, recs, states):
    """For the rare unreported slow connect (README, Known gaps): the time,
    each of tool pid's programs' recursion_misses and the kernel's own
    state changes of the connects' sockets (ftrace, a StateTrace). Printed
    too: pytest shortens a long assertion message, never captured output.
    """
    why = "now %d ns, programs %r, state changes (ftrace):\n%s" % (
        time.monotonic_ns(), program_misses(pid),
        "\n".join(states.lines([r["lport"] for r in recs])))
    print("flake diagnostics, connects %r:\n%s" % (recs, why))
    return why


def slow_connect_diagnostics(bg, recs, states):
    """The start entries left and flake_diagnostics() when a connect of
    recs is not shown; "" when all are."""
    evs = events(bg.out, False, True)
    if all(for_conn(evs, r) for r in recs):
        return ""
    m = map_by_name(bg.proc.pid, "start")
    left = start_entries(m["id"])
    print("start entries left: %r" % (left,))
    return "start entries %r, %s" % (left, flake_diagnostics(bg.proc.pid,
                                                             recs, states))


@pytest.fixture
def ns():
    with Netns() as n:
        yield n


def assert_connects_shown(ns, **client_kw):
    """tcpconnlat -L while the client makes connects to its own listener:
    each one line, every field right, nothing on stderr. Returns the
    client's records."""
    bg = tool(["-L"])
    try:
        recs = client(ns, port=5000, listen=True, **client_kw)
        wait_for_all(bg, recs, lport=True)
    finally:
        evs, err = stop_and_parse(bg, lport=True)
    assert err == ""
    for rec in recs:
        assert rec["result"] == "ok"
        mine = for_conn(evs, rec)
        assert len(mine) == 1, (rec, mine)
        check_event(mine[0], rec, lport=True)
    return recs


@pytest.mark.parametrize("family", [4, 6])
def test_fast_connects(live, ns, family):
    assert_connects_shown(ns, family=family, count=5,
                          comm=b"fast-conn".hex())


def test_a_lone_event_is_printed_while_running(live, ns):
    """One connect, fewer events than wake the reader (runtime/events.c):
    its line still comes through the pipe while the tool runs (the buffers
    are read when the poll times out, and stdout is flushed after each
    read), not only once more events come or at exit."""
    bg = tool(["-L"])
    try:
        recs = client(ns, port=5000, listen=True, count=1)
        wait_for_all(bg, recs, lport=True, timeout=10)
        shown = events(bg.out, False, True)
        assert bg.proc.poll() is None
        assert all(len(for_conn(shown, r)) == 1 for r in recs), bg.out
    finally:
        stop_and_parse(bg, lport=True)


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
def test_printed_in_time_order_across_cpus(live, ns, json_lines):
    """20 connects, made in turn on two CPUs and over IPv4 and IPv6 (four
    perf buffers; two without -j), faster than a buffer wakes the reader:
    printed in the order they were made, TIME(s) never stepping back. Read
    a buffer at a time, each CPU's would come in a block."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    if len(cpus) < 2:
        skip_or_fail("needs 2 CPUs")
    plan = ",".join("%d:5000" % (4, 6)[i % 2] for i in range(20))
    bg = json_tool() if json_lines else tool(["-t", "-L"])
    try:
        recs = client(ns, plan=plan, listen=True, blocking=True,
                      cpus="%d,%d" % tuple(cpus))
        # (A local port can come round again: the sequence is compared.)
        made = [(r["family"], r["lport"]) for r in recs]
        assert len(made) == 20

        def shown():
            if json_lines:
                return [(j["family"], j["lport"])
                        for j in json_records(bg.out)
                        if j["pid"] == recs[0]["pid"]]
            return [(e["ip"], e["lport"]) for e in events(bg.out, True, True)
                    if e["pid"] == recs[0]["pid"]]
        wait_until(lambda: bg.read_some(0.1) and len(shown()) >= 20, 10)
        assert shown() == made, bg.out
        if not json_lines:
            times = [e["time"] for e in events(bg.out, True, True)]
            assert times == sorted(times), bg.out
    finally:
        bg.stop()


def test_ipv4_mapped_ipv6(live, ns):
    """An IPv6 socket connecting to an IPv4-mapped address is an IPv6
    connect, as for the original: shown with -6, not with -4."""
    tools = {k: tool(["-L"] + ([k] if k else []), wait=False)
             for k in ("", "-4", "-6")}
    try:
        for bg in tools.values():
            bg.wait_for(HEADER, 60)
        recs = client(ns, family=6, host="::ffff:127.0.0.1", port=5000,
                      listen=True, count=2)
        wait_for_all(tools[""], recs, lport=True)
        wait_for_all(tools["-6"], recs, lport=True)
        tools["-4"].read_for(0.5)
    finally:
        evs = {k: stop_and_parse(bg, lport=True)[0] for k, bg in tools.items()}
    for rec in recs:
        assert rec["saddr"] == "::ffff:127.0.0.1" and rec["result"] == "ok"
        for k in ("", "-6"):
            mine = for_conn(evs[k], rec)
            assert len(mine) == 1, (k, rec)
            check_event(mine[0], rec, lport=True)
        assert not [e for e in evs["-4"] if e["pid"] == rec["pid"]]


COMMS = [
    b"python3",
    b"abcdefghijklmno",                     # cut to 12 characters
    "ñandú-über".encode(),                  # 12 characters, 15 bytes
    b"\xff\xfeab\xe2\x82",                  # invalid, truncated at the end
    b"a\xed\xa0\x80b c",                    # a surrogate, a space
    b"\xf0\x9f\x98\x80x\xf0\x9f",            # 4-byte sequence, then cut
    b"\xc0\xafok\xf5",                       # overlong, out of range
]


def test_comm_is_text(live, ns):
    """COMM is printed as the original prints it: decoded as UTF-8 with
    replacement, cut and padded by characters."""
    bg = tool()
    try:
        recs = []
        for c in COMMS:
            recs += client(ns, port=5000, listen=True, comm=c.hex())
        wait_for_all(bg, recs)
    finally:
        evs, err = stop_and_parse(bg)
    for rec in recs:
        mine = for_conn(evs, rec)
        assert len(mine) == 1, rec
        assert mine[0]["comm"] == shown_comm(rec["comm"])
        check_event(mine[0], rec)


@pytest.mark.parametrize("family", [4, 6])
def test_slow_connect_latency(live, ns, family):
    """The first SYN is dropped; the kernel resends it ~1 s later. LAT must
    agree with the client's own timing of connect()."""
    ns.nft(drop_first_syns(5000))
    why, unseen = "", {}
    with ConnectEnds() as ends:
        bg = tool(["-L"])
        try:
            recs = client(ns, family=family, port=5000, listen=True, count=2)
            wait_for_all(bg, recs, lport=True)
            why = slow_connect_diagnostics(bg, recs, ends.states)
            if why:
                unseen, _ = ends.judge(recs, lambda r: False, [])
        finally:
            evs, err = stop_and_parse(bg, lport=True)
    for rec in recs:
        assert rec["result"] == "ok"
        assert rec["ms"] > 900, "the SYN was not dropped: %r" % rec
        mine = for_conn(evs, rec)
        if not mine and conn(rec) in unseen:
            continue
        assert len(mine) == 1, (rec, err, why)
        check_event(mine[0], rec, lport=True)
        assert abs(mine[0]["lat"] - rec["ms"]) <= 0.03 * rec["ms"], (mine, rec)


def test_connect_from_thread(live, ns):
    """A connect from a non-main thread: PID is the process id, COMM the
    thread's name, and -p with the process id selects it."""
    with tempfile.TemporaryDirectory() as d:
        go = os.path.join(d, "go")
        proc = client_bg(ns, port=5000, listen=True, thread=True, count=2,
                         comm=b"worker-thr".hex(), start_file=go)
        everyone = tool(["-L"], wait=False)
        by_pid = tool(["-L", "-p", str(proc.pid)], wait=False)
        try:
            everyone.wait_for(HEADER, 60)
            by_pid.wait_for(HEADER, 60)
            open(go, "w").close()
            recs = finish(proc)
            wait_for_all(everyone, recs, lport=True)
            wait_for_all(by_pid, recs, lport=True)
        finally:
            evs_all, _ = stop_and_parse(everyone, lport=True)
            evs_pid, _ = stop_and_parse(by_pid, lport=True)
    for rec in recs:
        assert rec["tid"] != rec["pid"] == proc.pid
        assert bytes.fromhex(rec["comm"]) == b"worker-thr"
    for evs in (evs_all, evs_pid):
        for rec in recs:
            mine = for_conn(evs, rec)
            assert len(mine) == 1, rec
            check_event(mine[0], rec, lport=True)
    assert all(e["pid"] == proc.pid for e in evs_pid)


@pytest.mark.parametrize("how", ["inline", "async"])
@pytest.mark.parametrize("family", [4, 6])
def test_io_uring_connects(live, ns, family, how):
    """Connects through io_uring (IORING_OP_CONNECT): made in the task,
    shown as any connect; with IOSQE_ASYNC an io-wq worker of the process
    connects: PID the process's, COMM the worker's (iou-wrk-<tid>), as
    the original shows it."""
    recs = assert_connects_shown(ns, family=family, count=3,
                                 comm=b"uring-conn".hex(), uring=how)
    for rec in recs:
        assert bytes.fromhex(rec["comm"]) == (
            b"uring-conn" if how == "inline" else b"iou-wrk-%d" % rec["tid"])


def test_pid_filter_is_not_thread_id(live, ns):
    """-p with a thread id (not a process id) matches nothing, as in the
    current bcc tool."""
    with tempfile.TemporaryDirectory() as d:
        go = os.path.join(d, "go")
        # The thread id is known after the first connect; the tools that
        # filter on it start before the second one.
        proc = client_bg(ns, port=5000, listen=True, thread=True, count=2,
                         comm=b"worker-thr".hex(), start_file=go,
                         step_files=True)
        open(go, "w").close()
        first = read_json_line(proc)
        assert first["tid"] != first["pid"]
        by_tid = tool(["-p", str(first["tid"])], wait=False)
        by_pid = tool(["-p", str(first["pid"])], wait=False)
        try:
            by_tid.wait_for(HEADER, 60)
            by_pid.wait_for(HEADER, 60)
            open(go + ".1", "w").close()
            recs = [first] + finish(proc)
            wait_for_all(by_pid, recs[1:])
            by_tid.read_for(0.5)
        finally:
            evs_tid, _ = stop_and_parse(by_tid)
            evs_pid, _ = stop_and_parse(by_pid)
    assert len(for_conn(evs_pid, recs[1])) == 1
    assert evs_tid == []


@pytest.mark.parametrize("family", [4, 6])
def test_refused_connect(live, ns, family):
    """Refused with a reset: reported like the kprobe original does (its
    tcp_rcv_state_process() runs for the reset), LAT = time to the reset."""
    bg = tool(["-L"])
    try:
        recs = client(ns, family=family, port=5001, count=3)   # no listener
        wait_for_all(bg, recs, lport=True)
    finally:
        evs, err = stop_and_parse(bg, lport=True)
    for rec in recs:
        assert rec["result"] == "ECONNREFUSED"
        mine = for_conn(evs, rec)
        assert len(mine) == 1, rec
        check_event(mine[0], rec, lport=True)


def test_simultaneous_open(live, ns, ends):
    """Both ends connect to each other (as in NAT traversal): each connect
    is reported once, when it completes."""
    ns.nft(drop_first_syns(5000) + drop_first_syns(5001).replace(
        "table inet connlat", "table inet connlat2"))
    bg = tool(["-L"])
    try:
        m = map_by_name(bg.proc.pid, "start")
        recs = client(ns, mode="simopen", port=5000)
        wait_for_all(bg, recs, lport=True)
        bg.read_for(0.3)
        left = start_entries(m["id"], pid=recs[0]["pid"])
    finally:
        evs, err = stop_and_parse(bg, lport=True)
    unseen, left = ends.judge(recs, lambda r: for_conn(evs, r), left)
    for rec in recs:
        assert rec["result"] == "ok", recs
        assert rec["ms"] > 900, recs
        mine = for_conn(evs, rec)
        if not mine and conn(rec) in unseen:
            continue
        assert len(mine) == 1, (rec, evs)
        check_event(mine[0], rec, lport=True)
    assert left == []


def test_icmp_refused_not_reported(live, ns, ends):
    """Refused by an ICMP error (no reset): not reported, as by the
    original, and nothing is left behind."""
    ns.nft(reject_icmp(5001))
    bg = tool(["-L"])
    try:
        m = map_by_name(bg.proc.pid, "start")
        refused = client(ns, port=5001, count=3)
        marker = client(ns, port=5002, listen=True)
        wait_for_all(bg, marker, lport=True)
        left = start_entries(m["id"], pid=refused[0]["pid"])
        _, left = ends.judge(refused, lambda r: True, left)
    finally:
        evs, err = stop_and_parse(bg, lport=True)
    assert all(r["result"] == "ECONNREFUSED" for r in refused)
    assert not [e for e in evs if e["pid"] == refused[0]["pid"]]
    assert left == []


def test_abandoned_connects_leave_nothing(live, ns):
    """50,000 connects given up in SYN_SENT, a timed-out one, and fast ones
    under a duration_ms threshold leave no entry behind; the next connect
    is still reported, and the table is bounded."""
    ns.nft(drop_all_syns(5002) + drop_first_syns(5004).replace(
        "table inet connlat", "table inet connlat_slow"))
    bg = tool(["-L", "500"])
    try:
        m = map_by_name(bg.proc.pid, "start")
        assert m["type"] == "lru_hash" and m["max_entries"] == 10240
        # A witness of their ends too (see the end): too many for the
        # ftrace comparison below, so counted together.
        with ConnectEndWitness() as witness:
            ab = client(ns, mode="abandon", port=5002, count=50000,
                        timeout=240)[0]
            ab_ends = witness.ends_to(5002)
            ab_missed = witness.missed_any()
        assert ab["abandoned"] == 50000
        # The timed-out and the slow connect end in a timer's softirq, and
        # the kernel here sometimes runs no BPF program for that (README,
        # Known gaps): a witness says which it missed too.
        with ConnectEnds() as ends:
            timed_out = client(ns, port=5002, syncnt=1, timeout=30)[0]
            assert timed_out["result"] == "ETIMEDOUT"
            fast = client(ns, port=5003, listen=True, count=200)
            assert all(r["ms"] < 400 for r in fast)
            slow = client(ns, port=5004, listen=True)
            wait_for_all(bg, slow, lport=True)
            left = start_entries(m["id"])
            roles = {ab["pid"]: "abandon", timed_out["pid"]: "timed out",
                     fast[0]["pid"]: "fast", slow[0]["pid"]: "slow"}
            mine = [e for e in left if e[2] in roles]
            shown = events(bg.out, lport=True)
            unseen, mine = ends.judge(
                [timed_out] + slow,
                lambda r: r is timed_out or for_conn(shown, r), mine)
        # A rare failure (one entry, seen in 2 of about 10 suite runs):
        # say whose entry it is, how old, and what the namespace's
        # sockets are doing now. The likely cause, a softirq nested in
        # the program ending the connect, is handled by the second
        # program on the tracepoint (test_tcpconnlat_nested.py).
        why = "" if not mine else "roles %r, now %d ns, sockets:\n%s" % (
            [roles[e[2]] for e in mine], time.monotonic_ns(),
            run(ns.argv(["ss", "-tanpi"])).stdout[-3000:])
    finally:
        evs, err = stop_and_parse(bg, lport=True)
    # The one way an entry may stay: the kernel skipped both programs for
    # the state change that ends it (on PREEMPT_RT kernels), and the tool
    # said so.
    skipped = re.search(r"skipped (\d+) program runs in total", err)
    # And an abandoned connect's entry may stay if the kernel ran no BPF
    # program for its end: then the witness (a program of the test's own on
    # the same tracepoint) counted fewer ends than connects given up, and
    # skipped none of its own runs. It must have seen nearly all of them.
    unseen_ab = 0 if ab_missed else 50000 - ab_ends
    assert 0 <= unseen_ab < 1000, (ab_ends, ab_missed)
    ab_left = [e for e in mine if roles[e[2]] == "abandon"]
    if ab_left and len(ab_left) <= unseen_ab:
        print("left, as the kernel ran no BPF program for %d abandoned "
              "connects' ends: %r" % (unseen_ab, ab_left))
        mine = [e for e in mine if e not in ab_left]
    assert len(mine) <= (int(skipped.group(1)) if skipped else 0), \
        "entries left behind: %r; %s\n%s" % (mine[:5], why, err)
    assert len(left) < 10240
    if not (conn(slow[0]) in unseen and not for_conn(evs, slow[0])):
        assert len(for_conn(evs, slow[0])) == 1
        check_event(for_conn(evs, slow[0])[0], slow[0], lport=True)
    for p in (ab["pid"], timed_out["pid"], fast[0]["pid"]):
        assert not [e for e in evs if e["pid"] == p]


def backwards_clock_once(ns):
    """One slow connect whose start entry is set an hour ahead, then a fast
    one; returns (rc, out, err, the slow one's record, the fast one's)."""
    bg = tool(["-L"])
    try:
        m = map_by_name(bg.proc.pid, "start")
        proc = client_bg(ns, port=5000, listen=True)
        ents = wait_until(lambda: start_entries(m["id"], pid=proc.pid), 2.5,
                          step=0)
        assert ents, "the connect's start entry never appeared"
        key, ts, pid, task, value = ents[0]
        set_start_ts(m["id"], key, monotonic_ns() + 3600 * 10**9, value)
        recs = finish(proc)
        assert recs[0]["result"] == "ok" and recs[0]["ms"] > 1500
        marker = client(ns, port=5001, listen=True)
        wait_for_all(bg, marker, lport=True)
        bg.read_for(0.5)
    finally:
        rc, out, err = bg.stop()
    return rc, out, err, recs[0], marker[0]


def test_backwards_clock(live, ns):
    """A start time later than the end is skipped and counted (stderr), not
    printed as an absurd latency; tracing goes on. Made again, once, if
    the kernel ran no BPF program for the slow connect's end (README,
    Known gaps: nothing could be skipped then)."""
    need("bpftool")
    ns.nft(drop_first_syns(5000, drops=2))     # 2-3 s in SYN_SENT
    warning = ("tcpconnlat: WARNING: skipped 1 connects whose start time is "
               "later than their end")
    for attempt in (1, 2):
        with ConnectEnds() as ends:
            rc, out, err, slow, marker = backwards_clock_once(ns)
            if attempt == 2 or warning in err or not ends([slow]):
                break
        print("again: the kernel ran no BPF program for the end of %r" % slow)
    assert rc == 0
    evs = events(out, lport=True)
    assert not [e for e in evs if e["pid"] == slow["pid"]], evs
    assert all(e["lat"] < 3600 * 1000 for e in evs)
    assert len(for_conn(evs, marker)) == 1
    assert warning in err, err


def test_unseen_end_is_forgotten_and_counted(live):
    """A connect whose change to ESTABLISHED ran none of the programs (the
    kernel sometimes runs none: README, Known gaps) keeps its start entry;
    it goes when the socket leaves ESTABLISHED, counted on stderr, and is
    never printed (nor later taken for another socket's start). Made here
    by writing such an entry by hand for a connected socket of the test's
    own (its address from ftrace)."""
    need("bpftool")
    with StateTrace() as states, socket.socket() as lis:
        lis.bind(("127.0.0.1", 0))
        lis.listen()
        bg = tool(["-L"])
        try:
            c = socket.create_connection(lis.getsockname())
            port = c.getsockname()[1]
            rec = wait_for_event(bg, lambda e: e["lport"] == port, lport=True)
            assert len(rec) == 1, rec
            sks = states.established_sks(port, lis.getsockname()[1])
            if not sks:
                skip_or_fail("tracefs shows no skaddr (no options/fields)")
            sk = sks[0]
            m = map_by_name(bg.proc.pid, "start")
            value = struct.pack("=QI16sI", monotonic_ns(), os.getpid(),
                                b"unseen-end", os.getpid())
            key = struct.pack("=Q", sk)
            map_update(("id", str(m["id"])), key,
                       value.ljust(m["bytes_value"], b"\0"), "any")
            assert start_entry_at(m["id"], key)
            c.close()
            gone = wait_until(lambda: not start_entry_at(m["id"], key), 5)
            bg.read_for(1.5)
        finally:
            evs, err = stop_and_parse(bg, lport=True)
    assert gone, "the entry stayed after the socket left ESTABLISHED"
    assert "tcpconnlat: WARNING: 1 connects ended unseen" in err, err
    assert [e["lport"] for e in evs if e["pid"] == os.getpid()] == [port], evs


@pytest.mark.parametrize("how", ["accepted", "connect filtered out"])
def test_stale_entry_is_not_the_next_sockets_start(live, how):
    """A start entry left behind (its connect's change to ESTABLISHED ran
    no program, and its socket's leaving was missed too) is not taken for
    the start of the next socket to get that address: an accepted one (it
    goes at its LISTEN -> SYN_RECV) or a connecting one that -p passes
    over (at its change to SYN_SENT); counted on stderr, and nothing is
    printed for it. Made by hand: the entry is written for the address of
    a connected socket of the test's own just after it was freed; the
    kernel gives that memory to the next socket allocated on the CPU
    (the test is pinned to one): the child of the next connect's accept,
    or the next connect's own socket (ftrace shows whether it was; else it
    tries again)."""
    need("bpftool")
    linger0 = struct.pack("ii", 1, 0)
    comm = b"stale-start"
    accepted = how == "accepted"
    other = subprocess.Popen(["sleep", "60"])
    cpus = os.sched_getaffinity(0)
    reused, mine, unseen = None, [], 1
    with StateTrace() as states, socket.socket() as lis:
        lis.bind(("127.0.0.1", 0))
        lis.listen()
        lport = lis.getsockname()[1]
        bg = tool(["-L"] if accepted else ["-L", "-p", str(other.pid)])
        try:
            os.sched_setaffinity(0, {min(cpus)})
            m = map_by_name(bg.proc.pid, "start")
            ref = ("id", str(m["id"]))
            for _ in range(10):
                c0 = socket.create_connection(lis.getsockname())
                s0, _ = lis.accept()
                mine.append(c0.getsockname()[1])
                if accepted:
                    c1 = socket.socket()    # before c0 is freed
                for s in (s0, c0):          # resets: freed at once
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger0)
                    s.close()
                if not accepted:
                    c1 = socket.socket()    # c0's memory, likely
                sks = states.established_sks(mine[-1], lport)
                if not sks:
                    skip_or_fail("tracefs shows no skaddr (no options/fields)")
                key = struct.pack("=Q", sks[0])
                value = struct.pack("=QI16sI", monotonic_ns(),
                                    os.getpid() if accepted else other.pid,
                                    comm, os.getpid())
                map_update(ref, key, value.ljust(m["bytes_value"], b"\0"),
                           "any")
                c1.connect(lis.getsockname())
                s1, _ = lis.accept()
                mine.append(c1.getsockname()[1])
                got = (states.accepted_sks(lport, mine[-1]) if accepted else
                       states.established_sks(mine[-1], lport))
                if sks[0] in got:
                    reused = sks[0]
                    break
                # Another socket got the address: not the case made here.
                # If the tool forgot the entry for it, that counts too.
                if start_entry_at(m["id"], key):
                    map_delete(ref, key)
                else:
                    unseen += 1
                for s in (s1, c1):
                    s.close()
            bg.read_for(1.5)
            left = start_entry_at(m["id"], key)
        finally:
            os.sched_setaffinity(0, cpus)
            evs, err = stop_and_parse(bg, lport=True)
            other.kill()
            other.wait()
    if reused is None:
        skip_or_fail("no socket got a freed socket's address")
    assert not left, "the stale entry is still there"
    assert not [e for e in evs if e["comm"].strip() == comm.decode()], evs
    assert [e["lport"] for e in evs if e["pid"] == os.getpid()] == \
        (mine if accepted else []), evs
    assert "tcpconnlat: WARNING: %d connects ended unseen" % unseen \
        in err, err


# --- live: every option on live traffic, alone and combined -------------------

OPTION_CASES = [
    [], ["-4"], ["-6"], ["-p"], ["-L"], ["-t"], ["DUR"],
    ["-4", "-p"], ["-6", "-L", "-t"], ["-p", "DUR", "-L"],
    ["-4", "DUR", "-t"], ["-6", "-p", "-t", "-L", "DUR"],
]
THRESHOLD_MS = 500


@pytest.mark.parametrize("case", OPTION_CASES, ids=lambda c: " ".join(c) or "none")
def test_options_live(live, ns, case):
    """Two processes connect over IPv4 and IPv6, fast and (with DUR) slow;
    the tool shows exactly the connects its options select."""
    dur = "DUR" in case
    ns.nft(drop_first_syns(6000))           # port 6000: slow connects
    plan = "4:6001,6:6001" + (",4:6000,6:6000" if dur else "")
    unseen = {}
    with tempfile.TemporaryDirectory() as d, ConnectEnds() as ends:
        go = os.path.join(d, "go")
        a = client_bg(ns, plan=plan, listen=True, comm=b"client-a".hex(),
                      start_file=go)
        b = client_bg(ns, plan=plan.replace("600", "700"), listen=True,
                      comm=b"client-b".hex(), start_file=go)
        ns.nft(drop_first_syns(7000).replace("table inet connlat",
                                             "table inet connlat7"))
        args = []
        for o in case:
            args += {"DUR": [str(THRESHOLD_MS)], "-p": ["-p", str(a.pid)]}.get(o, [o])
        ts, lp = "-t" in case, "-L" in case
        bg = tool(args)
        try:
            open(go, "w").close()
            recs = finish(a) + finish(b)
            want = [r for r in recs if
                    ("-4" not in case or r["family"] == 4) and
                    ("-6" not in case or r["family"] == 6) and
                    ("-p" not in case or r["pid"] == a.pid) and
                    (not dur or r["dport"] in (6000, 7000))]
            wait_for_all(bg, want, timestamp=ts, lport=lp)
            bg.read_for(0.3)
            m = map_by_name(bg.proc.pid, "start")
            left = [e for e in start_entries(m["id"]) if e[2] in (a.pid, b.pid)]
            # A connect not shown, or an entry left: was it the kernel's
            # (README, Known gaps)?
            shown = events(bg.out, ts, lp)
            unseen, left = ends.judge(want, lambda r: for_conn(shown, r),
                                      left)
            # A rare failure (one entry of client-a, once, with the second
            # programs attached and no run skipped): keep what says whose
            # and how old, and what the namespace's sockets are doing.
            why = "" if not left else "records %r, %s\nsockets:\n%s" % (
                recs, flake_diagnostics(bg.proc.pid, recs, ends.states),
                run(ns.argv(["ss", "-tanpie"])).stdout[-3000:])
        finally:
            evs, err = stop_and_parse(bg, timestamp=ts, lport=lp)
    assert left == [], "entries left: %r; %s\n%s\nevents %r" % (
        left, why, err, evs)
    for r in recs:
        assert r["result"] == "ok"
        if r["dport"] in (6000, 7000):
            assert r["ms"] > 900, r       # the first SYN was dropped
        else:
            assert r["ms"] < THRESHOLD_MS * 0.8, r
    for r in recs:
        mine = for_conn(evs, r)
        if r in want:
            if not mine and conn(r) in unseen:
                continue
            assert len(mine) == 1, (case, r)
            check_event(mine[0], r, lport=lp)
        else:
            assert mine == [], (case, r)
    if "-4" in case:
        assert all(e["ip"] == 4 for e in evs)
    if "-6" in case:
        assert all(e["ip"] == 6 for e in evs)
    if "-p" in case:
        assert all(e["pid"] == a.pid for e in evs)
    if dur:
        assert all(e["lat"] >= THRESHOLD_MS for e in evs)
    if ts:
        assert evs[0]["time"] == 0.0
        # Events from different CPUs can arrive slightly out of order, so a
        # time can be a little before the first one (README, known gaps).
        assert all(re.match(r"-?\d+\.\d{3} *$", e["line"][:9]) for e in evs)
        assert all(e["time"] > -0.5 for e in evs), evs


# --- live: lifecycle ---------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_exits_0_and_detaches(live, sig):
    bg = tool()
    try:
        progs = held_bpf_ids(bg.proc.pid, "prog")
        maps = held_bpf_ids(bg.proc.pid, "map")
    finally:
        rc, out, err = bg.stop(sig)
    assert progs and maps
    assert rc == 0 and err == ""
    alive = still_present({"prog": progs}, timeout=10)
    assert not alive, "programs still loaded: %r" % alive


def test_verbose_prints_program_then_runs(live, ns):
    ebpf = run([TCPCONNLAT, "--ebpf"])
    bg = tool(["-v"], method=None)
    try:
        recs = client(ns, port=5000, listen=True)
        wait_for_all(bg, recs)
    finally:
        rc, out, err = bg.stop()
    assert rc == 0
    verbose_err(err, "tcpconnlat", "tracepoint")
    assert out.startswith(ebpf.stdout)
    assert out[len(ebpf.stdout):].startswith(header() + "\n")
    assert len(for_conn(events(out), recs[0])) == 1


def test_closed_pipe_exits_quietly(live, ns):
    bg = tool()
    bg.proc.stdout.close()
    client(ns, port=5000, listen=True, count=3)
    try:
        rc = bg.proc.wait(timeout=20)
    finally:
        if bg.proc.poll() is None:
            bg.proc.kill()
    assert rc == 0
    assert bg.proc.stderr.read() == ""


def test_lost_events_are_reported(live, ns):
    """While the output is not read, the perf buffer overflows: the loss is
    reported on stderr and adds up with what was printed. 40,000 connects:
    more than the buffers and the pipe hold (on up to 12 CPUs: 26,214
    80-byte records up to 8, events_pages() in runtime/events.c)."""
    bg = tool()
    n = 40000
    try:
        storm = client(ns, mode="storm", port=5000, listen=True, count=n,
                       timeout=240)[0]
        assert storm["connects"] == n
        drain(bg)
        # The kernel reports a loss with the next event written to that
        # CPU's buffer: make one on every CPU.
        for cpu in sorted(os.sched_getaffinity(0)):
            assert client(ns, port=5001, listen=True, count=3, cpu=cpu)
        drain(bg)
    finally:
        rc, out, err = bg.stop()
    assert rc == 0
    shown = [e for e in events(out) if e["pid"] == storm["pid"]]
    lost = [int(x) for x in re.findall(r"WARNING: lost (\d+) events:", err)]
    total = re.findall(r"WARNING: lost (\d+) events in total", err)
    assert lost, "expected lost events; shown %d; stderr: %r" % (len(shown), err[-500:])
    assert total and int(total[0]) == sum(lost)
    assert len(shown) < n
    assert len(shown) + sum(lost) >= n


def test_perf_buffers_are_sized_for_a_stalled_reader(live):
    """Each CPU's perf buffer (a mapping of the tool's) is 256 pages on up
    to 2 CPUs, halved as there are more, down to 64 (events_pages()); one
    per online CPU and table (-4 -6: ipv4_events and ipv6_events)."""
    cpus = os.sysconf("SC_NPROCESSORS_ONLN")
    pages = 256
    while pages > 64 and pages * cpus > 512:
        pages //= 2
    bg = tool()
    try:
        with open("/proc/%d/maps" % bg.proc.pid) as f:
            sizes = []
            for line in f:
                if "[perf_event]" in line:
                    lo, hi = line.split()[0].split("-")
                    sizes.append(int(hi, 16) - int(lo, 16))
    finally:
        bg.stop()
    # One page more: the header page perf puts before the data.
    assert sizes == [(pages + 1) * os.sysconf("SC_PAGE_SIZE")] * (2 * cpus)


def drain(bg, quiet=1.0, limit=60):
    """Read the tool's output until it has been quiet for a while."""
    end = time.monotonic() + limit
    prev = -1
    while len(bg.out) != prev and time.monotonic() < end:
        prev = len(bg.out)
        bg.read_for(quiet)
