"""While tracing, neither tool maps libbcc.so, LLVM or clang: the compile
runs in a short-lived child (runtime/compile.c) and the tool itself links
only libbcc_bpf. (Their RSS is reported by bench/startup.py, not asserted.)
A Ctrl-C during the compile ends the tool and its compiler child.
"""
import os
import signal
import time

import pytest

from lib.loopback import loopback_traffic
from lib.paths import TCPCONNLAT, TCPTOP
from lib.proc import Background
from lib.tcpconnlat_live import HEADER

COMPILER_LIBS = ("libLLVM", "libclang", "/libbcc.so")


def compiler_mappings(pid):
    with open("/proc/%d/maps" % pid) as f:
        return [line.strip() for line in f
                if any(lib in line for lib in COMPILER_LIBS)]


@pytest.mark.parametrize("argv,ready", [
    ([TCPTOP, "-C", "1"], "Tracing..."),
    ([TCPCONNLAT], HEADER),
], ids=["tcptop", "tcpconnlat"])
def test_no_compiler_mapped_while_tracing(live, argv, ready):
    bg = Background(argv, ready=ready, ready_timeout=120)
    try:
        for _ in range(10):
            loopback_traffic()
        bg.read_for(2)
        maps = compiler_mappings(bg.proc.pid)
        with open("/proc/%d/maps" % bg.proc.pid) as f:
            assert "libbcc_bpf" in f.read()
    finally:
        rc, out, err = bg.stop()
    assert not maps, "\n".join(maps)
    assert rc == 0, err


def children(pid):
    """Pids whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    return out


@pytest.mark.parametrize("tool", [TCPTOP, TCPCONNLAT],
                         ids=["tcptop", "tcpconnlat"])
def test_ctrl_c_during_compile(live, tool):
    """SIGINT to the tool alone (not its process group): the compiler child
    is killed, the tool exits 0, nothing is left running. (--no-cache: a
    warm start would compile nothing.)"""
    bg = Background([tool, "--no-cache"])
    end = time.monotonic() + 30
    kids = []
    while not kids and time.monotonic() < end and bg.proc.poll() is None:
        kids = children(bg.proc.pid)
        time.sleep(0.02)
    assert kids, "no compiler child seen"
    rc, out, err = bg.stop(signal.SIGINT, timeout=30)
    assert rc == 0, err
    for k in kids:
        assert not os.path.exists("/proc/%d" % k) or \
            open("/proc/%d/stat" % k).read().split()[2] == "Z", k
