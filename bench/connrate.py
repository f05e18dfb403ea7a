"""tcpconnlat under a connect storm (part of `make bench`, see bench/bench.py).

loadgen connect: THREADS threads connect to a loopback listener and close
(with a reset, so no TIME_WAIT) as fast as they can, for SECS seconds.
Once alone, once with tcpconnlat attached, its output read by a pipe as a
terminal or a log shipper would. Reported: connects per second, the events
tcpconnlat printed, and the events it lost (its own "lost N events in
total" line on stderr). Every connect it printed plus every one it lost
should be every connect made; the median of RUNS runs, and the losses of
all of them, nothing asserted.
BENCH_BASELINE=DIR adds the tcpconnlat of another build as a row.
Standalone: /usr/bin/python3 bench/connrate.py (after make bench; root).
"""
import os
import re
import subprocess
import sys
import threading

from benchlib import LOADGEN, stop, tool_builds

RUNS = 3
THREADS, SECS = 2, 5


def storm():
    """(connects, seconds) of one loadgen connect run."""
    out = subprocess.run([LOADGEN, "connect", str(THREADS), str(SECS), "1"],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    m = re.search(r"connects=(\d+) secs=([\d.]+)", out)
    return int(m.group(1)), float(m.group(2))


def traced(tool):
    """(connects, seconds, printed, lost) with tool attached."""
    p = subprocess.Popen([tool], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    printed = [0]
    err = []
    try:
        header = p.stdout.readline()
        if b"LAT(ms)" not in header:
            raise RuntimeError("%s did not start: %r" % (tool, header))

        def count():
            for _ in p.stdout:
                printed[0] += 1
        reader = threading.Thread(target=count, daemon=True)
        reader.start()
        threading.Thread(target=lambda: err.append(p.stderr.read()),
                         daemon=True).start()
        connects, secs = storm()
    finally:
        stop(p, 30)
    reader.join(30)
    m = re.search(rb"lost (\d+) events in total", b"".join(err))
    return connects, secs, printed[0], int(m.group(1)) if m else 0



def measure(progress):
    rows = {"no tracer": []}
    rows.update({name: [] for name, _ in tool_builds("tcpconnlat")})
    for i in range(RUNS):
        c, s = storm()
        rows["no tracer"].append((c, s, None, None))
        for name, path in tool_builds("tcpconnlat"):
            rows[name].append(traced(path))
        progress("connect storm round %d/%d" % (i + 1, RUNS))
    return rows


def report(rows):
    print("F. tcpconnlat under a connect storm: loadgen connect, %d threads "
          "for %d s on\n   loopback (connect, then close with a reset); "
          "median of %d by connects/s" % (THREADS, SECS, RUNS))
    print("  %-22s %12s %8s %12s %10s %10s %20s" % (
        "", "connects/s", "ratio", "connects", "printed", "lost",
        "lost, all %d runs" % RUNS))
    base = None
    for name, runs in rows.items():
        runs = sorted(runs, key=lambda r: r[0] / r[1])
        c, s, printed, lost = runs[len(runs) // 2]
        rate = c / s
        base = base or rate
        # A loss in any run counts: the median run alone can hide one.
        every = "-" if lost is None else "%d of %d" % (
            sum(r[3] for r in runs), sum(r[0] for r in runs))
        print("  %-22s %12.0f %8.2f %12d %10s %10s %20s" % (
            name if name == "no tracer" else name + " tcpconnlat", rate,
            rate / base, c, "-" if printed is None else printed,
            "-" if lost is None else lost, every))
    print()


if __name__ == "__main__":
    if not os.access(LOADGEN, os.X_OK):
        sys.exit("connrate: %s not found (run make bench once)" % LOADGEN)
    report(measure(lambda m: print("  " + m, file=sys.stderr, flush=True)))
