"""In-kernel cost per traced call (part of `make bench`, see bench/bench.py).

tcptop's BPF programs run inside the workload's send and receive calls.
With kernel.bpf_stats_enabled=1 (set here, restored after) the kernel
counts, for every program, how often it ran (run_cnt) and for how long
(run_time_ns); /proc/PID/fdinfo/FD of tcptop's program fds shows both. The
figure: the sum of run_time_ns over the sum of run_cnt of all tcptop's
programs, over the 100-byte TCP_NODELAY write stream (loadgen small),
counted from tcptop's banner to the end of the workload. BENCH_BASELINE=DIR
adds the tcptop of another build (e.g. an older commit's build/) as a row.
Median of RUNS runs, interleaved; nothing asserted. Standalone:
/usr/bin/python3 bench/progcost.py (after make; needs root).
"""
import os
import subprocess
import sys

from benchlib import LOADGEN, stop, tool_builds

STATS = "/proc/sys/kernel/bpf_stats_enabled"
RUNS = 3
CONNS, SECS, WSIZE = 4, 2, 100


def prog_stats(pid):
    """(run_cnt, run_time_ns) summed over the process's BPF program fds."""
    cnt = ns = 0
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                info = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if "prog_type" in info and "run_cnt" in info:
            cnt += int(info["run_cnt"])
            ns += int(info["run_time_ns"])
    return cnt, ns


def one_run(tcptop):
    p = subprocess.Popen([tcptop, "-C", "-S", "1"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = p.stdout.readline()
        if not line.startswith(b"Tracing..."):
            raise RuntimeError("%s did not start" % tcptop)
        # Keep the pipe drained: a thread-free way is a child `cat`.
        sink = subprocess.Popen(["cat"], stdin=p.stdout,
                                stdout=subprocess.DEVNULL)
        c0, n0 = prog_stats(p.pid)
        out = subprocess.run([LOADGEN, "small", str(CONNS), str(SECS),
                              str(WSIZE)], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        c1, n1 = prog_stats(p.pid)
        writes = 0
        for tok in out.split():
            if tok.startswith("writes="):
                writes = int(tok.split("=")[1])
        return (c1 - c0, n1 - n0, writes)
    finally:
        stop(p, 15)
        if "sink" in locals():
            sink.wait()



def measure(progress):
    with open(STATS) as f:
        saved = f.read().strip()
    rows = {name: [] for name, _ in tool_builds("tcptop")}
    try:
        with open(STATS, "w") as f:
            f.write("1")
        for i in range(RUNS):
            bl = tool_builds("tcptop")
            for name, path in bl[i % len(bl):] + bl[:i % len(bl)]:
                rows[name].append(one_run(path))
            progress("per-call cost round %d/%d" % (i + 1, RUNS))
    finally:
        with open(STATS, "w") as f:
            f.write(saved)
    return rows


def report(rows):
    print("E. in-kernel cost per traced call: tcptop's BPF programs' "
          "run_time_ns / run_cnt\n   (kernel.bpf_stats_enabled=1, "
          "/proc/PID/fdinfo), %d connections of %d-byte\n   TCP_NODELAY "
          "writes for %d s; median of %d" % (CONNS, WSIZE, SECS, RUNS))
    print("  %-36s %10s %12s %14s" % ("", "ns/call", "(min - max)",
                                       "calls/write"))
    for name, runs in rows.items():
        per = sorted(ns / cnt for cnt, ns, _ in runs if cnt)
        if not per:
            print("  %-36s %10s" % (name + " tcptop", "-"))
            continue
        calls = sorted(cnt / w for cnt, _, w in runs if w)
        print("  %-36s %10.0f %12s %14.2f" % (
            name + " tcptop", per[len(per) // 2],
            "(%.0f - %.0f)" % (per[0], per[-1]),
            calls[len(calls) // 2] if calls else 0))
    print()


if __name__ == "__main__":
    if not os.access(LOADGEN, os.X_OK):
        sys.exit("progcost: %s not found (run make bench once)" % LOADGEN)
    report(measure(lambda m: print("  " + m, file=sys.stderr, flush=True)))
