"""The one start-up path both tools share (runtime/tool.c): the same
behaviour for -v and --ebpf in every tool.

  -v        prints the program of the method actually attached, after it
            attached (never one that was only tried, or none at all)
  --ebpf    prints the program of the method auto would try first; with no
            usable method it says why and exits 1, as a start would
"""
import os
import shlex
import signal

import pytest

from conftest import TCPCONNLAT, TCPTOP, Background, run

TOOLS = {"tcptop": TCPTOP, "tcpconnlat": TCPCONNLAT}
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
# A kernel without BTF and without kprobes: no method is usable.
NO_METHOD = ["mount -t tmpfs none /sys/kernel/btf",
             "mount -t tmpfs none /sys/kernel/tracing",
             "mount -t tmpfs none /sys/kernel/debug",
             "if [ -d /sys/bus/event_source/devices/kprobe ]; then "
             "mount -t tmpfs none /sys/bus/event_source/devices/kprobe; fi"]


def in_mount_ns(setup, argv):
    script = "set -e; %s; exec %s" % ("; ".join(setup),
                                       " ".join(shlex.quote(a) for a in argv))
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


@pytest.mark.parametrize("tool", TOOLS)
def test_verbose_prints_nothing_before_attaching(tool):
    """-v without root: nothing was attached, so no program is printed."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to nobody")
    r = run(NOBODY + [TOOLS[tool], "-v"])
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith("%s: must be run as root" % tool), r.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_ebpf_without_usable_method(live, tool):
    r = run(in_mount_ns(NO_METHOD, [TOOLS[tool], "--ebpf"]))
    assert r.returncode == 1, (r.stdout[:200], r.stderr)
    assert r.stdout == ""
    assert r.stderr.startswith(
        "%s: no usable attach method on this kernel: tracepoint: needs kernel BTF"
        % tool), r.stderr
    assert r.stderr.count("\n") == 1, r.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_ebpf_names_the_method_it_prints(tool):
    """An explicit method is printed even where it is not usable."""
    for method in ("kprobe", "tracepoint", "fentry"):
        r = run([TOOLS[tool], "--ebpf", "--attach", method])
        assert r.returncode == 0, r.stderr
        assert r.stderr == "%s: attach method: %s\n" % (tool, method)


@pytest.mark.parametrize("tool", TOOLS)
def test_verbose_prints_attached_program(live, tool):
    """-v: 'attached method: M' on stderr, then M's program on stdout,
    exactly what --ebpf --attach M prints, then the tool's output."""
    args = ["-C", "-S", "600"] if tool == "tcptop" else []
    ebpf = run([TOOLS[tool], "--ebpf", "--attach", "tracepoint"] + args)
    assert ebpf.returncode == 0, ebpf.stderr
    bg = Background([TOOLS[tool], "-v"] + args)
    try:
        bg.wait_for("Tracing..." if tool == "tcptop" else "LAT(ms)", 60)
    finally:
        rc, out, err = bg.stop(signal.SIGINT)
    assert rc == 0, err
    assert err == "%s: attached method: tracepoint\n" % tool
    assert out.startswith(ebpf.stdout), out[:300]
    assert "attach" not in out[len(ebpf.stdout):]
