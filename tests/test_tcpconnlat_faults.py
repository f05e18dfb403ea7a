"""tcpconnlat faults: each ends with one line naming the cause and the fix,
exit status 1 (bad options are test_cli.py's). The machine states are made
in private mount namespaces, so nothing outside the test changes.
"""
import os
import tempfile

from lib.mounts import HIDE_ALL_METHODS, HIDE_TRACEFS, in_private_mounts
from lib.netns import Netns
from lib.paths import KVER, TCPCONNLAT
from lib.proc import Background, as_nobody, run
from lib.tcpconnlat_live import (HEADER, check_event, client, events,
                                 for_conn, wait_for_event)


def env_clean():
    e = dict(os.environ)
    e.pop("BCC_KERNEL_SOURCE", None)
    return e


def one_fault_line(r, *needles):
    """Exit 1 and exactly one line of ours on stderr, naming the cause."""
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    ours = [l for l in r.stderr.splitlines() if l.startswith("tcpconnlat: ")]
    assert len(ours) == 1, r.stderr
    for n in needles:
        assert n in ours[0], r.stderr
    return ours[0]


def test_not_root():
    r = run(as_nobody([TCPCONNLAT]))
    line = one_fault_line(r, "must be run as root", "sudo")
    assert r.stderr == line + "\n"


def test_not_root_ebpf_works():
    """--ebpf only prints the program: no privilege needed."""
    r = run(as_nobody([TCPCONNLAT, "--ebpf", "-p", "181"]))
    assert r.returncode == 0, r.stderr
    assert "if (pid != 181) { return 0; }" in r.stdout


def test_no_kernel_headers(live):
    with tempfile.TemporaryDirectory() as empty:
        r = run(in_private_mounts(
            ["mount --bind %s /lib/modules/%s" % (empty, KVER)],
            [TCPCONNLAT]), env=env_clean())
    line = one_fault_line(r, "kernel headers not found",
                          "install linux-headers-" + KVER)
    assert r.stderr == line + "\n"




def test_no_usable_method(live):
    """No BTF (so neither tracepoint nor fentry) and no kprobes."""
    r = run(in_private_mounts(HIDE_ALL_METHODS,
                              [TCPCONNLAT]))
    line = one_fault_line(r, "no usable attach method", "tracepoint: needs kernel BTF",
                          "fentry: needs kernel BTF", "kprobe: kprobes unavailable")
    assert r.stderr == line + "\n"


def kprobes_here():
    return (os.path.exists("/sys/bus/event_source/devices/kprobe/type") or
            os.path.exists("/sys/kernel/tracing/kprobe_events") or
            os.path.exists("/sys/kernel/debug/tracing/kprobe_events"))


def test_explicit_kprobe(live):
    """--attach kprobe where the kernel has no kprobes: compiled and
    verified, then attaching fails: said in one line."""
    if kprobes_here():
        bg = Background([TCPCONNLAT, "--attach", "kprobe"], ready=HEADER)
        rc, _, err = bg.stop()
        assert rc == 0, err
        return
    r = run([TCPCONNLAT, "--attach", "kprobe"], timeout=120)
    one_fault_line(r, "kprobe: failed to attach", "try --attach auto")


def test_explicit_fentry(live):
    """--attach fentry where BPF trampolines cannot load: one line."""
    if run([TCPCONNLAT, "--attach", "fentry", "--x-check", "load"],
           timeout=120).returncode == 0:
        return                          # trampolines work on this kernel
    r = run([TCPCONNLAT, "--attach", "fentry"], timeout=120)
    one_fault_line(r, "fentry: failed to load BPF function", "try --attach auto")


def test_no_tracefs_needed(live):
    """The tracepoint method attaches without tracefs (raw tracepoints)."""
    with Netns() as ns:
        bg = Background(in_private_mounts([HIDE_TRACEFS], [TCPCONNLAT, "-L"]),
                        ready=HEADER)
        try:
            recs = client(ns, port=5000, listen=True)
            wait_for_event(bg, lambda e: e["pid"] == recs[0]["pid"],
                           timeout=30, lport=True)
        finally:
            rc, out, err = bg.stop()
    assert rc == 0, err
    mine = for_conn(events(out, lport=True), recs[0])
    assert len(mine) == 1
    check_event(mine[0], recs[0], lport=True)
