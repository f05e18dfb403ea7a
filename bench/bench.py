#!/usr/bin/python3
"""tcptop overhead benchmark (run by bench/run.sh, i.e. `make bench`).

Runs loopback TCP workloads (bench/loadgen.c, built by run.sh into
build/bench/loadgen) with and without build/tcptop attached, and prints one
table. Not a test: nothing here asserts on timing. See bench/run.sh.
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import connrate
import progcost
import startup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TCPTOP = os.path.join(ROOT, "build", "tcptop")
LOADGEN = os.path.join(ROOT, "build", "bench", "loadgen")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Workload parameters (total runtime about 95 s on a 2-core machine).
STREAM_CONNS = 4
STREAM_SECS = 2         # per run
ROUNDS = 3              # runs per configuration, interleaved
BULK_WSIZE = 128 * 1024
SMALL_WSIZE = 100
MANY_CONNS = 2000
MANY_BYTES = 100
MANY_INTERVALS = 12
BANNER_TIMEOUT = 60
STOP_TIMEOUT = 15


class BenchError(Exception):
    pass


def read_line(f, timeout, what):
    """One line from a binary pipe, or BenchError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = f.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise BenchError("timed out waiting for %s" % what)
        b = os.read(fd, 1)          # byte by byte: leave the rest in the pipe
        if not b:
            raise BenchError("end of output while waiting for %s" % what)
        buf += b
    return buf.decode(errors="replace").rstrip("\n")


def cpu_secs(pid):
    """utime + stime of the whole process, from /proc/PID/stat (clock ticks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def exec_ns(pid):
    """Sum of the threads' on-CPU time in ns (/proc/PID/task/*/schedstat):
    the same quantity as utime + stime, without the 1/CLK_TCK rounding."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Tracer:
    """build/tcptop with stdout read by a thread that throws it away (into
    /dev/null) after the banner, counting intervals and rows as it goes."""

    def __init__(self, args):
        self.args = args
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen([TCPTOP] + args, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=self.err)
        self.intervals = 0          # blank lines: -C starts each interval so
        self.rows = 0               # table rows (not headers)
        self.lock = threading.Lock()
        try:
            line = read_line(self.p.stdout, BANNER_TIMEOUT, "tcptop's banner")
        except BenchError:
            self.kill()
            raise BenchError("tcptop %s did not start: %s" %
                             (" ".join(args), self.stderr() or "no banner"))
        if not line.startswith("Tracing..."):
            self.kill()
            raise BenchError("tcptop printed %r instead of its banner" % line)
        self.t_banner = time.monotonic()
        self.cpu_start = cpu_secs(self.p.pid)       # BPF compile and load
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        fd = self.p.stdout.fileno()
        carry = b""
        with open(os.devnull, "wb") as null:
            while True:                 # ends at tcptop's end of file
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return
                null.write(chunk)
                lines = (carry + chunk).split(b"\n")
                carry = lines.pop()
                n_int = n_rows = 0
                for line in lines:
                    if not line:
                        n_int += 1
                    elif not line.startswith(b"PID "):
                        n_rows += 1
                with self.lock:
                    self.intervals += n_int
                    self.rows += n_rows

    def counts(self):
        with self.lock:
            return self.intervals, self.rows

    def sample(self):
        pid = self.p.pid
        return {"cpu": cpu_secs(pid), "ns": exec_ns(pid), "t": time.monotonic(),
                "rows": self.counts()[1]}

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace").strip()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()

    def stop(self):
        """SIGINT after a last sample of CPU time and VmHWM; returns both."""
        pid = self.p.pid
        cpu, hwm = cpu_secs(pid), vm_hwm_kb(pid)
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise BenchError("tcptop did not stop on SIGINT")
        self.thread.join(STOP_TIMEOUT)
        if self.p.returncode != 0:
            raise BenchError("tcptop exited %d: %s" %
                             (self.p.returncode, self.stderr()))
        return cpu, hwm


