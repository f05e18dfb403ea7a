#!/usr/bin/python3
"""Ground truth for the tcpconnlat tests: make TCP connects and report, per
connect, one JSON line with what this client itself saw: pid, tid, comm
(set with prctl(PR_SET_NAME)), family, saddr, lport, daddr, dport, its own
timing of connect() in ms, and the result ("ok" or an errno name).

Modes (--mode):
  connect   COUNT blocking connects to HOST:PORT (a listener on HOST:PORT is
            opened here first with --listen, so the peer needs no helper);
            or with --plan "4:5000,6:5001", one connect per family:port;
            with --uring through io_uring (then "comm" is the COMM of the
            thread the kernel connects in: an io-wq worker's for async)
  abandon   COUNT nonblocking connects that are closed while still in
            SYN_SENT (run where SYNs to PORT are dropped); one summary line
  giveup    COUNT nonblocking connects, each closed after HOLD seconds
            still in SYN_SENT (run where SYNs to PORT are dropped); one
            line each, its time from connect() to the end of close()
  storm     COUNT fast connects (with --listen), closed with a reset; one
            summary line, no per-connect lines (for the lost-events test)
  simopen   a simultaneous open: sockets on PORT and PORT+1 connect to each
            other at once (run where their first SYNs are dropped, so both
            are in SYN_SENT when the resent SYNs cross); one line each

Every wait is bounded; the process exits 0 unless an unexpected error occurs.
"""
import argparse
import errno
import json
import os
import socket
import struct
import sys
import threading
import time

from lib.comm import get_comm, set_comm
from lib.uring import Ring
from lib.wait import wait_until


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def family_of(v):
    return socket.AF_INET6 if v == 6 else socket.AF_INET


def one_connect(a, comm):
    fam = family_of(a.family)
    a.host = a.host or ("::1" if a.family == 6 else "127.0.0.1")
    s = socket.socket(fam, socket.SOCK_STREAM)
    ring = None
    try:
        if a.syncnt:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, a.syncnt)
        # Bind first: the local port is then known even when the connect
        # is refused (a refused socket may forget an ephemeral port).
        s.bind((a.host, 0))
        saddr, lport = s.getsockname()[:2]
        if a.blocking:
            # A plain blocking connect(), bounded by SO_SNDTIMEO (Python's
            # settimeout() polls a nonblocking one and reads SO_ERROR,
            # which also returns a soft ICMP error at once).
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                         struct.pack("ll", int(a.timeout), 0))
        else:
            s.settimeout(a.timeout)
        if a.uring:
            ring = Ring()       # set up outside the connect's timing
        t0 = time.perf_counter_ns()
        try:
            if ring:
                ring.connect(s, a.host, a.port,
                             force_async=a.uring == "async")
            else:
                s.connect((a.host, a.port))
            result = "ok"
        except OSError as e:
            result = errno.errorcode.get(e.errno, str(e.errno)) \
                if e.errno else type(e).__name__
        t1 = time.perf_counter_ns()
        if a.linger0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
    finally:
        s.close()
        if ring:
            ring.close()
    if a.uring == "async":
        # An io-wq worker of this process connects (lib.uring).
        comm = b"iou-wrk-%d" % threading.get_native_id()
    emit({"pid": os.getpid(), "tid": threading.get_native_id(),
          "comm": comm.hex(), "family": a.family, "saddr": saddr,
          "lport": lport, "daddr": a.host, "dport": a.port,
          "ms": (t1 - t0) / 1e6, "result": result})


def do_connects(a):
    if a.comm is not None:
        set_comm(bytes.fromhex(a.comm))
    comm = get_comm()
    for i, (family, port) in enumerate(plan(a)):
        if i and a.gap:
            time.sleep(a.gap)
        if a.cpus:
            os.sched_setaffinity(0, {a.cpus[i % len(a.cpus)]})
        if i and a.step_files:
            wait_file("%s.%d" % (a.start_file, i), a.timeout)
        one = argparse.Namespace(**vars(a))
        one.family, one.port = family, port
        if family != a.family:
            one.host = None
        one_connect(one, comm)


def wait_file(path, timeout):
    if not wait_until(lambda: os.path.exists(path), timeout, step=0.01):
        sys.exit("%s never appeared" % path)


def plan(a):
    """[(family, port)] of the connects to make."""
    if a.plan:
        return [tuple(int(x) for x in item.split(":"))
                for item in a.plan.split(",")]
    return [(a.family, a.port)] * a.count


def do_abandon(a):
    fam = family_of(a.family)
    end = time.monotonic() + a.timeout
    done = 0
    while done < a.count and time.monotonic() < end:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((a.host, a.port))
        except BlockingIOError:
            pass
        s.close()
        done += 1
    emit({"pid": os.getpid(), "abandoned": done})


