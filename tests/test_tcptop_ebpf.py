"""tcptop --ebpf, and every program variant compiled and verified.

--ebpf needs no root; it prints the program the tool would load. For the
kprobe method that program must be bcc's (../shared/reference/tcptop.py)
for the same flags, except for the fixes listed in README.md under
"Differences from bcc", pinned in tests/golden/tcptop_kprobe.diff.
"""
import itertools
import os
import subprocess

import pytest

from conftest import REFERENCE, TCPTOP, skip_or_fail
import ebpf_compare

METHODS = ["kprobe", "tracepoint", "fentry"]
FLAG_SETS = [[], ["-p", "181"], ["-4"], ["-6"], ["-p", "4242", "-6"],
             ["--cgroupmap", "CG"], ["--mntnsmap", "MNT"],
             ["--cgroupmap", "CG", "--mntnsmap", "MNT", "-4", "-p", "7"]]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture(scope="module")
def pinned():
    """Real pinned maps for --cgroupmap/--mntnsmap (compiles open them)."""
    if os.geteuid() != 0:
        skip_or_fail("pinned maps need root")
    paths = {"CG": "/sys/fs/bpf/tcptop_test_cg_%d" % os.getpid(),
             "MNT": "/sys/fs/bpf/tcptop_test_mnt_%d" % os.getpid()}
    subprocess.run(["bpftool", "map", "create", paths["CG"], "type", "hash",
                    "key", "8", "value", "8", "entries", "1024", "name",
                    "cgroupset"], check=True)
    subprocess.run(["bpftool", "map", "create", paths["MNT"], "type", "hash",
                    "key", "8", "value", "4", "entries", "1024", "name",
                    "mount_ns_set"], check=True)
    yield paths
    for p in paths.values():
        os.unlink(p)


def with_paths(flags, paths):
    return [paths.get(f, f) for f in flags]


def reference_ebpf(flags):
    ref = os.path.join(REFERENCE, "tcptop.py")
    r = subprocess.run(["/usr/bin/python3", ref, "--ebpf"] + flags,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        skip_or_fail("reference tcptop.py --ebpf failed (python3-bpfcc?): "
                     + r.stderr[-300:])
    return r.stdout


@pytest.mark.parametrize("method,flags", itertools.product(METHODS, FLAG_SETS))
def test_ebpf_without_root(method, flags):
    """--ebpf prints the program and exits 0, as an unprivileged user."""
    flags = with_paths(flags, {"CG": "/sys/fs/bpf/a", "MNT": "/sys/fs/bpf/b"})
    r = subprocess.run(NOBODY + [TCPTOP, "--ebpf", "--attach", method] + flags,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "container_should_be_filtered" in r.stdout
    assert r.stderr == "tcptop: attach method: %s\n" % method
    if "-p" in flags:
        pid = flags[flags.index("-p") + 1]
        assert "if (pid != %s) { return 0; }" % pid in r.stdout
    else:
        assert "FILTER_PID" not in r.stdout and "if (pid !=" not in r.stdout
    if "-4" in flags:
        assert "if (family != AF_INET) { return 0; }" in r.stdout
    elif "-6" in flags:
        assert "if (family != AF_INET6) { return 0; }" in r.stdout
    assert "FILTER_FAMILY" not in r.stdout


def test_ebpf_auto_names_method():
    r = subprocess.run([TCPTOP, "--ebpf"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0
    # This kernel has the tracepoints and BTF: auto picks tracepoint.
    assert r.stderr == "tcptop: attach method: tracepoint\n"


@pytest.mark.parametrize("flags", FLAG_SETS)
def test_kprobe_program_is_bccs_but_for_fixes(flags):
    flags = with_paths(flags, {"CG": "/sys/fs/bpf/a", "MNT": "/sys/fs/bpf/b"})
    ref = reference_ebpf(flags)
    ours = ebpf_compare.run_ebpf([TCPTOP, "--ebpf", "--attach", "kprobe"]
                                 + flags)
    diff = ebpf_compare.without_prelude(ebpf_compare.content_diff(ref, ours))
    # --mntnsmap adds one fix: its filter reads task_struct, nsproxy and
    # mnt_namespace fields at BTF offsets, not through the headers.
    name = ("tcptop_kprobe_mntnsmap.diff" if "--mntnsmap" in flags
            else "tcptop_kprobe.diff")
    if os.environ.get("UPDATE_GOLDEN") and flags in (
            [], ["--mntnsmap", "/sys/fs/bpf/b"]):
        ebpf_compare.write_golden(name, diff)
    assert diff == ebpf_compare.golden(name)


@pytest.mark.parametrize("method,flags", itertools.product(METHODS, FLAG_SETS))
def test_every_variant_compiles(live, pinned, method, flags):
    r = subprocess.run([TCPTOP, "--x-check", "compile", "--attach", method]
                       + with_paths(flags, pinned),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "tcptop: compiled method: %s\n" % method in r.stderr


@pytest.mark.parametrize("method,flags", itertools.product(
    ["kprobe", "tracepoint"], FLAG_SETS))
def test_variant_passes_verifier(live, pinned, method, flags):
    """Loaded (verifier run) without attaching: kprobes cannot attach here."""
    r = subprocess.run([TCPTOP, "--x-check", "load", "--attach", method]
                       + with_paths(flags, pinned),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "tcptop: loaded method: %s\n" % method in r.stderr