class Load:
    """build/bench/loadgen MODE CONNS SECS SIZE: started, then waited for."""

    def __init__(self, mode, conns, secs, size):
        self.secs = secs
        self.p = subprocess.Popen(
            [LOADGEN, mode, str(conns), str(secs), str(size)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        try:
            line = read_line(self.p.stdout, 60, "the workload to start")
        except BenchError:
            self.p.kill()
            self.p.wait()
            raise
        if line != "RUNNING":
            raise BenchError("loadgen printed %r" % line)
        self.t_running = time.monotonic()

    def result(self):
        try:
            out, _ = self.p.communicate(timeout=self.secs + 70)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise BenchError("loadgen did not finish")
        if self.p.returncode != 0:
            raise BenchError("loadgen exited %d" % self.p.returncode)
        for line in out.decode().splitlines():
            if line.startswith("RESULT "):
                return {k: float(v) for k, v in
                        (kv.split("=") for kv in line.split()[1:])}
        raise BenchError("loadgen printed no RESULT")

    def terminate(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        return self.result()


def sleep_until(t):
    while True:                      # bounded: t is a fixed monotonic time
        left = t - time.monotonic()
        if left <= 0:
            return
        time.sleep(left)


def configs(other_pid):
    return [
        ("no tracer", None),
        ("tcptop -C -S 1", ["-C", "-S", "1"]),
        ("tcptop -C -S -p %d 1" % other_pid,
         ["-C", "-S", "-p", str(other_pid), "1"]),
    ]


def one_stream_run(mode, wsize, args):
    tr = Tracer(args) if args else None
    try:
        before = tr.sample() if tr else None
        res = Load(mode, STREAM_CONNS, STREAM_SECS, wsize).result()
        run = {"res": res}
        if tr:
            after = tr.sample()
            cpu, hwm = tr.stop()
            run.update(cpu_total=cpu, cpu_load=after["cpu"] - before["cpu"],
                       hwm=hwm, warn=tr.stderr())
        return run
    finally:
        if tr:
            tr.kill()


def stream_workload(mode, wsize, other_pid, progress):
    """Workloads A and B: ROUNDS runs of every configuration, interleaved
    (each round starting with the next configuration), so that drift in the
    machine's load spreads over all of them."""
    cfgs = configs(other_pid)
    runs = {name: [] for name, _ in cfgs}
    for r in range(ROUNDS):
        for name, args in cfgs[r % len(cfgs):] + cfgs[:r % len(cfgs)]:
            progress("%s, round %d/%d, %s" % (mode, r + 1, ROUNDS, name))
            runs[name].append(one_stream_run(mode, wsize, args))
    return [{"name": name, "runs": runs[name]} for name, _ in cfgs]


def many_workload(other_pid, progress):
    """Workload C: the tracer's CPU per interval with 2000 busy connections."""
    out = []
    for name, args in configs(other_pid)[1:]:
        progress("many connections, %s" % name)
        tr = Tracer(args)
        load = None
        try:
            load = Load("many", MANY_CONNS, MANY_INTERVALS + 6, MANY_BYTES)
            # Interval k ends (and is drained) at t_banner + k. Measure from
            # the middle of an interval that began after the traffic did, over
            # exactly MANY_INTERVALS drains, each of a full interval of traffic.
            k0 = int(load.t_running - tr.t_banner) + 1
            s0 = tr.t_banner + k0 + 0.5
            sleep_until(s0)
            a = tr.sample()
            sleep_until(s0 + MANY_INTERVALS)
            b = tr.sample()
            res = load.terminate()
            load = None
            cpu, hwm = tr.stop()
            n = MANY_INTERVALS
            out.append({"name": name, "res": res, "n": n,
                        "rows": (b["rows"] - a["rows"]) / n,
                        "cpu_int": (b["cpu"] - a["cpu"]) / n,
                        "ns_int": (b["ns"] - a["ns"]) / n,
                        "cpu_total": cpu, "hwm": hwm, "warn": tr.stderr()})
        finally:
            if load:
                load.p.kill()
                load.p.wait()
            tr.kill()
    return out


def fmt_rel(v, base):
    return "%+.1f%%" % ((v / base - 1) * 100) if base else "-"


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def print_stream(title, unit, rows, value):
    print(title)
    print("  %-26s %10s %23s %8s %9s %9s %8s" %
          ("configuration", unit, "(min - max)", "vs none", "CPU total",
           "CPU load", "VmHWM"))
    base = median([value(run["res"]) for run in rows[0]["runs"]])
    for r in rows:
        vals = [value(run["res"]) for run in r["runs"]]
        v = median(vals)
        traced = [run for run in r["runs"] if "cpu_total" in run]
        if traced:
            extra = "%8.2fs %8.3fs %5.0f MB" % (
                sum(t["cpu_total"] for t in traced) / len(traced),
                sum(t["cpu_load"] for t in traced) / len(traced),
                max(t["hwm"] for t in traced) / 1024)
        else:
            extra = "%9s %9s %8s" % ("-", "-", "-")
        rng = "(%s - %s)" % ("{:,.0f}".format(min(vals)),
                             "{:,.0f}".format(max(vals)))
        print("  %-26s %10s %23s %8s %s" % (
            r["name"], "{:,.0f}".format(v), rng,
            "-" if r is rows[0] else fmt_rel(v, base), extra))
    print()


def print_many(rows):
    print("C. many connections: %d connections x %d B/s each, %d intervals measured"
          % (MANY_CONNS, MANY_BYTES, MANY_INTERVALS))
    print("  %-26s %10s %13s %13s %10s %9s" %
          ("configuration", "rows/int", "CPU/interval", "(schedstat)",
           "CPU total", "VmHWM"))
    for r in rows:
        print("  %-26s %10.0f %10.1f ms %10.2f ms %9.2fs %6.0f MB" %
              (r["name"], r["rows"], r["cpu_int"] * 1000, r["ns_int"] / 1e6,
               r["cpu_total"], r["hwm"] / 1024))
    print()


def other_tracers():
    """Other BPF tracers of TCP running now (other tcptop/tcpconnlat
    sessions, bcc or bpftrace): their programs run in our workload too."""
    mine = {os.getpid()}
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in mine:
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid in mine:
            continue
        if comm in ("tcptop", "tcpconnlat", "bpftrace") or \
                comm.startswith(("tcptop", "tcpconnlat", "tcplife", "tcptrace")):
            found.append("%s[%s]" % (comm, pid))
    return found


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def header(load_before, tracers):
    u = os.uname()
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print("tcptop overhead benchmark  (%s)" % time.strftime("%Y-%m-%d %H:%M:%S"))
    print("kernel %s %s, %d CPUs (%s)" % (u.release, u.machine,
                                          os.cpu_count(), model))
    print("loadavg before: %s, after: %s" % (load_before, loadavg()))
    if tracers:
        print("WARNING: %d other tracer processes ran meanwhile (their BPF "
              "programs ran in\n  every row, \"no tracer\" included; expect "
              "more noise):\n  %s%s" % (len(tracers), " ".join(tracers[:6]),
                                      " ..." if len(tracers) > 6 else ""))
    print("""
All traffic is 127.0.0.1 <-> 127.0.0.1, both ends in one loadgen process
(bench/loadgen.c). Configurations: no tracer; tcptop tracing every
connection; tcptop with -p set to an idle process (a `sleep`: the BPF
programs still run on every send and receive but count nothing). tcptop is
started first, the workload once it has printed "Tracing..."; then tcptop
gets SIGINT. Its stdout is read and thrown away (/dev/null).
  A, B       workload throughput, %d connections for %d s per run, %d runs
             per configuration interleaved; the median, (min - max), and
             "vs none" = median relative to the no-tracer median. The BPF
             programs run inside the workload's own send/recv calls, so
             their cost shows up here, not in tcptop's CPU time.
  CPU total  tcptop's utime+stime (/proc/PID/stat) over its whole life,
             mostly compiling and loading its BPF program (libbcc/clang);
             mean per run.
  CPU load   the part of it spent while the workload ran (interval
             drains); mean per run.
  VmHWM      tcptop's peak resident memory (/proc/PID/status), max of runs.
  C          CPU/interval: tcptop's utime+stime over %d intervals, / %d:
             the cost of draining the tables and printing one interval
             (/proc/PID/stat counts %d ms ticks: +-%.1f ms); (schedstat):
             the same from /proc/PID/task/*/schedstat, in ns. rows/int:
             rows printed per interval (each connection twice: the client's
             TX row, the server's RX row).""" % (
        STREAM_CONNS, STREAM_SECS, ROUNDS, MANY_INTERVALS, MANY_INTERVALS,
        1000 // CLK_TCK, 1000 / CLK_TCK / MANY_INTERVALS))
    print()


def main():
    for path in (TCPTOP, LOADGEN):
        if not os.access(path, os.X_OK):
            sys.exit("bench: %s not found (run make bench)" % path)
    t_start = time.monotonic()
    load_before = loadavg()
    tracers = set(other_tracers())
    print("tcptop benchmark: about 95 s; progress:", flush=True)

    def progress(msg):
        print("  [%5.1fs] %s" % (time.monotonic() - t_start, msg), flush=True)
        tracers.update(other_tracers())

    # The "other" pid for -p: an idle process that never touches TCP.
    other = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL)
    # The tools' program cache: the bench's own, not /var/cache's.
    cache = tempfile.mkdtemp(prefix="bench-cache-")
    os.environ["TCPTOOLS_CACHE_DIR"] = os.path.join(cache, "c")
    try:
        bulk = stream_workload("bulk", BULK_WSIZE, other.pid, progress)
        small = stream_workload("small", SMALL_WSIZE, other.pid, progress)
        many = many_workload(other.pid, progress)
        start = startup.measure(progress)
        cost = progcost.measure(progress)
        storm = connrate.measure(progress)
    except BenchError as e:
        sys.exit("bench: %s" % e)
    finally:
        other.kill()
        other.wait()
        shutil.rmtree(cache, True)
    print()
    header(load_before, sorted(tracers))
    print_stream("A. bulk: %d connections streaming %d KiB writes "
                 "(MB/s, MB = 10^6 bytes)" % (STREAM_CONNS, BULK_WSIZE // 1024),
                 "MB/s", bulk, lambda r: r["bytes"] / r["secs"] / 1e6)
    print_stream("B. small writes: %d connections, %d-byte TCP_NODELAY writes "
                 "(writes/s, all connections)" % (STREAM_CONNS, SMALL_WSIZE),
                 "writes/s", small, lambda r: r["writes"] / r["secs"])
    print_many(many)
    startup.report(start)
    progcost.report(cost)
    connrate.report(storm)
    warns = [(r["name"], run["warn"]) for r in bulk + small
             for run in r["runs"] if run.get("warn")]
    warns += [(r["name"], r["warn"]) for r in many if r["warn"]]
    for name, w in warns:
        print("tcptop stderr (%s): %s" % (name, w))
    print("total benchmark time: %.0f s" % (time.monotonic() - t_start))


if __name__ == "__main__":
    main()
