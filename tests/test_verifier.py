"""Every program variant of both tools compiles and passes the verifier.

One matrix: tool x attach method x flag variant x check, where check is
--x-check compile (clang only) or --x-check load (the verifier runs, nothing
is attached: kprobes could not attach on the test host). BPF trampolines do
not load on every kernel (not on the test host): an fentry variant must
compile, and load or be refused by the kernel with the one expected line;
where it loads, the verifier agrees.
"""
import os

import pytest

from lib.bpf import pin_map
from lib.paths import TOOLS
from lib.proc import run
from lib.variants import (METHODS, TCPTOP_FLAG_SETS, argv_of,
                          tcpconnlat_variants, with_paths)
from lib.require import skip_or_fail
from lib.tcptop_live import cgroup2_root

CHECKS = ["compile", "load"]
# The BPF functions (bcc's names) of each tool's fentry program: the first
# one the kernel refuses is named.
FENTRY_FUNCS = {"tcptop": ("kfunc__", "kretfunc__"),
                "tcpconnlat": ("kfunc__",)}


def variants(tool, method):
    """(id, argv) of every flag variant of tool's program for method."""
    if tool == "tcptop":
        return [("flags%d" % i, f) for i, f in enumerate(TCPTOP_FLAG_SETS)]
    vs = tcpconnlat_variants(method)
    return [("%s-%s" % (" ".join(f), d), argv_of(f, d)) for f, d in vs]


MATRIX = [pytest.param(tool, method, check, argv,
                       id="%s-%s-%s-%s" % (tool, method, check, vid))
          for tool in sorted(TOOLS) for method in METHODS
          for check in CHECKS for vid, argv in variants(tool, method)]


@pytest.fixture(scope="module")
def pinned():
    """Real pinned maps for tcptop's --cgroupmap/--mntnsmap (compiles open
    them); the cgroup v2 root for -c."""
    if os.geteuid() != 0:
        skip_or_fail("pinned maps need root")
    paths = {"CG": pin_map("tcptop_test_cg_%d" % os.getpid(), 8, 8,
                           "cgroupset"), "CGDIR": cgroup2_root()}
    try:
        paths["MNT"] = pin_map("tcptop_test_mnt_%d" % os.getpid(), 8, 4,
                               "mount_ns_set")
        yield paths
    finally:
        for k in ("CG", "MNT"):
            if k in paths:
                os.unlink(paths[k])


@pytest.mark.parametrize("tool,method,check,argv", MATRIX)
def test_variant(live, pinned, tool, method, check, argv):
    r = run([TOOLS[tool], "--attach", method, "--x-check", check]
            + with_paths(argv, pinned), timeout=120)
    if method == "fentry" and check == "load" and r.returncode:
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith(tuple(
            "%s: fentry: failed to load BPF function %s" % (tool, f)
            for f in FENTRY_FUNCS[tool])), r.stderr
        return
    assert r.returncode == 0, r.stderr
    done = "compiled" if check == "compile" else "loaded"
    assert r.stderr == "%s: %s method: %s\n" % (tool, done, method)
