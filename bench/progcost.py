"""In-kernel cost per traced call (part of `make bench`, see bench/bench.py).

tcptop's BPF programs run inside the workload's send and receive calls.
With kernel.bpf_stats_enabled=1 (set here, restored after) the kernel
counts, for every program, how often it ran (run_cnt) and for how long
(run_time_ns); /proc/PID/fdinfo/FD of tcptop's program fds shows both. The
figure: the sum of run_time_ns over the sum of run_cnt of all tcptop's
programs, over the 100-byte TCP_NODELAY write stream (loadgen small),
counted from tcptop's banner to the end of the workload. BENCH_BASELINE=DIR
adds the tcptop of another build (e.g. an older commit's build/) as a row.
The floor row is what this host charges any program there: empty programs
(r0 = 0; exit) attached by hand to the same tracepoints, tp_btf as ours,
over the same workload, measured the same way; ours minus it is what our
programs' own work costs. Median of RUNS runs, interleaved; nothing
asserted. Standalone:
/usr/bin/python3 bench/progcost.py (after make; needs root).
"""
import ctypes
import os
import re
import struct
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


# The tracepoints tcptop's programs run on in this workload.
FLOOR_TPS = ("sock_send_length", "tcp_rcv_space_adjust", "sock_recv_length")
BPF_PROG_LOAD, BPF_RAW_TRACEPOINT_OPEN = 5, 17
BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP = 26, 23
SYS_BPF = {"x86_64": 321, "aarch64": 280}


def _bpf(cmd, attr):
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(attr, 128)
    fd = libc.syscall(SYS_BPF[os.uname().machine], cmd, buf, 128)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "bpf(%d)" % cmd)
    return fd, buf


def btf_ids(names):
    """{name: BTF id} of the kernel's typedefs btf_trace_NAME."""
    out = subprocess.run(["bpftool", "btf", "dump", "file",
                          "/sys/kernel/btf/vmlinux"], stdout=subprocess.PIPE,
                         check=True, text=True).stdout
    ids = {}
    for m in re.finditer(r"^\[(\d+)\] TYPEDEF 'btf_trace_(\w+)'", out, re.M):
        if m.group(2) in names:
            ids[m.group(2)] = int(m.group(1))
    return ids


class Floor:
    """Empty tp_btf programs on FLOOR_TPS, attached while it is open: its
    fds are in this process, so prog_stats(os.getpid()) reads them."""

    def __init__(self):
        self.fds = []
        insns = struct.pack("<BBhi", 0xb7, 0, 0, 0) + \
            struct.pack("<BBhi", 0x95, 0, 0, 0)         # r0 = 0; exit
        self._keep = [ctypes.create_string_buffer(insns, len(insns)),
                      ctypes.create_string_buffer(b"GPL")]
        try:
            for tp, btf_id in btf_ids(FLOOR_TPS).items():
                attr = struct.pack(
                    "<IIQQIIQII16sIIII", BPF_PROG_TYPE_TRACING, 2,
                    ctypes.addressof(self._keep[0]),
                    ctypes.addressof(self._keep[1]), 0, 0, 0, 0, 0,
                    b"floor", 0, BPF_TRACE_RAW_TP, 0, 0)
                attr = attr.ljust(108, b"\0") + struct.pack("<I", btf_id)
                prog, _ = _bpf(BPF_PROG_LOAD, attr)
                self.fds.append(prog)
                link, _ = _bpf(BPF_RAW_TRACEPOINT_OPEN,
                               struct.pack("<QI", 0, prog))
                self.fds.append(link)
        except BaseException:
            self.close()
            raise

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def floor_run():
    """(run_cnt, run_time_ns, writes) of the empty programs, as one_run."""
    fl = Floor()
    try:
        c0, n0 = prog_stats(os.getpid())
        out = subprocess.run([LOADGEN, "small", str(CONNS), str(SECS),
                              str(WSIZE)], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        c1, n1 = prog_stats(os.getpid())
    finally:
        fl.close()
    return (c1 - c0, n1 - n0, writes_of(out))


def writes_of(out):
    for tok in out.split():
        if tok.startswith("writes="):
            return int(tok.split("=")[1])
    return 0


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
        return (c1 - c0, n1 - n0, writes_of(out))
    finally:
        stop(p, 15)
        if "sink" in locals():
            sink.wait()



FLOOR = "floor: empty programs there"


def measure(progress):
    with open(STATS) as f:
        saved = f.read().strip()
    rows = {name + " tcptop": [] for name, _ in tool_builds("tcptop")}
    rows[FLOOR] = []
    try:
        with open(STATS, "w") as f:
            f.write("1")
        for i in range(RUNS):
            bl = [(name + " tcptop", lambda path=path: one_run(path))
                  for name, path in tool_builds("tcptop")] + \
                [(FLOOR, floor_run)]
            for name, run in bl[i % len(bl):] + bl[:i % len(bl)]:
                rows[name].append(run())
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
    med = {}
    for name, runs in rows.items():
        per = sorted(ns / cnt for cnt, ns, _ in runs if cnt)
        if not per:
            print("  %-36s %10s" % (name, "-"))
            continue
        med[name] = per[len(per) // 2]
        calls = sorted(cnt / w for cnt, _, w in runs if w)
        print("  %-36s %10.0f %12s %14.2f" % (
            name, med[name], "(%.0f - %.0f)" % (per[0], per[-1]),
            calls[len(calls) // 2] if calls else 0))
    if "ours tcptop" in med and "baseline tcptop" in med:
        print("  ours / baseline: %.2fx" % (med["ours tcptop"] /
                                          med["baseline tcptop"]))
    if FLOOR in med:
        print("  floor: empty programs on %s" % ", ".join(
            sorted(btf_ids(FLOOR_TPS))))
        for name in med:
            if name != FLOOR:
                print("  %s above the floor: %.0f ns/call" % (
                    name, med[name] - med[FLOOR]))
    print()


if __name__ == "__main__":
    if not os.access(LOADGEN, os.X_OK):
        sys.exit("progcost: %s not found (run make bench once)" % LOADGEN)
    report(measure(lambda m: print("  " + m, file=sys.stderr, flush=True)))