def do_giveup(a):
    comm = get_comm()
    for _ in range(a.count):
        s = socket.socket(family_of(a.family), socket.SOCK_STREAM)
        s.bind((a.host, 0))
        saddr, lport = s.getsockname()[:2]
        s.setblocking(False)
        t0 = time.perf_counter_ns()
        err = s.connect_ex((a.host, a.port))
        assert err == errno.EINPROGRESS, err
        time.sleep(a.hold)
        s.close()
        t1 = time.perf_counter_ns()
        emit({"pid": os.getpid(), "tid": threading.get_native_id(),
              "comm": comm.hex(), "family": a.family, "saddr": saddr,
              "lport": lport, "daddr": a.host, "dport": a.port,
              "ms": (t1 - t0) / 1e6, "result": "aborted"})


def do_storm(a, listener):
    fam = family_of(a.family)
    end = time.monotonic() + a.timeout
    done = 0
    while done < a.count and time.monotonic() < end:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.connect((a.host, a.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        c, _ = listener.accept()
        s.close()
        c.close()
        done += 1
    emit({"pid": os.getpid(), "connects": done})


def do_simopen(a):
    import select
    comm = get_comm()
    fam = family_of(a.family)
    ports = (a.port, a.port + 1)
    socks = []
    for p in ports:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.host, p))
        s.setblocking(False)
        socks.append(s)
    t0 = {}
    for s, peer in zip(socks, reversed(ports)):
        t0[s] = time.perf_counter_ns()
        s.connect_ex((a.host, peer))
    t1 = {}
    end = time.monotonic() + a.timeout
    while len(t1) < 2 and time.monotonic() < end:
        _, w, _ = select.select([], [s for s in socks if s not in t1], [], 0.5)
        for s in w:
            t1[s] = time.perf_counter_ns()
    for s, peer in zip(socks, reversed(ports)):
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        result = "ok" if s in t1 and not err else \
            errno.errorcode.get(err, "timeout")
        emit({"pid": os.getpid(), "tid": threading.get_native_id(),
              "comm": comm.hex(), "family": a.family,
              "saddr": s.getsockname()[0], "lport": s.getsockname()[1],
              "daddr": a.host, "dport": peer,
              "ms": (t1.get(s, time.perf_counter_ns()) - t0[s]) / 1e6,
              "result": result})
    for s in socks:
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="connect",
                   choices=["connect", "abandon", "giveup", "storm",
                            "simopen"])
    p.add_argument("--family", type=int, default=4, choices=[4, 6])
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--plan", default=None,
                   help="family:port,... one connect each (mode connect)")
    p.add_argument("--listen", action="store_true",
                   help="listen on HOST:PORT in this process")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--gap", type=float, default=0.0,
                   help="seconds between connects")
    p.add_argument("--comm", default=None, help="thread name, hex bytes")
    p.add_argument("--thread", action="store_true",
                   help="connect from a second thread")
    p.add_argument("--syncnt", type=int, default=0, help="TCP_SYNCNT")
    p.add_argument("--blocking", action="store_true",
                   help="a blocking connect() (not Python's timeout mode)")
    p.add_argument("--hold", type=float, default=0.2,
                   help="seconds before closing (mode giveup)")
    p.add_argument("--linger0", action="store_true",
                   help="close with a reset (no TIME_WAIT)")
    p.add_argument("--cpu", type=int, default=None,
                   help="run on this CPU only")
    p.add_argument("--cpus", type=lambda v: [int(c) for c in v.split(",")],
                   default=None, help="connect N on CPU CPUS[N %% len]")
    p.add_argument("--step-files", action="store_true",
                   help="before connect N > 0, wait for START_FILE.N")
    p.add_argument("--uring", choices=["inline", "async"], default=None,
                   help="connect through io_uring (connect mode): in the "
                   "task, or by an io-wq worker (IOSQE_ASYNC)")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--start-file", default=None,
                   help="wait until this file exists before connecting")
    a = p.parse_args()
    if a.host is None:
        a.host = "::1" if a.family == 6 else "127.0.0.1"
    if a.plan:
        a.host = None

    if a.cpu is not None:
        os.sched_setaffinity(0, {a.cpu})
    listeners = []
    if a.listen:
        for family, port in sorted(set(plan(a))):
            host = "::1" if family == 6 else "127.0.0.1"
            if a.host and a.host.startswith("::ffff:"):
                family, host = 4, a.host[len("::ffff:"):]   # v4-mapped
            ls = socket.socket(family_of(family), socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((host, port))
            ls.listen(4096)
            listeners.append(ls)
    if a.start_file:
        wait_file(a.start_file, a.timeout)

    if a.mode == "abandon":
        do_abandon(a)
    elif a.mode == "giveup":
        do_giveup(a)
    elif a.mode == "storm":
        do_storm(a, listeners[0])
    elif a.mode == "simopen":
        do_simopen(a)
    elif a.thread:
        # The main thread only waits; the connects come from another one,
        # so the thread id differs from the process id.
        t = threading.Thread(target=do_connects, args=(a,))
        t.start()
        t.join(a.timeout * max(a.count, 1) + 5)
    else:
        do_connects(a)
    for ls in listeners:
        ls.close()


if __name__ == "__main__":
    main()
