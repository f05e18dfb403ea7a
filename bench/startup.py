"""Start-up cost, side by side (part of `make bench`, see bench/bench.py).

For each tool: exec to its "live" line (tcptop's "Tracing...", tcpconnlat's
header), which is compile + load + attach, its peak RSS by then (wait4's,
which counts the compiler child), and its RSS a second into tracing (VmRSS:
what it holds while it runs); for
the Python references (../shared/reference/tcptop.py, tcpconnlat-bpfcc),
exec to their exit, which on a host without kprobes is their failure at
attach, after paying the same compile. BENCH_BASELINE=DIR adds the tools
of another build (e.g. an older commit's build/) as rows of their own.
Median of RUNS runs, interleaved; nothing asserted.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(os.path.dirname(ROOT), "shared", "reference")
RUNS = 3
LIVE = {"tcptop": b"Tracing...", "tcpconnlat": b"LAT(ms)"}


def vm_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def run_to_live(argv, live):
    """Seconds from exec until a line containing live (or exit), the peak
    RSS in MB (wait4's ru_maxrss), and VmRSS in MB a second later (None if
    it never got live)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    elapsed = rss = None
    for line in p.stdout:
        if live in line:
            elapsed = time.monotonic() - t0
            time.sleep(1)
            rss = vm_rss_mb(p.pid)
            p.send_signal(signal.SIGINT)
            break
    p.stdout.close()
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    if elapsed is None:
        elapsed = time.monotonic() - t0
    return elapsed, ru.ru_maxrss / 1024, rss


def configs():
    """(row, tool, argv, warm): warm rows start from a primed program cache
    (runtime/progcache.h), cold rows compile (--no-cache; a baseline build,
    which may predate the cache, runs as it is)."""
    out = []
    builds = [("ours", os.path.join(ROOT, "build"))]
    if os.environ.get("BENCH_BASELINE"):
        builds.append(("baseline", os.environ["BENCH_BASELINE"]))
    for tool in ("tcptop", "tcpconnlat"):
        for name, d in builds:
            exe = os.path.join(d, tool)
            kprobe = [exe, "--attach", "kprobe", "--x-check", "load"]
            if name == "baseline":
                out.append(("baseline %s (auto)" % tool, tool, [exe], False))
                out.append(("baseline %s --attach kprobe" % tool, tool,
                            kprobe, False))
                continue
            out.append(("ours %s cold (auto)" % tool, tool,
                        [exe, "--no-cache"], False))
            out.append(("ours %s warm (auto)" % tool, tool, [exe], True))
            out.append(("ours %s --attach kprobe cold" % tool, tool,
                        kprobe + ["--no-cache"], False))
            out.append(("ours %s --attach kprobe warm" % tool, tool, kprobe,
                        True))
        ref = ["/usr/bin/python3", os.path.join(REFERENCE, "tcptop.py")] \
            if tool == "tcptop" else ["/usr/sbin/tcpconnlat-bpfcc"]
        out.append(("bcc Python %s" % tool, tool, ref, False))
    return out


def measure(progress):
    """Every row RUNS times, interleaved, with a program cache of the
    bench's own, primed by one untimed start of each warm row."""
    cache = tempfile.mkdtemp(prefix="bench-cache-")
    before = os.environ.get("TCPTOOLS_CACHE_DIR")
    os.environ["TCPTOOLS_CACHE_DIR"] = os.path.join(cache, "c")
    try:
        rows = {name: [] for name, _, _, _ in configs()}
        for _, tool, argv, warm in configs():
            if warm:
                run_to_live(argv, LIVE[tool])
        for i in range(RUNS):
            for name, tool, argv, _ in configs():
                rows[name].append(run_to_live(argv, LIVE[tool]))
            progress("start-up round %d/%d" % (i + 1, RUNS))
    finally:
        os.environ.pop("TCPTOOLS_CACHE_DIR")
        if before is not None:
            os.environ["TCPTOOLS_CACHE_DIR"] = before
        shutil.rmtree(cache, True)
    return rows


def report(rows):
    print("D. start-up: exec to tracing (ours: the live line; bcc's Python "
          "tools: exec to exit,\n   their compile and their failure at "
          "attach where kprobes are missing); median of %d" % RUNS)
    print("  %-36s %9s %10s %12s %12s" % ("", "seconds", "vs Python",
                                          "peak RSS", "RSS tracing"))
    py = {}
    for name, runs in rows.items():
        if name.startswith("bcc Python"):
            py[name.split()[-1]] = sorted(r[0] for r in runs)[len(runs) // 2]
    for name, runs in rows.items():
        secs = sorted(r[0] for r in runs)[len(runs) // 2]
        base = py.get(name.split()[1] if not name.startswith("bcc") else "")
        rel = "%9.2fx" % (secs / base) if base else "%10s" % ""
        live = sorted(r[2] for r in runs if r[2] is not None)
        print("  %-36s %8.2fs %s %9.0f MB %12s" % (
            name, secs, rel, max(r[1] for r in runs),
            "%.1f MB" % live[len(live) // 2] if live else "-"))
    print()
